//! Chapter 9's counters in process: criterion's and `go test -bench`'s
//! times per iteration ([`counter_bench`]), and what the contended ones
//! ask of the kernel, counted by `perf stat` ([`contention`]).

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use serde_json::{Value, json};

use super::super::measure::perf_stat;
use super::super::parse::{parse_bencher, parse_go_bench};
use super::{Budget, CONTENDED, Tools, spread_json};
use crate::cmd;

/// Criterion (Rust) and `go test -bench` (Go, with each Go): nanoseconds
/// per iteration of TOTAL_OPS operations, per counter kind and thread
/// count.
pub(super) fn counter_bench(root: &Path, tools: &Tools) -> Result<Value> {
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
pub(super) fn contention(tools: &Tools, budget: &Budget) -> Result<Value> {
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
                    "futex_per_1000_ops": spread_json(&runs, "futex_per_1000_ops"),
                    "switches_per_1000_ops": spread_json(&runs, "switches_per_1000_ops"),
                    "us_per_iteration": spread_json(&runs, "us_per_iteration"),
                    "runs": runs,
                }),
            );
        }
        out.insert(lang.to_string(), Value::Object(by_case));
    }
    Ok(json!({ "iterations": budget.contend_iterations, "results": out }))
}
