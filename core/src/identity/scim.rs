//! SCIM 2.0 (RFC 7643/7644) wire format: errors, `filter`, PATCH operations over a resource's
//! JSON, and the discovery documents. Plain JSON (`serde_json::Value`): SCIM resources are open
//! ended (extensions, provider-specific attributes), and what a provider sends it expects back.
use crate::error::AppError;
use serde_json::{Map, Value, json};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The most resources one list answer holds (`ServiceProviderConfig.filter.maxResults`).
pub const MAX_RESULTS: u64 = 200;

/// A SCIM error (RFC 7644 §3.12): the HTTP status, the `scimType` for 400/409, a detail.
#[derive(Debug, Clone)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        Self { status, scim_type, detail: detail.into() }
    }
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(404, None, format!("{what} not found"))
    }
    pub fn unauthorized() -> Self {
        Self::new(401, None, "send this tenant's SCIM token as `Authorization: Bearer …`")
    }

    pub fn body(&self) -> Value {
        let mut body = json!({ "schemas": [ERROR_SCHEMA], "status": self.status.to_string(), "detail": self.detail });
        if let Some(t) = self.scim_type {
            body["scimType"] = t.into();
        }
        body
    }
}

impl From<AppError> for ScimError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation { .. } => ScimError::bad("invalidValue", e.to_string()),
            AppError::NotFound(what) => ScimError::not_found(what),
            AppError::Conflict(m) => ScimError::new(409, Some("uniqueness"), m),
            AppError::Unauthenticated(_) | AppError::InvalidCredentials => ScimError::unauthorized(),
            AppError::Forbidden(m) => ScimError::new(403, None, m),
            AppError::RateLimited { .. } | AppError::QuotaExceeded(_) => ScimError::new(429, None, e.to_string()),
            AppError::Unavailable(_) => ScimError::new(503, None, "a dependency is unavailable; retry later"),
            e => {
                tracing::error!(error = %e, "SCIM request failed");
                ScimError::new(500, None, "internal error")
            }
        }
    }
}

pub type ScimResult<T> = Result<T, ScimError>;

/// A list `filter`: `attribute eq "value"` (what identity providers send to look a resource up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EqFilter {
    /// Lower-cased, without a schema URN prefix.
    pub attribute: String,
    pub value: String,
}

pub fn parse_filter(raw: &str) -> ScimResult<EqFilter> {
    let invalid =
        || ScimError::bad("invalidFilter", format!("unsupported filter `{raw}`: use `attribute eq \"value\"`"));
    let raw = raw.trim();
    let (attribute, rest) = raw.split_once(char::is_whitespace).ok_or_else(invalid)?;
    let rest = rest.trim_start();
    let (op, value) = rest.split_once(char::is_whitespace).ok_or_else(invalid)?;
    if !op.eq_ignore_ascii_case("eq") {
        return Err(invalid());
    }
    let value = value.trim();
    let value = if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        serde_json::from_str::<String>(&format!("\"{inner}\"")).map_err(|_| invalid())?
    } else if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false") {
        value.to_lowercase()
    } else {
        return Err(invalid());
    };
    let attribute = strip_urn(attribute).to_lowercase();
    if attribute.is_empty() || !attribute.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '$') {
        return Err(invalid());
    }
    Ok(EqFilter { attribute, value })
}

/// `urn:…:User:userName` → `userName` (core schema URNs only prefix core attributes).
fn strip_urn(path: &str) -> &str {
    for urn in [USER_SCHEMA, GROUP_SCHEMA] {
        if let Some(rest) = path.strip_prefix(urn).and_then(|r| r.strip_prefix(':')) {
            return rest;
        }
    }
    path
}

/// A boolean as providers send it: `true`, or Entra ID's `"True"`.
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The key of `obj` that names `attr`, case-insensitively (attribute names are).
fn key_of(obj: &Map<String, Value>, attr: &str) -> String {
    obj.keys().find(|k| k.eq_ignore_ascii_case(attr)).cloned().unwrap_or_else(|| attr.to_string())
}

/// Looks an attribute up case-insensitively.
pub fn get<'a>(obj: &'a Value, attr: &str) -> Option<&'a Value> {
    obj.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(attr)).map(|(_, v)| v)
}

