//! The book itself: building both editions, `mdbook test`, the link check,
//! the browser tests and `cargo xtask serve`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::listings::Build;
use crate::{cmd, tools};

/// (language code, book title). English is the source; the others are
/// translated through po/<code>.po.
pub const EDITIONS: &[(&str, &str)] = &[
    ("en", "Distributed Programming in Rust"),
    ("zh-CN", "Rust 分布式编程"),
];

/// A built edition: its language and its output folder.
pub struct Edition {
    pub lang: String,
    pub dir: PathBuf,
}

/// Builds one edition into `dest`; fails on any warning or error message.
pub fn build_edition(root: &Path, lang: &str, title: &str, dest: &Path) -> Result<()> {
    let mut c = tools::mdbook(root);
    c.arg("build").arg("-d").arg(dest);
    // The 404 page is served for any missing path, so its links are
    // absolute: tell mdBook where the edition lives.
    c.env("MDBOOK_OUTPUT__HTML__SITE_URL", format!("/{lang}/"));
    // Each edition without the other languages' result blocks, which its
    // search would index (xtask/src/lang_blocks.rs).
    let exe = own_copy(root)?;
    let exe = shlex::try_quote(&exe.to_string_lossy())?.into_owned();
    c.env(
        "MDBOOK_PREPROCESSOR__LANG_BLOCKS__COMMAND",
        format!("{exe} {}", crate::lang_blocks::NAME),
    )
    .env("MDBOOK_PREPROCESSOR__LANG_BLOCKS__AFTER", r#"["links"]"#);
    if lang != "en" {
        c.env("MDBOOK_BOOK__LANGUAGE", lang)
            .env("MDBOOK_BOOK__TITLE", title);
        // The 404 page is not a chapter, so gettext never sees it: each
        // translation has its own, src/404.<lang>.md.
        let page = format!("404.{lang}.md");
        ensure!(
            root.join("src").join(&page).exists(),
            "src/{page} is missing"
        );
        c.env("MDBOOK_OUTPUT__HTML__INPUT_404", page);
    }
    let out = cmd::output(&mut c)?;
    let log = String::from_utf8_lossy(&out.stderr);
    print!("{log}");
    let noisy: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .collect();
    ensure!(
        noisy.is_empty(),
        "the {lang} edition built with warnings:\n{}",
        noisy.join("\n")
    );
    crate::lang_blocks::check_edition(dest, lang)
}

/// A copy of the running xtask, for mdBook to call as a preprocessor.
///
/// Not `current_exe()` itself: the suite builds the workspace, which links
/// target/debug/xtask anew when its sources changed, and the running
/// binary's path then names a deleted file ("xtask (deleted)", as a CI run
/// found). On Linux the running image stays readable through
/// /proc/self/exe, so it is copied once per run to target/xtask-self/.
pub fn own_copy(root: &Path) -> Result<PathBuf> {
    static COPY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    if let Some(p) = COPY.get() {
        return Ok(p.clone());
    }
    let source = if cfg!(target_os = "linux") {
        PathBuf::from("/proc/self/exe")
    } else {
        std::env::current_exe().context("the xtask's own path")?
    };
    let dir = root.join("target/xtask-self");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let dest = dir.join(format!(
        "xtask-{}{}",
        std::process::id(),
        std::env::consts::EXE_SUFFIX
    ));
    std::fs::copy(&source, &dest)
        .with_context(|| format!("copying {} to {}", source.display(), dest.display()))?;
    // Copies left by earlier runs: a day old, no `cargo xtask serve` still
    // calls them.
    let day = std::time::Duration::from_secs(24 * 3600);
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if old && e.path() != dest {
            let _ = std::fs::remove_file(e.path());
        }
    }
    Ok(COPY.get_or_init(|| dest).clone())
}

/// Builds every edition under `out/<lang>/` and the root page that sends a
/// reader to one of them.
pub fn build_all(root: &Path, out: &Path) -> Result<Vec<Edition>> {
    let mut editions = Vec::new();
    for (lang, title) in EDITIONS {
        let dir = out.join(lang);
        build_edition(root, lang, title, &dir)?;
        editions.push(Edition {
            lang: lang.to_string(),
            dir,
        });
    }
    std::fs::write(out.join("index.html"), ROOT_PAGE)?;
    // Pages without a favicon link (toc.html) make the browser ask for
    // /favicon.ico; browsers accept a PNG under that name.
    let png = std::fs::read_dir(&editions[0].dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("favicon") && name.ends_with(".png")
        })
        .context("mdBook wrote no favicon")?;
    std::fs::copy(png, out.join("favicon.ico"))?;
    Ok(editions)
}

