//! Security headers on every response, errors included: `nosniff`, frame
//! denial, no referrer, the API's CSP or Swagger UI's under `/docs`, and HSTS
//! only on requests that came over TLS. (That Swagger UI still works under
//! its CSP is checked in Chromium: tests/browser/docs_csp.mjs.)

use axum::body::Body;
use axum::http::{Method, Request};
use mismatch_server::listener::ServedOverTls;
use mismatch_server::middleware::{API_CSP, DOCS_CSP, DOCS_LOGO_STYLE, HSTS};
use sha2::{Digest, Sha256};

use crate::support::{TestApp, TestResponse};

async fn get(app: &TestApp, path: &str, over_tls: bool) -> TestResponse {
    let mut request = Request::builder().uri(path).body(Body::empty()).unwrap();
    if over_tls {
        request.extensions_mut().insert(ServedOverTls);
    }
    app.send(request).await
}

#[track_caller]
fn assert_common(r: &TestResponse, csp: &str) {
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("content-security-policy"), Some(csp));
    assert!(csp.contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn every_response_carries_the_headers_and_hsts_only_over_tls() {
    let Some(app) = TestApp::new(false).await else {
        return;
    };
    let ok = get(&app, "/health/live", false).await;
    assert_eq!(ok.status, 200);
    assert_common(&ok, API_CSP);
    assert_eq!(
        ok.header("strict-transport-security"),
        None,
        "HSTS over plain HTTP"
    );

    let unauthorized = get(&app, "/v1/api-keys", false).await;
    unauthorized.assert_problem(401, "unauthorized");
    assert_common(&unauthorized, API_CSP);
    let not_found = get(&app, "/nowhere", false).await;
    not_found.assert_problem(404, "not_found");
    assert_common(&not_found, API_CSP);
    let created = app
        .post(
            "/v1/api-keys",
            serde_json::json!({"name": "h", "role": "viewer"}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_common(&created, API_CSP);
    let preflight = app
        .send(
            Request::builder()
                .method(Method::OPTIONS)
                .uri("/v1/jobs")
                .header("origin", "https://app.example")
                .header("access-control-request-method", "GET")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_common(&preflight, API_CSP);

    for path in ["/health/live", "/v1/api-keys", "/docs/", "/openapi.json"] {
        let r = get(&app, path, true).await;
        assert_eq!(r.header("strict-transport-security"), Some(HSTS), "{path}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
    assert_eq!(HSTS, "max-age=31536000; includeSubDomains");
}

#[tokio::test]
async fn docs_get_a_csp_without_inline_script_and_a_page_that_needs_none() {
    let Some(app) = TestApp::new(false).await else {
        return;
    };
    let redirect = get(&app, "/docs", false).await;
    assert_common(&redirect, DOCS_CSP);
    let index = get(&app, "/docs/", false).await;
    assert_eq!(index.status, 200);
    assert_common(&index, DOCS_CSP);
    let script_src = DOCS_CSP
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap();
    assert_eq!(script_src, "script-src 'self'", "no inline script, no eval");
    assert!(!DOCS_CSP.contains("unsafe"), "{DOCS_CSP}");

    // The one hashed inline style is the logo's, in the preset we serve: a
    // Swagger UI upgrade that changes it fails here, not only in the browser.
    let preset = get(&app, "/docs/swagger-ui-standalone-preset.js", false).await;
    assert_eq!(preset.status, 200);
    let preset = String::from_utf8_lossy(&preset.bytes);
    assert!(
        preset.contains(&format!("\"style\",null,\"{DOCS_LOGO_STYLE}\"")),
        "the logo's <style> changed"
    );
    let hash = base64(&Sha256::digest(DOCS_LOGO_STYLE.as_bytes()));
    assert!(
        DOCS_CSP.contains(&format!("style-src 'self' 'sha256-{hash}';")),
        "{DOCS_CSP}"
    );

    // Every script of the page is a file of ours, so 'self' covers it.
    let html = String::from_utf8(index.bytes.clone()).unwrap();
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty());
    for tag in scripts {
        let (attributes, rest) = tag.split_once('>').unwrap();
        assert!(
            attributes.contains("src=\"./"),
            "an inline or off-site script: <script{tag}"
        );
        let body = rest.split("</script>").next().unwrap();
        assert!(body.trim().is_empty(), "inline script body: {body}");
    }
    assert!(
        !html.contains("style=\""),
        "inline style attribute in index.html"
    );

    // The initializer is a served file that points at our spec and sends
    // nothing to the online validator.
    let init = get(&app, "/docs/swagger-initializer.js", false).await;
    assert_eq!(init.status, 200);
    assert_common(&init, DOCS_CSP);
    let init = String::from_utf8(init.bytes).unwrap();
    assert!(init.contains("\"url\": \"/openapi.json\""), "{init}");
    assert!(init.contains("\"validatorUrl\": \"none\""), "{init}");

    // The spec itself is an API response.
    let spec = get(&app, "/openapi.json", false).await;
    assert_common(&spec, API_CSP);
}

/// Standard base64 with padding (as CSP hashes are written), small enough to
/// keep here rather than add a dependency for one test.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
