//! Judging a key: its state, rotation and policy against the vendor profile, as typed
//! findings with what each means for the vendor and the fix.

use super::*;

// ---------------------------------------------------------------------------------------
// Judging a key

/// What was read about one key.
pub struct Inputs {
    pub info: KeyInfo,
    pub aliases: Vec<String>,
    pub tags: Result<Vec<(String, String)>, KmsError>,
    pub policy: Result<String, KmsError>,
    pub rotation: Result<Rotation, KmsError>,
    pub replicas: Vec<ReplicaStatus>,
    pub found_by: String,
    pub vendor_hint: Option<String>,
    /// `--principal`, given now.
    pub principal_hint: Option<String>,
    /// byok's journal entry for the key: it made it on this machine (and, since it records
    /// it, for which vendor principal).
    pub journal: Option<KnownKey>,
    /// For a Multi-Region key whose own policy lost its vendor statements: the other keys'
    /// policies.
    pub set_policies: Vec<Value>,
    /// For a key with no alias: the key that the alias its `byok:alias` tag names now
    /// designates in its Region, when that is another key.
    pub alias_holder: Option<String>,
    /// For a vendor that assumes a role in the account: the role as read (None: not read).
    pub role: Option<Result<RoleRead, KmsError>>,
}

/// The role a vendor assumes, as `byok status` read it.
#[derive(Debug, Clone)]
pub struct RoleRead {
    /// None when the account has no role of that name.
    pub role: Option<crate::kms::RoleInfo>,
    /// The role's inline policy of the profile's name, when the profile gives it one.
    pub policy: Option<String>,
}

/// What is wrong with the role a vendor assumes, in the vendor's terms: it exists, a principal
/// may assume it only with an external ID (the one `--principal` names, when given), and its
/// own policy (when the profile gives it one) grants every action on this key.
pub(super) fn role_findings(
    profile: &VendorProfile,
    key_arns: &[&str],
    read: &Result<RoleRead, KmsError>,
    principal_hint: Option<&str>,
) -> Vec<Finding> {
    let Some(spec) = &profile.customer_role else {
        return vec![];
    };
    let vendor = &profile.name;
    let broken = |what: String, fix: String| Finding {
        kind: FindingKind::Role,
        severity: Health::Broken,
        what,
        meaning: format!(
            "{vendor} reaches the key through the role {} in your account: it cannot use the key.",
            spec.name
        ),
        fix,
    };
    let rerun = "Run the same `byok create` command again: it makes what is missing (a role byok did not make is never changed).".to_string();
    let read = match read {
        Err(e) => {
            return vec![Finding {
                kind: FindingKind::Role,
                severity: Health::NeedsAttention,
                what: format!("the role {} could not be read: {e}", spec.name),
                meaning: format!("Whether {vendor} can assume it is unknown."),
                fix: "Allow iam:GetRole and iam:GetRolePolicy on roles named byok-* (docs/iam/status-read.json).".into(),
            }];
        }
        Ok(r) => r,
    };
    let Some(role) = &read.role else {
        return vec![broken(
            format!("the role {} does not exist", spec.name),
            rerun,
        )];
    };
    let mut out = Vec::new();
    let trust: Value = serde_json::from_str(&role.trust_policy).unwrap_or(Value::Null);
    let trusted: Vec<(Vec<&str>, Option<&str>)> = statements(&trust)
        .iter()
        .filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Allow"))
        .filter(|s| policy::actions(s).contains(&"sts:AssumeRole"))
        .map(|s| {
            let who = s
                .get("Principal")
                .and_then(|p| p.get("AWS"))
                .map(policy::as_list)
                .unwrap_or_default();
            let ext = s
                .pointer("/Condition/StringEquals/sts:ExternalId")
                .and_then(Value::as_str);
            (who, ext)
        })
        .collect();
    if trusted.iter().any(|(_, ext)| ext.is_none()) {
        out.push(Finding {
            kind: FindingKind::Role,
            severity: Health::Broken,
            what: format!(
                "the role {} may be assumed without an external ID",
                role.arn
            ),
            meaning: format!(
                "Another customer of {vendor} could make it use your key (the confused deputy)."
            ),
            fix:
                "Require the external ID in its trust policy (sts:ExternalId), as byok creates it."
                    .into(),
        });
    }
    match principal_hint {
        Some(p) if !trusted.iter().any(|(who, ext)| ext.is_some() && who.contains(&p)) => {
            out.push(broken(
                format!("the role {} does not let {p} assume it with an external ID", role.arn),
                "Give its trust policy the vendor's principal with the external ID, or run `byok create` for a new setup.".into(),
            ))
        }
        None if trusted.iter().all(|(_, ext)| ext.is_none()) => out.push(broken(
            format!("no principal may assume the role {} with an external ID", role.arn),
            "Give its trust policy the vendor's principal with the external ID the vendor gave you.".into(),
        )),
        _ => {}
    }
    if !spec.policy.is_empty() {
        let policy: Value = read
            .policy
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or(Value::Null);
        let granted = |action: &str| {
            statements(&policy).iter().any(|s| {
                s.get("Effect").and_then(Value::as_str) == Some("Allow")
                    && policy::actions(s)
                        .iter()
                        .any(|a| crate::policy::action_matches(a, action))
                    && policy::resources(s)
                        .iter()
                        .any(|r| *r == "*" || key_arns.contains(r))
            })
        };
        let missing: Vec<&str> = spec
            .policy
            .iter()
            .flat_map(|st| st.actions.iter().map(String::as_str))
            .filter(|a| !granted(a))
            .collect();
        if !missing.is_empty() {
            out.push(broken(
                format!(
                    "the role {}'s policy {} does not grant {} on this key",
                    role.arn,
                    spec.policy_name,
                    missing.join(", ")
                ),
                rerun,
            ));
        }
    }
    out
}

