//! The server's simulated disk: the [`MemoryStore`] that outlives a server crash, wrapped so
//! the fault schedule can strike at store granularity, where a real process can fail:
//!
//! - a crash point armed by the schedule strikes at the server's next commit (the sweep's
//!   purge-only commits aside): after making it durable, so that none of the input's outputs
//!   ever leaves (its reply is lost although its write is on disk), or before, so the commit
//!   is lost with the process; or at the next commit that stores a chunk of a voice upload,
//!   in the middle of the upload and its message (after making it durable);
//! - a store failure makes the next commits fail, writing nothing (disk full, I/O error);
//! - a power loss throws away the commits not yet synced. Which ones are is modelled as the
//!   store's durability says: under `full` every commit is synced; under `normal` a commit is
//!   synced when it must be ([`WriteBatch::needs_sync`]) and at a checkpoint every
//!   `checkpoint_commits` commits, and a sync makes every earlier commit durable too (as
//!   SQLite's WAL does).
//!
//! A crash point answers the commit with `StoreError::CommitUncertain`, which is what a real
//! store says when the outcome of a commit is unknown: the production core halts without
//! releasing that input's outputs and its driver returns; the runner then crashes the host.
//! So the code that runs is the production code; only the disk is simulated. Every strike is
//! recorded in the history (`Entry::Disk`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use yim_server::store::memory::MemoryStore;
use yim_server::store::{
    Account, AudioRange, Durability, MuteRecord, RoomLogEntry, SendRecord, Store, StoreError,
    StoredMail, UploadInfo, WriteBatch,
};

use crate::app::{lock, Shared};
use crate::env::sim_ms;
use crate::history::{DiskEvent, Entry};

/// Where an armed crash strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// At the next commit, before it is durable: the commit is lost.
    BeforeCommit,
    /// At the next commit, once it is durable: its outputs are lost.
    AfterCommit,
    /// At the next commit that stores a chunk of a voice upload, once it is durable.
    MidUpload,
}

impl CrashPoint {
    /// The fault kind, for statistics.
    pub fn kind(self) -> &'static str {
        match self {
            CrashPoint::BeforeCommit => "crash_before_commit",
            CrashPoint::AfterCommit => "crash_after_commit",
            CrashPoint::MidUpload => "crash_mid_upload",
        }
    }
}

#[derive(Debug)]
struct DiskState {
    durability: Durability,
    checkpoint_commits: u32,
    /// Under `normal`: the disk as of the last sync, and the commits since.
    synced: Option<MemoryStore>,
    unsynced: Vec<WriteBatch>,
    armed: Option<CrashPoint>,
    /// The next this many commits fail.
    failing: u32,
    /// A crash point struck: the runner must crash the server host.
    crashed: bool,
    commits: u64,
    /// Strikes by fault kind.
    strikes: BTreeMap<String, usize>,
}

/// See the module doc. Clones share the disk.
#[derive(Debug, Clone)]
pub struct SimDisk {
    store: MemoryStore,
    state: Arc<Mutex<DiskState>>,
    shared: Shared,
}

impl SimDisk {
    /// A fresh disk; `first_message_id` starts the store's message-ID mark there (see
    /// `Scenario::first_message_id`).
    pub fn new(
        durability: Durability,
        checkpoint_commits: u32,
        first_message_id: Option<u64>,
        shared: Shared,
    ) -> SimDisk {
        let mut store = MemoryStore::new();
        if let Some(next) = first_message_id {
            let mut mark = WriteBatch::new();
            mark.push(yim_server::store::Write::MessageIdMark { next });
            // A memory store's commit of a mark cannot fail.
            let _ = store.commit(&mark);
        }
        let synced = (durability == Durability::Normal).then(|| store.deep_copy());
        SimDisk {
            store,
            state: Arc::new(Mutex::new(DiskState {
                durability,
                checkpoint_commits: checkpoint_commits.max(1),
                synced,
                unsynced: Vec::new(),
                armed: None,
                failing: 0,
                crashed: false,
                commits: 0,
                strikes: BTreeMap::new(),
            })),
            shared,
        }
    }

    /// The durability the disk models.
    pub fn durability(&self) -> Durability {
        self.state().durability
    }

    fn state(&self) -> MutexGuard<'_, DiskState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a strike in the history at simulated time `at_ms`.
    fn record(&self, at_ms: u64, event: DiskEvent) {
        lock(&self.shared)
            .history
            .push(at_ms, Entry::Disk { event });
    }

    /// Arms a crash point (replacing one armed before).
    pub fn arm(&self, point: CrashPoint) {
        self.state().armed = Some(point);
    }

    /// Makes the next `commits` commits fail.
    pub fn fail_commits(&self, commits: u32) {
        self.state().failing = commits;
    }

    /// Disarms a crash point that has not struck (the server restarts).
    pub fn disarm(&self) {
        self.state().armed = None;
    }

