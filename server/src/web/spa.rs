//! Serving a built single-page app (the web chat, the admin console): `index.html` for `/` and
//! every client-side route (so a reload of `/c/<id>` works), content-hashed files under `/assets/`
//! with a year-long immutable cache, and `index.html` itself with `no-cache` so a new release is
//! picked up at once.

use poem::http::{StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response, Route, get};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// The client-side routes of the web chat (see `web/src/router.ts`).
pub const CHAT_ROUTES: &[&str] = &["/", "/c/:id", "/s/:token", "/shared/:id", "/presets"];
/// The admin console routes in the URL's fragment (`#/users`): its document is only at `/`.
pub const ADMIN_ROUTES: &[&str] = &["/"];

#[derive(Clone)]
pub struct WebApp {
    dir: Arc<PathBuf>,
}

impl WebApp {
    /// The built app in `dir`, when it holds an `index.html`; `what` names it in the log.
    pub fn open(dir: &Path, what: &str) -> Option<WebApp> {
        if dir.join("index.html").is_file() {
            tracing::info!(dir = %dir.display(), "serving the {what}");
            Some(WebApp { dir: Arc::new(dir.to_path_buf()) })
        } else {
            tracing::warn!(
                dir = %dir.display(),
                "the {what} is not built (no index.html): `/` shows a plain page instead; run scripts/run.sh"
            );
            None
        }
    }
}

pub fn mount(mut route: Route, app: WebApp, client_routes: &[&str]) -> Route {
    for path in client_routes {
        let app = app.clone();
        route = route.at(path, get(poem::endpoint::make(move |_| document(app.clone()))));
    }
    route.at("/assets/*path", get(AssetEndpoint(app)))
}

async fn document(app: WebApp) -> Response {
    match tokio::fs::read(app.dir.join("index.html")).await {
        Ok(bytes) => Response::builder()
            .content_type("text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(bytes),
        Err(e) => {
            tracing::error!(error = %e, "the web chat's index.html cannot be read");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

struct AssetEndpoint(WebApp);

impl Endpoint for AssetEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let rest = req.uri().path().trim_start_matches("/assets/");
        let Some(path) = safe_join(&self.0.dir.join("assets"), rest) else {
            return Ok(StatusCode::NOT_FOUND.into_response());
        };
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Response::builder()
                .content_type(content_type(&path))
                // Vite names every asset after its content hash: a changed file has a new name.
                .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
                .body(bytes)),
            Err(_) => Ok(StatusCode::NOT_FOUND.into_response()),
        }
    }
}

/// `base` joined with a request path made only of normal components (no `..`, no absolute path).
fn safe_join(base: &Path, rest: &str) -> Option<PathBuf> {
    let rest = Path::new(rest);
    let normal = rest.components().all(|c| matches!(c, Component::Normal(_)));
    (normal && !rest.as_os_str().is_empty()).then(|| base.join(rest))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_paths_cannot_leave_the_assets_directory() {
        let base = Path::new("/srv/web/assets");
        assert_eq!(safe_join(base, "app-1a2b.js"), Some(base.join("app-1a2b.js")));
        assert_eq!(safe_join(base, "../index.html"), None);
        assert_eq!(safe_join(base, "/etc/passwd"), None);
        assert_eq!(safe_join(base, "a/../../x"), None);
        assert_eq!(safe_join(base, ""), None);
    }
}
