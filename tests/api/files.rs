//! Attachments: uploads of every supported kind, what reaches the model (extracted text; images
//! in OpenAI's and Anthropic's formats), hostile files, other users' and tenants' files, deletion,
//! deduplication and storage quotas.
use crate::retention::{age_conversation, days_ago, exec, ph, uuid};
use confab_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::io::Write;
use std::time::{Duration, Instant};

async fn setup(b: Backend, opts: Options) -> (ScriptedUpstream, TestApp, Api) {
    let upstream = ScriptedUpstream::start().await;
    let app = TestApp::spawn_with(b, opts.upstream(&upstream)).await;
    let admin = app.admin().await;
    (upstream, app, admin)
}

/// Uploads `bytes` as `name`; returns (status, body).
async fn upload(api: &Api, name: &str, bytes: Vec<u8>) -> (reqwest::StatusCode, Value) {
    let resp = api
        .request(Method::POST, "/v1/files")
        .query(&[("name", name)])
        .header("Content-Type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn uploaded(api: &Api, name: &str, bytes: Vec<u8>) -> Value {
    let (s, body) = upload(api, name, bytes).await;
    assert_eq!(s, 201, "uploading {name}: {body}");
    body
}

/// A PNG's signature and IHDR (what Confab reads of it), then an empty IDAT and IEND.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(kind);
        out.extend(data);
        out.extend(0u32.to_be_bytes()); // Confab reads headers only; the CRC is not checked
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A one-page PDF showing `text`, with a correct cross-reference table.
pub fn pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 12 Tf 72 712 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    pdf_of(&objects, 1)
}

