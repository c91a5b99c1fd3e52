//! The visitor's language: the words of one widget ([`Words`]: English,
//! then the locale's file, then the host page's `labels`), its direction,
//! and numbers, sizes, durations and times written the locale's way
//! (`Intl`). The sentences themselves are chosen in `ui::words`.
//!
//! English is compiled in (`en.rs`); any other language arrives as
//! `locales/<lang>.json`, fetched by the loader in parallel with the wasm
//! and handed over at mount, so the bundle carries one language only.

use std::sync::Arc;

/// One label's English, as `en.rs` writes it (see [`labels!`]).
macro_rules! english {
    (Text($text:literal)) => {
        $text
    };
    (Forms(&[$(($category:literal, $text:literal)),*])) => {
        concat!($("\u{2}", $category, "\u{3}", $text,)*)
    };
}

/// Declares [`Label`] (one variant per string, in order), [`ALL`], and
/// `TABLE`: every key and its English in one string, `key \u{1} english
/// \u{1} …`, a text with plural forms written `\u{2} category \u{3} text`
/// per form. One string, not tables of pointers: fewer bytes in the wasm.
macro_rules! labels {
    ($($variant:ident $key:literal => $kind:ident $body:tt,)*) => {
        /// A string the visitor reads.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Label { $($variant,)* }
        /// Every label, in order.
        pub const ALL: &[Label] = &[$(Label::$variant,)*];
        pub(super) const TABLE: &str =
            concat!($($key, "\u{1}", english!($kind $body), "\u{1}",)*);
    };
}

mod en;
pub use en::{Label, ALL};

/// `(key, English)` of every label, in order.
fn entries() -> impl Iterator<Item = (&'static str, &'static str)> {
    let mut parts = en::TABLE.split('\u{1}');
    std::iter::from_fn(move || Some((parts.next().filter(|k| !k.is_empty())?, parts.next()?)))
}

/// Every label's key (as in the locale files and `labels`), in order.
pub fn keys() -> impl Iterator<Item = &'static str> {
    entries().map(|(key, _)| key)
}

/// A label's English: one text, or its plural forms (see [`forms`]).
pub fn english(label: Label) -> &'static str {
    entries().nth(label as usize).map_or("", |(_, text)| text)
}

/// The `(category, text)` forms of an English text, `None` for one text.
/// Categories are as `Intl.PluralRules` names them.
pub fn forms(text: &'static str) -> Option<impl Iterator<Item = (&'static str, &'static str)>> {
    let forms = text.strip_prefix('\u{2}')?;
    Some(
        forms
            .split('\u{2}')
            .filter_map(|form| form.split_once('\u{3}')),
    )
}

impl Label {
    /// The label with this key (`"send"`).
    pub fn from_key(key: &str) -> Option<Label> {
        keys().position(|k| k == key).map(|at| ALL[at])
    }

    pub fn key(self) -> &'static str {
        keys().nth(self as usize).unwrap_or_default()
    }

    /// Whether its text depends on a count (`{n}`): given as plural forms.
    pub fn has_forms(self) -> bool {
        forms(english(self)).is_some()
    }
}

/// The texts that replace English for one label: a locale file's, or the
/// `labels` option's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Override {
    Text(String),
    /// `(category, text)`: `one`, `other`, …
    Forms(Vec<(String, String)>),
}

/// Text direction of the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dir {
    #[default]
    Ltr,
    Rtl,
}

impl Dir {
    /// The direction a language is written in: right to left for Arabic,
    /// Hebrew, Persian, Urdu and the other languages written in their
    /// scripts (by the tag's first subtag; `he-IL` is Hebrew).
    pub fn of_locale(locale: &str) -> Dir {
        const RTL: &str = "ar he iw fa ur ps yi dv ckb sd ug";
        let language = locale.split(['-', '_']).next().unwrap_or_default();
        if RTL.split(' ').any(|l| l.eq_ignore_ascii_case(language)) {
            Dir::Rtl
        } else {
            Dir::Ltr
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dir::Ltr => "ltr",
            Dir::Rtl => "rtl",
        }
    }
}

