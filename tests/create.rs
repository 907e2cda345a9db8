//! `byok create` against a real KMS API (moto): every result is checked through the AWS API
//! (keys, policies, aliases in each Region, tags, rotation), not through byok's output alone.

mod common;
use common::*;
#[path = "common/proxy.rs"]
mod proxy;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use aws_sdk_kms::types::Tag;
use byok::journal::{self, Entry, Event, Journal};
use byok::plan::KeyRole;
use serde_json::Value;

const CAMUNDA_ALIAS: &str = "alias/camunda-saas-byok";
const GEARSET_ALIAS: &str = "alias/gearset-backup-byok";
/// Gearset's AWS account for each hosting Region (VENDORS.md).
const GEARSET: [(&str, &str); 4] = [
    ("eu-west-1", "347752291521"),
    ("us-west-2", "157764733222"),
    ("ap-southeast-2", "178658833999"),
    ("ca-central-1", "877694686213"),
];

fn golden(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn camunda(extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = ["create", "--vendor", "camunda", "--principal", CAMUNDA_ROLE]
        .iter()
        .map(|s| s.to_string())
        .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a.push("--yes".into());
    a
}

#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

fn lines(out: &Output) -> Vec<String> {
    stdout(out).lines().map(str::to_string).collect()
}

/// byok with fake credentials and a private state dir, but no endpoint: the caller picks how
/// AWS is reached (or that it is not).
fn bare_byok(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_byok"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("BYOK_STATE_DIR", dir)
        .stdin(Stdio::null());
    c
}

async fn describe(kms: &aws_sdk_kms::Client, key_id: &str) -> aws_sdk_kms::types::KeyMetadata {
    kms.describe_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .clone()
}

async fn rotation(kms: &aws_sdk_kms::Client, key_id: &str) -> (bool, Option<i32>) {
    let r = kms
        .get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
        .unwrap();
    (r.key_rotation_enabled(), r.rotation_period_in_days())
}

#[track_caller]
fn assert_byok_tags(tags: &[(String, String)], vendor: &str, alias: &str, role: &str) {
    for (k, v) in [
        ("byok:managed-by", "byok"),
        ("byok:vendor", vendor),
        ("byok:alias", alias),
        ("byok:role", role),
    ] {
        assert!(
            tags.contains(&(k.to_string(), v.to_string())),
            "{k}={v} missing from {tags:?}"
        );
    }
}

/// The ID at the end of a key ARN.
fn id_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap()
}

#[tokio::test]
async fn camunda_single_region_then_rerun_creates_nothing() {
    let moto = Moto::start();
    let dir = TempDir::new("camunda-single");
    let args = camunda(&[]);
    let out = run(moto.byok(dir.path()).args(&args));
    assert_exit(&out, 0);
    let arn = stdout(&out).trim().to_string();
    assert!(
        arn.starts_with("arn:aws:kms:eu-west-1:123456789012:key/"),
        "{arn}"
    );
    assert!(stderr(&out).contains("Done. Your key for Camunda SaaS:"));

    let kms = moto.kms("eu-west-1").await;
    let keys = key_ids(&kms).await;
    assert_eq!(keys.len(), 1);
    let key_id = &keys[0];
    assert_eq!(id_of(&arn), key_id);
    let meta = describe(&kms, key_id).await;
    assert_eq!(meta.arn(), Some(arn.as_str()));
    assert_eq!(meta.multi_region(), Some(false));
    assert_eq!(
        meta.description(),
        Some("KMS key for Camunda SaaS BYOK integration")
    );
    assert_eq!(
        meta.key_spec().map(|s| s.as_str()),
        Some("SYMMETRIC_DEFAULT")
    );
    assert_eq!(
        meta.key_usage().map(|s| s.as_str()),
        Some("ENCRYPT_DECRYPT")
    );
    assert_eq!(
        alias_target(&kms, CAMUNDA_ALIAS).await.as_deref(),
        Some(key_id.as_str())
    );
    assert_eq!(policy_of(&kms, key_id).await, golden("camunda-single.json"));
    assert!(rotation(&kms, key_id).await.0);
    assert_byok_tags(
        &tags_of(&kms, key_id).await,
        "camunda",
        CAMUNDA_ALIAS,
        "primary",
    );

    // The same command again: no second key, same ARN.
    let again = run(moto.byok(dir.path()).args(&args));
    assert_exit(&again, 0);
    assert_eq!(stdout(&again).trim(), arn);
    assert_eq!(key_ids(&kms).await.len(), 1);
}

