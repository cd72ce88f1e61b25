//! OpenID providers for the single sign-on tests, and a browser that signs in through them.
//!
//! - [`OidcProvider`]: panva's `oidc-provider` (OpenID Certified), run by `tests/oidc/provider.mjs`
//!   with test clients and users: the real thing for the flows that should work.
//! - [`TestIssuer`]: a small issuer in Rust that speaks discovery, JWKS, the authorization code
//!   flow with PKCE, and signs its ID tokens with keys the test controls (through the
//!   `openidconnect` crate's own signing), so it can hand out the bad ones a certified provider
//!   never would: wrong audience, expired, replayed nonce, tampered signature, unknown key — and
//!   rotate its keys.
//! - [`Browser`]: follows redirects by hand, keeps cookies, fills in the provider's login form.
use crate::Api;
use confab_core::identity::sso::ExtraClaims;
use openidconnect::core::{
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    Audience, EndUserEmail, EndUserName, IdToken, IdTokenClaims, IssuerUrl, JsonWebKeyId, JsonWebKeySet,
    LocalizedClaim, Nonce, PrivateSigningKey, StandardClaims, SubjectIdentifier,
};
use poem::http::StatusCode;
use poem::web::{Data, Form, Query};
use poem::{EndpointExt, IntoResponse, Response, Route, Server, get, handler, post};
use reqwest::header::LOCATION;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// ---- oidc-provider (Node) ----

/// The directory of the Node provider (with its `node_modules` from `npm ci`).
fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

/// A running `oidc-provider`; stopped when dropped.
pub struct OidcProvider {
    pub issuer: String,
    child: Child,
    _config: tempfile_path::TempPath,
}

mod tempfile_path {
    /// A file removed when dropped.
    pub struct TempPath(pub std::path::PathBuf);
    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// Starts `node provider.mjs CONFIG` and waits for its `listening` line; on failure, what node
/// wrote to stderr.
fn spawn_provider(dir: &std::path::Path, config: &std::path::Path) -> Result<(String, Child), String> {
    let n: u64 = rand::random();
    let stderr_path = std::env::temp_dir().join(format!("confab-oidc-{n:016x}.stderr"));
    let stderr = std::fs::File::create(&stderr_path).map_err(|e| format!("stderr file: {e}"))?;
    let _stderr_file = tempfile_path::TempPath(stderr_path.clone());
    let mut child = Command::new("node")
        .arg(dir.join("provider.mjs"))
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("node (Node.js 20.19+) runs the test OpenID provider");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let started = std::time::Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_secs(45)) {
            Ok(line) => {
                if let Some(url) = line.strip_prefix("oidc-provider listening on ") {
                    return Ok((url.trim().to_string(), child));
                }
            }
            Err(e) => {
                let _ = child.kill();
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                return Err(format!("{e:?} after {:?} ({status}); stderr: {}", started.elapsed(), err.trim()));
            }
        }
    }
}

