//! The agent-activity socket of one answer (`/v3/events/{session_id}` on the
//! local agent or a proxy; Lyzr's metrics host when talking to Lyzr itself).
//!
//! It is opened while the visitor writes the message, or else just before
//! it is sent (the send waits for it at most [`READY_MS`]); one that no send
//! claims closes after [`IDLE_MS`]. It reconnects with backoff while the answer is pending,
//! and closes [`GRACE_MS`] after the answer is complete. It never affects
//! the answer: a refused, dropped or malformed channel only loses steps, and
//! the site owner gets one console note per page.
//!
//! Frames are read by the protocol's [`ActivityEvent::from_json`].

use super::Endpoint;
use js_sys::Reflect;
use lyzr_chat_protocol::{events_path, ActivityEvent};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Longest wait for the socket before the message goes anyway, ms.
pub const READY_MS: i32 = 400;
/// How long the socket stays open after the answer is complete, ms (the
/// run's last events trail the answer).
pub const GRACE_MS: i32 = 1500;
/// An opened socket no send has claimed ([`ActivitySocket::ready`]) closes
/// after this, ms.
pub const IDLE_MS: i32 = 60_000;
/// Reconnects while the answer is pending, at most.
const MAX_RECONNECTS: u32 = 4;
/// First reconnect delay, ms; doubled each time.
const BACKOFF_MS: i32 = 250;

/// Lyzr's events host, used when `apiUrl` is Lyzr's API itself.
const LYZR_EVENTS: &str = "wss://metrics.studio.lyzr.ai/ws/";

thread_local! {
    /// The console note about the channel was written (once per page).
    static NOTED: Cell<bool> = const { Cell::new(false) };
}

fn note_once(problem: &str) {
    if !NOTED.with(|n| n.replace(true)) {
        crate::console::warn(&format!(
            "the agent-activity socket {problem}; answers are not affected (option `activity`)"
        ));
    }
}

/// The socket URL for `session_id` at `endpoint`: `ws(s)://` + the API
/// base + `/v3/events/{session_id}`, the key (a proxy's widget key, or the
/// local agent's) as `?x-api-key=` since a browser cannot set headers on a
/// WebSocket. Lyzr's own API base maps to Lyzr's events host.
pub fn events_url(endpoint: &Endpoint, session_id: &str) -> Option<String> {
    let base = endpoint.base_url.trim_end_matches('/');
    let lower = base.to_ascii_lowercase();
    let mut url = if lower.contains(".lyzr.ai") {
        format!("{LYZR_EVENTS}{session_id}")
    } else {
        let absolute = if lower.starts_with("http://") || lower.starts_with("https://") {
            base.to_string()
        } else {
            // Same origin (empty or a path): the page's own origin.
            let origin = web_sys::window()?.location().origin().ok()?;
            format!("{origin}{base}")
        };
        format!("ws{}{}", &absolute[4..], events_path(session_id))
    };
    if let Some(key) = &endpoint.api_key {
        url.push_str("?x-api-key=");
        url.push_str(&String::from(js_sys::encode_uri_component(key)));
    }
    Some(url)
}

type Handler = Closure<dyn FnMut(JsValue)>;

/// A socket handler that reaches the channel while it exists.
fn handler(weak: &Weak<Inner>, act: fn(&Rc<Inner>, JsValue)) -> Handler {
    let weak = weak.clone();
    Closure::new(move |e: JsValue| {
        if let Some(inner) = weak.upgrade() {
            act(&inner, e);
        }
    })
}

struct Inner {
    url: String,
    on: Box<dyn Fn(ActivityEvent)>,
    socket: RefCell<Option<web_sys::WebSocket>>,
    /// The current socket's handlers (kept alive as long as it is).
    handlers: RefCell<Vec<Handler>>,
    /// The answer is still coming: a lost socket is opened again.
    pending: Cell<bool>,
    closed: Cell<bool>,
    reconnects: Cell<u32>,
    /// A send waits on it (so the idle limit no longer applies).
    claimed: Cell<bool>,
    /// Resolves [`ActivitySocket::ready`].
    ready: RefCell<Option<js_sys::Function>>,
}

