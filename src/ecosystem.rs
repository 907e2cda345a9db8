//! What makes byok fit the tools around it: `byok plan --format` exports, shell completions,
//! the man page, and the AWS CLI's Region defaults.

use std::path::Path;

use clap::CommandFactory;
use serde_json::json;

use byok::answers::RawAnswers;
use byok::exec::exit;
use byok::export::{self, Format};
use byok::plan::Plan;
use byok::vendor::Catalog;

use crate::cli::{AnswerArgs, Cli, GlobalArgs, Output, PlanArgs};

/// The answers from the flags, with the Region defaulted as the AWS CLI does when the
/// vendor allows any Region: `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the profile's
/// `region`. A vendor with a Region list (Camunda, Gearset) never takes it from the
/// environment: there the Region is the vendor's decision, made explicitly.
pub async fn raw_answers(g: &GlobalArgs, args: &AnswerArgs) -> RawAnswers {
    let mut raw = args.to_raw();
    if raw.region.is_some() {
        return raw;
    }
    let any_region = Catalog::with_files(&g.vendor_files)
        .ok()
        .and_then(|c| {
            c.get(raw.vendor.as_deref().unwrap_or("").trim())
                .map(|v| v.regions.is_empty())
        })
        .unwrap_or(false);
    if !any_region {
        return raw;
    }
    if let Some((region, source)) = default_region(g.profile.as_deref()).await {
        if !g.quiet {
            eprintln_safe!("Region: {region} (from {source}; --region overrides it)");
        }
        raw.region = Some(region);
    }
    raw
}

/// The Region the AWS CLI would use, and where it came from. No network: no instance metadata.
pub async fn default_region(profile: Option<&str>) -> Option<(String, String)> {
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Ok(v) = std::env::var(var)
            && !v.trim().is_empty()
        {
            return Some((v.trim().to_string(), var.to_string()));
        }
    }
    use aws_config::meta::region::ProvideRegion;
    let mut b = aws_config::profile::ProfileFileRegionProvider::builder();
    if let Some(p) = profile {
        b = b.profile_name(p);
    }
    let region = b.build().region().await?;
    let name = profile
        .map(str::to_string)
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_else(|| "default".into());
    Some((region.to_string(), format!("the {name} profile")))
}

/// `byok plan`: the text plan, its JSON, or an export.
pub async fn plan(g: &GlobalArgs, args: PlanArgs) -> i32 {
    let raw = raw_answers(g, &args.answers).await;
    let (_, answers) = match crate::commands::validated(g, &raw) {
        Ok(v) => v,
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
    if format == Format::Text && args.output == Output::Json && args.out.is_none() {
        println_safe!("{}", byok::sanitize::json_pretty(&plan_json(&plan)));
        return exit::OK;
    }
    if args.account.is_none() && format != Format::Text {
        let p = byok::policy::build(&answers, "123456789012");
        let problems = byok::policy::lint(&p, "123456789012", &answers.principal);
        if !problems.is_empty() {
            for pr in problems {
                eprintln_safe!("error: {pr}");
            }
            return exit::INVALID_INPUT;
        }
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

/// `byok completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> i32 {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "byok", &mut std::io::stdout());
    exit::OK
}

/// `byok man`: the page on stdout, or every page into a directory.
pub fn man(g: &GlobalArgs, out_dir: Option<&Path>) -> i32 {
    let cmd = Cli::command();
    match out_dir {
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
                eprintln_safe!("error: cannot print the man page: {e}");
                return exit::INVALID_INPUT;
            }
        }
        Some(dir) => {
            if let Err(e) =
                std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(cmd, dir))
            {
                eprintln_safe!("error: cannot write man pages to {} ({e})", dir.display());
                return exit::INVALID_INPUT;
            }
            if !g.quiet {
                eprintln_safe!(
                    "Wrote the man pages to {}: add it to MANPATH, or copy them to ~/.local/share/man/man1/.",
                    dir.display()
                );
            }
        }
    }
    exit::OK
}
