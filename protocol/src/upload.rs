//! Attachments: the reply of `POST /v3/assets/upload` in Lyzr's shape, and
//! the limits a widget applies before uploading (count, size, type), with a
//! refusal that names the rule a file broke.

use crate::json::Json;
use serde::Serialize;
use serde_json::Value;

/// The multipart field carrying each file (repeated once per file).
pub const UPLOAD_FIELD: &str = "files";

/// A file the service stored: its id goes into a message's `assets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedAsset {
    pub asset_id: String,
    pub file_name: String,
    /// Lyzr's coarse kind (`pdf`, `image`, ...), when it sent one.
    pub kind: Option<String>,
    pub file_size: Option<u64>,
    pub url: Option<String>,
    pub mime_type: Option<String>,
}

/// What happened to one file of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    Uploaded(UploadedAsset),
    /// The service refused or failed this file; `error` is its reason, if
    /// it gave one (the widget words the failure itself otherwise).
    Failed {
        file_name: String,
        error: Option<String>,
    },
}

impl FileOutcome {
    /// The file's name as the service reported it.
    pub fn file_name(&self) -> &str {
        match self {
            FileOutcome::Uploaded(asset) => &asset.file_name,
            FileOutcome::Failed { file_name, .. } => file_name,
        }
    }
}

/// One entry of `results[]` as it is on the wire.
#[derive(Debug, Clone, Default, Serialize)]
struct WireResult {
    success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    asset_id: Option<String>,
    #[serde(default)]
    file_name: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl WireResult {
    /// One entry of `results[]`: `success` is required; the other fields,
    /// when present and not null, must have their types.
    fn read(item: &Json) -> Result<WireResult, String> {
        let Json::Object(o) = item else {
            return Err(format!("a result is {}, not an object", item.type_name()));
        };
        let text = |key: &str| match o.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("`{key}` is {}, not a string", other.type_name())),
        };
        let success = o
            .get("success")
            .and_then(Json::as_bool)
            .ok_or("a result has no boolean `success`")?;
        let file_size = match o.get("file_size") {
            None | Some(Json::Null) => None,
            Some(n) => Some(n.as_u64().ok_or("`file_size` is not a whole number")?),
        };
        Ok(WireResult {
            success,
            asset_id: text("asset_id")?,
            file_name: text("file_name")?.unwrap_or_default(),
            kind: text("type")?,
            file_size,
            url: text("url")?,
            mime_type: text("mime_type")?,
            error: text("error")?,
        })
    }
}

impl From<&FileOutcome> for WireResult {
    fn from(outcome: &FileOutcome) -> Self {
        match outcome.clone() {
            FileOutcome::Uploaded(a) => WireResult {
                success: true,
                asset_id: Some(a.asset_id),
                file_name: a.file_name,
                kind: a.kind,
                file_size: a.file_size,
                url: a.url,
                mime_type: a.mime_type,
                error: None,
            },
            FileOutcome::Failed { file_name, error } => WireResult {
                success: false,
                file_name,
                error,
                ..WireResult::default()
            },
        }
    }
}

impl From<WireResult> for FileOutcome {
    fn from(w: WireResult) -> Self {
        match (w.success, w.asset_id) {
            (true, Some(asset_id)) if !asset_id.trim().is_empty() => {
                FileOutcome::Uploaded(UploadedAsset {
                    asset_id,
                    file_name: w.file_name,
                    kind: w.kind,
                    file_size: w.file_size,
                    url: w.url,
                    mime_type: w.mime_type,
                })
            }
            // Success without an id cannot be sent: it is a failure.
            (true, _) => FileOutcome::Failed {
                file_name: w.file_name,
                error: None,
            },
            (false, _) => FileOutcome::Failed {
                file_name: w.file_name,
                error: w.error,
            },
        }
    }
}

/// The reply of `POST /v3/assets/upload`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadReply {
    /// One outcome per file, in the order the files were sent.
    pub results: Vec<FileOutcome>,
}

