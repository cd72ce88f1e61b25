//! A private Redis server per test (the `redis-server` binary; `scripts/test.sh` installs it),
//! on its own port with persistence off, that a test can stop and start again to play an outage.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct RedisServer {
    pub port: u16,
    child: Option<Child>,
    extra: Vec<String>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl RedisServer {
    pub fn start() -> RedisServer {
        Self::start_with(&[])
    }

    /// With extra `redis-server` arguments (e.g. ACL users).
    pub fn start_with(extra: &[&str]) -> RedisServer {
        let mut server =
            RedisServer { port: free_port(), child: None, extra: extra.iter().map(|s| s.to_string()).collect() };
        server.resume();
        server
    }

    /// Redis speaking TLS only, with a certificate for 127.0.0.1 signed by a throw-away CA made
    /// in `dir` (`crate::tls`). Returns the server and the CA's PEM file.
    pub fn start_tls(dir: &std::path::Path) -> (RedisServer, std::path::PathBuf) {
        let certs = crate::tls::ca_and_server(dir);
        let path = |f: &std::path::Path| f.display().to_string();
        let port = free_port();
        let mut server = RedisServer {
            port,
            child: None,
            extra: vec![
                "--port".into(),
                "0".into(),
                "--tls-port".into(),
                port.to_string(),
                "--tls-cert-file".into(),
                path(&certs.server_cert),
                "--tls-key-file".into(),
                path(&certs.server_key),
                "--tls-ca-cert-file".into(),
                path(&certs.ca_cert),
                "--tls-auth-clients".into(),
                "no".into(),
            ],
        };
        server.resume();
        (server, certs.ca_cert)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port; waits until it answers.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "redis is already running");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is missing: run the suite with scripts/test.sh, which installs it");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    /// Kills it (an outage: connections drop, data is gone since persistence is off).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
