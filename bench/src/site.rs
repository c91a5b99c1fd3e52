//! The bench's web server: the local agent's API under `/v3/` and the bench
//! site (host pages, our bundle under `/ours/`, deep-chat under `/deepchat/`)
//! served from brotli files made beforehand (`scripts/bench.sh`), never
//! cached.

use axum::http::{header, HeaderValue};
use lyzr_chat_server::{agent, serve, DEMO_API_KEY};
use std::path::Path;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Files the bench needs in the site folder, each with its `.br` beside it.
const FILES: &[&str] = &[
    "ours-idle.html",
    "ours-open.html",
    "ours-history.html",
    "deepchat.html",
    "ours/lyzr-chat.js",
    "ours/lyzr-chat-widget.js",
    "ours/lyzr-chat-widget_bg.wasm",
    "deepchat/deepChat.bundle.js",
];

/// Fails with the missing file's name when the site is incomplete.
pub fn check(site: &Path) -> Result<(), String> {
    for file in FILES {
        for name in [file.to_string(), format!("{file}.br")] {
            if !site.join(&name).is_file() {
                return Err(format!(
                    "{} is missing from the bench site {}: run `bash scripts/bench.sh`",
                    name,
                    site.display()
                ));
            }
        }
    }
    Ok(())
}

/// The running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    shutdown: oneshot::Sender<()>,
}

impl Server {
    pub async fn start(site: &Path) -> Server {
        let (api, _stats) = agent::router(DEMO_API_KEY);
        let files = ServeDir::new(site).precompressed_br();
        let router = api
            .fallback_service(files)
            .layer(SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the bench server");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(serve(listener, router, async {
            let _ = rx.await;
        }));
        Server {
            base_url,
            shutdown: tx,
        }
    }

    pub fn stop(self) {
        let _ = self.shutdown.send(());
    }
}