impl UploadReply {
    /// Files that failed.
    pub fn failed_uploads(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r, FileOutcome::Failed { .. }))
            .count()
    }

    /// The reply body, with the counts Lyzr adds after `results`.
    pub fn to_json(&self) -> Value {
        let results: Vec<WireResult> = self.results.iter().map(WireResult::from).collect();
        serde_json::json!({
            "results": results,
            "total_files": self.results.len(),
            "successful_uploads": self.results.len() - self.failed_uploads(),
            "failed_uploads": self.failed_uploads(),
        })
    }

    /// Reads a reply body. The counts are not trusted (they are derived
    /// from `results`); a body without `results` is an error.
    pub fn parse(body: &str) -> Result<UploadReply, String> {
        let not_documented =
            |why: String| format!("the upload reply is not the documented JSON: {why}");
        let value = Json::parse(body).map_err(|e| not_documented(e.to_string()))?;
        let items = value
            .get("results")
            .and_then(Json::as_array)
            .ok_or_else(|| not_documented("no `results` array".into()))?;
        let results = items
            .iter()
            .map(|item| WireResult::read(item).map(FileOutcome::from))
            .collect::<Result<_, _>>()
            .map_err(not_documented)?;
        Ok(UploadReply { results })
    }

    /// The outcome for the `index`-th file sent, named `file_name`: the
    /// entry at that position when it names that file, else the first
    /// entry with that name (a service may reorder), else none.
    pub fn outcome_for(&self, index: usize, file_name: &str) -> Option<&FileOutcome> {
        self.results
            .get(index)
            .filter(|r| r.file_name() == file_name)
            .or_else(|| self.results.iter().find(|r| r.file_name() == file_name))
    }
}

/// Default most files per message (Lyzr's UI).
pub const DEFAULT_MAX_FILES: usize = 10;
/// Default largest file, 10 MB (Lyzr's UI).
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// Default accepted types, as `<input accept>` entries: extensions.
pub const DEFAULT_ACCEPT: &[&str] = &[
    ".pdf", ".docx", ".pptx", ".xlsx", ".xls", ".csv", ".txt", ".jpg", ".jpeg", ".png", ".webp",
];

/// What may be attached to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentLimits {
    pub max_files: usize,
    /// Largest size of one file, in bytes.
    pub max_bytes: u64,
    /// `<input accept>` entries: `.ext`, `type/subtype` or `type/*`.
    pub accept: Vec<String>,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        Self {
            max_files: DEFAULT_MAX_FILES,
            max_bytes: DEFAULT_MAX_BYTES,
            accept: DEFAULT_ACCEPT.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// The rule a refused file broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Its type is not among `accept`.
    Type,
    /// It is larger than `max_bytes`.
    TooBig,
    /// The message already has `max_files` files.
    TooMany,
    /// It has no bytes (nothing to send).
    Empty,
}

/// A file that may not be attached, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub file_name: String,
    pub rule: Rule,
}

/// A file offered for attaching, as the browser describes it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub name: &'a str,
    /// The browser's MIME type (may be empty).
    pub mime: &'a str,
    pub size: u64,
}

impl AttachmentLimits {
    /// Whether `name`/`mime` matches an `accept` entry (case-insensitive;
    /// an extension matches the end of the name, a MIME type the type,
    /// `type/*` any subtype).
    pub fn accepts_type(&self, name: &str, mime: &str) -> bool {
        let name = name.to_ascii_lowercase();
        let mime = mime.trim().to_ascii_lowercase();
        self.accept.iter().any(|entry| {
            let entry = entry.trim().to_ascii_lowercase();
            if entry.starts_with('.') {
                name.len() > entry.len() && name.ends_with(&entry)
            } else if let Some(major) = entry.strip_suffix("/*") {
                mime.split_once('/').is_some_and(|(m, _)| m == major)
            } else {
                !mime.is_empty() && mime == entry
            }
        })
    }

