//! Accessibility end to end (issue 12 §3): axe-core finds nothing in any
//! state, a keyboard-only visitor reaches everything and never leaves the
//! floating panel by accident, screen readers hear a finished answer once
//! (checked in Chromium's accessibility tree), the brand colour never costs
//! contrast, and forced colours and reduced motion are honoured.

use fantoccini::elements::ShadowRoot;
use fantoccini::Locator;
use lyzr_chat_e2e::{Harness, WAIT};
use lyzr_chat_server::DEMO_API_KEY;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const TAB: char = '\u{E004}';
const SHIFT: char = '\u{E008}';
const ENTER: char = '\u{E007}';
const ESCAPE: char = '\u{E00C}';

/// Finished answers (not the typing dots, not one still streaming).
const DONE_ANSWERS: &str = ".lc-agent:not(.lc-pending):not(.lc-streaming)";

/// An answer with most of what markdown can show: heading, list, table,
/// link, code block (with its Copy button), thinking and a file.
const RICH: &str = "/echo <think>checking the figures</think># Plan\n\n\
    1. **Read** the [report](https://example.com/report)\n2. Run `make`\n\n\
    | step | time |\n|---|---|\n| build | 2 min |\n\n\
    ```sh\nmake test\n```\n\
    <artifacts>[{\"name\":\"report.pdf\",\"file_url\":\"https://files.example.com/report.pdf\",\"format_type\":\"pdf\"}]</artifacts>";

/// Page-side helpers: colours through a canvas (any CSS colour syntax),
/// contrast ratios as WCAG 2 defines them, what is painted behind an
/// element, and the element that really has focus (inside shadow roots).
const HELPERS: &str = r#"
const A = window.__a11y = {};
A.ctx = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
A.rgba = c => { A.ctx.clearRect(0, 0, 1, 1); A.ctx.fillStyle = '#000'; A.ctx.fillStyle = c; A.ctx.fillRect(0, 0, 1, 1); return Array.from(A.ctx.getImageData(0, 0, 1, 1).data); };
A.lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
A.contrast = (x, y) => { const [p, q] = [A.lum(x), A.lum(y)].sort((a, b) => b - a); return (p + 0.05) / (q + 0.05); };
A.up = el => el.parentElement || (el.getRootNode() instanceof ShadowRoot ? el.getRootNode().host : null);
// The opaque colour painted behind `el` (its own background included).
A.behind = el => {
  const layers = [];
  for (let e = el; e; e = A.up(e)) {
    const c = A.rgba(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] === 255) break;
  }
  let out = [255, 255, 255];
  for (const c of layers.reverse()) out = out.map((v, i) => v + (c[i] - v) * c[3] / 255);
  return out;
};
A.root = () => document.querySelector('[data-lyzr-chat]').shadowRoot;
A.active = () => { let el = document.activeElement; while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement; return el; };
// Where focus is, and whether its ring shows: a focus-visible outline at
// least 2px wide with 3:1 against what is behind it.
A.focus = () => {
  const el = A.active();
  if (!el) return null;
  const cs = getComputedStyle(el);
  const inside = parseFloat(cs.outlineOffset) < 0;
  const back = A.behind(inside ? el : A.up(el));
  return {
    cls: String(el.className && el.className.baseVal !== undefined ? el.className.baseVal : el.className),
    tag: el.tagName.toLowerCase(),
    name: el.getAttribute('aria-label') || el.textContent.trim().slice(0, 40),
    inShadow: el.getRootNode() instanceof ShadowRoot,
    inPanel: !!el.closest('.lc-panel'),
    focusVisible: el.matches(':focus-visible'),
    outline: cs.outlineStyle + ' ' + cs.outlineWidth,
    ring: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2 ? A.contrast(A.rgba(cs.outlineColor), back) : 0,
  };
};
"#;

async fn helpers(h: &Harness) {
    h.js(HELPERS).await;
}

/// Runs `body` (which may use `A`) in the page, the helpers loaded.
async fn page(h: &Harness, body: &str) -> Value {
    h.js(&format!(
        "if (!window.__a11y) {{ {HELPERS} }} const A = window.__a11y; {body}"
    ))
    .await
}

