//! `byok plan`: the text plan, the plan as JSON, or an export (Terraform, CloudFormation, the
//! AWS CLI).

use serde_json::json;

use byok::exec::exit;
use byok::export::{self, Format};
use byok::plan::Plan;

use super::common;
use crate::cli::{GlobalArgs, Output, PlanArgs};

/// `byok plan`: the text plan, its JSON, or an export.
pub async fn run(g: &GlobalArgs, args: PlanArgs) -> i32 {
    let answers = match common::answers(g, &args.answers).await {
        Ok(a) => a,
        Err(code) => return code,
    };
    if let Some(a) = &args.account
        && !byok::arn::is_account_id(a)
    {
        eprintln_safe!(
            "error: Account (--account): {a:?} is not a 12-digit AWS account ID. Nothing was written."
        );
        return exit::INVALID_INPUT;
    }
    let plan = Plan::build(&answers);
    let format: Format = args.format.into();
    // The plan as data is plan.schema.json; export.schema.json is for the exports only.
    if format == Format::Text && args.output == Output::Json {
        if let Some(out) = &args.out {
            eprintln_safe!(
                "error: --output json prints the plan as one JSON document on stdout (schemas/plan.schema.json); --out {} writes the text plan or an export: give one of them. Nothing was written.",
                out.display()
            );
            return exit::INVALID_INPUT;
        }
        let doc = byok::sanitize::json_pretty(&plan_json(&plan));
        return common::write_stdout(format!("{doc}\n").as_bytes());
    }
    if args.account.is_none()
        && format != Format::Text
        && let Err(code) = common::linted_policy(&answers, "123456789012")
    {
        return code;
    }
    let files = export::render(&plan, format, args.account.as_deref());
    let written = match &args.out {
        None => None,
        Some(path) => match export::write_files(&files, path) {
            Ok(w) => Some(w),
            Err(e) => {
                eprintln_safe!("error: cannot write {} ({e})", path.display());
                return exit::INVALID_INPUT;
            }
        },
    };
    match (args.output, &written) {
        (Output::Json, _) => {
            let doc = export_json(
                &plan,
                format,
                args.account.as_deref(),
                &files,
                written.as_deref(),
            );
            println_safe!("{}", byok::sanitize::json_pretty(&doc));
        }
        (Output::Text, Some(paths)) => {
            for p in paths {
                println_safe!("{}", p.display());
            }
            let hint = export::apply_hint(&plan, format, paths);
            if !g.quiet && !hint.is_empty() {
                eprintln_safe!("\n{hint}");
            }
        }
        (Output::Text, None) if files.len() > 1 => {
            eprintln_safe!(
                "error: this setup is {} CloudFormation templates (stacks are regional). Give --out DIR to write them, or --output json to get them in one document.",
                files.len()
            );
            return exit::INVALID_INPUT;
        }
        (Output::Text, None) => print_safe!("{}", files[0].contents),
    }
    exit::OK
}

/// `byok plan --output json`: the steps, the keys and the tags (schemas/plan.schema.json).
pub fn plan_json(plan: &Plan) -> serde_json::Value {
    let deps = plan.deps();
    let steps: Vec<_> = plan
        .steps
        .iter()
        .zip(&deps)
        .map(|(s, after)| json!({ "title": s.title(), "api_calls": s.api_calls(), "recovery_calls": s.recovery_calls(), "after": after, "changes": s.mutates(), "step": s }))
        .collect();
    let tags: serde_json::Map<String, serde_json::Value> = plan
        .tags_for(byok::plan::KeyRole::Primary)
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    json!({
        "vendor": plan.answers.vendor.id,
        "regionality": plan.answers.regionality,
        "steps": steps,
        "round_trips": plan.chain_length(),
        "keys": plan.keys,
        "tags": tags,
    })
}

/// `byok plan --format F --output json` (schemas/export.schema.json).
fn export_json(
    plan: &Plan,
    format: Format,
    account: Option<&str>,
    files: &[export::ExportFile],
    written: Option<&[std::path::PathBuf]>,
) -> serde_json::Value {
    json!({
        "format": format,
        "vendor": plan.answers.vendor.id,
        "account": account,
        "files": files.iter().enumerate().map(|(i, f)| json!({
            "name": f.name,
            "region": f.region,
            "executable": f.executable,
            "path": written.and_then(|w| w.get(i)).map(|p| p.display().to_string()),
            "contents": f.contents,
        })).collect::<Vec<_>>(),
        "apply": export::apply_hint(plan, format, written.unwrap_or(&[])),
    })
}
