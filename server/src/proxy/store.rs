//! `--rate-limit-store redis://...`: rate limits shared by every replica,
//! as one GCRA step per request in a Lua script (atomic, on Redis' clock).
//! When Redis cannot be reached the proxy fails open to its local limits
//! and says so loudly in the log.

use super::limit::Key;
use super::log::LogSink;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Longest wait for Redis per request before limiting locally instead.
const CALL_TIMEOUT: Duration = Duration::from_millis(300);
/// After a failure, how long before trying to (re)connect again.
const RETRY_AFTER: Duration = Duration::from_secs(2);
/// At most one "store unreachable" log line per this period.
const LOG_EVERY: Duration = Duration::from_secs(30);

/// One GCRA step. KEYS[1]: the bucket; ARGV[1]: ms between requests;
/// ARGV[2]: burst tolerance in ms. Returns 0 (allowed) or the ms to wait.
/// Uses Redis' own clock, so replicas with skewed clocks agree.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - burst
if allow_at > now then
  return allow_at - now
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now + 1000)
return 0
";

/// What the store said.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit: wait this long.
    Wait(Duration),
    /// Redis could not answer: limit locally.
    Unavailable,
}

/// The shared store: a Redis URL and, once reached, a self-reconnecting
/// connection.
pub struct RedisStore {
    client: redis::Client,
    /// Host and port only (the URL may hold a password), for logs.
    pub display: String,
    conn: Mutex<Conn>,
    script: Script,
    log: LogSink,
    last_log: std::sync::Mutex<Option<Instant>>,
}

struct Conn {
    manager: Option<ConnectionManager>,
    failed_at: Option<Instant>,
}

impl RedisStore {
    /// Parses `url` (`redis://[user:pass@]host[:port][/db]`); connects lazily.
    pub fn new(url: &str, log: LogSink) -> Result<Self, String> {
        if !url.starts_with("redis://") {
            return Err(format!(
                "--rate-limit-store must be a redis://host:port URL, not {:?}",
                url.split('@').next_back().unwrap_or("")
            ));
        }
        let client = redis::Client::open(url)
            .map_err(|e| format!("--rate-limit-store is not a valid Redis URL: {e}"))?;
        let info = client.get_connection_info();
        let display = format!("redis://{}", info.addr());
        Ok(Self {
            client,
            display,
            conn: Mutex::new(Conn {
                manager: None,
                failed_at: None,
            }),
            script: Script::new(GCRA),
            log,
            last_log: std::sync::Mutex::new(None),
        })
    }

    /// One request against bucket `name`/`key` at `per_minute`.
    pub async fn take(&self, name: &str, key: Key, per_minute: u32) -> Verdict {
        if per_minute == 0 {
            return Verdict::Allowed;
        }
        let interval = 60_000 / u64::from(per_minute);
        let burst = 60_000 - interval;
        let Some(mut manager) = self.manager().await else {
            return Verdict::Unavailable;
        };
        let bucket = format!("lyzr-proxy:rl:{name}:{}", key.hex());
        let mut invocation = self.script.key(bucket);
        invocation.arg(interval).arg(burst);
        let call = invocation.invoke_async::<u64>(&mut manager);
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(Ok(0)) => Verdict::Allowed,
            Ok(Ok(ms)) => Verdict::Wait(Duration::from_millis(ms)),
            Ok(Err(e)) => {
                self.failed(&e.to_string()).await;
                Verdict::Unavailable
            }
            Err(_) => {
                self.failed("no answer within 300 ms").await;
                Verdict::Unavailable
            }
        }
    }

    async fn manager(&self) -> Option<ConnectionManager> {
        let mut conn = self.conn.lock().await;
        // Just failed: limit locally for a moment rather than make every
        // request wait for a dead store.
        if conn.failed_at.is_some_and(|t| t.elapsed() < RETRY_AFTER) {
            return None;
        }
        if let Some(m) = &conn.manager {
            return Some(m.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        match ConnectionManager::new_with_config(self.client.clone(), config).await {
            Ok(m) => {
                conn.manager = Some(m.clone());
                conn.failed_at = None;
                self.log.in_scope(|| {
                    tracing::info!(
                        event = "rate_limit_store_connected",
                        store = self.display.as_str()
                    )
                });
                Some(m)
            }
            Err(e) => {
                conn.failed_at = Some(Instant::now());
                drop(conn);
                self.log_down(&e.to_string());
                None
            }
        }
    }

    async fn failed(&self, why: &str) {
        // The manager reconnects by itself; only note the failure.
        self.conn.lock().await.failed_at = Some(Instant::now());
        self.log_down(why);
    }

    fn log_down(&self, why: &str) {
        let mut last = self.last_log.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|t| t.elapsed() < LOG_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        self.log.in_scope(|| {
            tracing::error!(
                event = "rate_limit_store_unreachable",
                store = self.display.as_str(),
                error = why,
                consequence = "FAILING OPEN: rate limits are per replica until the store is back",
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_redis_urls_and_no_password_in_display() {
        assert!(RedisStore::new("http://x", LogSink::stderr()).is_err());
        let s = RedisStore::new("redis://user:hunter2@10.0.0.5:6380/0", LogSink::stderr()).unwrap();
        assert!(!s.display.contains("hunter2"), "{}", s.display);
        assert!(s.display.contains("10.0.0.5"), "{}", s.display);
    }
}