/// The demo page with nothing saved, the widget mounted (closed).
async fn fresh_closed(h: &Harness) -> ShadowRoot {
    h.clear_storage().await;
    h.goto("/").await;
    let root = h.widget().await;
    h.wait_for_count(&root, ".lc-panel", 1).await;
    root
}

async fn click(root: &ShadowRoot, css: &str) {
    root.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Starts the demo page's widget again with `extra` options (a JS object
/// literal's body), open, nothing saved.
async fn restart_with(h: &Harness, extra: &str) -> ShadowRoot {
    restart_on(h, "", extra).await
}

/// [`restart_with`], running `page_js` in the page first.
async fn restart_on(h: &Harness, page_js: &str, extra: &str) -> ShadowRoot {
    h.clear_storage().await;
    h.goto("/").await;
    h.widget().await;
    h.js(page_js).await;
    h.js(&format!(
        "LyzrChat.instances[0].destroy(); localStorage.clear();\
         LyzrChat.init({{agentId: 'demo-agent', apiKey: 'lyzr-chat-demo-key', title: 'Demo agent',\
           apiUrl: location.origin, welcomeMessage: 'Hi! Ask me anything.', open: true, {extra}}});"
    ))
    .await;
    let root = h.widget().await;
    h.wait_for_count(&root, ".lc-panel:not([hidden]) .lc-input", 1)
        .await;
    root
}

/// A failed send ("Not sent" with Retry and Edit): the API cannot be reached.
async fn unreachable_failure(h: &Harness, extra: &str) -> ShadowRoot {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let root = restart_with(h, &format!("apiUrl: 'http://127.0.0.1:{port}', {extra}")).await;
    h.type_and_send(&root, "Is anyone there?").await;
    h.wait_for_count(&root, ".lc-user.lc-failed .lc-retry", 1)
        .await;
    root
}

async fn answer(h: &Harness, root: &ShadowRoot, text: &str, answers: usize) {
    h.type_and_send(root, text).await;
    h.wait_for_count(root, DONE_ANSWERS, answers).await;
}

/// Saves a screenshot for the README (`target/e2e-screenshots/`, copied to
/// `docs/` by hand after looking at it).
async fn shot(h: &Harness, name: &str) {
    h.screenshot(name).await;
}

// ---------------------------------------------------------------- axe-core

#[tokio::test]
async fn axe_looks_inside_the_widgets_shadow_root() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh_closed(&h).await;
    click(&root, ".lc-launcher").await;
    h.wait_for_count(&root, ".lc-panel:not([hidden])", 1).await;
    let clean = h.assert_accessible("open").await;
    assert!(
        clean.shadow_nodes_checked >= 10,
        "axe checked only {} nodes in the shadow root",
        clean.shadow_nodes_checked
    );
    // A deliberately broken control inside the shadow root: found, and
    // located through the shadow boundary.
    h.js(
        "document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-header')\
          .append(Object.assign(document.createElement('button'), {className: 'lc-axe-probe'}))",
    )
    .await;
    let broken = h.axe().await;
    let hit = broken
        .violations
        .iter()
        .find(|v| v["id"] == "button-name")
        .unwrap_or_else(|| panic!("axe missed the unnamed button: {}", broken.summary()));
    assert_eq!(
        hit["nodes"][0]["target"],
        json!([["div[data-lyzr-chat=\"demo-agent\"]", ".lc-axe-probe"]]),
        "found inside the shadow root"
    );
    h.finish().await;
}

#[tokio::test]
async fn axe_finds_nothing_closed_open_streaming_and_answered() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh_closed(&h).await;
    h.assert_accessible("closed").await;
    click(&root, ".lc-launcher").await;
    h.wait_for_count(&root, ".lc-panel:not([hidden])", 1).await;
    h.assert_accessible("open").await;

    let words: Vec<String> = (1..=80).map(|i| format!("word{i}")).collect();
    h.type_and_send(
        &root,
        &format!("/fault drip=80 -- /echo {}", words.join(" ")),
    )
    .await;
    h.wait_for_count(&root, ".lc-agent.lc-streaming .lc-md p", 1)
        .await;
    h.assert_accessible("streaming").await;
    assert!(
        h.has(&root, ".lc-agent.lc-streaming").await,
        "still streaming after the check"
    );
    h.wait_for_count(&root, DONE_ANSWERS, 2).await;

    answer(&h, &root, RICH, 3).await;
    h.assert_accessible("answered (markdown, code, table, file)")
        .await;
    shot(&h, "a11y-light").await;

    // Closed with an unread answer (the badge).
    click(&root, ".lc-close").await;
    h.js("LyzrChat.instances[0].send('/echo while you were away')")
        .await;
    h.wait_for_count(&root, ".lc-unread", 1).await;
    h.assert_accessible("closed, unread").await;
    h.finish().await;
}

