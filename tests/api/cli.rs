//! The `confab` command line: configuration, first run, migrations and operator commands.
use confab_tests::*;
use reqwest::Method;

fn env(db: &TestDb, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = vec![("CONFAB_DATABASE__URL".to_string(), db.url.clone())];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

async fn invalid_configuration_fails_fast_naming_the_key(b: Backend) {
    let db = TestDb::new(b).await;
    for (extra, key) in [
        (vec![("CONFAB_SERVER__LISTEN", "nonsense")], "server.listen"),
        (vec![("CONFAB_DATABASE__URL", "mysql://x")], "database.url"),
        (vec![("CONFAB_AUTH__SESSION_IDLE_SECS", "many")], "auth.session_idle_secs"),
        (vec![("CONFAB_LOG__FORMAT", "xml")], "log.format"),
        (vec![("CONFAB_CHAT__DELTA_INTERVAL_MS", "1001")], "chat.delta_interval_ms"),
        (vec![("CONFAB_SERVR__LISTEN", "127.0.0.1:1")], "servr"),
        (vec![("CONFAB_LISTEN", "127.0.0.1:1")], "CONFAB_LISTEN"),
    ] {
        let out = run_cli(&env(&db, &extra), &db.dir, &["config", "check"], None);
        assert_eq!(out.code, 2, "{extra:?}: {}", out.stderr);
        assert!(out.stderr.contains(key), "{extra:?} should name {key}: {}", out.stderr);
    }
    std::fs::write(db.dir.join("confab.toml"), "[server]\nlisten = \"127.0.0.1:9\"\nmax_body_bytes = 10\n").unwrap();
    let out = run_cli(&env(&db, &[]), &db.dir, &["config", "check"], None);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("server.max_body_bytes"), "{}", out.stderr);
    let out = run_cli(&env(&db, &[]), &db.dir, &["--config", "missing.toml", "config", "check"], None);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.toml"), "{}", out.stderr);
}

async fn the_example_configuration_is_valid(b: Backend) {
    let db = TestDb::new(b).await;
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../confab.example.toml");
    std::fs::copy(example, db.dir.join("confab.toml")).unwrap();
    // The file's own database URL (a relative SQLite path) is overridden by the environment.
    let out = run_cli(&env(&db, &[]), &db.dir, &["config", "check"], None);
    assert!(out.stdout.starts_with("configuration: ok"), "{} {}", out.stdout, out.stderr);
}

async fn config_check_reports_the_database_without_its_password(b: Backend) {
    let db = TestDb::new(b).await;
    let out = run_cli(&env(&db, &[]), &db.dir, &["config", "check"], None);
    match b {
        Backend::Sqlite => assert_eq!(out.code, 0, "{} {}", out.stdout, out.stderr),
        Backend::Postgres => {
            assert_ne!(out.code, 0, "an unmigrated PostgreSQL schema is reported");
            assert!(out.stdout.contains("confab migrate"), "{}", out.stdout);
        }
    }
    assert!(out.stdout.contains("database: reachable"), "{}", out.stdout);
    let with_password = env(&db, &[("CONFAB_DATABASE__URL", "postgres://confab:s3cret-pw@127.0.0.1:1/confab")]);
    let out = run_cli(&with_password, &db.dir, &["config", "check"], None);
    assert!(!out.stdout.contains("s3cret-pw") && !out.stderr.contains("s3cret-pw"), "{} {}", out.stdout, out.stderr);
    assert!(out.stdout.contains("unreachable"), "{}", out.stdout);
}