#[tokio::test]
async fn camunda_multi_region_primary_and_replica() {
    let moto = Moto::start();
    let dir = TempDir::new("camunda-mr");
    let args = camunda(&["--regionality", "multi-region"]);
    let out = run(moto.byok(dir.path()).args(&args));
    assert_exit(&out, 0);
    let arns = lines(&out);
    assert_eq!(arns.len(), 2, "primary then replica: {arns:?}");
    assert!(
        stderr(&out)
            .contains("Done. Your Multi-Region key, primary and replica, for Camunda SaaS:")
    );

    let (p, r) = (moto.kms("eu-west-1").await, moto.kms("eu-west-2").await);
    let (pk, rk) = (key_ids(&p).await, key_ids(&r).await);
    assert_eq!((pk.len(), rk.len()), (1, 1), "one key in each Region");
    let id = &pk[0];
    assert_eq!(&rk[0], id, "a replica shares its primary's key ID");
    assert!(id.starts_with("mrk-"));
    assert_eq!(arns[0], format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/{id}"));
    assert_eq!(arns[1], format!("arn:aws:kms:eu-west-2:{ACCOUNT}:key/{id}"));

    // The primary lists the replica.
    let meta = describe(&p, id).await;
    assert_eq!(meta.multi_region(), Some(true));
    let mr = meta.multi_region_configuration().unwrap();
    assert_eq!(mr.primary_key().and_then(|k| k.region()), Some("eu-west-1"));
    let replicas: Vec<(&str, &str)> = mr
        .replica_keys()
        .iter()
        .map(|k| (k.region().unwrap(), k.arn().unwrap()))
        .collect();
    assert_eq!(replicas, [("eu-west-2", arns[1].as_str())]);
    let rmeta = describe(&r, id).await;
    assert_eq!(rmeta.arn(), Some(arns[1].as_str()));
    assert_eq!(rmeta.key_state().map(|s| s.as_str()), Some("Enabled"));
    assert_eq!(rmeta.description(), meta.description());

    // Both keys: the exact golden policy, the alias in their own Region, byok's tags.
    for (kms, role) in [(&p, "primary"), (&r, "replica")] {
        assert_eq!(
            policy_of(kms, id).await,
            golden("camunda-single.json"),
            "{role}"
        );
        assert_eq!(
            alias_target(kms, CAMUNDA_ALIAS).await.as_deref(),
            Some(id.as_str()),
            "{role}"
        );
        assert_byok_tags(&tags_of(kms, id).await, "camunda", CAMUNDA_ALIAS, role);
    }
    assert!(
        rotation(&p, id).await.0,
        "rotation is on, set on the primary"
    );

    let again = run(moto.byok(dir.path()).args(&args));
    assert_exit(&again, 0);
    assert_eq!(lines(&again), arns);
    assert_eq!((key_ids(&p).await.len(), key_ids(&r).await.len()), (1, 1));
}

#[tokio::test]
async fn camunda_two_independent_keys_with_distinct_aliases() {
    let moto = Moto::start();
    let dir = TempDir::new("camunda-two");
    let args = camunda(&["--regionality", "two-keys"]);
    let out = run(moto.byok(dir.path()).args(&args));
    assert_exit(&out, 0);
    let arns = lines(&out);
    assert_eq!(arns.len(), 2);
    assert!(
        stderr(&out).contains("Done. Your two independent single-Region keys for Camunda SaaS:")
    );
    let (p, s) = (moto.kms("eu-west-1").await, moto.kms("eu-west-2").await);
    let (pk, sk) = (key_ids(&p).await, key_ids(&s).await);
    assert_eq!((pk.len(), sk.len()), (1, 1));
    assert_ne!(pk[0], sk[0], "two keys, not a replica");
    assert_eq!(id_of(&arns[0]), pk[0]);
    assert_eq!(id_of(&arns[1]), sk[0]);
    let second_alias = "alias/camunda-saas-byok-replica";
    for (kms, id, alias, role) in [
        (&p, &pk[0], CAMUNDA_ALIAS, "primary"),
        (&s, &sk[0], second_alias, "secondary"),
    ] {
        assert_eq!(describe(kms, id).await.multi_region(), Some(false));
        assert_eq!(
            policy_of(kms, id).await,
            golden("camunda-single.json"),
            "{role}"
        );
        assert_eq!(
            alias_target(kms, alias).await.as_deref(),
            Some(id.as_str()),
            "{role}"
        );
        assert_byok_tags(&tags_of(kms, id).await, "camunda", alias, role);
        assert!(rotation(kms, id).await.0, "{role}: rotation on");
    }
    assert_eq!(alias_target(&s, CAMUNDA_ALIAS).await, None);

    let again = run(moto.byok(dir.path()).args(&args));
    assert_exit(&again, 0);
    assert_eq!(lines(&again), arns);
    assert_eq!((key_ids(&p).await.len(), key_ids(&s).await.len()), (1, 1));
}

/// Each Gearset hosting Region gets the Gearset account of that Region; one of them with
/// administrators who may delete, which must match the golden policy exactly.
#[tokio::test]
async fn gearset_in_each_of_its_regions() {
    let moto = Moto::start();
    let dir = TempDir::new("gearset");
    for (region, account) in GEARSET {
        let mut args = vec!["create", "--vendor", "gearset", "--region", region, "--yes"];
        let with_admins = region == "ap-southeast-2";
        if with_admins {
            args.extend([
                "--admin",
                "arn:aws:iam::123456789012:role/KeyAdmin",
                "--admins-can-delete",
            ]);
        }
        let out = run(moto.byok(dir.path()).args(&args));
        assert_exit(&out, 0);
        let kms = moto.kms(region).await;
        let keys = key_ids(&kms).await;
        assert_eq!(keys.len(), 1, "{region}");
        let id = &keys[0];
        assert_eq!(stdout(&out).trim(), describe(&kms, id).await.arn().unwrap());
        assert_eq!(
            alias_target(&kms, GEARSET_ALIAS).await.as_deref(),
            Some(id.as_str())
        );
        let policy = policy_of(&kms, id).await;
        if with_admins {
            assert_eq!(policy, golden("gearset-admins.json"));
        }
        let st = policy["Statement"].as_array().unwrap();
        assert_eq!(st.len(), if with_admins { 4 } else { 3 }, "{region}");
        let root = format!("arn:aws:iam::{account}:root");
        let (use_, attach) = (&st[st.len() - 2], &st[st.len() - 1]);
        assert_eq!(use_["Sid"], "Allow use of the key");
        assert_eq!(use_["Principal"]["AWS"], root.as_str(), "{region}");
        assert_eq!(attach["Sid"], "Allow attachment of persistent resources");
        assert_eq!(attach["Principal"]["AWS"], root.as_str(), "{region}");
        assert_eq!(
            attach["Condition"],
            serde_json::json!({"Bool": {"kms:GrantIsForAWSResource": "true"}})
        );
        // No other Gearset account is named.
        for (_, other) in GEARSET.iter().filter(|(_, a)| *a != account) {
            assert!(!policy.to_string().contains(other), "{region}: {other}");
        }
        assert_byok_tags(
            &tags_of(&kms, id).await,
            "gearset",
            GEARSET_ALIAS,
            "primary",
        );
        assert!(rotation(&kms, id).await.0);

        let again = run(moto.byok(dir.path()).args(&args));
        assert_exit(&again, 0);
        assert_eq!(key_ids(&kms).await.len(), 1, "{region}: re-run");
    }
}

#[tokio::test]
async fn other_vendor_by_account_id_and_by_role_arn() {
    let moto = Moto::start();
    let dir = TempDir::new("other");
    for (principal, region, alias, expected) in [
        (
            "444455556666",
            "us-east-2",
            "vendor-by-account",
            "arn:aws:iam::444455556666:root",
        ),
        (
            "arn:aws:iam::444455556666:role/vendor-byok-access",
            "eu-central-1",
            "vendor-by-role",
            "arn:aws:iam::444455556666:role/vendor-byok-access",
        ),
    ] {
        let out = run(moto.byok(dir.path()).args([
            "create",
            "--vendor",
            "other",
            "--principal",
            principal,
            "--region",
            region,
            "--alias",
            alias,
            "--tag",
            "team=platform",
            "--yes",
        ]));
        assert_exit(&out, 0);
        let kms = moto.kms(region).await;
        let keys = key_ids(&kms).await;
        assert_eq!(keys.len(), 1);
        let alias = format!("alias/{alias}");
        assert_eq!(
            alias_target(&kms, &alias).await.as_deref(),
            Some(keys[0].as_str())
        );
        let policy = policy_of(&kms, &keys[0]).await;
        let st = policy["Statement"].as_array().unwrap();
        assert_eq!(st[0]["Principal"]["AWS"], "arn:aws:iam::123456789012:root");
        for s in &st[1..] {
            assert_eq!(s["Principal"]["AWS"], expected, "{principal}");
        }
        let tags = tags_of(&kms, &keys[0]).await;
        assert!(
            tags.contains(&("team".into(), "platform".into())),
            "{tags:?}"
        );
        assert_byok_tags(&tags, "other", &alias, "primary");
    }
}

#[tokio::test]
async fn rotation_off_or_with_a_period() {
    let moto = Moto::start();
    let dir = TempDir::new("rotation");
    let kms = moto.kms("eu-west-1").await;
    let out = run(moto
        .byok(dir.path())
        .args(camunda(&["--alias", "no-rot", "--no-rotation"])));
    assert_exit(&out, 0);
    let off = alias_target(&kms, "alias/no-rot").await.unwrap();
    assert_eq!(rotation(&kms, &off).await, (false, None));

    let out =
        run(moto
            .byok(dir.path())
            .args(camunda(&["--alias", "rot-180", "--rotation-days", "180"])));
    assert_exit(&out, 0);
    let on = alias_target(&kms, "alias/rot-180").await.unwrap();
    let (enabled, period) = rotation(&kms, &on).await;
    assert!(enabled);
    // moto 5 does not report the period; real KMS does.
    if let Some(p) = period {
        assert_eq!(p, 180);
    }
    assert!(stderr(&out).contains("every 180 days"), "{}", stderr(&out));
    assert_eq!(key_ids(&kms).await.len(), 2);
}

/// An alias that names a key byok did not make: exit 2, nothing created, the message names
/// the alias.
#[tokio::test]
async fn an_alias_owned_by_another_key_stops_the_run() {
    let moto = Moto::start();
    let dir = TempDir::new("alias-taken");
    let kms = moto.kms("eu-west-1").await;
    let foreign = kms
        .create_key()
        .description("someone else's")
        .send()
        .await
        .unwrap();
    let foreign_id = foreign.key_metadata().unwrap().key_id().to_string();
    kms.create_alias()
        .alias_name(CAMUNDA_ALIAS)
        .target_key_id(&foreign_id)
        .send()
        .await
        .unwrap();
    for regionality in ["single", "multi-region", "two-keys"] {
        let out = run(moto
            .byok(dir.path())
            .args(camunda(&["--regionality", regionality])));
        assert_exit(&out, 2);
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains(CAMUNDA_ALIAS), "{err}");
        assert!(err.contains("byok changed nothing"), "{err}");
        assert_eq!(
            key_ids(&kms).await,
            vec![foreign_id.clone()],
            "{regionality}"
        );
        assert!(key_ids(&moto.kms("eu-west-2").await).await.is_empty());
        assert_eq!(
            alias_target(&kms, CAMUNDA_ALIAS).await.as_deref(),
            Some(foreign_id.as_str())
        );
    }
    // The same refusal as one JSON document on stdout.
    let out = run(moto.byok(dir.path()).args(camunda(&["--output", "json"])));
    assert_exit(&out, 2);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(doc["status"], "failed");
    assert_eq!(doc["keys"], serde_json::json!([]));
    assert_eq!(doc["error"]["detail"]["kind"], "alias-taken");
    assert_eq!(doc["error"]["detail"]["alias"], CAMUNDA_ALIAS);
    assert!(
        doc["error"]["explanation"]
            .as_str()
            .unwrap()
            .contains("--alias"),
        "{doc}"
    );
    assert!(doc["finish_command"].as_str().unwrap().starts_with("byok "));
    assert_eq!(key_ids(&kms).await, vec![foreign_id.clone()]);
}

