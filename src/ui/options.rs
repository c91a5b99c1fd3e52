//! How the widget looks and where it sits: theme, colour, corner, mode.

/// Light, dark, or following the visitor's system setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Theme {
    #[default]
    Light,
    Dark,
    Auto,
}

impl Theme {
    /// From `"light"`, `"dark"` or `"auto"` (anything else is light).
    pub fn from_name(name: &str) -> Self {
        match name {
            "dark" => Theme::Dark,
            "auto" => Theme::Auto,
            _ => Theme::Light,
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Theme::Light => "lc-theme-light",
            Theme::Dark => "lc-theme-dark",
            Theme::Auto => "lc-theme-auto",
        }
    }
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

impl Position {
    /// From `"bottom-right"` and the like (anything else is bottom-right).
    pub fn from_name(name: &str) -> Self {
        match name {
            "bottom-left" => Position::BottomLeft,
            "top-right" => Position::TopRight,
            "top-left" => Position::TopLeft,
            _ => Position::BottomRight,
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Position::BottomRight => "lc-pos-bottom-right",
            Position::BottomLeft => "lc-pos-bottom-left",
            Position::TopRight => "lc-pos-top-right",
            Position::TopLeft => "lc-pos-top-left",
        }
    }
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
    /// From `"floating"`, `"inline"` or `"fullpage"`.
    pub fn from_name(name: &str) -> Self {
        match name {
            "inline" => Mode::Inline,
            "fullpage" => Mode::Fullpage,
            _ => Mode::Floating,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Floating => "floating",
            Mode::Inline => "inline",
            Mode::Fullpage => "fullpage",
        }
    }
}

/// Everything about the widget's looks and placement.
#[derive(Debug, Clone, PartialEq)]
pub struct UiOptions {
    pub theme: Theme,
    /// A CSS colour already checked by the browser.
    pub primary_color: Option<String>,
    pub position: Position,
    /// Distance from the window's side and top/bottom edges, in px.
    pub offset_x: u32,
    pub offset_y: u32,
    pub z_index: Option<i32>,
    pub mode: Mode,
    /// Suggestions offered before the first message.
    pub starter_prompts: Vec<String>,
}

impl Default for UiOptions {
    fn default() -> Self {
        Self {
            theme: Theme::Light,
            primary_color: None,
            position: Position::BottomRight,
            offset_x: 20,
            offset_y: 20,
            z_index: None,
            mode: Mode::Floating,
            starter_prompts: Vec::new(),
        }
    }
}

impl UiOptions {
    /// The per-instance stylesheet: custom properties overriding the
    /// defaults in `style/widget.css`. Values were validated when read.
    pub fn custom_properties_css(&self) -> String {
        let mut rules = format!(
            "--lc-offset-x: {}px; --lc-offset-y: {}px;",
            self.offset_x, self.offset_y
        );
        if let Some(color) = &self.primary_color {
            rules.push_str(&format!(" --lc-primary: {color};"));
        }
        if let Some(z) = self.z_index {
            rules.push_str(&format!(" --lc-z: {z};"));
        }
        format!(".lc-root {{ {rules} }}")
    }
}
