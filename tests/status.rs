//! `byok status` against a real KMS API (moto): every state, the policy check, named keys,
//! each action (checked through the AWS API), and the JSON shape (checked against
//! schemas/status.schema.json).

mod common;
use common::*;
#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/schema.rs"]
mod schema;
use schema::{assert_schema, check_schema};

use aws_sdk_kms::types::{KeyState, Tag};
use serde_json::{Value, json};

const GEARSET_EU: &str = "arn:aws:iam::347752291521:root";

fn gearset_policy(vendor: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            { "Sid": "Enable IAM User Permissions", "Effect": "Allow",
              "Principal": { "AWS": format!("arn:aws:iam::{ACCOUNT}:root") }, "Action": "kms:*", "Resource": "*" },
            { "Sid": "Allow access for Key Administrators", "Effect": "Allow",
              "Principal": { "AWS": [format!("arn:aws:iam::{ACCOUNT}:role/KeyAdmin")] },
              "Action": ["kms:Create*", "kms:Describe*"], "Resource": "*" },
            { "Sid": "Allow use of the key", "Effect": "Allow", "Principal": { "AWS": vendor },
              "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*" },
            { "Sid": "Allow attachment of persistent resources", "Effect": "Allow", "Principal": { "AWS": vendor },
              "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*",
              "Condition": { "Bool": { "kms:GrantIsForAWSResource": "true" } } }
        ]
    })
}

fn camunda_policy() -> Value {
    serde_json::from_str(include_str!("golden/camunda-single.json")).unwrap()
}

/// A key as byok tags it, made through the AWS API (faster than `byok create` for setups
/// that only differ in state).
async fn make_key(
    kms: &aws_sdk_kms::Client,
    vendor: Option<&str>,
    alias: &str,
    policy: &Value,
) -> String {
    let mut req = kms
        .create_key()
        .policy(policy.to_string())
        .description("test key");
    if let Some(v) = vendor {
        for (k, val) in [
            ("byok:managed-by", "byok"),
            ("byok:vendor", v),
            ("byok:alias", alias),
            ("byok:role", "primary"),
        ] {
            req = req.tags(Tag::builder().tag_key(k).tag_value(val).build().unwrap());
        }
    }
    let id = req
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    id
}

async fn state_of(kms: &aws_sdk_kms::Client, id: &str) -> KeyState {
    kms.describe_key()
        .key_id(id)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_state()
        .unwrap()
        .clone()
}

fn status_json(moto: &Moto, dir: &TempDir, args: &[&str]) -> (Value, i32, String) {
    let out = run(moto.byok(dir.path()).arg("status").args(args));
    let text = stdout(&out);
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {text}\nstderr: {}", stderr(&out)));
    (v, out.status.code().unwrap_or(-1), stderr(&out))
}

fn key<'a>(report: &'a Value, arn_suffix: &str, region: &str) -> &'a Value {
    report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == arn_suffix && k["region"] == region)
        .unwrap_or_else(|| panic!("no key {arn_suffix} in {region}: {report:#}"))
}

/// A key made under ClickHouse's retired scheme (its shared `prod-kms-request-role`) is
/// flagged with what changed; the retired role is removed only when asked, and only once the
/// service's own role has its access.
#[tokio::test]
async fn a_retired_vendor_principal_is_flagged_and_removed_only_when_asked() {
    const LEGACY: &str = "arn:aws:iam::576599896960:role/prod-kms-request-role";
    const ROLE: &str = "arn:aws:iam::111122223333:role/CH-Encryption-role-abc";
    let moto = Moto::start();
    let dir = TempDir::new("status-retired");
    let kms = moto.kms("us-east-1").await;
    let policy = |principals: Value| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "Allow ClickHouse Access", "Effect": "Allow", "Principal": {"AWS": principals},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:DescribeKey"], "Resource": "*"}
        ]})
    };
    // Both roles: the migration's first half done.
    let both = make_key(
        &kms,
        Some("clickhouse"),
        "alias/ch-both",
        &policy(json!([LEGACY, ROLE])),
    )
    .await;
    // The retired role alone: nothing to migrate to yet.
    let old = make_key(
        &kms,
        Some("clickhouse"),
        "alias/ch-old",
        &policy(json!(LEGACY)),
    )
    .await;
    for id in [&both, &old] {
        kms.enable_key_rotation()
            .key_id(id.as_str())
            .send()
            .await
            .unwrap();
    }

    let (report, _, err) = status_json(&moto, &dir, &["--region", "us-east-1", "--output", "json"]);
    let b = key(&report, &both, "us-east-1");
    assert_eq!(
        b["policy"]["vendor_principal"], ROLE,
        "the retired role is never the vendor's current one: {err}"
    );
    assert_eq!(kinds(b), ["retired-principal"], "{b:#}");
    assert_eq!(b["health"], "needs-attention");
    let o = key(&report, &old, "us-east-1");
    assert!(kinds(o).contains(&"retired-principal".to_string()), "{o:#}");
    assert!(kinds(o).contains(&"principal-unknown".to_string()), "{o:#}");

    let act = |alias: &str| {
        let out = run(moto.byok(dir.path()).args([
            "status",
            "--key",
            alias,
            "--region",
            "us-east-1",
            "--remove-retired",
            "--yes",
        ]));
        (out.status.code().unwrap_or(-1), stderr(&out))
    };
    // The old key: the retired role is all ClickHouse has; byok removes nothing.
    let (code, err) = act("alias/ch-old");
    assert_ne!(code, 0, "{err}");
    assert!(policy_of(&kms, &old).await.to_string().contains(LEGACY));

    let (code, err) = act("alias/ch-both");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("PutKeyPolicy"), "{err}");
    let p = policy_of(&kms, &both).await;
    assert!(!p.to_string().contains(LEGACY), "{p:#}");
    assert_eq!(principals_of(&p, "ClickHouse"), [json!(ROLE)]);
    let (report, _, _) = status_json(&moto, &dir, &["--region", "us-east-1", "--output", "json"]);
    let b = key(&report, &both, "us-east-1");
    assert!(kinds(b).is_empty(), "{b:#}");
    assert_eq!(b["health"], "ok");
}

