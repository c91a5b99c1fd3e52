//! The widget's styles in its shadow root: `style/widget.css` plus a small
//! per-instance sheet of custom properties (colour, z-index, offsets).
//! Constructable stylesheets are used (allowed under a strict `style-src`),
//! with `<style>` elements as the fallback for older browsers.

use crate::settings::Look;

/// The widget's stylesheet (`style/widget.css`, minified by `build.rs`).
const WIDGET_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.css"));

/// Where the per-instance rules live, to change them later.
enum Custom {
    Sheet(web_sys::CssStyleSheet),
    Element(web_sys::Element),
}

/// The per-instance rules for `look`: custom properties overriding the
/// defaults in `style/widget.css`. Values were checked when read.
pub fn custom_properties(look: &Look) -> String {
    let mut rules = format!(
        "--lc-offset-x: {}px; --lc-offset-y: {}px;",
        look.offset_x, look.offset_y
    );
    if let Some(color) = &look.primary_color {
        rules.push_str(&format!(" --lc-primary: {color};"));
    }
    if let Some(z) = look.z_index {
        rules.push_str(&format!(" --lc-z: {z};"));
    }
    format!(".lc-root {{ {rules} }}")
}

#[derive(Default)]
pub struct Styles {
    /// None until [`adopt`](Self::adopt).
    custom: Option<Custom>,
    /// `style/widget.css`, parsed by [`parse`](Self::parse).
    base: Option<web_sys::CssStyleSheet>,
}

/// A constructable sheet of `css`, if the browser has them.
fn sheet(css: &str) -> Option<web_sys::CssStyleSheet> {
    let sheet = web_sys::CssStyleSheet::new().ok()?;
    sheet.replace_sync(css).ok().map(|_| sheet)
}

impl Styles {
    /// Parses the widget's stylesheet now, so the browser's work on it is
    /// done before the task of [`adopt`](Self::adopt).
    pub fn parse(&mut self) {
        self.base = sheet(WIDGET_CSS);
    }

    /// Puts both sheets into `shadow`, the per-instance one being `custom_css`
    /// ([`custom_properties`]), first; the sheets already there stay after
    /// them when `keep` (the loader's, while its stand-in panel shows).
    pub fn adopt(
        &mut self,
        document: &web_sys::Document,
        shadow: &web_sys::ShadowRoot,
        custom_css: &str,
        keep: bool,
    ) -> Result<(), String> {
        let base = self.base.take().or_else(|| sheet(WIDGET_CSS));
        self.custom = Some(match base.zip(sheet(custom_css)) {
            Some((base, custom)) => {
                let sheets = js_sys::Array::of2(&base, &custom);
                let sheets = if keep {
                    sheets.concat(&js_sys::Array::from(&shadow.adopted_style_sheets()))
                } else {
                    sheets
                };
                shadow.set_adopted_style_sheets(&sheets);
                Custom::Sheet(custom)
            }
            _ => {
                let style = |css: &str| -> Result<web_sys::Element, String> {
                    let style = document
                        .create_element("style")
                        .map_err(|e| format!("{e:?}"))?;
                    style.set_text_content(Some(css));
                    shadow.append_child(&style).map_err(|e| format!("{e:?}"))?;
                    Ok(style)
                };
                style(WIDGET_CSS)?;
                Custom::Element(style(custom_css)?)
            }
        });
        Ok(())
    }

    /// Replaces the per-instance rules (once adopted; until then
    /// [`adopt`](Self::adopt) takes the settings as they are then).
    pub fn set(&mut self, css: &str) {
        match &self.custom {
            Some(Custom::Sheet(sheet)) => {
                let _ = sheet.replace_sync(css);
            }
            Some(Custom::Element(element)) => element.set_text_content(Some(css)),
            None => {}
        }
    }
}
