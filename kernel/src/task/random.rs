//! The kernel's random numbers; mirrors drivers/char/random.c's CRNG
//! (`crng_fast_key_erasure`, `_get_random_bytes`) on the ChaCha20 block
//! function of lib/crypto/chacha.c (RFC 8439 §2.3).
//!
//! One CRNG (Linux keeps a base key and one per CPU; tinymm has one CPU):
//! a 256-bit key seeded from the CPU's RDSEED/RDRAND when CPUID has them,
//! else from the TSC, mixed in again every `CRNG_RESEED_INTERVAL`. Each
//! request first runs one block with the key and a zero counter, keeps the
//! first 32 bytes as the next key (fast key erasure: the output already
//! handed out cannot be recomputed from a later state), and serves the
//! request from the rest of that block and the blocks after it. Pure, so
//! the host tests check it against the RFC's vectors.

/// `CHACHA_BLOCK_SIZE`, `CHACHA_KEY_SIZE`.
pub const CHACHA_BLOCK_SIZE: usize = 64;
pub const CHACHA_KEY_SIZE: usize = 32;

/// "expand 32-byte k" (`chacha_init_consts`).
const CHACHA_CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

fn quarter_round(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(16);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(12);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(8);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(7);
}

/// `chacha_block_generic()` with 20 rounds: one 64-byte block of key
/// stream from `state`, whose block counter (word 12) then advances.
pub fn chacha20_block(state: &mut [u32; 16], out: &mut [u8; CHACHA_BLOCK_SIZE]) {
    let mut x = *state;
    for _ in 0..10 {
        quarter_round(&mut x, 0, 4, 8, 12);
        quarter_round(&mut x, 1, 5, 9, 13);
        quarter_round(&mut x, 2, 6, 10, 14);
        quarter_round(&mut x, 3, 7, 11, 15);
        quarter_round(&mut x, 0, 5, 10, 15);
        quarter_round(&mut x, 1, 6, 11, 12);
        quarter_round(&mut x, 2, 7, 8, 13);
        quarter_round(&mut x, 3, 4, 9, 14);
    }
    for (i, word) in x.iter().enumerate() {
        let v = word.wrapping_add(state[i]);
        out[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    state[12] = state[12].wrapping_add(1);
}

/// `chacha_init()`: constants, key, then counter and nonce words.
pub fn chacha_init(key: &[u32; 8], iv: [u32; 4]) -> [u32; 16] {
    let mut s = [0u32; 16];
    s[..4].copy_from_slice(&CHACHA_CONSTANTS);
    s[4..12].copy_from_slice(key);
    s[12..].copy_from_slice(&iv);
    s
}

/// `base_crng`: the key and when it was last reseeded.
pub struct Crng {
    key: [u32; 8],
    /// `birth`: jiffies at the last (re)seed.
    birth: u64,
}

impl Crng {
    /// A CRNG keyed from 256 bits of seed.
    pub const fn new(seed: [u64; 4], now: u64) -> Self {
        let mut key = [0u32; 8];
        let mut i = 0;
        while i < 4 {
            key[2 * i] = seed[i] as u32;
            key[2 * i + 1] = (seed[i] >> 32) as u32;
            i += 1;
        }
        Self { key, birth: now }
    }

    /// Whether the key is older than `interval` at `now`
    /// (`crng_has_old_seed`).
    pub fn has_old_seed(&self, now: u64, interval: u64) -> bool {
        now.wrapping_sub(self.birth) >= interval
    }

    /// `crng_reseed()`: the key moves on (fast key erasure) and the fresh
    /// seed is XORed into it, so the new key depends on both.
    pub fn reseed(&mut self, seed: [u64; 4], now: u64) {
        self.fast_key_erasure(&mut []);
        for (i, k) in self.key.iter_mut().enumerate() {
            *k ^= (seed[i / 2] >> (32 * (i % 2))) as u32;
        }
        self.birth = now;
    }

    /// `crng_fast_key_erasure()`: one block with the current key; its
    /// first 32 bytes replace the key, up to 32 more go to `out`. Returns
    /// the ChaCha state, still keyed with the erased key at counter 1,
    /// for further blocks (`crng_make_state`).
    fn fast_key_erasure(&mut self, out: &mut [u8]) -> [u32; 16] {
        let mut state = chacha_init(&self.key, [0; 4]);
        let mut first = [0u8; CHACHA_BLOCK_SIZE];
        chacha20_block(&mut state, &mut first);
        for (i, k) in self.key.iter_mut().enumerate() {
            let mut w = [0u8; 4];
            w.copy_from_slice(&first[i * 4..i * 4 + 4]);
            *k = u32::from_le_bytes(w);
        }
        out.copy_from_slice(&first[CHACHA_KEY_SIZE..CHACHA_KEY_SIZE + out.len()]);
        state
    }

    /// `_get_random_bytes()`: fill `buf`.
    pub fn get_random_bytes(&mut self, buf: &mut [u8]) {
        if buf.is_empty() {
            return;
        }
        let first = buf.len().min(CHACHA_BLOCK_SIZE - CHACHA_KEY_SIZE);
        let (head, mut rest) = buf.split_at_mut(first);
        let mut state = self.fast_key_erasure(head);
        let mut block = [0u8; CHACHA_BLOCK_SIZE];
        while !rest.is_empty() {
            chacha20_block(&mut state, &mut block);
            if state[12] == 0 {
                state[13] = state[13].wrapping_add(1);
            }
            let n = rest.len().min(CHACHA_BLOCK_SIZE);
            rest[..n].copy_from_slice(&block[..n]);
            rest = &mut rest[n..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> alloc::vec::Vec<u8> {
        let digits: alloc::vec::Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(core::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    fn words(bytes: &[u8]) -> alloc::vec::Vec<u32> {
        bytes
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect()
    }

    /// RFC 8439 §2.3.2: "Test Vector for the ChaCha20 Block Function".
    #[test]
    fn rfc8439_block_vector() {
        let key: [u32; 8] = words(&(0u8..32).collect::<alloc::vec::Vec<_>>())
            .try_into()
            .unwrap();
        let nonce = words(&hex("000000090000004a00000000"));
        let mut state = chacha_init(&key, [1, nonce[0], nonce[1], nonce[2]]);
        assert_eq!(
            state,
            [
                0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, 0x03020100, 0x07060504, 0x0b0a0908,
                0x0f0e0d0c, 0x13121110, 0x17161514, 0x1b1a1918, 0x1f1e1d1c, 0x00000001, 0x09000000,
                0x4a000000, 0x00000000,
            ]
        );
        let mut out = [0u8; 64];
        chacha20_block(&mut state, &mut out);
        let want = hex("10 f1 e7 e4 d1 3b 59 15 50 0f dd 1f a3 20 71 c4
                        c7 d1 f4 c7 33 c0 68 03 04 22 aa 9a c3 d4 6c 4e
                        d2 82 64 46 07 9f aa 09 14 c2 d7 05 d9 8b 02 a2
                        b5 12 9c d1 de 16 4e b9 cb d0 83 e8 a2 50 3c 4e");
        assert_eq!(out.as_slice(), want.as_slice());
        assert_eq!(state[12], 2, "the block counter advances");
    }

    /// RFC 8439 appendix A.1, test vector #1: the all-zero key and nonce.
    #[test]
    fn rfc8439_zero_key_vector() {
        let mut state = chacha_init(&[0; 8], [0; 4]);
        let mut out = [0u8; 64];
        chacha20_block(&mut state, &mut out);
        let want = hex("76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28
                        bd d2 19 b8 a0 8d ed 1a a8 36 ef cc 8b 77 0d c7
                        da 41 59 7c 51 57 48 8d 77 24 e0 3f b8 d8 4a 37
                        6a 43 b8 f4 15 18 a1 1c c3 87 b6 69 b2 ee 65 86");
        assert_eq!(out.as_slice(), want.as_slice());
    }

    /// The CRNG with a zero key serves the RFC's zero-key stream: the
    /// second half of block 0 (the first half became the next key), then
    /// block 1 onwards of the same key.
    #[test]
    fn crng_output_is_the_erased_key_s_stream() {
        let mut crng = Crng::new([0; 4], 0);
        let mut buf = [0u8; 32 + 64];
        crng.get_random_bytes(&mut buf);
        let mut state = chacha_init(&[0; 8], [0; 4]);
        let mut b0 = [0u8; 64];
        let mut b1 = [0u8; 64];
        chacha20_block(&mut state, &mut b0);
        chacha20_block(&mut state, &mut b1);
        assert_eq!(&buf[..32], &b0[32..]);
        assert_eq!(&buf[32..], &b1[..]);
        // The key is now the first half of block 0, never output.
        assert_eq!(crng.key.as_slice(), words(&b0[..32]).as_slice());
        // The next request comes from the new key, so it differs.
        let mut again = [0u8; 32];
        crng.get_random_bytes(&mut again);
        assert_ne!(&again[..], &buf[..32]);
    }

    #[test]
    fn partial_blocks_and_reseeding() {
        let mut a = Crng::new([1, 2, 3, 4], 0);
        let mut b = Crng::new([1, 2, 3, 4], 0);
        let mut x = [0u8; 100];
        let mut y = [0u8; 100];
        a.get_random_bytes(&mut x);
        b.get_random_bytes(&mut y);
        assert_eq!(x, y, "same seed, same stream");
        assert!(x.iter().any(|&v| v != 0));
        assert!(!a.has_old_seed(59_999, 60_000));
        assert!(a.has_old_seed(60_000, 60_000));
        b.reseed([5, 6, 7, 8], 60_000);
        a.get_random_bytes(&mut x);
        b.get_random_bytes(&mut y);
        assert_ne!(x, y, "a reseed changes the stream");
        assert!(!b.has_old_seed(60_001, 60_000));
        let mut empty = [0u8; 0];
        a.get_random_bytes(&mut empty);
    }
}
