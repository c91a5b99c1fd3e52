//! Markdown text to the sanitized tree, block by block and incrementally as
//! a reply grows, within fixed limits. Pure Rust: pulldown-cmark events in,
//! [`Node`]s out.

use super::policy::{ImageSource, RenderPolicy};
use super::tree::{Attr, Element, Node, Tag};
// The words of buttons and notes: the widget's, in the visitor's language.
use crate::ui::i18n::{Label, Words};
use pulldown_cmark::{
    Alignment, BrokenLink, CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser,
    Tag as MdTag, TagEnd,
};
use std::ops::Range;
use unicase::UniCase;

/// Replies longer than this (bytes) are shown as plain text with a note.
pub const MAX_MARKDOWN_BYTES: usize = 256 * 1024;
/// Most nodes one reply may become; a block that would pass it is shown as
/// plain text with a note.
pub const MAX_NODES: usize = 12_000;
/// Deepest element nesting; deeper structure is flattened into its parent.
pub const MAX_DEPTH: usize = 24;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Renders a whole text at once (what the incremental renderer converges to
/// for text that arrives in one piece).
pub fn render(text: &str, policy: &RenderPolicy) -> Vec<Node> {
    let mut renderer = Renderer::new(policy.clone());
    let patch = renderer.update(text);
    patch.commit.into_iter().chain(patch.tail).collect()
}

/// What changed since the previous [`Renderer::update`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Patch {
    /// Drop everything shown so far before applying the rest.
    pub reset: bool,
    /// Newly completed blocks: append them after the kept ones; they never change.
    pub commit: Vec<Node>,
    /// The still-growing last block(s): replace the previous tail with these.
    pub tail: Vec<Node>,
}

/// Turns a growing reply into a [`Patch`] per update, at a cost proportional
/// to the text after the last completed block (plus one byte comparison of
/// the completed part, to notice a text that was replaced, not extended).
///
/// What it shows is always what rendering the same text at once shows. A
/// completed block is one the block after it has closed for good (see
/// `update`); link reference definitions are the one way later text changes
/// earlier blocks (`[x][r]` before `[r]: https://...`, or a second `[r]:`
/// that loses to the first): a new definition that would do so renders the
/// whole text again, once. Past [`MAX_MARKDOWN_BYTES`] each update rebuilds
/// the whole plain-text view (O(text), rare by construction).
#[derive(Debug)]
pub struct Renderer {
    policy: RenderPolicy,
    words: Words,
    /// Source of the committed blocks: a prefix of every later text.
    committed: String,
    committed_nodes: usize,
    /// Link reference definitions in committed text, first one per label
    /// (later ones lose). A Vec, not a map: replies define few, and a map's
    /// code costs bundle size.
    refs: Vec<Def>,
    /// What committed blocks may have taken from text not committed yet:
    /// labels no committed definition holds, and the definition the rest of
    /// the text gave each when they were committed (None: none).
    assumed: Vec<(UniCase<String>, Option<Target>)>,
    plain: bool,
    /// Tests only: commit a block as soon as its own lines are complete, a
    /// wrong boundary the equivalence tests must catch.
    #[cfg(test)]
    eager: bool,
}

/// A link reference definition: normalised label, destination, title.
type Def = (UniCase<String>, String, String);
/// What a definition gives a reference: destination and title.
type Target = (String, String);

/// What parsing the text after the committed blocks found.
struct Parsed {
    blocks: Vec<Block>,
    /// Its link reference definitions, each with where it starts.
    defs: Vec<(Def, usize)>,
    /// Labels referred to that neither it nor the committed text defines,
    /// each with where the reference is.
    missing: Vec<(UniCase<String>, usize)>,
}

impl Renderer {
    /// A renderer with English words.
    pub fn new(policy: RenderPolicy) -> Self {
        Self::with_words(policy, Words::default())
    }

    /// A renderer whose buttons and notes say `words`.
    pub fn with_words(policy: RenderPolicy, words: Words) -> Self {
        Self {
            policy,
            words,
            committed: String::new(),
            committed_nodes: 0,
            refs: Vec::new(),
            assumed: Vec::new(),
            plain: false,
            #[cfg(test)]
            eager: false,
        }
    }

