//! Terminal integrity: whatever ends the wizard (a panic on the UI thread or in a background
//! task, an AWS call that fails, Ctrl-C or SIGTERM while keys are being created) the shell
//! gets a usable terminal back: canonical mode and echo on (checked with `stty -a` right
//! after byok exits), the alternate screen left and the cursor shown (asked of tmux).

mod common;
#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/tmux.rs"]
mod tmux;

use std::path::Path;
use std::time::Duration;

use common::*;
use proxy::*;
use tmux::Tmux;

const BYOK: &str = env!("CARGO_BIN_EXE_byok");
const T: Duration = Duration::from_secs(20);

/// byok in a tmux pane under a shell script that records, once byok exits, its exit code and
/// the terminal modes the shell is left with.
fn start(out: &Path, env: &[(&str, String)], args: &[&str]) -> Tmux {
    let script = r#"out="$1"; shift
"$@" >"$out/stdout"
code=$?
stty -a >"$out/stty" 2>&1
echo "[byok exited with $code]"
# Keep the pane alive: tmux hides the cursor of a dead pane when it writes "Pane is dead".
exec sleep 600"#;
    let out = out.to_str().expect("utf-8 temp path");
    let mut argv = vec!["sh", "-c", script, "sh", out, BYOK];
    argv.extend_from_slice(args);
    let mut b = Tmux::new(140, 36);
    for (k, v) in env {
        b = b.env(k, v);
    }
    b.start(&argv)
}

fn env(dir: &Path, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let d = dir.display().to_string();
    let mut e = vec![
        ("HOME", d.clone()),
        ("BYOK_STATE_DIR", d),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".into()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        ),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ];
    e.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    e
}

/// After byok exited: the terminal is usable again. Returns byok's exit code.
fn assert_usable(t: &Tmux, out: &Path, what: &str) -> i32 {
    let screen = t.wait_for("[byok exited with", T);
    let code: i32 = screen
        .split("[byok exited with ")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .and_then(|c| c.trim().parse().ok())
        .expect("exit code");
    let stty = std::fs::read_to_string(out.join("stty")).expect("stty -a output");
    let modes: Vec<&str> = stty.split([' ', ';', '\n']).collect();
    for m in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(
            modes.contains(&m),
            "{what}: terminal mode {m} not restored: {stty}"
        );
    }
    assert_eq!(
        t.format("#{alternate_on}"),
        "0",
        "{what}: still on the alternate screen"
    );
    assert_eq!(t.format("#{cursor_flag}"), "1", "{what}: cursor hidden");
    assert_eq!(
        t.format("#{mouse_any_flag}"),
        "0",
        "{what}: mouse reporting on"
    );
    // The shell's line is on the normal screen, where the user left it.
    assert!(
        t.capture().contains("[byok exited with"),
        "{what}: {}",
        t.capture()
    );
    code
}

/// The pid of byok: the child of the pane's shell.
fn byok_pid(t: &Tmux) -> u32 {
    let sh: u32 = t.format("#{pane_pid}").parse().unwrap();
    let children = std::fs::read_to_string(format!("/proc/{sh}/task/{sh}/children")).unwrap();
    children
        .split_whitespace()
        .next()
        .expect("byok runs under the pane's shell")
        .parse()
        .unwrap()
}

/// No screen of the wizard asks for a credential.
fn asks_no_secret(screen: &str) {
    // A vendor's own name is the vendor's (Snowflake Tri-Secret Secure), not a question.
    let mut lower = screen.to_lowercase();
    for p in byok::vendor::Catalog::built_in().profiles {
        lower = lower.replace(&p.name.to_lowercase(), "");
    }
    for word in ["secret", "access key", "session token", "password"] {
        assert!(
            !lower.contains(word),
            "a screen mentions {word:?}:\n{screen}"
        );
    }
}

/// Gearset in Oregon with the defaults, to the review screen, then create.
fn gearset_to_creating(t: &Tmux) {
    let screens = [
        t.wait_for("Which vendor is the key for?", T),
        {
            assert_eq!(t.format("#{alternate_on}"), "1");
            t.keys(&["Down", "Enter"]);
            t.wait_for("Which AWS Region should hold the key?", T)
        },
        {
            t.keys(&["Down", "Enter"]);
            t.wait_for("Fixed: nothing to choose here.", T)
        },
        {
            t.keys(&["Enter"]);
            t.wait_for("Name the key", T)
        },
        {
            t.keys(&["Enter", "Enter", "Enter"]);
            t.wait_for("Who may administer the key?", T);
            t.wait_for("(you)", T)
        },
        {
            t.keys(&["Enter"]);
            t.wait_for("Gearset gets access through its AWS account", T)
        },
        {
            t.keys(&["Enter"]);
            t.wait_for("Rotate the key automatically?", T)
        },
        {
            t.keys(&["Enter"]);
            t.wait_for("Enter on an answer changes it", T)
        },
        {
            t.keys(&["r"]);
            // A refused first call can end the run before the progress heading is seen.
            t.wait_until("the run screen", T, |s| {
                s.contains("Creating your key") || s.contains("byok stopped")
            })
        },
    ];
    for s in &screens {
        asks_no_secret(s);
    }
}

