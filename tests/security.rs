//! Secrets: with credentials and a session token in the environment, byok never prints,
//! logs or writes any of them, on success or failure, in text or JSON. And what byok sends
//! never asks KMS to skip its lockout check.

mod common;
#[path = "common/proxy.rs"]
mod proxy;

use common::*;
use proxy::*;
use std::path::Path;
use std::process::{Command, Stdio};

const ACCESS_KEY: &str = "ASIAQXZTESTKEYID7777";
const SECRET: &str = "s3cr3tS3CR3Tq8Z/kV+wLr0Tb9nXyPq2mN4oJ6hG";
const TOKEN: &str =
    "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDtestSessionTokenZ9y8x7w6v5u4t3s2r1q0p";

fn byok(endpoint: &str, state: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_byok"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", state)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("BYOK_STATE_DIR", state)
        // Whatever logging could be turned on, is.
        .env("RUST_LOG", "trace")
        .env("RUST_BACKTRACE", "full")
        // --debug logs every API call on stderr: checked like the rest.
        .arg("--debug")
        .arg("--endpoint-url")
        .arg(endpoint)
        .stdin(Stdio::null());
    c
}

/// Every file under `dir`, as (path, bytes).
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                out.push((p.display().to_string(), b));
            }
        }
    }
    out
}

/// The secrets, and long-enough pieces of them to catch a truncated print.
fn needles() -> Vec<String> {
    let mut n = Vec::new();
    for s in [ACCESS_KEY, SECRET, TOKEN] {
        n.push(s.to_string());
        n.push(s[..16].to_string());
        n.push(s[s.len() - 16..].to_string());
    }
    n
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for needle in needles() {
        assert!(
            !text.contains(&needle),
            "{what} contains a credential fragment {needle:?}"
        );
    }
}

#[test]
fn credentials_never_leave_the_environment() {
    let moto = Moto::start();
    let dir = TempDir::new("security");
    let mut outputs = 0;
    let mut debug_lines = 0;
    let mut check = |label: &str, cmd: &mut Command, want: Option<i32>| {
        let out = cmd.output().expect("run byok");
        if let Some(code) = want {
            assert_eq!(
                out.status.code(),
                Some(code),
                "{label}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_clean(&format!("{label} stdout"), &out.stdout);
        assert_clean(&format!("{label} stderr"), &out.stderr);
        debug_lines += String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.starts_with("byok debug "))
            .count();
        outputs += 1;
        out
    };

    let camunda = [
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--regionality",
        "multi-region",
    ];
    // A refused call part-way: the error path prints AWS's answer and the finish command.
    let denying = Proxy::start(&moto.endpoint, Schedule::from(4, Fault::Deny));
    let out = check(
        "create (denied part-way)",
        byok(&denying.endpoint, dir.path())
            .arg("create")
            .args(camunda)
            .arg("--yes"),
        None,
    );
    assert_ne!(out.status.code(), Some(0));
    // A network failure: the SDK's error context is printed.
    let resetting = Proxy::start(&moto.endpoint, Schedule::from(1, Fault::ResetBefore));
    check(
        "policy (connection reset)",
        byok(&resetting.endpoint, dir.path())
            .arg("policy")
            .args(camunda),
        Some(3),
    );
    // Then a complete run through a recording proxy, text and JSON.
    let recording = Proxy::start(&moto.endpoint, Schedule::pass());
    check(
        "create",
        byok(&recording.endpoint, dir.path())
            .arg("create")
            .args(camunda)
            .arg("--yes"),
        Some(0),
    );
    let out = check(
        "create --output json",
        byok(&recording.endpoint, dir.path())
            .arg("create")
            .args(camunda)
            .args(["--yes", "--output", "json"]),
        Some(0),
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&out.stdout).is_ok());
    check(
        "policy",
        byok(&recording.endpoint, dir.path())
            .arg("policy")
            .args(camunda),
        Some(0),
    );
    check(
        "plan",
        byok(&recording.endpoint, dir.path())
            .arg("plan")
            .args(camunda),
        Some(0),
    );

    assert!(debug_lines > 20, "--debug logged {debug_lines} calls");

    // Nothing byok wrote holds a credential, and it did write the journal.
    let written = files(dir.path());
    assert!(
        written.iter().any(|(p, _)| p.ends_with("journal.jsonl")),
        "{:?}",
        written.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for (path, bytes) in &written {
        assert_clean(path, bytes);
    }
    // The secret key is only ever used to sign: no request body carries it, and none
    // asks KMS to skip the lockout safety check.
    let mut bodies = 0;
    for p in [&denying, &resetting, &recording] {
        for s in p.log() {
            assert_clean(&format!("request {}", s.op), s.body.as_bytes());
            assert!(!s.body.contains("BypassPolicyLockoutSafetyCheck"));
            bodies += 1;
        }
    }
    eprintln!(
        "security: {outputs} runs, {} files written, {bodies} requests checked: no credential fragment anywhere",
        written.len()
    );
    assert!(bodies > 20);
}

/// What KMS answers is outside text too: a key whose tags, description and alias hold
/// terminal escapes (an OSC 52 clipboard write, a screen clear, a title change, a bidi
/// override, a line break) is reported by `byok status` in text and JSON, and neither
/// output holds a raw control character; the JSON keeps the exact values.
#[tokio::test]
async fn text_from_kms_never_reaches_the_terminal_raw() {
    let moto = Moto::start();
    let dir = TempDir::new("kms-text");
    let kms = moto.kms("eu-west-1").await;
    let hostile = "acme\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b]0;pwned\x07\u{202e}\u{9b}\nFAKE LINE";
    let tag = |k: &str, v: &str| {
        aws_sdk_kms::types::Tag::builder()
            .tag_key(k)
            .tag_value(v)
            .build()
            .unwrap()
    };
    let key = kms
        .create_key()
        .description(format!("described {hostile}"))
        .tags(tag("byok:managed-by", "byok"))
        .tags(tag("byok:vendor", hostile))
        .tags(tag("byok:alias", hostile))
        .tags(tag("team", hostile))
        .send()
        .await
        .expect("moto takes any tag value");
    let arn = key.key_metadata().unwrap().arn().unwrap().to_string();
    // moto may refuse an alias AWS would refuse; use it when it does not.
    let _ = kms
        .create_alias()
        .alias_name(format!("alias/x{hostile}"))
        .target_key_id(&arn)
        .send()
        .await;

    let status = |output: &str| {
        let mut c = moto.byok(dir.path());
        c.args(["status", "--key", &arn, "--output", output]);
        c.output().expect("run byok")
    };
    for output in ["text", "json"] {
        let out = status(output);
        assert!(
            matches!(out.status.code(), Some(0 | 1 | 5)),
            "{output}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            if let Some(c) = text
                .chars()
                .find(|c| *c != '\n' && byok::sanitize::is_unsafe(*c))
            {
                panic!(
                    "status --output {output}: {} raw on {stream}:\n{text}",
                    byok::sanitize::code_point(c)
                );
            }
            assert!(
                !text.lines().any(|l| l.starts_with("FAKE LINE")),
                "status --output {output}: a line of KMS text on its own:\n{text}"
            );
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        if output == "text" {
            assert!(stdout.contains("acme\\u{1b}]52;c;"), "{stdout}");
        } else {
            let v: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
            assert_eq!(
                v["keys"][0]["vendor"],
                serde_json::json!(hostile),
                "{stdout}"
            );
        }
    }
}

/// An endpoint that answers every request with `total` bytes of body, chunked or with the
/// length declared, and counts what it managed to send.
struct FloodingEndpoint {
    url: String,
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl FloodingEndpoint {
    fn start(total: u64, declare_length: bool) -> FloodingEndpoint {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (s, c) = (sent.clone(), connections.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                    let _ = conn.set_write_timeout(Some(std::time::Duration::from_secs(5)));
                    // The request's head and body (small): read what arrives.
                    let mut buf = [0u8; 64 * 1024];
                    let _ = conn.read(&mut buf);
                    let head = if declare_length {
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {total}\r\n\r\n"
                        )
                    } else {
                        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
                            .to_string()
                    };
                    if conn.write_all(head.as_bytes()).is_err() {
                        return;
                    }
                    let chunk = vec![b'<'; 64 * 1024];
                    let mut left = total;
                    while left > 0 {
                        let n = left.min(chunk.len() as u64) as usize;
                        let ok = if declare_length {
                            conn.write_all(&chunk[..n])
                        } else {
                            conn.write_all(format!("{n:x}\r\n").as_bytes())
                                .and_then(|_| conn.write_all(&chunk[..n]))
                                .and_then(|_| conn.write_all(b"\r\n"))
                        };
                        if ok.is_err() {
                            return;
                        }
                        s.fetch_add(n as u64, Ordering::SeqCst);
                        left -= n as u64;
                    }
                    if !declare_length {
                        let _ = conn.write_all(b"0\r\n\r\n");
                    }
                });
            }
        });
        FloodingEndpoint {
            url,
            sent,
            connections,
        }
    }
}

