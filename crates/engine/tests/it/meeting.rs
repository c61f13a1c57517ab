//! The committee's meeting on seed 004's results: the draft it reviews (winners with their
//! deciding columns, collective prizes, exclusions) and its record as a .docx to sign; and the
//! demo that plays seed 004 and publishes its results once, with a certificate for each awarded
//! unit.

use std::io::Read;

use cuocthi_engine::console::review::Target;
use cuocthi_engine::demo::{self, PLAYED_SLUG};
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::common::*;

on_both_backends!(the_meeting_record_names_the_winners_and_leaves_lines_to_sign, the_demo_plays_seed_004_once);

/// The text of a .docx's body, its XML tags dropped.
fn docx_text(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml").expect("the document").read_to_string(&mut xml).expect("UTF-8");
    let mut text = String::new();
    let mut in_tag = false;
    for ch in xml.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn the_meeting_record_names_the_winners_and_leaves_lines_to_sign(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    demo::load(e).await.unwrap();
    demo::synthetic(e, PLAYED_SLUG, 1, 300, 11).await.unwrap();
    let admin = system_admin();
    // The judges take the leader out, with a reason.
    let leader = e.round_results(PLAYED_SLUG, 1).await.unwrap().awards[0].participant_id;
    let reason = "Khai báo sai đơn vị, biên bản rà soát số 2";
    e.disqualify(&admin, PLAYED_SLUG, Target::Person(leader), reason).await.unwrap();

    let m = e.meeting_draft(&admin, PLAYED_SLUG, Some(1)).await.unwrap();
    assert_eq!(m.scope, "Đợt 1: Đợt thi");
    assert_eq!(m.draft.rows.len(), 20, "20 individual prizes");
    assert_eq!(m.draft.participants, 299, "the excluded person is not ranked");
    assert!(m.draft.rows.windows(2).all(|w| w[0].correct >= w[1].correct), "ordered by correct answers first");
    assert!(m.draft.rows.iter().all(|r| r.prediction.is_some() && r.distance.is_some()), "the deciding columns");
    let units = &m.draft.collective[0].units;
    assert_eq!(units.iter().filter(|u| u.prize.is_some()).count(), 11, "11 collective prizes");
    assert_eq!(m.exclusions.len(), 1);
    assert!(m.exclusions[0].whole_person && m.exclusions[0].reason == reason);

    let text = docx_text(&e.meeting_record(&admin, PLAYED_SLUG, Some(1)).await.unwrap());
    let today = cuocthi_domain::vntime::format_date(cuocthi_domain::vntime::local_date(t0()));
    for want in [
        "BIÊN BẢN HỌP",
        "ỦY BAN NHÂN DÂN TỈNH THÁI BÌNH",
        "Đợt 1: Đợt thi",
        &today,
        &m.draft.rows[0].name,
        &m.draft.rows[19].name,
        "Giải Khuyến khích",
        &units[0].unit,
        &m.exclusions[0].name,
        reason,
        "THƯ KÝ",
        "CHỦ TRÌ",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    assert_eq!(text.matches("(Ký, ghi rõ họ tên)").count(), 4, "four blank signature blocks");

    // Not before the scope closes; not for staff without the results.
    let open = e.meeting_record(&admin, "kiem-thu", Some(1)).await;
    assert!(matches!(open, Err(cuocthi_engine::EngineError::BadRequest(_))), "{open:?}");
}

async fn the_demo_plays_seed_004_once(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    demo::load(e).await.unwrap();
    assert_eq!(demo::play_seed_004(e).await.unwrap(), demo::PLAYED_PEOPLE);
    let published = e.public_results(PLAYED_SLUG).await.unwrap();
    assert_eq!(published.len(), 1, "the one round, published");
    let view = &published[0].view;
    assert_eq!(view.participants, 3_000);
    assert_eq!(view.real_figure, Some(3_000), "the figure frozen from the synthetic attempts");
    assert_eq!(view.rows.iter().filter(|r| r.prize.is_some()).count(), 20);
    let prized: Vec<u64> =
        view.collective[0].units.iter().filter(|u| u.prize.is_some()).map(|u| u.participants).collect();
    assert_eq!(prized.len(), 11, "{:?}", view.collective);
    assert!(prized.windows(2).all(|w| w[0] > w[1]), "no tie among the prized units: {prized:?}");
    // A certificate for each winner, then one for each awarded unit, checked by its serial.
    let all = e.certificates_of(published[0].ranking_id).await.unwrap();
    assert_eq!((all.len(), all.iter().filter(|c| c.collective).count()), (31, 11));
    let first_unit = &view.collective[0].units[0];
    let checked = e.certificate(&all[20].serial).await.unwrap();
    assert!(checked.collective && checked.recipient == first_unit.unit, "{checked:?}");
    assert_eq!((checked.award.as_str(), checked.round.as_deref()), ("Giải Nhất", Some("Giải tập thể")));

    // Seed 002's event has its eight district teams, in an order drawn on stage, once.
    assert_eq!(demo::register_seed_002_teams(e).await.unwrap(), 8);
    let teams = e.event_teams(&system_admin(), demo::EVENT_SLUG).await.unwrap();
    assert_eq!(teams.len(), 8);
    assert!(teams.iter().all(|t| t.members.len() == 5), "{teams:?}");
    let mut order: Vec<i64> = teams.iter().filter_map(|t| t.performance_order).collect();
    order.sort();
    assert_eq!(order, (1..=8).collect::<Vec<i64>>(), "every team has its place on stage");

    // A second start changes nothing.
    assert_eq!(demo::register_seed_002_teams(e).await.unwrap(), 0);
    assert_eq!(demo::play_seed_004(e).await.unwrap(), 0);
    let again = e.public_results(PLAYED_SLUG).await.unwrap();
    assert_eq!((again.len(), again[0].version), (1, 1));
    assert_eq!(e.round_results(PLAYED_SLUG, 1).await.unwrap().standings.len(), 3_000);
}
