//! The JavaScript face of the widget: `mount(config)`, `mountIn(host,
//! config, emit)` for the loader (`js/lyzr-chat.js`), and the handle they
//! return. The only module that reads values handed over by the host page.

mod config;
mod language;
pub mod options;
mod stand_in;
mod styles;

use crate::console;
use crate::settings::Settings;
use crate::state::attachments::Attachments;
use crate::state::{visitor_id, ChatEvent, ChatState};
use crate::ui::i18n::Words;
use crate::ui::words;
use crate::ui::{Mode, Stage, Widget};
use leptos::prelude::*;
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A mounted widget, as seen from JavaScript.
#[wasm_bindgen]
pub struct ChatHandle {
    state: ChatState,
    host: web_sys::Element,
    /// Whether `destroy` removes the host (it made it) or only empties it.
    owns_host: bool,
    styles: Rc<RefCell<styles::Styles>>,
    // Dropping these unmounts the view and frees its reactive state.
    view: Rc<RefCell<Mounted>>,
    owner: Option<Owner>,
}

/// The widget's view: built in a task after `mountIn`, at once by `mount`.
enum Mounted {
    Waiting,
    /// Kept to be dropped: that unmounts it.
    View {
        _view: Box<dyn Any>,
    },
    Gone,
}

#[wasm_bindgen]
impl ChatHandle {
    /// Opens the chat panel.
    pub fn open(&self) {
        if self.gone("open") {
            return;
        }
        self.state.set_open(true);
    }

    /// Closes the chat panel.
    pub fn close(&self) {
        if self.gone("close") {
            return;
        }
        self.state.set_open(false);
    }

    /// Opens the panel if closed, closes it if open.
    pub fn toggle(&self) {
        if self.gone("toggle") {
            return;
        }
        self.state.set_open(!self.state.open.get_untracked());
    }

    /// Sends `text` as if the visitor had typed it.
    pub fn send(&self, text: String) {
        if self.gone("send") {
            return;
        }
        // (Sent from the page or the stand-in panel: not typed in the
        // composer, which asks for the renderer as the visitor writes.)
        crate::markdown::lazy::prefetch();
        self.state.send(text);
    }

    /// Stops the answer being generated (what arrived stays).
    pub fn stop(&self) {
        if self.gone("stop") {
            return;
        }
        self.state.stop();
    }

    /// Changes request fields for the next messages: an object with any of
    /// `system_prompt_variables`, `filter_variables`, `features`, `assets`,
    /// `response_format`, `provider_overrides` (camelCase spellings work too). Returns false, with a console error
    /// naming the field, when a value is malformed (nothing is changed then).
    #[wasm_bindgen(js_name = setVariables)]
    pub fn set_variables(&self, variables: JsValue) -> bool {
        if self.gone("setVariables") {
            return false;
        }
        let next = self
            .state
            .settings(|s| config::variables_from_js(&variables, s));
        self.apply(next)
    }

    /// Starts a new conversation with a new session id.
    pub fn reset(&self) {
        if self.gone("reset") {
            return;
        }
        self.state.reset();
    }

    /// The session id of the current conversation.
    #[wasm_bindgen(getter, js_name = sessionId)]
    pub fn session_id(&self) -> String {
        if self.gone("sessionId") {
            return String::new();
        }
        self.state.session_id()
    }

    /// Sends the next messages as `userId` (`info` is kept by the host).
    #[wasm_bindgen(js_name = setUser)]
    pub fn set_user(&self, user_id: String) -> bool {
        if self.gone("setUser") {
            return false;
        }
        let user_id = user_id.trim().to_string();
        if user_id.is_empty() {
            console::error("setUser(id): the user id must be a non-empty string");
            return false;
        }
        self.state.update_settings(|s| s.user_id = user_id);
        true
    }

