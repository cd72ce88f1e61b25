//! A private S3-compatible object store per test: `s3s-fs` (from crates.io; `scripts/test.sh`
//! installs it and sets `S3S_FS_BIN`), serving a temporary directory on its own port. Each bucket
//! is a directory under the root, so a test can see exactly which objects exist.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "confab-test";
pub const SECRET_KEY: &str = "confab-test-secret";

pub struct S3Server {
    pub port: u16,
    pub root: PathBuf,
    child: Child,
}

fn binary() -> String {
    std::env::var("S3S_FS_BIN").unwrap_or_else(|_| "s3s-fs".into())
}

impl S3Server {
    /// Starts a server with an empty bucket `bucket`.
    pub fn start(bucket: &str) -> S3Server {
        let root = std::env::temp_dir().join(format!("confab-s3-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(root.join(bucket)).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(binary())
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--access-key", ACCESS_KEY])
            .args(["--secret-key", SECRET_KEY])
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {} (set S3S_FS_BIN, or run the suite with scripts/test.sh): {e}", binary())
            });
        let server = S3Server { port, root, child };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "s3s-fs did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment that points Confab's file store at this server's `bucket`.
    pub fn env(&self, bucket: &str) -> Vec<(String, String)> {
        [
            ("CONFAB_FILES__STORAGE", "s3".to_string()),
            ("CONFAB_FILES__S3__ENDPOINT", self.endpoint()),
            ("CONFAB_FILES__S3__BUCKET", bucket.to_string()),
            ("CONFAB_FILES__S3__REGION", "us-east-1".to_string()),
            ("CONFAB_FILES__S3__PREFIX", "confab".to_string()),
            ("CONFAB_FILES__S3__PATH_STYLE", "true".to_string()),
            ("CONFAB_FILES__S3__ACCESS_KEY_ID", ACCESS_KEY.to_string()),
            ("CONFAB_FILES__S3__SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Every object file under the bucket (s3s-fs keeps metadata beside objects; those are left
    /// out).
    pub fn objects(&self, bucket: &str) -> Vec<PathBuf> {
        crate::files_under(&self.root.join(bucket))
    }

    /// Stops the server (an outage); the directory stays.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}
