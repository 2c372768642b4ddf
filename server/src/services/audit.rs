//! The audit log: recording events, listing them, verifying the chain and
//! the retention purge.
//!
//! # Recording an event (the API other services call)
//!
//! ```ignore
//! use crate::services::audit::{self, AuditEvent, Outcome};
//!
//! audit::record(&state, AuditEvent::new("candidates.export")
//!     .resource("candidate", candidate_id.as_str())
//!     .detail("fields", 12)).await?;
//! // a failure, with the user known but not authenticated:
//! audit::record(&state, AuditEvent::new("auth.login")
//!     .outcome(Outcome::Failure)
//!     .actor_user(user.id.as_str())
//!     .detail("reason", "wrong_password")).await?;
//! ```
//!
//! `record` takes who, from where and which request from the
//! [`AuditContext`] of the request being served: the audit middleware
//! (`crate::audit::layer`) puts it in a task-local for the whole request,
//! and authentication adds the principal to it. Outside a request (the
//! CLI, background sweeps), or to name a context explicitly, use
//! [`record_with`] and e.g. [`AuditContext::system`]. Handlers can also
//! extract an `AuditContext` like any other extractor.
//!
//! `record` returns once the event is committed (security events must not
//! be lost to a crash). Details are a JSON object: never put secrets,
//! passwords, tokens, emails, names or other personal data in them — ids
//! only.
//!
//! # Writing
//!
//! Events go through a bounded channel to one writer task per process,
//! which appends whatever has queued in one transaction (group commit), so
//! a busy server writes many events per commit. The per-request events of
//! the middleware are queued without waiting for their commit; the bounded
//! channel makes requests wait rather than drop events when the database
//! falls behind. [`flush`] waits until everything queued so far is written
//! (the listing and shutdown call it).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use mismatch_core::security::audit::{Checkpoint, EventContent, Tamper, Verifier};
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::services::accounts::Credential;
use crate::state::{AppState, now_ms};
use crate::storage::audit::{AuditFilter, CHECKPOINT_MAC_PURPOSE, StoredCheckpoint};
use crate::storage::{Page, Storage, StorageError};

