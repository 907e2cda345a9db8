//! The alerts (`--alerts-email`, see `crate::alerts`) in each export: per key, in its Region,
//! the SNS topic with its policy and the email subscription, and the EventBridge rule with
//! the same pattern `byok create` puts, targeting the topic. An export cannot check for a
//! CloudTrail trail: each says that without one logging management events the alerts never
//! fire (the AWS CLI script checks and says so), and that the address must confirm.

use serde_json::{Map, Value, json};
use std::fmt::Write as _;

use super::{Block, hcl_string, tf_name, tf_provider};
use crate::alerts::{ALIAS_CALLS, KEY_CALLS, RULE_PREFIX, TARGET_ID, TOPIC};
use crate::plan::{KeyRole, Plan, PlannedKey, TAG_MANAGED_BY};

const TRAIL_NOTE: &str = "EventBridge sees these KMS calls only through a CloudTrail trail that logs management events: without one in the key's Region (or a multi-Region or organisation trail) these alerts never fire. AWS mails the address a confirmation link: nothing is sent until it is confirmed.";

fn hcl_list(items: &[&str]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| hcl_string(s, ""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Terraform: appended after the keys.
pub(super) fn terraform(plan: &Plan, account: Option<&str>, out: &mut String) {
    let Some(email) = &plan.answers.alerts_email else {
        return;
    };
    let q = |s: &str| hcl_string(s, "");
    let account_part = match account {
        Some(a) => a.to_string(),
        None => "${data.aws_caller_identity.current.account_id}".to_string(),
    };
    let partition = plan.answers.partition();
    out.push('\n');
    for line in TRAIL_NOTE.split(": ") {
        let _ = writeln!(out, "# {line}");
    }
    for key in &plan.keys {
        let role = &tf_name(plan, key);
        let kind = if key.role == KeyRole::Replica {
            "aws_kms_replica_key"
        } else {
            "aws_kms_key"
        };
        let name = format!("alerts_{role}");
        let with_provider = |b: Block| match tf_provider(plan, key) {
            Some(p) => b.attr("provider", p),
            None => b,
        };
        let topic = format!("aws_sns_topic.{name}.arn");
        out.push('\n');
        out.push_str(
            &with_provider(Block::new(format!("resource \"aws_sns_topic\" \"{name}\"")))
                .attr("name", q(TOPIC))
                .attr(
                    "tags",
                    format!("{{\n    {} = {}\n  }}", q(TAG_MANAGED_BY), q("byok")),
                )
                .render(0),
        );
        out.push('\n');
        let policy = format!(
            r#"jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid       = "AccountManagesTheTopic"
        Effect    = "Allow"
        Principal = {{ AWS = "arn:{partition}:iam::{account_part}:root" }}
        Action    = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish", "sns:DeleteTopic"]
        Resource  = {topic}
      }},
      {{
        Sid       = "ByokAlertRulesPublish"
        Effect    = "Allow"
        Principal = {{ Service = "events.amazonaws.com" }}
        Action    = "sns:Publish"
        Resource  = {topic}
        Condition = {{ ArnLike = {{ "aws:SourceArn" = "arn:{partition}:events:{region}:{account_part}:rule/{RULE_PREFIX}*" }} }}
      }}
    ]
  }})"#,
            region = key.region
        );
        out.push_str(
            &with_provider(Block::new(format!(
                "resource \"aws_sns_topic_policy\" \"{name}\""
            )))
            .attr("arn", topic.clone())
            .attr("policy", policy)
            .render(0),
        );
        out.push('\n');
        out.push_str(
            &with_provider(Block::new(format!(
                "resource \"aws_sns_topic_subscription\" \"{name}\""
            )))
            .attr("topic_arn", topic.clone())
            .attr("protocol", q("email"))
            .attr("endpoint", q(email))
            .render(0),
        );
        out.push('\n');
        let pattern = format!(
            r#"jsonencode({{
    source        = ["aws.kms"]
    "detail-type" = ["AWS API Call via CloudTrail"]
    detail = {{
      eventSource = ["kms.amazonaws.com"]
      "$or" = [
        {{ eventName = {key_calls}, requestParameters = {{ keyId = [{kind}.{role}.key_id, {kind}.{role}.arn] }} }},
        {{ eventName = {alias_calls}, requestParameters = {{ aliasName = [{alias}] }} }}
      ]
    }}
  }})"#,
            key_calls = hcl_list(KEY_CALLS),
            alias_calls = hcl_list(ALIAS_CALLS),
            alias = q(&key.alias),
        );
        out.push_str(
            &with_provider(Block::new(format!(
                "resource \"aws_cloudwatch_event_rule\" \"{name}\""
            )))
            .attr(
                "name",
                format!("\"{RULE_PREFIX}${{{kind}.{role}.key_id}}\""),
            )
            .attr(
                "description",
                q(&format!(
                    "byok: mail when the {role} key {} is disabled, scheduled for deletion, re-policied or unaliased",
                    key.alias
                )),
            )
            .attr("event_pattern", pattern)
            .render(0),
        );
        out.push('\n');
        out.push_str(
            &with_provider(Block::new(format!(
                "resource \"aws_cloudwatch_event_target\" \"{name}\""
            )))
            .attr("rule", format!("aws_cloudwatch_event_rule.{name}.name"))
            .attr("target_id", q(TARGET_ID))
            .attr("arn", topic)
            .render(0),
        );
    }
}

