//! The executor against the simulator, with faults injected by [`FlakyKms`]: idempotency
//! of every step, lost answers, retries, refusals, cancellation and verification.

use super::*;
use crate::answers::RawAnswers;
use crate::kms::KeyService;
use crate::kms::flaky::FlakyKms;
use crate::kms::sim::{DEMO_ACCOUNT, SimKms, SimOptions};
use crate::vendor::Catalog;
use std::path::PathBuf;

const ROLE: &str = "arn:aws:iam::210987654321:role/camunda-tenant";
const ALIAS: &str = "alias/camunda-saas-byok";
const ALIAS2: &str = "alias/camunda-saas-byok-replica";
const R1: &str = "eu-west-1";
const R2: &str = "eu-west-2";

/// Operations that change the account.
const MUTATING: &[&str] = &[
    "CreateKey",
    "ReplicateKey",
    "CreateAlias",
    "TagResource",
    "PutKeyPolicy",
    "EnableKeyRotation",
];

fn plan_with(regionality: &str, f: impl FnOnce(&mut RawAnswers)) -> Plan {
    let mut raw = RawAnswers {
        vendor: Some("camunda".into()),
        principal: Some(ROLE.into()),
        regionality: Some(regionality.into()),
        ..Default::default()
    };
    f(&mut raw);
    Plan::build(&raw.validate(&Catalog::built_in()).unwrap())
}

fn plan_for(regionality: &str) -> Plan {
    plan_with(regionality, |_| {})
}

/// Backoffs and polls in milliseconds: every test is instant.
fn fast() -> ExecOptions {
    ExecOptions {
        max_attempts: 4,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(2),
        poll_first: Duration::from_millis(1),
        poll_max: Duration::from_millis(5),
        poll_timeout: Duration::from_secs(2),
        lock_timeout: Duration::from_secs(5),
        intent_settle: Duration::from_millis(200),
        cancel_grace: Duration::from_secs(5),
        iam_propagation: Duration::from_secs(2),
    }
}

fn sim() -> SimKms {
    SimKms::new(SimOptions::instant())
}

/// A journal in a fresh directory, removed on drop.
struct TempJournal {
    dir: PathBuf,
    journal: Journal,
}

