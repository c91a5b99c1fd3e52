//! The saved format (`v` 1) of a [`Conversation`], written and read by hand
//! with the protocol's small JSON type, so the wasm links no serde code.
//!
//! The bytes are what serde's derive wrote before (the tests compare with
//! it): fields in declaration order, empty optional parts left out,
//! enums as snake_case names (`"done"`, `{"send": {...}}`), `ApiError`'s
//! and `AbortReason`'s variant names as written in Rust (`"Unauthorized"`).

use super::conversation::{Conversation, FileRef, Message, Parts, Problem, Role, Status};
use crate::client::{AbortReason, ClientError};
use lyzr_chat_protocol::json::{write_str, ObjectWriter};
use lyzr_chat_protocol::{ApiError, Artifact, ErrorKind, Json, Object};

type Read<T> = Result<T, String>;

/// `{"v": version, ...the conversation}`.
pub(super) fn write_conversation(c: &Conversation, version: u32, out: &mut String) {
    let mut o = ObjectWriter::new(out);
    o.num("v", version.into());
    o.str("session_id", &c.session_id);
    let out = o.key("messages");
    out.push('[');
    for (i, m) in c.messages.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_message(m, out);
    }
    out.push(']');
    o.num("unread", c.unread.into());
    if c.older {
        o.bool("older", true);
    }
    o.end();
}

pub(super) fn write_message(m: &Message, out: &mut String) {
    let mut o = ObjectWriter::new(out);
    o.num("id", m.id);
    o.str("role", role_name(m.role));
    o.str("text", &m.text);
    if !m.parts.is_empty() {
        write_parts(&m.parts, o.key("parts"));
    }
    o.str("status", status_name(m.status));
    if let Some(problem) = &m.problem {
        write_problem(problem, o.key("problem"));
    }
    o.num("created_ms", m.created_ms);
    o.num("rev", m.rev.into());
    if m.sent {
        o.bool("sent", true);
    }
    if let Some(answers) = m.answers {
        o.num("answers", answers);
    }
    if m.from_history {
        o.bool("from_history", true);
    }
    o.end();
}

fn write_parts(p: &Parts, out: &mut String) {
    let mut o = ObjectWriter::new(out);
    if !p.thinking.is_empty() {
        o.str("thinking", &p.thinking);
    }
    if !p.files.is_empty() {
        write_list(o.key("files"), &p.files, |f, out| {
            let mut o = ObjectWriter::new(out);
            o.str("name", &f.name);
            o.num("size", f.size);
            if !f.mime.is_empty() {
                o.str("mime", &f.mime);
            }
            if let Some(id) = &f.asset_id {
                o.str("asset_id", id);
            }
            o.end();
        });
    }
    if !p.artifacts.is_empty() {
        write_list(o.key("artifacts"), &p.artifacts, |a, out| {
            let mut o = ObjectWriter::new(out);
            o.str("name", &a.name);
            o.str("url", &a.url);
            o.opt_str("format", a.format.as_deref());
            o.end();
        });
    }
    if let Some(name) = &p.tool_call {
        o.str("tool_call", name);
    }
    if let Some(id) = &p.message_id {
        o.str("message_id", id);
    }
    o.end();
}

fn write_list<T>(out: &mut String, items: &[T], write: impl Fn(&T, &mut String)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(item, out);
    }
    out.push(']');
}

/// An enum variant with a payload: `{"name":payload}`.
fn tagged(out: &mut String, name: &str, payload: impl FnOnce(&mut String)) {
    out.push('{');
    write_str(out, name);
    out.push(':');
    payload(out);
    out.push('}');
}

fn write_problem(p: &Problem, out: &mut String) {
    match p {
        Problem::Send(e) => tagged(out, "send", |out| write_client_error(e, out)),
        Problem::PageLeft => write_str(out, "page_left"),
        Problem::Upload(e) => tagged(out, "upload", |out| match e {
            Some(e) => write_client_error(e, out),
            None => out.push_str("null"),
        }),
        Problem::FilesMissing => write_str(out, "files_missing"),
    }
}

