//! The command line without AWS: `plan`, `policy`, `--version`, `--vendor-file`, missing
//! answers, and `create` refusing to run unattended without `--yes`. Where a command must
//! not reach AWS, its endpoint is a listener that must see no connection.

mod common;
use common::*;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// byok with no AWS credentials or endpoint, a private HOME and state dir.
fn byok(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_byok"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("BYOK_STATE_DIR", dir)
        .stdin(Stdio::null());
    c
}

/// An endpoint nobody answers; `assert_untouched` proves no request went there.
struct Nobody {
    listener: TcpListener,
    url: String,
}

impl Nobody {
    fn new() -> Nobody {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        Nobody { listener, url }
    }

    #[track_caller]
    fn assert_untouched(&self) {
        self.listener.set_nonblocking(true).unwrap();
        match self.listener.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Ok((_, peer)) => panic!("a request reached the endpoint from {peer}"),
            Err(e) => panic!("{e}"),
        }
    }
}

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

fn golden_text(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/golden").join(name)).unwrap()
}

const CAMUNDA: &[&str] = &["--vendor", "camunda", "--principal", CAMUNDA_ROLE];

#[test]
fn plan_as_text_names_every_step_and_its_api_calls() {
    let dir = TempDir::new("plan-text");
    let nobody = Nobody::new();
    let out = run(byok(dir.path())
        .args(["--endpoint-url", &nobody.url, "plan"])
        .args(CAMUNDA)
        .args(["--regionality", "multi-region"]));
    assert_exit(&out, 0);
    let text = stdout(&out);
    let expected = [
        ("Check who you are signed in as", "sts:GetCallerIdentity"),
        ("Look for keys an earlier run made", "kms:DescribeKey"),
        (
            "Create the Multi-Region primary key in eu-west-1",
            "kms:CreateKey",
        ),
        (
            "Name it alias/camunda-saas-byok in eu-west-1",
            "kms:CreateAlias",
        ),
        (
            "Turn on automatic rotation every 365 days",
            "kms:EnableKeyRotation",
        ),
        ("Replicate it to eu-west-2", "kms:ReplicateKey"),
        (
            "Wait until the replica in eu-west-2 is Enabled",
            "kms:DescribeKey",
        ),
        ("Check the replica's tags in eu-west-2", "kms:TagResource"),
        (
            "Name it alias/camunda-saas-byok in eu-west-2",
            "kms:CreateAlias",
        ),
        ("Verify every key, alias and policy", "kms:GetKeyPolicy"),
    ];
    let numbered: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.trim_start()
                .split('.')
                .next()
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .collect();
    assert_eq!(numbered.len(), expected.len(), "{text}");
    for (i, (line, (title, call))) in numbered.iter().zip(expected).enumerate() {
        assert!(
            line.trim_start().starts_with(&format!("{}. ", i + 1)),
            "{line}"
        );
        assert!(line.contains(title), "step {}: {line}", i + 1);
        assert!(line.contains(call), "step {}: {line}", i + 1);
        // The plan names exactly what create calls: no IAM read on this path.
        assert!(!line.contains("iam:"), "step {}: {line}", i + 1);
    }
    assert!(text.contains("byok:vendor=camunda"), "{text}");
    assert!(
        text.contains("\"KMS key for Camunda SaaS BYOK integration\""),
        "{text}"
    );
    nobody.assert_untouched();
}

