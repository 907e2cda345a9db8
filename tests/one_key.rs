//! One key, whatever happens: runs of the same setup at the same instant (on one machine and
//! on several), SIGTERM and SIGHUP while a create is on its way, and a journal that is torn,
//! full of junk or a symbolic link. Against a real KMS API (moto); every result is checked
//! through the AWS API.

mod common;
use common::*;
#[path = "common/proxy.rs"]
mod proxy;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const REGIONS: [&str; 2] = ["eu-west-1", "eu-west-2"];

#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// Keys byok made for `alias` (and its replica alias) in `region`, by state: (live, pending
/// deletion).
async fn keys_by_state(kms: &aws_sdk_kms::Client, alias: &str) -> (Vec<String>, Vec<String>) {
    let mut live = Vec::new();
    let mut pending = Vec::new();
    for id in key_ids(kms).await {
        if !tags_of(kms, &id)
            .await
            .iter()
            .any(|(k, v)| k == "byok:alias" && v.starts_with(alias))
        {
            continue;
        }
        let d = kms.describe_key().key_id(&id).send().await.unwrap();
        let st = d
            .key_metadata()
            .unwrap()
            .key_state()
            .unwrap()
            .as_str()
            .to_string();
        if st.starts_with("Pending") {
            pending.push(id);
        } else {
            live.push(id);
        }
    }
    (live, pending)
}

