//! What erasure and candidate retention need from the database beyond the
//! candidate's own queries: the candidates past their retention, and
//! flushing the SQLite write-ahead log so an erased row's old page images
//! do not outlive the erasure there.

use sqlx::Row;

use super::{Backend, Result, Storage, decode};
use crate::ids::CandidateId;

impl Storage {
    /// Up to `limit` candidates created before `before` (Unix ms), oldest
    /// first: one batch of the retention sweep.
    pub async fn candidates_created_before(
        &self,
        before: i64,
        limit: u32,
    ) -> Result<Vec<CandidateId>> {
        let rows = sqlx::query(
            "SELECT id FROM candidates WHERE created_at < $1 ORDER BY created_at, id LIMIT $2",
        )
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| decode(r, "id")).collect()
    }

    /// After an erasure: on SQLite, checkpoints the write-ahead log into the
    /// database file and truncates it. `secure_delete` zeroes the freed
    /// pages in the new page images, but the WAL still holds the older
    /// images (with the erased row) until a checkpoint overwrites them.
    /// Returns false when a reader kept the checkpoint from completing (the
    /// next automatic checkpoint finishes the job). On PostgreSQL there is
    /// nothing to do here: dead tuples are reclaimed by autovacuum, and the
    /// per-candidate data key being gone is what shreds them.
    pub async fn flush_erased_pages(&self) -> Result<bool> {
        match self.backend {
            Backend::Postgres => Ok(true),
            Backend::Sqlite => {
                let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(&self.pool)
                    .await?;
                // (busy, log frames, checkpointed frames); busy = 1 when a
                // reader or writer held it back.
                let busy: i64 = row.try_get(0)?;
                Ok(busy == 0)
            }
        }
    }
}
