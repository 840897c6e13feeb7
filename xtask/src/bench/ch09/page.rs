//! Chapter 9's page: its tables and figures from bench/results.json, in
//! terms of the labels of [`super::labels`].

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::Value;

use super::labels::LABELS;
use super::{CONTENDED, COUNTERS, FIXED_SERVERS, PROFILED, SERVERS, THREADS, reference_go};
use crate::results::{
    self, Bar, BarChart, Cell, Figure, Machine, Page, Spread, Table, label, labelf, num,
    spread_text, value,
};

/// "go version go1.19.8 linux/amd64" → "Go 1.19".
pub(super) fn go_release(version: &str) -> Option<String> {
    let v = version
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("go"))
        .find(|v| v.starts_with(|c: char| c.is_ascii_digit()))?;
    let mut parts = v.split('.');
    Some(format!("Go {}.{}", parts.next()?, parts.next()?))
}

/// The counters' languages: (name in the tables, key in results.json);
/// each Go that ran, by its release.
pub(super) fn counter_langs(results: &Value) -> Vec<(String, &'static str)> {
    let m = &results["machine"];
    let go = |key: &str, fallback: &str| {
        m[key]
            .as_str()
            .and_then(go_release)
            .unwrap_or_else(|| fallback.to_string())
    };
    let mut langs = vec![("Rust".to_string(), "rust_ns"), (go("go", "Go"), "go_ns")];
    if results["counters"]["go_current_ns"].is_object() {
        langs.push((go("go_current", "Go (current)"), "go_current_ns"));
    }
    langs
}

/// The ratios in results.json, with their labels' keys.
pub(super) const RATIOS: [(&str, &str); 8] = [
    ("axum_over_go_current_rps", "axum / go-current, requests/s"),
    ("axum_over_go_rps", "axum / go, requests/s"),
    ("axum_over_reference_go_p99", "axum / {}, p99 latency"),
    // Results measured before the current Go joined: the same, against go.
    ("axum_over_go_p99", "axum / go, p99 latency"),
    ("axum_over_hyper_rps", "axum / hyper, requests/s"),
    ("axum_bare_over_hyper_rps", "axum-bare / hyper, requests/s"),
    (
        "axum_mimalloc_over_hyper_rps",
        "axum-mimalloc / hyper, requests/s",
    ),
    (
        "axum_mimalloc_over_axum_rps",
        "axum-mimalloc / axum, requests/s",
    ),
];

/// The chapter's targets: (label key, where in results.json, at least or
/// at most, the bound).
pub(super) const TARGETS: [(&str, &[&str], bool, f64); 3] = [
    (
        "target_rps",
        &["http", "ratios", "axum_over_go_current_rps"],
        true,
        1.3,
    ),
    (
        "target_p99",
        &["fixed_load", "loads", "90", "axum_over_reference_go_p99"],
        false,
        0.5,
    ),
    (
        "target_mimalloc",
        &["http", "ratios", "axum_mimalloc_over_hyper_rps"],
        true,
        0.9,
    ),
];

/// A callgrind table's header: the share of instructions spent in some C
/// functions, named as code.
pub(super) fn share_header(functions: &str) -> Cell {
    Cell::Join(vec![
        label("share_before"),
        Cell::Code(functions.into()),
        label("share_after"),
    ])
}

/// A `{median, min, max}` object of results.json.
pub(super) fn stored_spread(v: &Value) -> Option<Spread> {
    Some(Spread {
        median: v["median"].as_f64()?,
        min: v["min"].as_f64()?,
        max: v["max"].as_f64()?,
    })
}

