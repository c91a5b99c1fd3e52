//! The message list: user, agent and error bubbles, the waiting indicator,
//! and an agent answer's parts (its steps, thinking, text as safe markdown,
//! files) as they arrive.

use super::i18n::{Label, Words};
use super::{effect, on_click, show, words};
use crate::markdown::Markdown;
use crate::state::{ChatState, Message, Notice, Role, Status};
use leptos::prelude::*;

/// Bubbles built at first, and added each time the visitor reaches the top.
const PAGE: usize = 40;

/// Replies longer than this (bytes) fill a bubble's whole width.
const WIDE_BYTES: usize = 200;

/// A visitor's text longer than this (bytes) is shown in pieces (see
/// [`plain_text`]), in a bubble of the whole width.
const PIECES_FROM: usize = 4000;

/// The least bytes of a piece.
const PIECE_BYTES: usize = 1500;

/// The scrolling list of bubbles. Follows the newest content while the
/// visitor is at the bottom; once they scroll up it stays put and offers a
/// "Jump to latest" button when more arrives.
///
/// A plain function, built inside `Widget`'s untracked body (see
/// `composer`).
pub fn message_list(state: ChatState, welcome: Option<String>) -> impl IntoView {
    let words = use_context::<Words>().unwrap_or_default();
    let t = |label| words.get(label).to_string();
    let (earlier_word, typing_word, jump_word) =
        (t(Label::Earlier), t(Label::Typing), t(Label::JumpToLatest));
    let list: NodeRef<leptos::html::Ol> = NodeRef::new();
    // Dots while a send runs and no answer text has arrived yet.
    let waiting = move || {
        state.busy.get()
            && !state
                .list
                .with(|l| l.last().copied())
                .and_then(|id| state.message(id))
                .is_some_and(|m| {
                    m.role == Role::Agent && m.status == Status::Streaming && !m.text.is_empty()
                })
    };
    // Only the newest messages are built at first, whether restored or
    // fetched from the server's history; older ones as the visitor scrolls
    // up, then older ones from the server. New messages always show.
    // Opening a long conversation stays fast.
    // `first`: the oldest message shown (None: from the start); `head`: the
    // list's first id last time, to tell messages put in front (restored,
    // history) from messages added at the end.
    let first = StoredValue::new(None::<u64>);
    let head = StoredValue::new(None::<u64>);
    let revealed = RwSignal::new(0u32);
    let shown = Memo::new(move |_| {
        revealed.track();
        state.list.with(|l| {
            let at = match first
                .get_value()
                .and_then(|id| l.iter().position(|x| *x == id))
            {
                Some(at) => at,
                None if head.get_value() != l.first().copied() && l.len() > PAGE => {
                    let at = l.len() - PAGE;
                    first.set_value(Some(l[at]));
                    at
                }
                None => {
                    first.set_value(None);
                    0
                }
            };
            head.set_value(l.first().copied());
            l[at..].to_vec()
        })
    });
    let hidden = move || state.list.with(Vec::len) - shown.with(Vec::len);
    let reveal = move || {
        let at = hidden();
        first.set_value(
            state
                .list
                .with_untracked(|l| (at > PAGE).then(|| l[at - PAGE])),
        );
        revealed.update(|n| *n += 1);
    };
    // Older messages fetched on the visitor's request are shown when they come.
    let asked = RwSignal::new(false);
    effect(move || {
        state.list.track();
        if asked.get_untracked() && hidden() > 0 {
            asked.set(false);
            reveal();
        }
    });
    let has_earlier = move || hidden() != 0 || state.list.with(|_| state.has_older());
    let earlier = move || {
        let Some(el) = list.get_untracked() else {
            return;
        };
        if hidden() > 0 {
            // Keep the visitor's place while older bubbles go in above.
            let (before, top) = (el.scroll_height(), el.scroll_top());
            reveal();
            request_animation_frame(move || {
                el.set_scroll_top(top + el.scroll_height() - before);
            });
        } else if state.has_older() {
            // What is shown now stays shown; the fetched ones come in above.
            first.set_value(state.list.with_untracked(|l| l.first().copied()));
            asked.set(true);
            state.load_history();
        }
    };
    let follow = RwSignal::new(true);
    let unseen = RwSignal::new(false);
    let to_bottom = move || {
        if let Some(el) = list.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
        follow.set(true);
        unseen.set(false);
    };
    effect(move || {
        let newest_is_users = state.list.with(|l| l.last().copied()).is_some_and(|id| {
            state.with_conversation(|c| c.get(id).is_some_and(|m| m.role == Role::User))
        });
        state.open.track();
        list.track();
        if newest_is_users || follow.get_untracked() {
            to_bottom();
        }
    });
    follow_growth(list, follow, unseen);
    let last_top = StoredValue::new((0, 0));
    let on_scroll = move |_| {
        if let Some(el) = list.get_untracked() {
            let (top, height) = (el.scroll_top(), el.scroll_height());
            let at_bottom = height - top - el.client_height() <= 24;
            let (was_top, was_height) = last_top.get_value();
            // The bottom is followed until the visitor moves up: content
            // that grew since the follow last scrolled (it scrolls after
            // each frame's layout) is not the visitor leaving the bottom.
            if at_bottom || top < was_top {
                follow.set(at_bottom);
            }
            // At the top: older messages, built or fetched. Only when the
            // visitor moved the list up: content that grows or shrinks (the
            // agent's steps appearing, then folding away) moves the scroll
            // position too, and a list that fits has nothing to scroll.
            let up = top < was_top && height == was_height && height > el.client_height();
            last_top.set_value((top, height));
            if up && top <= 8 && (hidden() > 0 || state.has_older()) {
                earlier();
            }
            if at_bottom {
                unseen.set(false);
            }
        }
    };
    view! { class="lc",
        <div class="lc-messages-wrap">
            <ol
                class="lc-messages"
                node_ref=list
                // A scrolling region a keyboard can scroll, even when nothing
                // in it takes focus (a long streaming answer).
                tabindex="0"
                on:scroll=on_scroll
            >
                {show(has_earlier, move || view! { class="lc",
                    <li class="lc-older">
                        <button type="button" class="lc-load-older" on:click=on_click(earlier)>
                            {earlier_word.clone()}
                        </button>
                    </li>
                }.into_any())}
                {welcome.map(|text| view! { class="lc",
                    <li class="lc-msg lc-agent lc-welcome">
                        <div class="lc-bubble">
                            <div class="lc-text" dir="auto"><Markdown text=Signal::stored(text)/></div>
                        </div>
                    </li>
                }.into_any())}
                <For
                    each=move || shown.get()
                    key=|id| *id
                    children=move |id| view! { <Bubble state=state id=id/> }
                />
                {show(waiting, move || view! { class="lc",
                    <li class="lc-msg lc-agent lc-pending" aria-label=typing_word.clone()>
                        <span class="lc-dot"></span>
                        <span class="lc-dot"></span>
                        <span class="lc-dot"></span>
                    </li>
                }.into_any())}
            </ol>
            {show(move || unseen.get() && !follow.get(), move || view! {
                <button type="button" class="lc-jump" on:click=on_click(to_bottom)>
                    {jump_word.clone()}
                </button>
            }.into_any())}
        </div>
    }
}

