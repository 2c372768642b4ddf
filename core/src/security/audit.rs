//! The audit log's hash chain: how an event is encoded and hashed, and the
//! verifier that walks a stored chain and names the first event that was
//! modified, inserted or deleted.
//!
//! Each event's hash is `SHA-256(prev_hash ‖ encoding)`, where `prev_hash`
//! is the previous event's hash (32 zero bytes for the first event ever, or
//! the hash in the signed checkpoint the retention purge leaves behind) and
//! the encoding is unambiguous: every field is a one-byte presence tag, then
//! (if present) its length as a big-endian `u32` and its bytes, in a fixed
//! order, after a version byte. Two different events can therefore never
//! encode alike, whatever their text contains.
//!
//! The sequence number is deliberately *not* hashed: it is checked apart
//! (each event must follow the one before it), which is what lets the
//! verifier tell the cases apart. A row whose content no longer matches its
//! hash was modified; a gap in the numbers with the chain otherwise intact
//! is a deletion; an event that the next one skips over (the next one links
//! to the event before it) was inserted; a broken link between consecutive
//! numbers means the previous event was rewritten *and* rehashed, or events
//! were deleted and the rest renumbered. A plain hash chain cannot stop
//! someone with write access to the database from rebuilding every hash
//! after the point they changed; the stored head and the MAC'd checkpoints
//! (verified by the server, which holds the key) are what anchor it.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event of a chain that never lost an event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const ENCODING_VERSION: u8 = 1;

/// The hashed content of an audit event (everything but its sequence number
/// and its hashes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventContent {
    /// When it happened, in Unix milliseconds.
    pub occurred_at: i64,
    /// The user who acted, if known.
    pub actor_user_id: Option<String>,
    /// The API key (or session) it acted with.
    pub actor_key_id: Option<String>,
    /// `resource.verb`, e.g. `candidates.create`.
    pub action: String,
    /// The kind of thing acted on (`candidate`, `api_key`…).
    pub resource_type: Option<String>,
    /// Its id.
    pub resource_id: Option<String>,
    /// A JSON object as stored (its exact text is hashed).
    pub details: String,
    /// The client address (through trusted proxies only).
    pub client_ip: Option<String>,
    /// The client's `User-Agent`, bounded.
    pub user_agent: Option<String>,
    /// The request's id (`X-Request-Id`).
    pub request_id: Option<String>,
    /// `success`, `failure`, `denied` or `error`.
    pub outcome: String,
    /// The HTTP status answered, for events of a request.
    pub status: Option<u16>,
}

impl EventContent {
    /// The canonical encoding the hash covers.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.details.len());
        out.push(ENCODING_VERSION);
        put(&mut out, Some(&self.occurred_at.to_be_bytes()));
        put_str(&mut out, self.actor_user_id.as_deref());
        put_str(&mut out, self.actor_key_id.as_deref());
        put_str(&mut out, Some(&self.action));
        put_str(&mut out, self.resource_type.as_deref());
        put_str(&mut out, self.resource_id.as_deref());
        put_str(&mut out, Some(&self.details));
        put_str(&mut out, self.client_ip.as_deref());
        put_str(&mut out, self.user_agent.as_deref());
        put_str(&mut out, self.request_id.as_deref());
        put_str(&mut out, Some(&self.outcome));
        put(
            &mut out,
            self.status.map(u16::to_be_bytes).as_ref().map(|b| &b[..]),
        );
        out
    }

    /// `SHA-256(prev_hash ‖ encoding)` as lowercase hex; `prev_hash` is the
    /// previous event's hex hash (its bytes as written are hashed).
    pub fn chain_hash(&self, prev_hash: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(prev_hash.as_bytes());
        hasher.update(self.encode());
        hex::encode(hasher.finalize())
    }
}

fn put_str(out: &mut Vec<u8>, value: Option<&str>) {
    put(out, value.map(str::as_bytes));
}

fn put(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            // Fields are bounded far below 4 GiB by the server; a longer one
            // would be cut at the length mark, so saturate rather than wrap.
            let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(bytes);
        }
    }
}

