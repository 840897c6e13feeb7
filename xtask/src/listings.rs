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
use serde_json::{Value, json};

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
    /// `package/binary` → executable (a cluster listing has several
    /// binaries, and the same binary name, `node`, in several packages).
    pub bins: BTreeMap<String, PathBuf>,
    /// Library files (rlib, proc-macro) that `mdbook test` links against.
    pub libs: Vec<PathBuf>,
    /// Bench target name → executable (criterion benches, harness = false).
    pub benches: BTreeMap<String, PathBuf>,
}

pub enum Mode {
    Check,
    Bless,
}

/// Every listing folder, in order.
pub fn find(root: &Path) -> Result<Vec<Listing>> {
    let mut out = Vec::new();
    // listings/<chapter>/<listing>: the folders two levels down, in order.
    let walk = walkdir::WalkDir::new(root.join("listings"))
        .min_depth(2)
        .max_depth(2)
        .sort_by_file_name();
    for entry in walk {
        let entry = entry.context("reading listings/")?;
        if !entry.file_type().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        ensure!(
            name.starts_with("listing-"),
            "{} is not named listing-NN-MM",
            entry.path().display()
        );
        out.push(Listing {
            name,
            dir: entry.into_path(),
        });
    }
    Ok(out)
}

/// Each listing must work on its own when copied out of the book: explicit
/// dependency versions, no `workspace = true`, and all listings agreeing on
/// each dependency's version requirement.
/// Every binary of the workspace lands in the same target folder, so two
/// packages with a binary of the same name overwrite each other's, and a
/// test may start the wrong program (cargo only warns).
fn unique_binaries(meta: &Value) -> Result<()> {
    let mut owners: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for package in meta["packages"].as_array().into_iter().flatten() {
        for target in package["targets"].as_array().into_iter().flatten() {
            let is_bin = target["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"));
            if is_bin {
                let name = target["name"].as_str().unwrap_or_default();
                let package = package["name"].as_str().unwrap_or_default();
                owners.entry(name).or_default().push(package);
            }
        }
    }
    let clashes: Vec<String> = owners
        .iter()
        .filter(|(_, packages)| packages.len() > 1)
        .map(|(name, packages)| format!("`{name}` in {}", packages.join(", ")))
        .collect();
    ensure!(
        clashes.is_empty(),
        "binaries with the same name in several packages (they would share one \
         file in target/): {}",
        clashes.join("; ")
    );
    Ok(())
}

