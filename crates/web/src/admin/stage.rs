//! The stage's control page (điều khiển sân khấu) for the MC, the secretariat and the organisers:
//! the teams in their order on stage, a button for each step (a team on stage, its lot, the next
//! question with its countdown, the answer marked right or wrong, the reveal, the scoreboard and
//! its freeze), the question on stage with its key (shown here only), and the knowledge round's
//! question sets. Each step is a plain form posted to the server, which answers with the page
//! again (303), so a reload never takes a step twice; the hall's screen follows by itself.

use askama::Template;
use askama_web::WebTemplate;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::Staff;
use cuocthi_engine::console::stage::{Answering, Control, StageControl};
use serde::Deserialize;

use super::{Console, Frame, after_action, at};
use crate::AppState;
use crate::http::{Form, PageResult, see_other};

#[derive(Template, WebTemplate)]
#[template(path = "admin/stage.html")]
struct StagePage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    title: String,
    c: StageControl,
    /// The team on stage's name.
    on_stage: String,
    /// The team on stage's part's name.
    part_name: String,
    /// When the stage last changed, Vietnam time.
    changed: String,
    /// The answer to the question on stage, as the control page says it.
    answer: Option<String>,
}

impl StagePage {
    fn letter(&self, i: &usize) -> String {
        ["A", "B", "C", "D", "E", "F"].get(*i).map_or_else(|| (i + 1).to_string(), |l| (*l).to_string())
    }
}

async fn page(s: &AppState, staff: &Staff, slug: &str, error: Option<String>, notice: Option<String>) -> PageResult {
    let c = s.engine.stage_control(staff, slug).await?;
    let on_stage = c.stage.team_id.and_then(|id| c.teams.iter().find(|t| t.id == id)).map(|t| t.name.clone());
    let part_name =
        c.stage.part_key.as_deref().and_then(|k| c.parts.iter().find(|p| p.key == k)).map(|p| p.name.clone());
    let answer = c.question.as_ref().and_then(|q| q.answer.as_ref()).map(|a| {
        let how =
            if a.source == "tablet" { "máy tính bảng của đội" } else { "người dẫn chương trình ghi" };
        let verdict = if a.correct != 0 { "đúng" } else { "sai" };
        let chosen = a
            .chosen
            .and_then(|i| usize::try_from(i).ok())
            .map(|i| ["A", "B", "C", "D", "E", "F"].get(i).map_or_else(|| (i + 1).to_string(), |l| (*l).to_string()));
        match chosen {
            Some(l) => format!("Đội chọn {l} ({how}): {verdict}."),
            None => format!("Trả lời {verdict} ({how})."),
        }
    });
    let title = c.screen.contest.clone();
    let changed = if c.stage.updated_at > 0 { at(c.stage.updated_at) } else { String::new() };
    Ok(after_action(
        error.is_some(),
        StagePage {
            frame: Some(Frame::of(staff)),
            notice,
            error,
            slug: slug.to_string(),
            title,
            on_stage: on_stage.unwrap_or_default(),
            part_name: part_name.unwrap_or_default(),
            changed,
            answer,
            c,
        },
    ))
}

/// `GET /admin/cuoc-thi/{slug}/san-khau`
pub(super) async fn control(Console { s, staff, path: slug }: Console) -> PageResult {
    page(&s, &staff, &slug, None, None).await
}

/// A step of the control page: `buoc` says which; `doi` and `phan` name the team and part put
/// on stage.
#[derive(Deserialize)]
pub(super) struct StepForm {
    #[serde(default)]
    buoc: String,
    #[serde(default)]
    doi: Option<String>,
    #[serde(default)]
    phan: Option<String>,
}

fn step_of(f: &StepForm) -> Result<Control, EngineError> {
    let bad = || EngineError::BadRequest("Bước điều khiển không hợp lệ; hãy tải lại trang.".into());
    Ok(match f.buoc.as_str() {
        "cho" => Control::Idle,
        "len-san-khau" => {
            let team = f.doi.as_deref().and_then(|d| d.trim().parse::<i64>().ok());
            let team = team.ok_or_else(|| EngineError::BadRequest("Hãy chọn đội thi.".into()))?;
            let part = f.phan.clone().filter(|p| !p.is_empty());
            let part = part.ok_or_else(|| EngineError::BadRequest("Hãy chọn phần thi.".into()))?;
            Control::Team { team_id: team, part_key: part }
        }
        "boc-tham" => Control::Lot,
        "cau-tiep" => Control::NextQuestion,
        "dung" => Control::Mark { correct: true },
        "sai" => Control::Mark { correct: false },
        "dap-an" => Control::Reveal,
        "bang-diem" => Control::Scoreboard,
        "dong-bang" => Control::Freeze(true),
        "mo-bang" => Control::Freeze(false),
        "mc" => Control::Answering(Answering::Mc),
        "may-tinh-bang" => Control::Answering(Answering::Tablet),
        _ => return Err(bad()),
    })
}

/// `POST /admin/cuoc-thi/{slug}/san-khau`: takes one step, then shows the page again.
pub(super) async fn step(Console { s, staff, path: slug }: Console, Form(f): Form<StepForm>) -> PageResult {
    // The role first: a refusal must not depend on the form.
    s.engine.stage_control(&staff, &slug).await?;
    let done = match step_of(&f) {
        Ok(step) => s.engine.control_stage(&staff, &slug, step).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}/san-khau"))),
        Err(EngineError::BadRequest(m) | EngineError::Conflict(m)) => page(&s, &staff, &slug, Some(m), None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct SetsForm {
    #[serde(default)]
    phan: String,
    /// How many sets; empty: one per team.
    #[serde(default)]
    so_bo: String,
}

/// `POST /admin/cuoc-thi/{slug}/san-khau/bo-cau-hoi`: makes a knowledge part's question sets.
pub(super) async fn prepare_sets(Console { s, staff, path: slug }: Console, Form(f): Form<SetsForm>) -> PageResult {
    let sets = match f.so_bo.trim() {
        "" => Ok(None),
        n => n.parse::<u32>().map(Some).map_err(|_| EngineError::BadRequest("Số bộ câu hỏi phải là một số.".into())),
    };
    let done = match sets {
        Ok(sets) => s.engine.prepare_question_sets(&staff, &slug, &f.phan, sets).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(made) => {
            let repeats = if made.repeats {
                " Ngân hàng không đủ câu hỏi để các bộ không trùng nhau: một số câu có ở hai bộ."
            } else {
                ""
            };
            let notice = format!(
                "Đã tạo {} bộ câu hỏi, mỗi bộ {} câu (mã ngẫu nhiên {} đã ghi vào nhật ký).{repeats}",
                made.sets, made.per_set, made.seed
            );
            page(&s, &staff, &slug, None, Some(notice)).await
        }
        Err(EngineError::BadRequest(m) | EngineError::Conflict(m)) => page(&s, &staff, &slug, Some(m), None).await,
        Err(e) => Err(e.into()),
    }
}
