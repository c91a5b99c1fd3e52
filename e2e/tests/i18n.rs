//! The visitor's language: an Arabic page (right to left, Arabic words, the
//! locale file fetched with the wasm), `locale`, `dir` and `labels`, the
//! warning for an unknown label, and English when a locale file is missing.

use fantoccini::elements::ShadowRoot;
use fantoccini::Locator;
use lyzr_chat_e2e::{dist_copy, Harness};
use lyzr_chat_server::DEMO_API_KEY;
use serde_json::{json, Value};

/// The widget's shadow root once the wasm has mounted it.
async fn mounted(h: &Harness) -> ShadowRoot {
    let root = h.widget().await;
    h.wait_for_count(&root, ".lc-panel", 1).await;
    root
}

/// Starts a widget on the English test page with `options` (JSON) added to
/// the demo agent's, its panel open.
async fn start_with(h: &Harness, options: Value) -> ShadowRoot {
    h.goto("/e2e/i18n.html").await;
    h.client
        .execute(
            "window.chat = LyzrChat.init(Object.assign({agentId: 'demo-agent', \
             apiKey: 'lyzr-chat-demo-key', preload: true, open: true}, arguments[0]));",
            vec![options],
        )
        .await
        .expect("init");
    let root = mounted(h).await;
    h.wait_for_count(&root, ".lc-panel:not([hidden])", 1).await;
    root
}

/// Attributes and texts of the widget's parts that carry words.
async fn words_shown(h: &Harness) -> Value {
    h.js(
        "const r = document.querySelector('[data-lyzr-chat]').shadowRoot;\
         const q = s => r.querySelector(s);\
         const root = q('.lc-root');\
         return {\
           dir: root.getAttribute('dir'), lang: root.getAttribute('lang'),\
           title: q('.lc-title').textContent,\
           placeholder: q('.lc-input').getAttribute('placeholder'),\
           send: q('.lc-send').getAttribute('aria-label'),\
           close: q('.lc-close').getAttribute('aria-label'),\
           reset: q('.lc-reset').getAttribute('aria-label'),\
           launcher: q('.lc-root .lc-launcher').getAttribute('aria-label'),\
         };",
    )
    .await
}

