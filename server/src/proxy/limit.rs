//! Abuse limits: rate-limit buckets keyed by fixed-size hashes (client
//! network, user id) with a hard cap on how many are kept, and finding the
//! client's IP behind trusted load balancers.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Buckets kept at most per limiter unless told otherwise.
pub const DEFAULT_MAX_BUCKETS: usize = 100_000;

/// A rate-limit key: the first 16 bytes of SHA-256 of what it stands for,
/// so a bucket costs the same whether the user id is 3 bytes or 63 KB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key([u8; 16]);

impl Key {
    /// The key of `parts`, each length-prefixed so `("ab","c")` and
    /// `("a","bc")` differ.
    pub fn of(parts: &[&[u8]]) -> Self {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_be_bytes());
            h.update(p);
        }
        let digest = h.finalize();
        let mut k = [0u8; 16];
        k.copy_from_slice(&digest[..16]);
        Key(k)
    }

    /// The key of a client address: IPv4 as is, IPv6 by its /64 (one
    /// customer's network hands out a whole /64; each address in it is the
    /// same client). IPv4-mapped IPv6 addresses count as IPv4.
    pub fn of_ip(ip: IpAddr) -> Self {
        match normalize_ip(ip) {
            IpAddr::V4(v4) => Key::of(&[b"v4", &v4.octets()]),
            IpAddr::V6(v6) => Key::of(&[b"v6/64", &v6.octets()[..8]]),
        }
    }

    /// Hex of the key, for a shared store.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// `::ffff:a.b.c.d` as `a.b.c.d`; other addresses unchanged.
pub fn normalize_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// `per_minute` requests per key per minute, in bursts of up to
/// `per_minute` (GCRA: one "theoretical arrival time" per key). State lives
/// in this process only; see `store` for the shared one.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    max_buckets: usize,
    buckets: Mutex<HashMap<Key, Instant>>,
}

