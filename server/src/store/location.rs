//! Where the store lives: `--database` as a URL or a plain path.
//!
//! `sqlite://PATH`, `sqlite:PATH` and a plain path name a SQLite file; `postgres://…` and
//! `postgresql://…` name a PostgreSQL database ([`crate::store::engine::Engine`] opens either).
//! Anything else with a `scheme://` is refused. A PostgreSQL URL is only ever shown redacted ([`PostgresUrl`]): its
//! password and any `password` parameter read `***` in every message and log line.

use std::convert::Infallible;
use std::fmt;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// `--database` as given on the command line: a path or a URL, whose `Debug` shows it the way
/// [`Database::describe`] does, so a PostgreSQL password never reaches a `{:?}` of the settings.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseArg(PathBuf);

impl DatabaseArg {
    /// The argument as written (credentials included: for [`Database::parse`] only).
    pub fn as_path(&self) -> &Path {
        &self.0
    }
}

impl Deref for DatabaseArg {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for DatabaseArg {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for DatabaseArg {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl From<PathBuf> for DatabaseArg {
    fn from(path: PathBuf) -> Self {
        DatabaseArg(path)
    }
}

impl FromStr for DatabaseArg {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Infallible> {
        Ok(DatabaseArg(PathBuf::from(s)))
    }
}

impl fmt::Debug for DatabaseArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseArg")
            .field(&Database::describe(&self.0))
            .finish()
    }
}

/// The database `--database` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (a plain path, `sqlite://PATH` or `sqlite:PATH`).
    Sqlite(PathBuf),
    /// A PostgreSQL server (`postgres://…` or `postgresql://…`).
    Postgres(PostgresUrl),
}

/// A PostgreSQL URL. `Display` and `Debug` show it with the password (and a `password` query
/// parameter) replaced by `***`; only [`PostgresUrl::expose`] gives the URL as written.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(url::Url);

/// Why `--database` cannot be used. The messages are one line each and never contain a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseError {
    /// A URL of a scheme that is not a database this server knows.
    #[error(
        "--database: {scheme}:// is not a database this server knows; give a SQLite file path, \
         sqlite://PATH or postgres://USER@HOST/DATABASE"
    )]
    UnknownScheme {
        /// The scheme as written.
        scheme: String,
    },
    /// `sqlite::memory:`: each connection of the pool would get its own empty database.
    #[error(
        "--database: an in-memory SQLite database (:memory:) is not supported: the server's \
         connections must all see one database, so give a file"
    )]
    Memory,
    /// A malformed URL; the reason never repeats the URL.
    #[error("--database: {0}")]
    Invalid(String),
}

impl Database {
    /// Reads `--database` as given.
    pub fn parse(arg: &Path) -> Result<Database, DatabaseError> {
        // A path that is not UTF-8 cannot be a URL: it is a file name.
        let Some(s) = arg.to_str() else {
            return Ok(Database::Sqlite(arg.to_owned()));
        };
        if let Some(rest) = strip_scheme(s, "sqlite") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.starts_with(":memory:") {
                return Err(DatabaseError::Memory);
            }
            if path.contains('?') {
                return Err(DatabaseError::Invalid(
                    "sqlite URL parameters (?…) are not supported: the server sets its own SQLite \
                     options"
                        .into(),
                ));
            }
            if path.is_empty() {
                return Err(DatabaseError::Invalid(
                    "sqlite:// needs a file path (sqlite://ucclient.db, sqlite:///var/lib/ucclient.db)"
                        .into(),
                ));
            }
            return Ok(Database::Sqlite(PathBuf::from(path)));
        }
        let Some((scheme, _)) = s.split_once("://").filter(|(scheme, _)| is_scheme(scheme)) else {
            return Ok(Database::Sqlite(arg.to_owned()));
        };
        if scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql") {
            return url::Url::parse(s)
                .map(|u| Database::Postgres(PostgresUrl(u)))
                .map_err(|e| DatabaseError::Invalid(format!("not a valid PostgreSQL URL ({e})")));
        }
        Err(DatabaseError::UnknownScheme {
            scheme: scheme.to_owned(),
        })
    }

    /// How to name `--database` in a log line or message: the path, or the redacted URL.
    pub fn describe(arg: &Path) -> String {
        match Database::parse(arg) {
            Ok(db) => db.to_string(),
            // Unusable: its scheme at most, never the rest (which may hold a password).
            Err(_) => match arg.to_str().and_then(|s| s.split_once(':')) {
                Some((scheme, _)) => format!("{scheme}:…"),
                None => arg.display().to_string(),
            },
        }
    }
}

