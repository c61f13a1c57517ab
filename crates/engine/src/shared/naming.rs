//! The names shown for codes: a unit, a locality (its full path), an attempt's status, a void.

use cuocthi_domain::attempt::Void;

use crate::shared::catalog::CachedContest;

pub(crate) fn status_name(s: cuocthi_store::AttemptStatus) -> &'static str {
    match s {
        cuocthi_store::AttemptStatus::Open => "open",
        cuocthi_store::AttemptStatus::Submitted => "submitted",
    }
}

pub(crate) fn unit_name(c: &CachedContest, code: Option<&str>) -> Option<String> {
    let code = code?;
    c.spec.units.iter().find(|u| u.code == code).map(|u| u.name.clone())
}

pub(crate) fn locality_name(c: &CachedContest, code: Option<&str>) -> Option<String> {
    let atlas = cuocthi_domain::locality::atlas(c.spec.settings.locality_scheme);
    let path = atlas.path(code?);
    (!path.is_empty()).then(|| path.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", "))
}

/// A void in words, for the console, the participant's result page and the question statistics.
pub fn void_label(v: Void) -> &'static str {
    match v {
        Void::Award => "Câu hỏi đã bị hủy: mọi người được hỏi câu này đều được tính đúng.",
        Void::Drop => "Câu hỏi đã bị hủy: câu này không được tính điểm.",
    }
}
