//! An HTTP client: it asks one server for one page and prints the status
//! and the body. Unlike the client of the article, it gives up on a server
//! that does not answer, and it reports every error instead of printing it
//! and carrying on.

use std::time::Duration;

use anyhow::{Context, Result};

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
    let response = response.error_for_status()?;
    let body = response.text().await.context("reading the body")?;
    println!("{body}");
    Ok(())
}
