//! End to end in a real terminal: the byok binary inside tmux, driven by keystrokes exactly as
//! a user types them, one journey per test. The AWS journeys run against moto and check the
//! result through the AWS API; every journey checks that the terminal is restored afterwards.

mod common;
#[path = "common/tmux.rs"]
mod tmux;

use std::path::Path;
use std::time::Duration;

use common::*;
use serde_json::json;
use tmux::Tmux;

const BYOK: &str = env!("CARGO_BIN_EXE_byok");
const T: Duration = Duration::from_secs(15);
const W: u16 = 120;
const H: u16 = 40;

/// Run byok in a tmux pane the way a shell would, and record what the shell sees afterwards:
/// byok's stdout (as `ARN=$(byok)` would), its exit code (on the screen), and the terminal
/// modes (`stty -a`).
fn byok_in_tmux(out: &Path, env: &[(String, String)], args: &[&str]) -> Tmux {
    byok_in_tmux_sized(out, env, args, W, H)
}

fn byok_in_tmux_sized(
    out: &Path,
    env: &[(String, String)],
    args: &[&str],
    width: u16,
    height: u16,
) -> Tmux {
    let script = r#"out="$1"; shift
"$@" >"$out/stdout"
code=$?
stty -a >"$out/stty" 2>&1
echo "[byok exited with $code]"
exec sleep 60"#;
    let out = out.to_str().expect("utf-8 temp path");
    let mut argv = vec!["sh", "-c", script, "sh", out, BYOK];
    argv.extend_from_slice(args);
    // Files the wizard saves land in the test's own directory.
    let mut b = Tmux::new(width, height).cwd(Path::new(out));
    for (k, v) in env {
        b = b.env(k, v);
    }
    b.start(&argv)
}

/// The environment and arguments `Moto::byok` gives the binary: fake credentials, a private
/// HOME and state dir, and the moto endpoint.
fn moto_env(moto: &Moto, dir: &Path) -> (Vec<(String, String)>, Vec<String>) {
    let c = moto.byok(dir);
    let env = c
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_str()?.to_string(), v?.to_str()?.to_string())))
        .collect();
    let args = c
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    (env, args)
}

fn demo_env(dir: &Path) -> Vec<(String, String)> {
    let d = dir.to_string_lossy().into_owned();
    vec![("HOME".into(), d.clone()), ("BYOK_STATE_DIR".into(), d)]
}

/// An IAM role in moto's account, as the administrators list will offer it; its ARN.
async fn create_role(moto: &Moto, name: &str) -> String {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "x",
            None,
            None,
            "test",
        ))
        .build();
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Principal": { "AWS": format!("arn:aws:iam::{ACCOUNT}:root") }, "Action": "sts:AssumeRole" }]
    });
    let out = aws_sdk_iam::Client::from_conf(conf)
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("create an IAM role in moto");
    out.role().expect("role").arn().to_string()
}

/// The one file in `dir` whose name ends with `suffix`.
fn saved_file(dir: &Path, suffix: &str) -> String {
    let found: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "one *{suffix} saved in {}", dir.display());
    std::fs::read_to_string(found[0].path()).unwrap()
}

/// The key ARNs on a screen, in order.
fn arns_on(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|l| l.find("arn:aws:kms:").map(|i| &l[i..]))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

/// The colours a styled capture sets (SGR 30-37, 38, 40-47, 48, 90-97, 100-107); the
/// defaults (39, 49), bold and reverse are not colours.
fn colours_in(styled: &str) -> Vec<String> {
    let mut found = Vec::new();
    for seq in styled.split("\x1b[").skip(1) {
        let Some(end) = seq.find('m') else { continue };
        let params: Vec<u32> = seq[..end]
            .split(';')
            .filter_map(|p| p.parse().ok())
            .collect();
        if params
            .iter()
            .any(|p| matches!(p, 30..=38 | 40..=48 | 90..=97 | 100..=107))
        {
            found.push(seq[..end].to_string());
        }
    }
    found
}

/// After byok exited: the shell got a sane terminal back, and stdout held the ARNs.
fn assert_restored(t: &Tmux, out: &Path, arns: &[String]) {
    assert_restored_with(t, out, arns, 0);
}

/// As [`assert_restored`], with the exit status expected.
fn assert_restored_with(t: &Tmux, out: &Path, arns: &[String], code: i32) {
    // The shell stays in the pane (sleeping), so the pane's modes are still the ones byok
    // left behind.
    let screen = t.wait_for("[byok exited with", T);
    assert!(
        screen.contains(&format!("[byok exited with {code}]")),
        "{screen}"
    );
    let stty = std::fs::read_to_string(out.join("stty")).expect("stty -a output");
    let modes: Vec<&str> = stty.split([' ', ';', '\n']).collect();
    for m in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(modes.contains(&m), "terminal mode {m} not restored: {stty}");
    }
    assert_eq!(
        t.format("#{alternate_on}"),
        "0",
        "still on the alternate screen"
    );
    assert_eq!(t.format("#{cursor_flag}"), "1", "cursor still hidden");
    assert_eq!(
        t.format("#{mouse_any_flag}"),
        "0",
        "mouse reporting still on"
    );
    let stdout = std::fs::read_to_string(out.join("stdout")).expect("stdout file");
    let printed: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        printed, arns,
        "stdout must carry exactly the ARNs shown on the final screen"
    );
}

