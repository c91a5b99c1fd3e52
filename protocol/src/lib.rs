//! Wire types and codecs of the Lyzr Agent Inference API: the one source of
//! truth shared by the widget (wasm) and the local agent server (native).
//!
//! Pure Rust: no I/O, no web-sys, so everything here is tested natively.

pub mod activity;
pub mod chat;
pub mod error;
pub mod history;
pub mod json;
pub mod paths;
pub mod reply;
pub mod retry;
pub mod session;
pub mod stream;
pub mod upload;

pub use activity::{events_path, ActivityEvent, Step, StepKind};
pub use chat::{
    json_type_name, parse_chat_request, ChatRequest, ChatResponse, FieldProblem, RequestError,
    RequestFields, API_KEY_HEADER,
};
pub use error::{ApiError, ErrorKind};
pub use history::{history_json, parse_history, HistoryEntry, HistoryRole};
pub use json::{Json, Object};
pub use paths::{history_path, stop_path, upload_path, ASSETS_UPLOAD_PATH, CHAT_PATH, STREAM_PATH};
pub use reply::{Artifact, FilesNote, PartsDelta, ReplyParts};
pub use retry::{parse_retry_after, RetryPolicy};
pub use session::{new_session_id, random_suffix};
pub use stream::{
    encode_delta, looks_like_stream, sniff_body, BodyKind, StreamDecoder, StreamEvent,
};
pub use upload::{
    AttachmentLimits, Candidate, FileOutcome, Refusal, Rule, UploadReply, UploadedAsset,
    UPLOAD_FIELD,
};
