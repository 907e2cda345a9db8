//! Every wizard screen at 80x24 and 120x40, rendered on ratatui's TestBackend from the real
//! app state (driven by key events, the simulator and the real executor). Key IDs and
//! durations are redacted; everything else is what a user sees.

use byok::answers::RawAnswers;
use byok::exec::{self, ExecError, ExecOptions, Outcome, Progress, RunReport};
use byok::journal::Journal;
use byok::kms::KeyService;
use byok::kms::sim::{SimKms, SimOptions};
use byok::tui::{self, App, Ctx, Effect, Event, Screen};
use byok::vendor::Catalog;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::{mpsc, watch};

const ROLE: &str = "arn:aws:iam::210987654321:role/camunda-tenant";
const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn key(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}
fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}
fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Replace what differs from run to run: key IDs after `key/`, and step durations.
fn redact(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("key/") {
        out.push_str(&rest[..i + 4]);
        let after = &rest[i + 4..];
        let n = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(after.len());
        if n > 0 {
            out.push_str("<key-id>");
        }
        rest = &after[n..];
    }
    out.push_str(rest);
    // "0.2 s" -> "_._ s", keeping the width.
    let chars: Vec<char> = out.chars().collect();
    let mut res = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i + 3 < chars.len() + 1
                && chars.get(i) == Some(&'.')
                && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())
                && chars.get(i + 2) == Some(&' ')
                && chars.get(i + 3) == Some(&'s')
                && (start == 0 || chars[start - 1] == ' ')
            {
                res.push_str(&"_".repeat(i - start));
                res.push_str("._ s");
                i += 4;
            } else {
                res.extend(&chars[start..i]);
            }
        } else {
            res.push(chars[i]);
            i += 1;
        }
    }
    res
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut app = app.clone();
    app.handle(Event::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| tui::draw(&app, f)).unwrap();
    let buf = term.backend().buffer().clone();
    let lines: Vec<String> = (0..h)
        .map(|y| {
            let mut line = String::new();
            let mut skip = 0;
            for x in 0..w {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let sym = buf[(x, y)].symbol();
                line.push_str(sym);
                skip = ratatui::text::Span::raw(sym.to_string())
                    .width()
                    .saturating_sub(1);
            }
            line.trim_end().to_string()
        })
        .collect();
    redact(&lines.join("\n"))
}