async fn config_check_shows_no_secret(b: Backend) {
    let db = TestDb::new(b).await;
    assert_eq!(run_cli(&env(&db, &[]), &db.dir, &["migrate"], None).code, 0);
    let master_key = "c2VjcmV0LW1hc3Rlci1rZXktMzItYnl0ZXMtbG9uZyE=";
    let key_file = db.dir.join("master-key");
    std::fs::write(&key_file, format!("{master_key}\n")).unwrap();
    let common = [
        ("CONFAB_LOG__LEVEL", "debug"),
        ("CONFAB_PROVIDERS__OPENAI__KIND", "openai"),
        ("CONFAB_PROVIDERS__OPENAI__BASE_URL", "http://127.0.0.1:1/v1"),
        ("CONFAB_PROVIDERS__OPENAI__API_KEY", "sk-check-provider-key"),
        ("CONFAB_SECRETS__MASTER_KEY_FILE", key_file.to_str().unwrap()),
        ("CONFAB_BOOTSTRAP_EMAIL", ADMIN_EMAIL),
        ("CONFAB_BOOTSTRAP_PASSWORD", "check-bootstrap-password"),
    ];
    let secrets = [
        "sk-check-provider-key",
        master_key,
        "check-bootstrap-password",
        "check-redis-url-password",
        "check-redis-password",
        "check-opensearch-password",
    ];
    // Redis and OpenSearch each stop the check when unreachable, so one run each.
    let redis = [
        ("CONFAB_REDIS__URL", "redis://confab:check-redis-url-password@127.0.0.1:1/0"),
        ("CONFAB_REDIS__TIMEOUT_MS", "200"),
    ];
    let redis_password =
        [("CONFAB_REDIS__URL", "redis://127.0.0.1:1/0"), ("CONFAB_REDIS__PASSWORD", "check-redis-password")];
    let opensearch = [
        ("CONFAB_SEARCH__BACKEND", "opensearch"),
        ("CONFAB_OPENSEARCH__URL", "http://127.0.0.1:1"),
        ("CONFAB_OPENSEARCH__USERNAME", "confab"),
        ("CONFAB_OPENSEARCH__PASSWORD", "check-opensearch-password"),
        ("CONFAB_OPENSEARCH__TIMEOUT_MS", "200"),
    ];
    for (extra, expected) in [
        (&redis[..], "redis: unreachable (redis://confab:***@127.0.0.1:1/0)"),
        (&redis_password[..], "redis: unreachable (redis://127.0.0.1:1/0)"),
        (&opensearch[..], "search: opensearch at http://127.0.0.1:1 unreachable"),
    ] {
        let vars: Vec<_> = common.iter().chain(extra).copied().collect();
        let out = run_cli(&env(&db, &vars), &db.dir, &["config", "check"], None);
        assert!(out.stdout.contains("database: reachable; schema current"), "{} {}", out.stdout, out.stderr);
        assert!(out.stdout.contains(expected), "{expected}: {} {}", out.stdout, out.stderr);
        assert_eq!(out.code, 1, "{} {}", out.stdout, out.stderr);
        for secret in secrets {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "{secret}: {} {}",
                out.stdout,
                out.stderr
            );
        }
    }
}

async fn secrets_can_come_from_files(b: Backend) {
    let db = TestDb::new(b).await;
    let password_file = db.dir.join("bootstrap-password");
    std::fs::write(&password_file, format!("{ADMIN_PASSWORD}\n")).unwrap();
    let url_file = db.dir.join("database-url");
    std::fs::write(&url_file, &db.url).unwrap();
    let opts = Options { no_bootstrap: true, ..Options::default() }
        .env("CONFAB_BOOTSTRAP_EMAIL", ADMIN_EMAIL)
        .env("CONFAB_BOOTSTRAP_PASSWORD_FILE", password_file.to_str().unwrap())
        .env("CONFAB_DATABASE__URL_FILE", url_file.to_str().unwrap());
    if b == Backend::Postgres {
        assert_eq!(run_cli(&env(&db, &[]), &db.dir, &["migrate"], None).code, 0);
    }
    let app = TestApp::start(db, opts);
    app.admin().await;
}

