//! Prometheus metrics, rendered in the text exposition format at `/metrics`.
//!
//! Every stage of a turn has a histogram: admission (auth, replay, limits, plan, quota), persistence (the turn's
//! commit, its final write), each plugin, the provider's connect and first byte, the first token,
//! the first delta written to the client, and the whole turn; plus tokens per second, outcomes,
//! provider errors, the streamed-text flush batches, Redis and database latency, and the timings
//! browsers report. Labels are bounded: stage, outcome, code, plugin and provider names (all
//! chosen by the operator), and a tenant label only when `metrics.tenant_label` is on. Names
//! follow Prometheus conventions: `confab_…`, base units (`_seconds`), counters end in `_total`.
//!
//! A scraper that asks for OpenMetrics (`Accept: application/openmetrics-text`, as Prometheus does
//! with exemplar storage on) gets the same series in that format, with **exemplars**: the time to
//! first token and the turn's duration carry, on the bucket of their latest observation, the trace
//! id of the turn that made it (when traces are on and that turn was sampled), so a dashboard can
//! jump from a slow bucket to its trace.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Request latency (the first histograms; kept for dashboards built on them).
const HTTP: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
/// One stage of a turn: sub-millisecond (a cache hit) to half a minute (a slow provider).
const STAGE: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// A whole turn, or what a browser saw: up to ten minutes.
const TURN: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0];
/// Output tokens per second of a turn.
const RATE: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 200.0, 300.0, 500.0, 1000.0];
/// Streams per flush batch.
const SIZE: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0];

/// Most series a family keeps; later label sets are counted under `other` values, so a bug or a
/// hostile input can never grow the exposition without bound.
const MAX_SERIES: usize = 500;

struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
    /// Per bucket (the last one is `+Inf`), the latest observation that fell into it with a trace
    /// id, and that id.
    exemplars: Vec<Option<(String, f64)>>,
}

/// The format of one scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0 text, with exemplars.
    OpenMetrics,
}

impl Format {
    /// OpenMetrics when the scraper's `Accept` header asks for it.
    pub fn from_accept(accept: Option<&str>) -> Self {
        if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
            Format::OpenMetrics
        } else {
            Format::Prometheus
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self { bounds, counts: vec![0; bounds.len()], sum: 0.0, count: 0, exemplars: vec![None; bounds.len() + 1] }
    }

    fn observe(&mut self, value: f64, trace_id: Option<String>) {
        for (i, bound) in self.bounds.iter().enumerate() {
            if value <= *bound {
                self.counts[i] += 1;
            }
        }
        self.sum += value;
        self.count += 1;
        if let Some(id) = trace_id {
            // The exemplar goes on the first bucket that holds the value.
            let bucket = self.bounds.iter().position(|b| value <= *b).unwrap_or(self.bounds.len());
            self.exemplars[bucket] = Some((id, value));
        }
    }

