//! The visitor's language as the page and the loader hand it over: the
//! `locale`, `dir` and `labels` options and the locale file the loader
//! fetched (`locales/<lang>.json`), read into the widget's [`Words`].

use crate::console;
use crate::ui::i18n::{canonical_locale, keys, Dir, Label, Override, Words};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// Texts by label key out of `value` (an object, or JSON text as an
/// attribute gives it), for `labels` or a locale file (`what` names it in
/// messages): a string, or for a counted text its plural forms (an object
/// of category: text with an `other`). Unknown keys get one console warning
/// naming the known keys; a malformed text is a problem naming it, and is
/// skipped.
pub fn read_texts(
    value: &JsValue,
    what: &str,
    problems: &mut Vec<String>,
) -> Vec<(Label, Override)> {
    let value = match value.as_string() {
        Some(text) => js_sys::JSON::parse(&text).unwrap_or_default(),
        None => value.clone(),
    };
    if !value.is_object() || Array::is_array(&value) {
        problems.push(format!(
            "{what} must be an object of label: text, e.g. {{\"send\": \"Go\"}} (JSON in an attribute)"
        ));
        return Vec::new();
    }
    let mut texts = Vec::new();
    let mut unknown = Vec::new();
    for entry in Object::entries(value.unchecked_ref()).iter() {
        let entry: Array = entry.unchecked_into();
        let (key, text) = (entry.get(0).as_string().unwrap_or_default(), entry.get(1));
        let Some(label) = Label::from_key(&key) else {
            unknown.push(format!("`{key}`"));
            continue;
        };
        let forms = || -> Option<Override> {
            let forms: Vec<(String, String)> = Object::entries(text.dyn_ref()?)
                .iter()
                .filter_map(|form| {
                    let form: Array = form.unchecked_into();
                    Some((form.get(0).as_string()?, form.get(1).as_string()?))
                })
                .collect();
            forms
                .iter()
                .any(|(c, _)| c == "other")
                .then_some(Override::Forms(forms))
        };
        match text.as_string().map(Override::Text).or_else(forms) {
            Some(text) => texts.push((label, text)),
            None => problems.push(format!(
                "{what}: `{key}` must be a string, or plural forms {{\"one\": …, \"other\": …}}"
            )),
        }
    }
    if !unknown.is_empty() {
        console::warn(&format!(
            "{what}: unknown label {} ignored; known labels: {}",
            unknown.join(", "),
            keys().collect::<Vec<_>>().join(", ")
        ));
    }
    texts
}

/// What the loader fetched for the visitor's language: the tag it resolved
/// (`fr-CA`) and the locale file's texts, if any (`null` for English, or
/// when the file could not be had: the loader said why in the console).
pub struct Fetched {
    pub locale: Option<String>,
    pub strings: JsValue,
}

impl Fetched {
    pub fn from_js(value: &JsValue) -> Option<Self> {
        if !value.is_object() {
            return None;
        }
        Some(Fetched {
            locale: Reflect::get(value, &"locale".into()).ok()?.as_string(),
            strings: Reflect::get(value, &"strings".into()).unwrap_or(JsValue::NULL),
        })
    }
}

/// The page's language: the `lang` of `host` or its closest ancestor (so
/// `<html lang>` for most pages), else the browser's.
fn page_language(host: &web_sys::Element) -> Option<String> {
    let from_page = host
        .closest("[lang]")
        .ok()
        .flatten()
        .and_then(|e| e.get_attribute("lang"))
        .and_then(|l| canonical_locale(&l));
    from_page.or_else(|| {
        web_sys::window()
            .and_then(|w| w.navigator().language())
            .and_then(|l| canonical_locale(&l))
    })
}

/// The widget's words: the locale is the `locale` option, else what the
/// loader resolved (the same rule, run before the wasm arrived), else the
/// page's language; then English, the locale file over it, `labels` over
/// that. `dir` (`None`: auto) overrides the locale's direction.
pub fn words(
    host: &web_sys::Element,
    locale: Option<String>,
    dir: Option<Dir>,
    labels: Vec<(Label, Override)>,
    fetched: Option<Fetched>,
) -> Words {
    let locale = locale
        .or_else(|| {
            fetched
                .as_ref()
                .and_then(|f| f.locale.as_deref())
                .and_then(canonical_locale)
        })
        .or_else(|| page_language(host))
        .unwrap_or_else(|| "en".to_string());
    let language = locale.split('-').next().unwrap_or_default().to_string();
    let mut layers = Vec::new();
    match fetched {
        Some(f) if !f.strings.is_null() && !f.strings.is_undefined() => {
            let mut problems = Vec::new();
            layers = read_texts(
                &f.strings,
                &format!("locales/{language}.json"),
                &mut problems,
            );
            for problem in problems {
                console::error(&format!("{problem}; English is shown for it"));
            }
        }
        // English, or the loader has said why there is no file; mounted
        // without the loader (`mount`), only `labels` adds words.
        _ => {}
    }
    layers.extend(labels);
    let dir = dir.unwrap_or_else(|| Dir::of_locale(&locale));
    Words::new(locale, dir, layers)
}
