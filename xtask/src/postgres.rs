//! The throw-away PostgreSQL server of xtask's tools (`cluster`, `bench`): the workspace's
//! `throwaway-pg` in a fresh directory of `target/`, with PostgreSQL's durability defaults
//! (`fsync`, `synchronous_commit` on: a commit is on disk when it is acknowledged) and one
//! `ucclient` database.

use std::path::Path;

use anyhow::{Context, Result};
use throwaway_pg::{Options, Stop};

/// A running throw-away PostgreSQL server; [`Postgres::stop`] stops it.
pub(crate) struct Postgres {
    server: throwaway_pg::Postgres,
    url: String,
}

impl Postgres {
    /// Creates a fresh cluster in `dir` (removing an earlier one), starts it on a free loopback
    /// port and creates the `ucclient` database.
    pub(crate) fn start(dir: &Path) -> Result<Postgres> {
        // Three nodes of 24 connections each, the admin commands and a psql.
        let options = Options {
            durable: true,
            max_connections: 200,
        };
        let server = throwaway_pg::Postgres::start(dir, options)
            .with_context(|| format!("starting PostgreSQL in {}", dir.display()))?;
        let url = server.create_database("ucclient")?;
        Ok(Postgres { server, url })
    }

    /// The URL of the `ucclient` database (the `postgres` superuser: trust on loopback).
    pub(crate) fn url(&self) -> String {
        self.url.clone()
    }

    /// The process id of the server's postmaster (the parent of every backend process).
    pub(crate) fn pid(&self) -> Result<u32> {
        Ok(self.server.pid()?)
    }

    /// Stops the server (fast shutdown: connections are closed, nothing committed is lost).
    pub(crate) fn stop(self) {
        if let Err(e) = self.server.stop(Stop::Fast) {
            eprintln!("PostgreSQL did not stop: {e}");
        }
    }
}
