//! Chapter 12, `cargo xtask bench balance`: six balancers under the same
//! open-loop load while replica 2 turns slow and replica 3 is killed and
//! restarted (Listing 12-2).
//!
//! The listing's own binary does the measuring: `lb-experiment` starts
//! three replicas (`proxy-replica`), the fault proxy in front of replica 2,
//! the book's proxy (`lb-proxy`) and nginx, and reports each balancer's
//! latency, errors and replica shares per phase. This file runs it, stores
//! its report with the machine and nginx's version in
//! bench/ch12-balance.json, and describes the chapter's tables and figure
//! (src/bench/ch12-balance*) in [`page`].

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Smoke;
use super::measure::{first_line, machine};
use crate::cmd;
use crate::results::{
    self, Bar, BarChart, Cell, Figure, Labels, Machine, Page, Table, label, labelf, value,
};

const PACKAGE: &str = "listing-12-02";
const EXPERIMENT: &str = "lb-experiment";
/// The programs `lb-experiment` starts from its own folder.
const SIBLINGS: [&str; 2] = ["lb-proxy", "proxy-replica"];
/// The balancers `lb-experiment` reports, in its order; each is also the
/// key of its label.
const BALANCERS: [&str; 6] = [
    "round-robin",
    "random",
    "least-outstanding",
    "p2c-peak-ewma",
    "lb-proxy",
    "nginx",
];
/// The phases, in order; each is also the key of its label.
const PHASES: [&str; 4] = ["healthy", "slow", "killed", "restarted"];
/// P2C's p99 with one slow replica, at most this many times its p99 when
/// all are healthy (the chapter's target).
const P2C_P99_FACTOR: f64 = 1.5;

pub const CHAPTER: super::Chapter = super::Chapter {
    name: "balance",
    about: "Chapter 12: six balancers under a slow and a killed replica (Listing 12-2; needs nginx)",
    full: run_full,
    smoke: run_smoke,
    needs_go: false,
    results: "bench/ch12-balance.json",
    smoke_results: "ch12-balance.json",
    page,
    summary: print_summary,
    regenerate: "run `cargo xtask bench balance` to measure again, or \
                 `cargo xtask bench --render` if only the drawing changed",
};

/// The measurement: a release build of the experiment and the programs it
/// starts (built together, into one folder), with its default settings.
fn run_full(root: &Path) -> Result<Value> {
    let mut build = cmd::cargo();
    build.args(["build", "--release", "-p", PACKAGE, "--bin", EXPERIMENT]);
    for bin in SIBLINGS {
        build.args(["--bin", bin]);
    }
    cmd::run(&mut build)?;
    let exe = root.join("target/release").join(EXPERIMENT);
    measure(root, &exe, false, "release")
}

/// The suite's smoke run of the debug build (`lb-experiment --smoke`,
/// about 18 seconds).
fn run_smoke(root: &Path, smoke: &Smoke) -> Result<Option<Value>> {
    let exe = smoke
        .build
        .bins
        .get(&format!("{PACKAGE}/{EXPERIMENT}"))
        .cloned()
        .with_context(|| format!("the workspace build made no {PACKAGE}/{EXPERIMENT}"))?;
    measure(root, &exe, true, results::SMOKE_PROFILE).map(Some)
}

/// nginx as the listing finds it, and its version (`nginx/1.22.1`), which
/// `nginx -v` prints on stderr.
fn nginx_version() -> Result<String> {
    let binary = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .context("no nginx (apt-get install nginx): chapter 12 runs it as a load balancer")?;
    let text = first_line(Command::new(binary).arg("-v"));
    Ok(text
        .strip_prefix("nginx version: ")
        .unwrap_or(&text)
        .to_string())
}

