//! The HTTP surface: poem-openapi endpoint groups (thin), the middleware every request passes,
//! and the spec at `/openapi.json` with interactive docs at `/docs`.

mod audit;
mod audit_sinks;
mod catalogue;
pub(crate) mod chat;
pub mod error;
pub mod extract;
pub(crate) mod files;
mod identity;
mod insights;
pub mod middleware;
pub mod models;
pub mod paging;
mod personal;
mod plugins;
mod presets;
mod private;
mod retention;
mod search;
mod session;
mod shares;
mod sso;
mod system;
mod telemetry;
mod tenants;
mod tokens;
mod usage;
mod users;

use poem::Route;
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
    /// Retention policies, the purge preview, legal holds and erasure.
    Retention,
    /// Timings clients observed (aggregated into metrics; no content).
    Telemetry,
    /// Single sign-on (OpenID Connect), e-mail domains, SCIM provisioning tokens and the group → role
    /// mapping.
    Identity,
    /// Attachments: files uploaded to attach to messages, and the storage they take.
    Files,
}

/// Every endpoint group: the people and their governance, the product, then attachments (tuples, as
/// `Default` is implemented for tuples of at most twelve).
type Apis = (
    (
        session::SessionApi,
        tokens::TokensApi,
        users::UsersApi,
        tenants::TenantsApi,
        audit::AuditApi,
        usage::UsageApi,
        insights::InsightsApi,
        system::SystemApi,
        audit_sinks::AuditSinksApi,
    ),
    (
        chat::ChatApi,
        catalogue::CatalogueApi,
        presets::PresetsApi,
        search::SearchApi,
        shares::SharesApi,
        plugins::PluginsApi,
        retention::RetentionApi,
        personal::PersonalApi,
        telemetry::TelemetryApi,
        identity::IdentityApi,
        private::PrivateApi,
        sso::SsoApi,
    ),
    files::FilesApi,
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
    finish_spec(&openapi_service().spec())
}

/// poem-openapi leaves the description of a response whose body is a bare `Json<T>` (or none)
/// empty; OpenAPI requires one and generators put it in their docs. Such a response is described
/// by its schema's description, or by what its status means.
fn finish_spec(spec: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(spec) else { return spec.to_string() };
    // The answer stream's event union is only named in the event-stream responses' descriptions,
    // so poem-openapi drops it as unused: put it back, and point each event-stream body at it.
    let mut events = poem_openapi::registry::Registry::new();
    chat::register_stream_events(&mut events);
    private::register_stream_events(&mut events);
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        for (name, schema) in events.schemas {
            if let Ok(schema) = serde_json::to_value(schema) {
                schemas.entry(name).or_insert(schema);
            }
        }
    }
    let schemas = doc["components"]["schemas"].clone();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for operation in paths.values_mut().filter_map(|ops| ops.as_object_mut()).flat_map(|ops| ops.values_mut()) {
            // Turn operations refuse a missing `Idempotency-Key` with a `validation_failed` that
            // names the header (a 422 the handler gives, rather than poem-openapi's 400), so the
            // handlers take it as optional; the contract says what the server enforces. (An
            // import takes one if given: saving a private chat works without.)
            let optional_key = operation["operationId"] == "conversations_import";
            for parameter in operation.get_mut("parameters").and_then(|p| p.as_array_mut()).into_iter().flatten() {
                if parameter["name"] == "Idempotency-Key" && parameter["in"] == "header" && !optional_key {
                    parameter["required"] = true.into();
                }
            }
            // A download is served as what the file is: every media type an upload can be sniffed
            // as (text of any kind as text/plain).
            if operation["operationId"] == "files_content"
                && let Some(ok) = operation["responses"].get_mut("200")
            {
                let binary = serde_json::json!({ "schema": { "type": "string", "format": "binary" } });
                let content: serde_json::Map<String, serde_json::Value> =
                    crate::api::files::SERVED_TYPES.iter().map(|t| (t.to_string(), binary.clone())).collect();
                ok["content"] = content.into();
                if let Some(headers) = ok["headers"].as_object_mut() {
                    headers.remove("CONTENT-TYPE");
                }
            }
            let Some(responses) = operation["responses"].as_object_mut() else { continue };
            for (status, response) in responses.iter_mut() {
                if let Some(stream) = response.get_mut("content").and_then(|c| c.get_mut("text/event-stream")) {
                    // Each stream's description names its event union.
                    let private =
                        stream["schema"]["description"].as_str().is_some_and(|d| d.contains("PrivateStreamEvent"));
                    let union = if private { "PrivateStreamEvent" } else { "StreamEvent" };
                    stream["x-event-schema"] = serde_json::json!({ "$ref": format!("#/components/schemas/{union}") });
                }
                if response["description"].as_str().is_some_and(|d| !d.is_empty()) {
                    continue;
                }
                let schema = response["content"]["application/json; charset=utf-8"]["schema"]["$ref"]
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    .and_then(|name| schemas[name]["description"].as_str());
                let description = match (status.as_str(), schema) {
                    (_, Some(schema)) => schema.to_string(),
                    ("204", None) => "Done; no body.".to_string(),
                    (status, None) => format!("Status {status}."),
                };
                response["description"] = description.into();
            }
        }
    }
    serde_json::to_string(&doc).unwrap_or_else(|_| spec.to_string())
}

