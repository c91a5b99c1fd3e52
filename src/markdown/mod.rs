//! Agent replies as rich, safe content: markdown parsed into a sanitized,
//! allowlisted tree ([`render`], pure) and built into DOM nodes ([`dom`]),
//! never through HTML strings.
//!
//! ```text
//! view! { <Markdown text=Signal::stored(reply)/> }
//! ```

pub mod dom;
pub mod lazy;
mod policy;
mod render;
mod tree;

pub use policy::{
    host_matches, normalise, ImageSource, RenderPolicy, DEFAULT_LINK_SCHEMES, FORBIDDEN_SCHEMES,
};
pub use render::{render, Patch, Renderer, MAX_DEPTH, MAX_MARKDOWN_BYTES, MAX_NODES};
pub use tree::{Attr, Element, Node, Tag, ALLOWED_ATTRS, ALLOWED_TAGS};

use leptos::prelude::*;

/// A reply rendered from markdown. `text` may grow (streaming): each change
/// rebuilds only the trailing block. Links and images follow the
/// [`RenderPolicy`] provided as context (the defaults when none is); its
/// buttons and notes say the `Words` provided (English when none).
///
/// In split builds ([`lazy`]) the renderer is fetched when the first text
/// that needs it arrives: a text that is [`plain`] is drawn as the paragraph
/// the renderer would make of it, and any other shows as plain text until
/// the renderer is there.
#[component]
pub fn Markdown(#[prop(into)] text: Signal<String>) -> impl IntoView {
    let policy = use_context::<RenderPolicy>().unwrap_or_default();
    let words = use_context::<crate::ui::i18n::Words>().unwrap_or_default();
    let click_words = words.clone();
    let root: NodeRef<leptos::html::Div> = NodeRef::new();
    let api = RwSignal::new(lazy::loaded());
    let mut requested = false;
    let renderer = StoredValue::new_local(None::<lazy::Render>);
    crate::ui::effect(move || {
        let text = text.get();
        let Some(el) = root.get() else {
            return;
        };
        let Some(api) = api.get() else {
            // Never as markup: a text node, in a paragraph when plain.
            el.set_text_content(None);
            if text.is_empty() {
                return;
            }
            let paragraph = plain(&text)
                .then(|| el.owner_document()?.create_element("p").ok())
                .flatten();
            let node: &web_sys::Element = paragraph.as_ref().unwrap_or(&el);
            node.set_text_content(Some(&text));
            if let Some(p) = &paragraph {
                let _ = el.append_child(p);
            } else if !std::mem::replace(&mut requested, true) {
                crate::spawn::spawn(async move {
                    if let Some(loaded) = lazy::load().await {
                        api.try_set(Some(loaded));
                    }
                });
            }
            return;
        };
        renderer.update_value(|slot| {
            slot.get_or_insert_with(|| {
                el.set_text_content(None);
                (api.renderer)(el.into(), policy.clone(), words.clone())
            })(&text);
        });
    });
    let click = move |ev: leptos::ev::MouseEvent| {
        if let Some(api) = api.get_untracked() {
            (api.on_click)(&ev, &click_words);
        }
    };
    view! { <div class="lc-md" node_ref=root on:click=click></div> }
}

/// Whether the renderer would make of `text` one paragraph holding `text`
/// as it is: a short line starting with a letter (or any character beyond
/// ASCII), without spaces at its ends and without any character markdown
/// gives a meaning to (`Hi! I'm your assistant.` is plain). Such a text
/// needs no renderer.
pub fn plain(text: &str) -> bool {
    const MARKUP: &str = "\\`*_[]<>&~|#";
    text.len() <= 2000
        && text.starts_with(|c: char| c.is_ascii_alphabetic() || !c.is_ascii())
        && !text.ends_with(char::is_whitespace)
        && !text.chars().any(|c| c.is_control() || MARKUP.contains(c))
}

