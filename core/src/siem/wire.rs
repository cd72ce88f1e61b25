//! What a sink receives: the webhook's JSON body and signature, and RFC 5424 syslog messages
//! with octet-counting framing (RFC 6587). The README documents both for receivers.
use crate::store::audit::Entry;
use chrono::SecondsFormat;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature: `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub const SIGNATURE_HEADER: &str = "X-Confab-Signature";
/// The header carrying the signing time, in Unix seconds (receivers refuse stale ones).
pub const TIMESTAMP_HEADER: &str = "X-Confab-Timestamp";
/// The header naming the sink, so one receiver can serve several.
pub const SINK_HEADER: &str = "X-Confab-Sink";

/// One entry as sinks receive it. `id` is the idempotency id: a redelivery carries the same.
pub fn entry_json(e: &Entry) -> serde_json::Value {
    // Details are stored as a JSON document; send it as one (a string if it ever is not).
    let details = serde_json::from_str::<serde_json::Value>(&e.details)
        .unwrap_or_else(|_| serde_json::Value::String(e.details.clone()));
    serde_json::json!({
        "id": e.id,
        "seq": e.seq,
        "tenant_id": e.tenant_id.map(|t| t.0),
        "actor_user_id": e.actor_user_id.map(|u| u.0),
        "actor": e.actor_label,
        "action": e.action,
        "target_type": e.target_type,
        "target_id": e.target_id,
        "outcome": e.outcome,
        "ip": e.ip,
        "request_id": e.request_id,
        "details": details,
        "created_at": e.created_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "hash": e.hash,
    })
}

/// The webhook body: the sink, whether this is a test event, and the entries in order.
pub fn webhook_body(sink_id: uuid::Uuid, test: bool, entries: &[Entry]) -> String {
    serde_json::json!({
        "sink_id": sink_id,
        "test": test,
        "entries": entries.iter().map(entry_json).collect::<Vec<_>>(),
    })
    .to_string()
}

/// `v1=` and the hex HMAC-SHA256 of `"<timestamp>.<body>"` under the sink's secret.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The syslog facility of every message: 13, "log audit".
const FACILITY_LOG_AUDIT: u8 = 13;
/// Our structured-data id (32473 is the enterprise number RFC 5612 reserves for examples and
/// documentation; collectors key on the whole id).
const SD_ID: &str = "confab@32473";

fn sd_escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace(']', "\\]")
}

/// A header field of printable US-ASCII without spaces, at most `max` long, `-` when empty.
fn header_field(v: &str, max: usize) -> String {
    let clean: String = v.chars().filter(|c| c.is_ascii_graphic()).take(max).collect();
    if clean.is_empty() { "-".into() } else { clean }
}

/// One RFC 5424 message for an entry: facility log-audit, severity informational (a failure:
/// warning), MSGID the action, structured data with the entry's id, sequence and tenant, and
/// the entry as JSON in MSG (UTF-8 with a BOM), framed as `<length> <message>`.
pub fn syslog_frame(hostname: &str, e: &Entry, test: bool) -> Vec<u8> {
    let severity = if e.outcome == "failure" { 4 } else { 6 };
    let pri = FACILITY_LOG_AUDIT * 8 + severity;
    let tenant = e.tenant_id.map(|t| t.0.to_string()).unwrap_or_else(|| "platform".into());
    let sd = format!(
        "[{SD_ID} id=\"{}\" seq=\"{}\" tenant=\"{}\" outcome=\"{}\" test=\"{}\"]",
        e.id,
        e.seq,
        sd_escape(&tenant),
        sd_escape(&e.outcome),
        test
    );
    let msg = format!(
        "<{pri}>1 {} {} confab - {} {sd} \u{feff}{}",
        e.created_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        header_field(hostname, 255),
        header_field(&e.action, 32),
        entry_json(e)
    );
    let mut frame = format!("{} ", msg.len()).into_bytes();
    frame.extend_from_slice(msg.as_bytes());
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            id: uuid::Uuid::nil(),
            seq: 7,
            chain_seq: None,
            tenant_id: None,
            actor_user_id: None,
            actor_label: "cli".into(),
            action: "tenant.created".into(),
            target_type: Some("tenant".into()),
            target_id: Some("x".into()),
            outcome: "success".into(),
            ip: None,
            request_id: None,
            details: "{\"name\":\"A ]\\\"\"}".into(),
            created_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            prev_hash: String::new(),
            hash: "h".into(),
        }
    }

    #[test]
    fn syslog_frames_count_octets_and_follow_rfc5424() {
        let frame = String::from_utf8(syslog_frame("host one", &entry(), false)).unwrap_or_default();
        let (len, msg) = frame.split_once(' ').unwrap_or_default();
        assert_eq!(len.parse::<usize>().ok(), Some(msg.len()));
        assert!(msg.starts_with("<110>1 2023-11-14T22:13:20.000000Z hostone confab - tenant.created [confab@32473 id=\"00000000-0000-0000-0000-000000000000\" seq=\"7\" tenant=\"platform\""), "{msg}");
        let json = msg.split('\u{feff}').nth(1).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        assert_eq!(v["details"]["name"], "A ]\"");
    }

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // The value Python's `hmac.new(b"Jefe", b'1700000000.{"a":1}', sha256)` gives.
        assert_eq!(
            signature("Jefe", 1_700_000_000, "{\"a\":1}"),
            "v1=fa5f6481efc59da48b19c9dc10196c9953e5651f8304b3a318b6b87d70272e0a"
        );
    }
}
