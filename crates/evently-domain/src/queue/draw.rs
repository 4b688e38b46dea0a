//! The draw: one uniformly random order of the tickets taken before the on-sale instant.

/// Puts `items` in a uniformly random order (Fisher–Yates). `below(n)` must return a
/// uniformly random integer in `0..n`; stores give it a cryptographic source, so the order
/// cannot be predicted from the arrival order or from earlier draws.
pub fn shuffle<T>(items: &mut [T], mut below: impl FnMut(u64) -> u64) {
    for i in (1..items.len()).rev() {
        let bound = u64::try_from(i + 1).unwrap_or(u64::MAX);
        let j = usize::try_from(below(bound)).unwrap_or(i).min(i);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// SplitMix64, with rejection so every value below `n` is equally likely.
    fn source(seed: u64) -> impl FnMut(u64) -> u64 {
        let mut state = seed;
        move |n| {
            let zone = u64::MAX - u64::MAX % n;
            loop {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                if z < zone {
                    return z % n;
                }
            }
        }
    }

    #[test]
    fn a_draw_is_a_permutation_and_not_the_join_order() {
        let joined: Vec<u32> = (0..1000).collect();
        let mut drawn = joined.clone();
        shuffle(&mut drawn, source(7));
        let mut sorted = drawn.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, joined, "every ticket once");
        assert_ne!(drawn, joined);
        let in_place = drawn.iter().zip(&joined).filter(|(a, b)| a == b).count();
        assert!(in_place < 10, "{in_place} tickets kept their place");
    }

    #[test]
    fn every_order_is_equally_likely() {
        // 4 tickets: 24 orders; 48,000 draws, 2,000 expected each. The chi-square statistic
        // with 23 degrees of freedom exceeds 49.73 with probability 0.001.
        let mut seen: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut below = source(2026);
        for _ in 0..48_000 {
            let mut order = vec![0u8, 1, 2, 3];
            shuffle(&mut order, &mut below);
            *seen.entry(order).or_default() += 1;
        }
        assert_eq!(seen.len(), 24);
        let expected = 2_000.0;
        let chi_square: f64 = seen.values().map(|&n| (n as f64 - expected).powi(2) / expected).sum();
        assert!(chi_square < 49.73, "chi-square {chi_square:.1}: {seen:?}");
    }

    #[test]
    fn a_biased_shuffle_fails_the_same_test() {
        // The classic mistake (swapping with any position, not only the first i + 1) makes
        // some orders likelier: the test above would see it.
        let mut seen: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut below = source(2026);
        for _ in 0..48_000 {
            let mut order = vec![0u8, 1, 2, 3];
            for i in 0..order.len() {
                let j = usize::try_from(below(4)).unwrap();
                order.swap(i, j);
            }
            *seen.entry(order).or_default() += 1;
        }
        let chi_square: f64 = seen.values().map(|&n| (n as f64 - 2_000.0).powi(2) / 2_000.0).sum();
        assert!(chi_square > 49.73, "chi-square {chi_square:.1}");
    }
}
