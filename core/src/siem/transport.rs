//! Sending to a sink: an HTTPS POST for webhooks, a TCP (or TLS) connection for syslog. Tenant
//! sinks may only reach public addresses (a tenant admin must not make the server probe the
//! internal network); the address is checked after resolution and then pinned, so a DNS answer
//! cannot change between the check and the connection.
use super::Target;
use super::wire;
use crate::config::SiemConfig;
use crate::store::audit::Entry;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Why a delivery failed, in words safe to show an admin (never the secret, never a URL query).
pub type SendError = String;

/// Loopback, private, link-local, unspecified, multicast, shared or documentation ranges: not
/// a place a tenant's sink may point at.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// The extra CA certificates of `siem.ca_cert` (none when unset), parsed once when the service
/// starts and handed to every delivery.
pub type ExtraRoots = Arc<[rustls::pki_types::CertificateDer<'static>]>;

/// Parses `siem.ca_cert` (none when unset).
pub fn extra_roots(config: &SiemConfig) -> Result<ExtraRoots, SendError> {
    let Some(pem) = config.ca_cert.as_deref() else { return Ok(Arc::from(Vec::new())) };
    let certs = crate::config::parse_ca_certificates(pem).map_err(|reason| format!("siem.ca_cert {reason}"))?;
    Ok(Arc::from(certs))
}

/// Resolves the target's host and checks every address it may use.
async fn resolve(target: &Target, config: &SiemConfig) -> Result<SocketAddr, SendError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(|_| format!("cannot resolve {}", target.host))?
        .collect();
    let first = *addrs.first().ok_or_else(|| format!("{} has no address", target.host))?;
    for addr in &addrs {
        let ip = addr.ip();
        let loopback_ok = config.allow_loopback && ip.is_loopback();
        if target.public_only && is_internal(ip) && !loopback_ok {
            return Err(format!("{} resolves to an internal address, which tenant sinks may not use", target.host));
        }
        if !target.encrypted && !ip.is_loopback() {
            return Err("plaintext delivery is only allowed to loopback addresses".into());
        }
    }
    Ok(first)
}

/// POSTs one signed batch; any 2xx answer is a delivery.
pub async fn send_webhook(
    target: &Target,
    config: &SiemConfig,
    roots: &ExtraRoots,
    secret: &str,
    sink_id: uuid::Uuid,
    test: bool,
    entries: &[Entry],
) -> Result<(), SendError> {
    let addr = resolve(target, config).await?;
    let mut builder = reqwest::Client::builder();
    for der in roots.iter() {
        let cert =
            reqwest::Certificate::from_der(der).map_err(|_| "siem.ca_cert holds a bad certificate".to_string())?;
        builder = builder.add_root_certificate(cert);
    }
    let client = builder
        .resolve(&target.host, addr)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_millis(config.timeout_ms))
        .user_agent(concat!("confab-siem/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", e.without_url()))?;
    let body = wire::webhook_body(sink_id, test, entries);
    let timestamp = chrono::Utc::now().timestamp();
    let resp = client
        .post(target.url.as_str())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(wire::TIMESTAMP_HEADER, timestamp.to_string())
        .header(wire::SIGNATURE_HEADER, wire::signature(secret, timestamp, &body))
        .header(wire::SINK_HEADER, sink_id.to_string())
        .body(body)
        .send()
        .await
        .map_err(|e| format!("webhook request failed: {}", e.without_url()))?;
    let status = resp.status();
    if status.is_success() { Ok(()) } else { Err(format!("webhook answered HTTP {}", status.as_u16())) }
}

/// Writes one octet-counted RFC 5424 message per entry on a fresh connection, then closes it
/// cleanly; a delivery counts once every byte was accepted.
pub async fn send_syslog(
    target: &Target,
    config: &SiemConfig,
    extra_roots: &ExtraRoots,
    entries: &[Entry],
    test: bool,
) -> Result<(), SendError> {
    let addr = resolve(target, config).await?;
    let timeout = Duration::from_millis(config.timeout_ms);
    let mut payload = Vec::new();
    for e in entries {
        payload.extend(wire::syslog_frame(&config.hostname, e, test));
    }
    let work = async {
        let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("cannot connect: {}", e.kind()))?;
        let _ = tcp.set_nodelay(true);
        if target.encrypted {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            for der in extra_roots.iter() {
                roots.add(der.clone()).map_err(|e| format!("siem.ca_cert: {e}"))?;
            }
            let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("TLS setup: {e}"))?
                .with_root_certificates(roots)
                .with_no_client_auth();
            let name = rustls::pki_types::ServerName::try_from(target.host.clone())
                .map_err(|_| format!("{} is not a valid TLS server name", target.host))?;
            let mut stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS handshake failed: {e}"))?;
            stream.write_all(&payload).await.map_err(|e| format!("send failed: {}", e.kind()))?;
            stream.shutdown().await.map_err(|e| format!("close failed: {}", e.kind()))?;
        } else {
            let mut stream = tcp;
            stream.write_all(&payload).await.map_err(|e| format!("send failed: {}", e.kind()))?;
            stream.shutdown().await.map_err(|e| format!("close failed: {}", e.kind()))?;
        }
        Ok::<(), SendError>(())
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| "syslog delivery timed out".to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_ranges_are_recognised() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "100.64.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))), "{internal}");
        }
        for public in ["1.1.1.1", "8.8.8.8", "2606:4700::1111"] {
            assert!(!is_internal(public.parse().unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))), "{public}");
        }
    }
}
