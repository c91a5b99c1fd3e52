//! Network I/O of the widget: the only module that calls `fetch`.

use gloo_net::http::Request;
use lyzr_chat_protocol::{ApiError, ChatRequest, ChatResponse, API_KEY_HEADER, CHAT_PATH};
use std::fmt;

/// Where the API lives and how to authenticate to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Base URL without a trailing slash (`https://agent-prod.studio.lyzr.ai`,
    /// a proxy's URL, or empty for the page's own origin).
    pub base_url: String,
    /// Sent as `x-api-key` when set (a proxy holds the key instead).
    pub api_key: Option<String>,
}

impl Endpoint {
    /// The absolute (or same-origin) URL of an API path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.trim_end_matches('/'), path)
    }
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// No response at all: offline, DNS, CORS refusal, connection reset.
    Network(String),
    /// The API answered with an error status.
    Api(ApiError),
    /// A 2xx whose body is not the documented reply.
    BadReply(String),
}

impl ClientError {
    /// What the visitor sees in the error bubble.
    pub fn visitor_message(&self) -> String {
        match self {
            ClientError::Network(_) => {
                "Could not reach the assistant. Check your connection and try again.".to_string()
            }
            ClientError::Api(e) => e.visitor_message(),
            ClientError::BadReply(_) => {
                "The assistant sent a reply this chat cannot read. Please try again.".to_string()
            }
        }
    }
}

impl fmt::Display for ClientError {
    /// The site owner's view, for the console: status and server detail.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Network(e) => write!(f, "network error: {e}"),
            ClientError::Api(e) => write!(f, "the API answered {e}"),
            ClientError::BadReply(e) => write!(f, "unreadable reply: {e}"),
        }
    }
}

/// `POST /v3/inference/chat/`; returns the agent's answer text.
pub async fn send_chat(endpoint: &Endpoint, request: &ChatRequest) -> Result<String, ClientError> {
    let mut builder = Request::post(&endpoint.url(CHAT_PATH));
    if let Some(key) = &endpoint.api_key {
        builder = builder.header(API_KEY_HEADER, key);
    }
    let response = builder
        .json(request)
        .map_err(|e| ClientError::BadReply(format!("could not encode the request: {e}")))?
        .send()
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    if !(200..300).contains(&status) {
        return Err(ClientError::Api(ApiError::from_response(status, &body)));
    }
    let reply: ChatResponse = serde_json::from_str(&body)
        .map_err(|e| ClientError::BadReply(format!("HTTP {status} body is not JSON: {e}")))?;
    reply
        .text()
        .map(str::to_string)
        .ok_or_else(|| ClientError::BadReply(format!("HTTP {status} body has no `response`")))
}
