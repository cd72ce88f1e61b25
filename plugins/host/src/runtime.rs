//! The engine, the upload checks and the calls.

use std::collections::HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Instance, InstancePre, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

use crate::bindings::{Exports, InterfaceVersion};
use crate::limits::{Breach, CallLimiter, Limits};
use crate::output;
use crate::{ChatRequest, Context, Hook, Manifest, Outcome, PluginConfig, PluginError, Preset};

/// The plugin engine: one per process. Cheap to clone.
///
/// It owns a wasmtime [`Engine`] with epoch interruption (advanced by a ticker thread every
/// [`Limits::epoch_tick`]), optional fuel metering, an explicit `max_wasm_stack` and a pooling
/// instance allocator sized by [`Limits::max_concurrent_calls`]; and per interface version a
/// [`Linker`] that offers nothing but that version's `confab:plugin/host`. Plugins are compiled
/// once by [`PluginRuntime::load`] and called through the returned [`LoadedPlugin`].
#[derive(Clone)]
pub struct PluginRuntime {
    shared: Arc<Shared>,
}

struct Shared {
    engine: Engine,
    /// One linker per interface version: a plugin links against the version its manifest names.
    linkers: BTreeMap<InterfaceVersion, Linker<CallState>>,
    limits: Limits,
    permits: Arc<tokio::sync::Semaphore>,
}

/// What validation found out about a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentInfo {
    /// The hooks the component exports (equal to the manifest's).
    pub hooks: BTreeSet<Hook>,
    /// The component's imports (a subset of [`InterfaceVersion::allowed_imports`]).
    pub imports: Vec<String>,
    /// The component's exports.
    pub exports: Vec<String>,
    /// Size of the component in bytes.
    pub size_bytes: usize,
    /// SHA-256 of the component, hex: identifies a plugin version's code.
    pub sha256: String,
}

impl PluginRuntime {
    /// Sets up the engine and starts its epoch ticker thread (which ends by itself once the
    /// last clone of the runtime and every [`LoadedPlugin`] are dropped).
    pub fn new(limits: Limits) -> Result<Self, PluginError> {
        if limits.epoch_tick.is_zero() || limits.max_concurrent_calls == 0 {
            return Err(PluginError::Internal("epoch_tick and max_concurrent_calls must not be zero".into()));
        }
        let internal = |e: wasmtime::Error| PluginError::Internal(format!("{e:#}"));
        let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let slots = limits.max_concurrent_calls;

        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(slots)
            .total_core_instances(slots.saturating_mul(to_u32(limits.instances)))
            .total_memories(slots.saturating_mul(to_u32(limits.memories)))
            .total_tables(slots.saturating_mul(to_u32(limits.tables)))
            .max_core_instances_per_component(to_u32(limits.instances))
            .max_memories_per_component(to_u32(limits.memories))
            .max_tables_per_component(to_u32(limits.tables))
            .max_memory_size(limits.memory_bytes)
            .table_elements(limits.table_elements)
            // Reset the first 512 KiB of a slot with memset instead of returning the pages to the
            // kernel: madvise plus the page faults of the next call (and the TLB shootdowns)
            // cost more than the memset for the small heaps plugins use. Guests should link with
            // a small stack (build.sh: 64 KiB) so their data and heap sit in this window.
            .linear_memory_keep_resident(512 << 10)
            .table_keep_resident(64 << 10);

        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .consume_fuel(limits.fuel.is_some())
            .max_wasm_stack(limits.max_wasm_stack)
            // Explicit bounds checks instead of guard pages and signal handlers: with guard
            // pages, every instantiation re-protects the pages the last call grew into and every
            // growth unprotects them again (two `mprotect`s and their TLB shootdowns per call),
            // which cost more than the checks in code that runs for microseconds. Measured
            // (plugin-bench): policy-preamble 17 → 9 µs per call, p99 42 → 11 µs.
            .signals_based_traps(false)
            .memory_guard_size(0)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(internal)?;

        let mut linkers = BTreeMap::new();
        for version in InterfaceVersion::ALL {
            let mut linker = Linker::new(&engine);
            version.add_to_linker(&mut linker).map_err(internal)?;
            linkers.insert(version, linker);
        }

        spawn_epoch_ticker(&engine, limits.epoch_tick)?;
        let permits = Arc::new(tokio::sync::Semaphore::new(slots as usize));
        Ok(Self { shared: Arc::new(Shared { engine, linkers, limits, permits }) })
    }

