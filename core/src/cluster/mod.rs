//! The scale-out tier's shared state in Redis: what lets several stateless replicas behave as
//! one. Configured with `redis.url`; without it every part below stays in-process.
//!
//! - [`limits::RedisLimiter`]: rate limits (GCRA in one Lua script, atomic across replicas);
//! - [`quota::RedisLedger`]: quota reservations and settlement (all-or-nothing Lua script);
//! - [`streams`]: live answer streams fanned out through one Redis stream per message, so a
//!   client can reattach on any replica with `Last-Event-ID`;
//! - [`bus::Bus`]: cache invalidation and cross-replica commands (stop a turn running elsewhere)
//!   over pub/sub, backed by a version counter every replica polls, so a missed message cannot
//!   leave a stale permission in place for more than a second.
//!
//! **Outage behaviour** (documented in the README): while Redis is unreachable, signed-in users
//! keep reading (sessions, conversations and messages come from the database); turns and
//! sign-ins, whose limits cannot be checked, get 503 — or, with `redis.on_outage = "local"`,
//! fall back to this replica's own limits; running turns go on and are stored (only their live
//! fan-out to other replicas pauses; readers there fall back to the database); cached principals
//! are kept for at most a second; `/readyz` reports `redis: unreachable`. Every part reconnects
//! by itself.

pub mod bus;
pub mod limits;
pub mod quota;
pub(crate) mod streams;
pub mod tenant_cache;

use crate::config::{ExposeSecret, RedisConfig, SecretString, SecretUrl};
use anyhow::Context as _;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A connection to the shared Redis, with what every part needs: key naming, timeouts, and
/// whether Redis answered last time.
pub struct Cluster {
    client: redis::Client,
    conn: ConnectionManager,
    prefix: String,
    pub(crate) config: RedisConfig,
    /// Whether the last command reached Redis (to log each change of state once).
    up: AtomicBool,
    /// Names this process in pub/sub messages, so it can ignore its own.
    replica: uuid::Uuid,
}

impl Cluster {
    /// Prepares the connection without waiting for Redis: a replica starts (and serves reads)
    /// while Redis is down, and connects as soon as it is back.
    pub fn connect(config: &RedisConfig) -> anyhow::Result<Arc<Self>> {
        let url = config.url.as_ref().context("redis.url is not set")?;
        let url = with_credentials(url, config.username.as_deref(), config.password.as_ref())?;
        let client = match &config.ca_cert {
            None => redis::Client::open(url.expose_secret()),
            Some(pem) => redis::Client::build_with_tls(
                url.expose_secret(),
                redis::TlsCertificates { client_tls: None, root_cert: Some(pem.clone().into_bytes()) },
            ),
        }
        .map_err(|e| anyhow::anyhow!("redis.url {url}: {e}"))?;
        let timeout = Duration::from_millis(config.timeout_ms);
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), manager)
            .map_err(|e| anyhow::anyhow!("redis: {e}"))?;
        Ok(Arc::new(Self {
            client,
            conn,
            prefix: config.key_prefix.clone(),
            config: config.clone(),
            up: AtomicBool::new(true),
            replica: uuid::Uuid::new_v4(),
        }))
    }

    /// A key (or channel) in this installation's namespace.
    pub fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    /// The shared, multiplexed connection (reconnects by itself). Never block on it.
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// A connection of its own, for blocking reads.
    pub async fn dedicated(&self, response_timeout: Duration) -> redis::RedisResult<MultiplexedConnection> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(self.config.timeout_ms)))
            .set_response_timeout(Some(response_timeout));
        self.client.get_multiplexed_async_connection_with_config(&config).await
    }

    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    pub fn replica(&self) -> uuid::Uuid {
        self.replica
    }

    pub fn outage_falls_back(&self) -> bool {
        self.config.on_outage == crate::config::RedisOutage::Local
    }

    /// Records whether Redis answered, logging each change once.
    pub fn observe<T>(&self, result: &redis::RedisResult<T>) {
        match result {
            Ok(_) => {
                if !self.up.swap(true, Ordering::Relaxed) {
                    tracing::info!("redis is reachable again");
                }
            }
            Err(e) if is_outage(e) => {
                if self.up.swap(false, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "redis is unreachable");
                }
            }
            Err(_) => {}
        }
    }

    /// Asks Redis for a PONG (for `/readyz` and `config check`).
    pub async fn ping(&self) -> Result<(), String> {
        let mut conn = self.conn();
        let result: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut conn).await;
        self.observe(&result);
        result.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// Errors that mean "Redis is not there" rather than "this command was wrong".
pub fn is_outage(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal()
}

/// Puts `redis.username` / `redis.password` into the URL when they are configured separately.
fn with_credentials(
    url: &SecretUrl,
    username: Option<&str>,
    password: Option<&SecretString>,
) -> anyhow::Result<SecretUrl> {
    if username.is_none() && password.is_none() {
        return Ok(url.clone());
    }
    let mut parsed = url::Url::parse(url.expose_secret()).context("redis.url")?;
    if let Some(user) = username {
        parsed.set_username(user).map_err(|()| anyhow::anyhow!("redis.username cannot be used in this URL"))?;
    }
    if let Some(password) = password {
        parsed
            .set_password(Some(password.expose_secret()))
            .map_err(|()| anyhow::anyhow!("redis.password cannot be used in this URL"))?;
    }
    Ok(String::from(parsed).into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn credentials_go_into_the_url_percent_encoded() {
        let password = SecretString::from("p@ss:word");
        let url = with_credentials(&"redis://cache:6379/2".into(), Some("confab"), Some(&password)).unwrap();
        assert_eq!(url.expose_secret(), "redis://confab:p%40ss%3Aword@cache:6379/2");
        assert_eq!(url.to_string(), "redis://confab:***@cache:6379/2");
        assert_eq!(with_credentials(&"rediss://cache".into(), None, None).unwrap().expose_secret(), "rediss://cache");
    }
}
