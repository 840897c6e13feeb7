//! `cargo xtask bench`: the Rust listings measured against the Go programs.
//!
//! HTTP: the axum hello server (Listing 3-1), the same server on bare hyper
//! (Listing 9-1, the ceiling) and the Go hello server, each driven by wrk
//! with the same settings, in alternating rounds so that a drifting machine
//! affects all alike. In process: the counters of bench/counters (criterion)
//! and bench/counters-go (`go test -bench`).
//!
//! Results go to bench/results.json; the chapter's table and plots
//! (src/bench/) are rendered from that file, and the suite checks that they
//! still are. `--smoke` runs everything once, briefly, on the debug build,
//! into target/bench-smoke/, so that the harness never rots; it asserts
//! nothing about speed. The smoke run does chapter 10's proxy benchmark
//! (`cargo xtask bench proxy`, bench_proxy.rs) too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use crate::cmd;
use crate::listings::{Build, Program, Server};

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

pub fn results_file(root: &Path) -> PathBuf {
    root.join("bench/results.json")
}

pub fn figures_dir(root: &Path) -> PathBuf {
    root.join("src/bench")
}

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
    write_results(root, &results_file(root), &figures_dir(root), &results)
}

/// The suite's smoke run on the debug build, into target/bench-smoke/.
pub fn run_smoke(
    root: &Path,
    build: &Build,
    go_bins: &BTreeMap<String, PathBuf>,
    ci: bool,
) -> Result<()> {
    // Chapter 10's proxy benchmark needs no outside tools.
    crate::bench_proxy::run_smoke(root, &crate::bench_proxy::exe(build)?)?;
    if !ensure_tools(!ci)? {
        // The figures check needs no tools.
        return check_figures(root);
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
    let profile = "debug (smoke run: not a measurement)";
    let results = measure(root, &exes, &SMOKE, Some(bench_exe), profile)?;
    let out = root.join("target/bench-smoke");
    write_results(root, &out.join("results.json"), &out, &results)?;
    // The chapter's figures must be what the committed results render to.
    check_figures(root)
}

/// Renders the chapter's figures again from the committed results.
pub fn render_figures(root: &Path) -> Result<()> {
    let results: Value = serde_json::from_str(&std::fs::read_to_string(results_file(root))?)?;
    for (name, text) in render(&results)? {
        std::fs::write(figures_dir(root).join(name), text)?;
    }
    print_summary(&results);
    Ok(())
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

/// The committed table and plots are exactly what bench/results.json renders.
pub fn check_figures(root: &Path) -> Result<()> {
    let results: Value = serde_json::from_str(&std::fs::read_to_string(results_file(root))?)?;
    for (name, expected) in render(&results)? {
        let path = figures_dir(root).join(&name);
        let actual = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        ensure!(
            actual == expected,
            "{} is not what bench/results.json renders to: run `cargo xtask bench` \
             to measure again, or `cargo xtask bench --render` if only the drawing changed",
            path.display()
        );
    }
    println!("the chapter's table and plots match bench/results.json");
    Ok(())
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

/// (server CPU, client CPU) when the machine has two CPUs or more.
fn pinning() -> Option<(usize, usize)> {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    (cpus >= 2 && Path::new("/usr/bin/taskset").exists()).then_some((0, 1))
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

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// One wrk run: one thread, `connections` connections, latency percentiles.
fn wrk(url: &str, secs: u32, connections: u32) -> Result<Value> {
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
    parse_wrk(&String::from_utf8_lossy(&out.stdout))
}

/// Requests per second and the 50th and 99th latency percentiles (in µs)
/// from wrk's report; a run with socket errors or non-2xx answers fails.
pub fn parse_wrk(report: &str) -> Result<Value> {
    let mut rps = None;
    let mut requests = None;
    let mut percentiles = BTreeMap::new();
    for line in report.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", value] => rps = value.parse::<f64>().ok(),
            [count, "requests", "in", ..] => requests = count.parse::<u64>().ok(),
            [p @ ("50%" | "99%"), value] => {
                percentiles.insert(*p, duration_us(value)?);
            }
            ["Non-2xx", ..] | ["Socket", "errors:", ..] => {
                bail!("wrk saw failed requests:\n{report}")
            }
            _ => {}
        }
    }
    Ok(json!({
        "requests_per_second": rps.with_context(|| format!("no Requests/sec in:\n{report}"))?,
        "requests": requests.with_context(|| format!("no request count in:\n{report}"))?,
        "p50_us": percentiles.get("50%").with_context(|| format!("no 50% latency in:\n{report}"))?,
        "p99_us": percentiles.get("99%").with_context(|| format!("no 99% latency in:\n{report}"))?,
    }))
}

fn duration_us(text: &str) -> Result<f64> {
    for (unit, factor) in [("us", 1.0), ("ms", 1_000.0), ("s", 1_000_000.0)] {
        if let Some(number) = text.strip_suffix(unit)
            && let Ok(value) = number.parse::<f64>()
        {
            return Ok(value * factor);
        }
    }
    bail!("not a wrk duration: {text:?}")
}

/// The largest resident set the process has had (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/PID/status")
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

/// (total, allocator, memory copies) instruction counts from
/// `callgrind_annotate --inclusive=no`.
pub fn parse_callgrind(report: &str) -> Result<(f64, f64, f64)> {
    let (mut total, mut alloc, mut copy) = (None, 0.0, 0.0);
    for line in report.lines() {
        let Some(count) = line.split_whitespace().next() else {
            continue;
        };
        let Ok(count) = count.replace(',', "").parse::<f64>() else {
            continue;
        };
        if line.contains("PROGRAM TOTALS") {
            total = Some(count);
        } else if let Some(function) = line.rsplit_once(':').map(|(_, f)| f) {
            let function = function.split_whitespace().next().unwrap_or("");
            if [
                "malloc",
                "free",
                "_int_free",
                "_int_malloc",
                "realloc",
                "_int_realloc",
                "malloc_consolidate",
                "cfree",
                "unlink_chunk.constprop.0",
            ]
            .contains(&function)
            {
                alloc += count;
            } else if function.starts_with("__memcpy") || function.starts_with("__memmove") {
                copy += count;
            }
        }
    }
    Ok((
        total.context("no PROGRAM TOTALS in the callgrind report")?,
        alloc,
        copy,
    ))
}

/// Criterion (Rust) and `go test -bench` (Go): nanoseconds per iteration
/// of TOTAL_OPS increments, per counter kind and thread count.
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

/// `test atomic/1 ... bench:      123,456 ns/iter (+/- 7,890)`
pub fn parse_bencher(report: &str) -> Result<Value> {
    let mut out = serde_json::Map::new();
    for line in report.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let ["test", name, "...", "bench:", ns, "ns/iter", ..] = words.as_slice() {
            let ns: f64 = ns
                .replace(',', "")
                .parse()
                .with_context(|| format!("bad line {line:?}"))?;
            out.insert(name.to_string(), json!(ns));
        }
    }
    ensure!(
        out.len() == 12,
        "expected 12 Rust benchmarks, got {}:\n{report}",
        out.len()
    );
    Ok(Value::Object(out))
}

/// `BenchmarkCounters/atomic/1-2     1000    1234567 ns/op`
pub fn parse_go_bench(report: &str) -> Result<Value> {
    let mut out = serde_json::Map::new();
    for line in report.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [name, _iterations, ns, "ns/op", ..] = words.as_slice()
            && let Some(rest) = name.strip_prefix("BenchmarkCounters/")
        {
            // Drop the -GOMAXPROCS suffix.
            let key = rest.rsplit_once('-').map(|(k, _)| k).unwrap_or(rest);
            out.insert(key.to_string(), json!(ns.parse::<f64>()?));
        }
    }
    ensure!(
        out.len() == 12,
        "expected 12 Go benchmarks, got {}:\n{report}",
        out.len()
    );
    Ok(Value::Object(out))
}

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

