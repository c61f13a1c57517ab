//! Recognising questions: from paragraphs and tables to question drafts (stems, options, keys,
//! topics and explanations).

use std::collections::BTreeSet;

use cuocthi_domain::question::QuestionDraft;
use cuocthi_domain::text;

use super::Errors;
use super::body::{BOLD, HIGHLIGHT, ListKey, Para, Row, UNDERLINE};
use super::labels::{
    Line, Piece, answer_label, answer_letters, explanation_label, letter, number_label, question_label, split_options,
    topic_label, trailing_star,
};
use crate::import::table::{Column, Table, column_of, correct_marks, drafts_from_rows, header_columns};

/// An option being read, with what can mark it correct.
#[derive(Clone, Debug, Default)]
pub(super) struct Choice {
    pub(super) text: String,
    pub(super) star: bool,
    /// The formats of its letter (none for a list item, whose letter Word draws).
    pub(super) letter: Option<u8>,
    /// The formats of its text.
    pub(super) body: Option<u8>,
}

impl Choice {
    pub(super) fn from_piece(line: &Line<'_>, piece: &Piece) -> Choice {
        Choice {
            text: line.text[piece.body.clone()].to_string(),
            star: piece.star,
            letter: line.marks(piece.letter_at.clone()),
            body: line.marks(piece.body.clone()),
        }
    }

    /// A list item that is an option: the whole paragraph, a star before or after it marking it.
    pub(super) fn whole(line: &Line<'_>) -> Choice {
        let mut piece = Piece { letter: 'A', letter_at: 0..0, body: 0..line.text.len(), star: false };
        if let Some(rest) = line.text.trim_start().strip_prefix('*') {
            piece.star = true;
            piece.body.start = line.text.len() - rest.len();
        }
        trailing_star(&line.text, &mut piece);
        Choice { letter: None, ..Choice::from_piece(line, &piece) }
    }
}

/// A question being read.
#[derive(Clone, Debug, Default)]
pub(super) struct Pending {
    pub(super) pos: usize,
    pub(super) stem: Vec<String>,
    pub(super) options: Vec<Choice>,
    /// The letters of a "Đáp án" line and its text, to match an answer written out in full.
    pub(super) answer: Option<(Vec<char>, String)>,
    pub(super) explanation: Vec<String>,
    pub(super) in_explanation: bool,
    /// The list the options are items of, so the next item of another list starts a question.
    pub(super) options_key: Option<ListKey>,
}

impl Pending {
    /// Whether the question is complete enough that what follows belongs to the next one.
    pub(super) fn closed(&self) -> bool {
        self.answer.is_some() || self.in_explanation
    }
}

/// The reading of a sequence of paragraphs into questions.
pub(super) struct Flow {
    pub(super) topic: String,
    pub(super) current: Option<Pending>,
    pub(super) done: Vec<(usize, QuestionDraft)>,
    /// The list whose items are questions (shape c).
    pub(super) question_key: Option<ListKey>,
}

impl Flow {
    pub(super) fn new(topic: String) -> Flow {
        Flow { topic, current: None, done: Vec::new(), question_key: None }
    }

    pub(super) fn paragraph(&mut self, para: &Para) {
        let line = Line::new(para);
        let t = line.text.as_str();
        if !t.chars().any(char::is_alphanumeric) {
            return;
        }
        if let Some(stem) = question_label(t) {
            self.start(para.pos, stem);
        } else if let Some(rest) = answer_label(t) {
            self.answer(rest);
        } else if let Some(rest) = explanation_label(t) {
            self.explain(rest);
        } else if let Some(title) = topic_label(t) {
            self.set_topic(title);
        } else if let Some(pieces) = split_options(t) {
            self.options(&line, pieces);
        } else if para.heading {
            self.set_topic(t);
        } else if let Some(stem) = number_label(t).filter(|_| self.may_start()) {
            self.start(para.pos, stem);
        } else if let Some(key) = para.list_key() {
            self.list_item(&line, key);
        } else {
            self.plain(t);
        }
    }

    /// Whether a bare number may start a question here: not in the middle of a stem, where "1."
    /// is more likely an item the stem lists.
    pub(super) fn may_start(&self) -> bool {
        self.current.as_ref().is_none_or(|c| !c.options.is_empty() || c.closed())
    }

    pub(super) fn start(&mut self, pos: usize, stem: &str) {
        self.finish();
        self.current = Some(Pending { pos, stem: vec![stem.to_string()], ..Pending::default() });
    }

    pub(super) fn answer(&mut self, rest: &str) {
        // A key with no question before it has nothing to attach to.
        let Some(c) = self.current.as_mut() else { return };
        let letters = answer_letters(rest);
        match c.answer.as_mut() {
            Some((earlier, _)) => earlier.extend(letters),
            None => c.answer = Some((letters, rest.trim().to_string())),
        }
        c.in_explanation = false;
    }

    pub(super) fn explain(&mut self, rest: &str) {
        if let Some(c) = self.current.as_mut() {
            c.explanation = vec![rest.to_string()];
            c.in_explanation = true;
        }
    }