fn measure(root: &Path, exe: &Path, smoke: bool, profile: &str) -> Result<Value> {
    let folder = exe.parent().context("the experiment's folder")?;
    for bin in SIBLINGS {
        ensure!(
            folder.join(bin).exists(),
            "{bin} is not built beside {} (the experiment starts it from there)",
            exe.display()
        );
    }
    let nginx = nginx_version()?;
    let dir = root.join(if smoke {
        "target/bench-smoke"
    } else {
        "target/bench"
    });
    std::fs::create_dir_all(&dir)?;
    let raw: PathBuf = dir.join("ch12-balance.raw.json");
    let _ = std::fs::remove_file(&raw);
    let mut c = Command::new(exe);
    if smoke {
        c.arg("--smoke");
    }
    c.arg("--json").arg(&raw);
    cmd::run(&mut c)?;
    let report: Report = serde_json::from_str(
        &std::fs::read_to_string(&raw).with_context(|| format!("reading {}", raw.display()))?,
    )
    .with_context(|| format!("{} is not the report {EXPERIMENT} writes", raw.display()))?;
    // What the page cannot read is not stored.
    Runs::from_report(&report)?;
    let results = Results {
        // Chapter 9's tools; nothing here uses them.
        machine: machine(root)?.without_go_and_wrk(),
        profile: profile.to_string(),
        settings: Settings {
            command: format!("{EXPERIMENT}{}", if smoke { " --smoke" } else { "" }),
            rate_per_s: report.rate_per_s,
            work_ms: report.work_ms,
            slow_ms: report.slow_ms,
            phase_seconds: report.phase_seconds,
            rounds: report.rounds,
            nginx,
            pinning: "none".into(),
        },
        results: report,
    };
    Ok(serde_json::to_value(&results)?)
}

/// `lb-experiment`'s report, field for field as it writes it
/// (listing-12-02/src/bin/lb-experiment.rs, whose report is built with
/// `json!`: its keys are mirrored here): a field added, renamed or dropped
/// on either side fails the smoke run.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    rate_per_s: f64,
    work_ms: u64,
    slow_ms: u64,
    phase_seconds: f64,
    phases: Vec<String>,
    rounds: usize,
    /// One per balancer, its rounds combined.
    runs: Vec<BalancerRun>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BalancerRun {
    balancer: String,
    phases: Vec<PhaseReport>,
}

/// One balancer in one phase: the sums of its rounds' requests and errors,
/// the medians of their latencies (none when nothing was answered) and of
/// each replica's share.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhaseReport {
    phase: String,
    requests: u64,
    errors: u64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    p999_ms: Option<f64>,
    /// Each round's p99.
    p99_ms_rounds: Vec<f64>,
    share: [f64; 3],
}

/// bench/ch12-balance.json: the report with the machine and the settings.
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
    command: String,
    rate_per_s: f64,
    work_ms: u64,
    slow_ms: u64,
    phase_seconds: f64,
    rounds: usize,
    /// nginx's version (`nginx/1.22.1`).
    nginx: String,
    pinning: String,
}

impl Results {
    fn read(results: &Value) -> Result<Results> {
        Results::deserialize(results).context("the results are not what the balance page reads")
    }
}

/// One balancer's figures in one phase.
#[derive(Debug)]
struct Phase {
    requests: u64,
    errors: u64,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    /// The fraction of the answered requests each replica served.
    share: [f64; 3],
}

/// Per balancer, in the order of [`BALANCERS`], its phases in the order of
/// [`PHASES`].
#[derive(Debug)]
struct Runs(Vec<Vec<Phase>>);

impl Runs {
    fn from_report(report: &Report) -> Result<Runs> {
        ensure!(
            report.phases == PHASES,
            "expected the phases {PHASES:?}, got {:?}",
            report.phases
        );
        let names: Vec<&str> = report.runs.iter().map(|r| r.balancer.as_str()).collect();
        ensure!(
            names == BALANCERS,
            "expected the balancers {BALANCERS:?}, got {names:?}"
        );
        let mut out = Vec::new();
        for r in &report.runs {
            let phases: Vec<&str> = r.phases.iter().map(|p| p.phase.as_str()).collect();
            ensure!(
                phases == PHASES,
                "expected the phases {PHASES:?} for {}, got {phases:?}",
                r.balancer
            );
            // No answer at all: no latency, shown as "–".
            let ms = |x: Option<f64>| x.unwrap_or(f64::NAN);
            let run = r
                .phases
                .iter()
                .map(|p| Phase {
                    requests: p.requests,
                    errors: p.errors,
                    p50_ms: ms(p.p50_ms),
                    p99_ms: ms(p.p99_ms),
                    p999_ms: ms(p.p999_ms),
                    share: p.share,
                })
                .collect();
            out.push(run);
        }
        Ok(Runs(out))
    }

    fn get(&self, balancer: &str, phase: &str) -> &Phase {
        let b = BALANCERS.iter().position(|n| *n == balancer);
        let p = PHASES.iter().position(|n| *n == phase);
        // Both are constants of this file, checked by `from_report`.
        &self.0[b.expect("a known balancer")][p.expect("a known phase")]
    }

