//! The wizard's state machine: plain data, `handle(event) -> effects`, no terminal and no I/O.

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent, KeyEventKind};
use serde_json::Value;
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

use super::steps;
use super::steps::Phase;
use crate::answers::{self, Answers, Field, FieldError, Invocation, RawAnswers, Regionality};
use crate::error::KmsError;
use crate::exec::{ExecError, InFlight, KeyRecord, Outcome, Progress, RunReport};
use crate::export::{self, ExportFile, Format};
use crate::kms::IamPrincipal;
use crate::plan::{KeyRole, Plan, Step};
use crate::policy;
use crate::vendor::{Catalog, VendorProfile};

/// What a wizard starts from.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub catalog: Catalog,
    /// Answers given as flags: they pre-fill the steps.
    pub raw: RawAnswers,
    /// The simulated KMS: shows the DEMO badge.
    pub demo: bool,
    /// Monochrome theme (NO_COLOR, --no-color).
    pub mono: bool,
    /// The AWS profile, for login advice.
    pub profile: Option<String>,
    /// Where the journal records every ARN (none in demo mode).
    pub journal: Option<PathBuf>,
    /// Keys an earlier run made for a vendor that names its principal after registration:
    /// the first screen says where phase two is (the status screen's grant).
    pub waiting: Vec<crate::status::WaitingKey>,
    /// `--endpoint-url` and `--vendor-file`, for the `byok create` command a stopped run
    /// prints.
    pub endpoint_url: Option<String>,
    pub vendor_files: Vec<PathBuf>,
}

impl Ctx {
    /// The built-in vendors, no flags, colour, not demo.
    pub fn new(catalog: Catalog) -> Self {
        Ctx {
            catalog,
            raw: RawAnswers::default(),
            demo: false,
            mono: false,
            profile: None,
            journal: None,
            waiting: Vec::new(),
            endpoint_url: None,
            vendor_files: Vec::new(),
        }
    }

    /// How byok was started, for the command that finishes a setup.
    pub fn invocation(&self) -> Invocation {
        Invocation {
            demo: self.demo,
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            vendor_files: self.vendor_files.clone(),
        }
    }
}

/// The screens, in the order the wizard walks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Screen {
    Vendor,
    Region,
    KeyType,
    Names,
    Admins,
    Principal,
    Values,
    Regionality,
    Rotation,
    Review,
    Execute,
    Done,
}

impl Screen {
    pub fn title(self) -> &'static str {
        super::steps::step(self).title()
    }

    /// The answers a screen sets.
    pub fn fields(self) -> &'static [Field] {
        super::steps::step(self).fields()
    }

    /// The screen where a field is answered.
    pub fn of_field(f: Field) -> Screen {
        super::steps::ALL
            .iter()
            .find(|s| s.answers(f))
            .map_or(Screen::Review, |s| s.screen())
    }
}

/// Who the caller is, resolved for the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityInfo {
    pub account: String,
    /// As STS says (an assumed-role session for SSO users).
    pub caller_arn: String,
    /// The IAM user or role ARN a key policy can name; empty when the role behind an
    /// assumed-role session could not be resolved (no `iam:GetRole`). Read it through
    /// [`IdentityInfo::admin_arn`].
    pub policy_arn: String,
}

impl IdentityInfo {
    /// The caller as a key-policy administrator: an IAM user or role ARN, never an STS
    /// session ARN (`arn:aws:sts::...:assumed-role/...`, which a key policy cannot name).
    pub fn admin_arn(&self) -> Option<&str> {
        Some(self.policy_arn.as_str()).filter(|a| a.starts_with("arn:") && a.contains(":iam::"))
    }
}

/// Something loading in the background.
#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    Loading,
    Ready(T),
    Failed(KmsError),
}

/// Everything the app reacts to: keys, and the results of its effects.
#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    /// A spinner frame.
    Tick,
    Identity(Result<IdentityInfo, KmsError>),
    Principals(Result<Vec<IamPrincipal>, KmsError>),
    Progress(Progress),
    RunFinished(Box<RunReport>),
    /// The run's steps and API calls, for its change record (sent before `RunFinished`).
    Recorded(Box<crate::record::RunLog>),
    /// Ok(how it was copied) or Err(why not).
    Copied(Result<String, String>),
    Saved(Result<PathBuf, String>),
    /// The export's files as written, or why not.
    Exported(Result<Vec<PathBuf>, String>),
    /// The export was not written: these of its files exist already (asks before replacing).
    ExportExists(Vec<PathBuf>),
    /// Phase two's grant, planned (or why not).
    GrantPlanned(Result<Box<crate::status::ActionPlan>, String>),
    /// Phase two's grant, sent.
    GrantApplied(Vec<crate::status::ChangeResult>),
    /// SIGINT or SIGTERM from outside.
    Interrupt,
}

/// What the app asks the outside world to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadIdentity,
    LoadPrincipals,
    Run(Box<Plan>),
    /// Stop the run after the call in flight.
    Cancel,
    Copy(String),
    Save {
        path: PathBuf,
        contents: String,
    },
    /// Write an export; answer with `Event::Exported`. Unless `overwrite`, a file that exists
    /// is left alone ([`export::write_new_files`]) and the answer is `Event::ExportExists`.
    Export {
        files: Vec<ExportFile>,
        path: PathBuf,
        overwrite: bool,
    },
    /// Show the status screen (every BYOK key); the wizard resumes when it is left.
    OpenStatus,
    /// Plan phase two's grant of what the vendor returned (`text`, as pasted) on the key;
    /// answer with `Event::GrantPlanned`.
    PlanGrant {
        key_arn: String,
        region: String,
        vendor: Box<VendorProfile>,
        text: String,
    },
    /// Send the planned grant; answer with `Event::GrantApplied`.
    ApplyGrant(Box<crate::status::ActionPlan>),
    Quit,
}

