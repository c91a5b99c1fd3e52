//! The message list: user, agent and error bubbles, the waiting indicator,
//! and an agent answer's parts (thinking, text, files) as they arrive.

use crate::state::{ChatState, Message, Role, Status};
use leptos::prelude::*;

/// The scrolling list of bubbles; keeps the newest in view.
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
    Effect::new(move |_| {
        // Follow new bubbles and the growing answer.
        state.messages.with(|list| {
            if let Some(last) = list.last() {
                last.text.track();
                last.thinking.track();
            }
        });
        state.open.track();
        if let Some(el) = list.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    view! { class="lc",
        <ol class="lc-messages" node_ref=list aria-live="polite" aria-relevant="additions">
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
    }
}

#[component]
fn Bubble(state: ChatState, message: Message) -> impl IntoView {
    let Message {
        id,
        role,
        text,
        thinking,
        artifacts,
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
        <li class=class role=(role == Role::Error).then_some("alert")>
            {thinking_view}
            <p class="lc-text">{move || text.get()}</p>
            {files}
            {note}
            {actions}
        </li>
    }
}
