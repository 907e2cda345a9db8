//! The non-interactive commands: `create`, `plan`, `policy`.

use std::io::{IsTerminal, Write};

use serde_json::json;
use tokio::sync::{mpsc, watch};

use byok::answers::{Answers, Invocation, RawAnswers, Regionality};
use byok::exec::{self, ExecOptions, Outcome, Progress, RunReport, exit};
use byok::journal::{self, Journal};
use byok::kms::aws::{AwsKms, AwsOptions};
use byok::kms::sim::{self, SimKms, SimOptions};
use byok::kms::{Backend, KeyService};
use byok::plan::Plan;
use byok::policy;
use byok::sanitize;
use byok::vendor::Catalog;

use crate::cli::{Cli, Command, CreateArgs, GlobalArgs, Output, PolicyArgs};

pub async fn dispatch(mut cli: Cli) -> i32 {
    let g = cli.global.clone();
    // Answer flags written before the command (`byok --vendor gearset create ...`) count for
    // create, plan and policy; the other commands take none, so they are refused, not dropped.
    let outer = &cli.answers;
    let merged = match &mut cli.command {
        Some(Command::Create(a)) => a.answers.merge_outer(outer),
        Some(Command::Plan(a)) => a.answers.merge_outer(outer),
        Some(Command::Policy(a)) => a.answers.merge_outer(outer),
        Some(other) if !outer.given().is_empty() => Err(format!(
            "{} before `{}` answer the wizard's questions, which `{}` does not ask: write the command's own flags after it (see `byok {} --help`)",
            outer.given().join(", "),
            other.name(),
            other.name(),
            other.name()
        )),
        _ => Ok(()),
    };
    if let Err(e) = merged {
        eprintln_safe!("error: {e}");
        return exit::INVALID_INPUT;
    }
    if g.debug
        && let Err(code) = start_debug_log(cli.command.as_ref())
    {
        return code;
    }
    match cli.command {
        None => wizard(&g, &cli.answers).await,
        Some(Command::Create(a)) => create(&g, a).await,
        Some(Command::Plan(a)) => crate::ecosystem::plan(&g, a).await,
        Some(Command::Completions { shell }) => crate::ecosystem::completions(shell),
        Some(Command::Man { out_dir }) => crate::ecosystem::man(&g, out_dir.as_deref()),
        Some(Command::Policy(a)) => policy_cmd(&g, a).await,
        Some(Command::Status(a)) => crate::status_cmd::run(&g, a).await,
        Some(Command::Vendors(a)) => crate::vendors_cmd::run(&g, &a),
    }
}

/// `--debug`: on stderr, or, for the screens that draw on stderr (the wizard, the status
/// screen), into `debug.log` in the state directory, said before the screen opens.
fn start_debug_log(command: Option<&Command>) -> Result<(), i32> {
    let screen = match command {
        None => true,
        Some(Command::Status(a)) => a.draws_screen(),
        Some(_) => false,
    };
    if !screen {
        byok::debug::to_stderr();
        return Ok(());
    }
    let path = journal::state_dir().join("debug.log");
    match byok::debug::to_file(&path) {
        Ok(()) => {
            eprintln!("byok: --debug logs each AWS call to {}", path.display());
            Ok(())
        }
        Err(e) => {
            eprintln!(
                "error: cannot write the debug log {} ({e}): set BYOK_STATE_DIR to a writable directory. Nothing was sent to AWS.",
                path.display()
            );
            Err(exit::INVALID_INPUT)
        }
    }
}

/// Load the vendor catalog and validate the answers; on failure print every problem.
pub fn validated(g: &GlobalArgs, raw: &RawAnswers) -> Result<(Catalog, Answers), i32> {
    let catalog = match Catalog::with_files(&g.vendor_files) {
        Ok(c) => c,
        Err(e) => {
            eprintln_safe!("error: {e}");
            return Err(exit::INVALID_INPUT);
        }
    };
    match raw.validate(&catalog) {
        Ok(a) => Ok((catalog, a)),
        Err(errs) => {
            eprintln_safe!(
                "byok cannot start: {} answer(s) need fixing. Nothing was sent to AWS.",
                errs.len()
            );
            for e in errs {
                eprintln_safe!("  - {}", sanitize::line(&e.to_string()));
            }
            Err(exit::INVALID_INPUT)
        }
    }
}

pub async fn backend(g: &GlobalArgs) -> Backend {
    if g.demo {
        Backend::Sim(SimKms::new(SimOptions::demo()))
    } else {
        Backend::Aws(Box::new(
            AwsKms::load(&AwsOptions {
                profile: g.profile.clone(),
                endpoint_url: g.endpoint_url.clone(),
            })
            .await,
        ))
    }
}