    /// The patch that brings the view from the previous text to `text`.
    pub fn update(&mut self, text: &str) -> Patch {
        let mut reset = false;
        if !text.starts_with(self.committed.as_str()) {
            *self = Self::with_words(self.policy.clone(), self.words.clone());
            reset = true;
        }
        if text.len() > MAX_MARKDOWN_BYTES {
            reset |= !self.plain && !self.committed.is_empty();
            self.committed.clear();
            self.committed_nodes = 0;
            self.plain = true;
            return Patch {
                reset,
                commit: Vec::new(),
                tail: vec![plain_block(text, &self.words)],
            };
        }
        if self.plain {
            // Shorter than the limit again: a replaced text.
            *self = Self::with_words(self.policy.clone(), self.words.clone());
            reset = true;
        }
        let start = self.committed.len();
        let source = &text[start..];
        let parsed = self.parse(source);
        // A definition that changes what committed blocks show (one they
        // referred to before it came, or one that grew or went since), or
        // that differs from an earlier one of the same label (the first
        // wins, but parsed on its own the new text would use its own):
        // render everything at once again. Rare; while such a definition is
        // not committed yet, every update does it.
        let defined = |key: &UniCase<String>| {
            parsed
                .defs
                .iter()
                .find(|((k, _, _), _)| k == key)
                .map(|((_, d, t), _)| (d.clone(), t.clone()))
        };
        let changes_earlier = self.assumed.iter().any(|(key, was)| defined(key) != *was)
            || parsed.defs.iter().any(|((key, dest, title), _)| {
                self.refs
                    .iter()
                    .any(|(k, d, t)| k == key && (d != dest || t != title))
            });
        if changes_earlier {
            *self = Self::with_words(self.policy.clone(), self.words.clone());
            let mut patch = self.update(text);
            patch.reset = true;
            return patch;
        }
        let blocks = parsed.blocks;
        let mut patch = Patch {
            reset,
            ..Patch::default()
        };
        // A block is complete once the block after it starts on a complete
        // line: CommonMark closes blocks line by line and never reopens them.
        let last_newline = source.rfind('\n');
        #[cfg(test)]
        let eager = self.eager;
        #[cfg(not(test))]
        let eager = false;
        let complete = if eager {
            blocks
                .iter()
                .rposition(|b| last_newline.is_some_and(|nl| b.range.end <= nl + 1))
                .map_or(0, |i| i + 1)
        } else {
            blocks
                .iter()
                .skip(1)
                .rposition(|b| last_newline.is_some_and(|nl| nl >= b.range.start))
                .map_or(0, |i| i + 1)
        };
        let mut budget = MAX_NODES.saturating_sub(self.committed_nodes);
        let mut shown = |block: Block| -> Vec<Node> {
            let count: usize = block.nodes.iter().map(Node::count).sum();
            if block.overflow || count > budget {
                let fallback = plain_block(&source[block.range.clone()], &self.words);
                budget = budget.saturating_sub(fallback.count());
                vec![fallback]
            } else {
                budget -= count;
                block.nodes
            }
        };
        let mut iter = blocks.into_iter();
        let mut new_committed = 0;
        for block in iter.by_ref().take(complete) {
            new_committed = block.range.end;
            patch.commit.extend(shown(block));
        }
        patch.tail = iter.flat_map(&mut shown).collect();
        if complete > 0 {
            self.committed.push_str(&source[..new_committed]);
            self.committed_nodes += patch.commit.iter().map(Node::count).sum::<usize>();
            // What committed blocks may have taken from the rest: the
            // definitions still after them (all of them: which ones a block
            // used is not known), and the labels nothing defined.
            let after = parsed.defs.iter().filter(|(_, at)| *at >= new_committed);
            let undefined = parsed.missing.iter().filter(|(_, at)| *at < new_committed);
            for key in after
                .map(|((k, _, _), _)| k)
                .chain(undefined.map(|(k, _)| k))
            {
                let known = self.refs.iter().any(|(k, _, _)| k == key)
                    || self.assumed.iter().any(|(k, _)| k == key);
                if !known {
                    self.assumed.push((key.clone(), defined(key)));
                }
            }
            for (def, at) in parsed.defs {
                if at < new_committed && !self.refs.iter().any(|(k, _, _)| *k == def.0) {
                    self.refs.push(def);
                }
            }
        }
        patch
    }

    fn parse(&self, source: &str) -> Parsed {
        let refs = &self.refs;
        let mut missing = Vec::new();
        let callback = |link: BrokenLink<'_>| {
            let key = label_key(&link.reference);
            let found = refs
                .iter()
                .find(|(k, _, _)| *k == key)
                .map(|(_, dest, title)| (CowStr::from(dest.clone()), CowStr::from(title.clone())));
            if found.is_none() {
                missing.push((key, link.span.start));
            }
            found
        };
        let mut events = Parser::new_with_broken_link_callback(source, options(), Some(callback))
            .into_offset_iter();
        let mut builder = Builder::new(&self.policy, &self.words);
        for (event, range) in events.by_ref() {
            builder.event(event, range);
        }
        let defs = events
            .reference_definitions()
            .iter()
            .map(|(label, def)| {
                let title = def.title.as_deref().unwrap_or("").to_string();
                (
                    (label_key(label), def.dest.to_string(), title),
                    def.span.start,
                )
            })
            .collect();
        drop(events);
        Parsed {
            blocks: builder.blocks,
            defs,
            missing,
        }
    }
}

