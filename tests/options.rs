//! The option table in the browser: every option read from attribute strings
//! (JSON included), and `setOption` (what `<lyzr-chat>` calls when an
//! attribute changes) applying exactly the options the table marks live.

#![cfg(target_arch = "wasm32")]

mod common;

use common::{document, tick};
use js_sys::Reflect;
use lyzr_chat::embed::options::{Kind, OPTIONS};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const DEAD_API: &str = "http://127.0.0.1:9";

/// Collects console errors and warnings while alive.
struct ConsoleSpy {
    lines: Rc<RefCell<Vec<String>>>,
    originals: Vec<(&'static str, JsValue)>,
    _closure: Closure<dyn Fn(JsValue)>,
}

impl ConsoleSpy {
    fn new() -> Self {
        let console = Reflect::get(&js_sys::global(), &"console".into()).unwrap();
        let lines = Rc::new(RefCell::new(Vec::new()));
        let sink = lines.clone();
        let closure = Closure::<dyn Fn(JsValue)>::new(move |v: JsValue| {
            sink.borrow_mut().push(v.as_string().unwrap_or_default());
        });
        let mut originals = Vec::new();
        for name in ["error", "warn"] {
            originals.push((name, Reflect::get(&console, &name.into()).unwrap()));
            Reflect::set(&console, &name.into(), closure.as_ref()).unwrap();
        }
        ConsoleSpy {
            lines,
            originals,
            _closure: closure,
        }
    }

    fn text(&self) -> String {
        self.lines.borrow().join("\n")
    }
}

impl Drop for ConsoleSpy {
    fn drop(&mut self) {
        let console = Reflect::get(&js_sys::global(), &"console".into()).unwrap();
        for (name, original) in &self.originals {
            Reflect::set(&console, &(*name).into(), original).unwrap();
        }
    }
}

/// Options as a page's attributes give them: every value a string.
fn attributes(pairs: &[(&str, &str)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(value)).unwrap();
    }
    object.into()
}

/// A valid attribute value for an option of `kind`.
fn sample(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "sample",
        Kind::Url => "/sample",
        Kind::Bool => "true",
        Kind::Whole { .. } => "1000",
        Kind::Choice(values) => values[values.len() - 1],
        Kind::Color => "#123456",
        Kind::Strings => r#"["a"]"#,
        Kind::Object => r#"{"a": 1}"#,
        Kind::Objects => r#"[{"type": "MEMORY"}]"#,
        Kind::Element => "body",
        Kind::Attachments => r#"{"maxFiles": 3, "accept": [".pdf"]}"#,
        Kind::Labels => r#"{"send": "Go", "unread_label": {"one": "{n} new", "other": "{n} new"}}"#,
    }
}

