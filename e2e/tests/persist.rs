//! The conversation survives the website: across pages and reloads, in two
//! tabs at once, from the server's history when storage is gone, through
//! corrupted and full storage; and the unread badge.

use fantoccini::elements::ShadowRoot;
use fantoccini::Locator;
use lyzr_chat_e2e::Harness;
use lyzr_chat_server::DEMO_API_KEY;
use std::time::Duration;

const KEY: &str = "lyzr-chat:demo-agent:conversation";

/// The text of the newest agent bubble (not the typing dots).
async fn last_answer(h: &Harness, root: &ShadowRoot) -> String {
    h.texts(root, ".lc-agent:not(.lc-pending):not(.lc-welcome) .lc-text")
        .await
        .pop()
        .unwrap_or_default()
}

/// Opens `path` and the panel.
async fn open(h: &Harness, path: &str) -> ShadowRoot {
    h.goto(path).await;
    let root = h.widget().await;
    // The widget's own launcher (the panel is drawn by the wasm only; the
    // loader's stand-in launcher goes when it mounts).
    h.wait_for_count(&root, ".lc-panel", 1).await;
    root.find(Locator::Css(".lc-root .lc-launcher"))
        .await
        .expect("launcher")
        .click()
        .await
        .expect("click launcher");
    h.wait_for_count(&root, ".lc-panel:not([hidden])", 1).await;
    root
}

async fn ask(h: &Harness, root: &ShadowRoot, text: &str, answer_has: &str) -> String {
    let before = h.texts(root, ".lc-agent:not(.lc-welcome)").await.len();
    h.type_and_send(root, text).await;
    h.wait_until(&format!("an answer containing {answer_has:?}"), || async {
        h.texts(
            root,
            ".lc-agent.lc-msg:not(.lc-welcome):not(.lc-streaming):not(.lc-pending)",
        )
        .await
        .len()
            > before
            && last_answer(h, root).await.contains(answer_has)
    })
    .await;
    last_answer(h, root).await
}

/// Console lines of `level` ("warn"/"error") that mention `needle`.
async fn console_lines(h: &Harness, needle: &str) -> Vec<String> {
    let all = h.js("return window.__console || []").await;
    all.as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .filter(|l| l.contains(needle))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_transcript_follows_the_visitor_to_another_page_and_the_session_goes_on() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    let root = open(&h, "/e2e/clean.html").await;
    ask(&h, &root, "first question", "message 1 in this session").await;
    ask(&h, &root, "second question", "message 2 in this session").await;

    let root = open(&h, "/e2e/second.html").await;
    assert_eq!(
        h.texts(&root, ".lc-user .lc-text").await,
        ["first question", "second question"],
        "the visitor's messages are there on the next page"
    );
    assert_eq!(
        h.texts(&root, ".lc-agent:not(.lc-welcome)").await.len(),
        2,
        "and both answers"
    );
    // Messages show their time (written in a task after the bubble's).
    h.wait_for_count(&root, ".lc-time[title]:not([title='']):not(:empty)", 1)
        .await;
    let third = ask(&h, &root, "third question", "message 3 in this session").await;
    assert!(third.contains("third question"), "{third}");
    assert_eq!(h.stats.message_posts(), 3, "one POST per message");
    h.finish().await;
}

#[tokio::test]
async fn the_panel_paints_with_the_transcript_already_in_it() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    let root = open(&h, "/e2e/clean.html").await;
    ask(&h, &root, "remember me", "message 1").await;
    h.js("LyzrChat.instances[0].close()").await;
    // On the next page, record the panel's message count at the moment the
    // widget's first frame is painted.
    h.goto("/e2e/second.html").await;
    let counts = h
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const seen = [];
             function look() {
               const host = document.querySelector('[data-lyzr-chat]');
               const list = host && host.shadowRoot && host.shadowRoot.querySelector('.lc-messages');
               if (list) { seen.push(list.querySelectorAll('.lc-user').length); }
               if (seen.length >= 3) { done(seen); } else { requestAnimationFrame(look); }
             }
             look();",
            vec![],
        )
        .await
        .unwrap();
    for n in counts.as_array().unwrap() {
        assert_eq!(n.as_u64(), Some(1), "first frames: {counts}");
    }
    h.finish().await;
}

