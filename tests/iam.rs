//! The least-privilege IAM policies of docs/iam/ (copied in the README) against the calls
//! each use really sends: byok runs through the recording proxy (tests/common/proxy.rs) to a
//! real KMS API (moto), and the permissions behind the requests it recorded must equal the
//! actions each policy allows: nothing missing, nothing extra.

mod common;
use common::*;
#[path = "common/proxy.rs"]
mod proxy;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every action a policy file allows.
fn policy_actions(file: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("docs/iam").join(file)).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut out = BTreeSet::new();
    for s in v["Statement"].as_array().expect("statements") {
        assert_eq!(s["Effect"], "Allow", "{file}");
        match &s["Action"] {
            Value::String(a) => {
                out.insert(a.clone());
            }
            Value::Array(a) => out.extend(a.iter().map(|a| a.as_str().unwrap().to_string())),
            other => panic!("{file}: Action {other}"),
        }
    }
    out
}

/// The IAM permission behind each request the proxy saw. sts:GetCallerIdentity needs no
/// permission (AWS always allows it), so no policy lists it.
fn permissions(log: &[proxy::Seen]) -> BTreeSet<String> {
    log.iter()
        .map(|s| match s.op.split_once('.') {
            Some(("TrentService", op)) => format!("kms:{op}"),
            Some(("Query", op @ ("GetCallerIdentity" | "AssumeRole"))) => format!("sts:{op}"),
            Some(("Query", op)) => format!("iam:{op}"),
            Some(("AWSEvents", op)) => format!("events:{op}"),
            Some(("CloudTrail_20131101", op)) => format!("cloudtrail:{op}"),
            _ => s.op.clone(),
        })
        .filter(|p| p != "sts:GetCallerIdentity")
        .collect()
}

#[track_caller]
fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
}

