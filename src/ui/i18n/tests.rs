//! Native checks of the words: filling placeholders, choosing forms, and
//! that every locale file has exactly the English keys, forms where English
//! has forms, and the same placeholders.

use super::*;

#[test]
fn fill_replaces_known_names_once_and_keeps_the_rest() {
    assert_eq!(fill("Remove {name}", &[("name", "a.pdf")]), "Remove a.pdf");
    // A value is not read again: a file called "{n}" stays "{n}".
    assert_eq!(
        fill("{name}: at most {n} files", &[("name", "{n}"), ("n", "3")]),
        "{n}: at most 3 files"
    );
    assert_eq!(fill("{unknown} {", &[("n", "3")]), "{unknown} {");
    assert_eq!(fill("", &[]), "");
    assert_eq!(fill("ü{n}ü", &[("n", "é")]), "üéü");
}

#[test]
fn labels_round_trip_through_their_keys() {
    assert_eq!(ALL.len(), keys().count());
    for (i, label) in ALL.iter().enumerate() {
        assert_eq!(*label as usize, i);
        assert_eq!(Label::from_key(label.key()), Some(*label));
    }
    assert_eq!(Label::from_key("nope"), None);
    assert!(Label::UnreadLabel.has_forms() && !Label::Send.has_forms());
}

#[test]
fn directions_follow_the_language() {
    for rtl in ["ar", "ar-EG", "he", "he-IL", "fa", "ur-PK"] {
        assert_eq!(Dir::of_locale(rtl), Dir::Rtl, "{rtl}");
    }
    for ltr in ["en", "fr-CA", "ja", "hi", "arn", "zh-Hant"] {
        assert_eq!(Dir::of_locale(ltr), Dir::Ltr, "{ltr}");
    }
}

#[test]
fn well_formed_tags_only() {
    for ok in ["en", "fr-CA", "zh-Hant-TW", "pt-BR"] {
        assert!(canonical_locale(ok).is_some(), "{ok}");
    }
    for bad in [
        "",
        "e",
        "en_US",
        "fr--CA",
        "français",
        "1en",
        "en-toolongsubtag",
    ] {
        assert!(canonical_locale(bad).is_none(), "{bad}");
    }
}

#[test]
fn a_forms_label_given_one_text_uses_it_for_every_count() {
    let w = Words::new(
        "ja".into(),
        Dir::Ltr,
        [(Label::UnreadLabel, Override::Text("未読 {n} 件".into()))],
    );
    assert_eq!(w.count(Label::UnreadLabel, 1, &[]), "未読 1 件");
    assert_eq!(w.count(Label::UnreadLabel, 7, &[]), "未読 7 件");
}

#[test]
fn sizes_and_durations_for_people() {
    let w = Words::default();
    assert_eq!(w.file_size(0), "0 bytes");
    assert_eq!(w.file_size(1023), "1023 bytes");
    assert_eq!(w.file_size(1024), "1 kB");
    assert_eq!(w.file_size(350_000), "342 kB");
    assert_eq!(w.file_size(10 * 1024 * 1024), "10 MB");
    assert_eq!(w.file_size(3_565_158), "3.4 MB");
    assert_eq!(w.duration(300_000), "5 minutes");
    assert_eq!(w.duration(90_000), "90 seconds");
}

// ---- the locale files ----

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn locales_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("locales")
}

/// `{name}`s in a text.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(end) = rest.find('}') {
            let name = &rest[..end];
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                out.insert(name.to_string());
            }
        }
    }
    out
}

/// A label's English as `(category, text)`: category "" for one text.
fn english_texts(label: usize) -> Vec<(&'static str, &'static str)> {
    let text = english(ALL[label]);
    match forms(text) {
        None => vec![("", text)],
        Some(forms) => forms.collect(),
    }
}

