//! The local agent's assets: `POST /v3/assets/upload` in Lyzr's shape
//! (multipart, one `files` field per file), the files it keeps so a message's
//! `assets` can be named in the reply, and scripted upload faults.
//!
//! A fault comes from an `x-lyzr-fault` header on the upload, or is armed
//! for the next uploads (the widget's upload carries no header) with
//! `POST /test/upload-fault {"fault": "status=503 times=1"}` (`""` clears
//! it), or in-process with [`Uploads::script`]. Keys:
//!
//! | key | effect |
//! |---|---|
//! | `status=N` | answer with status N and a `{"detail"}` body (after reading the body) |
//! | `detail="..."` | that body's reason, or the failing file's error |
//! | `latency=MS` | wait before answering |
//! | `rate=BYTES` | read the request body at most this many bytes a second (upload progress shows) |
//! | `fail="NAME"` | the file named NAME gets `success: false` |
//! | `times=N` | an armed fault applies to the next N uploads only |

use super::{check_key, error, AgentState};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use lyzr_chat_protocol::{FileOutcome, UploadReply, UploadedAsset, UPLOAD_FIELD};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Arms an upload fault: `POST` `{"fault": "..."}` with the API key.
pub const FAULT_PATH: &str = "/test/upload-fault";

/// The largest file the local agent stores (Lyzr's UI limit); a larger one
/// gets `success: false`.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// The largest upload request read at all; past it, 413.
pub const MAX_REQUEST_BYTES: usize = 11 * MAX_FILE_BYTES;
/// Bytes of files kept in memory; past it the oldest files are forgotten.
const MAX_KEPT_BYTES: usize = 200 * 1024 * 1024;

/// A scripted upload fault.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadFault {
    pub status: Option<u16>,
    pub detail: Option<String>,
    pub latency_ms: u64,
    /// Bytes per second the body is read at; 0 is as fast as it comes.
    pub rate: u64,
    /// The name of a file that fails.
    pub fail: Option<String>,
    pub times: Option<u64>,
}

impl UploadFault {
    /// Reads a spec (`KEY=VALUE` words, values may be double-quoted).
    pub fn parse(spec: &str) -> Result<UploadFault, String> {
        let mut fault = UploadFault::default();
        for word in super::faults::split_words(spec) {
            let (key, value) = word.split_once('=').unwrap_or((word.as_str(), ""));
            let number = |v: &str| -> Result<u64, String> {
                v.parse()
                    .map_err(|_| format!("upload fault `{key}` needs a number, got {v:?}"))
            };
            match key {
                "status" => match value.parse::<u16>() {
                    Ok(s) if (100..=599).contains(&s) => fault.status = Some(s),
                    _ => return Err(format!("fault status must be 100..599, got {value:?}")),
                },
                "detail" => fault.detail = Some(value.to_string()),
                "latency" => fault.latency_ms = number(value)?,
                "rate" => fault.rate = number(value)?,
                "fail" => fault.fail = Some(value.to_string()),
                "times" => fault.times = Some(number(value)?),
                other => {
                    return Err(format!(
                        "unknown upload fault `{other}`; known: status, detail, latency, rate, fail, times"
                    ))
                }
            }
        }
        Ok(fault)
    }
}

/// A file the agent received and stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedFile {
    pub asset_id: String,
    pub file_name: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

/// What the agent knows of uploads, shared with whoever started it.
#[derive(Debug, Clone, Default)]
pub struct Uploads {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    posts: u64,
    next_id: u64,
    files: Vec<ReceivedFile>,
    by_id: HashMap<String, usize>,
    /// The `assets` of every accepted chat/stream message, in order.
    message_assets: Vec<Vec<String>>,
    /// An armed fault and how many uploads it has left (`None`: all).
    armed: Option<(UploadFault, Option<u64>)>,
}

impl Uploads {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// POSTs to the upload path, accepted or not.
    pub fn posts(&self) -> u64 {
        self.lock().posts
    }

    /// Every file stored so far, oldest first.
    pub fn files(&self) -> Vec<ReceivedFile> {
        self.lock().files.clone()
    }

    /// The `assets` of every accepted message so far, in order (an empty
    /// list for a message without).
    pub fn message_assets(&self) -> Vec<Vec<String>> {
        self.lock().message_assets.clone()
    }

