//! The proxy's settings: command-line flags, environment variables and the
//! optional TOML config file, merged (flag > env > file > default) and checked.

use super::log::LogSink;
use super::origin::normalize_origin;
use clap::Args;
use hyper::Uri;
use serde::Deserialize;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variable holding the Lyzr account key: the only way to give it.
pub const API_KEY_ENV: &str = "LYZR_API_KEY";

/// Where the proxy listens unless told otherwise (loopback; put it behind
/// your TLS terminator, or pass `--listen 0.0.0.0:8788`).
pub const DEFAULT_PROXY_LISTEN: &str = "127.0.0.1:8788";
/// Lyzr's production Agent API.
pub const DEFAULT_UPSTREAM: &str = "https://agent-prod.studio.lyzr.ai";
const DEFAULT_MAX_BODY: usize = 64 * 1024;
const DEFAULT_MAX_UPLOAD: usize = 10 * 1024 * 1024;
const DEFAULT_RATE_PER_IP: u32 = 60;
const DEFAULT_RATE_PER_USER: u32 = 20;
const DEFAULT_CONNECT_TIMEOUT: u64 = 10;
const DEFAULT_UPSTREAM_TIMEOUT: u64 = 300;

/// A secret string: shown as `[redacted]` by `Debug`, so it never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Everything the proxy needs, checked.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub listen: SocketAddr,
    /// Base URL of the Lyzr API (scheme, host, optional path prefix).
    pub upstream: Uri,
    /// The account key, sent upstream as `x-api-key`.
    pub api_key: Secret,
    /// Exact origins (`https://example.com`) whose pages may call the proxy.
    pub allow_origins: Vec<String>,
    /// Agent ids the proxy forwards for.
    pub allow_agents: Vec<String>,
    /// Public widget keys; when any is set, calls must carry one in `x-api-key`.
    pub widget_keys: Vec<Secret>,
    /// Largest JSON body (chat, stream), bytes.
    pub max_body: usize,
    /// Largest multipart upload, bytes.
    pub max_upload: usize,
    /// Requests per minute per client IP (0: no limit).
    pub rate_per_ip: u32,
    /// Chat/stream messages per minute per `user_id` (0: no limit).
    pub rate_per_user: u32,
    /// Peers whose `X-Forwarded-For` is believed (your load balancers).
    pub trust_proxies: Vec<IpAddr>,
    pub connect_timeout: Duration,
    /// Longest a whole upstream exchange may take, stream included.
    pub upstream_timeout: Duration,
    /// Asset uploads per minute per client (0: no limit).
    pub rate_upload: u32,
    /// Longest wait for a request's headers (and idle keep-alive).
    pub header_timeout: Duration,
    /// Longest wait for a whole request body.
    pub body_timeout: Duration,
    /// How long a shutdown lets requests and streams in flight finish.
    pub drain_timeout: Duration,
    /// Open connections at most (0: no cap).
    pub max_connections: usize,
    /// Open connections at most per client address or IPv6 /64 (0: no cap).
    pub max_connections_per_ip: usize,
    /// Forward history reads.
    pub allow_history: bool,
    /// Forward asset uploads.
    pub allow_upload: bool,
    /// Chat/stream body fields forwarded; any other is refused.
    pub allow_fields: Vec<String>,
    /// `features` sent with every chat/stream call instead of the page's.
    pub fixed_features: Option<serde_json::Value>,
    /// Names a page may set in `system_prompt_variables`/`filter_variables`.
    pub allow_variables: Vec<String>,
    /// `redis://...` to share rate limits between replicas; `None`: in memory.
    pub rate_limit_store: Option<String>,
    /// Base URL of Lyzr's events WebSocket service.
    pub events_upstream: Uri,
    /// A relayed event socket with no frame either way for this long is closed.
    pub ws_idle_timeout: Duration,
    /// Log request bodies (message contents). Off by default.
    pub log_bodies: bool,
    /// Where log lines go (stderr in the binary; memory in tests).
    pub log: LogSink,
}