/// The formats the review screen exports to, in the chooser's order.
pub const EXPORT_FORMATS: [Format; 3] = [Format::Terraform, Format::CloudFormation, Format::AwsCli];

/// The review's export dialog: a format, then where to write it (open until the files are
/// written), then, when a file exists there, whether to replace it (No by default).
#[derive(Debug, Clone)]
pub enum ExportDialog {
    Choose {
        index: usize,
    },
    Name {
        format: Format,
        input: Input,
    },
    Overwrite {
        format: Format,
        input: Input,
        existing: Vec<PathBuf>,
    },
}

/// What a key press does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Next,
    Back,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Toggle,
    TogglePolicy,
    Help,
    CloseHelp,
    Quit,
    Run,
    SavePolicy,
    SaveArns,
    SaveRecord,
    Copy(usize),
    /// Copy phase two's command (`byok grant`), for a vendor that names its principal once
    /// the key is registered with it.
    CopyGrant,
    /// Phase two: paste what the vendor returned.
    PasteGrant,
    /// Plan the grant of what was pasted.
    PlanGrant,
    /// Send the planned grant.
    ApplyGrant,
    /// Leave phase two's paste or plan.
    CancelGrant,
    AskCancel,
    ConfirmCancel,
    KeepGoing,
    Rerun,
    Fix,
    ToReview,
    Cycle,
    Export,
    ExportNext,
    ExportCancel,
    /// Replace the export's existing files.
    ExportOverwrite,
    /// Keep them: back to the file name.
    ExportKeep,
    Status,
}

/// A key binding of the wizard: what the footer shows and what `handle` obeys, from one
/// table ([`super::binding`], shared with the status screen).
pub type Binding = super::binding::Binding<Action>;

/// Where a plan step stands.
#[derive(Debug, Clone, PartialEq)]
pub enum StepStatus {
    Pending,
    Running,
    Done {
        elapsed: Duration,
        note: Option<String>,
    },
    Failed {
        elapsed: Duration,
        error: String,
    },
    /// Under way when the run stopped: its call may or may not have been carried out.
    Stopped,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepState {
    pub title: String,
    pub status: StepStatus,
    pub retries: u32,
    pub last_retry: Option<String>,
    pub waiting: Option<String>,
}

/// A run of the plan, live.
#[derive(Debug, Clone)]
pub struct RunState {
    pub plan: Plan,
    pub answers: Answers,
    pub steps: Vec<StepState>,
    pub keys: Vec<KeyRecord>,
    /// The role the vendor assumes, once it exists.
    pub role: Option<crate::exec::RoleRecord>,
    pub report: Option<RunReport>,
    /// The steps and calls of the run, for the change record.
    pub log: Option<crate::record::RunLog>,
    /// Ctrl-C was pressed: asking whether to stop.
    pub confirm_cancel: bool,
    /// Stopping after the call in flight.
    pub cancelling: bool,
}

impl RunState {
    fn new(plan: Plan, answers: Answers) -> Self {
        let steps = plan
            .steps
            .iter()
            .map(|s| StepState {
                title: s.title(),
                status: StepStatus::Pending,
                retries: 0,
                last_retry: None,
                waiting: None,
            })
            .collect();
        RunState {
            plan,
            answers,
            steps,
            keys: Vec::new(),
            role: None,
            report: None,
            log: None,
            confirm_cancel: false,
            cancelling: false,
        }
    }

    pub fn running(&self) -> bool {
        self.report.is_none()
    }

