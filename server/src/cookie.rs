//! The session cookies: their names and `Set-Cookie` values, shared by the API and the pages.
//! The web chat and the admin console each have their own cookie, so signing in to one does not
//! sign in to the other, and a console session keeps its shorter idle timeout.

use confab_core::config::Config;
use confab_core::domain::Surface;

pub const SESSION_COOKIE: &str = "confab_session";
/// Over TLS the cookie takes the `__Host-` prefix: the browser then refuses it without `Secure`,
/// with a `Domain`, or for a path other than `/`.
pub const SECURE_SESSION_COOKIE: &str = "__Host-confab_session";
pub const ADMIN_SESSION_COOKIE: &str = "confab_admin_session";
pub const SECURE_ADMIN_SESSION_COOKIE: &str = "__Host-confab_admin_session";

pub fn cookie_name(config: &Config, surface: Surface) -> &'static str {
    match (surface, config.is_tls()) {
        (Surface::Chat, false) => SESSION_COOKIE,
        (Surface::Chat, true) => SECURE_SESSION_COOKIE,
        (Surface::Admin, false) => ADMIN_SESSION_COOKIE,
        (Surface::Admin, true) => SECURE_ADMIN_SESSION_COOKIE,
    }
}

/// The `Set-Cookie` value for a session (or, with `None`, one that clears it).
pub fn session_cookie(config: &Config, surface: Surface, token: Option<&str>) -> String {
    let name = cookie_name(config, surface);
    let secure = if config.is_tls() { "; Secure" } else { "" };
    // The console's cookie is strict: nothing it does starts from another site's link.
    let same_site = match surface {
        Surface::Chat => "Lax",
        Surface::Admin => "Strict",
    };
    match token {
        Some(token) => format!(
            "{name}={token}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={}{secure}",
            config.auth.session_absolute_secs
        ),
        None => format!("{name}=; Path=/; HttpOnly; SameSite={same_site}; Max-Age=0{secure}"),
    }
}
