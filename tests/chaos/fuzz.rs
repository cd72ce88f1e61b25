//! Fuzz targets (proptest) for the parsers that take untrusted bytes: the SSE parser, the
//! providers' chunk decoding (end to end: a provider that answers fuzzed event streams), plugin
//! manifests and their configuration schemas, search queries, list cursors (over HTTP), and the
//! configuration file. Each states a property beyond "does not panic" where there is one.
//!
//! CI runs proptest's default 256 cases per target (fewer for the end-to-end ones);
//! `PROPTEST_CASES=N` (set by `scripts/chaos.sh --long`) runs more.

use confab_tests::reliability::{Check, record_variant};
use confab_tests::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as PropConfig, FileFailurePersistence};
use serde_json::{Value, json};
use std::time::Duration;

fn config(default_cases: u32) -> PropConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default_cases);
    PropConfig {
        cases,
        // Failures print their minimal input; nothing is written into the checkout.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..PropConfig::default()
    }
}

/// Splits `bytes` at the given cut points (sorted, deduplicated, in range).
fn split_at(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut last = 0;
    for c in cuts {
        out.push(bytes[last..c].to_vec());
        last = c;
    }
    out.push(bytes[last..].to_vec());
    out
}

fn parse_in_chunks(chunks: &[Vec<u8>]) -> (Vec<confab_sse::Event>, u64) {
    let mut parser = confab_sse::Parser::new();
    let mut events = Vec::new();
    for c in chunks {
        events.extend(parser.push(c));
    }
    (events, parser.comments())
}

/// Bytes that look like an event stream: field lines, comments, blank lines, every line ending,
/// BOMs and stray bytes.
fn stream_bytes() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        "[a-z]{0,6}".prop_map(|v| format!("data: {v}")),
        "[a-z0-9]{0,4}".prop_map(|v| format!("id: {v}")),
        "[a-z.]{0,8}".prop_map(|v| format!("event: {v}")),
        "[0-9]{0,5}x?".prop_map(|v| format!("retry: {v}")),
        ".{0,8}".prop_map(|v| format!(":{v}")),
        Just(String::new()),
        Just("data".to_string()),
        Just("\u{feff}data: bom".to_string()),
        ".{0,12}",
    ];
    let ending = prop_oneof![Just("\n"), Just("\r"), Just("\r\n")];
    (proptest::collection::vec((line, ending), 0..24), proptest::collection::vec(any::<u8>(), 0..8)).prop_map(
        |(lines, junk)| {
            let mut out: Vec<u8> = lines.into_iter().flat_map(|(l, e)| format!("{l}{e}").into_bytes()).collect();
            out.extend(junk);
            out
        },
    )
}

static SSE_PARSER: Check = Check {
    id: "3.01",
    fault: "fuzz: the SSE parser (provider answers, chat streams) on arbitrary bytes",
    expected: "never panics; the same events however the bytes are split into chunks; encoded events come back unchanged",
    how: "proptest: random bytes and stream-like lines cut at random points; random events encoded and parsed",
};

#[test]
fn sse_parser_events_do_not_depend_on_chunking() {
    let _r = record_variant(&SSE_PARSER, "—");
    let mut runner = proptest::test_runner::TestRunner::new(config(256));
    let input = (
        prop_oneof![stream_bytes(), proptest::collection::vec(any::<u8>(), 0..256)],
        proptest::collection::vec(any::<usize>(), 0..12),
    );
    runner
        .run(&input, |(bytes, cuts)| {
            let whole = parse_in_chunks(std::slice::from_ref(&bytes));
            let bytewise: Vec<Vec<u8>> = bytes.iter().map(|b| vec![*b]).collect();
            prop_assert_eq!(&parse_in_chunks(&split_at(&bytes, &cuts)), &whole);
            prop_assert_eq!(&parse_in_chunks(&bytewise), &whole);
            Ok(())
        })
        .unwrap();
    // Encoded events round-trip.
    let event = ("[a-z.]{1,10}", "[a-zA-Z0-9]{1,10}", proptest::collection::vec("[^\r\n]{0,20}", 1..4));
    runner
        .run(&proptest::collection::vec(event, 1..6), |events| {
            let mut text = String::new();
            for (name, id, lines) in &events {
                text.push_str(&format!("event: {name}\nid: {id}\n"));
                for l in lines {
                    text.push_str(&format!("data: {l}\n"));
                }
                text.push('\n');
            }
            let (parsed, _) = parse_in_chunks(&[text.into_bytes()]);
            prop_assert_eq!(parsed.len(), events.len());
            for (p, (name, id, lines)) in parsed.iter().zip(&events) {
                prop_assert_eq!(&p.event, name);
                prop_assert_eq!(p.id.as_deref(), Some(id.as_str()));
                prop_assert_eq!(&p.data, &lines.join("\n"));
            }
            Ok(())
        })
        .unwrap();
}

