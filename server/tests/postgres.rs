//! The tests' throw-away PostgreSQL (issue 16's foundations): it starts on a free loopback port with
//! its data directory under `target/`, answers sqlx, and is gone after drop. It fails (with "run
//! cargo xtask setup") rather than skip when PostgreSQL is not installed.

#[path = "support/pg.rs"]
mod pg;

#[tokio::test]
async fn a_throw_away_postgres_starts_answers_sqlx_and_stops() {
    let server = pg::Postgres::start();
    let pool = sqlx::PgPool::connect(&server.url()).await.unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(one, 1);
    pool.close().await;
    let port = server.port();
    let dir = server.dir().to_owned();
    assert!(dir.starts_with(env!("CARGO_MANIFEST_DIR").trim_end_matches("/server")));
    drop(server);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens on {port} after drop"
    );
    assert!(!dir.exists(), "{} is removed", dir.display());
}

/// The PostgreSQL schema (`server/migrations/postgres/`), applied by two "nodes" at once as
/// several nodes starting together would: sqlx's advisory lock lets one apply it, the other finds
/// it applied.
async fn migrated(server: &pg::Postgres) -> sqlx::PgPool {
    let a = sqlx::PgPool::connect(&server.url()).await.unwrap();
    let b = sqlx::PgPool::connect(&server.url()).await.unwrap();
    let migrator = sqlx::migrate!("./migrations/postgres");
    let (ra, rb) = tokio::join!(migrator.run(&a), migrator.run(&b));
    ra.unwrap();
    rb.unwrap();
    b.close().await;
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&a)
        .await
        .unwrap();
    assert_eq!(applied, migrator.iter().count() as i64);
    a
}

#[tokio::test]
async fn the_postgres_schema_has_every_table_and_column_of_the_sqlite_one() {
    use sqlx::Row;
    let server = pg::Postgres::start();
    let pool = migrated(&server).await;

    // The SQLite schema after all its migrations, as the server creates it.
    let dir = tempfile::tempdir().unwrap();
    let sqlite = ucclient_server::store::sqlite::SqliteStore::open(&dir.path().join("t.db"))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(sqlite.pool())
    .await
    .unwrap();
    assert!(tables.len() > 20, "{tables:?}");
    for table in &tables {
        let sqlite_columns: Vec<String> = sqlx::query(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY name"
        ))
        .fetch_all(sqlite.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
        let pg_columns: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name COLLATE \"C\"",
        )
        .bind(table)
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut sqlite_sorted = sqlite_columns.clone();
        sqlite_sorted.sort();
        assert_eq!(
            pg_columns, sqlite_sorted,
            "table {table}: a SQLite migration needs its PostgreSQL twin in migrations/postgres/"
        );
    }
    sqlite.close().await;
    pool.close().await;
}

#[tokio::test]
async fn event_ids_come_from_the_customer_counter_row_in_commit_order() {
    let server = pg::Postgres::start();
    let pool = migrated(&server).await;
    // The statement the PostgreSQL engine takes n ids with, inside the change's transaction.
    const TAKE: &str = "INSERT INTO event_counters (customer_id, last_id) VALUES ($1, $2) \
         ON CONFLICT (customer_id) DO UPDATE SET last_id = event_counters.last_id + $2 \
         RETURNING last_id";
    // A first writer takes ids 1..=2 of acme and holds its transaction open.
    let mut first = pool.begin().await.unwrap();
    let last: i64 = sqlx::query_scalar(TAKE)
        .bind("acme")
        .bind(2_i64)
        .fetch_one(&mut *first)
        .await
        .unwrap();
    assert_eq!(last, 2);
    // Another customer's writer is not held up by it.
    let other: i64 = sqlx::query_scalar(TAKE)
        .bind("initech")
        .bind(1_i64)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(other, 1);
    // A second writer of acme waits on the counter row until the first commits, so its id is
    // never visible before the first writer's ids.
    let second = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut tx = pool.begin().await.unwrap();
            let last: i64 = sqlx::query_scalar(TAKE)
                .bind("acme")
                .bind(1_i64)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO events (customer_id, id, kind, data, created_ms) \
                 VALUES ('acme', $1, 'presence', '{}', 0)",
            )
            .bind(last)
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            last
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "the second writer waits for the counter row"
    );
    let visible: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE customer_id = 'acme'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(visible, 0);
    for id in 1..=2_i64 {
        sqlx::query(
            "INSERT INTO events (customer_id, id, kind, data, created_ms) \
             VALUES ('acme', $1, 'presence', '{}', 0)",
        )
        .bind(id)
        .execute(&mut *first)
        .await
        .unwrap();
    }
    first.commit().await.unwrap();
    assert_eq!(second.await.unwrap(), 3);
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM events WHERE customer_id = 'acme' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(ids, [1, 2, 3]);
    pool.close().await;
}

#[tokio::test]
async fn an_idempotency_key_is_claimed_once_on_postgres() {
    let server = pg::Postgres::start();
    let pool = migrated(&server).await;
    // The PostgreSQL twin of `store/sqlite/idempotency.rs`'s claim: (scope, key, fingerprint, now,
    // abandoned before, expires); a row back means the key is this request's.
    const CLAIM: &str = "INSERT INTO idempotency_keys \
         (scope, key, fingerprint, claimed_ms, expires_ms, status, content_type, body) \
         VALUES ($1, $2, $3, $4, $6, NULL, NULL, NULL) \
         ON CONFLICT (scope, key) DO UPDATE SET \
            fingerprint = excluded.fingerprint, claimed_ms = excluded.claimed_ms, \
            expires_ms = excluded.expires_ms, status = NULL, content_type = NULL, body = NULL \
         WHERE idempotency_keys.expires_ms <= $4 \
            OR (idempotency_keys.status IS NULL AND idempotency_keys.claimed_ms < $5 \
                AND idempotency_keys.fingerprint = excluded.fingerprint) \
         RETURNING claimed_ms";
    async fn claim<'e>(
        e: impl sqlx::PgExecutor<'e>,
        fingerprint: &str,
        now: i64,
        abandoned_before: i64,
        expires: i64,
    ) -> Option<i64> {
        sqlx::query_scalar(CLAIM)
            .bind("session")
            .bind("k")
            .bind(fingerprint)
            .bind(now)
            .bind(abandoned_before)
            .bind(expires)
            .fetch_optional(e)
            .await
            .unwrap()
    }
    // Node A claims and holds its transaction open; node B's claim of the same key waits on the
    // row, then finds it taken.
    let mut a = pool.begin().await.unwrap();
    assert_eq!(claim(&mut *a, "f", 100, 0, 1_000).await, Some(100));
    let b = {
        let pool = pool.clone();
        tokio::spawn(async move { claim(&pool, "f", 101, 0, 1_001).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!b.is_finished(), "the second claim waits for the first");
    a.commit().await.unwrap();
    assert_eq!(b.await.unwrap(), None);
    // Unanswered and past the abandonment bound: the same request takes it over, another not.
    assert_eq!(claim(&pool, "other", 200, 150, 1_200).await, None);
    assert_eq!(claim(&pool, "f", 200, 150, 1_200).await, Some(200));
    // Answered: kept until it expires, then anyone's.
    sqlx::query(
        "UPDATE idempotency_keys SET status = 201, content_type = 'application/json', body = $1",
    )
    .bind(b"{}".as_slice())
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(claim(&pool, "f", 300, 250, 1_300).await, None);
    assert_eq!(claim(&pool, "other", 1_200, 0, 2_200).await, Some(1_200));
    pool.close().await;
}
