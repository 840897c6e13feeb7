//! The Go side: beside a Rust listing, a `go/` folder may hold a Go program
//! that does what the article's program meant, written anew and correct.
//! The suite vets, builds and tests each one (`go test` where it has
//! `_test.go` files), runs it like the Rust listing, and runs clients of
//! one language against servers of the other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};

use crate::cmd;
use crate::listings::Listing;

/// Vets and builds every Go program into target/go/; returns listing name →
/// executable. Without Go: installs it as root on Debian, fails under CI,
/// and elsewhere says plainly what was not run.
pub fn build_all(root: &Path, listings: &[Listing], ci: bool) -> Result<BTreeMap<String, PathBuf>> {
    let with_go: Vec<&Listing> = listings
        .iter()
        .filter(|l| l.dir.join("go/go.mod").exists())
        .collect();
    let mut bins = BTreeMap::new();
    if with_go.is_empty() {
        return Ok(bins);
    }
    if !go_installed()? {
        let names: Vec<&str> = with_go.iter().map(|l| l.name.as_str()).collect();
        if ci {
            bail!("Go is needed for the Go programs of {names:?} (Debian package golang-go)");
        }
        println!(
            "NOT RUN: Go is not installed, so the Go programs of {names:?} were not built, \
             vetted or run. Install it with: sudo apt-get install golang-go"
        );
        return Ok(bins);
    }
    let out_dir = root.join("target/go");
    std::fs::create_dir_all(&out_dir)?;
    // The Go tests (the servers' bounds, a few seconds each, mostly spent
    // waiting) run side by side while the programs are vetted and built.
    let tests: Vec<_> = with_go
        .iter()
        .map(|l| l.dir.join("go"))
        .filter(|dir| has_tests(dir))
        .map(|dir| {
            let mut c = go();
            c.arg("test").arg("-count=1").arg("./...").current_dir(&dir);
            cmd::show(&c);
            std::thread::spawn(move || cmd::output(&mut c).map(|o| (dir, o)))
        })
        .collect();
    for listing in with_go {
        let dir = listing.dir.join("go");
        cmd::run(go().arg("vet").arg("./...").current_dir(&dir))?;
        let exe = out_dir.join(&listing.name);
        cmd::run(
            go().arg("build")
                .arg("-o")
                .arg(&exe)
                .arg(".")
                .current_dir(&dir),
        )?;
        bins.insert(listing.name.clone(), exe);
    }
    for test in tests {
        let (dir, output) = test.join().expect("a go test thread does not panic")?;
        println!(
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stdout).trim()
        );
    }
    Ok(bins)
}

fn has_tests(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().ends_with("_test.go"))
    })
}

fn go() -> Command {
    let mut c = Command::new("go");
    // No module downloads: the Go programs use the standard library only.
    c.env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local");
    c
}

/// Go on PATH, or installed now when running as root on Debian.
fn go_installed() -> Result<bool> {
    if Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(true);
    }
    cmd::apt_install(&["golang-go"])
}