fn write_results(root: &Path, json_path: &Path, figures: &Path, results: &Value) -> Result<()> {
    if let Some(dir) = json_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::create_dir_all(figures)?;
    std::fs::write(json_path, serde_json::to_string_pretty(results)? + "\n")?;
    for (name, text) in render(results)? {
        std::fs::write(figures.join(&name), text)?;
    }
    print_summary(results);
    println!(
        "wrote {} and the figures in {}",
        json_path.display(),
        figures.strip_prefix(root).unwrap_or(figures).display()
    );
    Ok(())
}

/// The side-by-side table, for the terminal.
fn print_summary(results: &Value) {
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
    for (label, key) in WORDS[0].ratios.iter().zip(RATIOS) {
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
        "\n{:<14} {:>8} {:>8} {:>8} {:>8}   (us per 40,000 increments)",
        "counter", "1", "2", "4", "8"
    );
    for (lang, key) in [("rust", "rust_ns"), ("go", "go_ns")] {
        for kind in ["atomic", "mutex", "rwlock"] {
            print!("{:<14}", format!("{lang} {kind}"));
            for t in [1, 2, 4, 8] {
                print!(" {:>8.0}", num(&c[key][format!("{kind}/{t}")]) / 1000.0);
            }
            println!();
        }
    }
}

