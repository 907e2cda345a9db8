//! A small fault-injecting HTTP proxy for the tests: it sits between byok and moto on
//! loopback, and per request, by a programmable schedule keyed on the operation, its Region
//! and its call count, answers a fault instead of (or after) forwarding. It records every
//! request, so tests can assert what byok sent and what the server really did.
//!
//! byok sends the requests of different Regions at the same time, so "the second CreateKey"
//! is whichever of two overlapping calls arrives last. A schedule entry for an operation sent
//! to more than one Region therefore names the Region and counts calls in it alone; the proxy
//! refuses (panics on drop) an entry without a Region for an operation it saw in several.
//!
//! One request per connection (it answers `Connection: close`), std threads only.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// HTTP 400 `ThrottlingException`, as KMS answers when rate-limited. Not forwarded.
    Throttle,
    /// HTTP 500 `KMSInternalException`. Not forwarded.
    Internal500,
    /// HTTP 503 with an empty body. Not forwarded.
    Unavailable503,
    /// The connection is reset (RST) before the request reaches the server.
    ResetBefore,
    /// The request reaches the server and is carried out; the answer is lost (RST).
    ResetAfter,
    /// Wait, then forward.
    Delay(Duration),
    /// HTTP 400 `AccessDeniedException`: a call the caller may not make. Not forwarded.
    Deny,
    /// HTTP 403 `AccessDenied` in the query protocol's XML (STS, IAM): for example an
    /// `AssumeRole` that the role's trust policy refuses. Not forwarded.
    DenyXml,
}

impl Fault {
    pub fn name(&self) -> String {
        match self {
            Fault::Throttle => "throttle".into(),
            Fault::Internal500 => "500".into(),
            Fault::Unavailable503 => "503".into(),
            Fault::ResetBefore => "reset-before".into(),
            Fault::ResetAfter => "reset-after".into(),
            Fault::Delay(d) => format!("delay-{}ms", d.as_millis()),
            Fault::Deny => "access-denied".into(),
            Fault::DenyXml => "access-denied-xml".into(),
        }
    }

    /// Whether the server saw (and carried out) the request.
    pub fn forwards(&self) -> bool {
        matches!(self, Fault::ResetAfter | Fault::Delay(_))
    }
}

/// A small deterministic PRNG (xorshift64*), so a seed names a schedule.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// Faults drawn at random, per request. The draw for a request depends only on the seed and
/// the request's operation, Region and call count in that Region, not on when it arrived: a
/// seed names the same schedule however byok's concurrent calls interleave.
#[derive(Debug, Clone)]
pub struct RandomFaults {
    pub seed: u64,
    /// Chance of a fault on each request, in thousandths.
    pub per_mille: u64,
    /// Delays are drawn in this range.
    pub delay: (Duration, Duration),
}

/// One scheduled fault: the n-th call (from 1) of an operation, in one Region or in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    /// Matched on the end of the target, so "CreateKey" and "TrentService.CreateKey" both work.
    pub op: String,
    /// `Some`: the n-th call of the operation in this Region (the Region the request is signed
    /// for; `ReplicateKey` goes to the primary's). `None`: the n-th call across all Regions,
    /// only for an operation byok sends to one Region.
    pub region: Option<String>,
    pub nth: u32,
    pub fault: Fault,
}

impl At {
    /// The n-th call of `op`, for an operation sent to one Region only.
    pub fn any(op: &str, nth: u32, fault: Fault) -> At {
        At {
            op: op.to_string(),
            region: None,
            nth,
            fault,
        }
    }
    /// The n-th call of `op` in `region`.
    pub fn in_region(op: &str, region: &str, nth: u32, fault: Fault) -> At {
        At {
            op: op.to_string(),
            region: Some(region.to_string()),
            nth,
            fault,
        }
    }
    fn matches(&self, op: &str, name: &str) -> bool {
        self.op == op || self.op == name
    }
}

