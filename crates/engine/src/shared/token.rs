//! Participant tokens: `<participant>.<contest>.<expiry>.<mac>`, signed with HMAC-SHA256.
//!
//! Signed rather than looked up, so checking one costs no database read on the hot path and any
//! app node can check a token another issued (the secret lives in the shared store).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Holds the HMAC keyed once (the key's inner and outer blocks hashed), shared by every clone:
/// every participant request checks a token, and the engine is cloned into every request.
#[derive(Clone)]
pub struct Signer {
    keyed: std::sync::Arc<HmacSha256>,
}

/// What a valid token says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claims {
    pub participant_id: i64,
    pub contest_id: i64,
    pub expires_at: i64,
}

pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes a lowercase hex string spells, as [`Signer::tag`] writes them; `None` for anything
/// else (an odd length, another character, upper case).
fn lower_hex(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes().chunks(2).map(|p| Some(digit(p[0])? << 4 | digit(p[1])?)).collect()
}

impl Signer {
    pub fn new(key: &[u8]) -> Signer {
        Signer { keyed: std::sync::Arc::new(HmacSha256::new_from_slice(key).expect("HMAC takes any key length")) }
    }

    fn mac(&self, payload: &str) -> HmacSha256 {
        let mut mac = (*self.keyed).clone();
        mac.update(payload.as_bytes());
        mac
    }

    /// A short tag (`len` hex digits) that only this deployment can make for `payload`: for
    /// serial numbers that cannot be guessed or forged.
    pub fn tag(&self, payload: &str, len: usize) -> String {
        let bytes = self.mac(payload).finalize().into_bytes();
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>().chars().take(len).collect()
    }

    /// Whether `tag` is [`Signer::tag`] of `payload` for an even `len` (compared in constant time
    /// by `hmac`'s `verify_truncated_left`).
    pub fn check_tag(&self, payload: &str, tag: &str) -> bool {
        lower_hex(tag).is_some_and(|bytes| self.mac(payload).verify_truncated_left(&bytes).is_ok())
    }

    pub fn issue(&self, c: Claims) -> String {
        let payload = format!("{}.{}.{}", c.participant_id, c.contest_id, c.expires_at);
        let tag = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{payload}.{tag}")
    }

    /// The claims of a genuine, unexpired token (`now` in seconds since the epoch).
    pub fn verify(&self, token: &str, now: i64) -> Option<Claims> {
        let (payload, tag) = token.rsplit_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(payload).verify_slice(&tag).ok()?;
        let mut parts = payload.split('.');
        let claims = Claims {
            participant_id: parts.next()?.parse().ok()?,
            contest_id: parts.next()?.parse().ok()?,
            expires_at: parts.next()?.parse().ok()?,
        };
        (parts.next().is_none() && claims.expires_at > now).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_tampering_fails() {
        let s = Signer::new(b"k");
        let c = Claims { participant_id: 7, contest_id: 3, expires_at: 1000 };
        let t = s.issue(c);
        assert_eq!(s.verify(&t, 999), Some(c));
        assert_eq!(s.verify(&t, 1000), None, "expired");
        assert_eq!(s.verify(&t.replacen('7', "8", 1), 0), None, "tampered");
        assert_eq!(Signer::new(b"other").verify(&t, 0), None, "other key");
        assert_eq!(s.verify("garbage", 0), None);
    }

    #[test]
    fn tags_check_only_their_own_payload() {
        let s = Signer::new(b"k");
        let tag = s.tag("certificate:5-1", 10);
        assert_eq!(tag.len(), 10);
        assert!(s.check_tag("certificate:5-1", &tag));
        assert!(s.check_tag("certificate:5-1", &s.tag("certificate:5-1", 64)), "the whole tag");
        assert!(!s.check_tag("certificate:5-2", &tag), "another payload");
        assert!(!Signer::new(b"other").check_tag("certificate:5-1", &tag), "another key");
        assert!(!s.check_tag("certificate:5-1", &tag.to_uppercase()), "tags are written in lower case");
        assert!(!s.check_tag("certificate:5-1", &tag[..9]), "an odd length");
        assert!(!s.check_tag("certificate:5-1", ""), "empty");
        assert!(!s.check_tag("certificate:5-1", &"0".repeat(66)), "longer than the MAC");
        let mut wrong = tag.into_bytes();
        wrong[9] = if wrong[9] == b'0' { b'1' } else { b'0' };
        assert!(!s.check_tag("certificate:5-1", std::str::from_utf8(&wrong).unwrap()));
    }
}
