//! Pure helpers shared by the programs (host-tested): argument parsing,
//! the deterministic generator and the checksum.

use core::ffi::CStr;

/// Splits `--name=value` into `(--name, Some(value))`; anything else is
/// `(arg, None)`.
pub fn split_opt(arg: &[u8]) -> (&[u8], Option<&[u8]>) {
    if arg.starts_with(b"--")
        && let Some(eq) = arg.iter().position(|&b| b == b'=')
    {
        return (&arg[..eq], Some(&arg[eq + 1..]));
    }
    (arg, None)
}

/// [`split_opt`] of a NUL-terminated argument, the value kept NUL-terminated
/// (a path to open): `--cat=/x` is `(--cat, Some("/x"))`.
pub fn split_opt_cstr(arg: &CStr) -> (&[u8], Option<&CStr>) {
    let (name, value) = split_opt(arg.to_bytes());
    let value = value.map(|v| {
        // The value is the tail of `arg`, so `arg`'s NUL ends it.
        let with_nul = arg.to_bytes_with_nul();
        CStr::from_bytes_with_nul(&with_nul[with_nul.len() - 1 - v.len()..]).unwrap_or_default()
    });
    (name, value)
}

/// A decimal number without sign.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// A byte count: decimal with an optional K, M or G suffix (binary units,
/// either case), as in `64M`.
pub fn parse_size(s: &[u8]) -> Option<u64> {
    let (digits, shift) = match s.last()?.to_ascii_uppercase() {
        b'K' => (&s[..s.len() - 1], 10),
        b'M' => (&s[..s.len() - 1], 20),
        b'G' => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    let n = parse_u64(digits)?;
    n.checked_mul(1 << shift)
}

/// A duration as busybox `sleep` reads one argument: a decimal number of
/// seconds (`2`, `0.25`, `.5`) with an optional s/m/h/d suffix. Returns
/// nanoseconds; digits beyond nanosecond precision are dropped.
pub fn parse_seconds(s: &[u8]) -> Option<u64> {
    let (number, unit) = match s.last()? {
        b's' => (&s[..s.len() - 1], 1),
        b'm' => (&s[..s.len() - 1], 60),
        b'h' => (&s[..s.len() - 1], 3600),
        b'd' => (&s[..s.len() - 1], 86400),
        _ => (s, 1),
    };
    let (int, frac) = match number.iter().position(|&b| b == b'.') {
        Some(dot) => (&number[..dot], &number[dot + 1..]),
        None => (number, &b""[..]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let whole = if int.is_empty() { 0 } else { parse_u64(int)? };
    let mut nanos = 0u64;
    for i in 0..9 {
        let digit = match frac.get(i) {
            Some(b) if b.is_ascii_digit() => u64::from(b - b'0'),
            Some(_) => return None,
            None => 0,
        };
        nanos = nanos * 10 + digit;
    }
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let total = whole.checked_mul(1_000_000_000)?.checked_add(nanos)?;
    total.checked_mul(unit)
}

/// Marsaglia's xorshift64 (13, 7, 17): deterministic, never yields 0 from
/// a nonzero seed.
#[derive(Clone, Debug)]
pub struct XorShift64(u64);

impl XorShift64 {
    /// A zero seed would stay zero forever; it is replaced.
    pub const fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform enough in `0..n` for shuffling (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Fisher-Yates: a random permutation of `items` in place.
pub fn shuffle(items: &mut [u32], rng: &mut XorShift64) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// The wrapping sum of all bytes (the checksum `fileread` prints).
pub fn sum_bytes(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0u64, |s, &b| s.wrapping_add(u64::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size(b"4096"), Some(4096));
        assert_eq!(parse_size(b"64M"), Some(64 << 20));
        assert_eq!(parse_size(b"2k"), Some(2048));
        assert_eq!(parse_size(b"1G"), Some(1 << 30));
        assert_eq!(parse_size(b"0"), Some(0));
        for bad in [
            &b""[..],
            b"M",
            b"1.5M",
            b"-1",
            b"12X",
            b"99999999999999999999G",
        ] {
            assert_eq!(parse_size(bad), None, "{:?}", core::str::from_utf8(bad));
        }
        assert_eq!(parse_size(b"17179869184G"), None, "overflow");
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds(b"1"), Some(1_000_000_000));
        assert_eq!(parse_seconds(b"0.2"), Some(200_000_000));
        assert_eq!(parse_seconds(b".5"), Some(500_000_000));
        assert_eq!(parse_seconds(b"3."), Some(3_000_000_000));
        assert_eq!(parse_seconds(b"1.0000000019"), Some(1_000_000_001));
        assert_eq!(parse_seconds(b"2m"), Some(120_000_000_000));
        assert_eq!(parse_seconds(b"1s"), Some(1_000_000_000));
        for bad in [&b""[..], b".", b"x", b"1.2.3", b"-1", b"1e3", b"s"] {
            assert_eq!(parse_seconds(bad), None, "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn options() {
        assert_eq!(
            split_opt(b"--stride=8K"),
            (&b"--stride"[..], Some(&b"8K"[..]))
        );
        assert_eq!(split_opt(b"--hold"), (&b"--hold"[..], None));
        assert_eq!(split_opt(b"a=b"), (&b"a=b"[..], None));
        assert_eq!(
            split_opt_cstr(c"--cat=/proc/self/status"),
            (&b"--cat"[..], Some(c"/proc/self/status"))
        );
        assert_eq!(split_opt_cstr(c"--cat="), (&b"--cat"[..], Some(c"")));
        assert_eq!(split_opt_cstr(c"--hold"), (&b"--hold"[..], None));
        assert_eq!(split_opt_cstr(c"/a=b"), (&b"/a=b"[..], None));
    }

    #[test]
    fn xorshift_is_marsaglias() {
        let mut rng = XorShift64::new(1);
        // x=1: 1^(1<<13)=0x2001; ^>>7 = 0x2001^0x40 = 0x2041; ^<<17.
        assert_eq!(rng.next(), 0x2041 ^ (0x2041 << 17));
        assert_ne!(XorShift64::new(0).next(), 0);
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut items: Vec<u32> = (0..1000).collect();
        shuffle(&mut items, &mut XorShift64::new(7));
        assert_ne!(items, (0..1000).collect::<Vec<_>>());
        items.sort_unstable();
        assert_eq!(items, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn checksum_wraps() {
        assert_eq!(sum_bytes(&[1, 2, 255]), 258);
        assert_eq!(sum_bytes(&[]), 0);
    }
}
