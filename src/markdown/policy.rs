//! Which link and image URLs an agent reply may use: normalising a URL the way
//! a browser would read it, then checking its scheme and host. Pure Rust.

/// The rules a reply's links and images are held to. Built from the host
/// page's options (`linkSchemes`, `imageHosts`); the defaults are safe.
///
/// ```
/// use lyzr_chat::markdown::{ImageSource, RenderPolicy};
/// let policy = RenderPolicy::default();
/// assert_eq!(policy.link_href(" HTTPS://example.com"), Some("HTTPS://example.com".into()));
/// assert_eq!(policy.link_href("java\tscript:alert(1)"), None);
/// assert!(matches!(policy.image_source("https://cdn.example.com/a.png"), ImageSource::Remote { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderPolicy {
    /// Schemes a link may use, without `:` (compared in any case).
    pub link_schemes: Vec<String>,
    /// Hosts whose images load without a click: `cdn.example.com`, or
    /// `*.example.com` for every subdomain. The page's own host is no
    /// exception: an image there is a request carrying the visitor's cookies
    /// (`![x](/account/delete?confirm=1)`), so it needs a click unless listed.
    pub image_hosts: Vec<String>,
    /// The page's origin (`https://shop.example.com`), which names the host
    /// of relative image URLs. Filled in by the DOM layer.
    pub page_origin: Option<String>,
}

/// The schemes links may use unless the host page says otherwise.
pub const DEFAULT_LINK_SCHEMES: &[&str] = &["https", "http", "mailto"];

/// Schemes no configuration can allow: they run code or carry content.
pub const FORBIDDEN_SCHEMES: &[&str] = &["javascript", "vbscript", "data", "file", "blob"];

impl Default for RenderPolicy {
    fn default() -> Self {
        Self {
            link_schemes: DEFAULT_LINK_SCHEMES.iter().map(|s| s.to_string()).collect(),
            image_hosts: Vec::new(),
            page_origin: None,
        }
    }
}

/// What to do with an image's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// `blob:`, or a host listed in `imageHosts`: load it.
    Direct(String),
    /// Any other host, the page's own included: show a placeholder naming
    /// `host`; load only on a click.
    Remote { url: String, host: String },
    /// Any other scheme (`data:`, `javascript:`, ...): never load it.
    Blocked,
}

impl RenderPolicy {
    /// The `href` to use for a link, or `None` when the link must be shown
    /// as plain text. Relative URLs resolve to the page's own http(s) scheme
    /// and are allowed.
    pub fn link_href(&self, raw: &str) -> Option<String> {
        let url = normalise(raw)?;
        match scheme_of(&url) {
            Scheme::Named(scheme) => self
                .link_schemes
                .iter()
                .any(|allowed| allowed.trim_end_matches(':').eq_ignore_ascii_case(&scheme))
                .then_some(url),
            Scheme::Relative => Some(url),
            Scheme::Ambiguous => None,
        }
    }

    /// How to show an image whose markdown URL is `raw`.
    pub fn image_source(&self, raw: &str) -> ImageSource {
        let Some(url) = normalise(raw) else {
            return ImageSource::Blocked;
        };
        match scheme_of(&url) {
            Scheme::Named(scheme) if scheme == "blob" => ImageSource::Direct(url),
            Scheme::Named(scheme) if scheme == "http" || scheme == "https" => {
                let rest = &url[scheme.len() + 1..];
                self.network_image(&url, rest)
            }
            Scheme::Named(_) | Scheme::Ambiguous => ImageSource::Blocked,
            Scheme::Relative => {
                let slashes = url.chars().take_while(|c| *c == '/' || *c == '\\').count();
                if slashes >= 2 {
                    // `//host/x.png` takes the page's scheme but another host.
                    self.network_image(&url, &url)
                } else {
                    let page_host = self
                        .page_origin
                        .as_deref()
                        .and_then(|origin| origin.split_once("://"))
                        .and_then(|(_, rest)| authority(rest))
                        .map(|(host, _)| host);
                    self.listed_or_placeholder(url, page_host)
                }
            }
        }
    }