#[test]
fn plan_as_json_lists_steps_keys_and_tags() {
    let dir = TempDir::new("plan-json");
    let out = run(byok(dir.path()).arg("plan").args(CAMUNDA).args([
        "--regionality",
        "two-keys",
        "--no-rotation",
        "--output",
        "json",
    ]));
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    let kinds: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"]["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "resolve-identity",
            "find-existing",
            "create-key",
            "create-alias",
            "create-key",
            "create-alias",
            "verify"
        ],
        "no rotation steps with --no-rotation"
    );
    for s in doc["steps"].as_array().unwrap() {
        let changes = s["changes"].as_bool().unwrap();
        let kind = s["step"]["step"].as_str().unwrap();
        assert_eq!(changes, kind.starts_with("create-"), "{kind}");
        assert!(!s["api_calls"].as_array().unwrap().is_empty());
        assert!(!s["title"].as_str().unwrap().is_empty());
    }
    let keys = doc["keys"].as_array().unwrap();
    let keys: Vec<(&str, &str, &str)> = keys
        .iter()
        .map(|k| {
            (
                k["role"].as_str().unwrap(),
                k["region"].as_str().unwrap(),
                k["alias"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("primary", "eu-west-1", "alias/camunda-saas-byok"),
            ("secondary", "eu-west-2", "alias/camunda-saas-byok-replica"),
        ]
    );
    let tags = doc["tags"].to_string();
    assert!(tags.contains("byok:managed-by"), "{tags}");
}

/// `byok policy --account` prints exactly the golden policies, byte for byte.
#[test]
fn policy_with_account_equals_the_golden_files() {
    let dir = TempDir::new("policy");
    let nobody = Nobody::new();
    let cases: [(&[&str], &str); 5] = [
        (CAMUNDA, "camunda-single.json"),
        (
            &[
                "--vendor",
                "gitlab-dedicated",
                "--region",
                "eu-west-1",
                "--principal",
                "210987654321",
                "--regionality",
                "multi-region",
                "--replica-region",
                "eu-central-1",
                "--replica-region",
                "us-east-1",
            ],
            "gitlab-dedicated-replicas.json",
        ),
        (
            &[
                "--vendor",
                "clickhouse",
                "--region",
                "us-east-1",
                "--principal",
                "arn:aws:iam::210987654321:role/clickhouse-service-encryption",
            ],
            "clickhouse-single.json",
        ),
        (
            &[
                "--vendor",
                "aiven",
                "--region",
                "eu-west-1",
                "--principal",
                "arn:aws:iam::210987654321:role/aiven-cmk-anchor",
            ],
            "aiven-single.json",
        ),
        (
            &[
                "--vendor",
                "gearset",
                "--region",
                "ap-southeast-2",
                "--admin",
                "arn:aws:iam::123456789012:role/KeyAdmin",
                "--admins-can-delete",
            ],
            "gearset-admins.json",
        ),
    ];
    for (args, golden) in cases {
        let out = run(byok(dir.path())
            .args(["--endpoint-url", &nobody.url, "policy"])
            .args(args)
            .args(["--account", ACCOUNT]));
        assert_exit(&out, 0);
        assert_eq!(
            stdout(&out).trim_end(),
            golden_text(golden).trim_end(),
            "{golden}"
        );
    }
    // Multi-Region keys give administrators the replication actions too.
    let out = run(byok(dir.path()).arg("policy").args(CAMUNDA).args([
        "--regionality",
        "multi-region",
        "--admin",
        "arn:aws:iam::123456789012:role/KeyAdmin",
        "--account",
        ACCOUNT,
    ]));
    assert_exit(&out, 0);
    let p: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let admin = p["Statement"][1]["Action"].to_string();
    assert!(admin.contains("kms:ReplicateKey"), "{admin}");
    assert!(!admin.contains("kms:ScheduleKeyDeletion"), "{admin}");

    let out = run(byok(dir.path())
        .arg("policy")
        .args(CAMUNDA)
        .args(["--account", "12345"]));
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--account"), "{}", stderr(&out));
    nobody.assert_untouched();
}

#[test]
fn version_lists_every_built_in_profile_version() {
    let out = run(byok(&std::env::temp_dir()).arg("--version"));
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains(env!("CARGO_PKG_VERSION")), "{text}");
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("assets/vendors")).unwrap() {
        let path = entry.unwrap().path();
        let p: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let line = format!(
            "{} {}",
            p["id"].as_str().unwrap(),
            p["version"].as_str().unwrap()
        );
        assert!(text.contains(&line), "{line} missing from {text}");
        n += 1;
    }
    assert!(n >= 3);
}

/// A vendor profile with its own statements, as a customer would write one.
fn acme_profile() -> Value {
    serde_json::json!({
        "id": "acme",
        "version": "2026.1",
        "name": "Acme Analytics",
        "summary": "Acme reads your data with your key.",
        "docs_url": "https://acme.example/byok",
        "sources": ["https://acme.example/byok"],
        "checked": "2026-12-01",
        "regions": [
            { "code": "us-east-1", "name": "US East (N. Virginia)" },
            { "code": "eu-central-1", "name": "Europe (Frankfurt)" }
        ],
        "principal": {
            "kind": "account-or-arn",
            "label": "Acme AWS account",
            "help": "Acme's BYOK page shows the account ID."
        },
        "key": { "alias": "acme-byok", "description": "KMS key for Acme BYOK" },
        "statements": [
            { "sid": "Acme decrypts", "actions": ["kms:Decrypt", "kms:DescribeKey"] },
            {
                "sid": "Acme grants for its volumes",
                "actions": ["kms:CreateGrant"],
                "condition": { "Bool": { "kms:GrantIsForAWSResource": "true" } }
            }
        ],
        "next_step": "Send the key ARN to Acme support."
    })
}

fn write_profile(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_custom_vendor_file_drives_the_policy_and_the_plan() {
    let dir = TempDir::new("vendor-file");
    let file = write_profile(
        dir.path(),
        "acme.json",
        &serde_json::to_string_pretty(&acme_profile()).unwrap(),
    );
    let out = run(byok(dir.path()).arg("--vendor-file").arg(&file).args([
        "policy",
        "--vendor",
        "acme",
        "--region",
        "eu-central-1",
        "--principal",
        "444455556666",
        "--account",
        ACCOUNT,
    ]));
    assert_exit(&out, 0);
    let p: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let st = p["Statement"].as_array().unwrap();
    assert_eq!(st.len(), 3);
    assert_eq!(st[0]["Principal"]["AWS"], "arn:aws:iam::123456789012:root");
    assert_eq!(st[1]["Sid"], "Acme decrypts");
    assert_eq!(
        st[1]["Action"],
        serde_json::json!(["kms:Decrypt", "kms:DescribeKey"])
    );
    assert_eq!(st[1]["Principal"]["AWS"], "arn:aws:iam::444455556666:root");
    assert_eq!(st[2]["Sid"], "Acme grants for its volumes");
    assert_eq!(
        st[2]["Condition"],
        serde_json::json!({ "Bool": { "kms:GrantIsForAWSResource": "true" } })
    );

    let out = run(byok(dir.path()).arg("--vendor-file").arg(&file).args([
        "plan",
        "--vendor",
        "acme",
        "--region",
        "us-east-1",
        "--principal",
        "444455556666",
    ]));
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("Acme Analytics"), "{text}");
    assert!(text.contains("alias/acme-byok"), "{text}");

    // The profile's own Region list is enforced.
    let out = run(byok(dir.path()).arg("--vendor-file").arg(&file).args([
        "plan",
        "--vendor",
        "acme",
        "--region",
        "ap-south-1",
        "--principal",
        "444455556666",
    ]));
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--region"), "{}", stderr(&out));
}

