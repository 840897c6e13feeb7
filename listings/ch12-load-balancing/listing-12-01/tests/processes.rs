//! The client balancer against real replica processes: a replica killed
//! with `kill -9`, one paused with SIGSTOP, one drained with SIGTERM, one
//! slow; and tower's balancer beside the book's.

mod survivors;
use survivors::children_left_after_sigkill;

// `sibling` is not needed: the tests name their programs with `env!`.
#[allow(dead_code)]
mod child;

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use listing_12_01::client::{Balancer, CallError};
use listing_12_01::pick::{Settings, Strategy};
use reqwest::Method;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A replica process, killed when dropped, even if the test fails.
struct Replica {
    child: Child,
    url: String,
}

impl Replica {
    async fn start(id: u32, args: &[&str]) -> Replica {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_balance-replica"));
        cmd.arg("--id")
            .arg(id.to_string())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        // And killed by the kernel if the test process dies.
        child::die_with_parent(cmd.as_std_mut());
        let mut child = cmd.spawn().expect("the replica binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        let mut stdout = BufReader::new(stdout);
        let read = stdout.read_line(&mut line);
        tokio::time::timeout(Duration::from_secs(5), read)
            .await
            .expect("the replica says where it listens within 5 s")
            .expect("its stdout is readable");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Replica { child, url }
    }

    fn signal(&self, signal: i32) {
        let pid = self.child.id().expect("the replica runs") as i32;
        // SAFETY: kill(2) on the pid of a child we own.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    }
}

async fn three(args: [&[&str]; 3]) -> Vec<Replica> {
    let mut replicas = Vec::new();
    for (i, a) in args.into_iter().enumerate() {
        replicas.push(Replica::start(i as u32 + 1, a).await);
    }
    replicas
}

fn balancer(replicas: &[Replica], strategy: Strategy) -> Balancer {
    let urls = replicas.iter().map(|r| r.url.clone()).collect();
    Balancer::new(urls, strategy, Settings::default(), 1)
}

#[tokio::test]
async fn a_killed_replica_costs_no_request_and_is_ejected() {
    let mut replicas = three([&[], &[], &[]]).await;
    let b = balancer(&replicas, Strategy::RoundRobin);
    replicas[1].child.kill().await.expect("kill -9");
    for _ in 0..30 {
        // Not idempotent, and still safe: a refused connection sent nothing.
        let answer = b.call(Method::POST, "/work?ms=1", false).await;
        let answer = answer.expect("every call is answered");
        assert_ne!(answer.replica, 1);
    }
    assert!(b.is_ejected(1), "three refusals in a row eject replica 2");
}

#[tokio::test]
async fn a_timeout_is_retried_elsewhere_only_when_idempotent() {
    let replicas = three([&[], &[], &[]]).await;
    // Paused: the kernel still accepts its connections; nothing answers.
    replicas[0].signal(libc::SIGSTOP);
    let b = balancer(&replicas, Strategy::RoundRobin);
    let started = Instant::now();
    let err = b.call(Method::POST, "/work?ms=1", false).await.unwrap_err();
    assert!(matches!(err, CallError::Unknown { replica: 0 }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // Round robin starts the next call at replica 2: make it start at 1.
    b.call(Method::GET, "/work?ms=1", true).await.unwrap();
    b.call(Method::GET, "/work?ms=1", true).await.unwrap();
    let answer = b.call(Method::GET, "/work?ms=1", true).await.unwrap();
    assert_eq!((answer.replica, answer.attempts), (1, 2));
    replicas[0].signal(libc::SIGCONT);
}

#[tokio::test]
async fn a_replica_that_stops_being_ready_leaves_the_set() {
    let replicas = three([&[], &["--ready-grace-ms", "3000"], &[]]).await;
    let b = Arc::new(balancer(&replicas, Strategy::RoundRobin));
    let watcher = b.watch_readiness(Duration::from_millis(50));
    replicas[1].signal(libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(2);
    while b.is_ready(1) {
        assert!(Instant::now() < deadline, "still in the set after 2 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Still serving, but no longer chosen.
    for _ in 0..9 {
        let answer = b.call(Method::GET, "/work?ms=1", true).await.unwrap();
        assert_ne!(answer.replica, 1);
    }
    watcher.abort();
}

#[tokio::test]
async fn p2c_sends_little_to_a_slow_replica_round_robin_a_third() {
    let replicas = three([&[], &["--extra-ms", "40"], &[]]).await;
    let count = |answers: &[String]| answers.iter().filter(|a| *a == "replica 2").count();
    let mut book = Vec::new();
    let p2c = balancer(&replicas, Strategy::P2c);
    let rr = balancer(&replicas, Strategy::RoundRobin);
    let mut round_robin = Vec::new();
    for _ in 0..60 {
        book.push(
            p2c.call(Method::GET, "/work?ms=1", true)
                .await
                .unwrap()
                .body,
        );
        round_robin.push(rr.call(Method::GET, "/work?ms=1", true).await.unwrap().body);
    }
    assert_eq!(count(&round_robin), 20);
    assert!(count(&book) <= 6, "p2c sent {} of 60", count(&book));
    // tower's p2c over PeakEwma: the same shape.
    let urls: Vec<String> = replicas.iter().map(|r| r.url.clone()).collect();
    let tower = listing_12_01::tower_balance::balancer(&urls);
    let mut answers = Vec::new();
    for _ in 0..60 {
        use tower::ServiceExt;
        let answer = tower.clone().oneshot("/work?ms=1".to_string()).await;
        answers.push(answer.expect("tower's balancer answers"));
    }
    assert!(count(&answers) <= 6, "tower sent {} of 60", count(&answers));
    assert!(answers.iter().any(|a| a == "replica 1") && answers.iter().any(|a| a == "replica 3"));
}

#[tokio::test]
async fn at_the_axum_edge_tower_errors_become_502() {
    use axum::body::Body;
    use axum::http::Request;
    use listing_12_01::tower_balance::{balancer, via_balancer};
    use tower::ServiceExt;
    let mut replicas = three([&[], &[], &[]]).await;
    let urls: Vec<String> = replicas.iter().map(|r| r.url.clone()).collect();
    let app = axum::Router::new()
        .fallback(via_balancer)
        .with_state(balancer(&urls));
    let request = || Request::get("/work?ms=1").body(Body::empty()).unwrap();
    let ok = app.clone().oneshot(request()).await.unwrap();
    assert_eq!(ok.status(), 200);
    for r in &mut replicas {
        r.child.kill().await.unwrap();
    }
    let failed = app.oneshot(request()).await.unwrap();
    assert_eq!(failed.status(), 502);
}

/// Not a test of its own: run by the test below, in a process of its own,
/// it starts three replicas and waits to be killed.
#[tokio::test]
#[ignore = "run by a_replica_started_by_a_test_dies_with_the_test_process"]
async fn start_three_replicas_and_wait() {
    let _replicas = three([&[], &[], &[]]).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
}

/// A test process that is killed (by a timeout, say) runs no destructor:
/// the kernel must stop the replicas it started.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_replica_started_by_a_test_dies_with_the_test_process() {
    let helper = Command::new(std::env::current_exe().unwrap())
        .args(["start_three_replicas_and_wait", "--exact", "--ignored"])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let left = children_left_after_sigkill(helper, 3).await;
    assert!(left.is_empty(), "replicas still running: {left:?}");
}
