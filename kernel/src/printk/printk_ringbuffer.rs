//! The printk ring buffer; mirrors kernel/printk/printk_ringbuffer.c in its
//! shape: a ring of descriptors (one per record: sequence number, metadata,
//! where its text lies) next to a ring of text bytes, both fixed-size, so it
//! works before the heap exists. A new record that finds either ring full
//! drops the oldest records until it fits, as `prb_reserve` does.
//!
//! Left out: Linux's lockless reserve/commit protocol (writers here hold
//! the log lock, on tinymm's one CPU) and continuation records (`LOG_CONT`:
//! every record is final when stored).
//!
//! Text blocks never wrap: one that would cross the end of the text ring
//! starts at its beginning, and the skipped bytes count as part of the
//! block (Linux's `data_alloc`). Positions are logical (`lpos`): they only
//! grow, and `lpos % N` is the index.

/// What a record carries besides its text (`struct printk_info`, without
/// the caller id and device info tinymm does not keep).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrintkInfo {
    pub seq: u64,
    /// Nanoseconds since boot.
    pub ts_nsec: u64,
    pub text_len: u16,
    /// Syslog facility: 0 (LOG_KERN) for the kernel, 1 (LOG_USER) by
    /// default for /dev/kmsg writers.
    pub facility: u8,
    /// Syslog level, 0 (KERN_EMERG) ..= 7 (KERN_DEBUG).
    pub level: u8,
}

/// `struct prb_desc`: a record's metadata and the logical span of its
/// text block, `begin..text + text_len`.
#[derive(Clone, Copy)]
struct PrbDesc {
    info: PrintkInfo,
    /// Where the block starts, wrap padding included.
    begin: u64,
    /// Where the text starts.
    text: u64,
}

impl PrbDesc {
    const EMPTY: Self = Self {
        info: PrintkInfo {
            seq: 0,
            ts_nsec: 0,
            text_len: 0,
            facility: 0,
            level: 0,
        },
        begin: 0,
        text: 0,
    };
}

/// `struct printk_ringbuffer` with `N` text bytes and `D` descriptors.
pub struct PrintkRingbuffer<const N: usize, const D: usize> {
    text_data: [u8; N],
    descs: [PrbDesc; D],
    /// Where the next text block starts (`text_data_ring.head_lpos`).
    head_lpos: u64,
    /// The oldest record still readable.
    first_seq: u64,
    /// The sequence number the next record gets (`prb_next_seq`).
    next_seq: u64,
}

impl<const N: usize, const D: usize> Default for PrintkRingbuffer<N, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const D: usize> PrintkRingbuffer<N, D> {
    /// The largest text a record keeps: a quarter of the text ring (Linux's
    /// `truncate_msg` with `MAX_LOG_TAKE_PART`), so one record never
    /// pushes out everything else.
    pub const MAX_TEXT: usize = N / 4;

    pub const fn new() -> Self {
        Self {
            text_data: [0; N],
            descs: [PrbDesc::EMPTY; D],
            head_lpos: 0,
            first_seq: 0,
            next_seq: 0,
        }
    }

