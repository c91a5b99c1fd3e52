//! Abuse limits: token-bucket rate limits per key (client IP, user id), and
//! finding the client's IP behind trusted load balancers.

use axum::http::HeaderMap;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept at most; past it, full (idle) buckets are forgotten.
const MAX_BUCKETS: usize = 100_000;

/// `per_minute` requests per key per minute, in bursts of up to `per_minute`.
/// State lives in this process only.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// `per_minute == 0` turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request for `key` at `now`; when over the limit, how long
    /// until the next one is allowed (at least a second).
    pub fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_sec = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.last).as_secs_f64() * per_sec < capacity
            });
        }
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: capacity,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_sec).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / per_sec).ceil().max(1.0);
            Err(Duration::from_secs(wait as u64))
        }
    }
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy,
/// in which case the right-most `X-Forwarded-For` entry that is not itself
/// a trusted proxy (entries further left are the client's own claims).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut chain: Vec<IpAddr> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(text) = value.to_str() else {
            return peer;
        };
        for part in text.split(',') {
            match part.trim().parse() {
                Ok(ip) => chain.push(ip),
                Err(_) => return peer,
            }
        }
    }
    let mut client = peer;
    for ip in chain.into_iter().rev() {
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bucket_refuses_past_the_limit_then_refills() {
        let limiter = RateLimiter::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take("a", t0).is_ok());
        }
        let wait = limiter.take("a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20), "3/min: one every 20 s");
        assert!(limiter.take("b", t0).is_ok(), "keys are separate");
        assert!(limiter.take("a", t0 + Duration::from_secs(20)).is_ok());
        assert!(limiter.take("a", t0 + Duration::from_secs(20)).is_err());
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = RateLimiter::new(0);
        let now = Instant::now();
        assert!((0..1000).all(|_| limiter.take("a", now).is_ok()));
    }

    #[test]
    fn forwarded_for_only_from_trusted_peers() {
        let lb: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.9".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, 2.2.2.2"),
        );
        assert_eq!(
            client_ip(other, &h, &[lb]),
            other,
            "untrusted peer: XFF ignored"
        );
        assert_eq!(
            client_ip(lb, &h, &[lb]),
            "2.2.2.2".parse::<IpAddr>().unwrap(),
            "right-most entry: the left ones are the client's claims"
        );
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, 10.0.0.1"),
        );
        assert_eq!(
            client_ip(lb, &h, &[lb]),
            "1.1.1.1".parse::<IpAddr>().unwrap()
        );
        h.insert("x-forwarded-for", HeaderValue::from_static("garbage"));
        assert_eq!(client_ip(lb, &h, &[lb]), lb);
    }
}
