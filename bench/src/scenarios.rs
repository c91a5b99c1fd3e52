//! What the bench does in the browser, one fresh session per scenario:
//! lyzr-chat with the panel open at load (then sent to, over the chat call
//! as deep-chat is), lyzr-chat closed until idle (then clicked, and streamed
//! a long answer), and deep-chat on the equivalent page.
//! Times come from `performance.now()` in the page (see `probe.js`).

use crate::cdp::{Driver, Session};
use crate::report::{Metric, Profile, Results, Widget};
use serde_json::{json, Value};

/// How long one wait in the page may take (a throttled 10,000-token answer
/// takes minutes).
const WAIT_MS: u64 = 600_000;
/// Quiet time after the widget appears, so late long tasks are counted.
const SETTLE_MS: u64 = 1_500;
/// Between the text's `input` event and Enter, for both widgets: a visitor
/// takes at least this long to write a message, and what a widget does
/// while they write (ours opens the agent-activity socket) is not waiting.
const TYPING_MS: u64 = 1_000;
/// The last word of the long streamed answer.
const STREAM_END: &str = "benchend";

/// The scenarios `--only` can pick: lyzr-chat open at load (and a send),
/// closed until idle (and a click), the streamed answer (after an idle load
/// and a click), the long conversations, and deep-chat.
pub const NAMES: &[&str] = &["open", "idle", "stream", "long", "deep"];

pub async fn run_all(
    driver: &Driver,
    base: &str,
    profile: Profile,
    args: &crate::Args,
    results: &mut Results,
) {
    let picked = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    if picked("open") {
        let s = driver.session(profile).await;
        ours_open(&s, base, profile, args.cpu_profile.as_deref(), results).await;
        trace(&s, "open", args.verbose).await;
        s.close().await;
    }
    if picked("idle") || picked("stream") {
        let s = driver.session(profile).await;
        let stream = picked("stream");
        ours_idle(
            &s,
            base,
            profile,
            stream,
            args.cpu_profile.as_deref(),
            results,
        )
        .await;
        trace(&s, "idle", args.verbose).await;
        s.close().await;
    }
    if picked("long") {
        let s = driver.session(profile).await;
        ours_long(&s, base, profile, results).await;
        s.close().await;
    }
    if picked("deep") {
        let s = driver.session(profile).await;
        deep_chat(&s, base, profile, results).await;
        trace(&s, "deep", args.verbose).await;
        s.close().await;
    }
}

/// With `--verbose`: the page's long tasks, first frames and wasm phases
/// (start, duration in ms), to see where a long task comes from.
async fn trace(s: &Session, name: &str, verbose: bool) {
    if !verbose {
        return;
    }
    let v = s
        .js(
            "const r = (x) => Math.round(x * 10) / 10;
             return {
               longtasks: __bench.longtasks.map(([t, d]) => [r(t), r(d)]),
               seen: Object.fromEntries(Object.entries(__bench.seen).map(([k, t]) => [k, r(t)])),
               phases: __bench.phases.map(([n, t, d]) => [n, r(t), r(d)]),
               marks: performance.getEntriesByType('mark').map((m) => [m.name, r(m.startTime)]),
               resources: performance.getEntriesByType('resource')
                 .map((e) => [e.name.split('/').pop(), r(e.startTime), r(e.responseEnd)]),
               frames: [...__bench.frames].sort((a, b) => b.duration - a.duration).slice(0, 8),
               nav: [r(performance.getEntriesByType('navigation')[0].responseEnd),
                     r(performance.getEntriesByType('navigation')[0].domInteractive)],
             };",
            vec![],
        )
        .await;
    eprintln!("  {name}: {v}");
}

fn num(v: &Value, i: usize) -> f64 {
    v[i].as_f64()
        .unwrap_or_else(|| panic!("expected a number at {i} in {v}"))
}

/// Records the `[count, longest, tbt]` triple of `bench.tasksSince`.
fn add_tasks(
    results: &mut Results,
    profile: Profile,
    widget: Widget,
    tasks: &Value,
    metrics: [Option<Metric>; 3],
) {
    for (i, metric) in metrics.into_iter().enumerate() {
        if let Some(metric) = metric {
            results.add(profile, metric, widget, num(tasks, i));
        }
    }
}

