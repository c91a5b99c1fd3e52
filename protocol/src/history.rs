//! `GET /v1/sessions/{session_id}/history`: the messages of a session, in
//! either shape Lyzr documents (a JSON array of `{role, content,
//! created_at}`, or `{"history": [...]}`).

use crate::json::Json;
use serde_json::Value;

/// Who spoke a history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryRole {
    User,
    Assistant,
}

/// One message of a session's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub role: HistoryRole,
    pub content: String,
    /// As the server wrote it (ISO-8601), when it did.
    pub created_at: Option<String>,
}

/// Reads a history body. Entries with another role, or without text, are
/// skipped; a body of neither shape is an error.
pub fn parse_history(body: &str) -> Result<Vec<HistoryEntry>, String> {
    let value = Json::parse(body).map_err(|e| format!("not JSON: {e}"))?;
    let items = match &value {
        Json::Array(items) => items,
        Json::Object(o) => match o.get("history") {
            Some(Json::Array(items)) => items,
            _ => return Err("an object without a `history` array".into()),
        },
        _ => return Err("neither an array nor an object".into()),
    };
    Ok(items.iter().filter_map(entry).collect())
}

fn entry(item: &Json) -> Option<HistoryEntry> {
    let role = match item.get("role")?.as_str()? {
        "user" | "human" => HistoryRole::User,
        "assistant" | "ai" => HistoryRole::Assistant,
        _ => return None,
    };
    let content = item.get("content")?.as_str()?.to_string();
    let created_at = item
        .get("created_at")
        .and_then(Json::as_str)
        .map(str::to_string);
    Some(HistoryEntry {
        role,
        content,
        created_at,
    })
}

/// Writes entries in the array shape (the local agent's answer).
pub fn history_json(entries: &[HistoryEntry]) -> Value {
    Value::Array(
        entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "role": match e.role { HistoryRole::User => "user", HistoryRole::Assistant => "assistant" },
                    "content": e.content,
                    "created_at": e.created_at,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_array_and_the_wrapped_shape_alike() {
        let array = r#"[{"role":"user","content":"hi","created_at":"2026-11-27T10:00:00Z"},
                        {"role":"assistant","content":"hello"}]"#;
        let wrapped = format!(r#"{{"history": {array}}}"#);
        let a = parse_history(array).unwrap();
        assert_eq!(a, parse_history(&wrapped).unwrap());
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].role, HistoryRole::User);
        assert_eq!(a[0].created_at.as_deref(), Some("2026-11-27T10:00:00Z"));
        assert_eq!(a[1].content, "hello");
    }

    #[test]
    fn skips_unknown_roles_and_malformed_entries() {
        let body = r#"[{"role":"system","content":"x"},{"role":"tool","content":"y"},
                       {"role":"user"},{"content":"z"},7,{"role":"user","content":"kept"}]"#;
        let entries = parse_history(body).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].content, "kept");
    }

    #[test]
    fn refuses_other_shapes() {
        assert!(parse_history("nope").is_err());
        assert!(parse_history(r#"{"messages":[]}"#).is_err());
        assert!(parse_history("42").is_err());
    }

    #[test]
    fn round_trips_through_the_array_shape() {
        let entries = vec![HistoryEntry {
            role: HistoryRole::Assistant,
            content: "a".into(),
            created_at: Some("t".into()),
        }];
        let json = history_json(&entries).to_string();
        assert_eq!(parse_history(&json).unwrap(), entries);
    }
}
