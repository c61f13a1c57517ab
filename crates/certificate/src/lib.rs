//! Certificates (giấy chứng nhận) as PDF.