/// Content also grows without a new message (a reply streaming, its steps,
/// an image's placeholder): a ResizeObserver on the list's items sees it
/// after the frame's layout and before its paint, and either keeps the
/// bottom in view or marks that there is something unseen. Reading the
/// list's height there costs no layout of its own (a MutationObserver's
/// callback, before layout, forced one per change). A MutationObserver on
/// the list alone (not its subtree: items come and go once per message)
/// points the ResizeObserver at the items anew.
fn follow_growth(list: NodeRef<leptos::html::Ol>, follow: RwSignal<bool>, unseen: RwSignal<bool>) {
    use wasm_bindgen::prelude::*;
    type Observers = (
        web_sys::ResizeObserver,
        web_sys::MutationObserver,
        Closure<dyn Fn()>,
        Closure<dyn Fn()>,
    );
    let observers = StoredValue::new_local(None::<Observers>);
    effect(move || {
        let Some(el) = list.get() else { return };
        if observers.with_value(|o| o.is_some()) {
            return;
        }
        // The list's content height when last seen: items also change size
        // when the panel is hidden and shown, which is nothing new to see.
        let seen = std::cell::Cell::new(0);
        let on_resize = Closure::<dyn Fn()>::new(move || {
            let Some(el) = list.get_untracked() else {
                return;
            };
            let height = el.scroll_height();
            if el.client_height() == 0 || height == seen.replace(height) {
                return;
            }
            if follow.get_untracked() {
                el.set_scroll_top(height);
            } else {
                unseen.set(true);
            }
        });
        let Ok(ro) = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()) else {
            return;
        };
        let (watch, items) = (ro.clone(), el.clone());
        let on_items = Closure::<dyn Fn()>::new(move || {
            watch.disconnect();
            let mut item = items.first_element_child();
            while let Some(i) = item {
                watch.observe(&i);
                item = i.next_element_sibling();
            }
        });
        let Ok(mo) = web_sys::MutationObserver::new(on_items.as_ref().unchecked_ref()) else {
            return;
        };
        let _ = on_items
            .as_ref()
            .unchecked_ref::<js_sys::Function>()
            .call0(&JsValue::NULL);
        let options = web_sys::MutationObserverInit::new();
        options.set_child_list(true);
        let _ = mo.observe_with_options(&el, &options);
        observers.set_value(Some((ro, mo, on_resize, on_items)));
    });
    on_cleanup(move || {
        if let Some(Some((ro, mo, _, _))) = observers.try_update_value(|o| o.take()) {
            mo.disconnect();
            ro.disconnect();
        }
    });
}

