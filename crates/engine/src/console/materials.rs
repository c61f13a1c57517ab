//! A contest's files: study materials (tài liệu tham khảo, PDF or Word) that participants
//! download from the contest page, and its logo. Each upload is checked by its content, not its
//! name, and kept in the database so every app node serves the same files.

use cuocthi_domain::text;
use cuocthi_store::MaterialRow;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::access::{Action, Staff};
use crate::shared::lookup::in_contest;
use crate::{Engine, EngineError, Result};

/// Largest study material accepted.
pub const MAX_MATERIAL_BYTES: usize = 15 * 1024 * 1024;
/// Largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// A file as the contest page lists it.
#[derive(Clone, Debug, Serialize)]
pub struct MaterialView {
    pub id: i64,
    pub title: String,
    /// The name the download is saved under.
    pub file_name: String,
    pub content_type: String,
    /// "1,2 MB".
    pub size: String,
    pub format: &'static str,
}

/// What a file's first bytes say it is: (content type, extension, format name).
fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf", "PDF"))
    } else if crate::import::looks_like_docx(bytes) {
        Some(("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png", "PNG"))
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some(("image/jpeg", "jpg", "JPEG"))
    } else {
        None
    }
}

/// A download name from a title: marks folded, only letters, digits and dashes.
fn file_name(title: &str, ext: &str) -> String {
    let stem: String = text::fold(title).chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let stem: Vec<&str> = stem.split('-').filter(|p| !p.is_empty()).collect();
    let stem = if stem.is_empty() { "tai-lieu".to_string() } else { stem.join("-") };
    format!("{}.{ext}", stem.chars().take(80).collect::<String>())
}

fn size_text(bytes: i64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} KB", (bytes + 1023) / 1024)
    } else {
        format!("{},{} MB", bytes / (1024 * 1024), (bytes % (1024 * 1024)) * 10 / (1024 * 1024))
    }
}

fn view(m: &MaterialRow) -> MaterialView {
    MaterialView {
        id: m.id,
        title: m.title.clone(),
        file_name: m.file_name.clone(),
        content_type: m.content_type.clone(),
        size: size_text(m.size),
        format: sniff_format(&m.content_type),
    }
}

fn sniff_format(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "PDF",
        "image/png" => "PNG",
        "image/jpeg" => "JPEG",
        _ => "Word",
    }
}

impl Engine {
    /// Adds a study material (PDF or .docx) to a contest.
    pub async fn add_material(&self, by: &Staff, slug: &str, title: &str, bytes: &[u8]) -> Result<i64> {
        let c = self.contest_for(by, slug, Action::EditContest).await?;
        let title = text::clean(title);
        if title.is_empty() {
            return Err(EngineError::BadRequest("Hãy đặt tên cho tài liệu.".into()));
        }
        if bytes.len() > MAX_MATERIAL_BYTES {
            return Err(EngineError::BadRequest(format!("Tài liệu lớn hơn {} MB.", MAX_MATERIAL_BYTES / 1024 / 1024)));
        }
        let Some((content_type, ext, _)) = sniff(bytes).filter(|(_, ext, _)| matches!(*ext, "pdf" | "docx")) else {
            return Err(EngineError::BadRequest("Chỉ nhận tài liệu PDF hoặc Word (.docx).".into()));
        };
        self.store_file(by, c.stored.contest.id, "material", &title, &file_name(&title, ext), content_type, bytes).await
    }

    /// Sets the contest's logo (PNG or JPEG; SVG is refused, as it can carry script).
    pub async fn set_logo(&self, by: &Staff, slug: &str, bytes: &[u8]) -> Result<i64> {
        let c = self.contest_for(by, slug, Action::EditContest).await?;
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(EngineError::BadRequest(format!("Biểu trưng lớn hơn {} KB.", MAX_LOGO_BYTES / 1024)));
        }
        let Some((content_type, ext, _)) = sniff(bytes).filter(|(_, ext, _)| matches!(*ext, "png" | "jpg")) else {
            return Err(EngineError::BadRequest("Biểu trưng cần là ảnh PNG hoặc JPEG.".into()));
        };
        let name = format!("bieu-trung.{ext}");
        self.store_file(by, c.stored.contest.id, "logo", "Biểu trưng", &name, content_type, bytes).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn store_file(
        &self,
        by: &Staff,
        contest_id: i64,
        kind: &str,
        title: &str,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<i64> {
        let sha256: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
        let row = MaterialRow {
            id: 0,
            contest_id,
            kind: kind.into(),
            title: title.into(),
            file_name: name.into(),
            content_type: content_type.into(),
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            sha256: sha256.clone(),
            created_at: self.now().timestamp_millis(),
        };
        let id = self.store.insert_material(&row, bytes).await?;
        self.record(
            Some(by),
            &format!("{kind}.add"),
            Some(contest_id),
            &format!("file:{id}"),
            json!({"title": title, "file": name, "size": bytes.len(), "sha256": sha256}),
        )
        .await?;
        Ok(id)
    }

    pub async fn remove_material(&self, by: &Staff, slug: &str, id: i64) -> Result<()> {
        let c = self.contest_for(by, slug, Action::EditContest).await?;
        let contest_id = c.stored.contest.id;
        let owned = self.store.materials_of(contest_id).await?.into_iter().any(|m| m.id == id);
        if !owned {
            return Err(EngineError::NotFound("tài liệu"));
        }
        let gone = self.store.delete_material(id).await?.ok_or(EngineError::NotFound("tài liệu"))?;
        self.record(
            Some(by),
            &format!("{}.remove", gone.kind),
            Some(contest_id),
            &format!("file:{id}"),
            json!({"title": gone.title, "sha256": gone.sha256}),
        )
        .await
    }

    /// The study materials and the logo of a contest, for its public page.
    pub async fn materials(&self, slug: &str) -> Result<(Vec<MaterialView>, Option<MaterialView>)> {
        let c = self.contest_by_slug(slug).await?;
        let all = self.store.materials_of(c.stored.contest.id).await?;
        let logo = all.iter().find(|m| m.kind == "logo").map(view);
        Ok((all.iter().filter(|m| m.kind == "material").map(view).collect(), logo))
    }

    /// The contest's colour and the portals allowed to frame its pages.
    pub async fn branding(&self, slug: &str) -> Result<(Option<String>, Vec<String>)> {
        let c = self.contest_by_slug(slug).await?;
        Ok((c.spec.settings.accent_colour.clone(), c.spec.settings.portal_origins.clone()))
    }

    /// A contest's file for download: (name, content type, bytes).
    pub async fn material_file(&self, slug: &str, id: i64) -> Result<(String, String, Vec<u8>)> {
        let c = self.contest_by_slug(slug).await?;
        let found = self.store.material_body(id).await?;
        let (m, body) = in_contest(found, c.stored.contest.id, |(m, _)| m.contest_id, "tài liệu")?;
        Ok((m.file_name, m.content_type, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_content() {
        assert_eq!(sniff(b"%PDF-1.7 ...").map(|s| s.1), Some("pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....").map(|s| s.1), Some("png"));
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b"MZ\x90\x00"), None);
    }

    #[test]
    fn download_names_are_plain() {
        assert_eq!(file_name("Tài liệu: Luật An ninh mạng 2018", "pdf"), "tai-lieu-luat-an-ninh-mang-2018.pdf");
        assert_eq!(file_name("***", "docx"), "tai-lieu.docx");
        assert_eq!(size_text(1536), "2 KB");
        assert_eq!(size_text(3 * 1024 * 1024 + 300 * 1024), "3,2 MB");
    }
}
