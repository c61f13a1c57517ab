//! The participant's whole path as a JSON API, version 1: contests → register or identify →
//! start → read → save answers → submit → result → published ranking.
//!
//! A participant authenticates with the bearer token that registration or identification returns.

use axum::extract::{FromRequest, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::{Json, http::header};
use cuocthi_domain::identity::IdentityInput;
use cuocthi_domain::locality::{self, Scheme};
use cuocthi_engine::EngineError;
use cuocthi_engine::token::Claims;
use cuocthi_engine::views::*;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::{ApiError, ErrorBody, Peer, client_address};

type ApiResult<T> = Result<T, ApiError>;

/// `axum::Json` whose rejection is our JSON error in Vietnamese.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Body<T>(pub T);

/// `axum::extract::Path` whose rejection is our JSON error.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct PathArgs<T>(pub T);

/// `axum::extract::Query` whose rejection is our JSON error.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct QueryArgs<T>(pub T);

/// The participant a bearer token names.
pub struct Participant(pub Claims);

impl FromRequestParts<AppState> for Participant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // A bearer token, or the session cookie of the participant pages (same-origin requests:
        // the cookie is SameSite=Lax and writes pass the CSRF layer).
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string)
            .or_else(|| crate::session::token(&parts.headers))
            .ok_or(ApiError(EngineError::Unauthenticated))?;
        Ok(Participant(state.engine.authenticate(token.trim())?))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "cuocthi API", version = "1", description = "Cuộc thi trắc nghiệm trực tuyến: the participant path."),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "participant",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes with their OpenAPI document, completed by [`document_common_answers`].
pub fn routes() -> OpenApiRouter<AppState> {
    let mut router = operations();
    document_common_answers(router.get_openapi_mut());
    router
}

fn operations() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(list_contests))
        .routes(routes!(get_contest))
        .routes(routes!(live_counts))
        .routes(routes!(register))
        .routes(routes!(identify))
        .routes(routes!(me))
        .routes(routes!(my_places))
        .routes(routes!(localities))
        .routes(routes!(start_attempt))
        .routes(routes!(get_attempt))
        .routes(routes!(save_answer))
        .routes(routes!(save_prediction))
        .routes(routes!(submit))
        .routes(routes!(result))
        .routes(routes!(round_ranking))
        .routes(routes!(overall_ranking))
        .routes(routes!(collective_ranking))
}

/// Adds to every operation the refusals that come from the edge rather than from the operation
/// itself, so that the document lists every status the server can answer (schemathesis checks
/// it): 400 for a malformed path, query or body, 401 where a participant's token is needed, 404
/// where the path names something, 413 for an oversized body, and 503 with `Retry-After` when
/// the database does not answer. An operation's own description of a status is kept.
fn document_common_answers(openapi: &mut utoipa::openapi::OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let mut add = |status: &str, description: &str| {
                operation.responses.responses.entry(status.to_string()).or_insert_with(|| error_response(description));
            };
            if path == "/healthz" {
                continue;
            }
            add("400", "The path, query or body is malformed (the message says which).");
            if operation.security.is_some() {
                add("401", "No participant token, or one that has expired or been revoked.");
            }
            if path.contains('{') {
                add("404", "Nothing of that kind with that identifier is visible to the caller.");
            }
            if operation.request_body.is_some() {
                add("413", "The body is larger than this operation accepts.");
            }
            add("503", "The database does not answer; try again after `Retry-After` seconds.");
        }
    }
}

/// A refusal with the JSON error body.
fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    ResponseBuilder::new().description(description).content("application/json", content).build().into()
}

#[derive(Serialize, ToSchema)]
struct Health {
    status: &'static str,
}

/// Health: 200 when the database answers, 503 when not.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn health(State(s): State<AppState>) -> (StatusCode, Json<Health>) {
    if s.engine.healthy().await {
        (StatusCode::OK, Json(Health { status: "ok" }))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "database unreachable" }))
    }
}

/// Every contest, newest first.
#[utoipa::path(get, path = "/api/v1/contests", tag = "contests", responses((status = 200, body = Vec<ContestSummary>)))]
async fn list_contests(State(s): State<AppState>) -> ApiResult<Json<Vec<ContestSummary>>> {
    Ok(Json(s.engine.contests().await?))
}

