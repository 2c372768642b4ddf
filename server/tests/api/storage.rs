//! The storage layer on both backends, below the HTTP API.

use mismatch_core::resume::DocumentFormat;
use mismatch_core::security::{Role, Scope};
use mismatch_core::{EducationLevel, JobStatus, RemotePolicy, Seniority};
use mismatch_server::ids::{ApiKeyId, CandidateId, JobId, UserId};
use mismatch_server::storage::api_keys::{ApiKeyRecord, Rotated};
use mismatch_server::storage::candidates::{
    CandidateRecord, CandidateSummary, SkillRecord, SourceRecord,
};
use mismatch_server::storage::idempotency::IdempotencyRecord;
use mismatch_server::storage::jobs::{JobRecord, JobUpdate};
use mismatch_server::storage::users::UserRecord;
use mismatch_server::storage::{Storage, StorageError};

use crate::support::{fresh_storage, skip_postgres};

/// A well-formed id with a fixed number, so tests can predict the order.
fn ulid(n: u32) -> String {
    format!("{n:026}")
}
fn uid(n: u32) -> UserId {
    UserId::parse(&format!("usr_{}", ulid(n))).unwrap()
}
fn kid(n: u32) -> ApiKeyId {
    ApiKeyId::parse(&format!("key_{}", ulid(n))).unwrap()
}
fn cid(n: u32) -> CandidateId {
    CandidateId::parse(&format!("cand_{}", ulid(n))).unwrap()
}
fn jid(n: u32) -> JobId {
    JobId::parse(&format!("job_{}", ulid(n))).unwrap()
}

fn user(id: UserId) -> UserRecord {
    UserRecord::new(id, "Ops".into(), Role::Admin, 1_700_000_000_000)
}

fn key(id: ApiKeyId, user_id: UserId, hash: &str) -> ApiKeyRecord {
    ApiKeyRecord {
        id,
        user_id,
        name: "k".into(),
        prefix: "abcdefgh".into(),
        key_hash: hash.into(),
        role: Role::Recruiter,
        scopes: vec![Scope::JobsRead, Scope::JobsWrite],
        ttl_seconds: Some(3600),
        created_at: 1_700_000_000_000,
        expires_at: Some(1_700_003_600_000),
        revoked_at: None,
        revoked_reason: None,
        replaced_by: None,
        last_used_at: None,
        last_used_ip: None,
    }
}

fn candidate(id: CandidateId) -> CandidateRecord {
    CandidateRecord {
        summary: CandidateSummary {
            id,
            name: Some("Zoë Ünicode".into()),
            email: Some("z@example.com".into()),
            phone: None,
            location: Some("Zürich".into()),
            skills: vec![
                SkillRecord {
                    name: "Rust".into(),
                    years: Some(3.5),
                },
                SkillRecord {
                    name: "SQL".into(),
                    years: None,
                },
            ],
            years_experience: Some(6.25),
            seniority: Seniority::Senior,
            education: Some(EducationLevel::Master),
            languages: vec!["German".into(), "English".into()],
            salary_expectation: Some(4_000_000_000),
            source: Some(SourceRecord {
                filename: Some("cv.pdf".into()),
                content_type: Some("application/pdf".into()),
                format: DocumentFormat::Pdf,
            }),
            created_at: 1_700_000_000_123,
        },
        text: "line 1\nline 2 with 'quotes' and \"double\"".into(),
        file: None,
    }
}

fn job(id: JobId, status: JobStatus) -> JobRecord {
    JobRecord {
        id,
        title: "T".into(),
        company: None,
        description: "D".into(),
        required_skills: vec!["Rust".into()],
        nice_to_have_skills: vec![],
        seniority: None,
        min_years: 2.5,
        location: None,
        remote: RemotePolicy::Remote,
        salary_min: Some(1),
        salary_max: None,
        currency: "USD".into(),
        status,
        created_at: 1,
        updated_at: 2,
        version: 1,
    }
}

