//! The role in the customer's own account that a vendor assumes (a profile's
//! `customer_role`, MongoDB Atlas and CockroachDB Cloud): its ARN, its trust policy (the
//! vendor's principal, under the external ID the vendor gave), its own inline policy (only
//! the key byok creates) and its tags. Built deterministically, like the key policy.

use serde_json::{Value, json};

use crate::vendor::{CustomerRole, RoleStatement};

/// What a role setup needs besides the profile: the role's name and the external ID.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RoleAnswers {
    pub name: String,
    pub external_id: String,
}

/// The role's ARN in `account`.
pub fn role_arn(partition: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{name}")
}

/// The trust policy: the vendor's principal may assume the role, only with the external ID.
pub fn trust_policy(trusted: &str, external_id: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": trusted },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "sts:ExternalId": external_id } }
        }]
    })
}

/// The role's inline policy: each statement's actions on the keys' ARNs and nothing else.
/// `None` when the profile grants the role through the key policy only.
pub fn permission_policy(statements: &[RoleStatement], key_arns: &[String]) -> Option<Value> {
    if statements.is_empty() {
        return None;
    }
    let st: Vec<Value> = statements
        .iter()
        .map(|s| {
            json!({
                "Sid": s.sid,
                "Effect": "Allow",
                "Action": s.actions,
                "Resource": key_arns,
            })
        })
        .collect();
    Some(json!({ "Version": "2012-10-17", "Statement": st }))
}

/// The role's tags: byok's own, so a re-run recognises the role it made.
pub fn tags(vendor: &str, alias: &str) -> Vec<(String, String)> {
    // The keys' own tag names (plan's TAG_*), spelt here: the plan sits above this module.
    vec![
        ("byok:managed-by".into(), "byok".into()),
        ("byok:vendor".into(), vendor.into()),
        ("byok:alias".into(), alias.into()),
    ]
}

/// Whether a role's tags say byok made it for this vendor and alias.
pub fn is_ours(have: &[(String, String)], vendor: &str, alias: &str) -> bool {
    tags(vendor, alias).iter().all(|w| have.contains(w))
}

/// What is wrong with a role's trust and inline policies against the planned ones, in
/// words; empty when they match. Policies are compared as JSON values, so IAM's own
/// formatting (and its URL encoding, once decoded) does not matter.
pub fn differences(
    trust: &Value,
    want_trust: &Value,
    policy: Option<&Value>,
    want_policy: Option<&Value>,
) -> Vec<String> {
    let mut out = Vec::new();
    if normalize(trust) != normalize(want_trust) {
        out.push(format!(
            "its trust policy is not the planned one (it should let only {} assume it, with the external ID)",
            want_trust["Statement"][0]["Principal"]["AWS"]
                .as_str()
                .unwrap_or_default()
        ));
    }
    match (policy, want_policy) {
        (_, None) => {}
        (None, Some(_)) => out.push("its inline policy is missing".into()),
        (Some(p), Some(w)) if normalize(p) != normalize(w) => out.push(
            "its inline policy is not the planned one (the key's actions on the key's ARN)".into(),
        ),
        _ => {}
    }
    out
}

/// A policy with every one-element list written as its element, as IAM may return it.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Array(a) if a.len() == 1 => normalize(&a[0]),
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        _ => v.clone(),
    }
}

/// Problems of a role's own policy as byok would send it: only the keys' ARNs as Resource,
/// only `kms:` use actions (never `kms:*`, a key-management action, IAM or STS).
pub fn lint(policy: &Value, key_arns: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let Some(st) = policy.get("Statement").and_then(Value::as_array) else {
        return vec!["the role's policy has no Statement list".into()];
    };
    for s in st {
        let sid = s.get("Sid").and_then(Value::as_str).unwrap_or("(no Sid)");
        let res = crate::policy::resources(s);
        if res.is_empty() || res.iter().any(|r| !key_arns.iter().any(|k| k == r)) {
            out.push(format!(
                "statement {sid:?} of the role's policy must name only the key's ARNs as Resource"
            ));
        }
        for a in crate::policy::actions(s) {
            if let Some(p) = crate::policy::vendor_action_problem(a) {
                out.push(format!("statement {sid:?} of the role's policy: {p}"));
            }
        }
    }
    out
}

/// What a profile's role looks like for these answers: name, trust policy and policy
/// statements, for `byok vendors show` and the previews.
pub fn describe(role: &CustomerRole) -> String {
    format!(
        "a role {} in your account, trusted by the vendor's principal (--principal) with the external ID (--external-id, {})",
        role.name,
        role.external_id.pattern.describe()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_has_the_keys_tag_names() {
        let t = tags("v", "alias/a");
        assert_eq!(t[0].0, crate::plan::TAG_MANAGED_BY);
        assert_eq!(t[1].0, crate::plan::TAG_VENDOR);
        assert_eq!(t[2].0, crate::plan::TAG_ALIAS);
    }

    #[test]
    fn trust_names_the_vendor_and_the_external_id_only() {
        let t = trust_policy("arn:aws:iam::536727724300:root", "abc-1");
        assert_eq!(t["Statement"].as_array().unwrap().len(), 1);
        assert_eq!(
            t["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::536727724300:root"
        );
        assert_eq!(
            t["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            "abc-1"
        );
        assert_eq!(t["Statement"][0]["Action"], "sts:AssumeRole");
    }

    #[test]
    fn the_role_policy_names_only_the_key() {
        let st = vec![RoleStatement {
            sid: "UseTheKey".into(),
            actions: vec!["kms:Encrypt".into(), "kms:Decrypt".into()],
        }];
        let key = "arn:aws:kms:us-east-1:111122223333:key/k".to_string();
        let p = permission_policy(&st, std::slice::from_ref(&key)).unwrap();
        assert!(lint(&p, std::slice::from_ref(&key)).is_empty());
        assert!(!lint(&p, &["arn:aws:kms:us-east-1:111122223333:key/other".into()]).is_empty());
        let mut wide = p.clone();
        wide["Statement"][0]["Action"] = json!(["kms:*"]);
        assert!(!lint(&wide, std::slice::from_ref(&key)).is_empty());
        wide["Statement"][0]["Action"] = json!(["kms:PutKeyPolicy"]);
        assert!(!lint(&wide, std::slice::from_ref(&key)).is_empty());
        let mut star = p.clone();
        star["Statement"][0]["Resource"] = json!("*");
        assert!(!lint(&star, std::slice::from_ref(&key)).is_empty());
        assert_eq!(permission_policy(&[], &[key]), None);
    }

    #[test]
    fn differences_ignore_iam_list_folding() {
        let t = trust_policy("arn:aws:iam::536727724300:root", "x1");
        let mut folded = t.clone();
        folded["Statement"][0]["Principal"]["AWS"] = json!(["arn:aws:iam::536727724300:root"]);
        assert!(differences(&folded, &t, None, None).is_empty());
        let other = trust_policy("arn:aws:iam::999999999999:root", "x1");
        assert_eq!(differences(&other, &t, None, None).len(), 1);
        let p = json!({"Statement": []});
        assert_eq!(differences(&t, &t, None, Some(&p)).len(), 1);
    }
}
