//! Uploading attachments: `POST /v3/assets/upload`, multipart with one
//! `files` field per file, through XMLHttpRequest because `fetch` reports no
//! upload progress. Cancellable with the send's [`Abort`].

use super::{Abort, AbortReason, ClientError, Endpoint};
use lyzr_chat_protocol::{
    parse_retry_after, upload_path, ApiError, UploadReply, API_KEY_HEADER, UPLOAD_FIELD,
};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// How far each file has gone, 0.0 to 1.0, from the bytes the browser has
/// sent of the whole multipart body (`loaded` of `total`). The parts go in
/// order, so the bytes sent map onto the files one after the other; the
/// small multipart headers are spread in proportion.
pub fn file_progress(loaded: f64, total: f64, sizes: &[f64]) -> Vec<f64> {
    let payload: f64 = sizes.iter().sum();
    let sent = if total > 0.0 {
        (loaded / total).clamp(0.0, 1.0) * payload
    } else {
        0.0
    };
    let mut before = 0.0;
    sizes
        .iter()
        .map(|&size| {
            let done = if size > 0.0 {
                ((sent - before) / size).clamp(0.0, 1.0)
            } else if sent >= before {
                1.0
            } else {
                0.0
            };
            before += size;
            done
        })
        .collect()
}

/// Uploads `files` in one request. `on_progress` gets each file's share
/// sent (see [`file_progress`]) as the browser reports it. The reply lists
/// an outcome per file; a non-2xx status is [`ClientError::Api`].
pub async fn upload_files(
    endpoint: &Endpoint,
    agent_id: &str,
    files: &[web_sys::File],
    abort: &Abort,
    timeout_ms: u32,
    on_progress: Box<dyn Fn(Vec<f64>)>,
) -> Result<UploadReply, ClientError> {
    let build = |e: JsValue| ClientError::BadReply(format!("could not build the upload: {e:?}"));
    let xhr = web_sys::XmlHttpRequest::new().map_err(build)?;
    xhr.open_with_async("POST", &endpoint.url(&upload_path(agent_id)), true)
        .map_err(build)?;
    if let Some(key) = &endpoint.api_key {
        xhr.set_request_header(API_KEY_HEADER, key).map_err(build)?;
    }
    xhr.set_timeout(timeout_ms);
    let form = web_sys::FormData::new().map_err(build)?;
    for file in files {
        form.append_with_blob_and_filename(UPLOAD_FIELD, file, &file.name())
            .map_err(build)?;
    }

    let sizes: Vec<f64> = files.iter().map(|f| f.size()).collect();
    let on_upload_progress =
        Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |event: web_sys::ProgressEvent| {
            if event.length_computable() {
                on_progress(file_progress(event.loaded(), event.total(), &sizes));
            }
        });
    let upload = xhr.upload().map_err(build)?;
    upload.set_onprogress(Some(on_upload_progress.as_ref().unchecked_ref()));

    // How the request ended: "load", "error", "timeout" or "abort".
    let ended: Rc<RefCell<Option<&'static str>>> = Rc::new(RefCell::new(None));
    let mut handlers = Vec::new();
    let done = js_sys::Promise::new(&mut |resolve, _| {
        for kind in ["load", "error", "timeout", "abort"] {
            let ended = ended.clone();
            let resolve = resolve.clone();
            let handler = Closure::<dyn Fn()>::new(move || {
                ended.borrow_mut().get_or_insert(kind);
                let _ = resolve.call0(&JsValue::NULL);
            });
            let _ = xhr.add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref());
            handlers.push(handler);
        }
    });
    let signal = abort.signal();
    let cancel = {
        let xhr = xhr.clone();
        Closure::<dyn Fn()>::new(move || {
            let _ = xhr.abort();
        })
    };
    let _ = signal.add_event_listener_with_callback("abort", cancel.as_ref().unchecked_ref());
    let result = if signal.aborted() {
        Err(ClientError::Aborted(
            abort.reason().unwrap_or(AbortReason::Discarded),
        ))
    } else {
        xhr.send_with_opt_form_data(Some(&form)).map_err(build)?;
        let _ = wasm_bindgen_futures::JsFuture::from(done).await;
        let kind = ended.borrow().unwrap_or("error");
        finish(&xhr, kind, abort, timeout_ms)
    };
    let _ = signal.remove_event_listener_with_callback("abort", cancel.as_ref().unchecked_ref());
    upload.set_onprogress(None);
    drop(handlers);
    result
}

fn finish(
    xhr: &web_sys::XmlHttpRequest,
    kind: &str,
    abort: &Abort,
    timeout_ms: u32,
) -> Result<UploadReply, ClientError> {
    match kind {
        "load" => {}
        "timeout" => {
            return Err(ClientError::Timeout {
                after_ms: timeout_ms,
            })
        }
        "abort" => {
            return Err(ClientError::Aborted(
                abort.reason().unwrap_or(AbortReason::Discarded),
            ))
        }
        _ => {
            return Err(match abort.reason() {
                Some(reason) => ClientError::Aborted(reason),
                None => ClientError::Network {
                    detail: "the upload request failed (no response)".into(),
                    offline: web_sys::window().is_some_and(|w| !w.navigator().on_line()),
                },
            })
        }
    }
    let status = xhr.status().unwrap_or(0);
    let text = xhr.response_text().ok().flatten().unwrap_or_default();
    if !(200..300).contains(&status) {
        let retry_after = xhr
            .get_response_header("retry-after")
            .ok()
            .flatten()
            .and_then(|v| parse_retry_after(&v, (js_sys::Date::now() / 1000.0) as u64));
        return Err(ClientError::Api(
            ApiError::from_response(status, &text).with_retry_after(retry_after),
        ));
    }
    UploadReply::parse(&text).map_err(ClientError::BadReply)
}

#[cfg(test)]
mod tests {
    use super::file_progress;

    #[test]
    fn bytes_sent_map_onto_the_files_in_order() {
        let sizes = [100.0, 300.0];
        // The body is 500 bytes: 400 of files, 100 of multipart headers.
        assert_eq!(file_progress(0.0, 500.0, &sizes), vec![0.0, 0.0]);
        assert_eq!(file_progress(62.5, 500.0, &sizes), vec![0.5, 0.0]);
        assert_eq!(file_progress(250.0, 500.0, &sizes), vec![1.0, 1.0 / 3.0]);
        assert_eq!(file_progress(500.0, 500.0, &sizes), vec![1.0, 1.0]);
        assert_eq!(file_progress(10.0, 0.0, &sizes), vec![0.0, 0.0]);
    }
}
