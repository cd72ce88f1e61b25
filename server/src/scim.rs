//! SCIM 2.0 (RFC 7644) at `/scim/v2/{tenant}`: an identity provider (Okta, Entra ID, …) creates,
//! updates and removes the tenant's users and groups with the tenant's SCIM token. SCIM speaks
//! its own format (`application/scim+json`, its error body), so these are plain poem handlers
//! outside the `/v1` spec, behind the same middleware (request id, body limit, metrics). The
//! work is `confab_core::identity::Provisioning`'s.
use crate::state::AppState;
use confab_core::identity::ScimCaller;
use confab_core::identity::scim::{self, ScimError, ScimResult};
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, Route, get, handler};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Route {
    Route::new()
        .at("/:tenant/ServiceProviderConfig", get(service_provider_config))
        .at("/:tenant/ResourceTypes", get(resource_types))
        .at("/:tenant/ResourceTypes/:id", get(resource_type))
        .at("/:tenant/Schemas", get(schemas))
        .at("/:tenant/Schemas/:id", get(schema))
        .at("/:tenant/Users", get(list_users).post(create_user))
        .at("/:tenant/Users/.search", poem::post(search_users))
        .at("/:tenant/Groups/.search", poem::post(search_groups))
        .at("/:tenant/Users/:id", get(get_user).put(replace_user).patch(patch_user).delete(delete_user))
        .at("/:tenant/Groups", get(list_groups).post(create_group))
        .at("/:tenant/Groups/:id", get(get_group).put(replace_group).patch(patch_group).delete(delete_group))
        .at("/:tenant/.search", poem::post(search_everything))
        .at("/:tenant/*rest", not_found)
}

const CONTENT_TYPE: &str = "application/scim+json";

fn respond(status: StatusCode, body: &Value) -> Response {
    let mut resp = Response::builder().status(status).content_type(CONTENT_TYPE);
    if status == StatusCode::CREATED
        && let Some(location) = body["meta"]["location"].as_str()
    {
        resp = resp.header(header::LOCATION, location);
    }
    resp.body(body.to_string())
}

fn error(e: ScimError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = respond(status, &e.body());
    if status == StatusCode::UNAUTHORIZED
        && let Ok(v) = "Bearer realm=\"SCIM\"".parse()
    {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

fn finish(result: ScimResult<(StatusCode, Value)>) -> Response {
    match result {
        Ok((status, body)) => respond(status, &body),
        Err(e) => error(e),
    }
}

async fn caller(state: &AppState, req: &Request, tenant: &str) -> ScimResult<ScimCaller> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    state.provisioning.authenticate(tenant, bearer).await
}

/// This tenant's SCIM base URL: `server.public_url` when set, else what the request came to.
fn base(state: &AppState, req: &Request, slug: &str) -> String {
    let origin = match &state.config.server.public_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            format!("http://{host}")
        }
    };
    format!("{origin}/scim/v2/{slug}")
}

async fn json_body(body: Body) -> ScimResult<Value> {
    let bytes = body.into_bytes().await.map_err(|_| ScimError::new(413, None, "the request body is too large"))?;
    serde_json::from_slice(&bytes).map_err(|e| ScimError::bad("invalidSyntax", format!("the body is not JSON: {e}")))
}

struct ListParams {
    filter: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    attributes: Vec<String>,
    excluded: Vec<String>,
}

fn comma_list(v: Option<String>) -> Vec<String> {
    v.map(|v| v.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect()).unwrap_or_default()
}

/// Applies `attributes`/`excludedAttributes` to one resource or to a list's resources.
fn project(body: &mut Value, p: &ListParams) {
    if p.attributes.is_empty() && p.excluded.is_empty() {
        return;
    }
    match body.get_mut("Resources").and_then(Value::as_array_mut) {
        Some(list) => list.iter_mut().for_each(|r| scim::project(r, &p.attributes, &p.excluded)),
        None => scim::project(body, &p.attributes, &p.excluded),
    }
}

/// A `POST …/.search` body (RFC 7644 §3.4.3) as list parameters.
fn search_params(body: &Value) -> ScimResult<ListParams> {
    let number = |name: &str| -> ScimResult<Option<i64>> {
        match scim::get(body, name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| ScimError::bad("invalidValue", format!("`{name}` must be an integer"))),
        }
    };
    let list = |name: &str| -> Vec<String> {
        match scim::get(body, name) {
            Some(Value::Array(l)) => l.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(s)) => comma_list(Some(s.clone())),
            _ => vec![],
        }
    };
    Ok(ListParams {
        filter: scim::get(body, "filter").and_then(Value::as_str).map(str::to_string),
        start_index: number("startIndex")?,
        count: number("count")?,
        attributes: list("attributes"),
        excluded: list("excludedAttributes"),
    })
}