    /// Changes the look: `"light"`, `"dark"`, `"auto"`, or an object with
    /// `theme` and/or `primaryColor`. Returns false (with a console error
    /// naming the option) when a value is not accepted.
    #[wasm_bindgen(js_name = setTheme)]
    pub fn set_theme(&mut self, theme: JsValue) -> bool {
        if self.gone("setTheme") {
            return false;
        }
        let object = if theme.is_string() {
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&o, &"theme".into(), &theme);
            o.into()
        } else {
            theme
        };
        let next = self.state.settings(|s| config::theme_from_js(&object, s));
        self.apply(next)
    }

    /// Changes one option of the running widget, as when an attribute of
    /// `<lyzr-chat>` changes (`value` null when it was removed). Returns
    /// false when the option does not apply live (the loader then starts the
    /// widget again with the new options); true otherwise, a bad value being
    /// named in the console.
    #[wasm_bindgen(js_name = setOption)]
    pub fn set_option(&mut self, name: String, value: JsValue) -> bool {
        if self.gone("setOption") {
            return true;
        }
        let Some(spec) = options::find(&name) else {
            console::warn(&format!("unknown option `{name}` ignored"));
            return true;
        };
        if !spec.live {
            return false;
        }
        let object = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(&name), &value);
        let next = self.state.settings(|s| config::change(&object, &[spec], s));
        if self.apply(next) && spec.name == "open" {
            self.state.set_open(self.state.settings(|s| s.open));
        }
        true
    }

    /// After `destroy()`: the call does nothing, and the console says so
    /// (its state is gone; without this the call would hit it).
    fn gone(&self, call: &str) -> bool {
        let gone = matches!(*self.view.borrow(), Mounted::Gone);
        if gone {
            console::error(&format!(
                "{call}() on a destroyed chat does nothing; mount a new one"
            ));
        }
        gone
    }

    /// Makes `next` the widget's settings (the view and the styles follow),
    /// or names its problems in the console.
    fn apply(&self, next: Result<crate::settings::Settings, Vec<String>>) -> bool {
        match next {
            Ok(next) => {
                let css = styles::custom_properties(&next.look);
                self.state.update_settings(|s| *s = next);
                self.styles.borrow_mut().set(&css);
                true
            }
            Err(problems) => report(problems),
        }
    }

    /// The element holding the widget's shadow root.
    #[wasm_bindgen(getter)]
    pub fn element(&self) -> web_sys::Element {
        self.host.clone()
    }

    /// Removes the widget from the page; in-flight work is dropped.
    pub fn destroy(&mut self) {
        let view = std::mem::replace(&mut *self.view.borrow_mut(), Mounted::Gone);
        if !matches!(view, Mounted::Gone) {
            self.state.discard_inflight();
        }
        drop(view);
        self.owner.take();
        if self.owns_host {
            self.host.remove();
        } else if let Some(shadow) = self.host.shadow_root() {
            while let Some(child) = shadow.first_child() {
                let _ = shadow.remove_child(&child);
            }
        }
    }
}

/// Mounts a widget on the page. `config` is a plain object, e.g.
/// `{ agentId: "...", apiUrl: "https://proxy.example.com" }`.
///
/// A bad config is reported in the console, naming the option, and nothing
/// is mounted (`undefined` is returned); it never throws.
#[wasm_bindgen]
pub fn mount(config: JsValue) -> Option<ChatHandle> {
    mount_with(None, &config, None, None, false)
}

/// Mounts a widget into `host` (whose open shadow root the loader may have
/// made already, with its own launcher in it). `emit(name, detail)` is called
/// for `open`, `close`, `message-sent`, `message-received`, `error`,
/// `unread`, `tool-call` and `activity`. `language` is what the loader
/// fetched for the visitor's language: `{ locale: "fr-CA", strings: {...} |
/// null }`.
///
/// Unlike `mount`, it returns before anything is drawn and builds the rest in
/// the tasks that follow (see [`advance`]), so the host page's main thread
/// is never held for long. It is [`prepare_in`] and [`Prepared::mount`] in
/// one go; the loader calls those two (`prepareIn`, then `mount` on what it
/// returns) in a task each. Still exported as `mountIn` (the README named it
/// for pages that load the wasm themselves); `language` may be left out.
#[wasm_bindgen(js_name = mountIn)]
pub fn mount_in(
    host: web_sys::Element,
    config: JsValue,
    emit: Option<js_sys::Function>,
    language: JsValue,
) -> Option<ChatHandle> {
    prepare_in(host, config, emit, language)?.mount()
}

