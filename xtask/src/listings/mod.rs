//! The listings: one crate each under `listings/chNN-<slug>/listing-NN-MM/`.
//!
//! The suite builds them once (with the rest of the workspace), runs each,
//! and compares what it prints with the `output.txt` stored beside it. A
//! listing that serves until stopped also has a `requests.txt`: curl
//! commands and what they print. The suite starts such a server on a free
//! port (its first argument), replays the requests, stops it with Ctrl-C
//! (SIGINT), and compares both files.
//!
//! Along its seams: [`manifests`] checks the listings' `Cargo.toml`s
//! (with [`used`]: no dependency that the code never names),
//! [`build`] builds the workspace once, [`program`] says what a listing
//! runs, [`process`] runs it (to its end, or as a server), [`run`] runs
//! every listing, and [`stored`] compares (or rewrites) the stored outputs.
//! `cargo xtask bless` itself is `crate::bless`, which uses this module and
//! the Go side without either of them using the other.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};

mod build;
mod manifests;
mod process;
mod program;
mod run;
mod stored;
mod used;

pub use build::{Build, build_workspace};
pub use manifests::check_manifests;
pub use process::Server;
pub use program::Program;
pub use run::run_all;
pub use stored::Mode;

pub struct Listing {
    pub name: String,
    pub dir: PathBuf,
}

/// Every listing folder, in order.
pub fn find(root: &Path) -> Result<Vec<Listing>> {
    let mut out = Vec::new();
    // listings/<chapter>/<listing>: the folders two levels down, in order.
    let walk = walkdir::WalkDir::new(root.join("listings"))
        .min_depth(2)
        .max_depth(2)
        .sort_by_file_name();
    for entry in walk {
        let entry = entry.context("reading listings/")?;
        if !entry.file_type().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        ensure!(
            name.starts_with("listing-"),
            "{} is not named listing-NN-MM",
            entry.path().display()
        );
        out.push(Listing {
            name,
            dir: entry.into_path(),
        });
    }
    Ok(out)
}
