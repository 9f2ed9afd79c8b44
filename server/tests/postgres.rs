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

