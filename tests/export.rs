//! Exports, completions, the man page and the JSON outputs, checked against byok itself:
//! - the policy inside each export equals `policy::build` once the account is substituted;
//! - the Terraform parses (hcl-rs) and its `jsonencode` evaluates to byok's policy;
//! - the CloudFormation templates pass cfn-lint (AWS's resource schemas);
//! - the AWS CLI script, run with bash against a moto server, makes keys that `byok create`
//!   then verifies as its own (same policy, aliases, tags, description, rotation), and
//!   re-running it makes no second key;
//! - every JSON output matches its schema in schemas/.

mod common;
use common::*;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use byok::answers::{Answers, RawAnswers};
use byok::export::{self, Format};
use byok::plan::{KeyRole, Plan};
use byok::policy;
use byok::vendor::Catalog;
use serde_json::{Value, json};

const ADMIN: &str = "arn:aws:iam::123456789012:role/KeyAdmin";

fn answers(f: impl FnOnce(&mut RawAnswers)) -> Answers {
    let mut r = RawAnswers::default();
    f(&mut r);
    r.validate(&Catalog::built_in()).expect("valid answers")
}

/// Setups that cover every shape: single, Multi-Region, two keys, admins, conditions, tags,
/// no rotation, a custom rotation period.
fn setups() -> Vec<(&'static str, Answers)> {
    vec![
        (
            "camunda-single",
            answers(|r| {
                r.vendor = Some("camunda".into());
                r.principal = Some(CAMUNDA_ROLE.into());
            }),
        ),
        (
            "camunda-multi-region",
            answers(|r| {
                r.vendor = Some("camunda".into());
                r.principal = Some(CAMUNDA_ROLE.into());
                r.regionality = Some("multi-region".into());
                r.admins = vec![ADMIN.into()];
                r.tags = vec!["team=pay ments".into(), "cost-center=42".into()];
                r.rotation_days = Some("180".into());
            }),
        ),
        (
            "camunda-two-keys",
            answers(|r| {
                r.vendor = Some("camunda".into());
                r.principal = Some(CAMUNDA_ROLE.into());
                r.regionality = Some("two-keys".into());
            }),
        ),
        (
            "gearset-admins",
            answers(|r| {
                r.vendor = Some("gearset".into());
                r.region = Some("ap-southeast-2".into());
                r.admins = vec![ADMIN.into()];
                r.admins_can_delete = true;
                r.no_rotation = true;
            }),
        ),
        (
            "other-two-replicas",
            answers(|r| {
                r.vendor = Some("other".into());
                r.region = Some("eu-central-1".into());
                r.principal = Some("444455556666".into());
                r.regionality = Some("multi-region".into());
                r.replica_regions = vec!["eu-west-3".into(), "eu-north-1".into()];
                r.admins = vec![ADMIN.into()];
            }),
        ),
        (
            "other-three-keys",
            answers(|r| {
                r.vendor = Some("other".into());
                r.region = Some("eu-central-1".into());
                r.principal = Some("444455556666".into());
                r.regionality = Some("per-region".into());
                r.replica_regions = vec!["eu-west-3".into(), "eu-north-1".into()];
            }),
        ),
        (
            "other-two-keys",
            answers(|r| {
                r.vendor = Some("other".into());
                r.region = Some("eu-central-1".into());
                r.principal = Some("444455556666".into());
                r.regionality = Some("two-keys".into());
                r.replica_regions = vec!["eu-west-3".into()];
                r.alias = Some("vendor/data_key".into());
                r.description = Some("Key with \"quotes\", ${dollar} and %{percent}".into());
            }),
        ),
        (
            "mongodb-atlas-role",
            answers(|r| {
                r.vendor = Some("mongodb-atlas".into());
                r.region = Some("us-east-1".into());
                r.principal = Some("arn:aws:iam::536727724300:root".into());
                r.external_id = Some("3192be49-6e76-4b7d-a7b8-b486a8fc4483".into());
            }),
        ),
        (
            "cockroachdb-role-multi-region",
            answers(|r| {
                r.vendor = Some("cockroachdb".into());
                r.region = Some("us-east-1".into());
                r.principal = Some("210987654321".into());
                r.external_id = Some("org-1".into());
                r.regionality = Some("multi-region".into());
                r.replica_regions = vec!["us-west-2".into()];
            }),
        ),
        (
            "databricks-single",
            answers(|r| {
                r.vendor = Some("databricks".into());
                r.region = Some("us-east-1".into());
                r.values =
                    vec!["databricks-account-id=0d26daa6-5e44-4c97-a497-ef015f91254a".into()];
            }),
        ),
        (
            "elastic-multi-region",
            answers(|r| {
                r.vendor = Some("elastic".into());
                r.region = Some("eu-west-1".into());
                r.regionality = Some("multi-region".into());
                r.replica_regions = vec!["eu-central-1".into()];
            }),
        ),
        (
            "clickhouse-single",
            answers(|r| {
                r.vendor = Some("clickhouse".into());
                r.region = Some("us-east-1".into());
                r.principal =
                    Some("arn:aws:iam::576599896960:role/clickhouse-svc-7f3c-encryption".into());
            }),
        ),
        (
            "aiven-single",
            answers(|r| {
                r.vendor = Some("aiven".into());
                r.region = Some("eu-west-1".into());
                r.principal = Some("arn:aws:iam::210987654321:role/aiven-cmk-anchor".into());
            }),
        ),
        (
            "gitlab-dedicated-two-replicas",
            answers(|r| {
                r.vendor = Some("gitlab-dedicated".into());
                r.region = Some("eu-west-1".into());
                r.principal = Some("210987654321".into());
                r.regionality = Some("multi-region".into());
                r.replica_regions = vec!["eu-central-1".into(), "us-east-1".into()];
            }),
        ),
        (
            "confluent-phase-one",
            answers(|r| {
                r.vendor = Some("confluent".into());
                r.region = Some("eu-west-1".into());
            }),
        ),
        (
            "snowflake-phase-one",
            answers(|r| {
                r.vendor = Some("snowflake".into());
                r.region = Some("us-west-2".into());
            }),
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Terraform

/// Evaluate an HCL expression the way Terraform would for these references.
fn hcl_context() -> hcl::eval::Context<'static> {
    use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
    let mut ctx = Context::new();
    ctx.declare_var(
        "data",
        hcl::value!({ aws_caller_identity = { current = { account_id = (ACCOUNT) } } }),
    );
    // jsonencode as Terraform defines it: the value as a JSON string.
    fn jsonencode(args: FuncArgs) -> Result<hcl::Value, String> {
        serde_json::to_string(&args[0])
            .map(hcl::Value::String)
            .map_err(|e| e.to_string())
    }
    ctx.declare_func(
        "jsonencode",
        FuncDef::builder().param(ParamType::Any).build(jsonencode),
    );
    ctx.declare_var(
        "aws_iam_role",
        hcl::value!({ vendor = { id = "aws_iam_role.vendor.id", arn = "aws_iam_role.vendor.arn" } }),
    );
    // Resource references evaluate to their own path, so the test can check the wiring.
    let refs = |kind: &str, attrs: &[&str]| {
        let mut m = hcl::Map::new();
        // A key alone in its role is named by it; with others, by role and Region.
        let regional = byok::regions::REGIONS.iter().flat_map(|(r, _)| {
            ["replica", "secondary"].map(|role| format!("{role}_{}", r.replace('-', "_")))
        });
        for name in ["primary", "replica", "secondary"]
            .map(String::from)
            .into_iter()
            .chain(regional)
        {
            let mut inner = hcl::Map::new();
            for a in attrs {
                inner.insert(
                    a.to_string(),
                    hcl::Value::from(format!("{kind}.{name}.{a}")),
                );
            }
            m.insert(name, hcl::Value::Object(inner));
        }
        hcl::Value::Object(m)
    };
    ctx.declare_var("aws_kms_key", refs("aws_kms_key", &["arn", "key_id"]));
    ctx.declare_var(
        "aws_kms_replica_key",
        refs("aws_kms_replica_key", &["arn", "key_id"]),
    );
    ctx.declare_var("aws_kms_alias", refs("aws_kms_alias", &["arn"]));
    ctx.declare_var("aws", refs("aws", &[]));
    ctx
}

fn labels(b: &hcl::Block) -> Vec<String> {
    b.labels().iter().map(|l| l.as_str().to_string()).collect()
}

fn attr<'a>(body: &'a hcl::Body, key: &str) -> &'a hcl::Expression {
    body.attributes()
        .find(|a| a.key() == key)
        .map(|a| a.expr())
        .unwrap_or_else(|| panic!("attribute {key} missing"))
}

fn eval(expr: &hcl::Expression, ctx: &hcl::eval::Context) -> Value {
    use hcl::eval::Evaluate;
    let v = expr
        .evaluate(ctx)
        .unwrap_or_else(|e| panic!("cannot evaluate {expr:?}: {e}"));
    serde_json::to_value(v).unwrap()
}

