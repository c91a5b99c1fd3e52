//! Cancelling in-flight work: one `AbortController` per send, with the reason
//! kept (the visitor's Stop, a timeout, the widget going away), and sleeps
//! that end early when the send is cancelled.

use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Why a send was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortReason {
    /// The visitor pressed Stop (or the host called `stop()`).
    Stopped,
    /// The configured timeout passed.
    TimedOut,
    /// The conversation was reset or the widget destroyed.
    Discarded,
}

/// A cancellable send. Cloning shares the same controller.
#[derive(Clone)]
pub struct Abort {
    /// `None` off the browser (native tests): only the reason is kept.
    controller: Option<web_sys::AbortController>,
    reason: Rc<Cell<Option<AbortReason>>>,
    timer: Rc<Cell<Option<i32>>>,
}

impl Abort {
    pub fn new() -> Self {
        Self {
            controller: cfg!(target_arch = "wasm32")
                .then(|| web_sys::AbortController::new().expect("AbortController is available")),
            reason: Rc::new(Cell::new(None)),
            timer: Rc::new(Cell::new(None)),
        }
    }

    /// The signal to hand to `fetch`.
    pub fn signal(&self) -> web_sys::AbortSignal {
        self.controller
            .as_ref()
            .expect("signal() is only used in the browser")
            .signal()
    }

    /// Cancels, remembering the first reason given.
    pub fn abort(&self, reason: AbortReason) {
        if self.reason.get().is_none() {
            self.reason.set(Some(reason));
        }
        self.clear_timeout();
        if let Some(controller) = &self.controller {
            controller.abort();
        }
    }

    /// Whether two handles share one controller.
    pub fn same(&self, other: &Abort) -> bool {
        Rc::ptr_eq(&self.reason, &other.reason)
    }

    /// Why it was cancelled, if it was.
    pub fn reason(&self) -> Option<AbortReason> {
        self.reason.get()
    }

    /// Cancels with [`AbortReason::TimedOut`] after `ms`, unless cleared.
    pub fn set_timeout(&self, ms: u32) {
        self.clear_timeout();
        let this = self.clone();
        let callback = Closure::once_into_js(move || this.abort(AbortReason::TimedOut));
        if let Some(window) = web_sys::window() {
            if let Ok(id) = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                callback.unchecked_ref(),
                ms.min(i32::MAX as u32) as i32,
            ) {
                self.timer.set(Some(id));
            }
        }
    }

    /// Stops the timeout (the send is over).
    pub fn clear_timeout(&self) {
        if let Some(id) = self.timer.take() {
            if let Some(window) = web_sys::window() {
                window.clear_timeout_with_handle(id);
            }
        }
    }

    /// Waits `ms`, or less if cancelled meanwhile.
    pub async fn sleep(&self, ms: u64) {
        let signal = self.signal();
        if signal.aborted() {
            return;
        }
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                    &resolve,
                    ms.min(i32::MAX as u64) as i32,
                );
            }
            let _ = signal.add_event_listener_with_callback("abort", &resolve);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

impl Default for Abort {
    fn default() -> Self {
        Self::new()
    }
}