impl OidcProvider {
    /// Starts a provider. `clients`: `[{client_id, client_secret, redirect_uris}]`;
    /// `users`: `{login: {email, name, groups}}`.
    pub fn start(clients: Value, users: Value) -> OidcProvider {
        let dir = provider_dir();
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "the OpenID provider for the SSO tests is not installed: run `npm ci` in tests/oidc \
             (scripts/test.sh api does)"
        );
        let n: u64 = rand::random();
        let path = std::env::temp_dir().join(format!("confab-oidc-{n:016x}.json"));
        std::fs::write(&path, json!({ "clients": clients, "users": users }).to_string()).unwrap();
        // Node's start is usually well under a second; one that says nothing for a long while (seen
        // once in CI, under load) is stopped and started again, its stderr reported.
        let mut failures = Vec::new();
        for attempt in 1..=2 {
            match spawn_provider(&dir, &path) {
                Ok((issuer, child)) => {
                    if !failures.is_empty() {
                        eprintln!("oidc-provider started on attempt {attempt} after: {failures:?}");
                    }
                    return OidcProvider { issuer, child, _config: tempfile_path::TempPath(path) };
                }
                Err(why) => failures.push(why),
            }
        }
        panic!("oidc-provider did not start: {failures:?}");
    }

    /// Replaces a user's claims (e.g. their groups) for their next sign-in.
    pub async fn put_user(&self, login: &str, claims: Value) {
        let resp = reqwest::Client::new()
            .put(format!("{}/_test/users/{login}", self.issuer))
            .body(claims.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 204);
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- A browser ----

/// A browser: one cookie jar for every site, redirects followed one by one.
pub struct Browser {
    client: reqwest::Client,
}

/// Where a sign-in ended.
#[derive(Debug)]
pub enum SignIn {
    /// Back at the web chat, signed in.
    SignedIn,
    /// Back at the sign-in page with `?sso_error=<code>`.
    Refused(String),
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser { client }
    }

    /// A GET, returning status, `Location` and body.
    pub async fn get(&self, url: &str) -> (StatusCode, Option<String>, String) {
        let resp = self.client.get(url).send().await.unwrap();
        let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
        let location = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
        (status, location, resp.text().await.unwrap_or_default())
    }

    /// Starts at `start` (Confab's `/v1/auth/oidc/{tenant}/start`) and follows the flow: the
    /// provider's login form gets `login`, and it ends back at Confab.
    pub async fn sign_in(&self, app_base: &str, start: &str, login: &str) -> SignIn {
        self.walk(app_base, start, login, false).await.1.expect("ended at Confab")
    }

    /// Like [`Browser::sign_in`], but stops at the provider's redirect back to Confab's callback
    /// and returns that URL (not visited).
    pub async fn until_callback(&self, app_base: &str, start: &str, login: &str) -> String {
        self.walk(app_base, start, login, true).await.0.expect("reached the callback")
    }

    async fn walk(&self, app_base: &str, start: &str, login: &str, stop: bool) -> (Option<String>, Option<SignIn>) {
        let mut url = format!("{app_base}{start}");
        for _ in 0..20 {
            let (status, location, body) = self.get(&url).await;
            if let Some(loc) = location {
                let next = absolute(&url, &loc);
                if stop && next.starts_with(&format!("{app_base}/v1/auth/oidc/callback")) {
                    return (Some(next), None);
                }
                if next.starts_with(&format!("{app_base}/?")) || next == format!("{app_base}/") {
                    return (
                        None,
                        Some(
                            match reqwest::Url::parse(&next).ok().and_then(|u| {
                                u.query_pairs().find(|(k, _)| k == "sso_error").map(|(_, v)| v.to_string())
                            }) {
                                Some(code) => SignIn::Refused(code),
                                None => SignIn::SignedIn,
                            },
                        ),
                    );
                }
                url = next;
                continue;
            }
            assert_eq!(status, StatusCode::OK, "{url}: {body}");
            // The provider's login form.
            let action = form_action(&body).unwrap_or_else(|| panic!("no form at {url}: {body}"));
            let action = absolute(&url, &action);
            let resp = self
                .client
                .post(&action)
                .form(&[("prompt", "login"), ("login", login), ("password", "any")])
                .send()
                .await
                .unwrap();
            let loc = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
            url = absolute(&action, &loc.unwrap_or_else(|| panic!("the login form did not redirect ({action})")));
        }
        panic!("the sign-in did not end after 20 steps (at {url})");
    }

    /// An API client with this browser's cookies and the session's CSRF token (from `/v1/me`).
    pub async fn api(&self, app_base: &str) -> Api {
        let me: Value =
            self.client.get(format!("{app_base}/v1/me")).send().await.unwrap().json().await.unwrap_or(Value::Null);
        Api {
            app_base: app_base.to_string(),
            client: self.client.clone(),
            csrf: me["csrf_token"].as_str().map(str::to_string),
            bearer: None,
        }
    }
}

fn absolute(base: &str, location: &str) -> String {
    reqwest::Url::parse(base).unwrap().join(location).unwrap().to_string()
}

fn form_action(html: &str) -> Option<String> {
    let start = html.find("<form")?;
    let rest = &html[start..];
    let a = rest.find("action=\"")? + "action=\"".len();
    let end = rest[a..].find('"')?;
    Some(rest[a..a + end].replace("&amp;", "&").replace("&#x2F;", "/").replace("&#47;", "/"))
}

// ---- A Rust issuer that can misbehave ----

