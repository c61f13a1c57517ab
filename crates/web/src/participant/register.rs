//! Registration and identification: the forms built from the contest's required fields, and
//! the session cookie when the person is known.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cuocthi_domain::identity::{Cccd, Field, IdentityInput};
use cuocthi_domain::locality::{self, Scheme};
use cuocthi_engine::EngineError;
use cuocthi_engine::views::ContestView;

use super::dates;
use crate::cookies;
use crate::http::{Form, PageError, PageResult, Path, Peer, client_address, field_of, private, retry_after, see_other};
use crate::i18n::{self, Texts};
use crate::{AppState, session};

struct Choice {
    code: String,
    name: String,
    selected: bool,
}

struct ChoiceGroup {
    label: String,
    choices: Vec<Choice>,
}

struct FormField {
    name: &'static str,
    label: &'static str,
    /// `text`, `tel`, `email` or `select`.
    kind: &'static str,
    inputmode: &'static str,
    autocomplete: &'static str,
    hint: &'static str,
    value: String,
    error: Option<String>,
    groups: Vec<ChoiceGroup>,
}

#[derive(Template, WebTemplate)]
#[template(path = "register.html")]
struct RegisterPage {
    t: &'static Texts,
    slug: String,
    title: String,
    organiser: String,
    /// The organiser's retention period, or the default text of the page's language.
    retention: String,
    fields: Vec<FormField>,
    consent_error: Option<String>,
    general_error: Option<String>,
    /// Every round has closed: the page says so and links to the results instead of the form,
    /// so that no personal data is collected for nothing.
    closed: bool,
}

/// Units in tree order, each sub-unit under its parent and marked by its depth ("— Phòng …"), so
/// a person finds their own office under their department.
fn unit_tree(units: &[cuocthi_engine::views::UnitView]) -> impl Iterator<Item = (String, String)> + '_ {
    fn walk(
        units: &[cuocthi_engine::views::UnitView],
        parent: Option<&str>,
        depth: usize,
        out: &mut Vec<(String, String)>,
    ) {
        for u in units.iter().filter(|u| u.parent.as_deref() == parent) {
            out.push((u.code.clone(), format!("{}{}", "— ".repeat(depth), u.name)));
            if depth < 16 {
                walk(units, Some(&u.code), depth + 1, out);
            }
        }
    }
    let mut out = Vec::with_capacity(units.len());
    walk(units, None, 0, &mut out);
    out.into_iter()
}

fn choices(list: impl Iterator<Item = (String, String)>, value: &str) -> Vec<Choice> {
    list.map(|(code, name)| Choice { selected: code == value, code, name }).collect()
}

/// The communes of the contest's province (under its districts for the 2020 scheme), or the
/// provinces when the contest names none.
fn locality_groups(scheme: Scheme, province: Option<&str>, value: &str) -> Vec<ChoiceGroup> {
    let atlas = locality::atlas(scheme);
    let named = |l: &locality::Locality| (l.code.clone(), l.name.clone());
    match province {
        Some(p) if atlas.get(p).is_some() => {
            let below: Vec<&locality::Locality> = atlas.children(p).collect();
            let has_grandchildren = below.iter().any(|d| atlas.children(&d.code).next().is_some());
            if has_grandchildren {
                below
                    .iter()
                    .map(|d| ChoiceGroup {
                        label: d.name.clone(),
                        choices: choices(atlas.children(&d.code).map(named), value),
                    })
                    .collect()
            } else {
                vec![ChoiceGroup { label: String::new(), choices: choices(below.into_iter().map(named), value) }]
            }
        }
        _ => vec![ChoiceGroup {
            label: String::new(),
            choices: choices(atlas.all.iter().filter(|l| l.is_province()).map(named), value),
        }],
    }
}

fn registration_fields(
    c: &ContestView,
    province: Option<&str>,
    typed: &HashMap<String, String>,
    errors: &[(String, String)],
) -> Vec<FormField> {
    let mut names: Vec<String> = c.required_fields.clone();
    if !names.contains(&c.identity_key) {
        names.insert(0, c.identity_key.clone());
    }
    let scheme = if c.locality_scheme == "2020" { Scheme::Y2020 } else { Scheme::Y2025 };
    let t = i18n::t();
    names
        .iter()
        .filter_map(|n| field_of(n))
        .map(|f| {
            let value = typed.get(f.name()).cloned().unwrap_or_default();
            let error = errors.iter().find(|(k, _)| k == f.name()).map(|(_, m)| m.clone());
            let mut field = FormField {
                name: f.name(),
                label: (t.field)(f),
                kind: "text",
                inputmode: "text",
                autocomplete: "off",
                hint: (t.hint)(f),
                value: String::new(),
                error,
                groups: Vec::new(),
            };
            match f {
                Field::FullName => field.autocomplete = "name",
                Field::DateOfBirth => {
                    field.inputmode = "numeric";
                    field.autocomplete = "bday";
                }
                Field::Cccd => field.inputmode = "numeric",
                Field::Phone => {
                    field.kind = "tel";
                    field.inputmode = "tel";
                    field.autocomplete = "tel";
                }
                Field::Email => {
                    field.kind = "email";
                    field.inputmode = "email";
                    field.autocomplete = "email";
                }
                Field::Unit => {
                    field.kind = "select";
                    field.groups =
                        vec![ChoiceGroup { label: String::new(), choices: choices(unit_tree(&c.units), &value) }];
                }
                Field::Group => {
                    field.kind = "select";
                    field.groups = vec![ChoiceGroup {
                        label: String::new(),
                        choices: choices(c.groups.iter().map(|g| (g.code.clone(), g.name.clone())), &value),
                    }];
                }
                Field::Locality => {
                    field.kind = "select";
                    field.groups = locality_groups(scheme, province, &value);
                }
            }
            field.value = value;
            field
        })
        .collect()
}