/// `byok grant`: the vendor's principal(s) added to an existing key's vendor statements (the
/// ones already there stay), checked like the wizard's answer before anything changes, and a
/// second run changes nothing.
#[tokio::test]
async fn grant_adds_the_vendors_principals_once() {
    const SECOND: &str = "arn:aws:iam::210987654321:role/camunda-tenant-second";
    let moto = Moto::start();
    let dir = TempDir::new("grant");
    let kms = moto.kms("eu-west-1").await;
    let id = make_key(
        &kms,
        Some("camunda"),
        "alias/camunda-grant",
        &camunda_policy(),
    )
    .await;
    kms.enable_key_rotation().key_id(&id).send().await.unwrap();
    let grant = |args: &[&str]| {
        let out = run(moto
            .byok(dir.path())
            .args([
                "grant",
                "--key",
                "alias/camunda-grant",
                "--region",
                "eu-west-1",
            ])
            .args(args));
        (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
    };
    // Refused before any change: no --yes without a terminal; not an ARN; the customer's
    // own account (moto's 123456789012); a Gearset-style account for Camunda's role.
    for (args, says) in [
        (vec!["--principal", SECOND], "--yes"),
        (
            vec!["--principal", "camunda", "--yes"],
            "Vendor principal (--principal)",
        ),
        (
            vec![
                "--principal",
                "arn:aws:iam::123456789012:role/Admin",
                "--yes",
            ],
            "your own account",
        ),
        (vec!["--principal", "210987654321", "--yes"], "IAM role ARN"),
    ] {
        let (code, _, err) = grant(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(
            policy_of(&kms, &id).await,
            camunda_policy(),
            "{args:?} changed the policy"
        );
    }

    let (code, out, err) = grant(&["--principal", SECOND, "--yes", "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["results"][0]["ok"], true, "{doc:#}");
    let p = policy_of(&kms, &id).await;
    for principals in principals_of(&p, "Camunda") {
        assert_eq!(principals, json!([CAMUNDA_ROLE, SECOND]), "{p:#}");
    }
    // Again: nothing to change.
    let (code, out, err) = grant(&["--principal", SECOND, "--yes", "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Nothing to change"), "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["results"], json!([]));
    assert_eq!(policy_of(&kms, &id).await, p);
    // Status reads both roles as the vendor's: nothing to report.
    let (report, _, _) = status_json(&moto, &dir, &["--region", "eu-west-1", "--output", "json"]);
    let k = key(&report, &id, "eu-west-1");
    assert!(kinds(k).is_empty(), "{k:#}");
}

/// Two phases, against moto: `byok create` for a vendor that names its principal only once
/// the key ARN is registered with it makes the key with no vendor statement and says how to
/// finish; `status` shows it waiting for the vendor's principal; `byok grant` adds what the
/// vendor returned (Snowflake's statement on stdin, on the key's own ARN; Confluent's two
/// roles); status is then clean, a second grant changes nothing and re-running create keeps
/// the vendor's access.
#[tokio::test]
async fn a_two_phase_vendor_waits_then_grant_completes_it() {
    use std::io::Write;
    const SNOWFLAKE: &str = "arn:aws:iam::998877665544:user/sf-tss-ab12";
    const CONFLUENT: [&str; 2] = [
        "arn:aws:iam::665544332211:role/confluent-byok-1",
        "arn:aws:iam::665544332211:role/confluent-byok-2",
    ];
    let moto = Moto::start();
    let dir = TempDir::new("two-phase");
    let kms = moto.kms("eu-west-1").await;
    let golden = |name: &str, arn: &str| -> Value {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/golden")
                .join(name),
        )
        .unwrap();
        serde_json::from_str(&text.replace("KEY_ARN", arn)).unwrap()
    };
    let create = |vendor: &str| {
        let out = run(moto.byok(dir.path()).args([
            "create",
            "--vendor",
            vendor,
            "--region",
            "eu-west-1",
            "--yes",
            "--output",
            "json",
        ]));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_str::<Value>(&stdout(&out)).unwrap()
    };
    let grant = |arn: &str, args: &[&str], stdin: Option<&str>| {
        let mut cmd = moto.byok(dir.path());
        cmd.args(["grant", "--key", arn, "--yes"]).args(args);
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        drop(input);
        let out = child.wait_with_output().unwrap();
        (out.status.code().unwrap_or(-1), stderr(&out))
    };
    let status_of = |arn: &str| {
        let (report, code, _) = status_json(
            &moto,
            &dir,
            &["--key", arn, "--region", "eu-west-1", "--output", "json"],
        );
        let k = report["keys"][0].clone();
        (k, code)
    };

    for vendor in ["snowflake", "confluent"] {
        // Phase one: the key, with no statement for the vendor.
        let doc = create(vendor);
        let arn = doc["keys"][0]["arn"].as_str().unwrap().to_string();
        let id = doc["keys"][0]["key_id"].as_str().unwrap().to_string();
        assert_eq!(
            policy_of(&kms, &id).await,
            golden(&format!("{vendor}-phase-one.json"), &arn)
        );
        let cmd = doc["phase_two"]["command"].as_str().unwrap();
        assert!(
            cmd.starts_with("byok --endpoint-url ")
                && cmd.ends_with(&format!(" grant --key {arn} --principal ARN")),
            "{doc:#}"
        );
        let (k, code) = status_of(&arn);
        assert_eq!(kinds(&k), ["waiting-for-principal"], "{k:#}");
        assert_eq!(code, 1);
        assert_eq!(k["health"], "needs-attention");

        // Phase two.
        let (code, err) = match vendor {
            "snowflake" => {
                // Hostile first: the vendor's statement for another key changes nothing.
                let other = arn.replace(&id, "00000000-0000-4000-8000-000000000000");
                let bad = format!(
                    r#"{{"Sid": "Allow use of the key by Snowflake","Effect": "Allow","Principal": {{"AWS": "{SNOWFLAKE}"}},"Action": ["kms:Decrypt","kms:GenerateDataKeyWithoutPlaintext"],"Resource": "{other}"}},"#
                );
                let (code, err) = grant(&arn, &["--statement", "-"], Some(&bad));
                assert_eq!(code, 2, "{err}");
                assert!(err.contains("only \"*\" or this key's ARN"), "{err}");
                let good = bad.replace(&other, &arn);
                grant(&arn, &["--statement", "-"], Some(&good))
            }
            _ => grant(
                &arn,
                &["--principal", CONFLUENT[0], "--principal", CONFLUENT[1]],
                None,
            ),
        };
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            policy_of(&kms, &id).await,
            golden(&format!("{vendor}-granted.json"), &arn)
        );
        let (k, code) = status_of(&arn);
        assert!(kinds(&k).is_empty(), "{k:#}");
        assert_eq!(code, 0);
        // Again: nothing to change.
        let again: Vec<&str> = match vendor {
            "snowflake" => vec!["--principal", SNOWFLAKE],
            _ => vec!["--principal", CONFLUENT[1]],
        };
        let (code, err) = grant(&arn, &again, None);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("Nothing to change"), "{err}");
        // Re-running create finds the key, and leaves the vendor's access alone.
        let doc = create(vendor);
        assert_eq!(doc["keys"][0]["arn"], arn.as_str());
        assert_eq!(doc["keys"][0]["created"], false);
        assert_eq!(
            policy_of(&kms, &id).await,
            golden(&format!("{vendor}-granted.json"), &arn)
        );
    }
}

/// Five `byok grant` runs at once, each with another of the vendor's roles, on one key:
/// PutKeyPolicy replaces the whole policy, so a run that wrote between another's read and
/// write would lose that run's role. Each run reads again after writing and writes again
/// while its role is missing: every role ends up granted.
#[tokio::test]
async fn five_grants_at_once_lose_no_principal() {
    // `byok grant` and `byok status --grant` alike take turns on the key's policy.
    for form in ["grant", "status"] {
        five_grants_at_once(form).await;
    }
}

async fn five_grants_at_once(form: &str) {
    let moto = Moto::start();
    let dir = TempDir::new("grant-race");
    let kms = moto.kms("eu-west-1").await;
    let id = make_key(
        &kms,
        Some("camunda"),
        "alias/camunda-race",
        &camunda_policy(),
    )
    .await;
    let roles: Vec<String> = (1..=5)
        .map(|n| format!("arn:aws:iam::210987654321:role/camunda-tenant-race-{n}"))
        .collect();
    let children: Vec<_> = roles
        .iter()
        .map(|r| {
            let mut cmd = moto.byok(dir.path());
            if form == "grant" {
                cmd.args(["grant", "--key", "alias/camunda-race"]);
            } else {
                cmd.args(["status", "--key", "alias/camunda-race", "--grant"]);
            }
            cmd.args(["--region", "eu-west-1"])
                .args(["--principal", r, "--yes"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let p = policy_of(&kms, &id).await;
    for principals in principals_of(&p, "Camunda") {
        for r in roles.iter().map(String::as_str).chain([CAMUNDA_ROLE]) {
            assert!(
                principals.as_array().unwrap().iter().any(|x| x == r),
                "{r} lost: {p:#}"
            );
        }
    }
}

// --------------------------------------------------------------------------------------
// A tiny JSON Schema subset (type, required, properties, additionalProperties, items,
// enum, $ref to $defs): enough to hold the real output to the documented shape.

#[test]
fn the_schema_check_can_fail() {
    let schema: Value =
        serde_json::from_str(include_str!("../schemas/status.schema.json")).unwrap();
    let mut errs = Vec::new();
    check_schema(
        &schema,
        &schema,
        &json!({"keys": [{"health": "fine"}], "extra": 1}),
        "$",
        &mut errs,
    );
    assert!(
        errs.iter().any(|e| e.contains("missing regions")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("undocumented field extra")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("\"fine\" not in")),
        "{errs:?}"
    );
}

// --------------------------------------------------------------------------------------

#[tokio::test]
async fn every_state_policy_check_named_key_and_json_fields() {
    let moto = Moto::start();
    let dir = TempDir::new("status-states");

    // A Multi-Region Camunda key with its replica, made by byok itself.
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--regionality",
        "multi-region",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let eu1 = moto.kms("eu-west-1").await;
    let eu2 = moto.kms("eu-west-2").await;
    let mrk = key_ids(&eu1)
        .await
        .into_iter()
        .find(|k| k.starts_with("mrk-"))
        .unwrap();

    // Gearset keys in four states, in four Regions.
    let us = moto.kms("us-west-2").await;
    let ap = moto.kms("ap-southeast-2").await;
    let ca = moto.kms("ca-central-1").await;
    let ok_key = make_key(
        &eu1,
        Some("gearset"),
        "alias/gearset-ok",
        &gearset_policy(GEARSET_EU),
    )
    .await;
    eu1.enable_key_rotation()
        .key_id(&ok_key)
        .send()
        .await
        .unwrap();
    let disabled = make_key(
        &us,
        Some("gearset"),
        "alias/gearset-off",
        &gearset_policy("arn:aws:iam::157764733222:root"),
    )
    .await;
    us.enable_key_rotation()
        .key_id(&disabled)
        .send()
        .await
        .unwrap();
    us.disable_key().key_id(&disabled).send().await.unwrap();
    let no_rotation = make_key(
        &ap,
        Some("gearset"),
        "alias/gearset-norot",
        &gearset_policy("arn:aws:iam::178658833999:root"),
    )
    .await;
    let pending = make_key(
        &ca,
        Some("gearset"),
        "alias/gearset-bye",
        &gearset_policy("arn:aws:iam::877694686213:root"),
    )
    .await;
    ca.schedule_key_deletion()
        .key_id(&pending)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();

    // A key byok did not make, whose policy lacks a vendor action: found only by --key.
    let mut p = camunda_policy();
    p["Statement"][2]["Action"] = json!(["kms:CreateGrant", "kms:ListGrants"]);
    let foreign = make_key(&eu1, None, "alias/hand-made", &p).await;
    eu1.enable_key_rotation()
        .key_id(&foreign)
        .send()
        .await
        .unwrap();
    // And one with no tags that --key does not name: never shown.
    let unrelated = make_key(&eu1, None, "alias/unrelated", &camunda_policy()).await;

    let (r, code, err) = status_json(
        &moto,
        &dir,
        &["--output", "json", "--key", "alias/hand-made"],
    );
    assert_schema(&r);
    assert_eq!(code, 5, "a broken key gives exit 5: {err}");
    let keys = r["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 7, "{r:#}");
    assert!(!keys.iter().any(|k| k["key_id"] == unrelated.as_str()));

    // Multi-Region primary and replica, both healthy; each field as the AWS API says.
    let prim = key(&r, &mrk, "eu-west-1");
    let d = eu1.describe_key().key_id(&mrk).send().await.unwrap();
    let md = d.key_metadata().unwrap();
    assert_eq!(prim["arn"], md.arn().unwrap());
    assert_eq!(prim["state"], "Enabled");
    assert_eq!(prim["enabled"], true);
    assert_eq!(prim["vendor"], "camunda");
    assert_eq!(prim["aliases"], json!(["alias/camunda-saas-byok"]));
    assert_eq!(prim["multi_region"]["role"], "PRIMARY");
    assert_eq!(prim["multi_region"]["replicas"][0]["region"], "eu-west-2");
    assert_eq!(prim["multi_region"]["replicas"][0]["state"], "Enabled");
    assert_eq!(prim["rotation"]["enabled"], true);
    assert!(prim["created"].as_str().unwrap().starts_with("20"));
    assert_eq!(prim["policy"]["vendor_principal"], CAMUNDA_ROLE);
    assert_eq!(prim["policy"]["missing"], json!([]));
    assert_eq!(prim["policy"]["root_statement"], true);
    assert_eq!(prim["health"], "ok", "{prim:#}");
    let rep = key(&r, &mrk, "eu-west-2");
    assert_eq!(rep["multi_region"]["role"], "REPLICA");
    assert_eq!(rep["multi_region"]["primary_region"], "eu-west-1");
    assert_eq!(rep["state"], state_of(&eu2, &mrk).await.as_str());
    assert_eq!(rep["health"], "ok", "{rep:#}");

    let ok = key(&r, &ok_key, "eu-west-1");
    assert_eq!(ok["health"], "ok", "{ok:#}");
    assert_eq!(
        ok["administrators"],
        json!([format!("arn:aws:iam::{ACCOUNT}:role/KeyAdmin")])
    );
    assert_eq!(ok["policy"]["vendor_principal"], GEARSET_EU);
    assert_eq!(ok["policy"]["principal_source"], "profile");

    let off = key(&r, &disabled, "us-west-2");
    assert_eq!(
        (off["state"].as_str(), off["enabled"].as_bool()),
        (Some("Disabled"), Some(false))
    );
    assert_eq!(off["health"], "broken");
    assert!(
        off["meaning"]
            .as_str()
            .unwrap()
            .contains("Gearset cannot read or write"),
        "{off:#}"
    );
    assert_eq!(off["recovery"], "Re-enable the key.");

    let norot = key(&r, &no_rotation, "ap-southeast-2");
    assert_eq!(norot["rotation"]["enabled"], false);
    assert_eq!(norot["health"], "needs-attention");

    let bye = key(&r, &pending, "ca-central-1");
    assert_eq!(bye["state"], "PendingDeletion");
    let date = ca.describe_key().key_id(&pending).send().await.unwrap();
    assert!(date.key_metadata().unwrap().deletion_date().is_some());
    assert!(bye["deletion_date"].as_str().unwrap().starts_with("20"));
    assert_eq!(bye["health"], "broken");
    assert!(
        bye["recovery"]
            .as_str()
            .unwrap()
            .contains("Cancel the deletion")
    );

    let named = key(&r, &foreign, "eu-west-1");
    assert_eq!(named["found_by"], "named");
    assert_eq!(
        named["vendor"], "camunda",
        "the vendor follows from the statement Sids"
    );
    assert_eq!(named["policy"]["missing"], json!(["kms:RevokeGrant"]));
    assert_eq!(named["health"], "broken");
    assert!(
        named["meaning"]
            .as_str()
            .unwrap()
            .contains("External encryption key is not ready")
    );

    assert_eq!(r["summary"]["broken"], 3);
    assert_eq!(r["summary"]["ok"], 3);
    assert_eq!(r["summary"]["needs_attention"], 1);
    assert_eq!(r["summary"]["overall"], "broken");
    let regions: Vec<&str> = r["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["region"].as_str().unwrap())
        .collect();
    for want in [
        "eu-west-1",
        "eu-west-2",
        "us-west-2",
        "ap-southeast-2",
        "ca-central-1",
    ] {
        assert!(regions.contains(&want), "{regions:?}");
    }

    // --region limits the scan; the healthy keys alone exit 0.
    let (r, code, err) = status_json(
        &moto,
        &dir,
        &[
            "--output",
            "json",
            "--region",
            "eu-west-1",
            "--region",
            "eu-west-2",
        ],
    );
    assert_eq!(r["keys"].as_array().unwrap().len(), 3, "{r:#}");
    assert_eq!(code, 0, "{err}");
    // Not a terminal: JSON without asking for it.
    let out = run(moto
        .byok(dir.path())
        .args(["status", "--region", "us-west-2"]));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["keys"][0]["state"], "Disabled");
    assert_eq!(out.status.code(), Some(5));
    // Text report names the fix with the exact command.
    let out =
        run(moto
            .byok(dir.path())
            .args(["status", "--output", "text", "--region", "us-west-2"]));
    let t = stdout(&out);
    assert!(
        t.contains("--enable") && t.contains("alias/gearset-off"),
        "{t}"
    );
}

#[tokio::test]
async fn a_named_key_that_does_not_exist_and_bad_input() {
    let moto = Moto::start();
    let dir = TempDir::new("status-bad");
    let (r, code, _) = status_json(
        &moto,
        &dir,
        &[
            "--output",
            "json",
            "--region",
            "eu-west-1",
            "--key",
            "alias/nope",
        ],
    );
    assert!(
        r["named_errors"][0]
            .as_str()
            .unwrap()
            .contains("alias/nope"),
        "{r:#}"
    );
    assert_eq!(
        code, 0,
        "no key at all, every Region read: nothing is wrong with a key"
    );
    // Input errors before any call: each names the flag.
    let out = run(moto.byok(dir.path()).args([
        "status",
        "--region",
        "europe",
        "--key",
        "hello",
        "--schedule-deletion",
        "3",
    ]));
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    for want in [
        "--region",
        "--key",
        "--schedule-deletion",
        "--confirm-alias",
        "--yes",
    ] {
        assert!(e.contains(want), "{want} in {e}");
    }
}

/// Every Region refused (HTTP 403): no key could be read, which is not a finding about a key.
/// Exit 6 ("nothing could be read"), so cron can tell it from "needs attention" (1).
#[tokio::test]
async fn nothing_readable_is_its_own_exit_status() {
    let moto = Moto::start();
    let dir = TempDir::new("status-nothing");
    let deny = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::from(1, proxy::Fault::Deny));
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_byok"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("BYOK_STATE_DIR", dir.path())
        .args(["--endpoint-url", &deny.endpoint])
        .args([
            "status",
            "--output",
            "json",
            "--region",
            "eu-west-1",
            "--region",
            "eu-west-2",
        ])
        .stdin(std::process::Stdio::null());
    let out = run(&mut c);
    let r: Value = serde_json::from_str(&stdout(&out)).expect("a JSON report");
    assert!(r["keys"].as_array().unwrap().is_empty(), "{r:#}");
    assert!(
        r["regions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| !x["error"].is_null()),
        "{r:#}"
    );
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    // One Region readable: the other's failure is a finding (1), as before.
}

#[tokio::test]
async fn a_region_that_fails_is_reported_and_the_rest_shown() {
    let moto = Moto::start();
    let dir = TempDir::new("status-region-fails");
    let kms = moto.kms("eu-west-1").await;
    let id = make_key(
        &kms,
        Some("gearset"),
        "alias/gearset-ok",
        &gearset_policy(GEARSET_EU),
    )
    .await;
    kms.enable_key_rotation().key_id(&id).send().await.unwrap();
    // moto answers HTTP 500 for a Region it does not know, as AWS fails a Region that is
    // not enabled: the other Region is still shown.
    let (r, code, err) = status_json(
        &moto,
        &dir,
        &[
            "--output",
            "json",
            "--region",
            "eu-west-1",
            "--region",
            "zz-nowhere-1",
        ],
    );
    assert_schema(&r);
    assert_eq!(r["keys"].as_array().unwrap().len(), 1, "{r:#}");
    assert_eq!(r["keys"][0]["health"], "ok");
    let failed = r["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["region"] == "zz-nowhere-1")
        .unwrap();
    assert!(
        failed["error"]["message"].as_str().unwrap().contains("500"),
        "{failed:#}"
    );
    assert_eq!(r["summary"]["overall"], "needs-attention");
    assert_eq!(code, 1, "{err}");
}

#[tokio::test]
async fn a_key_byok_made_that_is_gone_is_reported_deleted() {
    let moto = Moto::start();
    let dir = TempDir::new("status-deleted");
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "gearset",
        "--region",
        "eu-west-1",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let made = stdout(&out).trim().to_string();
    // The journal also records a key that KMS no longer has, and one in another account.
    let journal = dir.path().join("journal.jsonl");
    let mut text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains(&made), "the journal records the key: {text}");
    let gone = format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/0b5e7c1a-1111-4222-8333-944445555666");
    for (arn, account) in [
        (gone.as_str(), ACCOUNT),
        (
            "arn:aws:kms:eu-west-1:999988887777:key/0b5e7c1a-1111-4222-8333-000000000000",
            "999988887777",
        ),
    ] {
        text.push_str(&json!({
            "time": "2026-10-01T10:00:00Z", "setup": format!("gearset/{account}/eu-west-1/alias/old-backup"),
            "event": "created", "role": "primary", "region": "eu-west-1", "arn": arn, "alias": "alias/old-backup"
        }).to_string());
        text.push('\n');
    }
    std::fs::write(&journal, text).unwrap();

    let (r, code, err) = status_json(&moto, &dir, &["--output", "json", "--region", "eu-west-1"]);
    assert_schema(&r);
    assert_eq!(code, 5, "{err}");
    let keys = r["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{r:#}");
    let d = keys.iter().find(|k| k["arn"] == gone.as_str()).unwrap();
    assert_eq!(d["state"], "Deleted");
    assert_eq!(d["found_by"], "journal");
    assert_eq!(d["health"], "broken");
    assert_eq!(d["aliases"], json!(["alias/old-backup"]));
    assert!(
        d["meaning"].as_str().unwrap().contains("unrecoverable"),
        "{d:#}"
    );
    let live = keys.iter().find(|k| k["arn"] == made.as_str()).unwrap();
    assert_eq!(live["found_by"], "tags");
}

#[tokio::test]
async fn each_action_checked_through_the_api() {
    let moto = Moto::start();
    let dir = TempDir::new("status-actions");
    let kms = moto.kms("eu-west-1").await;
    let id = make_key(
        &kms,
        Some("gearset"),
        "alias/gearset-act",
        &gearset_policy(GEARSET_EU),
    )
    .await;
    let act = |args: &[&str]| {
        let out = run(moto
            .byok(dir.path())
            .args([
                "status",
                "--key",
                "alias/gearset-act",
                "--region",
                "eu-west-1",
            ])
            .args(args));
        (out.status.code().unwrap_or(-1), stderr(&out))
    };

    // Without --yes and without a terminal: refused, nothing sent.
    let (code, err) = act(&["--disable"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(state_of(&kms, &id).await, KeyState::Enabled);

    let (code, err) = act(&["--disable", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("DisableKey") && err.contains("Gearset cannot read or write"),
        "the consequence is named: {err}"
    );
    assert_eq!(state_of(&kms, &id).await, KeyState::Disabled);

    // Without --region, an alias is looked up in the discovery Regions.
    let out = run(moto.byok(dir.path()).args([
        "status",
        "--key",
        "alias/gearset-act",
        "--enable",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(state_of(&kms, &id).await, KeyState::Enabled);

    let (code, err) = act(&["--rotation-days", "180", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        kms.get_key_rotation_status()
            .key_id(&id)
            .send()
            .await
            .unwrap()
            .key_rotation_enabled()
    );
    let (code, err) = act(&["--disable-rotation", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !kms.get_key_rotation_status()
            .key_id(&id)
            .send()
            .await
            .unwrap()
            .key_rotation_enabled()
    );
    let (code, err) = act(&["--rotate-now", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let rots = kms.list_key_rotations().key_id(&id).send().await.unwrap();
    assert_eq!(rots.rotations().len(), 1);

    // Deletion: the alias must be typed again, and must be right.
    let (code, err) = act(&[
        "--schedule-deletion",
        "7",
        "--yes",
        "--confirm-alias",
        "gearset-other",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--confirm-alias"), "{err}");
    assert_eq!(state_of(&kms, &id).await, KeyState::Enabled);
    let (code, err) = act(&[
        "--schedule-deletion",
        "7",
        "--yes",
        "--confirm-alias",
        "gearset-act",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("unrecoverable"),
        "the consequence is spelled out: {err}"
    );
    assert_eq!(state_of(&kms, &id).await, KeyState::PendingDeletion);
    let (code, err) = act(&["--cancel-deletion", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        state_of(&kms, &id).await,
        KeyState::Enabled,
        "cancel also re-enables"
    );

    // Policy repair: a lost action and a lost root statement come back; other statements stay.
    let mut broken = gearset_policy(GEARSET_EU);
    broken["Statement"][2]["Action"] = json!(["kms:Encrypt", "kms:DescribeKey"]);
    broken["Statement"].as_array_mut().unwrap().remove(0);
    broken["Statement"].as_array_mut().unwrap().push(json!({
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": { "AWS": format!("arn:aws:iam::{ACCOUNT}:root") }, "Action": "kms:*", "Resource": "*"
    }));
    kms.put_key_policy()
        .key_id(&id)
        .policy_name("default")
        .policy(broken.to_string())
        .send()
        .await
        .unwrap();
    let (code, err) = act(&["--repair-policy", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.lines()
            .any(|l| l.trim_start().starts_with("+ ") && l.contains("\"kms:Decrypt\"")),
        "the diff is shown: {err}"
    );
    let p = policy_of(&kms, &id).await;
    let use_stmt = p["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "Allow use of the key")
        .unwrap();
    assert_eq!(
        use_stmt["Action"],
        json!([
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:DescribeKey"
        ])
    );
    assert!(
        p.to_string()
            .contains("Allow access for Key Administrators")
    );
    let (r, code, _) = status_json(&moto, &dir, &["--output", "json", "--region", "eu-west-1"]);
    assert_eq!(r["keys"][0]["policy"]["missing"], json!([]));
    assert_eq!(code, 1, "rotation is off now: needs attention");

    // Revoke, then restore: the principal is remembered in a tag.
    let (code, err) = act(&["--revoke-access", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("Gearset cannot use the key: backups fail."),
        "the consequence: {err}"
    );
    assert!(
        err.lines()
            .any(|l| l.trim_start().starts_with("- ") && l.contains(GEARSET_EU)),
        "the diff: {err}"
    );
    let p = policy_of(&kms, &id).await;
    assert!(!p.to_string().contains(GEARSET_EU), "{p:#}");
    assert!(
        p.to_string()
            .contains(&format!("arn:aws:iam::{ACCOUNT}:root")),
        "root statement kept"
    );
    assert!(
        tags_of(&kms, &id)
            .await
            .contains(&("byok:vendor-principal".into(), GEARSET_EU.into()))
    );
    let (r, _, _) = status_json(&moto, &dir, &["--output", "json", "--region", "eu-west-1"]);
    assert_eq!(r["keys"][0]["health"], "broken");
    assert!(
        r["keys"][0]["findings"].to_string().contains("revoked"),
        "{r:#}"
    );
    let (code, err) = act(&["--restore-access", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let p = policy_of(&kms, &id).await;
    assert_eq!(
        p["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["Principal"]["AWS"] == GEARSET_EU)
            .count(),
        2
    );
    // Nothing left to repair: nothing sent.
    let (code, err) = act(&["--repair-policy", "--yes"]);
    assert_eq!(code, 0);
    assert!(err.contains("Nothing to change"), "{err}");
}

#[tokio::test]
async fn multi_region_actions_apply_to_the_set() {
    let moto = Moto::start();
    let dir = TempDir::new("status-mr");
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--regionality",
        "multi-region",
        "--no-rotation",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let eu1 = moto.kms("eu-west-1").await;
    let eu2 = moto.kms("eu-west-2").await;
    let mrk = key_ids(&eu1)
        .await
        .into_iter()
        .find(|k| k.starts_with("mrk-"))
        .unwrap();
    // Both policies lose an action.
    for kms in [&eu1, &eu2] {
        let mut p = policy_of(kms, &mrk).await;
        p["Statement"][1]["Action"] = json!(["kms:Encrypt"]);
        kms.put_key_policy()
            .key_id(&mrk)
            .policy_name("default")
            .policy(p.to_string())
            .send()
            .await
            .unwrap();
    }
    let (r, code, _) = status_json(&moto, &dir, &["--output", "json"]);
    assert_eq!(code, 5);
    assert_eq!(r["summary"]["broken"], 2, "{r:#}");

    // Repair named by the replica's ARN: both keys are repaired, and it says so.
    let replica_arn = format!("arn:aws:kms:eu-west-2:{ACCOUNT}:key/{mrk}");
    let out = run(moto.byok(dir.path()).args([
        "status",
        "--key",
        &replica_arn,
        "--repair-policy",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("eu-west-1 and eu-west-2"),
        "{}",
        stderr(&out)
    );
    for kms in [&eu1, &eu2] {
        let p = policy_of(kms, &mrk).await;
        assert_eq!(
            p["Statement"][1]["Action"].as_array().unwrap().len(),
            5,
            "{p:#}"
        );
    }
    // Rotation goes to the primary, even when the replica is named.
    let out = run(moto.byok(dir.path()).args([
        "status",
        "--key",
        &replica_arn,
        "--rotation-days",
        "365",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("EnableKeyRotation") && stderr(&out).contains("primary in eu-west-1"),
        "{}",
        stderr(&out)
    );
    assert!(
        eu1.get_key_rotation_status()
            .key_id(&mrk)
            .send()
            .await
            .unwrap()
            .key_rotation_enabled()
    );
    // Disable applies to both keys of the set.
    let out = run(moto.byok(dir.path()).args([
        "status",
        "--key",
        "alias/camunda-saas-byok",
        "--region",
        "eu-west-1",
        "--disable",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(state_of(&eu1, &mrk).await, KeyState::Disabled);
    assert_eq!(state_of(&eu2, &mrk).await, KeyState::Disabled);
    let (r, _, _) = status_json(&moto, &dir, &["--output", "json", "--region", "eu-west-1"]);
    assert_eq!(
        r["keys"][0]["multi_region"]["replicas"][0]["state"],
        "Disabled"
    );
    let primary_arn = format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/{mrk}");
    let out =
        run(moto
            .byok(dir.path())
            .args(["status", "--key", &primary_arn, "--enable", "--yes"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(state_of(&eu2, &mrk).await, KeyState::Enabled);

    // Only the replica is pending deletion: cancelling on the set touches only the replica
    // (KMS would refuse CancelKeyDeletion on the enabled primary).
    eu2.schedule_key_deletion()
        .key_id(&mrk)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let out = run(moto.byok(dir.path()).args([
        "status",
        "--key",
        &primary_arn,
        "--cancel-deletion",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(
        e.contains("No deletion is scheduled for the key in eu-west-1"),
        "{e}"
    );
    assert_eq!(e.matches("✓ CancelKeyDeletion").count(), 1, "{e}");
    assert_eq!(state_of(&eu1, &mrk).await, KeyState::Enabled);
    assert_eq!(state_of(&eu2, &mrk).await, KeyState::Enabled);
    // Nothing left to enable: nothing sent.
    let out =
        run(moto
            .byok(dir.path())
            .args(["status", "--key", &primary_arn, "--enable", "--yes"]));
    assert!(
        stderr(&out).contains("Nothing to change"),
        "{}",
        stderr(&out)
    );
}

// --------------------------------------------------------------------------------------
// Trust: the vendor principal comes only from sources byok trusts; danger is broken;
// repair adds what is missing and keeps the rest.

const ATTACKER: &str = "arn:aws:iam::666666666666:role/attacker";

async fn set_tag(kms: &aws_sdk_kms::Client, id: &str, key: &str, value: &str) {
    kms.tag_resource()
        .key_id(id)
        .tags(
            Tag::builder()
                .tag_key(key)
                .tag_value(value)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

async fn put_policy(kms: &aws_sdk_kms::Client, id: &str, policy: &Value) {
    kms.put_key_policy()
        .key_id(id)
        .policy_name("default")
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
}

/// The principals of the statements whose Sid contains `sid_part`.
fn principals_of(policy: &Value, sid_part: &str) -> Vec<Value> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Sid"].as_str().unwrap_or("").contains(sid_part))
        .map(|s| s["Principal"]["AWS"].clone())
        .collect()
}

fn kinds(key: &Value) -> Vec<String> {
    key["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Item 7: re-tagging a revoked key's byok:vendor-principal never redirects the vendor's
/// access. With the journal, restore uses the principal byok made the key for; without a
/// trusted source, it refuses and asks for --principal. A key made outside byok that was
/// given byok's tags is not shown with the tag's principal as its vendor.
#[tokio::test]
async fn a_retagged_key_never_gets_the_tags_principal() {
    let moto = Moto::start();
    let dir = TempDir::new("status-retag");
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let arn = stdout(&out).trim().to_string();
    let kms = moto.kms("eu-west-1").await;
    let id = arn.rsplit('/').next().unwrap().to_string();
    let act = |state: &TempDir, args: &[&str]| {
        let out = run(moto
            .byok(state.path())
            .args(["status", "--key", &arn])
            .args(args));
        (out.status.code().unwrap_or(-1), stderr(&out))
    };
    let (code, err) = act(&dir, &["--revoke-access", "--yes"]);
    assert_eq!(code, 0, "{err}");
    set_tag(&kms, &id, "byok:vendor-principal", ATTACKER).await;

    // Restore gives the access back to the real principal, never the tag's.
    let (code, err) = act(&dir, &["--restore-access", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let p = policy_of(&kms, &id).await;
    assert!(!p.to_string().contains(ATTACKER), "{p:#}");
    assert_eq!(
        principals_of(&p, "Camunda"),
        vec![json!(CAMUNDA_ROLE), json!(CAMUNDA_ROLE)],
        "{p:#}"
    );
    // It knew from the journal, and set the tag back.
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert!(
        journal.contains(&format!("\"principal\":\"{CAMUNDA_ROLE}\"")),
        "the journal records the principal: {journal}"
    );
    assert!(
        tags_of(&kms, &id)
            .await
            .contains(&("byok:vendor-principal".into(), CAMUNDA_ROLE.into()))
    );

    // Revoked and re-tagged again: status trusts the journal and says the tag disagrees.
    let (code, err) = act(&dir, &["--revoke-access", "--yes"]);
    assert_eq!(code, 0, "{err}");
    set_tag(&kms, &id, "byok:vendor-principal", ATTACKER).await;
    let (r, code, err) = status_json(&moto, &dir, &["--output", "json", "--region", "eu-west-1"]);
    assert_schema(&r);
    assert_eq!(code, 5, "{err}");
    let k = key(&r, &id, "eu-west-1");
    assert_eq!(k["policy"]["vendor_principal"], CAMUNDA_ROLE, "{k:#}");
    assert_eq!(k["policy"]["principal_source"], "journal");
    let f = k["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "tag-disagrees")
        .unwrap_or_else(|| panic!("{k:#}"));
    let what = f["what"].as_str().unwrap();
    assert!(
        what.contains(ATTACKER) && what.contains(CAMUNDA_ROLE),
        "{what}"
    );

    let (code, err) = act(&dir, &["--restore-access", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(!policy_of(&kms, &id).await.to_string().contains(ATTACKER));

    // On a machine without the journal, nothing trusted names the principal: refused.
    let elsewhere = TempDir::new("status-retag-elsewhere");
    let (code, err) = act(&elsewhere, &["--revoke-access", "--yes"]);
    assert_eq!(code, 0, "the policy still names the vendor: {err}");
    set_tag(&kms, &id, "byok:vendor-principal", ATTACKER).await;
    let (code, err) = act(&elsewhere, &["--restore-access", "--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--principal") && err.contains(ATTACKER) && err.contains("never takes"),
        "{err}"
    );
    assert!(!policy_of(&kms, &id).await.to_string().contains(ATTACKER));
    // Given now, the principal is used.
    let (code, err) = act(
        &elsewhere,
        &["--restore-access", "--principal", CAMUNDA_ROLE, "--yes"],
    );
    assert_eq!(code, 0, "{err}");
    let p = policy_of(&kms, &id).await;
    assert_eq!(principals_of(&p, "Camunda").len(), 2, "{p:#}");
    assert!(!p.to_string().contains(ATTACKER), "{p:#}");

    // A key made outside byok, given byok's tags and an attacker as vendor principal.
    let root_only =
        json!({"Version": "2012-10-17", "Statement": [camunda_policy()["Statement"][0].clone()]});
    let foreign = make_key(&kms, Some("camunda"), "alias/look-alike", &root_only).await;
    set_tag(&kms, &foreign, "byok:vendor-principal", ATTACKER).await;
    let (r, _, err) = status_json(&moto, &dir, &["--output", "json", "--region", "eu-west-1"]);
    assert_schema(&r);
    let k = key(&r, &foreign, "eu-west-1");
    assert_eq!(k["policy"]["vendor_principal"], Value::Null, "{k:#} {err}");
    let ks = kinds(k);
    assert!(ks.contains(&"not-made-by-byok".to_string()), "{ks:?}");
    assert!(ks.contains(&"tag-unconfirmed".to_string()), "{ks:?}");
    let out =
        run(moto
            .byok(dir.path())
            .args(["status", "--output", "text", "--region", "eu-west-1"]));
    let text = stdout(&out);
    let block = text
        .split("\n\n")
        .find(|b| b.contains("alias/look-alike"))
        .unwrap();
    assert!(
        !block
            .lines()
            .any(|l| l.trim_start().starts_with("Vendor ") && l.contains(ATTACKER)),
        "{block}"
    );
    let out = run(moto.byok(dir.path()).args([
        "status",
        "--key",
        "alias/look-alike",
        "--region",
        "eu-west-1",
        "--restore-access",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(policy_of(&kms, &foreign).await, root_only);
}

/// Item 7, Multi-Region: the primary's vendor statements were stripped and its tag points
/// at an attacker; with no journal, the replica's policy still names the vendor.
#[tokio::test]
async fn a_stripped_primary_takes_the_principal_from_its_replica() {
    let moto = Moto::start();
    let made = TempDir::new("status-mr-made");
    let out = run(moto.byok(made.path()).args([
        "create",
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--regionality",
        "multi-region",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let eu1 = moto.kms("eu-west-1").await;
    let eu2 = moto.kms("eu-west-2").await;
    let mrk = key_ids(&eu1)
        .await
        .into_iter()
        .find(|k| k.starts_with("mrk-"))
        .unwrap();
    let root_only =
        json!({"Version": "2012-10-17", "Statement": [camunda_policy()["Statement"][0].clone()]});
    put_policy(&eu1, &mrk, &root_only).await;
    set_tag(&eu1, &mrk, "byok:vendor-principal", ATTACKER).await;

    let dir = TempDir::new("status-mr-elsewhere");
    let (r, code, err) = status_json(&moto, &dir, &["--output", "json", "--region", "eu-west-1"]);
    assert_eq!(code, 5, "{err}");
    let k = key(&r, &mrk, "eu-west-1");
    assert_eq!(k["policy"]["vendor_principal"], CAMUNDA_ROLE, "{k:#}");
    assert_eq!(k["policy"]["principal_source"], "multi-region-set");
    assert!(kinds(k).contains(&"tag-disagrees".to_string()), "{k:#}");

    let primary_arn = format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/{mrk}");
    let out = run(moto.byok(dir.path()).args([
        "status",
        "--key",
        &primary_arn,
        "--restore-access",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for kms in [&eu1, &eu2] {
        let p = policy_of(kms, &mrk).await;
        assert!(!p.to_string().contains(ATTACKER), "{p:#}");
        assert_eq!(
            principals_of(&p, "Camunda"),
            vec![json!(CAMUNDA_ROLE), json!(CAMUNDA_ROLE)],
            "{p:#}"
        );
    }
}

/// Item 8: a statement that lets anyone use the key, or lets the vendor manage it, is
/// broken (exit 5), with the reason and the fix; rotation off stays "needs attention".
#[tokio::test]
async fn danger_in_the_policy_is_broken() {
    let moto = Moto::start();
    let dir = TempDir::new("status-danger");
    let kms = moto.kms("eu-west-1").await;
    let id = make_key(
        &kms,
        Some("gearset"),
        "alias/gearset-danger",
        &gearset_policy(GEARSET_EU),
    )
    .await;
    kms.enable_key_rotation().key_id(&id).send().await.unwrap();
    let args = ["--output", "json", "--region", "eu-west-1"];
    let (_, code, err) = status_json(&moto, &dir, &args);
    assert_eq!(code, 0, "{err}");

    let mut open = gearset_policy(GEARSET_EU);
    open["Statement"].as_array_mut().unwrap().push(json!({
        "Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"
    }));
    put_policy(&kms, &id, &open).await;
    let (r, code, err) = status_json(&moto, &dir, &args);
    assert_schema(&r);
    assert_eq!(code, 5, "{err}");
    let k = &r["keys"][0];
    assert_eq!(k["health"], "broken");
    let f = k["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "wildcard-principal")
        .unwrap_or_else(|| panic!("{k:#}"));
    assert_eq!(f["severity"], "broken");
    assert!(f["what"].as_str().unwrap().contains("\"Anyone\""), "{f:#}");
    assert!(
        f["fix"].as_str().unwrap().contains("aws:PrincipalOrgID"),
        "{f:#}"
    );
    assert_eq!(k["recovery"], f["fix"]);
    // {"AWS": "*"} narrowed to the organisation is not a danger.
    open["Statement"][4]["Principal"] = json!({"AWS": "*"});
    open["Statement"][4]["Condition"] =
        json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}});
    put_policy(&kms, &id, &open).await;
    let (_, code, err) = status_json(&moto, &dir, &args);
    assert_eq!(code, 0, "{err}");

    let mut manage = gearset_policy(GEARSET_EU);
    manage["Statement"][2]["Action"]
        .as_array_mut()
        .unwrap()
        .push(json!("kms:ScheduleKeyDeletion"));
    put_policy(&kms, &id, &manage).await;
    let (r, code, err) = status_json(&moto, &dir, &args);
    assert_eq!(code, 5, "{err}");
    let k = &r["keys"][0];
    let f = k["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "vendor-manages-key")
        .unwrap_or_else(|| panic!("{k:#}"));
    assert!(
        f["what"]
            .as_str()
            .unwrap()
            .contains("kms:ScheduleKeyDeletion"),
        "{f:#}"
    );
    let out =
        run(moto
            .byok(dir.path())
            .args(["status", "--output", "text", "--region", "eu-west-1"]));
    assert_eq!(out.status.code(), Some(5));
    let t = stdout(&out);
    assert!(
        t.contains("kms:ScheduleKeyDeletion") && t.contains("--repair-policy"),
        "{t}"
    );
    // Repair takes it away and keeps the rest.
    let out = run(moto.byok(dir.path()).args([
        "status",
        "--key",
        "alias/gearset-danger",
        "--region",
        "eu-west-1",
        "--repair-policy",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("removed: kms:ScheduleKeyDeletion"),
        "{}",
        stderr(&out)
    );
    assert_eq!(policy_of(&kms, &id).await, gearset_policy(GEARSET_EU));
    let (_, code, err) = status_json(&moto, &dir, &args);
    assert_eq!(code, 0, "{err}");

    // No account-root statement: broken too.
    let mut rootless = gearset_policy(GEARSET_EU);
    rootless["Statement"].as_array_mut().unwrap().remove(0);
    put_policy(&kms, &id, &rootless).await;
    let (r, code, _) = status_json(&moto, &dir, &args);
    assert_eq!(code, 5);
    assert!(kinds(&r["keys"][0]).contains(&"missing-root".to_string()));
}

/// Item 9: repair keeps a customer's principal and narrowing Condition in a vendor
/// statement, adds the missing action, and says what it kept.
#[tokio::test]
async fn repair_keeps_a_customers_principal_and_condition() {
    let moto = Moto::start();
    let dir = TempDir::new("status-merge");
    let kms = moto.kms("eu-west-1").await;
    let mine = format!("arn:aws:iam::{ACCOUNT}:role/BackupRestore");
    let narrowing = json!({"StringEquals": {"kms:ViaService": "ec2.eu-west-1.amazonaws.com"}});
    let mut p = gearset_policy(GEARSET_EU);
    p["Statement"][2]["Principal"]["AWS"] = json!([GEARSET_EU, mine]);
    p["Statement"][2]["Action"] = json!([
        "kms:Encrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey"
    ]);
    p["Statement"][2]["Condition"] = narrowing.clone();
    let id = make_key(&kms, Some("gearset"), "alias/gearset-merge", &p).await;
    kms.enable_key_rotation().key_id(&id).send().await.unwrap();

    let out = run(moto.byok(dir.path()).args([
        "status",
        "--key",
        "alias/gearset-merge",
        "--region",
        "eu-west-1",
        "--repair-policy",
        "--yes",
        "--output",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The policy: the customer's principal and Condition kept, the action added.
    let after = policy_of(&kms, &id).await;
    let s = &after["Statement"][2];
    assert_eq!(
        s["Principal"]["AWS"],
        json!([GEARSET_EU, mine]),
        "{after:#}"
    );
    assert_eq!(s["Condition"], narrowing, "{after:#}");
    assert_eq!(
        s["Action"],
        json!([
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:DescribeKey"
        ])
    );
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let schema: Value =
        serde_json::from_str(include_str!("../schemas/status-action.schema.json")).unwrap();
    let mut errs = Vec::new();
    check_schema(&schema, &schema, &v, "$", &mut errs);
    assert!(errs.is_empty(), "{errs:?}");
    let change = v["plans"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["call"] == "PutKeyPolicy")
        .unwrap();
    let summary = change["summary"].to_string();
    assert!(
        summary.contains("kept: the principal") && summary.contains(&mine),
        "{summary}"
    );
    assert!(
        summary.contains("kept: the Condition") && summary.contains("kms:ViaService"),
        "{summary}"
    );
    let e = stderr(&out);
    assert!(
        e.contains("kept: the Condition"),
        "the text plan says so too: {e}"
    );

    let (r, code, err) = status_json(&moto, &dir, &["--output", "json", "--region", "eu-west-1"]);
    assert_eq!(code, 0, "{err} {r:#}");

    // Revoking takes only the vendor from the shared statement; restoring puts it back there.
    let act = |a: &str| {
        run(moto.byok(dir.path()).args([
            "status",
            "--key",
            "alias/gearset-merge",
            "--region",
            "eu-west-1",
            a,
            "--yes",
        ]))
    };
    let out = act("--revoke-access");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let p = policy_of(&kms, &id).await;
    assert_eq!(p["Statement"][2]["Principal"]["AWS"], json!(mine), "{p:#}");
    assert_eq!(p["Statement"][2]["Condition"], narrowing);
    let out = act("--restore-access");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let p = policy_of(&kms, &id).await;
    assert_eq!(
        p["Statement"][2]["Principal"]["AWS"],
        json!([mine, GEARSET_EU]),
        "{p:#}"
    );
    assert_eq!(p["Statement"][2]["Condition"], narrowing);
    assert_eq!(p["Statement"][2]["Action"], after["Statement"][2]["Action"]);
    assert_eq!(p["Statement"][3], after["Statement"][3]);
}

// --------------------------------------------------------------------------------------
// The status screen on the simulator: transitions, and snapshots at 80x24 and 120x40.

mod screen {
    use byok::kms::sim::{SimKms, SimOptions};
    use byok::status::{self, Action, Scope, StatusEvent};
    use byok::tui::status::{Mode, Msg, StatusEffect, StatusScreen};
    use byok::vendor::Catalog;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn key(c: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    fn chars(s: &str) -> Vec<Msg> {
        s.chars().map(|c| key(KeyCode::Char(c))).collect()
    }

    /// The demo account, dates pinned so snapshots do not age.
    async fn loaded(w: u16, h: u16) -> (SimKms, Catalog, StatusScreen) {
        let cat = Catalog::built_in();
        let sim = SimKms::new(SimOptions::instant());
        status::seed_demo(&sim, &cat).await.unwrap();
        let mut report = status::collect(&sim, &cat, &Scope::default()).await;
        for k in &mut report.keys {
            k.created = Some("2026-11-02T09:30:00Z".into());
            if k.deletion_date.is_some() {
                k.deletion_date = Some("2026-12-02T09:30:00Z".into());
            }
        }
        let mut s = StatusScreen::new(true, true);
        s.handle(Msg::Resize(w, h));
        s.handle(Msg::Discovery(StatusEvent::Scanning {
            regions: report.regions.iter().map(|r| r.region.clone()).collect(),
        }));
        for k in report.keys {
            s.handle(Msg::Discovery(StatusEvent::Key(Box::new(k))));
        }
        s.handle(Msg::Discovery(StatusEvent::Done));
        (sim, cat, s)
    }

    fn draw(s: &StatusScreen) -> String {
        let mut t = Terminal::new(TestBackend::new(s.size.0, s.size.1)).unwrap();
        t.draw(|f| f.render_widget(s, f.area())).unwrap();
        let buf = t.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            let mut line = String::new();
            for x in 0..buf.area.width {
                line.push_str(buf[(x, y)].symbol());
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    async fn run_effects(
        sim: &SimKms,
        cat: &Catalog,
        s: &mut StatusScreen,
        effects: Vec<StatusEffect>,
    ) {
        let mut queue = effects;
        while let Some(e) = queue.pop() {
            let msg = match e {
                StatusEffect::Plan {
                    key,
                    action,
                    principal,
                } => Msg::Planned(
                    status::plan_action(sim, cat, &key, &action, principal.as_deref()).await,
                ),
                StatusEffect::Apply(plan) => Msg::Applied(status::apply(sim, &plan).await),
                StatusEffect::Reload(arns) => {
                    let scope = Scope {
                        keys: arns,
                        named_only: true,
                        ..Default::default()
                    };
                    Msg::Reloaded(status::collect(sim, cat, &scope).await.keys)
                }
                other => panic!("unexpected effect {other:?}"),
            };
            queue.extend(s.handle(msg));
        }
    }

    #[tokio::test]
    async fn list_at_80x24() {
        let (_, _, s) = loaded(80, 24).await;
        let screen = draw(&s);
        assert!(screen.contains("✗ 4"), "{screen}");
        insta::assert_snapshot!("status_list_80x24", screen);
    }

    #[tokio::test]
    async fn list_at_120x40() {
        let (_, _, s) = loaded(120, 40).await;
        let screen = draw(&s);
        assert!(screen.contains("✗ 4"), "{screen}");
        assert_eq!(s.current().unwrap().aliases, ["alias/camunda-saas-byok"]);
        insta::assert_snapshot!("status_list_120x40", screen);
    }

    /// The broken Camunda key at 80x24: its finding and fix fit beside the list.
    #[tokio::test]
    async fn detail_at_80x24() {
        let (_, _, mut s) = loaded(80, 24).await;
        s.handle(key(KeyCode::Down));
        s.handle(key(KeyCode::Down));
        assert_eq!(s.current().unwrap().aliases, ["alias/camunda-staging-byok"]);
        let screen = draw(&s);
        assert!(screen.contains("missing kms:RevokeGrant"), "{screen}");
        // A value too long for the pane continues under the value, not under its label, and
        // an ARN breaks after a '/', never inside the key ID or a role name.
        assert!(
            screen.contains("│Rotation  on · every 365 days"),
            "{screen}"
        );
        assert!(screen.contains("│          2027-11-23"), "{screen}");
        assert!(
            screen.contains("│Vendor    arn:aws:iam::210987654321:role/"),
            "{screen}"
        );
        assert!(
            screen.contains("│          camunda-tenant-19bc"),
            "{screen}"
        );
        assert!(
            screen.contains("│1234abcf-4b1c-4d2e-8f3a-000000000002"),
            "{screen}"
        );
        insta::assert_snapshot!("status_detail_80x24", screen);
    }

    #[tokio::test]
    async fn repair_plan_at_120x40_then_applied() {
        let (sim, cat, mut s) = loaded(120, 40).await;
        // Select the broken Camunda key, then ask for the fix.
        s.handle(key(KeyCode::Down));
        s.handle(key(KeyCode::Down));
        assert_eq!(s.current().unwrap().aliases, ["alias/camunda-staging-byok"]);
        insta::assert_snapshot!("status_detail_120x40", draw(&s));
        let effects = s.handle(key(KeyCode::Char('f')));
        assert!(matches!(
            &effects[..],
            [StatusEffect::Plan {
                action: Action::RepairPolicy,
                ..
            }]
        ));
        let StatusEffect::Plan { key: k, action, .. } = effects[0].clone() else {
            unreachable!()
        };
        s.handle(Msg::Planned(
            status::plan_action(&sim, &cat, &k, &action, None).await,
        ));
        assert!(matches!(s.mode, Mode::Confirm { .. }));
        insta::assert_snapshot!("status_repair_plan_120x40", draw(&s));
        // Confirm: applied, reloaded, and the key is OK now.
        let effects = s.handle(key(KeyCode::Char('y')));
        run_effects(&sim, &cat, &mut s, effects).await;
        assert!(matches!(s.mode, Mode::Result { .. }), "{:?}", s.mode);
        s.handle(key(KeyCode::Char(' ')));
        assert_eq!(s.current().unwrap().health, byok::status::Health::Ok);
        assert!(sim.calls().iter().any(|c| c == "PutKeyPolicy eu-west-1"));
    }

    /// The demo's Confluent key waits for its roles: `f` (the suggested fix) and `g` in the
    /// menu open the box that takes what Confluent returned (here two role ARNs pasted as
    /// from its statement); the grant's plan is asked for, sent, and the key is then OK.
    #[tokio::test]
    async fn a_waiting_key_is_granted_what_the_vendor_returned() {
        let (sim, cat, mut s) = loaded(120, 40).await;
        s.handle(key(KeyCode::Char('/')));
        for m in chars("confluent") {
            s.handle(m);
        }
        s.handle(key(KeyCode::Enter));
        let k = s.current().unwrap().clone();
        assert_eq!(k.aliases, ["alias/confluent-cloud-byok"]);
        assert_eq!(status::suggested_action(&k), Some(Action::Grant));
        s.handle(key(KeyCode::Char('a')));
        assert!(s.menu().iter().any(|(c, _)| *c == 'g'), "{:?}", s.menu());
        s.handle(key(KeyCode::Esc));
        assert!(s.handle(key(KeyCode::Char('f'))).is_empty());
        assert!(matches!(
            s.mode,
            Mode::Principal {
                action: Action::Grant,
                ..
            }
        ));
        assert!(
            draw(&s).contains("Paste what the vendor returned"),
            "{}",
            draw(&s)
        );
        // A principal in your own account is refused in the box; nothing is planned.
        s.handle(Msg::Paste("arn:aws:iam::111122223333:role/admin".into()));
        assert!(s.handle(key(KeyCode::Enter)).is_empty());
        assert!(
            matches!(&s.mode, Mode::Principal { error: Some(e), .. } if e.contains("your own account"))
        );
        for _ in 0..40 {
            s.handle(key(KeyCode::Backspace));
        }
        s.handle(Msg::Paste(
            "\"arn:aws:iam::665544332211:role/confluent-byok-1\", \"arn:aws:iam::665544332211:role/confluent-byok-2\"".into(),
        ));
        let effects = s.handle(key(KeyCode::Enter));
        assert!(
            matches!(
                &effects[..],
                [StatusEffect::Plan {
                    action: Action::Grant,
                    principal: Some(_),
                    ..
                }]
            ),
            "{effects:?}"
        );
        run_effects(&sim, &cat, &mut s, effects).await;
        assert!(matches!(s.mode, Mode::Confirm { .. }), "{:?}", s.mode);
        let effects = s.handle(key(KeyCode::Char('y')));
        run_effects(&sim, &cat, &mut s, effects).await;
        assert!(matches!(s.mode, Mode::Result { .. }), "{:?}", s.mode);
        s.handle(key(KeyCode::Char(' ')));
        assert_eq!(s.current().unwrap().health, byok::status::Health::Ok);
    }

    #[tokio::test]
    async fn deletion_needs_the_alias_typed() {
        let (sim, cat, mut s) = loaded(80, 24).await;
        s.handle(key(KeyCode::Char('/')));
        for m in chars("apac") {
            s.handle(m);
        }
        s.handle(key(KeyCode::Enter));
        s.handle(key(KeyCode::Char('a')));
        assert!(matches!(s.mode, Mode::Menu { .. }));
        s.handle(key(KeyCode::Char('s')));
        // The window is checked before any call.
        s.handle(key(KeyCode::Backspace));
        s.handle(key(KeyCode::Backspace));
        for m in chars("5") {
            s.handle(m);
        }
        assert!(s.handle(key(KeyCode::Enter)).is_empty());
        assert!(matches!(&s.mode, Mode::Days { error: Some(e), .. } if e.contains("7 to 30")));
        s.handle(key(KeyCode::Backspace));
        for m in chars("7") {
            s.handle(m);
        }
        let effects = s.handle(key(KeyCode::Enter));
        let StatusEffect::Plan { key: k, action, .. } = effects[0].clone() else {
            panic!("{effects:?}")
        };
        assert_eq!(action, Action::ScheduleDeletion { days: 7 });
        s.handle(Msg::Planned(
            status::plan_action(&sim, &cat, &k, &action, None).await,
        ));
        let screen = draw(&s);
        assert!(screen.contains("Type the key's alias"), "{screen}");
        assert!(
            screen.contains("unrecoverable"),
            "the consequence is spelled out: {screen}"
        );
        // y does not confirm a deletion; a wrong alias does not either.
        assert!(s.handle(key(KeyCode::Char('y'))).is_empty());
        assert!(s.handle(key(KeyCode::Enter)).is_empty());
        for m in chars("ebackup-byok") {
            s.handle(m);
        }
        assert!(s.handle(key(KeyCode::Enter)).is_empty());
        for _ in 0.."yebackup-byok".len() {
            s.handle(key(KeyCode::Backspace));
        }
        s.handle(Msg::Paste("gearset-apac-byok\n".into()));
        let effects = s.handle(key(KeyCode::Enter));
        assert!(
            matches!(&effects[..], [StatusEffect::Apply(_)]),
            "{effects:?}"
        );
        run_effects(&sim, &cat, &mut s, effects).await;
        s.handle(key(KeyCode::Esc));
        assert_eq!(s.current().unwrap().state, "PendingDeletion");
    }

    #[tokio::test]
    async fn alerts_from_the_screen_and_accounts_grouped() {
        let (_, _, mut s) = loaded(120, 40).await;
        s.handle(key(KeyCode::Char('a')));
        s.handle(key(KeyCode::Char('m')));
        assert!(matches!(s.mode, Mode::Email { .. }), "{:?}", s.mode);
        for m in chars("not-an-address") {
            s.handle(m);
        }
        assert!(s.handle(key(KeyCode::Enter)).is_empty());
        assert!(draw(&s).contains("not an email address"));
        for _ in 0.."not-an-address".len() {
            s.handle(key(KeyCode::Backspace));
        }
        s.handle(Msg::Paste("secops@example.com".into()));
        let effects = s.handle(key(KeyCode::Enter));
        let [StatusEffect::PlanAlerts { key: k, email }] = &effects[..] else {
            panic!("{effects:?}")
        };
        assert_eq!(email, "secops@example.com");
        let plan = byok::alerts::AlertPlan {
            email: email.clone(),
            keys: vec![byok::alerts::AlertKey {
                region: k.region.clone(),
                arn: k.arn.clone(),
                key_id: k.key_id.clone(),
                aliases: k.aliases.clone(),
            }],
            changes: vec![byok::alerts::AlertChange {
                region: k.region.clone(),
                call: "events:PutRule".into(),
                target: format!("byok-alerts-{}", k.key_id),
                what: "match DisableKey, ...".into(),
                document: None,
                key_id: k.key_id.clone(),
            }],
            trails: vec![(k.region.clone(), false, "no CloudTrail trail".into())],
            kept: vec![],
        };
        s.handle(Msg::AlertsPlanned(Ok(Box::new(plan))));
        let screen = draw(&s);
        assert!(screen.contains("NO TRAIL"), "{screen}");
        assert!(screen.contains("confirmation link"), "{screen}");
        let effects = s.handle(key(KeyCode::Char('y')));
        assert!(
            matches!(&effects[..], [StatusEffect::ApplyAlerts(_)]),
            "{effects:?}"
        );
        let arn = k.arn.clone();
        s.handle(Msg::Applied(vec![]));
        s.handle(Msg::Alerts(vec![(
            arn.clone(),
            byok::alerts::AlertsStatus {
                state: byok::alerts::AlertState::NoTrail,
                detail: "no CloudTrail trail: these alerts would never fire".into(),
                rule_arn: None,
                topic_arn: None,
                emails: vec!["secops@example.com (not confirmed)".into()],
            },
        )]));
        s.handle(key(KeyCode::Esc));
        let screen = draw(&s);
        assert!(screen.contains("Alerts    no trail"), "{screen}");

        // Many accounts: a line per account over its keys; keys of another account are not
        // changed from here.
        let mut report = s.report.clone();
        let first = report.keys[0].account.clone();
        report.keys[1].account = "210987654321".into();
        report.accounts = vec![
            byok::org::AccountReport {
                account: first.clone(),
                name: Some("main".into()),
                access: "caller".into(),
                error: None,
                regions_failed: 0,
                summary: report.summary.clone(),
            },
            byok::org::AccountReport {
                account: "210987654321".into(),
                name: Some("prod".into()),
                access: "arn:aws:iam::210987654321:role/OrganizationAccountAccessRole".into(),
                error: None,
                regions_failed: 0,
                summary: report.summary.clone(),
            },
            byok::org::AccountReport {
                account: "333333333333".into(),
                name: None,
                access: "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole".into(),
                error: Some(byok::status::RegionError {
                    kind: "access-denied".into(),
                    message: "AssumeRole refused".into(),
                    explanation: "refused".into(),
                }),
                regions_failed: 0,
                summary: Default::default(),
            },
        ];
        report.finish();
        s.handle(Msg::Loaded(Box::new(report)));
        let screen = draw(&s);
        assert!(screen.contains(&format!("{first} main")), "{screen}");
        assert!(screen.contains("210987654321 prod: "), "{screen}");
        assert!(screen.contains("333333333333: not readable"), "{screen}");
        let last = s.visible().len() - 1;
        for _ in 0..last {
            s.handle(key(KeyCode::Down));
        }
        assert_eq!(s.current().unwrap().account, "210987654321");
        s.handle(key(KeyCode::Char('a')));
        assert!(s.handle(key(KeyCode::Char('d'))).is_empty());
        assert!(
            matches!(&s.mode, Mode::Error(e) if e.contains("read through a role")),
            "{:?}",
            s.mode
        );
    }

    #[tokio::test]
    async fn keys_arriving_keep_the_selection_and_quit_works() {
        let (_, _, mut s) = loaded(80, 24).await;
        let all = s.report.keys.clone();
        let mut fresh = StatusScreen::new(true, false);
        fresh.handle(Msg::Discovery(StatusEvent::Key(Box::new(all[3].clone()))));
        fresh.handle(Msg::Discovery(StatusEvent::Key(Box::new(all[4].clone()))));
        fresh.handle(key(KeyCode::Down));
        let chosen = fresh.current().unwrap().arn.clone();
        for k in [&all[0], &all[1], &all[2], &all[5]] {
            fresh.handle(Msg::Discovery(StatusEvent::Key(Box::new(k.clone()))));
        }
        assert_eq!(fresh.current().unwrap().arn, chosen);
        assert!(fresh.loading, "still loading until Done");
        fresh.handle(Msg::Discovery(StatusEvent::Scanning {
            regions: vec!["me-south-1".into()],
        }));
        fresh.handle(Msg::Discovery(StatusEvent::RegionFailed {
            region: "me-south-1".into(),
            error: byok::status::RegionError {
                kind: "region-not-enabled".into(),
                message: "off".into(),
                explanation: "Region me-south-1 is not enabled".into(),
            },
        }));
        fresh.handle(Msg::Resize(100, 20));
        let top = draw(&fresh);
        assert!(
            top.lines()
                .next()
                .unwrap()
                .contains("not readable: me-south-1"),
            "{top}"
        );
        assert!(top.contains("loading 1/1 Regions"), "{top}");
        assert_eq!(s.handle(key(KeyCode::Char('q'))), vec![StatusEffect::Quit]);
        assert_eq!(s.exit_code(), 5);
    }

    /// Over the wizard, leaving goes back to it: the footer says so (`byok status` quits).
    #[tokio::test]
    async fn over_the_wizard_leaving_is_labelled_back() {
        let (_, _, standalone) = loaded(80, 24).await;
        assert!(!standalone.embedded);
        assert!(standalone.hints().contains(&("q", "quit".to_string())));
        assert!(
            draw(&standalone)
                .lines()
                .last()
                .unwrap()
                .contains(" q quit")
        );

        let (_, _, mut s) = loaded(80, 24).await;
        s.embedded = true;
        assert!(StatusScreen::new_embedded(true, true).embedded);
        let screen = draw(&s);
        let footer = screen.lines().last().unwrap();
        assert!(footer.contains(" q back"), "{footer}");
        assert!(!screen.contains("quit"), "{screen}");
        insta::assert_snapshot!("status_list_embedded_80x24", screen);
        // While planning, Ctrl-C leaves too: labelled back.
        s.handle(key(KeyCode::Down));
        s.handle(key(KeyCode::Down));
        let fx = s.handle(key(KeyCode::Char('f')));
        assert!(matches!(&fx[..], [StatusEffect::Plan { .. }]), "{fx:?}");
        assert!(matches!(s.mode, Mode::Planning));
        assert_eq!(s.hints(), vec![("Ctrl-C", "back".to_string())]);
        assert!(draw(&s).lines().last().unwrap().contains("Ctrl-C back"));
        // What the labels promise: q, Esc and Ctrl-C leave the screen (the wizard then
        // resumes; tests/tmux.rs checks that end to end).
        for leave in [
            key(KeyCode::Char('q')),
            key(KeyCode::Esc),
            Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        ] {
            let (_, _, mut s) = loaded(80, 24).await;
            s.embedded = true;
            assert_eq!(s.handle(leave), vec![StatusEffect::Quit]);
            assert!(s.quit);
        }
    }
}

// --------------------------------------------------------------------------------------
// End to end in a real terminal: `byok status` in tmux repairs a policy, checked through
// the AWS API. A minimal tmux driver of its own (private server socket, no config).

mod terminal {
    use super::*;
    use std::path::Path;
    use std::process::Command;
    use std::time::{Duration, Instant};

    struct Pane {
        socket: String,
    }

    fn sh_quote(s: &str) -> String {
        format!("'{}'", s.replace('\'', "'\\''"))
    }

    impl Pane {
        /// Run `argv` under `env -i` with `env`, then record the exit code and `stty -a`.
        fn start(env: &[(String, String)], argv: &[String], out: &Path) -> Pane {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let socket = format!("byok-status-{}-{n}", std::process::id());
            let mut words: Vec<String> = vec!["env".into(), "-i".into()];
            words.push(format!(
                "PATH={}",
                std::env::var("PATH").unwrap_or_default()
            ));
            words.push("TERM=xterm-256color".into());
            words.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
            words.extend(argv.iter().cloned());
            let cmd = words
                .iter()
                .map(|w| sh_quote(w))
                .collect::<Vec<_>>()
                .join(" ");
            let o = out.display();
            let script = format!(
                "{cmd}; echo $? > {o}/code.tmp; stty -a > {o}/stty 2>&1; mv {o}/code.tmp {o}/code"
            );
            let ok = Command::new("tmux")
                .args([
                    "-L",
                    &socket,
                    "-f",
                    "/dev/null",
                    "new-session",
                    "-d",
                    "-s",
                    "t",
                    "-x",
                    "100",
                    "-y",
                    "30",
                    "sh",
                    "-c",
                    &script,
                ])
                .status()
                .expect("tmux is needed for this test: apt-get install -y tmux")
                .success();
            assert!(ok, "tmux could not start");
            Pane { socket }
        }

        fn keys(&self, keys: &[&str]) {
            let mut c = Command::new("tmux");
            c.args(["-L", &self.socket, "send-keys", "-t", "t"])
                .args(keys);
            assert!(c.status().unwrap().success());
        }

        fn screen(&self) -> String {
            let o = Command::new("tmux")
                .args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"])
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).into_owned()
        }

        fn wait_for(&self, what: &[&str]) -> String {
            let t0 = Instant::now();
            loop {
                let s = self.screen();
                if what.iter().all(|w| s.contains(w)) {
                    return s;
                }
                assert!(
                    t0.elapsed() < Duration::from_secs(20),
                    "waited for {what:?}; the screen was:\n{s}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    impl Drop for Pane {
        fn drop(&mut self) {
            let _ = Command::new("tmux")
                .args(["-L", &self.socket, "kill-server"])
                .status();
        }
    }

    #[tokio::test]
    async fn repair_a_policy_in_the_status_screen() {
        let moto = Moto::start();
        let dir = TempDir::new("status-tmux");
        let kms = moto.kms("eu-west-1").await;
        let mut p = camunda_policy();
        p["Statement"][2]["Action"] = json!(["kms:CreateGrant", "kms:ListGrants"]);
        let id = make_key(&kms, Some("camunda"), "alias/camunda-saas-byok", &p).await;
        kms.enable_key_rotation().key_id(&id).send().await.unwrap();

        let c = moto.byok(dir.path());
        let env: Vec<(String, String)> = c
            .get_envs()
            .filter(|(k, _)| *k != "PATH")
            .filter_map(|(k, v)| Some((k.to_str()?.to_string(), v?.to_str()?.to_string())))
            .collect();
        let mut argv = vec![c.get_program().to_string_lossy().into_owned()];
        argv.extend(c.get_args().map(|a| a.to_string_lossy().into_owned()));
        argv.extend(["status", "--region", "eu-west-1"].map(String::from));
        let pane = Pane::start(&env, &argv, dir.path());

        pane.wait_for(&["camunda-saas-byok", "missing kms:RevokeGrant", "✗ broken"]);
        pane.keys(&["f"]);
        let plan = pane.wait_for(&["Apply these changes? y/n"]);
        assert!(
            plan.lines()
                .any(|l| l.contains("+") && l.contains("kms:RevokeGrant")),
            "the diff: {plan}"
        );
        pane.keys(&["y"]);
        pane.wait_for(&["✓ PutKeyPolicy"]);
        pane.keys(&["Space"]);
        pane.wait_for(&["has every action it needs", "✓ OK"]);
        pane.keys(&["q"]);
        let t0 = Instant::now();
        while !dir.path().join("code").exists() {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "byok did not exit: {}",
                pane.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let code = std::fs::read_to_string(dir.path().join("code")).unwrap();
        assert_eq!(code.trim(), "0", "every key is OK now");
        let stty = std::fs::read_to_string(dir.path().join("stty")).unwrap();
        assert!(
            stty.contains(" icanon") && stty.contains(" echo "),
            "the terminal is restored: {stty}"
        );

        let p = policy_of(&kms, &id).await;
        let grants = p["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"].as_str().unwrap().contains("create grants"))
            .unwrap();
        assert_eq!(
            grants["Action"],
            json!(["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"])
        );
        assert_eq!(grants["Principal"]["AWS"], CAMUNDA_ROLE);
    }

    /// The vendor statements are gone and nothing byok trusts names the principal (no
    /// journal on this machine, no other key in the set, a role the profile cannot know): the
    /// screen offers only what applies, asks for the principal, checks it, and restores.
    #[tokio::test]
    async fn the_screen_asks_for_a_principal_nothing_names() {
        let moto = Moto::start();
        let dir = TempDir::new("status-tmux-principal");
        let kms = moto.kms("eu-west-1").await;
        let root_only = json!({"Version": "2012-10-17", "Statement": [camunda_policy()["Statement"][0].clone()]});
        let id = make_key(&kms, Some("camunda"), "alias/camunda-saas-byok", &root_only).await;
        kms.enable_key_rotation().key_id(&id).send().await.unwrap();

        let c = moto.byok(dir.path());
        let env: Vec<(String, String)> = c
            .get_envs()
            .filter(|(k, _)| *k != "PATH")
            .filter_map(|(k, v)| Some((k.to_str()?.to_string(), v?.to_str()?.to_string())))
            .collect();
        let mut argv = vec![c.get_program().to_string_lossy().into_owned()];
        argv.extend(c.get_args().map(|a| a.to_string_lossy().into_owned()));
        argv.extend(["status", "--region", "eu-west-1"].map(String::from));
        let pane = Pane::start(&env, &argv, dir.path());

        let list = pane.wait_for(&[
            "camunda-saas-byok",
            "unknown: nothing byok trusts",
            "✗ broken",
        ]);
        assert!(
            !list.contains("--principal"),
            "the screen speaks in its own terms: {list}"
        );
        pane.keys(&["a"]);
        let menu = pane.wait_for(&[
            "Act on alias/camunda-saas-byok",
            "Disable the key",
            "Restore the vendor's access",
            "Schedule deletion",
            "Mail alerts",
        ]);
        // Enabled, no deletion scheduled, access not there to revoke: not offered.
        for absent in ["Enable the key", "Cancel the deletion", "Revoke the vendor"] {
            assert!(!menu.contains(absent), "{absent} is offered: {menu}");
        }
        pane.keys(&["t"]);
        pane.wait_for(&["The vendor principal", "Who is it?"]);
        // The customer's own account is refused on the spot.
        pane.keys(&["arn:aws:iam::123456789012:role/admin", "Enter"]);
        pane.wait_for(&["your own account"]);
        pane.keys(&["C-u"]);
        // Pasted from JSON: quotes and the comma go.
        Command::new("tmux")
            .args([
                "-L",
                &pane.socket,
                "set-buffer",
                &format!("\"{CAMUNDA_ROLE}\","),
            ])
            .status()
            .unwrap();
        Command::new("tmux")
            .args(["-L", &pane.socket, "paste-buffer", "-p", "-t", "t"])
            .status()
            .unwrap();
        pane.keys(&["Enter"]);
        let plan = pane.wait_for(&["Apply these changes? y/n"]);
        assert!(plan.contains("PutKeyPolicy"), "{plan}");
        pane.keys(&["y"]);
        pane.wait_for(&["✓ PutKeyPolicy"]);
        pane.keys(&["Space"]);
        pane.wait_for(&["has every action it needs", "✓ OK"]);
        pane.keys(&["q"]);
        let t0 = Instant::now();
        while !dir.path().join("code").exists() {
            assert!(t0.elapsed() < Duration::from_secs(10), "byok did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
        let p = policy_of(&kms, &id).await;
        let vendor: Vec<&Value> = p["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["Principal"]["AWS"] == CAMUNDA_ROLE)
            .collect();
        assert_eq!(vendor.len(), 2, "both Camunda statements are back: {p}");
    }
}

/// A vendor that assumes a role in the account (MongoDB Atlas): status reads the role beside
/// the key and says, in the vendor's terms, when its own policy no longer grants the key or
/// when the role is gone; a role as byok made it is fine.
#[tokio::test]
async fn status_checks_the_role_the_vendor_assumes() {
    let moto = Moto::start();
    let dir = TempDir::new("status-role");
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "mongodb-atlas",
        "--region",
        "us-east-1",
        "--principal",
        "arn:aws:iam::536727724300:root",
        "--external-id",
        "3192be49-6e76-4b7d-a7b8-b486a8fc4483",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let arn = stdout(&out)
        .lines()
        .find(|l| l.contains(":key/"))
        .unwrap()
        .to_string();
    let role_findings = |r: &Value| -> Vec<Value> {
        key(r, arn.rsplit('/').next().unwrap(), "us-east-1")["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "role")
            .cloned()
            .collect()
    };
    let (r, code, err) = status_json(&moto, &dir, &["--region", "us-east-1"]);
    assert!(role_findings(&r).is_empty(), "{r}\n{err}");
    assert_eq!(code, 0, "{r}");

    // Someone removes the role's own policy: Atlas can no longer use the key.
    let iam = moto.iam().await;
    iam.delete_role_policy()
        .role_name("byok-mongodb-atlas-encryption")
        .policy_name("byok-atlas-encryption-at-rest")
        .send()
        .await
        .unwrap();
    let (r, code, _) = status_json(&moto, &dir, &["--region", "us-east-1"]);
    let f = role_findings(&r);
    assert_eq!(f.len(), 1, "{r}");
    assert_eq!(f[0]["severity"], "broken");
    assert!(
        f[0]["what"].as_str().unwrap().contains("kms:Decrypt"),
        "{f:?}"
    );
    assert!(
        f[0]["meaning"].as_str().unwrap().contains("MongoDB Atlas"),
        "{f:?}"
    );
    assert_eq!(code, 5);

    // The role itself is gone.
    iam.delete_role()
        .role_name("byok-mongodb-atlas-encryption")
        .send()
        .await
        .unwrap();
    let (r, _, _) = status_json(&moto, &dir, &["--region", "us-east-1"]);
    let f = role_findings(&r);
    assert!(
        f[0]["what"].as_str().unwrap().contains("does not exist"),
        "{f:?}"
    );
    // And the same command makes it again.
    let again = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "mongodb-atlas",
        "--region",
        "us-east-1",
        "--principal",
        "arn:aws:iam::536727724300:root",
        "--external-id",
        "3192be49-6e76-4b7d-a7b8-b486a8fc4483",
        "--yes",
    ]));
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let (r, code, _) = status_json(&moto, &dir, &["--region", "us-east-1"]);
    assert!(role_findings(&r).is_empty(), "{r}");
    assert_eq!(code, 0);
}

/// Elastic (anyone in its organisation) and Databricks (its account, under the customer's
/// account ID): keys byok made are OK; Elastic's revoked and restored access is judged by
/// its organisation's statement; a Databricks value changed by hand is kept as the
/// customer's, and a Databricks statement removed is not re-added without the value
/// (that would widen the vendor's access).
#[tokio::test]
async fn organisation_and_typed_value_vendors_are_judged_by_their_conditions() {
    let moto = Moto::start();
    let dir = TempDir::new("status-cond");
    let id = "0d26daa6-5e44-4c97-a497-ef015f91254a";
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "databricks",
        "--region",
        "us-east-1",
        "--set",
        &format!("databricks-account-id={id}"),
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dbx_arn = stdout(&out).lines().next().unwrap().to_string();
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "elastic",
        "--region",
        "eu-west-1",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (report, code, err) = status_json(
        &moto,
        &dir,
        &[
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--output",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}\n{report:#}");
    for k in report["keys"].as_array().unwrap() {
        assert_eq!(k["health"], "ok", "{k:#}");
    }
    let elastic = report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["region"] == "eu-west-1")
        .unwrap()["arn"]
        .as_str()
        .unwrap()
        .to_string();
    // Revoked: broken, the organisation's actions missing; restored: OK again.
    let out =
        run(moto
            .byok(dir.path())
            .args(["status", "--key", &elastic, "--revoke-access", "--yes"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (report, code, _) =
        status_json(&moto, &dir, &["--region", "eu-west-1", "--output", "json"]);
    assert_eq!(code, 5, "{report:#}");
    let out =
        run(moto
            .byok(dir.path())
            .args(["status", "--key", &elastic, "--restore-access", "--yes"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (report, code, _) =
        status_json(&moto, &dir, &["--region", "eu-west-1", "--output", "json"]);
    assert_eq!(code, 0, "{report:#}");

    // Databricks: another account ID typed by hand is the customer's: still OK.
    let kms = moto.kms("us-east-1").await;
    let key_id = dbx_arn.rsplit('/').next().unwrap().to_string();
    let mut p = policy_of(&kms, &key_id).await;
    let other = "11111111-2222-3333-4444-555555555555";
    p["Statement"][1]["Condition"]["StringEquals"]["aws:PrincipalTag/DatabricksAccountId"] =
        serde_json::json!([other]);
    put_policy(&kms, &key_id, &p).await;
    let (report, code, _) =
        status_json(&moto, &dir, &["--region", "us-east-1", "--output", "json"]);
    assert_eq!(code, 0, "{report:#}");
    // Its statement removed: repair does not add it back without the account ID.
    p["Statement"].as_array_mut().unwrap().remove(1);
    put_policy(&kms, &key_id, &p).await;
    let out =
        run(moto
            .byok(dir.path())
            .args(["status", "--key", &dbx_arn, "--repair-policy", "--yes"]));
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("not added"), "{said}");
    let after = policy_of(&kms, &key_id).await;
    assert!(
        !after.to_string().contains("414351767826"),
        "the vendor is never added without its condition: {after}"
    );
}