    /// Ends every disk fault that has not struck (everything heals).
    pub fn heal(&self) {
        let mut state = self.state();
        state.armed = None;
        state.failing = 0;
    }

    /// True once after a crash point struck.
    pub fn take_crashed(&self) -> bool {
        std::mem::take(&mut self.state().crashed)
    }

    /// Power is lost at `now_ms`: the disk goes back to its last sync.
    pub fn power_loss(&self, now_ms: u64) {
        let event = {
            let mut state = self.state();
            let lost = std::mem::take(&mut state.unsynced);
            if let Some(synced) = &state.synced {
                self.store.restore_from(synced);
            }
            // Every power loss is counted as fired when applied; here only those that lost
            // commits, so that a sweep shows the losses it exercised.
            if !lost.is_empty() {
                *state
                    .strikes
                    .entry("power_loss_lost_commits".to_owned())
                    .or_default() += 1;
            }
            DiskEvent::PowerLoss {
                lost_commits: lost.len(),
                lost_message_ids: lost.iter().flat_map(WriteBatch::mail_message_ids).collect(),
            }
        };
        self.record(now_ms, event);
    }

    /// Strikes by fault kind (crash points, failed commits, power losses that lost commits:
    /// `power_loss_lost_commits`).
    pub fn strikes(&self) -> BTreeMap<String, usize> {
        self.state().strikes.clone()
    }

    /// Makes `batch` durable as the durability says (see the module doc).
    fn write(&self, state: &mut DiskState, batch: &WriteBatch) -> Result<(), StoreError> {
        self.store.clone().commit(batch)?;
        if let Some(mut synced) = state.synced.clone() {
            state.unsynced.push(batch.clone());
            let checkpoint = state.unsynced.len() >= state.checkpoint_commits as usize;
            if batch.needs_sync() || checkpoint {
                for done in std::mem::take(&mut state.unsynced) {
                    synced.commit(&done)?;
                }
            }
        }
        Ok(())
    }
}

impl Store for SimDisk {
    fn account(&self, app_key: &str, user_id: &str) -> Result<Option<Account>, StoreError> {
        self.store.account(app_key, user_id)
    }

    fn mutes(&self) -> Result<Vec<MuteRecord>, StoreError> {
        self.store.mutes()
    }

    fn mail(&self, app_key: &str, user_id: &str) -> Result<Vec<StoredMail>, StoreError> {
        self.store.mail(app_key, user_id)
    }

    fn mail_count(&self, app_key: &str, user_id: &str) -> Result<usize, StoreError> {
        self.store.mail_count(app_key, user_id)
    }

    fn mail_count_from(
        &self,
        app_key: &str,
        user_id: &str,
        sender_id: &str,
    ) -> Result<usize, StoreError> {
        self.store.mail_count_from(app_key, user_id, sender_id)
    }

    fn message_id_mark(&self) -> Result<u64, StoreError> {
        self.store.message_id_mark()
    }

    fn current_session(&self, app_key: &str, user_id: &str) -> Result<Option<u64>, StoreError> {
        self.store.current_session(app_key, user_id)
    }

    fn send_key(
        &self,
        app_key: &str,
        user_id: &str,
        key: u64,
    ) -> Result<Option<SendRecord>, StoreError> {
        self.store.send_key(app_key, user_id, key)
    }

    fn room_last_seq(&self, app_key: &str, room_id: &str) -> Result<u64, StoreError> {
        self.store.room_last_seq(app_key, room_id)
    }

    fn room_log_after(
        &self,
        app_key: &str,
        room_id: &str,
        after_seq: u64,
    ) -> Result<Vec<RoomLogEntry>, StoreError> {
        self.store.room_log_after(app_key, room_id, after_seq)
    }

