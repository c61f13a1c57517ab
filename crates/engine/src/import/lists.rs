//! Lists organisers keep in spreadsheets: the units tree with headcounts (đơn vị, biên chế), the
//! exclusion list (người không được dự thi) and each unit's registered list (danh sách đăng ký).
//! Columns are found by their headings, without regard to case or marks, below any title rows.

use cuocthi_domain::contest::{RegisteredPerson, UnitSpec};
use cuocthi_domain::identity::normalise_key;
use cuocthi_domain::text;

use super::table::{Table, read_table};

/// A list that cannot be used, with every reason (file-level, or `Dòng N: …`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListError(pub Vec<String>);

fn find(headings: &[String], names: &[&str]) -> Option<usize> {
    headings.iter().position(|h| {
        let h = text::fold(h);
        names.contains(&h.as_str())
    })
}

const CODE: &[&str] = &["ma don vi", "ma", "ma dv", "code"];
const NAME: &[&str] = &["ten don vi", "don vi", "ten", "name"];
const PARENT: &[&str] = &["ma don vi cap tren", "don vi cap tren", "ma cap tren", "cap tren", "parent"];
const HEADCOUNT: &[&str] =
    &["so can bo", "bien che", "so luong", "tong so", "so nguoi", "so can bo cong chuc vien chuc", "headcount"];
const KEY: &[&str] = &[
    "so cccd",
    "cccd",
    "can cuoc cong dan",
    "so dien thoai",
    "dien thoai",
    "sdt",
    "so dinh danh",
    "dinh danh",
    "email",
    "e-mail",
];
const PERSON: &[&str] = &["ho va ten", "ho ten", "full name", "name"];

/// The header row (the first of the first 20 with every `required` heading) and the rows below.
/// A header row and the numbered rows below it.
type Headed<'a> = (&'a [String], &'a [(usize, Vec<String>)]);

fn header<'a>(table: &'a Table, required: &[&[&str]]) -> Result<Headed<'a>, ListError> {
    let rows: Vec<usize> = (0..table.len().min(20)).collect();
    for i in rows {
        let headings = &table[i].1;
        if required.iter().all(|names| find(headings, names).is_some()) {
            return Ok((headings, &table[i + 1..]));
        }
    }
    Err(ListError(vec![format!(
        "Không tìm thấy dòng tiêu đề có đủ các cột: {}.",
        required.iter().map(|n| format!("\"{}\"", n[0])).collect::<Vec<_>>().join(", ")
    )]))
}

fn cell(row: &[String], i: Option<usize>) -> String {
    i.and_then(|i| row.get(i)).map(|c| text::clean(c)).unwrap_or_default()
}

/// A headcount as a spreadsheet hands it over (numbers come as floats): whole, not negative and
/// under ten million, or nothing.
#[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "checked whole and in 0..10,000,000 first")]
fn whole_count(v: f64) -> Option<u32> {
    if v >= 0.0 && v.fract() == 0.0 && v < 10_000_000.0 { Some(v as u32) } else { None }
}

fn blank(row: &[String]) -> bool {
    row.iter().all(|c| c.trim().is_empty())
}

/// The units tree: code, name, parent code (optional), headcount (optional, a whole number).
pub fn parse_units(name: &str, bytes: &[u8]) -> Result<Vec<UnitSpec>, ListError> {
    let table = read_table(name, bytes).map_err(ListError)?;
    let (h, rows) = header(&table, &[CODE, NAME])?;
    let (code, uname, parent, count) = (find(h, CODE), find(h, NAME), find(h, PARENT), find(h, HEADCOUNT));
    let mut units = Vec::new();
    let mut errors = Vec::new();
    for (line, row) in rows.iter().filter(|(_, r)| !blank(r)) {
        let c = cell(row, code);
        let n = cell(row, uname);
        let headcount = cell(row, count).replace(['.', ',', ' '], "");
        let headcount = if headcount.is_empty() {
            None
        } else {
            let n = headcount.parse::<f64>().ok().and_then(whole_count);
            if n.is_none() {
                errors.push(format!("Dòng {line}: số cán bộ \"{}\" không phải số nguyên không âm.", cell(row, count)));
            }
            n
        };
        if c.is_empty() || n.is_empty() {
            errors.push(format!("Dòng {line}: thiếu mã hoặc tên đơn vị."));
            continue;
        }
        let p = cell(row, parent);
        units.push(UnitSpec { code: c, name: n, parent: Some(p).filter(|p| !p.is_empty()), headcount });
    }
    if units.is_empty() && errors.is_empty() {
        errors.push("Tệp không có đơn vị nào.".into());
    }
    if errors.is_empty() { Ok(units) } else { Err(ListError(errors)) }
}

