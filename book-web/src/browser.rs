//! Browser tests: a real headless Chromium, driven by ChromeDriver through
//! fantoccini, against the built book served on 127.0.0.1.
//!
//! What a reader would notice is what is checked: every page of both
//! editions loads without a console error and without a request that leaves
//! loopback; the language picker keeps the page; search finds Chinese and
//! English words; code blocks have their copy button; the Chinese edition's
//! interface is in Chinese. A screenshot of a Chinese page is saved for a
//! person to look at.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use fantoccini::{Client, ClientBuilder, Locator, wd::WebDriverCompatibleCommand};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};

use crate::server::static_router;

/// Chromium's own flags: headless, and none of its background traffic
/// (updates, sync, field trials), which this closed network would refuse.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--window-size=1280,900",
];

/// mdBook asks the Rust playground for its crate list on pages with
/// runnable Rust blocks; offline that request fails, which is expected.
const ALLOWED_REMOTE: &[&str] = &["https://play.rust-lang.org/"];

/// How long to wait for something to appear on a page.
const WAIT: Duration = Duration::from_secs(10);

pub async fn run(dir: PathBuf, screenshots: PathBuf) -> Result<()> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("no built book at {}", dir.display()))?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    // Compressed, as `cargo xtask serve` serves it.
    let app = crate::server::compressed(static_router(dir.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let profile = std::env::temp_dir().join(format!("book-web-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile)?;
    let (mut driver, driver_url) = start_chromedriver().await?;
    let result = async {
        let client = connect(&driver_url, &profile).await?;
        let outcome = all_tests(&client, &dir, &origin, &screenshots).await;
        client.close().await.ok();
        outcome
    }
    .await;
    driver.kill().await.ok();
    let _ = std::fs::remove_dir_all(&profile);
    result
}

async fn all_tests(client: &Client, dir: &Path, origin: &str, screenshots: &Path) -> Result<()> {
    let mut passed = 0;
    let mut check = |name: &str| {
        passed += 1;
        println!("ok: {name}");
    };

    every_page_loads_cleanly(client, dir, origin).await?;
    check("every page of both editions loads with no console error and no request off loopback");

    language_picker_keeps_the_page(client, origin).await?;
    check("the language picker switches edition and keeps the page");

    search_finds(client, origin, "zh-CN", "负载均衡", "preface.html").await?;
    check("a Chinese search (负载均衡) lists the page that contains it");
    search_finds(client, origin, "zh-CN", "优雅", "ch03-core-principles.html").await?;
    check("a Chinese search (优雅) lists the page that contains it");
    search_finds(
        client,
        origin,
        "en",
        "graceful",
        "ch03-core-principles.html",
    )
    .await?;
    check("an English search (graceful) lists the page that contains it");

    code_blocks_have_copy_buttons(client, origin).await?;
    check("every code block has a copy button");

    chinese_interface(client, origin).await?;
    check("the Chinese edition's interface labels are Chinese");

    quiz_answers_and_reviews(client, origin, "en").await?;
    check("a quiz in the English edition takes an answer and shows the review");
    quiz_answers_and_reviews(client, origin, "zh-CN").await?;
    check("a quiz in the Chinese edition does the same, with Chinese questions and labels");
    chinese_tracing_question(client, origin).await?;
    check("a Tracing question in the Chinese edition has Chinese instructions, choices and review");

    std::fs::create_dir_all(screenshots)?;
    let shot = screenshots.join("zh-CN-ch03.png");
    client
        .goto(&format!("{origin}/zh-CN/ch03-core-principles.html"))
        .await?;
    std::fs::write(&shot, client.screenshot().await?)?;
    check(&format!("screenshot saved to {}", shot.display()));

    println!("browser tests: {passed} passed, 0 failed");
    Ok(())
}

// ---- the tests ---------------------------------------------------------------

async fn every_page_loads_cleanly(client: &Client, dir: &Path, origin: &str) -> Result<()> {
    let mut pages = Vec::new();
    for edition in ["en", "zh-CN"] {
        collect_pages(
            &dir.join(edition),
            &format!("{origin}/{edition}"),
            &mut pages,
        )?;
    }
    ensure!(!pages.is_empty(), "no pages found in {}", dir.display());
    let mut problems = Vec::new();
    for url in &pages {
        // Drain logs of the previous page so each page is judged alone.
        logs(client, "browser").await?;
        logs(client, "performance").await?;
        client.goto(url).await?;
        wait_for(client, "document.readyState === 'complete'").await?;
        if url.contains("/zh-CN/") {
            // Prose left in English: eight or more English words in a row,
            // outside code (where English is expected). `innerText` of a
            // detached copy ignores CSS, so hidden text counts too.
            let english: Vec<String> = eval(
                client,
                "const main = document.querySelector('main');
                 if (!main) return [];
                 const copy = main.cloneNode(true);
                 copy.querySelectorAll('pre, code, .quiz-placeholder').forEach(e => e.remove());
                 // Blocks marked as another language (the English copy of a
                 // results table, which CSS hides here) are English by design.
                 copy.querySelectorAll('[lang]:not([lang=zh-CN])').forEach(e => e.remove());
                 return copy.innerText.match(/(?:[A-Za-z][A-Za-z'’-]*[ ,:;]+){7,}[A-Za-z][A-Za-z'’-]*/g) || [];",
            )
            .await?;
            for run in english {
                problems.push(format!(
                    "{url}: English prose in the Chinese edition: {run:?}"
                ));
            }
        }
        if url.contains("/en/") {
            // And the other way round: no Chinese shows in the English edition.
            let chinese: Vec<String> = eval(
                client,
                "const main = document.querySelector('main');
                 return main ? (main.innerText.match(/[\\u4e00-\\u9fff]+/g) || []) : [];",
            )
            .await?;
            if !chinese.is_empty() {
                problems.push(format!(
                    "{url}: Chinese text in the English edition: {chinese:?}"
                ));
            }
        }
        for entry in logs(client, "browser").await? {
            let level = entry["level"].as_str().unwrap_or_default();
            let message = entry["message"].as_str().unwrap_or_default();
            if level == "SEVERE" && !ALLOWED_REMOTE.iter().any(|a| message.contains(a)) {
                problems.push(format!("{url}: console error: {message}"));
            }
        }
        for entry in logs(client, "performance").await? {
            let Some(inner) = entry["message"].as_str() else {
                continue;
            };
            let event: Value = serde_json::from_str(inner).unwrap_or_default();
            if event["message"]["method"] != "Network.requestWillBeSent" {
                continue;
            }
            let request = event["message"]["params"]["request"]["url"]
                .as_str()
                .unwrap_or_default();
            // Only network schemes can leave the machine; chrome:// and the
            // like are the browser's own resources.
            let network = ["http:", "https:", "ws:", "wss:", "ftp:"]
                .iter()
                .any(|s| request.starts_with(s));
            let local = request.starts_with(&format!("{origin}/"));
            if network && !local && !ALLOWED_REMOTE.iter().any(|a| request.starts_with(a)) {
                problems.push(format!("{url}: request leaves loopback: {request}"));
            }
        }
    }
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    println!("{} pages checked", pages.len());
    Ok(())
}

async fn language_picker_keeps_the_page(client: &Client, origin: &str) -> Result<()> {
    for (from, to) in [("zh-CN", "en"), ("en", "zh-CN")] {
        let start = format!("{origin}/{from}/ch03-core-principles.html#http-server");
        client.goto(&start).await?;
        let picker = client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("book-language-picker"))
            .await?;
        picker.click().await?;
        let expected = format!("{origin}/{to}/ch03-core-principles.html#http-server");
        wait_for(client, &format!("location.href === {}", json!(expected)))
            .await
            .with_context(|| format!("the picker on {start} did not lead to {expected}"))?;
        let lang: String = eval(client, "return document.documentElement.lang").await?;
        ensure!(
            lang == to,
            "after the picker, the page's language is {lang}, not {to}"
        );
    }
    Ok(())
}

async fn search_finds(
    client: &Client,
    origin: &str,
    edition: &str,
    query: &str,
    page: &str,
) -> Result<()> {
    client
        .goto(&format!("{origin}/{edition}/index.html"))
        .await?;
    client
        .find(Locator::Id("mdbook-search-toggle"))
        .await?
        .click()
        .await?;
    let bar = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("mdbook-searchbar"))
        .await?;
    bar.send_keys(query).await?;
    let script = format!(
        "return Array.from(document.querySelectorAll('#mdbook-searchresults a'))\
         .some(a => new URL(a.href).pathname.endsWith({}))",
        json!(format!("/{edition}/{page}"))
    );
    wait_until(client, &script).await.with_context(|| {
        format!("searching the {edition} edition for {query:?} did not list {page}")
    })?;
    Ok(())
}

async fn code_blocks_have_copy_buttons(client: &Client, origin: &str) -> Result<()> {
    for edition in ["en", "zh-CN"] {
        client
            .goto(&format!("{origin}/{edition}/ch03-core-principles.html"))
            .await?;
        wait_for(client, "document.readyState === 'complete'").await?;
        let (blocks, buttons): (u64, u64) = eval(
            client,
            "return [document.querySelectorAll('main pre > code').length,
                     document.querySelectorAll('main pre > .buttons .clip-button').length]",
        )
        .await?;
        ensure!(blocks > 0, "{edition}: no code blocks on the chapter page");
        ensure!(
            blocks == buttons,
            "{edition}: {blocks} code blocks but {buttons} copy buttons"
        );
    }
    Ok(())
}

async fn chinese_interface(client: &Client, origin: &str) -> Result<()> {
    client
        .goto(&format!("{origin}/zh-CN/ch03-core-principles.html"))
        .await?;
    wait_for(client, "document.readyState === 'complete'").await?;
    // Every label mdBook's chrome shows or speaks: attributes and texts.
    let english: Vec<String> = eval(
        client,
        "const seen = [];
         const chrome = document.querySelectorAll(
             '#mdbook-menu-bar, #mdbook-menu-bar *, #mdbook-search-wrapper *, #mdbook-sidebar, \
              nav.nav-wrapper *, nav.nav-wide-wrapper *, #mdbook-help-popup *, main pre *');
         for (const el of chrome) {
             for (const attr of ['title', 'aria-label', 'placeholder']) {
                 const v = el.getAttribute(attr);
                 if (v) seen.push(v);
             }
         }
         for (const el of document.querySelectorAll('#mdbook-theme-list button, #mdbook-help-popup h2, #mdbook-help-popup p')) {
             seen.push(el.textContent.trim());
         }
         return seen.filter(v => /[A-Za-z]{3,}/.test(v.replace(/\\b(Rust|Ayu|English|Esc)\\b/g, '')));",
    )
    .await?;
    ensure!(
        english.is_empty(),
        "English labels in the Chinese edition: {english:?}"
    );
    let title: String = eval(
        client,
        "return document.querySelector('.menu-title').textContent",
    )
    .await?;
    ensure!(
        title
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "the Chinese edition's title is not Chinese: {title:?}"
    );
    Ok(())
}

/// Chapter 2's quiz: its first question's right answer is "0" in both
/// editions. Answer it, answer the rest, and read the review.
async fn quiz_answers_and_reviews(client: &Client, origin: &str, edition: &str) -> Result<()> {
    client
        .goto(&format!("{origin}/{edition}/ch02-core-concepts.html"))
        .await?;
    let start = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(".quiz-placeholder button.start"))
        .await
        .context("the quiz did not render")?;
    start.click().await?;
    let quiz_text = "return document.querySelector('.quiz-placeholder').innerText";
    let chinese = edition == "zh-CN";
    // The first question, with the right answer chosen by its text.
    wait_until(
        client,
        "return document.querySelectorAll('.quiz-placeholder input[type=radio]').length > 0",
    )
    .await?;
    let chose: bool = eval(
        client,
        "for (const choice of document.querySelectorAll('.quiz-placeholder .choice')) {
             if (choice.innerText.trim() === '0') { choice.querySelector('input').click(); return true; }
         }
         return false;",
    )
    .await?;
    ensure!(
        chose,
        "{edition}: the quiz's first question has no choice \"0\""
    );
    let first: String = eval(client, quiz_text).await?;
    if chinese {
        ensure!(
            first.contains("节点 B"),
            "{edition}: the question is not the Chinese one: {first:?}"
        );
    }
    answer_every_question(client).await?;
    let review_heading = if chinese {
        "答案回顾"
    } else {
        "Answer Review"
    };
    wait_until(
        client,
        &format!(
            "return document.querySelector('.quiz-placeholder').innerText.includes({})",
            json!(review_heading)
        ),
    )
    .await
    .with_context(|| format!("{edition}: the quiz showed no review"))?;
    let review: String = eval(client, quiz_text).await?;
    let right = if chinese {
        "你答对了"
    } else {
        "You answered"
    };
    ensure!(
        review.contains(right),
        "{edition}: the review does not count the answers: {review:?}"
    );
    ensure!(
        !review.contains("runtime error"),
        "{edition}: the quiz crashed: {review:?}"
    );
    if chinese {
        let english: Vec<&str> = [
            "Quiz",
            "Answer Review",
            "You answered",
            "Question",
            "Context",
            "Response",
            "Start",
        ]
        .into_iter()
        .filter(|label| review.contains(label) || first.contains(label))
        .collect();
        ensure!(
            english.is_empty(),
            "English quiz labels in the Chinese edition: {english:?}"
        );
    }
    Ok(())
}