/// Walk Vendor .. Names with the defaults, from the vendor list position `vendor_down`.
fn vendor_to_admins(t: &Tmux, vendor_down: usize, region_down: usize) {
    t.wait_for("Which vendor is the key for?", T);
    assert_eq!(
        t.format("#{alternate_on}"),
        "1",
        "the wizard draws on the alternate screen"
    );
    for _ in 0..vendor_down {
        t.keys(&["Down"]);
    }
    t.keys(&["Enter"]);
    t.wait_for("Which AWS Region should hold the key?", T);
    for _ in 0..region_down {
        t.keys(&["Down"]);
    }
    t.keys(&["Enter"]);
    t.wait_for("Fixed: nothing to choose here.", T);
    t.keys(&["Enter"]);
    t.wait_for("Name the key", T);
    // Alias, description, tags: Enter moves through them and then on.
    t.keys(&["Enter", "Enter", "Enter"]);
    t.wait_for("Who may administer the key?", T);
}

/// From the review screen: create, wait for the done screen, return it.
fn create_and_finish(t: &Tmux) -> String {
    t.wait_for("Enter on an answer changes it", T);
    t.keys(&["r"]);
    t.wait_until("the done screen", Duration::from_secs(20), |s| {
        s.contains("are ready") || s.contains("is ready")
    })
}

/// `byok --demo`, Camunda with a Multi-Region key: the whole wizard, the replica's wait, a
/// copy to the clipboard (tmux's buffer, since it runs inside tmux), and quit.
#[test]
fn demo_camunda_multi_region_to_the_done_screen() {
    let dir = TempDir::new("tmux-demo");
    let t = byok_in_tmux(dir.path(), &demo_env(dir.path()), &["--demo"]);
    let first = t.wait_for("Which vendor is the key for?", T);
    assert!(first.contains("DEMO"), "the DEMO badge is shown: {first}");
    assert!(
        !colours_in(&t.capture_styled()).is_empty(),
        "in colour by default"
    );
    vendor_to_admins(&t, 0, 0);
    // The simulated caller (an SSO role) is offered first, under the cursor: select it.
    t.wait_for("› [ ] role  AWSReservedSSO_AdministratorAccess", T);
    t.keys(&["Space"]);
    t.wait_for("1 selected", T);
    t.keys(&["Enter"]);
    t.wait_for("Camunda tenant IAM role ARN?", T);
    t.type_text(CAMUNDA_ROLE).keys(&["Enter"]);
    t.wait_for("One Region or two?", T);
    t.keys(&["Down", "Enter"]);
    t.wait_for("Rotate the key automatically?", T);
    t.keys(&["Enter"]);
    let review = t.wait_for("Enter on an answer changes it", T);
    assert!(
        review.contains("Multi-Region primary key + replica"),
        "{review}"
    );
    t.keys(&["r"]);
    t.wait_for("Wait until the replica in eu-west-2 is Enabled", T);
    let done = t.wait_until("the done screen", Duration::from_secs(20), |s| {
        s.contains("are ready")
    });
    let arns = arns_on(&done);
    assert_eq!(arns.len(), 2, "{done}");
    assert!(
        arns[0].starts_with("arn:aws:kms:eu-west-1:111122223333:key/mrk-"),
        "{done}"
    );
    assert!(
        arns[1].starts_with("arn:aws:kms:eu-west-2:111122223333:key/mrk-"),
        "{done}"
    );

    // Copy the primary's ARN: inside tmux, byok uses tmux's own buffer.
    t.keys(&["1"]);
    t.wait_until("a note on how the ARN was copied", T, |s| {
        s.contains("tmux")
    });
    let buffer = std::process::Command::new("tmux")
        .args(["-L", t.socket(), "show-buffer"])
        .output()
        .expect("tmux show-buffer");
    assert_eq!(String::from_utf8_lossy(&buffer.stdout).trim(), arns[0]);

    t.keys(&["q"]);
    assert_restored(&t, dir.path(), &arns);
}

/// The status screen from the wizard's first screen says "q back" and q brings the wizard
/// back (Esc too, from F2); `byok status` on its own says "q quit" and q ends it.
#[test]
fn status_over_the_wizard_goes_back_and_on_its_own_quits() {
    let dir = TempDir::new("tmux-status-back");
    let t = byok_in_tmux(dir.path(), &demo_env(dir.path()), &["--demo"]);
    t.wait_for("Which vendor is the key for?", T);
    // The built-in list filters as you type, so S is a letter there: F2 opens the status.
    t.keys(&["F2"]);
    let status = t.wait_for("· key status", T);
    let footer = status.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert!(footer.contains("q back"), "{status}");
    assert!(!footer.contains("quit"), "{status}");
    // The demo's keys, as `byok --demo status` shows them below.
    t.wait_until("the demo keys, over the wizard", T, |s| {
        s.contains("✗ 4") && s.contains("camunda-staging-byok") && !s.contains("loading")
    });
    t.keys(&["q"]);
    let wizard = t.wait_for("Which vendor is the key for?", T);
    assert!(!t.exited() && !wizard.contains("[byok exited"), "{wizard}");
    t.keys(&["F2"]);
    t.wait_for("· key status", T);
    t.keys(&["Escape"]);
    t.wait_for("Which vendor is the key for?", T);
    // The wizard's own ^C quits: interrupted, nothing created (130, as the README says).
    t.keys(&["C-c"]);
    assert_restored_with(&t, dir.path(), &[], 130);

    let dir = TempDir::new("tmux-status-quit");
    // (stdout goes to a file here, so the screen is asked for.)
    let t = byok_in_tmux(
        dir.path(),
        &demo_env(dir.path()),
        &["--demo", "status", "--output", "tui"],
    );
    let status = t.wait_for(" q quit", T);
    assert!(!status.contains("q back"), "{status}");
    // The demo has keys in every state: once they are in, the exit status says a key is
    // broken.
    t.wait_until("the demo keys loaded", T, |s| {
        s.contains("✗ 4") && !s.contains("loading")
    });
    t.keys(&["q"]);
    let after = t.wait_for("[byok exited with", T);
    assert!(after.contains("[byok exited with 5]"), "{after}");
}