/// An event as stored: its number, content and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEvent {
    /// Its place in the chain, from 1.
    pub seq: i64,
    /// What the hash covers.
    pub content: EventContent,
    /// The previous event's hash.
    pub prev_hash: String,
    /// `SHA-256(prev_hash ‖ encoding)`, hex.
    pub hash: String,
}

/// Where a verified chain starts: the last event the retention purge
/// removed (its number and hash). Without one, the chain starts at event 1
/// after [`GENESIS_HASH`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The event's number.
    pub seq: i64,
    /// The event's hash.
    pub hash: String,
}

impl Checkpoint {
    /// The bytes a checkpoint's MAC covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        format!("audit-checkpoint:{}:{}", self.seq, self.hash).into_bytes()
    }
}

/// The first thing wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tamper {
    /// The event's content or hash was changed: they no longer agree.
    #[error("event {seq} was modified: its content does not match its hash")]
    Modified {
        /// The event.
        seq: i64,
    },
    /// The event does not link to the one before it though the numbers
    /// follow: that one was rewritten and rehashed, or events between them
    /// were deleted and the rest renumbered.
    #[error(
        "event {seq} does not link to event {previous}: event {previous} was modified and rehashed, or events between them were deleted"
    )]
    Relinked {
        /// The event whose link is broken.
        seq: i64,
        /// The event before it.
        previous: i64,
    },
    /// Events `first..=last` are missing.
    #[error("{}", deleted_message(*first, *last))]
    Deleted {
        /// The first missing number.
        first: i64,
        /// The last missing number.
        last: i64,
    },
    /// The event is not part of the chain: the one after it links past it,
    /// or it repeats or goes back on the numbering.
    #[error("event {seq} was inserted: the chain does not include it")]
    Inserted {
        /// The event.
        seq: i64,
    },
    /// The chain ends before the recorded head: its last events are gone.
    #[error("{}", deleted_message(*first, *last))]
    Truncated {
        /// The first missing number.
        first: i64,
        /// The head's number.
        last: i64,
    },
    /// The stored head does not match the last event.
    #[error("event {seq} does not match the recorded head of the chain")]
    HeadMismatch {
        /// The last event.
        seq: i64,
    },
}

fn deleted_message(first: i64, last: i64) -> String {
    if first == last {
        format!("event {first} was deleted")
    } else {
        format!("events {first} to {last} were deleted")
    }
}

impl Tamper {
    /// The number of the first bad (or missing) event.
    pub fn seq(&self) -> i64 {
        match self {
            Tamper::Modified { seq } | Tamper::Inserted { seq } | Tamper::HeadMismatch { seq } => {
                *seq
            }
            Tamper::Relinked { previous, .. } => *previous,
            Tamper::Deleted { first, .. } | Tamper::Truncated { first, .. } => *first,
        }
    }
}

/// Walks a chain in sequence order, one event at a time (so a large log is
/// streamed, never held whole), and stops at the first fault.
#[derive(Debug, Clone)]
pub struct Verifier {
    /// The hash the next event must link to, and the number it must carry.
    expected_prev: String,
    expected_seq: i64,
    /// The link before the last accepted event, to recognise an insertion.
    before_last: Option<(String, i64)>,
    checked: u64,
}

impl Verifier {
    /// A walk from `start` (a purge checkpoint), or from the genesis.
    pub fn new(start: Option<&Checkpoint>) -> Self {
        let (expected_prev, expected_seq) = match start {
            Some(cp) => (cp.hash.clone(), cp.seq + 1),
            None => (GENESIS_HASH.to_owned(), 1),
        };
        Self {
            expected_prev,
            expected_seq,
            before_last: None,
            checked: 0,
        }
    }

