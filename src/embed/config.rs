//! The host page's options (`mount({...})`), read and checked: each problem
//! is reported naming the option and what it accepts.

use crate::console;
use crate::markdown::{RenderPolicy, DEFAULT_LINK_SCHEMES, FORBIDDEN_SCHEMES};
use crate::state::Persistence;
use crate::ui::{Mode, Position, Theme, UiOptions};
use js_sys::{Object, Reflect};
use lyzr_chat_protocol::{json_type_name, AttachmentLimits};
use serde_json::{Map, Value};
use wasm_bindgen::JsCast;
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
    "assets",
    "stream",
    "timeoutMs",
    "starterPrompts",
    "theme",
    "primaryColor",
    "position",
    "offsetX",
    "offsetY",
    "zIndex",
    "mode",
    "container",
    "preload",
    "linkSchemes",
    "imageHosts",
    "persistence",
    "attachments",
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
    /// Ids of uploaded assets sent with every message.
    pub assets: Option<Vec<String>>,
    /// Use the stream call (default) or the chat call only.
    pub stream: bool,
    /// How long to wait for a complete answer, in milliseconds.
    pub timeout_ms: u32,
    /// Looks, place and mode of the widget.
    pub ui: UiOptions,
    /// Where an inline widget goes (required for `mode: "inline"`).
    pub container: Option<web_sys::Element>,
    /// Which links and images in agent replies are live (`linkSchemes`, `imageHosts`).
    pub render_policy: RenderPolicy,
    /// Where the conversation is kept between pages.
    pub persistence: Persistence,
    /// What may be attached to a message; `None`: attaching is off.
    pub attachments: Option<AttachmentLimits>,
}

