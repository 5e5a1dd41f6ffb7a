//! A [`Store`] in one SQLite file (rusqlite, bundled SQLite): the real binary's default.
//!
//! Each [`WriteBatch`] is one transaction in WAL mode: a write that fails rolls the whole
//! batch back ([`StoreError::Failed`]), and so does a COMMIT refused for a full disk; any
//! other failure of the COMMIT leaves its outcome unknown ([`StoreError::CommitUncertain`]).
//! Group commit: every transaction is committed with `synchronous=NORMAL` (in the WAL,
//! which survives a process crash, not yet synced), and [`Store::sync`] syncs the WAL file
//! once for all the commits since the last sync that must survive a power loss: under
//! [`Durability::Full`] every commit, under [`Durability::Normal`] those that
//! [`WriteBatch::needs_sync`] (the others wait for SQLite's checkpoints). The WAL is
//! appended in commit order and checksummed frame by frame, so a power loss before the sync
//! keeps a prefix of the commits. The server core calls `sync` before any output of those
//! commits leaves. Opening the store checkpoints the WAL into the database file and syncs it
//! (see [`SqliteStore::open`]), so whatever a (re)started server reads is durable. An
//! upload's chunks are rows of their own (appending never rewrites what was
//! received), tied to the upload by its never-reused serial number. Every statement is
//! prepared once and kept in the connection's statement cache.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use yim_hooks::planted::{self, Bug};

use super::{
    Account, AudioRange, Durability, MuteRecord, RoomLogEntry, SendRecord, Store, StoreError,
    StoredMail, UploadAppend, UploadInfo, Write, WriteBatch,
};

/// Prepared statements kept per connection: more than the store has, so each is prepared
/// once.
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// See the module doc.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    durability: Durability,
    /// The WAL file, synced by [`Store::sync`].
    wal_path: std::path::PathBuf,
    /// A commit since the last sync must survive a power loss.
    sync_due: bool,
    /// Whether the WAL's directory entry has been synced since the store was opened (SQLite
    /// syncs it itself only at a checkpoint under `synchronous=NORMAL`).
    wal_dir_synced: bool,
    /// Builds with `planted-bugs` only: a pause after each commit (see `pause_after_commit`).
    #[cfg(feature = "planted-bugs")]
    pause_after_commit: std::time::Duration,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    app_key TEXT NOT NULL, user_id TEXT NOT NULL,
    salt BLOB NOT NULL, password_hash BLOB NOT NULL,
    PRIMARY KEY (app_key, user_id));
CREATE TABLE IF NOT EXISTS mutes (
    app_key TEXT NOT NULL, room_id TEXT NOT NULL, user_id TEXT NOT NULL,
    reason INTEGER NOT NULL, end_time INTEGER NOT NULL,
    PRIMARY KEY (app_key, room_id, user_id));
CREATE TABLE IF NOT EXISTS mail (
    app_key TEXT NOT NULL, user_id TEXT NOT NULL, message_id INTEGER NOT NULL,
    message BLOB NOT NULL, sender_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (app_key, user_id, message_id));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    app_key TEXT NOT NULL, user_id TEXT NOT NULL, session_id INTEGER NOT NULL,
    PRIMARY KEY (app_key, user_id));
CREATE TABLE IF NOT EXISTS send_keys (
    app_key TEXT NOT NULL, user_id TEXT NOT NULL, send_key INTEGER NOT NULL,
    message_id INTEGER NOT NULL, send_time INTEGER NOT NULL,
    PRIMARY KEY (app_key, user_id, send_key));
CREATE INDEX IF NOT EXISTS send_keys_by_age ON send_keys (app_key, user_id, message_id);
CREATE TABLE IF NOT EXISTS room_seqs (
    app_key TEXT NOT NULL, room_id TEXT NOT NULL, last_seq INTEGER NOT NULL,
    PRIMARY KEY (app_key, room_id));
CREATE TABLE IF NOT EXISTS room_log (
    app_key TEXT NOT NULL, room_id TEXT NOT NULL, seq INTEGER NOT NULL,
    create_time INTEGER NOT NULL, message BLOB NOT NULL,
    PRIMARY KEY (app_key, room_id, seq));
CREATE INDEX IF NOT EXISTS room_log_by_time ON room_log (create_time);
CREATE TABLE IF NOT EXISTS uploads (
    serial INTEGER PRIMARY KEY AUTOINCREMENT,
    app_key TEXT NOT NULL, user_id TEXT NOT NULL, upload_key INTEGER NOT NULL,
    total_size INTEGER NOT NULL, received INTEGER NOT NULL, touched_secs INTEGER NOT NULL,
    UNIQUE (app_key, user_id, upload_key));
