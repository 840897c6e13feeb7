//! Chapter 9's results as a side-by-side table for the terminal, printed
//! after a measurement and after `--render`.

use anyhow::Result;
use serde_json::Value;

use super::page::{RATIOS, counter_langs};
use super::stored::{Results, median};
use super::{COUNTERS, FIXED_SERVERS, PROFILED, SERVERS};

/// The side-by-side table, for the terminal.
pub(super) fn print_summary(results: &Value) -> Result<()> {
    let results = &Results::read(results)?;
    let http = &results.http;
    println!(
        "\n{:<14} {:>12} {:>19} {:>9} {:>9} {:>10}",
        "server", "req/s", "min-max", "p50 us", "p99 us", "RSS KiB"
    );
    for (name, _, _) in SERVERS {
        let Some(x) = http.servers.get(*name) else {
            continue;
        };
        let rps = x.requests_per_second;
        println!(
            "{name:<14} {:>12.0} {:>19} {:>9.0} {:>9.0} {:>10.0}",
            median(rps),
            format!(
                "{:.0}-{:.0}",
                rps.map_or(f64::NAN, |s| s.min),
                rps.map_or(f64::NAN, |s| s.max)
            ),
            median(x.p50_us),
            median(x.p99_us),
            median(x.peak_rss_kib),
        );
    }
    for (key, label) in RATIOS {
        if let Some(Some(r)) = http.ratios.get(key) {
            let label = label.replace("{}", http.reference_go());
            println!("{label:<36} {:.2}", r.median);
        }
    }
    if let Some(fixed) = &results.fixed_load {
        for (load, l) in &fixed.loads {
            println!(
                "\nfixed load {load} % of {}: {:.0} requests/s offered",
                fixed.reference, l.rate
            );
            for name in FIXED_SERVERS {
                if let Some(x) = l.servers.get(name) {
                    println!(
                        "{name:<14} {:>9.0} req/s  p50 {:>7.0}  p99 {:>7.0}  p99.9 {:>7.0} us",
                        median(x.achieved_rps),
                        median(x.p50_us),
                        median(x.p99_us),
                        median(x.p999_us),
                    );
                }
            }
        }
    }
    for name in PROFILED {
        let Some(p) = results.profile_per_request.get(name) else {
            continue;
        };
        println!(
            "{name:<14} {:>8.0} instructions/request, {:>3.0}% in the allocator, {:>3.0}% in memcpy",
            p.instructions_per_request,
            p.allocator_share * 100.0,
            p.copy_share * 100.0
        );
    }
    println!(
        "\n{:<18} {:>8} {:>8} {:>8} {:>8}   (us per 40,000 operations)",
        "counter", "1", "2", "4", "8"
    );
    for (lang, key) in counter_langs(results) {
        let Some(times) = results.counters.get(key) else {
            continue;
        };
        for kind in COUNTERS {
            if !times.contains_key(&format!("{kind}/1")) {
                continue;
            }
            print!("{:<18}", format!("{lang} {kind}"));
            for t in [1, 2, 4, 8] {
                let ns = times.get(&format!("{kind}/{t}")).copied();
                print!(" {:>8.0}", ns.unwrap_or(f64::NAN) / 1000.0);
            }
            println!();
        }
    }
    if let Some(contention) = &results.contention {
        println!("\nper 1,000 operations: futex calls, context switches; us per iteration");
        for (lang, cases) in &contention.results {
            for (case, x) in cases {
                println!(
                    "{:<24} {:>8.2} {:>8.2} {:>8.0}",
                    format!("{lang} {case}"),
                    median(x.futex_per_1000_ops),
                    median(x.switches_per_1000_ops),
                    median(x.us_per_iteration),
                );
            }
        }
    }
    Ok(())
}
