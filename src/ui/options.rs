//! How the settings' looks show: the classes of theme and corner. The values
//! themselves are plain data in `crate::settings`.

pub use crate::settings::{Look, Mode, Position, Theme};

impl Theme {
    pub fn class(self) -> &'static str {
        match self {
            Theme::Light => "lc-theme-light",
            Theme::Dark => "lc-theme-dark",
            Theme::Auto => "lc-theme-auto",
        }
    }
}

impl Position {
    pub fn class(self) -> &'static str {
        match self {
            Position::BottomRight => "lc-pos-bottom-right",
            Position::BottomLeft => "lc-pos-bottom-left",
            Position::TopRight => "lc-pos-top-right",
            Position::TopLeft => "lc-pos-top-left",
        }
    }
}