/// The API's routes: `/v1`, the OpenAPI document and its docs, health and metrics. The server
/// mounts the web pages beside them and wraps both in [`middleware::stack`].
pub fn routes() -> Route {
    Route::new()
        .nest("/v1", openapi_service())
        .nest("/openai/v1", crate::openai::routes())
        .nest("/scim/v2", crate::scim::routes())
        .at("/openapi.json", poem::endpoint::make(|_| async { Documents::get().await.map(|d| d.spec_response()) }))
        .nest(
            "/docs",
            Route::new().at("/", poem::endpoint::make(|_| async { Documents::get().await.map(|d| d.docs_response()) })),
        )
        .at("/healthz", poem::get(system::healthz))
        .at("/readyz", poem::get(system::readyz))
        .at("/metrics", poem::get(system::metrics))
}

/// The OpenAPI document and the interactive docs page that embeds it, built on their first
/// request (most servers are never asked for them: building them takes a few MB while it runs)
/// and shared by every listener.
struct Documents {
    spec: bytes::Bytes,
    docs_html: bytes::Bytes,
    /// The docs page's policy: its inline scripts named by hash (the server's default policy
    /// applies if it could not be a header).
    docs_csp: Option<poem::http::HeaderValue>,
}

static DOCUMENTS: tokio::sync::OnceCell<Documents> = tokio::sync::OnceCell::const_new();

impl Documents {
    async fn get() -> poem::Result<&'static Documents> {
        DOCUMENTS
            .get_or_try_init(|| async {
                tokio::task::spawn_blocking(Self::build).await.map_err(|e| {
                    poem::Error::from_string(
                        format!("the API documents could not be built: {e}"),
                        poem::http::StatusCode::INTERNAL_SERVER_ERROR,
                    )
                })
            })
            .await
    }

    fn build() -> Documents {
        let api = openapi_service();
        let raw = api.spec();
        let spec = finish_spec(&raw);
        // The docs page embeds the document; give it the finished one that `/openapi.json` serves.
        let docs_html = api.swagger_ui_html().replace(&raw, &spec);
        let docs_csp = middleware::docs_csp(&docs_html);
        Documents {
            spec: spec.into(),
            docs_html: docs_html.into(),
            docs_csp: poem::http::HeaderValue::from_str(&docs_csp).ok(),
        }
    }

    fn spec_response(&self) -> poem::Response {
        poem::Response::builder().content_type("application/json").body(self.spec.clone())
    }

    fn docs_response(&self) -> poem::Response {
        let mut page = poem::Response::builder().content_type("text/html; charset=utf-8");
        if let Some(csp) = &self.docs_csp {
            page = page.header(poem::http::header::CONTENT_SECURITY_POLICY, csp.clone());
        }
        page.body(self.docs_html.clone())
    }
}