/// A PATCH `path`: `[urn:]attr[.sub]` or `attr[subAttr eq "v"][.sub]`.
#[derive(Debug)]
struct PatchPath {
    extension: Option<String>,
    attr: String,
    filter: Option<EqFilter>,
    sub: Option<String>,
}

fn parse_path(raw: &str) -> ScimResult<PatchPath> {
    let bad = || ScimError::bad("invalidPath", format!("unsupported path `{raw}`"));
    let mut rest = strip_urn(raw.trim());
    let mut extension = None;
    if rest.starts_with("urn:") {
        // An extension attribute: `urn:…:enterprise:2.0:User:department`, or the URN alone.
        let known = [ENTERPRISE_SCHEMA];
        let urn =
            known.iter().find(|u| rest.len() >= u.len() && rest[..u.len()].eq_ignore_ascii_case(u)).ok_or_else(bad)?;
        let tail = &rest[urn.len()..];
        extension = Some(urn.to_string());
        if tail.is_empty() {
            return Ok(PatchPath { extension: None, attr: urn.to_string(), filter: None, sub: None });
        }
        rest = tail.strip_prefix(':').ok_or_else(bad)?;
    }
    let (attr, filter, after) = match rest.find('[') {
        Some(open) => {
            let close = rest.rfind(']').filter(|c| *c > open).ok_or_else(bad)?;
            let filter = parse_filter(&rest[open + 1..close]).map_err(|_| bad())?;
            (&rest[..open], Some(filter), &rest[close + 1..])
        }
        None => match rest.split_once('.') {
            Some((a, s)) => (a, None, &rest[a.len()..a.len() + 1 + s.len()]),
            None => (rest, None, ""),
        },
    };
    let sub = match after {
        "" => None,
        s => Some(s.strip_prefix('.').filter(|s| !s.is_empty() && !s.contains('.')).ok_or_else(bad)?.to_string()),
    };
    if attr.is_empty() || attr.contains('.') {
        return Err(bad());
    }
    Ok(PatchPath { extension, attr: attr.to_string(), filter, sub })
}

fn matches(element: &Value, filter: &EqFilter) -> bool {
    match get(element, &filter.attribute) {
        Some(Value::String(s)) => {
            if filter.attribute == "value" {
                s == &filter.value
            } else {
                s.eq_ignore_ascii_case(&filter.value)
            }
        }
        Some(Value::Bool(b)) => b.to_string() == filter.value,
        _ => false,
    }
}

/// Adds `items` to a multi-valued attribute, skipping ones already there (same `value`, or equal).
fn append(list: &mut Vec<Value>, items: Vec<Value>) {
    for item in items {
        let dup = list.iter().any(|e| match (get(e, "value"), get(&item, "value")) {
            (Some(a), Some(b)) => a == b,
            _ => e == &item,
        });
        if !dup {
            list.push(item);
        }
    }
}

/// Applies a PATCH request's operations to a resource's JSON (RFC 7644 §3.5.2).
pub fn apply_patch(resource: &mut Value, request: &Value) -> ScimResult<()> {
    let ops = get(request, "Operations").and_then(Value::as_array).ok_or_else(|| {
        ScimError::bad("invalidSyntax", "a PATCH body is `{\"schemas\": [PatchOp], \"Operations\": […]}`")
    })?;
    if let Some(schemas) = get(request, "schemas").and_then(Value::as_array)
        && !schemas.iter().any(|s| s.as_str() == Some(PATCH_SCHEMA))
    {
        return Err(ScimError::bad("invalidSyntax", format!("`schemas` must name {PATCH_SCHEMA}")));
    }
    for op in ops {
        let name = get(op, "op").and_then(Value::as_str).unwrap_or_default().to_lowercase();
        let path = get(op, "path").and_then(Value::as_str).filter(|p| !p.trim().is_empty());
        let value = get(op, "value").cloned();
        match (name.as_str(), path) {
            ("add" | "replace", None) => {
                let Some(Value::Object(values)) = value else {
                    return Err(ScimError::bad("invalidValue", "an operation without `path` needs an object `value`"));
                };
                for (k, v) in values {
                    if k.starts_with("urn:") && strip_urn(&k) == k && v.is_object() {
                        // An extension's attributes, merged one by one.
                        let Some(Value::Object(attrs)) = Some(v) else { continue };
                        for (sub, sv) in attrs {
                            apply_one(resource, &name, &format!("{k}:{sub}"), Some(sv))?;
                        }
                    } else {
                        apply_one(resource, &name, &k, Some(v))?;
                    }
                }
            }
            ("remove", None) => return Err(ScimError::bad("noTarget", "`remove` needs a `path`")),
            ("add" | "replace" | "remove", Some(path)) => apply_one(resource, &name, path, value)?,
            _ => return Err(ScimError::bad("invalidSyntax", format!("unknown PATCH op `{name}`"))),
        }
    }
    Ok(())
}

