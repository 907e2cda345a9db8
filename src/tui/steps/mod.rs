//! The wizard's steps, one module each: what a step asks, how it draws itself and its help.
//! The app walks [`form`], the list composed for the chosen vendor, and asks the step on
//! screen; adding a step is a module here and its entry in [`ALL`].

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::app::{App, Screen};
use super::view::View;
use crate::answers::Field;

mod admins;
mod done;
mod execute;
mod key_type;
mod names;
mod principal;
mod region;
mod regionality;
mod review;
mod rotation;
mod vendor;

/// What every step module brings in.
#[allow(unused_imports)]
mod prelude {
    pub(crate) use super::Step;
    pub(crate) use crate::answers::Field;
    pub(crate) use crate::exec::Outcome;
    pub(crate) use crate::policy;
    pub(crate) use crate::tui::app::{App, EXPORT_FORMATS, ExportDialog, Load, Screen, StepStatus};
    pub(crate) use crate::tui::theme::Theme;
    pub(crate) use crate::tui::view::*;
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

    /// Whether the chosen vendor has this step.
    fn applies(&self, _a: &App) -> bool {
        true
    }

    /// What the help overlay says about it (the keys are added from its bindings).
    fn help(&self, a: &App) -> String;

    /// Draw its form (the policy beside it is drawn by the view).
    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer);
}

/// Every step, in the order the wizard walks them: the form, then the run and its result.
pub(crate) static ALL: [&dyn Step; 11] = [
    &vendor::Vendor,
    &region::Region,
    &key_type::KeyType,
    &names::Names,
    &admins::Admins,
    &principal::Principal,
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
