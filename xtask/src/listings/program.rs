//! What a listing runs: the binary its stored command names, in Rust and
//! (where it has a `go/` folder) in Go, with the arguments and standard
//! input that command gives it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Result, anyhow};

use super::{Build, Listing};

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
    pub(super) fn args(&self, command: &str) -> Vec<String> {
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
    pub(super) fn stdin(&self, command: &str) -> Option<PathBuf> {
        command
            .split_once(" < ")
            .map(|(_, file)| self.dir.join(file.trim()))
    }

    pub(super) fn stored_command(&self) -> String {
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

/// Splits a command line into words as a POSIX shell would (shlex); a line
/// with an unclosed quote is split at white space, and its command fails.
pub(super) fn shell_words(line: &str) -> Vec<String> {
    shlex::split(line).unwrap_or_else(|| line.split_whitespace().map(String::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
