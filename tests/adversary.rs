//! Adversarial cases against the first promise: one correct key per setup, never a second
//! one; a run that fails reports every resource it created; a re-run finishes the job.
//! Each test states the attack and what byok must do. Against a real KMS API (moto), checked
//! through the AWS API.

mod common;
use common::*;
#[path = "common/proxy.rs"]
mod proxy;

use proxy::{At, Fault, Proxy, Schedule};
use std::io::Read;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

fn spawn(mut c: std::process::Command) -> Child {
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn byok")
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn signal(child: &Child, sig: &str) {
    assert!(
        std::process::Command::new("kill")
            .args([format!("-{sig}"), child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
}

fn finish(mut child: Child) -> (Option<i32>, String, String) {
    let status = child.wait().unwrap();
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), out, err)
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

/// Keys in `region` whose `byok:alias` tag is `alias` and that are not pending deletion.
async fn live_keys_for(kms: &aws_sdk_kms::Client, alias: &str) -> Vec<String> {
    let mut out = Vec::new();
    for id in live_key_ids(kms).await {
        if tags_of(kms, &id)
            .await
            .iter()
            .any(|(k, v)| k == "byok:alias" && v == alias)
        {
            out.push(id);
        }
    }
    out
}

/// Two keys side by side, both CreateKey requests on their way when SIGTERM comes: the
/// report must say that *each* may have been created (`RunReport::in_flight` lists every
/// create still on its way).
#[test]
fn sigterm_with_both_creates_of_two_keys_in_flight_names_both() {
    let moto = Moto::start();
    let slow = Proxy::start(
        &moto.endpoint,
        Schedule::at(vec![
            At::in_region(
                "CreateKey",
                "eu-west-1",
                1,
                Fault::Delay(Duration::from_secs(8)),
            ),
            At::in_region(
                "CreateKey",
                "eu-west-2",
                1,
                Fault::Delay(Duration::from_secs(8)),
            ),
        ]),
    );
    let dir = TempDir::new("adv-two-inflight");
    let mut a = camunda_create("two-keys", "alias/adv-two-inflight");
    a.extend(["--output".into(), "json".into()]);
    let child = spawn({
        let mut c = byok_at(&slow.endpoint, dir.path());
        c.args(&a);
        c
    });
    wait_for(
        "both CreateKey requests in flight",
        Duration::from_secs(60),
        || {
            slow.log()
                .iter()
                .filter(|s| s.name() == "CreateKey")
                .count()
                == 2
        },
    );
    signal(&child, "TERM");
    let (code, out, err) = finish(child);
    assert_eq!(code, Some(130), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    let named = doc["may_have_created"].to_string();
    for region in ["eu-west-1", "eu-west-2"] {
        assert!(
            named.contains(region),
            "a create in {region} was on its way, but the report names only {named}\n{out}"
        );
    }
}

/// Two keys side by side: the primary's CreateKey is refused (AccessDenied) while the
/// secondary's is still on its way; then SIGTERM. The run stops after its grace, says a key
/// "may have been created", and must exit 4 (partly done), never 3 ("nothing was created"):
/// the held request then lands and a key exists.
#[test]
fn a_refused_create_beside_one_in_flight_exits_4_not_3() {
    let moto = Moto::start();
    let wire = Proxy::start(
        &moto.endpoint,
        Schedule::at(vec![
            At::in_region("CreateKey", "eu-west-1", 1, Fault::Deny),
            At::in_region(
                "CreateKey",
                "eu-west-2",
                1,
                Fault::Delay(Duration::from_secs(6)),
            ),
        ]),
    );
    let dir = TempDir::new("adv-exit3");
    let child = spawn({
        let mut c = byok_at(&wire.endpoint, dir.path());
        c.args(camunda_create("two-keys", "alias/adv-exit3"));
        c
    });
    wait_for(
        "one CreateKey refused, the other held",
        Duration::from_secs(60),
        || {
            let log = wire.log();
            log.iter().filter(|s| s.name() == "CreateKey").count() == 2
        },
    );
    // Let the refusal come back and be seen as the run's failure.
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "TERM");
    let (code, _out, err) = finish(child);
    wait_for(
        "the held CreateKey to land",
        Duration::from_secs(30),
        || {
            wire.log()
                .iter()
                .filter(|s| s.name() == "CreateKey")
                .all(|s| s.fault == Some(Fault::Deny) || s.upstream_status.is_some())
        },
    );
    let made = wire
        .log()
        .iter()
        .filter(|s| s.name() == "CreateKey" && s.upstream_status == Some(200))
        .count();
    assert_eq!(made, 1, "the held request made a key");
    assert!(err.contains("may have been created"), "{err}");
    assert_ne!(
        code,
        Some(3),
        "exit 3 means 'nothing was created', yet a key was on its way and was made:\n{err}"
    );
}

/// A single run, no signal: CreateKey's request is slow to reach KMS (40 s, past the SDK's
/// 30 s attempt timeout). byok looks for its intent's key (twice, 3 s apart), finds none,
/// sends CreateKey again under a new intent and finishes with that key, exit 0. The first
/// request then lands: a second key, carrying the first attempt's intent, which the journal
/// holds open. The re-run must find it by that intent and retire it.
#[tokio::test]
async fn a_create_that_lands_after_its_attempt_timed_out_is_retired_by_the_rerun() {
    let moto = Moto::start();
    let alias = "alias/adv-late";
    let slow = Proxy::start(
        &moto.endpoint,
        Schedule::one("CreateKey", 1, Fault::Delay(Duration::from_secs(40))),
    );
    let dir = TempDir::new("adv-late");
    let out = run(byok_at(&slow.endpoint, dir.path()).args(camunda_create("single", alias)));
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    wait_for(
        "the slow CreateKey to land",
        Duration::from_secs(60),
        || {
            slow.log()
                .iter()
                .filter(|s| s.name() == "CreateKey")
                .all(|s| s.upstream_status.is_some())
        },
    );
    // The same command again, as the README says finishes any setup.
    let again = run(moto.byok(dir.path()).args(camunda_create("single", alias)));
    assert_eq!(again.status.code(), Some(0), "{}", show(&again));
    let kms = moto.kms("eu-west-1").await;
    let live = live_keys_for(&kms, alias).await;
    let reported = format!(
        "{}{}{}{}",
        stdout(&out),
        stderr(&out),
        stdout(&again),
        stderr(&again)
    );
    let unreported: Vec<&String> = live
        .iter()
        .filter(|id| !reported.contains(id.as_str()))
        .collect();
    for id in &unreported {
        let p = policy_of(&kms, id).await.to_string();
        eprintln!(
            "unreported live key {id}, grants the vendor: {}",
            p.contains(CAMUNDA_ROLE)
        );
    }
    assert_eq!(
        live.len(),
        1,
        "one live key for {alias}; found {live:?}, never reported: {unreported:?}"
    );
}

/// A key an interrupted run made is found by its intent and adopted by the re-run (journal:
/// `adopted`, with the intent), but the re-run stops before naming it (here CreateAlias is
/// refused; a kill does the same). Meanwhile a run on another machine makes its own key and
/// takes the alias. The next re-run adopts that key and must retire ours (made by an intent
/// of this setup, never named by the alias), not leave it granting the vendor.
#[tokio::test]
async fn a_key_adopted_by_its_intent_is_retired_when_it_loses_the_alias() {
    let moto = Moto::start();
    let alias = "alias/adv-adopted";
    let a_dir = TempDir::new("adv-adopted-a");
    // 1. Run A: CreateKey's answer lost, and looking for the key refused: "may have been
    //    created", exit 4; the journal holds only the intent.
    let lossy = Proxy::start(
        &moto.endpoint,
        Schedule::at(vec![
            At::any("CreateKey", 1, Fault::ResetAfter),
            At::any("ListKeys", 1, Fault::Deny),
        ]),
    );
    let first = run(byok_at(&lossy.endpoint, a_dir.path()).args(camunda_create("single", alias)));
    assert_eq!(first.status.code(), Some(4), "{}", show(&first));
    assert!(
        stderr(&first).contains("may have been created"),
        "{}",
        show(&first)
    );
    // 2. Re-run A: finds the key by its intent and adopts it; CreateAlias is refused.
    let deny_alias = Proxy::start(&moto.endpoint, Schedule::one("CreateAlias", 1, Fault::Deny));
    let second =
        run(byok_at(&deny_alias.endpoint, a_dir.path()).args(camunda_create("single", alias)));
    assert_eq!(second.status.code(), Some(4), "{}", show(&second));
    let key_a = stdout(&second).trim().to_string();
    assert!(key_a.contains(":key/"), "{}", show(&second));
    // 3. Run B, on another machine, completes with its own key.
    let b_dir = TempDir::new("adv-adopted-b");
    let b = run(moto
        .byok(b_dir.path())
        .args(camunda_create("single", alias)));
    assert_eq!(b.status.code(), Some(0), "{}", show(&b));
    let key_b = stdout(&b).trim().to_string();
    // 4. Re-run A: adopts B's key, exit 0. A's key should have been retired.
    let third = run(moto
        .byok(a_dir.path())
        .args(camunda_create("single", alias)));
    assert_eq!(third.status.code(), Some(0), "{}", show(&third));
    assert_eq!(stdout(&third).trim(), key_b);
    let kms = moto.kms("eu-west-1").await;
    let id_a = key_a.rsplit('/').next().unwrap();
    let live = live_keys_for(&kms, alias).await;
    let grants = policy_of(&kms, id_a)
        .await
        .to_string()
        .contains(CAMUNDA_ROLE);
    assert!(
        !live.iter().any(|k| k == id_a),
        "A's key {key_a} is still live (grants the vendor: {grants}) beside {key_b}, and the last run said nothing of it:\n{}",
        stderr(&third)
    );
}

/// No signal at all. Two keys side by side: one CreateKey is refused (AccessDenied); the
/// other reaches KMS and makes its key, but its answer is lost and looking for the key is
/// refused too (the "may have been created" case, exit 4 on its own). The second failure
/// must not be hidden by the first: the run names the key that may exist and exits 4.
#[tokio::test]
async fn a_second_failure_still_reports_a_key_that_may_have_been_created() {
    let moto = Moto::start();
    let alias = "alias/adv-second-failure";
    let wire = Proxy::start(
        &moto.endpoint,
        Schedule::at(vec![
            At::in_region("CreateKey", "eu-west-1", 1, Fault::Deny),
            At::in_region("CreateKey", "eu-west-2", 1, Fault::ResetAfter),
            At::in_region("ListKeys", "eu-west-2", 1, Fault::Deny),
        ]),
    );
    let dir = TempDir::new("adv-second-failure");
    let out = run(byok_at(&wire.endpoint, dir.path()).args(camunda_create("two-keys", alias)));
    let made: Vec<String> = wire
        .log()
        .iter()
        .filter(|s| s.name() == "CreateKey" && s.upstream_status == Some(200))
        .filter_map(|s| {
            s.upstream_json()?["KeyMetadata"]["Arn"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(made.len(), 1, "one CreateKey reached KMS: {}", show(&out));
    let err = stderr(&out);
    assert!(
        !err.contains("Nothing was created"),
        "KMS made {made:?}, yet byok says:\n{}",
        show(&out)
    );
    assert!(
        err.contains("may have been created") && out.status.code() == Some(4),
        "a create whose answer was lost must be named and exit 4:\n{}",
        show(&out)
    );
}