/// Invalid answers are refused before any request: proven with an endpoint that is a
/// listener nobody answers, which must see no connection at all.
#[test]
fn invalid_input_sends_no_request() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let dir = TempDir::new("invalid");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--vendor", "camunda", "--principal", "tenant-role"],
            "--principal",
        ),
        (&["--vendor", "camunda"], "--principal"),
        (&["--vendor", "gearset"], "--region"),
        (
            &["--vendor", "gearset", "--region", "us-east-1"],
            "--region",
        ),
        (
            &[
                "--vendor",
                "camunda",
                "--principal",
                CAMUNDA_ROLE,
                "--alias",
                "alias/aws/mine",
            ],
            "--alias",
        ),
        (
            &[
                "--vendor",
                "camunda",
                "--principal",
                CAMUNDA_ROLE,
                "--rotation-days",
                "30",
            ],
            "--rotation-days",
        ),
        (
            &[
                "--vendor",
                "camunda",
                "--principal",
                CAMUNDA_ROLE,
                "--tag",
                "no-equals-sign",
            ],
            "--tag",
        ),
        (
            &[
                "--vendor",
                "camunda",
                "--principal",
                CAMUNDA_ROLE,
                "--admin",
                "bob",
            ],
            "--admin",
        ),
        (
            &[
                "--vendor",
                "camunda",
                "--principal",
                CAMUNDA_ROLE,
                "--regionality",
                "multi-region",
                "--replica-region",
                "us-east-1",
            ],
            "--replica-region",
        ),
        (&["--vendor", "nope"], "--vendor"),
    ];
    for (args, flag) in cases {
        let out = run(bare_byok(dir.path())
            .args(["--endpoint-url", &endpoint, "create"])
            .args(*args)
            .arg("--yes"));
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(err.contains(flag), "{args:?}: {flag} not named in {err}");
        assert!(err.contains("Nothing was sent to AWS"), "{err}");
        assert!(stdout(&out).is_empty());
    }
    listener.set_nonblocking(true).unwrap();
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("byok connected to the endpoint from {peer}"),
        Err(e) => panic!("{e}"),
    }
    // The journal was not even opened.
    assert!(!dir.path().join("journal.jsonl").exists());
}

/// An answer only AWS can judge (an administrator from another account) is refused after
/// identity and before any change.
#[tokio::test]
async fn an_administrator_from_another_account_changes_nothing() {
    let moto = Moto::start();
    let dir = TempDir::new("admin-account");
    let out = run(moto.byok(dir.path()).args(camunda(&[
        "--admin",
        "arn:aws:iam::999999999999:role/KeyAdmin",
    ])));
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("999999999999"), "{}", stderr(&out));
    assert!(key_ids(&moto.kms("eu-west-1").await).await.is_empty());
}

#[tokio::test]
async fn json_output_matches_the_aws_api() {
    let moto = Moto::start();
    let dir = TempDir::new("json");
    let out = run(moto.byok(dir.path()).args(camunda(&[
        "--regionality",
        "multi-region",
        "--output",
        "json",
    ])));
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("stdout is one JSON document");
    assert_eq!(doc["status"], "completed");
    assert_eq!(doc["policy"], golden("camunda-single.json"));
    let keys = doc["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    for (k, role, region) in [
        (&keys[0], "primary", "eu-west-1"),
        (&keys[1], "replica", "eu-west-2"),
    ] {
        assert_eq!(k["role"], role);
        assert_eq!(k["region"], region);
        assert_eq!(k["alias"], CAMUNDA_ALIAS);
        let kms = moto.kms(region).await;
        let id = k["key_id"].as_str().unwrap();
        let meta = describe(&kms, id).await;
        assert_eq!(k["arn"].as_str(), meta.arn());
        assert_eq!(alias_target(&kms, CAMUNDA_ALIAS).await.as_deref(), Some(id));
        assert_eq!(policy_of(&kms, id).await, doc["policy"]);
    }
    // Progress stays off stdout (and off stderr) in JSON mode.
    assert!(!stderr(&out).contains('✓'), "{}", stderr(&out));
}

/// `ARN=$(byok create ... --yes)`: stdout carries exactly the ARNs.
#[tokio::test]
async fn command_substitution_captures_exactly_the_arn() {
    let moto = Moto::start();
    let dir = TempDir::new("subst");
    // Run through a real shell, as a user's script would, with the same environment.
    let script = r#"ARN=$("$0" "$@") || exit $?; printf '<%s>' "$ARN""#;
    let mut sh = Command::new("sh");
    sh.env_clear().stdin(Stdio::null());
    for (k, v) in moto.byok(dir.path()).get_envs() {
        if let Some(v) = v {
            sh.env(k, v);
        }
    }
    sh.arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_byok"))
        .args(["--endpoint-url", &moto.endpoint])
        .args(camunda(&[]));
    let out = run(&mut sh);
    assert_exit(&out, 0);
    let kms = moto.kms("eu-west-1").await;
    let id = &key_ids(&kms).await[0];
    let arn = describe(&kms, id).await.arn().unwrap().to_string();
    assert_eq!(stdout(&out), format!("<{arn}>"));
}

#[tokio::test]
async fn aws_endpoint_url_from_the_environment() {
    let moto = Moto::start();
    let dir = TempDir::new("env-endpoint");
    let out = run(bare_byok(dir.path())
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .args(camunda(&[])));
    assert_exit(&out, 0);
    let kms = moto.kms("eu-west-1").await;
    assert_eq!(key_ids(&kms).await.len(), 1);
    assert_eq!(
        alias_target(&kms, CAMUNDA_ALIAS).await.as_deref(),
        Some(id_of(stdout(&out).trim()))
    );
}