#[wasm_bindgen_test]
fn attribute_strings_are_read_as_their_kind_json_included() {
    let spy = ConsoleSpy::new();
    let mut pairs = vec![("agentId", "attr-strings"), ("apiUrl", DEAD_API)];
    for option in OPTIONS {
        match option.name {
            "agentId" | "apiUrl" | "container" | "mode" => {}
            "sessionId" => pairs.push((option.name, "attr-strings-0123abc")),
            _ => pairs.push((option.name, sample(option.kind))),
        }
    }
    let mut handle = lyzr_chat::mount(attributes(&pairs)).expect("mounted");
    assert_eq!(spy.text(), "", "every sample value is accepted");
    handle.destroy();

    // A JSON option whose attribute is not JSON is named, with the reason.
    let spy = ConsoleSpy::new();
    let mut handle = lyzr_chat::mount(attributes(&[
        ("agentId", "attr-bad-json"),
        ("apiUrl", DEAD_API),
        ("systemPromptVariables", "{plan: gold}"),
        ("linkSchemes", "https"),
        ("sessionId", "other-agent-1"),
    ]))
    .expect("bad optional options do not stop the widget");
    let text = spy.text();
    for needle in [
        "option `systemPromptVariables` must be an object of name: value pairs; as an attribute, written as JSON",
        "option `linkSchemes` must be an array of strings; as an attribute, written as JSON",
        "option `sessionId` must be `attr-bad-json-` followed by letters, digits or `_` \
         (it does not start with the agent id and a dash)",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    handle.destroy();
}

#[wasm_bindgen_test]
async fn set_option_applies_live_options_and_asks_to_restart_for_the_rest() {
    let mut handle = lyzr_chat::mount(attributes(&[
        ("agentId", "set-option"),
        ("apiUrl", DEAD_API),
    ]))
    .expect("mounted");
    let spy = ConsoleSpy::new();
    for option in OPTIONS {
        let applied = handle.set_option(option.name.into(), sample(option.kind).into());
        assert_eq!(applied, option.live, "{}", option.name);
    }
    assert_eq!(spy.text(), "", "no live sample was refused");
    tick(50).await;
    let shadow = document()
        .query_selector("[data-lyzr-chat='set-option']")
        .unwrap()
        .unwrap()
        .shadow_root()
        .unwrap();
    // theme "auto" and open "true" took effect.
    assert!(shadow
        .query_selector(".lc-root.lc-theme-auto")
        .unwrap()
        .is_some());
    assert!(shadow
        .query_selector(".lc-panel:not([hidden])")
        .unwrap()
        .is_some());
    // Removing the open attribute closes the panel.
    assert!(handle.set_option("open".into(), JsValue::NULL));
    tick(50).await;
    assert!(shadow
        .query_selector(".lc-panel[hidden]")
        .unwrap()
        .is_some());
    // A bad live value is named, and needs no restart.
    assert!(handle.set_option("theme".into(), "neon".into()));
    assert!(spy
        .text()
        .contains(r#"option `theme` must be one of "light", "dark", "auto", not "neon""#));
    handle.destroy();
}

#[wasm_bindgen_test]
async fn labels_take_strings_and_plural_forms_and_name_what_they_cannot_use() {
    let spy = ConsoleSpy::new();
    let mut handle = lyzr_chat::mount(attributes(&[
        ("agentId", "labels-attr"),
        ("apiUrl", DEAD_API),
        ("open", "true"),
        ("locale", "en-GB"),
        ("dir", "rtl"),
        (
            "labels",
            r#"{"send_label": "Go", "unread_label": {"one": "{n} new", "other": "{n} new"},
                "placeholder": 5, "close_label": {"one": "x"}, "sned": "x"}"#,
        ),
    ]))
    .expect("mounted");
    tick(50).await;
    let shadow = document()
        .query_selector("[data-lyzr-chat='labels-attr']")
        .unwrap()
        .unwrap()
        .shadow_root()
        .unwrap();
    let attr = |css: &str, name: &str| {
        shadow
            .query_selector(css)
            .unwrap()
            .unwrap_or_else(|| panic!("{css}"))
            .get_attribute(name)
    };
    assert_eq!(attr(".lc-send", "aria-label").as_deref(), Some("Go"));
    // Not usable: English stays.
    assert_eq!(
        attr(".lc-input", "placeholder").as_deref(),
        Some("Type a message…")
    );
    assert_eq!(
        attr(".lc-close", "aria-label").as_deref(),
        Some("Close chat")
    );
    assert_eq!(attr(".lc-root", "dir").as_deref(), Some("rtl"));
    assert_eq!(attr(".lc-root", "lang").as_deref(), Some("en-GB"));
    let text = spy.text();
    for needle in [
        "option `labels`: `placeholder` must be a string, or plural forms",
        "option `labels`: `close_label` must be a string, or plural forms",
        "option `labels`: unknown label `sned` ignored; known labels: title, placeholder, send,",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    handle.destroy();

    // A malformed tag is named, and the page's language is used instead.
    let spy = ConsoleSpy::new();
    let mut handle = lyzr_chat::mount(attributes(&[
        ("agentId", "labels-bad-locale"),
        ("apiUrl", DEAD_API),
        ("locale", "en_US"),
    ]))
    .expect("a bad locale does not stop the widget");
    assert!(
        spy.text().contains(
            r#"option `locale` must be a language tag like "fr" or "pt-BR"; got "en_US""#
        ),
        "{}",
        spy.text()
    );
    handle.destroy();
}

/// The widget's custom-property sheet (the second adopted sheet).
fn custom_sheet(shadow: &web_sys::ShadowRoot) -> String {
    let get = |on: &JsValue, key: JsValue| Reflect::get(on, &key).unwrap();
    let sheet = get(&get(shadow, "adoptedStyleSheets".into()), 1.into());
    let rule = get(&get(&sheet, "cssRules".into()), 0.into());
    get(&rule, "cssText".into()).as_string().unwrap()
}

#[wasm_bindgen_test]
async fn live_changes_change_the_one_settings_value() {
    let mut handle = lyzr_chat::mount(attributes(&[
        ("agentId", "one-value"),
        ("apiUrl", DEAD_API),
        ("open", "true"),
        ("title", "Our desk"),
        ("labels", r#"{"title": "Not this", "send_label": "Go"}"#),
    ]))
    .expect("mounted");
    tick(50).await;
    let shadow = document()
        .query_selector("[data-lyzr-chat='one-value']")
        .unwrap()
        .unwrap()
        .shadow_root()
        .unwrap();
    let text = |css: &str| shadow.query_selector(css).unwrap().unwrap().text_content();
    // `title` is the label it sets, over `labels`.
    assert_eq!(text(".lc-title").as_deref(), Some("Our desk"));
    let root_is = |css: &str| shadow.query_selector(css).unwrap().is_some();

    // A colour set by setTheme stays when the theme changes alone.
    assert!(handle.set_theme(attributes(&[("primaryColor", "#123456")])));
    assert!(handle.set_option("theme".into(), "dark".into()));
    tick(50).await;
    assert!(root_is(".lc-root.lc-theme-dark"));
    assert!(
        custom_sheet(&shadow).contains("--lc-primary: #123456"),
        "{}",
        custom_sheet(&shadow)
    );
    // A change with one bad value changes nothing.
    assert!(!handle.set_theme(attributes(&[
        ("theme", "light"),
        ("primaryColor", "url(x)")
    ])));
    tick(50).await;
    assert!(root_is(".lc-root.lc-theme-dark"));
    // A removed attribute is the option's default again.
    assert!(handle.set_option("primaryColor".into(), JsValue::NULL));
    tick(50).await;
    assert!(
        !custom_sheet(&shadow).contains("--lc-primary"),
        "{}",
        custom_sheet(&shadow)
    );
    handle.destroy();
}

#[wasm_bindgen_test]
fn set_variables_reads_through_the_options_and_names_the_field_as_spelled() {
    let mut handle = lyzr_chat::mount(attributes(&[
        ("agentId", "set-variables"),
        ("apiUrl", DEAD_API),
    ]))
    .expect("mounted");
    let spy = ConsoleSpy::new();
    let object = |json: &str| js_sys::JSON::parse(json).unwrap();
    assert!(handle.set_variables(object(
        r#"{"filter_variables": {"region": "eu"}, "features": [{"type": "MEMORY"}], "assets": null}"#
    )));
    assert!(handle.set_variables(object(r#"{"systemPromptVariables": {"name": "Ada"}}"#)));
    let quiet = spy.text();
    assert!(!handle.set_variables(object(r#"{"system_prompt_variables": 5}"#)));
    assert!(!handle.set_variables(object(r#"{"featuresX": []}"#)));
    assert!(!handle.set_variables(JsValue::from_str("x")));
    let text = spy.text();
    drop(spy);
    assert_eq!(quiet, "");
    assert_eq!(
        text,
        "lyzr-chat: option `system_prompt_variables` must be an object of name: value pairs, \
         not a number\n\
         lyzr-chat: setVariables: unknown field `featuresX`; known: system_prompt_variables, \
         filter_variables, features, assets, response_format, provider_overrides\n\
         lyzr-chat: setVariables needs an object, e.g. { system_prompt_variables: { name: \"Ada\" } }"
    );
    handle.destroy();
}

#[wasm_bindgen_test]
async fn calls_on_a_destroyed_chat_do_nothing_and_say_so() {
    let mut handle = lyzr_chat::mount(attributes(&[
        ("agentId", "destroyed-agent"),
        ("apiUrl", DEAD_API),
        ("open", "true"),
    ]))
    .expect("mounted");
    tick(50).await;
    handle.destroy();
    let spy = ConsoleSpy::new();
    handle.open();
    handle.send("hello?".into());
    assert!(!handle.set_variables(attributes(&[("features", "[]")])));
    assert!(!handle.set_theme(JsValue::from_str("dark")));
    assert!(!handle.set_user("someone".into()));
    assert_eq!(handle.session_id(), "");
    handle.reset();
    let text = spy.text();
    for call in [
        "open",
        "send",
        "setVariables",
        "setTheme",
        "setUser",
        "sessionId",
        "reset",
    ] {
        assert!(
            text.contains(&format!("{call}() on a destroyed chat does nothing")),
            "{call} not named in:\n{text}"
        );
    }
    assert!(!text.contains("internal error"), "{text}");
    // Destroying twice is harmless too.
    handle.destroy();
}
