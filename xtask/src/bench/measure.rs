//! The measuring tools every chapter's harness may use: the machine's
//! description, CPU pinning, a wrk run, a process's peak memory. They run
//! processes and hand their reports to [`super::parse`].

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::parse;
use crate::cmd;

/// The machine a results file was measured on: CPU, cores, OS, and the
/// versions of rustc, Go and wrk.
pub fn machine(root: &Path) -> Result<Value> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown".into());
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| "unknown".into());
    let first_line = |c: &mut Command| -> String {
        c.output()
            .ok()
            .map(|o| {
                let text = if o.stdout.is_empty() {
                    o.stderr
                } else {
                    o.stdout
                };
                String::from_utf8_lossy(&text)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .unwrap_or_default()
    };
    Ok(json!({
        "cpu": cpu,
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "os": os,
        "rustc": first_line(Command::new("rustc").arg("-V").current_dir(root)),
        "go": first_line(Command::new("go").arg("version")),
        // "wrk 4.1.0 [epoll] Copyright ...": the version, not the notice.
        "wrk": first_line(Command::new("wrk").arg("-v"))
            .split(" Copyright")
            .next()
            .unwrap_or("")
            .to_string(),
    }))
}

/// (server CPU, client CPU) when the machine has two CPUs or more.
pub fn pinning() -> Option<(usize, usize)> {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    (cpus >= 2 && Path::new("/usr/bin/taskset").exists()).then_some((0, 1))
}

pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// One wrk run: one thread, `connections` connections, latency percentiles.
pub fn wrk(url: &str, secs: u32, connections: u32) -> Result<Value> {
    let mut c = match pinning() {
        Some((_, cpu)) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &cpu.to_string(), "wrk"]);
            c
        }
        None => Command::new("wrk"),
    };
    c.args([
        "-t1",
        &format!("-c{connections}"),
        &format!("-d{secs}s"),
        "--latency",
        url,
    ]);
    let out = cmd::output(&mut c)?;
    parse::parse_wrk(&String::from_utf8_lossy(&out.stdout))
}

/// The largest resident set the process has had (VmHWM), in KiB.
pub fn peak_rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/PID/status")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[1.0, 2.0, 10.0]), Some(2.0));
        assert_eq!(median(&[1.0, 3.0]), Some(2.0));
        assert_eq!(median(&[]), None);
    }
}
