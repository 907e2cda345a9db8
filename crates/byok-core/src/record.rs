//! The change record: a Markdown document for the customer's change ticket or audit (`byok
//! create --record PATH`, the wizard's Done screen, `byok status ... --record PATH`). It says
//! when, who (the caller ARN), what was planned and what was done (every API call byok sent
//! and its result), the exact key policy, every ARN and the vendor's next step.
//!
//! It holds no secrets: byok never has any but the credentials, and the record names only
//! operations, Regions, key IDs, ARNs and AWS's answers. Every outside text is made one plain
//! line (`sanitize::line`) and escaped for Markdown; code blocks are fenced with more backticks
//! than they contain.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::kms::{
    AliasEntry, IamPrincipal, Identity, KeyInfo, KeyService, KmsResult, NewKey, NewRole, RoleInfo,
    Rotation,
};

/// One API call as byok sent it, and what came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Call {
    /// RFC 3339, when the answer came.
    pub at: String,
    /// `kms:CreateKey`, `sts:GetCallerIdentity`, ...
    pub api: String,
    pub region: String,
    /// The key ID, alias or ARN the call was about (empty for account-wide calls).
    pub target: String,
    pub ok: bool,
    /// A short result: the new key's ARN, a state, a date, or the error.
    pub result: String,
}

/// The calls of a run, shared between the recording service and whoever writes the record.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<Call>>>);

impl CallLog {
    pub fn calls(&self) -> Vec<Call> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub fn push(&self, c: Call) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(c);
    }
}

/// A [`KeyService`] that notes every call it passes on, with its result.
#[derive(Clone)]
pub struct Recording<S> {
    pub inner: S,
    pub log: CallLog,
}

impl<S> Recording<S> {
    pub fn new(inner: S) -> Self {
        Recording {
            inner,
            log: CallLog::default(),
        }
    }

    fn note<T>(
        &self,
        api: &str,
        region: &str,
        target: &str,
        r: &KmsResult<T>,
        brief: impl Fn(&T) -> String,
    ) {
        self.log.push(Call {
            at: crate::journal::now_rfc3339(),
            api: api.to_string(),
            region: region.to_string(),
            target: target.to_string(),
            ok: r.is_ok(),
            result: match r {
                Ok(v) => brief(v),
                Err(e) => e.to_string(),
            },
        });
    }
}

fn ok<T>(_: &T) -> String {
    "ok".into()
}

