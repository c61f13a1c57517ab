//! The participant pages in two languages: Vietnamese (the default) and English.
//!
//! The language is the `lang` cookie (`vi` or `en`). A `?lang=en` (or `?lang=vi`) on any page
//! sets the cookie and redirects once to the same address without it; the switch link on every
//! page is just that. The middleware puts the request's language in a task-local, so a page, or an
//! error page made from an engine error, reads its texts with [`t`] without passing it around.
//!
//! Engine error messages stay Vietnamese: they are the organiser's official wording.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use cuocthi_domain::identity::Field;
use cuocthi_domain::{text, vntime};

pub const COOKIE: &str = "lang";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    /// The language a request's `lang` cookie names; Vietnamese without one.
    pub fn of(headers: &HeaderMap) -> Lang {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == COOKIE)
            .and_then(|(_, v)| Lang::parse(v.trim()))
            .unwrap_or(Lang::Vi)
    }
}

tokio::task_local! {
    static LANG: Lang;
}

/// The texts of the request being answered (Vietnamese outside a request).
pub fn t() -> &'static Texts {
    LANG.try_with(|l| *l).unwrap_or(Lang::Vi).texts()
}

/// Honours `?lang=` once (cookie, then a redirect to the address without it), and answers the
/// request in the cookie's language. HTML varies with the cookie.
pub async fn middleware(req: Request, next: Next) -> Response {
    if req.method() == Method::GET
        && let Some(query) = req.uri().query()
    {
        let mut chosen = None;
        let rest: Vec<&str> = query
            .split('&')
            .filter(|kv| match kv.strip_prefix("lang=") {
                Some(v) => {
                    chosen = Lang::parse(v).or(chosen);
                    false
                }
                None => !kv.is_empty(),
            })
            .collect();
        if let Some(lang) = chosen {
            let path = req.uri().path();
            let to = if rest.is_empty() { path.to_string() } else { format!("{path}?{}", rest.join("&")) };
            let mut resp = Redirect::to(&to).into_response();
            let secure = req.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
            let code = if lang == Lang::En { "en" } else { "vi" };
            let cookie = format!(
                "{COOKIE}={code}; Path=/; SameSite=Lax; Max-Age=31536000{}",
                if secure { "; Secure" } else { "" }
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return resp;
        }
    }
    let lang = Lang::of(req.headers());
    let mut resp = LANG.scope(lang, next.run(req)).await;
    let html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        resp.headers_mut().append(header::VARY, HeaderValue::from_static("Cookie"));
    }
    resp
}

/// Every fixed text of the participant pages and the home page, in one language.
///
/// [`VI`] and [`EN`] are the two instances: a text added here and missing from either is a
/// compile error, so no page can show a half-translated label. Texts with numbers, dates or names
/// in them are small functions (those called from a template take their numbers by reference,
/// as askama passes them).
pub struct Texts {
    /// `<html lang>`.
    pub lang: &'static str,
    pub og_locale: &'static str,
    /// The switch to the other language: its label, its `lang` and its address.
    pub switch_label: &'static str,
    pub switch_lang: &'static str,
    pub switch_href: &'static str,
    pub site: &'static str,
    pub skip: &'static str,
    pub footer: &'static str,
    pub results_heading: &'static str,
    pub results_none: &'static str,
    pub results_published: &'static str,
    pub results_participants: &'static str,
    pub results_figure: &'static str,
    pub col_rank: &'static str,
    pub col_name: &'static str,
    pub col_unit: &'static str,
    pub col_locality: &'static str,
    pub col_correct: &'static str,
    pub col_time: &'static str,
    pub col_prize: &'static str,
    pub certificate: &'static str,
    pub certificate_genuine: &'static str,
    pub certificate_genuine_text: &'static str,
    /// A newer version of the results has been published since this certificate's.
    pub certificate_superseded: &'static str,
    pub results_version: fn(&i64) -> String,
    pub lookup_heading: &'static str,
    pub lookup_intro: &'static str,
    pub lookup_submit: &'static str,
    pub lookup_not_ranked: &'static str,
    pub lookup_place: fn(&i64, &usize) -> String,
    pub certificate_download: &'static str,
    pub see_results: &'static str,
    pub vn_time: &'static str,

