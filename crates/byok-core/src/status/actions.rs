//! The lifecycle actions: which apply to a key, each planned as a list of changes (with the
//! policy diff) before anything is sent, then sent.

use super::*;

// ---------------------------------------------------------------------------------------
// Actions

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Enable,
    Disable,
    /// Turn on (or change the period of) automatic rotation.
    EnableRotation {
        days: u32,
    },
    DisableRotation,
    RotateNow,
    ScheduleDeletion {
        days: u32,
    },
    CancelDeletion,
    RepairPolicy,
    RevokeAccess,
    RestoreAccess,
    /// Remove the principals the vendor has retired (its profile's `principal.refuse`).
    RemoveRetired,
    /// Add the principal(s) a vendor returned once the key ARN was registered with it: the
    /// same plan as `byok grant`.
    Grant,
}

/// One action as every surface offers it: the status screen's menu (its key and words) and
/// `byok status`'s flags (name, value and help) are read from [`ACTIONS`], so a new action is
/// one entry here plus its planning in [`plan_action`].
#[derive(Debug)]
pub struct ActionSpec {
    /// The key that picks it in the status screen's menu.
    pub key: char,
    /// Its words in the menu.
    pub menu: &'static str,
    /// The `byok status` flag, without `--`.
    pub flag: &'static str,
    /// For the actions that take a number of days: the flag's value name.
    pub days: Option<&'static str>,
    /// The flag's help.
    pub help: &'static str,
    make: fn(u32) -> Action,
}

impl ActionSpec {
    /// The action, with `days` for the ones that take them.
    pub fn action(&self, days: u32) -> Action {
        (self.make)(days)
    }
}

/// Every lifecycle action, in the order the menu and the help list them.
pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        key: 'e',
        menu: "Enable the key",
        flag: "enable",
        days: None,
        help: "Enable the key(s) named with --key",
        make: |_| Action::Enable,
    },
    ActionSpec {
        key: 'd',
        menu: "Disable the key",
        flag: "disable",
        days: None,
        help: "Disable the key(s): the vendor's service stops using them",
        make: |_| Action::Disable,
    },
    ActionSpec {
        key: 'o',
        menu: "Turn on rotation / change its period",
        flag: "rotation-days",
        days: Some("DAYS"),
        help: "Turn on automatic rotation with this period (90 to 2560 days), or change the period",
        make: |days| Action::EnableRotation { days },
    },
    ActionSpec {
        key: 'x',
        menu: "Turn off automatic rotation",
        flag: "disable-rotation",
        days: None,
        help: "Turn off automatic rotation",
        make: |_| Action::DisableRotation,
    },
    ActionSpec {
        key: 'n',
        menu: "Rotate the key material now",
        flag: "rotate-now",
        days: None,
        help: "Rotate the key material now (RotateKeyOnDemand)",
        make: |_| Action::RotateNow,
    },
    ActionSpec {
        key: 's',
        menu: "Schedule deletion (7-30 days)",
        flag: "schedule-deletion",
        days: Some("DAYS"),
        help: "Schedule deletion after this many days (7 to 30); needs --confirm-alias",
        make: |days| Action::ScheduleDeletion { days },
    },
    ActionSpec {
        key: 'c',
        menu: "Cancel the deletion and re-enable",
        flag: "cancel-deletion",
        days: None,
        help: "Cancel a scheduled deletion and enable the key again",
        make: |_| Action::CancelDeletion,
    },
    ActionSpec {
        key: 'p',
        menu: "Repair the key policy",
        flag: "repair-policy",
        days: None,
        help: "Restore the vendor statements the profile requires (shows the policy diff first)",
        make: |_| Action::RepairPolicy,
    },
    ActionSpec {
        key: 'v',
        menu: "Revoke the vendor's access",
        flag: "revoke-access",
        days: None,
        help: "Remove the vendor's access from the key policy (restore it with --restore-access)",
        make: |_| Action::RevokeAccess,
    },
    ActionSpec {
        key: 't',
        menu: "Restore the vendor's access",
        flag: "restore-access",
        days: None,
        help: "Give the vendor its access back",
        make: |_| Action::RestoreAccess,
    },
    ActionSpec {
        key: 'u',
        menu: "Remove the vendor's retired principal",
        flag: "remove-retired",
        days: None,
        help: "Remove a principal the vendor has retired (such as ClickHouse's old shared role) from the key policy; the vendor's current principal must have its access first",
        make: |_| Action::RemoveRetired,
    },
    ActionSpec {
        key: 'g',
        menu: "Grant what the vendor returned (its principal or statement)",
        flag: "grant",
        days: None,
        help: "Add the principal the vendor returned once the key ARN was registered with it (--principal ARN; for several, or the vendor's statement, use byok grant)",
        make: |_| Action::Grant,
    },
];

impl Action {
    /// Its entry in [`ACTIONS`].
    pub fn spec(&self) -> &'static ActionSpec {
        ACTIONS
            .iter()
            .find(|s| std::mem::discriminant(&s.action(0)) == std::mem::discriminant(self))
            .expect("every action is listed in ACTIONS")
    }

    /// Whether it rewrites the key policy: PutKeyPolicy replaces the whole document, so runs
    /// changing the same key's policy take turns.
    pub fn changes_policy(&self) -> bool {
        matches!(
            self,
            Action::RepairPolicy
                | Action::RevokeAccess
                | Action::RestoreAccess
                | Action::RemoveRetired
                | Action::Grant
        )
    }

    /// The days it carries (rotation period, deletion window).
    pub fn days(&self) -> Option<u32> {
        match self {
            Action::EnableRotation { days } | Action::ScheduleDeletion { days } => Some(*days),
            _ => None,
        }
    }

    pub fn title(&self) -> String {
        match self {
            Action::Enable => "Enable the key".into(),
            Action::Disable => "Disable the key".into(),
            Action::EnableRotation { days } => format!("Rotate automatically every {days} days"),
            Action::DisableRotation => "Turn off automatic rotation".into(),
            Action::RotateNow => "Rotate the key material now".into(),
            Action::ScheduleDeletion { days } => format!("Schedule deletion in {days} days"),
            Action::CancelDeletion => "Cancel the deletion and re-enable".into(),
            Action::RepairPolicy => "Repair the key policy".into(),
            Action::RevokeAccess => "Revoke the vendor's access".into(),
            Action::RestoreAccess => "Restore the vendor's access".into(),
            Action::RemoveRetired => "Remove the vendor's retired principal".into(),
            Action::Grant => "Grant the vendor's principal".into(),
        }
    }

    /// Check the numbers before anything is sent.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Action::EnableRotation { days } if !(90..=2560).contains(days) => Err(format!(
                "Rotation period (--rotation-days): {days} is outside 90 to 2560 days"
            )),
            Action::ScheduleDeletion { days } if !(7..=30).contains(days) => Err(format!(
                "Waiting period (--schedule-deletion): {days} is outside 7 to 30 days"
            )),
            _ => Ok(()),
        }
    }
}

/// One API call of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub region: String,
    pub key_id: String,
    pub arn: String,
    /// The KMS operation, e.g. DisableKey.
    pub call: String,
    /// Rotation period or deletion window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<(String, String)>>,
    /// The policy diff (`-`/`+`/` ` lines), for PutKeyPolicy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<String>,
    /// For PutKeyPolicy: what the new policy keeps of yours and what it takes away, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub summary: Vec<String>,
    /// For PutKeyPolicy: the policy the plan was made from. [`apply`] reads the key's policy
    /// again just before sending and sends nothing when it is no longer this one: PutKeyPolicy
    /// replaces the whole document, so a change made since the plan (another run, a person in
    /// the console) would be lost.
    #[serde(skip)]
    pub before: Option<String>,
}

