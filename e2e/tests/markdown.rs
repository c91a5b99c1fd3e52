//! Agent replies rendered from markdown, end to end: the attack corpus
//! (e2e/payloads/xss.txt) sent through the local agent's `/echo` and
//! rendered in headless Chromium runs no script, creates no handler, no
//! dangerous URL and fetches nothing; a rich reply is screenshotted; the
//! list keeps a visitor's scroll position.

use fantoccini::elements::ShadowRoot;
use fantoccini::Locator;
use lyzr_chat_e2e::{workspace_root, Harness};
use lyzr_chat_server::DEMO_API_KEY;
use serde_json::{json, Value};
use std::time::Duration;

/// Counts script execution: any alert/confirm/prompt/print, or a payload
/// setting `window.__lcPwned` itself.
const CANARY: &str = r#"
    window.__lcPwned = 0;
    for (const name of ["alert", "confirm", "prompt", "print"]) {
        window[name] = function () { window.__lcPwned += 1; };
    }
"#;

/// Sends each text with `/echo ` and waits until its reply is rendered.
const SEND_ALL: &str = r#"
    const texts = arguments[0];
    const prefix = arguments[1];
    const done = arguments[arguments.length - 1];
    const root = document.querySelector("[data-lyzr-chat]").shadowRoot;
    // Complete replies only: answers stream in, and the next send waits.
    // (`.lc-text >`: the answer's own markdown, not the agent's steps.)
    const rendered = () => root.querySelectorAll(".lc-agent:not(.lc-streaming):not(.lc-pending) .lc-text > .lc-md").length;
    (async () => {
        for (const text of texts) {
            const before = rendered();
            LyzrChat.instances[0].send(prefix + text);
            const start = Date.now();
            while (rendered() <= before) {
                if (Date.now() - start > 10000) {
                    return done("no reply rendered for: " + text);
                }
                await new Promise((r) => setTimeout(r, 5));
            }
        }
        done("ok");
    })();
"#;

/// What the page can see that a payload might have left behind.
const AUDIT: &str = r#"
    const root = document.querySelector("[data-lyzr-chat]").shadowRoot;
    const problems = [];
    const everything = [...root.querySelectorAll("*"), ...document.querySelectorAll("*")];
    for (const el of everything) {
        for (const name of el.getAttributeNames()) {
            if (name.toLowerCase().startsWith("on")) {
                problems.push(`<${el.localName} ${name}>`);
            }
        }
        for (const attr of ["href", "src", "action", "formaction", "data", "srcdoc", "xlink:href"]) {
            const raw = el.getAttribute(attr);
            if (raw === null) continue;
            const url = String(el[attr] ?? raw).trim().toLowerCase();
            if (attr === "srcdoc" || /^(javascript|data|vbscript):/.test(url)) {
                problems.push(`<${el.localName} ${attr}="${raw}">`);
            }
        }
    }
    const live = root.querySelectorAll(
        ".lc-md script, .lc-md iframe, .lc-md object, .lc-md embed, .lc-md svg, .lc-md style, " +
        ".lc-md link, .lc-md meta, .lc-md base, .lc-md form, .lc-md video, .lc-md audio, .lc-md math");
    for (const el of live) problems.push(`live <${el.localName}>`);
    return {
        pwned: window.__lcPwned,
        problems,
        replies: root.querySelectorAll(".lc-agent .lc-text > .lc-md").length,
        placeholders: root.querySelectorAll(".lc-md-img-placeholder").length,
        images: root.querySelectorAll(".lc-md img").length,
    };
"#;

/// The corpus, with `{CANARY}`, `{HOST}` and `{LINE}` filled in.
fn payloads(canary_host: &str) -> Vec<String> {
    let text = std::fs::read_to_string(workspace_root().join("e2e/payloads/xss.txt"))
        .expect("read e2e/payloads/xss.txt");
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.is_empty() && !line.starts_with("%%"))
        .map(|(i, line)| {
            let n = i + 1;
            line.replace("\\n", "\n")
                .replace(
                    "{CANARY}",
                    &format!("http://{canary_host}/payload-canary/{n}"),
                )
                .replace("{HOST}", canary_host)
                .replace("{LINE}", &n.to_string())
        })
        .collect()
}

async fn send_all(h: &Harness, texts: &[String]) {
    send_all_with(h, "/echo ", texts).await;
}

