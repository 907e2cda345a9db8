//! `byok status`: the report (JSON, text or the status screen) and the lifecycle actions
//! given as flags.

use std::io::IsTerminal;

use byok::exec::exit;
use byok::journal;
use byok::kms::{Backend, KeyService};
use byok::status::{self, Action, Health, KeyStatus, Scope, StatusReport};
use byok::vendor::Catalog;

use super::common;
use crate::cli::{GlobalArgs, StatusArgs, StatusOutput};

/// Exit status when a key needs attention (a broken key gives [`BROKEN`]).
pub const NEEDS_ATTENTION: i32 = 1;
pub const BROKEN: i32 = 5;
/// Exit status when no Region could be read: nothing is known about any key.
pub const NOTHING_READ: i32 = 6;

/// The exit status of a report: 6 when nothing could be read, else by its health.
pub fn report_exit_code(r: &status::StatusReport) -> i32 {
    if r.nothing_read() {
        NOTHING_READ
    } else {
        exit_code(r.overall())
    }
}

pub fn exit_code(h: Health) -> i32 {
    match h {
        Health::Ok => exit::OK,
        Health::NeedsAttention => NEEDS_ATTENTION,
        Health::Broken => BROKEN,
    }
}

fn action_of(a: &StatusArgs) -> Option<Action> {
    a.action.0.clone()
}

/// The journal, read once, in linear time, whatever it holds: lines that do not parse are
/// skipped and counted (said on stderr), never the end of the reading.
fn journal_contents(demo: bool) -> journal::Contents {
    if demo {
        return journal::Contents::default();
    }
    let path = journal::file_in(&journal::state_dir());
    let c = journal::read_path(&path);
    if let Some(w) = c.warning(&path) {
        eprintln_safe!("note: {w}");
    }
    c
}

