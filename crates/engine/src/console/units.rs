//! A unit's own view (đơn vị): its participation against headcount with its sub-units, its
//! progress by day, and — once its coordinator uploads the staff list — who has not yet taken
//! part, to remind them. Unit coordinators see only their unit and the units under it.

use std::collections::{BTreeMap, HashMap, HashSet};

use cuocthi_domain::identity::normalise_key;
use cuocthi_domain::stats::{CONTEST, Measures};
use cuocthi_store::StaffMember;
use serde::Serialize;
use serde_json::json;

use crate::console::access::{Action, Staff};
use crate::console::stats::{Bar, day_of};
use crate::import::parse_registered;
use crate::{Engine, EngineError, Result};

/// One unit's line: itself and everything under it.
#[derive(Clone, Debug, Serialize)]
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub headcount: Option<i64>,
    pub people: i64,
    pub completed: i64,
    /// People per thousand of headcount (‰), capped at 1,000.
    pub rate_permille: Option<i64>,
}

/// A person of the staff list who has not started an attempt.
#[derive(Clone, Debug, Serialize)]
pub struct Absentee {
    pub unit: String,
    pub name: String,
    /// Masked unless the staff member may see personal data.
    pub key: String,
}

/// What a unit's page shows.
#[derive(Clone, Debug, Serialize)]
pub struct UnitView {
    pub unit: UnitRow,
    /// The units directly under it.
    pub children: Vec<UnitRow>,
    /// People who started for the first time each day (Vietnam dates), with the running total.
    pub by_day: Vec<(Bar, i64)>,
    /// The units this staff member may look at (code, name, depth), for the chooser.
    pub choices: Vec<(String, String, usize)>,
    pub staff_listed: usize,
    pub absentees: Vec<Absentee>,
    pub may_upload: bool,
}

impl Engine {
    /// The units a staff member may see in a contest: a coordinator's own units and those
    /// under them; everyone else with the right, all.
    fn visible_units(&self, by: &Staff, c: &crate::shared::catalog::CachedContest) -> Vec<String> {
        match by.unit_scope(c.stored.contest.id) {
            Some(own) => self.units_within(&c.spec.units, &own),
            None => c.spec.units.iter().map(|u| u.code.clone()).collect(),
        }
    }

    /// Refuses a unit the contest does not have (not found) or that is outside a coordinator's
    /// own units (forbidden).
    pub(crate) fn require_unit(&self, by: &Staff, c: &crate::shared::catalog::CachedContest, unit: &str) -> Result<()> {
        if !c.spec.units.iter().any(|u| u.code == unit) {
            return Err(EngineError::NotFound("đơn vị"));
        }
        if !self.visible_units(by, c).iter().any(|u| u == unit) {
            return Err(EngineError::Forbidden);
        }
        Ok(())
    }

