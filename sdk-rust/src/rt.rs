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

/// Runs `future` to its end even when the caller stops waiting for it.
///
/// Natively it is spawned on the Tokio runtime the SDK already runs on (a
/// dropped `JoinHandle` does not cancel its task). In browsers it is awaited
/// in place: a call started from JavaScript runs to its end anyway (promises
/// cannot be cancelled), and wasm32 Rust code that drops it loses that.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) async fn run_to_completion<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return future.await;
    };
    match runtime.spawn(future).await {
        Ok(output) => output,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        // Cancelled: the runtime is shutting down and drops its callers too.
        Err(_) => std::future::pending().await,
    }
}

#[cfg(target_arch = "wasm32")]
pub(crate) async fn run_to_completion<F: Future>(future: F) -> F::Output {
    future.await
}
