//! Embedding on other people's pages: a hostile stylesheet, a strict CSP,
//! the JavaScript API and its events, two instances, inline and full-page
//! modes, the <lyzr-chat> element, and bad configurations.

use fantoccini::elements::ShadowRoot;
use fantoccini::Locator;
use lyzr_chat_e2e::Harness;
use lyzr_chat_server::DEMO_API_KEY;
use serde_json::{json, Value};
use std::time::Duration;

/// The widget's shadow root once the wasm has taken over from the loader.
async fn mounted(h: &Harness, host_css: &str) -> ShadowRoot {
    let host = h
        .client
        .wait()
        .at_most(lyzr_chat_e2e::WAIT)
        .for_element(Locator::Css(host_css))
        .await
        .expect("host element");
    let root = host.shadow_root().await.expect("shadow root");
    h.wait_for_count(&root, ".lc-panel", 1).await;
    root
}

/// Computed styles of the widget's parts, read inside its shadow root.
async fn widget_styles(h: &Harness) -> Value {
    h.js(
        "const r = document.querySelector('[data-lyzr-chat]').shadowRoot;\
         const pick = (sel, props) => { const el = r.querySelector(sel); const cs = getComputedStyle(el);\
           const box = el.getBoundingClientRect();\
           return Object.fromEntries(props.map(p => [p, cs.getPropertyValue(p)]).concat([['w', box.width], ['h', box.height], ['x', box.x], ['y', box.y]])); };\
         return {\
           launcher: pick('.lc-launcher', ['background-color', 'border-radius', 'position']),\
           panel: pick('.lc-panel', ['display', 'box-sizing', 'background-color', 'font-family']),\
           title: pick('.lc-title', ['font-size', 'font-family', 'color', 'text-transform', 'letter-spacing', 'margin-top']),\
           bubble: pick('.lc-agent', ['padding-top', 'font-size', 'line-height', 'color', 'list-style-type']),\
           input: pick('.lc-input', ['font-size', 'padding-left', 'box-sizing']),\
         };",
    )
    .await
}

async fn open_and_wait(h: &Harness, root: &ShadowRoot) {
    root.find(Locator::Css(".lc-launcher"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    h.wait_for_count(root, ".lc-panel:not([hidden])", 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // focus ring, fonts
}

#[tokio::test]
async fn hostile_page_css_does_not_change_the_widget_and_nothing_leaks_out() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/clean.html").await;
    let root = mounted(&h, "[data-lyzr-chat]").await;
    open_and_wait(&h, &root).await;
    let clean = widget_styles(&h).await;
    let clean_shot = root
        .find(Locator::Css(".lc-messages"))
        .await
        .unwrap()
        .screenshot()
        .await
        .unwrap();
    h.screenshot("embed-clean-page").await;

    h.goto("/e2e/hostile.html").await;
    let root = mounted(&h, "[data-lyzr-chat]").await;
    open_and_wait(&h, &root).await;
    let hostile = widget_styles(&h).await;
    let hostile_shot = root
        .find(Locator::Css(".lc-messages"))
        .await
        .unwrap()
        .screenshot()
        .await
        .unwrap();
    h.screenshot("embed-hostile-page").await;

    assert_eq!(hostile, clean, "computed styles differ on the hostile page");
    assert_eq!(
        clean["title"]["font-size"],
        json!("16px"),
        "px sizes, not rem"
    );
    assert!(
        hostile_shot == clean_shot,
        "the message list looks different on the hostile page"
    );

    // The widget's CSS does not reach the page's own elements of the same names.
    let page = h
        .js(
            "const b = getComputedStyle(document.getElementById('page-button'));\
             const p = getComputedStyle(document.getElementById('page-panel'));\
             return [b.position, p.position, b.borderRadius];",
        )
        .await;
    assert_eq!(page, json!(["static", "static", "0px"]));
    h.finish().await;
}

#[tokio::test]
async fn strict_csp_page_loads_and_chats_with_no_violation() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/csp/").await;
    let root = mounted(&h, "[data-lyzr-chat]").await;
    open_and_wait(&h, &root).await;
    h.type_and_send(&root, "hello under CSP").await;
    h.wait_for_count(
        &root,
        ".lc-user ~ .lc-agent:not(.lc-pending):not(.lc-streaming)",
        1,
    )
    .await;
    let answer = h.texts(&root, ".lc-agent .lc-text").await.pop().unwrap();
    assert!(answer.contains("hello under CSP"), "{answer}");
    // A markdown reply: the renderer's wasm chunk is fetched and compiled
    // under the same policy (connect-src, 'wasm-unsafe-eval').
    h.type_and_send(&root, "/echo **bold** under CSP").await;
    h.wait_for_count(&root, ".lc-agent .lc-md strong", 1).await;
    assert_eq!(
        h.requests.matching("/lyzr-chat-widget_markdown.wasm").len(),
        1
    );
    // The page really was served with the strict policy.
    let policy = h
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             fetch(location.href).then(r => done(r.headers.get('content-security-policy')));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(policy, json!(lyzr_chat_e2e::STRICT_CSP));
    assert_eq!(
        h.js("return window.__violations").await,
        json!([]),
        "CSP violations"
    );
    assert_eq!(h.js("return window.__uncaught").await, json!([]));
    h.screenshot("embed-strict-csp").await;
    h.finish().await;
}

#[tokio::test]
async fn blocked_webassembly_is_explained_in_the_console() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/csp-nowasm/").await;
    h.wait_until("the loader's explanation", || async {
        h.js("return window.__console.join('\\n')")
            .await
            .as_str()
            .is_some_and(|log| log.contains("'wasm-unsafe-eval'"))
    })
    .await;
    let log = h.js("return window.__console.join('\\n')").await;
    assert!(
        log.as_str()
            .unwrap()
            .contains("add 'wasm-unsafe-eval' to the script-src directive")
            || log
                .as_str()
                .unwrap()
                .contains("Add 'wasm-unsafe-eval' to the script-src directive"),
        "{log}"
    );
    h.finish().await;
}

