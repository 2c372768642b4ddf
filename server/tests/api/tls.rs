//! HTTPS through `listener::serve_tls` over real sockets, with a certificate
//! generated per test (rcgen) and rustls clients limited to one TLS version:
//! TLS 1.3 gets through, TLS 1.2 is refused when 1.3 is the minimum, plain
//! HTTP on the TLS port is dropped, a client that never says hello loses its
//! slot after the header timeout, and shutdown drains TLS connections.

use std::sync::Arc;
use std::time::Duration;

use mismatch_server::config::{TlsMinVersion, TlsSettings};
use mismatch_server::listener::{Limits, serve_tls};
use rustls::pki_types::ServerName;
use rustls::version::{TLS12, TLS13};
use rustls::{ClientConfig, ProtocolVersion, RootCertStore};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::support::TestApp;

struct TlsServer {
    addr: std::net::SocketAddr,
    /// The generated self-signed certificate, which clients trust.
    cert: rustls::pki_types::CertificateDer<'static>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    stopped: tokio::task::JoinHandle<()>,
    _files: tempfile::TempDir,
}

const LIMITS: Limits = Limits {
    header_timeout: Duration::from_secs(5),
    max_connections: 16,
    drain_timeout: Duration::from_secs(30),
};

async fn start(limits: Limits, min_version: TlsMinVersion) -> TlsServer {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let files = tempfile::tempdir().unwrap();
    let settings = TlsSettings {
        cert_path: files.path().join("cert.pem"),
        key_path: files.path().join("key.pem"),
        min_version,
    };
    std::fs::write(&settings.cert_path, generated.cert.pem()).unwrap();
    std::fs::write(&settings.key_path, generated.signing_key.serialize_pem()).unwrap();
    let acceptor = mismatch_server::tls::acceptor(&settings).unwrap();

    let app = TestApp::new(false).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let router = app.router.clone();
    let stopped = tokio::spawn(async move {
        let _app = app; // keeps the database alive while serving
        serve_tls(listener, router, limits, acceptor, async {
            let _ = stop_rx.await;
        })
        .await
        .unwrap();
    });
    TlsServer {
        addr,
        cert: generated.cert.der().clone(),
        stop: Some(stop),
        stopped,
        _files: files,
    }
}

/// A rustls client that speaks only `version` and trusts `server`'s certificate.
fn client(server: &TlsServer, version: &'static rustls::SupportedProtocolVersion) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    roots.add(server.cert.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn connect(
    server: &TlsServer,
    version: &'static rustls::SupportedProtocolVersion,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(server.addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        client(server, version).connect(name, tcp),
    )
    .await
    .expect("the handshake neither finished nor failed")
}

/// One response's head and body (by Content-Length), leaving the connection open.
async fn read_response(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&all).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("no response")
            .unwrap();
        assert!(
            n > 0,
            "closed mid-response: {}",
            String::from_utf8_lossy(&all)
        );
        all.extend_from_slice(&buf[..n]);
    }
}