    fn render(&self, name: &str, labels: &str, format: Format, out: &mut String) {
        let sep = if labels.is_empty() { "" } else { "," };
        let exemplar = |i: usize| match (format, &self.exemplars[i]) {
            (Format::OpenMetrics, Some((id, value))) => format!(" # {{trace_id=\"{id}\"}} {value}"),
            _ => String::new(),
        };
        for (i, (bound, n)) in self.bounds.iter().zip(&self.counts).enumerate() {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {n}{}", exemplar(i));
        }
        let _ =
            writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}{}", self.count, exemplar(self.bounds.len()));
        let braces = |s: &str| if s.is_empty() { String::new() } else { format!("{{{s}}}") };
        let _ = writeln!(out, "{name}_sum{} {}", braces(labels), self.sum);
        let _ = writeln!(out, "{name}_count{} {}", braces(labels), self.count);
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `a="x",b="y"`, in the order given.
fn label_set(labels: &[(&str, &str)]) -> String {
    labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect::<Vec<_>>().join(",")
}

fn overflow(labels: &[(&str, &str)]) -> String {
    labels.iter().map(|(k, _)| format!("{k}=\"other\"")).collect::<Vec<_>>().join(",")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A histogram and its series by label set.
struct Histograms {
    name: &'static str,
    help: &'static str,
    bounds: &'static [f64],
    series: Mutex<BTreeMap<String, Histogram>>,
}

impl Histograms {
    const fn new(name: &'static str, help: &'static str, bounds: &'static [f64]) -> Self {
        Self { name, help, bounds, series: Mutex::new(BTreeMap::new()) }
    }

    fn observe(&self, labels: &[(&str, &str)], value: f64) {
        self.observe_traced(labels, value, None);
    }

    fn observe_traced(&self, labels: &[(&str, &str)], value: f64, trace_id: Option<String>) {
        if !value.is_finite() {
            return;
        }
        let mut series = self.series.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut key = label_set(labels);
        if series.len() >= MAX_SERIES && !series.contains_key(&key) {
            key = overflow(labels);
        }
        series.entry(key).or_insert_with(|| Histogram::new(self.bounds)).observe(value, trace_id);
    }

    fn secs(&self, labels: &[(&str, &str)], elapsed: Duration) {
        self.observe(labels, elapsed.as_secs_f64());
    }

    fn render(&self, format: Format, out: &mut String) {
        header(out, self.name, "histogram", self.help);
        let series = self.series.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (labels, h) in series.iter() {
            h.render(self.name, labels, format, out);
        }
    }
}

/// A counter and its series by label set.
struct Counters {
    name: &'static str,
    help: &'static str,
    series: Mutex<BTreeMap<String, u64>>,
}

impl Counters {
    const fn new(name: &'static str, help: &'static str) -> Self {
        Self { name, help, series: Mutex::new(BTreeMap::new()) }
    }

    fn inc(&self, labels: &[(&str, &str)]) {
        let mut series = self.series.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut key = label_set(labels);
        if series.len() >= MAX_SERIES && !series.contains_key(&key) {
            key = overflow(labels);
        }
        *series.entry(key).or_default() += 1;
    }

    fn render(&self, format: Format, out: &mut String) {
        // OpenMetrics names a counter family without its samples' `_total` suffix.
        let family = match format {
            Format::OpenMetrics => self.name.strip_suffix("_total").unwrap_or(self.name),
            Format::Prometheus => self.name,
        };
        header(out, family, "counter", self.help);
        let series = self.series.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (labels, n) in series.iter() {
            let labels = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
            let _ = writeln!(out, "{}{labels} {n}", self.name);
        }
    }
}

/// What `/metrics` checks when it is scraped: the dependencies' health, measured then.
#[derive(Debug, Default, Clone)]
pub struct Probes {
    pub database_up: bool,
    /// `None` without Redis.
    pub redis_up: Option<bool>,
    /// `None` with SQL search (it is the database).
    pub search_up: Option<bool>,
    /// Changes waiting in the search outbox (OpenSearch only).
    pub search_backlog: Option<u64>,
}

pub struct Metrics {
    /// Add a `tenant` label to the per-turn series (`metrics.tenant_label`).
    tenant_label: bool,
    requests: Counters,
    latency: Histograms,
    /// Finished turns by outcome (completed, cancelled, failed, partial).
    turns: Counters,
    /// Provider errors by code.
    provider_errors: Counters,
    time_to_first_token: Histograms,
    open_streams: AtomicI64,
    admission: Histograms,
    persistence: Histograms,
    plugins: Histograms,
    provider_connect: Histograms,
    provider_first_byte: Histograms,
    first_delta_written: Histograms,
    turn_duration: Histograms,
    tokens_per_second: Histograms,
    flush_streams: Histograms,
    flush_duration: Histograms,
    flush_failures: Counters,
    database_latency: Histograms,
    redis_latency: Histograms,
    client_first_token: Histograms,
    client_complete: Histograms,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(false)
    }
}

impl Metrics {
    pub fn new(tenant_label: bool) -> Self {
        Self {
            tenant_label,
            requests: Counters::new("confab_http_requests_total", "HTTP requests by method and status."),
            latency: Histograms::new("confab_http_request_duration_seconds", "HTTP request latency.", HTTP),
            turns: Counters::new("confab_chat_turns_total", "Finished turns by outcome."),
            provider_errors: Counters::new("confab_provider_errors_total", "Model provider errors by code."),
            time_to_first_token: Histograms::new(
                "confab_chat_time_to_first_token_seconds",
                "From sending a turn's request to the provider to its first token.",
                STAGE,
            ),
            open_streams: AtomicI64::new(0),
            admission: Histograms::new(
                "confab_admission_duration_seconds",
                "Admission of a request or turn, by stage: auth (every authenticated API request), \
                 replay (the look for an earlier turn with the same idempotency key, when a \
                 request is refused or finds its key taken), limits (turn \
                 rate limits), plan (the reads of the turn's conversation, model, preset and \
                 context), quota (the turn's token reservation).",
                STAGE,
            ),
            persistence: Histograms::new(
                "confab_persistence_duration_seconds",
                "Database writes of a turn, by stage: turn_commit (the user message and queued \
                 answer), final_write (the answer's end and its usage event).",
                STAGE,
            ),
            plugins: Histograms::new(
                "confab_plugin_duration_seconds",
                "One plugin's run in a tenant's chain, by plugin id and hook (request or response).",
                STAGE,
            ),
            provider_connect: Histograms::new(
                "confab_provider_connect_seconds",
                "From sending a turn's request to the provider's response headers (retries included), by provider.",
                STAGE,
            ),
            provider_first_byte: Histograms::new(
                "confab_provider_first_byte_seconds",
                "From sending a turn's request to the first event of the provider's stream, by provider.",
                STAGE,
            ),
            first_delta_written: Histograms::new(
                "confab_chat_first_delta_written_seconds",
                "From a turn request's arrival to its first delta written to the client's stream.",
                STAGE,
            ),
            turn_duration: Histograms::new(
                "confab_chat_turn_duration_seconds",
                "From a turn's start to its end (before the final write), by outcome.",
                TURN,
            ),
            tokens_per_second: Histograms::new(
                "confab_chat_output_tokens_per_second",
                "Output tokens per second of a turn, from its first token to its end.",
                RATE,
            ),
            flush_streams: Histograms::new(
                "confab_chat_flush_batch_streams",
                "Streams whose new text one flush batch wrote.",
                SIZE,
            ),
            flush_duration: Histograms::new(
                "confab_chat_flush_duration_seconds",
                "How long one flush batch's transaction took.",
                STAGE,
            ),
            flush_failures: Counters::new("confab_chat_flush_failures_total", "Flush batches that failed (retried)."),
            database_latency: Histograms::new(
                "confab_database_latency_seconds",
                "Database round trips, by operation (ping: measured at each scrape).",
                STAGE,
            ),
            redis_latency: Histograms::new(
                "confab_redis_latency_seconds",
                "Redis round trips, by operation (ping at each scrape; stream_append for live answers).",
                STAGE,
            ),
            client_first_token: Histograms::new(
                "confab_client_time_to_first_token_seconds",
                "Reported by browsers: from pressing send to the first token shown.",
                TURN,
            ),
            client_complete: Histograms::new(
                "confab_client_turn_duration_seconds",
                "Reported by browsers: from pressing send to the complete answer shown.",
                TURN,
            ),
        }
    }

