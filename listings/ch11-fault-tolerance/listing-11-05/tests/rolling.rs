//! The rolling restart, run as the page runs it: each of the two
//! mechanisms removes its own kind of failure, and together they remove
//! all of them.

#[test]
fn drain_and_retry_elsewhere_together_lose_no_request() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rolling-restart"))
        .arg(format!("--replica-bin={}", env!("CARGO_BIN_EXE_replica")))
        .output()
        .unwrap();
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