pub(super) fn account_of(arn: &str) -> String {
    crate::arn::Arn::parse(arn)
        .map(|a| a.account)
        .unwrap_or_default()
}

pub(super) fn partition_of_arn(arn: &str) -> String {
    crate::arn::Arn::parse(arn)
        .map(|a| a.partition)
        .unwrap_or_else(|_| "aws".into())
}

/// The profile a key belongs to: its tag, else `--vendor`, else the profile whose
/// statement Sids appear in the policy.
pub(super) fn vendor_of<'c>(
    catalog: &'c Catalog,
    tags: &[(String, String)],
    hint: Option<&str>,
    policy: Option<&Value>,
) -> (Option<&'c VendorProfile>, Option<String>) {
    if let Some((_, v)) = tags.iter().find(|(k, _)| k == TAG_VENDOR) {
        return (catalog.get(v), Some(v.clone()));
    }
    if let Some(h) = hint {
        return (catalog.get(h), Some(h.to_string()));
    }
    let sids: HashSet<&str> = policy
        .and_then(|p| p.get("Statement"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.get("Sid").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let found = catalog
        .profiles
        .iter()
        // A profile without key-policy statements (its role's own policy grants the key) is
        // never recognised from a policy.
        .find(|p| {
            !p.statements.is_empty() && p.statements.iter().all(|s| sids.contains(s.sid.as_str()))
        })
        .or_else(|| {
            catalog
                .profiles
                .iter()
                .find(|p| p.statements.iter().any(|s| sids.contains(s.sid.as_str())))
        });
    (found, found.map(|p| p.id.clone()))
}

/// Where a vendor principal byok trusts came from, in the order byok asks. A tag is not
/// among them: anyone allowed `kms:TagResource` on the key can write one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrincipalSource {
    /// `--principal`, given now.
    Flag,
    /// byok's journal: the principal the key was made for on this machine.
    Journal,
    /// The vendor profile: the vendor's account in the key's Region (Gearset).
    Profile,
    /// The key policy's own vendor statements.
    Policy,
    /// The vendor statements of another key of its Multi-Region set.
    MultiRegionSet,
}

impl PrincipalSource {
    /// As the sentence "X says ..." needs it.
    pub fn describe(self) -> &'static str {
        match self {
            PrincipalSource::Flag => "--principal",
            PrincipalSource::Journal => "byok's journal",
            PrincipalSource::Profile => "the vendor profile",
            PrincipalSource::Policy => "the key policy",
            PrincipalSource::MultiRegionSet => "the policy of another key of its Multi-Region set",
        }
    }
}

/// What byok has to tell a key's vendor principal.
#[derive(Debug, Clone, Copy, Default)]
pub struct Evidence<'a> {
    /// `--principal`, given now.
    pub flag: Option<&'a str>,
    /// The principal byok's journal records for the key.
    pub journal: Option<&'a str>,
    /// The key's own policy.
    pub policy: Option<&'a Value>,
    /// The policies of the other keys of its Multi-Region set.
    pub set_policies: &'a [Value],
    /// The key's tags (only the `byok:vendor-principal` hint is looked at).
    pub tags: &'a [(String, String)],
}

/// The vendor principal byok trusts, and what disagrees with it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolved {
    /// The first trusted source's principal.
    pub principal: Option<(String, PrincipalSource)>,
    /// Later trusted sources that name another principal.
    pub conflicts: Vec<(PrincipalSource, String)>,
    /// What the `byok:vendor-principal` tag says: a hint, never used.
    pub tag: Option<String>,
}

impl Resolved {
    /// The tag names a principal the trusted source does not (None: no tag, or nothing to
    /// compare it with).
    pub fn tag_disagrees(&self) -> Option<(&str, &str, PrincipalSource)> {
        match (&self.tag, &self.principal) {
            (Some(t), Some((p, s))) if !same_principal(t, p) => Some((t, p, *s)),
            _ => None,
        }
    }
}

