//! How much a plugin call may take, and the resource limiter that enforces the store limits.

use std::time::Duration;

use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// The limits every plugin call runs under. [`Limits::default`] is what Confab uses unless the
/// operator configures otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Wall-clock budget of one call, instantiation included. Enforced by epoch interruption:
    /// a call is stopped at most one [`epoch_tick`](Self::epoch_tick) after its budget.
    pub time_budget: Duration,
    /// How often the engine's epoch advances (a ticker thread), i.e. the granularity of
    /// `time_budget`.
    pub epoch_tick: Duration,
    /// Fuel (roughly, wasm instructions) per call, or `None` to not meter fuel. A backstop for
    /// when the ticker thread is starved on an overloaded machine; the time budget normally
    /// stops a runaway plugin long before.
    pub fuel: Option<u64>,
    /// Linear memory per instance, in bytes.
    pub memory_bytes: usize,
    /// Elements per table.
    pub table_elements: usize,
    /// Core instances per component (a component made by `wit-component` has a few).
    pub instances: usize,
    /// Tables per component.
    pub tables: usize,
    /// Linear memories per component.
    pub memories: usize,
    /// Native stack the plugin's wasm code may use, in bytes; deeper recursion traps.
    pub max_wasm_stack: usize,
    /// Text a call may return beyond what it was given, in bytes (all strings of the result
    /// counted; a request transform may return its input plus this much).
    pub max_output_bytes: usize,
    /// Size of an uploaded component, in bytes.
    pub max_component_bytes: usize,
    /// Calls running at once; also the size of the pooling allocator's instance pool.
    pub max_concurrent_calls: u32,
    /// Log lines a call may write; later ones are dropped.
    pub max_log_lines: usize,
    /// How long [`LoadedPlugin::call`](crate::LoadedPlugin::call) lets a call run on the
    /// caller's (async) thread before it stops it and runs it again, from the start, on the
    /// blocking pool with what is left of its budget. Zero sends every call to the pool.
    pub inline_budget: Duration,
    /// Bytes of one log line (message and fields); longer ones are cut.
    pub max_log_line_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            time_budget: Duration::from_millis(50),
            epoch_tick: Duration::from_millis(1),
            fuel: Some(1_000_000_000),
            memory_bytes: 64 << 20,
            table_elements: 10_000,
            instances: 16,
            tables: 8,
            memories: 1,
            max_wasm_stack: 512 << 10,
            max_output_bytes: 1 << 20,
            max_component_bytes: 16 << 20,
            max_concurrent_calls: 64,
            max_log_lines: 32,
            // A well-behaved call takes tens of microseconds: it is done long before this, and
            // a slow one holds an async worker for at most two epoch ticks.
            inline_budget: Duration::from_millis(1),
            max_log_line_bytes: 2048,
        }
    }
}

impl Limits {
    /// Epoch ticks for a call with this budget: the deadline trips `ticks` increments after the
    /// store is set up, so the call gets at least `budget` and at most `budget` plus one tick.
    pub(crate) fn deadline_ticks(&self, budget: Duration) -> u64 {
        let tick = self.epoch_tick.as_nanos().max(1);
        let ticks = budget.as_nanos().div_ceil(tick);
        u64::try_from(ticks).unwrap_or(u64::MAX).saturating_add(1)
    }

    pub(crate) fn store_limits(&self) -> StoreLimits {
        StoreLimitsBuilder::new()
            .memory_size(self.memory_bytes)
            .table_elements(self.table_elements)
            .instances(self.instances)
            .tables(self.tables)
            .memories(self.memories)
            // A refused memory.grow traps instead of returning -1: a plugin that hits its limit
            // stops at once with a clear error rather than limping on.
            .trap_on_grow_failure(true)
            .build()
    }
}

/// Wraps [`StoreLimits`] and remembers which limit a call ran into, so that the trap it causes
/// can be reported as [`PluginError::MemoryLimit`](crate::PluginError::MemoryLimit) or
/// [`PluginError::ResourceLimit`](crate::PluginError::ResourceLimit).
pub(crate) struct CallLimiter {
    inner: StoreLimits,
    memory_bytes: usize,
    table_elements: usize,
    pub(crate) breach: Option<Breach>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Breach {
    Memory,
    Table,
}

impl CallLimiter {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            inner: limits.store_limits(),
            memory_bytes: limits.memory_bytes,
            table_elements: limits.table_elements,
            breach: None,
        }
    }
}

impl ResourceLimiter for CallLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.breach = Some(Breach::Memory);
        }
        self.inner.memory_growing(current, desired, maximum)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.breach = Some(Breach::Memory);
        self.inner.memory_grow_failed(error)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.table_elements {
            self.breach = Some(Breach::Table);
        }
        self.inner.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.breach = Some(Breach::Table);
        self.inner.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_covers_the_budget_plus_at_most_one_tick() {
        let limits = Limits { epoch_tick: Duration::from_millis(1), ..Limits::default() };
        assert_eq!(limits.deadline_ticks(Duration::from_millis(50)), 51);
        assert_eq!(limits.deadline_ticks(Duration::from_micros(1500)), 3);
        assert_eq!(limits.deadline_ticks(Duration::ZERO), 1);
    }
}