// Native only: `cargo test -p lyzr-chat --lib` (the browser tests are in tests/).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use std::path::Path;

    /// Ways to turn a string into markup. Split so this file does not match itself.
    fn forbidden() -> Vec<String> {
        [
            ("inner", "_html"),
            ("inner", "HTML"),
            ("outer", "_html"),
            ("outer", "HTML"),
            ("insert_adjacent", "_html"),
            ("insertAdjacent", "HTML"),
            ("DOM", "Parser"),
            ("Dom", "Parser"),
            ("document", ".write"),
            ("create_contextual", "_fragment"),
            ("createContextual", "Fragment"),
            ("src", "doc"),
            ("set_html", "_unsafe"),
            ("setHTML", "Unsafe"),
            ("parse_html", "_unsafe"),
        ]
        .iter()
        .map(|(a, b)| format!("{a}{b}"))
        .collect()
    }

    fn scan(dir: &Path, hits: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read src/") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                scan(&path, hits);
            } else {
                let text = std::fs::read_to_string(&path).expect("read source file");
                for word in forbidden() {
                    if text.contains(&word) {
                        hits.push(format!("{} uses {word}", path.display()));
                    }
                }
            }
        }
    }

    #[test]
    fn the_crate_never_parses_html_strings() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut hits = Vec::new();
        scan(&root.join("src"), &mut hits);
        scan(&root.join("style"), &mut hits);
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        for word in forbidden() {
            if manifest.contains(&format!("\"{word}\"")) {
                hits.push(format!("Cargo.toml enables web-sys feature {word}"));
            }
        }
        assert!(hits.is_empty(), "{hits:#?}");
    }

    /// What the renderer makes of a text [`super::plain`] calls plain.
    fn rendered_as_one_paragraph(text: &str) -> bool {
        use super::{render, Node, RenderPolicy, Tag};
        match render(text, &RenderPolicy::default()).as_slice() {
            [Node::Element(p)] => {
                p.tag == Tag::P
                    && p.attrs.is_empty()
                    && matches!(p.children.as_slice(), [Node::Text(t)] if t == text)
            }
            _ => false,
        }
    }

    #[test]
    fn a_plain_text_is_what_the_renderer_makes_one_paragraph_of() {
        for text in [
            "Hi! I'm the local demo agent. Ask me anything and I'll tell you what I received.",
            "Bonjour, comment puis-je vous aider ?",
            "Ärger? Schreib uns: 1 + 1 = 2, (a) - (b).",
            "مرحبا، كيف يمكنني مساعدتك؟",
            "Привет!",
        ] {
            assert!(super::plain(text), "{text}");
            assert!(rendered_as_one_paragraph(text), "{text}");
        }
        for text in [
            "",
            "**Hi**",
            "Hi *there*",
            "# Title",
            "- item",
            "1. item",
            "> quote",
            "a\nb",
            "Hi  ",
            " Hi",
            "`code`",
            "a_b_",
            "[x](y)",
            "<b>",
            "&amp;",
            "~~x~~",
            "a | b",
            "\\*",
        ] {
            assert!(!super::plain(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_plain_text_renders_as_one_paragraph_of_itself(
            text in "[a-zA-Z\\u{a0}-\\u{17f}\\u{2000}-\\u{206f}\\u{3000}-\\u{3003}][ -~\\u{a0}-\\u{17f}\\u{2000}-\\u{206f}\\u{3000}]{0,60}"
        ) {
            if super::plain(&text) {
                proptest::prop_assert!(rendered_as_one_paragraph(&text), "{:?}", text);
            }
        }
    }

    #[test]
    fn the_scan_sees_a_planted_use() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/html-scan-probe");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("probe.rs"),
            format!("el.set_{}(x)", forbidden()[0]),
        )
        .unwrap();
        let mut hits = Vec::new();
        scan(&dir, &mut hits);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(hits.len(), 1, "{hits:?}");
    }
}