#[tokio::test]
async fn javascript_api_methods_events_and_queued_calls() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/api.html").await;
    assert_eq!(
        h.js("return window.__readyAtSend").await,
        json!(false),
        "the send was made before ready"
    );
    // The queued send runs once the wasm is there: ready, then sent, then received.
    h.wait_until("the queued message's answer", || async {
        h.js("return window.__events.some(e => e[0] === 'message-received')")
            .await
            == json!(true)
    })
    .await;
    let events = h.js("return window.__events").await;
    let names: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[0].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        // The panel is closed: the answer also counts as unread.
        ["ready", "message-sent", "message-received", "unread"],
        "{events}"
    );
    assert_eq!(events[2][1]["text"], json!("queued before ready"));
    let session = h.js("return chat.sessionId").await;
    assert_eq!(events[0][1]["sessionId"], session);
    // setUser and setVariables made before ready reached the request.
    let root = mounted(&h, "[data-lyzr-chat]").await;
    h.js("chat.send('who am I')").await;
    h.wait_until("the second answer", || async {
        h.js("return window.__events.filter(e => e[0] === 'message-received').length")
            .await
            == json!(2)
    })
    .await;
    let reply = h
        .js("return window.__events.filter(e => e[0] === 'message-received')[1][1].text")
        .await;
    let reply = reply.as_str().unwrap();
    assert!(reply.contains("from user host-user-42"), "{reply}");
    assert!(reply.contains("System prompt variables: plan."), "{reply}");

    // open / close / toggle, as callbacks and DOM events on the host element.
    h.js("chat.open(); chat.close(); chat.toggle();").await;
    h.wait_for_count(&root, ".lc-panel:not([hidden])", 1).await;
    let dom = h.js("return window.__domEvents").await;
    assert_eq!(
        dom,
        // Answers while the panel is closed are unread; opening clears them.
        json!([
            "ready",
            "message-sent",
            "message-received",
            "unread",
            "message-sent",
            "message-received",
            "unread",
            "open",
            "unread",
            "close",
            "open"
        ])
    );

    // setTheme changes the look; a bad value is refused with a reason.
    assert_eq!(
        h.js("return chat.setTheme({theme: 'dark', primaryColor: 'rgb(200, 30, 30)'})")
            .await,
        json!(true)
    );
    h.wait_for_count(&root, ".lc-root.lc-theme-dark", 1).await;
    let color = h
        .js("return getComputedStyle(document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-launcher')).backgroundColor")
        .await;
    assert_eq!(color, json!("rgb(200, 30, 30)"));
    assert_eq!(h.js("return chat.setTheme('neon')").await, json!(false));
    assert!(h
        .js("return window.__console.join('\\n')")
        .await
        .as_str()
        .unwrap()
        .contains("option `theme` must be one of"));

    // An error event for a failed send.
    h.js("chat.send('/fault status=500 -- x')").await;
    h.wait_until("the error event", || async {
        h.js("return window.__events.some(e => e[0] === 'error')")
            .await
            == json!(true)
    })
    .await;
    let error = h
        .js("return window.__events.find(e => e[0] === 'error')[1]")
        .await;
    assert!(
        error["message"].as_str().unwrap().contains("had a problem"),
        "{error}"
    );
    assert!(
        error["detail"].as_str().unwrap().contains("HTTP 500"),
        "{error}"
    );

    // stop() during a slow answer, reset() to a new session, then destroy().
    h.js("chat.send('/fault drip=200 -- /echo a b c d e f g h i j')")
        .await;
    h.wait_for_count(&root, ".lc-agent.lc-streaming", 1).await;
    h.js("chat.stop()").await;
    h.wait_for_count(&root, ".lc-agent.lc-stopped", 1).await;
    h.js("chat.reset()").await;
    assert_ne!(
        h.js("return chat.sessionId").await,
        session,
        "reset starts a new session"
    );
    h.js("chat.destroy()").await;
    assert_eq!(
        h.js("return document.querySelectorAll('[data-lyzr-chat]').length")
            .await,
        json!(0)
    );
    assert_eq!(h.js("return LyzrChat.instances.length").await, json!(0));
    assert_eq!(h.js("return window.__uncaught").await, json!([]));
    h.finish().await;
}