/// A label compared the way CommonMark matches them: whitespace runs as one
/// space, Unicode case folded. unicase is what pulldown-cmark itself folds
/// with, so its tables are in the bundle anyway; `str::to_lowercase` would
/// add core's own (about 3 KB brotli, see the README's "Size").
fn label_key(label: &str) -> UniCase<String> {
    UniCase::new(label.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `text` as one preformatted block with a note above it.
fn plain_block(text: &str, words: &Words) -> Node {
    Element::class(Tag::Div, "lc-md-plain")
        .child(Element::class(Tag::P, "lc-md-note").child(Node::text(words.get(Label::PlainNote))))
        .child(Element::new(Tag::Pre).child(Node::text(text)))
        .into()
}

/// One top-level block: its source range and what it became.
#[derive(Debug)]
struct Block {
    range: Range<usize>,
    nodes: Vec<Node>,
    /// It grew past [`MAX_NODES`] while being built.
    overflow: bool,
}

/// What an open markdown tag became.
enum Frame {
    /// An element on `Builder::open`.
    Element,
    /// A tag rendered as its children only (a refused link, too deep, ...).
    Transparent,
    /// A fenced or indented code block collecting its text.
    Code { lang: Option<String>, text: String },
    /// An image collecting its alt text.
    Image {
        source: ImageSource,
        title: String,
        alt: String,
    },
}

struct Table {
    align: Vec<Alignment>,
    column: usize,
    in_head: bool,
    body_open: bool,
}

struct Builder<'p> {
    policy: &'p RenderPolicy,
    words: &'p Words,
    frames: Vec<Frame>,
    open: Vec<Element>,
    tables: Vec<Table>,
    /// Index in `frames` of the image whose alt text is being collected.
    image: Option<usize>,
    blocks: Vec<Block>,
    current: Option<Block>,
    nodes: usize,
}

impl<'p> Builder<'p> {
    fn new(policy: &'p RenderPolicy, words: &'p Words) -> Self {
        Self {
            policy,
            words,
            frames: Vec::new(),
            open: Vec::new(),
            tables: Vec::new(),
            image: None,
            blocks: Vec::new(),
            current: None,
            nodes: 0,
        }
    }

    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        if self.frames.is_empty() {
            self.begin_block(range.clone());
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text),
            Event::Code(code) => {
                let el = Element::new(Tag::Code).child(Node::text(code.as_ref()));
                self.add(el.into());
            }
            Event::Html(html) | Event::InlineHtml(html) => self.text(&html),
            Event::InlineMath(t) | Event::DisplayMath(t) | Event::FootnoteReference(t) => {
                self.text(&t)
            }
            Event::SoftBreak => self.text("\n"),
            Event::HardBreak => self.add(Element::new(Tag::Br).into()),
            Event::Rule => self.add(Element::new(Tag::Hr).into()),
            Event::TaskListMarker(done) => {
                let mut input = Element::class(Tag::Input, "lc-md-task")
                    .attr(Attr::Type, "checkbox")
                    .attr(Attr::Disabled, "");
                if done {
                    input = input.attr(Attr::Checked, "");
                }
                self.add(input.into());
            }
        }
        if self.frames.is_empty() {
            self.end_block(range.end);
        }
    }

    fn begin_block(&mut self, range: Range<usize>) {
        if self.current.is_none() {
            self.nodes = 0;
            self.current = Some(Block {
                range,
                nodes: Vec::new(),
                overflow: false,
            });
        }
    }

    fn end_block(&mut self, end: usize) {
        if let Some(mut block) = self.current.take() {
            block.range.end = end.max(block.range.start);
            self.blocks.push(block);
        }
    }

    /// Appends `node` to the innermost open element (or the block).
    fn add(&mut self, node: Node) {
        if let Some(i) = self.image {
            if let Frame::Image { alt, .. } = &mut self.frames[i] {
                alt.push_str(&node.text_content());
            }
            return;
        }
        if let Some(Frame::Code { text, .. }) = self.frames.last_mut() {
            if let Node::Text(t) = &node {
                text.push_str(t);
            }
            return;
        }
        self.nodes += 1;
        let Some(block) = self.current.as_mut() else {
            return;
        };
        if self.nodes > MAX_NODES {
            block.overflow = true;
            return;
        }
        let children = match self.open.last_mut() {
            Some(el) => &mut el.children,
            None => &mut block.nodes,
        };
        if let (Some(Node::Text(prev)), Node::Text(t)) = (children.last_mut(), &node) {
            prev.push_str(t);
            self.nodes -= 1;
        } else {
            children.push(node);
        }
    }

    fn text(&mut self, text: &str) {
        self.add(Node::text(text));
    }

    fn push_element(&mut self, el: Element) {
        if self.open.len() >= MAX_DEPTH || self.image.is_some() {
            self.frames.push(Frame::Transparent);
        } else {
            self.open.push(el);
            self.frames.push(Frame::Element);
        }
    }

    fn start(&mut self, tag: MdTag<'_>) {
        let el = match tag {
            MdTag::Paragraph => Element::new(Tag::P),
            MdTag::Heading { level, .. } => Element::new(match level {
                HeadingLevel::H1 => Tag::H1,
                HeadingLevel::H2 => Tag::H2,
                HeadingLevel::H3 => Tag::H3,
                HeadingLevel::H4 => Tag::H4,
                HeadingLevel::H5 => Tag::H5,
                HeadingLevel::H6 => Tag::H6,
            }),
            MdTag::BlockQuote(_) => Element::new(Tag::Blockquote),
            MdTag::CodeBlock(kind) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => language(&info),
                    CodeBlockKind::Indented => None,
                };
                self.frames.push(Frame::Code {
                    lang,
                    text: String::new(),
                });
                return;
            }
            MdTag::HtmlBlock => Element::class(Tag::P, "lc-md-html"),
            MdTag::List(Some(first)) => {
                let ol = Element::new(Tag::Ol);
                if first == 1 {
                    ol
                } else {
                    ol.attr(Attr::Start, first.to_string())
                }
            }
            MdTag::List(None) => Element::new(Tag::Ul),
            MdTag::Item => Element::new(Tag::Li),
            MdTag::Table(align) => {
                self.tables.push(Table {
                    align,
                    column: 0,
                    in_head: false,
                    body_open: false,
                });
                // The wrapper scrolls a wide table instead of the bubble.
                self.push_element(Element::class(Tag::Div, "lc-md-table"));
                Element::new(Tag::Table)
            }
            MdTag::TableHead => {
                if let Some(t) = self.tables.last_mut() {
                    t.in_head = true;
                    t.column = 0;
                }
                self.push_element(Element::new(Tag::Thead));
                Element::new(Tag::Tr)
            }
            MdTag::TableRow => {
                let open_body = self.tables.last_mut().is_some_and(|t| {
                    t.column = 0;
                    !std::mem::replace(&mut t.body_open, true)
                });
                if open_body {
                    self.push_element(Element::new(Tag::Tbody));
                }
                Element::new(Tag::Tr)
            }
            MdTag::TableCell => {
                let (head, align) = match self.tables.last_mut() {
                    Some(t) => {
                        let align = t.align.get(t.column).copied().unwrap_or(Alignment::None);
                        t.column += 1;
                        (t.in_head, align)
                    }
                    None => (false, Alignment::None),
                };
                let cell = Element::new(if head { Tag::Th } else { Tag::Td });
                match align {
                    Alignment::None => cell,
                    Alignment::Left => cell.attr(Attr::Class, "lc-md-left"),
                    Alignment::Center => cell.attr(Attr::Class, "lc-md-center"),
                    Alignment::Right => cell.attr(Attr::Class, "lc-md-right"),
                }
            }
            MdTag::Emphasis => Element::new(Tag::Em),
            MdTag::Strong => Element::new(Tag::Strong),
            MdTag::Strikethrough => Element::new(Tag::Del),
            MdTag::Link {
                link_type,
                dest_url,
                title,
                ..
            } => {
                let dest = if link_type == LinkType::Email && !dest_url.contains(':') {
                    format!("mailto:{dest_url}")
                } else {
                    dest_url.to_string()
                };
                match self.policy.link_href(&dest) {
                    Some(href) => {
                        let mut a = Element::new(Tag::A)
                            .attr(Attr::Href, href)
                            .attr(Attr::Target, "_blank")
                            .attr(Attr::Rel, "noopener noreferrer nofollow");
                        if !title.is_empty() {
                            a = a.attr(Attr::Title, title.as_ref());
                        }
                        a
                    }
                    None => {
                        self.frames.push(Frame::Transparent);
                        return;
                    }
                }
            }
            MdTag::Image {
                dest_url, title, ..
            } => {
                if self.image.is_some() {
                    self.frames.push(Frame::Transparent);
                } else {
                    self.image = Some(self.frames.len());
                    self.frames.push(Frame::Image {
                        source: self.policy.image_source(&dest_url),
                        title: title.to_string(),
                        alt: String::new(),
                    });
                }
                return;
            }
            // Not enabled in `options()`; kept as their content if they appear.
            _ => {
                self.frames.push(Frame::Transparent);
                return;
            }
        };
        self.push_element(el);
    }

    fn end(&mut self, tag: TagEnd) {
        if tag == TagEnd::Table {
            if self.tables.last().is_some_and(|t| t.body_open) {
                self.close_frame(); // tbody
            }
            self.close_frame(); // table
            self.close_frame(); // wrapper
            self.tables.pop();
            return;
        }
        if tag == TagEnd::TableHead {
            self.close_frame(); // tr
            self.close_frame(); // thead
            if let Some(t) = self.tables.last_mut() {
                t.in_head = false;
            }
            return;
        }
        self.close_frame();
    }

    fn close_frame(&mut self) {
        match self.frames.pop() {
            Some(Frame::Element) => {
                if let Some(el) = self.open.pop() {
                    self.add(el.into());
                }
            }
            Some(Frame::Transparent) | None => {}
            Some(Frame::Code { lang, text }) => self.add(code_block(lang, text, self.words)),
            Some(Frame::Image { source, title, alt }) => {
                self.image = None;
                self.add(image(source, title, alt, self.words));
            }
        }
    }
}