    /// Checks the next stored event.
    pub fn push(&mut self, event: &ChainedEvent) -> Result<(), Tamper> {
        if event.content.chain_hash(&event.prev_hash) != event.hash {
            return Err(Tamper::Modified { seq: event.seq });
        }
        let last_seq = self.expected_seq - 1;
        if event.seq <= last_seq {
            return Err(Tamper::Inserted { seq: event.seq });
        }
        if event.prev_hash != self.expected_prev {
            if let Some((prev, _)) = &self.before_last
                && *prev == event.prev_hash
            {
                // It links to the event before the last one: the last one
                // was slipped in between.
                return Err(Tamper::Inserted { seq: last_seq });
            }
            if event.seq > self.expected_seq {
                return Err(Tamper::Deleted {
                    first: self.expected_seq,
                    last: event.seq - 1,
                });
            }
            return Err(if self.checked == 0 {
                // Nothing before it to blame: the first event does not start
                // where the chain (or its checkpoint) says.
                Tamper::Inserted { seq: event.seq }
            } else {
                Tamper::Relinked {
                    seq: event.seq,
                    previous: last_seq,
                }
            });
        }
        if event.seq != self.expected_seq {
            // Intact links over a gap: the events were removed and the link
            // rewritten around them.
            return Err(Tamper::Deleted {
                first: self.expected_seq,
                last: event.seq - 1,
            });
        }
        self.before_last = Some((
            std::mem::replace(&mut self.expected_prev, event.hash.clone()),
            last_seq,
        ));
        self.expected_seq = event.seq + 1;
        self.checked += 1;
        Ok(())
    }

    /// Ends the walk against the recorded head (`seq` and `hash` of the last
    /// event appended); answers how many events were checked.
    pub fn finish(self, head: Option<&Checkpoint>) -> Result<u64, Tamper> {
        let last_seq = self.expected_seq - 1;
        if let Some(head) = head {
            if head.seq > last_seq {
                return Err(Tamper::Truncated {
                    first: last_seq + 1,
                    last: head.seq,
                });
            }
            if head.seq < last_seq {
                return Err(Tamper::Inserted { seq: head.seq + 1 });
            }
            if head.hash != self.expected_prev {
                return Err(Tamper::HeadMismatch { seq: last_seq });
            }
        }
        Ok(self.checked)
    }

    /// Events accepted so far.
    pub fn checked(&self) -> u64 {
        self.checked
    }
}

/// Verifies a whole chain held in memory (tests, small logs).
pub fn verify<'a>(
    start: Option<&Checkpoint>,
    events: impl IntoIterator<Item = &'a ChainedEvent>,
    head: Option<&Checkpoint>,
) -> Result<u64, Tamper> {
    let mut verifier = Verifier::new(start);
    for event in events {
        verifier.push(event)?;
    }
    verifier.finish(head)
}