    /// The limits calls run under.
    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    /// Checks an upload without keeping it: see [`PluginRuntime::load`].
    pub fn validate(&self, manifest: &Manifest, bytes: &[u8]) -> Result<ComponentInfo, PluginError> {
        self.load(manifest.clone(), bytes).map(|plugin| plugin.info.clone())
    }

    /// Compiles and checks a plugin: the bytes must be a component (not a core module), import
    /// nothing but the [`InterfaceVersion::allowed_imports`] of the manifest's interface version,
    /// export exactly the hooks the manifest declares with that version's types, and
    /// instantiate within the limits. Compile once per plugin version and keep the result:
    /// calls then only instantiate.
    pub fn load(&self, manifest: Manifest, bytes: &[u8]) -> Result<Arc<LoadedPlugin>, PluginError> {
        let limits = &self.shared.limits;
        let engine = &self.shared.engine;
        if bytes.len() > limits.max_component_bytes {
            return Err(invalid(format!(
                "component is {} bytes, more than the {} allowed",
                bytes.len(),
                limits.max_component_bytes
            )));
        }
        check_header(bytes)?;
        let component = Component::new(engine, bytes).map_err(|e| invalid(format!("not a valid component: {e:#}")))?;

        let version = manifest.interface();
        let allowed = version.allowed_imports();
        let ty = component.component_type();
        let imports: Vec<String> = ty.imports(engine).map(|(name, _)| name.to_string()).collect();
        if let Some(bad) = imports.iter().find(|name| !allowed.contains(&name.as_str())) {
            return Err(invalid(format!(
                "the component imports `{bad}`; plugins of {version} may import only {}",
                allowed.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(" and ")
            )));
        }
        let exports: Vec<String> = ty.exports(engine).map(|(name, _)| name.to_string()).collect();
        let mut hooks = BTreeSet::new();
        for name in &exports {
            let hook = version
                .hook_of_export(name)
                .ok_or_else(|| invalid(format!("the component exports `{name}`, which is not a hook of {version}")))?;
            hooks.insert(hook);
        }
        if &hooks != manifest.hooks() {
            let missing: Vec<&str> = manifest.hooks().difference(&hooks).map(|h| h.name()).collect();
            let extra: Vec<&str> = hooks.difference(manifest.hooks()).map(|h| h.name()).collect();
            return Err(invalid(format!(
                "the component's exports do not match the manifest's hooks (declared but not exported: [{}]; exported but not declared: [{}])",
                missing.join(", "),
                extra.join(", ")
            )));
        }

        let linker = self
            .shared
            .linkers
            .get(&version)
            .ok_or_else(|| PluginError::Internal(format!("no linker for {version}")))?;
        let pre = linker.instantiate_pre(&component).map_err(|e| invalid(format!("imports do not match: {e:#}")))?;
        let plugin = LoadedPlugin {
            exports: Exports::new(version, &pre, manifest.hooks()).map_err(|e| invalid(format!("{e:#}")))?,
            pre,
            label: format!("{}@{}", manifest.name(), manifest.version()).into(),
            info: ComponentInfo {
                hooks,
                imports,
                exports,
                size_bytes: bytes.len(),
                sha256: hex::encode(Sha256::digest(bytes)),
            },
            manifest,
            shared: Arc::clone(&self.shared),
        };
        plugin.trial_instantiation()?;
        Ok(Arc::new(plugin))
    }
}

fn invalid(message: String) -> PluginError {
    PluginError::Invalid(message)
}

/// Tells the three kinds of uploads apart before handing them to the compiler, so that a core
/// module gets a helpful message instead of a parse error.
fn check_header(bytes: &[u8]) -> Result<(), PluginError> {
    const MAGIC: &[u8] = b"\0asm";
    match (bytes.get(..4), bytes.get(4..8)) {
        (Some(MAGIC), Some([0x0d, 0x00, 0x01, 0x00])) => Ok(()),
        (Some(MAGIC), Some([0x01, 0x00, 0x00, 0x00])) => Err(invalid(
            "this is a core WebAssembly module, not a component: turn it into one with \
             `wasm-tools component new` (see the plugin SDK's build instructions)"
                .into(),
        )),
        (Some(MAGIC), _) => Err(invalid("unsupported WebAssembly binary version".into())),
        _ => Err(invalid("not a WebAssembly binary".into())),
    }
}

/// Advances the engine's epoch every `tick` until the engine is gone. A plain thread: it must
/// keep ticking while every async worker is busy, and it costs one wake-up per tick.
fn spawn_epoch_ticker(engine: &Engine, tick: Duration) -> Result<(), PluginError> {
    let weak = engine.weak();
    thread::Builder::new()
        .name("confab-plugin-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                thread::sleep(tick);
            }
        })
        .map(|_| ())
        .map_err(|e| PluginError::Internal(format!("cannot start the epoch ticker: {e}")))
}

