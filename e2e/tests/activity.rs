//! The agent at work (issue 13 §2): steps from the events socket shown live
//! before and while the answer streams, folded into "How I got this" after;
//! `activity` events for the host page; a refused, dropped or malformed
//! channel never touching the answer; `activity: false` opening no socket;
//! and through the proxy, no account key in any socket URL or frame.

use fantoccini::elements::ShadowRoot;
use fantoccini::Locator;
use lyzr_chat_e2e::{workspace_root, Harness, WAIT};
use lyzr_chat_server::proxy::{self, LogSink, ProxyConfig};
use lyzr_chat_server::DEMO_API_KEY;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// A page-side record of every socket the widget opens (its URL) and every
/// frame it receives, and of the widget's console warnings.
const WATCH: &str = r#"
    window.__ws = []; window.__frames = []; window.__warnings = []; window.__activity = [];
    const Real = window.WebSocket;
    window.WebSocket = function (url, protocols) {
        window.__ws.push(String(url));
        const socket = protocols === undefined ? new Real(url) : new Real(url, protocols);
        socket.addEventListener('message', e => window.__frames.push(String(e.data)));
        return socket;
    };
    const warn = console.warn.bind(console);
    console.warn = (...args) => { window.__warnings.push(args.join(' ')); warn(...args); };
    LyzrChat.instances[0].on('activity', d => window.__activity.push(d));
    return true;
"#;

/// What the panel shows now, read in one go: the steps of the waiting
/// bubble, the live steps of a streaming answer, and the answer's text.
const SNAPSHOT: &str = r#"
    const root = document.querySelector('[data-lyzr-chat]').shadowRoot;
    const texts = css => [...root.querySelectorAll(css)].map(e => e.textContent);
    // A step reads "✓ Thinking": the mark apart.
    const steps = css => texts(css).map(t => t.replace(/^[✓○✕] /, ''));
    return {
        live: steps('.lc-agent.lc-streaming .lc-activity li'),
        marks: texts('.lc-activity li').map(t => t[0]).join(''),
        answer: texts('.lc-agent:not(.lc-welcome):not(.lc-pending) .lc-text').join(''),
        folded: steps('.lc-agent:not(.lc-streaming) details.lc-activity li'),
        summary: texts('.lc-agent:not(.lc-streaming) details.lc-activity > summary').join('|'),
        open: [...root.querySelectorAll('details.lc-activity')].some(d => d.open),
        errors: texts('.lc-error').length,
        // Shown, not only in the DOM (a closed <details> hides its list).
        shown: [...root.querySelectorAll('.lc-activity li')].filter(e => e.checkVisibility()).length,
        done: !root.querySelector('.lc-streaming, .lc-pending, .lc-sending'),
    };
"#;

