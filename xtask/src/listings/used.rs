//! Unused dependencies: every crate a listing's manifest names must be used
//! by its code, or a reader copying the folder out builds (and wonders
//! about) a crate that does nothing.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

/// A listing's Rust files: (path relative to the listing's folder, text),
/// sorted; its `go/` folder and any `target/` folder (from a build run
/// inside it) are not its code.
pub(super) fn sources(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() != 1 || !matches!(e.file_name().to_str(), Some("go" | "target"))
        });
    for entry in walk {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let relative = path.strip_prefix(dir).unwrap_or(path).to_path_buf();
        out.push((relative, text));
    }
    Ok(out)
}

/// The dependencies of `package` (a package of `cargo metadata`) that its
/// code never names, as "`name` in [section]". A crate is named when its
/// Rust name (the `package =` key, or the name with `-` as `_`) starts a
/// path (`tokio::spawn`, `::serde::de`) or follows `use` or `extern crate`.
/// A `[dependencies]` crate counts only in `src/`, where the library and
/// the binaries are (one used only by tests belongs in
/// `[dev-dependencies]`); a `[dev-dependencies]` crate anywhere.
/// A local module of the crate's name would pass for it (no listing has
/// one); a crate whose library is not named after its package, or one
/// declared only to turn on a feature, fails and must be looked at.
pub(super) fn unused_dependencies(package: &Value, sources: &[(PathBuf, String)]) -> Vec<String> {
    let sources: Vec<(&Path, String)> = sources
        .iter()
        .map(|(path, text)| (path.as_path(), code_only(text)))
        .collect();
    let mut unused = Vec::new();
    for dep in package["dependencies"].as_array().into_iter().flatten() {
        let key = dep["rename"]
            .as_str()
            .or(dep["name"].as_str())
            .unwrap_or_default();
        let rust_name = key.replace('-', "_");
        let (section, files): (&str, Vec<&str>) = match dep["kind"].as_str() {
            Some("dev") => (
                "dev-dependencies",
                sources.iter().map(|(_, c)| c.as_str()).collect(),
            ),
            Some("build") => (
                "build-dependencies",
                sources
                    .iter()
                    .filter(|(p, _)| *p == Path::new("build.rs"))
                    .map(|(_, c)| c.as_str())
                    .collect(),
            ),
            _ => (
                "dependencies",
                sources
                    .iter()
                    .filter(|(p, _)| p.starts_with("src"))
                    .map(|(_, c)| c.as_str())
                    .collect(),
            ),
        };
        if !files.iter().any(|code| names_crate(code, &rust_name)) {
            unused.push(format!("`{key}` in [{section}]"));
        }
    }
    unused
}

/// Whether `code` names the crate `name`: `name::…` not after another path
/// segment, `::name::…`, `use name`, `extern crate name`.
fn names_crate(code: &str, name: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(name).any(|(i, _)| {
        let before = code[..i].trim_end();
        let after = &code[i + name.len()..];
        if code[..i].ends_with(is_ident) || after.starts_with(is_ident) {
            return false;
        }
        let ends_word = |text: &str, word: &str| {
            text.strip_suffix(word)
                .is_some_and(|rest| !rest.ends_with(is_ident))
        };
        if ends_word(before, "use") || ends_word(before, "extern crate") {
            return true;
        }
        if !after.trim_start().starts_with("::") {
            return false;
        }
        // `a::name::` is a path inside `a` (`tower::util::`), not the crate.
        match before.strip_suffix("::") {
            Some(head) => !head.trim_end().ends_with(|c: char| is_ident(c) || c == '>'),
            None => true,
        }
    })
}

