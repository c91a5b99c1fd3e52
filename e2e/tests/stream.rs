//! Streaming, Stop, the chat fallback, and every scripted fault ending in its
//! documented state with the visitor's text kept, one POST per send.

use fantoccini::elements::ShadowRoot;
use fantoccini::Locator;
use lyzr_chat_e2e::Harness;
use lyzr_chat_server::DEMO_API_KEY;
use std::time::Duration;

/// The text of the newest answer (not the typing dots, not the welcome:
/// while the agent's steps show, no answer bubble exists yet).
async fn last_answer(h: &Harness, root: &ShadowRoot) -> String {
    h.texts(root, ".lc-agent:not(.lc-pending):not(.lc-welcome) .lc-text")
        .await
        .pop()
        .unwrap_or_default()
}

/// A fresh page: storage cleared, widget open.
async fn fresh(h: &Harness) -> ShadowRoot {
    h.clear_storage().await;
    h.open_widget().await
}

#[tokio::test]
async fn answer_streams_in_progressively_then_completes() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    let full = "one two three four five six seven eight nine ten";
    h.type_and_send(&root, &format!("/fault drip=150 -- /echo {full}"))
        .await;

    // An intermediate state: part of the answer shown, still streaming.
    let deadline = std::time::Instant::now() + lyzr_chat_e2e::WAIT;
    let partial = loop {
        let text = last_answer(&h, &root).await;
        if !text.is_empty()
            && text.len() < full.len()
            && h.has(&root, ".lc-agent.lc-streaming").await
        {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never saw a partial answer"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(full.starts_with(partial.trim_end()), "{partial:?}");
    assert!(
        h.has(&root, ".lc-stop").await,
        "Stop is offered while streaming"
    );
    assert!(
        h.has(&root, ".lc-agent.lc-streaming[aria-busy='true']")
            .await,
        "a streaming answer is aria-busy"
    );

    h.wait_until("the whole answer", || async {
        last_answer(&h, &root).await == full
    })
    .await;
    h.wait_until("streaming to end", || async {
        !h.has(&root, ".lc-streaming").await
    })
    .await;
    assert!(h.has(&root, ".lc-send").await);
    assert!(!h.has(&root, "[aria-busy]").await, "not busy once complete");
    assert_eq!((h.stats.stream_posts(), h.stats.chat_posts()), (1, 0));
    assert_eq!(
        h.composer_text(&root).await,
        "",
        "accepted text leaves the composer"
    );
    h.finish().await;
}

#[tokio::test]
async fn stop_keeps_the_partial_answer_and_tells_the_server() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    let words: Vec<String> = (1..=60).map(|i| format!("w{i}")).collect();
    h.type_and_send(
        &root,
        &format!("/fault drip=100 -- /echo {}", words.join(" ")),
    )
    .await;
    h.wait_until("some answer", || async {
        last_answer(&h, &root).await.len() > 6
    })
    .await;
    root.find(Locator::Css(".lc-stop"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    h.wait_for_count(&root, ".lc-agent.lc-stopped", 1).await;
    let stopped = last_answer(&h, &root).await;
    assert!(stopped.starts_with("w1 w2"), "{stopped}");
    assert!(stopped.len() < words.join(" ").len());
    assert!(h.texts(&root, ".lc-agent.lc-stopped .lc-note").await[0].contains("Stopped"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        last_answer(&h, &root).await,
        stopped,
        "nothing arrives after Stop"
    );
    let session: String = h
        .js("return LyzrChat.instances[0].sessionId")
        .await
        .as_str()
        .unwrap()
        .into();
    h.wait_until("the stop call", || async { h.stats.stops(&session) == 1 })
        .await;
    assert!(
        h.texts(&root, ".lc-error").await.is_empty(),
        "Stop is not an error"
    );
    assert!(h.has(&root, ".lc-send").await, "ready for the next message");
    h.screenshot("stopped").await;
    h.finish().await;
}

#[tokio::test]
async fn falls_back_to_chat_when_the_stream_call_is_unavailable() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    h.type_and_send(
        &root,
        "/fault stream-status=404 -- /echo answered by the chat call",
    )
    .await;
    h.wait_until("the answer", || async {
        last_answer(&h, &root).await == "answered by the chat call"
    })
    .await;
    assert_eq!((h.stats.stream_posts(), h.stats.chat_posts()), (1, 1));
    assert!(h.texts(&root, ".lc-error").await.is_empty());
    h.finish().await;
}

/// Faults the server answers before accepting anything: one POST, the
/// message marked "Not sent" with the reason, Retry and Edit, and the text
/// still in the composer.
#[tokio::test]
async fn refused_sends_keep_the_text_and_say_why() {
    let cases = [
        ("status=401", "not set up correctly"),
        ("status=403", "not set up correctly"),
        (
            "status=402",
            "busy or out of credits. Please try again in a moment",
        ),
        (
            "status=429",
            "busy or out of credits. Please try again in a moment",
        ),
        ("status=429 retry-after=120", "Please try again in 120 s"),
        (
            r#"status=422 detail="message: too long""#,
            "could not accept this message",
        ),
        ("status=400", "could not accept this message"),
        ("status=500", "had a problem answering"),
        ("status=503", "had a problem answering"),
    ];
    let h = Harness::start(DEMO_API_KEY).await;
    for (spec, expected) in cases {
        let root = fresh(&h).await;
        let before = h.stats.message_posts();
        let typed = format!("/fault {spec} -- keep me");
        h.type_and_send(&root, &typed).await;
        let error = h.wait_for_count(&root, ".lc-error", 1).await[0]
            .text()
            .await
            .unwrap();
        assert!(error.contains(expected), "{spec}: {error}");
        assert!(
            error.contains("(Server said:"),
            "{spec}: the server's reason is shown: {error}"
        );
        assert_eq!(
            h.composer_text(&root).await,
            typed,
            "{spec}: the text stays in the composer"
        );
        assert_eq!(
            h.texts(&root, ".lc-user.lc-failed .lc-text").await,
            std::slice::from_ref(&typed),
            "{spec}"
        );
        assert!(
            h.has(&root, ".lc-retry").await && h.has(&root, ".lc-edit").await,
            "{spec}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            h.stats.message_posts() - before,
            1,
            "{spec}: exactly one POST"
        );
    }
    h.finish().await;
}

/// Faults after the answer started: what arrived stays, the error says
/// what happened, and nothing is sent again by itself.
#[tokio::test]
async fn broken_streams_keep_what_arrived() {
    let cases = [
        ("drip=30 drop-after=3", "connection broke", "a b c"),
        ("drip=30 no-done", "ended early", "a b c d e f"),
        (
            r#"drip=30 error-after=2 detail="model crashed""#,
            "(Server said: model crashed)",
            "a b",
        ),
    ];
    let h = Harness::start(DEMO_API_KEY).await;
    for (spec, expected, partial) in cases {
        let root = fresh(&h).await;
        let before = h.stats.message_posts();
        let typed = format!("/fault {spec} -- /echo a b c d e f");
        h.type_and_send(&root, &typed).await;
        let error = h.wait_for_count(&root, ".lc-error", 1).await[0]
            .text()
            .await
            .unwrap();
        assert!(error.contains(expected), "{spec}: {error}");
        // The reply's markdown renders in its own effect, a frame apart.
        h.wait_until(
            &format!("{spec}: the partial answer {partial:?}"),
            || async { last_answer(&h, &root).await.trim_end() == partial },
        )
        .await;
        assert!(
            h.has(&root, ".lc-agent.lc-failed").await,
            "{spec}: the answer is marked incomplete"
        );
        assert_eq!(
            h.texts(&root, ".lc-user .lc-text").await,
            std::slice::from_ref(&typed),
            "{spec}: the question stays"
        );
        assert!(h.has(&root, ".lc-retry").await, "{spec}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            h.stats.message_posts() - before,
            1,
            "{spec}: never re-sent by itself"
        );
        if spec.contains("drop-after") {
            h.screenshot("dropped-mid-answer").await;
        }
    }
    h.finish().await;
}

#[tokio::test]
async fn escaped_tokens_and_split_characters_decode_exactly() {
    let text = r#"<b>bold</b> & "quoted" it's é 🎉 日本語 a\b"#;
    let h = Harness::start(DEMO_API_KEY).await;
    for spec in [
        "encoding=json",
        "encoding=entities",
        "encoding=unicode",
        "chunk=3",
        "chunk=1 encoding=entities",
    ] {
        let root = fresh(&h).await;
        h.type_and_send(&root, &format!("/fault drip=5 {spec} -- /echo {text}"))
            .await;
        let deadline = std::time::Instant::now() + lyzr_chat_e2e::WAIT;
        loop {
            let shown = last_answer(&h, &root).await;
            let done = h
                .has(
                    &root,
                    ".lc-user ~ .lc-agent:not(.lc-pending):not(.lc-streaming)",
                )
                .await;
            if done && shown == text {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{spec}: the answer reads {shown:?}, not {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    h.finish().await;
}

#[tokio::test]
async fn latency_shows_the_waiting_indicator() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    h.type_and_send(&root, "/fault latency=1500 -- /echo worth the wait")
        .await;
    h.wait_for_count(&root, ".lc-pending", 1).await;
    assert_eq!(
        h.texts(&root, ".lc-user.lc-sending .lc-note").await,
        ["Sending…"]
    );
    h.wait_until("the answer", || async {
        last_answer(&h, &root).await == "worth the wait"
    })
    .await;
    assert!(!h.has(&root, ".lc-pending").await);
    h.finish().await;
}

#[tokio::test]
async fn the_next_message_typed_while_one_is_on_its_way_stays_alone_in_the_composer() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    let sent = "/fault latency=1500 -- /echo first";
    h.type_and_send(&root, sent).await;
    // Not accepted yet: the sent text is kept; the visitor types on after it.
    h.js(
        "const i = document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-input');\
         i.value += '\\nand the next one'; i.dispatchEvent(new Event('input'));",
    )
    .await;
    assert_eq!(
        h.composer_text(&root).await,
        format!("{sent}\nand the next one")
    );
    h.wait_until("the answer", || async {
        last_answer(&h, &root).await == "first"
    })
    .await;
    assert_eq!(
        h.composer_text(&root).await,
        "and the next one",
        "the accepted text leaves the composer, what was typed after it stays"
    );
    // A send by the host page is not the composer's: a composer that only
    // starts with its text keeps all of it.
    let mine = "/echo api and my own words";
    h.js(&format!(
        "const i = document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-input');\
         i.value = {mine:?}; i.dispatchEvent(new Event('input'));\
         LyzrChat.instances[0].send('/echo api');"
    ))
    .await;
    h.wait_until("the host page's answer", || async {
        last_answer(&h, &root).await == "api"
    })
    .await;
    assert_eq!(h.composer_text(&root).await, mine);
    h.finish().await;
}

#[tokio::test]
async fn double_click_and_repeated_enter_send_once() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    h.js(
        "const r = document.querySelector('[data-lyzr-chat]').shadowRoot;\
         const i = r.querySelector('.lc-input'); i.value = 'once please'; i.dispatchEvent(new Event('input'));\
         const b = r.querySelector('.lc-send'); b.click(); b.click();\
         const enter = () => i.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true}));\
         enter(); enter();",
    )
    .await;
    h.wait_for_count(&root, ".lc-agent:not(.lc-pending):not(.lc-streaming)", 2)
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(h.stats.message_posts(), 1);
    assert_eq!(h.texts(&root, ".lc-user").await.len(), 1);
    h.finish().await;
}

#[tokio::test]
async fn retry_after_is_honoured_then_the_send_goes_through() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    h.type_and_send(
        &root,
        "/fault status=429 retry-after=2 times=1 -- /echo made it",
    )
    .await;
    let banner = h.wait_for_count(&root, ".lc-banner", 1).await[0]
        .text()
        .await
        .unwrap();
    assert!(
        banner.contains("Trying again in 3 seconds")
            || banner.contains("Trying again in 2 seconds"),
        "{banner}"
    );
    h.wait_until("the answer", || async {
        last_answer(&h, &root).await == "made it"
    })
    .await;
    let times = h.stats.post_times();
    assert_eq!(times.len(), 2, "the 429 and one retry");
    let gap = times[1] - times[0];
    assert!(
        gap >= Duration::from_secs(2),
        "retried after {gap:?}, before Retry-After"
    );
    assert!(h.texts(&root, ".lc-error").await.is_empty());
    h.finish().await;
}

#[tokio::test]
async fn thinking_and_files_are_shown_apart_from_the_answer() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    h.type_and_send(
        &root,
        r#"/echo <think>secret plan</think>Here is the report.<artifacts>[{"name":"report.pdf","file_url":"https://files.example.com/report.pdf","format_type":"pdf"},{"name":"x","file_url":"javascript:alert(1)"}]</artifacts>"#,
    )
    .await;
    h.wait_until("the answer", || async {
        last_answer(&h, &root).await == "Here is the report."
            && !h.has(&root, ".lc-streaming").await
    })
    .await;
    let summary = root
        .find(Locator::Css(".lc-thinking summary"))
        .await
        .unwrap();
    assert_eq!(summary.text().await.unwrap(), "Thought process");
    summary.click().await.unwrap();
    assert_eq!(h.texts(&root, ".lc-thinking-text").await, ["secret plan"]);
    let links = root.find_all(Locator::Css(".lc-file")).await.unwrap();
    assert_eq!(links.len(), 1, "the javascript: artifact is dropped");
    assert_eq!(
        links[0].attr("href").await.unwrap().as_deref(),
        Some("https://files.example.com/report.pdf")
    );
    h.screenshot("thinking-and-files").await;
    h.finish().await;
}

#[tokio::test]
async fn reload_restores_the_draft_and_unsent_messages() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    // A draft typed but not sent.
    let input = root.find(Locator::Css(".lc-input")).await.unwrap();
    input.send_keys("half-written thought").await.unwrap();
    let root = h.open_widget().await; // reload
    assert_eq!(h.composer_text(&root).await, "half-written thought");

    // A send that failed, then a reload: the message is still there to retry.
    h.type_and_send(&root, "/fault status=500 -- /echo second try works")
        .await;
    h.wait_for_count(&root, ".lc-error", 1).await;
    let session: String = h
        .js("return LyzrChat.instances[0].sessionId")
        .await
        .as_str()
        .unwrap()
        .into();
    let root = h.open_widget().await;
    let restored = h.texts(&root, ".lc-user.lc-failed .lc-text").await;
    assert_eq!(restored, ["/fault status=500 -- /echo second try works"]);
    assert_eq!(
        h.js("return LyzrChat.instances[0].sessionId")
            .await
            .as_str(),
        Some(session.as_str()),
        "same session after reload"
    );
    assert_eq!(
        h.composer_text(&root).await,
        "/fault status=500 -- /echo second try works"
    );
    // Edit, drop the fault, send.
    root.find(Locator::Css(".lc-edit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    h.type_and_send(&root, "/echo second try works").await;
    h.wait_until("the answer", || async {
        last_answer(&h, &root).await == "second try works"
    })
    .await;
    assert!(h.texts(&root, ".lc-error").await.is_empty());
    assert!(h.texts(&root, ".lc-user.lc-failed").await.is_empty());
    h.finish().await;
}

#[tokio::test]
async fn offline_is_shown_and_new_conversation_starts_a_new_session() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    h.js("window.dispatchEvent(new Event('offline'))").await;
    let banner = h.wait_for_count(&root, ".lc-banner", 1).await[0]
        .text()
        .await
        .unwrap();
    assert!(banner.contains("offline"), "{banner}");
    h.js("window.dispatchEvent(new Event('online'))").await;
    h.wait_until("the banner to go", || async {
        !h.has(&root, ".lc-banner").await
    })
    .await;

    h.type_and_send(&root, "hello").await;
    h.wait_for_count(&root, ".lc-agent:not(.lc-pending):not(.lc-streaming)", 2)
        .await;
    let first: String = h
        .js("return LyzrChat.instances[0].sessionId")
        .await
        .as_str()
        .unwrap()
        .into();
    root.find(Locator::Css(".lc-reset"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let second: String = h
        .js("return LyzrChat.instances[0].sessionId")
        .await
        .as_str()
        .unwrap()
        .into();
    assert_ne!(first, second);
    assert!(second.starts_with("demo-agent-"));
    assert_eq!(
        h.texts(&root, ".lc-user").await.len(),
        0,
        "the list starts over"
    );
    assert_eq!(
        h.texts(&root, ".lc-agent").await.len(),
        1,
        "with the welcome message"
    );
    h.finish().await;
}

#[tokio::test]
async fn timeout_is_its_own_error_and_variables_reach_the_agent() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/").await;
    h.js("localStorage.clear()").await;
    let root = h
        .remount(
            "{agentId: 'demo-agent', apiUrl: location.origin,\
              apiKey: 'lyzr-chat-demo-key', open: true, stream: false, timeoutMs: 1500,\
              systemPromptVariables: {name: 'Ada'}}",
        )
        .await;
    h.type_and_send(&root, "/fault latency=4000 -- too slow")
        .await;
    let error = h.wait_for_count(&root, ".lc-error", 1).await[0]
        .text()
        .await
        .unwrap();
    assert!(error.contains("took longer than 1 s"), "{error}");
    assert_eq!(
        h.composer_text(&root).await,
        "/fault latency=4000 -- too slow"
    );
    assert_eq!(
        (h.stats.chat_posts(), h.stats.stream_posts()),
        (1, 0),
        "stream: false uses chat"
    );

    let ok = h.js("return LyzrChat.instances[0].setVariables({filter_variables: {region: 'eu'}, features: [{type: 'MEMORY'}]})").await;
    assert_eq!(ok, serde_json::json!(true));
    let bad = h
        .js("return LyzrChat.instances[0].setVariables({system_prompt_variables: 5})")
        .await;
    assert_eq!(
        bad,
        serde_json::json!(false),
        "a malformed value is refused"
    );
    h.type_and_send(&root, "hi").await;
    h.wait_until("the answer", || async {
        last_answer(&h, &root)
            .await
            .contains("Features: 1 requested.")
    })
    .await;
    let answer = last_answer(&h, &root).await;
    assert!(
        answer.contains("System prompt variables: name."),
        "{answer}"
    );
    assert!(answer.contains("Filter variables: region."), "{answer}");
    h.finish().await;
}