impl<S: KeyService + Clone> KeyService for Recording<S> {
    async fn identity(&self) -> KmsResult<Identity> {
        let r = self.inner.identity().await;
        self.note("sts:GetCallerIdentity", "", "", &r, |i| i.arn.clone());
        r
    }
    async fn principal_for_policy(&self, caller_arn: &str) -> KmsResult<String> {
        let r = self.inner.principal_for_policy(caller_arn).await;
        if caller_arn.contains(":assumed-role/") {
            self.note("iam:GetRole", "", caller_arn, &r, String::clone);
        }
        r
    }
    async fn list_iam_principals(&self) -> KmsResult<Vec<IamPrincipal>> {
        let r = self.inner.list_iam_principals().await;
        self.note("iam:ListRoles, iam:ListUsers", "", "", &r, |v| {
            format!("{} principals", v.len())
        });
        r
    }
    async fn list_aliases(&self, region: &str) -> KmsResult<Vec<AliasEntry>> {
        let r = self.inner.list_aliases(region).await;
        self.note("kms:ListAliases", region, "", &r, |v| {
            format!("{} aliases", v.len())
        });
        r
    }
    async fn list_keys(&self, region: &str) -> KmsResult<Vec<String>> {
        let r = self.inner.list_keys(region).await;
        self.note("kms:ListKeys", region, "", &r, |v| {
            format!("{} keys", v.len())
        });
        r
    }
    async fn describe_key(&self, region: &str, key_id: &str) -> KmsResult<KeyInfo> {
        let r = self.inner.describe_key(region, key_id).await;
        self.note("kms:DescribeKey", region, key_id, &r, |k| {
            format!("{} {}", k.arn, k.state)
        });
        r
    }
    async fn list_tags(&self, region: &str, key_id: &str) -> KmsResult<Vec<(String, String)>> {
        let r = self.inner.list_tags(region, key_id).await;
        self.note("kms:ListResourceTags", region, key_id, &r, |v| {
            format!("{} tags", v.len())
        });
        r
    }
    async fn get_policy(&self, region: &str, key_id: &str) -> KmsResult<String> {
        let r = self.inner.get_policy(region, key_id).await;
        self.note("kms:GetKeyPolicy", region, key_id, &r, |p| {
            format!("{} bytes", p.len())
        });
        r
    }
    async fn rotation(&self, region: &str, key_id: &str) -> KmsResult<Rotation> {
        let r = self.inner.rotation(region, key_id).await;
        self.note("kms:GetKeyRotationStatus", region, key_id, &r, |x| {
            match (x.enabled, x.period_days) {
                (true, Some(d)) => format!("on, every {d} days"),
                (true, None) => "on".into(),
                (false, _) => "off".into(),
            }
        });
        r
    }
    async fn create_key(&self, region: &str, key: &NewKey) -> KmsResult<KeyInfo> {
        let r = self.inner.create_key(region, key).await;
        self.note("kms:CreateKey", region, "", &r, |k| k.arn.clone());
        r
    }
    async fn replicate_key(
        &self,
        region: &str,
        key_id: &str,
        replica_region: &str,
        key: &NewKey,
    ) -> KmsResult<KeyInfo> {
        let r = self
            .inner
            .replicate_key(region, key_id, replica_region, key)
            .await;
        self.note("kms:ReplicateKey", region, key_id, &r, |k| {
            format!("{} ({})", k.arn, k.state)
        });
        r
    }
    async fn create_alias(&self, region: &str, alias: &str, key_id: &str) -> KmsResult<()> {
        let r = self.inner.create_alias(region, alias, key_id).await;
        self.note(
            "kms:CreateAlias",
            region,
            &format!("{alias} -> {key_id}"),
            &r,
            ok,
        );
        r
    }
    async fn tag_key(
        &self,
        region: &str,
        key_id: &str,
        tags: &[(String, String)],
    ) -> KmsResult<()> {
        let r = self.inner.tag_key(region, key_id, tags).await;
        let keys: Vec<&str> = tags.iter().map(|(k, _)| k.as_str()).collect();
        self.note("kms:TagResource", region, key_id, &r, |_| {
            format!("ok ({})", keys.join(", "))
        });
        r
    }
    async fn put_policy(&self, region: &str, key_id: &str, policy: &str) -> KmsResult<()> {
        let r = self.inner.put_policy(region, key_id, policy).await;
        self.note("kms:PutKeyPolicy", region, key_id, &r, |_| {
            format!("ok ({} bytes)", policy.len())
        });
        r
    }
    async fn enable_rotation(&self, region: &str, key_id: &str, days: u32) -> KmsResult<()> {
        let r = self.inner.enable_rotation(region, key_id, days).await;
        self.note("kms:EnableKeyRotation", region, key_id, &r, |_| {
            format!("ok (every {days} days)")
        });
        r
    }
    async fn disable_rotation(&self, region: &str, key_id: &str) -> KmsResult<()> {
        let r = self.inner.disable_rotation(region, key_id).await;
        self.note("kms:DisableKeyRotation", region, key_id, &r, ok);
        r
    }
    async fn rotate_now(&self, region: &str, key_id: &str) -> KmsResult<()> {
        let r = self.inner.rotate_now(region, key_id).await;
        self.note("kms:RotateKeyOnDemand", region, key_id, &r, ok);
        r
    }
    async fn enable_key(&self, region: &str, key_id: &str) -> KmsResult<()> {
        let r = self.inner.enable_key(region, key_id).await;
        self.note("kms:EnableKey", region, key_id, &r, ok);
        r
    }
    async fn disable_key(&self, region: &str, key_id: &str) -> KmsResult<()> {
        let r = self.inner.disable_key(region, key_id).await;
        self.note("kms:DisableKey", region, key_id, &r, ok);
        r
    }
    async fn schedule_deletion(&self, region: &str, key_id: &str, days: u32) -> KmsResult<String> {
        let r = self.inner.schedule_deletion(region, key_id, days).await;
        self.note("kms:ScheduleKeyDeletion", region, key_id, &r, |d| {
            format!("deletion on {}", crate::status::human_time(d))
        });
        r
    }
    async fn cancel_deletion(&self, region: &str, key_id: &str) -> KmsResult<()> {
        let r = self.inner.cancel_deletion(region, key_id).await;
        self.note("kms:CancelKeyDeletion", region, key_id, &r, ok);
        r
    }
    async fn get_role(&self, name: &str) -> KmsResult<Option<RoleInfo>> {
        let r = self.inner.get_role(name).await;
        self.note("iam:GetRole", "", name, &r, |x| match x {
            Some(role) => role.arn.clone(),
            None => "no such role".into(),
        });
        r
    }
    async fn create_role(&self, role: &NewRole) -> KmsResult<RoleInfo> {
        let r = self.inner.create_role(role).await;
        self.note("iam:CreateRole", "", &role.name, &r, |x| x.arn.clone());
        r
    }
    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> KmsResult<()> {
        let r = self
            .inner
            .put_role_policy(role, policy_name, document)
            .await;
        self.note(
            "iam:PutRolePolicy",
            "",
            &format!("{role} {policy_name}"),
            &r,
            ok,
        );
        r
    }
    async fn get_role_policy(&self, role: &str, policy_name: &str) -> KmsResult<Option<String>> {
        let r = self.inner.get_role_policy(role, policy_name).await;
        self.note(
            "iam:GetRolePolicy",
            "",
            &format!("{role} {policy_name}"),
            &r,
            |x| match x {
                Some(p) => format!("{} bytes", p.len()),
                None => "no such policy".into(),
            },
        );
        r
    }
    async fn ensure_alerts(
        &self,
        account: &str,
        partition: &str,
        keys: &[crate::alerts::AlertKey],
        email: &str,
        journal: &crate::journal::Journal,
    ) -> KmsResult<crate::alerts::AlertsOutcome> {
        let r = self
            .inner
            .ensure_alerts(account, partition, keys, email, journal)
            .await;
        let region = keys.first().map(|k| k.region.as_str()).unwrap_or_default();
        match &r {
            Ok(o) => {
                for x in &o.results {
                    self.log.push(Call {
                        at: crate::journal::now_rfc3339(),
                        api: x.change.split(' ').next().unwrap_or_default().to_string(),
                        region: region.to_string(),
                        target: x.change.split(' ').nth(1).unwrap_or_default().to_string(),
                        ok: x.ok,
                        result: x.arn.clone().unwrap_or_else(|| "ok".into()),
                    });
                }
            }
            Err(_) => self.note("alerts", region, email, &r, |_| String::new()),
        }
        r
    }
}