/// Reads until the peer closes (or errors); `None` if it stays open for `wait`.
async fn closed_within(stream: &mut (impl AsyncRead + Unpin), wait: Duration) -> Option<Vec<u8>> {
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

const GET_LIVE: &[u8] = b"GET /health/live HTTP/1.1\r\nhost: localhost\r\n\r\n";

#[tokio::test]
async fn a_tls13_client_is_served_with_hsts() {
    let server = start(LIMITS, TlsMinVersion::Tls13).await;
    let mut stream = connect(&server, &TLS13).await.unwrap();
    assert_eq!(
        stream.get_ref().1.protocol_version(),
        Some(ProtocolVersion::TLSv1_3)
    );
    assert_eq!(
        stream.get_ref().1.alpn_protocol(),
        None,
        "the client offered no ALPN"
    );
    stream.write_all(GET_LIVE).await.unwrap();
    let response = read_response(&mut stream).await.to_ascii_lowercase();
    assert!(response.starts_with("http/1.1 200"), "{response}");
    assert!(
        response.contains("\r\nstrict-transport-security: max-age=31536000; includesubdomains\r\n"),
        "{response}"
    );
    assert!(
        response.contains("\r\nx-content-type-options: nosniff\r\n"),
        "{response}"
    );
    // Kept alive: a second request on the same TLS connection.
    stream.write_all(GET_LIVE).await.unwrap();
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn a_tls12_client_is_refused_when_13_is_the_minimum() {
    let strict = start(LIMITS, TlsMinVersion::Tls13).await;
    let err = connect(&strict, &TLS12)
        .await
        .expect_err("a TLS 1.2-only client got through a TLS 1.3 minimum");
    assert!(
        err.to_string().contains("ProtocolVersion"),
        "refused for the version, not something else: {err}"
    );
    // The same client is served when 1.2 is allowed, so the refusal above is
    // the minimum version at work.
    let lenient = start(LIMITS, TlsMinVersion::Tls12).await;
    let mut stream = connect(&lenient, &TLS12).await.unwrap();
    assert_eq!(
        stream.get_ref().1.protocol_version(),
        Some(ProtocolVersion::TLSv1_2)
    );
    stream.write_all(GET_LIVE).await.unwrap();
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    // And a 1.3-capable client still gets 1.3 there.
    let stream = connect(&lenient, &TLS13).await.unwrap();
    assert_eq!(
        stream.get_ref().1.protocol_version(),
        Some(ProtocolVersion::TLSv1_3)
    );
}

#[tokio::test]
async fn an_h2_only_client_is_refused_by_alpn() {
    let server = start(LIMITS, TlsMinVersion::Tls13).await;
    let mut roots = RootCertStore::empty();
    roots.add(server.cert.clone()).unwrap();
    let mut config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let err = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect_err("an h2-only client was accepted by an HTTP/1.1 server");
    assert!(err.to_string().contains("NoApplicationProtocol"), "{err}");
}

#[tokio::test]
async fn plain_http_on_the_tls_port_is_dropped_without_an_http_answer() {
    let server = start(LIMITS, TlsMinVersion::Tls13).await;
    let mut plain = TcpStream::connect(server.addr).await.unwrap();
    plain.write_all(GET_LIVE).await.unwrap();
    let got = closed_within(&mut plain, Duration::from_secs(3))
        .await
        .expect("a plain-HTTP request must be dropped at once, not held to the timeout");
    assert!(
        !got.starts_with(b"HTTP/"),
        "answered in plain HTTP: {}",
        String::from_utf8_lossy(&got)
    );
    // At most a TLS alert record (content type 21), nothing else.
    assert!(got.is_empty() || got[0] == 21, "{got:?}");
    // The server is unharmed.
    let mut stream = connect(&server, &TLS13).await.unwrap();
    stream.write_all(GET_LIVE).await.unwrap();
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn a_client_that_never_says_hello_loses_its_slot_after_the_header_timeout() {
    let server = start(
        Limits {
            header_timeout: Duration::from_secs(1),
            max_connections: 1,
            drain_timeout: Duration::from_secs(5),
        },
        TlsMinVersion::Tls13,
    )
    .await;
    // Takes the only slot and sends nothing.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = tokio::time::Instant::now();
    let waiting = tokio::spawn({
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let connector = client(&server, &TLS13);
        async move {
            connector
                .connect(ServerName::try_from("localhost").unwrap(), tcp)
                .await
        }
    });
    assert!(
        closed_within(&mut silent, Duration::from_secs(5))
            .await
            .is_some(),
        "a silent connection must be closed by the handshake timeout"
    );
    let mut stream = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the next client got the freed slot")
        .unwrap()
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "the second client was served while the cap was full"
    );
    stream.write_all(GET_LIVE).await.unwrap();
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn shutdown_drains_tls_connections() {
    let mut server = start(LIMITS, TlsMinVersion::Tls13).await;
    let mut idle = connect(&server, &TLS13).await.unwrap();
    idle.write_all(GET_LIVE).await.unwrap();
    assert!(read_response(&mut idle).await.starts_with("HTTP/1.1 200"));
    // One more mid-handshake: it must not hold shutdown past its header timeout.
    let _hello_pending = TcpStream::connect(server.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = tokio::time::Instant::now();
    server.stop.take().unwrap().send(()).unwrap();
    assert!(
        closed_within(&mut idle, Duration::from_secs(10))
            .await
            .is_some(),
        "the idle TLS connection is closed on shutdown"
    );
    tokio::time::timeout(Duration::from_secs(15), &mut server.stopped)
        .await
        .expect("serve_tls returned")
        .unwrap();
    assert!(
        started.elapsed() < LIMITS.drain_timeout,
        "shutdown waited for the drain timeout instead of draining"
    );
    assert!(
        TcpStream::connect(server.addr).await.is_err(),
        "still accepting"
    );
}

const BIN: &str = env!("CARGO_BIN_EXE_mismatch-server");

/// `mismatch-server serve` with `vars`; the child and what it printed.
fn spawn_binary(
    data_dir: &std::path::Path,
    vars: &[(&str, &std::path::Path)],
) -> std::process::Child {
    let mut cmd = std::process::Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MISMATCH_DATA_DIR", data_dir)
        .env("MISMATCH_BIND", "127.0.0.1:0")
        .env("MISMATCH_LOG", "warn")
        .arg("serve")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (name, value) in vars {
        cmd.env(name, value);
    }
    cmd.spawn().unwrap()
}

#[test]
fn the_binary_reports_bad_tls_files_by_variable() {
    let dir = tempfile::tempdir().unwrap();
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    let missing = dir.path().join("missing.pem");
    let cases: [(&[(&str, &std::path::Path)], &str); 3] = [
        (&[("MISMATCH_TLS_CERT", &cert)], "MISMATCH_TLS_KEY:"),
        (
            &[("MISMATCH_TLS_CERT", &missing), ("MISMATCH_TLS_KEY", &key)],
            "MISMATCH_TLS_CERT: ",
        ),
        (
            &[("MISMATCH_TLS_CERT", &cert), ("MISMATCH_TLS_KEY", &cert)],
            "MISMATCH_TLS_KEY: ",
        ),
    ];
    for (vars, expected) in cases {
        let out = spawn_binary(&dir.path().join("data"), vars)
            .wait_with_output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "started with {vars:?}");
        assert!(stderr.contains(expected), "{vars:?}: {stderr}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("listening"),
            "{vars:?}"
        );
    }
}

/// Kills the child when the test ends, passed or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_https_when_configured_and_refuses_tls12_by_default() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    let mut child = Killed(spawn_binary(
        &dir.path().join("data"),
        &[("MISMATCH_TLS_CERT", &cert), ("MISMATCH_TLS_KEY", &key)],
    ));
    let stdout = child.0.stdout.take().unwrap();
    let addr = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| {
                line.strip_prefix("listening on https://")
                    .map(str::to_owned)
            })
    })
    .await
    .unwrap()
    .expect("no 'listening on https://' line");
    let server = TlsServer {
        addr: addr.parse().unwrap(),
        cert: generated.cert.der().clone(),
        stop: None,
        stopped: tokio::spawn(async {}),
        _files: dir,
    };
    let mut stream = connect(&server, &TLS13).await.unwrap();
    stream.write_all(GET_LIVE).await.unwrap();
    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("\r\nstrict-transport-security: "),
        "{response}"
    );
    assert!(
        connect(&server, &TLS12).await.is_err(),
        "TLS 1.3 is the default minimum"
    );
}
