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

use aws_config::Region;
use serde::Serialize;
use serde_json::{Value, json};

use crate::kms::KmsError;
use crate::kms::aws::{AwsKms, classify};

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

fn events(aws: &AwsKms, region: &str) -> aws_sdk_eventbridge::Client {
    let conf = aws_sdk_eventbridge::config::Builder::from(aws.sdk_config())
        .region(Region::new(region.to_string()))
        .build();
    aws_sdk_eventbridge::Client::from_conf(conf)
}

fn sns(aws: &AwsKms, region: &str) -> aws_sdk_sns::Client {
    let conf = aws_sdk_sns::config::Builder::from(aws.sdk_config())
        .region(Region::new(region.to_string()))
        .build();
    aws_sdk_sns::Client::from_conf(conf)
}

fn cloudtrail(aws: &AwsKms, region: &str) -> aws_sdk_cloudtrail::Client {
    let conf = aws_sdk_cloudtrail::config::Builder::from(aws.sdk_config())
        .region(Region::new(region.to_string()))
        .build();
    aws_sdk_cloudtrail::Client::from_conf(conf)
}

/// Whether a trail logs management write events (selectors as CloudTrail keeps them: none
/// means the default, every management event).
fn logs_management(
    basic: &[aws_sdk_cloudtrail::types::EventSelector],
    advanced: &[aws_sdk_cloudtrail::types::AdvancedEventSelector],
) -> bool {
    use aws_sdk_cloudtrail::types::ReadWriteType;
    if basic.is_empty() && advanced.is_empty() {
        return true;
    }
    let basic_ok = basic.iter().any(|s| {
        s.include_management_events().unwrap_or(true)
            && !matches!(s.read_write_type(), Some(ReadWriteType::ReadOnly))
            && !s
                .exclude_management_event_sources()
                .iter()
                .any(|x| x == "kms.amazonaws.com")
    });
    let advanced_ok = advanced.iter().any(|s| {
        let fs = s.field_selectors();
        let management = fs
            .iter()
            .any(|f| f.field() == "eventCategory" && f.equals().iter().any(|v| v == "Management"));
        let kms_out = fs.iter().any(|f| {
            f.field() == "eventSource"
                && (f.not_equals().iter().any(|v| v == "kms.amazonaws.com")
                    || (!f.equals().is_empty()
                        && !f.equals().iter().any(|v| v == "kms.amazonaws.com")))
        });
        let read_only = fs
            .iter()
            .any(|f| f.field() == "readOnly" && f.equals().iter().any(|v| v == "true"));
        management && !kms_out && !read_only
    });
    basic_ok || advanced_ok
}

/// Is there a trail logging management events in this Region (one of its own, a
/// multi-Region trail or an organisation trail)?
pub async fn trail_check(aws: &AwsKms, region: &str) -> Result<(bool, String), KmsError> {
    let ct = cloudtrail(aws, region);
    let trails = ct
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| classify("DescribeTrails", region, e))?;
    let mut notes = Vec::new();
    for t in trails.trail_list() {
        let name = t.trail_arn().or(t.name()).unwrap_or_default().to_string();
        let logging = match ct.get_trail_status().name(&name).send().await {
            Ok(s) => s.is_logging().unwrap_or(false),
            // A trail of the organisation's management account: its status is not ours to
            // read; Organizations keeps such trails logging.
            Err(_) if t.is_organization_trail() == Some(true) => true,
            Err(e) => {
                notes.push(format!("{name}: {}", classify("GetTrailStatus", region, e)));
                continue;
            }
        };
        if !logging {
            notes.push(format!("{name} is not logging"));
            continue;
        }
        let management = match ct.get_event_selectors().trail_name(&name).send().await {
            Ok(s) => logs_management(s.event_selectors(), s.advanced_event_selectors()),
            Err(_) if t.is_organization_trail() == Some(true) => true,
            Err(e) => {
                notes.push(format!(
                    "{name}: {}",
                    classify("GetEventSelectors", region, e)
                ));
                continue;
            }
        };
        if management {
            return Ok((true, format!("trail {name} logs management events")));
        }
        notes.push(format!("{name} does not log KMS management events"));
    }
    Ok((
        false,
        if notes.is_empty() {
            format!("no CloudTrail trail in {region}")
        } else {
            format!(
                "no trail logs KMS management events in {region} ({})",
                notes.join("; ")
            )
        },
    ))
}

