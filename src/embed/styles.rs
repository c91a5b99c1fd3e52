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
    /// The base and custom sheets [`parse`](Self::parse) made.
    parsed: Option<(web_sys::CssStyleSheet, web_sys::CssStyleSheet)>,
    options: UiOptions,
}

impl Styles {
    /// The styles for `options`, not in any shadow root yet.
    pub fn new(options: &UiOptions) -> Styles {
        Styles {
            custom: None,
            parsed: None,
            options: options.clone(),
        }
    }

    /// Reads both sheets (the browser parses them now), to be put into a
    /// shadow root by [`adopt`](Self::adopt) in a later task.
    pub fn parse(&mut self) {
        let custom_css = self.options.custom_properties_css();
        let sheet = |css: &str| {
            let sheet = web_sys::CssStyleSheet::new().ok()?;
            sheet.replace_sync(css).ok().map(|_| sheet)
        };
        self.parsed = sheet(WIDGET_CSS).zip(sheet(&custom_css));
    }

    /// Puts both sheets into `shadow` (constructable sheets when
    /// [`parse`](Self::parse) could make them, else `<style>` elements).
    pub fn adopt(
        &mut self,
        document: &web_sys::Document,
        shadow: &web_sys::ShadowRoot,
    ) -> Result<(), String> {
        self.custom = Some(match self.parsed.take() {
            Some((base, custom)) => {
                shadow.set_adopted_style_sheets(&js_sys::Array::of2(&base, &custom));
                Custom::Sheet(custom)
            }
            None => {
                let style = |css: &str| -> Result<web_sys::Element, String> {
                    let style = document
                        .create_element("style")
                        .map_err(|e| format!("{e:?}"))?;
                    style.set_text_content(Some(css));
                    shadow.append_child(&style).map_err(|e| format!("{e:?}"))?;
                    Ok(style)
                };
                style(WIDGET_CSS)?;
                Custom::Element(style(&self.options.custom_properties_css())?)
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
