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