/// CloudFormation: added to each key's template.
pub(super) fn cloudformation(
    plan: &Plan,
    key: &PlannedKey,
    resource: &str,
    resources: &mut Map<String, Value>,
) {
    let Some(email) = &plan.answers.alerts_email else {
        return;
    };
    resources.insert(
        "AlertsTopic".into(),
        json!({
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": TOPIC,
                "Tags": [{ "Key": TAG_MANAGED_BY, "Value": "byok" }]
            }
        }),
    );
    resources.insert(
        "AlertsTopicPolicy".into(),
        json!({
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{ "Ref": "AlertsTopic" }],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountManagesTheTopic",
                            "Effect": "Allow",
                            "Principal": { "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" } },
                            "Action": ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe",
                                       "sns:ListSubscriptionsByTopic", "sns:Publish", "sns:DeleteTopic"],
                            "Resource": { "Ref": "AlertsTopic" }
                        },
                        {
                            "Sid": "ByokAlertRulesPublish",
                            "Effect": "Allow",
                            "Principal": { "Service": "events.amazonaws.com" },
                            "Action": "sns:Publish",
                            "Resource": { "Ref": "AlertsTopic" },
                            "Condition": { "ArnLike": { "aws:SourceArn": {
                                "Fn::Sub": format!("arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/{RULE_PREFIX}*")
                            } } }
                        }
                    ]
                }
            }
        }),
    );
    resources.insert(
        "AlertsSubscription".into(),
        json!({
            "Type": "AWS::SNS::Subscription",
            "Properties": { "TopicArn": { "Ref": "AlertsTopic" }, "Protocol": "email", "Endpoint": email }
        }),
    );
    resources.insert(
        "AlertsRule".into(),
        json!({
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Name": { "Fn::Sub": format!("{RULE_PREFIX}${{{resource}}}") },
                "Description": format!("byok: mail when the {} key {} is disabled, scheduled for deletion, re-policied or unaliased. {TRAIL_NOTE}", key.role.as_str(), key.alias).chars().take(512).collect::<String>(),
                "State": "ENABLED",
                "EventPattern": {
                    "source": ["aws.kms"],
                    "detail-type": ["AWS API Call via CloudTrail"],
                    "detail": {
                        "eventSource": ["kms.amazonaws.com"],
                        "$or": [
                            { "eventName": KEY_CALLS, "requestParameters": { "keyId": [{ "Ref": resource }, { "Fn::GetAtt": [resource, "Arn"] }] } },
                            { "eventName": ALIAS_CALLS, "requestParameters": { "aliasName": [key.alias] } }
                        ]
                    }
                },
                "Targets": [{ "Id": TARGET_ID, "Arn": { "Ref": "AlertsTopic" } }]
            }
        }),
    );
}