// ---------------------------------------------------------------------------------------
// The document

/// Outside text as one Markdown-inert line: escapes made visible, then the characters
/// Markdown gives a meaning escaped with a backslash.
pub fn md(s: &str) -> String {
    let one = crate::sanitize::line(s);
    let mut out = String::with_capacity(one.len());
    for c in one.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text in a code span: one line, with a fence longer than any backtick run inside.
pub fn code(s: &str) -> String {
    let one = crate::sanitize::line(s);
    let fence = "`".repeat(longest_run(&one, '`') + 1);
    let pad = if one.starts_with('`') || one.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{one}{pad}{fence}")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for x in s.chars() {
        if x == c {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

/// A fenced block (the policy, a plan): escapes made visible, fenced past any backtick run.
pub fn block(lang: &str, s: &str) -> String {
    let body = crate::sanitize::block(s);
    let fence = "`".repeat((longest_run(&body, '`') + 1).max(3));
    format!("{fence}{lang}\n{}\n{fence}\n", body.trim_end_matches('\n'))
}

/// One ARN of the record, with what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedArn {
    pub what: String,
    pub arn: String,
}

/// What a record says. Everything is plain data, so the record can be built from a create,
/// the wizard or a status action alike.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// "Create a customer-managed KMS key for Camunda", "Disable the key", ...
    pub title: String,
    pub started: String,
    pub finished: String,
    /// The caller ARN (None when byok stopped before learning it).
    pub caller: Option<String>,
    pub account: Option<String>,
    /// The command that was run (or that repeats it), for the ticket.
    pub command: Option<String>,
    /// "completed", "failed: ...", "interrupted".
    pub outcome: String,
    /// Each planned step, with the API calls behind it.
    pub planned: Vec<(String, Vec<String>)>,
    /// Each step as it went: title, result.
    pub steps: Vec<(String, String)>,
    pub calls: Vec<Call>,
    /// The exact key policy (as applied), pretty JSON, and policy diffs: (heading, text,
    /// code block language).
    pub policies: Vec<(String, String, String)>,
    pub arns: Vec<NamedArn>,
    pub notes: Vec<String>,
    pub next_step: Option<String>,
}

impl Record {
    pub fn to_markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# byok change record: {}\n", md(&self.title));
        let _ = writeln!(o, "| | |\n| --- | --- |");
        let _ = writeln!(
            o,
            "| When | {} to {} (UTC) |",
            md(&self.started),
            md(&self.finished)
        );
        let _ = writeln!(
            o,
            "| Who | {} |",
            self.caller.as_deref().map(code).unwrap_or_else(|| {
                "not learnt (byok stopped before GetCallerIdentity answered)".into()
            })
        );
        if let Some(a) = &self.account {
            let _ = writeln!(o, "| Account | {} |", code(a));
        }
        let _ = writeln!(o, "| Tool | byok {} |", env!("CARGO_PKG_VERSION"));
        if let Some(c) = &self.command {
            let _ = writeln!(o, "| Command | {} |", code(c));
        }
        let _ = writeln!(o, "| Outcome | {} |\n", md(&self.outcome));

        if !self.planned.is_empty() {
            let _ = writeln!(o, "## What was planned\n");
            for (i, (title, calls)) in self.planned.iter().enumerate() {
                let calls: Vec<String> = calls.iter().map(|c| code(c)).collect();
                let _ = writeln!(
                    o,
                    "{}. {}{}",
                    i + 1,
                    md(title),
                    if calls.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", calls.join(", "))
                    }
                );
            }
            o.push('\n');
        }
        if !self.steps.is_empty() {
            let _ = writeln!(o, "## What was done\n");
            for (title, result) in &self.steps {
                let _ = writeln!(o, "- {}: {}", md(title), md(result));
            }
            o.push('\n');
        }
        let _ = writeln!(o, "## Every API call and its result\n");
        if self.calls.is_empty() {
            let _ = writeln!(o, "None: nothing was sent to AWS.\n");
        } else {
            let _ = writeln!(o, "| # | time (UTC) | call | Region | on | result |");
            let _ = writeln!(o, "| ---: | --- | --- | --- | --- | --- |");
            for (i, c) in self.calls.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {}{} |",
                    i + 1,
                    md(&c.at),
                    code(&c.api),
                    md(if c.region.is_empty() {
                        "global"
                    } else {
                        &c.region
                    }),
                    if c.target.is_empty() {
                        String::new()
                    } else {
                        code(&c.target)
                    },
                    if c.ok { "" } else { "refused: " },
                    md(&c.result)
                );
            }
            o.push('\n');
        }
        for (what, p, lang) in &self.policies {
            let _ = writeln!(o, "## {}\n", md(what));
            o.push_str(&block(lang, p));
            o.push('\n');
        }
        if !self.arns.is_empty() {
            let _ = writeln!(o, "## ARNs\n");
            for a in &self.arns {
                let _ = writeln!(o, "- {}: {}", md(&a.what), code(&a.arn));
            }
            o.push('\n');
        }
        if !self.notes.is_empty() {
            let _ = writeln!(o, "## Notes\n");
            for n in &self.notes {
                let _ = writeln!(o, "- {}", md(n));
            }
            o.push('\n');
        }
        if let Some(n) = &self.next_step {
            let _ = writeln!(o, "## The vendor's next step\n\n{}\n", md(n));
        }
        let _ = writeln!(
            o,
            "This record holds no credentials: only operations, Regions, ARNs and AWS's answers."
        );
        o
    }
}