/// When to inject what.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    /// Faults at given calls of given operations (see [`At`]).
    pub at: Vec<At>,
    pub random: Option<RandomFaults>,
    /// From the k-th request to arrive (from 1, all operations and Regions counted) on, every
    /// request gets this: an outage. Which of two overlapping calls is the k-th is up to the
    /// timing; the fault suite's checks do not depend on it.
    pub from: Option<(usize, Fault)>,
    /// Eventual consistency, as real KMS has it: `ListKeys` answers leave out the keys
    /// created (through this proxy) less than this long ago.
    pub stale_list: Option<Duration>,
    /// (operation, text in the request body) -> fault, on every such request: for example
    /// `("AssumeRole", "222222222222", Fault::DenyXml)` refuses the role in one account.
    pub when_body: Vec<(String, String, Fault)>,
}

impl Schedule {
    pub fn pass() -> Schedule {
        Schedule::default()
    }
    /// The n-th call of `op`, for an operation byok sends to one Region only.
    pub fn one(op: &str, nth: u32, fault: Fault) -> Schedule {
        Schedule::at(vec![At::any(op, nth, fault)])
    }
    /// The n-th call of `op` in `region`.
    pub fn one_in(op: &str, region: &str, nth: u32, fault: Fault) -> Schedule {
        Schedule::at(vec![At::in_region(op, region, nth, fault)])
    }
    pub fn at(at: Vec<At>) -> Schedule {
        Schedule {
            at,
            ..Default::default()
        }
    }
    pub fn random(seed: u64, per_mille: u64, delay: (Duration, Duration)) -> Schedule {
        Schedule {
            random: Some(RandomFaults {
                seed,
                per_mille,
                delay,
            }),
            ..Default::default()
        }
    }
    /// Every request from the k-th on (from 1) gets `fault`.
    pub fn from(k: usize, fault: Fault) -> Schedule {
        Schedule {
            from: Some((k, fault)),
            ..Default::default()
        }
    }
}

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `TrentService.CreateKey`, `STS.GetCallerIdentity`, ...
    pub op: String,
    /// The Region the request is for: its SigV4 credential scope, else its Host.
    pub region: Option<String>,
    /// The n-th call of this operation across all Regions, from 1 (in order of arrival).
    pub nth: u32,
    /// The n-th call of this operation in its Region, from 1.
    pub nth_in_region: u32,
    pub body: String,
    pub fault: Option<Fault>,
    /// The server's status and body, when the request was forwarded (even if the answer
    /// was then lost).
    pub upstream_status: Option<u16>,
    pub upstream_body: Option<String>,
}

impl Seen {
    /// The operation without its service prefix: `CreateKey`.
    pub fn name(&self) -> &str {
        self.op.rsplit('.').next().unwrap_or(&self.op)
    }
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
    pub fn upstream_json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(self.upstream_body.as_deref()?).ok()
    }
}

struct State {
    schedule: Schedule,
    counts: HashMap<String, u32>,
    /// Per (operation, Region).
    region_counts: HashMap<(String, Option<String>), u32>,
    log: Vec<Seen>,
    /// Key IDs the server created, and when.
    created: Vec<(String, std::time::Instant)>,
}

/// The proxy: listening until dropped.
pub struct Proxy {
    pub endpoint: String,
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    /// Connections accepted whose handling has not ended (counted from the accept).
    active: Arc<AtomicUsize>,
}

/// The request line of [`Proxy::settle`]'s own connection.
const SETTLE: &str = "PROXY-SETTLE";