/// The metrics listener's routes (`metrics.listen`): `/metrics` only.
pub fn metrics_routes() -> Route {
    Route::new().at("/metrics", poem::get(system::metrics_listener))
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

    /// Generators turn descriptions into SDK docs, and a strict client rejects a `null` the spec
    /// did not declare: every schema, property, parameter and response is described, and every
    /// optional property is nullable (our responses send `null` for what is absent) or has a
    /// default.
    #[test]
    fn every_schema_property_parameter_and_response_is_described() {
        let spec: serde_json::Value = serde_json::from_str(&super::spec_json()).unwrap();
        let described = |v: &serde_json::Value| v["description"].as_str().is_some_and(|d| !d.trim().is_empty());
        let mut gaps = Vec::new();
        for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
            if !described(schema) {
                gaps.push(format!("schema {name}"));
            }
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            for (property, value) in schema["properties"].as_object().into_iter().flatten() {
                if !described(value) {
                    gaps.push(format!("property {name}.{property}"));
                }
                let optional = !required.contains(&property.as_str());
                if optional && value["nullable"] != true && value.get("default").is_none() {
                    gaps.push(format!("optional property {name}.{property} is not nullable"));
                }
            }
        }
        for (path, operations) in spec["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                let at = format!("{} {path}", method.to_uppercase());
                if !described(operation) && operation["summary"].as_str().is_none_or(str::is_empty) {
                    gaps.push(format!("operation {at}"));
                }
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    if !described(parameter) && !described(&parameter["schema"]) {
                        gaps.push(format!("parameter {} of {at}", parameter["name"]));
                    }
                }
                for (status, response) in operation["responses"].as_object().unwrap() {
                    if !described(response) {
                        gaps.push(format!("response {status} of {at}"));
                    }
                }
            }
        }
        assert!(gaps.is_empty(), "{} gaps in the spec:\n{}", gaps.len(), gaps.join("\n"));
        assert!(!super::spec_json().contains("\"content\":null"), "a response with a null content");
    }

    /// The server refuses a turn without an `Idempotency-Key` (422), so the spec says it is required.
    #[test]
    fn idempotency_keys_are_required_where_the_server_requires_them() {
        let spec: serde_json::Value = serde_json::from_str(&super::spec_json()).unwrap();
        let mut seen = Vec::new();
        for operations in spec["paths"].as_object().unwrap().values() {
            for operation in operations.as_object().unwrap().values() {
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    if parameter["name"] == "Idempotency-Key" {
                        let id = operation["operationId"].as_str().unwrap().to_string();
                        assert_eq!(parameter["required"], id != "conversations_import", "{id}");
                        seen.push(id);
                    }
                }
            }
        }
        seen.sort();
        assert_eq!(
            seen,
            ["conversations_import", "messages_continue", "messages_edit", "messages_regenerate", "messages_send"]
        );
    }

    /// Every operation that reads a JSON body lists 415, and every operation lists the error
    /// body with the error-code enum.
    #[test]
    fn json_body_operations_list_415_and_errors_carry_the_code_enum() {
        let spec: serde_json::Value = serde_json::from_str(&super::spec_json()).unwrap();
        for (path, operations) in spec["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                if operation["requestBody"]["content"].as_object().is_some_and(|c| c.keys().any(|k| k.contains("json")))
                {
                    assert!(operation["responses"]["415"].is_object(), "{method} {path} does not list 415");
                }
            }
        }
        let code = &spec["components"]["schemas"]["ErrorDetail"]["properties"]["code"];
        assert_eq!(code["allOf"][0]["$ref"], "#/components/schemas/ErrorCode", "{code}");
        let codes = spec["components"]["schemas"]["ErrorCode"]["enum"].as_array().unwrap();
        for expected in ["validation_failed", "unsupported_media_type", "quota_exceeded", "not_found", "unavailable"] {
            assert!(codes.iter().any(|c| c == expected), "ErrorCode lacks {expected}");
        }
    }
}
