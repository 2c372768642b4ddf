//! GDPR: export of everything held about a candidate, erasure (on request
//! and through DELETE, the same path), and the retention sweep.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

use mismatch_core::security::audit::ChainedEvent;
use mismatch_server::config::{RawSettings, Settings};
use mismatch_server::services::{audit, privacy};
use mismatch_server::state::now_ms;
use mismatch_server::storage::audit::AuditFilter;

use crate::both_backends;
use crate::support::{TestApp, TestResponse, fixture};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

async fn send_with_idem(
    app: &TestApp,
    method: Method,
    path: &str,
    idem: &str,
    body: Option<&Value>,
) -> TestResponse {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {}", app.admin_key))
        .header("idempotency-key", idem);
    let body = match body {
        Some(v) => {
            builder = builder.header("content-type", "application/json");
            Body::from(serde_json::to_vec(v).unwrap())
        }
        None => Body::empty(),
    };
    app.send(builder.body(body).unwrap()).await
}

async fn create(app: &TestApp, text: &str) -> String {
    let r = app.post("/v1/candidates", json!({ "text": text })).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    r.json()["id"].as_str().unwrap().to_owned()
}

/// Every recorded audit event with `action` (all when `None`), oldest first.
async fn audit_events(app: &TestApp, action: Option<&str>) -> Vec<ChainedEvent> {
    audit::flush(&app.state).await;
    let filter = AuditFilter {
        action: action.map(str::to_owned),
        ..AuditFilter::default()
    };
    let mut events = app
        .state
        .storage()
        .list_audit_events(&filter, None, 100_000)
        .await
        .unwrap()
        .items;
    events.reverse();
    events
}

