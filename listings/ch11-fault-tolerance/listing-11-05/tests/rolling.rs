//! The rolling restart, run as the page runs it: each of the two
//! mechanisms removes its own kind of failure, and together they remove
//! all of them.

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

/// The processes whose parent is `parent`, from `/proc/PID/stat`.
fn children_of(parent: u32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // After the parenthesised name: the state, then the parent's pid.
            let ppid = stat
                .rsplit_once(") ")
                .and_then(|(_, r)| r.split(' ').nth(1));
            ppid == Some(parent.to_string().as_str())
        })
        .collect()
}

/// True once the process is gone or a zombie waiting for its parent.
fn is_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// Kills `program` with SIGKILL once it has started `at_least` children,
/// and returns those still running 3 s later (killing them, so that a
/// failing test leaves nothing behind).
async fn children_left_after_sigkill(
    mut program: tokio::process::Child,
    at_least: usize,
) -> Vec<i32> {
    let pid = program.id().expect("the program runs");
    let mut children = Vec::new();
    for _ in 0..500 {
        children = children_of(pid);
        if children.len() >= at_least {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        children.len() >= at_least,
        "the program started {children:?} within 10 s, not {at_least} children"
    );
    program.kill().await.expect("SIGKILL"); // it runs no code of its own
    for _ in 0..150 {
        if children.iter().all(|&c| is_gone(c)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let left: Vec<i32> = children.into_iter().filter(|&c| !is_gone(c)).collect();
    for &c in &left {
        // SAFETY: kill(2) only sends a signal; these were our program's
        // children, now orphans that nobody else owns.
        unsafe { libc::kill(c, libc::SIGKILL) };
    }
    left
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
