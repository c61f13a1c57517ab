//! Questions (câu hỏi trắc nghiệm): a stem, 3 or 4 options (phương án), exactly one correct
//! (đáp án đúng). A question that has been drawn is never edited in place: an edit makes a new
//! version, so every old attempt keeps the text it was asked.

use serde::{Deserialize, Serialize};

use crate::text;

/// The letters shown before options, in display order.
pub const LETTERS: [char; 4] = ['A', 'B', 'C', 'D'];

/// A question as written by an author or an importer, before validation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionDraft {
    pub topic: String,
    pub stem: String,
    /// Options in the author's order; empty strings are ignored (a 3-option question leaves D empty).
    pub options: Vec<String>,
    /// The correct option as the author marked it: a letter (A–D), possibly several or none when the
    /// source is faulty, which validation reports.
    pub correct: Vec<char>,
    pub explanation: Option<String>,
}

/// A valid question: what the bank stores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub topic: String,
    pub stem: String,
    pub options: Vec<String>,
    /// Index into `options` of the one correct option.
    pub correct: u8,
    pub explanation: Option<String>,
}

/// Why a draft is not a question; `Display` is the Vietnamese message shown to organisers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuestionError {
    #[error("Thiếu nội dung câu hỏi.")]
    EmptyStem,
    #[error("Thiếu chủ đề của câu hỏi.")]
    EmptyTopic,
    #[error("Câu hỏi phải có 3 hoặc 4 phương án trả lời (đang có {0}).")]
    OptionCount(usize),
    #[error("Chưa chỉ ra đáp án đúng.")]
    NoCorrect,
    #[error("Chỉ được có đúng một đáp án đúng (đang đánh dấu {0}).")]
    SeveralCorrect(String),
    #[error("Đáp án \"{0}\" không trỏ tới phương án nào có nội dung.")]
    CorrectOutOfRange(char),
    #[error("Hai phương án trả lời trùng nhau: \"{0}\".")]
    DuplicateOption(String),
    #[error("Các phương án phải liền nhau từ A (phương án {0} để trống).")]
    GapInOptions(char),
}

impl QuestionDraft {
    /// Checks every rule and returns all the problems at once, so a report can list them together.
    pub fn validate(&self) -> Result<Question, Vec<QuestionError>> {
        let mut errors = Vec::new();
        let topic = text::clean(&self.topic);
        let stem = text::clean(&self.stem);
        if stem.is_empty() {
            errors.push(QuestionError::EmptyStem);
        }
        if topic.is_empty() {
            errors.push(QuestionError::EmptyTopic);
        }
        let mut cleaned: Vec<String> = self.options.iter().map(|o| text::clean(o)).collect();
        while cleaned.last().is_some_and(|o| o.is_empty()) {
            cleaned.pop();
        }
        if let Some(gap) = cleaned.iter().position(|o| o.is_empty()) {
            errors.push(QuestionError::GapInOptions(LETTERS.get(gap).copied().unwrap_or('?')));
        }
        if !(3..=4).contains(&cleaned.len()) {
            errors.push(QuestionError::OptionCount(cleaned.len()));
        }
        for (i, o) in cleaned.iter().enumerate() {
            if !o.is_empty() && cleaned[..i].iter().any(|p| text::fold(p) == text::fold(o)) {
                errors.push(QuestionError::DuplicateOption(o.clone()));
            }
        }
        let mut marks: Vec<char> = self.correct.iter().map(|c| c.to_ascii_uppercase()).collect();
        marks.sort_unstable();
        marks.dedup();
        let correct = match marks.as_slice() {
            [] => {
                errors.push(QuestionError::NoCorrect);
                None
            }
            [one] => match LETTERS.iter().zip(0u8..).find(|(l, _)| *l == one).map(|(_, i)| i) {
                Some(i) if cleaned.get(usize::from(i)).is_some_and(|o| !o.is_empty()) => Some(i),
                _ => {
                    errors.push(QuestionError::CorrectOutOfRange(*one));
                    None
                }
            },
            many => {
                let list: Vec<String> = many.iter().map(|c| c.to_string()).collect();
                errors.push(QuestionError::SeveralCorrect(list.join(", ")));
                None
            }
        };
        match correct {
            Some(correct) if errors.is_empty() => Ok(Question {
                topic,
                stem,
                options: cleaned,
                correct,
                explanation: self.explanation.as_deref().map(text::clean).filter(|e| !e.is_empty()),
            }),
            _ => Err(errors),
        }
    }
}

impl Question {
    /// How many options the question has, as the draw counts them: 3 or 4 once validated, so the
    /// saturation for anything longer never happens.
    pub fn option_count(&self) -> u8 {
        u8::try_from(self.options.len()).unwrap_or(u8::MAX)
    }

    /// The key used to spot near-duplicates: the folded stem and options.
    pub fn fingerprint(&self) -> String {
        let mut parts = vec![text::fold(&self.stem)];
        let mut opts: Vec<String> = self.options.iter().map(|o| text::fold(o)).collect();
        opts.sort();
        parts.extend(opts);
        parts.join("|")
    }
}

/// The letter an option is shown with: A, B, C, D… (`?` past Z, which no question reaches).
pub fn option_letter(index: usize) -> char {
    u8::try_from(index).ok().filter(|i| *i < 26).map_or('?', |i| char::from(b'A' + i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(options: &[&str], correct: &str) -> QuestionDraft {
        QuestionDraft {
            topic: "Chuyển đổi số".into(),
            stem: "Ngày Chuyển đổi số quốc gia là ngày nào?".into(),
            options: options.iter().map(|s| s.to_string()).collect(),
            correct: correct.chars().collect(),
            explanation: None,
        }
    }

    #[test]
    fn accepts_three_or_four_options_with_one_key() {
        let q = draft(&["10/10", "1/1", "2/9", ""], "a").validate().unwrap();
        assert_eq!(q.options.len(), 3);
        assert_eq!(q.correct, 0);
        assert!(draft(&["10/10", "1/1", "2/9", "30/4"], "D").validate().is_ok());
    }

    #[test]
    fn refuses_with_every_reason() {
        let e = draft(&["a", "b", "c", "d", "e"], "AB").validate().unwrap_err();
        assert!(e.contains(&QuestionError::OptionCount(5)));
        assert!(e.contains(&QuestionError::SeveralCorrect("A, B".into())));
        assert_eq!(draft(&["a", "b", "c"], "").validate().unwrap_err(), vec![QuestionError::NoCorrect]);
        assert_eq!(draft(&["a", "b", "c"], "D").validate().unwrap_err(), vec![QuestionError::CorrectOutOfRange('D')]);
        assert!(draft(&["a", "", "c", "d"], "A").validate().unwrap_err().contains(&QuestionError::GapInOptions('B')));
        assert!(draft(&["Có", "có", "Không"], "A").validate().is_err());
        let mut d = draft(&["a", "b", "c"], "A");
        d.stem = "   ".into();
        assert_eq!(d.validate().unwrap_err(), vec![QuestionError::EmptyStem]);
    }

    #[test]
    fn messages_are_vietnamese() {
        assert_eq!(QuestionError::NoCorrect.to_string(), "Chưa chỉ ra đáp án đúng.");
    }
}