    // Home
    pub home_heading: &'static str,
    pub open_now: &'static str,
    pub open_none: &'static str,
    pub upcoming: &'static str,
    pub upcoming_none: &'static str,
    pub closed: &'static str,
    pub closed_none: &'static str,
    pub from: &'static str,
    pub to: &'static str,

    // Contest page
    pub organiser: &'static str,
    pub hello: &'static str,
    pub sign_out: &'static str,
    pub people: &'static str,
    pub attempts: &'static str,
    pub register: &'static str,
    pub registered_before: &'static str,
    pub sign_in_with_id: &'static str,
    pub your_attempts: &'static str,
    pub prizes: &'static str,
    pub audience: &'static str,
    pub rules: &'static str,
    pub materials: &'static str,
    pub download: &'static str,
    pub continue_attempt: &'static str,
    pub share: &'static str,
    pub share_facebook: &'static str,
    pub share_link: &'static str,
    pub embed: &'static str,
    pub embed_note: &'static str,
    pub embed_iframe: &'static str,
    pub embed_banner: &'static str,
    pub banner_cta: &'static str,
    pub start: &'static str,
    pub a_participant: &'static str,
    pub between_rounds: &'static str,
    pub min_age: fn(&u32) -> String,
    pub attempt_again: fn(u32) -> String,
    pub round_upcoming: fn(DateTime<Utc>) -> String,
    pub round_closed: fn(DateTime<Utc>) -> String,
    pub contest_upcoming: fn(DateTime<Utc>) -> String,
    pub contest_closed: fn(DateTime<Utc>) -> String,
    pub contest_open_until: fn(DateTime<Utc>) -> String,
    pub window: fn(DateTime<Utc>, DateTime<Utc>) -> String,
    pub facts: fn(u32, u32, u32) -> String,
    pub prize: fn(&str, u32, i64) -> String,
    pub attempt_line: fn(i64, u32, u32, i64) -> String,
    pub og_description: fn(&str, DateTime<Utc>, DateTime<Utc>) -> String,

    // Registration and identification
    pub choose: &'static str,
    pub consent_1: &'static str,
    pub consent_2: &'static str,
    pub retention: &'static str,
    pub consent_3: &'static str,
    pub agree_1: &'static str,
    pub agree_2: &'static str,
    pub register_continue: &'static str,
    pub sign_in: &'static str,
    pub sign_in_heading: &'static str,
    pub not_registered: &'static str,
    pub back_to_contest: &'static str,
    pub field: fn(Field) -> &'static str,
    pub hint: fn(Field) -> &'static str,
    pub identify_intro: fn(&str) -> String,
    pub please_enter: fn(&str) -> String,

    // The attempt
    pub attempt: &'static str,
    pub time_left: &'static str,
    pub question: &'static str,
    pub saved: &'static str,
    pub unanswered: &'static str,
    pub tiebreak: &'static str,
    pub prediction_label: &'static str,
    pub save_answers: &'static str,
    pub submit: &'static str,
    pub kept_note: &'static str,
    pub see_rules: &'static str,
    pub bad_prediction: &'static str,
    pub attempt_intro: fn(&i64, &usize, &str) -> String,
    pub answered: fn(&usize, &usize) -> String,
    pub nojs_note: fn(&str) -> String,
    /// For the script, with `{n}` where a number goes.
    pub js_saved_at_once: &'static str,
    pub js_saving: &'static str,
    pub js_answered: &'static str,
    pub js_expired: &'static str,
    pub js_invalid: &'static str,
    pub js_retrying: &'static str,
    pub js_bad_prediction: &'static str,
    pub js_confirm_left: &'static str,
    pub js_confirm_all: &'static str,
    pub js_time_up: &'static str,
    pub js_five_minutes: &'static str,
    pub js_one_minute: &'static str,
    pub layout: &'static str,
    pub one_per_screen: &'static str,
    pub all_questions: &'static str,
    pub js_prev: &'static str,
    pub js_next: &'static str,
    pub js_flag: &'static str,
    pub js_map: &'static str,
    pub js_flagged: &'static str,