pub async fn run(g: &GlobalArgs, args: StatusArgs) -> i32 {
    let catalog = match common::catalog(g) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let action = action_of(&args);
    let alerts = args.alerts_email.clone();
    let journal = journal_contents(g.demo);
    let mut scope = Scope {
        regions: args.regions.clone(),
        keys: args.keys.clone(),
        vendor: args.vendor.clone(),
        principal: args.principal.clone(),
        all_regions: args.all_regions,
        named_only: action.is_some() || alerts.is_some(),
        ..Scope::default()
    }
    .with_journal(&journal.entries);
    // Every input is checked before the first call.
    let mut errs = status::check_scope(&catalog, &scope);
    if let Some(a) = &action {
        if let Err(e) = a.check() {
            errs.push(e);
        }
        if args.keys.is_empty() {
            errs.push(format!(
                "Key (--key): {} acts on the keys you name; add --key ARN|alias",
                status::action_flag(a)
            ));
        }
        if matches!(a, Action::ScheduleDeletion { .. }) && args.confirm_alias.is_none() {
            errs.push("Confirmation (--confirm-alias): type the key's alias again to schedule its deletion".into());
        }
        if args.output == Some(StatusOutput::Tui) {
            errs.push("Output (--output): actions given as flags print their result; use --output text or json".into());
        }
        if !args.yes && !std::io::stdin().is_terminal() {
            errs.push("Confirmation (--yes): byok asks before changing a key; add --yes to act without a terminal".into());
        }
    }
    if let Some(email) = &alerts {
        if let Err(e) = byok::alerts::check_email(email) {
            errs.push(e);
        }
        if args.keys.is_empty() {
            errs.push(
                "Key (--key): --alerts-email acts on the keys you name; add --key ARN|alias".into(),
            );
        }
        if g.demo {
            errs.push(
                "Alerts (--alerts-email): the demo has no EventBridge or SNS; run it against AWS"
                    .into(),
            );
        }
        if args.output == Some(StatusOutput::Tui) {
            errs.push("Output (--output): actions given as flags print their result; use --output text or json".into());
        }
        if !args.yes && !std::io::stdin().is_terminal() {
            errs.push("Confirmation (--yes): byok asks before changing anything; add --yes to act without a terminal".into());
        }
        if args.accounts.is_some() {
            errs.push("Accounts (--accounts): --alerts-email acts in one account; run it there (--profile) without --accounts".into());
        }
    }
    let accounts = match &args.accounts {
        None => None,
        Some(v) => match byok::org::parse_accounts(v) {
            Ok(a) => Some(a),
            Err(e) => {
                errs.push(e);
                None
            }
        },
    };
    if let Err(e) = byok::org::check_role_name(&args.role_name) {
        errs.push(e);
    }
    if let Some(x) = &args.role_external_id
        && let Err(e) = byok::org::check_external_id(x)
    {
        errs.push(e);
    }
    if args.accounts.is_some() {
        if let Some(a) = &action {
            errs.push(format!(
                "Accounts (--accounts): {} acts in one account; run it there (--profile) without --accounts",
                status::action_flag(a)
            ));
        }
        if !args.keys.is_empty() {
            errs.push("Accounts (--accounts): --key names a key in your own account; read other accounts' keys with --accounts alone".into());
        }
        if g.demo {
            errs.push("Accounts (--accounts): the demo has one account".into());
        }
    } else {
        if args.role_name != byok::org::DEFAULT_ROLE {
            errs.push("Role (--role-name): the role is assumed only with --accounts".into());
        }
        if args.role_external_id.is_some() {
            errs.push(
                "External ID (--role-external-id): the role is assumed only with --accounts".into(),
            );
        }
    }
    if let Some(path) = &args.record {
        if action.is_none() && alerts.is_none() {
            errs.push("Record (--record): a change record is written for an action; add one (--disable, --repair-policy, --alerts-email, ...)".into());
        } else if let Err(e) = byok::record::check_writable(path) {
            errs.push(format!("Record (--record): {e}"));
        }
    }
    if !errs.is_empty() {
        eprintln_safe!(
            "byok status cannot start: {} problem(s). Nothing was sent to AWS.",
            errs.len()
        );
        for e in errs {
            eprintln_safe!("  - {}", byok::sanitize::line(&e));
        }
        return exit::INVALID_INPUT;
    }

    let svc = match common::keys_backend(g, &catalog).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Backend::Aws(aws) = &svc
        && let Some(r) = aws.default_region()
        && !scope.extra_regions.contains(&r)
    {
        scope.extra_regions.push(r);
    }

    if let Some(action) = action {
        return act(g.demo, &svc, &catalog, &scope, &args, action).await;
    }
    if let (Some(email), Backend::Aws(aws)) = (&alerts, &svc) {
        return alerts_act(aws, &catalog, &scope, &args, email).await;
    }

    let interactive = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let output = args.output.unwrap_or(if interactive {
        StatusOutput::Tui
    } else {
        StatusOutput::Json
    });
    if let (Some(accounts), Backend::Aws(aws)) = (&accounts, &svc) {
        let mono = g.no_color || std::env::var_os("NO_COLOR").is_some();
        return org(aws, &catalog, &scope, &args, accounts, output, mono).await;
    }
    match output {
        StatusOutput::Tui => {
            byok::tui::status::run(
                svc,
                catalog,
                scope,
                g.no_color || std::env::var_os("NO_COLOR").is_some(),
            )
            .await
        }
        StatusOutput::Json => {
            let mut report = status::collect(&svc, &catalog, &scope).await;
            if let Backend::Aws(aws) = &svc {
                byok::status::annotate_alerts(aws, &mut report).await;
            }
            println_safe!("{}", byok::sanitize::json_pretty(&report));
            report_exit_code(&report)
        }
        StatusOutput::Text => {
            let mut report = status::collect(&svc, &catalog, &scope).await;
            if let Backend::Aws(aws) = &svc {
                byok::status::annotate_alerts(aws, &mut report).await;
            }
            print_safe!("{}", render_text(&report));
            report_exit_code(&report)
        }
    }
}