/// A contest: rules, who may take part, the fields to register, rounds with live counts.
#[utoipa::path(get, path = "/api/v1/contests/{slug}", tag = "contests",
    params(("slug" = String, Path)),
    responses((status = 200, body = ContestView), (status = 404, body = ErrorBody)))]
async fn get_contest(State(s): State<AppState>, PathArgs(slug): PathArgs<String>) -> ApiResult<Json<ContestView>> {
    Ok(Json(s.engine.contest(&slug).await?))
}

/// The live counter of a contest (people who took part, attempts, submitted attempts), for
/// portals that show it beside their link; counted as attempts happen, cached for 10 seconds.
#[utoipa::path(get, path = "/api/v1/contests/{slug}/live", tag = "contests",
    params(("slug" = String, Path)),
    responses((status = 200, body = cuocthi_engine::stats::LiveCounts), (status = 404, body = ErrorBody)))]
async fn live_counts(
    State(s): State<AppState>,
    PathArgs(slug): PathArgs<String>,
) -> ApiResult<([(header::HeaderName, &'static str); 1], Json<cuocthi_engine::stats::LiveCounts>)> {
    Ok(([(header::CACHE_CONTROL, "public, max-age=10")], Json(s.engine.live_counts(&slug).await?)))
}

/// Registration: the identity fields the contest requires, and consent to personal data processing.
#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    pub full_name: Option<String>,
    /// dd/mm/yyyy, dd-mm-yyyy, yyyy-mm-dd or ddmmyyyy (what `vntime::parse_date` reads); required by every
    /// contest, since identity rests on it (a missing one is answered 422 with the field named).
    #[schema(
        required = true,
        pattern = r"^\s*([0-9]{1,2}/[0-9]{1,2}/[0-9]{4}|[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{8})\s*$"
    )]
    pub date_of_birth: Option<String>,
    pub cccd: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// A unit code from the contest's `units`.
    pub unit: Option<String>,
    /// A locality code (see `/api/v1/localities`).
    pub locality: Option<String>,
    /// A group code from the contest's `groups`.
    pub group: Option<String>,
    /// Đồng ý xử lý dữ liệu cá nhân: must be true for a new registration.
    #[serde(default)]
    pub consent: bool,
}

/// Registers for a contest, or recognises a returning person (same CCCD and date of birth, and no
/// other given field different; throttled like identification).
#[utoipa::path(post, path = "/api/v1/contests/{slug}/participants", tag = "participants",
    params(("slug" = String, Path)), request_body = RegisterRequest,
    responses((status = 201, body = Session, description = "registered"), (status = 200, body = Session, description = "recognised"),
              (status = 422, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "the contest is over: no new registration (a returning person is still recognised)"),
              (status = 429, body = ErrorBody, description = "too many wrong tries for this key or address; see Retry-After")))]
async fn register(
    State(s): State<AppState>,
    PathArgs(slug): PathArgs<String>,
    Peer(peer): Peer,
    headers: axum::http::HeaderMap,
    Body(r): Body<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<Session>)> {
    let input = IdentityInput {
        full_name: r.full_name,
        date_of_birth: r.date_of_birth,
        cccd: r.cccd,
        phone: r.phone,
        email: r.email,
        unit: r.unit,
        locality: r.locality,
        group: r.group,
    };
    let address = client_address(&headers, peer, &s.config.trusted_proxies);
    let session = s.engine.register(&slug, &input, r.consent, &address).await?;
    Ok((if session.created { StatusCode::CREATED } else { StatusCode::OK }, Json(session)))
}

#[derive(Deserialize, ToSchema)]
pub struct IdentifyRequest {
    /// The contest's identity key: CCCD by default.
    pub key: String,
    /// dd/mm/yyyy or yyyy-mm-dd.
    #[schema(
        pattern = r"^\s*([0-9]{1,2}/[0-9]{1,2}/[0-9]{4}|[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{8})\s*$"
    )]
    pub date_of_birth: String,
}

