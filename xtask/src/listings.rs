//! The listings: one crate each under `listings/chNN-<slug>/listing-NN-MM/`.
//!
//! The suite builds them once (with the rest of the workspace), runs each,
//! and compares what it prints with the `output.txt` stored beside it. A
//! listing that serves until stopped also has a `requests.txt`: curl
//! commands and what they print. The suite starts such a server on a free
//! port (its first argument), replays the requests, stops it with Ctrl-C
//! (SIGINT), and compares both files.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use serde_json::Value;

use crate::cmd;

/// How long a listing may run before the suite calls it hung.
const RUN_LIMIT: Duration = Duration::from_secs(60);
/// The port a serving listing uses by default, shown in stored outputs.
const DEFAULT_PORT: &str = "8080";

pub struct Listing {
    pub name: String,
    pub dir: PathBuf,
}

/// What one `cargo build --workspace --all-targets` produced.
pub struct Build {
    /// Binary name → executable.
    pub bins: BTreeMap<String, PathBuf>,
    /// Library files (rlib, proc-macro) that `mdbook test` links against.
    pub libs: Vec<PathBuf>,
}

pub enum Mode {
    Check,
    Bless,
}

/// Every listing folder, in order.
pub fn find(root: &Path) -> Result<Vec<Listing>> {
    let mut out = Vec::new();
    for chapter in sorted_dirs(&root.join("listings"))? {
        for dir in sorted_dirs(&chapter)? {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            ensure!(
                name.starts_with("listing-"),
                "{} is not named listing-NN-MM",
                dir.display()
            );
            out.push(Listing { name, dir });
        }
    }
    Ok(out)
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Each listing must work on its own when copied out of the book: explicit
/// dependency versions, no `workspace = true`, and all listings agreeing on
/// each dependency's version requirement.
pub fn check_manifests(root: &Path) -> Result<Vec<Listing>> {
    let listings = find(root)?;
    let meta = cmd::output(cmd::cargo().args(["metadata", "--format-version", "1", "--no-deps"]))?;
    let meta: Value = serde_json::from_slice(&meta.stdout)?;
    let mut versions: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for listing in &listings {
        let manifest = listing.dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest)?;
        ensure!(
            !text.replace(' ', "").contains("workspace=true"),
            "{}: a listing names its dependencies itself (no `workspace = true`), \
             so that its folder builds on its own",
            manifest.display()
        );
        ensure!(
            listing.dir.join("output.txt").exists(),
            "{}: output.txt is missing (run `cargo xtask bless {}`)",
            listing.dir.display(),
            listing.name
        );
        let package = meta["packages"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == listing.name.as_str()))
            .ok_or_else(|| {
                anyhow!(
                    "{}: package name must be {}",
                    manifest.display(),
                    listing.name
                )
            })?;
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let name = dep["name"].as_str().unwrap_or_default().to_string();
            let req = dep["req"].as_str().unwrap_or_default().to_string();
            versions
                .entry(name)
                .or_default()
                .entry(req)
                .or_default()
                .push(listing.name.clone());
        }
    }
    let mut disagreements = Vec::new();
    for (dep, reqs) in &versions {
        if reqs.len() > 1 {
            disagreements.push(format!("{dep}: {reqs:?}"));
        }
    }
    ensure!(
        disagreements.is_empty(),
        "listings disagree on dependency versions:\n{}",
        disagreements.join("\n")
    );
    println!(
        "{} listings, {} dependencies, one version each",
        listings.len(),
        versions.len()
    );
    Ok(listings)
}

/// One build of the whole workspace, tests included; what it produced is
/// read from cargo's JSON messages rather than guessed from target/.
pub fn build_workspace(_root: &Path) -> Result<Build> {
    let mut c = cmd::cargo();
    c.args([
        "build",
        "--workspace",
        "--all-targets",
        "--message-format=json-render-diagnostics",
    ]);
    cmd::show(&c);
    let mut child = c.stdout(Stdio::piped()).spawn()?;
    let mut bins = BTreeMap::new();
    let mut libs = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let msg: Value = match serde_json::from_str(&line?) {
            Ok(v) => v,
            Err(_) => continue,
        };
        if msg["reason"] != "compiler-artifact" || msg["profile"]["test"] == true {
            continue;
        }
        let kinds: Vec<&str> = msg["target"]["kind"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k.as_str())
            .collect();
        if kinds.contains(&"bin") {
            if let Some(exe) = msg["executable"].as_str() {
                let name = msg["target"]["name"].as_str().unwrap_or_default();
                bins.insert(name.to_string(), PathBuf::from(exe));
            }
        } else if kinds
            .iter()
            .any(|k| matches!(*k, "lib" | "rlib" | "proc-macro"))
        {
            for f in msg["filenames"].as_array().into_iter().flatten() {
                let f = f.as_str().unwrap_or_default();
                if f.ends_with(".rlib") || f.ends_with(".so") {
                    libs.push(PathBuf::from(f));
                }
            }
        }
    }
    let status = child.wait()?;
    ensure!(status.success(), "cargo build failed");
    println!("built {} binaries and {} libraries", bins.len(), libs.len());
    Ok(Build { bins, libs })
}