    fn network_image(&self, url: &str, after_scheme: &str) -> ImageSource {
        match authority(after_scheme) {
            Some((host, _port)) => self.listed_or_placeholder(url.to_string(), Some(host)),
            None => ImageSource::Blocked,
        }
    }

    /// `Direct` when `host` is in `imageHosts`, else a placeholder naming it
    /// (`this site` for a relative URL on a page of unknown origin).
    fn listed_or_placeholder(&self, url: String, host: Option<String>) -> ImageSource {
        match host {
            Some(host) if self.image_hosts.iter().any(|h| host_matches(h, &host)) => {
                ImageSource::Direct(url)
            }
            host => ImageSource::Remote {
                url,
                host: host.unwrap_or_else(|| "this site".to_string()),
            },
        }
    }
}

/// A URL as a browser reads it: surrounding spaces and control characters
/// dropped, tabs and newlines removed everywhere. `None` when other control
/// characters remain (no honest URL has them).
pub fn normalise(raw: &str) -> Option<String> {
    let trimmed = raw.trim_matches(|c: char| c <= ' ' || c == '\u{7f}');
    let url: String = trimmed
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if url.chars().any(|c| c.is_control()) {
        return None;
    }
    Some(url)
}

enum Scheme {
    /// A valid scheme, lowercased.
    Named(String),
    /// No scheme: a path, query or fragment on the page's own origin.
    Relative,
    /// A `:` before any `/`, `?` or `#` that is not a valid scheme; refused
    /// rather than guessing how some browser would read it.
    Ambiguous,
}

fn scheme_of(url: &str) -> Scheme {
    let end = url.find(['/', '?', '#', '\\']).unwrap_or(url.len());
    let Some(colon) = url[..end].find(':') else {
        return Scheme::Relative;
    };
    let name = &url[..colon];
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if valid {
        Scheme::Named(name.to_ascii_lowercase())
    } else {
        Scheme::Ambiguous
    }
}

/// Host (lowercase) and port of `//user@host:port/...`.
fn authority(after_scheme: &str) -> Option<(String, Option<&str>)> {
    let rest = after_scheme.trim_start_matches(['/', '\\']);
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if let Some(stripped) = host_port.strip_prefix('[') {
        let close = stripped.find(']')?;
        let port = stripped[close + 1..].strip_prefix(':');
        (&host_port[..close + 2], port)
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some((host, port.filter(|p| !p.is_empty())))
}

/// `pattern` is `host` or `*.domain` (any subdomain of `domain`).
pub fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(domain) => host
            .strip_suffix(domain)
            .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1),
        None => pattern == host,
    }
}

