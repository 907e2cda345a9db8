//! `byok status --accounts org|LIST` against moto, which serves Organizations and lets STS
//! AssumeRole into other accounts (the assumed credentials then act in that account): keys
//! grouped by account, the account on each key and Region, a refused AssumeRole (injected by
//! the test proxy) reported for its account while the rest is shown, the role name and
//! external ID sent, and the JSON against schemas/status.schema.json.

mod common;
use common::*;
#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/schema.rs"]
mod schema;

use aws_sdk_kms::types::Tag;
use serde_json::Value;

fn creds() -> aws_sdk_kms::config::Credentials {
    aws_sdk_kms::config::Credentials::new("AKIAIOSFODNN7EXAMPLE", "x", None, None, "test")
}

/// The organisation (this account manages it) and two member accounts.
async fn organisation(moto: &Moto) -> (String, String) {
    let conf = aws_sdk_organizations::Config::builder()
        .behavior_version(aws_sdk_organizations::config::BehaviorVersion::latest())
        .region(aws_sdk_organizations::config::Region::new("us-east-1"))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(creds())
        .build();
    let org = aws_sdk_organizations::Client::from_conf(conf);
    org.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in ["dev", "prod"] {
        let r = org
            .create_account()
            .email(format!("{n}@example.com"))
            .account_name(n)
            .send()
            .await
            .unwrap();
        ids.push(
            r.create_account_status()
                .unwrap()
                .account_id()
                .unwrap()
                .to_string(),
        );
    }
    (ids[0].clone(), ids[1].clone())
}

/// A KMS client acting in `account`, through AssumeRole.
async fn kms_in(moto: &Moto, account: &str, region: &str) -> aws_sdk_kms::Client {
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url(&moto.endpoint)
            .credentials_provider(creds())
            .build(),
    );
    let c = sts
        .assume_role()
        .role_arn(format!(
            "arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
        ))
        .role_session_name("test")
        .send()
        .await
        .unwrap();
    let c = c.credentials().unwrap();
    let conf = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new(region.to_string()))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "test",
        ))
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

/// A Gearset key as byok tags it, with a policy that grants the vendor what it needs.
async fn gearset_key(kms: &aws_sdk_kms::Client, account: &str, alias: &str) -> String {
    let vendor = "arn:aws:iam::347752291521:root";
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            { "Sid": "Enable IAM User Permissions", "Effect": "Allow",
              "Principal": { "AWS": format!("arn:aws:iam::{account}:root") }, "Action": "kms:*", "Resource": "*" },
            { "Sid": "Allow use of the key", "Effect": "Allow", "Principal": { "AWS": vendor },
              "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*" },
            { "Sid": "Allow attachment of persistent resources", "Effect": "Allow", "Principal": { "AWS": vendor },
              "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*",
              "Condition": { "Bool": { "kms:GrantIsForAWSResource": "true" } } }
        ]
    });
    let mut req = kms.create_key().policy(policy.to_string());
    for (k, v) in [
        ("byok:managed-by", "byok"),
        ("byok:vendor", "gearset"),
        ("byok:alias", alias),
        ("byok:role", "primary"),
    ] {
        req = req.tags(Tag::builder().tag_key(k).tag_value(v).build().unwrap());
    }
    let m = req.send().await.unwrap();
    let m = m.key_metadata().unwrap();
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(m.key_id())
        .send()
        .await
        .unwrap();
    kms.enable_key_rotation()
        .key_id(m.key_id())
        .send()
        .await
        .unwrap();
    m.arn().unwrap().to_string()
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(out), stderr(out)))
}