/// The user id of the admin key.
async fn admin_user_id(app: &TestApp) -> String {
    app.get("/v1/users/me").await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// No audit event holds any of `personal` (the trail keeps ids only).
async fn assert_audit_holds_no(app: &TestApp, personal: &[&str]) {
    for event in audit_events(app, None).await {
        let text = format!("{:?}", event.content);
        for value in personal {
            assert!(!text.contains(value), "{value} in {text}");
        }
    }
}

/// A key of the admin narrowed to `scopes`.
async fn narrowed_key(app: &TestApp, scopes: &[&str]) -> String {
    let r = app
        .post(
            "/v1/api-keys",
            json!({"name": format!("narrow {scopes:?}"), "scopes": scopes}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    r.json()["key"].as_str().unwrap().to_owned()
}

both_backends!(export_holds_the_whole_record, |app: TestApp| async move {
    let id = create(
        &app,
        "Grace Hopper\ngrace@example.com\n+1 555 0100\nLocation: Arlington, VA\nCOBOL and Python, 30 years of experience",
    )
    .await;
    let candidate = app.get(&format!("/v1/candidates/{id}")).await.json();
    let r = app.get(&format!("/v1/candidates/{id}/export")).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let export = r.json();
    assert_eq!(export["candidate"], candidate);
    assert_eq!(export["candidate"]["email"], "grace@example.com");
    assert!(export["exported_at"].as_str().unwrap().ends_with('Z'));
    // Created from JSON text: there is no original document.
    assert_eq!(export["original_document"], json!(null));
    // The audit events about the candidate, by id, oldest first: its
    // creation's request is not one (no id in its path), the GET above is,
    // and the export itself comes last.
    let ids: Vec<i64> = export["audit_event_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let about: Vec<ChainedEvent> = audit_events(&app, None)
        .await
        .into_iter()
        .filter(|e| e.content.resource_id.as_deref() == Some(id.as_str()))
        .collect();
    let last = about.iter().find(|e| Some(&e.seq) == ids.last()).unwrap();
    assert_eq!(last.content.action, "gdpr.export");
    assert_eq!(
        last.content.actor_user_id.as_deref(),
        Some(admin_user_id(&app).await.as_str())
    );
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    for seq in &ids {
        assert!(
            about.iter().any(|e| e.seq == *seq),
            "{seq} is not about {id}"
        );
    }
    // Every event about it that existed before the export is listed (the
    // export request's own event is queued after the answer).
    for event in about.iter().filter(|e| e.seq < last.seq) {
        assert!(
            ids.contains(&event.seq),
            "{:?} missing",
            event.content.action
        );
    }
    assert!(
        about
            .iter()
            .any(|e| e.seq < last.seq && e.content.action == "candidates.get"),
        "{about:?}"
    );
    assert_audit_holds_no(&app, &["Grace", "grace@example.com", "555 0100"]).await;

    // An uploaded document comes back byte for byte.
    let pdf = fixture("resume.pdf");
    let uploaded = app
        .send(
            Request::post("/v1/candidates/upload?filename=resume.pdf")
                .header("authorization", format!("Bearer {}", app.admin_key))
                .header("content-type", "application/pdf")
                .body(Body::from(pdf.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::CREATED);
    let uploaded_id = uploaded.json()["id"].as_str().unwrap().to_owned();
    let export = app
        .get(&format!("/v1/candidates/{uploaded_id}/export"))
        .await
        .json();
    assert_eq!(export["candidate"]["source"]["filename"], "resume.pdf");
    let document = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(export["original_document"].as_str().unwrap())
            .unwrap()
    };
    assert_eq!(document, pdf);

    app.get("/v1/candidates/cand_01JD0000000000000000000000/export")
        .await
        .assert_problem(404, "not_found");
});

both_backends!(only_admins_export, |app: TestApp| async move {
    let id = create(&app, "Alan Turing\nPython").await;
    let path = format!("/v1/candidates/{id}/export");
    // A recruiter may read and delete candidates, a viewer read them, yet
    // neither may export.
    for role in ["recruiter", "viewer"] {
        let key = app.key_with_role(role).await;
        app.call(Method::GET, &path, Some(&key), None)
            .await
            .assert_problem(403, "forbidden");
    }
    // An admin key narrowed to reading candidates cannot export either:
    // the export needs its own scope...
    let read_only = narrowed_key(&app, &["candidates:read"]).await;
    app.call(Method::GET, &path, Some(&read_only), None)
        .await
        .assert_problem(403, "forbidden");
    // ...which a recruiter cannot put on a key.
    let recruiter = app.key_with_role("recruiter").await;
    let r = app
        .call(
            Method::POST,
            "/v1/api-keys",
            Some(&recruiter),
            Some(json!({"name": "export", "scopes": ["candidates:export"]})),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(audit_events(&app, Some("gdpr.export")).await.is_empty());
    // An admin key narrowed to exactly that scope exports.
    let export_only = narrowed_key(&app, &["candidates:export"]).await;
    let r = app.call(Method::GET, &path, Some(&export_only), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["candidate"]["id"], id.as_str());
    assert_eq!(audit_events(&app, Some("gdpr.export")).await.len(), 1);
    // Without credentials: 401.
    app.call(Method::GET, &path, None, None)
        .await
        .assert_problem(401, "unauthorized");
});

both_backends!(
    erasure_removes_the_candidate_its_replays_and_rankings,
    |app: TestApp| async move {
        let body = json!({"text": "Ada Lovelace\nada@example.com\nPython and PostgreSQL, 6 years of experience"});
        let created = send_with_idem(
            &app,
            Method::POST,
            "/v1/candidates",
            "create-ada",
            Some(&body),
        )
        .await;
        assert_eq!(created.status, StatusCode::CREATED);
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let other = create(&app, "Charles Babbage\nPython, 4 years of experience").await;
        let job = app
            .post(
                "/v1/jobs",
                json!({"title": "Python developer", "required_skills": ["Python"]}),
            )
            .await
            .json()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let match_body = json!({"candidate_id": id, "job_id": job});
        let matched = send_with_idem(
            &app,
            Method::POST,
            "/v1/matches",
            "match-ada",
            Some(&match_body),
        )
        .await;
        assert_eq!(matched.status, StatusCode::OK);
        let ranked = app.get(&format!("/v1/jobs/{job}/matches")).await.json();
        let ranked_ids: Vec<&str> = ranked["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["candidate_id"].as_str().unwrap())
            .collect();
        assert!(ranked_ids.contains(&id.as_str()), "{ranked}");

        // A viewer cannot erase.
        let viewer = app.key_with_role("viewer").await;
        let erasure = format!("/v1/candidates/{id}/erasure");
        app.call(Method::POST, &erasure, Some(&viewer), None)
            .await
            .assert_problem(403, "forbidden");

        let r = send_with_idem(&app, Method::POST, &erasure, "erase-ada", None).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&r.bytes)
        );
        let receipt = r.json();
        assert_eq!(receipt["candidate_id"], id.as_str());
        assert_eq!(receipt["reason"], "request");
        assert!(receipt["erased_at"].as_str().unwrap().ends_with('Z'));
        // The receipt names ids only.
        let text = String::from_utf8_lossy(&r.bytes);
        assert!(!text.contains("Ada") && !text.contains("ada@"), "{text}");
        // A retried erasure with the same key gets the same receipt back.
        let again = send_with_idem(&app, Method::POST, &erasure, "erase-ada", None).await;
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json(), receipt);

        // Gone: get, export, another erasure.
        app.get(&format!("/v1/candidates/{id}"))
            .await
            .assert_problem(404, "not_found");
        app.get(&format!("/v1/candidates/{id}/export"))
            .await
            .assert_problem(404, "not_found");
        app.post(&erasure, json!(null))
            .await
            .assert_problem(404, "not_found");
        // Out of every ranking.
        let ranked = app.get(&format!("/v1/jobs/{job}/matches")).await.json();
        let ranked_ids: Vec<&str> = ranked["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["candidate_id"].as_str().unwrap())
            .collect();
        assert_eq!(ranked_ids, vec![other.as_str()]);
        // The stored responses describing it are forgotten: the creation
        // runs again (a new candidate, not the erased one replayed), and so
        // does the match, which now finds no candidate.
        let recreated = send_with_idem(
            &app,
            Method::POST,
            "/v1/candidates",
            "create-ada",
            Some(&body),
        )
        .await;
        assert_eq!(recreated.status, StatusCode::CREATED);
        assert_eq!(recreated.header("idempotent-replayed"), None);
        assert_ne!(recreated.json()["id"], id.as_str());
        let rematched = send_with_idem(
            &app,
            Method::POST,
            "/v1/matches",
            "match-ada",
            Some(&match_body),
        )
        .await;
        assert_eq!(rematched.header("idempotent-replayed"), None);
        rematched.assert_problem(404, "not_found");
        // The other candidate is untouched.
        assert_eq!(
            app.get(&format!("/v1/candidates/{other}")).await.status,
            StatusCode::OK
        );
        // One erasure recorded (the replayed receipt is not a second one),
        // by the admin, naming the candidate by id; no event anywhere holds
        // the erased person's name or email.
        let erasures = audit_events(&app, Some("gdpr.erasure")).await;
        assert_eq!(erasures.len(), 1, "{erasures:?}");
        let event = &erasures[0].content;
        assert_eq!(event.resource_type.as_deref(), Some("candidates"));
        assert_eq!(event.resource_id.as_deref(), Some(id.as_str()));
        assert_eq!(event.details, r#"{"reason":"request"}"#);
        assert_eq!(event.outcome, "success");
        assert_eq!(
            event.actor_user_id.as_deref(),
            Some(admin_user_id(&app).await.as_str())
        );
        assert!(event.actor_key_id.as_deref().unwrap().starts_with("key_"));
        assert_audit_holds_no(&app, &["Ada", "ada@example.com", "Lovelace"]).await;
    }
);

both_backends!(delete_is_the_same_erasure, |app: TestApp| async move {
    let body = json!({"text": "Edsger Dijkstra\nedsger@example.com\nAlgol"});
    let created = send_with_idem(
        &app,
        Method::POST,
        "/v1/candidates",
        "create-ed",
        Some(&body),
    )
    .await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .call(
            Method::DELETE,
            &format!("/v1/candidates/{id}"),
            Some(&app.admin_key.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    app.get(&format!("/v1/candidates/{id}"))
        .await
        .assert_problem(404, "not_found");
    // Its stored creation went with it.
    let recreated = send_with_idem(
        &app,
        Method::POST,
        "/v1/candidates",
        "create-ed",
        Some(&body),
    )
    .await;
    assert_eq!(recreated.header("idempotent-replayed"), None);
    assert_ne!(recreated.json()["id"], id.as_str());
    app.post(&format!("/v1/candidates/{id}/erasure"), json!(null))
        .await
        .assert_problem(404, "not_found");
    let erasures = audit_events(&app, Some("gdpr.erasure")).await;
    assert_eq!(erasures.len(), 1);
    assert_eq!(
        erasures[0].content.resource_id.as_deref(),
        Some(id.as_str())
    );
    assert_eq!(erasures[0].content.details, r#"{"reason":"deletion"}"#);
});

/// The bytes of `mismatch.db` and its write-ahead log.
fn sqlite_bytes(app: &TestApp) -> Vec<u8> {
    let dir = app.db.sqlite_dir().unwrap();
    let mut bytes = std::fs::read(dir.join("mismatch.db")).unwrap();
    if let Ok(wal) = std::fs::read(dir.join("mismatch.db-wal")) {
        bytes.extend_from_slice(&wal);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn erased_rows_leave_no_bytes_in_the_sqlite_file_or_its_wal() {
    let app = TestApp::new(false).await.unwrap();
    if app.db.sqlite_dir().is_none() {
        return; // MISMATCH_TEST_BACKEND=postgres: a file test of SQLite only
    }
    let id = create(
        &app,
        "Barbara Liskov\nbarbara@example.com\nLocation: Boston, MA\nCLU and Argus, 40 years of experience designing programming languages and distributed systems",
    )
    .await;
    // The resume text's ciphertext and the wrapped data key that opens it,
    // read as stored.
    let (text, data_key): (String, String) = {
        use sqlx::{Connection, Row};
        let mut conn = sqlx::AnyConnection::connect(&app.db.url()).await.unwrap();
        let row = sqlx::query("SELECT resume_text, data_key FROM candidates WHERE id = $1")
            .bind(&id)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let stored = (
            row.try_get("resume_text").unwrap(),
            row.try_get("data_key").unwrap(),
        );
        conn.close().await.unwrap();
        stored
    };
    let needles: Vec<Vec<u8>> = [text, data_key]
        .iter()
        .map(|stored| {
            assert!(stored.len() >= 64, "{stored}");
            stored.as_bytes()[16..64].to_vec()
        })
        .collect();
    let before = sqlite_bytes(&app);
    for needle in &needles {
        assert!(
            contains(&before, needle),
            "the stored value is in the file or the WAL before the erasure"
        );
    }
    let r = app
        .post(&format!("/v1/candidates/{id}/erasure"), json!(null))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let after = sqlite_bytes(&app);
    for needle in &needles {
        assert!(
            !contains(&after, needle),
            "an erased value is still in mismatch.db or its WAL"
        );
    }
}

#[tokio::test]
async fn retention_erases_only_old_candidates_in_batches() {
    retention_case(false).await;
}

#[tokio::test]
async fn retention_erases_only_old_candidates_in_batches_postgres() {
    retention_case(true).await;
}

async fn retention_case(postgres: bool) {
    let settings = Settings {
        candidate_retention_days: Some(30),
        ..Settings::default()
    };
    let Some(app) = TestApp::with_settings(postgres, settings).await else {
        return;
    };
    // More than two batches are past their retention; two are not.
    let old = privacy::RETENTION_BATCH as usize * 2 + 3;
    let mut ids = Vec::new();
    for i in 0..old + 2 {
        ids.push(create(&app, &format!("Person {i}\nPython, {} years", i % 9)).await);
    }
    // The sweep runs as if 31 days had passed; the last two were created
    // (by their stored time) 2 days before that "now".
    let now = now_ms() + 31 * DAY_MS;
    for id in &ids[old..] {
        app.execute_raw(&format!(
            "UPDATE candidates SET created_at = {} WHERE id = '{id}'",
            now - 2 * DAY_MS
        ))
        .await;
    }
    let job = app
        .post(
            "/v1/jobs",
            json!({"title": "Python developer", "required_skills": ["Python"]}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let erased = privacy::erase_expired_candidates(&app.state, now)
        .await
        .unwrap();
    assert_eq!(erased, old as u64);
    assert_eq!(app.state.storage().count_candidates().await.unwrap(), 2);
    // Each erasure is audited, by the system: no user, no key.
    let erasures = audit_events(&app, Some("gdpr.erasure")).await;
    assert_eq!(erasures.len(), old);
    let mut audited: Vec<String> = erasures
        .iter()
        .map(|e| {
            assert_eq!(e.content.details, r#"{"reason":"retention"}"#);
            assert_eq!(e.content.actor_user_id, None);
            assert_eq!(e.content.actor_key_id, None);
            assert_eq!(e.content.request_id.as_deref(), Some("retention"));
            e.content.resource_id.clone().unwrap()
        })
        .collect();
    audited.sort();
    let mut expired = ids[..old].to_vec();
    expired.sort();
    assert_eq!(audited, expired);
    for id in &ids[..old] {
        app.get(&format!("/v1/candidates/{id}"))
            .await
            .assert_problem(404, "not_found");
    }
    for id in &ids[old..] {
        assert_eq!(
            app.get(&format!("/v1/candidates/{id}")).await.status,
            StatusCode::OK
        );
    }
    // The rankings know only the survivors.
    let ranked = app
        .get(&format!("/v1/jobs/{job}/matches?limit=100"))
        .await
        .json();
    let mut ranked_ids: Vec<String> = ranked["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["candidate_id"].as_str().unwrap().to_owned())
        .collect();
    ranked_ids.sort();
    let mut survivors = ids[old..].to_vec();
    survivors.sort();
    assert_eq!(ranked_ids, survivors);
    // A second run finds nothing; a day later than the survivors' 30 days
    // it takes them too.
    assert_eq!(
        privacy::erase_expired_candidates(&app.state, now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        privacy::erase_expired_candidates(&app.state, now + 29 * DAY_MS)
            .await
            .unwrap(),
        2
    );
    assert_eq!(app.state.storage().count_candidates().await.unwrap(), 0);
}

both_backends!(
    without_retention_nothing_expires,
    |app: TestApp| async move {
        let id = create(&app, "Ken Thompson\nC and Unix").await;
        assert_eq!(privacy::retention_cutoff(&app.state, now_ms()), None);
        let far_future = now_ms() + 100 * 365 * DAY_MS;
        assert_eq!(
            privacy::erase_expired_candidates(&app.state, far_future)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            app.get(&format!("/v1/candidates/{id}")).await.status,
            StatusCode::OK
        );
    }
);

#[test]
fn retention_days_are_validated() {
    let parse = |text: &str| {
        Settings::from_raw(RawSettings {
            candidate_retention_days: Some(text.to_owned()),
            ..RawSettings::default()
        })
        .map(|s| s.candidate_retention_days)
    };
    assert_eq!(parse("30"), Ok(Some(30)));
    assert_eq!(parse(" 365 "), Ok(Some(365)));
    // 0 keeps candidates until deleted, like leaving it unset.
    assert_eq!(parse("0"), Ok(None));
    assert_eq!(Settings::default().candidate_retention_days, None);
    for bad in ["-1", "thirty", "1.5", "36501"] {
        let err = parse(bad).unwrap_err();
        assert!(
            err.0.contains("MISMATCH_CANDIDATE_RETENTION_DAYS"),
            "{bad}: {err}"
        );
    }
}
