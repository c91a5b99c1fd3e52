//! The loader (`js/lyzr-chat.js`) on pages that try to subvert it: DOM
//! clobbering of the names it reads, files that do not match the hashes it
//! was built with, a colour that would fetch a URL; and its `load` option.

use fantoccini::elements::ShadowRoot;
use fantoccini::Locator;
use lyzr_chat_e2e::{Harness, WAIT};
use lyzr_chat_server::DEMO_API_KEY;
use serde_json::json;
use std::time::{Duration, Instant};

/// Waits up to `limit` for the widget (not just the loader's launcher) to be
/// in the page; returns whether it came.
async fn widget_mounted_within(h: &Harness, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        let mounted = h
            .js("const host = document.querySelector('[data-lyzr-chat]');\
                 return !!(host && host.shadowRoot && host.shadowRoot.querySelector('.lc-panel'));")
            .await;
        if mounted == json!(true) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn shadow(h: &Harness) -> ShadowRoot {
    h.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-lyzr-chat]"))
        .await
        .expect("the widget's host element")
        .shadow_root()
        .await
        .expect("its shadow root")
}

fn host_of(url: &str) -> &str {
    url.split_once("://")
        .map_or("", |(_, rest)| rest.split(['/', ':']).next().unwrap_or(""))
}

/// Loads `page`, then checks the widget mounted from the server's root (where
/// lyzr-chat.js is), and that nothing but `allowed_evil` went to host `evil`.
async fn loads_from_its_own_base(h: &Harness, page: &str, allowed_evil: &[&str]) {
    h.browser_requests().await; // forget earlier pages' requests
    h.goto(page).await;
    let mounted = widget_mounted_within(h, Duration::from_secs(15)).await;
    let urls = h.browser_requests().await;
    let evil: Vec<&String> = urls
        .iter()
        .filter(|u| host_of(u) == "evil" && !allowed_evil.contains(&u.as_str()))
        .collect();
    assert!(
        evil.is_empty(),
        "{page}: requests to the evil host: {evil:?}"
    );
    for file in ["lyzr-chat-widget.js", "lyzr-chat-widget_bg.wasm"] {
        let expected = format!("{}/{file}", h.base_url);
        assert!(
            urls.contains(&expected),
            "{page}: {expected} was not requested; requests: {urls:#?}"
        );
    }
    assert!(mounted, "{page}: the widget did not mount");
    assert!(
        h.requests
            .matching("/e2e/clobber/lyzr-chat-widget")
            .is_empty(),
        "{page}: the widget was looked for beside the page"
    );
    // It works, not merely draws.
    let root = shadow(h).await;
    root.find(Locator::Css(".lc-launcher"))
        .await
        .expect("launcher")
        .click()
        .await
        .expect("click the launcher");
    h.wait_for_count(&root, ".lc-panel:not([hidden])", 1).await;
    assert_eq!(h.js("return window.__uncaught").await, json!([]), "{page}");
}

#[tokio::test]
async fn dom_clobbering_cannot_move_or_stop_the_loader() {
    let h = Harness::start(DEMO_API_KEY).await;
    // <img name="currentScript" src="https://evil/x.png"> before the script
    // tag: the image itself is the page's own request; the widget's are not.
    loads_from_its_own_base(
        &h,
        "/e2e/clobber/current-script.html",
        &["https://evil/x.png"],
    )
    .await;
    // <a id="__lyzrChatBase" href="https://evil/"> with the ES module install.
    loads_from_its_own_base(&h, "/e2e/clobber/module-base.html", &[]).await;
    assert_eq!(
        h.js("return typeof window.chat.open").await,
        json!("function")
    );
    // <form id="LyzrChat"><input name="version"></form>
    loads_from_its_own_base(&h, "/e2e/clobber/form.html", &[]).await;
    assert_eq!(
        h.js("return [typeof LyzrChat.init, LyzrChat.version, document.getElementById('LyzrChat').tagName]")
            .await,
        json!(["function", "0.1.0", "FORM"])
    );
    h.finish().await;
}

