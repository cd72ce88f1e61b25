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

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<Histogram>,
}

impl Metrics {
    pub fn observe_request(&self, method: &str, status: u16, elapsed: Duration) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((method.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut h) = self.latency.lock() {
            let secs = elapsed.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.sum += secs;
            h.count += 1;
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
            for (i, bound) in BUCKETS.iter().enumerate() {
                out.push_str(&format!(
                    "confab_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}\n",
                    h.counts[i]
                ));
            }
            out.push_str(&format!("confab_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", h.count));
            out.push_str(&format!("confab_http_request_duration_seconds_sum {}\n", h.sum));
            out.push_str(&format!("confab_http_request_duration_seconds_count {}\n", h.count));
        }
        out.push_str("# HELP confab_database_up Whether the database answers.\n# TYPE confab_database_up gauge\n");
        out.push_str(&format!("confab_database_up {}\n", u8::from(database_up)));
        out.push_str("# HELP confab_build_info Build information.\n# TYPE confab_build_info gauge\n");
        out.push_str(&format!("confab_build_info{{version=\"{}\"}} 1\n", env!("CARGO_PKG_VERSION")));
        out
    }
}