static SEARCH_QUERY: Check = Check {
    id: "3.02",
    fault: "fuzz: search queries (`q`)",
    expected: "never panics; a query is refused (422 `q`) or parsed into at most 32 lowercase words of letters and digits, no operator reaches a backend",
    how: "proptest over arbitrary Unicode and operator-heavy strings; `SearchQuery::parse`",
};

#[test]
fn search_queries_parse_into_plain_words_or_are_refused() {
    let _r = record_variant(&SEARCH_QUERY, "—");
    use confab_core::search::{MAX_QUERY_CHARS, MAX_TERMS, SearchQuery};
    let mut runner = proptest::test_runner::TestRunner::new(config(512));
    let q = prop_oneof![".{0,300}", "[a-zA-Z0-9 \"'*:()&|!~^<>+-]{0,80}", "(\\PC{1,3} ){0,40}"];
    runner
        .run(&q, |raw| {
            match SearchQuery::parse(&raw) {
                Ok(query) => {
                    prop_assert!(raw.chars().count() <= MAX_QUERY_CHARS);
                    prop_assert!(query.terms().len() <= MAX_TERMS);
                    for t in query.terms() {
                        prop_assert!(t.chars().any(char::is_alphanumeric), "{t:?}");
                        prop_assert!(!t.chars().any(char::is_whitespace), "{t:?}");
                        prop_assert_eq!(&t.to_lowercase(), t);
                    }
                    // Each word reaches the backends as one quoted literal: as many quoted
                    // strings as words, whatever quotes the words contain.
                    let fts = query.fts5();
                    prop_assert_eq!(fts.split(" AND ").filter(|p| !p.is_empty()).count(), query.terms().len());
                }
                Err(e) => {
                    let said = format!("{e:?}");
                    prop_assert!(said.contains('q'), "{}", said);
                }
            }
            Ok(())
        })
        .unwrap();
}

static UPLOADS: Check = Check {
    id: "3.07",
    fault: "fuzz: uploads (type sniffing, image headers, DOCX and text extraction) on arbitrary and mutated bytes",
    expected: "never panics; an accepted image is within 8,000 px a side; extracted text stays within its character bound; PDFs are only sniffed here (their reader runs in a child process)",
    how: "proptest: random bytes, and valid PNG, JPEG, GIF, WebP, DOCX and PDF files with bytes flipped and cut",
};

/// A valid file of each kind Confab sniffs, for the mutations.
fn seed_files() -> Vec<(&'static str, Vec<u8>)> {
    use std::io::Write;
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x01\x00\x00\x00\x00\x80\x08\x02\x00\x00\x00".to_vec();
    png.extend([0; 8]);
    let jpeg = [
        &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00][..],
        &[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0x2C, 0x01, 0x90, 0x03],
    ]
    .concat();
    let gif = [b"GIF89a".as_slice(), &[0x20, 0x00, 0x10, 0x00, 0, 0, 0]].concat();
    let mut webp = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00".to_vec();
    webp.extend([0x3F, 0x01, 0x00, 0xEF, 0x00, 0x00]);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("word/document.xml", opts).unwrap();
    zip.write_all(br#"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>Hello &amp; bye</w:t><w:tab/></w:r></w:p></w:body></w:document>"#).unwrap();
    let docx = zip.finish().unwrap().into_inner();
    let pdf =
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec();
    vec![
        ("a.png", png),
        ("a.jpg", jpeg),
        ("a.gif", gif),
        ("a.webp", webp),
        ("a.docx", docx),
        ("a.pdf", pdf),
        ("a.txt", "héllo\r\nwörld".as_bytes().to_vec()),
    ]
}