/// Flips one byte in the middle of `file` in a copy of the built widget.
fn tampered_dist(file: &str) -> std::path::PathBuf {
    let dist = lyzr_chat_e2e::dist_copy("tampered");
    let path = dist.join(file);
    let mut bytes = std::fs::read(&path).expect("read the built file");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, bytes).expect("write the tampered file");
    dist
}

/// Loads a page of a server whose `file` was altered after the build: the
/// loader refuses it and says why.
async fn tampered_file_is_refused(file: &str) {
    let h = Harness::start_serving(DEMO_API_KEY, tampered_dist(file)).await;
    h.goto("/e2e/clean.html").await;
    let expected = format!("{file} does not match the sha384 this loader was built with");
    h.wait_until("the loader's integrity error", || async {
        h.js("return window.__console.join('\\n')")
            .await
            .as_str()
            .is_some_and(|log| log.contains(&expected))
    })
    .await;
    let log = h.js("return window.__console.join('\\n')").await;
    assert!(
        log.as_str()
            .unwrap()
            .contains("error: lyzr-chat: could not load the chat widget"),
        "{log}"
    );
    assert!(!widget_mounted_within(&h, Duration::from_millis(500)).await);
    // The loader's launcher is gone too: nothing on the page that cannot work.
    assert_eq!(
        h.js("return document.querySelector('[data-lyzr-chat]').shadowRoot.childNodes.length")
            .await,
        json!(0)
    );
    h.finish().await;
}

#[tokio::test]
async fn widget_files_are_fetched_with_the_hashes_the_build_wrote() {
    // The real files pass, and the module the hash check fetched is the one
    // imported: the glue is requested once.
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/clean.html").await;
    assert!(widget_mounted_within(&h, WAIT).await, "the widget mounts");
    let served = std::fs::read_to_string(lyzr_chat_e2e::dist_dir().join("lyzr-chat.js")).unwrap();
    let hashes = served
        .match_indices("\"sha384-")
        .filter(|(at, _)| {
            let digest = &served[at + 8..];
            digest.len() > 64
                && digest[..64]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
                && digest.as_bytes()[64] == b'"'
        })
        .count();
    // The widget's two files, and every locale file but English (compiled in).
    let locales = std::fs::read_dir(lyzr_chat_e2e::dist_dir().join("locales"))
        .map(|dir| {
            dir.filter(|e| e.as_ref().unwrap().file_name() != "en.json")
                .count()
        })
        .unwrap_or(0);
    assert!(locales >= 11, "{locales} locale files");
    assert!(
        !served.contains("__LYZR_CHAT_SRI_")
            && !served.contains("__LYZR_CHAT_LOCALES__")
            && hashes == 2 + locales,
        "the built loader carries the widget's hashes and the locale files' ({hashes})"
    );
    assert_eq!(h.requests.matching("/lyzr-chat-widget.js").len(), 1);
    assert_eq!(h.requests.matching("/lyzr-chat-widget_bg.wasm").len(), 1);
    // The wasm, the long pole, is asked for first.
    let order = h
        .js("return performance.getEntriesByType('resource')\
               .filter(e => /lyzr-chat-widget(\\.js|_bg\\.wasm)$/.test(e.name))\
               .sort((a, b) => a.startTime - b.startTime)\
               .map(e => e.name.split('/').pop());")
        .await;
    assert_eq!(
        order,
        json!(["lyzr-chat-widget_bg.wasm", "lyzr-chat-widget.js"])
    );
    // Minified after the hashes were written: none of the source's notes.
    assert!(
        !served.contains("// ") && !served.contains("/*"),
        "the served loader is minified"
    );
    h.finish().await;

    tampered_file_is_refused("lyzr-chat-widget_bg.wasm").await;
    tampered_file_is_refused("lyzr-chat-widget.js").await;
}

