//! The demo contests: the five seed contests of `examples/contests/` (closed, with their real
//! dates) and a practice contest open from now on, all with the demo question bank.

use chrono::Duration;
use cuocthi_domain::vntime;

use crate::{Engine, EngineError, Result};

/// The example definitions, compiled in so `serve --demo` works from any directory.
pub const EXAMPLES: [(&str, &str); 5] = [
    ("000-quang-ninh-2024.toml", include_str!("../../../examples/contests/000-quang-ninh-2024.toml")),
    ("001-cao-bang-2024.toml", include_str!("../../../examples/contests/001-cao-bang-2024.toml")),
    ("002-dak-nong-2023.toml", include_str!("../../../examples/contests/002-dak-nong-2023.toml")),
    ("003-thai-binh-2024.toml", include_str!("../../../examples/contests/003-thai-binh-2024.toml")),
    ("004-thai-binh-2023-de-an-06.toml", include_str!("../../../examples/contests/004-thai-binh-2023-de-an-06.toml")),
];

/// The demo question bank (CSV in the layout of docs/IMPORT.md).
pub const DEMO_BANK: &[u8] = include_bytes!("../../../examples/questions/demo-bank.csv");

pub const PRACTICE_SLUG: &str = "thi-thu";

/// A practice contest whose round opened an hour ago and stays open for 60 days.
pub fn practice_definition(now: chrono::DateTime<chrono::Utc>) -> String {
    let opens = vntime::format(now - Duration::hours(1));
    let closes = vntime::format(now + Duration::days(60));
    format!(
        r#"slug = "{PRACTICE_SLUG}"
title = "Thi thử: Tìm hiểu về chuyển đổi số và Đề án 06"
organiser = "Ban Tổ chức cuộc thi (dữ liệu trình diễn)"
summary = "Cuộc thi thử để làm quen với cách dự thi trực tuyến: 20 câu hỏi rút ngẫu nhiên, 20 phút, tối đa 3 lượt."
audience = "Mọi người dùng muốn làm quen với hệ thống. Kết quả thi thử không xét giải."
rules = """
1. Mỗi lượt thi gồm 20 câu hỏi trắc nghiệm được rút ngẫu nhiên từ ngân hàng câu hỏi; mỗi câu có một đáp án đúng.
2. Thời gian làm bài tối đa 20 phút; hết giờ, hệ thống tự động nộp bài với các câu trả lời đã lưu.
3. Mỗi người được thi tối đa 03 lượt; lượt có kết quả cao nhất được tính.
4. Xếp hạng theo số câu trả lời đúng, sau đó theo câu hỏi dự đoán, thời gian làm bài và thời điểm nộp bài.
"""
question_bank = "../questions/demo-bank.csv"

[eligibility]
required_fields = ["full_name", "date_of_birth", "cccd", "phone"]

[[rounds]]
name = "Đợt thi thử"
opens = "{opens}"
closes = "{closes}"
questions_per_attempt = 20
time_limit_minutes = 20
attempts_per_person = 3
show_key_after_close = true
tiebreak = {{ prompt = "Dự đoán có bao nhiêu người tham gia đợt thi thử?", predicts = "people" }}
"#
    )
}

/// Loads every demo contest that is not there yet; returns the slugs loaded.
pub async fn load(engine: &Engine) -> Result<Vec<String>> {
    let practice = practice_definition(engine.now());
    let mut loaded = Vec::new();
    let all = EXAMPLES.iter().map(|(_, s)| *s).chain(std::iter::once(practice.as_str()));
    for source in all {
        match engine.import_contest(source, Some(("demo-bank.csv", DEMO_BANK))).await {
            Ok(done) => loaded.push(done.slug),
            Err(EngineError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(loaded)
}
