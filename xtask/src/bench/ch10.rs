//! Chapter 10, `cargo xtask bench proxy`: what the fault-injecting proxy
//! (Listing 10-2) costs when it injects nothing, beside a production proxy
//! (HAProxy in TCP mode) and the direct connection, in one run.
//!
//! Three processes at most: the listing's `proxy-overhead` (the client and
//! a tiny HTTP server, on a port chosen here), its `faultproxy` forwarding
//! to that server, and HAProxy forwarding to it too. `proxy-overhead`
//! measures each path in turn (latency at a fixed offered rate, then
//! closed-loop throughput); this file starts the two proxies, stops them on
//! every path, stores the report with the machine in bench/ch10-proxy.json,
//! and describes the chapter's table and figure (src/bench/ch10-proxy*) in
//! [`page`].
//!
//! HAProxy is installed with apt-get when run as root (like the other
//! benchmarks' tools). The suite's smoke run leaves it out: it proves the
//! harness and the listing's binaries in a few seconds, and the suite
//! should not need a program that only this comparison uses (CI's network
//! is closed, so it could not install it there).

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Smoke;
use super::measure::{first_line, machine};
use crate::cmd;
use crate::results::{
    self, Cell, Figure, Labels, LineChart, Machine, Page, Table, label, labelf, spread,
    spread_text, value,
};

const PACKAGE: &str = "listing-10-02";
const BINARY: &str = "proxy-overhead";
const FAULTPROXY: &str = "faultproxy";
const HAPROXY: &str = "/usr/sbin/haproxy";
/// The closed-loop connections: the binary's default, passed explicitly so
/// that the recorded settings are certainly what ran.
const CONNECTIONS: u32 = 32;
/// The goals, against HAProxy on the same run: at least this share of its
/// requests per second ...
const RPS_RATIO_GOAL: f64 = 0.9;
/// ... and at most this much more than its median latency, in µs.
const P50_MARGIN_GOAL_US: f64 = 20.0;

pub const CHAPTER: super::Chapter = super::Chapter {
    name: "proxy",
    about: "Chapter 10: what the fault-injecting proxy (Listing 10-2) costs, beside HAProxy",
    full: run_full,
    smoke: run_smoke,
    needs_go: false,
    results: "bench/ch10-proxy.json",
    smoke_results: "ch10-proxy.json",
    page,
    summary: print_summary,
    regenerate: "run `cargo xtask bench proxy` to measure again, or \
                 `cargo xtask bench --render` if only the drawing changed",
};

/// The measurement: release builds, the binary's default load, HAProxy.
fn run_full(root: &Path) -> Result<Value> {
    if !Path::new(HAPROXY).exists() && !cmd::apt_install(&["haproxy"])? {
        bail!(
            "{HAPROXY} is missing: the proxy benchmark compares the fault proxy with HAProxy. \
             Install it with: sudo apt-get install haproxy"
        );
    }
    ensure!(
        Path::new(HAPROXY).exists(),
        "apt-get installed no {HAPROXY}"
    );
    cmd::run(cmd::cargo().args([
        "build",
        "--release",
        "-p",
        PACKAGE,
        "--bin",
        BINARY,
        "--bin",
        FAULTPROXY,
    ]))?;
    let exe = root.join("target/release").join(BINARY);
    measure(root, &exe, false, "release")
}

/// The suite's smoke run of the debug build's `proxy-overhead` (its
/// `faultproxy` is beside it): direct and the fault proxy, no HAProxy.
fn run_smoke(root: &Path, smoke: &Smoke) -> Result<Option<Value>> {
    let exe = smoke
        .build
        .bins
        .get(&format!("{PACKAGE}/{BINARY}"))
        .with_context(|| format!("the workspace build made no {PACKAGE}/{BINARY}"))?;
    measure(root, exe, true, results::SMOKE_PROFILE).map(Some)
}

