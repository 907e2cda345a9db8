//! Alerts: an email when someone breaks the vendor's access to a key.
//!
//! For each key, in its Region, an EventBridge rule `byok-alerts-<key ID>` matches the KMS
//! calls that stop a vendor's service (DisableKey, ScheduleKeyDeletion, PutKeyPolicy on the
//! key; DeleteAlias and UpdateAlias on its aliases; for a Multi-Region set every key of the
//! set has its rule, so deleting a replica is caught in the replica's Region) and sends them
//! to the SNS topic `byok-key-alerts` of that Region, to which the address is subscribed (the
//! subscription must be confirmed from the mail AWS sends). EventBridge sees these calls only
//! through a CloudTrail trail that logs management events: without one the rule never fires,
//! and byok says so.
//!
//! Setting it up is idempotent: each resource is looked up first and only what is missing or
//! different is sent; every create is journalled before and after, like a key.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};

/// The SNS topic of each Region.
pub const TOPIC: &str = "byok-key-alerts";
/// Rules are named this, then the key ID.
pub const RULE_PREFIX: &str = "byok-alerts-";
/// The calls on a key that break the vendor's access.
pub const KEY_CALLS: &[&str] = &["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"];
/// The calls on an alias that break it (the vendor was given the alias, or reads it).
pub const ALIAS_CALLS: &[&str] = &["DeleteAlias", "UpdateAlias"];
/// The target ID byok gives the topic on its rules.
pub const TARGET_ID: &str = "byok-key-alerts";

/// The permissions the alerts need, in the README's words.
pub const CALLS: &[&str] = &[
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "sns:CreateTopic",
    "sns:GetTopicAttributes",
    "sns:SetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:Subscribe",
    "events:ListRules",
    "events:DescribeRule",
    "events:PutRule",
    "events:ListTargetsByRule",
    "events:PutTargets",
];

pub fn rule_name(key_id: &str) -> String {
    format!("{RULE_PREFIX}{key_id}")
}

/// An email address as SNS takes it: one plain line, `local@domain.tld`, at most 254.
pub fn check_email(v: &str) -> Result<(), String> {
    let bad = || {
        Err(format!(
            "Alerts (--alerts-email): {:?} is not an email address (name@example.com)",
            crate::sanitize::line(v)
        ))
    };
    if v.len() > 254 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad();
    }
    let Some((local, domain)) = v.split_once('@') else {
        return bad();
    };
    // A plain address only: these characters are safe in JSON, a shell word, HCL and the
    // exports' templates without escaping.
    if local.is_empty()
        || !local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || !domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        || !v.is_ascii()
    {
        return bad();
    }
    Ok(())
}

/// The EventBridge pattern for one key: its ID and ARN in the key calls, its aliases in
/// the alias calls.
pub fn pattern(key_id: &str, arn: &str, aliases: &[String]) -> Value {
    let mut any = vec![json!({
        "eventName": KEY_CALLS,
        "requestParameters": { "keyId": [key_id, arn] }
    })];
    if !aliases.is_empty() {
        any.push(json!({
            "eventName": ALIAS_CALLS,
            "requestParameters": { "aliasName": aliases }
        }));
    }
    json!({
        "source": ["aws.kms"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["kms.amazonaws.com"],
            "$or": any
        }
    })
}

/// The topic's policy: the account manages it; EventBridge may publish to it for byok's
/// rules of this account only.
pub fn topic_policy(partition: &str, region: &str, account: &str, topic_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountManagesTheTopic",
                "Effect": "Allow",
                "Principal": { "AWS": format!("arn:{partition}:iam::{account}:root") },
                "Action": ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe",
                           "sns:ListSubscriptionsByTopic", "sns:Publish", "sns:DeleteTopic"],
                "Resource": topic_arn
            },
            {
                "Sid": "ByokAlertRulesPublish",
                "Effect": "Allow",
                "Principal": { "Service": "events.amazonaws.com" },
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": { "ArnLike": { "aws:SourceArn":
                    format!("arn:{partition}:events:{region}:{account}:rule/{RULE_PREFIX}*") } }
            }
        ]
    })
}

// ---------------------------------------------------------------------------------------
// What is there

/// How a key's alerts stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertState {
    /// The rule is enabled, sends to the topic, an address is subscribed and confirmed, and
    /// a trail logs management events.
    On,
    /// No rule for this key.
    Off,
    /// A rule, but not everything behind it (disabled, no target, no or unconfirmed
    /// subscription).
    Partly,
    /// A rule, but no CloudTrail trail logs management events here: it would never fire.
    NoTrail,
    /// Could not be read (permissions).
    Unknown,
}