pub fn check_manifests(root: &Path) -> Result<Vec<Listing>> {
    let listings = find(root)?;
    let meta = cmd::output(cmd::cargo().args(["metadata", "--format-version", "1", "--no-deps"]))?;
    let meta: Value = serde_json::from_slice(&meta.stdout)?;
    unique_binaries(&meta)?;
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
pub fn build_workspace() -> Result<Build> {
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
    let mut benches = BTreeMap::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let msg: Value = match serde_json::from_str(&line?) {
            Ok(v) => v,
            Err(_) => continue,
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        if msg["target"]["kind"] == json!(["bench"])
            && let Some(exe) = msg["executable"].as_str()
        {
            let name = msg["target"]["name"].as_str().unwrap_or_default();
            benches.insert(name.to_string(), PathBuf::from(exe));
        }
        if msg["profile"]["test"] == true {
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
                let package = package_name(msg["package_id"].as_str().unwrap_or_default());
                bins.insert(format!("{package}/{name}"), PathBuf::from(exe));
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
    Ok(Build {
        bins,
        libs,
        benches,
    })
}

/// The package name in a cargo package id: `path+file:///…/dir#name@1.0`,
/// or `path+file:///…/name#1.0` when the folder has the package's name.
fn package_name(id: &str) -> &str {
    let (path, fragment) = id.rsplit_once('#').unwrap_or((id, ""));
    match fragment.split_once('@') {
        Some((name, _)) => name,
        None => path.rsplit('/').next().unwrap_or(path),
    }
}

/// The binary a listing's stored command runs: `--bin NAME` in it, else
/// the package's `default-run`, else the binary named like the package.
fn binary_of(listing: &Listing, command: &str) -> String {
    let words = shell_words(command);
    if let Some(i) = words.iter().position(|w| w == "--bin")
        && let Some(name) = words.get(i + 1)
    {
        return name.clone();
    }
    let manifest = std::fs::read_to_string(listing.dir.join("Cargo.toml")).unwrap_or_default();
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("default-run = "))
        .map(|v| v.trim().trim_matches('"').to_string())
        .unwrap_or_else(|| listing.name.clone())
}

/// One runnable implementation of a listing: the Rust crate itself, or the
/// Go program in its `go/` folder.
#[derive(Clone)]
pub struct Program {
    /// "listing-03-01" or "listing-03-01/go", for messages.
    pub label: String,
    pub exe: PathBuf,
    /// The folder with its output.txt (and requests.txt, server.txt).
    pub dir: PathBuf,
    /// The command the reader types, shown first in output.txt.
    pub default_command: String,
    /// The package's binaries by name, for stored runs (`output-*.txt`)
    /// whose command names another with `--bin`.
    pub bins: BTreeMap<String, PathBuf>,
}

impl Program {
    /// The arguments of the stored command: after ` -- ` for cargo, after
    /// `go run . ` for Go.
    fn args(&self, command: &str) -> Vec<String> {
        let command = command.split_once(" < ").map_or(command, |(c, _)| c);
        let rest = command
            .split_once(" -- ")
            .map(|(_, r)| r)
            .or_else(|| command.strip_prefix("$ go run . "))
            .unwrap_or("");
        shell_words(rest)
    }

    /// The file after ` < ` in the stored command, fed to standard input
    /// (a session of commands for an interactive program).
    fn stdin(&self, command: &str) -> Option<PathBuf> {
        command
            .split_once(" < ")
            .map(|(_, file)| self.dir.join(file.trim()))
    }

    fn stored_command(&self) -> String {
        std::fs::read_to_string(self.dir.join("output.txt"))
            .unwrap_or_default()
            .lines()
            .next()
            .filter(|l| l.starts_with("$ "))
            .map(str::to_string)
            .unwrap_or_else(|| self.default_command.clone())
    }
}

/// Every implementation of every listing: Rust always, Go where a `go/`
/// folder exists and Go programs were built.
pub fn programs(
    listing: &Listing,
    build: &Build,
    go_bins: &BTreeMap<String, PathBuf>,
) -> Result<Vec<Program>> {
    let command = std::fs::read_to_string(listing.dir.join("output.txt")).unwrap_or_default();
    let bin = binary_of(listing, command.lines().next().unwrap_or_default());
    let key = format!("{}/{bin}", listing.name);
    let exe = build
        .bins
        .get(&key)
        .ok_or_else(|| anyhow!("no binary {key} was built"))?;
    let prefix = format!("{}/", listing.name);
    let bins = build
        .bins
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_string(), v.clone())))
        .collect();
    let mut out = vec![Program {
        label: listing.name.clone(),
        exe: exe.clone(),
        dir: listing.dir.clone(),
        default_command: format!("$ cargo run -p {}", listing.name),
        bins,
    }];
    if let Some(go) = go_bins.get(&listing.name) {
        out.push(Program {
            label: format!("{}/go", listing.name),
            exe: go.clone(),
            dir: listing.dir.join("go"),
            default_command: "$ go run .".to_string(),
            bins: BTreeMap::new(),
        });
    }
    Ok(out)
}

