//! Certificates' data (giấy chứng nhận) of published prize lists: what each one prints, and its
//! serial. A serial names the publication and the row, with a tag only this deployment can make,
//! so a serial cannot be guessed or forged; the publication it points to never changes. Staff
//! print them all (`certificates_of`); anyone checks one by its serial (`participant::results`).

use chrono::{DateTime, Datelike, Utc};
use cuocthi_domain::contest::CertificateText;
use cuocthi_domain::{text as vntext, vntime};
use serde::Serialize;

use crate::shared::views::RankingView;
use crate::{Engine, EngineError, Result};

/// Hex digits of a serial's tag.
pub(crate) const TAG_LEN: usize = 10;

/// Everything printed on one certificate, ready for the renderer.
#[derive(Clone, Debug, Serialize)]
pub struct CertificateData {
    pub serial: String,
    /// `/chung-nhan/{serial}`: the public verification page (prefix the site's address).
    pub verify_path: String,
    pub heading: String,
    pub contest_title: String,
    pub recipient: String,
    pub recipient_detail: Vec<String>,
    pub award: String,
    pub round: Option<String>,
    pub place_and_date: String,
    pub signatory_title: String,
    pub signatory_name: String,
    pub published_at: DateTime<Utc>,
    pub contest_slug: String,
    /// A newer version of these results has been published since (the verification page says so).
    pub superseded: bool,
    /// A unit's certificate for a collective prize (giải tập thể), not a person's.
    pub collective: bool,
    /// A team's certificate for a prize of the in-person event (đội thi), naming its unit and
    /// its members.
    pub team: bool,
}

/// A person's row in one published ranking (`place` is `None` when they are not ranked in it).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OwnStanding {
    /// The round, or `None` for the overall ranking.
    pub round_id: Option<i64>,
    pub version: i64,
    /// The person's public id, as the published rows carry it.
    pub public_id: String,
    pub title: String,
    pub ranked: usize,
    pub place: Option<i64>,
    pub correct: Option<i64>,
    pub time_taken_ms: Option<i64>,
    pub prize: Option<String>,
}

/// A publication with its id and each winner's certificate serial, for the results page.
#[derive(Clone, Debug, Serialize)]
pub struct PublishedResults {
    pub ranking_id: i64,
    pub version: i64,
    pub view: RankingView,
    pub serials: Vec<String>,
}

/// The longest line of a certificate's detail (the renderer's limit).
const DETAIL_LINE: usize = 100;

/// A team's members on at most two detail lines of the certificate, the rest counted.
fn member_lines(members: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    for (i, m) in members.iter().enumerate() {
        let last = lines.len() - 1;
        let sep = if lines[last].is_empty() { if last == 0 { "Thành viên: " } else { "" } } else { ", " };
        let rest = members.len() - i - 1;
        let tail = if rest > 0 { format!(" và {rest} người khác") } else { String::new() };
        let candidate = format!("{}{sep}{m}", lines[last]);
        if candidate.chars().count() + tail.chars().count() <= DETAIL_LINE || lines[last].is_empty() {
            lines[last] = candidate;
        } else if lines.len() < 2 {
            lines.push(m.clone());
        } else {
            lines[last].push_str(&format!(" và {} người khác", members.len() - i));
            break;
        }
    }
    lines.retain(|l| !l.is_empty());
    lines.into_iter().map(|l| l.chars().take(DETAIL_LINE).collect()).collect()
}

/// A count as Vietnamese writes it (`1.234`).
fn thousands(n: u64) -> String {
    vntext::thousands(i64::try_from(n).unwrap_or(i64::MAX))
}

/// `Hà Giang, ngày 20 tháng 11 năm 2025` (the date in Vietnam).
fn place_and_date(place: &str, at: DateTime<Utc>) -> String {
    let d = vntime::local_date(at);
    let date = format!("ngày {:02} tháng {:02} năm {}", d.day(), d.month(), d.year());
    if place.trim().is_empty() { date.replacen('n', "N", 1) } else { format!("{}, {date}", place.trim()) }
}

impl Engine {
    pub(crate) fn serial(&self, ranking_id: i64, row: usize) -> String {
        let payload = format!("{ranking_id}-{}", row + 1);
        format!("{payload}-{}", self.signer.tag(&format!("certificate:{payload}"), TAG_LEN))
    }

