//! Messages for the site owner in the browser console, all prefixed `lyzr-chat:`.
//! Off the browser (native tests) they go to stderr.

pub(crate) fn error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    web_sys::console::error_1(&format!("lyzr-chat: {message}").into());
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("lyzr-chat: error: {message}");
}

pub(crate) fn warn(message: &str) {
    #[cfg(target_arch = "wasm32")]
    web_sys::console::warn_1(&format!("lyzr-chat: {message}").into());
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("lyzr-chat: warning: {message}");
}
