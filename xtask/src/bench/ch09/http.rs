//! Chapter 9's HTTP measurements: each server driven by wrk to saturation
//! in alternating rounds ([`http_bench`]), by oha at a fixed offered load
//! ([`fixed_load`]), and under callgrind for its instructions per request
//! ([`profile_per_request`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::super::measure::{oha, peak_rss_kib, pinning, wrk};
use super::super::parse::parse_callgrind;
use super::{
    Budget, FIXED_SERVERS, LOADS, PROFILED, SERVERS, Toolchain, reference_go, spread_json,
};
use crate::cmd;
use crate::listings::{Program, Server};
use crate::results;

/// A server started for a measurement: pinned to the server's CPU.
pub(super) fn start_server(root: &Path, name: &str, exe: &Path) -> Result<Server> {
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
pub(super) fn round_order<'a>(exes: &BTreeMap<&str, PathBuf>, round: usize) -> Vec<&'a str> {
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

/// `{median, min, max}` of `a[key] / b[key]` round by round (the pairs of
/// one round ran under the same conditions); null if either did not run.
pub(super) fn ratio(runs: &BTreeMap<&str, Vec<Value>>, a: &str, b: &str, key: &str) -> Value {
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

pub(super) fn http_bench(
    root: &Path,
    exes: &BTreeMap<&str, PathBuf>,
    budget: &Budget,
) -> Result<Value> {
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
                "requests_per_second": spread_json(list, "requests_per_second"),
                "p50_us": spread_json(list, "p50_us"),
                "p99_us": spread_json(list, "p99_us"),
                "peak_rss_kib": spread_json(list, "peak_rss_kib"),
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
pub(super) fn fixed_load(
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
                    "achieved_rps": spread_json(list, "requests_per_second"),
                    "p50_us": spread_json(list, "p50_us"),
                    "p99_us": spread_json(list, "p99_us"),
                    "p999_us": spread_json(list, "p999_us"),
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

/// Where the time goes, counted rather than timed: each Rust server runs
/// under callgrind (valgrind), which counts the instructions it executes,
/// whatever else the machine does, while wrk sends it requests. Reported
/// per request: all instructions, and the share spent in the allocator
/// (the C library's malloc and free, or mimalloc's) and in memory copies
/// (memcpy, memmove).
pub(super) fn profile_per_request(
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
