//! The chat call, `POST /v3/inference/chat/`: request and reply bodies, and
//! the validation a server applies to a request body (with errors that name
//! the offending field, in FastAPI's shape).

use crate::json::ObjectWriter;
use crate::{Json, Object};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Header carrying the account key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Body of `POST /v3/inference/chat/`.
///
/// The four strings are required; the rest is sent only when set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub user_id: String,
    pub agent_id: String,
    pub session_id: String,
    pub message: String,
    /// The optional fields, at the top level of the body.
    #[serde(flatten)]
    pub fields: RequestFields,
}

impl ChatRequest {
    /// A request with only the required fields.
    pub fn new(
        user_id: impl Into<String>,
        agent_id: impl Into<String>,
        session_id: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            user_id: user_id.into(),
            agent_id: agent_id.into(),
            session_id: session_id.into(),
            message: message.into(),
            fields: RequestFields::default(),
        }
    }

    /// This request with `fields` as its optional fields.
    pub fn with_fields(self, fields: RequestFields) -> Self {
        Self { fields, ..self }
    }

    /// The body as JSON text: the four strings, then each optional field
    /// that is set (the order serde writes them in).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        let mut o = ObjectWriter::new(&mut out);
        o.str("user_id", &self.user_id);
        o.str("agent_id", &self.agent_id);
        o.str("session_id", &self.session_id);
        o.str("message", &self.message);
        let f = &self.fields;
        for (key, object) in [
            ("system_prompt_variables", &f.system_prompt_variables),
            ("filter_variables", &f.filter_variables),
        ] {
            if let Some(object) = object {
                object.write(o.key(key));
            }
        }
        if let Some(features) = &f.features {
            Json::Array(features.iter().cloned().map(Json::Object).collect())
                .write(o.key("features"));
        }
        if let Some(assets) = &f.assets {
            Json::Array(assets.iter().map(|a| Json::from(a.as_str())).collect())
                .write(o.key("assets"));
        }
        for (key, object) in [
            ("response_format", &f.response_format),
            ("provider_overrides", &f.provider_overrides),
        ] {
            if let Some(object) = object {
                object.write(o.key(key));
            }
        }
        o.end();
        out
    }
}

/// The optional fields a host page adds to every request
/// (`systemPromptVariables`, `filterVariables`, `features`, `assets`,
/// `responseFormat`, `providerOverrides`), in their wire names. One type from the page's options to the request body.
///
/// ```
/// use lyzr_chat_protocol::RequestFields;
/// use serde_json::json;
/// let mut fields = RequestFields {
///     assets: Some(vec!["a1".into()]),
///     ..RequestFields::default()
/// };
/// // setVariables({system_prompt_variables: {...}}) changes that field only.
/// fields.update(serde_json::from_value(json!({"system_prompt_variables": {"plan": "gold"}})).unwrap());
/// assert_eq!(
///     serde_json::to_value(&fields).unwrap(),
///     json!({"system_prompt_variables": {"plan": "gold"}, "assets": ["a1"]})
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestFields {
    /// Values for `{{placeholders}}` in the agent's system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt_variables: Option<Object>,
    /// Filter values for the agent's retrieval/prompt logic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_variables: Option<Object>,
    /// Feature objects (`{"type": "...", "config": {...}, "priority": 0}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<Object>>,
    /// Ids of previously uploaded assets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<Vec<String>>,
    /// The shape the answer should take (`{"type": "json_object"}`, a
    /// JSON schema, ...), as Lyzr's SDK passes it on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Object>,
    /// Per-request model provider settings, as Lyzr's SDK passes them on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_overrides: Option<Object>,
}

