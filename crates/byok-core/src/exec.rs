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
use crate::journal::{self, Entry, Event, Journal, LockTry, SetupLock};
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

/// The role in the customer's account that the vendor assumes, as it exists now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleRecord {
    pub name: String,
    pub arn: String,
    /// Made by this run (false: an earlier run's, found by its byok tags).
    pub created_now: bool,
}

/// One value the vendor asks the customer to paste back (its profile's `paste_back`), for
/// one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasteValue {
    pub what: crate::vendor::PasteBack,
    /// How it is shown: the item's label, with the key's Region when there are two keys.
    pub label: String,
    pub region: String,
    pub value: String,
}

/// What the vendor asks the customer to paste back, for these keys: each of the profile's
/// `paste_back` items (the key ARN when it lists none) for each key, in that order. An
/// alias not yet on a key gives nothing for it.
pub fn paste_back(
    vendor: &crate::vendor::VendorProfile,
    keys: &[KeyRecord],
    role: Option<&RoleRecord>,
) -> Vec<PasteValue> {
    use crate::vendor::PasteBack;
    let items = if vendor.paste_back.is_empty() {
        vec![PasteBack::KeyArn]
    } else {
        vendor.paste_back.clone()
    };
    let mut out = Vec::new();
    for what in items {
        // The role is one for the setup, whatever its keys.
        if what == PasteBack::RoleArn {
            if let Some(r) = role {
                out.push(PasteValue {
                    what,
                    label: what.label().to_string(),
                    region: "global".into(),
                    value: r.arn.clone(),
                });
            }
            continue;
        }
        for k in keys {
            let value = match what {
                PasteBack::KeyArn => Some(k.arn.clone()),
                PasteBack::RoleArn => None,
                PasteBack::Region => Some(k.region.clone()),
                PasteBack::Alias => k.alias.clone(),
                PasteBack::AliasArn => k.alias.as_ref().and_then(|alias| {
                    let (base, _) = k.arn.rsplit_once(":key/")?;
                    Some(format!("{base}:{alias}"))
                }),
            };
            if let Some(value) = value {
                let label = if keys.len() > 1 {
                    format!("{} · {}", what.label(), k.region)
                } else {
                    what.label().to_string()
                };
                out.push(PasteValue {
                    what,
                    label,
                    region: k.region.clone(),
                    value,
                });
            }
        }
    }
    out
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
    /// The role the vendor assumes exists (made now or found from an earlier run).
    Role {
        role: RoleRecord,
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
    #[error("the role {name} already exists in your account, {why}")]
    RoleTaken {
        name: String,
        arn: String,
        why: String,
    },
    #[error("the role {arn} does not match what byok set up: {}", problems.join("; "))]
    RoleVerify { arn: String, problems: Vec<String> },
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
    #[error("another byok run{} works on this setup; waited {seconds} s", pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    Locked { pid: Option<u32>, seconds: u64 },
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
    /// Whether running the same command again cannot get past this until the user changes
    /// something (a name byok must not take over, a key of another kind or pending deletion,
    /// an administrator of another account, a policy refused): the advice is then to resolve
    /// it first, not merely to run again.
    pub fn needs_the_user(&self) -> bool {
        matches!(
            self,
            Self::AliasTaken { .. }
                | Self::WrongKeyKind { .. }
                | Self::RoleTaken { .. }
                | Self::AdminAccount { .. }
                | Self::Policy { .. }
                | Self::PendingDeletion { .. }
        )
    }
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
            ExecError::RoleTaken { name, why, .. } => format!(
                "The role {name} already exists in your account, {why}. byok changed nothing and never replaces a role it did not make for this setup. Delete or rename that role if it is unused, or set up the vendor's access to it yourself."
            ),
            ExecError::RoleVerify { arn, problems } => format!(
                "The role {arn} exists but does not match what byok set up: {}. Check it in the IAM console, then run the same command again.",
                problems.join("; ")
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
            ExecError::Locked { pid, seconds } => format!(
                "Another byok run{} is setting up the same key on this machine, and it did not finish within {seconds} s. byok changed nothing. Let that run finish (or stop it), then run the same command again.",
                pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
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
                | ExecError::RoleTaken { .. }
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
    /// The role the vendor assumes, when the setup has one and it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleRecord>,
    pub policy: Option<Value>,
    pub outcome: Outcome,
    /// Steps finished, in plan order.
    pub done_steps: Vec<usize>,
    /// Keys this setup's runs made that lost the alias to another byok run's key: retired.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<RetiredKey>,
    /// Creates whose keys may exist without the run knowing: on their way when the run
    /// stopped, or answered with a lost answer that could not be looked up after another
    /// step had already failed (the journal holds each intent; a re-run finds the key).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub in_flight: Vec<InFlight>,
}

/// A duplicate key a run took out of service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetiredKey {
    pub role: KeyRole,
    pub region: String,
    pub arn: String,
    /// The key that holds the alias.
    pub duplicate_of: String,
    /// When its deletion is scheduled (RFC 3339), once it is.
    pub deletion_date: Option<String>,
    /// What could not be done (the key then still exists as it was): None when retired.
    pub problem: Option<String>,
}

/// A create request that was in flight when the run stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InFlight {
    pub role: KeyRole,
    pub region: String,
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
            Outcome::Completed if self.retired.iter().any(|r| r.problem.is_some()) => {
                exit::PARTLY_DONE
            }
            Outcome::Completed => exit::OK,
            Outcome::Interrupted { .. } => exit::INTERRUPTED,
            Outcome::Failed { .. } if !self.in_flight.is_empty() => exit::PARTLY_DONE,
            Outcome::Failed { .. } if self.keys.iter().any(|k| k.created_now) => exit::PARTLY_DONE,
            Outcome::Failed { .. } if self.role.as_ref().is_some_and(|r| r.created_now) => {
                exit::PARTLY_DONE
            }
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
        !self.in_flight.is_empty()
            || matches!(
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
    /// How long a run waits for another run of the same setup on this machine.
    pub lock_timeout: Duration,
    /// How long after an interrupted run's create request its key may still appear (a
    /// request on its way, KMS listing a new key late): a re-run looks again until then.
    pub intent_settle: Duration,
    /// After a stop is asked, how long the call in flight may take before the run stops
    /// without its answer (the journal holds the intent).
    pub cancel_grace: Duration,
    /// How long KMS may answer "invalid principal" for a role byok just made (IAM has not
    /// propagated it yet) before the run gives up.
    pub iam_propagation: Duration,
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
            lock_timeout: Duration::from_secs(600),
            intent_settle: Duration::from_secs(15),
            cancel_grace: Duration::from_secs(3),
            iam_propagation: Duration::from_secs(120),
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

/// What a run learns and makes as it goes: shared by the steps that run at once, each
/// holding the lock only between calls, never across one.
#[derive(Default)]
struct State {
    account: Option<String>,
    caller: Option<String>,
    policy: Option<Value>,
    setup: String,
    /// By [`Slot`]: the order of the plan's keys.
    keys: BTreeMap<Slot, KeyRecord>,
    aliased: BTreeSet<Slot>,
    /// This setup's journal entries, read once the setup's lock is held.
    entries: Vec<Entry>,
    /// The journal ends in a torn line: a crash while writing, possibly an intent.
    torn_tail: bool,
    /// The intent of each create this run sent.
    intents: BTreeMap<Slot, String>,
    /// Keys made by this setup's earlier intents, found by their `byok:intent` tag, that do
    /// not serve the setup: retired once the alias is held.
    strays: Vec<(Slot, KeyInfo, Option<String>)>,
    retired: Vec<RetiredKey>,
    lock: Option<SetupLock>,
    /// The planned keys' aliases, looked up beside the sign-in.
    prefetched: Option<Vec<Option<KeyInfo>>>,
    /// Another run held the setup's lock before this one got it.
    lock_waited: bool,
    /// The role the vendor assumes, once found or made.
    role: Option<RoleRecord>,
}

/// A key of the plan, by its index in [`Plan::keys`] (0 is the primary): a setup has one key
/// per Region, so a replica or a key of its own is told from the others by its Region.
type Slot = usize;

struct Run<'a, S> {
    svc: &'a S,
    plan: &'a Plan,
    journal: &'a Journal,
    tx: &'a mpsc::UnboundedSender<Progress>,
    cancel: &'a watch::Receiver<bool>,
    opts: &'a ExecOptions,
    st: std::sync::Mutex<State>,
}

tokio::task_local! {
    /// The plan step a piece of work belongs to, for its progress events.
    static STEP: usize;
}

fn current_step() -> usize {
    STEP.try_with(|s| *s).unwrap_or(0)
}

/// Steps in flight at once, at most.
const MAX_STEPS_IN_FLIGHT: usize = 4;

#[derive(Clone, Copy, PartialEq, Eq)]
enum StepState {
    Pending,
    Running,
    Done,
}

/// Execute the plan: every step whose inputs are known is sent at once (the plan's
/// dependency graph, at most [`MAX_STEPS_IN_FLIGHT`] at a time), and progress is reported
/// per step. Never panics on AWS trouble: the report says what exists.
pub async fn run<S: KeyService>(
    svc: &S,
    plan: &Plan,
    journal: &Journal,
    tx: &mpsc::UnboundedSender<Progress>,
    cancel: &watch::Receiver<bool>,
    opts: &ExecOptions,
) -> RunReport {
    use futures_util::StreamExt;
    use futures_util::stream::FuturesUnordered;
    let r = Run {
        svc,
        plan,
        journal,
        tx,
        cancel,
        opts,
        st: std::sync::Mutex::new(State::default()),
    };
    let deps = plan.deps();
    let n = plan.steps.len();
    let mut state = vec![StepState::Pending; n];
    let mut done_steps = Vec::new();
    let mut outcome = Outcome::Completed;
    let mut in_flight: Vec<InFlight> = Vec::new();
    let mut stopping = false;
    let mut running = FuturesUnordered::new();
    // A stop asked during a call lets it finish for `cancel_grace`; after that the run
    // stops without its answer (a create's intent is journalled: a re-run finds its key).
    let stopped = {
        let mut cancel = cancel.clone();
        let grace = opts.cancel_grace;
        async move {
            let _ = cancel.wait_for(|c| *c).await;
            tokio::time::sleep(grace).await;
        }
    };
    tokio::pin!(stopped);
    loop {
        if !stopping && *cancel.borrow() {
            stopping = true;
            if outcome == Outcome::Completed {
                let first = state
                    .iter()
                    .position(|s| *s != StepState::Done)
                    .unwrap_or(n);
                outcome = Outcome::Interrupted { step: first };
            }
        }
        if !stopping {
            for i in 0..n {
                if running.len() >= MAX_STEPS_IN_FLIGHT {
                    break;
                }
                if state[i] == StepState::Pending
                    && deps[i].iter().all(|&d| state[d] == StepState::Done)
                {
                    state[i] = StepState::Running;
                    r.emit(Progress::Started { step: i });
                    let step = &plan.steps[i];
                    let r = &r;
                    running.push(STEP.scope(i, async move {
                        let t0 = Instant::now();
                        (i, r.exec(step).await, t0.elapsed())
                    }));
                }
            }
        }
        if running.is_empty() {
            break;
        }
        let next = tokio::select! {
            next = running.next() => next,
            () = &mut stopped => None,
        };
        let Some((i, res, elapsed)) = next else {
            // The grace is over: the steps still in flight are left without their answers.
            let first = state
                .iter()
                .position(|s| *s != StepState::Done)
                .unwrap_or(n);
            for (j, step) in plan.steps.iter().enumerate() {
                if state[j] != StepState::Running {
                    continue;
                }
                let st = r.st();
                match step {
                    Step::CreateKey { role, region, .. }
                        if !plan.slot(region).is_some_and(|s| st.keys.contains_key(&s)) =>
                    {
                        in_flight.push(InFlight {
                            role: *role,
                            region: region.clone(),
                        });
                    }
                    Step::ReplicateKey { region, .. }
                        if !plan.slot(region).is_some_and(|s| st.keys.contains_key(&s)) =>
                    {
                        in_flight.push(InFlight {
                            role: KeyRole::Replica,
                            region: region.clone(),
                        });
                    }
                    _ => {}
                }
            }
            if !matches!(outcome, Outcome::Failed { .. }) {
                outcome = Outcome::Interrupted { step: first };
            }
            break;
        };
        match res {
            Ok(StepEnd::Interrupted) => {
                stopping = true;
                state[i] = StepState::Pending;
                if outcome == Outcome::Completed {
                    outcome = Outcome::Interrupted { step: i };
                }
            }
            Ok(end) => {
                let note = match end {
                    StepEnd::Done(n) => n,
                    StepEnd::AlreadyDone(n) => Some(format!("already done: {n}")),
                    StepEnd::Interrupted => unreachable!("handled above"),
                };
                r.emit(Progress::Done {
                    step: i,
                    elapsed,
                    note,
                });
                state[i] = StepState::Done;
                done_steps.push(i);
            }
            Err(error) => {
                r.emit(Progress::Failed {
                    step: i,
                    elapsed,
                    error: error.to_string(),
                });
                state[i] = StepState::Pending;
                stopping = true;
                // The first failure is the one reported; steps already in flight finish. A
                // later one that leaves a key unconfirmed is kept, so it is not lost.
                if !matches!(outcome, Outcome::Failed { .. }) {
                    outcome = Outcome::Failed { step: i, error };
                } else if let ExecError::Unconfirmed { role, region, .. } = error {
                    in_flight.push(InFlight { role, region });
                }
            }
        }
    }
    drop(running);
    done_steps.sort_unstable();
    if outcome == Outcome::Completed {
        let _ = r.record(r.entry(Event::Completed, None, None));
    }
    let st = r.st.into_inner().unwrap_or_else(|e| e.into_inner());
    drop(st.lock);
    let mut keys: Vec<KeyRecord> = st.keys.values().cloned().collect();
    for (slot, k) in st.keys.keys().zip(&mut keys) {
        if !st.aliased.contains(slot) {
            k.alias = None;
        }
    }
    RunReport {
        account: st.account,
        caller: st.caller,
        keys,
        role: st.role,
        policy: st.policy,
        outcome,
        done_steps,
        retired: st.retired,
        in_flight,
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

/// Whether a journal entry is about `pk`'s key: its role, in its Region (an entry without a
/// Region, from an older journal, is taken as its role's).
fn is_of(e: &Entry, pk: &plan::PlannedKey) -> bool {
    e.role == Some(pk.role) && e.region.as_deref().is_none_or(|r| r == pk.region)
}

fn pending_deletion(state: &str) -> bool {
    matches!(state, "PendingDeletion" | "PendingReplicaDeletion")
}

impl<S: KeyService> Run<'_, S> {
    fn emit(&self, p: Progress) {
        let _ = self.tx.send(p);
    }

    /// The run's state, for a moment: never held across a call.
    fn st(&self) -> std::sync::MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn setup(&self) -> String {
        self.st().setup.clone()
    }

    /// The key policy, once the account is known.
    fn policy_value(&self) -> Value {
        self.st()
            .policy
            .clone()
            .expect("identity resolved before any key step")
    }

    /// A journal entry of this setup; `slot` brings the key's role, Region and alias.
    fn entry(&self, event: Event, slot: Option<Slot>, arn: Option<&str>) -> Entry {
        let pk = slot.map(|s| &self.plan.keys[s]);
        Entry {
            role: pk.map(|k| k.role),
            region: pk.map(|k| k.region.clone()),
            arn: arn.map(str::to_string),
            alias: pk.map(|k| k.alias.clone()),
            principal: matches!(event, Event::Created | Event::Adopted)
                .then(|| {
                    let account = self.st().account.clone().unwrap_or_default();
                    self.plan.answers.policy_principal(&account)
                })
                .filter(|p| !p.is_empty()),
            ..Entry::new(&self.setup(), event)
        }
    }

    fn record(&self, entry: Entry) -> Result<(), ExecError> {
        self.journal.record(&entry).map_err(|e| ExecError::Journal {
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
                        step: current_step(),
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

    fn key(&self, slot: Slot) -> KeyRecord {
        self.st()
            .keys
            .get(&slot)
            .cloned()
            .expect("the plan creates a key before using it")
    }

    /// Take `k` as the setup's `slot` key and journal it. The key is the run's before the
    /// journal is written: when the journal cannot be written (a full disk), the report
    /// still names the key.
    fn adopt(&self, slot: Slot, k: &KeyInfo, created_now: bool) -> Result<(), ExecError> {
        let pk = &self.plan.keys[slot];
        let rec = KeyRecord {
            role: pk.role,
            region: k.region.clone(),
            arn: k.arn.clone(),
            key_id: k.key_id.clone(),
            alias: Some(pk.alias.clone()),
            created_now,
        };
        self.emit(Progress::Key { key: rec.clone() });
        self.st().keys.insert(slot, rec);
        let mut e = self.entry(
            if created_now {
                Event::Created
            } else {
                Event::Adopted
            },
            Some(slot),
            Some(&k.arn),
        );
        e.intent = self.st().intents.get(&slot).cloned();
        self.record(e)
    }

    fn new_key(&self, slot: Slot, multi_region: bool) -> NewKey {
        let mut tags = self.plan.tags_for(self.plan.keys[slot].role);
        let intent = self.st().intents.get(&slot).cloned();
        if let Some(id) = intent {
            tags.push((plan::TAG_INTENT.into(), id));
        }
        NewKey {
            policy: policy::to_document(&self.policy_value()),
            description: self.plan.answers.description.clone(),
            tags,
            multi_region,
        }
    }

    /// Journal a fresh intent for `slot` and remember it: the create that follows carries
    /// its ID as a tag, so the key a lost or killed request made is recognised for what it is.
    fn begin_intent(&self, slot: Slot) -> Result<(), ExecError> {
        let id = journal::new_intent_id();
        let mut e = self.entry(Event::Intent, Some(slot), None);
        e.intent = Some(id.clone());
        self.record(e)?;
        self.st().intents.insert(slot, id);
        Ok(())
    }

    /// Keys in `region` that byok made for this setup's `role` and that are not pending
    /// deletion. With `intents`, only keys carrying one of those `byok:intent` tags; without,
    /// (an earlier version's journal, or a torn line) keys with byok's tags for this vendor,
    /// alias and role that carry no intent tag (a key with one belongs to a run that
    /// journals it). `seen` holds keys already read, so that a repeated look reads only the
    /// keys that appeared since.
    async fn find_tagged(
        &self,
        slot: Slot,
        intents: &[String],
        seen: &mut BTreeSet<String>,
    ) -> Result<Vec<(KeyInfo, Option<String>)>, ExecError> {
        let pk = &self.plan.keys[slot];
        let (region, role, alias) = (pk.region.as_str(), pk.role, &pk.alias);
        let ids = self
            .call("ListKeys", false, || self.svc.list_keys(region))
            .await?;
        let mut out = Vec::new();
        for id in ids {
            if seen.contains(&id) {
                continue;
            }
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
                }) => {
                    seen.insert(id);
                    continue;
                }
                Err(e) => return Err(e),
            };
            seen.insert(id.clone());
            let has = |k: &str, v: &str| tags.iter().any(|(tk, tv)| tk == k && tv == v);
            let intent = tags
                .iter()
                .find(|(k, _)| k == plan::TAG_INTENT)
                .map(|(_, v)| v.clone());
            let matches = match &intent {
                Some(i) if !intents.is_empty() => intents.contains(i),
                None if intents.is_empty() => {
                    has(plan::TAG_MANAGED_BY, "byok")
                        && has(plan::TAG_VENDOR, &self.plan.answers.vendor.id)
                        && has(plan::TAG_ALIAS, alias)
                        && has(plan::TAG_ROLE, role.as_str())
                }
                _ => false,
            };
            if matches {
                let k = self
                    .call("DescribeKey", true, || self.svc.describe_key(region, &id))
                    .await?;
                if !pending_deletion(&k.state) {
                    out.push((k, intent));
                }
            }
        }
        Ok(out)
    }

    /// Look for the keys of earlier intents, and while the newest may still be on its way
    /// (`intent_settle` after it was journalled), look again: a killed run's request can
    /// land after the re-run started, and KMS lists a new key only after a moment.
    async fn find_intent_keys(
        &self,
        slot: Slot,
        intents: &[(String, Option<i64>)],
        wait: bool,
    ) -> Result<Vec<(KeyInfo, Option<String>)>, ExecError> {
        let ids: Vec<String> = intents.iter().map(|(i, _)| i.clone()).collect();
        let newest = intents.iter().filter_map(|(_, t)| *t).max();
        let remaining = || self.settle_left(newest);
        let mut seen = BTreeSet::new();
        let mut said = false;
        loop {
            let found = self.find_tagged(slot, &ids, &mut seen).await?;
            let left = remaining();
            if !found.is_empty() || !wait || left <= 0.0 || *self.cancel.borrow() {
                return Ok(found);
            }
            if !said {
                self.emit(Progress::Waiting {
                    step: current_step(),
                    detail: format!(
                        "looking for the key an interrupted run may have made ({:.0} s more at most)",
                        left.ceil()
                    ),
                });
                said = true;
            }
            let mut cancel = self.cancel.clone();
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs_f64(left.clamp(0.05, 1.0))) => {}
                Ok(()) = cancel.changed() => {}
            }
            // The keys read so far cannot have gained the tag: read only new ones.
        }
    }

    /// Intents of `slot`'s key in this setup's journal that have no outcome: (ID, when).
    fn open_intents(&self, slot: Slot) -> Vec<(String, Option<i64>)> {
        let st = self.st();
        let pk = &self.plan.keys[slot];
        let closed: BTreeSet<&str> = st
            .entries
            .iter()
            .filter(|e| e.event != Event::Intent)
            .filter_map(|e| e.intent.as_deref())
            .collect();
        st.entries
            .iter()
            .filter(|e| e.event == Event::Intent && is_of(e, pk))
            .filter_map(|e| {
                let id = e.intent.as_deref()?;
                (!closed.contains(id)).then(|| (id.to_string(), journal::parse_time(&e.time)))
            })
            .collect()
    }

    /// Seconds during which the key of an intent journalled at `t` (Unix seconds) may still
    /// appear: at most `intent_settle`, 0 once that has passed (or the time is unknown).
    fn settle_left(&self, t: Option<i64>) -> f64 {
        let Some(t) = t else { return 0.0 };
        let settle = self.opts.intent_settle.as_secs_f64();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        (t as f64 + settle + 1.0 - now).clamp(0.0, settle)
    }

    /// Intents whose key never appeared, now older than a request can take: closed, so
    /// that later runs stop looking.
    fn close_settled(&self, slot: Slot, intents: &[(String, Option<i64>)]) {
        for (id, t) in intents {
            if t.is_some() && self.settle_left(*t) <= 0.0 {
                let mut e = self.entry(Event::NotMade, Some(slot), None);
                e.intent = Some(id.clone());
                let _ = self.record(e);
            }
        }
    }

    /// Keys of `role` this setup's runs created (with an intent) that never held the alias
    /// and are not retired: the candidates to retire once another key holds the alias.
    fn journalled_strays(&self, slot: Slot, holder: &str) -> Vec<(String, Option<String>)> {
        let st = self.st();
        let pk = &self.plan.keys[slot];
        let done: BTreeSet<&str> = st
            .entries
            .iter()
            .filter(|e| matches!(e.event, Event::Aliased | Event::Retired))
            .filter_map(|e| e.arn.as_deref())
            .collect();
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        for e in &st.entries {
            if is_of(e, pk)
                && matches!(e.event, Event::Created | Event::Adopted | Event::Retiring)
                && e.intent.is_some()
                && let Some(arn) = &e.arn
                && arn != holder
                && !done.contains(arn.as_str())
                && !out.iter().any(|(a, _)| a == arn)
            {
                out.push((arn.clone(), e.intent.clone()));
            }
        }
        out
    }

    /// Take a duplicate out of service: marked, the vendor's access removed (the policy
    /// keeps only the account-root statement, so the key stays manageable), disabled, and
    /// scheduled for deletion with the shortest window, replicas first. Reported, never
    /// fatal: a step that fails is said, and the key is left as it is.
    async fn retire(&self, slot: Slot, k: &KeyInfo, intent: Option<String>, winner: &str) {
        let region = k.region.clone();
        let role = self.plan.keys[slot].role;
        let mut e = self.entry(Event::Retiring, Some(slot), Some(&k.arn));
        e.intent = intent.clone();
        e.duplicate_of = Some(winner.to_string());
        let _ = self.record(e);
        self.emit(Progress::Waiting {
            step: current_step(),
            detail: format!(
                "retiring {}, a duplicate another run made, in favour of {winner}",
                k.arn
            ),
        });
        let root_only = {
            let p = self.policy_value();
            let root = p["Statement"]
                .as_array()
                .and_then(|s| s.first())
                .cloned()
                .unwrap_or_default();
            policy::to_document(
                &serde_json::json!({ "Version": "2012-10-17", "Statement": [root] }),
            )
        };
        let key_id = k.key_id.clone();
        let mark = vec![(plan::TAG_DUPLICATE_OF.to_string(), winner.to_string())];
        let result: Result<String, ExecError> = async {
            self.call("TagResource", true, || {
                self.svc.tag_key(&region, &key_id, &mark)
            })
            .await?;
            self.call("PutKeyPolicy", true, || {
                self.svc.put_policy(&region, &key_id, &root_only)
            })
            .await?;
            self.call("DisableKey", true, || {
                self.svc.disable_key(&region, &key_id)
            })
            .await?;
            if let Some(mr) = &k.multi_region {
                for rep in &mr.replicas {
                    self.call("ScheduleKeyDeletion", true, || {
                        self.svc.schedule_deletion(&rep.region, &key_id, 7)
                    })
                    .await?;
                }
            }
            self.call("ScheduleKeyDeletion", true, || {
                self.svc.schedule_deletion(&region, &key_id, 7)
            })
            .await
        }
        .await;
        let (deletion_date, problem) = match result {
            Ok(date) => {
                let mut e = self.entry(Event::Retired, Some(slot), Some(&k.arn));
                e.intent = intent;
                e.duplicate_of = Some(winner.to_string());
                let _ = self.record(e);
                (Some(date), None)
            }
            Err(e) => (None, Some(e.to_string())),
        };
        self.st().retired.push(RetiredKey {
            role,
            region,
            arn: k.arn.clone(),
            duplicate_of: winner.to_string(),
            deletion_date,
            problem,
        });
    }

    /// Once `role`'s alias names `holder`, retire every other key this setup's intents made
    /// for it: the strays found while looking, and journalled keys that never held the alias.
    async fn retire_strays(
        &self,
        slot: Slot,
        holder_id: &str,
        holder_arn: &str,
    ) -> Result<(), ExecError> {
        let mut todo: Vec<(KeyInfo, Option<String>)> = Vec::new();
        let strays = std::mem::take(&mut self.st().strays);
        for (r, k, i) in strays {
            if r == slot && k.key_id != holder_id {
                todo.push((k, i));
            } else if r != slot {
                self.st().strays.push((r, k, i));
            }
        }
        let region = self.plan.keys[slot].region.clone();
        for (arn, intent) in self.journalled_strays(slot, holder_arn) {
            if todo.iter().any(|(k, _)| k.arn == arn) {
                continue;
            }
            match self.svc.describe_key(&region, &arn).await {
                Ok(k) if k.key_id == holder_id => {}
                Ok(k) if pending_deletion(&k.state) => {
                    // Retired already (a run stopped before journalling it): say so once.
                    let mut e = self.entry(Event::Retired, Some(slot), Some(&arn));
                    e.intent = intent;
                    e.duplicate_of = Some(holder_arn.to_string());
                    let _ = self.record(e);
                }
                Ok(k) => todo.push((k, intent)),
                Err(KmsError::NotFound { .. }) => {}
                Err(e) => return Err(kms_err("DescribeKey")(e)),
            }
        }
        for (k, intent) in todo {
            self.retire(slot, &k, intent, holder_arn).await;
        }
        Ok(())
    }

    /// Hold this setup's lock: runs of the same setup on this machine take turns.
    async fn acquire_lock(&self) -> Result<bool, ExecError> {
        let t0 = Instant::now();
        let mut said: Option<Option<u32>> = None;
        loop {
            match self.journal.try_lock_setup(&self.setup()) {
                Ok(LockTry::Acquired(l)) => {
                    self.st().lock = Some(l);
                    return Ok(true);
                }
                Ok(LockTry::Busy { pid }) => {
                    self.st().lock_waited = true;
                    if t0.elapsed() >= self.opts.lock_timeout {
                        return Err(ExecError::Locked {
                            pid,
                            seconds: self.opts.lock_timeout.as_secs(),
                        });
                    }
                    if said != Some(pid) {
                        self.emit(Progress::Waiting {
                            step: current_step(),
                            detail: format!(
                                "waiting for another byok run{} on this setup (up to {} s)",
                                pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
                                self.opts.lock_timeout.as_secs()
                            ),
                        });
                        said = Some(pid);
                    }
                    if *self.cancel.borrow() {
                        return Ok(false);
                    }
                    let mut cancel = self.cancel.clone();
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                        Ok(()) = cancel.changed() => {}
                    }
                }
                Err(e) => {
                    return Err(ExecError::Journal {
                        message: format!("cannot lock the setup: {e}"),
                    });
                }
            }
        }
    }

    /// The key the plan has in `region`.
    fn slot(&self, region: &str) -> Slot {
        self.plan
            .slot(region)
            .expect("every step acts on a planned key")
    }

    async fn exec(&self, step: &Step) -> Result<StepEnd, ExecError> {
        match step {
            Step::ResolveIdentity => self.resolve_identity().await,
            Step::FindExisting => self.find_existing().await,
            Step::CreateKey {
                region,
                multi_region,
                ..
            } => self.create_key(self.slot(region), *multi_region).await,
            Step::CreateAlias { region, alias, .. } => {
                self.create_alias(self.slot(region), alias).await
            }
            Step::EnableRotation { region, days, .. } => {
                self.enable_rotation(self.slot(region), *days).await
            }
            Step::ReplicateKey { from, region } => self.replicate(from, self.slot(region)).await,
            Step::WaitEnabled { region, .. } => self.wait_enabled(self.slot(region)).await,
            Step::EnsureTags { region, .. } => self.ensure_tags(self.slot(region)).await,
            Step::Verify => self.verify().await,
            Step::Alerts { region, email } => self.alerts(region, email).await,
            Step::CheckRole { name } => self.check_role(name).await,
            Step::CreateRole { name } => self.create_role(name).await,
            Step::PutRolePolicy { name } => self.put_role_policy(name).await,
            Step::VerifyRole { name } => self.verify_role(name).await,
        }
    }

    /// The role's planned trust policy.
    fn trust_value(&self) -> Value {
        self.plan
            .answers
            .trust_policy()
            .expect("a role step is planned only with a role")
    }

    /// The role's planned own policy on the setup's keys, once they exist.
    fn role_policy_value(&self) -> Option<Value> {
        let arns: Vec<String> = self.st().keys.values().map(|k| k.arn.clone()).collect();
        self.plan.answers.role_policy(&arns)
    }

    fn role_entry(&self, event: Event, arn: Option<&str>) -> Entry {
        Entry {
            arn: arn.map(str::to_string),
            principal: matches!(event, Event::Created | Event::Adopted)
                .then(|| self.plan.answers.principal.clone()),
            ..Entry::new(&self.setup(), event)
        }
    }

    /// Whether a role that exists is the one this setup makes: byok's tags for this vendor
    /// and alias, and the planned trust policy. The error says why not.
    fn role_is_ours(&self, r: &kms::RoleInfo) -> Result<(), ExecError> {
        let a = &self.plan.answers;
        let taken = |why: String| ExecError::RoleTaken {
            name: r.name.clone(),
            arn: r.arn.clone(),
            why,
        };
        if !crate::role::is_ours(&r.tags, &a.vendor.id, &a.alias) {
            let tag = |k: &str| {
                r.tags
                    .iter()
                    .find(|(tk, _)| tk == k)
                    .map(|(_, v)| v.as_str())
            };
            return Err(taken(
                match (
                    tag(crate::plan::TAG_MANAGED_BY),
                    tag(crate::plan::TAG_ALIAS),
                ) {
                    (Some("byok"), Some(other)) => format!(
                        "made by byok for another setup ({}, not {}): one account holds one such role per vendor",
                        crate::sanitize::line(other),
                        a.alias
                    ),
                    _ => format!(
                        "and byok did not make it for {} ({}): it lacks byok's tags",
                        a.vendor.name, a.alias
                    ),
                },
            ));
        }
        let trust: Value = serde_json::from_str(&r.trust_policy).unwrap_or(Value::Null);
        let diff = crate::role::differences(&trust, &self.trust_value(), None, None);
        if !diff.is_empty() {
            return Err(taken(format!(
                "made by byok for {}, but {}",
                a.vendor.name,
                diff.join("; ")
            )));
        }
        Ok(())
    }

    fn take_role(&self, r: &kms::RoleInfo, created_now: bool) -> Result<(), ExecError> {
        let rec = RoleRecord {
            name: r.name.clone(),
            arn: r.arn.clone(),
            created_now,
        };
        self.emit(Progress::Role { role: rec.clone() });
        self.st().role = Some(rec);
        self.record(self.role_entry(
            if created_now {
                Event::Created
            } else {
                Event::Adopted
            },
            Some(&r.arn),
        ))
    }

    /// Before any change: a role of the planned name is byok's for this setup (adopted) or
    /// the run stops; none is fine.
    async fn check_role(&self, name: &str) -> Result<StepEnd, ExecError> {
        let found = self
            .call("GetRole", false, || self.svc.get_role(name))
            .await?;
        match found {
            None => Ok(StepEnd::Done(Some(format!("{name} does not exist yet")))),
            Some(r) => {
                self.role_is_ours(&r)?;
                // Adopted once the setup's lock is held (FindExisting): noted here.
                self.st().role = Some(RoleRecord {
                    name: r.name.clone(),
                    arn: r.arn.clone(),
                    created_now: false,
                });
                Ok(StepEnd::Done(Some(format!(
                    "found {} (made by byok)",
                    r.arn
                ))))
            }
        }
    }

    async fn create_role(&self, name: &str) -> Result<StepEnd, ExecError> {
        // Looked up again under the setup's lock: another run may have made it meanwhile.
        let found = self
            .call("GetRole", false, || self.svc.get_role(name))
            .await?;
        if let Some(r) = found {
            self.role_is_ours(&r)?;
            self.take_role(&r, false)?;
            return Ok(StepEnd::AlreadyDone(format!("found {}", r.arn)));
        }
        let a = &self.plan.answers;
        let spec = a
            .vendor
            .customer_role
            .as_ref()
            .expect("a role step is planned only with a role");
        let new = kms::NewRole {
            name: name.to_string(),
            trust_policy: policy::to_document(&self.trust_value()),
            description: spec.description.clone(),
            tags: crate::role::tags(&a.vendor.id, &a.alias),
        };
        self.record(self.role_entry(Event::Intent, None))?;
        let mut attempt = 1;
        loop {
            match self.svc.create_role(&new).await {
                Ok(r) => {
                    self.take_role(&r, true)?;
                    return Ok(StepEnd::Done(Some(r.arn)));
                }
                // A lost answer, or another run at the same moment: the role is looked up
                // by its name, never made twice.
                Err(e) if e.is_transient() || matches!(e, KmsError::AlreadyExists { .. }) => {
                    let found = self
                        .call("GetRole", true, || self.svc.get_role(name))
                        .await?;
                    if let Some(r) = found {
                        self.role_is_ours(&r)?;
                        self.take_role(&r, true)?;
                        return Ok(StepEnd::Done(Some(r.arn)));
                    }
                    if attempt >= self.opts.max_attempts {
                        return Err(kms_err("CreateRole")(e));
                    }
                    self.pause_before_retry(attempt, &e).await;
                    attempt += 1;
                }
                Err(e) => return Err(kms_err("CreateRole")(e)),
            }
        }
    }

    /// The name of the role's own (inline) policy, as the profile gives it.
    fn role_policy_name(&self) -> String {
        self.plan
            .answers
            .vendor
            .customer_role
            .as_ref()
            .map(|r| r.policy_name.clone())
            .unwrap_or_default()
    }

    async fn put_role_policy(&self, name: &str) -> Result<StepEnd, ExecError> {
        let policy_name = self.role_policy_name();
        let Some(want) = self.role_policy_value() else {
            return Ok(StepEnd::AlreadyDone(
                "the role needs no policy of its own".into(),
            ));
        };
        let arns: Vec<String> = self.st().keys.values().map(|k| k.arn.clone()).collect();
        let problems = crate::role::lint(&want, &arns);
        if !problems.is_empty() {
            return Err(ExecError::Policy { problems });
        }
        let have = self
            .call("GetRolePolicy", true, || {
                self.svc.get_role_policy(name, &policy_name)
            })
            .await?;
        let have: Option<Value> = have.and_then(|t| serde_json::from_str(&t).ok());
        if have.as_ref().is_some_and(|h| {
            crate::role::differences(&Value::Null, &Value::Null, Some(h), Some(&want)).is_empty()
        }) {
            return Ok(StepEnd::AlreadyDone(format!(
                "{policy_name} grants the key"
            )));
        }
        let doc = policy::to_document(&want);
        self.call("PutRolePolicy", true, || {
            self.svc.put_role_policy(name, &policy_name, &doc)
        })
        .await?;
        Ok(StepEnd::Done(Some(format!(
            "{policy_name}: {} on {}",
            want["Statement"][0]["Action"]
                .as_array()
                .map(|a| a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default(),
            arns.join(", ")
        ))))
    }

    async fn verify_role(&self, name: &str) -> Result<StepEnd, ExecError> {
        let policy_name = self.role_policy_name();
        let want = self.role_policy_value();
        let (role, policy) = futures_util::future::try_join(
            self.call("GetRole", true, || self.svc.get_role(name)),
            async {
                if want.is_some() {
                    self.call("GetRolePolicy", true, || {
                        self.svc.get_role_policy(name, &policy_name)
                    })
                    .await
                } else {
                    Ok(None)
                }
            },
        )
        .await?;
        let arn = self
            .st()
            .role
            .as_ref()
            .map(|r| r.arn.clone())
            .unwrap_or_else(|| name.to_string());
        let Some(role) = role else {
            return Err(ExecError::RoleVerify {
                arn,
                problems: vec!["it does not exist".into()],
            });
        };
        let trust: Value = serde_json::from_str(&role.trust_policy).unwrap_or(Value::Null);
        let policy: Option<Value> = policy.and_then(|t| serde_json::from_str(&t).ok());
        let problems =
            crate::role::differences(&trust, &self.trust_value(), policy.as_ref(), want.as_ref());
        if problems.is_empty() {
            Ok(StepEnd::Done(Some(format!("{} matches", role.arn))))
        } else {
            Err(ExecError::RoleVerify {
                arn: role.arn,
                problems,
            })
        }
    }

    /// Alerts on the keys of this Region: after the keys are verified, so a key whose
    /// alerts cannot be set up still exists and is reported (exit 4, the command re-runs).
    async fn alerts(&self, region: &str, email: &str) -> Result<StepEnd, ExecError> {
        let (account, caller, keys) = {
            let st = self.st();
            let keys: Vec<crate::alerts::AlertKey> = st
                .keys
                .values()
                .filter(|k| k.region == region)
                .map(|k| crate::alerts::AlertKey {
                    region: k.region.clone(),
                    arn: k.arn.clone(),
                    key_id: k.key_id.clone(),
                    aliases: self
                        .plan
                        .slot(&k.region)
                        .map(|s| vec![self.plan.keys[s].alias.clone()])
                        .unwrap_or_default(),
                })
                .collect();
            (
                st.account.clone().expect("identity resolved first"),
                st.caller.clone(),
                keys,
            )
        };
        let partition = caller
            .as_deref()
            .and_then(|c| crate::arn::Arn::parse(c).ok())
            .map(|a| a.partition)
            .unwrap_or_else(|| self.plan.answers.partition().to_string());
        let out = self
            .svc
            .ensure_alerts(&account, &partition, &keys, email, self.journal)
            .await
            .map_err(|error| ExecError::Kms {
                operation: "setting up alerts".into(),
                error,
            })?;
        Ok(StepEnd::Done(Some(out.note(email))))
    }

    async fn resolve_identity(&self) -> Result<StepEnd, ExecError> {
        // The planned aliases are looked up beside the sign-in: they need no account, and
        // the next step then waits for no round trip on a fresh setup.
        let (id, aliases) = tokio::join!(
            self.call("GetCallerIdentity", false, || self.svc.identity()),
            self.lookup_aliases()
        );
        let id = id?;
        self.st().prefetched = aliases.ok();
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
        let problems = policy::lint(&p, &id.account, &a.policy_principal(&id.account));
        if !problems.is_empty() {
            return Err(ExecError::Policy {
                problems: problems.iter().map(|p| p.to_string()).collect(),
            });
        }
        {
            let mut st = self.st();
            st.setup = journal::setup_id(&a.vendor.id, &id.account, &a.region, &a.alias);
            st.policy = Some(p);
            st.account = Some(id.account.clone());
            st.caller = Some(id.arn.clone());
        }
        Ok(StepEnd::Done(Some(format!(
            "{} (account {})",
            id.arn, id.account
        ))))
    }

    /// Every planned alias, looked up at once: the key each names, if any.
    async fn lookup_aliases(&self) -> Result<Vec<Option<KeyInfo>>, ExecError> {
        futures_util::future::try_join_all(self.plan.keys.iter().map(|pk| {
            self.call("DescribeKey", false, || {
                kms::find_alias(self.svc, &pk.region, &pk.alias)
            })
        }))
        .await
    }

    async fn find_existing(&self) -> Result<StepEnd, ExecError> {
        if !self.acquire_lock().await? {
            return Ok(StepEnd::Interrupted);
        }
        // Read once the lock is held: what a run before us on this machine wrote is in it.
        let contents = self.journal.read();
        {
            let setup = self.setup();
            let mut st = self.st();
            st.torn_tail = contents.torn_tail;
            st.entries = contents.for_setup(&setup);
        }
        let mut found = Vec::new();
        if let Some(w) = self.journal.path().and_then(|p| contents.warning(p)) {
            self.emit(Progress::Waiting {
                step: current_step(),
                detail: w,
            });
        }
        let planned = self.plan.keys.clone();
        // The aliases looked up beside the sign-in, unless another run held the setup
        // meanwhile: then they are looked up again.
        let prefetched = {
            let mut st = self.st();
            let p = st.prefetched.take();
            p.filter(|_| !st.lock_waited)
        };
        let by_alias = match prefetched {
            Some(p) => p,
            None => self.lookup_aliases().await?,
        };
        for (slot, (pk, by_alias)) in planned.iter().zip(by_alias).enumerate() {
            let open = if pk.role == KeyRole::Replica {
                vec![]
            } else {
                self.open_intents(slot)
            };
            if let Some(k) = by_alias {
                // The tags this plan gives the key that it lacks (say, `byok:alias` after the
                // user named the key with another alias): set once the key is adopted.
                let mut stale = Vec::new();
                let ours = if pk.role == KeyRole::Replica
                    && self.st().keys.get(&0).is_some_and(|p| p.key_id == k.key_id)
                {
                    true // a replica shares its primary's key ID; its tags may still be missing
                } else {
                    let tags = self
                        .call("ListResourceTags", false, || {
                            self.svc.list_tags(&pk.region, &k.key_id)
                        })
                        .await?;
                    stale = self.missing_tags(slot, &tags);
                    self.is_byok_key(&tags)
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
                if let Some((found, wanted)) = self.kind_mismatch(slot, &k) {
                    return Err(ExecError::WrongKeyKind {
                        alias: pk.alias.clone(),
                        region: pk.region.clone(),
                        key_arn: k.arn,
                        found,
                        wanted,
                    });
                }
                self.adopt(slot, &k, false)?;
                self.st().aliased.insert(slot);
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
                // Keys an interrupted run of this setup made that never held the alias.
                if pk.role != KeyRole::Replica {
                    self.collect_strays(slot, &open, false).await?;
                    self.retire_strays(slot, &k.key_id, &k.arn).await?;
                }
                continue;
            }
            // No alias yet: a key an earlier run made before it stopped?
            let (last_arn, legacy_open) = {
                let st = self.st();
                let mine: Vec<&Entry> = st.entries.iter().filter(|e| is_of(e, pk)).collect();
                let last_arn = mine
                    .iter()
                    .rev()
                    .find(|e| matches!(e.event, Event::Created | Event::Adopted))
                    .and_then(|e| Some((e.arn.clone()?, e.intent.clone())));
                // A journal of an earlier version: an intent with no ID and no outcome.
                let legacy_open = mine
                    .last()
                    .is_some_and(|e| e.event == Event::Intent && e.intent.is_none());
                (last_arn, legacy_open)
            };
            let mut candidate = None;
            if let Some((arn, intent)) = last_arn {
                match self.svc.describe_key(&pk.region, &arn).await {
                    Ok(k) if !pending_deletion(&k.state) => {
                        // Made by an intent of this setup: it is ours to retire if it loses.
                        if let Some(i) = intent {
                            self.st().intents.insert(slot, i);
                        }
                        candidate = Some(k)
                    }
                    Ok(_) | Err(KmsError::NotFound { .. }) => {}
                    Err(e) => return Err(kms_err("DescribeKey")(e)),
                }
            }
            if candidate.is_none() && pk.role == KeyRole::Replica {
                let primary = self.st().keys.get(&0).cloned();
                if let Some(p) = primary {
                    candidate = self.replica_of(&p, &pk.region).await?;
                }
            } else if !open.is_empty() {
                // Wait for a request still on its way only when there is no key to use yet.
                let wait = candidate.is_none();
                let mut keys = self.collect_strays(slot, &open, wait).await?;
                if candidate.is_none() && !keys.is_empty() {
                    let (k, intent) = keys.remove(0);
                    self.st()
                        .strays
                        .retain(|(r, s, _)| !(*r == slot && s.key_id == k.key_id));
                    if let Some(i) = intent {
                        self.st().intents.insert(slot, i);
                    }
                    candidate = Some(k);
                }
            } else if candidate.is_none() && (legacy_open || self.st().torn_tail) {
                let mut seen = BTreeSet::new();
                candidate = self
                    .find_tagged(slot, &[], &mut seen)
                    .await?
                    .into_iter()
                    .map(|(k, _)| k)
                    .find(|k| self.kind_mismatch(slot, k).is_none());
            }
            // A key of the other kind (the regionality changed since) is not this setup's.
            if let Some(k) = candidate.filter(|k| self.kind_mismatch(slot, k).is_none()) {
                self.adopt(slot, &k, false)?;
                found.push(format!("{} key {}", pk.role.as_str(), k.arn));
            }
        }
        Ok(StepEnd::Done(Some(if found.is_empty() {
            "nothing found: starting fresh".to_string()
        } else {
            format!("reusing {}", found.join(", "))
        })))
    }

    /// Whether a key's tags say byok made it for this vendor.
    fn is_byok_key(&self, tags: &[(String, String)]) -> bool {
        let has = |key: &str, v: &str| tags.iter().any(|(tk, tv)| tk == key && tv == v);
        has(plan::TAG_MANAGED_BY, "byok") && has(plan::TAG_VENDOR, &self.plan.answers.vendor.id)
    }

    /// Look for the keys of `open` intents (waiting for a request still on its way when
    /// `wait`), remember them as strays of `role`, and close the intents whose key did not
    /// appear in time. Returns the keys found, of the kind the plan needs first.
    async fn collect_strays(
        &self,
        slot: Slot,
        open: &[(String, Option<i64>)],
        wait: bool,
    ) -> Result<Vec<(KeyInfo, Option<String>)>, ExecError> {
        if open.is_empty() {
            return Ok(vec![]);
        }
        let mut keys = self.find_intent_keys(slot, open, wait).await?;
        let found: BTreeSet<String> = keys.iter().filter_map(|(_, i)| i.clone()).collect();
        let missing: Vec<(String, Option<i64>)> = open
            .iter()
            .filter(|(i, _)| !found.contains(i))
            .cloned()
            .collect();
        self.close_settled(slot, &missing);
        keys.sort_by_key(|(k, _)| self.kind_mismatch(slot, k).is_some());
        for (k, i) in &keys {
            self.st().strays.push((slot, k.clone(), i.clone()));
        }
        Ok(keys)
    }

    /// Whether an existing key cannot serve as `role` because Multi-Region is fixed at
    /// creation: (what it is, what the plan needs).
    fn kind_mismatch(&self, slot: Slot, k: &KeyInfo) -> Option<(String, String)> {
        let wanted = match self.plan.keys[slot].role {
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

    async fn create_key(&self, slot: Slot, multi_region: bool) -> Result<StepEnd, ExecError> {
        let existing = self.st().keys.get(&slot).cloned();
        if let Some(k) = existing {
            return Ok(StepEnd::AlreadyDone(format!("found {}", k.arn)));
        }
        let (role, region) = (
            self.plan.keys[slot].role,
            self.plan.keys[slot].region.as_str(),
        );
        self.begin_intent(slot)?;
        // Each attempt has an intent of its own: a request that lands after its attempt gave
        // up (a slow network) is then recognised by the intent the journal holds open.
        let mut attempts = vec![self.st().intents[&slot].clone()];
        let mut req = self.new_key(slot, multi_region);
        let mut attempt = 1;
        let mut maybe_created = false;
        let started = Instant::now();
        let mut propagation_attempt = 1;
        loop {
            match self.svc.create_key(region, &req).await {
                Ok(k) => {
                    self.adopt(slot, &k, true)?;
                    return Ok(StepEnd::Done(Some(k.arn)));
                }
                // The key policy names the role this run just made, which IAM has not shown
                // KMS yet: KMS made nothing; ask again until IAM has propagated it.
                Err(e @ KmsError::InvalidPrincipal { .. })
                    if self.plan.answers.role.is_some()
                        && started.elapsed() < self.opts.iam_propagation =>
                {
                    let delay = self
                        .backoff(propagation_attempt)
                        .min(self.opts.iam_propagation.saturating_sub(started.elapsed()));
                    self.emit(Progress::Retrying {
                        step: current_step(),
                        attempt: propagation_attempt,
                        reason: format!("waiting for IAM to propagate the new role: {e}"),
                        delay,
                    });
                    tokio::time::sleep(delay).await;
                    propagation_attempt += 1;
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
                    // Look (by every attempt's intent) before creating again, and after the
                    // last attempt too. KMS lists a new key only after a moment: when an
                    // answer may have been lost, a miss is checked once more after a pause.
                    let mut seen = BTreeSet::new();
                    let mut found = self.find_tagged(slot, &attempts, &mut seen).await;
                    if maybe_created && matches!(&found, Ok(v) if v.is_empty()) {
                        tokio::time::sleep(self.opts.poll_max).await;
                        found = self.find_tagged(slot, &attempts, &mut seen).await;
                    }
                    match found.map(|v| v.into_iter().next()) {
                        Ok(Some((k, intent))) => {
                            if let Some(i) = intent {
                                self.st().intents.insert(slot, i);
                            }
                            self.adopt(slot, &k, true)?;
                            return Ok(StepEnd::Done(Some(k.arn)));
                        }
                        Ok(None) => {}
                        Err(e) if maybe_created => return Err(unconfirmed(role, region, e)),
                        Err(e) => return Err(e),
                    }
                    if last {
                        return Err(kms_err("CreateKey")(e));
                    }
                    if maybe_created {
                        self.begin_intent(slot)?;
                        attempts.push(self.st().intents[&slot].clone());
                        req = self.new_key(slot, multi_region);
                    }
                }
                Err(e) => return Err(kms_err("CreateKey")(e)),
            }
        }
    }

    async fn pause_before_retry(&self, attempt: u32, e: &KmsError) {
        let delay = self.backoff(attempt);
        self.emit(Progress::Retrying {
            step: current_step(),
            attempt,
            reason: e.to_string(),
            delay,
        });
        tokio::time::sleep(delay).await;
    }

    async fn create_alias(&self, slot: Slot, alias: &str) -> Result<StepEnd, ExecError> {
        if self.st().aliased.contains(&slot) {
            return Ok(StepEnd::AlreadyDone(format!("{alias} names the key")));
        }
        let (role, region) = (
            self.plan.keys[slot].role,
            self.plan.keys[slot].region.as_str(),
        );
        let key_id = self.key(slot).key_id.clone();
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
                    Some(k) => return self.lost_alias_race(slot, alias, k).await,
                    None => {
                        return Err(kms_err("CreateAlias")(KmsError::AlreadyExists {
                            message: alias.into(),
                        }));
                    }
                }
            }
            Err(e) => return Err(e),
        };
        self.st().aliased.insert(slot);
        let rec = self.key(slot).clone();
        let mut e = self.entry(Event::Aliased, Some(slot), Some(&rec.arn));
        e.intent = self.st().intents.get(&slot).cloned();
        self.record(e)?;
        if role != KeyRole::Replica {
            self.retire_strays(slot, &rec.key_id, &rec.arn).await?;
        }
        Ok(end)
    }

    /// Another key came to hold the alias after this run made its key: another run of the
    /// same setup won the race. When that key is byok's for this vendor and ours is a bare
    /// key this run's intent made, ours is retired and theirs adopted, and the run goes on.
    /// Otherwise the run stops, naming our key.
    async fn lost_alias_race(
        &self,
        slot: Slot,
        alias: &str,
        winner: KeyInfo,
    ) -> Result<StepEnd, ExecError> {
        let (role, region) = (
            self.plan.keys[slot].role,
            self.plan.keys[slot].region.as_str(),
        );
        let ours = self.key(slot).clone();
        let taken = || ExecError::AliasTakenAfterCreate {
            alias: alias.into(),
            region: region.into(),
            key_arn: winner.arn.clone(),
            ours: ours.arn.clone(),
        };
        // Made by an intent of this setup (this run's, or an interrupted run's it adopted),
        // and never named by the alias.
        let made_here = {
            let st = self.st();
            st.intents.contains_key(&slot)
                && !st
                    .entries
                    .iter()
                    .any(|e| e.event == Event::Aliased && e.arn.as_deref() == Some(&ours.arn))
        };
        if role == KeyRole::Replica || !made_here {
            return Err(taken());
        }
        let tags = self
            .call("ListResourceTags", true, || {
                self.svc.list_tags(region, &winner.key_id)
            })
            .await?;
        if !self.is_byok_key(&tags)
            || pending_deletion(&winner.state)
            || self.kind_mismatch(slot, &winner).is_some()
        {
            return Err(taken());
        }
        let mine = self
            .call("DescribeKey", true, || {
                self.svc.describe_key(region, &ours.key_id)
            })
            .await?;
        let intent = self.st().intents.get(&slot).cloned();
        self.retire(slot, &mine, intent, &winner.arn).await;
        // The winner's key is the setup's from here on: what follows makes sure of it.
        self.st().intents.remove(&slot);
        self.adopt(slot, &winner, false)?;
        self.st().aliased.insert(slot);
        Ok(StepEnd::Done(Some(format!(
            "another byok run named {} first: using it, and yours was retired",
            winner.arn
        ))))
    }

    async fn enable_rotation(&self, slot: Slot, days: u32) -> Result<StepEnd, ExecError> {
        let region = self.plan.keys[slot].region.as_str();
        let rec = self.key(slot);
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

    async fn replicate(&self, from: &str, slot: Slot) -> Result<StepEnd, ExecError> {
        let existing = self.st().keys.get(&slot).cloned();
        if let Some(k) = existing {
            return Ok(StepEnd::AlreadyDone(format!("found {}", k.arn)));
        }
        let region = self.plan.keys[slot].region.as_str();
        let primary = self.key(0).clone();
        // A primary made by this run has no replica yet; for an older one, look first.
        // (Should one exist after all, ReplicateKey says so and it is adopted below.)
        if !primary.created_now
            && let Some(k) = self.replica_of(&primary, region).await?
        {
            self.adopt(slot, &k, false)?;
            return Ok(StepEnd::AlreadyDone(format!("found {}", k.arn)));
        }
        self.begin_intent(slot)?;
        let req = self.new_key(slot, true);
        let mut attempt = 1;
        let mut maybe_created = false;
        loop {
            match self
                .svc
                .replicate_key(from, &primary.key_id, region, &req)
                .await
            {
                Ok(k) => {
                    self.adopt(slot, &k, true)?;
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
                            self.adopt(slot, &k, true)?;
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
                        self.adopt(slot, &k, true)?;
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

    async fn wait_enabled(&self, slot: Slot) -> Result<StepEnd, ExecError> {
        let region = self.plan.keys[slot].region.as_str();
        let key_id = self.key(slot).key_id.clone();
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
                    step: current_step(),
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

    /// The tags the plan gives `slot`'s key that `have` lacks (or holds with another value).
    fn missing_tags(&self, slot: Slot, have: &[(String, String)]) -> Vec<(String, String)> {
        self.plan
            .tags_for(self.plan.keys[slot].role)
            .into_iter()
            .filter(|t| !have.contains(t))
            .collect()
    }

    async fn ensure_tags(&self, slot: Slot) -> Result<StepEnd, ExecError> {
        let (role, region) = (
            self.plan.keys[slot].role,
            self.plan.keys[slot].region.as_str(),
        );
        let rec = self.key(slot);
        let key_id = rec.key_id.clone();
        if rec.created_now {
            // Made by this run with these tags; some services drop a replica's tags, and
            // setting them again is harmless: one round trip instead of a read and a write.
            let tags = self.plan.tags_for(role);
            self.call("TagResource", true, || {
                self.svc.tag_key(region, &key_id, &tags)
            })
            .await?;
            return Ok(StepEnd::Done(Some(format!("{} tags set", tags.len()))));
        }
        let have = self
            .call("ListResourceTags", true, || {
                self.svc.list_tags(region, &key_id)
            })
            .await?;
        let missing = self.missing_tags(slot, &have);
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
    async fn verify(&self) -> Result<StepEnd, ExecError> {
        let expected = self.policy_value();
        let per_key = futures_util::future::try_join_all(
            self.plan
                .keys
                .iter()
                .enumerate()
                .map(|(slot, pk)| self.verify_key(slot, pk, &expected)),
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
        slot: Slot,
        pk: &plan::PlannedKey,
        expected: &Value,
    ) -> Result<Vec<String>, ExecError> {
        let a = &self.plan.answers;
        let rec = self.key(slot);
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
            // A vendor that names its principal after registration: `byok grant` has added
            // its statements since; the rest is byok's.
            Ok(p)
                if a.vendor.principal.kind.given_later()
                    && without_vendor_statements(&a.vendor, &p) == *expected => {}
            _ => problems.push(format!("{name} has a different key policy than byok's")),
        }
        if let Some((tk, tv)) = self.missing_tags(slot, &tags).into_iter().next() {
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

/// A policy without the vendor's statements (by Sid).
pub fn without_vendor_statements(vendor: &crate::vendor::VendorProfile, policy: &Value) -> Value {
    let mut out = policy.clone();
    if let Some(list) = out.get_mut("Statement").and_then(Value::as_array_mut) {
        list.retain(|s| {
            let sid = s.get("Sid").and_then(Value::as_str).unwrap_or_default();
            !vendor.statements.iter().any(|v| v.sid == sid)
        });
    }
    out
}

#[cfg(test)]
mod tests;
