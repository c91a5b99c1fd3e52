//! The widget's styles in its shadow root: `style/widget.css` plus a small
//! per-instance sheet of custom properties (colour, z-index, offsets).
//! Constructable stylesheets are used (allowed under a strict `style-src`),
//! with `<style>` elements as the fallback for older browsers.

use crate::ui::UiOptions;

/// The widget's stylesheet (`style/widget.css`, minified by `build.rs`).
const WIDGET_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.css"));

/// Where the per-instance rules live, to change them later.
enum Custom {
    Sheet(web_sys::CssStyleSheet),
    Element(web_sys::Element),
}

pub struct Styles {
    /// None until [`adopt`](Self::adopt).
    custom: Option<Custom>,
    options: UiOptions,
}

impl Styles {
    /// The styles for `options`, not in any shadow root yet.
    pub fn new(options: &UiOptions) -> Styles {
        Styles {
            custom: None,
            options: options.clone(),
        }
    }

    /// Puts both sheets into `shadow`.
    pub fn adopt(
        &mut self,
        document: &web_sys::Document,
        shadow: &web_sys::ShadowRoot,
    ) -> Result<(), String> {
        let custom_css = self.options.custom_properties_css();
        let sheets = web_sys::CssStyleSheet::new()
            .ok()
            .zip(web_sys::CssStyleSheet::new().ok());
        self.custom = Some(match sheets {
            Some((base, custom))
                if base.replace_sync(WIDGET_CSS).is_ok()
                    && custom.replace_sync(&custom_css).is_ok() =>
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
                Custom::Element(style(&custom_css)?)
            }
        });
        Ok(())
    }

    /// Changes the primary colour (already checked by the browser).
    pub fn set_primary_color(&mut self, color: &str) {
        self.options.primary_color = Some(color.to_string());
        let css = self.options.custom_properties_css();
        match &self.custom {
            Some(Custom::Sheet(sheet)) => {
                let _ = sheet.replace_sync(&css);
            }
            Some(Custom::Element(element)) => element.set_text_content(Some(&css)),
            None => {}
        }
    }
}
