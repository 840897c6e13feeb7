//! Chapter 11, `cargo xtask bench overload`: a server under overload, with
//! and without load shedding, and a circuit breaker in front of a backend
//! that hangs (Listing 11-4).
//!
//! The listing's own binaries do the measuring: `overload-bench` offers an
//! open-loop load of 0.5×, 1× and 2× the server's nominal capacity to an
//! unprotected and a protected server; `breaker-demo` times the calls
//! before and after its breaker opens. This file runs both, stores their
//! reports with the machine in bench/ch11-overload.json, and describes the
//! chapter's tables and figure (src/bench/ch11-overload*) in [`page`].

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Smoke;
use super::measure::machine;
use crate::cmd;
use crate::listings::Build;
use crate::results::{self, Figure, Labels, LineChart, Machine, Page, Table, label, labelf, value};

const PACKAGE: &str = "listing-11-04";
const OVERLOAD: &str = "overload-bench";
const BREAKER: &str = "breaker-demo";
/// The variants `overload-bench` reports, in the order of the table; each
/// is also the key of its label.
const VARIANTS: [&str; 2] = ["unprotected", "protected"];

pub const CHAPTER: super::Chapter = super::Chapter {
    name: "overload",
    about: "Chapter 11: a server under overload, with and without load shedding, \
            and the circuit breaker's timings (Listing 11-4)",
    full: run_full,
    smoke: run_smoke,
    needs_go: false,
    results: "bench/ch11-overload.json",
    smoke_results: "ch11-overload.json",
    page,
    summary: print_summary,
    regenerate: "run `cargo xtask bench overload` to measure again, or \
                 `cargo xtask bench --render` if only the drawing changed",
};

/// The measurement: a release build, the binaries' default settings.
fn run_full(root: &Path) -> Result<Value> {
    cmd::run(cmd::cargo().args([
        "build",
        "--release",
        "-p",
        PACKAGE,
        "--bin",
        OVERLOAD,
        "--bin",
        BREAKER,
    ]))?;
    let dir = root.join("target/release");
    measure(
        root,
        [&dir.join(OVERLOAD), &dir.join(BREAKER)],
        false,
        "release",
    )
}

/// The suite's smoke run of the debug build (`overload-bench --smoke`, a
/// few seconds).
fn run_smoke(root: &Path, smoke: &Smoke) -> Result<Option<Value>> {
    let build = smoke.build;
    measure(
        root,
        [&exe(build, OVERLOAD)?, &exe(build, BREAKER)?],
        true,
        results::SMOKE_PROFILE,
    )
    .map(Some)
}

/// A debug binary of Listing 11-4, from the workspace build.
fn exe(build: &Build, binary: &str) -> Result<PathBuf> {
    build
        .bins
        .get(&format!("{PACKAGE}/{binary}"))
        .cloned()
        .with_context(|| format!("the workspace build made no {PACKAGE}/{binary}"))
}

/// Runs `exe` with `args` and `--json FILE`, and reads the file as the
/// report that program writes.
fn report<T: DeserializeOwned>(exe: &Path, args: &[&str], raw: &Path) -> Result<T> {
    let _ = std::fs::remove_file(raw);
    let mut c = Command::new(exe);
    c.args(args).arg("--json").arg(raw);
    cmd::run(&mut c)?;
    serde_json::from_str(
        &std::fs::read_to_string(raw).with_context(|| format!("reading {}", raw.display()))?,
    )
    .with_context(|| {
        format!(
            "{} is not the report {} writes",
            raw.display(),
            exe.display()
        )
    })
}

fn measure(
    root: &Path,
    [overload, breaker]: [&Path; 2],
    smoke: bool,
    profile: &str,
) -> Result<Value> {
    let dir = root.join(if smoke {
        "target/bench-smoke"
    } else {
        "target/bench"
    });
    std::fs::create_dir_all(&dir)?;
    let overload_args: &[&str] = if smoke { &["--smoke"] } else { &[] };
    let overload: Overload = report(overload, overload_args, &dir.join("ch11-overload.raw.json"))?;
    let breaker: Breaker = report(breaker, &[], &dir.join("ch11-breaker.raw.json"))?;
    // What the page cannot read is not stored.
    Runs::from_report(&overload)?;
    let results = Results {
        // Chapter 9's tools; nothing here uses them.
        machine: machine(root)?.without_go_and_wrk(),
        profile: profile.to_string(),
        settings: Settings {
            commands: vec![
                format!("{OVERLOAD}{}", if smoke { " --smoke" } else { "" }),
                BREAKER.to_string(),
            ],
            slots: overload.slots,
            service_ms: overload.service_ms,
            capacity_per_s: overload.capacity_per_s,
            seconds_per_load: overload.seconds_per_load,
            timeout_ms: overload.timeout_ms,
            pinning: "none".into(),
        },
        results: Reports { overload, breaker },
    };
    Ok(serde_json::to_value(&results)?)
}