impl ProxyConfig {
    /// A config with the defaults, for `upstream` with `api_key`, allowing
    /// `origins` and `agents` (how tests and embedders build one).
    pub fn new(
        upstream: &str,
        api_key: &str,
        origins: &[&str],
        agents: &[&str],
    ) -> Result<Self, String> {
        Ok(Self {
            listen: DEFAULT_PROXY_LISTEN
                .parse()
                .expect("default listen address"),
            upstream: parse_upstream(upstream)?,
            api_key: Secret::new(api_key),
            allow_origins: origins
                .iter()
                .map(|o| normalize_origin(o))
                .collect::<Result<_, _>>()?,
            allow_agents: agents.iter().map(|a| a.to_string()).collect(),
            widget_keys: Vec::new(),
            max_body: DEFAULT_MAX_BODY,
            max_upload: DEFAULT_MAX_UPLOAD,
            rate_per_ip: DEFAULT_RATE_PER_IP,
            rate_per_user: DEFAULT_RATE_PER_USER,
            trust_proxies: Vec::new(),
            connect_timeout: Duration::from_secs(DEFAULT_CONNECT_TIMEOUT),
            upstream_timeout: Duration::from_secs(DEFAULT_UPSTREAM_TIMEOUT),
            rate_upload: DEFAULT_RATE_UPLOAD,
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT),
            body_timeout: Duration::from_secs(DEFAULT_BODY_TIMEOUT),
            drain_timeout: Duration::from_secs(DEFAULT_DRAIN_TIMEOUT),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            allow_history: true,
            allow_upload: true,
            allow_fields: DEFAULT_ALLOWED_FIELDS
                .iter()
                .map(|f| f.to_string())
                .collect(),
            fixed_features: None,
            allow_variables: Vec::new(),
            rate_limit_store: None,
            events_upstream: super::events::parse_events_upstream(
                super::events::DEFAULT_EVENTS_UPSTREAM,
            )?,
            ws_idle_timeout: Duration::from_secs(DEFAULT_WS_IDLE_TIMEOUT),
            log_bodies: false,
            log: LogSink::stderr(),
        })
    }
}

