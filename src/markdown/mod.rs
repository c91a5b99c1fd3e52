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
/// buttons and notes say the `Words` provided (English when none). Until the
/// renderer's chunk has arrived ([`lazy`]) the reply shows as plain text.
#[component]
pub fn Markdown(#[prop(into)] text: Signal<String>) -> impl IntoView {
    let policy = use_context::<RenderPolicy>().unwrap_or_default();
    let words = use_context::<crate::ui::i18n::Words>().unwrap_or_default();
    let click_words = words.clone();
    let root: NodeRef<leptos::html::Div> = NodeRef::new();
    let api = RwSignal::new(lazy::loaded());
    if api.get_untracked().is_none() {
        crate::spawn::spawn(async move {
            if let Some(loaded) = lazy::load().await {
                api.try_set(Some(loaded));
            }
        });
    }
    let renderer = StoredValue::new_local(None::<Box<dyn FnMut(&str)>>);
    crate::ui::effect(move || {
        let text = text.get();
        let Some(el) = root.get() else {
            return;
        };
        let Some(api) = api.get() else {
            // The text as it is, never as markup.
            el.set_text_content(Some(&text));
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
