//! The Chinese edition's terms: one term per concept, checked. A reviewer
//! found the same concept written three ways across chapters 10–12
//! (期限 and 截止时间 for a deadline, 槽位 and 名额 for a concurrency slot,
//! 首部 and 请求头 for a header); this table keeps each choice once made.
//! It is checked on every translation in po/zh-CN.po, on the Chinese
//! quizzes and on the Chinese labels of the benchmark pages, and a failure
//! names the place and the form to replace.

use std::path::Path;

use anyhow::{Context, Result, ensure};

use crate::po;

/// A form the book does not use, the book's term for it, and why.
struct Term {
    forbidden: &'static str,
    term: &'static str,
    why: &'static str,
    /// Pages (as the catalog's `#:` references name them) and quiz files
    /// where the form means something else and is allowed.
    except: &'static [&'static str],
}

const fn t(forbidden: &'static str, term: &'static str, why: &'static str) -> Term {
    Term {
        forbidden,
        term,
        why,
        except: &[],
    }
}

const TERMS: &[Term] = &[
    t("期限", "截止时间", "a deadline is 截止时间 throughout"),
    t("回环", "环回", "loopback is 环回"),
    t(
        "首部",
        "请求头/响应头",
        "HTTP headers are 请求头 and 响应头",
    ),
    t(
        "在途请求",
        "未完成请求",
        "outstanding requests are 未完成请求",
    ),
    t(
        "恢复网络分区",
        "消除分区",
        "healing a partition is 消除分区 (the partition ends; nothing is restored)",
    ),
    t(
        "分区恢复",
        "分区消除",
        "healing a partition is 消除分区 (the partition ends; nothing is restored)",
    ),
    t(
        "被离开",
        "离开的",
        "离开 is intransitive: a replica leaves, it is not left",
    ),
    t(
        "高出约五倍",
        "约为……的五倍",
        "高出五倍 reads as six times; say what it is: 约为……的五倍",
    ),
    t("启动启动器", "运行启动器", "the verb repeats the noun"),
    t(
        "通过气",
        "交换过信息",
        "通气 is colloquial; nodes exchange what they know",
    ),
    t(
        "便宜",
        "开销小/代价低",
        "a cost is 开销 or 代价; 便宜 is a price",
    ),
    t(
        "变冷",
        "冷的/过时的缓存",
        "a cache is cold (冷缓存), it does not turn cold",
    ),
    t(
        "常见问题解答",
        "常见问题与解答",
        "the article's section 6 is 常见问题与解答, and so is its page",
    ),
    Term {
        forbidden: "槽位",
        term: "名额",
        why: "a concurrency slot is 名额; 槽位 is only a G-counter's per-node count \
              (chapter 10) and chapter 3's compare-and-swap cell",
        except: &[
            "src/ch10-cluster.md",
            "quizzes/zh-CN/ch10.toml",
            "src/ch03-core-principles.md",
        ],
    },
];

/// In prose, power of two choices is 随机二选一; `P2C` glosses it once.
const P2C: &str = "P2C";
const P2C_TERM: &str = "随机二选一";
const P2C_GLOSSES: usize = 1;

/// Messages whose translation must contain a text: (msgid, text, why).
const REQUIRED: &[(&str, &str, &str)] = &[(
    "Appendix: Frequently Asked Questions",
    "常见问题与解答",
    "the article's section 6 is 常见问题与解答",
)];

/// A message of the catalog, where it is.
struct Located {
    /// `po/zh-CN.po:LINE (src/page.md ...)`.
    place: String,
    refs: String,
    msgid: String,
    msgstr: String,
}

/// The catalog's live messages with their line and references.
fn located(text: &str, file: &str) -> Result<Vec<Located>> {
    // The n-th `msgid` line starts the n-th message that po::parse reads.
    let mut places = Vec::new();
    let mut refs = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.strip_prefix("#~").map_or(raw, str::trim_start);
        if raw.trim().is_empty() {
            refs.clear();
        } else if let Some(r) = raw.strip_prefix("#:") {
            refs.push_str(r.trim());
            refs.push(' ');
        } else if line.starts_with("msgid ") {
            places.push((n + 1, std::mem::take(&mut refs)));
        }
    }
    let messages = po::parse(text);
    ensure!(
        messages.len() == places.len(),
        "{file}: {} messages but {} msgid lines",
        messages.len(),
        places.len()
    );
    Ok(messages
        .into_iter()
        .zip(places)
        .filter(|(m, _)| !m.obsolete && !m.msgid.is_empty())
        .map(|(m, (line, refs))| Located {
            place: format!("{file}:{line} ({})", refs.trim()),
            refs,
            msgid: m.msgid,
            msgstr: m.msgstr,
        })
        .collect())
}

/// `text` without what is set as code: fenced blocks and `spans`.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                out.push_str(part);
            }
        }
        out.push('\n');
    }
    out
}

/// The forbidden forms in one text: (form, term, why).
fn forbidden_in(text: &str, refs: &str) -> Vec<&'static Term> {
    TERMS
        .iter()
        .filter(|term| text.contains(term.forbidden))
        .filter(|term| !term.except.iter().any(|page| refs.contains(page)))
        .collect()
}

fn problem(place: &str, term: &Term, context: &str) -> String {
    format!(
        "{place}: {:?} → {} ({}){context}",
        term.forbidden, term.term, term.why
    )
}

