//! Every sentence the visitor reads about the conversation's state: what a
//! failure means and what they can do, notices, status notes. The layers
//! below return typed values; the sentences are chosen here, in the
//! visitor's language ([`Words`]).

use super::i18n::{Label, Words};
use crate::client::ClientError;
use crate::state::{Notice, Problem, Role, Status};
use lyzr_chat_protocol::{ApiError, ErrorKind, Step, StepKind};

/// `sentence`, then the server's reason or the status in brackets.
fn with_reason(w: &Words, sentence: &str, e: &ApiError) -> String {
    let reason = match &e.detail {
        Some(detail) => w.fill(Label::ServerSaid, &[("detail", detail)]),
        None => w.fill(Label::HttpStatus, &[("status", &e.status.to_string())]),
    };
    format!("{sentence} {reason}")
}

/// What the visitor is told about a failure.
pub fn problem(w: &Words, problem: &Problem) -> String {
    match problem {
        Problem::Send(error) => client_error(w, error),
        Problem::PageLeft => w.get(Label::PageLeft).into(),
        Problem::Upload(Some(error)) => {
            let sentence = w.get(Label::UploadFailed);
            match error {
                ClientError::Api(e) => with_reason(w, sentence, e),
                ClientError::Network { .. } => {
                    format!("{sentence} {}", w.get(Label::ServerUnreachable))
                }
                _ => sentence.into(),
            }
        }
        Problem::Upload(None) => w.get(Label::SomeUploadsFailed).into(),
        Problem::FilesMissing => w.get(Label::FilesMissing).into(),
    }
}

/// What the visitor is told about a failed call.
pub fn client_error(w: &Words, error: &ClientError) -> String {
    match error {
        ClientError::Network { offline: true, .. } => w.get(Label::ErrorOffline).into(),
        ClientError::Network { .. } => w.get(Label::ErrorNetwork).into(),
        ClientError::Api(e) => api_error(w, e),
        ClientError::Timeout { after_ms } => w.fill(
            Label::ErrorTimeout,
            &[("duration", &w.duration(u64::from(*after_ms)))],
        ),
        ClientError::Aborted(_) => w.get(Label::ErrorStopped).into(),
        ClientError::StreamError(msg) if msg.is_empty() => w.get(Label::ErrorStream).into(),
        ClientError::StreamError(msg) => format!(
            "{} {}",
            w.get(Label::ErrorStream),
            w.fill(Label::ServerSaid, &[("detail", msg)])
        ),
        ClientError::Dropped(_) => w.get(Label::ErrorDropped).into(),
        ClientError::Truncated => w.get(Label::ErrorTruncated).into(),
        ClientError::BadReply(_) => w.get(Label::ErrorBadReply).into(),
    }
}

/// One sentence for an error status: what happened and what the visitor
/// can do, followed by the server's reason when there is one.
pub fn api_error(w: &Words, e: &ApiError) -> String {
    let summary = match e.kind {
        ErrorKind::Unauthorized => w.get(Label::ErrorUnauthorized).to_string(),
        ErrorKind::Busy => match e.retry_after_s {
            Some(s) if s > 0 => w.fill(Label::ErrorBusy, &[("when", &w.in_seconds(s))]),
            _ => w.get(Label::ErrorBusyMoment).into(),
        },
        ErrorKind::Server => w.get(Label::ErrorServer).into(),
        ErrorKind::BadRequest => w.get(Label::ErrorBadRequest).into(),
        ErrorKind::Other => w.get(Label::ErrorOther).into(),
    };
    with_reason(w, &summary, e)
}

/// The banner for a notice.
pub fn notice(w: &Words, notice: &Notice) -> String {
    match notice {
        Notice::Retrying { in_ms, error } => {
            let seconds = ((in_ms + 500) / 1000).max(1);
            w.fill(
                Label::Retrying,
                &[
                    ("problem", &client_error(w, error)),
                    ("when", &w.in_seconds(seconds)),
                ],
            )
        }
        Notice::LoadingHistory => w.get(Label::LoadingHistory).into(),
        Notice::HistoryFailed(_) => w.get(Label::HistoryFailed).into(),
    }
}

