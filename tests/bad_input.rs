//! The bad-input corpus (tests/bad_input/cases.jsonl, vendor files in tests/bad_input/vendors):
//! every invalid input is refused before any API call (the endpoint counts connections and
//! must see none), with a message naming the field, exit code 2, and never a panic.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const ROLE: &str = "arn:aws:iam::210987654321:role/camunda-tenant";

/// A loopback endpoint that counts every connection made to it.
struct CountingEndpoint {
    url: String,
    connections: Arc<AtomicUsize>,
}

impl CountingEndpoint {
    fn start() -> CountingEndpoint {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let c = connections.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                c.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut s) = conn {
                    let mut buf = [0u8; 1024];
                    let _ = s.set_read_timeout(Some(std::time::Duration::from_millis(200)));
                    let _ = s.read(&mut buf);
                }
            }
        });
        CountingEndpoint { url, connections }
    }
    fn count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input")
}

/// `{repeat:X:N}` is X repeated N times; `{role}` a valid Camunda role; `{tags:N}` and
/// `{admins:N}` expand to N flags.
fn expand(arg: &str) -> Vec<String> {
    if let Some(n) = arg.strip_prefix("{tags:").and_then(|r| r.strip_suffix('}')) {
        let n: usize = n.parse().unwrap();
        return (0..n)
            .flat_map(|i| ["--tag".to_string(), format!("team{i}=x")])
            .collect();
    }
    if let Some(n) = arg
        .strip_prefix("{admins:")
        .and_then(|r| r.strip_suffix('}'))
    {
        let n: usize = n.parse().unwrap();
        return (0..n)
            .flat_map(|i| {
                [
                    "--admin".to_string(),
                    format!("arn:aws:iam::123456789012:role/key-administrator-number-{i}"),
                ]
            })
            .collect();
    }
    let mut out = arg.replace("{role}", ROLE);
    while let Some(start) = out.find("{repeat:") {
        let end = start + out[start..].find('}').unwrap();
        let spec = &out[start + "{repeat:".len()..end];
        let (text, n) = spec.rsplit_once(':').unwrap();
        let rep = text.repeat(n.parse().unwrap());
        out.replace_range(start..=end, &rep);
    }
    vec![out]
}

fn byok(endpoint: &str, state: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_byok"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", state)
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("BYOK_STATE_DIR", state)
        // A common setting that once made every command fail before validating anything.
        .env("NO_COLOR", "1")
        .arg("--endpoint-url")
        .arg(endpoint)
        .stdin(Stdio::null());
    c
}

#[test]
fn every_bad_input_is_refused_before_any_call() {
    let endpoint = CountingEndpoint::start();
    let state = std::env::temp_dir().join(format!("byok-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&state).unwrap();
    let text = std::fs::read_to_string(corpus_dir().join("cases.jsonl")).unwrap();
    let mut problems = Vec::new();
    let mut n = 0;
    let mut fields = std::collections::BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).expect("a JSON case");
        let name = case["name"].as_str().unwrap();
        let mut cmd = byok(&endpoint.url, &state);
        if let Some(f) = case["vendor_file"].as_str() {
            cmd.arg("--vendor-file")
                .arg(corpus_dir().join("vendors").join(f));
        }
        let args: Vec<String> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| expand(a.as_str().unwrap()))
            .collect();
        // `create --yes` would go on to AWS if the input passed.
        let create = args.first().is_some_and(|a| a == "create");
        cmd.args(&args);
        if create {
            cmd.arg("--yes");
        }
        let before = endpoint.count();
        let out = cmd.output().expect("run byok");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        n += 1;
        if out.status.code() != Some(2) {
            problems.push(format!(
                "{name}: exit {:?} (want 2): {stderr}",
                out.status.code()
            ));
        }
        if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
            problems.push(format!("{name}: panicked: {stderr}"));
        }
        if endpoint.count() != before {
            problems.push(format!("{name}: byok connected to the endpoint"));
        }
        // Whatever the input held, the message shows it escaped: no escape sequence, bell,
        // carriage return or bidi override reaches the terminal.
        if let Some(c) = stderr
            .chars()
            .find(|c| *c != '\n' && byok::sanitize::is_unsafe(*c))
        {
            problems.push(format!(
                "{name}: {} raw on stderr: {stderr:?}",
                byok::sanitize::code_point(c)
            ));
        }
        if !stdout.trim().is_empty() {
            problems.push(format!("{name}: printed on stdout: {stdout}"));
        }
        for want in case["expect"].as_array().unwrap() {
            let want = want.as_str().unwrap();
            if !stderr.contains(want) {
                problems.push(format!("{name}: message lacks {want:?}: {stderr}"));
            }
        }
        // The flag or vendor-file field the case is about.
        fields.insert(case["expect"][0].as_str().unwrap().to_string());
        // A huge value is not echoed back whole.
        if stderr.len() > 20_000 {
            problems.push(format!("{name}: {} bytes of error message", stderr.len()));
        }
    }
    let _ = std::fs::remove_dir_all(&state);
    eprintln!(
        "bad input: {n} cases over {} fields, {} connections",
        fields.len(),
        endpoint.count()
    );
    assert!(n >= 60, "the corpus has {n} cases");
    for flag in [
        "--vendor",
        "--region",
        "--principal",
        "--regionality",
        "--replica-region",
        "--alias",
        "--description",
        "--tag",
        "--admin",
        "--rotation-days",
        "--account",
        "vendor file",
    ] {
        assert!(fields.contains(flag), "no case for {flag}");
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(endpoint.count(), 0);
}

/// `--vendor-file /dev/zero` once read until memory ran out (12 GB), and a named pipe would
/// block forever: both are refused at once, as is a file over the size limit.
#[test]
fn special_and_huge_vendor_files_are_refused_at_once() {
    let endpoint = CountingEndpoint::start();
    let state = std::env::temp_dir().join(format!("byok-bad-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(&state).unwrap();
    let fifo = state.join("vendor.fifo");
    let fifo_made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    assert!(fifo_made, "mkfifo");
    let huge = state.join("huge.json");
    {
        // Valid JSON that never ends soon: a string of 64 MiB.
        use std::io::Write;
        let mut f = std::fs::File::create(&huge).unwrap();
        f.write_all(b"{\"id\": \"").unwrap();
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..64 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\"}").unwrap();
    }
    for (path, want) in [
        (PathBuf::from("/dev/zero"), "character device"),
        (fifo.clone(), "named pipe"),
        (huge.clone(), "larger than 1024 KiB"),
    ] {
        let t0 = std::time::Instant::now();
        let mut child = byok(&endpoint.url, &state)
            .arg("--vendor-file")
            .arg(&path)
            .args(["policy", "--vendor", "acme", "--account", "123456789012"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Killed if it is still reading after 3 s (before: until memory ran out).
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break Some(st);
            }
            if t0.elapsed() > std::time::Duration::from_secs(3) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let elapsed = t0.elapsed();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status =
            status.unwrap_or_else(|| panic!("{}: still running after 3 s", path.display()));
        assert_eq!(status.code(), Some(2), "{}: {stderr}", path.display());
        assert!(
            elapsed < std::time::Duration::from_secs(1),
            "{}: refused after {elapsed:?}",
            path.display()
        );
        assert!(
            stderr.contains(&format!("vendor file {}", path.display())) && stderr.contains(want),
            "{}: {stderr}",
            path.display()
        );
    }
    assert_eq!(endpoint.count(), 0);
    let _ = std::fs::remove_dir_all(&state);
}