#[tokio::test]
async fn axe_finds_nothing_with_banners_and_failures() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh_closed(&h).await;
    click(&root, ".lc-launcher").await;
    // Retrying banner.
    h.type_and_send(
        &root,
        "/fault status=429 retry-after=3 times=1 -- /echo made it",
    )
    .await;
    h.wait_for_count(&root, ".lc-banner", 1).await;
    h.assert_accessible("retrying banner").await;
    h.wait_for_count(&root, DONE_ANSWERS, 2).await;
    // Offline banner.
    h.js("window.dispatchEvent(new Event('offline'))").await;
    h.wait_for_count(&root, ".lc-banner", 1).await;
    h.assert_accessible("offline banner").await;
    h.js("window.dispatchEvent(new Event('online'))").await;
    // A refused send (the server answers 500): Not sent, Retry, Edit.
    h.type_and_send(&root, "/fault status=500 -- again").await;
    h.wait_for_count(&root, ".lc-user.lc-failed .lc-retry", 1)
        .await;
    h.assert_accessible("refused send").await;

    // The API unreachable: retrying by itself, then Not sent.
    let root = unreachable_failure(&h, "").await;
    assert!(h.has(&root, ".lc-edit").await);
    h.assert_accessible("failed message with Retry (API unreachable)")
        .await;
    shot(&h, "a11y-failed").await;
    h.finish().await;
}

#[tokio::test]
async fn axe_finds_nothing_with_files_attached() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh_closed(&h).await;
    click(&root, ".lc-launcher").await;
    h.js("const dt = new DataTransfer();\
          dt.items.add(new File(['%PDF'], 'report.pdf', {type: 'application/pdf'}));\
          dt.items.add(new File(['MZ'], 'setup.exe', {type: 'application/x-msdownload'}));\
          const panel = document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-panel');\
          const init = {dataTransfer: dt, bubbles: true, cancelable: true, composed: true};\
          panel.dispatchEvent(new DragEvent('dragover', init));\
          panel.dispatchEvent(new DragEvent('drop', init));")
        .await;
    h.wait_for_count(&root, ".lc-chip", 1).await;
    h.wait_for_count(&root, ".lc-refusal", 1).await;
    h.assert_accessible("files attached, one refused").await;
    answer(&h, &root, "What is in it?", 2).await;
    assert_eq!(
        h.texts(&root, ".lc-user .lc-sent-file").await,
        ["report.pdf"]
    );
    h.assert_accessible("files sent").await;
    h.finish().await;
}

#[tokio::test]
async fn axe_finds_nothing_dark_rtl_and_mobile() {
    let h = Harness::start(DEMO_API_KEY).await;
    // Dark, with an answer and a failed message.
    let root = restart_with(&h, "theme: 'dark'").await;
    answer(&h, &root, RICH, 2).await;
    h.type_and_send(&root, "/fault status=503 -- and this?")
        .await;
    h.wait_for_count(&root, ".lc-user.lc-failed .lc-retry", 1)
        .await;
    h.assert_accessible("dark").await;
    shot(&h, "a11y-dark").await;

    // Right to left.
    let root = rtl(&h).await;
    answer(
        &h,
        &root,
        "/echo مرحبا! هذا **رد** فيه `code` و https://example.com",
        2,
    )
    .await;
    answer(&h, &root, "مرحبا، ماذا يمكنك أن تفعل؟", 3).await;
    shot(&h, "a11y-rtl").await;
    h.type_and_send(&root, "/fault status=500 -- سؤال").await;
    h.wait_for_count(&root, ".lc-user.lc-failed .lc-retry", 1)
        .await;
    h.assert_accessible("right to left").await;

    // A phone: the panel takes the screen.
    h.client.set_window_size(390, 844).await.unwrap();
    let root = restart_with(&h, "").await;
    answer(&h, &root, RICH, 2).await;
    h.assert_accessible("mobile width").await;
    answer(&h, &root, "What can you do?", 3).await;
    shot(&h, "a11y-mobile").await;
    h.finish().await;
}

