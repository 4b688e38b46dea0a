use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

/// The delays between a delivery's attempts (`EVENTLY_WEBHOOK_RETRY_SCHEDULE`): a
/// delivery gets one attempt plus one per delay, each delay counted from the attempt
/// before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

/// Why a schedule was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a schedule is delays like 5s,5m,30m,2h (units ms, s, m, h); {0:?} is not one")]
pub struct ScheduleError(String);

impl RetrySchedule {
    /// The delay before the attempt after `attempts` attempts, or `None` when the
    /// schedule is spent.
    pub fn delay_after(&self, attempts: u32) -> Option<Duration> {
        let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
        self.0.get(index).copied()
    }

    /// The delays.
    pub fn delays(&self) -> &[Duration] {
        &self.0
    }
}

impl Default for RetrySchedule {
    /// `5s,5m,30m,2h,5h,10h,10h`.
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        Self(vec![
            Duration::from_secs(5),
            minutes(5),
            minutes(30),
            minutes(120),
            minutes(300),
            minutes(600),
            minutes(600),
        ])
    }
}

impl FromStr for RetrySchedule {
    type Err = ScheduleError;

    fn from_str(raw: &str) -> Result<Self, ScheduleError> {
        if raw.trim().is_empty() {
            return Ok(Self(Vec::new()));
        }
        raw.split(',')
            .map(|part| {
                let part = part.trim();
                let split = part.find(|c: char| !c.is_ascii_digit()).unwrap_or(part.len());
                let (number, unit) = part.split_at(split);
                let n: u64 = number.parse().map_err(|_| ScheduleError(part.to_owned()))?;
                match unit {
                    "ms" => Ok(Duration::from_millis(n)),
                    "s" => Ok(Duration::from_secs(n)),
                    "m" => Ok(Duration::from_secs(n * 60)),
                    "h" => Ok(Duration::from_secs(n * 3_600)),
                    _ => Err(ScheduleError(part.to_owned())),
                }
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_and_run_out() {
        let schedule: RetrySchedule = "5s,5m,30m,2h,5h,10h,10h".parse().unwrap_or_default();
        assert_eq!(schedule, RetrySchedule::default());
        assert_eq!(schedule.delay_after(0), None);
        assert_eq!(schedule.delay_after(1), Some(Duration::from_secs(5)));
        assert_eq!(schedule.delay_after(7), Some(Duration::from_secs(36_000)));
        assert_eq!(schedule.delay_after(8), None);
        let fast: Result<RetrySchedule, _> = "200ms, 1s".parse();
        assert_eq!(fast.map(|s| s.delays().to_vec()), Ok(vec![Duration::from_millis(200), Duration::from_secs(1)]));
        assert!("5x".parse::<RetrySchedule>().is_err());
        assert!("s".parse::<RetrySchedule>().is_err());
    }
}
