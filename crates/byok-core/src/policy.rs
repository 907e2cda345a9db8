//! The key policy: built deterministically from the answers, then linted; and the rules a
//! vendor profile's statements are checked against.
//!
//! Statement order: account root (what prevents lockout), administrators (when chosen),
//! then the vendor's statements from its profile. Key order inside a statement is fixed
//! (Sid, Effect, Principal, Action, Resource, Condition), so the same answers always give
//! the same bytes.

use serde_json::{Map, Value, json};

pub const ADMIN_SID: &str = "Allow access for Key Administrators";
/// KMS refuses key policies over this many bytes.
pub const MAX_POLICY_BYTES: usize = 32768;

/// The console's key-administrator actions, in the console's order.
pub const ADMIN_ACTIONS: &[&str] = &[
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:RotateKeyOnDemand",
];
pub const ADMIN_DELETE_ACTIONS: &[&str] = &["kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"];
pub const ADMIN_MULTI_REGION_ACTIONS: &[&str] = &["kms:ReplicateKey", "kms:UpdatePrimaryRegion"];

/// Actions that manage the key rather than use it: a vendor must never get one.
const MANAGEMENT_ACTIONS: &[&str] = &[
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKeyRotation",
    "kms:RotateKeyOnDemand",
    "kms:UpdateKeyDescription",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:UpdateAlias",
    "kms:ReplicateKey",
    "kms:UpdatePrimaryRegion",
    "kms:ImportKeyMaterial",
    "kms:DeleteImportedKeyMaterial",
    "kms:CreateKey",
];

/// IAM-style wildcard match (`*` and `?`), case-insensitive as IAM action names are.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

/// Why a vendor may not be granted this action, if it may not.
pub fn vendor_action_problem(action: &str) -> Option<String> {
    if action == "*" || action.ends_with(":*") {
        return Some(format!(
            "{action:?} grants every action: list the kms: actions the vendor needs"
        ));
    }
    if !action.to_ascii_lowercase().starts_with("kms:") || action.len() <= 4 {
        return Some(format!("{action:?} is not a kms: action"));
    }
    MANAGEMENT_ACTIONS
        .iter()
        .find(|m| action_matches(action, m))
        .map(|m| {
            format!("{action:?} would let the vendor manage the key ({m}): a vendor only uses it")
        })
}

/// What a key policy is made of. The answers give it (`From<&Answers>`, in answers.rs): this
/// module names neither the answers nor the vendor profiles, so that both can use its rules.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    /// The partition of the key's Region (`aws`, `aws-cn`...).
    pub partition: &'a str,
    /// The Sid of the statement that gives the account root the key.
    pub root_sid: &'a str,
    pub admins: &'a [String],
    pub admins_can_delete: bool,
    pub multi_region: bool,
    /// The vendor's principal, granted each of `grants`.
    pub principal: &'a str,
    /// The role in the customer's account that the vendor assumes: when given, `grants`
    /// name that role (in the account the policy is built for) instead of `principal`.
    pub role_name: Option<&'a str>,
    pub grants: Vec<Grant<'a>>,
}

/// One of the vendor's statements: its Sid, its actions and its Condition.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    pub sid: &'a str,
    pub actions: &'a [String],
    /// The profile's condition, with the customer's values filled in.
    pub condition: Option<Value>,
}

