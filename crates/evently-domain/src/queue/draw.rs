//! The draw: one uniformly random order of the tickets taken before the on-sale instant.
//!
//! Each such ticket is given a secret key, uniformly random over 63 bits, when it is
//! taken; from the on-sale instant the early tickets queue in key order. Independent
//! uniform keys make every order of the early tickets equally likely (a tie, one chance in
//! 2^63 per pair, falls back to arrival), whatever their arrival order, and the order is
//! fixed once and the same for every instance — with nothing to write at the on-sale
//! instant itself (shuffling 20,000 stored ranks then held admission back by seconds).

/// A draw key from `random`, 64 bits from a cryptographic source: its low 63 bits, so
/// it sorts the same as a signed integer in the store.
pub fn draw_key(random: u64) -> i64 {
    i64::try_from(random >> 1).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// SplitMix64.
    fn source(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed;
        move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    /// Tickets `0..n` in the order their draw keys give (arrival breaking ties).
    fn draw(n: u8, random: &mut impl FnMut() -> u64) -> Vec<u8> {
        let mut keyed: Vec<(i64, u8)> = (0..n).map(|ticket| (draw_key(random()), ticket)).collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, ticket)| ticket).collect()
    }

    #[test]
    fn a_draw_is_a_permutation_and_not_the_join_order() {
        let mut random = source(7);
        let drawn = draw(200, &mut random);
        let mut sorted = drawn.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..200).collect::<Vec<_>>(), "every ticket once");
        let in_place = drawn.iter().enumerate().filter(|(i, t)| usize::from(**t) == *i).count();
        assert!(in_place < 10, "{in_place} tickets kept their place");
        assert!(draw_key(u64::MAX) >= 0 && draw_key(0) == 0);
    }

    #[test]
    fn every_order_is_equally_likely() {
        // 4 tickets: 24 orders; 48,000 draws, 2,000 expected each. The chi-square statistic
        // with 23 degrees of freedom exceeds 49.73 with probability 0.001.
        let mut seen: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut random = source(2026);
        for _ in 0..48_000 {
            *seen.entry(draw(4, &mut random)).or_default() += 1;
        }
        assert_eq!(seen.len(), 24);
        let chi_square: f64 = seen.values().map(|&n| (n as f64 - 2_000.0).powi(2) / 2_000.0).sum();
        assert!(chi_square < 49.73, "chi-square {chi_square:.1}: {seen:?}");
    }

    #[test]
    fn the_test_sees_a_biased_draw() {
        // Keys of too few bits tie often, and ties fall back to arrival: early arrivals
        // would win. The chi-square test above would see it.
        let mut seen: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut random = source(2026);
        for _ in 0..48_000 {
            let mut keyed: Vec<(u64, u8)> = (0..4).map(|ticket| (random() >> 62, ticket)).collect();
            keyed.sort_unstable();
            *seen.entry(keyed.into_iter().map(|(_, t)| t).collect()).or_default() += 1;
        }
        let chi_square: f64 = seen.values().map(|&n| (n as f64 - 2_000.0).powi(2) / 2_000.0).sum();
        assert!(chi_square > 49.73, "chi-square {chi_square:.1}");
    }
}