#[tokio::test]
async fn every_account_of_the_organisation_with_one_refused() {
    let moto = Moto::start();
    let dir = TempDir::new("org");
    let (dev, prod) = organisation(&moto).await;
    let mine = gearset_key(&moto.kms("eu-west-1").await, ACCOUNT, "alias/mine").await;
    let dev_key = gearset_key(&kms_in(&moto, &dev, "eu-west-1").await, &dev, "alias/dev").await;
    // A disabled key in the dev account: broken for Gearset.
    let dev_kms = kms_in(&moto, &dev, "eu-west-1").await;
    let off = gearset_key(&dev_kms, &dev, "alias/dev-off").await;
    dev_kms
        .disable_key()
        .key_id(off.rsplit('/').next().unwrap())
        .send()
        .await
        .unwrap();
    gearset_key(
        &kms_in(&moto, &prod, "eu-west-1").await,
        &prod,
        "alias/prod",
    )
    .await;

    // The prod account's role refuses byok.
    let wire = proxy::Proxy::start(
        &moto.endpoint,
        proxy::Schedule {
            when_body: vec![("AssumeRole".into(), prod.clone(), proxy::Fault::DenyXml)],
            ..Default::default()
        },
    );
    let out = run(moto.byok_through(dir.path(), &wire.endpoint).args([
        "status",
        "--accounts",
        "org",
        "--region",
        "eu-west-1",
        "--output",
        "json",
    ]));
    let r = json_of(&out);
    schema::assert_schema(&r);
    // Broken: a disabled key (and an account that could not be read).
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let accounts = r["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 3, "{r:#}");
    assert_eq!(
        accounts[0]["account"], ACCOUNT,
        "the caller's account first"
    );
    assert_eq!(accounts[0]["access"], "caller");
    let by_id = |id: &str| accounts.iter().find(|a| a["account"] == id).unwrap();
    assert_eq!(by_id(&dev)["name"], "dev");
    assert_eq!(
        by_id(&dev)["access"],
        format!("arn:aws:iam::{dev}:role/OrganizationAccountAccessRole")
    );
    assert_eq!(by_id(&dev)["summary"]["ok"], 1);
    assert_eq!(by_id(&dev)["summary"]["broken"], 1);
    assert!(by_id(&dev)["error"].is_null());
    let refused = by_id(&prod);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("AssumeRole"),
        "{refused:#}"
    );
    assert_eq!(refused["summary"]["overall"], "needs-attention");
    // Every key has its account; the refused account's keys are not shown.
    let keys = r["keys"].as_array().unwrap();
    let arns: Vec<&str> = keys.iter().map(|k| k["arn"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), 3, "{arns:?}");
    assert!(arns.contains(&mine.as_str()) && arns.contains(&dev_key.as_str()));
    for k in keys {
        assert!(
            k["arn"]
                .as_str()
                .unwrap()
                .contains(&format!(":{}:", k["account"].as_str().unwrap()))
        );
    }
    for reg in r["regions"].as_array().unwrap() {
        assert!(reg["account"].is_string(), "{reg:#}");
    }
    // One AssumeRole per other account; the caller's own account is read directly.
    let assumed: Vec<String> = wire
        .log()
        .iter()
        .filter(|s| s.name() == "AssumeRole")
        .map(|s| s.body.clone())
        .collect();
    assert_eq!(assumed.len(), 2, "{assumed:?}");
    assert!(assumed.iter().all(|b| !b.contains(ACCOUNT)));

    // The text report: grouped by account, a summary line for each.
    let out = run(moto.byok_through(dir.path(), &wire.endpoint).args([
        "status",
        "--accounts",
        "org",
        "--region",
        "eu-west-1",
        "--output",
        "text",
    ]));
    let text = stdout(&out);
    let line = |id: &str| {
        text.lines()
            .position(|l| l.contains(&format!("Account {id}")))
            .unwrap_or_else(|| panic!("no line for {id}:\n{text}"))
    };
    assert!(line(ACCOUNT) < line(&dev), "{text}");
    assert!(
        text.lines().nth(line(&dev)).unwrap().contains("(dev)")
            && text.lines().nth(line(&dev)).unwrap().contains("1 OK"),
        "{text}"
    );
    assert!(
        text.lines()
            .nth(line(&prod))
            .unwrap()
            .contains("could not be read"),
        "{text}"
    );
    let dev_block = &text[text.find(&format!("Account {dev}")).unwrap()..];
    assert!(dev_block.contains("alias/dev-off"), "{text}");
    assert!(text.contains("3 account(s), 1 not readable"), "{text}");
}

#[tokio::test]
async fn a_list_of_accounts_with_a_role_and_external_id() {
    let moto = Moto::start();
    let dir = TempDir::new("org-list");
    let other = "210987654321";
    gearset_key(
        &kms_in(&moto, other, "eu-west-1").await,
        other,
        "alias/other",
    )
    .await;
    let wire = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    let out = run(moto.byok_through(dir.path(), &wire.endpoint).args([
        "status",
        "--accounts",
        &format!("{other},{ACCOUNT}"),
        "--role-name",
        "ByokStatusRead",
        "--role-external-id",
        "ticket-42",
        "--region",
        "eu-west-1",
        "--output",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = json_of(&out);
    schema::assert_schema(&r);
    assert_eq!(r["accounts"][0]["account"], ACCOUNT);
    assert_eq!(r["accounts"][1]["account"], other);
    assert!(r["accounts"][1]["name"].is_null());
    assert_eq!(r["keys"].as_array().unwrap().len(), 1);
    assert_eq!(r["keys"][0]["account"], other);
    let sent: Vec<String> = wire
        .log()
        .iter()
        .filter(|s| s.name() == "AssumeRole")
        .map(|s| s.body.clone())
        .collect();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].contains("RoleArn=arn%3Aaws%3Aiam%3A%3A210987654321%3Arole%2FByokStatusRead"),
        "{}",
        sent[0]
    );
    assert!(sent[0].contains("ExternalId=ticket-42"), "{}", sent[0]);
}

#[tokio::test]
async fn bad_input_is_refused_before_any_call() {
    let moto = Moto::start();
    let dir = TempDir::new("org-bad");
    let wire = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    for (args, says) in [
        (
            vec!["--accounts", "1234"],
            "is not a 12-digit AWS account ID",
        ),
        (
            vec!["--accounts", "org", "--role-name", "a b"],
            "Role (--role-name)",
        ),
        (vec!["--role-name", "Other"], "only with --accounts"),
        (
            vec!["--accounts", "org", "--role-external-id", "x"],
            "External ID",
        ),
        (
            vec![
                "--accounts",
                "org",
                "--key",
                "alias/x",
                "--disable",
                "--yes",
            ],
            "acts in one account",
        ),
    ] {
        let out = run(moto
            .byok_through(dir.path(), &wire.endpoint)
            .arg("status")
            .args(&args)
            .args(["--output", "json"]));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    assert!(wire.log().is_empty(), "a request was sent");
    // Not the management account of an organisation: said, with the way out.
    let out = run(moto.byok_through(dir.path(), &wire.endpoint).args([
        "status",
        "--accounts",
        "org",
        "--output",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("organizations:ListAccounts"),
        "{}",
        stderr(&out)
    );
}