impl Proxy {
    /// Forward to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, schedule: Schedule) -> Proxy {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            schedule,
            counts: HashMap::new(),
            region_counts: HashMap::new(),
            log: Vec::new(),
            created: Vec::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let active = Arc::new(AtomicUsize::new(0));
        let (st, sp, act) = (state.clone(), stop.clone(), active.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                act.fetch_add(1, Ordering::SeqCst);
                let (st, up, act) = (st.clone(), upstream.clone(), act.clone());
                std::thread::spawn(move || {
                    handle(conn, &up, &st);
                    act.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Proxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            state,
            stop,
            active,
        }
    }

    /// Once the client is gone (killed), wait until every request it opened a connection
    /// for has been handled: forwarded and answered, or faulted. Connections still waiting
    /// to be accepted count too: the proxy's own connection, accepted after them, marks the
    /// end of the queue. False if that takes longer than `timeout`.
    pub fn settle(&self, timeout: Duration) -> bool {
        let t0 = std::time::Instant::now();
        let Ok(mut marker) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = marker.set_read_timeout(Some(timeout));
        let _ = marker.write_all(format!("{SETTLE} / HTTP/1.1\r\n\r\n").as_bytes());
        let mut answer = Vec::new();
        let _ = marker.read_to_end(&mut answer);
        drop(marker);
        while self.active.load(Ordering::SeqCst) > 0 {
            if t0.elapsed() >= timeout {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    /// Replace the schedule (call counts go on).
    pub fn set_schedule(&self, schedule: Schedule) {
        self.state.lock().unwrap().schedule = schedule;
    }

    /// Every request so far, in arrival order.
    pub fn log(&self) -> Vec<Seen> {
        self.state.lock().unwrap().log.clone()
    }

    /// How many faults were injected.
    pub fn faults(&self) -> usize {
        self.log().iter().filter(|s| s.fault.is_some()).count()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wake the accept loop
        if std::thread::panicking() {
            return;
        }
        // An entry without a Region for an operation seen in several: which call it hit
        // depended on the timing of overlapping requests.
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for at in st.schedule.at.iter().filter(|a| a.region.is_none()) {
            let regions: std::collections::BTreeSet<&str> = st
                .log
                .iter()
                .filter(|s| at.matches(&s.op, s.name()))
                .filter_map(|s| s.region.as_deref())
                .collect();
            assert!(
                regions.len() <= 1,
                "schedule entry {}#{} names no Region, but the operation went to {regions:?}: use At::in_region / Schedule::one_in",
                at.op,
                at.nth
            );
        }
    }
}

/// One header's value, by case-insensitive name.
fn header(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// The Region a request is for: the SigV4 credential scope
/// (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`), else a Region-shaped label of the
/// Host (`kms.eu-west-1.amazonaws.com`).
fn region(head: &str) -> Option<String> {
    let scoped = header(head, "authorization").and_then(|auth| {
        let scope = auth.split("Credential=").nth(1)?;
        let scope = scope.split([',', ' ']).next()?;
        let region = scope.split('/').nth(2)?;
        (!region.is_empty()).then(|| region.to_string())
    });
    scoped.or_else(|| {
        let host = header(head, "host")?;
        let host = host.split(':').next()?;
        host.split('.')
            .find(|l| {
                l.matches('-').count() >= 2
                    && l.ends_with(|c: char| c.is_ascii_digit())
                    && l.starts_with(|c: char| c.is_ascii_lowercase())
            })
            .map(str::to_string)
    })
}

/// A stable hash of a request's identity, for the random draw (FNV-1a).
fn identity_hash(op: &str, region: Option<&str>, nth: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = op
        .bytes()
        .chain([0])
        .chain(region.unwrap_or("").bytes())
        .chain([0])
        .chain(nth.to_le_bytes());
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Read one HTTP/1.1 message (head + Content-Length or chunked body, or to EOF when
/// `to_eof`). Returns the head (as text) and the body.
fn read_message(s: &mut TcpStream, to_eof: bool) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut body = buf[head_end..].to_vec();
    let header = |name: &str| header(&head, name);
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while body.len() < len {
            let n = s.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        body.truncate(len);
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            if let Some(decoded) = dechunk(&body) {
                body = decoded;
                break;
            }
            let n = s.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if to_eof {
        let _ = s.read_to_end(&mut body);
    }
    Some((head, body))
}

/// A complete chunked body, decoded; `None` while incomplete.
fn dechunk(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let line_end = raw[i..].windows(2).position(|w| w == b"\r\n")? + i;
        let size_text = String::from_utf8_lossy(&raw[i..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        i = line_end + 2;
        if size == 0 {
            return Some(out);
        }
        if raw.len() < i + size + 2 {
            return None;
        }
        out.extend_from_slice(&raw[i..i + size]);
        i += size + 2;
    }
}

fn operation(head: &str, body: &[u8]) -> String {
    if let Some(t) = header(head, "x-amz-target") {
        return t;
    }
    // The query protocol (STS, IAM): Action=... in a form body.
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .map(|a| format!("Query.{a}"))
        .unwrap_or_else(|| "unknown".into())
}

/// Close with RST rather than FIN: what a dropped connection looks like to the client.
fn reset(conn: TcpStream) {
    let _ = conn.set_nonblocking(false);
    let sock = tokio::net::TcpSocket::from_std_stream(conn);
    let _ = sock.set_zero_linger();
    drop(sock);
}

fn respond(conn: &mut TcpStream, status: &str, body: &str) {
    let msg = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nx-amzn-RequestId: proxy-fault\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = conn.write_all(msg.as_bytes());
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Write);
}

fn handle(mut conn: TcpStream, upstream: &str, state: &Mutex<State>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(60)));
    let Some((head, body)) = read_message(&mut conn, false) else {
        return;
    };
    if head.starts_with(SETTLE) {
        return respond(&mut conn, "200 OK", "");
    }
    let op = operation(&head, &body);
    let region = region(&head);
    let (fault, index) = {
        let mut st = state.lock().unwrap();
        let nth = {
            let c = st.counts.entry(op.clone()).or_insert(0);
            *c += 1;
            *c
        };
        let nth_in_region = {
            let c = st
                .region_counts
                .entry((op.clone(), region.clone()))
                .or_insert(0);
            *c += 1;
            *c
        };
        let name = op.rsplit('.').next().unwrap_or(&op).to_string();
        let mut fault = st
            .schedule
            .at
            .iter()
            .find(|a| {
                a.matches(&op, &name)
                    && match &a.region {
                        Some(r) => Some(r) == region.as_ref() && a.nth == nth_in_region,
                        None => a.nth == nth,
                    }
            })
            .map(|a| a.fault);
        if fault.is_none() {
            let text = String::from_utf8_lossy(&body);
            fault = st
                .schedule
                .when_body
                .iter()
                .find(|(o, needle, _)| (*o == op || *o == name) && text.contains(needle.as_str()))
                .map(|(_, _, f)| *f);
        }
        if fault.is_none()
            && let Some((k, f)) = st.schedule.from
            && st.log.len() + 1 >= k
        {
            fault = Some(f);
        }
        if fault.is_none()
            && let Some(r) = st.schedule.random.as_ref()
        {
            let mut rng = Rng::new(r.seed ^ identity_hash(&name, region.as_deref(), nth_in_region));
            if rng.chance(r.per_mille) {
                let (lo, hi) = r.delay;
                let span = hi.saturating_sub(lo).as_millis() as u64;
                // Mostly transient trouble; now and then a refusal that ends the run part-way.
                fault = Some(match rng.below(20) {
                    0..=3 => Fault::Throttle,
                    4..=6 => Fault::Internal500,
                    7..=9 => Fault::Unavailable503,
                    10..=12 => Fault::ResetBefore,
                    13..=15 => Fault::ResetAfter,
                    16..=18 => Fault::Delay(lo + Duration::from_millis(rng.below(span + 1))),
                    _ => Fault::Deny,
                });
            }
        }
        st.log.push(Seen {
            op: op.clone(),
            region,
            nth,
            nth_in_region,
            body: String::from_utf8_lossy(&body).into_owned(),
            fault,
            upstream_status: None,
            upstream_body: None,
        });
        (fault, st.log.len() - 1)
    };
    match fault {
        Some(Fault::Throttle) => {
            return respond(
                &mut conn,
                "400 Bad Request",
                r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
            );
        }
        Some(Fault::Internal500) => {
            return respond(
                &mut conn,
                "500 Internal Server Error",
                r#"{"__type":"KMSInternalException","message":"An internal error occurred"}"#,
            );
        }
        Some(Fault::Deny) => {
            return respond(
                &mut conn,
                "400 Bad Request",
                r#"{"__type":"AccessDeniedException","message":"User is not authorized to perform this operation (injected by the test proxy)"}"#,
            );
        }
        Some(Fault::DenyXml) => {
            let body = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole (injected by the test proxy)</Message></Error><RequestId>proxy-fault</RequestId></ErrorResponse>"#;
            let msg = format!(
                "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nx-amzn-RequestId: proxy-fault\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(msg.as_bytes());
            let _ = conn.flush();
            let _ = conn.shutdown(Shutdown::Write);
            return;
        }
        Some(Fault::Unavailable503) => return respond(&mut conn, "503 Service Unavailable", ""),
        Some(Fault::ResetBefore) => return reset(conn),
        Some(Fault::Delay(d)) => std::thread::sleep(d),
        _ => {}
    }
    // Forward, one request per upstream connection.
    let Ok(mut up) = TcpStream::connect(upstream) else {
        return reset(conn);
    };
    let _ = up.set_read_timeout(Some(Duration::from_secs(60)));
    let mut req = String::new();
    for (i, line) in head.trim_end().split("\r\n").enumerate() {
        let lower = line.to_ascii_lowercase();
        if i > 0 && (lower.starts_with("connection:") || lower.starts_with("keep-alive:")) {
            continue;
        }
        req.push_str(line);
        req.push_str("\r\n");
    }
    req.push_str("Connection: close\r\n\r\n");
    if up.write_all(req.as_bytes()).is_err() || up.write_all(&body).is_err() {
        return reset(conn);
    }
    let Some((rhead, rbody)) = read_message(&mut up, true) else {
        return reset(conn);
    };
    let status = rhead
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok());
    let mut rbody = rbody;
    {
        let mut st = state.lock().unwrap();
        let seen = &mut st.log[index];
        seen.upstream_status = status;
        seen.upstream_body = Some(String::from_utf8_lossy(&rbody).into_owned());
        let answer: Option<serde_json::Value> = serde_json::from_slice(&rbody).ok();
        let made = answer.as_ref().and_then(|j| {
            j.get("KeyMetadata")
                .or_else(|| j.get("ReplicaKeyMetadata"))?
                .get("KeyId")?
                .as_str()
                .map(str::to_string)
        });
        if let Some(id) = made
            && (op.ends_with(".CreateKey") || op.ends_with(".ReplicateKey"))
        {
            st.created.push((id, std::time::Instant::now()));
        }
        if let (Some(lag), true, Some(mut j)) =
            (st.schedule.stale_list, op.ends_with(".ListKeys"), answer)
        {
            let fresh: Vec<&String> = st
                .created
                .iter()
                .filter(|(_, at)| at.elapsed() < lag)
                .map(|(id, _)| id)
                .collect();
            if let Some(keys) = j.get_mut("Keys").and_then(|k| k.as_array_mut()) {
                keys.retain(|k| {
                    !k["KeyId"]
                        .as_str()
                        .is_some_and(|id| fresh.iter().any(|f| *f == id))
                });
            }
            rbody = serde_json::to_vec(&j).unwrap();
        }
    }
    if fault == Some(Fault::ResetAfter) {
        return reset(conn);
    }
    // Pass the answer on with a length the client can trust, and close.
    let mut out = String::new();
    for (i, line) in rhead.trim_end().split("\r\n").enumerate() {
        let lower = line.to_ascii_lowercase();
        if i > 0
            && (lower.starts_with("connection:")
                || lower.starts_with("keep-alive:")
                || lower.starts_with("content-length:")
                || lower.starts_with("transfer-encoding:"))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        rbody.len()
    ));
    let _ = conn.write_all(out.as_bytes());
    let _ = conn.write_all(&rbody);
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Write);
}