    /// Every certificate of a publication, in the order of its prize list, then one for each
    /// unit awarded a collective prize the version carries. The units' certificates continue the
    /// rows' numbering, so their serials are made and checked exactly as the people's are.
    pub async fn certificates_of(&self, ranking_id: i64) -> Result<Vec<CertificateData>> {
        let (version, body) =
            self.store.published_by_id(ranking_id).await?.ok_or(EngineError::NotFound("kết quả đã công bố"))?;
        let (contest_id, round_id) = (version.contest_id, version.round_id);
        let c = self.contest_by_id(contest_id).await?;
        let view: RankingView = serde_json::from_str(&body).map_err(|e| EngineError::Internal(e.into()))?;
        let text = c.spec.settings.certificate.clone().unwrap_or_else(|| CertificateText {
            heading: format!("{}\nBAN TỔ CHỨC CUỘC THI", c.spec.organiser.to_uppercase()),
            place: String::new(),
            signatory_title: "TM. BAN TỔ CHỨC\nTRƯỞNG BAN".into(),
            signatory_name: String::new(),
        });
        let round = round_id.and_then(|id| c.stored.rounds.iter().find(|r| r.id == id)).map(|r| r.name.clone());
        let published_at = view.published_at.unwrap_or_else(|| self.now());
        let blank = CertificateData {
            serial: String::new(),
            verify_path: String::new(),
            heading: text.heading.clone(),
            contest_title: c.spec.title.clone(),
            recipient: String::new(),
            recipient_detail: Vec::new(),
            award: String::new(),
            round: None,
            place_and_date: place_and_date(&text.place, published_at),
            signatory_title: text.signatory_title.clone(),
            signatory_name: text.signatory_name.clone(),
            published_at,
            contest_slug: c.spec.slug.clone(),
            superseded: false,
            collective: false,
            team: false,
        };
        let people = view.rows.iter().map(|r| CertificateData {
            recipient: r.name.clone(),
            recipient_detail: [r.unit.clone(), r.locality.clone()].into_iter().flatten().collect(),
            award: r.prize.clone().unwrap_or_default(),
            round: round.clone(),
            ..blank.clone()
        });
        let units = view.collective.iter().flat_map(|p| {
            p.units.iter().filter_map(|u| {
                Some(CertificateData {
                    recipient: u.unit.clone(),
                    recipient_detail: vec![format!("Tập thể có {} người tham gia dự thi", thousands(u.participants))],
                    award: u.prize.clone()?,
                    round: Some(p.prize.clone()),
                    collective: true,
                    ..blank.clone()
                })
            })
        });
        let teams = view.event.iter().flat_map(|e| {
            e.teams.iter().filter_map(|t| {
                let mut detail = vec![t.unit.clone()];
                detail.extend(member_lines(&t.members));
                Some(CertificateData {
                    recipient: t.team.clone(),
                    recipient_detail: detail,
                    award: t.prize.clone()?,
                    round: Some(e.name.chars().take(40).collect()),
                    team: true,
                    ..blank.clone()
                })
            })
        });
        Ok(people
            .chain(units)
            .chain(teams)
            .enumerate()
            .map(|(i, one)| {
                let serial = self.serial(ranking_id, i);
                CertificateData { verify_path: format!("/chung-nhan/{serial}"), serial, ..one }
            })
            .collect())
    }
}

impl Engine {
    /// The in-person event's newest public results with each awarded team's certificate serial,
    /// for the public results page; `None` until published.
    pub async fn public_event_results(&self, slug: &str) -> Result<Option<PublishedResults>> {
        let c = self.contest_by_slug(slug).await?;
        let Some(p) = self.store.published_event(c.stored.contest.id).await? else { return Ok(None) };
        let mut view: RankingView = serde_json::from_str(&p.body).map_err(|e| EngineError::Internal(e.into()))?;
        view.version = Some(p.version);
        let awarded = view.event.as_ref().map_or(0, |e| e.teams.iter().filter(|t| t.prize.is_some()).count());
        let serials = (0..awarded).map(|i| self.serial(p.id, i)).collect();
        Ok(Some(PublishedResults { ranking_id: p.id, version: p.version, view, serials }))
    }

    /// The serials of a version's first `n` certificates (its people's, then its units' and
    /// teams'), for pages that link to each.
    pub fn serials_of(&self, ranking_id: i64, n: usize) -> Vec<String> {
        (0..n).map(|i| self.serial(ranking_id, i)).collect()
    }

    /// The certificate a serial names, as the public check page shows it: a team's certificate
    /// is superseded by a newer public version of the event's results (not of a ranking).
    pub async fn checked_certificate(&self, serial: &str) -> Result<CertificateData> {
        let mut one = self.certificate(serial).await?;
        if one.team {
            let id = serial.split('-').next().and_then(|x| x.parse::<i64>().ok()).unwrap_or_default();
            let c = self.contest_by_slug(&one.contest_slug).await?;
            let newest = self.store.published_event(c.stored.contest.id).await?;
            one.superseded = newest.is_some_and(|n| n.id != id);
        }
        Ok(one)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn members_fit_two_lines_and_the_rest_are_counted() {
        let few: Vec<String> = ["Nguyễn Văn An (đội trưởng)", "Trần Thị Bình"].iter().map(|s| s.to_string()).collect();
        assert_eq!(member_lines(&few), vec!["Thành viên: Nguyễn Văn An (đội trưởng), Trần Thị Bình".to_string()]);
        let many: Vec<String> = (0..30).map(|i| format!("Nguyễn Thị Thu Hằng {i}")).collect();
        let lines = member_lines(&many);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.chars().count() <= DETAIL_LINE), "{lines:?}");
        assert!(lines[1].contains("người khác"), "{lines:?}");
    }

    #[test]
    fn the_date_is_the_vietnamese_one() {
        // 20:00 UTC on 19/11 is already 20/11 in Vietnam.
        let at = Utc.with_ymd_and_hms(2025, 11, 19, 20, 0, 0).unwrap();
        assert_eq!(place_and_date("Hà Giang", at), "Hà Giang, ngày 20 tháng 11 năm 2025");
        assert_eq!(place_and_date("", at), "Ngày 20 tháng 11 năm 2025");
    }
}