/// One snapshot per size.
fn snap(name: &str, app: &App) {
    for (w, h) in SIZES {
        let text = render(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

async fn app_with(raw: RawAnswers, sim: &SimKms) -> App {
    let mut ctx = Ctx::new(Catalog::built_in());
    ctx.raw = raw;
    ctx.demo = true;
    let mut app = App::new(ctx);
    app.handle(Event::Identity(tui::load_identity(sim).await));
    app.handle(Event::Principals(sim.list_iam_principals().await));
    app
}

fn sim() -> SimKms {
    SimKms::new(SimOptions::instant())
}

fn enter_until(app: &mut App, s: Screen) {
    for _ in 0..14 {
        if app.screen() == s {
            return;
        }
        app.handle(key(KeyCode::Enter));
    }
    assert_eq!(app.screen(), s, "{:?}", app.error);
}

fn camunda() -> RawAnswers {
    RawAnswers {
        principal: Some(ROLE.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn form_screens() {
    let sim = sim();
    let mut a = app_with(RawAnswers::default(), &sim).await;
    snap("01_vendor", &a);
    a.handle(key(KeyCode::Down));
    a.handle(key(KeyCode::Enter));
    a.handle(key(KeyCode::Down));
    snap("02_region_gearset", &a);
    a.handle(key(KeyCode::Esc));
    a.handle(key(KeyCode::Up));
    a.handle(key(KeyCode::Enter));
    a.handle(key(KeyCode::Enter));
    snap("03_key_type", &a);
    a.handle(key(KeyCode::Enter));
    snap("04_names", &a);
    a.handle(ctrl('u'));
    for c in "aws/x".chars() {
        a.handle(ch(c));
    }
    a.handle(key(KeyCode::Tab));
    snap("05_names_invalid_alias", &a);
    a.handle(ctrl('u'));
    for c in "camunda-saas-byok".chars() {
        a.handle(ch(c));
    }
    enter_until(&mut a, Screen::Admins);
    a.handle(ch(' '));
    a.handle(key(KeyCode::Down));
    a.handle(key(KeyCode::Down));
    a.handle(ch(' '));
    snap("06_admins", &a);
    a.handle(key(KeyCode::Enter));
    snap("07_principal_camunda", &a);
    a.handle(Event::Paste(ROLE.into()));
    a.handle(key(KeyCode::Enter));
    a.handle(key(KeyCode::Down));
    snap("08_regionality", &a);
    a.handle(key(KeyCode::Enter));
    snap("09_rotation", &a);
    a.handle(key(KeyCode::Enter));
    snap("10_review", &a);
    for _ in 0..6 {
        a.handle(key(KeyCode::Down));
    }
    snap("11_review_admins_focused", &a);
    let mut narrow = a.clone();
    narrow.handle(Event::Resize(80, 24));
    narrow.handle(ctrl('p'));
    let text = render(&narrow, 80, 24);
    insta::assert_snapshot!("12_review_policy_80x24", text);
    a.handle(ch('?'));
    snap("13_help_review", &a);
}

#[tokio::test]
async fn gearset_principal_and_missing_credentials() {
    let sim = sim();
    let mut g = app_with(
        RawAnswers {
            vendor: Some("gearset".into()),
            region: Some("ap-southeast-2".into()),
            ..Default::default()
        },
        &sim,
    )
    .await;
    enter_until(&mut g, Screen::Principal);
    snap("14_principal_gearset", &g);

    let mut ctx = Ctx::new(Catalog::built_in());
    ctx.raw = camunda();
    let mut a = App::new(ctx);
    let no_creds = byok::error::KmsError::NoCredentials {
        detail: "no providers in chain".into(),
    };
    a.handle(Event::Identity(Err(no_creds.clone())));
    a.handle(Event::Principals(Err(no_creds)));
    enter_until(&mut a, Screen::Admins);
    snap("15_admins_no_credentials", &a);
}

/// Run the real executor over the simulator; return the app ready to run and every event.
async fn demo_run(raw: RawAnswers) -> (App, Vec<Event>) {
    let sim = sim();
    let mut a = app_with(raw, &sim).await;
    enter_until(&mut a, Screen::Review);
    let plan = match &a.handle(ch('r'))[..] {
        [Effect::Run(p)] => p.clone(),
        other => panic!("{other:?}"),
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_c, cancel) = watch::channel(false);
    let report = exec::run(
        &sim,
        &plan,
        &Journal::disabled(),
        &tx,
        &cancel,
        &ExecOptions::default(),
    )
    .await;
    drop(tx);
    let mut events = Vec::new();
    while let Some(p) = rx.recv().await {
        events.push(Event::Progress(p));
    }
    events.push(Event::RunFinished(Box::new(report)));
    (a, events)
}

#[tokio::test]
async fn execute_and_done() {
    let (mut a, events) = demo_run(RawAnswers {
        regionality: Some("multi-region".into()),
        ..camunda()
    })
    .await;
    // Midway: the replica is being waited for.
    let wait_at = events
        .iter()
        .position(|e| matches!(e, Event::Progress(Progress::Started { step: 6 })))
        .expect("the wait step starts");
    let mut mid = a.clone();
    for e in events[..=wait_at].iter().cloned() {
        mid.handle(e);
    }
    mid.handle(Event::Progress(Progress::Waiting {
        step: 6,
        detail: "replica is Creating".into(),
    }));
    snap("16_execute_running", &mid);
    mid.handle(ctrl('c'));
    snap("17_execute_confirm_stop", &mid);
    for e in events {
        a.handle(e);
    }
    assert_eq!(a.screen(), Screen::Done);
    snap("18_done_multi_region", &a);
    a.handle(Event::Copied(Ok(
        "to the tmux buffer (paste with prefix + ])".into(),
    )));
    snap("19_done_copied", &a);
}

#[tokio::test]
async fn a_failed_run() {
    let (mut a, events) = demo_run(camunda()).await;
    // Keep the real progress up to the alias step, then the alias is someone else's.
    let alias_step = 3;
    for e in events {
        if let Event::Progress(Progress::Started { step }) = e
            && step == alias_step
        {
            break;
        }
        if !matches!(e, Event::RunFinished(_)) {
            a.handle(e);
        }
    }
    a.handle(Event::Progress(Progress::Started { step: alias_step }));
    a.handle(Event::Progress(Progress::Failed {
        step: alias_step,
        elapsed: std::time::Duration::from_millis(180),
        error: "alias/camunda-saas-byok in eu-west-1 already names another key".into(),
    }));
    let keys = a.run.as_ref().unwrap().keys.clone();
    a.handle(Event::RunFinished(Box::new(RunReport {
        role: None,
        account: Some("111122223333".into()),
        caller: None,
        // As exec::run reports it: the alias step failed, so the key has no alias.
        keys: keys
            .iter()
            .cloned()
            .map(|mut k| {
                k.alias = None;
                k
            })
            .collect(),
        policy: None,
        outcome: Outcome::Failed {
            step: alias_step,
            error: ExecError::AliasTakenAfterCreate {
                alias: "alias/camunda-saas-byok".into(),
                region: "eu-west-1".into(),
                key_arn: "arn:aws:kms:eu-west-1:111122223333:key/0000000001".into(),
                ours: keys[0].arn.clone(),
            },
        },
        done_steps: vec![0, 1, 2],
        retired: vec![],
        in_flight: vec![],
    })));
    assert_eq!(a.screen(), Screen::Execute);
    snap("20_execute_failed", &a);
}

#[tokio::test]
async fn monochrome_keeps_focus_and_errors_visible() {
    let sim = sim();
    let mut ctx = Ctx::new(Catalog::built_in());
    ctx.mono = true;
    ctx.demo = true;
    let mut a = App::new(ctx);
    a.handle(Event::Identity(tui::load_identity(&sim).await));
    enter_until(&mut a, Screen::Principal);
    a.handle(key(KeyCode::Enter));
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    a.handle(Event::Resize(80, 24));
    term.draw(|f| tui::draw(&a, f)).unwrap();
    let buf = term.backend().buffer().clone();
    // No colour anywhere.
    for cell in buf.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, ratatui::style::Color::Reset, "{cell:?}");
    }
    let text = render(&a, 80, 24);
    assert!(text.contains("› ARN"), "focus by symbol:\n{text}");
    assert!(
        text.contains("! Vendor principal"),
        "error by symbol:\n{text}"
    );
    assert!(text.contains("DEMO"));
}

#[tokio::test]
async fn any_region_vendor_filter_and_second_region() {
    let sim = sim();
    let mut o = app_with(
        RawAnswers {
            vendor: Some("other".into()),
            principal: Some("123456789012".into()),
            ..Default::default()
        },
        &sim,
    )
    .await;
    o.handle(key(KeyCode::Enter));
    snap("21_region_any", &o);
    for c in "europe".chars() {
        o.handle(ch(c));
    }
    o.handle(key(KeyCode::Down));
    snap("22_region_filtered", &o);
    enter_until(&mut o, Screen::Regionality);
    o.handle(key(KeyCode::Down));
    o.handle(key(KeyCode::Down));
    o.handle(key(KeyCode::Tab));
    for c in "eu-north-1".chars() {
        o.handle(ch(c));
    }
    snap("23_regionality_second_typed", &o);
}

#[tokio::test]
async fn an_interrupted_run_lists_what_exists() {
    let (mut a, events) = demo_run(camunda()).await;
    // Stopped after the alias: the key exists, rotation and verification did not run.
    let stop_at = 4;
    for e in events {
        if let Event::Progress(Progress::Started { step }) = e
            && step == stop_at
        {
            break;
        }
        a.handle(e);
    }
    a.handle(ctrl('c'));
    a.handle(ch('y'));
    let keys = a.run.as_ref().unwrap().keys.clone();
    a.handle(Event::RunFinished(Box::new(RunReport {
        role: None,
        account: Some("111122223333".into()),
        caller: None,
        keys,
        policy: None,
        outcome: Outcome::Interrupted { step: stop_at },
        done_steps: vec![0, 1, 2, 3],
        retired: vec![],
        in_flight: vec![],
    })));
    snap("24_execute_interrupted", &a);
}

#[tokio::test]
async fn review_export_dialog() {
    let sim = sim();
    let mut a = app_with(camunda(), &sim).await;
    enter_until(&mut a, Screen::Review);
    a.handle(ch('e'));
    a.handle(key(KeyCode::Down));
    snap("25_review_export_chooser", &a);
    a.handle(key(KeyCode::Enter));
    snap("26_review_export_file", &a);
    // The file exists: asked before it is replaced.
    let fx = a.handle(key(KeyCode::Enter));
    assert!(
        matches!(
            &fx[..],
            [Effect::Export {
                overwrite: false,
                ..
            }]
        ),
        "{fx:?}"
    );
    a.handle(Event::ExportExists(vec!["camunda-saas-byok.tf".into()]));
    snap("27_review_export_overwrite", &a);
}

/// The minimum size and below it; a stop with the replica's request on its way.
#[tokio::test]
async fn small_terminals_and_a_stop_with_a_create_in_flight() {
    let (mut a, events) = demo_run(RawAnswers {
        regionality: Some("multi-region".into()),
        ..camunda()
    })
    .await;
    let mut stopped = a.clone();
    for e in events.iter().cloned() {
        a.handle(e);
    }
    let text = render(&a, 60, 20);
    insta::assert_snapshot!("29_done_multi_region_60x20", text);
    insta::assert_snapshot!("30_too_small_40x12", render(&a, 40, 12));

    // Stopped while ReplicateKey (step 5) was on its way.
    for e in events {
        if let Event::Progress(Progress::Started { step: 5 }) = e {
            stopped.handle(e);
            break;
        }
        stopped.handle(e);
    }
    stopped.handle(ctrl('c'));
    stopped.handle(ch('y'));
    let keys = stopped.run.as_ref().unwrap().keys.clone();
    stopped.handle(Event::RunFinished(Box::new(RunReport {
        role: None,
        account: Some("111122223333".into()),
        caller: None,
        keys,
        policy: None,
        outcome: Outcome::Interrupted { step: 5 },
        done_steps: vec![0, 1, 2, 3, 4],
        retired: vec![],
        in_flight: vec![exec::InFlight {
            role: byok::plan::KeyRole::Replica,
            region: "eu-west-2".into(),
        }],
    })));
    snap("28_execute_stopped_replica_in_flight", &stopped);
}

/// GitLab Dedicated takes two Regions besides the primary's: `+` picks each in the list, the
/// step and the review name both, and the demo run makes the primary and both replicas, every
/// ARN on the Done screen.
#[tokio::test]
async fn several_regions_picked_then_every_key_done() {
    let sim = sim();
    let raw = RawAnswers {
        vendor: Some("gitlab-dedicated".into()),
        region: Some("eu-west-1".into()),
        principal: Some("210987654321".into()),
        ..Default::default()
    };
    let mut a = app_with(raw.clone(), &sim).await;
    enter_until(&mut a, Screen::Regionality);
    a.handle(key(KeyCode::Down));
    assert_eq!(a.regionality(), byok::answers::Regionality::MultiRegion);
    a.handle(key(KeyCode::Tab));
    for c in "eu-".chars() {
        a.handle(ch(c));
    }
    a.handle(ch('+'));
    a.handle(key(KeyCode::Down));
    a.handle(key(KeyCode::Down));
    a.handle(ch('+'));
    let picked = a.steps.regionality.picked.clone();
    assert_eq!(picked.len(), 2, "{picked:?}");
    // A third is refused: GitLab takes the secondary and the backup Region.
    a.handle(key(KeyCode::Down));
    a.handle(ch('+'));
    assert_eq!(a.steps.regionality.picked, picked);
    snap("25_regionality_several_picked", &a);
    assert_eq!(a.other_regions_value(), picked);

    // The same picks, from the flags, run in the demo.
    let (mut d, events) = demo_run(RawAnswers {
        regionality: Some("multi-region".into()),
        replica_regions: picked.clone(),
        ..raw
    })
    .await;
    for e in events {
        d.handle(e);
    }
    assert_eq!(d.screen(), Screen::Done);
    let keys = &d.run.as_ref().unwrap().keys;
    let regions: Vec<&str> = keys.iter().map(|k| k.region.as_str()).collect();
    assert_eq!(
        regions,
        ["eu-west-1", picked[0].as_str(), picked[1].as_str()]
    );
    snap("26_done_two_replicas", &d);
}