    /// `prb_first_valid_seq()`.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// `prb_next_seq()`.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    fn desc(&self, seq: u64) -> &PrbDesc {
        &self.descs[(seq % D as u64) as usize]
    }

    /// Where the oldest block starts (`text_data_ring.tail_lpos`).
    fn tail_lpos(&self) -> u64 {
        if self.first_seq == self.next_seq {
            self.head_lpos
        } else {
            self.desc(self.first_seq).begin
        }
    }

    /// Drops the oldest record (`desc_push_tail` + `data_push_tail`).
    fn push_tail(&mut self) {
        debug_assert!(self.first_seq < self.next_seq);
        self.first_seq += 1;
    }

    /// `prb_reserve()` + copy + `prb_final_commit()`: stores a record,
    /// truncating its text to `MAX_TEXT`, and returns its sequence number.
    pub fn store(&mut self, ts_nsec: u64, facility: u8, level: u8, text: &[u8]) -> u64 {
        let text = &text[..text.len().min(Self::MAX_TEXT)];
        if self.next_seq - self.first_seq == D as u64 {
            self.push_tail();
        }
        let begin = self.head_lpos;
        let room_to_end = N - (begin % N as u64) as usize;
        let start = if text.len() > room_to_end {
            begin + room_to_end as u64
        } else {
            begin
        };
        let end = start + text.len() as u64;
        while end - self.tail_lpos() > N as u64 {
            self.push_tail();
        }
        let at = (start % N as u64) as usize;
        self.text_data[at..at + text.len()].copy_from_slice(text);
        let seq = self.next_seq;
        self.descs[(seq % D as u64) as usize] = PrbDesc {
            info: PrintkInfo {
                seq,
                ts_nsec,
                text_len: text.len() as u16,
                facility,
                level,
            },
            begin,
            text: start,
        };
        self.head_lpos = end;
        self.next_seq += 1;
        seq
    }

    /// `prb_read_valid()`: the record `seq`, or if it is gone the oldest
    /// one after it; `None` past the newest. Callers compare the returned
    /// sequence number with the one they asked for to notice lost records.
    pub fn read_valid(&self, seq: u64) -> Option<(PrintkInfo, &[u8])> {
        let seq = seq.max(self.first_seq);
        if seq >= self.next_seq {
            return None;
        }
        let d = self.desc(seq);
        let at = (d.text % N as u64) as usize;
        Some((
            d.info,
            &self.text_data[at..at + usize::from(d.info.text_len)],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Small = PrintkRingbuffer<64, 8>;

    fn texts(rb: &Small) -> alloc::vec::Vec<(u64, alloc::string::String)> {
        let mut out = alloc::vec::Vec::new();
        let mut seq = 0;
        while let Some((info, text)) = rb.read_valid(seq) {
            out.push((
                info.seq,
                alloc::string::String::from_utf8(text.to_vec()).unwrap(),
            ));
            seq = info.seq + 1;
        }
        out
    }

    #[test]
    fn records_keep_order_sequence_and_metadata() {
        let mut rb = Small::new();
        assert_eq!(rb.read_valid(0), None);
        assert_eq!(rb.store(5, 0, 6, b"one"), 0);
        assert_eq!(rb.store(7, 1, 3, b"two"), 1);
        let (info, text) = rb.read_valid(1).unwrap();
        assert_eq!(
            info,
            PrintkInfo {
                seq: 1,
                ts_nsec: 7,
                text_len: 3,
                facility: 1,
                level: 3
            }
        );
        assert_eq!(text, b"two");
        assert_eq!(rb.read_valid(2), None);
        assert_eq!((rb.first_seq(), rb.next_seq()), (0, 2));
    }

    #[test]
    fn a_full_text_ring_drops_the_oldest() {
        let mut rb = Small::new();
        // 16 bytes each (MAX_TEXT): four fill the 64 bytes exactly.
        for (i, c) in (b'a'..=b'd').enumerate() {
            assert_eq!(rb.store(0, 0, 6, &[c; 16]), i as u64);
        }
        assert_eq!(rb.first_seq(), 0);
        rb.store(0, 0, 6, &[b'e'; 16]);
        assert_eq!(rb.first_seq(), 1, "a went");
        let t = texts(&rb);
        assert_eq!(t.first().unwrap().0, 1);
        assert_eq!(t.last().unwrap(), &(4, "e".repeat(16)));
        // Reading a lost record gives the oldest one left.
        assert_eq!(rb.read_valid(0).unwrap().0.seq, 1);
    }

    #[test]
    fn a_block_that_would_cross_the_end_starts_over_and_counts_the_gap() {
        let mut rb = Small::new();
        rb.store(0, 0, 6, &[b'a'; 10]);
        rb.store(0, 0, 6, &[b'b'; 10]);
        rb.store(0, 0, 6, &[b'c'; 10]);
        rb.store(0, 0, 6, &[b'd'; 10]); // 40 bytes used, 24 left
        rb.store(0, 0, 6, &[b'e'; 16]); // 40..56
        // 8 left at the end: f goes to 0..16 and needs a and b's room
        // (lpos 56..80 must lie within 64 bytes of the tail).
        rb.store(0, 0, 6, &[b'f'; 16]);
        let t = texts(&rb);
        assert_eq!(t[0], (2, "c".repeat(10)));
        assert_eq!(t.last().unwrap(), &(5, "f".repeat(16)));
        assert_eq!(t.len(), 4);
        for (seq, text) in &t {
            assert!(
                text.bytes().all(|b| b == text.as_bytes()[0]),
                "{seq}: {text}"
            );
        }
    }

    #[test]
    fn a_full_descriptor_ring_drops_the_oldest() {
        let mut rb = Small::new();
        for i in 0..20u8 {
            rb.store(u64::from(i), 0, 6, &[b'0' + i % 10]);
        }
        assert_eq!((rb.first_seq(), rb.next_seq()), (12, 20));
        let t = texts(&rb);
        assert_eq!(t.len(), 8);
        assert_eq!(t[0], (12, alloc::string::String::from("2")));
    }

    #[test]
    fn long_texts_are_truncated_and_empty_ones_kept() {
        let mut rb = Small::new();
        rb.store(0, 0, 6, &[b'x'; 40]);
        assert_eq!(rb.read_valid(0).unwrap().1.len(), Small::MAX_TEXT);
        rb.store(0, 0, 6, b"");
        assert_eq!(rb.read_valid(1).unwrap().1, b"");
    }

    #[test]
    fn random_stores_never_lose_a_kept_record_or_mix_texts() {
        // Deterministic pseudo-random lengths; every kept record must read
        // back exactly, and only the oldest may be dropped.
        let mut rb = PrintkRingbuffer::<256, 16>::new();
        let mut x = 12345u64;
        let mut stored = alloc::vec::Vec::new();
        for i in 0..2000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (x >> 33) as usize % 70;
            let text: alloc::vec::Vec<u8> = (0..len).map(|j| (i as usize + j) as u8).collect();
            assert_eq!(rb.store(i, 0, 6, &text), i);
            stored.push(text);
            for seq in rb.first_seq()..rb.next_seq() {
                let (info, got) = rb.read_valid(seq).unwrap();
                let want = &stored[seq as usize];
                assert_eq!(info.seq, seq);
                assert_eq!(got, &want[..want.len().min(64)]);
            }
            assert!(rb.next_seq() - rb.first_seq() <= 16);
        }
    }
}