/// The root page: Chinese readers go to /zh-CN/, everyone else to /en/.
const ROOT_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Distributed Programming in Rust · Rust 分布式编程</title>
<meta http-equiv="refresh" content="3; url=en/index.html">
<script>
  const zh = (navigator.languages || [navigator.language]).some(l => /^zh\b/i.test(l));
  location.replace(zh ? "zh-CN/index.html" : "en/index.html");
</script>
</head>
<body>
<p><a href="en/index.html">Distributed Programming in Rust</a> (English)</p>
<p><a href="zh-CN/index.html">Rust 分布式编程</a>（中文）</p>
</body>
</html>
"#;

/// `mdbook test` with the workspace's own build of every library: rustdoc
/// gets no `--extern` from mdbook, only `-L`, so the exact files of this
/// build are linked into one folder (a crate name twice there would make
/// `extern crate` ambiguous: E0464).
pub fn mdbook_test(root: &Path, build: &Build) -> Result<()> {
    let deps = root.join("target/mdbook-test-deps");
    let _ = std::fs::remove_dir_all(&deps);
    std::fs::create_dir_all(&deps)?;
    let mut by_crate: BTreeMap<String, Vec<&PathBuf>> = BTreeMap::new();
    for lib in &build.libs {
        let file = lib.file_name().unwrap().to_string_lossy().into_owned();
        // lib<name>-<hash>.rlib / .so
        let name = file
            .trim_start_matches("lib")
            .rsplit_once('-')
            .map(|(n, _)| n.to_string())
            .unwrap_or(file.clone());
        by_crate.entry(name).or_default().push(lib);
        std::os::unix::fs::symlink(lib, deps.join(&file))
            .with_context(|| format!("linking {}", lib.display()))?;
    }
    // Only the crates the pages name with `extern crate` must be unique.
    let named = crates_named_in_pages(&root.join("src"))?;
    for name in &named {
        let found = by_crate.get(name).map(Vec::len).unwrap_or(0);
        ensure!(
            found == 1,
            "the pages use `extern crate {name}`, and the build has {found} libraries of that name"
        );
    }
    println!(
        "linked {} libraries into {}",
        build.libs.len(),
        deps.display()
    );
    let toolchain = current_toolchain()?;
    let mut c = tools::mdbook(root);
    // mdbook runs rustdoc from a temporary folder, where a directory
    // override would not apply: name the toolchain explicitly.
    c.env("RUSTUP_TOOLCHAIN", toolchain)
        .arg("test")
        .arg("-L")
        .arg(&deps);
    cmd::run(&mut c)
}

fn crates_named_in_pages(src: &Path) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for page in markdown_files(src)? {
        for line in std::fs::read_to_string(&page)?.lines() {
            let line = line.trim_start_matches('#').trim();
            if let Some(rest) = line.strip_prefix("extern crate ") {
                names.insert(rest.trim_end_matches(';').trim().to_string());
            }
        }
    }
    Ok(names)
}

fn markdown_files(dir: &Path) -> Result<Vec<PathBuf>> {
    files_with_extension(dir, "md")
}

/// The files under `dir` whose names end in `.EXTENSION`, in order.
fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == extension) {
            out.push(entry.into_path());
        }
    }
    Ok(out)
}