/// Runs every listing; in Check mode compares, in Bless mode rewrites.
/// A client listing (one with a `server.txt` naming a serving listing) is
/// run against every implementation of that server, in both languages.
pub fn run_all(
    root: &Path,
    listings: &[Listing],
    build: &Build,
    go_bins: &BTreeMap<String, PathBuf>,
    mode: Mode,
) -> Result<()> {
    let all = find(root)?;
    let mut failures = Vec::new();
    let mut runs = 0;
    for listing in listings {
        let rel = listing.dir.strip_prefix(root).unwrap_or(&listing.dir);
        println!("--- {}", rel.display());
        let result = (|| -> Result<()> {
            let servers = match std::fs::read_to_string(listing.dir.join("server.txt")) {
                Ok(name) => {
                    let name = name.trim();
                    let server = all.iter().find(|l| l.name == name).ok_or_else(|| {
                        anyhow!("server.txt names {name:?}, which is not a listing")
                    })?;
                    programs(server, build, go_bins)?
                }
                Err(_) => Vec::new(),
            };
            for program in programs(listing, build, go_bins)? {
                runs += run_program(&program, &servers, &mode)
                    .with_context(|| program.label.clone())?;
            }
            Ok(())
        })();
        if let Err(e) = result {
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
    println!(
        "listings: {runs} runs of {} listings, all as stored",
        listings.len()
    );
    Ok(())
}

pub fn bless(root: &Path, filter: Option<&str>) -> Result<()> {
    let listings: Vec<Listing> = find(root)?
        .into_iter()
        .filter(|l| filter.is_none_or(|f| l.name.contains(f)))
        .collect();
    let build = build_workspace()?;
    let go_bins = crate::golang::build_all(root, &find(root)?, false)?;
    run_all(root, &listings, &build, &go_bins, Mode::Bless)
}

/// Runs one program as its files say; returns how many runs it made.
fn run_program(program: &Program, servers: &[Program], mode: &Mode) -> Result<usize> {
    let output_file = program.dir.join("output.txt");
    let expected = std::fs::read_to_string(&output_file).unwrap_or_default();
    let command = program.stored_command();
    let args = program.args(&command);
    let requests_file = program.dir.join("requests.txt");

    if requests_file.exists() {
        let script = std::fs::read_to_string(&requests_file)?;
        let server = Server::start(program, &args)?;
        let replayed = replay(&script, &server.addr);
        let addr = server.addr.clone();
        let stdout = server.stop()?;
        let replayed = replayed?;
        let actual = format!("{command}\n{stdout}");
        let addr = Some(addr.as_str());
        settle(mode, &output_file, &expected, &actual, addr)?;
        settle(mode, &requests_file, &script, &replayed, addr)?;
        return Ok(1);
    }

    if servers.is_empty() {
        let stdin = program.stdin(&command);
        let actual = format!(
            "{command}\n{}",
            run_to_completion(&program.exe, &args, &program.dir, stdin.as_deref())?
        );
        settle(mode, &output_file, &expected, &actual, None)?;
        return Ok(1 + run_more_outputs(program, mode)?);
    }

    // A client: the same stored output against every server.
    for (i, server_program) in servers.iter().enumerate() {
        println!("(against {})", server_program.label);
        let server = Server::start(server_program, &[])?;
        let args: Vec<String> = args
            .iter()
            .map(|a| with_port_addr(a, &server.addr))
            .collect();
        let output = run_to_completion(&program.exe, &args, &program.dir, None);
        let addr = server.addr.clone();
        server.stop()?;
        let actual = format!("{command}\n{}", output?);
        match mode {
            Mode::Bless if i > 0 => compare(
                &output_file,
                &std::fs::read_to_string(&output_file)?,
                &actual,
            )?,
            _ => settle(mode, &output_file, &expected, &actual, Some(&addr))?,
        }
    }
    Ok(servers.len())
}

/// A listing with several programs stores a run of each in its own
/// `output-NAME.txt`, whose first line is the command (`--bin NAME`).
fn run_more_outputs(program: &Program, mode: &Mode) -> Result<usize> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&program.dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("output-") && n.ends_with(".txt"))
        })
        .collect();
    files.sort();
    for file in &files {
        let expected = std::fs::read_to_string(file)?;
        let command = expected.lines().next().unwrap_or_default().to_string();
        let words = shell_words(&command);
        let bin = words
            .iter()
            .position(|w| w == "--bin")
            .and_then(|i| words.get(i + 1))
            .with_context(|| format!("{}: the first line must name `--bin`", file.display()))?;
        let exe = program
            .bins
            .get(bin)
            .with_context(|| format!("{}: no binary {bin}", file.display()))?;
        let stdin = program.stdin(&command);
        let output =
            run_to_completion(exe, &program.args(&command), &program.dir, stdin.as_deref())?;
        settle(mode, file, &expected, &format!("{command}\n{output}"), None)?;
    }
    Ok(files.len())
}

