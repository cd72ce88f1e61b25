//! The authentication extractor every protected endpoint takes. It accepts a session cookie
//! (with the CSRF header on unsafe methods) or an API token, and appears in the spec as either.

use crate::state::AppState;
use confab_core::domain::{Principal, Surface};
use confab_core::error::AppError;
use poem::Request;
use poem::RequestBody;
use poem::http::Method;
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use std::sync::Arc;

use crate::cookie::SESSION_COOKIE;
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// An authenticated caller.
pub struct Auth(pub Principal);

impl<'a> ApiExtractor<'a> for Auth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        registry.create_security_scheme(
            "SessionCookie",
            MetaSecurityScheme {
                ty: "apiKey",
                description: Some(
                    "Browser session from `POST /v1/auth/login` (`__Host-confab_session` over HTTPS; the admin \
                     console's listener uses `confab_admin_session`). Unsafe methods also need the \
                     `X-CSRF-Token` header from the login response or `/v1/me`.",
                ),
                name: Some(SESSION_COOKIE),
                key_in: Some("cookie"),
                scheme: None,
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
        registry.create_security_scheme(
            "ApiToken",
            MetaSecurityScheme {
                ty: "http",
                description: Some("An API token (`cfb_…`), bound to one tenant and a role."),
                name: None,
                key_in: None,
                scheme: Some("bearer"),
                bearer_format: Some("cfb_…"),
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec!["SessionCookie", "ApiToken"]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _opts: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        let state = req.data::<Arc<AppState>>().ok_or_else(|| {
            poem::Error::from(crate::api::error::ApiError::from(AppError::Internal("no state".into())))
        })?;
        let started = std::time::Instant::now();
        let span = tracing::info_span!("auth");
        let principal = tracing::Instrument::instrument(authenticate(state, req), span).await;
        state.metrics.admission("auth", started.elapsed());
        principal.map(Auth).map_err(|e| crate::api::error::ApiError::from(e).into())
    }
}

/// Which surface a request came in on: the admin console's routes mark theirs.
pub fn surface(req: &Request) -> Surface {
    req.data::<Surface>().copied().unwrap_or_default()
}

async fn authenticate(state: &AppState, req: &Request) -> Result<Principal, AppError> {
    if let Some(header) = req.headers().get(poem::http::header::AUTHORIZATION) {
        let value = header.to_str().unwrap_or_default();
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(AppError::Unauthenticated("the Authorization header must be `Bearer <token>`"))?;
        return state.auth.authenticate_api_token(token.trim()).await;
    }
    let surface = surface(req);
    if let Some(cookie) = req.cookie().get(state.session_cookie_name(surface)) {
        let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        let csrf = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        return state.auth.authenticate_session(cookie.value_str(), csrf, unsafe_method, surface).await;
    }
    Err(AppError::Unauthenticated("sign in, or send a valid API token as `Authorization: Bearer …`"))
}