/// The AWS CLI script: the function (with the script's others) and one call per key, after
/// the keys exist.
pub(super) fn aws_cli(plan: &Plan, keys: &[(String, String)], s: &mut String) {
    let Some(email) = &plan.answers.alerts_email else {
        return;
    };
    let _ = writeln!(s, "\n# Alerts to {email}. {TRAIL_NOTE}");
    let _ = writeln!(s, "ALERTS_EMAIL={}", crate::sanitize::shell_word(email));
    let _ = writeln!(s, "PARTITION={}", plan.answers.partition());
    s.push_str(
        &SCRIPT_ALERTS
            .replace("__KEY_CALLS__", &quoted(KEY_CALLS))
            .replace("__ALIAS_CALLS__", &quoted(ALIAS_CALLS)),
    );
    for (_, up) in keys {
        // A replica has its primary's key ID.
        let id = if up.starts_with("REPLICA") {
            "PRIMARY"
        } else {
            up
        };
        let _ = writeln!(
            s,
            "ensure_alerts \"${up}_REGION\" \"${id}_ID\" \"${up}_ARN\" \"${up}_ALIAS\""
        );
    }
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(",")
}

const SCRIPT_ALERTS: &str = r#"
# The EventBridge rule of one key, to the Region's SNS topic, with the address subscribed.
ensure_alerts() {
  local region=$1 id=$2 arn=$3 alias=$4 topic policy pattern subs trails
  topic=$(aws sns create-topic --region "$region" --name byok-key-alerts \
    --tags Key=byok:managed-by,Value=byok --query TopicArn --output text)
  policy=$(printf '{"Version":"2012-10-17","Statement":[{"Sid":"AccountManagesTheTopic","Effect":"Allow","Principal":{"AWS":"arn:%s:iam::%s:root"},"Action":["sns:GetTopicAttributes","sns:SetTopicAttributes","sns:Subscribe","sns:ListSubscriptionsByTopic","sns:Publish","sns:DeleteTopic"],"Resource":"%s"},{"Sid":"ByokAlertRulesPublish","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"%s","Condition":{"ArnLike":{"aws:SourceArn":"arn:%s:events:%s:%s:rule/byok-alerts-*"}}}]}' \
    "$PARTITION" "$ACCOUNT" "$topic" "$topic" "$PARTITION" "$region" "$ACCOUNT")
  aws sns set-topic-attributes --region "$region" --topic-arn "$topic" \
    --attribute-name Policy --attribute-value "$policy"
  subs=$(aws sns list-subscriptions-by-topic --region "$region" --topic-arn "$topic" \
    --query "Subscriptions[?Protocol=='email'].Endpoint" --output text)
  if ! grep -qixF -- "$ALERTS_EMAIL" <<<"${subs//$'\t'/$'\n'}"; then
    aws sns subscribe --region "$region" --topic-arn "$topic" --protocol email \
      --notification-endpoint "$ALERTS_EMAIL" >/dev/null
    say "AWS mailed $ALERTS_EMAIL a confirmation link: no alert is sent until it is confirmed."
  fi
  pattern=$(printf '{"source":["aws.kms"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["kms.amazonaws.com"],"$or":[{"eventName":[__KEY_CALLS__],"requestParameters":{"keyId":["%s","%s"]}},{"eventName":[__ALIAS_CALLS__],"requestParameters":{"aliasName":["%s"]}}]}}' \
    "$id" "$arn" "$alias")
  aws events put-rule --region "$region" --name "byok-alerts-$id" --event-pattern "$pattern" \
    --state ENABLED --description "byok: mail when $alias is disabled, scheduled for deletion, re-policied or unaliased" >/dev/null
  aws events put-targets --region "$region" --rule "byok-alerts-$id" \
    --targets "Id=byok-key-alerts,Arn=$topic" >/dev/null
  trails=$(aws cloudtrail describe-trails --region "$region" --include-shadow-trails \
    --query 'length(trailList)' --output text)
  if [ "$trails" = 0 ]; then
    say "NO TRAIL in $region: EventBridge sees KMS calls only through a CloudTrail trail that logs management events, so these alerts would never fire."
  fi
  say "Alerts on $arn go to $ALERTS_EMAIL"
}
"#;