/// The widget right to left, in Arabic, by its own `locale` option (the
/// host page stays English and left to right).
async fn rtl(h: &Harness) -> ShadowRoot {
    let root = restart_on(h, "", "title: 'المساعد', locale: 'ar'").await;
    let dir = page(
        h,
        "return getComputedStyle(A.root().querySelector('.lc-panel')).direction",
    )
    .await;
    assert_eq!(dir, json!("rtl"));
    // The words are Arabic too (the locale file came with the wasm).
    let arabic = page(
        h,
        "return /[\\u0600-\\u06FF]/.test(A.root().querySelector('.lc-input').placeholder)",
    )
    .await;
    assert_eq!(arabic, json!(true), "an Arabic placeholder");
    root
}

// ------------------------------------------------------------- keyboard

#[tokio::test]
async fn a_keyboard_alone_reaches_everything_and_stays_in_the_panel() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh_closed(&h).await;
    // A conversation with every kind of control: Copy (code block), Retry
    // and Edit (a refused send), made through the API while closed.
    h.client
        .execute(
            "LyzrChat.instances[0].send(arguments[0])",
            vec![json!(RICH)],
        )
        .await
        .unwrap();
    h.wait_for_count(&root, DONE_ANSWERS, 2).await;
    h.client
        .execute(
            "LyzrChat.instances[0].send(arguments[0])",
            vec![json!("/fault status=500 -- keep me")],
        )
        .await
        .unwrap();
    h.wait_for_count(&root, ".lc-user.lc-failed .lc-retry", 1)
        .await;
    helpers(&h).await;

    // Tab from the top of the page reaches the launcher, its focus shown.
    h.press(&[TAB]).await;
    let at = focused(&h).await;
    assert!(has_class(&at, "lc-launcher"), "{at}");
    assert_ring(&at);

    // Enter opens the panel with focus in the composer.
    h.press(&[ENTER]).await;
    wait_focus(&h, "lc-input").await;
    assert!(h.has(&root, ".lc-panel:not([hidden])").await);
    // Typed from the keyboard: Send is enabled.
    h.press(&['h']).await;
    h.press(&['i']).await;
    h.wait_for_count(&root, ".lc-send:enabled", 1).await;

    // Tab goes round the panel's controls and comes back, never leaving.
    let forward = cycle(&h, &[TAB]).await;
    for needed in [
        "lc-reset",
        "lc-close",
        "lc-md-copy",
        "lc-retry",
        "lc-edit",
        "lc-input",
        "lc-send",
    ] {
        assert!(
            forward.iter().any(|c| c.split(' ').any(|x| x == needed)),
            "Tab never reached .{needed}: {forward:?}"
        );
    }
    // Shift+Tab goes round the other way, through the same controls.
    let backward = cycle(&h, &[SHIFT, TAB]).await;
    let mut reversed = backward.clone();
    reversed.reverse();
    reversed.rotate_left(1);
    assert_eq!(
        reversed, forward,
        "Shift+Tab visits the same controls backwards"
    );

    // Escape closes, and focus is back on the launcher.
    h.press(&[ESCAPE]).await;
    h.wait_for_count(&root, ".lc-panel[hidden]", 1).await;
    wait_focus(&h, "lc-launcher").await;
    assert_ring(&focused(&h).await);

    // On a phone the launcher hides while the panel shows: focus still
    // comes back to it.
    h.client.set_window_size(390, 844).await.unwrap();
    h.press(&[ENTER]).await;
    wait_focus(&h, "lc-input").await;
    h.press(&[ESCAPE]).await;
    wait_focus(&h, "lc-launcher").await;
    h.finish().await;
}

fn has_class(at: &Value, class: &str) -> bool {
    at["cls"]
        .as_str()
        .is_some_and(|c| c.split(' ').any(|x| x == class))
}

async fn focused(h: &Harness) -> Value {
    page(h, "return A.focus()").await
}