/// `byok --demo` for Gearset on an 80x24 terminal: the policy is a key press away instead of
/// beside the form, a resize to 120x40 puts it beside the form, and back; the run completes.
#[test]
fn demo_gearset_on_a_small_terminal_that_is_resized() {
    let dir = TempDir::new("tmux-small");
    let mut t = byok_in_tmux_sized(dir.path(), &demo_env(dir.path()), &["--demo"], 80, 24);
    let first = t.wait_for("Which vendor is the key for?", T);
    assert!(
        !first.contains("Key policy"),
        "no room for the policy at 80x24: {first}"
    );
    assert!(first.contains("^P policy"), "the footer offers it: {first}");
    t.keys(&["C-p"]);
    let policy = t.wait_for("Key policy", T);
    assert!(policy.contains("\"kms:Encrypt\""), "{policy}");
    t.keys(&["C-p"]);
    t.wait_until("the form again", T, |s| {
        s.contains("Which vendor is the key for?") && !s.contains("Key policy")
    });

    t.resize(120, 40);
    t.wait_until("the policy beside the form", T, |s| {
        s.contains("Which vendor is the key for?") && s.contains("Key policy")
    });
    t.resize(80, 24);
    t.wait_until("the form alone again", T, |s| {
        s.contains("Which vendor is the key for?") && !s.contains("Key policy")
    });

    t.keys(&["Down", "Enter"]);
    t.wait_for("Which AWS Region should hold the key?", T);
    t.keys(&["Enter"]);
    t.wait_for("Fixed: nothing to choose here.", T);
    t.keys(&["Enter"]);
    t.wait_for("Name the key", T);
    t.keys(&["Enter", "Enter", "Enter"]);
    t.wait_for("Who may administer the key?", T);
    t.keys(&["Enter"]);
    let access = t.wait_for("Gearset gets access through its AWS account", T);
    assert!(
        access.contains("347752291521"),
        "Ireland's Gearset account: {access}"
    );
    t.keys(&["Enter"]);
    t.wait_for("Rotate the key automatically?", T);
    t.keys(&["Enter"]);
    let done = create_and_finish(&t);
    assert!(
        done.contains("Send the key ARN"),
        "the vendor's next step: {done}"
    );
    // One key: named as the key, not as the primary of a set that has no replica.
    assert!(done.contains(" Key · Europe (Ireland)"), "{done}");
    assert!(
        !done.contains("Primary") && !done.contains("primary"),
        "{done}"
    );
    // Its ID is shaped as KMS's: a UUID.
    let id = arns_on(&done)[0].rsplit('/').next().unwrap().to_string();
    let parts: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(parts, vec![8, 4, 4, 4, 12], "{id}");
    t.keys(&["q"]);
    let stdout = {
        t.wait_for("[byok exited with", T);
        std::fs::read_to_string(dir.path().join("stdout")).unwrap()
    };
    let arns: Vec<String> = stdout.lines().map(str::to_string).collect();
    assert_eq!(arns.len(), 1, "{stdout}");
    assert!(
        arns[0].starts_with("arn:aws:kms:eu-west-1:111122223333:key/"),
        "{stdout}"
    );
    assert_restored(&t, dir.path(), &arns);
}

/// NO_COLOR: not one colour on the screen, yet the focus and a validation error still show,
/// by symbols.
#[test]
fn no_color_is_monochrome_and_focus_and_errors_still_show() {
    let dir = TempDir::new("tmux-mono");
    let mut env = demo_env(dir.path());
    env.push(("NO_COLOR".into(), "1".into()));
    let t = byok_in_tmux(dir.path(), &env, &["--demo"]);
    let first = t.wait_for("Which vendor is the key for?", T);
    assert!(
        first.contains("› (•) Camunda SaaS"),
        "focus by symbol: {first}"
    );
    let colours = colours_in(&t.capture_styled());
    assert!(colours.is_empty(), "colours under NO_COLOR: {colours:?}");

    vendor_to_admins(&t, 0, 0);
    t.keys(&["Enter"]);
    t.wait_for("Camunda tenant IAM role ARN?", T);
    // Nothing typed: Enter is refused, with the field named and a symbol, not a colour.
    t.keys(&["Enter"]);
    let refused = t.wait_until("a validation message", T, |s| {
        s.lines().any(|l| l.trim_start().starts_with("! "))
    });
    assert!(
        refused.contains("Camunda tenant IAM role ARN?"),
        "still on the step: {refused}"
    );
    let message = refused
        .lines()
        .find(|l| l.trim_start().starts_with("! "))
        .unwrap();
    assert!(
        message.contains("Vendor principal"),
        "the message names the field: {message}"
    );
    let colours = colours_in(&t.capture_styled());
    assert!(colours.is_empty(), "colours under NO_COLOR: {colours:?}");
    t.keys(&["C-c"]);
    assert_restored_with(&t, dir.path(), &[], 130);
}

