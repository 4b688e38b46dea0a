//! Randomness for the queue's draw, from the operating system's CSPRNG.

/// A uniformly random integer in `0..n` (rejection sampling: no modulo bias). Falls
/// back to 0 only if the operating system has no randomness to give, which it always has
/// once booted.
pub(crate) fn secure_below(n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    let zone = u64::MAX - u64::MAX % n;
    loop {
        let mut bytes = [0u8; 8];
        if getrandom::fill(&mut bytes).is_err() {
            return 0;
        }
        let value = u64::from_le_bytes(bytes);
        if value < zone {
            return value % n;
        }
    }
}