    /// Arms a fault for the next uploads (`times=N`: that many; else all),
    /// or, with an empty spec, disarms it.
    pub fn script(&self, spec: &str) -> Result<(), String> {
        let armed = if spec.trim().is_empty() {
            None
        } else {
            let fault = UploadFault::parse(spec)?;
            let times = fault.times;
            Some((fault, times))
        };
        self.lock().armed = armed;
        Ok(())
    }

    fn take_armed(&self) -> Option<UploadFault> {
        let mut inner = self.lock();
        let (fault, left) = inner.armed.clone()?;
        match left {
            Some(0) => {
                inner.armed = None;
                None
            }
            Some(n) => {
                inner.armed = (n > 1).then(|| (fault.clone(), Some(n - 1)));
                Some(fault)
            }
            None => Some(fault),
        }
    }

    fn store(&self, file_name: &str, mime_type: &str, bytes: Vec<u8>) -> UploadedAsset {
        let mut inner = self.lock();
        inner.next_id += 1;
        let asset_id = format!("{:024x}", 0x6c79_7a72_0000_0000_u64 + inner.next_id);
        let size = bytes.len();
        // Bounded memory: forget the oldest files (their ids stay unknown).
        let mut kept: usize = inner.files.iter().map(|f| f.bytes.len()).sum();
        while kept + size > MAX_KEPT_BYTES && !inner.files.is_empty() {
            kept -= inner.files.remove(0).bytes.len();
        }
        inner.files.push(ReceivedFile {
            asset_id: asset_id.clone(),
            file_name: file_name.to_string(),
            mime_type: mime_type.to_string(),
            bytes,
        });
        inner.by_id = inner
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.asset_id.clone(), i))
            .collect();
        UploadedAsset {
            url: Some(format!("/v3/assets/{asset_id}")),
            asset_id,
            file_name: file_name.to_string(),
            kind: Some(kind_of(file_name, mime_type)),
            file_size: Some(size as u64),
            mime_type: Some(mime_type.to_string()),
        }
    }

    fn find(&self, asset_id: &str) -> Option<ReceivedFile> {
        let inner = self.lock();
        inner.by_id.get(asset_id).map(|&i| inner.files[i].clone())
    }

    /// Records an accepted message's `assets` and says, for its reply,
    /// which files they are: `I received 2 files: a.pdf, b.png.`
    pub(crate) fn describe_message_assets(&self, assets: Option<&[String]>) -> Option<String> {
        let assets = assets.unwrap_or_default();
        let mut inner = self.lock();
        if inner.message_assets.len() >= 10_000 {
            inner.message_assets.clear();
        }
        inner.message_assets.push(assets.to_vec());
        if assets.is_empty() {
            return None;
        }
        let (known, unknown): (Vec<&String>, Vec<&String>) =
            assets.iter().partition(|id| inner.by_id.contains_key(*id));
        let names: Vec<&str> = known
            .iter()
            .map(|id| inner.files[inner.by_id[*id]].file_name.as_str())
            .collect();
        let mut line = String::new();
        if !names.is_empty() {
            let plural = if names.len() == 1 { "file" } else { "files" };
            line.push_str(&format!(
                "I received {} {plural}: {}.",
                names.len(),
                names.join(", ")
            ));
        }
        if !unknown.is_empty() {
            let ids: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&format!(
                "Asset ids I have no file for: {}.",
                ids.join(", ")
            ));
        }
        Some(line)
    }
}

/// Lyzr's coarse `type`: `image` for images, else the extension.
fn kind_of(file_name: &str, mime: &str) -> String {
    if mime.starts_with("image/") {
        return "image".to_string();
    }
    match file_name.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() => ext.to_ascii_lowercase(),
        _ => "file".to_string(),
    }
}