/// `--accounts`: every account's keys, grouped by account.
async fn org(
    aws: &byok::kms::aws::AwsKms,
    catalog: &Catalog,
    scope: &Scope,
    args: &StatusArgs,
    accounts: &byok::org::Accounts,
    output: StatusOutput,
    mono: bool,
) -> i32 {
    if output == StatusOutput::Tui {
        let org = byok::tui::status::OrgView {
            aws: aws.clone(),
            accounts: accounts.clone(),
            role_name: args.role_name.clone(),
            external_id: args.role_external_id.clone(),
        };
        return byok::tui::status::run_with(
            Backend::Aws(Box::new(aws.clone())),
            catalog.clone(),
            scope.clone(),
            mono,
            Some(org),
        )
        .await;
    }
    let report = match byok::org::collect(
        aws,
        catalog,
        scope,
        accounts,
        &args.role_name,
        args.role_external_id.as_deref(),
    )
    .await
    {
        Ok(r) => r,
        Err(byok::org::OrgError::Identity(e)) => {
            eprintln_safe!("error: {}", e.explain(None, ""));
            return exit::AWS_REFUSED;
        }
        Err(byok::org::OrgError::ListAccounts(e)) => {
            eprintln_safe!(
                "error: the organisation's accounts could not be listed: {}\n`--accounts org` needs organizations:ListAccounts, from the management account or a delegated administrator; or name the accounts: --accounts 111111111111,222222222222",
                e.explain(None, "")
            );
            return exit::AWS_REFUSED;
        }
    };
    match output {
        StatusOutput::Json => println_safe!("{}", byok::sanitize::json_pretty(&report)),
        StatusOutput::Text => print_safe!("{}", render_org_text(&report)),
        StatusOutput::Tui => unreachable!("the screen reads the accounts itself"),
    }
    exit_code(report.overall())
}

/// The plain report of many accounts: per account its summary line, then its keys.
pub fn render_org_text(r: &StatusReport) -> String {
    let mut o = String::new();
    for a in &r.accounts {
        o.push_str(&byok::sanitize::line(&byok::org::account_line(a)));
        o.push('\n');
        if let Some(e) = &a.error {
            o.push_str(&format!("  {}\n\n", byok::sanitize::line(&e.explanation)));
            continue;
        }
        let sub = StatusReport {
            regions: r
                .regions
                .iter()
                .filter(|x| x.account.as_deref() == Some(a.account.as_str()))
                .cloned()
                .collect(),
            keys: r
                .keys
                .iter()
                .filter(|k| k.account == a.account)
                .cloned()
                .collect(),
            named_errors: vec![],
            summary: a.summary.clone(),
            accounts: vec![],
        };
        for l in render_text(&sub).lines() {
            o.push_str(&format!("  {l}\n"));
        }
        o.push('\n');
    }
    for e in &r.named_errors {
        o.push_str(&format!("✗ {}\n", byok::sanitize::line(e)));
    }
    let failed = r.accounts.iter().filter(|a| a.error.is_some()).count();
    o.push_str(&format!(
        "{} account(s){}: {}\n",
        r.accounts.len(),
        if failed > 0 {
            format!(", {failed} not readable")
        } else {
            String::new()
        },
        status::summary_line(&r.summary)
    ));
    o
}

fn alias_matches(k: &KeyStatus, typed: &str) -> bool {
    let t = typed.trim();
    let t = if t.starts_with("alias/") {
        t.to_string()
    } else {
        format!("alias/{t}")
    };
    k.aliases.contains(&t)
}

async fn act(
    demo: bool,
    svc: &Backend,
    catalog: &Catalog,
    scope: &Scope,
    args: &StatusArgs,
    action: Action,
) -> i32 {
    let started = journal::now_rfc3339();
    let svc = &byok::record::Recording::new(svc.clone());
    let mut done = Acted {
        plans: vec![],
        results: vec![],
        outcome: String::new(),
    };
    let code = act_recorded(demo, svc, catalog, scope, args, action, &mut done).await;
    if let Some(path) = &args.record {
        let caller = svc.identity().await.ok();
        let rec = byok::record::for_action(byok::record::ActionRun {
            plans: &done.plans,
            results: &done.results,
            outcome: done.outcome,
            calls: svc.log.calls(),
            caller,
            started,
            finished: journal::now_rfc3339(),
            command: Some(action_command(args)),
        });
        common::write_record(path, &rec, false);
    }
    code
}