fn idem(hash: &str, user_id: UserId) -> IdempotencyRecord {
    IdempotencyRecord {
        key_hash: hash.into(),
        user_id,
        method: "POST".into(),
        path: "/v1/jobs".into(),
        body_sha256: "ab".into(),
        status: None,
        response_sealed: None,
        resource_id: None,
        created_at: 100,
    }
}

async fn suite(storage: Storage) {
    storage.ping().await.unwrap();
    storage.check_schema().await.unwrap();
    assert_eq!(storage.count_users().await.unwrap(), 0);

    // Users and keys.
    storage
        .insert_user_with_key(&user(uid(1)), &key(kid(1), uid(1), "h1"))
        .await
        .unwrap();
    assert_eq!(storage.count_users().await.unwrap(), 1);
    assert_eq!(storage.get_user(&uid(1)).await.unwrap(), Some(user(uid(1))));
    assert_eq!(
        storage.find_api_key_by_hash("h1").await.unwrap(),
        Some(key(kid(1), uid(1), "h1"))
    );
    assert_eq!(storage.find_api_key_by_hash("nope").await.unwrap(), None);
    // The hash is unique.
    assert!(
        storage
            .insert_api_key(&key(kid(2), uid(1), "h1"))
            .await
            .is_err()
    );
    let mut no_scopes = key(kid(2), uid(1), "h2");
    no_scopes.scopes.clear();
    no_scopes.ttl_seconds = None;
    no_scopes.expires_at = None;
    storage.insert_api_key(&no_scopes).await.unwrap();
    assert_eq!(
        storage.get_api_key(&kid(2)).await.unwrap(),
        Some(no_scopes.clone())
    );

    let page = storage.list_api_keys(Some(&uid(1)), None, 1).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, kid(2));
    assert_eq!(page.next_cursor.as_deref(), Some(kid(2).as_str()));
    let page = storage.list_api_keys(None, Some(&kid(2)), 1).await.unwrap();
    assert_eq!(page.items[0].id, kid(1));
    assert_eq!(page.next_cursor, None);
    assert!(
        storage
            .list_api_keys(Some(&uid(9)), None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    assert!(
        storage
            .touch_api_key(&kid(1), 5_000, Some("::1"), 0)
            .await
            .unwrap()
    );
    assert!(
        !storage
            .touch_api_key(&kid(1), 6_000, Some("::1"), 4_000)
            .await
            .unwrap()
    );
    let touched = storage.get_api_key(&kid(1)).await.unwrap().unwrap();
    assert_eq!(
        (touched.last_used_at, touched.last_used_ip.as_deref()),
        (Some(5_000), Some("::1"))
    );

    // Rotation with an overlap: the old key is marked replaced and expires
    // later, not revoked.
    assert_eq!(
        storage
            .rotate_api_key(&kid(1), &key(kid(3), uid(1), "h3"), Some(7_000), None)
            .await
            .unwrap(),
        Rotated::Done
    );
    let old = storage.get_api_key(&kid(1)).await.unwrap().unwrap();
    assert_eq!(
        (old.revoked_at, old.replaced_by.clone(), old.expires_at),
        (None, Some(kid(3)), Some(7_000))
    );
    // Rotating a rotated key does nothing, and its would-be successor is not stored.
    assert_eq!(
        storage
            .rotate_api_key(&kid(1), &key(kid(4), uid(1), "h4"), None, Some(8_000))
            .await
            .unwrap(),
        Rotated::NotActive
    );
    assert_eq!(storage.get_api_key(&kid(4)).await.unwrap(), None);
    assert!(storage.revoke_api_key(&kid(3), 9_000).await.unwrap());
    assert!(!storage.revoke_api_key(&kid(3), 9_500).await.unwrap());

    // Candidates round-trip every field; listings leave the text out.
    storage.insert_candidate(&candidate(cid(1))).await.unwrap();
    let mut bare = candidate(cid(2));
    bare.summary.source = None;
    bare.summary.education = None;
    bare.summary.years_experience = None;
    bare.summary.salary_expectation = None;
    storage.insert_candidate(&bare).await.unwrap();
    assert_eq!(
        storage.get_candidate(&cid(1)).await.unwrap(),
        Some(candidate(cid(1)))
    );
    assert_eq!(
        storage.get_candidate(&cid(2)).await.unwrap(),
        Some(bare.clone())
    );
    assert_eq!(storage.count_candidates().await.unwrap(), 2);
    let page = storage.list_candidates(None, 1).await.unwrap();
    assert_eq!(page.items[0], bare.summary);
    let cursor = CandidateId::parse(page.next_cursor.as_deref().unwrap()).unwrap();
    let page = storage.list_candidates(Some(&cursor), 1).await.unwrap();
    assert_eq!(page.items[0].id, cid(1));
    assert_eq!(page.next_cursor, None);
    let all: Vec<CandidateId> = storage
        .all_candidates()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.summary.id)
        .collect();
    assert_eq!(all, vec![cid(1), cid(2)]);

    // Deleting a candidate deletes the stored replays that describe it.
    let mut replay = idem("hash_c1", uid(1));
    assert!(storage.begin_idempotency(&replay).await.unwrap());
    storage
        .complete_idempotency("hash_c1", 201, "sealed", Some(cid(1).as_str()))
        .await
        .unwrap();
    replay.key_hash = "hash_other".into();
    assert!(storage.begin_idempotency(&replay).await.unwrap());
    assert!(storage.delete_candidate(&cid(1)).await.unwrap());
    assert!(!storage.delete_candidate(&cid(1)).await.unwrap());
    assert!(storage.get_idempotency("hash_c1").await.unwrap().is_none());
    assert!(
        storage
            .get_idempotency("hash_other")
            .await
            .unwrap()
            .is_some()
    );
    storage.delete_idempotency("hash_other").await.unwrap();

    // Jobs: updates name the version they read.
    storage
        .insert_job(&job(jid(1), JobStatus::Open))
        .await
        .unwrap();
    storage
        .insert_job(&job(jid(2), JobStatus::Closed))
        .await
        .unwrap();
    assert_eq!(
        storage.get_job(&jid(1)).await.unwrap(),
        Some(job(jid(1), JobStatus::Open))
    );
    let open = storage
        .list_jobs(Some(JobStatus::Open), None, 10)
        .await
        .unwrap();
    assert_eq!(
        open.items.iter().map(|j| j.id.clone()).collect::<Vec<_>>(),
        vec![jid(1)]
    );
    assert_eq!(
        storage.list_jobs(None, None, 10).await.unwrap().items.len(),
        2
    );
    let mut changed = job(jid(1), JobStatus::Closed);
    changed.company = Some("Acme".into());
    changed.updated_at = 3;
    changed.version = 2;
    assert_eq!(
        storage.update_job(&changed, 1).await.unwrap(),
        JobUpdate::Updated
    );
    assert_eq!(
        storage.get_job(&jid(1)).await.unwrap(),
        Some(changed.clone())
    );
    // A second writer that read version 1 loses, and changes nothing.
    let mut stale = job(jid(1), JobStatus::Open);
    stale.version = 2;
    assert_eq!(
        storage.update_job(&stale, 1).await.unwrap(),
        JobUpdate::VersionMismatch
    );
    assert_eq!(storage.get_job(&jid(1)).await.unwrap(), Some(changed));
    assert!(storage.open_jobs().await.unwrap().is_empty());
    assert_eq!(
        storage
            .update_job(&job(jid(9), JobStatus::Open), 1)
            .await
            .unwrap(),
        JobUpdate::Missing
    );
    assert!(storage.delete_job(&jid(2)).await.unwrap());

    // Idempotency records: one claim wins.
    let rec = idem("k1hash", uid(1));
    assert!(storage.begin_idempotency(&rec).await.unwrap());
    assert!(!storage.begin_idempotency(&rec).await.unwrap());
    storage
        .complete_idempotency("k1hash", 201, "c2VhbGVk", Some("job_x"))
        .await
        .unwrap();
    let got = storage.get_idempotency("k1hash").await.unwrap().unwrap();
    assert_eq!(got.status, Some(201));
    assert_eq!(got.response_sealed.as_deref(), Some("c2VhbGVk"));
    assert_eq!(storage.forget_replays_of("job_x").await.unwrap(), 1);
    assert!(storage.begin_idempotency(&rec).await.unwrap());
    assert_eq!(storage.prune_idempotency(100).await.unwrap(), 0);
    assert_eq!(storage.prune_idempotency(101).await.unwrap(), 1);
    assert!(storage.get_idempotency("k1hash").await.unwrap().is_none());
    storage.close().await;
}

