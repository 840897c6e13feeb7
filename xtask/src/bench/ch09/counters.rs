//! Chapter 9's counters in process: criterion's and `go test -bench`'s
//! times per iteration ([`counter_bench`]), and what the contended ones
//! ask of the kernel, counted by `perf stat` ([`contention`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use super::super::measure::perf_stat;
use super::super::parse::{parse_criterion_estimates, parse_go_bench};
use super::stored::{Contended, ContendedRun, Contention, Counters, stored};
use super::{Budget, CONTENDED, COUNTERS, THREADS, Tools};
use crate::cmd;

/// Criterion (Rust) and `go test -bench` (Go, with each Go): nanoseconds
/// per iteration of TOTAL_OPS operations, per counter kind and thread
/// count. Criterion's numbers come from the estimates it writes as JSON,
/// into a folder of this run's own (`CRITERION_HOME`).
pub(super) fn counter_bench(root: &Path, tools: &Tools) -> Result<Counters> {
    let smoke = tools.counters_exe.is_some();
    let home = root.join(if smoke {
        "target/bench-smoke/criterion"
    } else {
        "target/bench/criterion"
    });
    // No estimates of an earlier run can be read as this one's.
    if home.exists() {
        std::fs::remove_dir_all(&home).with_context(|| format!("removing {}", home.display()))?;
    }
    match &tools.counters_exe {
        Some(exe) => cmd::output(Command::new(exe).env("CRITERION_HOME", &home).args([
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
        ]))?,
        None => cmd::output(cmd::cargo().env("CRITERION_HOME", &home).args([
            "bench",
            "--package",
            "bench-counters",
            "--bench",
            "counters",
        ]))?,
    };
    let mut rust = BTreeMap::new();
    for kind in COUNTERS {
        for threads in THREADS {
            let name = format!("{kind}/{threads}");
            let path = home.join(&name).join("new/estimates.json");
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("criterion wrote no {}", path.display()))?;
            rust.insert(name, parse_criterion_estimates(&text)?);
        }
    }
    let benchtime = if smoke { "1x" } else { "2s" };
    let mut out = Counters {
        ops_per_iteration: 40_000,
        rust_ns: rust,
        go_ns: BTreeMap::new(),
        go_current_ns: None,
    };
    for (name, go) in &tools.gos {
        let go_report = cmd::output(
            Command::new(go)
                .args(["test", "-run", "^$", "-bench", ".", "-benchtime", benchtime])
                .env("GOFLAGS", "-mod=mod")
                .env("GOPROXY", "off")
                .env("GOTOOLCHAIN", "local")
                .current_dir(root.join("bench/counters-go")),
        )?;
        let ns = parse_go_bench(&String::from_utf8_lossy(&go_report.stdout))?;
        if *name == "go" {
            out.go_ns = ns;
        } else {
            out.go_current_ns = Some(ns);
        }
    }
    Ok(out)
}

/// The counters taken apart: what the process asks of the kernel while
/// the threads fight over a lock. `perf stat` counts the futex system
/// calls (the kernel's wait queue, where a thread that cannot take a lock
/// goes to sleep) and the context switches, over `iterations` iterations
/// of one counter benchmark; per 1,000 operations and per iteration.
pub(super) fn contention(tools: &Tools, budget: &Budget) -> Result<Contention> {
    let mut programs: Vec<(&str, &Path)> = vec![("rust", &tools.rust_contend)];
    for (name, exe) in &tools.go_contend {
        programs.push((if *name == "go" { "go" } else { "go_current" }, exe));
    }
    let ops = 40_000.0 * f64::from(budget.contend_iterations);
    let mut out = BTreeMap::new();
    for (lang, exe) in programs {
        let mut by_case = BTreeMap::new();
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
                runs.push(ContendedRun {
                    futex_per_1000_ops: counts["syscalls:sys_enter_futex"] / ops * 1000.0,
                    switches_per_1000_ops: counts["context-switches"] / ops * 1000.0,
                    us_per_iteration: secs * 1e6 / f64::from(budget.contend_iterations),
                });
            }
            let of =
                |get: fn(&ContendedRun) -> f64| stored(&runs.iter().map(get).collect::<Vec<_>>());
            by_case.insert(
                format!("{kind}/{threads}"),
                Contended {
                    futex_per_1000_ops: of(|r| r.futex_per_1000_ops),
                    switches_per_1000_ops: of(|r| r.switches_per_1000_ops),
                    us_per_iteration: of(|r| r.us_per_iteration),
                    runs,
                },
            );
        }
        out.insert(lang.to_string(), by_case);
    }
    Ok(Contention {
        iterations: budget.contend_iterations,
        results: out,
    })
}