async fn wait_focus(h: &Harness, class: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let at = focused(h).await;
        if has_class(&at, class) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "focus never reached .{class}: {at}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A focused control shows a ring: `:focus-visible`, an outline of 2px or
/// more, 3:1 against what is behind it.
fn assert_ring(at: &Value) {
    assert_eq!(at["focusVisible"], true, "not :focus-visible: {at}");
    assert!(
        at["ring"].as_f64().unwrap_or(0.0) >= 3.0,
        "focus ring missing or faint: {at}"
    );
}

/// Presses `keys` until focus is back where it started, checking each stop:
/// inside the panel, ring shown. Returns the classes visited, in order,
/// starting with the one after where it started.
async fn cycle(h: &Harness, keys: &[char]) -> Vec<String> {
    let start = focused(h).await;
    let mut seen = Vec::new();
    for _ in 0..40 {
        h.press(keys).await;
        let at = focused(h).await;
        assert_eq!(
            at["inPanel"], true,
            "focus left the panel after {seen:?}: {at}"
        );
        assert_ring(&at);
        let cls = at["cls"].as_str().unwrap_or_default().to_string();
        let back = cls == start["cls"].as_str().unwrap_or_default() && at["name"] == start["name"];
        seen.push(cls);
        if back {
            return seen;
        }
    }
    panic!("focus never came back to {start} after {seen:?}");
}

// -------------------------------------------------------- screen readers

/// Chromium's accessibility tree of the page (what a screen reader reads).
async fn ax_tree(h: &Harness) -> Vec<Value> {
    h.cdp("Accessibility.enable", json!({})).await;
    let tree = h.cdp("Accessibility.getFullAXTree", json!({})).await;
    tree["nodes"].as_array().cloned().unwrap_or_default()
}

fn ax_role(node: &Value) -> &str {
    node["role"]["value"].as_str().unwrap_or_default()
}

fn ax_name(node: &Value) -> &str {
    node["name"]["value"].as_str().unwrap_or_default()
}

fn ax_property<'a>(node: &'a Value, name: &str) -> Option<&'a Value> {
    node["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| &p["value"]["value"])
}

/// The text under `node` in the tree (its static text, in order).
fn ax_text(nodes: &[Value], node: &Value) -> String {
    let mut out = String::new();
    for id in node["childIds"].as_array().into_iter().flatten() {
        if let Some(child) = nodes.iter().find(|n| n["nodeId"] == *id) {
            if ax_role(child) == "StaticText" || ax_role(child) == "InlineTextBox" {
                if ax_role(child) == "StaticText" {
                    out.push_str(ax_name(child));
                }
            } else {
                out.push_str(&ax_text(nodes, child));
            }
        }
    }
    out
}

/// The widget's live status region and its text.
async fn status_text(h: &Harness) -> String {
    let nodes = ax_tree(h).await;
    let status: Vec<&Value> = nodes
        .iter()
        .filter(|n| ax_role(n) == "status" && n["ignored"] != true)
        .collect();
    assert_eq!(status.len(), 1, "one status region: {status:?}");
    assert_eq!(
        ax_property(status[0], "live"),
        Some(&json!("polite")),
        "{:?}",
        status[0]
    );
    ax_text(&nodes, status[0])
        .trim_end_matches('\u{a0}')
        .trim()
        .to_string()
}