    fn tenant<'a>(&self, base: &[(&'a str, &'a str)], tenant: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut labels = base.to_vec();
        if self.tenant_label {
            labels.push(("tenant", tenant));
        }
        labels
    }

    pub fn turn_started(&self) {
        self.open_streams.fetch_add(1, Ordering::Relaxed);
    }

    /// Observed inside the turn's span: its trace id is the exemplar.
    pub fn first_token(&self, elapsed: Duration) {
        self.time_to_first_token.observe_traced(&[], elapsed.as_secs_f64(), crate::telemetry::current_trace_id());
    }

    pub fn turn_finished(&self, outcome: &'static str, provider_error: Option<&'static str>) {
        self.open_streams.fetch_sub(1, Ordering::Relaxed);
        self.turns.inc(&[("outcome", outcome)]);
        if let Some(code) = provider_error {
            self.provider_errors.inc(&[("code", code)]);
        }
    }

    /// A turn's duration by outcome and, when it produced text, its output rate over the time
    /// from its first token to its end (`generating`).
    pub fn turn_timing(&self, tenant: &str, outcome: &str, total: Duration, generating: Option<Duration>, tokens: u64) {
        let labels = self.tenant(&[("outcome", outcome)], tenant);
        self.turn_duration.observe_traced(&labels, total.as_secs_f64(), crate::telemetry::current_trace_id());
        if let Some(generating) = generating.filter(|d| d.as_millis() > 0)
            && tokens > 0
        {
            self.tokens_per_second.observe(&[], tokens as f64 / generating.as_secs_f64());
        }
    }

    /// `auth`, `replay`, `limits`, `plan` or `quota`.
    pub fn admission(&self, stage: &'static str, elapsed: Duration) {
        self.admission.secs(&[("stage", stage)], elapsed);
    }

    /// `turn_commit` or `final_write`.
    pub fn persistence(&self, stage: &'static str, elapsed: Duration) {
        self.persistence.secs(&[("stage", stage)], elapsed);
    }

    /// One plugin's run; `hook` is `request` or `response`.
    pub fn plugin(&self, plugin: &str, hook: &'static str, elapsed: Duration) {
        self.plugins.secs(&[("plugin", plugin), ("hook", hook)], elapsed);
    }