/// Loads `page` (a widget open at load) and waits for a usable composer and
/// the widget's own, plus quiet time; returns `[composer ms, bytes, [count,
/// longest, tbt], own composer ms]`.
async fn load_open(s: &Session, base: &str, page: &str) -> Value {
    s.client
        .goto(&format!("{base}/{page}"))
        .await
        .unwrap_or_else(|e| panic!("load {page}: {e}"));
    s.js(
        &format!(
            "await __bench.waitFor(() => __bench.seen.ownComposer !== undefined, {WAIT_MS});
                 await __bench.sleep({SETTLE_MS});
                 return [__bench.seen.composer, __bench.bytes(), __bench.tasksSince(__bench.widgetArrived()),
                         __bench.seen.ownComposer];"
        ),
        vec![],
    )
    .await
}

async fn ours_open(
    s: &Session,
    base: &str,
    profile: Profile,
    cpu_profile: Option<&std::path::Path>,
    results: &mut Results,
) {
    crate::profile::start(s, cpu_profile).await;
    let v = load_open(s, base, "ours-open.html").await;
    crate::profile::stop(s, cpu_profile, &format!("open-load-{}", profile.short())).await;
    let w = Widget::Ours;
    results.add(profile, Metric::ComposerOpenAtLoad, w, num(&v, 0));
    results.add(profile, Metric::OwnComposerOpenAtLoad, w, num(&v, 3));
    results.add(profile, Metric::Bytes, w, num(&v, 1) / 1000.0);
    add_tasks(
        results,
        profile,
        w,
        &v[2],
        [
            Some(Metric::LongTasksOpenAtLoad),
            Some(Metric::LongestOpenAtLoad),
            Some(Metric::TbtOpenAtLoad),
        ],
    );
    heap(s, profile, w, results).await;

    crate::profile::start(s, cpu_profile).await;
    let v = ours_send(s, "hello from the bench", "You said", false).await;
    results.add(profile, Metric::SendToReply, w, num(&v, 0));
    crate::profile::stop(s, cpu_profile, &format!("open-send-{}", profile.short())).await;
}

async fn heap(s: &Session, profile: Profile, widget: Widget, results: &mut Results) {
    let (used, stores) = s.heap_after_gc().await;
    results.add(profile, Metric::Heap, widget, used / 1000.0);
    if let Some(stores) = stores {
        results.add(profile, Metric::BackingStores, widget, stores / 1000.0);
    }
}

/// Types `text` into our composer, presses Enter and waits for a finished
/// agent reply containing `expect`; returns `[ms, [count, longest, tbt],
/// [keystroke delays]]`. With `typing`, while the reply comes a keystroke
/// is typed into the composer about every 100 ms (a timer inserts a letter
/// at the caret with `execCommand('insertText')`, as the browser's editor
/// does for a key press, `input` event included); each delay runs from that
/// keystroke to the next animation frame, i.e. until the letter can show.
/// A real key press waits for the same, plus the end of the task running
/// when it comes (the long tasks above).
async fn ours_send(s: &Session, text: &str, expect: &str, typing: bool) -> Value {
    s.js(
        &format!(
            "const root = __bench.oursRoot();
             const lags = [];
             let typing = arguments[2];
             const type = () => setTimeout(() => {{
               if (!typing) return;
               const due = performance.now();
               // As a key press types: one letter inserted at the caret by
               // the editor (the `input` event comes from it), not the whole
               // value set again.
               input.focus();
               input.setSelectionRange(input.value.length, input.value.length);
               document.execCommand('insertText', false, 'x');
               requestAnimationFrame(() => {{ lags.push(performance.now() - due); type(); }});
             }}, 100);
             const replies = () => root.querySelectorAll('li.lc-agent:not(.lc-pending)');
             const before = replies().length;
             const input = root.querySelector('.lc-input');
             input.value = arguments[0];
             input.dispatchEvent(new Event('input', {{ bubbles: true }}));
             await __bench.sleep({TYPING_MS});
             const t0 = performance.now();
             input.dispatchEvent(new KeyboardEvent('keydown', {{ key: 'Enter', bubbles: true, cancelable: true }}));
             if (typing) type();
             const t1 = await __bench.waitFor(() => {{
               const all = replies();
               const last = all[all.length - 1];
               return all.length > before && !last.hasAttribute('aria-busy')
                 && last.textContent.includes(arguments[1]);
             }}, {WAIT_MS});
             typing = false;
             await __bench.sleep(200);
             input.value = '';
             input.dispatchEvent(new Event('input', {{ bubbles: true }}));
             return [t1 - t0, __bench.tasksSince(t0), lags];"
        ),
        vec![json!(text), json!(expect), json!(typing)],
    )
    .await
}

