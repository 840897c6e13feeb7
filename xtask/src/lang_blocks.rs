//! Each edition keeps only its own language's result blocks.
//!
//! The generated results pages (src/bench/*.md) hold one block per
//! edition, `<div class="bench-results" lang="en">` and `lang="zh-CN"`,
//! and the pages include them with `{{#include}}`. The stylesheet hides the
//! other language's block, but mdBook's search indexes every element of a
//! page, hidden or not, so the Chinese search found the English tables
//! (and the English search the Chinese ones). gettext cannot choose
//! between them: it runs after `{{#include}}` and leaves HTML blocks alone.
//! So the editions that `cargo xtask` builds run this mdBook preprocessor
//! after `links`: it drops every block of another language from each
//! chapter, before the page is rendered and indexed. (`mdbook serve` alone
//! does not run it; its pages still show the right block through the
//! stylesheet.)

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use serde_json::Value;

/// The preprocessor's name in the book's configuration.
pub const NAME: &str = "lang-blocks";

/// The opening line of a results block, up to its language.
const OPENING: &str = "<div class=\"bench-results\" lang=\"";

/// `content` without the results blocks of any language but `lang`. A
/// block runs from its opening line to the `</div>` that closes it.
pub fn keep_language(content: &str, lang: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut depth = 0usize;
    for line in content.split_inclusive('\n') {
        let trimmed = line.trim();
        if depth == 0 {
            match trimmed.strip_prefix(OPENING) {
                Some(rest) if !rest.starts_with(&format!("{lang}\"")) => depth = 1,
                _ => out.push_str(line),
            }
            continue;
        }
        depth += trimmed.matches("<div").count();
        depth -= trimmed.matches("</div>").count().min(depth);
    }
    out
}

/// Applies [`keep_language`] to every chapter of an mdBook `Book` (its JSON).
fn rewrite(item: &mut Value, lang: &str) {
    match item {
        Value::Object(map) => {
            if let Some(Value::String(content)) = map.get_mut("content") {
                *content = keep_language(content, lang);
            }
            for value in map.values_mut() {
                rewrite(value, lang);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| rewrite(i, lang)),
        _ => {}
    }
}

/// Runs as mdBook's preprocessor: `supports RENDERER` answers yes; without
/// arguments, reads `[context, book]` on stdin and writes the book.
pub fn run(args: &[String]) -> Result<()> {
    if args.first().is_some_and(|a| a == "supports") {
        return Ok(());
    }
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let value: Value = serde_json::from_str(&input).context("mdBook's [context, book]")?;
    let [context, book] =
        <[Value; 2]>::try_from(value.as_array().cloned().context("mdBook sends an array")?)
            .map_err(|_| anyhow::anyhow!("mdBook sends [context, book]"))?;
    let lang = context["config"]["book"]["language"]
        .as_str()
        .unwrap_or("en");
    let mut book = book;
    rewrite(&mut book, lang);
    serde_json::to_writer(std::io::stdout(), &book)?;
    Ok(())
}

/// A built edition's pages (and so its search index, made from the same
/// chapters) hold no results block of another language.
pub fn check_edition(dir: &Path, lang: &str) -> Result<()> {
    let mut strays = Vec::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry?;
        if entry.path().extension().is_some_and(|e| e == "html") {
            let html = std::fs::read_to_string(entry.path())?;
            for rest in html.split(OPENING).skip(1) {
                if !rest.starts_with(&format!("{lang}\"")) {
                    strays.push(entry.path().display().to_string());
                    break;
                }
            }
        }
    }
    ensure!(
        strays.is_empty(),
        "the {lang} edition has another language's results blocks (the \
         {NAME} preprocessor did not run?):\n{}",
        strays.join("\n")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "Text.\n\n\
        <div class=\"bench-results\" lang=\"en\">\n<table>\n<tr><td>direct</td></tr>\n</table>\n</div>\n\
        <div class=\"bench-results\" lang=\"zh-CN\">\n<table>\n<tr><td>直连</td></tr>\n</table>\n</div>\n\
        \nMore text.\n";

    #[test]
    fn each_edition_keeps_its_own_block() {
        let zh = keep_language(PAGE, "zh-CN");
        assert!(zh.contains("直连") && !zh.contains("direct"), "{zh}");
        assert!(zh.starts_with("Text.\n") && zh.ends_with("\nMore text.\n"));
        let en = keep_language(PAGE, "en");
        assert!(en.contains("direct") && !en.contains("直连"), "{en}");
        assert_eq!(keep_language("no blocks\n", "en"), "no blocks\n");
    }

    #[test]
    fn a_built_page_with_another_language_fails() {
        let dir = std::env::temp_dir().join(format!("lang-blocks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ch.html"), PAGE).unwrap();
        assert!(check_edition(&dir, "zh-CN").is_err());
        std::fs::write(dir.join("ch.html"), keep_language(PAGE, "zh-CN")).unwrap();
        assert!(check_edition(&dir, "zh-CN").is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_chapter_of_the_book() {
        let mut book = serde_json::json!({"items": [{"Chapter": {
            "content": PAGE,
            "sub_items": [{"Chapter": {"content": PAGE, "sub_items": []}}]}}]});
        rewrite(&mut book, "zh-CN");
        let text = book.to_string();
        assert!(!text.contains("direct") && text.matches("直连").count() == 2);
    }
}