/// Chains `contents` after `prev_hash`, numbering from `first_seq`.
pub fn chain(
    first_seq: i64,
    prev_hash: &str,
    contents: impl IntoIterator<Item = EventContent>,
) -> Vec<ChainedEvent> {
    let mut prev = prev_hash.to_owned();
    let mut out = Vec::new();
    for (i, content) in contents.into_iter().enumerate() {
        let hash = content.chain_hash(&prev);
        out.push(ChainedEvent {
            seq: first_seq + i as i64,
            content,
            prev_hash: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(i: i64) -> EventContent {
        EventContent {
            occurred_at: 1_765_000_000_000 + i,
            actor_user_id: Some("usr_1".into()),
            actor_key_id: None,
            action: "candidates.create".into(),
            resource_type: Some("candidate".into()),
            resource_id: Some(format!("cand_{i}")),
            details: "{}".into(),
            client_ip: Some("127.0.0.1".into()),
            user_agent: None,
            request_id: Some(format!("req_{i}")),
            outcome: "success".into(),
            status: Some(201),
        }
    }

    fn log(n: i64) -> Vec<ChainedEvent> {
        chain(1, GENESIS_HASH, (1..=n).map(content))
    }

    fn head(events: &[ChainedEvent]) -> Checkpoint {
        let last = events.last().unwrap();
        Checkpoint {
            seq: last.seq,
            hash: last.hash.clone(),
        }
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = log(5);
        assert_eq!(verify(None, &events, Some(&head(&events))), Ok(5));
        assert_eq!(verify(None, &[], None), Ok(0));
    }

    #[test]
    fn the_encoding_is_unambiguous() {
        // The same bytes moved from one field to the next must not collide.
        let mut a = content(1);
        a.resource_type = Some("candidatecand".into());
        a.resource_id = Some("_1".into());
        let mut b = content(1);
        b.resource_type = Some("candidate".into());
        b.resource_id = Some("cand_1".into());
        assert_ne!(a.encode(), b.encode());
        let mut c = content(1);
        c.actor_key_id = Some(String::new());
        assert_ne!(c.encode(), content(1).encode(), "absent is not empty");
        assert_ne!(a.chain_hash(GENESIS_HASH), b.chain_hash(GENESIS_HASH));
    }

    #[test]
    fn a_modified_event_is_named() {
        let mut events = log(5);
        events[2].content.outcome = "failure".into();
        assert_eq!(
            verify(None, &events, None),
            Err(Tamper::Modified { seq: 3 })
        );
    }

    #[test]
    fn a_modified_and_rehashed_event_breaks_the_next_link() {
        let mut events = log(5);
        events[2].content.details = r#"{"changed":true}"#.into();
        events[2].hash = events[2].content.chain_hash(&events[2].prev_hash);
        let err = verify(None, &events, None).unwrap_err();
        assert_eq!(
            err,
            Tamper::Relinked {
                seq: 4,
                previous: 3
            }
        );
        assert_eq!(err.seq(), 3);
    }

    #[test]
    fn a_deleted_event_in_the_middle_is_a_gap() {
        let mut events = log(5);
        events.remove(2);
        assert_eq!(
            verify(None, &events, None),
            Err(Tamper::Deleted { first: 3, last: 3 })
        );
        // Even with the next link rewritten around it.
        let mut events = log(5);
        events.remove(2);
        events[2].prev_hash = events[1].hash.clone();
        events[2].hash = events[2].content.chain_hash(&events[2].prev_hash);
        assert_eq!(
            verify(None, &events, None),
            Err(Tamper::Deleted { first: 3, last: 3 })
        );
    }

    #[test]
    fn a_deleted_first_event_is_found() {
        let mut events = log(5);
        events.remove(0);
        assert_eq!(
            verify(None, &events, None),
            Err(Tamper::Deleted { first: 1, last: 1 })
        );
    }

    #[test]
    fn deleted_last_events_are_found_against_the_head() {
        let mut events = log(5);
        let h = head(&events);
        events.truncate(3);
        assert_eq!(
            verify(None, &events, Some(&h)),
            Err(Tamper::Truncated { first: 4, last: 5 })
        );
    }

    #[test]
    fn an_inserted_event_is_named() {
        // Slipped in after event 2, the rest renumbered.
        let mut events = log(5);
        let forged = content(99);
        let hash = forged.chain_hash(&events[1].hash);
        events.insert(
            2,
            ChainedEvent {
                seq: 3,
                content: forged,
                prev_hash: events[1].hash.clone(),
                hash,
            },
        );
        for (i, e) in events.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
        }
        assert_eq!(
            verify(None, &events, None),
            Err(Tamper::Inserted { seq: 3 })
        );
        // Appended after the head.
        let mut events = log(3);
        let h = head(&events);
        events.extend(chain(4, &h.hash, [content(4)]));
        assert_eq!(
            verify(None, &events, Some(&h)),
            Err(Tamper::Inserted { seq: 4 })
        );
        // A repeated number.
        let mut events = log(3);
        let again = events[2].clone();
        events.push(again);
        assert_eq!(
            verify(None, &events, None),
            Err(Tamper::Inserted { seq: 3 })
        );
    }

    #[test]
    fn a_checkpoint_starts_the_chain_after_a_purge() {
        let events = log(6);
        let cp = Checkpoint {
            seq: 3,
            hash: events[2].hash.clone(),
        };
        assert_eq!(verify(Some(&cp), &events[3..], Some(&head(&events))), Ok(3));
        // Without the checkpoint the remaining events do not start a chain.
        assert_eq!(
            verify(None, &events[3..], None),
            Err(Tamper::Deleted { first: 1, last: 3 })
        );
        // A forged checkpoint hash does not match the first remaining event.
        let forged = Checkpoint {
            seq: 3,
            hash: GENESIS_HASH.into(),
        };
        assert_eq!(
            verify(Some(&forged), &events[3..], None),
            Err(Tamper::Inserted { seq: 4 })
        );
    }
}