impl Inner {
    fn connect(self: &Rc<Self>) {
        let Ok(socket) = web_sys::WebSocket::new(&self.url) else {
            note_once("failed");
            self.resolve_ready();
            return;
        };
        let weak = Rc::downgrade(self);
        let on_open = handler(&weak, |inner, _| {
            inner.reconnects.set(0);
            inner.resolve_ready();
        });
        let on_message = handler(&weak, |inner, e| {
            let data = Reflect::get(&e, &"data".into()).unwrap_or_default();
            // The protocol's reader (tested natively), as for every other reply.
            match data
                .as_string()
                .as_deref()
                .and_then(ActivityEvent::from_json)
            {
                Some(event) => (inner.on)(event),
                None => note_once("sent a frame that is not a JSON event"),
            }
        });
        let on_close = handler(&weak, |inner, _| inner.lost());
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // `error` is always followed by `close`: one handler is enough.
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        self.drop_socket();
        *self.socket.borrow_mut() = Some(socket);
        *self.handlers.borrow_mut() = vec![on_open, on_message, on_close];
    }

    /// The socket closed or failed: again after a pause while the answer
    /// is pending.
    fn lost(self: &Rc<Self>) {
        self.resolve_ready();
        if self.closed.get() || !self.pending.get() {
            return;
        }
        let n = self.reconnects.get();
        note_once("failed; reconnecting while the answer is pending");
        if n >= MAX_RECONNECTS {
            return;
        }
        self.reconnects.set(n + 1);
        let this = self.clone();
        after(
            BACKOFF_MS << n,
            Box::new(move || {
                if !this.closed.get() && this.pending.get() {
                    this.connect();
                }
            }),
        );
    }

    fn resolve_ready(&self) {
        if let Some(resolve) = self.ready.borrow_mut().take() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    }

    fn drop_socket(&self) {
        if let Some(socket) = self.socket.borrow_mut().take() {
            socket.set_onopen(None);
            socket.set_onmessage(None);
            socket.set_onclose(None);
            let _ = socket.close();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The handlers go with this: the socket must not call them after.
        self.drop_socket();
    }
}

/// Runs `then` in `ms` (one closure type for every caller: fewer bytes).
fn after(ms: i32, then: Box<dyn FnOnce()>) {
    let callback = Closure::once_into_js(then);
    set_timeout(callback.unchecked_ref(), ms);
}

fn set_timeout(callback: &js_sys::Function, ms: i32) {
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(callback, ms);
    }
}

/// One answer's activity channel. Dropping the handle does not close it
/// while the grace period of [`finish`](Self::finish) runs.
pub struct ActivitySocket {
    inner: Rc<Inner>,
}

impl ActivitySocket {
    /// Opens the socket; each event read goes to `on`.
    pub fn open(url: String, on: Box<dyn Fn(ActivityEvent)>) -> Self {
        let inner = Rc::new(Inner {
            url,
            on,
            socket: RefCell::new(None),
            handlers: RefCell::new(Vec::new()),
            pending: Cell::new(true),
            closed: Cell::new(false),
            reconnects: Cell::new(0),
            claimed: Cell::new(false),
            ready: RefCell::new(None),
        });
        inner.connect();
        let weak = Rc::downgrade(&inner);
        after(
            IDLE_MS,
            Box::new(move || {
                if let Some(inner) = weak.upgrade().filter(|i| !i.claimed.get()) {
                    inner.pending.set(false);
                    inner.closed.set(true);
                    inner.drop_socket();
                }
            }),
        );
        Self { inner }
    }

    /// Resolves once the socket is open or failed, or after [`READY_MS`].
    pub fn ready(&self) -> impl std::future::Future<Output = ()> + 'static {
        let inner = self.inner.clone();
        inner.claimed.set(true);
        async move {
            let connecting = inner
                .socket
                .borrow()
                .as_ref()
                .is_some_and(|s| s.ready_state() == web_sys::WebSocket::CONNECTING);
            if !connecting {
                return;
            }
            let promise = js_sys::Promise::new(&mut |resolve, _| {
                set_timeout(&resolve, READY_MS);
                *inner.ready.borrow_mut() = Some(resolve);
            });
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            inner.ready.borrow_mut().take();
        }
    }

    /// The answer is over: no more reconnects, and the socket closes after
    /// [`GRACE_MS`] (the run's last events may trail it).
    pub fn finish(&self) {
        self.inner.pending.set(false);
        let inner = self.inner.clone();
        after(
            GRACE_MS,
            Box::new(move || {
                inner.closed.set(true);
                inner.drop_socket();
            }),
        );
    }

    /// Open or still connecting (not closed, idle or given up).
    pub fn live(&self) -> bool {
        !self.inner.closed.get()
            && self.inner.socket.borrow().as_ref().is_some_and(|s| {
                let state = s.ready_state();
                state == web_sys::WebSocket::CONNECTING || state == web_sys::WebSocket::OPEN
            })
    }

    /// Closes now (the answer was discarded).
    pub fn close(&self) {
        self.inner.pending.set(false);
        self.inner.closed.set(true);
        self.inner.drop_socket();
    }
}