fn pdf_of(objects: &[String], root: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!("trailer\n<< /Size {} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

/// A DOCX with these paragraphs; `filler` more bytes of spaces in `word/document.xml` make it a
/// decompression bomb.
pub fn docx(paragraphs: &[&str], filler: usize) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", opts).unwrap();
    zip.write_all(br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
    zip.start_file("word/document.xml", opts.large_file(filler > 1 << 30)).unwrap();
    zip.write_all(br#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#).unwrap();
    for p in paragraphs {
        zip.write_all(format!("<w:p><w:r><w:t>{p}</w:t></w:r></w:p>").as_bytes()).unwrap();
    }
    let chunk = vec![b' '; 1 << 20];
    let mut left = filler;
    while left > 0 {
        let n = left.min(chunk.len());
        zip.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    zip.write_all(b"</w:body></w:document>").unwrap();
    zip.finish().unwrap().into_inner()
}

fn user_message(body: &Value) -> &Value {
    body["messages"].as_array().unwrap().iter().rev().find(|m| m["role"] == "user").unwrap()
}

async fn send(api: &Api, conv: &str, key: &str, body: Value) -> (reqwest::StatusCode, Value) {
    api.post_idem(&format!("/v1/conversations/{conv}/messages"), key, body).await
}

async fn sent_and_answered(api: &Api, conv: &str, key: &str, body: Value) -> Value {
    let (s, turn) = send(api, conv, key, body).await;
    assert_eq!(s, 202, "{turn}");
    let answer = api.wait_final(turn["assistant_message"]["id"].as_str().unwrap()).await;
    assert_eq!(answer["status"], "completed", "{answer}");
    turn
}

async fn every_kind_reaches_the_model_in_its_wire_format(b: Backend) {
    let (upstream, _app, admin) = setup(b, Options::default()).await;
    let text = uploaded(&admin, "notes.txt", b"Quarterly revenue rose 12%.\r\nCosts fell.".to_vec()).await;
    assert_eq!(text["media_type"], "text/plain");
    assert_eq!(text["kind"], "text");
    assert_eq!(text["text_chars"], 39, "CRLF counts as one");
    let md = uploaded(&admin, "README.md", b"# Plan\n\n- ship attachments".to_vec()).await;
    assert_eq!(md["media_type"], "text/markdown");
    let csv = uploaded(&admin, "sales.csv", b"region,total\nnorth,10\nsouth,20\n".to_vec()).await;
    assert_eq!(csv["media_type"], "text/csv");
    let json_file = uploaded(&admin, "config.json", br#"{"retries": 3}"#.to_vec()).await;
    assert_eq!(json_file["media_type"], "application/json");
    let code = uploaded(&admin, "main.rs", b"fn main() { println!(\"hi\"); }".to_vec()).await;
    assert_eq!(code["kind"], "text");
    let word = uploaded(&admin, "memo.docx", docx(&["Merger talks resume Monday.", "Keep it quiet."], 0)).await;
    assert_eq!(word["media_type"], "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    assert_eq!(word["kind"], "document");
    let paper = uploaded(&admin, "paper.pdf", pdf("Confab reads PDFs")).await;
    assert_eq!(paper["media_type"], "application/pdf");
    let picture = uploaded(&admin, "chart.png", png(640, 480)).await;
    assert_eq!(
        (picture["kind"].as_str(), picture["width"].as_u64(), picture["height"].as_u64()),
        (Some("image"), Some(640), Some(480))
    );
    // The name and the client's header do not decide the type: a PNG named .txt is an image.
    let disguised = uploaded(&admin, "not-a-picture.txt", png(10, 10)).await;
    assert_eq!(disguised["media_type"], "image/png");

    // Every text-bearing file goes into the prompt, in order, before the question.
    let conv = admin.conversation().await;
    let ids: Vec<&Value> = [&text, &md, &csv, &json_file, &code, &word, &paper].iter().map(|f| &f["id"]).collect();
    let turn = sent_and_answered(
        &admin,
        &conv,
        "k1",
        json!({ "content": "Summarise these.", "model": "gpt-4o", "file_ids": ids }),
    )
    .await;
    let files = turn["user_message"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 7);
    assert_eq!(files[0]["name"], "notes.txt");
    assert_eq!(files[6]["media_type"], "application/pdf");
    let sent = upstream.requests().last().unwrap().body.clone();
    let prompt = user_message(&sent)["content"].as_str().unwrap().to_string();
    for needle in [
        "<file name=\"notes.txt\" type=\"text/plain\">\nQuarterly revenue rose 12%.\nCosts fell.\n</file>",
        "# Plan",
        "north,10",
        "\"retries\": 3",
        "println!",
        "Merger talks resume Monday.\nKeep it quiet.",
        "Confab reads PDFs",
    ] {
        assert!(prompt.contains(needle), "{needle:?} not in the prompt: {prompt}");
    }
    assert!(prompt.ends_with("Summarise these."), "{prompt}");
    assert!(prompt.find("notes.txt").unwrap() < prompt.find("paper.pdf").unwrap());

    // The next turn still carries the files of the history.
    sent_and_answered(&admin, &conv, "k2", json!({ "content": "And the costs?", "model": "gpt-4o" })).await;
    let sent = upstream.requests().last().unwrap().body.clone();
    let first_user = sent["messages"].as_array().unwrap().iter().find(|m| m["role"] == "user").unwrap();
    assert!(first_user["content"].as_str().unwrap().contains("Merger talks"), "{sent}");

    // An image goes to OpenAI as an image_url part with a data URL…
    let conv = admin.conversation().await;
    sent_and_answered(
        &admin,
        &conv,
        "k3",
        json!({ "content": "What does the chart show?", "model": "gpt-4o", "file_ids": [picture["id"]] }),
    )
    .await;
    let sent = upstream.requests().last().unwrap().body.clone();
    let parts = user_message(&sent)["content"].as_array().unwrap().clone();
    assert_eq!(parts.len(), 2, "{sent}");
    assert_eq!(parts[0]["type"], "image_url");
    let url = parts[0]["image_url"]["url"].as_str().unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(png(640, 480));
    assert_eq!(url, format!("data:image/png;base64,{b64}"));
    assert_eq!(parts[1], json!({ "type": "text", "text": "What does the chart show?" }));

    // …and to Anthropic as an image block with a base64 source, before the text.
    let conv = admin.conversation().await;
    sent_and_answered(
        &admin,
        &conv,
        "k4",
        json!({ "content": "Describe it.", "model": "claude", "file_ids": [picture["id"]] }),
    )
    .await;
    let req = upstream.requests().last().unwrap().clone();
    assert_eq!(req.path, "/v1/messages");
    let blocks = user_message(&req.body)["content"].as_array().unwrap().clone();
    assert_eq!(
        blocks[0],
        json!({ "type": "image", "source": { "type": "base64", "media_type": "image/png", "data": b64 } })
    );
    assert_eq!(blocks[1], json!({ "type": "text", "text": "Describe it." }));

    // A model without vision refuses images before anything is written or sent.
    let calls = upstream.calls();
    let conv = admin.conversation().await;
    let (s, body) =
        send(&admin, &conv, "k5", json!({ "content": "See?", "model": "tiny", "file_ids": [picture["id"]] })).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    assert_eq!(body["error"]["field"], "file_ids");
    assert_eq!(upstream.calls(), calls);
    let detail = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(detail["messages"].as_array().unwrap().len(), 0, "nothing was written");

    // The conversation shows each message's files.
    let models = admin.get_json("/v1/models").await;
    let vision: Vec<(&str, bool)> = models["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["vision"].as_bool().unwrap()))
        .collect();
    assert!(vision.contains(&("gpt-4o", true)) && vision.contains(&("tiny", false)), "{vision:?}");
}

async fn hostile_files_are_refused_in_bounded_time_and_the_server_keeps_serving(b: Backend) {
    let (_upstream, app, admin) = setup(b, Options::default()).await;
    // Each hostile upload is answered within this bound (the PDF reader's timeout is 20 s).
    let bound = Duration::from_secs(30);
    let timed = |name: &'static str, bytes: Vec<u8>| {
        let admin = admin.clone();
        async move {
            let started = Instant::now();
            let (s, body) = upload(&admin, name, bytes).await;
            let took = started.elapsed();
            assert!(took < bound, "{name} took {took:?}");
            (s, body)
        }
    };
    // A zip bomb disguised as a DOCX: 200 MB of spaces inflate from about 200 KB.
    let bomb = docx(&["hello"], 200 << 20);
    assert!(bomb.len() < 2 << 20, "the bomb is small: {}", bomb.len());
    let (s, body) = timed("report.docx", bomb).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed", "{body}");
    assert_eq!(body["error"]["field"], "file");
    // A PDF whose page tree contains itself, and one whose xref points nowhere.
    let looping = pdf_of(
        &["<< /Type /Catalog /Pages 2 0 R >>".into(), "<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>".into()],
        1,
    );
    let (s, body) = timed("loop.pdf", looping).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed", "{body}");
    assert_eq!(body["error"]["field"], "file");
    // A page tree claiming a trillion pages makes the PDF library try to allocate terabytes and
    // abort: only the reader's child process goes down.
    let huge = pdf_of(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>".into(),
            "<< /Type /Pages /Kids [3 0 R] /Count 999999999999 >>".into(),
            "<< /Type /Page /Parent 2 0 R >>".into(),
        ],
        1,
    );
    let (s, body) = timed("count.pdf", huge).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed", "{body}");
    let mut broken = pdf("x");
    broken.truncate(broken.len() / 2);
    let (s, body) = timed("broken.pdf", broken).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed", "{body}");
    // A 20,000 × 20,000 PNG is refused from its header: no pixel is decoded.
    let (s, body) = timed("huge.png", png(20_000, 20_000)).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("20000"), "{body}");
    // Malformed requests: no name, an id that is no UUID.
    let (s, body) = admin.send(Method::POST, "/v1/files", None).await;
    assert_eq!(error_code(s, &body, 400), "bad_request", "{body}");
    let (s, body) = admin.send(Method::GET, "/v1/files/not-a-uuid/content", None).await;
    assert_eq!(error_code(s, &body, 400), "bad_request", "{body}");
    // Binary junk and empty files are not attachments.
    let (s, body) = timed("blob.bin", vec![0u8, 1, 2, 3, 0, 255, 254, 0]).await;
    assert_eq!(error_code(s, &body, 415), "unsupported_file_type");
    let (s, body) = timed("empty.txt", Vec::new()).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    // HTML named .txt is kept as plain text and only ever downloaded, never rendered.
    let html = b"<html><body><script>alert(document.cookie)</script></body></html>".to_vec();
    let page = uploaded(&admin, "notes.txt", html.clone()).await;
    assert_eq!(page["media_type"], "text/plain");
    let page_html = uploaded(&admin, "page.html", html.clone()).await;
    assert_eq!(page_html["media_type"], "text/plain", "HTML is never text/html");
    let resp = admin.get(&format!("/v1/files/{}/content", page_html["id"].as_str().unwrap())).await;
    assert_eq!(resp.status(), 200);
    let h = |k: &str| resp.headers().get(k).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert_eq!(h("content-type"), "text/plain; charset=utf-8");
    assert!(h("content-disposition").starts_with("attachment; filename=\"page.html\""), "{}", h("content-disposition"));
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert!(h("content-security-policy").contains("sandbox"), "{}", h("content-security-policy"));
    assert_eq!(resp.bytes().await.unwrap().to_vec(), html);
    // A path-traversal name keeps only its last part, and nothing is written outside the store.
    let sneaky = uploaded(&admin, "../../../etc/passwd", b"root:x:0:0".to_vec()).await;
    assert_eq!(sneaky["name"], "passwd");
    let sneaky = uploaded(&admin, "..\\..\\boot.ini", b"[boot]".to_vec()).await;
    assert_eq!(sneaky["name"], "boot.ini");
    assert!(!app.db.dir.join("etc").exists() && !app.db.dir.parent().unwrap().join("etc/passwd.confab").exists());
    // Too large for one upload: 413 (the limit is 20 MiB by default).
    let (s, body) = upload(&admin, "big.txt", vec![b'a'; 21 << 20]).await;
    assert_eq!(error_code(s, &body, 413), "payload_too_large");
    // The server kept serving throughout.
    let ok = uploaded(&admin, "after.txt", b"still here".to_vec()).await;
    assert_eq!(ok["kind"], "text");
    assert_eq!(admin.get("/v1/me").await.status(), 200);
}

async fn other_users_and_tenants_never_reach_a_file(b: Backend) {
    let (upstream, app, admin) = setup(b, Options::default()).await;
    let secret = uploaded(&admin, "secret.txt", b"the launch code is 0000".to_vec()).await;
    let id = secret["id"].as_str().unwrap().to_string();
    let conv = admin.conversation().await;
    sent_and_answered(&admin, &conv, "k1", json!({ "content": "Read it", "model": "gpt-4o", "file_ids": [id] })).await;
    app.create_user(&admin, "colleague@acme.example", "tenant_admin").await;
    let colleague = app.login("colleague@acme.example", PASSWORD).await;
    let (_, globex) = app.second_tenant("globex").await;
    let calls = upstream.calls();
    for (who, api) in [("same tenant", &colleague), ("other tenant", &globex)] {
        for (method, path) in [
            (Method::GET, format!("/v1/files/{id}")),
            (Method::GET, format!("/v1/files/{id}/content")),
            (Method::DELETE, format!("/v1/files/{id}")),
        ] {
            let (s, body) = api.send(method.clone(), &path, None).await;
            assert_eq!(error_code(s, &body, 404), "not_found", "{who}: {method} {path}");
        }
        let own = api.conversation().await;
        let (s, body) =
            send(api, &own, "steal", json!({ "content": "What does it say?", "model": "gpt-4o", "file_ids": [id] }))
                .await;
        assert_eq!(error_code(s, &body, 404), "not_found", "{who}: attaching another's file");
        assert_eq!(api.get_json("/v1/files").await["items"].as_array().unwrap().len(), 0, "{who} lists none");
        assert_eq!(api.get_json("/v1/files/usage").await["bytes"], 0);
    }
    assert_eq!(upstream.calls(), calls, "nothing went upstream");
    // A share snapshot names the file, and nothing more: readers of the tenant see the name, not
    // the text, and still get 404 for the file.
    let (s, share) = admin
        .send(Method::POST, &format!("/v1/conversations/{conv}/shares"), Some(json!({ "visibility": "tenant" })))
        .await;
    assert_eq!(s, 201, "{share}");
    let snapshot = colleague.get_json(&format!("/v1/snapshots/{}", share["id"].as_str().unwrap())).await;
    let files = &snapshot["messages"][0]["files"];
    assert_eq!(files[0]["name"], "secret.txt", "{snapshot}");
    assert_eq!(files[0].get("file_id"), None, "no way to the file from a snapshot: {snapshot}");
    assert!(!snapshot.to_string().contains("launch code"), "the snapshot does not carry the file's text: {snapshot}");
    let (s, body) = colleague.send(Method::GET, &format!("/v1/files/{id}/content"), None).await;
    assert_eq!(error_code(s, &body, 404), "not_found", "a snapshot reader still cannot open the file");
    // The owner still has it, whole.
    let resp = admin.get(&format!("/v1/files/{id}/content")).await;
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"the launch code is 0000");
}

async fn deletion_dedup_and_quotas(b: Backend) {
    let opts = Options::default().env("CONFAB_FILES__USER_QUOTA_BYTES", "100000");
    let (upstream, app, admin) = setup(b, opts).await;
    let store = app.db.dir.join("data/files");
    let count_objects = || files_under(&store).len();
    let a = uploaded(&admin, "a.txt", b"same bytes".to_vec()).await;
    let again = uploaded(&admin, "a.txt", b"same bytes".to_vec()).await;
    assert_eq!(a["id"], again["id"], "the same upload is the same file");
    let renamed = uploaded(&admin, "b.txt", b"same bytes".to_vec()).await;
    assert_ne!(a["id"], renamed["id"]);
    assert_eq!(a["sha256"], renamed["sha256"]);
    assert_eq!(count_objects(), 1, "identical content is stored once in the tenant");
    let usage = admin.get_json("/v1/files/usage").await;
    assert_eq!(
        (usage["files"].as_u64(), usage["bytes"].as_u64(), usage["quota_bytes"].as_u64()),
        (Some(2), Some(20), Some(100000))
    );
    // Over the user's quota: 413, nothing stored.
    let (s, body) = upload(&admin, "big.txt", vec![b'x'; 99_990]).await;
    assert_eq!(error_code(s, &body, 413), "storage_quota_exceeded");
    assert_eq!(admin.get_json("/v1/files").await["items"].as_array().unwrap().len(), 2);
    // A message keeps the name of a file deleted after it was sent.
    let conv = admin.conversation().await;
    sent_and_answered(&admin, &conv, "k1", json!({ "content": "Read", "model": "gpt-4o", "file_ids": [a["id"]] }))
        .await;
    let (s, _) = admin.send(Method::DELETE, &format!("/v1/files/{}", a["id"].as_str().unwrap()), None).await;
    assert_eq!(s, 204);
    assert_eq!(count_objects(), 1, "the other file still uses the object");
    let detail = admin.get_json(&format!("/v1/conversations/{conv}")).await;
    let files = &detail["messages"][0]["files"];
    assert_eq!(files[0]["name"], "a.txt");
    assert_eq!(files[0]["file_id"], Value::Null);
    sent_and_answered(&admin, &conv, "k2", json!({ "content": "Again?", "model": "gpt-4o" })).await;
    let sent = upstream.requests().last().unwrap().body.clone();
    let first = sent["messages"][0]["content"].as_str().unwrap();
    assert!(first.contains("\"a.txt\" was attached here; it has since been deleted"), "{first}");
    let (s, _) = admin.send(Method::DELETE, &format!("/v1/files/{}", renamed["id"].as_str().unwrap()), None).await;
    assert_eq!(s, 204);
    assert_eq!(count_objects(), 0, "the last file with that content took the object with it");
    assert_eq!(
        admin.send(Method::DELETE, &format!("/v1/files/{}", renamed["id"].as_str().unwrap()), None).await.0,
        404
    );
    // Too many files on one message, or one twice.
    let f = uploaded(&admin, "c.txt", b"c".to_vec()).await;
    let (s, body) =
        send(&admin, &conv, "k3", json!({ "content": "x", "model": "gpt-4o", "file_ids": [f["id"], f["id"]] })).await;
    assert_eq!(error_code(s, &body, 422), "validation_failed");
    // Storage per tenant, for the tenant's admins and the platform's.
    let tenant = admin.get_json("/v1/tenant/storage").await;
    assert_eq!((tenant["files"].as_u64(), tenant["bytes"].as_u64()), (Some(1), Some(1)));
    let all = admin.get_json("/v1/storage/tenants").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1, "{all}");
    assert_eq!(app.audit_count(&admin, "file.uploaded").await, 3);
    assert_eq!(app.audit_count(&admin, "file.deleted").await, 2);
}

/// Moves a file's upload `days` into the past.
async fn age_file(db: &sea_orm::DatabaseConnection, file: &Value, days: i64) {
    let b = db.get_database_backend();
    let sql = format!("UPDATE files SET created_at = {} WHERE id = {}", ph(b, 1), ph(b, 2));
    assert_eq!(exec(db, &sql, vec![days_ago(days).into(), uuid(file["id"].as_str().unwrap()).into()]).await, 1);
}

async fn retention_holds_and_erasure_cover_files(b: Backend) {
    let opts = Options::default().env("CONFAB_RETENTION__INTERVAL_SECS", "0");
    let (_upstream, app, admin) = setup(b, opts).await;
    let ann_id = app.create_user(&admin, "ann@acme.example", "member").await;
    let ann = app.login("ann@acme.example", PASSWORD).await;
    let old = uploaded(&ann, "old.txt", b"canary old file".to_vec()).await;
    let held = uploaded(&ann, "held.txt", b"canary held file".to_vec()).await;
    let loose = uploaded(&ann, "loose.txt", b"canary loose file".to_vec()).await;
    let fresh = uploaded(&ann, "fresh.txt", b"canary fresh file".to_vec()).await;
    let old_conv = ann.conversation().await;
    sent_and_answered(&ann, &old_conv, "k1", json!({ "content": "a", "model": "gpt-4o", "file_ids": [old["id"]] }))
        .await;
    let held_conv = ann.conversation().await;
    sent_and_answered(&ann, &held_conv, "k2", json!({ "content": "b", "model": "gpt-4o", "file_ids": [held["id"]] }))
        .await;
    let db = app.db.connect().await;
    for f in [&old, &held, &loose] {
        age_file(&db, f, 100).await;
    }
    for c in [&old_conv, &held_conv] {
        age_conversation(&db, c, 100).await;
    }
    let (s, hold) = admin
        .send(
            Method::POST,
            "/v1/tenant/legal-holds",
            Some(
                json!({ "scope": "conversation", "subject_id": held_conv, "case_name": "Matter 9", "reason": "keep" }),
            ),
        )
        .await;
    assert_eq!(s, 201, "{hold}");
    let (s, p) = admin
        .send(
            Method::PUT,
            "/v1/tenant/retention",
            Some(json!({ "conversation_days": 30, "share_days": 30, "deleted_grace_days": 0 })),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    let preview = admin.get_json("/v1/tenant/retention/preview").await;
    let files_due =
        preview["items"].as_array().unwrap().iter().find(|i| i["kind"] == "files").unwrap()["count"].clone();
    assert_eq!(files_due, 2, "the old file and the loose one; the held conversation keeps its file: {preview}");
    let run = app.cli(&["retention", "run"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let names: Vec<String> = ann.get_json("/v1/files").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["fresh.txt", "held.txt"], "what retention kept");
    let objects = files_under(&app.db.dir.join("data/files")).len();
    assert_eq!(objects, 2, "the purged files' bytes went from the file store too");
    // Erasure takes the rest of the user's files, except what the held conversation carries.
    let (s, erased) = admin.send(Method::POST, &format!("/v1/users/{ann_id}/erase"), None).await;
    assert_eq!(s, 200, "{erased}");
    assert_eq!(erased["files"], 1, "{erased}");
    let left = files_under(&app.db.dir.join("data/files"));
    assert_eq!(left.len(), 1, "only the held file's bytes stay: {left:?}");
    assert_eq!(std::fs::read(&left[0]).unwrap(), b"canary held file");
    let _ = fresh;
}

async fn uploads_never_sent_go_after_a_week_unless_held(b: Backend) {
    let opts = Options::default().env("CONFAB_RETENTION__INTERVAL_SECS", "0");
    let (_upstream, app, admin) = setup(b, opts).await;
    let ann_id = app.create_user(&admin, "ann@acme.example", "member").await;
    let ann = app.login("ann@acme.example", PASSWORD).await;
    let forgotten = uploaded(&admin, "forgotten.txt", b"never sent".to_vec()).await;
    let sent = uploaded(&admin, "sent.txt", b"sent once".to_vec()).await;
    let recent = uploaded(&admin, "recent.txt", b"uploaded today".to_vec()).await;
    let held = uploaded(&ann, "held.txt", b"ann's, under a hold".to_vec()).await;
    let conv = admin.conversation().await;
    sent_and_answered(&admin, &conv, "k1", json!({ "content": "a", "model": "gpt-4o", "file_ids": [sent["id"]] }))
        .await;
    let db = app.db.connect().await;
    for f in [&forgotten, &sent, &held] {
        age_file(&db, f, 8).await;
    }
    let (s, hold) = admin
        .send(
            Method::POST,
            "/v1/tenant/legal-holds",
            Some(json!({ "scope": "user", "subject_id": ann_id, "case_name": "Matter 11", "reason": "keep" })),
        )
        .await;
    assert_eq!(s, 201, "{hold}");
    // No retention policy is needed: a week is the installation's setting.
    let preview = admin.get_json("/v1/tenant/retention/preview").await;
    let due =
        |kind: &str| preview["items"].as_array().unwrap().iter().find(|i| i["kind"] == kind).unwrap()["count"].clone();
    assert_eq!(due("unattached_files"), 1, "{preview}");
    assert_eq!(due("files"), 0, "{preview}");
    let run = app.cli(&["retention", "run"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let names: Vec<String> = admin.get_json("/v1/files").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["recent.txt", "sent.txt"]);
    assert_eq!(ann.get_json("/v1/files").await["items"].as_array().unwrap().len(), 1, "the hold keeps ann's");
    let _ = recent;
}

both_backends!(
    every_kind_reaches_the_model_in_its_wire_format,
    hostile_files_are_refused_in_bounded_time_and_the_server_keeps_serving,
    other_users_and_tenants_never_reach_a_file,
    deletion_dedup_and_quotas,
    retention_holds_and_erasure_cover_files,
    uploads_never_sent_go_after_a_week_unless_held,
);

/// Two replicas with their own working directories share uploads through an S3-compatible store
/// (s3s-fs): a file uploaded on one is attached, read and deleted on the other. A store outage
/// is a clear 503 that loses nothing. (`scale::` in the name: the scale stage runs it, with
/// PostgreSQL and Redis.)
mod scale {
    use super::*;
    use confab_tests::redis::RedisServer;
    use confab_tests::s3::S3Server;

    #[tokio::test]
    async fn two_replicas_share_files_on_s3_compatible_storage() {
        let mut s3 = S3Server::start("uploads");
        let upstream = ScriptedUpstream::start().await;
        let redis = RedisServer::start();
        let mut opts = Options::default().upstream(&upstream).env("CONFAB_REDIS__URL", &redis.url());
        for (k, v) in s3.env("uploads") {
            opts = opts.env(&k, &v);
        }
        let a = TestApp::spawn_with(Backend::Postgres, opts).await;
        let b = a.replica(&[]);
        let on_a = a.admin().await;
        let on_b = on_a.on(&b);
        let doc = uploaded(&on_a, "plan.docx", docx(&["Ship attachments on S3."], 0)).await;
        let picture = uploaded(&on_a, "chart.png", png(64, 48)).await;
        let objects = s3.objects("uploads");
        assert_eq!(objects.len(), 2, "{objects:?}");
        let tenant_prefix = objects[0].parent().unwrap().to_path_buf();
        assert!(tenant_prefix.starts_with(s3.root.join("uploads/confab")), "{tenant_prefix:?}");
        assert!(objects.iter().all(|o| o.parent() == Some(&tenant_prefix)), "one prefix per tenant: {objects:?}");
        assert!(!a.db.dir.join("data/files").exists(), "nothing on the replica's disk");
        // Replica B reads what A stored: the text into the prompt, the image to the model.
        let conv = on_b.conversation().await;
        sent_and_answered(
            &on_b,
            &conv,
            "k1",
            json!({ "content": "Read it", "model": "gpt-4o", "file_ids": [doc["id"], picture["id"]] }),
        )
        .await;
        let sent = upstream.requests().last().unwrap().body.clone();
        let parts = user_message(&sent)["content"].as_array().unwrap().clone();
        assert_eq!(parts[0]["type"], "image_url");
        assert!(parts[1]["text"].as_str().unwrap().contains("Ship attachments on S3."), "{sent}");
        let resp = on_b.get(&format!("/v1/files/{}/content", picture["id"].as_str().unwrap())).await;
        assert_eq!(resp.bytes().await.unwrap().to_vec(), png(64, 48));
        let spare = uploaded(&on_b, "spare.txt", b"spare".to_vec()).await;
        assert_eq!(s3.objects("uploads").len(), 3);
        assert_eq!(
            on_a.send(Method::DELETE, &format!("/v1/files/{}", spare["id"].as_str().unwrap()), None).await.0,
            204
        );
        assert_eq!(s3.objects("uploads").len(), 2, "a deleted file's object goes from the bucket");
        // An outage of the store: uploads and downloads get 503, nothing half-stored; the chat
        // without files goes on.
        s3.stop();
        let (s, body) = upload(&on_a, "later.txt", b"later".to_vec()).await;
        assert_eq!(error_code(s, &body, 503), "unavailable");
        assert_eq!(on_a.get_json("/v1/files").await["items"].as_array().unwrap().len(), 2, "no row without its bytes");
        let (s, body) =
            on_b.send(Method::GET, &format!("/v1/files/{}/content", doc["id"].as_str().unwrap()), None).await;
        assert_eq!(error_code(s, &body, 503), "unavailable");
        let conv2 = on_a.conversation().await;
        sent_and_answered(&on_a, &conv2, "k2", json!({ "content": "no files", "model": "gpt-4o" })).await;
        drop(s3);
        let _ = redis;
    }
}
