//! The suite's last step: nothing that it started from `target/` is still
//! running. A test or a listing that leaves a node, a replica or a proxy
//! behind makes the next run fight for its ports and its files; this step
//! names every such process, by pid and command line, so that the leak is
//! found where it happens. It reads `/proc`, so it runs on Linux only and
//! says so elsewhere.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};

/// How long a process that is on its way out (killed, draining) may take.
const GRACE: Duration = Duration::from_secs(2);

pub fn check(root: &Path) -> Result<()> {
    if !cfg!(target_os = "linux") {
        println!("not checked: finding leftover processes needs Linux's /proc");
        return Ok(());
    }
    let target = root.join("target");
    let left = wait_for_none(&target, GRACE);
    ensure!(
        left.is_empty(),
        "{} process(es) started from {} still running after the suite (each test \
         and listing must stop what it starts):\n{}",
        left.len(),
        target.display(),
        left.join("\n")
    );
    println!("no process from {} left running", target.display());
    Ok(())
}

/// Polls until no process runs from `target`, or `grace` has passed;
/// returns those still there, as `pid N: COMMAND LINE`.
fn wait_for_none(target: &Path, grace: Duration) -> Vec<String> {
    let deadline = Instant::now() + grace;
    loop {
        let left = running_from(target);
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The processes whose executable lies under `target`, except this one and
/// its ancestors (the xtask itself, and the cargo that runs it).
fn running_from(target: &Path) -> Vec<String> {
    let target = target
        .canonicalize()
        .unwrap_or_else(|_| target.to_path_buf());
    let ours = ancestors();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut left: Vec<(u32, String)> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| !ours.contains(pid))
        .filter_map(|pid| {
            // A zombie, or a process of another user, has no readable exe.
            let exe: PathBuf = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
            exe.starts_with(&target).then(|| (pid, command_line(pid)))
        })
        .collect();
    left.sort();
    left.into_iter()
        .map(|(pid, line)| format!("pid {pid}: {line}"))
        .collect()
}

/// This process and every parent up to init.
fn ancestors() -> Vec<u32> {
    let mut pids = vec![std::process::id()];
    while let Some(parent) = parent_of(*pids.last().unwrap_or(&1)) {
        if parent <= 1 || pids.contains(&parent) {
            break;
        }
        pids.push(parent);
    }
    pids
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the parenthesised name: the state, then the parent's pid.
    let (_, rest) = stat.rsplit_once(") ")?;
    rest.split(' ').nth(1)?.parse().ok()
}

fn command_line(pid: u32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let words: Vec<String> = raw
        .split(|&b| b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    words.join(" ")
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A copy of `sleep` in a folder of its own plays a leftover node.
    #[test]
    fn a_process_left_running_from_target_is_named_until_it_stops() {
        let target = std::env::temp_dir().join(format!("leftovers-{}", std::process::id()));
        std::fs::create_dir_all(&target).unwrap();
        let sleeper = target.join("leftover-node");
        std::fs::copy("/bin/sleep", &sleeper).unwrap();
        let mut child = std::process::Command::new(&sleeper)
            .arg("30")
            .spawn()
            .unwrap();
        let left = wait_for_none(&target, Duration::from_millis(200));
        let _ = child.kill();
        let _ = child.wait();
        let expected = format!("pid {}: {} 30", child.id(), sleeper.display());
        assert_eq!(left, vec![expected]);
        assert_eq!(wait_for_none(&target, GRACE), Vec::<String>::new());
        std::fs::remove_dir_all(&target).unwrap();
    }

    #[test]
    fn the_xtask_and_its_parents_are_not_leftovers() {
        let exe = std::env::current_exe().unwrap();
        let ours: Vec<String> = ancestors().iter().map(|p| format!("pid {p}:")).collect();
        // Other programs may run from the same folder; this one is not named.
        let left = running_from(exe.parent().unwrap());
        assert!(
            !left.iter().any(|l| ours.iter().any(|p| l.starts_with(p))),
            "{left:?}"
        );
        assert!(ours.len() >= 2, "this process and its parent: {ours:?}");
    }
}