/// Runs every listing; in Check mode compares, in Bless mode rewrites.
pub fn run_all(root: &Path, listings: &[Listing], build: &Build, mode: Mode) -> Result<()> {
    let mut failures = Vec::new();
    for listing in listings {
        let exe = build
            .bins
            .get(&listing.name)
            .ok_or_else(|| anyhow!("no binary was built for {}", listing.name))?;
        let rel = listing.dir.strip_prefix(root).unwrap_or(&listing.dir);
        println!("--- {}", rel.display());
        if let Err(e) = run_one(listing, exe, &mode) {
            println!("FAILED: {e:#}");
            failures.push(format!("{}: {e:#}", listing.name));
        }
    }
    ensure!(
        failures.is_empty(),
        "{} listing(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("listings: {} passed, 0 failed", listings.len());
    Ok(())
}

pub fn bless(root: &Path, filter: Option<&str>) -> Result<()> {
    let listings: Vec<Listing> = find(root)?
        .into_iter()
        .filter(|l| filter.is_none_or(|f| l.name.contains(f)))
        .collect();
    let build = build_workspace(root)?;
    run_all(root, &listings, &build, Mode::Bless)
}

fn run_one(listing: &Listing, exe: &Path, mode: &Mode) -> Result<()> {
    let output_file = listing.dir.join("output.txt");
    let expected = std::fs::read_to_string(&output_file).unwrap_or_default();
    let command = expected
        .lines()
        .next()
        .filter(|l| l.starts_with("$ "))
        .map(str::to_string)
        .unwrap_or_else(|| format!("$ cargo run -p {}", listing.name));
    let args: Vec<String> = match command.split_once(" -- ") {
        Some((_, rest)) => rest.split_whitespace().map(str::to_string).collect(),
        None => Vec::new(),
    };
    let requests_file = listing.dir.join("requests.txt");
    let (stdout, requests) = if requests_file.exists() {
        let script = std::fs::read_to_string(&requests_file)?;
        let (stdout, replayed) = serve_and_replay(exe, &args, &script, &listing.dir)?;
        (stdout, Some((script, replayed)))
    } else {
        (run_to_completion(exe, &args, &listing.dir)?, None)
    };
    let actual = format!("{command}\n{stdout}");
    match mode {
        Mode::Check => {
            compare(&output_file, &expected, &actual)?;
            if let Some((script, replayed)) = requests {
                compare(&requests_file, &script, &replayed)?;
            }
        }
        Mode::Bless => {
            write_if_changed(&output_file, &expected, &actual, requests.is_some())?;
            if let Some((script, replayed)) = requests {
                write_if_changed(&requests_file, &script, &replayed, true)?;
            }
        }
    }
    Ok(())
}

fn compare(file: &Path, expected: &str, actual: &str) -> Result<()> {
    if normalise(expected) == normalise(actual) {
        return Ok(());
    }
    bail!(
        "{} differs from the real output (run `cargo xtask bless` if the change is right)\n\
         --- stored\n{expected}\n--- real\n{actual}",
        file.display()
    )
}

fn write_if_changed(file: &Path, old: &str, new: &str, default_port: bool) -> Result<()> {
    if normalise(old) == normalise(new) {
        println!("unchanged: {}", file.display());
        return Ok(());
    }
    let new = if default_port {
        with_port(new, DEFAULT_PORT)
    } else {
        new.to_string()
    };
    std::fs::write(file, new)?;
    println!("wrote {}", file.display());
    Ok(())
}

/// What varies from run to run and machine to machine: loopback ports,
/// durations and HTTP dates.
pub fn normalise(text: &str) -> String {
    let text = with_port(text, "PORT");
    let mut out = String::new();
    for line in text.lines() {
        if line.to_ascii_lowercase().starts_with("date: ") {
            out.push_str("date: DATE\n");
            continue;
        }
        let words: Vec<String> = line.split(' ').map(normalise_duration).collect();
        out.push_str(words.join(" ").trim_end());
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// `127.0.0.1:<digits>` → `127.0.0.1:<port>`.
fn with_port(text: &str, port: &str) -> String {
    const HOST: &str = "127.0.0.1:";
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(HOST) {
        out.push_str(&rest[..i + HOST.len()]);
        rest = &rest[i + HOST.len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push_str(port);
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// `12.3ms`, `4s`, `250µs` (with trailing punctuation kept) → `<duration>`.
fn normalise_duration(word: &str) -> String {
    let core = word.trim_end_matches([',', ')', ';', '.']);
    let tail = &word[core.len()..];
    let core_start = core.trim_start_matches('(');
    let head = &core[..core.len() - core_start.len()];
    for unit in ["ns", "µs", "us", "ms", "s"] {
        if let Some(num) = core_start.strip_suffix(unit)
            && !num.is_empty()
            && num.chars().all(|c| c.is_ascii_digit() || c == '.')
            && num.chars().next().is_some_and(|c| c.is_ascii_digit())
        {
            return format!("{head}<duration>{tail}");
        }
    }
    word.to_string()
}

fn run_to_completion(exe: &Path, args: &[String], dir: &Path) -> Result<String> {
    println!("$ {} {}", exe.display(), args.join(" "));
    let mut child = Command::new(exe)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let status = wait_bounded(&mut child, RUN_LIMIT)?;
    let out = reader.join().expect("reader thread does not panic")?;
    ensure!(status.success(), "exited with {status}\n{out}");
    Ok(out)
}

/// Waits for a child at most `limit`; kills it and fails after that.
fn wait_bounded(child: &mut Child, limit: Duration) -> Result<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("still running after {limit:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a serving listing on 127.0.0.1:0, replays `script` against it
/// with curl, then stops it with SIGINT. Returns (server stdout, replayed
/// script with real outputs).
fn serve_and_replay(
    exe: &Path,
    args: &[String],
    script: &str,
    dir: &Path,
) -> Result<(String, String)> {
    let mut all_args = args.to_vec();
    all_args.insert(0, "127.0.0.1:0".to_string());
    println!("$ {} {}", exe.display(), all_args.join(" "));
    let mut child = Command::new(exe)
        .args(&all_args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let result = (|| -> Result<(String, String)> {
        let first = rx
            .recv_timeout(Duration::from_secs(30))
            .context("the server printed no first line within 30 s")?;
        let addr = first
            .split("http://")
            .nth(1)
            .map(|rest| {
                rest.split(|c: char| c == '/' || c.is_whitespace())
                    .next()
                    .unwrap_or("")
            })
            .filter(|a| a.starts_with("127.0.0.1:"))
            .ok_or_else(|| {
                anyhow!(
                    "the first line must say `listening on http://127.0.0.1:PORT`, got {first:?}"
                )
            })?
            .to_string();
        let replayed = replay(script, &addr)?;
        cmd::show(Command::new("kill").args(["-INT", &child.id().to_string()]));
        let status = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()?;
        ensure!(status.success(), "could not send SIGINT");
        let status = wait_bounded(&mut child, Duration::from_secs(15))?;
        ensure!(
            status.success(),
            "the server exited with {status} after SIGINT"
        );
        let mut stdout = first + "\n";
        while let Ok(line) = rx.recv_timeout(Duration::from_secs(5)) {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        Ok((stdout, replayed))
    })();
    if result.is_err() {
        let _ = child.kill();
        let _ = child.wait();
    }
    result
}

/// Runs each `$ curl ...` line of a script against `addr` and returns the
/// script with each command's real output under it.
fn replay(script: &str, addr: &str) -> Result<String> {
    let mut out = String::new();
    for line in script.lines().filter(|l| l.starts_with("$ ")) {
        let words: Vec<&str> = line[2..].split_whitespace().collect();
        ensure!(
            words.first() == Some(&"curl"),
            "requests.txt runs only curl, got {line:?}"
        );
        let args: Vec<String> = words[1..].iter().map(|w| with_port_addr(w, addr)).collect();
        let mut c = Command::new("curl");
        // Bounded: a hung server fails the test instead of hanging it.
        c.args(["--max-time", "10"]).args(&args);
        let result = cmd::output(&mut c).with_context(|| line.to_string())?;
        let mut text = String::from_utf8_lossy(&result.stdout).replace("\r\n", "\n");
        if !text.ends_with('\n') {
            text.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        out.push_str(&text);
    }
    Ok(out)
}

fn with_port_addr(word: &str, addr: &str) -> String {
    with_port(word, "\u{0}").replace("127.0.0.1:\u{0}", addr)
}
