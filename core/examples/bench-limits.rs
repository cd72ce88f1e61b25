//! `bench-limits` (`cargo run --release -p confab-core --example bench-limits`): how many rate-limit checks per second the shared (Redis) limiter
//! answers, and how long each takes, next to the in-process limiter of the embedded tier.
//!
//! It starts a private `redis-server` (or uses `--redis-url`), then runs `--concurrency` tasks
//! for `--seconds`, each calling `hit` on keys spread over `--keys` users (a limit high enough
//! that nothing is refused, so every call is a full check-and-update), and prints checks per
//! second and latency percentiles for both limiters, measured one after the other in one run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::Parser;
use confab_core::cluster::Cluster;
use confab_core::cluster::limits::RedisLimiter;
use confab_core::config::RedisConfig;
use confab_core::limits::{InProcessLimiter, RateLimiter};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Rate-limit checks per second: Redis (shared) vs in-process")]
struct Args {
    /// Use this Redis instead of starting a private one.
    #[arg(long)]
    redis_url: Option<String>,
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value_t = 10_000)]
    keys: usize,
}

async fn run(limiter: Arc<dyn RateLimiter>, args: &Args) -> (f64, Vec<Duration>) {
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.concurrency)
        .map(|t| {
            let limiter = limiter.clone();
            let keys = args.keys;
            tokio::spawn(async move {
                let mut samples = Vec::new();
                let mut i = t;
                while Instant::now() < deadline {
                    let key = format!("turn-user:bench:{}", i % keys);
                    let at = Instant::now();
                    let allowed = limiter.hit(&key, 1_000_000, Duration::from_secs(60)).await;
                    samples.push(at.elapsed());
                    assert!(allowed.is_ok(), "the benchmark limit is never reached: {allowed:?}");
                    i += 7919;
                }
                samples
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    all.sort();
    (rate, all)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn row(name: &str, rate: f64, samples: &[Duration]) {
    println!(
        "{name:<12} {rate:>12.0} {:>10.3} {:>10.3} {:>10.3}",
        pct(samples, 0.5).as_secs_f64() * 1e3,
        pct(samples, 0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mut private = None;
    let url = match &args.redis_url {
        Some(url) => url.clone(),
        None => {
            let server = confab_tests::redis::RedisServer::start();
            let url = server.url();
            private = Some(server);
            url
        }
    };
    let config =
        RedisConfig { url: Some(url.into()), key_prefix: format!("bench{}", std::process::id()), ..Default::default() };
    let cluster = Cluster::connect(&config).unwrap();
    cluster.ping().await.expect("redis answers");
    let redis: Arc<dyn RateLimiter> = Arc::new(RedisLimiter::new(cluster, Duration::from_secs(60)));
    let local: Arc<dyn RateLimiter> = Arc::new(InProcessLimiter::new(Duration::from_secs(60)));
    println!(
        "rate-limit checks: {} tasks, {} s each, {} keys (GCRA script over one multiplexed connection)",
        args.concurrency, args.seconds, args.keys
    );
    println!("{:<12} {:>12} {:>10} {:>10} {:>10}", "limiter", "checks/s", "p50 ms", "p99 ms", "max ms");
    let (rate, samples) = run(redis, &args).await;
    row("redis", rate, &samples);
    let (rate, samples) = run(local, &args).await;
    row("in-process", rate, &samples);
    drop(private);
}
