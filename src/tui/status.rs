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

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent, KeyEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};
use tokio::sync::mpsc;
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

use crate::kms::Backend;
use crate::status::{
    self, Action, ActionPlan, ChangeResult, Health, KeyStatus, Scope, StatusEvent, StatusReport,
};
use crate::vendor::Catalog;

use super::Theme;
use super::binding::{self, Binding};

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
    /// Plan `action` on the key; answer with `Msg::Planned`. `principal`: the vendor
    /// principal typed on the screen, when nothing byok trusts names it.
    Plan {
        key: Box<KeyStatus>,
        action: Action,
        principal: Option<String>,
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

/// What a key does on the status screen (see [`StatusScreen::bindings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    /// Ctrl-C: leave (quit, or back to the wizard).
    Interrupt,
    /// q or Esc on the list.
    Leave,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Filter,
    KeepFilter,
    ClearFilter,
    Menu,
    Fix,
    Reload,
    /// Enter on the menu: the highlighted action.
    Choose,
    /// A menu entry's own key.
    Pick(char),
    /// Enter in a field.
    Submit,
    /// Back to the list, changing nothing.
    Back,
    ScrollUp,
    ScrollDown,
    Yes,
}

/// The menu's last entry, beside the actions of [`status::ACTIONS`]: alerts.
pub const ALERTS_ENTRY: (char, &str) = ('m', "Mail alerts when someone breaks it");

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
    /// Typing the vendor principal, which nothing byok trusts names, for `action`.
    Principal {
        action: Action,
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
    /// The vendor profiles, to check a vendor principal typed on the screen.
    pub catalog: Catalog,
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
            catalog: Catalog::built_in(),
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
        self.report.keys.iter().filter(|k| shown(k, &f)).collect()
    }

    pub fn current(&self) -> Option<&KeyStatus> {
        current_key(&self.report, &self.filter, self.selected)
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
                    Mode::Principal { input, .. } => Some(input),
                    Mode::Confirm { typed: Some(t), .. } => Some(t),
                    _ => None,
                };
                if let Some(input) = input {
                    // An ARN copied from JSON comes with its quotes and comma.
                    let clean = crate::sanitize::strip(&text);
                    let clean = clean
                        .trim()
                        .trim_matches(|c: char| matches!(c, '"' | '\'' | ','));
                    for c in clean.trim().chars() {
                        input.handle(tui_input::InputRequest::InsertChar(c));
                    }
                }
                vec![]
            }
            Msg::Key(k) if k.kind == KeyEventKind::Release => vec![],
            Msg::Key(k) => self.key(k),
        }
    }

    /// The screen's key table for its current mode: the footer shows it and `key`
    /// obeys it.
    pub fn bindings(&self) -> Vec<Binding<Cmd>> {
        use KeyCode as K;
        // What leaving does: `byok status` ends; over the wizard, the wizard comes back.
        let leave = if self.embedded { "back" } else { "quit" };
        let interrupt = |label: &str| Binding::new("Ctrl-C", label, Cmd::Interrupt).ctrl('c');
        let scroll = || {
            [
                Binding::new("↑↓", "scroll", Cmd::ScrollUp).key(K::Up),
                Binding::new("", "", Cmd::ScrollDown).key(K::Down),
            ]
        };
        let mut b = vec![interrupt("")];
        match &self.mode {
            Mode::List => {
                let n = self.visible().len();
                b.push(
                    Binding::new("↑↓", "select", Cmd::Up)
                        .key(K::Up)
                        .key(K::Char('k')),
                );
                b.push(
                    Binding::new("", "", Cmd::Down)
                        .key(K::Down)
                        .key(K::Char('j')),
                );
                b.push(Binding::new("", "", Cmd::PageUp).key(K::PageUp));
                b.push(Binding::new("", "", Cmd::PageDown).key(K::PageDown));
                b.push(
                    Binding::new("", "", Cmd::Home)
                        .key(K::Home)
                        .key(K::Char('g')),
                );
                b.push(Binding::new("", "", Cmd::End).key(K::End).key(K::Char('G')));
                b.push(Binding::new("/", "filter", Cmd::Filter).key(K::Char('/')));
                if n > 0 {
                    b.push(
                        Binding::new("a", "actions", Cmd::Menu)
                            .key(K::Char('a'))
                            .key(K::Enter),
                    );
                }
                if self.current().and_then(status::suggested_action).is_some() {
                    b.push(Binding::new("f", "fix", Cmd::Fix).key(K::Char('f')));
                }
                if !self.loading {
                    b.push(Binding::new("r", "reload", Cmd::Reload).key(K::Char('r')));
                }
                b.push(
                    Binding::new("q", leave, Cmd::Leave)
                        .key(K::Char('q'))
                        .key(K::Esc),
                );
            }
            Mode::Filter => {
                b.push(Binding::new("Enter", "keep filter", Cmd::KeepFilter).key(K::Enter));
                b.push(Binding::new("Esc", "clear", Cmd::ClearFilter).key(K::Esc));
            }
            Mode::Menu { .. } => {
                b.push(
                    Binding::new("↑↓", "choose", Cmd::Up)
                        .key(K::Up)
                        .key(K::Char('k')),
                );
                b.push(
                    Binding::new("", "", Cmd::Down)
                        .key(K::Down)
                        .key(K::Char('j')),
                );
                b.push(Binding::new("Enter", "plan it", Cmd::Choose).key(K::Enter));
                b.push(
                    Binding::new("Esc", "back", Cmd::Back)
                        .key(K::Esc)
                        .key(K::Char('q')),
                );
                for (c, _) in self.menu() {
                    b.push(Binding::new("", "", Cmd::Pick(c)).key(K::Char(c)));
                }
            }
            Mode::Days { .. } | Mode::Email { .. } | Mode::Principal { .. } => {
                b.push(Binding::new("Enter", "plan it", Cmd::Submit).key(K::Enter));
                b.push(Binding::new("Esc", "back", Cmd::Back).key(K::Esc));
            }
            Mode::ConfirmAlerts { plan, .. } if plan.changes.is_empty() => {
                b.push(Binding::new("any key", "back to the list", Cmd::Back));
            }
            Mode::ConfirmAlerts { .. } => {
                b.push(
                    Binding::new("y", "set them up", Cmd::Yes)
                        .key(K::Char('y'))
                        .key(K::Enter),
                );
                b.push(Binding::new("n/Esc", "cancel", Cmd::Back));
                b.extend(scroll());
            }
            Mode::Confirm { typed: Some(_), .. } => {
                b.push(
                    Binding::new("Enter", "delete (type the alias first)", Cmd::Submit)
                        .key(K::Enter),
                );
                b.push(Binding::new("Esc", "cancel", Cmd::Back).key(K::Esc));
                b.extend(scroll());
            }
            Mode::Confirm { plan, .. } => {
                if plan.changes.is_empty() {
                    b.push(
                        Binding::new("Enter", "back to the list", Cmd::Back)
                            .key(K::Enter)
                            .key(K::Char('y')),
                    );
                } else {
                    b.push(
                        Binding::new("y", "apply", Cmd::Yes)
                            .key(K::Char('y'))
                            .key(K::Enter),
                    );
                }
                b.push(
                    Binding::new("n/Esc", "cancel", Cmd::Back)
                        .key(K::Char('n'))
                        .key(K::Char('q'))
                        .key(K::Esc),
                );
                b.extend(scroll());
            }
            Mode::Planning | Mode::Applying => b[0] = interrupt(leave),
            Mode::Result { .. } | Mode::Error(_) => {
                b.push(Binding::new("any key", "back to the list", Cmd::Back));
            }
        }
        b
    }

    /// The key hints of the current mode: the labelled entries of [`Self::bindings`].
    pub fn hints(&self) -> Vec<(&'static str, String)> {
        binding::hints(&self.bindings())
    }

    fn key(&mut self, k: KeyEvent) -> Vec<StatusEffect> {
        match binding::find(&self.bindings(), &k) {
            Some(cmd) => self.run(cmd),
            None => self.unbound(k),
        }
    }

    /// A key no binding names: text for the field being typed; in a box that closes on any
    /// key, back to the list.
    fn unbound(&mut self, k: KeyEvent) -> Vec<StatusEffect> {
        let input = match &mut self.mode {
            Mode::Filter => {
                self.selected = 0;
                Some(&mut self.filter)
            }
            Mode::Days { input, error, .. }
            | Mode::Email { input, error }
            | Mode::Principal { input, error, .. } => {
                *error = None;
                Some(input)
            }
            Mode::Confirm { typed: Some(t), .. } => Some(t),
            Mode::ConfirmAlerts { .. } | Mode::Result { .. } | Mode::Error(_) => {
                self.mode = Mode::List;
                None
            }
            _ => None,
        };
        if let Some(input) = input
            && let Some(r) = to_input_request(&CtEvent::Key(k))
        {
            input.handle(r);
        }
        vec![]
    }

    fn run(&mut self, cmd: Cmd) -> Vec<StatusEffect> {
        let n = self.visible().len();
        let page = usize::from(self.size.1.saturating_sub(6)).max(1);
        let offered: Vec<char> = self.menu().iter().map(|(k, _)| *k).collect();
        let menu_len = offered.len().max(1);
        if matches!(self.mode, Mode::List) {
            self.moved = true;
        }
        match (cmd, &mut self.mode) {
            (Cmd::Interrupt | Cmd::Leave, _) => {
                self.quit = true;
                return vec![StatusEffect::Quit];
            }
            (Cmd::Up, Mode::Menu { index }) => {
                *index = index.checked_sub(1).unwrap_or(menu_len - 1)
            }
            (Cmd::Down, Mode::Menu { index }) => *index = (*index + 1) % menu_len,
            (Cmd::Up, _) => self.selected = self.selected.saturating_sub(1),
            (Cmd::Down, _) => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            (Cmd::PageUp, _) => self.selected = self.selected.saturating_sub(page),
            (Cmd::PageDown, _) => self.selected = (self.selected + page).min(n.saturating_sub(1)),
            (Cmd::Home, _) => self.selected = 0,
            (Cmd::End, _) => self.selected = n.saturating_sub(1),
            (Cmd::Filter, _) => self.mode = Mode::Filter,
            (Cmd::KeepFilter, _) => self.mode = Mode::List,
            (Cmd::ClearFilter, _) => {
                self.filter = Input::default();
                self.mode = Mode::List;
            }
            (Cmd::Menu, _) => self.mode = Mode::Menu { index: 0 },
            (Cmd::Fix, _) => {
                if let Some(a) = self.current().and_then(status::suggested_action) {
                    return self.plan(a);
                }
            }
            (Cmd::Reload, _) => {
                self.report = StatusReport::empty();
                self.regions_done = 0;
                self.selected = 0;
                return self.start();
            }
            (Cmd::Choose, Mode::Menu { index }) => {
                let i = *index;
                if let Some((c, _)) = self.menu().get(i).copied() {
                    return self.choose(c);
                }
            }
            (Cmd::Pick(c), _) if offered.contains(&c) => {
                return self.choose(c);
            }
            (Cmd::Submit, _) => return self.submit(),
            (Cmd::Back, _) => self.mode = Mode::List,
            (Cmd::ScrollUp, Mode::Confirm { scroll, .. } | Mode::ConfirmAlerts { scroll, .. }) => {
                *scroll = scroll.saturating_sub(1)
            }
            (
                Cmd::ScrollDown,
                Mode::Confirm { scroll, .. } | Mode::ConfirmAlerts { scroll, .. },
            ) => *scroll = scroll.saturating_add(1),
            (Cmd::Yes, Mode::ConfirmAlerts { .. }) => {
                if let Mode::ConfirmAlerts { plan, .. } =
                    std::mem::replace(&mut self.mode, Mode::Applying)
                {
                    return vec![StatusEffect::ApplyAlerts(plan)];
                }
            }
            (Cmd::Yes, Mode::Confirm { .. }) => {
                if let Mode::Confirm { plan, .. } =
                    std::mem::replace(&mut self.mode, Mode::Applying)
                {
                    return vec![StatusEffect::Apply(plan)];
                }
            }
            _ => {}
        }
        vec![]
    }

    /// Enter in a field: the days, the address, the principal, or the alias typed to
    /// confirm a deletion.
    fn submit(&mut self) -> Vec<StatusEffect> {
        let aliases = self
            .current()
            .map(|c| c.aliases.clone())
            .unwrap_or_default();
        let key = self.current().cloned();
        match &mut self.mode {
            Mode::Days {
                deletion,
                input,
                error,
            } => {
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
            Mode::Email { input, error } => {
                let v = input.value().trim().to_string();
                if let Err(e) = crate::alerts::check_email(&v) {
                    *error = Some(e.split(": ").skip(1).collect::<Vec<_>>().join(": "));
                    return vec![];
                }
                match key {
                    Some(k) => {
                        self.mode = Mode::Planning;
                        vec![StatusEffect::PlanAlerts {
                            key: Box::new(k),
                            email: v,
                        }]
                    }
                    None => {
                        self.mode = Mode::List;
                        vec![]
                    }
                }
            }
            Mode::Principal {
                action,
                input,
                error,
            } => {
                let action = action.clone();
                let typed = input.value().trim().to_string();
                let checked = match &key {
                    // What the vendor returned: one or more principals, or its statement,
                    // checked now and planned from the principals.
                    Some(k) if action == Action::Grant => k
                        .vendor
                        .as_deref()
                        .and_then(|v| self.catalog.get(v))
                        .ok_or_else(|| "byok does not know this key's vendor".to_string())
                        .and_then(|p| status::principals_from_paste(p, k, &typed))
                        .map(|ps| ps.join(" ")),
                    Some(k) => check_typed_principal(&self.catalog, k, &typed),
                    None => Err("no key is selected".into()),
                };
                match checked {
                    Ok(p) => self.plan_with(action, Some(p)),
                    Err(e) => {
                        *error = Some(e);
                        vec![]
                    }
                }
            }
            Mode::Confirm { typed: Some(t), .. } => {
                if alias_typed(&aliases, t.value())
                    && let Mode::Confirm { plan, .. } =
                        std::mem::replace(&mut self.mode, Mode::Applying)
                {
                    return vec![StatusEffect::Apply(plan)];
                }
                vec![]
            }
            _ => vec![],
        }
    }

    /// The menu's actions that apply to the selected key (and the alerts, always).
    pub fn menu(&self) -> Vec<(char, &'static str)> {
        menu_for(self.current())
    }

    fn choose(&mut self, key: char) -> Vec<StatusEffect> {
        if key == ALERTS_ENTRY.0 {
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
        let Some(spec) = status::ACTIONS.iter().find(|s| s.key == key) else {
            return vec![];
        };
        if spec.days.is_none() {
            return self.plan(spec.action(0));
        }
        // The days first: rotation starts from the key's period, deletion from 30.
        let deletion = matches!(spec.action(0), Action::ScheduleDeletion { .. });
        let days = if deletion {
            30
        } else {
            self.current()
                .and_then(|k| k.rotation.as_ref())
                .and_then(|r| r.period_days)
                .unwrap_or(365)
        };
        self.mode = Mode::Days {
            deletion,
            input: Input::new(days.to_string()),
            error: None,
        };
        vec![]
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
        if let Some(k) = self.current()
            && !self.foreign(k)
            && status::needs_principal(&action, k)
        {
            self.mode = Mode::Principal {
                action,
                input: Input::default(),
                error: None,
            };
            return vec![];
        }
        self.plan_with(action, None)
    }

    fn plan_with(&mut self, action: Action, principal: Option<String>) -> Vec<StatusEffect> {
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
                vec![StatusEffect::Plan {
                    key,
                    action,
                    principal,
                }]
            }
            None => {
                self.mode = Mode::List;
                vec![]
            }
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

/// The selected key, from the parts of the screen (for use while `mode` is borrowed).
fn current_key<'r>(
    report: &'r StatusReport,
    filter: &Input,
    selected: usize,
) -> Option<&'r KeyStatus> {
    let f = filter.value().trim().to_ascii_lowercase();
    report.keys.iter().filter(|k| shown(k, &f)).nth(selected)
}