async fn ours_idle(
    s: &Session,
    base: &str,
    profile: Profile,
    stream: bool,
    cpu_profile: Option<&std::path::Path>,
    results: &mut Results,
) {
    let w = Widget::Ours;
    s.client
        .goto(&format!("{base}/ours-idle.html"))
        .await
        .expect("load ours-idle.html");
    let v = s
        .js(
            &format!(
                "await __bench.waitFor(() => __bench.seen.widget !== undefined, {WAIT_MS});
                 await __bench.sleep({SETTLE_MS});
                 return [__bench.seen.launcher, __bench.tasksSince(__bench.widgetArrived())];"
            ),
            vec![],
        )
        .await;
    results.add(profile, Metric::Launcher, w, num(&v, 0));
    add_tasks(
        results,
        profile,
        w,
        &v[1],
        [
            Some(Metric::LongTasksIdleLoad),
            Some(Metric::LongestIdleLoad),
            Some(Metric::TbtIdleLoad),
        ],
    );

    let v = s
        .js(
            &format!(
                "const root = __bench.oursRoot();
                 const launcher = [...root.querySelectorAll('.lc-launcher')]
                   .find((b) => b.getClientRects().length > 0);
                 const t0 = performance.now();
                 launcher.click();
                 const t1 = await __bench.waitFor(() => __bench.composer(), {WAIT_MS});
                 await __bench.sleep(300);
                 return [t1 - t0, __bench.tasksSince(t0)];"
            ),
            vec![],
        )
        .await;
    results.add(profile, Metric::ClickToComposer, w, num(&v, 0));
    add_tasks(
        results,
        profile,
        w,
        &v[1],
        [None, Some(Metric::LongestOnClick), None],
    );
    if !stream {
        return;
    }

    crate::profile::start(s, cpu_profile).await;
    let v = ours_send(
        s,
        &format!("/fault drip=1 -- /echo {}", long_answer(10_000)),
        STREAM_END,
        true,
    )
    .await;
    crate::profile::stop(s, cpu_profile, &format!("stream-{}", profile.short())).await;
    results.add(profile, Metric::StreamTotal, w, num(&v, 0));
    add_tasks(
        results,
        profile,
        w,
        &v[1],
        [
            Some(Metric::StreamLongTasks),
            Some(Metric::StreamLongest),
            Some(Metric::StreamTbt),
        ],
    );
    let mut lags: Vec<f64> = v[2]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    lags.sort_by(f64::total_cmp);
    if !lags.is_empty() {
        results.add(profile, Metric::StreamTypingMedian, w, lags[lags.len() / 2]);
        results.add(profile, Metric::StreamTypingWorst, w, lags[lags.len() - 1]);
    }
}

/// The session the long-history page continues (`ours-history.html`).
const HISTORY_SESSION: &str = "bench-agent-0123456789abcdef0123456789abcdef";

