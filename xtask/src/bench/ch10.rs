//! Chapter 10, `cargo xtask bench proxy`: what the fault-injecting proxy
//! (Listing 10-2) costs when it injects nothing.
//!
//! The listing's own `proxy-overhead` binary does the measuring (latency at
//! a fixed offered rate, direct and through the proxy, in alternating
//! rounds; then closed-loop throughput); this file runs it, stores its report
//! with the machine in bench/ch10-proxy.json, and describes the chapter's
//! table and figure (src/bench/ch10-proxy*) in [`page`].

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::measure::machine;
use crate::cmd;
use crate::listings::Build;
use crate::results::{
    self, Cell, Figure, Labels, LineChart, Page, Table, label, labelf, spread, spread_text, value,
};

const PACKAGE: &str = "listing-10-02";
const BINARY: &str = "proxy-overhead";
/// The closed-loop connections: the binary's default, passed explicitly so
/// that the recorded settings are certainly what ran.
const CONNECTIONS: u32 = 32;
/// The chapter's targets: at most this much added to the median latency
/// with no toxic, in µs ...
const P50_ADDED_LIMIT_US: f64 = 100.0;
/// ... and at most this share of the direct throughput lost, in %.
const THROUGHPUT_LOST_LIMIT_PCT: f64 = 10.0;

pub const CHAPTER: super::Chapter = super::Chapter {
    results: "bench/ch10-proxy.json",
    smoke_results: "ch10-proxy.json",
    page,
    summary: print_summary,
    regenerate: "run `cargo xtask bench proxy` to measure again, or \
                 `cargo xtask bench --render` if only the drawing changed",
};

/// The measurement: a release build, the binary's default load.
pub fn run_full(root: &Path) -> Result<()> {
    cmd::run(cmd::cargo().args(["build", "--release", "-p", PACKAGE, "--bin", BINARY]))?;
    let exe = root.join("target/release").join(BINARY);
    let results = measure(root, &exe, false, "release")?;
    super::write(root, &CHAPTER, &results, false)
}

/// The suite's smoke run of the debug build, into target/bench-smoke/; then
/// the check of the committed figures.
pub fn run_smoke(root: &Path, exe: &Path) -> Result<()> {
    let results = measure(root, exe, true, results::SMOKE_PROFILE)?;
    super::write(root, &CHAPTER, &results, true)?;
    super::check(root, &CHAPTER)
}

/// The debug build's `proxy-overhead`, from the workspace build.
pub fn exe(build: &Build) -> Result<PathBuf> {
    build
        .bins
        .get(&format!("{PACKAGE}/{BINARY}"))
        .cloned()
        .with_context(|| format!("the workspace build made no {PACKAGE}/{BINARY}"))
}

fn measure(root: &Path, exe: &Path, smoke: bool, profile: &str) -> Result<Value> {
    let raw = root.join(if smoke {
        "target/bench-smoke/ch10-proxy.raw.json"
    } else {
        "target/bench/ch10-proxy.raw.json"
    });
    std::fs::create_dir_all(raw.parent().unwrap())?;
    let _ = std::fs::remove_file(&raw);
    let mut c = Command::new(exe);
    c.args(["--connections", &CONNECTIONS.to_string()]);
    if smoke {
        c.arg("--smoke");
    }
    c.arg("--out").arg(&raw);
    cmd::run(&mut c)?;
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(&raw).with_context(|| format!("reading {}", raw.display()))?,
    )?;
    let mut machine = machine(root)?;
    if let Some(m) = machine.as_object_mut() {
        // Chapter 9's tools; nothing here uses them.
        m.remove("go");
        m.remove("wrk");
    }
    Ok(json!({
        "machine": machine,
        "profile": profile,
        "settings": {
            "command": format!("{BINARY} --connections {CONNECTIONS}{}", if smoke { " --smoke" } else { "" }),
            "rate": report["rate"],
            "seconds": report["seconds"],
            "rounds": report["rounds"],
            "connections": CONNECTIONS,
            "pinning": "none",
        },
        "results": report,
    }))
}

/// The numbers the table shows, from the binary's report.
#[derive(Debug)]
struct Overhead {
    /// Per variant (direct, proxied): p50, p99, p99.9 (µs), requests/s.
    variants: [[Vec<f64>; 4]; 2],
    /// Per round, proxied minus direct: p50, p99, p99.9 (µs).
    added_us: [Vec<f64>; 3],
    /// Per round, the share of the direct throughput lost, in %.
    lost_pct: Vec<f64>,
}

