//! A static file server for the built book. `cargo xtask serve` adds a
//! watcher and live reload: when a watched file changes, the book is built
//! again (by the command the xtask passes) and every open page reloads
//! (tower-livereload injects its script into the HTML pages).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::net::TcpListener;
use tower_http::services::ServeDir;
use tower_livereload::{LiveReloadLayer, Reloader};

/// The router that serves `dir` as it is.
pub fn static_router(dir: PathBuf) -> Router {
    Router::new().fallback_service(ServeDir::new(dir))
}

/// The router with its answers gzip-compressed for a browser that accepts
/// it (tower-http's defaults: not images, not tiny bodies), except fonts,
/// which WOFF2 already compresses. Gzip only: browsers offer Brotli and
/// zstd only over HTTPS, and the book is served on plain HTTP.
pub fn compressed(router: Router) -> Router {
    use tower_http::compression::{
        CompressionLayer, Predicate,
        predicate::{DefaultPredicate, NotForContentType},
    };
    let predicate = DefaultPredicate::new().and(NotForContentType::const_new("font/"));
    router.layer(CompressionLayer::new().compress_when(predicate))
}

/// Serves `dir` compressed, with live reload; runs `rebuild` (a program and
/// its arguments) after each burst of changes under `watch`.
pub async fn serve_with_reload(
    dir: PathBuf,
    port: u16,
    watch: Vec<PathBuf>,
    rebuild: Vec<String>,
) -> Result<()> {
    let livereload = LiveReloadLayer::new();
    let reloader = livereload.reloader();
    // Compression outside, so that the reload script goes into plain HTML.
    let app = compressed(static_router(dir).layer(livereload));
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    let watcher = std::thread::spawn(move || watch_and_rebuild(&watch, &rebuild, &reloader));
    println!("serving the book at http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    tokio::select! {
        served = axum::serve(listener, app).into_future() => served?,
        _ = tokio::signal::ctrl_c() => {}
        _ = tokio::task::spawn_blocking(move || watcher.join()) => bail!("the watcher stopped"),
    }
    Ok(())
}

/// How long the files must stay quiet before a rebuild: an editor's save,
/// or `git checkout`, is a burst of events.
const QUIET: Duration = Duration::from_millis(300);

fn watch_and_rebuild(paths: &[PathBuf], rebuild: &[String], reloader: &Reloader) -> Result<()> {
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx)?;
    for path in paths {
        watcher
            .watch(path, RecursiveMode::Recursive)
            .with_context(|| format!("cannot watch {}", path.display()))?;
    }
    let (program, args) = rebuild.split_first().context("no rebuild command")?;
    loop {
        // Wait for a change that matters, then for quiet.
        while !matters(&rx.recv()?) {}
        while rx.recv_timeout(QUIET).is_ok() {}
        println!("change detected: rebuilding");
        match Command::new(program).args(args).status() {
            Ok(s) if s.success() => reloader.reload(),
            Ok(s) => println!("build failed ({s}); the pages stay as they were"),
            Err(e) => println!("cannot run {program}: {e}"),
        }
        // What the build itself touched is not a change.
        while rx.try_recv().is_ok() {}
    }
}

/// A change of contents, outside what a build writes itself (target/, and
/// src/quiz/, where mdbook-quiz copies its assets on every build: watching
/// those would rebuild forever).
fn matters(event: &notify::Result<notify::Event>) -> bool {
    let Ok(event) = event else { return false };
    !matches!(event.kind, EventKind::Access(_)) && event.paths.iter().any(|p| !written_by_build(p))
}

fn written_by_build(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "target")
        || path.ancestors().any(|a| a.ends_with("src/quiz"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_what_builds_write() {
        assert!(written_by_build(Path::new("/r/src/quiz/quiz.js")));
        assert!(written_by_build(Path::new("/r/listings/a/target/x")));
        assert!(!written_by_build(Path::new("/r/src/ch01.md")));
    }
}