/// The alias ARN of an alias in a key's account and Region.
pub fn alias_arn(key_arn: &str, alias: &str) -> Option<String> {
    let a = crate::arn::Arn::parse(key_arn).ok()?;
    Some(format!(
        "arn:{}:kms:{}:{}:{}",
        a.partition, a.region, a.account, alias
    ))
}

/// Check before any call that the record can be written: the file is opened for appending
/// (created if missing); a record written to an existing file is appended after a rule, so
/// an earlier run's record is never lost.
pub fn check_writable(path: &Path) -> Result<(), String> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(format!(
            "{} is a symbolic link: give the record's own path",
            path.display()
        ));
    }
    if path.is_dir() {
        return Err(format!(
            "{} is a directory: give a file name",
            path.display()
        ));
    }
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map(|_| ())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Write (or append) the record; returns whether it was appended to an earlier one.
pub fn write(path: &Path, r: &Record) -> std::io::Result<bool> {
    let appended = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    let mut text = String::new();
    if appended {
        text.push_str("\n---\n\n");
    }
    text.push_str(&r.to_markdown());
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(appended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_outside_text() {
        assert_eq!(md("a|b *c* `d`"), "a\\|b \\*c\\* \\`d\\`");
        assert!(!md("x\u{1b}]52;c;AAAA\u{7}").contains('\u{1b}'));
        assert_eq!(code("a`b"), "``a`b``");
        assert!(block("json", "```\nx").starts_with("````json\n"));
    }

    #[test]
    fn a_record_has_every_section_and_no_control_character() {
        let r = Record {
            title: "Create a key".into(),
            started: "2026-01-01T00:00:00Z".into(),
            finished: "2026-01-01T00:00:01Z".into(),
            caller: Some("arn:aws:iam::123456789012:user/ops".into()),
            account: Some("123456789012".into()),
            command: Some("byok create --yes".into()),
            outcome: "completed".into(),
            planned: vec![(
                "Create the key in eu-west-1".into(),
                vec!["kms:CreateKey".into()],
            )],
            steps: vec![(
                "Create the key in eu-west-1".into(),
                "done in 0.10 s".into(),
            )],
            calls: vec![Call {
                at: "2026-01-01T00:00:00Z".into(),
                api: "kms:CreateKey".into(),
                region: "eu-west-1".into(),
                target: String::new(),
                ok: true,
                result: "arn:aws:kms:eu-west-1:123456789012:key/k".into(),
            }],
            policies: vec![(
                "The key policy".into(),
                "{\n  \"a\": 1\n}".into(),
                "json".into(),
            )],
            arns: vec![NamedArn {
                what: "key".into(),
                arn: "arn:aws:kms:eu-west-1:123456789012:key/k".into(),
            }],
            notes: vec!["evil\u{1b}[2J".into()],
            next_step: Some("Paste the ARN".into()),
        };
        let m = r.to_markdown();
        for s in [
            "## What was planned",
            "## What was done",
            "## Every API call and its result",
            "`kms:CreateKey`",
            "## The key policy",
            "```json",
            "## ARNs",
            "## The vendor's next step",
        ] {
            assert!(m.contains(s), "{s} missing in\n{m}");
        }
        assert!(!m.chars().any(|c| c.is_control() && c != '\n'));
    }
}

// ---------------------------------------------------------------------------------------
// Builders

/// One line per finished or failed step, as the executor reports them.
pub fn note_progress(
    plan: &crate::plan::Plan,
    p: &crate::exec::Progress,
    out: &mut Vec<(String, String)>,
) {
    use crate::exec::Progress;
    match p {
        Progress::Done {
            step,
            elapsed,
            note,
        } => out.push((
            plan.steps[*step].title(),
            format!(
                "done in {:.2} s{}",
                elapsed.as_secs_f64(),
                note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()
            ),
        )),
        Progress::Failed {
            step,
            elapsed,
            error,
        } => out.push((
            plan.steps[*step].title(),
            format!("failed after {:.2} s: {error}", elapsed.as_secs_f64()),
        )),
        Progress::Retrying {
            step,
            attempt,
            reason,
            ..
        } => out.push((
            plan.steps[*step].title(),
            format!("retry {attempt}: {reason}"),
        )),
        _ => {}
    }
}

/// The record of a `byok create` run (or the wizard's).
pub struct CreateRun<'a> {
    pub plan: &'a crate::plan::Plan,
    pub report: &'a crate::exec::RunReport,
    pub steps: Vec<(String, String)>,
    pub calls: Vec<Call>,
    pub started: String,
    pub finished: String,
    pub command: Option<String>,
    pub demo: bool,
}