impl RequestFields {
    /// A partial update (`setVariables`): each field `patch` sets replaces
    /// this one's; the fields it leaves out stay as they are.
    pub fn update(&mut self, patch: RequestFields) {
        let RequestFields {
            system_prompt_variables,
            filter_variables,
            features,
            assets,
            response_format,
            provider_overrides,
        } = patch;
        if system_prompt_variables.is_some() {
            self.system_prompt_variables = system_prompt_variables;
        }
        if filter_variables.is_some() {
            self.filter_variables = filter_variables;
        }
        if features.is_some() {
            self.features = features;
        }
        if assets.is_some() {
            self.assets = assets;
        }
        if response_format.is_some() {
            self.response_format = response_format;
        }
        if provider_overrides.is_some() {
            self.provider_overrides = provider_overrides;
        }
    }
}

/// Reply of the chat call. Only the answer text is guaranteed; one of Lyzr's
/// docs pages names it `agent_response` instead of `response`, so both are read.
/// The rest is kept as sent, for the host page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_response: Option<String>,
    /// Tool outputs; `artifact_files` lists files the agent produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_outputs: Option<Json>,
    /// The service's id of this answer (a string; a number is read as one).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "string_or_number"
    )]
    pub message_id: Option<String>,
    /// Whatever the agent attaches (usage, model, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Json>,
    /// Tools the agent called or asks to call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Json>,
}

/// An optional id that may come as a JSON string or number (other types and
/// `null` read as absent rather than failing the whole reply).
fn string_or_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

impl ChatResponse {
    /// Reads a reply body: an object whose `response` / `agent_response`,
    /// when present, are strings; `message_id` a string or a number (other
    /// types read as absent); the rest kept as sent.
    pub fn parse(body: &str) -> Result<ChatResponse, String> {
        let value = Json::parse(body).map_err(|e| e.to_string())?;
        let Json::Object(mut o) = value else {
            return Err(format!("expected an object, not {}", value.type_name()));
        };
        let mut text = |key: &str| match o.remove(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!("`{key}` is {}, not a string", other.type_name())),
        };
        let response = text("response")?;
        let agent_response = text("agent_response")?;
        let mut any = |key: &str| o.remove(key).filter(|v| !v.is_null());
        let message_id = match any("message_id") {
            Some(Json::String(s) | Json::Number(s)) => Some(s),
            _ => None,
        };
        Ok(ChatResponse {
            response,
            agent_response,
            module_outputs: any("module_outputs"),
            message_id,
            metadata: any("metadata"),
            tool_calls: any("tool_calls"),
        })
    }

    /// A reply carrying `text` as `response`.
    pub fn reply(text: impl Into<String>) -> Self {
        Self {
            response: Some(text.into()),
            ..Self::default()
        }
    }

    /// The answer: `response`, else `agent_response`.
    pub fn text(&self) -> Option<&str> {
        self.response.as_deref().or(self.agent_response.as_deref())
    }

    /// Files listed in `module_outputs.artifact_files` (web URLs only).
    pub fn artifacts(&self) -> Vec<crate::Artifact> {
        self.module_outputs
            .as_ref()
            .and_then(|m| m.get("artifact_files"))
            .map(crate::Artifact::list_from_json)
            .unwrap_or_default()
    }
}

/// One problem with one field of a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field's name, e.g. `message` (empty for the body as a whole).
    pub field: String,
    /// What is wrong, in words that name the field.
    pub msg: String,
    /// A short machine-readable kind, as FastAPI's `type`.
    pub kind: &'static str,
}

/// Why a request body was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// Not JSON at all: answered with 400.
    Malformed(String),
    /// JSON, but fields are missing or of the wrong type: answered with 422.
    Invalid(Vec<FieldProblem>),
}

impl RequestError {
    /// The HTTP status a server answers with.
    pub fn status(&self) -> u16 {
        match self {
            RequestError::Malformed(_) => 400,
            RequestError::Invalid(_) => 422,
        }
    }

