//! Every sentence the visitor reads about the conversation's state: what a
//! failure means and what they can do, notices, status notes, and times.
//! The layers below return typed values; the words are chosen here.

use crate::client::ClientError;
use crate::state::{Notice, Problem, Role, Status};
use lyzr_chat_protocol::{ApiError, ErrorKind, Step, StepKind};

/// What the visitor is told about a failure.
pub fn problem(problem: &Problem) -> String {
    match problem {
        Problem::Send(error) => client_error(error),
        Problem::PageLeft => {
            "This message had not been answered when the page was closed. Press Retry to send it."
                .into()
        }
        Problem::Upload(Some(error)) => {
            let reason = match error {
                ClientError::Api(e) => match &e.detail {
                    Some(detail) => format!(" (Server said: {detail})"),
                    None => format!(" (HTTP {})", e.status),
                },
                ClientError::Network { .. } => " (the server could not be reached)".into(),
                _ => String::new(),
            };
            format!("Your files could not be uploaded, so the message was not sent. Press Retry to try again.{reason}")
        }
        Problem::Upload(None) => {
            "Some files could not be uploaded (see the attached files below), so the message was not sent. Press Retry, or remove those files and send again.".into()
        }
        Problem::FilesMissing => {
            "This message's files are no longer attached, so it cannot be sent. Press Edit, attach them again and send.".into()
        }
    }
}

/// What the visitor is told about a failed call.
pub fn client_error(error: &ClientError) -> String {
    match error {
        ClientError::Network { offline: true, .. } => {
            "You're offline. Your message is kept here: press Retry when you're back online.".into()
        }
        ClientError::Network { .. } => {
            "Could not reach the assistant. Check your connection and press Retry.".into()
        }
        ClientError::Api(e) => api_error(e),
        ClientError::Timeout { after_ms } => format!(
            "The assistant took longer than {} s to answer, so the chat stopped waiting. Press Retry to ask again.",
            after_ms / 1000
        ),
        ClientError::Aborted(_) => {
            "Stopped before the assistant answered. Press Retry to send it again.".into()
        }
        ClientError::StreamError(msg) => {
            format!("The assistant ran into a problem while answering. (Server said: {msg})")
        }
        ClientError::Dropped(_) => {
            "The connection broke while the assistant was answering. What arrived is kept; press Retry to ask again.".into()
        }
        ClientError::Truncated => {
            "The answer ended early. What arrived is kept; press Retry to ask again.".into()
        }
        ClientError::BadReply(_) => {
            "The assistant sent a reply this chat cannot read. Press Retry to ask again.".into()
        }
    }
}

/// One sentence for an error status: what happened and what the visitor
/// can do, followed by the server's reason when there is one.
pub fn api_error(e: &ApiError) -> String {
    let busy;
    let summary = match e.kind {
        ErrorKind::Unauthorized => {
            "This chat is not set up correctly, so the assistant can't answer. Please let the site owner know."
        }
        ErrorKind::Busy => {
            busy = match e.retry_after_s {
                Some(s) if s > 0 => {
                    format!("The assistant is busy or out of credits. Please try again in {s} s.")
                }
                _ => "The assistant is busy or out of credits. Please try again in a moment."
                    .to_string(),
            };
            busy.as_str()
        }
        ErrorKind::Server => "The assistant had a problem answering. Please try again.",
        ErrorKind::BadRequest => "The assistant could not accept this message.",
        ErrorKind::Other => "The assistant could not answer.",
    };
    match &e.detail {
        Some(detail) => format!("{summary} (Server said: {detail})"),
        None => format!("{summary} (HTTP {})", e.status),
    }
}

/// The banner for a notice (`None`: no banner).
pub fn notice(notice: &Notice) -> String {
    match notice {
        Notice::Retrying { in_ms, error } => {
            let seconds = ((in_ms + 500) / 1000).max(1);
            format!("{} Trying again in {seconds} s…", client_error(error))
        }
        Notice::LoadingHistory => "Loading the conversation…".into(),
        Notice::HistoryFailed(_) => "Earlier messages could not be loaded.".into(),
    }
}

pub const OFFLINE: &str = "You're offline. Anything you type is kept; send it when you're back.";
pub const INTERRUPTED: &str =
    "The page was left while this answer arrived. What arrived is kept; press Retry to ask again.";