/// Sends each text after `prefix` (e.g. a `/fault ... --` spec).
async fn send_all_with(h: &Harness, prefix: &str, texts: &[String]) {
    for chunk in texts.chunks(20) {
        let result = h
            .client
            .execute_async(SEND_ALL, vec![json!(chunk), json!(prefix)])
            .await
            .expect("send payloads");
        assert_eq!(result, json!("ok"));
    }
}

async fn open_page(h: &Harness) -> ShadowRoot {
    let root = h.open_widget().await;
    h.wait_for_count(&root, ".lc-agent .lc-md", 1).await;
    root
}

#[tokio::test]
async fn attack_corpus_runs_nothing_and_fetches_nothing() {
    let h = Harness::start(DEMO_API_KEY).await;
    open_page(&h).await;
    h.js(CANARY).await;
    // The canary does count a script that runs.
    assert_eq!(h.js("alert(1); return window.__lcPwned").await, json!(1));
    h.js("window.__lcPwned = 0").await;

    // Same server, but not the page's origin: images there need a click.
    let canary_host = h.base_url.replace("http://127.0.0.1", "localhost");
    let corpus = payloads(&canary_host);
    assert!(corpus.len() >= 200, "only {} payloads", corpus.len());
    send_all(&h, &corpus).await;
    // Let image errors, timers and focus handlers fire if any were created.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let audit = h.js(AUDIT).await;
    assert_eq!(audit["pwned"], json!(0), "a payload ran script");
    assert_eq!(audit["problems"], json!([]), "dangerous markup in the page");
    assert_eq!(
        audit["replies"],
        json!(corpus.len() + 1),
        "every payload got a reply"
    );
    assert_eq!(audit["images"], json!(0), "no payload image loaded");
    assert!(audit["placeholders"].as_u64().unwrap() >= 20, "{audit}");
    // The audit does see a handler and a script URL when there is one.
    let planted = h
        .js(&format!(
            r#"
            const root = document.querySelector("[data-lyzr-chat]").shadowRoot;
            const probe = document.createElement("a");
            probe.setAttribute("onclick", "x");
            probe.setAttribute("href", "javascript:x");
            root.appendChild(probe);
            const found = (() => {{ {AUDIT} }})().problems.length;
            probe.remove();
            return found;
        "#
        ))
        .await;
    assert_eq!(planted, json!(2));
    assert_eq!(
        h.requests.matching("/payload-canary/"),
        Vec::<String>::new(),
        "a payload URL was fetched"
    );

    // The log does see an image fetch: load one placeholder by hand.
    let clicked = h
        .js(r#"
            const root = document.querySelector("[data-lyzr-chat]").shadowRoot;
            const button = root.querySelector(".lc-md-img-placeholder .lc-md-load");
            button.click();
            return root.querySelector(".lc-md img").getAttribute("src");
        "#)
        .await;
    let src = clicked
        .as_str()
        .expect("an image after the click")
        .to_string();
    let path = src
        .split(&canary_host)
        .nth(1)
        .expect("canary URL")
        .to_string();
    for _ in 0..100 {
        if !h.requests.matching(&path).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(h.requests.matching(&path), vec![path.clone()]);
    assert_eq!(h.js("return window.__lcPwned").await, json!(0));
    h.finish().await;
}

const RICH_REPLY: &str = "### Your order\n\
Found **two items**, see [the shop's page](https://shop.example.com/orders/42):\n\n\
- Tea, *green*\n- [x] Paid\n\n\
| Item | Qty | Price |\n|:--|--:|--:|\n| Tea | 1 | 4.50 |\n| Cups | 2 | 9.00 |\n\n\
```bash\ncurl -s https://shop.example.com/api/orders/42 | jq '.status, .items[] | {name, qty}'\n```\n\n\
Needs `jq`. A photo of the parcel:\n\n\
![parcel](https://images.example.net/parcel.jpg)";

#[tokio::test]
async fn rich_reply_screenshot() {
    let h = Harness::start(DEMO_API_KEY).await;
    // Tall enough for the panel's full 600 px height.
    h.client.set_window_size(1024, 900).await.unwrap();
    let root = open_page(&h).await;
    send_all(&h, &[RICH_REPLY.to_string()]).await;
    for css in [
        ".lc-md h3",
        ".lc-md ul li",
        ".lc-md .lc-md-task",
        ".lc-md table th",
        ".lc-md a[target=_blank][rel='noopener noreferrer nofollow']",
        ".lc-md-code .lc-md-copy",
        ".lc-md :not(pre) > code",
        ".lc-md-img-placeholder .lc-md-load",
    ] {
        h.wait_for_count(&root, css, 1).await;
    }
    let host = root
        .find(Locator::Css(".lc-md-img-host"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(host, "Image from images.example.net: parcel");
    // The long code line scrolls inside its block, not the bubble.
    let overflow: Value = h
        .js(r#"
            const root = document.querySelector("[data-lyzr-chat]").shadowRoot;
            const pre = root.querySelector(".lc-md-code pre");
            const bubble = pre.closest(".lc-msg");
            return [pre.scrollWidth > pre.clientWidth, bubble.scrollWidth <= bubble.clientWidth];
        "#)
        .await;
    assert_eq!(overflow, json!([true, true]));
    // Scroll so the whole reply is in view for the picture.
    h.js(r#"
        const root = document.querySelector("[data-lyzr-chat]").shadowRoot;
        const replies = root.querySelectorAll(".lc-agent");
        replies[replies.length - 1].scrollIntoView({block: "start"});
    "#)
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let path = h.screenshot("markdown-reply").await;
    assert!(std::fs::metadata(&path).unwrap().len() > 10_000);
    h.finish().await;
}

/// A reply taller than the panel: a numbered list of 40 lines.
fn forty_numbered_lines() -> String {
    (1..=40)
        .map(|i| format!("{i}. line {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn scrolled_up_visitor_keeps_position_and_can_jump_to_latest() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = open_page(&h).await;
    let long = forty_numbered_lines();
    send_all(&h, &[long.clone(), long.clone()]).await;
    let at_bottom = r#"
        const list = document.querySelector("[data-lyzr-chat]").shadowRoot.querySelector(".lc-messages");
        return list.scrollHeight - list.scrollTop - list.clientHeight <= 24;
    "#;
    assert_eq!(h.js(at_bottom).await, json!(true), "follows new replies");
    assert!(root
        .find_all(Locator::Css(".lc-jump"))
        .await
        .unwrap()
        .is_empty());

    // Slow the agent down so the visitor can scroll up while it answers.
    h.js(r#"
        const fetch = window.fetch;
        window.fetch = (...args) => new Promise((r) => setTimeout(r, 1000)).then(() => fetch(...args));
        LyzrChat.instances[0].send("/echo more text arrives");
    "#)
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        h.js(at_bottom).await,
        json!(true),
        "sending shows the bottom"
    );
    h.js(r#"
        const list = document.querySelector("[data-lyzr-chat]").shadowRoot.querySelector(".lc-messages");
        list.scrollTop = 100;
        list.dispatchEvent(new Event("scroll"));
    "#)
    .await;
    h.wait_for_count(&root, ".lc-agent .lc-md", 4).await;
    let jump = h.wait_for_count(&root, ".lc-jump", 1).await;
    let top = h
        .js(r#"return document.querySelector("[data-lyzr-chat]").shadowRoot.querySelector(".lc-messages").scrollTop"#)
        .await;
    assert_eq!(top, json!(100), "the visitor's position is kept");
    jump[0].click().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(h.js(at_bottom).await, json!(true));
    assert!(root
        .find_all(Locator::Css(".lc-jump"))
        .await
        .unwrap()
        .is_empty());
    h.finish().await;
}

/// The follow watches its items' sizes: hiding and showing the panel
/// changes them too, which is nothing new for a visitor who scrolled up.
#[tokio::test]
async fn closing_and_reopening_is_not_news_to_a_scrolled_up_visitor() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = open_page(&h).await;
    let long = forty_numbered_lines();
    send_all(&h, &[long.clone(), long]).await;
    let list =
        r#"document.querySelector("[data-lyzr-chat]").shadowRoot.querySelector(".lc-messages")"#;
    // Both answers finished and laid out: nothing grows any more.
    h.wait_for_count(&root, ".lc-agent .lc-md", 3).await;
    let settled = format!(
        "const list = {list}; let last = -1, tries = 0;
         return new Promise((resolve) => {{
           const check = () => {{
             const done = !list.querySelector('[aria-busy]');
             if ((done && list.scrollHeight === last) || ++tries > 100) return resolve(done);
             last = done ? list.scrollHeight : -1;
             setTimeout(check, 150);
           }};
           check();
         }});"
    );
    assert_eq!(h.js(&settled).await, json!(true));
    h.js(&format!(
        "const list = {list}; list.scrollTop = 100; list.dispatchEvent(new Event('scroll'));"
    ))
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    h.js("LyzrChat.instances[0].close()").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    h.js("LyzrChat.instances[0].open()").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        root.find_all(Locator::Css(".lc-jump"))
            .await
            .unwrap()
            .is_empty(),
        "no Jump to latest without anything new"
    );
    assert_eq!(h.js(&format!("return {list}.scrollTop")).await, json!(100));
    // (Something new while scrolled up does offer it: the test above.)
    h.finish().await;
}

#[tokio::test]
async fn pathological_replies_render_in_bounded_time() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = open_page(&h).await;
    let mut table = String::from("| n | a | b |\n|---|---|---|\n");
    for i in 0..10_000 {
        table.push_str(&format!("| {i} | x | y |\n"));
    }
    let cases = [
        ("100k nested quotes", "> ".repeat(100_000) + "deep"),
        ("100k nested lists", "- ".repeat(100_000) + "deep"),
        ("1 MB message", "word ".repeat(200_000)),
        ("10k-row table", table),
    ];
    for (name, text) in cases {
        let started = std::time::Instant::now();
        // In one piece (the stream call refused, the chat call answers):
        // the local agent streams word by word with a pause, which would
        // measure its drip, not the renderer.
        send_all_with(&h, "/fault stream-status=404 -- /echo ", &[text]).await;
        let took = started.elapsed();
        assert!(took < Duration::from_secs(10), "{name}: {took:?}");
        println!("{name}: rendered in {took:?} (round trip included)");
    }
    // The big ones degrade to plain text with a note; the deep ones are flattened.
    let notes = root
        .find_all(Locator::Css(".lc-md-plain .lc-md-note"))
        .await
        .unwrap();
    assert_eq!(notes.len(), 2, "the 1 MB message and the table");
    let depth: Value = h
        .js(r#"
            const root = document.querySelector("[data-lyzr-chat]").shadowRoot;
            let deepest = 0;
            for (const el of root.querySelectorAll(".lc-md *")) {
                let d = 0;
                for (let e = el; e && !e.classList?.contains("lc-md"); e = e.parentElement) d++;
                deepest = Math.max(deepest, d);
            }
            return deepest;
        "#)
        .await;
    assert!(depth.as_u64().unwrap() <= 30, "{depth}");
    h.finish().await;
}

/// The renderer of agent replies is a wasm chunk of its own in release builds
/// (src/markdown/lazy.rs, README "Size"): loading the widget, opening it and
/// its plain welcome ask nothing of it; the first reply that needs it
/// fetches it, once, and is rendered.
#[tokio::test]
async fn the_renderer_chunk_is_fetched_when_the_visitor_starts_writing() {
    const CHUNK: &str = "/lyzr-chat-widget_markdown.wasm";
    let h = Harness::start(DEMO_API_KEY).await;
    let root = open_page(&h).await;
    // The welcome, plain text, is drawn as the renderer would: a paragraph.
    h.wait_for_count(&root, ".lc-agent .lc-md > p", 1).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        h.requests.matching(CHUNK).len(),
        0,
        "fetched before a reply needed it"
    );
    // The visitor starts writing: the renderer comes while they write.
    h.js("const i = document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-input');\
          i.value = 'A'; i.dispatchEvent(new Event('input')); return true;")
        .await;
    h.wait_until("the chunk asked for while writing", || async {
        h.requests.matching(CHUNK).len() == 1
    })
    .await;
    send_all(&h, &["A **bold** plan".to_string()]).await;
    h.wait_for_count(&root, ".lc-md strong", 1).await;
    assert_eq!(h.requests.matching(CHUNK).len(), 1);
    send_all(&h, &["Then *more*".to_string()]).await;
    h.wait_for_count(&root, ".lc-md em", 1).await;
    assert_eq!(h.requests.matching(CHUNK).len(), 1, "fetched once");
    h.finish().await;
}

/// The chunk also holds the send path (src/client/lazy.rs, README "Size"):
/// a message sent before it has arrived shows as sending, waits for it
/// with nothing on the wire, then goes, once, and is answered.
#[tokio::test]
async fn a_message_sent_before_the_chunk_arrives_waits_for_it_and_goes() {
    const CHUNK: &str = "/held-chunk/lyzr-chat-widget_markdown.wasm";
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/held-chunk.html").await;
    let root = h.widget().await;
    h.wait_for_count(&root, ".lc-root .lc-panel:not([hidden]) .lc-input", 1)
        .await;
    h.type_and_send(&root, "/echo sent before the chunk").await;
    h.wait_for_count(&root, ".lc-user.lc-sending", 1).await;
    h.wait_until("the chunk asked for", || async {
        h.requests.matching(CHUNK).len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        h.requests.matching("/v3/inference").is_empty(),
        "sent without its code: {:?}",
        h.requests.matching("/v3/inference")
    );
    assert_eq!(
        h.texts(&root, ".lc-user.lc-sending .lc-text").await,
        ["/echo sent before the chunk"]
    );

    h.release_chunk();
    h.wait_until("the answer", || async {
        h.texts(
            &root,
            ".lc-agent.lc-msg:not(.lc-welcome):not(.lc-pending):not(.lc-streaming) .lc-text",
        )
        .await
        .iter()
        .any(|t| t.contains("sent before the chunk"))
    })
    .await;
    assert_eq!(
        h.requests.matching("/v3/inference/stream").len(),
        1,
        "sent once"
    );
    assert!(!h.has(&root, ".lc-user.lc-failed").await);
    assert_eq!(h.requests.matching(CHUNK).len(), 1, "fetched once");
    h.finish().await;
}

/// A chunk changed after the build (its sha384 is in the glue, which the
/// loader pins) is refused: with it go the renderer and the send path, so
/// a message fails as on a network failure: its text is kept, with a
/// reason and Retry (which asks for the chunk again), nothing reaches the
/// API, and the console says which file could not be loaded. The welcome
/// stays drawn as text. The change keeps it a valid wasm module (a custom
/// section added at its end), which would work if it were not checked.
#[tokio::test]
async fn a_tampered_chunk_is_refused_and_a_send_fails_with_its_text_kept_and_retry() {
    const CHUNK: &str = "/lyzr-chat-widget_markdown.wasm";
    let dist = lyzr_chat_e2e::dist_copy("tampered-chunk");
    let path = dist.join("lyzr-chat-widget_markdown.wasm");
    let mut bytes = std::fs::read(&path).expect("read the built chunk");
    // Section 0 (custom) of 5 bytes: the name "evil", 4 bytes long.
    bytes.extend_from_slice(b"\x00\x05\x04evil");
    std::fs::write(&path, bytes).expect("write the tampered chunk");
    let h = Harness::start_serving(DEMO_API_KEY, dist).await;
    let root = open_page(&h).await;
    h.js(r#"
        window.__errors = [];
        const error = console.error;
        console.error = (...args) => { window.__errors.push(args.join(" ")); error(...args); };
        return true;
    "#)
        .await;
    h.type_and_send(&root, "/echo kept **text**").await;
    h.wait_for_count(&root, ".lc-user.lc-failed .lc-retry", 1)
        .await;
    assert_eq!(
        h.texts(&root, ".lc-user.lc-failed .lc-text").await,
        ["/echo kept **text**"]
    );
    let reason = h.texts(&root, ".lc-user.lc-failed .lc-error-text").await;
    assert!(
        reason.len() == 1 && !reason[0].trim().is_empty(),
        "{reason:?}"
    );
    let errors = h.js("return window.__errors.join('\\n')").await;
    let errors = errors.as_str().unwrap_or_default();
    assert!(
        errors.contains("could not load lyzr-chat-widget_markdown.wasm"),
        "{errors}"
    );
    assert!(h.requests.matching("/v3/inference").is_empty());
    // The welcome is still there, drawn without the renderer.
    h.wait_for_count(&root, ".lc-agent .lc-md > p", 1).await;
    // Retry asks for the chunk again, and fails the same way.
    let asked = h.requests.matching(CHUNK).len();
    assert!(asked >= 1);
    root.find(Locator::Css(".lc-user.lc-failed .lc-retry"))
        .await
        .expect("Retry")
        .click()
        .await
        .expect("click Retry");
    h.wait_until("the chunk asked for again", || async {
        h.requests.matching(CHUNK).len() > asked
    })
    .await;
    h.wait_for_count(&root, ".lc-user.lc-failed .lc-retry", 1)
        .await;
    assert_eq!(
        h.texts(&root, ".lc-user .lc-text").await,
        ["/echo kept **text**"]
    );
    assert!(h.requests.matching("/v3/inference").is_empty());
    h.finish().await;
}