    // Confirmation and result
    pub confirm_heading: &'static str,
    pub you_have: &'static str,
    pub back_to_attempt: &'static str,
    pub all_answered: fn(&usize) -> String,
    pub left_of: fn(&usize) -> String,
    pub confirm_note: fn(&str) -> String,
    pub result_heading: &'static str,
    pub correct_answers: &'static str,
    pub time_taken: &'static str,
    pub submitted_at: &'static str,
    pub prediction: &'static str,
    pub attempts_left: &'static str,
    pub auto_submitted: &'static str,
    pub to_contest: &'static str,
    pub key_heading: &'static str,
    pub right: &'static str,
    pub wrong: &'static str,
    pub correct_mark: &'static str,
    pub you_chose: &'static str,
    pub key_later: &'static str,
    pub attempt_no: fn(&i64) -> String,

    // Errors
    pub error_heading: &'static str,
    pub home: &'static str,
    pub home_to_choose: &'static str,

    // Time
    pub duration: fn(i64) -> String,
    pub at_seconds: fn(DateTime<Utc>) -> String,
    /// The contest page's countdown: the words before it, and the units the script uses
    /// (days, hours, minutes, seconds), comma-separated.
    /// The search box above long lists (units, communes).
    pub filter_list: &'static str,
    pub opens_in: &'static str,
    pub closes_in: &'static str,
    pub countdown_units: &'static str,
}