CREATE INDEX IF NOT EXISTS uploads_by_time ON uploads (touched_secs);
CREATE TABLE IF NOT EXISTS upload_chunks (
    serial INTEGER NOT NULL, at INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (serial, at));
CREATE TABLE IF NOT EXISTS audio (
    app_key TEXT NOT NULL, audio_id INTEGER NOT NULL, create_time INTEGER NOT NULL,
    data BLOB NOT NULL, sender_id TEXT NOT NULL DEFAULT '',
    download_token INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app_key, audio_id));
CREATE INDEX IF NOT EXISTS audio_by_time ON audio (create_time);
";

/// Columns added since the first schema, for databases made before them: (table, column,
/// declaration). Rows from before have no sender ('') and no download token (0, which opens
/// nothing): old mail counts in no sender's share, and old audio can be downloaded by nobody
/// until it expires (`audio_retention_secs`).
const ADDED_COLUMNS: [(&str, &str, &str); 3] = [
    ("mail", "sender_id", "TEXT NOT NULL DEFAULT ''"),
    ("audio", "sender_id", "TEXT NOT NULL DEFAULT ''"),
    ("audio", "download_token", "INTEGER NOT NULL DEFAULT 0"),
];

/// Indexes on added columns (created once the columns exist).
const ADDED_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS mail_by_sender ON mail (app_key, user_id, sender_id);
";

/// Adds the [`ADDED_COLUMNS`] a database lacks.
fn add_missing_columns(conn: &Connection) -> Result<(), StoreError> {
    for (table, column, declaration) in ADDED_COLUMNS {
        let present: bool = conn
            .query_row(
                "SELECT COUNT(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
                params![table, column],
                |row| row.get(0),
            )
            .map_err(err)?;
        if !present {
            conn.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {column} {declaration}"
            ))
            .map_err(err)?;
        }
    }
    conn.execute_batch(ADDED_INDEXES).map_err(err)
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Failed(e.to_string())
}

/// What a failed COMMIT means. SQLite answers a full disk (`SQLITE_FULL`) before the commit
/// record is written, and the transaction is rolled back (the `Transaction` rolls back on
/// drop): nothing of the batch is stored, a definite failure. Any other error (an I/O error
/// while writing or syncing the log) may come after the commit record reached the disk, so
/// the outcome is unknown.
fn commit_error(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => StoreError::Failed(e.to_string()),
        _ => StoreError::CommitUncertain(e.to_string()),
    }
}

/// SQLite integers are signed; our counters and times stay far below i64::MAX.
fn to_sql(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn from_sql(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Idempotency keys use all 64 bits: stored bit for bit as a signed integer.
fn key_to_sql(key: u64) -> i64 {
    i64::from_ne_bytes(key.to_ne_bytes())
}

fn key_from_sql(key: i64) -> u64 {
    u64::from_ne_bytes(key.to_ne_bytes())
}

fn count_to_sql(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

impl SqliteStore {
    /// Opens (creating if needed) `yim.sqlite3` in `data_dir`, creating the directory too.
    /// [`Durability::Full`] (see [`SqliteStore::with_durability`]).
    pub fn open_in_dir(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Failed(format!("create {}: {e}", data_dir.display())))?;
        SqliteStore::open(&data_dir.join("yim.sqlite3"))
    }

    /// Opens (creating if needed) the database file at `path`, with [`Durability::Full`].
    ///
    /// It checkpoints first: the commits in the WAL (those of a process that stopped before
    /// its last sync, say) are copied into the database file, which is synced. This matters
    /// after a failed sync: Linux may keep the WAL pages of the failed write in its cache
    /// marked clean, so this process reads those commits back while no later sync of the WAL
    /// would ever write them, and a power loss would take them after they were served. A
    /// checkpoint writes them anew. It fails (and the server does not start) if another
    /// process holds the database.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        add_missing_columns(&conn)?;
        if !planted::active(Bug::NoCheckpointAtOpen) {
            checkpoint(&conn)?;
        }
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        Ok(SqliteStore {
            conn,
            durability: Durability::Full,
            wal_path: wal_path(path),
            sync_due: false,
            wal_dir_synced: false,
            #[cfg(feature = "planted-bugs")]
            pause_after_commit: std::time::Duration::ZERO,
        })
    }

    /// Builds with `planted-bugs` only, for the real-process crash test: pauses the server
    /// for `pause` after each commit is durable, widening the window in which a kill finds a
    /// commit on disk whose outputs have not left (and, with the planted two-commit bug, a
    /// message stored without its key).
    #[cfg(feature = "planted-bugs")]
    pub fn pause_after_commit(self, pause: std::time::Duration) -> SqliteStore {
        SqliteStore {
            pause_after_commit: pause,
            ..self
        }
    }

    /// The same store committing with `durability`.
    pub fn with_durability(self, durability: Durability) -> SqliteStore {
        SqliteStore { durability, ..self }
    }

    /// Limits the database to `pages` pages (of 4 KiB by default): past it, a commit that
    /// needs more room fails with "database or disk is full" and changes nothing. For tests
    /// of a full disk.
    pub fn limit_pages(&mut self, pages: u64) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "max_page_count", to_sql(pages))
            .map_err(err)
    }

    /// Pages the database uses now.
    pub fn page_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("PRAGMA page_count", [], |row| row.get::<_, i64>(0))
            .map(from_sql)
            .map_err(err)
    }
}