/// Answers every question left in the quiz on the page, however many: a
/// choice already made is kept, otherwise the first one is taken (for a
/// Tracing question "does not compile", which needs no typed output).
async fn answer_every_question(client: &Client) -> Result<()> {
    for _ in 0..20 {
        let answered: bool = eval(
            client,
            "const form = document.querySelector('.quiz-placeholder form.response');
             if (!form) return false;
             if (!form.querySelector('input[type=radio]:checked')) {
                 (form.querySelector('input[type=radio][value=false]') || form.querySelector('input[type=radio]')).click();
             }
             form.querySelector('input[type=submit]').click();
             return true;",
        )
        .await?;
        if !answered {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("the quiz still asks questions after 20 answers")
}

/// Chapter 3's quiz opens with a Tracing question (the program that E0499
/// rejects): in the Chinese edition its instructions, choices and review
/// are Chinese too.
async fn chinese_tracing_question(client: &Client, origin: &str) -> Result<()> {
    client
        .goto(&format!("{origin}/zh-CN/ch03-core-principles.html"))
        .await?;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(".quiz-placeholder button.start"))
        .await
        .context("the quiz did not render")?
        .click()
        .await?;
    wait_until(
        client,
        "return document.querySelectorAll('.quiz-placeholder input[type=radio][value=false]').length > 0",
    )
    .await?;
    let quiz_text = "return document.querySelector('.quiz-placeholder').innerText";
    let english = |text: &str| -> Vec<&'static str> {
        [
            "Determine whether",
            "DOES compile",
            "does NOT compile",
            "This program",
            "compile.",
            "Question",
        ]
        .into_iter()
        .filter(|label| text.contains(label))
        .collect()
    };
    let first: String = eval(client, quiz_text).await?;
    ensure!(
        first.contains("判断这个程序能否通过编译") && first.contains("不能通过编译"),
        "the Tracing question's instructions are not Chinese: {first:?}"
    );
    ensure!(
        english(&first).is_empty(),
        "English Tracing labels in the Chinese edition: {:?}",
        english(&first)
    );
    answer_every_question(client).await?;
    wait_until(
        client,
        "return document.querySelector('.quiz-placeholder').innerText.includes('答案回顾')",
    )
    .await
    .context("the Tracing quiz showed no review")?;
    let review: String = eval(client, quiz_text).await?;
    ensure!(
        review.contains("这个程序不能通过编译。"),
        "the review does not say, in Chinese, that the program does not compile: {review:?}"
    );
    ensure!(
        english(&review).is_empty(),
        "English Tracing labels in the Chinese review: {:?}",
        english(&review)
    );
    Ok(())
}