/// Longest `User-Agent` kept, in characters.
pub const USER_AGENT_MAX: usize = 256;
/// Events queued before recorders wait.
const QUEUE: usize = 8_192;
/// Events appended per transaction at most.
const BATCH: usize = 1_000;

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Refused for bad input, a wrong credential or a conflict.
    Failure,
    /// Refused for lack of credentials or permission (401, 403).
    Denied,
    /// The server failed (5xx).
    Error,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Success,
        Outcome::Failure,
        Outcome::Denied,
        Outcome::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
            Outcome::Error => "error",
        }
    }

    /// The outcome an HTTP status says.
    pub fn of_status(status: u16) -> Self {
        match status {
            401 | 403 => Outcome::Denied,
            400..=499 => Outcome::Failure,
            500.. => Outcome::Error,
            _ => Outcome::Success,
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

/// Who acted, from where, in which request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditContext {
    pub actor_user_id: Option<String>,
    /// The API key id, or `session:<jti>` for an access token.
    pub actor_key_id: Option<String>,
    /// The client address, resolved through trusted proxies only.
    pub client_ip: Option<String>,
    /// Bounded to [`USER_AGENT_MAX`] characters.
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl AuditContext {
    /// The context of work the server does on its own or a CLI command
    /// does: no actor, no address; `origin` (e.g. `cli`, `retention`) goes
    /// into the request id column so the event says where it came from.
    pub fn system(origin: &str) -> Self {
        Self {
            request_id: Some(origin.to_owned()),
            ..Self::default()
        }
    }

    /// The context of the request being served (empty outside one).
    pub fn current() -> Self {
        CURRENT.try_with(|note| note.context()).unwrap_or_default()
    }

    /// Names `principal` as the actor.
    pub fn set_principal(&mut self, principal: &Principal) {
        self.actor_user_id = Some(principal.user_id.as_str().to_owned());
        self.actor_key_id = Some(match &principal.credential {
            Credential::ApiKey(id) => id.as_str().to_owned(),
            Credential::Session(jti) => format!("session:{jti}"),
        });
    }

    /// `value` cut to [`USER_AGENT_MAX`] characters.
    pub fn bounded_user_agent(value: &str) -> String {
        value.chars().take(USER_AGENT_MAX).collect()
    }
}

/// What the audit middleware knows about the request being served, shared
/// with the code serving it (authentication adds the principal).
#[derive(Debug, Clone, Default)]
pub struct RequestNote(Arc<Mutex<NoteInner>>);

#[derive(Debug, Default)]
struct NoteInner {
    context: AuditContext,
    /// The id of the resource the request created (its path has none).
    created: Option<String>,
}

impl RequestNote {
    pub fn new(context: AuditContext) -> Self {
        Self(Arc::new(Mutex::new(NoteInner {
            context,
            created: None,
        })))
    }

    pub fn context(&self) -> AuditContext {
        self.lock().context.clone()
    }

    /// Called by authentication once the principal is known.
    pub fn set_principal(&self, principal: &Principal) {
        self.lock().context.set_principal(principal);
    }

    /// The id a service noted with [`note_created`], if any.
    pub fn created(&self) -> Option<String> {
        self.lock().created.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, NoteInner> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

tokio::task_local! {
    /// The note of the request this task serves.
    pub static CURRENT: RequestNote;
}

/// Adds the principal to the current request's audit context (no-op
/// outside a request).
pub fn note_principal(principal: &Principal) {
    let _ = CURRENT.try_with(|note| note.set_principal(principal));
}

/// Names the resource the current request created, so that its request
/// event carries the new id (a create's path has none); no-op outside a
/// request.
pub fn note_created(id: &str) {
    let _ = CURRENT.try_with(|note| note.lock().created = Some(id.to_owned()));
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    action: String,
    resource_type: Option<String>,
    resource_id: Option<String>,
    outcome: Outcome,
    status: Option<u16>,
    details: Map<String, Value>,
    actor_user_id: Option<String>,
}

impl AuditEvent {
    /// `action` is `resource.verb`, e.g. `api_keys.revoke`, `auth.login`.
    pub fn new(action: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource_type: None,
            resource_id: None,
            outcome: Outcome::Success,
            status: None,
            details: Map::new(),
            actor_user_id: None,
        }
    }

    /// What was acted on: a type (`candidate`, `api_key`, `user`…) and id.
    pub fn resource(mut self, kind: &str, id: impl Into<String>) -> Self {
        self.resource_type = Some(kind.to_owned());
        self.resource_id = Some(id.into());
        self
    }

    /// The kind of thing acted on, when there is no one id (a listing).
    pub fn resource_type(mut self, kind: &str) -> Self {
        self.resource_type = Some(kind.to_owned());
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// A detail: ids, counts, reasons — never secrets or personal data.
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// The acting user when the context has none (a login, before any
    /// principal exists).
    pub fn actor_user(mut self, user_id: impl Into<String>) -> Self {
        self.actor_user_id = Some(user_id.into());
        self
    }

    pub fn action(&self) -> &str {
        &self.action
    }

    fn content(self, context: &AuditContext) -> EventContent {
        EventContent {
            occurred_at: now_ms(),
            actor_user_id: context.actor_user_id.clone().or(self.actor_user_id),
            actor_key_id: context.actor_key_id.clone(),
            action: self.action,
            resource_type: self.resource_type,
            resource_id: self.resource_id,
            // serde_json's Map keeps keys sorted: the text is canonical.
            details: Value::Object(self.details).to_string(),
            client_ip: context.client_ip.clone(),
            user_agent: context.user_agent.clone(),
            request_id: context.request_id.clone(),
            outcome: self.outcome.as_str().to_owned(),
            status: self.status,
        }
    }
}

/// Records `event` in the context of the current request and waits until
/// it is committed.
pub async fn record(state: &AppState, event: AuditEvent) -> Result<(), ApiError> {
    record_with(state, &AuditContext::current(), event).await
}

/// Records `event` in `context` and waits until it is committed.
pub async fn record_with(
    state: &AppState,
    context: &AuditContext,
    event: AuditEvent,
) -> Result<(), ApiError> {
    let action = event.action.clone();
    let (done, committed) = oneshot::channel();
    state
        .audit()
        .send(Job::Append(Box::new(event.content(context)), Some(done)))
        .await?;
    match committed.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) => {
            tracing::error!(%action, error = %message, "audit event not written");
            Err(ApiError::unavailable(
                "the audit log cannot be written; retry later",
            ))
        }
        Err(_) => Err(ApiError::unavailable("the audit log writer stopped")),
    }
}

/// Queues `event` without waiting for its commit (the per-request events).
pub async fn enqueue(state: &AppState, context: &AuditContext, event: AuditEvent) {
    if let Err(err) = state
        .audit()
        .send(Job::Append(Box::new(event.content(context)), None))
        .await
    {
        tracing::error!(error = %err.detail, "audit event not queued");
    }
}

/// Waits until every event queued so far is committed (or failed).
pub async fn flush(state: &AppState) {
    let (done, flushed) = oneshot::channel();
    if state.audit().send(Job::Flush(done)).await.is_ok() {
        let _ = flushed.await;
    }
}

enum Job {
    // Boxed so a flush marker does not take an event's room in the queue.
    Append(
        Box<EventContent>,
        Option<oneshot::Sender<Result<(), String>>>,
    ),
    Flush(oneshot::Sender<()>),
}

/// The process's audit writer: a queue and the task draining it, started on
/// first use (inside the runtime that serves).
pub struct AuditLog {
    storage: Storage,
    requests: bool,
    sender: OnceLock<mpsc::Sender<Job>>,
}

impl AuditLog {
    pub fn new(storage: Storage, requests: bool) -> Self {
        Self {
            storage,
            requests,
            sender: OnceLock::new(),
        }
    }

    /// Whether every API request is recorded (`MISMATCH_AUDIT_REQUESTS`).
    pub fn records_requests(&self) -> bool {
        self.requests
    }

    async fn send(&self, job: Job) -> Result<(), ApiError> {
        let sender = self.sender.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(write_loop(self.storage.clone(), rx));
            tx
        });
        sender
            .send(job)
            .await
            .map_err(|_| ApiError::unavailable("the audit log writer stopped"))
    }
}

