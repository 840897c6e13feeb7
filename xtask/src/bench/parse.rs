//! The parsers of each measuring tool's report: wrk, oha (JSON), criterion
//! (its JSON estimates), `go test -bench`, `callgrind_annotate` and `perf
//! stat` (CSV). Text in, numbers out; no process is run here, so that each
//! parser is tested on a stored report. JSON where the tool writes it; the
//! others are read as text because they have no structured output: wrk
//! prints text only, callgrind_annotate too, and `go test -json` wraps the
//! same benchmark lines in output events (split mid-line), so the numbers
//! would still be read from text.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;

/// What one wrk run measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wrk {
    pub requests_per_second: f64,
    /// Requests completed.
    pub requests: u64,
    /// Latency percentiles, in µs.
    pub p50_us: f64,
    pub p99_us: f64,
}

/// What one oha run measured: the achieved rate and latency percentiles
/// in µs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Oha {
    pub requests_per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
}

/// Requests per second and the 50th and 99th latency percentiles (in µs)
/// from wrk's report; a run with socket errors or non-2xx answers fails.
pub fn parse_wrk(report: &str) -> Result<Wrk> {
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
    let percentile = |p: &str| {
        percentiles
            .get(p)
            .copied()
            .with_context(|| format!("no {p} latency in:\n{report}"))
    };
    Ok(Wrk {
        requests_per_second: rps.with_context(|| format!("no Requests/sec in:\n{report}"))?,
        requests: requests.with_context(|| format!("no request count in:\n{report}"))?,
        p50_us: percentile("50%")?,
        p99_us: percentile("99%")?,
    })
}

/// The achieved rate and the 50th, 99th and 99.9th latency percentiles
/// (in µs) from oha's JSON report (`--output-format json`); a run with
/// failed requests (other than those cut off by the run's end) or non-200
/// answers fails. Only the fields read are named: oha writes many more.
pub fn parse_oha(report: &str) -> Result<Oha> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Report {
        summary: Summary,
        latency_percentiles: Percentiles,
        status_code_distribution: BTreeMap<String, u64>,
        #[serde(default)]
        error_distribution: Option<BTreeMap<String, u64>>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Summary {
        requests_per_sec: f64,
    }
    /// In seconds.
    #[derive(Deserialize)]
    struct Percentiles {
        p50: f64,
        p99: f64,
        #[serde(rename = "p99.9")]
        p999: f64,
    }
    let r: Report =
        serde_json::from_str(report).with_context(|| format!("not oha's JSON:\n{report}"))?;
    let codes = &r.status_code_distribution;
    ensure!(
        codes.keys().all(|k| k == "200"),
        "oha saw answers other than 200: {codes:?}"
    );
    if let Some(errors) = &r.error_distribution {
        ensure!(
            errors.keys().all(|e| e.contains("deadline")),
            "oha saw failed requests: {errors:?}"
        );
    }
    let p = &r.latency_percentiles;
    Ok(Oha {
        requests_per_second: r.summary.requests_per_sec,
        p50_us: p.p50 * 1e6,
        p99_us: p.p99 * 1e6,
        p999_us: p.p999 * 1e6,
    })
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
                // mimalloc's (Listing 9-3): mi_malloc, _mi_page_malloc, ...
                || function.starts_with("mi_")
                || function.starts_with("_mi_")
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

/// Four counters (atomic, mutex, rwlock, sharded) at four thread counts.
const COUNTER_BENCHMARKS: usize = 16;

/// Criterion's estimates of one benchmark, `new/estimates.json` in its
/// folder: the median time of an iteration, in ns (what criterion's own
/// bencher format prints, rounded). Only the field read is named, so a
/// criterion that adds statistics still parses; one without a median
/// fails.
pub fn parse_criterion_estimates(text: &str) -> Result<f64> {
    #[derive(Deserialize)]
    struct Estimates {
        median: Estimate,
    }
    #[derive(Deserialize)]
    struct Estimate {
        point_estimate: f64,
    }
    let e: Estimates = serde_json::from_str(text)
        .with_context(|| format!("not criterion's estimates:\n{text}"))?;
    Ok(e.median.point_estimate)
}

/// `BenchmarkCounters/atomic/1-2     1000    1234567 ns/op`
pub fn parse_go_bench(report: &str) -> Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    for line in report.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [name, _iterations, ns, "ns/op", ..] = words.as_slice()
            && let Some(rest) = name.strip_prefix("BenchmarkCounters/")
        {
            // Drop the -GOMAXPROCS suffix.
            let key = rest.rsplit_once('-').map(|(k, _)| k).unwrap_or(rest);
            out.insert(key.to_string(), ns.parse::<f64>()?);
        }
    }
    ensure!(
        out.len() == COUNTER_BENCHMARKS,
        "expected {COUNTER_BENCHMARKS} Go benchmarks, got {}:\n{report}",
        out.len()
    );
    Ok(out)
}

