//! The audit log's tables: appending a batch of events to the hash chain,
//! listing and streaming them, the retention purge and its checkpoints.
//!
//! Appends serialise on the one row of `audit_head`: the append transaction
//! updates it first, which takes SQLite's write lock or a PostgreSQL row
//! lock, then reads the head, chains the batch after it and moves the head.
//! Two processes (or replicas) appending at once therefore queue, and the
//! chain never forks. The tables refuse UPDATE and DELETE by trigger (see
//! the migration); only [`Storage::purge_audit`] opens the gap they leave
//! for the retention purge, inside its own transaction.

use mismatch_core::security::audit::{ChainedEvent, Checkpoint, EventContent};
use mismatch_core::security::fernet::{KeyId, Keyring};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{Backend, Page, Result, Storage, StorageError, audited, paginate, where_clause};

/// The purpose under which checkpoint MACs are made with the keyring.
pub const CHECKPOINT_MAC_PURPOSE: &str = "audit-checkpoint";

/// Rows per INSERT statement (15 binds each, far below both backends' cap).
const INSERT_CHUNK: usize = 100;

const COLUMNS: &str = "seq, occurred_at, actor_user_id, actor_key_id, action, resource_type, \
     resource_id, details, client_ip, user_agent, request_id, outcome, status, prev_hash, hash";

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub checkpoint: Checkpoint,
    pub created_at: i64,
    pub key_id: KeyId,
    pub mac: String,
}

/// Filters of the audit listing; all optional, all combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_user_id: Option<String>,
    pub action: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub outcome: Option<String>,
    /// Inclusive lower bound, Unix ms.
    pub from: Option<i64>,
    /// Exclusive upper bound, Unix ms.
    pub to: Option<i64>,
}