/// A compiled, checked plugin version, ready to be called. Every call instantiates it afresh
/// in its own [`Store`] (pre-instantiated, from the instance pool), so calls share nothing and
/// a plugin keeps no state between them.
pub struct LoadedPlugin {
    shared: Arc<Shared>,
    manifest: Manifest,
    info: ComponentInfo,
    label: Arc<str>,
    pre: InstancePre<CallState>,
    exports: Exports,
}

/// The per-call part of a plugin call: for whom, with which configuration, within what time.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// Who the call is for.
    pub ctx: &'a Context,
    /// The tenant's configuration of the plugin.
    pub config: &'a PluginConfig,
    /// Overrides [`Limits::time_budget`] for this call.
    pub time_budget: Option<Duration>,
    /// A first, inline attempt of [`LoadedPlugin::call`]: a timeout is not the end of the call
    /// (it runs again), so its log lines are not written.
    trial: bool,
}

impl<'a> Call<'a> {
    /// A call with the runtime's default time budget.
    pub fn new(ctx: &'a Context, config: &'a PluginConfig) -> Self {
        Self { ctx, config, time_budget: None, trial: false }
    }

    /// The same call with its own time budget.
    pub fn with_time_budget(self, budget: Duration) -> Self {
        Self { time_budget: Some(budget), ..self }
    }

    /// The same call within the [`Attempt`] that [`LoadedPlugin::call`] hands out.
    pub fn within(self, attempt: Attempt) -> Self {
        Self { time_budget: Some(attempt.budget), trial: attempt.trial, ..self }
    }
}

/// One attempt of a [`LoadedPlugin::call`]: its time budget, and whether it is the inline
/// trial. Pass it to [`Call::within`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    budget: Duration,
    trial: bool,
}

impl Attempt {
    /// This attempt's time budget.
    pub fn budget(&self) -> Duration {
        self.budget
    }
}

impl LoadedPlugin {
    /// The plugin's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// What validation found.
    pub fn info(&self) -> &ComponentInfo {
        &self.info
    }

    /// Hook `presets`: the presets this plugin offers the user.
    pub fn list_presets(&self, call: Call<'_>) -> Result<Vec<Preset>, PluginError> {
        self.require(Hook::Presets)?;
        let presets = self.run(call, &[], |store, instance| self.exports.list_presets(store, instance, call.ctx))?;
        output::check_presets(&presets, self.shared.limits.max_output_bytes)?;
        Ok(presets)
    }

    /// Hook `presets`: the system prompt of one of this plugin's presets, rendered for the user.
    /// The plugin's own error (an unknown id) is [`PluginError::Rejected`].
    pub fn render_system_prompt(&self, call: Call<'_>, preset_id: &str) -> Result<String, PluginError> {
        self.require(Hook::Presets)?;
        let rendered = self.run(call, &[], |store, instance| {
            self.exports.render_system_prompt(store, instance, call.ctx, preset_id)
        })?;
        output::check_rendered(rendered, self.shared.limits.max_output_bytes)
    }

    /// Hook `transform_request`: what to do with the outgoing request. A rejection is
    /// [`Outcome::Reject`], not an error. A replaced request may name another model or change
    /// parameters: the caller must apply its own policy to it as to any request.
    pub fn transform_request(&self, call: Call<'_>, request: &ChatRequest) -> Result<Outcome, PluginError> {
        self.require(Hook::TransformRequest)?;
        let content: Vec<&str> = request.messages.iter().map(|m| m.content.as_str()).collect();
        let outcome = self.run(call, &content, |store, instance| {
            self.exports.transform_request(store, instance, call.ctx, request)
        })?;
        output::check_outcome(&outcome, output::request_bytes(request), self.shared.limits.max_output_bytes)?;
        Ok(outcome)
    }

    /// Hook `transform_response`: the text to keep instead of the model's answer, if any.
    pub fn transform_response(&self, call: Call<'_>, text: &str) -> Result<Option<String>, PluginError> {
        self.require(Hook::TransformResponse)?;
        let replaced = self
            .run(call, &[text], |store, instance| self.exports.transform_response(store, instance, call.ctx, text))?;
        if let Some(new) = &replaced {
            output::check_size(new.len(), text.len().saturating_add(self.shared.limits.max_output_bytes))?;
        }
        Ok(replaced)
    }

