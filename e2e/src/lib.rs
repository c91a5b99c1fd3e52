//! Harness for end-to-end tests: the local agent server in-process on a free
//! port, serving the built widget (`dist/`), and a headless Chromium driven
//! over WebDriver by Debian's chromedriver.
//!
//! Tools come from the environment, with Debian's paths as defaults:
//! `CHROMEDRIVER` (`/usr/bin/chromedriver`), `CHROME_BIN` (`/usr/bin/chromium`),
//! `LYZR_CHAT_DIST` (`<workspace>/dist`).

use fantoccini::elements::{Element, ShadowRoot};
use fantoccini::{Client, ClientBuilder, Locator};
use lyzr_chat_server::{app, serve, AgentStats, ServerConfig};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

pub mod axe;

/// How long a wait for something on the page may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e/ sits in the workspace")
        .to_path_buf()
}

fn scratch_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = workspace_root().join("target/e2e-scratch").join(format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Where screenshots taken by tests go (`target/e2e-screenshots/`).
pub fn screenshot_dir() -> PathBuf {
    let dir = workspace_root().join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("create screenshot dir");
    dir
}

/// The strict Content-Security-Policy of issue 5, and the same without
/// `'wasm-unsafe-eval'` (to see the loader explain the block).
pub const STRICT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; connect-src 'self'; img-src 'self' blob: data:; require-trusted-types-for 'script'";
pub const NO_WASM_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' blob: data:; require-trusted-types-for 'script'";

/// Host pages for the embed tests (`e2e/pages`) at `/e2e/`; the ones under
/// `/e2e/csp/` and `/e2e/csp-nowasm/` are served with a strict CSP header.
fn test_pages(router: axum::Router) -> axum::Router {
    use axum::http::{header, HeaderValue};
    use tower_http::services::ServeDir;
    use tower_http::set_header::SetResponseHeader;
    let pages = workspace_root().join("e2e/pages");
    let with_csp = |dir: &str, csp: &'static str| {
        SetResponseHeader::overriding(
            ServeDir::new(pages.join(dir)),
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        )
    };
    router
        .nest_service("/e2e/csp", with_csp("csp", STRICT_CSP))
        .nest_service("/e2e/csp-nowasm", with_csp("csp-nowasm", NO_WASM_CSP))
        .nest_service("/e2e", ServeDir::new(&pages))
}

/// `/held/`: the built widget again, its wasm held back until
/// [`Harness::release_wasm`], to see a page as it is before the wasm is up
/// (however fast the machine). `/held-chunk/`: the same with only the wasm
/// chunk (`lyzr-chat-widget_markdown.wasm`, fetched when the visitor starts
/// writing) held, until [`Harness::release_chunk`].
fn held_widget(
    router: axum::Router,
    dist: &std::path::Path,
    released: tokio::sync::watch::Receiver<bool>,
    chunk_released: tokio::sync::watch::Receiver<bool>,
) -> axum::Router {
    let router = hold(router, "/held", dist, released, ".wasm");
    hold(
        router,
        "/held-chunk",
        dist,
        chunk_released,
        "_markdown.wasm",
    )
}

/// `dist` served again under `prefix`, the files whose path ends with
/// `suffix` held back until `released` turns true.
fn hold(
    router: axum::Router,
    prefix: &str,
    dist: &std::path::Path,
    released: tokio::sync::watch::Receiver<bool>,
    suffix: &'static str,
) -> axum::Router {
    use axum::{extract::Request, middleware::Next};
    let held = axum::Router::new()
        .fallback_service(tower_http::services::ServeDir::new(dist))
        .layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let mut released = released.clone();
                async move {
                    if request.uri().path().ends_with(suffix) {
                        let _ = released.wait_for(|r| *r).await;
                    }
                    next.run(request).await
                }
            },
        ));
    router.nest(prefix, held)
}