fn settle(
    mode: &Mode,
    file: &Path,
    expected: &str,
    actual: &str,
    server: Option<&str>,
) -> Result<()> {
    match mode {
        Mode::Check => compare(file, expected, actual),
        Mode::Bless => write_if_changed(file, expected, actual, server),
    }
}

fn compare(file: &Path, expected: &str, actual: &str) -> Result<()> {
    if matches_stored(expected, actual) {
        return Ok(());
    }
    bail!(
        "{} differs from the real output (run `cargo xtask bless` if the change is right)\n\
         --- stored\n{expected}\n--- real\n{actual}",
        file.display()
    )
}

/// Equal after normalising, where a stored line `...` stands for any
/// number of lines (for output that names machine-specific things, such as
/// a Go stack trace).
fn matches_stored(expected: &str, actual: &str) -> bool {
    let expected = normalise(expected);
    let actual = normalise(actual);
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    fn glob(e: &[&str], a: &[&str]) -> bool {
        match e.split_first() {
            None => a.is_empty(),
            Some((&"...", rest)) => (0..=a.len()).any(|skip| glob(rest, &a[skip..])),
            Some((line, rest)) => a.first() == Some(line) && glob(rest, &a[1..]),
        }
    }
    glob(&e, &a)
}

/// Writes a new stored output; the server's own port becomes the default
/// one the stored commands use, other ports (a proxy's, say) stay real.
fn write_if_changed(file: &Path, old: &str, new: &str, server: Option<&str>) -> Result<()> {
    if matches_stored(old, new) {
        println!("unchanged: {}", file.display());
        return Ok(());
    }
    let new = match server {
        Some(addr) => replace_addr(new, addr, &format!("127.0.0.1:{DEFAULT_PORT}")),
        None => new.to_string(),
    };
    std::fs::write(file, new)?;
    println!("wrote {}", file.display());
    Ok(())
}

/// Splits a command line into words as a POSIX shell would (shlex); a line
/// with an unclosed quote is split at white space, and its command fails.
fn shell_words(line: &str) -> Vec<String> {
    shlex::split(line).unwrap_or_else(|| line.split_whitespace().map(String::from).collect())
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
        let mut words: Vec<String> = line.split(' ').map(normalise_duration).collect();
        // `pid 12345` and `(pid 12345)`: process ids differ on every run.
        for i in 1..words.len() {
            if words[i - 1].trim_start_matches('(') == "pid" {
                let digits = words[i].trim_end_matches(|c: char| !c.is_ascii_digit());
                if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                    words[i] = format!("PID{}", &words[i][digits.len()..]);
                }
            }
        }
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

/// Runs a program to its end (at most RUN_LIMIT) and returns what it
/// wrote to stdout and stderr, interleaved as a terminal shows them; a
/// failing exit adds the line `exit status N`, as `go run` prints it.
fn run_to_completion(
    exe: &Path,
    args: &[String],
    dir: &Path,
    stdin: Option<&Path>,
) -> Result<String> {
    println!("$ {} {}", exe.display(), args.join(" "));
    let (mut reader, writer) = std::io::pipe()?;
    let stdin = match stdin {
        Some(file) => Stdio::from(
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
        ),
        None => Stdio::null(),
    };
    let mut child = Command::new(exe)
        .args(args)
        .current_dir(dir)
        .stdin(stdin)
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .spawn()?;
    // The parent's copies of the write end are gone once the Command is;
    // the reader sees end-of-file when the child exits.
    let collector = std::thread::spawn(move || {
        let mut s = String::new();
        reader.read_to_string(&mut s).map(|_| s)
    });
    let status = wait_bounded(&mut child, RUN_LIMIT)?;
    let mut out = collector.join().expect("reader thread does not panic")?;
    if !status.success() {
        out.push_str(&format!("exit status {}\n", status.code().unwrap_or(-1)));
    }
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

/// A serving program started on 127.0.0.1:0 (its first argument).
pub struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    first: String,
    pub addr: String,
}