/// Default `timeoutMs`: five minutes, since heavy agents are slow.
pub const DEFAULT_TIMEOUT_MS: u32 = 300_000;

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
        let container = reader.container();
        // Without these the widget cannot work at all; any other bad option
        // is reported and replaced by its default.
        let fatal = !reader.problems.is_empty();
        let config = WidgetConfig {
            agent_id: agent_id.unwrap_or_default(),
            api_url,
            api_key: reader.string("apiKey", "the x-api-key to send"),
            user_id: reader.string("userId", "a stable id of the visitor"),
            session_id: reader.session_id(),
            title: reader
                .string("title", "the panel's title")
                .unwrap_or_else(|| "Chat".to_string()),
            subtitle: reader.string("subtitle", "a line under the title"),
            welcome_message: reader.string("welcomeMessage", "the first message shown"),
            placeholder: reader
                .string("placeholder", "the composer's placeholder")
                .unwrap_or_else(|| "Type a message…".to_string()),
            open: reader.boolean("open").unwrap_or(false),
            persistence: reader
                .choice("persistence", &["local", "session", "none"])
                .and_then(Persistence::parse)
                .unwrap_or_default(),
            system_prompt_variables: reader.json_object("systemPromptVariables"),
            filter_variables: reader.json_object("filterVariables"),
            features: reader.features(),
            assets: reader.assets(),
            stream: reader.boolean("stream").unwrap_or(true),
            timeout_ms: reader.timeout_ms(),
            ui: UiOptions {
                theme: reader
                    .choice("theme", &["light", "dark", "auto"])
                    .map(Theme::from_name)
                    .unwrap_or_default(),
                primary_color: reader.color("primaryColor"),
                position: reader
                    .choice(
                        "position",
                        &["bottom-right", "bottom-left", "top-right", "top-left"],
                    )
                    .map(Position::from_name)
                    .unwrap_or_default(),
                offset_x: reader.integer("offsetX", 0, 2000).unwrap_or(20) as u32,
                offset_y: reader.integer("offsetY", 0, 2000).unwrap_or(20) as u32,
                z_index: reader.integer("zIndex", -2_147_483_647, 2_147_483_647),
                mode: reader
                    .choice("mode", &["floating", "inline", "fullpage"])
                    .map(Mode::from_name)
                    .unwrap_or_default(),
                starter_prompts: reader.strings("starterPrompts"),
            },
            container,
            render_policy: RenderPolicy {
                link_schemes: reader.link_schemes().unwrap_or_else(|| {
                    DEFAULT_LINK_SCHEMES.iter().map(|s| s.to_string()).collect()
                }),
                image_hosts: reader.image_hosts().unwrap_or_default(),
                page_origin: None,
            },
            attachments: reader.attachments(),
        };
        let mut fatal = fatal;
        if config.ui.mode == Mode::Inline && config.container.is_none() && !fatal {
            fatal = true;
            reader.problems.push(
                "option `container` is required with mode \"inline\": an element or a CSS selector of the element to fill"
                    .to_string(),
            );
        }
        if fatal {
            return Err(reader.problems);
        }
        for problem in &reader.problems {
            console::error(&format!("{problem}; the default is used instead"));
        }
        // A key sent straight to Lyzr is the account key; one sent to your own
        // proxy is its public widget key, which is meant to be on the page.
        if let Some(host) = config.api_key.as_ref().and(lyzr_api_host(&config.api_url)) {
            if !is_local_page() {
                console::warn(&format!(
                    "option `apiKey` goes straight to Lyzr ({host}): every visitor of this page \
                     can read it and spend your Lyzr credits; in production point `apiUrl` at a \
                     proxy that holds the key (see `lyzr-chat-server proxy`)"
                ));
            }
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

    /// One of `accepted` (case-insensitive).
    fn choice(&mut self, key: &str, accepted: &[&'static str]) -> Option<&'static str> {
        let value = self.get(key)?;
        let text = value.as_string().map(|s| s.trim().to_ascii_lowercase());
        if let Some(found) = accepted.iter().find(|a| Some(a.to_string()) == text) {
            return Some(found);
        }
        self.problems.push(format!(
            "option `{key}` must be one of {}, not {}",
            accepted
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", "),
            describe(&value)
        ));
        None
    }

    /// A whole number in `min..=max` (numeric strings accepted, as from HTML attributes).
    fn integer(&mut self, key: &str, min: i64, max: i64) -> Option<i32> {
        let value = self.get(key)?;
        let number = value
            .as_f64()
            .or_else(|| value.as_string().and_then(|s| s.trim().parse::<f64>().ok()));
        match number {
            Some(n) if n.fract() == 0.0 && (min as f64..=max as f64).contains(&n) => Some(n as i32),
            _ => {
                self.problems.push(format!(
                    "option `{key}` must be a whole number from {min} to {max}, not {}",
                    describe(&value)
                ));
                None
            }
        }
    }

    /// A CSS color the browser accepts (checked with `CSS.supports`).
    fn color(&mut self, key: &str) -> Option<String> {
        let color = self.string(key, "a CSS color such as #4f46e5")?;
        if web_sys::css::supports_with_value("color", &color).unwrap_or(false) {
            Some(color)
        } else {
            self.problems.push(format!(
                "option `{key}` must be a CSS color such as \"#4f46e5\" or \"rgb(79 70 229)\", not {color:?}"
            ));
            None
        }
    }

    /// An array of strings (a JSON array string is accepted, as from HTML attributes).
    fn strings(&mut self, key: &str) -> Vec<String> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let json = match value.as_string() {
            Some(text) => serde_json::from_str::<Value>(&text).ok(),
            None => self.json(key),
        };
        match json {
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .into_iter()
                .filter_map(|v| v.as_str().map(|s| s.trim().to_string()))
                .filter(|s| !s.is_empty())
                .collect(),
            _ => {
                self.problems.push(format!(
                    "option `{key}` must be an array of strings, e.g. [\"What can you do?\"], not {}",
                    describe(&value)
                ));
                Vec::new()
            }
        }
    }

    /// An element, or a CSS selector of one.
    fn container(&mut self) -> Option<web_sys::Element> {
        let value = self.get("container")?;
        if let Some(element) = value.dyn_ref::<web_sys::Element>() {
            return Some(element.clone());
        }
        if let Some(selector) = value.as_string() {
            let found = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector(&selector).ok().flatten());
            if found.is_none() {
                self.problems.push(format!(
                    "option `container`: no element matches the selector {selector:?}"
                ));
            }
            return found;
        }
        self.problems.push(format!(
            "option `container` must be an element or a CSS selector, not {}",
            describe(&value)
        ));
        None
    }

    /// `sessionId`: letters, digits, `_` and `-` only (the proxy refuses
    /// anything else), at most 128 characters.
    fn session_id(&mut self) -> Option<String> {
        let id = self.string("sessionId", "a conversation id to continue")?;
        let valid = id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            self.problems.push(format!(
                "option `sessionId` must be letters, digits, `_` and `-` only (at most 128), e.g. `{{agentId}}-{{random}}`; got {id:?}"
            ));
            return None;
        }
        Some(id)
    }

    fn timeout_ms(&mut self) -> u32 {
        let Some(value) = self.get("timeoutMs") else {
            return DEFAULT_TIMEOUT_MS;
        };
        let number = value
            .as_f64()
            .or_else(|| value.as_string().and_then(|s| s.trim().parse::<f64>().ok()));
        match number {
            Some(ms) if (1000.0..=3_600_000.0).contains(&ms) => ms as u32,
            _ => {
                self.problems.push(format!(
                    "option `timeoutMs` must be a number of milliseconds from 1000 to 3600000 \
                     (default {DEFAULT_TIMEOUT_MS}), not {}",
                    describe(&value)
                ));
                DEFAULT_TIMEOUT_MS
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
        let value = self.json(key)?;
        self.checked(check_object(key, value))
    }

    fn features(&mut self) -> Option<Vec<Map<String, Value>>> {
        let value = self.json("features")?;
        self.checked(check_features("features", value))
    }

    fn assets(&mut self) -> Option<Vec<String>> {
        let value = self.json("assets")?;
        self.checked(check_assets("assets", value))
    }

    /// `attachments`: false, true, or `{maxFiles, maxBytes, accept}` (JSON
    /// in an attribute; a bare attribute means true).
    fn attachments(&mut self) -> Option<AttachmentLimits> {
        let Some(value) = self.get("attachments") else {
            return Some(AttachmentLimits::default());
        };
        let json = match value.as_string() {
            Some(text) if text.trim().is_empty() => Value::Bool(true),
            Some(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
            None => self.json("attachments").unwrap_or(Value::Null),
        };
        let (limits, problems) = AttachmentLimits::from_option(&json);
        self.problems.extend(problems);
        limits
    }

    fn checked<T>(&mut self, result: Result<T, String>) -> Option<T> {
        result.map_err(|problem| self.problems.push(problem)).ok()
    }
}

/// An object of name: value pairs (`systemPromptVariables`, ...).
pub fn check_object(key: &str, value: Value) -> Result<Map<String, Value>, String> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(format!(
            "option `{key}` must be an object of name: value pairs, not {}",
            json_type_name(&other)
        )),
    }
}