#[test]
fn uploads_are_sniffed_and_extracted_within_bounds_whatever_their_bytes() {
    let _r = record_variant(&UPLOADS, "—");
    use confab_core::files::extract::{self, Limits};
    use confab_core::files::sniff::{self, FileKind, MAX_IMAGE_SIDE};
    let seeds = seed_files();
    let mut runner = proptest::test_runner::TestRunner::new(config(512));
    let mutated =
        (0..seeds.len(), proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6), any::<usize>(), any::<bool>())
            .prop_map(move |(i, flips, cut, truncate)| {
                let (name, mut bytes) = seeds[i].clone();
                for (at, b) in flips {
                    let n = bytes.len();
                    bytes[at % n] = b;
                }
                if truncate {
                    bytes.truncate(cut % (bytes.len() + 1));
                }
                (name.to_string(), bytes)
            });
    let input = prop_oneof![mutated, (".{0,12}", proptest::collection::vec(any::<u8>(), 0..512))];
    runner
        .run(&input, |(name, bytes)| {
            let limits = Limits { max_chars: 50, max_inflated_bytes: 1 << 20 };
            if let Ok(found) = sniff::sniff(&bytes, &name) {
                if let Some(img) = found.image {
                    prop_assert!(img.width <= MAX_IMAGE_SIDE && img.height <= MAX_IMAGE_SIDE);
                    prop_assert_eq!(found.kind, FileKind::Image);
                }
                if found.media_type != sniff::PDF
                    && let Ok(Some(text)) = extract::extract(&bytes, &found, &limits)
                {
                    prop_assert!(text.text.chars().count() <= 50);
                    prop_assert!(text.total_chars >= text.text.chars().count());
                    prop_assert_eq!(text.truncated, text.total_chars > 50);
                }
            }
            let safe = sniff::safe_name(&name);
            prop_assert!(!safe.is_empty() && !safe.contains('/') && !safe.contains('\\') && !safe.starts_with('.'));
            Ok(())
        })
        .unwrap();
}

static MANIFESTS: Check = Check {
    id: "3.03",
    fault: "fuzz: plugin manifests and their configuration schemas",
    expected: "never panics; a manifest that parses writes itself back to JSON that parses to the same; a configuration is accepted or refused by its schema",
    how: "proptest: mutated valid manifests (fields dropped, retyped, deep schemas) and random JSON configurations",
};

#[test]
fn plugin_manifests_parse_or_are_refused_and_round_trip() {
    let _r = record_variant(&MANIFESTS, "—");
    use confab_plugin_host::Manifest;
    let json_value = proptest::prelude::any::<i64>().prop_map(Value::from).boxed();
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        json_value,
        ".{0,10}".prop_map(Value::from),
    ];
    let value = leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    let schema_type = prop_oneof![
        Just("object"),
        Just("string"),
        Just("array"),
        Just("integer"),
        Just("number"),
        Just("boolean"),
        "[a-z]{1,6}".prop_map(|s| Box::leak(s.into_boxed_str()) as &str)
    ];
    let manifest = (
        prop_oneof![Just("pii-redactor".to_string()), "[a-zA-Z0-9_.-]{0,70}"],
        prop_oneof![Just("0.1.0".to_string()), "[0-9.a-z+-]{0,12}"],
        prop_oneof![Just(json!(["transform_request"])), Just(json!([])), Just(json!(["nope"])), value.clone()],
        proptest::option::of((schema_type, value.clone())),
        prop_oneof![Just(json!("fail_closed")), Just(json!("fail_open")), value.clone()],
        proptest::option::of(value.clone()),
    );
    let mut runner = proptest::test_runner::TestRunner::new(config(512));
    runner
        .run(&(manifest, value), |((name, version, hooks, schema, policy, extra), config)| {
            let mut m = json!({ "name": name, "version": version, "hooks": hooks, "failure_policy": policy });
            if let Some((ty, props)) = schema {
                m["config_schema"] = json!({ "type": ty, "properties": props });
            }
            if let Some(extra) = extra {
                m["extra"] = extra;
            }
            if let Ok(parsed) = Manifest::parse(&m.to_string()) {
                let again = Manifest::parse(&parsed.to_json()).expect("a parsed manifest's JSON parses");
                prop_assert_eq!(again.to_json(), parsed.to_json());
                let _ = parsed.parse_config(&config);
            }
            Ok(())
        })
        .unwrap();
}

static CONFIG_FILE: Check = Check {
    id: "3.04",
    fault: "fuzz: the configuration file (`confab.toml`)",
    expected: "never panics; a bad value is refused with an error naming it",
    how: "proptest: random values of the wrong type, out of range or malformed for real keys, and random TOML",
};

