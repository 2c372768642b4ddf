//! The few runtime services the SDK needs, per target: tokio natively, the
//! browser's timers on wasm32 (where tokio does not run).

use std::time::Duration;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) async fn sleep(duration: Duration) {
    if !duration.is_zero() {
        tokio::time::sleep(duration).await;
    }
}

#[cfg(target_arch = "wasm32")]
pub(crate) async fn sleep(duration: Duration) {
    if !duration.is_zero() {
        wasmtimer::tokio::sleep(duration).await;
    }
}
