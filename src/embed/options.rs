//! The one table of the host page's options: name, type, default, a line of
//! doc, and whether a change applies live. `config` reads and checks every
//! option through it; `js/lyzr-chat.d.ts` and the README's options table are
//! generated from it (a native test fails when they drift).

/// What an option accepts. Attribute values arrive as strings: numbers,
/// booleans and JSON (objects, arrays) are parsed from them in `config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A non-empty string.
    Text,
    /// An http(s) URL or a path on the page's site.
    Url,
    /// `true`/`false` (as attributes: present, `"true"`, `"false"`).
    Bool,
    /// A whole number in `min..=max`.
    Whole { min: i64, max: i64 },
    /// One of these words (case-insensitive); the first is the default.
    Choice(&'static [&'static str]),
    /// A colour in colour syntax only (see `config::is_color_syntax`).
    Color,
    /// An array of strings.
    Strings,
    /// An object of name: value pairs.
    Object,
    /// An array of objects.
    Objects,
    /// An element, or a CSS selector of one.
    Element,
    /// `false`, `true`, or `{maxFiles, maxBytes, accept}`.
    Attachments,
    /// An object of label key: text (or plural forms), see `ui::i18n`.
    Labels,
}

impl Kind {
    /// The TypeScript type of the option in `LyzrChatConfig`.
    pub fn ts_type(self) -> String {
        match self {
            Kind::Text | Kind::Url | Kind::Color => "string".into(),
            Kind::Bool => "boolean".into(),
            Kind::Whole { .. } => "number".into(),
            Kind::Choice(values) => values
                .iter()
                .map(|v| format!("\"{v}\""))
                .collect::<Vec<_>>()
                .join(" | "),
            Kind::Strings => "string[]".into(),
            Kind::Object => "Record<string, unknown>".into(),
            Kind::Objects => "Array<Record<string, unknown>>".into(),
            Kind::Element => "Element | string".into(),
            Kind::Attachments => {
                "boolean | { maxFiles?: number; maxBytes?: number; accept?: string[] }".into()
            }
            Kind::Labels => {
                "Partial<Record<LyzrChatLabel, string | Record<string, string>>>".into()
            }
        }
    }
}

/// One option of the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    /// camelCase, as in `LyzrChat.init({...})`; attributes use its kebab-case.
    pub name: &'static str,
    pub kind: Kind,
    /// The default, as shown in the docs (`None` for a required option).
    pub default: Option<&'static str>,
    /// One line for people: what it does. Native builds only (the docs are
    /// generated natively): the shipped wasm carries no doc text.
    #[cfg(not(target_arch = "wasm32"))]
    pub doc: &'static str,
    /// Whether changing it (an attribute of `<lyzr-chat>`, `setOption`)
    /// applies to the running widget; otherwise the widget starts again.
    pub live: bool,
}

