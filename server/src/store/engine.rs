//! The engine `--database` names, opened: SQLite (the embedded default) or PostgreSQL.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::store::Store;
use crate::store::location::Database;
use crate::store::postgres::PgStore;
use crate::store::sqlite::SqliteStore;

/// An opened store of either engine.
#[derive(Debug, Clone)]
pub enum Engine {
    /// A SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(PgStore),
}

impl Engine {
    /// Opens the database `--database` names (running its migrations), failing a wait for a
    /// connection after `acquire_timeout`.
    pub async fn open(arg: &Path, acquire_timeout: Duration) -> anyhow::Result<Engine> {
        Ok(match Database::parse(arg)? {
            Database::Sqlite(path) => {
                Engine::Sqlite(SqliteStore::open_with(&path, acquire_timeout).await?)
            }
            Database::Postgres(url) => Engine::Postgres(
                PgStore::open(&url, acquire_timeout)
                    .await
                    .map_err(|e| anyhow::anyhow!("opening PostgreSQL at {url}: {e}"))?,
            ),
        })
    }

    /// Opens it with the default acquire bound (admin commands).
    pub async fn open_default(arg: &Path) -> anyhow::Result<Engine> {
        Engine::open(arg, crate::store::sqlite::DEFAULT_ACQUIRE_TIMEOUT).await
    }

    /// This engine as node `node`'s: the calls it creates are stamped with it.
    pub fn with_node(self, node: Arc<str>) -> Engine {
        match self {
            Engine::Sqlite(s) => Engine::Sqlite(s.with_node(node)),
            Engine::Postgres(s) => Engine::Postgres(s.with_node(node)),
        }
    }

    /// The store, for the code that only needs its traits.
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Engine::Sqlite(s) => Arc::new(s.clone()),
            Engine::Postgres(s) => Arc::new(s.clone()),
        }
    }

    /// The SQLite store, when it is one (tests hold its connections to simulate overload).
    pub fn sqlite(&self) -> Option<&SqliteStore> {
        match self {
            Engine::Sqlite(s) => Some(s),
            Engine::Postgres(_) => None,
        }
    }

    /// Closes its connections.
    pub async fn close(&self) {
        match self {
            Engine::Sqlite(s) => s.close().await,
            Engine::Postgres(s) => s.close().await,
        }
    }
}