/// The label of a fenced block's info string: its first word, from a small
/// character set, at most 24 characters.
fn language(info: &str) -> Option<String> {
    let word = info.split_whitespace().next()?;
    let lang: String = word
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '#' | '.' | '_'))
        .take(24)
        .collect();
    (!lang.is_empty()).then_some(lang)
}

fn code_block(lang: Option<String>, text: String, words: &Words) -> Node {
    let label = lang.unwrap_or_else(|| words.get(Label::Code).into());
    let bar = Element::class(Tag::Div, "lc-md-code-bar")
        .child(Element::class(Tag::Span, "lc-md-lang").child(Node::text(label)))
        .child(
            Element::class(Tag::Button, "lc-md-copy")
                .attr(Attr::Type, "button")
                .attr(Attr::AriaLabel, words.get(Label::CopyCode))
                .child(Node::text(words.get(Label::Copy))),
        );
    let pre = Element::new(Tag::Pre).child(Element::new(Tag::Code).child(Node::text(text)));
    Element::class(Tag::Div, "lc-md-code")
        .child(bar)
        .child(pre)
        .into()
}

fn image(source: ImageSource, title: String, alt: String, words: &Words) -> Node {
    match source {
        ImageSource::Direct(url) => {
            let mut img = Element::class(Tag::Img, "lc-md-img")
                .attr(Attr::Src, url)
                .attr(Attr::Alt, alt)
                .attr(Attr::Loading, "lazy")
                .attr(Attr::Referrerpolicy, "no-referrer");
            if !title.is_empty() {
                img = img.attr(Attr::Title, title);
            }
            img.into()
        }
        ImageSource::Remote { url, host } => {
            let label = if alt.is_empty() {
                words.fill(Label::ImageFrom, &[("host", &host)])
            } else {
                words.fill(Label::ImageFromAlt, &[("host", &host), ("alt", &alt)])
            };
            Element::class(Tag::Span, "lc-md-img-placeholder")
                .attr(Attr::DataSrc, url)
                .attr(Attr::Title, alt)
                .child(Element::class(Tag::Span, "lc-md-img-host").child(Node::text(label)))
                .child(
                    Element::class(Tag::Button, "lc-md-load")
                        .attr(Attr::Type, "button")
                        .child(Node::text(words.get(Label::LoadImage))),
                )
                .into()
        }
        ImageSource::Blocked => {
            let label = if alt.is_empty() {
                words.get(Label::ImageBlocked).to_string()
            } else {
                words.fill(Label::ImageBlockedAlt, &[("alt", &alt)])
            };
            Element::class(Tag::Span, "lc-md-img-blocked")
                .child(Node::text(label))
                .into()
        }
    }
}

