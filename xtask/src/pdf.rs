//! `cargo xtask pdf`, and the suite's step that prints and checks the same
//! files: each edition's print.html (mdBook's whole book on one page)
//! printed to a PDF by the headless Chromium of the browser tests
//! (`book-web print-pdf`), into `pdf/` beside the editions, where each
//! edition's preface links to its own file.
//!
//! The check reads the PDFs with poppler's `pdfinfo` and `pdftotext`, and
//! looks in the file itself for two things Chromium writes as plain text:
//! the document's language (which made the fonts draw Simplified Chinese
//! glyphs) and the outline, the PDF's table of contents.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

use crate::book::{self, Edition};
use crate::listings::Build;
use crate::{cmd, tools};

/// The Debian packages that printing and checking need: the browser and
/// its driver, CJK fonts (without them Chinese prints as empty boxes), and
/// poppler-utils for pdfinfo and pdftotext.
const PACKAGES: &[&str] = &[
    "chromium",
    "chromium-driver",
    "fonts-noto-cjk",
    "poppler-utils",
];

/// The folder beside the editions that holds the PDFs: `book/pdf/`, served
/// at `/pdf/`, so that a page links to `../pdf/<file>`.
const FOLDER: &str = "pdf";

/// Floors, with a margin below what was measured on 2026-12-04: 178 pages
/// in English and 207 in Chinese, 119 outline entries in each.
const MIN_PAGES: u64 = 130;
const MIN_OUTLINE: u64 = 80;

/// The Chinese share of the words (each Han character counted as a word,
/// against runs of Latin letters) was 0.77 in the Chinese PDF, whose code
/// stays English, and 0 in the English one.
const MIN_CHINESE_SHARE: f64 = 0.6;
const MAX_CHINESE_SHARE_IN_ENGLISH: f64 = 0.01;

/// A line of code that the book's listings open many times: the code made
/// it into the PDF's text.
const CODE: &str = "#[tokio::main]";

/// An edition's PDF, as the preface links to it.
pub fn file_name(lang: &str) -> String {
    format!("distributed-programming-in-rust-{lang}.pdf")
}