#[tokio::test]
async fn primary_color_takes_colour_syntax_only() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/color-url.html").await;
    assert!(widget_mounted_within(&h, WAIT).await, "the widget mounts");
    let log = h.js("return window.__console.join('\\n')").await;
    assert!(
        log.as_str()
            .unwrap()
            .contains("option `primaryColor` must be a colour"),
        "{log}"
    );
    // setTheme is held to the same rule.
    assert_eq!(
        h.js("const chat = LyzrChat.instances[0];\
              return [chat.setTheme({primaryColor: 'url(/e2e/color-probe.png)'}),\
                      chat.setTheme({primaryColor: 'var(--y, url(/e2e/color-probe.png))'}),\
                      chat.setTheme({primaryColor: 'oklch(0.6 0.2 30)'})];")
            .await,
        json!([false, false, true])
    );
    let root = shadow(&h).await;
    open_launcher(&h, &root).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        h.requests.matching("/e2e/color-probe"),
        Vec::<String>::new(),
        "the colour fetched a URL"
    );
    h.finish().await;
}

async fn open_launcher(h: &Harness, root: &ShadowRoot) {
    root.find(Locator::Css(".lc-launcher"))
        .await
        .expect("launcher")
        .click()
        .await
        .expect("click the launcher");
    h.wait_for_count(root, ".lc-panel:not([hidden])", 1).await;
}

/// How a test reaches for the launcher.
#[derive(Debug, Clone, Copy)]
enum Trigger {
    Hover,
    Focus,
    Click,
}

/// How many times the server was asked for the widget's glue and wasm.
fn widget_fetches(h: &Harness) -> (usize, usize) {
    (
        h.requests.matching("/lyzr-chat-widget.js").len(),
        h.requests.matching("/lyzr-chat-widget_bg.wasm").len(),
    )
}

async fn move_pointer_away(h: &Harness) {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction};
    let away = MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
        duration: None,
        x: 1.0,
        y: 1.0,
    });
    h.client
        .perform_actions(away)
        .await
        .expect("move the pointer");
}

/// The launcher of the loader, before the widget replaces it.
async fn loader_launcher(h: &Harness) -> (ShadowRoot, fantoccini::elements::Element) {
    let root = shadow(h).await;
    let launcher = root
        .find(Locator::Css(".lc-launcher"))
        .await
        .expect("the loader's launcher");
    (root, launcher)
}

/// Long enough for an idle load to have started (checked on the idle page).
const IDLE_WAIT: Duration = Duration::from_millis(2500);

#[tokio::test]
async fn load_interaction_fetches_nothing_until_the_launcher_is_reached() {
    let h = Harness::start(DEMO_API_KEY).await;
    // Control: without `load`, the idle load starts within IDLE_WAIT, so the
    // wait below would see a fetch if "interaction" behaved like "idle".
    move_pointer_away(&h).await;
    h.goto("/e2e/load-idle.html").await;
    tokio::time::sleep(IDLE_WAIT).await;
    assert_eq!(widget_fetches(&h), (1, 1), "the idle page loads by itself");

    for trigger in [Trigger::Focus, Trigger::Hover, Trigger::Click] {
        // Each round starts with no saved conversation (it follows the
        // visitor across pages otherwise).
        h.clear_storage().await;
        move_pointer_away(&h).await;
        let before = widget_fetches(&h);
        h.goto("/e2e/load-interaction.html").await;
        let (root, launcher) = loader_launcher(&h).await;
        tokio::time::sleep(IDLE_WAIT).await;
        assert_eq!(
            widget_fetches(&h),
            before,
            "{trigger:?}: the widget was fetched before the launcher was reached"
        );
        assert!(!h.has(&root, ".lc-panel").await);
        match trigger {
            Trigger::Hover => {
                use fantoccini::actions::{InputSource, MouseActions, PointerAction};
                let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
                    element: launcher,
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                });
                h.client.perform_actions(hover).await.expect("hover");
            }
            Trigger::Focus => {
                h.js("document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-launcher').focus()")
                    .await;
            }
            Trigger::Click => launcher.click().await.expect("click"),
        }
        h.wait_until("the widget's files", || async {
            widget_fetches(&h) == (before.0 + 1, before.1 + 1)
        })
        .await;
        assert!(
            widget_mounted_within(&h, WAIT).await,
            "{trigger:?}: the widget mounts"
        );
        // The panel works: a click opens it (the click trigger opened it
        // already), and a message gets its answer.
        if !h.has(&root, ".lc-panel:not([hidden])").await {
            open_launcher(&h, &root).await;
        }
        h.wait_for_count(&root, ".lc-panel:not([hidden])", 1).await;
        // (The conversation is kept across the page loads: wait for this
        // message's own answer.)
        let message = format!("after {trigger:?}");
        h.type_and_send(&root, &message).await;
        h.wait_until("the answer to the message", || async {
            h.texts(
                &root,
                ".lc-agent:not(.lc-pending):not(.lc-streaming) .lc-text",
            )
            .await
            .iter()
            .any(|answer| answer.contains(&message))
        })
        .await;
    }
    assert_eq!(h.js("return window.__uncaught").await, json!([]));
    h.finish().await;
}

