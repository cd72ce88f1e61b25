//! Quota reservations shared by every replica. Each window is one Redis hash:
//! `used` (settled tokens, loaded once from the usage events in the database) and one field per
//! running turn's reservation (`r:<id>` = `amount:deadline_ms`). Reserving checks and writes
//! every window in one Lua script (all or nothing); settling removes the reservation and adds
//! the real usage. A reservation whose replica died lapses at its deadline instead of holding
//! budget until the window ends.

use super::Cluster;
use crate::error::{AppError, AppResult};
use crate::limits::quota::{Balance, InProcessLedger, QuotaLedger, Refusal, UsageSource, Window};
use async_trait::async_trait;
use redis::Script;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// How long a reservation may stay unsettled before it no longer counts.
const RESERVATION_LIFETIME_MS: i64 = 30 * 60 * 1000;

/// Sums live reservations of one window hash, dropping lapsed ones.
const RESERVED: &str = r"
local function reserved(key, now)
  local total = 0
  local fields = redis.call('HGETALL', key)
  for i = 1, #fields, 2 do
    local f = fields[i]
    if string.sub(f, 1, 2) == 'r:' then
      local v = fields[i + 1]
      local sep = string.find(v, ':', 1, true)
      local amount = tonumber(string.sub(v, 1, sep - 1))
      local deadline = tonumber(string.sub(v, sep + 1))
      if deadline < now then
        redis.call('HDEL', key, f)
      else
        total = total + amount
      end
    end
  end
  return total
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
";

/// KEYS: the windows. ARGV: the total amount, lifetime ms, then per window its limit and expiry
/// (unix ms), then one (reservation id, amount) pair per reservation — one for a turn, one per
/// answer of a send with choices, checked together. Returns {0} when reserved, {-i} when window
/// i has no `used` yet (load it and retry), or {i, committed} when window i refused.
const RESERVE: &str = r"
local total = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local used = redis.call('HGET', key, 'used')
  if not used then return {-i, 0} end
  local committed = tonumber(used) + reserved(key, now)
  local limit = tonumber(ARGV[1 + 2 * i])
  if committed + total > limit then return {i, committed} end
end
local deadline = now + tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  for j = 3 + 2 * #KEYS, #ARGV, 2 do
    redis.call('HSET', key, 'r:' .. ARGV[j], ARGV[j + 1] .. ':' .. deadline)
  end
  redis.call('PEXPIREAT', key, ARGV[2 + 2 * i])
end
return {0, 0}
";

/// KEYS: the windows. ARGV: reservation id, actual usage.
const SETTLE: &str = r"
for _, key in ipairs(KEYS) do
  redis.call('HDEL', key, 'r:' .. ARGV[1])
  if redis.call('HEXISTS', key, 'used') == 1 then
    redis.call('HINCRBY', key, 'used', ARGV[2])
  end
end
return 0
";

/// KEYS[1]: the window. Returns {used or -1, reserved}.
const BALANCE: &str = r"
local used = redis.call('HGET', KEYS[1], 'used')
if not used then return {-1, 0} end
return {tonumber(used), reserved(KEYS[1], now)}
";

pub struct RedisLedger {
    cluster: Arc<Cluster>,
    source: Arc<dyn UsageSource>,
    reserve: Script,
    settle: Script,
    balance: Script,
    /// While Redis is unreachable and the operator chose `on_outage = "local"`.
    local: InProcessLedger,
    /// Reservations made in the local ledger, so they are settled there.
    local_ids: Mutex<HashSet<Uuid>>,
}

impl RedisLedger {
    pub fn new(cluster: Arc<Cluster>, source: Arc<dyn UsageSource>) -> Self {
        Self {
            cluster,
            local: InProcessLedger::new(source.clone()),
            source,
            reserve: Script::new(&format!("{RESERVED}{RESERVE}")),
            settle: Script::new(SETTLE),
            balance: Script::new(&format!("{RESERVED}{BALANCE}")),
            local_ids: Mutex::new(HashSet::new()),
        }
    }

    fn key(&self, w: &Window) -> String {
        self.cluster.key(&w.key())
    }

    /// Starts a window's counter from the usage events, unless another replica just did.
    async fn load(&self, w: &Window) -> AppResult<()> {
        let used = self.source.used(w).await?;
        let mut conn = self.cluster.conn();
        let expire_at = (w.resets_at + chrono::Duration::days(1)).timestamp_millis();
        let result: redis::RedisResult<()> = redis::pipe()
            .atomic()
            .cmd("HSETNX")
            .arg(self.key(w))
            .arg("used")
            .arg(used)
            .ignore()
            .cmd("PEXPIREAT")
            .arg(self.key(w))
            .arg(expire_at)
            .ignore()
            .query_async(&mut conn)
            .await;
        self.cluster.observe(&result);
        result.map_err(unavailable)
    }

