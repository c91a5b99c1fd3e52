//! The widget's Leptos components: a launcher button and a chat panel.
//! Components render [`ChatState`] and call its actions; they do no I/O.
//!
//! Views with static nested elements start with `class="lc",`: a scope class
//! stops the `view!` macro from building static subtrees from HTML strings
//! (an HTML string parsed in a `<template>`), which a page requiring Trusted
//! Types refuses.

pub(crate) mod announce;
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
pub use options::{Look, Mode, Position, Theme};

/// How much of the widget is built: [`Stage::Launcher`] alone, then the
/// panel with its header and composer, then the conversation. The loader's
/// mount builds it in these steps, one task each, so no step holds the host
/// page's main thread for long; `mount` builds it at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Launcher,
    Panel,
    Complete,
}

/// The whole widget: launcher plus panel (the panel alone, always open, in
/// the inline and full-page modes). `stage` says how much of it to build;
/// whoever mounts it moves it on. Opening a panel not yet complete
/// completes it at once. Its words are `words`, in their language and
/// direction; what else it shows comes from the state's settings.
#[component]
pub fn Widget(
    state: ChatState,
    words: Words,
    attachments: Attachments,
    stage: RwSignal<Stage>,
) -> impl IntoView {
    let open = state.open;
    let (mode, position, starter_list, subtitle, welcome) = state.settings(|s| {
        (
            s.look.mode,
            s.look.position,
            s.look.starter_prompts.clone(),
            s.subtitle.clone(),
            s.welcome.clone().filter(|t| !t.trim().is_empty()),
        )
    });
    // Every view below reads its words from here.
    provide_context(words.clone());
    let floating = mode == Mode::Floating;
    if !floating {
        state.set_open(true);
    }
    // The visitor (or the page) opens the panel: what is missing is built now.
    Effect::new(move |was_open: Option<bool>| {
        let now = open.get();
        if was_open == Some(false) && now && stage.get_untracked() != Stage::Complete {
            stage.set(Stage::Complete);
        }
        now
    });
    let has_panel = Memo::new(move |_| stage.get() >= Stage::Panel);
    let has_conversation = Memo::new(move |_| stage.get() == Stage::Complete);
    let root_class = move || {
        format!(
            "lc-root lc-mode-{} {} {}{}",
            mode.name(),
            position.class(),
            state.track_settings(|s| s.look.theme).class(),
            if open.get() { " lc-open" } else { "" }
        )
    };
    let starters = starter_list.clone();
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
    let launcher: NodeRef<leptos::html::Button> = NodeRef::new();
    let close = move || {
        state.set_open(false);
        // Once the panel is gone (a phone hides the launcher while it shows).
        if let Some(button) = launcher.get_untracked() {
            focus_soon(button.into());
        }
    };
    // A floating panel keeps the keyboard in: Escape closes it, and Tab
    // cycles through its controls.
    let on_panel_key = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        "Escape" if floating => {
            ev.stop_propagation();
            close();
        }
        "Tab" if floating => keep_focus_in(&ev),
        _ => {}
    };
    let banner = messages::banner(state, words.clone());
    let retry_word = words.get(Label::Retry).to_string();
    let has_unread = move || !open.get() && state.unread.get() != 0;
    let title: String = words.get(Label::Title).into();
    let placeholder: String = words.get(Label::Placeholder).into();
    let w = words.clone();
    let launcher_label =
        Signal::derive(move || words::launcher_label(&w, open.get(), state.unread.get()));
    let (dir, lang) = (words.dir().name(), words.locale().to_string());
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
    // Built untracked, as a component would be: the plain view functions
    // inside must not make the whole panel depend on what they read.
    let conversation = move || {
        has_conversation.get().then(|| untrack(|| {
            let (welcome, starter_list) = (welcome.clone(), starter_list.clone());
            let retry_word = retry_word.clone();
            let banner = banner.clone();
            let show_starters = show_starters.clone();
            view! { class="lc",
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
                {announce::announcer(state)}
                {move || banner().map(|(text, retry)| view! { class="lc",
                    <p class="lc-banner">
                        {text}
                        {retry.then(|| view! { class="lc",
                            <button type="button" class="lc-banner-retry" on:click=on_click(move || state.load_history())>
                                {retry_word.clone()}
                            </button>
                        }.into_any())}
                    </p>
                }.into_any())}
            }
            .into_any()
        }))
    };
    let panel = move || {
        has_panel.get().then(|| {
            untrack(|| {
                let (title, subtitle, placeholder) =
                    (title.clone(), subtitle.clone(), placeholder.clone());
                let (new_label, new_title) = (new_label.clone(), new_title.clone());
                let (close_label, close_title) = (close_label.clone(), close_title.clone());
                let conversation = conversation.clone();
                view! { class="lc",
                <section
                    class=panel_class
                    role="dialog"
                    aria-modal=floating.then_some("true")
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
                    {conversation}
                    {attachment_tray(attachments)}
                    {composer(state, placeholder, attachments)}
                </section>
            }
            .into_any()
            })
        })
    };
    view! { class="lc",
        <div class=root_class dir=dir lang=lang>
            {panel}
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
                        {move || state.unread.get().min(99).to_string()}
                    </span>
                }.into_any())}
            </button>
            }.into_any())}
        </div>
    }
}

/// Focuses `el` at the next frame, once the change that shows it is drawn.
pub(crate) fn focus_soon(el: web_sys::HtmlElement) {
    request_animation_frame(move || {
        let _ = el.focus();
    });
}

/// Tab from the panel's last control goes to its first, Shift+Tab from the
/// first to the last: the keyboard stays in a floating panel until Escape.
/// The first is always New conversation; the last is Send or Stop, or the
/// composer while Send is disabled.
fn keep_focus_in(ev: &web_sys::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let Some(panel) = ev.current_target() else {
        return;
    };
    let panel: web_sys::Element = panel.unchecked_into();
    let pick = |css| panel.query_selector(css).ok().flatten();
    let (Some(first), Some(last)) = (
        pick(".lc-reset"),
        pick(".lc-composer button:enabled:last-child").or_else(|| pick(".lc-input")),
    ) else {
        return;
    };
    let active = panel
        .get_root_node()
        .unchecked_into::<web_sys::ShadowRoot>()
        .active_element();
    let (edge, next) = if ev.shift_key() {
        (first, last)
    } else {
        (last, first)
    };
    if active == Some(edge) {
        ev.prevent_default();
        let _ = next.unchecked_into::<web_sys::HtmlElement>().focus();
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
