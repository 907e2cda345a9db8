//! Alerts against moto (EventBridge, SNS, CloudTrail and SQS are served): `byok status --key
//! KEY --alerts-email ADDRESS` makes the rule, the topic and the subscription, says plainly when
//! no trail logs management events, is idempotent and journalled; `status` shows "alerts: off
//! / no trail / on". The rule's own pattern is proved with PutEvents to an SQS target: it
//! matches the calls that break the vendor's access to this key, and nothing else.

mod common;
use common::*;
#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/schema.rs"]
mod schema;

use std::io::{Read, Write};

use serde_json::{Value, json};

fn creds() -> aws_sdk_kms::config::Credentials {
    aws_sdk_kms::config::Credentials::new("AKIAIOSFODNN7EXAMPLE", "x", None, None, "test")
}

macro_rules! client {
    ($krate:ident, $moto:expr, $region:expr) => {
        $krate::Client::from_conf(
            $krate::Config::builder()
                .behavior_version($krate::config::BehaviorVersion::latest())
                .region($krate::config::Region::new($region.to_string()))
                .endpoint_url(&$moto.endpoint)
                .credentials_provider(creds())
                .build(),
        )
    };
}

fn status(moto: &Moto, dir: &TempDir) -> Value {
    let out =
        run(moto
            .byok(dir.path())
            .args(["status", "--region", "eu-west-1", "--output", "json"]));
    let v: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    schema::assert_schema(&v);
    v
}

