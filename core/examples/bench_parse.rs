//! Resume parsing on one long line full of skill mentions, the input that
//! made the years and context checks quadratic: times `parse_text_with` on
//! 1, 2 and 9 MB (10^6 bytes) single-line texts, with the text bound raised
//! so that the parse runs to the end.
//!
//! `cargo run --release -p mismatch-core --example bench_parse [ROUNDS]`
//! prints the fastest of ROUNDS runs (default 3) per size, and the time per
//! megabyte, which stays flat when the work is linear. Then it times the
//! rejection of a DOCX whose body inflates to 64 MiB, declared honestly and
//! declared as 4 KiB.

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use mismatch_core::resume::{DocumentFormat, ParseOptions, parse_document, parse_text_with};

/// Seven mentions of every kind (years before and after, list words,
/// ambiguous words that read both sides) in 67 bytes.
const UNIT: &str = "Go, Python and R; 3 years of Rust, Swift developer, Docker (2 yrs) ";

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|r| r.parse().expect("ROUNDS is a whole number"))
        .unwrap_or(3);
    println!("size\tskills\tfastest of {rounds}\tper MB");
    for megabytes in [1, 2, 9] {
        let text = UNIT.repeat(megabytes * 1_000_000 / UNIT.len());
        let options = ParseOptions {
            max_text_bytes: text.len(),
            ..ParseOptions::default()
        };
        let mut fastest = Duration::MAX;
        let mut skills = 0;
        for _ in 0..rounds {
            let started = Instant::now();
            let parsed = parse_text_with(&text, &options).expect("the text parses");
            fastest = fastest.min(started.elapsed());
            skills = parsed.skills.len();
        }
        println!(
            "{megabytes} MB\t{skills}\t{:.1} ms\t{:.1} ms",
            fastest.as_secs_f64() * 1e3,
            fastest.as_secs_f64() * 1e3 / megabytes as f64
        );
    }

    let bomb = docx_bomb(64 << 20);
    let mut liar = bomb.clone();
    for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let at = liar
            .windows(4)
            .rposition(|w| w == signature)
            .expect("zip header");
        liar[at + offset..at + offset + 4].copy_from_slice(&4096u32.to_le_bytes());
    }
    for (label, docx) in [("declared", &bomb), ("lying", &liar)] {
        let started = Instant::now();
        let outcome = parse_document(docx, DocumentFormat::Docx);
        let elapsed = started.elapsed();
        let code = outcome.err().map_or("accepted", |e| e.code());
        println!(
            "DOCX bomb ({label} size, {} KB): {code} in {:.2} ms",
            docx.len() / 1000,
            elapsed.as_secs_f64() * 1e3
        );
    }
}

/// A DOCX whose `word/document.xml` is `size` bytes of one text run.
fn docx_bomb(size: usize) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    writer
        .start_file("word/document.xml", options)
        .expect("zip entry");
    writer
        .write_all(b"<w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>")
        .expect("write");
    writer.write_all(&vec![b'A'; size]).expect("write");
    writer
        .write_all(b"</w:t></w:r></w:p></w:body></w:document>")
        .expect("write");
    writer.finish().expect("zip");
    out.into_inner()
}
