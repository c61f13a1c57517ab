//! Labels: "Câu 1:", "A.", "Đáp án:", "Giải thích:", "Chủ đề:", "PHẦN I".

use std::ops::Range;

use cuocthi_domain::text;

use super::body::Para;
use crate::import::table::correct_marks;

/// A paragraph's text with the format of every byte, for the option and mark rules.
pub(super) struct Line<'p> {
    pub(super) para: &'p Para,
    pub(super) text: String,
    /// The end byte and format of each span, in order.
    pub(super) ends: Vec<(usize, u8)>,
}

impl<'p> Line<'p> {
    pub(super) fn new(para: &'p Para) -> Line<'p> {
        let mut text = String::new();
        let mut ends = Vec::with_capacity(para.spans.len());
        for span in &para.spans {
            text.push_str(&span.text);
            ends.push((text.len(), span.format));
        }
        Line { para, text, ends }
    }

    /// The formats every letter and digit of `range` carries; `None` if it holds none.
    pub(super) fn marks(&self, range: Range<usize>) -> Option<u8> {
        let slice = self.text.get(range.clone())?;
        let mut span = 0;
        let mut all: Option<u8> = None;
        for (i, c) in slice.char_indices() {
            while self.ends.get(span).is_some_and(|(end, _)| *end <= range.start + i) {
                span += 1;
            }
            if c.is_alphanumeric() {
                let format = self.ends.get(span).map_or(0, |(_, f)| *f);
                all = Some(all.map_or(format, |a| a & format));
            }
        }
        all
    }
}

/// The first word of `s` (up to white space, a digit or ASCII punctuation) and what follows; marks
/// of decomposed (NFD) text stay inside the word.
pub(super) fn first_word(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| c.is_whitespace() || c.is_ascii_digit() || c.is_ascii_punctuation()).unwrap_or(s.len());
    s.split_at(end)
}

/// `s` after its first word, if that word folds to `word` ("Câu", "CÂU", "câu" → "cau").
pub(super) fn strip_word<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let (w, rest) = first_word(s.trim_start());
    (!w.is_empty() && text::fold(w) == word).then_some(rest)
}

/// `s` after one of the separators that end a label.
pub(super) fn strip_separator<'a>(s: &'a str, separators: &[char]) -> Option<&'a str> {
    s.trim_start().strip_prefix(separators)
}

pub(super) const LABEL_SEPARATORS: &[char] = &[':', '.', '-', '–', '—', ')'];

/// Digits or a roman numeral at the start of `s` ("2", "III"), and what follows.
pub(super) fn strip_section_number(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 {
        return Some(&s[digits..]);
    }
    let (w, rest) = first_word(s);
    (!w.is_empty() && w.chars().all(|c| "IVXLCivxlc".contains(c))).then_some(rest)
}

/// The stem after a question label: "Câu 1:", "Câu 1.", "Câu 1 -", "Câu hỏi 1:", "Câu số 1:",
/// "Bài 1:", "Câu 1 (0,5 điểm):".
pub(super) fn question_label(s: &str) -> Option<&str> {
    let rest = strip_word(s, "cau").or_else(|| strip_word(s, "bai"))?;
    let rest = strip_word(rest, "hoi").unwrap_or(rest);
    let rest = strip_word(rest, "so").unwrap_or(rest).trim_start();
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let mut rest = &rest[digits..];
    if let Some((_, after)) = rest.trim_start().strip_prefix('(').and_then(|r| r.split_once(')')) {
        rest = after;
    }
    Some(strip_separator(rest, LABEL_SEPARATORS).unwrap_or(rest).trim_start())
}

/// A question typed with its bare number: "1." "12)" "3:" followed by a space.
pub(super) fn number_label(s: &str) -> Option<&str> {
    let t = s.trim_start();
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if !(1..=4).contains(&digits) {
        return None;
    }
    let rest = t[digits..].strip_prefix(['.', ')', ':'])?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim_start())
}

/// What follows a key label: "Đáp án: B", "Đáp án đúng: B", "ĐA: B", "Đáp án B".
pub(super) fn answer_label(s: &str) -> Option<&str> {
    let separators: &[char] = &[':', '.', '-', '–', '='];
    if let Some(rest) = strip_word(s, "dap").and_then(|r| strip_word(r, "an")) {
        let rest = strip_word(rest, "dung").unwrap_or(rest);
        // Without a separator only a letter may follow, so a stem "Đáp án nào đúng?" is not a key.
        return match strip_separator(rest, separators) {
            Some(after) => Some(after),
            None => (!answer_letters(rest).is_empty()).then_some(rest),
        };
    }
    strip_separator(strip_word(s, "da")?, separators)
}

/// The letters at the start of a key: "B", "b.", "B, C", "B và C", "2"; it stops at the first other
/// word, so "B. Hà Nội" gives B.
pub(super) fn answer_letters(s: &str) -> Vec<char> {
    let mut letters = Vec::new();
    for token in text::fold(s).split(' ') {
        match token {
            "va" | "and" => {}
            t => match correct_marks(t).as_slice() {
                [one] => letters.push(*one),
                _ => break,
            },
        }
    }
    letters
}

