//! The session cookie: its name and `Set-Cookie` values, shared by the API and the web pages.

use confab_core::config::Config;

pub const SESSION_COOKIE: &str = "confab_session";
/// Over TLS the cookie takes the `__Host-` prefix: the browser then refuses it without `Secure`,
/// with a `Domain`, or for a path other than `/`.
pub const SECURE_SESSION_COOKIE: &str = "__Host-confab_session";

pub fn cookie_name(config: &Config) -> &'static str {
    if config.is_tls() { SECURE_SESSION_COOKIE } else { SESSION_COOKIE }
}

/// The `Set-Cookie` value for a session (or, with `None`, one that clears it).
pub fn session_cookie(config: &Config, token: Option<&str>) -> String {
    let name = cookie_name(config);
    let secure = if config.is_tls() { "; Secure" } else { "" };
    match token {
        Some(token) => format!(
            "{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            config.auth.session_absolute_secs
        ),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}
