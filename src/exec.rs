//! Run a [`Plan`] against a [`KeyService`]: progress events on a channel, retries with
//! backoff, idempotency (an earlier run's keys are found and reused, never duplicated),
//! and a journal entry for every resource the moment it exists.

use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

use crate::error::KmsError;
use crate::journal::{self, Entry, Event, Journal};
use crate::kms::{self, KeyInfo, KeyService, NewKey};
use crate::plan::{self, KeyRole, Plan, Step};
use crate::policy;

/// A key of the setup as it exists now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRecord {
    pub role: KeyRole,
    pub region: String,
    pub arn: String,
    pub key_id: String,
    /// The alias, once it names the key.
    pub alias: Option<String>,
    /// Made by this run (false: found from an earlier run).
    pub created_now: bool,
}

/// What the executor reports while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Started {
        step: usize,
    },
    Retrying {
        step: usize,
        attempt: u32,
        reason: String,
        delay: Duration,
    },
    Waiting {
        step: usize,
        detail: String,
    },
    Done {
        step: usize,
        elapsed: Duration,
        note: Option<String>,
    },
    Failed {
        step: usize,
        elapsed: Duration,
        error: String,
    },
    /// A key exists (made now or found from an earlier run).
    Key {
        key: KeyRecord,
    },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ExecError {
    #[error("{operation} failed: {error}")]
    Kms { operation: String, error: KmsError },
    #[error("{alias} in {region} already names {key_arn}, a key byok did not make for this vendor")]
    AliasTaken {
        alias: String,
        region: String,
        key_arn: String,
    },
    #[error("{alias} in {region} came to name {key_arn} while byok made {ours}")]
    AliasTakenAfterCreate {
        alias: String,
        region: String,
        key_arn: String,
        ours: String,
    },
    #[error("{alias} in {region} names {key_arn}, {found}, but this setup needs {wanted}")]
    WrongKeyKind {
        alias: String,
        region: String,
        key_arn: String,
        found: String,
        wanted: String,
    },
    #[error("administrator {admin} is not in your account {account}")]
    AdminAccount { admin: String, account: String },
    #[error("the key policy was refused before sending: {}", problems.join("; "))]
    Policy { problems: Vec<String> },
    #[error("{arn} ({alias} in {region}) is pending deletion")]
    PendingDeletion {
        alias: String,
        region: String,
        arn: String,
        date: Option<String>,
    },
    #[error("the replica in {region} stayed {state} for {seconds} s")]
    ReplicaTimeout {
        region: String,
        state: String,
        seconds: u64,
    },
    #[error("verification found: {}", problems.join("; "))]
    Verify { problems: Vec<String> },
    #[error("cannot write the journal: {message}")]
    Journal { message: String },
    #[error(
        "the {} key in {region} may have been created: its answer was lost and looking for it failed: {message}",
        role.as_str()
    )]
    Unconfirmed {
        role: KeyRole,
        region: String,
        message: String,
    },
}

impl ExecError {
    /// Plain language and the fix.
    pub fn explain(&self, profile: Option<&str>, principal_help: &str) -> String {
        match self {
            ExecError::Kms { error, .. } => error.explain(profile, principal_help),
            ExecError::AliasTaken { alias, region, .. } => format!(
                "{alias} already exists in {region} and names a key byok did not make for this vendor. byok changed nothing. Choose another alias with --alias, or inspect that key with `byok status --key {alias} --region {region}`."
            ),
            ExecError::AliasTakenAfterCreate {
                alias,
                region,
                key_arn,
                ..
            } => format!(
                "{alias} in {region} came to name another key ({key_arn}) while byok was making yours. Your key, listed below, exists without an alias. Free {alias} and run again, or give your key another alias (`aws kms create-alias`) and run byok with that --alias: byok adopts it."
            ),
            ExecError::WrongKeyKind {
                alias,
                region,
                found,
                wanted,
                ..
            } => format!(
                "{alias} in {region} names {found} that an earlier run made, but these answers need {wanted}, and KMS cannot change that after a key is created. byok changed nothing. Keep the earlier choice (--regionality), or choose another alias with --alias for a new key."
            ),
            ExecError::AdminAccount { admin, account } => format!(
                "{admin} is not in the account you are signed in to ({account}). Give administrators from {account}, or sign in to the account that should own the key."
            ),
            ExecError::Policy { problems } => {
                format!("byok refused to send this policy: {}", problems.join("; "))
            }
            ExecError::PendingDeletion {
                alias,
                region,
                date,
                ..
            } => format!(
                "{alias} in {region} names a key that is scheduled for deletion{}. Cancel the deletion with `byok status --key {alias} --region {region} --cancel-deletion`, or choose another alias.",
                date.as_ref()
                    .map(|d| format!(" on {d}"))
                    .unwrap_or_default()
            ),
            ExecError::ReplicaTimeout { region, .. } => format!(
                "The replica in {region} did not become Enabled in time. Re-run the same command later: byok waits again without creating another replica."
            ),
            ExecError::Verify { problems } => format!(
                "The keys exist but do not match what byok set up: {}. Check them with `byok status`.",
                problems.join("; ")
            ),
            ExecError::Journal { message } => format!(
                "byok cannot write its journal ({message}). Set BYOK_STATE_DIR to a writable directory."
            ),
            ExecError::Unconfirmed {
                role,
                region,
                message,
            } => format!(
                "The {} key in {region} may have been created: AWS received the request but its answer was lost, and AWS then refused the calls byok uses to look for the key ({message}). byok recorded the attempt in its journal. Run the same command again: it finds that key by its byok tags and never creates a second one.",
                role.as_str()
            ),
        }
    }

