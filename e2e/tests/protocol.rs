//! Lyzr's wire as its own clients read it (issue 13 §1) and the local
//! agent's origin rule (issue 11 finding 14), seen from the browser.

use fantoccini::elements::ShadowRoot;
use lyzr_chat_e2e::Harness;
use lyzr_chat_server::DEMO_API_KEY;
use std::time::{Duration, Instant};

async fn last_answer(h: &Harness, root: &ShadowRoot) -> String {
    h.texts(root, ".lc-agent:not(.lc-pending):not(.lc-welcome) .lc-text")
        .await
        .pop()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_stream_is_read_as_one_whatever_its_content_type() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/").await;
    h.js("localStorage.clear()").await;
    let root = h.open_widget().await;
    let full = "one two three four five six seven eight";
    let mut sent = 0;
    for label in ["json", "text"] {
        h.type_and_send(
            &root,
            &format!("/fault drip=120 stream-type={label} -- /echo {full} {label}"),
        )
        .await;
        sent += 1;
        let expected = format!("{full} {label}");
        // Progressive: a part shows while the rest is still coming.
        let deadline = Instant::now() + lyzr_chat_e2e::WAIT;
        loop {
            let text = last_answer(&h, &root).await;
            if !text.is_empty()
                && text.len() < expected.len()
                && h.has(&root, ".lc-agent.lc-streaming").await
            {
                assert!(expected.starts_with(text.trim_end()), "{label}: {text:?}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{label}: never saw a partial answer"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        h.wait_until(&format!("the whole {label} answer"), || async {
            last_answer(&h, &root).await == expected && !h.has(&root, ".lc-streaming").await
        })
        .await;
    }
    // Labelled a stream but one JSON reply: read as the reply it is.
    h.type_and_send(&root, "/fault stream-whole -- /echo in one piece")
        .await;
    sent += 1;
    h.wait_until("the one-piece answer", || async {
        last_answer(&h, &root).await == "in one piece"
    })
    .await;
    assert!(!h.has(&root, ".lc-error").await, "no error shown");
    assert_eq!(
        (h.stats.stream_posts(), h.stats.chat_posts()),
        (sent, 0),
        "each read from the stream call, none falling back to chat"
    );
    h.finish().await;
}

#[tokio::test]
async fn a_page_on_another_origin_cannot_call_the_local_agent() {
    let h = Harness::start(DEMO_API_KEY).await;
    // Same server, other origin: `localhost` is not `127.0.0.1` to a browser.
    let other = h.base_url.replace("127.0.0.1", "localhost");
    h.client.goto(&format!("{other}/")).await.unwrap();
    let root = h
        .remount(&format!(
            r#"{{ agentId: "demo-agent", apiKey: "{DEMO_API_KEY}", apiUrl: "{}", open: true }}"#,
            h.base_url
        ))
        .await;
    h.type_and_send(&root, "hello from another site").await;
    h.wait_for_count(&root, ".lc-error", 1).await;
    assert_eq!(
        h.stats.message_posts(),
        0,
        "the preflight is refused, so no message reaches the agent"
    );
    assert!(
        !h.requests.matching("/v3/inference/").is_empty(),
        "the browser did try (its preflight reached the server)"
    );
    h.finish().await;
}