impl OptionSpec {
    /// The attribute spelling: `agentId` -> `agent-id`.
    pub fn attribute(&self) -> String {
        let mut out = String::with_capacity(self.name.len() + 4);
        for c in self.name.chars() {
            if c.is_ascii_uppercase() {
                out.push('-');
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }
}

const fn option(
    name: &'static str,
    kind: Kind,
    default: Option<&'static str>,
    doc: &'static str,
    live: bool,
) -> OptionSpec {
    #[cfg(target_arch = "wasm32")]
    let _ = doc;
    OptionSpec {
        name,
        kind,
        default,
        #[cfg(not(target_arch = "wasm32"))]
        doc,
        live,
    }
}

/// Default `timeoutMs`: the client's (a test checks the table shows it).
pub use crate::client::DEFAULT_TIMEOUT_MS;
/// Default `offsetX` / `offsetY` in px.
pub use crate::settings::DEFAULT_OFFSET;

pub const AGENT_ID: OptionSpec = option("agentId", Kind::Text, None, "the Lyzr agent's id", false);
pub const API_URL: OptionSpec = option(
    "apiUrl",
    Kind::Url,
    Some("the page's origin"),
    "API base URL (the widget appends /v3/inference/…)",
    false,
);
pub const API_KEY: OptionSpec = option(
    "apiKey",
    Kind::Text,
    Some("none"),
    "sent as x-api-key: a proxy's public widget key (the account key is warned about when it goes to *.lyzr.ai)",
    false,
);
pub const USER_ID: OptionSpec = option(
    "userId",
    Kind::Text,
    Some("a visitor id kept in localStorage"),
    "the user_id of the requests",
    true,
);
pub const SESSION_ID: OptionSpec = option(
    "sessionId",
    Kind::Text,
    Some("the one saved for this agent, else {agentId}-{random}"),
    "the conversation to continue: {agentId}- then letters, digits or _ (no other -), 256 characters at most",
    false,
);
pub const TITLE: OptionSpec = option(
    "title",
    Kind::Text,
    Some("\"Chat\", in the visitor's language"),
    "the panel's title",
    false,
);
pub const SUBTITLE: OptionSpec = option(
    "subtitle",
    Kind::Text,
    Some("none"),
    "a line under the title",
    false,
);
pub const WELCOME_MESSAGE: OptionSpec = option(
    "welcomeMessage",
    Kind::Text,
    Some("none"),
    "the first agent bubble, not sent",
    false,
);
pub const PLACEHOLDER: OptionSpec = option(
    "placeholder",
    Kind::Text,
    Some("\"Type a message…\", in the visitor's language"),
    "the composer's placeholder",
    false,
);
pub const STARTER_PROMPTS: OptionSpec = option(
    "starterPrompts",
    Kind::Strings,
    Some("none"),
    "suggestions offered before the first message",
    false,
);
pub const THEME: OptionSpec = option(
    "theme",
    Kind::Choice(&["light", "dark", "auto"]),
    Some("light"),
    "light, dark, or auto (follows the system)",
    true,
);
pub const PRIMARY_COLOR: OptionSpec = option(
    "primaryColor",
    Kind::Color,
    Some("#4f46e5"),
    "a colour: hex, rgb(), rgba(), hsl(), hsla(), oklch() or a name; no var(), no url()",
    true,
);
pub const POSITION: OptionSpec = option(
    "position",
    Kind::Choice(&["bottom-right", "bottom-left", "top-right", "top-left"]),
    Some("bottom-right"),
    "the corner of the launcher and panel",
    false,
);
pub const OFFSET_X: OptionSpec = option(
    "offsetX",
    Kind::Whole { min: 0, max: 2000 },
    Some("20"),
    "distance in px from the window's left or right edge",
    false,
);
pub const OFFSET_Y: OptionSpec = option(
    "offsetY",
    Kind::Whole { min: 0, max: 2000 },
    Some("20"),
    "distance in px from the window's top or bottom edge",
    false,
);
pub const Z_INDEX: OptionSpec = option(
    "zIndex",
    Kind::Whole {
        min: -2_147_483_647,
        max: 2_147_483_647,
    },
    Some("2147483000"),
    "stacking order of the launcher and panel",
    false,
);
pub const MODE: OptionSpec = option(
    "mode",
    Kind::Choice(&["floating", "inline", "fullpage"]),
    Some("floating"),
    "floating (launcher + panel), inline (fills container) or fullpage",
    false,
);
pub const CONTAINER: OptionSpec = option(
    "container",
    Kind::Element,
    Some("none"),
    "the element, or a CSS selector of it, that an inline widget fills",
    false,
);
pub const OPEN: OptionSpec = option(
    "open",
    Kind::Bool,
    Some("false"),
    "whether the panel is open",
    true,
);
pub const PERSISTENCE: OptionSpec = option(
    "persistence",
    Kind::Choice(&["local", "session", "none"]),
    Some("local"),
    "where the conversation is kept between pages: local (localStorage, per agent), session (this tab only) or none",
    false,
);
pub const ATTACHMENTS: OptionSpec = option(
    "attachments",
    Kind::Attachments,
    Some("10 files of 10 MB: PDF, DOCX, PPTX, XLSX/XLS, CSV, TXT, JPEG, PNG, WEBP"),
    "what a visitor may attach: false hides the paperclip; maxFiles, maxBytes, accept (extensions or MIME types) narrow it",
    false,
);
pub const SYSTEM_PROMPT_VARIABLES: OptionSpec = option(
    "systemPromptVariables",
    Kind::Object,
    Some("none"),
    "the system_prompt_variables sent with every message",
    true,
);
pub const FILTER_VARIABLES: OptionSpec = option(
    "filterVariables",
    Kind::Object,
    Some("none"),
    "the filter_variables sent with every message",
    true,
);
pub const FEATURES: OptionSpec = option(
    "features",
    Kind::Objects,
    Some("none"),
    "the features sent with every message",
    true,
);
pub const ASSETS: OptionSpec = option(
    "assets",
    Kind::Strings,
    Some("none"),
    "ids of uploaded assets sent with every message",
    true,
);
pub const RESPONSE_FORMAT: OptionSpec = option(
    "responseFormat",
    Kind::Object,
    Some("none"),
    "the response_format sent with every message (e.g. {\"type\": \"json_object\"})",
    true,
);
pub const PROVIDER_OVERRIDES: OptionSpec = option(
    "providerOverrides",
    Kind::Object,
    Some("none"),
    "the provider_overrides sent with every message (a proxy drops it unless allowed)",
    true,
);
pub const ACTIVITY: OptionSpec = option(
    "activity",
    Kind::Bool,
    Some("true, except when apiUrl is Lyzr's own API"),
    "show the agent's steps live (from the events socket /v3/events/{sessionId} of the local agent or the proxy), folded into \"How I got this\" when the answer is complete",
    false,
);
pub const STREAM: OptionSpec = option(
    "stream",
    Kind::Bool,
    Some("true"),
    "stream answers; false uses the chat call only",
    false,
);
pub const TIMEOUT_MS: OptionSpec = option(
    "timeoutMs",
    Kind::Whole {
        min: 1000,
        max: 3_600_000,
    },
    Some("300000"),
    "how long to wait for an answer, in ms (heavy agents take minutes)",
    false,
);
pub const LINK_SCHEMES: OptionSpec = option(
    "linkSchemes",
    Kind::Strings,
    Some("[\"https\", \"http\", \"mailto\"]"),
    "link schemes live in replies (javascript, data, vbscript, file, blob refused)",
    false,
);
pub const IMAGE_HOSTS: OptionSpec = option(
    "imageHosts",
    Kind::Strings,
    Some("none"),
    "hosts whose images in replies load without a click (*.cdn.example.com allowed); the page's own host too",
    false,
);
pub const LOCALE: OptionSpec = option(
    "locale",
    Kind::Text,
    Some("the page's <html lang>, else the browser's language, else en"),
    "the visitor's language, a tag like \"fr\" or \"pt-BR\": the widget's words, dates and numbers (see Languages)",
    false,
);
pub const DIR: OptionSpec = option(
    "dir",
    Kind::Choice(&["auto", "ltr", "rtl"]),
    Some("auto"),
    "text direction: auto (rtl for ar, he, fa, ur), ltr or rtl; the launcher keeps its corner",
    false,
);
pub const LABELS: OptionSpec = option(
    "labels",
    Kind::Labels,
    Some("none"),
    "your own words for any string, by key (locales/en.json lists them), e.g. { send: \"Go\" }",
    false,
);
pub const LOAD: OptionSpec = option(
    "load",
    Kind::Choice(&["idle", "interaction", "eager"]),
    Some("idle"),
    "when the loader fetches the wasm: when idle, on the launcher's first hover/focus/click, or at once",
    false,
);
pub const PRELOAD: OptionSpec = option(
    "preload",
    Kind::Bool,
    Some("false"),
    "`true` is the same as load: \"eager\"",
    false,
);

/// Every option, in the order the docs show them.
pub const OPTIONS: &[OptionSpec] = &[
    AGENT_ID,
    API_URL,
    API_KEY,
    USER_ID,
    SESSION_ID,
    TITLE,
    SUBTITLE,
    WELCOME_MESSAGE,
    PLACEHOLDER,
    STARTER_PROMPTS,
    THEME,
    PRIMARY_COLOR,
    POSITION,
    OFFSET_X,
    OFFSET_Y,
    Z_INDEX,
    MODE,
    CONTAINER,
    OPEN,
    PERSISTENCE,
    ATTACHMENTS,
    SYSTEM_PROMPT_VARIABLES,
    FILTER_VARIABLES,
    FEATURES,
    ASSETS,
    RESPONSE_FORMAT,
    PROVIDER_OVERRIDES,
    ACTIVITY,
    STREAM,
    TIMEOUT_MS,
    LINK_SCHEMES,
    IMAGE_HOSTS,
    LOCALE,
    DIR,
    LABELS,
    LOAD,
    PRELOAD,
];

/// The option called `name` (camelCase).
pub fn find(name: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|o| o.name == name)
}

/// The `LyzrChatConfig` interface of `js/lyzr-chat.d.ts`.
#[cfg(not(target_arch = "wasm32"))]
pub fn typescript() -> String {
    let mut out = String::from(
        "/** The keys of the `labels` option: every string the visitor reads (locales/en.json). */\nexport type LyzrChatLabel =\n",
    );
    for key in crate::ui::i18n::keys() {
        out.push_str(&format!("  | \"{key}\"\n"));
    }
    out.pop();
    out.push_str(";\n\nexport interface LyzrChatConfig {\n");
    for o in OPTIONS {
        let default = o
            .default
            .map_or_else(|| " Required.".to_string(), |d| format!(" Default: {d}."));
        let live = if o.live { " Applies live." } else { "" };
        out.push_str(&format!("  /** {}.{default}{live} */\n", capitalise(o.doc)));
        let optional = if o.default.is_some() { "?" } else { "" };
        out.push_str(&format!("  {}{optional}: {};\n", o.name, o.kind.ts_type()));
    }
    out.push('}');
    out
}

/// The README's options table (markdown).
#[cfg(not(target_arch = "wasm32"))]
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| option | attribute | type | default | live | meaning |\n|---|---|---|---|---|---|\n",
    );
    for o in OPTIONS {
        out.push_str(&format!(
            "| `{}` | `{}` | `{}` | {} | {} | {} |\n",
            o.name,
            o.attribute(),
            o.kind.ts_type().replace('|', "\\|"),
            o.default
                .map_or("required".to_string(), |d| format!("`{d}`")),
            if o.live { "yes" } else { "no" },
            o.doc
        ));
    }
    out
}

