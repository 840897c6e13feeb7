//! The listings' manifests: each listing must build on its own when copied
//! out of the book, and the workspace must not hide a clash between them.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, anyhow, ensure};
use serde_json::Value;

use super::{Listing, find, used};
use crate::cmd;

/// Every binary of the workspace lands in the same target folder, so two
/// packages with a binary of the same name overwrite each other's, and a
/// test may start the wrong program (cargo only warns).
fn unique_binaries(meta: &Value) -> Result<()> {
    let mut owners: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for package in meta["packages"].as_array().into_iter().flatten() {
        for target in package["targets"].as_array().into_iter().flatten() {
            let is_bin = target["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"));
            if is_bin {
                let name = target["name"].as_str().unwrap_or_default();
                let package = package["name"].as_str().unwrap_or_default();
                owners.entry(name).or_default().push(package);
            }
        }
    }
    let clashes: Vec<String> = owners
        .iter()
        .filter(|(_, packages)| packages.len() > 1)
        .map(|(name, packages)| format!("`{name}` in {}", packages.join(", ")))
        .collect();
    ensure!(
        clashes.is_empty(),
        "binaries with the same name in several packages (they would share one \
         file in target/): {}",
        clashes.join("; ")
    );
    Ok(())
}

/// Each listing must work on its own when copied out of the book: explicit
/// dependency versions, no `workspace = true`, all listings agreeing on
/// each dependency's version requirement, and no dependency that its code
/// does not use.
pub fn check_manifests(root: &Path) -> Result<Vec<Listing>> {
    let listings = find(root)?;
    let meta = metadata()?;
    unique_binaries(&meta)?;
    let mut versions: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for listing in &listings {
        let manifest = listing.dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest)?;
        ensure!(
            !text.replace(' ', "").contains("workspace=true"),
            "{}: a listing names its dependencies itself (no `workspace = true`), \
             so that its folder builds on its own",
            manifest.display()
        );
        ensure!(
            listing.dir.join("output.txt").exists(),
            "{}: output.txt is missing (run `cargo xtask bless {}`)",
            listing.dir.display(),
            listing.name
        );
        let package = meta["packages"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == listing.name.as_str()))
            .ok_or_else(|| {
                anyhow!(
                    "{}: package name must be {}",
                    manifest.display(),
                    listing.name
                )
            })?;
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let name = dep["name"].as_str().unwrap_or_default().to_string();
            let req = dep["req"].as_str().unwrap_or_default().to_string();
            versions
                .entry(name)
                .or_default()
                .entry(req)
                .or_default()
                .push(listing.name.clone());
        }
    }
    let mut disagreements = Vec::new();
    for (dep, reqs) in &versions {
        if reqs.len() > 1 {
            disagreements.push(format!("{dep}: {reqs:?}"));
        }
    }
    ensure!(
        disagreements.is_empty(),
        "listings disagree on dependency versions:\n{}",
        disagreements.join("\n")
    );
    let unused = unused_dependencies(&listings, &meta)?;
    ensure!(
        unused.is_empty(),
        "dependencies that a listing's code never names (remove them; one that only \
         the tests use belongs in [dev-dependencies]):\n{}",
        unused.join("\n")
    );
    println!(
        "{} listings, {} dependencies, one version each, each one used",
        listings.len(),
        versions.len()
    );
    Ok(listings)
}

/// The workspace's packages as cargo reads their manifests.
fn metadata() -> Result<Value> {
    let meta = cmd::output(cmd::cargo().args(["metadata", "--format-version", "1", "--no-deps"]))?;
    Ok(serde_json::from_slice(&meta.stdout)?)
}

/// "listing-NN-MM: `crate` in [section]" for every dependency that the
/// listing's code never names (see [`used`]).
fn unused_dependencies(listings: &[Listing], meta: &Value) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for listing in listings {
        let Some(package) = meta["packages"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == listing.name.as_str()))
        else {
            continue;
        };
        let sources = used::sources(&listing.dir)?;
        for unused in used::unused_dependencies(package, &sources) {
            out.push(format!("{}: {unused}", listing.name));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_binaries_of_one_name_are_refused() {
        let bin = |name: &str| serde_json::json!({"name": name, "kind": ["bin"]});
        let meta = |a: &str, b: &str| {
            serde_json::json!({"packages": [
                {"name": "listing-11-05", "targets": [bin("replica")]},
                {"name": "listing-12-01", "targets": [bin(a), bin(b)]},
            ]})
        };
        assert!(unique_binaries(&meta("balance-replica", "balance-sim")).is_ok());
        let err = unique_binaries(&meta("replica", "balance-sim")).unwrap_err();
        assert!(
            err.to_string()
                .contains("`replica` in listing-11-05, listing-12-01")
        );
    }

    /// The suite's step on the book's own listings.
    #[test]
    fn the_book_s_manifests_pass() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        check_manifests(root).unwrap();
    }
}
