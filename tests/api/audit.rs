//! The audit log: one entry per audited action, readable per tenant, and a hash chain that
//! `confab audit verify` checks.
use confab_tests::*;
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::collections::BTreeMap;

async fn each_audited_action_leaves_exactly_one_entry(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await; // auth.login
    let (s, _) = app
        .anonymous()
        .send(Method::POST, "/v1/auth/login", Some(json!({ "email": ADMIN_EMAIL, "password": "wrong wrong wrong" })))
        .await;
    assert_eq!(s, 401); // auth.login_failed
    let id = app.create_user(&admin, "mia@acme.example", "member").await; // user.created
    let (_, token) = admin.create_token(json!({ "name": "t" })).await; // token.created
    assert_eq!(admin.delete(&format!("/v1/me/tokens/{token}")).await.status(), 204); // token.revoked
    assert_eq!(admin.put(&format!("/v1/users/{id}/role"), json!({ "role": "auditor" })).await.status(), 200); // user.role_changed
    assert_eq!(admin.post(&format!("/v1/users/{id}/disable"), json!({})).await.status(), 200); // user.disabled
    assert_eq!(admin.post(&format!("/v1/users/{id}/enable"), json!({})).await.status(), 200); // user.enabled
    let mia = app.login("mia@acme.example", PASSWORD).await; // auth.login
    assert_eq!(mia.post("/v1/auth/logout", json!({})).await.status(), 204); // auth.logout
    // Repeating a no-op (enable an enabled user) records nothing.
    assert_eq!(admin.post(&format!("/v1/users/{id}/enable"), json!({})).await.status(), 200);

    let page = admin.get_json("/v1/audit?limit=200").await;
    let mut counts = BTreeMap::new();
    for e in page["items"].as_array().unwrap() {
        *counts.entry(e["action"].as_str().unwrap().to_string()).or_insert(0) += 1;
    }
    let expected: BTreeMap<String, i32> = [
        // The first entry of the tenant's chain (docs/audit-verification.md).
        ("audit.chain_started", 1),
        ("auth.login", 2),
        ("auth.login_failed", 1),
        ("auth.logout", 1),
        ("tenant.created", 1),
        ("token.created", 1),
        ("token.revoked", 1),
        ("user.created", 1),
        ("user.disabled", 1),
        ("user.enabled", 1),
        ("user.role_changed", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(counts, expected);
    let created = page["items"].as_array().unwrap().iter().find(|e| e["action"] == "user.created").unwrap();
    assert_eq!(created["actor"], ADMIN_EMAIL);
    assert_eq!(created["target_type"], "user");
    assert_eq!(created["target_id"], id.as_str());
    assert!(created["request_id"].as_str().is_some_and(|r| !r.is_empty()));

    // Platform-level actions land in the platform log.
    let (s, _) = admin.send(Method::POST, "/v1/tenants", Some(json!({ "name": "Globex" }))).await;
    assert_eq!(s, 201);
    let platform = admin.get_json("/v1/platform/audit?action=tenant.created").await;
    assert_eq!(platform["items"].as_array().unwrap().len(), 1);
    assert_eq!(platform["items"][0]["details"]["slug"], "globex");
}

async fn the_log_filters_and_pages(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let me = admin.get_json("/v1/me").await;
    for i in 0..5 {
        app.create_user(&admin, &format!("u{i}@acme.example"), "member").await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/audit?action=user.created&limit=2&cursor={c}"),
            None => "/v1/audit?action=user.created&limit=2".to_string(),
        };
        let page = admin.get_json(&path).await;
        for e in page["items"].as_array().unwrap() {
            seen.push(e["seq"].as_i64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first, no duplicates: {seen:?}");
    let by_actor = admin.get_json(&format!("/v1/audit?actor={}&action=user.created", me["id"].as_str().unwrap())).await;
    assert_eq!(by_actor["items"].as_array().unwrap().len(), 5);
    let future = admin.get_json("/v1/audit?since=2099-01-01T00:00:00Z").await;
    assert_eq!(future["items"].as_array().unwrap().len(), 0);
    let past = admin.get_json("/v1/audit?until=2000-01-01T00:00:00Z").await;
    assert_eq!(past["items"].as_array().unwrap().len(), 0);
    let all_time = admin.get_json("/v1/audit?since=2000-01-01T00:00:00Z&until=2099-01-01T00:00:00Z&limit=200").await;
    assert!(all_time["items"].as_array().unwrap().len() >= 7);
}

async fn audit_verify_passes_then_names_the_altered_entry(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    app.create_user(&admin, "mia@acme.example", "member").await;
    admin.create_token(json!({ "name": "t" })).await;
    let out = app.cli(&["audit", "verify"], None);
    assert_eq!(out.code, 0, "{} {}", out.stdout, out.stderr);
    assert!(out.stdout.contains("intact"), "{}", out.stdout);

    // Someone with database access rewrites history: entry #3 now claims another actor.
    let db = app.db.connect().await;
    db.execute_unprepared("UPDATE audit_log SET actor_label = 'someone-else@acme.example' WHERE seq = 3")
        .await
        .unwrap();
    let out = app.cli(&["audit", "verify"], None);
    assert_ne!(out.code, 0);
    assert!(out.stdout.contains("BROKEN at entry #3"), "{}", out.stdout);

    // Deleting the newest entry is caught too.
    let fresh = TestApp::spawn(b).await;
    let fresh_db = fresh.db.connect().await;
    let fresh_admin = fresh.admin().await;
    fresh.create_user(&fresh_admin, "mia@acme.example", "member").await;
    assert_eq!(fresh.cli(&["audit", "verify"], None).code, 0);
    fresh_db.execute_unprepared("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)").await.unwrap();
    let out = fresh.cli(&["audit", "verify"], None);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("missing"), "{}", out.stdout);
}

async fn concurrent_changes_keep_the_chain_intact(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let admin = admin.clone();
        tasks.push(tokio::spawn(async move {
            let resp = admin.post("/v1/me/tokens", json!({ "name": format!("t{i}") })).await;
            resp.status().as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    assert_eq!(app.audit_count(&admin, "token.created").await, 12);
    let out = app.cli(&["audit", "verify"], None);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

/// A time range is exactly the entries stamped inside it, alone or with other filters, and an
/// action family pages the same whether the page fills from the newest entries or not.
async fn time_ranges_and_action_families_select_exactly(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let stamp = || {
        std::thread::sleep(std::time::Duration::from_millis(5));
        let t = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        std::thread::sleep(std::time::Duration::from_millis(5));
        t
    };
    let t0 = stamp();
    let mut users = Vec::new();
    let mut marks = Vec::new();
    for i in 0..4 {
        users.push(app.create_user(&admin, &format!("u{i}@acme.example"), "member").await);
        marks.push(stamp());
    }
    let seqs = |page: &serde_json::Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|e| e["target_id"].as_str().unwrap_or("-").to_string()).collect()
    };
    let enc = |t: &str| t.replace('+', "%2B");
    // Between the first and third mark: users 1 and 2, newest first.
    let page = admin
        .get_json(&format!("/v1/audit?action=user.created&since={}&until={}", enc(&marks[0]), enc(&marks[2])))
        .await;
    assert_eq!(seqs(&page), [users[2].clone(), users[1].clone()], "{page}");
    // The same range through the family filter, a page at a time (each page fills from the newest).
    let mut got = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = admin
            .get_json(&format!(
                "/v1/audit?action=user.*&since={}&until={}&limit=1{cursor}",
                enc(&marks[0]),
                enc(&marks[2])
            ))
            .await;
        got.extend(seqs(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(got, [users[2].clone(), users[1].clone()]);
    // A family with fewer entries than the page asks for (the index path), and one with none.
    let page = admin.get_json(&format!("/v1/audit?action=user.*&since={}&limit=50", enc(&t0))).await;
    assert_eq!(seqs(&page), users.iter().rev().cloned().collect::<Vec<_>>());
    let page = admin.get_json("/v1/audit?action=billing.*").await;
    assert_eq!(seqs(&page), Vec::<String>::new());
    // A range in which nothing happened; equal and inverted bounds are refused.
    let (quiet_from, quiet_to) = (stamp(), stamp());
    let page = admin.get_json(&format!("/v1/audit?since={}&until={}", enc(&quiet_from), enc(&quiet_to))).await;
    assert_eq!(seqs(&page), Vec::<String>::new());
    for (since, until) in [(&marks[1], &marks[1]), (&marks[2], &marks[0])] {
        let (s, body) =
            admin.send(Method::GET, &format!("/v1/audit?since={}&until={}", enc(since), enc(until)), None).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed");
    }
    // Up to a mark, with the actor filter: the sign-in and the first user only.
    let me = admin.get_json("/v1/me").await;
    let page = admin
        .get_json(&format!(
            "/v1/audit?actor={}&since={}&until={}",
            me["id"].as_str().unwrap(),
            enc(&t0),
            enc(&marks[0])
        ))
        .await;
    assert_eq!(seqs(&page), [users[0].clone()], "{page}");
}

/// Downloads a chain export and writes it where `confab audit verify --file` can read it.
async fn chain_export(app: &TestApp, api: &Api, path: &str, file: &str) -> (std::path::PathBuf, Vec<String>) {
    let resp = api.get(path).await;
    assert_eq!(resp.status(), 200, "GET {path}");
    let text = resp.text().await.unwrap();
    let target = app.db.dir.join(file);
    std::fs::write(&target, &text).unwrap();
    (target, text.lines().map(str::to_string).collect())
}

/// Writes `lines` as a file and verifies it offline: (exit code, output).
fn verify_lines(app: &TestApp, file: &str, lines: &[String]) -> (i32, String) {
    let target = app.db.dir.join(file);
    std::fs::write(&target, lines.join("\n") + "\n").unwrap();
    let out = app.cli(&["audit", "verify", "--file", target.to_str().unwrap()], None);
    (out.code, format!("{}{}", out.stdout, out.stderr))
}

fn line_json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap()
}

async fn a_chain_export_verifies_offline_and_names_a_tampered_line(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    // Another tenant's activity interleaves with this one's; the export holds only this tenant's.
    let (_, globex) = app.second_tenant("globex").await;
    for i in 0..3 {
        app.create_user(&admin, &format!("u{i}@acme.example"), "member").await;
        globex.create_token(json!({ "name": format!("g{i}") })).await;
    }
    let me = admin.get_json("/v1/me").await;
    let tenant = me["active_tenant"]["id"].as_str().unwrap().to_string();

    let (file, lines) = chain_export(&app, &admin, "/v1/audit/export?chain=true", "acme.jsonl").await;
    let out = app.cli(&["audit", "verify", "--file", file.to_str().unwrap()], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("export intact"), "{}", out.stdout);
    assert!(out.stdout.contains("genesis"), "{}", out.stdout);
    let header = line_json(&lines[0]);
    assert_eq!(header["scope"], format!("tenant:{tenant}"));
    assert_eq!(header["anchor"]["source"], "genesis");
    let entries: Vec<serde_json::Value> = lines[1..lines.len() - 1].iter().map(|l| line_json(l)).collect();
    assert!(entries.iter().all(|e| e["tenant_id"] == tenant.as_str()), "only this tenant's entries");
    assert_eq!(entries[0]["action"], "audit.chain_started");
    assert_eq!(entries.iter().filter(|e| e["action"] == "user.created").count(), 3);
    // The export recorded itself before it was planned, so the file ends with it.
    assert_eq!(entries.last().unwrap()["action"], "audit.exported");
    let end = line_json(lines.last().unwrap());
    assert_eq!(end["confab_audit_export_end"]["entries"], entries.len());
    assert!(entries.len() >= 6);

    // One altered field of line 3 (entry #2).
    let mut altered = lines.clone();
    let mut e = line_json(&altered[2]);
    e["actor_label"] = json!("someone-else@acme.example");
    altered[2] = e.to_string();
    let (code, out) = verify_lines(&app, "altered.jsonl", &altered);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("BROKEN at line 3 (entry #2): contents do not match its hash"), "{out}");

    // A hash rewritten to cover the change: the next line no longer links to it.
    let mut rehashed = lines.clone();
    let mut e = line_json(&rehashed[3]);
    e["hash"] = json!("ab".repeat(32));
    rehashed[3] = e.to_string();
    let (code, out) = verify_lines(&app, "rehashed.jsonl", &rehashed);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("BROKEN at line 4 (entry #3)"), "{out}");

    // A deleted line.
    let mut deleted = lines.clone();
    deleted.remove(3);
    let (code, out) = verify_lines(&app, "deleted.jsonl", &deleted);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("BROKEN at line 4 (entry #4): entries #3 to #3 are missing"), "{out}");

    // Two lines swapped.
    let mut swapped = lines.clone();
    swapped.swap(3, 4);
    let (code, out) = verify_lines(&app, "swapped.jsonl", &swapped);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("BROKEN at line 4 (entry #4)"), "{out}");

    // The newest entry deleted: the end line gives it away; without the end line, so does that.
    let mut last_gone = lines.clone();
    last_gone.remove(lines.len() - 2);
    let (code, out) = verify_lines(&app, "last-gone.jsonl", &last_gone);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("entries were removed"), "{out}");
    let cut = lines[..lines.len() - 1].to_vec();
    let (code, out) = verify_lines(&app, "cut.jsonl", &cut);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("cut short"), "{out}");

    // A time range: from the second user's creation on, anchored to the entry before it.
    let since = entries.iter().filter(|e| e["action"] == "user.created").nth(1).unwrap()["created_at"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/v1/audit/export?chain=true&since={}", since.replace('+', "%2B"));
    let (file, ranged) = chain_export(&app, &admin, &path, "ranged.jsonl").await;
    let anchor = &line_json(&ranged[0])["anchor"];
    assert_eq!(anchor["source"], "previous_entry");
    assert_eq!(line_json(&ranged[1])["created_at"], since.as_str());
    assert_eq!(anchor["hash"], line_json(&ranged[1])["prev_hash"]);
    let out = app.cli(&["audit", "verify", "--file", file.to_str().unwrap()], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // The platform's own chain exports and verifies the same way.
    let (file, platform) = chain_export(&app, &admin, "/v1/platform/audit/export?chain=true", "platform.jsonl").await;
    assert_eq!(line_json(&platform[0])["scope"], "platform");
    assert!(platform.iter().any(|l| l.contains("tenant.created")));
    let out = app.cli(&["audit", "verify", "--file", file.to_str().unwrap()], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // A chain cannot be filtered by anything but time; nothing is recorded.
    let exports = app.audit_count(&admin, "audit.exported").await;
    for bad in ["/v1/audit/export?chain=true&action=auth.login", "/v1/audit/export?chain=true&target_type=user"] {
        let (s, body) = admin.send(Method::GET, bad, None).await;
        assert_eq!(s, 422, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "validation_failed");
    }
    assert_eq!(app.audit_count(&admin, "audit.exported").await, exports);
    // Another tenant's admin exports only their own chain.
    let (_, theirs) = chain_export(&app, &globex, "/v1/audit/export?chain=true", "globex.jsonl").await;
    assert!(theirs.iter().all(|l| !l.contains(&tenant)), "no entry of another tenant");
}

/// Splits CSV text into rows of raw cells (quotes and the formula guard kept), independently of
/// the server's writer and the verifier's reader.
fn raw_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cell, mut quoted) = (Vec::new(), Vec::new(), String::new(), false);
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cell.push(c);
            }
            ',' if !quoted => row.push(std::mem::take(&mut cell)),
            '\n' if !quoted => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            _ => cell.push(c),
        }
    }
    assert!(cell.is_empty() && row.is_empty(), "the CSV ends with a line break");
    rows
}