async fn first_run_without_credentials_prints_a_one_time_setup_link(b: Backend) {
    let app = TestApp::spawn_with(b, Options { no_bootstrap: true, ..Options::default() }).await;
    let line = app.stdout_lines.iter().find(|l| l.contains("/setup?token=")).expect("a setup link on the console");
    let link = line.trim().to_string();
    let token = link.split("token=").nth(1).unwrap().to_string();
    let client = reqwest::Client::new();
    let page = client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("name=\"tenant\""));
    let (s, _) = app.anonymous().send(Method::GET, "/setup?token=not-the-token", None).await;
    assert_eq!(s, 404);
    let form = [
        ("token", token.as_str()),
        ("email", "founder@acme.example"),
        ("password", ADMIN_PASSWORD),
        ("tenant", "Acme Corp"),
    ];
    let resp = client.post(app.url("/setup")).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let admin = app.login("founder@acme.example", ADMIN_PASSWORD).await;
    let me = admin.get_json("/v1/me").await;
    assert_eq!(me["is_platform_admin"], true);
    assert_eq!(me["active_tenant"]["slug"], "acme-corp");
    // The link works once.
    let resp = client.post(app.url("/setup")).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(client.get(&link).send().await.unwrap().status(), 404);
}

/// What `confab migrate` says when it applies every migration of this release to an empty database.
fn all_migrations_applied() -> String {
    use confab_migrations::{Migrator, MigratorTrait};
    format!("confab: {} migration(s) applied", Migrator::migrations().len())
}

async fn serve_refuses_a_schema_that_is_behind(b: Backend) {
    let db = TestDb::new(b).await;
    let envs = env(&db, &[]);
    match b {
        Backend::Postgres => {
            let out = run_cli(&envs, &db.dir, &["serve", "--listen", "127.0.0.1:0"], None);
            assert_ne!(out.code, 0);
            assert!(out.stderr.contains("run `confab migrate` first"), "{}", out.stderr);
            let out = run_cli(&envs, &db.dir, &["migrate"], None);
            assert_eq!(out.code, 0, "{}", out.stderr);
            assert!(out.stdout.contains(&all_migrations_applied()), "{}", out.stdout);
            let out = run_cli(&envs, &db.dir, &["migrate"], None);
            assert!(out.stdout.contains("confab: 0 migration(s) applied"), "{}", out.stdout);
        }
        Backend::Sqlite => {
            // The embedded tier migrates itself. A schema from the next release is one this
            // release runs on (expand/contract: an upgrade in progress, or a rollback): migrate
            // leaves it alone and `config check` says so. One that also lacks migrations this
            // release needs did not come from this line of releases: refused.
            let out = run_cli(&envs, &db.dir, &["migrate"], None);
            assert_eq!(out.code, 0, "{}", out.stderr);
            let conn = db.connect().await;
            use sea_orm::ConnectionTrait;
            conn.execute_unprepared(
                "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_from_the_future', 0)",
            )
            .await
            .unwrap();
            let out = run_cli(&envs, &db.dir, &["migrate"], None);
            assert_eq!(out.code, 0, "{}", out.stderr);
            assert!(out.stdout.contains("confab: 0 migration(s) applied"), "{}", out.stdout);
            let out = run_cli(&envs, &db.dir, &["config", "check"], None);
            assert!(
                out.stdout.contains("schema newer than this version (m20991231_000001_from_the_future)"),
                "{}",
                out.stdout
            );
            conn.execute_unprepared("DELETE FROM seaql_migrations WHERE version LIKE 'm20261217_000018%'")
                .await
                .unwrap();
            let out = run_cli(&envs, &db.dir, &["serve", "--listen", "127.0.0.1:0"], None);
            assert_ne!(out.code, 0);
            assert!(out.stderr.contains("newer than this Confab version"), "{}", out.stderr);
            assert!(out.stderr.contains("lacks migrations it needs"), "{}", out.stderr);
        }
    }
}

