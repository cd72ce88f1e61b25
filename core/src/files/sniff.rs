//! What an upload really is. The content decides: the name only tells Markdown or CSV from
//! other text, and the client's `Content-Type` is never read. Images are measured from their
//! headers alone (no pixel is decoded), so a 20,000 × 20,000 picture is refused at once.

/// The largest side of an image Confab takes, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 8000;
/// The most pixels of an image Confab takes (a 7680 × 4320 picture).
pub const MAX_IMAGE_PIXELS: u64 = 33_177_600;
/// The most entries a ZIP-based document may have.
pub const MAX_ZIP_ENTRIES: usize = 10_000;

pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const PDF: &str = "application/pdf";

/// What a file is to the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Text,
    Image,
    Document,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    pub media_type: &'static str,
    pub kind: FileKind,
    pub image: Option<ImageInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SniffError {
    #[error("is empty")]
    Empty,
    #[error("is not a kind of file that can be attached")]
    Unsupported,
    #[error(
        "is an image of {width} × {height} pixels; images may be at most {MAX_IMAGE_SIDE} pixels a side and \
         {MAX_IMAGE_PIXELS} pixels in all"
    )]
    ImageTooLarge { width: u32, height: u32 },
    #[error("is an image whose header is damaged")]
    MalformedImage,
    #[error("is a ZIP archive with more than {MAX_ZIP_ENTRIES} entries")]
    TooManyEntries,
}

/// What `bytes` (uploaded as `name`) are.
pub fn sniff(bytes: &[u8], name: &str) -> Result<Sniffed, SniffError> {
    if bytes.is_empty() {
        return Err(SniffError::Empty);
    }
    let image = |media_type, info: Result<ImageInfo, SniffError>| -> Result<Sniffed, SniffError> {
        let info = info?;
        if info.width == 0 || info.height == 0 {
            return Err(SniffError::MalformedImage);
        }
        if info.width > MAX_IMAGE_SIDE
            || info.height > MAX_IMAGE_SIDE
            || u64::from(info.width) * u64::from(info.height) > MAX_IMAGE_PIXELS
        {
            return Err(SniffError::ImageTooLarge { width: info.width, height: info.height });
        }
        Ok(Sniffed { media_type, kind: FileKind::Image, image: Some(info) })
    };
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return image("image/png", png_size(bytes));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return image("image/jpeg", jpeg_size(bytes));
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return image("image/gif", gif_size(bytes));
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return image("image/webp", webp_size(bytes));
    }
    let head = &bytes[..bytes.len().min(1024 + 5)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Ok(Sniffed { media_type: PDF, kind: FileKind::Document, image: None });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return if is_docx(bytes)? {
            Ok(Sniffed { media_type: DOCX, kind: FileKind::Document, image: None })
        } else {
            Err(SniffError::Unsupported)
        };
    }
    if decode_text(bytes).is_some() {
        return Ok(Sniffed { media_type: text_type(name), kind: FileKind::Text, image: None });
    }
    Err(SniffError::Unsupported)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]]))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 3).map(|s| u32::from_le_bytes([s[0], s[1], s[2], 0]))
}

fn png_size(b: &[u8]) -> Result<ImageInfo, SniffError> {
    // Signature (8), IHDR length (4) and type (4), then width and height.
    if b.get(12..16) != Some(b"IHDR") {
        return Err(SniffError::MalformedImage);
    }
    match (be32(b, 16), be32(b, 20)) {
        (Some(width), Some(height)) => Ok(ImageInfo { width, height }),
        _ => Err(SniffError::MalformedImage),
    }
}

fn jpeg_size(b: &[u8]) -> Result<ImageInfo, SniffError> {
    let mut at = 2;
    while at + 4 <= b.len() {
        if b[at] != 0xFF {
            return Err(SniffError::MalformedImage);
        }
        let marker = b[at + 1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            at += 2;
            continue;
        }
        let len = be16(b, at + 2).ok_or(SniffError::MalformedImage)? as usize;
        let is_sof = (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let height = be16(b, at + 5).ok_or(SniffError::MalformedImage)?;
            let width = be16(b, at + 7).ok_or(SniffError::MalformedImage)?;
            return Ok(ImageInfo { width: u32::from(width), height: u32::from(height) });
        }
        if len < 2 || marker == 0xD9 || marker == 0xDA {
            break; // end of image, or the scan began without a frame header
        }
        at += 2 + len;
    }
    Err(SniffError::MalformedImage)
}

