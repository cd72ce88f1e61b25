//! Prometheus metrics, rendered in the text exposition format at `/metrics`.
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.counts[i] += 1;
            }
        }
        self.sum += secs;
        self.count += 1;
    }

    fn render(&self, name: &str, out: &mut String) {
        for (i, bound) in BUCKETS.iter().enumerate() {
            out.push_str(&format!("{name}_bucket{{le=\"{bound}\"}} {}\n", self.counts[i]));
        }
        out.push_str(&format!("{name}_bucket{{le=\"+Inf\"}} {}\n", self.count));
        out.push_str(&format!("{name}_sum {}\n", self.sum));
        out.push_str(&format!("{name}_count {}\n", self.count));
    }
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<Histogram>,
    /// Finished turns by outcome (completed, cancelled, failed, partial).
    turns: Mutex<BTreeMap<&'static str, u64>>,
    /// Provider errors by code.
    provider_errors: Mutex<BTreeMap<&'static str, u64>>,
    time_to_first_token: Mutex<Histogram>,
    open_streams: std::sync::atomic::AtomicI64,
}

impl Metrics {
    pub fn turn_started(&self) {
        self.open_streams.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn first_token(&self, elapsed: Duration) {
        if let Ok(mut h) = self.time_to_first_token.lock() {
            h.observe(elapsed);
        }
    }

    pub fn turn_finished(&self, outcome: &'static str, provider_error: Option<&'static str>) {
        self.open_streams.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut t) = self.turns.lock() {
            *t.entry(outcome).or_default() += 1;
        }
        if let Some(code) = provider_error
            && let Ok(mut e) = self.provider_errors.lock()
        {
            *e.entry(code).or_default() += 1;
        }
    }

    pub fn observe_request(&self, method: &str, status: u16, elapsed: Duration) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((method.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut h) = self.latency.lock() {
            h.observe(elapsed);
        }
    }

    pub fn render(&self, database_up: bool) -> String {
        let mut out = String::new();
        out.push_str("# HELP confab_http_requests_total HTTP requests by method and status.\n");
        out.push_str("# TYPE confab_http_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((method, status), n) in r.iter() {
                out.push_str(&format!("confab_http_requests_total{{method=\"{method}\",status=\"{status}\"}} {n}\n"));
            }
        }
        out.push_str("# HELP confab_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE confab_http_request_duration_seconds histogram\n");
        if let Ok(h) = self.latency.lock() {
            h.render("confab_http_request_duration_seconds", &mut out);
        }
        out.push_str("# HELP confab_chat_time_to_first_token_seconds From the turn's start to its first delta.\n");
        out.push_str("# TYPE confab_chat_time_to_first_token_seconds histogram\n");
        if let Ok(h) = self.time_to_first_token.lock() {
            h.render("confab_chat_time_to_first_token_seconds", &mut out);
        }
        out.push_str(
            "# HELP confab_chat_turns_total Finished turns by outcome.\n# TYPE confab_chat_turns_total counter\n",
        );
        if let Ok(t) = self.turns.lock() {
            for (outcome, n) in t.iter() {
                out.push_str(&format!("confab_chat_turns_total{{outcome=\"{outcome}\"}} {n}\n"));
            }
        }
        out.push_str("# HELP confab_provider_errors_total Model provider errors by code.\n");
        out.push_str("# TYPE confab_provider_errors_total counter\n");
        if let Ok(e) = self.provider_errors.lock() {
            for (code, n) in e.iter() {
                out.push_str(&format!("confab_provider_errors_total{{code=\"{code}\"}} {n}\n"));
            }
        }
        out.push_str(
            "# HELP confab_chat_open_streams Turns being generated now.\n# TYPE confab_chat_open_streams gauge\n",
        );
        let open = self.open_streams.load(std::sync::atomic::Ordering::Relaxed);
        out.push_str(&format!("confab_chat_open_streams {open}\n"));
        out.push_str("# HELP confab_database_up Whether the database answers.\n# TYPE confab_database_up gauge\n");
        out.push_str(&format!("confab_database_up {}\n", u8::from(database_up)));
        out.push_str("# HELP confab_build_info Build information.\n# TYPE confab_build_info gauge\n");
        out.push_str(&format!("confab_build_info{{version=\"{}\"}} 1\n", env!("CARGO_PKG_VERSION")));
        out
    }
}