/// With `database.migrate_on_start = false` (the Helm chart's setting: its init container or hook
/// job runs `confab migrate`), serve migrates nothing, on SQLite too, and says what to run.
async fn serve_leaves_migrations_to_confab_migrate_when_told(b: Backend) {
    let db = TestDb::new(b).await;
    let envs = env(&db, &[("CONFAB_DATABASE__MIGRATE_ON_START", "false")]);
    // An address no interface has: a server that wrongly went on would stop at binding (the
    // database is opened first) instead of running on, so a regression fails rather than hangs.
    let out = run_cli(&envs, &db.dir, &["serve", "--listen", "192.0.2.1:9", "--admin-listen", "off"], None);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("run `confab migrate` first"), "{}", out.stderr);
    let out = run_cli(&envs, &db.dir, &["config", "check"], None);
    assert_ne!(out.code, 0, "an unmigrated schema is reported: {}", out.stdout);
    assert!(out.stdout.contains("confab migrate"), "{}", out.stdout);
    let out = run_cli(&envs, &db.dir, &["migrate"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(&all_migrations_applied()), "serve applied none before: {}", out.stdout);
    let out = run_cli(&envs, &db.dir, &["config", "check"], None);
    assert!(out.stdout.contains("schema current"), "{}", out.stdout);
}

