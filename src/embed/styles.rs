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
}

impl Styles {
    /// Puts both sheets into `shadow`, the per-instance one being `custom_css`
    /// ([`custom_properties`]).
    pub fn adopt(
        &mut self,
        document: &web_sys::Document,
        shadow: &web_sys::ShadowRoot,
        custom_css: &str,
    ) -> Result<(), String> {
        let sheets = web_sys::CssStyleSheet::new()
            .ok()
            .zip(web_sys::CssStyleSheet::new().ok());
        self.custom = Some(match sheets {
            Some((base, custom))
                if base.replace_sync(WIDGET_CSS).is_ok()
                    && custom.replace_sync(custom_css).is_ok() =>
            {
                shadow.set_adopted_style_sheets(&js_sys::Array::of2(&base, &custom));
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