/// What a widget's welcome message became: live links and loaded images.
async fn welcome_of(h: &Harness, host_css: &str) -> serde_json::Value {
    h.client
        .execute(
            "const r = document.querySelector(arguments[0]).shadowRoot;\
             return { links: [...r.querySelectorAll('.lc-md a')].map(a => a.getAttribute('href')),\
                      images: [...r.querySelectorAll('.lc-md img')].map(i => i.getAttribute('src')),\
                      placeholders: r.querySelectorAll('.lc-md-img-placeholder').length };",
            vec![json!(host_css)],
        )
        .await
        .expect("read the welcome message")
}

#[tokio::test]
async fn every_option_works_as_an_attribute_json_included() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/attributes.html").await;
    let script = "[data-lyzr-chat='opts-script']";
    let element = "lyzr-chat#el";
    for host in [script, element] {
        h.wait_until("the welcome message", || async {
            welcome_of(&h, host).await["links"]
                .as_array()
                .is_some_and(|l| !l.is_empty())
        })
        .await;
        // linkSchemes ["tel"]: tel links live, https ones plain text;
        // imageHosts ["127.0.0.1"]: the page's own images load.
        let which = if host == script { "script" } else { "element" };
        assert_eq!(
            welcome_of(&h, host).await,
            json!({"links": ["tel:123"], "images": [format!("/e2e/own-{which}.png")], "placeholders": 0}),
            "{host}"
        );
    }
    // JSON arrays and objects from data- attributes reach the widget.
    let root = h
        .client
        .find(Locator::Css(script))
        .await
        .expect("the script tag's widget")
        .shadow_root()
        .await
        .expect("its shadow root");
    open_launcher(&h, &root).await;
    assert_eq!(
        h.texts(&root, ".lc-starter").await,
        ["first prompt", "second prompt"]
    );
    h.type_and_send_in(&root, script, "which plan").await;
    h.wait_for_count(
        &root,
        ".lc-user ~ .lc-agent:not(.lc-pending):not(.lc-streaming)",
        1,
    )
    .await;
    let answer = h.texts(&root, ".lc-agent .lc-text").await.pop().unwrap();
    assert!(
        answer.contains("System prompt variables: plan."),
        "{answer}"
    );
    let log = h.js("return window.__console.join('\\n')").await;
    assert!(!log.as_str().unwrap().contains("unknown option"), "{log}");
    h.finish().await;
}

/// The wasm module's own exports, for pages that load it themselves (README
/// "Lower level: `mount`"): `mountIn` mounts into a host the page made.
#[tokio::test]
async fn the_modules_mount_in_export_mounts_into_a_host_of_the_page() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    h.goto("/").await;
    h.widget().await;
    assert!(widget_mounted_within(&h, WAIT).await);
    let mounted = h
        .js(&format!(
            r#"const m = await import('/lyzr-chat-widget.js');
               const host = document.createElement('div');
               host.id = 'own-host';
               document.body.append(host);
               const handle = m.mountIn(host, {{ agentId: 'demo-agent', apiKey: '{DEMO_API_KEY}', open: true }});
               for (let i = 0; i < 200 && !(host.shadowRoot && host.shadowRoot.querySelector('.lc-input')); i++)
                   await new Promise(r => setTimeout(r, 25));
               return [typeof m.mountIn, typeof m.prepareIn, !!handle,
                       !!(host.shadowRoot && host.shadowRoot.querySelector('.lc-input'))];"#
        ))
        .await;
    assert_eq!(mounted, json!(["function", "function", true, true]));
    h.finish().await;
}