/// `--alerts-email`: plan the alerts of the named keys (and the rest of their Multi-Region
/// sets), show the plan and the trail check, ask, set them up, journalled.
async fn alerts_act(
    aws: &byok::kms::aws::AwsKms,
    catalog: &Catalog,
    scope: &Scope,
    args: &StatusArgs,
    email: &str,
) -> i32 {
    use byok::alerts::AlertKey;
    let started = journal::now_rfc3339();
    let svc = Backend::Aws(Box::new(aws.clone()));
    let report = status::collect(&svc, catalog, scope).await;
    if !report.named_errors.is_empty() {
        for e in &report.named_errors {
            eprintln_safe!("error: {e}");
        }
        eprintln_safe!("Nothing was changed.");
        return exit::INVALID_INPUT;
    }
    let me = match svc.identity().await {
        Ok(me) => me,
        Err(e) => {
            eprintln_safe!("error: {}", e.explain(None, ""));
            return exit::AWS_REFUSED;
        }
    };
    let partition = byok::arn::Arn::parse(&me.arn)
        .map(|a| a.partition)
        .unwrap_or_else(|_| "aws".into());
    // Every key of each named key's set, with its aliases in its own Region.
    let mut keys: Vec<AlertKey> = Vec::new();
    let mut aliases_of: std::collections::HashMap<String, Vec<byok::kms::AliasEntry>> =
        std::collections::HashMap::new();
    for k in &report.keys {
        for (region, key_id) in status::key_set(k) {
            if keys
                .iter()
                .any(|x| x.region == region && x.key_id == key_id)
            {
                continue;
            }
            if !aliases_of.contains_key(&region) {
                match svc.list_aliases(&region).await {
                    Ok(a) => {
                        aliases_of.insert(region.clone(), a);
                    }
                    Err(e) => {
                        eprintln_safe!("error: {}\nNothing was changed.", e.explain(None, ""));
                        return exit::AWS_REFUSED;
                    }
                }
            }
            let mut aliases: Vec<String> = aliases_of[&region]
                .iter()
                .filter(|a| a.target_key_id.as_deref() == Some(key_id.as_str()))
                .map(|a| a.name.clone())
                .collect();
            aliases.sort();
            let arn = if region == k.region {
                k.arn.clone()
            } else {
                format!("arn:{partition}:kms:{region}:{}:key/{key_id}", k.account)
            };
            keys.push(AlertKey {
                region,
                arn,
                key_id,
                aliases,
            });
        }
    }
    let plan = match byok::kms::alerts::plan(aws, &me.account, &partition, &keys, email).await {
        Ok(p) => p,
        Err(e) => {
            eprintln_safe!(
                "error: the alerts could not be read: {}\nNothing was changed.",
                e.explain(None, "")
            );
            return exit::AWS_REFUSED;
        }
    };
    eprint_safe!("{}", plan.render_text());
    let json = args.output == Some(StatusOutput::Json);
    let mut results = Vec::new();
    let outcome;
    let code = if plan.changes.is_empty() {
        eprintln_safe!("Nothing to change.");
        outcome = "nothing to change".to_string();
        exit::OK
    } else if !args.yes && !common::confirm("Go ahead?") {
        eprintln_safe!("Nothing was changed.");
        outcome = "not confirmed: nothing was changed".to_string();
        exit::OK
    } else {
        // The demo has no alerts: refused with the other inputs.
        let journal = match common::open_journal(false, "Nothing was changed.") {
            Ok(j) => j,
            Err(code) => return code,
        };
        results = byok::kms::alerts::apply(aws, &me.account, &partition, &plan, &journal).await;
        let ok = common::say_results(
            results
                .iter()
                .map(|r| (r.change.as_str(), r.error.as_deref())),
            plan.changes.len(),
        );
        if ok && plan.changes.iter().any(|c| c.call == "sns:Subscribe") {
            eprintln_safe!(
                "AWS has mailed {email} a confirmation link: the alerts are sent once it is confirmed."
            );
        }
        outcome = if ok {
            "completed".to_string()
        } else {
            "failed: AWS refused a change; the changes after it were not sent".to_string()
        };
        if ok { exit::OK } else { exit::AWS_REFUSED }
    };
    if plan.trails.iter().any(|(_, ok, _)| !ok) {
        eprintln_safe!(
            "Warning: without a CloudTrail trail that logs management events these alerts will never fire (see above)."
        );
    }
    if json {
        println_safe!(
            "{}",
            byok::sanitize::json_pretty(&serde_json::json!({ "alerts": plan, "results": results }))
        );
    }
    if let Some(path) = &args.record {
        let calls = results
            .iter()
            .zip(plan.changes.iter())
            .map(|(r, c)| byok::record::Call {
                at: journal::now_rfc3339(),
                api: c.call.clone(),
                region: c.region.clone(),
                target: c.target.clone(),
                ok: r.ok,
                result: r
                    .error
                    .clone()
                    .or_else(|| r.arn.clone())
                    .unwrap_or_else(|| "ok".into()),
            })
            .collect();
        let mut arns: Vec<byok::record::NamedArn> = plan
            .keys
            .iter()
            .map(|k| byok::record::NamedArn {
                what: format!("key in {}", k.region),
                arn: k.arn.clone(),
            })
            .collect();
        arns.extend(results.iter().filter_map(|r| {
            r.arn.clone().map(|arn| byok::record::NamedArn {
                what: r.change.clone(),
                arn,
            })
        }));
        arns.push(byok::record::NamedArn {
            what: "caller".into(),
            arn: me.arn.clone(),
        });
        let rec = byok::record::Record {
            title: format!("alerts to {email} on {}", args.keys.join(", ")),
            started,
            finished: journal::now_rfc3339(),
            caller: Some(me.arn.clone()),
            account: Some(me.account.clone()),
            command: Some(format!(
                "{} --alerts-email {}",
                action_command(args),
                byok::sanitize::shell_word(email)
            )),
            outcome,
            planned: plan
                .changes
                .iter()
                .map(|c| {
                    (
                        format!("{} {} in {}: {}", c.call, c.target, c.region, c.what),
                        vec![c.call.clone()],
                    )
                })
                .collect(),
            steps: results
                .iter()
                .map(|r| {
                    (
                        r.change.clone(),
                        r.error.clone().unwrap_or_else(|| "done".into()),
                    )
                })
                .collect(),
            calls,
            policies: plan
                .changes
                .iter()
                .filter_map(|c| {
                    c.document.as_ref().map(|d| {
                        (
                            format!("{} {} in {}", c.call, c.target, c.region),
                            d.clone(),
                            "json".to_string(),
                        )
                    })
                })
                .collect(),
            arns,
            notes: plan
                .trails
                .iter()
                .map(|(r, ok, note)| {
                    if *ok {
                        format!("Trail in {r}: {note}")
                    } else {
                        format!("NO TRAIL in {r}: {note}; these alerts would never fire")
                    }
                })
                .chain(std::iter::once(
                    "AWS mails the address a confirmation link: no alert is sent until it is confirmed.".to_string(),
                ))
                .collect(),
            next_step: None,
        };
        common::write_record(path, &rec, false);
    }
    code
}

