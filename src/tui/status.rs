//! The status screen: every BYOK key with its health, the selected key's details, and the
//! lifecycle actions, each shown as a plan (with the policy diff and the consequence for the
//! vendor) and confirmed before anything is sent.
//!
//! Plain data like the wizard: [`StatusScreen::handle`]`(Msg) -> Vec<StatusEffect>`; the
//! effects (discover, plan, apply, reload) are carried out by [`run`] (or a test), whose
//! results come back as messages. Keys appear as they load: the list is usable before every
//! Region has answered.
//!
//! Embedding it (the wizard's first screen): keep a [`StatusScreen`], render it with
//! `(&screen).render(area, buf)`, route key, paste and resize events to
//! [`StatusScreen::handle`], and pass the effects it returns to [`spawn_effect`] with a
//! channel whose messages go back to `handle`; [`StatusEffect::Quit`] means "back".
//! Standalone, [`run`] does all of that on the terminal (`byok status`).

use std::time::Duration;

use crossterm::event::{
    Event as CtEvent, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use futures_util::StreamExt;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};
use tokio::sync::mpsc;
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

use crate::kms::Backend;
use crate::status::{
    self, Action, ActionPlan, ChangeResult, Health, KeyStatus, Scope, StatusEvent, StatusReport,
};
use crate::vendor::Catalog;

use super::Theme;

/// What the screen reacts to.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// Pasted text (bracketed paste): goes into the input being typed, if any.
    Paste(String),
    Resize(u16, u16),
    Tick,
    /// A discovery event (a key loaded, a Region failed, done).
    Discovery(StatusEvent),
    /// The plan of the chosen action, or why it cannot be done.
    Planned(Result<ActionPlan, String>),
    /// The changes were sent.
    Applied(Vec<ChangeResult>),
    /// Fresh state of keys after an action.
    Reloaded(Vec<KeyStatus>),
    /// `--accounts`: every account read, at once.
    Loaded(Box<StatusReport>),
    /// The keys' alerts, read after discovery (ARN, alerts).
    Alerts(Vec<(String, crate::alerts::AlertsStatus)>),
    /// The alerts' plan, or why it cannot be made.
    AlertsPlanned(Result<Box<crate::alerts::AlertPlan>, String>),
}

/// What the screen asks its runner to do.
#[derive(Debug, Clone, PartialEq)]
pub enum StatusEffect {
    /// Run discovery; send each event back as `Msg::Discovery`.
    Discover,
    /// Plan `action` on the key; answer with `Msg::Planned`.
    Plan {
        key: Box<KeyStatus>,
        action: Action,
    },
    /// Send the changes; answer with `Msg::Applied`.
    Apply(Box<ActionPlan>),
    /// Read these keys again (ARNs); answer with `Msg::Reloaded`.
    Reload(Vec<String>),
    /// Plan alerts on the key (and the rest of its set); answer with `Msg::AlertsPlanned`.
    PlanAlerts {
        key: Box<KeyStatus>,
        email: String,
    },
    /// Set the alerts up; answer with `Msg::Applied`.
    ApplyAlerts(Box<crate::alerts::AlertPlan>),
    Quit,
}

/// The actions offered in the menu, in order.
pub const MENU: &[(&str, &str)] = &[
    ("e", "Enable the key"),
    ("d", "Disable the key"),
    ("o", "Turn on rotation / change its period"),
    ("x", "Turn off automatic rotation"),
    ("n", "Rotate the key material now"),
    ("s", "Schedule deletion (7-30 days)"),
    ("c", "Cancel the deletion and re-enable"),
    ("p", "Repair the key policy"),
    ("v", "Revoke the vendor's access"),
    ("t", "Restore the vendor's access"),
    ("m", "Mail alerts when someone breaks it"),
];

#[derive(Debug, Clone)]
pub enum Mode {
    List,
    /// Typing a filter.
    Filter,
    Menu {
        index: usize,
    },
    /// Typing a number of days for rotation (`deletion == false`) or deletion.
    Days {
        deletion: bool,
        input: Input,
        error: Option<String>,
    },
    /// Typing the address alerts go to.
    Email {
        input: Input,
        error: Option<String>,
    },
    /// The alerts' plan, shown before anything is sent.
    ConfirmAlerts {
        plan: Box<crate::alerts::AlertPlan>,
        scroll: u16,
    },
    /// Waiting for a plan.
    Planning,
    Confirm {
        plan: Box<ActionPlan>,
        /// For a deletion: the alias, typed again.
        typed: Option<Input>,
        scroll: u16,
    },
    Applying,
    Result {
        title: String,
        results: Vec<ChangeResult>,
    },
    Error(String),
}

pub struct StatusScreen {
    pub report: StatusReport,
    pub loading: bool,
    /// Index into [`StatusScreen::visible`].
    pub selected: usize,
    pub filter: Input,
    pub mode: Mode,
    pub size: (u16, u16),
    pub mono: bool,
    pub demo: bool,
    pub spinner: usize,
    /// Which Regions answered, for the header.
    pub regions_done: usize,
    pub quit: bool,
    /// Whether the user has moved the selection (until then it stays on the first key).
    pub moved: bool,
    /// Shown over the wizard: leaving (q, Esc, Ctrl-C) goes back to it, so the footer says
    /// "back" rather than "quit".
    pub embedded: bool,
}

