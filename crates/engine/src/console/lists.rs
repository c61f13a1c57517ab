//! The lists a contest keeps: its units with headcounts, its exclusion list, and each unit's
//! registered list (uploaded by the unit's coordinator), with the minimum per unit checked.

use cuocthi_domain::contest::{ContestDef, ContestSpec};
use serde::Serialize;
use serde_json::{Value, json};

use super::access::{Action, Staff};
use crate::import::{ListError, parse_keys, parse_registered, parse_units};
use crate::shared::catalog::CachedContest;
use crate::{Engine, EngineError, Result};

/// A unit as the lists page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub depth: usize,
    pub headcount: Option<u32>,
    pub registered: usize,
    /// The contest's minimum registered per unit, when it has one.
    pub minimum: Option<u32>,
    /// Whether this staff member may upload this unit's registered list.
    pub can_upload: bool,
}

fn list_error(e: ListError) -> EngineError {
    EngineError::BadRequest(e.0.join(" "))
}

impl Engine {
    /// Saves a changed definition of `c` after checking it whole, and records why.
    async fn apply_spec(
        &self,
        by: &Staff,
        c: &CachedContest,
        spec: ContestSpec,
        action: &str,
        detail: Value,
    ) -> Result<()> {
        let spec = ContestDef::from_spec(&spec).validate().map_err(EngineError::Definition)?;
        let id = c.stored.contest.id;
        self.store.update_contest(id, &spec, self.now()).await?;
        self.catalog.forget_contest(id);
        self.record(Some(by), action, Some(id), &format!("contest:{id}"), detail).await
    }

    /// The units with their headcounts and registered counts, as the tree orders them.
    pub async fn unit_lines(&self, by: &Staff, slug: &str) -> Result<Vec<UnitLine>> {
        let c = self.contest_for(by, slug, Action::ViewParticipants).await?;
        let id = c.stored.contest.id;
        let scope = by.unit_scope(id).map(|u| self.units_within(&c.spec.units, &u));
        let may_upload = by.can(Action::ManageUnitList, Some(id));
        let minimum = c.spec.settings.eligibility.min_registered_per_unit;
        let mut out = Vec::new();
        // Depth-first from the roots, so sub-units follow their parent.
        fn walk(c: &CachedContest, parent: Option<&str>, depth: usize, out: &mut Vec<(usize, usize)>) {
            for (i, u) in c.spec.units.iter().enumerate().filter(|(_, u)| u.parent.as_deref() == parent) {
                out.push((i, depth));
                walk(c, Some(&u.code), depth + 1, out);
            }
        }
        let mut order = Vec::new();
        walk(&c, None, 0, &mut order);
        for (i, depth) in order {
            let u = &c.spec.units[i];
            if scope.as_ref().is_some_and(|s| !s.contains(&u.code)) {
                continue;
            }
            out.push(UnitLine {
                code: u.code.clone(),
                name: u.name.clone(),
                parent: u.parent.clone(),
                depth,
                headcount: u.headcount,
                registered: c.spec.registered.iter().filter(|r| r.unit == u.code).count(),
                minimum,
                can_upload: may_upload,
            });
        }
        Ok(out)
    }

    /// Replaces the units tree from a spreadsheet (code, name, parent code, headcount).
    pub async fn import_units(&self, by: &Staff, slug: &str, file_name: &str, bytes: &[u8]) -> Result<usize> {
        let c = self.contest_for(by, slug, Action::EditContest).await?;
        let units = parse_units(file_name, bytes).map_err(list_error)?;
        let orphans: Vec<&str> = c
            .spec
            .registered
            .iter()
            .map(|r| r.unit.as_str())
            .filter(|code| !units.iter().any(|u| u.code == *code))
            .collect();
        if let Some(code) = orphans.first() {
            return Err(EngineError::BadRequest(format!(
                "Đơn vị mã \"{code}\" đã có danh sách đăng ký nhưng không còn trong tệp; hãy giữ lại đơn vị này."
            )));
        }
        let n = units.len();
        let before: Vec<(String, Option<u32>)> = c.spec.units.iter().map(|u| (u.code.clone(), u.headcount)).collect();
        let after: Vec<(String, Option<u32>)> = units.iter().map(|u| (u.code.clone(), u.headcount)).collect();
        let mut spec = c.spec.clone();
        spec.units = units;
        self.apply_spec(by, &c, spec, "contest.units", json!({"file": file_name, "before": before, "after": after}))
            .await?;
        Ok(n)
    }

    /// Replaces the exclusion list from a spreadsheet of CCCD or phone numbers.
    pub async fn import_exclusions(&self, by: &Staff, slug: &str, file_name: &str, bytes: &[u8]) -> Result<usize> {
        let c = self.contest_for(by, slug, Action::EditContest).await?;
        let keys = parse_keys(file_name, bytes).map_err(list_error)?;
        let n = keys.len();
        let mut spec = c.spec.clone();
        let before = spec.settings.eligibility.exclusions.len();
        spec.settings.eligibility.exclusions = keys;
        self.apply_spec(by, &c, spec, "contest.exclusions", json!({"file": file_name, "before": before, "after": n}))
            .await?;
        Ok(n)
    }

    /// Replaces one unit's registered list; a coordinator may do it for their own units only.
    pub async fn import_registered(
        &self,
        by: &Staff,
        slug: &str,
        unit: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<usize> {
        let c = self.contest_for(by, slug, Action::ManageUnitList).await?;
        self.require_unit(by, &c, unit)?;
        let people = parse_registered(file_name, bytes, unit).map_err(list_error)?;
        if let Some(p) = people.iter().find(|p| c.spec.registered.iter().any(|r| r.key == p.key && r.unit != unit)) {
            let other = c.spec.registered.iter().find(|r| r.key == p.key).map(|r| r.unit.clone()).unwrap_or_default();
            return Err(EngineError::BadRequest(format!(
                "Số định danh {} đã có trong danh sách của đơn vị {other}.",
                p.key
            )));
        }
        let n = people.len();
        let mut spec = c.spec.clone();
        let before = spec.registered.iter().filter(|r| r.unit == unit).count();
        spec.registered.retain(|r| r.unit != unit);
        spec.registered.extend(people);
        let minimum = spec.settings.eligibility.min_registered_per_unit;
        self.apply_spec(
            by,
            &c,
            spec,
            "unit.registered",
            json!({"unit": unit, "file": file_name, "before": before, "after": n, "minimum": minimum}),
        )
        .await?;
        Ok(n)
    }
}
