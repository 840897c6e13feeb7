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
        "ch10-cluster/listing-10-02/src/registry.rs",
        "ch10-cluster/listing-10-03/src/faultproxy/registry.rs",
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
        "ch10-cluster/listing-10-02/src/registry.rs",
        "ch11-fault-tolerance/listing-11-03/src/faultproxy/registry.rs",
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
    (
        "ch12-load-balancing/listing-12-01/src/pick.rs",
        "ch12-load-balancing/listing-12-02/src/pick.rs",
        "",
    ),
    (
        "ch12-load-balancing/listing-12-01/src/ewma.rs",
        "ch12-load-balancing/listing-12-02/src/ewma.rs",
        "",
    ),
    (
        "ch12-load-balancing/listing-12-01/src/health.rs",
        "ch12-load-balancing/listing-12-02/src/health.rs",
        "",
    ),
    (
        "ch12-load-balancing/listing-12-01/src/client.rs",
        "ch12-load-balancing/listing-12-02/src/client.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-01/src/lib.rs",
        "ch12-load-balancing/listing-12-02/src/serve.rs",
        "",
    ),
    (
        "ch12-load-balancing/listing-12-01/src/bin/balance-replica.rs",
        "ch12-load-balancing/listing-12-02/src/bin/proxy-replica.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-02/src/registry.rs",
        "ch12-load-balancing/listing-12-02/src/faultproxy/registry.rs",
        "faultproxy::",
    ),
    (
        "ch10-cluster/listing-10-02/src/proxy.rs",
        "ch12-load-balancing/listing-12-02/src/faultproxy/proxy.rs",
        "faultproxy::",
    ),
    (
        "ch10-cluster/listing-10-02/src/toxic.rs",
        "ch12-load-balancing/listing-12-02/src/faultproxy/toxic.rs",
        "faultproxy::",
    ),
    // The copies' mod.rs (without the API) have one original among
    // themselves: Listing 10-2's lib.rs also declares and exports the API.
    (
        "ch10-cluster/listing-10-03/src/faultproxy/mod.rs",
        "ch11-fault-tolerance/listing-11-03/src/faultproxy/mod.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-03/src/faultproxy/mod.rs",
        "ch12-load-balancing/listing-12-02/src/faultproxy/mod.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-03/src/sim.rs",
        "ch10-cluster/listing-10-04/src/sim.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-03/src/history.rs",
        "ch11-fault-tolerance/listing-11-03/src/history.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-03/src/history.rs",
        "ch13-replication/listing-13-01/src/history.rs",
        "",
    ),
    // Chapter 13's figure, drawn by Listing 13-1 and checked by its tests.
    (
        "ch13-replication/listing-13-01/examples/stale-read.en.svg",
        "../src/img/ch13-stale-read.en.svg",
        "",
    ),
    (
        "ch13-replication/listing-13-01/examples/stale-read.zh-CN.svg",
        "../src/img/ch13-stale-read.zh-CN.svg",
        "",
    ),
    // Every program that starts processes starts them through this one.
    (
        "ch10-cluster/listing-10-01/src/bin/launcher/child.rs",
        "ch10-cluster/listing-10-03/src/child.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-01/src/bin/launcher/child.rs",
        "ch11-fault-tolerance/listing-11-03/src/child.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-01/src/bin/launcher/child.rs",
        "ch11-fault-tolerance/listing-11-05/src/child.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-01/src/bin/launcher/child.rs",
        "ch12-load-balancing/listing-12-02/src/child.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-01/src/bin/launcher/child.rs",
        "ch12-load-balancing/listing-12-01/tests/child/mod.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-03/tests/survivors/mod.rs",
        "ch11-fault-tolerance/listing-11-03/tests/survivors/mod.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-03/tests/survivors/mod.rs",
        "ch11-fault-tolerance/listing-11-05/tests/survivors/mod.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-03/tests/survivors/mod.rs",
        "ch12-load-balancing/listing-12-01/tests/survivors/mod.rs",
        "",
    ),
    (
        "ch10-cluster/listing-10-03/tests/survivors/mod.rs",
        "ch12-load-balancing/listing-12-02/tests/survivors/mod.rs",
        "",
    ),
];

/// The code of a module without its opening comment, with `crate::PATH`
/// read as `crate::`.
fn body(text: &str, path: &str) -> String {
    let code: Vec<&str> = text.lines().skip_while(|l| l.starts_with("//!")).collect();
    // A copied binary names its own crate: `listing_12_02::` for
    // `listing_12_01::`.
    let code = code.join("\n");
    let code = crate_names_as_one(&code);
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

/// `listing_NN_MM::` read as `listing::`, so that a binary copied into
/// another listing still matches its original.
fn crate_names_as_one(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(i) = rest.find("listing_") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + "listing_".len()..];
        let b = tail.as_bytes();
        let numbered = b.len() >= 7
            && b[..2].iter().all(u8::is_ascii_digit)
            && b[2] == b'_'
            && b[3..5].iter().all(u8::is_ascii_digit)
            && &tail[5..7] == "::";
        if numbered {
            out.push_str("listing::");
            rest = &tail[7..];
        } else {
            out.push_str("listing_");
            rest = tail;
        }
    }
    out.push_str(rest);
    out
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

    #[test]
    fn a_copied_binary_may_name_its_own_crate() {
        assert_eq!(
            crate_names_as_one("use listing_12_02::serve;\nlet listing_x = 1;"),
            "use listing::serve;\nlet listing_x = 1;"
        );
    }
}