    pub fn provider_connect(&self, provider: &str, elapsed: Duration) {
        self.provider_connect.secs(&[("provider", provider)], elapsed);
    }

    pub fn provider_first_byte(&self, provider: &str, elapsed: Duration) {
        self.provider_first_byte.secs(&[("provider", provider)], elapsed);
    }

    pub fn first_delta_written(&self, elapsed: Duration) {
        self.first_delta_written.secs(&[], elapsed);
    }

    /// One flush batch: how many streams, how long, whether it was written.
    pub fn flush(&self, streams: usize, elapsed: Duration, ok: bool) {
        self.flush_streams.observe(&[], streams as f64);
        self.flush_duration.secs(&[], elapsed);
        if !ok {
            self.flush_failures.inc(&[]);
        }
    }

    pub fn database_latency(&self, op: &'static str, elapsed: Duration) {
        self.database_latency.secs(&[("op", op)], elapsed);
    }

    pub fn redis_latency(&self, op: &'static str, elapsed: Duration) {
        self.redis_latency.secs(&[("op", op)], elapsed);
    }

    /// What a browser measured for one turn.
    pub fn client_timing(&self, tenant: &str, first_token: Option<Duration>, complete: Option<Duration>) {
        let labels = self.tenant(&[], tenant);
        if let Some(d) = first_token {
            self.client_first_token.secs(&labels, d);
        }
        if let Some(d) = complete {
            self.client_complete.secs(&labels, d);
        }
    }

    pub fn observe_request(&self, method: &str, status: u16, elapsed: Duration) {
        self.requests.inc(&[("method", method), ("status", &status.to_string())]);
        self.latency.secs(&[], elapsed);
    }

    pub fn render(&self, probes: &Probes) -> String {
        self.render_as(probes, Format::Prometheus)
    }

