//! The screenshot journey: the real wizard driven through its public API on the simulator,
//! one picture per main screen.

use std::path::{Path, PathBuf};
use std::process::Command;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::{mpsc, watch};

use byok::exec::{self, ExecOptions, Progress, RunReport};
use byok::journal::Journal;
use byok::kms::KeyService;
use byok::kms::sim::{SimKms, SimOptions};
use byok::tui::{App, Ctx, Effect, Event, Screen};
use byok::vendor::Catalog;

use crate::svg;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;
const CAMUNDA_ROLE: &str = "arn:aws:iam::210987654321:role/camunda-tenant-7f3c";

struct Shooter {
    app: App,
    svc: SimKms,
    term: Terminal<TestBackend>,
    out: PathBuf,
    png: bool,
    /// Everything the last run reported, in order, and its report.
    run: Option<(Vec<Progress>, RunReport)>,
    written: Vec<PathBuf>,
}

impl Shooter {
    async fn effects(&mut self, effects: Vec<Effect>) {
        let mut queue = effects;
        while !queue.is_empty() {
            let mut next = Vec::new();
            for e in queue {
                let ev = match e {
                    Effect::LoadIdentity => {
                        Some(Event::Identity(byok::tui::load_identity(&self.svc).await))
                    }
                    Effect::LoadPrincipals => {
                        Some(Event::Principals(self.svc.list_iam_principals().await))
                    }
                    Effect::Run(plan) => {
                        // Run the real executor to the end now; its events are replayed one
                        // by one later, so a picture can be taken mid-run.
                        let (tx, mut rx) = mpsc::unbounded_channel();
                        let (_cancel_tx, cancel_rx) = watch::channel(false);
                        let report = exec::run(
                            &self.svc,
                            &plan,
                            &Journal::disabled(),
                            &tx,
                            &cancel_rx,
                            &ExecOptions::default(),
                        )
                        .await;
                        drop(tx);
                        let mut events = Vec::new();
                        while let Some(p) = rx.recv().await {
                            events.push(p);
                        }
                        self.run = Some((events, report));
                        None
                    }
                    Effect::Copy(_) => Some(Event::Copied(Ok("copied with OSC 52".into()))),
                    Effect::Save { path, .. } => Some(Event::Saved(Ok(path))),
                    Effect::Export { path, .. } => Some(Event::Exported(Ok(vec![path]))),
                    Effect::PlanGrant {
                        key_arn,
                        region,
                        vendor,
                        text,
                    } => Some(Event::GrantPlanned(
                        byok::status::plan_pasted_grant(
                            &self.svc, &vendor, &key_arn, &region, &text,
                        )
                        .await
                        .map(Box::new),
                    )),
                    Effect::ApplyGrant(plan) => Some(Event::GrantApplied(
                        byok::status::apply(&self.svc, &plan).await,
                    )),
                    Effect::Cancel | Effect::OpenStatus | Effect::Quit => None,
                };
                if let Some(ev) = ev {
                    next.extend(self.app.handle(ev));
                }
            }
            queue = next;
        }
    }

    async fn send(&mut self, ev: Event) {
        let effects = self.app.handle(ev);
        self.effects(effects).await;
    }

    async fn key(&mut self, code: KeyCode) {
        self.send(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
            .await;
    }

    async fn keys(&mut self, codes: &[KeyCode]) {
        for c in codes {
            self.key(*c).await;
        }
    }

    async fn text(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c)).await;
        }
    }

    /// Press Enter until the wizard shows `screen` (Enter also moves between the fields of a
    /// step); fails on a validation message rather than loop forever.
    async fn next_until(&mut self, screen: Screen) {
        for _ in 0..20 {
            if self.app.screen() == screen {
                return;
            }
            self.key(KeyCode::Enter).await;
            assert!(
                self.app.error.is_none(),
                "on the way to {screen:?}, {:?} says: {:?}",
                self.app.screen(),
                self.app.error
            );
        }
        panic!("never reached {screen:?}; stuck on {:?}", self.app.screen());
    }

    fn shoot(&mut self, name: &str) {
        assert!(
            self.app.error.is_none(),
            "{name}: the wizard shows an error: {:?}",
            self.app.error
        );
        self.term
            .draw(|f| byok::tui::draw(&self.app, f))
            .expect("draw");
        let backend = self.term.backend_mut();
        let cursor = backend
            .cursor_visible()
            .then(|| backend.cursor_position())
            .map(|p| (p.x, p.y));
        let frame = svg::Frame {
            title: format!("byok --demo · {WIDTH}×{HEIGHT}"),
            ..svg::Frame::default()
        };
        let doc = svg::render(backend.buffer(), &frame, cursor);
        let files = save(&self.out, name, &doc, self.png);
        self.written.extend(files);
    }
}

/// Write `name.svg` (and `name.png` when `png`) in `out`; returns the files written.
fn save(out: &Path, name: &str, doc: &str, png: bool) -> Vec<PathBuf> {
    let svg_path = out.join(format!("{name}.svg"));
    std::fs::write(&svg_path, doc).expect("write svg");
    let mut written = vec![svg_path.clone()];
    if png {
        let png_path = out.join(format!("{name}.png"));
        let ok = Command::new("rsvg-convert")
            .args(["--zoom", "1.5", "--output"])
            .arg(&png_path)
            .arg(&svg_path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "rsvg-convert failed on {}", svg_path.display());
        written.push(png_path);
    }
    written
}

