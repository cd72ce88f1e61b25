//! A fault-injecting TCP proxy for the chaos suite (`tests/chaos`), put between Confab and one of
//! its dependencies (the model provider, PostgreSQL, Redis): Confab is configured with the
//! proxy's address, and the test switches faults on and off while traffic flows. It never reads
//! the protocol; the faults are those of a network:
//!
//! | fault | what the proxy does |
//! |---|---|
//! | `Latency(d)` | holds every chunk, both ways, for `d` |
//! | `Bandwidth(n)` | lets at most `n` bytes a second through towards the client |
//! | `ResetAfter(n)` | resets the connection (RST, both sides) once `n` bytes went towards the client |
//! | `Blackhole` | nothing moves either way on new or open connections (held, as TCP holds bytes it cannot deliver); sockets stay open |
//! | `HalfOpen` | requests reach the target, its answers are held; sockets stay open |
//! | `SlowClose(d)` | when the target closes, the client's side is closed `d` later |
//! | `Refuse` | new connections are reset as soon as they arrive |
//!
//! Held bytes flow again when the fault clears, in order, unless [`FaultProxy::cut`] resets every
//! open connection first (a peer that vanished).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Latency(Duration),
    Bandwidth(u64),
    ResetAfter(u64),
    Blackhole,
    HalfOpen,
    SlowClose(Duration),
    Refuse,
}

pub struct FaultProxy {
    pub port: u16,
    fault: Arc<Mutex<Fault>>,
    /// Bumped by `cut`: every connection opened before resets.
    generation: watch::Sender<u64>,
    /// Connections accepted so far.
    accepted: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on 127.0.0.1 (a random port) and forwards to `target` (`host:port`).
    pub async fn start(target: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let fault = Arc::new(Mutex::new(Fault::None));
        let (generation, _) = watch::channel(0u64);
        let accepted = Arc::new(AtomicU64::new(0));
        let target = target.to_string();
        let task = tokio::spawn({
            let (fault, generation, accepted) = (fault.clone(), generation.clone(), accepted.clone());
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    accepted.fetch_add(1, Ordering::SeqCst);
                    let now = *fault.lock().unwrap();
                    if now == Fault::Refuse {
                        reset(client);
                        continue;
                    }
                    let (fault, target, cut) = (fault.clone(), target.clone(), generation.subscribe());
                    tokio::spawn(async move { connection(client, &target, fault, cut).await });
                }
            }
        });
        FaultProxy { port, fault, generation, accepted, task }
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    pub fn clear(&self) {
        self.set(Fault::None);
    }

    /// Resets every open connection.
    pub fn cut(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

/// Closes with RST instead of FIN. (A zero linger never blocks on drop, which is what the
/// deprecation warns about.)
#[allow(deprecated)]
fn reset(stream: TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

async fn connection(mut client: TcpStream, target: &str, fault: Arc<Mutex<Fault>>, mut cut: watch::Receiver<u64>) {
    let Ok(mut server) = TcpStream::connect(target).await else {
        reset(client);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    cut.borrow_and_update();
    let (mut up_buf, mut down_buf) = (vec![0u8; 16 * 1024], vec![0u8; 16 * 1024]);
    let (mut up_open, mut down_open) = (true, true);
    let mut sent_down = 0u64;
    let reset_both = loop {
        let now = *fault.lock().unwrap();
        let up_held = now == Fault::Blackhole;
        let down_held = matches!(now, Fault::Blackhole | Fault::HalfOpen);
        tokio::select! {
            _ = cut.changed() => break true,
            // A held direction is not read: its bytes wait in the kernel's buffers, then the
            // sender's, as on a network that stopped delivering. Looked at again every 50 ms.
            _ = tokio::time::sleep(Duration::from_millis(50)), if up_held || down_held => {}
            read = client.read(&mut up_buf), if up_open && !up_held => match read {
                Ok(0) | Err(_) => {
                    up_open = false;
                    let _ = server.shutdown().await;
                    if !down_open { break false; }
                }
                Ok(n) => {
                    let now = *fault.lock().unwrap();
                    if !forward(&mut server, &up_buf[..n], now, Direction::Up, &mut sent_down).await { break true; }
                }
            },
            read = server.read(&mut down_buf), if down_open && !down_held => match read {
                Ok(0) | Err(_) => {
                    down_open = false;
                    let now = *fault.lock().unwrap();
                    if let Fault::SlowClose(d) = now {
                        tokio::time::sleep(d).await;
                    }
                    let _ = client.shutdown().await;
                    if !up_open { break false; }
                }
                Ok(n) => {
                    let now = *fault.lock().unwrap();
                    if !forward(&mut client, &down_buf[..n], now, Direction::Down, &mut sent_down).await { break true; }
                }
            },
        }
    };
    if reset_both {
        reset(client);
        reset(server);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Client → target.
    Up,
    /// Target → client.
    Down,
}

/// Passes one chunk on under the fault; false when the connection is to be reset.
async fn forward(
    to: &mut TcpStream,
    mut chunk: &[u8],
    fault: Fault,
    direction: Direction,
    sent_down: &mut u64,
) -> bool {
    let down = direction == Direction::Down;
    match fault {
        // Held faults are applied by not reading (see `connection`).
        Fault::None | Fault::SlowClose(_) | Fault::Refuse | Fault::Blackhole | Fault::HalfOpen => {}
        Fault::Latency(d) => tokio::time::sleep(d).await,
        Fault::ResetAfter(limit) if down && *sent_down + chunk.len() as u64 > limit => {
            let allowed = limit.saturating_sub(*sent_down) as usize;
            let _ = to.write_all(&chunk[..allowed]).await;
            let _ = to.flush().await;
            return false;
        }
        Fault::ResetAfter(_) => {}
        Fault::Bandwidth(rate) if down => {
            // In slices of a tenth of a second's worth.
            let slice = (rate / 10).max(1) as usize;
            while chunk.len() > slice {
                if to.write_all(&chunk[..slice]).await.is_err() {
                    return false;
                }
                *sent_down += slice as u64;
                chunk = &chunk[slice..];
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            tokio::time::sleep(Duration::from_secs_f64(chunk.len() as f64 / rate.max(1) as f64)).await;
        }
        Fault::Bandwidth(_) => {}
    }
    if to.write_all(chunk).await.is_err() {
        return false;
    }
    if down {
        *sent_down += chunk.len() as u64;
    }
    true
}