/// Event → count from `perf stat -x,` (its report on stderr, one
/// `count,unit,event,...` line per event); an event perf could not count
/// fails.
pub fn parse_perf_stat(report: &str) -> Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    for line in report.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        if let [count, _unit, event, ..] = fields.as_slice() {
            if count.starts_with('<') {
                bail!("perf could not count {event}: {line:?}");
            }
            if let Ok(count) = count.parse::<f64>() {
                out.insert(event.to_string(), count);
            }
        }
    }
    ensure!(!out.is_empty(), "no counts in perf's report:\n{report}");
    Ok(out)
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
        assert_eq!(r.requests_per_second, 31200.5);
        assert_eq!(r.requests, 31234);
        assert_eq!(r.p50_us, 95.0);
        assert_eq!(r.p99_us, 1050.0);
        let failing = WRK.replace(
            "Requests/sec",
            "  Non-2xx or 3xx responses: 7\nRequests/sec",
        );
        assert!(parse_wrk(&failing).is_err());
    }

    #[test]
    fn reads_go_bench_reports() {
        let mut go = String::new();
        for kind in ["atomic", "mutex", "rwlock", "sharded"] {
            for t in [1, 2, 4, 8] {
                go.push_str(&format!(
                    "BenchmarkCounters/{kind}/{t}-2   \t 100\t   2345 ns/op\n"
                ));
            }
        }
        assert_eq!(parse_go_bench(&go).unwrap()["rwlock/8"], 2345.0);
        assert!(parse_go_bench("PASS").is_err());
    }

    /// A real `new/estimates.json` of criterion 0.8.2 (atomic/1, from a
    /// run of bench/counters): the median is what its bencher format prints.
    const ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":454842.42263492063,"upper_bound":470651.52872023813},"point_estimate":463757.0012896826,"standard_error":4613.593535071633},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":462044.20451388886,"upper_bound":472288.57375},"point_estimate":466628.10625,"standard_error":2457.6617580032917},"median_abs_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":236.9317535748615,"upper_bound":14714.70989207417},"point_estimate":7352.499199467047,"standard_error":3673.618130418126},"slope":{"confidence_interval":{"confidence_level":0.95,"lower_bound":462990.1592227524,"upper_bound":469732.18419788784},"point_estimate":465907.45324675326,"standard_error":1757.0902254628877},"std_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":3837.158951406735,"upper_bound":21888.055005805287},"point_estimate":13966.273388378313,"standard_error":5698.715325712396}}"#;

    #[test]
    fn reads_criterion_estimates() {
        assert_eq!(parse_criterion_estimates(ESTIMATES).unwrap(), 466628.10625);
        assert!(parse_criterion_estimates(r#"{"mean":{"point_estimate":1.0}}"#).is_err());
        assert!(parse_criterion_estimates("test atomic/1 ... bench: 1 ns/iter").is_err());
    }

    #[test]
    fn reads_oha_reports() {
        let report = r#"{"summary":{"successRate":1.0,"requestsPerSec":29973.95},
            "latencyPercentiles":{"p50":0.000398834,"p99":0.002359584,"p99.9":0.004958734},
            "statusCodeDistribution":{"200":89966},
            "errorDistribution":{"aborted due to deadline":3}}"#;
        let r = parse_oha(report).unwrap();
        assert_eq!(r.requests_per_second, 29973.95);
        assert!((r.p999_us - 4958.734).abs() < 1e-6);
        assert!(parse_oha(&report.replace("\"200\"", "\"503\"")).is_err());
        assert!(
            parse_oha(&report.replace("aborted due to deadline", "connection refused")).is_err()
        );
        assert!(parse_oha(&report.replace("requestsPerSec", "rps")).is_err());
    }

    #[test]
    fn reads_perf_stat_reports() {
        let report = "199,,syscalls:sys_enter_futex,31534873,100.00,6.279,K/sec
176,,context-switches,31534873,100.00,6.310,K/sec
31.53,msec,task-clock,31534873,100.00,0.413,CPUs utilized
";
        let counts = parse_perf_stat(report).unwrap();
        assert_eq!(counts["syscalls:sys_enter_futex"], 199.0);
        assert_eq!(counts["context-switches"], 176.0);
        assert!(parse_perf_stat("<not supported>,,context-switches,0,100.00,,").is_err());
        assert!(parse_perf_stat("").is_err());
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
}
