//! Who a participant is (người dự thi): the identity fields a contest asks for, the checks on a
//! citizen ID (số CCCD / số định danh cá nhân) and a phone number, and eligibility.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::locality;
use crate::text;

/// An identity field a contest may require.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    FullName,
    DateOfBirth,
    Cccd,
    Phone,
    Email,
    Unit,
    Locality,
    Group,
}

impl Field {
    pub fn default_required() -> Vec<Field> {
        vec![Field::FullName, Field::DateOfBirth, Field::Cccd, Field::Phone]
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::FullName => "Họ và tên",
            Field::DateOfBirth => "Ngày sinh",
            Field::Cccd => "Số CCCD",
            Field::Phone => "Số điện thoại",
            Field::Email => "Thư điện tử",
            Field::Unit => "Đơn vị công tác",
            Field::Locality => "Nơi cư trú",
            Field::Group => "Đối tượng dự thi",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Field::FullName => "full_name",
            Field::DateOfBirth => "date_of_birth",
            Field::Cccd => "cccd",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Unit => "unit",
            Field::Locality => "locality",
            Field::Group => "group",
        }
    }
}

/// The field that says two registrations are the same person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKey {
    #[default]
    Cccd,
    Phone,
    Email,
}

impl IdentityKey {
    pub fn field(self) -> Field {
        match self {
            IdentityKey::Cccd => Field::Cccd,
            IdentityKey::Phone => Field::Phone,
            IdentityKey::Email => Field::Email,
        }
    }
}

/// A 12-digit citizen ID whose province code exists.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cccd(String);

impl Cccd {
    pub fn parse(s: &str) -> Result<Cccd, String> {
        let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("Số CCCD phải gồm đúng 12 chữ số.".into());
        }
        if !locality::is_cccd_province(&digits[..3]) {
            return Err(format!("Mã tỉnh \"{}\" ở 3 chữ số đầu của số CCCD không tồn tại.", &digits[..3]));
        }
        Ok(Cccd(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The century of birth encoded by digit 4 (0/1: 1900s, 2/3: 2000s, 4/5: 2100s, 6/7: 2200s,
    /// 8/9: 2300s), with the year's last two digits in 5–6.
    pub fn birth_year(&self) -> i32 {
        let b = self.0.as_bytes();
        let gender_century = i32::from(b[3] - b'0');
        let century = match gender_century / 2 {
            0 => 1900,
            1 => 2000,
            2 => 2100,
            3 => 2200,
            _ => 2300,
        };
        century + i32::from(b[4] - b'0') * 10 + i32::from(b[5] - b'0')
    }

    /// Checks that the ID agrees with the date of birth given.
    pub fn check_birth(&self, dob: NaiveDate) -> Result<(), String> {
        if self.birth_year() != dob.year() {
            return Err(format!(
                "Số CCCD không khớp với năm sinh {} (chữ số thứ 4–6 của số CCCD cho năm sinh {}).",
                dob.year(),
                self.birth_year()
            ));
        }
        Ok(())
    }

    /// `0010******45`: what pages show of a CCCD when they show anything.
    pub fn masked(&self) -> String {
        format!("{}******{}", &self.0[..4], &self.0[10..])
    }
}

impl fmt::Display for Cccd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Vietnamese phone number, normalised to the national form starting with 0.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    /// Accepts `0912 345 678`, `091.234.5678`, `+84912345678`, `84912345678`; mobile numbers are
    /// 10 digits (03, 05, 07, 08, 09), landlines 11 digits (02x).
    pub fn parse(s: &str) -> Result<Phone, String> {
        let mut digits: String = s.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
        if let Some(rest) = digits.strip_prefix("+84") {
            digits = format!("0{rest}");
        } else if digits.starts_with("84") && digits.len() == 11 {
            digits = format!("0{}", &digits[2..]);
        }
        let ok = digits.bytes().all(|b| b.is_ascii_digit())
            && match digits.as_bytes() {
                [b'0', b'3' | b'5' | b'7' | b'8' | b'9', ..] => digits.len() == 10,
                [b'0', b'2', ..] => digits.len() == 11,
                _ => false,
            };
        if ok {
            Ok(Phone(digits))
        } else {
            Err("Số điện thoại không hợp lệ (10 chữ số bắt đầu bằng 0, hoặc +84).".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[self.0.len() - 3..])
    }
}

/// Identity fields as typed on a form or sent to the API; every one optional until checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentityInput {
    pub full_name: Option<String>,
    /// dd/mm/yyyy or yyyy-mm-dd.
    pub date_of_birth: Option<String>,
    pub cccd: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// A unit code from the contest's unit tree.
    pub unit: Option<String>,
    /// A locality code from the contest's locality scheme.
    pub locality: Option<String>,
    /// A participant group code.
    pub group: Option<String>,
}

/// A checked identity, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub full_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub cccd: Option<Cccd>,
    pub phone: Option<Phone>,
    pub email: Option<String>,
    pub unit: Option<String>,
    pub locality: Option<String>,
    pub group: Option<String>,
}

/// A problem with one field, shown next to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn present(v: &Option<String>) -> Option<String> {
    v.as_deref().map(text::clean).filter(|s| !s.is_empty())
}

