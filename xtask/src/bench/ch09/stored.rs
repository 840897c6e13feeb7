//! What bench/results.json holds, as types: the harness's results pass
//! through them before they are stored, and the page and the terminal
//! table read them back, so that a field written on one side and not read
//! on the other (or misspelled) is an error instead of a number silently
//! missing. Every struct refuses fields it does not name.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::results::{Machine, Spread};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Results {
    pub profile: String,
    pub machine: Machine,
    pub settings: Settings,
    pub http: Http,
    /// None in the smoke run (no oha).
    pub fixed_load: Option<FixedLoad>,
    /// Server → its instructions counted under callgrind.
    pub profile_per_request: BTreeMap<String, Profile>,
    pub counters: Counters,
    /// None when the smoke run could not use perf.
    pub contention: Option<Contention>,
}

impl Results {
    pub fn read(results: &Value) -> Result<Results> {
        Results::deserialize(results).context("the results are not what chapter 9's page reads")
    }
}

/// `{median, min, max}` of the rounds; null when none ran.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Stored {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// `{median, min, max}` of the finite values; none if there are none.
pub(super) fn stored(values: &[f64]) -> Option<Stored> {
    crate::results::spread(values).map(|s| Stored {
        median: s.median,
        min: s.min,
        max: s.max,
    })
}

/// The spread of an optional stored one.
pub(super) fn spread(s: Option<Stored>) -> Option<Spread> {
    s.map(|s| Spread {
        median: s.median,
        min: s.min,
        max: s.max,
    })
}

/// The median, or NaN (shown as "–") when none ran.
pub(super) fn median(s: Option<Stored>) -> f64 {
    s.map_or(f64::NAN, |s| s.median)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Settings {
    pub rounds: usize,
    pub warmup_seconds: u32,
    pub seconds: u32,
    pub connections: u32,
    pub wrk_threads: u32,
    pub pinning: String,
    pub fixed_rounds: usize,
    pub fixed_seconds: u32,
    pub fixed_connections: u32,
    pub contend_iterations: u32,
    pub contend_repeats: usize,
}

/// The saturation runs: one entry per server, beside the ratios.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Http {
    /// Ratio name → its spread over the rounds (null if a side did not run).
    pub ratios: BTreeMap<String, Option<Stored>>,
    /// Server name → its runs. (Every key but `ratios`, so that this one
    /// struct cannot refuse unknown fields; each server does.)
    #[serde(flatten)]
    pub servers: BTreeMap<String, HttpServer>,
}

impl Http {
    /// The Go every target is measured against: the current one if it ran.
    pub fn reference_go(&self) -> &'static str {
        if self.servers.contains_key("go-current") {
            "go-current"
        } else {
            "go"
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HttpServer {
    /// The listing it is, `listing-03-01/go` for a Go program.
    pub program: String,
    pub binary_bytes: u64,
    pub requests_per_second: Option<Stored>,
    pub p50_us: Option<Stored>,
    pub p99_us: Option<Stored>,
    pub peak_rss_kib: Option<Stored>,
    pub runs: Vec<WrkRun>,
}

/// One measured wrk run, with the server's peak memory.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WrkRun {
    pub requests_per_second: f64,
    pub requests: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub peak_rss_kib: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FixedLoad {
    /// The Go whose saturation rate the loads are shares of.
    pub reference: String,
    pub reference_rps: f64,
    /// Percent of it (`50`, `90`) → the runs at that load.
    pub loads: BTreeMap<String, Load>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Load {
    /// Requests per second offered.
    pub rate: f64,
    pub servers: BTreeMap<String, FixedServer>,
    pub axum_over_reference_go_p99: Option<Stored>,
    pub axum_mimalloc_over_reference_go_p99: Option<Stored>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FixedServer {
    pub achieved_rps: Option<Stored>,
    pub p50_us: Option<Stored>,
    pub p99_us: Option<Stored>,
    pub p999_us: Option<Stored>,
    pub runs: Vec<OhaRun>,
}

/// One measured oha run (see `parse::parse_oha`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OhaRun {
    pub requests_per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Profile {
    /// Requests wrk sent while callgrind counted.
    pub requests: f64,
    pub instructions_per_request: f64,
    pub allocator_share: f64,
    pub copy_share: f64,
}

/// Nanoseconds per iteration, by `kind/threads`, per language.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Counters {
    pub ops_per_iteration: u64,
    pub rust_ns: BTreeMap<String, f64>,
    pub go_ns: BTreeMap<String, f64>,
    /// None when the current Go did not run (the smoke run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go_current_ns: Option<BTreeMap<String, f64>>,
}

impl Counters {
    /// A language's times by the key results.json gives them.
    pub fn get(&self, key: &str) -> Option<&BTreeMap<String, f64>> {
        match key {
            "rust_ns" => Some(&self.rust_ns),
            "go_ns" => Some(&self.go_ns),
            "go_current_ns" => self.go_current_ns.as_ref(),
            _ => None,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Contention {
    pub iterations: u32,
    /// Language (`rust`, `go`, `go_current`) → `kind/threads` → counts.
    pub results: BTreeMap<String, BTreeMap<String, Contended>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Contended {
    pub futex_per_1000_ops: Option<Stored>,
    pub switches_per_1000_ops: Option<Stored>,
    pub us_per_iteration: Option<Stored>,
    pub runs: Vec<ContendedRun>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ContendedRun {
    pub futex_per_1000_ops: f64,
    pub switches_per_1000_ops: f64,
    pub us_per_iteration: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed results file, a real run, is read by these types, and
    /// nothing in it is left out.
    #[test]
    fn the_committed_results_are_read_whole() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        let text = std::fs::read_to_string(root.join(super::super::CHAPTER.results)).unwrap();
        let typed: Results = serde_json::from_str(&text).unwrap();
        assert!(typed.http.servers.contains_key("axum"));
        assert!(!typed.http.servers.contains_key("ratios"));
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_value(&typed).unwrap(), value);
    }
}