/// An array of feature objects.
pub fn check_features(key: &str, value: Value) -> Result<Vec<Map<String, Value>>, String> {
    let Value::Array(items) = value else {
        return Err(format!(
            "option `{key}` must be an array of feature objects, not {}",
            json_type_name(&value)
        ));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(map) => Ok(map),
            other => Err(format!(
                "option `{key}` item {i} must be an object like {{\"type\": \"MEMORY\", \"config\": {{}}}}, not {}",
                json_type_name(&other)
            )),
        })
        .collect()
}

/// An array of uploaded asset ids.
pub fn check_assets(key: &str, value: Value) -> Result<Vec<String>, String> {
    match value {
        Value::Array(items) if items.iter().all(Value::is_string) => Ok(items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()),
        other => Err(format!(
            "option `{key}` must be an array of asset id strings, not {}",
            json_type_name(&other)
        )),
    }
}

/// Reads `setTheme({theme, primaryColor})`.
pub fn theme_from_js(js: &JsValue) -> Result<(Option<Theme>, Option<String>), Vec<String>> {
    if !js.is_object() {
        return Err(vec![
            "setTheme needs \"light\", \"dark\", \"auto\" or { theme, primaryColor }".to_string(),
        ]);
    }
    let object: &Object = js.unchecked_ref_object();
    let mut reader = Reader {
        object,
        problems: Vec::new(),
    };
    for key in Object::keys(object).iter().filter_map(|k| k.as_string()) {
        if key != "theme" && key != "primaryColor" {
            reader.problems.push(format!(
                "setTheme: unknown option `{key}`; known: theme, primaryColor"
            ));
        }
    }
    let theme = reader
        .choice("theme", &["light", "dark", "auto"])
        .map(Theme::from_name);
    let color = reader.color("primaryColor");
    if reader.problems.is_empty() {
        Ok((theme, color))
    } else {
        Err(reader.problems)
    }
}

