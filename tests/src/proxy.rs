//! A load balancer for rolling-upgrade tests, shaped like a Kubernetes Service in front of a
//! Deployment: plain TCP (layer 4, like kube-proxy), each new connection sent to the next ready
//! backend in turn, readiness probed on `/readyz` every 100 ms (a backend answering anything but
//! 200 gets no new connections; its open ones carry on). It never retries a request or reads
//! HTTP: what clients see is what the replicas answered.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

struct Backend {
    /// `127.0.0.1:port`.
    addr: String,
    ready: bool,
}

#[derive(Default)]
struct Pool {
    backends: Vec<Backend>,
    next: usize,
}

impl Pool {
    fn pick(&mut self) -> Option<String> {
        let ready: Vec<&Backend> = self.backends.iter().filter(|b| b.ready).collect();
        if ready.is_empty() {
            return None;
        }
        self.next = self.next.wrapping_add(1);
        Some(ready[self.next % ready.len()].addr.clone())
    }
}

pub struct Proxy {
    pub port: u16,
    pool: Arc<Mutex<Pool>>,
    /// Connections that found no ready backend within two seconds (closed unanswered).
    pub unrouted: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    pub async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let pool = Arc::new(Mutex::new(Pool::default()));
        let unrouted = Arc::new(AtomicUsize::new(0));
        let accept = tokio::spawn({
            let (pool, unrouted) = (pool.clone(), unrouted.clone());
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let (pool, unrouted) = (pool.clone(), unrouted.clone());
                    tokio::spawn(async move { forward(client, pool, unrouted).await });
                }
            }
        });
        let probe = tokio::spawn(probe(pool.clone()));
        Proxy { port, pool, unrouted, tasks: vec![accept, probe] }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Adds a replica (by its base URL); it gets connections once its readiness probe passes.
    pub fn add(&self, base: &str) {
        let addr = base.trim_start_matches("http://").trim_end_matches('/').to_string();
        self.pool.lock().unwrap().backends.push(Backend { addr, ready: false });
    }

    /// Removes a replica that is gone.
    pub fn remove(&self, base: &str) {
        let addr = base.trim_start_matches("http://").trim_end_matches('/');
        self.pool.lock().unwrap().backends.retain(|b| b.addr != addr);
    }

    pub fn is_ready(&self, base: &str) -> bool {
        let addr = base.trim_start_matches("http://").trim_end_matches('/');
        self.pool.lock().unwrap().backends.iter().any(|b| b.addr == addr && b.ready)
    }

    /// Waits until the replica passes its readiness probe here.
    pub async fn wait_ready(&self, base: &str, limit: Duration) {
        let started = std::time::Instant::now();
        while !self.is_ready(base) {
            assert!(started.elapsed() < limit, "{base} not ready within {limit:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn probe(pool: Arc<Mutex<Pool>>) {
    let client = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().unwrap();
    loop {
        let addrs: Vec<String> = pool.lock().unwrap().backends.iter().map(|b| b.addr.clone()).collect();
        for addr in addrs {
            let ready = match client.get(format!("http://{addr}/readyz")).send().await {
                Ok(resp) => resp.status() == reqwest::StatusCode::OK,
                Err(_) => false,
            };
            if let Some(b) = pool.lock().unwrap().backends.iter_mut().find(|b| b.addr == addr) {
                b.ready = ready;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn forward(mut client: TcpStream, pool: Arc<Mutex<Pool>>, unrouted: Arc<AtomicUsize>) {
    let _ = client.set_nodelay(true);
    let started = std::time::Instant::now();
    let mut backend = loop {
        let picked = pool.lock().unwrap().pick();
        if let Some(addr) = picked
            && let Ok(stream) = TcpStream::connect(&addr).await
        {
            break stream;
        }
        if started.elapsed() > Duration::from_secs(2) {
            unrouted.fetch_add(1, Ordering::SeqCst);
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let _ = backend.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
}
