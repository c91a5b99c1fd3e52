//! The composer: a growing textarea and a Send button that becomes Stop
//! while an answer is coming. Enter sends, Shift+Enter starts a new line;
//! IME composition is never interrupted.

use super::attachments::AttachButton;
use crate::state::attachments::Attachments;
use crate::state::ChatState;
use leptos::prelude::*;

#[component]
pub fn Composer(state: ChatState, placeholder: String, attachments: Attachments) -> impl IntoView {
    let input: NodeRef<leptos::html::Textarea> = NodeRef::new();
    let submit = move || state.send(state.draft.get_untracked());
    // Focus the textarea whenever the panel opens (once it is shown).
    Effect::new(move |_| {
        if state.open.get() {
            if let Some(el) = input.get() {
                super::focus_soon(el.into());
            }
        }
    });
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            if !ev.repeat() {
                submit();
            }
        }
    };
    let can_send = move || !state.draft.with(|d| d.trim().is_empty());
    view! { class="lc",
        <form
            class="lc-composer"
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            {attachments
                .enabled()
                .then(|| view! { <AttachButton attachments=attachments/> })}
            <textarea
                class="lc-input"
                node_ref=input
                rows="1"
                placeholder=placeholder.clone()
                aria-label=placeholder
                enterkeyhint="send"
                prop:value=move || state.draft.get()
                on:input=move |ev| state.set_draft(event_target_value(&ev))
                on:keydown=on_key
            ></textarea>
            <Show
                when=move || state.busy.get()
                fallback=move || {
                    view! { class="lc",
                        <button
                            type="submit"
                            class="lc-send"
                            aria-label="Send message"
                            title="Send"
                            disabled=move || !can_send()
                        >
                            <svg viewBox="0 0 24 24" aria-hidden="true">
                                <path d="M4 12l16-8-6 16-2-7z"></path>
                            </svg>
                        </button>
                    }
                }
            >
                <button
                    type="button"
                    class="lc-stop"
                    aria-label="Stop the answer"
                    title="Stop"
                    on:click=move |_| state.stop()
                >
                    <svg viewBox="0 0 24 24" aria-hidden="true">
                        <rect x="7" y="7" width="10" height="10" rx="1"></rect>
                    </svg>
                </button>
            </Show>
        </form>
    }
}
