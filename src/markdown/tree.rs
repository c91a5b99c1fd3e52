//! The sanitized tree a reply becomes: only allowlisted elements and
//! attributes (closed enums), and text. Pure Rust, no DOM.

/// Every element a reply can contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    P,
    H1,
    H2,
    H3,
    H4,
    H5,
    H6,
    Blockquote,
    Ul,
    Ol,
    Li,
    Hr,
    Br,
    Em,
    Strong,
    Del,
    Code,
    Pre,
    A,
    Img,
    Table,
    Thead,
    Tbody,
    Tr,
    Th,
    Td,
    Input,
    Div,
    Span,
    Button,
}

/// Every element name the renderer may create, for tests and audits.
pub const ALLOWED_TAGS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "ul",
    "ol",
    "li",
    "hr",
    "br",
    "em",
    "strong",
    "del",
    "code",
    "pre",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "input",
    "div",
    "span",
    "button",
];

impl Tag {
    /// The element's name in the DOM.
    pub fn name(self) -> &'static str {
        match self {
            Tag::P => "p",
            Tag::H1 => "h1",
            Tag::H2 => "h2",
            Tag::H3 => "h3",
            Tag::H4 => "h4",
            Tag::H5 => "h5",
            Tag::H6 => "h6",
            Tag::Blockquote => "blockquote",
            Tag::Ul => "ul",
            Tag::Ol => "ol",
            Tag::Li => "li",
            Tag::Hr => "hr",
            Tag::Br => "br",
            Tag::Em => "em",
            Tag::Strong => "strong",
            Tag::Del => "del",
            Tag::Code => "code",
            Tag::Pre => "pre",
            Tag::A => "a",
            Tag::Img => "img",
            Tag::Table => "table",
            Tag::Thead => "thead",
            Tag::Tbody => "tbody",
            Tag::Tr => "tr",
            Tag::Th => "th",
            Tag::Td => "td",
            Tag::Input => "input",
            Tag::Div => "div",
            Tag::Span => "span",
            Tag::Button => "button",
        }
    }
}

/// Every attribute a reply's elements can carry. Values of `Href` and `Src`
/// have passed [`super::RenderPolicy`]; `DataSrc` holds a remote image's
/// URL (http or https) until the visitor clicks to load it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    Class,
    Href,
    Target,
    Rel,
    Title,
    Src,
    Alt,
    Start,
    Type,
    Checked,
    Disabled,
    DataSrc,
    AriaLabel,
    Loading,
    Referrerpolicy,
}

/// Every attribute name the renderer may set, for tests and audits.
pub const ALLOWED_ATTRS: &[&str] = &[
    "class",
    "href",
    "target",
    "rel",
    "title",
    "src",
    "alt",
    "start",
    "type",
    "checked",
    "disabled",
    "data-src",
    "aria-label",
    "loading",
    "referrerpolicy",
];

impl Attr {
    /// The attribute's name in the DOM.
    pub fn name(self) -> &'static str {
        match self {
            Attr::Class => "class",
            Attr::Href => "href",
            Attr::Target => "target",
            Attr::Rel => "rel",
            Attr::Title => "title",
            Attr::Src => "src",
            Attr::Alt => "alt",
            Attr::Start => "start",
            Attr::Type => "type",
            Attr::Checked => "checked",
            Attr::Disabled => "disabled",
            Attr::DataSrc => "data-src",
            Attr::AriaLabel => "aria-label",
            Attr::Loading => "loading",
            Attr::Referrerpolicy => "referrerpolicy",
        }
    }
}

/// An element with its attributes and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub tag: Tag,
    pub attrs: Vec<(Attr, String)>,
    pub children: Vec<Node>,
}

/// A node of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    pub fn new(tag: Tag) -> Self {
        Self {
            tag,
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    pub fn class(tag: Tag, class: &str) -> Self {
        Self::new(tag).attr(Attr::Class, class)
    }

    pub fn attr(mut self, attr: Attr, value: impl Into<String>) -> Self {
        self.attrs.push((attr, value.into()));
        self
    }

    pub fn child(mut self, node: impl Into<Node>) -> Self {
        self.children.push(node.into());
        self
    }

    /// The value of `attr`, if set.
    pub fn get(&self, attr: Attr) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| *a == attr)
            .map(|(_, v)| v.as_str())
    }
}

impl From<Element> for Node {
    fn from(el: Element) -> Self {
        Node::Element(el)
    }
}

impl Node {
    pub fn text(text: impl Into<String>) -> Self {
        Node::Text(text.into())
    }

    /// Number of nodes in this subtree, itself included.
    pub fn count(&self) -> usize {
        match self {
            Node::Text(_) => 1,
            Node::Element(el) => 1 + el.children.iter().map(Node::count).sum::<usize>(),
        }
    }

    /// All text in this subtree, in order.
    pub fn text_content(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        match self {
            Node::Text(t) => out.push_str(t),
            Node::Element(el) => el.children.iter().for_each(|c| c.collect_text(out)),
        }
    }
}

// Native only: `cargo test -p lyzr-chat --lib` (the browser tests are in tests/).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_published_allowlists() {
        let tags = [
            Tag::P,
            Tag::H1,
            Tag::H2,
            Tag::H3,
            Tag::H4,
            Tag::H5,
            Tag::H6,
            Tag::Blockquote,
            Tag::Ul,
            Tag::Ol,
            Tag::Li,
            Tag::Hr,
            Tag::Br,
            Tag::Em,
            Tag::Strong,
            Tag::Del,
            Tag::Code,
            Tag::Pre,
            Tag::A,
            Tag::Img,
            Tag::Table,
            Tag::Thead,
            Tag::Tbody,
            Tag::Tr,
            Tag::Th,
            Tag::Td,
            Tag::Input,
            Tag::Div,
            Tag::Span,
            Tag::Button,
        ];
        let names: Vec<_> = tags.iter().map(|t| t.name()).collect();
        assert_eq!(names, ALLOWED_TAGS);
        for name in ALLOWED_ATTRS {
            assert!(!name.starts_with("on"), "{name}");
            assert!(!matches!(*name, "style" | "formaction" | "action"));
        }
    }
}
