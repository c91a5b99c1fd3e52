//! What a screen reader is told: a finished answer once, in full (never
//! token by token as it streams), and the banners (retrying, offline),
//! through one polite live region that stays in the panel from the start
//! (a region added together with its text is often not read).

use crate::markdown::{render, Node, RenderPolicy, Tag};
use crate::state::ChatState;
use leptos::prelude::*;

/// The words of an answer as a screen reader should hear them: its
/// markdown's text, blocks apart, without the Copy buttons of code blocks.
pub fn spoken(text: &str, policy: &RenderPolicy) -> String {
    fn walk(node: &Node, out: &mut String) {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Element(el) if el.tag == Tag::Button => {}
            Node::Element(el) => {
                el.children.iter().for_each(|c| walk(c, out));
                if !matches!(
                    el.tag,
                    Tag::Em | Tag::Strong | Tag::Del | Tag::Code | Tag::A | Tag::Span
                ) {
                    out.push(' ');
                }
            }
        }
    }
    let mut out = String::new();
    render(text, policy).iter().for_each(|n| walk(n, &mut out));
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The live region. `banner` is the panel's banner text, if any.
#[component]
pub fn Announcer(state: ChatState, banner: impl Fn() -> Option<String> + 'static) -> impl IntoView {
    let said = RwSignal::new(String::new());
    let say = move |text: String| {
        if text.is_empty() || !state.open.get_untracked() {
            return;
        }
        // The same words again are a new announcement: make the text differ.
        let text = if said.with_untracked(|s| *s == text) {
            text + "\u{a0}"
        } else {
            text
        };
        said.set(text);
    };
    let policy = use_context::<RenderPolicy>().unwrap_or_default();
    Effect::new(move |_| {
        // Only a new answer: not the same one again as it is marked read.
        let id = state.answered.get();
        if let Some(message) = id.and_then(|id| untrack(|| state.message(id))) {
            say(spoken(&message.text, &policy));
        }
    });
    Effect::new(move |before: Option<Option<String>>| {
        let now = banner();
        if let Some(text) = now.clone().filter(|_| before.flatten() != now) {
            say(text);
        }
        now
    });
    view! { <div class="lc-sr" role="status">{move || said.get()}</div> }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_spoken_as_text_blocks_apart() {
        let policy = RenderPolicy::default();
        assert_eq!(
            spoken(
                "# Plan\n\nFirst **do** this, then `that`.\n\n- one\n- two",
                &policy
            ),
            "Plan First do this, then that. one two"
        );
        let code = spoken("Run:\n\n```sh\nls -la\n```", &policy);
        assert!(code.contains("ls -la"), "{code}");
        assert!(
            !code.contains("Copy"),
            "a code block's button is not read: {code}"
        );
    }
}