/// The principals the vendor statements (by Sid) of a policy grant: only those every such
/// Allow statement names, principals outside `account` first; never a wildcard nor the
/// account's own root. Empty when the policy has none of the vendor's statements.
pub fn policy_vendor_principals(
    profile: &VendorProfile,
    policy: &Value,
    account: &str,
) -> Vec<String> {
    let mut common: Option<Vec<String>> = None;
    for ps in &profile.statements {
        let Some(s) = statements(policy).iter().find(|s| {
            s.get("Sid").and_then(Value::as_str) == Some(ps.sid.as_str())
                && s.get("Effect").and_then(Value::as_str) == Some("Allow")
        }) else {
            continue;
        };
        // A principal the vendor has retired is never taken for its current one.
        let named: Vec<String> = policy::principals(s)
            .into_iter()
            .filter(|p| *p != "*" && !same_principal(p, account))
            .filter(|p| {
                !profile
                    .principal
                    .refuse
                    .iter()
                    .any(|r| same_principal(&r.arn, p))
            })
            .map(str::to_string)
            .collect();
        common = Some(match common {
            None => named,
            Some(c) => c
                .into_iter()
                .filter(|p| named.iter().any(|n| same_principal(n, p)))
                .collect(),
        });
    }
    let mut out = common.unwrap_or_default();
    out.sort_by_key(|p| !account.is_empty() && account_of(p) == account);
    out
}

/// Whether a policy has any of the profile's statements (by Sid).
pub(super) fn has_vendor_statements(profile: &VendorProfile, policy: &Value) -> bool {
    statements(policy).iter().any(|s| {
        profile
            .statements
            .iter()
            .any(|ps| s.get("Sid").and_then(Value::as_str) == Some(ps.sid.as_str()))
    })
}

/// The vendor principal for a key, from the sources byok trusts, in order: `--principal`
/// given now, the journal, the vendor profile (a fixed account per Region), the key policy's
/// vendor statements, the other keys of its Multi-Region set. The `byok:vendor-principal` tag
/// is only reported back, to be compared.
pub fn vendor_principal(
    profile: &VendorProfile,
    region: &str,
    partition: &str,
    account: &str,
    e: &Evidence,
) -> Resolved {
    let as_arn = |p: &str| {
        if crate::arn::is_account_id(p) {
            format!("arn:{partition}:iam::{p}:root")
        } else {
            p.to_string()
        }
    };
    let mut found: Vec<(Vec<String>, PrincipalSource)> = Vec::new();
    if let Some(f) = e.flag {
        found.push((vec![as_arn(f)], PrincipalSource::Flag));
    }
    if let Some(j) = e.journal {
        found.push((vec![as_arn(j)], PrincipalSource::Journal));
    }
    if let Some(p) = profile
        .principal
        .kind
        .from_profile(profile, region, partition)
    {
        found.push((vec![p], PrincipalSource::Profile));
    }
    let policies = e
        .policy
        .into_iter()
        .map(|p| (p, PrincipalSource::Policy))
        .chain(
            e.set_policies
                .iter()
                .map(|p| (p, PrincipalSource::MultiRegionSet)),
        );
    for (p, source) in policies {
        let named = policy_vendor_principals(profile, p, account);
        if !named.is_empty() {
            found.push((named, source));
        }
    }
    let principal = found.first().map(|(p, s)| (p[0].clone(), *s));
    let mut conflicts: Vec<(PrincipalSource, String)> = Vec::new();
    if let Some((chosen, _)) = &principal {
        for (named, source) in found.iter().skip(1) {
            if !named.iter().any(|n| same_principal(n, chosen))
                && !conflicts.iter().any(|(s, _)| s == source)
            {
                conflicts.push((*source, named[0].clone()));
            }
        }
    }
    Resolved {
        principal,
        conflicts,
        tag: e
            .tags
            .iter()
            .find(|(k, _)| k == TAG_VENDOR_PRINCIPAL)
            .map(|(_, v)| v.clone()),
    }
}

/// The principals the vendor has retired that the policy still allows, with the vendor's
/// reason (from its profile).
pub fn retired_principals<'p>(
    profile: &'p VendorProfile,
    policy: &Value,
) -> Vec<&'p crate::vendor::RefusedPrincipal> {
    profile
        .principal
        .refuse
        .iter()
        .filter(|r| {
            statements(policy).iter().any(|s| {
                s.get("Effect").and_then(Value::as_str) == Some("Allow")
                    && policy::principals(s)
                        .iter()
                        .any(|p| same_principal(p, &r.arn))
            })
        })
        .collect()
}

pub(super) fn retired_findings(profile: &VendorProfile, policy: &Value) -> Vec<Finding> {
    retired_principals(profile, policy)
        .into_iter()
        .map(|r| Finding {
            kind: FindingKind::RetiredPrincipal,
            severity: Health::NeedsAttention,
            what: format!(
                "the key policy still grants {}, which {} has retired",
                r.arn, profile.name
            ),
            meaning: format!("{} refuses it for new keys: {}", profile.name, r.reason),
            fix: format!(
                "Once {} uses its current principal (repair the policy with it), remove the retired one: \"{}\" (--{}).",
                profile.name,
                Action::RemoveRetired.title(),
                Action::RemoveRetired.spec().flag
            ),
        })
        .collect()
}

