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

/// The grant actions parliament counts as permissions management: a vendor that attaches
/// encrypted AWS resources needs them, and its profile says so.
const GRANT_ACTIONS: &[&str] = &[
    "kms:creategrant",
    "kms:listgrants",
    "kms:revokegrant",
    "kms:retiregrant",
];

/// parliament's findings for each statement of a key policy, linted alone with its Sid made
/// alphanumeric: on a Sid with a space parliament reports INVALID_SID and checks nothing
/// else of the policy. Accepted, as what a key policy is: `Resource: "*"` (in a key policy it
/// is the key itself), the account root's `kms:*` (what KMS requires so the key stays
/// manageable) and the administrators' statement, and the grant actions a vendor statement
/// lists.
fn statement_problems(policy: &str) -> Vec<(String, Value)> {
    let doc: Value = serde_json::from_str(policy).unwrap();
    let mut out = Vec::new();
    for st in doc["Statement"].as_array().unwrap() {
        let sid = st["Sid"].as_str().unwrap_or("").to_string();
        let mut alone = st.clone();
        alone["Sid"] = Value::String(sid.chars().filter(|c| c.is_ascii_alphanumeric()).collect());
        // The account root and the key administrators manage the key by design.
        let manages = st["Action"] == "kms:*" || sid == byok::policy::ADMIN_SID;
        let one = serde_json::json!({ "Version": "2012-10-17", "Statement": [alone] });
        for f in problems(&one.to_string()) {
            let issue = f["issue"].as_str().unwrap_or("");
            let grants_only = f["location"]["actions"].as_array().is_some_and(|a| {
                a.iter()
                    .all(|x| GRANT_ACTIONS.contains(&x.as_str().unwrap_or("")))
            });
            let fine = issue == "RESOURCE_STAR"
                || (issue == "PERMISSIONS_MANAGEMENT_ACTIONS" && (manages || grants_only));
            if !fine {
                out.push((sid.clone(), f));
            }
        }
    }
    out
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
    // A vendor statement whose Sid has a space is still checked, statement by statement.
    let spaced = r#"{"Version": "2012-10-17", "Statement": [
        {"Sid": "Vendor use", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
         "Action": ["kms:Encrypto"], "Resource": "*"},
        {"Sid": "Vendor manage", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
         "Action": ["kms:PutKeyPolicy"], "Resource": "*"}]}"#;
    assert!(problems(spaced).is_empty(), "parliament stops at the Sid");
    let found: Vec<(String, String)> = statement_problems(spaced)
        .iter()
        .map(|(sid, f)| (sid.clone(), f["issue"].as_str().unwrap().to_string()))
        .collect();
    assert!(
        found.contains(&("Vendor use".into(), "UNKNOWN_ACTION".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "Vendor manage".into(),
            "PERMISSIONS_MANAGEMENT_ACTIONS".into()
        )),
        "{found:?}"
    );
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
        let mut p = statement_problems(doc);
        if name.ends_with("-role-trust.json") {
            // A role's trust policy has no Resource in IAM's grammar; parliament reads every
            // policy as an identity policy. Everything else it says still counts.
            p.retain(|(_, f)| {
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