    pub fn render_as(&self, probes: &Probes, format: Format) -> String {
        let mut out = String::new();
        self.requests.render(format, &mut out);
        self.latency.render(format, &mut out);
        self.time_to_first_token.render(format, &mut out);
        self.turns.render(format, &mut out);
        self.provider_errors.render(format, &mut out);
        header(&mut out, "confab_chat_open_streams", "gauge", "Turns being generated now.");
        let _ = writeln!(out, "confab_chat_open_streams {}", self.open_streams.load(Ordering::Relaxed));
        for h in [
            &self.admission,
            &self.persistence,
            &self.plugins,
            &self.provider_connect,
            &self.provider_first_byte,
            &self.first_delta_written,
            &self.turn_duration,
            &self.tokens_per_second,
            &self.flush_streams,
            &self.flush_duration,
            &self.database_latency,
            &self.redis_latency,
            &self.client_first_token,
            &self.client_complete,
        ] {
            h.render(format, &mut out);
        }
        self.flush_failures.render(format, &mut out);
        header(&mut out, "confab_database_up", "gauge", "Whether the database answers.");
        let _ = writeln!(out, "confab_database_up {}", u8::from(probes.database_up));
        if let Some(up) = probes.redis_up {
            header(&mut out, "confab_redis_up", "gauge", "Whether Redis answers (scale-out tier).");
            let _ = writeln!(out, "confab_redis_up {}", u8::from(up));
        }
        if let Some(up) = probes.search_up {
            header(&mut out, "confab_search_up", "gauge", "Whether OpenSearch answers.");
            let _ = writeln!(out, "confab_search_up {}", u8::from(up));
        }
        if let Some(backlog) = probes.search_backlog {
            header(&mut out, "confab_search_outbox_backlog", "gauge", "Changes waiting in the search outbox.");
            let _ = writeln!(out, "confab_search_outbox_backlog {backlog}");
        }
        header(&mut out, "confab_build_info", "gauge", "Build information.");
        let _ = writeln!(out, "confab_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
        if format == Format::OpenMetrics {
            out.push_str("# EOF\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn histograms_render_buckets_sum_and_count_with_their_labels() {
        let m = Metrics::new(false);
        m.admission("auth", Duration::from_millis(3));
        m.admission("auth", Duration::from_millis(300));
        let out = m.render(&Probes::default());
        assert!(out.contains("# TYPE confab_admission_duration_seconds histogram"), "{out}");
        assert!(out.contains("confab_admission_duration_seconds_bucket{stage=\"auth\",le=\"0.005\"} 1"), "{out}");
        assert!(out.contains("confab_admission_duration_seconds_bucket{stage=\"auth\",le=\"+Inf\"} 2"), "{out}");
        assert!(out.contains("confab_admission_duration_seconds_count{stage=\"auth\"} 2"), "{out}");
        m.first_token(Duration::from_millis(1));
        assert!(m.render(&Probes::default()).contains("confab_chat_time_to_first_token_seconds_count 1"));
    }

    #[test]
    fn labels_are_escaped_and_series_are_bounded() {
        let m = Metrics::new(false);
        m.plugin("a\"b\\c\nd", "request", Duration::from_millis(1));
        assert!(m.render(&Probes::default()).contains(r#"plugin="a\"b\\c\nd""#));
        for i in 0..MAX_SERIES + 50 {
            m.plugin(&format!("p{i}"), "request", Duration::from_millis(1));
        }
        let out = m.render(&Probes::default());
        let series = out.lines().filter(|l| l.starts_with("confab_plugin_duration_seconds_count")).count();
        assert_eq!(series, MAX_SERIES + 1, "the overflow series holds the rest");
        assert!(out.contains("confab_plugin_duration_seconds_count{plugin=\"other\",hook=\"other\"} 51"), "{out}");
    }

    #[test]
    fn the_tenant_label_is_opt_in() {
        let off = Metrics::new(false);
        off.turn_timing("t1", "completed", Duration::from_secs(2), Some(Duration::from_secs(1)), 50);
        assert!(
            off.render(&Probes::default()).contains("confab_chat_turn_duration_seconds_count{outcome=\"completed\"} 1")
        );
        let on = Metrics::new(true);
        on.turn_timing("t1", "completed", Duration::from_secs(2), Some(Duration::from_secs(1)), 50);
        let out = on.render(&Probes::default());
        assert!(
            out.contains("confab_chat_turn_duration_seconds_count{outcome=\"completed\",tenant=\"t1\"} 1"),
            "{out}"
        );
        // 50 tokens in the second after the first: 50 per second.
        assert!(out.contains("confab_chat_output_tokens_per_second_bucket{le=\"50\"} 1"), "{out}");
        assert!(out.contains("confab_chat_output_tokens_per_second_bucket{le=\"30\"} 0"), "{out}");
    }

    #[test]
    fn openmetrics_has_exemplars_counter_families_and_an_end() {
        let h = Histograms::new("confab_t_seconds", "t", STAGE);
        h.observe_traced(&[], 0.003, Some("4bf92f3577b34da6a3ce929d0e0e4736".into()));
        h.observe_traced(&[], 0.004, Some("0af7651916cd43dd8448eb211c80319c".into()));
        h.observe_traced(&[], 100.0, Some("00f067aa0ba902b700f067aa0ba902b7".into()));
        h.observe(&[], 0.0001);
        let mut om = String::new();
        h.render(Format::OpenMetrics, &mut om);
        // The latest observation of a bucket is its exemplar; buckets without one have none.
        assert!(
            om.contains(
                "confab_t_seconds_bucket{le=\"0.005\"} 3 # {trace_id=\"0af7651916cd43dd8448eb211c80319c\"} 0.004\n"
            ),
            "{om}"
        );
        assert!(
            om.contains(
                "confab_t_seconds_bucket{le=\"+Inf\"} 4 # {trace_id=\"00f067aa0ba902b700f067aa0ba902b7\"} 100\n"
            ),
            "{om}"
        );
        assert!(om.contains("confab_t_seconds_bucket{le=\"0.0005\"} 1\n"), "{om}");
        assert!(!om.contains("4bf92f3577b34da6a3ce929d0e0e4736"), "replaced by the later one: {om}");
        let mut plain = String::new();
        h.render(Format::Prometheus, &mut plain);
        assert!(!plain.contains("trace_id"), "no exemplars in the 0.0.4 format: {plain}");

        let m = Metrics::new(false);
        m.turn_finished("completed", None);
        let om = m.render_as(&Probes::default(), Format::OpenMetrics);
        assert!(om.contains("# TYPE confab_chat_turns counter\n"), "{om}");
        assert!(om.contains("confab_chat_turns_total{outcome=\"completed\"} 1\n"), "{om}");
        assert!(om.ends_with("# EOF\n"), "{om}");
        let plain = m.render(&Probes::default());
        assert!(plain.contains("# TYPE confab_chat_turns_total counter\n") && !plain.contains("# EOF"), "{plain}");
        assert_eq!(
            Format::from_accept(Some("application/openmetrics-text;version=1.0.0,text/plain;q=0.5")),
            Format::OpenMetrics
        );
        assert_eq!(Format::from_accept(Some("text/plain")), Format::Prometheus);
        assert_eq!(Format::from_accept(None), Format::Prometheus);
    }
}
