//! The parsers of what people type or upload — times and dates, CCCD and phone numbers, the
//! identity form, contest definition files — never panic on arbitrary text, and every refusal is
//! a message a person can read: not empty, and in Vietnamese (not only the input echoed back).

use cuocthi_domain::contest::{ContestDef, ContestSpec};
use cuocthi_domain::identity::{Cccd, Field, IdentityInput, Phone, normalise_key};
use cuocthi_domain::{attempt, text, vntime};
use proptest::prelude::*;

/// Letters that only Vietnamese writes, among the languages of this platform's users.
const VIETNAMESE: &str = "ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ";

/// Whether `message`, once the input it may quote is taken out, still says something in
/// Vietnamese.
fn readable(message: &str, input: &str) -> bool {
    let own = if input.trim().is_empty() { message.to_string() } else { message.replace(input.trim(), "") };
    !message.trim().is_empty() && own.to_lowercase().chars().any(|c| VIETNAMESE.contains(c))
}

/// Text shaped like what organisers and participants type, to reach past the first check.
fn typed() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9 ./:+()\\-]{0,24}",
        "[0-9]{1,4}[:/.\\-][0-9]{1,3}[:/.\\-][0-9]{0,6}( ?(ngày)? ?[0-9]{1,3}:[0-9]{1,3}(:[0-9]{1,3})?)?",
        "([0-9]{1,3}:[0-9]{1,3} )?(ngày )?[0-9]{1,3}/[0-9]{1,3}/[0-9]{1,6}",
        "[+8]{0,3}[0-9 .]{0,16}",
    ]
}

const FIELDS: [Field; 8] = [
    Field::FullName,
    Field::DateOfBirth,
    Field::Cccd,
    Field::Phone,
    Field::Email,
    Field::Unit,
    Field::Locality,
    Field::Group,
];

fn contest() -> ContestSpec {
    let source = include_str!("../../../../examples/contests/000-quang-ninh-2024.toml");
    ContestDef::from_toml(source).expect("the example reads").validate().expect("the example validates")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn times_and_dates_answer_a_message(s in typed()) {
        if let Err(m) = vntime::parse(&s) {
            prop_assert!(readable(&m, &s), "{s:?} → {m:?}");
        }
        if let Err(m) = vntime::parse_date(&s) {
            prop_assert!(readable(&m, &s), "{s:?} → {m:?}");
        }
    }

    #[test]
    fn cccd_and_phone_numbers_answer_a_message(s in typed()) {
        if let Err(m) = Cccd::parse(&s) {
            prop_assert!(readable(&m, &s), "{s:?} → {m:?}");
        }
        match Phone::parse(&s) {
            Ok(p) => prop_assert!(p.masked().len() >= 6),
            Err(m) => prop_assert!(readable(&m, &s), "{s:?} → {m:?}"),
        }
        let _ = normalise_key(&s);
    }

    #[test]
    fn the_identity_form_answers_a_message_per_field(
        full_name in typed(), date_of_birth in typed(), cccd in typed(), phone in typed(),
        email in typed(), unit in typed(), locality in typed(), group in typed(),
    ) {
        let input = IdentityInput {
            full_name: Some(full_name),
            date_of_birth: Some(date_of_birth),
            cccd: Some(cccd),
            phone: Some(phone),
            email: Some(email),
            unit: Some(unit),
            locality: Some(locality),
            group: Some(group),
        };
        if let Err(errors) = input.validate(&contest()) {
            prop_assert!(!errors.is_empty());
            for e in errors {
                let field = FIELDS.iter().find(|f| f.name() == e.field).expect("a field of the form");
                let typed = input.raw(*field).as_deref().unwrap_or_default();
                prop_assert!(readable(&e.message, typed), "{}: {:?} → {:?}", e.field, typed, e.message);
            }
        }
    }

    #[test]
    fn definition_files_answer_a_message(source in any::<String>(), opens in typed(), closes in typed()) {
        if let Err(errors) = ContestDef::from_toml(&source) {
            prop_assert!(!errors.is_empty());
            for e in errors {
                prop_assert!(readable(&e.message, &source), "{source:?} → {e:?}");
            }
        }
        let mut def = ContestDef::from_toml(include_str!("../../../../examples/contests/001-cao-bang-2024.toml"))
            .expect("the example reads");
        def.rounds[0].opens = opens.clone();
        def.rounds[0].closes = closes.clone();
        if let Err(errors) = def.validate() {
            prop_assert!(!errors.is_empty());
            for e in errors {
                let quoted = if e.path.ends_with(".opens") { &opens } else { &closes };
                prop_assert!(readable(&e.message, quoted), "{opens:?} / {closes:?} → {e:?}");
            }
        }
    }

    #[test]
    fn stored_answers_and_free_text_never_panic(s in any::<String>()) {
        let answers = attempt::Answers::decode(&s);
        prop_assert_eq!(attempt::Answers::decode(&answers.encode()), answers);
        let _ = attempt::Void::parse(&s);
        let _ = text::fold(&text::clean(&s));
    }
}