impl AlertState {
    pub fn label(self) -> &'static str {
        match self {
            AlertState::On => "on",
            AlertState::Off => "off",
            AlertState::Partly => "partly",
            AlertState::NoTrail => "no trail",
            AlertState::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertsStatus {
    pub state: AlertState,
    /// What is missing, in words ("the subscription of ops@example.com is not confirmed").
    pub detail: String,
    pub rule_arn: Option<String>,
    pub topic_arn: Option<String>,
    /// Subscribed addresses, with " (not confirmed)" when pending.
    pub emails: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RuleInfo {
    pub arn: String,
    pub enabled: bool,
    pub pattern: Option<String>,
    pub targets: Vec<String>,
}

/// What a Region holds: byok's rules, the subscriptions of the topics they target, and
/// whether a trail logs management events.
#[derive(Debug, Clone, Default)]
pub struct RegionAlerts {
    pub rules: HashMap<String, RuleInfo>,
    /// topic ARN -> (email, confirmed)
    pub subscriptions: HashMap<String, Vec<(String, bool)>>,
    /// Some(true): a trail logs management events; Some(false): none does; None: unknown.
    pub trail: Option<bool>,
    /// Why the Region's alerts could not be read.
    pub error: Option<String>,
    /// The trail found, or why none counts.
    pub trail_note: String,
}

/// A key's alerts, from what its Region holds.
pub fn status_of(r: &RegionAlerts, region: &str, key_id: &str) -> AlertsStatus {
    let unknown = |detail: String| AlertsStatus {
        state: AlertState::Unknown,
        detail,
        rule_arn: None,
        topic_arn: None,
        emails: vec![],
    };
    if let Some(e) = &r.error {
        return unknown(format!("byok could not read the alert rules: {e}"));
    }
    let Some(rule) = r.rules.get(&rule_name(key_id)) else {
        return AlertsStatus {
            state: AlertState::Off,
            detail: "no alert rule for this key (byok status --key KEY --alerts-email ADDRESS)"
                .into(),
            rule_arn: None,
            topic_arn: None,
            emails: vec![],
        };
    };
    let topic = rule.targets.iter().find(|t| t.contains(":sns:")).cloned();
    let subs = topic
        .as_ref()
        .and_then(|t| r.subscriptions.get(t))
        .cloned()
        .unwrap_or_default();
    let emails: Vec<String> = subs
        .iter()
        .map(|(e, ok)| {
            if *ok {
                e.clone()
            } else {
                format!("{e} (not confirmed)")
            }
        })
        .collect();
    let mut missing = Vec::new();
    if !rule.enabled {
        missing.push("the rule is disabled".to_string());
    }
    if topic.is_none() {
        missing.push("the rule sends to no SNS topic".to_string());
    } else if subs.is_empty() {
        missing.push("nobody is subscribed to the topic".to_string());
    } else if !subs.iter().any(|(_, ok)| *ok) {
        missing.push(
            "the subscription is not confirmed yet: open the mail from AWS Notifications and confirm it"
                .to_string(),
        );
    }
    let (state, detail) = match r.trail {
        Some(false) => (
            AlertState::NoTrail,
            format!(
                "{}: EventBridge sees KMS calls only through a trail, so these alerts would never fire. Create a trail that logs management events in {region} (or a multi-Region one)",
                r.trail_note
            ),
        ),
        _ if !missing.is_empty() => (AlertState::Partly, missing.join("; ")),
        None => (
            AlertState::Unknown,
            format!("the rule is set up, but {}", r.trail_note),
        ),
        Some(true) => (AlertState::On, r.trail_note.clone()),
    };
    AlertsStatus {
        state,
        detail,
        rule_arn: Some(rule.arn.clone()),
        topic_arn: topic,
        emails,
    }
}

/// One key of the set to alert on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertKey {
    pub region: String,
    pub arn: String,
    pub key_id: String,
    pub aliases: Vec<String>,
}

/// One call of the alerts' setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertChange {
    pub region: String,
    /// `sns:CreateTopic`, `events:PutRule`, ...
    pub call: String,
    /// What it is about: the topic, the rule, the address.
    pub target: String,
    /// What it does, in words.
    pub what: String,
    /// For PutRule: the pattern; for SetTopicAttributes: the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    #[serde(skip)]
    pub key_id: String,
}

/// What setting alerts up will do, shown before asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertPlan {
    pub email: String,
    pub keys: Vec<AlertKey>,
    pub changes: Vec<AlertChange>,
    /// Per Region: the trail found, or the warning that alerts would never fire.
    pub trails: Vec<(String, bool, String)>,
    /// Already in place.
    pub kept: Vec<String>,
}