fn apply_one(resource: &mut Value, op: &str, raw_path: &str, value: Option<Value>) -> ScimResult<()> {
    let path = parse_path(raw_path)?;
    if op != "remove" && value.is_none() {
        return Err(ScimError::bad("invalidValue", format!("`{op}` needs a `value`")));
    }
    let root = resource.as_object_mut().ok_or_else(|| ScimError::new(500, None, "resource is not an object"))?;
    let container = match &path.extension {
        Some(urn) => {
            let key = key_of(root, urn);
            if op == "remove" && !root.contains_key(&key) {
                return Ok(());
            }
            let entry = root.entry(key).or_insert_with(|| json!({}));
            if !entry.is_object() {
                *entry = json!({});
            }
            entry.as_object_mut().ok_or_else(|| ScimError::new(500, None, "extension is not an object"))?
        }
        None => root,
    };
    let key = key_of(container, &path.attr);
    match (&path.filter, &path.sub) {
        (None, None) => match op {
            "remove" => match (container.get_mut(&key), value) {
                (Some(Value::Array(list)), Some(Value::Array(gone))) => {
                    list.retain(|e| !gone.iter().any(|g| get(g, "value").is_some_and(|v| get(e, "value") == Some(v))));
                }
                _ => {
                    container.remove(&key);
                }
            },
            "add" => {
                let value = value.unwrap_or(Value::Null);
                match (container.get_mut(&key), value) {
                    (Some(Value::Array(list)), Value::Array(items)) => append(list, items),
                    (Some(Value::Array(list)), item) => append(list, vec![item]),
                    (Some(Value::Object(obj)), Value::Object(more)) => obj.extend(more),
                    (_, v) => {
                        container.insert(key, v);
                    }
                }
            }
            _ => {
                let value = value.unwrap_or(Value::Null);
                match (container.get_mut(&key), value) {
                    (Some(Value::Object(obj)), Value::Object(more)) => obj.extend(more),
                    (_, v) => {
                        container.insert(key, v);
                    }
                }
            }
        },
        (None, Some(sub)) => {
            if op == "remove" {
                if let Some(Value::Object(obj)) = container.get_mut(&key) {
                    let sub = key_of(obj, sub);
                    obj.remove(&sub);
                }
                return Ok(());
            }
            let entry = container.entry(key).or_insert_with(|| json!({}));
            match entry {
                Value::Object(obj) => {
                    let sub = key_of(obj, sub);
                    obj.insert(sub, value.unwrap_or(Value::Null));
                }
                // `emails.value` on a list: every element.
                Value::Array(list) => {
                    for e in list.iter_mut().filter_map(Value::as_object_mut) {
                        let sub = key_of(e, sub);
                        e.insert(sub, value.clone().unwrap_or(Value::Null));
                    }
                }
                other => *other = json!({ sub.as_str(): value }),
            }
        }
        (Some(filter), sub) => {
            if op == "remove" {
                let Some(Value::Array(list)) = container.get_mut(&key) else { return Ok(()) };
                match sub {
                    None => list.retain(|e| !matches(e, filter)),
                    Some(sub) => {
                        for e in list.iter_mut().filter(|e| matches(e, filter)).filter_map(Value::as_object_mut) {
                            let sub = key_of(e, sub);
                            e.remove(&sub);
                        }
                    }
                }
                return Ok(());
            }
            let entry = container.entry(key).or_insert_with(|| json!([]));
            if !entry.is_array() {
                *entry = json!([]);
            }
            let Value::Array(list) = entry else { return Ok(()) };
            let value = value.unwrap_or(Value::Null);
            let mut hit = false;
            for e in list.iter_mut().filter(|e| matches(e, filter)) {
                hit = true;
                match (sub, e.as_object_mut(), &value) {
                    (Some(sub), Some(obj), v) => {
                        let sub = key_of(obj, sub);
                        obj.insert(sub, v.clone());
                    }
                    (None, Some(obj), Value::Object(more)) => obj.extend(more.clone()),
                    (None, _, v) => *e = v.clone(),
                    (Some(_), None, _) => {}
                }
            }
            if !hit {
                // Nothing matched: the element is created (what Entra ID expects of
                // `emails[type eq "work"].value`).
                let mut element = Map::new();
                element.insert(filter.attribute.clone(), Value::String(filter.value.clone()));
                match (sub, value) {
                    (Some(sub), v) => {
                        element.insert(sub.clone(), v);
                    }
                    (None, Value::Object(more)) => element.extend(more),
                    (None, _) => return Err(ScimError::bad("invalidValue", "the value must be an object")),
                }
                list.push(Value::Object(element));
            }
        }
    }
    Ok(())
}