impl TempJournal {
    fn new() -> TempJournal {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("byok-exec-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let journal = Journal::open(&dir).unwrap();
        TempJournal { dir, journal }
    }
}

impl Drop for TempJournal {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn go_with<S: KeyService>(
    svc: &S,
    plan: &Plan,
    journal: &Journal,
    cancel: &watch::Receiver<bool>,
    opts: &ExecOptions,
) -> (RunReport, Vec<Progress>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let report = run(svc, plan, journal, &tx, cancel, opts).await;
    drop(tx);
    let mut events = Vec::new();
    while let Ok(p) = rx.try_recv() {
        events.push(p);
    }
    (report, events)
}

async fn go<S: KeyService>(svc: &S, plan: &Plan, journal: &Journal) -> (RunReport, Vec<Progress>) {
    let (_tx, cancel) = watch::channel(false);
    go_with(svc, plan, journal, &cancel, &fast()).await
}

fn step_of(plan: &Plan, pred: impl Fn(&Step) -> bool) -> usize {
    plan.steps.iter().position(pred).expect("step in plan")
}

fn notes(events: &[Progress]) -> BTreeMap<usize, String> {
    events
        .iter()
        .filter_map(|p| match p {
            Progress::Done { step, note, .. } => Some((*step, note.clone().unwrap_or_default())),
            _ => None,
        })
        .collect()
}

fn retries(events: &[Progress]) -> Vec<(usize, u32)> {
    events
        .iter()
        .filter_map(|p| match p {
            Progress::Retrying { step, attempt, .. } => Some((*step, *attempt)),
            _ => None,
        })
        .collect()
}

fn failed_kms(report: &RunReport) -> Option<&KmsError> {
    match &report.outcome {
        Outcome::Failed {
            error: ExecError::Kms { error, .. },
            ..
        } => Some(error),
        _ => None,
    }
}

async fn keys_in(sim: &SimKms, region: &str) -> usize {
    sim.list_keys(region).await.unwrap().len()
}

fn throttled() -> KmsError {
    KmsError::Throttled {
        message: "Rate exceeded".into(),
    }
}

fn denied(op: &str) -> KmsError {
    KmsError::AccessDenied {
        operation: op.into(),
        message: "not authorized".into(),
    }
}

#[tokio::test]
async fn every_regionality_completes_and_a_rerun_changes_nothing() {
    for (regionality, keys, second) in [
        ("single", 1, None),
        ("multi-region", 2, Some(KeyRole::Replica)),
        ("two-keys", 2, Some(KeyRole::Secondary)),
    ] {
        let plan = plan_for(regionality);
        let sim = sim();
        let j = TempJournal::new();
        let (first, _) = go(&sim, &plan, &j.journal).await;
        assert_eq!(first.outcome, Outcome::Completed, "{regionality}");
        assert_eq!(first.exit_code(), exit::OK);
        assert_eq!(first.keys.len(), keys, "{regionality}");
        assert!(first.keys.iter().all(|k| k.created_now));
        assert_eq!(first.done_steps.len(), plan.steps.len());
        assert_eq!(first.account.as_deref(), Some(DEMO_ACCOUNT));

        // What the service holds, key by key.
        let expected_policy = first.policy.clone().unwrap();
        for pk in &plan.keys {
            let rec = first.key(pk.role).unwrap();
            assert_eq!(rec.alias.as_deref(), Some(pk.alias.as_str()));
            let by_alias = sim.describe_key(&pk.region, &pk.alias).await.unwrap();
            assert_eq!(by_alias.arn, rec.arn, "{regionality} {pk:?}");
            let p: Value =
                serde_json::from_str(&sim.get_policy(&pk.region, &rec.key_id).await.unwrap())
                    .unwrap();
            assert_eq!(p, expected_policy);
            let tags = sim.list_tags(&pk.region, &rec.key_id).await.unwrap();
            for t in plan.tags_for(pk.role) {
                assert!(
                    tags.contains(&t),
                    "{regionality}: {t:?} missing from {tags:?}"
                );
            }
            if pk.role != KeyRole::Replica {
                let rot = sim.rotation(&pk.region, &rec.key_id).await.unwrap();
                assert!(rot.enabled);
                assert_eq!(rot.period_days, Some(365));
            }
        }
        if let Some(role) = second {
            assert_eq!(keys_in(&sim, R2).await, 1);
            let k = first.key(role).unwrap();
            assert_eq!(k.region, R2);
            let same_id = k.key_id == first.key(KeyRole::Primary).unwrap().key_id;
            assert_eq!(
                same_id,
                role == KeyRole::Replica,
                "a replica shares its key ID"
            );
        }
        assert_eq!(keys_in(&sim, R1).await, 1);

        // The same answers again: everything is found, nothing is changed.
        let again = FlakyKms::new(sim.clone());
        let (second_run, events) = go(&again, &plan, &j.journal).await;
        assert_eq!(second_run.outcome, Outcome::Completed, "{regionality}");
        for op in MUTATING {
            assert_eq!(again.calls(op), 0, "{regionality}: re-run called {op}");
        }
        let arns = |r: &RunReport| r.keys.iter().map(|k| k.arn.clone()).collect::<Vec<_>>();
        assert_eq!(arns(&second_run), arns(&first));
        assert!(second_run.keys.iter().all(|k| !k.created_now));
        let notes = notes(&events);
        for (i, s) in plan.steps.iter().enumerate() {
            if s.mutates() {
                assert!(
                    notes[&i].starts_with("already done"),
                    "{regionality}: step {i} {s:?}: {:?}",
                    notes[&i]
                );
            }
        }
    }
}

/// Stop a run at each change it makes, then run again: the second run does exactly what
/// the first left undone, and no key is ever made twice.
#[tokio::test]
async fn a_run_stopped_at_any_change_is_finished_by_the_next() {
    for regionality in ["multi-region", "two-keys", "single"] {
        let plan = plan_for(regionality);
        let clean = FlakyKms::new(sim());
        let (r, _) = go(&clean, &plan, &TempJournal::new().journal).await;
        assert_eq!(r.outcome, Outcome::Completed);
        let faults: Vec<(&str, u32)> = MUTATING
            .iter()
            .flat_map(|op| (1..=clean.calls(op)).map(move |n| (*op, n)))
            .collect();
        assert!(faults.len() >= 3, "{regionality}: {faults:?}");
        for (op, nth) in faults {
            let ctx = format!("{regionality}, {op} call {nth} refused");
            let sim = sim();
            let j = TempJournal::new();
            let first = FlakyKms::new(sim.clone());
            first.fail(op, nth, denied(op));
            let (r1, ev1) = go(&first, &plan, &j.journal).await;
            assert_eq!(failed_kms(&r1), Some(&denied(op)), "{ctx}");
            assert!(
                retries(&ev1).is_empty(),
                "{ctx}: access denied is not retried"
            );
            let expected_code = if r1.keys.is_empty() {
                exit::AWS_REFUSED
            } else {
                exit::PARTLY_DONE
            };
            assert_eq!(r1.exit_code(), expected_code, "{ctx}");
            // Two keys are created side by side: the other one may exist when one is refused.
            if regionality != "two-keys" {
                assert_eq!(r1.keys.is_empty(), (op, nth) == ("CreateKey", 1), "{ctx}");
            }

            let second = FlakyKms::new(sim.clone());
            let (r2, _) = go(&second, &plan, &j.journal).await;
            assert_eq!(r2.outcome, Outcome::Completed, "{ctx}");
            assert_eq!(keys_in(&sim, R1).await, 1, "{ctx}");
            if regionality != "single" {
                assert_eq!(keys_in(&sim, R2).await, 1, "{ctx}");
            }
            for o in MUTATING {
                let refused = u32::from(*o == op);
                let both = first.calls(o) - refused + second.calls(o);
                if *o == "TagResource" {
                    // A replica made now is tagged without a read; one found again is read
                    // first, and tagged only if it lacks a tag.
                    assert!(both <= clean.calls(o), "{ctx}: {o} calls across both runs");
                } else {
                    assert_eq!(both, clean.calls(o), "{ctx}: {o} calls across both runs");
                }
            }
            // Keys from the first run keep their ARNs.
            for k in &r1.keys {
                assert_eq!(r2.key(k.role).map(|x| &x.arn), Some(&k.arn), "{ctx}");
            }
        }
    }
}

#[tokio::test]
async fn a_lost_create_key_answer_adopts_the_key_instead_of_making_another() {
    let plan = plan_for("two-keys");
    let sim = sim();
    let j = TempJournal::new();
    let kms = FlakyKms::new(sim.clone());
    let reset = KmsError::Network {
        message: "connection reset by peer".into(),
    };
    kms.lose_answer("CreateKey", 1, reset.clone())
        .lose_answer("CreateKey", 2, reset);
    let (r, events) = go(&kms, &plan, &j.journal).await;
    assert_eq!(r.outcome, Outcome::Completed);
    assert_eq!(kms.calls("CreateKey"), 2, "never a second CreateKey");
    assert_eq!(keys_in(&sim, R1).await, 1);
    assert_eq!(keys_in(&sim, R2).await, 1);
    assert!(r.keys.iter().all(|k| k.created_now));
    let create = step_of(&plan, |s| matches!(s, Step::CreateKey { .. }));
    assert!(retries(&events).contains(&(create, 1)), "{events:?}");
    // The journal says what happened: an intent, then the key.
    let entries = j.journal.entries();
    let primary: Vec<Event> = entries
        .iter()
        .filter(|e| e.role == Some(KeyRole::Primary))
        .map(|e| e.event)
        .collect();
    assert_eq!(primary, [Event::Intent, Event::Created, Event::Aliased]);
    // One intent, and the key carries its ID.
    let intents: BTreeSet<&str> = entries
        .iter()
        .filter(|e| e.role == Some(KeyRole::Primary))
        .filter_map(|e| e.intent.as_deref())
        .collect();
    assert_eq!(intents.len(), 1, "{entries:?}");
    let tags = sim.list_tags(R1, &r.keys[0].key_id).await.unwrap();
    assert!(tags.contains(&(
        plan::TAG_INTENT.to_string(),
        intents.first().unwrap().to_string()
    )));
    assert_eq!(
        entries.last().map(|e| e.event),
        Some(Event::Completed),
        "{entries:?}"
    );
}

#[tokio::test]
async fn a_lost_replicate_key_answer_adopts_the_replica() {
    let plan = plan_for("multi-region");
    let sim = sim();
    let kms = FlakyKms::new(sim.clone());
    kms.lose_answer(
        "ReplicateKey",
        1,
        KmsError::Service {
            code: "HTTP 503".into(),
            message: "Service Unavailable".into(),
        },
    );
    let (r, events) = go(&kms, &plan, &Journal::disabled()).await;
    assert_eq!(r.outcome, Outcome::Completed);
    assert_eq!(kms.calls("ReplicateKey"), 1);
    assert_eq!(keys_in(&sim, R2).await, 1);
    let rep = r.key(KeyRole::Replica).unwrap();
    assert!(rep.created_now);
    assert_eq!(rep.key_id, r.key(KeyRole::Primary).unwrap().key_id);
    let step = step_of(&plan, |s| matches!(s, Step::ReplicateKey { .. }));
    assert!(retries(&events).contains(&(step, 1)));
}

#[tokio::test]
async fn a_throttled_create_key_that_did_nothing_is_sent_again_once() {
    let plan = plan_for("single");
    let sim = sim();
    let kms = FlakyKms::new(sim.clone());
    kms.fail("CreateKey", 1, throttled());
    let (r, _) = go(&kms, &plan, &Journal::disabled()).await;
    assert_eq!(r.outcome, Outcome::Completed);
    assert_eq!(kms.calls("CreateKey"), 2);
    assert!(
        kms.calls("ListKeys") >= 1,
        "looked for the key before sending again"
    );
    assert_eq!(keys_in(&sim, R1).await, 1);
}

/// Killed right after CreateKey reached KMS: the journal holds only the intent. The next
/// run finds the key by its byok tags; a byok key of another alias is left alone.
#[tokio::test]
async fn a_run_killed_after_create_key_is_resumed_from_the_journal_intent() {
    let plan = plan_for("single");
    let sim = sim();
    let j = TempJournal::new();
    let setup = journal::setup_id("camunda", DEMO_ACCOUNT, R1, ALIAS);
    j.journal
        .record(&Entry {
            time: journal::now_rfc3339(),
            setup: setup.clone(),
            event: Event::Intent,
            role: Some(KeyRole::Primary),
            region: Some(R1.into()),
            arn: None,
            alias: Some(ALIAS.into()),
            intent: None,
            duplicate_of: None,
            principal: None,
        })
        .unwrap();
    let document = policy::to_document(&policy::build(&plan.answers, DEMO_ACCOUNT));
    // Another setup's key, tagged by byok for a different alias.
    let other_tags: Vec<(String, String)> = plan
        .tags_for(KeyRole::Primary)
        .into_iter()
        .map(|(k, v)| {
            if k == plan::TAG_ALIAS {
                (k, "alias/something-else".to_string())
            } else {
                (k, v)
            }
        })
        .collect();
    let other = sim
        .create_key(
            R1,
            &NewKey {
                policy: document.clone(),
                description: plan.answers.description.clone(),
                tags: other_tags,
                multi_region: false,
            },
        )
        .await
        .unwrap();
    let orphan = sim
        .create_key(
            R1,
            &NewKey {
                policy: document,
                description: plan.answers.description.clone(),
                tags: plan.tags_for(KeyRole::Primary),
                multi_region: false,
            },
        )
        .await
        .unwrap();
    let kms = FlakyKms::new(sim.clone());
    let (r, events) = go(&kms, &plan, &j.journal).await;
    assert_eq!(r.outcome, Outcome::Completed);
    assert_eq!(kms.calls("CreateKey"), 0);
    let k = r.key(KeyRole::Primary).unwrap();
    assert_eq!(k.arn, orphan.arn);
    assert_ne!(k.arn, other.arn);
    assert!(!k.created_now);
    assert_eq!(
        sim.describe_key(R1, ALIAS).await.unwrap().key_id,
        orphan.key_id
    );
    assert_eq!(keys_in(&sim, R1).await, 2);
    let find = step_of(&plan, |s| *s == Step::FindExisting);
    assert!(notes(&events)[&find].contains(&orphan.arn), "{events:?}");
    assert!(
        j.journal
            .entries_for(&setup)
            .iter()
            .any(|e| e.event == Event::Adopted && e.arn.as_deref() == Some(&orphan.arn))
    );
}

#[tokio::test]
async fn throttling_is_retried_with_progress_then_succeeds() {
    let plan = plan_for("single");
    let kms = FlakyKms::new(sim());
    kms.fail_times("CreateAlias", 1, 2, throttled())
        .fail("GetCallerIdentity", 1, throttled());
    let (r, events) = go(&kms, &plan, &Journal::disabled()).await;
    assert_eq!(r.outcome, Outcome::Completed);
    assert_eq!(kms.calls("CreateAlias"), 3);
    let alias = step_of(&plan, |s| matches!(s, Step::CreateAlias { .. }));
    assert_eq!(retries(&events), [(0, 1), (alias, 1), (alias, 2)]);
    let delays: Vec<Duration> = events
        .iter()
        .filter_map(|p| match p {
            Progress::Retrying {
                step,
                delay,
                reason,
                ..
            } if *step == alias => {
                assert!(reason.contains("throttling"), "{reason}");
                Some(*delay)
            }
            _ => None,
        })
        .collect();
    assert!(delays[0] <= delays[1], "backoff grows: {delays:?}");
}

#[tokio::test]
async fn retries_run_out_and_the_report_says_what_exists() {
    let plan = plan_for("single");
    let kms = FlakyKms::new(sim());
    kms.fail_from("EnableKeyRotation", 1, throttled());
    let (r, events) = go(&kms, &plan, &Journal::disabled()).await;
    let rot = step_of(&plan, |s| matches!(s, Step::EnableRotation { .. }));
    assert_eq!(
        r.outcome,
        Outcome::Failed {
            step: rot,
            error: ExecError::Kms {
                operation: "EnableKeyRotation".into(),
                error: throttled()
            }
        }
    );
    assert_eq!(kms.calls("EnableKeyRotation"), fast().max_attempts);
    assert_eq!(retries(&events).len() as u32, fast().max_attempts - 1);
    assert_eq!(r.exit_code(), exit::PARTLY_DONE);
    let k = r.key(KeyRole::Primary).unwrap();
    assert_eq!(k.alias.as_deref(), Some(ALIAS), "the alias step finished");
    assert!(r.done_steps.iter().all(|s| *s < rot));
}

#[tokio::test]
async fn access_denied_fails_at_once_with_exit_3_when_nothing_exists() {
    let plan = plan_for("single");
    let sim = sim();
    let kms = FlakyKms::new(sim.clone());
    kms.fail_from("CreateKey", 1, denied("CreateKey"));
    let (r, events) = go(&kms, &plan, &Journal::disabled()).await;
    assert_eq!(failed_kms(&r), Some(&denied("CreateKey")));
    assert_eq!(kms.calls("CreateKey"), 1);
    assert!(retries(&events).is_empty());
    assert!(r.keys.is_empty());
    assert_eq!(r.exit_code(), exit::AWS_REFUSED);
    assert_eq!(keys_in(&sim, R1).await, 0);
    let Outcome::Failed { error, .. } = &r.outcome else {
        unreachable!()
    };
    assert!(error.explain(None, "").contains("kms:CreateKey"));
}

#[tokio::test]
async fn access_denied_after_a_key_exists_is_exit_4() {
    let plan = plan_for("single");
    let kms = FlakyKms::new(sim());
    kms.fail_from("CreateAlias", 1, denied("CreateAlias"));
    let (r, events) = go(&kms, &plan, &Journal::disabled()).await;
    assert_eq!(failed_kms(&r), Some(&denied("CreateAlias")));
    assert_eq!(kms.calls("CreateAlias"), 1);
    assert!(retries(&events).is_empty());
    assert_eq!(r.exit_code(), exit::PARTLY_DONE);
    let k = r.key(KeyRole::Primary).unwrap();
    assert!(k.created_now);
    assert_eq!(k.alias, None, "the alias was not made");
}

#[tokio::test]
async fn cancel_between_steps_stops_before_the_next_change() {
    let plan = plan_for("single");
    let sim = sim();
    let j = TempJournal::new();
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let kms = FlakyKms::new(sim.clone());
    kms.after("CreateKey", 1, move || {
        let _ = cancel_tx.send(true);
    });
    let (r, _) = go_with(&kms, &plan, &j.journal, &cancel_rx, &fast()).await;
    let alias = step_of(&plan, |s| matches!(s, Step::CreateAlias { .. }));
    assert_eq!(r.outcome, Outcome::Interrupted { step: alias });
    assert_eq!(r.exit_code(), exit::INTERRUPTED);
    assert_eq!(kms.calls("CreateAlias"), 0);
    assert!(r.key(KeyRole::Primary).unwrap().created_now);

    // The next run takes the key the interrupted one made.
    let (r2, _) = go(&sim, &plan, &j.journal).await;
    assert_eq!(r2.outcome, Outcome::Completed);
    assert_eq!(r2.keys[0].arn, r.keys[0].arn);
    assert_eq!(keys_in(&sim, R1).await, 1);
}

#[tokio::test]
async fn cancel_before_the_first_step_calls_nothing() {
    let plan = plan_for("single");
    let kms = FlakyKms::new(sim());
    let (_tx, cancel) = watch::channel(true);
    let (r, _) = go_with(&kms, &plan, &Journal::disabled(), &cancel, &fast()).await;
    assert_eq!(r.outcome, Outcome::Interrupted { step: 0 });
    assert_eq!(r.exit_code(), exit::INTERRUPTED);
    assert_eq!(kms.calls("GetCallerIdentity"), 0);
}

#[tokio::test]
async fn cancel_while_waiting_for_the_replica_is_an_interruption() {
    let plan = plan_for("multi-region");
    let sim = SimKms::new(SimOptions {
        latency: Duration::ZERO,
        replica_creating: Duration::from_secs(60),
    });
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let opts = ExecOptions {
        poll_timeout: Duration::from_secs(120),
        ..fast()
    };
    let t0 = Instant::now();
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = cancel_tx.send(true);
    });
    let (r, events) = go_with(&sim, &plan, &Journal::disabled(), &cancel_rx, &opts).await;
    stopper.await.unwrap();
    let wait = step_of(&plan, |s| matches!(s, Step::WaitEnabled { .. }));
    assert_eq!(r.outcome, Outcome::Interrupted { step: wait });
    assert_eq!(r.exit_code(), exit::INTERRUPTED);
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert!(events.contains(&Progress::Waiting {
        step: wait,
        detail: "replica is Creating".into()
    }));
    assert_eq!(r.keys.len(), 2, "both keys reported");
}