fn create(alias: &str, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "create",
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--alias",
        alias,
        "--yes",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

/// `byok create` (and the wizard's create): every regionality, fresh and re-run; a lost
/// CreateKey answer (found again with ListKeys); and a lost alias race, in which byok takes
/// its own duplicate out of service. Only iam:CreateServiceLinkedRole is never sent by byok:
/// KMS checks it on the caller when the account's first Multi-Region key is made.
#[tokio::test]
async fn the_create_policy_allows_exactly_the_calls_create_sends() {
    let moto = Moto::start();
    let dir = TempDir::new("iam-create");
    let wire = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    for regionality in ["single", "multi-region", "two-keys"] {
        let alias = format!("iam-{regionality}");
        for _ in 0..2 {
            assert_ok(&run(byok_at(&wire.endpoint, dir.path())
                .args(create(&alias, &["--regionality", regionality]))));
        }
    }
    let mut sent = permissions(&wire.log());

    // The answer of CreateKey is lost after KMS made the key: byok finds it, no second key.
    let lossy = proxy::Proxy::start(
        &moto.endpoint,
        proxy::Schedule::one("TrentService.CreateKey", 1, proxy::Fault::ResetAfter),
    );
    assert_ok(&run(
        byok_at(&lossy.endpoint, dir.path()).args(create("iam-lost", &[]))
    ));
    let lost = permissions(&lossy.log());
    assert!(lost.contains("kms:ListKeys"), "{lost:?}");
    sent.extend(lost);

    // Another machine's run takes the alias while this run's CreateKey is on its way: this
    // run retires its own duplicate.
    let other = TempDir::new("iam-race-winner");
    let out = run(byok_at(&moto.endpoint, other.path()).args(create("iam-race", &[])));
    assert_ok(&out);
    let winner = stdout(&out).trim().rsplit('/').next().unwrap().to_string();
    let kms = moto.kms("eu-west-1").await;
    kms.delete_alias()
        .alias_name("alias/iam-race")
        .send()
        .await
        .unwrap();
    let slow = proxy::Proxy::start(
        &moto.endpoint,
        proxy::Schedule::one(
            "TrentService.CreateKey",
            1,
            proxy::Fault::Delay(Duration::from_secs(3)),
        ),
    );
    let loser = TempDir::new("iam-race-loser");
    let child = byok_at(&slow.endpoint, loser.path())
        .args(create("iam-race", &[]))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The alias comes back (the winner's) while the loser's CreateKey is delayed.
    let t0 = std::time::Instant::now();
    while !slow.log().iter().any(|s| s.name() == "CreateKey") {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "CreateKey never sent"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    kms.create_alias()
        .alias_name("alias/iam-race")
        .target_key_id(&winner)
        .send()
        .await
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        stderr(&out).contains("took the duplicate out of service"),
        "{}",
        stderr(&out)
    );
    let retire = permissions(&slow.log());
    for p in [
        "kms:PutKeyPolicy",
        "kms:DisableKey",
        "kms:ScheduleKeyDeletion",
    ] {
        assert!(retire.contains(p), "{p}: {retire:?}");
    }
    sent.extend(retire);

    // A vendor that assumes a role in the account (CockroachDB: the key policy names the
    // role; MongoDB Atlas: the role's own policy names the key), fresh and re-run.
    let roles = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    for (vendor, principal) in [
        ("cockroachdb", "210987654321"),
        ("mongodb-atlas", "arn:aws:iam::536727724300:root"),
    ] {
        for _ in 0..2 {
            assert_ok(&run(byok_at(&roles.endpoint, dir.path()).args([
                "create",
                "--vendor",
                vendor,
                "--region",
                "eu-west-1",
                "--principal",
                principal,
                "--external-id",
                "org-1",
                "--yes",
            ])));
        }
    }
    let role_calls = permissions(&roles.log());
    for p in [
        "iam:GetRole",
        "iam:CreateRole",
        "iam:GetRolePolicy",
        "iam:PutRolePolicy",
    ] {
        assert!(role_calls.contains(p), "{p}: {role_calls:?}");
    }
    sent.extend(role_calls);

    let mut allowed = policy_actions("create.json");
    assert!(allowed.remove("iam:CreateServiceLinkedRole"));
    // Checked by IAM on CreateRole for the tags it carries, not a call of its own.
    assert!(allowed.remove("iam:TagRole"));
    assert_eq!(sent, allowed, "calls sent vs docs/iam/create.json");
}

/// `byok status`: the report reads with docs/iam/status-read.json; each action adds what
/// docs/iam/status-actions.json adds.
#[tokio::test]
async fn the_status_policies_allow_exactly_the_calls_status_sends() {
    let moto = Moto::start();
    let dir = TempDir::new("iam-status");
    for regionality in ["single", "multi-region"] {
        let alias = format!("iam-status-{regionality}");
        assert_ok(&run(byok_at(&moto.endpoint, dir.path())
            .args(create(&alias, &["--regionality", regionality]))));
    }
    // A vendor that assumes a role in the account: status reads the role and its policy.
    assert_ok(&run(byok_at(&moto.endpoint, dir.path()).args([
        "create",
        "--vendor",
        "mongodb-atlas",
        "--region",
        "eu-west-1",
        "--principal",
        "arn:aws:iam::536727724300:root",
        "--external-id",
        "org-1",
        "--yes",
    ])));
    let reading = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    for output in ["json", "text"] {
        let out = run(byok_at(&reading.endpoint, dir.path()).args(["status", "--output", output]));
        assert!(!stdout(&out).is_empty(), "{}", stderr(&out));
    }
    let read = permissions(&reading.log());
    // The alerts column reads a rule's targets and subscriptions, and a trail's status and
    // selectors, only when they exist: none do here.
    const ONLY_WITH_ALERTS: &[&str] = &[
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetTrailStatus",
        "events:ListTargetsByRule",
        "sns:ListSubscriptionsByTopic",
    ];
    let documented: BTreeSet<String> = policy_actions("status-read.json")
        .into_iter()
        .filter(|a| !ONLY_WITH_ALERTS.contains(&a.as_str()))
        .collect();
    assert_eq!(read, documented, "calls sent vs docs/iam/status-read.json");

    let acting = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    let key = "alias/iam-status-single";
    let actions: &[&[&str]] = &[
        &["--disable"],
        &["--enable"],
        &["--rotation-days", "180"],
        &["--disable-rotation"],
        &["--rotate-now"],
        &["--revoke-access"],
        &["--restore-access"],
        &["--repair-policy"],
        &[
            "--schedule-deletion",
            "7",
            "--confirm-alias",
            "iam-status-single",
        ],
        &["--cancel-deletion"],
    ];
    for action in actions {
        let out = run(byok_at(&acting.endpoint, dir.path())
            .args(["status", "--key", key, "--region", "eu-west-1", "--yes"])
            .args(["--output", "json"])
            .args(*action));
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{action:?}: {}\n{}",
            stdout(&out),
            stderr(&out)
        );
    }
    // `byok grant` needs what the status actions need.
    let out = run(byok_at(&acting.endpoint, dir.path()).args([
        "grant",
        "--key",
        key,
        "--region",
        "eu-west-1",
        "--principal",
        "arn:aws:iam::210987654321:role/camunda-tenant-second",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut sent = read;
    sent.extend(permissions(&acting.log()));
    sent.extend(ONLY_WITH_ALERTS.iter().map(|a| a.to_string()));
    assert_eq!(
        sent,
        policy_actions("status-actions.json"),
        "calls sent vs docs/iam/status-actions.json"
    );
}

/// The wizard's administrator list: the same calls the wizard makes (listing roles and users,
/// turning an SSO session into its role), through the same client.
#[tokio::test]
async fn the_wizard_iam_policy_allows_exactly_its_iam_lookups() {
    use byok::kms::KeyService;
    let moto = Moto::start();
    let wire = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    let dir = TempDir::new("iam-wizard");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        "[iam-test]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\nregion = us-east-1\n",
    )
    .unwrap();
    // The SDK reads the profile from these files; set once, before any client exists.
    // SAFETY: this test binary's other tests only spawn processes with their own environment.
    unsafe {
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &credentials);
        std::env::set_var("AWS_CONFIG_FILE", dir.path().join("config"));
    }
    let iam = {
        let conf = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .endpoint_url(&moto.endpoint)
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "AKIAIOSFODNN7EXAMPLE",
                "x",
                None,
                None,
                "test",
            ))
            .build();
        aws_sdk_iam::Client::from_conf(conf)
    };
    iam.create_role()
        .role_name("KeyAdmins")
        .assume_role_policy_document("{}")
        .send()
        .await
        .unwrap();
    let svc = byok::kms::aws::AwsKms::load(&byok::kms::aws::AwsOptions {
        profile: Some("iam-test".into()),
        endpoint_url: Some(wire.endpoint.clone()),
    })
    .await;
    let principals = svc.list_iam_principals().await.expect("roles and users");
    assert!(!principals.is_empty());
    let role = svc
        .principal_for_policy("arn:aws:sts::123456789012:assumed-role/KeyAdmins/someone")
        .await
        .expect("the role behind the session");
    assert!(role.ends_with(":role/KeyAdmins"), "{role}");
    assert_eq!(
        permissions(&wire.log()),
        policy_actions("wizard-iam.json"),
        "calls sent vs docs/iam/wizard-iam.json"
    );
}

/// The README shows each policy, copyable, exactly as the file the tests check.
#[test]
fn the_readme_shows_each_policy_as_tested() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for file in [
        "create.json",
        "status-read.json",
        "status-actions.json",
        "wizard-iam.json",
    ] {
        let text = std::fs::read_to_string(root().join("docs/iam").join(file)).unwrap();
        assert!(
            readme.contains(&format!("```json\n{text}```")),
            "README lacks docs/iam/{file} as a json block"
        );
        assert!(readme.contains(&format!("docs/iam/{file}")));
    }
}
