//! One proxy's data path: its accept loop, and for each accepted
//! connection two pumps (one per direction) that copy bytes through the
//! toxics. The registry (`registry.rs`) starts and stops it; nothing here
//! knows about names or the API.
//!
//! A proxy's toxic list lives in a `tokio::sync::watch` channel. Every pump
//! holds a receiver and looks at the current list before each chunk, and it
//! also wakes up when the list changes, so adding or removing a toxic takes
//! effect on connections that are already open, not only on new ones.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tracing::{debug, warn};

use crate::toxic::{Kind, Stream, Toxic};

/// An enabled proxy's accept loop. Dropping `stop` tells the loop and every
/// connection it accepted to close.
pub(crate) struct Running {
    stop: watch::Sender<()>,
    accept_loop: JoinHandle<()>,
}

impl Running {
    pub(crate) fn start(
        listener: TcpListener,
        upstream: SocketAddr,
        toxics: &watch::Sender<Vec<Toxic>>,
    ) -> Self {
        let (stop, stop_rx) = watch::channel(());
        let accept_loop =
            tokio::spawn(accept_loop(listener, upstream, toxics.subscribe(), stop_rx));
        Running { stop, accept_loop }
    }

    /// Returns once the listening socket is closed: from then on, connecting
    /// is refused by the kernel.
    pub(crate) async fn stop(self) {
        drop(self.stop);
        // A JoinError would mean the loop panicked; the socket is closed either way.
        let _ = self.accept_loop.await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    toxics: watch::Receiver<Vec<Toxic>>,
    mut stop: watch::Receiver<()>,
) {
    loop {
        let client = tokio::select! {
            // Err means the sender was dropped: the proxy is disabled or gone.
            _ = stop.changed() => return,
            accepted = listener.accept() => accepted,
        };
        match client {
            Ok((client, peer)) => {
                debug!(%peer, "accepted");
                tokio::spawn(connection(client, upstream, toxics.clone(), stop.clone()));
            }
            Err(e) => {
                // E.g. out of file descriptors: back off instead of spinning.
                warn!(error = %e, "accept failed");
                sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// How a pump, and so a connection, ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The source closed its side cleanly; the other direction may go on.
    Eof,
    /// Close both sockets normally (FIN).
    Close,
    /// Close both sockets with a TCP reset (RST).
    Reset,
}

async fn connection(
    mut client: TcpStream,
    upstream: SocketAddr,
    toxics: watch::Receiver<Vec<Toxic>>,
    mut stop: watch::Receiver<()>,
) {
    let mut server = match timeout(Duration::from_secs(5), TcpStream::connect(upstream)).await {
        Ok(Ok(server)) => server,
        Ok(Err(e)) => {
            warn!(%upstream, error = %e, "cannot connect upstream");
            return;
        }
        Err(_) => {
            warn!(%upstream, "connecting upstream timed out");
            return;
        }
    };
    // Forward small writes at once: the proxy must not add Nagle's delay.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let end = {
        // Borrowed halves, unlike `into_split`'s owned ones, do not shut the
        // socket down when dropped, so a reset below is a clean RST.
        let (mut client_rx, mut client_tx) = client.split();
        let (mut server_rx, mut server_tx) = server.split();
        let up = pump(
            &mut client_rx,
            &mut server_tx,
            Stream::Upstream,
            toxics.clone(),
        );
        let down = pump(&mut server_rx, &mut client_tx, Stream::Downstream, toxics);
        tokio::pin!(up, down);
        let (mut up_open, mut down_open) = (true, true);
        loop {
            let end = tokio::select! {
                end = &mut up, if up_open => { up_open = false; end }
                end = &mut down, if down_open => { down_open = false; end }
                _ = stop.changed() => End::Close,
            };
            // One side finishing cleanly (a half-close) leaves the other running.
            if end != End::Eof || !(up_open || down_open) {
                break end;
            }
        }
    };
    if end == End::Reset {
        // SO_LINGER = 0 makes close() send RST and discard unsent data.
        let _ = client.set_zero_linger();
        let _ = server.set_zero_linger();
    }
    debug!(?end, "connection closed");
    // Dropping `client` and `server` here closes both sockets.
}

/// Copies `reader` to `writer`, applying the toxics of `stream`.
async fn pump<R, W>(
    reader: &mut R,
    writer: &mut W,
    stream: Stream,
    toxics: watch::Receiver<Vec<Toxic>>,
) -> End
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    pump_inner(reader, writer, stream, toxics)
        .await
        .unwrap_or_else(|e| {
            debug!(?stream, error = %e, "i/o error");
            End::Close
        })
}

async fn pump_inner<R, W>(
    reader: &mut R,
    writer: &mut W,
    stream: Stream,
    mut toxics: watch::Receiver<Vec<Toxic>>,
) -> io::Result<End>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 32 * 1024];
    let mut rng = XorShift::from_time();
    let mut passed = 0u64; // bytes forwarded, for limit_data
    let mut next_send = Instant::now(); // for bandwidth
    // When this connection first saw each timed toxic (timeout, reset_peer):
    // their clocks start then, not at the next chunk.
    let mut seen: Vec<(String, Instant)> = Vec::new();
    loop {
        let active: Vec<Toxic> = toxics
            .borrow_and_update()
            .iter()
            .filter(|t| t.stream == stream)
            .cloned()
            .collect();
        seen.retain(|(name, _)| active.iter().any(|t| t.name == *name));
        if active.is_empty() {
            match copy_until_changed(reader, writer, &mut buf, &mut toxics, &mut passed).await? {
                Some(end) => return Ok(end),
                None => continue, // look at the new list
            }
        }
        let mut stalled = false;
        let mut deadline: Option<(Instant, End)> = None;
        for toxic in &active {
            let (ms, end) = match toxic.kind {
                Kind::Timeout { timeout_ms } => {
                    stalled = true;
                    if timeout_ms == 0 {
                        continue; // stall until the toxic is removed
                    }
                    (timeout_ms, End::Close)
                }
                Kind::ResetPeer { timeout_ms } => (timeout_ms, End::Reset),
                _ => continue,
            };
            let since = match seen.iter().find(|(name, _)| *name == toxic.name) {
                Some((_, since)) => *since,
                None => {
                    seen.push((toxic.name.clone(), Instant::now()));
                    Instant::now()
                }
            };
            let at = since + Duration::from_millis(ms);
            if deadline.is_none_or(|(earliest, _)| at < earliest) {
                deadline = Some((at, end));
            }
        }

        // ANCHOR: select
        let n = tokio::select! {
            end = expire(deadline) => return Ok(end),
            changed = toxics.changed() => match changed {
                Ok(()) => continue, // look at the new list
                Err(_) => return Ok(End::Close), // the proxy was deleted
            },
            read = reader.read(&mut buf), if !stalled => read?,
        };
        // ANCHOR_END: select
        if n == 0 {
            writer.shutdown().await?; // pass the half-close on
            return Ok(End::Eof);
        }
        let read_at = Instant::now();

        let mut chunk = &buf[..n];
        let mut delay = Duration::ZERO;
        let mut rate_kbps = None;
        let mut then = None;
        for toxic in &active {
            match toxic.kind {
                Kind::Latency {
                    latency_ms,
                    jitter_ms,
                } => delay += rng.jittered(latency_ms, jitter_ms),
                Kind::Bandwidth { rate_kbps: r } => {
                    rate_kbps = Some(rate_kbps.map_or(r, |old: u64| old.min(r)))
                }
                Kind::LimitData { bytes } => {
                    let left = bytes.saturating_sub(passed);
                    if chunk.len() as u64 >= left {
                        // `left` is at most `chunk.len()`, so it fits a usize.
                        chunk = &chunk[..left as usize];
                        then = Some(End::Close);
                    }
                }
                Kind::Timeout { .. } | Kind::ResetPeer { .. } => {}
            }
        }
        // One chunk at a time keeps the order, whatever the jitter.
        wait_until(read_at + delay).await;
        match rate_kbps {
            None => writer.write_all(chunk).await?,
            Some(rate_kbps) => throttled_write(writer, chunk, rate_kbps, &mut next_send).await?,
        }
        passed += chunk.len() as u64;
        if let Some(end) = then {
            return Ok(end);
        }
    }
}