#[tokio::test]
async fn the_replica_is_polled_until_enabled() {
    let plan = plan_for("multi-region");
    let sim = SimKms::new(SimOptions {
        latency: Duration::ZERO,
        replica_creating: Duration::from_millis(40),
    });
    let (r, events) = go(&sim, &plan, &Journal::disabled()).await;
    assert_eq!(r.outcome, Outcome::Completed);
    let wait = step_of(&plan, |s| matches!(s, Step::WaitEnabled { .. }));
    assert!(events.contains(&Progress::Waiting {
        step: wait,
        detail: "replica is Creating".into()
    }));
    assert!(notes(&events)[&wait].starts_with("Enabled after"));
    // Rotation is set on the primary only, before replicating: the replica shares it.
    let calls = sim.calls();
    assert!(!calls.contains(&format!("EnableKeyRotation {R2}")));
}

#[tokio::test]
async fn the_replica_that_never_becomes_enabled_times_out() {
    let plan = plan_for("multi-region");
    let sim = SimKms::new(SimOptions {
        latency: Duration::ZERO,
        replica_creating: Duration::from_secs(60),
    });
    let opts = ExecOptions {
        poll_timeout: Duration::from_millis(30),
        ..fast()
    };
    // A caller that cannot cancel (its sender is gone) still gets a paced poll.
    let (tx, cancel) = watch::channel(false);
    drop(tx);
    let kms = FlakyKms::new(sim.clone());
    let (r, _) = go_with(&kms, &plan, &Journal::disabled(), &cancel, &opts).await;
    assert!(
        kms.calls("DescribeKey") < 60,
        "{}",
        kms.calls("DescribeKey")
    );
    assert!(
        matches!(&r.outcome, Outcome::Failed { error: ExecError::ReplicaTimeout { region, state, .. }, .. } if region == R2 && state == "Creating"),
        "{:?}",
        r.outcome
    );
    assert_eq!(r.exit_code(), exit::PARTLY_DONE);
}