/// What an action will do, shown before asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionPlan {
    pub title: String,
    /// The key the user chose.
    pub target: String,
    pub changes: Vec<Change>,
    /// What it means for the vendor's service.
    pub consequence: String,
    /// Notes such as "also applied to the replica in eu-west-2".
    pub notes: Vec<String>,
}

impl ActionPlan {
    pub fn render_text(&self) -> String {
        let mut out = format!("{} ({}):\n", self.title, self.target);
        for c in &self.changes {
            let extra = match (c.days, &c.tags) {
                (Some(d), _) => format!(" ({d} days)"),
                (_, Some(t)) => format!(
                    " ({})",
                    t.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => String::new(),
            };
            out.push_str(&format!(
                "  - {} {} in {}{extra}\n",
                c.call, c.key_id, c.region
            ));
            for d in &c.diff {
                out.push_str(&format!("      {d}\n"));
            }
            for l in &c.summary {
                out.push_str(&format!("    {l}\n"));
            }
        }
        for n in &self.notes {
            out.push_str(&format!("  Note: {}\n", crate::sanitize::line(n)));
        }
        if !self.consequence.is_empty() {
            out.push_str(&format!(
                "  For the vendor: {}\n",
                crate::sanitize::line(&self.consequence)
            ));
        }
        out
    }
}

/// A line diff of two texts (longest common subsequence), `- `, `+ ` and `  ` prefixed.
pub fn line_diff(old: &str, new: &str) -> Vec<String> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(format!("  {}", a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("- {}", a[i]));
            i += 1;
        } else {
            out.push(format!("+ {}", b[j]));
            j += 1;
        }
    }
    out
}

/// Only the changed lines and up to two lines of context around them.
pub fn compact_diff(diff: &[String]) -> Vec<String> {
    let changed: Vec<usize> = diff
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.starts_with("  "))
        .map(|(i, _)| i)
        .collect();
    let keep = |i: usize| changed.iter().any(|c| c.abs_diff(i) <= 2);
    let mut out = Vec::new();
    let mut gap = false;
    for (i, l) in diff.iter().enumerate() {
        if keep(i) {
            if gap && !out.is_empty() {
                out.push("  …".to_string());
            }
            gap = false;
            out.push(l.clone());
        } else {
            gap = true;
        }
    }
    out
}

pub(super) fn statement_json(
    sid: &str,
    principal: &str,
    actions: &[String],
    condition: Option<&Value>,
) -> Value {
    statement_on(sid, principal, actions, condition, "*")
}

/// [`statement_json`] with its `Resource`.
pub(super) fn statement_on(
    sid: &str,
    principal: &str,
    actions: &[String],
    condition: Option<&Value>,
    resource: &str,
) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("Sid".into(), json!(sid));
    m.insert("Effect".into(), json!("Allow"));
    m.insert("Principal".into(), json!({ "AWS": principal }));
    m.insert("Action".into(), json!(actions));
    m.insert("Resource".into(), json!(resource));
    if let Some(c) = condition {
        m.insert("Condition".into(), c.clone());
    }
    Value::Object(m)
}

/// A new key policy, and what it keeps and takes away in words (`kept: ...`,
/// `removed: ...`): shown with the diff, since a diff does not say whose lines stayed.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyChange {
    pub policy: Value,
    pub summary: Vec<String>,
}

pub(super) fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => vec![],
    }
}

pub(super) fn one_or_list(list: &[String]) -> Value {
    if list.len() == 1 {
        json!(list[0])
    } else {
        json!(list)
    }
}

/// A statement's `Principal.AWS` entries.
pub(super) fn aws_principals(s: &Value) -> Vec<String> {
    str_list(s.get("Principal").and_then(|p| p.get("AWS")))
}

/// Whether a statement names principals other than `Principal.AWS` ones (a service, ...).
pub(super) fn other_principal_kinds(s: &Value) -> bool {
    s.get("Principal")
        .and_then(Value::as_object)
        .is_some_and(|o| o.keys().any(|k| k != "AWS"))
}

/// Set `Principal.AWS`, keeping the statement's other kinds of principal.
pub(super) fn set_aws_principals(s: &mut Value, list: &[String]) {
    match s.get_mut("Principal") {
        Some(Value::Object(o)) => {
            if list.is_empty() {
                o.remove("AWS");
            } else {
                o.insert("AWS".into(), one_or_list(list));
            }
        }
        _ => s["Principal"] = json!({ "AWS": one_or_list(list) }),
    }
}

