//! The markdown DOM layer in a real browser (wasm-bindgen-test, headless
//! Chromium): hostile markdown builds no live markup, growing text keeps its
//! finished blocks, the Copy and Load-image buttons work, and the
//! `linkSchemes` / `imageHosts` options reach agent replies.

use js_sys::{Array, Reflect};
use lyzr_chat::markdown::{dom, render, RenderPolicy, ALLOWED_ATTRS, ALLOWED_TAGS};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

mod common;

use common::{document, tick};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh container attached to the page.
fn container() -> Element {
    let div = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&div).unwrap();
    div
}

fn show(markdown: &str) -> Element {
    let root = container();
    let policy = RenderPolicy {
        page_origin: Some("http://127.0.0.1:1".into()),
        ..RenderPolicy::default()
    };
    for node in render(markdown, &policy) {
        root.append_child(&dom::build(&document(), &node).unwrap())
            .unwrap();
    }
    root
}

fn all(root: &Element, css: &str) -> Vec<Element> {
    let list = root.query_selector_all(css).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().unchecked_into())
        .collect()
}

/// Fails on any element or attribute outside the allowlist, and any href or
/// src a browser would run or treat as inline content.
fn assert_only_allowlisted(root: &Element) {
    for el in all(root, "*") {
        let tag = el.tag_name().to_ascii_lowercase();
        assert!(ALLOWED_TAGS.contains(&tag.as_str()), "element <{tag}>");
        let names = el.get_attribute_names();
        for name in names.iter().filter_map(|n| n.as_string()) {
            assert!(ALLOWED_ATTRS.contains(&name.as_str()), "<{tag} {name}>");
            assert!(!name.starts_with("on"), "<{tag} {name}>");
        }
        for attr in ["href", "src"] {
            if let Some(value) = el.get_attribute(attr) {
                // The browser's own reading of the URL decides.
                let url = Reflect::get(&el, &attr.into()).unwrap().as_string();
                let scheme = url.unwrap_or(value).to_ascii_lowercase();
                for bad in ["javascript:", "data:", "vbscript:"] {
                    assert!(!scheme.starts_with(bad), "<{tag} {attr}={scheme}>");
                }
            }
        }
    }
}