    /// The error body, in FastAPI's shape: `{"detail": "..."}` for 400 and
    /// `{"detail": [{"loc": ["body", field], "msg", "type"}]}` for 422.
    pub fn to_body(&self) -> Value {
        match self {
            RequestError::Malformed(reason) => json!({ "detail": reason }),
            RequestError::Invalid(problems) => {
                let detail: Vec<Value> = problems
                    .iter()
                    .map(|p| {
                        let loc = if p.field.is_empty() {
                            json!(["body"])
                        } else {
                            json!(["body", p.field])
                        };
                        json!({ "loc": loc, "msg": p.msg, "type": p.kind })
                    })
                    .collect();
                json!({ "detail": detail })
            }
        }
    }
}

const REQUIRED_STRINGS: [&str; 4] = ["user_id", "agent_id", "session_id", "message"];
const OPTIONAL_OBJECTS: [&str; 4] = [
    "system_prompt_variables",
    "filter_variables",
    "response_format",
    "provider_overrides",
];

/// Parses and validates a chat request body, reporting every bad field.
///
/// ```
/// use lyzr_chat_protocol::{parse_chat_request, RequestError};
/// let err = parse_chat_request(br#"{"user_id":"u","agent_id":"a","session_id":"s"}"#).unwrap_err();
/// assert_eq!(err.status(), 422);
/// assert!(err.to_body().to_string().contains("message"));
/// ```
pub fn parse_chat_request(body: &[u8]) -> Result<ChatRequest, RequestError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| RequestError::Malformed(format!("request body is not valid JSON: {e}")))?;
    let Value::Object(fields) = &value else {
        return Err(RequestError::Invalid(vec![FieldProblem {
            field: String::new(),
            msg: format!(
                "request body must be a JSON object, not {}",
                json_type_name(&value)
            ),
            kind: "model_type",
        }]));
    };

    let mut problems = Vec::new();
    for name in REQUIRED_STRINGS {
        match fields.get(name) {
            None | Some(Value::Null) => problems.push(problem(
                name,
                format!("field `{name}` is required"),
                "missing",
            )),
            Some(Value::String(s)) if s.trim().is_empty() => problems.push(problem(
                name,
                format!("field `{name}` must not be empty"),
                "string_too_short",
            )),
            Some(Value::String(_)) => {}
            Some(other) => problems.push(problem(
                name,
                format!(
                    "field `{name}` must be a string, not {}",
                    json_type_name(other)
                ),
                "string_type",
            )),
        }
    }
    for name in OPTIONAL_OBJECTS {
        match fields.get(name) {
            None | Some(Value::Null) | Some(Value::Object(_)) => {}
            Some(other) => problems.push(problem(
                name,
                format!(
                    "field `{name}` must be an object, not {}",
                    json_type_name(other)
                ),
                "dict_type",
            )),
        }
    }
    match fields.get("features") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            if let Some(i) = items.iter().position(|v| !v.is_object()) {
                problems.push(problem(
                    "features",
                    format!(
                        "field `features` must be an array of objects; item {i} is not an object"
                    ),
                    "dict_type",
                ));
            }
        }
        Some(other) => problems.push(problem(
            "features",
            format!(
                "field `features` must be an array, not {}",
                json_type_name(other)
            ),
            "list_type",
        )),
    }
    match fields.get("assets") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
        Some(_) => problems.push(problem(
            "assets",
            "field `assets` must be an array of asset id strings".to_string(),
            "list_type",
        )),
    }
    if !problems.is_empty() {
        return Err(RequestError::Invalid(problems));
    }
    serde_json::from_value(value).map_err(|e| {
        // Every shape serde checks is checked above; this is a safety net.
        RequestError::Invalid(vec![problem("", e.to_string(), "value_error")])
    })
}

fn problem(field: &str, msg: String, kind: &'static str) -> FieldProblem {
    FieldProblem {
        field: field.to_string(),
        msg,
        kind,
    }
}