/// One running server and one browser session.
pub struct Harness {
    pub client: Client,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    pub stats: AgentStats,
    /// Path (and query) of every request the server received, in order.
    pub requests: RequestLog,
    driver: Child,
    shutdown: Option<oneshot::Sender<()>>,
    wasm_gate: tokio::sync::watch::Sender<bool>,
    chunk_gate: tokio::sync::watch::Sender<bool>,
}

/// The built widget the tests serve: `LYZR_CHAT_DIST`, else `<workspace>/dist`.
pub fn dist_dir() -> PathBuf {
    std::env::var_os("LYZR_CHAT_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"))
}

/// A copy of the built widget in a scratch folder, for tests that alter it.
pub fn dist_copy(name: &str) -> PathBuf {
    let from = dist_dir();
    let to = scratch_dir(name);
    for entry in std::fs::read_dir(&from).expect("read dist") {
        let entry = entry.expect("dist entry");
        if entry.file_type().expect("file type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy dist file");
        }
    }
    to
}

impl Harness {
    /// Starts the local agent server accepting `api_key`, and a browser.
    pub async fn start(api_key: &str) -> Harness {
        Self::start_serving(api_key, dist_dir()).await
    }

    /// [`start`](Self::start), serving the widget from `dist`.
    pub async fn start_serving(api_key: &str, dist: PathBuf) -> Harness {
        assert!(
            dist.join("index.html").is_file(),
            "{} holds no built widget: run `trunk build --release` first (scripts/test.sh does)",
            dist.display()
        );
        let (wasm_gate, released) = tokio::sync::watch::channel(false);
        let (chunk_gate, chunk_released) = tokio::sync::watch::channel(false);
        let held_dist = dist.clone();
        let config = ServerConfig {
            api_key: api_key.to_string(),
            dist,
            ..ServerConfig::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind server");
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let (router, stats) = app(&config);
        let router = held_widget(test_pages(router), &held_dist, released, chunk_released);
        // Nothing is cached: every fetch the page makes reaches the request log,
        // however many times a test loads a page.
        let router = router.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        ));
        let requests = RequestLog::default();
        let router = requests.record(router);
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(serve(listener, router, async {
            let _ = rx.await;
        }));