    fn upload(
        &self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<Option<UploadInfo>, StoreError> {
        self.store.upload(app_key, user_id, upload_key)
    }

    fn upload_data(
        &self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.upload_data(app_key, user_id, upload_key)
    }

    fn upload_keys(&self, app_key: &str, user_id: &str) -> Result<Vec<u64>, StoreError> {
        self.store.upload_keys(app_key, user_id)
    }

    fn audio_range(
        &self,
        app_key: &str,
        audio_id: u64,
        offset: u64,
        max_len: usize,
    ) -> Result<Option<AudioRange>, StoreError> {
        self.store.audio_range(app_key, audio_id, offset, max_len)
    }

    fn commit(&mut self, batch: &WriteBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut state = self.state();
        if state.crashed {
            return Err(StoreError::CommitUncertain("the server has crashed".into()));
        }
        state.commits += 1;
        let commit = state.commits;
        if state.failing > 0 {
            state.failing -= 1;
            *state.strikes.entry("store_failure".to_owned()).or_default() += 1;
            drop(state);
            self.record(sim_ms(), DiskEvent::CommitFailed { commit });
            return Err(StoreError::Failed("simulated disk full".into()));
        }
        let strikes = state.armed.filter(|point| match point {
            CrashPoint::BeforeCommit | CrashPoint::AfterCommit => !batch.is_purge_only(),
            CrashPoint::MidUpload => batch.stores_upload_chunk(),
        });
        let Some(point) = strikes else {
            return self.write(&mut state, batch);
        };
        let durable = point != CrashPoint::BeforeCommit;
        if durable {
            self.write(&mut state, batch)?;
        }
        state.armed = None;
        state.crashed = true;
        *state.strikes.entry(point.kind().to_owned()).or_default() += 1;
        drop(state);
        self.record(
            sim_ms(),
            DiskEvent::Crash {
                kind: point.kind().to_owned(),
                commit,
                durable,
            },
        );
        Err(StoreError::CommitUncertain(format!(
            "simulated crash at commit {commit}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::World;
    use crate::generate::{generate, Profile, Size};
    use yim_server::store::Write;

    fn disk(durability: Durability, checkpoint_commits: u32) -> SimDisk {
        let scenario = Arc::new(generate(0, &Size::small(), Profile::Calm));
        let shared = Arc::new(Mutex::new(World::new(scenario)));
        SimDisk::new(durability, checkpoint_commits, None, shared)
    }

    fn mail(message_id: u64) -> WriteBatch {
        let mut batch = WriteBatch::new();
        batch.push(Write::PushMail {
            app_key: "a".into(),
            user_id: "u".into(),
            sender_id: "s".into(),
            message_id,
            message: vec![1],
        });
        batch
    }

    fn synced_write() -> WriteBatch {
        let mut batch = WriteBatch::new();
        batch.push(Write::MessageIdMark { next: 100 });
        batch
    }

    #[test]
    fn a_power_loss_under_normal_loses_what_was_not_synced() {
        let mut disk = disk(Durability::Normal, 3);
        disk.commit(&mail(1)).unwrap();
        disk.commit(&synced_write()).unwrap();
        disk.commit(&mail(2)).unwrap();
        disk.commit(&mail(3)).unwrap();
        disk.power_loss(0);
        let kept: Vec<u64> = disk
            .mail("a", "u")
            .unwrap()
            .iter()
            .map(|m| m.message_id)
            .collect();
        assert_eq!(kept, [1], "a sync makes the commits before it durable");
        assert_eq!(disk.message_id_mark().unwrap(), 100);
        // A checkpoint every 3 commits syncs too.
        for id in 4..=6 {
            disk.commit(&mail(id)).unwrap();
        }
        disk.commit(&mail(7)).unwrap();
        disk.power_loss(0);
        let kept: Vec<u64> = disk
            .mail("a", "u")
            .unwrap()
            .iter()
            .map(|m| m.message_id)
            .collect();
        assert_eq!(kept, [1, 4, 5, 6]);
        // Both lost commits; a power loss right after a sync loses nothing and is not counted.
        disk.commit(&synced_write()).unwrap();
        disk.power_loss(0);
        assert_eq!(disk.strikes().get("power_loss_lost_commits"), Some(&2));
    }

    #[test]
    fn a_power_loss_under_full_loses_nothing() {
        let mut disk = disk(Durability::Full, 3);
        disk.commit(&mail(1)).unwrap();
        disk.power_loss(0);
        assert_eq!(disk.mail_count("a", "u").unwrap(), 1);
        assert!(disk.strikes().is_empty(), "nothing was lost");
    }

    #[test]
    fn crash_points_and_failures_strike_where_they_are_meant_to() {
        let mut disk = disk(Durability::Full, 1);
        let mut purge = WriteBatch::new();
        purge.push(Write::PurgeAudio { before_secs: 1 });
        disk.arm(CrashPoint::BeforeCommit);
        disk.commit(&purge).unwrap();
        assert!(matches!(
            disk.commit(&mail(1)),
            Err(StoreError::CommitUncertain(_))
        ));
        assert!(disk.take_crashed());
        assert_eq!(
            disk.mail_count("a", "u").unwrap(),
            0,
            "lost before it was durable"
        );
        disk.arm(CrashPoint::AfterCommit);
        assert!(disk.commit(&mail(2)).is_err());
        assert!(disk.take_crashed());
        assert_eq!(
            disk.mail_count("a", "u").unwrap(),
            1,
            "durable, then crashed"
        );
        disk.fail_commits(1);
        assert!(matches!(disk.commit(&mail(3)), Err(StoreError::Failed(_))));
        assert!(!disk.take_crashed());
        disk.commit(&mail(4)).unwrap();
        let strikes = disk.strikes();
        for kind in ["crash_before_commit", "crash_after_commit", "store_failure"] {
            assert_eq!(strikes.get(kind), Some(&1), "{kind}");
        }
    }
}