#[test]
fn configuration_files_load_or_are_refused_with_the_key() {
    let _r = record_variant(&CONFIG_FILE, "—");
    use confab_core::config::Config;
    let keys = [
        "server.listen",
        "server.max_body_bytes",
        "database.url",
        "database.max_connections",
        "chat.flush_interval_ms",
        "chat.max_message_chars",
        "chat.turns_per_minute_per_user",
        "redis.url",
        "redis.timeout_ms",
        "search.backend",
        "retention.interval_secs",
        "retention.busy_share",
        "auth.session_idle_secs",
        "log.level",
    ];
    let value = prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        "[a-z:/.0-9]{0,20}".prop_map(|s| format!("{s:?}")),
        Just("true".to_string()),
        Just("[1, \"x\"]".to_string()),
        Just("{ a = 1 }".to_string()),
        Just("-1".to_string()),
        Just("1e400".to_string()),
    ];
    let dir = std::env::temp_dir().join(format!("confab-chaos-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("confab.toml");
    let mut runner = proptest::test_runner::TestRunner::new(config(256));
    let entries = proptest::collection::vec((0..keys.len(), value), 0..5);
    runner
        .run(&(entries, ".{0,40}"), |(entries, junk)| {
            let mut text = String::new();
            for (k, v) in &entries {
                let (table, key) = keys[*k].split_once('.').unwrap();
                text.push_str(&format!("[{table}]\n{key} = {v}\n"));
            }
            text.push_str(&junk);
            std::fs::write(&path, &text).unwrap();
            match Config::load_from(Some(path.as_path()), Vec::new()) {
                Ok(_) => {}
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            Ok(())
        })
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

static CURSORS: Check = Check {
    id: "3.05",
    fault: "fuzz: list cursors and limits (`?cursor=&limit=`) on every list",
    expected: "never 5xx: 200, or 400/422 with the documented error body",
    how: "proptest: random, truncated and re-encoded cursors on eight lists of a running server (tenant admin)",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_cursors_never_cause_a_server_error() {
    let _r = record_variant(&CURSORS, "SQLite");
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let lists = [
        "/v1/conversations",
        "/v1/audit",
        "/v1/users",
        "/v1/me/tokens",
        "/v1/search?q=hello",
        "/v1/tenant/legal-holds",
        "/v1/tenant/shares",
        "/v1/tokens",
    ];
    // A real cursor to mutate.
    let real = admin.get_json("/v1/audit?limit=1").await["next_cursor"].as_str().unwrap_or("AAAA").to_string();
    let cursor = prop_oneof![
        ".{0,40}",
        "[A-Za-z0-9_-]{0,60}",
        Just(real.clone()),
        (0..real.len().max(1)).prop_map(move |n| real[..n.min(real.len())].to_string()),
        any::<Vec<u8>>().prop_map(|b| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
        }),
    ];
    let limit = prop_oneof![Just(None), (-5i64..300).prop_map(Some), Just(Some(i64::MAX))];
    let cases: Vec<(String, Option<i64>)> = {
        let mut runner = proptest::test_runner::TestRunner::new(config(64));
        (0..runner.config().cases)
            .map(|_| {
                let c = cursor.new_tree(&mut runner).unwrap().current();
                let l = limit.new_tree(&mut runner).unwrap().current();
                (c, l)
            })
            .collect()
    };
    for (cursor, limit) in cases {
        for list in lists {
            let sep = if list.contains('?') { '&' } else { '?' };
            let mut url = format!("{list}{sep}cursor={}", urlencode(&cursor));
            if let Some(l) = limit {
                url.push_str(&format!("&limit={l}"));
            }
            let (status, body) = admin.send(reqwest::Method::GET, &url, None).await;
            assert!(matches!(status.as_u16(), 200 | 400 | 422), "{url}: {status} {body}");
            if status != 200 {
                error_code(status, &body, status.as_u16());
            }
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A provider that answers each request with the next queued event stream (status 200,
/// `text/event-stream`, `Connection: close`), then closes the connection.
pub struct FuzzedProvider {
    pub port: u16,
    bodies: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<Vec<u8>>>>,
}

impl FuzzedProvider {
    /// Queues the body of a later answer.
    pub fn push(&self, body: Vec<u8>) {
        self.bodies.lock().unwrap().push_back(body);
    }

    pub async fn start() -> FuzzedProvider {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let bodies: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<Vec<u8>>>> = Default::default();
        let queue = bodies.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let queue = queue.clone();
                tokio::spawn(async move {
                    // Read the request: headers, then Content-Length bytes.
                    let mut req = Vec::new();
                    let mut buf = [0u8; 8192];
                    loop {
                        let Ok(n) = conn.read(&mut buf).await else { return };
                        if n == 0 {
                            return;
                        }
                        req.extend_from_slice(&buf[..n]);
                        if let Some(end) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&req[..end]).to_ascii_lowercase();
                            let len: usize = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse().ok())
                                .unwrap_or(0);
                            if req.len() >= end + 4 + len {
                                break;
                            }
                        }
                    }
                    let body = queue.lock().unwrap().pop_front().unwrap_or_default();
                    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
                    let _ = conn.write_all(head.as_bytes()).await;
                    let _ = conn.write_all(&body).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
        FuzzedProvider { port, bodies }
    }
}

/// An OpenAI or Anthropic event stream, mutated: valid chunks mixed with broken JSON, wrong
/// types, huge and empty fields, stray bytes, and a cut anywhere.
fn provider_stream(anthropic: bool) -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        ".{0,12}".prop_map(move |t| if anthropic {
            format!(
                "event: content_block_delta\ndata: {}\n\n",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}})
            )
        } else {
            format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": {"content": t}}]}))
        }),
        Just("data: [DONE]\n\n".to_string()),
        Just("data: {\"choices\": [{\"index\": 0, \"delta\": {\"content\": 5}}]}\n\n".to_string()),
        Just("data: {\"choices\": null}\n\n".to_string()),
        Just("data: {\"choices\": [{\"index\": 4294967296, \"delta\": {}}]}\n\n".to_string()),
        Just("data: {\"usage\": {\"prompt_tokens\": -1, \"completion_tokens\": 1e99}}\n\n".to_string()),
        Just("event: message_stop\ndata: {\"type\": \"message_stop\"}\n\n".to_string()),
        Just("event: error\ndata: {\"type\": \"error\", \"error\": {\"message\": \"overloaded\"}}\n\n".to_string()),
        Just(
            "event: message_delta\ndata: {\"type\": \"message_delta\", \"usage\": {\"output_tokens\": \"x\"}}\n\n"
                .to_string()
        ),
        Just("data: {\"choices\": [{\"index\": 0, \"finish_reason\": \"stop\", \"delta\": {}}]}\n\n".to_string()),
        ".{0,30}".prop_map(|s| format!("data: {s}\n\n")),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ];
    (proptest::collection::vec(piece, 0..12), any::<usize>()).prop_map(|(pieces, cut)| {
        let mut bytes = pieces.concat().into_bytes();
        if cut % 3 == 0 && !bytes.is_empty() {
            bytes.truncate(cut % bytes.len());
        }
        bytes
    })
}

static PROVIDER_CHUNKS: Check = Check {
    id: "3.06",
    fault: "fuzz: provider chunk decoding (OpenAI and Anthropic streams: broken JSON, wrong types, stray bytes, cut anywhere)",
    expected: "every turn ends `completed`, `partial` or `failed` with a provider error code; never a 5xx, never stuck `streaming`; the server lives on",
    how: "a provider that answers each call with a proptest-generated stream; turns over HTTP, then the invariants",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_streams_of_any_shape_end_turns_cleanly() {
    let _r = record_variant(&PROVIDER_CHUNKS, "SQLite");
    let provider = FuzzedProvider::start().await;
    let opts = Options::default()
        .upstream_at(&format!("http://127.0.0.1:{}", provider.port))
        .env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_USER", "100000")
        .env("CONFAB_CHAT__TURNS_PER_MINUTE_PER_IP", "100000");
    let app = TestApp::spawn_with(Backend::Sqlite, opts).await;
    let api = app.admin().await;
    let conv = api.conversation().await;
    let mut runner = proptest::test_runner::TestRunner::new(config(24));
    let cases = runner.config().cases;
    for i in 0..cases {
        let anthropic = i % 2 == 1;
        let body = provider_stream(anthropic).new_tree(&mut runner).unwrap().current();
        provider.push(body.clone());
        let model = if anthropic { "claude" } else { "gpt-4o" };
        let (s, t) = api
            .post_idem(
                &format!("/v1/conversations/{conv}/messages"),
                &format!("f{i}"),
                json!({ "content": format!("case {i}"), "model": model }),
            )
            .await;
        assert_eq!(s, 202, "case {i}: {t}");
        let done = api.wait_final(t["assistant_message"]["id"].as_str().unwrap()).await;
        let status = done["status"].as_str().unwrap();
        assert!(
            matches!(status, "completed" | "partial" | "failed"),
            "case {i} ({model}) ended {status}: {:?}",
            String::from_utf8_lossy(&body)
        );
        if status != "completed" {
            assert!(done["error"]["code"].as_str().is_some_and(|c| !c.is_empty()), "{done}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(reqwest::get(app.url("/healthz")).await.unwrap().status(), 200);
    crate::invariants::hold(&app).await;
}
