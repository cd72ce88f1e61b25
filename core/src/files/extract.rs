//! Text for the prompt, within bounds: plain text as it is (CRLF made LF), a Word document's
//! paragraphs, a PDF's text. A DOCX is read through a cap on what it may inflate to, so a
//! decompression bomb costs at most that much; PDFs are read in a child process (`pdf`).

use super::sniff::{self, FileKind, Sniffed};
use sha2::{Digest, Sha256};
use std::io::Read;

/// Extracted text: the first `max_chars` characters, and how many there were in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub text: String,
    pub truncated: bool,
    pub total_chars: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("inflates to more than {0} bytes (a decompression bomb?)")]
    Bomb(u64),
    #[error("could not be read: {0}")]
    Malformed(String),
    #[error("is an encrypted PDF; remove the password and upload it again")]
    Encrypted,
    #[error("has more than {0} pages")]
    TooManyPages(usize),
}

/// How much extraction may take.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Characters of text kept.
    pub max_chars: usize,
    /// Bytes a compressed part (a DOCX entry, a PDF stream) may inflate to.
    pub max_inflated_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_chars: 1_000_000, max_inflated_bytes: 64 * 1024 * 1024 }
    }
}

/// The most pages of a PDF that are read.
pub const MAX_PDF_PAGES: usize = 2000;

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The text of a file for the prompt; `None` for images.
pub fn extract(bytes: &[u8], sniffed: &Sniffed, limits: &Limits) -> Result<Option<Extracted>, ExtractError> {
    match sniffed.kind {
        FileKind::Image => Ok(None),
        FileKind::Text => {
            let text = sniff::decode_text(bytes).ok_or_else(|| ExtractError::Malformed("not text".into()))?;
            Ok(Some(cut(text.replace("\r\n", "\n"), limits.max_chars)))
        }
        FileKind::Document if sniffed.media_type == sniff::DOCX => docx_text(bytes, limits).map(Some),
        FileKind::Document => extract_pdf_text(bytes, limits.max_chars).map(Some),
    }
}

fn cut(text: String, max_chars: usize) -> Extracted {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => {
            let total_chars = text.chars().count();
            let mut text = text;
            text.truncate(at);
            Extracted { text, truncated: true, total_chars }
        }
        None => Extracted { total_chars: text.chars().count(), text, truncated: false },
    }
}

/// The paragraphs of `word/document.xml`, one per line (tabs and breaks kept).
fn docx_text(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| ExtractError::Malformed(format!("not a valid DOCX ({e})")))?;
    if archive.len() > sniff::MAX_ZIP_ENTRIES {
        return Err(ExtractError::Malformed("too many entries".into()));
    }
    let entry = archive
        .by_name("word/document.xml")
        .map_err(|e| ExtractError::Malformed(format!("no document in the DOCX ({e})")))?;
    let cap = limits.max_inflated_bytes;
    if entry.size() > cap {
        return Err(ExtractError::Bomb(cap));
    }
    // The header may lie about the size: never inflate more than the cap, whatever it says.
    let mut xml = Vec::new();
    entry
        .take(cap + 1)
        .read_to_end(&mut xml)
        .map_err(|e| ExtractError::Malformed(format!("the DOCX is damaged ({e})")))?;
    if xml.len() as u64 > cap {
        return Err(ExtractError::Bomb(cap));
    }
    let text = docx_xml_text(&xml)?;
    Ok(cut(text, limits.max_chars))
}

fn docx_xml_text(xml: &[u8]) -> Result<String, ExtractError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = String::new();
    let mut in_text = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == b"w:t" => in_text = true,
            Ok(Event::End(e)) => match e.name().as_ref() {
                b"w:t" => in_text = false,
                b"w:p" => out.push('\n'),
                _ => {}
            },
            Ok(Event::Empty(e)) => match e.name().as_ref() {
                b"w:tab" => out.push('\t'),
                b"w:br" | b"w:cr" => out.push('\n'),
                b"w:p" => out.push('\n'),
                _ => {}
            },
            Ok(Event::Text(t)) if in_text => {
                let text = t.unescape().map_err(|e| ExtractError::Malformed(format!("bad text in the DOCX ({e})")))?;
                out.push_str(&text);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(ExtractError::Malformed(format!("the DOCX's XML is malformed ({e})"))),
        }
        buf.clear();
    }
    Ok(out.trim_end().to_string())
}