/// Identification of a returning person: CCCD (or the contest's key) and date of birth.
#[utoipa::path(post, path = "/api/v1/contests/{slug}/sessions", tag = "participants",
    params(("slug" = String, Path)), request_body = IdentifyRequest,
    responses((status = 200, body = Session), (status = 403, body = ErrorBody),
              (status = 429, body = ErrorBody, description = "too many wrong tries for this key or address; see Retry-After")))]
async fn identify(
    State(s): State<AppState>,
    PathArgs(slug): PathArgs<String>,
    Peer(peer): Peer,
    headers: axum::http::HeaderMap,
    Body(r): Body<IdentifyRequest>,
) -> ApiResult<Json<Session>> {
    let address = client_address(&headers, peer, &s.config.trusted_proxies);
    Ok(Json(s.engine.identify(&slug, &r.key, &r.date_of_birth, &address).await?))
}

/// The participant and their attempts.
#[utoipa::path(get, path = "/api/v1/me", tag = "participants", security(("participant" = [])),
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
async fn me(State(s): State<AppState>, Participant(who): Participant) -> ApiResult<Json<MeView>> {
    Ok(Json(s.engine.me(who).await?))
}

/// The participant's own place in each published ranking of their contest (rounds first, then
/// the overall one), with the public id their rows carry in the published lists.
#[utoipa::path(get, path = "/api/v1/me/places", tag = "results", security(("participant" = [])),
    responses((status = 200, body = Vec<cuocthi_engine::certificates::OwnStanding>), (status = 401, body = ErrorBody)))]
async fn my_places(
    State(s): State<AppState>,
    Participant(who): Participant,
) -> ApiResult<Json<Vec<cuocthi_engine::certificates::OwnStanding>>> {
    Ok(Json(s.engine.my_places(who).await?))
}

#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
pub struct LocalityQuery {
    /// `2025` (default) or `2020`.
    pub scheme: Option<String>,
    /// Name to search, accents optional.
    pub q: Option<String>,
    /// List the children of this code (provinces when absent and no `q`).
    pub parent: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LocalityView {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent: Option<String>,
}

/// Localities for registration forms: provinces, a province's communes (or districts), or a search.
#[utoipa::path(get, path = "/api/v1/localities", tag = "contests", params(LocalityQuery),
    responses((status = 200, body = Vec<LocalityView>)))]
async fn localities(
    QueryArgs(q): QueryArgs<LocalityQuery>,
) -> ApiResult<([(header::HeaderName, &'static str); 1], Json<Vec<LocalityView>>)> {
    let scheme = match q.scheme.as_deref() {
        None | Some("2025") => Scheme::Y2025,
        Some("2020") => Scheme::Y2020,
        Some(_) => {
            return Err(ApiError(EngineError::BadRequest("Danh mục địa bàn chỉ có \"2025\" hoặc \"2020\".".into())));
        }
    };
    let atlas = locality::atlas(scheme);
    let hits: Vec<&locality::Locality> = match (&q.q, &q.parent) {
        (Some(text), parent) => atlas.search(text, parent.as_deref(), 50),
        (None, Some(parent)) => atlas.children(parent).collect(),
        (None, None) => atlas.all.iter().filter(|l| l.is_province()).collect(),
    };
    let out = hits
        .into_iter()
        .map(|l| LocalityView {
            code: l.code.clone(),
            name: l.name.clone(),
            kind: l.kind.clone(),
            parent: l.parent.clone(),
        })
        .collect();
    Ok(([(header::CACHE_CONTROL, "public, max-age=86400")], Json(out)))
}

/// Starts an attempt in a round (a new draw: 201, `resumed` false), or returns the person's open
/// one to resume (200, `resumed` true). Refused at once with 503 and `Retry-After` while the
/// server already has as many starts in progress as it answers in about a second.
#[utoipa::path(post, path = "/api/v1/rounds/{round_id}/attempts", tag = "attempts", security(("participant" = [])),
    params(("round_id" = i64, Path)),
    responses((status = 201, body = AttemptView, description = "a new attempt"),
              (status = 200, body = AttemptView, description = "the open attempt, resumed"),
              (status = 409, body = ErrorBody, description = "round not open, or no attempts left"),
              (status = 403, body = ErrorBody, description = "not eligible")))]
