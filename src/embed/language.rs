//! The visitor's language as the page and the loader hand it over: the
//! `locale`, `dir` and `labels` options and the locale file the loader
//! fetched (`locales/<lang>.json`), read into the widget's [`Words`].

use crate::console;
use crate::ui::i18n::{canonical_locale, keys, Dir, Label, Override, Words};
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

const CATEGORIES: &[&str] = &["zero", "one", "two", "few", "many", "other"];

/// Texts by label key out of `value` (an object, or JSON text as an
/// attribute gives it), for `labels` or a locale file (`what` names it in
/// messages). Unknown keys get one console warning naming the known keys;
/// a malformed text is a problem naming it, and is skipped.
pub fn read_texts(
    value: &JsValue,
    what: &str,
    problems: &mut Vec<String>,
) -> Vec<(Label, Override)> {
    let parsed;
    let value = match value.as_string() {
        Some(text) => match js_sys::JSON::parse(&text) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(_) => {
                problems.push(format!(
                    "{what} must be an object of label: text, e.g. {{ \"send\": \"Go\" }}; as an \
                     attribute, written as JSON (it was not)"
                ));
                return Vec::new();
            }
        },
        None => value,
    };
    if !value.is_object() || js_sys::Array::is_array(value) {
        problems.push(format!(
            "{what} must be an object of label: text, e.g. {{ \"send\": \"Go\" }}"
        ));
        return Vec::new();
    }
    let object: &Object = value.unchecked_ref();
    let mut texts = Vec::new();
    let mut unknown = Vec::new();
    for key in Object::keys(object).iter().filter_map(|k| k.as_string()) {
        let Some(label) = Label::from_key(&key) else {
            unknown.push(format!("`{key}`"));
            continue;
        };
        let text = Reflect::get(object, &JsValue::from_str(&key)).unwrap_or_default();
        if let Some(text) = text.as_string() {
            texts.push((label, Override::Text(text)));
            continue;
        }
        let forms = text
            .dyn_ref::<Object>()
            .filter(|_| !js_sys::Array::is_array(&text))
            .map(|forms| {
                Object::keys(forms)
                    .iter()
                    .filter_map(|c| c.as_string())
                    .map(|c| {
                        let t = Reflect::get(forms, &JsValue::from_str(&c))
                            .ok()?
                            .as_string()?;
                        CATEGORIES.contains(&c.as_str()).then_some((c, t))
                    })
                    .collect::<Option<Vec<_>>>()
            });
        match forms {
            Some(Some(forms)) if forms.iter().any(|(c, _)| c == "other") => {
                texts.push((label, Override::Forms(forms)))
            }
            _ => problems.push(format!(
                "{what}: `{key}` must be a string{}",
                if label.has_forms() {
                    ", or plural forms like { \"one\": \"…{n}…\", \"other\": \"…{n}…\" }"
                } else {
                    ""
                }
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