/// Build the key policy for these answers in `account`.
pub fn build<'a>(inputs: impl Into<Inputs<'a>>, account: &str) -> Value {
    let i = inputs.into();
    let mut statements = vec![statement(
        i.root_sid,
        json!({ "AWS": format!("arn:{}:iam::{account}:root", i.partition) }),
        json!("kms:*"),
        None,
    )];
    if !i.admins.is_empty() {
        let mut actions: Vec<&str> = ADMIN_ACTIONS.to_vec();
        if i.admins_can_delete {
            actions.extend(ADMIN_DELETE_ACTIONS);
        }
        if i.multi_region {
            actions.extend(ADMIN_MULTI_REGION_ACTIONS);
        }
        statements.push(statement(
            ADMIN_SID,
            json!({ "AWS": i.admins }),
            json!(actions),
            None,
        ));
    }
    let grantee = match i.role_name {
        Some(name) => format!("arn:{}:iam::{account}:role/{name}", i.partition),
        None => i.principal.to_string(),
    };
    for g in &i.grants {
        statements.push(statement(
            g.sid,
            json!({ "AWS": grantee }),
            json!(g.actions),
            g.condition.clone(),
        ));
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

fn statement(sid: &str, principal: Value, action: Value, condition: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("Sid".into(), json!(sid));
    m.insert("Effect".into(), json!("Allow"));
    m.insert("Principal".into(), principal);
    m.insert("Action".into(), action);
    m.insert("Resource".into(), json!("*"));
    if let Some(c) = condition {
        m.insert("Condition".into(), c);
    }
    Value::Object(m)
}

/// The policy as KMS receives it (pretty, so the console shows it readably).
pub fn to_document(policy: &Value) -> String {
    serde_json::to_string_pretty(policy).expect("a JSON value serializes")
}

/// What the lint refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyProblem {
    #[error(
        "the policy is {0} bytes: KMS allows {MAX_POLICY_BYTES} at most (fewer administrators or tags?)"
    )]
    TooLarge(usize),
    #[error("statement {0:?} grants access to everyone (a wildcard principal): name the principal")]
    WildcardPrincipal(String),
    #[error("statement {sid:?} grants the vendor {problem}")]
    VendorTooBroad { sid: String, problem: String },
    #[error(
        "no statement lets the account root {0} manage the key: KMS would refuse it, and you could be locked out"
    )]
    MissingRoot(String),
    #[error("the policy is not a JSON object with a Statement list")]
    Malformed,
}

/// A policy field that is a string or a list of strings (`Action`, `Resource`, a principal),
/// as its strings.
pub fn as_list(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

/// The principals a statement names (`Principal.AWS` as a string or list, or `"*"`).
pub fn principals(statement: &Value) -> Vec<&str> {
    match statement.get("Principal") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Object(o)) => o.values().flat_map(as_list).collect(),
        _ => vec![],
    }
}

pub fn actions(statement: &Value) -> Vec<&str> {
    statement.get("Action").map(as_list).unwrap_or_default()
}

pub fn resources(statement: &Value) -> Vec<&str> {
    statement.get("Resource").map(as_list).unwrap_or_default()
}

/// Refuse what KMS would refuse or what would hurt the user.
pub fn lint(policy: &Value, account: &str, vendor_principal: &str) -> Vec<PolicyProblem> {
    let mut problems = Vec::new();
    let size = to_document(policy).len();
    if size > MAX_POLICY_BYTES {
        problems.push(PolicyProblem::TooLarge(size));
    }
    let Some(statements) = policy.get("Statement").and_then(Value::as_array) else {
        return vec![PolicyProblem::Malformed];
    };
    let mut root_ok = false;
    for s in statements {
        let sid = s
            .get("Sid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let allow = s.get("Effect").and_then(Value::as_str) == Some("Allow");
        let ps = principals(s);
        // byok's own policy for a vendor that is anyone in its organisation: only the
        // organisation condition narrows it. Any other policy (status reads the customer's):
        // any condition that ties the request to known accounts.
        let narrowed = if vendor_principal == "*" {
            narrows_to_organisation(s)
        } else {
            narrows_principal(s)
        };
        if allow && ps.contains(&"*") && !narrowed {
            problems.push(PolicyProblem::WildcardPrincipal(sid.clone()));
        }
        if allow
            && s.get("Condition").is_none()
            && ps.iter().any(|p| is_root_of(p, account))
            && actions(s).contains(&"kms:*")
        {
            root_ok = true;
        }
        if allow
            && !vendor_principal.is_empty()
            && ps.iter().any(|p| same_principal(p, vendor_principal))
        {
            for a in actions(s) {
                if let Some(problem) = vendor_action_problem(a) {
                    problems.push(PolicyProblem::VendorTooBroad {
                        sid: sid.clone(),
                        problem,
                    });
                }
            }
        }
    }
    if !root_ok {
        problems.push(PolicyProblem::MissingRoot(format!("of account {account}")));
    }
    problems
}

/// The same IAM principal, written either way: `123456789012` is that account's root, and
/// the partition does not matter.
pub fn same_principal(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        if crate::arn::is_account_id(s) {
            format!(":iam::{s}:root")
        } else if let Some(i) = s.find(":iam::") {
            s[i..].to_string()
        } else {
            s.to_string()
        }
    };
    a == b || norm(a) == norm(b)
}