fn write_client_error(e: &ClientError, out: &mut String) {
    match e {
        ClientError::Truncated => write_str(out, "truncated"),
        ClientError::StreamError(s) => tagged(out, "stream_error", |out| write_str(out, s)),
        ClientError::Dropped(s) => tagged(out, "dropped", |out| write_str(out, s)),
        ClientError::BadReply(s) => tagged(out, "bad_reply", |out| write_str(out, s)),
        ClientError::Network { detail, offline } => tagged(out, "network", |out| {
            let mut o = ObjectWriter::new(out);
            o.str("detail", detail);
            o.bool("offline", *offline);
            o.end();
        }),
        ClientError::Api(api) => tagged(out, "api", |out| {
            let mut o = ObjectWriter::new(out);
            o.num("status", api.status.into());
            o.str("kind", kind_name(api.kind));
            o.opt_str("detail", api.detail.as_deref());
            match api.retry_after_s {
                Some(s) => o.num("retry_after_s", s),
                None => o.key("retry_after_s").push_str("null"),
            }
            o.end();
        }),
        ClientError::Timeout { after_ms } => tagged(out, "timeout", |out| {
            let mut o = ObjectWriter::new(out);
            o.num("after_ms", (*after_ms).into());
            o.end();
        }),
        ClientError::Aborted(reason) => {
            tagged(out, "aborted", |out| write_str(out, abort_name(*reason)))
        }
    }
}

/// Names of an enum's variants, in one table each way.
macro_rules! names {
    ($name:ident, $parse:ident, $ty:ty, [$($variant:path => $text:literal),* $(,)?]) => {
        fn $name(value: $ty) -> &'static str {
            match value {
                $($variant => $text,)*
            }
        }
        fn $parse(text: &str) -> Option<$ty> {
            match text {
                $($text => Some($variant),)*
                _ => None,
            }
        }
    };
}

names!(role_name, parse_role, Role, [Role::User => "user", Role::Agent => "agent"]);
names!(status_name, parse_status, Status, [
    Status::Pending => "pending",
    Status::Streaming => "streaming",
    Status::Done => "done",
    Status::Stopped => "stopped",
    Status::Interrupted => "interrupted",
    Status::Failed => "failed",
    Status::NotSent => "not_sent",
]);
names!(kind_name, parse_kind, ErrorKind, [
    ErrorKind::BadRequest => "BadRequest",
    ErrorKind::Unauthorized => "Unauthorized",
    ErrorKind::Busy => "Busy",
    ErrorKind::Server => "Server",
    ErrorKind::Other => "Other",
]);
names!(abort_name, parse_abort, AbortReason, [
    AbortReason::Stopped => "Stopped",
    AbortReason::TimedOut => "TimedOut",
    AbortReason::Discarded => "Discarded",
]);

// Reading. Required fields must be there with their type; optional ones
// may be missing or null; unknown fields are ignored (as serde did).

/// Reads `{"v": ..., ...}` into its version and conversation.
pub(super) fn read_conversation(value: &Json) -> Read<(u64, Conversation)> {
    let o = object(value, "the saved value")?;
    let version = number(need(o, "v")?, "v")?;
    let messages = array(need(o, "messages")?, "messages")?
        .iter()
        .map(read_message)
        .collect::<Read<_>>()?;
    Ok((
        version,
        Conversation {
            session_id: string(need(o, "session_id")?, "session_id")?,
            messages,
            unread: small(opt(o, "unread").map(|v| number(v, "unread")).transpose()?)?,
            older: flag(o, "older")?,
        },
    ))
}

fn read_message(value: &Json) -> Read<Message> {
    let o = object(value, "a message")?;
    let word = |key| string(need(o, key)?, key);
    Ok(Message {
        id: number(need(o, "id")?, "id")?,
        role: parse_role(&word("role")?).ok_or("unknown role")?,
        text: word("text")?,
        parts: opt(o, "parts")
            .map(read_parts)
            .transpose()?
            .unwrap_or_default(),
        status: parse_status(&word("status")?).ok_or("unknown status")?,
        problem: opt(o, "problem").map(read_problem).transpose()?,
        created_ms: number(need(o, "created_ms")?, "created_ms")?,
        rev: small(opt(o, "rev").map(|v| number(v, "rev")).transpose()?)?,
        sent: flag(o, "sent")?,
        answers: opt(o, "answers")
            .map(|v| number(v, "answers"))
            .transpose()?,
        from_history: flag(o, "from_history")?,
    })
}

