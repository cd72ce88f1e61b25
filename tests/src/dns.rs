//! A DNS server for tests: answers TXT queries over UDP from records a test sets, and NXDOMAIN
//! for everything else. The server under test is pointed at it with `CONFAB_AUTH__DOMAIN_DNS_SERVER`
//! (domain verification asks it for `_confab-challenge.<domain>`). The wire format is the real one
//! (hickory-proto encodes and decodes every message). [`DnsServer::set_mode`] plays outages: a
//! failure code for every query (SERVFAIL, REFUSED) or no answer at all.
use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// How the server answers: normally, with a failure code for every query, or not at all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DnsMode {
    Answer,
    Fail(ResponseCode),
    Silent,
}

pub struct DnsServer {
    pub addr: SocketAddr,
    mode: Arc<Mutex<DnsMode>>,
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
    queries: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl DnsServer {
    pub async fn start() -> Self {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let records: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
        let queries: Arc<Mutex<Vec<String>>> = Arc::default();
        let mode = Arc::new(Mutex::new(DnsMode::Answer));
        let (r, q, m) = (records.clone(), queries.clone(), mode.clone());
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else { return };
                let Ok(request) = Message::from_vec(&buf[..n]) else { continue };
                let mode = *m.lock().unwrap();
                if mode == DnsMode::Silent {
                    continue;
                }
                let mut response = Message::new();
                response
                    .set_id(request.id())
                    .set_message_type(MessageType::Response)
                    .set_op_code(request.op_code())
                    .set_recursion_desired(request.recursion_desired())
                    .set_recursion_available(true)
                    .set_authoritative(true);
                let mut found = false;
                for query in request.queries() {
                    response.add_query(query.clone());
                    let name = key(&query.name().to_ascii());
                    q.lock().unwrap().push(name.clone());
                    if query.query_type() != RecordType::TXT {
                        continue;
                    }
                    if let Some(values) = r.lock().unwrap().get(&name) {
                        found = true;
                        for v in values {
                            response.add_answer(Record::from_rdata(
                                query.name().clone(),
                                0,
                                RData::TXT(TXT::new(vec![v.clone()])),
                            ));
                        }
                    }
                }
                if let DnsMode::Fail(code) = mode {
                    response.take_answers();
                    response.set_response_code(code);
                } else if !found {
                    response.set_response_code(ResponseCode::NXDomain);
                }
                if let Ok(bytes) = response.to_vec() {
                    let _ = socket.send_to(&bytes, from).await;
                }
            }
        });
        Self { addr, mode, records, queries, task }
    }

    /// From now on, answers every query this way (a server failure, a refusal, or silence).
    pub fn set_mode(&self, mode: DnsMode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// The `CONFAB_…` variable that points a server at this one.
    pub fn env(&self) -> (String, String) {
        ("CONFAB_AUTH__DOMAIN_DNS_SERVER".into(), self.addr.to_string())
    }

    /// Publishes (replaces) the TXT records at `name`.
    pub fn set_txt(&self, name: &str, values: &[&str]) {
        self.records.lock().unwrap().insert(key(name), values.iter().map(|v| v.to_string()).collect());
    }

    pub fn remove(&self, name: &str) {
        self.records.lock().unwrap().remove(&key(name));
    }

    /// How many queries named `name` so far.
    pub fn queries_for(&self, name: &str) -> usize {
        let name = key(name);
        self.queries.lock().unwrap().iter().filter(|q| **q == name).count()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
