//! Document formats: detection and text extraction (PDF through lopdf, DOCX
//! through zip + quick-xml, plain text with encoding sniffing).

//!
//! Every cost an upload can multiply is bounded by one of the `MAX_*`
//! constants below (decompressed bytes per part or stream and in total,
//! number of parts and streams, XML nesting, pages); a document past a bound
//! gets [`ParseError::TooLarge`] as soon as the bound is reached, before the
//! rest is inflated. With the defaults, rejecting a bomb costs at most a few
//! tens of MiB of inflation.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::content::Content;
use lopdf::{DecompressError, Dictionary, Document, Encoding, Object};
use quick_xml::Reader;
use quick_xml::events::Event;

use super::{ParseError, ParseOptions};

/// Entries a DOCX container may hold: 1,000. Word writes about 15 parts plus
/// one per image; more than a thousand is not a resume, and the zip reader
/// indexes every entry before anything is read.
pub const MAX_DOCX_ENTRIES: usize = 1_000;

/// Parts read from a DOCX (the body and each header and footer): 64. Word
/// writes at most three headers and three footers per section, and a resume
/// has one or two sections.
pub const MAX_DOCX_PARTS: usize = 64;

/// Decompressed size of one DOCX part: 16 MiB. A resume's
/// `word/document.xml` is 10–200 KB of XML, a 100-page report a few MB; the
/// bound is checked against the declared size first and enforced while
/// inflating, so a part that lies about its size is stopped at 16 MiB.
pub const MAX_DOCX_PART_BYTES: u64 = 16 * 1024 * 1024;

/// Decompressed size of all DOCX parts read together: 32 MiB, so that many
/// parts just under [`MAX_DOCX_PART_BYTES`] cannot add up.
pub const MAX_DOCX_TOTAL_BYTES: u64 = 32 * 1024 * 1024;

/// Nesting depth of DOCX XML elements: 256. WordprocessingML nests tables in
/// cells and text boxes in drawings, which real documents keep under 40
/// levels; deeper nesting is built to exhaust the parser.
pub const MAX_XML_DEPTH: usize = 256;

/// Decompressed size of one PDF stream: 4 MiB (a page's content streams
/// together, a form, a font's `/ToUnicode` map, and each object or
/// cross-reference stream decoded while loading). A resume page's content is
/// 5–100 KB.
pub const MAX_PDF_STREAM_BYTES: usize = 4 * 1024 * 1024;

/// Decompressed size of all streams decoded while reading a PDF's text: 16
/// MiB across pages, forms (each time one is drawn) and font maps.
pub const MAX_PDF_TOTAL_BYTES: usize = 16 * 1024 * 1024;

/// Object and cross-reference streams a PDF may declare: 16. The PDF loader
/// inflates each of them (up to [`MAX_PDF_STREAM_BYTES`]) before any text is
/// read, so their number bounds the cost of loading; a resume has one to
/// five.
pub const MAX_PDF_INDEX_STREAMS: usize = 16;

/// Pages of a PDF that are read: 40. A resume is a few pages; the text of
/// later pages is not read, which keeps a long upload's cost bounded.
pub const MAX_PDF_PAGES: usize = 40;

/// Form XObjects drawn inside one another: 4. Real documents need two or
/// three levels, and the bound stops reference cycles.
pub const MAX_PDF_FORM_DEPTH: u8 = 4;

/// XML events between two looks at the clock when a deadline is given.
const EVENTS_PER_CLOCK_CHECK: usize = 4096;

/// A document format this crate can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentFormat {
    /// Plain text (UTF-8, UTF-16 with a byte-order mark, or Windows-1252).
    PlainText,
    /// PDF with a text layer.
    Pdf,
    /// Office Open XML word-processing document.
    Docx,
}

impl DocumentFormat {
    /// Stable lowercase name: `"plain_text"`, `"pdf"`, `"docx"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DocumentFormat::PlainText => "plain_text",
            DocumentFormat::Pdf => "pdf",
            DocumentFormat::Docx => "docx",
        }
    }

    /// The usual media type of the format.
    pub fn media_type(&self) -> &'static str {
        match self {
            DocumentFormat::PlainText => "text/plain",
            DocumentFormat::Pdf => "application/pdf",
            DocumentFormat::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        }
    }

    /// Works out the format of an uploaded document. The bytes decide first
    /// (`%PDF`, a zip holding `word/document.xml`, known binary signatures
    /// such as PNG or legacy `.doc`, text). The declared content type (else
    /// the file name's extension) only decides what bytes without a known
    /// signature are: declared PDF/DOCX means a damaged file
    /// ([`ParseError::Unreadable`]); declared as some other type (an image, a
    /// spreadsheet) means [`ParseError::Unsupported`]; text declared as text,
    /// or not declared at all, is plain text.
    pub fn detect(
        bytes: &[u8],
        filename: Option<&str>,
        content_type: Option<&str>,
    ) -> Result<DocumentFormat, ParseError> {
        if bytes.is_empty() {
            return Err(ParseError::Empty);
        }
        if has_pdf_header(bytes) {
            return Ok(DocumentFormat::Pdf);
        }
        if bytes.starts_with(b"PK\x03\x04") {
            return match zip::ZipArchive::new(Cursor::new(bytes)) {
                Ok(archive) if archive.index_for_name("word/document.xml").is_some() => {
                    Ok(DocumentFormat::Docx)
                }
                Ok(_) => Err(ParseError::Unsupported {
                    what: "zip archive that is not a DOCX document".into(),
                }),
                Err(e) => Err(ParseError::Unreadable {
                    reason: format!("damaged zip/DOCX container: {e}"),
                }),
            };
        }
        if let Some(what) = known_binary(bytes) {
            return Err(ParseError::Unsupported { what: what.into() });
        }
        let declared = declared_format(filename, content_type);
        if decode_text(bytes).is_some() {
            return match declared {
                // Text in a file that claims to be a PDF/DOCX is a damaged upload.
                Some(Declared::Pdf) => Err(ParseError::Unreadable {
                    reason: "declared as PDF but has no PDF header".into(),
                }),
                Some(Declared::Docx) => Err(ParseError::Unreadable {
                    reason: "declared as DOCX but is not a zip container".into(),
                }),
                Some(Declared::Other(what)) => Err(ParseError::Unsupported { what }),
                Some(Declared::Text) | None => Ok(DocumentFormat::PlainText),
            };
        }
        match declared {
            Some(Declared::Pdf) => Err(ParseError::Unreadable {
                reason: "declared as PDF but has no PDF header".into(),
            }),
            Some(Declared::Docx) => Err(ParseError::Unreadable {
                reason: "declared as DOCX but is not a zip container".into(),
            }),
            Some(Declared::Other(what)) => Err(ParseError::Unsupported { what }),
            Some(Declared::Text) | None => Err(ParseError::Unsupported {
                what: "binary data that is not a PDF, DOCX or text document".into(),
            }),
        }
    }
}