// Native only: `cargo test -p lyzr-chat --lib` (the browser tests are in tests/).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn policy() -> RenderPolicy {
        RenderPolicy {
            image_hosts: vec!["img.example.com".into(), "*.cdn.example".into()],
            page_origin: Some("http://127.0.0.1:8787".into()),
            ..RenderPolicy::default()
        }
    }

    #[test]
    fn allowed_link_schemes_pass_in_any_case() {
        let p = policy();
        for url in [
            "https://a.example/x",
            "HTTP://a.example",
            "mailto:a@b.example",
            "/relative/path",
            "page.html#frag",
            "?q=1",
            "#top",
        ] {
            assert!(p.link_href(url).is_some(), "{url}");
        }
    }

    #[test]
    fn code_running_and_tricked_schemes_are_refused() {
        let p = policy();
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\u{1}javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "java\rscript:alert(1)",
            "javascript\t:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html,<script>alert(1)</script>",
            "DATA:text/html;base64,PHNjcmlwdD4=",
            "java\u{0}script:alert(1)",
            "java\u{200b}script:alert(1)",
            "file:///etc/passwd",
            "ftp://a.example",
            "%6Aavascript:alert(1)",
        ] {
            assert_eq!(p.link_href(url), None, "{url:?}");
        }
    }

    #[test]
    fn the_href_is_the_normalised_url() {
        assert_eq!(
            policy().link_href("  https://a.example/\tx\n "),
            Some("https://a.example/x".into())
        );
    }

    #[test]
    fn configured_schemes_replace_the_defaults() {
        let p = RenderPolicy {
            link_schemes: vec!["https".into()],
            ..RenderPolicy::default()
        };
        assert!(p.link_href("https://a.example").is_some());
        assert_eq!(p.link_href("http://a.example"), None);
        assert_eq!(p.link_href("mailto:a@b.example"), None);
    }

    #[test]
    fn images_from_other_hosts_wait_for_a_click() {
        let p = policy();
        assert_eq!(
            p.image_source("https://evil.example/x.png?data=secret"),
            ImageSource::Remote {
                url: "https://evil.example/x.png?data=secret".into(),
                host: "evil.example".into()
            }
        );
        for (url, host) in [
            ("//evil.example/x.png", "evil.example"),
            ("\\\\evil.example\\x.png", "evil.example"),
            ("https://user:pw@EVIL.example:444/x", "evil.example"),
            ("http://localhost:8787/x.png", "localhost"),
            ("http://127.0.0.1:9999/x.png", "127.0.0.1"),
            (
                "https://img.example.com.evil.example/x",
                "img.example.com.evil.example",
            ),
            ("https://cdn.example/x", "cdn.example"),
            ("https://[::1]:8787/x", "[::1]"),
        ] {
            match p.image_source(url) {
                ImageSource::Remote { host: h, .. } => assert_eq!(h, host, "{url}"),
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[test]
    fn blob_and_allowlisted_images_load() {
        let p = policy();
        for url in [
            "blob:http://127.0.0.1:8787/1234",
            "https://img.example.com/a.png",
            "https://IMG.example.com./a.png",
            "https://a.cdn.example/a.png",
            "https://a.b.cdn.example/a.png",
        ] {
            assert!(
                matches!(p.image_source(url), ImageSource::Direct(_)),
                "{url}"
            );
        }
    }

    #[test]
    fn images_from_the_page_s_own_origin_wait_for_a_click_unless_listed() {
        // An image is a GET with the visitor's cookies: on the page's own
        // host it could act on their account.
        let p = policy();
        for url in [
            "/account/delete?confirm=1",
            "a.png",
            "http://127.0.0.1:8787/a.png",
        ] {
            assert_eq!(
                p.image_source(url),
                ImageSource::Remote {
                    url: url.into(),
                    host: "127.0.0.1".into()
                },
                "{url}"
            );
        }
        let unknown_page = RenderPolicy::default();
        assert_eq!(
            unknown_page.image_source("/a.png"),
            ImageSource::Remote {
                url: "/a.png".into(),
                host: "this site".into()
            }
        );
        let listed = RenderPolicy {
            image_hosts: vec!["127.0.0.1".into()],
            ..policy()
        };
        for url in [
            "/account/avatar.png",
            "a.png",
            "http://127.0.0.1:8787/a.png",
        ] {
            assert_eq!(listed.image_source(url), ImageSource::Direct(url.into()));
        }
    }

    #[test]
    fn link_schemes_match_in_any_case() {
        let p = RenderPolicy {
            link_schemes: vec!["HTTPS".into(), "Mailto:".into()],
            ..RenderPolicy::default()
        };
        assert_eq!(
            p.link_href("https://a.example"),
            Some("https://a.example".into())
        );
        assert!(p.link_href("HTTPS://a.example").is_some());
        assert!(p.link_href("mailto:a@b.example").is_some());
        assert_eq!(p.link_href("http://a.example"), None);
    }

    #[test]
    fn data_and_script_images_are_blocked() {
        let p = policy();
        for url in [
            "data:image/svg+xml,<svg onload=alert(1)>",
            "javascript:alert(1)",
            "vbscript:x",
            "file:///x.png",
            "https://",
            "ja\u{0}vascript:x",
        ] {
            assert_eq!(p.image_source(url), ImageSource::Blocked, "{url:?}");
        }
    }

    #[test]
    fn wildcard_hosts_need_a_subdomain() {
        assert!(host_matches("*.cdn.example", "a.cdn.example"));
        assert!(!host_matches("*.cdn.example", "cdn.example"));
        assert!(!host_matches("*.cdn.example", "evilcdn.example"));
        assert!(host_matches("cdn.example", "cdn.example"));
    }
}
