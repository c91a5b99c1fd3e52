//! The message list: user, agent and error bubbles, and the pending indicator.

use crate::state::{ChatState, Message, Role, Status};
use leptos::prelude::*;

/// The scrolling list of bubbles; keeps the newest in view.
#[component]
pub fn MessageList(state: ChatState) -> impl IntoView {
    let list: NodeRef<leptos::html::Ol> = NodeRef::new();
    Effect::new(move |_| {
        state.messages.track();
        state.open.track();
        if let Some(el) = list.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    view! {
        <ol class="lc-messages" node_ref=list aria-live="polite" aria-relevant="additions">
            <For
                each=move || state.messages.get()
                key=|m| (m.id, m.status)
                children=move |m| view! { <Bubble state=state message=m/> }
            />
            <Show when=move || state.pending()>
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
        role,
        text,
        status,
        failed,
        ..
    } = message;
    let role_class = match role {
        Role::User => "lc-user",
        Role::Agent => "lc-agent",
        Role::Error => "lc-error",
    };
    let status_class = match status {
        Status::Sending => "lc-sending",
        Status::Sent => "",
        Status::Failed => "lc-failed",
    };
    let actions = failed.map(|failed_id| {
        view! {
            <div class="lc-actions">
                <button type="button" class="lc-retry" on:click=move |_| state.retry(failed_id)>
                    "Retry"
                </button>
                <button type="button" class="lc-edit" on:click=move |_| state.edit(failed_id)>
                    "Edit"
                </button>
            </div>
        }
    });
    let note =
        (status == Status::Failed).then(|| view! { <span class="lc-note">"Not sent"</span> });
    view! {
        <li
            class=format!("lc-msg {role_class} {status_class}")
            role=(role == Role::Error).then_some("alert")
        >
            <p class="lc-text">{text}</p>
            {note}
            {actions}
        </li>
    }
}