/// `lyzr-chat-server proxy`: the one settings struct. Clap reads it from
/// flags (each also from an environment variable), serde from the TOML file
/// (keys named like the flags, with `_`); [`ProxyArgs::resolve`] merges the
/// two (flag > env > file > default). The account key is read only from
/// `LYZR_API_KEY`.
#[derive(Debug, Default, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxyArgs {
    /// TOML file with any of the settings below (keys named like the flags,
    /// with `_`: `upstream`, `allow_origins = [...]`, `rate_per_ip`, ...).
    /// Flags and environment variables override it.
    #[arg(long, value_name = "FILE", env = "LYZR_PROXY_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Address to listen on [default: 127.0.0.1:8788].
    #[arg(long, value_name = "ADDR", env = "LYZR_PROXY_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// Base URL of the Lyzr API the proxy forwards to
    /// [default: https://agent-prod.studio.lyzr.ai].
    #[arg(long, value_name = "URL", env = "LYZR_PROXY_UPSTREAM")]
    pub upstream: Option<String>,

    /// Origin allowed to call the proxy, exactly as the browser sends it
    /// (`https://example.com`, no path). Repeat for several; required.
    #[arg(
        long = "allow-origin",
        value_name = "ORIGIN",
        env = "LYZR_PROXY_ALLOW_ORIGINS",
        value_delimiter = ','
    )]
    pub allow_origins: Vec<String>,

    /// Agent id the proxy forwards for; any other gets 403. Repeat for
    /// several; required.
    #[arg(
        long = "allow-agent",
        value_name = "ID",
        env = "LYZR_PROXY_ALLOW_AGENTS",
        value_delimiter = ','
    )]
    pub allow_agents: Vec<String>,

    /// Public widget key: when any is given, every call must carry one in
    /// `x-api-key` (the widget's `apiKey` option); the proxy replaces it with
    /// the real key. Repeat to rotate (old and new both valid meanwhile).
    #[arg(
        long = "widget-key",
        value_name = "KEY",
        env = "LYZR_PROXY_WIDGET_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub widget_keys: Vec<String>,

    /// Largest chat/stream/stop JSON body in bytes; larger gets 413 [default: 65536].
    #[arg(long, value_name = "BYTES", env = "LYZR_PROXY_MAX_BODY")]
    pub max_body: Option<usize>,

    /// Largest asset upload in bytes; larger gets 413 [default: 10485760].
    #[arg(long, value_name = "BYTES", env = "LYZR_PROXY_MAX_UPLOAD")]
    pub max_upload: Option<usize>,

    /// Requests per minute from one client (an IPv4 address or an IPv6
    /// /64), 0 for no limit; past it 429 with Retry-After [default: 60].
    #[arg(long, value_name = "N", env = "LYZR_PROXY_RATE_PER_IP")]
    pub rate_per_ip: Option<u32>,

    /// Chat/stream messages per minute per agent_id + user_id, 0 for no
    /// limit [default: 20].
    #[arg(long, value_name = "N", env = "LYZR_PROXY_RATE_PER_USER")]
    pub rate_per_user: Option<u32>,

    /// Asset uploads per minute from one client, on top of --rate-per-ip,
    /// 0 for no limit [default: 10].
    #[arg(long, value_name = "N", env = "LYZR_PROXY_RATE_UPLOAD")]
    pub rate_upload: Option<u32>,

    /// IP of a load balancer or reverse proxy in front of this one: only
    /// from these is X-Forwarded-For believed. Repeatable.
    #[arg(
        long = "trust-proxy",
        value_name = "IP",
        env = "LYZR_PROXY_TRUST_PROXIES",
        value_delimiter = ','
    )]
    pub trust_proxies: Vec<IpAddr>,

    /// Seconds to wait for a connection to the upstream; then 504 [default: 10].
    #[arg(long, value_name = "SECS", env = "LYZR_PROXY_CONNECT_TIMEOUT")]
    pub connect_timeout: Option<u64>,

    /// Seconds one upstream exchange may take in all, stream included; a
    /// reply not started by then gets 504, a stream is cut [default: 300].
    #[arg(long, value_name = "SECS", env = "LYZR_PROXY_UPSTREAM_TIMEOUT")]
    pub upstream_timeout: Option<u64>,

    /// Seconds a client may take to send a request's headers (also how long
    /// an idle keep-alive connection is kept); then the connection is
    /// closed [default: 10].
    #[arg(long, value_name = "SECS", env = "LYZR_PROXY_HEADER_TIMEOUT")]
    pub header_timeout: Option<u64>,

    /// Seconds a client may take to send a whole request body; then 408
    /// and the connection is closed [default: 30].
    #[arg(long, value_name = "SECS", env = "LYZR_PROXY_BODY_TIMEOUT")]
    pub body_timeout: Option<u64>,

    /// Seconds a shutdown (SIGTERM, Ctrl-C) lets requests and streams in
    /// flight finish before it cuts them; 0 cuts them at once [default: 30].
    #[arg(long, value_name = "SECS", env = "LYZR_PROXY_DRAIN_TIMEOUT")]
    pub drain_timeout: Option<u64>,

    /// Open connections at most, 0 for no cap; past it new ones are closed
    /// at once [default: 1024].
    #[arg(long, value_name = "N", env = "LYZR_PROXY_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,

    /// Open connections (WebSockets included) at most from one client
    /// address (IPv6: per /64); trusted proxies are exempt; 0 for no cap
    /// [default: 32].
    #[arg(long, value_name = "N", env = "LYZR_PROXY_MAX_CONNECTIONS_PER_IP")]
    pub max_connections_per_ip: Option<usize>,

    /// Forward history reads (`GET /v1/sessions/{id}/history`): true or
    /// false [default: true].
    #[arg(long, value_name = "BOOL", env = "LYZR_PROXY_ALLOW_HISTORY",
          num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_history: Option<bool>,

    /// Forward asset uploads (`POST /v3/assets/upload?agent_id=ID`): true
    /// or false [default: true].
    #[arg(long, value_name = "BOOL", env = "LYZR_PROXY_ALLOW_UPLOAD",
          num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_upload: Option<bool>,

    /// A chat/stream body field forwarded upstream; a body with any other
    /// field gets 403. Repeatable [default: user_id, agent_id, session_id,
    /// message, system_prompt_variables, filter_variables, features, assets].
    #[arg(
        long = "allow-field",
        value_name = "NAME",
        env = "LYZR_PROXY_ALLOW_FIELDS",
        value_delimiter = ','
    )]
    pub allow_fields: Vec<String>,

    /// JSON array of `features` the proxy sends with every chat/stream
    /// call, replacing whatever the page sent [default: the page's].
    #[arg(long, value_name = "JSON", env = "LYZR_PROXY_FIXED_FEATURES")]
    pub fixed_features: Option<String>,

    /// A name the page may set in `system_prompt_variables` or
    /// `filter_variables`; any other gets 403. Repeatable [default: none].
    #[arg(
        long = "allow-variables",
        value_name = "NAME",
        env = "LYZR_PROXY_ALLOW_VARIABLES",
        value_delimiter = ',',
        num_args = 1..
    )]
    pub allow_variables: Vec<String>,

    /// `redis://[user:pass@]host[:port]`: share the rate limits with every
    /// replica using the same Redis; if it is unreachable the proxy limits
    /// locally and logs an error [default: in memory, per process].
    #[arg(
        long,
        value_name = "URL",
        env = "LYZR_PROXY_RATE_LIMIT_STORE",
        hide_env_values = true
    )]
    pub rate_limit_store: Option<String>,

    /// Base URL of Lyzr's agent-activity WebSocket service; the proxy opens
    /// `{URL}/ws/{session_id}?x-api-key=KEY` for `GET /v3/events/{session_id}`
    /// [default: wss://metrics.studio.lyzr.ai].
    #[arg(long, value_name = "URL", env = "LYZR_PROXY_EVENTS_UPSTREAM")]
    pub events_upstream: Option<String>,

    /// Seconds an event socket may carry no frame either way; then it is
    /// closed [default: 60].
    #[arg(long, value_name = "SECS", env = "LYZR_PROXY_WS_IDLE_TIMEOUT")]
    pub ws_idle_timeout: Option<u64>,

    /// Also log request bodies (visitors' messages). Off by default.
    #[arg(long, value_name = "BOOL", env = "LYZR_PROXY_LOG_BODIES",
          num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub log_bodies: Option<bool>,
}