    fn falls_back(&self, e: &redis::RedisError) -> bool {
        self.cluster.outage_falls_back() && super::is_outage(e)
    }

    fn local_ids(&self) -> std::sync::MutexGuard<'_, HashSet<Uuid>> {
        self.local_ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn unavailable(e: redis::RedisError) -> AppError {
    AppError::Unavailable(format!("quotas cannot be checked right now (redis: {e})"))
}

#[async_trait]
impl QuotaLedger for RedisLedger {
    async fn reserve(&self, id: Uuid, windows: &[Window], amount: u64) -> AppResult<Result<(), Refusal>> {
        self.reserve_all(&[(id, amount)], windows).await
    }

    /// One script checks the total in every window and writes every reservation, atomically.
    async fn reserve_all(&self, parts: &[(Uuid, u64)], windows: &[Window]) -> AppResult<Result<(), Refusal>> {
        if windows.is_empty() {
            return Ok(Ok(()));
        }
        let amount: u64 = parts.iter().map(|(_, a)| a).sum();
        // At most one load per window, then the answer.
        for _ in 0..=windows.len() {
            let mut invocation = self.reserve.prepare_invoke();
            invocation.arg(amount).arg(RESERVATION_LIFETIME_MS);
            for w in windows {
                invocation.key(self.key(w));
                invocation.arg(w.limit).arg((w.resets_at + chrono::Duration::days(1)).timestamp_millis());
            }
            for (id, part) in parts {
                invocation.arg(id.to_string()).arg(*part);
            }
            let mut conn = self.cluster.conn();
            let result: redis::RedisResult<(i64, u64)> = invocation.invoke_async(&mut conn).await;
            self.cluster.observe(&result);
            match result {
                Ok((0, _)) => return Ok(Ok(())),
                Ok((i, _)) if i < 0 => {
                    let w = windows.get((-i - 1) as usize).ok_or_else(|| AppError::Internal("quota window".into()))?;
                    self.load(w).await?;
                }
                Ok((i, committed)) => {
                    let w = windows.get((i - 1) as usize).ok_or_else(|| AppError::Internal("quota window".into()))?;
                    return Ok(Err(Refusal { window: w.clone(), used: committed, requested: amount }));
                }
                Err(e) if self.falls_back(&e) => {
                    tracing::debug!(error = %e, "redis unreachable: reserving in this replica's own ledger");
                    let answer = self.local.reserve_all(parts, windows).await?;
                    if answer.is_ok() {
                        self.local_ids().extend(parts.iter().map(|(id, _)| *id));
                    }
                    return Ok(answer);
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(AppError::Internal("quota windows kept disappearing while loading".into()))
    }

    async fn settle(&self, id: Uuid, windows: &[Window], reserved: u64, actual: u64) {
        if windows.is_empty() {
            return;
        }
        if self.local_ids().remove(&id) {
            self.local.settle(id, windows, reserved, actual).await;
            return;
        }
        let mut invocation = self.settle.prepare_invoke();
        invocation.arg(id.to_string()).arg(actual);
        for w in windows {
            invocation.key(self.key(w));
        }
        // Settling matters (it counts real usage): retry briefly through a blip. If Redis stays
        // away, the reservation lapses at its deadline and the usage event in the database is
        // counted when the window is next loaded.
        let mut delay = std::time::Duration::from_millis(100);
        for attempt in 0..5 {
            let mut conn = self.cluster.conn();
            let result: redis::RedisResult<i64> = invocation.invoke_async(&mut conn).await;
            self.cluster.observe(&result);
            match result {
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "cannot settle a quota reservation in redis; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
    }

    async fn balance(&self, window: &Window) -> AppResult<Balance> {
        for _ in 0..2 {
            let mut conn = self.cluster.conn();
            let result: redis::RedisResult<(i64, u64)> =
                self.balance.key(self.key(window)).invoke_async(&mut conn).await;
            self.cluster.observe(&result);
            match result {
                Ok((used, reserved)) if used >= 0 => return Ok(Balance { used: used as u64, reserved }),
                Ok(_) => self.load(window).await?,
                // Reading a balance never needs Redis: the usage events have the settled part.
                Err(e) if super::is_outage(&e) => {
                    return Ok(Balance { used: self.source.used(window).await?, reserved: 0 });
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(AppError::Internal("quota window disappeared while loading".into()))
    }
}