/// The words of one widget. Cheap to clone; provided as context to the
/// views.
#[derive(Debug, Clone)]
pub struct Words(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// A canonical BCP 47 tag (`fr-CA`), for `Intl`.
    locale: String,
    dir: Dir,
    /// Per label (in order): what replaces English, if anything.
    texts: Vec<Option<Override>>,
}

impl Default for Words {
    fn default() -> Self {
        Words::new("en".into(), Dir::Ltr, [])
    }
}

impl Words {
    /// Words for `locale` (a canonical tag, checked by the caller), in
    /// `dir`: English unless `layers` replace a text; a later layer wins
    /// (the locale file first, then the page's `labels`).
    pub fn new(
        locale: String,
        dir: Dir,
        layers: impl IntoIterator<Item = (Label, Override)>,
    ) -> Self {
        let mut texts = vec![None; ALL.len()];
        for (label, text) in layers {
            texts[label as usize] = Some(text);
        }
        Words(Arc::new(Inner { locale, dir, texts }))
    }

    pub fn locale(&self) -> &str {
        &self.0.locale
    }

    pub fn dir(&self) -> Dir {
        self.0.dir
    }

    /// The text of `label` (for forms: the `other` one).
    pub fn get(&self, label: Label) -> &str {
        self.pick(label, "other")
    }

    /// The text of `label` with its `{name}` placeholders filled.
    pub fn fill(&self, label: Label, args: &[(&str, &str)]) -> String {
        fill(self.get(label), args)
    }

    /// The text of `label` for `n` things: the plural form the locale uses
    /// for `n`, with `{n}` (written the locale's way) and `args` filled.
    pub fn count(&self, label: Label, n: u64, args: &[(&str, &str)]) -> String {
        let category = plural_category(self.locale(), n as f64);
        let number = self.number(n as f64);
        let mut all = vec![("n", number.as_str())];
        all.extend_from_slice(args);
        fill(self.pick(label, &category), &all)
    }

    fn pick(&self, label: Label, category: &str) -> &str {
        // The form for `category`, else `other`, else the first.
        fn choose<'a>(forms: impl Iterator<Item = (&'a str, &'a str)>, category: &str) -> &'a str {
            let mut found = None;
            for (c, text) in forms {
                if c == category {
                    return text;
                }
                if c == "other" || found.is_none() {
                    found = Some(text);
                }
            }
            found.unwrap_or_default()
        }
        match &self.0.texts[label as usize] {
            Some(Override::Text(text)) => text,
            Some(Override::Forms(forms)) => choose(
                forms.iter().map(|(c, t)| (c.as_str(), t.as_str())),
                category,
            ),
            None => {
                let text = english(label);
                match forms(text) {
                    Some(forms) => choose(forms, category),
                    None => text,
                }
            }
        }
    }

    /// A number written the locale's way (`1,234`, `1 234`, `١٬٢٣٤`).
    pub fn number(&self, n: f64) -> String {
        format_number(self.locale(), n, &[])
    }

    /// "in 3 seconds", the locale's way (`Intl.RelativeTimeFormat`).
    pub fn in_seconds(&self, seconds: u64) -> String {
        relative_seconds(self.locale(), seconds)
    }

    /// A length of time: whole minutes as minutes, else seconds ("5
    /// minutes", "90 seconds"), the locale's way.
    pub fn duration(&self, ms: u64) -> String {
        let seconds = (ms / 1000).max(1);
        let (value, unit) = if seconds % 60 == 0 {
            (seconds / 60, "minute")
        } else {
            (seconds, "second")
        };
        format_number(
            self.locale(),
            value as f64,
            &[("style", "unit"), ("unit", unit), ("unitDisplay", "long")],
        )
    }

