//! The admin console's server side: its own listener and session cookie, sign-in only for those
//! who govern a tenant or the installation, the shorter idle timeout, the optional mount on the
//! main listener, and what its views read — user search, sessions revoked, audit filters,
//! downloads and verification, the overview, quota standings and system health.
use confab_tests::*;
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::time::Duration;

async fn setup(b: Backend) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, Options::default().upstream(&upstream)).await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

async fn only_governors_sign_in_to_the_console_and_its_session_stays_there(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    app.create_user(&admin, "mia@acme.example", "member").await;
    app.create_user(&admin, "aud@acme.example", "auditor").await;

    // A member proves her password and is told, plainly, that the console is not hers.
    let (s, body, _) = app.console_login("mia@acme.example", PASSWORD).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    assert!(body["error"]["message"].as_str().unwrap().contains("admin console"), "{body}");
    assert_eq!(app.audit_count(&admin, "auth.login_failed").await, 1);
    // A wrong password there is the usual 401, saying nothing about the account.
    let (s, body, _) = app.console_login("mia@acme.example", "not her password").await;
    assert_eq!(error_code(s, &body, 401), "invalid_credentials");

    // An auditor signs in, with the console's own cookie, and reads.
    let resp = app.console().post("/v1/auth/login", json!({ "email": "aud@acme.example", "password": PASSWORD })).await;
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("confab_admin_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let (s, _, auditor) = app.console_login("aud@acme.example", PASSWORD).await;
    assert_eq!(s, 200);
    let me = auditor.get_json("/v1/me").await;
    assert_eq!(me["active_tenant"]["role"], "auditor");
    auditor.get_json("/v1/audit?limit=5").await;
    // Read-only: the auditor cannot change users.
    let (s, body) = auditor
        .send(
            Method::POST,
            "/v1/users",
            Some(json!({ "email": "x@acme.example", "password": PASSWORD, "role": "member" })),
        )
        .await;
    assert_eq!(error_code(s, &body, 403), "forbidden");

    // A console session is not a chat session, nor the other way round (browsers send a host's
    // cookies to every port, so the names and the surfaces both matter).
    let console_cookie = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string();
    let as_chat = reqwest::Client::new()
        .get(app.url("/v1/me"))
        .header("Cookie", format!("confab_session={console_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(as_chat.status(), 401, "a console session used as the chat's cookie");
    let chat = app.login("aud@acme.example", PASSWORD).await;
    let chat_me = chat.get_json("/v1/me").await;
    assert_eq!(chat_me["email"], "aud@acme.example");
    let admin_base = app.admin_base.clone().unwrap();
    let resp = chat.client.get(format!("{admin_base}/v1/me")).send().await.unwrap();
    assert_eq!(resp.status(), 401, "the chat's session does not open the console");

    // The platform admin signs in there too, and sees the system's health.
    let (s, _, platform) = app.console_login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(s, 200);
    let health = platform.get_json("/v1/platform/health").await;
    assert_eq!(health["status"], "ready");
    assert_eq!(health["ready"], true);
    assert_eq!(health["database_backend"], if b == Backend::Postgres { "postgres" } else { "sqlite" });
    assert_eq!(health["search_backend"], "sql");
    assert!(health["checks"].as_array().unwrap().iter().all(|c| c["ok"] == true), "{health}");
    let (s, body) = auditor.send(Method::GET, "/v1/platform/health", None).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");

    // In the console, only tenants one governs: the platform admin is a plain member of Globex.
    let (globex, _) = app.second_tenant("globex").await;
    let out =
        app.cli(&["admin", "create-user", "--tenant", "globex", "--email", ADMIN_EMAIL, "--role", "member"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (s, body) = platform.send(Method::PUT, "/v1/me/active-tenant", Some(json!({ "tenant_id": globex }))).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
    let (s, body) = admin.send(Method::PUT, "/v1/me/active-tenant", Some(json!({ "tenant_id": globex }))).await;
    assert_eq!(s, 200, "the chat may switch there: {body}");

    // The console's document is served there, with the strict policy.
    let resp = reqwest::get(format!("{admin_base}/")).await.unwrap();
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"), "{csp}");
}

async fn console_sessions_end_after_their_own_idle_timeout(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let opts = Options::default().upstream(&upstream).env("CONFAB_AUTH__ADMIN_SESSION_IDLE_SECS", "2");
    let app = TestApp::spawn_with(b, opts).await;
    let chat = app.admin().await;
    let (s, _, console) = app.console_login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(s, 200);
    console.get_json("/v1/me").await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let (s, body) = console.send(Method::GET, "/v1/me", None).await;
    assert_eq!(error_code(s, &body, 401), "unauthenticated", "idle longer than the console allows");
    chat.get_json("/v1/me").await;
}

async fn the_console_can_live_on_the_main_listener(b: Backend) {
    let upstream = ScriptedUpstream::start().await;
    let opts = Options::default()
        .upstream(&upstream)
        .env("CONFAB_ADMIN__LISTEN", "off")
        .env("CONFAB_ADMIN__MOUNT_ON_MAIN", "true");
    let app = TestApp::spawn_with(b, opts).await;
    assert!(app.admin_base.is_none(), "no listener of its own");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = client.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(resp.status(), 308);
    assert_eq!(resp.headers()["location"], "/admin/");
    let resp = client.get(app.url("/admin/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let console = Api {
        app_base: app.url("/admin"),
        client: reqwest::Client::builder().cookie_store(true).build().unwrap(),
        csrf: None,
        bearer: None,
    };
    let resp = console.post("/v1/auth/login", json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["set-cookie"].to_str().unwrap().starts_with("confab_admin_session="));
    console.get_json("/v1/me").await;
    let mike = app.create_user(&app.admin().await, "mike@acme.example", "member").await;
    assert!(!mike.is_empty());
    let (s, body) = Api { csrf: None, ..console.clone() }
        .send(Method::POST, "/v1/auth/login", Some(json!({ "email": "mike@acme.example", "password": PASSWORD })))
        .await;
    assert_eq!(error_code(s, &body, 403), "forbidden");
}

async fn users_are_searched_filtered_and_signed_out_everywhere(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    for (email, role) in [
        ("zoe.smith@acme.example", "member"),
        ("zack@acme.example", "auditor"),
        ("percent%@acme.example", "member"),
        ("carl@acme.example", "tenant_admin"),
    ] {
        app.create_user(&admin, email, role).await;
    }
    let emails = |page: &Value| -> Vec<String> {
        let mut v: Vec<String> =
            page["items"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(emails(&admin.get_json("/v1/users?q=ZOE").await), ["zoe.smith@acme.example"]);
    assert_eq!(emails(&admin.get_json("/v1/users?q=%25").await), ["percent%@acme.example"], "% matches itself");
    assert_eq!(emails(&admin.get_json("/v1/users?q=_").await), Vec::<String>::new(), "_ matches itself");
    assert_eq!(emails(&admin.get_json("/v1/users?role=auditor").await), ["zack@acme.example"]);
    assert_eq!(emails(&admin.get_json("/v1/users?q=z&role=member").await), ["zoe.smith@acme.example"]);
    // Three characters and more go through the trigram index on SQLite: the same answers.
    assert_eq!(emails(&admin.get_json("/v1/users?q=ACK%40").await), ["zack@acme.example"]);
    assert_eq!(emails(&admin.get_json("/v1/users?q=h%40acme.ex").await), ["zoe.smith@acme.example"]);
    assert_eq!(emails(&admin.get_json("/v1/users?q=t%25%40").await), ["percent%@acme.example"]);
    assert_eq!(emails(&admin.get_json("/v1/users?q=%22zoe").await), Vec::<String>::new(), "a quote is text");
    assert_eq!(emails(&admin.get_json("/v1/users?q=e%20z").await), Vec::<String>::new(), "e-mail and name are apart");
    // Whatever writes to `users` (a rename, an erasure), the search follows.
    let db = app.db.connect().await;
    db.execute_unprepared("UPDATE users SET display_name = 'Quentin Renamed' WHERE email = 'zack@acme.example'")
        .await
        .unwrap();
    assert_eq!(emails(&admin.get_json("/v1/users?q=tin%20ren").await), ["zack@acme.example"]);
    db.execute_unprepared("UPDATE users SET email = 'erased-1@invalid.example' WHERE email = 'zack@acme.example'")
        .await
        .unwrap();
    assert_eq!(emails(&admin.get_json("/v1/users?q=zack%40").await), Vec::<String>::new());
    assert_eq!(emails(&admin.get_json("/v1/users?q=erased-1").await), ["erased-1@invalid.example"]);
    db.execute_unprepared("UPDATE users SET email = 'zack@acme.example' WHERE email = 'erased-1@invalid.example'")
        .await
        .unwrap();
    // Paging through a search keeps the search.
    let first = admin.get_json("/v1/users?q=acme&limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = admin.get_json(&format!("/v1/users?q=acme&limit=2&cursor={cursor}")).await;
    let mut all = emails(&first);
    all.extend(emails(&second));
    let third = match second["next_cursor"].as_str() {
        Some(c) => admin.get_json(&format!("/v1/users?q=acme&limit=2&cursor={c}")).await,
        None => json!({ "items": [] }),
    };
    all.extend(emails(&third));
    all.sort();
    assert_eq!(all.len(), 5, "the four users and the admin: {all:?}");
    let (s, body) = admin.send(Method::GET, "/v1/users?q=", None).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    // A NUL character is refused on both databases (PostgreSQL cannot take one in any text).
    let (s, body) = admin.send(Method::GET, "/v1/users?status=disabled&q=a%00b", None).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    let (s, body) = admin.send(Method::GET, "/v1/users?status=gone", None).await;
    assert_eq!(s.as_u16() / 100, 4, "{body}");

    // Revoking sessions signs the user out of the chat and the console at once.
    let zack_id = admin.get_json("/v1/users?q=zack").await["items"][0]["id"].as_str().unwrap().to_string();
    let zack_chat = app.login("zack@acme.example", PASSWORD).await;
    let (s, _, zack_console) = app.console_login("zack@acme.example", PASSWORD).await;
    assert_eq!(s, 200);
    let resp = admin.post(&format!("/v1/users/{zack_id}/sessions/revoke"), json!({})).await;
    assert_eq!(resp.status(), 204);
    for api in [&zack_chat, &zack_console] {
        let (s, body) = api.send(Method::GET, "/v1/me", None).await;
        assert_eq!(error_code(s, &body, 401), "unauthenticated");
    }
    assert_eq!(app.audit_count(&admin, "user.sessions_revoked").await, 1);
    // Not across tenants, and not by a member.
    let (_, other) = app.second_tenant("globex").await;
    let (s, body) = other.send(Method::POST, &format!("/v1/users/{zack_id}/sessions/revoke"), None).await;
    assert_eq!(error_code(s, &body, 404), "not_found");
    app.create_user(&admin, "mo@acme.example", "member").await;
    let mo = app.login("mo@acme.example", PASSWORD).await;
    let (s, body) = mo.send(Method::POST, &format!("/v1/users/{zack_id}/sessions/revoke"), None).await;
    assert_eq!(error_code(s, &body, 403), "forbidden");

    // A user's own tokens, for the console's user page.
    let (_, zoe_token) = {
        let zoe = app.login("zoe.smith@acme.example", PASSWORD).await;
        zoe.create_token(json!({ "name": "zoe laptop" })).await
    };
    assert!(!zoe_token.is_empty());
    let zoe_id = admin.get_json("/v1/users?q=zoe").await["items"][0]["id"].as_str().unwrap().to_string();
    let tokens = admin.get_json(&format!("/v1/tokens?user_id={zoe_id}")).await;
    let names: Vec<&str> = tokens["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["zoe laptop"]);
    let tokens = admin.get_json(&format!("/v1/tokens?user_id={zack_id}")).await;
    assert_eq!(tokens["items"], json!([]));
}

async fn the_audit_log_filters_downloads_and_verifies(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let ann = app.create_user(&admin, "ann@acme.example", "member").await;
    let resp = admin.put(&format!("/v1/users/{ann}/role"), json!({ "role": "auditor" })).await;
    assert_eq!(resp.status(), 200);
    // A detail a spreadsheet would run as a formula, in the actor's own display name.
    app.create_user(&admin, "=cmd@acme.example", "member").await;

    let page = admin.get_json(&format!("/v1/audit?target_type=user&target_id={ann}")).await;
    let actions: Vec<&str> = page["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["user.role_changed", "user.created"]);
    let page = admin.get_json("/v1/audit?action=user.*").await;
    assert!(page["items"].as_array().unwrap().iter().all(|e| e["action"].as_str().unwrap().starts_with("user.")));
    assert_eq!(page["items"].as_array().unwrap().len(), 3, "{page}");
    for bad in ["action=a%20b", "action=*", "action=user.*.x", "target_type="] {
        let (s, body) = admin.send(Method::GET, &format!("/v1/audit?{bad}"), None).await;
        assert_eq!(error_code(s, &body, 422), "validation_failed", "{bad}");
    }

    // Downloads: JSON Lines and CSV, the same entries as the list, newest first.
    let resp = admin.get("/v1/audit/export?action=user.*").await;
    assert_eq!(resp.status(), 200);
    let disposition = resp.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment") && disposition.contains(".jsonl"), "{disposition}");
    let text = resp.text().await.unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0]["action"], "user.created");
    assert_eq!(lines[0]["details"]["email"], "=cmd@acme.example", "{}", lines[0]);
    let resp = admin.get("/v1/audit/export?format=csv&action=user.created").await;
    assert_eq!(resp.status(), 200);
    let csv = resp.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("seq,created_at,tenant_id,actor"), "{csv}");
    assert_eq!(rows.len(), 3, "a header and two entries: {csv}");
    assert!(!csv.contains(",=cmd"), "no cell starts a formula: {csv}");
    // Taking a copy is itself audited, with the filters and never the content.
    let exported = admin.get_json("/v1/audit?action=audit.exported").await;
    assert_eq!(exported["items"].as_array().unwrap().len(), 2);
    assert_eq!(exported["items"][0]["details"]["format"], "csv");

    // A member can neither list nor download.
    app.create_user(&admin, "mo@acme.example", "member").await;
    let mo = app.login("mo@acme.example", PASSWORD).await;
    for path in ["/v1/audit/export", "/v1/audit/verify", "/v1/platform/audit/export"] {
        let (s, body) = mo.send(Method::GET, path, None).await;
        assert_eq!(error_code(s, &body, 403), "forbidden", "{path}");
    }

    // The chain verifies; the tenant learns only that, the platform admin also how much.
    let v = admin.get_json("/v1/audit/verify").await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["checked"], Value::Null);
    let v = admin.get_json("/v1/platform/audit/verify").await;
    assert_eq!(v["ok"], true);
    assert!(v["checked"].as_i64().unwrap() > 5, "{v}");
    // Platform entries download too.
    let resp = admin.get("/v1/platform/audit/export?format=jsonl").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().lines().count() >= 1);
}

async fn the_overview_and_quota_standings_show_the_tenants_activity(b: Backend) {
    let (_upstream, app, admin) = setup(b).await;
    let carol = app.create_user(&admin, "carol@acme.example", "member").await;
    let dan = app.create_user(&admin, "dan@acme.example", "member").await;
    let (s, q) = admin
        .send(
            Method::PUT,
            "/v1/tenant/quotas",
            Some(json!({ "subject": "user", "user_id": carol, "period": "day", "token_limit": 0 })),
        )
        .await;
    assert_eq!(s, 200, "{q}");
    let (s, q) = admin
        .send(
            Method::PUT,
            "/v1/tenant/quotas",
            Some(json!({ "subject": "user_default", "period": "month", "token_limit": 100000 })),
        )
        .await;
    assert_eq!(s, 200, "{q}");
    let dan_api = app.login("dan@acme.example", PASSWORD).await;
    // Three streamed answers whose first tokens come after about 0, 100 and 300 ms.
    for (i, (api, delay)) in [(&admin, 0), (&dan_api, 100), (&dan_api, 300)].into_iter().enumerate() {
        let conv = api.conversation().await;
        let (s, body) = api
            .post_idem(
                &format!("/v1/conversations/{conv}/messages"),
                &format!("k{i}"),
                json!({ "content": format!("hello [upstream tokens=5 delay_ms={delay}]"), "model": "gpt-4o" }),
            )
            .await;
        assert_eq!(s, 202, "{body}");
        let done = api.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "completed");
    }
    // A turn the provider fails.
    let conv = dan_api.conversation().await;
    let (s, body) = dan_api
        .post_idem(
            &format!("/v1/conversations/{conv}/messages"),
            "kf",
            json!({ "content": "x [upstream status=400]", "model": "gpt-4o" }),
        )
        .await;
    assert_eq!(s, 202, "{body}");
    let failed = dan_api.wait_final(body["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed", "{failed}");

    let o = admin.get_json("/v1/tenant/overview?days=7").await;
    let days = o["days"].as_array().unwrap();
    assert_eq!(days.len(), 7, "every day of the range");
    let today = &days[6];
    assert_eq!(today["turns"], 4, "{o}");
    assert_eq!(today["failed_turns"], 1);
    assert_eq!(today["active_users"], 2);
    assert!(today["output_tokens"].as_i64().unwrap() >= 15, "{today}");
    // Nearest rank over three values: the median is the middle one, the 99th the slowest.
    let p50 = today["ttft_p50_ms"].as_i64().expect("streamed answers have a TTFT");
    let p99 = today["ttft_p99_ms"].as_i64().unwrap();
    assert!((100..300).contains(&p50), "p50 {p50} ms: {today}");
    assert!(p99 >= 300, "p99 {p99} ms: {today}");
    assert_eq!(days[0]["turns"], 0);
    assert_eq!(days[0]["ttft_p50_ms"], Value::Null);
    assert_eq!(o["users_total"], 3);
    assert_eq!(o["users_active"], 2);
    assert_eq!(o["top_models"][0]["model"], "gpt-4o");
    for bad in ["days=0", "days=367", "days=x"] {
        let (s, body) = admin.send(Method::GET, &format!("/v1/tenant/overview?{bad}"), None).await;
        assert_eq!(s.as_u16() / 100, 4, "{bad}: {body}");
    }

    // Carol's zero quota is full; Dan is far from his monthly default.
    let standing = admin.get_json("/v1/tenant/quotas/standing").await;
    let items = standing["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{standing}");
    assert_eq!(items[0]["email"], "carol@acme.example");
    assert_eq!(items[0]["percent"], 100.0);
    let all = admin.get_json("/v1/tenant/quotas/standing?min_percent=0").await;
    let dan_row = all["items"].as_array().unwrap().iter().find(|r| r["user_id"] == dan.as_str()).cloned();
    let dan_row = dan_row.unwrap_or_else(|| panic!("dan in {all}"));
    assert_eq!(dan_row["period"], "month");
    assert_eq!(dan_row["limit"], 100000);
    assert!(dan_row["used"].as_i64().unwrap() > 0);

    // Another tenant sees none of it; a member sees neither page.
    let (_, other) = app.second_tenant("globex").await;
    let o = other.get_json("/v1/tenant/overview").await;
    assert!(o["days"].as_array().unwrap().iter().all(|d| d["turns"] == 0), "{o}");
    assert_eq!(other.get_json("/v1/tenant/quotas/standing?min_percent=0").await["items"], json!([]));
    for path in ["/v1/tenant/overview", "/v1/tenant/quotas/standing"] {
        let (s, body) = dan_api.send(Method::GET, path, None).await;
        assert_eq!(error_code(s, &body, 403), "forbidden", "{path}");
    }
}

both_backends!(
    only_governors_sign_in_to_the_console_and_its_session_stays_there,
    console_sessions_end_after_their_own_idle_timeout,
    the_console_can_live_on_the_main_listener,
    users_are_searched_filtered_and_signed_out_everywhere,
    the_audit_log_filters_downloads_and_verifies,
    the_overview_and_quota_standings_show_the_tenants_activity,
);