/// The exact command that finishes (or repeats) this setup.
pub fn finish_command(g: &GlobalArgs, a: &Answers) -> String {
    a.create_command(&invocation(g))
}

/// How byok was started, for the command it prints.
pub fn invocation(g: &GlobalArgs) -> Invocation {
    Invocation {
        demo: g.demo,
        profile: g.profile.clone(),
        endpoint_url: g.endpoint_url.clone(),
        vendor_files: g.vendor_files.clone(),
    }
}

async fn policy_cmd(g: &GlobalArgs, args: PolicyArgs) -> i32 {
    let raw = crate::ecosystem::raw_answers(g, &args.answers).await;
    let (_, answers) = match validated(g, &raw) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let account = match (&args.account, g.demo) {
        (Some(a), _) if byok::arn::is_account_id(a) => a.clone(),
        (Some(a), _) => {
            eprintln_safe!("error: Account (--account): {a:?} is not a 12-digit AWS account ID");
            return exit::INVALID_INPUT;
        }
        (None, true) => sim::DEMO_ACCOUNT.to_string(),
        (None, false) => match backend(g).await.identity().await {
            Ok(id) => id.account,
            Err(e) => {
                eprintln_safe!(
                    "error: {}",
                    e.explain(g.profile.as_deref(), &answers.vendor.principal.help)
                );
                eprintln_safe!("(or give your account ID with --account)");
                return exit::AWS_REFUSED;
            }
        },
    };
    let p = policy::build(&answers, &account);
    let problems = policy::lint(&p, &account, &answers.principal);
    if !problems.is_empty() {
        for pr in problems {
            eprintln_safe!("error: {pr}");
        }
        return exit::INVALID_INPUT;
    }
    match args.output {
        Output::Text => println_safe!("{}", sanitize::json_text(policy::to_document(&p))),
        Output::Json => println_safe!(
            "{}",
            sanitize::json_pretty(&json!({
                "vendor": answers.vendor.id,
                "account": account,
                "principal": answers.principal,
                "bytes": policy::to_document(&p).len(),
                "policy": p,
            }))
        ),
    }
    exit::OK
}

/// Print a progress event as one line on stderr.
fn print_progress(plan: &Plan, p: &Progress) {
    let n = plan.steps.len();
    let title = |i: usize| plan.steps[i].title();
    match p {
        Progress::Started { .. } => {}
        Progress::Retrying {
            step,
            attempt,
            reason,
            delay,
        } => eprintln_safe!(
            "  [{:>2}/{n}] … retry {attempt} in {:.1} s: {reason}",
            step + 1,
            delay.as_secs_f64()
        ),
        Progress::Waiting { step, detail } => eprintln_safe!("  [{:>2}/{n}] … {detail}", step + 1),
        Progress::Done {
            step,
            elapsed,
            note,
        } => eprintln_safe!(
            "✓ [{:>2}/{n}] {} ({:.2} s){}",
            step + 1,
            title(*step),
            elapsed.as_secs_f64(),
            note.as_ref().map(|n| format!(": {n}")).unwrap_or_default()
        ),
        Progress::Failed {
            step,
            elapsed,
            error,
        } => {
            eprintln_safe!(
                "✗ [{:>2}/{n}] {} ({:.2} s): {error}",
                step + 1,
                title(*step),
                elapsed.as_secs_f64()
            )
        }
        Progress::Key { key } if key.created_now => {
            eprintln_safe!(
                "  created {} key {} ({})",
                key.role.as_str(),
                key.arn,
                key.region
            )
        }
        Progress::Key { key } => eprintln_safe!(
            "  found {} key {} ({})",
            key.role.as_str(),
            key.arn,
            key.region
        ),
    }
}