async fn start_attempt(
    State(s): State<AppState>,
    Participant(who): Participant,
    PathArgs(round_id): PathArgs<i64>,
    Peer(peer): Peer,
    headers: axum::http::HeaderMap,
) -> ApiResult<(StatusCode, [(header::HeaderName, &'static str); 1], Vec<u8>)> {
    let _place = s.starts.enter()?;
    // The browser's device cookie when the attempt page's script calls; none for other clients.
    let device = crate::session::device(&headers);
    let origin = cuocthi_engine::review::Origin {
        address: client_address(&headers, peer, &s.config.trusted_proxies).parse().ok(),
        device: device.1.is_none().then_some(device.0),
    };
    // The body is the `AttemptView` documented above, written by the engine from the questions'
    // JSON rendered once per bank (a herd of starts at a round's opening is CPU-bound).
    let started = s.engine.start_json(who, round_id, &origin).await?;
    let status = if started.resumed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, [(header::CONTENT_TYPE, "application/json")], started.body))
}

/// An attempt: its questions with options in this attempt's order, saved answers, the server's deadline.
/// Never anything that reveals the key.
#[utoipa::path(get, path = "/api/v1/attempts/{attempt_id}", tag = "attempts", security(("participant" = [])),
    params(("attempt_id" = i64, Path)), responses((status = 200, body = AttemptView), (status = 404, body = ErrorBody)))]
async fn get_attempt(
    State(s): State<AppState>,
    Participant(who): Participant,
    PathArgs(id): PathArgs<i64>,
) -> ApiResult<Json<AttemptView>> {
    Ok(Json(s.engine.attempt(who, id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct AnswerRequest {
    /// Index into the question's `options` as this attempt shows them (a question has 3 or 4);
    /// null clears the answer.
    #[schema(minimum = 0, maximum = 3)]
    #[serde(default, deserialize_with = "optional_whole_number")]
    pub choice: Option<u8>,
}

/// Saves the answer to question `position` (0-based); any number of times until the deadline.
#[utoipa::path(put, path = "/api/v1/attempts/{attempt_id}/answers/{position}", tag = "attempts", security(("participant" = [])),
    params(("attempt_id" = i64, Path), ("position" = usize, Path, minimum = 0, maximum = 199,
        description = "0-based; an attempt has at most 200 questions")), request_body = AnswerRequest,
    responses((status = 200, body = cuocthi_engine::AnswerSaved), (status = 409, body = ErrorBody, description = "submitted or past the deadline")))]
async fn save_answer(
    State(s): State<AppState>,
    Participant(who): Participant,
    PathArgs((id, position)): PathArgs<(i64, usize)>,
    Body(r): Body<AnswerRequest>,
) -> ApiResult<Json<cuocthi_engine::AnswerSaved>> {
    Ok(Json(s.engine.save_answer(who, id, position, r.choice).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct PredictionRequest {
    /// A whole number from 0 to 10¹².
    #[schema(minimum = 0, maximum = 1_000_000_000_000.0)]
    #[serde(deserialize_with = "whole_number")]
    pub value: i64,
}

/// A JSON integer, also when written `12.0`: JSON Schema counts a number with no fraction as an
/// integer, and so do the clients (JavaScript has no other kind of number), while serde refuses it.
fn whole_number<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    use serde::de::Error;
    let number = serde_json::Number::deserialize(deserializer)?;
    let whole = number.as_i64().or_else(|| number.as_f64().and_then(exact_integer));
    whole
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number in range")))
}

fn optional_whole_number<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    #[derive(Deserialize)]
    struct Whole<T: TryFrom<i64>>(#[serde(deserialize_with = "whole_number")] T);
    Ok(Option::<Whole<T>>::deserialize(deserializer)?.map(|Whole(n)| n))
}

/// `f` as an `i64` when it has no fraction and lies where every integer is exact in an `f64`.
fn exact_integer(f: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    #[expect(clippy::cast_possible_truncation, reason = "a whole number below 2^53 in magnitude converts exactly")]
    let whole = f as i64;
    (f.fract() == 0.0 && f.abs() <= EXACT).then_some(whole)
}

/// Saves the tiebreak prediction (câu hỏi dự đoán).
#[utoipa::path(put, path = "/api/v1/attempts/{attempt_id}/prediction", tag = "attempts", security(("participant" = [])),
    params(("attempt_id" = i64, Path)), request_body = PredictionRequest,
    responses((status = 204), (status = 409, body = ErrorBody)))]
async fn save_prediction(
    State(s): State<AppState>,
    Participant(who): Participant,
    PathArgs(id): PathArgs<i64>,
    Body(r): Body<PredictionRequest>,
) -> ApiResult<StatusCode> {
    s.engine.save_prediction(who, id, r.value).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema, Default)]
pub struct SubmitRequest {
    /// The tiebreak prediction, if not saved before: a whole number from 0 to 10¹².
    #[schema(minimum = 0, maximum = 1_000_000_000_000.0)]
    #[serde(default, deserialize_with = "optional_whole_number")]
    pub prediction: Option<i64>,
}

/// Submits (nộp bài) and returns the result; submitting again returns the same result.
#[utoipa::path(post, path = "/api/v1/attempts/{attempt_id}/submit", tag = "attempts", security(("participant" = [])),
    params(("attempt_id" = i64, Path)), request_body = SubmitRequest,
    responses((status = 200, body = ResultView), (status = 404, body = ErrorBody)))]
