//! The book's one entry point for contributors, run as `cargo xtask <task>`.
//!
//! Every task is a function below; each prints the commands it runs before it
//! runs them, so that a failure says where it happened. The xtask itself
//! depends only on clap, anyhow, serde and serde_json (the benchmarks'
//! results are typed) and three tiny crates (walkdir, shlex,
//! percent-encoding; one more crate between them): everything
//! heavy (the browser tests, the static server with its file watcher, live
//! reload and compression) lives in the `book-web` crate, which is built
//! together with the listings so that no dependency is compiled twice.

mod article;
mod bench;
mod bless;
mod book;
mod cmd;
mod errata;
mod golang;
mod lang_blocks;
mod leftovers;
mod listings;
mod pdf;
mod po;
mod results;
mod snapshots;
mod terms;
mod tools;

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Tasks for the book: serve it, test it, regenerate listing outputs")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

/// The benchmarks that `cargo xtask bench` can run on their own: one per
/// entry of the registry, `bench::CHAPTERS`.
fn bench_names() -> clap::builder::PossibleValuesParser {
    bench::CHAPTERS
        .iter()
        .map(|c| clap::builder::PossibleValue::new(c.name).help(c.about))
        .collect::<Vec<_>>()
        .into()
}

#[derive(Subcommand)]
enum Task {
    /// Build both editions and serve them at http://127.0.0.1:PORT with live reload.
    Serve {
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
    /// Build both editions into book/ (English in book/en, Chinese in book/zh-CN).
    Build,
    /// The whole test suite (what CI runs).
    Test,
    /// Run every listing and rewrite its stored output files.
    Bless {
        /// Only the listings whose package name contains this text.
        filter: Option<String>,
    },
    /// Regenerate po/messages.pot and merge it into po/zh-CN.po (needs gettext).
    UpdatePo,
    /// Measure a chapter (chapter 9's when none is named: the Rust
    /// listings against the Go programs); write its results file in bench/
    /// and its page and figures in src/bench/.
    Bench {
        /// The chapter to measure. Without it, a measurement is chapter 9's;
        /// --smoke does every chapter and --render always does.
        #[arg(value_parser = bench_names())]
        which: Option<String>,
        /// One short run on the debug build, of the chapter named or of
        /// every chapter, into target/bench-smoke/ (what the test suite runs).
        #[arg(long)]
        smoke: bool,
        /// Only render the chapters' figures again from bench/*.json
        /// (after changing how they are drawn; never to edit numbers).
        #[arg(long, conflicts_with = "smoke")]
        render: bool,
    },
    /// Install the pinned book tools into .tools/ (the other tasks do it too).
    InstallTools,
    /// Build both editions into book/ and print each to a PDF in book/pdf/
    /// (headless Chromium), where each edition's preface links to it.
    Pdf,
    /// mdBook's preprocessor for the editions that the other tasks build:
    /// each keeps only its own language's result blocks.
    #[command(name = lang_blocks::NAME, hide = true)]
    LangBlocks {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nerror: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match cli.task {
        Task::Serve { port } => book::serve(&root, port),
        Task::Build => {
            tools::install(&root)?;
            book::build_all(&root, &root.join("book")).map(|_| ())
        }
        Task::Test => test(&root),
        Task::Bless { filter } => bless::bless(&root, filter.as_deref()),
        Task::UpdatePo => po::update(&root),
        Task::LangBlocks { args } => lang_blocks::run(&args),
        // Every chapter's page, whichever is named: rendering is cheap.
        Task::Bench { render: true, .. } => bench::render_all(&root),
        Task::Bench {
            which,
            smoke: false,
            ..
        } => bench::run_full(&root, which.as_deref()),
        Task::Bench {
            which, smoke: true, ..
        } => {
            let chapters = bench::chosen(which.as_deref())?;
            let build = listings::build_workspace()?;
            let go_bins = if chapters.iter().any(|c| c.needs_go) {
                golang::build_all(&root, &listings::find(&root)?, false)?
            } else {
                Default::default()
            };
            let inputs = bench::Smoke {
                build: &build,
                go_bins: &go_bins,
                ci: false,
            };
            bench::smoke(&root, &chapters, &inputs)
        }
        Task::InstallTools => tools::install(&root),
        Task::Pdf => pdf::task(&root),
    }
}

/// The suite, step by step. Each step prints a header; the first failure
/// stops the run with a message that names the step.
fn test(root: &Path) -> Result<()> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let mut step = cmd::Steps::default();

    step.start("pinned book tools");
    tools::install(root)?;

    step.start("formatting");
    cmd::run(cmd::cargo().args(["fmt", "--all", "--check"]))?;

    step.start("listing manifests");
    let manifests = listings::check_manifests(root)?;
    snapshots::check(root)?;
    article::check(root)?;
    errata::check(root)?;

    step.start("clippy");
    cmd::run(cmd::cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;

    step.start("system programs the listings start (nginx)");
    cmd::ensure_program(
        "/usr/sbin/nginx",
        "nginx",
        "chapter 12 runs nginx as a load balancer",
        ci,
    )?;

    step.start("build the workspace once");
    let build = listings::build_workspace()?;

    step.start("cargo test");
    cmd::run(cmd::cargo().args(["test", "--workspace"]))?;

    step.start("Go programs: vet and build");
    let go_bins = golang::build_all(root, &manifests, ci)?;

    step.start("run every listing (Rust and Go, clients against both servers)");
    listings::run_all(root, &manifests, &build, &go_bins, listings::Mode::Check)?;

    step.start("benchmark harness (smoke runs, no claim about speed) and the chapters' figures");
    bench::run_smoke(root, &build, &go_bins, ci)?;

    step.start("mdbook test");
    book::mdbook_test(root, &build)?;

    step.start("build both editions");
    let out = root.join("target/book-test");
    let editions = book::build_all(root, &out)?;

    step.start("Chinese edition complete and current");
    po::check(root)?;
    terms::check(root)?;

    // Before the link check: each edition's preface links to its PDF.
    step.start("a PDF of each edition");
    pdf::suite(&build, &out, &editions, ci)?;

    step.start("internal links and fragments");
    book::check_links(&editions)?;
    book::check_markers(&editions)?;

    step.start("browser tests");
    book::browser_tests(root, &build, &out, ci)?;

    step.start("nothing left running from target/");
    leftovers::check(root)?;

    step.finish();
    Ok(())
}

/// The workspace root: the parent of this crate's folder.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one folder below the workspace root")
        .to_path_buf()
}
