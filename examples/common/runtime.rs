//! What every example does around its server: a log subscriber and the shutdown signal.
//!
//! Shared by the examples with `#[path = "../common/runtime.rs"] mod runtime;`.

use std::future::Future;

use tracing_subscriber::EnvFilter;

/// Installs a `tracing` subscriber that writes to stderr, filtered by `RUST_LOG`
/// (default `info`), so that the warnings of the crate (a Redis store without AOF, ...) and
/// of the app reach the operator.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
///
/// The handlers are installed when this is called, not when the future is first polled, so
/// a signal that arrives while the server starts up is not lost (nor kills the process).
#[cfg(unix)]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};

    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        let (mut interrupt, mut terminate) = match (interrupt, terminate) {
            (Ok(i), Ok(t)) => (i, t),
            (Err(e), _) | (_, Err(e)) => {
                // Without the handlers the default action (exit) still applies.
                tracing::warn!(error = %e, "cannot listen for SIGINT/SIGTERM");
                return std::future::pending().await;
            }
        };
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received, shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
        }
    }
}

/// Resolves on the first Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            return std::future::pending().await;
        }
        tracing::info!("Ctrl-C received, shutting down");
    }
}
