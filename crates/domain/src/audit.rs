//! The audit log (nhật ký thao tác) as a hash chain: each entry's hash covers the previous entry's
//! hash and every field of the entry, so removing, reordering or editing any entry breaks every
//! hash after it. A digest published with a ranking therefore pins the whole history before it.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A submitted attempt as a seal covers it: what decides its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission<'a> {
    pub attempt_id: i64,
    pub participant_id: i64,
    /// The answers as stored (one character per question).
    pub answers: &'a str,
    pub prediction: Option<i64>,
    pub correct: Option<i64>,
    pub time_taken_ms: Option<i64>,
    pub submitted_at_ms: Option<i64>,
}

/// The digest of a batch of submissions (lower-case hex SHA-256), in the order given: a seal
/// (niêm phong) written into the chain, so that answers or scores edited after submission no
/// longer match it. Fields are length-prefixed as in [`chain_hash`].
pub fn submissions_digest<'a>(batch: impl IntoIterator<Item = Submission<'a>>) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| length_prefixed(&mut h, bytes);
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for s in batch {
        field(&s.attempt_id.to_be_bytes());
        field(&s.participant_id.to_be_bytes());
        field(s.answers.as_bytes());
        field(opt(s.prediction).as_bytes());
        field(opt(s.correct).as_bytes());
        field(opt(s.time_taken_ms).as_bytes());
        field(opt(s.submitted_at_ms).as_bytes());
    }
    hex(&h.finalize())
}

/// One entry, as hashed. `detail` is the JSON of what changed (before/after, reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub id: i64,
    pub at_ms: i64,
    pub account_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub contest_id: Option<i64>,
    pub subject: &'a str,
    pub detail: &'a str,
}

/// The hash of `entry` chained after `prev` (lower-case hex SHA-256). Every field is written with
/// its length first, so no two different entries can serialise to the same bytes.
pub fn chain_hash(prev: &str, entry: &Entry<'_>) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| length_prefixed(&mut h, bytes);
    field(prev.as_bytes());
    field(&entry.id.to_be_bytes());
    field(&entry.at_ms.to_be_bytes());
    field(entry.account_id.map(|a| a.to_string()).unwrap_or_default().as_bytes());
    field(entry.actor.as_bytes());
    field(entry.action.as_bytes());
    field(entry.contest_id.map(|c| c.to_string()).unwrap_or_default().as_bytes());
    field(entry.subject.as_bytes());
    field(entry.detail.as_bytes());
    hex(&h.finalize())
}

/// One field, its length first (8 bytes, big-endian): without the length, "ab"+"c" and "a"+"bc"
/// would hash alike.
fn length_prefixed(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a stored chain stops being consistent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("Mục nhật ký #{id}: mã băm của mục trước không khớp (mục bị xoá hoặc chèn).")]
    BrokenLink { id: i64 },
    #[error("Mục nhật ký #{id}: nội dung đã bị sửa (mã băm không khớp).")]
    Altered { id: i64 },
}