pub fn for_create(r: CreateRun<'_>) -> Record {
    use crate::exec::Outcome;
    let a = &r.plan.answers;
    let report = r.report;
    let outcome = match &report.outcome {
        Outcome::Completed => "completed".to_string(),
        Outcome::Failed { step, error } => format!(
            "failed at \"{}\": {error}",
            r.plan
                .steps
                .get(*step)
                .map(|s| s.title())
                .unwrap_or_default()
        ),
        Outcome::Interrupted { .. } => "interrupted (stopped on request)".to_string(),
    };
    let mut arns = Vec::new();
    for k in &report.keys {
        arns.push(NamedArn {
            what: format!(
                "{} key in {}{}",
                k.role.as_str(),
                k.region,
                if k.created_now {
                    " (created by this run)"
                } else {
                    " (found from an earlier run)"
                }
            ),
            arn: k.arn.clone(),
        });
        if let Some(alias) = &k.alias
            && let Some(aa) = alias_arn(&k.arn, alias)
        {
            arns.push(NamedArn {
                what: format!("alias in {}", k.region),
                arn: aa,
            });
        }
    }
    for x in &report.retired {
        arns.push(NamedArn {
            what: format!(
                "retired duplicate in {} (of {}){}",
                x.region,
                x.duplicate_of,
                x.problem
                    .as_ref()
                    .map(|p| format!(", could not be retired: {p}"))
                    .unwrap_or_default()
            ),
            arn: x.arn.clone(),
        });
    }
    if let Some(caller) = &report.caller {
        arns.push(NamedArn {
            what: "caller".into(),
            arn: caller.clone(),
        });
    }
    let mut notes = Vec::new();
    if r.demo {
        notes.push("A demo run: the keys are simulated and nothing was created in AWS.".into());
    }
    for f in &report.in_flight {
        notes.push(format!(
            "The {} key in {} may have been created: its request was on its way when byok stopped; re-running the command finds it.",
            f.role.as_str(),
            f.region
        ));
    }
    Record {
        title: format!("a customer-managed KMS key for {}", a.vendor.name),
        started: r.started,
        finished: r.finished,
        caller: report.caller.clone(),
        account: report.account.clone(),
        command: r.command,
        outcome,
        planned: r
            .plan
            .steps
            .iter()
            .map(|s| {
                (
                    s.title(),
                    s.api_calls().iter().map(|c| c.to_string()).collect(),
                )
            })
            .collect(),
        steps: r.steps,
        calls: r.calls,
        policies: report
            .policy
            .as_ref()
            .map(|p| {
                vec![(
                    "The exact key policy".to_string(),
                    serde_json::to_string_pretty(p).unwrap_or_default(),
                    "json".to_string(),
                )]
            })
            .unwrap_or_default(),
        arns,
        notes,
        next_step: (report.outcome == Outcome::Completed).then(|| a.vendor.next_step.clone()),
    }
}