/// The pump while no toxic applies to its direction, which is most of the
/// time: it copies chunk after chunk, waiting on one `changed()` for all of
/// them instead of looking at the list and the clock for each. Returns
/// `None` when the list changed, `Some` when the stream ended.
async fn copy_until_changed<R, W>(
    reader: &mut R,
    writer: &mut W,
    buf: &mut [u8],
    toxics: &mut watch::Receiver<Vec<Toxic>>,
    passed: &mut u64,
) -> io::Result<Option<End>>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let changed = toxics.changed();
    tokio::pin!(changed);
    loop {
        let n = tokio::select! {
            changed = &mut changed => match changed {
                Ok(()) => return Ok(None),
                Err(_) => return Ok(Some(End::Close)), // the proxy was deleted
            },
            read = reader.read(buf) => read?,
        };
        if n == 0 {
            writer.shutdown().await?; // pass the half-close on
            return Ok(Some(End::Eof));
        }
        writer.write_all(&buf[..n]).await?;
        *passed += n as u64; // limit_data counts from the connection's start
    }
}

/// Tokio's timer rounds every deadline up to its next millisecond tick, so
/// even a deadline already past would cost up to 1 ms. Without this check
/// the proxy added about a millisecond to every chunk, toxics or not.
async fn wait_until(at: Instant) {
    if at > Instant::now() {
        sleep_until(at).await;
    }
}

/// Waits until the earliest deadline, or forever if there is none.
async fn expire(deadline: Option<(Instant, End)>) -> End {
    match deadline {
        Some((at, end)) => {
            sleep_until(at).await;
            end
        }
        None => std::future::pending().await,
    }
}

/// Writes in slices of 10 ms worth of data, each slice paid for in time
/// before it goes out, so the rate is smooth rather than one burst per chunk.
async fn throttled_write<W: AsyncWrite + Unpin>(
    writer: &mut W,
    mut chunk: &[u8],
    rate_kbps: u64,
    next_send: &mut Instant,
) -> io::Result<()> {
    let bytes_per_sec = rate_kbps * 1000;
    let slice = (bytes_per_sec / 100).max(1) as usize;
    // An idle link does not save up credit for a later burst.
    *next_send = (*next_send).max(Instant::now());
    while !chunk.is_empty() {
        let (now, rest) = chunk.split_at(slice.min(chunk.len()));
        wait_until(*next_send).await;
        writer.write_all(now).await?;
        *next_send += Duration::from_secs_f64(now.len() as f64 / bytes_per_sec as f64);
        chunk = rest;
    }
    Ok(())
}

/// Marsaglia's xorshift64: plenty random for jitter, and no dependency.
struct XorShift(u64);

impl XorShift {
    fn from_time() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        XorShift(nanos | 1) // zero is the one seed xorshift never leaves
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// `ms` plus a uniform jitter in `[-jitter_ms, +jitter_ms]`, at least 0.
    fn jittered(&mut self, ms: u64, jitter_ms: u64) -> Duration {
        if jitter_ms == 0 {
            return Duration::from_millis(ms);
        }
        let offset = self.next() % (2 * jitter_ms + 1);
        Duration::from_millis((ms + offset).saturating_sub(jitter_ms))
    }
}
