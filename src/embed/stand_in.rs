//! The loader's stand-in panel (`drawStandIn` in `js/lyzr-chat.js`): drawn
//! when the panel opens before the wasm is up, with a working composer, so
//! the visitor writes at once. What they sent there reaches the widget
//! through the loader's queue; what they are still writing, where their
//! caret is and whether the composer has the focus are taken over here,
//! in the frame after the widget's own composer is built (a composer that
//! starts open does not take the focus itself). Until then the
//! widget is built hidden, and the loader's launcher and panel stay.

use crate::state::ChatState;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// What the loader drew, when it drew the stand-in panel.
pub struct StandIn {
    /// The loader's root (`.lc-loader`): its launcher and the panel.
    root: web_sys::Element,
    panel: web_sys::HtmlElement,
    input: web_sys::HtmlTextAreaElement,
}

impl StandIn {
    /// The stand-in panel in `shadow`, if the loader drew one.
    pub fn find(shadow: &web_sys::ShadowRoot) -> Option<StandIn> {
        let find = |css| shadow.query_selector(css).ok().flatten();
        Some(StandIn {
            root: find(".lc-loader")?,
            panel: find(".lc-loader .lc-stand")?.unchecked_into(),
            input: find(".lc-loader .lc-stand textarea")?.unchecked_into(),
        })
    }

    /// Whether the visitor has it open.
    pub fn open(&self) -> bool {
        !self.panel.hidden()
    }

    /// Whether `node` is the loader's root (its launcher and the panel).
    pub fn is(&self, node: &web_sys::Node) -> bool {
        self.root.is_same_node(Some(node))
    }

    /// Shows the widget (built hidden under `.lc-wait` meanwhile), moves
    /// the visitor's text into `state` (and, when the widget's composer is
    /// in `shadow`, the caret and the focus to it), then removes the
    /// stand-in, the loader's launcher and the loader's stylesheet. During
    /// an IME composition it waits for the composition's end: the text is
    /// not final before.
    pub fn hand_over(&self, shadow: web_sys::ShadowRoot, state: ChatState) {
        if !self.root.is_connected() {
            return; // handed over already: its text is no longer the draft
        }
        if self.input.has_attribute("data-composing") {
            let input = self.input.clone();
            let again = Closure::once_into_js(move || {
                if let Some(stand_in) = StandIn::find(&shadow) {
                    stand_in.hand_over(shadow, state);
                }
            });
            let _ = input.add_event_listener_with_callback("compositionend", again.unchecked_ref());
            return;
        }
        if let Ok(Some(mount)) = shadow.query_selector(".lc-wait") {
            mount.set_class_name("lc-mount");
        }
        let text = self.input.value();
        let focused = shadow.active_element().as_ref() == Some(self.input.unchecked_ref());
        let caret = (
            self.input.selection_start().ok().flatten(),
            self.input.selection_end().ok().flatten(),
        );
        if !text.is_empty() {
            // A draft saved by an earlier page is replaced: the visitor did
            // not see it, and wrote this.
            state.set_draft(text.clone());
            crate::markdown::lazy::prefetch();
        }
        if let Ok(Some(composer)) = shadow.query_selector(".lc-root .lc-input") {
            let composer: web_sys::HtmlTextAreaElement = composer.unchecked_into();
            if !text.is_empty() {
                composer.set_value(&text);
            }
            if focused && self.open() {
                let _ = composer.focus();
                if let (Some(start), Some(end)) = caret {
                    let _ = composer.set_selection_range(start, end);
                }
            }
        }
        // The loader's launcher had the focus (the stand-in closed): the
        // widget's launcher takes it.
        let active = shadow.active_element();
        if active.is_some_and(|a| self.root.contains(Some(&a)) && a.class_name() == "lc-launcher") {
            if let Ok(Some(launcher)) = shadow.query_selector(".lc-root .lc-launcher") {
                let _ = launcher.unchecked_into::<web_sys::HtmlElement>().focus();
            }
        }
        self.root.remove();
        // The widget's two sheets stay (`styles::Styles::adopt`).
        let sheets = js_sys::Array::from(&shadow.adopted_style_sheets());
        if sheets.length() > 2 {
            shadow.set_adopted_style_sheets(&sheets.slice(0, 2));
        }
    }
}
