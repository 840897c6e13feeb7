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

use super::measure::{machine, median, peak_rss_kib, pinning, wrk};
use super::parse::{parse_bencher, parse_callgrind, parse_go_bench};
use crate::cmd;
use crate::listings::{Build, Program, Server};
use crate::results::{
    self, Bar, BarChart, Cell, Figure, Labels, Page, SMOKE_PROFILE, Spread, Table, label, labelf,
    num, spread_text, value,
};

pub const CHAPTER: super::Chapter = super::Chapter {
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
}

const FULL: Budget = Budget {
    rounds: 5,
    warmup_secs: 2,
    secs: 10,
    connections: 50,
};
const SMOKE: Budget = Budget {
    rounds: 1,
    warmup_secs: 0,
    secs: 1,
    connections: 4,
};

/// The servers, in the order of each round: (name, listing, Go program?).
const SERVERS: &[(&str, &str, bool)] = &[
    ("axum", "listing-03-01", false),
    ("go", "listing-03-01", true),
    ("hyper", "listing-09-01", false),
    ("axum-bare", "listing-09-02", false),
];

/// The full benchmark: release builds, five rounds, results into the repo.
pub fn run_full(root: &Path) -> Result<()> {
    ensure_tools(false)?;
    cmd::run(cmd::cargo().args([
        "build",
        "--release",
        "--package",
        "listing-03-01",
        "--package",
        "listing-09-01",
        "--package",
        "listing-09-02",
    ]))?;
    let go_dir = root.join("target/bench");
    std::fs::create_dir_all(&go_dir)?;
    let go_exe = go_dir.join("go-hello");
    cmd::run(
        Command::new("go")
            .args(["build", "-trimpath", "-o"])
            .arg(&go_exe)
            .arg(".")
            .current_dir(root.join("listings/ch03-core-principles/listing-03-01/go")),
    )?;
    let release = root.join("target/release");
    let exes = BTreeMap::from([
        ("axum", release.join("listing-03-01")),
        ("hyper", release.join("listing-09-01")),
        ("axum-bare", release.join("listing-09-02")),
        ("go", go_exe),
    ]);
    let results = measure(root, &exes, &FULL, None, "release")?;
    super::write(root, &CHAPTER, &results, false)
}

/// The suite's smoke run on the debug build, into target/bench-smoke/.
pub fn run_smoke(
    root: &Path,
    build: &Build,
    go_bins: &BTreeMap<String, PathBuf>,
    ci: bool,
) -> Result<()> {
    if !ensure_tools(!ci)? {
        // The figures check needs no tools.
        return super::check(root, &CHAPTER);
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
    let results = measure(root, &exes, &SMOKE, Some(bench_exe), SMOKE_PROFILE)?;
    super::write(root, &CHAPTER, &results, true)?;
    // The chapter's figures must be what the committed results render to.
    super::check(root, &CHAPTER)
}

/// Everything measured, with the machine and the settings it was measured with.
fn measure(
    root: &Path,
    servers: &BTreeMap<&str, PathBuf>,
    budget: &Budget,
    counters_exe: Option<&PathBuf>,
    profile: &str,
) -> Result<Value> {
    Ok(json!({
        "profile": profile,
        "machine": machine(root)?,
        "settings": settings(budget),
        "http": http_bench(root, servers, budget)?,
        "profile_per_request": profile_per_request(root, servers, budget)?,
        "counters": counter_bench(root, counters_exe)?,
    }))
}

/// wrk and Go: installed as root on Debian; otherwise a clear error, or,
/// for the smoke run outside CI, a plain note of what did not run.
fn ensure_tools(smoke_may_skip: bool) -> Result<bool> {
    let has = |c: &str, arg: &str| Command::new(c).arg(arg).output().is_ok();
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
    })
}