const SPINNER: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl StatusScreen {
    pub fn new(mono: bool, demo: bool) -> Self {
        StatusScreen {
            report: StatusReport::empty(),
            loading: true,
            selected: 0,
            filter: Input::default(),
            mode: Mode::List,
            size: (80, 24),
            mono,
            demo,
            spinner: 0,
            regions_done: 0,
            quit: false,
            moved: false,
            embedded: false,
        }
    }

    /// The screen shown over the wizard ([`StatusScreen::embedded`]).
    pub fn new_embedded(mono: bool, demo: bool) -> Self {
        StatusScreen {
            embedded: true,
            ..Self::new(mono, demo)
        }
    }

    /// The first effects: start discovery.
    pub fn start(&mut self) -> Vec<StatusEffect> {
        self.loading = true;
        vec![StatusEffect::Discover]
    }

    pub fn is_spinning(&self) -> bool {
        self.loading || matches!(self.mode, Mode::Planning | Mode::Applying)
    }

    /// Keys shown, after the filter (matches alias, ARN, Region, vendor, state, health).
    pub fn visible(&self) -> Vec<&KeyStatus> {
        let f = self.filter.value().trim().to_ascii_lowercase();
        self.report
            .keys
            .iter()
            .filter(|k| {
                f.is_empty()
                    || [
                        k.name(),
                        k.arn.as_str(),
                        k.region.as_str(),
                        k.vendor.as_deref().unwrap_or(""),
                        k.state.as_str(),
                        k.health.label(),
                    ]
                    .iter()
                    .any(|s| s.to_ascii_lowercase().contains(&f))
            })
            .collect()
    }

    pub fn current(&self) -> Option<&KeyStatus> {
        self.visible().get(self.selected).copied()
    }

    fn clamp(&mut self) {
        let n = self.visible().len();
        if self.selected >= n {
            self.selected = n.saturating_sub(1);
        }
    }

    /// Keep the list in a stable order while keys arrive, and the selection on its key.
    fn insert(&mut self, k: KeyStatus) {
        let keep = self.current().map(|c| c.arn.clone());
        self.report.apply(StatusEvent::Key(Box::new(k)));
        self.report.finish();
        if self.moved
            && let Some(arn) = keep
            && let Some(i) = self.visible().iter().position(|x| x.arn == arn)
        {
            self.selected = i;
        }
        self.clamp();
    }

    pub fn handle(&mut self, msg: Msg) -> Vec<StatusEffect> {
        match msg {
            Msg::Resize(w, h) => {
                self.size = (w, h);
                vec![]
            }
            Msg::Tick => {
                self.spinner = (self.spinner + 1) % SPINNER.len();
                vec![]
            }
            Msg::Alerts(list) => {
                for (arn, a) in list {
                    if let Some(k) = self.report.keys.iter_mut().find(|k| k.arn == arn) {
                        k.alerts = Some(a);
                    }
                }
                vec![]
            }
            Msg::AlertsPlanned(Ok(plan)) => {
                if matches!(self.mode, Mode::Planning) {
                    self.mode = Mode::ConfirmAlerts { plan, scroll: 0 };
                }
                vec![]
            }
            Msg::AlertsPlanned(Err(e)) => {
                self.mode = Mode::Error(e);
                vec![]
            }
            Msg::Loaded(r) => {
                self.report = *r;
                self.regions_done = self.report.regions.len();
                self.loading = false;
                self.clamp();
                vec![]
            }
            Msg::Discovery(e) => {
                match e {
                    StatusEvent::Key(k) => self.insert(*k),
                    StatusEvent::Done => {
                        self.loading = false;
                        self.report.finish();
                    }
                    StatusEvent::RegionListed { .. } | StatusEvent::RegionFailed { .. } => {
                        self.regions_done += 1;
                        self.report.apply(e);
                        self.report.finish();
                    }
                    other => {
                        self.report.apply(other);
                        self.report.finish();
                    }
                }
                vec![]
            }
            Msg::Planned(Ok(plan)) => {
                if matches!(self.mode, Mode::Planning) {
                    let deletion = plan.changes.iter().any(|c| c.call == "ScheduleKeyDeletion");
                    self.mode = Mode::Confirm {
                        plan: Box::new(plan),
                        typed: deletion.then(Input::default),
                        scroll: 0,
                    };
                }
                vec![]
            }
            Msg::Planned(Err(e)) => {
                self.mode = Mode::Error(e);
                vec![]
            }
            Msg::Applied(results) => {
                let arns: Vec<String> = results
                    .iter()
                    .filter_map(|r| r.change.split_whitespace().nth(1).map(str::to_string))
                    .collect();
                let keys: Vec<String> = self
                    .report
                    .keys
                    .iter()
                    .filter(|k| arns.contains(&k.key_id))
                    .map(|k| k.arn.clone())
                    .collect();
                let no_trail = |r: &ChangeResult| r.change.starts_with("NO TRAIL");
                let failed = results.iter().any(|r| !r.ok && !no_trail(r));
                self.mode = Mode::Result {
                    title: if failed {
                        "AWS refused a change".into()
                    } else if results.iter().any(no_trail) {
                        "Done, but no trail: the alerts would never fire".into()
                    } else {
                        "Done".into()
                    },
                    results,
                };
                if keys.is_empty() {
                    vec![]
                } else {
                    vec![StatusEffect::Reload(keys)]
                }
            }
            Msg::Reloaded(keys) => {
                for k in keys {
                    let found_by = self
                        .report
                        .keys
                        .iter()
                        .find(|x| x.arn == k.arn)
                        .map(|x| x.found_by.clone());
                    let mut k = k;
                    if let Some(f) = found_by {
                        k.found_by = f;
                    }
                    self.insert(k);
                }
                vec![]
            }
            Msg::Paste(text) => {
                let input = match &mut self.mode {
                    Mode::Filter => Some(&mut self.filter),
                    Mode::Days { input, .. } => Some(input),
                    Mode::Email { input, .. } => Some(input),
                    Mode::Confirm { typed: Some(t), .. } => Some(t),
                    _ => None,
                };
                if let Some(input) = input {
                    for c in crate::sanitize::strip(&text).trim().chars() {
                        input.handle(tui_input::InputRequest::InsertChar(c));
                    }
                }
                vec![]
            }
            Msg::Key(k) if k.kind == KeyEventKind::Release => vec![],
            Msg::Key(k) => self.key(k),
        }
    }

    fn key(&mut self, k: KeyEvent) -> Vec<StatusEffect> {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            self.quit = true;
            return vec![StatusEffect::Quit];
        }
        let aliases = self
            .current()
            .map(|c| c.aliases.clone())
            .unwrap_or_default();
        match &mut self.mode {
            Mode::List => self.key_list(k),
            Mode::Filter => {
                match k.code {
                    KeyCode::Enter | KeyCode::Esc => {
                        if k.code == KeyCode::Esc {
                            self.filter = Input::default();
                        }
                        self.mode = Mode::List;
                    }
                    _ => {
                        if let Some(r) = to_input_request(&CtEvent::Key(k)) {
                            self.filter.handle(r);
                        }
                        self.selected = 0;
                    }
                }
                vec![]
            }
            Mode::Menu { index } => match k.code {
                KeyCode::Esc | KeyCode::Char('q') => {
                    self.mode = Mode::List;
                    vec![]
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    *index = index.checked_sub(1).unwrap_or(MENU.len() - 1);
                    vec![]
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    *index = (*index + 1) % MENU.len();
                    vec![]
                }
                KeyCode::Enter => {
                    let i = *index;
                    self.choose(i)
                }
                KeyCode::Char(c) => match MENU.iter().position(|(h, _)| h.starts_with(c)) {
                    Some(i) => self.choose(i),
                    None => vec![],
                },
                _ => vec![],
            },
            Mode::Days {
                deletion,
                input,
                error,
            } => match k.code {
                KeyCode::Esc => {
                    self.mode = Mode::List;
                    vec![]
                }
                KeyCode::Enter => {
                    let deletion = *deletion;
                    let v = input.value().trim().to_string();
                    let action = match v.parse::<u32>() {
                        Ok(days) if deletion => Action::ScheduleDeletion { days },
                        Ok(days) => Action::EnableRotation { days },
                        Err(_) => {
                            *error = Some(format!("{v:?} is not a number of days"));
                            return vec![];
                        }
                    };
                    if let Err(e) = action.check() {
                        *error = Some(e.split(": ").last().unwrap_or(&e).to_string());
                        return vec![];
                    }
                    self.plan(action)
                }
                _ => {
                    *error = None;
                    if let Some(r) = to_input_request(&CtEvent::Key(k)) {
                        input.handle(r);
                    }
                    vec![]
                }
            },
            Mode::Email { input, error } => match k.code {
                KeyCode::Esc => {
                    self.mode = Mode::List;
                    vec![]
                }
                KeyCode::Enter => {
                    let v = input.value().trim().to_string();
                    if let Err(e) = crate::alerts::check_email(&v) {
                        *error = Some(e.split(": ").skip(1).collect::<Vec<_>>().join(": "));
                        return vec![];
                    }
                    match self.current() {
                        Some(k) => {
                            let key = Box::new(k.clone());
                            self.mode = Mode::Planning;
                            vec![StatusEffect::PlanAlerts { key, email: v }]
                        }
                        None => {
                            self.mode = Mode::List;
                            vec![]
                        }
                    }
                }
                _ => {
                    *error = None;
                    if let Some(r) = to_input_request(&CtEvent::Key(k)) {
                        input.handle(r);
                    }
                    vec![]
                }
            },
            Mode::ConfirmAlerts { plan, scroll } => match k.code {
                KeyCode::Up => {
                    *scroll = scroll.saturating_sub(1);
                    vec![]
                }
                KeyCode::Down => {
                    *scroll = scroll.saturating_add(1);
                    vec![]
                }
                KeyCode::Char('y') | KeyCode::Enter if !plan.changes.is_empty() => {
                    if let Mode::ConfirmAlerts { plan, .. } =
                        std::mem::replace(&mut self.mode, Mode::Applying)
                    {
                        return vec![StatusEffect::ApplyAlerts(plan)];
                    }
                    vec![]
                }
                _ => {
                    self.mode = Mode::List;
                    vec![]
                }
            },
            Mode::Planning | Mode::Applying => vec![],
            Mode::Confirm {
                plan,
                typed,
                scroll,
            } => match (k.code, typed.as_mut()) {
                (KeyCode::Esc, _) => {
                    self.mode = Mode::List;
                    vec![]
                }
                (KeyCode::Up, _) => {
                    *scroll = scroll.saturating_sub(1);
                    vec![]
                }
                (KeyCode::Down, _) => {
                    *scroll = scroll.saturating_add(1);
                    vec![]
                }
                (KeyCode::Enter, Some(t)) => {
                    let ok = alias_typed(&aliases, t.value());
                    if ok
                        && let Mode::Confirm { plan, .. } =
                            std::mem::replace(&mut self.mode, Mode::Applying)
                    {
                        return vec![StatusEffect::Apply(plan)];
                    }
                    vec![]
                }
                (_, Some(t)) => {
                    if let Some(r) = to_input_request(&CtEvent::Key(k)) {
                        t.handle(r);
                    }
                    vec![]
                }
                (KeyCode::Char('y') | KeyCode::Enter, None) => {
                    if plan.changes.is_empty() {
                        self.mode = Mode::List;
                        return vec![];
                    }
                    if let Mode::Confirm { plan, .. } =
                        std::mem::replace(&mut self.mode, Mode::Applying)
                    {
                        return vec![StatusEffect::Apply(plan)];
                    }
                    vec![]
                }
                (KeyCode::Char('n') | KeyCode::Char('q'), None) => {
                    self.mode = Mode::List;
                    vec![]
                }
                _ => vec![],
            },
            Mode::Result { .. } | Mode::Error(_) => {
                self.mode = Mode::List;
                vec![]
            }
        }
    }

    fn key_list(&mut self, k: KeyEvent) -> Vec<StatusEffect> {
        let n = self.visible().len();
        let page = usize::from(self.size.1.saturating_sub(6)).max(1);
        self.moved = true;
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc => {
                self.quit = true;
                return vec![StatusEffect::Quit];
            }
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(n.saturating_sub(1))
            }
            KeyCode::PageUp => self.selected = self.selected.saturating_sub(page),
            KeyCode::PageDown => self.selected = (self.selected + page).min(n.saturating_sub(1)),
            KeyCode::Home | KeyCode::Char('g') => self.selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.selected = n.saturating_sub(1),
            KeyCode::Char('/') => self.mode = Mode::Filter,
            KeyCode::Char('a') | KeyCode::Enter if n > 0 => {
                self.mode = Mode::Menu { index: 0 };
            }
            KeyCode::Char('f') => {
                if let Some(a) = self.current().and_then(status::suggested_action) {
                    return self.plan(a);
                }
            }
            KeyCode::Char('r') if !self.loading => {
                self.report = StatusReport::empty();
                self.regions_done = 0;
                self.selected = 0;
                return self.start();
            }
            _ => {}
        }
        vec![]
    }

    fn choose(&mut self, i: usize) -> Vec<StatusEffect> {
        let action = match MENU[i].0 {
            "e" => Action::Enable,
            "d" => Action::Disable,
            "o" => {
                let current = self
                    .current()
                    .and_then(|k| k.rotation.as_ref())
                    .and_then(|r| r.period_days)
                    .unwrap_or(365);
                self.mode = Mode::Days {
                    deletion: false,
                    input: Input::new(current.to_string()),
                    error: None,
                };
                return vec![];
            }
            "x" => Action::DisableRotation,
            "n" => Action::RotateNow,
            "s" => {
                self.mode = Mode::Days {
                    deletion: true,
                    input: Input::new("30".into()),
                    error: None,
                };
                return vec![];
            }
            "c" => Action::CancelDeletion,
            "p" => Action::RepairPolicy,
            "v" => Action::RevokeAccess,
            "m" => {
                if let Some(k) = self.current()
                    && self.foreign(k)
                {
                    self.mode = Mode::Error(format!(
                        "{} is in account {}, read through a role for status only. Set its alerts up there: byok --profile PROFILE status --key {} --alerts-email ADDRESS",
                        k.name(),
                        k.account,
                        k.arn
                    ));
                    return vec![];
                }
                self.mode = Mode::Email {
                    input: Input::default(),
                    error: None,
                };
                return vec![];
            }
            _ => Action::RestoreAccess,
        };
        self.plan(action)
    }

    /// With `--accounts`, the account read with the caller's own credentials: actions are
    /// sent only there.
    fn foreign(&self, k: &KeyStatus) -> bool {
        !self.report.accounts.is_empty()
            && !self
                .report
                .accounts
                .iter()
                .any(|a| a.access == "caller" && a.account == k.account)
    }

    fn plan(&mut self, action: Action) -> Vec<StatusEffect> {
        match self.current() {
            Some(k) if self.foreign(k) => {
                self.mode = Mode::Error(format!(
                    "{} is in account {}, read through a role for status only. Act on it there: byok --profile PROFILE status --key {} {}",
                    k.name(),
                    k.account,
                    k.arn,
                    status::action_flag(&action)
                ));
                vec![]
            }
            Some(k) => {
                let key = Box::new(k.clone());
                self.mode = Mode::Planning;
                vec![StatusEffect::Plan { key, action }]
            }
            None => {
                self.mode = Mode::List;
                vec![]
            }
        }
    }

    /// The key hints of the current mode, from its bindings.
    pub fn hints(&self) -> Vec<(&'static str, &'static str)> {
        // What leaving does: `byok status` ends; over the wizard, the wizard comes back.
        let leave = if self.embedded { "back" } else { "quit" };
        match &self.mode {
            Mode::List => {
                let mut h = vec![("↑↓", "select"), ("/", "filter"), ("a", "actions")];
                if self.current().and_then(status::suggested_action).is_some() {
                    h.push(("f", "fix"));
                }
                h.push(("r", "reload"));
                h.push(("q", leave));
                h
            }
            Mode::Filter => vec![("Enter", "keep filter"), ("Esc", "clear")],
            Mode::Menu { .. } => vec![("↑↓", "choose"), ("Enter", "plan it"), ("Esc", "back")],
            Mode::Days { .. } | Mode::Email { .. } => vec![("Enter", "plan it"), ("Esc", "back")],
            Mode::ConfirmAlerts { plan, .. } if plan.changes.is_empty() => {
                vec![("any key", "back to the list")]
            }
            Mode::ConfirmAlerts { .. } => {
                vec![("y", "set them up"), ("n/Esc", "cancel"), ("↑↓", "scroll")]
            }
            Mode::Confirm { typed: Some(_), .. } => {
                vec![
                    ("type the alias", ""),
                    ("Enter", "delete"),
                    ("Esc", "cancel"),
                ]
            }
            Mode::Confirm { .. } => vec![("y", "apply"), ("n/Esc", "cancel"), ("↑↓", "scroll")],
            Mode::Planning | Mode::Applying => vec![("Ctrl-C", leave)],
            Mode::Result { .. } | Mode::Error(_) => vec![("any key", "back to the list")],
        }
    }

    /// The exit status: as `byok status --output json` would give for what is shown.
    pub fn exit_code(&self) -> i32 {
        if self.report.nothing_read() {
            return 6;
        }
        match self.report.overall() {
            Health::Ok => 0,
            Health::NeedsAttention => 1,
            Health::Broken => 5,
        }
    }
}