/// A raw cell's value: unquoted, and one leading `'` (the formula guard) removed.
fn csv_value(raw: &str) -> String {
    let v = match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => raw.to_string(),
    };
    v.strip_prefix('\'').map(str::to_string).unwrap_or(v)
}

fn csv_quote(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

fn csv_header_json(rows: &[Vec<String>]) -> serde_json::Value {
    assert_eq!(rows[1][0], "header");
    serde_json::from_str(&csv_value(&rows[1][13])).unwrap()
}

/// Downloads a CSV chain export, writes it to `file`, and returns it as rows of raw cells.
async fn csv_chain_export(app: &TestApp, api: &Api, path: &str, file: &str) -> (std::path::PathBuf, Vec<Vec<String>>) {
    let resp = api.get(path).await;
    assert_eq!(resp.status(), 200, "GET {path}");
    let disposition = resp.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.contains("-chain-") && disposition.contains(".csv"), "{disposition}");
    let text = resp.text().await.unwrap();
    let target = app.db.dir.join(file);
    std::fs::write(&target, &text).unwrap();
    (target, raw_csv(&text))
}

fn verify_csv_rows(app: &TestApp, file: &str, rows: &[Vec<String>]) -> (i32, String) {
    let text: String = rows.iter().map(|r| r.join(",") + "\n").collect();
    let target = app.db.dir.join(file);
    std::fs::write(&target, text).unwrap();
    let out = app.cli(&["audit", "verify", "--file", target.to_str().unwrap()], None);
    (out.code, format!("{}{}", out.stdout, out.stderr))
}

