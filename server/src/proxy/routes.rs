//! The only calls the proxy forwards (the widget's), recognised by path;
//! the upstream path is always rebuilt from `lyzr_chat_protocol::paths`.

use axum::http::Method;
use lyzr_chat_protocol::{history_path, stop_path, ASSETS_UPLOAD_PATH, CHAT_PATH, STREAM_PATH};

/// The events WebSocket's path, before the session id.
pub const EVENTS_PREFIX: &str = "/v3/events/";

/// One forwardable call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Chat,
    Stream,
    Upload,
    /// Stop the generation in this (decoded) session.
    Stop(String),
    /// Read this (decoded) session's messages.
    History(String),
    /// The session's agent-activity WebSocket.
    Events(String),
}

/// What a request path is.
#[derive(Debug, PartialEq, Eq)]
pub enum Match {
    Call(Call),
    /// A session path whose id cannot be forwarded safely.
    BadSession(String),
    NotForwarded,
}

impl Call {
    /// The one method this call takes.
    pub fn method(&self) -> Method {
        match self {
            Call::History(_) | Call::Events(_) => Method::GET,
            _ => Method::POST,
        }
    }

    /// Path on the upstream, built from the protocol's constants.
    pub fn upstream_path(&self) -> String {
        match self {
            Call::Chat => CHAT_PATH.to_string(),
            Call::Stream => STREAM_PATH.to_string(),
            Call::Upload => ASSETS_UPLOAD_PATH.to_string(),
            Call::Stop(session) => stop_path(session),
            Call::History(session) => history_path(session),
            Call::Events(session) => format!("/ws/{session}"),
        }
    }

    /// A short name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Call::Chat => "chat",
            Call::Stream => "stream",
            Call::Upload => "upload",
            Call::Stop(_) => "stop",
            Call::History(_) => "history",
            Call::Events(_) => "events",
        }
    }

    /// The session id, for the calls that name one.
    pub fn session(&self) -> Option<&str> {
        match self {
            Call::Stop(s) | Call::History(s) | Call::Events(s) => Some(s),
            _ => None,
        }
    }
}

/// Recognises a request path (the query string is never forwarded).
pub fn match_path(path: &str) -> Match {
    if path == CHAT_PATH {
        return Match::Call(Call::Chat);
    }
    if path == STREAM_PATH {
        return Match::Call(Call::Stream);
    }
    if path == ASSETS_UPLOAD_PATH {
        return Match::Call(Call::Upload);
    }
    if let Some(seg) = path.strip_prefix(EVENTS_PREFIX) {
        return match decode_session(seg) {
            Ok(session) => Match::Call(Call::Events(session)),
            Err(why) => Match::BadSession(why),
        };
    }
    let session_call = if let Some(seg) = path
        .strip_prefix("/v3/inference/session/")
        .and_then(|rest| rest.strip_suffix("/stop"))
    {
        Some((seg, Call::Stop as fn(String) -> Call))
    } else {
        path.strip_prefix("/v1/sessions/")
            .and_then(|rest| rest.strip_suffix("/history"))
            .map(|seg| (seg, Call::History as fn(String) -> Call))
    };
    match session_call {
        Some((segment, make)) => match decode_session(segment) {
            Ok(session) => Match::Call(make(session)),
            Err(why) => Match::BadSession(why),
        },
        None => Match::NotForwarded,
    }
}

/// Longest session id accepted, bytes.
pub const MAX_SESSION_LEN: usize = 256;

/// Checks a session id (from a path or a chat body): 1 to
/// [`MAX_SESSION_LEN`] characters of `[A-Za-z0-9_-]`, nothing else (no
/// escapes are decoded: an id with `%` is refused, not interpreted).
pub fn check_session(session: &str) -> Result<(), String> {
    if session.is_empty() || session.len() > MAX_SESSION_LEN {
        return Err(format!(
            "session_id must be 1 to {MAX_SESSION_LEN} characters of A-Z a-z 0-9 _ -"
        ));
    }
    if !session
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(
            "session_id may hold only A-Z a-z 0-9 _ - (the widget's form is `{agent_id}-{random}`)"
                .into(),
        );
    }
    Ok(())
}