/// A child process, killed and reaped when dropped: on every path out of
/// [`measure`], errors included.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port that was free a moment ago, for the programs that cannot report
/// the one they bound (HAProxy) or must be known before the proxies start
/// (the upstream server).
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `faultproxy` with one proxy to `upstream` and no API traffic;
/// returns it and the proxy's address, from the line it prints.
fn start_faultproxy(exe: &Path, upstream: SocketAddr) -> Result<(Guard, SocketAddr)> {
    let mut child = Guard(
        Command::new(exe)
            .args([
                "127.0.0.1:0",
                "--proxy",
                &format!("bench=127.0.0.1:0={upstream}"),
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?,
    );
    let stdout = child.0.stdout.take().context("no stdout")?;
    let (tx, rx) = mpsc::channel();
    // A thread, so that waiting for the line is bounded in time.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            // "proxy bench: 127.0.0.1:PORT -> UPSTREAM"
            if let Some(rest) = line.strip_prefix("proxy bench: ") {
                let _ = tx.send(rest.split(" -> ").next().unwrap_or("").to_string());
            }
        }
    });
    let listen = rx
        .recv_timeout(Duration::from_secs(10))
        .context("faultproxy did not announce its proxy within 10 s")?;
    let addr = listen
        .parse()
        .with_context(|| format!("faultproxy announced {listen:?}"))?;
    Ok((child, addr))
}

/// HAProxy as a plain TCP relay, as close to the fault proxy's job as it
/// goes: no health checks, no logging, its default threads (one per CPU).
fn haproxy_config(port: u16, upstream: SocketAddr) -> String {
    format!(
        "global\n    maxconn 4096\n\n\
         defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n\n\
         frontend bench\n    bind 127.0.0.1:{port}\n    default_backend upstream\n\n\
         backend upstream\n    server upstream {upstream}\n"
    )
}

/// Starts HAProxy in the foreground (`-db`) and waits until it accepts.
fn start_haproxy(root: &Path, upstream: SocketAddr) -> Result<(Guard, SocketAddr)> {
    let port = free_port()?;
    let config = root.join("target/bench/ch10-haproxy.cfg");
    std::fs::create_dir_all(config.parent().context("no parent")?)?;
    std::fs::write(&config, haproxy_config(port, upstream))?;
    let mut child = Guard(
        Command::new(HAPROXY)
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting haproxy")?,
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        if let Some(status) = child.0.try_wait()? {
            bail!(
                "haproxy exited at start ({status}); its config is {}",
                config.display()
            );
        }
        ensure!(
            Instant::now() < deadline,
            "haproxy did not listen on {addr} within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((child, addr))
}

/// "HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/"
/// becomes "HAProxy 2.6.12-1+deb12u4".
fn haproxy_version() -> String {
    let line = first_line(Command::new(HAPROXY).arg("-v"));
    match line.strip_prefix("HAProxy version ") {
        Some(rest) => format!("HAProxy {}", rest.split(' ').next().unwrap_or("")),
        None => line,
    }
}

/// The three load averages, as `/proc/loadavg` gives them.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split(' ')
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn measure(root: &Path, exe: &Path, smoke: bool, profile: &str) -> Result<Value> {
    let raw = root.join(if smoke {
        "target/bench-smoke/ch10-proxy.raw.json"
    } else {
        "target/bench/ch10-proxy.raw.json"
    });
    std::fs::create_dir_all(raw.parent().context("no parent")?)?;
    let _ = std::fs::remove_file(&raw);
    let upstream = SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let (_faultproxy, via_faultproxy) =
        start_faultproxy(&exe.with_file_name(FAULTPROXY), upstream)?;
    let mut via = vec![format!("faultproxy={via_faultproxy}")];
    let (_haproxy, haproxy) = if smoke {
        (None, None)
    } else {
        let (guard, addr) = start_haproxy(root, upstream)?;
        via.push(format!("haproxy={addr}"));
        (Some(guard), Some(haproxy_version()))
    };
    let mut c = Command::new(exe);
    c.args(["--listen", &upstream.to_string()]);
    for v in &via {
        c.args(["--via", v]);
    }
    c.args(["--connections", &CONNECTIONS.to_string()]);
    if smoke {
        c.arg("--smoke");
    }
    c.arg("--out").arg(&raw);
    let load_before = loadavg();
    cmd::run(&mut c)?;
    let load_after = loadavg();
    let text =
        std::fs::read_to_string(&raw).with_context(|| format!("reading {}", raw.display()))?;
    let report: Report = serde_json::from_str(&text)
        .with_context(|| format!("{} is not the report {BINARY} writes", raw.display()))?;
    let results = Results {
        // Chapter 9's tools; nothing here uses them.
        machine: machine(root)?.without_go_and_wrk(),
        profile: profile.to_string(),
        settings: Settings {
            command: format!(
                "{BINARY} --listen ADDR {} --connections {CONNECTIONS}{}",
                if smoke {
                    "--via faultproxy=ADDR"
                } else {
                    "--via faultproxy=ADDR --via haproxy=ADDR"
                },
                if smoke { " --smoke" } else { "" }
            ),
            rate: report.rate,
            seconds: report.seconds,
            rounds: report.rounds,
            connections: CONNECTIONS,
            pinning: "none".into(),
            haproxy,
            load_before,
            load_after,
        },
        results: report,
    };
    Ok(serde_json::to_value(&results)?)
}

/// `proxy-overhead`'s report, field for field as the listing's `Report`
/// and `Target` write it (listing-10-02/src/bin/proxy-overhead.rs): a
/// field added, renamed or dropped on either side fails the smoke run.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    rate: u32,
    seconds: f64,
    rounds: u32,
    connections: usize,
    /// `direct` first, then the proxies in the order given.
    targets: Vec<Target>,
}

/// One path's numbers, one entry per round.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    name: String,
    addr: SocketAddr,
    p50_us: Vec<u64>,
    p99_us: Vec<u64>,
    p999_us: Vec<u64>,
    rps: Vec<f64>,
    errors: Vec<usize>,
}