async fn a_csv_chain_export_verifies_offline_and_names_an_altered_row(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    // A user whose e-mail a spreadsheet would read as a formula: the sign-in entry's actor.
    app.create_user(&admin, "=cmd@acme.example", "member").await;
    app.login("=cmd@acme.example", PASSWORD).await;
    for i in 0..3 {
        app.create_user(&admin, &format!("user{i}@acme.example"), "member").await;
    }
    let (file, rows) = csv_chain_export(&app, &admin, "/v1/audit/export?chain=true&format=csv", "acme.csv").await;
    assert_eq!(
        rows[0].join(","),
        "kind,chain_seq,seq,id,tenant_id,actor_user_id,actor_label,action,target_type,target_id,outcome,ip,request_id,details,created_at,prev_hash,hash"
    );
    assert_eq!(csv_header_json(&rows)["anchor"]["source"], "genesis");
    let end = rows.last().unwrap();
    assert_eq!(end[0], "end");
    let end: serde_json::Value = serde_json::from_str(&csv_value(&end[13])).unwrap();
    let entries = &rows[2..rows.len() - 1];
    assert_eq!(end["entries"], entries.len(), "{end}");
    assert!(entries.iter().all(|r| r.len() == 17 && r[0] == "entry"));
    assert_eq!(entries[0][7], "audit.chain_started");
    assert_eq!(entries.last().unwrap()[7], "audit.exported");
    let out = app.cli(&["audit", "verify", "--file", file.to_str().unwrap()], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("export intact") && out.stdout.contains("genesis"), "{}", out.stdout);
    // Told apart by content too, whatever the file is called.
    let renamed = app.db.dir.join("acme-export.txt");
    std::fs::copy(&file, &renamed).unwrap();
    let out = app.cli(&["audit", "verify", "--file", renamed.to_str().unwrap()], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // The `=` cell is guarded with one `'`, and its hash recomputes from the cell: the same
    // entry in the JSON Lines export has the bare value and the same hash.
    let formula = entries.iter().position(|r| r[7] == "auth.login" && r[6].starts_with("'=")).expect("a guarded cell");
    assert_eq!(entries[formula][6], "'=cmd@acme.example");
    let (_, lines) = chain_export(&app, &admin, "/v1/audit/export?chain=true", "acme.jsonl").await;
    let chain_seq: i64 = entries[formula][1].parse().unwrap();
    let same = lines[1..lines.len() - 1].iter().map(|l| line_json(l)).find(|e| e["chain_seq"] == chain_seq).unwrap();
    assert_eq!(same["actor_label"], "=cmd@acme.example");
    assert_eq!(same["hash"], csv_value(&entries[formula][16]).as_str());
    // Two guards are one too many: the value changes, and so does the hash.
    let mut doubled = rows.clone();
    doubled[formula + 2][6] = "''=cmd@acme.example".into();
    let (code, out) = verify_csv_rows(&app, "doubled.csv", &doubled);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains(&format!("BROKEN at row {} (entry #{chain_seq})", formula + 3)), "{out}");

    // One altered cell of row 5 (entry #3), named by its row.
    let mut altered = rows.clone();
    assert_eq!(altered[4][1], "3");
    altered[4][6] = "someone-else@acme.example".into();
    let (code, out) = verify_csv_rows(&app, "altered.csv", &altered);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("BROKEN at row 5 (entry #3): contents do not match its hash"), "{out}");
    // A null turned into an empty string is a change too.
    let mut emptied = rows.clone();
    let (row, col) = (2..emptied.len() - 1)
        .flat_map(|r| [8, 9, 11, 12].map(|c| (r, c)))
        .find(|&(r, c)| emptied[r][c].is_empty())
        .expect("an entry with a null field");
    emptied[row][col] = "\"\"".into();
    let (code, out) = verify_csv_rows(&app, "emptied.csv", &emptied);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains(&format!("BROKEN at row {}", row + 1)), "{out}");
    // A removed row, and a cut-short file.
    let mut removed = rows.clone();
    removed.remove(4);
    let (code, out) = verify_csv_rows(&app, "removed.csv", &removed);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("BROKEN at row 5 (entry #4): entries #3 to #3 are missing"), "{out}");
    let (code, out) = verify_csv_rows(&app, "cut.csv", &rows[..rows.len() - 1]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("cut short"), "{out}");
}

