//! The HTTP surface: poem-openapi endpoint groups (thin), the middleware every request passes,
//! and the spec at `/openapi.json` with interactive docs at `/docs`.

mod audit;
mod catalogue;
mod chat;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod models;
mod plugins;
mod presets;
mod search;
mod session;
mod shares;
mod system;
mod tenants;
mod tokens;
mod usage;
mod users;

use poem::{EndpointExt, Route};
use poem_openapi::{OpenApiService, Tags};

#[derive(Tags)]
pub enum ApiTags {
    /// Signing in and out, the caller's profile and tenants.
    Session,
    /// API tokens for SDK clients.
    Tokens,
    /// Users of a tenant (tenant admins).
    Users,
    /// Tenants of the installation (platform admins).
    Tenants,
    /// The hash-chained audit log.
    Audit,
    /// Conversations and streamed answers.
    Chat,
    /// The model catalogue and provider keys.
    Models,
    /// Presets: named, versioned model settings and system prompts.
    Presets,
    /// Token usage and quotas.
    Usage,
    /// Share snapshots of a conversation branch.
    Shares,
    /// Search over the caller's conversation history.
    Search,
    /// WebAssembly plugins and each tenant's plugin chain.
    Plugins,
}

type Apis = (
    session::SessionApi,
    tokens::TokensApi,
    users::UsersApi,
    tenants::TenantsApi,
    audit::AuditApi,
    chat::ChatApi,
    catalogue::CatalogueApi,
    presets::PresetsApi,
    usage::UsageApi,
    search::SearchApi,
    shares::SharesApi,
    plugins::PluginsApi,
);

pub fn openapi_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(Apis::default(), "Confab API", env!("CARGO_PKG_VERSION")).url_prefix("/v1").description(
        "Confab: a self-hosted, admin-managed enterprise chat platform for large language models. \
         Every error has the body `{ \"error\": { \"code\", \"message\", \"request_id\" } }`. \
         Lists take `cursor` and `limit` and return `next_cursor`.",
    )
}

/// The OpenAPI document exactly as `GET /openapi.json` serves it.
pub fn spec_json() -> String {
    openapi_service().spec()
}

/// The API's routes: `/v1`, the OpenAPI document and its docs, health and metrics. The server
/// mounts the web pages beside them and wraps both in [`middleware::stack`].
pub async fn routes() -> Route {
    let api = openapi_service();
    let spec = api.spec();
    let docs = api.swagger_ui();
    let docs_csp = middleware::docs_csp(&docs).await;
    Route::new()
        .nest("/v1", api)
        .nest("/openai/v1", crate::openai::routes())
        .at(
            "/openapi.json",
            poem::endpoint::make_sync(move |_| {
                poem::Response::builder().content_type("application/json").body(spec.clone())
            }),
        )
        .nest("/docs", docs.with(middleware::Csp(docs_csp)))
        .at("/healthz", poem::get(system::healthz))
        .at("/readyz", poem::get(system::readyz))
        .at("/metrics", poem::get(system::metrics))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    /// Generated SDKs name their methods after operation ids, so every operation has one, unique,
    /// in the `<resource>_<action>` scheme (`conversations_create`, `messages_send`); once an SDK
    /// ships they are a public contract and never change.
    #[test]
    fn every_operation_has_a_unique_stable_operation_id() {
        let spec: serde_json::Value = serde_json::from_str(&super::spec_json()).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        let mut missing = Vec::new();
        for (path, operations) in spec["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                match operation["operationId"].as_str() {
                    None => missing.push(format!("{} {path}", method.to_uppercase())),
                    Some(id) => {
                        let well_formed = id.split('_').count() >= 2
                            && id.split('_').all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()));
                        assert!(well_formed, "{method} {path}: operationId {id:?} is not <resource>_<action>");
                        assert!(seen.insert(id.to_string()), "operationId {id:?} is used twice");
                    }
                }
            }
        }
        assert!(missing.is_empty(), "operations without an operationId: {missing:?}");
        assert!(seen.len() > 70, "expected every operation, found {}", seen.len());
    }
}