async fn submit(
    State(s): State<AppState>,
    Participant(who): Participant,
    PathArgs(id): PathArgs<i64>,
    Body(r): Body<SubmitRequest>,
) -> ApiResult<Json<ResultView>> {
    Ok(Json(s.engine.submit(who, id, r.prediction).await?))
}

/// The result of a submitted attempt; the key with explanations once the round has closed.
#[utoipa::path(get, path = "/api/v1/attempts/{attempt_id}/result", tag = "attempts", security(("participant" = [])),
    params(("attempt_id" = i64, Path)), responses((status = 200, body = ResultView), (status = 409, body = ErrorBody, description = "not submitted")))]
async fn result(
    State(s): State<AppState>,
    Participant(who): Participant,
    PathArgs(id): PathArgs<i64>,
) -> ApiResult<Json<ResultView>> {
    Ok(Json(s.engine.result(who, id).await?))
}

/// The published prize list of a round.
#[utoipa::path(get, path = "/api/v1/rounds/{round_id}/ranking", tag = "results",
    params(("round_id" = i64, Path)), responses((status = 200, body = RankingView), (status = 404, body = ErrorBody, description = "not published")))]
async fn round_ranking(State(s): State<AppState>, PathArgs(round_id): PathArgs<i64>) -> ApiResult<Json<RankingView>> {
    Ok(Json(s.engine.published_round(round_id).await?))
}

/// The published overall prize list of a contest (across rounds).
#[utoipa::path(get, path = "/api/v1/contests/{slug}/ranking", tag = "results",
    params(("slug" = String, Path)), responses((status = 200, body = RankingView), (status = 404, body = ErrorBody, description = "not published")))]
async fn overall_ranking(State(s): State<AppState>, PathArgs(slug): PathArgs<String>) -> ApiResult<Json<RankingView>> {
    Ok(Json(s.engine.published(&slug, None).await?))
}

/// The published collective prizes (giải tập thể) of a contest: every ranked unit with its place
/// and prize, as approved and locked with the ranking that closes the contest (the overall one,
/// or the last round's). Units with equal values share a place as the definition's `tie_break` says.
#[utoipa::path(get, path = "/api/v1/contests/{slug}/collective", tag = "results",
    params(("slug" = String, Path)),
    responses((status = 200, body = Vec<CollectiveView>), (status = 404, body = ErrorBody, description = "no collective prizes, or not published")))]
async fn collective_ranking(
    State(s): State<AppState>,
    PathArgs(slug): PathArgs<String>,
) -> ApiResult<Json<Vec<CollectiveView>>> {
    Ok(Json(s.engine.published_collective(&slug).await?))
}
