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
