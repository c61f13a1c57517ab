//! The live statistics' counters as stored, and the staff lists of units they are compared with.

use cuocthi_domain::stats::Measures;

/// One stored counter.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CounterRow {
    pub round_id: i64,
    pub dim: String,
    pub bucket: String,
    pub people: i64,
    pub attempts: i64,
    pub finishers: i64,
    pub completed: i64,
    pub full_scores: i64,
    pub full_score_people: i64,
}

impl CounterRow {
    pub fn measures(&self) -> Measures {
        Measures {
            people: self.people,
            attempts: self.attempts,
            finishers: self.finishers,
            completed: self.completed,
            full_scores: self.full_scores,
            full_score_people: self.full_score_people,
        }
    }
}

/// A person on a unit's staff list.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffMember {
    pub unit_code: String,
    pub person_key: String,
    pub full_name: Option<String>,
}
