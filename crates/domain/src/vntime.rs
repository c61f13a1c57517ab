//! Vietnam time (giờ Việt Nam, UTC+7). Instants are kept in UTC everywhere; this module is the one
//! place that reads and writes them the way organisers do: `10:00 20/03/2023`.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Vietnam has used UTC+7 without daylight saving since 1975.
pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// The calendar date in Vietnam at an instant: ages and "the round's opening day" use it.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&offset()).date_naive()
}

/// `10:00 20/03/2023`, the form used in plans and on pages.
pub fn format(at: DateTime<Utc>) -> String {
    at.with_timezone(&offset()).format("%H:%M %d/%m/%Y").to_string()
}

/// `10:00 ngày 20/03/2023`, the form used in running text.
pub fn format_long(at: DateTime<Utc>) -> String {
    at.with_timezone(&offset()).format("%H:%M ngày %d/%m/%Y").to_string()
}

/// `20/03/2023`.
pub fn format_date(d: NaiveDate) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

/// Reads a Vietnam-time instant as organisers write it: `10:00 20/3/2023`,
/// `10:00 ngày 20/03/2023`, `20/03/2023 10:00`, `20/3/2023` (midnight) or RFC 3339 with an
/// explicit offset.
pub fn parse(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let cleaned = s.replace("ngày", " ").replace(',', " ");
    let parts: Vec<&str> = cleaned.split_whitespace().collect();
    let (time, date) = match parts.as_slice() {
        [a, b] if a.contains(':') => (Some(*a), *b),
        [a, b] if b.contains(':') => (Some(*b), *a),
        [a] => (None, *a),
        _ => return Err(format!("Không đọc được thời điểm \"{s}\"; hãy viết dạng 10:00 20/03/2023.")),
    };
    let date = parse_date(date)?;
    let time = match time {
        Some(t) => NaiveTime::parse_from_str(t, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
            .map_err(|_| format!("Giờ \"{t}\" không hợp lệ; hãy viết dạng 10:00."))?,
        None => NaiveTime::MIN,
    };
    from_local(NaiveDateTime::new(date, time))
}

/// Reads `20/03/2023`, `20/3/2023`, `20-03-2023`, ISO `2023-03-20`, or `20032023` as a phone's
/// number pad types it. A date in the right form that no calendar has is told so, not told to
/// use the form it already used.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    let written = date_as_typed(s);
    NaiveDate::parse_from_str(&written, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(&written, "%d-%m-%Y"))
        .or_else(|_| NaiveDate::parse_from_str(&written, "%Y-%m-%d"))
        .map_err(|_| {
            if is_missing_day(&written) {
                format!("Ngày {written} không tồn tại; hãy kiểm tra lại ngày và tháng.")
            } else {
                format!("Ngày \"{s}\" không hợp lệ; hãy viết dạng 20/03/2023.")
            }
        })
}

/// Eight digits (`12051988`, a phone's number pad) written as `12/05/1988`; anything else as
/// typed, trimmed.
pub fn date_as_typed(s: &str) -> String {
    let s = s.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}/{}/{}", &s[..2], &s[2..4], &s[4..])
    } else {
        s.to_string()
    }
}

/// A date written `d/m/yyyy` (or with `-`) in the right form that no calendar has (`31/02/1990`).
pub fn is_missing_day(written: &str) -> bool {
    day_month_year(written).is_some_and(|(d, m, y)| NaiveDate::from_ymd_opt(y, m, d).is_none())
}

/// `d/m/yyyy` (or with `-`) split into its numbers, whether or not the day exists.
fn day_month_year(s: &str) -> Option<(u32, u32, i32)> {
    let parts: Vec<&str> = s.split(['/', '-']).collect();
    let [d, m, y] = parts.as_slice() else { return None };
    let short = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if !(short(d) && short(m) && y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    Some((d.parse().ok()?, m.parse().ok()?, y.parse().ok()?))
}

fn from_local(local: NaiveDateTime) -> Result<DateTime<Utc>, String> {
    offset()
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| "Thời điểm không hợp lệ.".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_organisers_write() {
        let want = Utc.with_ymd_and_hms(2023, 3, 20, 3, 0, 0).unwrap();
        for s in ["10:00 20/3/2023", "10:00 ngày 20/03/2023", "20/03/2023 10:00", "2023-03-20T10:00:00+07:00"] {
            assert_eq!(parse(s), Ok(want), "{s}");
        }
        assert_eq!(format(want), "10:00 20/03/2023");
        assert_eq!(format_long(want), "10:00 ngày 20/03/2023");
    }

    #[test]
    fn reads_a_number_pad_and_names_a_day_that_does_not_exist() {
        assert_eq!(parse_date("12051988"), Ok(NaiveDate::from_ymd_opt(1988, 5, 12).unwrap()));
        assert!(parse_date("31/02/1990").unwrap_err().contains("không tồn tại"));
        assert!(parse_date("31021990").unwrap_err().contains("31/02/1990 không tồn tại"));
        assert!(parse_date("1205198").unwrap_err().contains("hãy viết dạng"));
        assert!(parse_date("hôm qua").unwrap_err().contains("hãy viết dạng"));
    }

    #[test]
    fn refuses_nonsense_in_vietnamese() {
        assert!(parse("25:00 20/3/2023").unwrap_err().contains("Giờ"));
        assert!(parse("10:00 32/3/2023").unwrap_err().contains("Ngày"));
        assert!(parse("hôm nay").is_err());
    }

    #[test]
    fn local_date_crosses_midnight_at_17_utc() {
        let t = Utc.with_ymd_and_hms(2024, 10, 9, 17, 0, 0).unwrap();
        assert_eq!(local_date(t), NaiveDate::from_ymd_opt(2024, 10, 10).unwrap());
    }
}
