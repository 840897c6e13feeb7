//! Each fault, proved on real sockets: an echo server upstream, the API and
//! the proxy in this process, and a client that measures what it sees.
//!
//! Test code may `unwrap()`: a failure there is a failed test, with its
//! message and line.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use listing_10_02::{Proxies, serve_api};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

/// Generous bound for anything that should be quick.
const QUICK: Duration = Duration::from_secs(3);

/// An upstream that echoes every byte back.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut rx, mut tx) = socket.split();
                let _ = tokio::io::copy(&mut rx, &mut tx).await;
            });
        }
    });
    addr
}

/// The API, in this process, on a free port.
async fn start_api() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve_api(listener, Proxies::new(), std::future::pending()));
    addr
}

/// One HTTP/1.1 request, written by hand; returns the status and the body
/// (as JSON, or as a JSON string if it is not JSON).
async fn http(api: SocketAddr, method: &str, path: &str, body: &str) -> (u16, Value) {
    let mut socket = TcpStream::connect(api).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    timeout(QUICK, socket.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    let status = response[9..12].parse().unwrap();
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    let body = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.into()));
    (status, body)
}

/// Creates a proxy in front of a new echo server; returns its address.
async fn echo_proxy(api: SocketAddr, name: &str) -> SocketAddr {
    let upstream = echo_server().await;
    let body = json!({"name": name, "listen": "127.0.0.1:0", "upstream": upstream}).to_string();
    let (status, proxy) = http(api, "POST", "/proxies", &body).await;
    assert_eq!(status, 201, "{proxy}");
    proxy["listen"].as_str().unwrap().parse().unwrap()
}

