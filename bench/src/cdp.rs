//! The browser side: one Debian chromedriver for the whole bench, a new
//! headless Chromium session (fresh profile) per scenario, and Chrome
//! DevTools Protocol commands sent through chromedriver's
//! `POST /session/{id}/goog/cdp/execute`, which fantoccini issues as a custom
//! WebDriver command.
//!
//! Tools come from the environment, with Debian's paths as defaults:
//! `CHROMEDRIVER` (`/usr/bin/chromedriver`), `CHROME_BIN` (`/usr/bin/chromium`).

use crate::report::Profile;
use fantoccini::wd::{TimeoutConfiguration, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The page probe (long tasks, first frames with launcher/composer, helpers).
const PROBE: &str = include_str!("probe.js");

/// A CDP command for chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct CdpCommand {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for CdpCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// The running chromedriver.
pub struct Driver {
    url: String,
    process: Child,
    scratch: PathBuf,
}

impl Driver {
    pub async fn start() -> Driver {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("find a free port");
            probe.local_addr().expect("port").port()
        };
        let scratch = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("bench/ sits in the workspace")
            .join("target/bench/scratch")
            .join(std::process::id().to_string());
        std::fs::create_dir_all(&scratch).expect("create the bench scratch folder");
        let process = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .env("TMPDIR", &scratch)
            .env("XDG_CONFIG_HOME", scratch.join("config"))
            .env("XDG_CACHE_HOME", scratch.join("cache"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("start {chromedriver}: {e} (install Debian's chromium-driver)")
            });
        Driver {
            url: format!("http://127.0.0.1:{port}"),
            process,
            scratch,
        }
    }

    /// A new browser with a profile of its own, set up for `profile`, with the
    /// probe installed for every page it loads.
    pub async fn session(&self, profile: Profile) -> Session {
        static N: AtomicUsize = AtomicUsize::new(0);
        let chrome = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let dir = self
            .scratch
            .join(format!("profile-{}", N.fetch_add(1, Ordering::SeqCst)));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chrome,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    "--disable-extensions", "--js-flags=--expose-gc",
                    "--window-size=1280,900", "--force-device-scale-factor=1",
                    format!("--user-data-dir={}", dir.display()),
                ]
            }),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let attempt =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(capabilities.clone())
                    .connect(&self.url)
                    .await;
            match attempt {
                Ok(client) => break client,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("could not start a browser session: {e}"),
            }
        };
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(600)),
                Some(Duration::from_secs(120)),
                Some(Duration::from_secs(0)),
            ))
            .await
            .expect("set WebDriver timeouts");
        let session = Session { client, dir };
        session.cdp("Network.enable", json!({})).await;
        session
            .cdp("Network.setCacheDisabled", json!({ "cacheDisabled": true }))
            .await;
        if profile == Profile::Throttled {
            session
                .cdp("Emulation.setCPUThrottlingRate", json!({ "rate": 4 }))
                .await;
            session
                .cdp(
                    "Network.emulateNetworkConditions",
                    json!({
                        "offline": false,
                        "latency": 150,
                        "downloadThroughput": 1_600_000 / 8,
                        "uploadThroughput": 750_000 / 8,
                    }),
                )
                .await;
        }
        session
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": PROBE }),
            )
            .await;
        session
    }

    pub fn stop(mut self) {
        // chromedriver leads its own process group: end it with its browsers.
        if let Some(pid) = self.process.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.process.start_kill();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// One browser session.
pub struct Session {
    pub client: Client,
    dir: PathBuf,
}

impl Session {
    /// Sends a CDP command to the current page and returns its result.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(CdpCommand {
                cmd: cmd.to_string(),
                params,
            })
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd} failed: {e}"))
    }

    /// Runs `script` (an async function body: it may `await`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        let wrapped = format!("return (async () => {{ {script} }})();");
        self.client
            .execute(&wrapped, args)
            .await
            .unwrap_or_else(|e| panic!("page script failed: {e}\n{script}"))
    }

    /// JS heap in use after a full garbage collection, and the ArrayBuffer
    /// backing stores (where wasm memory lives) when Chromium reports them.
    pub async fn heap_after_gc(&self) -> (f64, Option<f64>) {
        self.cdp("HeapProfiler.enable", json!({})).await;
        self.cdp("HeapProfiler.collectGarbage", json!({})).await;
        let usage = self.cdp("Runtime.getHeapUsage", json!({})).await;
        let used = usage["usedSize"]
            .as_f64()
            .expect("Runtime.getHeapUsage usedSize");
        (used, usage["backingStorageSize"].as_f64())
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