/// `overload-bench`'s report, field for field as it writes it
/// (listing-11-04/src/bin/overload-bench.rs: its `Run`s, with the
/// settings around them): a field added, renamed or dropped on either side
/// fails the smoke run.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Overload {
    slots: usize,
    service_ms: u64,
    capacity_per_s: f64,
    seconds_per_load: f64,
    timeout_ms: u64,
    runs: Vec<OverloadRun>,
}

/// One (variant, load) run, as `overload-bench`'s `Run`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverloadRun {
    variant: String,
    load: f64,
    offered_per_s: f64,
    sent: usize,
    ok: usize,
    goodput_per_s: f64,
    /// None when nothing was answered.
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    refused: usize,
    timeouts: usize,
    errors: usize,
}

/// `breaker-demo`'s report, field for field as it writes it
/// (listing-11-04/src/bin/breaker-demo.rs).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Breaker {
    timeout_ms: f64,
    consecutive_failures: u32,
    cool_down_ms: f64,
    /// A call to the hung backend before the breaker opened (mean).
    slow_failure_ms: f64,
    /// From the hang to the breaker open.
    time_to_open_ms: f64,
    /// A call refused by the open breaker (mean).
    fast_failure_ms: f64,
    /// From the restart to the first successful call.
    time_to_recover_ms: f64,
}

/// bench/ch11-overload.json: both reports with the machine and the
/// settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Results {
    machine: Machine,
    profile: String,
    settings: Settings,
    results: Reports,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// The commands that ran.
    commands: Vec<String>,
    slots: usize,
    service_ms: u64,
    capacity_per_s: f64,
    seconds_per_load: f64,
    timeout_ms: u64,
    pinning: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reports {
    overload: Overload,
    breaker: Breaker,
}

impl Results {
    fn read(results: &Value) -> Result<Results> {
        Results::deserialize(results).context("the results are not what the overload page reads")
    }
}

/// One (variant, load) run of `overload-bench`.
#[derive(Debug)]
struct Run {
    load: f64,
    offered: f64,
    goodput: f64,
    p50_ms: f64,
    p99_ms: f64,
    refused: usize,
    timeouts: usize,
    errors: usize,
}

/// The runs per variant, in the order of [`VARIANTS`], each by rising load.
#[derive(Debug)]
struct Runs([Vec<Run>; 2]);

impl Runs {
    fn from_report(report: &Overload) -> Result<Runs> {
        let mut out: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
        for r in &report.runs {
            let i = VARIANTS
                .iter()
                .position(|v| *v == r.variant)
                .with_context(|| format!("unknown variant {:?}", r.variant))?;
            out[i].push(Run {
                load: r.load,
                offered: r.offered_per_s,
                goodput: r.goodput_per_s,
                // No answer at all: no latency, shown as "–".
                p50_ms: r.p50_ms.unwrap_or(f64::NAN),
                p99_ms: r.p99_ms.unwrap_or(f64::NAN),
                refused: r.refused,
                timeouts: r.timeouts,
                errors: r.errors,
            });
        }
        for v in &mut out {
            v.sort_by(|a, b| a.load.total_cmp(&b.load));
        }
        let loads = |v: &[Run]| v.iter().map(|r| r.load).collect::<Vec<_>>();
        ensure!(
            !out[0].is_empty() && loads(&out[0]) == loads(&out[1]),
            "expected the same loads for both variants"
        );
        Ok(Runs(out))
    }
}