/// `POST /v3/assets/upload`.
pub(super) async fn upload(
    State(state): State<AgentState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let uploads = &state.stats.uploads;
    uploads.lock().posts += 1;
    if let Err(reason) = check_key(&state, &headers) {
        return error(StatusCode::UNAUTHORIZED, reason);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(boundary) = boundary(content_type) else {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "asset uploads must be multipart/form-data with a boundary",
        );
    };
    let fault = match headers
        .get(super::faults::FAULT_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        Some(spec) => match UploadFault::parse(spec) {
            Ok(fault) => fault,
            Err(reason) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("bad fault spec: {reason}"),
                )
            }
        },
        None => uploads.take_armed().unwrap_or_default(),
    };
    let bytes = match read_body(body, fault.rate).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    if fault.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.latency_ms)).await;
    }
    if let Some(status) = fault.status {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let detail = fault
            .detail
            .clone()
            .unwrap_or_else(|| format!("Upload failed with HTTP {status} (scripted fault)"));
        return error(code, &detail);
    }
    let parts = match parse_multipart(&boundary, &bytes) {
        Ok(parts) => parts,
        Err(reason) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("the multipart body is malformed: {reason}"),
            )
        }
    };
    let files: Vec<Part> = parts
        .into_iter()
        .filter(|p| p.name == UPLOAD_FIELD)
        .collect();
    if files.is_empty() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"detail": [{
                "loc": ["body", UPLOAD_FIELD],
                "msg": "field `files` is required: one multipart part per file",
                "type": "missing"
            }]})),
        )
            .into_response();
    }
    let results = files
        .into_iter()
        .map(|part| {
            let file_name = part.file_name.unwrap_or_default();
            let failed = |error: String| FileOutcome::Failed {
                file_name: file_name.clone(),
                error: Some(error),
            };
            if fault.fail.as_deref() == Some(file_name.as_str()) {
                failed(
                    fault
                        .detail
                        .clone()
                        .unwrap_or_else(|| "this file could not be stored (scripted fault)".into()),
                )
            } else if file_name.trim().is_empty() {
                failed("the part has no filename".into())
            } else if part.data.is_empty() {
                failed("the file is empty".into())
            } else if part.data.len() > MAX_FILE_BYTES {
                failed(format!(
                    "the file is larger than {} MB",
                    MAX_FILE_BYTES / (1024 * 1024)
                ))
            } else {
                let mime = part
                    .content_type
                    .unwrap_or_else(|| "application/octet-stream".into());
                FileOutcome::Uploaded(uploads.store(&file_name, &mime, part.data))
            }
        })
        .collect();
    Json(UploadReply { results }.to_json()).into_response()
}

/// `POST /test/upload-fault {"fault": "..."}`: arms a fault for the next
/// uploads (see [`Uploads::script`]).
pub(super) async fn script_fault(
    State(state): State<AgentState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(reason) = check_key(&state, &headers) {
        return error(StatusCode::UNAUTHORIZED, reason);
    }
    let spec = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("fault").and_then(|f| f.as_str()).map(str::to_string));
    let Some(spec) = spec else {
        return error(
            StatusCode::BAD_REQUEST,
            "send {\"fault\": \"...\"}, e.g. {\"fault\": \"status=503 times=1\"}",
        );
    };
    match state.stats.uploads.script(&spec) {
        Ok(()) => Json(json!({ "fault": spec })).into_response(),
        Err(reason) => error(StatusCode::BAD_REQUEST, &format!("bad `fault`: {reason}")),
    }
}

/// `GET /v3/assets/{asset_id}`: a stored file back (what `url` points at).
pub(super) async fn download(
    State(state): State<AgentState>,
    Path(asset_id): Path<String>,
) -> Response {
    match state.stats.uploads.find(&asset_id) {
        Some(file) => (
            [
                (header::CONTENT_TYPE, file.mime_type),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                (header::CONTENT_DISPOSITION, "attachment".to_string()),
            ],
            file.bytes,
        )
            .into_response(),
        None => error(StatusCode::NOT_FOUND, "no such asset"),
    }
}

/// Reads the whole body, at most `rate` bytes a second when `rate > 0`.
async fn read_body(body: Body, rate: u64) -> Result<Vec<u8>, Response> {
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    let started = tokio::time::Instant::now();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            error(
                StatusCode::BAD_REQUEST,
                &format!("the upload broke off: {e}"),
            )
        })?;
        if out.len() + chunk.len() > MAX_REQUEST_BYTES {
            return Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("an upload may be at most {MAX_REQUEST_BYTES} bytes"),
            ));
        }
        out.extend_from_slice(&chunk);
        if rate > 0 {
            // Sleep until the bytes read so far are due at `rate`.
            let due = Duration::from_secs_f64(out.len() as f64 / rate as f64);
            tokio::time::sleep_until(started + due).await;
        }
    }
    Ok(out)
}