/// Start `n` runs at the same instant; each gets its own state dir unless `shared`.
fn race(moto: &Moto, n: usize, regionality: &str, alias: &str, shared: &Path) -> Vec<Output> {
    let dirs: Vec<TempDir> = (0..n).map(|_| TempDir::new("race")).collect();
    let children: Vec<Child> = (0..n)
        .map(|i| {
            let state = if shared.as_os_str().is_empty() {
                dirs[i].path()
            } else {
                shared
            };
            moto.byok(state)
                .args(camunda_create(regionality, alias))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

/// Five runs with the same answers at the same instant, each on its own machine (its own
/// state dir): one key per Region holds the alias and grants the vendor; every other key a
/// run made is out of service (no vendor statement, disabled, deletion scheduled, tagged as a
/// duplicate of the winner); every run exits 0 and prints the winner's ARNs only.
#[tokio::test]
async fn five_runs_from_five_machines_end_with_one_key_per_region() {
    let moto = Moto::start();
    for (regionality, alias) in [
        ("multi-region", "alias/race-mr"),
        ("two-keys", "alias/race-two"),
    ] {
        let outs = race(&moto, 5, regionality, alias, Path::new(""));
        for o in &outs {
            assert_exit(o, 0);
        }
        let first = stdout(&outs[0]);
        assert!(
            outs.iter().all(|o| stdout(o) == first),
            "every run prints the winner's ARNs"
        );
        let retired: usize = outs
            .iter()
            .map(|o| {
                stderr(o)
                    .matches("vendor access removed, disabled, deletion scheduled")
                    .count()
            })
            .sum();
        for region in REGIONS {
            let kms = moto.kms(region).await;
            let (live, pending) = keys_by_state(&kms, alias).await;
            let live_here: Vec<&String> = live
                .iter()
                .filter(|id| first.contains(id.as_str()))
                .collect();
            assert_eq!(live_here.len(), 1, "{regionality} {region}: {live:?}");
            for id in &live {
                assert!(first.contains(id.as_str()), "a live key not reported: {id}");
                let p = policy_of(&kms, id).await.to_string();
                assert!(p.contains(CAMUNDA_ROLE));
            }
            for id in &pending {
                if !tags_of(&kms, id)
                    .await
                    .iter()
                    .any(|(k, v)| k == "byok:duplicate-of" && first.contains(v.as_str()))
                {
                    continue; // another test's key
                }
                let p = policy_of(&kms, id).await.to_string();
                assert!(
                    !p.contains(CAMUNDA_ROLE),
                    "a retired key still grants the vendor: {p}"
                );
            }
        }
        eprintln!(
            "{regionality}: 5 concurrent runs, {retired} duplicate(s) retired, 1 key per Region"
        );
    }
}

/// What racing runs send is what `byok plan` and the README name: each step's calls and its
/// recovery calls.
#[tokio::test]
async fn racing_runs_send_only_documented_calls() {
    let moto = Moto::start();
    let wire = proxy::Proxy::start(&moto.endpoint, proxy::Schedule::pass());
    let dirs: Vec<TempDir> = (0..3).map(|_| TempDir::new("race-calls")).collect();
    let children: Vec<Child> = dirs
        .iter()
        .map(|d| {
            byok_at(&wire.endpoint, d.path())
                .args(camunda_create("two-keys", "alias/race-calls"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        assert_exit(&c.wait_with_output().unwrap(), 0);
    }
    let catalog = byok::vendor::Catalog::built_in();
    let mut documented = std::collections::BTreeSet::new();
    for regionality in ["single", "multi-region", "two-keys"] {
        let raw = byok::answers::RawAnswers {
            vendor: Some("camunda".into()),
            principal: Some(CAMUNDA_ROLE.into()),
            regionality: Some(regionality.into()),
            ..Default::default()
        };
        let plan = byok::plan::Plan::build(&raw.validate(&catalog).unwrap());
        for s in &plan.steps {
            documented.extend(
                s.api_calls()
                    .iter()
                    .chain(s.recovery_calls())
                    .map(|c| c.to_string()),
            );
        }
    }
    // The create policy the README shows (docs/iam/create.json).
    let policy =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/iam/create.json"))
            .unwrap();
    for s in wire.log() {
        let call = match s.op.split_once('.') {
            Some(("TrentService", op)) => format!("kms:{op}"),
            Some((_, op)) => format!("sts:{op}"),
            None => s.op.clone(),
        };
        assert!(documented.contains(&call), "{call} is not in the plan");
        assert!(
            call == "sts:GetCallerIdentity" || policy.contains(&format!("\"{call}\"")),
            "{call} is not in docs/iam/create.json"
        );
    }
}

/// Five runs at the same instant on one machine (one state dir): they take turns on the
/// setup's lock, so only one key is ever made and nothing needs retiring.
#[tokio::test]
async fn five_runs_on_one_machine_take_turns() {
    let moto = Moto::start();
    let dir = TempDir::new("race-shared");
    let outs = race(&moto, 5, "multi-region", "alias/race-shared", dir.path());
    for o in &outs {
        assert_exit(o, 0);
    }
    let first = stdout(&outs[0]);
    assert!(outs.iter().all(|o| stdout(o) == first));
    assert!(outs.iter().all(|o| !stderr(o).contains("retired")));
    let kms = moto.kms("eu-west-1").await;
    assert_eq!(key_ids(&kms).await.len(), 1, "one CreateKey in all");
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// SIGTERM (a CI cancel, `timeout`) and SIGHUP (the terminal closed) while CreateKey is on
/// its way: byok stops within its grace, exits 130, says the key may have been created (the
/// JSON document too), and the same command then finds that key: one key.
#[tokio::test]
async fn sigterm_or_sighup_during_a_slow_create_reports_and_the_rerun_finds_the_key() {
    let moto = Moto::start();
    for (signal, json) in [("TERM", false), ("TERM", true), ("HUP", false)] {
        let alias = format!("alias/sig-{signal}-{json}");
        let dir = TempDir::new("sig");
        let slow = proxy::Proxy::start(
            &moto.endpoint,
            proxy::Schedule::one("CreateKey", 1, proxy::Fault::Delay(Duration::from_secs(8))),
        );
        let mut a = camunda_create("single", &alias);
        if json {
            a.extend(["--output".into(), "json".into()]);
        }
        let mut child = byok_at(&slow.endpoint, dir.path())
            .args(&a)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for("CreateKey in flight", || {
            slow.log().iter().any(|s| s.name() == "CreateKey")
        });
        let t0 = Instant::now();
        let ok = std::process::Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let status = child.wait().unwrap();
        let took = t0.elapsed();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(status.code(), Some(130), "SIG{signal}: {err}");
        assert!(took < Duration::from_secs(6), "SIG{signal} took {took:?}");
        if json {
            let doc: Value = serde_json::from_str(&out).expect("one JSON document");
            assert_eq!(doc["status"], "interrupted");
            assert_eq!(doc["may_have_created"][0]["role"], "primary");
            assert!(
                doc["finish_command"]
                    .as_str()
                    .unwrap()
                    .contains("create --vendor camunda")
            );
        } else if signal == "TERM" {
            assert!(err.contains("may have been created"), "{err}");
            assert!(
                err.contains("To finish, run the same command again"),
                "{err}"
            );
        }
        // At once: the held request lands while the re-run waits for it.
        let again = run(moto.byok(dir.path()).args(camunda_create("single", &alias)));
        assert_exit(&again, 0);
        let kms = moto.kms("eu-west-1").await;
        let arn = stdout(&again).trim().to_string();
        let id = arn.rsplit('/').next().unwrap().to_string();
        assert_eq!(
            alias_target(&kms, &alias).await.as_deref(),
            Some(id.as_str())
        );
        wait_for("the held request", || {
            slow.log().iter().all(|s| s.upstream_status.is_some())
        });
        let mine: Vec<String> = {
            let mut v = Vec::new();
            for k in key_ids(&kms).await {
                if tags_of(&kms, &k)
                    .await
                    .iter()
                    .any(|(t, v)| t == "byok:alias" && v == &alias)
                {
                    v.push(k);
                }
            }
            v
        };
        assert_eq!(mine, vec![id], "SIG{signal}: one key for {alias}");
    }
}

/// A journal with a torn last line, junk and bytes that are not UTF-8: `create` and `status`
/// read every good entry, say how many lines they skipped, and the next entry starts on a
/// line of its own. A re-run finds its key; nothing is made twice.
#[tokio::test]
async fn a_damaged_journal_is_read_around_and_never_causes_a_second_key() {
    let moto = Moto::start();
    let dir = TempDir::new("journal");
    let out = run(moto
        .byok(dir.path())
        .args(camunda_create("single", "alias/journal")));
    assert_exit(&out, 0);
    let arn = stdout(&out).trim().to_string();
    let path = dir.path().join("journal.jsonl");
    let mut bytes = std::fs::read(&path).unwrap();
    // Junk before the good lines, non-UTF-8 after, a torn line at the end.
    let good = bytes.clone();
    bytes.clear();
    bytes.extend_from_slice(b"\xff\xfe\x00garbage\n");
    bytes.extend_from_slice(&good);
    bytes.extend_from_slice(b"not json at all \xc3\x28\n{\"time\":\"2026-12-01T0");
    std::fs::write(&path, &bytes).unwrap();

    let out = run(moto.byok(dir.path()).args(["status", "--output", "json"]));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("status JSON");
    assert!(doc.to_string().contains(&arn), "status still knows the key");
    assert!(stderr(&out).contains("3 line(s)"), "{}", stderr(&out));

    let out = run(moto
        .byok(dir.path())
        .args(camunda_create("single", "alias/journal")));
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).trim(), arn, "the same key");
    let kms = moto.kms("eu-west-1").await;
    assert_eq!(key_ids(&kms).await.len(), 1);
    // The torn line did not swallow the new entries.
    let c = byok::journal::read_path(&path);
    assert_eq!(c.skipped, 3);
    assert!(
        c.entries
            .iter()
            .filter(|e| e.event == byok::journal::Event::Completed)
            .count()
            >= 2
    );
}

/// A journal that is a symbolic link is refused before anything is sent, naming the file;
/// its target is left as it was.
#[test]
fn a_symlinked_journal_is_refused_and_its_target_untouched() {
    let dir = TempDir::new("symlink");
    let target = dir.path().join("elsewhere.txt");
    std::fs::write(&target, "precious\n").unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join("journal.jsonl")).unwrap();
    // No endpoint is reachable: a call sent would fail differently.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_byok"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("BYOK_STATE_DIR", dir.path())
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .args(["--endpoint-url", "http://127.0.0.1:9"])
        .args(camunda_create("single", "alias/link"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert!(stderr(&out).contains("Nothing was sent to AWS"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
}
