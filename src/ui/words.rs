//! Every sentence the visitor reads about the conversation's state: what a
//! failure means and what they can do, notices, status notes, and times.
//! The layers below return typed values; the words are chosen here.

use crate::client::ClientError;
use crate::state::{Notice, Problem, Role, Status};

/// What the visitor is told about a failure.
pub fn problem(problem: &Problem) -> String {
    match problem {
        Problem::Send(error) => client_error(error),
        Problem::PageLeft => {
            "This message had not been answered when the page was closed. Press Retry to send it."
                .into()
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
        ClientError::Api(e) => e.visitor_message(),
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

/// A file size for people, e.g. `1.2 MB`, in the visitor's locale.
pub fn file_size(bytes: u64) -> String {
    use js_sys::{Array, Intl, Object, Reflect};
    let (value, unit) = match bytes {
        b if b >= 1 << 20 => (bytes as f64 / (1u64 << 20) as f64, "megabyte"),
        b if b >= 1 << 10 => (bytes as f64 / 1024.0, "kilobyte"),
        _ => (bytes as f64, "byte"),
    };
    let options = Object::new();
    let _ = Reflect::set(&options, &"style".into(), &"unit".into());
    let _ = Reflect::set(&options, &"unit".into(), &unit.into());
    let _ = Reflect::set(&options, &"maximumFractionDigits".into(), &1.into());
    Intl::NumberFormat::new(&Array::new(), &options)
        .format()
        .call1(&wasm_bindgen::JsValue::UNDEFINED, &value.into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}