/// `s` without its `scheme:` prefix (case-insensitive), if it has it.
fn strip_scheme<'a>(s: &'a str, scheme: &str) -> Option<&'a str> {
    let (head, rest) = s.split_at_checked(scheme.len() + 1)?;
    (head[..scheme.len()].eq_ignore_ascii_case(scheme) && head.ends_with(':')).then_some(rest)
}

/// Whether `s` is a URL scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`).
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => url.fmt(f),
        }
    }
}

impl PostgresUrl {
    /// The URL as written, credentials included: for the database driver only, never a message.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.clone();
        if shown.password().is_some() {
            // Only fails for URLs that cannot have credentials, which this one has.
            let _ = shown.set_password(Some("***"));
        }
        if shown.query_pairs().any(|(k, _)| is_secret_param(&k)) {
            let pairs: Vec<(String, String)> = shown
                .query_pairs()
                .map(|(k, v)| {
                    let v = if is_secret_param(&k) {
                        "***".into()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            shown.query_pairs_mut().clear().extend_pairs(pairs);
        }
        f.write_str(shown.as_str())
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

/// libpq's connection parameters that carry a secret.
fn is_secret_param(key: &str) -> bool {
    matches!(key, "password" | "sslpassword")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Database, DatabaseError> {
        Database::parse(Path::new(s))
    }

    #[test]
    fn plain_paths_and_sqlite_urls_name_a_sqlite_file() {
        for (arg, path) in [
            ("ucclient.db", "ucclient.db"),
            (
                "/var/lib/ucclient/ucclient.db",
                "/var/lib/ucclient/ucclient.db",
            ),
            ("./a:b.db", "./a:b.db"),
            ("sqlite://x.db", "x.db"),
            ("sqlite:///var/lib/x.db", "/var/lib/x.db"),
            ("sqlite:x.db", "x.db"),
            ("SQLite://x.db", "x.db"),
            ("sqlite:dir/x.db", "dir/x.db"),
        ] {
            assert_eq!(parse(arg), Ok(Database::Sqlite(path.into())), "{arg}");
        }
    }

    #[test]
    fn postgres_urls_name_a_postgresql_database() {
        for arg in [
            "postgres://ucclient@localhost/ucclient",
            "postgresql://ucclient@db.example:5433/ucclient?sslmode=require",
        ] {
            let Ok(Database::Postgres(url)) = parse(arg) else {
                panic!("{arg} is PostgreSQL");
            };
            assert_eq!(url.expose(), arg);
        }
    }

    #[test]
    fn a_password_is_never_shown() {
        let arg = "postgres://ucclient:s3cret@db.example/ucclient?sslpassword=k3y&application_name=x&password=p4ss";
        let db = parse(arg).unwrap();
        let shown = [
            db.to_string(),
            format!("{db:?}"),
            Database::describe(Path::new(arg)),
        ];
        for s in &shown {
            for secret in ["s3cret", "k3y", "p4ss"] {
                assert!(!s.contains(secret), "{secret} in {s}");
            }
        }
        assert_eq!(
            shown[0],
            "postgres://ucclient:***@db.example/ucclient?sslpassword=***&application_name=x&password=***"
        );
        // A malformed URL is not echoed either.
        let bad = "postgres://ucclient:s3cret@[db/x";
        assert!(matches!(parse(bad), Err(DatabaseError::Invalid(_))));
        assert!(!parse(bad).unwrap_err().to_string().contains("s3cret"));
        assert_eq!(Database::describe(Path::new(bad)), "postgres:…");
        // Nor is a URL of an unknown scheme.
        let e = parse("mysql://root:s3cret@db/x").unwrap_err();
        assert_eq!(
            e,
            DatabaseError::UnknownScheme {
                scheme: "mysql".into()
            }
        );
        assert!(!e.to_string().contains("s3cret"));
    }

    #[test]
    fn memory_parameters_and_empty_sqlite_urls_are_refused_with_a_reason() {
        for arg in ["sqlite::memory:", "sqlite://:memory:"] {
            assert_eq!(parse(arg), Err(DatabaseError::Memory), "{arg}");
        }
        for arg in ["sqlite://", "sqlite:", "sqlite://x.db?mode=ro"] {
            assert!(
                matches!(parse(arg), Err(DatabaseError::Invalid(_))),
                "{arg}"
            );
        }
        assert!(matches!(
            parse("redis://localhost"),
            Err(DatabaseError::UnknownScheme { .. })
        ));
    }

    #[test]
    fn the_argument_never_debugs_a_password() {
        let arg: DatabaseArg = "postgres://ucclient:s3cret@db.example/ucclient"
            .parse()
            .unwrap();
        let shown = format!("{arg:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
        assert_eq!(
            arg.as_path(),
            Path::new("postgres://ucclient:s3cret@db.example/ucclient")
        );
    }
}