    /// P2C in the client: (p99 healthy, p99 slow, met).
    fn p2c_target(&self) -> (f64, f64, bool) {
        let healthy = self.get("p2c-peak-ewma", "healthy").p99_ms;
        let slow = self.get("p2c-peak-ewma", "slow").p99_ms;
        (
            healthy,
            slow,
            healthy.is_finite() && results::met(slow, P2C_P99_FACTOR * healthy),
        )
    }

    /// Round robin: (p99 slow, whether it is at least the added latency).
    fn round_robin_expectation(&self, slow_ms: f64) -> (f64, bool) {
        let slow = self.get("round-robin", "slow").p99_ms;
        (slow, results::met(slow_ms, slow))
    }
}

const LABELS: Labels = &[
    ("balancer", "balancer", "负载均衡器"),
    ("phase", "phase", "阶段"),
    ("requests", "requests", "请求数"),
    ("p50", "p50 ms", "p50 毫秒"),
    ("p99", "p99 ms", "p99 毫秒"),
    ("p999", "p99.9 ms", "p99.9 毫秒"),
    ("errors", "errors", "错误"),
    (
        "share",
        "share of replicas 1 / 2 / 3",
        "各副本所占份额（副本 1/2/3）",
    ),
    ("shares", "{} / {} / {} %", "{}/{}/{}%"),
    ("healthy", "healthy", "正常"),
    ("slow", "replica 2 slow (+{} ms)", "副本 2 变慢（+{} 毫秒）"),
    ("killed", "replica 3 killed (kill -9)", "副本 3 被 kill -9"),
    ("restarted", "replica 3 restarted", "副本 3 重启"),
    ("round-robin", "round robin", "轮询"),
    ("random", "random", "随机"),
    ("least-outstanding", "least outstanding", "最少未完成请求"),
    (
        "p2c-peak-ewma",
        "P2C (peak EWMA)",
        "随机二选一（峰值 EWMA）",
    ),
    (
        "lb-proxy",
        "the book's proxy (P2C)",
        "本书的反向代理（随机二选一）",
    ),
    ("nginx", "nginx (least_conn)", "nginx（least_conn）"),
    ("target", "target", "目标"),
    ("measured", "measured", "测得"),
    ("verdict", "verdict", "结论"),
    (
        "target_p2c",
        "P2C (peak EWMA) in the client: p99 with replica 2 slow at most {} × its p99 \
         when all are healthy",
        "客户端中的随机二选一（峰值 EWMA）：副本 2 变慢时的 p99 不超过全部正常时 p99 的 {} 倍",
    ),
    (
        "measured_p2c",
        "{} ms healthy, {} ms with replica 2 slow: {} ×",
        "全部正常时 {} 毫秒，副本 2 变慢时 {} 毫秒：{} 倍",
    ),
    (
        "target_round_robin",
        "round robin: p99 with replica 2 slow at least the latency added to replica 2 \
         ({} ms; what the comparison expects, not a goal)",
        "轮询：副本 2 变慢时的 p99 至少为副本 2 增加的延迟（{} 毫秒；对比中预期的现象，不是目标）",
    ),
    ("ms", "{} ms", "{} 毫秒"),
    (
        "target_errors",
        ": no failed request while replica 3 is dead",
        "：副本 3 被杀死期间没有失败的请求",
    ),
    ("errors_of", "{} failed of {}", "{} 个失败（共 {} 个）"),
    (
        "load_text",
        "open loop, {} requests/s, {} s per phase; {} ms of processor time per request at \
         each of three replicas; replica 2 slowed by {} ms through the fault proxy; {}; \
         replicas, balancers and load on one machine (loopback); each figure the median of \
         {} rounds, the balancers taking turns in each round (requests and errors: the sums)",
        "开环，每秒 {} 个请求，每个阶段 {} 秒；三个副本各自为每个请求花费 {} 毫秒处理器时间；\
         通过故障代理让副本 2 的响应慢 {} 毫秒；{}；副本、负载均衡器和负载都在同一台机器上（本机环回）；\
         每个数字取 {} 轮的中位数，每一轮里各负载均衡器轮流运行（请求数和错误数为各轮之和）",
    ),
    (
        "p99_title",
        "p99 latency by phase and balancer, ms",
        "各阶段各负载均衡器的 p99 延迟（毫秒）",
    ),
    ("ms_unit", "ms", "毫秒"),
    ("dot", " · ", " · "),
];