/// Ask on the terminal; anything but y/yes is no.
fn confirm(question: &str) -> bool {
    eprint_safe!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

async fn create(g: &GlobalArgs, args: CreateArgs) -> i32 {
    let raw = crate::ecosystem::raw_answers(g, &args.answers).await;
    let (_, answers) = match validated(g, &raw) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let plan = Plan::build(&answers);
    // Refused before anything is touched, the journal file included.
    if !args.yes && !std::io::stdin().is_terminal() {
        eprintln_safe!(
            "error: byok create asks before changing anything; add --yes to run without a terminal. Nothing was sent to AWS."
        );
        return exit::INVALID_INPUT;
    }
    if let Some(problem) = (!g.demo)
        .then(|| byok::kms::aws::missing_profile(g.profile.as_deref()))
        .flatten()
    {
        eprintln_safe!("error: {problem} Nothing was sent to AWS.");
        return exit::INVALID_INPUT;
    }
    if let Some(path) = &args.record
        && let Err(e) = byok::record::check_writable(path)
    {
        eprintln_safe!("error: Record (--record): {e}. Nothing was sent to AWS.");
        return exit::INVALID_INPUT;
    }
    let started = journal::now_rfc3339();
    let svc = backend(g).await;
    let journal = if g.demo {
        Journal::disabled()
    } else {
        match Journal::open(&journal::state_dir()) {
            Ok(j) => j,
            Err(e) => {
                eprintln_safe!(
                    "error: cannot write the journal in {} ({e}): set BYOK_STATE_DIR to a writable directory. Nothing was sent to AWS.",
                    journal::state_dir().display()
                );
                return exit::INVALID_INPUT;
            }
        }
    };
    if !args.yes {
        eprint_safe!("{}", plan.render_text());
        match svc.identity().await {
            Ok(id) => {
                eprintln_safe!("\nThe key policy (account {}):", id.account);
                eprintln_safe!(
                    "{}",
                    sanitize::json_text(policy::to_document(&policy::build(&answers, &id.account)))
                );
            }
            Err(e) => {
                eprintln_safe!(
                    "error: {}",
                    e.explain(g.profile.as_deref(), &answers.vendor.principal.help)
                );
                return exit::AWS_REFUSED;
            }
        }
        if !confirm("\nCreate it?") {
            eprintln_safe!("Nothing was changed.");
            return exit::OK;
        }
    }

    let (tx, mut rx) = mpsc::unbounded_channel();
    let (cancel_tx, cancel_rx) = watch::channel(false);
    tokio::spawn(stop_on_signals(cancel_tx));
    let printer_plan = plan.clone();
    let quiet = args.output == Output::Json || g.quiet;
    let printer = tokio::spawn(async move {
        // Steps run side by side where the plan allows; their lines still read in plan
        // order: a step's end waits for the ends of the steps before it.
        let mut ends: std::collections::BTreeMap<usize, Progress> = Default::default();
        let mut next = 0;
        let mut steps = Vec::new();
        let mut notes = Vec::new();
        while let Some(p) = rx.recv().await {
            byok::record::note_progress(&printer_plan, &p, &mut steps);
            if let Progress::Done {
                step,
                note: Some(n),
                ..
            } = &p
            {
                notes.push((*step, n.clone()));
            }
            if quiet {
                continue;
            }
            match &p {
                Progress::Done { step, .. } | Progress::Failed { step, .. } => {
                    ends.insert(*step, p);
                    while let Some(e) = ends.remove(&next) {
                        print_progress(&printer_plan, &e);
                        next += 1;
                    }
                }
                _ => print_progress(&printer_plan, &p),
            }
        }
        for e in ends.into_values() {
            print_progress(&printer_plan, &e);
        }
        (steps, notes)
    });
    let recorder = byok::record::Recording::new(svc.for_executor());
    let report = exec::run(
        &recorder,
        &plan,
        &journal,
        &tx,
        &cancel_rx,
        &ExecOptions::default(),
    )
    .await;
    drop(tx);
    let (steps, notes) = printer.await.unwrap_or_default();
    // The alerts steps' outcome: the subscription to confirm, a missing trail.
    let alert_notes: Vec<String> = notes
        .iter()
        .filter(|(i, _)| matches!(plan.steps[*i], byok::plan::Step::Alerts { .. }))
        .map(|(_, n)| n.clone())
        .collect();
    report_result(
        g,
        &answers,
        &plan,
        &report,
        args.output,
        journal.path(),
        &alert_notes,
    );
    if let Some(email) = &answers.alerts_email
        && args.output == Output::Text
        && (!g.quiet || alert_notes.iter().any(|n| n.contains("NO TRAIL")))
    {
        for n in &alert_notes {
            eprintln_safe!("Alerts to {email}: {n}");
        }
    }
    if let Some(path) = &args.record {
        let rec = byok::record::for_create(byok::record::CreateRun {
            plan: &plan,
            report: &report,
            steps,
            calls: recorder.log.calls(),
            started,
            finished: journal::now_rfc3339(),
            command: Some(finish_command(g, &answers)),
            demo: g.demo,
        });
        write_record(path, &rec, g.quiet);
    }
    report.exit_code()
}

/// Write the change record; a failure is said, and does not change the exit status (the
/// keys exist whether or not their record could be written).
pub fn write_record(path: &std::path::Path, rec: &byok::record::Record, quiet: bool) {
    match byok::record::write(path, rec) {
        Ok(appended) if !quiet => eprintln_safe!(
            "The change record is {} {}.",
            if appended { "appended to" } else { "in" },
            path.display()
        ),
        Ok(_) => {}
        Err(e) => eprintln_safe!(
            "warning: the change record could not be written to {} ({e}); the output above holds every ARN.",
            path.display()
        ),
    }
}

/// Ctrl-C, SIGTERM (`timeout`, a CI cancel, a supervisor) and SIGHUP (the terminal closed)
/// all stop the run after the call in flight, at most a few seconds, so that what exists is
/// journalled and reported, exit 130. A second Ctrl-C quits at once.
async fn stop_on_signals(cancel: watch::Sender<bool>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return;
    };
    let mut asked = false;
    loop {
        let what = tokio::select! {
            Some(()) = int.recv() => "Ctrl-C",
            Some(()) = term.recv() => "SIGTERM",
            Some(()) = hup.recv() => "SIGHUP",
            else => return,
        };
        if what == "SIGHUP" {
            byok::tui::terminal::detach_from_dead_terminal();
        }
        if !asked {
            let _ = writeln!(
                std::io::stderr(),
                "\n{what}: stopping after the call in flight (a few seconds at most; Ctrl-C again to quit at once)…"
            );
            let _ = cancel.send(true);
            asked = true;
        } else if what == "Ctrl-C" {
            std::process::exit(exit::INTERRUPTED);
        }
    }
}