    /// Runs a call (one of the methods above, given a [`Call`] made [`within`](Call::within) the
    /// [`Attempt`] passed to `f`) from async code, with `budget` in all, at most
    /// [`Limits::max_concurrent_calls`] at once (later calls wait their turn).
    ///
    /// The call first runs right here, on the caller's thread, within
    /// [`Limits::inline_budget`]: a well-behaved plugin takes tens of microseconds, and handing
    /// it to another thread and back would cost more than the call (two thread wake-ups, and
    /// under load a wait in the async scheduler's queue). A call that has not finished by then
    /// is stopped and run again from the start on tokio's blocking pool, with what is left of
    /// `budget`: calls are free of side effects (a fresh instance, no capabilities, logs held
    /// until the call ends), so the second run sees exactly what the first did. A slow plugin
    /// thus holds an async worker for at most the inline budget plus one epoch tick.
    pub async fn call<T, F>(self: &Arc<Self>, budget: Duration, f: F) -> Result<T, PluginError>
    where
        T: Send + 'static,
        F: Fn(&LoadedPlugin, Attempt) -> Result<T, PluginError> + Send + 'static,
    {
        let permit = Arc::clone(&self.shared.permits)
            .acquire_owned()
            .await
            .map_err(|_| PluginError::Internal("the plugin runtime is shutting down".into()))?;
        let inline = self.shared.limits.inline_budget;
        let started = std::time::Instant::now();
        if inline < budget && !inline.is_zero() {
            match f(self, Attempt { budget: inline, trial: true }) {
                Err(PluginError::Timeout { .. }) => {}
                done => return done,
            }
        }
        let rest = budget.saturating_sub(started.elapsed());
        if rest.is_zero() {
            return Err(PluginError::Timeout { budget });
        }
        let plugin = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f(&plugin, Attempt { budget: rest, trial: false }).map_err(|e| match e {
                // The budget the caller set, not what was left of it.
                PluginError::Timeout { .. } => PluginError::Timeout { budget },
                e => e,
            })
        })
        .await
        .map_err(|e| PluginError::Internal(format!("plugin worker failed: {e}")))?
    }

    fn require(&self, hook: Hook) -> Result<(), PluginError> {
        if self.manifest.has_hook(hook) {
            Ok(())
        } else {
            Err(PluginError::Invalid(format!("plugin {} does not implement hook {hook}", self.label)))
        }
    }

    /// Instantiates the plugin in a fresh store under the limits and runs `body`; every failure
    /// becomes a [`PluginError`]. `content` is the user's text the call carries: the plugin's log
    /// lines are written after the call, with any run of it taken out (see [`scrub_content`]).
    fn run<T>(
        &self,
        call: Call<'_>,
        content: &[&str],
        body: impl FnOnce(&mut Store<CallState>, &Instance) -> wasmtime::Result<T>,
    ) -> Result<T, PluginError> {
        let limits = &self.shared.limits;
        let budget = call.time_budget.unwrap_or(limits.time_budget);
        let mut store = self.new_store(call.config.clone(), budget)?;
        let result = self.pre.instantiate(&mut store).and_then(|instance| body(&mut store, &instance));
        let result = result.map_err(|e| classify(&e, store.data(), budget, limits));
        let retried = call.trial && matches!(result, Err(PluginError::Timeout { .. }));
        let mut logs = std::mem::take(&mut store.data_mut().logs);
        if !logs.is_empty() && !retried {
            scrub_content(&mut logs, content);
            emit(&self.label, logs);
        }
        result
    }

    fn new_store(&self, config: PluginConfig, budget: Duration) -> Result<Store<CallState>, PluginError> {
        let limits = &self.shared.limits;
        let state = CallState {
            limiter: CallLimiter::new(limits),
            config,
            log_lines: 0,
            logs: Vec::new(),
            max_log_lines: limits.max_log_lines,
            max_log_line_bytes: limits.max_log_line_bytes,
        };
        let mut store = Store::new(&self.shared.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(limits.deadline_ticks(budget));
        store.epoch_deadline_trap();
        if let Some(fuel) = limits.fuel {
            store.set_fuel(fuel).map_err(|e| PluginError::Internal(format!("{e:#}")))?;
        }
        Ok(store)
    }

    /// Instantiates once and type-checks every declared hook's exports, so that a component
    /// that cannot run is refused at upload rather than failing on every call.
    fn trial_instantiation(&self) -> Result<(), PluginError> {
        let limits = &self.shared.limits;
        let config = PluginConfig::empty();
        let mut store = self.new_store(config, limits.time_budget)?;
        let instance = self.pre.instantiate(&mut store).map_err(|e| {
            invalid(format!(
                "cannot be instantiated within the limits: {}",
                classify(&e, store.data(), limits.time_budget, limits)
            ))
        })?;
        self.exports.typecheck(&mut store, &instance).map_err(|(hook, e)| {
            let export = self.manifest.interface().export_name(hook);
            invalid(format!("hook {hook} (`{export}`) has the wrong type: {e:#}"))
        })
    }
}

