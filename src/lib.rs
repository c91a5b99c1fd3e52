//! lyzr-chat: an embeddable chat widget for Lyzr agents, in Rust compiled to
//! WebAssembly.
//!
//! Layers, each depending only on the ones below it:
//! `embed` (the JavaScript face) -> `ui` (Leptos components) -> `state`
//! (conversation model, storage) -> `settings` (the options, plain data) ->
//! `client` (network I/O) -> `lyzr_chat_protocol` (pure wire types).

pub mod client;
mod console;
pub mod embed;
pub mod markdown;
pub mod settings;
mod spawn;
pub mod state;
pub mod ui;

pub use embed::{mount, ChatHandle};
pub(crate) use spawn::spawn;