#[component]
fn Bubble(state: ChatState, id: u64) -> impl IntoView {
    let words = use_context::<Words>().unwrap_or_default();
    on_cleanup(move || state.forget(id));
    let message = Memo::new(move |_| state.message(id));
    let role = message.with_untracked(|m| m.as_ref().map_or(Role::Agent, |m| m.role));
    let field = move |read: fn(&Words, &Message) -> String, w: Words| {
        Memo::new(move |_| message.with(|m| m.as_ref().map(|m| read(&w, m)).unwrap_or_default()))
    };
    // What the bubble shows: the answer, and after it what the agent asked
    // for or sent unreadably (words, never answer text).
    let text = field(words::shown_text, words.clone());
    let thinking = field(|_, m| m.parts.thinking.clone(), words.clone());
    let status =
        Memo::new(move |_| message.with(|m| m.as_ref().map_or(Status::Done, |m| m.status)));
    let role_class = match role {
        Role::User => "lc-user",
        Role::Agent => "lc-agent",
    };
    // A reply longer than a line or two is as wide as a bubble gets anyway:
    // saying so (`lc-wide`, a set width) spares the browser measuring the
    // whole growing text for the bubble's width on every streamed frame. A
    // visitor's text in pieces too: the pieces not laid out have no width.
    let wide = Memo::new(move |_| {
        text.with(|t| match role {
            Role::Agent => t.len() > WIDE_BYTES,
            Role::User => t.len() > PIECES_FROM,
        })
    });
    let class = move || {
        let status_class = match status.get() {
            Status::Pending => "lc-sending",
            Status::Streaming => "lc-streaming",
            Status::Done => "",
            Status::Stopped => "lc-stopped",
            Status::Failed | Status::NotSent => "lc-failed",
            Status::Interrupted => "lc-failed lc-interrupted",
        };
        let wide = if wide.get() { " lc-wide" } else { "" };
        format!("lc-msg {role_class} {status_class}{wide}")
    };
    let w = words.clone();
    let note = move || {
        let sent = message.with(|m| m.as_ref().is_some_and(|m| m.sent));
        words::status_note(role, status.get(), sent).map(|label| {
            view! { <span class="lc-note">{w.get(label).to_string()}</span> }.into_any()
        })
    };
    // A message's time never changes: formatted once (the message changes
    // every frame while an answer streams), when the browser is next idle
    // (`times_later`: the page's first `Intl` formatter is costly to make,
    // and the send's request goes first).
    let ms = message.with_untracked(|m| m.as_ref().map_or(0, |m| m.created_ms));
    let time = (ms > 0).then(|| {
        let (short, full) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
        words.times_later(ms, move |s, f| {
            // The bubble may be gone by then.
            let _ = (short.try_set(s), full.try_set(f));
        });
        view! { <span class="lc-time" title=move || full.get()>{move || short.get()}</span> }
            .into_any()
    });
    // A failure: the reason, with Retry and Edit.
    let w = words.clone();
    let (retry_word, edit_word) = (
        words.get(Label::Retry).to_string(),
        words.get(Label::Edit).to_string(),
    );
    let problem = move || {
        let (retryable, reason) = message.with(|m| {
            let m = m.as_ref()?;
            let reason = match (&m.problem, m.status) {
                (Some(p), _) => words::problem(&w, p),
                (None, Status::Interrupted) => w.get(Label::Interrupted).to_string(),
                _ => return None,
            };
            Some((m.retryable(), reason))
        })?;
        Some(view! { class="lc",
            <div class="lc-error" role="alert">
                <p class="lc-error-text">{reason}</p>
                {retryable.then(|| view! { class="lc",
                    <div class="lc-actions">
                        <button type="button" class="lc-retry" on:click=on_click(move || state.retry(id))>
                            {retry_word.clone()}
                        </button>
                        <button type="button" class="lc-edit" on:click=on_click(move || state.edit(id))>
                            {edit_word.clone()}
                        </button>
                    </div>
                }.into_any())}
            </div>
        }.into_any())
    };
    // The agent's steps, from the first one (before any text): open (its
    // summary hidden) while live, folded into "How I got this" once
    // complete. The list is drawn by the markdown renderer, so it costs no
    // view code of its own; `has_steps` is a Memo so that the list updates
    // in place (its renderer is never rebuilt around the same element).
    let steps_text = field(words::steps_of, words.clone());
    let how_i_got_this = words.get(Label::HowIGotThis).to_string();
    let live = move || status.get() == Status::Streaming;
    let has_steps = Memo::new(move |_| steps_text.with(|t| !t.is_empty()));
    let steps_view = move || {
        has_steps.get().then(|| {
            view! { class="lc",
                <details class="lc-activity" open=live>
                    <summary>{how_i_got_this.clone()}</summary>
                    <Markdown text=steps_text/>
                </details>
            }
        })
    };
    let (thinking_word, thought_word) = (
        words.get(Label::Thinking).to_string(),
        words.get(Label::ThoughtProcess).to_string(),
    );
    let thinking_view = move || {
        let (thinking_word, thought_word) = (thinking_word.clone(), thought_word.clone());
        thinking.with(|t| !t.trim().is_empty()).then(|| {
            let label = move || {
                if status.get() == Status::Streaming && text.with(String::is_empty) {
                    thinking_word.clone()
                } else {
                    thought_word.clone()
                }
            };
            view! { class="lc",
                <details class="lc-thinking">
                    <summary>{label}</summary>
                    <p class="lc-thinking-text">{move || thinking.get()}</p>
                </details>
            }
            .into_any()
        })
    };
    let w = words.clone();
    let attached = move || {
        let files = message.with(|m| {
            m.as_ref()
                .map(|m| m.parts.files.clone())
                .unwrap_or_default()
        });
        (!files.is_empty()).then(|| {
            view! { class="lc",
                <ul class="lc-sent-files" aria-label=w.get(Label::AttachedFiles).to_string()>
                    {files
                        .into_iter()
                        .map(|f| {
                            let size = w.file_size(f.size);
                            view! { class="lc",
                                <li class="lc-sent-file" title=size>
                                    <svg viewBox="0 0 24 24" aria-hidden="true">
                                        <path d="M20 11.5l-8 8a5 5 0 0 1-7-7l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4L15 7"></path>
                                    </svg>
                                    {f.name}
                                </li>
                            }
                            .into_any()
                        })
                        .collect_view()}
                </ul>
            }
            .into_any()
        })
    };
    let files_word = words.get(Label::Files).to_string();
    let files = move || {
        let artifacts = message.with(|m| {
            m.as_ref()
                .map(|m| m.parts.artifacts.clone())
                .unwrap_or_default()
        });
        (!artifacts.is_empty()).then(|| {
            view! { class="lc",
                <ul class="lc-files" aria-label=files_word.clone()>
                    {artifacts
                        .into_iter()
                        .map(|file| {
                            let label = match &file.format {
                                Some(format) => format!("{} ({format})", file.name),
                                None => file.name.clone(),
                            };
                            view! { class="lc",
                                <li>
                                    <a
                                        class="lc-file"
                                        href=file.url
                                        target="_blank"
                                        rel="noopener noreferrer nofollow"
                                        download=""
                                    >
                                        {label}
                                    </a>
                                </li>
                            }
                            .into_any()
                        })
                        .collect_view()}
                </ul>
            }
            .into_any()
        })
    };
    view! { class="lc",
        // Not a live region: the finished answer is read once, in full, by
        // the panel's announcer (ui/announce.rs); aria-busy while streaming.
        <li
            class=class
            aria-busy=move || (status.get() == Status::Streaming).then_some("true")
        >
            <div class="lc-bubble">
                {steps_view}
                {thinking_view}
                {match role {
                    // Agent replies are untrusted: rendered as sanitized markdown.
                    Role::Agent => view! { <div class="lc-text" dir="auto"><Markdown text=text/></div> }.into_any(),
                    // A visitor's text never changes: a long one is put in
                    // pieces once.
                    Role::User if text.with_untracked(|t| t.len() > PIECES_FROM) => {
                        let p: NodeRef<leptos::html::P> = NodeRef::new();
                        effect(move || {
                            if let Some(el) = p.get() {
                                text.with(|t| plain_text(&el, t));
                            }
                        });
                        view! { <p class="lc-text" dir="auto" node_ref=p></p> }.into_any()
                    }
                    Role::User => view! { <p class="lc-text" dir="auto">{move || text.get()}</p> }.into_any(),
                }}
                {attached}
                {files}
            </div>
            <div class="lc-meta">{note}{time}</div>
            {problem}
        </li>
    }
}