fn alias_typed(aliases: &[String], typed: &str) -> bool {
    let t = typed.trim();
    if t.is_empty() {
        return false;
    }
    let t = if t.starts_with("alias/") {
        t.to_string()
    } else {
        format!("alias/{t}")
    };
    aliases.contains(&t)
}

// ---------------------------------------------------------------------------------------
// Rendering

fn health_style(t: &Theme, h: Health) -> Style {
    match h {
        Health::Ok => t.ok(),
        Health::NeedsAttention => t.focus(),
        Health::Broken => t.error(),
    }
}

fn short_date(d: Option<&str>) -> String {
    d.map(|d| d.get(..10).unwrap_or(d).to_string())
        .unwrap_or_else(|| "—".into())
}

impl Widget for &StatusScreen {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = Theme { mono: self.mono };
        let [header, body, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(area);

        // Header: what is loaded and the overall health.
        let s = &self.report.summary;
        let total = self.report.keys.len();
        let mut head = vec![Span::styled(" byok status ", t.title())];
        if self.demo {
            head.push(Span::styled(" DEMO ", t.badge()));
            head.push(Span::raw(" "));
        }
        let loading = if self.loading {
            format!(
                "{} loading {}/{} Regions · ",
                SPINNER[self.spinner],
                self.regions_done,
                self.report.regions.len()
            )
        } else {
            String::new()
        };
        head.push(Span::styled(
            format!(
                "{loading}{total} key{}  ",
                if total == 1 { "" } else { "s" }
            ),
            t.dim(),
        ));
        head.push(Span::styled(format!("✓ {} ", s.ok), t.ok()));
        head.push(Span::styled(format!("! {} ", s.needs_attention), t.focus()));
        head.push(Span::styled(format!("✗ {}", s.broken), t.error()));
        let mut failed: Vec<&str> = self
            .report
            .regions
            .iter()
            .filter(|r| r.error.is_some())
            .map(|r| r.region.as_str())
            .collect();
        failed.dedup();
        failed.extend(
            self.report
                .accounts
                .iter()
                .filter(|a| a.error.is_some())
                .map(|a| a.account.as_str()),
        );
        if !failed.is_empty() {
            head.push(Span::styled(
                format!("  ! not readable: {}", failed.join(", ")),
                t.error(),
            ));
        }
        Paragraph::new(Line::from(head)).render(header, buf);

        // Body: the list, and the selected key's details beside (or below, when narrow).
        let list_w = if body.width >= 100 { 46 } else { 36 };
        let [list_area, detail_area] =
            Layout::horizontal([Constraint::Length(list_w), Constraint::Min(20)]).areas(body);
        self.render_list(&t, list_area, buf);
        self.render_detail(&t, detail_area, buf);

        // Footer: the key hints.
        let mut spans = Vec::new();
        for (k, what) in self.hints() {
            spans.push(Span::styled(format!(" {k}"), t.key_hint()));
            if !what.is_empty() {
                spans.push(Span::styled(format!(" {what} "), t.dim()));
            }
        }
        if let Mode::Filter = self.mode {
            spans.push(Span::styled(
                format!("  filter: {}▏", self.filter.value()),
                t.input(),
            ));
        } else if !self.filter.value().is_empty() {
            spans.push(Span::styled(
                format!("  filter: {}", self.filter.value()),
                t.accent(),
            ));
        }
        Paragraph::new(Line::from(spans)).render(footer, buf);

        // Overlays.
        match &self.mode {
            Mode::Menu { index } => self.render_menu(&t, *index, body, buf),
            Mode::Days {
                deletion,
                input,
                error,
            } => {
                let title = if *deletion {
                    " Schedule deletion: waiting period "
                } else {
                    " Automatic rotation period "
                };
                let mut lines = vec![
                    Line::from(if *deletion {
                        "Days before the key is deleted (7 to 30):"
                    } else {
                        "Rotate every how many days (90 to 2560)?"
                    }),
                    Line::from(Span::styled(format!(" {} ", input.value()), t.input())),
                ];
                if let Some(e) = error {
                    lines.push(Line::from(Span::styled(format!("! {e}"), t.error())));
                }
                popup(&t, title, lines, body, 50, 6, 0, buf);
            }
            Mode::Planning => popup(
                &t,
                " Planning ",
                vec![Line::from(format!(
                    "{} reading the key(s) and preparing the changes…",
                    SPINNER[self.spinner]
                ))],
                body,
                60,
                3,
                0,
                buf,
            ),
            Mode::Applying => popup(
                &t,
                " Applying ",
                vec![Line::from(format!(
                    "{} sending the changes…",
                    SPINNER[self.spinner]
                ))],
                body,
                40,
                3,
                0,
                buf,
            ),
            Mode::Confirm {
                plan,
                typed,
                scroll,
            } => self.render_confirm(&t, plan, typed.as_ref(), *scroll, body, buf),
            Mode::Result { title, results } => {
                let mut lines: Vec<Line> = results
                    .iter()
                    .map(|r| match &r.error {
                        None => Line::from(Span::styled(format!("✓ {}", r.change), t.ok())),
                        Some(e) => {
                            Line::from(Span::styled(format!("✗ {}: {e}", r.change), t.error()))
                        }
                    })
                    .collect();
                if results.is_empty() {
                    lines.push(Line::from("Nothing was sent."));
                }
                popup(&t, &format!(" {title} "), lines, body, 100, 12, 0, buf);
            }
            Mode::Email { input, error } => {
                let mut lines = vec![
                    Line::from(
                        "Mail this address when someone disables the key, schedules its deletion, changes its policy or its alias:",
                    ),
                    Line::from(Span::styled(format!(" {} ", input.value()), t.input())),
                ];
                if let Some(e) = error {
                    lines.push(Line::from(Span::styled(format!("! {e}"), t.error())));
                }
                popup(&t, " Alerts ", lines, body, 70, 7, 0, buf);
            }
            Mode::ConfirmAlerts { plan, scroll } => {
                let mut lines: Vec<Line> = plan
                    .render_text()
                    .lines()
                    .map(|l| {
                        let style = if l.contains("NO TRAIL") {
                            t.error()
                        } else {
                            t.text()
                        };
                        Line::from(Span::styled(crate::sanitize::line(l).into_owned(), style))
                    })
                    .collect();
                if plan.changes.is_empty() {
                    lines.push(Line::from("Nothing to change: the alerts are set up."));
                }
                popup(&t, " Alerts: the plan ", lines, body, 110, 20, *scroll, buf);
            }
            Mode::Error(e) => popup(
                &t,
                " Cannot do that ",
                vec![Line::from(Span::styled(e.clone(), t.error()))],
                body,
                70,
                8,
                0,
                buf,
            ),
            Mode::List | Mode::Filter => {}
        }
    }
}