impl AlertPlan {
    pub fn render_text(&self) -> String {
        let mut o = format!("Alerts to {} on:\n", crate::sanitize::line(&self.email));
        for k in &self.keys {
            o.push_str(&format!("  {} ({})\n", k.arn, k.region));
        }
        for c in &self.changes {
            o.push_str(&format!(
                "  - {} {} in {}: {}\n",
                c.call,
                crate::sanitize::line(&c.target),
                c.region,
                crate::sanitize::line(&c.what)
            ));
        }
        for k in &self.kept {
            o.push_str(&format!("  = {}\n", crate::sanitize::line(k)));
        }
        for (region, ok, note) in &self.trails {
            if *ok {
                o.push_str(&format!(
                    "  Trail in {region}: {}\n",
                    crate::sanitize::line(note)
                ));
            } else {
                o.push_str(&format!(
                    "  ! NO TRAIL in {region}: {}. EventBridge sees KMS calls only through a CloudTrail trail that logs management events: without one these alerts would never fire.\n",
                    crate::sanitize::line(note)
                ));
            }
        }
        o.push_str(
            "  AWS mails the address a confirmation link: no alert is sent until it is confirmed.\n",
        );
        o
    }
}

/// What setting alerts up did (`byok create --alerts-email`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct AlertsOutcome {
    /// Per Region: a trail logs management events, and what was found.
    pub trails: Vec<(String, bool, String)>,
    pub results: Vec<AlertResult>,
    /// What was already in place.
    pub kept: Vec<String>,
    /// The address was subscribed now: AWS mailed it a confirmation link.
    pub subscribed: bool,
}

impl AlertsOutcome {
    /// One line for the progress: what was done, the subscription to confirm, no trail.
    pub fn note(&self, email: &str) -> String {
        let mut parts = vec![if self.results.is_empty() {
            "already set up".to_string()
        } else {
            format!("{} change(s)", self.results.len())
        }];
        if self.subscribed {
            parts.push(format!(
                "AWS mailed {email} a confirmation link: nothing is sent until it is confirmed"
            ));
        }
        for (region, ok, note) in &self.trails {
            if !ok {
                parts.push(format!(
                    "NO TRAIL in {region} ({note}): EventBridge sees KMS calls only through a CloudTrail trail that logs management events, so these alerts would never fire"
                ));
            }
        }
        parts.join("; ")
    }
}

/// The outcome of one change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertResult {
    pub change: String,
    pub ok: bool,
    pub error: Option<String>,
    /// The ARN made or updated (topic, rule, subscription).
    pub arn: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(check_email("ops@example.com").is_ok());
        assert!(check_email("a.b+kms@sub.example.co.uk").is_ok());
        for bad in [
            "",
            "ops",
            "ops@",
            "@example.com",
            "ops@example",
            "o ps@example.com",
            "ops@exa mple.com",
            "ops@example.com\n",
            "ops@@example.com",
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_pattern_names_the_key_and_its_aliases() {
        let p = pattern(
            "k1",
            "arn:aws:kms:eu-west-1:111122223333:key/k1",
            &["alias/a".into()],
        );
        assert_eq!(p["source"], json!(["aws.kms"]));
        let any = p["detail"]["$or"].as_array().unwrap();
        assert_eq!(any[0]["eventName"], json!(KEY_CALLS));
        assert_eq!(
            any[0]["requestParameters"]["keyId"],
            json!(["k1", "arn:aws:kms:eu-west-1:111122223333:key/k1"])
        );
        assert_eq!(any[1]["requestParameters"]["aliasName"], json!(["alias/a"]));
        assert_eq!(
            pattern("k1", "a", &[])["detail"]["$or"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn states() {
        let mut r = RegionAlerts {
            trail: Some(true),
            trail_note: "trail t".into(),
            ..Default::default()
        };
        assert_eq!(status_of(&r, "eu-west-1", "k").state, AlertState::Off);
        r.rules.insert(
            rule_name("k"),
            RuleInfo {
                arn: "arn:rule".into(),
                enabled: true,
                pattern: None,
                targets: vec!["arn:aws:sns:eu-west-1:1:byok-key-alerts".into()],
            },
        );
        r.subscriptions.insert(
            "arn:aws:sns:eu-west-1:1:byok-key-alerts".into(),
            vec![("ops@example.com".into(), false)],
        );
        let s = status_of(&r, "eu-west-1", "k");
        assert_eq!(s.state, AlertState::Partly);
        assert!(s.detail.contains("not confirmed"), "{}", s.detail);
        r.subscriptions
            .get_mut("arn:aws:sns:eu-west-1:1:byok-key-alerts")
            .unwrap()[0]
            .1 = true;
        assert_eq!(status_of(&r, "eu-west-1", "k").state, AlertState::On);
        r.trail = Some(false);
        let s = status_of(&r, "eu-west-1", "k");
        assert_eq!(s.state, AlertState::NoTrail);
        assert!(s.detail.contains("never fire"));
    }
}
