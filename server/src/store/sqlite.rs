//! A [`Store`] in one SQLite file (rusqlite, bundled SQLite): the real binary's default.
//!
//! Every write is its own transaction (SQLite's autocommit, or an explicit one where a write
//! touches several rows), so whatever the server has acknowledged is on disk before the
//! acknowledgement leaves. An upload's chunks are rows of their own (appending never rewrites
//! what was received), tied to the upload by its never-reused serial number.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use super::{
    Account, AudioRange, MuteRecord, RoomLogEntry, SendRecord, Store, StoreError, StoredMail,
    UploadAppend, UploadInfo,
};

/// See the module doc.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
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
    message BLOB NOT NULL,
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
    data BLOB NOT NULL,
    PRIMARY KEY (app_key, audio_id));
CREATE INDEX IF NOT EXISTS audio_by_time ON audio (create_time);
";

fn err(e: rusqlite::Error) -> StoreError {
    StoreError(e.to_string())
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
    pub fn open_in_dir(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError(format!("create {}: {e}", data_dir.display())))?;
        SqliteStore::open(&data_dir.join("yim.sqlite3"))
    }

    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(SqliteStore { conn })
    }
}

impl SqliteStore {
    /// The serial number and state of an upload.
    fn upload_row(
        conn: &Connection,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<Option<(i64, UploadInfo)>, StoreError> {
        conn.query_row(
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
        self.conn
            .query_row(
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

    fn put_account(
        &mut self,
        app_key: &str,
        user_id: &str,
        account: &Account,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO accounts (app_key, user_id, salt, password_hash)
                 VALUES (?1, ?2, ?3, ?4)",
                params![app_key, user_id, account.salt, account.password_hash],
            )
            .map_err(err)?;
        Ok(())
    }

    fn mutes(&self) -> Result<Vec<MuteRecord>, StoreError> {
        let mut statement = self
            .conn
            .prepare(
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

    fn put_mute(&mut self, mute: &MuteRecord) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO mutes (app_key, room_id, user_id, reason, end_time)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    mute.app_key,
                    mute.room_id,
                    mute.user_id,
                    mute.reason,
                    to_sql(mute.end_time)
                ],
            )
            .map_err(err)?;
        Ok(())
    }

    fn delete_mute(
        &mut self,
        app_key: &str,
        room_id: &str,
        user_id: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM mutes WHERE app_key = ?1 AND room_id = ?2 AND user_id = ?3",
                params![app_key, room_id, user_id],
            )
            .map_err(err)?;
        Ok(())
    }

    fn push_mail(
        &mut self,
        app_key: &str,
        user_id: &str,
        message_id: u64,
        message: &[u8],
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO mail (app_key, user_id, message_id, message)
                 VALUES (?1, ?2, ?3, ?4)",
                params![app_key, user_id, to_sql(message_id), message],
            )
            .map_err(err)?;
        Ok(())
    }

    fn mail(&self, app_key: &str, user_id: &str) -> Result<Vec<StoredMail>, StoreError> {
        let mut statement = self
            .conn
            .prepare(
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
        let count: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM mail WHERE app_key = ?1 AND user_id = ?2",
                params![app_key, user_id],
                |row| row.get(0),
            )
            .map_err(err)?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    fn delete_mail(
        &mut self,
        app_key: &str,
        user_id: &str,
        up_to_message_id: u64,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM mail WHERE app_key = ?1 AND user_id = ?2 AND message_id <= ?3",
                params![app_key, user_id, to_sql(up_to_message_id)],
            )
            .map_err(err)?;
        Ok(())
    }