    /// Checks files offered together, given `already` attached: the ones
    /// that fit, and a refusal for each that does not. Type and size are
    /// judged first, so a refused file never takes a place in the count.
    pub fn admit<'a>(
        &self,
        already: usize,
        offered: &[Candidate<'a>],
    ) -> (Vec<usize>, Vec<Refusal>) {
        let mut admitted = Vec::new();
        let mut refused = Vec::new();
        for (i, file) in offered.iter().enumerate() {
            let rule = if !self.accepts_type(file.name, file.mime) {
                Some(Rule::Type)
            } else if file.size > self.max_bytes {
                Some(Rule::TooBig)
            } else if file.size == 0 {
                Some(Rule::Empty)
            } else if already + admitted.len() >= self.max_files {
                Some(Rule::TooMany)
            } else {
                None
            };
            match rule {
                Some(rule) => refused.push(Refusal {
                    file_name: file.name.to_string(),
                    rule,
                }),
                None => admitted.push(i),
            }
        }
        (admitted, refused)
    }

    /// The accepted types for people: `PDF, DOCX, …, image/*`.
    pub fn allowed_label(&self) -> String {
        self.accept
            .iter()
            .map(|e| match e.strip_prefix('.') {
                Some(ext) => ext.to_ascii_uppercase(),
                None => e.to_ascii_lowercase(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The value of the file input's `accept` attribute.
    pub fn input_accept(&self) -> String {
        self.accept.join(",")
    }

    /// Reads the `attachments` option: `false` (no attachments: `None`),
    /// `true` (the defaults), or an object with any of `maxFiles`,
    /// `maxBytes`, `accept`. Every bad field is reported, naming it, and
    /// replaced by its default.
    pub fn from_option(value: &Json) -> (Option<AttachmentLimits>, Vec<String>) {
        let mut limits = AttachmentLimits::default();
        let mut problems = Vec::new();
        let fields = match value {
            Json::Bool(false) => return (None, problems),
            Json::Bool(true) | Json::Null => return (Some(limits), problems),
            Json::Object(fields) => fields,
            other => {
                problems.push(format!(
                    "option `attachments` must be false, true or an object \
                     {{maxFiles, maxBytes, accept}}, not {}",
                    other.type_name()
                ));
                return (Some(limits), problems);
            }
        };
        for key in fields.keys() {
            if !["maxFiles", "maxBytes", "accept"].contains(&key.as_str()) {
                problems.push(format!(
                    "option `attachments.{key}` is unknown; known: maxFiles, maxBytes, accept"
                ));
            }
        }
        let whole = |key: &str, max: u64, problems: &mut Vec<String>| -> Option<u64> {
            let value = fields.get(key).filter(|v| !v.is_null())?;
            match value.as_u64() {
                Some(n) if (1..=max).contains(&n) => Some(n),
                _ => {
                    problems.push(format!(
                        "option `attachments.{key}` must be a whole number from 1 to {max}, not {value}"
                    ));
                    None
                }
            }
        };
        if let Some(n) = whole("maxFiles", 100, &mut problems) {
            limits.max_files = n as usize;
        }
        if let Some(n) = whole("maxBytes", 1 << 40, &mut problems) {
            limits.max_bytes = n;
        }
        match fields.get("accept") {
            None | Some(Json::Null) => {}
            Some(Json::Array(items))
                if !items.is_empty()
                    && items.iter().all(|i| i.as_str().is_some_and(valid_accept)) =>
            {
                limits.accept = items
                    .iter()
                    .filter_map(|i| i.as_str().map(|s| s.trim().to_string()))
                    .collect();
            }
            Some(other) => problems.push(format!(
                "option `attachments.accept` must be a non-empty array of \".ext\", \
                 \"type/subtype\" or \"type/*\" strings, e.g. [\".pdf\", \"image/*\"], not {other}"
            )),
        }
        (Some(limits), problems)
    }
}

fn valid_accept(entry: &str) -> bool {
    let entry = entry.trim();
    let word = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    };
    match entry.strip_prefix('.') {
        Some(ext) => word(ext),
        None => entry
            .split_once('/')
            .is_some_and(|(t, s)| word(t) && (s == "*" || word(s))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A `json!` value as the widget's own JSON type.
    fn j(value: Value) -> Json {
        serde_json::from_value(value).unwrap()
    }

    fn file<'a>(name: &'a str, mime: &'a str, size: u64) -> Candidate<'a> {
        Candidate { name, mime, size }
    }

    #[test]
    fn reply_round_trips_in_lyzrs_shape() {
        let reply = UploadReply {
            results: vec![
                FileOutcome::Uploaded(UploadedAsset {
                    asset_id: "as-1".into(),
                    file_name: "a.pdf".into(),
                    kind: Some("pdf".into()),
                    file_size: Some(12),
                    url: Some("http://x/a.pdf".into()),
                    mime_type: Some("application/pdf".into()),
                }),
                FileOutcome::Failed {
                    file_name: "b.png".into(),
                    error: Some("virus found".into()),
                },
            ],
        };
        let body = reply.to_json();
        assert_eq!(
            body,
            json!({
                "results": [
                    {"success": true, "asset_id": "as-1", "file_name": "a.pdf", "type": "pdf",
                     "file_size": 12, "url": "http://x/a.pdf", "mime_type": "application/pdf"},
                    {"success": false, "file_name": "b.png", "error": "virus found"}
                ],
                "total_files": 2, "successful_uploads": 1, "failed_uploads": 1
            })
        );
        assert_eq!(UploadReply::parse(&body.to_string()).unwrap(), reply);
    }

    #[test]
    fn odd_replies() {
        // Success without an id cannot be sent: it is a failure.
        let r =
            UploadReply::parse(r#"{"results":[{"success":true,"file_name":"a.pdf"}]}"#).unwrap();
        assert!(matches!(
            &r.results[0],
            FileOutcome::Failed { error: None, .. }
        ));
        let r =
            UploadReply::parse(r#"{"results":[{"success":false,"file_name":"a.pdf"}]}"#).unwrap();
        assert_eq!(
            r.results[0],
            FileOutcome::Failed {
                file_name: "a.pdf".into(),
                error: None
            }
        );
        assert!(UploadReply::parse(r#"{"detail":"nope"}"#)
            .unwrap_err()
            .contains("not the documented JSON"));
        assert!(UploadReply::parse("<html>").is_err());
    }

    #[test]
    fn outcomes_are_matched_by_position_then_name() {
        let reply = UploadReply::parse(
            r#"{"results":[{"success":true,"asset_id":"2","file_name":"b.txt"},
                           {"success":true,"asset_id":"1","file_name":"a.txt"}]}"#,
        )
        .unwrap();
        let id = |i, n| match reply.outcome_for(i, n) {
            Some(FileOutcome::Uploaded(a)) => Some(a.asset_id.clone()),
            _ => None,
        };
        assert_eq!(id(0, "a.txt").as_deref(), Some("1"));
        assert_eq!(id(1, "b.txt").as_deref(), Some("2"));
        assert_eq!(id(0, "c.txt"), None);
    }

    #[test]
    fn default_limits_follow_lyzrs_ui() {
        let limits = AttachmentLimits::default();
        assert_eq!((limits.max_files, limits.max_bytes), (10, 10_485_760));
        for name in [
            "a.pdf", "b.DOCX", "c.pptx", "d.xlsx", "e.xls", "f.csv", "g.txt", "h.jpg", "i.jpeg",
            "j.png", "k.webp",
        ] {
            assert!(limits.accepts_type(name, ""), "{name}");
        }
        for name in ["report.exe", "pdf", ".pdf", "a.pdf.zip", "x.gif", "noext"] {
            assert!(
                !limits.accepts_type(name, "application/octet-stream"),
                "{name}"
            );
        }
        assert_eq!(
            limits.allowed_label(),
            "PDF, DOCX, PPTX, XLSX, XLS, CSV, TXT, JPG, JPEG, PNG, WEBP"
        );
        assert_eq!(limits.input_accept(), DEFAULT_ACCEPT.join(","));
    }

    #[test]
    fn mime_entries_match_types() {
        let limits = AttachmentLimits {
            accept: vec!["image/*".into(), "application/pdf".into()],
            ..AttachmentLimits::default()
        };
        assert!(limits.accepts_type("paste", "image/png"));
        assert!(limits.accepts_type("x", "Application/PDF"));
        assert!(!limits.accepts_type("x.pdf", ""));
        assert!(!limits.accepts_type("x", "text/plain"));
        assert_eq!(limits.allowed_label(), "image/*, application/pdf");
    }

    #[test]
    fn admit_names_the_rule_each_refused_file_broke() {
        let limits = AttachmentLimits {
            max_files: 3,
            max_bytes: 100,
            ..AttachmentLimits::default()
        };
        let offered = [
            file("report.exe", "application/x-msdownload", 10),
            file("big.pdf", "application/pdf", 101),
            file("ok1.pdf", "application/pdf", 100),
            file("empty.txt", "text/plain", 0),
            file("ok2.png", "image/png", 1),
            file("late.csv", "text/csv", 5),
        ];
        let (admitted, refused) = limits.admit(1, &offered);
        assert_eq!(admitted, vec![2, 4]);
        let rules: Vec<(&str, Rule)> = refused
            .iter()
            .map(|r| (r.file_name.as_str(), r.rule.clone()))
            .collect();
        assert_eq!(
            rules,
            vec![
                ("report.exe", Rule::Type),
                ("big.pdf", Rule::TooBig),
                ("empty.txt", Rule::Empty),
                ("late.csv", Rule::TooMany),
            ]
        );
        // Already full: everything valid is refused for the count.
        let (admitted, refused) = limits.admit(3, &offered[2..3]);
        assert!(admitted.is_empty());
        assert_eq!(refused[0].rule, Rule::TooMany);
    }

    #[test]
    fn option_values() {
        assert_eq!(
            AttachmentLimits::from_option(&j(json!(false))),
            (None, vec![])
        );
        assert_eq!(
            AttachmentLimits::from_option(&j(json!(true))),
            (Some(AttachmentLimits::default()), vec![])
        );
        let (limits, problems) = AttachmentLimits::from_option(&j(
            json!({"maxFiles": 2, "maxBytes": 5000, "accept": [".pdf", "image/*"]}),
        ));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            limits,
            Some(AttachmentLimits {
                max_files: 2,
                max_bytes: 5000,
                accept: vec![".pdf".into(), "image/*".into()]
            })
        );
    }

    #[test]
    fn bad_option_fields_are_named_and_defaulted() {
        let (limits, problems) = AttachmentLimits::from_option(&j(
            json!({"maxFiles": 0, "maxBytes": "big", "accept": ["pdf"], "colour": 1}),
        ));
        assert_eq!(limits, Some(AttachmentLimits::default()));
        let all = problems.join("\n");
        for field in [
            "`attachments.maxFiles`",
            "`attachments.maxBytes`",
            "`attachments.accept`",
            "`attachments.colour` is unknown",
        ] {
            assert!(all.contains(field), "{field} in {all}");
        }
        let (limits, problems) = AttachmentLimits::from_option(&j(json!("yes")));
        assert_eq!(limits, Some(AttachmentLimits::default()));
        assert!(problems[0].contains("not a string"), "{problems:?}");
        assert!(!AttachmentLimits::from_option(&j(json!({"accept": []})))
            .1
            .is_empty());
    }
}