fn event_from_row(r: &AnyRow) -> Result<ChainedEvent> {
    let status: Option<i64> = r.try_get("status")?;
    let status = status
        .map(|s| {
            u16::try_from(s).map_err(|_| StorageError::Corrupt(format!("status: {s} out of range")))
        })
        .transpose()?;
    Ok(ChainedEvent {
        seq: r.try_get("seq")?,
        content: EventContent {
            occurred_at: r.try_get("occurred_at")?,
            actor_user_id: r.try_get("actor_user_id")?,
            actor_key_id: r.try_get("actor_key_id")?,
            action: r.try_get("action")?,
            resource_type: r.try_get("resource_type")?,
            resource_id: r.try_get("resource_id")?,
            details: r.try_get("details")?,
            client_ip: r.try_get("client_ip")?,
            user_agent: r.try_get("user_agent")?,
            request_id: r.try_get("request_id")?,
            outcome: r.try_get("outcome")?,
            status,
        },
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

fn checkpoint_from_row(r: &AnyRow) -> Result<StoredCheckpoint> {
    let key_id: String = r.try_get("key_id")?;
    Ok(StoredCheckpoint {
        checkpoint: Checkpoint {
            seq: r.try_get("seq")?,
            hash: r.try_get("hash")?,
        },
        created_at: r.try_get("created_at")?,
        key_id: KeyId::from_stored(key_id),
        mac: r.try_get("mac")?,
    })
}

impl Storage {
    /// Appends `events` to the chain in one transaction; answers the seq of
    /// the last one (the head).
    pub async fn append_audit(&self, events: &[EventContent]) -> Result<Checkpoint> {
        let mut tx = self.begin_write().await?;
        let head = lock_head(&mut tx).await?;
        if events.is_empty() {
            tx.commit().await?;
            return Ok(head);
        }
        let chained =
            mismatch_core::security::audit::chain(head.seq + 1, &head.hash, events.iter().cloned());
        for chunk in chained.chunks(INSERT_CHUNK) {
            let rows = (0..chunk.len())
                .map(|i| {
                    let b = i * 15;
                    format!(
                        "(${},${},${},${},${},${},${},${},${},${},${},${},${},${},${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8,
                        b + 9,
                        b + 10,
                        b + 11,
                        b + 12,
                        b + 13,
                        b + 14,
                        b + 15
                    )
                })
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!("INSERT INTO audit_events ({COLUMNS}) VALUES {rows}");
            let mut query = sqlx::query(audited(sql));
            for e in chunk {
                let c = &e.content;
                query = query
                    .bind(e.seq)
                    .bind(c.occurred_at)
                    .bind(c.actor_user_id.clone())
                    .bind(c.actor_key_id.clone())
                    .bind(c.action.clone())
                    .bind(c.resource_type.clone())
                    .bind(c.resource_id.clone())
                    .bind(c.details.clone())
                    .bind(c.client_ip.clone())
                    .bind(c.user_agent.clone())
                    .bind(c.request_id.clone())
                    .bind(c.outcome.clone())
                    .bind(c.status.map(i64::from))
                    .bind(e.prev_hash.clone())
                    .bind(e.hash.clone());
            }
            query.execute(&mut *tx).await?;
        }
        let last = chained.last().map_or(head, |e| Checkpoint {
            seq: e.seq,
            hash: e.hash.clone(),
        });
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(last.seq)
            .bind(&last.hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(last)
    }

    /// The last event appended (seq 0 and the genesis hash before any).
    pub async fn audit_head(&self) -> Result<Checkpoint> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StorageError::Corrupt("audit_head: the row is missing".into()))?;
        Ok(Checkpoint {
            seq: row.try_get("seq")?,
            hash: row.try_get("hash")?,
        })
    }

    /// One page of events matching `filter`, newest first; the cursor is
    /// the last seq of the previous page.
    pub async fn list_audit_events(
        &self,
        filter: &AuditFilter,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Page<ChainedEvent>> {
        enum Bind<'a> {
            Text(&'a str),
            Int(i64),
        }
        let mut conditions = Vec::new();
        let mut binds = Vec::new();
        let text_filters = [
            ("actor_user_id", &filter.actor_user_id),
            ("action", &filter.action),
            ("resource_type", &filter.resource_type),
            ("resource_id", &filter.resource_id),
            ("outcome", &filter.outcome),
        ];
        for (column, value) in text_filters {
            if let Some(value) = value {
                binds.push(Bind::Text(value));
                conditions.push(format!("{column} = ${}", binds.len()));
            }
        }
        if let Some(from) = filter.from {
            binds.push(Bind::Int(from));
            conditions.push(format!("occurred_at >= ${}", binds.len()));
        }
        if let Some(to) = filter.to {
            binds.push(Bind::Int(to));
            conditions.push(format!("occurred_at < ${}", binds.len()));
        }
        if let Some(cursor) = cursor {
            binds.push(Bind::Int(cursor));
            conditions.push(format!("seq < ${}", binds.len()));
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events {} ORDER BY seq DESC LIMIT {}",
            where_clause(&conditions),
            i64::from(limit) + 1
        );
        let mut query = sqlx::query(audited(sql));
        for b in binds {
            query = match b {
                Bind::Text(t) => query.bind(t),
                Bind::Int(i) => query.bind(i),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(event_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(paginate(items, limit, |e| e.seq.to_string()))
    }

    /// Up to `limit` events after `after_seq`, in chain order (for verify,
    /// which walks the whole log a batch at a time).
    pub async fn audit_events_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<ChainedEvent>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT {}",
            i64::from(limit)
        );
        let rows = sqlx::query(audited(sql))
            .bind(after_seq)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The newest checkpoint, where the remaining chain starts.
    pub async fn latest_audit_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        let row = sqlx::query(
            "SELECT seq, hash, created_at, key_id, mac FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(checkpoint_from_row).transpose()
    }

    /// Deletes every event up to the newest one that occurred before
    /// `cutoff_ms`, and leaves a checkpoint (its seq and hash, MAC'd under
    /// `keyring`'s primary) where the remaining chain starts; `None` when
    /// nothing was old enough. One transaction: the checkpoint and the
    /// deletion are both there or both not.
    pub async fn purge_audit(
        &self,
        cutoff_ms: i64,
        keyring: &Keyring,
        now_ms: i64,
    ) -> Result<Option<(StoredCheckpoint, u64)>> {
        let mut tx = self.begin_write().await?;
        // Appends wait meanwhile; the purge never removes the head's event
        // from under a writer that read it.
        lock_head(&mut tx).await?;
        let row = sqlx::query(
            "SELECT seq, hash FROM audit_events WHERE seq = \
             (SELECT MAX(seq) FROM audit_events WHERE occurred_at < $1)",
        )
        .bind(cutoff_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.commit().await?;
            return Ok(None);
        };
        let checkpoint = Checkpoint {
            seq: row.try_get("seq")?,
            hash: row.try_get("hash")?,
        };
        match self.backend {
            Backend::Postgres => {
                sqlx::query("SELECT set_config('mismatch.audit_purge', 'on', true)")
                    .execute(&mut *tx)
                    .await?;
            }
            Backend::Sqlite => {
                sqlx::query("INSERT INTO audit_purge (id) VALUES (1)")
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let deleted = sqlx::query("DELETE FROM audit_events WHERE seq <= $1")
            .bind(checkpoint.seq)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if self.backend == Backend::Sqlite {
            sqlx::query("DELETE FROM audit_purge")
                .execute(&mut *tx)
                .await?;
        }
        let (key_id, mac) = keyring.mac(CHECKPOINT_MAC_PURPOSE, &checkpoint.signed_bytes());
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, hash, created_at, key_id, mac) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(checkpoint.seq)
        .bind(&checkpoint.hash)
        .bind(now_ms)
        .bind(key_id.as_str())
        .bind(&mac)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some((
            StoredCheckpoint {
                checkpoint,
                created_at: now_ms,
                key_id,
                mac,
            },
            deleted,
        )))
    }

    /// MACs every checkpoint again under `keyring`'s primary key (after a key
    /// rotation, before the old key is removed); answers how many changed.
    /// A checkpoint whose MAC no ring key verifies is not re-signed: that
    /// would launder a forgery, so it is an error.
    pub async fn remac_audit_checkpoints(&self, keyring: &Keyring) -> Result<u64> {
        let rows = sqlx::query(
            "SELECT seq, hash, created_at, key_id, mac FROM audit_checkpoints WHERE key_id <> $1",
        )
        .bind(keyring.primary_id().as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut changed = 0;
        for row in &rows {
            let stored = checkpoint_from_row(row)?;
            let bytes = stored.checkpoint.signed_bytes();
            if !keyring.verify_mac(CHECKPOINT_MAC_PURPOSE, &stored.key_id, &bytes, &stored.mac) {
                return Err(StorageError::Corrupt(format!(
                    "audit checkpoint {}: its MAC does not verify under any key of the keyring",
                    stored.checkpoint.seq
                )));
            }
            let (key_id, mac) = keyring.mac(CHECKPOINT_MAC_PURPOSE, &bytes);
            let done = sqlx::query(
                "UPDATE audit_checkpoints SET key_id = $1, mac = $2 WHERE seq = $3 AND mac = $4",
            )
            .bind(key_id.as_str())
            .bind(&mac)
            .bind(stored.checkpoint.seq)
            .bind(&stored.mac)
            .execute(&self.pool)
            .await?;
            changed += done.rows_affected();
        }
        Ok(changed)
    }
}

/// Takes the append lock (a no-op update of `audit_head`) and reads the head.
async fn lock_head(tx: &mut Transaction<'_, Any>) -> Result<Checkpoint> {
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StorageError::Corrupt("audit_head: the row is missing".into()))?;
    Ok(Checkpoint {
        seq: row.try_get("seq")?,
        hash: row.try_get("hash")?,
    })
}