/// Condition keys that tie a request to known accounts or an organisation.
const NARROWING_KEYS: &[&str] = &[
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "kms:CallerAccount",
];

/// Whether a statement's Condition limits a wildcard principal to known accounts (or an
/// organisation): a narrowing key under an operator that fails when the key is absent
/// (no `...IfExists`, no `ForAllValues:`), with a value that is not `*`.
pub fn narrows_principal(statement: &Value) -> bool {
    let Some(cond) = statement.get("Condition").and_then(Value::as_object) else {
        return false;
    };
    cond.iter().any(|(op, block)| {
        let op = op.strip_prefix("ForAnyValue:").unwrap_or(op);
        let requires = matches!(
            op,
            "StringEquals" | "StringEqualsIgnoreCase" | "StringLike" | "ArnEquals" | "ArnLike"
        );
        requires
            && block.as_object().is_some_and(|b| {
                b.iter().any(|(k, v)| {
                    let values = as_list(v);
                    NARROWING_KEYS.iter().any(|n| n.eq_ignore_ascii_case(k))
                        && !values.is_empty()
                        && !values.iter().any(|x| x.trim_matches('*').is_empty())
                })
            })
    })
}

/// The operators under which an organisation key narrows a wildcard principal.
pub const ORG_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringLike",
    "ForAnyValue:StringEquals",
    "ForAnyValue:StringLike",
];

/// Whether a condition key names the caller's AWS organisation.
pub fn is_org_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("aws:PrincipalOrgID")
        || key.eq_ignore_ascii_case("aws:PrincipalOrgPaths")
}

