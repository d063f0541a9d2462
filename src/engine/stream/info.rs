//! XINFO STREAM (and FULL), XINFO GROUPS and XINFO CONSUMERS as typed snapshots, field for
//! field as `xinfoCommand` in redis `src/t_stream.c` replies them. The command layer turns
//! these into RESP maps; nothing here knows RESP.

use super::group::{group_lag, GroupNotFound};
use super::id::StreamId;
use super::{Entry, Stream};

/// What XINFO STREAM and XINFO STREAM FULL both report first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSummary {
    /// `length`.
    pub length: u64,
    /// `radix-tree-keys`: nodes holding entries.
    pub radix_tree_keys: u64,
    /// `radix-tree-nodes`: nodes a Redis radix tree with those keys would have.
    pub radix_tree_nodes: u64,
    /// `last-generated-id`.
    pub last_generated_id: StreamId,
    /// `max-deleted-entry-id`.
    pub max_deleted_entry_id: StreamId,
    /// `entries-added`.
    pub entries_added: u64,
    /// `recorded-first-entry-id`.
    pub recorded_first_entry_id: StreamId,
}

/// XINFO STREAM (without FULL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// `length` to `recorded-first-entry-id`.
    pub summary: StreamSummary,
    /// `groups`: how many.
    pub groups: u64,
    /// `first-entry` (nil when empty).
    pub first_entry: Option<Entry>,
    /// `last-entry` (nil when empty).
    pub last_entry: Option<Entry>,
}

/// XINFO STREAM FULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfoFull {
    /// `length` to `recorded-first-entry-id`.
    pub summary: StreamSummary,
    /// `entries`: the first COUNT entries.
    pub entries: Vec<Entry>,
    /// `groups`, by name.
    pub groups: Vec<GroupInfoFull>,
}

/// One group in XINFO STREAM FULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfoFull {
    /// `name`.
    pub name: Vec<u8>,
    /// `last-delivered-id`.
    pub last_delivered_id: StreamId,
    /// `entries-read` (nil when unknown).
    pub entries_read: Option<u64>,
    /// `lag` (nil when unknown).
    pub lag: Option<i64>,
    /// `pel-count`.
    pub pel_count: u64,
    /// `pending`: the first COUNT as (ID, consumer, delivery unix ms, delivery count).
    pub pending: Vec<(StreamId, Vec<u8>, u64, u64)>,
    /// `consumers`, by name.
    pub consumers: Vec<ConsumerInfoFull>,
}

/// One consumer in XINFO STREAM FULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerInfoFull {
    /// `name`.
    pub name: Vec<u8>,
    /// `seen-time`: unix ms of the last read or claim attempt.
    pub seen_time: u64,
    /// `active-time` (Redis 7.2; -1 when never): unix ms of the last successful one.
    pub active_time: Option<u64>,
    /// `pel-count`.
    pub pel_count: u64,
    /// `pending`: the first COUNT as (ID, delivery unix ms, delivery count).
    pub pending: Vec<(StreamId, u64, u64)>,
}

/// One row of XINFO GROUPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// `name`.
    pub name: Vec<u8>,
    /// `consumers`.
    pub consumers: u64,
    /// `pending`.
    pub pending: u64,
    /// `last-delivered-id`.
    pub last_delivered_id: StreamId,
    /// `entries-read` (nil when unknown).
    pub entries_read: Option<u64>,
    /// `lag` (nil when unknown).
    pub lag: Option<i64>,
}

/// One row of XINFO CONSUMERS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerInfo {
    /// `name`.
    pub name: Vec<u8>,
    /// `pending`.
    pub pending: u64,
    /// `idle`: ms since the last read or claim attempt.
    pub idle: u64,
    /// `inactive` (Redis 7.2; -1 when never): ms since the last successful read or claim.
    pub inactive: Option<u64>,
}

impl Stream {
    fn summary(&self) -> StreamSummary {
        StreamSummary {
            length: self.meta.length,
            radix_tree_keys: self.entries.node_count() as u64,
            radix_tree_nodes: self.entries.radix_tree_nodes(),
            last_generated_id: self.meta.last_id,
            max_deleted_entry_id: self.meta.max_deleted_entry_id,
            entries_added: self.meta.entries_added,
            recorded_first_entry_id: self.meta.first_id,
        }
    }

    /// XINFO STREAM.
    pub fn info_stream(&self) -> StreamInfo {
        StreamInfo {
            summary: self.summary(),
            groups: self.groups.len() as u64,
            first_entry: self.first_entry(),
            last_entry: self.last_entry(),
        }
    }

    /// XINFO STREAM FULL COUNT `count`: at most `count` entries, and pending entries per
    /// group and per consumer; 0 means all. (Redis's default COUNT is 10, also for a
    /// negative one; that is the caller's.)
    pub fn info_stream_full(&self, count: usize) -> StreamInfoFull {
        let limit = if count == 0 { usize::MAX } else { count };
        let groups = self
            .groups
            .iter()
            .map(|(name, g)| GroupInfoFull {
                name: name.clone(),
                last_delivered_id: g.last_id(),
                entries_read: g.entries_read(),
                lag: group_lag(&self.meta, g),
                pel_count: g.pending_count(),
                pending: g
                    .pending()
                    .take(limit)
                    .map(|(id, n)| {
                        (
                            id,
                            n.consumer().to_vec(),
                            n.delivery_time(),
                            n.delivery_count(),
                        )
                    })
                    .collect(),
                consumers: g
                    .consumers()
                    .map(|(cname, c)| ConsumerInfoFull {
                        name: cname.to_vec(),
                        seen_time: c.seen_time(),
                        active_time: c.active_time(),
                        pel_count: c.pending_count(),
                        pending: c
                            .pending_ids()
                            .take(limit)
                            .map(|id| {
                                let (time, deliveries) = g
                                    .nack(id)
                                    .map_or((0, 0), |n| (n.delivery_time(), n.delivery_count()));
                                (id, time, deliveries)
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        StreamInfoFull {
            summary: self.summary(),
            entries: self.range(
                StreamId::MIN,
                StreamId::MAX,
                (count != 0).then_some(count),
                false,
            ),
            groups,
        }
    }

    /// XINFO GROUPS, by name.
    pub fn info_groups(&self) -> Vec<GroupInfo> {
        self.groups
            .iter()
            .map(|(name, g)| GroupInfo {
                name: name.clone(),
                consumers: g.consumers().count() as u64,
                pending: g.pending_count(),
                last_delivered_id: g.last_id(),
                entries_read: g.entries_read(),
                lag: group_lag(&self.meta, g),
            })
            .collect()
    }

    /// XINFO CONSUMERS, by name. Times before `now_ms` (a clock that went back) read as 0.
    ///
    /// # Errors
    /// [`GroupNotFound`].
    pub fn info_consumers(
        &self,
        group: &[u8],
        now_ms: u64,
    ) -> Result<Vec<ConsumerInfo>, GroupNotFound> {
        let group = self.groups.get(group).ok_or(GroupNotFound)?;
        Ok(group
            .consumers()
            .map(|(name, c)| ConsumerInfo {
                name: name.to_vec(),
                pending: c.pending_count(),
                idle: now_ms.saturating_sub(c.seen_time()),
                inactive: c.active_time().map(|t| now_ms.saturating_sub(t)),
            })
            .collect())
    }
}