#[test]
fn a_panic_on_the_ui_thread_leaves_the_terminal_usable() {
    let dir = TempDir::new("term-panic-draw");
    let t = start(
        dir.path(),
        &env(dir.path(), &[("BYOK_TEST_PANIC", "draw")]),
        &["--demo"],
    );
    let code = assert_usable(&t, dir.path(), "panic while drawing");
    assert_eq!(code, 101);
    assert!(t.capture_all().contains("BYOK_TEST_PANIC=draw"));
}

#[test]
fn a_panic_in_a_background_task_ends_the_app_and_leaves_the_terminal_usable() {
    let dir = TempDir::new("term-panic-task");
    let t = start(
        dir.path(),
        &env(dir.path(), &[("BYOK_TEST_PANIC", "task")]),
        &["--demo"],
    );
    // The wizard was up (alternate screen) before the task panicked.
    t.wait_for("Which vendor is the key for?", T);
    let code = assert_usable(&t, dir.path(), "panic in a task");
    assert_eq!(code, 101, "the app does not run on after a task panicked");
    assert!(t.capture_all().contains("BYOK_TEST_PANIC=task"));
}

#[test]
fn a_failing_aws_call_leaves_the_terminal_usable() {
    let moto = Moto::start();
    let p = Proxy::start(&moto.endpoint, Schedule::one("CreateKey", 1, Fault::Deny));
    let dir = TempDir::new("term-denied");
    let t = start(
        dir.path(),
        &env(dir.path(), &[]),
        &["--endpoint-url", &p.endpoint],
    );
    gearset_to_creating(&t);
    // The wizard shows the failure and offers to fix, re-run or quit.
    let screen = t.wait_for("run again", T);
    assert!(screen.contains("CreateKey"), "{screen}");
    t.keys(&["q"]);
    let code = assert_usable(&t, dir.path(), "a refused CreateKey");
    assert_ne!(code, 0);
    assert!(p.log().iter().any(|s| s.name() == "CreateKey"));
}

