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

/// A new session id, `{agent_id}-{suffix}`, in the shape of the spec's
/// example `683f4657fcc016e56d66dbe8-o6aq76s9a5`, with 128 random bits: a
/// session id is a bearer token for its history, so it must not be guessed.
/// The suffix is the 16 bytes in lowercase hex (32 characters).
pub fn new_session_id(agent_id: &str, random_bytes: &[u8; 16]) -> String {
    let mut id = String::with_capacity(agent_id.len() + 33);
    id.push_str(agent_id);
    id.push('-');
    for b in random_bytes {
        id.push(HEX[usize::from(b >> 4)] as char);
        id.push(HEX[usize::from(b & 15)] as char);
    }
    id
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_id_is_agent_dash_128_random_bits_in_hex() {
        let id = new_session_id("683f4657fcc016e56d66dbe8", &[0xa7u8; 16]);
        let (agent, suffix) = id.rsplit_once('-').unwrap();
        assert_eq!(agent, "683f4657fcc016e56d66dbe8");
        assert_eq!(suffix, "a7".repeat(16));
        let mut bytes = [0u8; 16];
        bytes[15] = 1;
        assert_ne!(new_session_id("a", &bytes), new_session_id("a", &[0; 16]));
    }

    #[test]
    fn different_bytes_give_different_suffixes() {
        assert_ne!(random_suffix(&[1; 10]), random_suffix(&[2; 10]));
    }
}