/// `--profile NAME` reads ~/.aws/config and credentials (here through AWS_CONFIG_FILE and
/// AWS_SHARED_CREDENTIALS_FILE); no credentials are in the environment.
#[tokio::test]
async fn named_profile_from_the_aws_files_and_a_missing_one() {
    let moto = Moto::start();
    let dir = TempDir::new("profile");
    let aws = dir.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("config"),
        "[profile byok-test]\nregion = eu-west-1\n",
    )
    .unwrap();
    std::fs::write(
        aws.join("credentials"),
        "[byok-test]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    )
    .unwrap();
    let byok = |profile: &str, endpoint: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_byok"));
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("AWS_CONFIG_FILE", aws.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", aws.join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("BYOK_STATE_DIR", dir.path())
            .args(["--profile", profile, "--endpoint-url", endpoint])
            .args(camunda(&[]))
            .stdin(Stdio::null());
        c
    };
    let kms = moto.kms("eu-west-1").await;

    // A profile that is not defined: said plainly, before any request.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = format!("http://{}", listener.local_addr().unwrap());
    let out = run(&mut byok("missing-profile", &nobody));
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("\"missing-profile\" is not defined in"),
        "{err}"
    );
    assert!(
        err.contains("byok-test"),
        "lists the profiles that exist: {err}"
    );
    assert!(err.contains("Nothing was sent to AWS"), "{err}");
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err(), "no connection was made");

    let out = run(&mut byok("byok-test", &moto.endpoint));
    assert_exit(&out, 0);
    assert_eq!(key_ids(&kms).await.len(), 1);
}

/// Killed right after CreateKey reached KMS (the journal holds only the intent, the key
/// exists with byok's tags but no alias): the re-run adopts that key instead of making another.
#[tokio::test]
async fn a_run_killed_after_create_key_is_finished_by_the_rerun() {
    let moto = Moto::start();
    let dir = TempDir::new("killed");
    let kms = moto.kms("eu-west-1").await;
    let j = Journal::open(dir.path()).unwrap();
    j.record(&Entry {
        time: journal::now_rfc3339(),
        setup: journal::setup_id("camunda", ACCOUNT, "eu-west-1", CAMUNDA_ALIAS),
        event: Event::Intent,
        role: Some(KeyRole::Primary),
        region: Some("eu-west-1".into()),
        arn: None,
        alias: Some(CAMUNDA_ALIAS.into()),
        // A journal of an earlier version: intents had no ID, keys no intent tag.
        intent: None,
        duplicate_of: None,
        principal: None,
    })
    .unwrap();
    let tag = |k: &str, v: &str| Tag::builder().tag_key(k).tag_value(v).build().unwrap();
    let orphan = kms
        .create_key()
        .description("KMS key for Camunda SaaS BYOK integration")
        .policy(golden("camunda-single.json").to_string())
        .tags(tag("byok:managed-by", "byok"))
        .tags(tag("byok:vendor", "camunda"))
        .tags(tag("byok:alias", CAMUNDA_ALIAS))
        .tags(tag("byok:role", "primary"))
        .send()
        .await
        .unwrap();
    let orphan = orphan.key_metadata().unwrap().clone();
    assert!(!rotation(&kms, orphan.key_id()).await.0);

    let out = run(moto.byok(dir.path()).args(camunda(&[])));
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).trim(), orphan.arn().unwrap());
    assert_eq!(key_ids(&kms).await, [orphan.key_id().to_string()]);
    assert_eq!(
        alias_target(&kms, CAMUNDA_ALIAS).await.as_deref(),
        Some(orphan.key_id())
    );
    assert!(rotation(&kms, orphan.key_id()).await.0, "the rest was done");
    let adopted = j
        .entries()
        .iter()
        .any(|e| e.event == Event::Adopted && e.arn.as_deref() == orphan.arn());
    assert!(adopted, "{:?}", j.entries());
}

/// Stopped after the primary was named (no rotation, no replica yet): the re-run finds the
/// primary by its alias and does only the rest.
#[tokio::test]
async fn a_multi_region_setup_stopped_before_the_replica_is_finished() {
    let moto = Moto::start();
    let dir = TempDir::new("half-mr");
    let (p, r) = (moto.kms("eu-west-1").await, moto.kms("eu-west-2").await);
    let tag = |k: &str, v: &str| Tag::builder().tag_key(k).tag_value(v).build().unwrap();
    let key = p
        .create_key()
        .multi_region(true)
        .description("KMS key for Camunda SaaS BYOK integration")
        .policy(golden("camunda-single.json").to_string())
        .tags(tag("byok:managed-by", "byok"))
        .tags(tag("byok:vendor", "camunda"))
        .tags(tag("byok:alias", CAMUNDA_ALIAS))
        .tags(tag("byok:role", "primary"))
        .send()
        .await
        .unwrap();
    let id = key.key_metadata().unwrap().key_id().to_string();
    p.create_alias()
        .alias_name(CAMUNDA_ALIAS)
        .target_key_id(&id)
        .send()
        .await
        .unwrap();

    let out = run(moto
        .byok(dir.path())
        .args(camunda(&["--regionality", "multi-region"])));
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("found primary key"),
        "{}",
        stderr(&out)
    );
    assert_eq!(key_ids(&p).await, vec![id.clone()]);
    assert_eq!(key_ids(&r).await, vec![id.clone()]);
    assert!(rotation(&p, &id).await.0);
    assert_eq!(policy_of(&r, &id).await, golden("camunda-single.json"));
    assert_byok_tags(&tags_of(&r, &id).await, "camunda", CAMUNDA_ALIAS, "replica");
    assert_eq!(
        alias_target(&r, CAMUNDA_ALIAS).await.as_deref(),
        Some(id.as_str())
    );
}

/// A single-Region setup re-run as Multi-Region with the same alias: KMS cannot make that
/// key Multi-Region, so byok stops before any change instead of failing at ReplicateKey.
#[tokio::test]
async fn changing_single_to_multi_region_on_the_same_alias_is_refused() {
    let moto = Moto::start();
    let dir = TempDir::new("kind");
    let out = run(moto.byok(dir.path()).args(camunda(&[])));
    assert_exit(&out, 0);
    let out = run(moto
        .byok(dir.path())
        .args(camunda(&["--regionality", "multi-region"])));
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("single-Region key"), "{err}");
    assert!(err.contains("--regionality"), "{err}");
    assert_eq!(key_ids(&moto.kms("eu-west-1").await).await.len(), 1);
    assert!(key_ids(&moto.kms("eu-west-2").await).await.is_empty());
}