// ---- helpers -----------------------------------------------------------------

fn collect_pages(dir: &Path, base: &str, out: &mut Vec<String>) -> Result<()> {
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry?;
        let relative = entry.path().strip_prefix(dir)?.to_string_lossy();
        if entry.file_type().is_file() && relative.ends_with(".html") {
            out.push(format!("{base}/{relative}"));
        }
    }
    Ok(())
}

pub(crate) async fn start_chromedriver() -> Result<(Child, String)> {
    // Ask the OS for a free port, then give it to chromedriver.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("could not start chromedriver (Debian package chromium-driver)")?;
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if Instant::now() > deadline {
            bail!("chromedriver did not listen on {url} within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((driver, url))
}

pub(crate) async fn connect(driver_url: &str, profile: &Path) -> Result<Client> {
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": chromium_binary(), "args": args },
        "goog:loggingPrefs": { "browser": "ALL", "performance": "ALL" },
    });
    let Value::Object(caps) = caps else {
        unreachable!("a JSON object literal")
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(driver_url)
        .await
        .context("could not start a Chromium session through chromedriver")
}

fn chromium_binary() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string())
}

/// ChromeDriver's log endpoint (not in the W3C standard, so fantoccini has
/// no method for it): returns and clears the entries of one log.
#[derive(Debug)]
struct GetLog(&'static str);

impl WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": self.0 }).to_string()),
        )
    }
}

async fn logs(client: &Client, kind: &'static str) -> Result<Vec<Value>> {
    let value = client.issue_cmd(GetLog(kind)).await?;
    Ok(value.as_array().cloned().unwrap_or_default())
}

pub(crate) async fn eval<T: serde::de::DeserializeOwned>(
    client: &Client,
    script: &str,
) -> Result<T> {
    let value = client.execute(script, vec![]).await?;
    serde_json::from_value(value.clone()).map_err(|e| anyhow!("script returned {value}: {e}"))
}

/// Waits until a JavaScript expression is true.
pub(crate) async fn wait_for(client: &Client, expression: &str) -> Result<()> {
    wait_until(client, &format!("return Boolean({expression})")).await
}

/// Waits until a script returns true, polling for at most WAIT.
async fn wait_until(client: &Client, script: &str) -> Result<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        if eval::<bool>(client, script).await.unwrap_or(false) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out after {WAIT:?} waiting for: {script}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