#[tokio::test]
async fn an_alias_naming_a_key_byok_did_not_make_stops_before_any_change() {
    for (regionality, region, alias) in [("single", R1, ALIAS), ("two-keys", R2, ALIAS2)] {
        let plan = plan_for(regionality);
        let sim = sim();
        let foreign = sim.insert_foreign_key(region, alias);
        let kms = FlakyKms::new(sim.clone());
        let (r, _) = go(&kms, &plan, &Journal::disabled()).await;
        match &r.outcome {
            Outcome::Failed {
                error:
                    ExecError::AliasTaken {
                        alias: a,
                        region: rg,
                        key_arn,
                    },
                ..
            } => {
                assert_eq!((a.as_str(), rg.as_str()), (alias, region));
                assert!(key_arn.ends_with(&foreign));
            }
            o => panic!("{regionality}: {o:?}"),
        }
        assert_eq!(r.exit_code(), exit::INVALID_INPUT);
        for op in MUTATING {
            assert_eq!(kms.calls(op), 0, "{regionality}: {op}");
        }
        assert!(r.keys.is_empty());
    }
}

#[tokio::test]
async fn a_key_pending_deletion_behind_the_alias_is_not_reused() {
    let plan = plan_for("single");
    let sim = sim();
    let (r, _) = go(&sim, &plan, &Journal::disabled()).await;
    let key = r.keys[0].clone();
    sim.schedule_deletion(R1, &key.key_id, 7).await.unwrap();
    let kms = FlakyKms::new(sim.clone());
    let (r2, _) = go(&kms, &plan, &Journal::disabled()).await;
    match &r2.outcome {
        Outcome::Failed {
            error: e @ ExecError::PendingDeletion { arn, date, .. },
            ..
        } => {
            assert_eq!(arn, &key.arn);
            assert!(date.is_some());
            assert!(e.explain(None, "").contains("Cancel the deletion"));
        }
        o => panic!("{o:?}"),
    }
    assert_ne!(r2.exit_code(), exit::OK);
    for op in MUTATING {
        assert_eq!(kms.calls(op), 0, "{op}");
    }
}

#[tokio::test]
async fn verify_detects_a_changed_policy_and_does_not_overwrite_it() {
    let plan = plan_for("multi-region");
    let sim = sim();
    let (r, _) = go(&sim, &plan, &Journal::disabled()).await;
    assert_eq!(r.outcome, Outcome::Completed);
    let replica = r.key(KeyRole::Replica).unwrap();
    let mut changed = r.policy.clone().unwrap();
    changed["Statement"].as_array_mut().unwrap().truncate(2);
    sim.put_policy(R2, &replica.key_id, &changed.to_string())
        .await
        .unwrap();
    let kms = FlakyKms::new(sim.clone());
    let (r2, _) = go(&kms, &plan, &Journal::disabled()).await;
    match &r2.outcome {
        Outcome::Failed {
            error: ExecError::Verify { problems },
            step,
        } => {
            assert_eq!(*step, plan.steps.len() - 1);
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains("different key policy"), "{problems:?}");
            assert!(problems[0].contains(&replica.arn), "{problems:?}");
        }
        o => panic!("{o:?}"),
    }
    assert_eq!(r2.exit_code(), exit::PARTLY_DONE);
    assert_eq!(kms.calls("PutKeyPolicy"), 0);
}

#[tokio::test]
async fn verify_detects_a_disabled_key_and_rotation_turned_off() {
    let plan = plan_for("single");
    let sim = sim();
    let (r, _) = go(&sim, &plan, &Journal::disabled()).await;
    let id = r.keys[0].key_id.clone();
    sim.disable_rotation(R1, &id).await.unwrap();
    sim.disable_key(R1, &id).await.unwrap();
    let (r2, _) = go(&sim, &plan, &Journal::disabled()).await;
    // Rotation cannot be turned back on while the key is disabled: that step fails first.
    let Outcome::Failed { error, .. } = &r2.outcome else {
        panic!("{:?}", r2.outcome)
    };
    assert!(
        matches!(
            error,
            ExecError::Kms {
                error: KmsError::InvalidState { .. },
                ..
            }
        ),
        "{error:?}"
    );
    sim.enable_key(R1, &id).await.unwrap();
    let (r3, _) = go(&sim, &plan, &Journal::disabled()).await;
    assert_eq!(
        r3.outcome,
        Outcome::Completed,
        "rotation repaired on re-run"
    );
    assert!(sim.rotation(R1, &id).await.unwrap().enabled);
}

#[tokio::test]
async fn a_changed_rotation_period_is_applied_on_rerun() {
    let sim = sim();
    let (r, _) = go(&sim, &plan_for("single"), &Journal::disabled()).await;
    let id = r.keys[0].key_id.clone();
    let plan = plan_with("single", |a| a.rotation_days = Some("180".into()));
    let kms = FlakyKms::new(sim.clone());
    let (r2, _) = go(&kms, &plan, &Journal::disabled()).await;
    assert_eq!(r2.outcome, Outcome::Completed);
    assert_eq!(kms.calls("EnableKeyRotation"), 1);
    assert_eq!(kms.calls("CreateKey"), 0);
    assert_eq!(sim.rotation(R1, &id).await.unwrap().period_days, Some(180));
}

#[tokio::test]
async fn an_administrator_from_another_account_is_refused_before_any_change() {
    let plan = plan_with("single", |a| {
        a.admins = vec!["arn:aws:iam::999999999999:role/KeyAdmin".into()]
    });
    let kms = FlakyKms::new(sim());
    let (r, _) = go(&kms, &plan, &Journal::disabled()).await;
    assert!(matches!(
        &r.outcome,
        Outcome::Failed {
            step: 0,
            error: ExecError::AdminAccount { .. }
        }
    ));
    assert_eq!(r.exit_code(), exit::INVALID_INPUT);
    assert_eq!(kms.calls("CreateKey"), 0);
}

