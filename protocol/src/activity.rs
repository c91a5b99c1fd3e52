//! Agent activity: the JSON events of a session's events socket (Lyzr's
//! `wss://metrics.studio.lyzr.ai/ws/{session_id}`, or a proxy's or the local
//! agent's `/v3/events/{session_id}`), read into a short list of [`Step`]s a
//! person can follow. No words for people here: `ui` names each step kind.
//!
//! Event types seen in Lyzr's clients: `agent_process_start`,
//! `agent_process_end`, `thinking`, `tool_call_prepare`, `tool_response`,
//! `llm_response`, `messages_retrieved`, `context_memory_updated`,
//! `artifact_create_success`; knowledge-base retrieval is told by its name.
//! Unknown types become an [`StepKind::Other`] step named from the type.

/// The path of the events socket on the local agent and the proxy.
pub fn events_path(session_id: &str) -> String {
    format!("/v3/events/{session_id}")
}

/// The fields of one event the widget uses (all optional on the wire but
/// `event_type`; a frame without it is not an event).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityEvent {
    pub event_type: String,
    /// `started`, `in_progress`, `completed`, `failed`, ...
    pub status: Option<String>,
    /// `info`, `error`, ...
    pub level: Option<String>,
    /// The service's own sentence (shown to the site owner, not the visitor).
    pub message: Option<String>,
    pub tool_name: Option<String>,
    pub run_id: Option<String>,
}

impl ActivityEvent {
    /// Reads one frame's JSON; `None` unless it is an object with `event_type`.
    pub fn from_json(text: &str) -> Option<ActivityEvent> {
        let value = crate::Json::parse(text).ok()?;
        let field = |k: &str| value.get(k).and_then(|v| v.as_str()).map(str::to_string);
        Some(ActivityEvent {
            event_type: field("event_type").filter(|t| !t.is_empty())?,
            status: field("status"),
            level: field("level"),
            message: field("message"),
            tool_name: field("tool_name").or_else(|| field("name")),
            run_id: field("run_id"),
        })
    }
}

/// What a step is about; `ui` chooses the words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Earlier messages or memory of the session.
    Memory,
    /// A knowledge-base search.
    Knowledge,
    Thinking,
    /// A tool call; [`Step::name`] is the tool.
    Tool,
    /// The model writing the answer.
    Writing,
    /// A file being made.
    File,
    /// Any other event type; [`Step::name`] is the type in words.
    Other,
}

/// One step of the agent's work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: StepKind,
    /// The tool's name, or an unknown event type made readable; else empty.
    pub name: String,
    /// Finished (a later step started, or it said so).
    pub done: bool,
    /// It reported a failure.
    pub failed: bool,
}

/// What an event does to the steps.
enum Effect {
    /// A step starts (or, when `done`, happened at once).
    Start(StepKind, String, bool),
    /// The run ended: every step is over.
    End,
    /// Nothing to show.
    Ignore,
}

fn effect(event: &ActivityEvent) -> Effect {
    let t = event.event_type.to_ascii_lowercase();
    let status = event.status.as_deref().unwrap_or("").to_ascii_lowercase();
    let finished = matches!(status.as_str(), "completed" | "failed");
    let tool = event.tool_name.clone().unwrap_or_default();
    match t.as_str() {
        "agent_process_start" => Effect::Ignore,
        "agent_process_end" => Effect::End,
        "thinking" => Effect::Start(StepKind::Thinking, String::new(), finished),
        "llm_response" => Effect::Start(StepKind::Writing, String::new(), false),
        "tool_call_prepare" => Effect::Start(StepKind::Tool, tool, finished),
        "tool_response" => Effect::Start(StepKind::Tool, tool, true),
        _ if t.contains("knowledge") || t.contains("rag") => {
            Effect::Start(StepKind::Knowledge, String::new(), finished)
        }
        _ if t.starts_with("messages_") || t.contains("memory") => {
            Effect::Start(StepKind::Memory, String::new(), finished)
        }
        _ if t.starts_with("artifact") => Effect::Start(StepKind::File, String::new(), finished),
        _ => Effect::Start(StepKind::Other, readable(&t), finished),
    }
}

/// `some_event_type` -> `Some event type`. ASCII case only: the Unicode
/// case tables would cost the widget 17 KB for event names that are ASCII.
fn readable(event_type: &str) -> String {
    let mut words = event_type.replace(['_', '-', '.'], " ").trim().to_string();
    if let Some(first) = words.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    words
}

