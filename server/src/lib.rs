//! The lyzr-chat server: a local Lyzr agent for demos and tests (it speaks the
//! Inference API exactly as the spec describes) that also serves the built
//! widget and its demo page; and, in [`proxy`] mode, the production proxy that
//! keeps the Lyzr account key off the page.

pub mod agent;
pub mod proxy;

use axum::Router;
use std::future::Future;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;
use tower_http::services::ServeDir;

pub use agent::{AgentStats, DEMO_API_KEY, ECHO_PREFIX};

/// Address the server binds to unless told otherwise: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// What the local agent server needs to run.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The only `x-api-key` the local agent accepts.
    pub api_key: String,
    /// Folder of built widget files (trunk's `dist/`), served at `/`.
    pub dist: PathBuf,
    /// Origins whose pages may call the agent besides its own and the dev
    /// ones ([`agent::origin::DEV_ORIGINS`]): `--allow-origin`.
    pub allow_origins: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            api_key: DEMO_API_KEY.to_string(),
            dist: PathBuf::from("dist"),
            allow_origins: Vec::new(),
        }
    }
}

/// The whole app: the agent's API under `/v3/` and the widget files at `/`.
/// The returned stats let tests see what the agent received.
pub fn app(config: &ServerConfig) -> (Router, AgentStats) {
    let (api, stats) = agent::router_for(&config.api_key, &config.allow_origins);
    let router = api.fallback_service(static_files(&config.dist));
    (router, stats)
}

fn static_files(dist: &Path) -> Router {
    if dist.join("index.html").is_file() {
        Router::new().fallback_service(ServeDir::new(dist).append_index_html_on_directories(true))
    } else {
        let message = format!(
            "The lyzr-chat widget is not built: no index.html in {}.\n\
             Build it with `trunk build --release` (or run `bash scripts/demo.sh`), \
             or point --dist at the folder that holds it.\n",
            dist.display()
        );
        Router::new()
            .fallback(move || async move { (axum::http::StatusCode::SERVICE_UNAVAILABLE, message) })
    }
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