/// The rustup toolchain that runs this build, from the path of the cargo
/// that started the xtask (`~/.rustup/toolchains/<name>/bin/cargo`), so
/// that rustdoc reads the libraries with the compiler that wrote them.
fn current_toolchain() -> Result<String> {
    let cargo =
        std::env::var("CARGO").context("CARGO is not set: run this through `cargo xtask`")?;
    let path = Path::new(&cargo);
    path.parent()
        .and_then(Path::parent)
        .filter(|dir| dir.parent().is_some_and(|p| p.ends_with("toolchains")))
        .and_then(|dir| dir.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .with_context(|| format!("{cargo} is not a rustup toolchain's cargo"))
}

/// Every `href` and `src` inside the book resolves to a file, and every
/// `#fragment` to an id in that file.
pub fn check_links(editions: &[Edition]) -> Result<()> {
    let mut problems = Vec::new();
    let mut checked = 0;
    for edition in editions {
        let mut ids: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
        let pages = files_with_extension(&edition.dir, "html")?;
        for page in &pages {
            let html = std::fs::read_to_string(page)?;
            ids.insert(
                page.clone(),
                attribute_values(&html, "id").into_iter().collect(),
            );
        }
        for page in &pages {
            let html = std::fs::read_to_string(page)?;
            for link in attribute_values(&html, "href")
                .into_iter()
                .chain(attribute_values(&html, "src"))
            {
                if link.contains("://") || link.starts_with("mailto:") || link.starts_with("data:")
                {
                    continue;
                }
                checked += 1;
                let (path, fragment) = match link.split_once('#') {
                    Some((p, f)) => (p, Some(f)),
                    None => (link.as_str(), None),
                };
                let path = path.split('?').next().unwrap_or_default();
                let target = if path.is_empty() {
                    page.clone()
                } else if let Some(from_site_root) = path.strip_prefix('/') {
                    // Absolute links (the 404 page's) start at the site root,
                    // the folder that holds every edition.
                    normalise_path(&edition.dir.parent().unwrap().join(from_site_root))
                } else {
                    normalise_path(&page.parent().unwrap().join(path))
                };
                let target = if target.is_dir() {
                    target.join("index.html")
                } else {
                    target
                };
                if !target.exists() {
                    problems.push(format!(
                        "{} {}: {link} does not exist",
                        edition.lang,
                        page.strip_prefix(&edition.dir).unwrap_or(page).display()
                    ));
                    continue;
                }
                if let Some(fragment) = fragment.filter(|f| !f.is_empty())
                    && let Some(target_ids) = ids.get(&target)
                    && !target_ids.contains(&percent_decode(fragment))
                {
                    problems.push(format!(
                        "{} {}: {link}: no element has id {fragment:?}",
                        edition.lang,
                        page.strip_prefix(&edition.dir).unwrap_or(page).display()
                    ));
                }
            }
        }
    }
    ensure!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
    println!("{checked} internal links and fragments resolve");
    Ok(())
}

/// The values of `name="..."` attributes (double-quoted, as mdBook writes them).
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        if let Some(end) = rest.find('"') {
            out.push(rest[..end].replace("&amp;", "&"));
            rest = &rest[end..];
        }
    }
    out
}

fn normalise_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The Debian packages the browser tests need: the browser, its driver, and
/// CJK fonts (without them Chinese renders as empty boxes).
const BROWSER_PACKAGES: &[&str] = &["chromium", "chromium-driver", "fonts-noto-cjk"];

pub fn browser_tests(root: &Path, build: &Build, book: &Path, ci: bool) -> Result<()> {
    ensure_packages(BROWSER_PACKAGES, "the browser tests", ci)?;
    let exe = build
        .bins
        .get("book-web/book-web")
        .context("the workspace build produced no book-web binary")?;
    cmd::run(
        Command::new(exe)
            .arg("browser-test")
            .arg("--dir")
            .arg(book)
            .arg("--screenshots")
            .arg(root.join("target/screenshots")),
    )
}

/// Installs the Debian `packages` that are missing, as root; otherwise
/// fails with the command that installs them. `needed_by` names the step.
pub fn ensure_packages(packages: &[&str], needed_by: &str, ci: bool) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if cmd::apt_install(&missing)? {
        return Ok(());
    }
    let hint = format!("sudo apt-get install {}", missing.join(" "));
    if ci {
        bail!("{needed_by} need {missing:?}; install them with: {hint}");
    }
    bail!(
        "{needed_by} need {missing:?}, which are not installed.\n\
         Install them with: {hint}\n\
         (the suite never skips {needed_by})"
    )
}