    /// A create whose request was on its way when the run stopped: the key may exist. From
    /// the report, or, when the wizard quit without waiting for it, from the step under way.
    pub fn in_flight(&self) -> Vec<InFlight> {
        if let Some(r) = &self.report {
            return r.in_flight.clone();
        }
        self.plan
            .steps
            .iter()
            .zip(&self.steps)
            .filter(|(_, s)| s.status == StepStatus::Running)
            .filter_map(|(step, _)| match step {
                Step::CreateKey { role, region, .. } => Some(InFlight {
                    role: *role,
                    region: region.clone(),
                }),
                Step::ReplicateKey { region, .. } => Some(InFlight {
                    role: KeyRole::Replica,
                    region: region.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    pub fn failed_error(&self) -> Option<&ExecError> {
        match &self.report.as_ref()?.outcome {
            Outcome::Failed { error, .. } => Some(error),
            _ => None,
        }
    }
}

pub use super::steps::AdminRow;

/// The whole wizard.
#[derive(Debug, Clone)]
pub struct App {
    pub ctx: Ctx,
    pub screen: Screen,
    /// Terminal size as last reported.
    pub size: (u16, u16),
    /// What each step keeps to itself (its focus, list cursor, search).
    pub steps: steps::States,
    pub vendor_idx: usize,
    pub region: Option<String>,
    pub alias: Input,
    pub description: Input,
    pub tags: Input,
    pub admins: Vec<String>,
    pub admins_can_delete: bool,
    pub principal: Input,
    /// The external ID of a role the vendor assumes (`--external-id`).
    pub external_id: Input,
    pub regionality_idx: usize,
    pub rotation_on: bool,
    pub rotation_days: Input,
    /// The optional alerts address, on the rotation screen.
    pub alerts_email: Input,
    pub policy_scroll: u16,
    /// On a narrow terminal: the policy instead of the form.
    pub show_policy: bool,
    pub help: bool,
    /// The export dialog, open over the review.
    pub export: Option<ExportDialog>,
    /// The validation message of the last Enter/Tab; cleared by the next key.
    pub error: Option<String>,
    /// A passing note (copied, saved).
    pub status: Option<String>,
    pub identity: Load<IdentityInfo>,
    pub principals: Load<Vec<IamPrincipal>>,
    pub run: Option<RunState>,
    /// Editing one answer from the review: Enter goes back there.
    pub from_review: bool,
    pub tick: usize,
    /// Problems with the answers given as flags, shown on their screen.
    pub flag_notes: Vec<FieldError>,
    pub quit: bool,
    /// Stopped by a signal (SIGINT, SIGTERM) rather than by a key.
    pub interrupted: bool,
}

impl App {
    /// Phase two of a finished run for a vendor that names its principal only once the key
    /// ARN is registered with it: the `byok grant` command on its key.
    pub fn grant_command(&self) -> Option<String> {
        let run = self.run.as_ref()?;
        let k = run.keys.first()?;
        run.answers.grant_command(&k.arn, &self.ctx.invocation())
    }

    pub fn new(ctx: Ctx) -> App {
        let raw = ctx.raw.clone();
        let flag_notes = match raw.validate(&ctx.catalog) {
            Ok(_) => Vec::new(),
            Err(errs) => errs.into_iter().filter(|e| given(&raw, e.field)).collect(),
        };
        let mut app = App {
            screen: Screen::Vendor,
            size: (80, 24),
            steps: steps::States::default(),
            vendor_idx: 0,
            region: None,
            alias: Input::default(),
            description: Input::default(),
            tags: Input::default(),
            admins: Vec::new(),
            admins_can_delete: false,
            principal: Input::default(),
            external_id: Input::default(),
            regionality_idx: 0,
            rotation_on: true,
            rotation_days: Input::default(),
            alerts_email: Input::default(),
            policy_scroll: 0,
            show_policy: false,
            help: false,
            export: None,
            error: None,
            status: None,
            identity: Load::Loading,
            principals: Load::Loading,
            run: None,
            from_review: false,
            tick: 0,
            flag_notes,
            quit: false,
            interrupted: false,
            ctx,
        };
        // Each step pre-fills its answers from the flags, in order: a later step's defaults
        // may follow an earlier answer (the vendor's alias, the primary Region's pair).
        for s in steps::ALL {
            s.read(&mut app, &raw);
        }
        app.show_flag_note();
        app
    }

    /// The effects to start with: identity and IAM lists load in the background.
    pub fn start(&self) -> Vec<Effect> {
        vec![Effect::LoadIdentity, Effect::LoadPrincipals]
    }

    pub fn screen(&self) -> Screen {
        self.screen
    }

    pub fn vendor(&self) -> &VendorProfile {
        &self.ctx.catalog.profiles[self.vendor_idx]
    }

    pub fn wide(&self) -> bool {
        self.size.0 >= 100
    }

    // ---- derived answers -------------------------------------------------------------

    pub fn regionalities(&self) -> Vec<Regionality> {
        self.vendor().regionalities()
    }

    pub fn regionality(&self) -> Regionality {
        self.regionalities()
            .get(self.regionality_idx)
            .copied()
            .unwrap_or(Regionality::Single)
    }

    /// The answers as the screens hold them now.
    pub fn raw(&self) -> RawAnswers {
        let mut raw = RawAnswers::default();
        // Every step, those the vendor does not show too: they hold its only choice.
        for s in steps::ALL {
            s.write(self, &mut raw);
        }
        raw
    }

    /// The answers, checked as `byok create` checks them and, once signed in, against the
    /// account: each problem shows on the step of its answer as soon as it can be known.
    pub fn validate(&self) -> Result<Answers, Vec<FieldError>> {
        self.validate_raw(&self.raw())
    }

    fn validate_raw(&self, raw: &RawAnswers) -> Result<Answers, Vec<FieldError>> {
        let a = raw.validate(&self.ctx.catalog)?;
        match self.account() {
            Some(acct) => {
                let errs = answers::check_account(&a, acct);
                if errs.is_empty() { Ok(a) } else { Err(errs) }
            }
            None => Ok(a),
        }
    }

    pub(crate) fn field_errors(&self, fields: &[Field]) -> Vec<FieldError> {
        match self.validate() {
            Ok(_) => Vec::new(),
            Err(errs) => errs
                .into_iter()
                .filter(|e| fields.contains(&e.field))
                .collect(),
        }
    }

    /// Answers good enough to preview the policy: an answer not valid yet is left at its
    /// default, and a missing vendor principal shows as a placeholder.
    pub fn preview_answers(&self) -> Option<Answers> {
        let v = self.vendor();
        let mut raw = self.raw();
        let mut principal_placeholder = false;
        let mut external_id_placeholder = false;
        for _ in 0..4 {
            match self.validate_raw(&raw) {
                Ok(mut a) => {
                    if principal_placeholder {
                        a.principal = format!("<{}>", v.principal.label);
                    }
                    if let (true, Some(role), Some(spec)) =
                        (external_id_placeholder, &mut a.role, &v.customer_role)
                    {
                        role.external_id = format!("<{}>", spec.external_id.label);
                    }
                    return Some(a);
                }
                Err(errs) => {
                    for e in errs {
                        principal_placeholder |= e.field == Field::Principal;
                        external_id_placeholder |= e.field == Field::ExternalId;
                        steps::step(Screen::of_field(e.field)).unset(self, e.field, &mut raw)?;
                    }
                }
            }
        }
        None
    }

    /// The account the policy names: known once the identity has loaded.
    pub fn account(&self) -> Option<&str> {
        match &self.identity {
            Load::Ready(i) => Some(&i.account),
            _ => None,
        }
    }

    /// The live key policy.
    pub fn preview_policy(&self) -> Option<Value> {
        Some(self.policy_of(&self.preview_answers()?))
    }

    /// The key policy of these answers, in the signed-in account.
    pub fn policy_of(&self, a: &Answers) -> Value {
        policy::build(a, self.account().unwrap_or("<your-account-id>"))
    }

    /// The role the vendor assumes in the customer's account, for the preview: its name, its
    /// trust policy and its own policy (on the key about to be made), when the vendor has one.
    pub fn preview_role(&self) -> Option<(String, Value, Option<Value>)> {
        self.role_of(&self.preview_answers()?)
    }

    /// [`preview_role`](Self::preview_role) for answers already validated (the policy pane
    /// validates once a frame for both).
    pub fn role_of(&self, a: &Answers) -> Option<(String, Value, Option<Value>)> {
        let name = a.role.as_ref()?.name.clone();
        let account = self.account().unwrap_or("<your-account-id>");
        let key = format!(
            "arn:{}:kms:{}:{account}:key/<the new key's ID>",
            a.partition(),
            a.region
        );
        Some((name, a.trust_policy()?, a.role_policy(&[key])))
    }

    /// The field the user is looking at, for highlighting its statements.
    pub fn focused_field(&self) -> Option<Field> {
        steps::step(self.screen).focused_field(self)
    }

    /// The Sids of the statements that come from the focused answer.
    pub fn highlighted_sids(&self) -> Vec<String> {
        match self.focused_field() {
            Some(f) => steps::step(Screen::of_field(f)).statements(self, f),
            None => Vec::new(),
        }
    }

    /// The review's rows: the screen to go back to, its field, label and value.
    pub fn review_rows(&self) -> Vec<(Screen, Option<Field>, String, String)> {
        steps::steps(self)
            .into_iter()
            .flat_map(|s| {
                s.review(self)
                    .into_iter()
                    .map(move |(f, l, v)| (s.screen(), f, l.to_string(), v))
            })
            .collect()
    }

    /// Whether something on screen spins (the loop ticks only then).
    pub fn is_spinning(&self) -> bool {
        steps::step(self.screen).spinning(self)
    }

    // ---- bindings ----------------------------------------------------------------------

    /// Whether the focused control takes typed text.
    pub fn typing(&self) -> bool {
        self.focused_input_ref().is_some()
    }

    fn focused_input_ref(&self) -> Option<&Input> {
        if let Some(ExportDialog::Name { input, .. }) = &self.export {
            return Some(input);
        }
        steps::step(self.screen).input(self)
    }

    /// Whether the focused field takes a name, ARN, code or number (never quotes or commas),
    /// rather than free text (description, tags, a file name).
    fn takes_a_name(&self) -> bool {
        self.export.is_none() && steps::step(self.screen).takes_a_name(self)
    }

    fn focused_input(&mut self) -> Option<&mut Input> {
        if !matches!(self.export, Some(ExportDialog::Name { .. })) {
            return steps::step(self.screen).input_mut(self);
        }
        match &mut self.export {
            Some(ExportDialog::Name { input, .. }) => Some(input),
            _ => None,
        }
    }

    /// The keys that work right now, in footer order.
    pub fn bindings(&self) -> Vec<Binding> {
        use Action::*;
        use KeyCode as K;
        if self.help {
            return vec![
                Binding::new("Esc", "close help", CloseHelp)
                    .key(K::Esc)
                    .key(K::Char('?'))
                    .key(K::F(1))
                    .key(K::Enter)
                    .key(K::Char('q')),
                Binding::new("^C", "quit", Quit).ctrl('c'),
            ];
        }
        let mut b = Vec::new();
        let help = |typing: bool| {
            let h = Binding::new(if typing { "F1" } else { "?" }, "help", Help).key(K::F(1));
            if typing { h } else { h.key(K::Char('?')) }
        };
        let typing = self.typing();
        if let Some(ExportDialog::Overwrite { .. }) = &self.export {
            // y/N: anything but y keeps the file.
            b.push(Binding::new("y", "replace", ExportOverwrite).key(K::Char('y')));
            b.push(
                Binding::new("n", "keep it, choose another name", ExportKeep)
                    .key(K::Char('n'))
                    .key(K::Enter)
                    .key(K::Esc),
            );
            b.push(help(typing));
            b.push(Binding::new("^C", "quit", Quit).ctrl('c'));
            return b;
        }
        if let Some(d) = &self.export {
            let choosing = matches!(d, ExportDialog::Choose { .. });
            b.push(
                Binding::new(
                    "Enter",
                    if choosing { "choose" } else { "write" },
                    ExportNext,
                )
                .key(K::Enter),
            );
            b.push(Binding::new("Esc", "cancel", ExportCancel).key(K::Esc));
            if choosing {
                b.push(
                    Binding::new("↑↓", "format", Up)
                        .key(K::Up)
                        .key(K::Char('k'))
                        .key(K::BackTab),
                );
                b.push(
                    Binding::new("", "", Down)
                        .key(K::Down)
                        .key(K::Char('j'))
                        .key(K::Tab),
                );
            }
            b.push(help(typing));
            b.push(Binding::new("^C", "quit", Quit).ctrl('c'));
            return b;
        }
        let step = steps::step(self.screen);
        b.extend(step.bindings(self, typing));
        if step.whole_screen() {
            return b;
        }
        if !self.wide() {
            b.push(
                Binding::new(
                    "^P",
                    if self.show_policy { "form" } else { "policy" },
                    TogglePolicy,
                )
                .ctrl('p'),
            );
        } else {
            b.push(Binding::new("", "", TogglePolicy).ctrl('p'));
        }
        b.push(help(typing));
        b.push(Binding::new("^C", "quit", Quit).ctrl('c'));
        b
    }

    // ---- transitions -------------------------------------------------------------------

    /// React to an event; return what the outside world should do.
    pub fn handle(&mut self, ev: Event) -> Vec<Effect> {
        match ev {
            Event::Key(k) if k.kind == KeyEventKind::Release => Vec::new(),
            Event::Key(k) => self.on_key(k),
            Event::GrantPlanned(r) => {
                self.steps.done.phase = match (r, &self.steps.done.phase) {
                    (Ok(plan), _) if plan.changes.is_empty() => {
                        Phase::Finished(Ok(format!("Nothing to change. {}", plan.notes.join(" "))))
                    }
                    (Ok(plan), _) => Phase::Confirm(plan),
                    (Err(e), Phase::Planning { text }) => Phase::Pasting {
                        input: Input::new(text.clone()),
                        error: Some(e),
                    },
                    (Err(e), _) => Phase::Finished(Err(e)),
                };
                Vec::new()
            }
            Event::GrantApplied(results) => {
                let vendor = self
                    .run
                    .as_ref()
                    .map(|r| r.answers.vendor.name.clone())
                    .unwrap_or_default();
                self.steps.done.phase = Phase::Finished(match results.iter().find(|r| !r.ok) {
                    None if !results.is_empty() => Ok(format!(
                        "Granted: the key policy names what {vendor} returned, and {vendor} can use the key."
                    )),
                    None => Ok("Nothing was sent.".into()),
                    Some(r) => Err(format!(
                        "{} failed: {}",
                        r.change,
                        r.error.as_deref().unwrap_or("")
                    )),
                });
                Vec::new()
            }
            Event::Paste(text) => {
                self.error = None;
                let clean = crate::sanitize::strip(&text).trim().to_string();
                let takes_a_name = self.takes_a_name();
                if let Some(input) = self.focused_input() {
                    // An ARN, account, Region or number copied from a document or JSON often
                    // comes with its quotes and a comma: they are never part of it.
                    let (text, unquoted) = if takes_a_name {
                        unquote(&clean)
                    } else {
                        (clean.clone(), false)
                    };
                    for c in text.chars() {
                        input.handle(tui_input::InputRequest::InsertChar(c));
                    }
                    self.after_edit();
                    if unquoted {
                        self.status = Some("Pasted without the quotes and commas around it".into());
                    }
                }
                Vec::new()
            }
            Event::Resize(w, h) => {
                self.size = (w, h);
                if self.wide() {
                    self.show_policy = false;
                }
                Vec::new()
            }
            Event::Tick => {
                self.tick = self.tick.wrapping_add(1);
                Vec::new()
            }
            Event::Identity(r) => {
                self.identity = match r {
                    Ok(i) => Load::Ready(i),
                    Err(e) => Load::Failed(e),
                };
                Vec::new()
            }
            Event::Principals(r) => {
                self.principals = match r {
                    Ok(mut list) => {
                        list.sort_by(|a, b| {
                            (a.kind != "role", a.name.to_ascii_lowercase())
                                .cmp(&(b.kind != "role", b.name.to_ascii_lowercase()))
                        });
                        Load::Ready(list)
                    }
                    Err(e) => Load::Failed(e),
                };
                Vec::new()
            }
            Event::Progress(p) => {
                self.on_progress(p);
                Vec::new()
            }
            Event::Recorded(log) => {
                if let Some(run) = &mut self.run {
                    run.log = Some(*log);
                }
                Vec::new()
            }
            Event::RunFinished(report) => {
                if let Some(run) = &mut self.run {
                    run.confirm_cancel = false;
                    run.cancelling = false;
                    // A step under way when the run stopped spins no more.
                    for s in &mut run.steps {
                        if s.status == StepStatus::Running {
                            s.status = StepStatus::Stopped;
                        }
                    }
                    for k in &report.keys {
                        match run
                            .keys
                            .iter_mut()
                            .find(|x| x.role == k.role && x.region == k.region)
                        {
                            Some(x) => *x = k.clone(),
                            None => run.keys.push(k.clone()),
                        }
                    }
                    run.keys.retain(|x| {
                        report
                            .keys
                            .iter()
                            .any(|k| k.role == x.role && k.region == x.region)
                    });
                    let completed = report.outcome == Outcome::Completed;
                    run.report = Some(*report);
                    if completed {
                        self.screen = Screen::Done;
                    }
                }
                Vec::new()
            }
            Event::Copied(r) => {
                self.status = Some(match r {
                    Ok(how) => format!("✓ Copied {how}"),
                    Err(why) => format!("! Could not copy: {why}"),
                });
                Vec::new()
            }
            Event::Exported(r) => {
                // The dialog stays open until the files are written (or refused).
                if matches!(self.export, Some(ExportDialog::Name { .. })) {
                    self.export = None;
                }
                self.status = Some(match r {
                    Ok(paths) => format!(
                        "✓ Exported to {}",
                        paths
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Err(why) => format!("! Could not export: {why}"),
                });
                Vec::new()
            }
            Event::ExportExists(existing) => {
                if let Some(ExportDialog::Name { format, input }) = self.export.take() {
                    self.export = Some(ExportDialog::Overwrite {
                        format,
                        input,
                        existing,
                    });
                }
                Vec::new()
            }
            Event::Saved(r) => {
                self.status = Some(match r {
                    Ok(p) => format!("✓ Saved to {}", p.display()),
                    Err(why) => format!("! Could not save: {why}"),
                });
                Vec::new()
            }
            Event::Interrupt => {
                self.interrupted = true;
                self.act(Action::Quit)
            }
        }
    }

    fn on_progress(&mut self, p: Progress) {
        let Some(run) = &mut self.run else { return };
        match p {
            Progress::Started { step } => {
                if let Some(s) = run.steps.get_mut(step) {
                    s.status = StepStatus::Running;
                }
            }
            Progress::Retrying {
                step,
                attempt,
                reason,
                delay,
            } => {
                if let Some(s) = run.steps.get_mut(step) {
                    s.retries = attempt;
                    s.last_retry = Some(format!(
                        "retry {attempt} in {:.1} s: {reason}",
                        delay.as_secs_f64()
                    ));
                }
            }
            Progress::Waiting { step, detail } => {
                if let Some(s) = run.steps.get_mut(step) {
                    s.waiting = Some(detail);
                }
            }
            Progress::Done {
                step,
                elapsed,
                note,
            } => {
                if let Some(s) = run.steps.get_mut(step) {
                    s.status = StepStatus::Done { elapsed, note };
                }
            }
            Progress::Failed {
                step,
                elapsed,
                error,
            } => {
                if let Some(s) = run.steps.get_mut(step) {
                    s.status = StepStatus::Failed { elapsed, error };
                }
            }
            Progress::Key { key } => match run
                .keys
                .iter_mut()
                .find(|k| k.role == key.role && k.region == key.region)
            {
                Some(k) => *k = key,
                None => run.keys.push(key),
            },
            Progress::Role { role } => run.role = Some(role),
        }
    }

    fn on_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        // A message lasts until the next key (a step may keep its notes: what was copied).
        self.error = None;
        if !steps::step(self.screen).keeps_status() {
            self.status = None;
        }
        if let Some(b) = self.bindings().into_iter().find(|b| b.matches(&k)) {
            return self.act(b.action);
        }
        if let Some(input) = self.focused_input()
            && let Some(req) = to_input_request(&CtEvent::Key(k))
        {
            input.handle(req);
            self.after_edit();
        }
        Vec::new()
    }

    /// Keep list cursors valid after typing in a filter.
    fn after_edit(&mut self) {
        steps::step(self.screen).after_edit(self);
    }

    /// The next form screen, among the steps the vendor has.
    fn next_screen(&self, s: Screen) -> Screen {
        let form = super::steps::form(self);
        let i = form.iter().position(|x| *x == s).unwrap_or(0);
        form[(i + 1).min(form.len() - 1)]
    }

    fn prev_screen(&self, s: Screen) -> Screen {
        let form = super::steps::form(self);
        let i = form.iter().position(|x| *x == s).unwrap_or(0);
        form[i.saturating_sub(1)]
    }

    pub(crate) fn go(&mut self, s: Screen) {
        self.screen = s;
        self.policy_scroll = 0;
        steps::step(s).arrive(self);
        self.show_flag_note();
    }

    /// A problem with a flag's answer shows once, on the screen that asks for it.
    fn show_flag_note(&mut self) {
        let fields = self.screen.fields();
        if let Some(i) = self
            .flag_notes
            .iter()
            .position(|n| fields.contains(&n.field))
        {
            let n = self.flag_notes.remove(i);
            self.error = Some(format!(
                "{} {}: {}",
                n.field.label(),
                n.field.flag(),
                n.message
            ));
        }
    }

    pub(crate) fn block(&mut self, errs: Vec<FieldError>) -> bool {
        match errs.into_iter().next() {
            Some(e) => {
                self.error = Some(self.screen_message(&e));
                true
            }
            None => false,
        }
    }

    /// A validation message in the wizard's own terms: what the screen shows, not the flag
    /// that would set it.
    fn screen_message(&self, e: &FieldError) -> String {
        steps::step(Screen::of_field(e.field))
            .message(self, e)
            .unwrap_or_else(|| format!("{}: {}", e.field.label(), e.message))
    }

    /// Enter on a form screen: validate what it asks, then move on.
    pub(crate) fn next(&mut self) -> Vec<Effect> {
        if let Some(fx) = steps::step(self.screen).enter(self) {
            return fx;
        }
        if self.from_review {
            // Later screens may depend on this answer: stop at the first that no longer holds.
            if let Err(errs) = self.validate()
                && let Some(e) = errs.first()
            {
                let s = Screen::of_field(e.field);
                if s != self.screen {
                    self.go(s);
                    self.error = Some(self.screen_message(e));
                    return Vec::new();
                }
            }
            self.from_review = false;
            self.go(Screen::Review);
            return Vec::new();
        }
        let n = self.next_screen(self.screen);
        self.go(n);
        Vec::new()
    }

    pub(crate) fn back(&mut self) {
        if self.from_review && self.screen != Screen::Review {
            // Editing one answer from the review: Esc returns there, the answer kept as typed
            // (the review shows it, and creating validates everything again).
            self.from_review = false;
            self.go(Screen::Review);
            return;
        }
        if steps::form(self).first() == Some(&self.screen) {
            return;
        }
        self.from_review = false;
        let p = self.prev_screen(self.screen);
        self.go(p);
    }

    pub(crate) fn select_vendor(&mut self, idx: usize) {
        if idx == self.vendor_idx || idx >= self.ctx.catalog.profiles.len() {
            return;
        }
        let old = self.vendor().clone();
        self.vendor_idx = idx;
        // Every step, shown or not: its answers follow the new vendor.
        for s in steps::ALL {
            s.vendor_changed(self, &old);
        }
    }

    fn move_cursor(&mut self, delta: i64) {
        if let Some(ExportDialog::Choose { index }) = &mut self.export {
            *index = steps::moved(*index, EXPORT_FORMATS.len(), delta);
            return;
        }
        steps::step(self.screen).move_cursor(self, delta);
    }

    /// Carry out an action from the bindings table.
    pub fn act(&mut self, a: Action) -> Vec<Effect> {
        use Action::*;
        match a {
            Next => return self.next(),
            Back => self.back(),
            FocusNext => return steps::step(self.screen).focus_next(self),
            FocusPrev => steps::step(self.screen).focus_prev(self),
            Up => self.move_cursor(-1),
            Down => self.move_cursor(1),
            PageUp => self.policy_scroll = self.policy_scroll.saturating_sub(10),
            PageDown => self.policy_scroll = self.policy_scroll.saturating_add(10),
            Toggle => steps::step(self.screen).toggle(self),
            Cycle => steps::step(self.screen).cycle(self),
            TogglePolicy => {
                if !self.wide() {
                    self.show_policy = !self.show_policy;
                }
            }
            Help => self.help = true,
            CloseHelp => self.help = false,
            Quit => {
                if let Some(run) = &mut self.run
                    && run.running()
                    && !run.cancelling
                {
                    // Never leave a half-made key unannounced: stop after the call in flight.
                    // Asked again while stopping, quit at once: the journal has every ARN.
                    run.cancelling = true;
                    run.confirm_cancel = false;
                    self.quit = true;
                    return vec![Effect::Cancel];
                }
                self.quit = true;
                return vec![Effect::Quit];
            }
            Run => {
                let answers = match self.validate() {
                    Ok(a) => a,
                    Err(errs) => {
                        let e = &errs[0];
                        self.from_review = true;
                        self.go(Screen::of_field(e.field));
                        self.error = Some(self.screen_message(e));
                        return Vec::new();
                    }
                };
                let plan = Plan::build(&answers);
                self.run = Some(RunState::new(plan.clone(), answers));
                self.screen = Screen::Execute;
                self.status = None;
                return vec![Effect::Run(Box::new(plan))];
            }
            Rerun => return self.act(Run),
            ToReview => self.go(Screen::Review),
            Fix => {
                let target = self
                    .run
                    .as_ref()
                    .and_then(|r| r.failed_error())
                    .map(fix_screen)
                    .unwrap_or(Screen::Review);
                if target != Screen::Review {
                    self.from_review = true;
                }
                self.go(target);
            }
            SavePolicy => {
                if let Some(p) = self.preview_policy() {
                    let name = alias_slug(self.alias.value());
                    return vec![Effect::Save {
                        path: PathBuf::from(format!("{name}-policy.json")),
                        contents: format!("{}\n", policy::to_document(&p)),
                    }];
                }
            }
            SaveArns => {
                if let Some(run) = &self.run {
                    let name = alias_slug(&run.answers.alias);
                    let mut contents = String::new();
                    for k in &run.keys {
                        contents.push_str(&format!(
                            "{}\t{}\t{}\t{}\n",
                            k.role.as_str(),
                            k.region,
                            k.arn,
                            k.alias.as_deref().unwrap_or("")
                        ));
                    }
                    return vec![Effect::Save {
                        path: PathBuf::from(format!("{name}-arns.txt")),
                        contents,
                    }];
                }
            }
            SaveRecord => {
                if let Some(run) = &self.run
                    && let Some(report) = &run.report
                {
                    let log = run.log.clone().unwrap_or_default();
                    let rec = crate::record::for_create(crate::record::CreateRun {
                        plan: &run.plan,
                        report,
                        steps: log.steps,
                        calls: log.calls,
                        started: log.started,
                        finished: log.finished,
                        command: None,
                        demo: self.ctx.demo,
                    });
                    return vec![Effect::Save {
                        path: PathBuf::from(format!(
                            "{}-change-record.md",
                            alias_slug(&run.answers.alias)
                        )),
                        contents: rec.to_markdown(),
                    }];
                }
            }
            Copy(i) => {
                if let Some(item) = self
                    .run
                    .as_ref()
                    .and_then(|r| steps::done::items(r).into_iter().nth(i))
                {
                    return vec![Effect::Copy(item.value)];
                }
            }
            CopyGrant => {
                if let Some(cmd) = self.grant_command() {
                    return vec![Effect::Copy(cmd)];
                }
            }
            PasteGrant => {
                self.steps.done.phase = Phase::Pasting {
                    input: Input::default(),
                    error: None,
                };
            }
            PlanGrant => {
                let text = match &self.steps.done.phase {
                    Phase::Pasting { input, .. } => input.value().trim().to_string(),
                    _ => return vec![],
                };
                let Some((run, k)) = self.run.as_ref().and_then(|r| Some((r, r.keys.first()?)))
                else {
                    return vec![];
                };
                if text.is_empty() {
                    self.steps.done.phase = Phase::Pasting {
                        input: Input::default(),
                        error: Some(format!(
                            "Paste what {} returned: {}",
                            run.answers.vendor.name, run.answers.vendor.principal.help
                        )),
                    };
                    return vec![];
                }
                let effect = Effect::PlanGrant {
                    key_arn: k.arn.clone(),
                    region: k.region.clone(),
                    vendor: Box::new(run.answers.vendor.clone()),
                    text: text.clone(),
                };
                self.steps.done.phase = Phase::Planning { text };
                return vec![effect];
            }
            ApplyGrant => {
                if let Phase::Confirm(plan) = &self.steps.done.phase {
                    let plan = plan.clone();
                    self.steps.done.phase = Phase::Applying;
                    return vec![Effect::ApplyGrant(plan)];
                }
            }
            CancelGrant => self.steps.done.phase = Phase::Idle,
            AskCancel => {
                if let Some(run) = &mut self.run {
                    run.confirm_cancel = true;
                }
            }
            ConfirmCancel => {
                if let Some(run) = &mut self.run {
                    run.confirm_cancel = false;
                    run.cancelling = true;
                    return vec![Effect::Cancel];
                }
            }
            KeepGoing => {
                if let Some(run) = &mut self.run {
                    run.confirm_cancel = false;
                }
            }
            Export => {
                // Only a setup that could be created can be exported.
                match self.validate() {
                    Ok(_) => self.export = Some(ExportDialog::Choose { index: 0 }),
                    Err(errs) => {
                        let e = &errs[0];
                        self.error = Some(format!("Cannot export yet: {}", self.screen_message(e)));
                    }
                }
            }
            ExportNext => return self.export_next(),
            ExportCancel => self.export = None,
            ExportOverwrite => {
                if let Some(ExportDialog::Overwrite { format, input, .. }) = self.export.take() {
                    return self.write_export(format, input, true);
                }
            }
            ExportKeep => {
                if let Some(ExportDialog::Overwrite { format, input, .. }) = self.export.take() {
                    self.export = Some(ExportDialog::Name { format, input });
                }
            }
            Status => return vec![Effect::OpenStatus],
        }
        Vec::new()
    }

    /// The files an export in `format` writes, from the answers as they stand.
    pub fn export_files(&self, format: Format) -> Result<Vec<ExportFile>, String> {
        let answers = self
            .validate()
            .map_err(|errs| self.screen_message(&errs[0]))?;
        Ok(export::render(
            &Plan::build(&answers),
            format,
            self.account(),
        ))
    }

    /// Enter in the export dialog: a format chosen, then the file written.
    fn export_next(&mut self) -> Vec<Effect> {
        match self.export.take() {
            Some(ExportDialog::Choose { index }) => {
                let format = EXPORT_FORMATS[index.min(EXPORT_FORMATS.len() - 1)];
                match self.export_files(format) {
                    Ok(files) => {
                        // One file: its suggested name. Two (a CloudFormation template per
                        // Region): the current directory, where each gets its own name.
                        let name = if files.len() == 1 {
                            files[0].name.clone()
                        } else {
                            "./".to_string()
                        };
                        self.export = Some(ExportDialog::Name {
                            format,
                            input: Input::new(name),
                        });
                    }
                    Err(e) => self.error = Some(format!("Cannot export yet: {e}")),
                }
                Vec::new()
            }
            Some(ExportDialog::Name { format, input }) => {
                if input.value().trim().is_empty() {
                    self.error = Some("File name: type where to write the export".into());
                    self.export = Some(ExportDialog::Name { format, input });
                    return Vec::new();
                }
                self.write_export(format, input, false)
            }
            other => {
                self.export = other;
                Vec::new()
            }
        }
    }

    /// Write the export to the typed name; the dialog stays open until the answer
    /// (`Event::Exported`, or `Event::ExportExists` to ask before replacing a file).
    fn write_export(&mut self, format: Format, input: Input, overwrite: bool) -> Vec<Effect> {
        match self.export_files(format) {
            Ok(files) => {
                let path = PathBuf::from(input.value().trim());
                self.export = Some(ExportDialog::Name { format, input });
                vec![Effect::Export {
                    files,
                    path,
                    overwrite,
                }]
            }
            Err(e) => {
                self.error = Some(format!("Cannot export yet: {e}"));
                Vec::new()
            }
        }
    }

    /// What to print on stdout once the terminal is back: the ARNs of a completed run.
    pub fn stdout_lines(&self) -> Vec<String> {
        match &self.run {
            Some(r)
                if r.report
                    .as_ref()
                    .is_some_and(|x| x.outcome == Outcome::Completed) =>
            {
                // What the vendor asks to have pasted back (the key ARNs unless its profile
                // lists other values), as `byok create` prints it, then the role the vendor
                // assumes (it asks for both).
                let listed = r
                    .answers
                    .vendor
                    .paste_back
                    .contains(&crate::vendor::PasteBack::RoleArn);
                crate::exec::paste_back(&r.answers.vendor, &r.keys, r.role.as_ref())
                    .into_iter()
                    .map(|p| p.value)
                    .chain(r.role.as_ref().filter(|_| !listed).map(|x| x.arn.clone()))
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// The process exit code: the run's; 130 (interrupted) when the wizard was left before a
    /// run finished, so that `ARN=$(byok)` never carries on with no ARN.
    pub fn exit_code(&self) -> i32 {
        match self.run.as_ref().and_then(|r| r.report.as_ref()) {
            Some(r) => r.exit_code(),
            None => crate::exec::exit::INTERRUPTED,
        }
    }
}

/// Whether a flag gave this field (so a problem with it is the user's to see).
fn given(raw: &RawAnswers, f: Field) -> bool {
    steps::step(Screen::of_field(f)).given(raw, f)
}

/// Text without the quotes, commas and semicolons around it (`"arn:...",` -> `arn:...`);
/// whether there were any.
fn unquote(text: &str) -> (String, bool) {
    let mut t = text.trim();
    loop {
        let before = t;
        t = t.trim_end_matches([',', ';']).trim();
        for (open, close) in [('"', '"'), ('\'', '\''), ('`', '`'), ('“', '”'), ('‘', '’')]
        {
            if let Some(inner) = t.strip_prefix(open).and_then(|r| r.strip_suffix(close)) {
                t = inner.trim();
            }
        }
        if t == before {
            break;
        }
    }
    (t.to_string(), t != text.trim())
}

fn alias_slug(alias: &str) -> String {
    let s: String = alias
        .trim()
        .trim_start_matches("alias/")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() { "byok".into() } else { s }
}

/// The screen whose answer fixes a failed run: the step of that answer, or the review.
pub fn fix_screen(e: &ExecError) -> Screen {
    fix_field(e).map_or(Screen::Review, Screen::of_field)
}

/// The answer that fixes a failed run, when one does.
fn fix_field(e: &ExecError) -> Option<Field> {
    match e {
        ExecError::AliasTaken { .. } | ExecError::PendingDeletion { .. } => Some(Field::Alias),
        ExecError::AdminAccount { .. } => Some(Field::Admins),
        // The vendor principal given more than the vendor's statements (it is the account or
        // an administrator): the answer to change is the principal.
        ExecError::Policy { problems }
            if problems.iter().any(|p| p.contains("grants the vendor")) =>
        {
            Some(Field::Principal)
        }
        ExecError::Kms {
            error: KmsError::InvalidPrincipal { .. },
            ..
        } => Some(Field::Principal),
        _ => None,
    }
}
