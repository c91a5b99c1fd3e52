//! One HTTP attempt: the chat call, or the stream call read chunk by chunk
//! from the response body's ReadableStream.

use super::{Abort, ClientError, Endpoint, Progress};
use gloo_net::http::{Request, RequestBuilder, Response};
use js_sys::{Reflect, Uint8Array};
use lyzr_chat_protocol::{
    history_path, parse_retry_after, sniff_body, stop_path, ApiError, Artifact, BodyKind,
    ChatResponse, StreamDecoder, StreamEvent, API_KEY_HEADER, CHAT_PATH, STREAM_PATH,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A POST to an API path, with `x-api-key` when the endpoint has one.
fn keyed_post(endpoint: &Endpoint, path: &str) -> RequestBuilder {
    let builder = Request::post(&endpoint.url(path));
    match &endpoint.api_key {
        Some(key) => builder.header(API_KEY_HEADER, key),
        None => builder,
    }
}

fn browser_offline() -> bool {
    web_sys::window().is_some_and(|w| !w.navigator().on_line())
}

/// POSTs `body`; a non-2xx answer becomes [`ClientError::Api`].
async fn post(
    endpoint: &Endpoint,
    path: &str,
    body: &str,
    abort: &Abort,
) -> Result<Response, ClientError> {
    let request = keyed_post(endpoint, path)
        .header("content-type", "application/json")
        .abort_signal(Some(&abort.signal()))
        .body(body)
        .map_err(|e| ClientError::BadReply(format!("could not build the request: {e}")))?;
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => {
            return Err(match abort.reason() {
                Some(reason) => ClientError::Aborted(reason),
                None => ClientError::Network {
                    detail: e.to_string(),
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
        .and_then(|v| parse_retry_after(&v, (js_sys::Date::now() / 1000.0) as u64));
    let text = response.text().await.unwrap_or_default();
    Err(ClientError::Api(
        ApiError::from_response(status, &text).with_retry_after(retry_after),
    ))
}

/// Reads a whole body as text, mapping a broken connection.
async fn read_text(response: &Response, abort: &Abort) -> Result<String, ClientError> {
    response.text().await.map_err(|e| match abort.reason() {
        Some(reason) => ClientError::Aborted(reason),
        None => ClientError::Dropped(e.to_string()),
    })
}

fn chat_reply(
    status: u16,
    text: &str,
    on: &mut dyn FnMut(Progress),
) -> Result<Vec<Artifact>, ClientError> {
    let reply = ChatResponse::parse(text).map_err(|e| {
        ClientError::BadReply(format!(
            "HTTP {status} body is not the documented JSON: {e}"
        ))
    })?;
    let answer = reply
        .text()
        .ok_or_else(|| ClientError::BadReply(format!("HTTP {status} body has no `response`")))?;
    on(Progress::Text(answer.to_string()));
    Ok(reply.artifacts())
}

/// `POST /v3/inference/chat/`.
pub(super) async fn chat_once(
    endpoint: &Endpoint,
    body: &str,
    abort: &Abort,
    on: &mut dyn FnMut(Progress),
) -> Result<Vec<Artifact>, ClientError> {
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
) -> Result<Vec<Artifact>, ClientError> {
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
        for event in events {
            match event {
                StreamEvent::Text(text) => on(Progress::Text(text)),
                StreamEvent::Done => {
                    let _ = reader.cancel();
                    return Ok(Vec::new());
                }
                StreamEvent::Error(message) => {
                    let _ = reader.cancel();
                    return Err(ClientError::StreamError(message));
                }
                // Not shown yet (issue 13 §1): like before, it adds no text.
                StreamEvent::ToolCall { .. } => {}
            }
        }
        if ended {
            return Err(ClientError::Truncated);
        }
    }
}

/// `POST /v3/inference/session/{id}/stop` with no body.
pub(super) async fn post_stop(endpoint: &Endpoint, session_id: &str) -> Result<(), String> {
    let response = keyed_post(endpoint, &stop_path(session_id))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.ok() {
        Ok(())
    } else {
        let text = response.text().await.unwrap_or_default();
        Err(ApiError::from_response(response.status(), &text).to_string())
    }
}

/// `GET /v1/sessions/{id}/history`: the body of a 2xx, else the error.
pub(super) async fn get_history(
    endpoint: &Endpoint,
    session_id: &str,
) -> Result<String, ClientError> {
    let builder = Request::get(&endpoint.url(&history_path(session_id)));
    let builder = match &endpoint.api_key {
        Some(key) => builder.header(API_KEY_HEADER, key),
        None => builder,
    };
    let response = builder.send().await.map_err(|e| ClientError::Network {
        detail: e.to_string(),
        offline: browser_offline(),
    })?;
    let text = response
        .text()
        .await
        .map_err(|e| ClientError::Dropped(e.to_string()))?;
    if response.ok() {
        Ok(text)
    } else {
        Err(ClientError::Api(ApiError::from_response(
            response.status(),
            &text,
        )))
    }
}