impl StatusScreen {
    fn render_list(&self, t: &Theme, area: Rect, buf: &mut Buffer) {
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(" Keys ", t.title()));
        let inner = block.inner(area);
        block.render(area, buf);
        let keys = self.visible();
        let rows = usize::from(inner.height);
        if keys.is_empty() {
            let msg = if self.loading {
                "Looking for keys…"
            } else if self.filter.value().is_empty() && self.embedded {
                "No byok keys found in your account's vendor Regions."
            } else if self.filter.value().is_empty() {
                "No byok keys found. Name a key with --key."
            } else {
                "No key matches the filter."
            };
            Paragraph::new(msg)
                .style(t.dim())
                .wrap(Wrap { trim: true })
                .render(inner, buf);
            return;
        }
        // With --accounts, each account's keys under a line with its summary.
        let mut order: Vec<Result<usize, &crate::org::AccountReport>> = Vec::new();
        if self.report.accounts.is_empty() {
            order.extend((0..keys.len()).map(Ok));
        } else {
            for a in &self.report.accounts {
                order.push(Err(a));
                order.extend(
                    keys.iter()
                        .enumerate()
                        .filter(|(_, k)| k.account == a.account)
                        .map(|(i, _)| Ok(i)),
                );
            }
        }
        // Scroll so the selection stays visible.
        let sel_row = order
            .iter()
            .position(|r| *r == Ok(self.selected))
            .unwrap_or(0);
        let top = sel_row.saturating_sub(rows.saturating_sub(1));
        let w = usize::from(inner.width);
        for (row, entry) in order.iter().skip(top).take(rows).enumerate() {
            let y = inner.y + row as u16;
            let i = match entry {
                Ok(i) => *i,
                Err(a) => {
                    let style = match (&a.error, a.summary.overall) {
                        (Some(_), _) => t.error(),
                        (None, Some(h)) => health_style(t, h),
                        _ => t.dim(),
                    };
                    let text: String = crate::sanitize::line(&crate::org::account_short(a))
                        .chars()
                        .take(w)
                        .collect();
                    buf.set_line(
                        inner.x,
                        y,
                        &Line::from(Span::styled(text, style)),
                        inner.width,
                    );
                    continue;
                }
            };
            let k = keys[i];
            let sel = i == self.selected;
            let region_w = 14.min(w.saturating_sub(6));
            let name_w = w.saturating_sub(4 + region_w + 1);
            let name = k.name().trim_start_matches("alias/");
            let name: String = if name.chars().count() > name_w {
                let mut s: String = name.chars().take(name_w.saturating_sub(1)).collect();
                s.push('…');
                s
            } else {
                name.to_string()
            };
            let line = Line::from(vec![
                Span::styled(if sel { "›" } else { " " }, t.focus()),
                Span::styled(format!("{} ", k.health.symbol()), health_style(t, k.health)),
                Span::styled(
                    format!("{name:<name_w$} "),
                    if sel { t.focus() } else { t.text() },
                ),
                Span::styled(format!("{:<region_w$}", k.region), t.dim()),
            ]);
            buf.set_line(inner.x, y, &line, inner.width);
        }
    }

    fn render_detail(&self, t: &Theme, area: Rect, buf: &mut Buffer) {
        let Some(k) = self.current() else {
            let block = Block::default().borders(Borders::ALL);
            let inner = block.inner(area);
            block.render(area, buf);
            let mut lines = vec![];
            for r in &self.report.regions {
                if let Some(e) = &r.error {
                    lines.push(Line::from(Span::styled(
                        format!("✗ {}: {}", r.region, e.explanation),
                        t.error(),
                    )));
                }
            }
            for e in &self.report.named_errors {
                lines.push(Line::from(Span::styled(format!("✗ {e}"), t.error())));
            }
            Paragraph::new(lines)
                .wrap(Wrap { trim: true })
                .render(inner, buf);
            return;
        };
        let title = format!(" {} ", k.name());
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(title, t.title()));
        let inner = block.inner(area);
        block.render(area, buf);
        let label = |s: &str| Span::styled(format!("{s:<10}"), t.dim());
        // A labelled value (and the ARN) wraps under itself, breaking after a space, '/' or
        // ':' when one is near, so a narrow pane keeps the label column and ARNs readable.
        let width = usize::from(inner.width);
        let hang = |spans: Vec<Span<'static>>, indent: usize| {
            super::view::wrap_spans(spans, width, indent)
                .into_iter()
                .map(Line::from)
        };
        let mut lines: Vec<Line> = Vec::new();
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {}", k.health.symbol(), k.health.label()),
                health_style(t, k.health),
            ),
            Span::styled(
                format!(
                    " · {} · {}",
                    k.vendor_name
                        .as_deref()
                        .or(k.vendor.as_deref())
                        .unwrap_or("vendor unknown"),
                    k.region
                ),
                t.text(),
            ),
        ]));
        // An ARN too long for the pane breaks after "key/": the key ID stays whole.
        match k.arn.split_once("key/") {
            Some((head, id)) if k.arn.chars().count() > width => {
                lines.extend(hang(vec![Span::styled(format!("{head}key/"), t.arn())], 0));
                lines.extend(hang(vec![Span::styled(id.to_string(), t.arn())], 0));
            }
            _ => lines.extend(hang(vec![Span::styled(k.arn.clone(), t.arn())], 0)),
        }
        let state = match &k.deletion_date {
            Some(d) => format!("{} · deletion on {}", k.state, short_date(Some(d))),
            None => k.state.clone(),
        };
        lines.extend(hang(
            vec![
                label("State"),
                Span::styled(state, if k.enabled { t.ok() } else { t.error() }),
                Span::styled(
                    format!(" · created {}", short_date(k.created.as_deref())),
                    t.dim(),
                ),
            ],
            10,
        ));
        if k.aliases.len() > 1 {
            lines.extend(hang(
                vec![label("Aliases"), Span::raw(k.aliases.join(", "))],
                10,
            ));
        }
        if let Some(m) = &k.multi_region {
            let mut s = format!("Multi-Region {}", m.role.to_lowercase());
            if m.role == "REPLICA" {
                s.push_str(&format!(" of {}", m.primary_region));
            }
            for r in &m.replicas {
                s.push_str(&format!(
                    " · replica {} {}",
                    r.region,
                    r.state.as_deref().unwrap_or("unreadable")
                ));
            }
            lines.extend(hang(vec![label("Regions"), Span::raw(s)], 10));
        }
        let rot = match &k.rotation {
            Some(r) if r.enabled => format!(
                "on{}{}",
                r.period_days
                    .map(|d| format!(" · every {d} days"))
                    .unwrap_or_default(),
                r.next_rotation
                    .as_deref()
                    .map(|d| format!(" · next {}", short_date(Some(d))))
                    .unwrap_or_default()
            ),
            Some(_) => "off".into(),
            None => "unknown".into(),
        };
        lines.extend(hang(vec![label("Rotation"), Span::raw(rot)], 10));
        if let Some(a) = &k.alerts {
            use crate::alerts::AlertState;
            let style = match a.state {
                AlertState::On => t.ok(),
                AlertState::Off => t.dim(),
                AlertState::NoTrail => t.error(),
                _ => t.focus(),
            };
            let mut v = vec![label("Alerts"), Span::styled(a.state.label(), style)];
            if !a.emails.is_empty() {
                v.push(Span::raw(format!(" · {}", a.emails.join(", "))));
            }
            if a.state != AlertState::On && a.state != AlertState::Off {
                v.push(Span::styled(format!(" · {}", a.detail), t.dim()));
            }
            lines.extend(hang(v, 10));
        }
        if !k.administrators.is_empty() {
            lines.extend(hang(
                vec![label("Admins"), Span::raw(k.administrators.join(", "))],
                10,
            ));
        }
        if let Some(p) = &k.policy {
            lines.extend(hang(
                vec![
                    label("Vendor"),
                    Span::raw(
                        p.vendor_principal
                            .clone()
                            .unwrap_or_else(|| "unknown: give it with --principal".into()),
                    ),
                ],
                10,
            ));
            let (text, style) = if p.missing.is_empty() {
                ("has every action it needs".to_string(), t.ok())
            } else {
                (format!("missing {}", p.missing.join(", ")), t.error())
            };
            let mut spans = vec![label("Policy"), Span::styled(text, style)];
            if !p.extra.is_empty() {
                spans.push(Span::styled(
                    format!(" · extra {}", p.extra.join(", ")),
                    t.focus(),
                ));
            }
            spans.push(Span::styled(
                if p.root_statement {
                    " · root statement ✓"
                } else {
                    " · NO root statement"
                },
                if p.root_statement { t.dim() } else { t.error() },
            ));
            lines.extend(hang(spans, 10));
        }
        lines.push(Line::from(""));
        if !k.meaning.is_empty() {
            lines.push(Line::from(vec![
                Span::styled("For the vendor: ", t.title()),
                Span::raw(k.meaning.clone()),
            ]));
        }
        if !k.recovery.is_empty() {
            let mut spans = vec![
                Span::styled("Fix: ", t.title()),
                Span::raw(k.recovery.clone()),
            ];
            if status::suggested_action(k).is_some() {
                spans.push(Span::styled("  [f]", t.key_hint()));
            }
            lines.push(Line::from(spans));
        }
        for f in &k.findings {
            lines.push(Line::from(Span::styled(
                format!("{} {}", f.severity.symbol(), f.what),
                health_style(t, f.severity),
            )));
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }

    fn render_menu(&self, t: &Theme, index: usize, area: Rect, buf: &mut Buffer) {
        let name = self
            .current()
            .map(|k| k.name().to_string())
            .unwrap_or_default();
        let lines: Vec<Line> = MENU
            .iter()
            .enumerate()
            .map(|(i, (k, what))| {
                let sel = i == index;
                Line::from(vec![
                    Span::styled(if sel { "› " } else { "  " }, t.focus()),
                    Span::styled(format!("{k} "), t.key_hint()),
                    Span::styled(what.to_string(), if sel { t.focus() } else { t.text() }),
                ])
            })
            .collect();
        popup(
            t,
            &format!(" Act on {name} "),
            lines,
            area,
            46,
            MENU.len() as u16 + 2,
            0,
            buf,
        );
    }

    fn render_confirm(
        &self,
        t: &Theme,
        plan: &ActionPlan,
        typed: Option<&Input>,
        scroll: u16,
        area: Rect,
        buf: &mut Buffer,
    ) {
        let mut lines: Vec<Line> = Vec::new();
        if plan.changes.is_empty() {
            lines.push(Line::from("Nothing to change."));
        }
        for c in &plan.changes {
            let extra = match (c.days, &c.tags) {
                (Some(d), _) => format!(" ({d} days)"),
                (_, Some(tags)) => format!(
                    " ({})",
                    tags.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => String::new(),
            };
            lines.push(Line::from(vec![
                Span::styled("• ", t.accent()),
                Span::styled(c.call.clone(), t.title()),
                Span::raw(format!(" in {}{extra}", c.region)),
            ]));
            for d in &c.diff {
                let style = if d.starts_with('+') {
                    t.ok()
                } else if d.starts_with('-') {
                    t.error()
                } else {
                    t.dim()
                };
                lines.push(Line::from(Span::styled(format!("  {d}"), style)));
            }
            for l in &c.summary {
                lines.push(Line::from(Span::styled(format!("  {l}"), t.accent())));
            }
        }
        for n in &plan.notes {
            lines.push(Line::from(Span::styled(format!("Note: {n}"), t.accent())));
        }
        if !plan.consequence.is_empty() {
            lines.push(Line::from(vec![
                Span::styled("For the vendor: ", t.title()),
                Span::raw(plan.consequence.clone()),
            ]));
        }
        match typed {
            Some(input) => {
                lines.push(Line::from(Span::styled(
                    "Type the key's alias to confirm the deletion:",
                    t.error(),
                )));
                lines.push(Line::from(Span::styled(
                    format!(" {}▏", input.value()),
                    t.input(),
                )));
            }
            None if !plan.changes.is_empty() => lines.push(Line::from(Span::styled(
                "Apply these changes? y/n",
                t.focus(),
            ))),
            None => {}
        }
        let h = area.height;
        popup(
            t,
            &format!(" {} · {} ", plan.title, plan.target),
            lines,
            area,
            area.width,
            h,
            scroll,
            buf,
        );
    }
}

