//! The bank node as the tests start it: on a fresh data folder, killed when
//! dropped and by the kernel if the test process dies (Listing 10-1's
//! `die_with_parent`), its address read from its first line.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use listing_11_03::child::die_with_parent;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A fresh data folder for one test.
pub fn data(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Starts a node; returns it with its address. It is killed when dropped,
/// also by a failing test, and by the kernel if the test process dies.
pub async fn node(dir: &Path, extra: &[&str]) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bank-node"));
    cmd.arg(format!("--data={}", dir.display()))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    die_with_parent(cmd.as_std_mut());
    let mut child = cmd.spawn().unwrap();
    let mut first = String::new();
    let stdout = child.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut first).await.unwrap();
    let addr = first
        .trim()
        .trim_start_matches("listening on http://")
        .to_string();
    (child, addr)
}
