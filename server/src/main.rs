//! `lyzr-chat-server`: command-line entry of the local agent server (the
//! default) and of the `proxy` subcommand.

use clap::{Parser, Subcommand};
use lyzr_chat_server::proxy::{self, ProxyArgs, API_KEY_ENV};
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
///
/// For production, `lyzr-chat-server proxy --help`: a proxy that holds your
/// Lyzr key server-side so it never reaches the page.
#[derive(Debug, Parser)]
#[command(
    name = "lyzr-chat-server",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

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

    /// Another origin (scheme://host:port) whose pages may call the agent,
    /// e.g. a host app under development. Repeatable. The agent always
    /// answers its own origin and `trunk serve`'s http://127.0.0.1:8080 and
    /// http://localhost:8080; calls from any other site get 403.
    #[arg(long = "allow-origin", value_name = "ORIGIN", value_parser = lyzr_chat_server::agent::origin::check_origin)]
    allow_origin: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Production proxy: forwards the widget's calls (chat, stream, assets
    /// upload, stop, history) to the Lyzr API with the account key added
    /// server-side, for allowed origins and agents only.
    ///
    /// The key is read only from the LYZR_API_KEY environment variable.
    /// Every flag can also be set by its environment variable or in a TOML
    /// file given with --config (flag > env > file > default).
    /// Health check: GET /healthz. Logs: one JSON object per line on stderr.
    Proxy(ProxyArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Proxy(args)) = cli.command {
        return run_proxy(args).await;
    }
    let config = ServerConfig {
        api_key: cli.api_key,
        dist: cli.dist,
        allow_origins: cli.allow_origin,
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
    println!(
        "  pages allowed to call it: its own origin, {}",
        lyzr_chat_server::agent::origin::allowed_origins(&config.allow_origins).join(", ")
    );
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

async fn run_proxy(args: ProxyArgs) -> ExitCode {
    // Any `tracing` event outside a request is a JSON line on stderr too.
    let _ = tracing::dispatcher::set_global_default(proxy::LogSink::stderr().dispatch().clone());
    let config = match args.resolve(std::env::var(API_KEY_ENV).ok()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("lyzr-chat-server proxy: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "lyzr-chat-server proxy: cannot listen on {}: {e}",
                config.listen
            );
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(config.listen);
    println!("lyzr-chat proxy listening on http://{addr}");
    println!("  upstream:        {}", config.upstream);
    println!("  allowed origins: {}", config.allow_origins.join(", "));
    println!("  allowed agents:  {}", config.allow_agents.join(", "));
    println!("  health check:    GET http://{addr}{}", proxy::HEALTH_PATH);
    let upstream_host = config.upstream.host().unwrap_or("");
    if config.upstream.scheme_str() == Some("http")
        && !matches!(upstream_host, "127.0.0.1" | "localhost" | "[::1]")
    {
        eprintln!(
            "lyzr-chat-server proxy: warning: --upstream uses plain http to a remote host; the key travels unencrypted"
        );
    }
    proxy::log_start(&config, addr);
    let log = config.log.clone();
    let app = proxy::router(config);
    let signal = std::sync::Arc::new(std::sync::OnceLock::new());
    let got = signal.clone();
    let shutdown = async move {
        let _ = got.set(wait_for_signal().await);
    };
    match proxy::serve(listener, app, shutdown).await {
        Ok(drained) => {
            log.in_scope(|| {
                tracing::info!(
                    event = "shutdown",
                    signal = signal.get().copied().unwrap_or("none"),
                    connections_open = drained.open as u64,
                    drained = drained.all,
                )
            });
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lyzr-chat-server proxy: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C, or SIGTERM (how containers and systemd stop a service).
async fn wait_for_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}
