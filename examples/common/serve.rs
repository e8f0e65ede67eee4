//! Serving a service over HTTP/1.1 the way production needs it: slow or idle clients are
//! cut off, the number of connections is bounded, and SIGINT/SIGTERM drain the requests in
//! flight before the process exits.
//!
//! Shared by the HTTP examples with `#[path = "../common/serve.rs"] mod serve;`. Request
//! level limits (body size, handling time) are tower layers on the service itself.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How the server treats connections.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A request's headers must arrive within this time, counted from when the connection
    /// is ready for a request. It covers keep-alive connections waiting for their next
    /// request too, so it is also the idle timeout.
    pub header_read_timeout: Duration,
    /// At most this many open connections; further clients wait in the listen backlog
    /// until one closes. Keep it below the process's file-descriptor limit.
    pub max_connections: usize,
    /// On shutdown, how long to wait for requests in flight before giving up on them.
    pub drain_timeout: Duration,
}

impl Limits {
    /// The defaults (5 s headers/idle, 512 connections, 30 s drain), with `MAX_CONNECTIONS`
    /// from the environment when set.
    pub fn from_env() -> Result<Self, String> {
        let mut limits = Self {
            header_read_timeout: Duration::from_secs(5),
            max_connections: 512,
            drain_timeout: Duration::from_secs(30),
        };
        if let Ok(v) = std::env::var("MAX_CONNECTIONS") {
            limits.max_connections = v
                .trim()
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("MAX_CONNECTIONS: {v:?} is not a positive number"))?;
        }
        Ok(limits)
    }
}

/// Accepts connections on `listener` and serves `service` on each until `shutdown`
/// resolves; then stops accepting, lets every request in flight finish (closing idle
/// connections at once) and returns.
pub async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        // A free connection slot first, then a client: past the limit, clients queue in the
        // kernel's backlog rather than in this process's file descriptors.
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // the semaphore is never closed
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was
                    // accepted: keep serving, after a pause if the process is at its limit.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection =
            graceful.watch(http.serve_connection(TokioIo::new(stream), service.clone()));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Timeouts and clients that went away: routine, not worth a warning.
                tracing::debug!(error = %e, "connection closed with an error");
            }
            drop(permit);
        });
    }

    drop(listener);
    tracing::info!("no longer accepting connections; draining requests in flight");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(limits.drain_timeout) => {
            tracing::warn!("requests still in flight after {:?}; exiting anyway", limits.drain_timeout);
        }
    }
}
