//! Every listing run as its files say: to its end, as a server replaying
//! its `requests.txt`, or as a client against each of its server's
//! implementations.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, ensure};

use super::process::{Server, run_to_completion};
use super::program::{Program, programs, shell_words};
use super::stored::{Mode, compare, settle, with_port_addr};
use super::{Build, Listing, find};
use crate::cmd;

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
