//! byok under faults, against a real KMS API (moto) behind a fault-injecting proxy
//! (tests/common/proxy.rs): every fault kind at every request of the single-Region,
//! Multi-Region and two-keys plans, seeded random schedules, outages that make a run fail
//! part-way, and SIGKILL at every step boundary. After each: the run completed or exited
//! non-zero naming every key it created and the command to finish; the journal holds every
//! ARN; a re-run without faults completes; each Region then has exactly one key for the alias
//! with the expected policy, tags, alias and rotation; no orphans, no duplicates. Every
//! request byok sent is checked too: never `BypassPolicyLockoutSafetyCheck`, and every policy
//! keeps the account-root statement.

mod common;
#[path = "common/proxy.rs"]
mod proxy;

use common::*;
use proxy::*;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use byok::answers::RawAnswers;
use byok::plan::{KeyRole, Plan};
use byok::vendor::Catalog;

/// Schedules that share one moto server before it is replaced: byok's search for a key whose
/// creation answer was lost lists every key in the Region, so the server is kept small.
const CASES_PER_SERVER: usize = 24;
const WORKERS: usize = 12;
const RANDOM_SCHEDULES: u64 = 200;
const RANDOM_KILLS: u64 = 40;
/// A scaled-down delay for most schedules; a few use real 2-10 s delays.
const SHORT_DELAY: Duration = Duration::from_millis(250);
/// The Regions of the plans: the primary (single-Region key, Multi-Region primary, first of
/// two keys; `ReplicateKey` is sent here too) and the secondary.
const PRIMARY: &str = "eu-west-1";
const SECONDARY: &str = "eu-west-2";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Single,
    Multi,
    Two,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Single, Kind::Multi, Kind::Two];
    fn regionality(self) -> &'static str {
        match self {
            Kind::Single => "single",
            Kind::Multi => "multi-region",
            Kind::Two => "two-keys",
        }
    }
}

/// What the run of one case does to byok.
#[derive(Debug, Clone)]
enum Disturb {
    Faults(Schedule),
    /// SIGKILL right after this step (1-based) reports done, under this schedule. A schedule
    /// that holds every request makes the kill land with the next request in flight (and the
    /// proxy still delivers it: the answer is lost).
    Kill {
        after_step: usize,
        schedule: Schedule,
    },
}

#[derive(Debug, Clone)]
struct Case {
    label: String,
    kind: Kind,
    disturb: Disturb,
    /// `--output json` on the disturbed run: the document must name what exists.
    json: bool,
}

#[derive(Debug, Default)]
struct Totals {
    schedules: usize,
    faults: usize,
    kills: usize,
    failed_runs: usize,
    unconfirmed: usize,
    keys_created: usize,
    lost: usize,
    duplicates: usize,
    problems: Vec<String>,
}

fn answers(kind: Kind, alias: &str) -> RawAnswers {
    RawAnswers {
        vendor: Some("camunda".into()),
        principal: Some(CAMUNDA_ROLE.into()),
        regionality: Some(kind.regionality().into()),
        alias: Some(alias.into()),
        ..Default::default()
    }
}

fn create_args(kind: Kind, alias: &str) -> Vec<String> {
    camunda_create(kind.regionality(), alias)
}

/// Keys the server really created, as the proxy saw their answers (delivered or lost).
fn created_arns(log: &[Seen]) -> Vec<String> {
    log.iter()
        .filter(|s| s.upstream_status == Some(200))
        .filter_map(|s| {
            let j = s.upstream_json()?;
            let meta = match s.name() {
                "CreateKey" => j.get("KeyMetadata")?,
                "ReplicateKey" => j.get("ReplicaKeyMetadata")?,
                _ => return None,
            };
            meta.get("Arn")?.as_str().map(str::to_string)
        })
        .collect()
}

