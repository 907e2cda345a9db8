//! Render cost of every wizard screen, at 120x40 and 200x60. Run by `benches/run.sh`
//! (or `cargo bench --bench render`); never by `cargo test`.
//!
//! Each screen is reached the way a user reaches it: the real state machine, walked with
//! Enter from pre-filled answers, and a real run of the plan on the simulated KMS for the
//! progress and done screens. The review carries the largest policy the answers allow here
//! (20 administrators, 40 tags, Multi-Region). Two figures a frame:
//!
//! - `render`: drawing the widgets into a ratatui `Buffer` (what the event loop does each frame);
//! - `+ encode`: plus the diff against a blank screen and the crossterm escape codes of a full
//!   repaint, written to memory (the worst case: a resize or the first frame).
//!
//! `render --json` prints the figures as JSON; `render --peer-frame` draws one trivial
//! ratatui frame on the terminal and exits (the first-frame peer of benches/bench.py).

use std::hint::black_box;
use std::time::{Duration, Instant};

use byok::answers::RawAnswers;
use byok::exec::{self, ExecOptions, Progress};
use byok::journal::Journal;
use byok::kms::IamPrincipal;
use byok::kms::sim::{SimKms, SimOptions};
use byok::tui::{Action, App, Ctx, Effect, Event, IdentityInfo, Screen};
use byok::vendor::Catalog;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

const ACCOUNT: &str = "111122223333";
const ROLE: &str = "arn:aws:iam::210987654321:role/camunda-tenant";

fn identity() -> IdentityInfo {
    IdentityInfo {
        account: ACCOUNT.into(),
        caller_arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123/bench"),
        policy_arn: format!(
            "arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123"
        ),
    }
}

fn principals() -> Vec<IamPrincipal> {
    (0..60)
        .map(|i| {
            let (kind, name) = if i % 3 == 0 {
                ("user", format!("operator-{i:02}"))
            } else {
                ("role", format!("PlatformTeam-KeyAdmin-{i:02}"))
            };
            IamPrincipal {
                arn: format!("arn:aws:iam::{ACCOUNT}:{kind}/{name}"),
                kind: kind.into(),
                name,
            }
        })
        .collect()
}

/// The answers behind the largest policy: many administrators, many tags, two Regions.
fn heavy_answers() -> RawAnswers {
    RawAnswers {
        vendor: Some("camunda".into()),
        principal: Some(ROLE.into()),
        regionality: Some("multi-region".into()),
        admins: (0..20)
            .map(|i| format!("arn:aws:iam::{ACCOUNT}:role/PlatformTeam-KeyAdmin-{i:02}"))
            .collect(),
        admins_can_delete: true,
        tags: (0..40)
            .map(|i| format!("cost-centre-{i:02}=team-{i:02}"))
            .collect(),
        ..Default::default()
    }
}

