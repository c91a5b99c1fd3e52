//! One HTTP attempt: the chat call, or the stream call read chunk by chunk
//! from the response body's ReadableStream.

use super::{Abort, ClientError, Endpoint, Progress, Reply};
use js_sys::{Object, Reflect, Uint8Array};
use lyzr_chat_protocol::{
    history_path, parse_retry_after, sniff_body, stop_path, ApiError, BodyKind, ChatResponse,
    StreamDecoder, StreamEvent, API_KEY_HEADER, CHAT_PATH, STREAM_PATH,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

/// `fetch` of an API path, with `x-api-key` when the endpoint has one and a
/// JSON body when given. (`fetch` itself, not a wrapper crate: one less
/// error type, and its formatting code, in the wasm.)
async fn fetch(
    endpoint: &Endpoint,
    method: &str,
    path: &str,
    body: Option<&str>,
    abort: Option<&Abort>,
) -> Result<Response, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = Object::new();
    if let Some(key) = &endpoint.api_key {
        Reflect::set(&headers, &API_KEY_HEADER.into(), &key.into())?;
    }
    if let Some(body) = body {
        Reflect::set(&headers, &"content-type".into(), &"application/json".into())?;
        init.set_body(&body.into());
    }
    init.set_headers(&headers);
    if let Some(abort) = abort {
        init.set_signal(Some(&abort.signal()));
    }
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let response =
        JsFuture::from(window.fetch_with_str_and_init(&endpoint.url(path), &init)).await?;
    Ok(response.unchecked_into())
}

/// A response's whole body as text.
async fn text(response: &Response) -> Result<String, JsValue> {
    let text = JsFuture::from(response.text()?).await?;
    Ok(text.as_string().unwrap_or_default())
}

/// What a failed `fetch` or read says: `TypeError: Failed to fetch`.
fn js_error(e: &JsValue) -> String {
    if let Some(text) = e.as_string() {
        return text;
    }
    let field = |name: &str| {
        Reflect::get(e, &name.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    match (field("name"), field("message")) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        (None, Some(message)) => message,
        _ => "unknown error".to_string(),
    }
}

pub(super) fn browser_offline() -> bool {
    web_sys::window().is_some_and(|w| !w.navigator().on_line())
}

/// POSTs `body`; a non-2xx answer becomes [`ClientError::Api`].
async fn post(
    endpoint: &Endpoint,
    path: &str,
    body: &str,
    abort: &Abort,
) -> Result<Response, ClientError> {
    let response = match fetch(endpoint, "POST", path, Some(body), Some(abort)).await {
        Ok(response) => response,
        Err(e) => {
            return Err(match abort.reason() {
                Some(reason) => ClientError::Aborted(reason),
                None => ClientError::Network {
                    detail: js_error(&e),
                    offline: browser_offline(),
                },
            })
        }
    };
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|v| parse_retry_after(&v, (js_sys::Date::now() / 1000.0) as u64));
    let text = text(&response).await.unwrap_or_default();
    Err(ClientError::Api(
        ApiError::from_response(status, &text).with_retry_after(retry_after),
    ))
}

/// Reads a whole body as text, mapping a broken connection.
async fn read_text(response: &Response, abort: &Abort) -> Result<String, ClientError> {
    text(response).await.map_err(|e| match abort.reason() {
        Some(reason) => ClientError::Aborted(reason),
        None => ClientError::Dropped(js_error(&e)),
    })
}

fn chat_reply(status: u16, text: &str, on: &mut dyn FnMut(Progress)) -> Result<Reply, ClientError> {
    let reply = ChatResponse::parse(text).map_err(|e| {
        ClientError::BadReply(format!(
            "HTTP {status} body is not the documented JSON: {e}"
        ))
    })?;
    let answer = reply
        .text()
        .ok_or_else(|| ClientError::BadReply(format!("HTTP {status} body has no `response`")))?;
    on(Progress::Text(answer.to_string()));
    Ok(Reply {
        artifacts: reply.artifacts(),
        message_id: reply.message_id,
        metadata: reply.metadata.map(|v| v.to_json()),
        tool_calls: reply.tool_calls.map(|v| v.to_json()),
    })
}

/// `POST /v3/inference/chat/`.
pub(super) async fn chat_once(
    endpoint: &Endpoint,
    body: &str,
    abort: &Abort,
    on: &mut dyn FnMut(Progress),
) -> Result<Reply, ClientError> {
    let response = post(endpoint, CHAT_PATH, body, abort).await?;
    on(Progress::Accepted);
    let text = read_text(&response, abort).await?;
    chat_reply(response.status(), &text, on)
}