/// The boundary of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let mime = params.next()?.trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Splits a `multipart/form-data` body (RFC 7578) into its parts.
fn parse_multipart(boundary: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut at = match find(body, &delimiter, 0) {
        Some(0) => delimiter.len(),
        // A preamble before the first delimiter is allowed.
        Some(_) => {
            find(body, &next_delimiter, 0).ok_or("no first boundary")? + next_delimiter.len()
        }
        None => return Err("the boundary never occurs".into()),
    };
    let mut parts = Vec::new();
    loop {
        if body[at..].starts_with(b"--") {
            return Ok(parts); // the closing delimiter
        }
        if !body[at..].starts_with(b"\r\n") {
            return Err("a boundary is not followed by a line break".into());
        }
        at += 2;
        let headers_end = find(body, b"\r\n\r\n", at).ok_or("a part's headers never end")?;
        let headers = std::str::from_utf8(&body[at..headers_end])
            .map_err(|_| "a part's headers are not UTF-8")?;
        let data_start = headers_end + 4;
        let data_end = find(body, &next_delimiter, data_start).ok_or("a part never ends")?;
        let mut part = Part {
            name: String::new(),
            file_name: None,
            content_type: None,
            data: body[data_start..data_end].to_vec(),
        };
        for line in headers.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                for (k, v) in disposition_params(value) {
                    match k.as_str() {
                        "name" => part.name = v,
                        "filename" => part.file_name = Some(v),
                        _ => {}
                    }
                }
            } else if key.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_string());
            }
        }
        parts.push(part);
        at = data_end + next_delimiter.len();
    }
}