fn gif_size(b: &[u8]) -> Result<ImageInfo, SniffError> {
    match (le16(b, 6), le16(b, 8)) {
        (Some(w), Some(h)) => Ok(ImageInfo { width: u32::from(w), height: u32::from(h) }),
        _ => Err(SniffError::MalformedImage),
    }
}

fn webp_size(b: &[u8]) -> Result<ImageInfo, SniffError> {
    let bad = SniffError::MalformedImage;
    match b.get(12..16) {
        Some(b"VP8 ") => {
            // Frame tag (3) and start code (3) after the chunk header, then 14-bit sizes.
            if b.get(23..26) != Some(&[0x9D, 0x01, 0x2A]) {
                return Err(bad);
            }
            let w = le16(b, 26).ok_or(bad.clone())? & 0x3FFF;
            let h = le16(b, 28).ok_or(bad)? & 0x3FFF;
            Ok(ImageInfo { width: u32::from(w), height: u32::from(h) })
        }
        Some(b"VP8L") => {
            if b.get(20) != Some(&0x2F) {
                return Err(bad);
            }
            let bits = b.get(21..25).ok_or(bad)?;
            let v = u32::from_le_bytes([bits[0], bits[1], bits[2], bits[3]]);
            Ok(ImageInfo { width: (v & 0x3FFF) + 1, height: ((v >> 14) & 0x3FFF) + 1 })
        }
        Some(b"VP8X") => {
            let w = le24(b, 24).ok_or(bad.clone())? + 1;
            let h = le24(b, 27).ok_or(bad)? + 1;
            Ok(ImageInfo { width: w, height: h })
        }
        _ => Err(bad),
    }
}

fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// At most how many entries a ZIP's central directory can list: each record starts with its own
/// `PK\x01\x02` signature. Counted before the directory is read (and allocated for).
fn zip_entries_at_most(bytes: &[u8]) -> usize {
    bytes.windows(4).filter(|w| *w == b"PK\x01\x02").count()
}

/// Whether a ZIP archive is a Word document (it has `word/document.xml`). Only the central
/// directory is read.
fn is_docx(bytes: &[u8]) -> Result<bool, SniffError> {
    if zip_entries_at_most(bytes) > MAX_ZIP_ENTRIES {
        return Err(SniffError::TooManyEntries);
    }
    let Ok(archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else { return Ok(false) };
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(SniffError::TooManyEntries);
    }
    Ok(archive.file_names().any(|n| n == "word/document.xml"))
}

/// The text of `bytes`: UTF-8 (a BOM dropped) or UTF-16 with a BOM, without NUL characters.
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    let text = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        std::str::from_utf8(rest).ok()?.to_string()
    } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, u16::from_be_bytes)?
    } else {
        std::str::from_utf8(bytes).ok()?.to_string()
    };
    (!text.contains('\0')).then_some(text)
}

fn utf16(bytes: &[u8], word: fn([u8; 2]) -> u16) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes.chunks_exact(2).map(|c| word([c[0], c[1]]));
    char::decode_utf16(units).collect::<Result<String, _>>().ok()
}

/// The media type of a text file by its extension. HTML (or anything else a browser would run)
/// is plain text here: an upload is never served as a page.
fn text_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "md" | "markdown" => "text/markdown",
        "csv" => "text/csv",
        "json" => "application/json",
        _ => "text/plain",
    }
}

