//! The wizard's steps, one module each: what a step asks, its own state, its keys and what
//! they do, how it reads and writes its answers, how it draws itself and its help. The app
//! walks [`steps`], the list composed for the chosen vendor, and asks the step on screen;
//! adding a step is a module here and its entry in [`ALL`].

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crossterm::event::KeyCode as K;
use tui_input::Input;

use super::app::{Action, App, Binding, Effect, Screen};
use super::view::View;
use crate::answers::{Field, FieldError, RawAnswers};
use crate::vendor::VendorProfile;

mod admins;
pub(crate) mod done;
mod execute;
mod key_type;
mod names;
mod principal;
mod region;
mod regionality;
mod review;
mod rotation;
mod values;
pub(crate) mod vendor;

pub use admins::AdminRow;
pub use done::Phase;

/// What the steps keep to themselves, one field a step.
#[derive(Debug, Clone, Default)]
pub struct States {
    pub vendor: vendor::State,
    pub region: region::State,
    pub names: names::State,
    pub principal: principal::State,
    pub admins: admins::State,
    pub regionality: regionality::State,
    pub rotation: rotation::State,
    pub review: review::State,
    pub done: done::State,
    pub values: values::State,
}

/// What every step module brings in.
#[allow(unused_imports)]
mod prelude {
    pub(crate) use super::Step;
    pub(crate) use super::{FormKeys, checked, form_keys, moved, vendor_sids};
    pub(crate) use crate::answers;
    pub(crate) use crate::answers::{Field, FieldError, RawAnswers};
    pub(crate) use crate::exec::Outcome;
    pub(crate) use crate::policy;
    pub(crate) use crate::tui::app::{
        Action, App, Binding, EXPORT_FORMATS, Effect, ExportDialog, Load, Screen, StepStatus,
    };
    pub(crate) use crate::tui::theme::Theme;
    pub(crate) use crate::tui::view::*;
    pub(crate) use crate::vendor::VendorProfile;
    pub(crate) use crossterm::event::KeyCode as K;
    pub(crate) use ratatui::buffer::Buffer;
    pub(crate) use ratatui::layout::{Constraint, Layout, Position, Rect};
    pub(crate) use ratatui::style::{Modifier, Style};
    pub(crate) use ratatui::text::{Line, Span, Text};
    pub(crate) use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};
    pub(crate) use serde_json::Value;
    pub(crate) use tui_input::Input;
}

/// One step of the wizard.
pub(crate) trait Step: Sync {
    /// The screen this step is.
    fn screen(&self) -> Screen;

    /// Its name in the stepper.
    fn title(&self) -> &'static str;

    /// The answers it sets.
    fn fields(&self) -> &'static [Field] {
        &[]
    }

    /// Whether this step answers `f` (where a problem with it is shown and fixed).
    fn answers(&self, f: Field) -> bool {
        self.fields().contains(&f)
    }

    /// Take its answers from `raw` (the flags), or its defaults, when the wizard starts.
    fn read(&self, _a: &mut App, _raw: &RawAnswers) {}

    /// The Sids of the policy statements that come from this answer of its.
    fn statements(&self, _a: &App, _f: Field) -> Vec<String> {
        Vec::new()
    }

    /// Another vendor was chosen (`old` the one before): its answers follow where they were
    /// the old vendor's defaults or are not the new one's to give.
    fn vendor_changed(&self, _a: &mut App, _old: &VendorProfile) {}

    /// Whether a flag gave this answer of its.
    fn given(&self, _raw: &RawAnswers, _f: Field) -> bool {
        false
    }

    /// For the policy preview: this answer of its, not valid yet, left at its default in
    /// `raw`; `None` when there can be no preview without it.
    fn unset(&self, _a: &App, _f: Field, _raw: &mut RawAnswers) -> Option<()> {
        Some(())
    }

    /// Put its answers in `raw`, as they stand.
    fn write(&self, _a: &App, _raw: &mut RawAnswers) {}

    /// Its rows in the review: the field, label and value.
    fn review(&self, _a: &App) -> Vec<(Option<Field>, &'static str, String)> {
        Vec::new()
    }

    /// Whether the chosen vendor has this step.
    fn applies(&self, _a: &App) -> bool {
        true
    }

    /// What the help overlay says about it (the keys are added from its bindings).
    fn help(&self, a: &App) -> String;

    /// Draw its form (the policy beside it is drawn by the view).
    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer);

    /// Whether it takes the whole body, without the policy beside it (the run, its result).
    fn whole_screen(&self) -> bool {
        false
    }

    /// A problem with one of its answers in its own words, when they differ from the flag's.
    fn message(&self, _a: &App, _e: &FieldError) -> Option<String> {
        None
    }

    /// Whether it is where the vendor is chosen: the header names none yet, and the message
    /// row shows the vendor's documentation link.
    fn chooses_vendor(&self) -> bool {
        false
    }

    /// Whether a passing note (copied, saved) stays past the next key.
    fn keeps_status(&self) -> bool {
        false
    }

    /// Its keys, in footer order; unless it takes the whole screen, the view's own (the
    /// policy, help, quit) follow.
    fn bindings(&self, a: &App, typing: bool) -> Vec<Binding> {
        form_keys(a, typing, FormKeys::default())
    }

    /// The text input that has the focus.
    fn input<'a>(&self, _a: &'a App) -> Option<&'a Input> {
        None
    }

    fn input_mut<'a>(&self, _a: &'a mut App) -> Option<&'a mut Input> {
        None
    }

    /// Whether the focused input takes a name, ARN, code or number (never quotes or
    /// commas), rather than free text.
    fn takes_a_name(&self, _a: &App) -> bool {
        false
    }

    /// The answer the user is looking at, for highlighting its statements.
    fn focused_field(&self, _a: &App) -> Option<Field> {
        self.fields().first().copied()
    }

    /// Put the focus on this answer (coming from the review).
    fn focus_field(&self, _a: &mut App, _f: Option<Field>) {}

    /// Whether something on it spins (the loop ticks only then).
    fn spinning(&self, _a: &App) -> bool {
        false
    }

    /// Shown anew: the focus back on its first field.
    fn arrive(&self, _a: &mut App) {}

    /// Enter: check what it asks. `Some` when it is handled here (a problem shown, the
    /// focus moved); `None` to go on to the next step.
    fn enter(&self, a: &mut App) -> Option<Vec<Effect>> {
        checked(a, self.fields())
    }

    /// Tab.
    fn focus_next(&self, a: &mut App) -> Vec<Effect> {
        a.next()
    }

    /// Shift-Tab.
    fn focus_prev(&self, a: &mut App) {
        a.back()
    }

    /// Up (-1) and Down (1) in its list.
    fn move_cursor(&self, _a: &mut App, _delta: i64) {}

    /// Space or Ctrl-T.
    fn toggle(&self, _a: &mut App) {}

    /// Left and Right: the next of its choices.
    fn cycle(&self, _a: &mut App) {}

    /// After typing: keep its list's cursor valid.
    fn after_edit(&self, _a: &mut App) {}
}

