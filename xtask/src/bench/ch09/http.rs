//! Chapter 9's HTTP measurements: each server driven by wrk to saturation
//! in alternating rounds ([`http_bench`]), by oha at a fixed offered load
//! ([`fixed_load`]), and under callgrind for its instructions per request
//! ([`profile_per_request`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

use super::super::measure::{oha, peak_rss_kib, pinning, wrk};
use super::super::parse::parse_callgrind;
use super::stored::{
    FixedLoad, FixedServer, Http, HttpServer, Load, OhaRun, Profile, Stored, WrkRun, stored,
};
use super::{Budget, FIXED_SERVERS, LOADS, PROFILED, SERVERS, Toolchain};
use crate::cmd;
use crate::listings::{Program, Server};

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

/// `{median, min, max}` of `get(a) / get(b)` round by round (the pairs
/// of one round ran under the same conditions); none if either did not
/// run.
pub(super) fn ratio<T>(
    runs: &BTreeMap<&str, Vec<T>>,
    a: &str,
    b: &str,
    get: fn(&T) -> f64,
) -> Option<Stored> {
    let (x, y) = (runs.get(a)?, runs.get(b)?);
    let v: Vec<f64> = x.iter().zip(y).map(|(x, y)| get(x) / get(y)).collect();
    stored(&v)
}

pub(super) fn http_bench(
    root: &Path,
    exes: &BTreeMap<&str, PathBuf>,
    budget: &Budget,
) -> Result<Http> {
    let mut runs: BTreeMap<&str, Vec<WrkRun>> = BTreeMap::new();
    for round in 0..budget.rounds {
        for name in round_order(exes, round) {
            println!("-- round {} of {}: {name}", round + 1, budget.rounds);
            let server = start_server(root, name, &exes[name])?;
            let url = format!("http://{}/", server.addr);
            let measured = (|| -> Result<WrkRun> {
                if budget.warmup_secs > 0 {
                    wrk(&url, budget.warmup_secs, budget.connections)?;
                }
                let run = wrk(&url, budget.secs, budget.connections)?;
                Ok(WrkRun {
                    requests_per_second: run.requests_per_second,
                    requests: run.requests,
                    p50_us: run.p50_us,
                    p99_us: run.p99_us,
                    peak_rss_kib: peak_rss_kib(server.pid())?,
                })
            })();
            server.stop()?;
            runs.entry(name).or_default().push(measured?);
        }
    }
    let go = if runs.contains_key("go-current") {
        "go-current"
    } else {
        "go"
    };
    let r = |a: &str, b: &str, get: fn(&WrkRun) -> f64| ratio(&runs, a, b, get);
    let rps = |x: &WrkRun| x.requests_per_second;
    let ratios = [
        ("axum_over_go_current_rps", r("axum", "go-current", rps)),
        ("axum_over_go_rps", r("axum", "go", rps)),
        ("axum_over_reference_go_p99", r("axum", go, |x| x.p99_us)),
        ("axum_over_hyper_rps", r("axum", "hyper", rps)),
        ("axum_bare_over_hyper_rps", r("axum-bare", "hyper", rps)),
        (
            "axum_mimalloc_over_hyper_rps",
            r("axum-mimalloc", "hyper", rps),
        ),
        (
            "axum_mimalloc_over_axum_rps",
            r("axum-mimalloc", "axum", rps),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut servers = BTreeMap::new();
    for (name, listing, toolchain) in SERVERS {
        let Some(list) = runs.remove(name) else {
            continue;
        };
        let of = |get: fn(&WrkRun) -> f64| stored(&list.iter().map(get).collect::<Vec<_>>());
        servers.insert(
            name.to_string(),
            HttpServer {
                program: if *toolchain == Toolchain::Rust {
                    listing.to_string()
                } else {
                    format!("{listing}/go")
                },
                binary_bytes: std::fs::metadata(&exes[name])?.len(),
                requests_per_second: of(|r| r.requests_per_second),
                p50_us: of(|r| r.p50_us),
                p99_us: of(|r| r.p99_us),
                peak_rss_kib: of(|r| r.peak_rss_kib as f64),
                runs: list,
            },
        );
    }
    Ok(Http { ratios, servers })
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
    http: &Http,
) -> Result<FixedLoad> {
    let base_server = http.reference_go();
    let base = http
        .servers
        .get(base_server)
        .and_then(|s| s.requests_per_second)
        .context("no saturation rate of the reference Go")?
        .median;
    let mut runs: BTreeMap<u32, BTreeMap<&str, Vec<OhaRun>>> = BTreeMap::new();
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
                let measured = (|| -> Result<OhaRun> {
                    // One second to open the connections and warm up.
                    oha(oha_exe, &url, 1, budget.fixed_connections, rate)?;
                    let r = oha(
                        oha_exe,
                        &url,
                        budget.fixed_secs,
                        budget.fixed_connections,
                        rate,
                    )?;
                    Ok(OhaRun {
                        requests_per_second: r.requests_per_second,
                        p50_us: r.p50_us,
                        p99_us: r.p99_us,
                        p999_us: r.p999_us,
                    })
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
    let mut loads = BTreeMap::new();
    for (load, by_server) in runs {
        let p99 = |a: &str| ratio(&by_server, a, base_server, |r: &OhaRun| r.p99_us);
        let (axum, mimalloc) = (p99("axum"), p99("axum-mimalloc"));
        let servers = by_server
            .into_iter()
            .map(|(name, list)| {
                let of =
                    |get: fn(&OhaRun) -> f64| stored(&list.iter().map(get).collect::<Vec<_>>());
                let server = FixedServer {
                    achieved_rps: of(|r| r.requests_per_second),
                    p50_us: of(|r| r.p50_us),
                    p99_us: of(|r| r.p99_us),
                    p999_us: of(|r| r.p999_us),
                    runs: list,
                };
                (name.to_string(), server)
            })
            .collect();
        loads.insert(
            load.to_string(),
            Load {
                rate: (base * f64::from(load) / 100.0).round(),
                servers,
                axum_over_reference_go_p99: axum,
                axum_mimalloc_over_reference_go_p99: mimalloc,
            },
        );
    }
    Ok(FixedLoad {
        reference: base_server.to_string(),
        reference_rps: base,
        loads,
    })
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
) -> Result<BTreeMap<String, Profile>> {
    let mut out = BTreeMap::new();
    let dir = root.join("target/bench");
    std::fs::create_dir_all(&dir)?;
    for name in PROFILED {
        let file = dir.join(format!("callgrind.{name}.out"));
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
        let requests = run?.requests as f64;
        ensure!(requests > 0.0, "wrk counted no requests");
        let report = cmd::output(
            Command::new("callgrind_annotate")
                .arg("--inclusive=no")
                .arg(&file),
        )?;
        let (total, alloc, copy) = parse_callgrind(&String::from_utf8_lossy(&report.stdout))?;
        out.insert(
            name.to_string(),
            Profile {
                requests,
                instructions_per_request: total / requests,
                allocator_share: alloc / total,
                copy_share: copy / total,
            },
        );
    }
    Ok(out)
}
