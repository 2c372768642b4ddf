//! The listener's connection limits, over real sockets: idle connections
//! are closed after the header timeout, and the connection cap makes extra
//! connections wait instead of piling up.

use std::time::Duration;

use mismatch_server::listener::{Limits, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::TestApp;

async fn start(limits: Limits) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let app = TestApp::new(false).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = app.router.clone();
    tokio::spawn(async move {
        let _app = app; // keeps the database alive while serving
        serve(listener, router, limits, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop)
}

/// Reads until the peer closes; `None` if it stays open for `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(all),
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
        }
    }
}

const GET_LIVE: &[u8] = b"GET /health/live HTTP/1.1\r\nhost: x\r\n\r\n";

#[tokio::test]
async fn idle_connections_are_closed_after_the_header_timeout() {
    let (addr, _stop) = start(Limits {
        header_timeout: Duration::from_secs(1),
        max_connections: 16,
        drain_timeout: Duration::from_secs(1),
    })
    .await;
    // A connection that never sends anything.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    assert!(
        closed_within(&mut silent, Duration::from_secs(10))
            .await
            .is_some(),
        "a silent connection must be closed"
    );
    // A kept-alive connection that goes idle after one request.
    let mut kept = TcpStream::connect(addr).await.unwrap();
    kept.write_all(GET_LIVE).await.unwrap();
    let got = closed_within(&mut kept, Duration::from_secs(10))
        .await
        .expect("an idle kept-alive connection must be closed");
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&got)
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let (addr, _stop) = start(Limits {
        header_timeout: Duration::from_secs(30),
        max_connections: 1,
        drain_timeout: Duration::from_secs(1),
    })
    .await;
    let holder = TcpStream::connect(addr).await.unwrap();
    // Let the server take the holder's slot.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut waiting = TcpStream::connect(addr).await.unwrap();
    waiting.write_all(GET_LIVE).await.unwrap();
    let mut buf = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(500), waiting.read(&mut buf))
            .await
            .is_err(),
        "served beyond the cap"
    );
    drop(holder);
    let n = tokio::time::timeout(Duration::from_secs(10), waiting.read(&mut buf))
        .await
        .expect("served once a slot is free")
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
}
