//! The wizard: `byok` with no subcommand.
//!
//! The shape (other code, the screenshot renderer and the tmux tests, rely on these names):
//!
//! - [`Ctx`]: what a wizard starts from: the vendor [`crate::vendor::Catalog`], the answers
//!   given as flags ([`crate::answers::RawAnswers`], they pre-fill every step), `demo`
//!   (shows the DEMO badge), `mono` (NO_COLOR / `--no-color` theme), `profile` (for the
//!   `aws sso login --profile` advice).
//! - [`App`]: the whole state, plain data. `App::new(ctx)`, then
//!   `app.handle(event) -> Vec<Effect>`: every transition, no terminal, no I/O, no clock.
//!   Effects (load identity, load IAM principals, run the plan, cancel it, copy, save a
//!   file, quit) are carried out by [`run`] (or by a test, which feeds the results back as
//!   events).
//! - [`Event`]: `Key(crossterm KeyEvent)`, `Paste(String)`, `Resize(w, h)`, `Tick` (spinner
//!   frame), and the results of effects: `Identity(..)`, `Principals(..)`,
//!   `Progress(exec::Progress)`, `RunFinished(exec::RunReport)`, `Copied(..)`, `Saved(..)`.
//! - Rendering: `impl Widget for &App` (so `frame.render_widget(&app, area)` or
//!   `(&app).render(area, buf)` on a `Buffer` of any size) and [`draw`] `(&App, &mut Frame)`
//!   which also places the text cursor.
//! - [`App::screen`] tells which [`Screen`] is showing (Vendor, Region, KeyType, Names,
//!   Admins, Principal, Regionality, Rotation, Review, Execute, Done).
//! - [`run`]`(svc: Backend, ctx: Ctx, journal: Journal) -> i32`: sets up the terminal on
//!   stderr, runs the event loop (crossterm EventStream, the effect channel, a spinner tick
//!   only while something spins, SIGTERM), restores the terminal on every path, prints the
//!   ARNs of a completed run on stdout, and returns the exit code.

mod app;
pub mod binding;
mod clipboard;
pub mod status;
mod steps;
pub mod terminal;
mod theme;
mod view;

#[cfg(test)]
mod tests;

pub use app::{
    Action, AdminRow, App, Binding, Ctx, EXPORT_FORMATS, Effect, Event, ExportDialog, IdentityInfo,
    Load, RunState, Screen, StepState, StepStatus, fix_screen,
};
pub use theme::Theme;
pub use view::{MIN_HEIGHT, MIN_WIDTH, draw, help_text, render};

/// A line on stderr with text from outside (ARNs and messages from AWS, vendor text) escaped
/// for the terminal.
macro_rules! say {
    ($($t:tt)*) => { eprintln!("{}", crate::sanitize::block(&format!($($t)*))) };
}

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as CtEvent, EventStream};
use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::exec::{self, ExecOptions};
use crate::journal::Journal;
use crate::kms::{Backend, KeyService};
use crate::status::Scope;
use crate::vendor::Catalog;

/// Resolve who the caller is and the ARN a key policy can name for them.
pub async fn load_identity<S: KeyService>(svc: &S) -> Result<IdentityInfo, crate::error::KmsError> {
    let id = svc.identity().await?;
    // Without iam:GetRole the role behind a session cannot be resolved: nothing is offered
    // (`IdentityInfo::admin_arn` takes IAM ARNs only), the wizard says so, and the user picks
    // the role from the list or types its ARN.
    let policy_arn = svc.principal_for_policy(&id.arn).await.unwrap_or_default();
    Ok(IdentityInfo {
        account: id.account,
        caller_arn: id.arn,
        policy_arn,
    })
}