#[test]
fn a_malformed_vendor_file_names_the_file_and_the_field() {
    let dir = TempDir::new("bad-vendor-file");
    let nobody = Nobody::new();
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut v = acme_profile();
        f(&mut v);
        serde_json::to_string_pretty(&v).unwrap()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "syntax.json",
            "{ \"id\": \"acme\",\n  \"name\": }".into(),
            "line 2",
        ),
        (
            "missing.json",
            edit(&|v| {
                v.as_object_mut().unwrap().remove("statements");
            }),
            "statements",
        ),
        (
            "unknown.json",
            edit(&|v| v["colour"] = "red".into()),
            "colour",
        ),
        (
            "region.json",
            edit(&|v| v["regions"][1]["code"] = "Frankfurt".into()),
            "regions[1].code",
        ),
        (
            "admin-actions.json",
            edit(&|v| v["statements"][0]["actions"] = serde_json::json!(["kms:*"])),
            "statements[0].actions",
        ),
        ("id.json", edit(&|v| v["id"] = "Acme Inc".into()), "id"),
    ];
    for (name, text, field) in cases {
        let file = write_profile(dir.path(), name, &text);
        let out = run(byok(dir.path())
            .args(["--endpoint-url", &nobody.url])
            .arg("--vendor-file")
            .arg(&file)
            .args([
                "create",
                "--vendor",
                "acme",
                "--principal",
                "444455556666",
                "--yes",
            ]));
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(err.contains(&file.display().to_string()), "{name}: {err}");
        assert!(err.contains(field), "{name}: {field} not named in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A file that does not exist.
    let out = run(byok(dir.path())
        .arg("--vendor-file")
        .arg(dir.path().join("absent.json"))
        .args(["plan", "--vendor", "acme"]));
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("absent.json"), "{}", stderr(&out));
    nobody.assert_untouched();
}

#[test]
fn missing_answers_name_their_flags() {
    let dir = TempDir::new("missing");
    for (args, flag) in [
        (&["--vendor", "camunda"][..], "--principal"),
        (&["--vendor", "gearset"][..], "--region"),
        (&[][..], "--vendor"),
    ] {
        let out = run(byok(dir.path())
            .arg("policy")
            .args(args)
            .args(["--account", ACCOUNT]));
        assert_exit(&out, 2);
        assert!(
            stderr(&out).contains(flag),
            "policy {args:?}: {}",
            stderr(&out)
        );
        let out = run(byok(dir.path()).arg("plan").args(args));
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(err.contains(flag), "{args:?}: {flag} not named in {err}");
        assert!(stdout(&out).is_empty());
    }
}

/// Unattended (no terminal) and without --yes, create changes nothing and says how to proceed.
#[test]
fn create_without_yes_and_without_a_terminal_sends_nothing() {
    let dir = TempDir::new("no-yes");
    let nobody = Nobody::new();
    let out = run(byok(dir.path())
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .args(["--endpoint-url", &nobody.url, "create"])
        .args(CAMUNDA));
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("--yes"), "{err}");
    assert!(err.contains("Nothing was sent to AWS"), "{err}");
    assert!(stdout(&out).is_empty());
    nobody.assert_untouched();
    assert!(
        !dir.path().join("journal.jsonl").exists(),
        "not even the journal is touched"
    );
}

/// `byok plan | head -1`: a reader that goes away ends byok quietly, not with a crash report.
#[test]
fn a_closed_stdout_is_not_a_crash() {
    let dir = TempDir::new("pipe");
    let mut child = byok(dir.path())
        .arg("plan")
        .args(CAMUNDA)
        .args(["--regionality", "multi-region", "--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        status.code() == Some(141) || status.success(),
        "{status:?}: {err}"
    );
}

/// No credentials anywhere: a plain explanation (not the SDK's chain dump), exit 3, and no
/// request, since nothing can be signed.
#[test]
fn no_credentials_is_explained_plainly() {
    let dir = TempDir::new("no-creds");
    let nobody = Nobody::new();
    let out = run(byok(dir.path())
        .env("AWS_CONFIG_FILE", dir.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
        .args(["--endpoint-url", &nobody.url, "create"])
        .args(CAMUNDA)
        .arg("--yes"));
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(err.contains("byok found no AWS credentials"), "{err}");
    assert!(err.contains("`aws sso login --profile NAME`"), "{err}");
    assert!(!err.contains("ProviderChainError"), "{err}");
    assert!(err.lines().count() < 25, "{err}");
    assert!(err.contains("Nothing was created"), "{err}");
    assert!(stdout(&out).is_empty());
    nobody.assert_untouched();
}

/// The journal cannot be written: refused before any request, since a key made now could
/// not be recorded.
#[test]
fn an_unwritable_state_dir_is_refused_before_any_request() {
    let dir = TempDir::new("state");
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "a file where the state directory should be").unwrap();
    let nobody = Nobody::new();
    let out = run(byok(dir.path())
        .env("BYOK_STATE_DIR", &blocker)
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .args(["--endpoint-url", &nobody.url, "create"])
        .args(CAMUNDA)
        .arg("--yes"));
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("BYOK_STATE_DIR"), "{err}");
    assert!(err.contains("Nothing was sent to AWS"), "{err}");
    nobody.assert_untouched();
}

