//! The authorization matrix: every endpoint, every role, exactly what the policy says.
use confab_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Member,
    Auditor,
    TenantAdmin,
    PlatformAdmin,
}

const ALL: &[Who] = &[Who::Member, Who::Auditor, Who::TenantAdmin, Who::PlatformAdmin];
const ADMINS: &[Who] = &[Who::TenantAdmin];
const READERS: &[Who] = &[Who::Auditor, Who::TenantAdmin];
const PLATFORM: &[Who] = &[Who::PlatformAdmin];

struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
    allowed: &'static [Who],
}

fn case(method: Method, path: impl Into<String>, body: Option<Value>, allowed: &'static [Who]) -> Case {
    Case { method, path: path.into(), body, allowed }
}

/// Every endpoint that needs a credential. Bodies are chosen so that an allowed call changes
/// nothing (unknown ids, invalid values): the matrix checks the gate, not the behaviour.
fn cases(tenant: &str, member_id: &str) -> Vec<Case> {
    let nobody = uuid::Uuid::now_v7();
    vec![
        case(Method::GET, "/v1/me", None, ALL),
        case(Method::PUT, "/v1/me/active-tenant", Some(json!({ "tenant_id": tenant })), ALL),
        case(
            Method::POST,
            "/v1/me/password",
            Some(json!({ "current_password": "not it at all", "new_password": "whatever whatever 1" })),
            ALL,
        ),
        case(Method::GET, "/v1/me/tokens", None, ALL),
        case(Method::POST, "/v1/me/tokens", Some(json!({ "name": "" })), ALL),
        case(Method::DELETE, format!("/v1/me/tokens/{nobody}"), None, ALL),
        case(Method::GET, "/v1/me/export", None, ALL),
        case(Method::GET, "/v1/tokens", None, READERS),
        case(Method::DELETE, format!("/v1/tokens/{nobody}"), None, ADMINS),
        case(Method::GET, "/v1/users", None, READERS),
        case(
            Method::POST,
            "/v1/users",
            Some(json!({ "email": "new@acme.example", "password": "weak", "role": "member" })),
            ADMINS,
        ),
        case(Method::GET, format!("/v1/users/{member_id}"), None, READERS),
        case(Method::POST, format!("/v1/users/{nobody}/sessions/revoke"), None, ADMINS),
        case(Method::PUT, format!("/v1/users/{nobody}/role"), Some(json!({ "role": "member" })), ADMINS),
        case(Method::POST, format!("/v1/users/{nobody}/disable"), None, ADMINS),
        case(Method::POST, format!("/v1/users/{nobody}/enable"), None, ADMINS),
        case(Method::GET, "/v1/audit", None, READERS),
        case(Method::GET, "/v1/audit/export?action=none.none", None, READERS),
        case(Method::GET, "/v1/audit/verify", None, READERS),
        case(Method::GET, "/v1/platform/audit", None, PLATFORM),
        case(Method::GET, "/v1/platform/audit/export?action=none.none", None, PLATFORM),
        case(Method::GET, "/v1/platform/audit/verify", None, PLATFORM),
        case(Method::GET, "/v1/platform/health", None, PLATFORM),
        case(Method::GET, "/v1/tenant/overview?days=2", None, READERS),
        case(Method::GET, "/v1/tenant/quotas/standing", None, READERS),
        case(Method::GET, "/v1/tenant/plugins/runs", None, READERS),
        case(Method::GET, "/v1/tenants", None, PLATFORM),
        case(Method::POST, "/v1/tenants", Some(json!({ "name": "X", "slug": "-bad-" })), PLATFORM),
        case(Method::GET, format!("/v1/tenants/{nobody}"), None, PLATFORM),
        case(Method::POST, format!("/v1/tenants/{nobody}/disable"), None, PLATFORM),
        case(Method::POST, format!("/v1/tenants/{nobody}/enable"), None, PLATFORM),
        case(Method::GET, "/v1/conversations", None, ALL),
        case(Method::POST, "/v1/conversations", Some(json!({ "title": "" })), ALL),
        case(Method::GET, format!("/v1/conversations/{nobody}"), None, ALL),
        case(Method::PATCH, format!("/v1/conversations/{nobody}"), Some(json!({ "title": "x" })), ALL),
        case(Method::DELETE, format!("/v1/conversations/{nobody}"), None, ALL),
        case(
            Method::PUT,
            format!("/v1/conversations/{nobody}/active-branch"),
            Some(json!({ "message_id": nobody })),
            ALL,
        ),
        case(Method::POST, format!("/v1/conversations/{nobody}/messages"), Some(json!({ "content": "hi" })), ALL),
        case(Method::GET, format!("/v1/messages/{nobody}"), None, ALL),
        case(Method::GET, format!("/v1/messages/{nobody}/events"), None, ALL),
        case(Method::POST, format!("/v1/messages/{nobody}/cancel"), None, ALL),
        case(Method::POST, format!("/v1/messages/{nobody}/regenerate"), Some(json!({})), ALL),
        case(Method::POST, format!("/v1/messages/{nobody}/continue"), None, ALL),
        case(Method::POST, format!("/v1/messages/{nobody}/edit"), Some(json!({ "content": "x" })), ALL),
        case(Method::GET, "/v1/models", None, ALL),
        case(
            Method::PUT,
            "/v1/models/x",
            Some(
                json!({ "provider": "none", "context_window": 1, "max_output_tokens": 1, "input_price_per_million": 0, "output_price_per_million": 0 }),
            ),
            ADMINS,
        ),
        case(Method::DELETE, "/v1/models/x", None, ADMINS),
        case(Method::GET, "/v1/providers", None, ADMINS),
        case(Method::PUT, "/v1/providers/none/key", Some(json!({ "api_key": "k" })), ADMINS),
        case(Method::DELETE, "/v1/providers/none/key", None, ADMINS),
        // Presets: personal ones for everyone, tenant ones and the model policy for admins.
        case(Method::GET, "/v1/presets", None, ALL),
        case(Method::POST, "/v1/presets", Some(json!({ "name": "" })), ALL),
        case(Method::POST, "/v1/presets", Some(json!({ "source": "tenant", "name": "" })), ADMINS),
        case(Method::GET, format!("/v1/presets/{nobody}"), None, ALL),
        case(Method::PUT, format!("/v1/presets/{nobody}"), Some(json!({ "name": "x" })), ALL),
        case(Method::DELETE, format!("/v1/presets/{nobody}"), None, ALL),
        case(Method::GET, format!("/v1/presets/{nobody}/versions"), None, ALL),
        case(Method::GET, format!("/v1/presets/{nobody}/versions/1"), None, ALL),
        case(Method::GET, format!("/v1/presets/{nobody}/diff?from=1&to=2"), None, ALL),
        case(Method::GET, "/v1/tenant/preset-policy", None, ALL),
        case(Method::PUT, "/v1/tenant/preset-policy", Some(json!({ "allowed_models": ["no-such-model"] })), ADMINS),
        case(Method::PUT, format!("/v1/conversations/{nobody}/preset"), Some(json!({ "preset_id": null })), ALL),
        // Usage and quotas.
        case(Method::GET, "/v1/usage", None, ALL),
        case(Method::GET, "/v1/tenant/usage", None, READERS),
        case(Method::GET, "/v1/tenant/quotas", None, READERS),
        case(
            Method::PUT,
            "/v1/tenant/quotas",
            Some(json!({ "subject": "tenant", "period": "day", "token_limit": -1 })),
            ADMINS,
        ),
        case(Method::DELETE, format!("/v1/tenant/quotas/{nobody}"), None, ADMINS),
        // Shares and snapshots.
        case(Method::POST, format!("/v1/conversations/{nobody}/shares"), Some(json!({ "visibility": "tenant" })), ALL),
        case(Method::GET, "/v1/shares", None, ALL),
        case(Method::GET, format!("/v1/shares/{nobody}"), None, ALL),
        case(Method::DELETE, format!("/v1/shares/{nobody}"), None, ALL),
        case(Method::GET, format!("/v1/shares/{nobody}/views"), None, ALL),
        case(Method::GET, format!("/v1/snapshots/{nobody}"), None, ALL),
        case(Method::GET, "/v1/tenant/shares", None, ADMINS),
        case(Method::GET, "/v1/tenant/sharing", None, ALL),
        case(Method::PUT, "/v1/tenant/sharing", Some(json!({ "links_allowed": false })), ADMINS),
        // Search.
        case(Method::GET, "/v1/search?q=canary", None, ALL),
        // Plugins: uploads for platform admins, each tenant's chain for its admins.
        case(Method::POST, "/v1/plugins", Some(json!({ "manifest": {}, "component_base64": "!" })), PLATFORM),
        case(Method::GET, "/v1/plugins", None, PLATFORM),
        case(Method::GET, "/v1/tenant/plugins", None, ALL),
        case(Method::GET, "/v1/tenant/plugins/available", None, ADMINS),
        case(Method::PUT, "/v1/tenant/plugins/none", Some(json!({ "version": "0.0.0", "enabled": false })), ADMINS),
        case(Method::DELETE, "/v1/tenant/plugins/none", None, ADMINS),
        case(Method::PUT, "/v1/tenant/plugin-order", Some(json!({ "names": ["none"] })), ADMINS),
        // SIEM sinks of the audit log: the tenant's for its admins (auditors read), the
        // installation's for platform admins.
        case(Method::GET, "/v1/tenant/audit-sinks", None, READERS),
        case(
            Method::POST,
            "/v1/tenant/audit-sinks",
            Some(json!({ "name": "x", "kind": "webhook", "url": "ftp://nowhere.example/" })),
            ADMINS,
        ),
        case(Method::GET, format!("/v1/tenant/audit-sinks/{nobody}"), None, READERS),
        case(Method::PATCH, format!("/v1/tenant/audit-sinks/{nobody}"), Some(json!({ "name": "x" })), ADMINS),
        case(Method::DELETE, format!("/v1/tenant/audit-sinks/{nobody}"), None, ADMINS),
        case(Method::POST, format!("/v1/tenant/audit-sinks/{nobody}/test"), None, ADMINS),
        case(Method::GET, "/v1/platform/audit-sinks", None, PLATFORM),
        case(
            Method::POST,
            "/v1/platform/audit-sinks",
            Some(json!({ "name": "x", "kind": "webhook", "url": "ftp://nowhere.example/" })),
            PLATFORM,
        ),
        case(Method::GET, format!("/v1/platform/audit-sinks/{nobody}"), None, PLATFORM),
        case(Method::PATCH, format!("/v1/platform/audit-sinks/{nobody}"), Some(json!({ "name": "x" })), PLATFORM),
        case(Method::DELETE, format!("/v1/platform/audit-sinks/{nobody}"), None, PLATFORM),
        case(Method::POST, format!("/v1/platform/audit-sinks/{nobody}/test"), None, PLATFORM),
        // Retention, legal holds and erasure: auditors read, tenant admins change, platform
        // admins set the bounds and see every tenant's holds.
        case(Method::GET, "/v1/tenant/retention", None, READERS),
        case(Method::PUT, "/v1/tenant/retention", Some(json!({ "conversation_days": -1 })), ADMINS),
        case(Method::GET, "/v1/tenant/retention/preview", None, READERS),
        case(Method::POST, "/v1/tenant/retention/preview", Some(json!({ "conversation_days": 400 })), READERS),
        case(Method::GET, "/v1/tenant/legal-holds", None, READERS),
        case(
            Method::POST,
            "/v1/tenant/legal-holds",
            Some(json!({ "scope": "tenant", "case_name": "", "reason": "" })),
            ADMINS,
        ),
        case(Method::POST, format!("/v1/tenant/legal-holds/{nobody}/release"), None, ADMINS),
        case(Method::POST, format!("/v1/users/{nobody}/erase"), None, ADMINS),
        case(Method::GET, "/v1/platform/retention", None, PLATFORM),
        case(
            Method::PUT,
            "/v1/platform/retention",
            Some(json!({ "default": { "share_days": 0 }, "floor": {}, "ceiling": {} })),
            PLATFORM,
        ),
        case(Method::GET, "/v1/platform/legal-holds", None, PLATFORM),
        // Private chats: every member; the tenant's switch like retention. Bodies are refused
        // (an empty history, no such answer, a reason too long), so nothing changes.
        case(Method::GET, "/v1/private-mode", None, ALL),
        case(Method::POST, "/v1/private/turns", Some(json!({ "messages": [] })), ALL),
        case(Method::GET, format!("/v1/private/turns/{nobody}/events"), None, ALL),
        case(Method::POST, format!("/v1/private/turns/{nobody}/cancel"), None, ALL),
        case(Method::POST, "/v1/conversations/import", Some(json!({ "messages": [] })), ALL),
        case(Method::GET, "/v1/tenant/private-mode", None, READERS),
        case(
            Method::PUT,
            "/v1/tenant/private-mode",
            Some(json!({ "allowed": true, "reason": "x".repeat(501) })),
            ADMINS,
        ),
        case(Method::GET, "/v1/tenant/sso", None, READERS),
        case(
            Method::PUT,
            "/v1/tenant/sso",
            Some(json!({ "display_name": "", "issuer": "x", "client_id": "" })),
            ADMINS,
        ),
        case(Method::DELETE, "/v1/tenant/sso", None, ADMINS),
        case(Method::GET, "/v1/tenant/domains", None, READERS),
        case(Method::POST, "/v1/tenant/domains", Some(json!({ "domain": "not a domain" })), ADMINS),
        case(Method::POST, "/v1/tenant/domains/nobody.example/verify", None, ADMINS),
        case(Method::DELETE, "/v1/tenant/domains/nobody.example", None, ADMINS),
        // Attachments: every member's own files (an empty upload is refused, so nothing is
        // stored); storage figures for the tenant's readers and the platform's admins.
        case(Method::POST, "/v1/files?name=empty.txt", None, ALL),
        case(Method::GET, "/v1/files", None, ALL),
        case(Method::GET, "/v1/files/usage", None, ALL),
        case(Method::GET, format!("/v1/files/{nobody}"), None, ALL),
        case(Method::GET, format!("/v1/files/{nobody}/content"), None, ALL),
        case(Method::DELETE, format!("/v1/files/{nobody}"), None, ALL),
        case(Method::GET, "/v1/tenant/storage", None, READERS),
        case(Method::GET, "/v1/storage/tenants", None, PLATFORM),
        case(Method::POST, "/v1/auth/oidc/logout", Some(json!({})), ALL),
        case(Method::POST, "/v1/auth/logout", None, ALL),
    ]
}

