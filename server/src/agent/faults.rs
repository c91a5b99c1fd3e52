//! Scripted faults, so tests (and people with curl) can make the local agent
//! misbehave the way the real service does.
//!
//! A fault is asked for in the message itself, `/fault KEY=VALUE ... -- rest`
//! (the rest is then answered as usual), or in an `x-lyzr-fault: KEY=VALUE ...`
//! request header. Keys:
//!
//! | key | effect |
//! |---|---|
//! | `status=N` | answer with status N (200..599 but not the body-less 204, 205, 304) and a `{"detail"}` body |
//! | `detail="..."` | that body's reason (default: one per status) |
//! | `retry-after=S` | add a `Retry-After: S` header |
//! | `latency=MS` | wait before answering |
//! | `times=N` | the fault applies to the first N such requests of the session only |
//! | `stream-status=N` | like `status`, on the stream call only (test the chat fallback) |
//! | `drip=MS` | stream: wait between tokens |
//! | `drop-after=N` | stream: cut the connection after N tokens |
//! | `no-done` | stream: end without `[DONE]` |
//! | `error-after=N` | stream: send `[ERROR] <detail>` after N tokens |
//! | `encoding=json\|entities\|unicode` | stream: how tokens are escaped |
//! | `chunk=N` | stream: write the body in N-byte pieces (splits characters) |
//! | `stream-type=sse\|json\|text` | stream: label the body `text/event-stream` (default), `application/json` (what Lyzr documents) or `text/plain` |
//! | `stream-whole` | stream: answer in one piece, a chat reply's JSON (with its `stream-type` label) |
//! | `tool-call=NAME` | stream: a local tool round, `{"type": "local_tool_call", "tool_name": NAME, ...}` then `[DONE]`, no text |
//! | `events=none\|drop\|malformed`, `events-delay=MS`, `events-gap=MS` | the activity socket, see [`super::events`] |
//! | `shape=array\|wrapped` | history: a bare array (default) or `{"history": [...]}` |
//!
//! The history call (`GET`, no message) takes its fault from the header, or
//! from one scripted for its session with `POST /test/history-fault`
//! (see [`super::history`]).

/// Header carrying a fault spec.
pub const FAULT_HEADER: &str = "x-lyzr-fault";
/// Message prefix carrying a fault spec.
pub const FAULT_PREFIX: &str = "/fault ";

/// How stream tokens are escaped on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    /// A JSON string body without its quotes (what the service sends).
    #[default]
    Json,
    /// HTML entities for `<>&"'`, then JSON.
    Entities,
    /// Every non-ASCII character as `\uXXXX` (surrogate pairs beyond the BMP).
    Unicode,
}

/// How the history call wraps its entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HistoryShape {
    /// `[{role, content, created_at}, ...]`
    #[default]
    Array,
    /// `{"history": [...]}`
    Wrapped,
}

/// What the events socket does for a reply (see [`super::events`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EventsMode {
    #[default]
    Normal,
    None,
    Drop,
    Malformed,
}

/// The `Content-Type` a stream reply is labelled with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StreamType {
    #[default]
    Sse,
    Json,
    Text,
}

impl StreamType {
    pub fn content_type(self) -> &'static str {
        match self {
            StreamType::Sse => "text/event-stream; charset=utf-8",
            StreamType::Json => "application/json",
            StreamType::Text => "text/plain; charset=utf-8",
        }
    }
}

/// A parsed fault spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fault {
    pub status: Option<u16>,
    pub stream_status: Option<u16>,
    pub detail: Option<String>,
    pub retry_after: Option<String>,
    pub latency_ms: u64,
    pub times: Option<u64>,
    pub drip_ms: u64,
    pub drop_after: Option<usize>,
    pub no_done: bool,
    pub error_after: Option<usize>,
    pub encoding: Encoding,
    pub chunk: Option<usize>,
    pub shape: HistoryShape,
    pub stream_type: StreamType,
    pub stream_whole: bool,
    /// The stream is a local tool round instead of text: one
    /// `{"type": "local_tool_call", "tool_name": NAME, ...}` line, `[DONE]`.
    pub tool_call: Option<String>,
    pub events: EventsMode,
    pub events_delay_ms: u64,
    pub events_gap_ms: Option<u64>,
}