#[tokio::test]
async fn two_instances_with_different_agents_are_independent() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/two.html").await;
    let a = mounted(&h, "[data-lyzr-chat='agent-a']").await;
    let b = mounted(&h, "[data-lyzr-chat='agent-b']").await;
    open_and_wait(&h, &a).await;
    open_and_wait(&h, &b).await;
    h.js("chatA.send('for A'); chatB.send('for B');").await;
    for root in [&a, &b] {
        h.wait_for_count(
            root,
            ".lc-user ~ .lc-agent:not(.lc-pending):not(.lc-streaming)",
            1,
        )
        .await;
    }
    let answer_a = h.texts(&a, ".lc-agent .lc-text").await.pop().unwrap();
    let answer_b = h.texts(&b, ".lc-agent .lc-text").await.pop().unwrap();
    assert!(
        answer_a.contains("for A") && answer_a.contains("to agent agent-a"),
        "{answer_a}"
    );
    assert!(
        answer_b.contains("for B") && answer_b.contains("to agent agent-b"),
        "{answer_b}"
    );
    assert_eq!(h.texts(&a, ".lc-user .lc-text").await, ["for A"]);
    assert_eq!(h.texts(&b, ".lc-user .lc-text").await, ["for B"]);
    // Each agent's conversation is saved under its own key (saves are throttled).
    let saved = "const s = a => (JSON.parse(localStorage.getItem(`lyzr-chat:${a}:conversation`) || '{}')).session_id || null; \
                 return [chatA.sessionId, s('agent-a'), chatB.sessionId, s('agent-b')]";
    h.wait_until("both conversations saved", || async {
        let s = h.js(saved).await;
        s[1].is_string() && s[3].is_string()
    })
    .await;
    let sessions = h.js(saved).await;
    assert_eq!(sessions[0], sessions[1]);
    assert_eq!(sessions[2], sessions[3]);
    assert_ne!(sessions[0], sessions[2]);
    // Corners: A bottom-left, B top-right 30px from the top (computed
    // positions: a hovered launcher is scaled, its box moves a little).
    let corners = h
        .js("return ['agent-a', 'agent-b'].map(a => { const s = getComputedStyle(document.querySelector(`[data-lyzr-chat='${a}']`).shadowRoot.querySelector('.lc-launcher')); return [s.left, s.right, s.top, s.bottom]; })")
        .await;
    let (left, right) = (&corners[0], &corners[1]);
    assert_eq!(
        (&left[0], &left[3]),
        (&json!("20px"), &json!("20px")),
        "A: {corners}"
    );
    assert_eq!(
        (&right[1], &right[2]),
        (&json!("20px"), &json!("30px")),
        "B: {corners}"
    );
    h.js("chatA.close()").await;
    assert!(
        h.has(&b, ".lc-panel:not([hidden])").await,
        "closing A leaves B open"
    );
    h.screenshot("embed-two-instances").await;
    h.finish().await;
}

