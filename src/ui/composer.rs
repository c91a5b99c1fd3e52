//! The composer: a growing textarea and a Send button that becomes Stop
//! while an answer is coming. Enter sends, Shift+Enter starts a new line;
//! IME composition is never interrupted.

use super::attachments::attach_button;
use super::i18n::{Label, Words};
use super::{on_click, show};
use crate::state::attachments::Attachments;
use crate::state::ChatState;
use leptos::prelude::*;

/// A plain function, not a `#[component]`: it is built inside `Widget`'s
/// untracked body, and a component costs its own copy of Leptos' component
/// code.
pub fn composer(state: ChatState, placeholder: String, attachments: Attachments) -> impl IntoView {
    let words = use_context::<Words>().unwrap_or_default();
    let t = move |label: Label| words.get(label).to_string();
    let (send_label, send_title) = (t(Label::SendLabel), t(Label::Send));
    let (stop_label, stop_title) = (t(Label::StopLabel), t(Label::Stop));
    let input: NodeRef<leptos::html::Textarea> = NodeRef::new();
    let submit = move || state.send(state.draft.get_untracked());
    // Focus the textarea whenever the panel opens (once it is shown), but
    // not when it starts open (open at load, inline, full page): the page's
    // focus stays where it is, no phone keyboard pops up and the page is not
    // scrolled to the widget. The loader's stand-in panel hands its focus
    // over if the visitor was writing there.
    let mut mounting = true;
    super::effect(move || {
        let open = state.open.get();
        if !std::mem::take(&mut mounting) && open {
            if let Some(el) = input.get_untracked() {
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
                .then(|| attach_button(attachments).into_any())}
            <textarea
                class="lc-input"
                node_ref=input
                rows="1"
                placeholder=placeholder.clone()
                aria-label=placeholder
                enterkeyhint="send"
                prop:value=move || state.draft.get()
                on:input=move |ev| {
                    // The reply's renderer comes while the visitor writes.
                    crate::markdown::lazy::prefetch();
                    state.set_draft(event_target_value(&ev))
                }
                on:keydown=on_key
            ></textarea>
            {show(move || state.busy.get(), move || view! { class="lc",
                <button
                    type="button"
                    class="lc-stop"
                    aria-label=stop_label.clone()
                    title=stop_title.clone()
                    on:click=on_click(move || state.stop())
                >
                    <svg viewBox="0 0 24 24" aria-hidden="true">
                        <rect x="7" y="7" width="10" height="10" rx="1"></rect>
                    </svg>
                </button>
            }.into_any())}
            {show(move || !state.busy.get(), move || view! { class="lc",
                <button
                    type="submit"
                    class="lc-send"
                    aria-label=send_label.clone()
                    title=send_title.clone()
                    disabled=move || !can_send()
                >
                    <svg viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M4 12l16-8-6 16-2-7z"></path>
                    </svg>
                </button>
            }.into_any())}
        </form>
    }
}
