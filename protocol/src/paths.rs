//! Paths of the Lyzr API calls the widget makes, relative to the base URL.

/// `POST`: one reply as JSON (`{"response": "..."}`).
pub const CHAT_PATH: &str = "/v3/inference/chat/";

/// `POST`: the same body; the reply streams as `data: ` lines.
pub const STREAM_PATH: &str = "/v3/inference/stream/";

/// `POST` multipart (`files`, repeated): upload assets for a message.
pub const ASSETS_UPLOAD_PATH: &str = "/v3/assets/upload";

/// `POST`, no body: stop the generation running in a session.
pub fn stop_path(session_id: &str) -> String {
    format!("/v3/inference/session/{}/stop", encode_segment(session_id))
}

/// `POST` multipart: the upload path with `?agent_id=`, which the proxy
/// needs to check the agent (Lyzr ignores it; the proxy drops it).
pub fn upload_path(agent_id: &str) -> String {
    format!("{ASSETS_UPLOAD_PATH}?agent_id={}", encode_segment(agent_id))
}

/// `GET`: the messages of a session.
pub fn history_path(session_id: &str) -> String {
    format!("/v1/sessions/{}/history", encode_segment(session_id))
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so an id
/// can never add path segments or a query.
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_path_names_the_agent() {
        assert_eq!(upload_path("a b"), "/v3/assets/upload?agent_id=a%20b");
    }

    #[test]
    fn session_paths_encode_the_id() {
        assert_eq!(stop_path("a1-xyz"), "/v3/inference/session/a1-xyz/stop");
        assert_eq!(
            history_path("a/../b?c"),
            "/v1/sessions/a%2F..%2Fb%3Fc/history"
        );
    }
}