fn report_result(
    g: &GlobalArgs,
    a: &Answers,
    plan: &Plan,
    report: &RunReport,
    output: Output,
    journal: Option<&std::path::Path>,
    alert_notes: &[String],
) {
    let finish = finish_command(g, a);
    let explain = |e: &exec::ExecError| e.explain(g.profile.as_deref(), &a.vendor.principal.help);
    if output == Output::Json {
        let mut doc = json!({
            "status": match &report.outcome { Outcome::Completed => "completed", Outcome::Failed { .. } => "failed", Outcome::Interrupted { .. } => "interrupted" },
            "account": report.account,
            "keys": report.keys.iter().map(|k| json!({
                "role": k.role, "region": k.region, "arn": k.arn, "key_id": k.key_id, "alias": k.alias, "created": k.created_now,
            })).collect::<Vec<_>>(),
            "policy": report.policy,
        });
        if !report.retired.is_empty() {
            doc["retired"] = json!(report.retired);
        }
        if !report.in_flight.is_empty() {
            doc["may_have_created"] = json!(report.in_flight);
        }
        if let Some(email) = &a.alerts_email {
            doc["alerts"] = json!({ "email": email, "steps": alert_notes });
        }
        if let Outcome::Failed { step, error } = &report.outcome {
            doc["error"] = json!({ "step": plan.steps[*step].title(), "message": error.to_string(), "explanation": explain(error), "detail": error });
        }
        if report.outcome != Outcome::Completed {
            doc["not_done"] = json!(remaining(plan, report));
            doc["finish_command"] = json!(finish);
        }
        println_safe!("{}", byok::sanitize::json_pretty(&doc));
        return;
    }
    report_retired(report);
    match &report.outcome {
        Outcome::Completed if g.quiet => {}
        Outcome::Completed => {
            let what = match a.regionality {
                Regionality::Single => "key",
                Regionality::MultiRegion => "Multi-Region key, primary and replica,",
                Regionality::TwoKeys => "two independent single-Region keys",
            };
            eprintln_safe!(
                "\nDone. Your {what} for {}:",
                sanitize::line(&a.vendor.name)
            );
            for k in &report.keys {
                eprintln_safe!(
                    "  {:<9} {:<15} {}  {}",
                    k.role.as_str(),
                    k.region,
                    k.arn,
                    k.alias.as_deref().unwrap_or("")
                );
            }
            if g.demo {
                eprintln_safe!(
                    "\nThis was a demo: the keys are simulated and nothing was created in AWS."
                );
            } else {
                eprintln_safe!("\nNext: {}", sanitize::line(&a.vendor.next_step));
            }
        }
        Outcome::Failed { error, .. } => {
            eprintln_safe!("\nbyok stopped: {}", explain(error));
        }
        Outcome::Interrupted { .. } => eprintln_safe!("\nbyok stopped because you asked it to."),
    }
    for f in &report.in_flight {
        eprintln_safe!(
            "The {} key in {} may have been created: its request was on its way when byok stopped. The journal holds the attempt; the command below finds that key instead of making a second one.",
            f.role.as_str(),
            f.region
        );
    }
    if report.outcome != Outcome::Completed {
        if report.keys.is_empty() {
            if !report.may_have_created() {
                eprintln_safe!("Nothing was created.");
            }
        } else {
            eprintln_safe!("What exists now:");
            for k in &report.keys {
                eprintln_safe!(
                    "  {:<9} {:<15} {}{}",
                    k.role.as_str(),
                    k.region,
                    k.arn,
                    k.alias
                        .as_ref()
                        .map(|a| format!("  {a}"))
                        .unwrap_or_default()
                );
            }
        }
        let rest = remaining(plan, report);
        if !rest.is_empty() {
            eprintln_safe!("Not done yet:");
            for r in rest {
                eprintln_safe!("  - {r}");
            }
        }
        let journal_failed = matches!(
            &report.outcome,
            Outcome::Failed {
                error: exec::ExecError::Journal { .. },
                ..
            }
        );
        match journal {
            Some(_) if journal_failed && !report.keys.is_empty() => eprintln_safe!(
                "byok could not record these in its journal: keep the ARNs above (they are on stdout too)."
            ),
            Some(j) => eprintln_safe!("Every ARN is recorded in {}.", j.display()),
            None => {}
        }
        eprintln_safe!(
            "To finish, run the same command again; byok reuses what exists:\n  {finish}"
        );
    }
    // stdout carries only the ARNs, so `ARN=$(byok create ... --yes)` works.
    for k in &report.keys {
        println_safe!("{}", k.arn);
    }
}