/// Clicks our launcher once the widget has mounted and `ready` holds; returns
/// `[ms to a usable composer showing the newest message, [count, longest, tbt]]`.
async fn open_long(s: &Session, ready: &str, newest: &str) -> Value {
    s.js(
        &format!(
            "const root = () => __bench.oursRoot();
             await __bench.waitFor(() => root() && root().querySelector('.lc-panel') && ({ready}), {WAIT_MS});
             await __bench.sleep({SETTLE_MS});
             const launcher = [...root().querySelectorAll('.lc-launcher')]
               .find((b) => b.getClientRects().length > 0);
             const t0 = performance.now();
             launcher.click();
             const t1 = await __bench.waitFor(() => {{
               if (!__bench.composer()) return false;
               const texts = [...root().querySelectorAll('.lc-msg .lc-text')];
               const last = texts[texts.length - 1];
               return last && last.getClientRects().length > 0 && last.textContent.includes(arguments[0]);
             }}, {WAIT_MS});
             await __bench.sleep(300);
             return [t1 - t0, __bench.tasksSince(t0)];"
        ),
        vec![json!(newest)],
    )
    .await
}

/// Issue 9's two long conversations: a 200-message transcript saved by an
/// earlier page, and a 1,000-message session whose history the server holds.
async fn ours_long(s: &Session, base: &str, profile: Profile, results: &mut Results) {
    let w = Widget::Ours;
    // A page of the site without the widget, to write the saved transcript.
    s.client
        .goto(&format!("{base}/ours/lyzr-chat.js"))
        .await
        .expect("load a page of the site");
    s.js(
        "localStorage.clear();
         localStorage.setItem('lyzr-chat:bench-agent:conversation', arguments[0]);
         return true;",
        vec![json!(saved_conversation(200).to_string())],
    )
    .await;
    s.client
        .goto(&format!("{base}/ours-idle.html"))
        .await
        .expect("load ours-idle.html");
    let v = open_long(s, "true", "Saved answer 199").await;
    results.add(profile, Metric::SavedOpen, w, num(&v, 0));
    add_tasks(
        results,
        profile,
        w,
        &v[1],
        [None, Some(Metric::SavedLongest), None],
    );

    // The server holds 1,000 messages of the session the page continues.
    s.js(
        "localStorage.clear();
         const r = await fetch('/test/seed-history', {method: 'POST',
           headers: {'content-type': 'application/json', 'x-api-key': 'lyzr-chat-demo-key'},
           body: JSON.stringify({session_id: arguments[0], count: 1000})});
         if (!r.ok) throw new Error('seeding the history failed: ' + r.status);
         return true;",
        vec![json!(HISTORY_SESSION)],
    )
    .await;
    s.client
        .goto(&format!("{base}/ours-history.html"))
        .await
        .expect("load ours-history.html");
    // Ready once the history has arrived (its messages are in the hidden list).
    let v = open_long(s, "root().querySelectorAll('.lc-msg').length >= 20", "").await;
    results.add(profile, Metric::History, w, num(&v, 0));
    add_tasks(
        results,
        profile,
        w,
        &v[1],
        [None, Some(Metric::HistoryLongest), None],
    );
    results.note(
        "lyzr-chat's 200-message and 1,000-message rows: from the click on the launcher to the \
         first frame with a usable composer showing the newest message; the saved transcript is \
         restored, and the server's history fetched, at page load before the click."
            .to_string(),
    );
}

/// A transcript of `count` finished messages as the widget saves it.
fn saved_conversation(count: usize) -> Value {
    let now = 1_800_000_000_000u64;
    let messages: Vec<Value> = (0..count)
        .map(|i| {
            let user = i % 2 == 0;
            json!({
                "id": i + 1,
                "role": if user { "user" } else { "agent" },
                "text": if user {
                    format!("Saved question {i}: how does this work?")
                } else {
                    format!("Saved answer {i}: it works like this, with `code` and a list:\n\n- one\n- two")
                },
                "status": "done",
                "created_ms": now + i as u64 * 1000,
                "sent": user,
            })
        })
        .collect();
    json!({ "v": 1, "session_id": "bench-agent-saved0123456789abcdef0123456789", "messages": messages, "unread": 0 })
}