/// The first half of `mountIn`: reads the options (a bad one is named in the
/// console and `undefined` returned), the words and the visitor's id; draws
/// nothing.
#[wasm_bindgen(js_name = prepareIn)]
pub fn prepare_in(
    host: web_sys::Element,
    config: JsValue,
    emit: Option<js_sys::Function>,
    language: JsValue,
) -> Option<Prepared> {
    report_panics();
    let fetched = language::Fetched::from_js(&language);
    let (settings, page) = read_options(&config)?;
    prepare(Some(host), settings, page, emit, fetched)
        .map_err(|e| console::error(&format!("could not mount the widget: {e}")))
        .ok()
}

/// A widget whose options, words and visitor are read: [`Prepared::mount`]
/// restores its conversation and returns its handle (in the loader's next
/// task).
#[wasm_bindgen]
pub struct Prepared {
    host: web_sys::Element,
    /// Whether `destroy` removes the host (`mount` made it).
    owns_host: bool,
    settings: Settings,
    emit: Option<js_sys::Function>,
    words: Words,
}

#[wasm_bindgen]
impl Prepared {
    /// The second half of `mountIn`: the conversation and the handle.
    pub fn mount(self) -> Option<ChatHandle> {
        mounted(mount_widget(self, true))
    }
}

fn mount_with(
    host: Option<web_sys::Element>,
    options: &JsValue,
    emit: Option<js_sys::Function>,
    fetched: Option<language::Fetched>,
    staged: bool,
) -> Option<ChatHandle> {
    report_panics();
    let (settings, page) = read_options(options)?;
    mounted(prepare(host, settings, page, emit, fetched).and_then(|p| mount_widget(p, staged)))
}

/// The options, or `None` with each problem named in the console.
fn read_options(options: &JsValue) -> Option<(Settings, config::Page)> {
    match config::from_js(options) {
        Ok(read) => Some(read),
        Err(problems) => {
            report(problems);
            console::error("the widget was not mounted; fix the options above");
            None
        }
    }
}

fn mounted(handle: Result<ChatHandle, String>) -> Option<ChatHandle> {
    handle
        .map_err(|e| console::error(&format!("could not mount the widget: {e}")))
        .ok()
}

/// Names each problem in the console; false.
fn report(problems: Vec<String>) -> bool {
    for problem in problems {
        console::error(&problem);
    }
    false
}

/// A bug in the widget shows in the console as what it is, instead of a
/// bare "unreachable" from the wasm engine.
fn report_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            console::error(&format!("internal error, please report it: {info}"));
        }));
    });
}

fn js_error(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// The host (made when there is none), the words in the visitor's language
/// and the visitor's id.
fn prepare(
    host: Option<web_sys::Element>,
    mut settings: Settings,
    page: config::Page,
    emit: Option<js_sys::Function>,
    fetched: Option<language::Fetched>,
) -> Result<Prepared, String> {
    let document = document()?;
    let owns_host = host.is_none();
    let host = match host {
        Some(host) => host,
        None => {
            let host = document.create_element("div").map_err(js_error)?;
            let parent: web_sys::Element = match (page.container, settings.look.mode) {
                (Some(container), Mode::Inline) => container,
                _ => document.body().ok_or("the page has no <body> yet")?.into(),
            };
            // The loader marks the hosts it makes itself.
            let _ = host.set_attribute("data-lyzr-chat", &settings.agent_id);
            parent.append_child(&host).map_err(js_error)?;
            host
        }
    };
    let words = language::words(&host, page.locale, page.dir, page.labels, fetched);
    if settings.user_id.is_empty() {
        settings.user_id = visitor_id(settings.persistence);
    }
    Ok(Prepared {
        host,
        owns_host,
        settings,
        emit,
        words,
    })
}

fn document() -> Result<web_sys::Document, String> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| "no document".to_string())
}