async fn write_loop(storage: Storage, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(64);
    while rx.recv_many(&mut jobs, BATCH).await > 0 {
        let mut events = Vec::with_capacity(jobs.len());
        let mut waiting = Vec::new();
        let mut flushes = Vec::new();
        for job in jobs.drain(..) {
            match job {
                Job::Append(event, done) => {
                    events.push(*event);
                    waiting.extend(done);
                }
                Job::Flush(done) => flushes.push(done),
            }
        }
        let result = append_with_retry(&storage, &events).await;
        if let Err(err) = &result {
            tracing::error!(error = %err, events = events.len(), "audit events lost: the database refused them");
        }
        for done in waiting {
            let _ = done.send(result.clone());
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Appends, retrying a few times over about two seconds when the database
/// is briefly unavailable (a busy SQLite file, a failover).
async fn append_with_retry(storage: &Storage, events: &[EventContent]) -> Result<(), String> {
    if events.is_empty() {
        return Ok(());
    }
    let mut delay = Duration::from_millis(50);
    for attempt in 0.. {
        match storage.append_audit(events).await {
            Ok(_) => return Ok(()),
            Err(err) if attempt < 5 => {
                tracing::warn!(error = %err, attempt, "audit append failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(err) => return Err(err.to_string()),
        }
    }
    unreachable!("the loop returns")
}

/// The filters of `GET /v1/audit-events`, checked by the route.
pub type ListFilter = AuditFilter;

/// One page of events, newest first. Flushes this process's queue first,
/// so a caller sees the events of its own earlier requests.
pub async fn list(
    state: &AppState,
    filter: &AuditFilter,
    cursor: Option<i64>,
    limit: u32,
) -> Result<Page<mismatch_core::security::audit::ChainedEvent>, ApiError> {
    flush(state).await;
    Ok(state
        .storage()
        .list_audit_events(filter, cursor, limit)
        .await?)
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every event from the checkpoint (if any) to the head is intact.
    Intact {
        events: u64,
        checkpoint: Option<Checkpoint>,
    },
    /// The first fault.
    Tampered(Tamper),
    /// The newest checkpoint's MAC does not verify: it was forged or
    /// altered, so the chain has no trusted start.
    ForgedCheckpoint { seq: i64 },
}

/// Walks the whole chain from the newest checkpoint to the head, 1,000
/// events at a time. `keyring` verifies the checkpoint's MAC; without one a
/// checkpoint cannot be trusted and counts as forged.
pub async fn verify(
    storage: &Storage,
    keyring: Option<&mismatch_core::security::fernet::Keyring>,
) -> Result<Verification, StorageError> {
    let checkpoint = storage.latest_audit_checkpoint().await?;
    if let Some(stored) = &checkpoint
        && !checkpoint_is_signed(stored, keyring)
    {
        return Ok(Verification::ForgedCheckpoint {
            seq: stored.checkpoint.seq,
        });
    }
    let start = checkpoint.map(|c| c.checkpoint);
    let mut verifier = Verifier::new(start.as_ref());
    let mut after = start.as_ref().map_or(0, |c| c.seq);
    // Read the head first: events appended during the walk come after it
    // and are left for the next run.
    let head = storage.audit_head().await?;
    loop {
        let batch = storage.audit_events_after(after, 1_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for event in batch.iter().take_while(|e| e.seq <= head.seq) {
            if let Err(tamper) = verifier.push(event) {
                return Ok(Verification::Tampered(tamper));
            }
        }
        if after >= head.seq {
            break;
        }
    }
    match verifier.finish(Some(&head)) {
        Ok(events) => Ok(Verification::Intact {
            events,
            checkpoint: start,
        }),
        Err(tamper) => Ok(Verification::Tampered(tamper)),
    }
}

fn checkpoint_is_signed(
    stored: &StoredCheckpoint,
    keyring: Option<&mismatch_core::security::fernet::Keyring>,
) -> bool {
    keyring.is_some_and(|ring| {
        ring.verify_mac(
            CHECKPOINT_MAC_PURPOSE,
            &stored.key_id,
            &stored.checkpoint.signed_bytes(),
            &stored.mac,
        )
    })
}

/// Purges events older than the retention period (if one is set), leaving
/// a signed checkpoint, and records the purge itself; answers how many
/// events went.
pub async fn purge(state: &AppState) -> Result<u64, ApiError> {
    let Some(days) = state.settings().audit_retention_days else {
        return Ok(0);
    };
    let Some(crypto) = state.storage().crypto() else {
        return Err(ApiError::unavailable(
            "the audit purge needs the encryption keyring to sign its checkpoint",
        ));
    };
    flush(state).await;
    let cutoff = now_ms() - i64::from(days) * 86_400_000;
    let purged = state
        .storage()
        .purge_audit(cutoff, crypto.keyring(), now_ms())
        .await?;
    let Some((checkpoint, deleted)) = purged else {
        return Ok(0);
    };
    tracing::info!(
        deleted,
        seq = checkpoint.checkpoint.seq,
        "audit events past retention purged"
    );
    record_with(
        state,
        &AuditContext::system("retention"),
        AuditEvent::new("audit_events.purge")
            .detail("deleted", deleted)
            .detail("checkpoint_seq", checkpoint.checkpoint.seq)
            .detail("retention_days", days),
    )
    .await?;
    Ok(deleted)
}

/// The retention purge: at start, then daily (started by `serve`).
pub async fn retention_sweep(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(24 * 3600));
    loop {
        tick.tick().await;
        if let Err(err) = purge(&state).await {
            tracing::error!(error = %err.detail, "audit retention purge failed");
        }
    }
}