    pub(super) fn set_topic(&mut self, title: &str) {
        self.finish();
        let title = text::clean(title);
        if !title.is_empty() {
            self.topic = title;
        }
    }

    /// Options with their letters typed; an "A" after options, or options after a key, start a
    /// question without a stem (which validation reports).
    pub(super) fn options(&mut self, line: &Line<'_>, pieces: Vec<Piece>) {
        for piece in pieces {
            let restart =
                self.current.as_ref().is_none_or(|c| c.closed() || (piece.letter == 'A' && !c.options.is_empty()));
            if restart {
                self.start(line.para.pos, "");
            }
            if let Some(c) = self.current.as_mut() {
                c.options.push(Choice::from_piece(line, &piece));
            }
        }
    }

    /// An item of a Word list without a typed label: a question when it is the first, follows a
    /// complete question, belongs to the questions' list, or follows options of another list;
    /// otherwise an option, lettered by its order.
    pub(super) fn list_item(&mut self, line: &Line<'_>, key: ListKey) {
        let new_question = match &self.current {
            None => true,
            Some(c) if c.closed() => true,
            Some(c) if c.options.is_empty() => self.question_key.as_ref() == Some(&key),
            Some(c) => c.options_key.as_ref() != Some(&key),
        };
        if new_question {
            self.start(line.para.pos, &line.text);
            self.question_key = Some(key);
        } else if let Some(c) = self.current.as_mut() {
            c.options.push(Choice::whole(line));
            c.options_key = Some(key);
        }
    }

    /// A paragraph without a label continues what is being read: the stem, the last option, or
    /// the explanation (any text after the key is taken as one). Text before the first question
    /// (a title, instructions) is dropped.
    pub(super) fn plain(&mut self, t: &str) {
        let Some(c) = self.current.as_mut() else { return };
        if c.closed() {
            c.explanation.push(t.to_string());
        } else if let Some(last) = c.options.last_mut() {
            last.text.push(' ');
            last.text.push_str(t);
        } else {
            c.stem.push(t.to_string());
        }
    }

    /// Ends the question being read and turns it into a draft.
    pub(super) fn finish(&mut self) {
        let Some(p) = self.current.take() else { return };
        let options: Vec<String> = p.options.iter().map(|c| text::clean(&c.text)).collect();
        let correct = match &p.answer {
            Some((letters, _)) if !letters.is_empty() => letters.clone(),
            Some((_, said)) => letters_of_text(said, &options),
            None => marked(&p.options),
        };
        let explanation = Some(text::clean(&p.explanation.join(" "))).filter(|e| !e.is_empty());
        let draft = QuestionDraft {
            topic: self.topic.clone(),
            stem: text::clean(&p.stem.join(" ")),
            options,
            correct,
            explanation,
        };
        self.done.push((p.pos, draft));
    }
}

/// A key written out in full ("Đáp án: Hà Nội"): the options with that text.
pub(super) fn letters_of_text(said: &str, options: &[String]) -> Vec<char> {
    let said = text::fold(said);
    options
        .iter()
        .enumerate()
        .filter(|(_, o)| !said.is_empty() && text::fold(o) == said)
        .map(|(i, _)| letter(i))
        .collect()
}

/// The options marked correct when there is no "Đáp án" line. A star wins. Otherwise a format
/// (bold, underline, highlight) counts only where it sets some options apart from the others — on
/// the option's text first, else on its letter — so a question bold throughout, or with every
/// letter bold, marks nothing, and two options set apart give two keys (which validation reports).
pub(super) fn marked(choices: &[Choice]) -> Vec<char> {
    let stars: Vec<char> = choices.iter().enumerate().filter(|(_, c)| c.star).map(|(i, _)| letter(i)).collect();
    if !stars.is_empty() {
        return stars;
    }
    let picks: [fn(&Choice) -> Option<u8>; 2] = [|c| c.body, |c| c.letter];
    for pick in picks {
        let carriers = choices.iter().filter(|c| pick(c).is_some()).count();
        let mut set = BTreeSet::new();
        for bit in [BOLD, UNDERLINE, HIGHLIGHT] {
            let with: Vec<usize> =
                (0..choices.len()).filter(|i| pick(&choices[*i]).is_some_and(|f| f & bit != 0)).collect();
            if !with.is_empty() && with.len() < carriers {
                set.extend(with);
            }
        }
        if !set.is_empty() {
            return set.into_iter().map(letter).collect();
        }
    }
    Vec::new()
}

// ---------------------------------------------------------------------------------------------
// Tables

/// What a table cell holds when a row is one question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Ignore,
    Content,
    Answer,
    Topic,
    Explanation,
}

/// Headers of a running-number column, which says nothing about the question.
pub(super) fn is_number_header(h: &str) -> bool {
    matches!(text::fold(h).as_str(), "stt" | "tt" | "so tt" | "so thu tu")
}

/// A header row: it names the stem column, a running-number column, or a "Câu hỏi…" column.
pub(super) fn is_header(row: &[String]) -> bool {
    row.iter().any(|h| {
        let f = text::fold(h);
        let stem_like = (f.starts_with("cau hoi") || f.starts_with("noi dung"))
            && f.split(' ').count() <= 6
            && !h.contains('?')
            && question_label(h).is_none();
        is_number_header(h) || column_of(h) == Some(Column::Stem) || stem_like
    })
}