/// `[value, selectionStart, whether it has the focus]` of the textarea
/// matching `css` in the widget's shadow root.
async fn textarea_state(h: &Harness, css: &str) -> serde_json::Value {
    h.client
        .execute(
            "const root = document.querySelector('[data-lyzr-chat]').shadowRoot;\
             const t = root.querySelector(arguments[0]);\
             return t && [t.value, t.selectionStart, root.activeElement === t];",
            vec![json!(css)],
        )
        .await
        .expect("read the textarea")
}

/// `[left, top, width, height]`, rounded to whole pixels, of the first
/// element matching each of `css` in the widget's shadow root.
async fn boxes(h: &Harness, css: [&str; 3]) -> serde_json::Value {
    h.client
        .execute(
            "const root = document.querySelector('[data-lyzr-chat]').shadowRoot;\
             return arguments[0].map(c => { const r = root.querySelector(c).getBoundingClientRect();\
               return [r.left, r.top, r.width, r.height].map(Math.round); });",
            vec![json!(css)],
        )
        .await
        .expect("measure")
}

/// Open at load on a slow connection: the loader's stand-in panel takes
/// typing and a send at once; when the widget is up, the message goes out
/// and the text being written, its caret and the focus move to the widget's
/// composer, keystroke after keystroke. (`/held/` holds the wasm back until
/// the test lets it through.)
#[tokio::test]
async fn the_stand_in_panel_takes_typing_and_a_send_before_the_wasm_is_up() {
    let h = Harness::start(DEMO_API_KEY).await;
    // Tall enough for the panel's own height, not its cap.
    h.client.set_window_size(1280, 1000).await.expect("resize");
    h.goto("/e2e/stand-in.html").await;
    let root = shadow(&h).await;
    let input = h
        .wait_for_count(&root, ".lc-stand textarea", 1)
        .await
        .remove(0);
    assert_eq!(
        h.texts(&root, ".lc-stand h2").await,
        ["Support"],
        "the title option"
    );
    input.click().await.expect("click the stand-in's composer");
    input
        .send_keys("first question\u{E007}")
        .await
        .expect("type and press Enter");
    h.wait_for_count(&root, ".lc-stand li", 1).await;
    assert_eq!(h.texts(&root, ".lc-stand li").await, ["first question"]);
    // Still writing the next one, the caret moved back into the word.
    input
        .send_keys("still writing\u{E012}\u{E012}\u{E012}")
        .await
        .expect("type more");
    assert_eq!(
        textarea_state(&h, ".lc-stand textarea").await,
        json!(["still writing", 10, true])
    );
    h.screenshot("stand-in-panel").await;
    // Where the panel, its header and the composer are: the widget's must
    // be in the same places (the loader copies the widget's geometry).
    let stand_boxes = boxes(&h, [".lc-stand", ".lc-stand-head", ".lc-stand textarea"]).await;
    // Nothing of the widget yet, and nothing sent.
    assert!(!h.has(&root, ".lc-root").await);
    assert!(h.requests.matching("/v3/inference").is_empty());

    h.release_wasm();
    h.wait_for_count(&root, ".lc-root .lc-input", 1).await;
    h.wait_until("the stand-in to go", || async {
        !h.has(&root, ".lc-loader").await
    })
    .await;
    assert_eq!(
        textarea_state(&h, ".lc-root .lc-input").await,
        json!(["still writing", 10, true]),
        "the text, the caret and the focus moved to the widget's composer"
    );
    assert_eq!(
        boxes(
            &h,
            [
                ".lc-root .lc-panel",
                ".lc-root .lc-header",
                ".lc-root .lc-input"
            ]
        )
        .await,
        stand_boxes,
        "the widget's panel, header and composer are where the stand-in's were"
    );
    // The next keystroke (to whatever has the focus, as a visitor's) lands
    // in the widget's composer, at the caret.
    h.press(&['X']).await;
    assert_eq!(h.composer_text(&root).await, "still writXing");
    // The queued message was sent by the widget and answered.
    h.wait_until("the answer to the stand-in's message", || async {
        h.texts(&root, ".lc-agent:not(.lc-pending) .lc-text")
            .await
            .iter()
            .any(|answer| answer.contains("first question"))
    })
    .await;
    assert_eq!(
        h.texts(&root, ".lc-user .lc-text").await,
        ["first question"]
    );
    assert_eq!(h.requests.matching("/v3/inference").len(), 1);
    // Only the widget's own stylesheets are left.
    assert_eq!(
        h.js("return document.querySelector('[data-lyzr-chat]').shadowRoot.adoptedStyleSheets.length")
            .await,
        json!(2)
    );
    assert_eq!(h.js("return window.__uncaught").await, json!([]));
    h.finish().await;
}

