//! The host page's options (`mount({...})`, attributes, `setOption`), read
//! and checked through the option table (`options.rs`) into the widget's
//! one [`Settings`] value: each problem is reported naming the option and
//! what it accepts.

use super::options::{self, Kind, OptionSpec, OPTIONS};
use crate::console;
use crate::markdown::{DEFAULT_LINK_SCHEMES, FORBIDDEN_SCHEMES};
use crate::settings::{Mode, Settings, DEFAULT_OFFSET, MODES, PERSISTENCES, POSITIONS, THEMES};
use crate::ui::i18n::{canonical_locale, Dir, Label, Override};
use js_sys::{Object, Reflect};
use lyzr_chat_protocol::{AttachmentLimits, Json, Object as JsonObject};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;

pub use super::options::DEFAULT_TIMEOUT_MS;

/// What the options say besides the [`Settings`], for the JavaScript face
/// alone: where an inline widget goes, and what becomes the widget's words
/// (`ui::i18n::Words`, built from these once).
#[derive(Default)]
pub struct Page {
    /// `container` (required for `mode: "inline"`).
    pub container: Option<web_sys::Element>,
    /// `locale`, canonical (`None`: the page's language).
    pub locale: Option<String>,
    /// `dir` (`None`: auto, from the locale).
    pub dir: Option<Dir>,
    /// `labels`, then `title` and `placeholder` (the labels they set) over
    /// them: the page's own words, over the locale's.
    pub labels: Vec<(Label, Override)>,
}

