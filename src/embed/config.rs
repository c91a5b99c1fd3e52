//! The host page's options (`mount({...})`), read and checked: each problem
//! is reported naming the option and what it accepts.

use crate::console;
use crate::markdown::{RenderPolicy, DEFAULT_LINK_SCHEMES, FORBIDDEN_SCHEMES};
use js_sys::{Object, Reflect};
use lyzr_chat_protocol::json_type_name;
use serde_json::{Map, Value};
use wasm_bindgen::JsValue;

/// Every option the widget knows, in the host page's spelling.
pub const OPTIONS: &[&str] = &[
    "agentId",
    "apiUrl",
    "apiKey",
    "userId",
    "sessionId",
    "title",
    "subtitle",
    "welcomeMessage",
    "placeholder",
    "open",
    "systemPromptVariables",
    "filterVariables",
    "features",
    "linkSchemes",
    "imageHosts",
];

/// The widget's options after checking.
#[derive(Debug, Clone, PartialEq)]
pub struct WidgetConfig {
    pub agent_id: String,
    /// API base URL without a trailing slash; empty means the page's origin.
    pub api_url: String,
    pub api_key: Option<String>,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub title: String,
    pub subtitle: Option<String>,
    pub welcome_message: Option<String>,
    pub placeholder: String,
    pub open: bool,
    pub system_prompt_variables: Option<Map<String, Value>>,
    pub filter_variables: Option<Map<String, Value>>,
    pub features: Option<Vec<Map<String, Value>>>,
    /// Which links and images in agent replies are live (`linkSchemes`, `imageHosts`).
    pub render_policy: RenderPolicy,
}

impl WidgetConfig {
    /// Reads a plain JavaScript object. Unknown options are warned about
    /// and ignored; invalid ones are returned as errors, one per option.
    pub fn from_js(js: &JsValue) -> Result<Self, Vec<String>> {
        if !js.is_object() {
            return Err(vec![
                "mount(config) needs an object, e.g. mount({ agentId: \"your-agent-id\" })"
                    .to_string(),
            ]);
        }
        let object: &Object = js.unchecked_ref_object();
        for key in Object::keys(object).iter().filter_map(|k| k.as_string()) {
            if !OPTIONS.contains(&key.as_str()) {
                console::warn(&format!(
                    "unknown option `{key}` ignored; known options: {}",
                    OPTIONS.join(", ")
                ));
            }
        }
        let mut reader = Reader {
            object,
            problems: Vec::new(),
        };
        let agent_id = reader.string("agentId", "the id of your Lyzr agent");
        if agent_id.is_none() && reader.problems.is_empty() {
            reader.problems.push(
                "option `agentId` is required: the id of your Lyzr agent (a string)".to_string(),
            );
        }
        let api_url = reader.api_url();
        let config = WidgetConfig {
            agent_id: agent_id.unwrap_or_default(),
            api_url,
            api_key: reader.string("apiKey", "the x-api-key to send"),
            user_id: reader.string("userId", "a stable id of the visitor"),
            session_id: reader.string("sessionId", "a conversation id to continue"),
            title: reader
                .string("title", "the panel's title")
                .unwrap_or_else(|| "Chat".to_string()),
            subtitle: reader.string("subtitle", "a line under the title"),
            welcome_message: reader.string("welcomeMessage", "the first message shown"),
            placeholder: reader
                .string("placeholder", "the composer's placeholder")
                .unwrap_or_else(|| "Type a message…".to_string()),
            open: reader.boolean("open").unwrap_or(false),
            system_prompt_variables: reader.json_object("systemPromptVariables"),
            filter_variables: reader.json_object("filterVariables"),
            features: reader.features(),
            render_policy: RenderPolicy {
                link_schemes: reader.link_schemes().unwrap_or_else(|| {
                    DEFAULT_LINK_SCHEMES.iter().map(|s| s.to_string()).collect()
                }),
                image_hosts: reader.image_hosts().unwrap_or_default(),
                page_origin: None,
            },
        };
        if !reader.problems.is_empty() {
            return Err(reader.problems);
        }
        if config.api_key.is_some() && !is_local_page() {
            console::warn(
                "option `apiKey` is visible to every visitor of this page and can spend your \
                 Lyzr credits; in production point `apiUrl` at a proxy that holds the key \
                 (see `lyzr-chat-server proxy`)",
            );
        }
        Ok(config)
    }
}

trait UncheckedObject {
    fn unchecked_ref_object(&self) -> &Object;
}

impl UncheckedObject for JsValue {
    fn unchecked_ref_object(&self) -> &Object {
        wasm_bindgen::JsCast::unchecked_ref(self)
    }
}

struct Reader<'a> {
    object: &'a Object,
    problems: Vec<String>,
}