fn mount_widget(prepared: Prepared, staged: bool) -> Result<ChatHandle, String> {
    let Prepared {
        host,
        owns_host,
        settings,
        emit,
        words,
    } = prepared;
    let document = document()?;
    // Sends (the outbox's too, as the state starts) fetch the chunk the
    // send path is in.
    crate::markdown::lazy::install();
    let _ = host.set_attribute("data-mode", settings.look.mode.name());
    let shadow = match host.shadow_root() {
        Some(shadow) => shadow,
        None => host
            .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
            .map_err(|e| format!("cannot attach a shadow root: {}", js_error(e)))?,
    };
    let styles = Rc::new(RefCell::new(styles::Styles::default()));
    // Parsed in this task, adopted in the next (with the launcher).
    styles.borrow_mut().parse();
    let widget_words = words.clone();
    let owner = Owner::new();
    let (state, attachments) = owner.with(|| {
        // Read by the markdown renderer of agent replies.
        provide_context(settings.render_policy.clone());
        let attachments = Attachments::new(settings.attachments.clone());
        let state = ChatState::new(settings, attachments);
        if let Some(emit) = emit {
            connect_events(state, emit, words.clone());
        }
        (state, attachments)
    });
    let view = Rc::new(RefCell::new(Mounted::Waiting));
    // The styles and the view: in a task of their own after `mountIn` (the
    // loader's launcher shows until then).
    let build = {
        let (styles, slot, owner) = (styles.clone(), view.clone(), owner.clone());
        move || -> Result<(), String> {
            if !matches!(*slot.borrow(), Mounted::Waiting) {
                return Ok(()); // destroyed meanwhile
            }
            // Whatever the loader drew while the wasm loaded goes, but the
            // root holding its stand-in panel (open or closed), until the
            // widget has taken its text over (`StandIn::hand_over`).
            let stand_in = stand_in::StandIn::find(&shadow);
            let mut child = shadow.first_child();
            while let Some(node) = child {
                child = node.next_sibling();
                if stand_in.as_ref().is_none_or(|s| !s.is(&node)) {
                    let _ = shadow.remove_child(&node);
                }
            }
            let css = state.settings(|s| styles::custom_properties(&s.look));
            styles
                .borrow_mut()
                .adopt(&document, &shadow, &css, stand_in.is_some())?;
            let mount_point: web_sys::HtmlElement = document
                .create_element("div")
                .map_err(js_error)?
                .unchecked_into();
            mount_point.set_class_name(if stand_in.is_some() {
                "lc-mount lc-wait"
            } else {
                "lc-mount"
            });
            shadow.append_child(&mount_point).map_err(js_error)?;
            let built = owner.with(|| {
                let stage = RwSignal::new(if staged {
                    Stage::Launcher
                } else {
                    Stage::Complete
                });
                let view = leptos::mount::mount_to(mount_point, move || {
                    view! {
                        <Widget
                            state=state
                            words=widget_words
                            attachments=attachments
                            stage=stage
                        />
                    }
                });
                // The stand-in's text, caret and focus: in the frame after the
                // composer is built (which takes no focus of its own then);
                // closed, in the frame after the launcher.
                let hand_over = stand_in.and_then(|s| {
                    let open = s.open();
                    let shadow = shadow.clone();
                    let hand_over = Rc::new(move || s.hand_over(shadow.clone(), state));
                    if open {
                        Some(hand_over as Rc<dyn Fn()>)
                    } else {
                        request_animation_frame(move || hand_over());
                        None
                    }
                });
                if staged {
                    advance(stage, state, owner.clone(), false, hand_over);
                } else {
                    // Saving, other tabs, history, the queue.
                    state.start();
                    if let Some(hand_over) = hand_over {
                        request_animation_frame(move || hand_over());
                    }
                }
                Box::new(view) as Box<dyn Any>
            });
            *slot.borrow_mut() = Mounted::View { _view: built };
            Ok(())
        }
    };
    if staged {
        set_timeout(
            move || {
                if let Err(e) = build() {
                    console::error(&format!("could not mount the widget: {e}"));
                }
            },
            std::time::Duration::ZERO,
        );
    } else {
        build()?;
    }
    Ok(ChatHandle {
        state,
        host,
        owns_host,
        styles,
        view,
        owner: Some(owner),
    })
}