    /// The view of `unit` (the staff member's first unit without one).
    pub async fn unit_view(&self, by: &Staff, slug: &str, unit: Option<&str>) -> Result<UnitView> {
        let c = self.contest_for(by, slug, Action::ViewParticipants).await?;
        let id = c.stored.contest.id;
        let visible = self.visible_units(by, &c);
        let code = match unit {
            Some(u) => u.to_string(),
            None => match by.unit_scope(id).and_then(|own| own.into_iter().next()) {
                Some(u) => u,
                None => c
                    .spec
                    .units
                    .iter()
                    .find(|u| u.parent.is_none())
                    .map(|u| u.code.clone())
                    .ok_or(EngineError::NotFound("đơn vị"))?,
            },
        };
        self.require_unit(by, &c, &code)?;
        self.count_attempts().await?;
        let rows = self.store.counters(id, None).await?;
        let by_unit: HashMap<&str, Measures> = rows
            .iter()
            .filter(|r| r.round_id == CONTEST && r.dim == "unit")
            .map(|r| (r.bucket.as_str(), r.measures()))
            .collect();
        let line = |code: &str| -> Option<UnitRow> {
            let spec = c.spec.units.iter().find(|u| u.code == code)?;
            let mut m = Measures::default();
            for u in c.spec.subtree(code) {
                if let Some(x) = by_unit.get(u.code.as_str()) {
                    m.add(x);
                }
            }
            let headcount = spec.headcount.map(i64::from);
            Some(UnitRow {
                code: spec.code.clone(),
                name: spec.name.clone(),
                headcount,
                people: m.people,
                completed: m.completed,
                rate_permille: headcount.filter(|h| *h > 0).map(|h| (m.people * 1000 / h).min(1000)),
            })
        };
        let this = line(&code).ok_or(EngineError::NotFound("đơn vị"))?;
        let children: Vec<UnitRow> = c
            .spec
            .units
            .iter()
            .filter(|u| u.parent.as_deref() == Some(code.as_str()))
            .filter_map(|u| line(&u.code))
            .collect();
        let subtree: HashSet<String> = c.spec.subtree(&code).iter().map(|u| u.code.clone()).collect();
        let mut days: BTreeMap<String, i64> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.round_id == CONTEST && r.dim == "unit_day") {
            if let Some((u, day)) = r.bucket.split_once('|')
                && subtree.contains(u)
            {
                *days.entry(day.to_string()).or_default() += r.people;
            }
        }
        let mut total = 0;
        let by_day = days
            .into_iter()
            .map(|(d, people)| {
                total += people;
                let label = day_of(&d).map(|x| x.format("%d/%m").to_string()).unwrap_or(d);
                (Bar { label, value: people }, total)
            })
            .collect();
        let (staff_listed, absentees) = self.absentees(by, &c, &subtree).await?;
        let choices = self.unit_choices(&c, &visible);
        let may_upload = by.can(Action::ManageUnitList, Some(id));
        Ok(UnitView { unit: this, children, by_day, choices, staff_listed, absentees, may_upload })
    }

    /// The units in tree order with their depth, limited to `visible`.
    fn unit_choices(
        &self,
        c: &crate::shared::catalog::CachedContest,
        visible: &[String],
    ) -> Vec<(String, String, usize)> {
        fn walk(
            c: &crate::shared::catalog::CachedContest,
            parent: Option<&str>,
            depth: usize,
            visible: &[String],
            out: &mut Vec<(String, String, usize)>,
        ) {
            for u in c.spec.units.iter().filter(|u| u.parent.as_deref() == parent) {
                if visible.contains(&u.code) {
                    out.push((u.code.clone(), u.name.clone(), depth));
                }
                walk(c, Some(&u.code), depth + 1, visible, out);
            }
        }
        let mut out = Vec::new();
        walk(c, None, 0, visible, &mut out);
        out
    }

    /// How many are on the staff lists of `units`, and who of them has not started an attempt.
    async fn absentees(
        &self,
        by: &Staff,
        c: &crate::shared::catalog::CachedContest,
        units: &HashSet<String>,
    ) -> Result<(usize, Vec<Absentee>)> {
        let id = c.stored.contest.id;
        let units: Vec<String> = units.iter().cloned().collect();
        let staff = self.store.staff_lists(id, &units).await?;
        let keys: Vec<String> = staff.iter().map(|s| s.person_key.clone()).collect();
        let took_part: HashSet<String> = self.store.keys_that_took_part(id, &keys).await?.into_iter().collect();
        let unmasked = by.can(Action::SeePersonalData, Some(id));
        let name_of: HashMap<&str, &str> = c.spec.units.iter().map(|u| (u.code.as_str(), u.name.as_str())).collect();
        let absent = staff
            .iter()
            .filter(|s| !took_part.contains(&s.person_key))
            .map(|s| Absentee {
                unit: name_of.get(s.unit_code.as_str()).map(|n| n.to_string()).unwrap_or_else(|| s.unit_code.clone()),
                name: s.full_name.clone().unwrap_or_default(),
                key: if unmasked { s.person_key.clone() } else { mask(&s.person_key) },
            })
            .collect();
        Ok((staff.len(), absent))
    }

    /// Replaces a unit's staff list from a spreadsheet (the columns of a registered list:
    /// "Họ và tên" and the identity number); returns how many people it holds.
    pub async fn import_staff_list(
        &self,
        by: &Staff,
        slug: &str,
        unit: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<usize> {
        let c = self.contest_for(by, slug, Action::ManageUnitList).await?;
        let id = c.stored.contest.id;
        self.require_unit(by, &c, unit)?;
        let people = parse_registered(file_name, bytes, unit).map_err(|e| EngineError::BadRequest(e.0.join(" ")))?;
        let members: Vec<StaffMember> = people
            .into_iter()
            .map(|p| StaffMember { unit_code: unit.to_string(), person_key: normalise_key(&p.key), full_name: p.name })
            .collect();
        self.store.replace_staff_list(id, unit, &members, &by.username, self.now().timestamp_millis()).await?;
        self.record(
            Some(by),
            "unit.staff_list",
            Some(id),
            &format!("unit:{unit}"),
            json!({"file": file_name, "people": members.len()}),
        )
        .await?;
        Ok(members.len())
    }

    /// The people of a unit's (and its sub-units') staff lists who have not taken part, as a
    /// workbook to send round.
    pub async fn absentees_workbook(&self, by: &Staff, slug: &str, unit: &str) -> Result<Vec<u8>> {
        let view = self.unit_view(by, slug, Some(unit)).await?;
        let rows: Vec<Vec<String>> = view
            .absentees
            .iter()
            .enumerate()
            .map(|(i, a)| vec![(i + 1).to_string(), a.name.clone(), a.key.clone(), a.unit.clone()])
            .collect();
        let mut book = rust_xlsxwriter::Workbook::new();
        crate::console::exports::sheet(
            &mut book,
            "Chưa tham gia",
            &[("TT", 6.0), ("Họ và tên", 30.0), ("Số định danh", 18.0), ("Đơn vị", 40.0)],
            &rows,
        )
        .map_err(crate::console::exports::xlsx)?;
        // Who exported personal data (Luật 91/2025): the file and its fields, never the rows.
        if let Some(stored) = self.store.contest_by_slug(slug).await? {
            let id = stored.contest.id;
            let detail = serde_json::json!({"file": "chua-tham-gia.xlsx", "unit": unit, "rows": rows.len(),
                "fields": "name, identity key, unit"});
            self.record(Some(by), "personal.export", Some(id), &format!("contest:{id}"), detail).await?;
        }
        book.save_to_buffer().map_err(crate::console::exports::xlsx)
    }
}

/// `0010******45`, or the first and last two characters of another key.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let keep = if chars.len() >= 12 { 4 } else { 2 };
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - keep - 2))
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_masked_like_cccd() {
        assert_eq!(super::mask("001099012345"), "0010******45");
        assert_eq!(super::mask("0912345678"), "09******78");
        assert_eq!(super::mask("abc"), "***");
    }
}
