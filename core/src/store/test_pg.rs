//! A fresh PostgreSQL database for the store's own tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{PoolSize, Store};
use sea_orm::ConnectionTrait;

/// A fresh, migrated PostgreSQL database (`TEST_PG_URL`, which `scripts/test.sh` sets; without
/// it the test fails, as every PostgreSQL test does, rather than pass without running), opened
/// as a server opens it: a pool of 2 connections, both kept.
pub(crate) async fn postgres() -> (String, String, Store) {
    let admin = std::env::var("TEST_PG_URL").expect("TEST_PG_URL is not set: run scripts/test.sh");
    let name = format!("confab_store_{}", uuid::Uuid::new_v4().simple());
    let conn = sea_orm::Database::connect(admin.as_str()).await.unwrap();
    conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    conn.close().await.ok();
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
    let store = Store::open(&format!("{base}/{name}"), PoolSize::Kept(2)).await.unwrap();
    store.migrate().await.unwrap();
    (admin, name, store)
}

pub(crate) async fn drop_database(admin: &str, name: &str, store: Store) {
    store.conn().clone().close().await.ok();
    let conn = sea_orm::Database::connect(admin).await.unwrap();
    conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok();
}