/// Every request byok sent: never the lockout bypass, and every policy keeps the root.
fn check_requests(log: &[Seen], problems: &mut Vec<String>) {
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    for s in log {
        if s.body.contains("BypassPolicyLockoutSafetyCheck") {
            problems.push(format!("{} sent BypassPolicyLockoutSafetyCheck", s.op));
        }
        if s.name() == "EnableKeyRotation"
            && s.json().and_then(|j| j["RotationPeriodInDays"].as_i64()) != Some(365)
        {
            problems.push(format!(
                "EnableKeyRotation {} #{} without 365 days",
                s.region.as_deref().unwrap_or("?"),
                s.nth_in_region
            ));
        }
        if matches!(s.name(), "CreateKey" | "ReplicateKey" | "PutKeyPolicy") {
            let policy = s
                .json()
                .and_then(|j| j.get("Policy")?.as_str().map(str::to_string))
                .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok());
            let keeps_root = policy.as_ref().is_some_and(|p| {
                p["Statement"].as_array().is_some_and(|st| {
                    st.iter().any(|x| {
                        x["Effect"] == "Allow"
                            && x["Principal"]["AWS"] == root.as_str()
                            && x["Action"] == "kms:*"
                            && x.get("Condition").is_none()
                    })
                })
            });
            if !keeps_root {
                problems.push(format!(
                    "{} {} #{} sent a policy without the account-root statement",
                    s.op,
                    s.region.as_deref().unwrap_or("?"),
                    s.nth_in_region
                ));
            }
        }
    }
}

fn split_arn(arn: &str) -> (String, String) {
    // arn:aws:kms:REGION:ACCOUNT:key/ID
    let parts: Vec<&str> = arn.split(':').collect();
    (
        parts[3].to_string(),
        parts[5].trim_start_matches("key/").to_string(),
    )
}

/// One moto server and what the cases on it created, for a final sweep.
struct Server {
    moto: Moto,
    rt: tokio::runtime::Runtime,
    clients: BTreeMap<String, aws_sdk_kms::Client>,
    created: BTreeSet<String>,
    cases: usize,
}

impl Server {
    fn start() -> Server {
        let moto = Moto::start();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut clients = BTreeMap::new();
        for r in [PRIMARY, SECONDARY] {
            clients.insert(r.to_string(), rt.block_on(moto.kms(r)));
        }
        Server {
            moto,
            rt,
            clients,
            created: BTreeSet::new(),
            cases: 0,
        }
    }

    /// Every key on the server was seen being created by some case: nothing escaped the count.
    fn sweep(&self, t: &Mutex<Totals>) {
        for (region, c) in &self.clients {
            let ids = self.rt.block_on(key_ids(c));
            let seen: BTreeSet<String> = self
                .created
                .iter()
                .map(|a| split_arn(a))
                .filter(|(r, _)| r == region)
                .map(|(_, id)| id)
                .collect();
            let on_server: BTreeSet<String> = ids.into_iter().collect();
            if on_server != seen {
                t.lock().unwrap().problems.push(format!(
                    "sweep {region}: server has {} keys, cases saw {} created",
                    on_server.len(),
                    seen.len()
                ));
            }
        }
    }
}

struct RunResult {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    log: Vec<Seen>,
}

fn run_faults(server: &Server, state: &Path, args: &[String], schedule: Schedule) -> RunResult {
    let p = Proxy::start(&server.moto.endpoint, schedule);
    let out = byok_at(&p.endpoint, state)
        .args(args)
        .output()
        .expect("run byok");
    RunResult {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        log: p.log(),
    }
}

fn run_kill(
    server: &Server,
    state: &Path,
    args: &[String],
    after_step: usize,
    steps: usize,
    schedule: Schedule,
) -> (RunResult, bool) {
    let p = Proxy::start(&server.moto.endpoint, schedule);
    let mut child = byok_at(&p.endpoint, state)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn byok");
    let marker = format!("✓ [{after_step:>2}/{steps}]");
    let mut stderr = String::new();
    let mut killed = false;
    for line in BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
    {
        if !killed && line.starts_with(&marker) {
            killed = child.kill().is_ok();
        }
        stderr.push_str(&line);
        stderr.push('\n');
    }
    let status = child.wait().unwrap();
    let mut stdout = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout);
    // The proxy may still be delivering requests the kill interrupted, some not yet read
    // from their connections: wait until each has been answered.
    assert!(
        p.settle(Duration::from_secs(30)),
        "the proxy still had requests in flight 30 s after the kill"
    );
    (
        RunResult {
            code: status.code(),
            stdout,
            stderr,
            log: p.log(),
        },
        killed,
    )
}