pub(super) fn sid_of(s: &Value) -> String {
    s.get("Sid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The `operator key` entries of a Condition.
pub(super) fn condition_entries(c: Option<&Value>) -> Vec<(String, String)> {
    c.and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(op, block)| {
            block
                .as_object()
                .into_iter()
                .flatten()
                .map(move |(k, _)| (op.clone(), k.clone()))
        })
        .collect()
}

/// Repair a key policy without widening anything: the account-root statement added if
/// missing; each vendor statement (by Sid) that exists keeps its other principals, its
/// Condition and its extra use actions, and gets the vendor principal, the missing actions and
/// any missing part of the profile's condition; a missing one is added whole. Every action
/// that manages the key is taken from the vendor, wherever it was granted. Nothing else changes.
pub fn repair_policy(
    profile: &VendorProfile,
    policy: &Value,
    account: &str,
    partition: &str,
    principal: &str,
) -> PolicyChange {
    repair_policy_of(profile, policy, account, partition, principal, None)
}

/// [`repair_policy`] for the key `key_arn`: a vendor statement the profile writes on the
/// key's own ARN (`resource: "key"`) gets it (with `None`, `"*"`).
pub fn repair_policy_of(
    profile: &VendorProfile,
    policy: &Value,
    account: &str,
    partition: &str,
    principal: &str,
    key_arn: Option<&str>,
) -> PolicyChange {
    let mut out = policy.clone();
    if !out.is_object() {
        out = json!({ "Version": "2012-10-17", "Statement": [] });
    }
    if out.get("Statement").and_then(Value::as_array).is_none() {
        out["Statement"] = json!([]);
    }
    let mut summary = Vec::new();
    let root = format!("arn:{partition}:iam::{account}:root");
    let has_root = has_root_statement(&out, account);
    let vendor_sids: Vec<&str> = profile.statements.iter().map(|s| s.sid.as_str()).collect();
    let list = out["Statement"].as_array_mut().expect("a list");
    if !has_root {
        let mut s = statement_json(&profile.root_statement_sid, &root, &[], None);
        s["Action"] = json!("kms:*");
        list.insert(0, s);
    }

    // A vendor never manages the key: outside its own statements, such grants to it go.
    let mut kept = Vec::with_capacity(list.len());
    for mut s in list.drain(..) {
        let sid = sid_of(&s);
        let allow = s.get("Effect").and_then(Value::as_str) == Some("Allow");
        let names_vendor = aws_principals(&s)
            .iter()
            .any(|p| same_principal(p, principal));
        let bad: Vec<String> = policy::actions(&s)
            .into_iter()
            .filter(|a| policy::vendor_action_problem(a).is_some())
            .map(str::to_string)
            .collect();
        if !allow || !names_vendor || bad.is_empty() || vendor_sids.contains(&sid.as_str()) {
            kept.push(s);
            continue;
        }
        let others: Vec<String> = aws_principals(&s)
            .into_iter()
            .filter(|p| !same_principal(p, principal))
            .collect();
        if !others.is_empty() || other_principal_kinds(&s) {
            set_aws_principals(&mut s, &others);
            summary.push(format!(
                "removed: the vendor {principal} from {sid:?}, which lets its principals manage the key ({}); kept: its other principals",
                bad.join(", ")
            ));
        } else {
            let rest: Vec<String> = policy::actions(&s)
                .into_iter()
                .filter(|a| !bad.iter().any(|b| b == a))
                .map(str::to_string)
                .collect();
            if rest.is_empty() {
                summary.push(format!(
                    "removed: statement {sid:?}, which let the vendor manage the key ({})",
                    bad.join(", ")
                ));
                continue;
            }
            s["Action"] = one_or_list(&rest);
            summary.push(format!(
                "removed: {} from {sid:?} (a vendor never manages the key)",
                bad.join(", ")
            ));
        }
        kept.push(s);
    }
    *list = kept;

    for ps in &profile.statements {
        let sid = ps.sid.as_str();
        let Some(s) = list.iter_mut().find(|s| sid_of(s) == sid) else {
            // Its condition holds a value the customer typed at create (`--set`), which byok
            // does not know here: adding the statement without it would widen the vendor's
            // access, so it is left to `byok create` with the value.
            if ps
                .condition
                .as_ref()
                .is_some_and(crate::vendor::is_placeholder)
            {
                summary.push(format!(
                    "not added: {sid:?}, whose condition needs your {} (run byok create again with --set)",
                    profile
                        .values
                        .iter()
                        .map(|v| v.label.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                continue;
            }
            list.push(statement_on(
                sid,
                principal,
                &ps.actions,
                ps.condition.as_ref(),
                &ps.resource.value(key_arn),
            ));
            continue;
        };
        let effect = s
            .get("Effect")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if effect != "Allow" {
            summary.push(format!(
                "kept: {sid:?} as it is: a {effect} statement, which byok does not change"
            ));
            continue;
        }
        // The principal: the vendor added, the others kept. A wildcard is left to the lint.
        let mut aws = aws_principals(s);
        if !matches!(s.get("Principal"), Some(Value::String(_))) && !aws.iter().any(|p| p == "*") {
            for o in aws.iter().filter(|p| !same_principal(p, principal)) {
                summary.push(format!("kept: the principal {o} in {sid:?}, added by you"));
            }
            if !aws.iter().any(|p| same_principal(p, principal)) {
                aws.push(principal.to_string());
                set_aws_principals(s, &aws);
            }
        }
        // The actions: the missing ones added, the management ones removed, the rest kept.
        let acts: Vec<String> = policy::actions(s).into_iter().map(str::to_string).collect();
        let (bad, fine): (Vec<String>, Vec<String>) = acts
            .into_iter()
            .partition(|a| policy::vendor_action_problem(a).is_some());
        let lacking = ps
            .actions
            .iter()
            .any(|r| !fine.iter().any(|a| policy::action_matches(a, r)));
        let extra: Vec<String> = fine
            .into_iter()
            .filter(|a| !ps.actions.iter().any(|r| r.eq_ignore_ascii_case(a)))
            .collect();
        if !bad.is_empty() || lacking {
            let mut new = ps.actions.clone();
            new.extend(extra.iter().cloned());
            s["Action"] = json!(new);
        }
        if !bad.is_empty() {
            summary.push(format!(
                "removed: {} from {sid:?} (a vendor never manages the key)",
                bad.join(", ")
            ));
        }
        if !extra.is_empty() {
            summary.push(format!(
                "kept: {} in {sid:?}, beyond what the profile asks",
                extra.join(", ")
            ));
        }
        // The condition: the profile's added where missing; yours kept, never dropped.
        let wanted = condition_entries(ps.condition.as_ref());
        let own: Vec<String> = condition_entries(s.get("Condition"))
            .into_iter()
            .filter(|e| !wanted.contains(e))
            .map(|(op, k)| format!("{op} {k}"))
            .collect();
        let (_, differs) = condition_gap(ps.condition.as_ref(), s.get("Condition"));
        if let Some(pc) = ps.condition.as_ref().and_then(Value::as_object) {
            for (op, block) in pc {
                for (k, v) in block.as_object().into_iter().flatten() {
                    if crate::vendor::is_placeholder(v) {
                        continue;
                    }
                    if s.get("Condition")
                        .and_then(|c| c.get(op))
                        .and_then(|b| b.get(k))
                        .is_none()
                    {
                        s["Condition"][op.as_str()][k.as_str()] = v.clone();
                    }
                }
            }
        }
        if !own.is_empty() {
            summary.push(format!(
                "kept: the Condition on {sid:?} ({}), yours",
                own.join(", ")
            ));
        }
        for (k, yours, theirs) in differs {
            summary.push(format!(
                "kept: your {k} = {yours} in {sid:?} (the profile's is {theirs})"
            ));
        }
    }
    PolicyChange {
        policy: out,
        summary,
    }
}

/// [`repair_policy`]'s policy alone.
pub fn repaired_policy(
    profile: &VendorProfile,
    policy: &Value,
    account: &str,
    partition: &str,
    principal: &str,
) -> Value {
    repair_policy(profile, policy, account, partition, principal).policy
}

/// Every grant to the vendor principal removed, and nothing else: a statement naming only
/// it goes; from one that names others too only the vendor is taken.
pub fn revoke_policy(policy: &Value, principal: &str) -> PolicyChange {
    remove_principal(policy, principal, "the vendor")
}

/// The policy without `principal` (called `who` in the summary): dropped from every Allow
/// statement, and a statement that named only it goes.
fn remove_principal(policy: &Value, principal: &str, who: &str) -> PolicyChange {
    let mut out = policy.clone();
    let mut summary = Vec::new();
    let Some(list) = out.get_mut("Statement").and_then(Value::as_array_mut) else {
        return PolicyChange {
            policy: out,
            summary,
        };
    };
    list.retain_mut(|s| {
        if s.get("Effect").and_then(Value::as_str) != Some("Allow") {
            return true;
        }
        let ps = aws_principals(s);
        if !ps.iter().any(|p| same_principal(p, principal)) {
            return true;
        }
        let sid = sid_of(s);
        let rest: Vec<String> = ps
            .into_iter()
            .filter(|p| !same_principal(p, principal))
            .collect();
        if rest.is_empty() && !other_principal_kinds(s) {
            summary.push(match s.get("Condition") {
                Some(_) => format!(
                    "removed: statement {sid:?}, which named only {who} (its Condition goes with it: restoring access adds the profile's statement)"
                ),
                None => format!("removed: statement {sid:?}, which named only {who}"),
            });
            return false;
        }
        set_aws_principals(s, &rest);
        summary.push(format!(
            "removed: {who} from {sid:?}; kept: its other principals{}",
            if s.get("Condition").is_some() {
                " and its Condition"
            } else {
                ""
            }
        ));
        true
    });
    PolicyChange {
        policy: out,
        summary,
    }
}

/// The policy without the principals the vendor has retired (its profile's
/// `principal.refuse`), each removed as [`revoke_policy`] removes the vendor.
pub fn remove_retired(profile: &VendorProfile, policy: &Value) -> PolicyChange {
    let mut out = PolicyChange {
        policy: policy.clone(),
        summary: Vec::new(),
    };
    for r in &profile.principal.refuse {
        let c = remove_principal(&out.policy, &r.arn, &format!("the retired {}", r.arn));
        out.policy = c.policy;
        out.summary.extend(c.summary);
    }
    out
}

/// [`revoke_policy`]'s policy alone.
pub fn revoked_policy(policy: &Value, principal: &str) -> Value {
    revoke_policy(policy, principal).policy
}

/// The keys an action applies to: for a Multi-Region key, the primary and every replica.
pub fn key_set(target: &KeyStatus) -> Vec<(String, String)> {
    match &target.multi_region {
        Some(m) => {
            let primary_region = m.primary_region.clone();
            let mut out = vec![(primary_region, target.key_id.clone())];
            let replicas: Vec<String> = if m.role == "PRIMARY" {
                m.replicas.iter().map(|r| r.region.clone()).collect()
            } else {
                vec![]
            };
            out.extend(replicas.into_iter().map(|r| (r, target.key_id.clone())));
            if m.role == "REPLICA" && !out.iter().any(|(r, _)| *r == target.region) {
                out.push((target.region.clone(), target.key_id.clone()));
            }
            out
        }
        None => vec![(target.region.clone(), target.key_id.clone())],
    }
}

/// [`key_set`], with a replica's sibling replicas: a replica's own entry knows only its
/// primary, so the primary is asked for the rest.
async fn full_key_set<S: KeyService>(svc: &S, target: &KeyStatus) -> Vec<(String, String)> {
    let mut set = key_set(target);
    if target.is_replica()
        && let Some((pr, id)) = set.first().cloned()
        && let Ok(p) = svc.describe_key(&pr, &id).await
        && let Some(mr) = p.multi_region
    {
        for r in mr.replicas {
            if !set.iter().any(|(x, _)| *x == r.region) {
                set.push((r.region, id.clone()));
            }
        }
    }
    set
}

/// The key's vendor profile, or why an action that needs it cannot be planned.
fn known_vendor<'c>(catalog: &'c Catalog, k: &KeyStatus) -> Result<&'c VendorProfile, String> {
    k.vendor
        .as_deref()
        .and_then(|v| catalog.get(v))
        .ok_or_else(|| "byok does not know this key's vendor: name it with --vendor.".into())
}

/// Plan an action on a key (and, where it must, on the rest of its Multi-Region set).
/// Reads fresh state for each key of the set; sends nothing that changes anything.
pub async fn plan_action<S: KeyService>(
    svc: &S,
    catalog: &Catalog,
    target: &KeyStatus,
    action: &Action,
    principal_hint: Option<&str>,
) -> Result<ActionPlan, String> {
    action.check()?;
    if *action == Action::Grant {
        let profile = known_vendor(catalog, target)?;
        let given = principal_hint.ok_or_else(|| {
            format!(
                "give what {} returned with --principal ({})",
                profile.name, profile.principal.help
            )
        })?;
        let principals = principals_from_paste(profile, target, given)?;
        return plan_grant(svc, catalog, target, &principals).await;
    }
    let profile = target.vendor.as_deref().and_then(|v| catalog.get(v));
    let consequence_of = |s: &str| meaning_of(profile, s);
    let set = full_key_set(svc, target).await;
    let mut notes = Vec::new();
    let mut changes = Vec::new();
    let arn_of = |region: &str, key_id: &str| {
        format!(
            "arn:{}:kms:{region}:{}:key/{key_id}",
            partition_of_arn(&target.arn),
            target.account
        )
    };
    let change = |region: &str, key_id: &str, call: &str| Change {
        region: region.to_string(),
        key_id: key_id.to_string(),
        arn: arn_of(region, key_id),
        call: call.to_string(),
        days: None,
        policy: None,
        tags: None,
        diff: vec![],
        summary: vec![],
        before: None,
    };
    let multi = set.len() > 1;
    let names = join_and(&set.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>());
    // The state of each key of the set, read now: an action goes only where it applies
    // (KMS refuses to cancel a deletion that is not scheduled, to enable a key pending deletion).
    let mut states: HashMap<String, String> = HashMap::new();
    if matches!(
        action,
        Action::Enable | Action::Disable | Action::ScheduleDeletion { .. } | Action::CancelDeletion
    ) {
        for (r, k) in &set {
            let st = match svc.describe_key(r, k).await {
                Ok(info) => info.state,
                Err(e) => {
                    return Err(format!(
                        "cannot read the key in {r}: {}",
                        e.explain(None, "")
                    ));
                }
            };
            states.insert(r.clone(), st);
        }
    }
    let state_in = |r: &str| states.get(r).map(String::as_str).unwrap_or("");
    let pending = |r: &str| state_in(r).starts_with("Pending");
    let consequence;
    match action {
        Action::Enable => {
            for (r, k) in &set {
                match state_in(r) {
                    "Enabled" => notes.push(format!("The key in {r} is already enabled.")),
                    st if st.starts_with("Pending") => notes.push(format!(
                        "The key in {r} is {st}: cancel the deletion instead (it enables the key too)."
                    )),
                    _ => changes.push(change(r, k, "EnableKey")),
                }
            }
            consequence = meaning_of(profile, "Enabled").0;
        }
        Action::Disable => {
            for (r, k) in &set {
                match state_in(r) {
                    "Enabled" => changes.push(change(r, k, "DisableKey")),
                    st => notes.push(format!("The key in {r} is {st}: nothing to disable.")),
                }
            }
            consequence = consequence_of("Disabled").0;
        }
        Action::EnableRotation { .. } | Action::DisableRotation | Action::RotateNow => {
            if target.state != KeyState::Enabled {
                return Err(format!(
                    "The key is {}: KMS changes rotation only on an enabled key. Enable it first.",
                    target.state
                ));
            }
            let (pr, id) = set[0].clone();
            let mut c = change(
                &pr,
                &id,
                match action {
                    Action::EnableRotation { .. } => "EnableKeyRotation",
                    Action::DisableRotation => "DisableKeyRotation",
                    _ => "RotateKeyOnDemand",
                },
            );
            if let Action::EnableRotation { days } = action {
                c.days = Some(*days);
            }
            changes.push(c);
            if multi {
                notes.push(format!(
                    "Rotation belongs to the Multi-Region primary in {pr}: the replicas share it."
                ));
            }
            consequence = profile
                .map(|p| p.key.rotation_note.clone())
                .unwrap_or_default();
        }
        Action::ScheduleDeletion { days } => {
            // Replicas first: a primary with replicas would wait in PendingReplicaDeletion.
            for (r, k) in set.iter().skip(1).chain(set.iter().take(1)) {
                if pending(r) {
                    notes.push(format!("The key in {r} is already {}.", state_in(r)));
                    continue;
                }
                let mut c = change(r, k, "ScheduleKeyDeletion");
                c.days = Some(*days);
                changes.push(c);
            }
            let (m1, _) = consequence_of("PendingDeletion");
            let (m2, _) = consequence_of("Deleted");
            consequence = format!("{m1} After {days} days: {m2}").trim().to_string();
        }
        Action::CancelDeletion => {
            for (r, k) in &set {
                if pending(r) {
                    changes.push(change(r, k, "CancelKeyDeletion"));
                    changes.push(change(r, k, "EnableKey"));
                } else {
                    notes.push(format!("No deletion is scheduled for the key in {r}."));
                }
            }
            if !changes.is_empty() {
                notes.push(
                    "KMS leaves a key Disabled after a cancelled deletion: byok enables it again."
                        .into(),
                );
            }
            consequence = meaning_of(profile, "Enabled").0;
        }
        Action::Grant => unreachable!("planned by plan_grant above"),
        Action::RepairPolicy
        | Action::RevokeAccess
        | Action::RestoreAccess
        | Action::RemoveRetired => {
            let Some(profile) = profile else {
                return Err("byok does not know this key's vendor: name it with --vendor.".into());
            };
            // Every policy of the set first: another key's vendor statements may name the
            // vendor when this one's are gone.
            let mut olds: Vec<Value> = Vec::new();
            for (r, k) in &set {
                let doc = svc.get_policy(r, k).await.map_err(|e| {
                    format!("cannot read the key policy in {r}: {}", e.explain(None, ""))
                })?;
                olds.push(
                    serde_json::from_str(&doc)
                        .map_err(|e| format!("the key policy in {r} is not JSON: {e}"))?,
                );
            }
            // The journal's principal, as status found it for the key named.
            let journal = target
                .policy
                .as_ref()
                .filter(|p| p.principal_source == Some(PrincipalSource::Journal))
                .and_then(|p| p.vendor_principal.as_deref());
            let partition = partition_of_arn(&target.arn);
            for (n, ((r, k), old)) in set.iter().zip(&olds).enumerate() {
                let tags = svc.list_tags(r, k).await.unwrap_or_default();
                let others: Vec<Value> = olds
                    .iter()
                    .enumerate()
                    .filter(|(m, _)| *m != n)
                    .map(|(_, p)| p.clone())
                    .collect();
                let resolved = vendor_principal(
                    profile,
                    r,
                    &partition,
                    &target.account,
                    &Evidence {
                        flag: principal_hint,
                        journal,
                        policy: Some(old),
                        set_policies: &others,
                        tags: &tags,
                    },
                );
                let Some((principal, _)) = resolved.principal.clone() else {
                    let tag = match &resolved.tag {
                        Some(t) => format!(
                            " The tag {TAG_VENDOR_PRINCIPAL} says {t}, but byok never takes the principal from a tag (anyone allowed kms:TagResource can write it): if it is the vendor's, give it with --principal {t}."
                        ),
                        None => String::new(),
                    };
                    return Err(format!(
                        "byok cannot tell the vendor principal of the key in {r}: neither byok's journal on this machine, the vendor profile nor the key policies name it. Give it with --principal ({}).{tag}",
                        profile.principal.help
                    ));
                };
                if let Some((t, p, from)) = resolved.tag_disagrees() {
                    notes.push(format!(
                        "The tag {TAG_VENDOR_PRINCIPAL} in {r} says {t}, but {} says {p}: byok uses {p} and sets the tag back.",
                        from.describe()
                    ));
                }
                let change_of = match action {
                    Action::RevokeAccess => revoke_policy(old, &principal),
                    Action::RemoveRetired => {
                        let change = remove_retired(profile, old);
                        // Only once the current principal has every action it needs: the
                        // retired one may be all the vendor still uses.
                        let after = check_policy(
                            profile,
                            &change.policy,
                            &target.account,
                            Some((principal.clone(), PrincipalSource::Flag)),
                        );
                        if !after.missing.is_empty() {
                            return Err(format!(
                                "{principal} lacks {} in the key policy in {r}: grant the vendor's current principal first (repair the policy with it), then remove the retired one.",
                                after.missing.join(", ")
                            ));
                        }
                        change
                    }
                    _ => repair_policy_of(
                        profile,
                        old,
                        &target.account,
                        &partition,
                        &principal,
                        Some(&arn_of(r, k)),
                    ),
                };
                let new = &change_of.policy;
                // Never send a problem the change brings; say which ones it leaves.
                let before = policy::lint(old, &target.account, &principal);
                let (brought, left): (Vec<PolicyProblem>, Vec<PolicyProblem>) =
                    policy::lint(new, &target.account, &principal)
                        .into_iter()
                        .partition(|p| !before.contains(p));
                if !brought.is_empty() {
                    return Err(format!(
                        "byok will not send the new policy for {r}: {}. Edit the policy by hand.",
                        brought
                            .iter()
                            .map(|p| p.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
                for p in &left {
                    notes.push(format!(
                        "The policy in {r} still has a problem byok leaves to you: {p}."
                    ));
                }
                let old_doc = policy::to_document(old);
                let new_doc = policy::to_document(new);
                let has_tag = tags
                    .iter()
                    .any(|(tk, tv)| tk == TAG_VENDOR_PRINCIPAL && *tv == principal);
                let tag_wrong = resolved.tag_disagrees().is_some();
                if old_doc == new_doc && !tag_wrong {
                    notes.push(match action {
                        Action::RevokeAccess => {
                            format!("The vendor already has no access to the key in {r}.")
                        }
                        Action::RemoveRetired => {
                            format!("The policy in {r} grants no retired principal.")
                        }
                        _ => {
                            let held: Vec<&str> = change_of
                                .summary
                                .iter()
                                .filter(|x| x.starts_with("not added"))
                                .map(String::as_str)
                                .collect();
                            if held.is_empty() {
                                format!("The policy in {r} already is what it should be.")
                            } else {
                                format!(
                                    "The policy in {r} lacks what byok cannot add without a value you typed at create: {}.",
                                    held.join("; ")
                                )
                            }
                        }
                    });
                    continue;
                }
                if !has_tag {
                    let mut t = change(r, k, "TagResource");
                    t.tags = Some(vec![(TAG_VENDOR_PRINCIPAL.to_string(), principal.clone())]);
                    changes.push(t);
                }
                if old_doc != new_doc {
                    let mut c = change(r, k, "PutKeyPolicy");
                    c.diff = compact_diff(&line_diff(&old_doc, &new_doc));
                    c.summary = change_of.summary;
                    c.policy = Some(new_doc);
                    c.before = Some(old_doc);
                    changes.push(c);
                }
            }
            if multi && !changes.is_empty() {
                notes.push(format!(
                    "Each key of a Multi-Region set has its own policy: this changes {}.",
                    regions_of(&changes)
                ));
            }
            consequence = match action {
                Action::RevokeAccess => consequence_of("PolicyMissingActions").0,
                _ => meaning_of(Some(profile), "Enabled").0,
            };
        }
    }
    if multi
        && !matches!(
            action,
            Action::RepairPolicy
                | Action::RevokeAccess
                | Action::RestoreAccess
                | Action::RemoveRetired
                | Action::EnableRotation { .. }
                | Action::DisableRotation
                | Action::RotateNow
        )
        && !changes.is_empty()
    {
        let changed = regions_of(&changes);
        notes.push(if changed == names {
            format!("The vendor uses every key of the Multi-Region set: this changes each ({names}).")
        } else {
            format!(
                "The vendor uses every key of the Multi-Region set ({names}): this changes only {changed}."
            )
        });
    }
    // Nothing to send: the notes say why; no consequence to announce.
    let consequence = if changes.is_empty() {
        String::new()
    } else {
        consequence
    };
    Ok(ActionPlan {
        title: action.title(),
        target: format!("{} in {}", target.name(), target.region),
        changes,
        consequence,
        notes,
    })
}

/// The Regions a plan's changes go to, in order: "eu-west-1 and eu-west-2".
pub(super) fn regions_of(changes: &[Change]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in changes {
        if !out.contains(&c.region.as_str()) {
            out.push(&c.region);
        }
    }
    join_and(&out)
}

/// "a", "a and b", "a, b and c".
pub(super) fn join_and(items: &[&str]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => items.join(""),
    }
}

/// A vendor principal given for a key that exists (`byok grant`, the status screen's box):
/// checked as the wizard checks it (the profile's kind and refusals, the key's partition), and
/// never the key's own account. Quotes and a trailing comma pasted from JSON are dropped.
pub fn check_given_principal(
    profile: &VendorProfile,
    k: &KeyStatus,
    given: &str,
) -> Result<String, String> {
    let given = given
        .trim()
        .trim_matches(|c: char| matches!(c, '"' | '\'' | ','));
    if given.is_empty() {
        return Err("give the vendor's principal (an ARN or account ID)".into());
    }
    let arn = profile
        .principal
        .kind
        .check_given(profile, &k.region, given)?;
    if arn.contains(&format!(":iam::{}:", k.account)) {
        return Err(format!(
            "{arn} is in your own account {}: give the vendor's account or role",
            k.account
        ));
    }
    Ok(arn)
}

/// What a vendor returned once the key ARN was registered with it, as pasted (the status
/// screen's box, the wizard's Done screen, `status --grant --principal`): its statement
/// (starting with `{`, checked by [`check_vendor_statement`]), or one or more principals
/// separated by spaces, commas or line breaks (each checked by [`check_given_principal`]).
pub fn principals_from_paste(
    profile: &VendorProfile,
    k: &KeyStatus,
    text: &str,
) -> Result<Vec<String>, String> {
    let t = text.trim();
    if t.starts_with('{') {
        return check_vendor_statement(profile, k, t)
            .map_err(|e| format!("the statement you pasted {e}"));
    }
    if t.len() > MAX_STATEMENT_BYTES {
        return Err(format!(
            "is {} bytes: give the vendor's principal ARN(s)",
            t.len()
        ));
    }
    let mut out = Vec::new();
    for p in t
        .split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
        .filter(|p| !p.trim_matches(|c| c == '"' || c == '\'').is_empty())
    {
        let arn = check_given_principal(profile, k, p)?;
        if !out.contains(&arn) {
            out.push(arn);
        }
    }
    if out.is_empty() {
        return Err(format!(
            "give what {} returned: {}",
            profile.name, profile.principal.help
        ));
    }
    Ok(out)
}

/// What a vendor returned, pasted for a key (the wizard's Done screen): the key read as
/// `byok status` reads it, the text checked by [`principals_from_paste`], then the same plan
/// as `byok grant` ([`plan_grant`]). Sends nothing that changes anything.
pub async fn plan_pasted_grant<S: KeyService>(
    svc: &S,
    profile: &VendorProfile,
    key_arn: &str,
    region: &str,
    text: &str,
) -> Result<ActionPlan, String> {
    let catalog = Catalog {
        profiles: vec![profile.clone()],
    };
    let scope = Scope {
        keys: vec![key_arn.to_string()],
        regions: vec![region.to_string()],
        vendor: Some(profile.id.clone()),
        named_only: true,
        ..Scope::default()
    };
    let report = collect(svc, &catalog, &scope).await;
    if let Some(e) = report.named_errors.first() {
        return Err(e.clone());
    }
    let k = report
        .keys
        .first()
        .ok_or_else(|| format!("no key {key_arn} was found in {region}"))?;
    let principals = principals_from_paste(profile, k, text)?;
    plan_grant(svc, &catalog, k, &principals).await
}

/// The most a pasted vendor statement may be: Snowflake's is about 300 bytes.
pub const MAX_STATEMENT_BYTES: usize = 8192;

/// A key policy statement the vendor returned once the key ARN was registered with it
/// (Snowflake's `SYSTEM$GET_CMK_CONFIG`), pasted for `byok grant --statement`: untrusted
/// text, checked like a profile's statement and its principal like a principal answer. It
/// must be one of the profile's statements (its Sid), `Allow`, name the vendor by IAM ARN
/// only (each checked by [`check_given_principal`]: never your own account), grant only
/// actions the profile's statement lists, on `"*"` or this key's ARN, and hold nothing else
/// (no Condition, NotAction, NotPrincipal, ...). Several statements, as a vendor prints them
/// (Confluent's CLI: `{...}, {...}`, or a JSON list), are each checked so, at most one per
/// profile statement. A trailing comma, as the vendor prints it, is dropped. The principals it names are what is granted: byok writes the profile's
/// statement for them.
/// The JSON of what a vendor returned: one statement, or several as a vendor prints them
/// (Confluent's CLI: `{...}, {...}`), a trailing comma allowed. Only parsed: what it may
/// hold is [`check_vendor_statement`]'s.
pub fn parse_vendor_statements(text: &str) -> Result<Value, serde_json::Error> {
    let body = text.trim();
    let body = body.strip_suffix(',').unwrap_or(body).trim_end();
    serde_json::from_str::<Value>(body)
        .or_else(|e| serde_json::from_str::<Value>(&format!("[{body}]")).map_err(|_| e))
}

pub fn check_vendor_statement(
    profile: &VendorProfile,
    k: &KeyStatus,
    text: &str,
) -> Result<Vec<String>, String> {
    if text.len() > MAX_STATEMENT_BYTES {
        return Err(format!(
            "is {} bytes: a vendor's statement is a few hundred (at most {MAX_STATEMENT_BYTES})",
            text.len()
        ));
    }
    let v = parse_vendor_statements(text).map_err(|e| {
        format!(
            "is not a JSON statement ({e}): paste the statement {} returned, from {{ to }}",
            profile.name
        )
    })?;
    let statements: Vec<&serde_json::Map<String, Value>> = match &v {
        Value::Object(o) => vec![o],
        Value::Array(a) if !a.is_empty() && a.len() <= profile.statements.len() => a
            .iter()
            .map(Value::as_object)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                format!(
                    "is not a list of statements: paste what {} returned, from {{ to }}",
                    profile.name
                )
            })?,
        _ => {
            return Err(format!(
                "is not one of {}'s {} statement(s): paste what it returned, from {{ to }}",
                profile.name,
                profile.statements.len()
            ));
        }
    };
    let mut sids: Vec<&str> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for o in statements {
        let sid = o.get("Sid").and_then(Value::as_str).unwrap_or_default();
        if sids.contains(&sid) {
            return Err(format!(
                "names the statement {} twice",
                crate::sanitize::line(sid)
            ));
        }
        sids.push(sid);
        for p in check_one_statement(profile, k, o)? {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// One statement of [`check_vendor_statement`]: its principals.
fn check_one_statement(
    profile: &VendorProfile,
    k: &KeyStatus,
    o: &serde_json::Map<String, Value>,
) -> Result<Vec<String>, String> {
    // Shown in messages: escaped, and short.
    let show = |x: &Value| {
        let t = x.to_string();
        let t: String = t.chars().take(120).collect();
        crate::sanitize::line(&t).into_owned()
    };
    for key in o.keys() {
        if !matches!(
            key.as_str(),
            "Sid" | "Effect" | "Principal" | "Action" | "Resource"
        ) {
            return Err(format!(
                "has the field {}: a vendor statement holds only Sid, Effect, Principal, Action and Resource",
                show(&json!(key))
            ));
        }
    }
    let sid = o.get("Sid").and_then(Value::as_str).unwrap_or_default();
    let Some(ps) = profile.statements.iter().find(|p| p.sid == sid) else {
        return Err(format!(
            "has the Sid {}, which is not one of {}'s statements ({})",
            show(o.get("Sid").unwrap_or(&Value::Null)),
            profile.name,
            profile
                .statements
                .iter()
                .map(|p| format!("{:?}", p.sid))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    if o.get("Effect").and_then(Value::as_str) != Some("Allow") {
        return Err(format!(
            "has the Effect {}: byok adds only an Allow statement",
            show(o.get("Effect").unwrap_or(&Value::Null))
        ));
    }
    let strings = |x: Option<&Value>| -> Option<Vec<String>> {
        match x? {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(a) if !a.is_empty() && a.len() <= 32 => {
                a.iter().map(|i| i.as_str().map(str::to_string)).collect()
            }
            _ => None,
        }
    };
    let Some(actions) = strings(o.get("Action")) else {
        return Err("has no Action (a string or a list of strings)".into());
    };
    for a in &actions {
        if !ps.actions.iter().any(|p| p.eq_ignore_ascii_case(a)) {
            return Err(format!(
                "grants {}, which {}'s statement {:?} does not ({})",
                show(&json!(a)),
                profile.name,
                ps.sid,
                ps.actions.join(", ")
            ));
        }
    }
    match o.get("Resource") {
        Some(Value::String(r)) if r == "*" || *r == k.arn => {}
        Some(r) => {
            return Err(format!(
                "is on the Resource {}: only \"*\" or this key's ARN {}",
                show(r),
                k.arn
            ));
        }
        None => return Err("has no Resource".into()),
    }
    let principal = o.get("Principal").and_then(Value::as_object);
    let aws = match principal {
        Some(p) if p.len() == 1 => strings(p.get("AWS")),
        _ => None,
    };
    let Some(aws) = aws else {
        return Err(format!(
            "has the Principal {}: a vendor statement names {}'s principal as {{\"AWS\": \"ARN\"}}",
            show(o.get("Principal").unwrap_or(&Value::Null)),
            profile.name
        ));
    };
    let mut out = Vec::new();
    for p in &aws {
        let arn = check_given_principal(profile, k, p)
            .map_err(|e| format!("names the principal {}: {e}", show(&json!(p))))?;
        if !out.contains(&arn) {
            out.push(arn);
        }
    }
    Ok(out)
}

/// `byok grant`: add the vendor principals given (checked by the caller against the
/// profile) to the vendor statements of the key and of the rest of its Multi-Region set, as
/// a repair with each of them would; the principals already there stay. For a vendor that
/// gives its principal only once the key is registered with it, or one more of its roles.
pub async fn plan_grant<S: KeyService>(
    svc: &S,
    catalog: &Catalog,
    target: &KeyStatus,
    principals: &[String],
) -> Result<ActionPlan, String> {
    let profile = known_vendor(catalog, target)?;
    let set = full_key_set(svc, target).await;
    let partition = partition_of_arn(&target.arn);
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    for (r, k) in &set {
        let doc = svc
            .get_policy(r, k)
            .await
            .map_err(|e| format!("cannot read the key policy in {r}: {}", e.explain(None, "")))?;
        let old: Value = serde_json::from_str(&doc)
            .map_err(|e| format!("the key policy in {r} is not JSON: {e}"))?;
        let mut new = old.clone();
        let mut summary = Vec::new();
        let key_arn = format!("arn:{partition}:kms:{r}:{}:key/{k}", target.account);
        for p in principals {
            let c = repair_policy_of(
                profile,
                &new,
                &target.account,
                &partition,
                p,
                Some(&key_arn),
            );
            new = c.policy;
            for l in c.summary {
                // The principals already there stay by design: the vendor's own among them,
                // so "added by you" would not be true of them.
                if l.starts_with("kept: the principal ") {
                    continue;
                }
                if !summary.contains(&l) {
                    summary.push(l);
                }
            }
        }
        for p in principals {
            let before = policy::lint(&old, &target.account, p);
            let brought: Vec<String> = policy::lint(&new, &target.account, p)
                .into_iter()
                .filter(|x| !before.contains(x))
                .map(|x| x.to_string())
                .collect();
            if !brought.is_empty() {
                return Err(format!(
                    "byok will not send the new policy for {r}: {}. Edit the policy by hand.",
                    brought.join("; ")
                ));
            }
        }
        let (old_doc, new_doc) = (policy::to_document(&old), policy::to_document(&new));
        if old_doc != new_doc {
            summary.push("kept: every principal the vendor statements already name".into());
        }
        if old_doc == new_doc {
            notes.push(format!(
                "The policy in {r} already grants {} what it needs.",
                join_and(&principals.iter().map(String::as_str).collect::<Vec<_>>())
            ));
            continue;
        }
        changes.push(Change {
            region: r.clone(),
            key_id: k.clone(),
            arn: key_arn,
            call: "PutKeyPolicy".into(),
            days: None,
            policy: Some(new_doc.clone()),
            tags: None,
            diff: compact_diff(&line_diff(&old_doc, &new_doc)),
            summary,
            before: Some(old_doc),
        });
    }
    if set.len() > 1 && !changes.is_empty() {
        notes.push(format!(
            "Each key of a Multi-Region set has its own policy: this changes {}.",
            regions_of(&changes)
        ));
    }
    Ok(ActionPlan {
        title: format!(
            "Grant {} the vendor's access",
            join_and(&principals.iter().map(String::as_str).collect::<Vec<_>>())
        ),
        target: format!("{} in {}", target.name(), target.region),
        consequence: if changes.is_empty() {
            String::new()
        } else {
            meaning_of(Some(profile), "Enabled").0
        },
        changes,
        notes,
    })
}

/// The outcome of one change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeResult {
    pub change: String,
    pub ok: bool,
    pub error: Option<String>,
}

/// Whether the key's policy is still the one a PutKeyPolicy change was planned from; when
/// not, the refusal says what to do. A change planned without its `before` is not checked.
async fn unchanged_since_plan<S: KeyService>(svc: &S, c: &Change) -> Result<(), KmsError> {
    let Some(before) = &c.before else {
        return Ok(());
    };
    let now = svc.get_policy(&c.region, &c.key_id).await?;
    let now_doc = serde_json::from_str::<serde_json::Value>(&now)
        .map(|v| policy::to_document(&v))
        .unwrap_or(now);
    if &now_doc == before {
        Ok(())
    } else {
        Err(KmsError::Service {
            code: "PolicyChangedSincePlan".into(),
            message: format!(
                "the policy of {} changed after this plan was made (another byok run or someone else edited it), so byok sent nothing that would undo that change: look at the key again and plan once more",
                c.arn
            ),
        })
    }
}

/// Send the planned changes in order; stop at the first refusal.
pub async fn apply<S: KeyService>(svc: &S, plan: &ActionPlan) -> Vec<ChangeResult> {
    let mut out = Vec::new();
    for c in &plan.changes {
        let r = match c.call.as_str() {
            "EnableKey" => svc.enable_key(&c.region, &c.key_id).await,
            "DisableKey" => svc.disable_key(&c.region, &c.key_id).await,
            "EnableKeyRotation" => {
                svc.enable_rotation(&c.region, &c.key_id, c.days.unwrap_or(365))
                    .await
            }
            "DisableKeyRotation" => svc.disable_rotation(&c.region, &c.key_id).await,
            "RotateKeyOnDemand" => svc.rotate_now(&c.region, &c.key_id).await,
            "ScheduleKeyDeletion" => svc
                .schedule_deletion(&c.region, &c.key_id, c.days.unwrap_or(30))
                .await
                .map(|_| ()),
            "CancelKeyDeletion" => svc.cancel_deletion(&c.region, &c.key_id).await,
            "PutKeyPolicy" => match unchanged_since_plan(svc, c).await {
                Ok(()) => {
                    svc.put_policy(
                        &c.region,
                        &c.key_id,
                        c.policy.as_deref().unwrap_or_default(),
                    )
                    .await
                }
                Err(e) => Err(e),
            },
            "TagResource" => {
                svc.tag_key(&c.region, &c.key_id, c.tags.as_deref().unwrap_or_default())
                    .await
            }
            other => Err(KmsError::Service {
                code: "Unsupported".into(),
                message: format!("byok does not send {other}"),
            }),
        };
        let label = format!("{} {} in {}", c.call, c.key_id, c.region);
        match r {
            Ok(()) => out.push(ChangeResult {
                change: label,
                ok: true,
                error: None,
            }),
            Err(e) => {
                out.push(ChangeResult {
                    change: label,
                    ok: false,
                    error: Some(e.explain(None, "")),
                });
                break;
            }
        }
    }
    out
}

/// Whether `action` means anything for the key as status read it, and if not, why: the
/// status screen offers only the actions that apply (enabling an enabled key, cancelling a
/// deletion nobody scheduled are not offered). A Multi-Region primary counts its replicas.
pub fn applies(action: &Action, k: &KeyStatus) -> Result<(), String> {
    let states: Vec<KeyState> = std::iter::once(k.state.clone())
        .chain(k.multi_region.iter().flat_map(|m| {
            m.replicas
                .iter()
                .filter_map(|r| r.state.as_deref().map(KeyState::parse))
        }))
        .collect();
    let any = |f: &dyn Fn(&KeyState) -> bool| states.iter().any(f);
    let pending = |s: &KeyState| s.is_pending_deletion();
    if !k.state.is_live() {
        return Err(format!("the key is {}: byok cannot act on it", k.state));
    }
    let has = |kind: FindingKind| k.findings.iter().any(|f| f.kind == kind);
    let policy_known = k.vendor.is_some() && k.policy.is_some();
    let vendor_has_access = k
        .policy
        .as_ref()
        .is_some_and(|p| p.vendor_principal.is_some() && p.missing.len() < p.required.len());
    let ok = match action {
        Action::Enable => any(&|s| *s == KeyState::Disabled),
        Action::Disable => k.state == KeyState::Enabled,
        Action::EnableRotation { .. } | Action::RotateNow => k.state == KeyState::Enabled,
        Action::DisableRotation => {
            k.state == KeyState::Enabled && k.rotation.as_ref().is_some_and(|r| r.enabled)
        }
        Action::ScheduleDeletion { .. } => !k.state.is_pending_deletion(),
        Action::CancelDeletion => any(&pending),
        Action::RepairPolicy => {
            policy_known
                && [
                    FindingKind::MissingActions,
                    FindingKind::MissingRoot,
                    FindingKind::VendorManagesKey,
                    FindingKind::ConditionMissing,
                    FindingKind::PrincipalUnknown,
                ]
                .into_iter()
                .any(has)
        }
        Action::RevokeAccess => policy_known && vendor_has_access,
        Action::RestoreAccess => {
            policy_known && (has(FindingKind::AccessRevoked) || has(FindingKind::PrincipalUnknown))
        }
        Action::RemoveRetired => policy_known && has(FindingKind::RetiredPrincipal),
        Action::Grant => policy_known && has(FindingKind::WaitingForPrincipal),
    };
    if ok {
        return Ok(());
    }
    Err(match action {
        Action::Enable if any(&pending) => {
            "its deletion is scheduled: cancel the deletion (it enables the key too)".into()
        }
        Action::Enable => "it is already enabled".into(),
        Action::Disable | Action::EnableRotation { .. } | Action::RotateNow => {
            format!("the key is {}", k.state)
        }
        Action::DisableRotation if k.state == KeyState::Enabled => "rotation is already off".into(),
        Action::DisableRotation => format!("the key is {}", k.state),
        Action::ScheduleDeletion { .. } => "its deletion is already scheduled".into(),
        Action::CancelDeletion => "no deletion is scheduled".into(),
        _ if !policy_known => "byok does not know this key's vendor or policy".into(),
        Action::RepairPolicy => "the policy has nothing byok would repair".into(),
        Action::RevokeAccess => "the vendor has no access to revoke".into(),
        Action::RestoreAccess => "the vendor's access is not revoked".into(),
        Action::RemoveRetired => "the policy grants no principal the vendor has retired".into(),
        Action::Grant => {
            "the key does not wait for the vendor's principal (to add one more, run byok grant)"
                .into()
        }
    })
}

/// Whether the action changes the vendor statements, so it needs the vendor principal; with
/// none named by anything byok trusts, the status screen asks for it.
pub fn needs_principal(action: &Action, k: &KeyStatus) -> bool {
    // What the vendor returned is always asked for: nothing byok holds names it yet.
    if *action == Action::Grant {
        return true;
    }
    action.changes_policy()
        && k.policy
            .as_ref()
            .is_some_and(|p| p.vendor_principal.is_none())
}

/// The action that recovers a key, if byok can take it.
pub fn suggested_action(k: &KeyStatus) -> Option<Action> {
    match k.state {
        KeyState::Disabled => return Some(Action::Enable),
        KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
            return Some(Action::CancelDeletion);
        }
        _ => {}
    }
    let has = |kind: FindingKind| k.findings.iter().any(|f| f.kind == kind);
    if has(FindingKind::WaitingForPrincipal) {
        return Some(Action::Grant);
    }
    // Anyone may use the key: only a person can tell which statement is wanted.
    if has(FindingKind::WildcardPrincipal) {
        return None;
    }
    let known = k
        .policy
        .as_ref()
        .is_some_and(|p| p.vendor_principal.is_some());
    if known && has(FindingKind::AccessRevoked) {
        return Some(Action::RestoreAccess);
    }
    // Nothing byok trusts names the principal: the repair asks for it (the screen) or needs
    // --principal (the command line).
    if k.vendor.is_some()
        && has(FindingKind::PrincipalUnknown)
        && !has(FindingKind::NotMadeByByok)
        && !has(FindingKind::TagUnconfirmed)
    {
        return Some(Action::RepairPolicy);
    }
    if known
        && [
            FindingKind::MissingActions,
            FindingKind::MissingRoot,
            FindingKind::VendorManagesKey,
            FindingKind::ConditionMissing,
        ]
        .into_iter()
        .any(has)
    {
        return Some(Action::RepairPolicy);
    }
    if k.state == KeyState::Enabled
        && !k.is_replica()
        && k.rotation.as_ref().is_some_and(|r| !r.enabled)
    {
        return Some(Action::EnableRotation { days: 365 });
    }
    None
}

/// The `byok status` flag for an action.
pub fn action_flag(a: &Action) -> String {
    match a.days() {
        Some(d) => format!("--{} {d}", a.spec().flag),
        None => format!("--{}", a.spec().flag),
    }
}