/// The seed spec's chat/stream body fields: forwarded unless `--allow-field`
/// says otherwise.
pub const DEFAULT_ALLOWED_FIELDS: &[&str] = &[
    "user_id",
    "agent_id",
    "session_id",
    "message",
    "system_prompt_variables",
    "filter_variables",
    "features",
    "assets",
];
const DEFAULT_RATE_UPLOAD: u32 = 10;
const DEFAULT_HEADER_TIMEOUT: u64 = 10;
const DEFAULT_BODY_TIMEOUT: u64 = 30;
const DEFAULT_DRAIN_TIMEOUT: u64 = 30;
const DEFAULT_MAX_CONNECTIONS: usize = 1024;
const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 32;
const DEFAULT_WS_IDLE_TIMEOUT: u64 = 60;

fn read_file(path: &Path) -> Result<ProxyArgs, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|e| format!("config file {} is not valid TOML: {e}", path.display()))?;
    if table.contains_key("api_key") || table.contains_key("lyzr_api_key") {
        return Err(format!(
            "config file {} holds an api key: remove it; the key is read only from the {API_KEY_ENV} environment variable",
            path.display()
        ));
    }
    table
        .try_into()
        .map_err(|e| format!("config file {}: {e}", path.display()))
}

fn or_file<T>(flag: Vec<T>, file: Vec<T>) -> Vec<T> {
    if flag.is_empty() {
        file
    } else {
        flag
    }
}

fn secs(name: &str, v: u64) -> Result<Duration, String> {
    if v == 0 {
        return Err(format!("--{name} must be at least 1 second"));
    }
    Ok(Duration::from_secs(v))
}