/// What byok sends, seen on the wire between byok and moto: moto does not report a rotation
/// period, so the request proves it; the replica is sent the policy, description and tags.
#[tokio::test]
async fn the_requests_carry_the_rotation_period_and_the_replica_settings() {
    let moto = Moto::start();
    let wire = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    let dir = TempDir::new("wire");
    let out = run(bare_byok(dir.path())
        .args(["--endpoint-url", &wire.endpoint])
        .args(camunda(&[
            "--regionality",
            "multi-region",
            "--rotation-days",
            "180",
        ])));
    assert_exit(&out, 0);
    let log = wire.log();
    let sent = |name: &str| -> Vec<Value> {
        log.iter()
            .filter(|s| s.name() == name)
            .map(|s| s.json().unwrap())
            .collect()
    };
    let rotation = sent("EnableKeyRotation");
    assert_eq!(rotation.len(), 1, "set once, on the primary");
    assert_eq!(rotation[0]["RotationPeriodInDays"], 180);
    let create = sent("CreateKey");
    assert_eq!(create.len(), 1);
    assert_eq!(create[0]["MultiRegion"], true);
    assert_eq!(create[0]["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(create[0]["KeyUsage"], "ENCRYPT_DECRYPT");
    assert!(create[0].get("BypassPolicyLockoutSafetyCheck").is_none());
    let replicate = sent("ReplicateKey");
    assert_eq!(replicate.len(), 1);
    let r = &replicate[0];
    assert_eq!(r["ReplicaRegion"], "eu-west-2");
    let policy: Value = serde_json::from_str(r["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy, golden("camunda-single.json"));
    assert_eq!(r["Description"], create[0]["Description"]);
    // byok's four tags and the intent of this request, also in the journal before it was sent.
    assert_eq!(r["Tags"].as_array().unwrap().len(), 5, "{r}");
    let intent = r["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["TagKey"] == "byok:intent")
        .and_then(|t| t["TagValue"].as_str())
        .expect("an intent tag")
        .to_string();
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert!(
        journal.lines().any(|l| l.contains("\"intent\"")
            && l.contains(&intent)
            && l.contains("\"event\":\"intent\"")),
        "{journal}"
    );
    // moto drops ReplicateKey's tags; byok reads them back and adds them.
    assert_eq!(sent("TagResource").len(), 1);
}

/// Every operation byok's create path calls, fresh and re-run, for each regionality: the list
/// of IAM permissions the README gives, each named by `byok plan` on the step that makes it.
/// Recovering the answer of a lost CreateKey (or a run killed right after it) also needs
/// kms:ListKeys; the wizard also reads iam:GetRole to offer an SSO caller as administrator.
#[tokio::test]
async fn the_create_path_needs_exactly_the_documented_permissions() {
    const DOCUMENTED: &[&str] = &[
        "kms:CreateAlias",
        "kms:CreateKey",
        "kms:DescribeKey",
        "kms:EnableKeyRotation",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:ListResourceTags",
        "kms:ReplicateKey",
        "kms:TagResource",
        "sts:GetCallerIdentity",
    ];
    let moto = Moto::start();
    let wire = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    let dir = TempDir::new("permissions");
    for regionality in ["single", "multi-region", "two-keys"] {
        let alias = format!("perm-{regionality}");
        for _ in 0..2 {
            let out = run(bare_byok(dir.path())
                .args(["--endpoint-url", &wire.endpoint])
                .args(camunda(&["--regionality", regionality, "--alias", &alias])));
            assert_exit(&out, 0);
        }
    }
    let mut used: Vec<String> = wire
        .log()
        .iter()
        .map(|s| match s.op.split_once('.') {
            Some(("TrentService", op)) => format!("kms:{op}"),
            Some(("Query", op @ ("GetCallerIdentity" | "AssumeRole"))) => format!("sts:{op}"),
            Some(("Query", op)) => format!("iam:{op}"),
            _ => s.op.clone(),
        })
        .collect();
    used.sort();
    used.dedup();
    assert_eq!(used, DOCUMENTED);
    let catalog = byok::vendor::Catalog::built_in();
    let mut planned = std::collections::BTreeSet::new();
    for regionality in ["single", "multi-region", "two-keys"] {
        let raw = byok::answers::RawAnswers {
            vendor: Some("camunda".into()),
            principal: Some(CAMUNDA_ROLE.into()),
            regionality: Some(regionality.into()),
            ..Default::default()
        };
        let plan = byok::plan::Plan::build(&raw.validate(&catalog).unwrap());
        for s in &plan.steps {
            planned.extend(s.api_calls().iter().map(|c| c.to_string()));
        }
    }
    let planned: Vec<String> = planned.into_iter().collect();
    assert_eq!(
        used, planned,
        "byok plan names every call create makes, and no other"
    );
}

/// The key behind the alias is pending deletion: byok reuses nothing, changes nothing, and
/// says how to cancel; after the suggested `byok status ... --cancel-deletion`, the same
/// create command completes with the same key.
#[tokio::test]
async fn a_key_pending_deletion_is_not_reused_until_the_deletion_is_cancelled() {
    let moto = Moto::start();
    let dir = TempDir::new("pending");
    let kms = moto.kms("eu-west-1").await;
    let out = run(moto.byok(dir.path()).args(camunda(&[])));
    assert_exit(&out, 0);
    let arn = stdout(&out).trim().to_string();
    kms.schedule_key_deletion()
        .key_id(id_of(&arn))
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();

    let out = run(moto.byok(dir.path()).args(camunda(&[])));
    assert_exit(&out, 3);
    let err = stderr(&out);
    let hint = format!("byok status --key {CAMUNDA_ALIAS} --region eu-west-1 --cancel-deletion");
    assert!(err.contains("scheduled for deletion"), "{err}");
    assert!(err.contains(&hint), "{err}");
    assert_eq!(key_ids(&kms).await.len(), 1, "no second key");

    let out = run(moto
        .byok(dir.path())
        .args(hint.split(' ').skip(1))
        .arg("--yes"));
    assert_exit(&out, 0);
    let out = run(moto.byok(dir.path()).args(camunda(&[])));
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).trim(), arn);
    assert_eq!(
        describe(&kms, id_of(&arn))
            .await
            .key_state()
            .map(|s| s.as_str()),
        Some("Enabled")
    );
}

/// Any vendor, any two Regions: a Multi-Region key from us-east-1 replicated to the
/// --replica-region the user chose.
#[tokio::test]
async fn other_vendor_multi_region_to_a_chosen_region() {
    let moto = Moto::start();
    let dir = TempDir::new("other-mr");
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "other",
        "--principal",
        "444455556666",
        "--region",
        "us-east-1",
        "--regionality",
        "multi-region",
        "--replica-region",
        "us-west-2",
        "--yes",
    ]));
    assert_exit(&out, 0);
    let arns = lines(&out);
    assert_eq!(arns.len(), 2);
    assert!(arns[1].starts_with("arn:aws:kms:us-west-2:"), "{arns:?}");
    let (p, r) = (moto.kms("us-east-1").await, moto.kms("us-west-2").await);
    let id = id_of(&arns[0]).to_string();
    assert_eq!(key_ids(&r).await, vec![id.clone()]);
    assert_eq!(policy_of(&r, &id).await, policy_of(&p, &id).await);
    assert_eq!(
        alias_target(&r, "alias/saas-byok").await.as_deref(),
        Some(id.as_str())
    );
    assert_byok_tags(
        &tags_of(&r, &id).await,
        "other",
        "alias/saas-byok",
        "replica",
    );
}

/// AWS refuses a step after the key exists: exit 4, stdout still carries the key's ARN,
/// stderr says what exists, what is left and the exact command that finishes; that command,
/// run as printed, completes with the same key.
#[tokio::test]
async fn a_refusal_after_the_key_exists_is_partly_done_and_the_printed_command_finishes_it() {
    let moto = Moto::start();
    let wire = proxy::Proxy::start(
        &moto.endpoint,
        proxy::Schedule::one("CreateAlias", 1, proxy::Fault::Deny),
    );
    let dir = TempDir::new("partly");
    let out = run(bare_byok(dir.path())
        .args(["--endpoint-url", &wire.endpoint])
        .args(camunda(&["--rotation-days", "400"])));
    assert_exit(&out, 4);
    let kms = moto.kms("eu-west-1").await;
    let keys = key_ids(&kms).await;
    assert_eq!(keys.len(), 1);
    let arn = describe(&kms, &keys[0]).await.arn().unwrap().to_string();
    assert_eq!(stdout(&out).trim(), arn);
    let err = stderr(&out);
    assert!(
        err.contains("kms:CreateAlias"),
        "names the permission: {err}"
    );
    assert!(err.contains("What exists now:"), "{err}");
    assert!(err.contains(&arn), "{err}");
    assert!(err.contains("Not done yet:"), "{err}");
    assert!(
        err.contains("Name it alias/camunda-saas-byok in eu-west-1"),
        "{err}"
    );
    let finish = err
        .lines()
        .skip_while(|l| !l.starts_with("To finish"))
        .nth(1)
        .expect("the finish command")
        .trim()
        .to_string();
    assert!(finish.starts_with("byok "), "{finish}");
    assert!(finish.contains("--rotation-days 400"), "{finish}");
    assert!(finish.ends_with("--yes"), "{finish}");

    let words: Vec<&str> = finish.split_whitespace().skip(1).collect();
    let out = run(bare_byok(dir.path()).args(&words));
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).trim(), arn);
    assert_eq!(key_ids(&kms).await.len(), 1);
    assert_eq!(
        alias_target(&kms, CAMUNDA_ALIAS).await.as_deref(),
        Some(keys[0].as_str())
    );
}