/// bench/ch10-proxy.json: the report with the machine and the settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Results {
    machine: Machine,
    profile: String,
    settings: Settings,
    results: Report,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// The command that ran, with its addresses as `ADDR`.
    command: String,
    rate: u32,
    seconds: f64,
    rounds: u32,
    connections: u32,
    pinning: String,
    /// HAProxy's version; none in the smoke run.
    haproxy: Option<String>,
    /// `/proc/loadavg`'s three numbers before and after the run.
    load_before: String,
    load_after: String,
}

impl Results {
    fn read(results: &Value) -> Result<Results> {
        Results::deserialize(results).context("the results are not what the proxy page reads")
    }
}

/// One path's numbers, one per round: p50, p99, p99.9 (µs), requests/s.
#[derive(Debug)]
struct Series([Vec<f64>; 4]);

/// The numbers the table shows, from the binary's report.
#[derive(Debug)]
struct Overhead {
    direct: Series,
    faultproxy: Series,
    /// None in the smoke run.
    haproxy: Option<Series>,
}

fn median(values: &[f64]) -> f64 {
    spread(values).map_or(f64::NAN, |s| s.median)
}

impl Series {
    /// Per round, this path minus direct: p50, p99, p99.9 (µs).
    fn added(&self, direct: &Series) -> Result<[Vec<f64>; 3]> {
        let d = |i: usize| results::paired(&direct.0[i], &self.0[i], |d, p| p - d);
        Ok([d(0)?, d(1)?, d(2)?])
    }

    /// Per round, the share of the direct throughput lost, in %.
    fn lost_pct(&self, direct: &Series) -> Result<Vec<f64>> {
        results::paired(&direct.0[3], &self.0[3], |d, p| (1.0 - p / d) * 100.0)
    }

    fn medians(&self, upto: usize) -> Vec<f64> {
        self.0[..upto].iter().map(|v| median(v)).collect()
    }
}

/// The fault proxy against HAProxy, per round: its share of HAProxy's
/// requests per second, and how many µs its p50 is above HAProxy's.
struct Versus {
    rps_ratio: Vec<f64>,
    p50_margin_us: Vec<f64>,
}

impl Versus {
    /// (requests/s goal met, p50 goal met), on the medians of the rounds.
    fn verdicts(&self) -> (bool, bool) {
        let ratio = median(&self.rps_ratio);
        (
            ratio.is_finite() && ratio >= RPS_RATIO_GOAL,
            results::met(median(&self.p50_margin_us), P50_MARGIN_GOAL_US),
        )
    }
}