/// What an action planned and did, for the change record.
struct Acted {
    plans: Vec<status::ActionPlan>,
    results: Vec<status::ChangeResult>,
    outcome: String,
}

/// The command as given, for the record (the values are the user's own flags).
fn action_command(args: &StatusArgs) -> String {
    let mut parts = vec!["byok status".to_string()];
    for k in &args.keys {
        parts.push(format!("--key {}", byok::sanitize::shell_word(k)));
    }
    for r in &args.regions {
        parts.push(format!("--region {}", byok::sanitize::shell_word(r)));
    }
    if let Some(a) = action_of(args) {
        parts.push(status::action_flag(&a));
    }
    if let Some(c) = &args.confirm_alias {
        parts.push(format!("--confirm-alias {}", byok::sanitize::shell_word(c)));
    }
    if args.yes {
        parts.push("--yes".into());
    }
    parts.join(" ")
}

async fn act_recorded<S: byok::kms::KeyService>(
    demo: bool,
    svc: &S,
    catalog: &Catalog,
    scope: &Scope,
    args: &StatusArgs,
    action: Action,
    done: &mut Acted,
) -> i32 {
    done.outcome = "nothing was changed (the key could not be planned)".into();
    let report = status::collect(svc, catalog, scope).await;
    if !report.named_errors.is_empty() {
        for e in &report.named_errors {
            eprintln_safe!("error: {e}");
        }
        eprintln_safe!("Nothing was changed.");
        return exit::INVALID_INPUT;
    }
    // A policy change reads, changes and replaces the whole policy: take turns with other
    // runs on this machine changing the same keys' policies (`byok grant` too).
    let mut _turns = Vec::new();
    if action.changes_policy() {
        let journal = match common::open_journal(demo, "Nothing was changed.") {
            Ok(j) => j,
            Err(code) => return code,
        };
        for k in &report.keys {
            match common::key_policy_turn(&journal, k).await {
                Ok(t) => _turns.push(t),
                Err(code) => return code,
            }
        }
    }
    let mut plans = Vec::new();
    for k in &report.keys {
        if let (Action::ScheduleDeletion { .. }, Some(typed)) = (&action, &args.confirm_alias)
            && !alias_matches(k, typed)
        {
            eprintln_safe!(
                "error: Confirmation (--confirm-alias): {typed:?} is not an alias of {} (its aliases: {}). Nothing was changed.",
                k.arn,
                if k.aliases.is_empty() {
                    "none".to_string()
                } else {
                    k.aliases.join(", ")
                }
            );
            return exit::INVALID_INPUT;
        }
        match status::plan_action(svc, catalog, k, &action, scope.principal.as_deref()).await {
            Ok(p) => plans.push(p),
            Err(e) => {
                eprintln_safe!("error: {}: {e}\nNothing was changed.", k.name());
                return exit::INVALID_INPUT;
            }
        }
    }
    let json = args.output == Some(StatusOutput::Json);
    for p in &plans {
        eprint_safe!("{}", p.render_text());
    }
    done.plans = plans.clone();
    if plans.iter().all(|p| p.changes.is_empty()) {
        done.outcome = "nothing to change".into();
        eprintln_safe!("Nothing to change.");
        if json {
            println_safe!(
                "{}",
                byok::sanitize::json_text(
                    serde_json::json!({ "plans": plans, "results": [] }).to_string()
                )
            );
        }
        return exit::OK;
    }
    if !args.yes && !common::confirm("Go ahead?") {
        done.outcome = "not confirmed: nothing was changed".into();
        eprintln_safe!("Nothing was changed.");
        return exit::OK;
    }
    let mut all_ok = true;
    let mut results = Vec::new();
    for p in &plans {
        let rs = status::apply(svc, p).await;
        all_ok &= common::say_results(
            rs.iter().map(|r| (r.change.as_str(), r.error.as_deref())),
            p.changes.len(),
        );
        results.extend(rs);
        if !all_ok {
            break;
        }
    }
    if json {
        println_safe!(
            "{}",
            byok::sanitize::json_pretty(&serde_json::json!({ "plans": plans, "results": results }))
        );
    }
    done.outcome = if all_ok {
        "completed".into()
    } else {
        "failed: AWS refused a change (below); the changes after it were not sent".into()
    };
    done.results = results;
    if all_ok { exit::OK } else { exit::AWS_REFUSED }
}

