//! Chapter 10, `cargo xtask bench history`: the histories of the chapter's
//! experiment (Listing 10-3's `counter-scenario`), drawn as timelines.
//!
//! Not a measurement of speed: the scenario's clients record every
//! operation with its times, and the page shows one run of each core as a
//! timeline. The histories are stored in bench/ch10-history.json, so that
//! the figures are rendered, and checked, like every measured page.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Smoke;
use super::measure::machine;
use crate::cmd;
use crate::results::{
    self, Event, Figure, Labels, Machine, Operation, Page, Timeline, label, labelf,
};

const PACKAGE: &str = "listing-10-03";
const SCENARIO: &str = "counter-scenario";
const NODE: &str = "counter-node";
/// The scenario's two runs, in the order of the page.
const CORES: [&str; 2] = ["naive", "gcounter"];

pub const CHAPTER: super::Chapter = super::Chapter {
    name: "history",
    about: "Chapter 10: the experiment's histories (Listing 10-3), drawn as timelines",
    full: run_full,
    smoke: run_smoke,
    needs_go: false,
    results: "bench/ch10-history.json",
    smoke_results: "ch10-history.json",
    page,
    summary: print_summary,
    regenerate: "run `cargo xtask bench history` to record new histories, or \
                 `cargo xtask bench --render` if only the drawing changed",
};

/// One run of the scenario, built in release like the other measurements.
fn run_full(root: &Path) -> Result<Value> {
    cmd::run(cmd::cargo().args([
        "build",
        "--release",
        "-p",
        PACKAGE,
        "--bin",
        SCENARIO,
        "--bin",
        NODE,
    ]))?;
    let dir = root.join("target/release");
    record(root, &dir.join(SCENARIO), &dir.join(NODE), false, "release")
}

/// The suite's smoke run of the debug build (two seconds).
fn run_smoke(root: &Path, smoke: &Smoke) -> Result<Option<Value>> {
    let exe = |bin: &str| -> Result<PathBuf> {
        smoke
            .build
            .bins
            .get(&format!("{PACKAGE}/{bin}"))
            .cloned()
            .with_context(|| format!("the workspace build made no {PACKAGE}/{bin}"))
    };
    record(
        root,
        &exe(SCENARIO)?,
        &exe(NODE)?,
        true,
        results::SMOKE_PROFILE,
    )
    .map(Some)
}

fn record(root: &Path, scenario: &Path, node: &Path, smoke: bool, profile: &str) -> Result<Value> {
    let data = root.join(if smoke {
        "target/bench-smoke/ch10-history"
    } else {
        "target/bench/ch10-history"
    });
    let mut c = Command::new(scenario);
    c.arg("--data").arg(&data).arg("--node-bin").arg(node);
    cmd::run(&mut c)?;
    let mut histories = BTreeMap::new();
    for core in CORES {
        let path = data.join(core).join("history.jsonl");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let events: Vec<Event> = text
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .with_context(|| {
                format!(
                    "{} is not a history as Listing 10-3 writes it",
                    path.display()
                )
            })?;
        histories.insert(core.to_string(), events);
    }
    let results = Results {
        machine: machine(root)?.without_go_and_wrk(),
        profile: profile.to_string(),
        histories,
    };
    Ok(serde_json::to_value(&results)?)
}

/// bench/ch10-history.json: each core's history, event for event, with
/// the machine.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Results {
    machine: Machine,
    profile: String,
    /// Core (`naive`, `gcounter`) → its history.
    histories: BTreeMap<String, Vec<Event>>,
}

impl Results {
    fn read(results: &Value) -> Result<Results> {
        Results::deserialize(results).context("the results are not what the history page reads")
    }
}