/// The record of a `byok status` action.
pub struct ActionRun<'a> {
    pub plans: &'a [crate::status::ActionPlan],
    pub results: &'a [crate::status::ChangeResult],
    pub outcome: String,
    pub calls: Vec<Call>,
    pub caller: Option<Identity>,
    pub started: String,
    pub finished: String,
    pub command: Option<String>,
}

pub fn for_action(r: ActionRun<'_>) -> Record {
    let title = r
        .plans
        .first()
        .map(|p| format!("{} ({})", p.title, p.target))
        .unwrap_or_else(|| "a key action".into());
    let mut planned = Vec::new();
    let mut policies = Vec::new();
    let mut arns: Vec<NamedArn> = Vec::new();
    let mut notes = Vec::new();
    for p in r.plans {
        for c in &p.changes {
            let extra = match c.days {
                Some(d) => format!(" ({d} days)"),
                None => String::new(),
            };
            planned.push((
                format!("{} {} in {}{extra}", c.call, c.key_id, c.region),
                vec![format!("kms:{}", c.call)],
            ));
            if let Some(doc) = &c.policy {
                let pretty = serde_json::from_str::<serde_json::Value>(doc)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| doc.clone());
                policies.push((
                    format!("The exact key policy put on {} in {}", c.key_id, c.region),
                    pretty,
                    "json".into(),
                ));
                if !c.diff.is_empty() {
                    policies.push((
                        format!("The policy change on {} in {}", c.key_id, c.region),
                        c.diff.join("\n"),
                        "diff".into(),
                    ));
                }
                notes.extend(c.summary.iter().cloned());
            }
            if !arns.iter().any(|a| a.arn == c.arn) {
                arns.push(NamedArn {
                    what: format!("key in {}", c.region),
                    arn: c.arn.clone(),
                });
            }
        }
        notes.extend(p.notes.iter().cloned());
    }
    if let Some(id) = &r.caller {
        arns.push(NamedArn {
            what: "caller".into(),
            arn: id.arn.clone(),
        });
    }
    let steps = r
        .results
        .iter()
        .map(|x| {
            (
                x.change.clone(),
                match &x.error {
                    None => "done".to_string(),
                    Some(e) => format!("refused: {e}"),
                },
            )
        })
        .collect();
    let consequence = r
        .plans
        .iter()
        .map(|p| p.consequence.as_str())
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>();
    Record {
        title,
        started: r.started,
        finished: r.finished,
        account: r.caller.as_ref().map(|i| i.account.clone()),
        caller: r.caller.map(|i| i.arn),
        command: r.command,
        outcome: r.outcome,
        planned,
        steps,
        calls: r.calls,
        policies,
        arns,
        notes,
        next_step: (!consequence.is_empty()).then(|| consequence.join(" ")),
    }
}

/// What the wizard keeps of a run for its change record (the `r` key on the Done screen).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunLog {
    pub steps: Vec<(String, String)>,
    pub calls: Vec<Call>,
    pub started: String,
    pub finished: String,
}