/// The chapter's tables and figures, in terms of [`LABELS`].
pub(super) fn page(results: &Value) -> Result<Page> {
    let http = &results["http"];
    let c = &results["counters"];
    let m = &results["machine"];
    let s = &results["settings"];
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let text = |v: &Value| v.as_str().unwrap_or("unknown").to_string();
    let reference = reference_go(http);
    let go_version = |name: &str| match name {
        "go" => m["go"].as_str().and_then(go_release),
        "go-current" => m["go_current"].as_str().and_then(go_release),
        _ => None,
    };
    let server_cell = |name: &str| {
        let mut parts = vec![
            value(name),
            label("open"),
            Cell::Code(text(&http[name]["program"])),
        ];
        if let Some(v) = go_version(name) {
            parts.push(label("comma"));
            parts.push(value(v));
        }
        parts.push(label("close"));
        Cell::Join(parts)
    };
    let present: Vec<&str> = SERVERS
        .iter()
        .map(|(name, _, _)| *name)
        .filter(|name| http[*name].is_object())
        .collect();

    let mut servers = Vec::new();
    for name in &present {
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
        .filter(|(key, _)| http["ratios"][*key].is_object())
        .map(|(key, name)| {
            vec![
                if name.contains("{}") {
                    labelf(name, &[reference.to_string()])
                } else {
                    label(name)
                },
                value(spread_text(stored_spread(&http["ratios"][*key]), 2)),
            ]
        })
        .collect();
    let targets: Vec<Vec<Cell>> = TARGETS
        .iter()
        .map(|(key, path, at_least, bound)| {
            let v = path.iter().fold(results, |v, k| &v[*k]);
            let median = f(&v["median"]);
            let met = median.is_finite()
                && if *at_least {
                    median >= *bound
                } else {
                    median <= *bound
                };
            vec![
                if *key == "target_p99" {
                    labelf(key, &[reference.to_string()])
                } else {
                    label(key)
                },
                value(spread_text(stored_spread(v), 2)),
                results::verdict(met),
            ]
        })
        .collect();
    let mut fixed = Vec::new();
    if let Some(loads) = results["fixed_load"]["loads"].as_object() {
        for (load, l) in loads {
            for name in FIXED_SERVERS {
                let x = &l["servers"][name];
                if !x.is_object() {
                    continue;
                }
                fixed.push(vec![
                    value(name),
                    value(load.clone()),
                    value(num(f(&l["rate"]), 0)),
                    value(num(f(&x["achieved_rps"]["median"]), 0)),
                    value(num(f(&x["p50_us"]["median"]), 0)),
                    value(spread_text(stored_spread(&x["p99_us"]), 0)),
                    value(num(f(&x["p999_us"]["median"]), 0)),
                ]);
            }
        }
    }
    let profiled = PROFILED
        .iter()
        .filter(|name| results["profile_per_request"][**name].is_object())
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
    let langs = counter_langs(results);
    let mut counters = Vec::new();
    let mut counter_bars = Vec::new();
    for (i, (lang, key)) in langs.iter().enumerate() {
        for kind in COUNTERS {
            if c[*key][format!("{kind}/1")].is_null() {
                continue;
            }
            let name = labelf(kind, std::slice::from_ref(lang));
            let mut row = vec![name];
            for threads in THREADS {
                let us = counter_us(key, kind, threads);
                row.push(value(num(us, 0)));
                // The figure: Rust and the newest Go that ran.
                if i == 0 || i == langs.len() - 1 {
                    counter_bars.push(Bar {
                        label: Cell::Join(vec![
                            labelf(kind, std::slice::from_ref(lang)),
                            value(format!(" ×{threads}")),
                        ]),
                        value: us,
                        range: None,
                    });
                }
            }
            counters.push(row);
        }
    }
    let mut contention = Vec::new();
    if let Some(by_lang) = results["contention"]["results"].as_object() {
        for (lang, key) in &langs {
            let lang_key = key.trim_end_matches("_ns");
            let Some(cases) = by_lang.get(lang_key) else {
                continue;
            };
            for (kind, threads) in CONTENDED {
                let x = &cases[format!("{kind}/{threads}")];
                contention.push(vec![
                    Cell::Join(vec![
                        labelf(kind, std::slice::from_ref(lang)),
                        value(format!(" ×{threads}")),
                    ]),
                    value(num(f(&x["futex_per_1000_ops"]["median"]), 2)),
                    value(num(f(&x["switches_per_1000_ops"]["median"]), 2)),
                    value(num(f(&x["us_per_iteration"]["median"]), 0)),
                ]);
            }
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
    let machine_file = Machine::deserialize(&results["machine"])
        .context("the results' machine is not what the page reads")?;
    let profile = results["profile"].as_str().unwrap_or("unknown");
    let mut machine = results::machine_rows(&machine_file, profile, load);
    let mut at = 3;
    for key in ["go", "go_current"] {
        if m[key].is_string() {
            machine.insert(at, vec![label("go"), value(text(&m[key]))]);
            at += 1;
        }
    }
    machine.insert(at, vec![label("wrk"), value(text(&m["wrk"]))]);
    at += 1;
    if m["oha"].is_string() {
        machine.insert(at, vec![label("oha"), value(text(&m["oha"]))]);
    }
    if results["fixed_load"].is_object() {
        machine.push(vec![
            label("fixed_load"),
            Cell::Join(vec![
                Cell::Code(format!(
                    "oha -z {}s -c {} -q RATE --latency-correction",
                    s["fixed_seconds"], s["fixed_connections"]
                )),
                labelf(
                    "fixed_text",
                    &[s["fixed_rounds"].to_string(), reference.to_string()],
                ),
            ]),
        ]);
    }
    let bars = |key: &str| -> Vec<Bar> {
        present
            .iter()
            .map(|name| Bar::spread(value(*name), stored_spread(&http[*name][key])))
            .collect()
    };
    let mut tables = vec![
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
    ];
    if results["fixed_load"].is_object() {
        tables.push(Table {
            header: vec![label("target"), label("ratio"), label("verdict")],
            rows: targets,
        });
        tables.push(Table {
            header: vec![
                label("server"),
                labelf("load_pct", &[reference.to_string()]),
                label("offered"),
                label("achieved"),
                label("p50"),
                label("p99"),
                label("p999"),
            ],
            rows: fixed,
        });
    }
    tables.push(Table {
        header: vec![
            label("callgrind"),
            label("instructions"),
            if results["profile_per_request"]["axum-mimalloc"].is_object() {
                label("allocator")
            } else {
                share_header("malloc/free")
            },
            share_header("memcpy/memmove"),
        ],
        rows: profiled,
    });
    tables.push(Table {
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
    });
    if !contention.is_empty() {
        tables.push(Table {
            header: vec![
                labelf(
                    "contention",
                    &[
                        results["contention"]["iterations"].to_string(),
                        s["contend_repeats"].to_string(),
                    ],
                ),
                label("futex"),
                label("switches"),
                label("us_per_iteration"),
            ],
            rows: contention,
        });
    }
    tables.push(Table {
        header: vec![label("machine"), label("value")],
        rows: machine,
    });
    Ok(Page {
        name: "results".into(),
        labels: LABELS,
        tables,
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

    #[test]
    fn go_releases() {
        assert_eq!(
            go_release("go version go1.19.8 linux/amd64").as_deref(),
            Some("Go 1.19")
        );
        assert_eq!(go_release("go version").as_deref(), None);
    }

    /// The committed results, rendered: both editions, and no English
    /// label in the Chinese block.
    #[test]
    fn renders_both_editions() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        let results = crate::bench::read(&root.join(super::super::CHAPTER.results)).unwrap();
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
        let share = (results["profile_per_request"]["hyper"]["allocator_share"]
            .as_f64()
            .unwrap()
            * 100.0)
            .round();
        assert!(en.contains(&format!("<td>{share} %</td>")));
        assert!(zh.contains(&format!("<td>{share}%</td>")));
        assert!(zh.contains("<th>分配器占比</th>") && zh.contains("<td>Go 1.27 分片计数</td>"));
        assert!(zh.contains("<td>达到</td>") || zh.contains("<td>未达到</td>"));
        assert!(zh.contains("<td><code>wrk -t1 -c50 -d10s</code>（预热 2 秒）× 5 轮；"));
        results::assert_no_english(zh, LABELS);
        results::assert_chinese_units(zh);
        for (_, svg) in files.iter().filter(|(n, _)| n.ends_with(".zh-CN.svg")) {
            results::assert_chinese_units(svg);
        }
        let svg = &files
            .iter()
            .find(|(n, _)| n == "http-rps.zh-CN.svg")
            .unwrap()
            .1;
        assert!(svg.contains("<desc>axum: 每秒 ") && svg.contains(" 次请求 ("));
        assert!(!svg.contains("requests"));
        let counters = &files
            .iter()
            .find(|(n, _)| n == "counters.zh-CN.svg")
            .unwrap()
            .1;
        assert!(counters.contains(">Go 1.27 读写锁，9 读 1 写 ×8<"));
        let us = (results["counters"]["rust_ns"]["atomic/1"].as_f64().unwrap() / 1000.0).round();
        assert!(counters.contains(&format!("{us} 微秒")));
    }
}