impl Overhead {
    fn from_report(report: &Report) -> Result<Overhead> {
        let series = |name: &str| -> Option<Series> {
            let p = report.targets.iter().find(|p| p.name == name)?;
            let us = |v: &[u64]| v.iter().map(|&x| x as f64).collect();
            Some(Series([
                us(&p.p50_us),
                us(&p.p99_us),
                us(&p.p999_us),
                p.rps.clone(),
            ]))
        };
        Ok(Overhead {
            direct: series("direct").context("the report has no direct path")?,
            faultproxy: series("faultproxy").context("the report has no faultproxy path")?,
            haproxy: series("haproxy"),
        })
    }

    fn versus(&self) -> Result<Option<Versus>> {
        let Some(h) = &self.haproxy else {
            return Ok(None);
        };
        let f = &self.faultproxy;
        Ok(Some(Versus {
            rps_ratio: results::paired(&h.0[3], &f.0[3], |h, f| f / h)?,
            p50_margin_us: results::paired(&h.0[0], &f.0[0], |h, f| f - h)?,
        }))
    }
}

const LABELS: Labels = &[
    (
        "rounds",
        "median of {} rounds (min–max)",
        "{} 轮的中位数（最小–最大）",
    ),
    ("p50", "p50 µs", "p50 微秒"),
    ("p99", "p99 µs", "p99 微秒"),
    ("p999", "p99.9 µs", "p99.9 微秒"),
    ("rps", "requests/s", "每秒请求数"),
    ("direct", "direct to the server", "直连服务器"),
    ("via_haproxy", "through HAProxy", "经过 HAProxy"),
    ("via_faultproxy", "through the fault proxy", "经过故障代理"),
    ("added_haproxy", "added by HAProxy", "HAProxy 带来的开销"),
    (
        "added_faultproxy",
        "added by the fault proxy",
        "故障代理带来的开销",
    ),
    ("lost", "{} % lost", "损失 {} %"),
    (
        "verdict",
        "the fault proxy against the goals",
        "故障代理对照目标",
    ),
    (
        "p50_goal",
        "{} (p50 minus HAProxy's: {} µs, median of the rounds; the goal is at most {} µs)",
        "{}（p50 减去 HAProxy 的 p50：{} 微秒，取各轮中位数；目标是不超过 {} 微秒）",
    ),
    (
        "rps_goal",
        "{} ({}× HAProxy's requests/s, median of the rounds; the goal is at least {}×)",
        "{}（每秒请求数是 HAProxy 的 {} 倍，取各轮中位数；目标是至少 {} 倍）",
    ),
    (
        "load_text",
        "per path, an open loop at {} requests/s for {} s, then a closed loop of {} \
         connections for {} s; {} rounds, the paths taking turns; loopback; the client and \
         the server in one process, each proxy in its own; no CPU pinning",
        "每条路径先以每秒 {} 个请求的固定速率（开环）发送 {} 秒，再用 {} 个连接（闭环）\
         发送 {} 秒；共 {} 轮，各路径轮流进行；本机环回；客户端与服务器在同一进程，\
         每个代理各占一个进程；不绑定 CPU",
    ),
    ("haproxy", "HAProxy", "HAProxy"),
    (
        "haproxy_text",
        "{}, TCP mode, one thread per CPU, no health checks, no logging",
        "{}，TCP 模式，每个 CPU 一个线程，不做健康检查，不写日志",
    ),
    ("no_haproxy", "not run", "未运行"),
    (
        "loadavg",
        "load average (1, 5, 15 min) before and after",
        "运行前后的系统平均负载（1、5、15 分钟）",
    ),
    ("then", "{}, then {}", "{}，之后 {}"),
    (
        "latency_title",
        "latency at {} requests/s offered, µs (median of the rounds)",
        "以每秒 {} 个请求的固定速率发送时的延迟，微秒（各轮中位数）",
    ),
    ("latency_axis", "µs (log scale)", "微秒（对数刻度）"),
    ("direct_short", "direct", "直连"),
    ("haproxy_short", "HAProxy", "HAProxy"),
    ("faultproxy_short", "fault proxy", "故障代理"),
];

