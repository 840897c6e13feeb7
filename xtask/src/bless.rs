//! `cargo xtask bless`: runs the listings (Rust and Go) and rewrites their
//! stored outputs. It lives beside both sides rather than in either, so
//! that the listings and the Go programs do not depend on each other.

use std::path::Path;

use anyhow::Result;

use crate::golang;
use crate::listings::{self, Listing, Mode};

/// Every listing whose package name contains `filter` (all without one).
pub fn bless(root: &Path, filter: Option<&str>) -> Result<()> {
    let chosen: Vec<Listing> = listings::find(root)?
        .into_iter()
        .filter(|l| filter.is_none_or(|f| l.name.contains(f)))
        .collect();
    let build = listings::build_workspace()?;
    let go_bins = golang::build_all(root, &listings::find(root)?, false)?;
    listings::run_all(root, &chosen, &build, &go_bins, Mode::Bless)
}
