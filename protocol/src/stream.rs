//! Decoder of the stream call's body (`POST /v3/inference/stream/`): bytes in
//! any chunking -> text deltas, `[DONE]`, `[ERROR] ...`, as Lyzr's clients
//! read it.
//!
//! Rules: UTF-8 is decoded across chunk boundaries; lines end with `\n` (a
//! preceding `\r` is dropped), so `\n\n` and `\n` separators both work and a
//! partial line waits for the next chunk; only `data:` lines count; `[DONE]`
//! ends the stream; `[ERROR] <msg>` is a terminal error; a JSON object line
//! carries its text in `content` or `delta`; any other payload is a text
//! delta escaped to fit on one line, decoded as a JSON string body, else by
//! Lyzr's replacement chain, then the five HTML entities; a
//! `{"type": "local_tool_call", ...}` line is a [`StreamEvent::ToolCall`].
//!
//! Whether a reply body is a stream at all is told by its first bytes
//! ([`sniff_body`]), never by its `Content-Type`: the only documented type of
//! the stream call's 200 is `application/json`, and no Lyzr client checks it.

use crate::json::{parse_string_body, write_str, Json};

/// One thing the stream said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// More answer text.
    Text(String),
    /// `data: [DONE]`: the answer is complete.
    Done,
    /// `data: [ERROR] <message>`: the service failed mid-answer.
    Error(String),
    /// `{"type": "local_tool_call", "tool_name", "arguments", ...}`: the agent
    /// asks the client to run a tool (a local tool round: this, then
    /// `[DONE]`, with no text).
    ToolCall {
        name: String,
        /// As sent: usually an object, sometimes a JSON-encoded string.
        arguments: Json,
    },
}

/// What the first bytes of a reply body say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// Starts (after whitespace) with `data:`: read it with [`StreamDecoder`].
    Stream,
    /// Anything else: one reply, read whole (a chat reply or an error body).
    Whole,
    /// Too few bytes to tell yet (only whitespace, or a prefix of `data:`).
    Undecided,
}

/// Tells a stream from a one-piece reply by its first bytes, whatever its
/// `Content-Type`: after whitespace (and a UTF-8 byte order mark), a stream
/// starts with an event-stream line, `data:` (all Lyzr sends), or a `:`
/// comment or `event:`, `id:`, `retry:` field (a proxy's keep-alive); no
/// JSON value starts that way. Feed it everything received so far; at the
/// end of the body, treat [`BodyKind::Undecided`] as [`BodyKind::Whole`].
pub fn sniff_body(first_bytes: &[u8]) -> BodyKind {
    const MARKS: [&[u8]; 5] = [b"data:", b":", b"event:", b"id:", b"retry:"];
    let rest = first_bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(first_bytes);
    let start = rest
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    let rest = &rest[start..];
    if MARKS.iter().any(|mark| rest.starts_with(mark)) {
        BodyKind::Stream
    } else if MARKS.iter().any(|mark| mark.starts_with(rest)) {
        BodyKind::Undecided
    } else {
        BodyKind::Whole
    }
}

/// [`sniff_body`] for a complete prefix: true for a stream.
pub fn looks_like_stream(first_bytes: &[u8]) -> bool {
    sniff_body(first_bytes) == BodyKind::Stream
}

/// Turns body chunks into [`StreamEvent`]s. Feed it with [`push`](Self::push)
/// and call [`finish`](Self::finish) when the body ends.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    /// Bytes of an incomplete UTF-8 character at the end of the last chunk.
    pending_bytes: Vec<u8>,
    /// Text of an incomplete line.
    line: String,
    ended: bool,
}

impl StreamDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// True once `[DONE]` or `[ERROR]` was read; later data is ignored.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Decodes one chunk of the body.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        let mut bytes = std::mem::take(&mut self.pending_bytes);
        bytes.extend_from_slice(chunk);
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text.to_string(),
            Err(e) if e.error_len().is_none() => {
                // The chunk ends inside a character: keep its first bytes.
                let valid = e.valid_up_to();
                self.pending_bytes = bytes[valid..].to_vec();
                String::from_utf8_lossy(&bytes[..valid]).into_owned()
            }
            Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
        };
        let mut rest = text.as_str();
        while let Some(end) = rest.find('\n') {
            self.line.push_str(&rest[..end]);
            let line = std::mem::take(&mut self.line);
            self.take_line(&line, &mut events);
            rest = &rest[end + 1..];
        }
        self.line.push_str(rest);
        events
    }

    /// Ends the body: a last line without a newline still counts.
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        if !self.pending_bytes.is_empty() {
            let bytes = std::mem::take(&mut self.pending_bytes);
            self.line.push_str(&String::from_utf8_lossy(&bytes));
        }
        let line = std::mem::take(&mut self.line);
        if !line.is_empty() {
            self.take_line(&line, &mut events);
        }
        events
    }

    fn take_line(&mut self, line: &str, events: &mut Vec<StreamEvent>) {
        if self.ended {
            return;
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let Some(payload) = line.strip_prefix("data:") else {
            return;
        };
        let payload = payload.strip_prefix(' ').unwrap_or(payload);
        if let Some(event) = decode_payload(payload) {
            if matches!(event, StreamEvent::Done | StreamEvent::Error(_)) {
                self.ended = true;
            }
            events.push(event);
        }
    }
}

