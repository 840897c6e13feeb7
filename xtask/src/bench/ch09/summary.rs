//! Chapter 9's results as a side-by-side table for the terminal, printed
//! after a measurement and after `--render`.

use anyhow::Result;
use serde_json::Value;

use super::page::{RATIOS, counter_langs};
use super::{COUNTERS, FIXED_SERVERS, PROFILED, SERVERS, reference_go};

/// The side-by-side table, for the terminal.
pub(super) fn print_summary(results: &Value) -> Result<()> {
    let http = &results["http"];
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    println!(
        "\n{:<14} {:>12} {:>19} {:>9} {:>9} {:>10}",
        "server", "req/s", "min-max", "p50 us", "p99 us", "RSS KiB"
    );
    for (name, _, _) in SERVERS {
        let x = &http[*name];
        if !x.is_object() {
            continue;
        }
        println!(
            "{name:<14} {:>12.0} {:>19} {:>9.0} {:>9.0} {:>10.0}",
            num(&x["requests_per_second"]["median"]),
            format!(
                "{:.0}-{:.0}",
                num(&x["requests_per_second"]["min"]),
                num(&x["requests_per_second"]["max"])
            ),
            num(&x["p50_us"]["median"]),
            num(&x["p99_us"]["median"]),
            num(&x["peak_rss_kib"]["median"]),
        );
    }
    for (key, label) in RATIOS {
        let r = &http["ratios"][key];
        if r.is_object() {
            let label = label.replace("{}", reference_go(http));
            println!("{label:<36} {:.2}", num(&r["median"]));
        }
    }
    if let Some(loads) = results["fixed_load"]["loads"].as_object() {
        for (load, l) in loads {
            println!(
                "\nfixed load {load} % of {}: {:.0} requests/s offered",
                results["fixed_load"]["reference"].as_str().unwrap_or("go"),
                num(&l["rate"])
            );
            for name in FIXED_SERVERS {
                let x = &l["servers"][name];
                if x.is_object() {
                    println!(
                        "{name:<14} {:>9.0} req/s  p50 {:>7.0}  p99 {:>7.0}  p99.9 {:>7.0} us",
                        num(&x["achieved_rps"]["median"]),
                        num(&x["p50_us"]["median"]),
                        num(&x["p99_us"]["median"]),
                        num(&x["p999_us"]["median"]),
                    );
                }
            }
        }
    }
    for name in PROFILED {
        let p = &results["profile_per_request"][name];
        if !p.is_object() {
            continue;
        }
        println!(
            "{name:<14} {:>8.0} instructions/request, {:>3.0}% in the allocator, {:>3.0}% in memcpy",
            num(&p["instructions_per_request"]),
            num(&p["allocator_share"]) * 100.0,
            num(&p["copy_share"]) * 100.0
        );
    }
    let c = &results["counters"];
    println!(
        "\n{:<18} {:>8} {:>8} {:>8} {:>8}   (us per 40,000 operations)",
        "counter", "1", "2", "4", "8"
    );
    for (lang, key) in counter_langs(results) {
        for kind in COUNTERS {
            if c[key][format!("{kind}/1")].is_null() {
                continue;
            }
            print!("{:<18}", format!("{lang} {kind}"));
            for t in [1, 2, 4, 8] {
                print!(" {:>8.0}", num(&c[key][format!("{kind}/{t}")]) / 1000.0);
            }
            println!();
        }
    }
    if let Some(langs) = results["contention"]["results"].as_object() {
        println!("\nper 1,000 operations: futex calls, context switches; us per iteration");
        for (lang, cases) in langs {
            for (case, x) in cases.as_object().into_iter().flatten() {
                println!(
                    "{:<24} {:>8.2} {:>8.2} {:>8.0}",
                    format!("{lang} {case}"),
                    num(&x["futex_per_1000_ops"]["median"]),
                    num(&x["switches_per_1000_ops"]["median"]),
                    num(&x["us_per_iteration"]["median"]),
                );
            }
        }
    }
    Ok(())
}