impl Server {
    pub fn start(program: &Program, args: &[String]) -> Result<Server> {
        Server::start_with(program, args, &[])
    }

    /// Like `start`, behind a command prefix such as `taskset -c 0`.
    pub fn start_with(program: &Program, args: &[String], prefix: &[&str]) -> Result<Server> {
        let mut all_args = vec!["127.0.0.1:0".to_string()];
        all_args.extend(args.iter().cloned());
        let mut command = match prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&program.exe);
                c
            }
            None => Command::new(&program.exe),
        };
        command.args(&all_args);
        cmd::show(&command);
        let mut child = command
            .current_dir(&program.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let (tx, lines) = mpsc::channel::<String>();
        let stdout = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = match lines.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("{}: printed no first line within 30 s", program.label);
            }
        };
        let addr = first
            .split("http://")
            .nth(1)
            .map(|rest| {
                rest.split(|c: char| c == '/' || c.is_whitespace())
                    .next()
                    .unwrap_or("")
            })
            .filter(|a| a.starts_with("127.0.0.1:"))
            .map(str::to_string);
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the first line must say `listening on http://127.0.0.1:PORT`, got {first:?}");
        };
        Ok(Server {
            child,
            lines,
            first,
            addr,
        })
    }

    /// Ctrl-C (SIGINT), then the rest of what it printed; it must exit 0.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stop(mut self) -> Result<String> {
        let pid = self.child.id().to_string();
        let mut kill = Command::new("kill");
        kill.args(["-INT", &pid]);
        cmd::show(&kill);
        let sent = kill.status()?.success();
        let status = wait_bounded(&mut self.child, Duration::from_secs(15));
        ensure!(sent, "could not send SIGINT to {pid}");
        let status = status?;
        ensure!(
            status.success(),
            "the server exited with {status} after SIGINT"
        );
        let mut stdout = self.first + "\n";
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        Ok(stdout)
    }
}