/// `3 ngày 4 giờ 5 phút 6 giây` from comma-separated unit words; the largest units only.
pub fn countdown(ms: i64, units: &str) -> String {
    let u: Vec<&str> = units.split(',').collect();
    let s = ms.max(0) / 1000;
    let parts = [(s / 86_400, 0), (s / 3600 % 24, 1), (s / 60 % 60, 2), (s % 60, 3)];
    let first = parts.iter().position(|(v, _)| *v > 0).unwrap_or(3);
    parts[first..]
        .iter()
        .take(if first == 0 { 3 } else { 4 })
        .map(|(v, i)| format!("{v} {}", u.get(*i).copied().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn vn(at: DateTime<Utc>, format: &str) -> String {
    at.with_timezone(&vntime::offset()).format(format).to_string()
}

fn en_long(at: DateTime<Utc>) -> String {
    vn(at, "%H:%M on %d/%m/%Y")
}

fn en_duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match (s / 60, s % 60) {
        (0, sec) => format!("{sec} s"),
        (m, 0) => format!("{m} min"),
        (m, sec) => format!("{m} min {sec} s"),
    }
}

fn en_number(n: i64) -> String {
    text::thousands(n).replace('.', ",")
}

pub const VI: Texts = Texts {
    lang: "vi",
    og_locale: "vi_VN",
    switch_label: "English",
    switch_lang: "en",
    switch_href: "?lang=en",
    site: "Cuộc thi trực tuyến",
    skip: "Bỏ qua đến nội dung chính",
    footer: "Thời gian hiển thị theo giờ Việt Nam (UTC+7).",
    results_heading: "Kết quả",
    results_none: "Ban Tổ chức chưa công bố kết quả.",
    results_published: "Công bố lúc",
    results_participants: "Số người được xếp hạng",
    results_figure: "Con số thực tế của câu hỏi dự đoán",
    col_rank: "Hạng",
    col_name: "Họ và tên",
    col_unit: "Đơn vị",
    col_locality: "Địa bàn",
    col_correct: "Số câu đúng",
    col_time: "Thời gian",
    col_prize: "Giải",
    certificate: "Giấy chứng nhận",
    certificate_genuine: "Giấy chứng nhận hợp lệ",
    certificate_genuine_text: "Giấy chứng nhận số này do hệ thống cấp theo kết quả đã công bố:",
    certificate_superseded: "Lưu ý: sau giấy chứng nhận này, Ban Tổ chức đã công bố một phiên bản kết quả mới. Hãy xem danh sách đoạt giải hiện hành trên trang kết quả.",
    results_version: |v| format!("phiên bản {v}"),
    lookup_heading: "Tra cứu thứ hạng của bạn",
    lookup_intro: "Nhập số định danh và ngày sinh đã khai khi đăng ký dự thi. Thông tin này không được lưu lại hay hiển thị cho người khác.",
    lookup_submit: "Tra cứu",
    lookup_not_ranked: "Bạn không có tên trong bảng xếp hạng này.",
    lookup_place: |place, of| format!("Hạng {} trên {} người", place, text::thousands(*of as i64)),
    certificate_download: "Tải giấy chứng nhận (PDF)",
    see_results: "Xem kết quả",
    vn_time: "giờ Việt Nam",

    home_heading: "Các cuộc thi trực tuyến",
    open_now: "Đang diễn ra",
    open_none: "Hiện chưa có cuộc thi nào đang mở.",
    upcoming: "Sắp diễn ra",
    upcoming_none: "Chưa có cuộc thi nào sắp mở.",
    closed: "Đã kết thúc",
    closed_none: "Chưa có cuộc thi nào đã kết thúc.",
    from: "Từ",
    to: "đến",

    organiser: "Đơn vị tổ chức",
    hello: "Xin chào",
    sign_out: "Đăng xuất",
    people: "Số người tham gia",
    attempts: "Số lượt tham gia",
    register: "Đăng ký dự thi",
    registered_before: "Đã đăng ký trước đây?",
    sign_in_with_id: "Đăng nhập bằng số giấy tờ và ngày sinh",
    your_attempts: "Bài thi của bạn",
    prizes: "Cơ cấu giải thưởng",
    audience: "Đối tượng dự thi",
    rules: "Thể lệ",
    materials: "Tài liệu tham khảo",
    download: "Tải về",
    continue_attempt: "Tiếp tục làm bài",
    share: "Chia sẻ cuộc thi",
    share_facebook: "Chia sẻ lên Facebook",
    share_link: "Liên kết để gửi qua Zalo, tin nhắn hoặc thư điện tử",
    embed: "Nhúng vào cổng thông tin",
    embed_note: "Dành cho Ban Tổ chức và các cổng thông tin: sao chép đoạn mã và dán vào trang. Khung nhúng chỉ hiển thị trên các trang web được Ban Tổ chức cho phép.",
    embed_iframe: "Khung nhúng (iframe)",
    embed_banner: "Liên kết dạng băng rôn",
    banner_cta: "Tham gia ngay",
    start: "Vào thi",
    a_participant: "người dự thi",
    between_rounds: "Cuộc thi đang giữa hai đợt thi.",
    min_age: |age| format!("Người dự thi từ đủ {age} tuổi trở lên."),
    attempt_again: |n| format!("Thi lượt {n}"),
    round_upcoming: |at| format!("Đợt thi chưa mở. Thời gian mở: {}.", vntime::format_long(at)),
    round_closed: |at| format!("Đợt thi đã kết thúc lúc {}.", vntime::format_long(at)),
    contest_upcoming: |at| format!("Cuộc thi chưa mở. Thời gian mở: {}.", vntime::format_long(at)),
    contest_closed: |at| format!("Cuộc thi đã kết thúc lúc {}.", vntime::format_long(at)),
    contest_open_until: |at| format!("Cuộc thi đang diễn ra đến {}.", vntime::format_long(at)),
    window: |a, b| format!("Từ {} đến {}", vntime::format_long(a), vntime::format_long(b)),
    facts: |q, min, n| {
        format!("{q} câu hỏi, thời gian làm bài tối đa {min} phút, mỗi người được thi tối đa {n:02} lượt.")
    },
    prize: |name, count, amount| {
        if amount > 0 {
            format!("{name}: {count} giải, mỗi giải {}", text::vnd(amount))
        } else {
            format!("{name}: {count} giải")
        }
    },
    attempt_line: |seq, correct, questions, ms| {
        format!("Lượt {seq}: {correct}/{questions} câu đúng, {}", text::duration(ms))
    },
    og_description: |summary, first, last| {
        format!(
            "{summary} Thời gian: từ {} đến {} (giờ Việt Nam).",
            vntime::format_long(first),
            vntime::format_long(last)
        )
    },

    choose: "– Chọn –",
    consent_1: "Thông tin trên được",
    consent_2: "sử dụng để tổ chức cuộc thi: xác minh người dự thi, chấm điểm, xếp giải, trao giải và thống kê số người tham gia. Dữ liệu được lưu trữ trong",
    retention: "12 tháng kể từ ngày công bố kết quả cuộc thi",
    consent_3: ", sau đó được xóa; người dự thi có quyền xem, sửa và yêu cầu xóa dữ liệu của mình theo Luật Bảo vệ dữ liệu cá nhân.",
    agree_1: "Tôi đồng ý cho",
    agree_2: "xử lý dữ liệu cá nhân của tôi cho mục đích nêu trên.",
    register_continue: "Đăng ký và tiếp tục",
    sign_in: "Đăng nhập",
    sign_in_heading: "Đăng nhập dự thi",
    not_registered: "Chưa đăng ký?",
    back_to_contest: "Quay lại trang cuộc thi",
    field: Field::label,
    hint: |f| match f {
        Field::FullName => "Viết đầy đủ, có dấu, ví dụ: Nguyễn Văn An.",
        Field::DateOfBirth => "Ngày/tháng/năm, ví dụ: 02/09/1995.",
        Field::Cccd => "12 chữ số trên thẻ căn cước.",
        Field::Phone => "10 chữ số, ví dụ: 0912 345 678.",
        Field::Locality => "Xã, phường, thị trấn nơi bạn cư trú.",
        _ => "",
    },
    identify_intro: |key| {
        format!(
            "Nếu đã đăng ký, hãy nhập thông tin đã khai khi đăng ký ({key} và ngày sinh) để tiếp tục thi hoặc xem kết quả."
        )
    },
    please_enter: |what| format!("Vui lòng nhập {}.", what.to_lowercase()),

    attempt: "Bài thi",
    time_left: "Thời gian còn lại",
    question: "Câu",
    saved: "Đã lưu",
    unanswered: "Chưa trả lời",
    tiebreak: "Câu hỏi dự đoán.",
    prediction_label: "Số dự đoán của bạn (số nguyên, ví dụ 12500)",
    save_answers: "Lưu câu trả lời",
    submit: "Nộp bài",
    kept_note: "Câu trả lời đã lưu được giữ nếu bạn tải lại trang hoặc mở trên thiết bị khác.",
    see_rules: "Xem thể lệ cuộc thi",
    bad_prediction: "Số dự đoán chưa hợp lệ: hãy nhập một số nguyên không âm, ví dụ 12500.",
    attempt_intro: |seq, total, deadline| {
        format!("Lượt thi thứ {seq}: {total} câu hỏi. Hạn nộp bài: {deadline} (giờ Việt Nam).")
    },
    answered: |n, total| format!("Đã trả lời {n}/{total}"),
    nojs_note: |left| {
        format!(
            "Khi tải trang, thời gian làm bài còn lại là {left}. Câu trả lời được lưu khi bạn bấm “Lưu câu trả lời” hoặc “Nộp bài”."
        )
    },
    js_saved_at_once: "Câu trả lời được lưu ngay khi bạn chọn.",
    js_saving: "Đang lưu…",
    js_answered: "Đã trả lời {n}/{total}",
    js_expired: "Chưa lưu — phiên đăng nhập đã hết hạn; hãy đăng nhập lại.",
    js_invalid: "Chưa lưu — câu trả lời không hợp lệ.",
    js_retrying: "Chưa lưu — đang thử lại",
    js_bad_prediction: "Hãy nhập một số nguyên không âm, ví dụ 12500.",
    js_confirm_left: "Bạn còn {n} câu chưa trả lời. Bạn có chắc muốn nộp bài?",
    js_confirm_all: "Bạn đã trả lời đủ {n} câu. Nộp bài ngay?",
    js_time_up: "Đã hết thời gian làm bài. Bài thi được nộp với các câu trả lời đã lưu.",
    js_five_minutes: "Còn 5 phút làm bài.",
    js_one_minute: "Còn 1 phút làm bài.",
    layout: "Cách hiển thị:",
    one_per_screen: "Từng câu một",
    all_questions: "Tất cả các câu",
    js_prev: "‹ Câu trước",
    js_next: "Câu sau ›",
    js_flag: "Đánh dấu để xem lại",
    js_map: "Danh sách câu hỏi",
    js_flagged: "đã đánh dấu",

    confirm_heading: "Xác nhận nộp bài",
    you_have: "Bạn còn",
    back_to_attempt: "Quay lại làm tiếp",
    all_answered: |total| format!("Bạn đã trả lời đủ {total}/{total} câu hỏi."),
    left_of: |total| format!("câu chưa trả lời (trong tổng số {total} câu): câu"),
    confirm_note: |left| format!("Thời gian làm bài còn lại: {left}. Sau khi nộp, bạn không thể sửa câu trả lời."),
    result_heading: "Kết quả bài thi",
    correct_answers: "Số câu trả lời đúng",
    time_taken: "Thời gian làm bài",
    submitted_at: "Nộp bài lúc",
    prediction: "Số dự đoán",
    attempts_left: "Số lượt thi còn lại",
    auto_submitted: "Bài thi được hệ thống tự động nộp khi hết thời gian, với các câu trả lời đã lưu.",
    to_contest: "Về trang cuộc thi",
    key_heading: "Đáp án và giải thích",
    right: "(Đúng)",
    wrong: "(Chưa đúng)",
    correct_mark: "– đáp án đúng",
    you_chose: "(bạn chọn)",
    key_later: "Đáp án được công bố sau khi đợt thi kết thúc (nếu Ban Tổ chức cho phép).",
    attempt_no: |seq| format!("lượt thi thứ {seq}"),

    error_heading: "Không thực hiện được yêu cầu",
    home: "Về trang chủ",
    home_to_choose: "Về trang chủ để chọn cuộc thi",

    duration: text::duration,
    at_seconds: |at| vn(at, "%H:%M:%S ngày %d/%m/%Y"),
    filter_list: "Gõ để tìm trong danh sách",
    opens_in: "Đợt thi mở sau",
    closes_in: "Đợt thi kết thúc sau",
    countdown_units: "ngày,giờ,phút,giây",
};

pub const EN: Texts = Texts {
    lang: "en",
    og_locale: "en_US",
    switch_label: "Tiếng Việt",
    switch_lang: "vi",
    switch_href: "?lang=vi",
    site: "Online contests",
    skip: "Skip to main content",
    footer: "Times are shown in Vietnam time (UTC+7).",
    results_heading: "Results",
    results_none: "The organisers have not published results yet.",
    results_published: "Published at",
    results_participants: "People ranked",
    results_figure: "The real figure of the tiebreak question",
    col_rank: "Rank",
    col_name: "Name",
    col_unit: "Unit",
    col_locality: "Locality",
    col_correct: "Correct",
    col_time: "Time",
    col_prize: "Prize",
    certificate: "Certificate",
    certificate_genuine: "Genuine certificate",
    certificate_genuine_text: "This certificate was issued by this site for the published results:",
    certificate_superseded: "Note: since this certificate, the organisers have published a new version of the results. See the current prize list on the results page.",
    results_version: |v| format!("version {v}"),
    lookup_heading: "Look up your own place",
    lookup_intro: "Enter the identity number and date of birth you registered with. They are not stored or shown to anyone.",
    lookup_submit: "Look up",
    lookup_not_ranked: "You are not in this ranking.",
    lookup_place: |place, of| format!("Place {} of {}", place, text::thousands(*of as i64)),
    certificate_download: "Download the certificate (PDF)",
    see_results: "See the results",
    vn_time: "Vietnam time",

    home_heading: "Online contests",
    open_now: "Open now",
    open_none: "No contest is open at the moment.",
    upcoming: "Upcoming",
    upcoming_none: "No contest is about to open.",
    closed: "Closed",
    closed_none: "No contest has closed yet.",
    from: "From",
    to: "to",

    organiser: "Organiser",
    hello: "Hello",
    sign_out: "Sign out",
    people: "Participants",
    attempts: "Attempts",
    register: "Register to take part",
    registered_before: "Registered before?",
    sign_in_with_id: "Sign in with your ID number and date of birth",
    your_attempts: "Your attempts",
    prizes: "Prizes",
    audience: "Who may take part",
    rules: "Rules",
    materials: "Study materials",
    download: "Download",
    continue_attempt: "Continue the attempt",
    share: "Share this contest",
    share_facebook: "Share on Facebook",
    share_link: "Link to send on Zalo, by message or by email",
    embed: "Embed on a portal",
    embed_note: "For organisers and portals: copy the code and paste it into a page. The frame shows only on the websites the organiser has allowed.",
    embed_iframe: "Embedded frame (iframe)",
    embed_banner: "Banner link",
    banner_cta: "Take part now",
    start: "Start",
    a_participant: "participant",
    between_rounds: "The contest is between two rounds.",
    min_age: |age| format!("Participants must be at least {age} years old."),
    attempt_again: |n| format!("Start attempt {n}"),
    round_upcoming: |at| format!("This round has not opened yet. It opens at {}.", en_long(at)),
    round_closed: |at| format!("This round closed at {}.", en_long(at)),
    contest_upcoming: |at| format!("The contest has not opened yet. It opens at {}.", en_long(at)),
    contest_closed: |at| format!("The contest closed at {}.", en_long(at)),
    contest_open_until: |at| format!("The contest is open until {}.", en_long(at)),
    window: |a, b| format!("From {} to {}", en_long(a), en_long(b)),
    facts: |q, min, n| format!("{q} questions, at most {min} minutes per attempt, at most {n} attempts per person."),
    prize: |name, count, amount| {
        if amount > 0 {
            format!("{name}: {count} prizes of {} VND each", en_number(amount))
        } else {
            format!("{name}: {count} prizes")
        }
    },
    attempt_line: |seq, correct, questions, ms| {
        format!("Attempt {seq}: {correct}/{questions} correct, {}", en_duration(ms))
    },
    og_description: |summary, first, last| {
        format!("{summary} From {} to {} (Vietnam time).", en_long(first), en_long(last))
    },

    choose: "– Choose –",
    consent_1: "The information above is used by",
    consent_2: "to run the contest: verifying participants, scoring, ranking, awarding prizes and counting participants. The data is kept for",
    retention: "12 months after the contest's results are published",
    consent_3: ", then deleted; participants may see, correct and ask for the deletion of their data under the Personal Data Protection Law.",
    agree_1: "I agree that",
    agree_2: "may process my personal data for the purpose above.",
    register_continue: "Register and continue",
    sign_in: "Sign in",
    sign_in_heading: "Sign in to take part",
    not_registered: "Not registered yet?",
    back_to_contest: "Back to the contest page",
    field: |f| match f {
        Field::FullName => "Full name",
        Field::DateOfBirth => "Date of birth",
        Field::Cccd => "Citizen ID number (CCCD)",
        Field::Phone => "Phone number",
        Field::Email => "Email",
        Field::Unit => "Workplace",
        Field::Locality => "Place of residence",
        Field::Group => "Participant group",
    },
    hint: |f| match f {
        Field::FullName => "In full, with diacritics, for example: Nguyễn Văn An.",
        Field::DateOfBirth => "Day/month/year, for example: 02/09/1995.",
        Field::Cccd => "The 12 digits on the ID card.",
        Field::Phone => "10 digits, for example: 0912 345 678.",
        Field::Locality => "The commune or ward where you live.",
        _ => "",
    },
    identify_intro: |key| {
        format!(
            "If you have registered, enter what you gave when registering ({key} and date of birth) to continue or see your results."
        )
    },
    please_enter: |what| format!("Please enter your {}.", what.to_lowercase()),

    attempt: "Attempt",
    time_left: "Time left",
    question: "Question",
    saved: "Saved",
    unanswered: "Not answered",
    tiebreak: "Prediction question.",
    prediction_label: "Your prediction (a whole number, for example 12500)",
    save_answers: "Save answers",
    submit: "Submit",
    kept_note: "Saved answers are kept if you reload the page or open it on another device.",
    see_rules: "See the contest rules",
    bad_prediction: "The prediction is not valid: enter a whole number, for example 12500.",
    attempt_intro: |seq, total, deadline| {
        format!("Attempt {seq}: {total} questions. Deadline: {deadline} (Vietnam time).")
    },
    answered: |n, total| format!("Answered {n}/{total}"),
    nojs_note: |left| {
        format!("When the page loaded, {left} were left. Answers are saved when you press “Save answers” or “Submit”.")
    },
    js_saved_at_once: "Each answer is saved as soon as you choose it.",
    js_saving: "Saving…",
    js_answered: "Answered {n}/{total}",
    js_expired: "Not saved — your session has expired; please sign in again.",
    js_invalid: "Not saved — the answer is not valid.",
    js_retrying: "Not saved — retrying",
    js_bad_prediction: "Enter a whole number, for example 12500.",
    js_confirm_left: "{n} questions are not answered. Submit anyway?",
    js_confirm_all: "All {n} questions are answered. Submit now?",
    js_time_up: "Time is up. The attempt is submitted with the saved answers.",
    js_five_minutes: "5 minutes left.",
    js_one_minute: "1 minute left.",
    layout: "Show:",
    one_per_screen: "One question at a time",
    all_questions: "All questions",
    js_prev: "‹ Previous",
    js_next: "Next ›",
    js_flag: "Flag for review",
    js_map: "Questions",
    js_flagged: "flagged",

    confirm_heading: "Confirm submission",
    you_have: "You have",
    back_to_attempt: "Back to the attempt",
    all_answered: |total| format!("You have answered all {total}/{total} questions."),
    left_of: |total| format!("unanswered questions (of {total}): questions"),
    confirm_note: |left| format!("Time left: {left}. Once submitted, answers cannot be changed."),
    result_heading: "Result",
    correct_answers: "Correct answers",
    time_taken: "Time taken",
    submitted_at: "Submitted at",
    prediction: "Prediction",
    attempts_left: "Attempts left",
    auto_submitted: "The attempt was submitted automatically when time ran out, with the saved answers.",
    to_contest: "Back to the contest",
    key_heading: "Answers and explanations",
    right: "(Correct)",
    wrong: "(Not correct)",
    correct_mark: "– correct answer",
    you_chose: "(your choice)",
    key_later: "The answers are published after the round closes (if the organiser allows).",
    attempt_no: |seq| format!("attempt {seq}"),

    error_heading: "The request could not be completed",
    home: "Back to the home page",
    home_to_choose: "Back to the home page to choose a contest",

    duration: en_duration,
    at_seconds: |at| vn(at, "%H:%M:%S on %d/%m/%Y"),
    filter_list: "Type to search the list",
    opens_in: "The round opens in",
    closes_in: "The round closes in",
    countdown_units: "d,h,min,s",
};

#[cfg(test)]
mod tests {

    #[test]
    fn countdowns_show_the_largest_units() {
        let units = VI.countdown_units;
        assert_eq!(super::countdown(((3 * 24 + 4) * 60 + 5) * 60_000 + 6_000, units), "3 ngày 4 giờ 5 phút");
        assert_eq!(super::countdown((4 * 60 + 5) * 60_000 + 6_000, units), "4 giờ 5 phút 6 giây");
        assert_eq!(super::countdown(6_000, EN.countdown_units), "6 s");
        assert_eq!(super::countdown(-5, units), "0 giây");
    }

    use super::*;

    #[test]
    fn the_cookie_picks_the_language() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::of(&h), Lang::Vi);
        h.insert(header::COOKIE, HeaderValue::from_static("ct_phien=x; lang=en"));
        assert_eq!(Lang::of(&h), Lang::En);
        h.insert(header::COOKIE, HeaderValue::from_static("lang=fr"));
        assert_eq!(Lang::of(&h), Lang::Vi);
    }
}