impl ProxyArgs {
    /// Merges flags/env with the config file and defaults; `api_key` is the
    /// value of `LYZR_API_KEY`. Errors say what to change.
    pub fn resolve(self, api_key: Option<String>) -> Result<ProxyConfig, String> {
        let api_key = match api_key {
            Some(k) if !k.trim().is_empty() => k.trim().to_string(),
            _ => {
                return Err(format!(
                    "{API_KEY_ENV} is not set: export your Lyzr API key in the environment \
                     (e.g. `{API_KEY_ENV}=... lyzr-chat-server proxy ...`); it is never taken from a flag or file"
                ))
            }
        };
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None => ProxyArgs::default(),
        };
        let upstream = self
            .upstream
            .or(file.upstream)
            .unwrap_or_else(|| DEFAULT_UPSTREAM.to_string());
        let origins = or_file(self.allow_origins, file.allow_origins);
        let agents = or_file(self.allow_agents, file.allow_agents);
        if origins.is_empty() {
            return Err(
                "no allowed origin: pass --allow-origin https://your-site.example \
                 (the origin of the pages that embed the widget), once per site"
                    .into(),
            );
        }
        let agents: Vec<String> = agents
            .into_iter()
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect();
        if agents.is_empty() {
            return Err(
                "no allowed agent: pass --allow-agent AGENT_ID for each agent the widget may use"
                    .into(),
            );
        }
        if let Some(bad) = agents.iter().find(|a| {
            !a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        }) {
            return Err(format!(
                "--allow-agent {bad:?}: agent ids hold only A-Z a-z 0-9 _ -"
            ));
        }
        let origin_refs: Vec<&str> = origins.iter().map(String::as_str).collect();
        let agent_refs: Vec<&str> = agents.iter().map(String::as_str).collect();
        let mut config = ProxyConfig::new(&upstream, &api_key, &origin_refs, &agent_refs)?;
        if let Some(listen) = self.listen.or(file.listen) {
            config.listen = listen;
        }
        config.widget_keys = or_file(self.widget_keys, file.widget_keys)
            .into_iter()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .map(Secret::new)
            .collect();
        if config.widget_keys.iter().any(|k| k.expose() == api_key) {
            return Err(
                "a --widget-key equals LYZR_API_KEY: widget keys are public, use a different value"
                    .into(),
            );
        }
        config.max_body = self.max_body.or(file.max_body).unwrap_or(DEFAULT_MAX_BODY);
        config.max_upload = self
            .max_upload
            .or(file.max_upload)
            .unwrap_or(DEFAULT_MAX_UPLOAD);
        config.rate_per_ip = self
            .rate_per_ip
            .or(file.rate_per_ip)
            .unwrap_or(DEFAULT_RATE_PER_IP);
        config.rate_per_user = self
            .rate_per_user
            .or(file.rate_per_user)
            .unwrap_or(DEFAULT_RATE_PER_USER);
        config.rate_upload = self
            .rate_upload
            .or(file.rate_upload)
            .unwrap_or(DEFAULT_RATE_UPLOAD);
        config.trust_proxies = or_file(self.trust_proxies, file.trust_proxies);
        config.connect_timeout = secs(
            "connect-timeout",
            self.connect_timeout
                .or(file.connect_timeout)
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        )?;
        config.upstream_timeout = secs(
            "upstream-timeout",
            self.upstream_timeout
                .or(file.upstream_timeout)
                .unwrap_or(DEFAULT_UPSTREAM_TIMEOUT),
        )?;
        config.header_timeout = secs(
            "header-timeout",
            self.header_timeout
                .or(file.header_timeout)
                .unwrap_or(DEFAULT_HEADER_TIMEOUT),
        )?;
        config.body_timeout = secs(
            "body-timeout",
            self.body_timeout
                .or(file.body_timeout)
                .unwrap_or(DEFAULT_BODY_TIMEOUT),
        )?;
        config.drain_timeout = Duration::from_secs(
            self.drain_timeout
                .or(file.drain_timeout)
                .unwrap_or(DEFAULT_DRAIN_TIMEOUT),
        );
        config.max_connections = self
            .max_connections
            .or(file.max_connections)
            .unwrap_or(DEFAULT_MAX_CONNECTIONS);
        config.max_connections_per_ip = self
            .max_connections_per_ip
            .or(file.max_connections_per_ip)
            .unwrap_or(DEFAULT_MAX_CONNECTIONS_PER_IP);
        config.allow_history = self.allow_history.or(file.allow_history).unwrap_or(true);
        config.allow_upload = self.allow_upload.or(file.allow_upload).unwrap_or(true);
        let fields = or_file(self.allow_fields, file.allow_fields);
        if !fields.is_empty() {
            for required in ["user_id", "agent_id", "session_id", "message"] {
                if !fields.iter().any(|f| f == required) {
                    return Err(format!(
                        "--allow-field must include {required} (the API requires it)"
                    ));
                }
            }
            config.allow_fields = fields;
        }
        if let Some(text) = self.fixed_features.or(file.fixed_features) {
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("--fixed-features is not JSON: {e}"))?;
            if !v
                .as_array()
                .is_some_and(|a| a.iter().all(|f| f.is_object()))
            {
                return Err(
                    "--fixed-features must be a JSON array of feature objects, e.g. '[{\"type\":\"MEMORY\",\"config\":{},\"priority\":0}]'".into(),
                );
            }
            config.fixed_features = Some(v);
        }
        config.allow_variables = or_file(self.allow_variables, file.allow_variables);
        if let Some(url) = self.rate_limit_store.or(file.rate_limit_store) {
            super::store::RedisStore::new(&url, LogSink::stderr())?;
            config.rate_limit_store = Some(url);
        }
        if let Some(url) = self.events_upstream.or(file.events_upstream) {
            config.events_upstream = super::events::parse_events_upstream(&url)?;
        }
        config.ws_idle_timeout = secs(
            "ws-idle-timeout",
            self.ws_idle_timeout
                .or(file.ws_idle_timeout)
                .unwrap_or(DEFAULT_WS_IDLE_TIMEOUT),
        )?;
        config.log_bodies = self.log_bodies.or(file.log_bodies).unwrap_or(false);
        Ok(config)
    }
}