impl RateLimiter {
    /// `per_minute == 0` turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        Self::with_max_buckets(per_minute, DEFAULT_MAX_BUCKETS)
    }

    /// As `new`, keeping at most `max_buckets` buckets.
    pub fn with_max_buckets(per_minute: u32, max_buckets: usize) -> Self {
        Self {
            per_minute,
            max_buckets: max_buckets.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Buckets held now.
    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes one request for `key` at `now`; when over the limit, how long
    /// until the next one is allowed (at least a second).
    pub fn take(&self, key: Key, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let interval = Duration::from_secs(60) / self.per_minute;
        let burst = Duration::from_secs(60) - interval;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= self.max_buckets && !buckets.contains_key(&key) {
            // A bucket whose arrival time has passed is full: forgetting it
            // changes nothing. If all are busy, forget some anyway: memory
            // stays bounded; those clients merely start over.
            buckets.retain(|_, tat| *tat > now);
            if buckets.len() >= self.max_buckets {
                let drop = buckets.len() - self.max_buckets * 9 / 10;
                let victims: Vec<Key> = buckets.keys().take(drop).copied().collect();
                for k in victims {
                    buckets.remove(&k);
                }
            }
        }
        let tat = buckets.get(&key).copied().unwrap_or(now).max(now);
        let allow_at = tat.checked_sub(burst).unwrap_or(now);
        if allow_at > now {
            let wait = allow_at - now;
            return Err(Duration::from_secs(
                wait.as_secs_f64().ceil().max(1.0) as u64
            ));
        }
        buckets.insert(key, tat + interval);
        Ok(())
    }
}

/// Counts open connections overall and per client network, refusing past
/// the caps; a [`ConnPermit`] gives its place back when dropped.
#[derive(Debug)]
pub struct ConnLimits {
    max_total: usize,
    max_per_ip: usize,
    state: Mutex<(usize, HashMap<Key, usize>)>,
}

/// One open connection, counted until dropped.
#[derive(Debug)]
pub struct ConnPermit {
    limits: Arc<ConnLimits>,
    key: Option<Key>,
}

impl ConnLimits {
    /// 0 turns a cap off.
    pub fn new(max_total: usize, max_per_ip: usize) -> Self {
        Self {
            max_total,
            max_per_ip,
            state: Mutex::new((0, HashMap::new())),
        }
    }

    /// A place for a connection from `ip` (`None`: not counted per IP, e.g.
    /// a trusted load balancer), or why not.
    pub fn acquire_owned(self: Arc<Self>, ip: Option<IpAddr>) -> Result<ConnPermit, &'static str> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if self.max_total > 0 && s.0 >= self.max_total {
            return Err("too many open connections");
        }
        let key = ip.map(Key::of_ip);
        if let Some(k) = key {
            let n = s.1.get(&k).copied().unwrap_or(0);
            if self.max_per_ip > 0 && n >= self.max_per_ip {
                return Err("too many open connections from this client");
            }
            s.1.insert(k, n + 1);
        }
        s.0 += 1;
        drop(s);
        Ok(ConnPermit { limits: self, key })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0
    }
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        let mut s = self.limits.state.lock().unwrap_or_else(|e| e.into_inner());
        s.0 = s.0.saturating_sub(1);
        if let Some(k) = self.key {
            if let Some(n) = s.1.get_mut(&k) {
                *n -= 1;
                if *n == 0 {
                    s.1.remove(&k);
                }
            }
        }
    }
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:443` (quotes allowed), normalised.
pub fn parse_forwarded_entry(entry: &str) -> Option<IpAddr> {
    let e = entry.trim().trim_matches('"');
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(normalize_ip(ip));
    }
    if let Ok(sa) = e.parse::<SocketAddr>() {
        return Some(normalize_ip(sa.ip()));
    }
    if let Some(inner) = e.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner
            .parse::<Ipv6Addr>()
            .ok()
            .map(|v6| normalize_ip(IpAddr::V6(v6)));
    }
    None
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy,
/// in which case `X-Forwarded-For` is read right to left, skipping trusted
/// hops, and the first other address is the client (entries further left
/// are the client's own claims and are never read). An entry that cannot be
/// parsed before the client is found ends the walk at the last trusted hop.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = normalize_ip(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| normalize_ip(*t) == ip);
    if !is_trusted(peer) {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|t| t.split(','))
        .collect();
    let mut client = peer;
    for entry in entries.into_iter().rev() {
        match parse_forwarded_entry(entry) {
            Some(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn k(s: &str) -> Key {
        Key::of(&[s.as_bytes()])
    }

    #[test]
    fn bucket_refuses_past_the_limit_then_refills() {
        let limiter = RateLimiter::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take(k("a"), t0).is_ok());
        }
        let wait = limiter.take(k("a"), t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20), "3/min: one every 20 s");
        assert!(limiter.take(k("b"), t0).is_ok(), "keys are separate");
        assert!(limiter.take(k("a"), t0 + Duration::from_secs(20)).is_ok());
        assert!(limiter.take(k("a"), t0 + Duration::from_secs(20)).is_err());
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = RateLimiter::new(0);
        let now = Instant::now();
        assert!((0..1000).all(|_| limiter.take(k("a"), now).is_ok()));
    }

    #[test]
    fn keys_are_length_prefixed() {
        assert_ne!(Key::of(&[b"ab", b"c"]), Key::of(&[b"a", b"bc"]));
    }

    /// Finding 7: 3,000 distinct 63 KB user ids. Keys are 16 bytes whatever
    /// the id, and the map never holds more than its cap, however busy.
    #[test]
    fn finding_07_bucket_memory_is_bounded() {
        let limiter = RateLimiter::with_max_buckets(20, 1000);
        let now = Instant::now();
        let mut big = vec![b'u'; 63 * 1024];
        for i in 0..3000u32 {
            big[..4].copy_from_slice(&i.to_be_bytes());
            let key = Key::of(&[b"agent", &big]);
            assert!(limiter.take(key, now).is_ok(), "a fresh user is allowed");
            assert!(limiter.len() <= 1000, "cap held at {i}: {}", limiter.len());
        }
        assert!(limiter.len() >= 900, "kept most: {}", limiter.len());
        assert_eq!(std::mem::size_of::<Key>(), 16);
    }

    #[test]
    fn finding_07_ipv6_is_bucketed_by_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Key::of_ip(a), Key::of_ip(b), "same /64");
        assert_ne!(Key::of_ip(a), Key::of_ip(c), "another /64");
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(Key::of_ip(mapped), Key::of_ip(v4));
        assert_ne!(
            Key::of_ip("10.0.0.1".parse().unwrap()),
            Key::of_ip("10.0.0.2".parse().unwrap())
        );
    }

    #[test]
    fn connection_caps_count_and_release() {
        let limits = Arc::new(ConnLimits::new(3, 2));
        let get = |ip: &str| limits.clone().acquire_owned(Some(ip.parse().unwrap()));
        let p1 = get("1.1.1.1").unwrap();
        let _p2 = get("1.1.1.1").unwrap();
        assert!(get("1.1.1.1").is_err(), "per-IP cap");
        let _p3 = get("2.2.2.2").unwrap();
        assert!(get("2.2.2.2").is_err(), "overall cap");
        drop(p1);
        assert_eq!(limits.open(), 2);
        let _p4 = get("1.1.1.1").unwrap();
        assert!(
            limits.clone().acquire_owned(None).is_err(),
            "the overall cap counts exempt peers too"
        );
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

    #[test]
    fn finding_12_forwarded_for_right_to_left_ports_and_mapped() {
        let lb: IpAddr = "10.0.0.1".parse().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let mut h = HeaderMap::new();
        let mut with = |v: &'static str| {
            h.insert("x-forwarded-for", HeaderValue::from_static(v));
            client_ip(lb, &h, &[lb])
        };
        assert_eq!(with("garbage, 1.2.3.4"), ip("1.2.3.4"), "junk on the left");
        assert_eq!(with("1.2.3.4:5678"), ip("1.2.3.4"), "Azure ip:port");
        assert_eq!(with("[2001:db8::7]:443"), ip("2001:db8::7"));
        assert_eq!(with("::ffff:1.2.3.4"), ip("1.2.3.4"));
        assert_eq!(
            with("6.6.6.6, 1.2.3.4, 10.0.0.1"),
            ip("1.2.3.4"),
            "trusted hops skipped"
        );
        // `--listen [::]`: the load balancer appears IPv4-mapped.
        let mapped_lb = ip("::ffff:10.0.0.1");
        h.insert("x-forwarded-for", HeaderValue::from_static("5.5.5.5"));
        assert_eq!(client_ip(mapped_lb, &h, &[lb]), ip("5.5.5.5"));
        assert_eq!(
            client_ip(ip("::ffff:9.9.9.9"), &h, &[lb]),
            ip("9.9.9.9"),
            "an untrusted mapped peer is reported as IPv4"
        );
    }
}