#[wasm_bindgen_test]
async fn hostile_markdown_builds_no_live_markup() {
    let root = show(concat!(
        "<script>window.__lcMdPwned = 1</script>\n\n",
        "<img src=x onerror=\"window.__lcMdPwned = 2\">\n\n",
        "text <svg onload=\"window.__lcMdPwned = 3\"></svg> and <b onclick=x>b</b>\n\n",
        "[a](javascript:window.__lcMdPwned=4) [b](JAVA\tSCRIPT:x) [c](&#106;avascript:x) ",
        "[d](data:text/html,<script>x</script>) [e](vbscript:x) [ok](https://example.com)\n\n",
        "![i](data:image/svg+xml,<svg/onload=alert(1)>) ![j](javascript:x) ",
        "![k](https://127.0.0.1:9/steal?c=secret)\n\n",
        "<iframe srcdoc=\"x\"></iframe><style>*{display:none}</style>",
    ));
    tick(100).await;
    assert!(Reflect::get(&js_sys::global(), &"__lcMdPwned".into())
        .unwrap()
        .is_undefined());
    assert_only_allowlisted(&root);
    assert!(all(&root, "script, img, svg, iframe, style, b").is_empty());
    let text = root.text_content().unwrap();
    assert!(
        text.contains("<script>window.__lcMdPwned = 1</script>"),
        "{text}"
    );
    assert!(text.contains("<svg onload="), "{text}");
    let links = all(&root, "a");
    assert_eq!(links.len(), 1, "only the https link is live");
    assert_eq!(links[0].get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(
        links[0].get_attribute("rel").as_deref(),
        Some("noopener noreferrer nofollow")
    );
    assert_eq!(all(&root, ".lc-md-img-blocked").len(), 2);
    let placeholder = all(&root, ".lc-md-img-placeholder");
    assert_eq!(placeholder.len(), 1);
    assert!(placeholder[0].text_content().unwrap().contains("127.0.0.1"));
    root.remove();
}

#[wasm_bindgen_test]
fn growing_text_keeps_finished_blocks_and_matches_a_fresh_render() {
    let root = container();
    let mut renderer = dom::DomRenderer::new(root.clone(), RenderPolicy::default());
    let text = "# Title\n\nFirst *paragraph*.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```sh\necho hi\n```\n\nLast line";
    // Once the line after it is complete, the heading is final.
    let mut end = text.find("| a").unwrap();
    renderer.update(&text[..end]);
    let heading = root.first_element_child().expect("heading shown");
    while end < text.len() {
        end = (end + 7).min(text.len());
        renderer.update(&text[..end]);
        // The finished heading is never rebuilt.
        assert!(root
            .first_element_child()
            .unwrap()
            .is_same_node(Some(&heading)));
    }
    let fresh = show(text);
    assert_eq!(root.child_element_count(), fresh.child_element_count());
    assert_eq!(root.text_content(), fresh.text_content());
    let shape = |r: &Element| all(r, "*").iter().map(|e| e.tag_name()).collect::<Vec<_>>();
    assert_eq!(shape(&root), shape(&fresh));
    // A replaced (not extended) text starts over.
    renderer.update("Something else");
    assert_eq!(root.text_content().as_deref(), Some("Something else"));
    root.remove();
    fresh.remove();
}

fn click(el: &Element) {
    el.unchecked_ref::<HtmlElement>().click();
}

/// A rendered reply inside a root that handles clicks as the component does.
fn show_with_clicks(markdown: &str) -> (Element, Closure<dyn Fn(web_sys::Event)>) {
    let root = show(markdown);
    let handler = Closure::<dyn Fn(web_sys::Event)>::new(|ev: web_sys::Event| {
        dom::on_click(&ev, &Default::default())
    });
    root.add_event_listener_with_callback("click", handler.as_ref().unchecked_ref())
        .unwrap();
    (root, handler)
}

#[wasm_bindgen_test]
async fn copy_button_gives_feedback() {
    let (root, _handler) = show_with_clicks("```rust\nfn main() {}\n```");
    let button = root.query_selector(".lc-md-copy").unwrap().unwrap();
    assert_eq!(
        root.query_selector(".lc-md-lang")
            .unwrap()
            .unwrap()
            .text_content()
            .as_deref(),
        Some("rust")
    );
    click(&button);
    let mut label = String::new();
    for _ in 0..50 {
        tick(20).await;
        label = button.text_content().unwrap_or_default();
        if label != "Copy" {
            break;
        }
    }
    // Headless Chromium may refuse the Clipboard API without focus; the
    // fallback then selects the code and says so.
    assert!(label == "Copied" || label == "Press Ctrl+C", "{label}");
    if label == "Press Ctrl+C" {
        let selected = web_sys::window()
            .unwrap()
            .get_selection()
            .unwrap()
            .unwrap()
            .to_string();
        assert_eq!(String::from(selected).trim_end(), "fn main() {}");
    }
    root.remove();
}

#[wasm_bindgen_test]
fn load_image_button_swaps_the_placeholder_for_the_image() {
    let (root, _handler) = show_with_clicks("![chart](http://127.0.0.1:9/chart.png)");
    assert!(
        root.query_selector("img").unwrap().is_none(),
        "not auto-loaded"
    );
    let button = root.query_selector(".lc-md-load").unwrap().unwrap();
    click(&button);
    let img = root
        .query_selector("img")
        .unwrap()
        .expect("image after click");
    assert_eq!(
        img.get_attribute("src").as_deref(),
        Some("http://127.0.0.1:9/chart.png")
    );
    assert_eq!(img.get_attribute("alt").as_deref(), Some("chart"));
    assert!(root
        .query_selector(".lc-md-img-placeholder")
        .unwrap()
        .is_none());
    root.remove();
}

fn config(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

fn strings(items: &[&str]) -> JsValue {
    items
        .iter()
        .map(|s| JsValue::from_str(s))
        .collect::<Array>()
        .into()
}

#[wasm_bindgen_test]
async fn options_decide_which_links_and_images_are_live() {
    let welcome = "[plain](http://127.0.0.1:9/a) [tel](tel:123) \
                   ![ok](http://127.0.0.2:9/a.png) ![wait](http://127.0.0.3:9/b.png) \
                   ![own](/account/delete?confirm=1)";
    let mut handle = lyzr_chat::mount(config(&[
        ("agentId", "md-options".into()),
        ("apiUrl", "http://127.0.0.1:9".into()),
        ("welcomeMessage", welcome.into()),
        ("linkSchemes", strings(&["https", "TEL:"])),
        ("imageHosts", strings(&["127.0.0.2"])),
    ]))
    .expect("mounted");
    let shadow = document()
        .query_selector("[data-lyzr-chat='md-options']")
        .unwrap()
        .unwrap()
        .shadow_root()
        .unwrap();
    let mut md = None;
    for _ in 0..100 {
        md = shadow.query_selector(".lc-agent .lc-md a").unwrap();
        if md.is_some() {
            break;
        }
        tick(20).await;
    }
    let link = md.expect("the welcome message is rendered as markdown");
    assert_eq!(link.get_attribute("href").as_deref(), Some("tel:123"));
    let links = shadow.query_selector_all(".lc-md a").unwrap();
    assert_eq!(links.length(), 1, "http is not in linkSchemes");
    let imgs = shadow.query_selector_all(".lc-md img").unwrap();
    assert_eq!(imgs.length(), 1);
    let img: Element = imgs.item(0).unwrap().unchecked_into();
    assert_eq!(
        img.get_attribute("src").as_deref(),
        Some("http://127.0.0.2:9/a.png")
    );
    // The page's own origin is not trusted either: its image waits for a click.
    let placeholders = shadow.query_selector_all(".lc-md-img-placeholder").unwrap();
    assert_eq!(placeholders.length(), 2);
    let own: Element = placeholders.item(1).unwrap().unchecked_into();
    assert_eq!(
        own.get_attribute("data-src").as_deref(),
        Some("/account/delete?confirm=1")
    );
    handle.destroy();

    // Listing the page's host in imageHosts lets its images load.
    let page_host = web_sys::window().unwrap().location().hostname().unwrap();
    let mut handle = lyzr_chat::mount(config(&[
        ("agentId", "md-own-host".into()),
        ("apiUrl", "http://127.0.0.1:9".into()),
        ("welcomeMessage", "![own](/own.png)".into()),
        ("imageHosts", strings(&[&page_host])),
    ]))
    .expect("mounted");
    let shadow = document()
        .query_selector("[data-lyzr-chat='md-own-host']")
        .unwrap()
        .unwrap()
        .shadow_root()
        .unwrap();
    let mut img = None;
    for _ in 0..100 {
        img = shadow.query_selector(".lc-md img").unwrap();
        if img.is_some() {
            break;
        }
        tick(20).await;
    }
    let img = img.expect("a listed host's image loads");
    assert_eq!(img.get_attribute("src").as_deref(), Some("/own.png"));
    handle.destroy();
}

#[wasm_bindgen_test]
fn bad_link_schemes_and_image_hosts_are_named() {
    for (key, value, needle) in [
        (
            "linkSchemes",
            strings(&["https", "javascript"]),
            "option `linkSchemes` cannot allow \"javascript\"",
        ),
        (
            "linkSchemes",
            JsValue::from_str("https"),
            "option `linkSchemes` must be an array of strings",
        ),
        (
            "imageHosts",
            strings(&["https://cdn.example.com/"]),
            "option `imageHosts` has \"https://cdn.example.com/\"",
        ),
    ] {
        let errors = Array::new();
        let sink = errors.clone();
        let spy = Closure::<dyn Fn(JsValue)>::new(move |v: JsValue| {
            sink.push(&v);
        });
        let console = Reflect::get(&js_sys::global(), &"console".into()).unwrap();
        let original = Reflect::get(&console, &"error".into()).unwrap();
        Reflect::set(&console, &"error".into(), spy.as_ref()).unwrap();
        let handle = lyzr_chat::mount(config(&[("agentId", "md-bad".into()), (key, value)]));
        Reflect::set(&console, &"error".into(), &original).unwrap();
        // A bad optional option is named and replaced by its (safe) default.
        let mut handle = handle.unwrap_or_else(|| panic!("{key}: mounted with the default"));
        handle.destroy();
        let lines: Vec<String> = errors.iter().filter_map(|v| v.as_string()).collect();
        assert!(
            lines.iter().any(|l| l.contains(needle)),
            "missing {needle:?} in {lines:?}"
        );
    }
}
