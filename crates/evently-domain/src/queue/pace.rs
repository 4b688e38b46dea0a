//! The pace of admission, and the wait it implies.

use chrono::TimeDelta;

use super::AdmitRate;

/// How many tickets may have been admitted in all once `elapsed` has passed since
/// admission began, at `rate` per minute: `floor(rate · t / 60) + 1`, within the
/// contract's `ceil(rate · t / 60) + 1` (none before it began).
pub fn admissible(rate: AdmitRate, elapsed: TimeDelta) -> u64 {
    let Ok(millis) = u64::try_from(elapsed.num_milliseconds()) else { return 0 };
    let admitted = u128::from(rate.get()) * u128::from(millis) / 60_000 + 1;
    u64::try_from(admitted).unwrap_or(u64::MAX)
}

/// Seconds until the ticket at `position` (1-based) is admitted at `rate` per minute.
pub fn estimated_wait(position: u32, rate: AdmitRate) -> u64 {
    (u64::from(position) * 60).div_ceil(u64::from(rate.get()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn rate(n: i64) -> AdmitRate {
        AdmitRate::new(n).unwrap()
    }

    #[test]
    fn the_first_ticket_is_admitted_at_once_and_then_one_per_interval() {
        assert_eq!(admissible(rate(60), TimeDelta::milliseconds(-1)), 0);
        assert_eq!(admissible(rate(60), TimeDelta::zero()), 1);
        assert_eq!(admissible(rate(60), TimeDelta::milliseconds(999)), 1);
        assert_eq!(admissible(rate(60), TimeDelta::seconds(1)), 2);
        assert_eq!(admissible(rate(10_000), TimeDelta::seconds(60)), 10_001);
        assert_eq!(estimated_wait(1, rate(60)), 1);
        assert_eq!(estimated_wait(10, rate(600)), 1);
        assert_eq!(estimated_wait(11, rate(600)), 2);
    }

    proptest! {
        /// The contract's bounds: n(t) <= ceil(rate t / 60) + 1, and a server admitting
        /// what this allows at least once every 2 s keeps n(t) >= floor(rate (t - 2) / 60).
        #[test]
        fn admission_stays_within_the_contracts_bounds(per_minute in 1i64..=100_000, millis in 0i64..=86_400_000) {
            let (rate, t) = (rate(per_minute), TimeDelta::milliseconds(millis));
            let exact = per_minute as f64 * millis as f64 / 60_000.0;
            let allowed = admissible(rate, t) as f64;
            prop_assert!(allowed <= exact.ceil() + 1.0);
            let two_seconds_late = admissible(rate, t - TimeDelta::seconds(2)) as f64;
            prop_assert!(allowed >= (per_minute as f64 * (millis - 2_000) as f64 / 60_000.0).floor());
            prop_assert!(allowed >= two_seconds_late);
        }
    }
}
