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
//! to. A new chapter adds a module with its harness (`full`, `smoke`), its
//! labels and its `page`, and an entry in [`CHAPTERS`], from which its
//! subcommand, its smoke run and its rendering follow; no drawing code.

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

/// A chapter with measured results: one entry of [`CHAPTERS`], from which
/// `cargo xtask bench NAME`, the suite's smoke run and `--render` are built.
pub struct Chapter {
    /// The subcommand: `cargo xtask bench NAME` measures this chapter.
    pub name: &'static str,
    /// What `NAME` measures, for `cargo xtask bench --help`.
    pub about: &'static str,
    /// The measurement: release builds, full settings; the results it
    /// returns are stored in [`Chapter::results`] and rendered.
    pub full: fn(&Path) -> Result<Value>,
    /// The suite's brief run on the debug build; its results go to
    /// target/bench-smoke/. `None` when it could not run here (a tool the
    /// smoke run may do without outside CI is missing, as it says).
    pub smoke: fn(&Path, &Smoke) -> Result<Option<Value>>,
    /// Whether the smoke run needs the Go programs built.
    pub needs_go: bool,
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

/// What a smoke run is given: the suite's one build of the workspace and
/// the Go programs (built only when a chosen chapter [`Chapter::needs_go`]).
pub struct Smoke<'a> {
    pub build: &'a Build,
    pub go_bins: &'a BTreeMap<String, PathBuf>,
    /// In CI a missing tool fails the smoke run instead of skipping it.
    pub ci: bool,
}

/// Every chapter with measured results, in the order of the smoke run.
/// The first is what `cargo xtask bench` measures when no chapter is named.
pub const CHAPTERS: &[&Chapter] = &[
    &ch09::CHAPTER,
    &ch10::CHAPTER,
    &ch10_history::CHAPTER,
    &ch11::CHAPTER,
    &ch12::CHAPTER,
];

/// The chapter called `name`.
pub fn chapter(name: &str) -> Result<&'static Chapter> {
    CHAPTERS
        .iter()
        .copied()
        .find(|c| c.name == name)
        .with_context(|| format!("no benchmark called {name:?}"))
}

/// The chapters `cargo xtask bench [NAME] --smoke` runs: the one named, or
/// all of them.
pub fn chosen(name: Option<&str>) -> Result<Vec<&'static Chapter>> {
    match name {
        Some(name) => Ok(vec![chapter(name)?]),
        None => Ok(CHAPTERS.to_vec()),
    }
}

/// `cargo xtask bench [NAME]`: one chapter measured (the first of
/// [`CHAPTERS`] when none is named), its results stored and rendered.
pub fn run_full(root: &Path, name: Option<&str>) -> Result<()> {
    let chapter = match name {
        Some(name) => chapter(name)?,
        None => CHAPTERS[0],
    };
    let results = (chapter.full)(root)?;
    write(root, chapter, &results, false)
}

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

/// The suite's step: every chapter's harness once, briefly, on the debug
/// build, each followed by the check of its committed page.
pub fn run_smoke(
    root: &Path,
    build: &Build,
    go_bins: &BTreeMap<String, PathBuf>,
    ci: bool,
) -> Result<()> {
    let inputs = Smoke { build, go_bins, ci };
    smoke(root, CHAPTERS, &inputs)
}

/// The smoke runs of `chapters`, in order: each stores its results in
/// target/bench-smoke/ (rendered, so that what the page cannot read
/// fails here), then checks the committed page against the committed
/// results.
pub fn smoke(root: &Path, chapters: &[&Chapter], inputs: &Smoke) -> Result<()> {
    for chapter in chapters {
        println!("-- smoke run: {} ({})", chapter.name, chapter.results);
        if let Some(results) = (chapter.smoke)(root, inputs)? {
            write(root, chapter, &results, true)?;
        }
        check(root, chapter)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives one folder below the workspace root")
            .to_path_buf()
    }

    #[test]
    fn one_entry_per_chapter() {
        let mut names: Vec<&str> = CHAPTERS.iter().map(|c| c.name).collect();
        assert_eq!(CHAPTERS[0].name, "performance");
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CHAPTERS.len(), "two chapters share a name");
        for c in CHAPTERS {
            assert_eq!(chapter(c.name).unwrap().results, c.results);
            assert!(c.regenerate.contains("cargo xtask bench"), "{}", c.name);
            assert!(root().join(c.results).exists(), "no {}", c.results);
        }
        assert!(chapter("nonesuch").is_err());
        assert_eq!(chosen(None).unwrap().len(), CHAPTERS.len());
        assert_eq!(
            chosen(Some("proxy")).unwrap()[0].results,
            "bench/ch10-proxy.json"
        );
    }

    /// What the suite's smoke step checks last, without running anything:
    /// every committed page is what its committed results render to.
    #[test]
    fn committed_pages_match_their_results() {
        for c in CHAPTERS {
            check(&root(), c).unwrap();
        }
    }
}
