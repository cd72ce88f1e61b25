//! Messages between replicas over Redis pub/sub: "cached principals and policies are stale"
//! and "stop this turn if you are running it".
//!
//! Pub/sub delivers at most once, so invalidations also bump a version counter that every
//! replica reads twice a second: a replica that missed a message (reconnecting, Redis restarted)
//! notices the new version and drops its caches anyway. While Redis is unreachable, a replica
//! cannot know what changed elsewhere, so it drops cached principals on every tick (they are
//! then read from the database; sessions and roles live there).

use super::Cluster;
use crate::domain::MessageId;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// How often the version counter is read.
pub const POLL: Duration = Duration::from_millis(500);

/// What a replica is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// Drop cached principals and reload the authorization policy.
    Invalidate,
    /// Stop the turn writing this message, if it runs here.
    Cancel(MessageId),
}

#[derive(Serialize, Deserialize)]
struct Wire {
    from: uuid::Uuid,
    kind: String,
    id: Option<MessageId>,
}

pub struct Bus {
    cluster: Arc<Cluster>,
    local: broadcast::Sender<Signal>,
}

impl Bus {
    pub fn new(cluster: Arc<Cluster>) -> Arc<Self> {
        let (local, _) = broadcast::channel(1024);
        Arc::new(Self { cluster, local })
    }

    /// Signals for this replica (from other replicas, or from noticing a missed message).
    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.local.subscribe()
    }

    fn channel(&self) -> String {
        self.cluster.key("bus")
    }

    fn version_key(&self) -> String {
        self.cluster.key("cache-version")
    }

    /// Tells the other replicas. Never waits for Redis: the caller has already applied the
    /// change here, and the version counter covers a message that cannot be sent now.
    pub fn publish(self: &Arc<Self>, signal: Signal) {
        let bus = self.clone();
        tokio::spawn(async move {
            let (kind, id) = match &signal {
                Signal::Invalidate => ("invalidate", None),
                Signal::Cancel(id) => ("cancel", Some(*id)),
            };
            let wire = Wire { from: bus.cluster.replica(), kind: kind.into(), id };
            let Ok(payload) = serde_json::to_string(&wire) else { return };
            let mut conn = bus.cluster.conn();
            let mut pipe = redis::pipe();
            if signal == Signal::Invalidate {
                pipe.cmd("INCR").arg(bus.version_key()).ignore();
            }
            pipe.cmd("PUBLISH").arg(bus.channel()).arg(payload).ignore();
            let result: redis::RedisResult<()> = pipe.query_async(&mut conn).await;
            bus.cluster.observe(&result);
            if let Err(e) = result {
                tracing::warn!(error = %e, kind, "cannot tell the other replicas (they catch up when redis is back)");
            }
        });
    }

    /// Runs the subscriber and the version watcher until the process ends.
    pub fn run(self: &Arc<Self>) {
        let bus = self.clone();
        tokio::spawn(async move { bus.subscriber().await });
        let bus = self.clone();
        tokio::spawn(async move { bus.watcher().await });
    }

    async fn subscriber(&self) {
        loop {
            match self.cluster.client().get_async_pubsub().await {
                Ok(mut pubsub) => match pubsub.subscribe(self.channel()).await {
                    Ok(()) => {
                        tracing::debug!("subscribed to the replica bus");
                        let mut messages = pubsub.on_message();
                        while let Some(msg) = messages.next().await {
                            let Ok(payload) = msg.get_payload::<String>() else { continue };
                            let Ok(wire) = serde_json::from_str::<Wire>(&payload) else { continue };
                            if wire.from == self.cluster.replica() {
                                continue;
                            }
                            let signal = match (wire.kind.as_str(), wire.id) {
                                ("invalidate", _) => Signal::Invalidate,
                                ("cancel", Some(id)) => Signal::Cancel(id),
                                _ => continue,
                            };
                            let _ = self.local.send(signal);
                        }
                        tracing::debug!("replica bus connection ended; reconnecting");
                    }
                    Err(e) => tracing::debug!(error = %e, "cannot subscribe to the replica bus"),
                },
                Err(e) => tracing::debug!(error = %e, "cannot connect to the replica bus"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn watcher(&self) {
        let mut seen: Option<i64> = None;
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let mut conn = self.cluster.conn();
            let result: redis::RedisResult<Option<i64>> =
                redis::cmd("GET").arg(self.version_key()).query_async(&mut conn).await;
            self.cluster.observe(&result);
            match result {
                Ok(version) => {
                    let version = version.unwrap_or(0);
                    if seen.is_some_and(|s| s != version) {
                        let _ = self.local.send(Signal::Invalidate);
                    }
                    seen = Some(version);
                }
                Err(_) => {
                    // Blind: whatever changed elsewhere must not stay cached here.
                    seen = None;
                    let _ = self.local.send(Signal::Invalidate);
                }
            }
        }
    }
}
