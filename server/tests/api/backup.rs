//! Restore drill through the real binary: a server takes writes from several
//! threads while `mismatch-server backup --encrypt` runs; then the server is
//! stopped, the database destroyed, bad archives and passphrases are
//! refused without changing anything, the good archive is restored, and a
//! new server reads back every candidate that existed before the backup
//! began. The restored audit chain holds every event committed before the
//! backup began, is a prefix of the live chain, and `mismatch-server audit
//! verify` passes on it — and fails once an event is altered behind the
//! disabled append-only trigger. On SQLite and on PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{self, DbGuard};

const BIN: &str = env!("CARGO_BIN_EXE_mismatch-server");
const PASSPHRASE: &str = "drill passphrase 7f3a9c";

/// Where the server keeps its data: a SQLite data directory, or PostgreSQL
/// (the data directory then holds only keys).
struct Target {
    data_dir: PathBuf,
    database_url: Option<String>,
    encryption_keys: String,
}

impl Target {
    fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MISMATCH_DATA_DIR", &self.data_dir)
            .env("MISMATCH_BIND", "127.0.0.1:0")
            .env("MISMATCH_LOG", "info,sqlx=warn")
            // Several writer threads on one address and one key.
            .env("MISMATCH_RATE_LIMIT_PER_MINUTE", "0")
            .env("MISMATCH_PRINCIPAL_RATE_LIMIT_PER_MINUTE", "0")
            .env("MISMATCH_ENCRYPTION_KEYS", &self.encryption_keys);
        if let Some(url) = &self.database_url {
            cmd.env("DATABASE_URL", url);
        }
        cmd
    }

    fn run(&self, args: &[&str], passphrase: Option<&str>) -> Output {
        let mut cmd = self.command();
        cmd.args(args);
        if let Some(p) = passphrase {
            cmd.env("MISMATCH_BACKUP_PASSPHRASE", p);
        }
        cmd.output().unwrap()
    }
}

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is handed to `Server`, whose Drop kills and waits for it.
#[allow(clippy::zombie_processes)]
fn start(target: &Target) -> (Server, Option<String>) {
    let mut child = target
        .command()
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut key = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("server exited before listening");
        }
        if let Some(addr) = line.trim().strip_prefix("listening on http://") {
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
            return (
                Server {
                    child,
                    addr: addr.to_owned(),
                },
                key,
            );
        }
        if key.is_none() {
            key = line
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .find(|w| w.starts_with("mm_") && w.len() > 20)
                .map(str::to_owned);
        }
    }
}