/// A bordered box centred in `area`, at most `w` x `h`.
#[allow(clippy::too_many_arguments)]
fn popup(
    t: &Theme,
    title: &str,
    lines: Vec<Line>,
    area: Rect,
    w: u16,
    h: u16,
    scroll: u16,
    buf: &mut Buffer,
) {
    let w = w.min(area.width);
    let h = h.min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    Clear.render(r, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title.to_string(), t.title()));
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .render(r, buf);
}

// ---------------------------------------------------------------------------------------
// Running it

/// Carry out an effect; results come back on `tx`.
pub fn spawn_effect(
    effect: StatusEffect,
    svc: &Backend,
    catalog: &Catalog,
    scope: &Scope,
    tx: &mpsc::UnboundedSender<Msg>,
) {
    let (svc, catalog, scope, tx) = (svc.clone(), catalog.clone(), scope.clone(), tx.clone());
    match effect {
        StatusEffect::Discover => {
            tokio::spawn(async move {
                let (etx, mut erx) = mpsc::unbounded_channel();
                let fwd = tx.clone();
                let forward = tokio::spawn(async move {
                    let mut keys = Vec::new();
                    while let Some(e) = erx.recv().await {
                        if let StatusEvent::Key(k) = &e {
                            keys.push((**k).clone());
                        }
                        let _ = fwd.send(Msg::Discovery(e));
                    }
                    keys
                });
                status::discover(&svc, &catalog, &scope, &etx).await;
                drop(etx);
                let keys = forward.await.unwrap_or_default();
                if let Backend::Aws(aws) = &svc {
                    let _ = tx.send(Msg::Alerts(alerts_of(aws, keys).await));
                }
            });
        }
        StatusEffect::PlanAlerts { key, email } => {
            tokio::spawn(async move {
                let r = match &svc {
                    Backend::Aws(aws) => plan_alerts(aws, &key, &email).await,
                    Backend::Sim(_) => Err("The demo has no EventBridge or SNS: set alerts up against AWS (byok status --key KEY --alerts-email ADDRESS).".into()),
                };
                let _ = tx.send(Msg::AlertsPlanned(r.map(Box::new)));
            });
        }
        StatusEffect::ApplyAlerts(plan) => {
            tokio::spawn(async move {
                let results = match &svc {
                    Backend::Aws(aws) => apply_alerts(aws, &plan).await,
                    Backend::Sim(_) => vec![],
                };
                let _ = tx.send(Msg::Applied(results));
                if let Backend::Aws(aws) = &svc {
                    let mut fresh = Vec::new();
                    for k in &plan.keys {
                        let r = crate::alerts::read_region(aws, &k.region).await;
                        fresh.push((
                            k.arn.clone(),
                            crate::alerts::status_of(&r, &k.region, &k.key_id),
                        ));
                    }
                    let _ = tx.send(Msg::Alerts(fresh));
                }
            });
        }
        StatusEffect::Plan { key, action } => {
            tokio::spawn(async move {
                let p =
                    status::plan_action(&svc, &catalog, &key, &action, scope.principal.as_deref())
                        .await;
                let _ = tx.send(Msg::Planned(p));
            });
        }
        StatusEffect::Apply(plan) => {
            tokio::spawn(async move {
                let r = status::apply(&svc, &plan).await;
                let _ = tx.send(Msg::Applied(r));
            });
        }
        StatusEffect::Reload(arns) => {
            tokio::spawn(async move {
                let s = Scope {
                    keys: arns,
                    named_only: true,
                    ..scope
                };
                let mut r = status::collect(&svc, &catalog, &s).await;
                if let Backend::Aws(aws) = &svc {
                    crate::alerts::annotate(aws, &mut r).await;
                }
                let _ = tx.send(Msg::Reloaded(r.keys));
            });
        }
        StatusEffect::Quit => {}
    }
}