/// AWS refuses the very first change: exit 3 and nothing exists.
#[tokio::test]
async fn a_refused_create_key_is_exit_3_with_nothing_created() {
    let moto = Moto::start();
    let wire = proxy::Proxy::start(
        &moto.endpoint,
        proxy::Schedule::one("CreateKey", 1, proxy::Fault::Deny),
    );
    let dir = TempDir::new("refused");
    let out = run(bare_byok(dir.path())
        .args(["--endpoint-url", &wire.endpoint])
        .args(camunda(&[])));
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(err.contains("kms:CreateKey"), "{err}");
    assert!(err.contains("Nothing was created."), "{err}");
    assert!(stdout(&out).is_empty());
    assert!(key_ids(&moto.kms("eu-west-1").await).await.is_empty());
    let creates = wire
        .log()
        .iter()
        .filter(|s| s.name() == "CreateKey")
        .count();
    assert_eq!(creates, 1, "access denied is not retried");
}

/// Ctrl-C (SIGINT) while a call is in flight: byok finishes that call, stops before the next
/// step, reports the key that exists, and exits 130; the re-run completes with that key.
#[tokio::test]
async fn ctrl_c_stops_after_the_call_in_flight_with_exit_130() {
    let moto = Moto::start();
    let wire = proxy::Proxy::start(
        &moto.endpoint,
        proxy::Schedule::one(
            "CreateKey",
            1,
            proxy::Fault::Delay(std::time::Duration::from_millis(1500)),
        ),
    );
    let dir = TempDir::new("sigint");
    let child = bare_byok(dir.path())
        .args(["--endpoint-url", &wire.endpoint])
        .args(camunda(&[]))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until CreateKey is on the wire (held by the proxy), then press Ctrl-C.
    let t0 = std::time::Instant::now();
    while !wire.log().iter().any(|s| s.name() == "CreateKey") {
        assert!(t0.elapsed().as_secs() < 20, "CreateKey never sent");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 130);
    let kms = moto.kms("eu-west-1").await;
    let keys = key_ids(&kms).await;
    assert_eq!(keys.len(), 1, "the call in flight completed");
    assert_eq!(
        alias_target(&kms, CAMUNDA_ALIAS).await,
        None,
        "nothing after it"
    );
    let err = stderr(&out);
    assert!(
        err.contains("byok stopped because you asked it to"),
        "{err}"
    );
    assert!(stdout(&out).contains(keys[0].as_str()), "{}", stdout(&out));

    let out = run(bare_byok(dir.path())
        .args(["--endpoint-url", &moto.endpoint])
        .args(camunda(&[])));
    assert_exit(&out, 0);
    assert_eq!(key_ids(&kms).await, keys);
}

/// A built-in vendor whose principal is a role ARN the customer copies, in a Region of the
/// customer's choosing: the stored policy is the golden file byte for byte, the key carries
/// the vendor's alias, description and byok's tags, and the same command again changes
/// nothing.
async fn role_vendor_then_rerun(
    vendor: &str,
    region: &str,
    role: &str,
    alias: &str,
    description: &str,
    golden_file: &str,
) {
    let moto = Moto::start();
    let dir = TempDir::new(vendor);
    let args = [
        "create",
        "--vendor",
        vendor,
        "--region",
        region,
        "--principal",
        role,
        "--tag",
        "team=data",
        "--yes",
    ];
    let out = run(moto.byok(dir.path()).args(args));
    assert_exit(&out, 0);
    let arn = stdout(&out).trim().to_string();
    assert!(
        arn.starts_with(&format!("arn:aws:kms:{region}:{ACCOUNT}:key/")),
        "{arn}"
    );
    let kms = moto.kms(region).await;
    let keys = key_ids(&kms).await;
    assert_eq!(keys.len(), 1, "{vendor}");
    let key_id = &keys[0];
    let meta = describe(&kms, key_id).await;
    assert_eq!(meta.arn(), Some(arn.as_str()));
    assert_eq!(meta.multi_region(), Some(false));
    assert_eq!(meta.description(), Some(description));
    assert_eq!(
        meta.key_usage().map(|s| s.as_str()),
        Some("ENCRYPT_DECRYPT")
    );
    assert_eq!(
        alias_target(&kms, alias).await.as_deref(),
        Some(key_id.as_str())
    );
    // Byte for byte, as KMS stores it.
    let stored = kms
        .get_key_policy()
        .key_id(key_id)
        .policy_name("default")
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .to_string();
    let golden_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(golden_file),
    )
    .unwrap();
    assert_eq!(stored.trim_end(), golden_text.trim_end(), "{vendor}");
    assert!(rotation(&kms, key_id).await.0);
    let tags = tags_of(&kms, key_id).await;
    assert_byok_tags(&tags, vendor, alias, "primary");
    assert!(tags.contains(&("team".into(), "data".into())), "{tags:?}");

    let again = run(moto.byok(dir.path()).args(args));
    assert_exit(&again, 0);
    assert_eq!(stdout(&again).trim(), arn);
    assert_eq!(key_ids(&kms).await.len(), 1);
    assert_eq!(policy_of(&kms, key_id).await, golden(golden_file));
    assert_eq!(tags_of(&kms, key_id).await.len(), tags.len());
}

#[tokio::test]
async fn clickhouse_service_role_then_rerun_creates_nothing() {
    role_vendor_then_rerun(
        "clickhouse",
        "us-east-1",
        "arn:aws:iam::210987654321:role/clickhouse-service-encryption",
        "alias/clickhouse-cloud-cmek",
        "KMS key for ClickHouse Cloud CMEK",
        "clickhouse-single.json",
    )
    .await;
}

#[tokio::test]
async fn aiven_project_role_then_rerun_creates_nothing() {
    role_vendor_then_rerun(
        "aiven",
        "eu-west-1",
        "arn:aws:iam::210987654321:role/aiven-cmk-anchor",
        "alias/aiven-cmk",
        "Aiven CMK for data-at-rest encryption",
        "aiven-single.json",
    )
    .await;
}