/// Turns what wasmtime reported into what went wrong, from the plugin's point of view.
fn classify(error: &wasmtime::Error, state: &CallState, budget: Duration, limits: &Limits) -> PluginError {
    match state.limiter.breach {
        Some(Breach::Memory) => return PluginError::MemoryLimit { limit_bytes: limits.memory_bytes },
        Some(Breach::Table) => {
            return PluginError::ResourceLimit(format!("more than {} table elements", limits.table_elements));
        }
        None => {}
    }
    if error.is::<wasmtime::PoolConcurrencyLimitError>() {
        return PluginError::Busy;
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => PluginError::Timeout { budget },
        Some(Trap::OutOfFuel) => PluginError::OutOfFuel,
        Some(Trap::StackOverflow) => PluginError::StackOverflow,
        Some(trap) => PluginError::Trap(trap.to_string()),
        None => PluginError::Trap(format!("{error:#}")),
    }
}

/// What a call's [`Store`] holds: its limits, the tenant's configuration and its log lines.
pub(crate) struct CallState {
    limiter: CallLimiter,
    config: PluginConfig,
    log_lines: usize,
    /// The call's log lines, written when it ends (after [`scrub_content`]).
    logs: Vec<(LogLevel, String)>,
    max_log_lines: usize,
    max_log_line_bytes: usize,
}

/// A log line's level, whatever interface version the plugin speaks.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// What the host interface offers, for every version's bindings to call.
impl CallState {
    /// Keeps a plugin's log line, within the call's log budget, to be written (attributed to the
    /// plugin) when the call ends.
    pub(crate) fn log(&mut self, level: LogLevel, message: &str, fields: &[(String, String)]) {
        self.log_lines += 1;
        if self.log_lines > self.max_log_lines {
            return;
        }
        self.logs.push((level, log_line(message, fields, self.max_log_line_bytes)));
    }

    /// The tenant's configuration of the plugin, as JSON text.
    pub(crate) fn config_json(&self) -> &str {
        self.config.as_str()
    }
}

fn emit(plugin: &str, logs: Vec<(LogLevel, String)>) {
    for (level, line) in logs {
        match level {
            LogLevel::Trace => tracing::trace!(target: "confab::plugin", plugin, "{line}"),
            LogLevel::Debug => tracing::debug!(target: "confab::plugin", plugin, "{line}"),
            LogLevel::Info => tracing::info!(target: "confab::plugin", plugin, "{line}"),
            LogLevel::Warn => tracing::warn!(target: "confab::plugin", plugin, "{line}"),
            LogLevel::Error => tracing::error!(target: "confab::plugin", plugin, "{line}"),
        }
    }
}

/// The shortest run of the user's text (in bytes) that [`scrub_content`] takes out of a log line.
const CONTENT_RUN: usize = 16;

/// The length of the pieces [`scrub_content`] probes the content with: the size of a `u64`.
const PIECE: usize = 8;

/// Every `PROBE_STRIDE`-th offset of the content is probed. A window of [`CONTENT_RUN`] bytes
/// holds a whole [`PIECE`] at `PROBE_STRIDE` consecutive offsets, so at least one of them is
/// probed.
const PROBE_STRIDE: usize = CONTENT_RUN - PIECE + 1;

/// The end of a chain of places in [`scrub_content`].
const NO_PLACE: usize = usize::MAX;