impl Fault {
    /// Reads a spec (`KEY=VALUE` words, values may be double-quoted).
    pub fn parse(spec: &str) -> Result<Fault, String> {
        let mut fault = Fault::default();
        for word in split_words(spec) {
            let (key, value) = word.split_once('=').unwrap_or((word.as_str(), ""));
            let number = |v: &str| -> Result<u64, String> {
                v.parse()
                    .map_err(|_| format!("fault `{key}` needs a number, got {v:?}"))
            };
            match key {
                "status" => fault.status = Some(status(value)?),
                "stream-status" => fault.stream_status = Some(status(value)?),
                "detail" => fault.detail = Some(value.to_string()),
                "retry-after" => fault.retry_after = Some(value.to_string()),
                "latency" => fault.latency_ms = number(value)?,
                "times" => fault.times = Some(number(value)?),
                "drip" => fault.drip_ms = number(value)?,
                "drop-after" => fault.drop_after = Some(number(value)? as usize),
                "no-done" => fault.no_done = true,
                "error-after" => fault.error_after = Some(number(value)? as usize),
                "encoding" => {
                    fault.encoding = match value {
                        "json" => Encoding::Json,
                        "entities" => Encoding::Entities,
                        "unicode" => Encoding::Unicode,
                        other => {
                            return Err(format!(
                                "fault `encoding` is json, entities or unicode, not {other:?}"
                            ))
                        }
                    }
                }
                "stream-type" => {
                    fault.stream_type = match value {
                        "sse" => StreamType::Sse,
                        "json" => StreamType::Json,
                        "text" => StreamType::Text,
                        other => {
                            return Err(format!(
                                "fault `stream-type` is sse, json or text, not {other:?}"
                            ))
                        }
                    }
                }
                "stream-whole" => fault.stream_whole = true,
                "tool-call" => fault.tool_call = Some(value.to_string()),
                "events" => {
                    fault.events = match value {
                        "normal" => EventsMode::Normal,
                        "none" => EventsMode::None,
                        "drop" => EventsMode::Drop,
                        "malformed" => EventsMode::Malformed,
                        other => {
                            return Err(format!(
                                "fault `events` is normal, none, drop or malformed, not {other:?}"
                            ))
                        }
                    }
                }
                "events-delay" => fault.events_delay_ms = number(value)?,
                "events-gap" => fault.events_gap_ms = Some(number(value)?),
                "shape" => {
                    fault.shape = match value {
                        "array" => HistoryShape::Array,
                        "wrapped" => HistoryShape::Wrapped,
                        other => {
                            return Err(format!("fault `shape` is array or wrapped, not {other:?}"))
                        }
                    }
                }
                "chunk" => fault.chunk = Some((number(value)? as usize).max(1)),
                other => return Err(format!("unknown fault `{other}`")),
            }
        }
        Ok(fault)
    }

    /// Splits `/fault SPEC -- rest` into the fault and the rest of the message.
    pub fn from_message(message: &str) -> Option<(Result<Fault, String>, String)> {
        let spec = message.strip_prefix(FAULT_PREFIX)?;
        let (spec, rest) = match spec.split_once(" -- ") {
            Some((spec, rest)) => (spec, rest.to_string()),
            None => (spec.strip_suffix(" --").unwrap_or(spec), String::new()),
        };
        Some((Fault::parse(spec), rest))
    }

    /// The error body's reason for a status.
    pub fn detail_for(&self, status: u16) -> String {
        if let Some(detail) = &self.detail {
            return detail.clone();
        }
        match status {
            400 => "Bad request (scripted fault)",
            401 => "Invalid API key (scripted fault)",
            402 => "Insufficient credits (scripted fault)",
            403 => "Forbidden (scripted fault)",
            404 => "Not Found (scripted fault)",
            422 => "Validation error (scripted fault)",
            429 => "Rate limit exceeded (scripted fault)",
            500 => "Internal server error (scripted fault)",
            502 => "Bad gateway (scripted fault)",
            503 => "Service unavailable (scripted fault)",
            504 => "Gateway timeout (scripted fault)",
            _ => "Scripted fault",
        }
        .to_string()
    }