impl Reader<'_> {
    /// The option's value; `None` when absent, `undefined` or `null`.
    fn get(&self, key: &str) -> Option<JsValue> {
        let value = Reflect::get(self.object, &JsValue::from_str(key)).ok()?;
        (!value.is_undefined() && !value.is_null()).then_some(value)
    }

    fn string(&mut self, key: &str, what: &str) -> Option<String> {
        let value = self.get(key)?;
        match value.as_string() {
            Some(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(_) => {
                self.problems.push(format!(
                    "option `{key}` must not be empty: {what} (a string)"
                ));
                None
            }
            None => {
                self.problems.push(format!(
                    "option `{key}` must be a string ({what}), not {}",
                    type_name(&value)
                ));
                None
            }
        }
    }

    fn boolean(&mut self, key: &str) -> Option<bool> {
        let value = self.get(key)?;
        if let Some(b) = value.as_bool() {
            return Some(b);
        }
        match value.as_string().as_deref() {
            Some("true") | Some("") => Some(true),
            Some("false") => Some(false),
            _ => {
                self.problems.push(format!(
                    "option `{key}` must be true or false, not {}",
                    type_name(&value)
                ));
                None
            }
        }
    }

    fn api_url(&mut self) -> String {
        let Some(url) = self.string(
            "apiUrl",
            "the API base URL, e.g. https://agent-prod.studio.lyzr.ai",
        ) else {
            return String::new();
        };
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") || url.starts_with('/') {
            url.trim_end_matches('/').to_string()
        } else {
            self.problems.push(format!(
                "option `apiUrl` must be an http(s) URL or a path on this site, like \
                 https://agent-prod.studio.lyzr.ai or /lyzr; got {url:?}"
            ));
            String::new()
        }
    }

    fn json(&mut self, key: &str) -> Option<Value> {
        let value = self.get(key)?;
        let text = js_sys::JSON::stringify(&value).ok()?.as_string()?;
        serde_json::from_str(&text).ok()
    }

    fn json_object(&mut self, key: &str) -> Option<Map<String, Value>> {
        match self.json(key)? {
            Value::Object(map) => Some(map),
            other => {
                self.problems.push(format!(
                    "option `{key}` must be an object of name: value pairs, not {}",
                    json_type_name(&other)
                ));
                None
            }
        }
    }

    fn features(&mut self) -> Option<Vec<Map<String, Value>>> {
        let key = "features";
        let items = match self.json(key)? {
            Value::Array(items) => items,
            other => {
                self.problems.push(format!(
                    "option `{key}` must be an array of feature objects, not {}",
                    json_type_name(&other)
                ));
                return None;
            }
        };
        let mut features = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::Object(map) => features.push(map),
                other => {
                    self.problems.push(format!(
                        "option `{key}` item {i} must be an object like {{\"type\": \"MEMORY\", \"config\": {{}}}}, not {}",
                        json_type_name(&other)
                    ));
                    return None;
                }
            }
        }
        Some(features)
    }
}

impl Reader<'_> {
    fn string_list(&mut self, key: &str, example: &str) -> Option<Vec<String>> {
        let items = match self.json(key)? {
            Value::Array(items) => items,
            other => {
                self.problems.push(format!(
                    "option `{key}` must be an array of strings like {example}, not {}",
                    json_type_name(&other)
                ));
                return None;
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_ascii_lowercase()),
                other => {
                    self.problems.push(format!(
                        "option `{key}` item {i} must be a non-empty string like {example}, not {}",
                        json_type_name(&other)
                    ));
                    return None;
                }
            }
        }
        Some(out)
    }

    /// `linkSchemes`: the URL schemes links in replies may use.
    fn link_schemes(&mut self) -> Option<Vec<String>> {
        let key = "linkSchemes";
        let schemes = self.string_list(key, r#"["https", "mailto"]"#)?;
        let mut out = Vec::with_capacity(schemes.len());
        for scheme in schemes {
            let scheme = scheme.trim_end_matches(':').to_string();
            let mut chars = scheme.chars();
            let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if !valid {
                self.problems.push(format!(
                    "option `{key}` has {scheme:?}, which is not a URL scheme (like \"https\")"
                ));
                return None;
            }
            if FORBIDDEN_SCHEMES.contains(&scheme.as_str()) {
                self.problems.push(format!(
                    "option `{key}` cannot allow {scheme:?}: such links can run code or carry \
                     content; allowed are e.g. https, http, mailto, tel"
                ));
                return None;
            }
            out.push(scheme);
        }
        Some(out)
    }

    /// `imageHosts`: hosts whose images in replies load without a click.
    fn image_hosts(&mut self) -> Option<Vec<String>> {
        let key = "imageHosts";
        let hosts = self.string_list(key, r#"["images.example.com", "*.cdn.example.com"]"#)?;
        for host in &hosts {
            let name = host.strip_prefix("*.").unwrap_or(host);
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
            if !valid {
                self.problems.push(format!(
                    "option `{key}` has {host:?}: give host names only, like \
                     \"images.example.com\" or \"*.example.com\" (no scheme, path or port)"
                ));
                return None;
            }
        }
        Some(hosts)
    }
}

fn type_name(value: &JsValue) -> String {
    value
        .js_typeof()
        .as_string()
        .unwrap_or_else(|| "unknown".to_string())
}

/// True on a page served from this machine, where a key in the page is a
/// developer's own business.
fn is_local_page() -> bool {
    web_sys::window()
        .and_then(|w| w.location().hostname().ok())
        .is_some_and(|h| h == "localhost" || h == "127.0.0.1" || h == "[::1]")
}