async fn every_endpoint_answers_each_role_as_the_policy_says(b: Backend) {
    let app = TestApp::spawn_with(b, Options::default().env("CONFAB_AUTH__LOGIN_FAILURES_PER_IP", "1000")).await;
    let admin = app.admin().await;
    let tenant = admin.get_json("/v1/me").await["active_tenant"]["id"].as_str().unwrap().to_string();
    let member_id = app.create_user(&admin, "member@acme.example", "member").await;
    app.create_user(&admin, "auditor@acme.example", "auditor").await;
    app.create_user(&admin, "lead@acme.example", "tenant_admin").await;
    // A platform admin who is only a member of the tenant: platform rights do not imply tenant rights.
    app.create_user(&admin, "ops@acme.example", "member").await;
    let out = app.cli(&["admin", "set-role", "--email", "ops@acme.example", "--role", "platform_admin"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let audit_before = admin.get_json("/v1/audit?limit=200").await["items"].as_array().unwrap().len();

    let mut failures = Vec::new();
    for who in ALL {
        let email = match who {
            Who::Member => "member@acme.example",
            Who::Auditor => "auditor@acme.example",
            Who::TenantAdmin => "lead@acme.example",
            Who::PlatformAdmin => "ops@acme.example",
        };
        for c in cases(&tenant, &member_id) {
            // A fresh session per call: logout and password attempts must not affect the next case.
            let api = app.login(email, PASSWORD).await;
            let (status, body) = api.send(c.method.clone(), &c.path, c.body.clone()).await;
            let allowed = c.allowed.contains(who);
            let ok = if allowed { status != 401 && status != 403 } else { status == 403 };
            if !ok {
                failures.push(format!("{who:?} {} {} → {status} {body} (allowed: {allowed})", c.method, c.path));
            } else if !allowed {
                assert_eq!(body["error"]["code"], "forbidden", "{who:?} {} {}", c.method, c.path);
            }
        }
    }
    assert!(failures.is_empty(), "policy mismatches:\n{}", failures.join("\n"));

    // Refused calls wrote nothing: the only new audit entries are the sign-ins (and the one
    // successful logout per role plus refused password changes are not audited as changes).
    let entries = admin.get_json("/v1/audit?limit=200").await;
    let new: Vec<&str> = entries["items"].as_array().unwrap()
        [..entries["items"].as_array().unwrap().len() - audit_before]
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        // Downloads of the audit log and of one's own data are recorded as reads, not changes.
        .filter(|a| *a != "auth.login" && *a != "auth.logout" && *a != "audit.exported" && *a != "user.data_exported")
        .collect();
    assert!(new.is_empty(), "unexpected changes: {new:?}");
    let users = admin.get_json("/v1/users").await;
    assert_eq!(users["items"].as_array().unwrap().len(), 5, "no user was created");
}

async fn anonymous_callers_get_401_everywhere(b: Backend) {
    let app = TestApp::spawn(b).await;
    let anon = app.anonymous();
    let nobody = uuid::Uuid::now_v7().to_string();
    for c in cases(&nobody, &nobody) {
        let (status, body) = anon.send(c.method.clone(), &c.path, c.body.clone()).await;
        assert_eq!(error_code(status, &body, 401), "unauthenticated", "{} {}", c.method, c.path);
    }
}

async fn smuggled_role_or_tenant_fields_are_rejected(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    app.create_user(&admin, "mia@acme.example", "member").await;
    let mia = app.login("mia@acme.example", PASSWORD).await;
    let (_, globex_admin) = app.second_tenant("globex").await;
    let globex = globex_admin.get_json("/v1/me").await["active_tenant"]["id"].as_str().unwrap().to_string();
    for (path, body) in [
        ("/v1/me/tokens", json!({ "name": "x", "tenant_id": globex })),
        ("/v1/me/tokens", json!({ "name": "x", "user_id": uuid::Uuid::now_v7() })),
        (
            "/v1/me/password",
            json!({ "current_password": PASSWORD, "new_password": "another fine passphrase", "role": "tenant_admin" }),
        ),
    ] {
        let (s, resp) = mia.send(Method::POST, path, Some(body)).await;
        assert_eq!(error_code(s, &resp, 400), "bad_request", "{path}");
    }
    let (s, resp) = app
        .anonymous()
        .send(
            Method::POST,
            "/v1/auth/login",
            Some(json!({ "email": "mia@acme.example", "password": PASSWORD, "is_platform_admin": true })),
        )
        .await;
    assert_eq!(error_code(s, &resp, 400), "bad_request");
    let (s, resp) = admin
        .send(
            Method::POST,
            "/v1/users",
            Some(json!({ "email": "x@acme.example", "password": PASSWORD, "role": "member", "tenant_id": globex })),
        )
        .await;
    assert_eq!(error_code(s, &resp, 400), "bad_request");
    let (s, resp) = admin
        .send(
            Method::POST,
            "/v1/users",
            Some(json!({ "email": "x@acme.example", "password": PASSWORD, "role": "platform_admin" })),
        )
        .await;
    assert_eq!(error_code(s, &resp, 400), "bad_request");
    // Nothing was written.
    assert_eq!(mia.get_json("/v1/me/tokens").await["items"].as_array().unwrap().len(), 0);
    assert_eq!(admin.get_json("/v1/users").await["items"].as_array().unwrap().len(), 2);
    assert_eq!(globex_admin.get_json("/v1/users").await["items"].as_array().unwrap().len(), 1);
    app.login("mia@acme.example", PASSWORD).await;
}

async fn admins_see_and_change_only_their_own_tenant(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let acme_member = app.create_user(&admin, "mia@acme.example", "member").await;
    let (_, globex_admin) = app.second_tenant("globex").await;
    let globex_member = app.create_user(&globex_admin, "gus@globex.example", "member").await;

    let acme_users = admin.get_json("/v1/users").await;
    let emails: Vec<&str> =
        acme_users["items"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert!(!emails.contains(&"gus@globex.example"), "{emails:?}");
    for (method, path, body) in [
        (Method::GET, format!("/v1/users/{globex_member}"), None),
        (Method::PUT, format!("/v1/users/{globex_member}/role"), Some(json!({ "role": "tenant_admin" }))),
        (Method::POST, format!("/v1/users/{globex_member}/disable"), None),
    ] {
        let (s, body) = admin.send(method, &path, body).await;
        assert_eq!(error_code(s, &body, 404), "not_found", "{path}");
    }
    let (s, _) = globex_admin.send(Method::GET, &format!("/v1/users/{acme_member}"), None).await;
    assert_eq!(s, 404);
    // Gus is untouched: same role, still able to sign in.
    let gus = globex_admin.get_json(&format!("/v1/users/{globex_member}")).await;
    assert_eq!(gus["role"], "member");
    assert_eq!(gus["status"], "active");
    app.login("gus@globex.example", PASSWORD).await;
    // Audit logs are per tenant.
    let acme_log = admin.get_json("/v1/audit?limit=200").await.to_string();
    assert!(!acme_log.contains("gus@globex.example"));
    let globex_log = globex_admin.get_json("/v1/audit?limit=200").await.to_string();
    assert!(!globex_log.contains("mia@acme.example"));
}

both_backends!(
    every_endpoint_answers_each_role_as_the_policy_says,
    anonymous_callers_get_401_everywhere,
    smuggled_role_or_tenant_fields_are_rejected,
    admins_see_and_change_only_their_own_tenant,
);