/// Follows a chain of stored entries (in id order, each with its stored `prev_hash` and `hash`),
/// starting after `prev`; returns the last hash, or the first entry that does not hold.
pub fn verify<'a>(
    mut prev: String,
    entries: impl IntoIterator<Item = (Entry<'a>, &'a str, &'a str)>,
) -> Result<String, ChainError> {
    for (entry, stored_prev, stored_hash) in entries {
        if stored_prev != prev {
            return Err(ChainError::BrokenLink { id: entry.id });
        }
        let hash = chain_hash(&prev, &entry);
        if hash != stored_hash {
            return Err(ChainError::Altered { id: entry.id });
        }
        prev = hash;
    }
    Ok(prev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, detail: &str) -> Entry<'_> {
        Entry {
            id,
            at_ms: 1_700_000_000_000 + id,
            account_id: Some(1),
            actor: "admin",
            action: "contest.update",
            contest_id: Some(7),
            subject: "contest:7",
            detail,
        }
    }

    fn chain(details: &[&'static str]) -> Vec<(Entry<'static>, String, String)> {
        let mut prev = GENESIS.to_string();
        details
            .iter()
            .zip(1i64..)
            .map(|(d, id)| {
                let e = entry(id, d);
                let h = chain_hash(&prev, &e);
                let row = (e, prev.clone(), h.clone());
                prev = h;
                row
            })
            .collect()
    }

    #[test]
    fn an_untouched_chain_verifies_to_its_last_hash() {
        let rows = chain(&["{}", "{\"a\":1}", "{\"b\":2}"]);
        let last = rows[2].2.clone();
        let got = verify(GENESIS.into(), rows.iter().map(|(e, p, h)| (e.clone(), p.as_str(), h.as_str())));
        assert_eq!(got, Ok(last));
    }

    #[test]
    fn an_edit_a_removal_or_a_swap_is_named() {
        let rows = chain(&["{}", "{\"a\":1}", "{\"b\":2}"]);
        let mut edited = rows.clone();
        edited[1].0.detail = "{\"a\":2}";
        let got = verify(GENESIS.into(), edited.iter().map(|(e, p, h)| (e.clone(), p.as_str(), h.as_str())));
        assert_eq!(got, Err(ChainError::Altered { id: 2 }));

        let removed = [rows[0].clone(), rows[2].clone()];
        let got = verify(GENESIS.into(), removed.iter().map(|(e, p, h)| (e.clone(), p.as_str(), h.as_str())));
        assert_eq!(got, Err(ChainError::BrokenLink { id: 3 }));
    }

    /// The hashes of a small fixed chain and of a seal, as this code made them when they were
    /// pinned (issue 18). Published rankings and `results verify` rest on these bytes: if this
    /// test fails, every stored chain stops verifying. Never update the expected values.
    #[test]
    fn the_hashes_of_a_fixed_chain_are_pinned() {
        let rows = chain(&["{}", "{\"a\":1}", "{\"b\":2}"]);
        let hashes: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
        assert_eq!(
            hashes,
            [
                "e9831077bbba5479aaa7d734b85c2d491b92c45e3bd1b9e6b78f04a2e2474e9d",
                "8c6e4568a38e9c7c963d5fa38b7090f8dc856684cd4ef1c1ca2e34b70f146f38",
                "23141f8babf4936e802817aa8b699f122660e7bba892e9bcfb2f32ae4f799a6c",
            ]
        );
        // Empty optional fields and Vietnamese text (UTF-8) in every text field.
        let seal = Entry {
            id: 4,
            at_ms: 1_700_000_000_004,
            account_id: None,
            actor: "Nguyễn Văn Ân",
            action: "attempts.seal",
            contest_id: None,
            subject: "attempts:1-2",
            detail: "{\"lý do\":\"hủy câu hỏi\"}",
        };
        assert_eq!(chain_hash(hashes[2], &seal), "6eb8c6e737ae5b6f2058e76659bfb6989514bf7859edb8dac53fd72ffe978c06");
        let batch = [
            Submission {
                attempt_id: 1,
                participant_id: 10,
                answers: "0123-",
                prediction: Some(1500),
                correct: Some(4),
                time_taken_ms: Some(93_000),
                submitted_at_ms: Some(1_700_000_100_000),
            },
            Submission {
                attempt_id: 2,
                participant_id: 11,
                answers: "-----",
                prediction: None,
                correct: None,
                time_taken_ms: None,
                submitted_at_ms: None,
            },
        ];
        assert_eq!(submissions_digest(batch), "58f13ea0444644af81fa93d3b6ad8423166da1a9dd93ee8c05311014c9c07b1b");
    }

    #[test]
    fn fields_cannot_be_shifted_into_each_other() {
        let mut a = entry(1, "x");
        a.actor = "ab";
        a.action = "c";
        let mut b = entry(1, "x");
        b.actor = "a";
        b.action = "bc";
        assert_ne!(chain_hash(GENESIS, &a), chain_hash(GENESIS, &b));
    }
}