fn read_parts(value: &Json) -> Read<Parts> {
    let o = object(value, "parts")?;
    let list = |key| opt(o, key).map(|v| array(v, key)).transpose();
    Ok(Parts {
        thinking: opt_string(o, "thinking")?.unwrap_or_default(),
        files: list("files")?
            .into_iter()
            .flatten()
            .map(|f| {
                let o = object(f, "a file")?;
                Ok(FileRef {
                    name: string(need(o, "name")?, "name")?,
                    size: number(need(o, "size")?, "size")?,
                    mime: opt_string(o, "mime")?.unwrap_or_default(),
                    asset_id: opt_string(o, "asset_id")?,
                })
            })
            .collect::<Read<_>>()?,
        artifacts: list("artifacts")?
            .into_iter()
            .flatten()
            .map(|a| {
                let o = object(a, "an artifact")?;
                Ok(Artifact {
                    name: string(need(o, "name")?, "name")?,
                    url: string(need(o, "url")?, "url")?,
                    format: opt_string(o, "format")?,
                })
            })
            .collect::<Read<_>>()?,
        files_notes: Vec::new(),
        tool_call: opt_string(o, "tool_call")?,
        message_id: opt_string(o, "message_id")?,
        steps: Vec::new(),
    })
}

/// An enum value: `"name"`, or `{"name": payload}`.
fn variant(value: &Json) -> Read<(&str, Option<&Json>)> {
    match value {
        Json::String(name) => Ok((name, None)),
        Json::Object(o) if o.len() == 1 => {
            let (name, payload) = o.iter().next().ok_or("an empty enum")?;
            Ok((name, Some(payload)))
        }
        _ => Err("not an enum value".into()),
    }
}

fn read_problem(value: &Json) -> Read<Problem> {
    Ok(match variant(value)? {
        ("page_left", None) => Problem::PageLeft,
        ("files_missing", None) => Problem::FilesMissing,
        ("send", Some(e)) => Problem::Send(read_client_error(e)?),
        ("upload", Some(Json::Null)) => Problem::Upload(None),
        ("upload", Some(e)) => Problem::Upload(Some(read_client_error(e)?)),
        _ => return Err("unknown problem".into()),
    })
}

fn read_client_error(value: &Json) -> Read<ClientError> {
    let (name, payload) = variant(value)?;
    let text = || string(payload.unwrap_or(&Json::Null), name);
    let fields = || object(payload.unwrap_or(&Json::Null), name);
    Ok(match (name, payload.is_some()) {
        ("truncated", false) => ClientError::Truncated,
        ("stream_error", true) => ClientError::StreamError(text()?),
        ("dropped", true) => ClientError::Dropped(text()?),
        ("bad_reply", true) => ClientError::BadReply(text()?),
        ("network", true) => {
            let o = fields()?;
            ClientError::Network {
                detail: string(need(o, "detail")?, "detail")?,
                offline: need(o, "offline")?
                    .as_bool()
                    .ok_or("`offline` is not a boolean")?,
            }
        }
        ("api", true) => {
            let o = fields()?;
            let status = number(need(o, "status")?, "status")?;
            ClientError::Api(ApiError {
                status: u16::try_from(status).map_err(|_| "`status` is too large")?,
                kind: parse_kind(&string(need(o, "kind")?, "kind")?).ok_or("unknown kind")?,
                detail: opt_string(o, "detail")?,
                retry_after_s: opt(o, "retry_after_s")
                    .map(|v| number(v, "retry_after_s"))
                    .transpose()?,
            })
        }
        ("timeout", true) => {
            let after_ms = number(need(fields()?, "after_ms")?, "after_ms")?;
            ClientError::Timeout {
                after_ms: u32::try_from(after_ms).map_err(|_| "`after_ms` is too large")?,
            }
        }
        ("aborted", true) => ClientError::Aborted(parse_abort(&text()?).ok_or("unknown reason")?),
        _ => return Err(format!("unknown error `{name}`")),
    })
}