    fn reserve_message_ids(&mut self, count: u64) -> Result<u64, StoreError> {
        let tx = self.conn.transaction().map_err(err)?;
        let next: Option<i64> = tx
            .query_row(
                "SELECT value FROM counters WHERE name = 'next_message_id'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(err)?;
        let first = next.map_or(1, from_sql).max(1);
        tx.execute(
            "INSERT OR REPLACE INTO counters (name, value) VALUES ('next_message_id', ?1)",
            params![to_sql(first + count)],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(first)
    }

    fn current_session(&self, app_key: &str, user_id: &str) -> Result<Option<u64>, StoreError> {
        self.conn
            .query_row(
                "SELECT session_id FROM sessions WHERE app_key = ?1 AND user_id = ?2",
                params![app_key, user_id],
                |row| row.get::<_, i64>(0),
            )
            .optional()
            .map(|id| id.map(from_sql))
            .map_err(err)
    }

    fn put_current_session(
        &mut self,
        app_key: &str,
        user_id: &str,
        session_id: u64,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO sessions (app_key, user_id, session_id) VALUES (?1, ?2, ?3)",
                params![app_key, user_id, to_sql(session_id)],
            )
            .map_err(err)?;
        Ok(())
    }

    fn send_key(
        &self,
        app_key: &str,
        user_id: &str,
        key: u64,
    ) -> Result<Option<SendRecord>, StoreError> {
        self.conn
            .query_row(
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

    fn put_send_key(
        &mut self,
        app_key: &str,
        user_id: &str,
        key: u64,
        record: SendRecord,
        max_keys: usize,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute(
            "INSERT OR REPLACE INTO send_keys (app_key, user_id, send_key, message_id, send_time)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                app_key,
                user_id,
                key_to_sql(key),
                to_sql(record.message_id),
                to_sql(record.send_time)
            ],
        )
        .map_err(err)?;
        // Everything at or below the (max_keys + 1)-th newest goes.
        tx.execute(
            "DELETE FROM send_keys WHERE app_key = ?1 AND user_id = ?2 AND message_id <= (
                 SELECT message_id FROM send_keys WHERE app_key = ?1 AND user_id = ?2
                 ORDER BY message_id DESC LIMIT 1 OFFSET ?3)",
            params![app_key, user_id, count_to_sql(max_keys)],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    fn room_last_seq(&self, app_key: &str, room_id: &str) -> Result<u64, StoreError> {
        self.conn
            .query_row(
                "SELECT last_seq FROM room_seqs WHERE app_key = ?1 AND room_id = ?2",
                params![app_key, room_id],
                |row| row.get::<_, i64>(0),
            )
            .optional()
            .map(|seq| seq.map_or(0, from_sql))
            .map_err(err)
    }

    fn append_room_log(
        &mut self,
        app_key: &str,
        room_id: &str,
        entry: &RoomLogEntry,
        max_entries: usize,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute(
            "INSERT OR REPLACE INTO room_seqs (app_key, room_id, last_seq) VALUES (?1, ?2, ?3)",
            params![app_key, room_id, to_sql(entry.seq)],
        )
        .map_err(err)?;
        tx.execute(
            "INSERT OR REPLACE INTO room_log (app_key, room_id, seq, create_time, message)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                app_key,
                room_id,
                to_sql(entry.seq),
                to_sql(entry.create_time),
                entry.message
            ],
        )
        .map_err(err)?;
        // Everything at or below the (max_entries + 1)-th newest goes.
        tx.execute(
            "DELETE FROM room_log WHERE app_key = ?1 AND room_id = ?2 AND seq <= (
                 SELECT seq FROM room_log WHERE app_key = ?1 AND room_id = ?2
                 ORDER BY seq DESC LIMIT 1 OFFSET ?3)",
            params![app_key, room_id, count_to_sql(max_entries)],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    fn room_log_after(
        &self,
        app_key: &str,
        room_id: &str,
        after_seq: u64,
    ) -> Result<Vec<RoomLogEntry>, StoreError> {
        let mut statement = self
            .conn
            .prepare(
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

    fn purge_room_logs(&mut self, before_secs: u64) -> Result<(), StoreError> {
        // An old entry goes only if every entry before it in its room is old too: it must lie
        // below the room's first entry that is not old (if there is one).
        self.conn
            .execute(
                "DELETE FROM room_log WHERE create_time < ?1 AND seq < COALESCE((
                     SELECT MIN(kept.seq) FROM room_log AS kept
                     WHERE kept.app_key = room_log.app_key AND kept.room_id = room_log.room_id
                       AND kept.create_time >= ?1), ?2)",
                params![to_sql(before_secs), i64::MAX],
            )
            .map_err(err)?;
        Ok(())
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
            .prepare("SELECT data FROM upload_chunks WHERE serial = ?1 ORDER BY at")
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

    fn append_upload(
        &mut self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
        append: &UploadAppend<'_>,
    ) -> Result<u64, StoreError> {
        let tx = self.conn.transaction().map_err(err)?;
        let current = SqliteStore::upload_row(&tx, app_key, user_id, upload_key)?;
        let received = append.received_after(current.map(|(_, info)| info))?;
        let serial = match current {
            Some((serial, _)) => {
                tx.execute(
                    "UPDATE uploads SET received = ?2, touched_secs = ?3 WHERE serial = ?1",
                    params![serial, to_sql(received), to_sql(append.now_secs)],
                )
                .map_err(err)?;
                serial
            }
            None => {
                tx.execute(
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
                )
                .map_err(err)?;
                tx.last_insert_rowid()
            }
        };
        if !append.data.is_empty() {
            tx.execute(
                "INSERT INTO upload_chunks (serial, at, data) VALUES (?1, ?2, ?3)",
                params![serial, to_sql(append.at), append.data],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(received)
    }

    fn delete_upload(
        &mut self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(err)?;
        if let Some((serial, _)) = SqliteStore::upload_row(&tx, app_key, user_id, upload_key)? {
            tx.execute(
                "DELETE FROM upload_chunks WHERE serial = ?1",
                params![serial],
            )
            .map_err(err)?;
            tx.execute("DELETE FROM uploads WHERE serial = ?1", params![serial])
                .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    fn upload_keys(&self, app_key: &str, user_id: &str) -> Result<Vec<u64>, StoreError> {
        let mut statement = self
            .conn
            .prepare(
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

    fn purge_uploads(&mut self, before_secs: u64) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute(
            "DELETE FROM upload_chunks WHERE serial IN (
                 SELECT serial FROM uploads WHERE touched_secs < ?1)",
            params![to_sql(before_secs)],
        )
        .map_err(err)?;
        tx.execute(
            "DELETE FROM uploads WHERE touched_secs < ?1",
            params![to_sql(before_secs)],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    fn put_audio(
        &mut self,
        app_key: &str,
        audio_id: u64,
        create_time: u64,
        data: &[u8],
        max_blobs: usize,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute(
            "INSERT OR REPLACE INTO audio (app_key, audio_id, create_time, data)
             VALUES (?1, ?2, ?3, ?4)",
            params![app_key, to_sql(audio_id), to_sql(create_time), data],
        )
        .map_err(err)?;
        // Everything at or below the (max_blobs + 1)-th newest goes.
        tx.execute(
            "DELETE FROM audio WHERE app_key = ?1 AND audio_id <= (
                 SELECT audio_id FROM audio WHERE app_key = ?1
                 ORDER BY audio_id DESC LIMIT 1 OFFSET ?2)",
            params![app_key, count_to_sql(max_blobs)],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
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
        self.conn
            .query_row(
                "SELECT length(data), substr(data, ?3, ?4) FROM audio
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
                    })
                },
            )
            .optional()
            .map_err(err)
    }

    fn delete_audio(&mut self, app_key: &str, audio_id: u64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM audio WHERE app_key = ?1 AND audio_id = ?2",
                params![app_key, to_sql(audio_id)],
            )
            .map_err(err)?;
        Ok(())
    }

    fn purge_audio(&mut self, before_secs: u64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM audio WHERE create_time < ?1",
                params![to_sql(before_secs)],
            )
            .map_err(err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        super::super::conformance::check(&mut SqliteStore::open_in_dir(dir.path()).unwrap());
    }

    #[test]
    fn data_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let first_ids = {
            let mut store = SqliteStore::open_in_dir(dir.path()).unwrap();
            store.push_mail("app", "bob", 1, b"hi").unwrap();
            store.reserve_message_ids(100).unwrap()
        };
        let mut store = SqliteStore::open_in_dir(dir.path()).unwrap();
        assert_eq!(store.mail_count("app", "bob").unwrap(), 1);
        assert_eq!(store.reserve_message_ids(1).unwrap(), first_ids + 100);
    }

    #[test]
    fn sessions_send_keys_and_room_logs_survive_reopening() {
        use crate::store::conformance::log_entry;
        let dir = tempfile::tempdir().unwrap();
        let record = SendRecord {
            message_id: 7,
            send_time: 99,
        };
        {
            let mut store = SqliteStore::open_in_dir(dir.path()).unwrap();
            store.put_current_session("app", "alice", 42).unwrap();
            store
                .put_send_key("app", "alice", u64::MAX, record, 2)
                .unwrap();
            for seq in 1..=4 {
                store
                    .append_room_log("app", "world", &log_entry(seq, seq), 2)
                    .unwrap();
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
        store
            .append_room_log("app", "world", &log_entry(5, 5), 2)
            .unwrap();
        let kept = store.room_log_after("app", "world", 0).unwrap();
        assert_eq!(kept, [log_entry(4, 4), log_entry(5, 5)]);
    }

    #[test]
    fn uploads_and_audio_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let append = |at, data, now_secs| UploadAppend {
            total_size: 6,
            at,
            data,
            now_secs,
        };
        {
            let mut store = SqliteStore::open_in_dir(dir.path()).unwrap();
            store
                .append_upload("app", "alice", u64::MAX, &append(0, b"abc", 10))
                .unwrap();
            store
                .append_upload("app", "alice", 2, &append(0, b"", 11))
                .unwrap();
            store.put_audio("app", 40, 10, b"voice", 2).unwrap();
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
            store
                .append_upload("app", "alice", u64::MAX, &append(3, b"def", 12))
                .unwrap(),
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
        store.put_audio("app", 41, 11, b"a", 2).unwrap();
        store.put_audio("app", 42, 12, b"b", 2).unwrap();
        assert_eq!(store.audio_range("app", 40, 0, 1).unwrap(), None);
        assert!(store.audio_range("app", 41, 0, 1).unwrap().is_some());
    }
}
