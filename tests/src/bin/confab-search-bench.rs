//! `confab-search-bench`: history search on PostgreSQL full-text and on OpenSearch, side by side.
//!
//! In one run, on a fresh database of the given PostgreSQL cluster:
//! 1. **seed** — `--messages` messages (20 per conversation, owners spread over `--users` users of
//!    one tenant; the benchmark's user owns 1/`--users` of them) written straight to PostgreSQL with
//!    server-side `generate_series` batches. Text is drawn from a 60 000-word synthetic vocabulary
//!    with a Zipf-like (log-uniform) distribution, like natural language. The database's own
//!    triggers fill the SQL search index and the search outbox as for any other write.
//! 2. **drain** — starts a `confab serve` with `search.backend = "opensearch"` and times its
//!    indexer draining the whole outbox into an empty index (documents per second).
//! 3. **query** — starts a second `confab serve` with `search.backend = "sql"` on the same data
//!    and sends the same queries to both, alternating, one at a time: common, medium and rare
//!    words, two-word queries and prefixes. Reports p50/p99/mean latency per backend, measured
//!    end to end over HTTP (authentication, search, the SQL check of the page, JSON).
//!
//! Usage: `confab-search-bench --pg-url postgres://postgres@127.0.0.1:5432/postgres
//! --opensearch-url http://127.0.0.1:9200 --messages 1000000` (see `--help`);
//! `scripts/bench-search.sh` starts both services and runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use anyhow::{Context as _, Result, bail};
use clap::Parser;
use rand::Rng;
use reqwest::Client;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN_EMAIL: &str = "admin@bench.example";
const ADMIN_PASSWORD: &str = "bench-password-not-secret";
/// The vocabulary's syllables, as an SQL array literal (a constant: cheap to index per word).
const SYLLABLES: &str = "(ARRAY['ka','lo','mi','ne','pu','ra','si','to','vu','ze','ba','de','fi','go','hu','ja',\
'ke','li','mo','nu','pe','ri','so','tu','va','we','xi','yo','zu','bo','ce','da','fe','ga','ha','jo','ku','la','me','no'])";
/// Messages per seeded conversation.
const PER_CONVERSATION: u64 = 20;

#[derive(Parser)]
#[command(about = "History search benchmark: PostgreSQL full-text vs OpenSearch")]
struct Args {
    /// An admin URL of the PostgreSQL cluster; a fresh database is created on it.
    #[arg(long)]
    pg_url: String,
    /// The OpenSearch node (its index prefix is unique to this run).
    #[arg(long, default_value = "")]
    opensearch_url: String,
    /// Messages to seed.
    #[arg(long, default_value_t = 1_000_000)]
    messages: u64,
    /// Users the conversations are spread over.
    #[arg(long, default_value_t = 20)]
    users: u64,
    /// Timed queries per backend (after a warm-up of 20).
    #[arg(long, default_value_t = 300)]
    queries: usize,
    /// Outbox rows per bulk request (opensearch.batch_size).
    #[arg(long, default_value_t = 1000)]
    batch_size: u32,
    /// The `confab` binary (default: next to this one).
    #[arg(long, env = "CONFAB_BIN")]
    confab_bin: Option<PathBuf>,
    /// Only PostgreSQL full text: no OpenSearch drain or queries (`--opensearch-url` is then
    /// not used).
    #[arg(long)]
    sql_only: bool,
    /// Use this database, seeding it only if it does not exist yet (and keeping it afterwards),
    /// so that runs comparing two builds share one seed. Default: a fresh database per run.
    #[arg(long, value_name = "NAME")]
    database: Option<String>,
}