/// Carry out an effect; results come back on `tx`.
fn spawn_effect(
    effect: Effect,
    svc: &watch::Receiver<Option<Backend>>,
    journal: &Arc<Journal>,
    tx: &mpsc::UnboundedSender<Event>,
    cancel: &watch::Sender<bool>,
) {
    match effect {
        Effect::LoadIdentity => {
            let (mut svc, tx) = (svc.clone(), tx.clone());
            tokio::spawn(async move {
                let Some(svc) = ready(&mut svc).await else {
                    return;
                };
                let _ = tx.send(Event::Identity(load_identity(&svc).await));
            });
        }
        Effect::LoadPrincipals => {
            let (mut svc, tx) = (svc.clone(), tx.clone());
            tokio::spawn(async move {
                let Some(svc) = ready(&mut svc).await else {
                    return;
                };
                let _ = tx.send(Event::Principals(svc.list_iam_principals().await));
            });
        }
        Effect::Run(plan) => {
            let (mut svc, tx, journal) = (svc.clone(), tx.clone(), journal.clone());
            cancel.send_replace(false);
            let cancel_rx = cancel.subscribe();
            tokio::spawn(async move {
                let Some(svc) = ready(&mut svc).await else {
                    return;
                };
                let (ptx, mut prx) = mpsc::unbounded_channel();
                let fwd_tx = tx.clone();
                let fwd_plan = plan.clone();
                let forward = tokio::spawn(async move {
                    let mut steps = Vec::new();
                    while let Some(p) = prx.recv().await {
                        crate::record::note_progress(&fwd_plan, &p, &mut steps);
                        let _ = fwd_tx.send(Event::Progress(p));
                    }
                    steps
                });
                let started = crate::journal::now_rfc3339();
                let recorder = crate::record::Recording::new(svc.for_executor());
                let report = exec::run(
                    &recorder,
                    &plan,
                    &journal,
                    &ptx,
                    &cancel_rx,
                    &ExecOptions::default(),
                )
                .await;
                drop(ptx);
                let steps = forward.await.unwrap_or_default();
                let _ = tx.send(Event::Recorded(Box::new(crate::record::RunLog {
                    steps,
                    calls: recorder.log.calls(),
                    started,
                    finished: crate::journal::now_rfc3339(),
                })));
                let _ = tx.send(Event::RunFinished(Box::new(report)));
            });
        }
        Effect::Cancel => {
            cancel.send_replace(true);
        }
        Effect::Copy(text) => {
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(Event::Copied(clipboard::copy(&text)));
            });
        }
        Effect::Save { path, contents } => {
            let path = std::env::current_dir()
                .map(|d| d.join(&path))
                .unwrap_or(path);
            let r = save_new(&path, &contents).map_err(|e| format!("{}: {e}", path.display()));
            let _ = tx.send(Event::Saved(r));
        }
        Effect::Export {
            files,
            path,
            overwrite,
        } => {
            let _ = tx.send(write_export(&files, &path, overwrite));
        }
        Effect::PlanGrant {
            key_arn,
            region,
            vendor,
            text,
        } => {
            let (mut svc, tx) = (svc.clone(), tx.clone());
            tokio::spawn(async move {
                let Some(svc) = ready(&mut svc).await else {
                    return;
                };
                let r = crate::status::plan_pasted_grant(&svc, &vendor, &key_arn, &region, &text)
                    .await
                    .map(Box::new);
                let _ = tx.send(Event::GrantPlanned(r));
            });
        }
        Effect::ApplyGrant(plan) => {
            let (mut svc, tx) = (svc.clone(), tx.clone());
            tokio::spawn(async move {
                let Some(svc) = ready(&mut svc).await else {
                    return;
                };
                let _ = tx.send(Event::GrantApplied(crate::status::apply(&svc, &plan).await));
            });
        }
        // The event loop opens the status screen itself.
        Effect::OpenStatus | Effect::Quit => {}
    }
}

/// Write `contents` to `path`, or, when a file is already there, to the first free
/// `name-2.ext`, `name-3.ext`...: a save key never replaces a file. Returns where it went.
pub(crate) fn save_new(
    path: &std::path::Path,
    contents: &str,
) -> std::io::Result<std::path::PathBuf> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    for n in 1..1000 {
        let candidate = if n == 1 {
            path.to_path_buf()
        } else {
            path.with_file_name(format!("{stem}-{n}{ext}"))
        };
        match crate::export::write_new(&candidate, contents.as_bytes()) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "999 files of that name already exist",
    ))
}

