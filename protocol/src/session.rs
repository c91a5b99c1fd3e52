//! Session and visitor identifiers in the shape Lyzr's own clients use.

/// Length of the random part of a session id (Lyzr's UI uses 10).
pub const SUFFIX_LEN: usize = 10;

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Turns random bytes into a lowercase alphanumeric suffix, one character per
/// byte (bytes beyond [`SUFFIX_LEN`] are ignored).
///
/// ```
/// assert_eq!(lyzr_chat_protocol::random_suffix(&[0, 1, 35, 36]), "ab9a");
/// ```
pub fn random_suffix(random_bytes: &[u8]) -> String {
    random_bytes
        .iter()
        .take(SUFFIX_LEN)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// A new session id, `{agent_id}-{suffix}`, as in the spec's example
/// `683f4657fcc016e56d66dbe8-o6aq76s9a5`.
pub fn new_session_id(agent_id: &str, random_bytes: &[u8]) -> String {
    format!("{agent_id}-{}", random_suffix(random_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_id_is_agent_dash_ten_alphanumerics() {
        let id = new_session_id("683f4657fcc016e56d66dbe8", &[7u8; 16]);
        let (agent, suffix) = id.rsplit_once('-').unwrap();
        assert_eq!(agent, "683f4657fcc016e56d66dbe8");
        assert_eq!(suffix.len(), SUFFIX_LEN);
        assert!(suffix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    }

    #[test]
    fn different_bytes_give_different_suffixes() {
        assert_ne!(random_suffix(&[1; 10]), random_suffix(&[2; 10]));
    }
}