const LABELS: Labels = &[
    (
        "title_naive",
        "One run with the naive core: what the clients did, and were told",
        "朴素核心的一次运行：客户端做了什么、得到了什么答复",
    ),
    (
        "title_gcounter",
        "One run with the G-counter: what the clients did, and were told",
        "只增计数器的一次运行：客户端做了什么、得到了什么答复",
    ),
    ("client", "client {}", "客户端 {}"),
    ("ok", "ok", "成功"),
    ("fail", "failed", "失败"),
    ("unknown", "unknown", "未知"),
    (
        "axis",
        "each operation from its invocation to its completion; events in the order they happened, not to scale",
        "每个操作从调用到完成；事件按发生的先后排列，不按时间比例",
    ),
];

/// `+1` for an increment, `nK: V` for a read of V at node K.
fn text(invoke: &Event, end: Option<&Event>) -> String {
    let node = invoke.node.unwrap_or(0);
    match invoke.f {
        Operation::Add => "+1".into(),
        Operation::Read => match end.and_then(|e| e.value.as_u64()) {
            Some(v) => format!("n{node}: {v}"),
            None => format!("n{node}"),
        },
        // Not the counter's: named as the history names it.
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
    }
}

fn page(results: &Value) -> Result<Page> {
    let typed = Results::read(results)?;
    let mut figures = Vec::new();
    for core in CORES {
        let events = typed
            .histories
            .get(core)
            .with_context(|| format!("no {core} history in the results"))?;
        let (processes, ops) = results::timeline_ops(events, text);
        figures.push(Figure::Timeline(Timeline {
            name: format!("ch10-history-{core}"),
            title: label(if core == "naive" {
                "title_naive"
            } else {
                "title_gcounter"
            }),
            rows: processes
                .iter()
                .map(|p| labelf("client", &[p.to_string()]))
                .collect(),
            ops,
            legend: [label("ok"), label("fail"), label("unknown")],
            axis: label("axis"),
            unit: label("ms"),
            by_order: true,
        }));
    }
    Ok(Page {
        name: "ch10-history".into(),
        labels: LABELS,
        tables: Vec::new(),
        figures,
    })
}

fn print_summary(results: &Value) -> Result<()> {
    let typed = Results::read(results)?;
    for core in CORES {
        let events = typed.histories.get(core).map_or(0, Vec::len);
        println!("{core}: {events} events");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> (String, Value) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let text = std::fs::read_to_string(root.join(CHAPTER.results)).unwrap();
        let value = serde_json::from_str(&text).unwrap();
        (text, value)
    }

    /// The page reads the events as Listing 10-3's `history::Event`
    /// writes them: a field it does not know, or an event type or
    /// operation that is not one of the history's, is an error.
    /// The committed histories, a real run of the scenario, are read by
    /// the same types, and nothing in them is left out.
    #[test]
    fn the_committed_results_are_read_whole() {
        let (text, value) = committed();
        let typed: Results = serde_json::from_str(&text).unwrap();
        assert_eq!(typed.histories.len(), CORES.len());
        assert_eq!(serde_json::to_value(&typed).unwrap(), value);
    }

    #[test]
    fn a_history_the_page_does_not_know_is_refused() {
        let (_, good) = committed();
        assert!(page(&good).is_ok());
        let mut added = good.clone();
        added["histories"]["naive"][0]["latency"] = serde_json::json!(3);
        assert!(page(&added).is_err(), "an unknown field was accepted");
        let mut kind = good.clone();
        kind["histories"]["naive"][0]["type"] = serde_json::json!("done");
        assert!(page(&kind).is_err(), "an unknown event type was accepted");
    }

    /// The committed histories, rendered: the Chinese figures write their
    /// units in Chinese.
    #[test]
    fn chinese_figures_in_chinese() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let results = super::super::read(&root.join(CHAPTER.results)).unwrap();
        let files = results::render(&page(&results).unwrap()).unwrap();
        let zh: Vec<&(String, String)> = files
            .iter()
            .filter(|(n, _)| n.ends_with(".zh-CN.svg"))
            .collect();
        assert_eq!(zh.len(), 2);
        for (_, svg) in zh {
            assert!(svg.contains("<desc>客户端 1: +1 成功 ("), "{svg}");
            results::assert_chinese_units(svg);
        }
    }
}
