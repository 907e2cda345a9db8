//! What several commands need: the vendor catalog, the answers from the flags, validated,
//! the backend, the journal, the policy checked before it is shown, the confirmation prompt,
//! the change record and stdout.

use std::io::Write;

use byok::answers::{Answers, Invocation, RawAnswers};
use byok::exec::exit;
use byok::journal::{self, Journal};
use byok::kms::Backend;
use byok::kms::aws::{AwsKms, AwsOptions};
use byok::kms::sim::{SimKms, SimOptions};
use byok::policy;
use byok::sanitize;
use byok::vendor::Catalog;

use crate::cli::{AnswerArgs, GlobalArgs};

/// The built-in vendor profiles and those of `--vendor-file`; a file that cannot be used is
/// said, with exit status 2.
pub fn catalog(g: &GlobalArgs) -> Result<Catalog, i32> {
    Catalog::with_files(&g.vendor_files).map_err(|e| {
        eprintln_safe!("error: {e}");
        exit::INVALID_INPUT
    })
}

/// The answers from the flags (the Region defaulted as [`raw_answers`] says), validated; on
/// failure every problem is printed.
pub async fn answers(g: &GlobalArgs, args: &AnswerArgs) -> Result<Answers, i32> {
    let raw = raw_answers(g, args).await;
    validated(g, &raw)
}

/// Load the vendor catalog and validate the answers; on failure print every problem.
fn validated(g: &GlobalArgs, raw: &RawAnswers) -> Result<Answers, i32> {
    let catalog = catalog(g)?;
    match raw.validate(&catalog) {
        Ok(a) => Ok(a),
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
async fn default_region(profile: Option<&str>) -> Option<(String, String)> {
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

/// Phase two for a vendor that names its principal after registration: `byok grant` on the
/// first key of the run.
pub fn grant_command(g: &GlobalArgs, a: &Answers, key_arn: &str) -> Option<String> {
    a.grant_command(key_arn, &invocation(g))
}

/// How byok was started, for the command it prints.
fn invocation(g: &GlobalArgs) -> Invocation {
    Invocation {
        demo: g.demo,
        profile: g.profile.clone(),
        endpoint_url: g.endpoint_url.clone(),
        vendor_files: g.vendor_files.clone(),
    }
}

/// The key policy for these answers in `account`, or, when the lint refuses it, each problem
/// said and exit status 2.
pub fn linted_policy(answers: &Answers, account: &str) -> Result<serde_json::Value, i32> {
    let p = policy::build(answers, account);
    let problems = policy::lint(&p, account, &answers.policy_principal(account));
    if problems.is_empty() {
        return Ok(p);
    }
    for pr in problems {
        eprintln_safe!("error: {pr}");
    }
    Err(exit::INVALID_INPUT)
}

/// The journal in the state directory, or in demo mode none. When it cannot be written that
/// is said, ending with `nothing` ("Nothing was sent to AWS."), and the exit status is 2.
pub fn open_journal(demo: bool, nothing: &str) -> Result<Journal, i32> {
    if demo {
        return Ok(Journal::disabled());
    }
    Journal::open(&journal::state_dir()).map_err(|e| {
        eprintln_safe!(
            "error: cannot write the journal in {} ({e}): set BYOK_STATE_DIR to a writable directory. {nothing}",
            journal::state_dir().display()
        );
        exit::INVALID_INPUT
    })
}

/// Ask on the terminal; anything but y/yes is no.
pub fn confirm(question: &str) -> bool {
    eprint_safe!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
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

/// Write to stdout; a reader that went away (`byok man | head`) ends byok quietly with 141, as
/// SIGPIPE ends other tools, never with an error message.
pub fn write_stdout(bytes: &[u8]) -> i32 {
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

/// The service for the commands that act on keys that exist (`status`, `grant`): AWS, or in
/// the demo a simulated account holding the demo's keys in every state, filled at once so
/// reads then feel like a real account's.
pub async fn keys_backend(g: &GlobalArgs, catalog: &Catalog) -> Result<Backend, i32> {
    if !g.demo {
        return Ok(backend(g).await);
    }
    let sim = byok::kms::sim::SimKms::new(byok::kms::sim::SimOptions {
        latency: std::time::Duration::from_millis(25),
        replica_creating: std::time::Duration::ZERO,
    });
    if let Err(e) = byok::status::seed_demo(&sim, catalog).await {
        eprintln_safe!("error: the demo keys could not be made: {e}");
        return Err(exit::AWS_REFUSED);
    }
    Ok(Backend::Sim(sim))
}

/// Each change sent, done or refused (with why), on stderr, then how many of the `planned`
/// were not sent after a refusal. True when none was refused.
pub fn say_results<'a>(
    results: impl ExactSizeIterator<Item = (&'a str, Option<&'a str>)>,
    planned: usize,
) -> bool {
    let not_sent = planned - results.len();
    let mut ok = true;
    for (change, error) in results {
        match error {
            None => eprintln_safe!("✓ {change}"),
            Some(e) => {
                ok = false;
                eprintln_safe!("✗ {change}: {e}");
            }
        }
    }
    if not_sent > 0 {
        eprintln_safe!("  {not_sent} change(s) not sent after the refusal.");
    }
    ok
}

/// Hold the turn to change a key's policy (and its Multi-Region set's: they share the key
/// ID) on this machine: another byok run changing it waits, at most a minute, saying for
/// which pid. PutKeyPolicy replaces the whole policy, so two read-change-write runs at once
/// would lose one's change.
pub async fn key_policy_turn(
    journal: &Journal,
    k: &byok::status::KeyStatus,
) -> Result<journal::SetupLock, i32> {
    let name = format!("key-policy {} {}", k.account, k.key_id);
    let t0 = std::time::Instant::now();
    let mut said = false;
    loop {
        match journal.try_lock_setup(&name) {
            Ok(journal::LockTry::Acquired(l)) => return Ok(l),
            Ok(journal::LockTry::Busy { pid }) => {
                if t0.elapsed() > std::time::Duration::from_secs(60) {
                    eprintln_safe!(
                        "error: another byok run{} has been changing the policy of {} for a minute. Nothing was changed.",
                        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
                        k.arn
                    );
                    return Err(exit::AWS_REFUSED);
                }
                if !said {
                    eprintln_safe!(
                        "waiting for another byok run{} changing the policy of {}",
                        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
                        k.arn
                    );
                    said = true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => {
                eprintln_safe!(
                    "error: cannot take the lock of {} in the state directory ({e}). Nothing was changed.",
                    k.arn
                );
                return Err(exit::INVALID_INPUT);
            }
        }
    }
}