pub(super) fn statements(policy: &Value) -> &[Value] {
    policy
        .get("Statement")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Whether the policy has an unconditional account-root statement with `kms:*`.
pub(super) fn has_root_statement(policy: &Value, account: &str) -> bool {
    statements(policy).iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && s.get("Condition").is_none()
            && policy::principals(s)
                .iter()
                .any(|p| same_principal(p, account))
            && policy::actions(s).contains(&"kms:*")
    })
}

/// How a statement's Condition falls short of the profile's: the `operator key` pairs it
/// lacks, and those it gives another value (with its value and the profile's). Entries of
/// its own beyond the profile's only narrow, and are not reported.
pub(super) fn condition_gap(
    wanted: Option<&Value>,
    actual: Option<&Value>,
) -> (Vec<String>, Vec<(String, Value, Value)>) {
    let (mut missing, mut differs) = (Vec::new(), Vec::new());
    let Some(wanted) = wanted.and_then(Value::as_object) else {
        return (missing, differs);
    };
    for (op, block) in wanted {
        for (k, v) in block.as_object().into_iter().flatten() {
            match actual.and_then(|a| a.get(op)).and_then(|b| b.get(k)) {
                None => missing.push(format!("{op} {k}")),
                // A value the customer typed at create (`--set`) is theirs: any is kept.
                Some(_) if crate::vendor::is_placeholder(v) => {}
                Some(x) if x != v => differs.push((format!("{op} {k}"), x.clone(), v.clone())),
                Some(_) => {}
            }
        }
    }
    (missing, differs)
}

/// Judge a policy for one vendor principal against the profile.
pub fn check_policy(
    profile: &VendorProfile,
    policy: &Value,
    account: &str,
    principal: Option<(String, PrincipalSource)>,
) -> PolicyCheck {
    let mut required: Vec<String> = Vec::new();
    for s in &profile.statements {
        for a in &s.actions {
            if !required.contains(a) {
                required.push(a.clone());
            }
        }
    }
    let mut check = PolicyCheck {
        vendor_principal: principal.as_ref().map(|p| p.0.clone()),
        principal_source: principal.as_ref().map(|p| p.1),
        missing: required.clone(),
        required,
        root_statement: has_root_statement(policy, account),
        ..Default::default()
    };
    for ps in &profile.statements {
        if let Some(s) = statements(policy)
            .iter()
            .find(|s| s.get("Sid").and_then(Value::as_str) == Some(ps.sid.as_str()))
        {
            let (missing, differs) = condition_gap(ps.condition.as_ref(), s.get("Condition"));
            if !missing.is_empty() || !differs.is_empty() {
                check.condition_differs.push(ps.sid.clone());
            }
        }
    }
    let Some((vp, _)) = principal else {
        check.lint = policy::lint(policy, account, "")
            .into_iter()
            .filter(|p| !matches!(p, PolicyProblem::MissingRoot(_)))
            .map(|p| p.to_string())
            .collect();
        return check;
    };
    let mut granted: Vec<String> = Vec::new();
    let mut denied: Vec<String> = Vec::new();
    for s in statements(policy) {
        let names = policy::principals(s)
            .iter()
            .any(|p| *p == "*" || same_principal(p, &vp));
        if !names {
            continue;
        }
        let acts = policy::actions(s);
        match s.get("Effect").and_then(Value::as_str) {
            // A wildcard grants the vendor only when the vendor is anyone in its organisation
            // (Elastic), under that organisation's condition.
            Some("Allow")
                if !policy::principals(s).contains(&"*")
                    || (vp == "*" && policy::narrows_to_organisation(s)) =>
            {
                granted.extend(acts.iter().map(|a| a.to_string()))
            }
            Some("Deny") if s.get("Condition").is_none() => {
                denied.extend(acts.iter().map(|a| a.to_string()))
            }
            _ => {}
        }
    }
    check.missing = check
        .required
        .iter()
        .filter(|r| {
            !granted.iter().any(|g| policy::action_matches(g, r))
                || denied.iter().any(|d| policy::action_matches(d, r))
        })
        .cloned()
        .collect();
    let mut extra: Vec<String> = granted
        .iter()
        .filter(|g| !check.required.iter().any(|r| r.eq_ignore_ascii_case(g)))
        .cloned()
        .collect();
    extra.sort();
    extra.dedup();
    check.extra = extra;
    check.lint = policy::lint(policy, account, &vp)
        .into_iter()
        .filter(|p| !matches!(p, PolicyProblem::MissingRoot(_)))
        .map(|p| p.to_string())
        .collect();
    check
}

