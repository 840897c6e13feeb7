//! The launcher's promises, tested on real processes: every node it starts
//! stops when it stops, even when it is killed with `kill -9`; it and the
//! node reject bad input with a message; a node bounds the wait for a
//! request's head.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

// The launcher's own module: the tests start their programs as it starts
// its nodes (`sibling` is not needed: the tests name them with `env!`).
#[path = "../src/bin/launcher/child.rs"]
#[allow(dead_code)]
mod child;

/// A launcher started by a test; killed when the test ends, however it ends.
struct Launcher {
    child: Child,
    // Kept open: the launcher reads commands until input ends.
    _stdin: ChildStdin,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Launcher {
    fn start(nodes: u32) -> (Launcher, Vec<i32>) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_launcher"));
        cmd.args(["--nodes", &nodes.to_string()])
            .args(["--node-bin", env!("CARGO_BIN_EXE_node")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // Killed by the kernel if the test process dies; its nodes then die
        // with it.
        child::die_with_parent(&mut cmd);
        let mut child = cmd.spawn().expect("the launcher starts");
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut launcher = Launcher {
            child,
            _stdin: stdin,
            lines,
        };
        let mut pids = Vec::new();
        // The launcher bounds its own wait for readiness (10 s), so this
        // loop ends: with the ready line, or with the end of its output.
        while let Some(line) = launcher.next_line() {
            if let Some(rest) = line.split("(pid ").nth(1) {
                pids.push(rest.trim_end_matches(") ready").parse().unwrap());
            }
            if line.starts_with("cluster of") {
                return (launcher, pids);
            }
        }
        panic!("the launcher ended before the cluster was ready");
    }

    fn next_line(&mut self) -> Option<String> {
        self.lines.next().map(|l| l.expect("stdout is UTF-8"))
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True once the process is gone or a zombie waiting for its parent.
fn is_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state is the first field after the parenthesised name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

fn wait_gone(pids: &[i32], within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if pids.iter().all(|&p| is_gone(p)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[cfg(target_os = "linux")]
#[test]
fn no_node_outlives_a_launcher_killed_with_sigkill() {
    let (mut launcher, pids) = Launcher::start(3);
    assert_eq!(pids.len(), 3);
    assert!(!pids.iter().any(|&p| is_gone(p)), "the nodes are running");
    launcher.child.kill().unwrap(); // SIGKILL: the launcher runs no code
    launcher.child.wait().unwrap();
    assert!(
        wait_gone(&pids, Duration::from_secs(3)),
        "nodes still running after the launcher was killed: {pids:?}"
    );
}

#[test]
fn sigterm_stops_every_node_gracefully() {
    let (mut launcher, pids) = Launcher::start(2);
    // SAFETY: kill(2) only sends a signal to our own child.
    unsafe { libc::kill(launcher.child.id() as i32, libc::SIGTERM) };
    let mut rest = Vec::new();
    while let Some(line) = launcher.next_line() {
        rest.push(line);
    }
    let status = launcher.child.wait().unwrap();
    assert!(status.success(), "launcher: {status}");
    for id in 1..=2 {
        let line = format!("node {id}: exited with status 0");
        assert!(rest.contains(&line), "{line:?} missing from {rest:?}");
    }
    assert!(wait_gone(&pids, Duration::from_secs(1)));
}

/// Runs a program to its end and returns (success, stderr).
fn run(program: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_input_is_named_and_fails() {
    let (ok, err) = run(env!("CARGO_BIN_EXE_launcher"), &["--nodes", "0"]);
    assert!(!ok && err.contains("--nodes"), "{err}");

    let (ok, err) = run(
        env!("CARGO_BIN_EXE_node"),
        &["--id", "1", "--peer", "2=nowhere"],
    );
    assert!(
        !ok && err.contains("\"nowhere\" is not an address"),
        "{err}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (ok, err) = run(
        env!("CARGO_BIN_EXE_node"),
        &["--id", "1", "--listen", &addr],
    );
    assert!(
        !ok && err.contains(&format!("cannot listen on {addr}")),
        "{err}"
    );
}

/// A node started by a test; killed when the test ends, however it ends.
struct Node {
    child: Child,
    addr: String,
}

impl Node {
    fn start() -> Node {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_node"));
        cmd.args(["--id", "1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        child::die_with_parent(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let addr = first
            .trim()
            .trim_start_matches("listening on http://")
            .to_string();
        Node { child, addr }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_node_closes_a_connection_that_never_finishes_its_request_head() {
    let node = Node::start();
    let addr = node.addr.clone();
    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    // Half a request head, then silence.
    conn.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let read = conn.read_to_end(&mut rest);
    let waited = started.elapsed();
    drop(node);
    assert!(read.is_ok(), "the node closed the connection: {read:?}");
    // The default header-read bound is 5 s; the 15 s read timeout above
    // would have failed the read had the node waited forever.
    assert!(
        waited >= Duration::from_secs(4),
        "closed too early: {waited:?}"
    );
}

/// Not a test of its own: run by the test below, in a process of its own,
/// it starts a launcher and a node and waits to be killed.
#[test]
#[ignore = "run by nothing_started_by_a_test_outlives_the_test_process"]
fn start_a_launcher_and_a_node_and_wait() {
    let (_launcher, _pids) = Launcher::start(1);
    let _node = Node::start();
    std::thread::sleep(Duration::from_secs(30));
}

/// A test process that is killed (by a timeout, say) runs no destructor:
/// the kernel must stop what it started.
#[cfg(target_os = "linux")]
#[test]
fn nothing_started_by_a_test_outlives_the_test_process() {
    let mut helper = Command::new(std::env::current_exe().unwrap())
        .args([
            "start_a_launcher_and_a_node_and_wait",
            "--exact",
            "--ignored",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = helper.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut children = children_of(pid);
    while children.len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        children = children_of(pid);
    }
    let _ = helper.kill(); // SIGKILL: the helper runs no code of its own
    let _ = helper.wait();
    assert_eq!(children.len(), 2, "a launcher and a node: {children:?}");
    let gone = wait_gone(&children, Duration::from_secs(3));
    let left: Vec<i32> = children.into_iter().filter(|&p| !is_gone(p)).collect();
    for &p in &left {
        // SAFETY: kill(2) only sends a signal; these were the helper's
        // children, now orphans that nobody else owns.
        unsafe { libc::kill(p, libc::SIGKILL) };
    }
    assert!(gone, "still running: {left:?}");
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
