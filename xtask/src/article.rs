//! The book retells the article and never copies it. This check reads the
//! article (in `../shared/article/`, beside the repository, when it is
//! there) and fails when the Chinese edition shares a run of 12 or more
//! Chinese characters with it outside its section titles (the chapters
//! carry those titles on purpose), or when a Go program shares three
//! consecutive non-blank lines with one of its code blocks (lines that
//! every Go program has, such as `package main`, do not count).

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Result, ensure};
use walkdir::WalkDir;

/// The shortest shared run of Chinese characters that counts as copied.
const RUN: usize = 12;
/// The shortest shared run of code lines that counts as copied.
const LINES: usize = 3;

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}')
}

/// Every window of `RUN` characters in the article's prose, outside its
/// code blocks, but for those of its section titles (`# ...`), which the
/// chapters carry wherever the article repeats them.
fn prose_windows(article: &str) -> HashSet<String> {
    let windows_of = |line: &str| -> Vec<String> {
        let chars: Vec<char> = line.chars().collect();
        chars
            .split(|c| !is_cjk(*c))
            .flat_map(|run| {
                run.windows(RUN)
                    .map(|w| w.iter().collect())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let titles: HashSet<String> = article
        .lines()
        .filter(|l| l.starts_with('#'))
        .flat_map(windows_of)
        .collect();
    let mut windows = HashSet::new();
    let mut in_code = false;
    for line in article.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code || line.starts_with('#') {
            continue;
        }
        windows.extend(windows_of(line).into_iter().filter(|w| !titles.contains(w)));
    }
    windows
}

/// A line every Go program has: it proves nothing when shared.
fn boilerplate(line: &str) -> bool {
    matches!(line, "{" | "}" | "(" | ")" | "import (" | "func main() {")
        || line.starts_with("package ")
        || (line.starts_with('"') && line.ends_with('"'))
        || line.starts_with("import \"")
}

/// Every `LINES` consecutive non-blank, trimmed lines of the article's
/// code blocks.
fn code_windows(article: &str) -> HashSet<Vec<String>> {
    let mut windows = HashSet::new();
    let mut block: Vec<String> = Vec::new();
    let mut in_code = false;
    for line in article.lines() {
        if line.trim_start().starts_with("```") {
            if in_code {
                for w in block.windows(LINES) {
                    windows.insert(w.to_vec());
                }
                block.clear();
            }
            in_code = !in_code;
        } else if in_code && !line.trim().is_empty() && !boilerplate(line.trim()) {
            block.push(line.trim().to_string());
        }
    }
    windows
}

/// The Chinese edition's texts: each translated message (a po entry's
/// `msgstr`, its lines joined) and each Chinese quiz file.
fn chinese_texts(root: &Path) -> Result<Vec<(String, String)>> {
    let mut texts = Vec::new();
    let po = std::fs::read_to_string(root.join("po/zh-CN.po"))?;
    for entry in po.split("\n\n") {
        if let Some(i) = entry.find("msgstr ") {
            let text: String = entry[i..]
                .lines()
                .filter_map(|l| {
                    l.split_once('"')
                        .map(|(_, rest)| rest.trim_end_matches('"'))
                })
                .collect();
            texts.push(("po/zh-CN.po".to_string(), text));
        }
    }
    for e in WalkDir::new(root.join("quizzes/zh-CN"))
        .into_iter()
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "toml") {
            let name = e
                .path()
                .strip_prefix(root)
                .unwrap_or(e.path())
                .display()
                .to_string();
            texts.push((name, std::fs::read_to_string(e.path())?));
        }
    }
    Ok(texts)
}

pub fn check(root: &Path) -> Result<()> {
    let dir = root.join("../shared/article");
    if !dir.is_dir() {
        println!(
            "NOT RUN: the article is not at {} (it is in CI)",
            dir.display()
        );
        return Ok(());
    }
    let mut articles = Vec::new();
    for e in WalkDir::new(&dir).into_iter().flatten() {
        if e.file_type().is_file() {
            articles.push(std::fs::read_to_string(e.path())?);
        }
    }
    let mut problems = Vec::new();
    let prose: HashSet<String> = articles.iter().flat_map(|a| prose_windows(a)).collect();
    for (file, text) in chinese_texts(root)? {
        let chars: Vec<char> = text.chars().collect();
        if let Some(w) = chars
            .windows(RUN)
            .map(|w| w.iter().collect::<String>())
            .find(|w| prose.contains(w))
        {
            problems.push(format!("{file}: shares {w:?} with the article"));
        }
    }
    let code: HashSet<Vec<String>> = articles.iter().flat_map(|a| code_windows(a)).collect();
    for e in WalkDir::new(root.join("listings")).into_iter().flatten() {
        if e.path().extension().is_none_or(|x| x != "go") {
            continue;
        }
        let lines: Vec<String> = std::fs::read_to_string(e.path())?
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty() && !boilerplate(l))
            .collect();
        if let Some(w) = lines.windows(LINES).find(|w| code.contains(*w)) {
            let file = e.path().strip_prefix(root).unwrap_or(e.path()).display();
            problems.push(format!(
                "{file}: shares these lines with the article: {w:?}"
            ));
        }
    }
    ensure!(
        problems.is_empty(),
        "the book copies the article (retell it instead):\n{}",
        problems.join("\n")
    );
    println!(
        "nothing copied from the article: no run of {RUN} Chinese characters, no {LINES} lines of code"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_code_are_told_apart_from_prose() {
        let article = "# 一二三四五六七八九十十一十二\n节点可以是服务器、客户端或其他设备。\n```go\na := 1\n\nb := 2\nc := 3\n```\n";
        let prose = prose_windows(article);
        assert!(prose.contains("节点可以是服务器、客户端"));
        assert!(!prose.contains("一二三四五六七八九十十一"));
        let code = code_windows(article);
        assert!(code.contains(&vec!["a := 1".into(), "b := 2".into(), "c := 3".into()]));
    }
}
