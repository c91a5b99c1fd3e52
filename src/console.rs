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

// TEMP-DEBUG
pub(crate) fn mark(label: &str) {
    use wasm_bindgen::JsCast;
    let perf = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).unwrap();
    let f: js_sys::Function = js_sys::Reflect::get(&perf, &"mark".into()).unwrap().unchecked_into();
    let _ = f.call1(&perf, &label.into());
}