/// `--replica-region` twice: a Multi-Region primary with a replica in each Region, every one
/// with byok's policy, its alias and its tags, listed by the primary; then, on other aliases,
/// one key of its own per Region. Each re-run makes nothing.
#[tokio::test]
async fn other_vendor_two_replicas_then_three_keys_of_their_own() {
    let moto = Moto::start();
    let dir = TempDir::new("other-3r");
    let regions = ["eu-central-1", "eu-west-3", "eu-north-1"];
    let args = |regionality: &str, alias: &str| {
        let mut v: Vec<String> = [
            "create",
            "--vendor",
            "other",
            "--principal",
            "444455556666",
            "--region",
            regions[0],
            "--regionality",
            regionality,
            "--alias",
            alias,
        ]
        .map(String::from)
        .to_vec();
        for r in &regions[1..] {
            v.extend(["--replica-region".to_string(), r.to_string()]);
        }
        v.push("--yes".into());
        v
    };
    let mr = args("multi-region", "mr-three");
    let out = run(moto.byok(dir.path()).args(&mr));
    assert_exit(&out, 0);
    assert!(
        stderr(&out)
            .contains("Done. Your Multi-Region key, primary and 2 replicas, for Other vendor:"),
        "{}",
        stderr(&out)
    );
    let arns = lines(&out);
    assert_eq!(arns.len(), 3, "{arns:?}");
    let id = id_of(&arns[0]).to_string();
    assert!(id.starts_with("mrk-"));
    for (arn, region) in arns.iter().zip(regions) {
        assert_eq!(arn, &format!("arn:aws:kms:{region}:{ACCOUNT}:key/{id}"));
    }
    let primary = moto.kms(regions[0]).await;
    let policy = policy_of(&primary, &id).await;
    let meta = describe(&primary, &id).await;
    let mut listed: Vec<&str> = meta
        .multi_region_configuration()
        .unwrap()
        .replica_keys()
        .iter()
        .map(|k| k.region().unwrap())
        .collect();
    listed.sort_unstable();
    assert_eq!(listed, ["eu-north-1", "eu-west-3"]);
    for (region, role) in [
        (regions[0], "primary"),
        (regions[1], "replica"),
        (regions[2], "replica"),
    ] {
        let kms = moto.kms(region).await;
        assert_eq!(key_ids(&kms).await, vec![id.clone()], "{region}");
        assert_eq!(policy_of(&kms, &id).await, policy, "{region}");
        assert_eq!(
            alias_target(&kms, "alias/mr-three").await.as_deref(),
            Some(id.as_str()),
            "{region}"
        );
        assert_byok_tags(&tags_of(&kms, &id).await, "other", "alias/mr-three", role);
        assert_eq!(
            describe(&kms, &id).await.key_state().map(|s| s.as_str()),
            Some("Enabled")
        );
    }
    let again = run(moto.byok(dir.path()).args(&mr));
    assert_exit(&again, 0);
    assert_eq!(lines(&again), arns);
    assert!(
        stderr(&again).contains("3 key(s) match"),
        "{}",
        stderr(&again)
    );

    // One key per Region, with the second alias in the other two.
    let per = args("per-region", "own-three");
    let out = run(moto.byok(dir.path()).args(&per));
    assert_exit(&out, 0);
    let own = lines(&out);
    assert_eq!(own.len(), 3, "{own:?}");
    for ((arn, region), (alias, role)) in own.iter().zip(regions).zip([
        ("alias/own-three", "primary"),
        ("alias/own-three-replica", "secondary"),
        ("alias/own-three-replica", "secondary"),
    ]) {
        assert!(arn.starts_with(&format!("arn:aws:kms:{region}:{ACCOUNT}:key/")));
        let kms = moto.kms(region).await;
        let kid = id_of(arn);
        assert!(!kid.starts_with("mrk-"), "{arn}");
        assert_eq!(
            key_ids(&kms).await.len(),
            2,
            "{region}: the replica and this key"
        );
        assert_eq!(alias_target(&kms, alias).await.as_deref(), Some(kid));
        assert_byok_tags(&tags_of(&kms, kid).await, "other", alias, role);
        assert!(rotation(&kms, kid).await.0, "{region}");
    }
    let again = run(moto.byok(dir.path()).args(&per));
    assert_exit(&again, 0);
    assert_eq!(lines(&again), own);
    for region in regions {
        assert_eq!(key_ids(&moto.kms(region).await).await.len(), 2, "{region}");
    }
}

/// IAM answers policy documents URL-encoded.
fn decode(s: &str) -> Value {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap(),
            );
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    serde_json::from_slice(&out).unwrap()
}

const ATLAS_ACCOUNT_ARN: &str = "arn:aws:iam::536727724300:root";
const EXTERNAL_ID: &str = "3192be49-6e76-4b7d-a7b8-b486a8fc4483";

