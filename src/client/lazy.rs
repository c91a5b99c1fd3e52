//! The send path as code fetched when the visitor starts writing. In
//! release builds for the browser (cfg `lyzr_split`) the request writer,
//! the chat and stream calls, the stream reader, the retries, the upload
//! and the stop call are cut out of the main wasm by wasm-split, into the
//! chunk the markdown renderer is in (src/markdown/lazy.rs holds its one
//! split point; README, "Size"). The rest of the widget reaches them only
//! through [`Api`]'s function pointers, handed out by the split function: a
//! direct call would pull their code back into the main wasm. A send made
//! before the chunk is there waits for it; one that cannot have it fails as
//! a network failure would (the message stays, with Retry).
//!
//! The chunk is the upper layer's to fetch: it installs the loader with
//! [`set_loader`] at mount. Elsewhere (tests, debug builds) the code is
//! simply there and [`load`] never waits.

use super::{Abort, ClientError, Endpoint, Progress, Reply, SendOptions};
use lyzr_chat_protocol::{ChatRequest, UploadReply};
use std::future::Future;
use std::pin::Pin;

/// A boxed future that stays on this thread.
pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// [`super::send_message`]'s signature.
pub type SendFn = for<'a> fn(
    &'a Endpoint,
    &'a ChatRequest,
    SendOptions,
    &'a Abort,
    &'a mut dyn FnMut(Progress),
) -> LocalFuture<'a, Result<Reply, ClientError>>;

/// [`super::upload_files`]'s signature.
pub type UploadFn = for<'a> fn(
    &'a Endpoint,
    &'a str,
    &'a [web_sys::File],
    &'a Abort,
    u32,
    Box<dyn Fn(Vec<f64>)>,
) -> LocalFuture<'a, Result<UploadReply, ClientError>>;

/// What the chunk provides of the client.
pub struct Api {
    /// [`super::send_message`].
    pub send: SendFn,
    /// [`super::stop_session`].
    pub stop: fn(Endpoint, String) -> LocalFuture<'static, ()>,
    /// [`super::upload_files`].
    pub upload: UploadFn,
}

/// The table; in split builds only the split function refers to it.
pub static API: Api = Api {
    send: |endpoint, request, options, abort, on| {
        Box::pin(super::send_message(endpoint, request, options, abort, on))
    },
    stop: |endpoint, session_id| {
        Box::pin(async move { super::stop_session(&endpoint, &session_id).await })
    },
    upload: |endpoint, agent_id, files, abort, timeout_ms, on_progress| {
        Box::pin(super::upload_files(
            endpoint,
            agent_id,
            files,
            abort,
            timeout_ms,
            on_progress,
        ))
    },
};

/// Fetches the chunk: `None` when it could not be loaded (the glue has
/// said why in the console).
pub type Loader = fn() -> LocalFuture<'static, Option<&'static Api>>;

/// The client's code (always there: not a split build).
#[cfg(not(lyzr_split))]
pub async fn load() -> Result<&'static Api, ClientError> {
    Ok(&API)
}

/// The client's code, once its chunk is there; a chunk that cannot be
/// loaded is a network failure of the send.
#[cfg(lyzr_split)]
pub async fn load() -> Result<&'static Api, ClientError> {
    let api = match LOADER.with(std::cell::Cell::get) {
        Some(load) => load().await,
        None => None,
    };
    api.ok_or_else(|| ClientError::Network {
        detail:
            "the widget's code for sending (lyzr-chat-widget_markdown.wasm) could not be loaded"
                .into(),
        offline: super::transport::browser_offline(),
    })
}

#[cfg(lyzr_split)]
thread_local! {
    static LOADER: std::cell::Cell<Option<Loader>> = const { std::cell::Cell::new(None) };
}

/// Says how the chunk is fetched (split builds; a no-op elsewhere).
pub fn set_loader(loader: Loader) {
    #[cfg(lyzr_split)]
    LOADER.with(|l| l.set(Some(loader)));
    #[cfg(not(lyzr_split))]
    let _ = loader;
}

/// Bytes from which a message's request is sent in a task of its own.
const LONG_MESSAGE: usize = 8_000;

/// [`super::send_message`], once the chunk is there.
pub async fn send_message(
    endpoint: &Endpoint,
    request: &ChatRequest,
    options: SendOptions,
    abort: &Abort,
    on: &mut dyn FnMut(Progress),
) -> Result<Reply, ClientError> {
    let api = load().await?;
    // A long message: the task of the visitor's Enter (their bubble drawn,
    // the conversation saved) ends here, and the request is written and
    // sent in the next one, so that neither is a long task on a slow
    // phone (a 10,000-word question: one task of 54-64 ms under 4x CPU
    // throttling, below 50 in two). A short one goes at once: the next
    // task would cost its reply about 20 ms.
    if request.message.len() > LONG_MESSAGE {
        abort.sleep(0).await;
    }
    (api.send)(endpoint, request, options, abort, on).await
}

/// [`super::stop_session`], once the chunk is there (best effort: nothing
/// when it cannot be loaded).
pub async fn stop_session(endpoint: Endpoint, session_id: String) {
    if let Ok(api) = load().await {
        (api.stop)(endpoint, session_id).await;
    }
}

/// [`super::upload_files`], once the chunk is there.
pub async fn upload_files(
    endpoint: &Endpoint,
    agent_id: &str,
    files: &[web_sys::File],
    abort: &Abort,
    timeout_ms: u32,
    on_progress: impl Fn(Vec<f64>) + 'static,
) -> Result<UploadReply, ClientError> {
    let api = load().await?;
    (api.upload)(
        endpoint,
        agent_id,
        files,
        abort,
        timeout_ms,
        Box::new(on_progress),
    )
    .await
}
