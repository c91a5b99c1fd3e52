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

/// The live region: says each new finished answer, and each new banner.
pub fn announcer(state: ChatState) -> impl IntoView {
    let region: NodeRef<leptos::html::Div> = NodeRef::new();
    let banner = super::messages::banner(state, use_context().unwrap_or_default());
    let policy = use_context::<RenderPolicy>().unwrap_or_default();
    // What was said last: (the answer's id, the banner).
    let mut before: Option<(u64, Option<(String, bool)>)> = None;
    let say = move |text: String| {
        let Some(el) = region.try_get_untracked().flatten() else {
            return;
        };
        if state.open.try_get_untracked() == Some(true) && !text.is_empty() {
            // The same words again are a new announcement: make them differ.
            let same = el.text_content().as_deref() == Some(text.as_str());
            el.set_text_content(Some(&if same { text + "\u{a0}" } else { text }));
        }
    };
    super::effect(move || {
        let now = (state.answered.get(), banner());
        match &before {
            // Only a new answer: not the same one again as it is marked read.
            Some((answered, _)) if *answered != now.0 => {
                // Its words are found, and laid out in the region, after the
                // frame that shows the finished answer: a long answer's
                // (tens of KB) would make that frame a long one.
                let (id, policy) = (now.0, policy.clone());
                request_animation_frame(move || {
                    set_timeout(
                        move || {
                            let Some(m) = state.message(id) else { return };
                            // The renderer has drawn the answer, so it is
                            // there (a chunk that failed to load: the text
                            // as it came).
                            say(match crate::markdown::lazy::loaded() {
                                Some(api) => (api.spoken)(&m.text, &policy),
                                None => m.text,
                            });
                        },
                        std::time::Duration::ZERO,
                    )
                });
            }
            Some((_, shown)) if *shown != now.1 => {
                if let Some((text, _)) = now.1.clone() {
                    say(text);
                }
            }
            _ => {}
        }
        before = Some(now);
    });
    view! { <div class="lc-sr" role="status" node_ref=region></div> }
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
