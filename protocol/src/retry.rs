//! When a failed send may be repeated automatically, and how long to wait:
//! capped exponential backoff with full jitter, `Retry-After` honoured.

/// Automatic retries of a request the server did not accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Backoff before the first retry (before jitter).
    pub base_ms: u64,
    /// Longest backoff (before jitter).
    pub cap_ms: u64,
    /// A `Retry-After` longer than this is left to the visitor.
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_ms: 500,
            cap_ms: 8_000,
            max_retry_after_ms: 30_000,
        }
    }
}

impl RetryPolicy {
    /// Wait before retry number `retries_done + 1`, or `None` to give up.
    /// `random01` is a uniform random number in [0, 1).
    pub fn delay_ms(
        &self,
        retries_done: u32,
        retry_after_s: Option<u64>,
        random01: f64,
    ) -> Option<u64> {
        if retries_done >= self.max_retries {
            return None;
        }
        let random01 = random01.clamp(0.0, 1.0);
        if let Some(seconds) = retry_after_s {
            let ms = seconds.saturating_mul(1000);
            // Never earlier than asked; a little spread so clients that were
            // told the same moment do not all come back at once.
            return (ms <= self.max_retry_after_ms).then(|| ms + (random01 * 250.0) as u64);
        }
        let ceiling = self
            .base_ms
            .saturating_mul(1u64 << retries_done.min(20))
            .min(self.cap_ms);
        Some((random01 * ceiling as f64) as u64)
    }
}

/// Seconds to wait from a `Retry-After` value: delta-seconds or an HTTP date
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) compared with `now_unix_s`.
pub fn parse_retry_after(value: &str, now_unix_s: u64) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds);
    }
    let at = parse_http_date(value)?;
    Some(at.saturating_sub(now_unix_s))
}

/// Unix seconds of an IMF-fixdate.
fn parse_http_date(value: &str) -> Option<u64> {
    let mut words = value.split_whitespace();
    let _weekday = words.next()?;
    let day: u64 = words.next()?.parse().ok()?;
    let month = match words.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = words.next()?.parse().ok()?;
    let mut clock = words.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (clock.next()??, clock.next()??, clock.next()??);
    if words.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + (h * 3600 + m * 60 + s) as i64).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_ms(0, None, 0.999_999), Some(499));
        assert_eq!(p.delay_ms(1, None, 0.999_999), Some(999));
        assert_eq!(p.delay_ms(2, None, 0.5), Some(1000));
        assert_eq!(p.delay_ms(0, None, 0.0), Some(0));
        let capped = RetryPolicy {
            max_retries: 10,
            ..p
        };
        assert_eq!(capped.delay_ms(9, None, 0.999_999), Some(7999));
        assert_eq!(p.delay_ms(3, None, 0.5), None, "gives up after max_retries");
    }

    #[test]
    fn retry_after_is_never_shortened_and_long_ones_are_left_to_the_user() {
        let p = RetryPolicy::default();
        let d = p.delay_ms(0, Some(2), 0.7).unwrap();
        assert!((2000..2250).contains(&d), "{d}");
        assert_eq!(p.delay_ms(0, Some(31), 0.0), None);
    }

    #[test]
    fn retry_after_values() {
        assert_eq!(parse_retry_after(" 7 ", 0), Some(7));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_770),
            Some(7)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_800),
            Some(0)
        );
        assert_eq!(parse_retry_after("soon", 0), None);
        assert_eq!(parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", 0), None);
    }
}
