//! `book-web print-pdf`: a page of the built book, as the browser prints it,
//! written to a PDF file. `cargo xtask pdf` prints each edition's
//! `print.html` (the whole book on one page) this way.
//!
//! The page is served on 127.0.0.1 and opened in the same headless Chromium
//! as the browser tests, so that it is the page a reader sees: its fonts,
//! its highlighted code, its figures, and, in the Chinese edition, its
//! `lang="zh-CN"`, which makes the CJK fonts draw Simplified Chinese glyphs.
//! The PDF comes from the DevTools protocol's `Page.printToPDF`, which
//! ChromeDriver passes on, because only that command can add an outline of
//! the headings (a PDF reader's table of contents); WebDriver's own print
//! command cannot.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, ensure};
use base64::Engine;
use fantoccini::{Client, wd::WebDriverCompatibleCommand};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::browser::{connect, eval, start_chromedriver, wait_for};
use crate::server::static_router;

/// mdBook's print page calls `window.print()` once its scripts have run.
/// Replaced before any script runs, the call only raises a flag: the sign
/// that the page is ready to print.
const CATCH_PRINT: &str = "window.print = () => { window.bookReadyToPrint = true; };";

/// A link from the page to another file of the served book (the PDF
/// itself, from the preface) would lead, in the PDF, to the loopback
/// server that is gone once the file is written: its text stays, the link
/// goes. Links within the page (the print page's chapters) are kept.
const UNLINK_SERVED: &str = "
    let n = 0;
    for (const a of document.querySelectorAll('main a[href]')) {
        const to = new URL(a.href);
        if (to.origin === location.origin && to.pathname !== location.pathname) {
            a.replaceWith(...a.childNodes);
            n += 1;
        }
    }
    return n;";

/// How long one page may take to print: the whole book is one long page.
const PRINT_TIMEOUT: Duration = Duration::from_secs(180);

/// Prints each (page under `dir`, PDF file) pair.
pub async fn run(dir: PathBuf, jobs: Vec<(String, PathBuf)>) -> Result<()> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("no built book at {}", dir.display()))?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let app = static_router(dir);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let profile = std::env::temp_dir().join(format!("book-web-pdf-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile)?;
    let (mut driver, driver_url) = start_chromedriver().await?;
    let result = async {
        let client = connect(&driver_url, &profile).await?;
        let mut outcome = Ok(());
        for (page, pdf) in &jobs {
            outcome = print_one(&client, &format!("{origin}/{page}"), pdf)
                .await
                .with_context(|| format!("printing {page} to {}", pdf.display()));
            if outcome.is_err() {
                break;
            }
        }
        client.close().await.ok();
        outcome
    }
    .await;
    driver.kill().await.ok();
    let _ = std::fs::remove_dir_all(&profile);
    result
}

async fn print_one(client: &Client, url: &str, pdf: &Path) -> Result<()> {
    cdp(
        client,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": CATCH_PRINT }),
    )
    .await?;
    client.goto(url).await?;
    wait_for(client, "window.bookReadyToPrint === true")
        .await
        .context("the print page never asked to be printed")?;
    // Every figure drawn and every font in place before the first page.
    wait_for(
        client,
        "document.fonts.status === 'loaded' && \
         Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)",
    )
    .await
    .context("a figure or a font did not load")?;
    let unlinked: u64 = eval(client, UNLINK_SERVED).await?;
    let lang: String = eval(client, "return document.documentElement.lang").await?;
    let started = std::time::Instant::now();
    let printed = tokio::time::timeout(
        PRINT_TIMEOUT,
        cdp(client, "Page.printToPDF", print_options()),
    )
    .await
    .map_err(|_| anyhow!("Chromium did not print within {PRINT_TIMEOUT:?}"))??;
    let data = printed["data"]
        .as_str()
        .context("Page.printToPDF returned no data")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .context("Page.printToPDF returned data that is not base64")?;
    ensure!(
        bytes.starts_with(b"%PDF-"),
        "Page.printToPDF returned something that is not a PDF"
    );
    if let Some(folder) = pdf.parent() {
        std::fs::create_dir_all(folder)?;
    }
    std::fs::write(pdf, &bytes).with_context(|| format!("writing {}", pdf.display()))?;
    println!(
        "{url} (lang {lang:?}, {unlinked} links to other files removed) -> {}: {} KB in {:.1}s",
        pdf.display(),
        bytes.len() / 1000,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A4 with 15 mm margins, the page's colours (code blocks have a
/// background), page numbers at the foot, and the headings as the PDF's
/// outline. Sizes are in inches, as the protocol wants them.
fn print_options() -> Value {
    let margin = 15.0 / 25.4;
    json!({
        "paperWidth": 210.0 / 25.4,
        "paperHeight": 297.0 / 25.4,
        "marginTop": margin,
        "marginBottom": margin,
        "marginLeft": margin,
        "marginRight": margin,
        "printBackground": true,
        "displayHeaderFooter": true,
        "headerTemplate": "<span></span>",
        "footerTemplate": "<div style=\"width: 100%; font-size: 8px; text-align: center\">\
                           <span class=\"pageNumber\"></span></div>",
        "generateTaggedPDF": true,
        "generateDocumentOutline": true,
    })
}

/// ChromeDriver's door to the DevTools protocol (not in the W3C standard,
/// so fantoccini has no method for it): one command and its parameters.
#[derive(Debug)]
struct Cdp {
    command: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.command, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

async fn cdp(client: &Client, command: &'static str, params: Value) -> Result<Value> {
    client
        .issue_cmd(Cdp { command, params })
        .await
        .with_context(|| format!("the DevTools command {command} failed"))
}
