//! The HTTP listener: accepts connections and serves the app on each, with
//! the limits `axum::serve` does not set.
//!
//! - **Header timeout.** A connection has `header_timeout_secs` to send a
//!   request's headers. hyper starts that clock whenever it waits for a
//!   request head, so it also closes kept-alive connections that stay idle
//!   (axum's `serve` sets no timer, so idle sockets were kept forever).
//! - **Connection cap.** At most `max_connections` are served at once;
//!   further ones wait in the kernel's listen backlog until one closes,
//!   instead of each taking a task and buffers.
//! - **Graceful shutdown.** On the signal, no new connection is accepted and
//!   open ones finish their in-flight requests (bounded by the request
//!   timeout) before the server returns.
//!
//! - **TLS** (`serve_tls`). The handshake runs in the connection's task,
//!   holding its slot, and must finish within `header_timeout` too, so a
//!   client that connects and never says hello cannot keep a slot. Requests
//!   served over TLS carry the [`ServedOverTls`] extension (HSTS depends on it).
//!
//! HTTP/1.1 only: HTTP/2 is terminated by the ingress in front of the
//! server, and an idle HTTP/2 connection would escape the header timeout.
//! Over TLS, ALPN offers only `http/1.1`.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
    /// How long shutdown waits for open connections.
    pub drain_timeout: Duration,
}

/// Marks a request that arrived over TLS (a request extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedOverTls;

/// Serves `app` over plain HTTP on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    accept_loop(listener, app, limits, None, shutdown).await
}

/// Serves `app` over HTTPS: each connection's TLS handshake through `tls`
/// (see [`crate::tls::acceptor`]), then as [`serve`] does.
pub async fn serve_tls(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: TlsAcceptor,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    accept_loop(listener, app, limits, Some(tls), shutdown).await
}

async fn accept_loop(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder = builder.http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(err) => {
                    // Out of file descriptors and the like: pause rather
                    // than spin, then keep serving.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // Taken now, before any shutdown signal, so a connection still in
        // its TLS handshake when the signal comes is drained like the others.
        let watcher = graceful.watcher();
        let (builder, app, tls) = (Arc::clone(&builder), app.clone(), tls.clone());
        let handshake_timeout = limits.header_timeout;
        tokio::spawn(async move {
            match tls {
                None => serve_connection(&builder, stream, app, peer, None, watcher).await,
                Some(tls) => {
                    match tokio::time::timeout(handshake_timeout, tls.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            let tls = Some(ServedOverTls);
                            serve_connection(&builder, stream, app, peer, tls, watcher).await;
                        }
                        Ok(Err(err)) => {
                            tracing::debug!(%peer, error = %err, "TLS handshake failed");
                        }
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.drain_timeout) => {
            tracing::warn!("connections still open after the drain timeout; closing");
        }
    }
    Ok(())
}

/// Serves one connection (plain or TLS) until it closes or drains.
async fn serve_connection<I>(
    builder: &Builder<TokioExecutor>,
    io: I,
    app: Router,
    peer: SocketAddr,
    tls: Option<ServedOverTls>,
    watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = app
        .map_request(move |mut request: axum::http::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            if let Some(tls) = tls {
                request.extensions_mut().insert(tls);
            }
            request
        })
        .map_err(|never: Infallible| match never {});
    let connection = builder
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(service))
        .into_owned();
    if let Err(err) = watcher.watch(connection).await {
        tracing::debug!(%peer, error = %err, "connection ended with an error");
    }
}