impl IdentityInput {
    /// Checks the fields against a contest's rules: formats, required fields, CCCD against the
    /// date of birth, known unit (`known_unit`), locality (of `scheme`) and group. Returns every
    /// problem at once. [`IdentityInput::validate`] (in `contest`) calls it with a contest's own.
    pub(crate) fn check(
        &self,
        rules: &Eligibility,
        scheme: locality::Scheme,
        known_unit: impl Fn(&str) -> bool,
    ) -> Result<Identity, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |f: Field, m: String| errors.push(FieldError { field: f.name().into(), message: m });

        let full_name = present(&self.full_name);
        if full_name.as_ref().is_some_and(|n| n.chars().count() > 100) {
            fail(Field::FullName, "Họ và tên quá dài.".into());
        }
        let dob = present(&self.date_of_birth).and_then(|s| match crate::vntime::parse_date(&s) {
            Ok(d) if d.year() >= 1900 => Some(d),
            Ok(_) => {
                fail(Field::DateOfBirth, "Ngày sinh không hợp lệ.".into());
                None
            }
            Err(m) => {
                fail(Field::DateOfBirth, m);
                None
            }
        });
        let cccd = present(&self.cccd).and_then(|s| Cccd::parse(&s).map_err(|m| fail(Field::Cccd, m)).ok());
        if let (Some(c), Some(d)) = (&cccd, dob)
            && let Err(m) = c.check_birth(d)
        {
            fail(Field::Cccd, m);
        }
        let phone = present(&self.phone).and_then(|s| Phone::parse(&s).map_err(|m| fail(Field::Phone, m)).ok());
        let email = present(&self.email).map(|e| e.to_lowercase());
        if let Some(e) = &email
            && !looks_like_email(e)
        {
            fail(Field::Email, "Địa chỉ thư điện tử không hợp lệ.".into());
        }
        let unit = present(&self.unit);
        if let Some(u) = &unit
            && !known_unit(u)
        {
            fail(Field::Unit, "Hãy chọn đơn vị trong danh sách.".into());
        }
        let locality = present(&self.locality);
        if let Some(l) = &locality
            && locality::find(scheme, l).is_none()
        {
            fail(Field::Locality, "Hãy chọn địa bàn trong danh sách.".into());
        }
        let group = present(&self.group);
        if let Some(g) = &group
            && !rules.groups.iter().any(|x| &x.code == g)
        {
            fail(Field::Group, "Hãy chọn đối tượng dự thi trong danh sách.".into());
        }
        let identity = Identity { full_name, date_of_birth: dob, cccd, phone, email, unit, locality, group };
        for f in &rules.required_fields {
            let raw_given = self.raw(*f).is_some();
            // A field that was given but failed its check already has a message.
            let already_reported = raw_given && errors.iter().any(|e| e.field == f.name());
            if !identity.has(*f) && !already_reported {
                errors.push(FieldError {
                    field: f.name().into(),
                    message: format!("Vui lòng nhập {}.", f.label().to_lowercase()),
                });
            }
        }
        if errors.is_empty() { Ok(identity) } else { Err(errors) }
    }
}

impl IdentityInput {
    /// The field as typed, before any check.
    pub fn raw(&self, f: Field) -> &Option<String> {
        match f {
            Field::FullName => &self.full_name,
            Field::DateOfBirth => &self.date_of_birth,
            Field::Cccd => &self.cccd,
            Field::Phone => &self.phone,
            Field::Email => &self.email,
            Field::Unit => &self.unit,
            Field::Locality => &self.locality,
            Field::Group => &self.group,
        }
    }
}

fn looks_like_email(e: &str) -> bool {
    let mut parts = e.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(d), None)
        if !a.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !e.contains(' '))
}

impl Identity {
    pub fn has(&self, f: Field) -> bool {
        match f {
            Field::FullName => self.full_name.is_some(),
            Field::DateOfBirth => self.date_of_birth.is_some(),
            Field::Cccd => self.cccd.is_some(),
            Field::Phone => self.phone.is_some(),
            Field::Email => self.email.is_some(),
            Field::Unit => self.unit.is_some(),
            Field::Locality => self.locality.is_some(),
            Field::Group => self.group.is_some(),
        }
    }

