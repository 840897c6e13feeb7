//! The measuring tools every chapter's harness may use: the machine's
//! description, CPU pinning, a wrk run, an oha run at a fixed rate, perf
//! stat's counts, a process's peak memory. They run processes and hand
//! their reports to [`super::parse`].

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use super::parse;
use crate::cmd;
use crate::results::Machine;

/// The machine this runs on: CPU, cores, OS, and the versions of rustc,
/// Go and wrk.
pub fn machine(root: &Path) -> Result<Machine> {
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
    Ok(Machine {
        cpu,
        cpus: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        os,
        rustc: first_line(Command::new("rustc").arg("-V").current_dir(root)),
        go: Some(first_line(Command::new("go").arg("version"))),
        go_current: None,
        // "wrk 4.1.0 [epoll] Copyright ...": the version, not the notice.
        wrk: Some(
            first_line(Command::new("wrk").arg("-v"))
                .split(" Copyright")
                .next()
                .unwrap_or("")
                .to_string(),
        ),
        oha: None,
    })
}

/// (server CPU, client CPU) when the machine has two CPUs or more.
pub fn pinning() -> Option<(usize, usize)> {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    (cpus >= 2 && Path::new("/usr/bin/taskset").exists()).then_some((0, 1))
}

/// One wrk run: one thread, `connections` connections, latency percentiles.
pub fn wrk(url: &str, secs: u32, connections: u32) -> Result<parse::Wrk> {
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

/// One oha run at a fixed rate (open loop: requests start on a schedule,
/// and `--latency-correction` counts each latency from when its request
/// was due), pinned like wrk: the achieved rate and the latency
/// percentiles in µs.
pub fn oha(exe: &Path, url: &str, secs: u32, connections: u32, rate: f64) -> Result<parse::Oha> {
    let mut c = match pinning() {
        Some((_, cpu)) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &cpu.to_string()]).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    c.args([
        "-z",
        &format!("{secs}s"),
        "-c",
        &connections.to_string(),
        "-q",
        &rate.to_string(),
        "--latency-correction",
        "--no-tui",
        "--output-format",
        "json",
        url,
    ]);
    let out = cmd::output(&mut c)?;
    parse::parse_oha(&String::from_utf8_lossy(&out.stdout))
}

/// Runs `command` under `perf stat -x,` and returns its counts of `events`.
pub fn perf_stat(events: &[&str], command: &mut Command) -> Result<BTreeMap<String, f64>> {
    let mut c = Command::new("perf");
    c.args(["stat", "-x,", "-e", &events.join(",")])
        .arg("--")
        .arg(command.get_program())
        .args(command.get_args());
    let out = cmd::output(&mut c)?;
    let counts = parse::parse_perf_stat(&String::from_utf8_lossy(&out.stderr))?;
    for event in events {
        anyhow::ensure!(counts.contains_key(*event), "perf did not count {event}");
    }
    Ok(counts)
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

/// The first line a command prints (on stdout, or else stderr), trimmed;
/// empty when it cannot run. Tools print their versions either way.
pub fn first_line(c: &mut Command) -> String {
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
}