struct Server {
    base: String,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn confab(args: &Args) -> PathBuf {
    args.confab_bin.clone().unwrap_or_else(|| std::env::current_exe().unwrap().parent().unwrap().join("confab"))
}

fn command(args: &Args, env: &[(String, String)], dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(confab(args));
    cmd.env_clear().current_dir(dir);
    for key in ["PATH", "HOME", "TMPDIR"] {
        if let Ok(v) = std::env::var(key) {
            cmd.env(key, v);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd
}

fn run(
    args: &Args,
    env: &[(String, String)],
    dir: &std::path::Path,
    argv: &[&str],
    stdin: Option<&str>,
) -> Result<String> {
    let mut child = command(args, env, dir)
        .args(argv)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running confab")?;
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("confab {argv:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn serve(args: &Args, env: &[(String, String)], dir: &std::path::Path, log: &str) -> Result<Server> {
    let stderr = std::fs::File::create(dir.join(log))?;
    let mut child = command(args, env, dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "off"])
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()?;
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.strip_prefix("confab: listening on ") {
                    break rest.split_whitespace().next().unwrap_or_default().to_string();
                }
            }
            _ => bail!("confab serve did not start; see {}", dir.join(log).display()),
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok(Server { base, child })
}

async fn scalar(conn: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?.context("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if !args.sql_only && args.opensearch_url.is_empty() {
        bail!("--opensearch-url is required unless --sql-only");
    }
    let n: u64 = rand::thread_rng().r#gen();
    let name = args.database.clone().unwrap_or_else(|| format!("confab_bench_{:08x}", n as u32));
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("--database: letters, digits and _ only");
    }
    let dir = std::env::temp_dir().join(format!("{name}_{:08x}", n as u32));
    std::fs::create_dir_all(&dir)?;
    let admin = Database::connect(args.pg_url.as_str()).await?;
    let exists = scalar(&admin, &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'")).await? > 0;
    if !exists {
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
    }
    admin.close().await.ok();
    let base = args.pg_url.rsplit_once('/').map(|(b, _)| b.to_string()).context("pg url")?;
    let db_url = format!("{base}/{name}");
    let prefix = format!("bench{:08x}", n as u32);
    let env = |search: &str| -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = vec![
            ("CONFAB_DATABASE__URL".into(), db_url.clone()),
            ("CONFAB_DATABASE__MAX_CONNECTIONS".into(), "16".into()),
            ("CONFAB_LOG__LEVEL".into(), "warn".into()),
            ("CONFAB_SEARCH__BACKEND".into(), search.into()),
        ];
        if !args.sql_only {
            env.extend([
                ("CONFAB_OPENSEARCH__URL".into(), args.opensearch_url.clone()),
                ("CONFAB_OPENSEARCH__INDEX_PREFIX".into(), prefix.clone()),
                ("CONFAB_OPENSEARCH__REPLICAS".into(), "0".into()),
                ("CONFAB_OPENSEARCH__BATCH_SIZE".into(), args.batch_size.to_string()),
                ("CONFAB_OPENSEARCH__POLL_INTERVAL_MS".into(), "100".into()),
            ]);
        }
        env
    };
    let sql_env = env("sql");
    let os_env = env("opensearch");
    println!("database {name}, index prefix {prefix}, data in {}", dir.display());
    run(&args, &sql_env, &dir, &["migrate"], None)?;
    if !exists {
        run(
            &args,
            &sql_env,
            &dir,
            &["admin", "bootstrap", "--email", ADMIN_EMAIL, "--tenant", "Bench"],
            Some(ADMIN_PASSWORD),
        )?;
    }
    let token_name = format!("bench-{:08x}", n as u32);
    let token = run(
        &args,
        &sql_env,
        &dir,
        &["admin", "create-token", "--tenant", "bench", "--email", ADMIN_EMAIL, "--name", &token_name],
        None,
    )?
    .trim()
    .to_string();

    let conn = Database::connect(db_url.as_str()).await?;
    if exists {
        println!("\n== seed: reusing database {name}");
    } else {
        seed(&conn, &args).await?;
    }
    if args.sql_only {
        return sql_only(&args, &sql_env, &dir, &conn, &token).await;
    }

    // Drain: an empty index, the whole outbox.
    let backlog = scalar(&conn, "SELECT count(*) FROM search_outbox").await?;
    println!("\n== drain: {backlog} outbox rows into OpenSearch (batch {})", args.batch_size);
    let started = Instant::now();
    let os_server = serve(&args, &os_env, &dir, "server-opensearch.log")?;
    let mut last = Instant::now();
    loop {
        let left = scalar(&conn, "SELECT count(*) FROM search_outbox").await?;
        if left == 0 {
            break;
        }
        if last.elapsed() > Duration::from_secs(10) {
            let done = backlog - left;
            println!("  {done}/{backlog} ({:.0} docs/s)", done as f64 / started.elapsed().as_secs_f64());
            last = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drain = started.elapsed();
    Client::new().post(format!("{}/{prefix}-search-v1/_refresh", args.opensearch_url)).send().await?;
    let drain_rate = backlog as f64 / drain.as_secs_f64();
    println!(
        "  drained {backlog} rows in {:.1} s: {drain_rate:.0} docs/s (includes server start-up)",
        drain.as_secs_f64()
    );

    // Query: both backends, same queries, alternating.
    let sql_server = serve(&args, &sql_env, &dir, "server-sql.log")?;
    let queries = queries(&conn, args.queries + 20).await?;
    let client = Client::builder().pool_max_idle_per_host(4).build()?;
    let mut sql_times = Vec::new();
    let mut os_times = Vec::new();
    // Per query class (see `queries`): (sql, opensearch) latencies.
    let mut by_class: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); CLASSES.len()];
    let mut sql_hits = 0usize;
    let mut os_hits = 0usize;
    println!("\n== query: {} timed queries per backend (after 20 warm-up), one at a time", args.queries);
    for (i, q) in queries.iter().enumerate() {
        let (t_sql, h_sql) = timed_search(&client, &sql_server.base, &token, q).await?;
        let (t_os, h_os) = timed_search(&client, &os_server.base, &token, q).await?;
        if i >= 20 {
            sql_times.push(t_sql);
            os_times.push(t_os);
            by_class[i % CLASSES.len()].0.push(t_sql);
            by_class[i % CLASSES.len()].1.push(t_os);
            sql_hits += h_sql;
            os_hits += h_os;
        }
    }
    let user_messages = scalar(
        &conn,
        &format!(
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
             JOIN users u ON u.id = c.owner_id WHERE u.email = '{ADMIN_EMAIL}'"
        ),
    )
    .await?;
    let total = scalar(&conn, "SELECT count(*) FROM messages").await?;
    println!("\nResults ({total} messages in the database; the searching user owns {user_messages}; page size 20)");
    println!("{:<28} {:>9} {:>9} {:>9} {:>12}", "backend", "p50 ms", "p99 ms", "mean ms", "hits/query");
    for (label, times, hits) in
        [("PostgreSQL full-text", &mut sql_times, sql_hits), ("OpenSearch", &mut os_times, os_hits)]
    {
        let (p50, p99, mean) = stats(times);
        println!("{label:<28} {p50:>9.1} {p99:>9.1} {mean:>9.1} {:>12.1}", hits as f64 / times.len() as f64);
    }
    println!("{:<28} {:>9.0} docs/s", "OpenSearch outbox drain", drain_rate);
    println!("\nBy query kind (p50 / p99 ms)");
    println!("{:<34} {:>19} {:>19}", "query", "PostgreSQL", "OpenSearch");
    for (name, (sql, os)) in CLASSES.iter().zip(by_class.iter_mut()) {
        let (s50, s99, _) = stats(sql);
        let (o50, o99, _) = stats(os);
        println!("{name:<34} {:>8.1} / {:>8.1} {:>8.1} / {:>8.1}", s50, s99, o50, o99);
    }
    drop(sql_server);
    drop(os_server);
    conn.close().await.ok();
    Ok(())
}

/// The query phase on PostgreSQL alone (`--sql-only`).
async fn sql_only(
    args: &Args,
    env: &[(String, String)],
    dir: &std::path::Path,
    conn: &DatabaseConnection,
    token: &str,
) -> Result<()> {
    let server = serve(args, env, dir, "server-sql.log")?;
    let queries = queries(conn, args.queries + 20).await?;
    let client = Client::builder().pool_max_idle_per_host(4).build()?;
    let (mut times, mut hits) = (Vec::new(), 0usize);
    let mut by_class: Vec<Vec<f64>> = vec![Vec::new(); CLASSES.len()];
    println!("\n== query: {} timed queries (after 20 warm-up), one at a time, PostgreSQL only", args.queries);
    for (i, q) in queries.iter().enumerate() {
        let (t, h) = timed_search(&client, &server.base, token, q).await?;
        if i >= 20 {
            times.push(t);
            by_class[i % CLASSES.len()].push(t);
            hits += h;
        }
    }
    let total = scalar(conn, "SELECT count(*) FROM messages").await?;
    println!("\nResults ({total} messages in the database; page size 20)");
    let (p50, p99, mean) = stats(&mut times);
    println!(
        "PostgreSQL full-text: p50 {p50:.1} ms  p99 {p99:.1} ms  mean {mean:.1} ms  hits/query {:.1}",
        hits as f64 / times.len() as f64
    );
    println!("\nBy query kind (p50 / p99 ms)");
    for (name, times) in CLASSES.iter().zip(by_class.iter_mut()) {
        let (p50, p99, _) = stats(times);
        println!("{name:<34} {p50:>8.1} / {p99:>8.1}");
    }
    Ok(())
}

async fn timed_search(client: &Client, base: &str, token: &str, q: &str) -> Result<(f64, usize)> {
    let started = Instant::now();
    let resp =
        client.get(format!("{base}/v1/search")).bearer_auth(token).query(&[("q", q), ("limit", "20")]).send().await?;
    let status = resp.status();
    let body: Value = resp.json().await?;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    if !status.is_success() {
        bail!("search {q:?} at {base}: {status} {body}");
    }
    Ok((elapsed, body["items"].as_array().map_or(0, Vec::len)))
}

fn stats(times: &mut [f64]) -> (f64, f64, f64) {
    times.sort_by(|a, b| a.total_cmp(b));
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.99), times.iter().sum::<f64>() / times.len() as f64)
}