/// Answer flags written before the command count for it (`byok --vendor gearset policy`);
/// the same flag given twice with two values, or answers before a command that asks no
/// questions, are refused with the flag named, never silently dropped.
#[test]
fn answers_before_the_command_count_or_are_refused() {
    let dir = TempDir::new("outer-answers");
    let nobody = Nobody::new();
    let out = run(byok(dir.path())
        .args(["--endpoint-url", &nobody.url])
        .args(["--vendor", "gearset", "--region", "ap-southeast-2"])
        .args([
            "policy",
            "--admin",
            "arn:aws:iam::123456789012:role/KeyAdmin",
        ])
        .args(["--admins-can-delete", "--account", ACCOUNT]));
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out).trim_end(),
        golden_text("gearset-admins.json").trim_end()
    );

    let out = run(byok(dir.path())
        .args(["--region", "eu-west-1", "plan", "--vendor", "gearset"])
        .args(["--region", "us-west-2"]));
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("--region is given twice"),
        "{}",
        stderr(&out)
    );

    let out = run(byok(dir.path()).args(["--region", "eu-west-1", "--alias", "x", "status"]));
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("--region, --alias before `status`"), "{err}");
    assert!(err.contains("byok status --help"), "{err}");
    nobody.assert_untouched();
}

/// Regions AWS opened lately are taken for a vendor without a Region list; a typo is still
/// refused before any connection.
#[test]
fn regions_the_sdk_knows_are_taken_and_typos_refused() {
    let dir = TempDir::new("regions");
    let nobody = Nobody::new();
    for (region, partition) in [
        ("ap-east-2", "aws"),
        ("ap-southeast-6", "aws"),
        ("eusc-de-east-1", "aws-eusc"),
    ] {
        let out = run(byok(dir.path())
            .args(["--endpoint-url", &nobody.url, "policy", "--vendor", "other"])
            .args(["--principal", "210987654321", "--account", "123456789012"])
            .args(["--region", region]));
        assert_exit(&out, 0);
        assert!(
            stdout(&out).contains(&format!("arn:{partition}:iam::123456789012:root")),
            "{region}: {}",
            stdout(&out)
        );
    }
    let out = run(byok(dir.path())
        .args(["--endpoint-url", &nobody.url, "plan", "--vendor", "other"])
        .args(["--principal", "123456789012", "--region", "ap-southeast-66"]));
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("did you mean ap-southeast-6?"),
        "{}",
        stderr(&out)
    );
    nobody.assert_untouched();
}

/// Every command's help has one layout: its own options, then the answers (where it takes
/// them), then the global options, then examples and the exit status; no global flag sits
/// among a command's own.
#[test]
fn help_groups_flags_under_headings_with_examples_for_every_command() {
    let dir = TempDir::new("help");
    for command in [
        "",
        "create",
        "plan",
        "policy",
        "status",
        "completions",
        "man",
        "vendors",
    ] {
        let mut c = byok(dir.path());
        if !command.is_empty() {
            c.arg(command);
        }
        let out = run(c.arg("--help"));
        assert_exit(&out, 0);
        let help = stdout(&out);
        let at = |heading: &str| {
            help.lines()
                .position(|l| l == heading)
                .unwrap_or_else(|| panic!("byok {command} --help lacks {heading:?}:\n{help}"))
        };
        let (options, global, examples, exit) = (
            at("Options:"),
            at("Global options:"),
            at("Examples:"),
            at("Exit status:"),
        );
        assert!(
            options < global && global < examples && examples < exit,
            "{command}: {help}"
        );
        if matches!(command, "create" | "plan" | "policy") {
            let answers = at("Answers:");
            assert!(options < answers && answers < global, "{command}: {help}");
            let line = |flag: &str| help.lines().position(|l| l.contains(flag)).unwrap();
            assert!(line("--alias") > answers && line("--description") < global);
        }
        // Every global flag under its heading, after the command's own and the answers.
        for flag in [
            "--demo",
            "--profile",
            "--endpoint-url",
            "--vendor-file",
            "--no-color",
            "--quiet",
            "--debug",
        ] {
            let l = help
                .lines()
                .position(|l| {
                    let l = l.trim_start();
                    l == flag
                        || l.starts_with(&format!("{flag} "))
                        || l.ends_with(&format!(", {flag}"))
                })
                .unwrap_or_else(|| panic!("{command}: {flag}"));
            assert!(
                l > global && l < examples,
                "{command}: {flag} is not under Global options:\n{help}"
            );
        }
        assert!(
            help[help.find("Examples:").unwrap()..].contains("byok"),
            "{command}: {help}"
        );
    }
}

