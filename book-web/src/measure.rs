//! `book-web measure`: what a reader downloads to open a page, measured in
//! headless Chromium (a fresh profile per page, so nothing is cached) from
//! the Resource Timing entries of the page and everything it loaded.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::net::TcpListener;

use crate::browser::{connect, eval, start_chromedriver, wait_for};
use crate::server::static_router;

/// Sums, per page: bytes on the wire (`transferSize`, headers included),
/// bytes of bodies as sent (`encodedBodySize`) and as decoded, and lists
/// the fonts fetched and the largest items.
const SCRIPT: &str = "
    const entries = [performance.getEntriesByType('navigation')[0],
                     ...performance.getEntriesByType('resource')];
    const sum = k => entries.reduce((n, e) => n + (e[k] || 0), 0);
    return { requests: entries.length, transfer: sum('transferSize'),
             encoded: sum('encodedBodySize'), decoded: sum('decodedBodySize'),
             fonts: entries.filter(e => /\\.woff2?$/.test(e.name))
                           .map(e => e.name.split('/').pop() + ' ' + e.encodedBodySize),
             largest: [...entries].sort((a, b) => b.encodedBodySize - a.encodedBodySize)
                           .slice(0, 4)
                           .map(e => e.name.split('/').pop() + ' ' + e.encodedBodySize) };";

#[derive(serde::Deserialize)]
struct Sizes {
    requests: u64,
    transfer: u64,
    encoded: u64,
    decoded: u64,
    fonts: Vec<String>,
    largest: Vec<String>,
}

pub async fn run(dir: PathBuf, pages: Vec<String>, compress: bool) -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let app = if compress {
        crate::server::compressed(static_router(dir))
    } else {
        static_router(dir)
    };
    tokio::spawn(async move { axum::serve(listener, app).await });
    let (mut driver, driver_url) = start_chromedriver().await?;
    let result = async {
        for page in &pages {
            let profile =
                std::env::temp_dir().join(format!("book-web-measure-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&profile);
            std::fs::create_dir_all(&profile)?;
            let client = connect(&driver_url, &profile).await?;
            client.goto(&format!("{origin}/{page}")).await?;
            wait_for(&client, "document.readyState === 'complete'").await?;
            // Let late requests (fonts, the quiz's bundle) finish.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let s: Sizes = eval(&client, SCRIPT).await.context("reading the timings")?;
            client.close().await.ok();
            let _ = std::fs::remove_dir_all(&profile);
            println!(
                "{page}: {} requests, {:.0} KB transferred, bodies {:.0} KB as sent, {:.0} KB decoded",
                s.requests,
                s.transfer as f64 / 1000.0,
                s.encoded as f64 / 1000.0,
                s.decoded as f64 / 1000.0
            );
            for font in s.fonts {
                println!("    font: {font}");
            }
            for item in s.largest {
                println!("    largest: {item}");
            }
        }
        Ok(())
    }
    .await;
    driver.kill().await.ok();
    result
}