/// Every problem in a catalog's text.
fn check_catalog(text: &str, file: &str) -> Result<Vec<String>> {
    let messages = located(text, file)?;
    let mut problems = Vec::new();
    let mut glosses = Vec::new();
    for m in &messages {
        for term in forbidden_in(&m.msgstr, &m.refs) {
            let id: String = m.msgid.chars().take(60).collect();
            problems.push(problem(&m.place, term, &format!(", msgid {id:?}")));
        }
        let count = prose(&m.msgstr).matches(P2C).count();
        glosses.extend(std::iter::repeat_n(&m.place, count));
        if let Some((_, text, why)) = REQUIRED.iter().find(|(id, _, _)| *id == m.msgid)
            && !m.msgstr.contains(text)
        {
            problems.push(format!(
                "{}: the translation must say {text:?} ({why})",
                m.place
            ));
        }
    }
    for (id, text, _) in REQUIRED {
        if !messages.iter().any(|m| m.msgid == *id) {
            problems.push(format!("{file}: no message {id:?} (it must say {text:?})"));
        }
    }
    if glosses.len() > P2C_GLOSSES {
        problems.push(format!(
            "{file}: {P2C} outside code {} times (power of two choices is {P2C_TERM} in \
             prose; {P2C} glosses it at most {P2C_GLOSSES} time, as in {P2C_TERM}（{P2C}））:\n  {}",
            glosses.len(),
            glosses
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        ));
    }
    Ok(problems)
}

/// Every problem in a file that is not a catalog, line by line (the Chinese
/// quizzes, the benchmark pages' labels).
fn check_lines(text: &str, file: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for term in forbidden_in(line, file) {
            problems.push(problem(&format!("{file}:{}", n + 1), term, ""));
        }
    }
    problems
}

/// The suite's check: the catalog, the Chinese quizzes and the benchmark
/// labels use the book's terms.
pub fn check(root: &Path) -> Result<()> {
    let mut problems = Vec::new();
    let mut files = 0;
    let catalog = "po/zh-CN.po";
    let text = std::fs::read_to_string(root.join(catalog))
        .with_context(|| format!("reading {catalog}"))?;
    problems.extend(check_catalog(&text, catalog)?);
    // The labels: each chapter's (bench/) and the common ones (results.rs).
    let mut lines = vec!["xtask/src/results.rs".to_string()];
    for folder in ["quizzes/zh-CN", "xtask/src/bench"] {
        for entry in walkdir::WalkDir::new(root.join(folder)).sort_by_file_name() {
            let entry = entry.with_context(|| format!("reading {folder}"))?;
            if entry.file_type().is_file() {
                let path = entry.path().strip_prefix(root).unwrap_or(entry.path());
                lines.push(path.to_string_lossy().into_owned());
            }
        }
    }
    for name in &lines {
        let text =
            std::fs::read_to_string(root.join(name)).with_context(|| format!("reading {name}"))?;
        problems.extend(check_lines(&text, name));
        files += 1;
    }
    ensure!(
        problems.is_empty(),
        "the Chinese edition strays from its terms ({} problems; xtask/src/terms.rs has \
         the table):\n{}",
        problems.len(),
        problems.join("\n")
    );
    println!("the book's terms: {catalog} and {files} other files keep them");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(msgstr: &str) -> String {
        format!(
            "msgid \"\"\nmsgstr \"\"\n\"Language: zh-CN\\n\"\n\n\
             #: src/ch10-cluster.md\nmsgid \"Appendix: Frequently Asked Questions\"\n\
             msgstr \"附录：常见问题与解答\"\n\n\
             #: src/ch12-load-balancing.md\nmsgid \"over loopback\"\nmsgstr \"{msgstr}\"\n"
        )
    }

    #[test]
    fn a_forbidden_form_fails_with_its_place() {
        let problems = check_catalog(&catalog("经过本机回环"), "zh.po").unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("zh.po:10 (src/ch12-load-balancing.md): \"回环\" → 环回"));
        assert!(problems[0].contains("msgid \"over loopback\""));
        assert!(
            check_catalog(&catalog("经过本机环回"), "zh.po")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn p2c_glosses_once_outside_code() {
        let once = catalog("随机二选一（P2C），`--only p2c` 与 `P2C`");
        assert!(check_catalog(&once, "zh.po").unwrap().is_empty());
        let twice = catalog("随机二选一（P2C）……P2C 选中");
        let problems = check_catalog(&twice, "zh.po").unwrap();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("P2C outside code 2 times"),
            "{problems:?}"
        );
    }

    #[test]
    fn an_exception_and_a_required_text() {
        // 槽位 is the G-counter's, in chapter 10, and nowhere else.
        let text = catalog("四个槽位").replace("src/ch12-load-balancing.md", "src/ch10-cluster.md");
        assert!(check_catalog(&text, "zh.po").unwrap().is_empty());
        assert_eq!(
            check_catalog(&catalog("四个槽位"), "zh.po").unwrap().len(),
            1
        );
        let text = catalog("环回").replace("常见问题与解答", "常见问题");
        let problems = check_catalog(&text, "zh.po").unwrap();
        assert!(
            problems[0].contains("must say \"常见问题与解答\""),
            "{problems:?}"
        );
    }

    #[test]
    fn code_is_not_prose() {
        assert_eq!(prose("a `P2C` b\n```\nP2C\n```\nc"), "a  b\nc\n");
        assert_eq!(check_lines("x\n  \"副本 3 的期限\",", "f").len(), 1);
    }

    /// The book itself: po/zh-CN.po, the Chinese quizzes, the labels.
    #[test]
    fn the_book_keeps_its_terms() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        check(root).unwrap();
    }
}
