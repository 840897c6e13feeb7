//! Chapter 9's page: its tables and figures from bench/results.json, in
//! terms of the labels of [`super::labels`].

use anyhow::Result;
use serde_json::Value;

use super::labels::LABELS;
use super::stored::{Contended, HttpServer, Results, Stored, median, spread};
use super::{CONTENDED, COUNTERS, FIXED_SERVERS, PROFILED, SERVERS, THREADS};
use crate::results::{
    self, Bar, BarChart, Cell, Figure, Page, Table, label, labelf, num, spread_text, value,
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
pub(super) fn counter_langs(results: &Results) -> Vec<(String, &'static str)> {
    let m = &results.machine;
    let go = |version: &Option<String>, fallback: &str| {
        version
            .as_deref()
            .and_then(go_release)
            .unwrap_or_else(|| fallback.to_string())
    };
    let mut langs = vec![("Rust".to_string(), "rust_ns"), (go(&m.go, "Go"), "go_ns")];
    if results.counters.go_current_ns.is_some() {
        langs.push((go(&m.go_current, "Go (current)"), "go_current_ns"));
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

/// A ratio of the saturation runs, if both sides ran.
fn ratio(r: &Results, key: &str) -> Option<Stored> {
    r.http.ratios.get(key).copied().flatten()
}

/// The p99 of axum over the reference Go's at 90 % load, if it ran.
fn p99_at_90(r: &Results) -> Option<Stored> {
    r.fixed_load
        .as_ref()?
        .loads
        .get("90")?
        .axum_over_reference_go_p99
}

/// The chapter's targets: (label key, the ratio in results.json, at least
/// or at most, the bound).
type Target = (&'static str, fn(&Results) -> Option<Stored>, bool, f64);
const TARGETS: [Target; 3] = [
    (
        "target_rps",
        |r| ratio(r, "axum_over_go_current_rps"),
        true,
        1.3,
    ),
    ("target_p99", p99_at_90, false, 0.5),
    (
        "target_mimalloc",
        |r| ratio(r, "axum_mimalloc_over_hyper_rps"),
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

/// The chapter's tables and figures, in terms of [`LABELS`].
pub(super) fn page(results: &Value) -> Result<Page> {
    let results = &Results::read(results)?;
    let http = &results.http;
    let c = &results.counters;
    let m = &results.machine;
    let s = &results.settings;
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
    let reference = http.reference_go();
    let go_version = |name: &str| match name {
        "go" => m.go.as_deref().and_then(go_release),
        "go-current" => m.go_current.as_deref().and_then(go_release),
        _ => None,
    };
    let server_cell = |name: &str, x: &HttpServer| {
        let mut parts = vec![value(name), label("open"), Cell::Code(x.program.clone())];
        if let Some(v) = go_version(name) {
            parts.push(label("comma"));
            parts.push(value(v));
        }
        parts.push(label("close"));
        Cell::Join(parts)
    };
    let present: Vec<(&str, &HttpServer)> = SERVERS
        .iter()
        .filter_map(|(name, _, _)| Some((*name, http.servers.get(*name)?)))
        .collect();

    let mut servers = Vec::new();
    for (name, x) in &present {
        servers.push(vec![
            server_cell(name, x),
            value(spread_text(spread(x.requests_per_second), 0)),
            value(num(median(x.p50_us), 0)),
            value(num(median(x.p99_us), 0)),
            value(num(median(x.peak_rss_kib), 0)),
            value(num(x.binary_bytes as f64 / 1024.0, 0)),
        ]);
    }
    let ratios = RATIOS
        .iter()
        .filter(|(key, _)| ratio(results, key).is_some())
        .map(|(key, name)| {
            vec![
                if name.contains("{}") {
                    labelf(name, &[reference.to_string()])
                } else {
                    label(name)
                },
                value(spread_text(spread(ratio(results, key)), 2)),
            ]
        })
        .collect();
    let targets: Vec<Vec<Cell>> = TARGETS
        .iter()
        .map(|(key, get, at_least, bound)| {
            let v = get(results);
            let median = median(v);
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
                value(spread_text(spread(v), 2)),
                results::verdict(met),
            ]
        })
        .collect();
    let mut fixed = Vec::new();
    if let Some(fixed_load) = &results.fixed_load {
        for (load, l) in &fixed_load.loads {
            for name in FIXED_SERVERS {
                let Some(x) = l.servers.get(name) else {
                    continue;
                };
                fixed.push(vec![
                    value(name),
                    value(load.clone()),
                    value(num(l.rate, 0)),
                    value(num(median(x.achieved_rps), 0)),
                    value(num(median(x.p50_us), 0)),
                    value(spread_text(spread(x.p99_us), 0)),
                    value(num(median(x.p999_us), 0)),
                ]);
            }
        }
    }
    let profiled = PROFILED
        .iter()
        .filter_map(|name| Some((*name, results.profile_per_request.get(*name)?)))
        .map(|(name, p)| {
            vec![
                value(name),
                value(num(p.instructions_per_request, 0)),
                labelf("percent", &[num(p.allocator_share * 100.0, 0)]),
                labelf("percent", &[num(p.copy_share * 100.0, 0)]),
            ]
        })
        .collect();
    let counter_ns = |lang_key: &str, case: &str| c.get(lang_key)?.get(case).copied();
    let counter_us = |lang_key: &str, kind: &str, threads: u32| {
        counter_ns(lang_key, &format!("{kind}/{threads}")).unwrap_or(f64::NAN) / 1000.0
    };
    let langs = counter_langs(results);
    let mut counters = Vec::new();
    let mut counter_bars = Vec::new();
    for (i, (lang, key)) in langs.iter().enumerate() {
        for kind in COUNTERS {
            if counter_ns(key, &format!("{kind}/1")).is_none() {
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
    if let Some(contended) = &results.contention {
        for (lang, key) in &langs {
            let lang_key = key.trim_end_matches("_ns");
            let Some(cases) = contended.results.get(lang_key) else {
                continue;
            };
            for (kind, threads) in CONTENDED {
                let x = cases.get(&format!("{kind}/{threads}"));
                let m = |get: fn(&Contended) -> Option<Stored>| median(x.and_then(get));
                contention.push(vec![
                    Cell::Join(vec![
                        labelf(kind, std::slice::from_ref(lang)),
                        value(format!(" ×{threads}")),
                    ]),
                    value(num(m(|x| x.futex_per_1000_ops), 2)),
                    value(num(m(|x| x.switches_per_1000_ops), 2)),
                    value(num(m(|x| x.us_per_iteration), 0)),
                ]);
            }
        }
    }
    let pinning = match s.pinning.as_str() {
        "server on CPU 0, wrk on CPU 1" => labelf("pinned", &["0".into(), "1".into()]),
        p if p.starts_with("none") => label("unpinned"),
        other => value(other),
    };
    let load = Cell::Join(vec![
        Cell::Code(format!("wrk -t1 -c{} -d{}s", s.connections, s.seconds)),
        labelf(
            "load_text",
            &[s.warmup_seconds.to_string(), s.rounds.to_string()],
        ),
        pinning,
    ]);
    let mut machine = results::machine_rows(m, &results.profile, load);
    let mut at = 3;
    for version in [&m.go, &m.go_current] {
        if version.is_some() {
            machine.insert(at, vec![label("go"), value(text(version))]);
            at += 1;
        }
    }
    machine.insert(at, vec![label("wrk"), value(text(&m.wrk))]);
    at += 1;
    if m.oha.is_some() {
        machine.insert(at, vec![label("oha"), value(text(&m.oha))]);
    }
    if results.fixed_load.is_some() {
        machine.push(vec![
            label("fixed_load"),
            Cell::Join(vec![
                Cell::Code(format!(
                    "oha -z {}s -c {} -q RATE --latency-correction",
                    s.fixed_seconds, s.fixed_connections
                )),
                labelf(
                    "fixed_text",
                    &[s.fixed_rounds.to_string(), reference.to_string()],
                ),
            ]),
        ]);
    }
    let bars = |get: fn(&HttpServer) -> Option<Stored>| -> Vec<Bar> {
        present
            .iter()
            .map(|(name, x)| Bar::spread(value(*name), spread(get(x))))
            .collect()
    };
    let mut tables = vec![
        Table {
            header: vec![
                label("server"),
                labelf("rps_spread", &[s.rounds.to_string()]),
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
    if results.fixed_load.is_some() {
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
            if results.profile_per_request.contains_key("axum-mimalloc") {
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
    if let (false, Some(contended)) = (contention.is_empty(), &results.contention) {
        tables.push(Table {
            header: vec![
                labelf(
                    "contention",
                    &[
                        contended.iterations.to_string(),
                        s.contend_repeats.to_string(),
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
                bars: bars(|x| x.requests_per_second),
            }),
            Figure::Bars(BarChart {
                name: "http-p99".into(),
                title: label("p99_title"),
                unit: label("us"),
                bars: bars(|x| x.p99_us),
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

    fn committed() -> Value {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        crate::bench::read(&root.join(super::super::CHAPTER.results)).unwrap()
    }

    /// The page reads bench/results.json as the harness writes it: a field
    /// it does not know (added or renamed on one side only) is an error,
    /// not a number silently left out.
    #[test]
    fn results_the_page_does_not_know_are_refused() {
        assert!(page(&committed()).is_ok());
        let mut run = committed();
        run["http"]["axum"]["runs"][0]["p90_us"] = serde_json::json!(1.0);
        assert!(
            page(&run).is_err(),
            "an unknown field in a wrk run was accepted"
        );
        let mut renamed = committed();
        let p50 = renamed["http"]["hyper"]["p50_us"].take();
        renamed["http"]["hyper"]["p50"] = p50;
        assert!(page(&renamed).is_err(), "a renamed field was accepted");
        let mut setting = committed();
        setting["settings"]["wrk_connections"] = serde_json::json!(50);
        assert!(page(&setting).is_err(), "an unknown setting was accepted");
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
