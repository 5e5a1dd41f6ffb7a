//! [`SqliteDisk`]: one SQLite file per app key and user under the game's directory
//! (`<dir>/<app key>/<user>.sqlite3`; characters of the app key other than letters, digits,
//! `-` and `_` are written `%XX`). rusqlite with bundled SQLite, WAL mode.
//!
//! Each [`HistoryBatch`] is one transaction: a write that fails rolls the whole batch back
//! ([`HistoryError::Failed`]); a failure of the COMMIT itself leaves its outcome unknown
//! ([`HistoryError::Uncertain`]). A batch that keeps or marks a private message (which is
//! acknowledged to the server right after, [`HistoryBatch::needs_sync`]) is committed with
//! `synchronous=FULL`, so it survives a power loss; the rest with `synchronous=NORMAL` (they
//! survive a crash of the app). Paths are stored as UTF-8 (lossily for paths that are not).

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use yim_hooks::planted::{self, Bug};
use yim_proto::ChatType;

use super::types::{
    Committed, Contact, HistoryBatch, HistoryDirection, HistoryDisk, HistoryError, HistoryMessage,
    HistorySlice, HistoryStore, HistoryWrite, Kept,
};
use crate::machine::message::{MessageBody, ReceivedMessage};

/// See the module doc.
#[derive(Debug, Clone)]
pub struct SqliteDisk {
    dir: PathBuf,
}

impl SqliteDisk {
    /// Stores under `dir` (created when a store is first opened).
    pub fn new(dir: impl Into<PathBuf>) -> SqliteDisk {
        SqliteDisk { dir: dir.into() }
    }

    /// The file of `user_id` of `app_key`.
    pub fn path_of(&self, app_key: &str, user_id: &str) -> PathBuf {
        self.dir
            .join(escape(app_key))
            .join(format!("{}.sqlite3", escape(user_id)))
    }
}

/// A file name for any string: letters, digits, `-` and `_` as they are, other bytes `%XX`.
fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    message_id INTEGER PRIMARY KEY,
    chat_type INTEGER NOT NULL, target TEXT NOT NULL,
    sender_id TEXT NOT NULL, receiver_id TEXT NOT NULL,
    create_time INTEGER NOT NULL, room_seq INTEGER NOT NULL,
    body_type INTEGER NOT NULL, content BLOB NOT NULL, extra TEXT NOT NULL,
    file_size INTEGER NOT NULL, duration_ms INTEGER NOT NULL,
    is_read INTEGER NOT NULL, is_played INTEGER NOT NULL, local_path TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (chat_type, target, message_id);
