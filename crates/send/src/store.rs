//! The delivery store: an embedded SQLite database, the record of truth.
//!
//! # Schema, version 1 (`PRAGMA user_version = 1`)
//! ```sql
//! CREATE TABLE runs (
//!   id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, label TEXT NOT NULL,
//!   spec TEXT,                         -- the caller's job-stream description, for completing a run
//!   source_done INTEGER);              -- 1 once every job of the run's source was stored
//!                                      -- (added to older stores when opened for writing)
//! CREATE TABLE deliveries (
//!   id INTEGER PRIMARY KEY,            -- delivery id, shown to people
//!   run_id INTEGER NOT NULL,           -- the run that queued it
//!   kind TEXT NOT NULL, status_label TEXT, session_id TEXT, vendor_data TEXT,
//!   url TEXT NOT NULL,
//!   body BLOB NOT NULL,                -- the exact bytes sent
//!   headers TEXT NOT NULL,             -- signed request headers, one `name: value` per line
//!   tampered INTEGER NOT NULL,
//!   state TEXT NOT NULL,               -- pending | delivered | exhausted | rejected | unexpected
//!   attempts INTEGER NOT NULL,         -- attempts made, all triggers
//!   policy_attempts INTEGER NOT NULL,  -- scheduled attempts counted by the retry policy
//!   next_attempt_at INTEGER,           -- Unix ms, when pending
//!   last_status INTEGER, last_error TEXT,
//!   created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
//!   source_index INTEGER);             -- the job's position in the caller's stream
//! CREATE TABLE attempts (
//!   id INTEGER PRIMARY KEY,
//!   delivery_id INTEGER NOT NULL,      -- request = deliveries.headers + deliveries.body, byte for byte
//!   attempt INTEGER NOT NULL, trigger TEXT NOT NULL,      -- scheduled | manual | duplicate
//!   started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, latency_us INTEGER NOT NULL,
//!   http_status INTEGER, error_kind TEXT, error_detail TEXT,
//!   response_headers TEXT NOT NULL, response_body BLOB NOT NULL,  -- first 4 KiB
//!   response_truncated INTEGER NOT NULL,
//!   next_attempt_at INTEGER);
//! ```
//! WAL mode, `synchronous = NORMAL`, 16 KiB pages in a new file; the engine writes from one
//! thread in batched transactions (one per batch of records). No index on `state`: an update per
//! attempt stays cheap, and the read APIs scan by id (newest first) with `LIMIT`.
//! The shared secret is never stored (only the signatures it produced).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::job::{DeliveryId, Payload, headers_from_text};

/// The columns [`row_to_delivery`] reads, in its order.
macro_rules! delivery_columns {
    () => {
        "id, run_id, kind, status_label, session_id, vendor_data, url, tampered, state, attempts,
         next_attempt_at, last_status, last_error, created_at, updated_at"
    };
}

/// Default store location, relative to the working directory.
pub const DEFAULT_STORE_PATH: &str = ".veriff-mock/deliveries.db";
/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;
/// Page size of a new store, in bytes.
const PAGE_SIZE: i64 = 16 * 1024;
/// WAL size, in pages, that triggers a checkpoint (32 MiB with [`PAGE_SIZE`]).
const CHECKPOINT_PAGES: i64 = 2048;

