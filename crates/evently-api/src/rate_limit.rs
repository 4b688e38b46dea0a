//! The per-client-IP limit on register and login.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// Allows `n` attempts per IP per minute (refilling evenly); `None` when turned off.
#[derive(Debug, Clone)]
pub struct AuthRateLimit(Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>);

impl AuthRateLimit {
    /// A limit of `per_minute` attempts; 0 turns it off.
    pub fn per_minute(per_minute: u32) -> Self {
        Self(NonZeroU32::new(per_minute).map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n)))))
    }

    /// Counts one attempt from `ip`.
    ///
    /// # Errors
    /// [`ApiError::RateLimited`] with the seconds to wait when over the limit.
    pub fn check(&self, ip: Option<IpAddr>) -> Result<(), ApiError> {
        let (Some(limiter), Some(ip)) = (&self.0, ip) else {
            return Ok(());
        };
        limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited { retry_after_secs: wait.as_secs() + 1 }
        })?;
        if limiter.len() > 100_000 {
            limiter.retain_recent();
        }
        Ok(())
    }
}

/// Allows each user to read their ticket of one queue at most once a second (with a
/// burst of 3), so a crowd polling its positions cannot flood the server.
#[derive(Debug, Clone)]
pub struct PollRateLimit(Arc<DefaultKeyedRateLimiter<(i64, i64)>>);

impl Default for PollRateLimit {
    fn default() -> Self {
        let quota = Quota::per_second(NonZeroU32::MIN).allow_burst(NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN));
        Self(Arc::new(RateLimiter::keyed(quota)))
    }
}

impl PollRateLimit {
    /// Counts one read by `user` of their ticket for `event`.
    ///
    /// # Errors
    /// [`ApiError::RateLimited`] with the seconds to wait when polling too fast.
    pub fn check(&self, user: i64, event: i64) -> Result<(), ApiError> {
        self.0.check_key(&(user, event)).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited { retry_after_secs: wait.as_secs() + 1 }
        })?;
        if self.0.len() > 200_000 {
            self.0.retain_recent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_per_ip() {
        let limit = AuthRateLimit::per_minute(2);
        let (a, b) = (Some(IpAddr::from([10, 0, 0, 1])), Some(IpAddr::from([10, 0, 0, 2])));
        assert!(limit.check(a).is_ok());
        assert!(limit.check(a).is_ok());
        assert!(matches!(limit.check(a), Err(ApiError::RateLimited { retry_after_secs }) if retry_after_secs >= 1));
        assert!(limit.check(b).is_ok());
        let off = AuthRateLimit::per_minute(0);
        assert!((0..100).all(|_| off.check(a).is_ok()));
    }
}