/// What one `data:` payload means; `None` for payloads that carry no text
/// (tool-call notices, empty lines).
pub fn decode_payload(payload: &str) -> Option<StreamEvent> {
    let trimmed = payload.trim();
    if trimmed == "[DONE]" {
        return Some(StreamEvent::Done);
    }
    if let Some(message) = trimmed.strip_prefix("[ERROR]") {
        let message = message.trim();
        // Empty when the service gave no reason (the widget words it).
        return Some(StreamEvent::Error(unescape_delta(message)));
    }
    if trimmed.starts_with('{') {
        if let Ok(Json::Object(object)) = Json::parse(trimmed) {
            for key in ["content", "delta"] {
                match object.get(key) {
                    Some(Json::String(text)) => return Some(StreamEvent::Text(text.clone())),
                    Some(Json::Object(inner)) => {
                        if let Some(Json::String(text)) = inner.get("content") {
                            return Some(StreamEvent::Text(text.clone()));
                        }
                    }
                    _ => {}
                }
            }
            if let Some(Json::String(error)) = object.get("error") {
                return Some(StreamEvent::Error(error.clone()));
            }
            if object.get("type").and_then(Json::as_str) == Some("local_tool_call") {
                let name = ["tool_name", "name"]
                    .iter()
                    .find_map(|k| object.get(k).and_then(Json::as_str))
                    .unwrap_or_default()
                    .to_string();
                let arguments = object.get("arguments").cloned().unwrap_or(Json::Null);
                return Some(StreamEvent::ToolCall { name, arguments });
            }
            // Other JSON notices carry no text.
            return None;
        }
    }
    if payload.is_empty() {
        return None;
    }
    Some(StreamEvent::Text(unescape_delta(payload)))
}

/// Decodes a one-line text delta: as the body of a JSON string when it is
/// one, else by Lyzr's replacement chain; then the HTML entities.
pub fn unescape_delta(raw: &str) -> String {
    let decoded = parse_string_body(raw).unwrap_or_else(|| replacement_chain(raw));
    decode_entities(&decoded)
}

/// `\n \" \' \& \r \\ \t \uXXXX`, left to right, other backslashes kept.
fn replacement_chain(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('"') => out.push('"'),
            Some('\'') => out.push('\''),
            Some('&') => out.push('&'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                let hex: String = chars.clone().skip(1).take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(decoded) if hex.len() == 4 => {
                        out.push(decoded);
                        for _ in 0..5 {
                            chars.next();
                        }
                        continue;
                    }
                    _ => {
                        out.push('\\');
                        continue;
                    }
                }
            }
            _ => {
                out.push('\\');
                continue;
            }
        }
        chars.next();
    }
    out
}