async fn console_log(h: &Harness) -> String {
    h.js("return window.__console.join('\\n')")
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn an_arabic_page_is_right_to_left_in_arabic() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    h.browser_requests().await;
    h.goto("/e2e/i18n-ar.html").await;
    let root = mounted(&h).await;
    root.find(Locator::Css(".lc-root .lc-launcher"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    h.wait_for_count(&root, ".lc-panel:not([hidden])", 1).await;
    // From <html lang="ar">: right to left, and the words of locales/ar.json.
    assert_eq!(
        words_shown(&h).await,
        json!({
            "dir": "rtl", "lang": "ar", "title": "مساعد المتجر",
            "placeholder": "اكتب رسالة…", "send": "إرسال الرسالة",
            "close": "إغلاق الدردشة", "reset": "بدء محادثة جديدة",
            "launcher": "إغلاق الدردشة",
        })
    );
    let requests = h.browser_requests().await;
    assert!(
        requests.iter().any(|u| u.ends_with("/locales/ar.json")),
        "{requests:#?}"
    );
    // A reply mixing Arabic with code and a URL.
    h.type_and_send(
        &root,
        "/echo جرّب الأمر `npm install lyzr-chat` ثم افتح https://example.com/docs للتفاصيل.",
    )
    .await;
    h.wait_for_count(
        &root,
        ".lc-user ~ .lc-agent:not(.lc-pending):not(.lc-streaming)",
        1,
    )
    .await;
    // The panel mirrors: the visitor's bubble on the left, the agent's on
    // the right, Send to the left of the composer and its arrow pointing
    // left (the way the text goes); the launcher keeps its corner (bottom
    // right); message text takes its own direction.
    let layout = h
        .js(
            "const r = document.querySelector('[data-lyzr-chat]').shadowRoot;\
             const box = s => r.querySelector(s).getBoundingClientRect();\
             const panel = box('.lc-panel'), launcher = box('.lc-root .lc-launcher');\
             const user = box('.lc-user .lc-bubble'), agent = box('.lc-user ~ .lc-agent .lc-bubble');\
             const nearLeft = b => b.left - panel.left < panel.right - b.right;\
             return {\
               userLeft: nearLeft(user), agentRight: !nearLeft(agent),\
               sendBeforeInput: box('.lc-send').right <= box('.lc-input').left,\
               launcherRight: innerWidth - launcher.right < 40 && innerHeight - launcher.bottom < 40,\
               sendIcon: getComputedStyle(r.querySelector('.lc-send svg')).transform,\
               textDirs: [...r.querySelectorAll('.lc-msg .lc-text')].map(t => t.getAttribute('dir')),\
               codeDir: getComputedStyle(r.querySelector('.lc-agent .lc-md code')).direction,\
             };",
        )
        .await;
    assert_eq!(
        layout,
        json!({
            "userLeft": true, "agentRight": true, "sendBeforeInput": true,
            "launcherRight": true, "textDirs": ["auto", "auto", "auto"], "codeDir": "ltr",
            "sendIcon": "matrix(-1, 0, 0, 1, 0, 0)",
        })
    );
    let shot = h.screenshot("i18n-rtl-arabic").await;
    if std::env::var_os("LYZR_CHAT_DOCS").is_some() {
        let docs = lyzr_chat_e2e::workspace_root().join("docs/rtl.png");
        std::fs::copy(&shot, docs).expect("copy the screenshot to docs/");
    }
    assert_eq!(console_log(&h).await, "", "no warnings or errors");
    h.finish().await;
}

#[tokio::test]
async fn labels_override_words_dir_overrides_direction_and_an_unknown_label_is_named() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    let root = start_with(
        &h,
        json!({
            "dir": "rtl",
            "labels": {"send_label": "Go!", "placeholder": "Ask away", "sned": "x", "stopp": "y"},
        }),
    )
    .await;
    let shown = words_shown(&h).await;
    assert_eq!(shown["send"], "Go!");
    assert_eq!(shown["placeholder"], "Ask away");
    // Not overridden: English.
    assert_eq!(shown["close"], "Close chat");
    // `dir` wins over the locale's direction (English is left to right).
    assert_eq!(shown["dir"], "rtl");
    assert_eq!(shown["lang"], "en");
    let log = console_log(&h).await;
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("unknown label"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning for both keys: {log}");
    assert!(
        warnings[0].starts_with("warn: lyzr-chat: option `labels`: unknown label `sned`, `stopp` ignored; known labels: title, placeholder, send,"),
        "{log}"
    );
    assert!(h.has(&root, ".lc-send").await);
    h.finish().await;
}

#[tokio::test]
async fn locale_ja_speaks_japanese_with_numbers_and_times_the_japanese_way() {
    let h = Harness::start(DEMO_API_KEY).await;
    h.clear_storage().await;
    let root = start_with(&h, json!({"locale": "ja"})).await;
    assert_eq!(
        words_shown(&h).await,
        json!({
            "dir": "ltr", "lang": "ja", "title": "チャット",
            "placeholder": "メッセージを入力…", "send": "メッセージを送信",
            "close": "チャットを閉じる", "reset": "新しい会話を始める",
            "launcher": "チャットを閉じる",
        })
    );
    // "Trying again in 2 s" through Intl.RelativeTimeFormat, in a Japanese
    // sentence.
    h.type_and_send(
        &root,
        "/fault status=429 retry-after=2 times=1 -- /echo 届いた",
    )
    .await;
    let banner = h.wait_for_count(&root, ".lc-banner", 1).await[0]
        .text()
        .await
        .unwrap();
    assert!(
        banner.contains("秒後に再試行します…") && banner.contains("クレジットが不足しています"),
        "{banner}"
    );
    h.wait_for_count(
        &root,
        ".lc-user ~ .lc-agent:not(.lc-pending):not(.lc-streaming)",
        1,
    )
    .await;
    // The time under a message is written the Japanese way (Intl), e.g. "9:05".
    let time = h.texts(&root, ".lc-user .lc-time").await.pop().unwrap();
    let expected = h
        .js("return new Intl.DateTimeFormat('ja', {timeStyle: 'short'}).format(new Date())")
        .await;
    assert_eq!(
        time.len(),
        expected.as_str().unwrap().len(),
        "{time} vs {expected}"
    );
    // (The 429 itself is logged as a warning, in English: it is for the site.)
    let log = console_log(&h).await;
    assert!(!log.contains("error:"), "{log}");
    h.finish().await;
}

#[tokio::test]
async fn a_missing_locale_file_falls_back_to_english_with_a_console_note() {
    // A copy of the build whose locales/ folder holds only a French file
    // changed after the build; the loader lists every language, with the
    // built files' hashes.
    let dist = dist_copy("no-locales");
    std::fs::create_dir(dist.join("locales")).unwrap();
    let french = lyzr_chat_e2e::dist_dir().join("locales/fr.json");
    let tampered = std::fs::read_to_string(french)
        .unwrap()
        .replace("Écrivez un message…", "Écrivez-nous…");
    std::fs::write(dist.join("locales/fr.json"), tampered).unwrap();
    let h = Harness::start_serving(DEMO_API_KEY, dist).await;
    h.clear_storage().await;
    start_with(&h, json!({"locale": "fr"})).await;
    assert_eq!(words_shown(&h).await["placeholder"], "Type a message…");
    let log = console_log(&h).await;
    assert!(
        log.contains(
            "warn: lyzr-chat: the words for \"fr\" could not be loaded, so the chat is in English"
        ) && log.contains("locales/fr.json does not match the sha384 this loader was built with"),
        "{log}"
    );
    // German: listed, but the file is not there.
    start_with(&h, json!({"locale": "de"})).await;
    let shown = words_shown(&h).await;
    assert_eq!(shown["placeholder"], "Type a message…");
    assert_eq!(shown["send"], "Send message");
    // Intl still formats for German; only the words fall back.
    assert_eq!(shown["lang"], "de");
    let log = console_log(&h).await;
    assert!(
        log.contains(
            "warn: lyzr-chat: the words for \"de\" could not be loaded, so the chat is in English"
        ) && log.contains("locales/de.json: HTTP 404"),
        "{log}"
    );
    // A language the build has no file for: the same, with what it has.
    start_with(&h, json!({"locale": "sv-SE"})).await;
    assert_eq!(words_shown(&h).await["placeholder"], "Type a message…");
    let log = console_log(&h).await;
    assert!(
        log.contains("no words for the language \"sv-SE\" in this build (it has: en, ")
            && log.contains("ar"),
        "{log}"
    );
    h.finish().await;
}