fn journal_text(state: &Path) -> String {
    std::fs::read_to_string(state.join("journal.jsonl")).unwrap_or_default()
}

/// Run one case start to finish and check everything; problems go into `t`.
fn run_case(server: &mut Server, case: &Case, n: usize, t: &Mutex<Totals>) {
    let alias = format!("alias/fault-{n}");
    let dir = TempDir::new("faults");
    let state = dir.path();
    let args = create_args(case.kind, &alias);
    let raw = answers(case.kind, &alias);
    let a = raw.validate(&Catalog::built_in()).expect("valid answers");
    let plan = Plan::build(&a);
    let policy = byok::policy::build(&a, ACCOUNT);
    let mut problems: Vec<String> = Vec::new();
    let mut lost = 0;
    let mut killed = false;

    let mut first_args = args.clone();
    if case.json {
        first_args.extend(["--output".to_string(), "json".to_string()]);
    }
    let first = match &case.disturb {
        Disturb::Faults(s) => run_faults(server, state, &first_args, s.clone()),
        Disturb::Kill {
            after_step,
            schedule,
        } => {
            let (r, k) = run_kill(
                server,
                state,
                &args,
                *after_step,
                plan.steps.len(),
                schedule.clone(),
            );
            killed = k;
            r
        }
    };
    let faults = first.log.iter().filter(|s| s.fault.is_some()).count();
    check_requests(&first.log, &mut problems);
    let made_first = created_arns(&first.log);
    let journal = journal_text(state);
    if first.stderr.contains("panicked") {
        problems.push(format!("panic: {}", first.stderr));
    }
    let failed = first.code != Some(0);
    // A create whose answer was lost while AWS also refused to let byok look for the key: the
    // run must say a key may exist, and the journal's intent leads the re-run to it (checked
    // below: no orphan, no duplicate).
    // With --output json the document says it: the error's kind, or the creates it lists.
    let json_says_maybe = serde_json::from_str::<serde_json::Value>(&first.stdout).is_ok_and(|d| {
        d["error"]["detail"]["kind"] == "unconfirmed" || d["may_have_created"].is_array()
    });
    let unconfirmed = failed
        && (first.stderr.contains("may have been created") || json_says_maybe)
        && journal.contains("\"intent\"");
    if let Disturb::Faults(_) = case.disturb {
        if failed {
            if !matches!(first.code, Some(3) | Some(4)) {
                problems.push(format!("exit code {:?}", first.code));
            }
            // Text: stderr names every key and the command; JSON: the document does.
            let (named, finish) = if case.json {
                match serde_json::from_str::<serde_json::Value>(&first.stdout) {
                    Ok(doc) => (
                        doc["keys"]
                            .as_array()
                            .map(|ks| {
                                ks.iter()
                                    .filter_map(|k| k["arn"].as_str().map(str::to_string))
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            })
                            .unwrap_or_default(),
                        doc["status"] != "completed"
                            && doc["finish_command"]
                                .as_str()
                                .is_some_and(|c| c.contains("create --vendor camunda")),
                    ),
                    Err(e) => {
                        problems.push(format!("--output json printed no JSON document: {e}"));
                        (String::new(), false)
                    }
                }
            } else {
                (
                    first.stderr.clone(),
                    first
                        .stderr
                        .contains("To finish, run the same command again")
                        && first.stderr.contains("create --vendor camunda"),
                )
            };
            for arn in &made_first {
                if !named.contains(arn.as_str()) && !unconfirmed {
                    lost += 1;
                    problems.push(format!("failed run does not name {arn}"));
                }
            }
            if !finish {
                problems.push("failed run gives no command to finish".into());
            }
        }
        for arn in &made_first {
            if !journal.contains(arn.as_str()) && !unconfirmed {
                lost += 1;
                problems.push(format!("journal lacks {arn}"));
            }
        }
    } else {
        // Killed: each key is in the journal, or an unanswered intent leads the re-run to it.
        for arn in &made_first {
            if !journal.contains(arn.as_str())
                && !journal
                    .lines()
                    .last()
                    .is_some_and(|l| l.contains("\"intent\""))
            {
                lost += 1;
                problems.push(format!("killed run: journal lacks {arn} and has no intent"));
            }
        }
    }

    // Re-run without faults.
    let second = run_faults(server, state, &args, Schedule::pass());
    check_requests(&second.log, &mut problems);
    if second.code != Some(0) {
        problems.push(format!(
            "re-run exit {:?}: {}",
            second.code,
            second
                .stderr
                .lines()
                .rev()
                .take(12)
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    let made_second = created_arns(&second.log);
    let made: Vec<String> = made_first.iter().chain(&made_second).cloned().collect();
    let journal = journal_text(state);
    for arn in &made {
        if !journal.contains(arn.as_str()) {
            lost += 1;
            problems.push(format!("after the re-run the journal lacks {arn}"));
        }
    }

    // The end state, through the AWS API.
    let mut duplicates = 0;
    let final_arns: BTreeSet<String> = second.stdout.lines().map(str::to_string).collect();
    for pk in &plan.keys {
        let c = &server.clients[&pk.region];
        let live: Vec<String> = made
            .iter()
            .filter(|arn| split_arn(arn).0 == pk.region)
            .filter(|arn| {
                let id = split_arn(arn).1;
                let d = server
                    .rt
                    .block_on(c.describe_key().key_id(&id).send())
                    .unwrap();
                let st = d
                    .key_metadata()
                    .unwrap()
                    .key_state()
                    .unwrap()
                    .as_str()
                    .to_string();
                !st.starts_with("Pending")
            })
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if live.len() != 1 {
            duplicates += live.len().saturating_sub(1);
            problems.push(format!(
                "{} {}: {} live keys made for the alias: {live:?}",
                pk.region,
                pk.alias,
                live.len()
            ));
            continue;
        }
        let arn = &live[0];
        if !final_arns.contains(arn) {
            problems.push(format!("re-run did not report {arn}"));
        }
        let id = split_arn(arn).1;
        let target = server.rt.block_on(alias_target(c, &pk.alias));
        if target.as_deref() != Some(id.as_str()) {
            problems.push(format!(
                "{} in {} names {target:?}, not {id}",
                pk.alias, pk.region
            ));
        }
        if server.rt.block_on(policy_of(c, &id)) != policy {
            problems.push(format!("{arn} has another policy"));
        }
        let tags = server.rt.block_on(tags_of(c, &id));
        for tag in plan.tags_for(pk.role) {
            if !tags.contains(&tag) {
                problems.push(format!("{arn} lacks tag {tag:?}"));
            }
        }
        if pk.role != KeyRole::Replica {
            let rot = server
                .rt
                .block_on(c.get_key_rotation_status().key_id(&id).send())
                .unwrap();
            // moto does not keep the period; the request check below covers what byok sent.
            if !rot.key_rotation_enabled()
                || rot.rotation_period_in_days().is_some_and(|d| d != 365)
            {
                problems.push(format!("{arn} does not rotate every 365 days"));
            }
        }
    }
    // No orphan: every key made is one of the final keys.
    let distinct: BTreeSet<&String> = made.iter().collect();
    for arn in &distinct {
        if !final_arns.contains(*arn) {
            lost += 1;
            problems.push(format!("orphan key {arn}"));
        }
    }
    server.created.extend(made.iter().cloned());

    let mut t = t.lock().unwrap();
    t.schedules += 1;
    t.faults += faults;
    t.kills += killed as usize;
    t.failed_runs += failed as usize;
    t.unconfirmed += unconfirmed as usize;
    t.keys_created += distinct.len();
    t.lost += lost;
    t.duplicates += duplicates;
    for p in problems {
        t.problems.push(format!(
            "[{} {}] {p}\n    first run exit {:?}, stderr tail: {}",
            case.label,
            case.kind.regionality(),
            first.code,
            first
                .stderr
                .lines()
                .rev()
                .take(6)
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
}

/// The requests a fault-free run makes: (operation, Region, n-th call of it in that Region).
/// Requests of different Regions overlap, so this is a set of calls, not an order.
fn request_sequence(kind: Kind) -> Vec<(String, String, u32)> {
    let server = Server::start();
    let dir = TempDir::new("faults-seq");
    let r = run_faults(
        &server,
        dir.path(),
        &create_args(kind, "alias/sequence"),
        Schedule::pass(),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let mut seq: Vec<(String, String, u32)> = r
        .log
        .iter()
        .map(|s| {
            let region = s
                .region
                .clone()
                .expect("every request byok sends is signed");
            (s.name().to_string(), region, s.nth_in_region)
        })
        .collect();
    seq.sort();
    seq
}

fn run_all(cases: Vec<Case>, cases_per_server: usize) -> Totals {
    let queue = Arc::new(Mutex::new(
        cases.into_iter().enumerate().collect::<VecDeque<_>>(),
    ));
    let totals = Arc::new(Mutex::new(Totals::default()));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (q, t) = (queue.clone(), totals.clone());
            std::thread::spawn(move || {
                let mut server: Option<Server> = None;
                loop {
                    let Some((n, case)) = q.lock().unwrap().pop_front() else {
                        break;
                    };
                    if server.as_ref().is_none_or(|s| s.cases >= cases_per_server) {
                        if let Some(s) = server.take() {
                            s.sweep(&t);
                        }
                        server = Some(Server::start());
                    }
                    let s = server.as_mut().unwrap();
                    s.cases += 1;
                    run_case(s, &case, n, &t);
                }
                if let Some(s) = server {
                    s.sweep(&t);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    Arc::try_unwrap(totals).unwrap().into_inner().unwrap()
}

fn report(name: &str, t: &Totals, t0: Instant) {
    eprintln!(
        "{name}: schedules tried {}, faults injected {}, SIGKILLs {}, runs that failed part-way {} ({} with a key reported as possibly created), keys created {}, resources lost {}, duplicates {} ({:.0} s)",
        t.schedules,
        t.faults,
        t.kills,
        t.failed_runs,
        t.unconfirmed,
        t.keys_created,
        t.lost,
        t.duplicates,
        t0.elapsed().as_secs_f64()
    );
    // Problems grouped by kind (ARNs and aliases blanked), then the first few in full.
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for p in &t.problems {
        let head = p.split('\n').next().unwrap_or("");
        let blank: String = head
            .split(' ')
            .map(|w| {
                if w.contains("arn:aws:kms") || w.contains("alias/fault-") {
                    "…"
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        *kinds.entry(blank.chars().take(160).collect()).or_default() += 1;
    }
    for (k, n) in &kinds {
        eprintln!("  {n:>4} × {k}");
    }
    for p in t.problems.iter().take(8) {
        eprintln!("  {p}");
    }
    assert!(
        t.problems.is_empty(),
        "{} problems (first above)",
        t.problems.len()
    );
    assert_eq!(t.lost, 0);
    assert_eq!(t.duplicates, 0);
}

fn all_kinds_of_fault() -> Vec<Fault> {
    vec![
        Fault::Throttle,
        Fault::Internal500,
        Fault::Unavailable503,
        Fault::ResetBefore,
        Fault::ResetAfter,
        Fault::Delay(SHORT_DELAY),
    ]
}

/// Every fault kind at every request of the three plans, real 2-10 s delays at the
/// creating calls, outages from every request on (a call denied, so the run fails part-way),
/// and SIGKILL after every step.
fn deterministic_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for kind in Kind::ALL {
        let seq = request_sequence(kind);
        for (op, region, nth) in &seq {
            for f in all_kinds_of_fault() {
                cases.push(Case {
                    label: format!("{} {op} {region}#{nth}", f.name()),
                    json: false,
                    kind,
                    disturb: Disturb::Faults(Schedule::one_in(op, region, *nth, f)),
                });
            }
        }
        // Outage: from the k-th request on, everything is denied: the run stops part-way.
        for k in 1..=seq.len() {
            cases.push(Case {
                label: format!("denied from request {k}"),
                json: k % 2 == 0,
                kind,
                disturb: Disturb::Faults(Schedule::from(k, Fault::Deny)),
            });
        }
        let steps = Plan::build(
            &answers(kind, "alias/x")
                .validate(&Catalog::built_in())
                .unwrap(),
        )
        .steps
        .len();
        for after_step in 1..=steps {
            for delay_all in [false, true] {
                cases.push(Case {
                    label: format!("SIGKILL after step {after_step} (delayed: {delay_all})"),
                    json: false,
                    kind,
                    disturb: Disturb::Kill {
                        after_step,
                        schedule: if delay_all {
                            Schedule::from(1, Fault::Delay(Duration::from_millis(120)))
                        } else {
                            Schedule::pass()
                        },
                    },
                });
            }
        }
    }
    // A few real delays, 2 to 10 s, on the calls that create (ReplicateKey is sent to the
    // primary's Region).
    for (kind, op, region, secs) in [
        (Kind::Single, "CreateKey", PRIMARY, 2),
        (Kind::Multi, "ReplicateKey", PRIMARY, 5),
        (Kind::Two, "CreateKey", SECONDARY, 10),
        (Kind::Multi, "CreateAlias", PRIMARY, 3),
    ] {
        cases.push(Case {
            label: format!("real delay {secs} s on {op} in {region}"),
            json: false,
            kind,
            disturb: Disturb::Faults(Schedule::one_in(
                op,
                region,
                1,
                Fault::Delay(Duration::from_secs(secs)),
            )),
        });
    }
    cases
}

fn random_cases() -> Vec<Case> {
    let random = |seed: u64| Schedule {
        // Half the schedules also list new keys only after a moment, as real KMS does.
        stale_list: (seed % 2 == 1).then_some(Duration::from_millis(500)),
        ..Schedule::random(
            seed,
            150,
            (Duration::from_millis(20), Duration::from_millis(400)),
        )
    };
    let mut cases: Vec<Case> = (0..RANDOM_SCHEDULES)
        .map(|seed| Case {
            label: format!("seed {seed}"),
            json: seed % 4 == 1,
            kind: Kind::ALL[(seed % 3) as usize],
            disturb: Disturb::Faults(random(seed)),
        })
        .collect();
    // Random faults and a SIGKILL after a random step.
    for seed in RANDOM_SCHEDULES..RANDOM_SCHEDULES + RANDOM_KILLS {
        let kind = Kind::ALL[(seed % 3) as usize];
        let steps = Plan::build(
            &answers(kind, "alias/x")
                .validate(&Catalog::built_in())
                .unwrap(),
        )
        .steps
        .len() as u64;
        cases.push(Case {
            label: format!("seed {seed} with a SIGKILL"),
            json: false,
            kind,
            disturb: Disturb::Kill {
                after_step: 1 + (Rng::new(seed).below(steps - 1)) as usize,
                schedule: random(seed),
            },
        });
    }
    cases
}

#[test]
fn every_fault_at_every_step_random_schedules_and_kills() {
    let t0 = Instant::now();
    let mut cases = deterministic_cases();
    cases.extend(random_cases());
    let t = run_all(cases, CASES_PER_SERVER);
    report("fault matrix", &t, t0);
}

fn many(op: &str, region: &str, nths: std::ops::RangeInclusive<u32>, fault: Fault) -> Vec<At> {
    nths.map(|n| At::in_region(op, region, n, fault)).collect()
}

/// Lost answers in the worst places: on the last attempt byok makes, and followed by AWS
/// refusing the calls byok uses to look for the key. Each on a fresh server, so the key
/// byok looks for is the first it finds.
#[test]
fn lost_answers_in_the_worst_places() {
    let t0 = Instant::now();
    let mut cases = Vec::new();
    for (kind, op, region) in [
        (Kind::Single, "CreateKey", PRIMARY),
        (Kind::Two, "CreateKey", SECONDARY),
        (Kind::Multi, "ReplicateKey", PRIMARY),
    ] {
        let mut at = many(op, region, 1..=5, Fault::Throttle);
        at.push(At::in_region(op, region, 6, Fault::ResetAfter));
        cases.push(Case {
            label: format!("{op} in {region}: throttled, then the last attempt's answer lost"),
            json: false,
            kind,
            disturb: Disturb::Faults(Schedule::at(at)),
        });
    }
    for (kind, region) in [(Kind::Single, PRIMARY), (Kind::Two, SECONDARY)] {
        let mut at = vec![At::in_region("CreateKey", region, 1, Fault::ResetAfter)];
        at.extend(many("ListResourceTags", region, 1..=24, Fault::Throttle));
        cases.push(Case {
            label: format!("CreateKey answer lost in {region}, then its tags unreadable"),
            json: false,
            kind,
            disturb: Disturb::Faults(Schedule::at(at)),
        });
        let mut at = vec![At::in_region("CreateKey", region, 1, Fault::ResetAfter)];
        at.extend(many("ListKeys", region, 1..=24, Fault::Unavailable503));
        cases.push(Case {
            label: format!("CreateKey answer lost in {region}, then keys unlistable"),
            json: false,
            kind,
            disturb: Disturb::Faults(Schedule::at(at)),
        });
    }
    // Real KMS lists a new key only after a moment: the search after a lost answer must
    // not conclude too early that nothing was made.
    for (kind, op, region) in [
        (Kind::Single, "CreateKey", PRIMARY),
        (Kind::Two, "CreateKey", SECONDARY),
        (Kind::Multi, "CreateKey", PRIMARY),
    ] {
        cases.push(Case {
            label: format!("{op} answer lost in {region}, new keys listed only after 1.5 s"),
            json: false,
            kind,
            disturb: Disturb::Faults(Schedule {
                stale_list: Some(Duration::from_millis(1500)),
                ..Schedule::one_in(op, region, 1, Fault::ResetAfter)
            }),
        });
    }
    let t = run_all(cases, 1);
    report("lost answers", &t, t0);
}

/// SIGKILL while a create request is held on its way (the proxy delays it, as a slow network
/// does), then the same command at once, before that request has landed: the re-run must
/// wait for the interrupted run's key and use it, never make a second one. Every creating
/// request of the three plans, with delays from 0.3 to 6 s, on three threads.
#[test]
fn sigkill_with_a_create_in_flight_then_an_immediate_rerun() {
    let t0 = Instant::now();
    let at: Vec<(Kind, &str, &str)> = vec![
        (Kind::Single, "CreateKey", PRIMARY),
        (Kind::Multi, "CreateKey", PRIMARY),
        (Kind::Multi, "ReplicateKey", PRIMARY),
        (Kind::Two, "CreateKey", PRIMARY),
        (Kind::Two, "CreateKey", SECONDARY),
    ];
    let delays = [300u64, 1500, 3000, 6000];
    let mut cases: Vec<(usize, Kind, String, String, Duration)> = Vec::new();
    for (i, (kind, op, region)) in at.iter().enumerate() {
        for (j, d) in delays.iter().enumerate() {
            cases.push((
                i * delays.len() + j,
                *kind,
                op.to_string(),
                region.to_string(),
                Duration::from_millis(*d),
            ));
        }
    }
    let queue = Arc::new(Mutex::new(VecDeque::from(cases)));
    let totals = Arc::new(Mutex::new(Totals::default()));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (q, t) = (queue.clone(), totals.clone());
            std::thread::spawn(move || {
                let server = Server::start();
                loop {
                    let Some((n, kind, op, region, delay)) = q.lock().unwrap().pop_front() else {
                        break;
                    };
                    kill_in_flight_case(&server, n, kind, &op, &region, delay, &t);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let t = Arc::try_unwrap(totals).unwrap().into_inner().unwrap();
    report("SIGKILL in flight, immediate re-run", &t, t0);
    assert_eq!(
        t.kills,
        at.len() * delays.len(),
        "every case killed in flight"
    );
}

fn kill_in_flight_case(
    server: &Server,
    n: usize,
    kind: Kind,
    op: &str,
    region: &str,
    delay: Duration,
    t: &Mutex<Totals>,
) {
    let alias = format!("alias/inflight-{n}");
    let dir = TempDir::new("inflight");
    let state = dir.path();
    let args = create_args(kind, &alias);
    let plan = Plan::build(
        &answers(kind, &alias)
            .validate(&Catalog::built_in())
            .expect("valid"),
    );
    let label = format!("{op} in {region} delayed {} ms", delay.as_millis());
    let mut problems = Vec::new();
    let slow = Proxy::start(
        &server.moto.endpoint,
        Schedule::one_in(op, region, 1, Fault::Delay(delay)),
    );
    let held =
        |s: &Seen| s.name() == op && s.region.as_deref() == Some(region) && s.nth_in_region == 1;
    let mut child = byok_at(&slow.endpoint, state)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn byok");
    // Kill once the request is held by the proxy: it is on its way and will land.
    let t_wait = Instant::now();
    let mut killed = false;
    while t_wait.elapsed() < Duration::from_secs(60) {
        if slow.log().iter().any(held) {
            killed = child.kill().is_ok();
            break;
        }
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.wait();
    if !killed {
        problems.push("the run ended before the request was in flight".to_string());
    }
    // At once: the held request has not landed yet.
    let landed_before = slow
        .log()
        .iter()
        .any(|s| held(s) && s.upstream_status.is_some());
    let second = run_faults(server, state, &args, Schedule::pass());
    if second.code != Some(0) {
        problems.push(format!(
            "re-run exit {:?}: {}",
            second.code,
            second
                .stderr
                .lines()
                .rev()
                .take(8)
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    // Let the held request (and any other the kill interrupted) finish, then look at what
    // exists.
    if !slow.settle(Duration::from_secs(20)) {
        problems.push("the proxy still had requests in flight 20 s after the kill".to_string());
    }
    let third = run_faults(server, state, &args, Schedule::pass());
    if third.code != Some(0) || !created_arns(&third.log).is_empty() {
        problems.push(format!(
            "third run: exit {:?}, created {:?}",
            third.code,
            created_arns(&third.log)
        ));
    }
    let made: BTreeSet<String> = created_arns(&slow.log())
        .into_iter()
        .chain(created_arns(&second.log))
        .collect();
    let reported: BTreeSet<String> = second.stdout.lines().map(str::to_string).collect();
    let mut duplicates = 0;
    for pk in &plan.keys {
        let c = &server.clients[&pk.region];
        let live: Vec<&String> = made
            .iter()
            .filter(|arn| split_arn(arn).0 == pk.region)
            .filter(|arn| {
                let id = split_arn(arn).1;
                let d = server
                    .rt
                    .block_on(c.describe_key().key_id(&id).send())
                    .unwrap();
                !d.key_metadata()
                    .unwrap()
                    .key_state()
                    .unwrap()
                    .as_str()
                    .starts_with("Pending")
            })
            .collect();
        if live.len() != 1 {
            duplicates += live.len().saturating_sub(1);
            problems.push(format!(
                "{} {}: {} live keys: {live:?}",
                pk.region,
                pk.alias,
                live.len()
            ));
            continue;
        }
        if !reported.contains(live[0]) {
            problems.push(format!("the re-run did not report {}", live[0]));
        }
        let id = split_arn(live[0]).1;
        if server.rt.block_on(alias_target(c, &pk.alias)).as_deref() != Some(id.as_str()) {
            problems.push(format!("{} does not name {}", pk.alias, live[0]));
        }
    }
    let mut t = t.lock().unwrap();
    t.schedules += 1;
    t.faults += 1;
    t.kills += (killed && !landed_before) as usize;
    t.keys_created += made.len();
    t.duplicates += duplicates;
    for p in problems {
        t.problems
            .push(format!("[{label} {}] {p}", kind.regionality()));
    }
}