/// `byok man | true`, `byok completions bash | head -1`: a reader that goes away ends byok
/// quietly (141, as SIGPIPE would), never with "Broken pipe" or exit 2.
#[test]
fn a_closed_stdout_ends_man_and_completions_quietly() {
    let dir = TempDir::new("pipe-man");
    for args in [
        &["man"][..],
        &["completions", "bash"],
        &[
            "plan",
            "--vendor",
            "gearset",
            "--region",
            "us-west-2",
            "--format",
            "terraform",
        ],
    ] {
        let mut child = byok(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(err.is_empty(), "{args:?}: {err}");
        assert!(
            status.code() == Some(141) || status.success(),
            "{args:?}: {status:?}"
        );
    }
}

/// A tiny HTTP server that answers every request with an HTML page (a captive portal, a
/// proxy's login page), with a request ID header.
fn html_endpoint() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                use std::io::{BufRead, BufReader, Write};
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut len = 0;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; len];
                let _ = r.read_exact(&mut body);
                let page =
                    "<html><head><title>Proxy sign-in</title></head><body>Sign in</body></html>";
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nx-amzn-RequestId: html-request-7\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                    page.len()
                );
            });
        }
    });
    url
}

/// Unreachable endpoint: the error in words, never the SDK's `Debug` struct. An HTML answer:
/// said to be no AWS answer, with its content type, the start of the page and the request ID.
#[test]
fn network_failures_and_html_answers_are_explained_plainly() {
    let dir = TempDir::new("net");
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let creds = |c: &mut Command| {
        c.env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
            .env(
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            )
            .env("AWS_REGION", "us-east-1");
    };
    let mut c = byok(dir.path());
    creds(&mut c);
    let out = run(c.args([
        "--endpoint-url",
        &closed,
        "policy",
        "--vendor",
        "gearset",
        "--region",
        "us-west-2",
    ]));
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("could not reach AWS") && err.contains("Connection refused"),
        "{err}"
    );
    assert!(
        !err.contains("DispatchFailure") && !err.contains(" { "),
        "{err}"
    );

    let html = html_endpoint();
    let mut c = byok(dir.path());
    creds(&mut c);
    let out = run(c.args([
        "--endpoint-url",
        &html,
        "policy",
        "--vendor",
        "gearset",
        "--region",
        "us-west-2",
    ]));
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(err.contains("not an AWS API response (text/html)"), "{err}");
    assert!(err.contains("Proxy sign-in"), "{err}");
    assert!(err.contains("html-request-7"), "the request ID: {err}");
    assert!(!err.contains("HTTP 200:"), "{err}");
}

/// `--debug`: one line per API call on stderr (operation, Region, duration, status, request
/// ID), nothing of the credentials; AWS errors carry the request ID.
#[test]
fn debug_logs_each_api_call_with_its_request_id() {
    let moto = Moto::start();
    let dir = TempDir::new("debug");
    let out = run(moto.byok(dir.path()).args([
        "--debug",
        "create",
        "--vendor",
        "gearset",
        "--region",
        "us-west-2",
        "--yes",
    ]));
    assert_exit(&out, 0);
    let err = stderr(&out);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("byok debug "))
        .collect();
    for op in [
        "sts GetCallerIdentity us-east-1",
        "kms CreateKey us-west-2",
        "kms CreateAlias us-west-2",
        "kms EnableKeyRotation us-west-2",
    ] {
        let l = lines
            .iter()
            .find(|l| l.contains(op))
            .unwrap_or_else(|| panic!("no line for {op}:\n{err}"));
        let rest = l.split_once(": ").unwrap().1;
        assert!(rest.contains(" ms, HTTP 200, request ID "), "{l}");
        let id = rest.rsplit(' ').next().unwrap();
        assert!(id.len() >= 8 && id != "none", "{l}");
    }
    assert!(
        !err.contains("AKIAIOSFODNN7EXAMPLE") && !err.contains("EXAMPLEKEY"),
        "{err}"
    );
    assert!(
        !stdout(&out).contains("byok debug"),
        "stdout keeps only the ARN"
    );
    // -v is the same flag; without it, no line.
    let out = run(moto.byok(dir.path()).args([
        "-v",
        "policy",
        "--vendor",
        "gearset",
        "--region",
        "us-west-2",
    ]));
    assert!(stderr(&out).contains("byok debug "), "{}", stderr(&out));
    let out =
        run(moto
            .byok(dir.path())
            .args(["policy", "--vendor", "gearset", "--region", "us-west-2"]));
    assert!(!stderr(&out).contains("byok debug"), "{}", stderr(&out));
}

/// The wizard and the status screen draw on stderr, so `--debug` logs to debug.log in the
/// state directory there, and says so before the screen opens.
#[test]
fn debug_goes_to_a_file_for_the_screens() {
    for (label, args) in [
        ("wizard", &["--debug", "--demo"][..]),
        (
            "status screen",
            &["--debug", "--demo", "status", "--output", "tui"],
        ),
    ] {
        let dir = TempDir::new("debug-file");
        let out = run(byok(dir.path()).args(args));
        let log = dir.path().join("debug.log");
        assert!(
            stderr(&out).contains(&format!("--debug logs each AWS call to {}", log.display())),
            "{label}: {}",
            stderr(&out)
        );
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.starts_with("--- byok "), "{label}: {text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&log).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{label}: debug.log is private");
        }
    }
}