async fn register_page(
    s: &AppState,
    slug: &str,
    typed: &HashMap<String, String>,
    errors: &[(String, String)],
    consent_error: Option<String>,
    general_error: Option<String>,
) -> Result<RegisterPage, PageError> {
    let c = s.engine.contest(slug).await?;
    Ok(RegisterPage {
        t: i18n::t(),
        closed: registration_closed(&c),
        fields: registration_fields(&c, c.province_code.as_deref(), typed, errors),
        slug: c.slug,
        title: c.title,
        retention: c.data_retention.clone().unwrap_or_else(|| i18n::t().retention.to_string()),
        organiser: c.organiser,
        consent_error,
        general_error,
    })
}

/// Every round has closed: no registration would lead to an attempt.
fn registration_closed(c: &ContestView) -> bool {
    !c.rounds.is_empty() && c.rounds.iter().all(|r| r.phase == "closed")
}

pub(super) async fn register_form(State(s): State<AppState>, Path(slug): Path<String>) -> PageResult {
    Ok(private(register_page(&s, &slug, &HashMap::new(), &[], None, None).await?))
}

fn typed_value(form: &HashMap<String, String>, name: &str) -> Option<String> {
    form.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

pub(super) async fn register(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    if registration_closed(&s.engine.contest(&slug).await?) {
        let page = register_page(&s, &slug, &HashMap::new(), &[], None, None).await?;
        return Ok(private((StatusCode::CONFLICT, page)));
    }
    let date_of_birth = typed_value(&form, "date_of_birth").map(|d| dates::as_typed(&d));
    let input = IdentityInput {
        full_name: typed_value(&form, "full_name"),
        date_of_birth: date_of_birth.clone(),
        cccd: typed_value(&form, "cccd"),
        phone: typed_value(&form, "phone"),
        email: typed_value(&form, "email"),
        unit: typed_value(&form, "unit"),
        locality: typed_value(&form, "locality"),
        group: typed_value(&form, "group"),
    };
    let consent = form.get("consent").is_some_and(|v| v == "1" || v == "on");
    let refused = |errors: Vec<(String, String)>, consent_error: Option<String>, general: Option<String>| {
        let (s, slug, form) = (&s, &slug, &form);
        async move {
            let page = register_page(s, slug, form, &errors, consent_error, general).await?;
            Ok::<_, PageError>(private((StatusCode::UNPROCESSABLE_ENTITY, page)))
        }
    };
    let address = client_address(&headers, peer, &s.config.trusted_proxies);
    match s.engine.register(&slug, &input, consent, &address).await {
        Ok(session) => Ok(signed_in(&s, &slug, &session, &headers)),
        Err(EngineError::InvalidIdentity(fields)) => {
            let missing_day = date_of_birth.as_deref().and_then(|d| dates::missing_day(d, i18n::t()));
            let errors = fields
                .into_iter()
                .map(|f| match (&missing_day, f.field == Field::DateOfBirth.name()) {
                    (Some(m), true) => (f.field, m.clone()),
                    _ => (f.field, f.message),
                })
                .collect();
            let consent_error = (!consent).then(|| EngineError::ConsentRequired.to_string());
            refused(errors, consent_error, Some(EngineError::InvalidIdentity(Vec::new()).to_string())).await
        }
        Err(e @ EngineError::ConsentRequired) => refused(Vec::new(), Some(e.to_string()), None).await,
        Err(e @ EngineError::IdentityMismatch) => refused(Vec::new(), None, Some(e.to_string())).await,
        // Registration as the last round closes: the closed page, with the engine's reason.
        Err(e @ EngineError::Conflict(_)) => {
            let page = register_page(&s, &slug, &form, &[], None, Some(e.to_string())).await?;
            Ok(private((crate::http::status_of(&e), page)))
        }
        Err(e @ EngineError::Throttled(_)) => {
            let page = register_page(&s, &slug, &form, &[], None, Some(e.to_string())).await?;
            Ok(throttled(private((StatusCode::TOO_MANY_REQUESTS, page)), &e))
        }
        Err(e) => Err(e.into()),
    }
}

/// A page refused by a throttle says when to come back.
fn throttled(mut resp: Response, e: &EngineError) -> Response {
    if let Some(v) = retry_after(e) {
        resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    resp
}

fn signed_in(s: &AppState, slug: &str, session: &cuocthi_engine::views::Session, headers: &HeaderMap) -> Response {
    let cookie = session::set_cookie(&session.token, session.expires_at, s.engine.now(), headers);
    cookies::with(cookie, see_other(&format!("/cuoc-thi/{slug}")))
}

#[derive(Template, WebTemplate)]
#[template(path = "identify.html")]
struct IdentifyPage {
    t: &'static Texts,
    slug: String,
    title: String,
    key_label: &'static str,
    dob_label: &'static str,
    dob_hint: &'static str,
    key_inputmode: &'static str,
    key_kind: Field,
    key: String,
    date_of_birth: String,
    key_error: Option<String>,
    dob_error: Option<String>,
    general_error: Option<String>,
}

async fn identify_page(s: &AppState, slug: &str) -> Result<IdentifyPage, PageError> {
    let c = s.engine.contest(slug).await?;
    let key = field_of(&c.identity_key).unwrap_or(Field::Cccd);
    let t = i18n::t();
    Ok(IdentifyPage {
        t,
        slug: c.slug,
        title: c.title,
        key_label: (t.field)(key),
        dob_label: (t.field)(Field::DateOfBirth),
        dob_hint: (t.hint)(Field::DateOfBirth),
        key_kind: key,
        key_inputmode: match key {
            Field::Phone => "tel",
            Field::Email => "email",
            _ => "numeric",
        },
        key: String::new(),
        date_of_birth: String::new(),
        key_error: None,
        dob_error: None,
        general_error: None,
    })
}

pub(super) async fn identify_form(State(s): State<AppState>, Path(slug): Path<String>) -> PageResult {
    Ok(private(identify_page(&s, &slug).await?))
}

pub(super) async fn identify(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let key = typed_value(&form, "key").unwrap_or_default();
    let dob = dates::as_typed(&typed_value(&form, "date_of_birth").unwrap_or_default());
    let mut page = identify_page(&s, &slug).await?;
    page.key_error = key_problem(&page, &key);
    page.dob_error =
        if dob.is_empty() { Some((page.t.please_enter)(page.dob_label)) } else { dates::missing_day(&dob, page.t) };
    if page.key_error.is_none() && page.dob_error.is_none() {
        let address = client_address(&headers, peer, &s.config.trusted_proxies);
        match s.engine.identify(&slug, &key, &dob, &address).await {
            Ok(session) => return Ok(signed_in(&s, &slug, &session, &headers)),
            Err(EngineError::BadRequest(m)) => page.dob_error = Some(m),
            Err(EngineError::IdentityMismatch) => page.general_error = Some(page.t.identify_no_match.to_string()),
            Err(e @ EngineError::Throttled(_)) => {
                page.general_error = Some(e.to_string());
                (page.key, page.date_of_birth) = (key, dob);
                return Ok(throttled(private((StatusCode::TOO_MANY_REQUESTS, page)), &e));
            }
            Err(e) => return Err(e.into()),
        }
    }
    page.key = key;
    page.date_of_birth = dob;
    Ok(private((StatusCode::UNPROCESSABLE_ENTITY, page)))
}

/// What is wrong with the typed key before any look-up: empty, or (for a CCCD) not 12 digits
/// with a province code, so that a mistyped number is not answered as a mismatch.
fn key_problem(page: &IdentifyPage, key: &str) -> Option<String> {
    if key.is_empty() {
        return Some((page.t.please_enter)(page.key_label));
    }
    (page.key_kind == Field::Cccd).then(|| Cccd::parse(key).err()).flatten()
}

#[cfg(test)]
mod unit_tree_tests {
    use cuocthi_engine::views::UnitView;

    fn unit(code: &str, parent: Option<&str>) -> UnitView {
        UnitView { code: code.into(), name: format!("Đơn vị {code}"), parent: parent.map(Into::into) }
    }

    /// Quảng Ninh under the 2020 scheme: its communes grouped under their districts.
    #[test]
    fn communes_are_grouped_under_their_districts() {
        use cuocthi_domain::locality::Scheme;
        let groups = super::locality_groups(Scheme::Y2020, Some("22"), "");
        let ha_long = groups.iter().find(|g| g.label == "Thành phố Hạ Long").expect("districts of Quảng Ninh");
        assert!(!ha_long.choices.is_empty());
    }

    #[test]
    fn sub_units_follow_their_parent_marked_by_depth() {
        let units = vec![unit("B", None), unit("A1", Some("A")), unit("A", None), unit("A1a", Some("A1"))];
        let labels: Vec<String> = super::unit_tree(&units).map(|(_, name)| name).collect();
        assert_eq!(labels, vec!["Đơn vị B", "Đơn vị A", "— Đơn vị A1", "— — Đơn vị A1a"]);
    }
}