fn list_params(req: &Request) -> ScimResult<ListParams> {
    let params = req.params::<HashMap<String, String>>().map_err(|_| ScimError::bad("invalidSyntax", "bad query"))?;
    let find = |name: &str| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    let number = |name: &'static str| -> ScimResult<Option<i64>> {
        find(name)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| ScimError::bad("invalidValue", format!("`{name}` must be an integer")))
            })
            .transpose()
    };
    Ok(ListParams {
        filter: find("filter"),
        start_index: number("startIndex")?,
        count: number("count")?,
        attributes: comma_list(find("attributes")),
        excluded: comma_list(find("excludedAttributes")),
    })
}

/// Searching every resource type at once (RFC 7644 §3.4.3 at the root) is not offered.
#[handler]
async fn search_everything(Data(state): Data<&Arc<AppState>>, req: &Request, Path(tenant): Path<String>) -> Response {
    match caller(state, req, &tenant).await {
        Ok(_) => error(ScimError::new(501, None, "search Users or Groups: POST /Users/.search, /Groups/.search")),
        Err(e) => error(e),
    }
}

#[handler]
async fn not_found() -> Response {
    error(ScimError::not_found("resource"))
}

#[handler]
async fn service_provider_config(
    Data(state): Data<&Arc<AppState>>,
    req: &Request,
    Path(tenant): Path<String>,
) -> Response {
    finish(
        async {
            let c = caller(state, req, &tenant).await?;
            Ok((StatusCode::OK, scim::service_provider_config(&base(state, req, &c.slug))))
        }
        .await,
    )
}

#[handler]
async fn resource_types(Data(state): Data<&Arc<AppState>>, req: &Request, Path(tenant): Path<String>) -> Response {
    finish(
        async {
            let c = caller(state, req, &tenant).await?;
            let items = scim::resource_types(&base(state, req, &c.slug));
            let total = items.len() as u64;
            Ok((StatusCode::OK, scim::list_response(items, total, 1)))
        }
        .await,
    )
}

#[handler]
async fn resource_type(
    Data(state): Data<&Arc<AppState>>,
    req: &Request,
    Path((tenant, id)): Path<(String, String)>,
) -> Response {
    finish(
        async {
            let c = caller(state, req, &tenant).await?;
            scim::resource_types(&base(state, req, &c.slug))
                .into_iter()
                .find(|r| r["id"] == id.as_str())
                .map(|r| (StatusCode::OK, r))
                .ok_or_else(|| ScimError::not_found("ResourceType"))
        }
        .await,
    )
}

#[handler]
async fn schemas(Data(state): Data<&Arc<AppState>>, req: &Request, Path(tenant): Path<String>) -> Response {
    finish(
        async {
            let c = caller(state, req, &tenant).await?;
            let items = scim::schemas(&base(state, req, &c.slug));
            let total = items.len() as u64;
            Ok((StatusCode::OK, scim::list_response(items, total, 1)))
        }
        .await,
    )
}

#[handler]
async fn schema(
    Data(state): Data<&Arc<AppState>>,
    req: &Request,
    Path((tenant, id)): Path<(String, String)>,
) -> Response {
    finish(
        async {
            let c = caller(state, req, &tenant).await?;
            scim::schemas(&base(state, req, &c.slug))
                .into_iter()
                .find(|r| r["id"] == id.as_str())
                .map(|r| (StatusCode::OK, r))
                .ok_or_else(|| ScimError::not_found("Schema"))
        }
        .await,
    )
}

/// The two resource types this endpoint serves; their handlers differ only in which of
/// `Provisioning`'s methods they call.
#[derive(Clone, Copy)]
enum Kind {
    Users,
    Groups,
}

impl Kind {
    async fn list(self, state: &AppState, c: &ScimCaller, p: &ListParams, base: &str) -> ScimResult<Value> {
        let (filter, start, count) = (p.filter.as_deref(), p.start_index, p.count);
        match self {
            Kind::Users => state.provisioning.list_users(c, filter, start, count, base).await,
            Kind::Groups => state.provisioning.list_groups(c, filter, start, count, base).await,
        }
    }

    async fn get(self, state: &AppState, c: &ScimCaller, id: &str, base: &str) -> ScimResult<Value> {
        match self {
            Kind::Users => state.provisioning.get_user(c, id, base).await,
            Kind::Groups => state.provisioning.get_group(c, id, base).await,
        }
    }

    async fn create(self, state: &AppState, c: &ScimCaller, body: &Value, base: &str) -> ScimResult<Value> {
        match self {
            Kind::Users => state.provisioning.create_user(c, body, base).await,
            Kind::Groups => state.provisioning.create_group(c, body, base).await,
        }
    }

    async fn replace(self, state: &AppState, c: &ScimCaller, id: &str, body: &Value, base: &str) -> ScimResult<Value> {
        match self {
            Kind::Users => state.provisioning.replace_user(c, id, body, base).await,
            Kind::Groups => state.provisioning.replace_group(c, id, body, base).await,
        }
    }

