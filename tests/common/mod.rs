//! Shared test support: a real moto KMS server on a free loopback port, and the byok binary
//! pointed at it. When moto cannot start, tests fail loudly: a green run always means the
//! AWS path was exercised.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const ACCOUNT: &str = "123456789012";
pub const CAMUNDA_ROLE: &str = "arn:aws:iam::210987654321:role/camunda-tenant";

/// A moto server process, killed on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
    pub endpoint: String,
}

/// moto listens on its own loopback address: the tests' proxies and other listeners take
/// ports on 127.0.0.1, so a port picked here cannot be taken by one of them before moto binds
/// it (which would make another listener look like moto).
pub const MOTO_HOST: &str = "127.0.0.2";

/// The ports handed to this process's moto servers, until each is dropped: between
/// `free_port` and moto binding the port, another test thread could be handed the same one by
/// the OS, and both would then talk to one server (and count each other's keys).
static RESERVED: std::sync::Mutex<std::collections::BTreeSet<u16>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

fn free_port() -> u16 {
    loop {
        let port = TcpListener::bind((MOTO_HOST, 0))
            .expect("bind loopback")
            .local_addr()
            .unwrap()
            .port();
        if RESERVED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(port)
        {
            return port;
        }
    }
}

fn release_port(port: u16) {
    RESERVED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&port);
}

/// The moto server command: $BYOK_MOTO_SERVER, else the project's `.venv`, which is
/// created on first use so that `cargo test` alone works on a fresh machine.
fn moto_command() -> Command {
    if let Some(p) = std::env::var_os("BYOK_MOTO_SERVER") {
        return Command::new(p);
    }
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join(".venv/bin/moto_server");
    if !venv.exists() {
        eprintln!("installing moto into .venv (once)...");
        let ok = Command::new("python3")
            .args(["-m", "venv", ".venv"])
            .current_dir(root)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(root.join(".venv/bin/pip"))
                .args([
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "moto[server]>=5.1,<6",
                    "boto3",
                ])
                .current_dir(root)
                .status()
                .is_ok_and(|s| s.success());
        assert!(
            ok,
            "could not install moto into .venv: run `python3 -m venv .venv && .venv/bin/pip install 'moto[server]'`"
        );
    }
    Command::new(venv)
}

impl Moto {
    pub fn start() -> Moto {
        let mut last_err = String::new();
        for _ in 0..3 {
            let port = free_port();
            let child = moto_command()
                .args(["-H", MOTO_HOST, "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let mut child = match child {
                Ok(c) => c,
                Err(e) => panic!(
                    "cannot start moto_server ({e}). Install it with `python3 -m venv .venv && .venv/bin/pip install 'moto[server]'` (or run .ci/run), or set BYOK_MOTO_SERVER."
                ),
            };
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(30) {
                if let Ok(Some(status)) = child.try_wait() {
                    last_err = format!("moto_server exited with {status}");
                    break;
                }
                if TcpStream::connect((MOTO_HOST, port)).is_ok() {
                    return Moto {
                        child,
                        port,
                        endpoint: format!("http://{MOTO_HOST}:{port}"),
                    };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
            release_port(port);
            if last_err.is_empty() {
                last_err = "moto_server did not listen within 30 s".into();
            }
        }
        panic!("moto server could not start: {last_err}");
    }

    /// The byok binary with fake credentials, a private state dir, and this endpoint.
    pub fn byok(&self, state_dir: &Path) -> Command {
        byok_at(&self.endpoint, state_dir)
    }

    /// The byok binary as [`Moto::byok`] sets it up, sending to `endpoint` (a proxy in
    /// front of this server) instead.
    pub fn byok_through(&self, state_dir: &Path, endpoint: &str) -> Command {
        byok_at(endpoint, state_dir)
    }

    /// A real aws-sdk-iam client for checking roles through the AWS API.
    #[allow(dead_code)]
    pub async fn iam(&self) -> aws_sdk_iam::Client {
        let conf = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "AKIAIOSFODNN7EXAMPLE",
                "x",
                None,
                None,
                "test",
            ))
            .build();
        aws_sdk_iam::Client::from_conf(conf)
    }

    /// A real aws-sdk-kms client for checking results through the AWS API.
    pub async fn kms(&self, region: &str) -> aws_sdk_kms::Client {
        let conf = aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(aws_sdk_kms::config::Region::new(region.to_string()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_kms::config::Credentials::new(
                "AKIAIOSFODNN7EXAMPLE",
                "x",
                None,
                None,
                "test",
            ))
            .build();
        aws_sdk_kms::Client::from_conf(conf)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        release_port(self.port);
    }
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("byok-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The byok binary with fake credentials and a private state dir, pointed at `endpoint`
/// (moto, or a proxy in front of it).
pub fn byok_at(endpoint: &str, state_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_byok"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", state_dir)
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("BYOK_STATE_DIR", state_dir)
        .arg("--endpoint-url")
        .arg(endpoint)
        .stdin(Stdio::null());
    c
}

/// `byok create` for Camunda with this regionality and alias, without asking.
pub fn camunda_create(regionality: &str, alias: &str) -> Vec<String> {
    [
        "create",
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--regionality",
        regionality,
        "--alias",
        alias,
        "--yes",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run byok")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every key in a Region (IDs), through the AWS API.
pub async fn key_ids(kms: &aws_sdk_kms::Client) -> Vec<String> {
    let out = kms.list_keys().limit(1000).send().await.unwrap();
    out.keys()
        .iter()
        .filter_map(|k| k.key_id().map(str::to_string))
        .collect()
}

/// Keys in a Region that are not pending deletion.
pub async fn live_key_ids(kms: &aws_sdk_kms::Client) -> Vec<String> {
    let mut live = Vec::new();
    for id in key_ids(kms).await {
        let d = kms.describe_key().key_id(&id).send().await.unwrap();
        let state = d
            .key_metadata()
            .unwrap()
            .key_state()
            .unwrap()
            .as_str()
            .to_string();
        if !state.starts_with("Pending") {
            live.push(id);
        }
    }
    live
}

/// The key an alias names in a Region.
pub async fn alias_target(kms: &aws_sdk_kms::Client, alias: &str) -> Option<String> {
    let out = kms.list_aliases().limit(100).send().await.unwrap();
    out.aliases()
        .iter()
        .find(|a| a.alias_name() == Some(alias))
        .and_then(|a| a.target_key_id().map(str::to_string))
}

pub async fn policy_of(kms: &aws_sdk_kms::Client, key_id: &str) -> serde_json::Value {
    let p = kms
        .get_key_policy()
        .key_id(key_id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    serde_json::from_str(p.policy().unwrap()).unwrap()
}

pub async fn tags_of(kms: &aws_sdk_kms::Client, key_id: &str) -> Vec<(String, String)> {
    let t = kms
        .list_resource_tags()
        .key_id(key_id)
        .send()
        .await
        .unwrap();
    t.tags()
        .iter()
        .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
        .collect()
}