/// The alerts of keys just discovered, read per Region.
async fn alerts_of(
    aws: &crate::kms::aws::AwsKms,
    keys: Vec<KeyStatus>,
) -> Vec<(String, crate::alerts::AlertsStatus)> {
    let mut r = StatusReport::empty();
    r.keys = keys;
    crate::alerts::annotate(aws, &mut r).await;
    r.keys
        .into_iter()
        .filter_map(|k| k.alerts.map(|a| (k.arn, a)))
        .collect()
}

/// The alerts' plan for a key and the rest of its Multi-Region set.
async fn plan_alerts(
    aws: &crate::kms::aws::AwsKms,
    key: &KeyStatus,
    email: &str,
) -> Result<crate::alerts::AlertPlan, String> {
    use crate::kms::KeyService;
    let me = aws.identity().await.map_err(|e| e.explain(None, ""))?;
    let partition = crate::arn::Arn::parse(&me.arn)
        .map(|a| a.partition)
        .unwrap_or_else(|_| "aws".into());
    let mut keys = Vec::new();
    for (region, key_id) in status::key_set(key) {
        let aliases = aws
            .list_aliases(&region)
            .await
            .map_err(|e| e.explain(None, ""))?;
        let mut names: Vec<String> = aliases
            .into_iter()
            .filter(|a| a.target_key_id.as_deref() == Some(key_id.as_str()))
            .map(|a| a.name)
            .collect();
        names.sort();
        let arn = if region == key.region {
            key.arn.clone()
        } else {
            format!("arn:{partition}:kms:{region}:{}:key/{key_id}", key.account)
        };
        keys.push(crate::alerts::AlertKey {
            region,
            arn,
            key_id,
            aliases: names,
        });
    }
    crate::alerts::plan(aws, &me.account, &partition, &keys, email)
        .await
        .map_err(|e| e.explain(None, ""))
}

