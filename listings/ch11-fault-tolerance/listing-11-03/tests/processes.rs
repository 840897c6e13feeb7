//! The bank node as a process: the scenario's verdicts, and each promise of
//! the key table tested on its own.

use std::process::Stdio;

use listing_11_03::child::die_with_parent;
use serde_json::{Value, json};
use tokio::process::Command;

mod bank;
use bank::{data, node};

mod survivors;
use survivors::children_left_after_sigkill;

async fn transfer(http: &reqwest::Client, addr: &str, key: &str, amount: u64) -> (u16, Value) {
    let r = http
        .post(format!("http://{addr}/transfer"))
        .header("idempotency-key", key)
        .json(&json!({ "from": "alice", "to": "bob", "amount": amount }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn the_naive_client_charges_twice_and_the_keyed_one_does_not() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bank-scenario"));
    cmd.arg(format!("--data={}", data("scenario").display()))
        .arg(format!("--node-bin={}", env!("CARGO_BIN_EXE_bank-node")));
    die_with_parent(cmd.as_std_mut());
    let out = cmd.output().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let (naive, keyed) = text.split_once("== client: with").unwrap();
    assert!(
        naive.contains("check: FAILED") && naive.contains("charged twice"),
        "{naive}"
    );
    assert!(
        naive.contains("the node died"),
        "the crash was injected: {naive}"
    );
    assert!(keyed.contains("check: ok"), "{keyed}");
}

#[tokio::test]
async fn a_key_reused_for_another_transfer_is_refused_and_a_repeat_is_replayed() {
    let dir = data("keys");
    let (_node, addr) = node(&dir, &[]).await;
    let http = reqwest::Client::new();
    let (status, first) = transfer(&http, &addr, "k1", 10).await;
    assert_eq!(status, 200);
    assert_eq!(transfer(&http, &addr, "k1", 10).await, (200, first));
    let (status, body) = transfer(&http, &addr, "k1", 11).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("different transfer")
    );
}

#[tokio::test]
async fn a_transfer_acknowledged_before_a_kill_survives_with_its_key() {
    let dir = data("kill");
    let (mut node1, addr) = node(&dir, &[]).await;
    let http = reqwest::Client::new();
    assert_eq!(transfer(&http, &addr, "k1", 10).await.0, 200);
    node1.kill().await.unwrap(); // SIGKILL: nothing is flushed on the way out
    node1.wait().await.unwrap();
    let (_node2, addr) = node(&dir, &[&format!("--listen={addr}")]).await;
    let balances: Value = http
        .get(format!("http://{addr}/balances"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(balances, json!({ "alice": 990, "bob": 1010 }));
    // The key came back from the log too: the retry changes nothing.
    let (status, _) = transfer(&http, &addr, "k1", 10).await;
    assert_eq!(status, 200);
    let balances: Value = http
        .get(format!("http://{addr}/balances"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(balances["alice"], 990);
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_a_message() {
    let dir = data("bad");
    let (_node, addr) = node(&dir, &[]).await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("http://{addr}/transfer"))
        .header("idempotency-key", "x".repeat(200))
        .json(&json!({ "from": "alice", "to": "bob", "amount": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .post(format!("http://{addr}/transfer"))
        .header("content-type", "application/json")
        .body("{\"from\": \"alice\"")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let (status, body) = transfer(&http, &addr, "k2", 5000).await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (409, Some("insufficient_funds"))
    );
}

#[tokio::test]
async fn a_repeat_while_the_first_is_in_flight_gets_409() {
    let dir = data("in-flight");
    let (_node, addr) = node(&dir, &["--slow-disk-ms=600"]).await;
    let http = reqwest::Client::new();
    let first = tokio::spawn({
        let (http, addr) = (http.clone(), addr.clone());
        async move { transfer(&http, &addr, "k1", 10).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let (status, body) = transfer(&http, &addr, "k1", 10).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("in progress"));
    assert_eq!(first.await.unwrap().0, 200);
    // Applied once: the 409 changed nothing.
    let balances: Value = http
        .get(format!("http://{addr}/balances"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(balances["alice"], 990);
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn no_node_outlives_a_scenario_killed_with_sigkill() {
    let scenario = Command::new(env!("CARGO_BIN_EXE_bank-scenario"))
        .arg(format!("--data={}", data("orphans").display()))
        .arg(format!("--node-bin={}", env!("CARGO_BIN_EXE_bank-node")))
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let left = children_left_after_sigkill(scenario, 1).await;
    assert!(left.is_empty(), "nodes still running: {left:?}");
}

/// Not a test of its own: run by the test below, in a process of its own,
/// it starts a node and waits to be killed.
#[tokio::test]
#[ignore = "run by a_node_started_by_a_test_dies_with_the_test_process"]
async fn start_a_node_and_wait() {
    let (_node, _addr) = node(&data("helper"), &[]).await;
    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
}

/// A test process that is killed (by a timeout, say) runs no destructor:
/// the kernel must stop the nodes it started.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_node_started_by_a_test_dies_with_the_test_process() {
    let helper = Command::new(std::env::current_exe().unwrap())
        .args(["start_a_node_and_wait", "--exact", "--ignored"])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let left = children_left_after_sigkill(helper, 1).await;
    assert!(left.is_empty(), "nodes still running: {left:?}");
}