#[tokio::test]
async fn progress_reports_every_step_in_order() {
    let plan = plan_for("multi-region");
    let (r, events) = go(&sim(), &plan, &Journal::disabled()).await;
    assert_eq!(r.outcome, Outcome::Completed);
    let started: Vec<usize> = events
        .iter()
        .filter_map(|p| match p {
            Progress::Started { step } => Some(*step),
            _ => None,
        })
        .collect();
    assert_eq!(started, (0..plan.steps.len()).collect::<Vec<_>>());
    let keys: Vec<KeyRole> = events
        .iter()
        .filter_map(|p| match p {
            Progress::Key { key } => Some(key.role),
            _ => None,
        })
        .collect();
    assert_eq!(keys, [KeyRole::Primary, KeyRole::Replica]);
}

/// Multi-Region is fixed when a key is made: a single-Region key behind the alias cannot
/// become the primary of a Multi-Region setup (nor the other way round).
#[tokio::test]
async fn a_key_of_the_other_kind_behind_the_alias_stops_before_any_change() {
    for (before, after, found) in [
        ("single", "multi-region", "a single-Region key"),
        ("multi-region", "two-keys", "a Multi-Region key"),
    ] {
        let sim = sim();
        let j = TempJournal::new();
        let (r, _) = go(&sim, &plan_for(before), &j.journal).await;
        assert_eq!(r.outcome, Outcome::Completed);
        let kms = FlakyKms::new(sim.clone());
        let (r2, _) = go(&kms, &plan_for(after), &j.journal).await;
        match &r2.outcome {
            Outcome::Failed {
                error:
                    e @ ExecError::WrongKeyKind {
                        key_arn, found: f, ..
                    },
                ..
            } => {
                assert_eq!(key_arn, &r.keys[0].arn);
                assert_eq!(f, found);
                assert!(e.explain(None, "").contains("--regionality"));
            }
            o => panic!("{before} -> {after}: {o:?}"),
        }
        assert_eq!(r2.exit_code(), exit::INVALID_INPUT);
        for op in MUTATING {
            assert_eq!(kms.calls(op), 0, "{before} -> {after}: {op}");
        }
    }
}

/// The alias is free when byok looks, then taken by another key before byok names its new
/// key: the run says a key exists (exit 4, its ARN, no "changed nothing"), and naming that
/// key with another alias lets a re-run adopt it instead of making a second one.
#[tokio::test]
async fn an_alias_taken_after_the_key_was_made_reports_the_key_and_a_rerun_adopts_it() {
    let plan = plan_for("single");
    let sim = sim();
    let kms = FlakyKms::new(sim.clone());
    let thief = sim.clone();
    kms.after("CreateKey", 1, move || {
        thief.insert_foreign_key(R1, ALIAS);
    });
    let tj = TempJournal::new();
    let (r, _) = go(&kms, &plan, &tj.journal).await;
    let ours = r.key(KeyRole::Primary).expect("the key made").arn.clone();
    match &r.outcome {
        Outcome::Failed {
            error: e @ ExecError::AliasTakenAfterCreate { ours: o, .. },
            ..
        } => {
            assert_eq!(o, &ours);
            let text = e.explain(None, "");
            assert!(text.contains("Your key, listed below, exists"), "{text}");
            assert!(!text.contains("changed nothing"), "{text}");
        }
        o => panic!("{o:?}"),
    }
    assert_eq!(r.exit_code(), exit::PARTLY_DONE);

    // The fix the message gives: name the key with another alias, run with that alias.
    let key_id = r.key(KeyRole::Primary).unwrap().key_id.clone();
    sim.create_alias(R1, "alias/camunda-byok-2", &key_id)
        .await
        .unwrap();
    let plan2 = plan_with("single", |a| a.alias = Some("alias/camunda-byok-2".into()));
    let kms2 = FlakyKms::new(sim.clone());
    let (r2, _) = go(&kms2, &plan2, &tj.journal).await;
    assert_eq!(r2.outcome, Outcome::Completed, "{:?}", r2.outcome);
    assert_eq!(kms2.calls("CreateKey"), 0, "adopted, not made again");
    assert_eq!(r2.key(KeyRole::Primary).unwrap().arn, ours);
}

/// The key that a run made and the vendor can use: live keys in a Region.
async fn live_keys(sim: &SimKms, region: &str) -> Vec<KeyInfo> {
    let mut out = Vec::new();
    for id in sim.list_keys(region).await.unwrap() {
        let k = sim.describe_key(region, &id).await.unwrap();
        if !pending_deletion(&k.state) {
            out.push(k);
        }
    }
    out
}

#[tokio::test]
async fn runs_racing_from_two_machines_end_with_one_key_and_the_loser_retires_its_own() {
    for regionality in ["single", "multi-region", "two-keys"] {
        let plan = plan_for(regionality);
        // Each call takes a moment, so both runs create a key before either names it.
        let sim = SimKms::new(SimOptions {
            latency: Duration::from_millis(5),
            replica_creating: Duration::ZERO,
        });
        let (j1, j2) = (TempJournal::new(), TempJournal::new());
        let ((r1, _), (r2, _)) =
            tokio::join!(go(&sim, &plan, &j1.journal), go(&sim, &plan, &j2.journal));
        for r in [&r1, &r2] {
            assert_eq!(r.outcome, Outcome::Completed, "{regionality}: {r:?}");
            assert_eq!(r.exit_code(), exit::OK);
        }
        let arns = |r: &RunReport| r.keys.iter().map(|k| k.arn.clone()).collect::<Vec<_>>();
        assert_eq!(
            arns(&r1),
            arns(&r2),
            "{regionality}: both report the winner"
        );
        let retired: Vec<&RetiredKey> = r1.retired.iter().chain(&r2.retired).collect();
        assert!(!retired.is_empty(), "{regionality}: the race was not run");
        for pk in &plan.keys {
            let live = live_keys(&sim, &pk.region).await;
            assert_eq!(live.len(), 1, "{regionality} {}: {live:?}", pk.region);
            assert!(arns(&r1).contains(&live[0].arn));
        }
        for rk in retired {
            assert!(rk.problem.is_none(), "{rk:?}");
            assert!(arns(&r1).contains(&rk.duplicate_of));
            let id = rk.arn.rsplit('/').next().unwrap();
            let k = sim.describe_key(&rk.region, id).await.unwrap();
            assert_eq!(k.state, "PendingDeletion");
            let policy = sim.get_policy(&rk.region, id).await.unwrap();
            assert!(!policy.contains(ROLE), "the vendor keeps access: {policy}");
            assert!(policy.contains(":root"));
            let tags = sim.list_tags(&rk.region, id).await.unwrap();
            assert!(tags.contains(&(plan::TAG_DUPLICATE_OF.into(), rk.duplicate_of.clone())));
        }
        // The loser's journal says so; a re-run of either changes nothing.
        let loser = if r1.retired.is_empty() { &j2 } else { &j1 };
        assert!(
            loser
                .journal
                .entries()
                .iter()
                .any(|e| e.event == Event::Retired)
        );
        let (again, _) = go(&sim, &plan, &loser.journal).await;
        assert_eq!(again.outcome, Outcome::Completed);
        assert!(again.retired.is_empty() && again.keys.iter().all(|k| !k.created_now));
    }
}