/// The PDF header may follow a little junk (PDF 32000-1 §7.5.2 readers accept
/// it within the first kilobyte).
fn has_pdf_header(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    head.windows(5).any(|w| w == b"%PDF-")
}

fn known_binary(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "legacy Word .doc (OLE) document",
        ),
        (b"\x89PNG\r\n\x1a\n", "PNG image"),
        (b"\xFF\xD8\xFF", "JPEG image"),
        (b"GIF87a", "GIF image"),
        (b"GIF89a", "GIF image"),
        (b"II*\x00", "TIFF image"),
        (b"MM\x00*", "TIFF image"),
        (b"{\\rtf", "RTF document"),
        (b"\x1F\x8B", "gzip archive"),
        (b"Rar!", "RAR archive"),
        (b"7z\xBC\xAF", "7-Zip archive"),
        (b"\x7FELF", "executable"),
        (b"MZ", "executable"),
    ];
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some("WebP image");
    }
    SIGNATURES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, what)| *what)
}

enum Declared {
    Pdf,
    Docx,
    Text,
    Other(String),
}

fn declared_format(filename: Option<&str>, content_type: Option<&str>) -> Option<Declared> {
    if let Some(ct) = content_type {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "" | "application/octet-stream" => {}
            "application/pdf" | "application/x-pdf" => return Some(Declared::Pdf),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
                return Some(Declared::Docx);
            }
            t if t.starts_with("text/") => return Some(Declared::Text),
            other => return Some(Declared::Other(other.to_owned())),
        }
    }
    let ext = filename?.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => Declared::Pdf,
        "docx" => Declared::Docx,
        "txt" | "text" | "md" | "markdown" => Declared::Text,
        "doc" => Declared::Other("legacy Word .doc document".into()),
        other => Declared::Other(format!(".{other} file")),
    })
}

/// Decodes text bytes: UTF-8 (with or without BOM), UTF-16 with a BOM, or
/// Windows-1252 as the usual fallback for old Western files. Returns `None`
/// for data that does not look like text.
pub(crate) fn decode_text(bytes: &[u8]) -> Option<String> {
    let text = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8_lossy(rest).into_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        decode_utf16(rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        decode_utf16(rest, u16::from_be_bytes)?
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => windows_1252(bytes),
        }
    };
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{000C}'))
        .count();
    // A few stray control bytes happen in real text files; binary data has many.
    (controls * 100 <= text.chars().count()).then_some(text)
}