/// `&quot; &apos; &lt; &gt; &amp;` (once: `&amp;lt;` becomes `&lt;`).
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    const ENTITIES: [(&str, char); 5] = [
        ("&quot;", '"'),
        ("&apos;", '\''),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&amp;", '&'),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match ENTITIES.iter().find(|(name, _)| rest.starts_with(name)) {
            Some((name, c)) => {
                out.push(*c);
                rest = &rest[name.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Encodes a text delta the way the service writes it: a JSON string body
/// without its quotes, so it fits on one `data:` line.
pub fn encode_delta(text: &str) -> String {
    let mut json = String::with_capacity(text.len() + 2);
    write_str(&mut json, text);
    json[1..json.len() - 1].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(chunks: &[&[u8]]) -> Vec<StreamEvent> {
        let mut decoder = StreamDecoder::new();
        let mut events = Vec::new();
        for chunk in chunks {
            events.extend(decoder.push(chunk));
        }
        events.extend(decoder.finish());
        events
    }

    fn text_of(events: &[StreamEvent]) -> String {
        events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    const BODY: &str =
        "data: Hello\n\ndata: , w\\u00f6rld \\\"q\\\"\n\ndata: \\nnext line 🎉\n\ndata: [DONE]\n\n";

    #[test]
    fn whole_body_decodes() {
        let events = decode_all(&[BODY.as_bytes()]);
        assert_eq!(text_of(&events), "Hello, wörld \"q\"\nnext line 🎉");
        assert_eq!(events.last(), Some(&StreamEvent::Done));
    }

    #[test]
    fn every_split_point_gives_the_same_events() {
        let bytes = BODY.as_bytes();
        let whole = decode_all(&[bytes]);
        for at in 0..=bytes.len() {
            let (a, b) = bytes.split_at(at);
            let mut events = decode_all(&[a, b]);
            // Splitting never changes the text; tokens are only ever whole.
            assert_eq!(text_of(&events), text_of(&whole), "split at byte {at}");
            assert_eq!(events.pop(), Some(StreamEvent::Done), "split at byte {at}");
        }
    }

    #[test]
    fn one_byte_chunks_decode_multibyte_characters() {
        let body = "data: 日本語 ✓ émoji 👩‍💻\n\ndata: [DONE]\n\n".as_bytes();
        let chunks: Vec<&[u8]> = body.chunks(1).collect();
        let events = decode_all(&chunks);
        assert_eq!(text_of(&events), "日本語 ✓ émoji 👩‍💻");
        assert_eq!(events.last(), Some(&StreamEvent::Done));
    }

    #[test]
    fn single_newline_and_crlf_separators() {
        let events = decode_all(&[b"data: a\ndata: b\r\n\r\ndata: c\r\ndata: [DONE]\r\n"]);
        assert_eq!(
            events,
            [
                StreamEvent::Text("a".into()),
                StreamEvent::Text("b".into()),
                StreamEvent::Text("c".into()),
                StreamEvent::Done
            ]
        );
    }

    #[test]
    fn only_data_lines_count() {
        let events = decode_all(&[b": comment\nevent: message\nid: 3\nretry: 10\ndata:x\n\n"]);
        assert_eq!(events, [StreamEvent::Text("x".into())]);
    }

    #[test]
    fn done_ends_the_stream_and_later_data_is_ignored() {
        let events = decode_all(&[b"data: a\n\ndata: [DONE]\n\ndata: late\n\n"]);
        assert_eq!(events, [StreamEvent::Text("a".into()), StreamEvent::Done]);
    }

    #[test]
    fn error_line_is_terminal_with_its_message() {
        let events =
            decode_all(&[b"data: part\n\ndata: [ERROR] Model overloaded\n\ndata: more\n\n"]);
        assert_eq!(
            events,
            [
                StreamEvent::Text("part".into()),
                StreamEvent::Error("Model overloaded".into())
            ]
        );
    }

    #[test]
    fn last_line_without_newline_counts() {
        let events = decode_all(&[b"data: a\n\ndata: [DONE]"]);
        assert_eq!(events.last(), Some(&StreamEvent::Done));
    }

    #[test]
    fn json_object_lines() {
        let events = decode_all(&[br#"data: {"content": "x\ny"}
data: {"delta": "z"}
data: {"type": "other_notice", "name": "search"}
data: {"delta": {"content": "w"}}
"#]);
        assert_eq!(text_of(&events), "x\nyzw");
        assert_eq!(events.len(), 3);
    }

    #[test]
    fn local_tool_call_is_its_own_event_not_an_empty_answer() {
        let events = decode_all(&[br#"data: {"type": "local_tool_call", "tool_name": "get_weather", "arguments": {"city": "Paris"}, "messages": [{"role": "user"}]}

data: [DONE]

"#]);
        assert_eq!(
            events,
            [
                StreamEvent::ToolCall {
                    name: "get_weather".into(),
                    arguments: Json::parse(r#"{"city": "Paris"}"#).unwrap(),
                },
                StreamEvent::Done
            ]
        );
        assert_eq!(text_of(&events), "");
        // `name` instead of `tool_name`, arguments as a JSON string, or none.
        assert_eq!(
            decode_payload(r#"{"type":"local_tool_call","name":"f","arguments":"{\"a\":1}"}"#),
            Some(StreamEvent::ToolCall {
                name: "f".into(),
                arguments: Json::String("{\"a\":1}".into()),
            })
        );
        assert_eq!(
            decode_payload(r#"{"type":"local_tool_call"}"#),
            Some(StreamEvent::ToolCall {
                name: String::new(),
                arguments: Json::Null,
            })
        );
    }

    #[test]
    fn a_stream_is_told_by_its_first_bytes() {
        for stream in [
            &b"data: Hello"[..],
            b"data:x",
            b"\n\r\n  data: [DONE]",
            b"\xEF\xBB\xBFdata: a",
            b": keep-alive\n\ndata: a",
            b"event: message\ndata: y",
            b"id: 1\n",
            b"retry: 10\n",
        ] {
            assert_eq!(sniff_body(stream), BodyKind::Stream, "{stream:?}");
            assert!(looks_like_stream(stream));
        }
        for whole in [
            &br#"{"response": "data: not a stream"}"#[..],
            b"[]",
            b"Internal Server Error",
            b"dat a",
            b"\"data: a quoted string\"",
            b"true",
            b"<html>",
        ] {
            assert_eq!(sniff_body(whole), BodyKind::Whole, "{whole:?}");
            assert!(!looks_like_stream(whole));
        }
        for early in [
            &b""[..],
            b"  \n",
            b"d",
            b"dat",
            b" data",
            b"ev",
            b"i",
            b"retry",
        ] {
            assert_eq!(sniff_body(early), BodyKind::Undecided, "{early:?}");
            assert!(!looks_like_stream(early));
        }
    }

    #[test]
    fn replacement_chain_when_not_a_json_string_body() {
        // A bare quote makes it invalid as a JSON string body.
        assert_eq!(unescape_delta(r#"say "hi"\nnow"#), "say \"hi\"\nnow");
        assert_eq!(
            unescape_delta(r#"it\'s \& "ok" \\ \t\u00e9"#),
            "it's & \"ok\" \\ \t\u{e9}"
        );
        assert_eq!(unescape_delta(r#"bad \u12 "x" \q"#), "bad \\u12 \"x\" \\q");
    }

    #[test]
    fn html_entities_are_decoded_once() {
        assert_eq!(
            unescape_delta("a &lt;b&gt; &quot;c&quot; &apos;d&apos; &amp;lt;"),
            "a <b> \"c\" 'd' &lt;"
        );
        assert_eq!(unescape_delta("AT&T &copy;"), "AT&T &copy;");
    }

    /// Lyzr's UI runs its replacement chain (`\n \" \' \& \r \\ \t`), then
    /// HTML entities, then `\uXXXX`; the widget decodes a JSON string body
    /// first. These are the inputs where the two differ, pinned to the
    /// widget's choice (README, "How stream text is unescaped").
    #[test]
    fn unescape_edge_cases_where_lyzr_differs() {
        // A literal backslash then `n` (code samples): Lyzr gives `\` + newline.
        assert_eq!(unescape_delta(r#"printf(\"a\\n\")"#), "printf(\"a\\n\")");
        assert_eq!(unescape_delta(r"\\n"), "\\n");
        // An escaped slash is a slash: Lyzr keeps the backslash.
        assert_eq!(
            unescape_delta(r"</b> and https:\/\/x.example\/a"),
            "</b> and https://x.example/a"
        );
        // `\u0026lt;` is `&lt;` once JSON-decoded, then the entity pass
        // makes it `<`: Lyzr, decoding `\uXXXX` last, shows `&lt;`.
        assert_eq!(unescape_delta(r"\u0026lt;b\u0026gt;"), "<b>");
        // Once only: `&amp;lt;` is `&lt;`, not `<`.
        assert_eq!(unescape_delta(r"\u0026amp;lt;"), "&lt;");
    }

    #[test]
    fn json_string_decoding_comes_first() {
        assert_eq!(unescape_delta(r"line\\nstill"), "line\\nstill");
        assert_eq!(unescape_delta(r"\ud83c\udf89"), "🎉");
    }

    #[test]
    fn encode_then_decode_round_trips() {
        for text in [
            "plain",
            "two\nlines",
            "quote \" and \\ back",
            "tab\t",
            "ünï 🎉",
            "<b>&amp;</b>",
        ] {
            let line = format!("data: {}\n", encode_delta(text));
            assert!(!encode_delta(text).contains('\n'));
            let events = decode_all(&[line.as_bytes()]);
            // Entities are decoded as Lyzr's UI does, so "&amp;" reads as "&".
            assert_eq!(text_of(&events), decode_entities(text), "{text}");
        }
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let events = decode_all(&[b"data: a\xff\xfeb\n\ndata: [DONE]\n"]);
        assert_eq!(text_of(&events), "a\u{fffd}\u{fffd}b");
    }
}