async fn operator_commands_manage_tenants_users_and_tokens(b: Backend) {
    let app = TestApp::spawn(b).await;
    let out = app.cli(&["admin", "create-tenant", "--name", "Globex Corporation"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("globex-corporation"), "{}", out.stdout);
    // Passwords come from stdin or a file, never the command line.
    let out = app.cli(
        &[
            "admin",
            "create-user",
            "--tenant",
            "globex-corporation",
            "--email",
            "gus@globex.example",
            "--password",
            PASSWORD,
        ],
        None,
    );
    assert_ne!(out.code, 0, "a --password flag must not exist");
    let out = app.cli(
        &[
            "admin",
            "create-user",
            "--tenant",
            "globex-corporation",
            "--email",
            "gus@globex.example",
            "--role",
            "tenant_admin",
        ],
        Some(PASSWORD),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let pw_file = app.db.dir.join("pw");
    std::fs::write(&pw_file, PASSWORD).unwrap();
    let out = app.cli(
        &[
            "admin",
            "create-user",
            "--tenant",
            "globex-corporation",
            "--email",
            "hank@globex.example",
            "--password-file",
            pw_file.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = app.cli(
        &["admin", "create-user", "--tenant", "globex-corporation", "--email", "weak@globex.example"],
        Some("short"),
    );
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("password"), "{}", out.stderr);

    let out = app.cli(
        &[
            "admin",
            "create-token",
            "--tenant",
            "globex-corporation",
            "--email",
            "gus@globex.example",
            "--name",
            "etl",
            "--role",
            "member",
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let token = out.stdout.trim().to_string();
    assert!(token.starts_with("cfb_"), "{token}");
    let me = app.with_token(&token).get_json("/v1/me").await;
    assert_eq!(me["active_tenant"]["slug"], "globex-corporation");
    assert_eq!(me["active_tenant"]["role"], "member");

    let out = app.cli(
        &["admin", "set-role", "--tenant", "globex-corporation", "--email", "hank@globex.example", "--role", "auditor"],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let hank = app.login("hank@globex.example", PASSWORD).await;
    assert_eq!(hank.get_json("/v1/me").await["active_tenant"]["role"], "auditor");
    assert_eq!(hank.send(Method::GET, "/v1/audit", None).await.0, 200, "the running server picked up the new role");
    let log = hank.get_json("/v1/audit?limit=200").await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "cli")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"user.created")
            && actions.contains(&"token.created")
            && actions.contains(&"user.role_changed"),
        "{actions:?}"
    );

    let out = app.cli(&["admin", "bootstrap", "--email", "again@acme.example"], Some(PASSWORD));
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("already set up"), "{}", out.stderr);
    let out = app.cli(&["openapi"], None);
    assert_eq!(out.code, 0);
    let spec: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(spec["info"]["title"], "Confab API");
}

/// `confab serve` runs itself again with glibc's malloc settings (its arena count and mmap
/// threshold: `server/src/main.rs`), and a value the operator set stays as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_tunes_malloc_unless_the_operator_did() {
    let environ = |app: &TestApp| -> Vec<String> {
        let raw = std::fs::read(format!("/proc/{}/environ", app.pid())).unwrap();
        raw.split(|b| *b == 0).map(|v| String::from_utf8_lossy(v).into_owned()).collect()
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let vars = environ(&app);
    assert!(vars.iter().any(|v| v == "MALLOC_MMAP_THRESHOLD_=131072"), "{vars:?}");
    let arenas = vars.iter().find_map(|v| v.strip_prefix("MALLOC_ARENA_MAX=")).expect("MALLOC_ARENA_MAX is set");
    assert!(arenas.parse::<usize>().unwrap() >= 2, "{arenas}");
    assert_eq!(app.anonymous().get_json("/healthz").await["status"], "ok");

    let app = TestApp::spawn_with(Backend::Sqlite, Options::default().env("MALLOC_ARENA_MAX", "7")).await;
    let vars = environ(&app);
    assert!(vars.iter().any(|v| v == "MALLOC_ARENA_MAX=7"), "the operator's value stays: {vars:?}");
    assert!(vars.iter().any(|v| v == "MALLOC_MMAP_THRESHOLD_=131072"), "{vars:?}");
}

/// On PostgreSQL `confab serve` opens its whole pool (`database.max_connections`) at the start
/// and keeps it, so a burst of turns does not wait for new server processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_its_postgresql_pool_open() {
    use sea_orm::{ConnectionTrait, Statement};
    let app =
        TestApp::spawn_with(Backend::Postgres, Options::default().env("CONFAB_DATABASE__MAX_CONNECTIONS", "6")).await;
    let conn = app.db.connect().await;
    let count = || async {
        let row = conn
            .query_one_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid()",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    // Nothing has asked for more than one connection at a time since the start.
    let open = count().await;
    assert!(open >= 6, "the server keeps its six connections open; {open} are");
}

/// When PostgreSQL will not give a server its whole pool (here a role limited to 3 connections
/// and `database.max_connections` = 6), `confab serve` stops at the start naming the setting,
/// instead of failing requests once load asks for the fourth connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_names_the_pool_size_when_postgresql_refuses_it() {
    use sea_orm::ConnectionTrait;
    let db = TestDb::new(Backend::Postgres).await;
    let mut url = reqwest::Url::parse(&db.url).unwrap();
    let name = url.path().trim_start_matches('/').to_string();
    let role = format!("{name}_limited");
    let conn = db.connect().await;
    for sql in [
        format!("CREATE ROLE {role} LOGIN CONNECTION LIMIT 3"),
        format!("ALTER DATABASE {name} OWNER TO {role}"),
        format!("ALTER SCHEMA public OWNER TO {role}"),
    ] {
        conn.execute_unprepared(&sql).await.unwrap();
    }
    conn.close().await.unwrap();
    url.set_username(&role).unwrap();
    let limited = env(&TestDb { backend: Backend::Postgres, url: url.to_string(), dir: db.dir.clone() }, &[]);
    let out = run_cli(&limited, &db.dir, &["migrate"], None);
    assert_eq!(out.code, 0, "a command opens what it needs: {}", out.stderr);
    let mut six = limited;
    six.push(("CONFAB_DATABASE__MAX_CONNECTIONS".into(), "6".into()));
    let out = run_cli(&six, &db.dir, &["serve", "--listen", "127.0.0.1:0", "--admin-listen", "off"], None);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("database.max_connections"), "{}", out.stderr);
}

both_backends!(
    invalid_configuration_fails_fast_naming_the_key,
    the_example_configuration_is_valid,
    config_check_reports_the_database_without_its_password,
    config_check_shows_no_secret,
    secrets_can_come_from_files,
    first_run_without_credentials_prints_a_one_time_setup_link,
    serve_refuses_a_schema_that_is_behind,
    serve_leaves_migrations_to_confab_migrate_when_told,
    operator_commands_manage_tenants_users_and_tokens,
);
