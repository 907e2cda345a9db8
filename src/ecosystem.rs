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
        return write_stdout(format!("{doc}\n").as_bytes());
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

/// Write to stdout; a reader that went away (`byok man | head`) ends byok quietly with 141, as
/// SIGPIPE ends other tools, never with an error message.
pub fn write_stdout(bytes: &[u8]) -> i32 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => exit::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 141,
        Err(e) => {
            eprintln!("error: cannot write to stdout ({e})");
            exit::INVALID_INPUT
        }
    }
}

/// `byok completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> i32 {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "byok", &mut buf);
    write_stdout(&buf)
}

/// `byok man`: the page on stdout, or every page into a directory.
pub fn man(g: &GlobalArgs, out_dir: Option<&Path>) -> i32 {
    match out_dir {
        None => write_stdout(&man_page(&man_root(), "")),
        Some(dir) => {
            let root = man_root();
            let mut pages = vec![("byok.1".to_string(), man_page(&root, ""))];
            for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
                pages.push((
                    format!("byok-{}.1", sub.get_name()),
                    man_page(sub, sub.get_name()),
                ));
            }
            let written = std::fs::create_dir_all(dir).and_then(|()| {
                pages
                    .iter()
                    .try_for_each(|(name, page)| std::fs::write(dir.join(name), page))
            });
            if let Err(e) = written {
                eprintln_safe!("error: cannot write man pages to {} ({e})", dir.display());
                return exit::INVALID_INPUT;
            }
            if !g.quiet {
                eprintln_safe!(
                    "Wrote the man pages to {}: add it to MANPATH, or copy them to ~/.local/share/man/man1/.",
                    dir.display()
                );
            }
            exit::OK
        }
    }
}

/// byok's command, built as the man pages see it (subcommands named `byok-create`...).
fn man_root() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Roff text: backslashes and hyphens escaped, a leading `.` or `'` made literal.
fn roff(text: &str) -> String {
    let t = text.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// The environment variables byok reads.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "AWS_PROFILE",
        "The AWS profile, as --profile. AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE move the files it is read from.",
    ),
    (
        "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN",
        "Credentials, as the AWS CLI reads them (the standard chain also takes profiles, SSO and credential_process). byok never prints, logs or stores them.",
    ),
    (
        "AWS_REGION, AWS_DEFAULT_REGION",
        "The Region for a vendor without a Region list of its own (--vendor other) when --region is left out, as the AWS CLI does; also where STS is asked for your identity.",
    ),
    (
        "AWS_ENDPOINT_URL",
        "Send AWS requests to this endpoint, as --endpoint-url.",
    ),
    (
        "NO_COLOR",
        "Any non-empty value turns colours off, as --no-color.",
    ),
    ("BYOK_STATE_DIR", "The state directory (see FILES)."),
    (
        "XDG_STATE_HOME",
        "The state directory is $XDG_STATE_HOME/byok when BYOK_STATE_DIR is not set.",
    ),
];

/// The files byok writes.
const FILES: &[(&str, &str)] = &[
    (
        "$XDG_STATE_HOME/byok/journal.jsonl (else ~/.local/state/byok/journal.jsonl; BYOK_STATE_DIR overrides the directory)",
        "Every ARN byok made, recorded the moment it exists, append-only; ARNs and aliases, never credentials. byok create and byok status read it.",
    ),
    (
        "the state directory's locks/",
        "One setup lock per key setup, so that two runs of the same setup never both create a key.",
    ),
    (
        "the state directory's debug.log",
        "With --debug, the wizard and the status screen (which draw on stderr) log each AWS API call here; the other commands log on stderr.",
    ),
];

/// A man page: clap's sections (name, synopsis, description, every option heading, commands),
/// then EXAMPLES, EXIT STATUS, ENVIRONMENT, FILES, VERSION and SEE ALSO. `command` is ""
/// for byok itself.
pub fn man_page(cmd: &clap::Command, command: &str) -> Vec<u8> {
    let version = env!("CARGO_PKG_VERSION");
    let title = if command.is_empty() {
        "BYOK".to_string()
    } else {
        format!("BYOK-{}", command.to_uppercase())
    };
    let man = clap_mangen::Man::new(cmd.clone());
    // The header written here: clap_mangen leaves an empty date unquoted, which shifts the
    // source into the date's place. No date, so the page is the same on every build.
    let mut out = format!(
        ".TH {} 1 \"\" \"byok {version}\" \"User Commands\"\n",
        roff(&title)
    )
    .into_bytes();
    let rendered = (|| -> std::io::Result<()> {
        man.render_name_section(&mut out)?;
        man.render_synopsis_section(&mut out)?;
        man.render_description_section(&mut out)?;
        man.render_options_section(&mut out)?;
        if cmd.has_subcommands() {
            man.render_subcommands_section(&mut out)?;
        }
        Ok(())
    })();
    rendered.expect("writing to memory");
    let mut t = String::new();
    let section = |t: &mut String, name: &str| t.push_str(&format!(".SH \"{name}\"\n"));
    let examples = crate::cli::EXAMPLES
        .iter()
        .find(|(c, _)| *c == command)
        .map(|(_, e)| *e)
        .unwrap_or_default();
    section(&mut t, "EXAMPLES");
    for (what, line) in examples {
        t.push_str(&format!(
            ".PP\n{}:\n.RS 4\n.nf\n{}\n.fi\n.RE\n",
            roff(what),
            roff(line)
        ));
    }
    section(&mut t, "EXIT STATUS");
    for (code, meaning) in crate::cli::exit_statuses(command) {
        t.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff(meaning)));
    }
    if !matches!(command, "completions" | "man") {
        section(&mut t, "ENVIRONMENT");
        for (name, what) in ENVIRONMENT {
            t.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(name), roff(what)));
        }
        section(&mut t, "FILES");
        for (name, what) in FILES {
            t.push_str(&format!(".TP\n\\fI{}\\fR\n{}\n", roff(name), roff(what)));
        }
    }
    section(&mut t, "VERSION");
    t.push_str(&format!(
        "{}\n",
        roff(&crate::version::LONG.replace('\n', "; "))
    ));
    section(&mut t, "SEE ALSO");
    let pages: Vec<String> = if command.is_empty() {
        cmd.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| format!("\\fBbyok\\-{}\\fR(1)", roff(s.get_name())))
            .collect()
    } else {
        vec!["\\fBbyok\\fR(1)".into()]
    };
    t.push_str(&format!("{}, \\fBaws\\fR(1)\n", pages.join(", ")));
    out.extend_from_slice(t.as_bytes());
    out
}
