//! Generator of the Rust SDK (`sdk-rust/src/generated.rs` and
//! `sdk-rust/src/operations.rs`) from the server's `openapi.json`.

pub mod describe;
pub mod downconvert;
pub mod generate;

use std::path::{Path, PathBuf};

/// The workspace root, two levels above this crate.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the codegen crate lives at sdk-rust/codegen")
        .to_path_buf()
}