async fn a_purged_prefix_still_verifies_from_its_checkpoint(b: Backend) {
    use confab_core::audit;
    use confab_core::domain::TenantId;
    use confab_core::store::audit::AuditScope;
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    for i in 0..5 {
        app.create_user(&admin, &format!("old{i}@acme.example"), "member").await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let cutoff = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    for i in 0..2 {
        app.create_user(&admin, &format!("new{i}@acme.example"), "member").await;
    }
    let me = admin.get_json("/v1/me").await;
    let tenant = TenantId(me["active_tenant"]["id"].as_str().unwrap().parse().unwrap());
    let (_, before) = chain_export(&app, &admin, "/v1/audit/export?chain=true", "before.jsonl").await;
    let older = before[1..before.len() - 1]
        .iter()
        .map(|l| line_json(l))
        .filter(|e| {
            e["created_at"].as_str().unwrap() < cutoff.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).as_str()
        })
        .count() as u64;
    assert!(older >= 7, "genesis, sign-in, five users: {older}");

    // The retention worker's call, in batches of 3.
    let store = confab_core::store::Store::connect(&app.db.url, 2).await.unwrap();
    let outcome = audit::purge_before(&store, AuditScope::Tenant(tenant), cutoff, 3).await.unwrap();
    assert_eq!(outcome.removed, older);
    assert_eq!(outcome.batches as u64, older.div_ceil(3));
    let again = audit::purge_before(&store, AuditScope::Tenant(tenant), cutoff, 3).await.unwrap();
    assert_eq!(again.removed, 0, "nothing older is left");
    let users = admin.get_json("/v1/audit?action=user.created").await;
    assert_eq!(users["items"].as_array().unwrap().len(), 2, "only the newer entries remain");
    let checkpoints = admin.get_json("/v1/audit?action=audit.purged").await;
    assert_eq!(checkpoints["items"].as_array().unwrap().len() as u32, outcome.batches);

    // The database chain verifies from the checkpoint...
    let out = app.cli(&["audit", "verify"], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // ...and so does an export, whose file itself holds the checkpoint that vouches for its anchor.
    let (file, after) = chain_export(&app, &admin, "/v1/audit/export?chain=true", "after.jsonl").await;
    let anchor = &line_json(&after[0])["anchor"];
    assert_eq!(anchor["source"], "checkpoint");
    assert_eq!(anchor["chain_seq"], older);
    assert_eq!(line_json(&after[1])["chain_seq"], older + 1);
    let out = app.cli(&["audit", "verify", "--file", file.to_str().unwrap()], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("confirmed by the file"), "{}", out.stdout);
    // The same as CSV: the checkpoint rows say what they are, and the file vouches for its anchor.
    let (file, rows) = csv_chain_export(&app, &admin, "/v1/audit/export?chain=true&format=csv", "after.csv").await;
    let header = csv_header_json(&rows);
    assert_eq!(header["anchor"]["source"], "checkpoint");
    assert_eq!(csv_value(&rows[2][1]), (older + 1).to_string());
    let checkpoint_rows: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "checkpoint").collect();
    assert_eq!(checkpoint_rows.len() as u32, outcome.batches);
    assert!(checkpoint_rows.iter().all(|r| r[7] == "audit.purged"));
    let out = app.cli(&["audit", "verify", "--file", file.to_str().unwrap()], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("confirmed by the file"), "{}", out.stdout);
    // A forged anchor in the CSV header row is caught by the checkpoint row.
    let mut forged = rows.clone();
    let mut h = header.clone();
    h["anchor"]["chain_seq"] = json!(older - 1);
    forged[1][13] = csv_quote(&h.to_string());
    let (code, out) = verify_csv_rows(&app, "forged.csv", &forged);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("BROKEN at row"), "{out}");
    // A forged anchor in the header is caught by the checkpoint line.
    let mut forged = after.clone();
    let mut header = line_json(&forged[0]);
    header["anchor"]["chain_seq"] = json!(older - 1);
    forged[0] = header.to_string();
    let (code, out) = verify_lines(&app, "forged.jsonl", &forged);
    assert_ne!(code, 0, "{out}");

    // Removing more without a checkpoint breaks the chain, in the database as in an export.
    let db = app.db.connect().await;
    let first_kept = line_json(&after[1])["seq"].as_i64().unwrap();
    db.execute_unprepared(&format!("DELETE FROM audit_log WHERE seq = {first_kept}")).await.unwrap();
    let out = app.cli(&["audit", "verify"], None);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("checkpoint"), "{}", out.stdout);
    let (file, _) = chain_export(&app, &admin, "/v1/audit/export?chain=true", "holed.jsonl").await;
    let out = app.cli(&["audit", "verify", "--file", file.to_str().unwrap()], None);
    assert_ne!(out.code, 0, "{}", out.stdout);
}

