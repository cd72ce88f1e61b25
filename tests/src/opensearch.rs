//! OpenSearch for tests: the shared node `scripts/test.sh` starts (`TEST_OPENSEARCH_URL`), private
//! nodes a test can stop and restart (`TEST_OPENSEARCH_LAUNCHER`, i.e. `tests/opensearch/run.sh`),
//! and helpers to wait until the indexer has caught up with the database.
//!
//! Each test gets its own index prefix, so tests sharing the node never see each other's
//! documents. Without `TEST_OPENSEARCH_URL` the OpenSearch tests fail rather than pass silently.
use crate::{Options, TestApp, TestDb};
use rand::Rng;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The shared node of this test run.
pub fn shared_url() -> String {
    std::env::var("TEST_OPENSEARCH_URL")
        .expect("TEST_OPENSEARCH_URL is not set: run the suite with scripts/test.sh, which starts OpenSearch")
}

/// A fresh index prefix, so every test has its own index.
pub fn random_prefix() -> String {
    let n: u32 = rand::thread_rng().r#gen();
    format!("t{n:08x}")
}

/// Server options that put search on OpenSearch at `url` under `prefix`.
pub fn options(base: Options, url: &str, prefix: &str) -> Options {
    base.env("CONFAB_SEARCH__BACKEND", "opensearch")
        .env("CONFAB_OPENSEARCH__URL", url)
        .env("CONFAB_OPENSEARCH__INDEX_PREFIX", prefix)
        .env("CONFAB_OPENSEARCH__REPLICAS", "0")
        .env("CONFAB_OPENSEARCH__POLL_INTERVAL_MS", "100")
        .env("CONFAB_OPENSEARCH__TIMEOUT_MS", "3000")
}

/// The index a server with `prefix` writes to.
pub fn index_name(prefix: &str) -> String {
    format!("{prefix}-search-v1")
}

/// Rows waiting in the search outbox.
pub async fn backlog(db: &TestDb) -> i64 {
    let conn = db.connect().await;
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), "SELECT count(*) AS n FROM search_outbox"))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get("", "n").unwrap();
    conn.close().await.ok();
    n
}

/// Waits until the indexer has drained the outbox, then refreshes the index so that every
/// document written so far is searchable.
pub async fn wait_indexed(app: &TestApp, url: &str, prefix: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = backlog(&app.db).await;
        if left == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the search outbox still holds {left} rows after 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    refresh(url, prefix).await;
}

/// Waits for the outbox to drain, then checks that the index holds exactly the documents the
/// database says are searchable: the ids in `search_docs` (kept by the database's own triggers,
/// independently of the outbox: finished messages and titled conversations), each once.
pub async fn assert_converged(app: &TestApp, url: &str, prefix: &str) {
    wait_indexed(app, url, prefix).await;
    let conn = app.db.connect().await;
    let backend = conn.get_database_backend();
    // SQLite keeps the ids as 16-byte blobs (or text, in rows a trigger wrote from text).
    let sql = match backend {
        sea_orm::DbBackend::Sqlite => {
            "SELECT CASE typeof(hit_id) WHEN 'blob' THEN hex(hit_id) ELSE hit_id END AS hit_id FROM search_docs"
        }
        _ => "SELECT CAST(hit_id AS TEXT) AS hit_id FROM search_docs",
    };
    let rows = conn.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    conn.close().await.ok();
    let expected: std::collections::BTreeSet<String> = rows
        .iter()
        .map(|r| uuid::Uuid::parse_str(&r.try_get::<String>("", "hit_id").unwrap()).unwrap().to_string())
        .collect();
    let resp = reqwest::Client::new()
        .post(format!("{url}/{}/_search", index_name(prefix)))
        .json(&serde_json::json!({ "size": 10000, "_source": false, "query": { "match_all": {} } }))
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    let hits = body["hits"]["hits"].as_array().unwrap_or_else(|| panic!("{body}"));
    let indexed: Vec<String> = hits.iter().map(|h| h["_id"].as_str().unwrap().to_lowercase()).collect();
    let unique: std::collections::BTreeSet<String> = indexed.iter().cloned().collect();
    assert_eq!(unique.len(), indexed.len(), "a document indexed twice");
    assert_eq!(
        unique,
        expected,
        "the index and the database disagree: only indexed {:?}, only in the database {:?}",
        unique.difference(&expected).collect::<Vec<_>>(),
        expected.difference(&unique).collect::<Vec<_>>()
    );
}

pub async fn refresh(url: &str, prefix: &str) {
    let resp = reqwest::Client::new().post(format!("{url}/{}/_refresh", index_name(prefix))).send().await.unwrap();
    assert!(resp.status().is_success(), "refresh: {}", resp.text().await.unwrap_or_default());
}

/// Documents in the test's index (`None` when the index does not exist).
pub async fn count(url: &str, prefix: &str) -> Option<u64> {
    let resp = reqwest::Client::new().get(format!("{url}/{}/_count", index_name(prefix))).send().await.unwrap();
    if resp.status().as_u16() == 404 {
        return None;
    }
    let body: Value = resp.json().await.unwrap();
    body["count"].as_u64()
}

pub async fn delete_index(url: &str, prefix: &str) {
    let resp = reqwest::Client::new().delete(format!("{url}/{}", index_name(prefix))).send().await.unwrap();
    assert!(resp.status().is_success(), "delete index: {}", resp.text().await.unwrap_or_default());
}

/// A private single-node OpenSearch that a test may stop and restart on the same data.
pub struct Node {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
}

impl Node {
    /// Starts a node on a free port and waits until it is at least yellow.
    pub async fn start() -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("confab-os-{}", random_prefix()));
        let mut node = Node { port, dir, child: None };
        node.restart().await;
        node
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// (Re)starts the node on its port and data directory.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "the node is running");
        let launcher = std::env::var("TEST_OPENSEARCH_LAUNCHER").expect(
            "TEST_OPENSEARCH_LAUNCHER is not set: run the suite with scripts/test.sh (tests/opensearch/run.sh)",
        );
        let log = std::fs::File::create(self.dir.with_extension("log")).unwrap();
        let mut child = Command::new("bash")
            .arg(launcher)
            .arg(self.port.to_string())
            .arg(&self.dir)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let ready = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            let ready = lines.by_ref().map_while(Result::ok).any(|l| l.starts_with("READY"));
            // Keep draining so the node never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            ready
        });
        let ready = tokio::time::timeout(Duration::from_secs(120), ready).await;
        assert!(matches!(ready, Ok(Ok(true))), "the OpenSearch node did not start; see {}.log", self.dir.display());
        self.child = Some(child);
        let health = format!("{}/_cluster/health?wait_for_status=yellow&timeout=60s", self.url());
        let resp = reqwest::Client::new().get(health).send().await.unwrap();
        assert!(resp.status().is_success(), "node health: {}", resp.text().await.unwrap_or_default());
    }

    /// Stops the node (SIGKILL: an outage, not a maintenance window) and waits until its port
    /// refuses connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(Instant::now() < deadline, "port {} still open after stopping the node", self.port);
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
            let _ = std::fs::remove_file(self.dir.with_extension("log"));
        }
    }
}