fn role_vendor(vendor: &str, principal: &str) -> Vec<String> {
    [
        "create",
        "--vendor",
        vendor,
        "--region",
        "us-east-1",
        "--principal",
        principal,
        "--external-id",
        EXTERNAL_ID,
        "--yes",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// MongoDB Atlas and CockroachDB: a key and the role the vendor assumes, in one run; the same
/// command again makes neither a second key nor a second role.
#[tokio::test]
async fn a_role_the_vendor_assumes_is_made_once_with_the_key() {
    for (vendor, principal, trusted, role_name) in [
        (
            "mongodb-atlas",
            ATLAS_ACCOUNT_ARN,
            ATLAS_ACCOUNT_ARN,
            "byok-mongodb-atlas-encryption",
        ),
        (
            "cockroachdb",
            "210987654321",
            "arn:aws:iam::210987654321:root",
            "byok-cockroachdb-cmek",
        ),
    ] {
        let moto = Moto::start();
        let dir = TempDir::new("role");
        let args = role_vendor(vendor, principal);
        let out = run(moto.byok(dir.path()).args(&args));
        assert_exit(&out, 0);
        let printed = lines(&out);
        let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/{role_name}");
        assert!(stderr(&out).contains(&role_arn), "{}", stderr(&out));

        let kms = moto.kms("us-east-1").await;
        let keys = key_ids(&kms).await;
        assert_eq!(keys.len(), 1);
        let key_arn = format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{}", keys[0]);
        // stdout: what the vendor asks to have pasted back, in its order.
        let want: Vec<String> = if vendor == "mongodb-atlas" {
            vec![role_arn.clone(), key_arn.clone(), "us-east-1".into()]
        } else {
            vec!["us-east-1".into(), key_arn.clone(), role_arn.clone()]
        };
        assert_eq!(printed, want);
        assert_eq!(
            policy_of(&kms, &keys[0]).await,
            golden(&format!("{vendor}-key-policy.json"))
        );
        let iam = moto.iam().await;
        let role = iam.get_role().role_name(role_name).send().await.unwrap();
        let role = role.role().unwrap();
        assert_eq!(role.arn(), role_arn);
        let trust = decode(role.assume_role_policy_document().unwrap());
        let want = golden(&format!("{vendor}-role-trust.json"));
        assert_eq!(trust["Statement"][0]["Principal"]["AWS"], trusted);
        assert_eq!(trust, want);
        let tags: Vec<(String, String)> = iam
            .list_role_tags()
            .role_name(role_name)
            .send()
            .await
            .unwrap()
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        assert!(
            tags.contains(&("byok:managed-by".into(), "byok".into())),
            "{tags:?}"
        );
        assert!(
            tags.contains(&("byok:vendor".into(), vendor.into())),
            "{tags:?}"
        );
        let inline = iam
            .list_role_policies()
            .role_name(role_name)
            .send()
            .await
            .unwrap();
        if vendor == "mongodb-atlas" {
            assert_eq!(inline.policy_names(), ["byok-atlas-encryption-at-rest"]);
            let doc = iam
                .get_role_policy()
                .role_name(role_name)
                .policy_name("byok-atlas-encryption-at-rest")
                .send()
                .await
                .unwrap();
            let want = serde_json::to_string(&golden("mongodb-atlas-role-policy.json"))
                .unwrap()
                .replace("arn:aws:kms:us-east-1:123456789012:key/KEY_ID", &key_arn);
            assert_eq!(
                decode(doc.policy_document()),
                serde_json::from_str::<Value>(&want).unwrap()
            );
        } else {
            assert!(
                inline.policy_names().is_empty(),
                "CockroachDB's role has no permissions of its own"
            );
        }

        let again = run(moto.byok(dir.path()).args(&args));
        assert_exit(&again, 0);
        assert_eq!(lines(&again), printed);
        assert_eq!(key_ids(&kms).await.len(), 1);
        let roles = iam.list_roles().send().await.unwrap();
        assert_eq!(
            roles
                .roles()
                .iter()
                .filter(|r| r.role_name().starts_with("byok-"))
                .count(),
            1
        );
    }
}

/// A role of the same name that byok did not make: the run stops before any change, the
/// role is left as it was.
#[tokio::test]
async fn a_foreign_role_of_the_same_name_is_never_overwritten() {
    let moto = Moto::start();
    let dir = TempDir::new("role-foreign");
    let iam = moto.iam().await;
    let theirs = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}"#;
    iam.create_role()
        .role_name("byok-cockroachdb-cmek")
        .assume_role_policy_document(theirs)
        .send()
        .await
        .unwrap();
    let out = run(moto
        .byok(dir.path())
        .args(role_vendor("cockroachdb", "210987654321")));
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("byok changed nothing"),
        "{}",
        stderr(&out)
    );
    // Running it again would be refused the same way: the advice says to resolve it first.
    assert!(
        stderr(&out).contains("Once that is resolved, run the same command again")
            && !stderr(&out).contains("To finish"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
    let kms = moto.kms("us-east-1").await;
    assert!(key_ids(&kms).await.is_empty(), "no key was made");
    let role = iam
        .get_role()
        .role_name("byok-cockroachdb-cmek")
        .send()
        .await
        .unwrap();
    assert_eq!(
        decode(role.role().unwrap().assume_role_policy_document().unwrap()),
        serde_json::from_str::<Value>(theirs).unwrap()
    );
    let inline = iam
        .list_role_policies()
        .role_name("byok-cockroachdb-cmek")
        .send()
        .await
        .unwrap();
    assert!(inline.policy_names().is_empty());
}

/// GitLab Dedicated: a Multi-Region key with a replica in the secondary and in the backup
/// Region, every one with the golden policy (the GitLab account's root, the statements of
/// GitLab's page), its alias and byok's tags; a re-run makes nothing; a third replica Region
/// is refused before any call.
#[tokio::test]
async fn gitlab_dedicated_primary_with_secondary_and_backup_replicas_then_rerun() {
    let moto = Moto::start();
    let dir = TempDir::new("gitlab");
    let regions = ["eu-west-1", "eu-central-1", "us-east-1"];
    let alias = "alias/gitlab-dedicated-byok";
    let mut args: Vec<String> = [
        "create",
        "--vendor",
        "gitlab-dedicated",
        "--region",
        regions[0],
        "--principal",
        "210987654321",
        "--regionality",
        "multi-region",
        "--replica-region",
        regions[1],
        "--replica-region",
        regions[2],
        "--yes",
    ]
    .map(String::from)
    .to_vec();
    let out = run(moto.byok(dir.path()).args(&args));
    assert_exit(&out, 0);
    let arns = lines(&out);
    assert_eq!(arns.len(), 3, "{arns:?}");
    let id = id_of(&arns[0]).to_string();
    assert!(id.starts_with("mrk-"), "{id}");
    for ((arn, region), role) in arns
        .iter()
        .zip(regions)
        .zip(["primary", "replica", "replica"])
    {
        assert_eq!(arn, &format!("arn:aws:kms:{region}:{ACCOUNT}:key/{id}"));
        let kms = moto.kms(region).await;
        assert_eq!(key_ids(&kms).await, vec![id.clone()], "{region}");
        assert_eq!(
            policy_of(&kms, &id).await,
            golden("gitlab-dedicated-replicas.json"),
            "{region}"
        );
        assert_eq!(
            alias_target(&kms, alias).await.as_deref(),
            Some(id.as_str()),
            "{region}"
        );
        assert_byok_tags(&tags_of(&kms, &id).await, "gitlab-dedicated", alias, role);
    }
    assert!(rotation(&moto.kms(regions[0]).await, &id).await.0);

    let again = run(moto.byok(dir.path()).args(&args));
    assert_exit(&again, 0);
    assert_eq!(lines(&again), arns);
    for region in regions {
        assert_eq!(key_ids(&moto.kms(region).await).await.len(), 1, "{region}");
    }

    // Primary, secondary and backup Regions: a third replica is refused, before any call.
    args.splice(
        args.len() - 1..args.len() - 1,
        ["--replica-region".to_string(), "us-west-2".to_string()],
    );
    let out = run(moto.byok(dir.path()).args(&args));
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("is given 3 times: GitLab Dedicated takes at most 2"),
        "{}",
        stderr(&out)
    );
    assert!(key_ids(&moto.kms("us-west-2").await).await.is_empty());
}

/// A built-in vendor whose principal the profile names (Databricks' account, Elastic's
/// organisation) and whose answers are given with `extra`: the stored policy is the golden
/// file byte for byte, stdout carries exactly what the vendor asks to have pasted back
/// (`paste_back`), and the same command again changes nothing and prints the same.
async fn named_vendor_then_rerun(
    vendor: &str,
    region: &str,
    extra: &[&str],
    alias: &str,
    golden_file: &str,
    pasted: fn(key_arn: &str, alias_arn: &str) -> String,
) {
    let moto = Moto::start();
    let dir = TempDir::new(vendor);
    let mut args = vec!["create", "--vendor", vendor, "--region", region, "--yes"];
    args.extend_from_slice(extra);
    let out = run(moto.byok(dir.path()).args(&args));
    assert_exit(&out, 0);
    let kms = moto.kms(region).await;
    let keys = key_ids(&kms).await;
    assert_eq!(keys.len(), 1, "{vendor}");
    let key_id = &keys[0];
    let meta = describe(&kms, key_id).await;
    let key_arn = meta.arn().unwrap().to_string();
    let alias_arn = format!("arn:aws:kms:{region}:{ACCOUNT}:{alias}");
    assert_eq!(stdout(&out), pasted(&key_arn, &alias_arn), "{vendor}");
    assert_eq!(
        alias_target(&kms, alias).await.as_deref(),
        Some(key_id.as_str())
    );
    let stored = kms
        .get_key_policy()
        .key_id(key_id)
        .policy_name("default")
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .to_string();
    let golden_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(golden_file),
    )
    .unwrap();
    assert_eq!(stored.trim_end(), golden_text.trim_end(), "{vendor}");
    assert!(rotation(&kms, key_id).await.0);
    let tags = tags_of(&kms, key_id).await;
    assert_byok_tags(&tags, vendor, alias, "primary");

    let again = run(moto.byok(dir.path()).args(&args));
    assert_exit(&again, 0);
    assert_eq!(stdout(&again), pasted(&key_arn, &alias_arn));
    assert_eq!(key_ids(&kms).await.len(), 1);
    assert_eq!(policy_of(&kms, key_id).await, golden(golden_file));
    assert_eq!(tags_of(&kms, key_id).await.len(), tags.len());

    // The JSON carries the same values, each named.
    let mut json_args = args.clone();
    json_args.extend(["--output", "json"]);
    let out = run(moto.byok(dir.path()).args(&json_args));
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let values: String = doc["paste_back"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}\n", p["value"].as_str().unwrap()))
        .collect();
    assert_eq!(values, pasted(&key_arn, &alias_arn));
}

#[tokio::test]
async fn databricks_account_id_in_the_condition_then_rerun_creates_nothing() {
    named_vendor_then_rerun(
        "databricks",
        "us-east-1",
        &[
            "--set",
            "databricks-account-id=0d26daa6-5e44-4c97-a497-ef015f91254a",
        ],
        "alias/databricks-managed-services",
        "databricks-single.json",
        |key, _| format!("{key}\nalias/databricks-managed-services\n"),
    )
    .await;
}

#[tokio::test]
async fn elastic_organisation_wildcard_then_rerun_prints_the_alias_arn() {
    named_vendor_then_rerun(
        "elastic",
        "eu-west-1",
        &[],
        "alias/elastic-cloud-byok",
        "elastic-single.json",
        |_, alias| format!("{alias}\n"),
    )
    .await;
}