#[tokio::test]
async fn runs_on_one_machine_take_turns_and_make_one_key() {
    let plan = plan_for("multi-region");
    let sim = SimKms::new(SimOptions {
        latency: Duration::from_millis(5),
        replica_creating: Duration::ZERO,
    });
    let j = TempJournal::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_c, cancel) = watch::channel(false);
    let opts = fast();
    let (r1, r2) = tokio::join!(
        run(&sim, &plan, &j.journal, &tx, &cancel, &opts),
        run(&sim, &plan, &j.journal, &tx, &cancel, &opts)
    );
    drop(tx);
    let mut waited = false;
    while let Ok(p) = rx.try_recv() {
        if let Progress::Waiting { detail, .. } = p {
            waited |= detail.starts_with("waiting for another byok run (pid ");
        }
    }
    assert!(waited, "the second run says it waits");
    assert_eq!(r1.outcome, Outcome::Completed);
    assert_eq!(r2.outcome, Outcome::Completed);
    assert!(r1.retired.is_empty() && r2.retired.is_empty());
    assert_eq!(keys_in(&sim, R1).await, 1, "one key made, none retired");
    assert_eq!(
        sim.calls()
            .iter()
            .filter(|c| c.starts_with("CreateKey"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_run_waiting_too_long_for_the_lock_changes_nothing() {
    let plan = plan_for("single");
    let sim = sim();
    let j = TempJournal::new();
    let setup = journal::setup_id("camunda", DEMO_ACCOUNT, R1, ALIAS);
    let _held = match j.journal.try_lock_setup(&setup).unwrap() {
        journal::LockTry::Acquired(l) => l,
        journal::LockTry::Busy { .. } => panic!("free"),
    };
    let (_c, cancel) = watch::channel(false);
    let opts = ExecOptions {
        lock_timeout: Duration::from_millis(300),
        ..fast()
    };
    let (r, _) = go_with(&sim, &plan, &Journal::open(&j.dir).unwrap(), &cancel, &opts).await;
    assert!(
        matches!(&r.outcome, Outcome::Failed { error: ExecError::Locked { pid: Some(p), .. }, .. } if *p == std::process::id()),
        "{r:?}"
    );
    assert_eq!(r.exit_code(), exit::AWS_REFUSED);
    assert_eq!(keys_in(&sim, R1).await, 0);
}

#[tokio::test]
async fn a_key_of_an_interrupted_run_that_appears_late_is_waited_for_and_adopted() {
    let plan = plan_for("single");
    let sim = sim();
    let j = TempJournal::new();
    let setup = journal::setup_id("camunda", DEMO_ACCOUNT, R1, ALIAS);
    // A killed run journalled its intent; its CreateKey lands 300 ms after the re-run starts.
    let id = journal::new_intent_id();
    j.journal
        .record(&Entry {
            role: Some(KeyRole::Primary),
            region: Some(R1.into()),
            intent: Some(id.clone()),
            ..Entry::new(&setup, Event::Intent)
        })
        .unwrap();
    let late = sim.clone();
    let (a, _) = {
        let a = answers_of(&plan);
        (a, ())
    };
    let lands = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut tags = plan_for("single").tags_for(KeyRole::Primary);
        tags.push((plan::TAG_INTENT.into(), id));
        late.create_key(
            R1,
            &NewKey {
                policy: policy::to_document(&policy::build(&a, DEMO_ACCOUNT)),
                description: a.description.clone(),
                tags,
                multi_region: false,
            },
        )
        .await
        .unwrap()
    });
    let (_c, cancel) = watch::channel(false);
    let opts = ExecOptions {
        intent_settle: Duration::from_secs(3),
        ..fast()
    };
    let (r, events) = go_with(&sim, &plan, &j.journal, &cancel, &opts).await;
    let landed = lands.await.unwrap();
    assert_eq!(r.outcome, Outcome::Completed, "{r:?}");
    assert_eq!(r.keys[0].arn, landed.arn, "the late key is adopted");
    assert_eq!(keys_in(&sim, R1).await, 1, "no second key");
    assert!(events.iter().any(|p| matches!(p, Progress::Waiting { detail, .. } if detail.starts_with("looking for the key an interrupted run may have made"))));
}

fn answers_of(plan: &Plan) -> crate::answers::Answers {
    plan.answers.clone()
}

#[tokio::test]
async fn a_key_of_an_older_intent_found_after_another_was_made_is_retired() {
    let plan = plan_for("two-keys");
    let sim = sim();
    let j = TempJournal::new();
    let (r, _) = go(&sim, &plan, &j.journal).await;
    assert_eq!(r.outcome, Outcome::Completed);
    // An intent whose key landed after that run had made its own (a slow request).
    let setup = journal::setup_id("camunda", DEMO_ACCOUNT, R1, ALIAS);
    let id = journal::new_intent_id();
    j.journal
        .record(&Entry {
            role: Some(KeyRole::Secondary),
            region: Some(R2.into()),
            intent: Some(id.clone()),
            ..Entry::new(&setup, Event::Intent)
        })
        .unwrap();
    let a = answers_of(&plan);
    let mut tags = plan.tags_for(KeyRole::Secondary);
    tags.push((plan::TAG_INTENT.into(), id));
    let stray = sim
        .create_key(
            R2,
            &NewKey {
                policy: policy::to_document(&policy::build(&a, DEMO_ACCOUNT)),
                description: a.description.clone(),
                tags,
                multi_region: false,
            },
        )
        .await
        .unwrap();
    // A key with byok's tags but no intent of ours is never retired.
    let foreign = sim
        .create_key(
            R2,
            &NewKey {
                policy: policy::to_document(&policy::build(&a, DEMO_ACCOUNT)),
                description: String::new(),
                tags: plan.tags_for(KeyRole::Secondary),
                multi_region: false,
            },
        )
        .await
        .unwrap();
    let (again, _) = go(&sim, &plan, &j.journal).await;
    assert_eq!(again.outcome, Outcome::Completed);
    assert_eq!(again.retired.len(), 1, "{again:?}");
    assert_eq!(again.retired[0].arn, stray.arn);
    let k = sim.describe_key(R2, &stray.key_id).await.unwrap();
    assert_eq!(k.state, "PendingDeletion");
    let f = sim.describe_key(R2, &foreign.key_id).await.unwrap();
    assert_eq!(
        f.state, "Enabled",
        "a key found by tags alone is left alone"
    );
    // Closed: the next run does not look again.
    let (third, _) = go(&sim, &plan, &j.journal).await;
    assert!(third.retired.is_empty());
}

#[tokio::test]
async fn a_journal_that_fails_after_the_key_exists_names_the_key_and_exits_4() {
    let plan = plan_for("single");
    let sim = sim();
    let j = TempJournal::new();
    // The intent is written; the disk is full when the key's ARN is.
    j.journal.fail_writes_after(1);
    let (r, _) = go(&sim, &plan, &j.journal).await;
    assert!(
        matches!(
            &r.outcome,
            Outcome::Failed {
                error: ExecError::Journal { .. },
                ..
            }
        ),
        "{r:?}"
    );
    assert_eq!(r.keys.len(), 1, "the key that exists is reported");
    assert!(r.keys[0].created_now);
    assert_eq!(r.exit_code(), exit::PARTLY_DONE);
    assert_eq!(keys_in(&sim, R1).await, 1);
}

#[tokio::test]
async fn a_stop_during_a_slow_create_returns_after_the_grace_and_says_it_may_exist() {
    let plan = plan_for("single");
    let sim = SimKms::new(SimOptions {
        latency: Duration::from_secs(30),
        replica_creating: Duration::ZERO,
    });
    let j = TempJournal::new();
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let opts = ExecOptions {
        cancel_grace: Duration::from_millis(100),
        ..fast()
    };
    let t0 = Instant::now();
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = cancel_tx.send(true);
    });
    let (r, _) = go_with(&sim, &plan, &j.journal, &cancel_rx, &opts).await;
    stopper.await.unwrap();
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert!(matches!(r.outcome, Outcome::Interrupted { .. }), "{r:?}");
    assert_eq!(r.exit_code(), exit::INTERRUPTED);
    assert!(r.keys.is_empty());
}

/// Three Regions: a primary with two replicas, or three keys of their own.
fn plan_three(regionality: &str) -> Plan {
    let raw = RawAnswers {
        vendor: Some("other".into()),
        region: Some(R1.into()),
        principal: Some("123456789012".into()),
        regionality: Some(regionality.into()),
        replica_regions: vec![R2.into(), R3.into()],
        ..Default::default()
    };
    Plan::build(&raw.validate(&Catalog::built_in()).unwrap())
}

