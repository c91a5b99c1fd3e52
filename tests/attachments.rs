//! Attaching files in a real browser page (wasm-bindgen-test, headless
//! Chromium): drop and paste onto the panel, the chips, the refusals naming
//! the rule, removing a file, and `attachments: false` hiding it all.

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, ShadowRoot};

mod common;

use common::{document, tick};

wasm_bindgen_test_configure!(run_in_browser);

/// A base URL where nothing listens: nothing here reaches a server.
const DEAD_API: &str = "http://127.0.0.1:9";

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (key, value) in pairs {
        Reflect::set(&o, &JsValue::from_str(key), value).unwrap();
    }
    o.into()
}

fn strings(items: &[&str]) -> JsValue {
    items
        .iter()
        .map(|s| JsValue::from_str(s))
        .collect::<Array>()
        .into()
}

/// Mounts a widget; it stays while the returned handle lives.
fn mount(agent: &str, attachments: JsValue) -> (lyzr_chat::ChatHandle, ShadowRoot) {
    let handle = lyzr_chat::mount(object(&[
        ("agentId", agent.into()),
        ("apiUrl", DEAD_API.into()),
        ("open", true.into()),
        ("attachments", attachments),
    ]))
    .expect("mounted");
    let root = document()
        .query_selector(&format!("[data-lyzr-chat='{agent}']"))
        .unwrap()
        .unwrap()
        .shadow_root()
        .unwrap();
    (handle, root)
}

/// Dispatches `kind` (`drop` or `paste`) on `target` carrying in-page files
/// given as `[name, mime, size]`.
fn dispatch_files(target: &Element, kind: &str, files: &[(&str, &str, usize)]) {
    let make = Function::new_with_args(
        "target, kind, files",
        "const dt = new DataTransfer();\
         for (const [name, type, size] of files) dt.items.add(new File(['x'.repeat(size)], name, {type}));\
         const init = {bubbles: true, cancelable: true, composed: true};\
         const ev = kind === 'paste'\
           ? new ClipboardEvent('paste', {...init, clipboardData: dt})\
           : new DragEvent(kind, {...init, dataTransfer: dt});\
         target.dispatchEvent(ev);",
    );
    let list: Array = files
        .iter()
        .map(|(n, t, s)| {
            let triple = Array::new();
            triple.push(&JsValue::from_str(n));
            triple.push(&JsValue::from_str(t));
            triple.push(&JsValue::from_f64(*s as f64));
            JsValue::from(triple)
        })
        .collect();
    make.call3(&JsValue::NULL, target, &kind.into(), &list)
        .unwrap();
}

fn texts(root: &ShadowRoot, css: &str) -> Vec<String> {
    let list = root.query_selector_all(css).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

fn find(root: &ShadowRoot, css: &str) -> Element {
    root.query_selector(css)
        .unwrap()
        .unwrap_or_else(|| panic!("`{css}` is there"))
}

#[wasm_bindgen_test]
async fn dropped_and_pasted_files_become_chips_and_refusals_name_the_rule() {
    let (mut handle, root) = mount(
        "attach-a",
        object(&[
            ("maxFiles", 2.into()),
            ("maxBytes", 100.into()),
            ("accept", strings(&[".txt", "image/*"])),
        ]),
    );
    tick(20).await;
    assert!(root.query_selector(".lc-attach").unwrap().is_some());
    let input = find(&root, ".lc-file-input");
    assert_eq!(
        input.get_attribute("accept").as_deref(),
        Some(".txt,image/*")
    );

    let panel = find(&root, ".lc-panel");
    // A drag of files over the panel shows the drop target.
    dispatch_files(&panel, "dragover", &[("a.txt", "text/plain", 5)]);
    tick(10).await;
    assert!(panel.class_list().contains("lc-dragging"));
    dispatch_files(
        &panel,
        "drop",
        &[
            ("a.txt", "text/plain", 5),
            ("c.exe", "application/x-msdownload", 5),
            ("d.txt", "text/plain", 101),
            ("shot.png", "image/png", 100),
        ],
    );
    tick(20).await;
    assert!(!panel.class_list().contains("lc-dragging"));
    assert_eq!(texts(&root, ".lc-chip-name"), ["a.txt", "shot.png"]);
    assert_eq!(texts(&root, ".lc-chip-size"), ["5 bytes", "100 bytes"]);
    assert_eq!(
        texts(&root, ".lc-refusal"),
        [
            "c.exe: this type of file can't be sent; allowed: TXT, image/*",
            "d.txt: this file is too big; the limit is 100 bytes per file",
        ]
    );

    // A paste beyond the count is refused for the count.
    let composer = find(&root, ".lc-input");
    dispatch_files(&composer, "paste", &[("more.png", "image/png", 3)]);
    tick(20).await;
    assert_eq!(
        texts(&root, ".lc-refusal"),
        ["more.png: not attached; a message can carry at most 2 files"]
    );

    // Remove one: room for the paste again.
    let remove: web_sys::HtmlElement = find(&root, ".lc-chip-remove[aria-label='Remove a.txt']")
        .dyn_into()
        .unwrap();
    remove.click();
    tick(20).await;
    assert_eq!(texts(&root, ".lc-chip-name"), ["shot.png"]);
    dispatch_files(&composer, "paste", &[("more.png", "image/png", 3)]);
    tick(20).await;
    assert_eq!(texts(&root, ".lc-chip-name"), ["shot.png", "more.png"]);
    assert!(texts(&root, ".lc-refusal").is_empty());
    handle.destroy();
}

#[wasm_bindgen_test]
async fn attachments_false_hides_the_feature() {
    let (mut handle, root) = mount("attach-off", false.into());
    tick(20).await;
    assert!(root.query_selector(".lc-attach").unwrap().is_none());
    assert!(root.query_selector(".lc-file-input").unwrap().is_none());
    let panel = find(&root, ".lc-panel");
    dispatch_files(&panel, "drop", &[("a.txt", "text/plain", 5)]);
    tick(20).await;
    assert!(texts(&root, ".lc-chip").is_empty());
    handle.destroy();
}

#[wasm_bindgen_test]
async fn defaults_accept_lyzrs_types() {
    let (mut handle, root) = mount("attach-default", JsValue::UNDEFINED);
    tick(20).await;
    let input = find(&root, ".lc-file-input");
    assert_eq!(
        input.get_attribute("accept").as_deref(),
        Some(".pdf,.docx,.pptx,.xlsx,.xls,.csv,.txt,.jpg,.jpeg,.png,.webp")
    );
    let panel = find(&root, ".lc-panel");
    dispatch_files(&panel, "drop", &[("report.exe", "", 5)]);
    tick(20).await;
    assert_eq!(
        texts(&root, ".lc-refusal"),
        ["report.exe: this type of file can't be sent; allowed: PDF, DOCX, PPTX, XLSX, XLS, CSV, TXT, JPG, JPEG, PNG, WEBP"]
    );
    handle.destroy();
}