/// A setting as the page writes it: `3`, `0.5`.
fn n(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}

/// The chapter's table and figure, in terms of [`LABELS`].
fn page(results: &Value) -> Result<Page> {
    let typed = Results::read(results)?;
    let o = Overhead::from_report(&typed.results)?;
    let s = &typed.settings;
    let cells = |values: &[Vec<f64>], decimals: usize| -> Vec<Cell> {
        values
            .iter()
            .map(|v| value(spread_text(spread(v), decimals)))
            .collect()
    };
    let fault_name = Cell::Join(vec![
        label("via_faultproxy"),
        label("open"),
        Cell::Code(PACKAGE.into()),
        label("close"),
    ]);
    let mut paths = vec![(label("direct"), &o.direct)];
    if let Some(h) = &o.haproxy {
        paths.push((label("via_haproxy"), h));
    }
    paths.push((fault_name, &o.faultproxy));
    let mut rows = Vec::new();
    for (name, series) in &paths {
        let mut row = vec![name.clone()];
        row.extend(cells(&series.0, 0));
        rows.push(row);
    }
    let mut added = |name: &'static str, series: &Series| -> Result<()> {
        let mut row = vec![label(name)];
        row.extend(cells(&series.added(&o.direct)?, 0));
        row.push(labelf(
            "lost",
            &[spread_text(spread(&series.lost_pct(&o.direct)?), 1)],
        ));
        rows.push(row);
        Ok(())
    };
    if let Some(h) = &o.haproxy {
        added("added_haproxy", h)?;
    }
    added("added_faultproxy", &o.faultproxy)?;
    if let Some(v) = o.versus()? {
        let (rps_met, p50_met) = v.verdicts();
        rows.push(vec![
            label("verdict"),
            Cell::Join(vec![
                results::verdict(p50_met),
                labelf(
                    "p50_goal",
                    &[
                        String::new(),
                        results::num(median(&v.p50_margin_us), 0),
                        n(P50_MARGIN_GOAL_US),
                    ],
                ),
            ]),
            Cell::Empty,
            Cell::Empty,
            Cell::Join(vec![
                results::verdict(rps_met),
                labelf(
                    "rps_goal",
                    &[
                        String::new(),
                        results::num(median(&v.rps_ratio), 2),
                        n(RPS_RATIO_GOAL),
                    ],
                ),
            ]),
        ]);
    }
    let load = labelf(
        "load_text",
        &[
            n(f64::from(s.rate)),
            n(s.seconds),
            n(f64::from(s.connections)),
            n(s.seconds),
            n(f64::from(s.rounds)),
        ],
    );
    let mut machine = results::machine_rows(&typed.machine, &typed.profile, load);
    machine.push(vec![
        label("haproxy"),
        match &s.haproxy {
            Some(version) => labelf("haproxy_text", std::slice::from_ref(version)),
            None => label("no_haproxy"),
        },
    ]);
    machine.push(vec![
        label("loadavg"),
        labelf("then", &[s.load_before.clone(), s.load_after.clone()]),
    ]);
    let mut series = vec![(label("direct_short"), o.direct.medians(3))];
    if let Some(h) = &o.haproxy {
        series.push((label("haproxy_short"), h.medians(3)));
    }
    series.push((label("faultproxy_short"), o.faultproxy.medians(3)));
    Ok(Page {
        name: "ch10-proxy".into(),
        labels: LABELS,
        tables: vec![
            Table {
                header: vec![
                    labelf("rounds", &[n(f64::from(s.rounds))]),
                    label("p50"),
                    label("p99"),
                    label("p999"),
                    label("rps"),
                ],
                rows,
            },
            Table {
                header: vec![label("machine"), label("value")],
                rows: machine,
            },
        ],
        figures: vec![Figure::Lines(LineChart {
            name: "ch10-proxy-latency".into(),
            title: labelf("latency_title", &[n(f64::from(s.rate))]),
            x: vec![value("p50"), value("p99"), value("p99.9")],
            y_axis: label("latency_axis"),
            unit: "µs",
            log_y: true,
            series,
            marks: Vec::new(),
        })],
    })
}