impl Overhead {
    fn from_report(report: &Value) -> Result<Overhead> {
        let series = |variant: &str| -> Result<[Vec<f64>; 4]> {
            let v = &report[variant];
            Ok([
                results::numbers(&v["p50_us"])?,
                results::numbers(&v["p99_us"])?,
                results::numbers(&v["p999_us"])?,
                results::numbers(&v["rps"])?,
            ])
        };
        let (direct, proxied) = (series("direct")?, series("proxied")?);
        let added = |i: usize| results::paired(&direct[i], &proxied[i], |d, p| p - d);
        Ok(Overhead {
            added_us: [added(0)?, added(1)?, added(2)?],
            lost_pct: results::paired(&direct[3], &proxied[3], |d, p| (1.0 - p / d) * 100.0)?,
            variants: [direct, proxied],
        })
    }

    fn median(values: &[f64]) -> f64 {
        spread(values).map_or(f64::NAN, |s| s.median)
    }

    /// (p50 target met, throughput target met), on the medians of the rounds.
    fn verdicts(&self) -> (bool, bool) {
        (
            results::met(Self::median(&self.added_us[0]), P50_ADDED_LIMIT_US),
            results::met(Self::median(&self.lost_pct), THROUGHPUT_LOST_LIMIT_PCT),
        )
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
    ("proxied", "through the proxy", "经过代理"),
    ("added", "added by the proxy", "代理带来的开销"),
    ("lost", "{} % lost", "损失 {} %"),
    ("verdict", "against the targets", "对照目标"),
    (
        "p50_target",
        "{} (at most {} µs added at p50, no toxic)",
        "{}（不注入故障时 p50 至多增加 {} 微秒）",
    ),
    (
        "rps_target",
        "{} (at most {} % of the direct throughput lost)",
        "{}（吞吐量损失不超过直连的 {} %）",
    ),
    (
        "load_text",
        "open loop at {} requests/s for {} s, then a closed loop of {} connections for {} s; \
         {} rounds, direct and proxied alternating; loopback, one process",
        "先以每秒 {} 个请求的固定速率（开环）发送 {} 秒，再用 {} 个连接（闭环）发送 {} 秒；\
         共 {} 轮，直连与经过代理交替进行；本机回环，同一进程",
    ),
    (
        "latency_title",
        "latency at {} requests/s offered, µs (median of the rounds)",
        "以每秒 {} 个请求的固定速率发送时的延迟，微秒（各轮中位数）",
    ),
    ("latency_axis", "µs (log scale)", "微秒（对数刻度）"),
    ("direct_short", "direct", "直连"),
    ("proxied_short", "through the proxy", "经过代理"),
];

/// The chapter's table and figure, in terms of [`LABELS`].
fn page(results: &Value) -> Result<Page> {
    let report = &results["results"];
    let o = Overhead::from_report(report)?;
    let s = &results["settings"];
    let n = |v: &Value| match v.as_f64() {
        Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => x.to_string(),
        None => "?".into(),
    };
    let cells = |values: &[Vec<f64>], decimals: usize| -> Vec<Cell> {
        values
            .iter()
            .map(|v| value(spread_text(spread(v), decimals)))
            .collect()
    };
    let mut rows = Vec::new();
    for (i, name) in [
        label("direct"),
        Cell::Join(vec![
            label("proxied"),
            label("open"),
            Cell::Code(PACKAGE.into()),
            label("close"),
        ]),
    ]
    .into_iter()
    .enumerate()
    {
        let mut row = vec![name];
        row.extend(cells(&o.variants[i], 0));
        rows.push(row);
    }
    let mut added = vec![label("added")];
    added.extend(cells(&o.added_us, 0));
    added.push(labelf("lost", &[spread_text(spread(&o.lost_pct), 1)]));
    rows.push(added);
    let (p50_met, rps_met) = o.verdicts();
    rows.push(vec![
        label("verdict"),
        Cell::Join(vec![
            results::verdict(p50_met),
            labelf(
                "p50_target",
                &[String::new(), n(&json!(P50_ADDED_LIMIT_US))],
            ),
        ]),
        Cell::Empty,
        Cell::Empty,
        Cell::Join(vec![
            results::verdict(rps_met),
            labelf(
                "rps_target",
                &[String::new(), n(&json!(THROUGHPUT_LOST_LIMIT_PCT))],
            ),
        ]),
    ]);
    let load = labelf(
        "load_text",
        &[
            n(&s["rate"]),
            n(&s["seconds"]),
            n(&s["connections"]),
            n(&s["seconds"]),
            n(&s["rounds"]),
        ],
    );
    let medians = |i: usize| -> Vec<f64> {
        o.variants[i][..3]
            .iter()
            .map(|v| Overhead::median(v))
            .collect()
    };
    Ok(Page {
        name: "ch10-proxy".into(),
        labels: LABELS,
        tables: vec![
            Table {
                header: vec![
                    labelf("rounds", &[n(&s["rounds"])]),
                    label("p50"),
                    label("p99"),
                    label("p999"),
                    label("rps"),
                ],
                rows,
            },
            Table {
                header: vec![label("machine"), label("value")],
                rows: results::machine_rows(results, load),
            },
        ],
        figures: vec![Figure::Lines(LineChart {
            name: "ch10-proxy-latency".into(),
            title: labelf("latency_title", &[n(&s["rate"])]),
            x: vec![value("p50"), value("p99"), value("p99.9")],
            y_axis: label("latency_axis"),
            unit: "µs",
            log_y: true,
            series: vec![
                (label("direct_short"), medians(0)),
                (label("proxied_short"), medians(1)),
            ],
            marks: Vec::new(),
        })],
    })
}

/// The table, for the terminal.
fn print_summary(results: &Value) -> Result<()> {
    let o = Overhead::from_report(&results["results"])?;
    let t = |v: &[f64], d: usize| spread_text(spread(v), d);
    println!(
        "\n{:<10} {:>18} {:>18} {:>18} {:>24}",
        "", "p50 us", "p99 us", "p99.9 us", "req/s"
    );
    for (name, v) in ["direct", "proxied"].iter().zip(&o.variants) {
        println!(
            "{name:<10} {:>18} {:>18} {:>18} {:>24}",
            t(&v[0], 0),
            t(&v[1], 0),
            t(&v[2], 0),
            t(&v[3], 0)
        );
    }
    println!(
        "{:<10} {:>18} {:>18} {:>18} {:>24}",
        "added",
        t(&o.added_us[0], 0),
        t(&o.added_us[1], 0),
        t(&o.added_us[2], 0),
        format!("{} % lost", t(&o.lost_pct, 1))
    );
    let (p50_met, rps_met) = o.verdicts();
    let word = |m: bool| if m { "met" } else { "NOT met" };
    println!(
        "targets: p50 added <= {P50_ADDED_LIMIT_US} us: {}; throughput lost <= {THROUGHPUT_LOST_LIMIT_PCT} %: {}",
        word(p50_met),
        word(rps_met)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(p50: [u64; 2], rps: [f64; 2]) -> Value {
        json!({
            "machine": {"cpu": "Test CPU", "cpus": 2, "os": "Linux", "rustc": "rustc 1.0"},
            "profile": "release",
            "settings": {"rate": 2000, "seconds": 5.0, "rounds": 3, "connections": 32},
            "results": {
                "rate": 2000, "seconds": 5.0, "rounds": 3,
                "direct": {"p50_us": [p50[0], p50[0] + 10, p50[0] - 10], "p99_us": [200, 210, 190],
                           "p999_us": [900, 1000, 800], "rps": [rps[0], rps[0] + 100.0, rps[0] - 100.0]},
                "proxied": {"p50_us": [p50[1], p50[1] + 10, p50[1] - 10], "p99_us": [300, 320, 310],
                            "p999_us": [1500, 1400, 1300], "rps": [rps[1], rps[1] + 100.0, rps[1] - 100.0]},
            },
        })
    }

    #[test]
    fn overhead_and_verdicts() {
        let o =
            Overhead::from_report(&results([100, 180], [10_000.0, 9_500.0])["results"]).unwrap();
        assert_eq!(o.added_us[0], [80.0, 80.0, 80.0]);
        assert_eq!(o.added_us[1], [100.0, 110.0, 120.0]);
        assert!((o.lost_pct[0] - 5.0).abs() < 1e-9);
        assert_eq!(o.verdicts(), (true, true));
        let o =
            Overhead::from_report(&results([100, 250], [10_000.0, 8_000.0])["results"]).unwrap();
        assert_eq!(o.verdicts(), (false, false));
    }

    #[test]
    fn renders_both_editions() {
        let files =
            results::render(&page(&results([100, 180], [10_000.0, 9_500.0])).unwrap()).unwrap();
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
        assert!(en.contains("<td>added by the proxy</td><td>80</td><td>110 (100–120)</td>"));
        assert!(en.contains("met (at most 100 µs added at p50, no toxic)"));
        assert!(zh.contains("达到（不注入故障时 p50 至多增加 100 微秒）"));
        assert!(en.contains("<img src=\"bench/ch10-proxy-latency.en.svg\""));
        assert!(zh.contains("<img src=\"bench/ch10-proxy-latency.zh-CN.svg\""));
        // No English label reaches the Chinese block.
        results::assert_no_english(zh, LABELS);
    }
}