/// Reads a plain JavaScript object: every option of the table, in its
/// order, into [`Settings`] and [`Page`]. Unknown options are warned about
/// and ignored; invalid ones are returned as errors, one per option, when
/// the widget cannot work without them (`agentId`, `apiUrl`, `container`),
/// else logged, their default used.
pub fn from_js(js: &JsValue) -> Result<(Settings, Page), Vec<String>> {
    if !js.is_object() {
        return Err(vec![
            "mount(config) needs an object, e.g. mount({ agentId: \"your-agent-id\" })".to_string(),
        ]);
    }
    let object: &Object = js.unchecked_ref();
    for key in Object::keys(object).iter().filter_map(|k| k.as_string()) {
        if options::find(&key).is_none() {
            console::warn(&format!(
                "unknown option `{key}` ignored; known options: {}",
                OPTIONS
                    .iter()
                    .map(|o| o.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let mut reader = Reader {
        object,
        problems: Vec::new(),
        page: Page::default(),
    };
    let mut settings = Settings::default();
    let mut fatal = false;
    for spec in OPTIONS {
        let before = reader.problems.len();
        read(&mut reader, spec, &mut settings);
        // Without these the widget cannot work at all; any other bad option
        // is reported and replaced by its default.
        fatal |= reader.problems.len() > before
            && matches!(spec.name, "agentId" | "apiUrl" | "container");
    }
    let Reader {
        mut problems, page, ..
    } = reader;
    if settings.look.mode == Mode::Inline && page.container.is_none() && !fatal {
        fatal = true;
        problems.push(
            "option `container` is required with mode \"inline\": an element or a CSS selector of the element to fill"
                .to_string(),
        );
    }
    if fatal {
        return Err(problems);
    }
    for problem in &problems {
        console::error(&format!("{problem}; the default is used instead"));
    }
    // A key sent straight to Lyzr is the account key; one sent to your own
    // proxy is its public widget key, which is meant to be on the page.
    let endpoint = &settings.endpoint;
    if let Some(host) = endpoint
        .api_key
        .as_ref()
        .and(lyzr_api_host(&endpoint.base_url))
    {
        if !is_local_page() {
            console::warn(&format!(
                "option `apiKey` goes straight to Lyzr ({host}): every visitor of this page \
                 can read it and spend your Lyzr credits; in production point `apiUrl` at a \
                 proxy that holds the key (see `lyzr-chat-server proxy`)"
            ));
        }
    }
    Ok((settings, page))
}

/// Reads the option `spec` into `s` (or `r.page`): the one place each
/// option's value is read, at mount and when it changes live. Options are
/// read in the table's order, so one may use those before it (`sessionId`
/// the `agentId`, `activity` the `apiUrl`).
fn read(r: &mut Reader, spec: &OptionSpec, s: &mut Settings) {
    let look = &mut s.look;
    let fields = &mut s.fields;
    match spec.name {
        "agentId" => match r.text(spec) {
            Some(id) => s.agent_id = id,
            None if r.problems.is_empty() => r.problems.push(
                "option `agentId` is required: the id of your Lyzr agent (a string)".to_string(),
            ),
            None => {}
        },
        "apiUrl" => s.endpoint.base_url = r.api_url(spec),
        "apiKey" => s.endpoint.api_key = r.text(spec),
        "userId" => {
            if let Some(id) = r.text(spec) {
                s.user_id = id;
            }
        }
        "sessionId" => s.session_id = r.session_id(spec, &s.agent_id),
        "title" => r.label(spec, Label::Title),
        "subtitle" => s.subtitle = r.text(spec),
        "welcomeMessage" => s.welcome = r.text(spec),
        "placeholder" => r.label(spec, Label::Placeholder),
        "starterPrompts" => {
            look.starter_prompts = r
                .strings(spec)
                .unwrap_or_default()
                .into_iter()
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        }
        "theme" => look.theme = r.pick(spec, &THEMES),
        "primaryColor" => look.primary_color = r.color(spec),
        "position" => look.position = r.pick(spec, &POSITIONS),
        "offsetX" => look.offset_x = r.whole(spec).map_or(DEFAULT_OFFSET, |px| px as u32),
        "offsetY" => look.offset_y = r.whole(spec).map_or(DEFAULT_OFFSET, |px| px as u32),
        "zIndex" => look.z_index = r.whole(spec).map(|z| z as i32),
        "mode" => look.mode = r.pick(spec, &MODES),
        "container" => r.page.container = r.element(spec),
        "open" => s.open = r.boolean(spec).unwrap_or(false),
        "persistence" => s.persistence = r.pick(spec, &PERSISTENCES),
        "attachments" => s.attachments = r.attachments(spec),
        "systemPromptVariables" => fields.system_prompt_variables = r.object(spec),
        "filterVariables" => fields.filter_variables = r.object(spec),
        "features" => fields.features = r.objects(spec),
        "assets" => fields.assets = r.strings(spec),
        "responseFormat" => fields.response_format = r.object(spec),
        "providerOverrides" => fields.provider_overrides = r.object(spec),
        // Lyzr's API has its events on another host, behind the account
        // key: activity is on by default only where /v3/events is served
        // (the local agent, the proxy).
        "activity" => {
            s.activity = r
                .boolean(spec)
                .unwrap_or_else(|| lyzr_api_host(&s.endpoint.base_url).is_none())
        }
        "stream" => s.send.stream = r.boolean(spec).unwrap_or(true),
        "timeoutMs" => s.send.timeout_ms = r.whole(spec).map_or(DEFAULT_TIMEOUT_MS, |ms| ms as u32),
        "linkSchemes" => {
            s.render_policy.link_schemes = r
                .link_schemes(spec)
                .unwrap_or_else(|| DEFAULT_LINK_SCHEMES.iter().map(|s| s.to_string()).collect())
        }
        "imageHosts" => s.render_policy.image_hosts = r.image_hosts(spec).unwrap_or_default(),
        "locale" => r.page.locale = r.locale(spec),
        "dir" => r.page.dir = r.pick(spec, &[None, Some(Dir::Ltr), Some(Dir::Rtl)]),
        // Under `title` and `placeholder`, read before it.
        "labels" => {
            let mut labels = r.labels(spec);
            labels.append(&mut r.page.labels);
            r.page.labels = labels;
        }
        // Used by the loader before the wasm arrives; checked here, once.
        "load" => {
            r.choice(spec);
        }
        "preload" => {
            r.boolean(spec);
        }
        // None: `every_option_of_the_table_has_its_reader` holds the arms
        // to the table.
        _ => {}
    }
}

/// Reads the options of `specs` that `object` has (`null`: back to the
/// default) into a copy of `current`: the settings after a live change,
/// or every problem, nothing being changed then.
pub fn change(
    object: &Object,
    specs: &[&OptionSpec],
    current: &Settings,
) -> Result<Settings, Vec<String>> {
    let mut reader = Reader {
        object,
        problems: Vec::new(),
        page: Page::default(),
    };
    let mut next = current.clone();
    let given: Vec<String> = Object::keys(object)
        .iter()
        .filter_map(|k| k.as_string())
        .collect();
    for spec in specs {
        if given.iter().any(|k| k == spec.name) {
            read(&mut reader, spec, &mut next);
        }
    }
    if reader.problems.is_empty() {
        Ok(next)
    } else {
        Err(reader.problems)
    }
}

/// Reads options out of a plain object, each one through its entry in the
/// option table (`options.rs`): the spec gives the name, what it accepts and
/// the words of the error.
struct Reader<'a> {
    object: &'a Object,
    problems: Vec<String>,
    page: Page,
}

impl Reader<'_> {
    /// An option that sets the text of a label (`title`, `placeholder`).
    fn label(&mut self, spec: &OptionSpec, label: Label) {
        if let Some(text) = self.text(spec) {
            self.page.labels.push((label, Override::Text(text)));
        }
    }
    /// The option's value; `None` when absent, `undefined` or `null`.
    fn get(&self, spec: &OptionSpec) -> Option<JsValue> {
        let value = Reflect::get(self.object, &JsValue::from_str(spec.name)).ok()?;
        (!value.is_undefined() && !value.is_null()).then_some(value)
    }

    /// `Kind::Text`: a non-empty string, trimmed.
    fn text(&mut self, spec: &OptionSpec) -> Option<String> {
        debug_assert!(matches!(spec.kind, Kind::Text | Kind::Url | Kind::Color));
        let key = spec.name;
        let value = self.get(spec)?;
        match value.as_string() {
            Some(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(_) => {
                self.problems
                    .push(format!("option `{key}` must be a non-empty string"));
                None
            }
            None => {
                self.problems.push(format!(
                    "option `{key}` must be a string, not {}",
                    type_name(&value)
                ));
                None
            }
        }
    }

    /// `Kind::Text` that is a language tag (`fr`, `pt-BR`), canonical.
    fn locale(&mut self, spec: &OptionSpec) -> Option<String> {
        let tag = self.text(spec)?;
        let canonical = canonical_locale(&tag);
        if canonical.is_none() {
            self.problems.push(format!(
                "option `{}` must be a language tag like \"fr\" or \"pt-BR\"; got {tag:?}",
                spec.name
            ));
        }
        canonical
    }

    /// `Kind::Labels`: label key: text (see `language::read_texts`).
    fn labels(&mut self, spec: &OptionSpec) -> Vec<(Label, Override)> {
        debug_assert_eq!(spec.kind, Kind::Labels);
        let Some(value) = self.get(spec) else {
            return Vec::new();
        };
        let what = format!("option `{}`", spec.name);
        super::language::read_texts(&value, &what, &mut self.problems)
    }

    /// `sessionId`: the form the proxy accepts (see [`check_session_id`]).
    fn session_id(&mut self, spec: &OptionSpec, agent_id: &str) -> Option<String> {
        let id = self.text(spec)?;
        match check_session_id(agent_id, &id) {
            Ok(()) => Some(id),
            Err(why) => {
                self.problems.push(format!(
                    "option `{}` must be `{agent_id}-` followed by letters, digits or `_` \
                     ({why}), 256 characters at most, like \"{agent_id}-5f2c9a\"; got {id:?}",
                    spec.name
                ));
                None
            }
        }
    }

    /// `Kind::Bool`: a boolean, or as an attribute present / "true" / "false".
    fn boolean(&mut self, spec: &OptionSpec) -> Option<bool> {
        debug_assert_eq!(spec.kind, Kind::Bool);
        let key = spec.name;
        let value = self.get(spec)?;
        if let Some(b) = value.as_bool() {
            return Some(b);
        }
        match value.as_string().as_deref().map(str::trim) {
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

    /// `Kind::Choice`: one of its words (case-insensitive).
    /// `Kind::Choice`: the value of `values` (in the order of the option's
    /// words) it names; the first when absent or bad.
    fn pick<T: Copy + Default>(&mut self, spec: &OptionSpec, values: &[T]) -> T {
        self.choice(spec)
            .and_then(|i| values.get(i).copied())
            .unwrap_or_default()
    }

    /// `Kind::Choice`: which of its words it is (case-insensitive).
    fn choice(&mut self, spec: &OptionSpec) -> Option<usize> {
        let Kind::Choice(accepted) = spec.kind else {
            return None;
        };
        let value = self.get(spec)?;
        let text = value.as_string().map(|s| s.trim().to_ascii_lowercase());
        if let Some(found) = accepted.iter().position(|a| Some(*a) == text.as_deref()) {
            return Some(found);
        }
        self.problems.push(format!(
            "option `{}` must be one of {}, not {}",
            spec.name,
            accepted
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", "),
            describe(&value)
        ));
        None
    }

    /// `Kind::Whole`: a whole number in its range (numeric strings accepted,
    /// as from HTML attributes).
    fn whole(&mut self, spec: &OptionSpec) -> Option<i64> {
        let Kind::Whole { min, max } = spec.kind else {
            unreachable!("{} is not a whole number", spec.name)
        };
        let value = self.get(spec)?;
        // JavaScript reads a numeric string (an attribute); parsing it here
        // would link Rust's float parser into the wasm.
        let number = value.as_f64().or_else(|| {
            let text = value.as_string()?;
            let n = js_sys::Number::from(JsValue::from_str(text.trim())).value_of();
            (!text.trim().is_empty()).then_some(n)
        });
        match number {
            Some(n) if n.fract() == 0.0 && (min as f64..=max as f64).contains(&n) => Some(n as i64),
            _ => {
                let default = spec
                    .default
                    .map_or_else(String::new, |d| format!(" (default {d})"));
                self.problems.push(format!(
                    "option `{}` must be a whole number from {min} to {max}{default}, not {}",
                    spec.name,
                    describe(&value)
                ));
                None
            }
        }
    }

    /// `Kind::Color`: colour syntax only ([`is_color_syntax`]) that the
    /// browser also accepts (`CSS.supports`).
    fn color(&mut self, spec: &OptionSpec) -> Option<String> {
        debug_assert_eq!(spec.kind, Kind::Color);
        let color = self.text(spec)?;
        if is_color_syntax(&color)
            && web_sys::css::supports_with_value("color", &color).unwrap_or(false)
        {
            Some(color)
        } else {
            self.problems.push(format!(
                "option `{}` must be a colour: hex (\"#4f46e5\"), rgb(), rgba(), hsl(), \
                 hsla(), oklch() or a colour name; var(), url() and other CSS are not \
                 accepted; got {color:?}",
                spec.name
            ));
            None
        }
    }

    /// `Kind::Element`: an element, or a CSS selector of one.
    fn element(&mut self, spec: &OptionSpec) -> Option<web_sys::Element> {
        debug_assert_eq!(spec.kind, Kind::Element);
        let key = spec.name;
        let value = self.get(spec)?;
        if let Some(element) = value.dyn_ref::<web_sys::Element>() {
            return Some(element.clone());
        }
        if let Some(selector) = value.as_string() {
            let found = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector(&selector).ok().flatten());
            if found.is_none() {
                self.problems.push(format!(
                    "option `{key}`: no element matches the selector {selector:?}"
                ));
            }
            return found;
        }
        self.problems.push(format!(
            "option `{key}` must be an element or a CSS selector, not {}",
            describe(&value)
        ));
        None
    }

    /// `Kind::Url`: an http(s) URL or a path, without a trailing slash;
    /// empty (the page's origin) when absent or bad.
    fn api_url(&mut self, spec: &OptionSpec) -> String {
        debug_assert_eq!(spec.kind, Kind::Url);
        let Some(url) = self.text(spec) else {
            return String::new();
        };
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") || url.starts_with('/') {
            url.trim_end_matches('/').to_string()
        } else {
            self.problems.push(format!(
                "option `{}` must be an http(s) URL or a path on this site, like \
                 https://agent-prod.studio.lyzr.ai or /lyzr; got {url:?}",
                spec.name
            ));
            String::new()
        }
    }

    /// The value as JSON. A string is read as JSON text: that is how
    /// objects and arrays arrive from HTML attributes.
    fn json(&mut self, spec: &OptionSpec) -> Option<Json> {
        let value = self.get(spec)?;
        if let Some(text) = value.as_string() {
            return match Json::parse(&text) {
                Ok(json) => Some(json),
                Err(e) => {
                    self.problems.push(format!(
                        "option `{}` must be {}; as an attribute, written as JSON \
                         (it was not: {e})",
                        spec.name,
                        match spec.kind {
                            Kind::Object => "an object of name: value pairs",
                            Kind::Objects => "an array of objects",
                            _ => "an array of strings",
                        }
                    ));
                    None
                }
            };
        }
        let text = js_sys::JSON::stringify(&value).ok()?.as_string()?;
        Json::parse(&text).ok()
    }

    /// `Kind::Object`: an object of name: value pairs.
    fn object(&mut self, spec: &OptionSpec) -> Option<JsonObject> {
        debug_assert_eq!(spec.kind, Kind::Object);
        let value = self.json(spec)?;
        self.checked(check_object(spec.name, value))
    }

    /// `Kind::Objects`: an array of objects (`features`).
    fn objects(&mut self, spec: &OptionSpec) -> Option<Vec<JsonObject>> {
        debug_assert_eq!(spec.kind, Kind::Objects);
        let value = self.json(spec)?;
        self.checked(check_features(spec.name, value))
    }

    /// `Kind::Strings`: an array of strings.
    fn strings(&mut self, spec: &OptionSpec) -> Option<Vec<String>> {
        debug_assert_eq!(spec.kind, Kind::Strings);
        let value = self.json(spec)?;
        self.checked(check_strings(spec.name, value))
    }

    /// `Kind::Attachments`: false, true, or `{maxFiles, maxBytes, accept}`
    /// (JSON in an attribute; a bare attribute means true).
    fn attachments(&mut self, spec: &OptionSpec) -> Option<AttachmentLimits> {
        debug_assert_eq!(spec.kind, Kind::Attachments);
        let Some(value) = self.get(spec) else {
            return Some(AttachmentLimits::default());
        };
        let json = match value.as_string() {
            Some(text) if text.trim().is_empty() => Json::Bool(true),
            Some(text) => Json::parse(&text).unwrap_or(Json::String(text)),
            None => self.json(spec).unwrap_or(Json::Null),
        };
        let (limits, problems) = AttachmentLimits::from_option(&json);
        self.problems.extend(problems);
        limits
    }

    fn checked<T>(&mut self, result: Result<T, String>) -> Option<T> {
        result.map_err(|problem| self.problems.push(problem)).ok()
    }
}

/// An array of strings (`starterPrompts`, `assets`, `linkSchemes`, ...).
pub fn check_strings(key: &str, value: Json) -> Result<Vec<String>, String> {
    match value {
        Json::Array(items) if items.iter().all(Json::is_string) => Ok(items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()),
        other => Err(format!(
            "option `{key}` must be an array of strings, e.g. [\"one\", \"two\"], not {}",
            other.type_name()
        )),
    }
}

/// An object of name: value pairs (`systemPromptVariables`, ...).
pub fn check_object(key: &str, value: Json) -> Result<JsonObject, String> {
    match value {
        Json::Object(map) => Ok(map),
        other => Err(format!(
            "option `{key}` must be an object of name: value pairs, not {}",
            other.type_name()
        )),
    }
}

/// An array of feature objects.
pub fn check_features(key: &str, value: Json) -> Result<Vec<JsonObject>, String> {
    let Json::Array(items) = value else {
        return Err(format!(
            "option `{key}` must be an array of feature objects, not {}",
            value.type_name()
        ));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Json::Object(map) => Ok(map),
            other => Err(format!(
                "option `{key}` item {i} must be an object like {{\"type\": \"MEMORY\", \"config\": {{}}}}, not {}",
                other.type_name()
            )),
        })
        .collect()
}

/// Reads `setTheme({theme, primaryColor})` into a copy of `current`.
pub fn theme_from_js(js: &JsValue, current: &Settings) -> Result<Settings, Vec<String>> {
    if !js.is_object() {
        return Err(vec![
            "setTheme needs \"light\", \"dark\", \"auto\" or { theme, primaryColor }".to_string(),
        ]);
    }
    let object: &Object = js.unchecked_ref();
    let mut problems = Vec::new();
    for key in Object::keys(object).iter().filter_map(|k| k.as_string()) {
        if key != "theme" && key != "primaryColor" {
            problems.push(format!(
                "setTheme: unknown option `{key}`; known: theme, primaryColor"
            ));
        }
    }
    let next = change(object, &[&options::THEME, &options::PRIMARY_COLOR], current);
    match next {
        Ok(next) if problems.is_empty() => Ok(next),
        Ok(_) => Err(problems),
        Err(mut more) => {
            problems.append(&mut more);
            Err(problems)
        }
    }
}

/// The request fields' options: what `setVariables` changes.
const FIELDS: [&OptionSpec; 6] = [
    &options::SYSTEM_PROMPT_VARIABLES,
    &options::FILTER_VARIABLES,
    &options::FEATURES,
    &options::ASSETS,
    &options::RESPONSE_FORMAT,
    &options::PROVIDER_OVERRIDES,
];

/// Reads `setVariables({...})` (snake_case names as in the API body, or
/// the options' camelCase names; `null` leaves a field as it is) into a
/// copy of `current`, through the options' readers. Problems name the
/// field as the page spelled it.
pub fn variables_from_js(js: &JsValue, current: &Settings) -> Result<Settings, Vec<String>> {
    if !js.is_object() {
        return Err(vec![
            "setVariables needs an object, e.g. { system_prompt_variables: { name: \"Ada\" } }"
                .to_string(),
        ]);
    }
    let given: &Object = js.unchecked_ref();
    let object = Object::new();
    let mut problems = Vec::new();
    let mut spelled = Vec::new();
    for key in Object::keys(given).iter().filter_map(|k| k.as_string()) {
        let value = Reflect::get(given, &JsValue::from_str(&key)).unwrap_or_default();
        let mut name = String::with_capacity(key.len());
        let mut upper = false;
        for c in key.chars() {
            match c {
                '_' => upper = true,
                c if upper => {
                    name.push(c.to_ascii_uppercase());
                    upper = false;
                }
                c => name.push(c),
            }
        }
        match FIELDS.iter().find(|spec| spec.name == name) {
            Some(_) if value.is_null() || value.is_undefined() => {}
            Some(spec) => {
                let _ = Reflect::set(&object, &JsValue::from_str(spec.name), &value);
                spelled.push((format!("`{}`", spec.name), format!("`{key}`")));
            }
            None => problems.push(format!(
                "setVariables: unknown field `{key}`; known: system_prompt_variables, \
                 filter_variables, features, assets, response_format, provider_overrides"
            )),
        }
    }
    let next = change(&object, &FIELDS, current).map_err(|more| {
        more.into_iter()
            .map(|p| {
                spelled
                    .iter()
                    .fold(p, |p, (name, key)| p.replacen(name.as_str(), key, 1))
            })
            .collect()
    });
    match next {
        Ok(next) if problems.is_empty() => Ok(next),
        Ok(_) => Err(problems),
        Err(mut more) => {
            problems.append(&mut more);
            Err(problems)
        }
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
    /// Non-empty strings, lowercased (schemes and hosts).
    fn lowercase_list(&mut self, spec: &OptionSpec, example: &str) -> Option<Vec<String>> {
        let key = spec.name;
        let items = self.strings(spec)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            if item.trim().is_empty() {
                self.problems.push(format!(
                    "option `{key}` item {i} must be a non-empty string like {example}"
                ));
                return None;
            }
            out.push(item.trim().to_ascii_lowercase());
        }
        Some(out)
    }

    /// `linkSchemes`: the URL schemes links in replies may use.
    fn link_schemes(&mut self, spec: &OptionSpec) -> Option<Vec<String>> {
        let key = spec.name;
        let schemes = self.lowercase_list(spec, r#"["https", "mailto"]"#)?;
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
    fn image_hosts(&mut self, spec: &OptionSpec) -> Option<Vec<String>> {
        let key = spec.name;
        let hosts = self.lowercase_list(spec, r#"["images.example.com", "*.cdn.example.com"]"#)?;
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

/// A host page's `sessionId` must have the form the widget makes and the
/// proxy accepts: `{agentId}-` then letters, digits or `_` (no other `-`),
/// 256 characters at most. `Err` says what is wrong.
pub fn check_session_id(agent_id: &str, id: &str) -> Result<(), &'static str> {
    let Some(suffix) = id
        .strip_prefix(agent_id)
        .and_then(|rest| rest.strip_prefix('-'))
    else {
        return Err("it does not start with the agent id and a dash");
    };
    if id.len() > 256 {
        return Err("it is too long");
    }
    if suffix.is_empty() {
        return Err("nothing follows the dash");
    }
    if !suffix
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err("after the dash it has something else");
    }
    Ok(())
}

/// Whether `text` is written as a colour and nothing else: `#` and 3, 4, 6
/// or 8 hex digits; a name (letters only: `red`, `transparent`); or
/// `rgb()`, `rgba()`, `hsl()`, `hsla()`, `oklch()` of numbers, percentages,
/// angles and `none`. Anything that could make the browser fetch or read
/// something else (`var()`, `url()`, `image-set()`, nested functions) fails.
pub fn is_color_syntax(text: &str) -> bool {
    let text = text.trim().to_ascii_lowercase();
    if let Some(hex) = text.strip_prefix('#') {
        return matches!(hex.len(), 3 | 4 | 6 | 8) && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphabetic()) {
        return true;
    }
    let Some((name, rest)) = text.split_once('(') else {
        return false;
    };
    let Some(args) = rest.strip_suffix(')') else {
        return false;
    };
    if !matches!(name, "rgb" | "rgba" | "hsl" | "hsla" | "oklch") {
        return false;
    }
    let mut count = 0;
    for token in args
        .split([' ', '\t', '\n', ',', '/'])
        .filter(|t| !t.is_empty())
    {
        count += 1;
        if token == "none" {
            continue;
        }
        let number = ["%", "deg", "grad", "rad", "turn"]
            .iter()
            .find_map(|unit| token.strip_suffix(unit))
            .unwrap_or(token);
        if !is_css_number(number) {
            return false;
        }
    }
    (3..=4).contains(&count)
}

/// A finite decimal number as CSS writes one: `12`, `-0.5`, `.5`, `1e3`
/// (`inf`, `NaN`, hex and exponents too large to be finite are not). Read
/// without parsing a float, which would link Rust's float parser into the wasm.
fn is_css_number(text: &str) -> bool {
    let text = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || whole.len() + fraction.len() == 0 {
        return false;
    }
    let Some(exponent) = exponent else {
        return true;
    };
    let sign = exponent.starts_with('-');
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    if exponent.is_empty() || !digits(exponent) {
        return false;
    }
    // A float holds up to about 1.8e308: the whole part's significant
    // digits plus the exponent may be 308 at most, so values under 1e308
    // pass and larger ones (finite up to 1.8e308, or not) are refused.
    let significant = whole.trim_start_matches('0').len() as u64;
    let exponent = exponent.trim_start_matches('0');
    let exponent: u64 = if exponent.is_empty() {
        0
    } else {
        exponent.parse().unwrap_or(u64::MAX)
    };
    sign || significant == 0 || significant.saturating_add(exponent) <= 308
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
    use super::{is_color_syntax, lyzr_api_host};

    /// `read` is a match on the option's name: an option added to the table
    /// without an arm there would panic at mount (the browser tests mount
    /// with every option), and one renamed in the table would leave a dead arm.
    /// `pick` maps a choice's words to values by position.
    #[test]
    fn choice_values_are_in_the_order_of_the_words() {
        use super::options::{Kind, OptionSpec, DIR, MODE, PERSISTENCE, POSITION, THEME};
        use crate::settings::{MODES, PERSISTENCES, POSITIONS, THEMES};
        let words = |spec: OptionSpec| match spec.kind {
            Kind::Choice(words) => words.iter().map(|w| w.replace('-', "")).collect::<Vec<_>>(),
            _ => unreachable!(),
        };
        let names = |values: &[&dyn std::fmt::Debug]| {
            values
                .iter()
                .map(|v| format!("{v:?}").to_ascii_lowercase())
                .collect::<Vec<_>>()
        };
        assert_eq!(words(THEME), names(&THEMES.each_ref().map(|v| v as _)));
        assert_eq!(
            words(POSITION),
            names(&POSITIONS.each_ref().map(|v| v as _))
        );
        assert_eq!(words(MODE), names(&MODES.each_ref().map(|v| v as _)));
        assert_eq!(
            words(PERSISTENCE),
            names(&PERSISTENCES.each_ref().map(|v| v as _))
        );
        assert_eq!(words(DIR), ["auto", "ltr", "rtl"]);
    }

    #[test]
    fn every_option_of_the_table_has_its_reader() {
        let source = include_str!("config.rs");
        let body = &source[source.find("fn read(").unwrap()..];
        let body = &body[..body.find("\n}\n").unwrap()];
        let arms: Vec<&str> = body
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"')?.split_once("\" =>"))
            .map(|(name, _)| name)
            .collect();
        let names: Vec<&str> = super::OPTIONS.iter().map(|o| o.name).collect();
        assert_eq!(arms, names, "one arm per option, in the table's order");
    }

    #[test]
    fn session_ids_take_the_form_the_proxy_accepts() {
        use super::check_session_id;
        for ok in [
            "demo-agent-hostsession0123456789abcdef",
            "demo-agent-5f2c9a",
            "demo-agent-a_b",
        ] {
            assert_eq!(check_session_id("demo-agent", ok), Ok(()), "{ok}");
        }
        for bad in [
            "demo-agent",
            "demo-agent-",
            "demo-agent-2-x",
            "demo-agent-x y",
            "demo-agent-x/../y",
            "other-agent-x",
            "demo-agentx",
        ] {
            assert!(check_session_id("demo-agent", bad).is_err(), "{bad}");
        }
        let long = format!("demo-agent-{}", "a".repeat(250));
        assert_eq!(check_session_id("demo-agent", &long), Err("it is too long"));
        assert_eq!(
            check_session_id("demo-agent", &long[..256]),
            Ok(()),
            "256 characters are fine"
        );
    }

    #[test]
    fn colours_are_accepted_in_colour_syntax_only() {
        for colour in [
            "#4f46e5",
            "#FFF",
            "#ffd400cc",
            "#abcd",
            "RebeccaPurple",
            "transparent",
            "rgb(79, 70, 229)",
            "rgb(79 70 229 / 50%)",
            "RGBA(79,70,229,0.5)",
            "hsl(243deg 75% 59%)",
            "hsla(243, 75%, 59%, .5)",
            "hsl(0.5turn 10% 10%)",
            "oklch(0.51 0.23 277)",
            "oklch(51% 0.23 277 / 0.8)",
            "oklch(none 0.1 20)",
            "rgb(1e2 +5 -0)",
            "hsl(1E1deg 10% 10%)",
            "rgb(1. 0 0)",
            " #fff ",
        ] {
            assert!(is_color_syntax(colour), "{colour}");
        }
        for other in [
            "var(--x, url(https://evil.example/c.png))",
            "var(--brand)",
            "url(https://evil.example/x.png)",
            "rgb(var(--r) 0 0)",
            "rgb(calc(1 + 2) 0 0)",
            "image-set(\"x.png\" 1x)",
            "light-dark(red, blue)",
            "color-mix(in srgb, red, blue)",
            "red;background:url(x)",
            "red }",
            "#12",
            "#ggg",
            "rgb(1 2)",
            "rgb(1 2 3 4 5)",
            "rgb(1 2 3",
            "rgb(1 2 3))",
            "rgb(inf 0 0)",
            "rgb(1e999 0 0)",
            "rgb(1e309 0 0)",
            "rgb(NaN 0 0)",
            "rgb(infinity 0 0)",
            "rgb(1e 0 0)",
            "rgb(. 0 0)",
            "rgb(0x10 0 0)",
            "rgb()",
            "attr(data-x)",
            "",
        ] {
            assert!(!is_color_syntax(other), "{other}");
        }
    }

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