fn stop(mut server: Server) {
    let pid = server.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One HTTP/1.1 request on a new connection; returns status and JSON body.
fn http(addr: &str, method: &str, path: &str, key: &str, body: Option<&Value>) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nX-API-Key: {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[derive(Debug, Clone)]
struct Created {
    name: String,
    email: String,
    done_at: Instant,
}

fn create_candidate(addr: &str, key: &str, n: usize) -> (String, Created) {
    let name = format!("Drill Person {n}");
    let email = format!("drill.person.{n}@example.org");
    // A few KiB per candidate, so the database spans many pages and the
    // paced copy takes many steps.
    let text = format!(
        "{name}\nSenior Rust engineer, 7 years of PostgreSQL, Kubernetes and Python. {}",
        "Built payment systems and data pipelines at scale. ".repeat(60)
    );
    let body = json!({ "text": text, "name": name, "email": email });
    let (status, answer) = http(addr, "POST", "/v1/candidates", key, Some(&body));
    assert_eq!(status, 201, "{answer}");
    let id = answer["id"].as_str().unwrap().to_owned();
    (
        id,
        Created {
            name,
            email,
            done_at: Instant::now(),
        },
    )
}

fn list_ids(addr: &str, key: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/candidates?limit=100&cursor={c}"),
            None => "/v1/candidates?limit=100".to_owned(),
        };
        let (status, page) = http(addr, "GET", &path, key, None);
        assert_eq!(status, 200, "{page}");
        for item in page["items"].as_array().unwrap() {
            ids.insert(item["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return ids,
        }
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The archive with the manifest changed by `edit` (the payload kept as is).
fn rewrite_manifest(archive: &Path, dest: &Path, edit: impl FnOnce(&mut Value)) {
    let mut input = tar::Archive::new(std::fs::File::open(archive).unwrap());
    let mut builder = tar::Builder::new(std::fs::File::create(dest).unwrap());
    let mut edit = Some(edit);
    for entry in input.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name.as_os_str() == "manifest.json" {
            let mut manifest: Value = serde_json::from_slice(&data).unwrap();
            (edit.take().unwrap())(&mut manifest);
            data = serde_json::to_vec(&manifest).unwrap();
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        builder
            .append_data(&mut header, &name, data.as_slice())
            .unwrap();
    }
    builder.finish().unwrap();
}

fn fernet_key() -> String {
    use base64::Engine;
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).unwrap();
    base64::engine::general_purpose::URL_SAFE.encode(key)
}

/// A raw connection to the target's database, as an attacker or an
/// operator with database access has.
async fn connect(target: &Target) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let url = match &target.database_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", target.data_dir.join("mismatch.db").display()),
    };
    sqlx::AnyConnection::connect(&url).await.unwrap()
}

/// `(seq, hash)` of every audit event, in chain order.
async fn audit_chain(target: &Target) -> Vec<(i64, String)> {
    use sqlx::Connection;
    let mut conn = connect(target).await;
    let chain = sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    chain
}

/// Runs `audit verify` on the target; answers its exit code and output.
fn audit_verify(target: &Target) -> (Option<i32>, String) {
    let out = target.run(&["audit", "verify"], None);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    (out.status.code(), text.trim().to_owned())
}

/// Tables left in the PostgreSQL database (0 once destroyed).
fn pg_tables(url: &str) -> i64 {
    let out = Command::new("psql")
        .args([
            url,
            "-Atc",
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn drill(postgres: bool) {
    let work = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let guard: Option<DbGuard> = postgres.then(|| {
        runtime.block_on(async {
            let (storage, guard) = support::fresh_storage(true).await;
            storage.close().await;
            guard
        })
    });
    let target = Target {
        data_dir: work.path().join("data"),
        database_url: guard.as_ref().map(DbGuard::url),
        encryption_keys: fernet_key(),
    };
    let db_file = target.data_dir.join("mismatch.db");

    let (server, key) = start(&target);
    let key = Arc::new(key.expect("first start prints the admin key"));
    let addr = Arc::new(server.addr.clone());
    let mut created: BTreeMap<String, Created> = BTreeMap::new();
    for n in 0..150 {
        let (id, c) = create_candidate(&addr, &key, n);
        created.insert(id, c);
    }

    // Writers keep creating candidates while the backup runs.
    let stop_writers = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (addr, key, stop_writers) = (addr.clone(), key.clone(), stop_writers.clone());
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                let mut n = 1000 * (w + 1);
                while !stop_writers.load(Ordering::Relaxed) {
                    mine.push(create_candidate(&addr, &key, n));
                    n += 1;
                }
                mine
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // The newest audit event now: listing flushes the server's queue first,
    // so it and every event before it are committed before the backup
    // begins and must be in the archive.
    let (status, page) = http(&addr, "GET", "/v1/audit-events?limit=1", &key, None);
    assert_eq!(status, 200, "{page}");
    let newest = &page["items"][0];
    let audited_before = (
        newest["seq"].as_i64().unwrap(),
        newest["hash"].as_str().unwrap().to_owned(),
    );
    let archive = work.path().join("drill.tar");
    let archive_arg = archive.to_str().unwrap();
    let backup_started = Instant::now();
    let out = target.run(
        &[
            "backup",
            "--output",
            archive_arg,
            "--encrypt",
            "--pages-per-step",
            "4",
            "--step-pause-ms",
            "2",
        ],
        Some(PASSPHRASE),
    );
    let backup_finished = Instant::now();
    assert!(out.status.success(), "backup failed: {}", stderr(&out));
    eprintln!(
        "backup: {}{}",
        String::from_utf8_lossy(&out.stdout).trim(),
        stderr(&out)
            .lines()
            .find(|l| l.contains("online backup copied"))
            .map(|l| format!("; {l}"))
            .unwrap_or_default()
    );
    std::thread::sleep(Duration::from_millis(200));
    stop_writers.store(true, Ordering::Relaxed);
    for writer in writers {
        created.extend(writer.join().unwrap());
    }
    let during = created
        .values()
        .filter(|c| c.done_at > backup_started && c.done_at < backup_finished)
        .count();
    assert!(during > 0, "no write completed while the backup ran");
    let before: BTreeSet<String> = created
        .iter()
        .filter(|(_, c)| c.done_at < backup_started)
        .map(|(id, _)| id.clone())
        .collect();

    // A second backup is refused rather than overwriting the first.
    let out = target.run(&["backup", "--output", archive_arg], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));

    // Restore refuses while the server still uses the database.
    let out = target.run(&["restore", "--input", archive_arg], Some(PASSPHRASE));
    assert!(!out.status.success());
    let msg = stderr(&out);
    assert!(
        msg.contains("in use") || msg.contains("other session"),
        "{msg}"
    );
    let (status, _) = http(&addr, "GET", "/v1/candidates?limit=1", &key, None);
    assert_eq!(
        status, 200,
        "the refused restore disturbed the running server"
    );
    stop(server);
    let live_chain = runtime.block_on(audit_chain(&target));

    // Destroy the data.
    match &target.database_url {
        None => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", db_file.display()));
            }
        }
        Some(url) => {
            let out = Command::new("psql")
                .args([
                    url.as_str(),
                    "-qc",
                    "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
                ])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        }
    }
    let destroyed = |target: &Target| match &target.database_url {
        None => !db_file.exists(),
        Some(url) => pg_tables(url) == 0,
    };
    assert!(destroyed(&target));

    // Bad archives and passphrases: refused, non-zero, nothing changed.
    let bytes = std::fs::read(&archive).unwrap();
    let flipped_payload = work.path().join("flipped-payload.tar");
    let mut b = bytes.clone();
    let middle = 1024 + (b.len() - 2048) / 2;
    b[middle] ^= 0x01;
    std::fs::write(&flipped_payload, b).unwrap();
    let flipped_manifest = work.path().join("flipped-manifest.tar");
    let mut b = bytes.clone();
    // The manifest's JSON starts after its 512-byte header.
    b[512 + 30] ^= 0x20;
    std::fs::write(&flipped_manifest, b).unwrap();
    let truncated = work.path().join("truncated.tar");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let newer = work.path().join("newer-schema.tar");
    rewrite_manifest(&archive, &newer, |m| {
        let v = m["schema_version"].as_i64().unwrap();
        m["schema_version"] = json!(v + 1_000_000);
    });
    // A manifest still valid JSON, with a value changed.
    let edited = work.path().join("edited-manifest.tar");
    rewrite_manifest(&archive, &edited, |m| {
        m["created_at"] = json!("2000-01-01T00:00:00Z");
    });
    let cases: [(&Path, Option<&str>, &str); 7] = [
        (&edited, Some(PASSPHRASE), "SHA256SUMS does not match"),
        (&archive, None, "MISMATCH_BACKUP_PASSPHRASE"),
        (
            &archive,
            Some("not the drill passphrase"),
            "wrong passphrase",
        ),
        (&flipped_payload, Some(PASSPHRASE), "corrupt"),
        (&flipped_manifest, Some(PASSPHRASE), "corrupt"),
        (&truncated, Some(PASSPHRASE), "corrupt or truncated"),
        (&newer, Some(PASSPHRASE), "newer than this server"),
    ];
    for (file, passphrase, expected) in cases {
        let out = target.run(&["restore", "--input", file.to_str().unwrap()], passphrase);
        let msg = stderr(&out);
        assert!(!out.status.success(), "{} was restored", file.display());
        assert!(msg.contains(expected), "{}: {msg}", file.display());
        assert!(msg.contains("nothing was changed"), "{msg}");
        assert!(
            destroyed(&target),
            "{} changed the database",
            file.display()
        );
    }
    // An archive of the other backend.
    let other = Target {
        data_dir: work.path().join("other-data"),
        database_url: match &target.database_url {
            None => Some("postgres://postgres@127.0.0.1:5432/no_such_database".to_owned()),
            Some(_) => None,
        },
        encryption_keys: target.encryption_keys.clone(),
    };
    let out = other.run(&["restore", "--input", archive_arg], Some(PASSPHRASE));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("this server is configured for"),
        "{}",
        stderr(&out)
    );
    assert!(
        !other.data_dir.exists(),
        "a refused restore left a data directory"
    );

    // The real restore.
    let restore_started = Instant::now();
    let out = target.run(&["restore", "--input", archive_arg], Some(PASSPHRASE));
    assert!(out.status.success(), "restore failed: {}", stderr(&out));
    eprintln!(
        "restore: {} in {:?}",
        String::from_utf8_lossy(&out.stdout).trim(),
        restore_started.elapsed()
    );
    assert!(!destroyed(&target));
    let restored_chain = runtime.block_on(audit_chain(&target));
    assert!(
        live_chain.starts_with(&restored_chain),
        "the restored audit chain is not a prefix of the live one"
    );
    let at = usize::try_from(audited_before.0 - 1).unwrap();
    assert_eq!(
        restored_chain.get(at),
        Some(&audited_before),
        "an audit event committed before the backup began is lost"
    );
    eprintln!(
        "audit: {} events committed before the backup began, {} restored, {} in the live log",
        audited_before.0,
        restored_chain.len(),
        live_chain.len()
    );

    let (server, new_key) = start(&target);
    assert!(new_key.is_none(), "the restored database has its admin");
    let restored = list_ids(&server.addr, &key);
    for id in &before {
        assert!(
            restored.contains(id),
            "{id} existed before the backup and is lost"
        );
        let (status, candidate) = http(
            &server.addr,
            "GET",
            &format!("/v1/candidates/{id}"),
            &key,
            None,
        );
        assert_eq!(status, 200, "{candidate}");
        assert_eq!(candidate["name"], json!(created[id].name));
        assert_eq!(candidate["email"], json!(created[id].email));
    }
    let unknown: Vec<_> = restored
        .iter()
        .filter(|id| !created.contains_key(*id))
        .collect();
    assert!(
        unknown.is_empty(),
        "restored candidates never created: {unknown:?}"
    );
    eprintln!(
        "restored {} candidates: {} created before the backup began, {during} while it ran, \
         {} by the end of the load",
        restored.len(),
        before.len(),
        created.len()
    );
    // The restored server takes writes again.
    create_candidate(&server.addr, &key, 99_999);
    stop(server);

    // The chain verifies over the restored events and the restarted
    // server's new ones, and the count it reports is every row.
    let chain = runtime.block_on(audit_chain(&target));
    assert!(chain.len() > restored_chain.len() && chain.starts_with(&restored_chain));
    let (code, text) = audit_verify(&target);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        text,
        format!("audit log intact: {} event(s) verified", chain.len())
    );
    // An attacker disables the append-only guard and edits an event from
    // before the backup: verify now fails, so the drill would too.
    runtime.block_on(async {
        use sqlx::{Connection, Executor};
        let mut conn = connect(&target).await;
        let disable = match &target.database_url {
            Some(_) => "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
            None => "DROP TRIGGER audit_events_no_update",
        };
        conn.execute(disable).await.unwrap();
        sqlx::query("UPDATE audit_events SET details = '{\"tampered\":true}' WHERE seq = $1")
            .bind(audited_before.0)
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
    let (code, text) = audit_verify(&target);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!("event {} was modified", audited_before.0)),
        "{text}"
    );
    drop(guard);
}

#[test]
fn restore_drill_sqlite() {
    drill(false);
}

#[test]
fn restore_drill_postgres() {
    if support::skip_postgres() {
        return;
    }
    drill(true);
}