/// One step of the agent's work, as the visitor reads it ("…" is added
/// while it is under way).
pub fn step(w: &Words, step: &Step) -> String {
    let label = match step.kind {
        StepKind::Memory => Label::StepMemory,
        StepKind::Knowledge => Label::StepKnowledge,
        StepKind::Thinking => Label::StepThinking,
        StepKind::Tool if step.name.is_empty() => Label::StepTool,
        StepKind::Tool => return w.fill(Label::StepToolNamed, &[("name", &step.name)]),
        StepKind::Writing => Label::StepWriting,
        StepKind::File => Label::StepFile,
        StepKind::Other => return step.name.clone(),
    };
    w.get(label).into()
}

/// The steps as a markdown list: done ✓, failed ✕, under way ○ (and, while
/// `live`, "…"). Names from the service are escaped.
pub fn steps(w: &Words, steps: &[Step], live: bool) -> String {
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
        out.push_str(&escape(&step(w, s)));
        if live && !s.done {
            out.push('…');
        }
        out.push('\n');
    }
    out
}

/// An answer's steps as [`steps`] lists them, live while it streams.
pub fn steps_of(w: &Words, m: &crate::state::Message) -> String {
    steps(w, &m.parts.steps, m.status == Status::Streaming)
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

/// What an answer's bubble shows (markdown): its text, then a tool the
/// agent asked the page to run ("The agent asked to run `tool_name`") and
/// a note for files it listed unreadably. Only the text is the answer.
pub fn shown_text(w: &Words, m: &crate::state::Message) -> String {
    let mut out = m.text.clone();
    let mut add = |line: &str| {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(line);
    };
    if let Some(name) = &m.parts.tool_call {
        add(&w.fill(Label::ToolCall, &[("name", &name.replace('`', "'"))]));
    }
    if !m.parts.files_notes.is_empty() {
        add(w.get(Label::FilesNote));
    }
    out
}

/// The small note under a message, if its status needs one.
pub fn status_note(role: Role, status: Status, sent: bool) -> Option<Label> {
    Some(match (role, status) {
        (Role::User, Status::Pending) if !sent => Label::NoteWaiting,
        (Role::User, Status::Pending) => Label::NoteSending,
        (Role::User, Status::NotSent) => Label::NoteNotSent,
        (Role::Agent, Status::Stopped) => Label::NoteStopped,
        (Role::Agent, Status::Failed) => Label::NoteIncomplete,
        (Role::Agent, Status::Interrupted) => Label::NoteInterrupted,
        _ => return None,
    })
}

/// The launcher's accessible name.
pub fn launcher_label(w: &Words, open: bool, unread: u32) -> String {
    match (open, unread) {
        (true, _) => w.get(Label::CloseLabel).into(),
        (false, 0) => w.get(Label::OpenLabel).into(),
        (false, n) => w.count(Label::UnreadLabel, n.into(), &[]),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::ui::i18n::{Dir, Override};

    fn en() -> Words {
        Words::default()
    }

    #[test]
    fn a_refusal_says_what_to_do_and_keeps_the_servers_reason() {
        let e = ApiError::from_response(401, r#"{"detail":"Invalid API key"}"#);
        let text = api_error(&en(), &e);
        assert!(text.contains("not set up correctly"), "{text}");
        assert!(text.contains("(Server said: Invalid API key)"), "{text}");
    }

    #[test]
    fn busy_says_when_to_try_again() {
        let e = ApiError::from_response(429, r#"{"detail":"Rate limit exceeded"}"#)
            .with_retry_after(Some(12));
        assert_eq!(
            api_error(&en(), &e),
            "The assistant is busy or out of credits. Please try again in 12 seconds. (Server said: Rate limit exceeded)"
        );
        assert!(api_error(&en(), &ApiError::from_response(402, "")).contains("in a moment"));
    }

    /// The lower layers hand over what the service said, or nothing: the
    /// words are the visitor's language's, never the protocol's English.
    #[test]
    fn a_failure_without_a_reason_is_worded_here() {
        let w = Words::new(
            "fr".into(),
            Dir::Ltr,
            [(
                Label::ErrorStream,
                Override::Text("Un problème est survenu.".into()),
            )],
        );
        let silent = lyzr_chat_protocol::stream::decode_payload("[ERROR]");
        let Some(lyzr_chat_protocol::stream::StreamEvent::Error(reason)) = silent else {
            panic!("{silent:?}")
        };
        assert_eq!(
            client_error(&w, &ClientError::StreamError(reason)),
            "Un problème est survenu."
        );
    }

    #[test]
    fn without_a_reason_the_status_is_named() {
        assert_eq!(
            api_error(&en(), &ApiError::from_response(500, "")),
            "The assistant had a problem answering. Please try again. (HTTP 500)"
        );
    }

    #[test]
    fn a_page_left_mid_send_says_retry() {
        let w = en();
        assert!(problem(&w, &Problem::PageLeft).contains("Press Retry"));
        assert_eq!(
            status_note(Role::User, Status::Pending, false).map(|l| w.get(l)),
            Some("Waiting for a connection…")
        );
        assert_eq!(
            status_note(Role::Agent, Status::Interrupted, true).map(|l| w.get(l)),
            Some("Answer interrupted")
        );
        assert_eq!(launcher_label(&w, false, 2), "Chat, 2 unread");
        assert_eq!(launcher_label(&w, false, 1), "Chat, 1 unread");
    }

    #[test]
    fn a_translation_and_labels_replace_the_english() {
        let w = Words::new(
            "fr".into(),
            Dir::Ltr,
            [
                (
                    Label::ErrorServer,
                    Override::Text("Le serveur a eu un souci.".into()),
                ),
                (Label::HttpStatus, Override::Text("(HTTP {status})".into())),
                (
                    Label::UnreadLabel,
                    Override::Forms(vec![
                        ("one".into(), "Discussion, {n} non lu".into()),
                        ("other".into(), "Discussion, {n} non lus".into()),
                    ]),
                ),
            ],
        );
        assert_eq!(
            api_error(&w, &ApiError::from_response(500, "")),
            "Le serveur a eu un souci. (HTTP 500)"
        );
        assert_eq!(launcher_label(&w, false, 1), "Discussion, 1 non lu");
        assert_eq!(launcher_label(&w, false, 3), "Discussion, 3 non lus");
        // Not translated: English.
        assert_eq!(launcher_label(&w, true, 0), "Close chat");
    }

    #[test]
    fn the_retry_banner_says_when() {
        let e = ClientError::Network {
            detail: "x".into(),
            offline: false,
        };
        let text = notice(
            &en(),
            &Notice::Retrying {
                in_ms: 2400,
                error: e,
            },
        );
        assert!(text.ends_with("Trying again in 2 seconds…"), "{text}");
    }

    #[test]
    fn steps_have_human_names() {
        let named = |kind, name: &str| {
            step(
                &en(),
                &Step {
                    kind,
                    name: name.into(),
                    done: false,
                    failed: false,
                },
            )
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
            steps(&en(), &list, true),
            "- ✓ Searching the knowledge base\n- ○ Calling \\*x\\*…\n"
        );
        assert_eq!(
            steps(&en(), &list, false),
            "- ✓ Searching the knowledge base\n- ○ Calling \\*x\\*\n"
        );
    }

    /// French words from `locales/fr.json` (its texts, not its forms).
    fn french() -> Words {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/locales/fr.json");
        let file: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let texts = file.iter().filter_map(|(key, text)| {
            Some((Label::from_key(key)?, Override::Text(text.as_str()?.into())))
        });
        Words::new("fr".into(), Dir::Ltr, texts)
    }

    #[test]
    fn the_agents_work_is_told_in_the_visitors_language() {
        let w = french();
        let list = [
            Step {
                kind: StepKind::Memory,
                name: String::new(),
                done: true,
                failed: false,
            },
            Step {
                kind: StepKind::Tool,
                name: "get_weather".into(),
                done: false,
                failed: false,
            },
        ];
        assert_eq!(
            steps(&w, &list, true),
            "- ✓ Relecture de la conversation\n- ○ Appel de get\\_weather…\n"
        );
        assert_eq!(
            w.get(Label::HowIGotThis),
            "Comment j’ai obtenu cette réponse"
        );
        let m = crate::state::Message {
            id: 1,
            role: Role::Agent,
            text: "Voilà.".into(),
            parts: crate::state::conversation::Parts {
                tool_call: Some("get`weather".into()),
                files_notes: vec!["not json".into()],
                ..Default::default()
            },
            status: Status::Done,
            problem: None,
            created_ms: 0,
            rev: 0,
            sent: true,
            answers: None,
            from_history: false,
        };
        assert_eq!(
            shown_text(&w, &m),
            "Voilà.\n\nL’agent a demandé d’exécuter `get'weather`\n\n\
             _L’agent a listé des fichiers que cette discussion n’a pas pu lire._"
        );
        assert!(shown_text(&en(), &m).contains("The agent asked to run `get'weather`"));
    }
}