/// Copies the whole WAL into the database file, syncs that, and empties the WAL
/// (`synchronous=NORMAL` syncs the WAL before a checkpoint and the database file after it).
fn checkpoint(conn: &Connection) -> Result<(), StoreError> {
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
        .map_err(err)?;
    if busy != 0 {
        return Err(StoreError::Failed(
            "the WAL cannot be checkpointed: another process holds the database".into(),
        ));
    }
    Ok(())
}

/// SQLite's WAL file for the database at `path`: the path with `-wal` appended.
fn wal_path(path: &Path) -> std::path::PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    wal.into()
}

impl SqliteStore {
    /// The serial number and state of an upload.
    fn upload_row(
        conn: &Connection,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<Option<(i64, UploadInfo)>, StoreError> {
        cached_query_row(
            conn,
            "SELECT serial, total_size, received, touched_secs FROM uploads
             WHERE app_key = ?1 AND user_id = ?2 AND upload_key = ?3",
            params![app_key, user_id, key_to_sql(upload_key)],
            |row| {
                Ok((
                    row.get(0)?,
                    UploadInfo {
                        total_size: from_sql(row.get(1)?),
                        received: from_sql(row.get(2)?),
                        touched_secs: from_sql(row.get(3)?),
                    },
                ))
            },
        )
        .optional()
        .map_err(err)
    }
}

impl Store for SqliteStore {
    fn account(&self, app_key: &str, user_id: &str) -> Result<Option<Account>, StoreError> {
        cached_query_row(
            &self.conn,
            "SELECT salt, password_hash FROM accounts WHERE app_key = ?1 AND user_id = ?2",
            params![app_key, user_id],
            |row| {
                Ok(Account {
                    salt: row.get(0)?,
                    password_hash: row.get(1)?,
                })
            },
        )
        .optional()
        .map_err(err)
    }

