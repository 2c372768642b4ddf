//! The storage layer on both backends, below the HTTP API.

use mismatch_server::storage::{
    ApiKeyRecord, CandidateRecord, IdempotencyRecord, JobRecord, SkillRecord, SourceRecord,
    Storage, UserRecord,
};

use crate::support::{fresh_storage, skip_postgres};

fn user(id: &str) -> UserRecord {
    UserRecord {
        id: id.into(),
        name: "Ops".into(),
        role: "admin".into(),
        created_at: 1_700_000_000_000,
    }
}

fn key(id: &str, user_id: &str, hash: &str) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.into(),
        user_id: user_id.into(),
        name: "k".into(),
        prefix: "abcdefgh".into(),
        key_hash: hash.into(),
        role: "recruiter".into(),
        scopes: vec!["jobs:read".into(), "jobs:write".into()],
        ttl_seconds: Some(3600),
        created_at: 1_700_000_000_000,
        expires_at: Some(1_700_003_600_000),
        revoked_at: None,
        replaced_by: None,
        last_used_at: None,
        last_used_ip: None,
    }
}

fn candidate(id: &str) -> CandidateRecord {
    CandidateRecord {
        id: id.into(),
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
        seniority: "senior".into(),
        education: Some("master".into()),
        languages: vec!["German".into(), "English".into()],
        salary_expectation: Some(4_000_000_000),
        source: Some(SourceRecord {
            filename: Some("cv.pdf".into()),
            content_type: Some("application/pdf".into()),
            format: "pdf".into(),
        }),
        text: "line 1\nline 2 with 'quotes' and \"double\"".into(),
        created_at: 1_700_000_000_123,
    }
}

fn job(id: &str, status: &str) -> JobRecord {
    JobRecord {
        id: id.into(),
        title: "T".into(),
        company: None,
        description: "D".into(),
        required_skills: vec!["Rust".into()],
        nice_to_have_skills: vec![],
        seniority: None,
        min_years: 2.5,
        location: None,
        remote: "remote".into(),
        salary_min: Some(1),
        salary_max: None,
        currency: "USD".into(),
        status: status.into(),
        created_at: 1,
        updated_at: 2,
    }
}

