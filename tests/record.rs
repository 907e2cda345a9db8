//! `--record PATH`: the Markdown change record of `byok create` and of a `byok status` action,
//! against a real KMS API (moto): who, when, what was planned and done (each API call and its
//! result), the exact policy, every ARN, the vendor's next step, no secrets; a re-run appends.

mod common;
use common::*;
#[path = "common/proxy.rs"]
mod proxy;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn no_secret(text: &str) {
    assert!(!text.contains(SECRET), "the secret key is in the record");
    for i in 0..SECRET.len() - 16 {
        assert!(
            !text.contains(&SECRET[i..i + 16]),
            "a piece of the secret key is in the record"
        );
    }
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "a control character is in the record"
    );
}

#[tokio::test]
async fn create_writes_a_record_and_a_rerun_appends() {
    let moto = Moto::start();
    let dir = TempDir::new("record-create");
    let path = dir.path().join("change.md");
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--yes",
        "--record",
        path.to_str().unwrap(),
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let arn = stdout(&out).trim().to_string();
    let text = std::fs::read_to_string(&path).unwrap();
    no_secret(&text);
    for want in [
        "# byok change record: a customer-managed KMS key for Camunda SaaS",
        "| Who | `arn:aws:sts::123456789012:user/moto` |",
        "| Outcome | completed |",
        "## What was planned",
        "(`kms:CreateKey`)",
        "## Every API call and its result",
        "| `sts:GetCallerIdentity` |",
        "| `kms:CreateAlias` | eu-west-1 |",
        "## The exact key policy",
        "\"AWS\": \"arn:aws:iam::123456789012:root\"",
        CAMUNDA_ROLE,
        "## ARNs",
        "## The vendor's next step",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    // The created key's ARN is the result of CreateKey, and listed with its alias ARN.
    assert!(
        text.contains(&format!("| `kms:CreateKey` | eu-west-1 |  | {arn} |")),
        "{text}"
    );
    assert!(text.contains(&format!("`{arn}`")), "{text}");
    assert!(
        text.contains("`arn:aws:kms:eu-west-1:123456789012:alias/camunda-saas-byok`"),
        "{text}"
    );
    // The policy in the record is the one KMS holds.
    let kms = moto.kms("eu-west-1").await;
    let id = arn.rsplit('/').next().unwrap();
    let held = serde_json::to_string_pretty(&policy_of(&kms, id).await).unwrap();
    assert!(
        text.contains(&held),
        "the record's policy differs from KMS's"
    );
    assert!(stderr(&out).contains("The change record is in"));

    // The same command again: nothing is created, and the record is appended.
    let again = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--yes",
        "--record",
        path.to_str().unwrap(),
    ]));
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let both = std::fs::read_to_string(&path).unwrap();
    assert!(both.starts_with(&text), "the first record was changed");
    assert_eq!(both.matches("# byok change record").count(), 2);
    assert!(both[text.len()..].contains("(found from an earlier run)"));
    assert!(!both[text.len()..].contains("| `kms:CreateKey` |"));
}

#[tokio::test]
async fn a_record_that_cannot_be_written_stops_before_any_call() {
    let moto = Moto::start();
    let dir = TempDir::new("record-bad");
    let proxy = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    let out = run(moto.byok_through(dir.path(), &proxy.endpoint).args([
        "create",
        "--vendor",
        "gearset",
        "--region",
        "eu-west-1",
        "--yes",
        "--record",
        dir.path().to_str().unwrap(),
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Record (--record)"),
        "{}",
        stderr(&out)
    );
    assert!(proxy.log().is_empty(), "requests were sent");
    // Without an action, status has nothing to record.
    let out = run(moto
        .byok(dir.path())
        .args(["status", "--record", "x.md", "--output", "json"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("a change record is written for an action"));
}

#[tokio::test]
async fn a_status_action_writes_its_record() {
    let moto = Moto::start();
    let dir = TempDir::new("record-action");
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "gearset",
        "--region",
        "eu-west-1",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let arn = stdout(&out).trim().to_string();
    let path = dir.path().join("disable.md");
    let out = run(moto.byok(dir.path()).args([
        "status",
        "--key",
        &arn,
        "--revoke-access",
        "--yes",
        "--output",
        "text",
        "--record",
        path.to_str().unwrap(),
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&path).unwrap();
    no_secret(&text);
    let id = arn.rsplit('/').next().unwrap();
    for want in [
        "# byok change record: Revoke the vendor's access",
        "| Who | `arn:aws:sts::123456789012:user/moto` |",
        "| Outcome | completed |",
        &format!("PutKeyPolicy {id} in eu-west-1 (`kms:PutKeyPolicy`)"),
        &format!("| `kms:PutKeyPolicy` | eu-west-1 | `{id}` | ok"),
        "## The exact key policy put on",
        "```diff",
        &format!("`{arn}`"),
        "## The vendor's next step",
        "Gearset cannot use the key",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    // The policy in the record is the one KMS now holds.
    let kms = moto.kms("eu-west-1").await;
    let held = serde_json::to_string_pretty(&policy_of(&kms, id).await).unwrap();
    assert!(
        text.contains(&held),
        "the record's policy differs from KMS's"
    );
}