/// Opened by the launcher while the wasm loads, written in, closed with
/// Escape: the widget starts closed, the focus is back on the launcher,
/// and the text waits in the widget's composer.
#[tokio::test]
async fn a_stand_in_closed_before_the_wasm_keeps_its_text_as_the_draft() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/stand-in-closed.html").await;
    let (root, launcher) = loader_launcher(&h).await;
    // The page's open() and close() before the widget is up move the
    // stand-in too.
    h.js("LyzrChat.instances[0].open()").await;
    h.wait_for_count(&root, ".lc-stand:not([hidden])", 1).await;
    h.js("LyzrChat.instances[0].close()").await;
    assert!(h.has(&root, ".lc-stand[hidden]").await);
    launcher.click().await.expect("click the loader's launcher");
    let input = h
        .wait_for_count(&root, ".lc-stand:not([hidden]) textarea", 1)
        .await
        .remove(0);
    assert_eq!(
        textarea_state(&h, ".lc-stand textarea").await,
        json!(["", 0, true]),
        "opening by the launcher puts the focus in the composer"
    );
    input.send_keys("kept for later").await.expect("type");
    // Tab stays in the panel, as in the widget's: composer, Send, Close,
    // composer.
    let focused = "const r = document.querySelector('[data-lyzr-chat]').shadowRoot;\
                   const a = r.activeElement;\
                   return a.tagName + (a.closest('.lc-stand-head') ? ' head' : '');";
    let mut seen = Vec::new();
    for _ in 0..3 {
        h.press(&['\u{E004}']).await;
        seen.push(h.js(focused).await);
    }
    assert_eq!(
        seen,
        [json!("BUTTON"), json!("BUTTON head"), json!("TEXTAREA")]
    );
    input.send_keys("\u{E00C}").await.expect("press Escape");
    assert!(h.has(&root, ".lc-stand[hidden]").await);
    assert_eq!(
        h.js(
            "const r = document.querySelector('[data-lyzr-chat]').shadowRoot;\
              return r.activeElement === r.querySelector('.lc-launcher')"
        )
        .await,
        json!(true)
    );
    h.release_wasm();
    h.wait_for_count(&root, ".lc-root .lc-launcher", 1).await;
    h.wait_until("the loader's launcher to go", || async {
        !h.has(&root, ".lc-loader").await
    })
    .await;
    assert_eq!(
        h.js(
            "const r = document.querySelector('[data-lyzr-chat]').shadowRoot;\
              return r.activeElement === r.querySelector('.lc-root .lc-launcher')"
        )
        .await,
        json!(true),
        "the focus moved from the loader's launcher to the widget's"
    );
    assert!(h.has(&root, ".lc-panel[hidden]").await || !h.has(&root, ".lc-panel").await);
    open_launcher(&h, &root).await;
    h.wait_for_count(&root, ".lc-panel:not([hidden]) .lc-input", 1)
        .await;
    assert_eq!(h.composer_text(&root).await, "kept for later");
    assert!(h.requests.matching("/v3/inference").is_empty());
    assert_eq!(h.js("return window.__uncaught").await, json!([]));
    h.finish().await;
}