/// One step of the agent's work, as the visitor reads it ("…" is added
/// while it is under way).
pub fn step(step: &Step) -> String {
    match step.kind {
        StepKind::Memory => "Recalling the conversation".into(),
        StepKind::Knowledge => "Searching the knowledge base".into(),
        StepKind::Thinking => "Thinking".into(),
        StepKind::Tool if step.name.is_empty() => "Using a tool".into(),
        StepKind::Tool => format!("Calling {}", step.name),
        StepKind::Writing => "Writing the answer".into(),
        StepKind::File => "Creating a file".into(),
        StepKind::Other => step.name.clone(),
    }
}

/// The steps as a markdown list: done ✓, failed ✕, under way ○ (and, while
/// `live`, "…"). Names from the service are escaped.
pub fn steps(steps: &[Step], live: bool) -> String {
    let mut out = String::new();
    for s in steps {
        let mark = match (s.failed, s.done) {
            (true, _) => '✕',
            (_, true) => '✓',
            _ => '○',
        };
        out.push_str("- ");
        out.push(mark);
        out.push(' ');
        out.push_str(&escape(&step(s)));
        if live && !s.done {
            out.push('…');
        }
        out.push('\n');
    }
    out
}

/// An answer's steps as [`steps`] lists them, live while it streams.
pub fn steps_of(m: &crate::state::Message) -> String {
    steps(&m.parts.steps, m.status == Status::Streaming)
}

/// Text from elsewhere, made literal for the markdown renderer.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The folded steps of a complete answer.
pub const HOW_I_GOT_THIS: &str = "How I got this";
/// An `<artifacts>` block that could not be read.
pub const FILES_NOTE: &str = "_The agent listed files this chat could not read._";

/// What an answer's bubble shows (markdown): its text, then a tool the
/// agent asked the page to run ("The agent asked to run `tool_name`") and
/// a note for files it listed unreadably. Only the text is the answer.
pub fn shown_text(m: &crate::state::Message) -> String {
    let mut out = m.text.clone();
    let mut add = |line: &str| {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(line);
    };
    if let Some(name) = &m.parts.tool_call {
        add(&format!(
            "The agent asked to run `{}`",
            name.replace('`', "'")
        ));
    }
    if !m.parts.files_notes.is_empty() {
        add(FILES_NOTE);
    }
    out
}

/// The small note under a message, if its status needs one.
pub fn status_note(role: Role, status: Status, sent: bool) -> Option<&'static str> {
    Some(match (role, status) {
        (Role::User, Status::Pending) if !sent => "Waiting for a connection…",
        (Role::User, Status::Pending) => "Sending…",
        (Role::User, Status::NotSent) => "Not sent",
        (Role::Agent, Status::Stopped) => "Stopped",
        (Role::Agent, Status::Failed) => "Answer incomplete",
        (Role::Agent, Status::Interrupted) => "Answer interrupted",
        _ => return None,
    })
}

/// The launcher's accessible name.
pub fn launcher_label(open: bool, unread: u32) -> String {
    match (open, unread) {
        (true, _) => "Close chat".into(),
        (false, 0) => "Open chat".into(),
        (false, 1) => "Chat, 1 unread".into(),
        (false, n) => format!("Chat, {n} unread"),
    }
}

