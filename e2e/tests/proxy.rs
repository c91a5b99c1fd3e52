//! Production setup end to end: the widget on a page that holds no key,
//! configured with only the proxy's URL, chatting through proxy -> local agent.

use fantoccini::Locator;
use lyzr_chat_e2e::{Harness, WAIT};
use lyzr_chat_server::proxy::{self, LogSink, ProxyConfig};
use std::time::Instant;
use tokio::net::TcpListener;

/// The account key: only the agent and the proxy know it.
const SECRET: &str = "e2e-account-key-that-stays-on-the-server";
const ENTER: &str = "\u{E007}";

#[tokio::test]
async fn widget_with_only_the_proxy_url_chats_through_the_proxy() {
    let h = Harness::start(SECRET).await;
    let mut config =
        ProxyConfig::new(&h.base_url, SECRET, &[h.base_url.as_str()], &["demo-agent"]).unwrap();
    let (sink, logs) = LogSink::memory();
    config.log = sink;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(proxy::serve(
        listener,
        proxy::router(config),
        std::future::pending(),
    ));

    // The demo page mounts with its public demo key, which this agent
    // refuses; replace that widget with one that knows only the proxy.
    h.goto("/").await;
    let root = h
        .remount(&format!(
            r#"{{ agentId: "demo-agent", apiUrl: "{proxy_url}", open: true }}"#
        ))
        .await;
    let composer = root
        .find(Locator::Css(".lc-input"))
        .await
        .expect("composer");
    composer.send_keys("Through the proxy").await.unwrap();
    composer.send_keys(ENTER).await.unwrap();

    let deadline = Instant::now() + WAIT;
    let reply = loop {
        let mut found = None;
        // The answer streams through the proxy: wait until it is complete.
        for el in root
            .find_all(Locator::Css(
                ".lc-agent:not(.lc-streaming):not(.lc-pending)",
            ))
            .await
            .unwrap()
        {
            let text = el.text().await.unwrap_or_default();
            if text.contains("\u{201c}Through the proxy\u{201d}") {
                found = Some(text);
            }
        }
        if let Some(text) = found {
            break text;
        }
        let errors = root.find_all(Locator::Css(".lc-error")).await.unwrap();
        if let Some(e) = errors.first() {
            panic!("the widget shows an error: {}", e.text().await.unwrap());
        }
        assert!(Instant::now() < deadline, "no reply within {WAIT:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(reply.contains("to agent demo-agent"), "{reply}");
    assert_eq!(h.stats.message_posts(), 1, "one POST reached the agent");
    assert_eq!(
        h.stats.stream_posts(),
        1,
        "the stream call went through the proxy"
    );

    let html = h.js("return document.documentElement.outerHTML").await;
    assert!(
        !html.as_str().unwrap().contains(SECRET),
        "no key in the page"
    );
    let logs = logs.lock().unwrap().join("\n");
    assert!(
        logs.contains(r#""status":204"#),
        "the browser's preflight was answered: {logs}"
    );
    assert!(
        logs.contains(r#""status":200"#) && logs.contains(&h.base_url),
        "{logs}"
    );
    h.screenshot("through-proxy").await;
    h.finish().await;
}