/// Write an export: files that exist are replaced only when `overwrite` (the user said so);
/// otherwise nothing is written and the answer names them, for the wizard to ask.
fn write_export(
    files: &[crate::export::ExportFile],
    path: &std::path::Path,
    overwrite: bool,
) -> Event {
    if !overwrite {
        let existing = crate::export::existing_targets(files, path);
        if !existing.is_empty() {
            return Event::ExportExists(existing);
        }
    }
    let r = if overwrite {
        crate::export::write_files(files, path)
    } else {
        crate::export::write_new_files(files, path)
    };
    Event::Exported(r.map_err(|e| match e.kind() {
        // The message names the file already.
        std::io::ErrorKind::AlreadyExists => e.to_string(),
        _ => format!("{}: {e}", path.display()),
    }))
}

/// The status screen shown over the wizard (from its first screen), with its own channel:
/// a screen opened again never receives the previous one's late results.
struct Embedded {
    screen: status::StatusScreen,
    tx: mpsc::UnboundedSender<status::Msg>,
    rx: mpsc::UnboundedReceiver<status::Msg>,
}

/// What `byok status` scans, with the journal's keys and Regions (none in demo mode).
fn status_scope(journal: &Journal, demo: bool) -> Scope {
    if demo {
        return Scope::default();
    }
    Scope::default().with_journal(&journal.entries())
}

/// Carry out a status screen effect once the backend has loaded.
fn spawn_status_effect(
    effect: status::StatusEffect,
    svc: &watch::Receiver<Option<Backend>>,
    catalog: &Catalog,
    scope: &Scope,
    org: Option<&Arc<status::OrgView>>,
    tx: &mpsc::UnboundedSender<status::Msg>,
) {
    if effect == status::StatusEffect::Quit {
        return;
    }
    // `--accounts`: every account is read (and read again) through the organisation.
    if let (Some(o), status::StatusEffect::Discover) = (org, &effect) {
        status::spawn_org(o, catalog, scope, tx);
        return;
    }
    let loaded = svc.borrow().clone();
    if let Some(b) = loaded {
        status::spawn_effect(effect, &b, catalog, scope, tx);
        return;
    }
    let (mut svc, catalog, scope, tx) = (svc.clone(), catalog.clone(), scope.clone(), tx.clone());
    tokio::spawn(async move {
        if let Some(b) = ready(&mut svc).await {
            status::spawn_effect(effect, &b, &catalog, &scope, &tx);
        }
    });
}

/// The simulated account of `byok --demo status`: keys of every vendor in every state.
pub async fn demo_status_backend(catalog: &Catalog) -> Backend {
    let sim = crate::kms::sim::SimKms::new(crate::kms::sim::SimOptions {
        latency: Duration::from_millis(25),
        replica_creating: Duration::ZERO,
    });
    // Made in memory: it cannot fail but for a bug, and then the screen shows what exists.
    let _ = crate::status::seed_demo(&sim, catalog).await;
    Backend::Sim(sim)
}

/// The backend once it has loaded.
async fn ready(rx: &mut watch::Receiver<Option<Backend>>) -> Option<Backend> {
    rx.wait_for(Option::is_some).await.ok()?.clone()
}

/// Run the wizard on the terminal (drawn on stderr). Returns the exit code; the ARNs of a
/// completed run are printed on stdout after the terminal is restored.
pub async fn run(svc: Backend, ctx: Ctx, journal: Journal) -> i32 {
    run_with(async move { svc }, ctx, journal).await
}

/// As [`run`], with the backend still loading (the AWS configuration may look for a
/// Region on the network): the first frame does not wait for it. Nothing goes on the
/// network before the first frame: the backend and the first loads start once it is drawn
/// (on two cores they would also compete with it).
pub async fn run_with<F>(backend: F, ctx: Ctx, journal: Journal) -> i32
where
    F: std::future::Future<Output = Backend> + Send + 'static,
{
    run_loop(backend, ctx, journal, None).await
}