const LABELS: Labels = &[
    ("variant", "server", "服务器"),
    ("load_factor", "load", "负载"),
    ("offered", "offered/s", "提供的负载（每秒）"),
    ("goodput", "goodput/s", "有效吞吐量（每秒）"),
    ("p50", "p50 ms", "p50 毫秒"),
    ("p99", "p99 ms", "p99 毫秒"),
    ("refused", "refused (503)", "拒绝（503）"),
    ("timeouts", "timed out", "超时"),
    ("errors", "other errors", "其他错误"),
    ("unprotected", "unprotected", "未受保护"),
    (
        "protected",
        "protected (load shedding)",
        "受保护（负载削减）",
    ),
    ("times", "{}× capacity", "{} 倍处理能力"),
    (
        "breaker",
        "circuit breaker (breaker-demo)",
        "熔断器（breaker-demo）",
    ),
    ("measured", "measured", "测得"),
    (
        "slow_failure",
        "a call to the hung backend, breaker closed (mean)",
        "熔断器关闭时，调用挂起的后端一次（平均）",
    ),
    (
        "time_to_open",
        "from the hang to the breaker open",
        "从后端挂起到熔断器打开",
    ),
    (
        "fast_failure",
        "a call refused by the open breaker (mean)",
        "熔断器打开时被拒绝的一次调用（平均）",
    ),
    (
        "time_to_recover",
        "from the restart to the first call that succeeds",
        "从后端重启到第一次调用成功",
    ),
    ("breaker_settings", "settings", "设置"),
    (
        "breaker_settings_text",
        "opens after {} failures in a row; cool-down {} ms; call timeout {} ms",
        "连续失败 {} 次后打开；冷却时间 {} 毫秒；调用超时 {} 毫秒",
    ),
    ("ms", "{} ms", "{} 毫秒"),
    ("us", "{} µs", "{} 微秒"),
    (
        "load_text",
        "open loop, {} s at each load; nominal capacity {} slots × {} ms = {} requests/s; \
         client timeout {} ms, no retries; each server a one-thread runtime of its own; \
         loopback, one process",
        "开环，每档负载 {} 秒；名义处理能力 {} 个名额 × {} 毫秒 = 每秒 {} 个请求；\
         客户端超时 {} 毫秒，不重试；每个服务器独占一个单线程运行时；本机环回，同一进程",
    ),
    (
        "goodput_title",
        "goodput against offered load, requests/s (nominal capacity {}/s)",
        "有效吞吐量与提供的负载，每秒请求数（名义处理能力每秒 {} 个）",
    ),
    (
        "goodput_axis",
        "goodput, requests/s",
        "有效吞吐量（每秒请求数）",
    ),
    ("offered_x", "{}/s ({}×)", "每秒 {} 个（{} 倍）"),
    // The unit of the figure's values, in its description.
    ("goodput_unit", "{}/s", "有效吞吐量每秒 {} 个"),
];

/// A setting as written: `4`, `0.3`.
fn n(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}

/// A load factor as the binary prints it: `0.5`, `1`, `2`.
fn factor(load: f64) -> String {
    n(load)
}

