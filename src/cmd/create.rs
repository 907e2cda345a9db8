//! `byok create`: the plan shown and confirmed, run with each step's progress on stderr, then
//! the report (text, or JSON on stdout) and the change record.

use std::io::{IsTerminal, Write};

use serde_json::json;
use tokio::sync::{mpsc, watch};

use byok::answers::{Answers, Regionality};
use byok::exec::{self, ExecOptions, Outcome, Progress, RunReport, exit};
use byok::journal;
use byok::kms::KeyService;
use byok::plan::{KeyRole, Plan};
use byok::policy;
use byok::sanitize;

use super::common;
use crate::cli::{CreateArgs, GlobalArgs, Output};

pub async fn run(g: &GlobalArgs, args: CreateArgs) -> i32 {
    let answers = match common::answers(g, &args.answers).await {
        Ok(a) => a,
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
    let svc = common::backend(g).await;
    let journal = match common::open_journal(g.demo, "Nothing was sent to AWS.") {
        Ok(j) => j,
        Err(code) => return code,
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
                if let (Some(arn), Some(trust)) =
                    (answers.role_arn(&id.account), answers.trust_policy())
                {
                    eprintln_safe!(
                        "\nThe role {arn}, which {} assumes; who may assume it:",
                        sanitize::line(&answers.vendor.name)
                    );
                    eprintln_safe!("{}", sanitize::json_text(policy::to_document(&trust)));
                    if let Some(own) = answers.role_policy(&["<the key's ARN>".to_string()]) {
                        eprintln_safe!("Its own policy:");
                        eprintln_safe!("{}", sanitize::json_text(policy::to_document(&own)));
                    }
                }
            }
            Err(e) => {
                eprintln_safe!(
                    "error: {}",
                    e.explain(g.profile.as_deref(), &answers.vendor.principal.help)
                );
                return exit::AWS_REFUSED;
            }
        }
        if !common::confirm("\nCreate it?") {
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
            command: Some(common::finish_command(g, &answers)),
            demo: g.demo,
        });
        common::write_record(path, &rec, g.quiet);
    }
    report.exit_code()
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
        Progress::Role { role } => eprintln_safe!(
            "  {} role {}",
            if role.created_now { "created" } else { "found" },
            role.arn
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
    let finish = common::finish_command(g, a);
    let explain = |e: &exec::ExecError| e.explain(g.profile.as_deref(), &a.vendor.principal.help);
    if output == Output::Json {
        let mut doc = json!({
            "status": match &report.outcome { Outcome::Completed => "completed", Outcome::Failed { .. } => "failed", Outcome::Interrupted { .. } => "interrupted" },
            "account": report.account,
            "keys": report.keys.iter().map(|k| json!({
                "role": k.role, "region": k.region, "arn": k.arn, "key_id": k.key_id, "alias": k.alias, "created": k.created_now,
            })).collect::<Vec<_>>(),
            "policy": report.policy,
            "paste_back": exec::paste_back(&a.vendor, &report.keys, report.role.as_ref()),
        });
        if let Some(r) = &report.role {
            doc["role"] = json!({
                "name": r.name, "arn": r.arn, "created": r.created_now,
                "trusts": a.principal,
                "external_id": a.role.as_ref().map(|x| x.external_id.clone()),
            });
        }
        if !report.retired.is_empty() {
            doc["retired"] = json!(report.retired);
        }
        if !report.in_flight.is_empty() {
            doc["may_have_created"] = json!(report.in_flight);
        }
        if let Some(email) = &a.alerts_email {
            doc["alerts"] = json!({ "email": email, "steps": alert_notes });
        }
        if report.outcome == Outcome::Completed
            && let Some(k) = report.keys.first()
            && let Some(cmd) = common::grant_command(g, a, &k.arn)
        {
            doc["phase_two"] = json!({
                "waiting_for": a.vendor.principal.label,
                "where": a.vendor.principal.help,
                "command": cmd,
            });
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
            let what = match (a.regionality, a.replica_regions.len()) {
                (Regionality::Single, _) => "key".to_string(),
                (Regionality::MultiRegion, 1) => "Multi-Region key, primary and replica,".into(),
                (Regionality::MultiRegion, n) => {
                    format!("Multi-Region key, primary and {n} replicas,")
                }
                (Regionality::TwoKeys, 1) => "two independent single-Region keys".into(),
                (Regionality::TwoKeys, n) => {
                    format!("{} independent single-Region keys, one per Region,", n + 1)
                }
            };
            eprintln_safe!(
                "\nDone. Your {what} for {}:",
                sanitize::line(&a.vendor.name)
            );
            for k in &report.keys {
                eprintln_safe!(
                    "{}  {}",
                    key_row(k.role, &k.region, &k.arn),
                    k.alias.as_deref().unwrap_or("")
                );
            }
            if let Some(r) = &report.role {
                eprintln_safe!(
                    "  {:<9} {:<15} {}  assumed by {} with your external ID",
                    "role",
                    "global",
                    r.arn,
                    a.principal
                );
            }
            if !a.vendor.paste_back.is_empty() {
                eprintln_safe!(
                    "\nWhat {} asks for (on stdout too, one a line):",
                    sanitize::line(&a.vendor.name)
                );
                for p in exec::paste_back(&a.vendor, &report.keys, report.role.as_ref()) {
                    eprintln_safe!("  {:<26} {}", p.label, p.value);
                }
            }
            if g.demo {
                eprintln_safe!(
                    "\nThis was a demo: the keys are simulated and nothing was created in AWS."
                );
            } else {
                eprintln_safe!("\nNext: {}", sanitize::line(&a.vendor.next_step));
            }
            if let Some(k) = report.keys.first()
                && let Some(cmd) = common::grant_command(g, a, &k.arn)
            {
                eprintln_safe!(
                    "\nPhase one is done: {} cannot use the key yet. Register the key ARN with {}; it returns the {}. Then, phase two:\n  {}",
                    sanitize::line(&a.vendor.name),
                    sanitize::line(&a.vendor.name),
                    sanitize::line(&a.vendor.principal.label),
                    sanitize::line(&cmd)
                );
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
        if let Some(r) = report.role.as_ref().filter(|r| r.created_now) {
            eprintln_safe!("The role {} was created by this run.", r.arn);
        }
        if report.keys.is_empty() {
            if !report.may_have_created() && !report.role.as_ref().is_some_and(|r| r.created_now) {
                eprintln_safe!("Nothing was created.");
            }
        } else {
            eprintln_safe!("What exists now:");
            for k in &report.keys {
                eprintln_safe!(
                    "{}{}",
                    key_row(k.role, &k.region, &k.arn),
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
        let blocked =
            matches!(&report.outcome, Outcome::Failed { error, .. } if error.needs_the_user());
        if blocked {
            eprintln_safe!(
                "Once that is resolved, run the same command again; byok reuses what exists:\n  {finish}"
            );
        } else {
            eprintln_safe!(
                "To finish, run the same command again; byok reuses what exists:\n  {finish}"
            );
        }
    }
    // stdout carries only the ARNs, so `ARN=$(byok create ... --yes)` works; once done, for
    // a vendor that lists what it asks for, exactly those values.
    if report.outcome == Outcome::Completed && !a.vendor.paste_back.is_empty() {
        for p in exec::paste_back(&a.vendor, &report.keys, report.role.as_ref()) {
            println_safe!("{}", p.value);
        }
    } else {
        for k in &report.keys {
            println_safe!("{}", k.arn);
        }
    }
    // Then the role the vendor assumes, which the vendor asks for beside the key (unless the
    // values it asks for, printed above, already hold it).
    let listed = report.outcome == Outcome::Completed
        && a.vendor
            .paste_back
            .contains(&byok::vendor::PasteBack::RoleArn);
    if let Some(r) = report.role.as_ref().filter(|_| !listed) {
        println_safe!("{}", r.arn);
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
                "{}: vendor access removed, disabled, deletion scheduled{} (duplicate of {})",
                key_row(r.role, &r.region, &r.arn),
                date.as_ref()
                    .map(|d| format!(" for {d}"))
                    .unwrap_or_default(),
                r.duplicate_of
            ),
            (Some(p), _) => eprintln_safe!(
                "{}: could not be retired ({p}); it still exists. Retire it with `byok status --key {} --revoke-access` and `--schedule-deletion 7`.",
                key_row(r.role, &r.region, &r.arn),
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

/// A key's row in the reports: its role and Region in columns, then its ARN.
fn key_row(role: KeyRole, region: &str, arn: &str) -> String {
    format!("  {:<9} {:<15} {arn}", role.as_str(), region)
}
