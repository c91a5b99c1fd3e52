//! The widget's Leptos components: a launcher button and a chat panel.
//! Components render [`ChatState`] and call its actions; they do no I/O.
//!
//! Views with static nested elements start with `class="lc",`: a scope class
//! stops the `view!` macro from building static subtrees from HTML strings
//! (an HTML string parsed in a `<template>`), which a page requiring Trusted
//! Types refuses.

pub mod attachments;
mod composer;
pub mod i18n;
mod messages;
mod options;
pub mod words;

use crate::state::attachments::Attachments;
use crate::state::ChatState;
use attachments::{attachment_tray, DropZone};
use composer::composer;
use i18n::{Label, Words};
use leptos::prelude::*;
use messages::message_list;
pub use options::{Mode, Position, Theme, UiOptions};

/// Texts the host page chooses for the widget's chrome (`None`: the
/// visitor's language's own).
#[derive(Debug, Clone, PartialEq)]
pub struct UiText {
    pub title: Option<String>,
    pub subtitle: Option<String>,
    pub placeholder: Option<String>,
    /// The agent's first words, shown above the conversation (not sent).
    pub welcome: Option<String>,
}

/// The whole widget: launcher plus panel (the panel alone, always open, in
/// the inline and full-page modes), in the visitor's language and direction.
#[component]
pub fn Widget(
    state: ChatState,
    text: UiText,
    words: Words,
    options: UiOptions,
    theme: RwSignal<Theme>,
    attachments: Attachments,
) -> impl IntoView {
    let open = state.open;
    // Every view below reads its words from here.
    provide_context(words.clone());
    let floating = options.mode == Mode::Floating;
    if !floating {
        state.set_open(true);
    }
    let root_class = move || {
        format!(
            "lc-root lc-mode-{} {} {}{}",
            options.mode.name(),
            options.position.class(),
            theme.get().class(),
            if open.get() { " lc-open" } else { "" }
        )
    };
    let starters = options.starter_prompts.clone();
    let show_starters = move || {
        !starters.is_empty()
            && !state.busy.get()
            && state.list.with(|_| {
                state.with_conversation(|c| {
                    !c.messages
                        .iter()
                        .any(|m| m.role == crate::state::Role::User)
                })
            })
    };
    let starter_list = options.starter_prompts;
    let launcher: NodeRef<leptos::html::Button> = NodeRef::new();
    let close = move || {
        state.set_open(false);
        if let Some(button) = launcher.get_untracked() {
            let _ = button.focus();
        }
    };
    let on_panel_key = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.stop_propagation();
            close();
        }
    };
    let banner = messages::banner(state, words.clone());
    let retry_word = words.get(Label::Retry).to_string();
    let has_unread = move || !open.get() && state.unread.get() != 0;
    let UiText {
        title,
        subtitle,
        placeholder,
        welcome,
    } = text;
    let title = title.unwrap_or_else(|| words.get(Label::Title).into());
    let placeholder = placeholder.unwrap_or_else(|| words.get(Label::Placeholder).into());
    let w = words.clone();
    let launcher_label =
        Signal::derive(move || words::launcher_label(&w, open.get(), state.unread.get()));
    let unread_count = {
        let w = words.clone();
        Signal::derive(move || w.number(f64::from(state.unread.get().min(99))))
    };
    let dir = words.dir().name();
    let lang = words.locale().to_string();
    let t = |label| words.get(label).to_string();
    let (new_label, new_title) = (t(Label::NewConversationLabel), t(Label::NewConversation));
    let (close_label, close_title) = (t(Label::CloseLabel), t(Label::Close));
    let drop_zone = DropZone::new(attachments);
    // Class and text closures return String everywhere: one render effect
    // type for all of them (a `&'static str` one would be another).
    let panel_class = move || {
        if drop_zone.dragging.get() {
            "lc-panel lc-dragging"
        } else {
            "lc-panel"
        }
        .to_string()
    };
    view! { class="lc",
        <div class=root_class dir=dir lang=lang>
            <section
                class=panel_class
                role="dialog"
                aria-label=title.clone()
                hidden=move || !open.get()
                on:keydown=on_panel_key
                on:dragover=move |ev| drop_zone.dragover(ev)
                on:dragleave=move |ev| drop_zone.dragleave(ev)
                on:drop=move |ev| drop_zone.drop(ev)
                on:paste=move |ev| drop_zone.paste(ev)
            >
                <header class="lc-header">
                    <div class="lc-titles">
                        <h2 class="lc-title">{title.clone()}</h2>
                        {subtitle.map(|s| view! { <p class="lc-subtitle">{s}</p> }.into_any())}
                    </div>
                    <button
                        type="button"
                        class="lc-reset"
                        aria-label=new_label
                        title=new_title
                        on:click=on_click(move || state.reset())
                    >
                        <svg viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M4 4v6h6M20 12a8 8 0 1 1-2.3-5.7L20 8"></path>
                        </svg>
                    </button>
                    {floating.then(|| view! { class="lc",
                        <button
                            type="button"
                            class="lc-close"
                            aria-label=close_label.clone()
                            title=close_title.clone()
                            on:click=on_click(close)
                        >
                            <svg viewBox="0 0 24 24" aria-hidden="true">
                                <path d="M6 6l12 12M18 6L6 18"></path>
                            </svg>
                        </button>
                    }.into_any())}
                </header>
                {message_list(state, welcome)}
                {show(show_starters, move || view! { class="lc",
                    <div class="lc-starters">
                        {starter_list
                            .iter()
                            .cloned()
                            .map(|prompt| {
                                let text = prompt.clone();
                                view! { class="lc",
                                    <button
                                        type="button"
                                        class="lc-starter"
                                        on:click=on_click(move || state.send(text.clone()))
                                    >
                                        {prompt}
                                    </button>
                                }
                                .into_any()
                            })
                            .collect_view()}
                    </div>
                }.into_any())}
                {move || banner().map(|(text, retry)| view! { class="lc",
                    <p class="lc-banner" role="status">
                        {text}
                        {retry.then(|| view! { class="lc",
                            <button type="button" class="lc-banner-retry" on:click=on_click(move || state.load_history())>
                                {retry_word.clone()}
                            </button>
                        }.into_any())}
                    </p>
                }.into_any())}
                {attachment_tray(attachments)}
                {composer(state, placeholder, attachments)}
            </section>
            {floating.then(|| view! { class="lc",
            <button
                type="button"
                class="lc-launcher"
                node_ref=launcher
                aria-label=launcher_label
                aria-expanded=move || open.get().to_string()
                on:click=on_click(move || state.set_open(!open.get_untracked()))
            >
                <svg class="lc-icon-chat" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M4 5h16v11H8l-4 4z"></path>
                </svg>
                <svg class="lc-icon-close" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M6 6l12 12M18 6L6 18"></path>
                </svg>
                {show(has_unread, move || view! {
                    <span class="lc-unread" aria-hidden="true">
                        {unread_count}
                    </span>
                }.into_any())}
            </button>
            }.into_any())}
        </div>
    }
}