const R3: &str = "us-east-1";

/// Every key of a three-Region setup is made once, each Region's steps beside the others',
/// and a re-run finds all three and changes nothing.
#[tokio::test]
async fn three_regions_complete_and_a_rerun_changes_nothing() {
    for (regionality, role) in [
        ("multi-region", KeyRole::Replica),
        ("two-keys", KeyRole::Secondary),
    ] {
        let plan = plan_three(regionality);
        let sim = sim();
        let j = TempJournal::new();
        let kms = FlakyKms::new(sim.clone());
        let (r, _) = go(&kms, &plan, &j.journal).await;
        assert_eq!(r.outcome, Outcome::Completed, "{regionality}");
        let got: Vec<(KeyRole, &str, bool)> = r
            .keys
            .iter()
            .map(|k| (k.role, k.region.as_str(), k.alias.is_some()))
            .collect();
        assert_eq!(
            got,
            [
                (KeyRole::Primary, R1, true),
                (role, R2, true),
                (role, R3, true)
            ],
            "{regionality}"
        );
        for region in [R1, R2, R3] {
            assert_eq!(keys_in(&sim, region).await, 1, "{regionality} {region}");
        }
        if role == KeyRole::Replica {
            assert_eq!(kms.calls("ReplicateKey"), 2);
            assert_eq!(kms.calls("CreateKey"), 1);
            // Every replica is the primary's key.
            assert!(r.keys.iter().all(|k| k.key_id == r.keys[0].key_id));
        } else {
            assert_eq!(kms.calls("CreateKey"), 3);
            assert_eq!(kms.calls("EnableKeyRotation"), 3);
        }
        let again = FlakyKms::new(sim.clone());
        let (r2, _) = go(&again, &plan, &j.journal).await;
        assert_eq!(r2.outcome, Outcome::Completed, "{regionality}");
        for op in MUTATING {
            assert_eq!(again.calls(op), 0, "{regionality}: {op} on the re-run");
        }
        let arns = |r: &RunReport| r.keys.iter().map(|k| k.arn.clone()).collect::<Vec<_>>();
        assert_eq!(arns(&r2), arns(&r), "{regionality}");
        // One journal entry per key made, each in its Region.
        let setup = journal::setup_id("other", DEMO_ACCOUNT, R1, &plan.answers.alias);
        let mut created: Vec<String> = j
            .journal
            .entries_for(&setup)
            .iter()
            .filter(|e| e.event == Event::Created)
            .map(|e| e.region.clone().unwrap())
            .collect();
        created.sort();
        let mut want = vec![R1, R2, R3];
        want.sort_unstable();
        assert_eq!(created, want, "{regionality}");
    }
}

/// A three-Region run refused at each change in turn: the report names every key that
/// exists, and the next run finishes with one key per Region and no change made twice.
#[tokio::test]
async fn three_regions_stopped_at_any_change_are_finished_by_the_next_without_duplicates() {
    for regionality in ["multi-region", "two-keys"] {
        let plan = plan_three(regionality);
        let clean = FlakyKms::new(sim());
        let (r, _) = go(&clean, &plan, &TempJournal::new().journal).await;
        assert_eq!(r.outcome, Outcome::Completed);
        let faults: Vec<(&str, u32)> = MUTATING
            .iter()
            .flat_map(|op| (1..=clean.calls(op)).map(move |n| (*op, n)))
            .collect();
        assert!(faults.len() >= 6, "{regionality}: {faults:?}");
        for (op, nth) in faults {
            let ctx = format!("{regionality}, {op} call {nth} refused");
            let sim = sim();
            let j = TempJournal::new();
            let first = FlakyKms::new(sim.clone());
            first.fail(op, nth, denied(op));
            let (r1, _) = go(&first, &plan, &j.journal).await;
            assert_eq!(failed_kms(&r1), Some(&denied(op)), "{ctx}");
            // Every key that exists after the failed run is in its report.
            for region in [R1, R2, R3] {
                let live = keys_in(&sim, region).await;
                let listed = r1.keys.iter().filter(|k| k.region == region).count();
                assert_eq!(live, listed, "{ctx}: {region}");
            }
            let second = FlakyKms::new(sim.clone());
            let (r2, _) = go(&second, &plan, &j.journal).await;
            assert_eq!(r2.outcome, Outcome::Completed, "{ctx}");
            assert_eq!(r2.keys.len(), 3, "{ctx}");
            for region in [R1, R2, R3] {
                assert_eq!(keys_in(&sim, region).await, 1, "{ctx}: {region}");
            }
            for o in MUTATING {
                let refused = u32::from(*o == op);
                let both = first.calls(o) - refused + second.calls(o);
                if *o == "TagResource" {
                    assert!(both <= clean.calls(o), "{ctx}: {o} calls across both runs");
                } else {
                    assert_eq!(both, clean.calls(o), "{ctx}: {o} calls across both runs");
                }
            }
            for k in &r1.keys {
                let again = r2.keys.iter().find(|x| x.region == k.region);
                assert_eq!(again.map(|x| &x.arn), Some(&k.arn), "{ctx}");
            }
        }
    }
}

/// A run whose create and replicate answers are lost halfway (a killed connection): the
/// keys those requests made are found, by their intents, and adopted, never made twice.
#[tokio::test]
async fn three_regions_with_lost_answers_adopt_every_key_made() {
    for (regionality, op) in [("multi-region", "ReplicateKey"), ("two-keys", "CreateKey")] {
        let plan = plan_three(regionality);
        let sim = sim();
        let j = TempJournal::new();
        let kms = FlakyKms::new(sim.clone());
        let reset = KmsError::Network {
            message: "connection reset by peer".into(),
        };
        kms.lose_answer(op, 2, reset.clone())
            .lose_answer(op, 3, reset);
        let (r, _) = go(&kms, &plan, &j.journal).await;
        assert_eq!(r.outcome, Outcome::Completed, "{regionality}");
        assert_eq!(r.keys.len(), 3);
        for region in [R1, R2, R3] {
            assert_eq!(keys_in(&sim, region).await, 1, "{regionality} {region}");
        }
        assert!(r.keys.iter().all(|k| k.created_now), "{regionality}");
    }
}

/// A role setup (CockroachDB: the key policy names the role; MongoDB Atlas: the role's own
/// policy names the key).
fn role_plan(vendor: &str) -> Plan {
    let raw = RawAnswers {
        vendor: Some(vendor.into()),
        region: Some(R1.into()),
        principal: Some("210987654321".into()),
        external_id: Some("3192be49-6e76-4b7d-a7b8-b486a8fc4483".into()),
        ..Default::default()
    };
    Plan::build(&raw.validate(&Catalog::built_in()).unwrap())
}

