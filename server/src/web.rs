//! The web pages: the web chat (a single-page app built from `web/`, served from
//! `server.web_dir`), and the server-rendered pages it does not replace — the one-time setup page,
//! and a plain sign-in start page for installations whose web chat is not built.
//! No inline scripts or styles anywhere (strict CSP).

mod spa;

use crate::state::AppState;
use confab_core::audit::Actor;
use confab_core::auth::secrets;
use confab_core::domain::Surface;

use poem::http::StatusCode;
use poem::web::{Data, Form, Html, Query};
use poem::{IntoResponse, Response, Route, get, handler};
use serde::Deserialize;
use std::sync::Arc;

const CSS: &str = include_str!("web/confab.css");

/// Adds the pages to the server's routes: the web chat's document at `/` and at each of its
/// client-side routes, its hashed assets, and the server-rendered pages.
pub fn mount(route: Route, web_dir: &std::path::Path) -> Route {
    let app = spa::WebApp::open(web_dir, "web chat");
    let route = route
        .at("/login", poem::post(login_form))
        .at("/setup", get(setup_page).post(setup_submit))
        .at("/assets/confab.css", get(css));
    match app {
        Some(app) => spa::mount(route, app, spa::CHAT_ROUTES),
        None => route.at("/", get(index)),
    }
}

/// Adds the admin console (built from `admin/`) to its routes: its document at `/` (its views
/// are in the URL's fragment) and its hashed assets; a plain page when it is not built.
pub fn mount_admin(route: Route, admin_dir: &std::path::Path) -> Route {
    match spa::WebApp::open(admin_dir, "admin console") {
        Some(app) => spa::mount(route, app, spa::ADMIN_ROUTES),
        None => route.at("/assets/confab.css", get(css)).at("/", get(admin_not_built)),
    }
}

#[handler]
async fn admin_not_built() -> Html<String> {
    page(
        "Admin console",
        "<p>The admin console is not built here. Build it with <code>npm ci &amp;&amp; npm run build</code> \
         in <code>admin/</code> (<code>scripts/run.sh</code> does), or set <code>admin.dir</code>.</p>\
         <p>The API is served here all the same: <code>/v1/…</code>.</p>",
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Confab</title><link rel=\"stylesheet\" href=\"/assets/confab.css\"></head>\
         <body><main><h1>Confab</h1>{body}</main></body></html>",
        escape(title)
    ))
}

#[handler]
async fn css() -> Response {
    Response::builder().content_type("text/css; charset=utf-8").body(CSS)
}