async fn snapshot(h: &Harness) -> Value {
    h.js(SNAPSHOT).await
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// A fresh demo page (storage cleared), its widget open and watched.
async fn fresh(h: &Harness) -> ShadowRoot {
    h.clear_storage().await;
    let root = h.open_widget().await;
    h.js(WATCH).await;
    root
}

async fn session(h: &Harness) -> String {
    h.js("return LyzrChat.instances[0].sessionId")
        .await
        .as_str()
        .expect("a session id")
        .to_string()
}

/// Waits for the complete answer and returns the last snapshot.
async fn until_done(h: &Harness, expected: &str) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let s = snapshot(h).await;
        if s["done"] == true && s["answer"].as_str() == Some(expected) {
            return s;
        }
        assert!(Instant::now() < deadline, "no complete answer: {s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn steps_show_before_the_first_token_and_fold_after_the_answer() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    let answer = "It is 18 degrees and clear in Paris today";
    h.type_and_send(
        &root,
        &format!("/fault events-gap=300 drip=120 -- /echo {answer}"),
    )
    .await;

    // Before any answer text: the answer's bubble lists the steps, live.
    let deadline = Instant::now() + WAIT;
    // Some snapshot shows a step under way: the last one, ending with "…".
    let mut under_way = Vec::new();
    let before = loop {
        let s = snapshot(&h).await;
        let live = strings(&s["live"]);
        if live.last().is_some_and(|l| l.ends_with('…')) {
            under_way = live.clone();
        }
        if live.iter().any(|w| w.starts_with("Calling get_weather")) {
            assert_eq!(s["answer"], "", "steps come before the first token: {s}");
            assert_eq!(s["shown"], json!(live.len()), "visible: {s}");
            break live;
        }
        assert!(Instant::now() < deadline, "no steps before the answer: {s}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    };
    h.screenshot("activity-waiting").await;
    assert!(
        before.contains(&"Searching the knowledge base".to_string()),
        "human names, done steps without an ellipsis: {before:?}"
    );
    assert!(
        !under_way.is_empty()
            && under_way[..under_way.len() - 1]
                .iter()
                .all(|s| !s.ends_with('…')),
        "only the step under way ends with an ellipsis: {under_way:?}"
    );
    assert!(
        before
            .iter()
            .all(|s| !s.contains('{') && !s.contains("knowledge_base") && !s.contains("tool_call")),
        "no raw JSON or event types: {before:?}"
    );

    // While the answer streams, the steps stay above it, live.
    let deadline = Instant::now() + WAIT;
    loop {
        let s = snapshot(&h).await;
        let text = s["answer"].as_str().unwrap_or_default();
        if !text.is_empty() && text.len() < answer.len() {
            let live = strings(&s["live"]);
            assert!(
                live.iter().any(|l| l == "Calling get_weather"),
                "the streaming answer shows its steps: {s}"
            );
            assert_eq!(s["shown"], json!(strings(&s["live"]).len()), "visible: {s}");
            h.screenshot("activity-streaming").await;
            break;
        }
        assert!(Instant::now() < deadline, "never saw a partial answer: {s}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Complete: folded into a closed "How I got this".
    let s = until_done(&h, answer).await;
    assert_eq!(s["summary"], "How I got this", "{s}");
    assert_eq!(s["open"], false, "folded: {s}");
    assert_eq!(s["shown"], 0, "folded steps are hidden: {s}");
    assert!(strings(&s["live"]).is_empty(), "{s}");
    let folded = strings(&s["folded"]);
    assert_eq!(
        folded,
        [
            "Recalling the conversation",
            "Searching the knowledge base",
            "Thinking",
            "Calling get_weather",
            "Writing the answer",
        ],
        "{s}"
    );
    assert_eq!(s["marks"], "✓✓✓✓✓", "every step done: {s}");

    // The screenshot for the README: the answer with its steps unfolded.
    root.find(Locator::Css("details.lc-activity > summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    h.js("document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-messages').scrollTop = 1e6; return true")
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let shot = h.screenshot("activity").await;
    std::fs::copy(&shot, workspace_root().join("docs/activity.png")).expect("copy to docs/");

    // The host page got one `activity` event per event, with the step's words.
    let activity = h.js("return window.__activity").await;
    let events = activity.as_array().unwrap();
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    for t in [
        "agent_process_start",
        "knowledge_base_retrieval",
        "tool_call_prepare",
        "tool_response",
        "llm_response",
    ] {
        assert!(types.contains(&t), "{t} in {types:?}");
    }
    let tool = events
        .iter()
        .find(|e| e["type"] == "tool_call_prepare")
        .unwrap();
    assert_eq!(tool["toolName"], "get_weather", "{tool}");
    assert_eq!(tool["step"], "Calling get_weather", "{tool}");
    assert_eq!(tool["sessionId"].as_str(), Some(session(&h).await.as_str()));
    // agent_process_end trails the answer, within the grace period.
    h.wait_until("agent_process_end reaches the page", || async {
        h.js("return window.__activity.some(e => e.type === 'agent_process_end')")
            .await
            == json!(true)
    })
    .await;
    assert!(
        strings(&h.js("return window.__warnings").await)
            .iter()
            .all(|w| !w.contains("activity")),
        "a healthy channel writes no console note"
    );
    h.finish().await;
}

/// Refused, dropped mid-way, malformed: the answer arrives whole and
/// unmarked, the visitor sees no error, the site owner one console note.
#[tokio::test]
async fn a_broken_event_channel_leaves_the_answer_intact() {
    let h = Harness::start(DEMO_API_KEY).await;
    let answer = "the answer arrives whole and in order, word by word";
    for fault in ["refused", "events=drop", "events=malformed"] {
        let root = fresh(&h).await;
        let session = session(&h).await;
        let spec = if fault == "refused" {
            let scripted = h
                .js(&format!(
                    r#"return fetch('/test/events-fault', {{method: 'POST',
                        headers: {{'content-type': 'application/json', 'x-api-key': '{DEMO_API_KEY}'}},
                        body: JSON.stringify({{session_id: '{session}', fault: 'status=403'}})
                    }}).then(r => r.status)"#
                ))
                .await;
            assert_eq!(scripted, 200, "scripting the refusal");
            String::new()
        } else {
            fault.to_string()
        };
        h.type_and_send(
            &root,
            &format!("/fault {spec} events-gap=400 drip=120 -- /echo {answer}"),
        )
        .await;
        let s = until_done(&h, answer).await;
        assert_eq!(s["errors"], 0, "{fault}: no error for the visitor: {s}");
        assert!(
            !h.has(&root, ".lc-failed, .lc-stopped, .lc-interrupted")
                .await,
            "{fault}: the answer is not marked"
        );
        // Give trailing notes and reconnects time to happen.
        tokio::time::sleep(Duration::from_millis(600)).await;
        let warnings: Vec<String> = strings(&h.js("return window.__warnings").await)
            .into_iter()
            .filter(|w| w.contains("agent-activity socket"))
            .collect();
        assert_eq!(warnings.len(), 1, "{fault}: one console note: {warnings:?}");
        assert!(
            warnings[0].contains("answers are not affected"),
            "{warnings:?}"
        );
        let opened = h.stats.events.opened(&session);
        match fault {
            // Refused: tried again with backoff while the answer was pending.
            "refused" => {
                assert!(
                    strings(&h.js("return window.__ws").await).len() >= 2,
                    "{fault}"
                );
                assert!(strings(&s["folded"]).is_empty(), "{fault}: no steps: {s}");
            }
            // Dropped after two events: opened again, and later steps arrive.
            "events=drop" => {
                assert!(opened >= 2, "{fault}: reconnected ({opened} sockets)");
                let folded = strings(&s["folded"]);
                assert!(
                    folded.contains(&"Calling get_weather".to_string()),
                    "{fault}: steps after the reconnect: {folded:?}"
                );
            }
            // Every other frame broken: the good ones still make steps.
            _ => {
                assert!(!strings(&s["folded"]).is_empty(), "{fault}: {s}");
                let broken = strings(&h.js("return window.__frames").await)
                    .iter()
                    .filter(|f| serde_json::from_str::<Value>(f).is_err())
                    .count();
                assert!(broken > 0, "{fault}: the page got broken frames");
            }
        }
    }
    h.finish().await;
}

#[tokio::test]
async fn activity_false_opens_no_socket() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    h.goto("/").await;
    let root = h
        .remount(&format!(
            r#"{{ agentId: "demo-agent", apiKey: "{DEMO_API_KEY}", activity: false, open: true }}"#
        ))
        .await;
    h.js(WATCH).await;
    let session = session(&h).await;
    let answer = "no socket for this one";
    h.type_and_send(&root, &format!("/fault drip=30 -- /echo {answer}"))
        .await;
    let s = until_done(&h, answer).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.js("return window.__ws.length").await, 0, "{s}");
    assert_eq!(h.stats.events.opened(&session), 0);
    assert_eq!(h.js("return window.__activity.length").await, 0);
    assert!(strings(&s["folded"]).is_empty());
    // The same page with activity on does open one (the check can fail).
    let root = h
        .remount(&format!(
            r#"{{ agentId: "demo-agent", apiKey: "{DEMO_API_KEY}", open: true }}"#
        ))
        .await;
    h.type_and_send(&root, &format!("/echo {answer}")).await;
    h.wait_until("a socket", || async {
        h.js("return window.__ws.length").await != 0
    })
    .await;
    h.finish().await;
}

/// The socket opens while the visitor writes, so the send does not wait
/// for its handshake; the send then uses that socket, not a second one.
#[tokio::test]
async fn the_socket_opened_while_typing_serves_the_send() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    let session = session(&h).await;
    assert_eq!(
        h.js("return window.__ws.length").await,
        0,
        "none before typing"
    );
    let answer = "steps on the socket opened while typing";
    h.js(&format!(
        r#"const i = document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-input');
           i.value = "/fault events-gap=100 -- /echo {answer}"; i.dispatchEvent(new Event('input'));
           return true;"#
    ))
    .await;
    h.wait_until("the socket opened by typing", || async {
        h.stats.events.opened(&session) == 1
    })
    .await;
    // More keystrokes open nothing more.
    h.js("const i = document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-input');\
          i.dispatchEvent(new Event('input')); return true;")
        .await;
    let input = root
        .find(Locator::Css(".lc-input"))
        .await
        .expect("composer");
    input.send_keys("\u{E007}").await.expect("press Enter");
    let s = until_done(&h, answer).await;
    assert!(!strings(&s["folded"]).is_empty(), "its steps came: {s}");
    assert_eq!(
        h.js("return window.__ws.length").await,
        1,
        "one socket: {s}"
    );
    assert_eq!(h.stats.events.opened(&session), 1);
    h.finish().await;
}

/// Production: the page knows only the proxy. The socket goes to the
/// proxy, which adds the account key upstream; neither the socket's URL nor
/// any frame the browser receives holds it.
#[tokio::test]
async fn through_the_proxy_the_browser_never_sees_the_key() {
    const SECRET: &str = "e2e-account-key-never-in-the-browser";
    let h = Harness::start(SECRET).await;
    let mut config =
        ProxyConfig::new(&h.base_url, SECRET, &[h.base_url.as_str()], &["demo-agent"]).unwrap();
    config.events_upstream =
        proxy::events::parse_events_upstream(&h.base_url.replacen("http", "ws", 1)).unwrap();
    config.log = LogSink::memory().0;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(proxy::serve(
        listener,
        proxy::router(config),
        std::future::pending(),
    ));

    h.clear_storage().await;
    h.goto("/").await;
    let root = h
        .remount(&format!(
            r#"{{ agentId: "demo-agent", apiUrl: "{proxy_url}", open: true }}"#
        ))
        .await;
    h.js(WATCH).await;
    h.devtools_events("Network.").await; // drop what came before
    let answer = "through the proxy with steps";
    h.type_and_send(
        &root,
        &format!("/fault events-gap=100 drip=40 -- /echo {answer}"),
    )
    .await;
    let s = until_done(&h, answer).await;
    assert!(
        strings(&s["folded"]).contains(&"Calling get_weather".to_string()),
        "the steps came through the proxy: {s}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    let urls = strings(&h.js("return window.__ws").await);
    assert!(!urls.is_empty());
    let proxy_ws = proxy_url.replacen("http", "ws", 1);
    for url in &urls {
        assert!(
            url.starts_with(&proxy_ws),
            "the socket goes to the proxy: {url}"
        );
        assert!(!url.contains(SECRET), "no key in the socket URL: {url}");
    }
    let frames = strings(&h.js("return window.__frames").await);
    assert!(frames.len() >= 5, "frames were relayed: {frames:?}");
    assert!(frames.iter().all(|f| !f.contains(SECRET)));
    // The browser's own record (DevTools), not only the page's.
    let devtools = h.devtools_events("Network.webSocket").await;
    let created: Vec<&Value> = devtools
        .iter()
        .filter(|(m, _)| m == "Network.webSocketCreated")
        .map(|(_, p)| p)
        .collect();
    assert!(!created.is_empty(), "DevTools saw the socket");
    let received = devtools
        .iter()
        .filter(|(m, _)| m == "Network.webSocketFrameReceived")
        .count();
    assert!(received >= 5, "DevTools saw the frames ({received})");
    for (method, params) in &devtools {
        assert!(
            !params.to_string().contains(SECRET),
            "{method} holds the key: {params}"
        );
    }
    let html = h.js("return document.documentElement.outerHTML").await;
    assert!(!html.as_str().unwrap().contains(SECRET));
    h.finish().await;
}

/// Issue 13 §1 in the browser: a local tool round (no text) shows what the
/// agent asked for and reaches the host page as `tool-call`; the options
/// `responseFormat` and `setVariables({provider_overrides})` reach the agent.
#[tokio::test]
async fn a_local_tool_call_and_the_request_fields_of_lyzr_clients() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    h.goto("/").await;
    let root = h
        .remount(&format!(
            r#"{{ agentId: "demo-agent", apiKey: "{DEMO_API_KEY}", open: true,
                responseFormat: {{ type: "json_object" }} }}"#
        ))
        .await;
    h.js(r#"window.__calls = [];
            LyzrChat.instances[0].on("tool-call", d => window.__calls.push(d));
            return true;"#)
        .await;
    h.type_and_send(&root, "/fault tool-call=get_weather -- weather?")
        .await;
    let s = until_done(&h, "The agent asked to run get_weather").await;
    assert_eq!(s["errors"], 0, "{s}");
    assert!(
        h.has(&root, ".lc-agent .lc-text code").await,
        "the tool's name as code"
    );
    let calls = h.js("return window.__calls").await;
    assert_eq!(
        calls[0]["name"], "get_weather",
        "the host page got the call: {calls}"
    );
    assert_eq!(calls[0]["arguments"], json!({"city": "Paris"}), "{calls}");
    assert_eq!(
        calls[0]["sessionId"].as_str(),
        Some(session(&h).await.as_str())
    );

    // The fields reach the request body (the local agent names them).
    let set = h
        .js("return LyzrChat.instances[0].setVariables({ provider_overrides: { temperature: 0 } })")
        .await;
    assert_eq!(set, true);
    h.type_and_send(&root, "fields?").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let s = snapshot(&h).await;
        let text = s["answer"].as_str().unwrap_or_default().to_string();
        if s["done"] == true && text.contains("fields?") {
            assert!(text.contains("Response format: type."), "{text}");
            assert!(text.contains("Provider overrides: temperature."), "{text}");
            break;
        }
        assert!(Instant::now() < deadline, "no answer: {s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    h.finish().await;
}

/// Issue 12 §2: the agent's steps, their summary and what it asked for are
/// in the visitor's language (`locales/fr.json`), as is the `activity`
/// event's `step`.
#[tokio::test]
async fn the_agents_work_is_told_in_french() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    h.goto("/").await;
    let root = h
        .remount(&format!(
            r#"{{ agentId: "demo-agent", apiKey: "{DEMO_API_KEY}", open: true, locale: "fr" }}"#
        ))
        .await;
    h.js(WATCH).await;
    h.type_and_send(&root, "/echo Il fait beau").await;
    let s = until_done(&h, "Il fait beau").await;
    assert_eq!(s["summary"], "Comment j’ai obtenu cette réponse", "{s}");
    assert_eq!(
        strings(&s["folded"]),
        [
            "Relecture de la conversation",
            "Recherche dans la base de connaissances",
            "Réflexion",
            "Appel de get_weather",
            "Rédaction de la réponse",
        ],
        "{s}"
    );
    let events = h.js("return window.__activity").await;
    assert!(
        events
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["step"] == "Appel de get_weather"),
        "the host page gets the visitor's words: {events}"
    );
    h.type_and_send(&root, "/fault tool-call=get_weather -- météo ?")
        .await;
    let deadline = Instant::now() + WAIT;
    loop {
        let s = snapshot(&h).await;
        let answer = s["answer"].as_str().unwrap_or_default();
        if s["done"] == true && answer.ends_with("L’agent a demandé d’exécuter get_weather") {
            break;
        }
        assert!(Instant::now() < deadline, "no French tool call: {s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    h.screenshot("activity-fr").await;
}
