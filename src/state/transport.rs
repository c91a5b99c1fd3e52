//! The browser's side of the conversation's seams: [`Transport`] over the
//! client's HTTP calls, and [`Env`] over the page's clock and crypto.

use super::chat::{Activity, Env, LocalFuture, Transport};
use super::conversation::{HistoryItem, Role};
use super::storage::random_bytes;
use crate::client::{
    self, Abort, ActivitySocket, ClientError, Endpoint, Progress, Reply, SendOptions,
};
use lyzr_chat_protocol::{new_session_id, ActivityEvent, ChatRequest, HistoryRole};
use std::rc::Rc;

/// The Lyzr API (or a proxy) over HTTP.
pub struct HttpTransport {
    pub endpoint: Endpoint,
}

impl Transport for HttpTransport {
    fn send<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: SendOptions,
        abort: &'a Abort,
        on: &'a mut dyn FnMut(Progress),
    ) -> LocalFuture<'a, Result<Reply, ClientError>> {
        // Through the chunk fetched as the visitor starts writing: a send
        // made before it is there waits for it (client::lazy).
        Box::pin(client::lazy::send_message(
            &self.endpoint,
            request,
            options,
            abort,
            on,
        ))
    }

    fn activity(
        &self,
        session_id: &str,
        on: Box<dyn Fn(ActivityEvent)>,
    ) -> Option<Rc<dyn Activity>> {
        let url = client::events_url(&self.endpoint, session_id)?;
        Some(Rc::new(ActivitySocket::open(url, on)))
    }

    fn stop(&self, session_id: &str) -> LocalFuture<'static, ()> {
        let endpoint = self.endpoint.clone();
        let session_id = session_id.to_string();
        Box::pin(client::lazy::stop_session(endpoint, session_id))
    }

    fn history(
        &self,
        session_id: &str,
    ) -> LocalFuture<'static, Result<Vec<HistoryItem>, ClientError>> {
        let endpoint = self.endpoint.clone();
        let session_id = session_id.to_string();
        Box::pin(async move {
            let entries = match client::fetch_history(&endpoint, &session_id).await {
                // A session the server does not know has no history yet.
                Err(ClientError::Api(e)) if e.status == 404 => Vec::new(),
                other => other?,
            };
            Ok(entries
                .into_iter()
                .map(|e| HistoryItem {
                    role: match e.role {
                        HistoryRole::User => Role::User,
                        HistoryRole::Assistant => Role::Agent,
                    },
                    created_ms: e
                        .created_at
                        .as_deref()
                        .map(js_sys::Date::parse)
                        .filter(|ms| ms.is_finite() && *ms > 0.0)
                        .map(|ms| ms as u64),
                    text: e.content,
                })
                .collect())
        })
    }
}

/// The page's clock and `crypto.getRandomValues`.
pub struct BrowserEnv;

impl Env for BrowserEnv {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }

    fn new_id(&self) -> u64 {
        // 53 bits: exact as a JavaScript number too.
        let b = random_bytes();
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6] & 0x1f, 0])
    }

    fn new_session(&self, agent_id: &str) -> String {
        new_session_id(agent_id, &random_bytes())
    }
}

impl Activity for ActivitySocket {
    fn ready(&self) -> LocalFuture<'static, ()> {
        Box::pin(ActivitySocket::ready(self))
    }

    fn finish(&self) {
        ActivitySocket::finish(self);
    }

    fn close(&self) {
        ActivitySocket::close(self);
    }

    fn live(&self) -> bool {
        ActivitySocket::live(self)
    }
}