/// The chapter's tables and figure, in terms of [`LABELS`].
fn page(results: &Value) -> Result<Page> {
    let typed = Results::read(results)?;
    let runs = Runs::from_report(&typed.results.overload)?;
    let s = &typed.settings;
    let b = &typed.results.breaker;
    let any_errors = runs.0.iter().flatten().any(|r| r.errors > 0);

    let mut header = vec![
        label("variant"),
        label("load_factor"),
        label("offered"),
        label("goodput"),
        label("p50"),
        label("p99"),
        label("refused"),
        label("timeouts"),
    ];
    if any_errors {
        header.push(label("errors"));
    }
    let mut rows = Vec::new();
    for (i, key) in VARIANTS.iter().enumerate() {
        for r in &runs.0[i] {
            let mut row = vec![
                label(key),
                labelf("times", &[factor(r.load)]),
                value(results::num(r.offered, 0)),
                value(results::num(r.goodput, 0)),
                value(results::num(r.p50_ms, 1)),
                value(results::num(r.p99_ms, 1)),
                value(r.refused.to_string()),
                value(r.timeouts.to_string()),
            ];
            if any_errors {
                row.push(value(r.errors.to_string()));
            }
            rows.push(row);
        }
    }

    let fast_us = b.fast_failure_ms * 1000.0;
    let breaker_rows = vec![
        vec![
            label("breaker_settings"),
            labelf(
                "breaker_settings_text",
                &[
                    n(f64::from(b.consecutive_failures)),
                    n(b.cool_down_ms),
                    n(b.timeout_ms),
                ],
            ),
        ],
        vec![
            label("slow_failure"),
            labelf("ms", &[results::num(b.slow_failure_ms, 0)]),
        ],
        vec![
            label("time_to_open"),
            labelf("ms", &[results::num(b.time_to_open_ms, 0)]),
        ],
        vec![
            label("fast_failure"),
            labelf(
                "us",
                &[results::num(fast_us, if fast_us < 10.0 { 2 } else { 0 })],
            ),
        ],
        vec![
            label("time_to_recover"),
            labelf("ms", &[results::num(b.time_to_recover_ms, 0)]),
        ],
    ];

    let load = labelf(
        "load_text",
        &[
            n(s.seconds_per_load),
            n(s.slots as f64),
            n(s.service_ms as f64),
            n(s.capacity_per_s),
            n(s.timeout_ms as f64),
        ],
    );
    Ok(Page {
        name: "ch11-overload".into(),
        labels: LABELS,
        tables: vec![
            Table { header, rows },
            Table {
                header: vec![label("breaker"), label("measured")],
                rows: breaker_rows,
            },
            Table {
                header: vec![label("machine"), label("value")],
                rows: results::machine_rows(&typed.machine, &typed.profile, load),
            },
        ],
        figures: vec![Figure::Lines(LineChart {
            name: "ch11-overload-goodput".into(),
            title: labelf("goodput_title", &[n(s.capacity_per_s)]),
            x: runs.0[0]
                .iter()
                .map(|r| labelf("offered_x", &[results::num(r.offered, 0), factor(r.load)]))
                .collect(),
            y_axis: label("goodput_axis"),
            unit: "goodput_unit",
            log_y: false,
            series: VARIANTS
                .iter()
                .enumerate()
                .map(|(i, key)| (label(key), runs.0[i].iter().map(|r| r.goodput).collect()))
                .collect(),
            marks: Vec::new(),
        })],
    })
}