/// Stop while CreateKey is in flight (held 5 s by the proxy): byok waits for the call,
/// then exits, naming the key that now exists, and the terminal is usable.
fn stop_during_execution(how: &str) {
    let moto = Moto::start();
    let p = Proxy::start(
        &moto.endpoint,
        // Held for less than the 3 s a stop waits for the call in flight (a longer call is
        // reported as "may have been created": tests/one_key.rs).
        Schedule::one("CreateKey", 1, Fault::Delay(Duration::from_millis(1500))),
    );
    let dir = TempDir::new("term-stop");
    let t = start(
        dir.path(),
        &env(dir.path(), &[]),
        &["--endpoint-url", &p.endpoint],
    );
    gearset_to_creating(&t);
    // CreateKey is now held in the proxy.
    let t0 = std::time::Instant::now();
    while !p.log().iter().any(|s| s.name() == "CreateKey") {
        assert!(t0.elapsed() < T, "CreateKey never sent");
        std::thread::sleep(Duration::from_millis(50));
    }
    match how {
        "ctrl-c" => {
            // Ctrl-C asks first; yes stops after the call in flight; then quit.
            t.keys(&["C-c"]);
            t.wait_for("stop after this call", T);
            t.keys(&["y"]);
            t.wait_for("run again", T);
            t.keys(&["q"]);
        }
        _ => {
            let pid = byok_pid(&t);
            let ok = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .unwrap()
                .success();
            assert!(ok);
        }
    }
    let code = assert_usable(&t, dir.path(), how);
    assert_ne!(code, 0, "{how}: stopped, not completed");
    // The key the call in flight made is named on the way out and kept in the journal.
    let made: Vec<String> = p
        .log()
        .iter()
        .filter(|s| s.name() == "CreateKey" && s.upstream_status == Some(200))
        .filter_map(|s| {
            Some(
                s.upstream_json()?["KeyMetadata"]["Arn"]
                    .as_str()?
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(made.len(), 1, "{how}: the call in flight completed");
    let all = t.capture_all();
    assert!(
        all.contains(&made[0]),
        "{how}: {} not named:\n{all}",
        made[0]
    );
    assert!(
        all.contains("To finish, run the same setup again")
            && all.contains(&format!(
                "byok --endpoint-url {} create --vendor gearset --region us-west-2",
                p.endpoint
            )),
        "{how}: no command that finishes:\n{all}"
    );
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert!(journal.contains(&made[0]));
}

#[test]
fn ctrl_c_during_execution_leaves_the_terminal_usable() {
    stop_during_execution("ctrl-c");
}

#[test]
fn sigterm_during_execution_leaves_the_terminal_usable() {
    stop_during_execution("sigterm");
}

/// Stop while ReplicateKey is in flight, held by the proxy longer than byok waits for a call
/// in flight after a stop: the primary is listed, and the replica is reported as what it
/// is, a key that may have been created, with the command that finishes (which finds it).
#[test]
fn a_stop_during_replicate_key_says_the_replica_may_exist() {
    let moto = Moto::start();
    let p = Proxy::start(
        &moto.endpoint,
        Schedule::one("ReplicateKey", 1, Fault::Delay(Duration::from_secs(8))),
    );
    let dir = TempDir::new("term-stop-replica");
    let t = start(
        dir.path(),
        &env(dir.path(), &[]),
        &[
            "--endpoint-url",
            &p.endpoint,
            "--vendor",
            "camunda",
            "--principal",
            CAMUNDA_ROLE,
            "--regionality",
            "multi-region",
        ],
    );
    t.wait_for("Which vendor is the key for?", T);
    for (keys, wait) in [
        (&["Enter"][..], "Which AWS Region should hold the key?"),
        (&["Enter"][..], "Fixed: nothing to choose here."),
        (&["Enter"][..], "Name the key"),
        (&["Enter", "Enter", "Enter"][..], "(you)"),
        (&["Enter"][..], "Camunda tenant IAM role ARN?"),
        (&["Enter"][..], "One Region or two?"),
        (&["Enter"][..], "Rotate the key automatically?"),
        (&["Enter"][..], "Enter on an answer changes it"),
        (&["r"][..], "Creating your key"),
    ] {
        t.keys(keys);
        t.wait_for(wait, T);
    }
    let t0 = std::time::Instant::now();
    while !p.log().iter().any(|s| s.name() == "ReplicateKey") {
        assert!(t0.elapsed() < T, "ReplicateKey never sent");
        std::thread::sleep(Duration::from_millis(50));
    }
    t.keys(&["C-c"]);
    t.wait_for("stop after this call", T);
    t.keys(&["y"]);
    let stopped = t.wait_until("the stopped run", T, |s| {
        s.contains("may have been created")
    });
    let words = stopped.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("Replica key in Europe (London) eu-west-2 may have been created"),
        "{stopped}"
    );
    t.keys(&["q"]);
    let code = assert_usable(&t, dir.path(), "stop during ReplicateKey");
    assert_eq!(code, 130);
    let primary: Vec<String> = p
        .log()
        .iter()
        .filter(|s| s.name() == "CreateKey" && s.upstream_status == Some(200))
        .filter_map(|s| {
            Some(
                s.upstream_json()?["KeyMetadata"]["Arn"]
                    .as_str()?
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(primary.len(), 1);
    let all = t.capture_all();
    assert!(all.contains(&primary[0]), "the primary is listed:\n{all}");
    assert!(
        all.contains("Replica key in eu-west-2 may have been created"),
        "the replica is not forgotten:\n{all}"
    );
    assert!(
        all.contains("--regionality multi-region --replica-region eu-west-2"),
        "{all}"
    );
}

/// `byok status` on the terminal runs on the wizard's event loop: SIGTERM while it shows
/// restores the terminal and exits with the status of what was shown (the demo has broken
/// keys: 5), the summary line on stderr.
#[test]
fn sigterm_on_the_status_screen_leaves_the_terminal_usable() {
    let dir = TempDir::new("term-status");
    let t = start(
        dir.path(),
        &env(dir.path(), &[]),
        &["--demo", "status", "--output", "tui"],
    );
    t.wait_until("the demo keys loaded", T, |s| {
        s.contains("✗ 4") && !s.contains("loading") && s.contains("q quit")
    });
    t.keys(&["a"]);
    t.wait_for("Act on", T);
    let pid = byok_pid(&t);
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let code = assert_usable(&t, dir.path(), "sigterm on the status screen");
    assert_eq!(code, 5, "{}", t.capture_all());
    assert!(
        t.capture_all().contains("8 keys: 2 OK"),
        "{}",
        t.capture_all()
    );
}