/// A store problem.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The folder could not be created.
    #[error("cannot create the store folder {path:?}: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The path is a folder.
    #[error(
        "the delivery store {path:?} is a folder, not a file: pass --store FOLDER/deliveries.db"
    )]
    IsFolder {
        /// The folder.
        path: PathBuf,
    },
    /// SQLite refused to open the file (missing, not a database, locked…).
    #[error(
        "cannot open the delivery store {path:?}: {reason}; it and its folder must be writable \
         (a store is written even to be read), or pass --store PATH"
    )]
    Open {
        /// The file.
        path: PathBuf,
        /// Why (SQLite's words; kept out of the error chain, which would say it twice).
        reason: rusqlite::Error,
    },
    /// The file was written by a newer veriff-mock.
    #[error(
        "the delivery store {path:?} has schema version {found}, newer than this build understands ({SCHEMA_VERSION}); upgrade veriff-mock or use another --store"
    )]
    NewerVersion {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
    },
    /// The file is a database but not a delivery store (or is damaged).
    #[error(
        "{path:?} is not a veriff-mock delivery store (or it is damaged: {reason}): pass \
         --store with another file"
    )]
    Garbled {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A query failed. (SQLite's words are in the message, not chained as a source: the
    /// one-line error would say them twice.)
    #[error("delivery store query failed: {0}{hint}", hint = sqlite_hint(.0))]
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

/// What to do about a failed query, when SQLite's words say it.
fn sqlite_hint(e: &rusqlite::Error) -> &'static str {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::ReadOnly) => {
            "; the store (or its folder) is read-only: make it writable, or pass --store PATH"
        }
        Some(ErrorCode::DiskFull) => "; the disk is full: free some space, or pass --store PATH",
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            "; another program holds the store: wait for it, or pass --store PATH"
        }
        _ => "",
    }
}

/// State of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not yet acknowledged; will be (re)tried.
    Pending,
    /// A success status was recorded. Final: never sent again by the policy.
    Delivered,
    /// Every attempt of the policy failed. Final.
    Exhausted,
    /// A tampered payload was refused, as it should be. Final.
    Rejected,
    /// A tampered payload was accepted. Final, a failure.
    Unexpected,
}

impl DeliveryState {
    /// Every state.
    pub const ALL: [DeliveryState; 5] = [
        DeliveryState::Pending,
        DeliveryState::Delivered,
        DeliveryState::Exhausted,
        DeliveryState::Rejected,
        DeliveryState::Unexpected,
    ];

    /// Stable name, as stored.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Exhausted => "exhausted",
            DeliveryState::Rejected => "rejected",
            DeliveryState::Unexpected => "unexpected",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether no further scheduled attempt will be made.
    #[must_use]
    pub const fn is_final(self) -> bool {
        !matches!(self, DeliveryState::Pending)
    }
}

/// One delivery, as listed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeliveryRow {
    /// Delivery id.
    pub id: DeliveryId,
    /// Run that queued it.
    pub run_id: u64,
    /// Kind name.
    pub kind: String,
    /// Status label.
    pub status_label: Option<String>,
    /// Session id.
    pub session_id: Option<String>,
    /// vendorData.
    pub vendor_data: Option<String>,
    /// Target URL.
    pub url: String,
    /// Tampered on purpose.
    pub tampered: bool,
    /// State.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: u32,
    /// Next attempt, Unix ms.
    pub next_attempt_at_ms: Option<i64>,
    /// Last HTTP status.
    pub last_status: Option<u16>,
    /// Last error kind.
    pub last_error: Option<String>,
    /// Created, Unix ms.
    pub created_at_ms: i64,
    /// Last change, Unix ms.
    pub updated_at_ms: i64,
    /// Latency of the last finished attempt, microseconds; read only when asked for
    /// ([`DeliveryQuery::with_latency`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_latency_us: Option<u64>,
}

/// One recorded attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AttemptRow {
    /// Attempt number (per delivery).
    pub attempt: u32,
    /// `scheduled`, `manual` or `duplicate`.
    pub trigger: String,
    /// Start, Unix ms.
    pub started_at_ms: i64,
    /// End, Unix ms.
    pub finished_at_ms: i64,
    /// Time to the response head or error.
    pub latency_us: u64,
    /// HTTP status.
    pub http_status: Option<u16>,
    /// Error kind name.
    pub error_kind: Option<String>,
    /// Error detail.
    pub error_detail: Option<String>,
    /// Response headers, one `name: value` per line.
    pub response_headers: String,
    /// First 4 KiB of the response body.
    pub response_body: Vec<u8>,
    /// Body longer than what was kept.
    pub response_truncated: bool,
    /// Next attempt scheduled by this one, Unix ms.
    pub next_attempt_at_ms: Option<i64>,
}