/// A 1 GiB answer once grew byok to 3 GB: now an answer over 8 MiB is refused after reading
/// at most that much, at once, without retrying, and with a message that says so.
#[test]
fn a_huge_answer_is_refused_without_reading_it_whole() {
    use std::sync::atomic::Ordering;
    const GIB: u64 = 1 << 30;
    for declare_length in [false, true] {
        let endpoint = FloodingEndpoint::start(GIB, declare_length);
        let dir = TempDir::new("huge-answer");
        let t0 = std::time::Instant::now();
        let out = byok(&endpoint.url, dir.path())
            .env("RUST_LOG", "off")
            .args(["policy", "--vendor", "other", "--principal", "210987654321"])
            .args(["--region", "eu-west-1"])
            .output()
            .unwrap();
        let elapsed = t0.elapsed();
        let err = String::from_utf8_lossy(&out.stderr);
        let what = if declare_length {
            "declared"
        } else {
            "chunked"
        };
        assert_eq!(out.status.code(), Some(3), "{what}: {err}");
        assert!(
            err.contains("ResponseTooLarge") && err.contains("larger than 8 MiB"),
            "{what}: {err}"
        );
        assert!(out.stdout.is_empty());
        assert!(
            elapsed < std::time::Duration::from_secs(10),
            "{what}: {elapsed:?}"
        );
        let sent = endpoint.sent.load(Ordering::SeqCst);
        eprintln!("{what}: refused after {elapsed:?}, {sent} bytes sent: {err}");
        // What byok read, plus what the sockets' buffers took: nowhere near the gigabyte.
        assert!(sent < 24 << 20, "{what}: the endpoint sent {sent} bytes");
        assert_eq!(
            endpoint.connections.load(Ordering::SeqCst),
            1,
            "{what}: refused once, not retried"
        );
    }
}