#[tokio::test]
async fn a_role_is_made_once_and_a_rerun_adopts_it() {
    for vendor in ["cockroachdb", "mongodb-atlas"] {
        let kms = sim();
        let j = TempJournal::new();
        let plan = role_plan(vendor);
        let (r1, _) = go(&kms, &plan, &j.journal).await;
        assert_eq!(r1.outcome, Outcome::Completed, "{vendor}: {r1:?}");
        let role = r1.role.clone().expect("a role");
        assert!(role.created_now);
        assert_eq!(
            role.arn,
            format!(
                "arn:aws:iam::{DEMO_ACCOUNT}:role/{}",
                plan.answers.role.as_ref().unwrap().name
            )
        );
        let made = kms.get_role(&role.name).await.unwrap().unwrap();
        let trust: Value = serde_json::from_str(&made.trust_policy).unwrap();
        assert_eq!(
            trust["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::210987654321:root"
        );
        assert_eq!(
            trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            "3192be49-6e76-4b7d-a7b8-b486a8fc4483"
        );
        let key = &r1.keys[0];
        let policy = kms.get_policy(R1, &key.key_id).await.unwrap();
        let own = kms
            .get_role_policy(
                &role.name,
                &plan
                    .answers
                    .vendor
                    .customer_role
                    .as_ref()
                    .unwrap()
                    .policy_name,
            )
            .await
            .unwrap();
        if vendor == "cockroachdb" {
            assert!(policy.contains(&role.arn), "the key policy names the role");
            assert_eq!(
                own, None,
                "CockroachDB's role has no permissions of its own"
            );
        } else {
            assert!(!policy.contains(&role.arn));
            let own: Value = serde_json::from_str(&own.unwrap()).unwrap();
            assert_eq!(
                own["Statement"][0]["Resource"],
                serde_json::json!([key.arn])
            );
        }
        let (r2, _) = go(&kms, &plan, &j.journal).await;
        assert_eq!(r2.outcome, Outcome::Completed, "{vendor}: {r2:?}");
        assert_eq!(r2.role.as_ref().map(|r| r.created_now), Some(false));
        assert_eq!(r2.keys[0].arn, key.arn);
        assert_eq!(kms.list_keys(R1).await.unwrap().len(), 1);
        let entries = j.journal.entries();
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.arn.as_deref() == Some(&role.arn) && e.event == Event::Created)
                .count(),
            1
        );
    }
}

#[tokio::test]
async fn a_role_byok_did_not_make_stops_the_run_before_any_change() {
    let kms = FlakyKms::new(sim());
    let plan = role_plan("cockroachdb");
    let name = plan.answers.role.as_ref().unwrap().name.clone();
    kms.inner()
        .create_role(&kms::NewRole {
            name: name.clone(),
            trust_policy: "{}".into(),
            description: String::new(),
            tags: vec![],
        })
        .await
        .unwrap();
    let j = TempJournal::new();
    let (r, _) = go(&kms, &plan, &j.journal).await;
    match &r.outcome {
        Outcome::Failed {
            error: ExecError::RoleTaken { name: n, .. },
            ..
        } => assert_eq!(n, &name),
        o => panic!("{o:?}"),
    }
    assert_eq!(r.exit_code(), exit::INVALID_INPUT);
    for op in MUTATING.iter().chain(&["CreateRole", "PutRolePolicy"]) {
        assert_eq!(kms.calls(op), 0, "{op} was sent");
    }
    // Its trust policy is untouched.
    assert_eq!(
        kms.inner()
            .get_role(&name)
            .await
            .unwrap()
            .unwrap()
            .trust_policy,
        "{}"
    );
}

#[tokio::test]
async fn kms_not_seeing_the_new_role_yet_is_waited_for() {
    let kms = FlakyKms::new(sim());
    let invalid = KmsError::InvalidPrincipal {
        message: "Policy contains a statement with one or more invalid principals.".into(),
    };
    kms.fail_times("CreateKey", 1, 3, invalid.clone());
    let plan = role_plan("cockroachdb");
    let j = TempJournal::new();
    let (r, events) = go(&kms, &plan, &j.journal).await;
    assert_eq!(r.outcome, Outcome::Completed, "{r:?}");
    assert_eq!(kms.calls("CreateKey"), 4);
    assert_eq!(kms.inner().list_keys(R1).await.unwrap().len(), 1);
    assert!(
        events.iter().any(
            |e| matches!(e, Progress::Retrying { reason, .. } if reason.contains("propagate"))
        )
    );
    // Bounded: a principal KMS never accepts fails once the time is up.
    let kms = FlakyKms::new(sim());
    kms.fail_from("CreateKey", 1, invalid);
    let mut opts = fast();
    opts.iam_propagation = Duration::from_millis(50);
    let (_tx, cancel) = watch::channel(false);
    let j = TempJournal::new();
    let (r, _) = go_with(&kms, &plan, &j.journal, &cancel, &opts).await;
    assert!(
        matches!(
            &r.outcome,
            Outcome::Failed {
                error: ExecError::Kms {
                    error: KmsError::InvalidPrincipal { .. },
                    ..
                },
                ..
            }
        ),
        "{r:?}"
    );
    assert_eq!(
        r.role.as_ref().map(|x| x.created_now),
        Some(true),
        "the report names the role it made"
    );
    assert_eq!(r.exit_code(), exit::PARTLY_DONE);
}

/// A three-Region run stopped (Ctrl-C) right after its n-th create in turn: the report lists
/// every key that exists, each of them made now, and the next run adopts them all and makes
/// only the rest, one key per Region in the end.
#[tokio::test]
async fn three_regions_stopped_halfway_report_every_key_and_are_finished_without_duplicates() {
    for (regionality, op, creates) in [
        ("multi-region", "ReplicateKey", 2),
        ("two-keys", "CreateKey", 3),
    ] {
        for nth in 1..=creates {
            let ctx = format!("{regionality}, stopped after {op} {nth}");
            let plan = plan_three(regionality);
            let sim = sim();
            let j = TempJournal::new();
            let (cancel_tx, cancel_rx) = watch::channel(false);
            let kms = FlakyKms::new(sim.clone());
            kms.after(op, nth, move || {
                let _ = cancel_tx.send(true);
            });
            let (r, _) = go_with(&kms, &plan, &j.journal, &cancel_rx, &fast()).await;
            assert!(
                matches!(r.outcome, Outcome::Interrupted { .. }),
                "{ctx}: {:?}",
                r.outcome
            );
            let mut listed = 0;
            for region in [R1, R2, R3] {
                let live = keys_in(&sim, region).await;
                let here = r.keys.iter().filter(|k| k.region == region).count();
                assert_eq!(live, here, "{ctx}: {region}");
                listed += here;
            }
            // The Regions go side by side: a create already sent when the stop came finishes
            // (it is never left unreported), so the count depends on timing, never the rule.
            assert!(listed >= nth as usize, "{ctx}: {listed}");
            assert!(r.keys.iter().all(|k| k.created_now), "{ctx}");

            let again = FlakyKms::new(sim.clone());
            let (r2, _) = go(&again, &plan, &j.journal).await;
            assert_eq!(r2.outcome, Outcome::Completed, "{ctx}");
            for region in [R1, R2, R3] {
                assert_eq!(keys_in(&sim, region).await, 1, "{ctx}: {region}");
            }
            for k in &r.keys {
                let same = r2.keys.iter().find(|x| x.region == k.region).unwrap();
                assert_eq!(same.arn, k.arn, "{ctx}");
                assert!(!same.created_now, "{ctx}: adopted, not made again");
            }
            let made = |o: &str| kms.calls(o) + again.calls(o);
            assert_eq!(
                made("CreateKey") + made("ReplicateKey"),
                3,
                "{ctx}: one create per key across both runs"
            );
        }
    }
}

#[tokio::test]
async fn a_role_byok_made_for_another_setup_is_named_so_and_left_alone() {
    let kms = FlakyKms::new(sim());
    let plan = role_plan("cockroachdb");
    let j = TempJournal::new();
    let (r, _) = go(&kms, &plan, &j.journal).await;
    assert_eq!(r.outcome, Outcome::Completed, "{r:?}");
    let other = Plan::build(
        &RawAnswers {
            vendor: Some("cockroachdb".into()),
            region: Some(R1.into()),
            principal: Some("210987654321".into()),
            external_id: Some("org-2".into()),
            alias: Some("alias/second".into()),
            ..Default::default()
        }
        .validate(&Catalog::built_in())
        .unwrap(),
    );
    let before = kms.calls("CreateKey");
    let (r, _) = go(&kms, &other, &j.journal).await;
    match &r.outcome {
        Outcome::Failed {
            error: ExecError::RoleTaken { why, .. },
            ..
        } => assert!(why.contains("another setup (alias/crdb-cmek"), "{why}"),
        o => panic!("{o:?}"),
    }
    assert_eq!(kms.calls("CreateKey"), before, "nothing was made");
}
