//! An agent's reply split into its parts while it arrives: the answer, the
//! `<think>...</think>` reasoning (never mixed into the answer) and the
//! `<artifacts>[...]</artifacts>` files, in time proportional to new text.
//!
//! As in Lyzr's UI, an artifacts block holding one JSON object is a list of
//! one. A block that is not JSON is kept apart as a [`FilesNote`], never put
//! back into the answer.

use crate::json::Json;

/// A file the agent produced, offered as a download link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub name: String,
    /// An `http:` or `https:` URL (others are dropped).
    pub url: String,
    pub format: Option<String>,
}

impl Artifact {
    /// Reads `{"name", "file_url", "format_type", ...}` (also `url`); `None`
    /// without a usable web URL.
    pub fn from_json(value: &Json) -> Option<Artifact> {
        let url = value
            .get("file_url")
            .or_else(|| value.get("url"))
            .and_then(Json::as_str)?
            .trim();
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return None;
        }
        let name = value
            .get("name")
            .or_else(|| value.get("file_name"))
            .and_then(Json::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| url.rsplit('/').next().unwrap_or("file").to_string());
        let format = value
            .get("format_type")
            .and_then(Json::as_str)
            .map(str::to_string);
        Some(Artifact {
            name,
            url: url.to_string(),
            format,
        })
    }

    /// Every artifact in a JSON array (other values are skipped); a single
    /// object is a list of one.
    pub fn list_from_json(value: &Json) -> Vec<Artifact> {
        match value {
            Json::Array(items) => items.iter().filter_map(Artifact::from_json).collect(),
            Json::Object(_) => Artifact::from_json(value).into_iter().collect(),
            _ => Vec::new(),
        }
    }
}

/// An `<artifacts>` block whose content is not JSON: the agent meant to
/// list files, and the widget says so apart from the answer (with the raw
/// text, trimmed) instead of mixing it into the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesNote {
    pub raw: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Answer,
    Thinking,
    Artifacts,
}

const THINK_OPEN: &str = "<think>";
const THINK_CLOSE: &str = "</think>";
const ARTIFACTS_OPEN: &str = "<artifacts>";
const ARTIFACTS_CLOSE: &str = "</artifacts>";

/// What one [`ReplyParts::push`] added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartsDelta {
    pub answer: String,
    pub thinking: String,
    pub artifacts: Vec<Artifact>,
    /// Artifacts blocks that were not JSON.
    pub files_notes: Vec<FilesNote>,
}

/// Splits a growing reply into answer, thinking and artifacts.
#[derive(Debug, Clone)]
pub struct ReplyParts {
    part: Part,
    /// Text that may be the start of a tag, held until the next push.
    carry: String,
    artifacts_json: String,
}

impl Default for ReplyParts {
    fn default() -> Self {
        Self {
            part: Part::Answer,
            carry: String::new(),
            artifacts_json: String::new(),
        }
    }
}

impl ReplyParts {
    pub fn new() -> Self {
        Self::default()
    }

    /// True while inside an unclosed `<think>`.
    pub fn thinking(&self) -> bool {
        self.part == Part::Thinking
    }

    /// Adds a delta of the reply.
    pub fn push(&mut self, delta: &str) -> PartsDelta {
        let mut out = PartsDelta::default();
        let mut text = std::mem::take(&mut self.carry);
        text.push_str(delta);
        let mut rest = text.as_str();
        loop {
            let tags: &[&str] = match self.part {
                Part::Answer => &[THINK_OPEN, ARTIFACTS_OPEN],
                Part::Thinking => &[THINK_CLOSE],
                Part::Artifacts => &[ARTIFACTS_CLOSE],
            };
            let found = tags
                .iter()
                .filter_map(|tag| rest.find(tag).map(|at| (at, *tag)))
                .min_by_key(|(at, _)| *at);
            match found {
                Some((at, tag)) => {
                    self.emit(&rest[..at], &mut out);
                    rest = &rest[at + tag.len()..];
                    self.switch(tag, &mut out);
                }
                None => {
                    let keep = partial_tag_suffix(rest, tags);
                    self.emit(&rest[..rest.len() - keep], &mut out);
                    self.carry = rest[rest.len() - keep..].to_string();
                    return out;
                }
            }
        }
    }

    /// Ends the reply: held text is released, and an unclosed artifacts
    /// block is read as far as it goes.
    pub fn finish(&mut self) -> PartsDelta {
        let mut out = PartsDelta::default();
        let carry = std::mem::take(&mut self.carry);
        self.emit(&carry, &mut out);
        if self.part == Part::Artifacts {
            self.switch(ARTIFACTS_CLOSE, &mut out);
        }
        out
    }

    fn emit(&mut self, text: &str, out: &mut PartsDelta) {
        match self.part {
            Part::Answer => out.answer.push_str(text),
            Part::Thinking => out.thinking.push_str(text),
            Part::Artifacts => self.artifacts_json.push_str(text),
        }
    }

    fn switch(&mut self, tag: &str, out: &mut PartsDelta) {
        self.part = match tag {
            THINK_OPEN => Part::Thinking,
            ARTIFACTS_OPEN => Part::Artifacts,
            ARTIFACTS_CLOSE => {
                let json = std::mem::take(&mut self.artifacts_json);
                match Json::parse(json.trim()) {
                    Ok(value) => out.artifacts.extend(Artifact::list_from_json(&value)),
                    // Not the documented JSON: kept apart rather than lost.
                    Err(_) if !json.trim().is_empty() => out.files_notes.push(FilesNote {
                        raw: json.trim().to_string(),
                    }),
                    Err(_) => {}
                }
                Part::Answer
            }
            _ => Part::Answer,
        };
    }
}