async fn add_toxic(api: SocketAddr, proxy: &str, toxic: Value) {
    let (status, body) = http(
        api,
        "POST",
        &format!("/proxies/{proxy}/toxics"),
        &toxic.to_string(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// Sends `ping`, waits for the echo, returns the round-trip time.
async fn round_trip(socket: &mut TcpStream) -> Duration {
    let start = Instant::now();
    socket.write_all(b"ping").await.unwrap();
    let mut reply = [0; 4];
    timeout(QUICK, socket.read_exact(&mut reply))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&reply, b"ping");
    start.elapsed()
}

#[tokio::test]
async fn latency_delays_open_connections() {
    let api = start_api().await;
    let proxy = echo_proxy(api, "echo").await;
    let mut socket = TcpStream::connect(proxy).await.unwrap();
    let before = round_trip(&mut socket).await;
    add_toxic(
        api,
        "echo",
        json!({"type": "latency", "attributes": {"latency_ms": 200}}),
    )
    .await;
    let after = round_trip(&mut socket).await;
    assert!(after >= Duration::from_millis(200), "{after:?}");
    assert!(
        after < Duration::from_millis(200) + Duration::from_secs(1),
        "{after:?}"
    );
    assert!(before < Duration::from_millis(100), "{before:?}");
}

#[tokio::test]
async fn timeout_blackholes_until_removed() {
    let api = start_api().await;
    let proxy = echo_proxy(api, "echo").await;
    let mut socket = TcpStream::connect(proxy).await.unwrap();
    round_trip(&mut socket).await;
    add_toxic(
        api,
        "echo",
        json!({"type": "timeout", "attributes": {"timeout_ms": 0}}),
    )
    .await;
    socket.write_all(b"ping").await.unwrap();
    let mut reply = [0; 4];
    let read = timeout(Duration::from_millis(500), socket.read_exact(&mut reply)).await;
    assert!(read.is_err(), "the read should have timed out: {read:?}");
    let (status, _) = http(api, "DELETE", "/proxies/echo/toxics/timeout_downstream", "").await;
    assert_eq!(status, 204);
    // The stalled bytes flow again.
    timeout(QUICK, socket.read_exact(&mut reply))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&reply, b"ping");
}

#[tokio::test]
async fn reset_peer_resets_the_connection() {
    let api = start_api().await;
    let proxy = echo_proxy(api, "echo").await;
    let mut socket = TcpStream::connect(proxy).await.unwrap();
    round_trip(&mut socket).await;
    add_toxic(
        api,
        "echo",
        json!({"type": "reset_peer", "attributes": {"timeout_ms": 100}}),
    )
    .await;
    let mut buf = [0; 16];
    let read = timeout(QUICK, socket.read(&mut buf)).await.unwrap();
    assert_eq!(read.map_err(|e| e.kind()), Err(ErrorKind::ConnectionReset));
}

#[tokio::test]
async fn bandwidth_throttles_a_transfer() {
    let api = start_api().await;
    let proxy = echo_proxy(api, "echo").await;
    add_toxic(
        api,
        "echo",
        json!({"type": "bandwidth", "attributes": {"rate_kbps": 100}}),
    )
    .await;
    let socket = TcpStream::connect(proxy).await.unwrap();
    let (mut rx, mut tx) = socket.into_split();
    const SIZE: usize = 200_000; // 2 s at 100 KB/s
    let start = Instant::now();
    let writer = tokio::spawn(async move { tx.write_all(&[7; SIZE]).await });
    let mut received = vec![0; SIZE];
    timeout(Duration::from_secs(6), rx.read_exact(&mut received))
        .await
        .unwrap()
        .unwrap();
    let took = start.elapsed();
    writer.await.unwrap().unwrap();
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn limit_data_closes_after_n_bytes() {
    let api = start_api().await;
    let proxy = echo_proxy(api, "echo").await;
    add_toxic(
        api,
        "echo",
        json!({"type": "limit_data", "attributes": {"bytes": 10}}),
    )
    .await;
    let mut socket = TcpStream::connect(proxy).await.unwrap();
    socket.write_all(&[1; 100]).await.unwrap();
    let mut received = Vec::new();
    timeout(QUICK, socket.read_to_end(&mut received))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(received.len(), 10);
}

#[tokio::test]
async fn disabled_proxy_refuses_connections() {
    let api = start_api().await;
    let proxy = echo_proxy(api, "echo").await;
    let mut open = TcpStream::connect(proxy).await.unwrap();
    round_trip(&mut open).await;

    let (status, body) = http(api, "POST", "/proxies/echo", r#"{"enabled": false}"#).await;
    assert_eq!((status, &body["enabled"]), (200, &json!(false)), "{body}");
    let refused = TcpStream::connect(proxy).await.map_err(|e| e.kind());
    assert_eq!(refused.err(), Some(ErrorKind::ConnectionRefused));
    // The open connection was closed too: end of stream (or an error).
    let mut buf = [0; 4];
    let read = timeout(QUICK, open.read(&mut buf)).await.unwrap();
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");

    let (status, body) = http(api, "POST", "/proxies/echo", r#"{"enabled": true}"#).await;
    assert_eq!((status, &body["enabled"]), (200, &json!(true)), "{body}");
    let mut socket = TcpStream::connect(proxy).await.unwrap();
    round_trip(&mut socket).await;
}

#[tokio::test]
async fn bad_input_gets_a_4xx_naming_the_problem() {
    let api = start_api().await;
    let proxy = echo_proxy(api, "echo").await;
    let toxics = "/proxies/echo/toxics";
    let cases = [
        (
            "POST",
            "/proxies",
            r#"{"name": "db","#,
            400,
            "line 1 column",
        ),
        ("POST", toxics, r#"{"type": "latncy"}"#, 400, "latncy"),
        (
            "POST",
            toxics,
            r#"{"type": "latency", "attributes": {"latency_ms": -5}}"#,
            400,
            "latency_ms",
        ),
        (
            "POST",
            toxics,
            r#"{"type": "latency", "attributes": {"latency_ms": 1.5}}"#,
            400,
            "latency_ms",
        ),
        ("POST", toxics, r#"{"type": "bandwidth"}"#, 400, "rate_kbps"),
        (
            "POST",
            toxics,
            r#"{"type": "timeout", "stream": "sideways"}"#,
            400,
            "sideways",
        ),
        (
            "POST",
            "/proxies/nope/toxics",
            r#"{"type": "timeout"}"#,
            404,
            "nope",
        ),
        ("GET", "/proxies/nope", "", 404, "nope"),
        ("DELETE", "/proxies/echo/toxics/nope", "", 404, "nope"),
        (
            "POST",
            "/proxies",
            r#"{"name": "echo", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"}"#,
            409,
            "echo",
        ),
        (
            "POST",
            "/proxies",
            r#"{"name": "x", "listen": "0.0.0.0:0", "upstream": "127.0.0.1:9"}"#,
            400,
            "loopback",
        ),
        (
            "POST",
            "/proxies",
            r#"{"name": "x", "listen": "127.0.0.1:0", "upstream": "db:5432"}"#,
            400,
            "upstream",
        ),
        (
            "POST",
            "/proxies/echo",
            r#"{"enabled": "yes"}"#,
            400,
            "boolean",
        ),
    ];
    for (method, path, body, want_status, want_word) in cases {
        let (status, reply) = http(api, method, path, body).await;
        let message = reply["error"].as_str().unwrap_or_default();
        assert_eq!(status, want_status, "{method} {path} {body}: {reply}");
        assert!(
            message.contains(want_word),
            "{method} {path} {body}: {message:?}"
        );
    }
    add_toxic(api, "echo", json!({"type": "timeout", "attributes": {}})).await;
    let (status, reply) = http(api, "POST", toxics, r#"{"type": "timeout"}"#).await;
    assert_eq!(status, 409, "{reply}");
    http(api, "DELETE", "/proxies/echo/toxics/timeout_downstream", "").await;

    // The API and the proxy keep serving.
    assert_eq!(http(api, "GET", "/health", "").await, (200, json!("ok")));
    let mut socket = TcpStream::connect(proxy).await.unwrap();
    round_trip(&mut socket).await;
}

/// Kills the child if the test fails before it exits.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary, as the book's harness runs it. Its stdout is read with
/// blocking calls: the child prints each line at once, so they return fast.
#[tokio::test]
async fn binary_announces_its_port_and_stops_on_sigterm() {
    let upstream = echo_server().await;
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_faultproxy"))
            .args([
                "127.0.0.1:0",
                "--proxy",
                &format!("echo=127.0.0.1:0={upstream}"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines =
        std::io::BufRead::lines(std::io::BufReader::new(child.0.stdout.take().unwrap()));
    let first = lines.next().unwrap().unwrap();
    let api: SocketAddr = first
        .strip_prefix("listening on http://")
        .unwrap()
        .parse()
        .unwrap();
    let second = lines.next().unwrap().unwrap();
    assert!(second.starts_with("proxy echo: 127.0.0.1:"), "{second}");
    assert_eq!(http(api, "GET", "/health", "").await, (200, json!("ok")));

    let pid = child.0.id().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(7);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status}");
    assert_eq!(lines.next().unwrap().unwrap(), "stopped");
}

#[test]
fn binary_rejects_a_bad_proxy_spec() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_faultproxy"))
        .args(["127.0.0.1:0", "--proxy", "db=127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("NAME=LISTEN=UPSTREAM"), "{stderr}");
}