    /// Escapes one token for a `data:` line.
    pub fn encode(&self, token: &str) -> String {
        match self.encoding {
            Encoding::Json => lyzr_chat_protocol::encode_delta(token),
            Encoding::Entities => {
                let escaped = token
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('"', "&quot;")
                    .replace('\'', "&apos;");
                lyzr_chat_protocol::encode_delta(&escaped)
            }
            Encoding::Unicode => {
                let mut out = String::new();
                for c in lyzr_chat_protocol::encode_delta(token).chars() {
                    if c.is_ascii() {
                        out.push(c);
                    } else {
                        let mut units = [0u16; 2];
                        for unit in c.encode_utf16(&mut units) {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                }
                out
            }
        }
    }
}

fn status(value: &str) -> Result<u16, String> {
    match value.parse::<u16>() {
        Ok(s @ (100..=199 | 204 | 205 | 304)) => Err(format!(
            "fault status {s} cannot be scripted: a {s} response carries no body, \
             so it could not hold the error detail (use 200..599 but not 204, 205 or 304)"
        )),
        Ok(s) if (200..=599).contains(&s) => Ok(s),
        _ => Err(format!("fault status must be 200..599, got {value:?}")),
    }
}

pub(crate) fn split_words(spec: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in spec.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_message_spec() {
        let (fault, rest) = Fault::from_message(
            r#"/fault status=429 retry-after=2 detail="slow down" times=1 -- hi there"#,
        )
        .unwrap();
        let fault = fault.unwrap();
        assert_eq!(fault.status, Some(429));
        assert_eq!(fault.retry_after.as_deref(), Some("2"));
        assert_eq!(fault.detail.as_deref(), Some("slow down"));
        assert_eq!(fault.times, Some(1));
        assert_eq!(rest, "hi there");
        assert!(Fault::from_message("hello").is_none());
    }

    #[test]
    fn stream_keys_and_errors() {
        let f = Fault::parse("drip=20 drop-after=3 no-done error-after=2 encoding=unicode chunk=3")
            .unwrap();
        assert_eq!(
            (f.drip_ms, f.drop_after, f.no_done, f.error_after, f.chunk),
            (20, Some(3), true, Some(2), Some(3))
        );
        assert!(Fault::parse("status=99").unwrap_err().contains("200..599"));
        assert!(Fault::parse("status=600").unwrap_err().contains("200..599"));
        for bodiless in ["100", "101", "199", "204", "205", "304"] {
            let reason = Fault::parse(&format!("status={bodiless}")).unwrap_err();
            assert!(
                reason.contains(&format!("fault status {bodiless} cannot be scripted")),
                "{reason}"
            );
            let reason = Fault::parse(&format!("stream-status={bodiless}")).unwrap_err();
            assert!(reason.contains("carries no body"), "{reason}");
        }
        for fine in ["200", "203", "206", "303", "305", "418", "599"] {
            assert!(Fault::parse(&format!("status={fine}")).is_ok(), "{fine}");
        }
        assert!(Fault::parse("bogus=1")
            .unwrap_err()
            .contains("unknown fault `bogus`"));
        assert!(Fault::parse("drip=x")
            .unwrap_err()
            .contains("needs a number"));
    }

    #[test]
    fn stream_labels() {
        let f = Fault::parse("stream-type=json stream-whole").unwrap();
        assert_eq!((f.stream_type, f.stream_whole), (StreamType::Json, true));
        assert_eq!(f.stream_type.content_type(), "application/json");
        assert_eq!(Fault::default().stream_type, StreamType::Sse);
        assert!(Fault::parse("stream-type=xml")
            .unwrap_err()
            .contains("sse, json or text"));
    }

    #[test]
    fn encodings() {
        let f = |e| Fault {
            encoding: e,
            ..Fault::default()
        };
        assert_eq!(f(Encoding::Json).encode("a\"b\n"), "a\\\"b\\n");
        assert_eq!(
            f(Encoding::Entities).encode("<a & 'b'>"),
            "&lt;a &amp; &apos;b&apos;&gt;"
        );
        assert_eq!(f(Encoding::Unicode).encode("é🎉"), "\\u00e9\\ud83c\\udf89");
    }
}
