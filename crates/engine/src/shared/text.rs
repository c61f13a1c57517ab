//! Small text and time helpers both sides use.

use chrono::{DateTime, Utc};
use cuocthi_domain::text;

use crate::{EngineError, Result};

/// The longest feedback report or reply, in characters: enough for a precise remark, short enough
/// to read in a queue.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// A message as stored: NFC, each line's spaces collapsed, no runs of blank lines, trimmed.
pub(crate) fn clean_message(s: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in s.lines().map(text::clean) {
        if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// Refuses a message over [`MAX_MESSAGE_CHARS`], saying "{what} dài quá 1.000 ký tự" and then
/// `end` (a full stop, or a word of advice): the same limit for reports, replies and reasons.
pub(crate) fn refuse_if_too_long(message: &str, what: &str, end: &str) -> Result<()> {
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(EngineError::BadRequest(format!(
            "{what} dài quá {} ký tự{end}",
            text::thousands(MAX_MESSAGE_CHARS)
        )));
    }
    Ok(())
}

pub(crate) fn instant(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

pub(crate) fn ms_between(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    (b - a).num_milliseconds()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_their_lines_but_not_their_noise() {
        assert_eq!(clean_message("  Đáp án   B\r\n\r\n\r\nvà C  đều đúng.  \n\n"), "Đáp án B\n\nvà C đều đúng.");
        assert_eq!(clean_message(" \n \t "), "");
        // NFC: a decomposed "ế" is stored composed.
        assert_eq!(clean_message("Đe\u{0302}\u{0301}n"), "Đến");
    }

    #[test]
    fn a_message_over_the_limit_is_refused_by_its_name() {
        assert!(refuse_if_too_long(&"ế".repeat(MAX_MESSAGE_CHARS), "Lý do hủy", ".").is_ok(), "characters, not bytes");
        let refused = refuse_if_too_long(&"x".repeat(MAX_MESSAGE_CHARS + 1), "Lý do hủy", ".").unwrap_err();
        assert_eq!(refused.to_string(), "Lý do hủy dài quá 1.000 ký tự.");
    }
}