/// A visitor's long text, as it was typed (never markup), in pieces cut at
/// line breaks, each a block of its own (`lc-piece`) that the
/// browser lays out only near the view (`content-visibility: auto`): a
/// 10,000-word question then costs the layout of its visible part, not of
/// all of it, when it is sent and whenever the list is laid out again. The
/// pieces show exactly what one block would: a cut drops its line break,
/// which the end of a block stands for, and an empty line stays at the head
/// of the next piece.
fn plain_text(el: &web_sys::Element, text: &str) {
    el.set_text_content(None);
    let Some(document) = el.owner_document() else {
        return;
    };
    for piece in pieces(text) {
        if let Ok(span) = document.create_element("span") {
            span.set_class_name("lc-piece");
            span.set_text_content(Some(piece));
            let _ = el.append_child(&span);
        }
    }
}

/// `text` cut at line breaks into pieces of at least [`PIECE_BYTES`]
/// (the last may be shorter; a text without line breaks stays whole), each
/// cut's line break dropped.
fn pieces(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let now = rest?;
        // A newline byte is always a character of its own in UTF-8.
        let cut = now
            .bytes()
            .skip(PIECE_BYTES)
            .position(|b| b == b'\n')
            .map(|at| at + PIECE_BYTES);
        match cut {
            Some(at) => {
                rest = Some(&now[at + 1..]);
                Some(&now[..at])
            }
            None => {
                rest = None;
                Some(now)
            }
        }
    })
}