/// A PDF's text, page by page. Confab runs this in a child process with capped memory and time
/// (`files::pdf`): a hostile PDF can only take that process down.
pub fn extract_pdf_text(bytes: &[u8], max_chars: usize) -> Result<Extracted, ExtractError> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| {
        if matches!(e, lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword) {
            ExtractError::Encrypted
        } else {
            ExtractError::Malformed(format!("not a valid PDF ({e})"))
        }
    })?;
    if doc.is_encrypted() {
        return Err(ExtractError::Encrypted);
    }
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    if pages.len() > MAX_PDF_PAGES {
        return Err(ExtractError::TooManyPages(MAX_PDF_PAGES));
    }
    let limit = Limits::default().max_inflated_bytes as usize;
    let mut out = String::new();
    for page in pages {
        let text = doc.extract_text_with_limit(&[page], limit).unwrap_or_default();
        out.push_str(text.trim_end());
        out.push('\n');
        if out.len() > max_chars.saturating_mul(4) {
            break;
        }
    }
    Ok(cut(out.trim_end().to_string(), max_chars))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    fn docx(body: &str, filler: usize) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("[Content_Types].xml", opts).unwrap();
        zip.write_all(b"<Types/>").unwrap();
        zip.start_file("word/document.xml", opts).unwrap();
        zip.write_all(format!(r#"<w:document xmlns:w="x"><w:body>{body}"#).as_bytes()).unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..filler {
            zip.write_all(&chunk).unwrap();
        }
        zip.write_all(b"</w:body></w:document>").unwrap();
        zip.finish().unwrap().into_inner()
    }

    fn sniffed(bytes: &[u8], name: &str) -> Sniffed {
        sniff::sniff(bytes, name).unwrap()
    }

    #[test]
    fn word_documents_give_their_paragraphs() {
        let d = docx(
            "<w:p><w:r><w:t>Hello</w:t><w:tab/><w:t>Confab &amp; co</w:t></w:r></w:p><w:p><w:r><w:t>Bye</w:t></w:r></w:p>",
            0,
        );
        let s = sniffed(&d, "memo.docx");
        assert_eq!(s.media_type, sniff::DOCX);
        let e = extract(&d, &s, &Limits::default()).unwrap().unwrap();
        assert_eq!(e.text, "Hello\tConfab & co\nBye");
    }

    #[test]
    fn a_zip_bomb_stops_at_the_cap() {
        let d = docx("<w:p><w:r><w:t>x</w:t></w:r></w:p>", 80);
        assert!(d.len() < 1 << 20, "{}", d.len());
        let s = sniffed(&d, "bomb.docx");
        let limits = Limits { max_inflated_bytes: 8 << 20, ..Default::default() };
        assert_eq!(extract(&d, &s, &limits), Err(ExtractError::Bomb(8 << 20)));
    }

    #[test]
    fn text_is_cut_honestly() {
        let s = sniffed(b"abc", "a.txt");
        let e =
            extract("héllo\r\nwörld".as_bytes(), &s, &Limits { max_chars: 7, ..Default::default() }).unwrap().unwrap();
        assert_eq!(e, Extracted { text: "héllo\nw".into(), truncated: true, total_chars: 11 });
        let e = extract(b"ok", &s, &Limits::default()).unwrap().unwrap();
        assert_eq!(e, Extracted { text: "ok".into(), truncated: false, total_chars: 2 });
        assert_eq!(
            extract(
                b"\x89PNG",
                &Sniffed { media_type: "image/png", kind: FileKind::Image, image: None },
                &Limits::default()
            ),
            Ok(None)
        );
    }

    #[test]
    fn damaged_pdfs_are_refused_not_panicked_on() {
        assert!(matches!(extract_pdf_text(b"%PDF-1.4\ngarbage", 100), Err(ExtractError::Malformed(_))));
        assert!(matches!(
            extract_pdf_text(b"%PDF-1.4\n1 0 obj << /Type /Catalog", 100),
            Err(ExtractError::Malformed(_))
        ));
    }
}