/// What the next ID token from [`TestIssuer`] gets wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum Bad {
    /// Nothing: a valid token.
    No,
    /// `aud` is another client.
    WrongAudience,
    /// Expired `seconds` ago.
    Expired(i64),
    /// One byte of the signature changed.
    TamperedSignature,
    /// Signed with a key the JWKS does not list.
    UnknownKid,
    /// The nonce of an earlier sign-in.
    ReplayedNonce,
    /// Issued by another issuer (`iss`).
    WrongIssuer,
}

/// The user the issuer signs in next.
#[derive(Debug, Clone)]
pub struct IssuerUser {
    pub sub: String,
    pub email: String,
    pub name: String,
    pub groups: Vec<String>,
}

struct Key {
    key: CoreRsaPrivateSigningKey,
}

struct IssuerState {
    issuer: String,
    client_id: String,
    client_secret: String,
    /// Published keys; the first signs.
    published: Vec<Key>,
    /// A key never published.
    stray: Key,
    bad: Bad,
    user: IssuerUser,
    /// code → (nonce, code challenge)
    codes: HashMap<String, (String, String)>,
    nonces: Vec<String>,
    jwks_fetches: usize,
}

/// A small issuer under the test's control.
pub struct TestIssuer {
    pub issuer: String,
    state: Arc<Mutex<IssuerState>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// A fresh 2048-bit RSA key (PKCS#1, through the openssl command).
fn rsa_key(kid: &str) -> Key {
    let out = Command::new("openssl").args(["genrsa", "-traditional", "2048"]).output().expect("openssl");
    assert!(out.status.success(), "openssl genrsa: {}", String::from_utf8_lossy(&out.stderr));
    let pem = String::from_utf8(out.stdout).unwrap();
    let key = CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new(kid.to_string()))).unwrap();
    Key { key }
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: String,
    nonce: String,
    code_challenge: String,
    code_challenge_method: String,
}

#[handler]
fn discovery(state: Data<&Arc<Mutex<IssuerState>>>) -> Response {
    let iss = state.lock().unwrap().issuer.clone();
    poem::web::Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "jwks_uri": format!("{iss}/jwks"),
        "end_session_endpoint": format!("{iss}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
    }))
    .into_response()
}

#[handler]
fn jwks(state: Data<&Arc<Mutex<IssuerState>>>) -> Response {
    let mut s = state.lock().unwrap();
    s.jwks_fetches += 1;
    let keys: Vec<CoreJsonWebKey> = s.published.iter().map(|k| k.key.as_verification_key()).collect();
    poem::web::Json(serde_json::to_value(JsonWebKeySet::new(keys)).unwrap()).into_response()
}

