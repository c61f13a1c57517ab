//! The contest page: its rounds and what the person can do in each, share links and embedding
//! snippets, its study materials and colour; signing out.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cuocthi_engine::EngineError;
use cuocthi_engine::console::MaterialView;
use cuocthi_engine::views::{AttemptSummary, ContestView};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::count;
use crate::cookies;
use crate::http::{PageResult, Path, Peer, no_store, public_base, see_other};
use crate::i18n::{self, Texts};
use crate::{AppState, markdown, session};

struct RoundCard {
    id: i64,
    name: String,
    window: String,
    facts: String,
    people: String,
    attempts: String,
    prizes: Vec<String>,
    /// What the person can do now: `start` (a button), `register` (links), or nothing.
    action: &'static str,
    button: String,
    notice: Option<String>,
    /// Until the round opens (upcoming) or closes (open): the words, the time left as text, and
    /// in milliseconds for the script that keeps it ticking.
    countdown: Option<(&'static str, String, i64)>,
    results: Vec<AttemptLink>,
}

struct AttemptLink {
    href: String,
    label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "contest.html")]
struct ContestPage {
    t: &'static Texts,
    c: ContestView,
    rules_html: String,
    og_description: String,
    phase_note: String,
    rounds: Vec<RoundCard>,
    person: Option<String>,
    flash: Option<String>,
    share: Share,
    /// Shown in a portal's frame: links and forms open a new tab, where the session cookie works.
    framed: bool,
    materials: Vec<MaterialView>,
    logo: Option<MaterialView>,
    /// The contest has its own colour (`giao-dien.css`).
    branded: bool,
    /// The person's attempt still running, shown first: coming back mid-attempt, the way back
    /// in is at the top of the page, not under the rounds.
    running: Option<RunningAttempt>,
    /// Some results are published: the page links to them.
    results_published: bool,
    /// No round awards prizes, yet the attempt asks a tiebreak question: a practice contest.
    practice: bool,
}

struct RunningAttempt {
    href: String,
    round: String,
}

/// The contest page's address as the world sees it, and what is built from it: share links as
/// plain URLs (no third-party script) and the snippets a portal pastes to embed the contest.
struct Share {
    url: String,
    facebook: String,
    iframe: String,
    banner: String,
}

/// What may stay as it is in a part of an address: letters, digits and `-_.~`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The snippet a portal pastes to frame the contest (askama escapes the title and address; the
/// page then escapes the snippet once more to show it as text).
#[derive(Template)]
#[template(
    source = r#"<iframe src="{{ url }}" title="{{ title }}" width="100%" height="720" style="border:0" loading="lazy"></iframe>"#,
    ext = "html"
)]
struct IframeSnippet<'a> {
    url: &'a str,
    title: &'a str,
}

/// The banner a portal pastes to link to the contest.
#[derive(Template)]
#[template(
    source = r#"<a href="{{ url }}" target="_blank" rel="noopener" style="display:block;padding:12px 16px;background:#b3261e;color:#fff;font:bold 18px/1.4 sans-serif;text-decoration:none;border-radius:8px">{{ title }} – {{ cta }}</a>"#,
    ext = "html"
)]
struct BannerSnippet<'a> {
    url: &'a str,
    title: &'a str,
    cta: &'a str,
}

fn share_of(base: &str, c: &ContestView, t: &Texts) -> Share {
    let url = format!("{base}/cuoc-thi/{}", utf8_percent_encode(&c.slug, COMPONENT));
    let title = c.title.as_str();
    Share {
        facebook: format!("https://www.facebook.com/sharer/sharer.php?u={}", utf8_percent_encode(&url, COMPONENT)),
        iframe: IframeSnippet { url: &url, title }.render().unwrap_or_default(),
        banner: BannerSnippet { url: &url, title, cta: t.banner_cta }.render().unwrap_or_default(),
        url,
    }
}

pub(super) async fn contest_page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Peer(peer): Peer,
    headers: HeaderMap,
) -> PageResult {
    render_contest(&s, &slug, &headers, peer, None, StatusCode::OK).await
}

