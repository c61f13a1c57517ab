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
use cuocthi_domain::attempt::Void;
use cuocthi_domain::identity::Field;
use cuocthi_domain::vntime;

mod en;
mod vi;

pub use en::{EN, FEEDBACK_EN};
pub use vi::{FEEDBACK_VI, VI};

pub use en::PRIVACY_EN;
pub use vi::PRIVACY_VI;

use crate::cookies;

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
        cookies::LANG.read(headers).and_then(|v| Lang::parse(&v)).unwrap_or(Lang::Vi)
    }

    /// The language's code, as the `lang` cookie and `<html lang>` write it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
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
            let mut resp =
                cookies::with(cookies::LANG.set(lang.code(), req.headers()), Redirect::to(&to).into_response());
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

    // The participant's rough edges
    /// A date written in the right form that no calendar has (31/02/1990).
    pub date_does_not_exist: fn(&str) -> String,
    /// A returning person's key and date of birth match no registration: worded so that it
    /// does not suggest someone else registered with the number.
    pub identify_no_match: &'static str,
    pub answered_label: &'static str,
    pub registration_closed: &'static str,
    pub running_attempt: &'static str,
    pub col_prediction: &'static str,
    pub col_distance: &'static str,
    /// A contest that awards no prizes but asks a tiebreak question (the practice contest).
    pub practice_note: &'static str,

    // Results a province can sign (issues 14 and 17)
    pub col_submitted: &'static str,
    pub results_collective: &'static str,
    /// The committee adjusted the collective prize structure, with this reason.
    pub results_structure_adjusted: fn(&str) -> String,
    pub results_order: &'static str,
    pub col_team: &'static str,
    pub col_members: &'static str,
    /// The unit a collective prize's certificate names (tập thể), and what it achieved.
    pub col_collective: &'static str,
    pub col_achievement: &'static str,
    pub col_adjustments: &'static str,
    pub col_total: &'static str,
    pub col_participants: &'static str,
    pub col_rate: &'static str,
    pub results_tie_breaks: &'static str,
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

/// `at` in Vietnam time, in `format`.
fn vn(at: DateTime<Utc>, format: &str) -> String {
    at.with_timezone(&vntime::offset()).format(format).to_string()
}

/// The texts of the feedback forms and notes, in the page's language. (Refusals are the
/// engine's Vietnamese messages, as everywhere.)
pub struct FeedbackTexts {
    pub summary: &'static str,
    pub label: &'static str,
    pub send: &'static str,
    pub sent: &'static str,
    pub sent_notice: fn(&usize) -> String,
    pub heading: &'static str,
    pub intro: &'static str,
    pub your_report: &'static str,
    pub reply: &'static str,
    pub waiting: &'static str,
    pub award: &'static str,
    pub drop: &'static str,
    pub not_scored: &'static str,
}

impl FeedbackTexts {
    /// The texts in the language of `t` (the request's).
    pub fn of(t: &Texts) -> &'static FeedbackTexts {
        if t.lang == "en" { &FEEDBACK_EN } else { &FEEDBACK_VI }
    }

    /// What the committee's void of a question means for the person.
    pub fn void(&self, v: Void) -> &'static str {
        match v {
            Void::Award => self.award,
            Void::Drop => self.drop,
        }
    }
}

/// The texts of a person's personal-data pages (dữ liệu cá nhân của tôi), in the page's language.
/// (The engine's labels of fields and statuses, and its refusals, are Vietnamese, as everywhere.)
pub struct PrivacyTexts {
    pub heading: &'static str,
    pub intro: fn(&str) -> String,
    pub show: &'static str,
    pub stored: &'static str,
    pub purged: fn(&str) -> String,
    pub retention: &'static str,
    pub removal_due: &'static str,
    pub registered: &'static str,
    pub consent: &'static str,
    pub complete: &'static str,
    pub attempts: &'static str,
    pub col_round: &'static str,
    pub col_attempt: &'static str,
    pub col_status: &'static str,
    pub col_started: &'static str,
    pub col_correct: &'static str,
    pub requests: &'static str,
    pub col_request: &'static str,
    pub col_sent: &'static str,
    pub col_due: &'static str,
    pub col_answer: &'static str,
    pub download: &'static str,
    pub download_hint: &'static str,
    pub correction: &'static str,
    pub field: &'static str,
    pub value: &'static str,
    pub reason: &'static str,
    pub send_correction: &'static str,
    pub deadline: fn(u32) -> String,
    pub erasure: &'static str,
    pub erasure_intro: &'static str,
    pub ask_erasure: &'static str,
    pub confirm_heading: &'static str,
    pub at_once: &'static str,
    pub queued: fn(&str) -> String,
    pub confirm: &'static str,
    pub cancel: &'static str,
    pub refused: &'static str,
    pub erased: &'static str,
    pub sent: fn(&str) -> String,
    pub back: &'static str,
    pub again: &'static str,
}

impl PrivacyTexts {
    /// The texts in the language of `t` (the request's).
    pub fn of(t: &Texts) -> &'static PrivacyTexts {
        if t.lang == "en" { &PRIVACY_EN } else { &PRIVACY_VI }
    }
}

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
