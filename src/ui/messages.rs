//! The message list: user, agent and error bubbles, the waiting indicator,
//! and an agent answer's parts (thinking, text as safe markdown, files) as
//! they arrive.

use crate::markdown::Markdown;
use crate::state::{ChatState, Message, Role, Status};
use leptos::either::Either;
use leptos::prelude::*;

/// The scrolling list of bubbles. Follows the newest content while the
/// visitor is at the bottom; once they scroll up it stays put and offers a
/// "Jump to latest" button when more arrives.
#[component]
pub fn MessageList(state: ChatState) -> impl IntoView {
    let list: NodeRef<leptos::html::Ol> = NodeRef::new();
    // Dots while a send runs and no answer text has arrived yet.
    let waiting = move || {
        state.busy.get()
            && state.messages.with(|list| {
                !list.last().is_some_and(|m| {
                    m.role == Role::Agent
                        && m.status.get() == Status::Streaming
                        && m.text.with(|t| !t.is_empty())
                })
            })
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
    Effect::new(move |_| {
        let newest_is_users = state
            .messages
            .with(|m| m.last().is_some_and(|m| m.role == Role::User));
        state.open.track();
        list.track();
        if newest_is_users || follow.get_untracked() {
            to_bottom();
        }
    });
    follow_growth(list, follow, unseen);
    let on_scroll = move |_| {
        if let Some(el) = list.get_untracked() {
            let at_bottom = el.scroll_height() - el.scroll_top() - el.client_height() <= 24;
            follow.set(at_bottom);
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
                aria-live="polite"
                aria-relevant="additions"
                on:scroll=on_scroll
            >
                <For
                    each=move || state.messages.get()
                    key=|m| m.id
                    children=move |m| view! { <Bubble state=state message=m/> }
                />
                <Show when=waiting>
                    <li class="lc-msg lc-agent lc-pending" aria-label="The assistant is typing">
                        <span class="lc-dot"></span>
                        <span class="lc-dot"></span>
                        <span class="lc-dot"></span>
                    </li>
                </Show>
            </ol>
            <Show when=move || unseen.get() && !follow.get()>
                <button type="button" class="lc-jump" on:click=move |_| to_bottom()>
                    "Jump to latest ↓"
                </button>
            </Show>
        </div>
    }
}

/// Content also grows without a new message (a reply rendering or
/// streaming): a MutationObserver sees it before the next paint, and either
/// keeps the bottom in view or marks that there is something unseen.
fn follow_growth(list: NodeRef<leptos::html::Ol>, follow: RwSignal<bool>, unseen: RwSignal<bool>) {
    use wasm_bindgen::prelude::*;
    let observer = StoredValue::new_local(None::<(web_sys::MutationObserver, Closure<dyn Fn()>)>);
    Effect::new(move |_| {
        let Some(el) = list.get() else { return };
        if observer.with_value(|o| o.is_some()) {
            return;
        }
        let on_change = Closure::<dyn Fn()>::new(move || {
            let Some(el) = list.get_untracked() else {
                return;
            };
            if follow.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            } else {
                unseen.set(true);
            }
        });
        let Ok(mo) = web_sys::MutationObserver::new(on_change.as_ref().unchecked_ref()) else {
            return;
        };
        let options = web_sys::MutationObserverInit::new();
        options.set_child_list(true);
        options.set_subtree(true);
        options.set_character_data(true);
        let _ = mo.observe_with_options(&el, &options);
        observer.set_value(Some((mo, on_change)));
    });
    on_cleanup(move || {
        if let Some(Some((mo, _))) = observer.try_update_value(|o| o.take()) {
            mo.disconnect();
        }
    });
}

#[component]
fn Bubble(state: ChatState, message: Message) -> impl IntoView {
    let Message {
        id,
        role,
        text,
        thinking,
        artifacts,
        files: sent_files,
        status,
        about,
    } = message;
    let role_class = match role {
        Role::User => "lc-user",
        Role::Agent => "lc-agent",
        Role::Error => "lc-error",
    };
    let class = move || {
        let status_class = match status.get() {
            Status::Pending => "lc-sending",
            Status::Streaming => "lc-streaming",
            Status::Done => "",
            Status::Stopped => "lc-stopped",
            Status::Failed => "lc-failed",
        };
        format!("lc-msg {role_class} {status_class}")
    };
    let note = move || {
        let words = match (role, status.get()) {
            (Role::User, Status::Pending) => "Sending…",
            (Role::User, Status::Failed) => "Not sent",
            (Role::Agent, Status::Stopped) => "Stopped",
            (Role::Agent, Status::Failed) => "Answer incomplete",
            _ => return None,
        };
        Some(view! { <span class="lc-note">{words}</span> })
    };
    let actions = about.map(|_| {
        view! { class="lc",
            <div class="lc-actions">
                <button type="button" class="lc-retry" on:click=move |_| state.retry(id)>
                    "Retry"
                </button>
                <button type="button" class="lc-edit" on:click=move |_| state.edit(id)>
                    "Edit"
                </button>
            </div>
        }
    });
    let thinking_view = move || {
        thinking.with(|t| !t.trim().is_empty()).then(|| {
            let label = move || {
                if status.get() == Status::Streaming && text.with(String::is_empty) {
                    "Thinking…"
                } else {
                    "Thought process"
                }
            };
            view! { class="lc",
                <details class="lc-thinking">
                    <summary>{label}</summary>
                    <p class="lc-thinking-text">{move || thinking.get()}</p>
                </details>
            }
        })
    };
    let files = move || {
        artifacts.with(|list| !list.is_empty()).then(|| {
            view! { class="lc",
                <ul class="lc-files" aria-label="Files">
                    {artifacts
                        .get()
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
                        })
                        .collect_view()}
                </ul>
            }
        })
    };
    view! { class="lc",
        // aria-busy while streaming: screen readers announce the answer once,
        // complete, rather than every rebuilt piece of it.
        <li
            class=class
            role=(role == Role::Error).then_some("alert")
            aria-busy=move || (status.get() == Status::Streaming).then_some("true")
        >
            {thinking_view}
            {match role {
                // Agent replies are untrusted: rendered as sanitized markdown.
                Role::Agent => Either::Left(view! { <div class="lc-text"><Markdown text=text/></div> }),
                _ => Either::Right(view! { <p class="lc-text">{move || text.get()}</p> }),
            }}
            {files}
            {move || {
                sent_files.with(|f| !f.is_empty()).then(|| view! { class="lc",
                    <ul class="lc-sent-files" aria-label="Attached files">
                        {sent_files
                            .get()
                            .into_iter()
                            .map(|f| view! { class="lc",
                                <li class="lc-sent-file" title=super::attachments::human_size(f.size)>
                                    <svg viewBox="0 0 24 24" aria-hidden="true">
                                        <path d="M20 11.5l-8 8a5 5 0 0 1-7-7l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4L15 7"></path>
                                    </svg>
                                    {f.name}
                                </li>
                            })
                            .collect_view()}
                    </ul>
                })
            }}
            {note}
            {actions}
        </li>
    }
}
