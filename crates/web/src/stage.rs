//! The in-person event's public side (sân khấu): the hall's projector page
//! (`/su-kien/{slug}/man-hinh`, 1920×1080, large type), the public scoreboard
//! (`/su-kien/{slug}/bang-diem`, for the press and portals), the server-sent events both follow
//! (`/su-kien/{slug}/truc-tiep`), and the team tablet's page when the contest lets the team
//! answer on a tablet.
//!
//! Every page renders the current state on the server, so a reload or a reconnect after the
//! hall's Wi-Fi drops shows where the stage is, and a page without JavaScript still reads; then
//! `static/stage.js` follows the stream without reloading. The stream starts with the current
//! state and sends each new one (the engine's [`ScreenState`]: never a key before the reveal),
//! with a keep-alive comment every 15 s so proxies keep the connection open. The compression
//! layer leaves `text/event-stream` alone (tower-http's default predicate), and `X-Accel-Buffering:
//! no` asks a reverse proxy not to buffer it.

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::stage::{Board, ScreenState, Step};
use serde::Deserialize;

use crate::AppState;
use crate::http::{Form, PageError, PageResult, Path, private, see_other};
use crate::i18n::{self, Texts};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/su-kien/{slug}/man-hinh", get(screen))
        .route("/su-kien/{slug}/truc-tiep", get(events))
        .route("/su-kien/{slug}/bang-diem", get(scoreboard))
        .route("/su-kien/{slug}/may-tinh-bang/{key}", get(tablet).post(tablet_answer))
}

/// How often an idle stream sends a comment, so that proxies and the hall's Wi-Fi keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The letter of option `i` (A first).
fn letter(i: usize) -> String {
    ["A", "B", "C", "D", "E", "F"].get(i).map_or_else(|| (i + 1).to_string(), |l| (*l).to_string())
}

#[derive(Template, WebTemplate)]
#[template(path = "stage/screen.html")]
struct ScreenPage {
    slug: String,
    s: ScreenState,
    /// The server's clock when the page was made (ms), for the countdown.
    now_ms: i64,
}

impl ScreenPage {
    fn letter(&self, i: &usize) -> String {
        letter(*i)
    }

    fn step(&self) -> &'static str {
        self.s.step.as_str()
    }

    fn is(&self, step: &str) -> bool {
        self.s.step.as_str() == step
    }

    /// The whole seconds left on the countdown, as the page shows them before the script runs.
    fn seconds_left(&self, deadline_ms: &i64) -> i64 {
        ((deadline_ms - self.now_ms).max(0) + 999) / 1000
    }
}

/// `GET /su-kien/{slug}/man-hinh`: the projector page.
async fn screen(State(s): State<AppState>, Path(slug): Path<String>) -> PageResult {
    let state = s.engine.screen_state(&slug).await?;
    let now_ms = s.engine.now().timestamp_millis();
    Ok(private(ScreenPage { slug, s: state, now_ms }))
}

#[derive(Template, WebTemplate)]
#[template(path = "stage/board.html")]
struct BoardPage {
    t: &'static Texts,
    slug: String,
    title: String,
    event: String,
    board: Board,
}

/// `GET /su-kien/{slug}/bang-diem`: the public scoreboard (frozen when the organisers froze it).
async fn scoreboard(State(s): State<AppState>, Path(slug): Path<String>) -> PageResult {
    let state = s.engine.screen_state(&slug).await?;
    let page =
        BoardPage { t: i18n::t(), slug, title: state.contest.clone(), event: state.event.clone(), board: state.board };
    Ok(private(page))
}

/// `GET /su-kien/{slug}/truc-tiep`: the stage's states as server-sent events (`event: state`,
/// `data: {"now_ms": …, "state": …}`), the current one first.
async fn events(State(s): State<AppState>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let rx = s.engine.stage_updates(&slug).await?;
    let engine = s.engine.clone();
    let stream = futures_util::stream::unfold((rx, engine, true), |(mut rx, engine, first)| async move {
        loop {
            if !first && rx.changed().await.is_err() {
                return None;
            }
            let frame = rx.borrow_and_update().clone();
            if let Some(frame) = frame {
                let data = format!("{{\"now_ms\":{},\"state\":{}}}", engine.now().timestamp_millis(), frame.json);
                let event = Event::default().event("state").id(frame.version.to_string()).data(data);
                return Some((Ok::<_, Infallible>(event), (rx, engine, false)));
            }
            // No state yet (it is being built): wait for it.
            if rx.changed().await.is_err() {
                return None;
            }
        }
    });
    let sse = Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE));
    let mut resp = private(sse);
    resp.headers_mut().insert(HeaderName::from_static("x-accel-buffering"), HeaderValue::from_static("no"));
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

#[derive(Template, WebTemplate)]
#[template(path = "stage/tablet.html")]
struct TabletPage {
    slug: String,
    key: String,
    s: ScreenState,
    error: Option<String>,
    notice: Option<String>,
}

impl TabletPage {
    fn letter(&self, i: &usize) -> String {
        letter(*i)
    }

    fn asking(&self) -> bool {
        self.s.step == Step::Question
    }
}

async fn tablet_page(s: &AppState, slug: &str, key: &str, error: Option<String>, notice: Option<String>) -> PageResult {
    if !s.engine.tablet_allowed(slug, key).await? {
        return Err(EngineError::Forbidden.into());
    }
    let state = s.engine.screen_state(slug).await?;
    let refused = error.is_some();
    let page = TabletPage { slug: slug.to_string(), key: key.to_string(), s: state, error, notice };
    let status = if refused { axum::http::StatusCode::CONFLICT } else { axum::http::StatusCode::OK };
    Ok(private((status, page)))
}

/// `GET /su-kien/{slug}/may-tinh-bang/{key}`: the team tablet's page (the key is on the control
/// page only).
async fn tablet(
    State(s): State<AppState>,
    Path((slug, key)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> PageResult {
    // After an answer: `?da-tra-loi=B`, read by hand (only a letter is shown back).
    let chosen = query.as_deref().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("da-tra-loi=")));
    let notice = chosen
        .filter(|l| l.len() == 1 && l.bytes().all(|b| b.is_ascii_uppercase()))
        .map(|l| format!("Đội đã chọn phương án {l}. Chờ người dẫn chương trình công bố đáp án."));
    tablet_page(&s, &slug, &key, None, notice).await
}

#[derive(Deserialize)]
struct TabletForm {
    #[serde(default)]
    phuong_an: String,
}

/// `POST /su-kien/{slug}/may-tinh-bang/{key}`: the team's answer; given once.
async fn tablet_answer(
    State(s): State<AppState>,
    Path((slug, key)): Path<(String, String)>,
    Form(f): Form<TabletForm>,
) -> PageResult {
    let option =
        f.phuong_an.trim().parse::<u8>().map_err(|_| EngineError::BadRequest("Hãy chọn một phương án.".into()));
    match option {
        Ok(o) => match s.engine.tablet_answer(&slug, &key, o).await {
            Ok(()) => {
                Ok(see_other(&format!("/su-kien/{slug}/may-tinh-bang/{key}?da-tra-loi={}", letter(usize::from(o)))))
            }
            Err(EngineError::Conflict(m) | EngineError::BadRequest(m)) => {
                tablet_page(&s, &slug, &key, Some(m), None).await
            }
            Err(e) => Err(e.into()),
        },
        Err(EngineError::BadRequest(m)) => tablet_page(&s, &slug, &key, Some(m), None).await,
        Err(e) => Err(e.into()),
    }
}