/// `form-data; name="files"; filename="a b.pdf"` -> [(name, files), (filename, a b.pdf)].
/// Browsers write `"`, CR and LF in names as `%22`, `%0D`, `%0A`.
fn disposition_params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(semi) = rest.find(';') {
        rest = &rest[semi + 1..];
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let after = after.trim_start();
        let (raw, next) = match after.strip_prefix('"') {
            Some(quoted) => match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            },
            None => match after.find(';') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            },
        };
        let decoded = raw
            .replace("%22", "\"")
            .replace("%0D", "\r")
            .replace("%0A", "\n");
        out.push((key.trim().to_ascii_lowercase(), decoded));
        rest = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, Option<&str>, &str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, file, mime, data) in parts {
            out.extend_from_slice(b"--XyZ\r\n");
            let file = file
                .map(|f| format!("; filename=\"{f}\""))
                .unwrap_or_default();
            out.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\nContent-Type: {mime}\r\n\r\n")
                    .as_bytes(),
            );
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--XyZ--\r\n");
        out
    }

    #[test]
    fn multipart_parts_keep_their_bytes() {
        let data: &[u8] = b"line\r\n--Xy not the boundary\r\n\x00\xff";
        let raw = body(&[
            ("files", Some("a%22b.pdf"), "application/pdf", data),
            ("note", None, "text/plain", b"hi"),
            ("files", Some("c.png"), "image/png", b""),
        ]);
        let parts = parse_multipart("XyZ", &raw).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].name, "files");
        assert_eq!(parts[0].file_name.as_deref(), Some("a\"b.pdf"));
        assert_eq!(parts[0].content_type.as_deref(), Some("application/pdf"));
        assert_eq!(parts[0].data, data);
        assert_eq!(
            (parts[1].name.as_str(), parts[1].file_name.as_deref()),
            ("note", None)
        );
        assert!(parts[2].data.is_empty());
    }

    #[test]
    fn malformed_multipart_is_an_error() {
        assert!(parse_multipart("XyZ", b"nothing here").is_err());
        assert!(parse_multipart(
            "XyZ",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"
        )
        .is_err());
        assert_eq!(parse_multipart("XyZ", b"--XyZ--\r\n").unwrap(), vec![]);
    }

    #[test]
    fn boundaries() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----WebKitFormBoundaryAb1").as_deref(),
            Some("----WebKitFormBoundaryAb1")
        );
        assert_eq!(
            boundary("Multipart/Form-Data; boundary=\"q r\"").as_deref(),
            Some("q r")
        );
        assert_eq!(boundary("application/json"), None);
        assert_eq!(boundary("multipart/form-data"), None);
    }

    #[test]
    fn upload_fault_specs() {
        let f = UploadFault::parse(r#"status=503 rate=1000 fail="my file.pdf" latency=5 times=2"#)
            .unwrap();
        assert_eq!(
            f,
            UploadFault {
                status: Some(503),
                detail: None,
                latency_ms: 5,
                rate: 1000,
                fail: Some("my file.pdf".into()),
                times: Some(2),
            }
        );
        assert!(UploadFault::parse("drip=3")
            .unwrap_err()
            .contains("unknown upload fault"));
        assert!(UploadFault::parse("rate=x")
            .unwrap_err()
            .contains("needs a number"));
    }

    #[test]
    fn armed_faults_count_down() {
        let uploads = Uploads::default();
        uploads.script("status=500 times=2").unwrap();
        assert_eq!(uploads.take_armed().and_then(|f| f.status), Some(500));
        assert_eq!(uploads.take_armed().and_then(|f| f.status), Some(500));
        assert_eq!(uploads.take_armed(), None);
        uploads.script("fail=a.pdf").unwrap();
        assert!(uploads.take_armed().is_some() && uploads.take_armed().is_some());
        uploads.script("").unwrap();
        assert_eq!(uploads.take_armed(), None);
        assert!(uploads.script("bogus").is_err());
    }

    /// Calls of the whole agent router, in-process.
    mod routes {
        use super::body;
        use crate::agent::router;
        use axum::body::Body;
        use axum::http::{Request, StatusCode};
        use http_body_util::BodyExt;
        use lyzr_chat_protocol::{API_KEY_HEADER, CHAT_PATH};
        use serde_json::{json, Value};
        use tower::ServiceExt;

        async fn send(router: &axum::Router, req: Request<Body>) -> (StatusCode, Vec<u8>) {
            let resp = router.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            (
                status,
                resp.into_body()
                    .collect()
                    .await
                    .unwrap()
                    .to_bytes()
                    .to_vec(),
            )
        }

        fn upload_req(key: &str, fault: Option<&str>, raw: Vec<u8>) -> Request<Body> {
            let mut req = Request::post("/v3/assets/upload")
                .header("content-type", "multipart/form-data; boundary=XyZ")
                .header(API_KEY_HEADER, key);
            if let Some(spec) = fault {
                req = req.header("x-lyzr-fault", spec);
            }
            req.body(Body::from(raw)).unwrap()
        }

        async fn chat(router: &axum::Router, assets: Value) -> String {
            let body = json!({"user_id":"u","agent_id":"a","session_id":"a-1",
                              "message":"look","assets":assets});
            let req = Request::post(CHAT_PATH)
                .header(API_KEY_HEADER, "k")
                .body(Body::from(body.to_string()))
                .unwrap();
            let (status, bytes) = send(router, req).await;
            assert_eq!(status, StatusCode::OK);
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            v["response"].as_str().unwrap().to_string()
        }

        #[tokio::test]
        async fn uploaded_files_are_named_in_the_reply_to_a_message_carrying_them() {
            let (router, stats) = router("k");
            let raw = body(&[
                ("files", Some("a.pdf"), "application/pdf", b"%PDF-1.4 one"),
                ("files", Some("b.png"), "image/png", b"\x89PNG two"),
            ]);
            let (status, bytes) = send(&router, upload_req("k", None, raw)).await;
            assert_eq!(status, StatusCode::OK);
            let reply: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(reply["total_files"], 2);
            assert_eq!(reply["successful_uploads"], 2);
            assert_eq!(reply["failed_uploads"], 0);
            let r = &reply["results"];
            assert_eq!(r[0]["file_name"], "a.pdf");
            assert_eq!(r[0]["type"], "pdf");
            assert_eq!(r[0]["file_size"], 12);
            assert_eq!(r[0]["mime_type"], "application/pdf");
            assert_eq!(r[1]["type"], "image");
            let ids: Vec<String> = (0..2)
                .map(|i| r[i]["asset_id"].as_str().unwrap().to_string())
                .collect();
            assert_ne!(ids[0], ids[1]);
            let files = stats.uploads().files();
            assert_eq!(files.len(), 2);
            assert_eq!(files[0].bytes, b"%PDF-1.4 one");

            // The stored file comes back at its url.
            let url = r[1]["url"].as_str().unwrap();
            let (status, bytes) =
                send(&router, Request::get(url).body(Body::empty()).unwrap()).await;
            assert_eq!(
                (status, bytes.as_slice()),
                (StatusCode::OK, &b"\x89PNG two"[..])
            );

            let text = chat(&router, json!([ids[0], ids[1], "elsewhere-1"])).await;
            assert!(
                text.contains("I received 2 files: a.pdf, b.png.")
                    && text.contains("Asset ids I have no file for: elsewhere-1."),
                "{text}"
            );
            let text = chat(&router, json!([])).await;
            assert!(!text.contains("received"), "{text}");
            assert_eq!(
                stats.uploads().message_assets(),
                vec![
                    vec![ids[0].clone(), ids[1].clone(), "elsewhere-1".into()],
                    vec![]
                ]
            );
            assert_eq!(stats.uploads().posts(), 1);
        }

        #[tokio::test]
        async fn refusals_and_faults() {
            let (router, stats) = router("k");
            let one = || body(&[("files", Some("a.pdf"), "application/pdf", b"x")]);
            let (status, _) = send(&router, upload_req("wrong", None, one())).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);

            let req = Request::post("/v3/assets/upload")
                .header(API_KEY_HEADER, "k")
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .unwrap();
            assert_eq!(
                send(&router, req).await.0,
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            );

            let raw = body(&[("note", None, "text/plain", b"x")]);
            let (status, bytes) = send(&router, upload_req("k", None, raw)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(String::from_utf8_lossy(&bytes).contains("files"));

            let (status, bytes) = send(
                &router,
                upload_req("k", Some("status=503 detail=\"disk full\""), one()),
            )
            .await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(String::from_utf8_lossy(&bytes).contains("disk full"));

            // One named file fails; the other is stored.
            stats.uploads().script("fail=b.txt times=1").unwrap();
            let raw = body(&[
                ("files", Some("a.txt"), "text/plain", b"a"),
                ("files", Some("b.txt"), "text/plain", b"b"),
                ("files", Some("c.txt"), "text/plain", b""),
            ]);
            let (status, bytes) = send(&router, upload_req("k", None, raw.clone())).await;
            assert_eq!(status, StatusCode::OK);
            let reply: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(
                (
                    reply["successful_uploads"].as_u64(),
                    reply["failed_uploads"].as_u64()
                ),
                (Some(1), Some(2))
            );
            assert_eq!(reply["results"][1]["success"], false);
            assert!(reply["results"][1]["error"]
                .as_str()
                .unwrap()
                .contains("scripted"));
            assert_eq!(reply["results"][2]["error"], "the file is empty");
            // times=1: the next upload is not faulted.
            let (_, bytes) = send(&router, upload_req("k", None, raw)).await;
            let reply: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(reply["results"][1]["success"], true);

            let (status, _) = send(&router, upload_req("k", Some("nope=1"), one())).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);

            // Armed over HTTP, as a demo page or curl would.
            let arm = |body: &str| {
                Request::post(super::super::FAULT_PATH)
                    .header(API_KEY_HEADER, "k")
                    .body(Body::from(body.to_string()))
                    .unwrap()
            };
            assert_eq!(
                send(&router, arm(r#"{"fault":"status=507 times=1"}"#))
                    .await
                    .0,
                StatusCode::OK
            );
            assert_eq!(
                send(&router, upload_req("k", None, one())).await.0,
                StatusCode::INSUFFICIENT_STORAGE
            );
            assert_eq!(
                send(&router, upload_req("k", None, one())).await.0,
                StatusCode::OK
            );
            assert_eq!(
                send(&router, arm(r#"{"fault":"bogus"}"#)).await.0,
                StatusCode::BAD_REQUEST
            );
            assert_eq!(send(&router, arm("{}")).await.0, StatusCode::BAD_REQUEST);
        }

        #[tokio::test]
        async fn rate_slows_the_read() {
            let (router, _) = router("k");
            let raw = body(&[("files", Some("a.txt"), "text/plain", &[b'x'; 2000])]);
            let started = std::time::Instant::now();
            let (status, _) = send(&router, upload_req("k", Some("rate=10000"), raw)).await;
            assert_eq!(status, StatusCode::OK);
            // ~2.1 KB at 10 KB/s: about 0.2 s.
            assert!(started.elapsed() >= std::time::Duration::from_millis(180));
        }
    }
}
