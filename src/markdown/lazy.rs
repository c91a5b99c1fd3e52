//! The renderer, and the send path, as a wasm chunk of their own. In
//! release builds for the browser (cfg `lyzr_split`, set by build.rs)
//! pulldown-cmark, the tree builder and the DOM layer, and the client's
//! send path (`client::lazy`: requests, the chat and stream calls,
//! retries, uploads, the stop call) are cut out of the main wasm by
//! wasm-split (scripts/post-build.sh) and fetched, with their sha384
//! checked by the loader, when the visitor starts writing ([`prefetch`]),
//! a message is sent or a reply needs them: a visitor who never writes
//! never downloads them. This module holds the one split point (the chunk
//! keeps its name, `lyzr-chat-widget_markdown.wasm`); the client gets its
//! table through the loader [`install`] gives it. The rest of the widget
//! reaches the chunk's code only through the function pointers the split
//! function hands out ([`Api`], `client::lazy::Api`): a direct call would
//! pull their code back into the main wasm. Elsewhere (tests, debug builds)
//! the renderer is simply there: [`loaded`] is never `None`.

use super::policy::RenderPolicy;
use crate::ui::i18n::Words;
use web_sys::{Element, Event};

/// A renderer owning its element: each call shows the reply's text so far.
pub type Render = Box<dyn FnMut(&str)>;

/// What the chunk provides.
pub struct Api {
    /// A renderer owning `root`.
    pub renderer: fn(Element, RenderPolicy, Words) -> Render,
    /// The delegated click handler of a rendered reply (Copy, Load image).
    pub on_click: fn(&Event, &Words),
    /// An answer's words as a screen reader should hear them.
    pub spoken: fn(&str, &RenderPolicy) -> String,
}

/// What the chunk holds: the renderer's table and the client's.
pub struct Chunk {
    pub markdown: Api,
    pub client: &'static crate::client::lazy::Api,
}

static CHUNK: Chunk = Chunk {
    markdown: API,
    client: &crate::client::lazy::API,
};

const API: Api = Api {
    renderer: |root, policy, words| {
        let mut renderer = super::dom::DomRenderer::with_words(root, policy, words);
        Box::new(move |text| renderer.update(text))
    },
    on_click: super::dom::on_click,
    spoken: crate::ui::announce::spoken,
};

/// The renderer when it is there (always, but in split builds before its
/// chunk has arrived).
#[cfg(not(lyzr_split))]
pub fn loaded() -> Option<&'static Api> {
    Some(&CHUNK.markdown)
}

/// Fetches the renderer's chunk (once; a failed fetch is tried again on the
/// next call) and returns the renderer, or `None` when the chunk could not
/// be loaded (the loader has said why in the console).
#[cfg(not(lyzr_split))]
pub async fn load() -> Option<&'static Api> {
    Some(&CHUNK.markdown)
}

/// Gives the client the chunk's loader (at mount; split builds only: the
/// client's code is there otherwise).
pub fn install() {
    #[cfg(lyzr_split)]
    crate::client::lazy::set_loader(|| {
        Box::pin(async { split::chunk_loaded().await.map(|c| c.client) })
    });
}

/// Starts fetching the renderer's chunk, once, without waiting for it: the
/// composer calls it when the visitor starts writing, so the chunk arrives
/// while they write and wait, not after the reply.
pub fn prefetch() {
    #[cfg(lyzr_split)]
    if loaded().is_none() && !split::REQUESTED.with(|r| r.replace(true)) {
        crate::spawn::spawn(async {
            if load().await.is_none() {
                split::REQUESTED.with(|r| r.set(false));
            }
        });
    }
}

#[cfg(lyzr_split)]
pub use split::{load, loaded};

#[cfg(lyzr_split)]
mod split {
    use super::{Api, Chunk, CHUNK};
    use leptos::wasm_split::SplitLoaderError;
    use std::cell::Cell;

    thread_local! {
        static LOADED: Cell<Option<&'static Chunk>> = const { Cell::new(None) };
        pub static REQUESTED: Cell<bool> = const { Cell::new(false) };
    }

    pub fn loaded() -> Option<&'static Api> {
        LOADED.with(Cell::get).map(|c| &c.markdown)
    }

    pub async fn load() -> Option<&'static Api> {
        chunk_loaded().await.map(|c| &c.markdown)
    }

    /// The chunk, fetched if it is not there yet.
    pub async fn chunk_loaded() -> Option<&'static Chunk> {
        if let Some(chunk) = LOADED.with(Cell::get) {
            return Some(chunk);
        }
        let chunk = chunk().await.ok()?;
        LOADED.with(|l| l.set(Some(chunk)));
        Some(chunk)
    }

    /// The split point: this function and all that only it reaches go to
    /// the chunk `markdown`.
    #[leptos::wasm_split::wasm_split(markdown, wasm_split_path = ::leptos::wasm_split, fallible)]
    fn chunk() -> Result<&'static Chunk, SplitLoaderError> {
        Ok(&CHUNK)
    }
}
