//! The message list: user, agent and error bubbles, and the pending indicator.

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
    view! {
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
            {match role {
                // Agent replies are untrusted: rendered as sanitized markdown.
                Role::Agent => Either::Left(view! { <Markdown text=Signal::stored(text)/> }),
                _ => Either::Right(view! { <p class="lc-text">{text}</p> }),
            }}
            {note}
            {actions}
        </li>
    }
}