/// Stop on the first problem with these answers, shown on the step.
pub(crate) fn checked(a: &mut App, fields: &[Field]) -> Option<Vec<Effect>> {
    let errs = a.field_errors(fields);
    a.block(errs).then(Vec::new)
}

/// The Sids of the vendor's statements.
pub(crate) fn vendor_sids(a: &App) -> Vec<String> {
    a.vendor()
        .statements
        .iter()
        .map(|s| s.sid.clone())
        .collect()
}

/// A list cursor moved by `delta`, kept in `0..len`.
pub(crate) fn moved(cur: usize, len: usize, delta: i64) -> usize {
    if len == 0 {
        return 0;
    }
    (cur as i64 + delta).clamp(0, len as i64 - 1) as usize
}

/// How a form step's keys differ from the others'.
#[derive(Default)]
pub(crate) struct FormKeys {
    /// What Enter says, when not "next" (or "back to review").
    pub enter: Option<&'static str>,
    /// Tab and Shift-Tab move between its fields.
    pub fields: bool,
    /// Tab and Shift-Tab move to an optional field the step names itself.
    pub tab_focus: bool,
    /// Up and Down choose in a list (and k, j when nothing is typed).
    pub list: bool,
    /// The first step: no way back; this key instead.
    pub first: Option<Binding>,
    /// Its own keys, after the common ones.
    pub extra: Vec<Binding>,
}

/// The keys of a form step.
pub(crate) fn form_keys(a: &App, typing: bool, k: FormKeys) -> Vec<Binding> {
    use Action::*;
    let mut b = Vec::new();
    let enter = k.enter.unwrap_or(if a.from_review {
        "back to review"
    } else {
        "next"
    });
    b.push(Binding::new("Enter", enter, Next).key(K::Enter));
    if k.fields {
        b.push(Binding::new("Tab", "next field", FocusNext).key(K::Tab));
    } else if k.tab_focus {
        b.push(Binding::new("", "", FocusNext).key(K::Tab));
    } else {
        b.push(Binding::new("", "", Next).key(K::Tab));
    }
    let first = k.first.is_some();
    match k.first {
        Some(f) => b.push(f),
        None => b.push(Binding::new("Esc", "back", Back).key(K::Esc)),
    }
    if k.fields || k.tab_focus {
        b.push(Binding::new("", "", FocusPrev).key(K::BackTab));
    } else if !first {
        b.push(Binding::new("", "", Back).key(K::BackTab));
    }
    if k.list {
        b.push(Binding::new("↑↓", "choose", Up).key(K::Up));
        b.push(Binding::new("", "", Down).key(K::Down));
        if !typing {
            b.push(Binding::new("", "", Up).key(K::Char('k')));
            b.push(Binding::new("", "", Down).key(K::Char('j')));
        }
    }
    b.extend(k.extra);
    b.push(Binding::new("PgUp/PgDn", "", PageDown).key(K::PageDown));
    b.push(Binding::new("", "", PageUp).key(K::PageUp));
    b
}

/// Every step, in the order the wizard walks them: the form, then the run and its result.
pub(crate) static ALL: [&dyn Step; 12] = [
    &vendor::Vendor,
    &region::Region,
    &key_type::KeyType,
    &names::Names,
    &admins::Admins,
    &principal::Principal,
    &values::Values,
    &regionality::Regionality,
    &rotation::Rotation,
    &review::Review,
    &execute::Execute,
    &done::Done,
];

/// The step that is this screen.
pub(crate) fn step(s: Screen) -> &'static dyn Step {
    *ALL.iter()
        .find(|x| x.screen() == s)
        .expect("every screen is a step")
}

/// The steps for the chosen vendor, in order (those it does not have left out).
pub(crate) fn steps(a: &App) -> Vec<&'static dyn Step> {
    ALL.iter().copied().filter(|s| s.applies(a)).collect()
}

/// The form's steps for the chosen vendor: up to the review.
pub(crate) fn form(a: &App) -> Vec<Screen> {
    let all = steps(a);
    let end = all
        .iter()
        .position(|s| s.screen() == Screen::Review)
        .map_or(all.len(), |i| i + 1);
    all[..end].iter().map(|s| s.screen()).collect()
}