/// `ServiceProviderConfig` (RFC 7643 §5).
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/confab/confab#provisioning-with-scim",
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": false },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A per-tenant SCIM token created by a tenant admin (POST /v1/tenant/scim/tokens)",
            "primary": true
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig") }
    })
}

pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users", "description": "A member of the tenant",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{ "schema": ENTERPRISE_SCHEMA, "required": false }],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User") }
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group", "name": "Group", "endpoint": "/Groups",
            "description": "A group of members; mapped groups grant roles",
            "schema": GROUP_SCHEMA,
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group") }
        }),
    ]
}

fn attr(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "description": description, "required": false,
        "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"
    })
}

fn with(mut a: Value, changes: Value) -> Value {
    if let (Some(a), Value::Object(c)) = (a.as_object_mut(), changes) {
        a.extend(c);
    }
    a
}

fn multi(name: &str, description: &str, subs: Vec<Value>) -> Value {
    with(attr(name, "complex", description), json!({ "multiValued": true, "subAttributes": subs }))
}

fn typed_multi(name: &str, description: &str, value_kind: &str) -> Value {
    multi(
        name,
        description,
        vec![
            attr("value", value_kind, "The value"),
            attr("display", "string", "A human-readable name"),
            with(
                attr("type", "string", "A label: work, home, other"),
                json!({ "canonicalValues": ["work", "home", "other"] }),
            ),
            attr("primary", "boolean", "Whether this is the primary value"),
        ],
    )
}

/// `Schemas` (RFC 7643 §7): what Confab stores and returns.
pub fn schemas(base: &str) -> Vec<Value> {
    let user_attrs = vec![
        with(
            attr(
                "userName",
                "string",
                "Unique identifier of the user in the tenant, typically the sign-in e-mail address",
            ),
            json!({ "required": true, "uniqueness": "server" }),
        ),
        with(
            attr("name", "complex", "The components of the user's name"),
            json!({ "subAttributes": [
                attr("formatted", "string", "The full name"),
                attr("familyName", "string", "The family name"),
                attr("givenName", "string", "The given name"),
                attr("middleName", "string", "The middle name"),
                attr("honorificPrefix", "string", "The honorific prefix"),
                attr("honorificSuffix", "string", "The honorific suffix"),
            ] }),
        ),
        attr("displayName", "string", "The name shown to others"),
        attr("nickName", "string", "The casual name"),
        attr("title", "string", "The title"),
        attr("userType", "string", "The relationship to the organisation"),
        attr("preferredLanguage", "string", "The preferred language"),
        attr("locale", "string", "The locale"),
        attr("timezone", "string", "The time zone"),
        attr("active", "boolean", "Whether the user may use Confab in this tenant; false deprovisions"),
        with(
            attr("password", "string", "An initial password for a new account (never returned)"),
            json!({ "mutability": "writeOnly", "returned": "never" }),
        ),
        typed_multi(
            "emails",
            "E-mail addresses; a new account signs in with the primary work address when userName is not one",
            "string",
        ),
        typed_multi("phoneNumbers", "Phone numbers", "string"),
        with(
            multi(
                "groups",
                "The groups the user belongs to (set through Groups)",
                vec![
                    with(attr("value", "string", "The group's id"), json!({ "mutability": "readOnly" })),
                    with(
                        attr("$ref", "reference", "The group's URI"),
                        json!({ "mutability": "readOnly", "referenceTypes": ["Group"] }),
                    ),
                    with(attr("display", "string", "The group's name"), json!({ "mutability": "readOnly" })),
                    with(attr("type", "string", "direct"), json!({ "mutability": "readOnly" })),
                ],
            ),
            json!({ "mutability": "readOnly" }),
        ),
    ];
    let group_attrs = vec![
        with(attr("displayName", "string", "The group's name (what role mappings name)"), json!({ "required": true })),
        multi(
            "members",
            "The group's members",
            vec![
                with(attr("value", "string", "The member's id"), json!({ "mutability": "immutable" })),
                with(
                    attr("$ref", "reference", "The member's URI"),
                    json!({ "mutability": "immutable", "referenceTypes": ["User"] }),
                ),
                with(attr("display", "string", "The member's name"), json!({ "mutability": "readOnly" })),
                with(attr("type", "string", "User"), json!({ "mutability": "immutable", "canonicalValues": ["User"] })),
            ],
        ),
    ];
    let enterprise_attrs = vec![
        attr("employeeNumber", "string", "The employee number"),
        attr("costCenter", "string", "The cost center"),
        attr("organization", "string", "The organisation"),
        attr("division", "string", "The division"),
        attr("department", "string", "The department"),
    ];
    let doc = |id: &str, name: &str, description: &str, attributes: Vec<Value>| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": id, "name": name, "description": description, "attributes": attributes,
            "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{id}") }
        })
    };
    vec![
        doc(USER_SCHEMA, "User", "A member of the tenant", user_attrs),
        doc(GROUP_SCHEMA, "Group", "A group of members", group_attrs),
        doc(ENTERPRISE_SCHEMA, "EnterpriseUser", "Enterprise attributes of a user", enterprise_attrs),
    ]
}