        let (driver, client) = start_browser().await;
        Harness {
            client,
            base_url,
            stats,
            requests,
            driver,
            shutdown: Some(tx),
            wasm_gate,
            chunk_gate,
        }
    }

    /// Lets the wasm of `/held/` through (see [`held_widget`]).
    pub fn release_wasm(&self) {
        let _ = self.wasm_gate.send(true);
    }

    /// Lets the wasm chunk of `/held-chunk/` through (see [`held_widget`]).
    pub fn release_chunk(&self) {
        let _ = self.chunk_gate.send(true);
    }

    /// Loads a page of the server (`path` starts with `/`).
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base_url))
            .await
            .expect("load page");
    }

    /// The shadow root of the first mounted widget, once it is there.
    pub async fn widget(&self) -> ShadowRoot {
        let host = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css("[data-lyzr-chat]"))
            .await
            .expect("the widget's host element appears");
        host.shadow_root()
            .await
            .expect("the widget has a shadow root")
    }

    /// Whether `css` matches anything in `root` now.
    pub async fn has(&self, root: &ShadowRoot, css: &str) -> bool {
        !root
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
            .is_empty()
    }

    /// Waits until `css` matches at least `count` elements in `root`.
    pub async fn wait_for_count(&self, root: &ShadowRoot, css: &str, count: usize) -> Vec<Element> {
        let deadline = Instant::now() + WAIT;
        loop {
            let found = root.find_all(Locator::Css(css)).await.unwrap_or_default();
            if found.len() >= count {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "waited {WAIT:?} for {count} x `{css}`, found {}",
                found.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clears the site's storage from a page without the widget (a widget
    /// page saves its conversation again as it unloads).
    pub async fn clear_storage(&self) {
        self.goto("/e2e/blank.html").await;
        self.js("localStorage.clear(); sessionStorage.clear()")
            .await;
    }

    /// Loads the demo page and opens the widget.
    pub async fn open_widget(&self) -> ShadowRoot {
        self.goto("/").await;
        let root = self.widget().await;
        // The widget's own launcher (the panel is drawn by the wasm only; the
        // loader's stand-in launcher goes when it mounts).
        self.wait_for_count(&root, ".lc-panel", 1).await;
        root.find(Locator::Css(".lc-root .lc-launcher"))
            .await
            .expect("launcher")
            .click()
            .await
            .expect("click launcher");
        self.wait_for_count(&root, ".lc-panel:not([hidden])", 1)
            .await;
        root
    }

    /// Replaces the page's widget with `LyzrChat.init(options)` (`options`:
    /// a JavaScript object literal) and waits until its composer is there.
    pub async fn remount(&self, options: &str) -> ShadowRoot {
        self.widget().await;
        self.js(&format!(
            "LyzrChat.instances[0].destroy(); LyzrChat.init({options}); return true;"
        ))
        .await;
        let root = self.widget().await;
        self.wait_for_count(&root, ".lc-input", 1).await; // the wasm has taken over
        root
    }

    /// Puts `text` in the composer (as an input event) and presses Enter.
    pub async fn type_and_send(&self, root: &ShadowRoot, text: &str) {
        self.type_and_send_in(root, "[data-lyzr-chat]", text).await;
    }

    /// [`type_and_send`](Self::type_and_send) for the widget whose host
    /// element matches `host_css`.
    pub async fn type_and_send_in(&self, root: &ShadowRoot, host_css: &str, text: &str) {
        self.client
            .execute(
                "const i = document.querySelector(arguments[0]).shadowRoot.querySelector('.lc-input');\
                 i.value = arguments[1]; i.dispatchEvent(new Event('input'));",
                vec![json!(host_css), json!(text)],
            )
            .await
            .expect("fill the composer");
        let input = root
            .find(Locator::Css(".lc-input"))
            .await
            .expect("composer");
        // A widget that starts open is built hidden under the loader's
        // stand-in panel until the frame that hands over (`.lc-wait`): keys
        // go to it once it shows.
        self.wait_until("the composer to show", || async {
            input.is_displayed().await.unwrap_or(false)
        })
        .await;
        input.send_keys("\u{E007}").await.expect("press Enter");
    }

    /// The composer's current text.
    pub async fn composer_text(&self, root: &ShadowRoot) -> String {
        let input = root
            .find(Locator::Css(".lc-input"))
            .await
            .expect("composer");
        input
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// The text of every element matching `css`.
    pub async fn texts(&self, root: &ShadowRoot, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for el in root.find_all(Locator::Css(css)).await.expect("find") {
            out.push(el.text().await.expect("text"));
        }
        out
    }

    /// Waits until `check` holds, polling every 25 ms (fails after [`WAIT`]).
    pub async fn wait_until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + WAIT;
        while !check().await {
            assert!(Instant::now() < deadline, "waited {WAIT:?} for {what}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Runs `script` in the page and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("run script")
    }

    /// Saves a PNG of the viewport as `target/e2e-screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Every URL the browser asked for since the session began, on any host,
    /// including requests that failed (from Chromium's performance log: the
    /// DevTools `Network.requestWillBeSent` events). Each call returns the
    /// requests seen since the previous call.
    pub async fn browser_requests(&self) -> Vec<String> {
        self.devtools_events("Network.requestWillBeSent")
            .await
            .into_iter()
            .filter_map(|(_, params)| Some(params["request"]["url"].as_str()?.to_string()))
            .collect()
    }

    /// Sends a Chrome DevTools Protocol command to the page (through
    /// chromedriver's `goog/cdp/execute`) and returns its result.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(SessionPost(
                "goog/cdp/execute",
                json!({ "cmd": cmd, "params": params }),
            ))
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd} failed: {e}"))
    }

    /// Presses `keys` together on whatever has focus, as a keyboard would
    /// (WebDriver key actions): each goes down in order, then up in reverse,
    /// so `['\u{E008}', '\u{E004}']` is Shift+Tab.
    pub async fn press(&self, keys: &[char]) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for &value in keys {
            actions = actions.then(KeyAction::Down { value });
        }
        for &value in keys.iter().rev() {
            actions = actions.then(KeyAction::Up { value });
        }
        self.client
            .perform_actions(actions)
            .await
            .expect("press keys");
    }

    /// Every DevTools `Network` event whose method starts with `prefix`
    /// since the previous read of the performance log, as (method, params)
    /// (e.g. `Network.webSocket` for sockets opened and frames received).
    pub async fn devtools_events(&self, prefix: &str) -> Vec<(String, Value)> {
        let entries = self
            .client
            .issue_cmd(SessionPost("se/log", json!({ "type": "performance" })))
            .await
            .expect("read the performance log");
        let mut out = Vec::new();
        for entry in entries.as_array().into_iter().flatten() {
            let Some(message) = entry["message"].as_str() else {
                continue;
            };
            let Ok(event) = serde_json::from_str::<Value>(message) else {
                continue;
            };
            if let Some(method) = event["message"]["method"].as_str() {
                if method.starts_with(prefix) {
                    out.push((method.to_string(), event["message"]["params"].clone()));
                }
            }
        }
        out
    }

    /// Closes the browser and stops the server.
    pub async fn finish(mut self) {
        let _ = self.client.clone().close().await;
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // chromedriver leads its own process group: end it with its browsers.
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A chromedriver command of the session: `POST /session/{id}/{path}` with
/// a JSON body (`se/log` for the browser's logs, `goog/cdp/execute` for
/// DevTools Protocol commands).
#[derive(Debug)]
struct SessionPost(&'static str, Value);

impl fantoccini::wd::WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.0
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.1.to_string()))
    }
}

