//! The committed `openapi.json` is the contract: it must equal what the
//! server generates, and every operation must be fully described.

use serde_json::Value;

const REGENERATE: &str = "cargo run -q -p mismatch-server -- openapi > openapi.json";

fn committed() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.json");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; run `{REGENERATE}`", path.display()))
}

#[test]
fn committed_spec_matches_the_code() {
    let generated = mismatch_server::openapi::spec_json();
    assert!(
        committed() == generated,
        "openapi.json is out of date with the routes; regenerate it with `{REGENERATE}` and commit it"
    );
}

const EXPECTED: &[(&str, &str, &str)] = &[
    ("getLiveness", "get", "/health/live"),
    (
        "exportCandidate",
        "get",
        "/v1/candidates/{candidate_id}/export",
    ),
    (
        "eraseCandidate",
        "post",
        "/v1/candidates/{candidate_id}/erasure",
    ),
    ("getReadiness", "get", "/health/ready"),
    ("createApiKey", "post", "/v1/api-keys"),
    ("listApiKeys", "get", "/v1/api-keys"),
    ("revokeApiKey", "post", "/v1/api-keys/{key_id}/revoke"),
    ("rotateApiKey", "post", "/v1/api-keys/{key_id}/rotate"),
    ("createCandidate", "post", "/v1/candidates"),
    ("uploadCandidate", "post", "/v1/candidates/upload"),
    ("listCandidates", "get", "/v1/candidates"),
    ("getCandidate", "get", "/v1/candidates/{candidate_id}"),
    ("deleteCandidate", "delete", "/v1/candidates/{candidate_id}"),
    ("createJob", "post", "/v1/jobs"),
    ("listJobs", "get", "/v1/jobs"),
    ("getJob", "get", "/v1/jobs/{job_id}"),
    ("updateJob", "patch", "/v1/jobs/{job_id}"),
    ("deleteJob", "delete", "/v1/jobs/{job_id}"),
    ("createMatch", "post", "/v1/matches"),
    ("rankCandidatesForJob", "get", "/v1/jobs/{job_id}/matches"),
    (
        "rankJobsForCandidate",
        "get",
        "/v1/candidates/{candidate_id}/matches",
    ),
    ("predictSalary", "post", "/v1/salary-predictions"),
    ("listAuditEvents", "get", "/v1/audit-events"),
    (
        "startEncryptionRotation",
        "post",
        "/v1/admin/encryption/rotation",
    ),
    (
        "getEncryptionRotation",
        "get",
        "/v1/admin/encryption/rotation",
    ),
    ("createSalaryModel", "post", "/v1/salary-models"),
    ("listSalaryModels", "get", "/v1/salary-models"),
    (
        "createInterviewQuestions",
        "post",
        "/v1/interview-questions",
    ),
    ("getJobAnalytics", "get", "/v1/jobs/{job_id}/analytics"),
    ("getJwks", "get", "/.well-known/jwks.json"),
    ("createSession", "post", "/v1/auth/login"),
    ("verifySessionSecondFactor", "post", "/v1/auth/login/2fa"),
    ("refreshSession", "post", "/v1/auth/refresh"),
    ("endSession", "post", "/v1/auth/logout"),
    ("listUsers", "get", "/v1/users"),
    ("createUser", "post", "/v1/users"),
    ("getUser", "get", "/v1/users/{user_id}"),
    ("updateUser", "patch", "/v1/users/{user_id}"),
    ("resetUserPassword", "post", "/v1/users/{user_id}/password"),
    ("getCurrentUser", "get", "/v1/users/me"),
    ("changePassword", "post", "/v1/users/me/password"),
    ("enrollTwoFactor", "post", "/v1/users/me/2fa"),
    ("confirmTwoFactor", "post", "/v1/users/me/2fa/confirm"),
    (
        "regenerateBackupCodes",
        "post",
        "/v1/users/me/2fa/backup-codes",
    ),
    ("disableTwoFactor", "post", "/v1/users/me/2fa/disable"),
];

#[test]
fn operations_are_exactly_the_documented_ones_and_fully_described() {
    let spec: Value = serde_json::from_str(&mismatch_server::openapi::spec_json()).unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["in"], "header");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key");
    assert!(spec["components"]["schemas"]["Problem"].is_object());

    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            found.push((id.to_owned(), method.clone(), path.clone()));
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{id} has no summary"
            );
            let responses = op["responses"].as_object().unwrap();
            let successes: Vec<&String> = responses.keys().filter(|s| s.starts_with('2')).collect();
            assert_eq!(
                successes.len(),
                1,
                "{id} must have exactly one success response"
            );
            if successes[0] == "204" {
                assert!(
                    responses["204"].get("content").is_none(),
                    "{id}: 204 must have no content"
                );
            }
            let errors: Vec<&String> = responses
                .keys()
                .filter(|s| s.starts_with('4') || s.starts_with('5'))
                .collect();
            // Liveness cannot fail while the process answers at all.
            assert!(
                id == "getLiveness" || id == "getJwks" || !errors.is_empty(),
                "{id} declares no error responses"
            );
            for code in errors {
                let schema =
                    &responses[code]["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/Problem",
                    "{id} {code} must use Problem"
                );
            }
            let security = op.get("security").and_then(Value::as_array);
            if mismatch_server::access::rule(id) == Some(mismatch_server::access::Rule::Public) {
                assert!(security.is_none_or(|s| s.is_empty()), "{id} must be public");
            } else {
                let security = security.unwrap_or_else(|| panic!("{id} has no security"));
                assert!(
                    security.iter().any(|s| s.get("bearer").is_some()),
                    "{id} lacks bearer security"
                );
                assert!(
                    security.iter().any(|s| s.get("api_key").is_some()),
                    "{id} lacks api_key security"
                );
                for code in ["401", "403", "500"] {
                    assert!(responses.contains_key(code), "{id} does not declare {code}");
                }
            }
        }
    }
    found.sort();
    let mut expected: Vec<(String, String, String)> = EXPECTED
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn schemas_are_named_and_enums_are_plain_strings() {
    let spec: Value = serde_json::from_str(&mismatch_server::openapi::spec_json()).unwrap();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for name in [
        "Seniority",
        "EducationLevel",
        "RemotePolicy",
        "JobStatus",
        "Verdict",
        "Role",
        "Scope",
        "DocumentFormat",
    ] {
        assert_eq!(schemas[name]["type"], "string", "{name}");
        assert!(
            schemas[name]["enum"]
                .as_array()
                .is_some_and(|e| !e.is_empty()),
            "{name}"
        );
    }
    // Request and response bodies reference named schemas.
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(content) = op.get("requestBody").map(|b| &b["content"]) {
                for (ct, media) in content.as_object().unwrap() {
                    assert!(
                        media["schema"]["$ref"].is_string(),
                        "{method} {path} {ct} body is inline"
                    );
                }
            }
            for (code, response) in op["responses"].as_object().unwrap() {
                if let Some(content) = response.get("content") {
                    for (ct, media) in content.as_object().unwrap() {
                        assert!(
                            media["schema"]["$ref"].is_string(),
                            "{method} {path} {code} {ct} is inline"
                        );
                    }
                }
            }
        }
    }
    let upload = &spec["paths"]["/v1/candidates/upload"]["post"]["requestBody"]["content"];
    assert!(upload["application/octet-stream"].is_object());
    assert!(upload["multipart/form-data"].is_object());
    assert_eq!(schemas["ResumeFile"]["type"], "string");
    assert_eq!(schemas["ResumeFile"]["format"], "binary");
}
