//! The thin DOM layer: the sanitized tree becomes real nodes through
//! `createElement`, `createTextNode` and `setAttribute` only (no HTML parser
//! is ever involved), and the clicks of its Copy and Load-image buttons.

use super::policy::RenderPolicy;
use super::render::Renderer;
use super::tree::{Attr, Node};
use crate::ui::i18n::{Label, Words};
use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

/// How long "Copied" shows on a Copy button.
const FEEDBACK_MS: i32 = 1500;

/// Creates the DOM subtree for `node`.
pub fn build(document: &Document, node: &Node) -> Result<web_sys::Node, JsValue> {
    match node {
        Node::Text(text) => Ok(document.create_text_node(text).into()),
        Node::Element(el) => {
            let element = document.create_element(el.tag.name())?;
            for (attr, value) in &el.attrs {
                element.set_attribute(attr.name(), value)?;
            }
            for child in &el.children {
                element.append_child(&build(document, child)?)?;
            }
            Ok(element.into())
        }
    }
}

/// Keeps `root`'s children in step with a growing text: completed blocks are
/// built once and kept, only the trailing block is rebuilt per update.
pub struct DomRenderer {
    root: Element,
    renderer: Renderer,
    tail: Vec<web_sys::Node>,
}

impl DomRenderer {
    /// Renders into `root` (which it owns from now on). The page's origin is
    /// added to `policy` when missing: it names the host of relative images.
    pub fn new(root: Element, policy: RenderPolicy) -> Self {
        Self::with_words(root, policy, Words::default())
    }

    /// As [`DomRenderer::new`], its buttons and notes saying `words`.
    pub fn with_words(root: Element, mut policy: RenderPolicy, words: Words) -> Self {
        if policy.page_origin.is_none() {
            policy.page_origin = web_sys::window().and_then(|w| w.location().origin().ok());
        }
        Self {
            root,
            renderer: Renderer::with_words(policy, words),
            tail: Vec::new(),
        }
    }

    /// Shows `text`, which usually extends the previous one.
    pub fn update(&mut self, text: &str) {
        let patch = self.renderer.update(text);
        if let Err(e) = self.apply(patch) {
            crate::console::error(&format!("could not show a reply: {e:?}"));
        }
    }

    fn apply(&mut self, patch: super::render::Patch) -> Result<(), JsValue> {
        let document = self.root.owner_document().ok_or("no document")?;
        if patch.reset {
            // Removes every child; sets no markup.
            self.root.set_text_content(None);
            self.tail.clear();
        }
        for node in self.tail.drain(..) {
            self.root.remove_child(&node)?;
        }
        for node in &patch.commit {
            self.root.append_child(&build(&document, node)?)?;
        }
        for node in &patch.tail {
            let built = build(&document, node)?;
            self.root.append_child(&built)?;
            self.tail.push(built);
        }
        Ok(())
    }
}

/// Handles a click anywhere in a rendered reply (one delegated listener per
/// reply): Copy buttons copy their code, Load-image buttons load their image.
pub fn on_click(event: &web_sys::Event, words: &Words) {
    let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    if let Ok(Some(button)) = target.closest("button.lc-md-copy") {
        copy_code(button, words.clone());
    } else if let Ok(Some(button)) = target.closest("button.lc-md-load") {
        load_image(&button);
    }
}

fn copy_code(button: Element, words: Words) {
    let Some(code) = button
        .closest(".lc-md-code")
        .ok()
        .flatten()
        .and_then(|block| block.query_selector("pre code").ok().flatten())
    else {
        return;
    };
    let text = code.text_content().unwrap_or_default();
    let write = web_sys::window().and_then(|w| {
        let clipboard = Reflect::get(&w.navigator(), &"clipboard".into()).ok()?;
        let write_text = Reflect::get(&clipboard, &"writeText".into()).ok()?;
        let write_text: Function = write_text.dyn_into().ok()?;
        let promise = write_text.call1(&clipboard, &text.into()).ok()?;
        promise.dyn_into::<js_sys::Promise>().ok()
    });
    match write {
        Some(promise) => leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(promise).await {
                Ok(_) => feedback(&button, words.get(Label::Copied), &words),
                Err(_) => copy_by_selection(&code, &button, &words),
            }
        }),
        None => copy_by_selection(&code, &button, &words),
    }
}

/// Without the Clipboard API (insecure page, denied permission): select the
/// code and try the legacy copy command; if even that fails, the selected
/// text is ready for Ctrl+C.
fn copy_by_selection(code: &Element, button: &Element, words: &Words) {
    let copied = (|| {
        let window = web_sys::window()?;
        let document = window.document()?;
        let range = document.create_range().ok()?;
        range.select_node_contents(code).ok()?;
        let selection = window.get_selection().ok()??;
        selection.remove_all_ranges().ok()?;
        selection.add_range(&range).ok()?;
        let exec: Function = Reflect::get(&document, &"execCommand".into())
            .ok()?
            .dyn_into()
            .ok()?;
        exec.call1(&document, &"copy".into()).ok()?.as_bool()
    })();
    let label = words.get(if copied == Some(true) {
        Label::Copied
    } else {
        Label::PressCtrlC
    });
    feedback(button, label, words);
}

fn feedback(button: &Element, label: &str, words: &Words) {
    button.set_text_content(Some(label));
    let button = button.clone();
    let copy = words.get(Label::Copy).to_string();
    let reset = Closure::once_into_js(move || button.set_text_content(Some(&copy)));
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            reset.unchecked_ref(),
            FEEDBACK_MS,
        );
    }
}

/// Replaces a remote image's placeholder with the image, on the visitor's click.
fn load_image(button: &Element) {
    let Some(placeholder) = button.closest(".lc-md-img-placeholder").ok().flatten() else {
        return;
    };
    let Some(url) = placeholder.get_attribute(Attr::DataSrc.name()) else {
        return;
    };
    // The renderer only stores http(s) URLs here; check again anyway.
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return;
    }
    let Some(document) = placeholder.owner_document() else {
        return;
    };
    let Ok(img) = document.create_element("img") else {
        return;
    };
    let alt = placeholder.get_attribute("title").unwrap_or_default();
    let _ = img.set_attribute("class", "lc-md-img");
    let _ = img.set_attribute("alt", &alt);
    let _ = img.set_attribute("referrerpolicy", "no-referrer");
    let _ = img.set_attribute("src", &url);
    let _ = placeholder.replace_with_with_node_1(&img);
}