/// `cargo xtask serve`: build both editions and serve them with book-web,
/// which watches the sources (notify), runs `cargo xtask build` again after
/// a change, and reloads open pages (tower-livereload).
pub fn serve(root: &Path, port: u16) -> Result<()> {
    tools::install(root)?;
    let out = root.join("book");
    build_all(root, &out)?;
    // The server is the workspace's book-web crate.
    cmd::run(cmd::cargo().args(["build", "--package", "book-web"]))?;
    let mut server = Command::new(root.join("target/debug/book-web"));
    server
        .arg("serve")
        .arg("--dir")
        .arg(&out)
        .arg("--port")
        .arg(port.to_string());
    for watched in ["src", "po", "theme", "listings", "quizzes", "book.toml"] {
        server.arg("--watch").arg(root.join(watched));
    }
    server.arg("--").arg(own_copy(root)?).arg("build");
    println!("English: http://127.0.0.1:{port}/en/   中文: http://127.0.0.1:{port}/zh-CN/");
    crate::pdf::say_if_missing(&out);
    cmd::run(&mut server)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_double_quoted_attributes() {
        let html =
            r#"<a href="a.html#x">A</a> <h2 id="x">X</h2> <a class="c" href="b.html?q=1&amp;r=2">"#;
        assert_eq!(
            attribute_values(html, "href"),
            ["a.html#x", "b.html?q=1&r=2"]
        );
        assert_eq!(attribute_values(html, "id"), ["x"]);
    }

    #[test]
    fn decodes_percent_escaped_fragments() {
        assert_eq!(percent_decode("%E8%83%8C%E6%99%AF"), "背景");
        assert_eq!(percent_decode("plain-id"), "plain-id");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn resolves_parent_folders() {
        assert_eq!(
            normalise_path(Path::new("/b/en/x/../y.html")),
            Path::new("/b/en/y.html")
        );
    }
}

/// Markdown that did not become markup: `_word_`, `*word*` or a backtick
/// left in a page's text, outside code. The usual cause is emphasis
/// between CJK characters, which CommonMark does not read as emphasis, so
/// the reader sees the underscores. Also Chinese in italics, which CJK
/// fonts do not have.
pub fn check_markers(editions: &[Edition]) -> Result<()> {
    let mut problems = Vec::new();
    for edition in editions {
        for page in files_with_extension(&edition.dir, "html")? {
            let html = std::fs::read_to_string(&page)?;
            let Some(main) = html
                .split_once("<main>")
                .and_then(|(_, m)| m.split_once("</main>"))
            else {
                continue;
            };
            for marker in stray_markers(&page_text(main.0)) {
                problems.push(format!("{}: {marker:?}", page.display()));
            }
            // CJK fonts have no italics: the browser slants the glyphs.
            for em in main.0.split("<em>").skip(1) {
                let em = em.split("</em>").next().unwrap_or_default();
                if em.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                    problems.push(format!("{}: italic Chinese <em>{em}</em>", page.display()));
                }
            }
        }
    }
    ensure!(
        problems.is_empty(),
        "markdown markers shown as text, or Chinese in italics (write emphasis \
         as **bold** in Chinese):\n{}",
        problems.join("\n")
    );
    println!("no markdown markers left in the pages' text");
    Ok(())
}

/// A page's text without its code, formulas and scripts, tags removed.
fn page_text(html: &str) -> String {
    let mut rest = html;
    let mut kept = String::new();
    'outer: while !rest.is_empty() {
        for tag in ["pre", "code", "script", "style", "math"] {
            let open = format!("<{tag}");
            if rest.starts_with(&open) {
                let close = format!("</{tag}>");
                match rest.find(&close) {
                    Some(end) => rest = &rest[end + close.len()..],
                    None => rest = "",
                }
                continue 'outer;
            }
        }
        let c = rest.chars().next().expect("rest is not empty");
        kept.push(c);
        rest = &rest[c.len_utf8()..];
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in kept.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// `_x_` or `*x*` (not inside a word of ASCII letters or digits, nothing
/// blank just inside the markers) and any backtick.
fn stray_markers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == '*');
    let mut found = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '`' {
            found.push(
                chars[i.saturating_sub(10)..(i + 10).min(chars.len())]
                    .iter()
                    .collect(),
            );
            continue;
        }
        if !(c == '*' || c == '_') || word(i.checked_sub(1).and_then(|j| chars.get(j))) {
            continue;
        }
        let Some(&next) = chars.get(i + 1) else {
            continue;
        };
        if next.is_whitespace() || next == '*' || next == '_' {
            continue;
        }
        let close = (i + 2..(i + 62).min(chars.len()))
            .take_while(|&j| chars[j] != '\n')
            .find(|&j| chars[j] == c);
        if let Some(j) = close
            && !chars[j - 1].is_whitespace()
            && !word(chars.get(j + 1))
        {
            found.push(chars[i..=j].iter().collect());
        }
    }
    found
}

#[cfg(test)]
mod marker_tests {
    use super::*;

    #[test]
    fn emphasis_left_as_text_is_found_and_prose_is_not() {
        assert_eq!(stray_markers("必须把写入_发送_过去"), ["_发送_"]);
        assert_eq!(stray_markers("a *word* here"), ["*word*"]);
        assert!(stray_markers("5 * 3 = 15, snake_case_name, a_b").is_empty());
        assert_eq!(stray_markers("x ` y").len(), 1);
        assert_eq!(
            page_text("<p>a <code>`x`</code> b<pre>_y_</pre> &amp; c</p>"),
            "a  b & c"
        );
    }
}