/// Set the alerts up, journalled; the results as the other actions' are.
async fn apply_alerts(
    aws: &crate::kms::aws::AwsKms,
    plan: &crate::alerts::AlertPlan,
) -> Vec<ChangeResult> {
    use crate::kms::KeyService;
    let fail = |m: String| {
        vec![ChangeResult {
            change: "set the alerts up".into(),
            ok: false,
            error: Some(m),
        }]
    };
    let me = match aws.identity().await {
        Ok(me) => me,
        Err(e) => return fail(e.explain(None, "")),
    };
    let partition = crate::arn::Arn::parse(&me.arn)
        .map(|a| a.partition)
        .unwrap_or_else(|_| "aws".into());
    let journal = match crate::journal::Journal::open(&crate::journal::state_dir()) {
        Ok(j) => j,
        Err(e) => return fail(format!("the journal cannot be written: {e}")),
    };
    let mut out: Vec<ChangeResult> =
        crate::alerts::apply(aws, &me.account, &partition, plan, &journal)
            .await
            .into_iter()
            .map(|r| ChangeResult {
                change: r.change,
                ok: r.ok,
                error: r.error,
            })
            .collect();
    if out.iter().all(|r| r.ok) && plan.changes.iter().any(|c| c.call == "sns:Subscribe") {
        out.push(ChangeResult {
            change: format!(
                "AWS mailed {} a confirmation link: no alert is sent until it is confirmed",
                plan.email
            ),
            ok: true,
            error: None,
        });
    }
    for (region, ok, note) in &plan.trails {
        if !ok {
            out.push(ChangeResult {
                change: format!("NO TRAIL in {region}: {note}: these alerts would never fire"),
                ok: false,
                error: Some("create a CloudTrail trail that logs management events".into()),
            });
        }
    }
    out
}

