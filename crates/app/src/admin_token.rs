//! Where a generated admin token goes: on the terminal only. When the banner is not read on
//! a terminal (stdout redirected to a file or a log collector) or the logs are JSON, the token
//! is written to a file readable by its owner alone and the banner says where.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use propimport_persistence::DatabaseUrl;

use crate::config::{Config, LogFormat};

/// The name of the token file in the data folder.
const FILE_NAME: &str = "admin-token";

/// How the banner shows a generated token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// Printed: stdout is a terminal and the logs are text.
    OnTerminal(String),
    /// Written to this file (mode 0600).
    InFile(PathBuf),
}

/// Decides where `token` goes and, for a file, writes it.
///
/// # Errors
/// When the file cannot be written; the message names it and `ADMIN_TOKEN_FILE`.
pub fn place(config: &Config, token: &str, stdout_is_terminal: bool) -> anyhow::Result<Shown> {
    if stdout_is_terminal && config.log_format == LogFormat::Text {
        return Ok(Shown::OnTerminal(token.to_owned()));
    }
    let path = config
        .http
        .token_file
        .clone()
        .unwrap_or_else(|| default_path(&config.database_url));
    write_private(&path, token).map_err(|e| {
        anyhow::anyhow!(
            "cannot write the generated admin token to {} (ADMIN_TOKEN_FILE): {e}",
            path.display()
        )
    })?;
    Ok(Shown::InFile(path))
}

/// `admin-token` next to the SQLite database, or in `./data` for PostgreSQL.
fn default_path(database: &DatabaseUrl) -> PathBuf {
    let folder = match database {
        DatabaseUrl::Sqlite(file) => file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        _ => PathBuf::from("data"),
    };
    folder.join(FILE_NAME)
}

/// Writes `token` and a newline to `path`, readable and writable by the owner only (also
/// when the file existed with wider permissions).
fn write_private(path: &Path, token: &str) -> std::io::Result<()> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        let mut file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        writeln!(file, "{token}")?;
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path)?;
        writeln!(file, "{token}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_file_is_next_to_the_sqlite_database() {
        let url = |u: &str| DatabaseUrl::parse(u).unwrap();
        assert_eq!(
            default_path(&url("sqlite:///srv/app/data/p.db")),
            PathBuf::from("/srv/app/data/admin-token")
        );
        assert_eq!(
            default_path(&url("sqlite://p.db")),
            PathBuf::from("./admin-token")
        );
        assert_eq!(
            default_path(&url("postgres://u:p@h/db")),
            PathBuf::from("data/admin-token")
        );
    }

    #[test]
    fn json_logs_keep_the_token_off_a_terminal_too() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token").display().to_string();
        let config = |format: &'static str| {
            let file = file.clone();
            Config::from_lookup(move |name| match name {
                "LOG_FORMAT" => Some(format.to_owned()),
                "ADMIN_TOKEN_FILE" => Some(file.clone()),
                _ => None,
            })
            .unwrap()
        };
        assert_eq!(
            place(&config("text"), "t0k3n", true).unwrap(),
            Shown::OnTerminal("t0k3n".to_owned())
        );
        assert!(!dir.path().join("token").exists());
        assert_eq!(
            place(&config("json"), "t0k3n", true).unwrap(),
            Shown::InFile(dir.path().join("token"))
        );
        assert_eq!(
            place(&config("text"), "s3cond", false).unwrap(),
            Shown::InFile(dir.path().join("token"))
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("token")).unwrap(),
            "s3cond\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_the_owners_alone_even_when_it_existed() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/admin-token");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "old, longer content\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, "abc").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "abc\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
