//! The Chinese edition is po/zh-CN.po, a gettext catalog of the English
//! pages' messages. The suite regenerates the template from the English
//! source and fails when the catalog is incomplete, fuzzy or stale.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

use crate::{cmd, tools};

/// The translated editions: every edition but the English source.
fn translations() -> impl Iterator<Item = &'static str> {
    crate::book::EDITIONS
        .iter()
        .map(|(lang, _)| *lang)
        .filter(|lang| *lang != "en")
}

/// Extracts the English messages into target/pot/xgettext/messages.pot.
pub fn generate_pot(root: &Path) -> Result<PathBuf> {
    let out = root.join("target/pot");
    let mut c = tools::mdbook(root);
    // Granularity 0: file names without line numbers, so that editing one
    // paragraph does not touch the references of every message below it.
    c.env("MDBOOK_OUTPUT__XGETTEXT__POT_FILE", "messages.pot")
        .env("MDBOOK_OUTPUT__XGETTEXT__GRANULARITY", "0")
        .arg("build")
        .arg("-d")
        .arg(&out);
    cmd::output(&mut c)?;
    Ok(out.join("xgettext/messages.pot"))
}

/// One message of a catalog.
#[derive(Debug, Default)]
pub struct Message {
    pub msgid: String,
    pub msgstr: String,
    pub fuzzy: bool,
    pub obsolete: bool,
}

/// A small reader for the po format that gettext and mdbook-xgettext write:
/// `msgid`/`msgstr` with continuation strings, `#,` flags, `#~` obsolete.
pub fn parse(text: &str) -> Vec<Message> {
    let mut out = Vec::new();
    let mut current = Message::default();
    let mut field: Option<&str> = None;
    let mut started = false;
    let flush = |m: &mut Message, out: &mut Vec<Message>, started: &mut bool| {
        if *started {
            out.push(std::mem::take(m));
        }
        *started = false;
    };
    for raw in text.lines() {
        let (line, obsolete) = match raw.strip_prefix("#~") {
            Some(rest) => (rest.trim_start(), true),
            None => (raw, false),
        };
        if line.trim().is_empty() {
            flush(&mut current, &mut out, &mut started);
            field = None;
            continue;
        }
        if line.starts_with("#,") {
            if field == Some("msgstr") {
                flush(&mut current, &mut out, &mut started);
            }
            current.fuzzy |= line.contains("fuzzy");
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("msgid ") {
            if field == Some("msgstr") {
                flush(&mut current, &mut out, &mut started);
            }
            started = true;
            current.obsolete = obsolete;
            current.msgid = unquote(rest);
            field = Some("msgid");
        } else if let Some(rest) = line.strip_prefix("msgstr ") {
            current.msgstr = unquote(rest);
            field = Some("msgstr");
        } else if line.starts_with('"') {
            match field {
                Some("msgid") => current.msgid.push_str(&unquote(line)),
                Some("msgstr") => current.msgstr.push_str(&unquote(line)),
                _ => {}
            }
        }
    }
    flush(&mut current, &mut out, &mut started);
    out
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let s = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s);
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Complete (every message translated, none fuzzy) and current (the same
/// messages as the template made from today's English pages).
pub fn check(root: &Path) -> Result<()> {
    let pot = generate_pot(root)?;
    let template: BTreeSet<String> = parse(&std::fs::read_to_string(&pot)?)
        .into_iter()
        .filter(|m| !m.msgid.is_empty())
        .map(|m| m.msgid)
        .collect();
    for lang in translations() {
        let file = root.join(format!("po/{lang}.po"));
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let catalog: BTreeMap<String, Message> = parse(&text)
            .into_iter()
            .filter(|m| !m.msgid.is_empty())
            .map(|m| (m.msgid.clone(), m))
            .collect();
        let mut problems = Vec::new();
        for id in &template {
            match catalog.get(id) {
                None => problems.push(format!("missing: {id:?}")),
                Some(m) if m.obsolete => problems.push(format!("missing (only obsolete): {id:?}")),
                Some(m) if m.msgstr.is_empty() => problems.push(format!("untranslated: {id:?}")),
                Some(m) if m.fuzzy => problems.push(format!("fuzzy: {id:?}")),
                Some(_) => {}
            }
        }
        for (id, m) in &catalog {
            if !template.contains(id) {
                let what = if m.obsolete {
                    "obsolete entry left in the catalog"
                } else {
                    "stale"
                };
                problems.push(format!("{what} (no longer in the English pages): {id:?}"));
            }
        }
        ensure!(
            problems.is_empty(),
            "{} is not complete and current ({} problems); run `cargo xtask update-po` \
             and translate:\n{}",
            file.display(),
            problems.len(),
            problems.join("\n")
        );
        println!(
            "{}: {} messages, all translated and current",
            file.display(),
            template.len()
        );
    }
    Ok(())
}

/// Regenerates the template and merges it into each catalog (gettext's
/// msgmerge): new messages arrive empty, changed ones as fuzzy.
pub fn update(root: &Path) -> Result<()> {
    tools::install(root)?;
    let pot = generate_pot(root)?;
    for lang in translations() {
        let file = root.join(format!("po/{lang}.po"));
        if !file.exists() {
            cmd::run(
                Command::new("msginit")
                    .args(["--no-translator", "--locale", lang, "--input"])
                    .arg(&pot)
                    .arg("--output-file")
                    .arg(&file),
            )?;
        }
        cmd::run(
            Command::new("msgmerge")
                .args(["--update", "--backup=none"])
                .arg(&file)
                .arg(&pot),
        )
        .context("msgmerge is part of gettext (Debian package gettext)")?;
        // Drop what no English page says any more.
        cmd::run(
            Command::new("msgattrib")
                .args(["--no-obsolete", "--output-file"])
                .arg(&file)
                .arg(&file),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOG: &str = r#"msgid ""
msgstr ""
"Language: zh-CN\n"

#: src/a.md
msgid ""
"A long message "
"on two lines"
msgstr "一条分两行的"
"长消息"

#, fuzzy
msgid "Changed"
msgstr "旧的翻译"

msgid "New"
msgstr ""

#~ msgid "Gone"
#~ msgstr "已删除"
"#;

    #[test]
    fn reads_continuations_flags_and_obsolete_entries() {
        let messages = parse(CATALOG);
        assert_eq!(messages.len(), 5);
        assert_eq!(messages[1].msgid, "A long message on two lines");
        assert_eq!(messages[1].msgstr, "一条分两行的长消息");
        assert!(!messages[1].fuzzy);
        assert!(messages[2].fuzzy && messages[2].msgid == "Changed");
        assert!(messages[3].msgstr.is_empty());
        assert!(messages[4].obsolete && messages[4].msgid == "Gone");
    }

    #[test]
    fn unquotes_escapes() {
        assert_eq!(unquote(r#""a \"b\"\n""#), "a \"b\"\n");
    }
}