    /// Errors that come from the answers rather than from AWS.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            ExecError::AliasTaken { .. }
                | ExecError::WrongKeyKind { .. }
                | ExecError::AdminAccount { .. }
                | ExecError::Policy { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    Completed,
    Failed { step: usize, error: ExecError },
    Interrupted { step: usize },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub account: Option<String>,
    pub caller: Option<String>,
    pub keys: Vec<KeyRecord>,
    pub policy: Option<Value>,
    pub outcome: Outcome,
    /// Steps finished, in plan order.
    pub done_steps: Vec<usize>,
}

pub mod exit {
    pub const OK: i32 = 0;
    pub const INVALID_INPUT: i32 = 2;
    pub const AWS_REFUSED: i32 = 3;
    pub const PARTLY_DONE: i32 = 4;
    pub const INTERRUPTED: i32 = 130;
}

impl RunReport {
    pub fn exit_code(&self) -> i32 {
        match &self.outcome {
            Outcome::Completed => exit::OK,
            Outcome::Interrupted { .. } => exit::INTERRUPTED,
            Outcome::Failed { .. } if self.keys.iter().any(|k| k.created_now) => exit::PARTLY_DONE,
            Outcome::Failed {
                error: ExecError::Unconfirmed { .. },
                ..
            } => exit::PARTLY_DONE,
            Outcome::Failed { error, .. } if error.is_input_error() => exit::INVALID_INPUT,
            Outcome::Failed { .. } if !self.keys.is_empty() => exit::PARTLY_DONE,
            Outcome::Failed { .. } => exit::AWS_REFUSED,
        }
    }

    /// A create whose answer was lost and could not be confirmed: a key may exist that the
    /// report does not list (the journal holds the attempt; a re-run finds the key).
    pub fn may_have_created(&self) -> bool {
        matches!(
            &self.outcome,
            Outcome::Failed {
                error: ExecError::Unconfirmed { .. },
                ..
            }
        )
    }

    pub fn key(&self, role: KeyRole) -> Option<&KeyRecord> {
        self.keys.iter().find(|k| k.role == role)
    }
}

#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// Attempts for a call that fails with a transient error.
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Polling for a replica to become Enabled.
    pub poll_first: Duration,
    pub poll_max: Duration,
    pub poll_timeout: Duration,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            max_attempts: 6,
            backoff_base: Duration::from_millis(200),
            backoff_max: Duration::from_secs(5),
            poll_first: Duration::from_millis(200),
            poll_max: Duration::from_secs(3),
            poll_timeout: Duration::from_secs(300),
        }
    }
}

/// Where a step stands when it ends well.
enum StepEnd {
    Done(Option<String>),
    AlreadyDone(String),
    /// The user asked to stop while the step was waiting; nothing failed.
    Interrupted,
}

struct Run<'a, S> {
    svc: &'a S,
    plan: &'a Plan,
    journal: &'a Journal,
    tx: &'a mpsc::UnboundedSender<Progress>,
    cancel: &'a watch::Receiver<bool>,
    opts: &'a ExecOptions,
    step: usize,
    account: Option<String>,
    caller: Option<String>,
    policy: Option<Value>,
    setup: String,
    keys: BTreeMap<KeyRole, KeyRecord>,
    aliased: BTreeSet<KeyRole>,
}