/// The plain report: one block per key, then the Regions and the summary line.
pub fn render_text(r: &StatusReport) -> String {
    let mut o = String::new();
    // Each value on its one line: names, meanings, aliases and tags come from the vendor's
    // profile or from KMS, and are escaped so that none breaks the report or the terminal.
    let line = |v: &str| byok::sanitize::line(v).into_owned();
    let add = |o: &mut String, label: &str, v: &str| {
        o.push_str(&format!("  {label:<16}{}\n", line(v)));
    };
    for k in &r.keys {
        o.push_str(&format!(
            "{} {} ({}) in {}: {}\n",
            k.health.symbol(),
            line(k.name()),
            line(
                k.vendor_name
                    .as_deref()
                    .or(k.vendor.as_deref())
                    .unwrap_or("unknown vendor")
            ),
            line(&k.region),
            k.health.label()
        ));
        add(&mut o, "ARN", &k.arn);
        if k.aliases.len() > 1 {
            add(&mut o, "Aliases", &k.aliases.join(", "));
        }
        let state = match &k.deletion_date {
            Some(d) => format!("{} (deletion on {})", k.state, status::human_time(d)),
            None => k.state.to_string(),
        };
        add(&mut o, "State", &state);
        add(
            &mut o,
            "Created",
            &k.created
                .as_deref()
                .map(status::human_time)
                .unwrap_or_else(|| "—".into()),
        );
        if let Some(m) = &k.multi_region {
            let mut s = format!("Multi-Region {}", m.role.to_lowercase());
            if m.role == "REPLICA" {
                s.push_str(&format!(" of {}", m.primary_region));
            }
            for rep in &m.replicas {
                s.push_str(&format!(
                    "; replica in {} {}",
                    rep.region,
                    rep.state.as_deref().unwrap_or("unreadable")
                ));
            }
            add(&mut o, "Regions", &s);
        }
        let rot = match &k.rotation {
            Some(r) if r.enabled => format!(
                "on{}{}",
                r.period_days
                    .map(|d| format!(", every {d} days"))
                    .unwrap_or_default(),
                r.next_rotation
                    .as_ref()
                    .map(|d| format!(", next {}", status::human_time(d)))
                    .unwrap_or_default()
            ),
            Some(_) => "off".into(),
            None => "unknown".into(),
        };
        add(&mut o, "Rotation", &rot);
        if !k.administrators.is_empty() {
            add(&mut o, "Administrators", &k.administrators.join(", "));
        }
        if let Some(p) = &k.policy {
            let vendor = match (&p.vendor_principal, p.principal_source) {
                (Some(v), Some(from)) => format!("{v} (from {})", from.describe()),
                (Some(v), None) => v.clone(),
                (None, _) => "unknown: nothing byok trusts names it (give --principal)".into(),
            };
            add(&mut o, "Vendor", &vendor);
            let pol = if p.missing.is_empty() {
                "the vendor has every action it needs".to_string()
            } else {
                format!("missing {}", p.missing.join(", "))
            };
            add(&mut o, "Policy", &pol);
            if !p.extra.is_empty() {
                add(&mut o, "Extra access", &p.extra.join(", "));
            }
            add(
                &mut o,
                "Root statement",
                if p.root_statement {
                    "present"
                } else {
                    "MISSING"
                },
            );
        }
        if let Some(a) = &k.alerts {
            let mut v = a.state.label().to_string();
            if !a.emails.is_empty() {
                v.push_str(&format!(" ({})", a.emails.join(", ")));
            }
            if a.state != byok::alerts::AlertState::On {
                v.push_str(&format!(": {}", a.detail));
            }
            add(&mut o, "Alerts", &v);
        }
        if !k.meaning.is_empty() {
            add(&mut o, "For the vendor", &k.meaning);
        }
        for f in &k.findings {
            add(
                &mut o,
                "Finding",
                &format!("{} {}", f.severity.symbol(), f.what),
            );
        }
        if !k.recovery.is_empty() {
            let cmd = status::suggested_action(k)
                .map(|a| {
                    let principal = if status::needs_principal(&a, k) {
                        " --principal ARN"
                    } else {
                        ""
                    };
                    format!(
                        " (byok status --key {} {}{principal})",
                        k.arn,
                        status::action_flag(&a)
                    )
                })
                .unwrap_or_default();
            add(&mut o, "Fix", &format!("{}{cmd}", k.recovery));
        }
        o.push('\n');
    }
    for e in &r.named_errors {
        o.push_str(&format!("✗ {}\n", line(e)));
    }
    let scanned: Vec<String> = r
        .regions
        .iter()
        .map(|x| match &x.error {
            Some(e) => format!("{} (failed: {})", x.region, e.message),
            None if !x.unreadable.is_empty() => format!(
                "{} ({} listed, {} byok, {} whose tags byok may not read)",
                x.region,
                x.keys_listed,
                x.byok_keys,
                x.unreadable.len()
            ),
            None => format!(
                "{} ({} listed, {} byok)",
                x.region, x.keys_listed, x.byok_keys
            ),
        })
        .collect();
    if !scanned.is_empty() {
        o.push_str(&format!("Regions: {}\n", scanned.join(", ")));
    }
    o.push_str(&status::summary_line(&r.summary));
    o.push('\n');
    o
}