/// A setting as written: `200`, `0.75`.
fn n(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}

/// A phase's label (the slow one says by how much).
fn phase_label(phase: &'static str, slow_ms: &str) -> Cell {
    if phase == "slow" {
        labelf(phase, &[slow_ms.to_string()])
    } else {
        label(phase)
    }
}

/// The chapter's tables and figure, in terms of [`LABELS`].
fn page(results: &Value) -> Result<Page> {
    let typed = Results::read(results)?;
    let runs = Runs::from_report(&typed.results)?;
    let s = &typed.settings;
    let slow_ms = n(s.slow_ms as f64);

    let header = vec![
        label("balancer"),
        label("phase"),
        label("requests"),
        label("p50"),
        label("p99"),
        label("p999"),
        label("errors"),
        label("share"),
    ];
    let mut rows = Vec::new();
    for (b, key) in BALANCERS.iter().enumerate() {
        for (i, (p, phase)) in runs.0[b].iter().zip(PHASES).enumerate() {
            let pct = |x: f64| results::num(x * 100.0, 0);
            rows.push(vec![
                // The balancer's name once, on its first row.
                if i == 0 { label(key) } else { Cell::Empty },
                phase_label(phase, &slow_ms),
                value(p.requests.to_string()),
                value(results::num(p.p50_ms, 1)),
                value(results::num(p.p99_ms, 1)),
                value(results::num(p.p999_ms, 1)),
                value(p.errors.to_string()),
                labelf(
                    "shares",
                    &[pct(p.share[0]), pct(p.share[1]), pct(p.share[2])],
                ),
            ]);
        }
    }

    let (healthy, slow, p2c_met) = runs.p2c_target();
    let slow_added = s.slow_ms as f64;
    let (rr_slow, rr_met) = runs.round_robin_expectation(slow_added);
    let factor = n(P2C_P99_FACTOR);
    let mut targets = vec![
        vec![
            labelf("target_p2c", std::slice::from_ref(&factor)),
            labelf(
                "measured_p2c",
                &[
                    results::num(healthy, 1),
                    results::num(slow, 1),
                    results::num(slow / healthy, 2),
                ],
            ),
            results::verdict(p2c_met),
        ],
        vec![
            labelf("target_round_robin", std::slice::from_ref(&slow_ms)),
            labelf("ms", &[results::num(rr_slow, 1)]),
            results::verdict(rr_met),
        ],
    ];
    for (b, key) in BALANCERS.iter().enumerate() {
        let killed = &runs.0[b][2];
        targets.push(vec![
            Cell::Join(vec![label(key), label("target_errors")]),
            labelf(
                "errors_of",
                &[killed.errors.to_string(), killed.requests.to_string()],
            ),
            results::verdict(results::met(killed.errors as f64, 0.0)),
        ]);
    }

    let load = labelf(
        "load_text",
        &[
            n(s.rate_per_s),
            n(s.phase_seconds),
            n(s.work_ms as f64),
            slow_ms.clone(),
            s.nginx.clone(),
            s.rounds.to_string(),
        ],
    );

    // Grouped by phase: within a group, the balancers side by side.
    let mut bars = Vec::new();
    for (i, phase) in PHASES.iter().enumerate() {
        for (b, key) in BALANCERS.iter().enumerate() {
            bars.push(Bar {
                label: Cell::Join(vec![phase_label(phase, &slow_ms), label("dot"), label(key)]),
                value: runs.0[b][i].p99_ms,
                range: None,
            });
        }
    }

    Ok(Page {
        name: "ch12-balance".into(),
        labels: LABELS,
        tables: vec![
            Table { header, rows },
            Table {
                header: vec![label("target"), label("measured"), label("verdict")],
                rows: targets,
            },
            Table {
                header: vec![label("machine"), label("value")],
                rows: results::machine_rows(&typed.machine, &typed.profile, load),
            },
        ],
        figures: vec![Figure::Bars(BarChart {
            name: "ch12-balance-p99".into(),
            title: label("p99_title"),
            unit: label("ms_unit"),
            bars,
        })],
    })
}