fn http_bench(root: &Path, exes: &BTreeMap<&str, PathBuf>, budget: &Budget) -> Result<Value> {
    let mut runs: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for round in 0..budget.rounds {
        // Alternate the order: A B C, then C B A, ...
        let mut order: Vec<&(&str, &str, bool)> = SERVERS.iter().collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for (name, _, _) in order {
            println!("-- round {} of {}: {name}", round + 1, budget.rounds);
            let exe = &exes[name];
            let program = Program {
                label: name.to_string(),
                exe: exe.clone(),
                dir: root.to_path_buf(),
                default_command: String::new(),
                bins: BTreeMap::new(),
            };
            let server_cpu = pinning().map(|(s, _)| s.to_string());
            let prefix: Vec<&str> = match &server_cpu {
                Some(cpu) => vec!["taskset", "-c", cpu],
                None => vec![],
            };
            let server = Server::start_with(&program, &[], &prefix)?;
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
    for (name, listing, go) in SERVERS {
        let list = &runs[name];
        let summary = |key: &str| -> Value {
            let mut v: Vec<f64> = list.iter().filter_map(|r| r[key].as_f64()).collect();
            v.sort_by(f64::total_cmp);
            json!({ "median": median(&v), "min": v.first(), "max": v.last() })
        };
        out.insert(
            name.to_string(),
            json!({
                "program": if *go { format!("{listing}/go") } else { listing.to_string() },
                "binary_bytes": std::fs::metadata(&exes[name])?.len(),
                "requests_per_second": summary("requests_per_second"),
                "p50_us": summary("p50_us"),
                "p99_us": summary("p99_us"),
                "peak_rss_kib": summary("peak_rss_kib"),
                "runs": list,
            }),
        );
    }
    // Ratios per round (the pairs of one round ran under the same conditions).
    let ratio = |a: &str, b: &str, key: &str| -> Value {
        let mut v: Vec<f64> = runs[a]
            .iter()
            .zip(&runs[b])
            .filter_map(|(x, y)| Some(x[key].as_f64()? / y[key].as_f64()?))
            .collect();
        v.sort_by(f64::total_cmp);
        json!({ "median": median(&v), "min": v.first(), "max": v.last() })
    };
    out.insert(
        "ratios".into(),
        json!({
            "axum_over_go_rps": ratio("axum", "go", "requests_per_second"),
            "axum_over_go_p99": ratio("axum", "go", "p99_us"),
            "axum_over_hyper_rps": ratio("axum", "hyper", "requests_per_second"),
            "axum_bare_over_hyper_rps": ratio("axum-bare", "hyper", "requests_per_second"),
        }),
    );
    Ok(Value::Object(out))
}

/// The servers whose instructions are counted.
const PROFILED: [&str; 3] = ["axum", "axum-bare", "hyper"];

/// Where the time goes, counted rather than timed: each Rust server runs
/// under callgrind (valgrind), which counts the instructions it executes,
/// whatever else the machine does, while wrk sends it requests. Reported
/// per request: all instructions, and the share spent in the C library's
/// allocator (malloc, free) and in memory copies (memcpy, memmove).
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

/// Criterion (Rust) and `go test -bench` (Go): nanoseconds per iteration
/// of TOTAL_OPS operations, per counter kind and thread count.
fn counter_bench(root: &Path, smoke_exe: Option<&PathBuf>) -> Result<Value> {
    let rust_report = match smoke_exe {
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
    let benchtime = if smoke_exe.is_some() { "1x" } else { "2s" };
    let go_report = cmd::output(
        Command::new("go")
            .args(["test", "-run", "^$", "-bench", ".", "-benchtime", benchtime])
            .env("GOFLAGS", "-mod=mod")
            .env("GOPROXY", "off")
            .current_dir(root.join("bench/counters-go")),
    )?;
    let go = parse_go_bench(&String::from_utf8_lossy(&go_report.stdout))?;
    Ok(json!({ "ops_per_iteration": 40_000, "rust_ns": rust, "go_ns": go }))
}

/// The side-by-side table, for the terminal.
fn print_summary(results: &Value) -> Result<()> {
    let http = &results["http"];
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    println!(
        "\n{:<8} {:>12} {:>19} {:>9} {:>9} {:>10}",
        "server", "req/s", "min-max", "p50 us", "p99 us", "RSS KiB"
    );
    for (name, _, _) in SERVERS {
        let x = &http[*name];
        println!(
            "{name:<8} {:>12.0} {:>19} {:>9.0} {:>9.0} {:>10.0}",
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
        println!("{label:<30} {:.2}", num(&http["ratios"][key]["median"]));
    }
    for name in PROFILED {
        let p = &results["profile_per_request"][name];
        println!(
            "{name:<10} {:>8.0} instructions/request, {:>3.0}% in malloc/free, {:>3.0}% in memcpy",
            num(&p["instructions_per_request"]),
            num(&p["allocator_share"]) * 100.0,
            num(&p["copy_share"]) * 100.0
        );
    }
    let c = &results["counters"];
    println!(
        "\n{:<14} {:>8} {:>8} {:>8} {:>8}   (us per 40,000 operations)",
        "counter", "1", "2", "4", "8"
    );
    for (lang, key) in [("rust", "rust_ns"), ("go", "go_ns")] {
        for kind in COUNTERS {
            if c[key][format!("{kind}/1")].is_null() {
                continue;
            }
            print!("{:<14}", format!("{lang} {kind}"));
            for t in [1, 2, 4, 8] {
                print!(" {:>8.0}", num(&c[key][format!("{kind}/{t}")]) / 1000.0);
            }
            println!();
        }
    }
    Ok(())
}

/// The ratios in results.json, with their labels' keys.
const RATIOS: [(&str, &str); 4] = [
    ("axum_over_go_rps", "axum / go, requests/s"),
    ("axum_over_go_p99", "axum / go, p99 latency"),
    ("axum_over_hyper_rps", "axum / hyper, requests/s"),
    ("axum_bare_over_hyper_rps", "axum-bare / hyper, requests/s"),
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
    ("rss", "peak RSS KiB", "峰值常驻内存 KiB"),
    ("binary", "binary KiB", "二进制 KiB"),
    (
        "ratio",
        "ratio, per round: median (min–max)",
        "比值（逐轮计算）：中位数（最小–最大）",
    ),
    (
        "axum / go, requests/s",
        "axum / go, requests/s",
        "axum / go，每秒请求数",
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
    ("callgrind", "callgrind, per request", "callgrind，每个请求"),
    ("instructions", "instructions", "指令数"),
    // Around a C function's name, set as code: "in `malloc`/`free`",
    // "`malloc`/`free` 占比".
    ("share_before", "in ", ""),
    ("share_after", "", " 占比"),
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
    ("us", "µs", "微秒"),
    ("go", "Go", "Go"),
    ("rps_unit", "requests/s", "次请求/秒"),
    ("wrk", "wrk", "wrk"),
    (
        "load_text",
        " ({} s warm-up) × {} rounds; ",
        "（预热 {} 秒）× {} 轮；",
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
    let server_cell = |name: &str| {
        Cell::Join(vec![
            value(name),
            label("open"),
            Cell::Code(text(&http[name]["program"])),
            label("close"),
        ])
    };

    let mut servers = Vec::new();
    for (name, _, _) in SERVERS {
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
        .map(|(key, name)| {
            vec![
                label(name),
                value(spread_text(stored_spread(&http["ratios"][*key]), 2)),
            ]
        })
        .collect();
    let profiled = PROFILED
        .iter()
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
    let mut counters = Vec::new();
    let mut counter_bars = Vec::new();
    for (lang, key) in [("Rust", "rust_ns"), ("Go", "go_ns")] {
        for kind in COUNTERS {
            if c[key][format!("{kind}/1")].is_null() {
                continue;
            }
            let name = labelf(kind, &[lang.to_string()]);
            let mut row = vec![name];
            for threads in THREADS {
                let us = counter_us(key, kind, threads);
                row.push(value(num(us, 0)));
                counter_bars.push(Bar {
                    label: Cell::Join(vec![
                        labelf(kind, &[lang.to_string()]),
                        value(format!(" ×{threads}")),
                    ]),
                    value: us,
                    range: None,
                });
            }
            counters.push(row);
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
    machine.insert(3, vec![label("go"), value(text(&m["go"]))]);
    machine.insert(4, vec![label("wrk"), value(text(&m["wrk"]))]);
    let bars = |key: &str| -> Vec<Bar> {
        SERVERS
            .iter()
            .map(|(name, _, _)| Bar::spread(value(*name), stored_spread(&http[*name][key])))
            .collect()
    };
    Ok(Page {
        name: "results".into(),
        labels: LABELS,
        tables: vec![
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
            Table {
                header: vec![
                    label("callgrind"),
                    label("instructions"),
                    share_header("malloc/free"),
                    share_header("memcpy/memmove"),
                ],
                rows: profiled,
            },
            Table {
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
            },
            Table {
                header: vec![label("machine"), label("value")],
                rows: machine,
            },
        ],
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
        assert!(en.contains("<td>18 %</td>") && zh.contains("<td>18%</td>"));
        assert!(zh.contains("<th><code>malloc/free</code> 占比</th>"));
        assert!(zh.contains("<td><code>wrk -t1 -c50 -d10s</code>（预热 2 秒）× 5 轮；"));
        for (_, english, chinese) in LABELS.iter().chain(results::COMMON) {
            for word in english.split("{}").map(str::trim).filter(|w| w.len() > 3) {
                if !chinese.contains(word) {
                    assert!(!zh.contains(word), "{word:?} in the Chinese block");
                }
            }
        }
        let svg = &files
            .iter()
            .find(|(n, _)| n == "http-rps.zh-CN.svg")
            .unwrap()
            .1;
        assert!(svg.contains("<desc>axum: ") && svg.contains("次请求/秒"));
        assert!(!svg.contains("requests"));
        let counters = &files
            .iter()
            .find(|(n, _)| n == "counters.zh-CN.svg")
            .unwrap()
            .1;
        assert!(counters.contains(">Go 读写锁，9 读 1 写 ×8<"));
        let us = (results["counters"]["rust_ns"]["atomic/1"].as_f64().unwrap() / 1000.0).round();
        assert!(counters.contains(&format!("{us} 微秒")));
    }
}
