//! Snapshot copies. A Part II listing carries copies of earlier listings'
//! modules (the hardened `serve`, the fault proxy) so that its folder
//! builds on its own; they are the one repetition the book accepts, and
//! they must not drift apart. The suite compares each copy with its
//! original, ignoring the opening `//!` comment (which says where a copy
//! comes from) and the module path a copy lives under.

use std::path::Path;

use anyhow::{Result, ensure};

/// (original, copy, the module path of the copy's crate-relative paths).
const COPIES: &[(&str, &str, &str)] = &[
    (
        "ch10-cluster/listing-10-01/src/lib.rs",
        "ch10-cluster/listing-10-03/src/serve.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-01/src/lib.rs",
        "ch11-fault-tolerance/listing-11-02/src/serve.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-01/src/lib.rs",
        "ch11-fault-tolerance/listing-11-03/src/serve.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-01/src/lib.rs",
        "ch11-fault-tolerance/listing-11-04/src/serve.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-01/src/lib.rs",
        "ch11-fault-tolerance/listing-11-05/src/serve.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-01/src/lib.rs",
        "ch12-load-balancing/listing-12-01/src/serve.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-02/src/api.rs",
        "ch10-cluster/listing-10-03/src/faultproxy/api.rs",
        "faultproxy::",
    ),
    (
        "ch10-cluster/listing-10-02/src/proxy.rs",
        "ch10-cluster/listing-10-03/src/faultproxy/proxy.rs",
        "faultproxy::",
    ),
    (
        "ch10-cluster/listing-10-02/src/toxic.rs",
        "ch10-cluster/listing-10-03/src/faultproxy/toxic.rs",
        "faultproxy::",
    ),
    (
        "ch10-cluster/listing-10-02/src/api.rs",
        "ch11-fault-tolerance/listing-11-03/src/faultproxy/api.rs",
        "faultproxy::",
    ),
    (
        "ch10-cluster/listing-10-02/src/proxy.rs",
        "ch11-fault-tolerance/listing-11-03/src/faultproxy/proxy.rs",
        "faultproxy::",
    ),
    (
        "ch10-cluster/listing-10-02/src/toxic.rs",
        "ch11-fault-tolerance/listing-11-03/src/faultproxy/toxic.rs",
        "faultproxy::",
    ),
];

/// The code of a module without its opening comment, with `crate::PATH`
/// read as `crate::`.
fn body(text: &str, path: &str) -> String {
    let code: Vec<&str> = text.lines().skip_while(|l| l.starts_with("//!")).collect();
    let code = code.join("\n");
    if path.is_empty() {
        code
    } else {
        code.replace(&format!("crate::{path}"), "crate::")
    }
}

pub fn check(root: &Path) -> Result<()> {
    let listings = root.join("listings");
    let mut drifted = Vec::new();
    for (original, copy, path) in COPIES {
        let read = |f: &str| std::fs::read_to_string(listings.join(f));
        let (a, b) = (read(original)?, read(copy)?);
        if body(&a, "") != body(&b, path) {
            drifted.push(format!("listings/{copy} differs from listings/{original}"));
        }
    }
    ensure!(
        drifted.is_empty(),
        "snapshot copies drifted from their originals (change both, or the copy's \
         opening comment only):\n{}",
        drifted.join("\n")
    );
    println!("{} snapshot copies match their originals", COPIES.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_opening_comment_and_the_module_path_may_differ() {
        let original = "//! Listing 10-2's proxy.\nuse crate::toxic::Toxic;\nfn f() {}";
        let copy = "//! A copy of Listing 10-2's proxy,\n//! for this folder.\nuse crate::faultproxy::toxic::Toxic;\nfn f() {}";
        assert_eq!(body(original, ""), body(copy, "faultproxy::"));
        let drifted = "//! A copy.\nuse crate::faultproxy::toxic::Toxic;\nfn f() { g() }";
        assert_ne!(body(original, ""), body(drifted, "faultproxy::"));
    }
}