    /// A file size for people: `512 bytes`, `12 kB`, `3.4 MB` (1 kB = 1024
    /// bytes, as the attachment limits count), the locale's way.
    pub fn file_size(&self, bytes: u64) -> String {
        const KB: f64 = 1024.0;
        let b = bytes as f64;
        let (value, unit, display, digits) = if b < KB {
            (b, "byte", "long", "0")
        } else if b < KB * KB {
            ((b / KB).max(1.0).round(), "kilobyte", "short", "0")
        } else {
            let mb = b / (KB * KB);
            let digits = if mb < 10.0 && mb.fract() > 0.05 {
                "1"
            } else {
                "0"
            };
            (mb, "megabyte", "short", digits)
        };
        format_number(
            self.locale(),
            value,
            &[
                ("style", "unit"),
                ("unit", unit),
                ("unitDisplay", display),
                ("maximumFractionDigits", digits),
            ],
        )
    }

    /// A message's time: the time only for today, date and time before;
    /// and the full date and time (for `title`).
    pub fn times(&self, ms: u64) -> (String, String) {
        times(self.locale(), ms)
    }

    /// [`Words::times`], handed to `show` when the browser is next idle (in
    /// the browser; at once elsewhere). The page's first `Intl` formatter
    /// loads the browser's locale data, 60-100 ms under 4x CPU throttling:
    /// done in the visitor's first send, it doubled that interaction's task,
    /// and in a plain next task it held the send's request back. Now the
    /// bubble is drawn and the request sent first, and the time follows.
    pub fn times_later(&self, ms: u64, show: impl FnOnce(String, String) + 'static) {
        #[cfg(target_arch = "wasm32")]
        {
            use leptos::prelude::{request_idle_callback_with_handle, set_timeout};
            let pending = std::cell::Cell::new(Some((self.locale().to_string(), show)));
            let run = std::rc::Rc::new(move || {
                if let Some((locale, show)) = pending.take() {
                    let (short, full) = times(&locale, ms);
                    show(short, full);
                }
            });
            let idle = run.clone();
            // (No idle callbacks in Safari.)
            if request_idle_callback_with_handle(move || idle()).is_err() {
                set_timeout(move || run(), std::time::Duration::ZERO);
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let (short, full) = self.times(ms);
            show(short, full);
        }
    }
}

/// Fills `{name}` placeholders from `args` in one pass: a value is never
/// read again, so text from a file name or a server (`{n}`) stays as it is.
/// An unknown `{name}` is kept as written.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_end = after.find('}');
        match name_end.and_then(|end| {
            let name = &after[..end];
            args.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (end, *v))
        }) {
            Some((end, value)) => {
                out.push_str(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether `tag` is a well-formed language tag, in the canonical form the
/// browser gives it (`Intl.getCanonicalLocales`; `en_us` is not a tag,
/// `EN-us` becomes `en-US`). Off the browser: a syntax check only.
pub fn canonical_locale(tag: &str) -> Option<String> {
    let tag = tag.trim();
    #[cfg(target_arch = "wasm32")]
    {
        #[wasm_bindgen::prelude::wasm_bindgen]
        extern "C" {
            // `catch`: a malformed tag is a RangeError, not a crash.
            #[wasm_bindgen(catch, js_namespace = Intl, js_name = getCanonicalLocales)]
            fn get_canonical_locales(tag: &str) -> Result<js_sys::Array, wasm_bindgen::JsValue>;
        }
        get_canonical_locales(tag).ok()?.get(0).as_string()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let mut subtags = tag.split('-');
        let language = subtags.next().unwrap_or_default();
        let ok = (2..=8).contains(&language.len())
            && language.chars().all(|c| c.is_ascii_alphabetic())
            && subtags.all(|s| {
                (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric())
            });
        ok.then(|| tag.to_string())
    }
}

#[cfg(target_arch = "wasm32")]
fn options(pairs: &[(&str, &str)]) -> js_sys::Object {
    let object = js_sys::Object::new();
    for (key, value) in pairs {
        // Intl reads "1" as 1 for its numeric options.
        let _ = js_sys::Reflect::set(&object, &(*key).into(), &(*value).into());
    }
    object
}

#[cfg(target_arch = "wasm32")]
fn locales(locale: &str) -> js_sys::Array {
    js_sys::Array::of1(&locale.into())
}

#[cfg(target_arch = "wasm32")]
fn plural_category(locale: &str, n: f64) -> String {
    js_sys::Intl::PluralRules::new(&locales(locale), &js_sys::Object::new())
        .select(n)
        .into()
}

#[cfg(not(target_arch = "wasm32"))]
fn plural_category(_locale: &str, n: f64) -> String {
    if n == 1.0 { "one" } else { "other" }.into()
}

#[cfg(target_arch = "wasm32")]
fn format_number(locale: &str, n: f64, pairs: &[(&str, &str)]) -> String {
    js_sys::Intl::NumberFormat::new(&locales(locale), &options(pairs))
        .format()
        .call1(&wasm_bindgen::JsValue::UNDEFINED, &n.into())
        .ok()
        .and_then(|v| v.as_string())
        // No float printing in the wasm (about 15 KB): a whole number only.
        .unwrap_or_else(|| (n as u64).to_string())
}

/// Off the browser (native tests): English, as `Intl` writes it.
#[cfg(not(target_arch = "wasm32"))]
fn format_number(_locale: &str, n: f64, pairs: &[(&str, &str)]) -> String {
    let get = |k: &str| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    let digits: usize = get("maximumFractionDigits").map_or(0, |d| d.parse().unwrap_or(0));
    let number = format!("{n:.digits$}");
    match (get("unit"), get("unitDisplay")) {
        (Some("byte"), _) => format!("{number} byte{}", if n == 1.0 { "" } else { "s" }),
        (Some("kilobyte"), _) => format!("{number} kB"),
        (Some("megabyte"), _) => format!("{number} MB"),
        (Some(unit), _) => format!("{number} {unit}{}", if n == 1.0 { "" } else { "s" }),
        (None, _) => number,
    }
}

#[cfg(target_arch = "wasm32")]
fn relative_seconds(locale: &str, seconds: u64) -> String {
    js_sys::Intl::RelativeTimeFormat::new(&locales(locale), &options(&[("numeric", "always")]))
        .format(seconds as f64, "second")
        .into()
}

#[cfg(not(target_arch = "wasm32"))]
fn relative_seconds(_locale: &str, seconds: u64) -> String {
    format!("in {seconds} second{}", if seconds == 1 { "" } else { "s" })
}

#[cfg(target_arch = "wasm32")]
fn times(locale: &str, ms: u64) -> (String, String) {
    use js_sys::{Date, Intl};
    let date = Date::new(&(ms as f64).into());
    let now = Date::new_0();
    let today = date.get_full_year() == now.get_full_year()
        && date.get_month() == now.get_month()
        && date.get_date() == now.get_date();
    // A formatter is made once per language and style: making one costs
    // far more than formatting (two per message, on the send's task).
    const STYLES: [&[(&str, &str)]; 3] = [
        &[("timeStyle", "short")],
        &[("dateStyle", "medium"), ("timeStyle", "short")],
        &[("dateStyle", "full"), ("timeStyle", "long")],
    ];
    thread_local! {
        static FORMATS: std::cell::RefCell<Vec<(String, usize, js_sys::Function)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let format = |style: usize| -> String {
        let format = FORMATS.with(|made| {
            let mut made = made.borrow_mut();
            if let Some((_, _, f)) = made.iter().find(|(l, s, _)| l == locale && *s == style) {
                return f.clone();
            }
            let f = Intl::DateTimeFormat::new(&locales(locale), &options(STYLES[style])).format();
            made.push((locale.to_string(), style, f.clone()));
            f
        });
        format
            .call1(&wasm_bindgen::JsValue::UNDEFINED, &date)
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    (format(if today { 0 } else { 1 }), format(2))
}

#[cfg(not(target_arch = "wasm32"))]
fn times(_locale: &str, ms: u64) -> (String, String) {
    (ms.to_string(), ms.to_string())
}

// Native only: the locale files are read from the repository.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