CREATE TABLE IF NOT EXISTS handed (
    serial INTEGER PRIMARY KEY AUTOINCREMENT, message_id INTEGER NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS saved_rooms (room_id TEXT PRIMARY KEY);
";

/// YIM's body types.
const TEXT: i64 = 1;
const CUSTOM: i64 = 2;
const VOICE: i64 = 5;

const COLUMNS: &str = "message_id, chat_type, target, sender_id, receiver_id, create_time, \
    room_seq, body_type, content, extra, file_size, duration_ms, is_read, is_played, local_path";

fn failed(e: rusqlite::Error) -> HistoryError {
    HistoryError::Failed(e.to_string())
}

/// SQLite integers are signed; IDs, times and sizes stay far below i64::MAX.
fn to_sql(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn from_sql(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn count_to_sql(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

impl HistoryDisk for SqliteDisk {
    fn open(&self, app_key: &str, user_id: &str) -> Result<Box<dyn HistoryStore>, HistoryError> {
        let path = self.path_of(app_key, user_id);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| HistoryError::Directory(format!("{}: {e}", parent.display())))?;
        }
        Ok(Box::new(SqliteStore::open(&path)?))
    }
}

/// One user's store.
#[derive(Debug)]
struct SqliteStore {
    conn: Connection,
    /// Whether `synchronous` is FULL now (else NORMAL).
    synchronous_full: bool,
}

impl SqliteStore {
    fn open(path: &Path) -> Result<SqliteStore, HistoryError> {
        let conn = Connection::open(path).map_err(failed)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(failed)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(failed)?;
        conn.execute_batch(SCHEMA).map_err(failed)?;
        if planted::active(Bug::ForgetHandedOnRestart) {
            conn.execute("DELETE FROM handed", []).map_err(failed)?;
        }
        Ok(SqliteStore {
            conn,
            synchronous_full: false,
        })
    }

    fn set_synchronous(&mut self, full: bool) -> Result<(), HistoryError> {
        if self.synchronous_full != full {
            let mode = if full { "FULL" } else { "NORMAL" };
            self.conn
                .pragma_update(None, "synchronous", mode)
                .map_err(failed)?;
            self.synchronous_full = full;
        }
        Ok(())
    }
}

/// A row of `messages` (in `COLUMNS` order) as a kept message.
fn kept_from_row(row: &Row<'_>) -> rusqlite::Result<Kept> {
    let chat_type = ChatType::try_from(row.get::<_, i32>(1)?).unwrap_or(ChatType::Unknown);
    let content: Vec<u8> = row.get(8)?;
    let extra: String = row.get(9)?;
    let body = match row.get::<_, i64>(7)? {
        CUSTOM => MessageBody::Custom(content),
        VOICE => MessageBody::Voice {
            file_size: from_sql(row.get(10)?),
            duration_ms: u32::try_from(row.get::<_, i64>(11)?).unwrap_or(0),
            text: String::from_utf8_lossy(&content).into_owned(),
            extra_param: extra,
        },
        _ => MessageBody::Text {
            content: String::from_utf8_lossy(&content).into_owned(),
            attach: extra,
        },
    };
    let local_path: String = row.get(14)?;
    Ok(Kept {
        target: row.get(2)?,
        message: HistoryMessage {
            message: ReceivedMessage {
                message_id: from_sql(row.get(0)?),
                sender_id: row.get(3)?,
                receiver_id: row.get(4)?,
                chat_type,
                create_time: from_sql(row.get(5)?),
                room_seq: from_sql(row.get(6)?),
                body,
            },
            is_read: row.get::<_, i64>(12)? != 0,
            is_played: row.get::<_, i64>(13)? != 0,
            local_path: PathBuf::from(local_path),
        },
    })
}

fn insert(tx: &Transaction<'_>, target: &str, kept: &HistoryMessage) -> rusqlite::Result<usize> {
    let message = &kept.message;
    let (body_type, content, extra, file_size, duration_ms): (i64, Vec<u8>, &str, u64, u32) =
        match &message.body {
            MessageBody::Text { content, attach } => {
                (TEXT, content.clone().into_bytes(), attach, 0, 0)
            }
            MessageBody::Custom(bytes) => (CUSTOM, bytes.clone(), "", 0, 0),
            MessageBody::Voice {
                file_size,
                duration_ms,
                text,
                extra_param,
            } => (
                VOICE,
                text.clone().into_bytes(),
                extra_param,
                *file_size,
                *duration_ms,
            ),
        };
    tx.execute(
        &format!(
            "INSERT OR IGNORE INTO messages ({COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
        ),
        params![
            to_sql(message.message_id),
            message.chat_type as i32,
            target,
            message.sender_id,
            message.receiver_id,
            to_sql(message.create_time),
            to_sql(message.room_seq),
            body_type,
            content,
            extra,
            to_sql(file_size),
            i64::from(duration_ms),
            i64::from(kept.is_read),
            i64::from(kept.is_played),
            kept.local_path.to_string_lossy(),
        ],
    )
}

/// Deletes the messages `condition` (an SQL expression over `messages`) selects, collecting
/// their audio files; returns how many.
fn delete_where(
    tx: &Transaction<'_>,
    condition: &str,
    values: &[&dyn rusqlite::ToSql],
    committed: &mut Committed,
) -> rusqlite::Result<()> {
    let mut select = tx.prepare(&format!(
        "SELECT local_path FROM messages WHERE ({condition}) AND local_path <> ''"
    ))?;
    let paths = select.query_map(values, |row| row.get::<_, String>(0))?;
    for path in paths {
        committed.removed_audio.push(PathBuf::from(path?));
    }
    let deleted = tx.execute(&format!("DELETE FROM messages WHERE {condition}"), values)?;
    committed.changed += u32::try_from(deleted).unwrap_or(u32::MAX);
    Ok(())
}

/// Trims the conversation (or, with `target` None, the store) to its newest `max` messages.
fn trim(
    tx: &Transaction<'_>,
    conversation: Option<(i32, &str)>,
    max: usize,
    committed: &mut Committed,
) -> rusqlite::Result<()> {
    let order = if planted::active(Bug::TrimNewestFirst) {
        "ASC"
    } else {
        "DESC"
    };
    let max = count_to_sql(max);
    match conversation {
        Some((chat_type, target)) => delete_where(
            tx,
            &format!(
                "chat_type = ?1 AND target = ?2 AND message_id NOT IN (SELECT message_id FROM \
                 messages WHERE chat_type = ?1 AND target = ?2 ORDER BY message_id {order} \
                 LIMIT ?3)"
            ),
            &[&chat_type, &target, &max],
            committed,
        ),
        None => delete_where(
            tx,
            &format!(
                "message_id NOT IN (SELECT message_id FROM messages ORDER BY message_id \
                 {order} LIMIT ?1)"
            ),
            &[&max],
            committed,
        ),
    }
}

fn apply(
    tx: &Transaction<'_>,
    write: &HistoryWrite,
    committed: &mut Committed,
) -> rusqlite::Result<()> {
    match write {
        HistoryWrite::Keep {
            target,
            message,
            max_per_conversation,
            max_messages,
        } => {
            let inserted = insert(tx, target, message)?;
            if inserted > 0 {
                committed.changed += 1;
                let chat_type = message.message.chat_type as i32;
                trim(
                    tx,
                    Some((chat_type, target)),
                    *max_per_conversation,
                    committed,
                )?;
                trim(tx, None, *max_messages, committed)?;
            }
        }
        HistoryWrite::Handed {
            message_id,
            max_handed,
        } => {
            tx.execute(
                "INSERT OR IGNORE INTO handed (message_id) VALUES (?1)",
                params![to_sql(*message_id)],
            )?;
            tx.execute(
                "DELETE FROM handed WHERE serial NOT IN \
                 (SELECT serial FROM handed ORDER BY serial DESC LIMIT ?1)",
                params![count_to_sql((*max_handed).max(1))],
            )?;
        }
        HistoryWrite::RoomSwitch { room_id, save } => {
            let changed = if *save {
                tx.execute(
                    "INSERT OR IGNORE INTO saved_rooms (room_id) VALUES (?1)",
                    params![room_id],
                )?
            } else {
                tx.execute(
                    "DELETE FROM saved_rooms WHERE room_id = ?1",
                    params![room_id],
                )?
            };
            committed.changed += u32::try_from(changed).unwrap_or(u32::MAX);
        }
        HistoryWrite::Delete(delete) => match delete {
            super::types::DeleteHistory::OlderThan { chat_type, time } => {
                let any_type = i64::from(*chat_type == ChatType::Unknown);
                let chat_type = *chat_type as i32;
                let time = to_sql(*time);
                delete_where(
                    tx,
                    "(?1 = 1 OR chat_type = ?2) AND (?3 = 0 OR create_time < ?3)",
                    &[&any_type, &chat_type, &time],
                    committed,
                )?;
            }
            super::types::DeleteHistory::Conversation {
                target_id,
                chat_type,
            } => {
                let chat_type = *chat_type as i32;
                delete_where(
                    tx,
                    "chat_type = ?1 AND target = ?2",
                    &[&chat_type, target_id],
                    committed,
                )?;
            }
            super::types::DeleteHistory::Message { message_id } => {
                let id = to_sql(*message_id);
                delete_where(tx, "message_id = ?1", &[&id], committed)?;
            }
        },
        HistoryWrite::SetRead { message_id, read } => {
            let changed = tx.execute(
                "UPDATE messages SET is_read = ?2 WHERE message_id = ?1 AND is_read <> ?2",
                params![to_sql(*message_id), i64::from(*read)],
            )?;
            committed.changed += u32::try_from(changed).unwrap_or(u32::MAX);
        }
        HistoryWrite::SetAllRead { contact_id, read } => {
            let changed = match contact_id {
                None => tx.execute(
                    "UPDATE messages SET is_read = ?1 WHERE is_read <> ?1",
                    params![i64::from(*read)],
                )?,
                Some(contact) => tx.execute(
                    "UPDATE messages SET is_read = ?1 WHERE is_read <> ?1 \
                     AND chat_type = ?2 AND target = ?3",
                    params![i64::from(*read), ChatType::Private as i32, contact],
                )?,
            };
            committed.changed += u32::try_from(changed).unwrap_or(u32::MAX);
        }
        HistoryWrite::SetPlayed { message_id, played } => {
            let changed = tx.execute(
                "UPDATE messages SET is_played = ?2 WHERE message_id = ?1 AND is_played <> ?2",
                params![to_sql(*message_id), i64::from(*played)],
            )?;
            committed.changed += u32::try_from(changed).unwrap_or(u32::MAX);
        }
        HistoryWrite::SetLocalPath { message_id, path } => {
            let changed = tx.execute(
                "UPDATE messages SET local_path = ?2 WHERE message_id = ?1 AND local_path <> ?2",
                params![to_sql(*message_id), path.to_string_lossy()],
            )?;
            committed.changed += u32::try_from(changed).unwrap_or(u32::MAX);
        }
    }
    Ok(())
}

impl SqliteStore {
    fn select(
        &self,
        condition: &str,
        values: &[&dyn rusqlite::ToSql],
    ) -> rusqlite::Result<Vec<Kept>> {
        let mut statement = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM messages WHERE {condition}"))?;
        let rows = statement.query_map(values, kept_from_row)?;
        rows.collect()
    }

    fn count(&self, condition: &str, values: &[&dyn rusqlite::ToSql]) -> rusqlite::Result<u64> {
        let count: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM messages WHERE {condition}"),
            values,
            |row| row.get(0),
        )?;
        Ok(from_sql(count))
    }
}

impl HistoryStore for SqliteStore {
    fn handed(&self, message_id: u64) -> Result<bool, HistoryError> {
        self.conn
            .query_row(
                "SELECT 1 FROM handed WHERE message_id = ?1",
                params![to_sql(message_id)],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(failed)
    }

    fn saves_room(&self, room_id: &str) -> Result<bool, HistoryError> {
        self.conn
            .query_row(
                "SELECT 1 FROM saved_rooms WHERE room_id = ?1",
                params![room_id],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(failed)
    }

    fn saved_rooms(&self) -> Result<Vec<String>, HistoryError> {
        let mut statement = self
            .conn
            .prepare("SELECT room_id FROM saved_rooms ORDER BY room_id")
            .map_err(failed)?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(failed)?;
        rows.collect::<Result<_, _>>().map_err(failed)
    }

    fn page(
        &self,
        chat_type: ChatType,
        target: &str,
        start_message_id: u64,
        count: usize,
        direction: HistoryDirection,
    ) -> Result<HistorySlice, HistoryError> {
        let chat = chat_type as i32;
        let start = to_sql(start_message_id);
        let limit = count_to_sql(count);
        let conversation = "chat_type = ?1 AND target = ?2";
        let (range, order) = match (start_message_id, direction) {
            (0, _) => ("1 = 1", "DESC"),
            (_, HistoryDirection::Older) => ("message_id < ?3", "DESC"),
            (_, HistoryDirection::Newer) => ("message_id > ?3", "ASC"),
        };
        let run = || -> rusqlite::Result<HistorySlice> {
            let total = self.count(
                &format!("{conversation} AND {range} AND ?3 = ?3"),
                &[&chat, &target, &start],
            )?;
            let mut chosen: Vec<HistoryMessage> = self
                .select(
                    &format!(
                        "{conversation} AND {range} AND ?3 = ?3 \
                         ORDER BY message_id {order} LIMIT ?4"
                    ),
                    &[&chat, &target, &start, &limit],
                )?
                .into_iter()
                .map(|kept| kept.message)
                .collect();
            chosen.sort_by_key(|m| m.message.message_id);
            let remain = total.saturating_sub(chosen.len() as u64);
            Ok(HistorySlice {
                messages: chosen,
                remain: u32::try_from(remain).unwrap_or(u32::MAX),
            })
        };
        run().map_err(failed)
    }

    fn recent_contacts(&self, max: usize) -> Result<Vec<Contact>, HistoryError> {
        let private = ChatType::Private as i32;
        let run = || -> rusqlite::Result<Vec<Contact>> {
            let newest = self.select(
                "message_id IN (SELECT MAX(message_id) FROM messages WHERE chat_type = ?1 \
                 GROUP BY target) ORDER BY message_id DESC LIMIT ?2",
                &[&private, &count_to_sql(max)],
            )?;
            let mut contacts = Vec::with_capacity(newest.len());
            for kept in newest {
                let unread = self.count(
                    "chat_type = ?1 AND target = ?2 AND sender_id = ?2 AND is_read = 0",
                    &[&private, &kept.target],
                )?;
                contacts.push(Contact {
                    contact_id: kept.target,
                    last_message: kept.message,
                    unread: u32::try_from(unread).unwrap_or(u32::MAX),
                });
            }
            Ok(contacts)
        };
        run().map_err(failed)
    }

    fn messages(&self) -> Result<Vec<Kept>, HistoryError> {
        self.select("1 = 1 ORDER BY message_id", &[])
            .map_err(failed)
    }

    fn handed_ids(&self) -> Result<Vec<u64>, HistoryError> {
        let mut statement = self
            .conn
            .prepare("SELECT message_id FROM handed ORDER BY serial")
            .map_err(failed)?;
        let rows = statement
            .query_map([], |row| row.get::<_, i64>(0))
            .map_err(failed)?;
        rows.map(|id| id.map(from_sql))
            .collect::<Result<_, _>>()
            .map_err(failed)
    }

    fn commit(&mut self, batch: &HistoryBatch) -> Result<Committed, HistoryError> {
        if batch.is_empty() {
            return Ok(Committed::default());
        }
        self.set_synchronous(batch.needs_sync())?;
        let tx = self.conn.transaction().map_err(failed)?;
        let mut committed = Committed::default();
        for write in batch.writes() {
            // An error drops `tx`, which rolls everything back.
            apply(&tx, write, &mut committed).map_err(failed)?;
        }
        tx.commit()
            .map_err(|e| HistoryError::Uncertain(e.to_string()))?;
        Ok(committed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("yim-sdk-history-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn conforms() {
        let dir = temp_dir("conformance");
        super::super::conformance::check(&SqliteDisk::new(&dir));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn one_file_per_app_and_user_survives_reopening() {
        let dir = temp_dir("files");
        let disk = SqliteDisk::new(&dir);
        let mut store = disk.open("app/key", "alice").unwrap();
        let mut batch = HistoryBatch::new();
        batch.push(HistoryWrite::Handed {
            message_id: 9,
            max_handed: 10,
        });
        store.commit(&batch).unwrap();
        drop(store);
        assert!(dir.join("app%2Fkey").join("alice.sqlite3").is_file());
        assert!(disk.open("app/key", "alice").unwrap().handed(9).unwrap());
        assert!(!disk.open("app/key", "bob").unwrap().handed(9).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_directory_that_cannot_be_made_is_create_directory_failed() {
        let dir = temp_dir("blocked");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("file");
        std::fs::write(&file, b"not a directory").unwrap();
        let refused = SqliteDisk::new(&file).open("app", "alice").unwrap_err();
        assert_eq!(refused.code(), yim_proto::ErrorCode::CreateDirectoryFailed);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