fn decode_utf16(bytes: &[u8], read: fn([u8; 2]) -> u16) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes.chunks_exact(2).map(|c| read([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

fn windows_1252(bytes: &[u8]) -> String {
    // Bytes 0x80..0x9F differ from Latin-1 in Windows-1252.
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// Extracts the text of a document in a known format.
pub(crate) fn extract_text(
    bytes: &[u8],
    format: DocumentFormat,
    options: &ParseOptions,
) -> Result<String, ParseError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    options.check_deadline()?;
    let text = match format {
        DocumentFormat::PlainText => decode_text(bytes).ok_or_else(|| ParseError::Unsupported {
            what: "binary data that is not text".into(),
        })?,
        DocumentFormat::Pdf => pdf_text(bytes, options)?,
        DocumentFormat::Docx => docx_text(bytes, options)?,
    };
    options.check_text_length(text.len())?;
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(text)
}

fn pdf_text(bytes: &[u8], options: &ParseOptions) -> Result<String, ParseError> {
    if !has_pdf_header(bytes) {
        return Err(ParseError::Unreadable {
            reason: "no PDF header".into(),
        });
    }
    let index_streams = count_index_streams(bytes);
    if index_streams > MAX_PDF_INDEX_STREAMS {
        return Err(ParseError::too_large(
            "object and cross-reference streams",
            MAX_PDF_INDEX_STREAMS,
        ));
    }
    // lopdf is written to return errors, but it parses hostile input through
    // deep recursive code; a panic on a malformed upload must become an error
    // for that one document rather than take the request (or worker) down.
    match catch_unwind(AssertUnwindSafe(|| pdf_text_unguarded(bytes, options))) {
        Ok(result) => result,
        Err(_) => Err(ParseError::Unreadable {
            reason: "malformed PDF structure".into(),
        }),
    }
}

/// How many names `/ObjStm` or `/XRef` the raw file holds: an upper bound on
/// the object and cross-reference streams that lopdf inflates while loading
/// (their dictionaries are never compressed), which lopdf bounds one by one
/// but not in number. Names are compared decoded (`/Obj#53tm` is `/ObjStm`),
/// as the loader reads them; a name that merely appears in text only makes
/// the count err on the safe side.
fn count_index_streams(bytes: &[u8]) -> usize {
    let regular = |c: u8| {
        !c.is_ascii_whitespace()
            && c != 0
            && !matches!(
                c,
                b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
            )
    };
    let hex = |c: u8| char::from(c).to_digit(16);
    let mut count = 0;
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&c| c == b'/') {
        i += offset + 1;
        // Decode at most 8 bytes: longer names are neither of the two.
        let mut name = [0u8; 8];
        let mut len = 0;
        while i < bytes.len() && regular(bytes[i]) && len < name.len() {
            let byte = match (
                bytes[i],
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (b'#', Some(high), Some(low)) => {
                    i += 3;
                    (high * 16 + low) as u8
                }
                (c, _, _) => {
                    i += 1;
                    c
                }
            };
            name[len] = byte;
            len += 1;
        }
        let ended = i >= bytes.len() || !regular(bytes[i]);
        if ended && matches!(&name[..len], b"ObjStm" | b"XRef") {
            count += 1;
        }
    }
    count
}

/// Whether a lopdf error is a decompression bound being reached.
fn over_limit(error: &lopdf::Error) -> bool {
    matches!(
        error,
        lopdf::Error::Decompress(DecompressError::MemoryLimitExceeded { .. })
    )
}

fn stream_too_large() -> ParseError {
    ParseError::too_large("decompressed bytes in one PDF stream", MAX_PDF_STREAM_BYTES)
}

fn pdf_text_unguarded(bytes: &[u8], options: &ParseOptions) -> Result<String, ParseError> {
    let declares_encryption = trailer_declares_encryption(bytes);
    let load_options = lopdf::LoadOptions::with_max_decompressed_size(MAX_PDF_STREAM_BYTES);
    let doc = match Document::load_mem_with_options(bytes, load_options) {
        Ok(doc) => doc,
        Err(e) if over_limit(&e) => return Err(stream_too_large()),
        Err(_) if declares_encryption => return Err(ParseError::Encrypted),
        Err(e) => {
            return Err(ParseError::Unreadable {
                reason: format!("invalid PDF: {e}"),
            });
        }
    };
    options.check_deadline()?;
    // lopdf transparently opens documents whose user password is empty; a
    // document still encrypted after loading needs a password we don't have.
    if doc.is_encrypted() {
        return Err(ParseError::Encrypted);
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(ParseError::Unreadable {
            reason: "the PDF has no pages".into(),
        });
    }
    let mut reader = PdfReader {
        doc: &doc,
        options,
        budget: MAX_PDF_TOTAL_BYTES,
        fonts: HashMap::new(),
        encodings: Vec::new(),
    };
    let mut text = String::new();
    let mut failures = 0;
    for page_id in pages.values().take(MAX_PDF_PAGES) {
        options.check_deadline()?;
        let room = options.max_text_bytes.saturating_sub(text.len());
        match reader.page_text(*page_id, room) {
            Ok(page) => {
                text.push_str(page.trim_end());
                text.push_str("\n\n");
            }
            Err(PageError::Stop(error)) => return Err(error),
            Err(PageError::Broken) => failures += 1,
        }
        options.check_text_length(text.len())?;
    }
    if failures == pages.len().min(MAX_PDF_PAGES) {
        return Err(ParseError::Unreadable {
            reason: "no page of the PDF could be decoded".into(),
        });
    }
    Ok(text)
}

/// Whether the file's trailer has an `/Encrypt` entry, read from the raw bytes
/// so that it works even when lopdf cannot load the document.
fn trailer_declares_encryption(bytes: &[u8]) -> bool {
    let needle = b"/Encrypt";
    bytes.windows(needle.len()).any(|w| w == needle)
}

/// Why a page gave no text: the page is broken (the others may still be
/// read), or reading must stop for the whole document.
enum PageError {
    Broken,
    Stop(ParseError),
}

impl From<lopdf::Error> for PageError {
    fn from(error: lopdf::Error) -> Self {
        if over_limit(&error) {
            PageError::Stop(stream_too_large())
        } else {
            PageError::Broken
        }
    }
}

impl From<ParseError> for PageError {
    fn from(error: ParseError) -> Self {
        PageError::Stop(error)
    }
}

/// Reads the text of a PDF's pages within the document's decompression
/// budget, each font's encoding decoded once.
struct PdfReader<'a> {
    doc: &'a Document,
    options: &'a ParseOptions,
    /// Decompressed bytes still allowed ([`MAX_PDF_TOTAL_BYTES`] at first).
    budget: usize,
    /// Font object (by address: the document is not changed while it is
    /// read, and fonts written inline have no object id) → its index in
    /// `encodings`, or `None` when it has no usable encoding.
    fonts: HashMap<*const Object, Option<usize>>,
    encodings: Vec<Encoding<'a>>,
}

impl<'a> PdfReader<'a> {
    /// The most that the next stream may inflate to.
    fn stream_limit(&self) -> usize {
        MAX_PDF_STREAM_BYTES.min(self.budget)
    }

    /// Takes `bytes` from the budget; `Err` once it is spent.
    fn charge(&mut self, bytes: usize) -> Result<(), ParseError> {
        self.budget = self.budget.checked_sub(bytes).ok_or_else(|| {
            ParseError::too_large(
                "decompressed bytes across the PDF's streams",
                MAX_PDF_TOTAL_BYTES,
            )
        })?;
        Ok(())
    }

    /// A stream that went past [`PdfReader::stream_limit`]: past the
    /// per-stream bound, or past what is left of the budget.
    fn limit_error(&self) -> ParseError {
        if self.budget < MAX_PDF_STREAM_BYTES {
            ParseError::too_large(
                "decompressed bytes across the PDF's streams",
                MAX_PDF_TOTAL_BYTES,
            )
        } else {
            stream_too_large()
        }
    }

    /// Walks one page's content stream and writes its text (at most `room`
    /// bytes). Lines are told apart by the vertical position of each shown
    /// string (tracked through Td/TD/T*/Tm/TL and the y part of `cm`), not by
    /// text-object boundaries: some producers draw every word in its own
    /// BT…ET block, others draw a whole paragraph in one. lopdf's own
    /// `extract_text` does neither.
    fn page_text(&mut self, page_id: lopdf::ObjectId, room: usize) -> Result<String, PageError> {
        let doc = self.doc;
        let (own, inherited) = doc.get_page_resources(page_id)?;
        let mut resources: Vec<&'a Dictionary> = own.into_iter().collect();
        resources.extend(
            inherited
                .into_iter()
                .filter_map(|id| doc.get_dictionary(id).ok()),
        );
        let data = match doc.get_page_content_with_limit(page_id, self.stream_limit()) {
            Ok(data) => data,
            Err(e) if over_limit(&e) => return Err(PageError::Stop(self.limit_error())),
            Err(_) => return Err(PageError::Broken),
        };
        self.charge(data.len())?;
        let mut layout = TextLayout {
            room,
            ..TextLayout::default()
        };
        self.walk_content(&data, &resources, &mut layout, 0)?;
        if layout.full {
            return Err(PageError::Stop(ParseError::too_large(
                "bytes of text",
                self.options.max_text_bytes,
            )));
        }
        Ok(layout.out)
    }

    /// The encoding of the font `name`, decoded on first use.
    fn encoding(
        &mut self,
        resources: &[&'a Dictionary],
        name: &[u8],
    ) -> Result<Option<usize>, ParseError> {
        let Some(font) = named_resource(self.doc, resources, b"Font", name) else {
            return Ok(None);
        };
        let key: *const Object = font;
        if let Some(&known) = self.fonts.get(&key) {
            return Ok(known);
        }
        let Ok(dict) = font.as_dict() else {
            self.fonts.insert(key, None);
            return Ok(None);
        };
        // lopdf does not say how much a font's /ToUnicode map inflated to,
        // so it is decoded once here to charge the budget for it.
        if let Ok((_, map)) = dict.get(b"ToUnicode").and_then(|o| self.doc.dereference(o))
            && let Ok(stream) = map.as_stream()
        {
            match stream.decompressed_content_with_limit(self.stream_limit()) {
                Ok(data) => self.charge(2 * data.len())?,
                Err(e) if over_limit(&e) => return Err(self.limit_error()),
                Err(_) => {}
            }
        }
        let index = match dict.get_font_encoding_with_limit(self.doc, self.stream_limit()) {
            Ok(encoding) => {
                self.encodings.push(encoding);
                Some(self.encodings.len() - 1)
            }
            Err(e) if over_limit(&e) => return Err(self.limit_error()),
            Err(_) => None,
        };
        self.fonts.insert(key, index);
        Ok(index)
    }

    fn walk_content(
        &mut self,
        data: &[u8],
        resources: &[&'a Dictionary],
        layout: &mut TextLayout,
        depth: u8,
    ) -> Result<(), PageError> {
        let doc = self.doc;
        let content = Content::decode(data)?;
        let mut encoding: Option<usize> = None;
        for op in &content.operations {
            if layout.full {
                break;
            }
            let arg = |i: usize| op.operands.get(i).and_then(number);
            match op.operator.as_str() {
                "q" => layout.ctm_stack.push(layout.ctm),
                "Q" => layout.ctm = layout.ctm_stack.pop().unwrap_or_default(),
                "cm" => {
                    // Only the vertical scale and offset matter for lines.
                    if let (Some(d), Some(f)) = (arg(3), arg(5)) {
                        layout.ctm = layout.ctm.then(d, f);
                    }
                }
                "BT" => {
                    layout.line = Vertical::default();
                    layout.moved = true;
                }
                "Tf" => {
                    encoding = match op.operands.first().and_then(|o| o.as_name().ok()) {
                        Some(name) => self.encoding(resources, name)?,
                        None => None,
                    };
                    layout.font_size = arg(1).unwrap_or(layout.font_size).abs().max(1.0);
                }
                "TL" => layout.leading = arg(0).unwrap_or(layout.leading),
                "Td" => layout.move_by(arg(1).unwrap_or(0.0)),
                "TD" => {
                    let ty = arg(1).unwrap_or(0.0);
                    layout.leading = -ty;
                    layout.move_by(ty);
                }
                "Tm" => {
                    layout.line = Vertical {
                        scale: arg(3).unwrap_or(1.0),
                        offset: arg(5).unwrap_or(0.0),
                    };
                    layout.moved = true;
                }
                "T*" => layout.move_by(-layout.leading),
                "Tj" | "TJ" => layout.show(encoding.map(|i| &self.encodings[i]), &op.operands),
                "'" => {
                    layout.move_by(-layout.leading);
                    layout.show(encoding.map(|i| &self.encodings[i]), &op.operands);
                }
                "\"" => {
                    layout.move_by(-layout.leading);
                    layout.show(
                        encoding.map(|i| &self.encodings[i]),
                        op.operands.get(2..).unwrap_or(&[]),
                    );
                }
                "Do" if depth < MAX_PDF_FORM_DEPTH => {
                    let form = op
                        .operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .and_then(|name| named_resource(doc, resources, b"XObject", name))
                        .and_then(|o| o.as_stream().ok())
                        .filter(|s| {
                            s.dict.get(b"Subtype").and_then(|t| t.as_name()).ok() == Some(b"Form")
                        });
                    let Some(form) = form else { continue };
                    self.options.check_deadline()?;
                    let data = match form.decompressed_content_with_limit(self.stream_limit()) {
                        Ok(data) => data,
                        Err(e) if over_limit(&e) => {
                            return Err(PageError::Stop(self.limit_error()));
                        }
                        // A broken form loses its own text, not the page's.
                        Err(_) => continue,
                    };
                    // Drawing a form again decodes it again: each time counts.
                    self.charge(data.len())?;
                    let mut nested: Vec<&'a Dictionary> = form
                        .dict
                        .get(b"Resources")
                        .and_then(|o| doc.dereference(o))
                        .and_then(|(_, o)| o.as_dict())
                        .into_iter()
                        .collect();
                    nested.extend_from_slice(resources);
                    layout.ctm_stack.push(layout.ctm);
                    if let Ok(matrix) = form.dict.get(b"Matrix").and_then(Object::as_array)
                        && let (Some(d), Some(f)) = (
                            matrix.get(3).and_then(number),
                            matrix.get(5).and_then(number),
                        )
                    {
                        layout.ctm = layout.ctm.then(d, f);
                    }
                    match self.walk_content(&data, &nested, layout, depth + 1) {
                        Err(PageError::Stop(error)) => return Err(PageError::Stop(error)),
                        Err(PageError::Broken) | Ok(()) => {}
                    }
                    layout.ctm = layout.ctm_stack.pop().unwrap_or_default();
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The entry `name` of a resource category (`/Font`, `/XObject`) in the
/// first resource dictionary that defines it, looked up when an operator
/// names it (not gathered for every page or form drawn, which costs the
/// dictionaries' size each time).
fn named_resource<'a>(
    doc: &'a Document,
    resources: &[&'a Dictionary],
    category: &[u8],
    name: &[u8],
) -> Option<&'a Object> {
    resources.iter().find_map(|dict| {
        let entries = dict
            .get(category)
            .and_then(|o| doc.dereference(o))
            .and_then(|(_, o)| o.as_dict())
            .ok()?;
        let value = entries.get(name).ok()?;
        doc.dereference(value).ok().map(|(_, target)| target)
    })
}

/// The vertical part of an affine transform: y' = scale·y + offset.
#[derive(Debug, Clone, Copy)]
struct Vertical {
    scale: f32,
    offset: f32,
}

impl Vertical {
    /// This transform preceded by y' = d·y + f (PDF matrices compose that way).
    fn then(self, d: f32, f: f32) -> Vertical {
        Vertical {
            scale: d * self.scale,
            offset: f * self.scale + self.offset,
        }
    }
}

impl Default for Vertical {
    fn default() -> Self {
        Vertical {
            scale: 1.0,
            offset: 0.0,
        }
    }
}

#[derive(Debug)]
struct TextLayout {
    out: String,
    ctm: Vertical,
    ctm_stack: Vec<Vertical>,
    /// Text line matrix (reset by BT and Tm, moved by Td/TD/T*).
    line: Vertical,
    leading: f32,
    font_size: f32,
    /// Page y of the last string shown.
    last_y: Option<f32>,
    /// The position moved since the last string (a gap worth a space).
    moved: bool,
    /// Bytes of text the page may still produce.
    room: usize,
    /// The page's text went past `room`; reading stops.
    full: bool,
}

impl Default for TextLayout {
    fn default() -> Self {
        TextLayout {
            out: String::new(),
            ctm: Vertical::default(),
            ctm_stack: Vec::new(),
            line: Vertical::default(),
            leading: 0.0,
            font_size: 10.0,
            last_y: None,
            moved: false,
            room: usize::MAX,
            full: false,
        }
    }
}

impl TextLayout {
    fn move_by(&mut self, ty: f32) {
        self.line.offset += ty * self.line.scale;
        self.moved = true;
    }

    fn page_y(&self) -> f32 {
        self.ctm.scale * self.line.offset + self.ctm.offset
    }

    fn show(&mut self, encoding: Option<&Encoding<'_>>, operands: &[Object]) {
        let y = self.page_y();
        // Superscripts and baseline jitter move less than a third of a line.
        let tolerance =
            (self.font_size * self.line.scale.abs() * self.ctm.scale.abs() * 0.3).max(1.0);
        match self.last_y {
            Some(last) if (y - last).abs() > tolerance => new_line(&mut self.out),
            Some(_) if self.moved => space(&mut self.out),
            _ => {}
        }
        show(&mut self.out, encoding, operands);
        self.last_y = Some(y);
        self.moved = false;
        self.full = self.out.len() > self.room;
    }
}

fn number(obj: &Object) -> Option<f32> {
    match obj {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

fn new_line(out: &mut String) {
    let trimmed = out.trim_end_matches(' ').len();
    out.truncate(trimmed);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn space(out: &mut String) {
    if !out.is_empty() && !out.ends_with([' ', '\n']) {
        out.push(' ');
    }
}

fn show(out: &mut String, encoding: Option<&Encoding<'_>>, operands: &[Object]) {
    for operand in operands {
        match operand {
            Object::String(bytes, _) => {
                let decoded = match encoding {
                    Some(enc) => Document::decode_text(enc, bytes).ok(),
                    // Without a usable font encoding, ASCII is the best guess.
                    None => bytes
                        .is_ascii()
                        .then(|| String::from_utf8_lossy(bytes).into_owned()),
                };
                if let Some(s) = decoded {
                    out.push_str(&s);
                }
            }
            Object::Array(items) => show(out, encoding, items),
            // A large negative kerning step in TJ is how PDFs draw a space.
            Object::Integer(i) if *i < -200 => space(out),
            Object::Real(r) if *r < -200.0 => space(out),
            _ => {}
        }
    }
}

fn docx_text(bytes: &[u8], options: &ParseOptions) -> Result<String, ParseError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ParseError::Unreadable {
            reason: format!("damaged DOCX container: {e}"),
        })?;
    if archive.len() > MAX_DOCX_ENTRIES {
        return Err(ParseError::too_large(
            "entries in the DOCX container",
            MAX_DOCX_ENTRIES,
        ));
    }
    if archive.index_for_name("EncryptedPackage").is_some() {
        return Err(ParseError::Encrypted);
    }
    if archive.index_for_name("word/document.xml").is_none() {
        return Err(ParseError::Unreadable {
            reason: "DOCX without word/document.xml".into(),
        });
    }
    // Many resume templates put the name and contact line in the page
    // header, so headers are read first and footers last.
    let mut names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.starts_with("word/header") && n.ends_with(".xml"))
        .map(|n| n.into_owned())
        .collect();
    names.sort();
    names.push("word/document.xml".to_owned());
    let mut footers: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.starts_with("word/footer") && n.ends_with(".xml"))
        .map(|n| n.into_owned())
        .collect();
    footers.sort();
    names.extend(footers);
    if names.len() > MAX_DOCX_PARTS {
        return Err(ParseError::too_large(
            "body, header and footer parts in the DOCX",
            MAX_DOCX_PARTS,
        ));
    }

    let mut text = String::new();
    let mut inflated = 0;
    for name in names {
        options.check_deadline()?;
        let xml = read_zip_entry(&mut archive, &name, &mut inflated, options)?;
        let room = options.max_text_bytes.saturating_sub(text.len());
        let part = docx_xml_text(&xml, &name, room, options)?;
        if !part.trim().is_empty() {
            text.push_str(&part);
            text.push('\n');
        }
        options.check_text_length(text.len())?;
    }
    Ok(text)
}

/// Reads one part, within [`MAX_DOCX_PART_BYTES`] and what is left of
/// [`MAX_DOCX_TOTAL_BYTES`] (`inflated` counts what earlier parts took).
fn read_zip_entry(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    inflated: &mut u64,
    options: &ParseOptions,
) -> Result<Vec<u8>, ParseError> {
    let mut entry = archive.by_name(name).map_err(|e| match e {
        zip::result::ZipError::UnsupportedArchive(msg)
            if msg.contains("ncrypt") || msg.contains("assword") =>
        {
            ParseError::Encrypted
        }
        other => ParseError::Unreadable {
            reason: format!("cannot open {name}: {other}"),
        },
    })?;
    if entry.encrypted() {
        return Err(ParseError::Encrypted);
    }
    let part_too_large =
        || ParseError::too_large(format!("decompressed bytes in {name}"), MAX_DOCX_PART_BYTES);
    let total_too_large = || {
        ParseError::too_large(
            "decompressed bytes across the DOCX parts",
            MAX_DOCX_TOTAL_BYTES,
        )
    };
    let left = MAX_DOCX_TOTAL_BYTES - *inflated;
    // The declared size rejects an honest bomb before anything is inflated;
    // the bounded read below stops one that lies about its size.
    let declared = entry.size();
    if declared > MAX_DOCX_PART_BYTES {
        return Err(part_too_large());
    }
    if declared > left {
        return Err(total_too_large());
    }
    let limit = MAX_DOCX_PART_BYTES.min(left);
    let mut xml = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    let mut bounded = (&mut entry).take(limit + 1);
    // Inflated a mebibyte at a time, so a deadline is seen between chunks.
    loop {
        let read = (&mut bounded)
            .take(1 << 20)
            .read_to_end(&mut xml)
            .map_err(|e| {
                // The zip reader stops an entry at its declared size (checked
                // against the bound above): one that inflates further is a
                // bomb that lies about its size, not a damaged file.
                if e.kind() == std::io::ErrorKind::InvalidData
                    && e.to_string().contains("larger than its declared")
                {
                    ParseError::too_large(
                        format!("decompressed bytes in {name} than its zip entry declares"),
                        declared,
                    )
                } else {
                    ParseError::Unreadable {
                        reason: format!("cannot decompress {name}: {e}"),
                    }
                }
            })?;
        if read == 0 {
            break;
        }
        options.check_deadline()?;
    }
    if xml.len() as u64 > limit {
        return Err(if limit == MAX_DOCX_PART_BYTES {
            part_too_large()
        } else {
            total_too_large()
        });
    }
    *inflated += xml.len() as u64;
    Ok(xml)
}

/// Text of a WordprocessingML part (`name`, for errors): `<w:t>` runs, with
/// paragraph, line-break and tab elements turned into their characters; at
/// most `room` bytes of it, and at most [`MAX_XML_DEPTH`] levels of nesting.
fn docx_xml_text(
    xml: &[u8],
    name: &str,
    room: usize,
    options: &ParseOptions,
) -> Result<String, ParseError> {
    let mut reader = Reader::from_reader(xml);
    let mut out = String::new();
    let mut in_text = false;
    // Inside <mc:Fallback> Word repeats content already given in
    // <mc:Choice> for old readers; reading both would duplicate it.
    let mut fallback_depth = 0usize;
    let mut depth = 0usize;
    let mut buf = Vec::new();
    for events in 1usize.. {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| ParseError::Unreadable {
                reason: format!("invalid DOCX XML: {e}"),
            })?;
        if events.is_multiple_of(EVENTS_PER_CLOCK_CHECK) {
            options.check_deadline()?;
        }
        match event {
            Event::Start(_) => {
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(ParseError::too_large(
                        format!("levels of XML nesting in {name}"),
                        MAX_XML_DEPTH,
                    ));
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        if fallback_depth > 0 {
            match event {
                Event::Start(e) if e.local_name().as_ref() == "Fallback" => fallback_depth += 1,
                Event::End(e) if e.local_name().as_ref() == "Fallback" => fallback_depth -= 1,
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
            continue;
        }
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "Fallback" => fallback_depth = 1,
                "t" => in_text = true,
                "tab" => out.push('\t'),
                "br" | "cr" => out.push('\n'),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" => out.push('\t'),
                "br" | "cr" => out.push('\n'),
                "p" => out.push('\n'),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => out.push('\n'),
                "tc" => out.push('\t'),
                _ => {}
            },
            Event::Text(t) if in_text => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => out.push_str(&resolve_entity(&r)),
            Event::Eof => break,
            _ => {}
        }
        if out.len() > room {
            return Err(ParseError::too_large(
                "bytes of text",
                options.max_text_bytes,
            ));
        }
        buf.clear();
    }
    Ok(out)
}

fn resolve_entity(name: &str) -> String {
    match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        _ => {
            let code = name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()));
            code.and_then(char::from_u32)
                .map(String::from)
                .unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = include_bytes!("../../../tests/fixtures/resume.pdf");
    const DOCX: &[u8] = include_bytes!("../../../tests/fixtures/resume.docx");
    const ENCRYPTED_PDF: &[u8] = include_bytes!("../../../tests/fixtures/encrypted.pdf");
    const CORRUPT_PDF: &[u8] = include_bytes!("../../../tests/fixtures/corrupt.pdf");
    const RESTRICTED_PDF: &[u8] = include_bytes!("../../../tests/fixtures/restricted.pdf");
    const TXT: &[u8] = include_bytes!("../../../tests/fixtures/resume.txt");

    fn extract(bytes: &[u8], format: DocumentFormat) -> Result<String, ParseError> {
        extract_text(bytes, format, &ParseOptions::default())
    }

    fn xml_text(xml: &[u8]) -> Result<String, ParseError> {
        docx_xml_text(
            xml,
            "word/document.xml",
            usize::MAX,
            &ParseOptions::default(),
        )
    }

    #[test]
    fn detects_by_magic_bytes_first() {
        assert_eq!(
            DocumentFormat::detect(PDF, None, None),
            Ok(DocumentFormat::Pdf)
        );
        assert_eq!(
            DocumentFormat::detect(PDF, Some("cv.txt"), Some("text/plain")),
            Ok(DocumentFormat::Pdf)
        );
        assert_eq!(
            DocumentFormat::detect(DOCX, Some("x.bin"), None),
            Ok(DocumentFormat::Docx)
        );
        assert_eq!(
            DocumentFormat::detect(TXT, Some("cv.txt"), None),
            Ok(DocumentFormat::PlainText)
        );
        assert_eq!(
            DocumentFormat::detect(TXT, None, None),
            Ok(DocumentFormat::PlainText)
        );
    }

    #[test]
    fn rejects_other_formats_as_unsupported() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let doc = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0";
        let random: Vec<u8> = (0u32..4096)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for (bytes, name) in [
            (&png[..], "a.png"),
            (&doc[..], "a.doc"),
            (&random[..], "a.bin"),
        ] {
            let err = DocumentFormat::detect(bytes, Some(name), None).unwrap_err();
            assert_eq!(err.code(), "unsupported_media_type", "{name}: {err}");
        }
        let err = DocumentFormat::detect(b"hello", None, Some("image/png")).unwrap_err();
        assert_eq!(err.code(), "unsupported_media_type");
        assert_eq!(
            DocumentFormat::detect(b"", None, None),
            Err(ParseError::Empty)
        );
    }

    #[test]
    fn a_damaged_file_that_claims_to_be_a_pdf_is_unreadable() {
        let err = DocumentFormat::detect(b"\x01\x02garbage\xff\xfe\x00\x00", Some("cv.pdf"), None)
            .unwrap_err();
        assert_eq!(err.code(), "unreadable_document");
        let err = extract(CORRUPT_PDF, DocumentFormat::Pdf).unwrap_err();
        assert_eq!(err.code(), "unreadable_document", "{err}");
        let truncated = &PDF[..PDF.len() / 3];
        assert!(extract(truncated, DocumentFormat::Pdf).is_err());
    }

    #[test]
    fn reads_pdf_text_with_line_breaks() {
        let text = extract(PDF, DocumentFormat::Pdf).unwrap();
        assert!(text.contains("Carlos Mendes"), "{text}");
        assert!(text.lines().any(|l| l.trim() == "Carlos Mendes"), "{text}");
        assert!(text.contains("Apache Spark"), "{text}");
    }

    /// A PDF the way some producers write them: every word in its own
    /// BT…ET block positioned with Tm, and a header drawn from a form XObject.
    fn generated_pdf() -> Vec<u8> {
        use lopdf::content::Operation;
        use lopdf::{Stream, dictionary};

        let mut doc = Document::with_version("1.5");
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        });
        let word = |x: i64, y: i64, text: &str| {
            vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 12.into()]),
                Operation::new(
                    "Tm",
                    vec![1.into(), 0.into(), 0.into(), 1.into(), x.into(), y.into()],
                ),
                Operation::new("Tj", vec![Object::string_literal(text)]),
                Operation::new("ET", vec![]),
            ]
        };
        let form_ops = [word(0, 0, "Ines"), word(40, 0, "Duarte")].concat();
        let form = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 300.into(), 50.into()],
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            },
            lopdf::content::Content {
                operations: form_ops,
            }
            .encode()
            .unwrap(),
        );
        let form_id = doc.add_object(form);
        let mut page_ops = vec![
            Operation::new("q", vec![]),
            Operation::new(
                "cm",
                vec![
                    1.into(),
                    0.into(),
                    0.into(),
                    1.into(),
                    72.into(),
                    740.into(),
                ],
            ),
            Operation::new("Do", vec!["Hdr".into()]),
            Operation::new("Q", vec![]),
        ];
        page_ops.extend(
            [
                word(72, 700, "Skills:"),
                word(120, 700, "Rust,"),
                word(160, 700, "Go"),
            ]
            .concat(),
        );
        page_ops.extend(word(72, 680, "Lisbon, Portugal"));
        let contents = doc.add_object(Stream::new(
            dictionary! {},
            lopdf::content::Content {
                operations: page_ops,
            }
            .encode()
            .unwrap(),
        ));
        let pages_id = doc.new_object_id();
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => contents,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            "Resources" => dictionary! {
                "Font" => dictionary! { "F1" => font },
                "XObject" => dictionary! { "Hdr" => form_id },
            },
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(
                dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
            ),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    /// A scanned-looking PDF: one page that only paints a rectangle.
    fn textless_pdf() -> Vec<u8> {
        use lopdf::content::Operation;
        use lopdf::{Stream, dictionary};

        let mut doc = Document::with_version("1.5");
        let ops = vec![
            Operation::new("re", vec![10.into(), 10.into(), 100.into(), 100.into()]),
            Operation::new("f", vec![]),
        ];
        let contents = doc.add_object(Stream::new(
            dictionary! {},
            lopdf::content::Content { operations: ops }
                .encode()
                .unwrap(),
        ));
        let pages_id = doc.new_object_id();
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => contents,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(
                dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
            ),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn pdf_without_a_text_layer_is_empty() {
        assert_eq!(
            extract(&textless_pdf(), DocumentFormat::Pdf),
            Err(ParseError::Empty)
        );
    }

    #[test]
    fn pdf_lines_follow_positions_and_forms_are_read() {
        let text = extract(&generated_pdf(), DocumentFormat::Pdf).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            lines,
            vec!["Ines Duarte", "Skills: Rust, Go", "Lisbon, Portugal"],
            "{text}"
        );
    }

    #[test]
    fn encrypted_pdf_is_reported_as_such() {
        assert_eq!(
            extract(ENCRYPTED_PDF, DocumentFormat::Pdf),
            Err(ParseError::Encrypted)
        );
    }

    #[test]
    fn pdf_with_only_an_owner_password_is_read() {
        let text = extract(RESTRICTED_PDF, DocumentFormat::Pdf).unwrap();
        assert!(text.contains("Carlos Mendes"), "{text}");
    }

    /// Deterministic xorshift bytes, so a failure can be replayed.
    fn noise(seed: u64, len: usize) -> Vec<u8> {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn damaged_documents_give_errors_not_panics() {
        let formats = [
            DocumentFormat::Pdf,
            DocumentFormat::Docx,
            DocumentFormat::PlainText,
        ];
        for seed in 1..40u64 {
            let random = noise(seed, 64 + (seed as usize * 37) % 2000);
            for format in formats {
                let _ = extract(&random, format);
            }
            let _ = DocumentFormat::detect(&random, Some("x.pdf"), None);
            // Flip a handful of bytes inside real documents and cut them short.
            for original in [PDF, DOCX, RESTRICTED_PDF] {
                let mut damaged = original.to_vec();
                for (i, b) in noise(seed * 7919, 8).into_iter().enumerate() {
                    let at = (usize::from(b) * 31 + i * 977 + seed as usize * 13) % damaged.len();
                    damaged[at] ^= b | 1;
                }
                for format in formats {
                    let _ = extract(&damaged, format);
                    let cut = (seed as usize * 101) % damaged.len();
                    let _ = extract(&damaged[..cut], format);
                }
            }
        }
    }

    #[test]
    fn reads_docx_paragraphs() {
        let text = extract(DOCX, DocumentFormat::Docx).unwrap();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        assert!(lines.contains(&"Amira Haddad"), "{text}");
        assert!(text.contains("React & TypeScript"), "{text}");
    }

    fn zip_of(parts: &[(&str, &str)]) -> Vec<u8> {
        use std::io::Write;
        let mut out = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut out);
        for (name, body) in parts {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(body.as_bytes()).unwrap();
        }
        writer.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn docx_headers_come_first_and_fallbacks_are_not_duplicated() {
        let w = r#"xmlns:w="w" xmlns:mc="mc""#;
        let header = format!(r#"<w:hdr {w}><w:p><w:r><w:t>Ines Duarte</w:t></w:r></w:p></w:hdr>"#);
        let body = format!(
            r#"<w:document {w}><w:body><w:p><w:r><w:t>Body</w:t></w:r></w:p><mc:AlternateContent><mc:Choice><w:p><w:r><w:t>Box</w:t></w:r></w:p></mc:Choice><mc:Fallback><w:p><w:r><w:t>Box</w:t></w:r></w:p></mc:Fallback></mc:AlternateContent></w:body></w:document>"#
        );
        let footer = format!(r#"<w:ftr {w}><w:p><w:r><w:t>Page 1</w:t></w:r></w:p></w:ftr>"#);
        let docx = zip_of(&[
            ("word/document.xml", &body),
            ("word/header1.xml", &header),
            ("word/footer1.xml", &footer),
        ]);
        assert_eq!(
            DocumentFormat::detect(&docx, None, None),
            Ok(DocumentFormat::Docx)
        );
        let text = extract(&docx, DocumentFormat::Docx).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines, vec!["Ines Duarte", "Body", "Box", "Page 1"]);

        let not_docx = zip_of(&[("hello.txt", "hi")]);
        let err = DocumentFormat::detect(&not_docx, Some("cv.zip"), None).unwrap_err();
        assert_eq!(err.code(), "unsupported_media_type");
    }

    /// A DOCX whose body is `body`, stored deflated.
    fn docx_with_body(body: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut out = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut out);
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .large_file(true);
        writer.start_file("word/document.xml", deflated).unwrap();
        writer.write_all(body).unwrap();
        writer.finish().unwrap();
        out.into_inner()
    }

    /// A body of one paragraph whose text is `fill` repeated `times` times.
    fn body_of(fill: &str, times: usize) -> Vec<u8> {
        let mut body = br#"<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>Ada Lovelace "#.to_vec();
        body.extend(fill.repeat(times).into_bytes());
        body.extend(br#"</w:t></w:r></w:p></w:body></w:document>"#);
        body
    }

    /// Writes `size` over every uncompressed-size field of a one-entry zip,
    /// as a bomb that lies about its size would (local header offset 22,
    /// central directory header offset 24).
    fn declare_size(zip: &mut [u8], size: u32) {
        for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
            let at = zip.windows(4).rposition(|w| w == signature).unwrap();
            zip[at + offset..at + offset + 4].copy_from_slice(&size.to_le_bytes());
        }
    }

    fn too_large(what: &str, limit: impl TryInto<u64>) -> Result<String, ParseError> {
        Err(ParseError::too_large(what, limit))
    }

    #[test]
    fn a_zip_bomb_docx_is_rejected_before_it_is_inflated() {
        // 64 MiB of XML that deflates to about 250 KB.
        let bomb = docx_with_body(&body_of("A", 64 << 20));
        assert!(bomb.len() < 1 << 20, "{}", bomb.len());
        assert_eq!(
            DocumentFormat::detect(&bomb, None, None),
            Ok(DocumentFormat::Docx)
        );
        let expected = too_large(
            "decompressed bytes in word/document.xml",
            MAX_DOCX_PART_BYTES,
        );
        assert_eq!(extract(&bomb, DocumentFormat::Docx), expected);
        // The same bomb declaring a small size is stopped at that size.
        let mut liar = bomb;
        declare_size(&mut liar, 4096);
        assert_eq!(
            extract(&liar, DocumentFormat::Docx),
            too_large(
                "decompressed bytes in word/document.xml than its zip entry declares",
                4096
            )
        );
    }

    #[test]
    fn docx_text_over_the_bound_is_rejected() {
        let docx = docx_with_body(&body_of("Python ", super::super::MAX_TEXT_BYTES / 7 + 1));
        assert_eq!(
            extract(&docx, DocumentFormat::Docx),
            too_large("bytes of text", super::super::MAX_TEXT_BYTES)
        );
        let fits = docx_with_body(&body_of("Python ", 1000));
        assert!(
            extract(&fits, DocumentFormat::Docx)
                .unwrap()
                .contains("Python Python")
        );
    }

    #[test]
    fn deeply_nested_docx_xml_is_rejected() {
        let levels = 100_000;
        let mut body =
            br#"<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>Ada Lovelace</w:t></w:r></w:p>"#
                .to_vec();
        body.extend(b"<w:sdt>".repeat(levels));
        body.extend(b"</w:sdt>".repeat(levels));
        body.extend(b"</w:body></w:document>");
        let docx = docx_with_body(&body);
        assert_eq!(
            extract(&docx, DocumentFormat::Docx),
            too_large("levels of XML nesting in word/document.xml", MAX_XML_DEPTH)
        );
        let shallow = docx_with_body(&body_of("x", 1));
        assert!(extract(&shallow, DocumentFormat::Docx).is_ok());
    }

    /// A one-page PDF whose content stream shows "Ada Lovelace" and then
    /// `padding` spaces, compressed with Flate.
    fn pdf_with_padded_content(padding: usize) -> Vec<u8> {
        use lopdf::{Stream, dictionary};

        let mut doc = Document::with_version("1.5");
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let mut content = b"BT /F1 12 Tf 72 700 Td (Ada Lovelace) Tj ET".to_vec();
        content.resize(content.len() + padding, b' ');
        let mut stream = Stream::new(dictionary! {}, content);
        stream.compress().unwrap();
        let contents = doc.add_object(stream);
        let pages_id = doc.new_object_id();
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => contents,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(
                dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
            ),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn a_pdf_with_a_huge_flate_stream_is_rejected() {
        let bomb = pdf_with_padded_content(MAX_PDF_STREAM_BYTES + (1 << 20));
        assert!(bomb.len() < 64 << 10, "{}", bomb.len());
        assert_eq!(
            extract(&bomb, DocumentFormat::Pdf),
            too_large("decompressed bytes in one PDF stream", MAX_PDF_STREAM_BYTES)
        );
        let small = pdf_with_padded_content(1000);
        assert!(
            extract(&small, DocumentFormat::Pdf)
                .unwrap()
                .contains("Ada Lovelace")
        );
    }

    #[test]
    fn a_pdf_declaring_many_object_streams_is_rejected_before_loading() {
        assert_eq!(
            count_index_streams(b"/Type /ObjStm /Type/XRef /Obj#53tm /XRefStm /ObjStmX /ObjStm"),
            4
        );
        let mut pdf = pdf_with_padded_content(0);
        for _ in 0..=MAX_PDF_INDEX_STREAMS {
            pdf.extend(b"\n1 0 obj << /Type /ObjStm /N 0 /First 0 >> endobj");
        }
        assert_eq!(
            extract(&pdf, DocumentFormat::Pdf),
            too_large("object and cross-reference streams", MAX_PDF_INDEX_STREAMS)
        );
    }

    #[test]
    fn a_passed_deadline_stops_document_reading() {
        let passed = ParseOptions::with_deadline(std::time::Instant::now());
        for (bytes, format) in [(DOCX, DocumentFormat::Docx), (PDF, DocumentFormat::Pdf)] {
            assert_eq!(
                extract_text(bytes, format, &passed),
                Err(ParseError::TimedOut)
            );
        }
    }

    #[test]
    fn docx_xml_handles_breaks_tabs_and_entities() {
        let xml = br#"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>A&amp;B</w:t><w:tab/><w:t xml:space="preserve">C </w:t><w:br/><w:t>&#233;t&#xE9;</w:t></w:r></w:p><w:p><w:r><w:t>Next</w:t></w:r></w:p></w:body></w:document>"#;
        assert_eq!(xml_text(xml).unwrap(), "A&B\tC \nété\nNext\n");
        assert!(xml_text(b"<w:p><w:t>unclosed</w:p>").is_err());
    }

    #[test]
    fn decodes_common_text_encodings() {
        assert_eq!(decode_text("Zürich".as_bytes()).unwrap(), "Zürich");
        assert_eq!(decode_text(b"Z\xfcrich \x80").unwrap(), "Zürich €");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Hé".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_text(&utf16).unwrap(), "Hé");
        assert!(decode_text(&[0u8, 1, 2, 3, 4, 5, 6, 7, 8]).is_none());
        assert_eq!(
            extract(b"  \n ", DocumentFormat::PlainText),
            Err(ParseError::Empty)
        );
    }
}