/// A message's time in the visitor's locale: the time only for today, date
/// and time before; and the full date and time (for `title`).
pub fn times(ms: u64) -> (String, String) {
    use js_sys::{Array, Date, Intl, Object, Reflect};
    let date = Date::new(&(ms as f64).into());
    let now = Date::new_0();
    let today = date.get_full_year() == now.get_full_year()
        && date.get_month() == now.get_month()
        && date.get_date() == now.get_date();
    let format = |fields: &[(&str, &str)]| -> String {
        let options = Object::new();
        for (key, value) in fields {
            let _ = Reflect::set(&options, &(*key).into(), &(*value).into());
        }
        Intl::DateTimeFormat::new(&Array::new(), &options)
            .format()
            .call1(&wasm_bindgen::JsValue::UNDEFINED, &date)
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let short = if today {
        format(&[("timeStyle", "short")])
    } else {
        format(&[("dateStyle", "medium"), ("timeStyle", "short")])
    };
    (
        short,
        format(&[("dateStyle", "full"), ("timeStyle", "long")]),
    )
}

/// A file size for people: `512 B`, `12 KB`, `3.4 MB` (1 KB = 1024 B, as
/// the attachment limits count).
pub fn file_size(bytes: u64) -> String {
    // Integer arithmetic only: formatting a float would link the float
    // printing code into the wasm (about 15 KB).
    const KB: u64 = 1024;
    const MB: u64 = KB * KB;
    if bytes < KB {
        format!("{bytes} B")
    } else if bytes < MB {
        format!("{} KB", rounded(bytes, KB).max(1))
    } else {
        let tenths = rounded(bytes * 10, MB);
        if tenths < 100 && tenths % 10 != 0 {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        } else {
            format!("{} MB", rounded(bytes, MB))
        }
    }
}

/// `n / d` rounded to the nearest whole number, ties to even (as `{:.0}`).
fn rounded(n: u64, d: u64) -> u64 {
    let (q, r) = (n / d, n % d);
    if r * 2 > d || (r * 2 == d && q % 2 == 1) {
        q + 1
    } else {
        q
    }
}

#[cfg(test)]
mod file_size_tests {
    use super::file_size;

    #[test]
    fn sizes_for_people() {
        assert_eq!(file_size(0), "0 B");
        assert_eq!(file_size(1023), "1023 B");
        assert_eq!(file_size(1024), "1 KB");
        assert_eq!(file_size(350_000), "342 KB");
        assert_eq!(file_size(10 * 1024 * 1024), "10 MB");
        assert_eq!(file_size(3_565_158), "3.4 MB");
        assert_eq!(file_size(1536), "2 KB", "a tie goes to the even number");
        assert_eq!(file_size(2560), "2 KB");
        assert_eq!(file_size(3_192_000), "3 MB", "3.04 MB shows no tenth");
        assert_eq!(file_size(10_454_000), "10 MB", "9.97 MB rounds to 10");
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_says_what_to_do_and_keeps_the_servers_reason() {
        let e = ApiError::from_response(401, r#"{"detail":"Invalid API key"}"#);
        let text = api_error(&e);
        assert!(text.contains("not set up correctly"), "{text}");
        assert!(text.contains("(Server said: Invalid API key)"), "{text}");
    }

    #[test]
    fn busy_says_when_to_try_again() {
        let e = ApiError::from_response(429, r#"{"detail":"Rate limit exceeded"}"#)
            .with_retry_after(Some(12));
        assert_eq!(
            api_error(&e),
            "The assistant is busy or out of credits. Please try again in 12 s. (Server said: Rate limit exceeded)"
        );
        assert!(api_error(&ApiError::from_response(402, "")).contains("in a moment"));
    }

    #[test]
    fn without_a_reason_the_status_is_named() {
        assert_eq!(
            api_error(&ApiError::from_response(500, "")),
            "The assistant had a problem answering. Please try again. (HTTP 500)"
        );
    }

    #[test]
    fn a_page_left_mid_send_says_retry() {
        assert!(problem(&Problem::PageLeft).contains("Press Retry"));
        assert_eq!(
            status_note(Role::User, Status::Pending, false),
            Some("Waiting for a connection…")
        );
        assert_eq!(
            status_note(Role::Agent, Status::Interrupted, true),
            Some("Answer interrupted")
        );
        assert_eq!(launcher_label(false, 2), "Chat, 2 unread");
    }

    #[test]
    fn steps_have_human_names() {
        let named = |kind, name: &str| {
            step(&Step {
                kind,
                name: name.into(),
                done: false,
                failed: false,
            })
        };
        assert_eq!(named(StepKind::Tool, "get_weather"), "Calling get_weather");
        assert_eq!(
            named(StepKind::Knowledge, ""),
            "Searching the knowledge base"
        );
        assert_eq!(named(StepKind::Other, "Web search"), "Web search");
        let list = [
            Step {
                kind: StepKind::Knowledge,
                name: String::new(),
                done: true,
                failed: false,
            },
            Step {
                kind: StepKind::Tool,
                name: "*x*".into(),
                done: false,
                failed: false,
            },
        ];
        assert_eq!(
            steps(&list, true),
            "- ✓ Searching the knowledge base\n- ○ Calling \\*x\\*…\n"
        );
        assert_eq!(
            steps(&list, false),
            "- ✓ Searching the knowledge base\n- ○ Calling \\*x\\*\n"
        );
    }
}
