//! CORS for the proxy: the exact-match origin allowlist (the gate), and
//! tower-http's `CorsLayer` for the preflight answer and the headers that
//! let an allowed page read a response.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowMethods, AllowOrigin, CorsLayer};

/// Request headers a page may send (the widget sends the first two; the
/// widget key travels in `x-api-key`).
pub const ALLOWED_HEADERS: [&str; 3] = ["content-type", "x-api-key", "accept"];
/// Response headers a page may read.
pub const EXPOSED_HEADERS: [&str; 2] = ["retry-after", "x-request-id"];
/// How long a browser may cache a preflight answer.
pub const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// Turns a configured origin into the form browsers send (`https://host[:port]`,
/// lowercase, default port dropped); refuses `null`, `*`, paths and queries.
pub fn normalize_origin(origin: &str) -> Result<String, String> {
    let o = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let bad = |why: &str| {
        Err(format!(
            "--allow-origin {origin:?} {why}: give it as the browser sends it, e.g. https://example.com"
        ))
    };
    if o == "null" || o.contains('*') {
        return bad("is not allowed (no wildcards, no `null`)");
    }
    let (scheme, rest) = match o.split_once("://") {
        Some((s @ ("http" | "https"), rest)) => (s, rest),
        _ => return bad("must start with https:// or http://"),
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return bad("must be scheme and host only (no path, query or user)");
    }
    let rest = match (scheme, rest.rsplit_once(':')) {
        ("https", Some((host, "443"))) | ("http", Some((host, "80"))) => host.to_string(),
        _ => rest.to_string(),
    };
    Ok(format!("{scheme}://{rest}"))
}

/// The outcome of checking a request's `Origin` header.
pub enum OriginCheck {
    /// In the allowlist: echo this exact value back.
    Allowed(HeaderValue),
    /// No `Origin` header (not a browser page, or a same-origin GET).
    Missing,
    /// Present but not allowed.
    Refused(String),
}

/// Exact, byte-for-byte comparison with the configured origins.
pub fn check(headers: &HeaderMap, allowed: &[String]) -> OriginCheck {
    let Some(value) = headers.get(header::ORIGIN) else {
        return OriginCheck::Missing;
    };
    let text = value.to_str().unwrap_or("");
    if allowed.iter().any(|a| a == text) {
        OriginCheck::Allowed(value.clone())
    } else {
        OriginCheck::Refused(text.chars().take(200).collect())
    }
}

/// tower-http's `CorsLayer` for calls taking `method`, behind the origin
/// gate: the CORS headers on every answer to an allowed origin, and the
/// preflight answer (the call's one method, [`ALLOWED_HEADERS`],
/// [`PREFLIGHT_MAX_AGE`]). The gate has refused every other origin first;
/// the list here is the same, so a request that slipped past would get no
/// `Access-Control-Allow-Origin`.
pub fn cors_layer(allowed: &[String], method: Method) -> CorsLayer {
    let origins: Vec<HeaderValue> = allowed
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods(AllowMethods::exact(method))
        .allow_headers(ALLOWED_HEADERS.map(HeaderName::from_static))
        .expose_headers(EXPOSED_HEADERS.map(HeaderName::from_static))
        .max_age(PREFLIGHT_MAX_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_normalize_to_the_browser_form() {
        assert_eq!(
            normalize_origin("HTTPS://Example.com/").unwrap(),
            "https://example.com"
        );
        assert_eq!(
            normalize_origin("https://example.com:443").unwrap(),
            "https://example.com"
        );
        assert_eq!(
            normalize_origin("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "null",
            "*",
            "https://*.example.com",
            "example.com",
            "https://a.com/path",
            "",
        ] {
            assert!(normalize_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_exact_matches_pass() {
        let allowed = vec!["https://example.com".to_string()];
        let mut h = HeaderMap::new();
        assert!(matches!(check(&h, &allowed), OriginCheck::Missing));
        for forged in [
            "https://example.com.evil.test",
            "https://evil.test",
            "null",
            "http://example.com",
            "https://example.com:8443",
        ] {
            h.insert(header::ORIGIN, HeaderValue::from_static(forged));
            assert!(
                matches!(check(&h, &allowed), OriginCheck::Refused(_)),
                "{forged}"
            );
        }
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://example.com"),
        );
        assert!(matches!(check(&h, &allowed), OriginCheck::Allowed(_)));
    }
}