#[handler]
async fn index(state: Data<&Arc<AppState>>, req: &poem::Request) -> Html<String> {
    let signed_in = match req.cookie().get(state.session_cookie_name(Surface::Chat)) {
        Some(c) => state.auth.authenticate_session(c.value_str(), None, false, Surface::Chat).await.ok(),
        None => None,
    };
    let body = match signed_in {
        Some(p) => format!(
            "<p class=\"ok\">Signed in as <strong>{}</strong>{}.</p>\
             <p>The web chat is on its way. Meanwhile, explore and try the API in the \
             <a href=\"/docs\">interactive API documentation</a> (your session is used there; \
             send the CSRF token from <code>GET /v1/me</code> as <code>X-CSRF-Token</code> on changes).</p>",
            escape(&p.email),
            p.tenant.map(|t| format!(" in <strong>{}</strong> ({})", escape(&t.name), t.role)).unwrap_or_default()
        ),
        None => "<p>Self-hosted, admin-managed chat for large language models.</p>\
             <form method=\"post\" action=\"/login\"><label>E-mail <input name=\"email\" type=\"email\" autocomplete=\"username\" required></label>\
             <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
             <button type=\"submit\">Sign in</button></form>\
             <p><a href=\"/docs\">API documentation</a></p>"
            .to_string(),
    };
    page("Welcome", &body)
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

/// The sign-in form of the start page. Same checks, limits and audit as `POST /v1/auth/login`.
#[handler]
async fn login_form(state: Data<&Arc<AppState>>, req: &poem::Request, form: Form<LoginForm>) -> Response {
    if !same_origin(req) {
        return (StatusCode::FORBIDDEN, page("Refused", "<p>Cross-site sign-in refused.</p>")).into_response();
    }
    let ctx = confab_core::context::current();
    match state
        .auth
        .login(&form.email, &form.password, None, Surface::Chat, ctx.ip.as_deref(), ctx.user_agent.as_deref())
        .await
    {
        Ok(issued) => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header("Location", "/")
            .header("Set-Cookie", crate::cookie::session_cookie(&state.config, Surface::Chat, Some(&issued.token)))
            .finish(),
        Err(e) => {
            let status = match e {
                confab_core::error::AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            let msg = match e {
                confab_core::error::AppError::RateLimited { .. } => e.to_string(),
                _ => "The e-mail address or password is incorrect.".into(),
            };
            (
                status,
                page("Sign in", &format!("<p class=\"error\">{}</p><p><a href=\"/\">Try again</a></p>", escape(&msg))),
            )
                .into_response()
        }
    }
}

/// Forms must come from our own pages: the browser's Origin header names the site that sent it.
fn same_origin(req: &poem::Request) -> bool {
    let Some(origin) = req.headers().get("Origin").and_then(|v| v.to_str().ok()) else { return true };
    let host = req.headers().get("Host").and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split("://").nth(1).is_some_and(|o| o == host)
}

#[derive(Deserialize)]
struct SetupQuery {
    token: Option<String>,
}

#[handler]
async fn setup_page(state: Data<&Arc<AppState>>, q: Query<SetupQuery>) -> Response {
    let token = q.token.clone().unwrap_or_default();
    let valid = state.accounts.setup_token_valid(&token).await.unwrap_or(false);
    if !valid || state.accounts.has_users().await.unwrap_or(true) {
        return (
            StatusCode::NOT_FOUND,
            page("Setup", "<p>This setup link is not valid (used, expired, or Confab is already set up).</p>"),
        )
            .into_response();
    }
    page(
        "Set up",
        &format!(
            "<p>Create the first administrator and the first tenant.</p>\
             <form method=\"post\" action=\"/setup\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
             <label>Your e-mail <input name=\"email\" type=\"email\" required></label>\
             <label>Password (at least {} characters) <input name=\"password\" type=\"password\" autocomplete=\"new-password\" required></label>\
             <label>Organisation name <input name=\"tenant\" required></label>\
             <button type=\"submit\">Create</button></form>",
            escape(&token),
            state.config.auth.min_password_length
        ),
    )
    .into_response()
}

#[derive(Deserialize)]
struct SetupForm {
    token: String,
    email: String,
    password: String,
    tenant: String,
}

#[handler]
async fn setup_submit(state: Data<&Arc<AppState>>, req: &poem::Request, form: Form<SetupForm>) -> Response {
    if !same_origin(req) {
        return (StatusCode::FORBIDDEN, page("Refused", "<p>Cross-site request refused.</p>")).into_response();
    }
    let digest = secrets::digest(&form.token);
    if !state.accounts.setup_token_valid(&form.token).await.unwrap_or(false) {
        return (StatusCode::NOT_FOUND, page("Setup", "<p>This setup link is not valid.</p>")).into_response();
    }
    match state.accounts.bootstrap(&Actor::anonymous("setup"), &form.email, &form.password, &form.tenant, Some(&digest)).await {
        Ok(done) => {
            page(
                "Ready",
                &format!(
                    "<p class=\"ok\">Done. <strong>{}</strong> is the platform administrator and tenant admin of <strong>{}</strong>.</p>\
                     <p><a href=\"/\">Sign in</a></p>",
                    escape(&done.user.email),
                    escape(&done.tenant.name)
                ),
            )
            .into_response()
        }
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                "Set up",
                &format!(
                    "<p class=\"error\">{}</p><p><a href=\"/setup?token={}\">Back</a></p>",
                    escape(&e.to_string()),
                    escape(&form.token)
                ),
            ),
        )
            .into_response(),
    }
}
