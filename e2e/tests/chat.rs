//! The walking skeleton end to end: the demo page in headless Chromium, the
//! widget talking to the local agent server.

use fantoccini::Locator;
use lyzr_chat_e2e::Harness;
use lyzr_chat_server::DEMO_API_KEY;

const ENTER: &str = "\u{E007}";
const SHIFT: &str = "\u{E008}";
const RELEASE_MODIFIERS: &str = "\u{E000}";

/// The session id the local agent reports in its reply.
fn session_in(reply: &str) -> String {
    let start = reply.find("(session_id ").expect("reply names the session") + "(session_id ".len();
    reply[start..].split(')').next().unwrap().to_string()
}

#[tokio::test]
async fn two_turns_share_one_session() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = h.open_widget().await;
    // The welcome message is the first agent bubble.
    let agent = h.texts(&root, ".lc-agent").await;
    assert_eq!(agent.len(), 1, "{agent:?}");
    assert!(agent[0].contains("local demo agent"), "{agent:?}");

    h.type_and_send(&root, "Hello agent").await;
    h.wait_for_count(&root, ".lc-agent:not(.lc-pending):not(.lc-streaming)", 2)
        .await;
    let first = h.texts(&root, ".lc-agent").await[1].clone();
    assert!(first.contains("\u{201c}Hello agent\u{201d}"), "{first}");
    assert!(
        first.contains("This is message 1 in this session"),
        "{first}"
    );
    let input = root.find(Locator::Css(".lc-input")).await.unwrap();
    assert_eq!(
        input.prop("value").await.unwrap().as_deref(),
        Some(""),
        "sent text leaves the composer"
    );

    h.type_and_send(&root, "And a second one").await;
    h.wait_for_count(&root, ".lc-agent:not(.lc-pending):not(.lc-streaming)", 3)
        .await;
    let second = h.texts(&root, ".lc-agent").await[2].clone();
    assert!(
        second.contains("This is message 2 in this session"),
        "{second}"
    );

    let session = session_in(&first);
    assert_eq!(session, session_in(&second), "both turns in one session");
    assert!(
        session.starts_with("demo-agent-"),
        "session id is {{agent_id}}-{{random}}: {session}"
    );
    assert_eq!(h.stats.turns("demo-agent", &session), 2);
    assert_eq!(h.stats.message_posts(), 2, "one POST per message");
    assert_eq!(
        h.texts(&root, ".lc-user .lc-text").await,
        ["Hello agent", "And a second one"]
    );
    assert!(h.texts(&root, ".lc-error").await.is_empty());
    h.screenshot("two-turns").await;
    h.finish().await;
}

#[tokio::test]
async fn shift_enter_adds_a_line_and_does_not_send() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = h.open_widget().await;
    let input = root.find(Locator::Css(".lc-input")).await.unwrap();
    input
        .send_keys(&format!(
            "line one{SHIFT}{ENTER}{RELEASE_MODIFIERS}line two"
        ))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        input.prop("value").await.unwrap().as_deref(),
        Some("line one\nline two")
    );
    assert_eq!(h.stats.message_posts(), 0);
    input.send_keys(ENTER).await.unwrap();
    h.wait_for_count(&root, ".lc-agent:not(.lc-pending):not(.lc-streaming)", 2)
        .await;
    assert_eq!(
        h.texts(&root, ".lc-user .lc-text").await,
        ["line one\nline two"]
    );
    assert_eq!(h.stats.message_posts(), 1);
    h.finish().await;
}