/// The ratios in results.json, in the order of `Words::ratios`.
const RATIOS: [&str; 4] = [
    "axum_over_go_rps",
    "axum_over_go_p99",
    "axum_over_hyper_rps",
    "axum_bare_over_hyper_rps",
];

/// The words of the generated figures, per edition.
struct Words {
    lang: &'static str,
    server: &'static str,
    rps: &'static str,
    range: &'static str,
    p50: &'static str,
    p99: &'static str,
    rss: &'static str,
    binary: &'static str,
    ratio: &'static str,
    value: &'static str,
    ratios: [&'static str; 4],
    profile: [&'static str; 4],
    counter: &'static str,
    threads: &'static str,
    machine: [&'static str; 7],
    rps_title: &'static str,
    p99_title: &'static str,
    counters_title: &'static str,
}

const WORDS: [Words; 2] = [
    Words {
        lang: "en",
        server: "server",
        rps: "requests/s (median)",
        range: "min–max",
        p50: "p50 µs",
        p99: "p99 µs",
        rss: "peak RSS KiB",
        binary: "binary KiB",
        ratio: "ratio, per round: median (min–max)",
        value: "value",
        ratios: [
            "axum / go, requests/s",
            "axum / go, p99 latency",
            "axum / hyper, requests/s",
            "axum-bare / hyper, requests/s",
        ],
        profile: [
            "callgrind, per request",
            "instructions",
            "in malloc/free",
            "in memcpy/memmove",
        ],
        counter: "µs per 40,000 increments",
        threads: "threads",
        machine: ["CPU", "OS", "Rust", "Go", "wrk", "build", "load"],
        rps_title: "requests per second (median of the rounds)",
        p99_title: "p99 latency in µs (median of the rounds)",
        counters_title: "µs per 40,000 increments (lower is better)",
    },
    Words {
        lang: "zh-CN",
        server: "服务器",
        rps: "每秒请求数（中位数）",
        range: "最小–最大",
        p50: "p50 微秒",
        p99: "p99 微秒",
        rss: "峰值常驻内存 KiB",
        binary: "二进制 KiB",
        ratio: "比值（逐轮计算）：中位数（最小–最大）",
        value: "数值",
        ratios: [
            "axum / go，每秒请求数",
            "axum / go，p99 延迟",
            "axum / hyper，每秒请求数",
            "axum-bare / hyper，每秒请求数",
        ],
        profile: [
            "callgrind，每个请求",
            "指令数",
            "malloc/free 占比",
            "memcpy/memmove 占比",
        ],
        counter: "每 40,000 次递增耗时（微秒）",
        threads: "线程数",
        machine: ["CPU", "操作系统", "Rust", "Go", "wrk", "构建", "负载"],
        rps_title: "每秒请求数（各轮中位数）",
        p99_title: "p99 延迟，微秒（各轮中位数）",
        counters_title: "每 40,000 次递增耗时，微秒（越低越好）",
    },
];

/// The tables (one HTML block per edition, the other hidden by the page's
/// language; HTML, so that gettext leaves numbers that change with every
/// run alone) and the plots (SVG, one set per edition).
fn render(results: &Value) -> Result<Vec<(String, String)>> {
    let http = &results["http"];
    let c = &results["counters"];
    let m = &results["machine"];
    let s = &results["settings"];
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let text = |v: &Value| {
        v.as_str()
            .unwrap_or("")
            .replace('&', "&amp;")
            .replace('<', "&lt;")
    };
    let mut files = Vec::new();
    let mut blocks = String::new();
    for w in &WORDS {
        let mut h = format!(
            "<div class=\"bench-results\" lang=\"{}\">\n<table>\n",
            w.lang
        );
        h.push_str(&format!(
            "<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            w.server, w.rps, w.range, w.p50, w.p99, w.rss, w.binary
        ));
        for (name, _, _) in SERVERS {
            let x = &http[*name];
            h.push_str(&format!(
                "<tr><td>{name} (<code>{}</code>)</td><td>{:.0}</td><td>{:.0}–{:.0}</td><td>{:.0}</td><td>{:.0}</td><td>{:.0}</td><td>{:.0}</td></tr>\n",
                text(&x["program"]),
                num(&x["requests_per_second"]["median"]),
                num(&x["requests_per_second"]["min"]),
                num(&x["requests_per_second"]["max"]),
                num(&x["p50_us"]["median"]),
                num(&x["p99_us"]["median"]),
                num(&x["peak_rss_kib"]["median"]),
                num(&x["binary_bytes"]) / 1024.0,
            ));
        }
        h.push_str(&format!("</tbody>\n</table>\n<table>\n<thead><tr><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n", w.ratio, w.value));
        let r = &http["ratios"];
        for (label, key) in w.ratios.iter().zip([
            "axum_over_go_rps",
            "axum_over_go_p99",
            "axum_over_hyper_rps",
        ]) {
            h.push_str(&format!(
                "<tr><td>{label}</td><td>{:.2} ({:.2}–{:.2})</td></tr>\n",
                num(&r[key]["median"]),
                num(&r[key]["min"]),
                num(&r[key]["max"])
            ));
        }
        h.push_str(&format!(
            "</tbody>\n</table>\n<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            w.profile[0], w.profile[1], w.profile[2], w.profile[3]
        ));
        for name in PROFILED {
            let p = &results["profile_per_request"][name];
            h.push_str(&format!(
                "<tr><td>{name}</td><td>{:.0}</td><td>{:.0} %</td><td>{:.0} %</td></tr>\n",
                num(&p["instructions_per_request"]),
                num(&p["allocator_share"]) * 100.0,
                num(&p["copy_share"]) * 100.0,
            ));
        }
        h.push_str(&format!(
            "</tbody>\n</table>\n<table>\n<thead><tr><th>{}</th><th>{} 1</th><th>2</th><th>4</th><th>8</th></tr></thead>\n<tbody>\n",
            w.counter, w.threads
        ));
        for (lang, key) in [("Rust", "rust_ns"), ("Go", "go_ns")] {
            for kind in ["atomic", "mutex", "rwlock"] {
                h.push_str(&format!("<tr><td>{lang} {kind}</td>"));
                for threads in [1, 2, 4, 8] {
                    h.push_str(&format!(
                        "<td>{:.0}</td>",
                        num(&c[key][format!("{kind}/{threads}")]) / 1000.0
                    ));
                }
                h.push_str("</tr>\n");
            }
        }
        let load = format!(
            "wrk -t1 -c{} -d{}s ({}s warm-up) × {}; {}",
            s["connections"],
            s["seconds"],
            s["warmup_seconds"],
            s["rounds"],
            text(&s["pinning"])
        );
        h.push_str("</tbody>\n</table>\n<table>\n<tbody>\n");
        let values = [
            format!("{}, {} CPUs", text(&m["cpu"]), m["cpus"]),
            text(&m["os"]),
            text(&m["rustc"]),
            text(&m["go"]),
            text(&m["wrk"]),
            text(&results["profile"]),
            load,
        ];
        for (label, value) in w.machine.iter().zip(values) {
            h.push_str(&format!("<tr><td>{label}</td><td>{value}</td></tr>\n"));
        }
        h.push_str("</tbody>\n</table>\n");
        for (name, alt) in [
            ("http-rps", w.rps_title),
            ("http-p99", w.p99_title),
            ("counters", w.counters_title),
        ] {
            h.push_str(&format!(
                "<p><img src=\"bench/{name}.{}.svg\" alt=\"{alt}\"></p>\n",
                w.lang
            ));
        }
        h.push_str("</div>\n");
        blocks.push_str(&h);

        let series = |key: &str| -> Vec<(String, f64)> {
            SERVERS
                .iter()
                .map(|(n, _, _)| (n.to_string(), num(&http[*n][key]["median"])))
                .collect()
        };
        let mut counters = Vec::new();
        for (lang, key) in [("Rust", "rust_ns"), ("Go", "go_ns")] {
            for kind in ["atomic", "mutex", "rwlock"] {
                for threads in [1, 2, 4, 8] {
                    counters.push((
                        format!("{lang} {kind} ×{threads}"),
                        num(&c[key][format!("{kind}/{threads}")]) / 1000.0,
                    ));
                }
            }
        }
        files.push((
            format!("http-rps.{}.svg", w.lang),
            bar_chart(w.rps_title, &series("requests_per_second")),
        ));
        files.push((
            format!("http-p99.{}.svg", w.lang),
            bar_chart(w.p99_title, &series("p99_us")),
        ));
        files.push((
            format!("counters.{}.svg", w.lang),
            bar_chart(w.counters_title, &counters),
        ));
    }
    files.insert(0, ("results.md".to_string(), blocks));
    Ok(files)
}

/// A horizontal bar chart as plain SVG: one bar per (label, value). Written
/// by hand because it needs no more than this; a plotting crate (plotters)
/// is the tool for anything richer.
fn bar_chart(title: &str, bars: &[(String, f64)]) -> String {
    let (label_w, bar_w, row_h, top) = (150.0, 420.0, 22.0, 34.0);
    let height = top + row_h * bars.len() as f64 + 10.0;
    let max = bars
        .iter()
        .map(|(_, v)| *v)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        .max(1e-9);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" viewBox=\"0 0 {w} {height}\" \
         font-family=\"sans-serif, 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei'\" font-size=\"12\">\n<title>{title}</title>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{label_w}\" y=\"20\" font-size=\"14\">{title}</text>\n",
        w = label_w + bar_w + 90.0
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let len = if value.is_finite() {
            value / max * bar_w
        } else {
            0.0
        };
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{label_w}\" y=\"{:.1}\" width=\"{len:.1}\" height=\"{:.1}\" fill=\"#3b6ea5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{value:.0}</text>\n",
            label_w - 6.0,
            y + 14.0,
            y + 3.0,
            row_h - 6.0,
            label_w + len + 4.0,
            y + 14.0,
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK: &str = "Running 1s test @ http://127.0.0.1:41000/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   101.23us   20.00us   1.20ms   90.00%
  Latency Distribution
     50%   95.00us
     75%  110.00us
     90%  130.00us
     99%    1.05ms
  31234 requests in 1.00s, 3.84MB read
Requests/sec:  31200.50
Transfer/sec:      3.84MB
";

    #[test]
    fn reads_wrk_reports() {
        let r = parse_wrk(WRK).unwrap();
        assert_eq!(r["requests_per_second"], 31200.5);
        assert_eq!(r["p50_us"], 95.0);
        assert_eq!(r["p99_us"], 1050.0);
        let failing = WRK.replace(
            "Requests/sec",
            "  Non-2xx or 3xx responses: 7\nRequests/sec",
        );
        assert!(parse_wrk(&failing).is_err());
    }

    #[test]
    fn reads_bencher_and_go_reports() {
        let mut bencher = String::new();
        let mut go = String::new();
        for kind in ["atomic", "mutex", "rwlock"] {
            for t in [1, 2, 4, 8] {
                bencher.push_str(&format!(
                    "test {kind}/{t} ... bench:      1,234 ns/iter (+/- 5)\n"
                ));
                go.push_str(&format!(
                    "BenchmarkCounters/{kind}/{t}-2   \t 100\t   2345 ns/op\n"
                ));
            }
        }
        assert_eq!(parse_bencher(&bencher).unwrap()["mutex/4"], 1234.0);
        assert_eq!(parse_go_bench(&go).unwrap()["rwlock/8"], 2345.0);
        assert!(parse_go_bench("PASS").is_err());
    }

    #[test]
    fn reads_callgrind_reports() {
        let report = "--------------------------------------------------------------------------------
518,412,178 (100.0%)  PROGRAM TOTALS
--------------------------------------------------------------------------------
Ir                   file:function
37,883,653 ( 7.31%)  ./malloc/./malloc/malloc.c:_int_free [/usr/lib/x86_64-linux-gnu/libc.so.6]
35,275,426 ( 6.80%)  ./string/../sysdeps/x86_64/multiarch/memmove-vec-unaligned-erms.S:__memcpy_avx_unaligned_erms [/usr/lib/libc.so.6]
23,336,035 ( 4.50%)  ./malloc/./malloc/malloc.c:malloc [/usr/lib/x86_64-linux-gnu/libc.so.6]
19,163,606 ( 3.70%)  ???:<hyper::proto::h1::role::Server as hyper::proto::h1::Http1Transaction>::encode [/x]
";
        let (total, alloc, copy) = parse_callgrind(report).unwrap();
        assert_eq!(total, 518_412_178.0);
        assert_eq!(alloc, 37_883_653.0 + 23_336_035.0);
        assert_eq!(copy, 35_275_426.0);
        assert!(parse_callgrind("nothing").is_err());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[1.0, 2.0, 10.0]), Some(2.0));
        assert_eq!(median(&[1.0, 3.0]), Some(2.0));
        assert_eq!(median(&[]), None);
    }
}