/// Seeds users, then conversations and messages in batches, each one statement run by PostgreSQL.
async fn seed(conn: &DatabaseConnection, args: &Args) -> Result<()> {
    println!("\n== seed: {} messages, {} per conversation, over {} users", args.messages, PER_CONVERSATION, args.users);
    let started = Instant::now();
    // 60 000 pronounceable words (three syllables of forty), numbered by frequency rank.
    conn.execute_unprepared(&format!(
        "CREATE TABLE bench_vocab (n int PRIMARY KEY, w text NOT NULL);
         INSERT INTO bench_vocab
         SELECT g, {SYLLABLES}[1 + g % 40] || {SYLLABLES}[1 + (g / 40) % 40] || {SYLLABLES}[1 + (g / 1600) % 40]
         FROM generate_series(0, 59999) g;"
    ))
    .await?;
    let tenant = scalar_uuid(conn, "SELECT id FROM tenants LIMIT 1").await?;
    conn.execute_unprepared(&format!(
        "INSERT INTO users (id, email, display_name, status, is_platform_admin, password_changed_at, created_at, updated_at)
         SELECT gen_random_uuid(), 'user' || g || '@bench.example', 'User ' || g, 'active', false, now(), now(), now()
         FROM generate_series(2, {users}) g;
         INSERT INTO memberships (id, tenant_id, user_id, role, status, created_at, updated_at)
         SELECT gen_random_uuid(), '{tenant}', id, 'member', 'active', now(), now() FROM users WHERE email LIKE '%@bench.example'
           AND id NOT IN (SELECT user_id FROM memberships);",
        users = args.users.max(1)
    ))
    .await?;
    let conversations = args.messages.div_ceil(PER_CONVERSATION);
    let per_batch = 2_500u64; // 50 000 messages
    let mut done = 0u64;
    while done < conversations {
        let n = per_batch.min(conversations - done);
        // Owners round-robin; each message 8–40 words drawn log-uniformly from the vocabulary.
        let sql = format!(
            "WITH owners AS (SELECT array_agg(user_id ORDER BY user_id) AS ids FROM memberships WHERE tenant_id = '{tenant}'),
             conv AS (
                 INSERT INTO conversations (id, tenant_id, owner_id, title, archived, created_at, updated_at)
                 SELECT gen_random_uuid(), '{tenant}', o.ids[1 + (g % cardinality(o.ids))],
                        'Conversation ' || g, false, now(), now()
                 FROM generate_series({start}, {end}) g, owners o
                 RETURNING id
             )
             INSERT INTO messages (id, tenant_id, conversation_id, role, status, content, created_at, updated_at)
             SELECT gen_random_uuid(), '{tenant}', conv.id, CASE WHEN k % 2 = 1 THEN 'user' ELSE 'assistant' END,
                    'completed',
                    (SELECT string_agg({syl}[1 + r.g % 40] || {syl}[1 + (r.g / 40) % 40] || {syl}[1 + (r.g / 1600) % 40], ' ')
                     FROM generate_series(1, 8 + (k * 7 + length(conv.id::text) + (random() * 32)::int) % 33) AS w(i),
                          LATERAL (SELECT least(59999, floor(exp(random() * ln(60000)))::int - 1 + 0 * w.i) AS g) r),
                    now(), now()
             FROM conv CROSS JOIN generate_series(1, {per}) k",
            start = done,
            end = done + n - 1,
            per = PER_CONVERSATION,
            syl = SYLLABLES,
        );
        conn.execute_unprepared(&sql).await?;
        done += n;
        let messages = done * PER_CONVERSATION;
        println!(
            "  {messages}/{} messages ({:.0}/s)",
            conversations * PER_CONVERSATION,
            messages as f64 / started.elapsed().as_secs_f64()
        );
    }
    conn.execute_unprepared("ANALYZE").await?;
    println!("  seeded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

async fn scalar_uuid(conn: &DatabaseConnection, sql: &str) -> Result<uuid::Uuid> {
    let row = conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?.context("no row")?;
    Ok(row.try_get_by_index::<uuid::Uuid>(0)?)
}

/// The kinds of query, in the order `queries` cycles through them.
const CLASSES: [&str; 5] = [
    "common word (rank < 20)",
    "medium word (rank 100-2000)",
    "rare word (rank 10000+)",
    "two medium words",
    "prefix (4 letters, medium word)",
];

/// The benchmark's queries, by word frequency class (rank in the log-uniform vocabulary).
async fn queries(conn: &DatabaseConnection, count: usize) -> Result<Vec<String>> {
    let word = |rank: u32| format!("SELECT w FROM bench_vocab WHERE n = {rank}");
    let mut rng = rand::thread_rng();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let q = match i % 5 {
            // A common word (top 20), a medium one (rank 100–2 000), a rare one (10 000+).
            0 => fetch(conn, &word(rng.gen_range(0..20))).await?,
            1 => fetch(conn, &word(rng.gen_range(100..2000))).await?,
            2 => fetch(conn, &word(rng.gen_range(10_000..60_000))).await?,
            // Two medium words, both required.
            3 => format!(
                "{} {}",
                fetch(conn, &word(rng.gen_range(20..500))).await?,
                fetch(conn, &word(rng.gen_range(20..500))).await?
            ),
            // Typing: the first four letters of a medium word (a prefix query).
            _ => fetch(conn, &word(rng.gen_range(100..2000))).await?.chars().take(4).collect(),
        };
        out.push(q);
    }
    Ok(out)
}

async fn fetch(conn: &DatabaseConnection, sql: &str) -> Result<String> {
    let row = conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?.context("no row")?;
    Ok(row.try_get_by_index::<String>(0)?)
}