/// Adds `event` to `steps`: a new step marks the ones before it done; a
/// step of the same kind and name as the last one merges into it (a tool's
/// response finishes its call); the run's end finishes every step.
/// Returns whether anything changed.
///
/// ```
/// use lyzr_chat_protocol::activity::{apply, ActivityEvent, StepKind};
/// let event = |t: &str, tool: Option<&str>| ActivityEvent {
///     event_type: t.into(),
///     tool_name: tool.map(Into::into),
///     ..ActivityEvent::default()
/// };
/// let mut steps = Vec::new();
/// apply(&mut steps, &event("tool_call_prepare", Some("get_weather")));
/// assert!(!steps[0].done);
/// apply(&mut steps, &event("tool_response", Some("get_weather")));
/// assert_eq!((steps.len(), steps[0].kind, steps[0].done), (1, StepKind::Tool, true));
/// ```
pub fn apply(steps: &mut Vec<Step>, event: &ActivityEvent) -> bool {
    let failed =
        event.level.as_deref() == Some("error") || event.status.as_deref() == Some("failed");
    match effect(event) {
        Effect::Ignore => false,
        Effect::End => {
            let mut changed = false;
            for step in steps.iter_mut().filter(|s| !s.done) {
                step.done = true;
                changed = true;
            }
            changed
        }
        Effect::Start(kind, name, done) => {
            if let Some(last) = steps.last_mut() {
                if last.kind == kind && last.name == name {
                    let before = (last.done, last.failed);
                    last.done |= done;
                    last.failed |= failed;
                    return before != (last.done, last.failed);
                }
            }
            for step in steps.iter_mut() {
                step.done = true;
            }
            steps.push(Step {
                kind,
                name,
                done,
                failed,
            });
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(t: &str, status: &str, tool: Option<&str>) -> ActivityEvent {
        ActivityEvent {
            event_type: t.into(),
            status: Some(status.into()),
            tool_name: tool.map(Into::into),
            ..ActivityEvent::default()
        }
    }

    #[test]
    fn a_run_of_the_local_agent_reads_as_five_steps() {
        let mut steps = Vec::new();
        for e in [
            event("agent_process_start", "started", None),
            event("messages_retrieved", "completed", None),
            event("knowledge_base_retrieval", "completed", None),
            event("thinking", "in_progress", None),
            event("tool_call_prepare", "in_progress", Some("get_weather")),
            event("tool_response", "completed", Some("get_weather")),
            event("llm_response", "in_progress", None),
        ] {
            apply(&mut steps, &e);
        }
        let kinds: Vec<_> = steps.iter().map(|s| (s.kind, s.name.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (StepKind::Memory, ""),
                (StepKind::Knowledge, ""),
                (StepKind::Thinking, ""),
                (StepKind::Tool, "get_weather"),
                (StepKind::Writing, ""),
            ]
        );
        assert!(steps[..4].iter().all(|s| s.done));
        assert!(!steps[4].done, "the last step is under way");
        assert!(apply(
            &mut steps,
            &event("agent_process_end", "completed", None)
        ));
        assert!(steps.iter().all(|s| s.done && !s.failed));
        assert!(!apply(
            &mut steps,
            &event("agent_process_end", "completed", None)
        ));
    }

    #[test]
    fn repeats_merge_and_unknown_types_get_readable_names() {
        let mut steps = Vec::new();
        assert!(apply(&mut steps, &event("thinking", "in_progress", None)));
        assert!(!apply(&mut steps, &event("thinking", "in_progress", None)));
        apply(
            &mut steps,
            &event("context_memory_updated", "completed", None),
        );
        apply(
            &mut steps,
            &event("artifact_create_success", "completed", None),
        );
        apply(
            &mut steps,
            &event("web_search.started", "in_progress", None),
        );
        apply(&mut steps, &event("étape", "in_progress", None));
        let kinds: Vec<_> = steps.iter().map(|s| (s.kind, s.name.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (StepKind::Thinking, ""),
                (StepKind::Memory, ""),
                (StepKind::File, ""),
                (StepKind::Other, "Web search started"),
                (StepKind::Other, "étape"),
            ]
        );
        // Two different tools are two steps; a failure is marked.
        let mut steps = Vec::new();
        apply(
            &mut steps,
            &event("tool_call_prepare", "in_progress", Some("a")),
        );
        apply(
            &mut steps,
            &event("tool_call_prepare", "in_progress", Some("b")),
        );
        apply(&mut steps, &event("tool_response", "failed", Some("b")));
        assert_eq!(steps.len(), 2);
        assert!(steps[0].done && !steps[0].failed);
        assert!(steps[1].done && steps[1].failed);
        // Nothing to show for the start alone.
        let mut steps = Vec::new();
        assert!(!apply(
            &mut steps,
            &event("agent_process_start", "started", None)
        ));
        assert!(steps.is_empty());
    }

    #[test]
    fn frames_are_read_as_events_or_not_at_all() {
        let e = ActivityEvent::from_json(
            r#"{"event_type":"tool_call_prepare","status":"in_progress","level":"info","tool_name":"get_weather","run_id":"r1","extra":[1]}"#,
        )
        .unwrap();
        assert_eq!(e.tool_name.as_deref(), Some("get_weather"));
        assert_eq!(e.run_id.as_deref(), Some("r1"));
        for bad in [
            r#"{"event_type":"#,
            "[]",
            r#"{"status":"x"}"#,
            r#"{"event_type":""}"#,
            "hello",
        ] {
            assert_eq!(ActivityEvent::from_json(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_events_path() {
        assert_eq!(events_path("agent-abc"), "/v3/events/agent-abc");
    }
}