/// One chunk of a body: `None` at its end.
async fn read_chunk(
    reader: &web_sys::ReadableStreamDefaultReader,
) -> Result<Option<Vec<u8>>, wasm_bindgen::JsValue> {
    let chunk = JsFuture::from(reader.read()).await?;
    let done = Reflect::get(&chunk, &"done".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(true);
    if done {
        return Ok(None);
    }
    let value = Reflect::get(&chunk, &"value".into())?;
    Ok(Some(Uint8Array::new(&value).to_vec()))
}

/// `POST /v3/inference/stream/`, text passed on as it arrives. Whether the
/// reply streams is told by its first bytes ([`sniff_body`]), not by its
/// `Content-Type`: Lyzr documents `application/json` for it, and a server
/// or proxy may also answer the stream call in one piece.
pub(super) async fn stream_once(
    endpoint: &Endpoint,
    body: &str,
    abort: &Abort,
    on: &mut dyn FnMut(Progress),
) -> Result<Reply, ClientError> {
    let response = post(endpoint, STREAM_PATH, body, abort).await?;
    on(Progress::Accepted);
    let status = response.status();
    let Some(stream) = response.body() else {
        return Err(ClientError::BadReply("the stream reply has no body".into()));
    };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let broken = |e: wasm_bindgen::JsValue| match abort.reason() {
        Some(reason) => ClientError::Aborted(reason),
        None => ClientError::Dropped(format!("{e:?}")),
    };
    // The first bytes, until they tell a stream from a one-piece reply.
    let mut head: Vec<u8> = Vec::new();
    let mut decoder: Option<StreamDecoder> = None;
    loop {
        let chunk = read_chunk(&reader).await.map_err(broken)?;
        let ended = chunk.is_none();
        let events = match (decoder.as_mut(), chunk) {
            (Some(decoder), Some(bytes)) => decoder.push(&bytes),
            (Some(decoder), None) => decoder.finish(),
            (None, Some(bytes)) => {
                head.extend_from_slice(&bytes);
                match sniff_body(&head) {
                    BodyKind::Undecided => continue,
                    BodyKind::Stream => decoder
                        .insert(StreamDecoder::new())
                        .push(&std::mem::take(&mut head)),
                    BodyKind::Whole => {
                        while let Some(more) = read_chunk(&reader).await.map_err(broken)? {
                            head.extend_from_slice(&more);
                        }
                        return chat_reply(status, &String::from_utf8_lossy(&head), on);
                    }
                }
            }
            // Ended before it could tell: a (short) one-piece reply.
            (None, None) => return chat_reply(status, &String::from_utf8_lossy(&head), on),
        };
        // The text of a chunk's events goes on as one piece: one change of
        // the answer per chunk, however many tokens it carried.
        let mut text = String::new();
        for event in events {
            if let StreamEvent::Text(more) = &event {
                text.push_str(more);
                continue;
            }
            if !text.is_empty() {
                on(Progress::Text(std::mem::take(&mut text)));
            }
            match event {
                StreamEvent::Text(_) => {}
                StreamEvent::Done => {
                    let _ = reader.cancel();
                    return Ok(Reply::default());
                }
                StreamEvent::Error(message) => {
                    let _ = reader.cancel();
                    return Err(ClientError::StreamError(message));
                }
                StreamEvent::ToolCall { name, arguments } => on(Progress::ToolCall {
                    name,
                    arguments: arguments.to_json(),
                }),
            }
        }
        if !text.is_empty() {
            on(Progress::Text(text));
        }
        if ended {
            return Err(ClientError::Truncated);
        }
    }
}

/// `POST /v3/inference/session/{id}/stop` with no body.
pub(super) async fn post_stop(endpoint: &Endpoint, session_id: &str) -> Result<(), String> {
    let response = fetch(endpoint, "POST", &stop_path(session_id), None, None)
        .await
        .map_err(|e| js_error(&e))?;
    if response.ok() {
        Ok(())
    } else {
        let text = text(&response).await.unwrap_or_default();
        Err(ApiError::from_response(response.status(), &text).to_string())
    }
}

/// `GET /v1/sessions/{id}/history`: the body of a 2xx, else the error.
pub(super) async fn get_history(
    endpoint: &Endpoint,
    session_id: &str,
) -> Result<String, ClientError> {
    let response = fetch(endpoint, "GET", &history_path(session_id), None, None)
        .await
        .map_err(|e| ClientError::Network {
            detail: js_error(&e),
            offline: browser_offline(),
        })?;
    let text = text(&response)
        .await
        .map_err(|e| ClientError::Dropped(js_error(&e)))?;
    if response.ok() {
        Ok(text)
    } else {
        Err(ClientError::Api(ApiError::from_response(
            response.status(),
            &text,
        )))
    }
}
