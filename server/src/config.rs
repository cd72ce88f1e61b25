//! Configuration: defaults for the embedded tier, overlaid by `confab.toml`, overlaid by
//! `CONFAB_…` environment variables (nested keys joined with `__`, e.g. `CONFAB_SERVER__LISTEN`).
//! Any key may instead be read from a file named by `…_FILE` (e.g. `CONFAB_DATABASE__URL_FILE`),
//! which is how container platforms mount secrets.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub log: LogConfig,
    pub bootstrap: BootstrapConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address the API and web chat listen on.
    pub listen: String,
    /// The URL users reach Confab at. An `https://` URL marks cookies `Secure` and `__Host-`.
    pub public_url: Option<String>,
    /// Largest accepted request body, in bytes (larger bodies get 413).
    pub max_body_bytes: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            max_body_bytes: 1024 * 1024,
            trust_forwarded_for: false,
            shutdown_grace_secs: 20,
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path/to/file.db` (embedded default) or `postgres://user:pass@host/db`.
    pub url: String,
    pub max_connections: u32,
}

impl std::fmt::Debug for DatabaseConfig {
    // The URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: "sqlite://./data/confab.db".into(), max_connections: 8 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// A session unused for this long expires.
    pub session_idle_secs: u64,
    /// A session expires this long after sign-in, however active.
    pub session_absolute_secs: u64,
    /// Failed sign-ins allowed per account per window before 429.
    pub login_failures_per_account: u32,
    /// Failed sign-ins allowed per client address per window before 429. Counts failures only,
    /// so a whole office behind one NAT address can still sign in.
    pub login_failures_per_ip: u32,
    /// The window for both sign-in limits, in seconds.
    pub login_window_secs: u64,
    /// Default lifetime of new API tokens when the request gives none, in days (0 = no expiry).
    pub api_token_default_days: u32,
    /// Minimum password length.
    pub min_password_length: usize,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_idle_secs: 12 * 3600,
            session_absolute_secs: 7 * 24 * 3600,
            login_failures_per_account: 10,
            login_failures_per_ip: 100,
            login_window_secs: 15 * 60,
            api_token_default_days: 90,
            min_password_length: 12,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `confab_server=debug,info`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Human, level: "info".into() }
    }
}

/// First-run account, used only while the installation has no user at all.
#[derive(Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct BootstrapConfig {
    pub email: Option<String>,
    pub password: Option<String>,
    pub tenant: Option<String>,
}

impl std::fmt::Debug for BootstrapConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapConfig")
            .field("email", &self.email)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("tenant", &self.tenant)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("configuration key `{key}`: {reason}")]
    Invalid { key: String, reason: String },
}

const ENV_PREFIX: &str = "CONFAB_";

/// Environment variables that are not configuration keys (the CLI's own, and short aliases).
const NON_KEY_VARS: &[&str] = &["CONFIG"];

/// Short spellings documented for first-run setup.
const ALIASES: &[(&str, &str)] = &[
    ("BOOTSTRAP_EMAIL", "bootstrap.email"),
    ("BOOTSTRAP_PASSWORD", "bootstrap.password"),
    ("BOOTSTRAP_TENANT", "bootstrap.tenant"),
];

impl Config {
    /// Loads the configuration. `path` is the `--config` argument; without it `./confab.toml`
    /// is read when present.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_from(path, std::env::vars().collect())
    }

    pub fn load_from(path: Option<&Path>, env: Vec<(String, String)>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let file: Option<PathBuf> = match path {
            Some(p) => {
                if !p.exists() {
                    return Err(ConfigError::File { path: p.display().to_string(), reason: "file not found".into() });
                }
                Some(p.to_path_buf())
            }
            None => Some(PathBuf::from("confab.toml")).filter(|p| p.exists()),
        };
        if let Some(file) = &file {
            let text = std::fs::read_to_string(file)
                .map_err(|e| ConfigError::File { path: file.display().to_string(), reason: e.to_string() })?;
            figment = figment.merge(Toml::string(&text));
        }
        figment = figment.merge(
            Env::prefixed(ENV_PREFIX)
                .filter(|k| k.as_str().contains("__") && !k.as_str().to_ascii_lowercase().ends_with("_file"))
                .split("__"),
        );
        for (var, value) in &env {
            let Some(name) = var.strip_prefix(ENV_PREFIX) else { continue };
            if let Some((_, key)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
                figment = figment.merge(Serialized::default(key, value.clone()));
            } else if let Some(base) = name.strip_suffix("_FILE") {
                let key = ALIASES
                    .iter()
                    .find(|(alias, _)| *alias == base)
                    .map(|(_, key)| (*key).to_string())
                    .unwrap_or_else(|| base.to_lowercase().replace("__", "."));
                let contents = std::fs::read_to_string(value).map_err(|e| ConfigError::Invalid {
                    key: key.clone(),
                    reason: format!("cannot read {var}={value}: {e}"),
                })?;
                figment = figment.merge(Serialized::default(&key, contents.trim_end_matches(['\n', '\r']).to_string()));
            } else if !name.contains("__") && !NON_KEY_VARS.contains(&name) && !name.starts_with("TEST_") {
                return Err(ConfigError::Invalid {
                    key: var.clone(),
                    reason:
                        "unknown environment variable (nested keys are joined with `__`, e.g. CONFAB_SERVER__LISTEN)"
                            .into(),
                });
            }
        }
        let config: Config = figment.extract().map_err(|e| {
            let key = e.path.join(".");
            ConfigError::Invalid { key: if key.is_empty() { "<root>".into() } else { key }, reason: e.kind.to_string() }
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| ConfigError::Invalid { key: key.into(), reason };
        self.server
            .listen
            .parse::<SocketAddr>()
            .map_err(|e| invalid("server.listen", format!("`{}` is not host:port ({e})", self.server.listen)))?;
        if let Some(url) = &self.server.public_url {
            let parsed = url::Url::parse(url).map_err(|e| invalid("server.public_url", e.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(invalid("server.public_url", "must start with http:// or https://".into()));
            }
        }
        if self.server.max_body_bytes < 1024 {
            return Err(invalid("server.max_body_bytes", "must be at least 1024".into()));
        }
        if !(self.database.url.starts_with("sqlite:")
            || self.database.url.starts_with("postgres://")
            || self.database.url.starts_with("postgresql://"))
        {
            return Err(invalid("database.url", "must start with sqlite:, postgres:// or postgresql://".into()));
        }
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1".into()));
        }
        if self.auth.session_idle_secs == 0 || self.auth.session_absolute_secs < self.auth.session_idle_secs {
            return Err(invalid(
                "auth.session_absolute_secs",
                "must be at least auth.session_idle_secs, and both above zero".into(),
            ));
        }
        if self.auth.min_password_length < 8 {
            return Err(invalid("auth.min_password_length", "must be at least 8".into()));
        }
        if self.auth.login_failures_per_account == 0 || self.auth.login_failures_per_ip == 0 {
            return Err(invalid("auth.login_failures_per_account", "limits must be above zero".into()));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level).map_err(|e| invalid("log.level", e.to_string()))?;
        Ok(())
    }

    /// The URL printed for users: `public_url`, or the listen address.
    pub fn base_url(&self) -> String {
        match &self.server.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.server.listen),
        }
    }

    pub fn is_tls(&self) -> bool {
        self.server.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }
}

/// The database URL with any password replaced, for logs and `config check`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}