    fn mutes(&self) -> Result<Vec<MuteRecord>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT app_key, room_id, user_id, reason, end_time FROM mutes
                 ORDER BY app_key, room_id, user_id",
            )
            .map_err(err)?;
        let rows = statement
            .query_map([], |row| {
                Ok(MuteRecord {
                    app_key: row.get(0)?,
                    room_id: row.get(1)?,
                    user_id: row.get(2)?,
                    reason: row.get(3)?,
                    end_time: from_sql(row.get(4)?),
                })
            })
            .map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    fn mail(&self, app_key: &str, user_id: &str) -> Result<Vec<StoredMail>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT message_id, message FROM mail WHERE app_key = ?1 AND user_id = ?2
                 ORDER BY message_id",
            )
            .map_err(err)?;
        let rows = statement
            .query_map(params![app_key, user_id], |row| {
                Ok(StoredMail {
                    message_id: from_sql(row.get(0)?),
                    message: row.get(1)?,
                })
            })
            .map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    fn mail_count(&self, app_key: &str, user_id: &str) -> Result<usize, StoreError> {
        let count: i64 = cached_query_row(
            &self.conn,
            "SELECT COUNT(*) FROM mail WHERE app_key = ?1 AND user_id = ?2",
            params![app_key, user_id],
            |row| row.get(0),
        )
        .map_err(err)?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    fn mail_count_from(
        &self,
        app_key: &str,
        user_id: &str,
        sender_id: &str,
    ) -> Result<usize, StoreError> {
        let count: i64 = cached_query_row(
            &self.conn,
            "SELECT COUNT(*) FROM mail WHERE app_key = ?1 AND user_id = ?2 AND sender_id = ?3",
            params![app_key, user_id, sender_id],
            |row| row.get(0),
        )
        .map_err(err)?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    fn current_session(&self, app_key: &str, user_id: &str) -> Result<Option<u64>, StoreError> {
        cached_query_row(
            &self.conn,
            "SELECT session_id FROM sessions WHERE app_key = ?1 AND user_id = ?2",
            params![app_key, user_id],
            |row| row.get::<_, i64>(0),
        )
        .optional()
        .map(|id| id.map(from_sql))
        .map_err(err)
    }

    fn send_key(
        &self,
        app_key: &str,
        user_id: &str,
        key: u64,
    ) -> Result<Option<SendRecord>, StoreError> {
        cached_query_row(
            &self.conn,
            "SELECT message_id, send_time FROM send_keys
                 WHERE app_key = ?1 AND user_id = ?2 AND send_key = ?3",
            params![app_key, user_id, key_to_sql(key)],
            |row| {
                Ok(SendRecord {
                    message_id: from_sql(row.get(0)?),
                    send_time: from_sql(row.get(1)?),
                })
            },
        )
        .optional()
        .map_err(err)
    }

    fn room_last_seq(&self, app_key: &str, room_id: &str) -> Result<u64, StoreError> {
        cached_query_row(
            &self.conn,
            "SELECT last_seq FROM room_seqs WHERE app_key = ?1 AND room_id = ?2",
            params![app_key, room_id],
            |row| row.get::<_, i64>(0),
        )
        .optional()
        .map(|seq| seq.map_or(0, from_sql))
        .map_err(err)
    }

    fn room_log_after(
        &self,
        app_key: &str,
        room_id: &str,
        after_seq: u64,
    ) -> Result<Vec<RoomLogEntry>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT seq, create_time, message FROM room_log
                 WHERE app_key = ?1 AND room_id = ?2 AND seq > ?3 ORDER BY seq",
            )
            .map_err(err)?;
        let rows = statement
            .query_map(params![app_key, room_id, to_sql(after_seq)], |row| {
                Ok(RoomLogEntry {
                    seq: from_sql(row.get(0)?),
                    create_time: from_sql(row.get(1)?),
                    message: row.get(2)?,
                })
            })
            .map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    fn upload(
        &self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<Option<UploadInfo>, StoreError> {
        Ok(
            SqliteStore::upload_row(&self.conn, app_key, user_id, upload_key)?
                .map(|(_, info)| info),
        )
    }

    fn upload_data(
        &self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let Some((serial, info)) =
            SqliteStore::upload_row(&self.conn, app_key, user_id, upload_key)?
        else {
            return Ok(None);
        };
        let mut statement = self
            .conn
            .prepare_cached("SELECT data FROM upload_chunks WHERE serial = ?1 ORDER BY at")
            .map_err(err)?;
        let mut rows = statement.query(params![serial]).map_err(err)?;
        let mut data = Vec::with_capacity(usize::try_from(info.received).unwrap_or(0));
        while let Some(row) = rows.next().map_err(err)? {
            data.extend_from_slice(
                row.get_ref(0)
                    .and_then(|v| Ok(v.as_bytes()?))
                    .map_err(err)?,
            );
        }
        Ok(Some(data))
    }

    fn upload_keys(&self, app_key: &str, user_id: &str) -> Result<Vec<u64>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT upload_key FROM uploads WHERE app_key = ?1 AND user_id = ?2
                 ORDER BY serial",
            )
            .map_err(err)?;
        let rows = statement
            .query_map(params![app_key, user_id], |row| {
                Ok(key_from_sql(row.get(0)?))
            })
            .map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    fn audio_range(
        &self,
        app_key: &str,
        audio_id: u64,
        offset: u64,
        max_len: usize,
    ) -> Result<Option<AudioRange>, StoreError> {
        // substr counts from 1; an offset past the end gives an empty blob.
        let start = to_sql(offset).saturating_add(1);
        cached_query_row(
            &self.conn,
            "SELECT length(data), substr(data, ?3, ?4), sender_id, download_token FROM audio
                 WHERE app_key = ?1 AND audio_id = ?2",
            params![app_key, to_sql(audio_id), start, count_to_sql(max_len)],
            |row| {
                let data = row.get_ref(1)?;
                let data = match data {
                    rusqlite::types::ValueRef::Null => &[][..],
                    other => other.as_bytes()?,
                };
                Ok(AudioRange {
                    total_size: from_sql(row.get(0)?),
                    data: data.to_vec(),
                    sender_id: row.get(2)?,
                    download_token: key_from_sql(row.get(3)?),
                })
            },
        )
        .optional()
        .map_err(err)
    }

    fn message_id_mark(&self) -> Result<u64, StoreError> {
        let next: Option<i64> = cached_query_row(
            &self.conn,
            "SELECT value FROM counters WHERE name = 'next_message_id'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(err)?;
        Ok(next.map_or(1, from_sql).max(1))
    }

    fn commit(&mut self, batch: &WriteBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let sync = match self.durability {
            Durability::Full => true,
            Durability::Normal => batch.needs_sync(),
        };
        // Dropping the transaction on an error rolls every write of the batch back.
        let tx = self.conn.transaction().map_err(err)?;
        for write in batch.writes() {
            apply(&tx, write)?;
        }
        tx.commit().map_err(commit_error)?;
        self.sync_due |= sync;
        #[cfg(feature = "planted-bugs")]
        std::thread::sleep(self.pause_after_commit);
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        if !self.sync_due {
            return Ok(());
        }
        std::fs::File::open(&self.wal_path)
            .and_then(|wal| wal.sync_data())
            .map_err(|e| {
                StoreError::CommitUncertain(format!("syncing {}: {e}", self.wal_path.display()))
            })?;
        if !self.wal_dir_synced {
            // A WAL made since the store was opened is durable only with its directory entry.
            let dir = self.wal_path.parent().filter(|d| !d.as_os_str().is_empty());
            let dir = dir.unwrap_or(Path::new("."));
            std::fs::File::open(dir)
                .and_then(|dir| dir.sync_all())
                .map_err(|e| {
                    StoreError::CommitUncertain(format!("syncing {}: {e}", dir.display()))
                })?;
            self.wal_dir_synced = true;
        }
        self.sync_due = false;
        Ok(())
    }
}

/// Applies one write inside the batch's transaction.
fn apply(tx: &Connection, write: &Write) -> Result<(), StoreError> {
    match write {
        Write::PutAccount {
            app_key,
            user_id,
            account,
        } => execute(
            tx,
            "INSERT OR REPLACE INTO accounts (app_key, user_id, salt, password_hash)
             VALUES (?1, ?2, ?3, ?4)",
            params![app_key, user_id, account.salt, account.password_hash],
        ),
        Write::PutMute(mute) => execute(
            tx,
            "INSERT OR REPLACE INTO mutes (app_key, room_id, user_id, reason, end_time)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                mute.app_key,
                mute.room_id,
                mute.user_id,
                mute.reason,
                to_sql(mute.end_time)
            ],
        ),
        Write::DeleteMute {
            app_key,
            room_id,
            user_id,
        } => execute(
            tx,
            "DELETE FROM mutes WHERE app_key = ?1 AND room_id = ?2 AND user_id = ?3",
            params![app_key, room_id, user_id],
        ),
        Write::PushMail {
            app_key,
            user_id,
            sender_id,
            message_id,
            message,
        } => execute(
            tx,
            "INSERT OR REPLACE INTO mail (app_key, user_id, message_id, message, sender_id)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![app_key, user_id, to_sql(*message_id), message, sender_id],
        ),
        Write::DeleteMail {
            app_key,
            user_id,
            up_to_message_id,
        } => execute(
            tx,
            "DELETE FROM mail WHERE app_key = ?1 AND user_id = ?2 AND message_id <= ?3",
            params![app_key, user_id, to_sql(*up_to_message_id)],
        ),
        Write::MessageIdMark { next } => execute(
            tx,
            "INSERT INTO counters (name, value) VALUES ('next_message_id', ?1)
             ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)",
            params![to_sql(*next)],
        ),
        Write::PutSession {
            app_key,
            user_id,
            session_id,
        } => execute(
            tx,
            "INSERT OR REPLACE INTO sessions (app_key, user_id, session_id) VALUES (?1, ?2, ?3)",
            params![app_key, user_id, to_sql(*session_id)],
        ),
        Write::PutSendKey {
            app_key,
            user_id,
            key,
            record,
            max_keys,
        } => {
            execute(
                tx,
                "INSERT OR REPLACE INTO send_keys
                 (app_key, user_id, send_key, message_id, send_time) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    app_key,
                    user_id,
                    key_to_sql(*key),
                    to_sql(record.message_id),
                    to_sql(record.send_time)
                ],
            )?;
            // Everything at or below the (max_keys + 1)-th newest goes.
            execute(
                tx,
                "DELETE FROM send_keys WHERE app_key = ?1 AND user_id = ?2 AND message_id <= (
                     SELECT message_id FROM send_keys WHERE app_key = ?1 AND user_id = ?2
                     ORDER BY message_id DESC LIMIT 1 OFFSET ?3)",
                params![app_key, user_id, count_to_sql(*max_keys)],
            )
        }
        Write::AppendRoomLog {
            app_key,
            room_id,
            entry,
            max_entries,
        } => {
            execute(
                tx,
                "INSERT OR REPLACE INTO room_seqs (app_key, room_id, last_seq) VALUES (?1, ?2, ?3)",
                params![app_key, room_id, to_sql(entry.seq)],
            )?;
            execute(
                tx,
                "INSERT OR REPLACE INTO room_log (app_key, room_id, seq, create_time, message)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    app_key,
                    room_id,
                    to_sql(entry.seq),
                    to_sql(entry.create_time),
                    entry.message
                ],
            )?;
            // Everything at or below the (max_entries + 1)-th newest goes.
            execute(
                tx,
                "DELETE FROM room_log WHERE app_key = ?1 AND room_id = ?2 AND seq <= (
                     SELECT seq FROM room_log WHERE app_key = ?1 AND room_id = ?2
                     ORDER BY seq DESC LIMIT 1 OFFSET ?3)",
                params![app_key, room_id, count_to_sql(*max_entries)],
            )
        }
        // An old entry goes only if every entry before it in its room is old too: it must lie
        // below the room's first entry that is not old (if there is one).
        Write::PurgeRoomLogs { before_secs } => execute(
            tx,
            "DELETE FROM room_log WHERE create_time < ?1 AND seq < COALESCE((
                 SELECT MIN(kept.seq) FROM room_log AS kept
                 WHERE kept.app_key = room_log.app_key AND kept.room_id = room_log.room_id
                   AND kept.create_time >= ?1), ?2)",
            params![to_sql(*before_secs), i64::MAX],
        ),
        Write::AppendUpload {
            app_key,
            user_id,
            upload_key,
            append,
        } => append_upload(tx, app_key, user_id, *upload_key, append),
        Write::DeleteUpload {
            app_key,
            user_id,
            upload_key,
        } => {
            if let Some((serial, _)) = SqliteStore::upload_row(tx, app_key, user_id, *upload_key)? {
                execute(
                    tx,
                    "DELETE FROM upload_chunks WHERE serial = ?1",
                    params![serial],
                )?;
                execute(tx, "DELETE FROM uploads WHERE serial = ?1", params![serial])?;
            }
            Ok(())
        }
        Write::PurgeUploads { before_secs } => {
            execute(
                tx,
                "DELETE FROM upload_chunks WHERE serial IN (
                     SELECT serial FROM uploads WHERE touched_secs < ?1)",
                params![to_sql(*before_secs)],
            )?;
            execute(
                tx,
                "DELETE FROM uploads WHERE touched_secs < ?1",
                params![to_sql(*before_secs)],
            )
        }
        Write::PutAudio {
            app_key,
            audio_id,
            create_time,
            sender_id,
            download_token,
            data,
            max_blobs,
        } => {
            execute(
                tx,
                "INSERT OR REPLACE INTO audio
                     (app_key, audio_id, create_time, data, sender_id, download_token)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    app_key,
                    to_sql(*audio_id),
                    to_sql(*create_time),
                    data,
                    sender_id,
                    key_to_sql(*download_token)
                ],
            )?;
            // Everything at or below the (max_blobs + 1)-th newest goes.
            execute(
                tx,
                "DELETE FROM audio WHERE app_key = ?1 AND audio_id <= (
                     SELECT audio_id FROM audio WHERE app_key = ?1
                     ORDER BY audio_id DESC LIMIT 1 OFFSET ?2)",
                params![app_key, count_to_sql(*max_blobs)],
            )
        }
        Write::DeleteAudio { app_key, audio_id } => execute(
            tx,
            "DELETE FROM audio WHERE app_key = ?1 AND audio_id = ?2",
            params![app_key, to_sql(*audio_id)],
        ),
        Write::PurgeAudio { before_secs } => execute(
            tx,
            "DELETE FROM audio WHERE create_time < ?1",
            params![to_sql(*before_secs)],
        ),
    }
}