/// Identity keys (CCCD, phone or e-mail), one a row, from the key column (or the first column of
/// a file without headings).
pub fn parse_keys(name: &str, bytes: &[u8]) -> Result<Vec<String>, ListError> {
    let table = read_table(name, bytes).map_err(ListError)?;
    let (column, rows) = match header(&table, &[KEY]) {
        Ok((h, rows)) => (find(h, KEY), rows),
        Err(_) => (Some(0), &table[..]),
    };
    let mut keys: Vec<String> =
        rows.iter().map(|(_, r)| normalise_key(&cell(r, column))).filter(|k| !k.is_empty()).collect();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return Err(ListError(vec!["Tệp không có số định danh nào (cột \"Số CCCD\" hoặc \"Số điện thoại\").".into()]));
    }
    Ok(keys)
}

/// A unit's registered list: the identity key and, if given, the name; every row is put in `unit`.
pub fn parse_registered(name: &str, bytes: &[u8], unit: &str) -> Result<Vec<RegisteredPerson>, ListError> {
    let table = read_table(name, bytes).map_err(ListError)?;
    let (h, rows) = header(&table, &[KEY])?;
    let (key, person) = (find(h, KEY), find(h, PERSON));
    let mut out: Vec<RegisteredPerson> = Vec::new();
    let mut errors = Vec::new();
    for (line, row) in rows.iter().filter(|(_, r)| !blank(r)) {
        let k = normalise_key(&cell(row, key));
        if k.is_empty() {
            errors.push(format!("Dòng {line}: thiếu số định danh."));
        } else if out.iter().any(|p| p.key == k) {
            errors.push(format!("Dòng {line}: số định danh {k} đã có ở dòng trước."));
        } else {
            out.push(RegisteredPerson {
                unit: unit.to_string(),
                key: k,
                name: Some(cell(row, person)).filter(|n| !n.is_empty()),
            });
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push("Danh sách không có ai.".into());
    }
    if errors.is_empty() { Ok(out) } else { Err(ListError(errors)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_read_below_a_title_with_headcounts() {
        let csv = "DANH SÁCH ĐƠN VỊ\n\nMã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Số cán bộ\nSGD,Sở Giáo dục,,120\nTHPT1,Trường THPT số 1,SGD,\"1.050\"\n";
        let units = parse_units("don-vi.csv", csv.as_bytes()).unwrap();
        assert_eq!(units.len(), 2);
        assert_eq!(units[1].parent.as_deref(), Some("SGD"));
        assert_eq!(units[1].headcount, Some(1050));
    }

    #[test]
    fn bad_rows_are_named() {
        let csv = "Mã đơn vị,Tên đơn vị,Số cán bộ\nA,,10\nB,Đơn vị B,mười\n";
        let e = parse_units("x.csv", csv.as_bytes()).unwrap_err();
        assert_eq!(
            e.0,
            vec!["Dòng 2: thiếu mã hoặc tên đơn vị.", "Dòng 3: số cán bộ \"mười\" không phải số nguyên không âm."]
        );
        let e = parse_units("x.csv", "Tên,Tuổi\nA,1\n".as_bytes()).unwrap_err();
        assert!(e.0[0].contains("Không tìm thấy dòng tiêu đề"));
    }

    #[test]
    fn headcounts_are_whole_numbers_under_ten_million() {
        assert_eq!(whole_count(1050.0), Some(1050));
        assert_eq!(whole_count(0.0), Some(0));
        for v in [-1.0, 2.5, 10_000_000.0, f64::NAN, f64::INFINITY] {
            assert_eq!(whole_count(v), None, "{v}");
        }
    }

    #[test]
    fn keys_are_normalised_and_deduplicated() {
        let csv = "STT,Họ và tên,Số CCCD\n1,Nguyễn Văn A,001 090 123 456\n2,Trần B,001090123456\n3,Lê C,0912 345 678\n";
        assert_eq!(parse_keys("x.csv", csv.as_bytes()).unwrap(), vec!["001090123456", "0912345678"]);
        let reg = parse_registered("x.csv", csv.as_bytes(), "SGD").unwrap_err();
        assert_eq!(reg.0, vec!["Dòng 3: số định danh 001090123456 đã có ở dòng trước."]);
    }
}