async fn wait_status(h: &Harness, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = status_text(h).await;
        if check(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "the status region never said {what}: {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Records, in the page, every change of text inside a live region of the
/// widget: what a screen reader would announce.
const RECORD_LIVE: &str = r#"
window.__live = [];
const root = document.querySelector('[data-lyzr-chat]').shadowRoot;
const LIVE = '[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log]';
new MutationObserver(records => {
  const seen = new Set();
  for (const r of records) {
    const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    const region = node && node.closest(LIVE);
    if (region && !seen.has(region)) {
      seen.add(region);
      window.__live.push([region.getAttribute('role') || 'live', region.className, region.textContent]);
    }
  }
}).observe(root, {subtree: true, childList: true, characterData: true});
"#;

#[tokio::test]
async fn screen_readers_hear_a_finished_answer_once_and_the_banners() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh_closed(&h).await;
    // Closed: the launcher's name, then the unread count in it.
    let launcher = |nodes: &[Value]| {
        nodes
            .iter()
            .find(|n| ax_role(n) == "button" && ax_property(n, "expanded").is_some())
            .map(|n| ax_name(n).to_string())
            .unwrap_or_default()
    };
    assert_eq!(launcher(&ax_tree(&h).await), "Open chat");
    h.js("LyzrChat.instances[0].send('/echo while you were away')")
        .await;
    h.wait_for_count(&root, ".lc-unread", 1).await;
    let name = launcher(&ax_tree(&h).await);
    assert!(name.contains("1 unread"), "{name}");

    click(&root, ".lc-launcher").await;
    h.wait_for_count(&root, ".lc-panel:not([hidden])", 1).await;
    let nodes = ax_tree(&h).await;
    let dialog = nodes
        .iter()
        .find(|n| ax_role(n) == "dialog")
        .expect("the panel is a dialog");
    assert_eq!(ax_name(dialog), "Demo agent");
    assert_eq!(ax_property(dialog, "modal"), Some(&json!(true)));
    assert!(
        nodes
            .iter()
            .any(|n| ax_role(n) == "textbox" && !ax_name(n).is_empty()),
        "the composer has a name"
    );
    let unnamed: Vec<&Value> = nodes
        .iter()
        .filter(|n| ax_role(n) == "button" && n["ignored"] != true && ax_name(n).trim().is_empty())
        .collect();
    assert!(unnamed.is_empty(), "buttons without a name: {unnamed:?}");

    // A streamed answer: nothing is announced while it streams, then the
    // whole answer once.
    h.js(RECORD_LIVE).await;
    let words: Vec<String> = (1..=30).map(|i| format!("w{i}")).collect();
    let full = words.join(" ");
    h.type_and_send(&root, &format!("/fault drip=60 -- /echo **{full}**"))
        .await;
    h.wait_for_count(&root, ".lc-agent.lc-streaming .lc-md p", 1)
        .await;
    let nodes = ax_tree(&h).await;
    let list = nodes
        .iter()
        .find(|n| ax_role(n) == "list" && n["ignored"] != true)
        .expect("the messages are a list");
    assert_eq!(
        ax_property(list, "live"),
        None,
        "the message list is not a live region (it would read every token)"
    );
    h.wait_for_count(&root, DONE_ANSWERS, 3).await;
    wait_status(&h, "the answer", |t| t == full).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let live = h.js("return window.__live").await;
    let said: Vec<&str> = live
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e[2].as_str())
        .filter(|t| t.contains("w1"))
        .collect();
    assert_eq!(said, [full.as_str()], "announced once, in full: {live}");

    // The same answer again is announced again.
    h.type_and_send(&root, &format!("/echo {full}")).await;
    h.wait_for_count(&root, DONE_ANSWERS, 4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let live = h.js("return window.__live").await;
    assert_eq!(
        live.as_array()
            .unwrap()
            .iter()
            .filter(|e| e[2].as_str().is_some_and(|t| t.contains("w1")))
            .count(),
        2,
        "{live}"
    );

    // Banners: retrying, then offline.
    h.type_and_send(
        &root,
        "/fault status=429 retry-after=2 times=1 -- /echo made it",
    )
    .await;
    wait_status(&h, "retrying", |t| t.contains("Trying again")).await;
    wait_status(&h, "the answer after the retry", |t| t == "made it").await;
    h.js("window.dispatchEvent(new Event('offline'))").await;
    wait_status(&h, "offline", |t| t.contains("offline")).await;
    h.js("window.dispatchEvent(new Event('online'))").await;
    h.finish().await;
}

// -------------------------------------------------------- colour, motion

#[tokio::test]
async fn text_on_any_brand_colour_keeps_4_5_to_1() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = restart_with(
        &h,
        "primaryColor: '#ffd400', starterPrompts: ['What can you do?']",
    )
    .await;
    h.assert_accessible("starters, brand colour #ffd400").await;
    answer(&h, &root, RICH, 2).await;
    h.assert_accessible("answered, brand colour #ffd400").await;
    // Text and icons on the brand colour: black on this yellow, 4.5:1 at least.
    let pairs = page(
        &h,
        "const r = A.root(); const out = {};\
         for (const css of ['.lc-title', '.lc-user .lc-bubble', '.lc-launcher', '.lc-send']) {\
           const el = r.querySelector(css);\
           out[css] = [A.rgba(getComputedStyle(el).color), A.contrast(A.rgba(getComputedStyle(el).color), A.behind(el))];\
         }\
         return out;",
    )
    .await;
    for (css, pair) in pairs.as_object().unwrap() {
        assert_eq!(
            pair[0],
            json!([0, 0, 0, 255]),
            "{css} is black on yellow: {pairs}"
        );
        assert!(pair[1].as_f64().unwrap() >= 4.5, "{css}: {pairs}");
    }
    shot(&h, "a11y-yellow").await;

    // Every colour of a 16-step grid of the RGB cube (4,096), and the
    // default: the colour on it reaches 4.5:1.
    let worst = page(
        &h,
        "const r = A.root(); const root = r.querySelector('.lc-root'); const title = r.querySelector('.lc-title');\
         const hex = v => v.toString(16).padStart(2, '0');\
         let worst = [99, ''];\
         for (let R = 0; R < 256; R += 17) for (let G = 0; G < 256; G += 17) for (let B = 0; B < 256; B += 17) {\
           const c = '#' + hex(R) + hex(G) + hex(B);\
           root.style.setProperty('--lc-primary', c);\
           const k = A.contrast(A.rgba(getComputedStyle(title).color), [R, G, B]);\
           if (k < worst[0]) worst = [k, c];\
         }\
         root.style.removeProperty('--lc-primary');\
         return worst;",
    )
    .await;
    assert!(
        worst[0].as_f64().unwrap() >= 4.5,
        "lowest contrast on a brand colour: {worst}"
    );
    // The default brand colour keeps white text.
    restart_with(&h, "").await;
    let title = page(
        &h,
        "return A.rgba(getComputedStyle(A.root().querySelector('.lc-title')).color)",
    )
    .await;
    assert_eq!(title, json!([255, 255, 255, 255]));
    h.finish().await;
}

