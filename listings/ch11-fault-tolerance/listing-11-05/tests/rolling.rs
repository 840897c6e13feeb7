//! The rolling restart, run as the page runs it: each of the two
//! mechanisms removes its own kind of failure, and together they remove
//! all of them.

mod survivors;
use survivors::children_left_after_sigkill;

#[test]
fn drain_and_retry_elsewhere_together_lose_no_request() {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rolling-restart"));
    cmd.arg(format!("--replica-bin={}", env!("CARGO_BIN_EXE_replica")));
    // A test process that is killed takes the rolling restart with it.
    listing_11_05::child::die_with_parent(&mut cmd);
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let failed: Vec<&str> = text.lines().filter(|l| l.starts_with("failed:")).collect();
    assert_eq!(
        failed,
        [
            "failed: 6 of 12 requests",
            "failed: 3 of 12 requests",
            "failed: 0 of 12 requests"
        ],
        "{text}"
    );
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn no_replica_outlives_a_rolling_restart_killed_with_sigkill() {
    let program = tokio::process::Command::new(env!("CARGO_BIN_EXE_rolling-restart"))
        .arg(format!("--replica-bin={}", env!("CARGO_BIN_EXE_replica")))
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let left = children_left_after_sigkill(program, 3).await;
    assert!(left.is_empty(), "replicas still running: {left:?}");
}
