//! The faultproxy server: the control API plus any proxies named on the
//! command line. It stops on Ctrl-C or SIGTERM, giving requests in flight a
//! few seconds to finish.
//!
//! ```text
//! faultproxy [API_ADDR] [--proxy NAME=LISTEN=UPSTREAM ...]
//! ```

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use listing_10_02::{Proxies, ProxySpec, serve_api};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tracing_subscriber::EnvFilter;

/// How long a graceful shutdown may take before the process exits anyway.
const DRAIN_DEADLINE: Duration = Duration::from_secs(5);

/// A fault-injecting TCP proxy with Toxiproxy's API.
#[derive(Parser)]
struct Args {
    /// Address of the control API.
    #[arg(default_value = "127.0.0.1:8474")]
    api_addr: SocketAddr,
    /// A proxy to create at start, e.g. db=127.0.0.1:15432=127.0.0.1:5432.
    #[arg(long = "proxy", value_name = "NAME=LISTEN=UPSTREAM", value_parser = parse_proxy)]
    proxies: Vec<ProxySpec>,
}

fn parse_proxy(spec: &str) -> Result<ProxySpec, String> {
    match spec.splitn(3, '=').collect::<Vec<_>>()[..] {
        [name, listen, upstream] if !name.is_empty() => Ok(ProxySpec {
            name: name.into(),
            listen: listen.into(),
            upstream: upstream.into(),
        }),
        _ => Err(format!(
            "{spec:?} is not NAME=LISTEN=UPSTREAM (e.g. db=127.0.0.1:15432=127.0.0.1:5432)"
        )),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a terminal: logs redirected to a file stay plain text.
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
    let args = Args::parse();

    // Install the handlers before announcing the port: a SIGTERM sent as
    // soon as the line appears must find them in place.
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;

    let listener = TcpListener::bind(args.api_addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.api_addr))?;
    println!("listening on http://{}", listener.local_addr()?);

    let proxies = Proxies::new();
    for spec in args.proxies {
        let name = spec.name.clone();
        let proxy = proxies
            .create(spec)
            .await
            .with_context(|| format!("cannot create proxy {name:?}"))?;
        println!(
            "proxy {}: {} -> {}",
            proxy.name, proxy.listen, proxy.upstream
        );
    }

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(serve_api(listener, proxies.clone(), async {
        // An error only means `stop` was dropped, which is a stop too.
        let _ = stopped.await;
    }));
    let signalled = tokio::select! {
        result = &mut server => {
            result.context("API task panicked")?.context("API server failed")?;
            false
        }
        _ = interrupt.recv() => true,
        _ = terminate.recv() => true,
    };
    if signalled {
        tracing::info!("stopping; draining for up to {DRAIN_DEADLINE:?}");
        let _ = stop.send(()); // fails only if the server already stopped
        match tokio::time::timeout(DRAIN_DEADLINE, server).await {
            Ok(result) => result
                .context("API task panicked")?
                .context("API server failed")?,
            Err(_) => tracing::warn!("drain deadline passed; exiting anyway"),
        }
    }
    proxies.shutdown().await;
    println!("stopped");
    Ok(())
}