/// What follows an explanation label: "Giải thích:", "Lời giải:".
pub(super) fn explanation_label(s: &str) -> Option<&str> {
    let rest = strip_word(s, "giai").and_then(|r| strip_word(r, "thich"));
    let rest = rest.or_else(|| strip_word(s, "loi").and_then(|r| strip_word(r, "giai")))?;
    strip_separator(rest, &[':', '.', '-', '–'])
}

/// A topic title: "Chủ đề: An toàn giao thông", "Chuyên đề 2: …", "Lĩnh vực: …", "PHẦN I: Lịch sử
/// Đoàn" (the text after the number), "Phần 2" (the whole line when nothing follows).
pub(super) fn topic_label(s: &str) -> Option<&str> {
    for (a, b) in [("chu", "de"), ("chuyen", "de"), ("linh", "vuc")] {
        if let Some(rest) = strip_word(s, a).and_then(|r| strip_word(r, b)) {
            let rest = strip_section_number(rest).unwrap_or(rest);
            let title = strip_separator(rest, LABEL_SEPARATORS)?.trim();
            return (!title.is_empty()).then_some(title);
        }
    }
    let rest = strip_section_number(strip_word(s, "phan")?)?;
    let title = strip_separator(rest, LABEL_SEPARATORS).unwrap_or(rest).trim();
    Some(if title.is_empty() { s.trim() } else { title })
}

/// One option found in a paragraph: its letter and where it is, and where its text is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Piece {
    pub(super) letter: char,
    pub(super) letter_at: Range<usize>,
    pub(super) body: Range<usize>,
    pub(super) star: bool,
}

/// An option label at `from` (after white space): "A.", "A)", "a.", "A/", "A:", "(A)", "*C.".
pub(super) fn option_label(text: &str, from: usize) -> Option<Piece> {
    let skip_space = |at: usize| text[at..].len() - text[at..].trim_start().len() + at;
    let mut at = skip_space(from);
    let star = text[at..].starts_with('*');
    if star {
        at = skip_space(at + 1);
    }
    let paren = text[at..].starts_with('(');
    at += usize::from(paren);
    let letter = text[at..].chars().next().filter(|c| matches!(c, 'A'..='F' | 'a'..='f'))?;
    let letter_at = at..at + 1;
    let after = &text[at + 1..];
    let closed = if paren { after.starts_with(')') } else { after.starts_with(['.', ')', '/', ':']) };
    closed.then(|| Piece { letter: letter.to_ascii_uppercase(), letter_at, body: at + 2..text.len(), star })
}

/// The options of a paragraph whose text starts with an option label: one per tab-separated part
/// ("A. Đúng\tB. Sai"), or after two spaces when the next letter follows ("A. Có  B. Không"); a
/// part without a label continues the option before it. `None` if the paragraph is not options.
pub(super) fn split_options(text: &str) -> Option<Vec<Piece>> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut start = 0;
    for part in text.split('\t') {
        let range = start..start + part.len();
        start = range.end + 1;
        if part.trim().is_empty() {
            continue;
        }
        match option_label(&text[..range.end], range.start) {
            Some(piece) => pieces.extend(split_spaced(text, piece)),
            None => pieces.last_mut()?.body.end = range.end,
        }
    }
    if pieces.is_empty() {
        return None;
    }
    for piece in &mut pieces {
        trailing_star(text, piece);
    }
    Some(pieces)
}

/// Splits an option where two or more spaces are followed by the next letter's label.
pub(super) fn split_spaced(text: &str, mut piece: Piece) -> Vec<Piece> {
    let mut out = Vec::new();
    loop {
        let next = char::from_u32(u32::from(piece.letter) + 1).unwrap_or('?');
        let body = &text[piece.body.clone()];
        let split = body.match_indices(char::is_whitespace).find_map(|(i, _)| {
            let at = piece.body.start + i;
            let spaces = text[at..].chars().take_while(|c| c.is_whitespace()).count();
            let run_starts = text[..at].ends_with(|c: char| !c.is_whitespace());
            let found = (spaces >= 2 && run_starts).then(|| option_label(&text[..piece.body.end], at)).flatten();
            found.filter(|p| p.letter == next).map(|p| (at, p))
        });
        match split {
            Some((at, second)) => {
                piece.body.end = at;
                out.push(piece);
                piece = second;
            }
            None => {
                out.push(piece);
                return out;
            }
        }
    }
}

/// "C. Hà Nội *": a star after the text marks the option too.
pub(super) fn trailing_star(text: &str, piece: &mut Piece) {
    let body = text[piece.body.clone()].trim_end();
    if let Some(stripped) = body.strip_suffix('*') {
        piece.star = true;
        piece.body.end = piece.body.start + stripped.len();
    }
}

/// The letter of the option index `i`.
pub(super) fn letter(i: usize) -> char {
    u32::try_from(i).ok().and_then(|i| u32::from('A').checked_add(i)).and_then(char::from_u32).unwrap_or('?')
}
