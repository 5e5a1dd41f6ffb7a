//! The server's simulated disk: the [`MemoryStore`] that outlives a server crash, wrapped so
//! the fault schedule can strike at store granularity, where a real process can fail. It
//! models `SqliteStore` (see its module doc): a commit is visible at once and survives a
//! process crash, but survives a power loss only once a sync has made it durable.
//!
//! - Durable means synced: under `full` every commit waits for the next [`Store::sync`] (the
//!   core's group commit: one sync for all the inputs the driver handed it at once); under
//!   `normal` only the commits that must never go back ([`WriteBatch::needs_sync`]) make the
//!   next sync due, and a checkpoint every `checkpoint_commits` commits makes everything so
//!   far durable. A sync or a checkpoint makes every earlier commit durable too (SQLite's
//!   WAL is appended in order), so a power loss loses the unsynced suffix, never a commit
//!   without those after it.
//! - A crash point armed by the schedule strikes at the server's next commit (the sweep's
//!   purge-only commits aside): after making it visible, so that none of the input's
//!   outputs ever leaves (its reply is lost although its write is on disk), or before, so
//!   the commit is lost with the process; or at the next commit that stores a chunk of a
//!   voice upload, in the middle of the upload and its message; or at the next sync that has
//!   commits to make durable, before it returns, so that the outputs held for them never
//!   leave: a process crash (they survive) or a power loss (they are lost).
//! - A sync failure makes the next due sync fail (an fsync error): the core halts, the
//!   process exits and is restarted. Until the store is reopened no sync makes those commits
//!   durable; at the reopening the schedule's [`UnsyncedFate`] says what the disk holds of
//!   them: all of them, none (the kernel dropped their pages), or all of them visible but not
//!   durable (Linux marked their pages clean after the failed write: the "fsync-gate" case).
//!   `SqliteStore` checkpoints when it opens (the database file is rewritten from what is
//!   visible and synced), so whatever a restarted server serves is durable; [`SimDisk::open`]
//!   models that, and the planted bug `NoCheckpointAtOpen` leaves it out.
//! - A store failure makes the next commits fail, writing nothing (disk full, I/O error).
//!
//! A crash point answers with `StoreError::CommitUncertain`, which is what a real store says
//! when the outcome of a commit or a sync is unknown: the production core halts without
//! releasing the outputs that wait on it and its driver returns; the runner then crashes the
//! host (it does that whenever the core halts: the process exits). So the code that runs is
//! the production code; only the disk is simulated. Every strike is recorded in the history
//! (`Entry::Disk`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use yim_hooks::planted::{self, Bug};
use yim_server::store::memory::MemoryStore;
use yim_server::store::{
    Account, AudioRange, Durability, MuteRecord, RoomLogEntry, SendRecord, Store, StoreError,
    StoredMail, UploadInfo, WriteBatch,
};

use crate::app::{lock, Shared};
use crate::env::sim_ms;
use crate::history::{DiskEvent, Entry};
use crate::scenario::UnsyncedFate;

/// Where an armed crash strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// At the next commit, before it is visible: the commit is lost.
    BeforeCommit,
    /// At the next commit, once it is visible: its outputs are lost.
    AfterCommit,
    /// At the next commit that stores a chunk of a voice upload, once it is visible.
    MidUpload,
    /// At the next sync that has commits to make durable, before it returns: `power_loss`,
    /// the host loses power and those commits are lost; else they survive.
    AtSync {
        /// The host loses power (else only the process crashes).
        power_loss: bool,
    },
}

impl CrashPoint {
    /// The fault kind, for statistics.
    pub fn kind(self) -> &'static str {
        match self {
            CrashPoint::BeforeCommit => "crash_before_commit",
            CrashPoint::AfterCommit => "crash_after_commit",
            CrashPoint::MidUpload => "crash_mid_upload",
            CrashPoint::AtSync { power_loss: false } => "crash_at_sync",
            CrashPoint::AtSync { power_loss: true } => "power_loss_at_sync",
        }
    }
}