    async fn patch(self, state: &AppState, c: &ScimCaller, id: &str, body: &Value, base: &str) -> ScimResult<Value> {
        match self {
            Kind::Users => state.provisioning.patch_user(c, id, body, base).await,
            Kind::Groups => state.provisioning.patch_group(c, id, body, base).await,
        }
    }

    async fn delete(self, state: &AppState, c: &ScimCaller, id: &str) -> ScimResult<()> {
        match self {
            Kind::Users => state.provisioning.delete_user(c, id).await,
            Kind::Groups => state.provisioning.delete_group(c, id).await,
        }
    }
}

/// `GET /Users` (query parameters) or `POST /Users/.search` (a JSON body), likewise for Groups.
async fn list(state: &AppState, req: &Request, tenant: &str, kind: Kind, search: Option<Body>) -> Response {
    finish(
        async {
            let c = caller(state, req, tenant).await?;
            let p = match search {
                Some(body) => search_params(&json_body(body).await?)?,
                None => list_params(req)?,
            };
            let mut page = kind.list(state, &c, &p, &base(state, req, &c.slug)).await?;
            project(&mut page, &p);
            Ok((StatusCode::OK, page))
        }
        .await,
    )
}

async fn read(state: &AppState, req: &Request, tenant: &str, id: &str, kind: Kind) -> Response {
    finish(
        async {
            let c = caller(state, req, tenant).await?;
            let mut resource = kind.get(state, &c, id, &base(state, req, &c.slug)).await?;
            project(&mut resource, &list_params(req)?);
            Ok((StatusCode::OK, resource))
        }
        .await,
    )
}

#[derive(Clone, Copy)]
enum Write {
    Create,
    Replace,
    Patch,
}

async fn write(state: &AppState, req: &Request, tenant: &str, id: &str, kind: Kind, op: Write, body: Body) -> Response {
    finish(
        async {
            let c = caller(state, req, tenant).await?;
            let body = json_body(body).await?;
            let base = base(state, req, &c.slug);
            Ok(match op {
                Write::Create => (StatusCode::CREATED, kind.create(state, &c, &body, &base).await?),
                Write::Replace => (StatusCode::OK, kind.replace(state, &c, id, &body, &base).await?),
                Write::Patch => (StatusCode::OK, kind.patch(state, &c, id, &body, &base).await?),
            })
        }
        .await,
    )
}

async fn remove(state: &AppState, req: &Request, tenant: &str, id: &str, kind: Kind) -> Response {
    match async {
        let c = caller(state, req, tenant).await?;
        kind.delete(state, &c, id).await
    }
    .await
    {
        Ok(()) => Response::builder().status(StatusCode::NO_CONTENT).finish(),
        Err(e) => error(e),
    }
}

/// The poem handlers for one resource type: thin wrappers naming the type.
macro_rules! resource_handlers {
    ($kind:expr, $list:ident, $search:ident, $create:ident, $get:ident, $replace:ident, $patch:ident, $delete:ident) => {
        #[handler]
        async fn $list(Data(state): Data<&Arc<AppState>>, req: &Request, Path(tenant): Path<String>) -> Response {
            list(state, req, &tenant, $kind, None).await
        }

        #[handler]
        async fn $search(
            Data(state): Data<&Arc<AppState>>,
            req: &Request,
            Path(tenant): Path<String>,
            body: Body,
        ) -> Response {
            list(state, req, &tenant, $kind, Some(body)).await
        }

        #[handler]
        async fn $create(
            Data(state): Data<&Arc<AppState>>,
            req: &Request,
            Path(tenant): Path<String>,
            body: Body,
        ) -> Response {
            write(state, req, &tenant, "", $kind, Write::Create, body).await
        }

        #[handler]
        async fn $get(
            Data(state): Data<&Arc<AppState>>,
            req: &Request,
            Path((tenant, id)): Path<(String, String)>,
        ) -> Response {
            read(state, req, &tenant, &id, $kind).await
        }

        #[handler]
        async fn $replace(
            Data(state): Data<&Arc<AppState>>,
            req: &Request,
            Path((tenant, id)): Path<(String, String)>,
            body: Body,
        ) -> Response {
            write(state, req, &tenant, &id, $kind, Write::Replace, body).await
        }

        #[handler]
        async fn $patch(
            Data(state): Data<&Arc<AppState>>,
            req: &Request,
            Path((tenant, id)): Path<(String, String)>,
            body: Body,
        ) -> Response {
            write(state, req, &tenant, &id, $kind, Write::Patch, body).await
        }

        #[handler]
        async fn $delete(
            Data(state): Data<&Arc<AppState>>,
            req: &Request,
            Path((tenant, id)): Path<(String, String)>,
        ) -> Response {
            remove(state, req, &tenant, &id, $kind).await
        }
    };
}

resource_handlers!(Kind::Users, list_users, search_users, create_user, get_user, replace_user, patch_user, delete_user);
resource_handlers!(
    Kind::Groups,
    list_groups,
    search_groups,
    create_group,
    get_group,
    replace_group,
    patch_group,
    delete_group
);