/// Length of the longest suffix of `text` that is a proper prefix of a tag.
fn partial_tag_suffix(text: &str, tags: &[&str]) -> usize {
    let mut best = 0;
    for tag in tags {
        for len in (1..tag.len()).rev() {
            if len > best && text.ends_with(&tag[..len]) {
                best = len;
                break;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_artifact_object_is_a_list_of_one() {
        let (answer, _, artifacts, notes) = split_all(&[
            "See <artifacts>{\"name\":\"r.csv\",\"file_url\":\"https://f.example/r.csv\",\"format_type\":\"csv\"}</artifacts>.",
        ]);
        assert_eq!(answer, "See .");
        assert!(notes.is_empty());
        assert_eq!(
            artifacts,
            [Artifact {
                name: "r.csv".into(),
                url: "https://f.example/r.csv".into(),
                format: Some("csv".into()),
            }]
        );
        assert!(Artifact::list_from_json(&Json::from("x")).is_empty());
        assert!(
            Artifact::list_from_json(&Json::parse(r#"{"name": "no url"}"#).unwrap()).is_empty()
        );
    }

    fn split(chunks: &[&str]) -> (String, String, Vec<Artifact>) {
        let (answer, thinking, artifacts, _) = split_all(chunks);
        (answer, thinking, artifacts)
    }

    fn split_all(chunks: &[&str]) -> (String, String, Vec<Artifact>, Vec<FilesNote>) {
        let mut parts = ReplyParts::new();
        let (mut answer, mut thinking, mut artifacts) = (String::new(), String::new(), Vec::new());
        let mut notes = Vec::new();
        let mut deltas: Vec<PartsDelta> = chunks.iter().map(|c| parts.push(c)).collect();
        deltas.push(parts.finish());
        for delta in deltas {
            answer.push_str(&delta.answer);
            thinking.push_str(&delta.thinking);
            artifacts.extend(delta.artifacts);
            notes.extend(delta.files_notes);
        }
        (answer, thinking, artifacts, notes)
    }

    const REPLY: &str = "<think>plan: be brief</think>The answer <b>is</b> 42.\
        <artifacts>[{\"name\":\"report.pdf\",\"file_url\":\"https://files.example.com/r.pdf\",\"format_type\":\"pdf\"},\
        {\"name\":\"evil\",\"file_url\":\"javascript:alert(1)\"}]</artifacts> Done.";

    #[test]
    fn parts_are_separated() {
        let (answer, thinking, artifacts) = split(&[REPLY]);
        assert_eq!(answer, "The answer <b>is</b> 42. Done.");
        assert_eq!(thinking, "plan: be brief");
        assert_eq!(
            artifacts,
            [Artifact {
                name: "report.pdf".into(),
                url: "https://files.example.com/r.pdf".into(),
                format: Some("pdf".into()),
            }]
        );
    }

    #[test]
    fn every_split_point_gives_the_same_parts() {
        let whole = split(&[REPLY]);
        for at in 1..REPLY.len() {
            if !REPLY.is_char_boundary(at) {
                continue;
            }
            let (a, b) = REPLY.split_at(at);
            assert_eq!(split(&[a, b]), whole, "split at {at}");
        }
        let chars: Vec<String> = REPLY.chars().map(String::from).collect();
        let refs: Vec<&str> = chars.iter().map(String::as_str).collect();
        assert_eq!(split(&refs), whole, "one character at a time");
    }

    #[test]
    fn thinking_flag_while_open() {
        let mut parts = ReplyParts::new();
        parts.push("<think>hmm");
        assert!(parts.thinking());
        parts.push("</think>ok");
        assert!(!parts.thinking());
    }

    #[test]
    fn text_resembling_a_tag_is_released_at_finish() {
        assert_eq!(split(&["a <thi"]).0, "a <thi");
        assert_eq!(split(&["x < y", " and <t", "able>"]).0, "x < y and <table>");
    }

    #[test]
    fn unparseable_artifacts_are_a_files_note_not_answer_text() {
        let (answer, _, artifacts, notes) = split_all(&["a<artifacts> not json [{ </artifacts>b"]);
        assert_eq!(answer, "ab");
        assert!(artifacts.is_empty());
        assert_eq!(
            notes,
            [FilesNote {
                raw: "not json [{".into()
            }]
        );
        // Unclosed and unparsable at the end: the same note.
        let (answer, _, _, notes) = split_all(&["a<artifacts>{\"name\": \"x\""]);
        assert_eq!(answer, "a");
        assert_eq!(notes.len(), 1);
        // An empty block is neither.
        let (_, _, artifacts, notes) = split_all(&["a<artifacts> </artifacts>"]);
        assert!(artifacts.is_empty() && notes.is_empty());
        let (answer, _, artifacts) =
            split(&["a<artifacts>[{\"name\":\"n\",\"url\":\"http://h/x\"}]"]);
        assert_eq!(answer, "a");
        assert_eq!(artifacts.len(), 1);
    }
}
