//! The book's reverse proxy, as a process in front of replica processes:
//! what it tells the replica, and which failed requests it sends to
//! another replica (the rules of Listing 12-1's client, with one more:
//! a body that has begun to flow cannot be sent twice). For what reaches
//! a replica, headers and body, a stand-in in the test echoes it.

use std::time::{Duration, Instant};

use listing_12_02::cluster::Process;
use listing_12_02::nginx::{Method, config};

async fn cluster(timeout_ms: u64) -> (Vec<Process>, Process) {
    let mut replicas = Vec::new();
    for id in 1..=3 {
        replicas.push(Process::replica(id, "127.0.0.1:0").await.unwrap());
    }
    let mut args = vec![
        "--strategy".to_string(),
        "least-outstanding".to_string(),
        "--timeout-ms".to_string(),
        timeout_ms.to_string(),
        // One readiness poll, at start: these tests are about failures.
        "--ready-every-ms".to_string(),
        "600000".to_string(),
    ];
    for r in &replicas {
        args.extend(["--replica".to_string(), r.addr.clone()]);
    }
    let proxy = Process::start(env!("CARGO_BIN_EXE_lb-proxy").as_ref(), &args)
        .await
        .unwrap();
    // Let the first poll finish before a test kills or stops a replica.
    tokio::time::sleep(Duration::from_millis(100)).await;
    (replicas, proxy)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_proxy_appends_the_client_to_x_forwarded_for() {
    let (_replicas, proxy) = cluster(1000).await;
    let url = format!("http://{}/forwarded", proxy.addr);
    let seen = http().get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(seen, "127.0.0.1");
    let r = http().get(&url).header("x-forwarded-for", "10.0.0.7");
    let seen = r.send().await.unwrap().text().await.unwrap();
    assert_eq!(seen, "10.0.0.7, 127.0.0.1");
}

#[tokio::test]
async fn a_refused_request_goes_elsewhere_unless_its_body_is_spent() {
    let (mut replicas, proxy) = cluster(1000).await;
    replicas[0].kill().await.unwrap();
    let url = format!("http://{}/work?ms=1", proxy.addr);
    // Least outstanding starts at replica 1, which refuses.
    let r = http().post(&url).body("a body").send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert!(r.text().await.unwrap().contains("body not replayable"));
    // Without a body, even a POST may go to the next replica.
    for _ in 0..6 {
        let r = http().post(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_ne!(r.text().await.unwrap(), "replica 1");
    }
}

#[tokio::test]
async fn a_timeout_is_retried_elsewhere_only_for_an_idempotent_request() {
    let (replicas, proxy) = cluster(300).await;
    let pid = replicas[0].pid().expect("replica 1 runs") as i32;
    // SAFETY: kill(2) on a child of this test.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    let url = format!("http://{}/work?ms=1", proxy.addr);
    let started = Instant::now();
    let r = http().post(&url).send().await.unwrap();
    assert_eq!(r.status(), 504, "a POST that timed out is not sent twice");
    assert!(started.elapsed() < Duration::from_secs(2));
    // The next GET starts at replica 2; the one after at replica 1 again
    // (timed out, so on its way to ejection) and must go on to another.
    for _ in 0..4 {
        let r = http().get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_ne!(r.text().await.unwrap(), "replica 1");
    }
    unsafe { libc::kill(pid, libc::SIGCONT) };
}

#[test]
fn the_nginx_configuration_names_the_method_and_every_replica() {
    let replicas = ["127.0.0.1:1001".to_string(), "127.0.0.1:1002".to_string()];
    let c = config(&replicas, Method::LeastConn, "127.0.0.1:8080", "/tmp/x");
    assert!(c.contains("least_conn;"));
    assert!(c.contains("server 127.0.0.1:1001 max_fails=1 fail_timeout=2s;"));
    assert!(c.contains("server 127.0.0.1:1002 max_fails=1 fail_timeout=2s;"));
    assert!(c.contains("listen 127.0.0.1:8080;"));
    let rr = config(&replicas, Method::RoundRobin, "127.0.0.1:8080", "/tmp/x");
    assert!(!rr.contains("least_conn"));
}

#[tokio::test]
async fn the_proxy_streams_a_response_as_it_is_produced() {
    let (_replicas, proxy) = cluster(1000).await;
    // Ten lines, 100 ms apart: the whole answer takes 0.9 s to produce.
    let url = format!("http://{}/lines?n=10&ms=100", proxy.addr);
    let started = Instant::now();
    let mut r = http().get(&url).send().await.unwrap();
    let first = r.chunk().await.unwrap().expect("a first chunk");
    let first_after = started.elapsed();
    assert_eq!(first.as_ref(), b"line 0\n");
    let mut rest = Vec::new();
    while let Some(chunk) = r.chunk().await.unwrap() {
        rest.extend_from_slice(&chunk);
    }
    let all_after = started.elapsed();
    assert!(String::from_utf8(rest).unwrap().ends_with("line 9\n"));
    // A proxy that buffered would deliver the first line with the last.
    assert!(
        first_after + Duration::from_millis(500) < all_after,
        "first line after {first_after:?}, all after {all_after:?}"
    );
}

#[tokio::test]
async fn a_replica_that_stops_being_ready_gets_no_more_requests_from_the_proxy() {
    let mut replicas = Vec::new();
    for id in 1..=3 {
        let listen = "127.0.0.1:0";
        let r = Process::start(
            env!("CARGO_BIN_EXE_proxy-replica").as_ref(),
            &[
                "--id",
                &id.to_string(),
                "--listen",
                listen,
                "--ready-grace-ms",
                "3000",
            ]
            .map(String::from),
        )
        .await
        .unwrap();
        replicas.push(r);
    }
    let mut args = vec!["--ready-every-ms".to_string(), "50".to_string()];
    for r in &replicas {
        args.extend(["--replica".to_string(), r.addr.clone()]);
    }
    let proxy = Process::start(env!("CARGO_BIN_EXE_lb-proxy").as_ref(), &args)
        .await
        .unwrap();
    let pid = replicas[1].pid().expect("replica 2 runs") as i32;
    // SAFETY: kill(2) on a child of this test.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    // Two polls later, replica 2 is out of the set, though still serving.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let url = format!("http://{}/work?ms=1", proxy.addr);
    for _ in 0..12 {
        let body = http().get(&url).send().await.unwrap().text().await.unwrap();
        assert_ne!(body, "replica 2");
    }
}

/// A replica stand-in in this test's process: it answers `/ready` and
/// echoes what reached it, the body and the header `x-hop`.
async fn echo_replica() -> String {
    use axum::body::Bytes;
    use axum::http::HeaderMap;
    async fn echo(headers: HeaderMap, body: Bytes) -> String {
        let hop = headers.get("x-hop").map(|v| v.to_str().unwrap_or("?"));
        let body = String::from_utf8_lossy(&body);
        format!("x-hop: {}; body: {body:?}", hop.unwrap_or("none"))
    }
    let app = axum::Router::new()
        .route("/ready", axum::routing::get(|| async { "ready" }))
        .fallback(echo);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    // Stops with the test's runtime.
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Sends `request` as it is written, for what reqwest would not send
/// (a chunked body, a `Connection` that names a header), and returns the
/// whole answer; the request asks for `Connection: close`.
async fn raw(addr: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).await.unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .expect("the proxy answers within 5 s")
}

async fn proxy_before(replica: &str) -> Process {
    let args = ["--replica", replica, "--ready-every-ms", "600000"].map(String::from);
    Process::start(env!("CARGO_BIN_EXE_lb-proxy").as_ref(), &args)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_chunked_body_reaches_the_replica() {
    let replica = echo_replica().await;
    let proxy = proxy_before(&replica).await;
    let answer = raw(
        &proxy.addr,
        "POST /echo HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\
         Transfer-Encoding: chunked\r\n\r\n\
         5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#"body: "hello world""#), "{answer}");
}

#[tokio::test]
async fn a_header_named_in_connection_is_not_forwarded() {
    let replica = echo_replica().await;
    let proxy = proxy_before(&replica).await;
    let answer = raw(
        &proxy.addr,
        "GET /echo HTTP/1.1\r\nHost: lb\r\nConnection: close, x-hop\r\n\
         x-hop: for the proxy only\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("x-hop: none;"), "{answer}");
}