/// Splits an `attributes` path into (top-level key, sub-attribute), extension URNs included.
fn split_attr(path: &str) -> (String, Option<String>) {
    let path = strip_urn(path.trim());
    if let Some(rest) = path.strip_prefix(ENTERPRISE_SCHEMA) {
        let sub = rest.strip_prefix(':').filter(|s| !s.is_empty()).map(str::to_string);
        return (ENTERPRISE_SCHEMA.to_string(), sub);
    }
    match path.split_once('.') {
        Some((a, b)) => (a.to_string(), Some(b.to_string())),
        None => (path.to_string(), None),
    }
}

/// Applies `attributes` / `excludedAttributes` (RFC 7644 §3.9) to a resource; `id`, `schemas`
/// and `meta` always stay.
pub fn project(resource: &mut Value, attributes: &[String], excluded: &[String]) {
    let Some(obj) = resource.as_object_mut() else { return };
    const ALWAYS: [&str; 3] = ["id", "schemas", "meta"];
    if !attributes.is_empty() {
        let wanted: Vec<(String, Option<String>)> = attributes.iter().map(|a| split_attr(a)).collect();
        let mut kept = Map::new();
        for (k, v) in obj.iter() {
            if ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(k)) {
                kept.insert(k.clone(), v.clone());
                continue;
            }
            let subs: Vec<&Option<String>> =
                wanted.iter().filter(|(a, _)| a.eq_ignore_ascii_case(k)).map(|(_, s)| s).collect();
            if subs.is_empty() {
                continue;
            }
            if subs.iter().any(|s| s.is_none()) {
                kept.insert(k.clone(), v.clone());
                continue;
            }
            let keep_sub = |e: &Value| -> Value {
                match e.as_object() {
                    Some(o) => Value::Object(
                        o.iter()
                            .filter(|(sk, _)| {
                                subs.iter().flat_map(|s| s.as_deref()).any(|s| s.eq_ignore_ascii_case(sk))
                            })
                            .map(|(sk, sv)| (sk.clone(), sv.clone()))
                            .collect(),
                    ),
                    None => e.clone(),
                }
            };
            let projected = match v {
                Value::Array(list) => Value::Array(list.iter().map(keep_sub).collect()),
                other => keep_sub(other),
            };
            kept.insert(k.clone(), projected);
        }
        *obj = kept;
    }
    for path in excluded {
        let (attr, sub) = split_attr(path);
        if ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(&attr)) {
            continue;
        }
        let Some(key) = obj.keys().find(|k| k.eq_ignore_ascii_case(&attr)).cloned() else { continue };
        match sub {
            None => {
                obj.remove(&key);
            }
            Some(sub) => {
                let strip = |e: &mut Value| {
                    if let Some(o) = e.as_object_mut()
                        && let Some(sk) = o.keys().find(|k| k.eq_ignore_ascii_case(&sub)).cloned()
                    {
                        o.remove(&sk);
                    }
                };
                match obj.get_mut(&key) {
                    Some(Value::Array(list)) => list.iter_mut().for_each(strip),
                    Some(v) => strip(v),
                    None => {}
                }
            }
        }
    }
}