    /// The value of the contest's identity key: what makes a person one person.
    pub fn key(&self, key: IdentityKey) -> Option<String> {
        match key {
            IdentityKey::Cccd => self.cccd.as_ref().map(|c| c.as_str().to_string()),
            IdentityKey::Phone => self.phone.as_ref().map(|p| p.as_str().to_string()),
            IdentityKey::Email => self.email.clone(),
        }
    }

    /// The values lists (exclusions, registered lists) may name a person by: CCCD and phone.
    pub fn list_keys(&self) -> Vec<String> {
        [self.cccd.as_ref().map(|c| c.0.clone()), self.phone.as_ref().map(|p| p.0.clone())]
            .into_iter()
            .flatten()
            .collect()
    }

    /// Complete data: every required field present. Incomplete data rules a person out of prizes.
    pub fn is_complete(&self, rules: &Eligibility) -> bool {
        rules.required_fields.iter().all(|f| self.has(*f))
    }

    /// Whether `given` (a new registration with this person's key) is this person: the date of
    /// birth must be known on both sides and equal, and every other field given on both sides
    /// must agree (names compared without case or marks, e-mails without case). A field this
    /// person never gave proves nothing either way.
    pub fn recognises(&self, given: &Identity) -> bool {
        fn same<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
            match (a, b) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
        }
        let folded = |n: &Option<String>| n.as_deref().map(text::fold);
        let lower = |e: &Option<String>| e.as_deref().map(str::to_lowercase);
        self.date_of_birth.is_some()
            && self.date_of_birth == given.date_of_birth
            && same(&folded(&self.full_name), &folded(&given.full_name))
            && same(&self.cccd, &given.cccd)
            && same(&self.phone, &given.phone)
            && same(&lower(&self.email), &lower(&given.email))
            && same(&self.unit, &given.unit)
            && same(&self.locality, &given.locality)
            && same(&self.group, &given.group)
    }

    /// Age in full years on a date.
    pub fn age_on(&self, day: NaiveDate) -> Option<u32> {
        let dob = self.date_of_birth?;
        let mut years = day.year() - dob.year();
        if (day.month(), day.day()) < (dob.month(), dob.day()) {
            years -= 1;
        }
        u32::try_from(years).ok()
    }
}

/// A participant group (đối tượng dự thi).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub code: String,
    pub name: String,
}

/// Who may take part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Eligibility {
    #[serde(default = "Field::default_required")]
    pub required_fields: Vec<Field>,
    /// What identifies a person, so attempts are limited per person and not per browser.
    #[serde(default)]
    pub identity_key: IdentityKey,
    /// Minimum age in full years on the round's opening day (Vietnam date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_age: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    /// CCCD numbers or phone numbers of people who may not take part (organisers, judges, helpers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<String>,
    /// Only people on a unit's registered list may take part (seed 002).
    #[serde(default)]
    pub registered_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_registered_per_unit: Option<u32>,
}

impl Default for Eligibility {
    fn default() -> Self {
        Eligibility {
            required_fields: Field::default_required(),
            identity_key: IdentityKey::default(),
            min_age: None,
            groups: Vec::new(),
            exclusions: Vec::new(),
            registered_only: false,
            min_registered_per_unit: None,
        }
    }
}

/// Why a person may not start an attempt; `Display` is the Vietnamese message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Ineligible {
    #[error("Người dự thi phải đủ {0} tuổi vào ngày mở đợt thi.")]
    TooYoung(u32),
    #[error("Cần khai báo ngày sinh để kiểm tra độ tuổi dự thi.")]
    AgeUnknown,
    #[error("Thành viên Ban Tổ chức, Ban Giám khảo, Tổ Thư ký và người soạn đề không được dự thi.")]
    Excluded,
    #[error("Cuộc thi chỉ dành cho người có tên trong danh sách đăng ký của đơn vị.")]
    NotRegistered,
}

/// Checks whether a person may take part in a round that opens on `opening_day` (Vietnam date).
/// `registered` says whether the person is on a unit's registered list.
pub fn check_eligible(
    who: &Identity,
    rules: &Eligibility,
    opening_day: NaiveDate,
    registered: bool,
) -> Result<(), Ineligible> {
    if let Some(min) = rules.min_age {
        match who.age_on(opening_day) {
            None => return Err(Ineligible::AgeUnknown),
            Some(age) if age < min => return Err(Ineligible::TooYoung(min)),
            _ => {}
        }
    }
    let keys = who.list_keys();
    if rules.exclusions.iter().any(|x| keys.contains(&normalise_key(x))) {
        return Err(Ineligible::Excluded);
    }
    if rules.registered_only && !registered {
        return Err(Ineligible::NotRegistered);
    }
    Ok(())
}