fn execute(tx: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<(), StoreError> {
    tx.prepare_cached(sql)
        .and_then(|mut statement| statement.execute(params))
        .map(|_| ())
        .map_err(err)
}

/// `Connection::query_row` through the connection's statement cache.
fn cached_query_row<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, row)
}

/// Appends a chunk, checked against the upload's state in the transaction.
fn append_upload(
    tx: &Connection,
    app_key: &str,
    user_id: &str,
    upload_key: u64,
    append: &UploadAppend,
) -> Result<(), StoreError> {
    let current = SqliteStore::upload_row(tx, app_key, user_id, upload_key)?;
    let received = append.received_after(current.map(|(_, info)| info))?;
    let serial = match current {
        Some((serial, _)) => {
            execute(
                tx,
                "UPDATE uploads SET received = ?2, touched_secs = ?3 WHERE serial = ?1",
                params![serial, to_sql(received), to_sql(append.now_secs)],
            )?;
            serial
        }
        None => {
            execute(
                tx,
                "INSERT INTO uploads
                 (app_key, user_id, upload_key, total_size, received, touched_secs)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    app_key,
                    user_id,
                    key_to_sql(upload_key),
                    to_sql(append.total_size),
                    to_sql(received),
                    to_sql(append.now_secs)
                ],
            )?;
            tx.last_insert_rowid()
        }
    };
    if !append.data.is_empty() {
        execute(
            tx,
            "INSERT INTO upload_chunks (serial, at, data) VALUES (?1, ?2, ?3)",
            params![serial, to_sql(append.at), append.data],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::conformance::{self, append, put, room_log, upload};
    use super::*;
    use crate::store::conformance::log_entry;

    #[test]
    fn a_full_disk_at_commit_is_a_failure_and_an_io_error_is_uncertain() {
        let failure = |code| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        assert!(matches!(
            commit_error(failure(rusqlite::ffi::SQLITE_FULL)),
            StoreError::Failed(_)
        ));
        assert!(matches!(
            commit_error(failure(rusqlite::ffi::SQLITE_IOERR_FSYNC)),
            StoreError::CommitUncertain(_)
        ));
        assert!(matches!(
            commit_error(failure(rusqlite::ffi::SQLITE_IOERR)),
            StoreError::CommitUncertain(_)
        ));
    }

    #[test]
    fn a_database_from_before_senders_and_tokens_gains_the_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE mail (app_key TEXT NOT NULL, user_id TEXT NOT NULL,
                     message_id INTEGER NOT NULL, message BLOB NOT NULL,
                     PRIMARY KEY (app_key, user_id, message_id));
                 INSERT INTO mail VALUES ('app', 'bob', 1, x'01');
                 CREATE TABLE audio (app_key TEXT NOT NULL, audio_id INTEGER NOT NULL,
                     create_time INTEGER NOT NULL, data BLOB NOT NULL,
                     PRIMARY KEY (app_key, audio_id));
                 INSERT INTO audio VALUES ('app', 7, 1, x'0203');",
            )
            .unwrap();
        }
        let mut store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.mail_count("app", "bob").unwrap(), 1);
        assert_eq!(store.mail_count_from("app", "bob", "").unwrap(), 1);
        let old = store.audio_range("app", 7, 0, 10).unwrap().unwrap();
        assert_eq!((old.sender_id.as_str(), old.download_token), ("", 0));
        put(
            &mut store,
            conformance::mail_from("alice", "bob", 2, b"new"),
        );
        assert_eq!(store.mail_count_from("app", "bob", "alice").unwrap(), 1);
        drop(store);
        // Reopening a migrated database changes nothing.
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.mail_count("app", "bob").unwrap(), 2);
    }

    #[test]
    fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        conformance::check(&mut SqliteStore::open_in_dir(dir.path()).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in_dir(dir.path()).unwrap();
        conformance::check(&mut store.with_durability(Durability::Normal));
    }

    #[test]
    fn opening_checkpoints_what_an_unclean_stop_left_in_the_wal() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open_in_dir(dir.path()).unwrap();
        put(&mut store, conformance::mail("bob", 1, b"hi"));
        let wal = dir.path().join("yim.sqlite3-wal");
        assert!(
            std::fs::metadata(&wal).unwrap().len() > 0,
            "the commit is in the WAL"
        );
        // The process stops without closing (a clean close would checkpoint by itself).
        std::mem::forget(store);
        let store = SqliteStore::open_in_dir(dir.path()).unwrap();
        assert_eq!(
            std::fs::metadata(&wal).unwrap().len(),
            0,
            "the WAL was copied into the database file and emptied"
        );
        assert_eq!(store.mail_count("app", "bob").unwrap(), 1);
    }

    #[test]
    fn data_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut store = SqliteStore::open_in_dir(dir.path()).unwrap();
            put(&mut store, conformance::mail("bob", 1, b"hi"));
            put(&mut store, Write::MessageIdMark { next: 101 });
        }
        let store = SqliteStore::open_in_dir(dir.path()).unwrap();
        assert_eq!(store.mail_count("app", "bob").unwrap(), 1);
        assert_eq!(store.message_id_mark().unwrap(), 101);
    }

    #[test]
    fn sessions_send_keys_and_room_logs_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let record = SendRecord {
            message_id: 7,
            send_time: 99,
        };
        {
            let mut store = SqliteStore::open_in_dir(dir.path()).unwrap();
            put(&mut store, conformance::session("alice", 42));
            put(
                &mut store,
                conformance::send_key("alice", u64::MAX, record, 2),
            );
            for seq in 1..=4 {
                put(&mut store, room_log("world", log_entry(seq, seq), 2));
            }
        }
        let mut store = SqliteStore::open_in_dir(dir.path()).unwrap();
        assert_eq!(store.current_session("app", "alice").unwrap(), Some(42));
        assert_eq!(
            store.send_key("app", "alice", u64::MAX).unwrap(),
            Some(record),
            "all 64 bits of a key"
        );
        assert_eq!(store.room_last_seq("app", "world").unwrap(), 4);
        let kept = store.room_log_after("app", "world", 0).unwrap();
        assert_eq!(kept, [log_entry(3, 3), log_entry(4, 4)]);
        // The bound still holds across the reopening.
        put(&mut store, room_log("world", log_entry(5, 5), 2));
        let kept = store.room_log_after("app", "world", 0).unwrap();
        assert_eq!(kept, [log_entry(4, 4), log_entry(5, 5)]);
    }

    #[test]
    fn uploads_and_audio_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let six = |at, data, now_secs| append(6, at, data, now_secs);
        {
            let mut store = SqliteStore::open_in_dir(dir.path()).unwrap();
            upload(&mut store, "alice", u64::MAX, six(0, b"abc", 10)).unwrap();
            upload(&mut store, "alice", 2, six(0, b"", 11)).unwrap();
            put(&mut store, conformance::audio("app", 40, 10, b"voice", 2));
        }
        let mut store = SqliteStore::open_in_dir(dir.path()).unwrap();
        assert_eq!(
            store.upload("app", "alice", u64::MAX).unwrap(),
            Some(UploadInfo {
                total_size: 6,
                received: 3,
                touched_secs: 10
            })
        );
        assert_eq!(store.upload_keys("app", "alice").unwrap(), [u64::MAX, 2]);
        // The upload resumes where it stopped.
        assert_eq!(
            upload(&mut store, "alice", u64::MAX, six(3, b"def", 12)).unwrap(),
            6
        );
        assert_eq!(
            store
                .upload_data("app", "alice", u64::MAX)
                .unwrap()
                .unwrap(),
            b"abcdef"
        );
        let range = store.audio_range("app", 40, 1, 3).unwrap().unwrap();
        assert_eq!((range.total_size, range.data.as_slice()), (5, &b"oic"[..]));
        // The cap still holds across the reopening.
        put(&mut store, conformance::audio("app", 41, 11, b"a", 2));
        put(&mut store, conformance::audio("app", 42, 12, b"b", 2));
        assert_eq!(store.audio_range("app", 40, 0, 1).unwrap(), None);
        assert!(store.audio_range("app", 41, 0, 1).unwrap().is_some());
    }

    /// A disk that is full: the batch that does not fit fails as a whole and changes
    /// nothing; smaller ones still go in, and the store reopens intact.
    #[test]
    fn a_full_database_fails_a_commit_whole_and_keeps_serving() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open_in_dir(dir.path()).unwrap();
        put(&mut store, conformance::mail("bob", 1, b"first"));
        let pages = store.page_count().unwrap();
        store.limit_pages(pages + 2).unwrap();
        let big = conformance::batch(vec![
            conformance::mail("bob", 2, b"small"),
            conformance::send_key(
                "alice",
                5,
                SendRecord {
                    message_id: 2,
                    send_time: 1,
                },
                10,
            ),
            conformance::audio("app", 2, 1, &vec![7u8; 64 * 1024], 10),
        ]);
        let failed = store.commit(&big);
        assert!(
            matches!(&failed, Err(StoreError::Failed(message)) if message.contains("full")),
            "{failed:?}"
        );
        assert_eq!(
            store.mail_count("app", "bob").unwrap(),
            1,
            "nothing half-written"
        );
        assert_eq!(store.send_key("app", "alice", 5).unwrap(), None);
        assert_eq!(store.audio_range("app", 2, 0, 1).unwrap(), None);
        put(&mut store, conformance::mail("bob", 3, b"fits"));
        drop(store);
        let store = SqliteStore::open_in_dir(dir.path()).unwrap();
        let ids: Vec<u64> = store
            .mail("app", "bob")
            .unwrap()
            .iter()
            .map(|m| m.message_id)
            .collect();
        assert_eq!(ids, [1, 3]);
    }
}
