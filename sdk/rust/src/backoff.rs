//! The retry schedule: exponential backoff with jitter.

use std::time::Duration;

/// Retry delays: `initial * 2^attempt`, capped at `max`, then jittered into `[d/2, d]`.
///
/// Half of the delay is kept so a retry never fires at once; the random half spreads many
/// clients that failed together (a server restart) so they do not come back in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub(crate) initial: Duration,
    pub(crate) max: Duration,
}

impl Backoff {
    /// The delay before retry number `attempt` (0 for the first retry), given a uniform random
    /// number `unit` in `[0, 1)`.
    pub(crate) fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        ceiling / 2 + ceiling.mul_f64(unit / 2.0)
    }

    /// The delay before retry `attempt` with the jitter drawn here.
    pub(crate) fn delay_random(&self, attempt: u32) -> Duration {
        self.delay(attempt, rand::random::<f64>())
    }

    /// The un-jittered delay: `initial * 2^attempt`, at most `max`.
    pub(crate) fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(31));
        self.initial.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEDULE: Backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(10),
    };

    #[test]
    fn doubles_until_the_cap() {
        let ceilings: Vec<u128> = (0..10).map(|a| SCHEDULE.ceiling(a).as_millis()).collect();
        assert_eq!(
            ceilings,
            [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]
        );
    }

    #[test]
    fn jitter_stays_between_half_and_full_delay() {
        assert_eq!(SCHEDULE.delay(3, 0.0), Duration::from_millis(400));
        assert_eq!(SCHEDULE.delay(3, 1.0), Duration::from_millis(800));
        for attempt in 0..12 {
            for _ in 0..100 {
                let delay = SCHEDULE.delay_random(attempt);
                let ceiling = SCHEDULE.ceiling(attempt);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "{attempt}: {delay:?}"
                );
            }
        }
    }

    #[test]
    fn jitter_actually_varies() {
        let delays: std::collections::HashSet<Duration> =
            (0..50).map(|_| SCHEDULE.delay_random(5)).collect();
        assert!(delays.len() > 10);
    }

    #[test]
    fn survives_huge_attempt_numbers_and_bad_randomness() {
        assert_eq!(SCHEDULE.ceiling(u32::MAX), Duration::from_secs(10));
        assert_eq!(SCHEDULE.delay(2, f64::NAN), Duration::from_millis(200));
        assert_eq!(SCHEDULE.delay(2, 7.0), Duration::from_millis(400));
    }
}