/// Where `name` is on PATH.
fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The README's one test command, `scripts/test`, with a PATH of chosen tools: without tmux
/// and shellcheck, and not root, it stops at once naming the exact install command and runs no
/// test; with everything there it runs `cargo test` with its arguments and moto's path.
#[test]
fn the_test_script_sets_up_everything_or_names_the_install_command() {
    let dir = TempDir::new("test-script");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let link = |name: &str| {
        let real = which(name).unwrap_or_else(|| panic!("{name} on PATH"));
        let _ = std::fs::remove_file(bin.join(name));
        std::os::unix::fs::symlink(real, bin.join(name)).unwrap();
    };
    let fake = |name: &str, body: &str| {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    for tool in ["bash", "dirname", "python3"] {
        link(tool);
    }
    let calls = dir.path().join("cargo.calls");
    fake("id", "echo 1000");
    fake(
        "cargo",
        &format!(
            "echo \"$* BYOK_MOTO_SERVER=$BYOK_MOTO_SERVER\" >> {}",
            calls.display()
        ),
    );
    let script = root().join("scripts/test");
    let run_script = || {
        run(Command::new(bin.join("bash"))
            .arg(&script)
            .args(["--test", "cli"])
            .env_clear()
            .env("PATH", &bin)
            .env("HOME", dir.path())
            .stdin(Stdio::null()))
    };
    let out = run_script();
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("\n  sudo apt-get install -y tmux shellcheck\n"),
        "{}",
        stderr(&out)
    );
    assert!(!calls.exists(), "no test ran");

    // Everything there (and moto in .venv already): cargo test with the arguments given.
    if root().join(".venv/bin/moto_server").exists() && root().join(".venv/bin/aws").exists() {
        fake("tmux", "exit 0");
        fake("shellcheck", "exit 0");
        let out = run_script();
        assert_exit(&out, 0);
        let called = std::fs::read_to_string(&calls).unwrap();
        assert_eq!(
            called.trim(),
            format!(
                "test --test cli BYOK_MOTO_SERVER={}",
                root().join(".venv/bin/moto_server").display()
            )
        );
    }
    // The script itself passes shellcheck, where shellcheck is installed.
    if let Some(sc) = which("shellcheck") {
        let out = run(Command::new(sc).arg(&script).arg(root().join(".ci/run")));
        assert_exit(&out, 0);
    }
}

/// Cargo.toml's licence has its texts, and the changelog has an Unreleased section.
#[test]
fn licence_texts_and_changelog_are_there() {
    let toml = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(toml.contains("license = \"MIT OR Apache-2.0\""));
    let mit = std::fs::read_to_string(root().join("LICENSE-MIT")).unwrap();
    assert!(mit.starts_with("MIT License") && mit.contains("WITHOUT WARRANTY OF ANY KIND"));
    let apache = std::fs::read_to_string(root().join("LICENSE-APACHE")).unwrap();
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
    assert!(apache.contains("END OF TERMS AND CONDITIONS"));
    let changelog = std::fs::read_to_string(root().join("CHANGELOG.md")).unwrap();
    assert!(changelog.starts_with("# Changelog"));
    assert!(changelog.contains("\n## [Unreleased]\n"));
}

/// `byok vendors` lists every profile with its sources and the date they were checked, as
/// text and as JSON, without touching AWS.
#[test]
fn vendors_lists_every_profile_with_its_sources_and_date() {
    let dir = TempDir::new("vendors");
    let nobody = Nobody::new();
    let text = run(byok(dir.path()).args(["--endpoint-url", &nobody.url, "vendors"]));
    assert_exit(&text, 0);
    let json = run(byok(dir.path()).args(["vendors", "--output", "json"]));
    assert_exit(&json, 0);
    let doc: Value = serde_json::from_str(&stdout(&json)).unwrap();
    let listed = doc["vendors"].as_array().unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("assets/vendors")).unwrap() {
        let p: Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let id = p["id"].as_str().unwrap();
        let line = format!(
            "{id}  {}  (profile {}, checked {})",
            p["name"].as_str().unwrap(),
            p["version"].as_str().unwrap(),
            p["checked"].as_str().unwrap()
        );
        assert!(stdout(&text).contains(&line), "{line}:\n{}", stdout(&text));
        let j = listed.iter().find(|v| v["id"] == id).unwrap();
        assert_eq!(j["version"], p["version"]);
        assert_eq!(j["checked"], p["checked"]);
        assert_eq!(j["sources"], p["sources"]);
        let sources = p["sources"].as_array().unwrap();
        assert!(!sources.is_empty(), "{id}");
        for s in sources {
            let s = s.as_str().unwrap();
            assert!(s.starts_with("https://"), "{id}: {s}");
            assert!(
                stdout(&text).contains(&format!("  source: {s}")),
                "{id}: {s}"
            );
        }
        n += 1;
    }
    assert_eq!(listed.len(), n);
    for id in [
        "camunda",
        "gearset",
        "clickhouse",
        "aiven",
        "gitlab-dedicated",
        "other",
    ] {
        assert!(listed.iter().any(|v| v["id"] == id), "{id}");
    }
    // A --vendor-file profile is listed too.
    let file = write_profile(
        dir.path(),
        "acme.json",
        &serde_json::to_string(&acme_profile()).unwrap(),
    );
    let out = run(byok(dir.path())
        .arg("--vendor-file")
        .arg(&file)
        .args(["vendors", "--output", "json"]));
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        doc["vendors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["id"] == "acme")
    );
    nobody.assert_untouched();
}