#[tokio::test]
async fn storage_suite_sqlite() {
    let (storage, _guard) = fresh_storage(false).await;
    suite(storage).await;
}

#[tokio::test]
async fn storage_suite_postgres() {
    if skip_postgres() {
        eprintln!("skipping PostgreSQL storage suite: MISMATCH_SKIP_POSTGRES=1");
        return;
    }
    let (storage, _guard) = fresh_storage(true).await;
    suite(storage).await;
}

#[tokio::test]
async fn unknown_stored_values_are_errors_not_defaults() {
    use sqlx::{Connection, Executor};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let target = mismatch_server::storage::StorageTarget::SqliteDir(data.clone());
    let s = Storage::open(&target)
        .await
        .unwrap()
        .with_crypto(std::sync::Arc::new(
            mismatch_server::storage::encryption::FieldCrypto::ephemeral(),
        ));
    s.insert_user_with_key(&user(uid(1)), &key(kid(1), uid(1), "h1"))
        .await
        .unwrap();
    s.insert_job(&job(jid(1), JobStatus::Open)).await.unwrap();
    s.insert_candidate(&candidate(cid(1))).await.unwrap();
    let url = format!("sqlite://{}", data.join("mismatch.db").display());
    let mut raw = sqlx::AnyConnection::connect(&url).await.unwrap();
    for sql in [
        "UPDATE users SET role = 'owner'",
        "UPDATE api_keys SET scopes = 'jobs:read,jobs:delete'",
        "UPDATE jobs SET remote = 'moon'",
        "UPDATE candidates SET seniority = 'wizard'",
    ] {
        raw.execute(sql).await.unwrap();
    }
    raw.close().await.unwrap();
    let corrupt = |r: Result<(), StorageError>, what: &str| match r {
        Err(StorageError::Corrupt(m)) => assert!(m.contains(what), "{m}"),
        other => panic!("expected corrupt {what}, got {other:?}"),
    };
    corrupt(s.get_user(&uid(1)).await.map(|_| ()), "owner");
    corrupt(s.get_api_key(&kid(1)).await.map(|_| ()), "jobs:delete");
    corrupt(s.get_job(&jid(1)).await.map(|_| ()), "moon");
    corrupt(s.get_candidate(&cid(1)).await.map(|_| ()), "wizard");
    s.close().await;
}
#[tokio::test]
async fn migrations_are_idempotent_and_create_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let target = mismatch_server::storage::StorageTarget::SqliteDir(data.clone());
    let s = Storage::open(&target).await.unwrap();
    s.insert_user_with_key(&user(uid(1)), &key(kid(1), uid(1), "h1"))
        .await
        .unwrap();
    s.close().await;
    assert!(data.join("mismatch.db").is_file());
    let s = Storage::open(&target).await.unwrap();
    assert_eq!(s.count_users().await.unwrap(), 1);
    s.close().await;
}