// Native only: `cargo test -p lyzr-chat --lib` (the browser tests are in tests/).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::super::policy::normalise;
    use super::super::tree::{ALLOWED_ATTRS, ALLOWED_TAGS};
    use super::*;
    use std::time::{Duration, Instant};

    fn policy() -> RenderPolicy {
        RenderPolicy {
            page_origin: Some("http://127.0.0.1:8787".into()),
            ..RenderPolicy::default()
        }
    }

    fn html(nodes: &[Node]) -> String {
        fn walk(node: &Node, out: &mut String) {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Element(el) => {
                    out.push('<');
                    out.push_str(el.tag.name());
                    for (a, v) in &el.attrs {
                        out.push_str(&format!(" {}=\"{v}\"", a.name()));
                    }
                    out.push('>');
                    el.children.iter().for_each(|c| walk(c, out));
                    out.push_str(&format!("</{}>", el.tag.name()));
                }
            }
        }
        let mut out = String::new();
        nodes.iter().for_each(|n| walk(n, &mut out));
        out
    }

    fn md(text: &str) -> String {
        html(&render(text, &policy()))
    }

    /// Every element and attribute is allowlisted; links and sources passed the policy.
    pub(super) fn assert_allowlisted(nodes: &[Node]) {
        fn walk(node: &Node) {
            if let Node::Element(el) = node {
                assert!(ALLOWED_TAGS.contains(&el.tag.name()));
                for (a, v) in &el.attrs {
                    assert!(ALLOWED_ATTRS.contains(&a.name()));
                    if matches!(a, Attr::Href | Attr::Src | Attr::DataSrc) {
                        // What a browser would read as the scheme.
                        let lower = normalise(v).unwrap().to_ascii_lowercase();
                        for bad in ["javascript:", "vbscript:", "data:"] {
                            assert!(!lower.starts_with(bad), "{} = {v}", a.name());
                        }
                        assert_eq!(normalise(v).as_deref(), Some(v.as_str()));
                    }
                }
                el.children.iter().for_each(walk);
            }
        }
        nodes.iter().for_each(walk);
    }

    #[test]
    fn commonmark_basics_become_elements() {
        assert_eq!(
            md("# Title\n\nSome *em* and **strong**."),
            "<h1>Title</h1><p>Some <em>em</em> and <strong>strong</strong>.</p>"
        );
        assert_eq!(md("- a\n- b"), "<ul><li>a</li><li>b</li></ul>");
        assert_eq!(
            md("3. c\n4. d"),
            "<ol start=\"3\"><li>c</li><li>d</li></ol>"
        );
        assert_eq!(md("> quoted"), "<blockquote><p>quoted</p></blockquote>");
        assert_eq!(md("a `b` ~~c~~"), "<p>a <code>b</code> <del>c</del></p>");
        assert_eq!(md("a  \nb"), "<p>a<br></br>b</p>");
        assert_eq!(md("---"), "<hr></hr>");
    }

    #[test]
    fn tables_get_head_body_alignment_and_a_scroller() {
        assert_eq!(
            md("| a | b |\n|:--|--:|\n| 1 | 2 |\n| 3 | 4 |"),
            "<div class=\"lc-md-table\"><table><thead><tr><th class=\"lc-md-left\">a</th>\
             <th class=\"lc-md-right\">b</th></tr></thead><tbody><tr><td class=\"lc-md-left\">1</td>\
             <td class=\"lc-md-right\">2</td></tr><tr><td class=\"lc-md-left\">3</td>\
             <td class=\"lc-md-right\">4</td></tr></tbody></table></div>"
        );
    }

    #[test]
    fn task_lists_are_disabled_checkboxes() {
        assert_eq!(
            md("- [x] done\n- [ ] todo"),
            "<ul><li><input class=\"lc-md-task\" type=\"checkbox\" disabled=\"\" checked=\"\"></input>done</li>\
             <li><input class=\"lc-md-task\" type=\"checkbox\" disabled=\"\"></input>todo</li></ul>"
        );
    }

    #[test]
    fn code_blocks_have_a_label_and_a_copy_button() {
        let out = md("```rust title=x\nfn main() {}\n```");
        assert_eq!(
            out,
            "<div class=\"lc-md-code\"><div class=\"lc-md-code-bar\"><span class=\"lc-md-lang\">rust</span>\
             <button class=\"lc-md-copy\" type=\"button\" aria-label=\"Copy code\">Copy</button></div>\
             <pre><code>fn main() {}\n</code></pre></div>"
        );
        assert!(md("```<img/src=x>\nx\n```").contains(">imgsrcx</span>"));
    }

    #[test]
    fn raw_html_is_literal_text() {
        let nodes = render(
            "<script>alert(1)</script>\n\nhi <b onclick=x>there</b>",
            &policy(),
        );
        assert_eq!(
            html(&nodes),
            "<p class=\"lc-md-html\"><script>alert(1)</script>\n</p><p>hi <b onclick=x>there</b></p>"
        );
        // The markup survived only as text nodes.
        let Node::Element(p) = &nodes[0] else {
            panic!()
        };
        assert_eq!(p.children, vec![Node::text("<script>alert(1)</script>\n")]);
    }

    #[test]
    fn links_are_checked_and_open_in_a_new_tab() {
        assert_eq!(
            md("[x](https://a.example \"t\")"),
            "<p><a href=\"https://a.example\" target=\"_blank\" rel=\"noopener noreferrer nofollow\" \
             title=\"t\">x</a></p>"
        );
        assert_eq!(md("[x](javascript:alert(1))"), "<p>x</p>");
        assert_eq!(md("[x](&#106;avascript:alert(1))"), "<p>x</p>");
        assert_eq!(md("[x](java&#x09;script:alert(1))"), "<p>x</p>");
        assert_eq!(md("<javascript:alert(1)>"), "<p>javascript:alert(1)</p>");
        assert!(md("<a@b.example>").contains("href=\"mailto:a@b.example\""));
        assert_eq!(md("[x][r]\n\n[r]: data:text/html,hi"), "<p>x</p>");
    }

    #[test]
    fn images_show_placeholders_or_load_per_policy() {
        assert_eq!(
            md("![cat](https://evil.example/c.png?q=1)"),
            "<p><span class=\"lc-md-img-placeholder\" data-src=\"https://evil.example/c.png?q=1\" \
             title=\"cat\"><span class=\"lc-md-img-host\">Image from evil.example: cat</span>\
             <button class=\"lc-md-load\" type=\"button\">Load image</button></span></p>"
        );
        // The page's own host needs a click too, unless `imageHosts` lists it.
        assert_eq!(
            md("![a *b*](/up/a.png)"),
            "<p><span class=\"lc-md-img-placeholder\" data-src=\"/up/a.png\" title=\"a b\">\
             <span class=\"lc-md-img-host\">Image from 127.0.0.1: a b</span>\
             <button class=\"lc-md-load\" type=\"button\">Load image</button></span></p>"
        );
        let listed = RenderPolicy {
            image_hosts: vec!["127.0.0.1".into()],
            ..policy()
        };
        assert_eq!(
            html(&render("![a *b*](/up/a.png)", &listed)),
            "<p><img class=\"lc-md-img\" src=\"/up/a.png\" alt=\"a b\" loading=\"lazy\" \
             referrerpolicy=\"no-referrer\"></img></p>"
        );
        assert_eq!(
            md("![x](data:image/png;base64,AAAA)"),
            "<p><span class=\"lc-md-img-blocked\">[image blocked: x]</span></p>"
        );
        assert_eq!(
            md("[![x](javascript:a)](javascript:b)"),
            "<p><span class=\"lc-md-img-blocked\">[image blocked: x]</span></p>"
        );
    }

    #[test]
    fn growing_text_commits_finished_blocks_and_rebuilds_only_the_tail() {
        let text = "# Title\n\nFirst paragraph.\n\n- item one\n- item two\n\n```js\nlet x = 1;\n```\n\nEnd.";
        let mut r = Renderer::new(policy());
        let mut shown: Vec<Node> = Vec::new();
        let mut tail_len = 0;
        for end in (1..=text.len()).filter(|i| text.is_char_boundary(*i)) {
            let patch = r.update(&text[..end]);
            assert!(!patch.reset, "at {end}");
            shown.truncate(shown.len() - tail_len);
            shown.extend(patch.commit);
            tail_len = patch.tail.len();
            // The growing block, and the one before it while its line is partial.
            assert!(tail_len <= 2, "at {end}: {:?}", &text[..end]);
            shown.extend(patch.tail);
        }
        assert_eq!(html(&shown), md(text));
        // Everything up to the code block is final; the code block waits
        // until the line after it ("End.") is complete.
        assert!(
            r.committed.trim_end().ends_with("- item two"),
            "{:?}",
            r.committed
        );
        let patch = r.update(&format!("{text}\n"));
        assert_eq!(patch.commit.len(), 1);
        assert!(r.committed.trim_end().ends_with("```"), "{:?}", r.committed);
    }

    #[test]
    fn a_partial_line_does_not_commit_the_block_before_it() {
        let mut r = Renderer::new(policy());
        let p = r.update("para\n#");
        assert!(p.commit.is_empty(), "{p:?}");
        let p = r.update("para\n#x");
        assert_eq!(html(&p.tail), "<p>para\n#x</p>");
    }

    #[test]
    fn reference_links_resolve_from_committed_text() {
        let mut r = Renderer::new(policy());
        r.update("[r]: https://a.example\n\nfirst\n\n");
        let p = r.update("[r]: https://a.example\n\nfirst\n\nsee [it][r]\n\nmore");
        let out = html(&p.commit) + &html(&p.tail);
        assert!(out.contains("href=\"https://a.example\""), "{out}");
    }

    #[test]
    fn reference_labels_match_case_folded_and_whitespace_collapsed() {
        // CommonMark: `[ẞ]` matches `[SS]` (full case folding, which plain
        // lowercasing misses), and inner whitespace runs count as one space.
        let mut r = Renderer::new(policy());
        let defs = "[SS]: https://a.example\n\n[Foo  Bar]: https://b.example\n\nfirst\n\n";
        r.update(defs);
        let p = r.update(&format!(
            "{defs}[x][ẞ] and [y][foo\nbar] and [z][nope]\n\nmore"
        ));
        let out = html(&p.commit) + &html(&p.tail);
        assert!(out.contains("href=\"https://a.example\""), "{out}");
        assert!(out.contains("href=\"https://b.example\""), "{out}");
        assert!(
            out.contains("[z][nope]"),
            "an unknown label stays text: {out}"
        );
    }

    #[test]
    fn replaced_text_resets() {
        let mut r = Renderer::new(policy());
        r.update("one\n\ntwo\n\nthree");
        let p = r.update("other\n\ntext");
        assert!(p.reset);
        assert_eq!(html(&p.commit) + &html(&p.tail), "<p>other</p><p>text</p>");
    }

    /// Markdown whose blocks a wrong commit boundary would change: lists
    /// that turn loose or go on after a blank line, fences with blank lines
    /// and unclosed ones, tables, HTML blocks that span blank lines, setext
    /// headings, lazy quote lines, and link reference definitions that come
    /// after their use or repeat an earlier label.
    const VARIED: &[&str] = &[
        "# Title\n\nIntro with [a link][later] and [b].\n\n- one\n- two\n\n  still two\n- three\n\n```rust\nfn x() {}\n\n// blank above\n```\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n| 3 | 4 |\n\nAfter table.\n\n[later]: https://a.example/l \"T\"\n[b]: https://b.example\n\nEnd [later].",
        "- a\n- b\n\n- c\n\npara\n\n1. x\n2. y\n\n   more y\n\n3) z\n\n* p\n\n  q\n* r\n",
        "<div>\n*not md*\n\n</div>\n\n<pre>\n\nkeep\n\n</pre>\n\n<!-- c\n\n-->\n\ntext <b>bold</b>\n",
        "Heading\n===\n\npara\nSub\n---\n\n> quote\nlazy\n\n>  more\n\n    indented code\n\n    more code\n\nend\n",
        "[x]: https://first.example\n\nuse [x] here\n\n[x]: https://second.example\n\nand [x] again\n\n[y]: https://y.example\n\n[y]: https://y.example\n\n[y]\n",
        "See [ẞ] and [foo\nbar][].\n\nMiddle\n\n[SS]: https://ss.example\n[Foo Bar]: <https://fb.example> 'title'\n\nAfter [ss].\n",
        "~~~\ncode\n\n~~~\n\n````md\n```\ninner\n```\n````\n\ntext\n\n```\nunclosed\n\nstill code",
        "- [ ] todo\n- [x] done\n\n![img](https://img.example/a.png) *em\nphasis* **strong**\n\n---\n\n***\n\n<https://auto.example> and a@b.example\n",
        "1. step\n\n   ```sh\n   run\n\n   more\n   ```\n\n2. next\n- other list\n\n> - quoted list\n>\n>   goes on\n\nout\n",
        "| h |\n|---|\n\n| h1 | h2 |\n| -- | -- |\n| a | b |\ntext after table row\n\npara\n",
        "&amp; &copy; \\*not em\\*\n\n&#106;avascript [j](javascript:x)\n\nline  \nbreak\\\nnext\n\n[late]\n\n[late]: javascript:alert(1)\n",
    ];

    /// Applies a patch to what is shown, as the DOM layer does.
    fn apply(shown: &mut Vec<Node>, tail: &mut usize, patch: Patch) {
        if patch.reset {
            shown.clear();
            *tail = 0;
        }
        shown.truncate(shown.len() - *tail);
        shown.extend(patch.commit);
        *tail = patch.tail.len();
        shown.extend(patch.tail);
    }

    /// Feeds `text` cut at `ends` (ascending) to `r`; after every piece what
    /// is shown must be what rendering that much text at once shows. The
    /// first difference, if any.
    fn first_difference(mut r: Renderer, text: &str, ends: &[usize]) -> Option<String> {
        let (mut shown, mut tail) = (Vec::new(), 0);
        for &end in ends {
            apply(&mut shown, &mut tail, r.update(&text[..end]));
            let whole = render(&text[..end], &policy());
            if shown != whole {
                return Some(format!(
                    "after {:?}:\n  pieces: {}\n  at once: {}",
                    &text[..end],
                    html(&shown),
                    html(&whole)
                ));
            }
        }
        None
    }

    fn cuts(text: &str) -> impl Iterator<Item = usize> + '_ {
        (0..=text.len()).filter(|i| text.is_char_boundary(*i))
    }

    #[test]
    fn pieces_render_exactly_as_the_whole_text_at_every_cut() {
        for text in VARIED {
            for cut in cuts(text) {
                let r = Renderer::new(policy());
                if let Some(diff) = first_difference(r, text, &[cut, text.len()]) {
                    panic!("cut at {cut} of {text:?}: {diff}");
                }
            }
        }
    }

    #[test]
    fn growing_text_renders_exactly_as_each_prefix_at_once() {
        for text in VARIED {
            for step in [1, 2, 3, 5, 8, 13] {
                let mut ends: Vec<usize> = cuts(text).step_by(step).collect();
                ends.push(text.len());
                if let Some(diff) = first_difference(Renderer::new(policy()), text, &ends) {
                    panic!("step {step} of {text:?}: {diff}");
                }
            }
        }
    }

    #[test]
    fn the_equivalence_check_catches_a_wrong_boundary() {
        // Committing a block as soon as a newline follows it would close a
        // list before its next item, or a code fence at a blank line.
        let mut caught = Vec::new();
        for (i, text) in VARIED.iter().enumerate() {
            let ends: Vec<usize> = cuts(text).collect();
            let mut r = Renderer::new(policy());
            r.eager = true;
            if first_difference(r, text, &ends).is_some() {
                caught.push(i);
            }
        }
        // Lists (1), HTML blocks (2), fences (6), a fence in a list (8), and
        // nearly every other text: each would fail the two tests above.
        assert!(
            caught.len() >= VARIED.len() - 2 && [1, 2, 6, 8].iter().all(|i| caught.contains(i)),
            "caught only {caught:?}"
        );
    }

    #[test]
    fn a_later_definition_fixes_an_earlier_reference_once() {
        let mut r = Renderer::new(policy());
        let first = "Use [r] here.\n\nmore\n\nand more\n\n";
        let p = r.update(first);
        assert!(!html(&p.commit).contains("href"), "{p:?}");
        assert!(!r.committed.is_empty());
        let text = format!("{first}[r]: https://r.example\n");
        let p = r.update(&text);
        assert!(p.reset, "the committed reference changes: {p:?}");
        assert!(html(&p.commit).contains("href=\"https://r.example\""));
        // Once committed, no further resets.
        let text = format!("{text}\nend\n\nafter\n");
        let p = r.update(&text);
        assert!(!p.reset, "{p:?}");
    }

    fn timed(text: &str) -> (Vec<Node>, Duration) {
        let start = Instant::now();
        let nodes = render(text, &policy());
        (nodes, start.elapsed())
    }

    #[test]
    fn pathological_nesting_is_flattened_in_bounded_time() {
        for unit in ["> ", "- ", "1. ", "* > "] {
            let text = unit.repeat(100_000) + "deep";
            let (nodes, took) = timed(&text);
            assert!(took < Duration::from_secs(5), "{unit:?}: {took:?}");
            assert!(nodes.iter().map(Node::count).sum::<usize>() <= MAX_NODES + 10);
            assert!(depth(&nodes) <= MAX_DEPTH + 3, "{unit:?}");
            assert!(nodes
                .iter()
                .map(Node::text_content)
                .collect::<String>()
                .contains("deep"));
        }
    }

    fn depth(nodes: &[Node]) -> usize {
        nodes
            .iter()
            .map(|n| match n {
                Node::Text(_) => 0,
                Node::Element(el) => 1 + depth(&el.children),
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn huge_texts_and_tables_degrade_to_plain_text_with_a_note() {
        let big = "word ".repeat(250_000);
        let (nodes, took) = timed(&big);
        assert!(took < Duration::from_secs(2), "{took:?}");
        assert_eq!(nodes.len(), 1);
        assert!(nodes[0]
            .text_content()
            .starts_with(Words::default().get(Label::PlainNote)));

        let mut table = String::from("| a | b | c |\n|---|---|---|\n");
        for i in 0..10_000 {
            table.push_str(&format!("| {i} | x | y |\n"));
        }
        let (nodes, took) = timed(&table);
        assert!(took < Duration::from_secs(5), "{took:?}");
        assert_eq!(nodes.len(), 1);
        let text = nodes[0].text_content();
        assert!(
            text.starts_with(Words::default().get(Label::PlainNote))
                && text.contains("| 9999 | x | y |")
        );
    }

    #[test]
    fn node_budget_spans_the_whole_reply() {
        let para = "- x\n".repeat(3000) + "\n";
        let text = format!("{para}para\n\n{para}para\n\n{para}para\n\n{para}end");
        let nodes = render(&text, &policy());
        assert!(nodes.iter().map(Node::count).sum::<usize>() <= MAX_NODES + 10);
        assert!(nodes.iter().any(|n| n
            .text_content()
            .starts_with(Words::default().get(Label::PlainNote))));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn markdownish() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("# ".to_string()),
                Just("> ".to_string()),
                Just("- ".to_string()),
                Just("1. ".to_string()),
                Just("```".to_string()),
                Just("|".to_string()),
                Just("---".to_string()),
                Just("\n".to_string()),
                Just("\n\n".to_string()),
                Just("    ".to_string()),
                Just("[x](".to_string()),
                Just("![i](".to_string()),
                Just(")".to_string()),
                Just("]: ".to_string()),
                Just("<".to_string()),
                Just(">".to_string()),
                Just("javascript:".to_string()),
                Just("java\tscript:".to_string()),
                Just("&#106;".to_string()),
                Just("data:".to_string()),
                Just("https://h.example/".to_string()),
                Just("//h.example/".to_string()),
                Just(" onerror=".to_string()),
                Just("<img src=x onerror=alert(1)>".to_string()),
                Just("<svg onload=alert(1)>".to_string()),
                Just("*".to_string()),
                Just("~~".to_string()),
                Just("`".to_string()),
                Just("[ ] ".to_string()),
                "[a-z0-9 :/\"'=]{0,8}",
                any::<char>().prop_map(String::from),
            ];
            prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(400))]

            #[test]
            fn never_panics_stays_allowlisted_and_bounded(text in markdownish()) {
                let start = Instant::now();
                let nodes = render(&text, &policy());
                prop_assert!(start.elapsed() < Duration::from_secs(1));
                assert_allowlisted(&nodes);
                prop_assert!(nodes.iter().map(Node::count).sum::<usize>() <= MAX_NODES + 10);
            }

            #[test]
            fn streaming_in_pieces_is_safe_and_bounded(text in markdownish(), cuts in prop::collection::vec(0usize..400, 0..12)) {
                let mut r = Renderer::new(policy());
                let mut ends: Vec<usize> = cuts.into_iter().map(|c| c.min(text.len())).collect();
                ends.push(text.len());
                ends.sort_unstable();
                let (mut shown, mut tail) = (Vec::new(), 0);
                for end in ends.into_iter().filter(|e| text.is_char_boundary(*e)) {
                    let patch = r.update(&text[..end]);
                    assert_allowlisted(&patch.commit);
                    assert_allowlisted(&patch.tail);
                    apply(&mut shown, &mut tail, patch);
                    prop_assert_eq!(html(&shown), html(&render(&text[..end], &policy())));
                }
            }
        }
    }
}