async fn concurrent_appends_across_tenants_keep_every_chain_intact(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (_, globex) = app.second_tenant("globex").await;
    assert_eq!(globex.post("/v1/me/tokens", json!({ "name": "first" })).await.status(), 201);
    let mut tasks = Vec::new();
    for i in 0..12 {
        for (n, api) in [&admin, &globex].into_iter().enumerate() {
            let api = api.clone();
            tasks.push(tokio::spawn(async move {
                let resp = api.post("/v1/me/tokens", json!({ "name": format!("t{n}-{i}") })).await;
                let status = resp.status().as_u16();
                if status != 201 {
                    panic!("tenant {n}, token {i}: {status} {}", resp.text().await.unwrap());
                }
                status
            }));
        }
    }
    // Platform entries meanwhile, in the platform's own chain: sign-ins of unknown accounts.
    for i in 0..10 {
        let anonymous = app.anonymous();
        tasks.push(tokio::spawn(async move {
            let login = json!({ "email": format!("nobody{i}@nowhere.example"), "password": "wrong wrong wrong" });
            let (s, _) = anonymous.send(Method::POST, "/v1/auth/login", Some(login)).await;
            // Recorded as a failure, answered as one.
            if s == 401 { 201 } else { s.as_u16() }
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    let out = app.cli(&["audit", "verify"], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    for (name, api, path) in [
        ("acme", &admin, "/v1/audit/export?chain=true"),
        ("globex", &globex, "/v1/audit/export?chain=true"),
        ("platform", &admin, "/v1/platform/audit/export?chain=true"),
    ] {
        let (file, lines) = chain_export(&app, api, path, &format!("{name}.jsonl")).await;
        let (action, at_least) = if name == "platform" { ("auth.login_failed", 10) } else { ("token.created", 12) };
        let at_least = if name == "globex" { at_least + 1 } else { at_least };
        let found = lines.iter().filter(|l| l.contains(&format!("\"action\":\"{action}\""))).count();
        assert!(found >= at_least, "{name}: {found} {action}");
        if name != "platform" {
            assert_eq!(found, at_least, "{name}");
        }
        let out = app.cli(&["audit", "verify", "--file", file.to_str().unwrap()], None);
        assert_eq!(out.code, 0, "{name}: {}{}", out.stdout, out.stderr);
    }
}

async fn legacy_entries_written_before_the_migration_still_verify(b: Backend) {
    use confab_core::audit::{Entry, entry_hash};
    use confab_core::domain::TenantId;
    use sea_orm::sea_query::{Expr, Query};
    use sea_orm::{ConnectionTrait, Statement};
    // A database as the previous version left it: migrations up to the 15th, a legacy global chain
    // of entries from two tenants and the platform, interleaved.
    let db = TestDb::new(b).await;
    let store = confab_core::store::Store::connect(&db.url, 2).await.unwrap();
    let conn = store.conn();
    store.migrate_steps(15).await.unwrap();
    let tenants = [Some(TenantId(uuid::Uuid::now_v7())), None, Some(TenantId(uuid::Uuid::now_v7()))];
    let mut prev = "0".repeat(64);
    let mut insert = Query::insert()
        .into_table(sea_orm::sea_query::Alias::new("audit_log"))
        .columns(
            [
                "id",
                "seq",
                "tenant_id",
                "actor_user_id",
                "actor_label",
                "action",
                "target_type",
                "target_id",
                "outcome",
                "ip",
                "request_id",
                "details",
                "created_at",
                "prev_hash",
                "hash",
            ]
            .map(sea_orm::sea_query::Alias::new),
        )
        .to_owned();
    for seq in 1..=6i64 {
        let e = Entry {
            id: uuid::Uuid::now_v7(),
            seq,
            tenant_id: tenants[(seq % 3) as usize],
            actor_user_id: None,
            actor_label: "cli".into(),
            action: "tenant.created".into(),
            target_type: Some("tenant".into()),
            target_id: Some(format!("legacy-{seq}")),
            outcome: "success".into(),
            ip: None,
            request_id: None,
            details: "{}".into(),
            created_at: chrono::DurationRound::duration_trunc(chrono::Utc::now(), chrono::Duration::microseconds(1))
                .unwrap(),
            prev_hash: prev.clone(),
            hash: String::new(),
            chain_seq: None,
        };
        let hash = entry_hash(&e);
        insert.values_panic([
            Expr::value(e.id),
            Expr::value(e.seq),
            Expr::value(e.tenant_id.map(|t| t.0)),
            Expr::value(Option::<uuid::Uuid>::None),
            Expr::value(e.actor_label),
            Expr::value(e.action),
            Expr::value(e.target_type),
            Expr::value(e.target_id),
            Expr::value(e.outcome),
            Expr::value(Option::<String>::None),
            Expr::value(Option::<String>::None),
            Expr::value(e.details),
            Expr::value(e.created_at),
            Expr::value(e.prev_hash),
            Expr::value(hash.clone()),
        ]);
        prev = hash;
    }
    let backend = conn.get_database_backend();
    conn.execute_raw(backend.build(&insert)).await.unwrap();
    conn.execute_raw(Statement::from_string(
        backend,
        format!("UPDATE audit_chain SET seq = 6, hash = '{prev}' WHERE id = 1"),
    ))
    .await
    .unwrap();
    if b == Backend::Postgres {
        let env = vec![("CONFAB_DATABASE__URL".to_string(), db.url.clone())];
        let out = run_cli(&env, &db.dir, &["migrate"], None);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout.contains("the schema is current") && !out.stdout.contains(" 0 migration(s)"),
            "{}",
            out.stdout
        );
    }

    // The new version (SQLite: `serve` migrates) appends in per-scope chains after them.
    let app = TestApp::start(db, Options::default());
    let admin = app.admin().await;
    app.create_user(&admin, "mia@acme.example", "member").await;
    let out = app.cli(&["audit", "verify"], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let (_, lines) = chain_export(&app, &admin, "/v1/audit/export?chain=true", "acme.jsonl").await;
    let genesis = line_json(&lines[1]);
    assert_eq!(genesis["action"], "audit.chain_started");
    let details = line_json(genesis["details"].as_str().unwrap());
    assert_eq!(details, json!({ "legacy_seq": 6, "legacy_hash": prev }), "the genesis commits to the legacy head");
    assert!(genesis["seq"].as_i64().unwrap() > 6, "row numbers continue after the legacy ones");

    // A legacy entry altered after the migration is still caught, by its legacy hash.
    conn.execute_unprepared("UPDATE audit_log SET actor_label = 'someone' WHERE seq = 2").await.unwrap();
    let out = app.cli(&["audit", "verify"], None);
    assert_ne!(out.code, 0);
    assert!(out.stdout.contains("BROKEN at entry #2"), "{}", out.stdout);
}

both_backends!(
    a_csv_chain_export_verifies_offline_and_names_an_altered_row,
    each_audited_action_leaves_exactly_one_entry,
    the_log_filters_and_pages,
    time_ranges_and_action_families_select_exactly,
    audit_verify_passes_then_names_the_altered_entry,
    concurrent_changes_keep_the_chain_intact,
    a_chain_export_verifies_offline_and_names_a_tampered_line,
    a_purged_prefix_still_verifies_from_its_checkpoint,
    concurrent_appends_across_tenants_keep_every_chain_intact,
    legacy_entries_written_before_the_migration_still_verify,
);