/// `cargo xtask pdf`: both editions built into book/ and printed into
/// book/pdf/, then checked.
pub fn task(root: &Path) -> Result<()> {
    tools::install(root)?;
    let out = root.join("book");
    let editions = book::build_all(root, &out)?;
    cmd::run(cmd::cargo().args(["build", "--package", "book-web"]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(root.join("target"), PathBuf::from);
    let book_web = target.join("debug/book-web");
    print(&book_web, &out, &editions, false)?;
    check(&out, &editions)
}

/// The suite's step: the editions it built in `out`, printed with the
/// workspace build's book-web and checked.
pub fn suite(build: &Build, out: &Path, editions: &[Edition], ci: bool) -> Result<()> {
    let book_web = build
        .bins
        .get("book-web/book-web")
        .context("the workspace build produced no book-web binary")?;
    print(book_web, out, editions, ci)?;
    check(out, editions)
}

/// Prints each edition of the book built in `out` to `out/pdf/`.
fn print(book_web: &Path, out: &Path, editions: &[Edition], ci: bool) -> Result<()> {
    book::ensure_packages(PACKAGES, "the PDFs", ci)?;
    let mut c = Command::new(book_web);
    c.arg("print-pdf").arg("--dir").arg(out);
    for edition in editions {
        let pdf = pdf_path(out, &edition.lang);
        // A failed print must not leave an older file for the check to read.
        if pdf.exists() {
            std::fs::remove_file(&pdf).with_context(|| format!("removing {}", pdf.display()))?;
        }
        c.arg("--page")
            .arg(format!("{}/print.html", edition.lang))
            .arg(pdf);
    }
    cmd::run(&mut c)
}

/// For `cargo xtask serve`, which does not print the PDFs: says so when
/// the prefaces' links lead nowhere yet.
pub fn say_if_missing(out: &Path) {
    let missing: Vec<String> = book::EDITIONS
        .iter()
        .map(|(lang, _)| pdf_path(out, lang))
        .filter(|pdf| !pdf.exists())
        .map(|pdf| pdf.display().to_string())
        .collect();
    if !missing.is_empty() {
        println!(
            "no PDF yet ({}): `cargo xtask pdf` prints them",
            missing.join(", ")
        );
    }
}

fn pdf_path(out: &Path, lang: &str) -> PathBuf {
    out.join(FOLDER).join(file_name(lang))
}

/// Each edition's PDF: enough pages, an outline, the edition's language,
/// text in that language, the code, and every figure's title.
fn check(out: &Path, editions: &[Edition]) -> Result<()> {
    let mut problems = Vec::new();
    for edition in editions {
        let lang = &edition.lang;
        let pdf = pdf_path(out, lang);
        let bytes = std::fs::read(&pdf).with_context(|| format!("reading {}", pdf.display()))?;
        let info = stdout(Command::new("pdfinfo").arg(&pdf))?;
        let pages = pages(&info).with_context(|| format!("pdfinfo gave no page count:\n{info}"))?;
        let text = stdout(Command::new("pdftotext").arg(&pdf).arg("-"))?;
        let outline = outline_entries(&bytes).unwrap_or(0);
        let language = document_language(&bytes).unwrap_or_default();
        let share = chinese_share(&text);
        println!(
            "{}: {pages} pages, {outline} outline entries, language {language:?}, \
             Chinese share of the words {share:.2}",
            pdf.display()
        );
        let mut problem = |p: String| problems.push(format!("{}: {p}", pdf.display()));
        if pages < MIN_PAGES {
            problem(format!("{pages} pages, fewer than {MIN_PAGES}"));
        }
        if outline < MIN_OUTLINE {
            problem(format!(
                "{outline} outline entries (table of contents), fewer than {MIN_OUTLINE}"
            ));
        }
        if language != *lang {
            problem(format!(
                "the document's language is {language:?}, not {lang:?}"
            ));
        }
        if lang.starts_with("zh") && share < MIN_CHINESE_SHARE {
            problem(format!(
                "only {share:.2} of the words are Chinese (at least {MIN_CHINESE_SHARE})"
            ));
        }
        if !lang.starts_with("zh") && share > MAX_CHINESE_SHARE_IN_ENGLISH {
            problem(format!(
                "{share:.2} of the words are Chinese (at most {MAX_CHINESE_SHARE_IN_ENGLISH})"
            ));
        }
        for uri in links_to_the_print_server(&bytes) {
            problem(format!(
                "a link leads to {uri}, the print server, gone once the PDF is written"
            ));
        }
        if !text.contains(CODE) {
            problem(format!("the text has no {CODE:?}: the code is missing"));
        }
        let print_page = std::fs::read_to_string(edition.dir.join("print.html"))?;
        let letters: Vec<char> = letters_only(&text).chars().collect();
        let figures = figure_titles(&edition.dir, &print_page)?;
        for (figure, title) in &figures {
            if !shows(&letters, title) {
                problem(format!("the figure {figure} (titled {title:?}) is missing"));
            }
        }
        println!("    and the titles of its {} figures", figures.len());
    }
    ensure!(
        problems.is_empty(),
        "the PDFs are not right:\n{}",
        problems.join("\n")
    );
    Ok(())
}

fn stdout(c: &mut Command) -> Result<String> {
    Ok(String::from_utf8_lossy(&cmd::output(c)?.stdout).into_owned())
}

/// `Pages:          178` in pdfinfo's report.
fn pages(info: &str) -> Option<u64> {
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
}

/// The `/Count` of the outline's root (`<</Type /Outlines ... /Count N>>`),
/// which Chromium writes uncompressed.
fn outline_entries(pdf: &[u8]) -> Option<u64> {
    let pdf = String::from_utf8_lossy(pdf);
    let root = pdf.split_once("/Type /Outlines")?.1;
    let root = root.split(">>").next()?;
    let count = root.split_once("/Count")?.1;
    count.trim().parse().ok()
}

/// The `/Lang (...)` of the document catalog: the page's `lang`.
fn document_language(pdf: &[u8]) -> Option<String> {
    let pdf = String::from_utf8_lossy(pdf);
    let catalog = pdf.split_once("/Type /Catalog")?.1;
    let catalog = catalog.split("endobj").next()?;
    let lang = catalog.split_once("/Lang (")?.1;
    Some(lang.split(')').next()?.to_string())
}

/// The PDF's links (`/URI (...)`, uncompressed) to a loopback address
/// other than `cargo xtask serve`'s: the server that book-web started to
/// print the page from.
fn links_to_the_print_server(pdf: &[u8]) -> Vec<String> {
    let pdf = String::from_utf8_lossy(pdf);
    pdf.split("/URI (")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|uri| {
            uri.starts_with("http://127.0.0.1:") && !uri.starts_with("http://127.0.0.1:3000/")
        })
        .map(str::to_string)
        .collect()
}

/// Han characters against all words, each Han character counted as one
/// word and each run of Latin letters as one.
fn chinese_share(text: &str) -> f64 {
    let han = text.chars().filter(|&c| is_han(c)).count();
    let mut latin = 0;
    let mut in_word = false;
    for c in text.chars() {
        let letter = c.is_ascii_alphabetic();
        if letter && !in_word {
            latin += 1;
        }
        in_word = letter;
    }
    if han + latin == 0 {
        return 0.0;
    }
    han as f64 / (han + latin) as f64
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// The letters of `text` (any script), ligatures spelt out: PDF text
/// breaks lines, swaps dashes and spaces, and places some digits apart.
fn letters_only(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\u{fb00}' => out.push_str("ff"),
            '\u{fb01}' => out.push_str("fi"),
            '\u{fb02}' => out.push_str("fl"),
            '\u{fb03}' => out.push_str("ffi"),
            '\u{fb04}' => out.push_str("ffl"),
            c if c.is_alphabetic() => out.push(c),
            _ => {}
        }
    }
    out
}

