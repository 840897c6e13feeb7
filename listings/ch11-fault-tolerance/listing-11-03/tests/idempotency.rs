//! One key, many copies at once: a transfer sent fifty times concurrently
//! with the same `Idempotency-Key` moves the money once. Each copy gets the
//! first one's reply, replayed, or 409 while the first is being applied.

mod bank;
use bank::{data, node};

use std::time::Duration;

use serde_json::{Value, json};

const COPIES: usize = 50;

/// Sends the same keyed transfer `COPIES` times, `apart` from each other
/// (zero: all at once); returns how many
/// answers said "applied" (200 and not replayed), how many were replays
/// or 409s, and what alice has left.
async fn same_key_at_once(addr: &str, apart: Duration) -> (usize, usize, u64) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let copies: Vec<_> = (0..COPIES)
        .map(|i| {
            let (http, url) = (http.clone(), format!("http://{addr}/transfer"));
            tokio::spawn(async move {
                tokio::time::sleep(apart * i as u32).await;
                let r = http
                    .post(url)
                    .header("idempotency-key", "one-key")
                    .json(&json!({ "from": "alice", "to": "bob", "amount": 1 }))
                    .send()
                    .await
                    .unwrap();
                let replayed = r.headers().contains_key("idempotent-replayed");
                (r.status().as_u16(), replayed)
            })
        })
        .collect();
    let (mut applied, mut others) = (0, 0);
    for copy in copies {
        match copy.await.unwrap() {
            (200, false) => applied += 1,
            (200, true) | (409, _) => others += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let balances: Value = http
        .get(format!("http://{addr}/balances"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (applied, others, balances["alice"].as_u64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_copies_of_one_keyed_transfer_move_the_money_once() {
    let (_node, addr) = node(&data("one-key"), &[]).await;
    let (applied, others, alice) = same_key_at_once(&addr, Duration::ZERO).await;
    assert_eq!((applied, others), (1, COPIES - 1));
    assert_eq!(alice, 999, "alice started with 1000 and sent 1, once");
}

/// The race made certain: every copy is set aside for 200 ms after its key
/// was looked up, and the copies arrive 2 ms apart, so that many looked
/// the key up before the first was applied and act after it finished.
/// Looking up and claiming the key in two steps applies most of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn copies_set_aside_between_lookup_and_apply_move_the_money_once() {
    let (_node, addr) = node(&data("one-key-paused"), &["--pause-after-lookup-ms=200"]).await;
    let (applied, others, alice) = same_key_at_once(&addr, Duration::from_millis(2)).await;
    assert_eq!((applied, others), (1, COPIES - 1));
    assert_eq!(alice, 999, "alice started with 1000 and sent 1, once");
}

/// A copy whose client gave up (its connection closed while the node held
/// it) must not leave its key claimed for ever: a retry is applied or
/// replayed, not refused as "in progress" once the first copy is over.
#[tokio::test]
async fn a_copy_abandoned_by_its_client_does_not_keep_its_key() {
    let (_node, addr) = node(&data("abandoned"), &["--slow-disk-ms=300"]).await;
    let url = format!("http://{addr}/transfer");
    let body = json!({ "from": "alice", "to": "bob", "amount": 1 });
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let r = impatient
        .post(&url)
        .header("idempotency-key", "k")
        .json(&body);
    assert!(r.send().await.unwrap_err().is_timeout());
    // The first copy is over within 300 ms of disk; 409 for 2 s more
    // means the key stayed claimed.
    let http = reqwest::Client::new();
    let mut status = 0;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = http.post(&url).header("idempotency-key", "k").json(&body);
        status = r.send().await.unwrap().status().as_u16();
        if status != 409 {
            break;
        }
    }
    assert_eq!(status, 200);
    let balances: Value = http
        .get(format!("http://{addr}/balances"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(balances["alice"], 999, "applied once");
}