/// The table, for the terminal.
fn print_summary(results: &Value) -> Result<()> {
    let typed = Results::read(results)?;
    let runs = Runs::from_report(&typed.results.overload)?;
    println!(
        "\n{:<12} {:>5} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6}",
        "variant",
        "load",
        "offered/s",
        "goodput/s",
        "p50 ms",
        "p99 ms",
        "refused",
        "timeouts",
        "errors"
    );
    for (i, name) in VARIANTS.iter().enumerate() {
        for r in &runs.0[i] {
            println!(
                "{name:<12} {:>4}× {:>9.0} {:>9.1} {:>8} {:>8} {:>8} {:>8} {:>6}",
                factor(r.load),
                r.offered,
                r.goodput,
                results::num(r.p50_ms, 1),
                results::num(r.p99_ms, 1),
                r.refused,
                r.timeouts,
                r.errors
            );
        }
    }
    let b = &typed.results.breaker;
    println!(
        "breaker: slow failure {:.0} ms, open after {:.0} ms, fast failure {:.2} µs, recovered after {:.0} ms",
        b.slow_failure_ms,
        b.time_to_open_ms,
        b.fast_failure_ms * 1000.0,
        b.time_to_recover_ms
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(variant: &str, load: f64, goodput: f64, p50: Option<f64>, refused: u64) -> Value {
        json!({
            "variant": variant, "load": load, "offered_per_s": load * 200.0,
            "sent": 0, "ok": 0, "goodput_per_s": goodput,
            "p50_ms": p50, "p99_ms": p50.map(|p| p * 2.0),
            "refused": refused, "timeouts": 0, "errors": 0,
        })
    }

    fn results() -> Value {
        json!({
            "machine": {"cpu": "Test CPU", "cpus": 2, "os": "Linux", "rustc": "rustc 1.0"},
            "profile": "release",
            "settings": {"commands": ["overload-bench", "breaker-demo"], "pinning": "none",
                         "slots": 4, "service_ms": 20, "capacity_per_s": 200.0,
                         "seconds_per_load": 4.0, "timeout_ms": 1000},
            "results": {
                "overload": {"slots": 4, "service_ms": 20, "capacity_per_s": 200.0,
                             "seconds_per_load": 4.0, "timeout_ms": 1000, "runs": [
                    // Out of order: the page sorts by load.
                    run("unprotected", 2.0, 50.0, None, 0),
                    run("unprotected", 0.5, 100.0, Some(22.5), 0),
                    run("unprotected", 1.0, 190.0, Some(140.0), 0),
                    run("protected", 0.5, 100.0, Some(22.5), 0),
                    run("protected", 1.0, 180.0, Some(22.4), 80),
                    run("protected", 2.0, 180.0, Some(22.6), 880),
                ]},
                "breaker": {"timeout_ms": 300.0, "consecutive_failures": 3, "cool_down_ms": 1000.0,
                            "slow_failure_ms": 300.9, "time_to_open_ms": 902.7,
                            "fast_failure_ms": 0.00014, "time_to_recover_ms": 1022.4},
            },
        })
    }

    #[test]
    fn renders_both_editions() {
        let files = results::render(&page(&results()).unwrap()).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "ch11-overload.md",
                "ch11-overload-goodput.en.svg",
                "ch11-overload-goodput.zh-CN.svg"
            ]
        );
        let md = &files[0].1;
        let (en, zh) = md
            .split_once("<div class=\"bench-results\" lang=\"zh-CN\">")
            .unwrap();
        assert!(en.contains(
            "<tr><td>unprotected</td><td>0.5× capacity</td><td>100</td><td>100</td>\
             <td>22.5</td><td>45.0</td><td>0</td><td>0</td></tr>"
        ));
        assert!(
            en.contains(
                "<td>unprotected</td><td>2× capacity</td><td>400</td><td>50</td><td>–</td>"
            )
        );
        assert!(zh.contains("<td>受保护（负载削减）</td><td>2 倍处理能力</td>"));
        assert!(en.contains("<td>a call refused by the open breaker (mean)</td><td>0.14 µs</td>"));
        assert!(zh.contains("<td>从后端挂起到熔断器打开</td><td>903 毫秒</td>"));
        assert!(!md.contains("other errors") && !md.contains("其他错误"));
        assert!(en.contains("<img src=\"bench/ch11-overload-goodput.en.svg\""));
        let svg = &files[2].1;
        assert!(
            svg.contains(
                "<desc>未受保护: 每秒 100 个（0.5 倍） 有效吞吐量每秒 100 个，\
                 每秒 200 个（1 倍） 有效吞吐量每秒 190 个"
            ),
            "{svg}"
        );
        // No English label reaches the Chinese block (whose figure's file
        // name has "load" in it), nor an English unit.
        let zh = zh.replace("ch11-overload", "");
        results::assert_no_english(&zh, LABELS);
        results::assert_chinese_units(&zh);
        results::assert_chinese_units(svg);
    }

    /// The page reads the reports as `overload-bench` and `breaker-demo`
    /// write them: a field it does not know is an error, not a number
    /// silently left out.
    #[test]
    fn a_report_the_page_does_not_know_is_refused() {
        assert!(page(&results()).is_ok());
        let mut added = results();
        added["results"]["overload"]["runs"][0]["p999_ms"] = json!(3.0);
        assert!(
            page(&added).is_err(),
            "an unknown field in a run was accepted"
        );
        let mut breaker = results();
        breaker["results"]["breaker"]["half_open_ms"] = json!(1.0);
        assert!(
            page(&breaker).is_err(),
            "an unknown breaker figure was accepted"
        );
    }

    /// The committed results file, a real run of both binaries, is read by
    /// the same types, and nothing in it is left out.
    #[test]
    fn the_committed_results_are_read_whole() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let text = std::fs::read_to_string(root.join(CHAPTER.results)).unwrap();
        let typed: Results = serde_json::from_str(&text).unwrap();
        assert_eq!(typed.results.overload.runs.len(), 6);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_value(&typed).unwrap(), value);
    }

    #[test]
    fn the_same_loads_for_both_variants() {
        let mut r = results();
        r["results"]["overload"]["runs"]
            .as_array_mut()
            .unwrap()
            .pop();
        assert!(page(&r).is_err());
    }
}
