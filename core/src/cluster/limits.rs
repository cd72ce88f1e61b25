//! Rate limits shared by every replica: the generic cell rate algorithm (GCRA) in one Lua
//! script, so the check and the update are a single atomic step in Redis and the clock is
//! Redis's own (replicas' clocks may differ).
//!
//! A limit of `n` per `window` admits a burst of `n`, then one event every `window / n`: the
//! same budget as a fixed window, without the double burst at a window's edge.

use super::Cluster;
use crate::limits::{InProcessLimiter, Limited, RateLimiter};
use async_trait::async_trait;
use redis::Script;
use std::sync::Arc;
use std::time::Duration;

/// KEYS[1]: the limit's key. ARGV: limit, window (ms), 1 to count the event or 0 to only check.
/// Returns 0 when allowed, otherwise the milliseconds until the next event would be allowed.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local interval = math.max(1, math.floor(window / limit))
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local allowed_at = next_tat - window
if allowed_at > now then
  return math.max(1, allowed_at - now)
end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[1], next_tat, 'PX', math.max(1, next_tat - now))
end
return 0
";

/// KEYS[1]: the limit's key. ARGV: limit, window (ms). Gives back one event: the theoretical
/// arrival time moves back one interval (the key goes once it is in the past).
const GCRA_REFUND: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = math.max(1, math.floor(tonumber(ARGV[2]) / tonumber(ARGV[1])))
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat then return 0 end
local back = tat - interval
if back <= now then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], back, 'PX', back - now)
end
return 0
";

pub struct RedisLimiter {
    cluster: Arc<Cluster>,
    script: Script,
    refund: Script,
    /// Used only while Redis is unreachable and the operator chose `on_outage = "local"`.
    local: InProcessLimiter,
}

impl RedisLimiter {
    pub fn new(cluster: Arc<Cluster>, max_window: Duration) -> Self {
        Self {
            cluster,
            script: Script::new(GCRA),
            refund: Script::new(GCRA_REFUND),
            local: InProcessLimiter::new(max_window),
        }
    }

    async fn run(&self, key: &str, limit: u32, window: Duration, count: bool) -> Result<(), Limited> {
        if limit == 0 {
            return Err(Limited::Retry(window));
        }
        let mut conn = self.cluster.conn();
        let result: redis::RedisResult<u64> = self
            .script
            .key(self.cluster.key(&format!("rate:{key}")))
            .arg(limit)
            .arg(window.as_millis().max(1) as u64)
            .arg(if count { "1" } else { "0" })
            .invoke_async(&mut conn)
            .await;
        self.cluster.observe(&result);
        match result {
            Ok(0) => Ok(()),
            Ok(ms) => Err(Limited::Retry(Duration::from_millis(ms))),
            Err(e) => {
                if self.cluster.outage_falls_back() {
                    tracing::debug!(error = %e, "redis unreachable: using this replica's own rate limits");
                    if count {
                        self.local.hit(key, limit, window).await
                    } else {
                        self.local.check(key, limit, window).await
                    }
                } else {
                    tracing::warn!(error = %e, "cannot check a rate limit in redis");
                    Err(Limited::Unavailable)
                }
            }
        }
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<(), Limited> {
        self.run(key, limit, window, true).await
    }

    async fn check(&self, key: &str, limit: u32, window: Duration) -> Result<(), Limited> {
        self.run(key, limit, window, false).await
    }

    async fn refund(&self, key: &str, limit: u32, window: Duration) {
        if limit == 0 {
            return;
        }
        let mut conn = self.cluster.conn();
        let result: redis::RedisResult<u64> = self
            .refund
            .key(self.cluster.key(&format!("rate:{key}")))
            .arg(limit)
            .arg(window.as_millis().max(1) as u64)
            .invoke_async(&mut conn)
            .await;
        self.cluster.observe(&result);
        if let Err(e) = result {
            // Counted while Redis was away, the event is in this replica's own windows.
            tracing::debug!(error = %e, "cannot give a rate-limited event back in redis");
            self.local.refund(key, limit, window).await;
        }
    }

    async fn reset(&self, key: &str) {
        let mut conn = self.cluster.conn();
        let result: redis::RedisResult<()> =
            redis::cmd("DEL").arg(self.cluster.key(&format!("rate:{key}"))).query_async(&mut conn).await;
        self.cluster.observe(&result);
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot reset a rate limit in redis");
        }
        self.local.reset(key).await;
    }
}