/// Runs each `$ curl ...` line of a script against `addr` and returns the
/// script with each command's real output under it.
fn replay(script: &str, addr: &str) -> Result<String> {
    let mut out = String::new();
    for line in script.lines().filter(|l| l.starts_with("$ ")) {
        let words = shell_words(&line[2..]);
        ensure!(
            words.first().map(String::as_str) == Some("curl"),
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

/// `addr` → `by` wherever it is not the start of a longer port number.
fn replace_addr(text: &str, addr: &str, by: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(addr) {
        let after = &rest[i + addr.len()..];
        out.push_str(&rest[..i]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(addr);
        } else {
            out.push_str(by);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

fn with_port_addr(word: &str, addr: &str) -> String {
    with_port(word, "\u{0}").replace("127.0.0.1:\u{0}", addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_binaries_of_one_name_are_refused() {
        let bin = |name: &str| serde_json::json!({"name": name, "kind": ["bin"]});
        let meta = |a: &str, b: &str| {
            serde_json::json!({"packages": [
                {"name": "listing-11-05", "targets": [bin("replica")]},
                {"name": "listing-12-01", "targets": [bin(a), bin(b)]},
            ]})
        };
        assert!(unique_binaries(&meta("balance-replica", "balance-sim")).is_ok());
        let err = unique_binaries(&meta("replica", "balance-sim")).unwrap_err();
        assert!(
            err.to_string()
                .contains("`replica` in listing-11-05, listing-12-01")
        );
    }

    #[test]
    fn ports_durations_and_dates_are_normalised() {
        let a = "listening on http://127.0.0.1:41234\ntook 12.5ms, then (3s).\ndate: Thu, 26 Nov 2026 09:26:22 GMT";
        let b = "listening on http://127.0.0.1:8080\ntook 250µs, then (4s).\nDate: Fri, 27 Nov 2026 10:00:00 GMT";
        assert_eq!(normalise(a), normalise(b));
        // Plain numbers and words that end in "s" are left alone.
        assert_ne!(normalise("10 threads"), normalise("11 threads"));
        assert_ne!(normalise("counter = 3"), normalise("counter = 0"));
        assert_eq!(normalise("words"), "words");
        assert_eq!(
            normalise("node 2 (pid 4242) ready; pid 17 paused"),
            "node 2 (pid PID) ready; pid PID paused"
        );
        assert_ne!(normalise("node 2"), normalise("node 3"));
    }

    #[test]
    fn ellipsis_lines_match_any_number_of_lines() {
        let stored = "fatal error: deadlock!\n...\nexit status 2";
        assert!(matches_stored(
            stored,
            "fatal error: deadlock!\nexit status 2"
        ));
        assert!(matches_stored(
            stored,
            "fatal error: deadlock!\ngoroutine 1\n\tmain.go:17\nexit status 2"
        ));
        assert!(!matches_stored(
            stored,
            "fatal error: deadlock!\ngoroutine 1"
        ));
        assert!(!matches_stored("a\nb", "a\nc"));
    }

    #[test]
    fn shell_words_honours_single_quotes() {
        assert_eq!(
            shell_words("curl -sS -A 'curl' --data 'a long body' http://x/"),
            [
                "curl",
                "-sS",
                "-A",
                "curl",
                "--data",
                "a long body",
                "http://x/"
            ]
        );
        assert_eq!(shell_words("--data ''"), ["--data", ""]);
    }

    #[test]
    fn only_the_server_port_becomes_the_default_one() {
        assert_eq!(
            replace_addr(
                "127.0.0.1:4123 127.0.0.1:41234",
                "127.0.0.1:4123",
                "127.0.0.1:8080"
            ),
            "127.0.0.1:8080 127.0.0.1:41234"
        );
    }

    #[test]
    fn the_port_of_a_stored_command_becomes_the_real_one() {
        assert_eq!(
            with_port_addr("http://127.0.0.1:8080/echo", "127.0.0.1:39000"),
            "http://127.0.0.1:39000/echo"
        );
    }

    #[test]
    fn program_arguments_come_from_the_stored_command() {
        let program = Program {
            label: "x".into(),
            exe: PathBuf::new(),
            dir: PathBuf::new(),
            default_command: String::new(),
            bins: BTreeMap::new(),
        };
        assert_eq!(
            program.args("$ cargo run -p listing-03-02 -- http://127.0.0.1:8080/"),
            ["http://127.0.0.1:8080/"]
        );
        assert_eq!(
            program.args("$ go run . http://127.0.0.1:8080/"),
            ["http://127.0.0.1:8080/"]
        );
        assert!(program.args("$ go run .").is_empty());
        assert!(program.args("$ cargo run -p listing-03-01").is_empty());
        assert_eq!(
            program.args("$ cargo run -p listing-10-01 -- --nodes 3 < session.txt"),
            ["--nodes", "3"]
        );
        assert_eq!(
            program.stdin("$ cargo run -p listing-10-01 -- --nodes 3 < session.txt"),
            Some(PathBuf::from("session.txt"))
        );
        assert_eq!(
            package_name("path+file:///w/listings/ch10/listing-10-01#0.1.0"),
            "listing-10-01"
        );
        assert_eq!(
            package_name("path+file:///w/xtask#book-xtask@0.1.0"),
            "book-xtask"
        );
    }
}
