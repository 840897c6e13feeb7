//! A snapshot copy of Listing 10-3's tests/survivors/mod.rs: the children
//! of a program killed with `kill -9`, and the ones still running after it.

/// The processes whose parent is `parent`, from `/proc/PID/stat`.
pub fn children_of(parent: u32) -> Vec<i32> {
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
pub fn is_gone(pid: i32) -> bool {
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
pub async fn children_left_after_sigkill(
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