/// How a JSON value's type reads in an error message ("a string", "null").
pub fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `json!` value as the protocol's own JSON type.
    fn j(value: Value) -> Json {
        serde_json::from_value(value).unwrap()
    }

    fn obj(value: Value) -> Object {
        serde_json::from_value(value).unwrap()
    }

    const VALID: &str =
        r#"{"user_id":"u@example.com","agent_id":"a1","session_id":"a1-xyz","message":"hi"}"#;

    #[test]
    fn valid_request_parses_with_optional_fields_absent() {
        let req = parse_chat_request(VALID.as_bytes()).unwrap();
        assert_eq!(req, ChatRequest::new("u@example.com", "a1", "a1-xyz", "hi"));
    }

    #[test]
    fn serialising_omits_unset_optionals_and_keeps_set_ones() {
        let mut req = ChatRequest::new("u", "a", "s", "m");
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({"user_id":"u","agent_id":"a","session_id":"s","message":"m"})
        );
        req.fields.system_prompt_variables = Some(obj(json!({"name": "Ada"})));
        req.fields.features = Some(vec![]);
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(v["system_prompt_variables"], json!({"name": "Ada"}));
        assert_eq!(v["features"], json!([]));
        assert!(v.get("filter_variables").is_none());
    }

    #[test]
    fn optional_fields_round_trip() {
        let body = r#"{"user_id":"u","agent_id":"a","session_id":"s","message":"m",
            "system_prompt_variables":{"x":1},"filter_variables":{},
            "features":[{"type":"MEMORY","config":{},"priority":0}],"assets":["id1"],
            "unknown_extra":true}"#;
        let req = parse_chat_request(body.as_bytes()).unwrap();
        assert_eq!(
            req.fields.system_prompt_variables.unwrap()["x"],
            j(json!(1))
        );
        assert_eq!(req.fields.features.unwrap()[0]["type"], j(json!("MEMORY")));
        assert_eq!(req.fields.assets.unwrap(), vec!["id1".to_string()]);
    }

    #[test]
    fn malformed_json_is_400_with_a_reason() {
        let err = parse_chat_request(b"{not json").unwrap_err();
        assert_eq!(err.status(), 400);
        let detail = err.to_body()["detail"].as_str().unwrap().to_string();
        assert!(detail.contains("not valid JSON"), "{detail}");
    }

    #[test]
    fn each_missing_field_is_named() {
        for name in REQUIRED_STRINGS {
            let mut v: Value = serde_json::from_str(VALID).unwrap();
            v.as_object_mut().unwrap().remove(name);
            let err = parse_chat_request(v.to_string().as_bytes()).unwrap_err();
            assert_eq!(err.status(), 422);
            let body = err.to_body();
            assert_eq!(body["detail"][0]["loc"], json!(["body", name]));
            assert_eq!(body["detail"][0]["type"], json!("missing"));
            assert!(body["detail"][0]["msg"].as_str().unwrap().contains(name));
        }
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let err = parse_chat_request(br#"{"user_id":5,"message":"  ","features":{}}"#).unwrap_err();
        let RequestError::Invalid(problems) = err else {
            panic!("expected Invalid")
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["user_id", "agent_id", "session_id", "message", "features"]
        );
        assert_eq!(problems[0].kind, "string_type");
        assert_eq!(problems[3].kind, "string_too_short");
    }

    #[test]
    fn wrong_types_of_optional_fields_are_named() {
        let body = r#"{"user_id":"u","agent_id":"a","session_id":"s","message":"m",
            "system_prompt_variables":[],"filter_variables":"x","features":[1],"assets":[2]}"#;
        let RequestError::Invalid(problems) = parse_chat_request(body.as_bytes()).unwrap_err()
        else {
            panic!("expected Invalid")
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "system_prompt_variables",
                "filter_variables",
                "features",
                "assets"
            ]
        );
    }

    #[test]
    fn non_object_body_is_422() {
        let err = parse_chat_request(b"[1,2]").unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(err.to_body()["detail"][0]["loc"], json!(["body"]));
    }

    #[test]
    fn reply_text_prefers_response_then_agent_response() {
        let r: ChatResponse =
            serde_json::from_str(r#"{"response":"a","agent_response":"b"}"#).unwrap();
        assert_eq!(r.text(), Some("a"));
        let r: ChatResponse = serde_json::from_str(r#"{"agent_response":"b","x":1}"#).unwrap();
        assert_eq!(r.text(), Some("b"));
        let r: ChatResponse = serde_json::from_str(r#"{"message_id":"m"}"#).unwrap();
        assert_eq!(r.text(), None);
        let r: ChatResponse = serde_json::from_str(
            r#"{"response":"x","module_outputs":{"artifact_files":[{"name":"a.csv","file_url":"https://h/a.csv","format_type":"csv","artifact_id":"1"}]}}"#,
        )
        .unwrap();
        assert_eq!(r.artifacts()[0].name, "a.csv");
    }

    #[test]
    fn request_fields_update_only_what_the_patch_sets() {
        let mut fields = RequestFields {
            system_prompt_variables: Some(obj(json!({"a": 1}))),
            features: Some(vec![Object::new()]),
            ..RequestFields::default()
        };
        fields.update(RequestFields {
            system_prompt_variables: Some(obj(json!({"b": 2}))),
            assets: Some(vec!["x".into()]),
            ..RequestFields::default()
        });
        assert_eq!(
            serde_json::to_value(&fields).unwrap(),
            json!({"system_prompt_variables": {"b": 2}, "features": [{}], "assets": ["x"]})
        );
        fields.update(RequestFields::default());
        assert_eq!(fields.assets.as_deref(), Some(&["x".to_string()][..]));
        // setVariables({response_format}) and provider_overrides, alike.
        fields.update(RequestFields {
            response_format: Some(obj(json!({"type": "json_object"}))),
            provider_overrides: Some(obj(json!({"temperature": 0}))),
            ..RequestFields::default()
        });
        let body = serde_json::to_value(&fields).unwrap();
        assert_eq!(body["response_format"], json!({"type": "json_object"}));
        assert_eq!(body["provider_overrides"], json!({"temperature": 0}));
        assert_eq!(body["assets"], json!(["x"]));
        // The widget's own writer puts them in the body too.
        let req = ChatRequest::new("u", "a", "s", "m").with_fields(fields);
        let written: serde_json::Value = serde_json::from_str(&req.to_json()).unwrap();
        assert_eq!(written["response_format"], json!({"type": "json_object"}));
        assert_eq!(written["provider_overrides"], json!({"temperature": 0}));
    }

    #[test]
    fn request_fields_go_into_the_body_at_the_top_level() {
        let fields = RequestFields {
            filter_variables: Some(obj(json!({"k": "v"}))),
            assets: Some(vec!["a1".into()]),
            ..RequestFields::default()
        };
        let req = ChatRequest::new("u", "a", "s", "m").with_fields(fields.clone());
        let body = serde_json::to_value(&req).unwrap();
        assert_eq!(body["filter_variables"], json!({"k": "v"}));
        assert_eq!(body["assets"], json!(["a1"]));
        assert!(body.get("system_prompt_variables").is_none());
        assert!(body.get("fields").is_none());
        let back: ChatRequest = serde_json::from_value(body).unwrap();
        assert_eq!(back.fields, fields);
    }

    #[test]
    fn reply_keeps_message_id_metadata_and_tool_calls() {
        let r: ChatResponse = serde_json::from_str(
            r#"{"response":"ok","message_id":"m-1","metadata":{"model":"x","usage":{"tokens":3}},
                "tool_calls":[{"name":"get_weather","arguments":{"city":"Oslo"}}],"extra":true}"#,
        )
        .unwrap();
        assert_eq!(r.message_id.as_deref(), Some("m-1"));
        assert_eq!(r.metadata.as_ref().unwrap()["usage"]["tokens"], j(json!(3)));
        assert_eq!(
            r.tool_calls.as_ref().unwrap()[0]["name"],
            j(json!("get_weather"))
        );
        let r: ChatResponse = serde_json::from_str(r#"{"response":"ok","message_id":42}"#).unwrap();
        assert_eq!(r.message_id.as_deref(), Some("42"));
        let r: ChatResponse =
            serde_json::from_str(r#"{"response":"ok","message_id":null,"metadata":null}"#).unwrap();
        assert_eq!((r.message_id, r.metadata), (None, None));
        // Written back only when present.
        let v = serde_json::to_value(ChatResponse::reply("x")).unwrap();
        assert_eq!(v, json!({"response": "x"}));
    }

    #[test]
    fn response_format_and_provider_overrides_are_optional_objects() {
        let req = parse_chat_request(
            br#"{"user_id":"u","agent_id":"a","session_id":"s","message":"m",
                "response_format":{"type":"json_object"},"provider_overrides":{"temperature":0.2}}"#,
        )
        .unwrap();
        assert_eq!(
            req.fields.response_format.as_ref().unwrap()["type"],
            j(json!("json_object"))
        );
        assert_eq!(
            req.fields.provider_overrides.as_ref().unwrap()["temperature"],
            j(json!(0.2))
        );
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(v["response_format"], json!({"type": "json_object"}));
        let plain = serde_json::to_value(ChatRequest::new("u", "a", "s", "m")).unwrap();
        assert!(
            plain.get("response_format").is_none() && plain.get("provider_overrides").is_none()
        );

        let err = parse_chat_request(
            br#"{"user_id":"u","agent_id":"a","session_id":"s","message":"m",
                "response_format":"json","provider_overrides":[1]}"#,
        )
        .unwrap_err();
        let body = err.to_body().to_string();
        assert_eq!(err.status(), 422);
        assert!(
            body.contains("field `response_format` must be an object, not a string"),
            "{body}"
        );
        assert!(
            body.contains("field `provider_overrides` must be an object, not an array"),
            "{body}"
        );
    }

    #[test]
    fn the_hand_written_body_is_what_serde_writes() {
        let mut req = ChatRequest::new("u", "a", "s", "m \"quoted\"\n");
        assert_eq!(req.to_json(), serde_json::to_string(&req).unwrap());
        req.fields = RequestFields {
            system_prompt_variables: Some(obj(
                json!({"name": "Ada", "n": 0.7, "deep": [1, {"x": null}]}),
            )),
            filter_variables: Some(Object::new()),
            features: Some(vec![obj(
                json!({"type": "MEMORY", "config": {}, "priority": 0}),
            )]),
            assets: Some(vec!["a1".into(), "a2".into()]),
            ..RequestFields::default()
        };
        req.fields.response_format = Some(obj(json!({"type": "json_object"})));
        req.fields.provider_overrides = Some(obj(json!({"temperature": 0.2})));
        assert_eq!(req.to_json(), serde_json::to_string(&req).unwrap());
    }

    #[test]
    fn replies_read_by_hand_as_serde_read_them() {
        for body in [
            r#"{"response":"a","agent_response":"b"}"#,
            r#"{"agent_response":"b","x":1}"#,
            r#"{"response":"ok","message_id":42,"metadata":{"usage":{"tokens":3}},"tool_calls":[1]}"#,
            r#"{"response":"ok","message_id":"m-1","module_outputs":{"artifact_files":[]}}"#,
            r#"{"response":"ok","message_id":null,"metadata":null}"#,
            r#"{"response":"ok","message_id":true}"#,
            r#"{}"#,
        ] {
            let theirs: ChatResponse = serde_json::from_str(body).unwrap();
            assert_eq!(ChatResponse::parse(body).unwrap(), theirs, "{body}");
        }
        for body in [
            r#"{"response":5}"#,
            r#"{"agent_response":[]}"#,
            "not json",
            "\"text\"",
        ] {
            assert!(
                serde_json::from_str::<ChatResponse>(body).is_err(),
                "{body}"
            );
            assert!(ChatResponse::parse(body).is_err(), "{body}");
        }
    }
}