#[tokio::test]
async fn wrong_key_shows_the_reason_and_keeps_the_text() {
    // The page sends the demo key; this server accepts another one.
    let h = Harness::start("a-different-key").await;
    let root = h.open_widget().await;
    h.type_and_send(&root, "Please keep me").await;

    let errors = h.wait_for_count(&root, ".lc-error", 1).await;
    let error = errors[0].text().await.unwrap();
    assert!(
        error.contains("Invalid API key"),
        "the server's reason is shown: {error}"
    );
    assert!(error.contains("not set up correctly"), "{error}");
    let input = root.find(Locator::Css(".lc-input")).await.unwrap();
    assert_eq!(
        input.prop("value").await.unwrap().as_deref(),
        Some("Please keep me"),
        "the typed text is back in the composer"
    );
    let failed = h.texts(&root, ".lc-user.lc-failed").await;
    assert_eq!(failed.len(), 1);
    assert!(failed[0].starts_with("Please keep me"), "{failed:?}");
    h.screenshot("wrong-key").await;

    // Retry sends again (one more POST) and still shows one error, not two.
    root.find(Locator::Css(".lc-retry"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + lyzr_chat_e2e::WAIT;
    while h.stats.message_posts() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "retry never reached the server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    h.wait_for_count(&root, ".lc-error", 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(h.texts(&root, ".lc-error").await.len(), 1);
    assert_eq!(h.texts(&root, ".lc-user").await.len(), 1);
    assert_eq!(h.stats.message_posts(), 2);
    h.finish().await;
}

/// A very long message of the visitor's (src/ui/messages.rs, `plain_text`):
/// shown in pieces that together hold exactly the text as typed (line
/// breaks and empty lines included), of which the browser lays out only
/// those near the view, in a bubble of the whole width, the list at its
/// bottom.
#[tokio::test]
async fn a_very_long_message_shows_whole_in_pieces_laid_out_near_the_view() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = h.open_widget().await;
    let body: String = (1..=40)
        .map(|i| {
            format!(
                "Paragraph {i}, caf\u{e9}: {}\nand its second line.",
                "some words that fill it ".repeat(10)
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    // The answer comes a second later, then quickly.
    let text = format!("/fault latency=1000 drip=1 -- {body}");
    assert!(text.len() > 8000);
    h.type_and_send(&root, &text).await;
    h.wait_for_count(&root, ".lc-user .lc-piece", 1).await;
    // What a piece shows as laid out (nothing when it is skipped).
    const PIECES: &str = "const root = document.querySelector('[data-lyzr-chat]').shadowRoot;\
         const list = root.querySelector('.lc-messages');\
         const p = root.querySelector('.lc-user .lc-text');\
         const pieces = [...p.children];\
         await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));\
         const shown = (el) => el.innerText.length === el.textContent.length;";
    let seen = h
        .js(&format!(
            "{PIECES}\
             return [pieces.length, pieces.every((s) => s.className === 'lc-piece'),\
                     pieces.map((s) => s.textContent).join('\\n'),\
                     p.closest('.lc-msg').classList.contains('lc-wide'),\
                     list.scrollHeight - list.scrollTop - list.clientHeight <= 24,\
                     shown(pieces[pieces.length - 1]), pieces[0].innerText.length];"
        ))
        .await;
    assert!(seen[0].as_u64().unwrap() > 3, "in pieces: {}", seen[0]);
    assert_eq!(seen[1], true);
    assert_eq!(
        seen[2].as_str(),
        Some(text.as_str()),
        "nothing lost or added"
    );
    assert_eq!(seen[3], true, "a bubble of the whole width");
    assert_eq!(seen[4], true, "the list followed to its bottom");
    assert_eq!(seen[5], true, "the end of the message is laid out");
    assert_eq!(seen[6], 0, "its start, far out of view, is not");
    h.wait_for_count(&root, ".lc-agent:not(.lc-pending):not(.lc-streaming)", 2)
        .await;
    let first = h
        .js(&format!(
            "{PIECES}\
             pieces[0].scrollIntoView();\
             await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));\
             return shown(pieces[0]) && pieces[0].innerText.startsWith('/fault');"
        ))
        .await;
    assert_eq!(first, true, "scrolled to, the start is laid out");
    h.screenshot("long-message-top").await;
    // All laid out, the pieces read as the one text would: the end of a
    // piece stands for the line break cut there.
    let all = h
        .js(&format!(
            "{PIECES}\
             pieces.forEach((s) => s.style.contentVisibility = 'visible');\
             return p.innerText;"
        ))
        .await;
    assert_eq!(all.as_str(), Some(text.as_str()), "shown as typed");
    // A short message stays one text, as before.
    h.type_and_send(&root, "short\n\none").await;
    h.wait_for_count(&root, ".lc-agent:not(.lc-pending):not(.lc-streaming)", 3)
        .await;
    assert_eq!(
        h.js(
            "return document.querySelector('[data-lyzr-chat]').shadowRoot\
              .querySelectorAll('.lc-user .lc-text')[1].childNodes.length"
        )
        .await,
        1
    );
    h.finish().await;
}
