//! An HTTP client: it asks one server for one page and prints the status
//! and the body. Unlike the client of the article, it gives up on a server
//! that does not answer or sends too much, and it reports every error
//! instead of printing it and carrying on.

use std::time::Duration;

use anyhow::{Context, Result, bail};

/// The most this client reads of a body: a server that sends more is
/// broken or hostile, and must not fill the client's memory.
const MAX_BODY_BYTES: usize = 1024 * 1024;

#[tokio::main]
async fn main() -> Result<()> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080/".to_string());
    // Parse first, so that a typo is reported as such, not as a failed request.
    let url = reqwest::Url::parse(&url).with_context(|| format!("{url:?} is not a URL"))?;

    // reqwest, like Go's http.Client{}, waits forever by default. A client
    // in a distributed system must not: bound the connection and the whole
    // request.
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .build()?;

    let response = client
        .get(url.clone())
        .header(reqwest::header::USER_AGENT, "listing-03-02")
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    println!("{}", response.status());
    // A 4xx or 5xx is an answer, but not the page we asked for.
    let mut response = response.error_for_status()?;
    // Chunk by chunk, counting: `text()` would read a body of any size.
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.context("reading the body")? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            bail!("the body is larger than {MAX_BODY_BYTES} bytes");
        }
        body.extend_from_slice(&chunk);
    }
    println!("{}", String::from_utf8_lossy(&body));
    Ok(())
}