async fn deep_chat(s: &Session, base: &str, profile: Profile, results: &mut Results) {
    let w = Widget::DeepChat;
    let v = load_open(s, base, "deepchat.html").await;
    results.add(profile, Metric::ComposerOpenAtLoad, w, num(&v, 0));
    results.add(profile, Metric::OwnComposerOpenAtLoad, w, num(&v, 3));
    results.add(profile, Metric::Bytes, w, num(&v, 1) / 1000.0);
    add_tasks(
        results,
        profile,
        w,
        &v[2],
        [
            Some(Metric::LongTasksOpenAtLoad),
            Some(Metric::LongestOpenAtLoad),
            Some(Metric::TbtOpenAtLoad),
        ],
    );
    heap(s, profile, w, results).await;

    let v = s
        .js(
            &format!(
                "const root = __bench.deepRoot();
                 const replies = () => root.querySelectorAll('.ai-message-text');
                 const before = replies().length;
                 const input = root.querySelector('#text-input');
                 input.textContent = arguments[0];
                 input.dispatchEvent(new Event('input', {{ bubbles: true }}));
                 await __bench.sleep({TYPING_MS});
                 const t0 = performance.now();
                 input.dispatchEvent(new KeyboardEvent('keydown', {{ key: 'Enter', bubbles: true, cancelable: true }}));
                 const t1 = await __bench.waitFor(() => {{
                   const all = replies();
                   return all.length > before && all[all.length - 1].textContent.includes('You said');
                 }}, {WAIT_MS});
                 return [t1 - t0];"
            ),
            vec![json!("hello from the bench")],
        )
        .await;
    results.add(profile, Metric::SendToReply, w, num(&v, 0));

    let v = s
        .js(
            &format!(
                "const history = arguments[0];
                 const el = document.createElement('deep-chat');
                 el.style.cssText = 'position:fixed;left:20px;bottom:20px;width:380px;height:560px';
                 el.history = history;
                 const t0 = performance.now();
                 document.body.appendChild(el);
                 const t1 = await __bench.waitFor(() => el.shadowRoot
                   && el.shadowRoot.querySelectorAll('.message-bubble').length >= history.length, {WAIT_MS});
                 await __bench.sleep(200);
                 return [t1 - t0, __bench.tasksSince(t0)];"
            ),
            vec![history(1_000)],
        )
        .await;
    results.add(profile, Metric::History, w, num(&v, 0));
    add_tasks(
        results,
        profile,
        w,
        &v[1],
        [None, Some(Metric::HistoryLongest), None],
    );
}

/// A markdown answer of exactly `tokens` whitespace-separated words (the
/// local agent streams one word per token), ending with [`STREAM_END`].
pub fn long_answer(tokens: usize) -> String {
    const WORDS: &[&str] = &[
        "the",
        "widget",
        "renders",
        "each",
        "token",
        "as",
        "it",
        "arrives",
        "and",
        "keeps",
        "typing",
        "responsive",
        "while",
        "markdown",
        "grows",
        "`code`",
        "*slanted*",
        "words",
    ];
    let mut out = String::new();
    for i in 0..tokens - 1 {
        if i % 50 == 0 {
            if i > 0 {
                out.push_str("\n\n");
            }
            out.push_str("**Part**");
        } else {
            out.push(' ');
            out.push_str(WORDS[i % WORDS.len()]);
        }
    }
    out.push(' ');
    out.push_str(STREAM_END);
    out
}

/// `count` alternating user / assistant messages in deep-chat's shape.
fn history(count: usize) -> Value {
    let messages: Vec<Value> = (0..count)
        .map(|i| {
            if i % 2 == 0 {
                json!({ "role": "user", "text": format!("Question number {i}: how does this work?") })
            } else {
                json!({ "role": "ai", "text": format!("Answer **{i}**: it works like this, with `code` and a list:\n\n- one\n- two") })
            }
        })
        .collect();
    Value::Array(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_answer_has_exactly_the_token_count_and_ends_with_the_marker() {
        let text = long_answer(10_000);
        assert_eq!(text.split_whitespace().count(), 10_000);
        assert!(text.ends_with(STREAM_END));
        assert_eq!(text.matches("**Part**").count(), 200);
    }
}
