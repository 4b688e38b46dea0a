//! Randomness for the queue's draw, from the operating system's CSPRNG.

/// 64 random bits. The operating system always has randomness to give once booted; should
/// it fail, the time's nanoseconds stand in rather than failing the request.
pub(crate) fn secure_random() -> u64 {
    let mut bytes = [0u8; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => u64::from(chrono::Utc::now().timestamp_subsec_nanos()),
    }
}