/// The status screen on the demo's keys (`byok --demo status`): the broken Camunda key
/// selected, then the plan of its fix. Returns the files written.
pub async fn shoot_status(out: &Path, png: bool) -> Vec<PathBuf> {
    use byok::status::{self, Scope, StatusEvent};
    use byok::tui::status::{Msg, StatusEffect, StatusScreen};

    let catalog = Catalog::built_in();
    let sim = SimKms::new(SimOptions::instant());
    status::seed_demo(&sim, &catalog).await.expect("demo keys");
    let report = status::collect(&sim, &catalog, &Scope::default()).await;
    let mut screen = StatusScreen::new(false, true);
    screen.catalog = catalog.clone();
    screen.handle(Msg::Resize(WIDTH, HEIGHT));
    screen.handle(Msg::Discovery(StatusEvent::Scanning {
        regions: report.regions.iter().map(|r| r.region.clone()).collect(),
    }));
    for k in report.keys {
        screen.handle(Msg::Discovery(StatusEvent::Key(Box::new(k))));
    }
    screen.handle(Msg::Discovery(StatusEvent::Done));
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    while screen
        .current()
        .is_some_and(|k| !k.aliases.iter().any(|a| a == "alias/camunda-staging-byok"))
    {
        screen.handle(key(KeyCode::Down));
    }
    let mut written = Vec::new();
    let mut term = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    let mut picture = |screen: &StatusScreen, name: &str| {
        term.draw(|f| f.render_widget(screen, f.area()))
            .expect("draw");
        let frame = svg::Frame {
            title: format!("byok --demo status · {WIDTH}×{HEIGHT}"),
            ..svg::Frame::default()
        };
        let doc = svg::render(term.backend().buffer(), &frame, None);
        written.extend(save(out, name, &doc, png));
    };
    picture(&screen, "status");
    for e in screen.handle(key(KeyCode::Char('f'))) {
        if let StatusEffect::Plan {
            key,
            action,
            principal,
        } = e
        {
            let p = status::plan_action(&sim, &catalog, &key, &action, principal.as_deref()).await;
            screen.handle(Msg::Planned(p));
        }
    }
    picture(&screen, "status-repair");
    written
}

/// MongoDB Atlas's access step, answered: the Atlas principal and external ID on the left,
/// and on the right the key policy with the role byok makes in your account (its trust policy
/// and its own policy), saved as `access-role`.
pub async fn shoot_role(out: &Path, png: bool) -> Vec<PathBuf> {
    let catalog = Catalog::built_in();
    let mut ctx = Ctx::new(catalog);
    ctx.demo = true;
    ctx.raw.vendor = Some("mongodb-atlas".into());
    ctx.raw.region = Some("us-east-1".into());
    let mut s = Shooter {
        app: App::new(ctx),
        svc: SimKms::new(SimOptions::instant()),
        term: Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal"),
        out: out.to_path_buf(),
        png,
        run: None,
        written: Vec::new(),
    };
    s.send(Event::Resize(WIDTH, HEIGHT)).await;
    let start = s.app.start();
    s.effects(start).await;
    s.next_until(Screen::Principal).await;
    s.text("arn:aws:iam::536727724300:root").await;
    s.key(KeyCode::Enter).await;
    s.text("3192be49-6e76-4b7d-a7b8-b486a8fc4483").await;
    // Scroll the pane to the role's policies.
    s.key(KeyCode::PageDown).await;
    s.shoot("access-role");
    s.written
}

/// Walk Camunda with a Multi-Region key from the first screen to the done screen, saving
/// vendor, region, administrators, review, execute (mid-run, the replica Creating) and done
/// as SVG in `out`, and as PNG too when `png`. Returns the files written.
pub async fn shoot_all(out: &Path, png: bool, sim: SimOptions) -> Vec<PathBuf> {
    let catalog = Catalog::built_in();
    let mut ctx = Ctx::new(catalog);
    ctx.demo = true;
    let svc = SimKms::new(sim);
    let mut s = Shooter {
        app: App::new(ctx),
        svc,
        term: Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal"),
        out: out.to_path_buf(),
        png,
        run: None,
        written: Vec::new(),
    };
    s.send(Event::Resize(WIDTH, HEIGHT)).await;
    let start = s.app.start();
    s.effects(start).await;

    // Vendor: Camunda is first.
    assert_eq!(s.app.screen(), Screen::Vendor);
    assert_eq!(s.app.vendor().id, "camunda");
    s.shoot("vendor");

    s.next_until(Screen::Region).await;
    s.shoot("region");

    s.next_until(Screen::Admins).await;
    // Pick the caller (offered first) and one more role.
    s.keys(&[
        KeyCode::Char(' '),
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::Char(' '),
    ])
    .await;
    s.shoot("administrators");

    s.next_until(Screen::Principal).await;
    s.text(CAMUNDA_ROLE).await;
    s.next_until(Screen::Regionality).await;
    // Multi-Region primary + replica: the recommended dual-region method.
    while s.app.regionality().as_str() != "multi-region" {
        let before = s.app.regionality();
        s.key(KeyCode::Down).await;
        assert!(
            s.app.regionality() != before,
            "no multi-region choice for Camunda"
        );
    }
    s.next_until(Screen::Review).await;
    s.shoot("review");

    s.key(KeyCode::Char('r')).await;
    assert_eq!(s.app.screen(), Screen::Execute);
    let (events, report) = s.run.take().expect("the run effect");
    let mut rest = events.into_iter();
    // Replay up to the replica's first "Creating" report, then take the picture.
    for p in rest.by_ref() {
        let waiting = matches!(&p, Progress::Waiting { detail, .. } if detail.contains("Creating"));
        s.send(Event::Progress(p)).await;
        if waiting {
            break;
        }
    }
    for _ in 0..3 {
        s.send(Event::Tick).await;
    }
    s.shoot("execute");

    for p in rest {
        s.send(Event::Progress(p)).await;
    }
    s.send(Event::RunFinished(Box::new(report))).await;
    assert_eq!(s.app.screen(), Screen::Done);
    s.shoot("done");

    s.written
}