#[derive(Debug)]
struct DiskState {
    durability: Durability,
    checkpoint_commits: u32,
    /// The disk as of the last sync: what a power loss goes back to.
    synced: MemoryStore,
    /// The commits since, visible but not durable.
    unsynced: Vec<WriteBatch>,
    /// A commit since the last sync must survive a power loss, so the next sync writes.
    sync_due: bool,
    /// A sync failed: no sync or checkpoint makes `unsynced` durable until the store is
    /// reopened, and then this says what the disk holds of them.
    failed_sync: Option<UnsyncedFate>,
    armed: Option<CrashPoint>,
    /// The next due sync fails, with this fate for its commits.
    failing_sync: Option<UnsyncedFate>,
    /// The next this many commits fail.
    failing: u32,
    /// A crash point struck or the core halted: the runner must crash the server host.
    crashed: bool,
    commits: u64,
    /// Strikes by fault kind.
    strikes: BTreeMap<String, usize>,
}

impl DiskState {
    fn strike(&mut self, kind: &str) {
        *self.strikes.entry(kind.to_owned()).or_default() += 1;
    }

    /// Makes every visible commit durable.
    fn make_durable(&mut self) -> Result<(), StoreError> {
        for done in std::mem::take(&mut self.unsynced) {
            self.synced.commit(&done)?;
        }
        self.sync_due = false;
        Ok(())
    }

    /// The disk goes back to its last sync; returns what that lost.
    fn lose_unsynced(&mut self, store: &MemoryStore) -> Vec<WriteBatch> {
        store.restore_from(&self.synced);
        self.sync_due = false;
        self.failed_sync = None;
        std::mem::take(&mut self.unsynced)
    }
}

