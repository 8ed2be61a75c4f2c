//! One server per SQLite database: `propimport serve` holds an exclusive lock on a file next
//! to the database for as long as it runs, so a second `serve` on the same file is refused
//! (several replicas need PostgreSQL). The CLI's short commands take no such lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use crate::{Database, DatabaseUrl, PersistenceError};

/// What is appended to a SQLite database's file name to name its lock file.
const SUFFIX: &str = ".serve.lock";

/// Proof that this process is the only server of its SQLite database; dropping it (or the
/// process ending in any way, `kill -9` included: the operating system releases the lock)
/// lets another server start. On PostgreSQL, and for an in-memory SQLite database, it holds
/// nothing.
#[derive(Debug)]
#[must_use = "the database is served exclusively only while the lock is held"]
pub struct ServerLock {
    /// The locked file; `None` when there is nothing to lock.
    held: Option<(File, PathBuf)>,
}

impl ServerLock {
    /// The lock file, when one is held.
    pub fn path(&self) -> Option<&Path> {
        self.held.as_ref().map(|(_, path)| path.as_path())
    }

    /// Takes the server lock of the database at `url`, without waiting: an exclusive,
    /// non-blocking lock of the file `<database file>.serve.lock` (created if missing, never
    /// removed), into which the holder writes its process id.
    ///
    /// Fails with [`PersistenceError::AlreadyServed`] when another process (or another guard
    /// of this one) holds it.
    pub fn acquire(url: &DatabaseUrl) -> Result<Self, PersistenceError> {
        let DatabaseUrl::Sqlite(db_path) = url else {
            return Ok(Self { held: None });
        };
        if db_path.as_os_str() == ":memory:" {
            return Ok(Self { held: None });
        }
        let mut name = db_path.as_os_str().to_owned();
        name.push(SUFFIX);
        let path = PathBuf::from(name);
        let lock_error = |e: std::io::Error| PersistenceError::Lock {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(lock_error)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(PersistenceError::AlreadyServed {
                    url: url.redacted(),
                    holder: holder(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(lock_error(e)),
        }
        file.set_len(0).map_err(lock_error)?;
        writeln!(file, "{}", std::process::id()).map_err(lock_error)?;
        Ok(Self {
            held: Some((file, path)),
        })
    }
}

/// `pid N` from the lock file's content, or why it is not known.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    match file.read_to_string(&mut text) {
        Ok(_) => match text.trim().parse::<u32>() {
            Ok(pid) => format!("pid {pid}"),
            Err(_) => "pid not known yet".to_owned(),
        },
        Err(_) => "pid unknown".to_owned(),
    }
}

impl Database {
    /// Takes the server lock of this database ([`ServerLock::acquire`]): `propimport serve`
    /// holds it for its whole life so that a second server on the same SQLite file is refused
    /// at start-up, naming the file and the holder's pid. Other processes that only run a
    /// command (import, migrate, reading the history) do not take it and still work next to
    /// a server. A no-op on PostgreSQL, where replicas are supported.
    pub fn lock_exclusive_server(&self) -> Result<ServerLock, PersistenceError> {
        ServerLock::acquire(self.url())
    }
}
