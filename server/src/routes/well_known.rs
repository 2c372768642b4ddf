//! `/.well-known/jwks.json`: the public keys that verify access tokens, for
//! other services (no authentication).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_jwks))
}

/// One public key (RFC 7517, Ed25519 per RFC 8037).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicJwk {
    /// `OKP`
    pub kty: String,
    /// `Ed25519`
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    /// The key id access tokens name in their header (RFC 7638 thumbprint).
    pub kid: String,
    /// `EdDSA`
    pub alg: String,
    /// `sig`
    #[serde(rename = "use")]
    pub key_use: String,
}

/// Every key that verifies access tokens, the signing key first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JwkSet {
    pub keys: Vec<PublicJwk>,
}

/// Keys that verify access tokens
///
/// Cache it for at most ten minutes: a new signing key is published here
/// before it signs.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "auth",
    operation_id = "getJwks",
    responses((status = 200, description = "The JSON Web Key Set", body = JwkSet))
)]
pub async fn get_jwks(State(state): State<AppState>) -> impl IntoResponse {
    let keys = state
        .secrets()
        .tokens
        .keyring()
        .jwks()
        .keys
        .into_iter()
        .map(|k| PublicJwk {
            kty: k.kty,
            crv: k.crv,
            x: k.x,
            kid: k.kid,
            alg: k.alg,
            key_use: k.key_use,
        })
        .collect();
    (
        [(header::CACHE_CONTROL, "public, max-age=600")],
        Json(JwkSet { keys }),
    )
}