/// Execute the plan. Never panics on AWS trouble: the report says what exists.
pub async fn run<S: KeyService>(
    svc: &S,
    plan: &Plan,
    journal: &Journal,
    tx: &mpsc::UnboundedSender<Progress>,
    cancel: &watch::Receiver<bool>,
    opts: &ExecOptions,
) -> RunReport {
    let mut r = Run {
        svc,
        plan,
        journal,
        tx,
        cancel,
        opts,
        step: 0,
        account: None,
        caller: None,
        policy: None,
        setup: String::new(),
        keys: BTreeMap::new(),
        aliased: BTreeSet::new(),
    };
    let mut done_steps = Vec::new();
    let mut outcome = Outcome::Completed;
    for (i, step) in plan.steps.iter().enumerate() {
        if *cancel.borrow() {
            outcome = Outcome::Interrupted { step: i };
            break;
        }
        r.step = i;
        r.emit(Progress::Started { step: i });
        let t0 = Instant::now();
        match r.exec(step).await {
            Ok(StepEnd::Interrupted) => {
                outcome = Outcome::Interrupted { step: i };
                break;
            }
            Ok(end) => {
                let note = match end {
                    StepEnd::Done(n) => n,
                    StepEnd::AlreadyDone(n) => Some(format!("already done: {n}")),
                    StepEnd::Interrupted => unreachable!("handled above"),
                };
                r.emit(Progress::Done {
                    step: i,
                    elapsed: t0.elapsed(),
                    note,
                });
                done_steps.push(i);
            }
            Err(error) => {
                r.emit(Progress::Failed {
                    step: i,
                    elapsed: t0.elapsed(),
                    error: error.to_string(),
                });
                outcome = Outcome::Failed { step: i, error };
                break;
            }
        }
    }
    if outcome == Outcome::Completed {
        let _ = r.record(Event::Completed, None, None, None);
    }
    let mut keys: Vec<KeyRecord> = r.keys.into_values().collect();
    for k in &mut keys {
        if !r.aliased.contains(&k.role) {
            k.alias = None;
        }
    }
    RunReport {
        account: r.account,
        caller: r.caller,
        keys,
        policy: r.policy,
        outcome,
        done_steps,
    }
}

fn kms_err(operation: &str) -> impl Fn(KmsError) -> ExecError + '_ {
    move |error| ExecError::Kms {
        operation: operation.to_string(),
        error,
    }
}

/// A create was sent, its answer lost, and looking for the result failed too.
fn unconfirmed(role: KeyRole, region: &str, search: ExecError) -> ExecError {
    ExecError::Unconfirmed {
        role,
        region: region.to_string(),
        message: search.to_string(),
    }
}

fn pending_deletion(state: &str) -> bool {
    matches!(state, "PendingDeletion" | "PendingReplicaDeletion")
}