/// Read byok's rules, their topics' subscriptions and the trail of one Region.
pub async fn read_region(aws: &AwsKms, region: &str) -> RegionAlerts {
    let mut out = RegionAlerts::default();
    let (rules, trail) = tokio::join!(read_rules(aws, region), trail_check(aws, region));
    match trail {
        Ok((t, note)) => {
            out.trail = Some(t);
            out.trail_note = note;
        }
        Err(e) => out.trail_note = format!("the trails could not be read: {e}"),
    }
    match rules {
        Ok((rules, subs)) => {
            out.rules = rules;
            out.subscriptions = subs;
        }
        Err(e) => out.error = Some(e.to_string()),
    }
    out
}

type Rules = HashMap<String, RuleInfo>;
type Subs = HashMap<String, Vec<(String, bool)>>;

async fn read_rules(aws: &AwsKms, region: &str) -> Result<(Rules, Subs), KmsError> {
    let ev = events(aws, region);
    let mut rules: Rules = HashMap::new();
    let mut token = None;
    loop {
        let page = ev
            .list_rules()
            .name_prefix(RULE_PREFIX)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("ListRules", region, e))?;
        for r in page.rules() {
            let Some(name) = r.name() else { continue };
            rules.insert(
                name.to_string(),
                RuleInfo {
                    arn: r.arn().unwrap_or_default().to_string(),
                    enabled: r.state().is_some_and(|s| s.as_str() == "ENABLED"),
                    pattern: r.event_pattern().map(str::to_string),
                    targets: vec![],
                },
            );
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let names: Vec<String> = rules.keys().cloned().collect();
    let futs = names.iter().map(|n| {
        let ev = ev.clone();
        async move {
            let t = ev
                .list_targets_by_rule()
                .rule(n)
                .send()
                .await
                .map_err(|e| classify("ListTargetsByRule", region, e))?;
            Ok::<_, KmsError>((
                n.clone(),
                t.targets()
                    .iter()
                    .map(|x| x.arn().to_string())
                    .collect::<Vec<_>>(),
            ))
        }
    });
    for r in futures_util::future::join_all(futs).await {
        let (n, targets) = r?;
        if let Some(x) = rules.get_mut(&n) {
            x.targets = targets;
        }
    }
    let mut topics: Vec<String> = rules
        .values()
        .flat_map(|r| r.targets.iter())
        .filter(|t| t.contains(":sns:"))
        .cloned()
        .collect();
    topics.sort();
    topics.dedup();
    let mut subs: Subs = HashMap::new();
    let client = sns(aws, region);
    for t in topics {
        subs.insert(t.clone(), subscriptions(&client, region, &t).await?);
    }
    Ok((rules, subs))
}

async fn subscriptions(
    client: &aws_sdk_sns::Client,
    region: &str,
    topic: &str,
) -> Result<Vec<(String, bool)>, KmsError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = match client
            .list_subscriptions_by_topic()
            .topic_arn(topic)
            .set_next_token(token)
            .send()
            .await
        {
            Ok(p) => p,
            Err(e) => {
                let e = classify("ListSubscriptionsByTopic", region, e);
                // The topic was deleted: no subscriptions.
                if matches!(e, KmsError::NotFound { .. }) || e.to_string().contains("NotFound") {
                    return Ok(out);
                }
                return Err(e);
            }
        };
        for s in page.subscriptions() {
            if s.protocol() != Some("email") && s.protocol() != Some("email-json") {
                continue;
            }
            let confirmed = s.subscription_arn().is_some_and(|a| a.starts_with("arn:"));
            out.push((s.endpoint().unwrap_or_default().to_string(), confirmed));
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
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

/// Fill in each key's alerts: one read per Region, all Regions at once.
pub async fn annotate(aws: &AwsKms, report: &mut crate::status::StatusReport) {
    let mut regions: Vec<String> = report
        .keys
        .iter()
        .filter(|k| k.state != "Deleted")
        .map(|k| k.region.clone())
        .collect();
    regions.sort();
    regions.dedup();
    let reads = futures_util::future::join_all(regions.iter().map(|r| read_region(aws, r))).await;
    let by_region: HashMap<&str, RegionAlerts> =
        regions.iter().map(String::as_str).zip(reads).collect();
    for k in &mut report.keys {
        if let Some(r) = by_region.get(k.region.as_str()) {
            k.alerts = Some(status_of(r, &k.region, &k.key_id));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Setting them up

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

/// Plan the alerts of these keys: reads only.
pub async fn plan(
    aws: &AwsKms,
    account: &str,
    partition: &str,
    keys: &[AlertKey],
    email: &str,
) -> Result<AlertPlan, KmsError> {
    let mut regions: Vec<String> = keys.iter().map(|k| k.region.clone()).collect();
    regions.sort();
    regions.dedup();
    let mut changes = Vec::new();
    let mut kept = Vec::new();
    let mut trails = Vec::new();
    for region in &regions {
        let have = read_region(aws, region).await;
        if let Some(e) = &have.error {
            return Err(KmsError::Service {
                code: "AlertsUnreadable".into(),
                message: e.clone(),
            });
        }
        trails.push((
            region.clone(),
            have.trail == Some(true),
            have.trail_note.clone(),
        ));
        let topic_arn = format!("arn:{partition}:sns:{region}:{account}:{TOPIC}");
        let subs = topic_subscriptions(aws, region, &topic_arn).await?;
        match &subs {
            None => changes.push(AlertChange {
                region: region.clone(),
                call: "sns:CreateTopic".into(),
                target: TOPIC.into(),
                what: "the topic the alerts are sent to (tagged byok:managed-by)".into(),
                document: None,
                key_id: String::new(),
            }),
            Some(_) => kept.push(format!("topic {topic_arn}")),
        }
        let policy = topic_policy(partition, region, account, &topic_arn).to_string();
        let current = match &subs {
            Some(_) => topic_policy_of(aws, region, &topic_arn).await?,
            None => None,
        };
        if current
            .as_deref()
            .and_then(|c| serde_json::from_str::<Value>(c).ok())
            != serde_json::from_str::<Value>(&policy).ok()
        {
            changes.push(AlertChange {
                region: region.clone(),
                call: "sns:SetTopicAttributes".into(),
                target: TOPIC.into(),
                what: "let EventBridge publish to it for byok's alert rules only".into(),
                document: Some(policy),
                key_id: String::new(),
            });
        }
        let subscribed = subs
            .as_ref()
            .and_then(|s| s.iter().find(|(e, _)| e.eq_ignore_ascii_case(email)));
        match subscribed {
            None => changes.push(AlertChange {
                region: region.clone(),
                call: "sns:Subscribe".into(),
                target: email.into(),
                what: "subscribe the address by email (AWS mails a confirmation link)".into(),
                document: None,
                key_id: String::new(),
            }),
            Some((_, true)) => kept.push(format!("{email} is subscribed in {region}")),
            Some((_, false)) => kept.push(format!(
                "{email} is subscribed in {region}, not confirmed yet: confirm it from the mail"
            )),
        }
        for k in keys.iter().filter(|k| &k.region == region) {
            let name = rule_name(&k.key_id);
            let want = pattern(&k.key_id, &k.arn, &k.aliases);
            let rule = have.rules.get(&name);
            let same = rule.is_some_and(|r| {
                r.enabled
                    && r.pattern
                        .as_deref()
                        .and_then(|p| serde_json::from_str::<Value>(p).ok())
                        .as_ref()
                        == Some(&want)
            });
            if same {
                kept.push(format!("rule {name}"));
            } else {
                changes.push(AlertChange {
                    region: region.clone(),
                    call: "events:PutRule".into(),
                    target: name.clone(),
                    what: format!(
                        "match {} on the key{}",
                        KEY_CALLS.join(", "),
                        if k.aliases.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " and {} on {}",
                                ALIAS_CALLS.join(", "),
                                k.aliases.join(", ")
                            )
                        }
                    ),
                    document: Some(serde_json::to_string_pretty(&want).unwrap_or_default()),
                    key_id: k.key_id.clone(),
                });
            }
            if rule.is_some_and(|r| r.targets.contains(&topic_arn)) {
                kept.push(format!("rule {name} sends to the topic"));
            } else {
                changes.push(AlertChange {
                    region: region.clone(),
                    call: "events:PutTargets".into(),
                    target: name.clone(),
                    what: format!("send what it matches to {TOPIC}"),
                    document: None,
                    key_id: k.key_id.clone(),
                });
            }
        }
    }
    Ok(AlertPlan {
        email: email.to_string(),
        keys: keys.to_vec(),
        changes,
        trails,
        kept,
    })
}

/// The topic's email subscriptions, or None when the topic does not exist.
async fn topic_subscriptions(
    aws: &AwsKms,
    region: &str,
    topic_arn: &str,
) -> Result<Option<Vec<(String, bool)>>, KmsError> {
    let client = sns(aws, region);
    match client
        .get_topic_attributes()
        .topic_arn(topic_arn)
        .send()
        .await
    {
        Ok(_) => Ok(Some(subscriptions(&client, region, topic_arn).await?)),
        Err(e) => {
            let e = classify("GetTopicAttributes", region, e);
            if matches!(e, KmsError::NotFound { .. }) || e.to_string().contains("NotFound") {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

async fn topic_policy_of(
    aws: &AwsKms,
    region: &str,
    topic_arn: &str,
) -> Result<Option<String>, KmsError> {
    let out = sns(aws, region)
        .get_topic_attributes()
        .topic_arn(topic_arn)
        .send()
        .await
        .map_err(|e| classify("GetTopicAttributes", region, e))?;
    Ok(out.attributes().and_then(|a| a.get("Policy").cloned()))
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

/// Plan and apply: for the executor (`KeyService::ensure_alerts`).
pub async fn ensure(
    aws: &AwsKms,
    account: &str,
    partition: &str,
    keys: &[AlertKey],
    email: &str,
    journal: &crate::journal::Journal,
) -> Result<AlertsOutcome, KmsError> {
    let p = plan(aws, account, partition, keys, email).await?;
    let results = apply(aws, account, partition, &p, journal).await;
    if let Some(bad) = results.iter().find(|r| !r.ok) {
        return Err(KmsError::Service {
            code: "AlertsRefused".into(),
            message: format!("{}: {}", bad.change, bad.error.clone().unwrap_or_default()),
        });
    }
    Ok(AlertsOutcome {
        trails: p.trails,
        subscribed: p.changes.iter().any(|c| c.call == "sns:Subscribe"),
        results,
        kept: p.kept,
    })
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

/// Send the planned changes in order, journalling each create before and after; stop at the
/// first refusal.
pub async fn apply(
    aws: &AwsKms,
    account: &str,
    partition: &str,
    plan: &AlertPlan,
    journal: &crate::journal::Journal,
) -> Vec<AlertResult> {
    use crate::journal::{Entry, Event};
    let mut out = Vec::new();
    for c in &plan.changes {
        let topic_arn = format!("arn:{partition}:sns:{}:{account}:{TOPIC}", c.region);
        let setup = format!("alerts/{account}/{}/{}", c.region, c.target);
        let creates = matches!(
            c.call.as_str(),
            "sns:CreateTopic" | "sns:Subscribe" | "events:PutRule"
        );
        let mut entry = Entry::new(&setup, Event::Intent);
        entry.region = Some(c.region.clone());
        if creates && let Err(e) = journal.record(&entry) {
            out.push(AlertResult {
                change: format!("{} {} in {}", c.call, c.target, c.region),
                ok: false,
                error: Some(format!("the journal could not be written: {e}")),
                arn: None,
            });
            break;
        }
        let r: Result<Option<String>, KmsError> = match c.call.as_str() {
            "sns:CreateTopic" => sns(aws, &c.region)
                .create_topic()
                .name(TOPIC)
                .tags(
                    aws_sdk_sns::types::Tag::builder()
                        .key(crate::plan::TAG_MANAGED_BY)
                        .value("byok")
                        .build()
                        .expect("key and value"),
                )
                .send()
                .await
                .map(|o| o.topic_arn().map(str::to_string))
                .map_err(|e| classify("CreateTopic", &c.region, e)),
            "sns:SetTopicAttributes" => sns(aws, &c.region)
                .set_topic_attributes()
                .topic_arn(&topic_arn)
                .attribute_name("Policy")
                .attribute_value(c.document.clone().unwrap_or_default())
                .send()
                .await
                .map(|_| Some(topic_arn.clone()))
                .map_err(|e| classify("SetTopicAttributes", &c.region, e)),
            "sns:Subscribe" => sns(aws, &c.region)
                .subscribe()
                .topic_arn(&topic_arn)
                .protocol("email")
                .endpoint(&plan.email)
                .return_subscription_arn(true)
                .send()
                .await
                .map(|o| o.subscription_arn().map(str::to_string))
                .map_err(|e| classify("Subscribe", &c.region, e)),
            "events:PutRule" => {
                let k = plan.keys.iter().find(|k| k.key_id == c.key_id);
                events(aws, &c.region)
                    .put_rule()
                    .name(&c.target)
                    .event_pattern(
                        k.map(|k| pattern(&k.key_id, &k.arn, &k.aliases).to_string())
                            .unwrap_or_default(),
                    )
                    .state(aws_sdk_eventbridge::types::RuleState::Enabled)
                    .description(format!(
                        "byok: mail when {} breaks the vendor's access",
                        k.map(|k| k.arn.as_str()).unwrap_or_default()
                    ))
                    .tags(
                        aws_sdk_eventbridge::types::Tag::builder()
                            .key(crate::plan::TAG_MANAGED_BY)
                            .value("byok")
                            .build()
                            .expect("key and value"),
                    )
                    .send()
                    .await
                    .map(|o| o.rule_arn().map(str::to_string))
                    .map_err(|e| classify("PutRule", &c.region, e))
            }
            "events:PutTargets" => {
                let target = aws_sdk_eventbridge::types::Target::builder()
                    .id(TARGET_ID)
                    .arn(&topic_arn)
                    .build()
                    .expect("id and arn");
                match events(aws, &c.region)
                    .put_targets()
                    .rule(&c.target)
                    .targets(target)
                    .send()
                    .await
                {
                    Ok(o) if o.failed_entry_count() > 0 => Err(KmsError::Service {
                        code: "PutTargetsFailed".into(),
                        message: o
                            .failed_entries()
                            .iter()
                            .filter_map(|f| f.error_message())
                            .collect::<Vec<_>>()
                            .join("; "),
                    }),
                    Ok(_) => Ok(None),
                    Err(e) => Err(classify("PutTargets", &c.region, e)),
                }
            }
            other => Err(KmsError::Service {
                code: "Unsupported".into(),
                message: format!("byok does not send {other}"),
            }),
        };
        let label = format!("{} {} in {}", c.call, c.target, c.region);
        match r {
            Ok(arn) => {
                if creates {
                    let mut done = Entry::new(&setup, Event::Created);
                    done.region = Some(c.region.clone());
                    done.arn = arn.clone();
                    let _ = journal.record(&done);
                }
                out.push(AlertResult {
                    change: label,
                    ok: true,
                    error: None,
                    arn,
                });
            }
            Err(e) => {
                out.push(AlertResult {
                    change: label,
                    ok: false,
                    error: Some(e.explain(None, "")),
                    arn: None,
                });
                break;
            }
        }
    }
    out
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