fn need<'a>(o: &'a Object, key: &str) -> Read<&'a Json> {
    o.get(key).ok_or_else(|| format!("missing field `{key}`"))
}

/// A field that may be missing or null.
fn opt<'a>(o: &'a Object, key: &str) -> Option<&'a Json> {
    o.get(key).filter(|v| !v.is_null())
}

fn object<'a>(value: &'a Json, what: &str) -> Read<&'a Object> {
    value
        .as_object()
        .ok_or_else(|| format!("{what} is {}, not an object", value.type_name()))
}

fn array<'a>(value: &'a Json, key: &str) -> Read<&'a Vec<Json>> {
    value
        .as_array()
        .ok_or_else(|| format!("`{key}` is {}, not an array", value.type_name()))
}

fn string(value: &Json, key: &str) -> Read<String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("`{key}` is {}, not a string", value.type_name()))
}

fn opt_string(o: &Object, key: &str) -> Read<Option<String>> {
    opt(o, key).map(|v| string(v, key)).transpose()
}

fn number(value: &Json, key: &str) -> Read<u64> {
    value
        .as_u64()
        .ok_or_else(|| format!("`{key}` is not a whole number"))
}

/// A u32 field that defaults to 0.
fn small(value: Option<u64>) -> Read<u32> {
    u32::try_from(value.unwrap_or(0)).map_err(|_| "a count is too large".into())
}