/// The allowed agent a session id belongs to: the id must be exactly
/// `{agent}-{suffix}` with `suffix` of `[A-Za-z0-9_]` (no `-`), tried
/// against the allowlist longest agent first, so allowing `demo` never
/// admits `demo-2-…` sessions.
pub fn session_agent<'a>(session: &str, allowed: &'a [String]) -> Option<&'a str> {
    let mut agents: Vec<&'a String> = allowed.iter().collect();
    agents.sort_by_key(|a| std::cmp::Reverse(a.len()));
    agents.into_iter().map(String::as_str).find(|agent| {
        session
            .strip_prefix(agent)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|suffix| {
                !suffix.is_empty()
                    && suffix
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
    })
}

/// A short, stable hash of a session id for logs (the id itself is a
/// bearer token for the conversation's history and is never logged).
pub fn session_hash(session: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(session.as_bytes());
    d[..5].iter().map(|b| format!("{b:02x}")).collect()
}

/// `path` with a session segment replaced by `sid:{hash}`, for logs.
pub fn redact_path(path: &str) -> String {
    for (prefix, suffix) in [
        ("/v3/inference/session/", "/stop"),
        ("/v1/sessions/", "/history"),
        ("/v3/events/", ""),
    ] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let (seg, tail) = match suffix {
                "" => (rest, ""),
                s => match rest.strip_suffix(s) {
                    Some(seg) => (seg, s),
                    None => continue,
                },
            };
            if seg.is_empty() {
                continue;
            }
            return format!("{prefix}sid:{}{tail}", session_hash(seg));
        }
    }
    path.to_string()
}

/// A session id path segment, checked.
fn decode_session(segment: &str) -> Result<String, String> {
    check_session(segment)?;
    Ok(segment.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_widgets_calls_match() {
        assert_eq!(match_path("/v3/inference/chat/"), Match::Call(Call::Chat));
        assert_eq!(
            match_path("/v3/inference/stream/"),
            Match::Call(Call::Stream)
        );
        assert_eq!(match_path("/v3/assets/upload"), Match::Call(Call::Upload));
        for other in [
            "/",
            "/v3/agents/",
            "/v3/inference/chat",
            "/v1/sessions/",
            "/healthz",
        ] {
            assert_eq!(match_path(other), Match::NotForwarded, "{other}");
        }
    }

    #[test]
    fn finding_08_session_ids_are_strict_and_match_agents_exactly() {
        let Match::Call(call) = match_path("/v3/inference/session/ag-1x/stop") else {
            panic!("matches");
        };
        assert_eq!(call.upstream_path(), "/v3/inference/session/ag-1x/stop");
        for bad in [
            "/v1/sessions/../history",
            "/v1/sessions/%2E%2E/history",
            "/v1/sessions/a%2F..%2Fb/history",
            "/v1/sessions/a/b/history",
            "/v1/sessions/a%20b/history",
            "/v1/sessions/a.b/history",
            "/v1/sessions//history",
        ] {
            assert!(matches!(match_path(bad), Match::BadSession(_)), "{bad}");
        }
        let long = format!("/v1/sessions/{}/history", "a".repeat(MAX_SESSION_LEN + 1));
        assert!(matches!(match_path(&long), Match::BadSession(_)));

        let allowed = vec!["demo".to_string(), "demo-2".to_string()];
        assert_eq!(session_agent("demo-abc", &allowed), Some("demo"));
        assert_eq!(session_agent("demo-2-abc", &allowed), Some("demo-2"));
        assert_eq!(session_agent("demo-2abc", &allowed), Some("demo"));
        let only_demo = vec!["demo".to_string()];
        assert_eq!(
            session_agent("demo-2-abc", &only_demo),
            None,
            "allowing demo does not admit demo-2's sessions"
        );
        assert_eq!(session_agent("demo-", &only_demo), None);
        assert_eq!(session_agent("demox-abc", &only_demo), None);
        assert_eq!(session_agent("demo", &only_demo), None);
    }

    #[test]
    fn finding_08_logs_hash_session_ids() {
        let sid = "demo-Zx81kQ0aB7";
        let p = redact_path(&format!("/v1/sessions/{sid}/history"));
        assert!(!p.contains(sid) && !p.contains("Zx81"), "{p}");
        assert_eq!(p, format!("/v1/sessions/sid:{}/history", session_hash(sid)));
        assert_eq!(session_hash(sid).len(), 10);
        let p = redact_path(&format!("/v3/inference/session/{sid}/stop"));
        assert!(!p.contains(sid), "{p}");
        let p = redact_path(&format!("/v3/events/{sid}"));
        assert!(!p.contains(sid), "{p}");
        assert_eq!(redact_path("/v3/inference/chat/"), "/v3/inference/chat/");
    }
}