/// Run the status screen on the terminal (drawn on stderr); restores the terminal on every
/// path. Returns the exit status of what was shown last (0 only when every key is OK).
pub async fn run(svc: Backend, catalog: Catalog, scope: Scope, mono: bool) -> i32 {
    run_with(svc, catalog, scope, mono, None).await
}

/// `byok status --accounts ...` on the terminal: every account is read (and read again with
/// `r`) through [`crate::org::collect`]; actions go to the caller's own account only.
pub struct OrgView {
    pub aws: crate::kms::aws::AwsKms,
    pub accounts: crate::org::Accounts,
    pub role_name: String,
    pub external_id: Option<String>,
}

fn spawn_org(
    org: &std::sync::Arc<OrgView>,
    catalog: &Catalog,
    scope: &Scope,
    tx: &mpsc::UnboundedSender<Msg>,
) {
    let (org, catalog, scope, tx) = (org.clone(), catalog.clone(), scope.clone(), tx.clone());
    tokio::spawn(async move {
        let r = crate::org::collect(
            &org.aws,
            &catalog,
            &scope,
            &org.accounts,
            &org.role_name,
            org.external_id.as_deref(),
        )
        .await;
        let report = match r {
            Ok(r) => r,
            Err(crate::org::OrgError::Identity(e) | crate::org::OrgError::ListAccounts(e)) => {
                let mut r = StatusReport::empty();
                r.named_errors.push(format!(
                    "the accounts could not be read: {}",
                    e.explain(None, "")
                ));
                r
            }
        };
        let _ = tx.send(Msg::Loaded(Box::new(report)));
    });
}

pub async fn run_with(
    svc: Backend,
    catalog: Catalog,
    scope: Scope,
    mono: bool,
    org: Option<OrgView>,
) -> i32 {
    let org = org.map(std::sync::Arc::new);
    let demo = svc.is_demo();
    let mut screen = StatusScreen::new(mono, demo);
    let term = match super::terminal::Term::enter() {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "error: cannot start the status screen on this terminal ({e}). Use `byok status --output json` or `--output text`."
            );
            return crate::exec::exit::INVALID_INPUT;
        }
    };
    // `Term` owns raw mode, the alternate screen and the panic hook; this draws the screen.
    let mut terminal =
        match ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stderr())) {
            Ok(t) => t,
            Err(e) => {
                drop(term);
                eprintln!("error: cannot draw on this terminal ({e})");
                return crate::exec::exit::INVALID_INPUT;
            }
        };
    if let Ok(size) = terminal.size() {
        screen.handle(Msg::Resize(size.width, size.height));
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let spawn = |e: StatusEffect, tx: &mpsc::UnboundedSender<Msg>| match (&org, e) {
        (Some(o), StatusEffect::Discover) => spawn_org(o, &catalog, &scope, tx),
        (_, e) => spawn_effect(e, &svc, &catalog, &scope, tx),
    };
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sigterm =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    // The first frame before any read goes on the network.
    let _ = terminal.draw(|f| f.render_widget(&screen, f.area()));
    for e in screen.start() {
        spawn(e, &tx);
    }
    loop {
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(CtEvent::Key(k))) => Msg::Key(k),
                Some(Ok(CtEvent::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(CtEvent::Paste(text))) => Msg::Paste(text),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => break,
            },
            Some(m) = rx.recv() => m,
            _ = tick.tick(), if screen.is_spinning() => Msg::Tick,
            Some(_) = async { match sigterm.as_mut() { Some(s) => s.recv().await, None => std::future::pending().await } } => break,
        };
        // Results that are already waiting (a burst of loaded keys) are drawn once.
        let mut batch = vec![msg];
        while batch.len() < 512
            && let Ok(m) = rx.try_recv()
        {
            batch.push(m);
        }
        for m in batch {
            for e in screen.handle(m) {
                spawn(e, &tx);
            }
        }
        if screen.quit {
            break;
        }
        let _ = terminal.draw(|f| f.render_widget(&screen, f.area()));
    }
    drop(terminal);
    drop(term);
    let code = screen.exit_code();
    eprintln!(
        "{}",
        status::summary_line(&status::summarize(
            &screen.report.keys,
            &screen.report.regions
        ))
    );
    code
}