/// Camunda, Multi-Region primary + replica, against a real KMS API (moto): the tenant role is
/// pasted, and the ARNs on the final screen are the keys that exist, with Camunda's policy in
/// both Regions.
#[tokio::test]
async fn camunda_multi_region_against_kms() {
    let moto = Moto::start();
    let dir = TempDir::new("tmux-camunda");
    let (env, args) = moto_env(&moto, dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let t = byok_in_tmux(dir.path(), &env, &args);
    vendor_to_admins(&t, 0, 0);
    t.wait_for("(you)", T);
    t.keys(&["Enter"]);
    t.wait_for("Camunda tenant IAM role ARN?", T);
    t.paste(CAMUNDA_ROLE);
    t.wait_for(CAMUNDA_ROLE, T);
    t.keys(&["Enter"]);
    t.wait_for("One Region or two?", T);
    t.keys(&["Down", "Enter"]);
    t.wait_for("Rotate the key automatically?", T);
    t.keys(&["Enter"]);
    // Save the policy from the review, as a user would for a change ticket.
    t.wait_for("Enter on an answer changes it", T);
    t.keys(&["s"]);
    t.wait_for("Saved to", T);
    let saved: serde_json::Value = serde_json::from_str(&saved_file(dir.path(), "-policy.json"))
        .expect("saved policy is JSON");
    let done = create_and_finish(&t);
    let arns = arns_on(&done);
    assert_eq!(arns.len(), 2, "{done}");
    t.keys(&["q"]);
    assert_restored(&t, dir.path(), &arns);

    let expected: serde_json::Value =
        serde_json::from_str(include_str!("golden/camunda-single.json")).unwrap();
    for (arn, region) in arns.iter().zip(["eu-west-1", "eu-west-2"]) {
        let kms = moto.kms(region).await;
        let keys = live_key_ids(&kms).await;
        assert_eq!(keys.len(), 1, "one key in {region}: {keys:?}");
        assert_eq!(
            *arn,
            format!("arn:aws:kms:{region}:{ACCOUNT}:key/{}", keys[0]),
            "the ARN on the screen is the key in {region}"
        );
        assert!(
            keys[0].starts_with("mrk-"),
            "a Multi-Region key: {}",
            keys[0]
        );
        assert_eq!(
            alias_target(&kms, "alias/camunda-saas-byok")
                .await
                .as_deref(),
            Some(keys[0].as_str()),
            "alias in {region}"
        );
        let applied = policy_of(&kms, &keys[0]).await;
        assert_eq!(applied, expected, "policy in {region}");
        assert_eq!(
            applied, saved,
            "the policy saved from the review is the one applied"
        );
        let tags = tags_of(&kms, &keys[0]).await;
        assert!(
            tags.contains(&("byok:vendor".into(), "camunda".into())),
            "tags in {region}: {tags:?}"
        );
        let d = kms.describe_key().key_id(&keys[0]).send().await.unwrap();
        assert_eq!(
            d.key_metadata().unwrap().key_state().unwrap().as_str(),
            "Enabled"
        );
    }
    let primary = moto.kms("eu-west-1").await;
    let rot = primary
        .get_key_rotation_status()
        .key_id(&arns[0])
        .send()
        .await
        .unwrap();
    // (moto does not report the rotation period; the unit tests of the plan cover it.)
    assert!(rot.key_rotation_enabled());
}

/// Gearset in US West (Oregon), single Region, against moto: the signed-in user chosen as the
/// administrator who may delete the key; the key that exists carries exactly the policy the
/// AWS console would have written for Gearset's Oregon account.
#[tokio::test]
async fn gearset_single_region_against_kms() {
    let moto = Moto::start();
    let dir = TempDir::new("tmux-gearset");
    let (env, args) = moto_env(&moto, dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let admin = create_role(&moto, "KeyAdmin").await;
    let t = byok_in_tmux(dir.path(), &env, &args);
    // Gearset is second; US West (Oregon) is its second Region.
    vendor_to_admins(&t, 1, 1);
    // Search the account's IAM roles, select the one found, then tick "may delete" above.
    t.wait_for("[ ] role  KeyAdmin", T);
    t.type_text("keyadm");
    t.wait_for("› [ ] role  KeyAdmin", T);
    // While searching, Enter selects the match (Space would be part of the search).
    t.keys(&["Enter"]);
    t.wait_for("1 selected", T);
    t.keys(&["Up", "Space"]);
    t.wait_for("[x] They may also delete the key", T);
    t.keys(&["Enter"]);
    let access = t.wait_for("Gearset gets access through its AWS account", T);
    assert!(access.contains("157764733222"), "{access}");
    t.keys(&["Enter"]);
    t.wait_for("Rotate the key automatically?", T);
    t.keys(&["Enter"]);
    let done = create_and_finish(&t);
    let arns = arns_on(&done);
    assert_eq!(arns.len(), 1, "{done}");
    t.keys(&["s"]);
    t.wait_for("Saved to", T);
    let saved = saved_file(dir.path(), "-arns.txt");
    assert!(
        saved.contains(&arns[0]) && saved.contains("us-west-2"),
        "{saved}"
    );
    t.keys(&["q"]);
    assert_restored(&t, dir.path(), &arns);

    let kms = moto.kms("us-west-2").await;
    let keys = live_key_ids(&kms).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(
        arns[0],
        format!("arn:aws:kms:us-west-2:{ACCOUNT}:key/{}", keys[0])
    );
    assert_eq!(
        alias_target(&kms, "alias/gearset-backup-byok")
            .await
            .as_deref(),
        Some(keys[0].as_str())
    );
    let gearset = "arn:aws:iam::157764733222:root";
    let expected = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": { "AWS": format!("arn:aws:iam::{ACCOUNT}:root") },
                "Action": "kms:*",
                "Resource": "*"
            },
            {
                "Sid": "Allow access for Key Administrators",
                "Effect": "Allow",
                "Principal": { "AWS": [admin] },
                "Action": [
                    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                    "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                    "kms:TagResource", "kms:UntagResource", "kms:RotateKeyOnDemand",
                    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"
                ],
                "Resource": "*"
            },
            {
                "Sid": "Allow use of the key",
                "Effect": "Allow",
                "Principal": { "AWS": gearset },
                "Action": [
                    "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                    "kms:DescribeKey"
                ],
                "Resource": "*"
            },
            {
                "Sid": "Allow attachment of persistent resources",
                "Effect": "Allow",
                "Principal": { "AWS": gearset },
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": { "Bool": { "kms:GrantIsForAWSResource": "true" } }
            }
        ]
    });
    assert_eq!(policy_of(&kms, &keys[0]).await, expected);
    let d = kms.describe_key().key_id(&keys[0]).send().await.unwrap();
    let meta = d.key_metadata().unwrap();
    assert_eq!(meta.multi_region(), Some(false));
    assert_eq!(meta.key_spec().unwrap().as_str(), "SYMMETRIC_DEFAULT");
    assert_eq!(meta.key_usage().unwrap().as_str(), "ENCRYPT_DECRYPT");
    let rot = kms
        .get_key_rotation_status()
        .key_id(&keys[0])
        .send()
        .await
        .unwrap();
    assert!(rot.key_rotation_enabled());
}