/// `byok vendors show ID` says what the vendor asks for and what it is granted.
#[test]
fn vendors_show_says_what_the_vendor_asks_for_and_is_granted() {
    let dir = TempDir::new("vendors-show");
    let out = run(byok(dir.path()).args(["vendors", "show", "clickhouse"]));
    assert_exit(&out, 0);
    let t = stdout(&out);
    for part in [
        "ClickHouse Cloud (clickhouse), profile 2026.12.1, checked 2026-12-01",
        "Principal: ClickHouse encryption role ARN: an IAM role ARN",
        "Refused: arn:aws:iam::576599896960:role/prod-kms-request-role",
        "any Region byok knows",
        "Regionality: single",
        "Default alias: alias/clickhouse-cloud-cmek",
        "\"Allow ClickHouse Access\": kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:DescribeKey",
        "no condition",
        "Next step: Paste the key ARN in ClickHouse Cloud",
        "https://clickhouse.com/docs/cloud/security/cmek-migration",
    ] {
        assert!(t.contains(part), "{part:?} missing from:\n{t}");
    }
    let out = run(byok(dir.path()).args(["vendors", "show", "gearset"]));
    assert_exit(&out, 0);
    let t = stdout(&out);
    for part in [
        "us-west-2 US West (Oregon) (vendor account 157764733222)",
        "only when {\"Bool\":{\"kms:GrantIsForAWSResource\":\"true\"}}",
    ] {
        assert!(t.contains(part), "{part:?} missing from:\n{t}");
    }
    // A value typed into the condition, and what is pasted back.
    let out = run(byok(dir.path()).args(["vendors", "show", "databricks"]));
    assert_exit(&out, 0);
    let t = stdout(&out);
    for part in [
        "The principal: arn:aws:iam::414351767826:root",
        "Value Databricks account ID (--set databricks-account-id=...)",
        "never a wildcard (* ?) or a policy variable ($)",
        "only when {\"StringEquals\":{\"aws:PrincipalTag/DatabricksAccountId\":[\"{{databricks-account-id}}\"]}}",
        "What you paste back into Databricks: Key ARN, Alias",
    ] {
        assert!(t.contains(part), "{part:?} missing from:\n{t}");
    }
    let out = run(byok(dir.path()).args(["vendors", "show", "elastic"]));
    let t = stdout(&out);
    for part in [
        "Principal \"*\" under the organisation condition the profile fixes",
        "\"aws:PrincipalOrgPaths\":\"o-ygducmlz12/r-e5t3/ou-e5t3-fzpdq76p/ou-e5t3-ysfcmd95/ou-e5t3-hwt05su3/*\"",
        "What you paste back into Elastic Cloud Hosted: Alias ARN",
    ] {
        assert!(t.contains(part), "{part:?} missing from:\n{t}");
    }
    let out = run(byok(dir.path()).args(["vendors", "show", "databricks", "--output", "json"]));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["principal"]["kind"], "fixed");
    assert_eq!(doc["values"][0]["name"], "databricks-account-id");
    assert_eq!(doc["paste_back"], serde_json::json!(["key-arn", "alias"]));

    let out = run(byok(dir.path()).args(["vendors", "show", "camunda"]));
    assert!(stdout(&out).contains("Regionality: single, multi-region, two-keys"));
    assert!(stdout(&out).contains("eu-west-1 with eu-west-2"));

    let out = run(byok(dir.path()).args(["vendors", "show", "aiven", "--output", "json"]));
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["id"], "aiven");
    assert_eq!(doc["principal"]["kind"], "iam-role-arn");
    assert_eq!(doc["any_region"], true);
    assert_eq!(doc["regionalities"], serde_json::json!(["single"]));
    assert_eq!(
        doc["statements"][0]["actions"],
        serde_json::json!(["kms:Encrypt", "kms:Decrypt"])
    );
    assert_eq!(doc["checked"], "2026-12-01");

    let out = run(byok(dir.path()).args(["vendors", "show", "heroku"]));
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("no vendor profile \"heroku\""),
        "{}",
        stderr(&out)
    );
}