/// A `ListResponse` page.
pub fn list_response(resources: Vec<Value>, total: u64, start_index: u64) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn patch(resource: Value, ops: Value) -> ScimResult<Value> {
        let mut r = resource;
        apply_patch(&mut r, &json!({ "schemas": [PATCH_SCHEMA], "Operations": ops }))?;
        Ok(r)
    }

    #[test]
    fn filters_are_eq_on_one_attribute() {
        assert_eq!(
            parse_filter(r#"userName eq "ann@x.example""#).unwrap(),
            EqFilter { attribute: "username".into(), value: "ann@x.example".into() }
        );
        assert_eq!(parse_filter(r#"externalId Eq "a \"b\"""#).unwrap().value, "a \"b\"");
        assert_eq!(parse_filter(&format!("{USER_SCHEMA}:userName eq \"a\"")).unwrap().attribute, "username");
        for bad in ["userName", "userName co \"a\"", "userName eq a", "a eq \"x\" and b eq \"y\""] {
            let e = parse_filter(bad).unwrap_err();
            assert_eq!((e.status, e.scim_type), (400, Some("invalidFilter")), "{bad}");
        }
    }

    #[test]
    fn patch_ops_follow_rfc_7644() {
        let user = json!({ "userName": "a", "active": true, "emails": [{ "type": "work", "value": "a@x" }] });
        let r = patch(user.clone(), json!([{ "op": "Replace", "path": "active", "value": "False" }])).unwrap();
        assert_eq!(as_bool(&r["active"]), Some(false));
        let r = patch(user.clone(), json!([{ "op": "replace", "value": { "active": false, "displayName": "A" } }]))
            .unwrap();
        assert_eq!((r["active"].clone(), r["displayName"].clone()), (json!(false), json!("A")));
        let r =
            patch(user.clone(), json!([{ "op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x" }]))
                .unwrap();
        assert_eq!(r["emails"], json!([{ "type": "work", "value": "b@x" }]));
        let r = patch(user.clone(), json!([{ "op": "add", "path": "name.givenName", "value": "Ann" }])).unwrap();
        assert_eq!(r["name"]["givenName"], "Ann");
        let r = patch(user.clone(), json!([{ "op": "remove", "path": "emails" }])).unwrap();
        assert!(r.get("emails").is_none());
        let r = patch(
            user.clone(),
            json!([{ "op": "add", "path": format!("{ENTERPRISE_SCHEMA}:department"), "value": "R&D" }]),
        )
        .unwrap();
        assert_eq!(r[ENTERPRISE_SCHEMA]["department"], "R&D");
        let e = patch(user.clone(), json!([{ "op": "remove" }])).unwrap_err();
        assert_eq!(e.scim_type, Some("noTarget"));
        let e = patch(user, json!([{ "op": "move", "path": "x" }])).unwrap_err();
        assert_eq!(e.scim_type, Some("invalidSyntax"));

        let group = json!({ "displayName": "g", "members": [{ "value": "1" }, { "value": "2" }] });
        let r = patch(
            group.clone(),
            json!([{ "op": "add", "path": "members", "value": [{ "value": "2" }, { "value": "3" }] }]),
        )
        .unwrap();
        assert_eq!(r["members"], json!([{ "value": "1" }, { "value": "2" }, { "value": "3" }]));
        let r = patch(group.clone(), json!([{ "op": "remove", "path": "members[value eq \"1\"]" }])).unwrap();
        assert_eq!(r["members"], json!([{ "value": "2" }]));
        let r =
            patch(group.clone(), json!([{ "op": "remove", "path": "members", "value": [{ "value": "2" }] }])).unwrap();
        assert_eq!(r["members"], json!([{ "value": "1" }]));
        let r = patch(group, json!([{ "op": "replace", "path": "members", "value": [] }])).unwrap();
        assert_eq!(r["members"], json!([]));
    }
}