/// Whether a figure's title is in the PDF's text (`letters`, from
/// `letters_only`): some stretch of it differs from the title's letters by
/// at most a quarter of them (Sellers' approximate matching). Exact
/// matching fails on good figures: pdftotext puts a legend's word inside a
/// title's line, and reads some CJK characters as the look-alike Kangxi
/// radicals that share their glyph (⼼ for 心).
fn shows(letters: &[char], title: &str) -> bool {
    let title: Vec<char> = letters_only(title).chars().collect();
    if title.is_empty() {
        return true;
    }
    let allowed = title.len() / 4;
    // column[i]: the fewest edits that turn title[..i] into a stretch of
    // the text that ends here.
    let mut column: Vec<usize> = (0..=title.len()).collect();
    for &c in letters {
        let mut diagonal = column[0];
        for i in 1..=title.len() {
            let substituted = diagonal + usize::from(title[i - 1] != c);
            diagonal = column[i];
            column[i] = substituted.min(column[i] + 1).min(column[i - 1] + 1);
        }
        if column[title.len()] <= allowed {
            return true;
        }
    }
    false
}

/// The SVG figures that `print_page` shows, each with its title: the text
/// of its first `<text>` element, tags inside it removed.
fn figure_titles(edition: &Path, print_page: &str) -> Result<Vec<(String, String)>> {
    let mut figures = Vec::new();
    for img in print_page.split("<img ").skip(1) {
        let Some(src) = img
            .split_once("src=\"")
            .and_then(|(_, rest)| rest.split('"').next())
        else {
            continue;
        };
        if !src.ends_with(".svg") || src.contains("://") {
            continue;
        }
        let svg = std::fs::read_to_string(edition.join(src))
            .with_context(|| format!("reading the figure {src}"))?;
        let Some(text) = svg
            .split_once("<text")
            .and_then(|(_, rest)| rest.split_once('>'))
            .and_then(|(_, rest)| rest.split_once("</text>"))
            .map(|(inner, _)| without_tags(inner))
        else {
            continue;
        };
        figures.push((src.to_string(), text));
    }
    Ok(figures)
}

fn without_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_han_character_and_each_latin_word() {
        assert_eq!(chinese_share("本书讲解"), 1.0);
        assert_eq!(chinese_share("fn main() { println!(\"hi\"); }"), 0.0);
        // 2 Han characters, 2 words (`cargo`, `run`).
        assert_eq!(chinese_share("运行 cargo run"), 0.5);
        assert_eq!(chinese_share("1 2 3"), 0.0);
    }

    #[test]
    fn reads_pages_outline_and_language() {
        assert_eq!(pages("Tagged:  yes\nPages:           178\n"), Some(178));
        let pdf = b"1 0 obj\n<</Type /Outlines\n/First 2 0 R\n/Count 119>>\nendobj\n\
                    3 0 obj\n<</Type /Catalog\n/Pages 4 0 R\n/Lang (zh-CN)>>\nendobj\n";
        assert_eq!(outline_entries(pdf), Some(119));
        assert_eq!(document_language(pdf).as_deref(), Some("zh-CN"));
        assert_eq!(outline_entries(b"<</Type /Catalog>>"), None);
        // A /Lang elsewhere (a structure element) is not the document's.
        assert_eq!(
            document_language(b"<</S /P /Lang (en)>>\n<</Type /Catalog>>\nendobj"),
            None
        );
    }

    #[test]
    fn finds_links_to_the_print_server() {
        let pdf = b"<</URI (https://docs.rs/tokio)>> <</URI (http://127.0.0.1:3000/)>>\n\
                    <</URI (http://127.0.0.1:45663/pdf/distributed-programming-in-rust-en.pdf)>>";
        assert_eq!(
            links_to_the_print_server(pdf),
            ["http://127.0.0.1:45663/pdf/distributed-programming-in-rust-en.pdf"]
        );
    }

    #[test]
    fn a_figure_title_is_found_as_pdftotext_writes_it() {
        let letters = |t: &str| letters_only(t).chars().collect::<Vec<_>>();
        // What pdftotext made of three titles of the book's figures.
        let title = without_tags("p<tspan>99</tspan> latency, µs (min–max of the rounds)");
        assert!(shows(
            &letters("x\np latency, µs (min‒max of the rounds)\n99"),
            &title
        ));
        let title = "latency at 2000 requests/s offered, µs (median of the rounds)";
        let text = "latency at\n\ndirect\n\nrequests/s o\u{fb00}ered, µs (median of the rounds)";
        assert!(shows(&letters(text), title));
        let title = "朴素核心的一次运行：客户端做了什么、得到了什么答复";
        let text = "朴素核\u{2f3c}的\u{2f00}次运\u{2f8f}：客\u{2f3e}端做了什么、得到了什么答复";
        assert!(shows(&letters(text), title));
        // And a figure that is not there.
        assert!(!shows(
            &letters("requests per second, and a median latency"),
            title
        ));
        assert!(!shows(
            &letters("p latency"),
            "goodput against offered load"
        ));
    }
}
