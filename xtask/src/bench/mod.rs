//! `cargo xtask bench`: the book's measurements, from run to page.
//!
//! The pipeline, one module per stage:
//!
//! 1. **measure** — a chapter's harness ([`ch09`], [`ch10`]) runs the
//!    programs with the tools of [`measure`] (wrk, callgrind, the machine's
//!    description), whose reports [`parse`] turns into numbers;
//! 2. **results file** — the numbers, the settings and the machine, as JSON
//!    in `bench/` (written by `cargo xtask bench [chapter]`, never by the
//!    suite);
//! 3. **render** — the chapter's `page` function describes its tables and
//!    figures in terms of label keys, and [`crate::results`] renders them
//!    for both editions;
//! 4. **page** — `src/bench/NAME.md` (included by the chapter) and one SVG
//!    per figure and edition.
//!
//! The suite's smoke run (`--smoke`) runs every harness once, briefly, on
//! the debug build, into target/bench-smoke/, so that no harness rots, and
//! checks that the committed pages are what the committed results render
//! to. A new chapter adds a module with its harness, its labels and its
//! `page`, and an entry in [`CHAPTERS`]; no drawing code.

pub mod ch09;
pub mod ch10;
pub mod ch10_history;
pub mod ch11;
pub mod ch12;
pub mod measure;
pub mod parse;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::listings::Build;
use crate::results::{self, Page};

/// What the pipeline needs to know about a chapter's results.
pub struct Chapter {
    /// The committed results file, from the repository's root.
    pub results: &'static str,
    /// The smoke run's results file, in target/bench-smoke/.
    pub smoke_results: &'static str,
    /// The chapter's tables and figures from its results.
    pub page: fn(&Value) -> Result<Page>,
    /// The results as a table for the terminal.
    pub summary: fn(&Value) -> Result<()>,
    /// How to make the page again when it differs from its results.
    pub regenerate: &'static str,
}

/// Every chapter with measured results.
pub const CHAPTERS: [&Chapter; 5] = [
    &ch09::CHAPTER,
    &ch10::CHAPTER,
    &ch10_history::CHAPTER,
    &ch11::CHAPTER,
    &ch12::CHAPTER,
];

/// Where the pages and figures go: src/bench/.
pub fn figures_dir(root: &Path) -> PathBuf {
    root.join("src/bench")
}

fn smoke_dir(root: &Path) -> PathBuf {
    root.join("target/bench-smoke")
}

pub fn read(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Stores a measurement and its rendering: into bench/ and src/bench/, or
/// for a smoke run into target/bench-smoke/. Renders first, so that results
/// the renderer cannot read are not stored.
pub fn write(root: &Path, chapter: &Chapter, results: &Value, smoke: bool) -> Result<()> {
    let (json_path, figures) = if smoke {
        (smoke_dir(root).join(chapter.smoke_results), smoke_dir(root))
    } else {
        (root.join(chapter.results), figures_dir(root))
    };
    let files = results::render(&(chapter.page)(results)?)?;
    if let Some(dir) = json_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::create_dir_all(&figures)?;
    std::fs::write(&json_path, serde_json::to_string_pretty(results)? + "\n")?;
    for (name, text) in files {
        std::fs::write(figures.join(&name), text)?;
    }
    (chapter.summary)(results)?;
    println!(
        "wrote {} and the figures in {}",
        json_path.display(),
        figures.strip_prefix(root).unwrap_or(&figures).display()
    );
    Ok(())
}

/// `cargo xtask bench --render`: every chapter's page again from its
/// committed results (after a change to how they are drawn).
pub fn render_all(root: &Path) -> Result<()> {
    for chapter in CHAPTERS {
        let results = read(&root.join(chapter.results))?;
        for (name, text) in results::render(&(chapter.page)(&results)?)? {
            std::fs::write(figures_dir(root).join(name), text)?;
        }
        (chapter.summary)(&results)?;
    }
    Ok(())
}

/// The committed page and figures are exactly what the committed results
/// render to.
pub fn check(root: &Path, chapter: &Chapter) -> Result<()> {
    let results = read(&root.join(chapter.results))?;
    let files = results::render(&(chapter.page)(&results)?)?;
    results::check(&figures_dir(root), &files, chapter.regenerate)?;
    println!("src/bench/ matches {}", chapter.results);
    Ok(())
}

/// The suite's step: every harness once, briefly, on the debug build; then
/// the check of every chapter's page.
pub fn run_smoke(
    root: &Path,
    build: &Build,
    go_bins: &BTreeMap<String, PathBuf>,
    ci: bool,
) -> Result<()> {
    // Chapter 10's proxy benchmark needs no outside tools.
    ch10::run_smoke(root, &ch10::exe(build)?)?;
    // Chapter 10's histories: one run of the scenario (two seconds).
    ch10_history::run_smoke(root, build)?;
    // Chapter 11's overload benchmark and breaker demonstration: none either.
    ch11::run_smoke(root, build)?;
    // Chapter 12's balancers under a slow and a killed replica (about 18
    // seconds; nginx, which the suite has checked for).
    ch12::run_smoke(root, build)?;
    ch09::run_smoke(root, build, go_bins, ci)
}