/// What `<Show>` does, without `Show`'s code for every use (it is generic
/// over its condition and its children's view type): `view` is built each
/// time `when` turns true and removed when it turns false. The condition is
/// memoized, so a change that leaves it as it was rebuilds nothing.
fn show(
    when: impl Fn() -> bool + Send + Sync + 'static,
    view: impl Fn() -> AnyView + Send + Sync + 'static,
) -> impl IntoView {
    shown(Box::new(when), Box::new(view))
}

/// `show`'s memo and view, one type for every use.
fn shown(
    when: Box<dyn Fn() -> bool + Send + Sync>,
    view: Box<dyn Fn() -> AnyView + Send + Sync>,
) -> impl IntoView {
    let when = Memo::new(move |_| when());
    move || when.get().then(&view)
}

/// A click handler, boxed: every `on:click` in the widget then shares one
/// copy of Leptos' code for attaching a handler (generic over its type).
fn on_click(f: impl Fn() + 'static) -> Box<dyn FnMut(web_sys::MouseEvent)> {
    Box::new(move |_| f())
}

/// `Effect::new` for an effect that keeps no value, with one copy of the
/// effect's code for all of them (`Effect::new` is generic over the closure).
pub(crate) fn effect(f: impl FnMut() + 'static) {
    effect_boxed(Box::new(f));
}

fn effect_boxed(mut f: Box<dyn FnMut()>) {
    Effect::new(move |_| f());
}