/// Every request path the test server saw: lets tests prove a page did (or
/// did not) fetch a URL. A layer around the whole app, so the agent's own
/// code is untouched.
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Vec<String>>>);

impl RequestLog {
    fn record(&self, router: axum::Router) -> axum::Router {
        let log = self.clone();
        router.layer(axum::middleware::map_request(
            move |req: axum::extract::Request| {
                let log = log.clone();
                async move {
                    let path = req
                        .uri()
                        .path_and_query()
                        .map_or_else(|| req.uri().path().to_string(), |p| p.to_string());
                    log.0.lock().unwrap().push(path);
                    req
                }
            },
        ))
    }

    /// The paths seen so far that start with `prefix`.
    pub fn matching(&self, prefix: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.starts_with(prefix))
            .cloned()
            .collect()
    }
}

async fn start_browser() -> (Child, Client) {
    let chromedriver =
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chrome = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("find a free port");
        probe.local_addr().unwrap().port()
    };
    let scratch = scratch_dir("chrome");
    let driver = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .env("TMPDIR", &scratch)
        .env("XDG_CONFIG_HOME", scratch.join("config"))
        .env("XDG_CACHE_HOME", scratch.join("cache"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start {chromedriver}: {e} (install Debian's chromium-driver)"));

    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    // Network events, for `browser_requests`.
    capabilities.insert("goog:loggingPrefs".into(), json!({ "performance": "ALL" }));

    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chrome,
            "perfLoggingPrefs": { "enableNetwork": true, "enablePage": false },
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
                "--window-size=1024,768", "--force-device-scale-factor=1",
                format!("--user-data-dir={}", scratch.join("profile").display()),
            ]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + WAIT;
    loop {
        let attempt = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await;
        match attempt {
            Ok(client) => return (driver, client),
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("could not start a browser session via {chromedriver}: {e}"),
        }
    }
}