/// One delivery with its payload and attempts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeliveryDetail {
    /// The delivery.
    pub delivery: DeliveryRow,
    /// The exact body sent.
    pub body: Vec<u8>,
    /// The signed request headers, one `name: value` per line.
    pub request_headers: String,
    /// Attempts, oldest first.
    pub attempts: Vec<AttemptRow>,
}

/// Filter and page for [`Store::list`]: newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryQuery {
    /// Only this state.
    pub state: Option<DeliveryState>,
    /// Only this kind name.
    pub kind: Option<String>,
    /// Only this run.
    pub run_id: Option<u64>,
    /// Page cursor: only ids below this one.
    pub before_id: Option<DeliveryId>,
    /// Page size.
    pub limit: u32,
    /// Also read each row's last attempt latency ([`DeliveryRow::last_latency_us`]).
    pub with_latency: bool,
}

impl Default for DeliveryQuery {
    fn default() -> Self {
        Self {
            state: None,
            kind: None,
            run_id: None,
            before_id: None,
            limit: 100,
            with_latency: false,
        }
    }
}

/// Aggregate counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Deliveries.
    pub total: u64,
    /// Pending.
    pub pending: u64,
    /// Delivered.
    pub delivered: u64,
    /// Exhausted.
    pub exhausted: u64,
    /// Rejected as expected.
    pub rejected: u64,
    /// Unexpected outcome.
    pub unexpected: u64,
    /// Attempts recorded.
    pub attempts: u64,
}

/// One run recorded in the store (a `fire`, a `fire --resume`, a `resend`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunRow {
    /// Run id.
    pub id: u64,
    /// Start, Unix ms.
    pub started_at_ms: i64,
    /// What it fired, as the caller named it (`mixed`, `decision+event`, `resume`, `resend`).
    pub label: String,
    /// The caller's description of the run, when it stored one (see [`Store::runs_with_spec`]).
    pub spec: Option<String>,
}

/// The lock file that the process writing the store holds (an OS file lock) while it runs:
/// `<store>.lock`, named after the store's real path, so that every path to the store (a
/// symlink, `./x.db`) names the same lock.
#[must_use]
pub fn lock_path(store: &Path) -> PathBuf {
    let store = std::fs::canonicalize(store).unwrap_or_else(|_| {
        let dir = store
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::canonicalize(dir)
            .map(|d| d.join(store.file_name().unwrap_or_default()))
            .unwrap_or_else(|_| store.to_path_buf())
    });
    let mut name = store.into_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

/// Whether a process is writing the store at `store` now, as its lock file ([`lock_path`]) says:
/// `Some(false)` when the lock is free (or was never taken), `None` when it cannot be told.
/// A reader's test: the lock is taken only for the instant of the test, and released at once.
#[must_use]
pub fn writer_alive(store: &Path) -> Option<bool> {
    let file = match std::fs::File::open(lock_path(store)) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(false),
        Err(_) => return None,
    };
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            Some(false)
        }
        Err(std::fs::TryLockError::WouldBlock) => Some(true),
        Err(std::fs::TryLockError::Error(_)) => None,
    }
}

/// A stored delivery to carry on with (resume) or resend.
#[derive(Debug, Clone)]
pub(crate) struct StoredDelivery {
    pub payload: Payload,
    pub state: DeliveryState,
    pub attempts: u32,
    pub policy_attempts: u32,
    pub next_attempt_at_ms: Option<i64>,
}

/// A handle on the delivery store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE runs (
  id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, label TEXT NOT NULL, spec TEXT,
  source_done INTEGER);
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL,
  kind TEXT NOT NULL, status_label TEXT, session_id TEXT, vendor_data TEXT,
  url TEXT NOT NULL, body BLOB NOT NULL, headers TEXT NOT NULL, tampered INTEGER NOT NULL,
  state TEXT NOT NULL, attempts INTEGER NOT NULL, policy_attempts INTEGER NOT NULL,
  next_attempt_at INTEGER, last_status INTEGER, last_error TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, source_index INTEGER);