/// Every screen of one walk through the wizard, in order, each as the user sees it.
fn screens(size: (u16, u16)) -> Vec<(String, App)> {
    let mut ctx = Ctx::new(Catalog::built_in());
    ctx.raw = heavy_answers();
    ctx.demo = true;
    let mut app = App::new(ctx);
    app.handle(Event::Resize(size.0, size.1));
    app.handle(Event::Identity(Ok(identity())));
    app.handle(Event::Principals(Ok(principals())));
    let mut out: Vec<(String, App)> = Vec::new();
    for _ in 0..40 {
        if out.last().is_none_or(|(_, a)| a.screen() != app.screen()) {
            out.push((format!("{:?}", app.screen()), app.clone()));
        }
        if app.screen() == Screen::Review {
            break;
        }
        app.handle(Event::Key(KeyEvent::new(
            KeyCode::Enter,
            KeyModifiers::NONE,
        )));
    }
    assert_eq!(
        app.screen(),
        Screen::Review,
        "the walk stopped on {:?}: {:?}",
        app.screen(),
        app.error
    );
    if let Some(i) = out.iter().position(|(n, _)| n == "Review") {
        out[i].0 = "Review (large policy)".into();
    }

    // A real run of the plan on the simulated KMS: its progress feeds the progress screen.
    let effects = app.act(Action::Run);
    let Some(Effect::Run(plan)) = effects.into_iter().find(|e| matches!(e, Effect::Run(_))) else {
        panic!("the review did not start a run: {:?}", app.error);
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (report, progress) = rt.block_on(async {
        let svc = SimKms::new(SimOptions::instant());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (_cancel_tx, cancel) = tokio::sync::watch::channel(false);
        let report = exec::run(
            &svc,
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
            events.push(p);
        }
        (report, events)
    });
    let half = progress
        .iter()
        .position(|p| matches!(p, Progress::Started { step } if *step >= plan.steps.len() / 2))
        .unwrap_or(progress.len() / 2);
    for p in &progress[..=half] {
        app.handle(Event::Progress(p.clone()));
    }
    app.handle(Event::Progress(Progress::Waiting {
        step: half,
        detail: "replica is Creating".into(),
    }));
    app.handle(Event::Tick);
    out.push(("Execute (mid-run)".into(), app.clone()));
    for p in &progress[half + 1..] {
        app.handle(Event::Progress(p.clone()));
    }
    app.handle(Event::RunFinished(Box::new(report)));
    assert_eq!(app.screen(), Screen::Done, "{:?}", app.error);
    out.push(("Done".into(), app.clone()));
    out
}

struct Figure {
    render: Duration,
    encode: Duration,
    bytes: usize,
}

/// Median of `rounds` batches, per frame.
fn measure(app: &App, area: Rect, budget: Duration) -> Figure {
    let mut buf = Buffer::empty(area);
    let blank = Buffer::empty(area);
    let mut out: Vec<u8> = Vec::with_capacity(1 << 16);
    // Warm up and size the batches to about budget / 15 each.
    let t = Instant::now();
    let mut n = 0u32;
    while t.elapsed() < Duration::from_millis(20) {
        buf.reset();
        byok::tui::render(black_box(app), area, &mut buf);
        n += 1;
    }
    let per_batch = ((n as f64) * budget.as_secs_f64() / 15.0 / 0.02).max(3.0) as u32;
    let mut render = Vec::new();
    let mut encode = Vec::new();
    let mut bytes = 0;
    for _ in 0..15 {
        let t = Instant::now();
        for _ in 0..per_batch {
            buf.reset();
            byok::tui::render(black_box(app), area, &mut buf);
        }
        render.push(t.elapsed() / per_batch);
        let t = Instant::now();
        for _ in 0..per_batch {
            buf.reset();
            byok::tui::render(black_box(app), area, &mut buf);
            out.clear();
            let mut backend = CrosstermBackend::new(&mut out);
            backend.draw(blank.diff(&buf).into_iter()).expect("encode");
            Backend::flush(&mut backend).expect("flush");
            bytes = out.len();
        }
        encode.push(t.elapsed() / per_batch);
    }
    render.sort();
    encode.sort();
    Figure {
        render: render[render.len() / 2],
        encode: encode[encode.len() / 2],
        bytes,
    }
}

/// One trivial ratatui frame on the terminal, then exit: the first-frame peer.
fn peer_frame() {
    let mut terminal = ratatui::init();
    let _ = terminal.draw(|f| {
        f.render_widget(
            ratatui::widgets::Paragraph::new("a trivial ratatui frame")
                .block(ratatui::widgets::Block::bordered().title("peer")),
            f.area(),
        )
    });
    ratatui::restore();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--peer-frame") {
        return peer_frame();
    }
    let json = args.iter().any(|a| a == "--json");
    // `cargo bench` passes --bench; `--quick` for a fast look.
    let budget = if args.iter().any(|a| a == "--quick") {
        Duration::from_millis(30)
    } else {
        Duration::from_millis(300)
    };
    let sizes = [(120u16, 40u16), (200, 60)];
    let mut rows = Vec::new();
    for (w, h) in sizes {
        for (name, app) in screens((w, h)) {
            let f = measure(&app, Rect::new(0, 0, w, h), budget);
            rows.push((name, w, h, f));
        }
    }
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|(name, w, h, f)| {
                serde_json::json!({
                    "screen": name, "cols": w, "rows": h,
                    "render_us": f.render.as_secs_f64() * 1e6,
                    "render_encode_us": f.encode.as_secs_f64() * 1e6,
                    "repaint_bytes": f.bytes,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
        return;
    }
    println!("| screen | size | render | + encode (full repaint) | repaint bytes |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for (name, w, h, f) in &rows {
        println!(
            "| {name} | {w}x{h} | {:.0} µs | {:.0} µs | {} |",
            f.render.as_secs_f64() * 1e6,
            f.encode.as_secs_f64() * 1e6,
            f.bytes
        );
    }
}
