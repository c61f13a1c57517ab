//! Certificates as PDF for the public certificate page and the console's batch of a version:
//! the engine's certificate data with its verification address in full (the site's printed
//! address, see `http::printed_base`), rendered off the async threads. Uses nothing of the
//! crate's other rooms.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use cuocthi_engine::EngineError;
use cuocthi_engine::certificates::CertificateData;

/// The certificate for the renderer, with the verification address in full.
pub fn for_print(base: &str, c: &CertificateData) -> cuocthi_certificate::Certificate {
    cuocthi_certificate::Certificate {
        serial: c.serial.clone(),
        heading: c.heading.clone(),
        contest_title: c.contest_title.clone(),
        recipient: c.recipient.clone(),
        recipient_detail: c.recipient_detail.clone(),
        award: c.award.clone(),
        round: c.round.clone(),
        place_and_date: c.place_and_date.clone(),
        signatory_title: c.signatory_title.clone(),
        signatory_name: c.signatory_name.clone(),
        verify_url: format!("{base}{}", c.verify_path),
    }
}

/// Renders certificates off the async threads (a few ms of CPU each) into one PDF.
pub async fn render(certs: Vec<cuocthi_certificate::Certificate>) -> Result<Vec<u8>, EngineError> {
    tokio::task::spawn_blocking(move || cuocthi_certificate::render_many(&certs))
        .await
        .map_err(|e| EngineError::Internal(Box::new(e)))?
        // The data passed the engine's checks: a certificate that cannot be drawn is our fault.
        .map_err(|e| EngineError::Internal(Box::new(e)))
}

pub fn pdf_response(name: &str, body: Vec<u8>, cache: &'static str) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
