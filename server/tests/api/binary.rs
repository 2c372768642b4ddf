//! The `mismatch-server` binary: `openapi`, `keys create`, `serve` with the
//! first-start admin key, configuration errors, graceful shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mismatch-server");

fn command(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MISMATCH_DATA_DIR", data_dir)
        .env("MISMATCH_BIND", "127.0.0.1:0")
        .env("MISMATCH_LOG", "warn");
    cmd
}

struct Server {
    child: Child,
    addr: String,
    stdout_before_listen: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is handed to `Server`, whose Drop kills and waits for it.
#[allow(clippy::zombie_processes)]
fn start(mut cmd: Command) -> Server {
    let mut child = cmd
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || Instant::now() > deadline {
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            let _ = child.kill();
            let _ = child.wait();
            panic!("server exited before listening; stdout: {lines:?}; stderr: {err}");
        }
        if let Some(addr) = line.trim().strip_prefix("listening on http://") {
            return Server {
                child,
                addr: addr.to_owned(),
                stdout_before_listen: lines,
            };
        }
        lines.push(line.trim_end().to_owned());
    }
}

/// A minimal HTTP/1.1 GET; returns the status code.
fn get_status(addr: &str, path: &str, key: Option<&str>) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let auth = key
        .map(|k| format!("X-API-Key: {k}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn find_key(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .find(|w| w.starts_with("mm_") && mismatch_core::security::api_key::is_well_formed(w))
        .map(str::to_owned)
}

fn terminate(server: &mut Server) -> std::process::ExitStatus {
    let pid = server.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn openapi_subcommand_prints_the_spec() {
    let out = Command::new(BIN).arg("openapi").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        mismatch_server::openapi::spec_json()
    );
}

#[test]
fn first_start_prints_an_admin_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(command(dir.path()));
    let banner = server.stdout_before_listen.join("\n");
    let key = find_key(&banner).unwrap_or_else(|| panic!("no admin key in {banner:?}"));
    assert!(server.addr.starts_with("127.0.0.1:") && !server.addr.ends_with(":0"));
    assert_eq!(get_status(&server.addr, "/health/ready", None), 200);
    assert_eq!(get_status(&server.addr, "/v1/jobs", None), 401);
    assert_eq!(get_status(&server.addr, "/v1/jobs", Some(&key)), 200);
    assert!(terminate(&mut server).success());
    assert!(dir.path().join("mismatch.db").is_file());

    // Second start on the same data: no new key.
    let server = start(command(dir.path()));
    assert!(find_key(&server.stdout_before_listen.join("\n")).is_none());
    assert_eq!(get_status(&server.addr, "/v1/jobs", Some(&key)), 200);
}

#[test]
fn keys_create_then_serve_with_configured_admin_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .args([
            "keys",
            "create",
            "--role",
            "admin",
            "--name",
            "e2e-admin",
            "--scopes",
            "jobs:read,candidates:read",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = find_key(&String::from_utf8_lossy(&out.stdout)).expect("key printed");

    let mut cmd = command(dir.path());
    cmd.env("MISMATCH_ADMIN_API_KEY", &key);
    let server = start(cmd);
    // Already registered: nothing secret is printed.
    assert!(find_key(&server.stdout_before_listen.join("\n")).is_none());
    assert_eq!(get_status(&server.addr, "/v1/jobs", Some(&key)), 200);
    // The scopes given on the command line narrow the key.
    assert_eq!(get_status(&server.addr, "/v1/api-keys", Some(&key)), 403);

    // A configured key on an empty database becomes the admin key.
    let fresh = tempfile::tempdir().unwrap();
    let configured = mismatch_core::security::api_key::generate().unwrap().secret;
    let mut cmd = command(fresh.path());
    cmd.env("MISMATCH_ADMIN_API_KEY", &configured);
    let server = start(cmd);
    assert!(find_key(&server.stdout_before_listen.join("\n")).is_none());
    assert_eq!(
        get_status(&server.addr, "/v1/api-keys", Some(&configured)),
        200
    );
}

#[test]
fn invalid_configuration_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .env("MISMATCH_BIND", "not-an-address")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MISMATCH_BIND"));
    let out = command(dir.path())
        .env("MISMATCH_ADMIN_API_KEY", "mm_nope")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MISMATCH_ADMIN_API_KEY"));
    let out = command(dir.path())
        .env("MISMATCH_MATCH_WEIGHTS", "skills=lots")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MISMATCH_MATCH_WEIGHTS"));
}
