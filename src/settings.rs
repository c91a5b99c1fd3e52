//! The widget's settings: one plain value, built once by `embed` from the
//! option table (`embed/options.rs`), held by the conversation
//! (`state::ChatState`) and read there and by `ui`. A live change
//! (`setOption`, `setTheme`, `setVariables`, `setUser`) changes this value;
//! nothing copies its fields into another struct.
//!
//! Plain data only, no JavaScript: it sits below `state` (it uses the
//! `client`'s and the protocol's types, and the markdown renderer's policy,
//! itself plain data).

use crate::client::{Endpoint, SendOptions};
use crate::markdown::RenderPolicy;
use lyzr_chat_protocol::{AttachmentLimits, RequestFields};

/// Every option of the widget after checking, except what only the
/// JavaScript face uses (`container`) and what becomes the widget's words
/// (`locale`, `dir`, `labels`, `title`, `placeholder`: see `ui::i18n`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `agentId`.
    pub agent_id: String,
    /// `apiUrl` (without a trailing slash; empty: the page's origin) and
    /// `apiKey`.
    pub endpoint: Endpoint,
    /// `userId`; empty until given, when the state fills in the visitor id.
    pub user_id: String,
    /// `sessionId`: the conversation to continue (checked against `agent_id`).
    pub session_id: Option<String>,
    /// `subtitle`.
    pub subtitle: Option<String>,
    /// `welcomeMessage`: the agent's first words, shown, not sent.
    pub welcome: Option<String>,
    /// `open`: whether the panel starts open (then the state's `open`).
    pub open: bool,
    /// `systemPromptVariables`, `filterVariables`, `features`, `assets`,
    /// `responseFormat`, `providerOverrides`: sent with every message.
    pub fields: RequestFields,
    /// `stream` and `timeoutMs`.
    pub send: SendOptions,
    /// `activity`: show the agent's steps (the activity channel per answer).
    pub activity: bool,
    /// Looks and place.
    pub look: Look,
    /// `linkSchemes`, `imageHosts`: which links and images of replies are live.
    pub render_policy: RenderPolicy,
    /// `persistence`: where the conversation is kept between pages.
    pub persistence: Persistence,
    /// `attachments`: what may be attached; `None`: attaching is off.
    pub attachments: Option<AttachmentLimits>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            agent_id: String::new(),
            endpoint: Endpoint {
                base_url: String::new(),
                api_key: None,
            },
            user_id: String::new(),
            session_id: None,
            subtitle: None,
            welcome: None,
            open: false,
            fields: RequestFields::default(),
            send: SendOptions::default(),
            activity: false,
            look: Look::default(),
            render_policy: RenderPolicy::default(),
            persistence: Persistence::default(),
            attachments: Some(AttachmentLimits::default()),
        }
    }
}

/// How the widget looks and where it sits.
#[derive(Debug, Clone, PartialEq)]
pub struct Look {
    pub theme: Theme,
    /// `primaryColor`: a CSS colour already checked.
    pub primary_color: Option<String>,
    pub position: Position,
    /// `offsetX`, `offsetY`: distance from the window's edges, in px.
    pub offset_x: u32,
    pub offset_y: u32,
    pub z_index: Option<i32>,
    pub mode: Mode,
    /// `starterPrompts`: suggestions offered before the first message.
    pub starter_prompts: Vec<String>,
}

/// Default `offsetX` / `offsetY` in px.
pub const DEFAULT_OFFSET: u32 = 20;

impl Default for Look {
    fn default() -> Self {
        Self {
            theme: Theme::Light,
            primary_color: None,
            position: Position::BottomRight,
            offset_x: DEFAULT_OFFSET,
            offset_y: DEFAULT_OFFSET,
            z_index: None,
            mode: Mode::Floating,
            starter_prompts: Vec::new(),
        }
    }
}

// Each choice's values in the order of the option's words in the table
// (`embed/options.rs`; a test there holds them together).

/// `theme`'s values.
pub const THEMES: [Theme; 3] = [Theme::Light, Theme::Dark, Theme::Auto];
/// `position`'s values.
pub const POSITIONS: [Position; 4] = [
    Position::BottomRight,
    Position::BottomLeft,
    Position::TopRight,
    Position::TopLeft,
];
/// `mode`'s values.
pub const MODES: [Mode; 3] = [Mode::Floating, Mode::Inline, Mode::Fullpage];
/// `persistence`'s values.
pub const PERSISTENCES: [Persistence; 3] =
    [Persistence::Local, Persistence::Session, Persistence::None];

/// Light, dark, or following the visitor's system setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Theme {
    #[default]
    Light,
    Dark,
    Auto,
}

/// The corner a floating launcher sits in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Position {
    #[default]
    BottomRight,
    BottomLeft,
    TopRight,
    TopLeft,
}

/// How the widget is laid out on the page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// A launcher in a corner opening a panel.
    #[default]
    Floating,
    /// The panel fills a host container, always open.
    Inline,
    /// The panel fills the window, always open.
    Fullpage,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Floating => "floating",
            Mode::Inline => "inline",
            Mode::Fullpage => "fullpage",
        }
    }
}

/// Where the conversation is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Persistence {
    /// localStorage, per agent: survives reloads, tabs and browser restarts.
    #[default]
    Local,
    /// sessionStorage: this tab only, until it closes.
    Session,
    /// Nowhere: a reload starts over (the server's history can still
    /// bring the session back when the host page passes its id).
    None,
}