/// The loader's stand-in launcher (shown until the widget loads, which
/// with `load: "interaction"` is when the visitor reaches for it) follows
/// the same rule.
#[tokio::test]
async fn the_stand_in_launcher_keeps_its_icon_readable_on_a_light_brand_colour() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/blank.html").await;
    h.js("const s = document.createElement('script');\
          Object.assign(s.dataset, {agentId: 'demo-agent', apiKey: 'lyzr-chat-demo-key',\
            load: 'interaction', primaryColor: '#ffd400'});\
          s.src = '/lyzr-chat.js'; document.body.append(s);")
        .await;
    let mut found = Value::Null;
    let deadline = Instant::now() + WAIT;
    while found.is_null() {
        assert!(Instant::now() < deadline, "no stand-in launcher");
        tokio::time::sleep(Duration::from_millis(50)).await;
        found = page(
            &h,
            "for (const el of document.querySelectorAll('body *')) {\
               const b = el.shadowRoot && el.shadowRoot.querySelector('.lc-loader .lc-launcher');\
               if (b) { const c = A.rgba(getComputedStyle(b).color);\
                        return [c, A.contrast(c, A.behind(b))]; }\
             }\
             return null;",
        )
        .await;
    }
    assert_eq!(found[0], json!([0, 0, 0, 255]), "{found}");
    assert!(found[1].as_f64().unwrap() >= 4.5, "{found}");
    h.finish().await;
}

#[tokio::test]
async fn forced_colours_keep_every_control_visible() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = restart_with(&h, "starterPrompts: ['What can you do?']").await;
    answer(&h, &root, RICH, 2).await;
    h.type_and_send(&root, "/fault status=500 -- keep me").await;
    h.wait_for_count(&root, ".lc-user.lc-failed .lc-retry", 1)
        .await;
    // Controls whose outline is drawn by nothing but their background.
    const BORDERLESS: &str = "const out = [];\
        for (const el of A.root().querySelectorAll('button, textarea')) {\
          if (!el.getClientRects().length) continue;\
          const cs = getComputedStyle(el);\
          const sides = ['Top', 'Right', 'Bottom', 'Left'];\
          if (!sides.every(s => cs['border' + s + 'Style'] !== 'none' && parseFloat(cs['border' + s + 'Width']) >= 1))\
            out.push(el.className);\
        }\
        return out;";
    let before = page(&h, BORDERLESS).await;
    assert!(
        !before.as_array().unwrap().is_empty(),
        "without forced colours some controls have no border (the check can fail)"
    );
    h.cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "forced-colors", "value": "active"}]}),
    )
    .await;
    assert_eq!(
        h.js("return matchMedia('(forced-colors: active)').matches")
            .await,
        json!(true)
    );
    let after = page(&h, BORDERLESS).await;
    assert_eq!(
        after,
        json!([]),
        "controls with no border in forced colours"
    );
    shot(&h, "a11y-forced-colors").await;
    h.finish().await;
}

