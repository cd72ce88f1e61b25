//! PDF text extraction in a child process. A hostile PDF (an endless reference loop, a stream
//! that inflates without end) cannot take the server down with it: the child runs with a capped
//! address space and CPU time, and is killed when it overruns `files.extract_timeout_secs`.
//!
//! The child is the server's own executable, started with [`CHILD_ENV`] set and no other
//! environment (no secret reaches it); every binary that serves Confab calls
//! [`run_child_if_requested`] first thing in `main`. It is not otherwise sandboxed (no seccomp
//! filter, no namespace): its only input is the PDF, its only output the text.

use super::extract::{Extracted, extract_pdf_text};
use crate::error::{AppError, AppResult};
use std::io::{Read, Write};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Set (to the most characters to keep) in the environment of a PDF extraction child.
pub const CHILD_ENV: &str = "CONFAB_PDF_TEXT_CHILD";
/// The child's address space: enough for large, honest PDFs; a bomb fails to allocate.
const CHILD_ADDRESS_SPACE: u64 = 1024 * 1024 * 1024;

/// When this process was started as a PDF extraction child: reads the PDF on stdin, writes the
/// result as JSON on stdout and exits. Otherwise returns at once.
pub fn run_child_if_requested() {
    let Ok(max_chars) = std::env::var(CHILD_ENV) else { return };
    let max_chars = max_chars.parse::<usize>().unwrap_or(200_000);
    use nix::sys::resource::{Resource, setrlimit};
    let _ = setrlimit(Resource::RLIMIT_AS, CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE);
    let _ = setrlimit(Resource::RLIMIT_CPU, 60, 60);
    let mut input = Vec::new();
    let code = match std::io::stdin().read_to_end(&mut input) {
        Ok(_) => {
            let out = match extract_pdf_text(&input, max_chars) {
                Ok(e) => serde_json::json!({ "text": e.text, "truncated": e.truncated, "total_chars": e.total_chars }),
                Err(e) => serde_json::json!({ "error": e.to_string() }),
            };
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(out.to_string().as_bytes());
            let _ = stdout.flush();
            0
        }
        Err(_) => 2,
    };
    std::process::exit(code);
}

#[derive(serde::Deserialize)]
struct ChildAnswer {
    text: Option<String>,
    truncated: Option<bool>,
    total_chars: Option<usize>,
    error: Option<String>,
}

fn refused(reason: impl Into<String>) -> AppError {
    AppError::Validation { field: "file", reason: reason.into() }
}

/// The PDF's text, read by a child process within `timeout`.
pub async fn extract(bytes: &[u8], max_chars: usize, timeout: Duration) -> AppResult<Extracted> {
    let exe = std::env::current_exe().map_err(|e| AppError::Internal(format!("no executable path: {e}")))?;
    // The reader gets nothing of the server's environment (database URLs, keys): only its limit.
    let mut child = tokio::process::Command::new(exe)
        .env_clear()
        .env(CHILD_ENV, max_chars.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| AppError::Internal(format!("cannot start the PDF reader: {e}")))?;
    let mut stdin = child.stdin.take().ok_or_else(|| AppError::Internal("PDF reader without stdin".into()))?;
    let mut stdout = child.stdout.take().ok_or_else(|| AppError::Internal("PDF reader without stdout".into()))?;
    let input = bytes.to_vec();
    let work = async move {
        let feed = async move {
            // A child that dies early closes its stdin; what it said (or not) decides.
            let _ = stdin.write_all(&input).await;
            drop(stdin);
        };
        let mut out = Vec::new();
        let read = stdout.read_to_end(&mut out);
        let (_, read) = tokio::join!(feed, read);
        read.map(|_| out)
    };
    let out = match tokio::time::timeout(timeout, work).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(AppError::Internal(format!("reading the PDF reader's answer: {e}"))),
        Err(_) => {
            let _ = child.kill().await;
            return Err(refused(format!(
                "could not be read within {} s: the PDF is too complex or malformed",
                timeout.as_secs()
            )));
        }
    };
    let _ = child.wait().await;
    let answer: ChildAnswer = serde_json::from_slice(&out)
        .map_err(|_| refused("could not be read: the PDF is malformed or needs more memory than allowed"))?;
    if let Some(error) = answer.error {
        return Err(refused(error));
    }
    Ok(Extracted {
        text: answer.text.unwrap_or_default(),
        truncated: answer.truncated.unwrap_or(false),
        total_chars: answer.total_chars.unwrap_or(0),
    })
}
