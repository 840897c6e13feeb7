//! One build of the whole workspace, and what it produced: the binaries the
//! suite runs, the libraries `mdbook test` links, the benchmarks.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;

use anyhow::{Result, ensure};
use serde_json::{Value, json};

use crate::cmd;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_name_comes_from_the_package_id() {
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