/// A bucket in moto's S3, for the trail (a plain PUT: moto does not check signatures).
fn make_bucket(moto: &Moto, name: &str) {
    let mut s = std::net::TcpStream::connect((MOTO_HOST, moto.port)).unwrap();
    write!(
        s,
        "PUT /{name} HTTP/1.1\r\nHost: {MOTO_HOST}:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        moto.port
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn alerts_are_set_up_once_checked_for_a_trail_and_match_the_right_calls() {
    let moto = Moto::start();
    let dir = TempDir::new("alerts");
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
    let id = arn.rsplit('/').next().unwrap().to_string();
    let alias = "alias/gearset-backup-byok";

    // Off before anything is set up.
    let r = status(&moto, &dir);
    assert_eq!(r["keys"][0]["alerts"]["state"], "off", "{r:#}");

    // Set up, with no trail: done, and said plainly.
    let wire = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    let record = dir.path().join("alerts.md");
    let out = run(moto.byok_through(dir.path(), &wire.endpoint).args([
        "status",
        "--key",
        &arn,
        "--alerts-email",
        "ops@example.com",
        "--yes",
        "--output",
        "text",
        "--record",
        record.to_str().unwrap(),
    ]));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("NO TRAIL in eu-west-1"), "{err}");
    assert!(err.contains("would never fire"), "{err}");
    assert!(err.contains("confirm"), "{err}");
    let sent: Vec<String> = wire.log().iter().map(|s| s.name().to_string()).collect();
    for call in [
        "CreateTopic",
        "SetTopicAttributes",
        "Subscribe",
        "PutRule",
        "PutTargets",
    ] {
        assert_eq!(
            sent.iter().filter(|s| *s == call).count(),
            1,
            "{call} in {sent:?}"
        );
    }
    let rec = std::fs::read_to_string(&record).unwrap();
    assert!(rec.contains("`events:PutRule`"), "{rec}");
    assert!(rec.contains("`sns:Subscribe`"), "{rec}");

    // What exists, through the AWS API.
    let events = client!(aws_sdk_eventbridge, moto, "eu-west-1");
    let sns = client!(aws_sdk_sns, moto, "eu-west-1");
    let rule_name = format!("byok-alerts-{id}");
    let rule = events
        .describe_rule()
        .name(&rule_name)
        .send()
        .await
        .unwrap();
    assert_eq!(rule.state().unwrap().as_str(), "ENABLED");
    let topic = format!("arn:aws:sns:eu-west-1:{ACCOUNT}:byok-key-alerts");
    let targets = events
        .list_targets_by_rule()
        .rule(&rule_name)
        .send()
        .await
        .unwrap();
    assert_eq!(targets.targets().len(), 1);
    assert_eq!(targets.targets()[0].arn(), topic);
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    assert_eq!(subs.subscriptions().len(), 1);
    assert_eq!(subs.subscriptions()[0].endpoint(), Some("ops@example.com"));
    let attrs = sns
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(&attrs.attributes().unwrap()["Policy"]).unwrap();
    assert!(
        policy.to_string().contains("events.amazonaws.com"),
        "{policy:#}"
    );
    // Journalled, before and after each create.
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert!(
        journal.contains(&format!(
            "\"arn\":\"arn:aws:events:eu-west-1:{ACCOUNT}:rule/{rule_name}\""
        )),
        "{journal}"
    );
    assert!(journal.contains("\"setup\":\"alerts/"), "{journal}");

    // Status: the rule is there, but no trail.
    let r = status(&moto, &dir);
    let a = &r["keys"][0]["alerts"];
    assert_eq!(a["state"], "no-trail", "{a:#}");
    assert!(a["detail"].as_str().unwrap().contains("never fire"));
    let text =
        run(moto
            .byok(dir.path())
            .args(["status", "--region", "eu-west-1", "--output", "text"]));
    assert!(
        stdout(&text).contains("Alerts          no trail"),
        "{}",
        stdout(&text)
    );

    // A trail that logs management events: on.
    make_bucket(&moto, "trail-bucket");
    let ct = client!(aws_sdk_cloudtrail, moto, "eu-west-1");
    ct.create_trail()
        .name("management")
        .s3_bucket_name("trail-bucket")
        .is_multi_region_trail(true)
        .send()
        .await
        .unwrap();
    ct.start_logging().name("management").send().await.unwrap();
    let r = status(&moto, &dir);
    assert_eq!(r["keys"][0]["alerts"]["state"], "on", "{r:#}");
    assert_eq!(r["keys"][0]["alerts"]["emails"], json!(["ops@example.com"]));

    // Again: nothing to change, nothing created.
    let before = wire.log().len();
    let out = run(moto.byok_through(dir.path(), &wire.endpoint).args([
        "status",
        "--key",
        &arn,
        "--alerts-email",
        "ops@example.com",
        "--yes",
        "--output",
        "text",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Nothing to change"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("Trail in eu-west-1"),
        "{}",
        stderr(&out)
    );
    let again: Vec<String> = wire.log()[before..]
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    for call in [
        "CreateTopic",
        "SetTopicAttributes",
        "Subscribe",
        "PutRule",
        "PutTargets",
    ] {
        assert!(
            !again.iter().any(|s| s == call),
            "{call} sent again: {again:?}"
        );
    }

    // The rule's own pattern, proved: its target becomes a queue (moto cannot deliver to
    // SNS from EventBridge), then the calls that break the vendor's access to this key are
    // put as CloudTrail events, with others that must not match.
    let sqs = client!(aws_sdk_sqs, moto, "eu-west-1");
    let q = sqs
        .create_queue()
        .queue_name("alerts")
        .send()
        .await
        .unwrap();
    let q = q.queue_url().unwrap().to_string();
    let q_arn = format!("arn:aws:sqs:eu-west-1:{ACCOUNT}:alerts");
    events
        .remove_targets()
        .rule(&rule_name)
        .ids("byok-key-alerts")
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(&rule_name)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(&q_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let cases: Vec<(&str, Value, bool)> = vec![
        ("DisableKey", json!({ "keyId": id }), true),
        ("DisableKey", json!({ "keyId": arn }), true),
        (
            "ScheduleKeyDeletion",
            json!({ "keyId": arn, "pendingWindowInDays": 7 }),
            true,
        ),
        (
            "PutKeyPolicy",
            json!({ "keyId": id, "policyName": "default" }),
            true,
        ),
        ("DeleteAlias", json!({ "aliasName": alias }), true),
        (
            "UpdateAlias",
            json!({ "aliasName": alias, "targetKeyId": "other" }),
            true,
        ),
        ("EnableKey", json!({ "keyId": id }), false),
        ("DisableKey", json!({ "keyId": "another-key" }), false),
        (
            "DeleteAlias",
            json!({ "aliasName": "alias/another" }),
            false,
        ),
        ("Decrypt", json!({ "keyId": arn }), false),
    ];
    for (i, (name, params, _)) in cases.iter().enumerate() {
        let detail = json!({
            "eventSource": "kms.amazonaws.com",
            "eventName": name,
            "requestParameters": params,
            "case": i,
        });
        let r = events
            .put_events()
            .entries(
                aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                    .source("aws.kms")
                    .detail_type("AWS API Call via CloudTrail")
                    .detail(detail.to_string())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.failed_entry_count(), 0);
    }
    let mut got = Vec::new();
    for _ in 0..5 {
        let m = sqs
            .receive_message()
            .queue_url(&q)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        if m.messages().is_empty() {
            break;
        }
        for msg in m.messages() {
            let body: Value = serde_json::from_str(msg.body().unwrap()).unwrap();
            got.push(body["detail"]["case"].as_u64().unwrap() as usize);
        }
    }
    got.sort();
    let want: Vec<usize> = cases
        .iter()
        .enumerate()
        .filter(|(_, c)| c.2)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(got, want, "the cases the rule matched");
}

#[tokio::test]
async fn bad_addresses_are_refused_before_any_call() {
    let moto = Moto::start();
    let dir = TempDir::new("alerts-bad");
    let wire = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    for (args, says) in [
        (
            vec![
                "--key",
                "alias/x",
                "--alerts-email",
                "not-an-address",
                "--yes",
            ],
            "not an email address",
        ),
        (
            vec!["--alerts-email", "ops@example.com", "--yes"],
            "add --key",
        ),
        (
            vec![
                "--key",
                "alias/x",
                "--alerts-email",
                "ops@example.com",
                "--disable",
                "--yes",
            ],
            "cannot be used with",
        ),
    ] {
        let out = run(moto
            .byok_through(dir.path(), &wire.endpoint)
            .arg("status")
            .args(&args)
            .args(["--output", "text"]));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    assert!(wire.log().is_empty());
}

#[tokio::test]
async fn create_sets_alerts_up_after_the_key_and_a_rerun_sends_nothing_new() {
    let moto = Moto::start();
    let dir = TempDir::new("alerts-create");
    let wire = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    let args = [
        "create",
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--regionality",
        "multi-region",
        "--alerts-email",
        "secops@example.com",
        "--yes",
    ];
    let out = run(moto.byok_through(dir.path(), &wire.endpoint).args(args));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("Mail secops@example.com when the key in eu-west-1"),
        "{err}"
    );
    assert!(
        err.contains("Mail secops@example.com when the key in eu-west-2"),
        "{err}"
    );
    assert!(err.contains("confirmation link"), "{err}");
    assert!(err.contains("NO TRAIL in eu-west-1"), "{err}");
    let arns: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(arns.len(), 2);
    // A rule per key, each in its Region, after the keys were verified.
    let log = wire.log();
    let names: Vec<&str> = log.iter().map(|s| s.name()).collect();
    let verify = names
        .iter()
        .rposition(|n| *n == "GetKeyRotationStatus")
        .unwrap();
    let first_rule = names.iter().position(|n| *n == "PutRule").unwrap();
    assert!(first_rule > verify, "{names:?}");
    assert_eq!(names.iter().filter(|n| **n == "PutRule").count(), 2);
    assert_eq!(names.iter().filter(|n| **n == "Subscribe").count(), 2);
    for (arn, region) in arns.iter().zip(["eu-west-1", "eu-west-2"]) {
        let id = arn.rsplit('/').next().unwrap();
        let events = client!(aws_sdk_eventbridge, moto, region);
        let rule = events
            .describe_rule()
            .name(format!("byok-alerts-{id}"))
            .send()
            .await
            .unwrap();
        let pattern: Value = serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
        assert_eq!(
            pattern["detail"]["$or"][1]["requestParameters"]["aliasName"],
            json!(["alias/camunda-saas-byok"]),
            "{pattern:#}"
        );
        assert!(pattern.to_string().contains(arn.as_str()));
    }

    // The same command again: the keys and the alerts are found, nothing is made.
    let before = wire.log().len();
    let out = run(moto
        .byok_through(dir.path(), &wire.endpoint)
        .args(args)
        .args(["--output", "json"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["alerts"]["email"], "secops@example.com");
    let steps = doc["alerts"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{doc:#}");
    assert!(
        steps[0].as_str().unwrap().starts_with("already set up"),
        "{doc:#}"
    );
    assert!(steps[0].as_str().unwrap().contains("NO TRAIL"), "{doc:#}");
    let again: Vec<String> = wire.log()[before..]
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    for call in [
        "CreateKey",
        "ReplicateKey",
        "CreateTopic",
        "Subscribe",
        "PutRule",
        "PutTargets",
    ] {
        assert!(
            !again.iter().any(|s| s == call),
            "{call} sent again: {again:?}"
        );
    }

    // The plan names the step and its calls.
    let out = run(moto.byok(dir.path()).args([
        "plan",
        "--vendor",
        "gearset",
        "--region",
        "eu-west-1",
        "--alerts-email",
        "secops@example.com",
        "--output",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let last = plan["steps"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["step"]["step"], "alerts", "{plan:#}");
    assert_eq!(last["step"]["email"], "secops@example.com");
    assert!(
        last["api_calls"]
            .as_array()
            .unwrap()
            .contains(&json!("events:PutRule"))
    );
    // A bad address is refused before anything, naming the flag.
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "gearset",
        "--region",
        "eu-west-1",
        "--alerts-email",
        "secops",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("Alerts (--alerts-email)"),
        "{}",
        stderr(&out)
    );
}