/// Replaces, in each log line, every run of [`CONTENT_RUN`] or more bytes that also appears in
/// the call's content with `[…]`: a plugin sees prompts and answers, and the server's log must
/// not carry them (a plugin that logs what it matched logs the user's words). Text the plugin
/// changed before logging it can still get through in pieces shorter than a run; the log is not a
/// place for content either way.
///
/// Linear in the lines' and the content's length, and cheap per byte of content (which is
/// usually far longer than the lines). The lines' windows go into a table by a rolling hash, and
/// their 8-byte pieces into a bit filter. The content is probed only every [`PROBE_STRIDE`]
/// bytes, an 8-byte piece read as a `u64` and tested against the filter: a content window equal
/// to one of the lines' holds a probed piece that is one of the lines' pieces, so only the
/// windows around a probe that passes are hashed and looked up in the table, and a window is
/// compared byte by byte only if its hash is there. Each content window is looked up at most
/// once, and a line's window is compared until it first matches (equal hashes being equal
/// windows but for a keyed collision).
fn scrub_content(logs: &mut [(LogLevel, String)], content: &[&str]) {
    if content.iter().all(|c| c.len() < CONTENT_RUN) {
        return;
    }
    let mut marks: Vec<Vec<bool>> = logs.iter().map(|(_, line)| vec![false; line.len()]).collect();
    {
        let keys = Keys::get();
        let total = logs.iter().map(|(_, line)| line.len()).sum::<usize>();
        // The lines' windows still unmarked, as (line, offset, the next place with the same
        // hash), chained from the hash's entry in `heads`.
        let mut places: Vec<(usize, usize, usize)> = Vec::with_capacity(total);
        let mut heads: HashMap<u64, usize, BuildWindowHasher> =
            HashMap::with_capacity_and_hasher(total, BuildWindowHasher);
        // A 16,384-bit filter of the lines' pieces (keyed: a bijection of the piece, by its top 14
        // bits): most probes are ruled out by one bit test.
        let mut filter = [0u64; 256];
        let bit = |key: u64| ((key >> 56) as usize, 1u64 << ((key >> 50) & 63));
        for (i, (_, line)) in logs.iter().enumerate() {
            let line = line.as_bytes();
            for_each_window(line, |off, hash| {
                let next = heads.insert(hash, places.len()).unwrap_or(NO_PLACE);
                places.push((i, off, next));
            });
            if line.len() >= CONTENT_RUN {
                for piece in line.windows(PIECE) {
                    let (word, mask) = bit(keys.piece(piece));
                    filter[word] |= mask;
                }
            }
        }
        if heads.is_empty() {
            // No line is long enough to carry a run of the content.
            return;
        }
        'content: for text in content {
            let text = text.as_bytes();
            let Some(last_window) = text.len().checked_sub(CONTENT_RUN) else { continue };
            // The first window not looked up yet, and the last one hashed (to roll on from).
            let mut next = 0;
            let mut rolled: Option<(usize, u64)> = None;
            for probe in (0..=text.len() - PIECE).step_by(PROBE_STRIDE) {
                let (word, mask) = bit(keys.piece(&text[probe..probe + PIECE]));
                if filter[word] & mask == 0 {
                    continue;
                }
                // The windows that hold this piece whole (a filter's false positive costs a few).
                let (from, to) = ((probe + PIECE).saturating_sub(CONTENT_RUN).max(next), probe.min(last_window));
                for off in from..=to {
                    if heads.is_empty() {
                        break 'content;
                    }
                    let window = &text[off..off + CONTENT_RUN];
                    let hash = match rolled {
                        Some((at, hash)) if at + 1 == off => keys.roll(hash, text[at], text[at + CONTENT_RUN]),
                        _ => keys.window(window),
                    };
                    rolled = Some((off, hash));
                    let Some(&head) = heads.get(&hash) else { continue };
                    // Mark the places whose window this is; chain the others again.
                    let (mut at, mut kept) = (head, NO_PLACE);
                    while at != NO_PLACE {
                        let (i, start, next_place) = places[at];
                        if &logs[i].1.as_bytes()[start..start + CONTENT_RUN] == window {
                            marks[i][start..start + CONTENT_RUN].fill(true);
                        } else {
                            places[at].2 = kept;
                            kept = at;
                        }
                        at = next_place;
                    }
                    if kept == NO_PLACE {
                        heads.remove(&hash);
                    } else {
                        heads.insert(hash, kept);
                    }
                }
                next = next.max(to + 1);
            }
        }
    }
    for ((_, line), marks) in logs.iter_mut().zip(marks) {
        if !marks.contains(&true) {
            continue;
        }
        let mut out = String::with_capacity(line.len());
        let mut in_run = false;
        for (at, c) in line.char_indices() {
            if marks[at..at + c.len_utf8()].contains(&true) {
                if !in_run {
                    out.push_str("[…]");
                }
                in_run = true;
            } else {
                in_run = false;
                out.push(c);
            }
        }
        *line = out;
    }
}