pub(super) async fn render_contest(
    s: &AppState,
    slug: &str,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
    flash: Option<String>,
    status: StatusCode,
) -> PageResult {
    let t = i18n::t();
    let c = s.engine.contest(slug).await?;
    // The session counts only for this contest.
    let me = match session::claims(&s.engine, headers) {
        Some(claims) => match s.engine.me(claims).await {
            Ok(me) if me.contest_slug == c.slug => Some(me),
            _ => None,
        },
        None => None,
    };
    let mut rounds = Vec::new();
    for r in &c.rounds {
        let mine: Vec<&AttemptSummary> =
            me.as_ref().map(|m| m.attempts.iter().filter(|a| a.round_id == r.id).collect()).unwrap_or_default();
        let used = u32::try_from(mine.len()).unwrap_or(u32::MAX);
        let open = mine.iter().any(|a| a.status == "open");
        let (action, button, notice) = match r.phase.as_str() {
            "upcoming" => ("", String::new(), Some((t.round_upcoming)(r.opens_at))),
            "closed" => ("", String::new(), Some((t.round_closed)(r.closes_at))),
            _ if me.is_none() => ("register", String::new(), None),
            _ if open => ("start", t.continue_attempt.to_string(), None),
            _ if used >= r.attempts_per_person => {
                ("", String::new(), Some(EngineError::AttemptLimit(r.attempts_per_person).to_string()))
            }
            _ if used == 0 => ("start", t.start.to_string(), None),
            _ => ("start", (t.attempt_again)(used + 1), None),
        };
        rounds.push(RoundCard {
            id: r.id,
            name: r.name.clone(),
            window: (t.window)(r.opens_at, r.closes_at),
            facts: (t.facts)(r.questions_per_attempt, r.time_limit_minutes, r.attempts_per_person),
            people: count(r.people),
            attempts: count(r.attempts),
            prizes: r.prizes.iter().map(|p| (t.prize)(&p.name, p.count, p.amount_vnd)).collect(),
            action,
            button,
            notice,
            countdown: {
                let now = s.engine.now();
                let until = |label, at: chrono::DateTime<chrono::Utc>| {
                    let ms = (at - now).num_milliseconds();
                    Some((label, i18n::countdown(ms, t.countdown_units), ms))
                };
                match r.phase.as_str() {
                    "upcoming" => until(t.opens_in, r.opens_at),
                    "open" => until(t.closes_in, r.closes_at),
                    _ => None,
                }
            },
            results: mine
                .iter()
                .filter(|a| a.status == "submitted")
                .map(|a| AttemptLink {
                    href: format!("/bai-thi/{}/ket-qua", a.id),
                    label: (t.attempt_line)(
                        a.seq,
                        a.correct.unwrap_or_default(),
                        a.questions,
                        a.time_taken_ms.unwrap_or_default(),
                    ),
                })
                .collect(),
        });
    }
    let phase_note = match (c.rounds.iter().map(|r| r.opens_at).min(), c.rounds.iter().map(|r| r.closes_at).max()) {
        (Some(first), Some(last)) => {
            let now = s.engine.now();
            if now < first {
                (t.contest_upcoming)(first)
            } else if now >= last {
                (t.contest_closed)(last)
            } else if c.rounds.iter().any(|r| r.phase == "open") {
                (t.contest_open_until)(last)
            } else {
                t.between_rounds.to_string()
            }
        }
        _ => String::new(),
    };
    let og_description = match (c.rounds.first(), c.rounds.last()) {
        (Some(f), Some(l)) => (t.og_description)(&c.summary, f.opens_at, l.closes_at),
        _ => c.summary.clone(),
    };
    let running = me.as_ref().and_then(|m| m.attempts.iter().find(|a| a.status == "open")).map(|a| RunningAttempt {
        href: format!("/bai-thi/{}", a.id),
        round: c.rounds.iter().find(|r| r.id == a.round_id).map(|r| r.name.clone()).unwrap_or_default(),
    });
    // Results exist only after a round closes: no look-up while every round is still to come.
    let results_published =
        c.rounds.iter().any(|r| r.phase == "closed") && !s.engine.public_results(slug).await?.is_empty();
    let practice = c.rounds.iter().all(|r| r.prizes.is_empty()) && c.rounds.iter().any(|r| r.tiebreak_prompt.is_some());
    let person = me.as_ref().map(|m| m.participant.full_name.clone().unwrap_or_else(|| t.a_participant.into()));
    let share = share_of(&public_base(&s.config, headers, peer), &c, t);
    let framed = headers.get("sec-fetch-dest").and_then(|v| v.to_str().ok()) == Some("iframe");
    let (materials, logo) = s.engine.materials(slug).await?;
    let (accent, portals) = s.engine.branding(slug).await?;
    let page = ContestPage {
        t,
        materials,
        logo,
        branded: accent.is_some(),
        running,
        results_published,
        practice,
        share,
        framed,
        rules_html: markdown::to_html(&c.rules),
        og_description: og_description.trim().to_string(),
        phase_note,
        rounds,
        person,
        flash,
        c,
    };
    let mut resp = (status, page).into_response();
    if !portals.is_empty() {
        // This contest's portals may frame it, besides those the deployment allows.
        let mut origins = s.config.frame_ancestors.clone();
        origins.extend(portals);
        if let Ok(v) = HeaderValue::from_str(&crate::csp(&origins)) {
            resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    if me.is_some() {
        no_store(&mut resp);
    } else {
        // Public, but the live counts change: revalidate every time.
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    Ok(resp)
}

/// A contest's file: study materials are downloaded, the logo shown inline; both are public and
/// never change under their id.
pub(super) async fn material(State(s): State<AppState>, Path((slug, id)): Path<(String, i64)>) -> PageResult {
    let (name, content_type, body) = s.engine.material_file(&slug, id).await?;
    let disposition = if content_type.starts_with("image/") {
        "inline".to_string()
    } else {
        format!("attachment; filename=\"{name}\"")
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    for (k, v) in [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CACHE_CONTROL, "public, max-age=86400, immutable".into()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
    Ok(resp)
}

/// The contest's colour as a style sheet (the CSP allows no inline style).
pub(super) async fn brand_css(State(s): State<AppState>, Path(slug): Path<String>) -> PageResult {
    let (accent, _) = s.engine.branding(&slug).await?;
    let css = accent.map(|c| format!(":root{{--accent:{c}}}\n")).unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], css)
        .into_response())
}

pub(super) async fn sign_out(Path(slug): Path<String>) -> Response {
    cookies::with(session::clear_cookie(), see_other(&format!("/cuoc-thi/{slug}")))
}
