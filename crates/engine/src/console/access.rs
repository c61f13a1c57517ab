//! Who may do what in the console. Every use case asks [`Staff::require`] before it reads or
//! writes, so a handler that forgets to check cannot leak: the engine refuses.

use serde::{Deserialize, Serialize};

use crate::{EngineError, Result};

/// A staff member's role, from the widest rights to the narrowest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Quản trị hệ thống: every contest, the accounts.
    SystemAdmin,
    /// Ban Tổ chức: sets up and runs one contest.
    Organiser,
    /// Ban Giám khảo: reviews results.
    Judge,
    /// Tổ Thư ký: the question bank, participants, feedback.
    Secretariat,
    /// Đầu mối đơn vị: one unit and its sub-units.
    UnitCoordinator,
    /// Chỉ xem.
    Viewer,
    /// Người dẫn chương trình (MC) of the in-person event: controls the stage and the hall's
    /// screen, and nothing else.
    Mc,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::SystemAdmin,
        Role::Organiser,
        Role::Judge,
        Role::Secretariat,
        Role::UnitCoordinator,
        Role::Viewer,
        Role::Mc,
    ];
    /// The roles given on one contest.
    pub const ON_CONTEST: [Role; 6] =
        [Role::Organiser, Role::Judge, Role::Secretariat, Role::UnitCoordinator, Role::Viewer, Role::Mc];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::Organiser => "organiser",
            Role::Judge => "judge",
            Role::Secretariat => "secretariat",
            Role::UnitCoordinator => "unit_coordinator",
            Role::Viewer => "viewer",
            Role::Mc => "mc",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The Vietnamese name shown in the console.
    pub fn label(self) -> &'static str {
        match self {
            Role::SystemAdmin => "Quản trị hệ thống",
            Role::Organiser => "Ban Tổ chức",
            Role::Judge => "Ban Giám khảo",
            Role::Secretariat => "Tổ Thư ký",
            Role::UnitCoordinator => "Đầu mối đơn vị",
            Role::Viewer => "Chỉ xem",
            Role::Mc => "Người dẫn chương trình",
        }
    }
}

/// What a staff member asks to do. Each action names the contest roles that may do it; a system
/// administrator may do everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ManageAccounts,
    CreateContest,
    ViewContest,
    EditContest,
    ManageGrants,
    ViewBank,
    EditBank,
    ViewParticipants,
    /// See CCCD, phone, e-mail and date of birth unmasked.
    SeePersonalData,
    MergeParticipants,
    ViewAudit,
    /// Upload a unit's registered list or headcount.
    ManageUnitList,
    /// Publish a prize list.
    ManageResults,
    /// Read draft results, check publications, print certificates.
    ViewResults,
    /// Review suspicious attempts and disqualify (or reinstate) with a written reason.
    Review,
    /// The live statistics of the whole contest.
    ViewStatistics,
    /// Read participants' feedback on questions (góp ý, báo lỗi câu hỏi) and the voids.
    ViewFeedback,
    /// Reply to feedback, close it, and void a question (hủy câu hỏi) with a written reason.
    ManageFeedback,
    /// Run the in-person event: teams, parts opened and closed, paper sheets, answers, adjustments.
    ManageEvent,
    /// Score teams on one's own sheets (phiếu chấm) while a part is open.
    ScoreEvent,
    /// Reopen a judge's submitted sheet, with a reason.
    ReopenSheet,
    /// Run the stage (sân khấu) and the hall's screen: a team on stage, its lot, the questions,
    /// their answers, the reveal, the scoreboard and its freeze.
    ControlStage,
    /// Answer people's requests about their personal data (correction, erasure).
    HandlePrivacyRequests,
    /// Read the record of processing of personal data (hồ sơ xử lý dữ liệu cá nhân).
    ViewProcessingRecord,
}

