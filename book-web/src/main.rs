//! The book's web side, kept out of the xtask so that its dependencies
//! (tokio, axum, fantoccini) are built once, together with the listings:
//!
//! - `serve`: the built book over HTTP on loopback, compressed, rebuilt
//!   when its sources change, with live reload;
//! - `browser-test`: a real headless Chromium, driven through ChromeDriver
//!   with fantoccini, against the book served on loopback;
//! - `measure`: what a reader downloads to open a page;
//! - `print-pdf`: a page printed to PDF by the same Chromium (each
//!   edition's print.html, for `cargo xtask pdf`).

mod browser;
mod measure;
mod pdf;
mod server;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve DIR at http://127.0.0.1:PORT, compressed; when a file under a
    /// watched path changes, run the rebuild command, then reload open pages.
    Serve {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// A file or folder to watch (recursively); repeat for more.
        #[arg(long)]
        watch: Vec<PathBuf>,
        /// The command that builds the book into DIR again, after `--`.
        #[arg(last = true, required = true)]
        rebuild: Vec<String>,
    },
    /// Run the browser tests against the book built in DIR.
    BrowserTest {
        #[arg(long)]
        dir: PathBuf,
        /// Where to write screenshots for a person to look at.
        #[arg(long)]
        screenshots: PathBuf,
    },
    /// Print what a reader downloads to open each PAGE of the book built in
    /// DIR (headless Chromium, nothing cached): requests and bytes.
    Measure {
        #[arg(long)]
        dir: PathBuf,
        /// Serve gzip-compressed, as `cargo xtask serve` does.
        #[arg(long)]
        compress: bool,
        /// Paths under DIR, e.g. en/index.html.
        #[arg(required = true)]
        pages: Vec<String>,
    },
    /// Print pages of the book built in DIR to PDF files, as headless
    /// Chromium prints them, with the headings as the PDF's outline.
    PrintPdf {
        #[arg(long)]
        dir: PathBuf,
        /// A path under DIR and the PDF file to write, e.g.
        /// `--page en/print.html book/pdf/en.pdf`; repeat for more.
        #[arg(long = "page", num_args = 2, value_names = ["PAGE", "PDF"], required = true)]
        pages: Vec<String>,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Serve {
            dir,
            port,
            watch,
            rebuild,
        } => server::serve_with_reload(dir, port, watch, rebuild).await,
        Command::BrowserTest { dir, screenshots } => browser::run(dir, screenshots).await,
        Command::Measure {
            dir,
            compress,
            pages,
        } => measure::run(dir, pages, compress).await,
        Command::PrintPdf { dir, pages } => {
            let jobs = pages
                .chunks_exact(2)
                .map(|pair| (pair[0].clone(), PathBuf::from(&pair[1])))
                .collect();
            pdf::run(dir, jobs).await
        }
    }
}