#[handler]
fn authorize(state: Data<&Arc<Mutex<IssuerState>>>, q: Query<AuthorizeQuery>) -> Response {
    let mut s = state.lock().unwrap();
    if q.client_id != s.client_id || q.code_challenge_method != "S256" {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let code = format!("code-{:016x}", rand::random::<u64>());
    s.codes.insert(code.clone(), (q.nonce.clone(), q.code_challenge.clone()));
    s.nonces.push(q.nonce.clone());
    let sep = if q.redirect_uri.contains('?') { '&' } else { '?' };
    let to = format!("{}{sep}code={code}&state={}", q.redirect_uri, q.state);
    Response::builder().status(StatusCode::SEE_OTHER).header("Location", to).finish()
}

#[derive(Deserialize)]
struct TokenForm {
    code: String,
    code_verifier: String,
}

#[handler]
fn token(state: Data<&Arc<Mutex<IssuerState>>>, req: &poem::Request, form: Form<TokenForm>) -> Response {
    use base64::Engine;
    let mut s = state.lock().unwrap();
    let basic = req.header("authorization").and_then(|h| h.strip_prefix("Basic ")).unwrap_or_default();
    let decoded = base64::engine::general_purpose::STANDARD.decode(basic).unwrap_or_default();
    let expected = format!("{}:{}", s.client_id, s.client_secret);
    if decoded != expected.as_bytes() {
        return (StatusCode::UNAUTHORIZED, poem::web::Json(json!({ "error": "invalid_client" }))).into_response();
    }
    let Some((nonce, challenge)) = s.codes.remove(&form.code) else {
        return (StatusCode::BAD_REQUEST, poem::web::Json(json!({ "error": "invalid_grant" }))).into_response();
    };
    let computed =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(form.code_verifier.as_bytes()));
    if computed != challenge {
        return (
            StatusCode::BAD_REQUEST,
            poem::web::Json(json!({ "error": "invalid_grant", "error_description": "PKCE" })),
        )
            .into_response();
    }
    let now = chrono::Utc::now();
    let bad = s.bad.clone();
    let nonce = match bad {
        Bad::ReplayedNonce => s.nonces.first().cloned().unwrap_or(nonce),
        _ => nonce,
    };
    let (iat, exp) = match bad {
        Bad::Expired(secs) => (now - chrono::Duration::seconds(secs + 300), now - chrono::Duration::seconds(secs)),
        _ => (now, now + chrono::Duration::seconds(300)),
    };
    let aud = if bad == Bad::WrongAudience { "someone-else".to_string() } else { s.client_id.clone() };
    let iss = if bad == Bad::WrongIssuer { format!("{}/other", s.issuer) } else { s.issuer.clone() };
    let user = s.user.clone();
    let mut extra = serde_json::Map::new();
    extra.insert("groups".into(), json!(user.groups));
    let claims = IdTokenClaims::<ExtraClaims, CoreGenderClaim>::new(
        IssuerUrl::new(iss).unwrap(),
        vec![Audience::new(aud)],
        exp,
        iat,
        StandardClaims::new(SubjectIdentifier::new(user.sub.clone()))
            .set_email(Some(EndUserEmail::new(user.email.clone())))
            .set_name(Some(LocalizedClaim::from(EndUserName::new(user.name.clone())))),
        ExtraClaims { claims: extra },
    )
    .set_nonce(Some(Nonce::new(nonce)));
    let signer = if bad == Bad::UnknownKid { &s.stray } else { &s.published[0] };
    let token =
        IdToken::<ExtraClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>::new(
            claims,
            &signer.key,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            None,
            None,
        )
        .unwrap();
    let mut jwt = token.to_string();
    if bad == Bad::TamperedSignature {
        // Change one character in the middle of the signature.
        let sig_start = jwt.rfind('.').unwrap() + 1;
        let i = sig_start + (jwt.len() - sig_start) / 2;
        let c = if &jwt[i..i + 1] == "A" { "B" } else { "A" };
        jwt.replace_range(i..i + 1, c);
    }
    poem::web::Json(json!({ "access_token": "at-test", "token_type": "Bearer", "expires_in": 300, "id_token": jwt }))
        .into_response()
}

impl TestIssuer {
    pub async fn start(client_id: &str, client_secret: &str, user: IssuerUser) -> TestIssuer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(IssuerState {
            issuer: issuer.clone(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            published: vec![rsa_key("key-1")],
            stray: rsa_key("key-stray"),
            bad: Bad::No,
            user,
            codes: HashMap::new(),
            nonces: Vec::new(),
            jwks_fetches: 0,
        }));
        let app = Route::new()
            .at("/.well-known/openid-configuration", get(discovery))
            .at("/jwks", get(jwks))
            .at("/authorize", get(authorize))
            .at("/token", post(token))
            .data(state.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
        tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(
                    app,
                    async move {
                        let _ = rx.await;
                    },
                    Some(Duration::ZERO),
                )
                .await;
        });
        TestIssuer { issuer, state, _shutdown: tx }
    }

    /// What the next tokens get wrong.
    pub fn misbehave(&self, bad: Bad) {
        self.state.lock().unwrap().bad = bad;
    }

    pub fn set_user(&self, user: IssuerUser) {
        self.state.lock().unwrap().user = user;
    }

    /// Rotates the signing key: a new key signs and is published first; the old one stays
    /// published when `keep_old`.
    pub fn rotate(&self, kid: &str, keep_old: bool) {
        let key = rsa_key(kid);
        let mut s = self.state.lock().unwrap();
        if !keep_old {
            s.published.clear();
        }
        s.published.insert(0, key);
    }

    /// How often the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.state.lock().unwrap().jwks_fetches
    }
}
