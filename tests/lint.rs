//! Every built-in profile's key policy passes an independent IAM policy linter, parliament
//! (PyPI, installed into .venv/ by scripts/test), beside byok's own lint: the exact policies
//! byok applies (the golden files, which tests/create.rs proves byok sends) and the "other"
//! vendor's, made by `byok policy`; a customer role's trust and own policies too.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn parliament() -> PathBuf {
    std::env::var_os("BYOK_PARLIAMENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/parliament"))
}

/// parliament's findings for a policy document (one JSON object per line).
fn findings(policy: &str) -> Vec<Value> {
    let bin = parliament();
    assert!(
        bin.exists(),
        "{} is missing: run scripts/test, which installs parliament into .venv/",
        bin.display()
    );
    // The policy on stdin: with --file, parliament refuses a stdin that is not a terminal.
    let mut child = Command::new(&bin)
        .args(["--json", "--include-community-auditors"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(policy.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("Traceback"), "parliament failed: {stderr}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// What byok accepts from parliament: a Sid with spaces (parliament reads every policy as an
/// identity policy, whose Sids are alphanumeric; key policy Sids may hold spaces, and the
/// vendors publish theirs so, which byok copies verbatim).
fn problems(policy: &str) -> Vec<Value> {
    findings(policy)
        .into_iter()
        .filter(|f| f["issue"] != "INVALID_SID")
        .collect()
}

#[test]
fn the_linter_can_fail() {
    let issues = |doc: &str| -> Vec<String> {
        problems(doc)
            .iter()
            .map(|f| f["issue"].as_str().unwrap().to_string())
            .collect()
    };
    // A misspelt action.
    let misspelt = r#"{"Version": "2012-10-17", "Statement": [
        {"Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
         "Action": ["kms:Encrypto"], "Resource": "*"}]}"#;
    assert!(issues(misspelt).contains(&"UNKNOWN_ACTION".to_string()));
    // Anyone allowed everything, the policy included.
    let open = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]}"#;
    assert!(issues(open).contains(&"PERMISSIONS_MANAGEMENT_ACTIONS".to_string()));
}

#[test]
fn every_built_in_policy_passes_parliament() {
    let catalog = byok::vendor::Catalog::built_in();
    let golden: Vec<PathBuf> = std::fs::read_dir(root().join("tests/golden"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    // Every vendor but "other" has its golden policy here.
    for id in catalog.ids() {
        if id == "other" {
            continue;
        }
        assert!(
            golden.iter().any(|p| p
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{id}-"))),
            "no golden policy for {id} in tests/golden/"
        );
    }
    let dir = common::TempDir::new("lint");
    let other = Command::new(env!("CARGO_BIN_EXE_byok"))
        .env("BYOK_STATE_DIR", dir.path())
        .env("HOME", dir.path())
        .args([
            "policy",
            "--account",
            "123456789012",
            "--vendor",
            "other",
            "--region",
            "eu-west-1",
            "--principal",
            "444455556666",
            "--admin",
            "arn:aws:iam::123456789012:role/Admin",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        other.status.success(),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    let mut policies: Vec<(String, String)> = golden
        .iter()
        // A policy after `byok grant` names the key's own ARN (Snowflake's statement).
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(p).unwrap().replace(
                    "KEY_ARN",
                    "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                ),
            )
        })
        .collect();
    policies.push((
        "other (byok policy)".into(),
        String::from_utf8(other.stdout).unwrap(),
    ));
    for (name, doc) in &policies {
        let mut p = problems(doc);
        if name.ends_with("-role-trust.json") {
            // A role's trust policy has no Resource in IAM's grammar; parliament reads every
            // policy as an identity policy. Everything else it says still counts.
            p.retain(|f| {
                !(f["issue"] == "MALFORMED"
                    && f["detail"] == "Statement contains neither Resource nor NotResource")
            });
            let v: Value = serde_json::from_str(doc).unwrap();
            for st in v["Statement"].as_array().unwrap() {
                assert_eq!(st["Action"], "sts:AssumeRole", "{name}");
                assert!(
                    st["Condition"]["StringEquals"]["sts:ExternalId"].is_string(),
                    "{name}: assumed only with the external ID"
                );
            }
        }
        assert!(p.is_empty(), "{name}: parliament finds {p:#?}");
    }
}