/// A boolean field that defaults to false.
fn flag(o: &Object, key: &str) -> Read<bool> {
    opt(o, key)
        .map(|v| {
            v.as_bool()
                .ok_or_else(|| format!("`{key}` is not a boolean"))
        })
        .transpose()
        .map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: u64, role: Role, status: Status, problem: Option<Problem>) -> Message {
        Message {
            id,
            role,
            text: String::new(),
            parts: Parts::default(),
            status,
            problem,
            created_ms: 1000 + id,
            rev: 0,
            sent: false,
            answers: None,
            from_history: false,
        }
    }

    /// Every field and variant, against the bytes serde's derive wrote for
    /// them (so values saved by earlier versions stay readable, and theirs
    /// by ours).
    #[test]
    fn writes_the_bytes_serde_wrote_and_reads_them_back() {
        let api = ApiError {
            status: 401,
            kind: ErrorKind::Unauthorized,
            detail: Some("Invalid API key".into()),
            retry_after_s: None,
        };
        let mut first = message(
            1,
            Role::User,
            Status::NotSent,
            Some(Problem::Send(ClientError::Api(api))),
        );
        first.text = "hi \"there\"\n".into();
        first.parts.files = vec![
            FileRef {
                name: "r.pdf".into(),
                size: 12,
                mime: "application/pdf".into(),
                asset_id: Some("as-1".into()),
            },
            FileRef {
                name: "x".into(),
                size: 0,
                mime: String::new(),
                asset_id: None,
            },
        ];
        first.rev = 2;
        first.sent = true;
        let mut second = message(
            2,
            Role::Agent,
            Status::Failed,
            Some(Problem::Send(ClientError::Timeout { after_ms: 5 })),
        );
        second.text = "a".into();
        second.parts.thinking = "hmm".into();
        second.parts.artifacts = vec![Artifact {
            name: "a.csv".into(),
            url: "https://x/a.csv".into(),
            format: None,
        }];
        second.answers = Some(1);
        let mut history = message(13, Role::Agent, Status::Done, None);
        history.from_history = true;
        let problems = [
            Problem::Upload(None),
            Problem::Upload(Some(ClientError::Network {
                detail: "d".into(),
                offline: true,
            })),
            Problem::PageLeft,
            Problem::FilesMissing,
            Problem::Send(ClientError::Aborted(AbortReason::Stopped)),
            Problem::Send(ClientError::Truncated),
            Problem::Send(ClientError::StreamError("e".into())),
            Problem::Send(ClientError::Dropped("f".into())),
            Problem::Send(ClientError::BadReply("g".into())),
            Problem::Send(ClientError::Api(ApiError {
                status: 429,
                kind: ErrorKind::Busy,
                detail: None,
                retry_after_s: Some(7),
            })),
        ];
        let mut messages = vec![first, second];
        for (i, p) in problems.into_iter().enumerate() {
            messages.push(message(3 + i as u64, Role::User, Status::Pending, Some(p)));
        }
        messages.push(history);
        let c = Conversation {
            session_id: "agent-s".into(),
            messages,
            unread: 3,
            older: true,
        };
        let problems = [
            r#"{"upload":null}"#,
            r#"{"upload":{"network":{"detail":"d","offline":true}}}"#,
            r#""page_left""#,
            r#""files_missing""#,
            r#"{"send":{"aborted":"Stopped"}}"#,
            r#"{"send":"truncated"}"#,
            r#"{"send":{"stream_error":"e"}}"#,
            r#"{"send":{"dropped":"f"}}"#,
            r#"{"send":{"bad_reply":"g"}}"#,
            r#"{"send":{"api":{"status":429,"kind":"Busy","detail":null,"retry_after_s":7}}}"#,
        ];
        let mut expected = String::from(
            r#"{"v":1,"session_id":"agent-s","messages":[{"id":1,"role":"user","text":"hi \"there\"\n","parts":{"files":[{"name":"r.pdf","size":12,"mime":"application/pdf","asset_id":"as-1"},{"name":"x","size":0}]},"status":"not_sent","problem":{"send":{"api":{"status":401,"kind":"Unauthorized","detail":"Invalid API key","retry_after_s":null}}},"created_ms":1001,"rev":2,"sent":true},{"id":2,"role":"agent","text":"a","parts":{"thinking":"hmm","artifacts":[{"name":"a.csv","url":"https://x/a.csv","format":null}]},"status":"failed","problem":{"send":{"timeout":{"after_ms":5}}},"created_ms":1002,"rev":0,"answers":1}"#,
        );
        for (i, p) in problems.iter().enumerate() {
            let id = 3 + i;
            expected.push_str(&format!(
                r#",{{"id":{id},"role":"user","text":"","status":"pending","problem":{p},"created_ms":{},"rev":0}}"#,
                1000 + id
            ));
        }
        expected.push_str(
            r#",{"id":13,"role":"agent","text":"","status":"done","created_ms":1013,"rev":0,"from_history":true}],"unread":3,"older":true}"#,
        );
        assert_eq!(c.to_json(), expected);
        assert_eq!(Conversation::parse(&expected).unwrap(), c);
    }

    #[test]
    fn defaults_fill_what_serde_left_out_and_wrong_types_are_refused() {
        let minimal = r#"{"v":1,"session_id":"s","messages":[{"id":1,"role":"agent","text":"t","status":"done","created_ms":5,"x":[1]}]}"#;
        let c = Conversation::parse(minimal).unwrap();
        assert_eq!((c.unread, c.older), (0, false));
        let m = &c.messages[0];
        assert_eq!(
            (m.rev, m.sent, m.answers, m.from_history),
            (0, false, None, false)
        );
        assert_eq!(m.parts, Parts::default());
        for bad in [
            r#"{"v":1,"session_id":"s","messages":[{"id":1,"role":"bot","text":"t","status":"done","created_ms":5}]}"#,
            r#"{"v":1,"session_id":"s","messages":[{"id":1,"role":"agent","text":"t","status":"done"}]}"#,
            r#"{"v":1,"session_id":"s","messages":[{"id":-1,"role":"agent","text":"t","status":"done","created_ms":5}]}"#,
            r#"{"v":1,"session_id":"s","messages":[{"id":1,"role":"agent","text":"t","status":"done","created_ms":5,"problem":{"send":"nope"}}]}"#,
            r#"{"v":1,"session_id":"s","messages":[{"id":1,"role":"agent","text":"t","status":"done","created_ms":5,"sent":1}]}"#,
            r#"{"v":1,"session_id":7,"messages":[]}"#,
            r#"{"v":1,"session_id":"s","messages":{}}"#,
        ] {
            assert!(Conversation::parse(bad).is_err(), "{bad}");
        }
    }
}