/// Whether the filter (lower case) matches the key's alias, ARN, Region, vendor, state or
/// health.
fn shown(k: &KeyStatus, f: &str) -> bool {
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
        .any(|s| s.to_ascii_lowercase().contains(f))
}

/// The menu for a key: each action of [`status::ACTIONS`] that applies to it, then the
/// alerts.
fn menu_for(k: Option<&KeyStatus>) -> Vec<(char, &'static str)> {
    let Some(k) = k else {
        return vec![];
    };
    status::ACTIONS
        .iter()
        // The days do not change whether an action applies.
        .filter(|spec| status::applies(&spec.action(30), k).is_ok())
        .map(|spec| (spec.key, spec.menu))
        .chain([ALERTS_ENTRY])
        .collect()
}

/// A vendor principal typed on the screen, checked as the wizard checks it: the profile's
/// kind and refusals, the key's partition, and never the key's own account.
fn check_typed_principal(catalog: &Catalog, k: &KeyStatus, typed: &str) -> Result<String, String> {
    let profile = k
        .vendor
        .as_deref()
        .and_then(|v| catalog.get(v))
        .ok_or("byok does not know this key's vendor")?;
    status::check_given_principal(profile, k, typed)
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
        // As the wizard's: byok and what this screen is on the left; the account and the
        // DEMO badge on the right.
        let mut head = vec![
            Span::styled(" byok ", t.title()),
            Span::styled("· key status  ", t.dim()),
        ];
        let mut right = Vec::new();
        let mut accounts: Vec<&str> = self
            .report
            .keys
            .iter()
            .map(|k| k.account.as_str())
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        if !self.report.accounts.is_empty() {
            right.push(Span::styled(
                format!("{} accounts ", self.report.accounts.len()),
                t.dim(),
            ));
        } else if let [one] = accounts[..] {
            right.push(Span::styled(format!("account {one} "), t.dim()));
        }
        if self.demo {
            right.push(Span::styled(" DEMO ", t.badge()));
            right.push(Span::raw(" "));
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
        // What could not be read matters more than the account: the account gives way.
        let head_w: usize = head.iter().map(|s| s.width()).sum();
        if head_w + right.iter().map(|s| s.width()).sum::<usize>() > usize::from(header.width) {
            right.retain(|s| !s.content.starts_with("account") && !s.content.contains(" accounts"));
        }
        let right = Line::from(right);
        let w = (right.width() as u16).min(header.width);
        let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(w)]).areas(header);
        Paragraph::new(Line::from(head)).render(l, buf);
        right.render(r, buf);

        // Body: the list, and the selected key's details beside (or below, when narrow).
        let list_w = if body.width >= 100 { 46 } else { 36 };
        let [list_area, detail_area] =
            Layout::horizontal([Constraint::Length(list_w), Constraint::Min(20)]).areas(body);
        self.render_list(&t, list_area, buf);
        self.render_detail(&t, detail_area, buf);

        // Footer: the key hints.
        // As the wizard's: each key, its label, three spaces.
        let mut spans = vec![Span::raw(" ")];
        for (k, what) in self.hints() {
            spans.push(Span::styled(k, t.key_hint()));
            spans.push(Span::styled(
                if what.is_empty() {
                    "   ".to_string()
                } else {
                    format!(" {what}   ")
                },
                t.dim(),
            ));
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
            Mode::Principal {
                action,
                input,
                error,
            } => {
                let grant = *action == status::Action::Grant;
                let help = self
                    .current()
                    .and_then(|k| k.vendor.as_deref())
                    .and_then(|v| self.catalog.get(v))
                    .map(|p| crate::sanitize::line(&p.principal.help).into_owned())
                    .unwrap_or_default();
                let mut lines = vec![
                    Line::from(if grant {
                        "Paste what the vendor returned once the key ARN was registered with it: its principal ARN(s), separated by spaces, or the statement it returned."
                    } else {
                        "Nothing byok trusts names the vendor principal of this key (its policy, the other keys of its set, byok's journal on this machine, the vendor profile). Who is it?"
                    }),
                    Line::from(Span::styled(help, t.dim())),
                    Line::from(Span::styled(format!(" {}▏", input.value()), t.input())),
                ];
                if let Some(e) = error {
                    lines.push(Line::from(Span::styled(format!("! {e}"), t.error())));
                }
                popup(&t, " The vendor principal ", lines, body, 80, 13, 0, buf);
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
            .border_type(BorderType::Rounded)
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
            let block = Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Rounded);
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
            .border_type(BorderType::Rounded)
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
            None => k.state.to_string(),
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
                            .unwrap_or_else(|| "unknown: nothing byok trusts names it".into()),
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
        let menu = self.menu();
        let lines: Vec<Line> = menu
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
            menu.len() as u16 + 2,
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
        let mut pinned = Vec::new();
        match typed {
            Some(input) => {
                pinned.push(Line::from(Span::styled(
                    "Type the key's alias to confirm the deletion:",
                    t.error(),
                )));
                pinned.push(Line::from(Span::styled(
                    format!(" {}▏", input.value()),
                    t.input(),
                )));
            }
            None if !plan.changes.is_empty() => pinned.push(Line::from(Span::styled(
                "Apply these changes? y/n",
                t.focus(),
            ))),
            None => {}
        }
        let h = area.height;
        popup_pinned(
            t,
            &format!(" {} · {} ", plan.title, plan.target),
            lines,
            pinned,
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
    popup_pinned(t, title, lines, vec![], area, w, h, scroll, buf);
}

/// [`popup`] with `pinned` lines kept at its bottom whatever the scroll (the question a
/// long plan ends with).
#[allow(clippy::too_many_arguments)]
fn popup_pinned(
    t: &Theme,
    title: &str,
    lines: Vec<Line>,
    pinned: Vec<Line>,
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
        .border_type(BorderType::Rounded)
        .title(Span::styled(title.to_string(), t.title()));
    let inner = block.inner(r);
    block.render(r, buf);
    let rows: usize = pinned
        .iter()
        .map(|l| l.width().max(1).div_ceil(usize::from(inner.width.max(1))))
        .sum();
    let pin_h = (rows as u16).min(inner.height / 2);
    let pin = Paragraph::new(pinned).wrap(Wrap { trim: false });
    let [body, bottom] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(pin_h)]).areas(inner);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .render(body, buf);
    pin.render(bottom, buf);
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
                        let r = crate::kms::alerts::read_region(aws, &k.region).await;
                        fresh.push((
                            k.arn.clone(),
                            crate::alerts::status_of(&r, &k.region, &k.key_id),
                        ));
                    }
                    let _ = tx.send(Msg::Alerts(fresh));
                }
            });
        }
        StatusEffect::Plan {
            key,
            action,
            principal,
        } => {
            tokio::spawn(async move {
                let hint = principal.as_deref().or(scope.principal.as_deref());
                let p = status::plan_action(&svc, &catalog, &key, &action, hint).await;
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
                    crate::status::annotate_alerts(aws, &mut r).await;
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
    crate::status::annotate_alerts(aws, &mut r).await;
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
    crate::kms::alerts::plan(aws, &me.account, &partition, &keys, email)
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
        crate::kms::alerts::apply(aws, &me.account, &partition, plan, &journal)
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

pub(super) fn spawn_org(
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
    // The wizard's event loop, terminal guard and signal handling, showing only this screen.
    super::run_status(svc, catalog, scope, mono, org.map(std::sync::Arc::new)).await
}
