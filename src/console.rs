//! Messages for the site owner in the browser console, all prefixed `lyzr-chat:`.

pub(crate) fn error(message: &str) {
    web_sys::console::error_1(&format!("lyzr-chat: {message}").into());
}

pub(crate) fn warn(message: &str) {
    web_sys::console::warn_1(&format!("lyzr-chat: {message}").into());
}