/// The dangers in a policy, each making the key broken, with the reason and the fix:
/// anyone may use the key, the vendor may manage it, no account-root statement.
pub(super) fn danger_findings(policy: &Value, account: &str, vendor: Option<&str>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in policy::lint(policy, account, vendor.unwrap_or("")) {
        match p {
            PolicyProblem::WildcardPrincipal(sid) => {
                let acts = statements(policy)
                    .iter()
                    .find(|s| {
                        s.get("Sid").and_then(Value::as_str).unwrap_or("") == sid
                            && policy::principals(s).contains(&"*")
                    })
                    .map(|s| policy::actions(s).join(", "))
                    .unwrap_or_default();
                out.push(Finding {
                    kind: FindingKind::WildcardPrincipal,
                    severity: Health::Broken,
                    what: format!(
                        "statement {sid:?} allows {acts} to everyone: Principal \"*\" with no aws:PrincipalOrgID, aws:PrincipalAccount or aws:SourceAccount condition"
                    ),
                    meaning: "Any AWS account, not only you and the vendor, may use the key this way; with kms:* also change its policy, disable it or delete it.".into(),
                    fix: format!(
                        "Remove statement {sid:?} from the key policy, or narrow it with a condition on aws:PrincipalOrgID (your organisation), then look in CloudTrail for who used the key. byok does not remove statements it did not write."
                    ),
                });
            }
            PolicyProblem::VendorTooBroad { sid, problem } => out.push(Finding {
                kind: FindingKind::VendorManagesKey,
                severity: Health::Broken,
                what: format!("statement {sid:?} grants the vendor {problem}"),
                meaning: "The vendor could change the key policy, disable or delete the key: your data would no longer be under your control alone.".into(),
                fix: "Repair the key policy: byok takes every action that manages the key away from the vendor and keeps the rest.".into(),
            }),
            PolicyProblem::MissingRoot(_) => out.push(Finding {
                kind: FindingKind::MissingRoot,
                severity: Health::Broken,
                what: "no account-root statement".into(),
                meaning: "IAM policies in your account cannot grant access to the key; if the remaining statements are lost, nobody can manage it.".into(),
                fix: "Repair the key policy (byok adds the account-root statement).".into(),
            }),
            other => out.push(Finding {
                kind: FindingKind::PolicyLint,
                severity: Health::NeedsAttention,
                what: other.to_string(),
                meaning: String::new(),
                fix: "Edit the key policy.".into(),
            }),
        }
    }
    out
}

/// What the sources of the vendor principal say when they do not agree, and a key that
/// carries byok's tags without anything byok trusts saying byok set it up.
pub(super) fn principal_findings(
    profile: &VendorProfile,
    r: &Resolved,
    found_by: &str,
    in_journal: bool,
    has_vendor_statements: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    // A vendor that names its principal after registration has no statement until then:
    // its absence says nothing about who made the key.
    let waits = profile.principal.kind.given_later() && r.tag.is_none();
    // A vendor whose access is a role's own policy (MongoDB Atlas) has no statement in the
    // key policy at all: there is nothing there to look for.
    let none_expected = profile.statements.is_empty();
    if found_by == "tags" && !in_journal && !has_vendor_statements && !waits && !none_expected {
        out.push(Finding {
            kind: FindingKind::NotMadeByByok,
            severity: Health::NeedsAttention,
            what: format!(
                "tagged as byok's, but not known to be made by byok: not in byok's journal on this machine, and the key policy has none of the {} statements",
                profile.name
            ),
            meaning: "Tags prove nothing: anyone allowed kms:TagResource on a key can write byok's. byok never takes the vendor principal from them.".into(),
            fix: "If byok made this key on another machine, restore the vendor's access with --restore-access --principal ARN; if not, remove its byok:* tags.".into(),
        });
    }
    if let Some((chosen, from)) = &r.principal {
        for (source, other) in &r.conflicts {
            out.push(Finding {
                kind: FindingKind::PrincipalDisagrees,
                severity: Health::NeedsAttention,
                what: format!(
                    "{} names {other}, but {} says {chosen}",
                    capitalize(source.describe()),
                    from.describe()
                ),
                meaning: format!("byok checks and repairs the key for {chosen}."),
                fix: "If the other one is the vendor's principal, give it with --principal.".into(),
            });
        }
    }
    if let Some((tag, chosen, from)) = r.tag_disagrees() {
        out.push(Finding {
            kind: FindingKind::TagDisagrees,
            severity: Health::NeedsAttention,
            what: format!(
                "the tag {TAG_VENDOR_PRINCIPAL} says {tag}, but {} says {chosen}",
                from.describe()
            ),
            meaning: format!(
                "byok never takes the vendor principal from a tag (anyone allowed kms:TagResource can write it): it uses {chosen}. Someone may have tried to redirect the vendor's access."
            ),
            fix: format!(
                "Look in CloudTrail for who changed the tag (TagResource), and set it back to {chosen}."
            ),
        });
    }
    if let (Some(tag), None) = (&r.tag, &r.principal) {
        out.push(Finding {
            kind: FindingKind::TagUnconfirmed,
            severity: Health::NeedsAttention,
            what: format!(
                "the tag {TAG_VENDOR_PRINCIPAL} says {tag}, and nothing byok trusts confirms it"
            ),
            meaning: "Neither byok's journal on this machine, the vendor profile nor the key policy names the vendor principal, and a tag is no proof: anyone allowed kms:TagResource can write it.".into(),
            fix: format!(
                "If {tag} is the vendor's principal, restore access with --restore-access --principal {tag}."
            ),
        });
    }
    out
}