/// `locales/en.json`: the English table, for contributors to copy.
fn english_json() -> String {
    let mut out = String::from("{\n");
    for (i, key) in keys().enumerate() {
        let value = match forms(english(ALL[i])) {
            None => serde_json::to_string(english(ALL[i])).unwrap(),
            Some(forms) => {
                let parts: Vec<String> = forms
                    .map(|(c, t)| format!("\"{c}\": {}", serde_json::to_string(t).unwrap()))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
        };
        let comma = if i + 1 == ALL.len() { "" } else { "," };
        out.push_str(&format!("  \"{key}\": {value}{comma}\n"));
    }
    out.push_str("}\n");
    out
}

#[test]
fn en_json_is_the_english_table() {
    let path = locales_dir().join("en.json");
    let expected = english_json();
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    if found != expected && std::env::var_os("LYZR_CHAT_BLESS").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    assert_eq!(
        found, expected,
        "locales/en.json drifted from src/ui/i18n/en.rs; rerun with LYZR_CHAT_BLESS=1"
    );
}

const CATEGORIES: &[&str] = &["zero", "one", "two", "few", "many", "other"];

/// The languages the issue promises, at least.
const PROMISED: &[&str] = &[
    "en", "es", "fr", "de", "pt", "it", "nl", "ja", "zh", "hi", "ar", "he",
];

/// What is wrong with the locale file `lang.json` whose text is `text`.
fn check_locale(lang: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let json: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{lang}.json is not JSON: {e}"));
    let object = json.as_object().expect("an object of key: text");
    let found: BTreeSet<&str> = object.keys().map(String::as_str).collect();
    let english: BTreeSet<&str> = keys().collect();
    for missing in english.difference(&found) {
        problems.push(format!("{lang}.json: missing `{missing}`"));
    }
    for extra in found.difference(&english) {
        problems.push(format!("{lang}.json: unknown key `{extra}`"));
    }
    for (i, key) in keys().enumerate() {
        let Some(value) = object.get(key) else {
            continue;
        };
        let wanted: BTreeSet<String> = english_texts(i)
            .iter()
            .flat_map(|(_, t)| placeholders(t))
            .collect();
        let texts: Vec<(String, String)> = match (ALL[i].has_forms(), value) {
            (false, Value::String(s)) => vec![(String::new(), s.clone())],
            (true, Value::Object(forms)) => {
                if !forms.contains_key("other") {
                    problems.push(format!("{lang}.json: `{key}` needs an `other` form"));
                }
                forms
                    .iter()
                    .map(|(c, t)| (c.clone(), t.as_str().unwrap_or_default().to_string()))
                    .collect()
            }
            _ => {
                problems.push(format!(
                    "{lang}.json: `{key}` must be {}",
                    if Label::from_key(key).unwrap().has_forms() {
                        "an object of plural forms ({\"one\": …, \"other\": …})"
                    } else {
                        "a string"
                    }
                ));
                continue;
            }
        };
        for (category, text) in &texts {
            if !category.is_empty() && !CATEGORIES.contains(&category.as_str()) {
                problems.push(format!(
                    "{lang}.json: `{key}` has form `{category}`; forms are {CATEGORIES:?}"
                ));
            }
            if text.trim().is_empty() {
                problems.push(format!("{lang}.json: `{key}` {category} is empty"));
            }
            let found = placeholders(text);
            // A form for one thing may say "one" in words, not {n}.
            let needed: BTreeSet<String> = wanted
                .iter()
                .filter(|p| !(p.as_str() == "n" && category != "other" && !category.is_empty()))
                .cloned()
                .collect();
            if !needed.is_subset(&found) || !found.is_subset(&wanted) {
                problems.push(format!(
                    "{lang}.json: `{key}` {category} has placeholders {found:?}; English has {wanted:?}"
                ));
            }
        }
    }
    problems
}

#[test]
fn every_locale_file_has_exactly_the_english_keys() {
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(locales_dir()).unwrap() {
        let path = entry.unwrap().path();
        let Some(lang) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
            .map(str::to_string)
        else {
            continue;
        };
        assert!(
            canonical_locale(&lang).is_some() && lang == lang.to_ascii_lowercase(),
            "{lang}.json: the file name must be a lowercase language tag"
        );
        seen.insert(lang.clone());
        let text = std::fs::read_to_string(&path).unwrap();
        problems.extend(check_locale(&lang, &text));
    }
    for lang in PROMISED {
        if !seen.contains(*lang) {
            problems.push(format!("locales/{lang}.json is missing"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_check_catches_a_missing_key_an_extra_key_and_a_lost_placeholder() {
    let english: serde_json::Map<String, Value> = serde_json::from_str(&english_json()).unwrap();
    assert_eq!(check_locale("xx", &english_json()), Vec::<String>::new());
    let mut planted = english.clone();
    planted.remove("send");
    planted.insert("sned".into(), "Send".into());
    planted.insert("remove_file".into(), "Remove it".into());
    planted.insert("unread_label".into(), "Chat".into());
    let problems = check_locale("xx", &serde_json::to_string(&planted).unwrap());
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(problems.iter().any(|p| p.contains("missing `send`")));
    assert!(problems.iter().any(|p| p.contains("unknown key `sned`")));
    assert!(problems.iter().any(|p| p.contains("`remove_file`")));
    assert!(problems
        .iter()
        .any(|p| p.contains("`unread_label` must be an object")));
}