/// A vendor file must say where its facts come from and when they were checked; only the
/// `other` template may leave both out.
#[test]
fn a_vendor_file_without_sources_or_date_is_refused_naming_the_field() {
    let dir = TempDir::new("vendor-sources");
    for (edit, field) in [("sources", "sources"), ("checked", "checked")] {
        let mut p = acme_profile();
        p.as_object_mut().unwrap().remove(edit);
        let file = write_profile(dir.path(), "acme.json", &p.to_string());
        let out = run(byok(dir.path())
            .arg("--vendor-file")
            .arg(&file)
            .arg("vendors"));
        assert_exit(&out, 2);
        let e = stderr(&out);
        assert!(
            e.contains("acme.json") && e.contains(&format!(": {field}: ")),
            "{e}"
        );
    }
    for (bad, field) in [
        (serde_json::json!({ "checked": "2026-13-01" }), "checked"),
        (serde_json::json!({ "checked": "1 Dec 2026" }), "checked"),
        (
            serde_json::json!({ "sources": ["ftp://acme.example"] }),
            "sources[0]",
        ),
        (serde_json::json!({ "sources": [] }), "sources"),
    ] {
        let mut p = acme_profile();
        for (k, v) in bad.as_object().unwrap() {
            p[k] = v.clone();
        }
        let file = write_profile(dir.path(), "acme.json", &p.to_string());
        let out = run(byok(dir.path())
            .arg("--vendor-file")
            .arg(&file)
            .arg("vendors"));
        assert_exit(&out, 2);
        assert!(
            stderr(&out).contains(&format!(": {field}: ")),
            "{}",
            stderr(&out)
        );
    }
    // The template, copied as is (id "other"), still loads without them.
    let mut p: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("assets/vendors/other.json")).unwrap(),
    )
    .unwrap();
    p.as_object_mut().unwrap().remove("sources");
    p.as_object_mut().unwrap().remove("checked");
    let file = write_profile(dir.path(), "other.json", &p.to_string());
    let out = run(byok(dir.path())
        .arg("--vendor-file")
        .arg(&file)
        .args(["vendors", "show", "other"]));
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("checked not given (a template)"),
        "{}",
        stdout(&out)
    );
}

/// ClickHouse's retired shared role (CMEK v1) is refused as the principal, before any call.
#[test]
fn clickhouse_refuses_the_retired_shared_role() {
    let dir = TempDir::new("clickhouse-v1");
    let nobody = Nobody::new();
    let out = run(byok(dir.path()).args([
        "--endpoint-url",
        &nobody.url,
        "create",
        "--vendor",
        "clickhouse",
        "--region",
        "us-east-1",
        "--principal",
        "arn:aws:iam::576599896960:role/prod-kms-request-role",
        "--yes",
    ]));
    assert_exit(&out, 2);
    let e = stderr(&out);
    assert!(
        e.contains("--principal") && e.contains("retired shared role"),
        "{e}"
    );
    nobody.assert_untouched();
}

/// The plain report shows times as people read them (KMS answers with microseconds); the
/// JSON keeps the exact values.
#[test]
fn status_text_shows_readable_times() {
    let dir = TempDir::new("times");
    let out = run(byok(dir.path()).args(["--demo", "status", "--output", "text"]));
    let text = stdout(&out);
    assert!(text.contains("Created "), "{text}");
    for line in text.lines() {
        if line.contains("deletion on") || line.contains("Created") || line.contains("next ") {
            assert!(line.contains(" UTC"), "{line}");
        }
        let raw = line
            .as_bytes()
            .windows(20)
            .any(|w| w[4] == b'-' && w[10] == b'T' && w[13] == b':' && w[19] == b'.');
        assert!(!raw, "a raw RFC 3339 time: {line}");
    }
    let out = run(byok(dir.path()).args(["--demo", "status", "--output", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let created = doc["keys"][0]["created"].as_str().unwrap();
    assert!(created.contains('T') && created.ends_with('Z'), "{created}");
}

/// `byok --demo grant` acts on the demo's keys (those `byok --demo status` shows): a sales
/// call can show the second phase of a two-phase vendor; nothing leaves the machine.
#[test]
fn demo_grant_acts_on_the_demo_keys() {
    let dir = TempDir::new("demo-grant");
    let out = run(byok(dir.path()).args([
        "--demo",
        "grant",
        "--key",
        "alias/camunda-saas-byok",
        "--principal",
        "arn:aws:iam::210987654321:role/camunda-tenant-second",
        "--yes",
        "--output",
        "json",
    ]));
    assert_exit(&out, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let results = doc["results"].as_array().unwrap();
    // The Multi-Region set: its primary and its replica each get the principal.
    assert_eq!(results.len(), 2, "{doc:#}");
    assert!(results.iter().all(|r| r["ok"] == true), "{doc:#}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("kept: every principal"), "{err}");
}

/// `byok grant --statement` takes what Confluent's CLI prints once the key is registered:
/// its two statements one after the other (`{...}, {...}`), as the status screen and the
/// wizard's Done screen do; here on the demo's Confluent key, which waits for its roles.
#[test]
fn grant_takes_several_statements_as_the_vendor_prints_them() {
    let dir = TempDir::new("grant-statements");
    let golden: Value =
        serde_json::from_str(include_str!("golden/confluent-granted.json")).unwrap();
    let printed = golden["Statement"].as_array().unwrap()[1..]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(",\n");
    let file = dir.path().join("statements.json");
    std::fs::write(&file, format!("{printed},\n")).unwrap();
    let out = run(byok(dir.path()).args([
        "--demo",
        "grant",
        "--key",
        "alias/confluent-cloud-byok",
        "--statement",
        file.to_str().unwrap(),
        "--yes",
    ]));
    assert_exit(&out, 0);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(all.contains("role/confluent-byok-2"), "{all}");
    assert!(all.contains("✓ PutKeyPolicy"), "{all}");
}
