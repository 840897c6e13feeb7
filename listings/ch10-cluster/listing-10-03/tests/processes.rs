//! The third harness: the real node program, as processes, through the
//! fault proxy, judged by the checker from the clients' history.

mod survivors;
use survivors::children_left_after_sigkill;

use std::path::PathBuf;
use std::time::Duration;

use listing_10_03::check::check_counter;
use listing_10_03::cluster::Cluster;
use listing_10_03::history::Type;

/// A fresh folder for one test's disks and history.
fn data(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Three nodes, node 1 cut off, increments on both sides, healed.
async fn partition_run(core: &str) -> Cluster {
    let node = PathBuf::from(env!("CARGO_BIN_EXE_counter-node"));
    let cluster = Cluster::start(&node, 3, core, &data(&format!("partition-{core}")))
        .await
        .unwrap();
    cluster.partition(&[1]).await.unwrap();
    for _ in 0..3 {
        assert_eq!(cluster.add(1, 1).await, Type::Ok);
        assert_eq!(cluster.add(2, 2).await, Type::Ok);
    }
    cluster.heal().await.unwrap();
    cluster
        .settle(3, &cluster.ids(), Duration::from_secs(5))
        .await;
    cluster
}

#[tokio::test]
async fn the_gcounter_converges_to_every_acknowledged_increment() {
    let cluster = partition_run("gcounter").await;
    let report = check_counter(&cluster.history.events()).expect("the history checks");
    assert_eq!(report.acknowledged, 6);
    assert_eq!(report.final_reads, vec![(1, 6), (2, 6), (3, 6)]);
    cluster.stop().await;
}

#[tokio::test]
async fn the_naive_core_loses_increments_and_the_checker_says_so() {
    let cluster = partition_run("naive").await;
    let violations = check_counter(&cluster.history.events()).expect_err("increments lost");
    assert!(
        violations[0].to_string().contains("3 lost"),
        "{violations:?}"
    );
    cluster.stop().await;
}

#[tokio::test]
async fn a_node_killed_with_sigkill_keeps_what_it_acknowledged() {
    let node = PathBuf::from(env!("CARGO_BIN_EXE_counter-node"));
    let mut cluster = Cluster::start(&node, 3, "gcounter", &data("kill-9"))
        .await
        .unwrap();
    // Cut node 2 off first, so that nobody else learns its count: after
    // the kill, only its own disk can bring the increments back.
    cluster.partition(&[2]).await.unwrap();
    for _ in 0..4 {
        assert_eq!(cluster.add(1, 2).await, Type::Ok);
    }
    cluster.kill(2).await.unwrap();
    cluster.restart(2).await.unwrap();
    assert_eq!(cluster.read(3, 2).await, Some(4), "restored from disk");
    cluster.heal().await.unwrap();
    let values = cluster
        .settle(3, &cluster.ids(), Duration::from_secs(5))
        .await;
    assert_eq!(values, vec![Some(4); 3]);
    check_counter(&cluster.history.events()).expect("the history checks");
    cluster.stop().await;
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn no_node_outlives_a_scenario_killed_with_sigkill() {
    let scenario = tokio::process::Command::new(env!("CARGO_BIN_EXE_counter-scenario"))
        .arg(format!("--data={}", data("orphans").display()))
        .arg(format!("--node-bin={}", env!("CARGO_BIN_EXE_counter-node")))
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let left = children_left_after_sigkill(scenario, 3).await;
    assert!(left.is_empty(), "nodes still running: {left:?}");
}