/// The banner's text: offline first, else the passing notice.
pub fn banner(state: ChatState, w: Words) -> impl Fn() -> Option<(String, bool)> + Clone {
    move || {
        if !state.online.get() {
            return Some((w.get(Label::Offline).to_string(), false));
        }
        state.notice.with(|n| {
            n.as_ref()
                .map(|n| (words::notice(&w, n), matches!(n, Notice::HistoryFailed(_))))
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::{pieces, PIECE_BYTES};

    #[test]
    fn a_long_text_is_cut_at_line_breaks_into_pieces_that_join_back_to_it() {
        let paragraph = "word ".repeat(70) + "\u{e9}t\u{e9}";
        for text in [
            [paragraph.as_str(); 40].join("\n\n"),
            [paragraph.as_str(); 40].join("\n"),
            format!("{}\n", [paragraph.as_str(); 9].join("\n\n\n")),
            "x".repeat(5000),
            "\n".repeat(5000),
        ] {
            let cut: Vec<&str> = pieces(&text).collect();
            assert_eq!(cut.join("\n"), text, "nothing lost or added");
            let (last, rest) = cut.split_last().unwrap();
            assert!(rest.iter().all(|p| p.len() >= PIECE_BYTES), "{cut:?}");
            assert!(last.len() <= text.len());
            if text.contains('\n') && text.len() > 2 * PIECE_BYTES {
                assert!(cut.len() > 1, "cut where it can be");
            }
        }
        assert_eq!(pieces(&"y".repeat(5000)).count(), 1, "no line break: whole");
        // An empty line at a cut heads the next piece.
        let text = format!("{}\n\nnext", "z".repeat(PIECE_BYTES));
        assert_eq!(
            pieces(&text).collect::<Vec<_>>(),
            ["z".repeat(PIECE_BYTES).as_str(), "\nnext"]
        );
    }
}