/// The table and the targets, for the terminal.
fn print_summary(results: &Value) -> Result<()> {
    let typed = Results::read(results)?;
    let runs = Runs::from_report(&typed.results)?;
    println!(
        "\n{:<18} {:<10} {:>8} {:>8} {:>8} {:>8} {:>7}  share r1/r2/r3",
        "balancer", "phase", "requests", "p50 ms", "p99 ms", "p99.9 ms", "errors"
    );
    for (b, name) in BALANCERS.iter().enumerate() {
        for (p, phase) in runs.0[b].iter().zip(PHASES) {
            println!(
                "{name:<18} {phase:<10} {:>8} {:>8} {:>8} {:>8} {:>7}  {:>3.0} / {:>3.0} / {:>3.0} %",
                p.requests,
                results::num(p.p50_ms, 1),
                results::num(p.p99_ms, 1),
                results::num(p.p999_ms, 1),
                p.errors,
                p.share[0] * 100.0,
                p.share[1] * 100.0,
                p.share[2] * 100.0,
            );
        }
    }
    let verdict = |met: bool| if met { "met" } else { "not met" };
    let (healthy, slow, p2c_met) = runs.p2c_target();
    println!(
        "target: p2c p99 slow {} ms <= {P2C_P99_FACTOR} x healthy {} ms: {}",
        results::num(slow, 1),
        results::num(healthy, 1),
        verdict(p2c_met)
    );
    let slow_ms = results["settings"]["slow_ms"].as_f64().unwrap_or(f64::NAN);
    let (rr_slow, rr_met) = runs.round_robin_expectation(slow_ms);
    println!(
        "expected: round-robin p99 slow {} ms >= {slow_ms} ms added: {}",
        results::num(rr_slow, 1),
        verdict(rr_met)
    );
    for (b, name) in BALANCERS.iter().enumerate() {
        let killed = &runs.0[b][2];
        println!(
            "target: {name} failed while replica 3 is dead: {} of {}: {}",
            killed.errors,
            killed.requests,
            verdict(killed.errors == 0)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn phase(name: &str, p99: Option<f64>, errors: u64, share: [f64; 3]) -> Value {
        json!({
            "phase": name, "requests": 1000, "errors": errors,
            "p50_ms": p99.map(|p| p / 4.0), "p99_ms": p99, "p999_ms": p99.map(|p| p * 1.5),
            "p99_ms_rounds": p99.into_iter().collect::<Vec<_>>(), "share": share,
        })
    }

    fn results() -> Value {
        let third = 1.0 / 3.0;
        let runs: Vec<Value> = BALANCERS
            .iter()
            .map(|b| {
                // P2C and the proxy avoid the slow replica; round robin does not.
                let avoids = b.contains("p2c") || *b == "lb-proxy";
                let slow_p99 = if avoids { 8.0 } else { 27.5 };
                // nginx loses a request to the killed replica.
                let killed_errors = u64::from(*b == "nginx");
                json!({"balancer": b, "phases": [
                    phase("healthy", Some(7.0), 0, [third, third, third]),
                    phase("slow", Some(slow_p99), 0, [0.45, 0.1, 0.45]),
                    phase("killed", Some(9.0), killed_errors, [0.5, 0.5, 0.0]),
                    phase("restarted", None, 0, [0.4, 0.4, 0.2]),
                ]})
            })
            .collect();
        json!({
            "machine": {"cpu": "Test CPU", "cpus": 2, "os": "Linux", "rustc": "rustc 1.0"},
            "profile": "release",
            "settings": {"command": "lb-experiment", "pinning": "none", "rounds": 1,
                         "rate_per_s": 200.0, "work_ms": 2, "slow_ms": 20,
                         "phase_seconds": 5.0, "nginx": "nginx/1.22.1"},
            "results": {"rate_per_s": 200.0, "work_ms": 2, "slow_ms": 20, "phase_seconds": 5.0,
                        "rounds": 1, "phases": PHASES, "runs": runs},
        })
    }

    /// The page reads the report as `lb-experiment` writes it: a field it
    /// does not know is an error, not a number silently left out.
    #[test]
    fn a_report_the_page_does_not_know_is_refused() {
        assert!(page(&results()).is_ok());
        let mut added = results();
        added["results"]["runs"][0]["phases"][1]["p90_ms"] = json!(3.0);
        assert!(
            page(&added).is_err(),
            "an unknown field in a phase was accepted"
        );
        let mut top = results();
        top["results"]["seed"] = json!(7);
        assert!(
            page(&top).is_err(),
            "an unknown field in the report was accepted"
        );
    }

    #[test]
    fn renders_both_editions() {
        let files = results::render(&page(&results()).unwrap()).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "ch12-balance.md",
                "ch12-balance-p99.en.svg",
                "ch12-balance-p99.zh-CN.svg"
            ]
        );
        let md = &files[0].1;
        let (en, zh) = md
            .split_once("<div class=\"bench-results\" lang=\"zh-CN\">")
            .unwrap();
        assert!(en.contains(
            "<tr><td>round robin</td><td>healthy</td><td>1000</td><td>1.8</td><td>7.0</td>\
             <td>10.5</td><td>0</td><td>33 / 33 / 33 %</td></tr>"
        ));
        assert!(en.contains(
            "<tr><td></td><td>replica 2 slow (+20 ms)</td><td>1000</td><td>6.9</td>\
             <td>27.5</td>"
        ));
        // No answer: no latency.
        assert!(en.contains("<td>replica 3 restarted</td><td>1000</td><td>–</td><td>–</td>"));
        assert!(zh.contains("<tr><td>轮询</td><td>正常</td>"));
        assert!(zh.contains("<td>副本 2 变慢（+20 毫秒）</td>"));
        assert!(zh.contains("<td>45/10/45%</td>"));
        // The targets: P2C met (8.0 ≤ 1.5 × 7.0), round robin as expected,
        // nginx failed one request.
        assert!(
            en.contains("<td>7.0 ms healthy, 8.0 ms with replica 2 slow: 1.14 ×</td><td>met</td>")
        );
        assert!(en.contains("not a goal)</td><td>27.5 ms</td><td>met</td>"));
        assert!(zh.contains(
            "<td>全部正常时 7.0 毫秒，副本 2 变慢时 8.0 毫秒：1.14 倍</td><td>达到</td>"
        ));
        assert!(en.contains(
            "<td>nginx (least_conn): no failed request while replica 3 is dead</td>\
             <td>1 failed of 1000</td><td>not met</td>"
        ));
        assert!(zh.contains(
            "<td>随机二选一（峰值 EWMA）：副本 3 被杀死期间没有失败的请求</td>\
             <td>0 个失败（共 1000 个）</td><td>达到</td>"
        ));
        assert!(en.contains("nginx/1.22.1; replicas"));
        assert!(en.contains("<img src=\"bench/ch12-balance-p99.en.svg\""));
        let svg = &files[2].1;
        assert!(svg.contains("<desc>正常 · 轮询: 7.00 毫秒；"), "{svg}");
        assert_eq!(svg.matches("<rect x=").count(), 24);
        // No English label reaches the Chinese block (whose figure's file
        // name has "balance" in it).
        let zh = zh.replace("ch12-balance", "");
        results::assert_no_english(&zh, LABELS);
        results::assert_chinese_units(&zh);
        results::assert_chinese_units(svg);
    }

    /// The committed results file, a real run of `lb-experiment`, is read
    /// by the same types, and nothing in it is left out.
    #[test]
    fn the_committed_results_are_read_whole() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let text = std::fs::read_to_string(root.join(CHAPTER.results)).unwrap();
        let typed: Results = serde_json::from_str(&text).unwrap();
        assert_eq!(typed.results.runs.len(), BALANCERS.len());
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_value(&typed).unwrap(), value);
    }

    #[test]
    fn a_missing_balancer_or_phase_is_an_error() {
        let mut r = results();
        r["results"]["runs"].as_array_mut().unwrap().pop();
        assert!(page(&r).is_err());
        let mut r = results();
        r["results"]["runs"][0]["phases"]
            .as_array_mut()
            .unwrap()
            .pop();
        assert!(page(&r).is_err());
    }

    #[test]
    fn p2c_beyond_its_limit_is_not_met() {
        let mut r = results();
        r["results"]["runs"][3]["phases"][1]["p99_ms"] = json!(10.6);
        let runs = Runs::from_report(&Results::read(&r).unwrap().results).unwrap();
        assert!(!runs.p2c_target().2);
        r["results"]["runs"][3]["phases"][1]["p99_ms"] = json!(null);
        let runs = Runs::from_report(&Results::read(&r).unwrap().results).unwrap();
        assert!(!runs.p2c_target().2);
    }
}