/// The process's random keys for [`scrub_content`]'s hashes, drawn once, so that a plugin cannot
/// choose log lines whose windows or pieces all collide (which would make every probe or window
/// of the content compare against all of them).
#[derive(Clone, Copy)]
struct Keys {
    /// The odd base of the windows' polynomial hash.
    base: u64,
    /// XORed into a piece before it is multiplied by the (odd) base: a bijection, so equal keys
    /// are equal pieces.
    piece: u64,
    /// `base^(CONTENT_RUN - 1)`: the weight of the byte that leaves a window as it rolls.
    top: u64,
}

impl Keys {
    fn get() -> Self {
        static KEYS: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();
        *KEYS.get_or_init(|| {
            let random = std::collections::hash_map::RandomState::new();
            let base = std::hash::BuildHasher::hash_one(&random, 0u64) | 1;
            Keys {
                base,
                piece: std::hash::BuildHasher::hash_one(&random, 1u64),
                top: (1..CONTENT_RUN).fold(1u64, |acc, _| acc.wrapping_mul(base)),
            }
        })
    }

    /// The hash of a window: a polynomial over its bytes (mod 2⁶⁴), as [`for_each_window`] rolls it.
    fn window(self, bytes: &[u8]) -> u64 {
        bytes.iter().fold(0u64, |h, &b| h.wrapping_mul(self.base).wrapping_add(u64::from(b)))
    }

    /// The hash of the window one byte on from the one hashed `hash`, which began with `out`;
    /// `inn` is the byte that enters.
    fn roll(self, hash: u64, out: u8, inn: u8) -> u64 {
        hash.wrapping_sub(u64::from(out).wrapping_mul(self.top)).wrapping_mul(self.base).wrapping_add(u64::from(inn))
    }

    /// A [`PIECE`]-byte piece, keyed.
    fn piece(self, piece: &[u8]) -> u64 {
        let mut bytes = [0u8; PIECE];
        bytes.copy_from_slice(piece);
        (u64::from_le_bytes(bytes) ^ self.piece).wrapping_mul(self.base)
    }
}

/// Calls `f(offset, hash)` for each [`CONTENT_RUN`]-byte window of `bytes`, in order, with the
/// hash [`Keys::window`] gives, rolled forward one byte at a time.
fn for_each_window(bytes: &[u8], mut f: impl FnMut(usize, u64)) {
    let keys = Keys::get();
    if bytes.len() < CONTENT_RUN {
        return;
    }
    let mut hash = keys.window(&bytes[..CONTENT_RUN]);
    f(0, hash);
    for (start, (&out, &inn)) in bytes.iter().zip(&bytes[CONTENT_RUN..]).enumerate() {
        hash = keys.roll(hash, out, inn);
        f(start + 1, hash);
    }
}

/// Hashes the rolling hashes of [`for_each_window`] for their table: one multiplication spreads
/// their bits (they are already hashes; SipHash over them would cost more than everything else).
#[derive(Default, Clone, Copy)]
struct BuildWindowHasher;

struct WindowHasher(u64);

impl std::hash::BuildHasher for BuildWindowHasher {
    type Hasher = WindowHasher;
    fn build_hasher(&self) -> WindowHasher {
        WindowHasher(0)
    }
}