/// Keys of this setup that another run's key made redundant: said on stderr (stdout keeps
/// only the keys to use).
fn report_retired(report: &RunReport) {
    if report.retired.is_empty() {
        return;
    }
    eprintln_safe!(
        "\nAnother byok run made this setup's key at the same time and holds the alias: byok uses that key, and took the duplicate out of service:"
    );
    for r in &report.retired {
        match (&r.problem, &r.deletion_date) {
            (None, date) => eprintln_safe!(
                "  {:<9} {:<15} {}: vendor access removed, disabled, deletion scheduled{} (duplicate of {})",
                r.role.as_str(),
                r.region,
                r.arn,
                date.as_ref()
                    .map(|d| format!(" for {d}"))
                    .unwrap_or_default(),
                r.duplicate_of
            ),
            (Some(p), _) => eprintln_safe!(
                "  {:<9} {:<15} {}: could not be retired ({p}); it still exists. Retire it with `byok status --key {} --revoke-access` and `--schedule-deletion 7`.",
                r.role.as_str(),
                r.region,
                r.arn,
                r.arn
            ),
        }
    }
}

fn remaining(plan: &Plan, report: &RunReport) -> Vec<String> {
    (0..plan.steps.len())
        .filter(|i| !report.done_steps.contains(i))
        .map(|i| plan.steps[i].title())
        .collect()
}

/// `byok` with no subcommand: the wizard, pre-filled from the answer flags.
async fn wizard(g: &GlobalArgs, answers: &crate::cli::AnswerArgs) -> i32 {
    let catalog = match Catalog::with_files(&g.vendor_files) {
        Ok(c) => c,
        Err(e) => {
            eprintln_safe!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        eprintln_safe!(
            "error: the wizard needs a terminal. Without one, use `byok create` with flags (see `byok create --help`). Nothing was sent to AWS."
        );
        return exit::INVALID_INPUT;
    }
    let journal = if g.demo {
        Journal::disabled()
    } else {
        match Journal::open(&journal::state_dir()) {
            Ok(j) => j,
            Err(e) => {
                eprintln_safe!(
                    "error: cannot write the journal in {} ({e}): set BYOK_STATE_DIR to a writable directory. Nothing was sent to AWS.",
                    journal::state_dir().display()
                );
                return exit::INVALID_INPUT;
            }
        }
    };
    let ctx = byok::tui::Ctx {
        catalog,
        raw: crate::ecosystem::raw_answers(g, answers).await,
        demo: g.demo,
        mono: g.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        profile: g.profile.clone(),
        journal: journal.path().map(std::path::Path::to_path_buf),
        endpoint_url: g.endpoint_url.clone(),
        vendor_files: g.vendor_files.clone(),
    };
    let g = g.clone();
    byok::tui::run_with(async move { backend(&g).await }, ctx, journal).await
}