/// A CCCD or phone as written in a list, in the form identities are stored in.
pub fn normalise_key(s: &str) -> String {
    Phone::parse(s).map(|p| p.0).unwrap_or_else(|_| s.chars().filter(|c| !c.is_whitespace()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cccd_digits_agree_with_the_birth_year() {
        let c = Cccd::parse("001 0 90 123456").unwrap();
        assert_eq!(c.birth_year(), 1990);
        assert!(c.check_birth(NaiveDate::from_ymd_opt(1990, 5, 1).unwrap()).is_ok());
        assert!(c.check_birth(NaiveDate::from_ymd_opt(1991, 5, 1).unwrap()).is_err());
        assert_eq!(Cccd::parse("034305001234").unwrap().birth_year(), 2005);
        assert_eq!(c.masked(), "0010******56");
    }

    #[test]
    fn cccd_refuses_wrong_lengths_and_provinces() {
        assert!(Cccd::parse("00109012345").is_err());
        assert!(Cccd::parse("00109012345a").is_err());
        assert!(Cccd::parse("003090123456").unwrap_err().contains("003"), "003 is no province code");
        assert!(Cccd::parse("099090123456").is_err());
    }

    #[test]
    fn phones_are_normalised() {
        for s in ["0912345678", "0912 345 678", "+84912345678", "84912345678", "091.234.5678"] {
            assert_eq!(Phone::parse(s).unwrap().as_str(), "0912345678", "{s}");
        }
        assert_eq!(Phone::parse("02033123456").unwrap().as_str(), "02033123456");
        for s in ["912345678", "0112345678", "09123456789", "abc"] {
            assert!(Phone::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn a_person_is_recognised_only_when_every_given_field_agrees() {
        let stored = Identity {
            full_name: Some("Nguyễn Văn An".into()),
            date_of_birth: NaiveDate::from_ymd_opt(1990, 6, 15),
            cccd: Cccd::parse("001090123456").ok(),
            phone: Phone::parse("0912345678").ok(),
            ..Identity::default()
        };
        let mut given = stored.clone();
        given.full_name = Some("nguyen van an".into());
        given.email = Some("an@example.vn".into());
        assert!(stored.recognises(&given), "case and marks of a name, a field never given before");
        for change in [
            |g: &mut Identity| g.full_name = Some("Trần Thị Bình".into()),
            |g: &mut Identity| g.phone = Phone::parse("0987654321").ok(),
            |g: &mut Identity| g.date_of_birth = NaiveDate::from_ymd_opt(1990, 6, 16),
            |g: &mut Identity| g.date_of_birth = None,
        ] {
            let mut g = stored.clone();
            change(&mut g);
            assert!(!stored.recognises(&g), "{g:?}");
        }
        let no_date = Identity { date_of_birth: None, ..stored.clone() };
        assert!(!no_date.recognises(&no_date), "nothing to prove without a date of birth");
    }

    #[test]
    fn ages_count_full_years() {
        let who = Identity {
            full_name: None,
            date_of_birth: NaiveDate::from_ymd_opt(2006, 10, 11),
            cccd: None,
            phone: None,
            email: None,
            unit: None,
            locality: None,
            group: None,
        };
        assert_eq!(who.age_on(NaiveDate::from_ymd_opt(2024, 10, 10).unwrap()), Some(17));
        assert_eq!(who.age_on(NaiveDate::from_ymd_opt(2024, 10, 11).unwrap()), Some(18));
        let rules = Eligibility { min_age: Some(18), ..Eligibility::default() };
        let day = NaiveDate::from_ymd_opt(2024, 10, 10).unwrap();
        assert_eq!(check_eligible(&who, &rules, day, false), Err(Ineligible::TooYoung(18)));
    }

    proptest! {
        #[test]
        fn cccd_check_accepts_exactly_matching_years(province in prop::sample::select(vec!["001", "022", "034", "096"]),
                                                     year in 1900i32..2100, sex in 0u8..2, rest in 0u32..1_000_000, other in 1900i32..2100) {
            let century_digit = if year < 2000 { sex } else { 2 + sex };
            let s = format!("{province}{century_digit}{:02}{rest:06}", year % 100);
            let c = Cccd::parse(&s).unwrap();
            let dob = |y| NaiveDate::from_ymd_opt(y, 6, 15).unwrap();
            prop_assert!(c.check_birth(dob(year)).is_ok());
            prop_assert_eq!(c.check_birth(dob(other)).is_ok(), other == year);
        }
    }
}