#[tokio::test]
async fn reduced_motion_stops_every_animation() {
    const MOVING: &str = "const out = [];\
        for (const el of A.root().querySelectorAll('*')) for (const pseudo of [null, '::before', '::after']) {\
          const cs = getComputedStyle(el, pseudo);\
          const animated = cs.animationName.split(',').some(n => n.trim() !== 'none');\
          const transition = cs.transitionDuration.split(',').some(d => parseFloat(d) > 0);\
          if (animated || transition) out.push(String(el.className.baseVal ?? el.className) + (pseudo || ''));\
        }\
        return out;";
    let h = Harness::start(DEMO_API_KEY).await;
    let root = restart_with(&h, "").await;
    h.type_and_send(
        &root,
        "/fault latency=1500 drip=100 -- /echo a b c d e f g h i j k l m n o p q r s",
    )
    .await;
    h.wait_for_count(&root, ".lc-pending", 1).await;
    let moving = page(&h, MOVING).await;
    assert!(
        moving.as_array().is_some_and(|m| m.len() >= 3),
        "the typing dots move without the setting: {moving}"
    );
    h.wait_for_count(&root, DONE_ANSWERS, 2).await;

    h.cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]}),
    )
    .await;
    h.type_and_send(
        &root,
        "/fault latency=1500 drip=100 -- /echo a b c d e f g h i j k l m n o p q r s",
    )
    .await;
    h.wait_for_count(&root, ".lc-pending", 1).await;
    assert_eq!(page(&h, MOVING).await, json!([]), "waiting");
    h.wait_for_count(&root, ".lc-agent.lc-streaming .lc-md p", 1)
        .await;
    assert_eq!(page(&h, MOVING).await, json!([]), "streaming");
    h.wait_for_count(&root, DONE_ANSWERS, 3).await;

    // A file uploading: its progress bar does not glide.
    h.js("const dt = new DataTransfer();\
          dt.items.add(new File(['x'.repeat(40000)], 'notes.txt', {type: 'text/plain'}));\
          const panel = document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-panel');\
          const init = {dataTransfer: dt, bubbles: true, cancelable: true, composed: true};\
          panel.dispatchEvent(new DragEvent('dragover', init));\
          panel.dispatchEvent(new DragEvent('drop', init));")
        .await;
    h.wait_for_count(&root, ".lc-chip", 1).await;
    h.stats.uploads().script("rate=10000 times=1").unwrap();
    h.type_and_send(&root, "Read this").await;
    h.wait_for_count(&root, ".lc-chip-progress", 1).await;
    assert_eq!(page(&h, MOVING).await, json!([]), "uploading");
    h.finish().await;
}

/// A widget that starts open (floating, open at load) or inline far down
/// the page leaves the page's focus where it was (here an `autofocus`
/// search field) and the page unscrolled: a phone's keyboard does not pop
/// up, and nobody is pulled to the chat. Opening it later does focus the
/// composer (`keyboard_only_visitor...` above).
#[tokio::test]
async fn a_widget_open_at_load_leaves_the_pages_focus_and_scroll_alone() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/focus-kept.html").await;
    let state = "const hosts = document.querySelectorAll('[data-lyzr-chat]');\
                 const ready = [...hosts].filter(e => e.shadowRoot && e.shadowRoot.querySelector('.lc-panel .lc-input'));\
                 return [ready.length, document.activeElement && document.activeElement.id, Math.round(window.scrollY)];";
    h.wait_until("the two widgets to come up", || async {
        h.js(state).await[0] == json!(2)
    })
    .await;
    // Past the frames in which a composer would take the focus.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let v = h.js(state).await;
    assert_eq!(
        v[1],
        json!("search"),
        "the page's field keeps the focus: {v}"
    );
    assert_eq!(v[2], json!(0), "the page is not scrolled: {v}");
    h.finish().await;
}
