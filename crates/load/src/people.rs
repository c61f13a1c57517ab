//! Synthetic participants: each index gives one distinct, valid identity.
//!
//! The server checks a CCCD as a real one (a province code, the century/sex digit and the birth
//! year agreeing with the date of birth), so the numbers are built to pass: province 001, born in
//! the 1900s, the year from the index's millions and a 6-digit counter from the rest, which keeps
//! 40 million indexes distinct. Runs against one database use different `--id-start`s.

use serde::Serialize;

/// How many distinct people the scheme can make.
pub const CAPACITY: u64 = 40_000_000;

const SURNAMES: [&str; 8] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"];
const MIDDLE: [&str; 6] = ["Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc"];
const GIVEN: [&str; 10] = ["An", "Bình", "Chi", "Dũng", "Hà", "Lan", "Nam", "Phương", "Quân", "Trang"];

/// The registration body of `POST /api/v1/contests/{slug}/participants`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Person {
    pub full_name: String,
    pub date_of_birth: String,
    pub cccd: String,
    pub phone: String,
    pub consent: bool,
}

/// The person with index `n` (taken modulo [`CAPACITY`]).
pub fn person(n: u64) -> Person {
    let n = n % CAPACITY;
    let year = 1960 + n / 1_000_000;
    let counter = n % 1_000_000;
    let sex = n % 2; // 0 male, 1 female, both in the 1900s
    let day = 1 + n % 28;
    let month = 1 + (n / 28) % 12;
    let name = format!(
        "{} {} {}",
        SURNAMES[(n % 8) as usize],
        MIDDLE[((n / 8) % 6) as usize],
        GIVEN[((n / 48) % 10) as usize]
    );
    Person {
        full_name: name,
        date_of_birth: format!("{day:02}/{month:02}/{year}"),
        cccd: format!("001{sex}{:02}{counter:06}", year % 100),
        phone: format!("09{:08}", n % 100_000_000),
        consent: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cuocthi_domain::identity::{Cccd, Phone};
    use std::collections::HashSet;

    #[test]
    fn identities_are_valid_and_distinct() {
        let mut seen = HashSet::new();
        for n in (0..CAPACITY).step_by(99_991).chain(0..2000) {
            let p = person(n);
            let cccd = Cccd::parse(&p.cccd).unwrap();
            let year: i32 = p.date_of_birth[6..].parse().unwrap();
            assert_eq!(cccd.birth_year(), year, "{p:?}");
            Phone::parse(&p.phone).unwrap();
            seen.insert(p.cccd);
        }
        assert_eq!(seen.len(), (0..CAPACITY).step_by(99_991).chain(0..2000).collect::<HashSet<_>>().len());
    }
}