/// `byok status` on the terminal: the status screen alone, on the wizard's event loop (the
/// same terminal guard, signals and key tables); leaving it ends byok with the exit status
/// of what was shown, and the summary line on stderr.
pub(crate) async fn run_status(
    svc: Backend,
    catalog: Catalog,
    scope: Scope,
    mono: bool,
    org: Option<Arc<status::OrgView>>,
) -> i32 {
    let mut ctx = Ctx::new(catalog);
    ctx.mono = mono;
    ctx.demo = svc.is_demo();
    run_loop(
        async move { svc },
        ctx,
        Journal::disabled(),
        Some(StatusOnly { scope, org }),
    )
    .await
}

/// What `byok status` brings to the event loop.
struct StatusOnly {
    scope: Scope,
    org: Option<Arc<status::OrgView>>,
}

async fn run_loop<F>(backend: F, ctx: Ctx, journal: Journal, status_only: Option<StatusOnly>) -> i32
where
    F: std::future::Future<Output = Backend> + Send + 'static,
{
    let only_status = status_only.is_some();
    let (scope, org) = match status_only {
        Some(s) => (s.scope, s.org),
        None => (status_scope(&journal, ctx.demo), None),
    };
    let mut ctx = ctx;
    if !only_status {
        ctx.waiting = if ctx.demo {
            crate::status::demo_waiting(&ctx.catalog)
        } else {
            crate::status::waiting_keys(&journal.entries(), &ctx.catalog)
        };
    }
    let mut app = App::new(ctx);
    let (svc_tx, svc) = watch::channel(None);
    let mut term = match terminal::Term::enter() {
        Ok(t) => t,
        Err(e) if only_status => {
            say!(
                "error: cannot start the status screen on this terminal ({e}). Use `byok status --output json` or `--output text`."
            );
            return exec::exit::INVALID_INPUT;
        }
        Err(e) => {
            say!(
                "error: cannot start the wizard on this terminal ({e}). Use `byok create` with flags instead."
            );
            return exec::exit::INVALID_INPUT;
        }
    };
    if let Ok(size) = term.size() {
        app.handle(Event::Resize(size.width, size.height));
    }
    let journal = Arc::new(journal);
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let (cancel, _) = watch::channel(false);
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sigterm =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    let mut sighup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut stopping = false;
    let mut embedded: Option<Embedded> = None;
    // The status screen's backend: the wizard's own, or in the demo the simulated account
    // `byok --demo status` shows (made when the screen is first opened).
    let (demo_tx, demo_rx) = watch::channel(None);
    let mut demo_status = (app.ctx.demo && !only_status).then_some(demo_tx);
    let status_svc = if app.ctx.demo && !only_status {
        demo_rx
    } else {
        svc.clone()
    };
    // A screen of its own channel: a screen opened again never receives the previous one's
    // late results.
    let open_status = |app: &App, embedded: bool, start: bool| {
        let (stx, srx) = mpsc::unbounded_channel();
        let mut screen = if embedded {
            status::StatusScreen::new_embedded(app.ctx.mono, app.ctx.demo)
        } else {
            status::StatusScreen::new(app.ctx.mono, app.ctx.demo)
        };
        screen.catalog = app.ctx.catalog.clone();
        screen.handle(status::Msg::Resize(app.size.0, app.size.1));
        for fx in if start { screen.start() } else { vec![] } {
            spawn_status_effect(
                fx,
                &status_svc,
                &app.ctx.catalog,
                &scope,
                org.as_ref(),
                &stx,
            );
        }
        Embedded {
            screen,
            tx: stx,
            rx: srx,
        }
    };
    if only_status {
        embedded = Some(open_status(&app, false, false));
    }
    let mut status_code = None;
    match &embedded {
        Some(e) => {
            let _ = term.draw_with(|f| f.render_widget(&e.screen, f.area()));
        }
        None => {
            let _ = term.draw(&app);
        }
    }
    // Nothing goes on the network before the first frame: the backend and the first loads
    // start once it is drawn (on two cores they would also compete with it).
    tokio::spawn(async move {
        let _ = svc_tx.send(Some(backend.await));
    });
    match embedded.as_mut() {
        Some(e) if only_status => {
            for fx in e.screen.start() {
                spawn_status_effect(
                    fx,
                    &status_svc,
                    &app.ctx.catalog,
                    &scope,
                    org.as_ref(),
                    &e.tx,
                );
            }
        }
        _ => {
            for e in app.start() {
                spawn_effect(e, &svc, &journal, &tx, &cancel);
            }
        }
    }
    loop {
        let spinning = match &embedded {
            Some(e) => e.screen.is_spinning(),
            None => app.is_spinning(),
        };
        let ev = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(CtEvent::Key(k))) => Event::Key(k),
                Some(Ok(CtEvent::Paste(s))) => Event::Paste(s),
                Some(Ok(CtEvent::Resize(w, h))) => Event::Resize(w, h),
                Some(Ok(_)) => continue,
                // The terminal is gone: stop as if asked to.
                Some(Err(_)) | None => Event::Interrupt,
            },
            Some(ev) = rx.recv() => ev,
            Some(m) = async { match embedded.as_mut() { Some(e) => e.rx.recv().await, None => std::future::pending().await } } => {
                if let Some(e) = embedded.as_mut() {
                    let mut batch = vec![m];
                    while batch.len() < 512
                        && let Ok(m) = e.rx.try_recv()
                    {
                        batch.push(m);
                    }
                    for m in batch {
                        for fx in e.screen.handle(m) {
                            spawn_status_effect(fx, &status_svc, &app.ctx.catalog, &scope, org.as_ref(), &e.tx);
                        }
                    }
                    let _ = term.draw_with(|f| f.render_widget(&e.screen, f.area()));
                }
                continue;
            },
            _ = tick.tick(), if spinning => Event::Tick,
            Some(_) = async { match sigterm.as_mut() { Some(s) => s.recv().await, None => std::future::pending().await } } => Event::Interrupt,
            Some(_) = async { match sigint.as_mut() { Some(s) => s.recv().await, None => std::future::pending().await } } => Event::Interrupt,
            // The terminal closed: nothing can be drawn or read; stop as if asked to.
            Some(_) = async { match sighup.as_mut() { Some(s) => s.recv().await, None => std::future::pending().await } } => {
                terminal::restore();
                terminal::detach_from_dead_terminal();
                Event::Interrupt
            },
        };
        // The status screen, while it shows, takes the keys; leaving it returns here.
        if let Some(e) = embedded.as_mut() {
            let msg = match &ev {
                Event::Key(k) => Some(status::Msg::Key(*k)),
                Event::Paste(s) => Some(status::Msg::Paste(s.clone())),
                Event::Resize(w, h) => Some(status::Msg::Resize(*w, *h)),
                Event::Tick => Some(status::Msg::Tick),
                _ => None,
            };
            if let Some(msg) = msg {
                if let Event::Resize(w, h) = ev {
                    app.handle(Event::Resize(w, h));
                }
                for fx in e.screen.handle(msg) {
                    spawn_status_effect(
                        fx,
                        &status_svc,
                        &app.ctx.catalog,
                        &scope,
                        org.as_ref(),
                        &e.tx,
                    );
                }
                if e.screen.quit && only_status {
                    status_code = Some(e.screen.exit_code());
                    break;
                } else if e.screen.quit {
                    embedded = None;
                    let _ = term.draw(&app);
                } else {
                    let _ = term.draw_with(|f| f.render_widget(&e.screen, f.area()));
                }
                continue;
            }
            if matches!(ev, Event::Interrupt) {
                if only_status {
                    status_code = Some(e.screen.exit_code());
                    break;
                }
                embedded = None;
            }
        }
        // Handle the results already waiting too, then draw once (progress bursts). Keys are
        // not drained this way: polling crossterm's stream outside the select loses its wake-up.
        let mut batch = vec![ev];
        while batch.len() < 256
            && let Ok(ev) = rx.try_recv()
        {
            batch.push(ev);
        }
        let mut finished = false;
        let mut force = false;
        for ev in batch {
            finished |= matches!(ev, Event::RunFinished(_));
            for e in app.handle(ev) {
                if e == Effect::Quit || (e == Effect::Cancel && app.quit) {
                    stopping = true;
                }
                force |= e == Effect::Quit;
                if let Effect::Copy(text) = &e {
                    // OSC 52 goes to the terminal itself; the tools run beside it.
                    term.osc52(text);
                }
                if e == Effect::OpenStatus && embedded.is_none() {
                    if let Some(tx) = demo_status.take() {
                        // The demo's keys, made once, as `byok --demo status` shows them.
                        let catalog = app.ctx.catalog.clone();
                        tokio::spawn(async move {
                            let _ = tx.send(Some(demo_status_backend(&catalog).await));
                        });
                    }
                    embedded = Some(open_status(&app, true, true));
                }
                spawn_effect(e, &svc, &journal, &tx, &cancel);
            }
        }
        // Quitting during a run waits for the run to stop after the call in flight.
        let run_active = app.run.as_ref().is_some_and(|r| r.running());
        if stopping && (force || !run_active || finished) {
            break;
        }
        match &embedded {
            Some(e) => {
                let _ = term.draw_with(|f| f.render_widget(&e.screen, f.area()));
            }
            None => {
                let _ = term.draw(&app);
            }
        }
    }
    drop(term);
    if let Some(code) = status_code {
        if let Some(e) = &embedded {
            let r = &e.screen.report;
            eprintln!(
                "{}",
                crate::status::summary_line(&crate::status::summarize(&r.keys, &r.regions))
            );
        }
        return code;
    }
    let code = app.exit_code();
    let lines = app.stdout_lines();
    if let Some(run) = &app.run {
        // What exists: the report's account, or what the run had announced when quit at once.
        let (stopped, keys) = match &run.report {
            Some(r) => (r.outcome != exec::Outcome::Completed, &r.keys),
            None => (true, &run.keys),
        };
        let unconfirmed = run.report.as_ref().is_some_and(|r| r.may_have_created());
        if let Some(r) = &run.report {
            for k in &r.retired {
                say!(
                    "Another byok run made this setup's key at the same time: byok uses it, and retired the duplicate {} ({}): {}.",
                    k.arn,
                    k.region,
                    k.problem
                        .as_deref()
                        .unwrap_or("vendor access removed, disabled, deletion scheduled")
                );
            }
        }
        if stopped {
            let regionality = run.answers.regionality;
            let in_flight = run.in_flight();
            match run.failed_error() {
                Some(e) => say!(
                    "byok stopped: {}",
                    e.explain(
                        app.ctx.profile.as_deref(),
                        &run.answers.vendor.principal.help
                    )
                ),
                None => say!("byok stopped."),
            }
            if keys.is_empty() && in_flight.is_empty() && !unconfirmed {
                say!("Nothing was created.");
            }
            if let Some(r) = run.role.as_ref().filter(|r| r.created_now) {
                say!("The role {} was created.", r.arn);
            }
            if !keys.is_empty() {
                say!("What exists now:");
                for k in keys {
                    say!(
                        "  {:<13} {:<15} {}",
                        view::key_name(regionality, k.role),
                        k.region,
                        k.arn
                    );
                }
            }
            for f in &in_flight {
                say!(
                    "{} in {} may have been created: its request was on its way when byok stopped. The journal holds the attempt; the command below finds that key instead of making a second one.",
                    view::key_name(regionality, f.role),
                    f.region
                );
            }
            if in_flight.is_empty() && unconfirmed {
                say!(
                    "A key may have been created (its answer was lost): the command below finds that key instead of making a second one."
                );
            }
            if app.ctx.demo && (!keys.is_empty() || !in_flight.is_empty()) {
                say!("This was the demo: the keys were simulated, nothing exists in AWS.");
            }
            let first = if run.failed_error().is_some_and(|e| e.needs_the_user()) {
                "Once that is resolved, run the same setup again"
            } else {
                "To finish, run the same setup again"
            };
            say!(
                "{first}; byok reuses what exists and creates nothing twice:\n  {}",
                run.answers.create_command(&app.ctx.invocation())
            );
        }
    }
    for l in lines {
        println!("{}", crate::sanitize::line(&l));
    }
    code
}
