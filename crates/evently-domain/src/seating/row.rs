//! One row's taken seats as a 256-bit set: runs of free seats are found a word at a time.

/// The taken seats of a row of at most 256 seats (bit `i`: seat number `i + 1`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct RowBits([u64; 4]);

impl RowBits {
    /// The most seats a row may have.
    pub const CAPACITY: u32 = 256;

    pub fn is_taken(&self, seat: u32) -> bool {
        self.0[word(seat)] & bit(seat) != 0
    }

    pub fn take(&mut self, seat: u32) {
        self.0[word(seat)] |= bit(seat);
    }

    pub fn free(&mut self, seat: u32) {
        self.0[word(seat)] &= !bit(seat);
    }

    /// The first seat at or after `from` whose bit is `taken`.
    fn next(&self, from: u32, taken: bool) -> Option<u32> {
        let mut at = from;
        while at < Self::CAPACITY {
            let word = self.0[word(at)];
            let word = if taken { word } else { !word };
            let rest = word & (u64::MAX << (at % 64));
            if rest != 0 {
                return Some(at - at % 64 + rest.trailing_zeros());
            }
            at = at - at % 64 + 64;
        }
        None
    }

    /// The lowest seat starting `n` free seats side by side among the first `len`.
    pub fn first_run(&self, n: u32, len: u32) -> Option<u32> {
        let mut from = 0;
        loop {
            let start = self.next(from, false).filter(|&s| s < len)?;
            let end = self.next(start, true).map_or(len, |e| e.min(len));
            if end - start >= n {
                return Some(start);
            }
            from = end;
        }
    }

    /// The free seats among the first `len`, lowest first.
    pub fn free_seats(&self, len: u32) -> impl Iterator<Item = u32> + '_ {
        let mut from = 0;
        std::iter::from_fn(move || {
            let seat = self.next(from, false).filter(|&s| s < len)?;
            from = seat + 1;
            Some(seat)
        })
    }
}

fn word(seat: u32) -> usize {
    (seat / 64) as usize
}

fn bit(seat: u32) -> u64 {
    1 << (seat % 64)
}