#[tokio::test]
async fn a_reload_mid_answer_keeps_what_arrived_marked_interrupted_with_retry() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    let root = open(&h, "/e2e/clean.html").await;
    let words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu";
    h.type_and_send(&root, &format!("/fault drip=250 -- /echo {words}"))
        .await;
    h.wait_until("a few words", || async {
        last_answer(&h, &root).await.split_whitespace().count() >= 3
    })
    .await;
    let root = open(&h, "/e2e/clean.html").await; // reload
    let kept = h
        .wait_for_count(&root, ".lc-agent.lc-interrupted .lc-text", 1)
        .await[0]
        .text()
        .await
        .unwrap();
    assert!(kept.starts_with("alpha beta"), "{kept:?}");
    assert!(
        kept.len() < words.len(),
        "not resumed as if complete: {kept:?}"
    );
    assert_eq!(
        h.texts(&root, ".lc-agent.lc-interrupted .lc-note").await,
        ["Answer interrupted"]
    );
    assert!(!h.has(&root, ".lc-streaming").await);
    h.screenshot("persist-interrupted").await;
    // Retry asks again and the whole answer replaces the broken one.
    root.find(Locator::Css(".lc-interrupted .lc-retry"))
        .await
        .expect("Retry on the interrupted answer")
        .click()
        .await
        .unwrap();
    h.wait_until("the whole answer", || async {
        last_answer(&h, &root).await == words
    })
    .await;
    assert!(!h.has(&root, ".lc-interrupted").await);
    h.finish().await;
}

#[tokio::test]
async fn two_tabs_show_one_conversation_and_a_queued_message_is_sent_once() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    let root_a = open(&h, "/e2e/clean.html").await;
    let tab_a = h.client.window().await.unwrap();
    let tab_b = h.client.new_window(false).await.unwrap().handle;
    h.client.switch_to_window(tab_b.clone()).await.unwrap();
    let root_b = open(&h, "/e2e/second.html").await;

    // Sent and answered in A, seen in B.
    h.client.switch_to_window(tab_a.clone()).await.unwrap();
    ask(&h, &root_a, "/echo asked in tab A", "asked in tab A").await;
    h.client.switch_to_window(tab_b.clone()).await.unwrap();
    h.wait_until("tab B shows A's question and answer", || async {
        h.texts(&root_b, ".lc-user .lc-text").await == ["/echo asked in tab A"]
            && last_answer(&h, &root_b).await == "asked in tab A"
    })
    .await;
    assert_eq!(h.stats.message_posts(), 1);

    // A queued message (typed offline, never on the wire), then both tabs load
    // at once: exactly one of them sends it.
    let session = h.js("return LyzrChat.instances[0].sessionId").await;
    let session = session.as_str().unwrap();
    let queued = format!(
        r#"{{"v":1,"session_id":"{session}","messages":[{{"id":77,"role":"user","text":"/echo queued once","status":"pending","created_ms":{}}}],"unread":0}}"#,
        1_800_000_000_000u64
    );
    // Both tabs leave for a page without the widget, the queue is seeded,
    // then both load widget pages at the same moment.
    h.goto("/e2e/blank.html").await;
    h.client.switch_to_window(tab_a.clone()).await.unwrap();
    h.goto("/e2e/blank.html").await;
    h.client
        .execute(
            "localStorage.setItem(arguments[0], arguments[1])",
            vec![KEY.into(), queued.into()],
        )
        .await
        .unwrap();
    h.client.switch_to_window(tab_b.clone()).await.unwrap();
    h.js("setTimeout(() => { location.href = '/e2e/second.html'; }, 0)")
        .await;
    h.client.switch_to_window(tab_a.clone()).await.unwrap();
    h.js("setTimeout(() => { location.href = '/e2e/clean.html'; }, 0)")
        .await;
    let root_a = h.widget().await;
    h.wait_until("the queued message answered", || async {
        h.stats.message_posts() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(h.stats.message_posts(), 2, "the queued message went once");
    h.js("LyzrChat.instances[0].open()").await;
    h.wait_until("tab A shows the answer", || async {
        last_answer(&h, &root_a).await == "queued once"
    })
    .await;
    h.client.switch_to_window(tab_b).await.unwrap();
    let root_b = h.widget().await;
    h.js("LyzrChat.instances[0].open()").await;
    h.wait_until("tab B shows it too", || async {
        last_answer(&h, &root_b).await == "queued once"
    })
    .await;
    h.finish().await;
}

#[tokio::test]
async fn with_storage_cleared_the_transcript_comes_back_from_server_history() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    let root = open(&h, "/e2e/session.html").await;
    ask(&h, &root, "/echo kept on the server", "kept on the server").await;
    ask(&h, &root, "/echo also this", "also this").await;
    h.clear_storage().await;
    let root = open(&h, "/e2e/session.html").await;
    h.wait_until("the history", || async {
        h.texts(&root, ".lc-user .lc-text").await == ["/echo kept on the server", "/echo also this"]
    })
    .await;
    assert_eq!(
        h.texts(&root, ".lc-agent:not(.lc-welcome) .lc-text").await,
        ["kept on the server", "also this"]
    );
    assert!(!h
        .requests
        .matching("/v1/sessions/demo-agent-hostsession0123456789abcdef/history")
        .is_empty());
    // Chatting goes on in the same session.
    ask(&h, &root, "and now", "message 3 in this session").await;
    h.finish().await;
}