/// JSON text as a JavaScript value (`undefined` when absent or unreadable).
fn json(text: Option<String>) -> JsValue {
    text.and_then(|t| js_sys::JSON::parse(&t).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

/// What the loader's mount does after the launcher, a task each: the panel
/// (header and composer), [`ChatState::start`] (saving, other tabs, the
/// server's history, the queue), the conversation. While the panel shows
/// they come one right after the other, the composer first; while it is
/// closed, `start` comes at once and the views when the browser is idle.
/// Once the widget is destroyed (its signals gone), nothing more is done.
fn advance(
    stage: RwSignal<Stage>,
    state: ChatState,
    owner: Owner,
    started: bool,
    hand_over: Option<Rc<dyn Fn()>>,
) {
    let Some(now) = stage.try_get_untracked() else {
        return;
    };
    let open = state.open.get_untracked();
    // The next step, and whether it may wait for an idle moment.
    let (start, idle) = match now {
        _ if !started && (!open || now >= Stage::Panel) => (true, false),
        Stage::Complete => {
            // Completed by an open before the panel's step.
            if let Some(hand_over) = hand_over {
                request_animation_frame(move || hand_over());
            }
            return;
        }
        _ => (false, !open),
    };
    let step = move || {
        let Some(now) = stage.try_get_untracked() else {
            return; // destroyed meanwhile
        };
        if start {
            owner.with(|| state.start());
        } else {
            stage.set(if now == Stage::Launcher {
                Stage::Panel
            } else {
                Stage::Complete
            });
            // The composer is built as this task ends (Leptos' effects).
            if let Some(hand_over) = hand_over.clone() {
                request_animation_frame(move || hand_over());
            }
        }
        advance(
            stage,
            state,
            owner.clone(),
            started || start,
            if start { hand_over.clone() } else { None },
        );
    };
    if idle && request_idle_callback_with_handle(step.clone()).is_ok() {
        return; // (no idle callbacks in Safari)
    }
    set_timeout(step, std::time::Duration::ZERO);
}

/// Passes the conversation's events to the loader's `emit`.
fn connect_events(state: ChatState, emit: js_sys::Function, words: Words) {
    let call = {
        move |name: &str, detail: JsValue| {
            if let Err(e) = emit.call2(&JsValue::NULL, &JsValue::from_str(name), &detail) {
                console::error(&format!(
                    "an event listener for `{name}` threw: {}",
                    js_error(e)
                ));
            }
        }
    };
    let session = move || JsValue::from_str(&state.session_id());
    let detail = move |pairs: &[(&str, JsValue)]| -> JsValue {
        let object = js_sys::Object::new();
        for (key, value) in pairs {
            let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), value);
        }
        object.into()
    };
    state.set_listener(move |event| match event {
        ChatEvent::MessageSent { text } => call(
            "message-sent",
            detail(&[("text", text.into()), ("sessionId", session())]),
        ),
        ChatEvent::MessageReceived {
            text,
            message_id,
            metadata,
            tool_calls,
        } => call(
            "message-received",
            detail(&[
                ("text", text.into()),
                ("sessionId", session()),
                ("messageId", message_id.into()),
                ("metadata", json(metadata)),
                ("toolCalls", json(tool_calls)),
            ]),
        ),
        ChatEvent::ToolCall { name, arguments } => call(
            "tool-call",
            detail(&[
                ("name", name.into()),
                ("arguments", json(Some(arguments))),
                ("sessionId", session()),
            ]),
        ),
        ChatEvent::Activity { event, step } => call(
            "activity",
            detail(&[
                ("type", event.event_type.into()),
                ("status", event.status.into()),
                ("level", event.level.into()),
                ("message", event.message.into()),
                ("toolName", event.tool_name.into()),
                ("runId", event.run_id.into()),
                ("step", step.as_ref().map(|s| words::step(&words, s)).into()),
                ("sessionId", session()),
            ]),
        ),
        ChatEvent::Error { problem } => call(
            "error",
            detail(&[
                ("message", words::client_error(&words, &problem).into()),
                ("detail", problem.to_string().into()),
                ("sessionId", session()),
            ]),
        ),
        ChatEvent::Unread { count } => call("unread", detail(&[("count", count.into())])),
        ChatEvent::Opened => call("open", JsValue::UNDEFINED),
        ChatEvent::Closed => call("close", JsValue::UNDEFINED),
    });
}