CREATE TABLE attempts (
  id INTEGER PRIMARY KEY, delivery_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL, trigger TEXT NOT NULL,
  started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, latency_us INTEGER NOT NULL,
  http_status INTEGER, error_kind TEXT, error_detail TEXT,
  response_headers TEXT NOT NULL, response_body BLOB NOT NULL, response_truncated INTEGER NOT NULL,
  next_attempt_at INTEGER);
CREATE INDEX attempts_delivery ON attempts(delivery_id, attempt);
PRAGMA user_version = 1;
";

/// A folder where the store file should be.
fn refuse_folder(path: &Path) -> Result<(), StoreError> {
    if path.is_dir() {
        return Err(StoreError::IsFolder {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Sets the busy timeout and reads the schema version, refusing a store from a newer version.
fn schema_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let garbled = |e: rusqlite::Error| match e.sqlite_error_code() {
        // Not damage: the file or its folder cannot be written (a store in WAL mode needs to
        // write its -shm file even to be read).
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen) => StoreError::Open {
            path: path.to_path_buf(),
            reason: e,
        },
        _ => StoreError::Garbled {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
    };
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(garbled)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(garbled)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerVersion {
            path: path.to_path_buf(),
            found: version,
        });
    }
    Ok(version)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_u32(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store {
    /// Opens (or creates, with its folder) a store for reading and writing.
    ///
    /// # Errors
    /// [`StoreError`]: folder, open, newer version, garbled file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        refuse_folder(&path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(&path).map_err(|reason| StoreError::Open {
            path: path.clone(),
            reason,
        })?;
        let garbled = |e: rusqlite::Error| StoreError::Garbled {
            path: path.clone(),
            reason: e.to_string(),
        };
        let version = schema_version(&conn, &path)?;
        if version == 0 {
            // A new file: 16 KiB pages hold about ten stored payloads each instead of two, so
            // the writer copies, checksums and checkpoints far fewer bytes per delivery. Only
            // takes effect before the first table exists; an existing store keeps its size.
            conn.pragma_update(None, "page_size", PAGE_SIZE)
                .map_err(garbled)?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(garbled)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(garbled)?;
        // Bigger page cache and fewer, larger checkpoints: the writer is the engine's hot loop.
        conn.pragma_update(None, "cache_size", -16_000)
            .map_err(garbled)?;
        conn.pragma_update(None, "wal_autocheckpoint", CHECKPOINT_PAGES)
            .map_err(garbled)?;
        if version == 0 {
            let tables: i64 = conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(garbled)?;
            if tables > 0 {
                return Err(StoreError::Garbled {
                    path,
                    reason: "it holds other tables and no schema version".into(),
                });
            }
            conn.execute_batch(SCHEMA).map_err(garbled)?;
        }
        let store = Self { conn, path };
        store.check_tables()?;
        if !store.runs_have_source_done()? {
            // Added after schema version 1 was published; older builds ignore it.
            store
                .conn
                .execute_batch("ALTER TABLE runs ADD COLUMN source_done INTEGER")
                .map_err(|e| StoreError::Garbled {
                    path: store.path.clone(),
                    reason: e.to_string(),
                })?;
        }
        Ok(store)
    }

    fn runs_have_source_done(&self) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare("SELECT 1 FROM pragma_table_info('runs') WHERE name = 'source_done'")?
            .exists([])?)
    }

    /// Runs that recorded a spec, newest first: `(run id, spec, every job of its source stored)`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn runs_with_spec(&self) -> Result<Vec<(u64, String, bool)>, StoreError> {
        let done = if self.runs_have_source_done()? {
            "coalesce(source_done, 0)"
        } else {
            "0"
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, spec, {done} FROM runs WHERE spec IS NOT NULL ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                to_u64(r.get(0)?),
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)? != 0,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every run, newest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn runs(&self) -> Result<Vec<RunRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, started_at, label, spec FROM runs ORDER BY id DESC")?;
        let rows = stmt.query_map([], |r| {
            Ok(RunRow {
                id: to_u64(r.get(0)?),
                started_at_ms: r.get(1)?,
                label: r.get(2)?,
                spec: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Opens an existing store read-only (for `watch` and other readers while a run writes).
    ///
    /// # Errors
    /// [`StoreError`]: missing file, newer version, garbled file.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        refuse_folder(&path)?;
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|reason| StoreError::Open {
            path: path.clone(),
            reason,
        })?;
        let version = schema_version(&conn, &path)?;
        if version < SCHEMA_VERSION {
            return Err(StoreError::Garbled {
                path,
                reason: format!("schema version {version}, expected {SCHEMA_VERSION}"),
            });
        }
        let store = Self { conn, path };
        store.check_tables()?;
        Ok(store)
    }

    fn check_tables(&self) -> Result<(), StoreError> {
        for t in ["runs", "deliveries", "attempts"] {
            let n: i64 = self
                .conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?1",
                    [t],
                    |r| r.get(0),
                )
                .map_err(|e| StoreError::Garbled {
                    path: self.path.clone(),
                    reason: e.to_string(),
                })?;
            if n != 1 {
                return Err(StoreError::Garbled {
                    path: self.path.clone(),
                    reason: format!("table {t} is missing"),
                });
            }
        }
        Ok(())
    }

    /// The file this store lives in.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deliveries, newest first, filtered and paged by `q`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn list(&self, q: &DeliveryQuery) -> Result<Vec<DeliveryRow>, StoreError> {
        // `id < ?4` with a real bound (not `?4 IS NULL OR …`), so SQLite seeks the rowid range
        // instead of scanning from the newest row on every page.
        let mut stmt = self.conn.prepare_cached(concat!(
            "SELECT ",
            delivery_columns!(),
            ", CASE WHEN ?6 THEN (SELECT latency_us FROM attempts a
                                 WHERE a.delivery_id = deliveries.id
                                 ORDER BY a.attempt DESC LIMIT 1) END
             FROM deliveries
             WHERE id < ?4 AND (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR kind = ?2)
               AND (?3 IS NULL OR run_id = ?3)
             ORDER BY id DESC LIMIT ?5"
        ))?;
        let rows = stmt.query_map(
            params![
                q.state.map(DeliveryState::as_str),
                q.kind,
                q.run_id.map(to_i64),
                q.before_id.map_or(i64::MAX, to_i64),
                q.limit,
                q.with_latency
            ],
            |r| {
                let mut row = row_to_delivery(r)?;
                row.last_latency_us = r.get::<_, Option<i64>>(15)?.map(to_u64);
                Ok(row)
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One delivery's row, without its body or attempts; `None` if the id is unknown.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn delivery_row(&self, id: DeliveryId) -> Result<Option<DeliveryRow>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(concat!(
                "SELECT ",
                delivery_columns!(),
                " FROM deliveries WHERE id = ?1"
            ))?
            .query_row([to_i64(id)], row_to_delivery)
            .optional()?)
    }

    /// One delivery with its body, headers and attempts; `None` if the id is unknown.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn delivery(&self, id: DeliveryId) -> Result<Option<DeliveryDetail>, StoreError> {
        let found = self
            .conn
            .prepare_cached(concat!(
                "SELECT ",
                delivery_columns!(),
                ", body, headers FROM deliveries WHERE id = ?1"
            ))?
            .query_row([to_i64(id)], |r| {
                Ok((
                    row_to_delivery(r)?,
                    r.get::<_, Vec<u8>>(15)?,
                    r.get::<_, String>(16)?,
                ))
            })
            .optional()?;
        let Some((delivery, body, request_headers)) = found else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT attempt, trigger, started_at, finished_at, latency_us, http_status, error_kind,
                    error_detail, response_headers, response_body, response_truncated, next_attempt_at
             FROM attempts WHERE delivery_id = ?1 ORDER BY attempt, id",
        )?;
        let attempts = stmt
            .query_map([to_i64(id)], |r| {
                Ok(AttemptRow {
                    attempt: to_u32(r.get(0)?),
                    trigger: r.get(1)?,
                    started_at_ms: r.get(2)?,
                    finished_at_ms: r.get(3)?,
                    latency_us: to_u64(r.get(4)?),
                    http_status: r
                        .get::<_, Option<i64>>(5)?
                        .and_then(|s| u16::try_from(s).ok()),
                    error_kind: r.get(6)?,
                    error_detail: r.get(7)?,
                    response_headers: r.get(8)?,
                    response_body: r.get(9)?,
                    response_truncated: r.get(10)?,
                    next_attempt_at_ms: r.get(11)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(Some(DeliveryDetail {
            delivery,
            body,
            request_headers,
            attempts,
        }))
    }

    /// Aggregate counts, for the whole store or one run.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn counts(&self, run_id: Option<u64>) -> Result<Counts, StoreError> {
        let mut c = Counts::default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT state, count(*), sum(attempts) FROM deliveries
             WHERE (?1 IS NULL OR run_id = ?1) GROUP BY state",
        )?;
        let mut rows = stmt.query([run_id.map(to_i64)])?;
        while let Some(r) = rows.next()? {
            let state: String = r.get(0)?;
            let n = to_u64(r.get(1)?);
            c.total += n;
            c.attempts += to_u64(r.get::<_, Option<i64>>(2)?.unwrap_or(0));
            match DeliveryState::from_name(&state) {
                Some(DeliveryState::Pending) => c.pending += n,
                Some(DeliveryState::Delivered) => c.delivered += n,
                Some(DeliveryState::Exhausted) => c.exhausted += n,
                Some(DeliveryState::Rejected) => c.rejected += n,
                Some(DeliveryState::Unexpected) => c.unexpected += n,
                None => {}
            }
        }
        Ok(c)
    }

    /// Number of attempt rows (all deliveries, or one run's).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn attempt_count(&self, run_id: Option<u64>) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
             WHERE (?1 IS NULL OR d.run_id = ?1)",
            [run_id.map(to_i64)],
            |r| r.get(0),
        )?;
        Ok(to_u64(n))
    }

    /// Ids of a run's deliveries in `state`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn ids_in_state(
        &self,
        run_id: Option<u64>,
        state: DeliveryState,
    ) -> Result<Vec<DeliveryId>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM deliveries WHERE state = ?1 AND (?2 IS NULL OR run_id = ?2) ORDER BY id",
        )?;
        let ids = stmt
            .query_map(params![state.as_str(), run_id.map(to_i64)], |r| {
                r.get::<_, i64>(0)
            })?
            .map(|r| r.map(to_u64))
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// Gives up a run's pending deliveries: they become exhausted, with the error `cancelled`,
    /// and are never resumed. For runs whose target died with them
    /// (an in-process receiver). Returns how many were closed.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn close_pending(&self, run_id: u64, now_ms: i64) -> Result<u64, StoreError> {
        let n = self.conn.execute(
            "UPDATE deliveries SET state = 'exhausted', next_attempt_at = NULL,
                last_error = 'cancelled', updated_at = ?2
             WHERE run_id = ?1 AND state = 'pending'",
            params![to_i64(run_id), now_ms],
        )?;
        Ok(n as u64)
    }

    /// Points the pending deliveries of each kind at the URL `url_for` gives it (kinds it gives
    /// none keep theirs), in one transaction. Returns how many rows changed.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn retarget_pending(
        &self,
        url_for: impl Fn(&str) -> Option<String>,
    ) -> Result<u64, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let kinds: Vec<String> = tx
            .prepare("SELECT DISTINCT kind FROM deliveries WHERE state = 'pending'")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut changed = 0;
        for kind in kinds {
            if let Some(url) = url_for(&kind) {
                changed += tx.execute(
                    "UPDATE deliveries SET url = ?1 WHERE state = 'pending' AND kind = ?2",
                    params![url, kind],
                )?;
            }
        }
        tx.commit()?;
        Ok(changed as u64)
    }

    /// The distinct job-stream specs stored with runs, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn run_specs(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT spec FROM runs WHERE spec IS NOT NULL GROUP BY spec ORDER BY min(id)",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| r.map_err(StoreError::from)).collect()
    }

    /// The stream positions already stored by every run with this exact spec, ascending.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn stored_source_indices(&self, spec: &str) -> Result<Vec<u64>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT d.source_index FROM deliveries d JOIN runs r ON d.run_id = r.id
             WHERE r.spec = ?1 AND d.source_index IS NOT NULL ORDER BY d.source_index",
        )?;
        let rows = stmt.query_map(params![spec], |r| r.get::<_, i64>(0))?;
        rows.map(|r| r.map(to_u64).map_err(StoreError::from))
            .collect()
    }

    pub(crate) fn new_run(
        &self,
        label: &str,
        spec: Option<&str>,
        now_ms: i64,
    ) -> Result<(u64, DeliveryId), StoreError> {
        self.conn.execute(
            "INSERT INTO runs (started_at, label, spec) VALUES (?1, ?2, ?3)",
            params![now_ms, label, spec],
        )?;
        let run = to_u64(self.conn.last_insert_rowid());
        let max: Option<i64> = self
            .conn
            .query_row("SELECT max(id) FROM deliveries", [], |r| r.get(0))?;
        Ok((run, to_u64(max.unwrap_or(0))))
    }

    fn stored_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<StoredDelivery>> {
        let url: String = r.get(2)?;
        let Ok(url) = url.parse() else {
            return Ok(None);
        };
        let state: String = r.get(6)?;
        let Some(state) = DeliveryState::from_name(&state) else {
            return Ok(None);
        };
        let headers: String = r.get(4)?;
        Ok(Some(StoredDelivery {
            payload: Payload {
                id: to_u64(r.get(0)?),
                kind: r.get(1)?,
                url,
                body: bytes::Bytes::from(r.get::<_, Vec<u8>>(3)?),
                headers: headers_from_text(&headers),
                tampered: r.get(5)?,
            },
            state,
            attempts: to_u32(r.get(7)?),
            policy_attempts: to_u32(r.get(8)?),
            next_attempt_at_ms: r.get(9)?,
        }))
    }

    const STORED_COLUMNS: &str =
        "id, kind, url, body, headers, tampered, state, attempts, policy_attempts, next_attempt_at";

    pub(crate) fn pending_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM deliveries WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?;
        Ok(to_u64(n))
    }

    /// Every pending delivery; without bodies and headers (left empty) unless `with_bodies`.
    pub(crate) fn pending(&self, with_bodies: bool) -> Result<Vec<StoredDelivery>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, url, CASE WHEN ?1 THEN body ELSE x'' END,
                    CASE WHEN ?1 THEN headers ELSE '' END, tampered, state, attempts,
                    policy_attempts, next_attempt_at
             FROM deliveries WHERE state = 'pending' ORDER BY id",
        )?;
        let v = stmt
            .query_map([with_bodies], Self::stored_from_row)?
            .filter_map(Result::transpose)
            .collect::<Result<_, _>>()?;
        Ok(v)
    }

    pub(crate) fn stored(&self, id: DeliveryId) -> Result<Option<StoredDelivery>, StoreError> {
        let found = self
            .conn
            .query_row(
                &format!(
                    "SELECT {} FROM deliveries WHERE id = ?1",
                    Self::STORED_COLUMNS
                ),
                [to_i64(id)],
                Self::stored_from_row,
            )
            .optional()?;
        Ok(found.flatten())
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

fn row_to_delivery(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeliveryRow> {
    let state: String = r.get(8)?;
    Ok(DeliveryRow {
        id: to_u64(r.get(0)?),
        run_id: to_u64(r.get(1)?),
        kind: r.get(2)?,
        status_label: r.get(3)?,
        session_id: r.get(4)?,
        vendor_data: r.get(5)?,
        url: r.get(6)?,
        tampered: r.get(7)?,
        state: DeliveryState::from_name(&state).unwrap_or(DeliveryState::Pending),
        attempts: to_u32(r.get(9)?),
        next_attempt_at_ms: r.get(10)?,
        last_status: r
            .get::<_, Option<i64>>(11)?
            .and_then(|s| u16::try_from(s).ok()),
        last_error: r.get(12)?,
        created_at_ms: r.get(13)?,
        updated_at_ms: r.get(14)?,
        last_latency_us: None,
    })
}