/// `byok create` without --yes, in a terminal: shows the plan and asks; "n" changes nothing.
#[test]
fn create_asks_before_changing_anything() {
    let dir = TempDir::new("tmux-ask");
    let t = Tmux::new(100, 30)
        .env("HOME", dir.path())
        .env("BYOK_STATE_DIR", dir.path())
        // The shell prints the exit status on the screen: tmux 3.3 can mark the pane dead
        // without ever reporting the status of a program that exits this quickly.
        .start(&[
            "sh",
            "-c",
            r#""$@"; echo "[byok exited with $?]"; exec sleep 60"#,
            "sh",
            BYOK,
            "--demo",
            "create",
            "--vendor",
            "gearset",
            "--region",
            "us-west-2",
        ]);
    t.wait_for("Create it? [y/N]", T);
    t.type_text("n").keys(&["Enter"]);
    let screen = t.wait_for("[byok exited with", T);
    assert!(screen.contains("[byok exited with 0]"), "{screen}");
    let all = t.capture_all();
    assert!(all.contains("Nothing was changed."), "{all}");
    assert!(
        all.contains("arn:aws:iam::157764733222:root"),
        "the Gearset account of us-west-2 is in the policy: {all}"
    );
}

/// The words on a screen, across its line breaks.
fn words(screen: &str) -> String {
    screen.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The words of the form, left of the policy beside it, across line breaks.
fn form_words(screen: &str) -> String {
    words(
        &screen
            .lines()
            .map(|l| l.split(['│', '╭', '╰']).next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The rows of a screen that show an error message ("! ...").
fn message_on(screen: &str) -> String {
    let rows: Vec<&str> = screen.lines().collect();
    let Some(i) = rows.iter().position(|l| l.trim_start().starts_with("! ")) else {
        return String::new();
    };
    rows[i..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `byok --demo`, another vendor: each answer that can only fail later is refused on its own
/// step, in the step's own terms: an administrator in another account than the one signed
/// in, "may delete" with no administrator, the vendor principal as your own account or as
/// one of your administrators. Space in a text field is text (a search, a pasted number);
/// pasted quotes and commas go. The second Region is a list, and leaving before anything was
/// created is an interruption (130), with nothing on stdout.
#[test]
fn demo_answers_are_checked_on_their_own_step() {
    let dir = TempDir::new("tmux-own-step");
    let t = byok_in_tmux(dir.path(), &demo_env(dir.path()), &["--demo"]);
    t.wait_for("Which vendor is the key for?", T);
    t.type_text("other");
    // The vendor's link, whole on one row (the form is narrower than it).
    let url = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html";
    let vendor = t.wait_for("› (•) Other vendor", T);
    assert!(vendor.lines().any(|l| l.trim() == url), "{vendor}");
    t.keys(&["Enter"]);
    t.wait_for("Which AWS Region should hold the key?", T);
    // A typo is refused naming the nearest Region, with nothing about files byok does not ship.
    t.type_text("eu-wset-1").keys(&["Enter"]);
    let refused = t.wait_for("did you mean eu-west-1?", T);
    assert!(!message_on(&refused).contains("assets/"), "{refused}");
    t.keys(&["C-u"]);
    t.type_text("eu-west-1");
    t.wait_for("› (•) Europe (Ireland) eu-west-1", T);
    t.keys(&["Enter"]);
    t.wait_for("Fixed: nothing to choose here.", T);
    t.keys(&["Enter"]);
    t.wait_for("Name the key", T);
    t.keys(&["Enter", "Enter", "Enter"]);
    t.wait_for("Who may administer the key?", T);
    t.wait_for("(you)", T);

    // An administrator in another account than the one signed in (the header's).
    t.paste("arn:aws:iam::999999999999:role/Outsider");
    t.keys(&["Enter"]);
    let refused = t.wait_until("the administrator refused", T, |s| {
        message_on(s).contains("signed in to account 111122223333")
    });
    assert!(refused.contains("0 selected"), "{refused}");
    assert!(!refused.contains("ARN   Outsider"), "not listed: {refused}");
    t.keys(&["C-u"]);

    // "May delete" with no administrator: said as the screen says it.
    t.keys(&["Up", "Space"]);
    t.wait_for("[x] They may also delete the key", T);
    t.keys(&["Enter"]);
    let refused = t.wait_until("may delete refused", T, |s| {
        message_on(s).contains("needs at least one administrator")
    });
    let m = message_on(&refused);
    assert!(m.contains("They may also delete the key"), "{m}");
    assert!(!m.contains("--"), "no flags in the wizard: {m}");
    t.keys(&["Space"]);
    t.wait_for("[ ] They may also delete the key", T);

    // A search with a space in it: the spaces are the search's, Enter selects the match.
    t.keys(&["Down"]);
    t.type_text("key admin");
    let searching = t.wait_for("› [ ] role  KeyAdministrators", T);
    assert!(
        searching.contains("[ ] They may also delete the key") && searching.contains("0 selected"),
        "a space toggled something: {searching}"
    );
    t.keys(&["Enter"]);
    t.wait_for("1 selected", T);
    t.keys(&["Enter"]);

    // The vendor principal: your own account, then one of your administrators (pasted from a
    // JSON document, with its quotes and comma), then the vendor's.
    t.wait_for("Vendor AWS account ID or IAM role ARN?", T);
    t.type_text("111122223333").keys(&["Enter"]);
    let refused = t.wait_until("own account refused", T, |s| {
        message_on(s).contains("your own account 111122223333")
    });
    assert!(
        refused.contains("Vendor AWS account ID or IAM role ARN?"),
        "{refused}"
    );
    t.keys(&["C-u"]);
    t.paste("\"arn:aws:iam::111122223333:role/KeyAdministrators\",");
    let pasted = t.wait_for("Pasted without the quotes", T);
    assert!(
        pasted.contains("ARN  arn:aws:iam::111122223333:role/KeyAdministrators "),
        "{pasted}"
    );
    assert!(!pasted.contains("KeyAdministrators\""), "{pasted}");
    t.keys(&["Enter"]);
    t.wait_until("an administrator refused as the vendor", T, |s| {
        message_on(s).contains("is one of the key's administrators")
    });
    t.keys(&["C-u"]);
    t.type_text("210987654321").keys(&["Enter"]);

    // Two Regions: the help and the recommendation agree; the second Region is a list.
    let regions = t.wait_for("One Region or more?", T);
    assert!(!regions.contains("Only if your vendor asks"), "{regions}");
    t.keys(&["Down", "Enter"]);
    let second = t.wait_for("› (•) Europe (London) eu-west-2", T);
    assert!(second.contains("Second Region"), "{second}");
    t.keys(&["Enter"]);

    // " 180" arriving as keys (a paste the terminal does not bracket): rotation stays on.
    t.wait_for("Rotate the key automatically?", T);
    t.keys(&["C-u"]);
    t.type_text(" 180");
    // Both on screen: the check waits for the last key typed to be drawn.
    t.wait_until("rotation on, 180 days", T, |s| {
        s.contains("[x] Automatic rotation") && s.contains(" 180")
    });
    t.keys(&["Enter"]);
    let review = t.wait_for("Enter on an answer changes it", T);
    assert!(review.contains("automatic, every 180 days"), "{review}");
    assert!(review.contains("eu-west-2"), "{review}");

    // Leaving now: nothing was created, interrupted, nothing on stdout.
    t.keys(&["C-c"]);
    assert_restored_with(&t, dir.path(), &[], 130);
}

/// Walk the demo wizard from flags (Camunda, Multi-Region) to its run, and wait until the
/// replica is being waited for (the demo replica is Creating for a few seconds).
fn demo_to_replica_wait(t: &Tmux) {
    demo_flags_to_review(t);
    t.keys(&["r"]);
    // The replica made, and waited for.
    t.wait_until("the replica's wait under way", T, |s| {
        s.lines()
            .any(|l| l.trim_start().starts_with("✓") && l.contains("Replicate it to eu-west-2"))
    });
}

/// From the first screen to the review, every answer from the flags (Camunda, Multi-Region).
fn demo_flags_to_review(t: &Tmux) {
    t.wait_for("Which vendor is the key for?", T);
    for (after, wait) in [
        ("Enter", "Which AWS Region should hold the key?"),
        ("Enter", "Fixed: nothing to choose here."),
        ("Enter", "Name the key"),
    ] {
        t.keys(&[after]);
        t.wait_for(wait, T);
    }
    t.keys(&["Enter", "Enter", "Enter"]);
    t.wait_for("(you)", T);
    for (after, wait) in [
        ("Enter", "Camunda tenant IAM role ARN?"),
        ("Enter", "One Region or two?"),
        ("Enter", "Rotate the key automatically?"),
        ("Enter", "Enter on an answer changes it"),
    ] {
        t.keys(&[after]);
        t.wait_for(wait, T);
    }
}

const SPINNER_FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Ctrl-C while the replica is awaited: y stops after the call in flight; the stopped
/// screen spins no more, lists what exists and gives the `byok create` command that
/// finishes; quitting says the same on the way out, exit 130.
#[test]
fn demo_a_stopped_run_gives_the_command_that_finishes_it() {
    let dir = TempDir::new("tmux-stopped");
    let t = byok_in_tmux(
        dir.path(),
        &demo_env(dir.path()),
        &[
            "--demo",
            "--vendor",
            "camunda",
            "--principal",
            CAMUNDA_ROLE,
            "--regionality",
            "multi-region",
        ],
    );
    demo_to_replica_wait(&t);
    t.keys(&["C-c"]);
    t.wait_for("stop after this call", T);
    t.keys(&["y"]);
    let stopped = t.wait_for("Press r to finish here", T);
    // Still the same frame a moment later: nothing spins on a stopped run.
    std::thread::sleep(Duration::from_millis(300));
    let later = t.capture();
    assert_eq!(stopped, later, "the stopped screen still changes");
    assert!(
        !SPINNER_FRAMES.iter().any(|f| later.contains(f)),
        "a spinner on the stopped screen: {later}"
    );
    assert!(later.contains("stopped"), "the step under way: {later}");
    assert!(later.contains("Primary key in Europe (Ireland)"), "{later}");
    let words = later.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("byok --demo create --vendor camunda --region eu-west-1 --principal"),
        "{later}"
    );
    t.keys(&["q"]);
    assert_restored_with(&t, dir.path(), &[], 130);
    let all = t.capture_all();
    assert!(all.contains("What exists now:"), "{all}");
    assert!(
        all.contains("byok --demo create --vendor camunda --region eu-west-1"),
        "the command that finishes, on the way out: {all}"
    );
}

/// At "Stop after the call in flight?", a second Ctrl-C stops and quits (as the README says
/// of the second Ctrl-C), exit 130, naming what exists.
#[test]
fn demo_a_second_ctrl_c_quits() {
    let dir = TempDir::new("tmux-second-ctrl-c");
    let t = byok_in_tmux(
        dir.path(),
        &demo_env(dir.path()),
        &[
            "--demo",
            "--vendor",
            "camunda",
            "--principal",
            CAMUNDA_ROLE,
            "--regionality",
            "multi-region",
        ],
    );
    demo_to_replica_wait(&t);
    t.keys(&["C-c"]);
    t.wait_for("stop after this call", T);
    t.keys(&["C-c"]);
    assert_restored_with(&t, dir.path(), &[], 130);
    let all = t.capture_all();
    assert!(all.contains("byok stopped."), "{all}");
    assert!(
        all.contains("arn:aws:kms:eu-west-1:111122223333:key/mrk-"),
        "{all}"
    );
    assert!(all.contains("byok --demo create --vendor camunda"), "{all}");
}

/// Small terminals: at the minimum (60x20) the header keeps the vendor and the account
/// apart, names cut short end in "…", and the Done screen keeps each ARN whole with nothing
/// beside it, the vendor's next step and the footer; below the minimum the wizard says so,
/// and comes back when the terminal grows.
#[test]
fn demo_small_terminals() {
    let dir = TempDir::new("tmux-tiny");
    let mut t = byok_in_tmux_sized(
        dir.path(),
        &demo_env(dir.path()),
        &[
            "--demo",
            "--vendor",
            "camunda",
            "--principal",
            CAMUNDA_ROLE,
            "--regionality",
            "multi-region",
        ],
        60,
        20,
    );
    t.wait_for("Which vendor is the key for?", T);
    t.wait_for("account 111122223333", T);
    t.keys(&["Enter"]);
    let region = t.wait_for("Which AWS Region should hold the key?", T);
    let header = region.lines().next().unwrap();
    let (left, right) = header.split_once("account 111122223333").expect(header);
    assert!(
        left.ends_with("  "),
        "the header runs into the account: {header:?}"
    );
    assert!(right.contains("DEMO"), "{header:?}");

    t.resize(40, 12);
    t.wait_until("the minimum size said", T, |s| {
        words(s).contains("byok needs at least 60x20; this terminal is 40x12.")
    });
    t.resize(60, 20);
    t.wait_for("Which AWS Region should hold the key?", T);

    t.keys(&["Enter"]);
    t.wait_for("Fixed: nothing to choose here.", T);
    t.keys(&["Enter"]);
    t.wait_for("Name the key", T);
    t.keys(&["Enter", "Enter", "Enter"]);
    let admins = t.wait_for("(you)", T);
    let me = admins.lines().find(|l| l.contains("(you)")).unwrap();
    assert!(
        me.contains("AWSReservedSSO_AdministratorAccess_012…  (you)"),
        "{me:?}"
    );
    for (after, wait) in [
        ("Enter", "Camunda tenant IAM role ARN?"),
        ("Enter", "One Region or two?"),
        ("Enter", "Rotate the key automatically?"),
        ("Enter", "Enter on an answer changes it"),
    ] {
        t.keys(&[after]);
        t.wait_for(wait, T);
    }
    // The review scrolls to what is focused: down to the Create button.
    for _ in 0..12 {
        t.keys(&["Down"]);
    }
    t.wait_for("› [ Create the keys ]", T);
    t.keys(&["r"]);
    let done = t.wait_until("the done screen", Duration::from_secs(20), |s| {
        s.contains("are ready")
    });
    let rows: Vec<&str> = done.lines().collect();
    assert!(done.contains("Paste the key ARN"), "the next step: {done}");
    assert!(
        rows.last().unwrap().contains("q quit") || rows.iter().rev().any(|l| l.contains("q quit")),
        "{done}"
    );
    // Each ARN: on rows of its own, no border in them.
    let starts: Vec<usize> = (0..rows.len())
        .filter(|i| rows[*i].starts_with("arn:aws:kms:"))
        .collect();
    assert_eq!(starts.len(), 2, "{done}");
    let mut shown = Vec::new();
    for i in starts {
        assert!(
            !rows[i].contains('│') && !rows[i + 1].contains('│'),
            "{done}"
        );
        shown.push(format!("{}{}", rows[i], rows[i + 1].trim_end()));
    }
    t.keys(&["q"]);
    let stdout = {
        t.wait_for("[byok exited with", T);
        std::fs::read_to_string(dir.path().join("stdout")).unwrap()
    };
    let printed: Vec<String> = stdout.lines().map(str::to_string).collect();
    assert_eq!(shown, printed, "each ARN whole on the screen");
}

/// Not signed in, and why, on the first screen: a profile that does not exist (named by
/// AWS_PROFILE or --profile) is said to be missing; a credential_process that fails is said
/// to fail, with what it said. Neither sends the user to `aws sso login`.
#[test]
fn sign_in_problems_are_explained_on_the_first_screen() {
    let dir = TempDir::new("tmux-no-profile");
    let d = dir.path().to_string_lossy().into_owned();
    let base = vec![
        ("HOME".to_string(), d.clone()),
        ("BYOK_STATE_DIR".to_string(), d.clone()),
        ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
        ("AWS_CONFIG_FILE".to_string(), format!("{d}/config")),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_string(),
            format!("{d}/credentials"),
        ),
    ];
    std::fs::write(
        dir.path().join("config"),
        "[profile broken]\ncredential_process = sh -c \"echo token service unreachable >&2; exit 3\"\nregion = eu-west-1\n",
    )
    .unwrap();
    let words = form_words;

    let mut env = base.clone();
    env.push(("AWS_PROFILE".into(), "nonexistent".into()));
    let t = byok_in_tmux(dir.path(), &env, &[]);
    let first = t.wait_until("the sign-in problem", T, |s| {
        words(s).contains("is not defined in")
    });
    let w = words(&first);
    assert!(first.contains("Which vendor is the key for?"), "{first}");
    assert!(
        w.contains("Not signed in: The AWS profile \"nonexistent\" is not defined"),
        "{first}"
    );
    assert!(w.contains("the profiles there are broken"), "{first}");
    assert!(!w.contains("sso login"), "{first}");
    t.keys(&["C-c"]);
    t.wait_for("[byok exited with 130]", T);

    let t = byok_in_tmux(dir.path(), &base, &["--profile", "nosuch"]);
    let first = t.wait_until("the sign-in problem", T, |s| {
        words(s).contains("is not defined in")
    });
    assert!(
        words(&first).contains("The AWS profile \"nosuch\""),
        "{first}"
    );
    t.keys(&["C-c"]);
    t.wait_for("[byok exited with 130]", T);

    let t = byok_in_tmux(dir.path(), &base, &["--profile", "broken"]);
    let first = t.wait_until("the sign-in problem", T, |s| {
        words(s).contains("credential_process")
    });
    let w = words(&first);
    assert!(w.contains("token service unreachable"), "{first}");
    assert!(!w.contains("sso login"), "{first}");
    t.keys(&["C-c"]);
    t.wait_for("[byok exited with 130]", T);
}

/// The status screen over the wizard speaks in its own terms: with no keys, nothing about
/// flags the wizard does not take.
#[test]
fn status_over_the_wizard_with_no_keys() {
    let moto = Moto::start();
    let dir = TempDir::new("tmux-status-empty");
    let (env, args) = moto_env(&moto, dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let t = byok_in_tmux(dir.path(), &env, &args);
    t.wait_for("Which vendor is the key for?", T);
    t.wait_for("account 123456789012", T);
    t.keys(&["F2"]);
    let status = t.wait_until("the keys looked for", Duration::from_secs(30), |s| {
        s.contains("No byok keys found")
    });
    assert!(!status.contains("--key"), "{status}");
    t.keys(&["q"]);
    t.wait_for("Which vendor is the key for?", T);
    t.keys(&["C-c"]);
    assert_restored_with(&t, dir.path(), &[], 130);
}

/// `byok --demo`, Confluent (two phases): the first screen names the demo's key that waits
/// for Confluent's roles; the wizard asks for no principal and makes the key; the Done screen
/// says phase one of two, takes the role ARNs Confluent returned (pasted), shows the grant's
/// plan and sends it on y; quitting prints the key ARN.
#[test]
fn demo_confluent_two_phases_on_the_done_screen() {
    let dir = TempDir::new("tmux-two-phase");
    let t = byok_in_tmux(
        dir.path(),
        &demo_env(dir.path()),
        &["--demo", "--vendor", "confluent", "--region", "eu-west-1"],
    );
    let first = t.wait_for("Which vendor is the key for?", T);
    assert!(first.contains("Phase two?"), "{first}");
    t.keys(&["Enter"]);
    t.wait_for("Which AWS Region should hold the key?", T);
    // Every other answer has its default: Enter to the review (no principal is asked).
    let mut seen_access = false;
    for _ in 0..12 {
        let s = t.capture();
        if s.contains("Enter on an answer changes it") {
            break;
        }
        seen_access |= s.contains("names its access after you register the key");
        t.keys(&["Enter"]);
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(seen_access, "the access step explains the two phases");
    t.wait_for("Enter on an answer changes it", T);
    t.keys(&["r"]);
    let done = t.wait_for("phase one of two", Duration::from_secs(20));
    // The key's frame, then phase two's command on the same key.
    let on_screen = arns_on(&done);
    assert_eq!(on_screen.len(), 2, "{done}");
    assert_eq!(on_screen[0], on_screen[1], "{done}");
    let arns = vec![on_screen[0].clone()];
    t.keys(&["p"]);
    t.wait_for("Phase two: paste what Confluent Cloud gave you", T);
    t.paste(
        "\"arn:aws:iam::665544332211:role/confluent-byok-1\", \"arn:aws:iam::665544332211:role/confluent-byok-2\"",
    );
    t.keys(&["Enter"]);
    let plan = t.wait_for("nothing is sent until y", T);
    assert!(plan.contains("PutKeyPolicy"), "{plan}");
    t.keys(&["y"]);
    t.wait_for("Granted", T);
    t.keys(&["q"]);
    assert_restored(&t, dir.path(), &arns);
}
