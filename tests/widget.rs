//! The widget in a real browser page (wasm-bindgen-test, headless Chromium):
//! mounting, config errors, the composer's keys, and a failed send that keeps
//! the visitor's text.

use js_sys::{Array, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlTextAreaElement, KeyboardEvent, KeyboardEventInit, ShadowRoot};

mod common;

use common::{document, tick};

wasm_bindgen_test_configure!(run_in_browser);

/// A base URL where nothing listens: every send fails fast with a network error.
const DEAD_API: &str = "http://127.0.0.1:9";

fn config(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

/// Waits (up to 15 s: a refused connection is retried with backoff) for
/// `css` to match in `root`.
async fn wait_for(root: &ShadowRoot, css: &str) -> Element {
    for _ in 0..750 {
        if let Some(el) = root.query_selector(css).unwrap() {
            return el;
        }
        tick(20).await;
    }
    panic!("`{css}` never appeared");
}

/// Captures console.error and console.warn while alive.
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

    fn lines(&self) -> Vec<String> {
        self.lines.borrow().clone()
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

fn shadow_of(handle_host_agent: &str) -> ShadowRoot {
    document()
        .query_selector(&format!("[data-lyzr-chat='{handle_host_agent}']"))
        .unwrap()
        .expect("host element on the page")
        .shadow_root()
        .expect("open shadow root")
}

fn press(target: &Element, key: &str, shift: bool, composing: bool) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_shift_key(shift);
    init.set_is_composing(composing);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

fn type_into(input: &HtmlTextAreaElement, text: &str) {
    input.set_value(text);
    let event = web_sys::Event::new("input").unwrap();
    input.dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
fn missing_agent_id_is_reported_by_name_and_nothing_mounts() {
    let spy = ConsoleSpy::new();
    let before = document()
        .query_selector_all("[data-lyzr-chat]")
        .unwrap()
        .length();
    let handle = lyzr_chat::mount(config(&[("title", "Help".into())]));
    assert!(handle.is_none());
    assert_eq!(
        document()
            .query_selector_all("[data-lyzr-chat]")
            .unwrap()
            .length(),
        before
    );
    let lines = spy.lines();
    assert!(
        lines.iter().any(|l| l.contains("`agentId` is required")),
        "{lines:?}"
    );
}

#[wasm_bindgen_test]
fn wrong_types_and_unknown_options_are_named() {
    let spy = ConsoleSpy::new();
    let handle = lyzr_chat::mount(config(&[
        ("agentId", "a".into()),
        ("apiUrl", "ftp://example.com".into()),
        ("open", JsValue::from_f64(3.0)),
        ("systemPromptVariables", Array::new().into()),
        ("colour", "red".into()),
    ]));
    assert!(handle.is_none());
    let all = spy.lines().join("\n");
    for needle in [
        "option `apiUrl` must be an http(s) URL",
        "option `open` must be true or false, not number",
        "option `systemPromptVariables` must be an object",
        "unknown option `colour`",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
    // Only optional options wrong: the widget mounts with their defaults.
    let spy = ConsoleSpy::new();
    let mut handle = lyzr_chat::mount(config(&[
        ("agentId", "defaults-test".into()),
        ("apiUrl", DEAD_API.into()),
        ("theme", "purple".into()),
        ("zIndex", "high".into()),
    ]))
    .expect("mounted despite bad optional options");
    let all = spy.lines().join("\n");
    assert!(
        all.contains(r#"option `theme` must be one of "light", "dark", "auto", not "purple"; the default is used instead"#),
        "{all}"
    );
    assert!(
        all.contains("option `zIndex` must be a whole number"),
        "{all}"
    );
    handle.destroy();
    // Not a config object at all.
    assert!(lyzr_chat::mount(JsValue::from_str("agent")).is_none());
    assert!(spy.lines().iter().any(|l| l.contains("needs an object")));
}

#[wasm_bindgen_test]
async fn mounts_in_a_shadow_root_and_opens_and_closes() {
    let mut handle = lyzr_chat::mount(config(&[
        ("agentId", "mount-test".into()),
        ("apiUrl", DEAD_API.into()),
        ("title", "Support".into()),
        ("welcomeMessage", "Welcome!".into()),
    ]))
    .expect("mounted");
    let root = shadow_of("mount-test");
    let panel = root.query_selector(".lc-panel").unwrap().unwrap();
    assert!(panel.has_attribute("hidden"), "starts closed");
    assert_eq!(
        root.query_selector(".lc-title")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "Support"
    );
    // Agent text is rendered as markdown by an effect, before the next paint.
    tick(0).await;
    assert_eq!(
        root.query_selector(".lc-agent")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "Welcome!"
    );
    assert_eq!(
        root.adopted_style_sheets().length(),
        2,
        "the widget sheet and the per-instance sheet are adopted"
    );

    handle.open();
    tick(0).await;
    assert!(!panel.has_attribute("hidden"));
    let launcher = root.query_selector(".lc-launcher").unwrap().unwrap();
    assert_eq!(
        launcher.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );

    press(&panel, "Escape", false, false);
    tick(0).await;
    assert!(panel.has_attribute("hidden"), "Escape closes");

    let session = handle.session_id();
    let suffix = session
        .strip_prefix("mount-test-")
        .expect("{agent}-{random}");
    assert_eq!(suffix.len(), 32, "128 random bits in hex: {suffix}");
    assert!(suffix.bytes().all(|b| b.is_ascii_hexdigit()), "{suffix}");

    handle.destroy();
    assert!(document()
        .query_selector("[data-lyzr-chat='mount-test']")
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
async fn enter_sends_and_a_failed_send_keeps_the_text_with_retry() {
    let spy = ConsoleSpy::new();
    let mut handle = lyzr_chat::mount(config(&[
        ("agentId", "keys-test".into()),
        ("apiUrl", DEAD_API.into()),
        ("open", true.into()),
    ]))
    .expect("mounted");
    let root = shadow_of("keys-test");
    let input: HtmlTextAreaElement = root
        .query_selector(".lc-input")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();

    type_into(&input, "hello");
    press(&input, "Enter", true, false);
    press(&input, "Enter", false, true);
    tick(10).await;
    assert!(
        root.query_selector(".lc-user").unwrap().is_none(),
        "Shift+Enter and IME Enter do not send"
    );

    press(&input, "Enter", false, false);
    press(&input, "Enter", false, false); // a second Enter while pending is ignored
    tick(0).await;
    assert_eq!(root.query_selector_all(".lc-user").unwrap().length(), 1);

    let error = wait_for(&root, ".lc-error").await;
    assert!(
        error
            .text_content()
            .unwrap()
            .contains("Could not reach the assistant"),
        "{:?}",
        error.text_content()
    );
    assert_eq!(input.value(), "hello", "the text is back in the composer");
    assert!(root.query_selector(".lc-user.lc-failed").unwrap().is_some());
    assert!(root.query_selector(".lc-retry").unwrap().is_some());
    assert!(spy
        .lines()
        .iter()
        .any(|l| l.contains("sending a message failed: network error")));

    // Edit takes the failed message out of the list and into the composer.
    type_into(&input, "");
    let edit: web_sys::HtmlElement = root
        .query_selector(".lc-edit")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    edit.click();
    tick(0).await;
    assert_eq!(input.value(), "hello");
    assert!(root.query_selector(".lc-error").unwrap().is_none());
    assert!(root.query_selector(".lc-user").unwrap().is_none());
    handle.destroy();
}

#[wasm_bindgen_test]
async fn two_instances_are_independent() {
    let mut a = lyzr_chat::mount(config(&[
        ("agentId", "agent-a".into()),
        ("apiUrl", DEAD_API.into()),
    ]))
    .unwrap();
    let mut b = lyzr_chat::mount(config(&[
        ("agentId", "agent-b".into()),
        ("apiUrl", DEAD_API.into()),
    ]))
    .unwrap();
    assert!(a.session_id().starts_with("agent-a-"));
    assert!(b.session_id().starts_with("agent-b-"));
    a.open();
    tick(0).await;
    let hidden = |agent: &str| {
        shadow_of(agent)
            .query_selector(".lc-panel")
            .unwrap()
            .unwrap()
            .has_attribute("hidden")
    };
    assert!(!hidden("agent-a"));
    assert!(hidden("agent-b"));
    a.destroy();
    b.destroy();
}

/// A host element for `mountIn`, as the loader makes it.
fn host(agent: &str) -> Element {
    let host = document().create_element("div").unwrap();
    host.set_attribute("data-test-host", agent).unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    host
}

/// Lets the microtasks queued so far run (Leptos' effects), but no timer
/// or idle callback.
async fn microtasks() {
    for _ in 0..20 {
        wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&JsValue::NULL))
            .await
            .unwrap();
    }
}

fn count(root: &ShadowRoot, css: &str) -> u32 {
    root.query_selector_all(css).unwrap().length()
}

/// A host with a stand-in launcher in its shadow root, as the loader draws it.
fn host_with_stand_in(agent: &str) -> (Element, ShadowRoot) {
    let host = host(agent);
    let shadow = host
        .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
        .unwrap();
    let stand_in = document().create_element("div").unwrap();
    stand_in.set_class_name("lc-loader");
    shadow.append_child(&stand_in).unwrap();
    (host, shadow)
}

#[wasm_bindgen_test]
async fn the_loaders_mount_builds_the_launcher_first_then_the_panel_in_later_tasks() {
    // Open at load: options and state now; the launcher in the next task,
    // then the header, the composer and the conversation in a task each.
    let (host_el, root) = host_with_stand_in("staged-open");
    let mut handle = lyzr_chat::embed::mount_in(
        host_el.clone(),
        config(&[
            ("agentId", "staged-open".into()),
            ("apiUrl", DEAD_API.into()),
            ("welcomeMessage", "Welcome!".into()),
            ("open", true.into()),
        ]),
        None,
        JsValue::NULL,
    )
    .expect("mounted");
    assert!(
        handle.session_id().starts_with("staged-open-"),
        "usable at once"
    );
    microtasks().await;
    assert_eq!(
        count(&root, ".lc-loader"),
        1,
        "the stand-in shows meanwhile"
    );
    assert_eq!(
        count(&root, ".lc-root"),
        0,
        "nothing built in mountIn's task"
    );
    tick(0).await;
    assert_eq!(count(&root, ".lc-loader"), 0, "the stand-in is replaced");
    assert_eq!(count(&root, ".lc-root .lc-launcher"), 1, "the launcher");
    assert_eq!(
        count(&root, ".lc-panel"),
        0,
        "the panel not in the same task"
    );
    let input = wait_for(&root, ".lc-panel:not([hidden]) .lc-input").await;
    assert!(
        root.query_selector(".lc-header .lc-title")
            .unwrap()
            .is_some(),
        "the header comes before the composer"
    );
    wait_for(&root, ".lc-messages .lc-welcome").await;
    assert!(input.is_connected(), "the composer was not built again");
    handle.destroy();
    host_el.remove();

    // Closed: the rest is built when the browser is idle.
    let (host_el, root) = host_with_stand_in("staged-closed");
    let mut handle = lyzr_chat::embed::mount_in(
        host_el.clone(),
        config(&[
            ("agentId", "staged-closed".into()),
            ("apiUrl", DEAD_API.into()),
        ]),
        None,
        JsValue::NULL,
    )
    .expect("mounted");
    wait_for(&root, ".lc-root .lc-launcher").await;
    wait_for(&root, ".lc-panel[hidden] .lc-messages").await;
    assert_eq!(count(&root, ".lc-input"), 1);
    handle.destroy();
    host_el.remove();
}

#[wasm_bindgen_test]
async fn opening_a_panel_not_yet_built_builds_it_whole_before_the_next_task() {
    let (host_el, root) = host_with_stand_in("staged-click");
    let mut handle = lyzr_chat::embed::mount_in(
        host_el.clone(),
        config(&[
            ("agentId", "staged-click".into()),
            ("apiUrl", DEAD_API.into()),
            ("welcomeMessage", "Hello there".into()),
        ]),
        None,
        JsValue::NULL,
    )
    .expect("mounted");
    // The launcher comes in the next task; the rest waits for idle moments,
    // and the visitor is quicker.
    tick(0).await;
    let launcher: web_sys::HtmlElement = root
        .query_selector(".lc-root .lc-launcher")
        .unwrap()
        .expect("the launcher")
        .dyn_into()
        .unwrap();
    assert_eq!(count(&root, ".lc-messages"), 0, "not built yet");
    launcher.click();
    microtasks().await;
    assert_eq!(count(&root, ".lc-panel:not([hidden]) .lc-input"), 1);
    assert_eq!(count(&root, ".lc-messages .lc-welcome"), 1);
    handle.destroy();
    host_el.remove();
}

#[wasm_bindgen_test]
async fn destroyed_before_it_is_built_builds_nothing() {
    let (host_el, root) = host_with_stand_in("staged-gone");
    let mut handle = lyzr_chat::embed::mount_in(
        host_el.clone(),
        config(&[
            ("agentId", "staged-gone".into()),
            ("apiUrl", DEAD_API.into()),
        ]),
        None,
        JsValue::NULL,
    )
    .expect("mounted");
    handle.destroy();
    tick(50).await;
    assert_eq!(count(&root, ".lc-root"), 0);
    host_el.remove();
}

#[wasm_bindgen_test]
async fn the_loaders_two_calls_read_the_options_then_mount_in_a_later_task() {
    // prepareIn: options, words and visitor read; nothing drawn, no state.
    let (host_el, root) = host_with_stand_in("two-calls");
    let prepared = lyzr_chat::embed::prepare_in(
        host_el.clone(),
        config(&[
            ("agentId", "two-calls".into()),
            ("apiUrl", DEAD_API.into()),
            ("open", true.into()),
        ]),
        None,
        JsValue::NULL,
    )
    .expect("the options are good");
    microtasks().await;
    assert_eq!(count(&root, ".lc-loader"), 1, "the stand-in stays");
    assert_eq!(count(&root, ".lc-root"), 0);
    // mount: the conversation and the handle; the views in the next tasks.
    let mut handle = prepared.mount().expect("mounted");
    assert!(handle.session_id().starts_with("two-calls-"));
    microtasks().await;
    assert_eq!(count(&root, ".lc-root"), 0, "nothing drawn in mount's task");
    wait_for(&root, ".lc-panel:not([hidden]) .lc-input").await;
    handle.destroy();
    host_el.remove();

    // A bad option: nothing to mount.
    let (host_el, root) = host_with_stand_in("two-calls-bad");
    assert!(lyzr_chat::embed::prepare_in(
        host_el.clone(),
        config(&[("agentId", "".into())]),
        None,
        JsValue::NULL,
    )
    .is_none());
    tick(0).await;
    assert_eq!(count(&root, ".lc-root"), 0);
    host_el.remove();
}
