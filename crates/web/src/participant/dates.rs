//! Dates as people type them on a phone's number pad. The domain reads `dd/mm/yyyy`; a person
//! with a numeric keypad types `12051988`, and a person who typed `31/02/1990` in the right form
//! must hear that the day does not exist, not that the form is wrong.

use cuocthi_domain::vntime;

use crate::i18n::Texts;

/// Eight digits read as `ddmmyyyy` and written with slashes; anything else as typed.
pub(super) fn as_typed(raw: &str) -> String {
    vntime::date_as_typed(raw)
}

/// The message for a date written as `dd/mm/yyyy` (or with `-`) that no calendar has; `None`
/// for a real date or one in another form (the domain explains the form).
pub(super) fn missing_day(date: &str, t: &Texts) -> Option<String> {
    vntime::is_missing_day(date).then(|| (t.date_does_not_exist)(date))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn eight_digits_are_a_day_a_month_and_a_year() {
        assert_eq!(as_typed(" 12051988 "), "12/05/1988");
        assert_eq!(as_typed("12/05/1988"), "12/05/1988");
        assert_eq!(as_typed("1205198"), "1205198");
        assert_eq!(as_typed("1988-05-12"), "1988-05-12");
    }

    #[test]
    fn a_day_no_calendar_has_is_named() {
        let t = Lang::Vi.texts();
        assert!(missing_day("31/02/1990", t).is_some_and(|m| m.contains("không tồn tại")));
        assert!(missing_day("29-02-2023", t).is_some());
        assert_eq!(missing_day("29/02/2024", t), None);
        assert_eq!(missing_day("1990-02-31", t), None, "another form: the domain explains it");
        assert_eq!(missing_day("hôm qua", t), None);
    }
}