/// Reads `setVariables({...})`: snake_case names as in the API body, or the
/// camelCase option names.
pub fn variables_from_js(js: &JsValue) -> Result<crate::state::Variables, Vec<String>> {
    let json = js_sys::JSON::stringify(js)
        .ok()
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str::<Value>(&s).ok());
    let Some(Value::Object(mut fields)) = json else {
        return Err(vec![
            "setVariables needs an object, e.g. { system_prompt_variables: { name: \"Ada\" } }"
                .to_string(),
        ]);
    };
    let mut problems = Vec::new();
    let mut take = |snake: &str, camel: &str| {
        let key = if fields.contains_key(snake) {
            snake
        } else {
            camel
        };
        fields
            .remove(key)
            .filter(|v| !v.is_null())
            .map(|v| (key.to_string(), v))
    };
    let mut variables = crate::state::Variables::default();
    if let Some((key, value)) = take("system_prompt_variables", "systemPromptVariables") {
        variables.system_prompt_variables =
            check_object(&key, value).map_err(|p| problems.push(p)).ok();
    }
    if let Some((key, value)) = take("filter_variables", "filterVariables") {
        variables.filter_variables = check_object(&key, value).map_err(|p| problems.push(p)).ok();
    }
    if let Some((key, value)) = take("features", "features") {
        variables.features = check_features(&key, value)
            .map_err(|p| problems.push(p))
            .ok();
    }
    if let Some((key, value)) = take("assets", "assets") {
        variables.assets = check_assets(&key, value).map_err(|p| problems.push(p)).ok();
    }
    for key in fields.keys() {
        problems.push(format!(
            "setVariables: unknown field `{key}`; known: system_prompt_variables, filter_variables, features, assets"
        ));
    }
    if problems.is_empty() {
        Ok(variables)
    } else {
        Err(problems)
    }
}

/// A value as shown in an error: JSON where possible, else its type.
fn describe(value: &JsValue) -> String {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| type_name(value))
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
/// The API's host when it is Lyzr's own (`*.lyzr.ai`).
fn lyzr_api_host(api_url: &str) -> Option<String> {
    let rest = api_url.split_once("://").map(|(_, rest)| rest)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .split(':')
        .next()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    (host == "lyzr.ai" || host.ends_with(".lyzr.ai")).then_some(host)
}

fn is_local_page() -> bool {
    web_sys::window()
        .and_then(|w| w.location().hostname().ok())
        .is_some_and(|h| h == "localhost" || h == "127.0.0.1" || h == "[::1]")
}

#[cfg(test)]
mod tests {
    use super::lyzr_api_host;

    #[test]
    fn only_lyzr_hosts_count_as_lyzr() {
        assert_eq!(
            lyzr_api_host("https://agent-prod.studio.lyzr.ai").as_deref(),
            Some("agent-prod.studio.lyzr.ai")
        );
        assert_eq!(
            lyzr_api_host("https://LYZR.AI:443/v3").as_deref(),
            Some("lyzr.ai")
        );
        assert_eq!(
            lyzr_api_host("https://x@agent.lyzr.ai./").as_deref(),
            Some("agent.lyzr.ai")
        );
        for other in [
            "",
            "/lyzr",
            "https://chat-proxy.example.com",
            "https://lyzr.ai.example.com",
            "https://notlyzr.ai",
            "https://example.com/?to=https://agent.lyzr.ai",
        ] {
            assert_eq!(lyzr_api_host(other), None, "{other}");
        }
    }
}