/// A provider reference such as `aws.replica`, as written.
fn traversal_text(expr: &hcl::Expression) -> String {
    match expr {
        hcl::Expression::Traversal(t) => {
            let mut s = match &t.expr {
                hcl::Expression::Variable(v) => v.as_str().to_string(),
                other => panic!("unexpected {other:?}"),
            };
            for op in &t.operators {
                match op {
                    hcl::TraversalOperator::GetAttr(id) => {
                        s.push('.');
                        s.push_str(id.as_str());
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
            s
        }
        other => panic!("not a traversal: {other:?}"),
    }
}

fn check_terraform(name: &str, plan: &Plan, account: Option<&str>) {
    let a = &plan.answers;
    let files = export::render(plan, Format::Terraform, account);
    assert_eq!(files.len(), 1);
    let text = &files[0].contents;
    let body = hcl::parse(text).unwrap_or_else(|e| panic!("{name}: not valid HCL: {e}\n{text}"));
    let mut ctx = hcl_context();
    let blocks: Vec<&hcl::Block> = body.blocks().collect();
    let find = |id: &str, l: &[&str]| -> &hcl::Block {
        blocks
            .iter()
            .find(|b| b.identifier() == id && labels(b) == l)
            .unwrap_or_else(|| panic!("{name}: no {id} {l:?} block\n{text}"))
    };

    // The policy: jsonencode(...) evaluates to byok's policy, with the account substituted.
    let locals = find("locals", &[]);
    let encoded = eval(attr(locals.body(), "key_policy"), &ctx);
    let policy: Value = serde_json::from_str(encoded.as_str().unwrap()).unwrap();
    assert_eq!(policy, policy::build(a, ACCOUNT), "{name}: policy differs");
    ctx.declare_var(
        "local",
        hcl::value!({ key_policy = (encoded.as_str().unwrap()) }),
    );

    // One provider per Region, the account pinned when given.
    let providers: Vec<&&hcl::Block> = blocks
        .iter()
        .filter(|b| b.identifier() == "provider")
        .collect();
    assert_eq!(providers.len(), plan.keys.len(), "{name}");
    for (p, key) in providers.iter().zip(&plan.keys) {
        assert_eq!(eval(attr(p.body(), "region"), &ctx), json!(key.region));
        if key.role != KeyRole::Primary {
            assert_eq!(
                eval(attr(p.body(), "alias"), &ctx),
                json!(plan.key_name(key).replace('-', "_"))
            );
        }
        let pinned = p
            .body()
            .attributes()
            .find(|x| x.key() == "allowed_account_ids");
        match account {
            Some(acc) => assert_eq!(eval(pinned.unwrap().expr(), &ctx), json!([acc])),
            None => assert!(pinned.is_none()),
        }
    }
    assert_eq!(
        blocks
            .iter()
            .any(|b| b.identifier() == "data" && labels(b) == ["aws_caller_identity", "current"]),
        account.is_none(),
        "{name}: the caller identity is looked up exactly when the account is not given"
    );

    for key in &plan.keys {
        let role = &plan.key_name(key).replace('-', "_");
        let kind = if key.role == KeyRole::Replica {
            "aws_kms_replica_key"
        } else {
            "aws_kms_key"
        };
        let k = find("resource", &[kind, role]).body();
        assert_eq!(eval(attr(k, "description"), &ctx), json!(a.description));
        assert_eq!(
            eval(attr(k, "policy"), &ctx),
            encoded,
            "{name}: {role} key without byok's policy"
        );
        let tags = eval(attr(k, "tags"), &ctx);
        let want: serde_json::Map<String, Value> = plan
            .tags_for(key.role)
            .into_iter()
            .map(|(k, v)| (k, json!(v)))
            .collect();
        assert_eq!(tags, Value::Object(want), "{name}: {role} tags");
        if key.role == KeyRole::Replica {
            assert_eq!(
                eval(attr(k, "primary_key_arn"), &ctx),
                json!("aws_kms_key.primary.arn")
            );
        } else {
            assert_eq!(
                eval(attr(k, "multi_region"), &ctx),
                json!(key.role == KeyRole::Primary && a.multi_region())
            );
            assert_eq!(
                eval(attr(k, "enable_key_rotation"), &ctx),
                json!(a.rotation_days.is_some())
            );
            assert_eq!(
                k.attributes()
                    .find(|x| x.key() == "rotation_period_in_days")
                    .map(|x| eval(x.expr(), &ctx)),
                a.rotation_days.map(|d| json!(d)),
                "{name}: rotation period"
            );
            assert_eq!(eval(attr(k, "key_usage"), &ctx), json!("ENCRYPT_DECRYPT"));
            assert_eq!(
                eval(attr(k, "customer_master_key_spec"), &ctx),
                json!("SYMMETRIC_DEFAULT")
            );
        }
        let provider = k.attributes().find(|x| x.key() == "provider");
        let alias = find("resource", &["aws_kms_alias", role]).body();
        let alias_provider = alias.attributes().find(|x| x.key() == "provider");
        if key.role == KeyRole::Primary {
            assert!(provider.is_none() && alias_provider.is_none());
        } else {
            let want = format!("aws.{role}");
            assert_eq!(traversal_text(provider.unwrap().expr()), want);
            assert_eq!(traversal_text(alias_provider.unwrap().expr()), want);
        }
        assert_eq!(eval(attr(alias, "name"), &ctx), json!(key.alias));
        assert_eq!(
            eval(attr(alias, "target_key_id"), &ctx),
            json!(format!("{kind}.{role}.key_id"))
        );
        for (out, value) in [
            (format!("{role}_key_arn"), format!("{kind}.{role}.arn")),
            (
                format!("{role}_alias_arn"),
                format!("aws_kms_alias.{role}.arn"),
            ),
        ] {
            let o = find("output", &[&out]).body();
            assert_eq!(eval(attr(o, "value"), &ctx), json!(value), "{name}: {out}");
        }
    }
    // The role the vendor assumes: the same trust policy, tags and own policy as byok create.
    let role = blocks
        .iter()
        .find(|b| b.identifier() == "resource" && labels(b) == ["aws_iam_role", "vendor"]);
    match (&a.role, role) {
        (None, None) => {}
        (Some(r), Some(b)) => {
            let body = b.body();
            assert_eq!(eval(attr(body, "name"), &ctx), json!(r.name));
            let trust = eval(attr(body, "assume_role_policy"), &ctx);
            let trust: Value = serde_json::from_str(trust.as_str().unwrap()).unwrap();
            assert_eq!(Some(trust), a.trust_policy(), "{name}: trust policy");
            let want: serde_json::Map<String, Value> = byok::role::tags(&a.vendor.id, &a.alias)
                .into_iter()
                .map(|(k, v)| (k, json!(v)))
                .collect();
            assert_eq!(eval(attr(body, "tags"), &ctx), Value::Object(want));
            let own = blocks.iter().find(|b| {
                b.identifier() == "resource" && labels(b) == ["aws_iam_role_policy", "vendor"]
            });
            match (a.role_policy(&["aws_kms_key.primary.arn".to_string()]), own) {
                (None, None) => {}
                (Some(want), Some(b)) => {
                    assert_eq!(
                        eval(attr(b.body(), "role"), &ctx),
                        json!("aws_iam_role.vendor.id")
                    );
                    let got = eval(attr(b.body(), "policy"), &ctx);
                    let got: Value = serde_json::from_str(got.as_str().unwrap()).unwrap();
                    assert_eq!(got, want, "{name}: the role's own policy");
                }
                (w, g) => panic!("{name}: role policy {w:?} vs block {}", g.is_some()),
            }
            let o = find("output", &["role_arn"]).body();
            assert_eq!(
                eval(attr(o, "value"), &ctx),
                json!("aws_iam_role.vendor.arn")
            );
            // Every key waits for the role its policy may name.
            for key in &plan.keys {
                let kind = if key.role == KeyRole::Replica {
                    "aws_kms_replica_key"
                } else {
                    "aws_kms_key"
                };
                let k = find("resource", &[kind, &plan.key_name(key).replace('-', "_")]);
                assert!(
                    k.body().attributes().any(|x| x.key() == "depends_on"),
                    "{name}: {kind} waits for the role"
                );
            }
        }
        (r, b) => panic!("{name}: role {r:?} vs block {}", b.is_some()),
    }
}

#[test]
fn terraform_parses_and_holds_byoks_policy_tags_and_rotation() {
    for (name, a) in setups() {
        let plan = Plan::build(&a);
        check_terraform(name, &plan, None);
        check_terraform(name, &plan, Some(ACCOUNT));
    }
}

/// The layout `terraform fmt` writes, as hclwrite's formatter defines it (no terraform binary
/// is available here), so `terraform fmt -check` passes on every export. Checked per line:
///
/// - indentation: two spaces per open bracket level. A line whose brackets (`(`, `[`, `{`,
///   `${`, and their closers; strings' contents aside) open more than they close indents the
///   lines after it by one level; one that closes more is itself written at the level it
///   returns to;
/// - alignment: a line `KEY = VALUE` whose value is whole on the line (its brackets balance)
///   joins a chain with the same kind of lines directly above and below; in a chain, every `=`
///   is one space after the longest key (columns counted in characters). A line that opens a
///   multi-line value (`tags = {`), a block line, a closing bracket, a comment or a blank line
///   ends the chain and is not aligned itself: its `=` has exactly one space before it;
/// - one space after `=`, no trailing spaces, no tabs, one newline at the end.
///
/// Returns every line that differs, with what fmt would want.
fn terraform_fmt_problems(text: &str) -> Vec<String> {
    struct Line<'a> {
        no: usize,
        text: &'a str,
        net: i32,
        /// Byte offset of an assignment `=` whose value is whole on the line.
        assign: Option<usize>,
        /// Byte offset of any top-level `=` (after the first token).
        eq: Option<usize>,
    }
    /// Brackets per byte offset and `=` signs outside strings, skipping `#` comments.
    fn scan(line: &str) -> (Vec<(usize, i32)>, Vec<usize>) {
        let b = line.as_bytes();
        let (mut brackets, mut eqs) = (Vec::new(), Vec::new());
        // Inside a string: the depth of `${` interpolations open in it (nested strings are
        // rare in byok's output, but handled: a stack of "in string" flags).
        let mut stack: Vec<bool> = vec![false];
        let mut i = 0;
        while i < b.len() {
            let in_str = *stack.last().unwrap();
            let c = b[i];
            if in_str {
                match c {
                    b'\\' => i += 1,
                    b'"' => {
                        stack.pop();
                    }
                    b'$' | b'%' if b.get(i + 1) == Some(&c) => i += 1,
                    b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                        brackets.push((i, 1));
                        stack.push(false);
                        i += 1;
                    }
                    _ => {}
                }
            } else {
                match c {
                    b'#' => break,
                    b'"' => stack.push(true),
                    b'(' | b'[' | b'{' => brackets.push((i, 1)),
                    b')' | b']' => brackets.push((i, -1)),
                    b'}' => {
                        brackets.push((i, -1));
                        // The end of an interpolation returns to its string.
                        if stack.len() > 1 {
                            stack.pop();
                        }
                    }
                    b'=' if b.get(i + 1) != Some(&b'=')
                        && !matches!(b.get(i.wrapping_sub(1)), Some(b'=' | b'!' | b'<' | b'>')) =>
                    {
                        eqs.push(i)
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        (brackets, eqs)
    }
    let mut problems = Vec::new();
    if !text.ends_with('\n') || text.ends_with("\n\n") {
        problems.push("the file must end with exactly one newline".into());
    }
    let mut lines = Vec::new();
    for (n, l) in text.lines().enumerate() {
        if l.ends_with(' ') || l.contains('\t') {
            problems.push(format!("line {}: trailing space or tab: {l:?}", n + 1));
        }
        let (brackets, eqs) = scan(l);
        let net = brackets.iter().map(|(_, d)| d).sum();
        let first = l.len() - l.trim_start().len();
        let eq = eqs.first().copied().filter(|&e| l[first..e].trim() != "");
        let assign = eq.filter(|&e| {
            brackets
                .iter()
                .filter(|(at, _)| *at > e)
                .map(|(_, d)| d)
                .sum::<i32>()
                == 0
        });
        lines.push(Line {
            no: n + 1,
            text: l,
            net,
            assign,
            eq,
        });
    }
    // Indentation, with fmt's stack of "openers on the line that indented".
    let mut indents: Vec<i32> = Vec::new();
    for l in &lines {
        if l.text.trim().is_empty() {
            continue;
        }
        let want = if l.net < 0 {
            let mut closed = -l.net;
            while closed > 0 {
                let Some(top) = indents.last_mut() else { break };
                if closed >= *top {
                    closed -= *top;
                    indents.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
            2 * indents.len()
        } else {
            let w = 2 * indents.len();
            if l.net > 0 {
                indents.push(l.net);
            }
            w
        };
        let have = l.text.len() - l.text.trim_start().len();
        if have != want {
            problems.push(format!(
                "line {}: indented {have}, fmt indents {want}: {:?}",
                l.no, l.text
            ));
        }
    }
    // Alignment over chains of whole-value assignments.
    let key_width = |l: &Line, at: usize| l.text[..at].trim_end().chars().count();
    let mut i = 0;
    while i < lines.len() {
        let Some(_) = lines[i].assign else {
            if let Some(e) = lines[i].eq
                && lines[i].text[..e].ends_with("  ")
            {
                problems.push(format!(
                    "line {}: a multi-line value is not aligned: {:?}",
                    lines[i].no, lines[i].text
                ));
            }
            i += 1;
            continue;
        };
        let start = i;
        while i < lines.len() && lines[i].assign.is_some() {
            i += 1;
        }
        let chain = &lines[start..i];
        let width = chain
            .iter()
            .map(|l| key_width(l, l.assign.unwrap()))
            .max()
            .unwrap();
        for l in chain {
            let at = l.assign.unwrap();
            let col = l.text[..at].chars().count();
            if col != width + 1 {
                problems.push(format!(
                    "line {}: `=` at column {col}, fmt puts it at {} (the chain of lines {}-{}): {:?}",
                    l.no, width + 1, chain[0].no, chain[chain.len() - 1].no, l.text
                ));
            }
        }
    }
    for l in &lines {
        if let Some(e) = l.eq
            && (l.text[e + 1..].starts_with("  ") || !l.text[e + 1..].starts_with(' '))
        {
            problems.push(format!(
                "line {}: not one space after `=`: {:?}",
                l.no, l.text
            ));
        }
    }
    problems
}

#[test]
fn the_fmt_checker_knows_fmts_rule() {
    // What terraform fmt leaves alone.
    let ok = "resource \"x\" \"y\" {\n  a    = 1\n  long = \"=${v}\"\n  tags = {\n    k = \"v\"\n  }\n  b = 2\n  policy = jsonencode({\n    \"A\" = [\"x\"]\n  })\n}\n";
    assert_eq!(terraform_fmt_problems(ok), Vec::<String>::new());
    // Today's layout: the multi-line `tags` aligned with the lines above it.
    let aligned = "resource \"x\" \"y\" {\n  a    = 1\n  tags = {\n    k = \"v\"\n  }\n}\n";
    let p = terraform_fmt_problems(aligned);
    assert!(p.len() == 1 && p[0].contains("line 2"), "{p:#?}");
    let bad = "resource \"x\" \"y\" {\n  a      = 1\n  tags   = {\n    k = \"v\"\n  }\n}\n";
    let p = terraform_fmt_problems(bad);
    assert_eq!(p.len(), 2, "{p:#?}");
    assert!(p[0].contains("line 2") && p[1].contains("line 3"), "{p:#?}");
    let bad = "a {\n b = 1\n  c = [\n  1,\n ]\n}\n";
    assert_eq!(
        terraform_fmt_problems(bad).len(),
        3,
        "{:#?}",
        terraform_fmt_problems(bad)
    );
}

#[test]
fn terraform_is_in_terraform_fmts_layout() {
    for (name, a) in setups() {
        let plan = Plan::build(&a);
        for account in [None, Some(ACCOUNT)] {
            let files = export::render(&plan, Format::Terraform, account);
            let problems = terraform_fmt_problems(&files[0].contents);
            assert!(
                problems.is_empty(),
                "{name}: terraform fmt -check would fail:\n{}\n{}",
                problems.join("\n"),
                files[0].contents
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// CloudFormation

/// Resolve `Fn::Sub` of `${AWS::AccountId}` the way CloudFormation does.
fn cfn_resolve(v: &Value, account: &str) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 && m.contains_key("Fn::Sub") => {
            let s = m["Fn::Sub"].as_str().expect("Fn::Sub with a string");
            json!(s.replace("${AWS::AccountId}", account).replace("${!", "${"))
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), cfn_resolve(v, account)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| cfn_resolve(v, account)).collect()),
        other => other.clone(),
    }
}

fn check_cloudformation(name: &str, plan: &Plan, account: Option<&str>) -> Vec<export::ExportFile> {
    let a = &plan.answers;
    let files = export::render(plan, Format::CloudFormation, account);
    assert_eq!(
        files.len(),
        plan.keys.len(),
        "{name}: one template per Region"
    );
    for (file, key) in files.iter().zip(&plan.keys) {
        assert_eq!(file.region, key.region);
        let t: Value = serde_json::from_str(&file.contents)
            .unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        assert_eq!(t["AWSTemplateFormatVersion"], "2010-09-09");
        let res = t["Resources"].as_object().unwrap();
        let (key_res, ty) = if key.role == KeyRole::Replica {
            ("ReplicaKey", "AWS::KMS::ReplicaKey")
        } else {
            ("Key", "AWS::KMS::Key")
        };
        let role_here = key.role == KeyRole::Primary && a.role.is_some();
        let own_policy = role_here && a.role_policy(&[String::new()]).is_some();
        assert_eq!(
            res.len(),
            2 + usize::from(role_here) + usize::from(own_policy),
            "{name}: a key and its alias (and, in the primary's stack, the role)"
        );
        if role_here {
            let role = &res["VendorRole"];
            assert_eq!(role["Type"], "AWS::IAM::Role");
            assert_eq!(
                Some(role["Properties"]["AssumeRolePolicyDocument"].clone()),
                a.trust_policy(),
                "{name}: trust policy"
            );
            assert_eq!(res[key_res]["DependsOn"], "VendorRole");
            assert_eq!(
                t["Outputs"]["RoleArn"]["Value"],
                json!({ "Fn::GetAtt": ["VendorRole", "Arn"] })
            );
            if own_policy {
                let p = &res["VendorRolePolicy"];
                assert_eq!(p["Type"], "AWS::IAM::RolePolicy");
                assert_eq!(p["Properties"]["RoleName"], json!({ "Ref": "VendorRole" }));
                let mut want = a.role_policy(&[String::new()]).unwrap();
                for st in want["Statement"].as_array_mut().unwrap() {
                    st["Resource"] = json!([{ "Fn::GetAtt": [key_res, "Arn"] }]);
                }
                assert_eq!(
                    p["Properties"]["PolicyDocument"], want,
                    "{name}: role policy"
                );
            }
        }
        assert_eq!(res[key_res]["Type"], ty);
        assert_eq!(res["Alias"]["Type"], "AWS::KMS::Alias");
        assert_eq!(res["Alias"]["Properties"]["AliasName"], json!(key.alias));
        assert_eq!(
            res["Alias"]["Properties"]["TargetKeyId"],
            json!({ "Ref": key_res })
        );
        let props = &res[key_res]["Properties"];
        assert_eq!(
            cfn_resolve(&props["KeyPolicy"], ACCOUNT),
            policy::build(a, ACCOUNT),
            "{name}: policy"
        );
        if account.is_some() {
            assert_eq!(props["KeyPolicy"], policy::build(a, ACCOUNT));
        }
        assert_eq!(props["Description"], json!(a.description));
        let tags: Vec<(String, String)> = props["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["Key"].as_str().unwrap().to_string(),
                    t["Value"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(tags, plan.tags_for(key.role), "{name}: tags");
        if key.role == KeyRole::Replica {
            assert_eq!(props["PrimaryKeyArn"], json!({ "Ref": "PrimaryKeyArn" }));
            assert_eq!(t["Parameters"]["PrimaryKeyArn"]["Type"], "String");
        } else {
            assert_eq!(props["KeySpec"], "SYMMETRIC_DEFAULT");
            assert_eq!(props["KeyUsage"], "ENCRYPT_DECRYPT");
            assert_eq!(
                props["MultiRegion"],
                json!(key.role == KeyRole::Primary && a.multi_region())
            );
            assert_eq!(props["EnableKeyRotation"], json!(a.rotation_days.is_some()));
            assert_eq!(
                props.get("RotationPeriodInDays").cloned(),
                a.rotation_days.map(|d| json!(d))
            );
        }
        let outputs = t["Outputs"].as_object().unwrap();
        for o in ["KeyArn", "KeyId", "AliasName", "AliasArn"] {
            assert!(outputs.contains_key(o), "{name}: output {o}");
        }
        assert_eq!(
            outputs["KeyArn"]["Value"],
            json!({ "Fn::GetAtt": [key_res, "Arn"] })
        );
    }
    files
}

#[test]
fn cloudformation_templates_hold_byoks_policy_and_pass_cfn_lint() {
    let dir = TempDir::new("cfn");
    let mut paths = Vec::new();
    for (name, a) in setups() {
        let plan = Plan::build(&a);
        for account in [None, Some(ACCOUNT)] {
            let files = check_cloudformation(name, &plan, account);
            let sub = dir.path().join(format!("{name}-{}", account.is_some()));
            std::fs::create_dir_all(&sub).unwrap();
            paths.extend(export::write_files(&files, &sub).unwrap());
        }
    }
    // cfn-lint checks every property against AWS's own resource schemas.
    let lint = venv_bin("cfn-lint");
    let out = Command::new(&lint)
        .args(&paths)
        .output()
        .expect("run cfn-lint");
    assert!(
        out.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // And it does catch a wrong property.
    let bad = dir.path().join("bad.json");
    let text = std::fs::read_to_string(&paths[0])
        .unwrap()
        .replace("\"KeyUsage\"", "\"KeyUse\"");
    std::fs::write(&bad, text).unwrap();
    assert!(
        !Command::new(&lint)
            .arg(&bad)
            .output()
            .unwrap()
            .status
            .success()
    );
}

// ---------------------------------------------------------------------------------------
// The AWS CLI script

/// A program from the project's Python venv (moto's), installed with it.
fn venv_bin(name: &str) -> PathBuf {
    let dir = match std::env::var_os("BYOK_MOTO_SERVER") {
        Some(p) => PathBuf::from(p).parent().unwrap().to_path_buf(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin"),
    };
    if !dir.join("moto_server").exists() {
        drop(Moto::start()); // installs the venv on first use
    }
    let p = dir.join(name);
    assert!(p.exists(), "{} is missing", p.display());
    p
}

/// The AWS CLI, installed into the project's venv on first use (as .ci/run does).
fn aws_cli() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let pip = venv_bin("pip");
    let aws = pip.with_file_name("aws");
    if !aws.exists() {
        eprintln!("installing the AWS CLI into the venv (once)...");
        let ok = Command::new(&pip)
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "awscli>=1.33,<2",
            ])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "could not install the AWS CLI: run `.venv/bin/pip install 'awscli>=1.33,<2'`"
        );
    }
    aws
}

/// bash running `script` with fake credentials against moto. Every `aws` command line is
/// appended to `home/aws.log` (moto does not keep what it ignores, such as a rotation period).
fn run_script(moto: &Moto, home: &Path, script: &Path) -> Output {
    let aws = aws_cli();
    let shim = home.join("bin");
    std::fs::create_dir_all(&shim).unwrap();
    std::fs::write(
        shim.join("aws"),
        format!(
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> {}\nprintf '%q ' \"$@\" >> {}\necho >> {}\nexec {} \"$@\"\n",
            home.join("aws.log").display(),
            home.join("calls.log").display(),
            home.join("calls.log").display(),
            aws.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(shim.join("aws"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        shim.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg(script)
        .env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        // No default Region anywhere: the script names the Region of every call.
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_CONFIG_FILE", home.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .stdin(Stdio::null())
        .output()
        .expect("run bash");
    // One line per call (`printf %q`), unlike aws.log, where a policy spans lines.
    let calls = std::fs::read_to_string(home.join("calls.log")).unwrap_or_default();
    for call in calls.lines() {
        assert!(
            call.contains("--region "),
            "the script calls aws without --region: aws {call}"
        );
    }
    out
}

fn sorted(v: Vec<(String, String)>) -> BTreeSet<(String, String)> {
    v.into_iter().collect()
}

#[test]
fn script_is_plain_bash_without_secrets_and_holds_byoks_policy() {
    for (name, a) in setups() {
        let plan = Plan::build(&a);
        for account in [None, Some(ACCOUNT)] {
            let s = &export::render(&plan, Format::AwsCli, account)[0].contents;
            assert!(s.starts_with("#!/usr/bin/env bash\n"));
            assert!(s.contains("\nset -euo pipefail\n"), "{name}");
            // The vendor's own name and its alias hold the word (Snowflake Tri-Secret Secure).
            let upper = s.to_ascii_uppercase().replace("TRI-SECRET", "");
            for secret in ["SECRET", "AWS_ACCESS_KEY_ID", "SESSION_TOKEN", "<CUSTOMER"] {
                assert!(!upper.contains(secret), "{name}: {secret} in the script");
            }
            // The heredoc policy, with the account substituted as the script does.
            let start = s.find("<<'BYOK_POLICY'\n").expect("policy heredoc") + 16;
            let end = s[start..].find("\nBYOK_POLICY\n").unwrap() + start;
            let doc = s[start..end].replace("__BYOK_ACCOUNT_ID__", ACCOUNT);
            let p: Value = serde_json::from_str(&doc).unwrap();
            assert_eq!(p, policy::build(&a, ACCOUNT), "{name}");
            let check = Command::new("bash")
                .arg("-n")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    use std::io::Write;
                    c.stdin.take().unwrap().write_all(s.as_bytes())?;
                    c.wait_with_output()
                })
                .unwrap();
            assert!(
                check.status.success(),
                "{name}: bash -n: {}",
                String::from_utf8_lossy(&check.stderr)
            );
            // shellcheck: quoting, word splitting, errexit pitfalls (installed by .ci/run).
            let lint = Command::new("shellcheck")
                .args(["--shell=bash", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    use std::io::Write;
                    c.stdin.take().unwrap().write_all(s.as_bytes())?;
                    c.wait_with_output()
                })
                .expect(
                    "shellcheck is needed for this test: apt-get install shellcheck (.ci/run does)",
                );
            assert!(
                lint.status.success(),
                "{name}: shellcheck: {}",
                String::from_utf8_lossy(&lint.stdout)
            );
        }
    }
}

#[tokio::test]
async fn script_against_moto_makes_what_byok_create_makes_and_reruns_safely() {
    let moto = Moto::start();
    let dir = TempDir::new("script-mrk");
    let flags = [
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--regionality",
        "multi-region",
        "--admin",
        ADMIN,
        "--tag",
        "team=pay ments",
        "--rotation-days",
        "180",
    ];
    // The script, from the CLI.
    let out = run(moto
        .byok(dir.path())
        .arg("plan")
        .args(flags)
        .args(["--format", "aws-cli", "--out"])
        .arg(dir.path().join("setup.sh")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let script = dir.path().join("setup.sh");
    let first = run_script(&moto, dir.path(), &script);
    assert!(first.status.success(), "script failed: {}", stderr(&first));
    let arns: Vec<String> = stdout(&first).lines().map(str::to_string).collect();
    assert_eq!(arns.len(), 2, "{}", stdout(&first));
    assert!(arns[0].starts_with("arn:aws:kms:eu-west-1:123456789012:key/mrk-"));
    assert!(arns[1].starts_with("arn:aws:kms:eu-west-2:123456789012:key/mrk-"));

    // What it made, through the AWS API, against byok's own policy and tags.
    let a = answers(|r| {
        r.vendor = Some("camunda".into());
        r.principal = Some(CAMUNDA_ROLE.into());
        r.regionality = Some("multi-region".into());
        r.admins = vec![ADMIN.into()];
        r.tags = vec!["team=pay ments".into()];
        r.rotation_days = Some("180".into());
    });
    let plan = Plan::build(&a);
    let want_policy = policy::build(&a, ACCOUNT);
    for (region, role) in [
        ("eu-west-1", KeyRole::Primary),
        ("eu-west-2", KeyRole::Replica),
    ] {
        let kms = moto.kms(region).await;
        let keys = key_ids(&kms).await;
        assert_eq!(keys.len(), 1, "{region}: {keys:?}");
        let id = &keys[0];
        assert_eq!(
            alias_target(&kms, "alias/camunda-saas-byok")
                .await
                .as_deref(),
            Some(id.as_str())
        );
        assert_eq!(policy_of(&kms, id).await, want_policy, "{region}");
        assert_eq!(
            sorted(tags_of(&kms, id).await),
            sorted(plan.tags_for(role)),
            "{region}"
        );
        let d = kms.describe_key().key_id(id).send().await.unwrap();
        let m = d.key_metadata().unwrap();
        assert_eq!(m.description(), Some(a.description.as_str()));
        assert_eq!(m.multi_region(), Some(true));
        assert_eq!(m.key_state().unwrap().as_str(), "Enabled");
    }
    let kms = moto.kms("eu-west-1").await;
    let rot = kms
        .get_key_rotation_status()
        .key_id(&key_ids(&kms).await[0])
        .send()
        .await
        .unwrap();
    assert!(rot.key_rotation_enabled());
    // moto ignores the period, so check what the script asked for.
    let log = std::fs::read_to_string(dir.path().join("aws.log")).unwrap();
    let calls = |what: &str| log.lines().filter(|l| l.starts_with(what)).count();
    assert_eq!(calls("kms create-key"), 1, "{log}");
    assert_eq!(calls("kms replicate-key"), 1, "{log}");
    assert!(
        log.lines().any(
            |l| l.starts_with("kms enable-key-rotation --region eu-west-1")
                && l.ends_with("--rotation-period-in-days 180")
        ),
        "{log}"
    );
    std::fs::remove_file(dir.path().join("aws.log")).unwrap();

    // Safe to re-run: the same ARNs, no second key.
    let again = run_script(&moto, dir.path(), &script);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(stdout(&again), stdout(&first));
    assert!(
        stderr(&again).contains("found the primary key"),
        "{}",
        stderr(&again)
    );
    let log = std::fs::read_to_string(dir.path().join("aws.log")).unwrap();
    for change in ["create-key", "replicate-key", "create-alias"] {
        assert!(!log.contains(change), "a re-run called {change}: {log}");
    }
    for region in ["eu-west-1", "eu-west-2"] {
        assert_eq!(key_ids(&moto.kms(region).await).await.len(), 1, "{region}");
    }

    // byok create with the same answers finds the keys and verifies them as its own:
    // policy, description, Multi-Region, aliases, tags and rotation all match.
    let out = run(moto.byok(dir.path()).arg("create").args(flags).arg("--yes"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), stdout(&first));
    assert!(stderr(&out).contains("key(s) match"), "{}", stderr(&out));
    for region in ["eu-west-1", "eu-west-2"] {
        assert_eq!(key_ids(&moto.kms(region).await).await.len(), 1, "{region}");
    }
}

#[tokio::test]
async fn script_adopts_an_interrupted_runs_key_and_refuses_another_account() {
    let moto = Moto::start();
    let dir = TempDir::new("script-two");
    let a = answers(|r| {
        r.vendor = Some("other".into());
        r.region = Some("eu-central-1".into());
        r.principal = Some("444455556666".into());
        r.regionality = Some("two-keys".into());
        r.replica_regions = vec!["eu-west-3".into()];
        r.no_rotation = true;
    });
    let plan = Plan::build(&a);

    // Pinned to another account: refuses before changing anything.
    let wrong = dir.path().join("wrong.sh");
    export::write_files(
        &export::render(&plan, Format::AwsCli, Some("999999999999")),
        &wrong,
    )
    .unwrap();
    let out = run_script(&moto, dir.path(), &wrong);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("made for 999999999999"),
        "{}",
        stderr(&out)
    );
    assert!(key_ids(&moto.kms("eu-central-1").await).await.is_empty());

    // An earlier run created the second key and stopped before naming it.
    let kms2 = moto.kms("eu-west-3").await;
    let tags: Vec<aws_sdk_kms::types::Tag> = plan
        .tags_for(KeyRole::Secondary)
        .into_iter()
        .map(|(k, v)| {
            aws_sdk_kms::types::Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .unwrap()
        })
        .collect();
    let orphan = kms2
        .create_key()
        .description(&a.description)
        .policy(policy::to_document(&policy::build(&a, ACCOUNT)))
        .set_tags(Some(tags))
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();

    let script = dir.path().join("setup.sh");
    export::write_files(
        &export::render(&plan, Format::AwsCli, Some(ACCOUNT)),
        &script,
    )
    .unwrap();
    let out = run_script(&moto, dir.path(), &script);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("that an earlier run made"),
        "{}",
        stderr(&out)
    );
    let text = stdout(&out);
    let arns: Vec<&str> = text.lines().collect();
    assert_eq!(arns.len(), 2);
    assert!(
        arns[1].ends_with(&orphan),
        "the orphan key is reused: {arns:?}"
    );
    assert_eq!(key_ids(&kms2).await, vec![orphan.clone()]);
    assert_eq!(
        alias_target(&kms2, "alias/saas-byok-replica").await,
        Some(orphan.clone())
    );
    let kms1 = moto.kms("eu-central-1").await;
    let keys1 = key_ids(&kms1).await;
    assert_eq!(keys1.len(), 1);
    assert_eq!(
        policy_of(&kms1, &keys1[0]).await,
        policy::build(&a, ACCOUNT)
    );
    assert_eq!(
        sorted(tags_of(&kms1, &keys1[0]).await),
        sorted(plan.tags_for(KeyRole::Primary))
    );
    for (kms, id) in [(&kms1, &keys1[0]), (&kms2, &orphan)] {
        let rot = kms
            .get_key_rotation_status()
            .key_id(id)
            .send()
            .await
            .unwrap();
        assert!(!rot.key_rotation_enabled(), "rotation stays off as chosen");
    }

    // byok create agrees that this is its setup.
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "other",
        "--region",
        "eu-central-1",
        "--principal",
        "444455556666",
        "--regionality",
        "two-keys",
        "--replica-region",
        "eu-west-3",
        "--no-rotation",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), text);
}

// ---------------------------------------------------------------------------------------
// Hostile vendor text

/// Vendor text as a hostile vendor file would write it, past the load-time checks (as a
/// built-in profile changed later could): a line break and a command ending the generated
/// comment, a Terraform block with a `local-exec` provisioner, OSC 52 (clipboard), a screen
/// clear, a title change, quotes, templates, command substitutions, a right-to-left override
/// and the one-byte CSI. `MARKER` becomes a file path that must never be created.
const HOSTILE: &str = "Acme\ntouch MARKER\n}\nresource \"null_resource\" \"pwn\" {\n  provisioner \"local-exec\" { command = \"touch MARKER\" }\n}\n# \x1b]52;c;dG91Y2ggTUFSS0VS\x07\x1b[2J\x1b]0;pwned\x07 \"q\" 'q' ${x} %{y} $(touch MARKER) `touch MARKER` \u{202e}txt.exe\u{9b}2J\x7f";

/// `a` with hostile text in every vendor field an export or a terminal shows, and in the
/// description and a statement's Sid (both go to KMS).
fn hostile(mut a: Answers, marker: &Path) -> Answers {
    let h = HOSTILE.replace("MARKER", &marker.display().to_string());
    a.vendor.name = h.clone();
    a.vendor.next_step = format!("Next {h}");
    a.vendor.summary = h.clone();
    for r in &mut a.vendor.regions {
        r.name = format!("{} {h}", r.name);
    }
    for m in a.vendor.states.values_mut() {
        m.meaning = format!("{} {h}", m.meaning);
        m.action = format!("{} {h}", m.action);
    }
    // A vendor that only assumes a role in your account (MongoDB Atlas) has no statement.
    if let Some(s) = a.vendor.statements.first_mut() {
        s.sid = format!("Allow {h}");
    }
    a.description = format!("Key {h}");
    a
}

/// No character a terminal would act on, except line breaks.
fn assert_no_raw_controls(what: &str, text: &str) {
    if let Some(c) = text
        .chars()
        .find(|c| *c != '\n' && byok::sanitize::is_unsafe(*c))
    {
        panic!("{what}: {} raw in:\n{text}", byok::sanitize::code_point(c));
    }
}

/// Every block identifier anywhere in a Terraform body.
fn all_block_kinds(body: &hcl::Body, out: &mut Vec<String>) {
    for b in body.blocks() {
        out.push(b.identifier().to_string());
        all_block_kinds(b.body(), out);
    }
}

#[test]
fn hostile_vendor_text_stays_text_in_every_export() {
    let dir = TempDir::new("hostile-exports");
    let marker = dir.path().join("pwned");
    for (name, a) in setups() {
        let a = hostile(a, &marker);
        let plan = Plan::build(&a);
        for account in [None, Some(ACCOUNT)] {
            // Terraform: the same resources and values as ever (the description, the policy
            // with its hostile Sid, evaluated), exactly the expected top-level blocks and no
            // provisioner anywhere.
            check_terraform(name, &plan, account);
            let tf = &export::render(&plan, Format::Terraform, account)[0].contents;
            assert_no_raw_controls(name, tf);
            let body = hcl::parse(tf).unwrap();
            let top: Vec<(String, Vec<String>)> = body
                .blocks()
                .map(|b| (b.identifier().to_string(), labels(b)))
                .collect();
            let mut want = vec![("terraform".to_string(), vec![])];
            for _ in &plan.keys {
                want.push(("provider".into(), vec!["aws".into()]));
            }
            if account.is_none() {
                want.push((
                    "data".into(),
                    vec!["aws_caller_identity".into(), "current".into()],
                ));
            }
            want.push(("locals".into(), vec![]));
            // The role a vendor assumes comes first: the keys' policies name it.
            if a.role.is_some() {
                want.push((
                    "resource".into(),
                    vec!["aws_iam_role".into(), "vendor".into()],
                ));
                if a.role_policy(&["000000000000".to_string()]).is_some() {
                    want.push((
                        "resource".into(),
                        vec!["aws_iam_role_policy".into(), "vendor".into()],
                    ));
                }
                want.push(("output".into(), vec!["role_arn".into()]));
            }
            for key in &plan.keys {
                let role = plan.key_name(key).replace('-', "_");
                let kind = if key.role == KeyRole::Replica {
                    "aws_kms_replica_key"
                } else {
                    "aws_kms_key"
                };
                want.push(("resource".into(), vec![kind.into(), role.clone()]));
                want.push((
                    "resource".into(),
                    vec!["aws_kms_alias".into(), role.clone()],
                ));
                want.push(("output".into(), vec![format!("{role}_key_arn")]));
                want.push(("output".into(), vec![format!("{role}_alias_arn")]));
            }
            assert_eq!(top, want, "{name}: top-level blocks");
            let mut kinds = Vec::new();
            all_block_kinds(&body, &mut kinds);
            assert!(
                !kinds.iter().any(|k| k == "provisioner"),
                "{name}: {kinds:?}"
            );
            // The vendor's name is in an output's description, literally.
            let out = body
                .blocks()
                .find(|b| b.identifier() == "output" && labels(b) == ["primary_key_arn"])
                .unwrap();
            assert_eq!(
                eval(attr(out.body(), "description"), &hcl_context()),
                json!(format!(
                    "The primary key's ARN ({}), for {}",
                    plan.keys[0].region, a.vendor.name
                ))
            );

            // CloudFormation: the values unchanged, the text free of raw controls.
            for f in check_cloudformation(name, &plan, account) {
                assert_no_raw_controls(name, &f.contents);
                let t: Value = serde_json::from_str(&f.contents).unwrap();
                assert!(
                    t["Outputs"]["KeyArn"]["Description"]
                        .as_str()
                        .unwrap()
                        .ends_with(&a.vendor.name)
                );
            }

            // The script: valid bash, clean under shellcheck, the description exactly as
            // KMS must get it, and no line of vendor text outside a comment or a quote.
            let script = &export::render(&plan, Format::AwsCli, account)[0].contents;
            assert_no_raw_controls(name, script);
            for l in script.lines() {
                assert!(
                    !l.starts_with("touch") && !l.starts_with("resource"),
                    "{name}: vendor text on a line of its own: {l:?}"
                );
            }
            let path = dir.path().join(format!("{name}.sh"));
            std::fs::write(&path, script).unwrap();
            let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
            assert!(
                check.status.success(),
                "{name}: bash -n: {}",
                stderr(&check)
            );
            let lint = Command::new("shellcheck")
                .args(["--shell=bash"])
                .arg(&path)
                .output()
                .expect("shellcheck is needed for this test: apt-get install shellcheck");
            assert!(
                lint.status.success(),
                "{name}: shellcheck: {}",
                stdout(&lint)
            );
            // The settings at the top of the script, evaluated by bash.
            let settings: String = script
                .lines()
                .take_while(|l| !l.starts_with("say()"))
                .filter(|l| l.contains('=') && !l.starts_with('#'))
                .map(|l| format!("{l}\n"))
                .collect();
            let value = Command::new("bash")
                .arg("-c")
                .arg(format!("{settings}printf '%s' \"$DESCRIPTION\""))
                .output()
                .unwrap();
            assert_eq!(stdout(&value), a.description, "{name}: {}", stderr(&value));

            // The plan as text.
            let text = &export::render(&plan, Format::Text, account)[0].contents;
            assert_no_raw_controls(name, text);
        }
    }
    assert!(!marker.exists(), "vendor text ran as a command");
}

/// The script made from hostile vendor text, run with bash against moto: it makes the key
/// (the description reaches KMS exactly), prints the vendor's text escaped, and runs none
/// of it. Before, a line break in the vendor's name ended the comment and the next line ran.
#[test]
fn hostile_vendor_script_runs_against_moto_and_runs_no_vendor_text() {
    let moto = Moto::start();
    let dir = TempDir::new("hostile-script");
    let marker = dir.path().join("pwned");
    let a = hostile(
        answers(|r| {
            r.vendor = Some("other".into());
            r.region = Some("eu-central-1".into());
            r.principal = Some("444455556666".into());
            r.no_rotation = true;
        }),
        &marker,
    );
    let plan = Plan::build(&a);
    let script = dir.path().join("setup.sh");
    std::fs::write(
        &script,
        &export::render(&plan, Format::AwsCli, Some(ACCOUNT))[0].contents,
    )
    .unwrap();
    let out = run_script(&moto, dir.path(), &script);
    assert!(out.status.success(), "script failed: {}", stderr(&out));
    assert!(!marker.exists(), "vendor text ran as a command");
    assert_no_raw_controls("the script's output", &stderr(&out));
    assert!(
        stderr(&out).contains("Done. Your key(s) for Acme\\u{a}touch "),
        "{}",
        stderr(&out)
    );
    let arn = stdout(&out).trim().to_string();
    assert!(
        arn.starts_with("arn:aws:kms:eu-central-1:123456789012:key/"),
        "{arn}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let kms = moto.kms("eu-central-1").await;
        let d = kms.describe_key().key_id(&arn).send().await.unwrap();
        assert_eq!(
            d.key_metadata().unwrap().description(),
            Some(a.description.as_str())
        );
        let keys = key_ids(&kms).await;
        assert_eq!(policy_of(&kms, &keys[0]).await, policy::build(&a, ACCOUNT));
    });
}

// ---------------------------------------------------------------------------------------
// The CLI around the exports

fn byok_offline(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_byok"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
    c
}

const CAMUNDA_MRK: &[&str] = &[
    "plan",
    "--vendor",
    "camunda",
    "--principal",
    CAMUNDA_ROLE,
    "--regionality",
    "multi-region",
];

#[test]
fn plan_formats_from_the_command_line() {
    let dir = TempDir::new("plan-formats");
    // Terraform and the script to stdout.
    for (format, marker) in [
        ("terraform", "resource \"aws_kms_replica_key\" \"replica\""),
        ("aws-cli", "set -euo pipefail"),
        ("text", "Replicate it to eu-west-2"),
    ] {
        let out = run(byok_offline(dir.path())
            .args(CAMUNDA_MRK)
            .args(["--format", format]));
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        assert!(stdout(&out).contains(marker), "{format}");
    }
    // Two CloudFormation templates do not fit on stdout: say so, write nothing.
    let out = run(byok_offline(dir.path())
        .args(CAMUNDA_MRK)
        .args(["--format", "cloudformation"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--out"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    // With --out DIR: both, named by Region, and how to deploy them.
    let target = dir.path().join("cfn/");
    let out = run(byok_offline(dir.path())
        .args(CAMUNDA_MRK)
        .args(["--format", "cloudformation", "--out"])
        .arg(format!("{}/", target.display())));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listed = stdout(&out);
    let written: Vec<&str> = listed.lines().collect();
    assert_eq!(written.len(), 2);
    assert!(written[0].ends_with("camunda-saas-byok.eu-west-1.template.json"));
    assert!(written[1].ends_with("camunda-saas-byok.eu-west-2.template.json"));
    assert!(stderr(&out).contains("--parameter-overrides \"PrimaryKeyArn=$PRIMARY_KEY_ARN\""));
    for w in written {
        let _: Value = serde_json::from_str(&std::fs::read_to_string(w).unwrap()).unwrap();
    }
    // A bad --account is refused, naming the flag.
    let out = run(byok_offline(dir.path()).args(CAMUNDA_MRK).args([
        "--format",
        "terraform",
        "--account",
        "12345",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--account"), "{}", stderr(&out));
    // The script is written executable.
    let out = run(byok_offline(dir.path())
        .args(CAMUNDA_MRK)
        .args(["--format", "aws-cli", "--quiet", "--out"])
        .arg(dir.path().join("s.sh")));
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).is_empty(), "--quiet: {}", stderr(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("s.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111);
    }
}

#[test]
fn completions_for_each_shell_name_every_command() {
    let dir = TempDir::new("completions");
    for shell in ["bash", "zsh", "fish"] {
        let out = run(byok_offline(dir.path()).args(["completions", shell]));
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let s = stdout(&out);
        for word in [
            "create",
            "plan",
            "policy",
            "completions",
            "man",
            "vendor",
            "format",
            "cloudformation",
        ] {
            assert!(s.contains(word), "{shell} completions lack {word}");
        }
    }
    // The answers' values are declared: completion offers them, never file names.
    let bash = stdout(&run(byok_offline(dir.path()).args(["completions", "bash"])));
    // Every built-in profile, in the wizard's order.
    let ids = Catalog::built_in().ids().join(" ");
    let zsh_ids = format!("({ids})");
    for (flag, values) in [
        ("--vendor", ids.as_str()),
        ("--regionality", "single multi-region two-keys"),
        ("--region", "us-east-1 us-east-2"),
        ("--replica-region", "us-east-1 us-east-2"),
    ] {
        let lines: Vec<&str> = bash.lines().collect();
        let cases: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].trim() == format!("{flag})"))
            .collect();
        assert!(!cases.is_empty(), "bash: no case for {flag}");
        for i in cases {
            assert!(
                lines[i + 1].contains(&format!("compgen -W \"{values}")),
                "bash completes {flag} with {}",
                lines[i + 1]
            );
        }
    }
    let zsh = stdout(&run(byok_offline(dir.path()).args(["completions", "zsh"])));
    for (flag, values) in [
        ("--vendor", zsh_ids.as_str()),
        ("--regionality", "(single multi-region two-keys)"),
        ("--region", "(us-east-1 us-east-2 "),
    ] {
        let lines: Vec<&str> = zsh
            .lines()
            .filter(|l| l.contains(&format!("'{flag}=[")))
            .collect();
        assert!(!lines.is_empty(), "zsh: {flag}");
        for l in lines {
            assert!(l.contains(values), "zsh completes {flag} with {l}");
        }
    }
    let fish = stdout(&run(byok_offline(dir.path()).args(["completions", "fish"])));
    for flag in ["vendor", "regionality", "region", "replica-region"] {
        for l in fish.lines().filter(|l| l.contains(&format!(" -l {flag} "))) {
            assert!(
                l.contains(" -f -a \""),
                "fish completes --{flag} with files: {l}"
            );
        }
    }
    let out = run(byok_offline(dir.path()).args(["completions", "tcsh"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_page_prints_and_writes_one_page_per_command() {
    let dir = TempDir::new("man");
    let out = run(byok_offline(dir.path()).arg("man"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    // One header line: title, section, no date, the source "byok VERSION", the manual.
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        page.lines().next(),
        Some(format!(".TH BYOK 1 \"\" \"byok {version}\" \"User Commands\"").as_str()),
        "{page}"
    );
    for section in [
        ".SH \"EXAMPLES\"",
        ".SH \"EXIT STATUS\"",
        ".SH \"ENVIRONMENT\"",
        ".SH \"FILES\"",
        ".SH \"GLOBAL OPTIONS\"",
    ] {
        assert!(page.contains(section), "man page lacks {section}:\n{page}");
    }
    for word in [
        "BYOK_STATE_DIR",
        "journal.jsonl",
        "debug.log",
        "\\fB130\\fR",
        "byok \\-\\-demo",
    ] {
        assert!(page.contains(word), "man page lacks {word}");
    }
    for word in ["create", "plan", "policy", "completions", "\\-\\-profile"] {
        assert!(page.contains(word), "man page lacks {word}");
    }
    let out = run(byok_offline(dir.path())
        .args(["man", "--out-dir"])
        .arg(dir.path().join("man1")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for command in ["create", "plan", "policy", "status", "completions", "man"] {
        let page = format!("byok-{command}.1");
        let text = std::fs::read_to_string(dir.path().join("man1").join(&page)).unwrap();
        let title = format!("BYOK\\-{}", command.to_uppercase());
        assert_eq!(
            text.lines().next(),
            Some(format!(".TH {title} 1 \"\" \"byok {version}\" \"User Commands\"").as_str()),
            "{page}"
        );
        assert!(
            text.contains(".SH \"EXAMPLES\"") && text.contains(".SH \"EXIT STATUS\""),
            "{page}"
        );
        assert!(
            text.contains(&format!("byok {command}")),
            "{page}: an example of the command"
        );
    }
}

#[test]
fn version_names_the_profiles() {
    let dir = TempDir::new("version");
    let out = run(byok_offline(dir.path()).arg("--version"));
    assert_eq!(out.status.code(), Some(0));
    let s = stdout(&out);
    assert!(
        s.starts_with(&format!("byok {}", env!("CARGO_PKG_VERSION"))),
        "{s}"
    );
    for v in ["camunda", "gearset", "other"] {
        assert!(s.contains(v), "{s}");
    }
}

#[test]
fn region_defaults_like_the_aws_cli_for_any_region_vendors_only() {
    let dir = TempDir::new("region");
    let other = [
        "plan",
        "--vendor",
        "other",
        "--principal",
        "444455556666",
        "--output",
        "json",
    ];
    let region_of = |out: &Output| -> String {
        let v: Value =
            serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(out)));
        v["keys"][0]["region"].as_str().unwrap().to_string()
    };
    // Nothing set: the Region is required, and the message names the flag.
    let out = run(byok_offline(dir.path()).args(other));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--region"), "{}", stderr(&out));
    // The profile's region, then AWS_DEFAULT_REGION, then AWS_REGION, then --region.
    std::fs::write(
        dir.path().join("config"),
        "[default]\nregion = eu-north-1\n\n[profile work]\nregion = ap-south-1\n",
    )
    .unwrap();
    let out = run(byok_offline(dir.path()).args(other));
    assert_eq!(region_of(&out), "eu-north-1");
    assert!(
        stderr(&out).contains("from the default profile"),
        "{}",
        stderr(&out)
    );
    let out = run(byok_offline(dir.path())
        .args(["--profile", "work"])
        .args(other));
    assert_eq!(region_of(&out), "ap-south-1");
    let out = run(byok_offline(dir.path())
        .env("AWS_PROFILE", "work")
        .args(other));
    assert_eq!(region_of(&out), "ap-south-1");
    let out = run(byok_offline(dir.path())
        .env("AWS_DEFAULT_REGION", "eu-west-3")
        .args(other));
    assert_eq!(region_of(&out), "eu-west-3");
    let out = run(byok_offline(dir.path())
        .env("AWS_DEFAULT_REGION", "eu-west-3")
        .env("AWS_REGION", "us-east-2")
        .args(other));
    assert_eq!(region_of(&out), "us-east-2");
    let out = run(byok_offline(dir.path())
        .env("AWS_REGION", "us-east-2")
        .args(other)
        .args(["--region", "sa-east-1"]));
    assert_eq!(region_of(&out), "sa-east-1");
    // A vendor with its own Regions never takes one from the environment.
    let out = run(byok_offline(dir.path())
        .env("AWS_REGION", "us-west-2")
        .args(["plan", "--vendor", "gearset", "--output", "json"]));
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let out = run(byok_offline(dir.path())
        .env("AWS_REGION", "us-east-1")
        .args([
            "plan",
            "--vendor",
            "camunda",
            "--principal",
            CAMUNDA_ROLE,
            "--output",
            "json",
        ]));
    assert_eq!(region_of(&out), "eu-west-1");
}

#[test]
fn no_color_flag_and_variable_are_accepted() {
    let dir = TempDir::new("nocolor");
    for (env, flag) in [
        (Some("1"), None),
        (None, Some("--no-color")),
        (Some(""), None),
    ] {
        let mut c = byok_offline(dir.path());
        if let Some(v) = env {
            c.env("NO_COLOR", v);
        }
        if let Some(f) = flag {
            c.arg(f);
        }
        let out = run(c.args(CAMUNDA_MRK));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{env:?} {flag:?}: {}",
            stderr(&out)
        );
    }
}

// ---------------------------------------------------------------------------------------
// JSON outputs against schemas/

/// A JSON Schema validator for the subset schemas/ uses. An unknown keyword fails the test,
/// so a schema can never be checked less strictly than it reads.
struct Schemas {
    dir: PathBuf,
}

impl Schemas {
    fn new() -> Schemas {
        Schemas {
            dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas"),
        }
    }

    fn load(&self, file: &str) -> Value {
        let text = std::fs::read_to_string(self.dir.join(file))
            .unwrap_or_else(|e| panic!("schemas/{file}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("schemas/{file}: {e}"))
    }

    /// Every problem of `v` against `file`'s schema.
    fn check(&self, file: &str, v: &Value) -> Vec<String> {
        let root = self.load(file);
        let mut problems = Vec::new();
        self.walk(file, &root, &root, v, "$", &mut problems);
        problems
    }

    fn resolve(&self, file: &str, root: &Value, reference: &str) -> (String, Value) {
        let (f, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let (file, root) = if f.is_empty() {
            (file.to_string(), root.clone())
        } else {
            (f.to_string(), self.load(f))
        };
        let target = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{file}: no {pointer}"))
            .clone();
        (file, target)
    }

    fn walk(
        &self,
        file: &str,
        root: &Value,
        s: &Value,
        v: &Value,
        at: &str,
        out: &mut Vec<String>,
    ) {
        let s = s.as_object().expect("a schema is an object");
        for (k, rule) in s {
            match k.as_str() {
                "$schema"
                | "$id"
                | "title"
                | "description"
                | "$defs"
                | "properties"
                | "additionalProperties" => {}
                "$ref" => {
                    let (f, target) = self.resolve(file, root, rule.as_str().unwrap());
                    let new_root = if f == file {
                        root.clone()
                    } else {
                        self.load(&f)
                    };
                    self.walk(&f, &new_root, &target, v, at, out);
                }
                "type" => {
                    let types: Vec<&str> = match rule {
                        Value::String(t) => vec![t.as_str()],
                        Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                        _ => panic!("bad type"),
                    };
                    let ok = types.iter().any(|t| match *t {
                        "object" => v.is_object(),
                        "array" => v.is_array(),
                        "string" => v.is_string(),
                        "boolean" => v.is_boolean(),
                        "null" => v.is_null(),
                        "integer" => v.is_u64() || v.is_i64(),
                        "number" => v.is_number(),
                        other => panic!("unknown type {other}"),
                    });
                    if !ok {
                        out.push(format!("{at}: {v} is not {types:?}"));
                    }
                }
                "enum" => {
                    if !rule.as_array().unwrap().contains(v) {
                        out.push(format!("{at}: {v} is not one of {rule}"));
                    }
                }
                "const" => {
                    if rule != v {
                        out.push(format!("{at}: {v} is not {rule}"));
                    }
                }
                "required" => {
                    if let Some(o) = v.as_object() {
                        for r in rule.as_array().unwrap() {
                            if !o.contains_key(r.as_str().unwrap()) {
                                out.push(format!("{at}: {r} is missing"));
                            }
                        }
                    }
                }
                "minItems" => {
                    if let Some(a) = v.as_array()
                        && (a.len() as u64) < rule.as_u64().unwrap()
                    {
                        out.push(format!("{at}: fewer than {rule} items"));
                    }
                }
                "maxItems" => {
                    if let Some(a) = v.as_array()
                        && (a.len() as u64) > rule.as_u64().unwrap()
                    {
                        out.push(format!("{at}: more than {rule} items"));
                    }
                }
                "minLength" => {
                    if let Some(t) = v.as_str()
                        && (t.chars().count() as u64) < rule.as_u64().unwrap()
                    {
                        out.push(format!("{at}: shorter than {rule}"));
                    }
                }
                "minimum" => {
                    if let Some(n) = v.as_f64()
                        && n < rule.as_f64().unwrap()
                    {
                        out.push(format!("{at}: {n} < {rule}"));
                    }
                }
                "items" => {
                    if let Some(a) = v.as_array() {
                        for (i, item) in a.iter().enumerate() {
                            self.walk(file, root, rule, item, &format!("{at}[{i}]"), out);
                        }
                    }
                }
                "anyOf" => {
                    let fits = rule.as_array().unwrap().iter().any(|alt| {
                        let mut p = Vec::new();
                        self.walk(file, root, alt, v, at, &mut p);
                        p.is_empty()
                    });
                    if !fits {
                        out.push(format!("{at}: {v} fits none of anyOf"));
                    }
                }
                other => panic!("{file}: keyword {other} is not supported by this check"),
            }
        }
        if let Some(o) = v.as_object() {
            let props = s.get("properties").and_then(Value::as_object);
            for (k, item) in o {
                let path = format!("{at}.{k}");
                match (props.and_then(|p| p.get(k)), s.get("additionalProperties")) {
                    (Some(ps), _) => self.walk(file, root, ps, item, &path, out),
                    (None, Some(Value::Bool(false))) => {
                        out.push(format!("{path} is not in the schema"))
                    }
                    (None, Some(extra @ Value::Object(_))) => {
                        self.walk(file, root, extra, item, &path, out)
                    }
                    (None, _) => {}
                }
            }
        }
    }
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(out), stderr(out)))
}

fn assert_fits(schemas: &Schemas, file: &str, v: &Value) {
    let problems = schemas.check(file, v);
    assert!(problems.is_empty(), "{file}: {problems:#?}\n{v:#}");
}

#[test]
fn json_outputs_match_their_schemas_offline() {
    let schemas = Schemas::new();
    let dir = TempDir::new("schemas");
    let plans: [&[&str]; 4] = [
        CAMUNDA_MRK,
        &[
            "plan",
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
        &[
            "plan",
            "--vendor",
            "gearset",
            "--region",
            "us-west-2",
            "--tag",
            "a=b",
            "--admin",
            ADMIN,
            "--no-rotation",
        ],
        &[
            "plan",
            "--vendor",
            "other",
            "--region",
            "eu-central-1",
            "--principal",
            "444455556666",
            "--regionality",
            "two-keys",
            "--replica-region",
            "eu-west-1",
        ],
    ];
    for args in plans {
        let out = run(byok_offline(dir.path())
            .args(args)
            .args(["--output", "json"]));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let v = json_of(&out);
        assert_fits(&schemas, "plan.schema.json", &v);
        for format in ["terraform", "cloudformation", "aws-cli"] {
            for account in [None, Some(ACCOUNT)] {
                let mut c = byok_offline(dir.path());
                c.args(args).args(["--format", format, "--output", "json"]);
                if let Some(acc) = account {
                    c.args(["--account", acc]);
                }
                let out = run(&mut c);
                assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
                let v = json_of(&out);
                assert_fits(&schemas, "export.schema.json", &v);
                assert_eq!(v["format"], format);
                assert_eq!(v["account"], json!(account));
            }
        }
    }
    let out = run(byok_offline(dir.path()).args([
        "policy",
        "--vendor",
        "gearset",
        "--region",
        "eu-west-1",
        "--admin",
        ADMIN,
        "--account",
        ACCOUNT,
        "--output",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json_of(&out);
    assert_fits(&schemas, "policy.schema.json", &v);
    assert_eq!(v["account"], ACCOUNT);
    assert_eq!(
        v["bytes"].as_u64().unwrap() as usize,
        policy::to_document(&v["policy"]).len()
    );
    // The check is not vacuous: a wrong shape is caught.
    let mut bad = v.clone();
    bad["policy"]["Statement"][0]["Effect"] = json!("Deny");
    bad["extra"] = json!(1);
    bad.as_object_mut().unwrap().remove("account");
    assert_eq!(
        schemas.check("policy.schema.json", &bad).len(),
        3,
        "{bad:#}"
    );
}

/// `byok status --key K --<action> --output json` against moto: every action, hence every
/// KMS call an action sends (state changes, rotation with its period, a policy change with
/// its tag and diff, deletion and its cancellation) and "nothing to change", fits
/// schemas/status-action.schema.json.
#[tokio::test]
async fn status_action_json_matches_its_schema() {
    let schemas = Schemas::new();
    let moto = Moto::start();
    let dir = TempDir::new("status-action-json");
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "gearset",
        "--region",
        "eu-west-1",
        "--alias",
        "schema-act",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let act = |args: &[&str]| {
        let out = run(moto
            .byok(dir.path())
            .args([
                "status",
                "--key",
                "alias/schema-act",
                "--region",
                "eu-west-1",
                "--yes",
                "--output",
                "json",
            ])
            .args(args));
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        json_of(&out)
    };
    let mut seen = BTreeSet::new();
    let steps: [(&[&str], &[&str]); 10] = [
        (&["--disable"], &["DisableKey"]),
        (&["--enable"], &["EnableKey"]),
        (&["--rotation-days", "180"], &["EnableKeyRotation"]),
        (&["--rotate-now"], &["RotateKeyOnDemand"]),
        (&["--disable-rotation"], &["DisableKeyRotation"]),
        // The policy byok wrote is intact: nothing to change, nothing sent.
        (&["--repair-policy"], &[]),
        (&["--revoke-access"], &["TagResource", "PutKeyPolicy"]),
        (&["--restore-access"], &["PutKeyPolicy"]),
        (
            &["--schedule-deletion", "7", "--confirm-alias", "schema-act"],
            &["ScheduleKeyDeletion"],
        ),
        (&["--cancel-deletion"], &["CancelKeyDeletion", "EnableKey"]),
    ];
    for (args, calls) in steps {
        let v = act(args);
        assert_fits(&schemas, "status-action.schema.json", &v);
        let plans = v["plans"].as_array().unwrap();
        assert_eq!(plans.len(), 1, "{v:#}");
        assert_eq!(plans[0]["target"], "alias/schema-act in eu-west-1");
        let changes = plans[0]["changes"].as_array().unwrap();
        let got: Vec<&str> = changes
            .iter()
            .map(|c| c["call"].as_str().unwrap())
            .collect();
        assert_eq!(got, calls, "{args:?}: {v:#}");
        let results = v["results"].as_array().unwrap();
        assert_eq!(results.len(), calls.len(), "{v:#}");
        for (r, c) in results.iter().zip(changes) {
            assert_eq!(r["ok"], true, "{r}");
            assert_eq!(r["error"], Value::Null);
            assert_eq!(
                r["change"].as_str().unwrap(),
                format!(
                    "{} {} in eu-west-1",
                    c["call"].as_str().unwrap(),
                    c["key_id"].as_str().unwrap()
                )
            );
        }
        for c in changes {
            match c["call"].as_str().unwrap() {
                "EnableKeyRotation" => assert_eq!(c["days"], 180),
                "ScheduleKeyDeletion" => assert_eq!(c["days"], 7),
                "PutKeyPolicy" => {
                    assert!(c["policy"].as_str().unwrap().contains("\"Statement\""));
                    assert!(!c["diff"].as_array().unwrap().is_empty());
                }
                "TagResource" => assert_eq!(c["tags"][0][0], "byok:vendor-principal"),
                _ => assert!(c.get("days").is_none() && c.get("policy").is_none()),
            }
        }
        seen.extend(got.iter().map(|s| s.to_string()));
    }
    // Every call the schema names was seen, and nothing else.
    let schema = schemas.load("status-action.schema.json");
    let named: BTreeSet<String> = schema["$defs"]["change"]["properties"]["call"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, named);
    // The check is not vacuous: a wrong shape is caught.
    let mut bad = act(&["--disable"]);
    bad["results"][0]["error"] = json!(5);
    bad["plans"][0]["changes"][0]["call"] = json!("DeleteKey");
    bad["plans"][0]["changes"][0]["tags"] = json!([["only-a-key"]]);
    bad["extra"] = json!(1);
    bad["plans"][0].as_object_mut().unwrap().remove("notes");
    let problems = schemas.check("status-action.schema.json", &bad);
    assert_eq!(problems.len(), 5, "{problems:#?}");
    let ok = act(&["--enable"]);
    assert_fits(&schemas, "status-action.schema.json", &ok);
}

#[tokio::test]
async fn create_json_matches_its_schema_when_done_and_when_refused() {
    let schemas = Schemas::new();
    let moto = Moto::start();
    let dir = TempDir::new("create-json");
    let args = [
        "create",
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--regionality",
        "two-keys",
        "--yes",
        "--output",
        "json",
    ];
    let out = run(moto.byok(dir.path()).args(args));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json_of(&out);
    assert_fits(&schemas, "create.schema.json", &v);
    assert_eq!(v["status"], "completed");
    assert_eq!(v["keys"].as_array().unwrap().len(), 2);
    assert!(
        stderr(&out).is_empty(),
        "json mode prints nothing else: {}",
        stderr(&out)
    );

    // A primary with two replicas: three keys, each with its role, Region and alias.
    let out = run(moto.byok(dir.path()).args([
        "create",
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
        "--yes",
        "--output",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json_of(&out);
    assert_fits(&schemas, "create.schema.json", &v);
    let keys: Vec<(String, String)> = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["role"].as_str().unwrap().to_string(),
                k["region"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("primary".to_string(), "eu-west-1".to_string()),
            ("replica".to_string(), "eu-central-1".to_string()),
            ("replica".to_string(), "us-east-1".to_string())
        ]
    );

    // The alias now names a key byok did not make for this vendor: a refusal, as JSON.
    let kms = moto.kms("eu-west-1").await;
    let other = kms.create_key().send().await.unwrap();
    let other_id = other.key_metadata().unwrap().key_id();
    kms.create_alias()
        .alias_name("alias/taken")
        .target_key_id(other_id)
        .send()
        .await
        .unwrap();
    let out = run(moto.byok(dir.path()).args([
        "create",
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--alias",
        "taken",
        "--yes",
        "--output",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let v = json_of(&out);
    assert_fits(&schemas, "create.schema.json", &v);
    assert_eq!(v["status"], "failed");
    assert!(
        v["finish_command"]
            .as_str()
            .unwrap()
            .contains("--alias alias/taken")
    );

    // --quiet: ARNs only.
    let out = run(moto.byok(dir.path()).args([
        "--quiet",
        "create",
        "--vendor",
        "camunda",
        "--principal",
        CAMUNDA_ROLE,
        "--regionality",
        "two-keys",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2);
}

/// `--format text --output json` is the plan (plan.schema.json); export.schema.json lists only
/// the formats that export; `--out` with it is refused before anything is written.
#[test]
fn the_text_plan_as_json_is_the_plan_schema_and_exports_are_the_export_schema() {
    let schemas = Schemas::new();
    let dir = TempDir::new("text-json");
    let out = run(byok_offline(dir.path())
        .args(CAMUNDA_MRK)
        .args(["--format", "text", "--output", "json"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_fits(&schemas, "plan.schema.json", &json_of(&out));
    let export = schemas.load("export.schema.json");
    assert_eq!(
        export["properties"]["format"]["enum"],
        json!(["terraform", "cloudformation", "aws-cli"])
    );
    let target = dir.path().join("plan.json");
    let out = run(byok_offline(dir.path())
        .args(CAMUNDA_MRK)
        .args(["--format", "text", "--output", "json", "--out"])
        .arg(&target));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("plan.schema.json"),
        "{}",
        stderr(&out)
    );
    assert!(!target.exists());
}

/// Every `$ref` in a schema points inside it, and no schema claims an `$id` on a host, so a
/// plain validator (python-jsonschema here, offline) checks every output with the one file.
#[test]
fn schemas_are_self_contained_for_a_plain_validator() {
    let dir = TempDir::new("plain-validator");
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if k == "$ref" || k == "$id" {
                        out.push(format!("{k} {}", v.as_str().unwrap_or_default()));
                    }
                    refs(v, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(root.join("schemas")).unwrap() {
        let path = entry.unwrap().path();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut found = Vec::new();
        refs(&v, &mut found);
        for r in found {
            assert!(
                r.starts_with("$ref #"),
                "{}: {r}: points outside the file",
                path.display()
            );
        }
    }
    // Real outputs, validated by python-jsonschema (it comes with cfn-lint in .venv).
    let python = venv_bin("python3");
    let validate = |schema: &str, doc: &[u8]| {
        let mut child = Command::new(&python)
            .args([
                "-c",
                "import json, sys, jsonschema\n\
                 s = json.load(open(sys.argv[1]))\n\
                 jsonschema.Draft202012Validator.check_schema(s)\n\
                 jsonschema.Draft202012Validator(s).validate(json.load(sys.stdin))",
            ])
            .arg(root.join("schemas").join(schema))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(doc).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{schema}: {}", stderr(&out));
    };
    let gearset = ["--vendor", "gearset", "--region", "us-west-2"];
    let with = |first: &[&str], rest: &[&str]| -> Vec<String> {
        first
            .iter()
            .chain(gearset.iter())
            .chain(rest)
            .map(|s| s.to_string())
            .collect()
    };
    for (schema, a) in [
        ("plan.schema.json", with(&["plan"], &["--output", "json"])),
        (
            "export.schema.json",
            with(&["plan"], &["--format", "terraform", "--output", "json"]),
        ),
        (
            "policy.schema.json",
            with(&["policy"], &["--account", ACCOUNT, "--output", "json"]),
        ),
        (
            "create.schema.json",
            with(&["--demo", "create"], &["--yes", "--output", "json"]),
        ),
        (
            "status.schema.json",
            vec![
                "--demo".into(),
                "status".into(),
                "--output".into(),
                "json".into(),
            ],
        ),
    ] {
        let out = run(byok_offline(dir.path())
            .env("BYOK_STATE_DIR", dir.path())
            .args(&a));
        // status exits 1 or 5 when a demo key needs attention; the document is what counts.
        assert!(!out.stdout.is_empty(), "{a:?}: {}", stderr(&out));
        validate(schema, &out.stdout);
    }
}

// ---------------------------------------------------------------------------------------
// Alerts (--alerts-email) in every export

/// Each export holds the alerts: per key, the topic, its policy, the subscription and the
/// rule with byok's own pattern, targeting the topic. The script, run against moto, makes
/// what `byok status --alerts-email` would: byok then has nothing to change.
#[tokio::test]
async fn alerts_are_in_every_export_and_the_script_makes_what_byok_makes() {
    let a = answers(|r| {
        r.vendor = Some("camunda".into());
        r.principal = Some(CAMUNDA_ROLE.into());
        r.regionality = Some("multi-region".into());
        r.alerts_email = Some("secops@example.com".into());
    });
    let plan = Plan::build(&a);

    // Terraform: the five resources per key, each with the key's provider.
    let tf = export::terraform(&plan, Some(ACCOUNT));
    let body: hcl::Body = hcl::from_str(&tf).unwrap_or_else(|e| panic!("{e}\n{tf}"));
    let mut kinds = Vec::new();
    for b in body.blocks() {
        if b.identifier() == "resource" {
            kinds.push(labels(b).join("."));
        }
    }
    for role in ["primary", "replica"] {
        for r in [
            "aws_sns_topic",
            "aws_sns_topic_policy",
            "aws_sns_topic_subscription",
            "aws_cloudwatch_event_rule",
            "aws_cloudwatch_event_target",
        ] {
            assert!(
                kinds.contains(&format!("{r}.alerts_{role}")),
                "{r} {role}: {kinds:?}"
            );
        }
    }
    assert!(tf.contains("\"secops@example.com\""));
    assert!(tf.contains("never fire"));
    assert!(
        tf.contains(
            "keyId = [aws_kms_replica_key.replica.key_id, aws_kms_replica_key.replica.arn]"
        )
    );

    // CloudFormation: cfn-lint passes with the alerts resources.
    let dir = TempDir::new("alerts-export");
    let files = export::render(&plan, Format::CloudFormation, None);
    let paths = export::write_files(&files, dir.path()).unwrap();
    for f in &files {
        let t: Value = serde_json::from_str(&f.contents).unwrap();
        let rule = &t["Resources"]["AlertsRule"];
        assert_eq!(rule["Type"], "AWS::Events::Rule", "{}", f.name);
        assert_eq!(
            rule["Properties"]["Targets"][0]["Arn"],
            json!({ "Ref": "AlertsTopic" })
        );
        assert_eq!(
            t["Resources"]["AlertsSubscription"]["Properties"]["Endpoint"],
            "secops@example.com"
        );
    }
    let out = Command::new(venv_bin("cfn-lint"))
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The script: clean under shellcheck; against moto it makes the keys and the alerts.
    let moto = Moto::start();
    let script = dir.path().join("setup.sh");
    std::fs::write(&script, export::aws_cli_script(&plan, None)).unwrap();
    let lint = Command::new("shellcheck")
        .arg(&script)
        .output()
        .expect("shellcheck");
    assert!(
        lint.status.success(),
        "shellcheck: {}",
        String::from_utf8_lossy(&lint.stdout)
    );
    let first = run_script(&moto, dir.path(), &script);
    assert!(first.status.success(), "script failed: {}", stderr(&first));
    let err = stderr(&first);
    assert!(err.contains("confirmation link"), "{err}");
    assert!(err.contains("NO TRAIL in eu-west-1"), "{err}");
    let arns: Vec<String> = stdout(&first).lines().map(str::to_string).collect();
    assert_eq!(arns.len(), 2);
    // byok finds the same alerts it would make: nothing to change, and status shows them.
    let state = TempDir::new("alerts-export-state");
    let out = run(moto.byok(state.path()).args([
        "status",
        "--key",
        &arns[0],
        "--alerts-email",
        "secops@example.com",
        "--yes",
        "--output",
        "text",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Nothing to change"),
        "{}",
        stderr(&out)
    );
    // A second run of the script subscribes no one twice and makes no second rule.
    let again = run_script(&moto, dir.path(), &script);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        !stderr(&again).contains("confirmation link"),
        "{}",
        stderr(&again)
    );
}

/// The script of a primary with two replicas, against moto: one key ID in each of the three
/// Regions, each replica aliased and tagged in its own Region, nothing made twice on a re-run,
/// and `byok create` with the same answers finds the same three keys and verifies them.
#[tokio::test]
async fn script_with_two_replicas_makes_what_byok_create_makes() {
    let moto = Moto::start();
    let dir = TempDir::new("script-3r");
    let flags = [
        "--vendor",
        "other",
        "--principal",
        "444455556666",
        "--region",
        "eu-central-1",
        "--regionality",
        "multi-region",
        "--replica-region",
        "eu-west-3",
        "--replica-region",
        "eu-north-1",
    ];
    let script = dir.path().join("setup.sh");
    let out = run(moto
        .byok(dir.path())
        .arg("plan")
        .args(flags)
        .args(["--format", "aws-cli", "--out"])
        .arg(&script));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let first = run_script(&moto, dir.path(), &script);
    assert!(first.status.success(), "script failed: {}", stderr(&first));
    let arns: Vec<String> = stdout(&first).lines().map(str::to_string).collect();
    assert_eq!(arns.len(), 3, "{}", stdout(&first));
    let a = answers(|r| {
        r.vendor = Some("other".into());
        r.principal = Some("444455556666".into());
        r.region = Some("eu-central-1".into());
        r.regionality = Some("multi-region".into());
        r.replica_regions = vec!["eu-west-3".into(), "eu-north-1".into()];
    });
    let plan = Plan::build(&a);
    let want_policy = policy::build(&a, ACCOUNT);
    for (key, arn) in plan.keys.iter().zip(&arns) {
        let kms = moto.kms(&key.region).await;
        let keys = key_ids(&kms).await;
        assert_eq!(keys.len(), 1, "{}: {keys:?}", key.region);
        assert_eq!(
            arn,
            &format!("arn:aws:kms:{}:{ACCOUNT}:key/{}", key.region, keys[0])
        );
        assert_eq!(
            alias_target(&kms, &key.alias).await.as_deref(),
            Some(keys[0].as_str())
        );
        assert_eq!(
            policy_of(&kms, &keys[0]).await,
            want_policy,
            "{}",
            key.region
        );
        assert_eq!(
            sorted(tags_of(&kms, &keys[0]).await),
            sorted(plan.tags_for(key.role)),
            "{}",
            key.region
        );
    }
    let log = std::fs::read_to_string(dir.path().join("aws.log")).unwrap();
    let calls = |what: &str| log.lines().filter(|l| l.starts_with(what)).count();
    assert_eq!(calls("kms create-key"), 1, "{log}");
    assert_eq!(calls("kms replicate-key"), 2, "{log}");
    std::fs::remove_file(dir.path().join("aws.log")).unwrap();

    let again = run_script(&moto, dir.path(), &script);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(stdout(&again), stdout(&first));
    let log = std::fs::read_to_string(dir.path().join("aws.log")).unwrap();
    for change in ["create-key", "replicate-key", "create-alias"] {
        assert!(!log.contains(change), "a re-run called {change}: {log}");
    }

    let out = run(moto.byok(dir.path()).arg("create").args(flags).arg("--yes"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), stdout(&first));
    assert!(stderr(&out).contains("3 key(s) match"), "{}", stderr(&out));
}

/// A vendor that assumes a role in the account: the script makes the role (its trust policy,
/// tags and own policy) and the key as `byok create` does, reruns safely, and stops before any
/// change at a role of that name that byok did not make.
#[tokio::test]
async fn script_makes_the_role_the_vendor_assumes_as_byok_create_does() {
    for (vendor, principal) in [
        ("mongodb-atlas", "arn:aws:iam::536727724300:root"),
        ("cockroachdb", "210987654321"),
    ] {
        let moto = Moto::start();
        let dir = TempDir::new("script-role");
        let flags = [
            "--vendor",
            vendor,
            "--region",
            "us-east-1",
            "--principal",
            principal,
            "--external-id",
            "3192be49-6e76-4b7d-a7b8-b486a8fc4483",
        ];
        let a = answers(|r| {
            r.vendor = Some(vendor.into());
            r.region = Some("us-east-1".into());
            r.principal = Some(principal.into());
            r.external_id = Some("3192be49-6e76-4b7d-a7b8-b486a8fc4483".into());
        });
        let role = a.role.clone().unwrap();
        let out = run(moto
            .byok(dir.path())
            .arg("plan")
            .args(flags)
            .args(["--format", "aws-cli", "--out"])
            .arg(dir.path().join("setup.sh")));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let script = dir.path().join("setup.sh");
        // A role of that name that byok did not make: nothing is changed.
        let iam = moto.iam().await;
        iam.create_role()
            .role_name(&role.name)
            .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}"#)
            .send()
            .await
            .unwrap();
        let refused = run_script(&moto, dir.path(), &script);
        assert!(!refused.status.success());
        assert!(
            stderr(&refused).contains("never replaced"),
            "{}",
            stderr(&refused)
        );
        let kms = moto.kms("us-east-1").await;
        assert!(key_ids(&kms).await.is_empty(), "{vendor}: no key was made");
        iam.delete_role()
            .role_name(&role.name)
            .send()
            .await
            .unwrap();

        let first = run_script(&moto, dir.path(), &script);
        assert!(first.status.success(), "script failed: {}", stderr(&first));
        let printed: Vec<String> = stdout(&first).lines().map(str::to_string).collect();
        let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/{}", role.name);
        assert_eq!(printed.len(), 2, "{printed:?}");
        assert_eq!(printed[1], role_arn);
        let keys = key_ids(&kms).await;
        assert_eq!(keys.len(), 1);
        assert_eq!(policy_of(&kms, &keys[0]).await, policy::build(&a, ACCOUNT));
        let got = iam.get_role().role_name(&role.name).send().await.unwrap();
        let got = got.role().unwrap();
        let trust: Value =
            serde_json::from_str(&url_decode(got.assume_role_policy_document().unwrap())).unwrap();
        assert_eq!(Some(trust), a.trust_policy());
        let tags: BTreeSet<(String, String)> = iam
            .list_role_tags()
            .role_name(&role.name)
            .send()
            .await
            .unwrap()
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        assert_eq!(tags, sorted(byok::role::tags(&a.vendor.id, &a.alias)));
        let own = iam
            .list_role_policies()
            .role_name(&role.name)
            .send()
            .await
            .unwrap();
        match a.role_policy(&[printed[0].clone()]) {
            None => assert!(own.policy_names().is_empty()),
            Some(want) => {
                let spec = a.vendor.customer_role.as_ref().unwrap();
                let doc = iam
                    .get_role_policy()
                    .role_name(&role.name)
                    .policy_name(&spec.policy_name)
                    .send()
                    .await
                    .unwrap();
                let doc: Value = serde_json::from_str(&url_decode(doc.policy_document())).unwrap();
                assert_eq!(doc, want);
            }
        }
        // Again: the same key and role, nothing new.
        let again = run_script(&moto, dir.path(), &script);
        assert!(again.status.success(), "rerun failed: {}", stderr(&again));
        assert_eq!(stdout(&again).lines().collect::<Vec<_>>(), printed);
        assert_eq!(key_ids(&kms).await.len(), 1);
        // And byok create recognises what the script made.
        let create = run(moto.byok(dir.path()).arg("create").args(flags).arg("--yes"));
        assert_eq!(create.status.code(), Some(0), "{}", stderr(&create));
        let said = stdout(&create);
        for arn in &printed {
            assert!(said.lines().any(|l| l == arn), "{arn} in {said}");
        }
        assert_eq!(key_ids(&kms).await.len(), 1);
    }
}

/// IAM answers policy documents URL-encoded.
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap(),
            );
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
