//! Every correction of the article has its row in the errata appendix, and
//! every row leads to a correction. A correction is a quote that opens with
//! `> **Correction:**` in a chapter (`src/chNN-*.md`); its place is the
//! nearest anchor at or before it (a heading's `{#id}`, or an HTML
//! `id="..."`). A row of `src/appendix-errata.md` links to a place as
//! `chNN-*.md#id`. The check fails when a place has more corrections than
//! rows or more rows than corrections, when a correction has no anchor
//! before it, and when a row links to no place or to an anchor that the
//! page does not have. The Chinese edition is built from the same pages
//! through the catalog, with the anchors kept, so checking the English
//! source checks both; the suite's link check sees the built anchors.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};

const MARK: &str = "> **Correction:**";
const APPENDIX: &str = "appendix-errata.md";

/// A place: a chapter's file name and an anchor in it.
type Place = (String, String);

pub fn check(root: &Path) -> Result<()> {
    let src = root.join("src");
    let mut corrections: BTreeMap<Place, usize> = BTreeMap::new();
    let mut anchors: BTreeSet<Place> = BTreeSet::new();
    let mut pages: Vec<String> = std::fs::read_dir(&src)?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("ch") && n.ends_with(".md"))
        .collect();
    pages.sort();
    for page in &pages {
        let text = std::fs::read_to_string(src.join(page))
            .with_context(|| format!("reading src/{page}"))?;
        let (found, ids) = corrections_in(page, &text)?;
        for place in found {
            *corrections.entry(place).or_default() += 1;
        }
        anchors.extend(ids.into_iter().map(|id| (page.clone(), id)));
    }

    let appendix = std::fs::read_to_string(src.join(APPENDIX))
        .with_context(|| format!("reading src/{APPENDIX}"))?;
    let rows = rows_in(&appendix)?;
    let mut problems = Vec::new();
    for (place, _) in rows.iter().filter(|(p, _)| !anchors.contains(p)) {
        problems.push(format!(
            "src/{APPENDIX}: a row links to {}#{}, which is not an anchor of that page",
            place.0, place.1
        ));
    }
    let places: BTreeSet<&Place> = corrections.keys().chain(rows.keys()).collect();
    for place in places {
        let (c, r) = (
            corrections.get(place).copied().unwrap_or(0),
            rows.get(place).copied().unwrap_or(0),
        );
        if c != r {
            problems.push(format!(
                "{}#{}: {c} correction(s) in the page, {r} row(s) in src/{APPENDIX} link there",
                place.0, place.1
            ));
        }
    }
    ensure!(
        problems.is_empty(),
        "corrections and errata rows do not match:\n  {}",
        problems.join("\n  ")
    );
    println!(
        "{} corrections in {} pages, each with its row in the errata, and no other row",
        corrections.values().sum::<usize>(),
        pages.len()
    );
    Ok(())
}

/// The places of a page's corrections (one entry per correction), and
/// every anchor of the page.
fn corrections_in(page: &str, text: &str) -> Result<(Vec<Place>, Vec<String>)> {
    let mut found = Vec::new();
    let mut ids = Vec::new();
    let mut in_code = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        ids.extend(anchors_in(line));
        if line.starts_with(MARK) {
            match ids.last() {
                Some(id) => found.push((page.to_string(), id.clone())),
                None => bail!("src/{page}:{}: a correction before any anchor", n + 1),
            }
        }
    }
    Ok((found, ids))
}

/// The anchors a line defines: `{#id}` at the end of a heading, and HTML
/// `id="id"` attributes.
fn anchors_in(line: &str) -> Vec<String> {
    let mut ids = Vec::new();
    if line.starts_with('#')
        && let Some(start) = line.rfind("{#")
        && let Some(end) = line[start..].find('}')
    {
        ids.push(line[start + 2..start + end].to_string());
    }
    let mut rest = line;
    while let Some(i) = rest.find(" id=\"") {
        rest = &rest[i + 5..];
        if let Some(end) = rest.find('"') {
            ids.push(rest[..end].to_string());
        }
    }
    ids
}

/// How many rows of the appendix's tables link to each place. A row is a
/// table line other than the header and the separator; each links to
/// exactly one place in a chapter.
fn rows_in(appendix: &str) -> Result<BTreeMap<Place, usize>> {
    let mut rows = BTreeMap::new();
    let table_lines = appendix.lines().filter(|l| l.starts_with('|'));
    for line in table_lines.filter(|l| !l.starts_with("| ---") && !l.starts_with("| Section")) {
        let links: Vec<Place> = line
            .split("](")
            .skip(1)
            .filter_map(|s| s.split_once(')'))
            .filter_map(|(target, _)| target.split_once('#'))
            .filter(|(file, _)| file.starts_with("ch"))
            .map(|(file, id)| (file.to_string(), id.to_string()))
            .collect();
        ensure!(
            links.len() == 1,
            "src/{APPENDIX}: a row must link to one place in a chapter, this one links to {}: {line}",
            links.len()
        );
        *rows.entry(links[0].clone()).or_default() += 1;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_correction_belongs_to_the_nearest_anchor_before_it() {
        let page = "# Title {#top}\n\n> **Correction:** one\n\n## Next {#next}\n\n\
                    ```text\n> **Correction:** in code\n```\n\n> **Correction:** two\n";
        let (found, ids) = corrections_in("ch01.md", page).unwrap();
        let place = |id: &str| ("ch01.md".to_string(), id.to_string());
        assert_eq!(found, vec![place("top"), place("next")]);
        assert_eq!(ids, vec!["top", "next"]);
        assert!(corrections_in("ch01.md", "> **Correction:** orphan\n").is_err());
    }

    #[test]
    fn the_book_s_corrections_and_rows_match() {
        check(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()).unwrap();
    }

    #[test]
    fn each_row_links_to_one_place() {
        let table = "| Section | The article says | The correction |\n| --- | --- | --- |\n\
                     | 1 | `a` | [b](ch01-x.md#go) |\n| 2 | c | [d](ch01-x.md#go) |\n";
        let rows = rows_in(table).unwrap();
        assert_eq!(rows[&("ch01-x.md".to_string(), "go".to_string())], 2);
        assert!(rows_in("| 1 | a | no link |\n").is_err());
    }
}
