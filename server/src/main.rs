//! `lyzr-chat-server`: command-line entry of the local agent server.

use clap::Parser;
use lyzr_chat_server::{app, serve, ServerConfig, DEFAULT_LISTEN, DEMO_API_KEY};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// A local Lyzr agent for demos and tests, serving the lyzr-chat widget.
///
/// It answers `POST /v3/inference/chat/` as the Lyzr Agent Inference API
/// does (x-api-key check, body validation with FastAPI-style errors), with a
/// deterministic reply that explains what it received, and serves the built
/// widget and demo page from --dist at `/`. No account or network needed.
#[derive(Debug, Parser)]
#[command(name = "lyzr-chat-server", version)]
struct Cli {
    /// Address to listen on. Keep it on loopback unless you mean to share the demo.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,

    /// The x-api-key the local agent accepts; any other key gets 401.
    /// The default is a public demo key, not a secret.
    #[arg(long, value_name = "KEY", default_value = DEMO_API_KEY)]
    api_key: String,

    /// Folder of built widget files (trunk's output) served at `/`.
    #[arg(long, value_name = "DIR", default_value = "dist")]
    dist: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = ServerConfig {
        api_key: cli.api_key,
        dist: cli.dist,
    };
    let listener = match tokio::net::TcpListener::bind(cli.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("lyzr-chat-server: cannot listen on {}: {e}", cli.listen);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(cli.listen);
    if !config.dist.join("index.html").is_file() {
        eprintln!(
            "lyzr-chat-server: warning: {} has no index.html; build the widget with `trunk build --release`",
            config.dist.display()
        );
    }
    println!("lyzr-chat local agent listening on http://{addr}");
    println!("  demo page:  http://{addr}/");
    let key_note = if config.api_key == DEMO_API_KEY {
        format!("x-api-key: {DEMO_API_KEY}")
    } else {
        "x-api-key: the key given with --api-key".to_string()
    };
    println!("  chat API:   POST http://{addr}/v3/inference/chat/  ({key_note})");
    println!("  widget dir: {}", config.dist.display());
    let (router, _stats) = app(&config);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match serve(listener, router, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lyzr-chat-server: {e}");
            ExitCode::FAILURE
        }
    }
}