/// The history entry of commits lost.
fn lost_event(lost: &[WriteBatch], at_reopen: bool) -> DiskEvent {
    let lost_commits = lost.len();
    let lost_message_ids = lost.iter().flat_map(WriteBatch::mail_message_ids).collect();
    if at_reopen {
        DiskEvent::LostAtReopen {
            lost_commits,
            lost_message_ids,
        }
    } else {
        DiskEvent::PowerLoss {
            lost_commits,
            lost_message_ids,
        }
    }
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
        let synced = store.deep_copy();
        SimDisk {
            store,
            state: Arc::new(Mutex::new(DiskState {
                durability,
                checkpoint_commits: checkpoint_commits.max(1),
                synced,
                unsynced: Vec::new(),
                sync_due: false,
                failed_sync: None,
                armed: None,
                failing_sync: None,
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

    /// Makes the next due sync fail; `fate` is what the reopened store finds of its commits.
    pub fn fail_next_sync(&self, fate: UnsyncedFate) {
        self.state().failing_sync = Some(fate);
    }

    /// Makes the next `commits` commits fail.
    pub fn fail_commits(&self, commits: u32) {
        self.state().failing = commits;
    }

    /// Disarms a crash point or sync failure that has not struck (the server restarts).
    pub fn disarm(&self) {
        let mut state = self.state();
        state.armed = None;
        state.failing_sync = None;
    }

    /// Ends every disk fault that has not struck (everything heals).
    pub fn heal(&self) {
        let mut state = self.state();
        state.armed = None;
        state.failing_sync = None;
        state.failing = 0;
    }

    /// True once after a crash point struck or the core halted.
    pub fn take_crashed(&self) -> bool {
        std::mem::take(&mut self.state().crashed)
    }

    /// The server's core halted (a commit's or a sync's outcome is unknown): its process
    /// exits, so the runner crashes the host.
    pub fn process_exited(&self) {
        self.state().crashed = true;
    }

    /// The server opens the store at `now_ms` (every start). After a failed sync the disk
    /// holds what its fate says; then, as `SqliteStore::open` does, a checkpoint makes
    /// everything visible durable (the planted bug `NoCheckpointAtOpen` skips it, so commits
    /// whose pages were marked clean stay visible and not durable).
    pub fn open(&self, now_ms: u64) {
        let lost = {
            let mut state = self.state();
            let checkpoint = !planted::active(Bug::NoCheckpointAtOpen);
            let lost = match state.failed_sync.take() {
                Some(UnsyncedFate::Lost) => state.lose_unsynced(&self.store),
                Some(UnsyncedFate::VisibleUntilPowerLoss) if !checkpoint => {
                    state.failed_sync = Some(UnsyncedFate::VisibleUntilPowerLoss);
                    Vec::new()
                }
                Some(UnsyncedFate::Kept) => {
                    // The replay of visible commits onto their synced base cannot fail.
                    let _ = state.make_durable();
                    Vec::new()
                }
                Some(UnsyncedFate::VisibleUntilPowerLoss) | None => Vec::new(),
            };
            if checkpoint {
                let _ = state.make_durable();
            }
            lost
        };
        if !lost.is_empty() {
            self.record(now_ms, lost_event(&lost, true));
        }
    }

    /// Power is lost at `now_ms`: the disk goes back to its last sync.
    pub fn power_loss(&self, now_ms: u64) {
        let event = {
            let mut state = self.state();
            let lost = state.lose_unsynced(&self.store);
            // Every power loss is counted as fired when applied; here only those that lost
            // commits, so that a sweep shows the losses it exercised.
            if !lost.is_empty() {
                state.strike("power_loss_lost_commits");
            }
            lost_event(&lost, false)
        };
        self.record(now_ms, event);
    }

    /// Strikes by fault kind (crash points, failed commits and syncs, power losses that lost
    /// commits: `power_loss_lost_commits`).
    pub fn strikes(&self) -> BTreeMap<String, usize> {
        self.state().strikes.clone()
    }

    /// Makes `batch` visible, and durable as the durability says (see the module doc).
    fn write(&self, state: &mut DiskState, batch: &WriteBatch) -> Result<(), StoreError> {
        self.store.clone().commit(batch)?;
        state.unsynced.push(batch.clone());
        match state.durability {
            Durability::Full => state.sync_due = true,
            Durability::Normal => {
                state.sync_due |= batch.needs_sync();
                let checkpoint = state.unsynced.len() >= state.checkpoint_commits as usize;
                if checkpoint && state.failed_sync.is_none() {
                    state.make_durable()?;
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
            state.strike("store_failure");
            drop(state);
            self.record(sim_ms(), DiskEvent::CommitFailed { commit });
            return Err(StoreError::Failed("simulated disk full".into()));
        }
        let strikes = state.armed.filter(|point| match point {
            CrashPoint::BeforeCommit | CrashPoint::AfterCommit => !batch.is_purge_only(),
            CrashPoint::MidUpload => batch.stores_upload_chunk(),
            CrashPoint::AtSync { .. } => false,
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
        state.strike(point.kind());
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

    fn sync(&mut self) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.crashed {
            return Err(StoreError::CommitUncertain("the server has crashed".into()));
        }
        if !state.sync_due {
            return Ok(());
        }
        let commit = state.commits;
        if let Some(point @ CrashPoint::AtSync { power_loss }) = state.armed {
            state.armed = None;
            state.crashed = true;
            state.strike(point.kind());
            let lost = if power_loss {
                state.lose_unsynced(&self.store)
            } else {
                Vec::new()
            };
            drop(state);
            let at_ms = sim_ms();
            self.record(
                at_ms,
                DiskEvent::Crash {
                    kind: point.kind().to_owned(),
                    commit,
                    durable: !power_loss,
                },
            );
            if power_loss {
                self.record(at_ms, lost_event(&lost, false));
            }
            return Err(StoreError::CommitUncertain(format!(
                "simulated crash at the sync after commit {commit}"
            )));
        }
        if let Some(fate) = state.failing_sync.take() {
            state.failed_sync = Some(fate);
            state.strike(fate.kind());
            drop(state);
            self.record(sim_ms(), DiskEvent::SyncFailed { commit, fate });
            return Err(StoreError::Failed("simulated fsync failure (EIO)".into()));
        }
        if state.failed_sync.is_none() {
            state.make_durable()?;
        }
        // After a failed sync, later syncs succeed (the error was reported once) without
        // writing the pages of the failed one (see the module doc).
        state.sync_due = false;
        Ok(())
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
        disk.sync().unwrap();
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
        // A sync with no commit that needs one writes nothing.
        disk.commit(&mail(2)).unwrap();
        disk.sync().unwrap();
        disk.power_loss(0);
        assert_eq!(disk.mail_count("a", "u").unwrap(), 1);
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
        // Those three lost commits; a power loss right after a sync loses nothing and is not
        // counted.
        disk.commit(&synced_write()).unwrap();
        disk.sync().unwrap();
        disk.power_loss(0);
        assert_eq!(disk.strikes().get("power_loss_lost_commits"), Some(&3));
    }

    fn mail_ids(disk: &SimDisk) -> Vec<u64> {
        let mail = disk.mail("a", "u").unwrap();
        mail.iter().map(|m| m.message_id).collect()
    }

    #[test]
    fn under_full_a_power_loss_loses_the_commits_since_the_last_sync() {
        let mut disk = disk(Durability::Full, 1);
        disk.commit(&mail(1)).unwrap();
        disk.sync().unwrap();
        disk.commit(&mail(2)).unwrap();
        disk.commit(&mail(3)).unwrap();
        assert_eq!(mail_ids(&disk), [1, 2, 3], "visible before the sync");
        disk.power_loss(0);
        assert_eq!(mail_ids(&disk), [1], "the unsynced suffix is lost");
        disk.commit(&mail(4)).unwrap();
        disk.sync().unwrap();
        disk.power_loss(0);
        assert_eq!(mail_ids(&disk), [1, 4]);
        assert_eq!(disk.strikes().get("power_loss_lost_commits"), Some(&1));
    }

    #[test]
    fn a_crash_at_a_sync_keeps_or_loses_its_commits_as_armed() {
        let mut disk = disk(Durability::Full, 1);
        disk.arm(CrashPoint::AtSync { power_loss: false });
        disk.sync().unwrap();
        assert!(!disk.take_crashed(), "nothing to sync: it does not strike");
        disk.commit(&mail(1)).unwrap();
        assert!(matches!(disk.sync(), Err(StoreError::CommitUncertain(_))));
        assert!(disk.take_crashed());
        disk.open(0);
        disk.power_loss(0);
        assert_eq!(
            mail_ids(&disk),
            [1],
            "a process crash keeps it (the reopening syncs)"
        );
        disk.arm(CrashPoint::AtSync { power_loss: true });
        disk.commit(&mail(2)).unwrap();
        assert!(disk.sync().is_err());
        assert!(disk.take_crashed());
        assert_eq!(mail_ids(&disk), [1], "a power loss loses it");
        let strikes = disk.strikes();
        for kind in ["crash_at_sync", "power_loss_at_sync"] {
            assert_eq!(strikes.get(kind), Some(&1), "{kind}");
        }
    }

    /// A sync fails after mail 2 and the core halts; what the reopened store holds.
    fn after_a_failed_sync(fate: UnsyncedFate) -> SimDisk {
        let mut disk = disk(Durability::Full, 1);
        disk.commit(&mail(1)).unwrap();
        disk.sync().unwrap();
        disk.fail_next_sync(fate);
        disk.commit(&mail(2)).unwrap();
        assert!(matches!(disk.sync(), Err(StoreError::Failed(_))));
        assert_eq!(disk.strikes().get(fate.kind()), Some(&1));
        disk.open(0);
        disk
    }

    #[test]
    fn a_failed_sync_leaves_its_commits_to_their_fate_and_the_reopening_makes_them_durable() {
        let kept = after_a_failed_sync(UnsyncedFate::Kept);
        kept.power_loss(0);
        assert_eq!(mail_ids(&kept), [1, 2]);
        let lost = after_a_failed_sync(UnsyncedFate::Lost);
        assert_eq!(mail_ids(&lost), [1]);
        // Visible after the restart; the checkpoint at the reopening rewrites it.
        let mut visible = after_a_failed_sync(UnsyncedFate::VisibleUntilPowerLoss);
        assert_eq!(mail_ids(&visible), [1, 2]);
        visible.commit(&mail(3)).unwrap();
        visible.sync().unwrap();
        visible.power_loss(0);
        assert_eq!(mail_ids(&visible), [1, 2, 3]);
    }

    #[cfg(feature = "planted-bugs")]
    #[test]
    fn without_the_checkpoint_at_open_served_commits_vanish_in_a_power_loss() {
        planted::set(Some(Bug::NoCheckpointAtOpen));
        let mut disk = after_a_failed_sync(UnsyncedFate::VisibleUntilPowerLoss);
        assert_eq!(mail_ids(&disk), [1, 2], "served after the restart");
        disk.commit(&mail(3)).unwrap();
        disk.sync().unwrap();
        disk.power_loss(0);
        planted::set(None);
        assert_eq!(
            mail_ids(&disk),
            [1],
            "mail 2, and 3 after it, were never durable"
        );
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