/// The table, for the terminal.
fn print_summary(results: &Value) -> Result<()> {
    let o = Overhead::from_report(&Results::read(results)?.results)?;
    let t = |v: &[f64], d: usize| spread_text(spread(v), d);
    println!(
        "\n{:<12} {:>18} {:>18} {:>18} {:>24}",
        "", "p50 us", "p99 us", "p99.9 us", "req/s"
    );
    let mut paths = vec![("direct", &o.direct)];
    if let Some(h) = &o.haproxy {
        paths.push(("haproxy", h));
    }
    paths.push(("faultproxy", &o.faultproxy));
    for (name, v) in &paths {
        println!(
            "{name:<12} {:>18} {:>18} {:>18} {:>24}",
            t(&v.0[0], 0),
            t(&v.0[1], 0),
            t(&v.0[2], 0),
            t(&v.0[3], 0)
        );
    }
    for (name, v) in &paths[1..] {
        let a = v.added(&o.direct)?;
        println!(
            "{:<12} {:>18} {:>18} {:>18} {:>24}",
            format!("+{name}"),
            t(&a[0], 0),
            t(&a[1], 0),
            t(&a[2], 0),
            format!("{} % lost", t(&v.lost_pct(&o.direct)?, 1))
        );
    }
    if let Some(v) = o.versus()? {
        let (rps_met, p50_met) = v.verdicts();
        let word = |m: bool| if m { "met" } else { "NOT met" };
        println!(
            "goals: req/s >= {RPS_RATIO_GOAL} x haproxy's ({}): {}; \
             p50 <= haproxy's + {P50_MARGIN_GOAL_US} us ({} us): {}",
            t(&v.rps_ratio, 2),
            word(rps_met),
            t(&v.p50_margin_us, 0),
            word(p50_met)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(name: &str, p50: u64, rps: f64) -> Value {
        json!({"name": name, "addr": "127.0.0.1:1",
               "p50_us": [p50, p50 + 10, p50 - 10], "p99_us": [200, 210, 190],
               "p999_us": [900, 1000, 800], "rps": [rps, rps + 100.0, rps - 100.0],
               "errors": [0, 0, 0]})
    }

    fn results(p50: [u64; 3], rps: [f64; 3], haproxy: bool) -> Value {
        let mut paths = vec![path("direct", p50[0], rps[0])];
        if haproxy {
            paths.push(path("haproxy", p50[1], rps[1]));
        }
        paths.push(path("faultproxy", p50[2], rps[2]));
        json!({
            "machine": {"cpu": "Test CPU", "cpus": 2, "os": "Linux", "rustc": "rustc 1.0"},
            "profile": "release",
            "settings": {"command": "proxy-overhead", "pinning": "none",
                         "rate": 2000, "seconds": 5.0, "rounds": 3, "connections": 32,
                         "haproxy": if haproxy { json!("HAProxy 2.6.12") } else { Value::Null },
                         "load_before": "0.10 0.20 0.30", "load_after": "1.00 0.50 0.40"},
            "results": {"rate": 2000, "seconds": 5.0, "rounds": 3, "connections": 32,
                        "targets": paths},
        })
    }

    #[test]
    fn overhead_and_verdicts() {
        let r = results([100, 150, 165], [10_000.0, 8_000.0, 7_600.0], true);
        let o = Overhead::from_report(&Results::read(&r).unwrap().results).unwrap();
        assert_eq!(
            o.faultproxy.added(&o.direct).unwrap()[0],
            [65.0, 65.0, 65.0]
        );
        assert!((o.faultproxy.lost_pct(&o.direct).unwrap()[0] - 24.0).abs() < 1e-9);
        let v = o.versus().unwrap().unwrap();
        assert_eq!(v.p50_margin_us, [15.0, 15.0, 15.0]);
        assert!((median(&v.rps_ratio) - 0.95).abs() < 1e-9);
        assert_eq!(v.verdicts(), (true, true));
        let r = results([100, 150, 180], [10_000.0, 8_000.0, 7_000.0], true);
        let o = Overhead::from_report(&Results::read(&r).unwrap().results).unwrap();
        assert_eq!(o.versus().unwrap().unwrap().verdicts(), (false, false));
        // The smoke run has no HAProxy, hence no verdict.
        let r = results([100, 0, 180], [10_000.0, 0.0, 7_000.0], false);
        assert!(
            Overhead::from_report(&Results::read(&r).unwrap().results)
                .unwrap()
                .versus()
                .unwrap()
                .is_none()
        );
    }

    /// The page reads the report as the listing's `Report` writes it: a
    /// field it does not know (renamed or added on one side only) is an
    /// error, not a number silently left out.
    #[test]
    fn a_report_the_page_does_not_know_is_refused() {
        let good = results([100, 150, 165], [10_000.0, 8_000.0, 7_600.0], true);
        assert!(page(&good).is_ok());
        let mut added = good.clone();
        added["results"]["targets"][0]["p95_us"] = json!([1, 2, 3]);
        assert!(page(&added).is_err(), "an unknown field was accepted");
        let mut renamed = good.clone();
        let rps = renamed["results"]["targets"][1]["rps"].take();
        renamed["results"]["targets"][1]["requests_per_second"] = rps;
        renamed["results"]["targets"][1]
            .as_object_mut()
            .unwrap()
            .remove("rps");
        assert!(page(&renamed).is_err(), "a renamed field was accepted");
        let mut extra = good;
        extra["settings"]["threads"] = json!(4);
        assert!(page(&extra).is_err(), "an unknown setting was accepted");
    }

    /// The committed results file, a real run of `proxy-overhead`, is read
    /// by the same types: the listing's output and the page agree.
    #[test]
    fn the_committed_results_are_read_whole() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let text = std::fs::read_to_string(root.join(CHAPTER.results)).unwrap();
        let typed: Results = serde_json::from_str(&text).unwrap();
        assert_eq!(typed.results.targets[0].name, "direct");
        // Nothing is lost on the way back: the file is what the types hold.
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_value(&typed).unwrap(), value);
    }

    #[test]
    fn renders_both_editions() {
        let r = results([100, 150, 165], [10_000.0, 8_000.0, 7_600.0], true);
        let files = results::render(&page(&r).unwrap()).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "ch10-proxy.md",
                "ch10-proxy-latency.en.svg",
                "ch10-proxy-latency.zh-CN.svg"
            ]
        );
        let md = &files[0].1;
        let (en, zh) = md
            .split_once("<div class=\"bench-results\" lang=\"zh-CN\">")
            .unwrap();
        assert!(en.contains("<td>added by the fault proxy</td><td>65</td><td>0</td>"));
        assert!(en.contains("<td>through HAProxy</td><td>150 (140–160)</td>"));
        assert!(en.contains(
            "met (p50 minus HAProxy's: 15 µs, median of the rounds; the goal is at most 20 µs)"
        ));
        assert!(en.contains(
            "met (0.95× HAProxy's requests/s, median of the rounds; the goal is at least 0.9×)"
        ));
        assert!(zh.contains(
            "达到（p50 减去 HAProxy 的 p50：15 微秒，取各轮中位数；目标是不超过 20 微秒）"
        ));
        assert!(zh.contains("HAProxy 2.6.12，TCP 模式"));
        assert!(en.contains("<img src=\"bench/ch10-proxy-latency.en.svg\""));
        assert!(zh.contains("<img src=\"bench/ch10-proxy-latency.zh-CN.svg\""));
        // No English label reaches the Chinese block.
        results::assert_no_english(zh, LABELS);
        // Nor an English unit, in the block or the figure.
        results::assert_chinese_units(zh);
        results::assert_chinese_units(&files[2].1);
        // Without HAProxy (the smoke run): no HAProxy rows, no verdict.
        let r = results([100, 0, 165], [10_000.0, 0.0, 7_600.0], false);
        let md = &results::render(&page(&r).unwrap()).unwrap()[0].1;
        assert!(!md.contains("through HAProxy") && !md.contains("against the goals"));
        assert!(md.contains("<td>HAProxy</td><td>not run</td>"));
    }
}