#[tokio::test]
async fn inline_and_full_page_modes_fill_their_space() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/inline.html").await;
    let root = mounted(&h, "#slot [data-lyzr-chat]").await;
    h.wait_for_count(&root, ".lc-panel:not([hidden])", 1).await;
    assert!(!h.has(&root, ".lc-launcher").await && !h.has(&root, ".lc-close").await);
    let rects = h
        .js("const slot = document.getElementById('slot').getBoundingClientRect();\
             const panel = document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-panel').getBoundingClientRect();\
             return [slot.width - 2, slot.height - 2, panel.width, panel.height, panel.x - slot.x, panel.y - slot.y];")
        .await;
    assert_eq!(rects[0], rects[2], "panel fills the slot's width: {rects}");
    assert_eq!(rects[1], rects[3], "panel fills the slot's height: {rects}");
    h.type_and_send(&root, "inline hello").await;
    h.wait_for_count(
        &root,
        ".lc-user ~ .lc-agent:not(.lc-pending):not(.lc-streaming)",
        1,
    )
    .await;
    h.screenshot("embed-inline").await;

    h.goto("/e2e/fullpage.html").await;
    let root = mounted(&h, "[data-lyzr-chat]").await;
    h.wait_for_count(&root, ".lc-panel:not([hidden])", 1).await;
    assert!(!h.has(&root, ".lc-launcher").await);
    let rect = h
        .js("const p = document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-panel').getBoundingClientRect();\
             return [p.x, p.y, p.width === innerWidth, p.height === innerHeight];")
        .await;
    assert_eq!(rect, json!([0, 0, true, true]));
    h.screenshot("embed-fullpage").await;
    h.finish().await;
}

#[tokio::test]
async fn bad_config_is_named_in_the_console_without_an_exception() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/bad-config.html").await;
    let root = mounted(&h, "[data-lyzr-chat='demo-agent']").await;
    h.wait_until("the config errors", || async {
        h.js("return window.__console.join('\\n')")
            .await
            .as_str()
            .is_some_and(|l| l.contains("zIndex"))
    })
    .await;
    let log = h.js("return window.__console.join('\\n')").await;
    let log = log.as_str().unwrap();
    for needle in [
        "lyzr-chat: option `agentId` is required: the id of your Lyzr agent",
        "option `container` is required with mode \"inline\"",
        r#"option `theme` must be one of "light", "dark", "auto", not "purple""#,
        "option `zIndex` must be a whole number",
        "unknown option `colour` ignored",
    ] {
        assert!(log.contains(needle), "missing {needle:?} in:\n{log}");
    }
    assert_eq!(
        h.js("return window.__uncaught").await,
        json!([]),
        "no exception"
    );
    assert!(
        !log.contains("panicked") && !log.contains("unreachable"),
        "{log}"
    );
    // Only the valid widget is on the page, and it works with defaults.
    assert_eq!(
        h.js("return document.querySelectorAll('[data-lyzr-chat]').length")
            .await,
        json!(1)
    );
    assert_eq!(
        h.js("return window.__results").await,
        json!({"noAgent": false, "inlineNoContainer": false})
    );
    assert!(h.has(&root, ".lc-root.lc-theme-light").await);
    h.finish().await;
}

#[tokio::test]
async fn custom_element_mounts_and_follows_its_attributes() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/element.html").await;
    let root = mounted(&h, "lyzr-chat#el").await;
    let title =
        "return document.getElementById('el').shadowRoot.querySelector('.lc-title').textContent";
    assert_eq!(h.js(title).await, json!("Element chat"));
    h.js("document.getElementById('el').setAttribute('open', '')")
        .await;
    h.wait_for_count(&root, ".lc-panel:not([hidden])", 1).await;
    h.type_and_send_in(&root, "lyzr-chat#el", "from the element")
        .await;
    h.wait_for_count(
        &root,
        ".lc-user ~ .lc-agent:not(.lc-pending):not(.lc-streaming)",
        1,
    )
    .await;
    h.js("document.getElementById('el').setAttribute('theme', 'dark')")
        .await;
    h.wait_for_count(&root, ".lc-root.lc-theme-dark", 1).await;
    h.js("document.getElementById('el').setAttribute('title', 'Renamed')")
        .await;
    h.wait_until("the new title", || async {
        h.texts(&root, ".lc-title").await == ["Renamed"]
    })
    .await;
    // An inline element keeps the size the page gave it.
    let inline = mounted(&h, "lyzr-chat#inline-el").await;
    h.wait_for_count(&inline, ".lc-panel:not([hidden])", 1)
        .await;
    let size = h
        .js("const p = document.getElementById('inline-el').shadowRoot.querySelector('.lc-panel').getBoundingClientRect(); return [p.width, p.height];")
        .await;
    assert_eq!(size, json!([360, 420]));
    h.js("document.getElementById('inline-el').remove()").await;
    h.js("document.getElementById('el').remove()").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.js("return LyzrChat.instances.length").await, json!(0));
    h.finish().await;
}