impl std::hash::Hasher for WindowHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// `message key="value" …`, cut to at most `max_bytes` (then marked with an ellipsis) without
/// ever formatting more than that: a plugin may send megabytes in one field.
fn log_line(message: &str, fields: &[(String, String)], max_bytes: usize) -> String {
    /// Appends as much of `text` as fits; whether all of it did.
    fn push_within(line: &mut String, text: &str, max_bytes: usize) -> bool {
        let mut end = text.len().min(max_bytes.saturating_sub(line.len()));
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        line.push_str(&text[..end]);
        end == text.len()
    }
    let mut line = String::new();
    let mut whole = push_within(&mut line, message, max_bytes);
    for (key, value) in fields {
        if !whole {
            break;
        }
        let (key, value) = (&key[..key.floor_char_boundary(max_bytes)], &value[..value.floor_char_boundary(max_bytes)]);
        whole = push_within(&mut line, &format!(" {key}={value:?}"), max_bytes);
    }
    if !whole {
        line.push('…');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::{LogLevel, log_line, scrub_content};

    fn scrubbed(lines: &[&str], content: &[&str]) -> Vec<String> {
        let mut logs: Vec<(LogLevel, String)> = lines.iter().map(|l| (LogLevel::Info, l.to_string())).collect();
        scrub_content(&mut logs, content);
        logs.into_iter().map(|(_, l)| l).collect()
    }

    #[test]
    fn log_lines_lose_every_run_of_the_users_text() {
        let prompt = "Please summarise the Falcon merger memo for the board on Friday.";
        let lines = [
            r#"matched text="the Falcon merger memo for the board""#,
            "redacted kind=\"card\" count=\"2\"",
            "Please summarise the Falcon merger memo for the board on Friday.",
            "short words from it: Falcon, memo",
        ];
        let out = scrubbed(&lines, &["system prompt", prompt]);
        assert_eq!(out[0], r#"matched text="[…]""#);
        assert_eq!(out[1], lines[1], "lines without content stay");
        assert_eq!(out[2], "[…]");
        assert_eq!(out[3], lines[3], "runs shorter than 16 bytes stay");
        // Multi-byte text: runs end on character boundaries; what is left is valid.
        let answer = "Grüße aus München, schöne Grüße zurück!";
        let out = scrubbed(&["echo: schöne Grüße zurück! ok"], &[answer]);
        assert_eq!(out[0], "echo:[…] ok", "the space before the run is the answer's too");
        // A repetitive line against repetitive content: each window is looked up once.
        let long = "a".repeat(100_000);
        let out = scrubbed(&[&"a".repeat(2048)], &[&long]);
        assert_eq!(out[0], "[…]");
    }

    /// What scrubbing `line` against `content` must give, by the obvious quadratic search.
    fn plainly_scrubbed(line: &str, content: &str) -> String {
        let n = super::CONTENT_RUN;
        let mut marked = vec![false; line.len()];
        for at in 0..line.len().saturating_sub(n - 1) {
            if content.contains(&line[at..at + n]) {
                marked[at..at + n].fill(true);
            }
        }
        let mut expected = String::new();
        let mut in_run = false;
        for (c, m) in line.chars().zip(&marked) {
            match (m, in_run) {
                (true, false) => expected.push_str("[…]"),
                (true, true) => {}
                (false, _) => expected.push(c),
            }
            in_run = *m;
        }
        expected
    }

    /// A xorshift generator of text over an alphabet.
    fn texts() -> impl FnMut(usize, &[u8]) -> String {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        move |len: usize, alphabet: &[u8]| -> String {
            (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    char::from(alphabet[(seed % alphabet.len() as u64) as usize])
                })
                .collect()
        }
    }

    #[test]
    fn scrubbing_marks_what_a_plain_search_would() {
        // Small alphabets make many shared windows; compare with the obvious quadratic search.
        let mut text = texts();
        let mut runs = 0;
        for round in 0..200 {
            let alphabet: &[u8] = if round % 2 == 0 { b"ab" } else { b"abc d" };
            let content = text(40 + round * 7, alphabet);
            // Half the lines carry a piece of the content between random text.
            let piece = if round % 4 < 2 { &content[round % 20..round % 20 + 10 + round % 25] } else { "" };
            let line = format!("{}{piece}{}", text(round % 30, alphabet), text(round % 17, alphabet));
            let expected = plainly_scrubbed(&line, &content);
            runs += usize::from(expected.contains('…'));
            assert_eq!(scrubbed(&[&line], &[&content])[0], expected, "line {line:?} against {content:?}");
        }
        assert!(runs > 50, "only {runs} lines had a run to take out");
    }

    #[test]
    fn runs_are_found_wherever_they_sit_between_the_probes() {
        // The content is probed every few bytes: runs of every length around the shortest taken
        // out, starting at every offset between two probes and beyond, next to the content's ends.
        let mut text = texts();
        let content = text(200, b"abcdefghijklmnopqrstuvwxyz");
        let mut runs = 0;
        for start in (0..40).chain(200 - 40..200) {
            for len in 12..=24 {
                let Some(piece) = content.get(start..start + len) else { continue };
                let line = format!("<{piece}>");
                let expected = plainly_scrubbed(&line, &content);
                runs += usize::from(expected.contains('…'));
                assert_eq!(scrubbed(&[&line], &["short", &content])[0], expected, "a run of {len} at {start}");
            }
        }
        assert!(runs > 400, "only {runs} lines had a run to take out");
    }

    #[test]
    fn log_lines_carry_fields_and_are_cut_to_size() {
        let fields = vec![("kind".to_string(), "card".to_string()), ("count".to_string(), "2".to_string())];
        assert_eq!(log_line("redacted", &fields, 100), r#"redacted kind="card" count="2""#);
        let huge = vec![("blob".to_string(), "é".repeat(1 << 20))];
        let line = log_line("m", &huge, 16);
        assert!(line.len() <= 16 + '…'.len_utf8() && line.starts_with("m blob=") && line.ends_with('…'), "{line}");
    }
}
