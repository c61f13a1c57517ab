//! Vietnamese text: NFC storage, accent-folded search keys, and the number formats of the glossary.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Text as it is stored: NFC, trimmed, inner runs of white space collapsed to one space.
pub fn clean(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A search and duplicate-detection key: marks removed, đ → d, lower case, punctuation dropped,
/// so "Nguyễn Văn An" and "nguyen van an" meet.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    out.trim_end().to_string()
}

/// `1.000.000`: a dot groups thousands.
///
/// Takes any integer (counts are often `usize`); one beyond `i64` (never a real count) prints as
/// `i64::MAX` rather than wrapping to a negative number.
pub fn thousands(n: impl TryInto<i64>) -> String {
    let n: i64 = n.try_into().unwrap_or(i64::MAX);
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `3.000.000 đồng`.
pub fn vnd(amount: i64) -> String {
    format!("{} đồng", thousands(amount))
}

/// `29 phút 41 giây`.
pub fn duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match (s / 60, s % 60) {
        (0, sec) => format!("{sec} giây"),
        (m, 0) => format!("{m} phút"),
        (m, sec) => format!("{m} phút {sec} giây"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_marks_and_d() {
        assert_eq!(fold("Nguyễn Văn  Đức!"), "nguyen van duc");
        assert_eq!(fold("  Đề án 06: VNeID "), "de an 06 vneid");
    }

    #[test]
    fn cleans_to_nfc() {
        let decomposed = "Nguye\u{0302}\u{0303}n";
        assert_eq!(clean(decomposed), "Nguyễn");
        assert_eq!(clean("  a \n b "), "a b");
    }

    #[test]
    fn formats_like_the_glossary() {
        assert_eq!(thousands(1_000_000), "1.000.000");
        assert_eq!(thousands(860_768), "860.768");
        assert_eq!(thousands(12), "12");
        assert_eq!(vnd(3_000_000), "3.000.000 đồng");
        assert_eq!(duration(1_781_000), "29 phút 41 giây");
        assert_eq!(duration(45_000), "45 giây");
    }
}