pub(super) fn header_role(header: Option<&String>) -> Role {
    let Some(h) = header else { return Role::Content };
    if is_number_header(h) {
        return Role::Ignore;
    }
    match column_of(h) {
        Some(Column::Correct) => Role::Answer,
        Some(Column::Topic) => Role::Topic,
        Some(Column::Explanation) => Role::Explanation,
        _ => Role::Content,
    }
}

/// Without a header: a running number is ignored, a lone letter is the key.
pub(super) fn content_role(cell: &str) -> Role {
    let t = cell.trim().trim_end_matches(['.', ')']);
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        Role::Ignore
    } else if matches!(t, "A" | "B" | "C" | "D" | "E" | "F" | "a" | "b" | "c" | "d" | "e" | "f") {
        Role::Answer
    } else {
        Role::Content
    }
}

pub(super) fn cell_text(cell: &[Para]) -> String {
    cell.iter().map(Para::text).collect::<Vec<_>>().join(" ")
}

impl Flow {
    /// A table: spreadsheet columns (one question a row, read as an .xlsx is); one question per
    /// row with its options inside a cell; or, right after a stem, a grid of that stem's options.
    pub(super) fn table(&mut self, rows: &[Row]) -> Result<(), Errors> {
        let texts: Vec<Vec<String>> = rows.iter().map(|r| r.cells.iter().map(|c| cell_text(c)).collect()).collect();
        if let Some(h) = texts.iter().take(3).position(|r| is_header(r)) {
            self.finish();
            if header_columns(&texts[h]).contains_key(&Column::Option(0)) {
                return self.column_table(rows, &texts, h);
            }
            for row in &rows[h + 1..] {
                self.row_question(row, Some(texts[h].as_slice()));
            }
            return Ok(());
        }
        if self.wants_options() && rows.first().and_then(|r| r.cells.iter().flatten().next()).is_some_and(is_options) {
            for p in rows.iter().flat_map(|r| r.cells.iter().flatten()) {
                self.paragraph(p);
            }
            return Ok(());
        }
        self.finish();
        for row in rows {
            self.row_question(row, None);
        }
        Ok(())
    }

    pub(super) fn wants_options(&self) -> bool {
        self.current.as_ref().is_some_and(|c| c.options.is_empty() && !c.closed())
    }

    /// A table with the spreadsheet's columns, read by the spreadsheet reader itself.
    pub(super) fn column_table(&mut self, rows: &[Row], texts: &[Vec<String>], header: usize) -> Result<(), Errors> {
        let table: Table = rows.iter().zip(texts).skip(header).map(|(r, t)| (r.pos, t.clone())).collect();
        let at = rows[header].pos;
        let drafts = drafts_from_rows(table, &self.topic)
            .map_err(|errors| errors.into_iter().map(|e| format!("Bảng ở đoạn {at}: {e}")).collect::<Vec<_>>())?;
        self.done.extend(drafts);
        Ok(())
    }

    /// One row, one question: the content cells read as paragraphs, the first being the stem even
    /// without a "Câu N:" label; key, topic and explanation cells as their header (or content) says.
    pub(super) fn row_question(&mut self, row: &Row, header: Option<&[String]>) {
        let mut content: Vec<&Para> = Vec::new();
        let (mut answer, mut topic, mut explanation) = (None, None, None);
        for (i, cell) in row.cells.iter().enumerate() {
            let text = cell_text(cell);
            if text.trim().is_empty() {
                continue;
            }
            let role = match header {
                Some(h) => header_role(h.get(i)),
                None => content_role(&text),
            };
            match role {
                Role::Ignore => {}
                Role::Content => content.extend(cell),
                Role::Answer => answer = Some(text),
                Role::Topic => topic = Some(text),
                Role::Explanation => explanation = Some(text),
            }
        }
        if content.is_empty() && answer.is_none() {
            return;
        }
        let mut flow = Flow::new(topic.map(|t| text::clean(&t)).unwrap_or_else(|| self.topic.clone()));
        let mut paras = content.into_iter();
        match paras.next() {
            Some(first) => flow.first_paragraph(first),
            None => flow.start(row.pos, ""),
        }
        for p in paras {
            flow.paragraph(p);
        }
        if let Some(c) = flow.current.as_mut() {
            if let Some(a) = answer {
                c.answer = Some((correct_marks(&a), a));
            }
            if let Some(e) = explanation {
                c.explanation = vec![e];
            }
        }
        flow.finish();
        self.done.append(&mut flow.done);
    }

    /// The first paragraph of a question cell is its stem, label or not.
    pub(super) fn first_paragraph(&mut self, para: &Para) {
        let t = para.text();
        if question_label(&t).is_some() || split_options(&t).is_some() {
            self.paragraph(para);
        } else {
            self.start(para.pos, number_label(&t).unwrap_or(&t));
        }
    }
}

pub(super) fn is_options(para: &Para) -> bool {
    split_options(&para.text()).is_some()
}
