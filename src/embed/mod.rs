//! The JavaScript face of the widget: `mount(config)` and the handle it
//! returns. The only module that reads values handed over by the host page.

mod config;

pub use config::WidgetConfig;

use crate::client::Endpoint;
use crate::console;
use crate::state::{visitor_id, ChatSettings, ChatState};
use crate::ui::{UiText, Widget};
use leptos::prelude::*;
use std::any::Any;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The widget's stylesheet, injected into its shadow root.
const WIDGET_CSS: &str = include_str!("../../style/widget.css");

/// A mounted widget, as seen from JavaScript.
#[wasm_bindgen]
pub struct ChatHandle {
    state: ChatState,
    host: web_sys::Element,
    // Dropping these unmounts the view and frees its reactive state.
    view: Option<Box<dyn Any>>,
    owner: Option<Owner>,
}

#[wasm_bindgen]
impl ChatHandle {
    /// Opens the chat panel.
    pub fn open(&self) {
        self.state.open.set(true);
    }

    /// Closes the chat panel.
    pub fn close(&self) {
        self.state.open.set(false);
    }

    /// Opens the panel if closed, closes it if open.
    pub fn toggle(&self) {
        self.state.open.update(|o| *o = !*o);
    }

    /// Sends `text` as if the visitor had typed it.
    pub fn send(&self, text: String) {
        self.state.send(text);
    }

    /// The session id of the current conversation.
    #[wasm_bindgen(getter, js_name = sessionId)]
    pub fn session_id(&self) -> String {
        self.state.session_id()
    }

    /// Removes the widget from the page.
    pub fn destroy(&mut self) {
        self.view.take();
        self.owner.take();
        self.host.remove();
    }
}

/// Mounts a widget on the page. `config` is a plain object, e.g.
/// `{ agentId: "...", apiUrl: "https://proxy.example.com" }`.
///
/// A bad config is reported in the console, naming the option, and nothing
/// is mounted (`undefined` is returned); it never throws.
#[wasm_bindgen]
pub fn mount(config: JsValue) -> Option<ChatHandle> {
    let config = match WidgetConfig::from_js(&config) {
        Ok(config) => config,
        Err(problems) => {
            for problem in problems {
                console::error(&problem);
            }
            console::error("the widget was not mounted; fix the options above");
            return None;
        }
    };
    match mount_widget(config) {
        Ok(handle) => Some(handle),
        Err(e) => {
            console::error(&format!("could not mount the widget: {e}"));
            None
        }
    }
}

fn mount_widget(config: WidgetConfig) -> Result<ChatHandle, String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let body = document.body().ok_or("the page has no <body> yet")?;
    let host = document
        .create_element("div")
        .map_err(|e| format!("{e:?}"))?;
    let _ = host.set_attribute("data-lyzr-chat", &config.agent_id);
    let shadow = host
        .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
        .map_err(|e| format!("cannot attach a shadow root: {e:?}"))?;
    add_styles(&document, &shadow)?;
    let mount_point: web_sys::HtmlElement = document
        .create_element("div")
        .map_err(|e| format!("{e:?}"))?
        .unchecked_into();
    shadow
        .append_child(&mount_point)
        .map_err(|e| format!("{e:?}"))?;
    body.append_child(&host).map_err(|e| format!("{e:?}"))?;

    let endpoint = Endpoint {
        base_url: config.api_url.clone(),
        api_key: config.api_key.clone(),
    };
    let user_id = config.user_id.clone().unwrap_or_else(visitor_id);
    let mut settings = ChatSettings::new(
        endpoint,
        config.agent_id.clone(),
        user_id,
        config.session_id.clone(),
    );
    settings.system_prompt_variables = config.system_prompt_variables.clone();
    settings.filter_variables = config.filter_variables.clone();
    settings.features = config.features.clone();
    let text = UiText {
        title: config.title.clone(),
        subtitle: config.subtitle.clone(),
        placeholder: config.placeholder.clone(),
    };

    let render_policy = config.render_policy.clone();
    let owner = Owner::new();
    let (state, view) = owner.with(|| {
        // Read by the markdown renderer of agent replies.
        provide_context(render_policy);
        let state = ChatState::new(settings, config.welcome_message.clone(), config.open);
        let view = leptos::mount::mount_to(mount_point, move || {
            view! { <Widget state=state text=text/> }
        });
        (state, Box::new(view) as Box<dyn Any>)
    });
    Ok(ChatHandle {
        state,
        host,
        view: Some(view),
        owner: Some(owner),
    })
}

/// Styles go in as a constructable stylesheet (allowed under a strict
/// `style-src`), falling back to a `<style>` element in older browsers.
fn add_styles(document: &web_sys::Document, shadow: &web_sys::ShadowRoot) -> Result<(), String> {
    if let Some(sheet) = web_sys::CssStyleSheet::new()
        .ok()
        .filter(|sheet| sheet.replace_sync(WIDGET_CSS).is_ok())
    {
        let sheets = js_sys::Array::of1(&sheet);
        shadow.set_adopted_style_sheets(&sheets);
        return Ok(());
    }
    let style = document
        .create_element("style")
        .map_err(|e| format!("{e:?}"))?;
    style.set_text_content(Some(WIDGET_CSS));
    shadow
        .append_child(&style)
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}