/// Checks the upstream base URL: http(s), a host, no query; a trailing `/`
/// is dropped so paths append cleanly.
pub fn parse_upstream(url: &str) -> Result<Uri, String> {
    let trimmed = url.trim().trim_end_matches('/');
    let uri: Uri = trimmed
        .parse()
        .map_err(|e| format!("--upstream {url:?} is not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => {
            return Err(format!(
                "--upstream {url:?} must start with https:// (or http:// for a local server)"
            ))
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("--upstream {url:?} has no host"));
    }
    if uri.query().is_some() {
        return Err(format!("--upstream {url:?} must not have a query string"));
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ProxyArgs,
    }

    fn args(list: &[&str]) -> ProxyArgs {
        Cli::try_parse_from(std::iter::once("proxy").chain(list.iter().copied()))
            .unwrap()
            .args
    }

    const MIN: &[&str] = &["--allow-origin", "https://a.example", "--allow-agent", "ag"];

    #[test]
    fn key_only_from_env() {
        let err = args(MIN).resolve(None).unwrap_err();
        assert!(err.contains("LYZR_API_KEY is not set"), "{err}");
        let err = args(MIN).resolve(Some("  ".into())).unwrap_err();
        assert!(err.contains("LYZR_API_KEY is not set"), "{err}");
        let c = args(MIN).resolve(Some("sk-1".into())).unwrap();
        assert_eq!(c.api_key.expose(), "sk-1");
        assert!(!format!("{c:?}").contains("sk-1"), "Debug redacts the key");
    }

    #[test]
    fn origins_and_agents_are_required() {
        let err = args(&["--allow-agent", "ag"])
            .resolve(Some("k".into()))
            .unwrap_err();
        assert!(err.contains("--allow-origin"), "{err}");
        let err = args(&["--allow-origin", "https://a.example"])
            .resolve(Some("k".into()))
            .unwrap_err();
        assert!(err.contains("--allow-agent"), "{err}");
    }

    #[test]
    fn file_fills_in_and_flags_win() {
        let dir = std::env::temp_dir().join(format!("lyzr-proxy-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("proxy.toml");
        std::fs::write(
            &path,
            "upstream = \"http://127.0.0.1:9\"\nallow_agents = [\"f1\", \"f2\"]\n\
             rate_per_ip = 7\nlisten = \"127.0.0.1:9999\"\n",
        )
        .unwrap();
        let p = path.to_str().unwrap();
        let c = args(&[
            "--config",
            p,
            "--allow-origin",
            "https://a.example",
            "--rate-per-ip",
            "9",
        ])
        .resolve(Some("k".into()))
        .unwrap();
        assert_eq!(c.allow_agents, ["f1", "f2"]);
        assert_eq!(c.rate_per_ip, 9, "the flag beats the file");
        assert_eq!(c.listen.to_string(), "127.0.0.1:9999");
        assert_eq!(c.upstream.to_string(), "http://127.0.0.1:9/");

        std::fs::write(&path, "api_key = \"x\"\n").unwrap();
        let err = args(&["--config", p])
            .resolve(Some("k".into()))
            .unwrap_err();
        assert!(err.contains("read only from the LYZR_API_KEY"), "{err}");
        std::fs::write(&path, "allow_agent = [\"typo\"]\n").unwrap();
        let err = args(&["--config", p])
            .resolve(Some("k".into()))
            .unwrap_err();
        assert!(err.contains("allow_agent"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn upstream_must_be_http_url() {
        assert!(parse_upstream("ftp://x").is_err());
        assert!(parse_upstream("https://x/?a=1").is_err());
        assert_eq!(
            parse_upstream("https://agent-prod.studio.lyzr.ai/")
                .unwrap()
                .to_string(),
            "https://agent-prod.studio.lyzr.ai/"
        );
    }

    #[test]
    fn widget_key_must_differ_from_account_key() {
        let mut list = MIN.to_vec();
        list.extend(["--widget-key", "same"]);
        let err = args(&list).resolve(Some("same".into())).unwrap_err();
        assert!(err.contains("public"), "{err}");
    }

    #[test]
    fn policy_flags_parse_and_default() {
        let c = args(MIN).resolve(Some("k".into())).unwrap();
        assert!(c.allow_history && c.allow_upload, "on by default");
        assert_eq!(c.allow_fields, DEFAULT_ALLOWED_FIELDS);
        assert!(c.allow_variables.is_empty() && c.fixed_features.is_none());
        let mut list = MIN.to_vec();
        list.extend([
            "--allow-history",
            "false",
            "--allow-upload=false",
            "--allow-variables",
            "tone",
            "name",
            "--fixed-features",
            r#"[{"type":"MEMORY","config":{},"priority":0}]"#,
            "--log-bodies",
        ]);
        let c = args(&list).resolve(Some("k".into())).unwrap();
        assert!(!c.allow_history && !c.allow_upload && c.log_bodies);
        assert_eq!(c.allow_variables, ["tone", "name"]);
        assert!(c.fixed_features.is_some());

        let mut list = MIN.to_vec();
        list.extend(["--fixed-features", "{\"type\":1}"]);
        let err = args(&list).resolve(Some("k".into())).unwrap_err();
        assert!(
            err.contains("--fixed-features must be a JSON array"),
            "{err}"
        );
        let mut list = MIN.to_vec();
        list.extend(["--allow-field", "user_id,agent_id,message"]);
        let err = args(&list).resolve(Some("k".into())).unwrap_err();
        assert!(err.contains("session_id"), "{err}");
        assert_eq!(
            args(MIN).resolve(Some("k".into())).unwrap().drain_timeout,
            Duration::from_secs(30)
        );
        let mut list = MIN.to_vec();
        list.extend(["--drain-timeout", "0"]);
        let c = args(&list).resolve(Some("k".into())).unwrap();
        assert_eq!(c.drain_timeout, Duration::ZERO, "0 cuts at once");
        let mut list = MIN.to_vec();
        list.extend(["--header-timeout", "0"]);
        let err = args(&list).resolve(Some("k".into())).unwrap_err();
        assert!(err.contains("--header-timeout"), "{err}");
    }
}
