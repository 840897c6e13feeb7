//! Writes small histories for the tests: one event a line, `time` the
//! line's number, so that a test reads like the history it checks.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `(process, type, f, value)` per event, on key "x" unless `key` is given.
pub fn history(events: &[(u32, &str, &str, &str)]) -> String {
    keyed(
        &events
            .iter()
            .map(|&(p, t, f, v)| (p, t, f, "x", v))
            .collect::<Vec<_>>(),
    )
}

pub fn keyed(events: &[(u32, &str, &str, &str, &str)]) -> String {
    events
        .iter()
        .enumerate()
        .map(|(i, (p, t, f, k, v))| {
            format!(
                "{{\"process\":{p},\"type\":\"{t}\",\"f\":\"{f}\",\"key\":\"{k}\",\"value\":{v},\"time\":{i}}}\n"
            )
        })
        .collect()
}

/// Writes `text` to a fresh file under the system's temporary folder.
pub fn file(text: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("lincheck-{}-{n}.jsonl", std::process::id()));
    // The tests own the temporary folder's file they name.
    std::fs::write(&path, text).expect("write a temporary history");
    path
}