#[tokio::test]
async fn corrupted_and_full_storage_leave_a_widget_that_chats_with_one_note_each() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    h.client
        .execute(
            "localStorage.setItem(arguments[0], '{\"v\":1,\"session_id\": [broken')",
            vec![KEY.into()],
        )
        .await
        .unwrap();
    let root = open(&h, "/e2e/clean.html").await;
    ask(&h, &root, "/echo still works", "still works").await;
    let notes = console_lines(&h, "dropped the saved conversation").await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("warn:"), "{notes:?}");

    // Fill localStorage to the brim, then chat.
    h.clear_storage().await;
    h.js("localStorage.clear();
          const chunk = 'x'.repeat(512 * 1024);
          for (let i = 0; ; i++) {
            try { localStorage.setItem('filler-' + i, chunk); } catch (e) { break; }
          }
          for (let n = 256 * 1024; n >= 1; n = Math.floor(n / 2)) {
            try { localStorage.setItem('t' + n, 'y'.repeat(n)); } catch (e) {}
          }")
        .await;
    let root = open(&h, "/e2e/clean.html").await;
    ask(&h, &root, "/echo full but fine", "full but fine").await;
    ask(&h, &root, "/echo again", "again").await;
    let notes = console_lines(&h, "not kept across pages").await;
    assert_eq!(notes.len(), 1, "one note, however many saves: {notes:?}");
    assert!(h.texts(&root, ".lc-error").await.is_empty());
    h.js("localStorage.clear()").await;
    h.finish().await;
}

#[tokio::test]
async fn the_unread_badge_counts_answers_while_closed_and_clears_on_open() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    h.goto("/e2e/clean.html").await;
    let root = h.widget().await;
    h.js("window.__unread = []; LyzrChat.instances[0].on('unread', d => window.__unread.push(d.count));")
        .await;
    h.js("LyzrChat.instances[0].send('/echo one')").await;
    h.wait_for_count(&root, ".lc-unread", 1).await;
    h.js("LyzrChat.instances[0].send('/echo two')").await;
    h.wait_until("two unread", || async {
        h.texts(&root, ".lc-unread").await == ["2"]
    })
    .await;
    let launcher = root.find(Locator::Css(".lc-launcher")).await.unwrap();
    assert_eq!(
        launcher.attr("aria-label").await.unwrap().as_deref(),
        Some("Chat, 2 unread")
    );
    h.screenshot("persist-unread").await;
    launcher.click().await.unwrap();
    h.wait_until("the badge gone", || async {
        !h.has(&root, ".lc-unread").await
    })
    .await;
    assert_eq!(
        launcher.attr("aria-label").await.unwrap().as_deref(),
        Some("Close chat")
    );
    assert_eq!(
        h.js("return window.__unread").await,
        serde_json::json!([1, 2, 0])
    );
    h.finish().await;
}

/// Calls one of the local agent's test controls from the page.
async fn control(h: &Harness, path: &str, body: serde_json::Value) {
    let status = h
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {method: 'POST', headers: {'content-type': 'application/json',
               'x-api-key': 'lyzr-chat-demo-key'}, body: JSON.stringify(arguments[1])})
               .then(r => done(r.status), e => done(String(e)));",
            vec![path.into(), body],
        )
        .await
        .unwrap();
    assert_eq!(status, serde_json::json!(200), "{path}");
}

#[tokio::test]
async fn a_failed_history_load_is_a_quiet_retryable_note_and_chatting_goes_on() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    let session = "demo-agent-hostsession0123456789abcdef";
    control(
        &h,
        "/test/seed-history",
        serde_json::json!({"session_id": session, "count": 4}),
    )
    .await;
    control(
        &h,
        "/test/history-fault",
        serde_json::json!({"session_id": session, "fault": "status=503 times=1"}),
    )
    .await;
    let root = open(&h, "/e2e/session.html").await;
    h.wait_for_count(&root, ".lc-banner .lc-banner-retry", 1)
        .await;
    assert!(h.texts(&root, ".lc-banner").await[0].contains("could not be loaded"));
    assert!(
        h.texts(&root, ".lc-error").await.is_empty(),
        "no error bubble"
    );
    // Chatting is not blocked; the older messages stay offered at the top.
    ask(&h, &root, "/echo still here", "still here").await;
    root.find(Locator::Css(".lc-load-older"))
        .await
        .expect("Show earlier messages")
        .click()
        .await
        .unwrap();
    h.wait_until("the older messages above", || async {
        h.texts(&root, ".lc-user .lc-text").await.len() == 3
    })
    .await;
    let users = h.texts(&root, ".lc-user .lc-text").await;
    assert_eq!(
        users.last().map(String::as_str),
        Some("/echo still here"),
        "{users:?}"
    );
    assert!(!h.has(&root, ".lc-banner").await);
    h.finish().await;
}
