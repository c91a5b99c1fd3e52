//! What a chat/stream body may carry upstream: allowed fields only, the
//! session-id rule, allowed variable names, and the operator's fixed
//! `features` in place of the page's.

use super::config::ProxyConfig;
use super::error::ProxyError;
use super::routes::{check_session, session_agent};
use axum::body::Bytes;
use axum::http::StatusCode;
use serde_json::{Map, Value};

/// Checks `body` (already a valid chat request for `agent_id`) against the
/// policy; returns the bytes to send upstream (the page's own bytes when
/// nothing had to change).
pub fn apply(config: &ProxyConfig, body: &Bytes, agent_id: &str) -> Result<Bytes, ProxyError> {
    let mut fields: Map<String, Value> = serde_json::from_slice(body)
        .map_err(|_| ProxyError::bad_request("request body must be a JSON object"))?;
    if let Some(name) = fields
        .keys()
        .find(|k| !config.allow_fields.iter().any(|a| a == *k))
    {
        return Err(ProxyError::forbidden(format!(
            "field `{}` is not forwarded by this proxy (the site owner lists fields with --allow-field)",
            name.chars().take(64).collect::<String>()
        )));
    }
    let session = fields
        .get("session_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    check_session(session).map_err(ProxyError::bad_request)?;
    let own = [agent_id.to_string()];
    if session_agent(session, &own).is_none() {
        return Err(ProxyError::forbidden(format!(
            "session_id must be `{agent_id}-` followed by letters, digits or _ (the widget's form)"
        )));
    }
    for group in ["system_prompt_variables", "filter_variables"] {
        let Some(Value::Object(vars)) = fields.get(group) else {
            continue;
        };
        if let Some(name) = vars
            .keys()
            .find(|k| !config.allow_variables.iter().any(|a| a == *k))
        {
            return Err(ProxyError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "{group}.{} is not allowed by this proxy (the site owner lists names with --allow-variables)",
                    name.chars().take(64).collect::<String>()
                ),
            ));
        }
    }
    match &config.fixed_features {
        None => Ok(body.clone()),
        Some(fixed) => {
            fields.insert("features".into(), fixed.clone());
            Ok(Bytes::from(Value::Object(fields).to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> ProxyConfig {
        ProxyConfig::new("http://127.0.0.1:9", "k", &["https://a.example"], &["ag"]).unwrap()
    }

    fn body(v: Value) -> Bytes {
        Bytes::from(v.to_string())
    }

    fn base() -> Value {
        json!({"user_id": "u", "agent_id": "ag", "session_id": "ag-x1", "message": "hi"})
    }

    #[test]
    fn the_seed_fields_pass_byte_for_byte() {
        let mut v = base();
        v["features"] = json!([]);
        v["assets"] = json!(["a1"]);
        v["system_prompt_variables"] = json!({});
        let b = body(v);
        assert_eq!(apply(&config(), &b, "ag").unwrap(), b);
    }

    #[test]
    fn finding_13_unknown_fields_variables_and_sessions_are_refused() {
        let c = config();
        let mut v = base();
        v["provider_overrides"] = json!({"model": "x"});
        let e = apply(&c, &body(v), "ag").unwrap_err();
        assert_eq!(e.status, 403);
        assert!(e.note.contains("provider_overrides"), "{}", e.note);

        let mut v = base();
        v["system_prompt_variables"] = json!({"role": "admin"});
        let e = apply(&c, &body(v.clone()), "ag").unwrap_err();
        assert!(
            e.note.contains("system_prompt_variables.role"),
            "{}",
            e.note
        );
        let mut c2 = config();
        c2.allow_variables = vec!["role".into()];
        assert!(apply(&c2, &body(v), "ag").is_ok());

        let mut v = base();
        v["session_id"] = json!("ag-x/../y");
        assert_eq!(apply(&c, &body(v), "ag").unwrap_err().status, 400);
        let mut v = base();
        v["session_id"] = json!("other-x1");
        assert_eq!(apply(&c, &body(v), "ag").unwrap_err().status, 403);
    }

    #[test]
    fn finding_13_fixed_features_replace_the_pages() {
        let mut c = config();
        c.fixed_features = Some(json!([{"type": "MEMORY", "config": {}, "priority": 0}]));
        let mut v = base();
        v["features"] =
            json!([{"type": "KNOWLEDGE_BASE", "config": {"lyzr_rag": {"rag_id": "theirs"}}}]);
        let out: Value = serde_json::from_slice(&apply(&c, &body(v), "ag").unwrap()).unwrap();
        assert_eq!(out["features"][0]["type"], "MEMORY");
        assert!(!out.to_string().contains("theirs"));
        let out: Value = serde_json::from_slice(&apply(&c, &body(base()), "ag").unwrap()).unwrap();
        assert_eq!(out["features"][0]["type"], "MEMORY", "added when absent");
    }
}