impl<S: KeyService> Run<'_, S> {
    fn emit(&self, p: Progress) {
        let _ = self.tx.send(p);
    }

    fn record(
        &self,
        event: Event,
        role: Option<KeyRole>,
        region: Option<&str>,
        arn: Option<&str>,
    ) -> Result<(), ExecError> {
        let alias = role.and_then(|r| self.plan.key(r)).map(|k| k.alias.clone());
        self.journal
            .record(&Entry {
                time: journal::now_rfc3339(),
                setup: self.setup.clone(),
                event,
                role,
                region: region.map(str::to_string),
                arn: arn.map(str::to_string),
                alias,
                principal: matches!(event, Event::Created | Event::Adopted)
                    .then(|| self.plan.answers.principal.clone()),
            })
            .map_err(|e| ExecError::Journal {
                message: e.to_string(),
            })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let d = self.opts.backoff_base.saturating_mul(1 << attempt.min(16));
        d.min(self.opts.backoff_max)
    }

    /// Call with retries on transient errors (and on NotFound when `not_found_is_transient`,
    /// for KMS's eventual consistency right after a create).
    async fn call<T, F, Fut>(
        &self,
        operation: &str,
        not_found_is_transient: bool,
        mut f: F,
    ) -> Result<T, ExecError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, KmsError>>,
    {
        let mut attempt = 1;
        loop {
            match f().await {
                Ok(v) => return Ok(v),
                Err(e)
                    if (e.is_transient()
                        || (not_found_is_transient && matches!(e, KmsError::NotFound { .. })))
                        && attempt < self.opts.max_attempts =>
                {
                    let delay = self.backoff(attempt);
                    self.emit(Progress::Retrying {
                        step: self.step,
                        attempt,
                        reason: e.to_string(),
                        delay,
                    });
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(e) => return Err(kms_err(operation)(e)),
            }
        }
    }

    fn key(&self, role: KeyRole) -> &KeyRecord {
        self.keys
            .get(&role)
            .expect("the plan creates a key before using it")
    }

    fn adopt(&mut self, role: KeyRole, k: &KeyInfo, created_now: bool) -> Result<(), ExecError> {
        let rec = KeyRecord {
            role,
            region: k.region.clone(),
            arn: k.arn.clone(),
            key_id: k.key_id.clone(),
            alias: self.plan.key(role).map(|p| p.alias.clone()),
            created_now,
        };
        self.record(
            if created_now {
                Event::Created
            } else {
                Event::Adopted
            },
            Some(role),
            Some(&k.region),
            Some(&k.arn),
        )?;
        self.emit(Progress::Key { key: rec.clone() });
        self.keys.insert(role, rec);
        Ok(())
    }

    fn new_key(&self, role: KeyRole, multi_region: bool) -> NewKey {
        NewKey {
            policy: policy::to_document(self.policy.as_ref().expect("identity resolved first")),
            description: self.plan.answers.description.clone(),
            tags: self.plan.tags_for(role),
            multi_region,
        }
    }

    /// Keys in `region` tagged by byok for this setup's `role`: the way back to a key whose
    /// creation was answered but never heard (killed, connection reset).
    async fn find_by_tags(
        &self,
        region: &str,
        role: KeyRole,
    ) -> Result<Option<KeyInfo>, ExecError> {
        let alias = &self.plan.key(role).expect("planned").alias;
        let ids = self
            .call("ListKeys", false, || self.svc.list_keys(region))
            .await?;
        for id in ids {
            let tags = match self
                .call("ListResourceTags", false, || {
                    self.svc.list_tags(region, &id)
                })
                .await
            {
                Ok(t) => t,
                // Keys we may not read are not ours; any other failure could hide ours.
                Err(ExecError::Kms {
                    error: KmsError::AccessDenied { .. } | KmsError::NotFound { .. },
                    ..
                }) => continue,
                Err(e) => return Err(e),
            };
            let has = |k: &str, v: &str| tags.iter().any(|(tk, tv)| tk == k && tv == v);
            if has(plan::TAG_MANAGED_BY, "byok")
                && has(plan::TAG_VENDOR, &self.plan.answers.vendor.id)
                && has(plan::TAG_ALIAS, alias)
                && has(plan::TAG_ROLE, role.as_str())
            {
                let k = self
                    .call("DescribeKey", true, || self.svc.describe_key(region, &id))
                    .await?;
                if !pending_deletion(&k.state) {
                    return Ok(Some(k));
                }
            }
        }
        Ok(None)
    }

    async fn exec(&mut self, step: &Step) -> Result<StepEnd, ExecError> {
        match step {
            Step::ResolveIdentity => self.resolve_identity().await,
            Step::FindExisting => self.find_existing().await,
            Step::CreateKey {
                role,
                region,
                multi_region,
            } => self.create_key(*role, region, *multi_region).await,
            Step::CreateAlias {
                role,
                region,
                alias,
            } => self.create_alias(*role, region, alias).await,
            Step::EnableRotation { role, region, days } => {
                self.enable_rotation(*role, region, *days).await
            }
            Step::ReplicateKey { from, region } => self.replicate(from, region).await,
            Step::WaitEnabled { role, region } => self.wait_enabled(*role, region).await,
            Step::EnsureTags { role, region } => self.ensure_tags(*role, region).await,
            Step::Verify => self.verify().await,
        }
    }

    async fn resolve_identity(&mut self) -> Result<StepEnd, ExecError> {
        let id = self
            .call("GetCallerIdentity", false, || self.svc.identity())
            .await?;
        let a = &self.plan.answers;
        if let Some(admin) = a.admins.iter().find(|adm| {
            crate::arn::Arn::parse(adm)
                .map(|x| x.account != id.account)
                .unwrap_or(true)
        }) {
            return Err(ExecError::AdminAccount {
                admin: admin.clone(),
                account: id.account.clone(),
            });
        }
        let p = policy::build(a, &id.account);
        let problems = policy::lint(&p, &id.account, &a.principal);
        if !problems.is_empty() {
            return Err(ExecError::Policy {
                problems: problems.iter().map(|p| p.to_string()).collect(),
            });
        }
        self.setup = journal::setup_id(&a.vendor.id, &id.account, &a.region, &a.alias);
        self.policy = Some(p);
        self.account = Some(id.account.clone());
        self.caller = Some(id.arn.clone());
        Ok(StepEnd::Done(Some(format!(
            "{} (account {})",
            id.arn, id.account
        ))))
    }

    async fn find_existing(&mut self) -> Result<StepEnd, ExecError> {
        let mut found = Vec::new();
        let planned = self.plan.keys.clone();
        let entries = self.journal.entries_for(&self.setup);
        // Every alias is looked up at once; what follows depends on the answers in plan order.
        let this = &*self;
        let by_alias = futures_util::future::try_join_all(planned.iter().map(|pk| {
            this.call("DescribeKey", false, || {
                kms::find_alias(this.svc, &pk.region, &pk.alias)
            })
        }))
        .await?;
        for (pk, by_alias) in planned.iter().zip(by_alias) {
            if let Some(k) = by_alias {
                // The tags this plan gives the key that it lacks (say, `byok:alias` after the
                // user named the key with another alias): set once the key is adopted.
                let mut stale = Vec::new();
                let ours = if pk.role == KeyRole::Replica
                    && self
                        .keys
                        .get(&KeyRole::Primary)
                        .is_some_and(|p| p.key_id == k.key_id)
                {
                    true // a replica shares its primary's key ID; its tags may still be missing
                } else {
                    let tags = self
                        .call("ListResourceTags", false, || {
                            self.svc.list_tags(&pk.region, &k.key_id)
                        })
                        .await?;
                    let has = |key: &str, v: &str| tags.iter().any(|(tk, tv)| tk == key && tv == v);
                    stale = self.missing_tags(pk.role, &tags);
                    has(plan::TAG_MANAGED_BY, "byok")
                        && has(plan::TAG_VENDOR, &self.plan.answers.vendor.id)
                };
                if !ours {
                    return Err(ExecError::AliasTaken {
                        alias: pk.alias.clone(),
                        region: pk.region.clone(),
                        key_arn: k.arn,
                    });
                }
                if pending_deletion(&k.state) {
                    return Err(ExecError::PendingDeletion {
                        alias: pk.alias.clone(),
                        region: pk.region.clone(),
                        arn: k.arn,
                        date: k.deletion_date,
                    });
                }
                if let Some((found, wanted)) = self.kind_mismatch(pk.role, &k) {
                    return Err(ExecError::WrongKeyKind {
                        alias: pk.alias.clone(),
                        region: pk.region.clone(),
                        key_arn: k.arn,
                        found,
                        wanted,
                    });
                }
                self.adopt(pk.role, &k, false)?;
                self.aliased.insert(pk.role);
                if stale.is_empty() {
                    found.push(format!("{} ({})", pk.alias, pk.region));
                } else {
                    self.call("TagResource", true, || {
                        self.svc.tag_key(&pk.region, &k.key_id, &stale)
                    })
                    .await?;
                    found.push(format!(
                        "{} ({}, {} tags brought up to date)",
                        pk.alias,
                        pk.region,
                        stale.len()
                    ));
                }
                continue;
            }
            // No alias yet: a key an earlier run made before it stopped?
            let mine: Vec<&Entry> = entries.iter().filter(|e| e.role == Some(pk.role)).collect();
            let last_arn = mine
                .iter()
                .rev()
                .find(|e| matches!(e.event, Event::Created | Event::Adopted))
                .and_then(|e| e.arn.clone());
            let unanswered = mine.last().is_some_and(|e| e.event == Event::Intent);
            let mut candidate = None;
            if let Some(arn) = last_arn {
                match self.svc.describe_key(&pk.region, &arn).await {
                    Ok(k) if !pending_deletion(&k.state) => candidate = Some(k),
                    Ok(_) | Err(KmsError::NotFound { .. }) => {}
                    Err(e) => return Err(kms_err("DescribeKey")(e)),
                }
            }
            if candidate.is_none() && pk.role == KeyRole::Replica {
                if let Some(p) = self.keys.get(&KeyRole::Primary).cloned() {
                    candidate = self.replica_of(&p, &pk.region).await?;
                }
            } else if candidate.is_none() && unanswered {
                candidate = self.find_by_tags(&pk.region, pk.role).await?;
            }
            // A key of the other kind (the regionality changed since) is not this setup's.
            if let Some(k) = candidate.filter(|k| self.kind_mismatch(pk.role, k).is_none()) {
                self.adopt(pk.role, &k, false)?;
                found.push(format!("{} key {}", pk.role.as_str(), k.arn));
            }
        }
        Ok(StepEnd::Done(Some(if found.is_empty() {
            "nothing found: starting fresh".to_string()
        } else {
            format!("reusing {}", found.join(", "))
        })))
    }

    /// Whether an existing key cannot serve as `role` because Multi-Region is fixed at
    /// creation: (what it is, what the plan needs).
    fn kind_mismatch(&self, role: KeyRole, k: &KeyInfo) -> Option<(String, String)> {
        let wanted = match role {
            KeyRole::Primary => self.plan.answers.multi_region(),
            KeyRole::Secondary => false,
            KeyRole::Replica => return None,
        };
        let kind = |mr: bool| {
            if mr {
                "a Multi-Region key".to_string()
            } else {
                "a single-Region key".to_string()
            }
        };
        let is = k.multi_region.is_some();
        (is != wanted).then(|| (kind(is), kind(wanted)))
    }

    /// The replica of `primary` in `region`, if KMS lists one.
    async fn replica_of(
        &self,
        primary: &KeyRecord,
        region: &str,
    ) -> Result<Option<KeyInfo>, ExecError> {
        let p = self
            .call("DescribeKey", true, || {
                self.svc.describe_key(&primary.region, &primary.key_id)
            })
            .await?;
        let listed = p
            .multi_region
            .as_ref()
            .is_some_and(|m| m.replicas.iter().any(|r| r.region == region));
        if !listed {
            return Ok(None);
        }
        let k = self
            .call("DescribeKey", true, || {
                self.svc.describe_key(region, &primary.key_id)
            })
            .await?;
        Ok((!pending_deletion(&k.state)).then_some(k))
    }

    async fn create_key(
        &mut self,
        role: KeyRole,
        region: &str,
        multi_region: bool,
    ) -> Result<StepEnd, ExecError> {
        if let Some(k) = self.keys.get(&role) {
            return Ok(StepEnd::AlreadyDone(format!("found {}", k.arn)));
        }
        let req = self.new_key(role, multi_region);
        self.record(Event::Intent, Some(role), Some(region), None)?;
        let mut attempt = 1;
        let mut maybe_created = false;
        loop {
            match self.svc.create_key(region, &req).await {
                Ok(k) => {
                    self.adopt(role, &k, true)?;
                    return Ok(StepEnd::Done(Some(k.arn)));
                }
                Err(e) if e.is_transient() => {
                    // Throttling means KMS did nothing; any other failure may hide a success,
                    // which is what the user is told if looking for the key fails.
                    maybe_created |= !matches!(e, KmsError::Throttled { .. });
                    let last = attempt >= self.opts.max_attempts;
                    if !last {
                        self.pause_before_retry(attempt, &e).await;
                        attempt += 1;
                    }
                    // Look before creating again, and after the last attempt too. KMS lists
                    // a new key only after a moment: when an answer may have been lost, a
                    // miss is checked once more after a pause.
                    let mut found = self.find_by_tags(region, role).await;
                    if maybe_created && matches!(found, Ok(None)) {
                        tokio::time::sleep(self.opts.poll_max).await;
                        found = self.find_by_tags(region, role).await;
                    }
                    match found {
                        Ok(Some(k)) => {
                            self.adopt(role, &k, true)?;
                            return Ok(StepEnd::Done(Some(k.arn)));
                        }
                        Ok(None) => {}
                        Err(e) if maybe_created => return Err(unconfirmed(role, region, e)),
                        Err(e) => return Err(e),
                    }
                    if last {
                        return Err(kms_err("CreateKey")(e));
                    }
                }
                Err(e) => return Err(kms_err("CreateKey")(e)),
            }
        }
    }

    async fn pause_before_retry(&self, attempt: u32, e: &KmsError) {
        let delay = self.backoff(attempt);
        self.emit(Progress::Retrying {
            step: self.step,
            attempt,
            reason: e.to_string(),
            delay,
        });
        tokio::time::sleep(delay).await;
    }

    async fn create_alias(
        &mut self,
        role: KeyRole,
        region: &str,
        alias: &str,
    ) -> Result<StepEnd, ExecError> {
        if self.aliased.contains(&role) {
            return Ok(StepEnd::AlreadyDone(format!("{alias} names the key")));
        }
        let key_id = self.key(role).key_id.clone();
        let res = self
            .call("CreateAlias", true, || {
                self.svc.create_alias(region, alias, &key_id)
            })
            .await;
        let end = match res {
            Ok(()) => StepEnd::Done(None),
            Err(ExecError::Kms {
                error: KmsError::AlreadyExists { .. },
                ..
            }) => {
                // Made by a retried call, or mirrored by the service: fine if it names our key.
                match self
                    .call("DescribeKey", false, || {
                        kms::find_alias(self.svc, region, alias)
                    })
                    .await?
                {
                    Some(k) if k.key_id == key_id => {
                        StepEnd::AlreadyDone(format!("{alias} names the key"))
                    }
                    Some(k) => {
                        return Err(ExecError::AliasTakenAfterCreate {
                            alias: alias.into(),
                            region: region.into(),
                            key_arn: k.arn,
                            ours: self.key(role).arn.clone(),
                        });
                    }
                    None => {
                        return Err(kms_err("CreateAlias")(KmsError::AlreadyExists {
                            message: alias.into(),
                        }));
                    }
                }
            }
            Err(e) => return Err(e),
        };
        self.aliased.insert(role);
        Ok(end)
    }

    async fn enable_rotation(
        &mut self,
        role: KeyRole,
        region: &str,
        days: u32,
    ) -> Result<StepEnd, ExecError> {
        let rec = self.key(role);
        let key_id = rec.key_id.clone();
        // A key made by this run starts with rotation off: no need to read it first. Enabling
        // is idempotent, so a key adopted from a lost answer is safe too.
        if !rec.created_now {
            let now = self
                .call("GetKeyRotationStatus", true, || {
                    self.svc.rotation(region, &key_id)
                })
                .await?;
            if now.enabled && now.period_days.is_none_or(|d| d == days) {
                return Ok(StepEnd::AlreadyDone(format!(
                    "rotation is on every {days} days"
                )));
            }
        }
        self.call("EnableKeyRotation", true, || {
            self.svc.enable_rotation(region, &key_id, days)
        })
        .await?;
        Ok(StepEnd::Done(None))
    }

    async fn replicate(&mut self, from: &str, region: &str) -> Result<StepEnd, ExecError> {
        if let Some(k) = self.keys.get(&KeyRole::Replica) {
            return Ok(StepEnd::AlreadyDone(format!("found {}", k.arn)));
        }
        let primary = self.key(KeyRole::Primary).clone();
        // A primary made by this run has no replica yet; for an older one, look first.
        // (Should one exist after all, ReplicateKey says so and it is adopted below.)
        if !primary.created_now
            && let Some(k) = self.replica_of(&primary, region).await?
        {
            self.adopt(KeyRole::Replica, &k, false)?;
            return Ok(StepEnd::AlreadyDone(format!("found {}", k.arn)));
        }
        let req = self.new_key(KeyRole::Replica, true);
        self.record(Event::Intent, Some(KeyRole::Replica), Some(region), None)?;
        let mut attempt = 1;
        let mut maybe_created = false;
        loop {
            match self
                .svc
                .replicate_key(from, &primary.key_id, region, &req)
                .await
            {
                Ok(k) => {
                    self.adopt(KeyRole::Replica, &k, true)?;
                    return Ok(StepEnd::Done(Some(k.arn)));
                }
                Err(e) if e.is_transient() => {
                    maybe_created |= !matches!(e, KmsError::Throttled { .. });
                    let last = attempt >= self.opts.max_attempts;
                    if !last {
                        self.pause_before_retry(attempt, &e).await;
                        attempt += 1;
                    }
                    let mut found = self.replica_of(&primary, region).await;
                    if maybe_created && matches!(found, Ok(None)) {
                        tokio::time::sleep(self.opts.poll_max).await;
                        found = self.replica_of(&primary, region).await;
                    }
                    match found {
                        Ok(Some(k)) => {
                            self.adopt(KeyRole::Replica, &k, true)?;
                            return Ok(StepEnd::Done(Some(k.arn)));
                        }
                        Ok(None) => {}
                        Err(e) if maybe_created => {
                            return Err(unconfirmed(KeyRole::Replica, region, e));
                        }
                        Err(e) => return Err(e),
                    }
                    if last {
                        return Err(kms_err("ReplicateKey")(e));
                    }
                }
                Err(KmsError::AlreadyExists { .. }) => {
                    if let Some(k) = self.replica_of(&primary, region).await? {
                        self.adopt(KeyRole::Replica, &k, true)?;
                        return Ok(StepEnd::AlreadyDone(format!("found {}", k.arn)));
                    }
                    return Err(kms_err("ReplicateKey")(KmsError::AlreadyExists {
                        message: region.into(),
                    }));
                }
                Err(e) => return Err(kms_err("ReplicateKey")(e)),
            }
        }
    }

    async fn wait_enabled(&mut self, role: KeyRole, region: &str) -> Result<StepEnd, ExecError> {
        let key_id = self.key(role).key_id.clone();
        let t0 = Instant::now();
        let mut delay = self.opts.poll_first;
        let mut last = String::new();
        loop {
            let state = match self.svc.describe_key(region, &key_id).await {
                Ok(k) => k.state,
                Err(KmsError::NotFound { .. }) => "not visible yet".to_string(),
                Err(e) if e.is_transient() => format!("unknown ({e})"),
                Err(e) => return Err(kms_err("DescribeKey")(e)),
            };
            if state == "Enabled" {
                return Ok(StepEnd::Done(Some(format!(
                    "Enabled after {:.1} s",
                    t0.elapsed().as_secs_f64()
                ))));
            }
            if state != last {
                self.emit(Progress::Waiting {
                    step: self.step,
                    detail: format!("replica is {state}"),
                });
                last = state.clone();
            }
            if t0.elapsed() >= self.opts.poll_timeout {
                return Err(ExecError::ReplicaTimeout {
                    region: region.into(),
                    state,
                    seconds: self.opts.poll_timeout.as_secs(),
                });
            }
            if *self.cancel.borrow() {
                return Ok(StepEnd::Interrupted);
            }
            // Wake at once when the user asks to stop.
            let mut cancel = self.cancel.clone();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                Ok(()) = cancel.changed() => {}
            }
            delay = (delay.mul_f32(1.5)).min(self.opts.poll_max);
        }
    }

    /// The tags the plan gives `role`'s key that `have` lacks (or holds with another value).
    fn missing_tags(&self, role: KeyRole, have: &[(String, String)]) -> Vec<(String, String)> {
        self.plan
            .tags_for(role)
            .into_iter()
            .filter(|t| !have.contains(t))
            .collect()
    }

    async fn ensure_tags(&mut self, role: KeyRole, region: &str) -> Result<StepEnd, ExecError> {
        let key_id = self.key(role).key_id.clone();
        let have = self
            .call("ListResourceTags", true, || {
                self.svc.list_tags(region, &key_id)
            })
            .await?;
        let missing = self.missing_tags(role, &have);
        if missing.is_empty() {
            return Ok(StepEnd::AlreadyDone("every tag is there".into()));
        }
        self.call("TagResource", true, || {
            self.svc.tag_key(region, &key_id, &missing)
        })
        .await?;
        Ok(StepEnd::Done(Some(format!(
            "added {} missing tags",
            missing.len()
        ))))
    }

    /// Read every key back and compare it with the plan. The reads of all keys run at once:
    /// they are independent, and on a multi-Region setup this saves most of the step's wait.
    async fn verify(&mut self) -> Result<StepEnd, ExecError> {
        let expected = self.policy.clone().expect("identity resolved first");
        let this = &*self;
        let per_key = futures_util::future::try_join_all(
            this.plan
                .keys
                .iter()
                .map(|pk| this.verify_key(pk, &expected)),
        )
        .await?;
        let problems: Vec<String> = per_key.into_iter().flatten().collect();
        if problems.is_empty() {
            Ok(StepEnd::Done(Some(format!(
                "{} key(s) match",
                self.plan.keys.len()
            ))))
        } else {
            Err(ExecError::Verify { problems })
        }
    }

    /// What differs between one key in KMS and the plan. The alias is resolved with
    /// `DescribeKey`, which also returns the key's state, description and kind.
    async fn verify_key(
        &self,
        pk: &plan::PlannedKey,
        expected: &Value,
    ) -> Result<Vec<String>, ExecError> {
        let a = &self.plan.answers;
        let rec = self.key(pk.role);
        let by_alias = self.call("DescribeKey", false, || {
            kms::find_alias(self.svc, &pk.region, &pk.alias)
        });
        let policy = self.call("GetKeyPolicy", true, || {
            self.svc.get_policy(&pk.region, &rec.key_id)
        });
        let tags = self.call("ListResourceTags", true, || {
            self.svc.list_tags(&pk.region, &rec.key_id)
        });
        let rotation = async {
            match (a.rotation_days, pk.role == KeyRole::Replica) {
                (Some(days), false) => self
                    .call("GetKeyRotationStatus", true, || {
                        self.svc.rotation(&pk.region, &rec.key_id)
                    })
                    .await
                    .map(|r| Some((days, r))),
                _ => Ok(None),
            }
        };
        let (by_alias, doc, tags, rotation) =
            futures_util::future::try_join4(by_alias, policy, tags, rotation).await?;

        let mut problems = Vec::new();
        let name = format!("the {} key {}", pk.role.as_str(), rec.arn);
        let k = match by_alias {
            Some(k) if k.key_id == rec.key_id => k,
            _ => {
                problems.push(format!(
                    "{} in {} does not name {name}",
                    pk.alias, pk.region
                ));
                self.call("DescribeKey", true, || {
                    self.svc.describe_key(&pk.region, &rec.key_id)
                })
                .await?
            }
        };
        if k.state != "Enabled" {
            problems.push(format!("{name} is {}", k.state));
        }
        if k.description != a.description {
            problems.push(format!("{name} has the description {:?}", k.description));
        }
        if a.multi_region() != k.multi_region.is_some() {
            problems.push(format!(
                "{name} is {}a Multi-Region key",
                if a.multi_region() { "not " } else { "" }
            ));
        }
        match serde_json::from_str::<Value>(&doc) {
            Ok(p) if p == *expected => {}
            _ => problems.push(format!("{name} has a different key policy than byok's")),
        }
        if let Some((tk, tv)) = self.missing_tags(pk.role, &tags).into_iter().next() {
            problems.push(format!("{name} lacks the tag {tk}={tv}"));
        }
        if let Some((days, rot)) = rotation
            && (!rot.enabled || rot.period_days.is_some_and(|d| d != days))
        {
            problems.push(format!("{name} does not rotate every {days} days"));
        }
        Ok(problems)
    }
}

#[cfg(test)]
mod tests;