pub(super) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if f != '-' => f.to_uppercase().chain(c).collect(),
        _ => s.to_string(),
    }
}

pub(super) fn meaning_of(profile: Option<&VendorProfile>, state: &str) -> (String, String) {
    profile
        .and_then(|p| p.states.get(state))
        .map(|m| (m.meaning.clone(), m.action.clone()))
        .unwrap_or_default()
}

/// Judge one key: state, rotation, policy and replicas, against its vendor profile.
pub fn assess(catalog: &Catalog, i: Inputs) -> KeyStatus {
    let info = i.info;
    let region = info.region.clone();
    let account = account_of(&info.arn);
    let partition = partition_of_arn(&info.arn);
    let tags = i.tags.as_ref().cloned().unwrap_or_default();
    let policy_value: Option<Value> = i
        .policy
        .as_ref()
        .ok()
        .and_then(|p| serde_json::from_str(p).ok());
    let (profile, vendor_id) = vendor_of(
        catalog,
        &tags,
        i.vendor_hint.as_deref(),
        policy_value.as_ref(),
    );
    let mut findings = Vec::new();
    let (state_meaning, state_action) = meaning_of(profile, &info.state);
    let enabled = info.state == "Enabled";
    let duplicate_of = tags
        .iter()
        .find(|(k, _)| k == crate::plan::TAG_DUPLICATE_OF)
        .map(|(_, v)| v.clone());
    let retired = duplicate_of.is_some() && info.state == "PendingDeletion";

    // A duplicate: retired by the run that made it, or still to retire.
    match (&duplicate_of, &i.alias_holder) {
        (Some(w), _) => findings.push(Finding {
            kind: FindingKind::Duplicate,
            severity: if retired {
                Health::Ok
            } else {
                Health::NeedsAttention
            },
            what: format!("a duplicate of {w}, made by a run that lost the race for the alias"),
            meaning: if retired {
                format!(
                    "byok took it out of service: no vendor access, disabled, deletion on {}. Nothing to do.",
                    info.deletion_date
                        .as_deref()
                        .map(human_time)
                        .unwrap_or_else(|| "its scheduled date".into())
                )
            } else {
                "byok began to retire it and did not finish: it may still let the vendor use it."
                    .into()
            },
            fix: if retired {
                String::new()
            } else {
                format!(
                    "Finish with --revoke-access, --disable and --schedule-deletion 7 on --key {}.",
                    info.arn
                )
            },
        }),
        (None, Some(holder)) => findings.push(Finding {
            kind: FindingKind::Duplicate,
            severity: Health::NeedsAttention,
            what: format!(
                "another key ({holder}) holds the alias this key was made for: it is a duplicate"
            ),
            meaning: "A run of the same setup made it, and it may still let the vendor use a key nobody uses.".into(),
            fix: "Run the same `byok create` command on the machine that made it (it retires its own duplicates), or revoke the vendor's access and schedule its deletion.".into(),
        }),
        _ => {}
    }

    // State.
    match info.state.as_str() {
        "Enabled" => {}
        "PendingDeletion" if retired => {}
        "Creating" | "Updating" => findings.push(Finding {
            kind: FindingKind::State,
            severity: Health::NeedsAttention,
            what: format!("the key is {}", info.state),
            meaning: state_meaning.clone(),
            fix: if state_action.is_empty() {
                "Wait a minute and look again.".into()
            } else {
                state_action.clone()
            },
        }),
        other => findings.push(Finding {
            kind: FindingKind::State,
            severity: Health::Broken,
            what: match (&info.deletion_date, other) {
                (Some(d), _) => format!("the key is {other}: deletion on {}", human_time(d)),
                _ => format!("the key is {other}"),
            },
            meaning: state_meaning.clone(),
            fix: state_action.clone(),
        }),
    }

    // The role the vendor assumes.
    if let (Some(p), Some(read)) = (profile, &i.role) {
        let mut arns = vec![info.arn.as_str()];
        if let Some(mr) = &info.multi_region {
            arns.push(mr.primary.arn.as_str());
        }
        findings.extend(role_findings(p, &arns, read, i.principal_hint.as_deref()));
    }

    // Vendor.
    if profile.is_none() {
        findings.push(Finding {
            kind: FindingKind::VendorUnknown,
            severity: Health::NeedsAttention,
            what: match &vendor_id {
                Some(v) => format!("vendor profile {v:?} is not loaded"),
                None => "byok cannot tell which vendor this key is for".into(),
            },
            meaning: "The policy cannot be checked against the vendor's requirements.".into(),
            fix: match &vendor_id {
                Some(_) => "Pass its profile with --vendor-file.".into(),
                None => "Name the vendor with --vendor.".into(),
            },
        });
    }

    // Policy.
    let mut check = None;
    let mut administrators = Vec::new();
    match (&i.policy, &policy_value) {
        (Err(e), _) => findings.push(Finding {
            kind: FindingKind::PolicyUnreadable,
            severity: Health::NeedsAttention,
            what: format!("cannot read the key policy: {e}"),
            meaning: "byok cannot tell whether the vendor may use the key.".into(),
            fix: e.explain(None, ""),
        }),
        (Ok(_), None) => findings.push(Finding {
            kind: FindingKind::PolicyUnreadable,
            severity: Health::NeedsAttention,
            what: "the key policy is not valid JSON".into(),
            meaning: String::new(),
            fix: "Repair the key policy.".into(),
        }),
        (Ok(_), Some(p)) => {
            administrators = statements(p)
                .iter()
                .filter(|s| s.get("Sid").and_then(Value::as_str) == Some(policy::ADMIN_SID))
                .flat_map(|s| policy::principals(s).into_iter().map(str::to_string))
                .collect();
            let resolved = profile.map(|prof| {
                vendor_principal(
                    prof,
                    &region,
                    &partition,
                    &account,
                    &Evidence {
                        flag: i.principal_hint.as_deref(),
                        journal: i.journal.as_ref().and_then(|j| j.principal.as_deref()),
                        policy: Some(p),
                        set_policies: &i.set_policies,
                        tags: &tags,
                    },
                )
            });
            let vp = resolved
                .as_ref()
                .and_then(|r| r.principal.as_ref())
                .map(|(p, _)| p.as_str());
            // Danger, whoever the vendor is: broken, with the reason.
            findings.extend(danger_findings(p, &account, vp));
            if let (Some(prof), Some(resolved)) = (profile, &resolved) {
                findings.extend(principal_findings(
                    prof,
                    resolved,
                    &i.found_by,
                    i.journal.is_some(),
                    has_vendor_statements(prof, p)
                        || i.set_policies
                            .iter()
                            .any(|x| has_vendor_statements(prof, x)),
                ));
                findings.extend(retired_findings(prof, p));
                let c = check_policy(prof, p, &account, resolved.principal.clone());
                let (pm, pa) = meaning_of(profile, "PolicyMissingActions");
                let waiting = prof.principal.kind.given_later()
                    && !has_vendor_statements(prof, p)
                    && !i
                        .set_policies
                        .iter()
                        .any(|x| has_vendor_statements(prof, x))
                    && resolved.tag.is_none();
                if c.vendor_principal.is_none() && waiting {
                    let (wm, wa) = meaning_of(profile, "WaitingForPrincipal");
                    findings.push(Finding {
                        kind: FindingKind::WaitingForPrincipal,
                        severity: Health::NeedsAttention,
                        what: format!(
                            "waiting for the vendor's principal: the key policy does not name the {} yet",
                            prof.principal.label
                        ),
                        meaning: if wm.is_empty() {
                            format!("{} cannot use the key yet.", prof.name)
                        } else {
                            wm
                        },
                        fix: format!(
                            "{}{}Then: byok grant --key {} --principal ARN (\"{}\" in the menu, --{}).",
                            wa,
                            if wa.is_empty() { "" } else { " " },
                            info.arn,
                            Action::Grant.spec().menu,
                            Action::Grant.spec().flag
                        ),
                    });
                } else if c.vendor_principal.is_none() && prof.customer_role.is_none() {
                    // (A vendor that assumes a role in your account is named by the role's
                    // trust policy, which the role's findings check.)
                    findings.push(Finding {
                        kind: FindingKind::PrincipalUnknown,
                        severity: Health::Broken,
                        what: format!(
                            "no statement grants the {}, and nothing byok trusts names it",
                            prof.principal.label
                        ),
                        meaning: pm.clone(),
                        fix: format!(
                            "{pa} byok needs the {} to do it: {}",
                            prof.principal.label, prof.principal.help
                        ),
                    });
                } else if !c.missing.is_empty() {
                    let revoked = c.missing.len() == c.required.len()
                        && tags.iter().any(|(k, _)| k == TAG_VENDOR_PRINCIPAL);
                    findings.push(Finding {
                        kind: if revoked {
                            FindingKind::AccessRevoked
                        } else {
                            FindingKind::MissingActions
                        },
                        severity: Health::Broken,
                        what: if revoked {
                            "the vendor's access is revoked".into()
                        } else {
                            format!("the vendor principal lacks {}", c.missing.join(", "))
                        },
                        meaning: pm.clone(),
                        fix: if revoked {
                            "Restore the vendor's access when it should use the key again.".into()
                        } else {
                            pa.clone()
                        },
                    });
                }
                // Extra access that manages the key is a danger above; the rest is extra.
                let extra: Vec<&String> = c
                    .extra
                    .iter()
                    .filter(|a| policy::vendor_action_problem(a).is_none())
                    .collect();
                if !extra.is_empty() {
                    findings.push(Finding {
                        kind: FindingKind::ExtraActions,
                        severity: Health::NeedsAttention,
                        what: format!(
                            "the vendor principal has more than it needs: {}",
                            extra
                                .iter()
                                .map(|a| a.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        meaning: "More access than the vendor asks for.".into(),
                        fix: "Remove the extra actions from the key policy.".into(),
                    });
                }
                for ps in &prof.statements {
                    let Some(s) = statements(p)
                        .iter()
                        .find(|s| s.get("Sid").and_then(Value::as_str) == Some(ps.sid.as_str()))
                    else {
                        continue;
                    };
                    let sid = &ps.sid;
                    let (missing, differs) =
                        condition_gap(ps.condition.as_ref(), s.get("Condition"));
                    if !missing.is_empty() {
                        findings.push(Finding {
                            kind: FindingKind::ConditionMissing,
                            severity: Health::NeedsAttention,
                            what: format!(
                                "statement {sid:?} lacks the profile's condition {}",
                                missing.join(", ")
                            ),
                            meaning: "The vendor may get more than it asks for.".into(),
                            fix: "Repair the key policy (byok adds the profile's condition and keeps yours).".into(),
                        });
                    }
                    for (key, yours, wanted) in differs {
                        findings.push(Finding {
                            kind: FindingKind::ConditionDiffers,
                            severity: Health::NeedsAttention,
                            what: format!(
                                "statement {sid:?} has {key} = {yours}; the profile's is {wanted}"
                            ),
                            meaning: "The vendor may get more (or less) than it asks for.".into(),
                            fix: format!(
                                "Edit the key policy if the profile's value is the right one: byok keeps your {key}."
                            ),
                        });
                    }
                }
                check = Some(c);
            }
        }
    }

    // Rotation.
    let rotation = i.rotation.as_ref().ok().cloned();
    // The role follows from the ARNs: moto reports a primary as REPLICA once its replica
    // has been described (the two share one configuration there).
    let role_of = |m: &crate::kms::MultiRegionInfo| {
        if m.primary.arn.is_empty() {
            m.role.clone()
        } else if m.primary.arn == info.arn {
            "PRIMARY".to_string()
        } else {
            "REPLICA".to_string()
        }
    };
    let is_replica = info
        .multi_region
        .as_ref()
        .is_some_and(|m| role_of(m) == "REPLICA");
    match (&rotation, &i.rotation) {
        (Some(r), _) if !r.enabled && !is_replica && enabled => findings.push(Finding {
            kind: FindingKind::RotationOff,
            severity: Health::NeedsAttention,
            what: "automatic rotation is off".into(),
            meaning: profile
                .map(|p| p.key.rotation_note.clone())
                .unwrap_or_default(),
            fix: "Turn on automatic rotation.".into(),
        }),
        (None, Err(e)) if enabled => findings.push(Finding {
            kind: FindingKind::RotationUnreadable,
            severity: Health::NeedsAttention,
            what: format!("cannot read the rotation status: {e}"),
            meaning: String::new(),
            fix: e.explain(None, ""),
        }),
        _ => {}
    }

    // Replicas.
    let multi_region = info.multi_region.as_ref().map(|m| MultiRegionStatus {
        role: role_of(m),
        primary_region: m.primary.region.clone(),
        primary_arn: m.primary.arn.clone(),
        replicas: i.replicas.clone(),
    });
    for r in &i.replicas {
        if r.state.as_deref() != Some("Enabled") {
            findings.push(Finding {
                kind: FindingKind::Replica,
                severity: Health::NeedsAttention,
                what: format!(
                    "the replica in {} is {}",
                    r.region,
                    r.state.as_deref().unwrap_or("unreadable")
                ),
                meaning: "The vendor cannot use the key in that Region.".into(),
                fix: "See the replica's own entry.".into(),
            });
        }
    }
    if i.aliases.is_empty()
        && info.state != "PendingDeletion"
        && duplicate_of.is_none()
        && i.alias_holder.is_none()
    {
        findings.push(Finding {
            kind: FindingKind::NoAlias,
            severity: Health::NeedsAttention,
            what: "the key has no alias in its Region".into(),
            meaning: String::new(),
            fix: "Name it with an alias (aws kms create-alias).".into(),
        });
    }

    let health = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Health::Ok);
    // The meaning and recovery shown first: the worst finding's, a danger before the rest,
    // else the first (the key's state before its policy).
    let worst = findings
        .iter()
        .filter(|f| f.severity == health)
        .min_by_key(|f| !f.kind.is_danger());
    let (meaning, recovery) = match worst {
        Some(f) if !f.meaning.is_empty() => (f.meaning.clone(), f.fix.clone()),
        Some(f) => (state_meaning.clone(), f.fix.clone()),
        None => (state_meaning, state_action),
    };
    KeyStatus {
        arn: info.arn.clone(),
        key_id: info.key_id.clone(),
        region,
        account,
        vendor_name: profile.map(|p| p.name.clone()),
        vendor: vendor_id,
        found_by: i.found_by,
        byok_role: tags
            .iter()
            .find(|(k, _)| k == TAG_ROLE)
            .map(|(_, v)| v.clone()),
        aliases: i.aliases,
        state: KeyState::parse(&info.state),
        enabled,
        description: info.description,
        created: info.created,
        deletion_date: info.deletion_date,
        multi_region,
        rotation,
        administrators,
        policy: check,
        meaning,
        recovery,
        health,
        findings,
        policy_document: i.policy.ok(),
        alerts: None,
    }
}