#[cfg(not(target_arch = "wasm32"))]
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

// Native only: the files checked live in the repository.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn repo_file(path: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
    }

    /// The text between `start` and `end` in `file`. With
    /// `LYZR_CHAT_BLESS=1` the file is rewritten with `expected` there.
    fn check_section(file: &str, start: &str, end: &str, expected: &str) {
        let path = repo_file(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let from = text
            .find(start)
            .unwrap_or_else(|| panic!("{file}: no {start}"))
            + start.len();
        let to = from
            + text[from..]
                .find(end)
                .unwrap_or_else(|| panic!("{file}: no {end}"));
        let found = text[from..to].trim();
        if found != expected.trim() && std::env::var_os("LYZR_CHAT_BLESS").is_some() {
            let rewritten = format!("{}\n{}\n{}", &text[..from], expected.trim(), &text[to..]);
            std::fs::write(&path, rewritten).unwrap();
            return;
        }
        assert_eq!(
            found,
            expected.trim(),
            "{file} drifted from the option table in src/embed/options.rs; \
             rerun with LYZR_CHAT_BLESS=1 to regenerate it"
        );
    }

    #[test]
    fn typescript_declarations_match_the_table() {
        check_section(
            "js/lyzr-chat.d.ts",
            "// options:start (generated from src/embed/options.rs)",
            "// options:end",
            &typescript(),
        );
    }

    #[test]
    fn readme_options_table_matches_the_table() {
        check_section(
            "README.md",
            "<!-- options:start (generated from src/embed/options.rs) -->",
            "<!-- options:end -->",
            &markdown_table(),
        );
    }

    #[test]
    fn names_are_unique_camel_case_and_defaults_fit_their_kind() {
        for (i, o) in OPTIONS.iter().enumerate() {
            assert!(
                OPTIONS[..i].iter().all(|p| p.name != o.name),
                "{} twice",
                o.name
            );
            assert!(
                o.name.chars().all(|c| c.is_ascii_alphanumeric())
                    && o.name.starts_with(|c: char| c.is_ascii_lowercase()),
                "{}",
                o.name
            );
            if let (Kind::Choice(values), Some(default)) = (o.kind, o.default) {
                assert_eq!(
                    values[0], default,
                    "{}: the first choice is the default",
                    o.name
                );
            }
        }
        assert_eq!(AGENT_ID.attribute(), "agent-id");
        assert_eq!(find("timeoutMs"), Some(&TIMEOUT_MS));
        assert_eq!(
            TIMEOUT_MS.default,
            Some(DEFAULT_TIMEOUT_MS.to_string().as_str())
        );
        assert_eq!(OFFSET_X.default, Some(DEFAULT_OFFSET.to_string().as_str()));
    }
}