async fn suite(storage: Storage) {
    storage.ping().await.unwrap();
    assert_eq!(storage.count_users().await.unwrap(), 0);

    // Users and keys.
    storage
        .insert_user_with_key(&user("usr_1"), &key("key_1", "usr_1", "h1"))
        .await
        .unwrap();
    assert_eq!(storage.count_users().await.unwrap(), 1);
    assert_eq!(
        storage.get_user("usr_1").await.unwrap(),
        Some(user("usr_1"))
    );
    assert_eq!(
        storage.find_api_key_by_hash("h1").await.unwrap(),
        Some(key("key_1", "usr_1", "h1"))
    );
    assert_eq!(storage.find_api_key_by_hash("nope").await.unwrap(), None);
    // The hash is unique.
    assert!(
        storage
            .insert_api_key(&key("key_2", "usr_1", "h1"))
            .await
            .is_err()
    );
    let mut no_scopes = key("key_2", "usr_1", "h2");
    no_scopes.scopes.clear();
    no_scopes.ttl_seconds = None;
    no_scopes.expires_at = None;
    storage.insert_api_key(&no_scopes).await.unwrap();
    assert_eq!(
        storage.get_api_key("key_2").await.unwrap(),
        Some(no_scopes.clone())
    );

    let page = storage.list_api_keys(Some("usr_1"), None, 1).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, "key_2");
    assert_eq!(page.next_cursor.as_deref(), Some("key_2"));
    let page = storage.list_api_keys(None, Some("key_2"), 1).await.unwrap();
    assert_eq!(page.items[0].id, "key_1");
    assert_eq!(page.next_cursor, None);
    assert!(
        storage
            .list_api_keys(Some("usr_other"), None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    assert!(
        storage
            .touch_api_key("key_1", 5_000, Some("::1"), 0)
            .await
            .unwrap()
    );
    assert!(
        !storage
            .touch_api_key("key_1", 6_000, Some("::1"), 4_000)
            .await
            .unwrap()
    );
    let touched = storage.get_api_key("key_1").await.unwrap().unwrap();
    assert_eq!(
        (touched.last_used_at, touched.last_used_ip.as_deref()),
        (Some(5_000), Some("::1"))
    );

    assert!(
        storage
            .rotate_api_key("key_1", &key("key_3", "usr_1", "h3"), 7_000)
            .await
            .unwrap()
    );
    let old = storage.get_api_key("key_1").await.unwrap().unwrap();
    assert_eq!(
        (old.revoked_at, old.replaced_by.as_deref()),
        (Some(7_000), Some("key_3"))
    );
    // Rotating a revoked key does nothing, and its would-be successor is not stored.
    assert!(
        !storage
            .rotate_api_key("key_1", &key("key_4", "usr_1", "h4"), 8_000)
            .await
            .unwrap()
    );
    assert_eq!(storage.get_api_key("key_4").await.unwrap(), None);
    assert!(storage.revoke_api_key("key_3", 9_000).await.unwrap());
    assert!(!storage.revoke_api_key("key_3", 9_500).await.unwrap());

    // Candidates round-trip every field.
    storage
        .insert_candidate(&candidate("cand_1"))
        .await
        .unwrap();
    let mut bare = candidate("cand_2");
    bare.source = None;
    bare.education = None;
    bare.years_experience = None;
    bare.salary_expectation = None;
    storage.insert_candidate(&bare).await.unwrap();
    assert_eq!(
        storage.get_candidate("cand_1").await.unwrap(),
        Some(candidate("cand_1"))
    );
    assert_eq!(storage.get_candidate("cand_2").await.unwrap(), Some(bare));
    assert_eq!(storage.count_candidates().await.unwrap(), 2);
    let page = storage.list_candidates(None, 1).await.unwrap();
    assert_eq!(page.items[0].id, "cand_2");
    let page = storage
        .list_candidates(page.next_cursor.as_deref(), 1)
        .await
        .unwrap();
    assert_eq!(page.items[0].id, "cand_1");
    assert_eq!(page.next_cursor, None);
    let all: Vec<String> = storage
        .all_candidates()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(all, vec!["cand_1", "cand_2"]);
    assert!(storage.delete_candidate("cand_1").await.unwrap());
    assert!(!storage.delete_candidate("cand_1").await.unwrap());

    // Jobs.
    storage.insert_job(&job("job_1", "open")).await.unwrap();
    storage.insert_job(&job("job_2", "closed")).await.unwrap();
    assert_eq!(
        storage.get_job("job_1").await.unwrap(),
        Some(job("job_1", "open"))
    );
    let open = storage.list_jobs(Some("open"), None, 10).await.unwrap();
    assert_eq!(
        open.items.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
        vec!["job_1"]
    );
    assert_eq!(
        storage.list_jobs(None, None, 10).await.unwrap().items.len(),
        2
    );
    let mut changed = job("job_1", "closed");
    changed.company = Some("Acme".into());
    changed.updated_at = 3;
    assert!(storage.update_job(&changed).await.unwrap());
    assert_eq!(storage.get_job("job_1").await.unwrap(), Some(changed));
    assert!(storage.open_jobs().await.unwrap().is_empty());
    assert!(!storage.update_job(&job("job_9", "open")).await.unwrap());
    assert!(storage.delete_job("job_2").await.unwrap());

    // Idempotency records: one claim wins.
    let rec = IdempotencyRecord {
        user_id: "usr_1".into(),
        key: "k1".into(),
        method: "POST".into(),
        path: "/v1/jobs".into(),
        body_sha256: "ab".into(),
        status: None,
        response_body: None,
        content_type: None,
        created_at: 100,
    };
    assert!(storage.begin_idempotency(&rec).await.unwrap());
    assert!(!storage.begin_idempotency(&rec).await.unwrap());
    storage
        .complete_idempotency("usr_1", "k1", 201, "{\"id\":1}", Some("application/json"))
        .await
        .unwrap();
    let got = storage
        .get_idempotency("usr_1", "k1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.status, Some(201));
    assert_eq!(got.response_body.as_deref(), Some("{\"id\":1}"));
    assert_eq!(storage.prune_idempotency(100).await.unwrap(), 0);
    assert_eq!(storage.prune_idempotency(101).await.unwrap(), 1);
    assert!(
        storage
            .get_idempotency("usr_1", "k1")
            .await
            .unwrap()
            .is_none()
    );
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
async fn migrations_are_idempotent_and_create_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let target = mismatch_server::storage::StorageTarget::SqliteDir(data.clone());
    let s = Storage::open(&target).await.unwrap();
    s.insert_user(&user("usr_x")).await.unwrap();
    s.close().await;
    assert!(data.join("mismatch.db").is_file());
    let s = Storage::open(&target).await.unwrap();
    assert_eq!(s.count_users().await.unwrap(), 1);
    s.close().await;
}
