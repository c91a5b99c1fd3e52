//! The only calls the proxy forwards (the widget's), recognised by path;
//! the upstream path is always rebuilt from `lyzr_chat_protocol::paths`.

use axum::http::Method;
use lyzr_chat_protocol::{history_path, stop_path, ASSETS_UPLOAD_PATH, CHAT_PATH, STREAM_PATH};

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
            Call::History(_) => Method::GET,
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
        }
    }

    /// The session id, for the calls that name one.
    pub fn session(&self) -> Option<&str> {
        match self {
            Call::Stop(s) | Call::History(s) => Some(s),
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

/// Percent-decodes one path segment into a session id; refuses ids that
/// are empty, not UTF-8, span segments, or are `.`/`..`.
fn decode_session(segment: &str) -> Result<String, String> {
    if segment.is_empty() || segment.contains('/') {
        return Err("the session id in the path is empty or spans segments".into());
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("the session id in the path has a broken %-escape")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let session = String::from_utf8(out)
        .map_err(|_| "the session id in the path is not UTF-8".to_string())?;
    if session == "." || session == ".." || session.chars().any(char::is_control) {
        return Err("the session id in the path is not a valid id".into());
    }
    Ok(session)
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
    fn session_ids_are_decoded_then_reencoded() {
        let Match::Call(call) = match_path("/v1/sessions/a%2F..%2Fb/history") else {
            panic!("matches");
        };
        assert_eq!(call, Call::History("a/../b".into()));
        assert_eq!(call.upstream_path(), "/v1/sessions/a%2F..%2Fb/history");
        let Match::Call(call) = match_path("/v3/inference/session/ag-1x/stop") else {
            panic!("matches");
        };
        assert_eq!(call.upstream_path(), "/v3/inference/session/ag-1x/stop");
        for bad in [
            "/v1/sessions/../history",
            "/v1/sessions/%2E%2E/history",
            "/v1/sessions/a/b/history",
            "/v1/sessions/%zz/history",
            "/v1/sessions/%0a/history",
        ] {
            assert!(matches!(match_path(bad), Match::BadSession(_)), "{bad}");
        }
    }
}