/// Rust code with its comments removed and the contents of its string and
/// character literals emptied, so that a crate named only in a comment or
/// a string does not count as used. Lifetimes (`'a`) are left as they are.
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let at = |i: usize| c.get(i).copied();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        let prev_ident = i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_');
        match (c[i], at(i + 1)) {
            ('/', Some('/')) => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                let mut depth = 0;
                while i < c.len() {
                    if c[i] == '/' && at(i + 1) == Some('*') {
                        depth += 1;
                        i += 2;
                    } else if c[i] == '*' && at(i + 1) == Some('/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
            }
            ('r', _) | ('b', Some('r')) if !prev_ident && raw_string_end(&c, i).is_some() => {
                i = raw_string_end(&c, i).unwrap_or(c.len());
                out.push_str("\"\"");
            }
            ('"', _) => {
                i += 1;
                while i < c.len() && c[i] != '"' {
                    i += if c[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            // A character literal: `'\n'`, `'\''`, `'x'`; else a lifetime.
            ('\'', Some('\\')) => {
                i += 3;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            }
            ('\'', Some(_)) if at(i + 2) == Some('\'') => {
                i += 3;
                out.push_str("' '");
            }
            (ch, _) => {
                out.push(ch);
                i += 1;
            }
        }
    }
    out
}

/// Where the raw string (`r"…"`, `r#"…"#`, `br"…"`) starting at `i` ends,
/// or `None` when what starts there is not one (`r#type`, `rest`).
fn raw_string_end(c: &[char], i: usize) -> Option<usize> {
    let mut j = i + if c[i] == 'b' { 2 } else { 1 };
    let hashes = c[j..].iter().take_while(|&&ch| ch == '#').count();
    j += hashes;
    if c.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < c.len() {
        if c[j] == '"' && c[j + 1..].iter().take_while(|&&ch| ch == '#').count() >= hashes {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(c.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(deps: &[(&str, Option<&str>, Option<&str>)]) -> Value {
        let deps: Vec<Value> = deps
            .iter()
            .map(|(name, rename, kind)| {
                serde_json::json!({"name": name, "rename": rename, "kind": kind})
            })
            .collect();
        serde_json::json!({"name": "listing-99-01", "dependencies": deps})
    }

    #[test]
    fn a_crate_named_only_in_comments_strings_or_tests_is_unused() {
        let main = r####"//! Uses libc for signals, and thiserror; see `tokio::spawn`.
use anyhow::{Context, Result};
use serde::Serialize;
/* tokio::spawn in a block comment, /* nested */ hyper::Body */
fn main() -> Result<()> {
    let s = "hyper::Body \" libc::kill";
    let c = '"';
    let l: &'static str = r#"libc::kill "# ;
    let q = '\'';
    hyper_util::rt::TokioIo::new(());
    http_client::get();
    tower::util::ServiceExt::ready();
    serde_json::json!({});
    Ok(())
}
"####;
        let sources = vec![
            (PathBuf::from("src/main.rs"), main.to_string()),
            (
                PathBuf::from("tests/t.rs"),
                "use tokio::time;\n".to_string(),
            ),
        ];
        let deps = package(&[
            ("anyhow", None, None),
            ("serde", None, None),
            ("hyper-util", None, None),
            ("ureq", Some("http_client"), None),
            ("tokio", None, None),
            ("hyper", None, None),
            ("libc", None, None),
            ("util", None, None),
            ("tokio", None, Some("dev")),
            ("thiserror", None, Some("dev")),
        ]);
        assert_eq!(
            unused_dependencies(&deps, &sources),
            [
                "`tokio` in [dependencies]",
                "`hyper` in [dependencies]",
                "`libc` in [dependencies]",
                "`util` in [dependencies]",
                "`thiserror` in [dev-dependencies]",
            ]
        );
    }

    #[test]
    fn use_and_extern_crate_name_a_crate_too() {
        let sources = vec![(
            PathBuf::from("src/lib.rs"),
            "extern crate libc;\npub use tracing;\nfn f() { ::serde::de::Error::custom(1); }\n"
                .to_string(),
        )];
        let deps = package(&[
            ("libc", None, None),
            ("tracing", None, None),
            ("serde", None, None),
            ("serde_json", None, None),
        ]);
        assert_eq!(
            unused_dependencies(&deps, &sources),
            ["`serde_json` in [dependencies]"]
        );
    }

    #[test]
    fn the_listing_s_files_are_read_but_not_its_go_or_target_folders() {
        let dir = std::env::temp_dir().join(format!("xtask-used-{}", std::process::id()));
        for (file, text) in [
            ("src/main.rs", "fn main() {}"),
            ("tests/run.rs", "use tokio;"),
            ("go/main.go", "package main"),
            ("target/debug/build/x/out.rs", "use libc;"),
        ] {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let found = sources(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        let found: Vec<PathBuf> = found.unwrap().into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            found,
            [PathBuf::from("src/main.rs"), PathBuf::from("tests/run.rs")]
        );
    }
}