impl Action {
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::ManageAccounts | Action::CreateContest => &[],
            Action::ViewContest => &[Organiser, Judge, Secretariat, UnitCoordinator, Viewer, Mc],
            Action::EditContest | Action::ManageGrants => &[Organiser],
            Action::ViewBank => &[Organiser, Judge, Secretariat],
            Action::EditBank => &[Organiser, Secretariat],
            Action::ViewParticipants => &[Organiser, Judge, Secretariat, UnitCoordinator, Viewer],
            Action::SeePersonalData | Action::MergeParticipants => &[Organiser, Secretariat],
            Action::ViewAudit => &[Organiser, Judge],
            Action::ManageUnitList => &[Organiser, UnitCoordinator],
            Action::ManageResults => &[Organiser],
            Action::ViewResults | Action::Review => &[Organiser, Judge],
            Action::ViewStatistics => &[Organiser, Judge, Secretariat, Viewer],
            Action::ViewFeedback => &[Organiser, Judge, Secretariat],
            Action::ManageFeedback => &[Organiser, Secretariat],
            Action::ManageEvent => &[Organiser, Secretariat],
            Action::ScoreEvent => &[Judge],
            Action::ReopenSheet => &[Secretariat],
            Action::HandlePrivacyRequests | Action::ViewProcessingRecord => &[Organiser, Secretariat],
            Action::ControlStage => &[Organiser, Secretariat, Mc],
        }
    }
}

/// A role on one contest; `unit` is the coordinator's unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub id: i64,
    pub contest_id: i64,
    pub role: Role,
    pub unit: Option<String>,
}

/// A signed-in staff member, with the grants read at the start of the request.
#[derive(Clone, Debug, Serialize)]
pub struct Staff {
    pub account_id: i64,
    pub username: String,
    pub full_name: String,
    pub system_admin: bool,
    pub has_totp: bool,
    pub grants: Vec<Grant>,
    /// The hash of the session id, to end this session.
    #[serde(skip)]
    pub session: String,
}

impl Staff {
    /// Whether the account may do `action` (on `contest`, for contest actions).
    pub fn can(&self, action: Action, contest: Option<i64>) -> bool {
        if self.system_admin {
            return true;
        }
        let Some(contest) = contest else { return false };
        self.grants.iter().any(|g| g.contest_id == contest && action.roles().contains(&g.role))
    }

    pub fn require(&self, action: Action, contest: Option<i64>) -> Result<()> {
        if self.can(action, contest) { Ok(()) } else { Err(EngineError::Forbidden) }
    }

    /// The units whose people this account may see on a contest, when it is limited to some
    /// (a unit coordinator and no wider role); `None` when it sees every unit.
    pub fn unit_scope(&self, contest: i64) -> Option<Vec<String>> {
        if self.system_admin {
            return None;
        }
        let on: Vec<&Grant> = self.grants.iter().filter(|g| g.contest_id == contest).collect();
        if on.iter().any(|g| g.role != Role::UnitCoordinator) {
            return None;
        }
        Some(on.iter().filter_map(|g| g.unit.clone()).collect())
    }

    /// Contests the account has any role on (all of them for a system administrator: `None`).
    pub fn contest_ids(&self) -> Option<Vec<i64>> {
        if self.system_admin {
            return None;
        }
        let mut ids: Vec<i64> = self.grants.iter().map(|g| g.contest_id).collect();
        ids.dedup();
        Some(ids)
    }

    /// Who did it, as the audit log writes it.
    pub fn actor(&self) -> String {
        self.username.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(grants: Vec<(i64, Role, Option<&str>)>) -> Staff {
        Staff {
            account_id: 1,
            username: "a".into(),
            full_name: String::new(),
            system_admin: false,
            has_totp: true,
            grants: grants
                .into_iter()
                .zip(0i64..)
                .map(|((c, r, u), id)| Grant { id, contest_id: c, role: r, unit: u.map(str::to_string) })
                .collect(),
            session: String::new(),
        }
    }

    #[test]
    fn a_grant_counts_on_its_own_contest_only() {
        let s = staff(vec![(1, Role::Organiser, None)]);
        assert!(s.can(Action::EditContest, Some(1)));
        assert!(!s.can(Action::EditContest, Some(2)));
        assert!(!s.can(Action::CreateContest, None));
        assert!(!s.can(Action::ManageAccounts, None));
    }

    #[test]
    fn coordinators_see_their_units_only_and_never_personal_data() {
        let s = staff(vec![(1, Role::UnitCoordinator, Some("SGD")), (1, Role::UnitCoordinator, Some("CA"))]);
        assert_eq!(s.unit_scope(1), Some(vec!["SGD".to_string(), "CA".to_string()]));
        assert!(s.can(Action::ViewParticipants, Some(1)));
        assert!(!s.can(Action::SeePersonalData, Some(1)));
        assert!(!s.can(Action::ViewBank, Some(1)));
        let wider = staff(vec![(1, Role::UnitCoordinator, Some("SGD")), (1, Role::Viewer, None)]);
        assert_eq!(wider.unit_scope(1), None);
    }

    #[test]
    fn every_role_has_a_name_and_reads_back() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert!(!r.label().is_empty());
        }
    }
}
