//! The alerts' AWS side: reading a Region's rules, topics, subscriptions and trails, and
//! setting them up (idempotent, journalled), over the same SDK configuration as KMS. What they
//! are (the pattern, the topic policy, the states and plans) is `crate::alerts`.

use std::collections::HashMap;

use aws_config::Region;
use serde_json::Value;

use crate::alerts::*;
use crate::kms::KmsError;
use crate::kms::aws::{AwsKms, classify};

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