/// A name safe to show and to offer as a download: the last part of any path, without control
/// characters or leading dots, at most 200 bytes (keeping the extension); `file` when nothing is
/// left.
pub fn safe_name(name: &str) -> String {
    // Invisible characters go first: a right-to-left override can make `exe.txt` look like
    // `txt.exe`. Then the path, and characters file systems refuse.
    let visible: String = name.chars().filter(|c| !is_invisible(*c)).collect();
    let last = visible.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String =
        last.chars().map(|c| if matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*') { '_' } else { c }).collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        return "file".into();
    }
    const MAX: usize = 200;
    if trimmed.len() <= MAX {
        return trimmed.to_string();
    }
    let ext = trimmed.rsplit_once('.').map(|(_, e)| e).filter(|e| e.len() <= 16).unwrap_or("");
    let keep = MAX - if ext.is_empty() { 0 } else { ext.len() + 1 };
    let mut end = keep;
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    if ext.is_empty() { trimmed[..end].to_string() } else { format!("{}.{ext}", &trimmed[..end]) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        b.extend(w.to_be_bytes());
        b.extend(h.to_be_bytes());
        b.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    #[test]
    fn images_are_measured_from_their_headers() {
        assert_eq!(sniff(&png(640, 480), "x.txt").unwrap().image, Some(ImageInfo { width: 640, height: 480 }));
        let started = std::time::Instant::now();
        assert_eq!(
            sniff(&png(20_000, 20_000), "a.png"),
            Err(SniffError::ImageTooLarge { width: 20_000, height: 20_000 })
        );
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
        assert_eq!(sniff(&png(8000, 4148), "a.png"), Err(SniffError::ImageTooLarge { width: 8000, height: 4148 }));
        assert_eq!(sniff(&png(0, 10), "a.png"), Err(SniffError::MalformedImage));
        assert_eq!(sniff(&png(10, 10)[..18], "a.png"), Err(SniffError::MalformedImage));
        // JPEG: APP0, then SOF0 with height 300 and width 400.
        let jpeg = [
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00][..],
            &[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0x2C, 0x01, 0x90, 0x03][..],
        ]
        .concat();
        let s = sniff(&jpeg, "p.jpg").unwrap();
        assert_eq!((s.media_type, s.image), ("image/jpeg", Some(ImageInfo { width: 400, height: 300 })));
        let gif = [b"GIF89a".as_slice(), &[0x20, 0x00, 0x10, 0x00, 0, 0, 0]].concat();
        assert_eq!(sniff(&gif, "g").unwrap().image, Some(ImageInfo { width: 32, height: 16 }));
        let mut webp = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00".to_vec();
        webp.extend([0x3F, 0x01, 0x00, 0xEF, 0x00, 0x00]);
        assert_eq!(sniff(&webp, "w").unwrap().image, Some(ImageInfo { width: 320, height: 240 }));
    }

    #[test]
    fn text_is_text_whatever_it_is_called_and_html_is_never_html() {
        let html = b"<!doctype html><html><script>alert(1)</script></html>";
        assert_eq!(sniff(html, "notes.txt").unwrap().media_type, "text/plain");
        assert_eq!(sniff(html, "page.html").unwrap().media_type, "text/plain");
        assert_eq!(sniff(b"a,b\n1,2", "t.CSV").unwrap().media_type, "text/csv");
        assert_eq!(sniff(b"# T", "r.md").unwrap().media_type, "text/markdown");
        assert_eq!(sniff(b"{}", "c.json").unwrap().media_type, "application/json");
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("héllo".encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
        assert_eq!(sniff(&utf16, "u.txt").unwrap().kind, FileKind::Text);
        assert_eq!(decode_text(&utf16).unwrap(), "héllo");
        assert_eq!(sniff(&[0, 1, 2, 255], "x.txt"), Err(SniffError::Unsupported));
        assert_eq!(sniff(b"a\0b", "x.txt"), Err(SniffError::Unsupported));
        assert_eq!(sniff(b"", "x.txt"), Err(SniffError::Empty));
        assert_eq!(sniff(b"%PDF-1.7\n", "x.txt").unwrap().media_type, PDF);
    }

    #[test]
    fn names_lose_their_paths_and_control_characters() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(safe_name("a\u{0}b.txt"), "ab.txt");
        assert_eq!(safe_name("..."), "file");
        assert_eq!(safe_name(" .hidden "), "hidden");
        assert_eq!(safe_name("C:\\Users\\me\\Report Q3.pdf"), "Report Q3.pdf");
        assert_eq!(safe_name("invoice\u{202E}fdp.exe"), "invoicefdp.exe", "no right-to-left override");
        assert_eq!(safe_name("a<b>:c?.txt"), "a_b__c_.txt");
        let long = format!("{}.pdf", "é".repeat(300));
        let safe = safe_name(&long);
        assert!(safe.len() <= 200 && safe.ends_with(".pdf"), "{safe}");
    }
}
