//! The amplification experiment, run as the page runs it: in-process for
//! the counts, and the binary once for its JSON file. Without a budget
//! the backend receives exactly `requests × attempts³`; with one, each
//! layer adds at most its floor plus 10 % of what it received.

use std::process::Command;

use listing_11_02::amplify::{self, BudgetRule, Counts, Setup};

const REQUESTS: u32 = 20;
const ATTEMPTS: u32 = 3;

/// What each server received, client first, backend last.
fn received(counts: &Counts) -> Vec<u64> {
    let mut all = vec![counts.client_sent];
    all.extend(counts.layers.iter().map(|l| l.received));
    all.push(counts.backend_received);
    all
}

/// Every request a layer sends is a first attempt or a retry.
fn assert_each_layer_sends_what_it_received_plus_its_retries(counts: &Counts) {
    let received = received(counts);
    // The client does not retry.
    assert_eq!(received[1], received[0], "{counts:#?}");
    for (i, layer) in counts.layers.iter().enumerate() {
        assert_eq!(
            received[i + 2],
            layer.received + layer.retries,
            "{counts:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_budget_the_backend_receives_attempts_cubed_times_the_load() {
    let setup = Setup {
        requests: REQUESTS,
        attempts: ATTEMPTS,
        budget: None,
    };
    let counts = amplify::run(setup).await.unwrap();
    assert_each_layer_sends_what_it_received_plus_its_retries(&counts);
    // Every call fails, so every layer makes all its attempts: A sends
    // 3 per request, B 3 per request from A, C 3 per request from B.
    let n = u64::from(REQUESTS);
    assert_eq!(received(&counts), [n, n, 3 * n, 9 * n, 27 * n]);
    assert_eq!(counts.client_failed, n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_budget_each_layer_adds_at_most_its_floor_plus_ten_percent() {
    let rule = BudgetRule::CHAPTER;
    let setup = Setup {
        requests: REQUESTS,
        attempts: ATTEMPTS,
        budget: Some(rule),
    };
    let counts = amplify::run(setup).await.unwrap();
    assert_each_layer_sends_what_it_received_plus_its_retries(&counts);
    // The budget's rule, layer by layer: a layer that received r requests
    // made at most floor + r × 10 % retries, so it sent at most
    // r + 2 + r / 10. From 20 requests: A 20, B ≤ 24, C ≤ 28, backend ≤ 32.
    let mut bound = u64::from(REQUESTS);
    for layer in &counts.layers {
        assert!(
            layer.retries <= rule.max_retries(layer.received),
            "{counts:#?}"
        );
        bound += rule.max_retries(bound);
    }
    assert_eq!(bound, 32);
    assert!(counts.backend_received <= bound, "{counts:#?}");
    // Retries still happen (the floor at least), far fewer than 27×.
    assert!(counts.backend_received > u64::from(REQUESTS), "{counts:#?}");
    assert!(
        counts.backend_received * 10 < u64::from(REQUESTS) * 27,
        "{counts:#?}"
    );
}

#[test]
fn the_program_writes_its_counts_as_json() {
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("retry-amplification.json");
    let out = Command::new(env!("CARGO_BIN_EXE_retry-amplification"))
        .args(["--requests", "4", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(json["requests"], 4);
    assert_eq!(json["runs"][0]["budget"], serde_json::Value::Null);
    assert_eq!(json["runs"][0]["backend_received"], 4 * 27);
    assert_eq!(json["runs"][1]["budget"]["percent"], 10);
    assert_eq!(json["runs"][1]["layers"][2]["name"], "C");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("backend / client"), "{stdout}");
}