/// Why an organisation condition's value does not name one organisation, if it does not: an
/// organisation ID (`o-` and 10 to 32 letters or digits) exactly, or a path from it through
/// its root (`o-.../r-.../`) and any organisational units, where a wildcard may only be the
/// whole last step (`.../*`).
pub fn org_value_problem(key: &str, value: &str) -> Option<String> {
    fn org_id(s: &str) -> bool {
        s.strip_prefix("o-").is_some_and(|r| {
            (10..=32).contains(&r.len())
                && r.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
    }
    fn word(s: &str, prefix: &str, min: usize) -> bool {
        s.strip_prefix(prefix).is_some_and(|r| {
            r.len() >= min
                && r.len() <= 70
                && r.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
    }
    if key.eq_ignore_ascii_case("aws:PrincipalOrgID") {
        return (!org_id(value)).then(|| {
            format!("{value:?} is not an organisation ID such as o-a1b2c3d4e5 (no wildcard)")
        });
    }
    let steps: Vec<&str> = value.split('/').collect();
    let ok = steps.len() >= 3
        && org_id(steps[0])
        && word(steps[1], "r-", 4)
        && steps[2..steps.len() - 1].iter().all(|s| word(s, "ou-", 4))
        && matches!(*steps.last().unwrap_or(&""), "" | "*");
    (!ok).then(|| {
        format!(
            "{value:?} is not an organisation path such as o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/* (a wildcard only as the whole last step)"
        )
    })
}

/// Whether a statement's Condition limits a wildcard principal to one organisation, as
/// byok writes it for a vendor that is anyone in its organisation: `aws:PrincipalOrgID` or
/// `aws:PrincipalOrgPaths` under one of [`ORG_OPERATORS`], every value naming one
/// organisation ([`org_value_problem`]).
pub fn narrows_to_organisation(statement: &Value) -> bool {
    let Some(cond) = statement.get("Condition").and_then(Value::as_object) else {
        return false;
    };
    cond.iter().any(|(op, block)| {
        ORG_OPERATORS.contains(&op.as_str())
            && block.as_object().is_some_and(|b| {
                b.iter().any(|(k, v)| {
                    let values = as_list(v);
                    is_org_key(k)
                        && !values.is_empty()
                        && values.iter().all(|x| org_value_problem(k, x).is_none())
                })
            })
    })
}

fn is_root_of(principal: &str, account: &str) -> bool {
    principal == account
        || (principal.starts_with("arn:") && principal.ends_with(&format!(":iam::{account}:root")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::{Answers, RawAnswers};
    use crate::vendor::Catalog;

    const ACCOUNT: &str = "123456789012";

    fn answers(vendor: &str, f: impl FnOnce(&mut RawAnswers)) -> Answers {
        let mut r = RawAnswers {
            vendor: Some(vendor.into()),
            ..Default::default()
        };
        f(&mut r);
        r.validate(&Catalog::built_in()).unwrap()
    }

    #[test]
    fn wildcard_matching() {
        assert!(action_matches("kms:*", "kms:PutKeyPolicy"));
        assert!(action_matches("kms:Put*", "kms:PutKeyPolicy"));
        assert!(action_matches("kms:put*", "kms:PutKeyPolicy"));
        assert!(action_matches("kms:?utKeyPolicy", "kms:PutKeyPolicy"));
        assert!(!action_matches("kms:ReEncrypt*", "kms:PutKeyPolicy"));
        assert!(!action_matches("kms:GenerateDataKey*", "kms:CreateKey"));
        assert!(action_matches("kms:Create*", "kms:CreateAlias"));
    }

    #[test]
    fn vendor_actions() {
        for bad in [
            "*",
            "kms:*",
            "kms:Put*",
            "kms:Schedule*",
            "kms:*Key",
            "s3:GetObject",
            "kms:",
            "kms:Create*",
            "KMS:*",
        ] {
            assert!(vendor_action_problem(bad).is_some(), "{bad}");
        }
        for ok in [
            "kms:Encrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:CreateGrant",
            "kms:DescribeKey",
        ] {
            assert_eq!(vendor_action_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn camunda_policy_is_the_published_one() {
        let role = "arn:aws:iam::210987654321:role/camunda-tenant";
        let a = answers("camunda", |r| r.principal = Some(role.into()));
        let p = build(&a, ACCOUNT);
        let expected = json!({
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Enable IAM user permissions",
                    "Effect": "Allow",
                    "Principal": { "AWS": "arn:aws:iam::123456789012:root" },
                    "Action": "kms:*",
                    "Resource": "*"
                },
                {
                    "Sid": "Allow Camunda tenant IAM Role basic key access",
                    "Effect": "Allow",
                    "Principal": { "AWS": role },
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:DescribeKey", "kms:GenerateDataKey*"],
                    "Resource": "*"
                },
                {
                    "Sid": "Allow Camunda tenant IAM Role to create grants for provisioning encrypted EBS volumes",
                    "Effect": "Allow",
                    "Principal": { "AWS": role },
                    "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                    "Resource": "*"
                }
            ]
        });
        assert_eq!(p, expected);
        // Byte-for-byte stable, key order included.
        assert_eq!(to_document(&p), to_document(&build(&a, ACCOUNT)));
        assert_eq!(
            to_document(&p),
            include_str!("../../../tests/golden/camunda-single.json").trim_end()
        );
        assert!(lint(&p, ACCOUNT, role).is_empty());
    }

    #[test]
    fn gearset_policy_with_admins() {
        let a = answers("gearset", |r| {
            r.region = Some("ap-southeast-2".into());
            r.admins = vec!["arn:aws:iam::123456789012:role/KeyAdmin".into()];
            r.admins_can_delete = true;
        });
        let p = build(&a, ACCOUNT);
        assert_eq!(
            to_document(&p),
            include_str!("../../../tests/golden/gearset-admins.json").trim_end()
        );
        let s = &p["Statement"];
        assert_eq!(s[0]["Sid"], "Enable IAM User Permissions");
        assert_eq!(s[1]["Sid"], ADMIN_SID);
        assert!(actions(&s[1]).contains(&"kms:ScheduleKeyDeletion"));
        assert!(!actions(&s[1]).contains(&"kms:ReplicateKey"));
        assert_eq!(s[2]["Principal"]["AWS"], "arn:aws:iam::178658833999:root");
        assert_eq!(
            s[3]["Condition"]["Bool"]["kms:GrantIsForAWSResource"],
            "true"
        );
        assert!(lint(&p, ACCOUNT, "arn:aws:iam::178658833999:root").is_empty());
    }

    #[test]
    fn databricks_and_elastic_policies_are_the_published_ones() {
        let id = "0d26daa6-5e44-4c97-a497-ef015f91254a";
        let a = answers("databricks", |r| {
            r.region = Some("us-east-1".into());
            r.values = vec![format!("databricks-account-id={id}")];
        });
        let p = build(&a, ACCOUNT);
        assert_eq!(
            p["Statement"][1],
            json!({
                "Sid": "Allow Databricks to use KMS key for managed services in the control plane",
                "Effect": "Allow",
                "Principal": { "AWS": "arn:aws:iam::414351767826:root" },
                "Action": ["kms:Encrypt", "kms:Decrypt"],
                "Resource": "*",
                "Condition": { "StringEquals": { "aws:PrincipalTag/DatabricksAccountId": [id] } }
            })
        );
        assert_eq!(
            to_document(&p),
            include_str!("../../../tests/golden/databricks-single.json").trim_end()
        );
        assert!(lint(&p, ACCOUNT, &a.principal).is_empty());
        let a = answers("elastic", |r| r.region = Some("eu-west-1".into()));
        let p = build(&a, ACCOUNT);
        assert_eq!(
            p["Statement"][1],
            json!({
                "Sid": "ElasticKeyAccess",
                "Effect": "Allow",
                "Principal": { "AWS": "*" },
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GetKeyRotationStatus", "kms:GenerateDataKey", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": { "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": "o-ygducmlz12/r-e5t3/ou-e5t3-fzpdq76p/ou-e5t3-ysfcmd95/ou-e5t3-hwt05su3/*" } }
            })
        );
        assert_eq!(p["Statement"][0]["Sid"], "EnableKeyManagement");
        assert_eq!(
            to_document(&p),
            include_str!("../../../tests/golden/elastic-single.json").trim_end()
        );
        assert!(lint(&p, ACCOUNT, &a.principal).is_empty());
    }

    #[test]
    fn admin_actions_follow_answers() {
        let a = answers("camunda", |r| {
            r.principal = Some("arn:aws:iam::210987654321:role/t".into());
            r.regionality = Some("multi-region".into());
            r.admins = vec!["arn:aws:iam::123456789012:user/alice".into()];
        });
        let p = build(&a, ACCOUNT);
        let acts = actions(&p["Statement"][1]);
        assert!(acts.contains(&"kms:ReplicateKey") && acts.contains(&"kms:UpdatePrimaryRegion"));
        assert!(!acts.contains(&"kms:ScheduleKeyDeletion"));
    }

    #[test]
    fn lint_catches_what_hurts() {
        let a = answers("gearset", |r| r.region = Some("eu-west-1".into()));
        let vendor = "arn:aws:iam::347752291521:root";
        let mut p = build(&a, ACCOUNT);
        p["Statement"][1]["Action"] = json!("kms:*");
        assert!(matches!(
            lint(&p, ACCOUNT, vendor)[0],
            PolicyProblem::VendorTooBroad { .. }
        ));
        let mut p = build(&a, ACCOUNT);
        p["Statement"].as_array_mut().unwrap().remove(0);
        assert!(matches!(
            lint(&p, ACCOUNT, vendor)[0],
            PolicyProblem::MissingRoot(_)
        ));
        let mut p = build(&a, ACCOUNT);
        p["Statement"][2]["Principal"] = json!("*");
        assert!(matches!(
            lint(&p, ACCOUNT, vendor)[0],
            PolicyProblem::WildcardPrincipal(_)
        ));
        // Narrowed to an organisation, a wildcard is not everyone; IfExists does not narrow.
        p["Statement"][2]["Condition"] =
            json!({ "StringEquals": { "aws:PrincipalOrgID": "o-abc123" } });
        assert!(lint(&p, ACCOUNT, vendor).is_empty());
        p["Statement"][2]["Condition"] =
            json!({ "StringEqualsIfExists": { "aws:PrincipalOrgID": "o-abc123" } });
        assert!(matches!(
            lint(&p, ACCOUNT, vendor)[0],
            PolicyProblem::WildcardPrincipal(_)
        ));
        // byok's own policy for a vendor that is anyone in its organisation: only a fixed
        // organisation narrows it, never a bare wildcard, an account or ...IfExists.
        let path = "o-ygducmlz12/r-e5t3/ou-e5t3-fzpdq76p/*";
        p["Statement"][2]["Condition"] =
            json!({ "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": path } });
        assert!(lint(&p, ACCOUNT, "*").is_empty());
        for bad in [
            json!({ "StringEquals": { "aws:PrincipalAccount": "111122223333" } }),
            json!({ "StringLikeIfExists": { "aws:PrincipalOrgPaths": path } }),
            json!({ "ForAllValues:StringLike": { "aws:PrincipalOrgPaths": path } }),
            json!({ "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": "o-ygducmlz12/*" } }),
            json!({ "StringEquals": { "aws:PrincipalOrgID": "o-*" } }),
        ] {
            p["Statement"][2]["Condition"] = bad.clone();
            assert!(
                lint(&p, ACCOUNT, "*")
                    .iter()
                    .any(|x| matches!(x, PolicyProblem::WildcardPrincipal(_))),
                "{bad}"
            );
        }
        p["Statement"][2]
            .as_object_mut()
            .unwrap()
            .remove("Condition");
        assert!(matches!(
            lint(&p, ACCOUNT, "*")[0],
            PolicyProblem::WildcardPrincipal(_)
        ));
        // The vendor named by its account ID is the same vendor.
        let mut p = build(&a, ACCOUNT);
        p["Statement"][1]["Principal"] = json!({ "AWS": "347752291521" });
        p["Statement"][1]["Action"] = json!(["kms:Decrypt", "kms:ScheduleKeyDeletion"]);
        assert!(matches!(
            lint(&p, ACCOUNT, vendor)[0],
            PolicyProblem::VendorTooBroad { .. }
        ));
        let mut p = build(&a, ACCOUNT);
        p["Statement"][0]["Sid"] = json!("x".repeat(40000));
        assert!(matches!(
            lint(&p, ACCOUNT, vendor)[0],
            PolicyProblem::TooLarge(_)
        ));
        assert_eq!(
            lint(&json!({}), ACCOUNT, vendor),
            vec![PolicyProblem::Malformed]
        );
    }
}
