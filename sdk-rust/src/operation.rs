//! Description of the API's operations, for the language bindings.
//!
//! The table itself ([`crate::operations::OPERATIONS`], with
//! [`crate::operations::find_operation`]) is generated from `openapi.json`;
//! these are the types it is made of.

/// How an operation takes its request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// No request body.
    None,
    /// A JSON document, passed as `args["body"]`.
    Json,
    /// Raw bytes (or UTF-8 text), passed as `CallOptions::body_bytes`.
    Binary,
}

impl BodyKind {
    /// Stable lowercase name (`none`, `json`, `binary`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Json => "json",
            Self::Binary => "binary",
        }
    }
}

/// A query (or header) parameter of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryParam {
    /// Name as written in the spec (and in `args`).
    pub name: &'static str,
    /// Whether the operation fails without it.
    pub required: bool,
}

/// One operation of the API, as described by `openapi.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationInfo {
    /// The spec's `operationId`, e.g. `createJob`.
    pub id: &'static str,
    /// Name of the typed method on the generated client, e.g. `create_job`.
    pub method_name: &'static str,
    /// HTTP method in upper case.
    pub method: &'static str,
    /// Path template with `{name}` placeholders, e.g. `/v1/jobs/{job_id}`.
    pub path: &'static str,
    /// Path parameters in the order they appear in `path`.
    pub path_params: &'static [&'static str],
    /// Query parameters.
    pub query_params: &'static [QueryParam],
    /// Header parameters declared by the spec (passed in `args` too).
    pub header_params: &'static [QueryParam],
    /// Request body kind.
    pub body: BodyKind,
    /// Whether a body must be given (for `Json` and `Binary`).
    pub body_required: bool,
    /// Status of the documented success response (200, 201, 204, …).
    pub success_status: u16,
    /// The spec's one-line summary, if any.
    pub summary: &'static str,
}