/// The wasm fails its hash check after the visitor wrote in the stand-in
/// panel: what they wrote stays there, to copy, with the reason; nothing
/// else of the widget stays.
#[tokio::test]
async fn a_widget_that_cannot_load_leaves_the_stand_in_text_with_the_reason() {
    let h = Harness::start_serving(DEMO_API_KEY, tampered_dist("lyzr-chat-widget_bg.wasm")).await;
    h.goto("/e2e/stand-in.html").await;
    let root = shadow(&h).await;
    let input = h
        .wait_for_count(&root, ".lc-stand textarea", 1)
        .await
        .remove(0);
    input
        .send_keys("a long question\u{E007}")
        .await
        .expect("send");
    input.send_keys("and more").await.expect("type");
    h.release_wasm();
    h.wait_for_count(&root, ".lc-stand [role=alert]", 1).await;
    assert_eq!(
        h.texts(&root, ".lc-stand [role=alert]").await,
        ["The chat could not be loaded."]
    );
    assert_eq!(h.texts(&root, ".lc-stand li").await, ["a long question"]);
    assert_eq!(
        textarea_state(&h, ".lc-stand textarea").await[0],
        json!("and more")
    );
    assert!(!h.has(&root, ".lc-launcher").await);
    assert!(h.has(&root, ".lc-stand form button:disabled").await);
    h.finish().await;
}

/// An inline widget: the stand-in fills the container at once, takes the
/// text, and the widget fills the same box when it takes over.
#[tokio::test]
async fn an_inline_widget_has_its_stand_in_in_its_container() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/stand-in-inline.html").await;
    let root = shadow(&h).await;
    let input = h
        .wait_for_count(&root, ".lc-stand textarea", 1)
        .await
        .remove(0);
    let boxes = "const slot = document.querySelector('#slot');\
                 const r = document.querySelector('[data-lyzr-chat]').shadowRoot;\
                 const panel = r.querySelector(arguments[0]).getBoundingClientRect();\
                 const inner = slot.getBoundingClientRect();\
                 return [slot.clientWidth, slot.clientHeight, panel.width, panel.height,\
                         Math.round(panel.top - inner.top - slot.clientTop),\
                         Math.round(panel.left - inner.left - slot.clientLeft)];";
    let slot_and = |css: &'static str| {
        let h = &h;
        async move {
            h.client
                .execute(boxes, vec![json!(css)])
                .await
                .expect("measure")
        }
    };
    let stand = slot_and(".lc-stand").await;
    assert_eq!(
        stand[2], stand[0],
        "the stand-in is as wide as the container: {stand}"
    );
    assert_eq!(stand[3], stand[1], "and as high: {stand}");
    assert_eq!((&stand[4], &stand[5]), (&json!(0), &json!(0)), "{stand}");
    assert!(
        !h.has(&root, ".lc-stand-head button").await,
        "no close in inline mode"
    );
    input.send_keys("inline words").await.expect("type");
    h.release_wasm();
    h.wait_until("the stand-in to go", || async {
        !h.has(&root, ".lc-loader").await
    })
    .await;
    assert_eq!(h.composer_text(&root).await, "inline words");
    assert_eq!(
        slot_and(".lc-panel").await,
        stand,
        "the widget fills the same box"
    );
    assert_eq!(h.js("return window.__uncaught").await, json!([]));
    h.finish().await;
}

/// The loader's launcher and stand-in panel speak the visitor's language
/// once its words are here, while the wasm is still on its way.
#[tokio::test]
async fn the_stand_in_speaks_the_visitors_language_before_the_wasm() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.goto("/e2e/stand-in-fr.html").await;
    let (root, launcher) = loader_launcher(&h).await;
    // Reaching for the launcher starts the load (the wasm is held).
    launcher.click().await.expect("click the loader's launcher");
    h.wait_until("the French words", || async {
        launcher.attr("aria-label").await.ok().flatten().as_deref() == Some("Ouvrir la discussion")
    })
    .await;
    assert_eq!(h.texts(&root, ".lc-stand h2").await, ["Discussion"]);
    let input = h
        .wait_for_count(&root, ".lc-stand textarea", 1)
        .await
        .remove(0);
    assert_eq!(
        input.attr("placeholder").await.unwrap().as_deref(),
        Some("Écrivez un message…")
    );
    assert!(!h.has(&root, ".lc-root").await, "before the wasm");
    h.release_wasm();
    h.wait_until("the stand-in to go", || async {
        !h.has(&root, ".lc-loader").await
    })
    .await;
    h.finish().await;
}
