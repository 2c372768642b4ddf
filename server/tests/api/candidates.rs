//! Candidates: from text, uploads (raw and multipart), CRUD and pagination.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::support::{TestApp, fixture};

fn resume_text() -> String {
    String::from_utf8(fixture("resume.txt")).unwrap()
}

both_backends!(create_get_list_delete, |app: TestApp| async move {
    let r = app
        .post("/v1/candidates", json!({"text": resume_text()}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let c = r.json();
    let id = c["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cand_"));
    let skills: Vec<&str> = c["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for expected in ["Python", "PostgreSQL", "Kubernetes"] {
        assert!(skills.contains(&expected), "{skills:?}");
    }
    assert!(c["email"].as_str().unwrap().contains('@'));
    assert_eq!(c["source"], json!(null));
    assert_eq!(c["text"].as_str().unwrap().trim(), resume_text().trim());
    assert!(c["created_at"].as_str().unwrap().ends_with('Z'));

    let got = app.get(&format!("/v1/candidates/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json(), c);

    let list = app.get("/v1/candidates").await.json();
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert_eq!(list["next_cursor"], json!(null));

    let r = app
        .call(
            Method::DELETE,
            &format!("/v1/candidates/{id}"),
            Some(&app.admin_key.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.bytes.is_empty());
    app.get(&format!("/v1/candidates/{id}"))
        .await
        .assert_problem(404, "not_found");
    app.call(
        Method::DELETE,
        &format!("/v1/candidates/{id}"),
        Some(&app.admin_key.clone()),
        None,
    )
    .await
    .assert_problem(404, "not_found");
});

both_backends!(
    pagination_walks_every_page_once,
    |app: TestApp| async move {
        let mut created = Vec::new();
        for i in 0..7 {
            let r = app
            .post("/v1/candidates", json!({"text": format!("Person {i}\nPython developer with {i} years of experience")}))
            .await;
            assert_eq!(r.status, StatusCode::CREATED);
            created.push(r.json()["id"].as_str().unwrap().to_owned());
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/v1/candidates?limit=3&cursor={c}"),
                None => "/v1/candidates?limit=3".to_owned(),
            };
            let page = app.get(&path).await.json();
            pages += 1;
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 3);
            seen.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        created.reverse(); // newest first
        assert_eq!(seen, created);
        let r = app.get("/v1/candidates?cursor=job_nonsense").await;
        assert_eq!(
            r.assert_problem(422, "validation_failed")["errors"][0]["field"],
            "cursor"
        );
    }
);

#[tokio::test]
async fn explicit_fields_override_parsed_ones() {
    let app = TestApp::new(false).await.unwrap();
    let r = app
        .post(
            "/v1/candidates",
            json!({"text": resume_text(), "name": "Override Name", "email": "other@example.org",
                   "location": "Lisbon, Portugal", "salary_expectation": 123456}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let c = r.json();
    assert_eq!(c["name"], "Override Name");
    assert_eq!(c["email"], "other@example.org");
    assert_eq!(c["location"], "Lisbon, Portugal");
    assert_eq!(c["salary_expectation"], 123456);

    let r = app.post("/v1/candidates", json!({"text": "  "})).await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "text"
    );
    let r = app
        .post(
            "/v1/candidates",
            json!({"text": "Jane", "email": "not-an-email"}),
        )
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "email"
    );
    let r = app
        .post("/v1/candidates", json!({"text": "Jane", "nickname": "JJ"}))
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "nickname"
    );
}

async fn upload(
    app: &TestApp,
    path: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> crate::support::TestResponse {
    app.send(
        Request::post(path)
            .header("authorization", format!("Bearer {}", app.admin_key))
            .header("content-type", content_type)
            .body(Body::from(bytes))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn upload_pdf_docx_and_text() {
    let app = TestApp::new(false).await.unwrap();
    let r = upload(
        &app,
        "/v1/candidates/upload?filename=resume.pdf",
        "application/pdf",
        fixture("resume.pdf"),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let c = r.json();
    assert_eq!(c["source"]["format"], "pdf");
    assert_eq!(c["source"]["filename"], "resume.pdf");
    assert_eq!(c["source"]["content_type"], "application/pdf");
    assert!(!c["text"].as_str().unwrap().trim().is_empty());
    assert!(!c["skills"].as_array().unwrap().is_empty());

    // Format comes from the bytes even when the client says octet-stream.
    let r = upload(
        &app,
        "/v1/candidates/upload",
        "application/octet-stream",
        fixture("resume.docx"),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert_eq!(r.json()["source"]["format"], "docx");

    let r = upload(
        &app,
        "/v1/candidates/upload?filename=cv.txt",
        "text/plain",
        fixture("resume.txt"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let c = r.json();
    assert_eq!(c["source"]["format"], "plain_text");
    let skills: Vec<&str> = c["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(skills.contains(&"Kubernetes"), "{skills:?}");
}

#[tokio::test]
async fn upload_multipart_form() {
    let app = TestApp::new(false).await.unwrap();
    let boundary = "XyZ-boundary-123";
    let pdf = fixture("resume.pdf");
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cv.pdf\"\r\nContent-Type: application/pdf\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(&pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = upload(
        &app,
        "/v1/candidates/upload",
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let c = r.json();
    assert_eq!(c["source"]["filename"], "cv.pdf");
    assert_eq!(c["source"]["format"], "pdf");

    let empty_form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--{boundary}--\r\n"
    );
    let r = upload(
        &app,
        "/v1/candidates/upload",
        &format!("multipart/form-data; boundary={boundary}"),
        empty_form.into_bytes(),
    )
    .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "file"
    );
}

#[tokio::test]
async fn bad_documents_are_rejected_with_their_codes() {
    let app = TestApp::new(false).await.unwrap();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    upload(
        &app,
        "/v1/candidates/upload?filename=photo.png",
        "image/png",
        png,
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    upload(
        &app,
        "/v1/candidates/upload?filename=cv.pdf",
        "application/pdf",
        Vec::new(),
    )
    .await
    .assert_problem(422, "empty_document");
    upload(
        &app,
        "/v1/candidates/upload?filename=cv.pdf",
        "application/pdf",
        fixture("encrypted.pdf"),
    )
    .await
    .assert_problem(422, "encrypted_document");
    upload(
        &app,
        "/v1/candidates/upload?filename=cv.pdf",
        "application/pdf",
        fixture("corrupt.pdf"),
    )
    .await
    .assert_problem(422, "unreadable_document");
    // Nothing was stored.
    assert_eq!(app.state.storage().count_candidates().await.unwrap(), 0);
}

/// A DOCX whose document part inflates to `inflated` bytes of XML.
fn docx_bomb(inflated: usize) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", opts).unwrap();
    zip.write_all(br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
    zip.start_file("word/document.xml", opts).unwrap();
    zip.write_all(br#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>"#).unwrap();
    let chunk = vec![b'A'; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(chunk.len());
        zip.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    zip.write_all(b"</w:t></w:r></w:p></w:body></w:document>")
        .unwrap();
    zip.finish().unwrap();
    out.into_inner()
}

both_backends!(
    a_zip_bomb_is_refused_and_nothing_is_stored,
    |app: TestApp| async move {
        // 48 MB of text (above the 32 MB a document may inflate to) in under a megabyte.
        let bomb = docx_bomb(48 << 20);
        assert!(bomb.len() < 1 << 20);
        let r = app
            .send(
                axum::http::Request::post("/v1/candidates/upload?filename=cv.docx")
                    .header("authorization", format!("Bearer {}", app.admin_key))
                    .header(
                        "content-type",
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    )
                    .body(axum::body::Body::from(bomb))
                    .unwrap(),
            )
            .await;
        r.assert_problem(413, "document_too_large");
        assert_eq!(app.state.storage().count_candidates().await.unwrap(), 0);
    }
);
