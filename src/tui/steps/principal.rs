//! The access step.

use super::prelude::*;

/// Which input has the focus: 0 the principal, 1 the external ID (a vendor that assumes a
/// role in your account).
#[derive(Debug, Clone, Default)]
pub struct State {
    pub focus: usize,
}

pub(crate) struct Principal;

/// Whether the vendor assumes a role in your account, so the step also asks its external ID.
fn asks_external_id(a: &App) -> bool {
    a.vendor().customer_role.is_some()
}

/// The focused input, 0 or 1 (1 only when the external ID is asked).
fn focus(a: &App) -> usize {
    if asks_external_id(a) {
        a.steps.principal.focus.min(1)
    } else {
        0
    }
}

impl Step for Principal {
    fn screen(&self) -> Screen {
        Screen::Principal
    }

    fn title(&self) -> &'static str {
        "Access"
    }

    fn fields(&self) -> &'static [Field] {
        &[Field::Principal, Field::ExternalId]
    }

    fn read(&self, a: &mut App, raw: &RawAnswers) {
        a.principal = Input::new(raw.principal.clone().unwrap_or_default());
        a.external_id = Input::new(raw.external_id.clone().unwrap_or_default());
    }

    fn statements(&self, a: &App, _f: Field) -> Vec<String> {
        vendor_sids(a)
    }

    fn given(&self, raw: &RawAnswers, f: Field) -> bool {
        match f {
            Field::ExternalId => raw.external_id.is_some(),
            _ => raw.principal.is_some(),
        }
    }

    /// A placeholder of the kind's shape (the preview names it by its label).
    fn unset(&self, a: &App, f: Field, raw: &mut RawAnswers) -> Option<()> {
        match f {
            Field::ExternalId if a.vendor().customer_role.is_some() => {
                raw.external_id = Some("external-id".into());
            }
            Field::ExternalId => raw.external_id = None,
            _ => raw.principal = Some(a.vendor().principal.kind.placeholder()?.into()),
        }
        Some(())
    }

    fn write(&self, a: &App, raw: &mut RawAnswers) {
        raw.principal = if a.vendor().principal.kind.asks_customer() {
            Some(a.principal.value().trim().to_string()).filter(|s| !s.is_empty())
        } else {
            None
        };
        raw.external_id = if asks_external_id(a) {
            Some(a.external_id.value().trim().to_string()).filter(|s| !s.is_empty())
        } else {
            None
        };
    }

    fn review(&self, a: &App) -> Vec<(Option<Field>, &'static str, String)> {
        let principal = match a.preview_answers() {
            Some(x) if x.vendor.principal.kind.given_later() => format!(
                "none yet: {} names it once the key is registered",
                x.vendor.name
            ),
            Some(x) => x.principal,
            None => String::new(),
        };
        let mut rows = vec![(Some(Field::Principal), "Vendor principal", principal)];
        if a.vendor().customer_role.is_some() {
            rows.push((
                Some(Field::ExternalId),
                "External ID",
                a.external_id.value().trim().to_string(),
            ));
        }
        rows
    }

    fn help(&self, a: &App) -> String {
        let v = a.vendor();
        let mut h = format!("{}\n\n{}", v.principal.label, v.principal.help);
        if let Some(r) = &v.customer_role {
            h.push_str(&format!(
                "\n\n{}: {}\n\nbyok creates the role {} in your account: only this principal may assume it, and only with this external ID.\n\nTab moves to the next field; Enter checks it.",
                r.external_id.label, r.external_id.help, r.name
            ));
        }
        h
    }

    fn bindings(&self, a: &App, typing: bool) -> Vec<Binding> {
        let keys = FormKeys {
            fields: asks_external_id(a),
            ..FormKeys::default()
        };
        form_keys(a, typing, keys)
    }

    fn input<'a>(&self, a: &'a App) -> Option<&'a Input> {
        if focus(a) == 1 {
            return Some(&a.external_id);
        }
        a.vendor()
            .principal
            .kind
            .asks_customer()
            .then_some(&a.principal)
    }

    fn input_mut<'a>(&self, a: &'a mut App) -> Option<&'a mut Input> {
        if focus(a) == 1 {
            return Some(&mut a.external_id);
        }
        if a.vendor().principal.kind.asks_customer() {
            Some(&mut a.principal)
        } else {
            None
        }
    }

    fn focused_field(&self, a: &App) -> Option<Field> {
        Some(if focus(a) == 1 {
            Field::ExternalId
        } else {
            Field::Principal
        })
    }

    fn focus_field(&self, a: &mut App, f: Option<Field>) {
        a.steps.principal.focus = usize::from(f == Some(Field::ExternalId));
    }

    fn arrive(&self, a: &mut App) {
        a.steps.principal.focus = 0;
    }

    /// Enter checks the focused field, then moves to the external ID, then on.
    fn enter(&self, a: &mut App) -> Option<Vec<Effect>> {
        if !asks_external_id(a) {
            return checked(a, &[Field::Principal]);
        }
        let f = if focus(a) == 1 {
            Field::ExternalId
        } else {
            Field::Principal
        };
        if let Some(fx) = checked(a, &[f]) {
            return Some(fx);
        }
        if focus(a) == 0 {
            a.steps.principal.focus = 1;
            return Some(Vec::new());
        }
        None
    }

    fn focus_next(&self, a: &mut App) -> Vec<Effect> {
        if asks_external_id(a) && focus(a) == 0 {
            if checked(a, &[Field::Principal]).is_none() {
                a.steps.principal.focus = 1;
            }
            return Vec::new();
        }
        a.next()
    }

    fn focus_prev(&self, a: &mut App) {
        if focus(a) == 1 {
            a.steps.principal.focus = 0;
        } else {
            a.back();
        }
    }

    fn takes_a_name(&self, _a: &App) -> bool {
        true
    }

    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer) {
        v.principal(area, buf)
    }
}

impl View<'_> {
    fn principal(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let v = a.vendor();
        let region = a.region.clone().unwrap_or_default();
        match v.principal.kind.step(v, &region) {
            crate::principal::Step::FromRegion {
                question,
                explain,
                label,
                account,
                note,
            } => {
                let rest = self.question(area, &question, &explain, buf);
                let lines = vec![
                    Line::from(vec![
                        Span::styled(format!("  {label:<20}"), self.t.dim()),
                        Span::styled(account, self.t.title()),
                    ]),
                    Line::from(vec![
                        Span::styled(format!("  {:<20}", "for the Region"), self.t.dim()),
                        Span::raw(v.region_label(&region)),
                    ]),
                    Line::from(vec![
                        Span::styled(format!("  {:<20}", "in the policy as"), self.t.dim()),
                        Span::styled(
                            a.preview_answers().map(|x| x.principal).unwrap_or_default(),
                            self.t.accent(),
                        ),
                    ]),
                    Line::raw(""),
                    Line::styled(note, self.t.dim()),
                ];
                para(lines).render(rest, buf);
            }
            crate::principal::Step::Later {
                question,
                explain,
                phases,
                note,
            } => {
                let rest = self.question(area, &question, &explain, buf);
                let mut lines: Vec<Line> = phases
                    .into_iter()
                    .map(|p| Line::raw(format!("  {p}")))
                    .collect();
                lines.push(Line::raw(""));
                lines.push(Line::styled(note, self.t.dim()));
                para(lines).render(rest, buf);
            }
            crate::principal::Step::Fixed {
                question,
                explain,
                label,
                principal,
                note,
            } => {
                let rest = self.question(area, &question, &explain, buf);
                let lines = vec![
                    Line::from(vec![
                        Span::styled(format!("  {label:<20}"), self.t.dim()),
                        Span::styled(principal, self.t.accent()),
                    ]),
                    Line::raw(""),
                    Line::styled(note, self.t.dim()),
                ];
                para(lines).render(rest, buf);
            }
            crate::principal::Step::Typed {
                question,
                explain,
                input,
                help,
                note,
            } => {
                let role = v.customer_role.as_ref();
                // The vendor's identity only assumes the role; the role uses the key.
                let explain = if role.is_some() {
                    "The vendor's identity that may assume the role byok makes in your account (the role's policies are below the key policy)."
                } else {
                    explain
                };
                let rest = self.question(area, &question, explain, buf);
                let [i, e, help_area] = Layout::vertical([
                    Constraint::Length(2),
                    Constraint::Length(if role.is_some() { 2 } else { 0 }),
                    Constraint::Min(1),
                ])
                .areas(rest);
                let f = focus(a);
                self.input(Rect { height: 1, ..i }, input, &a.principal, f == 0, buf);
                if role.is_some() {
                    self.input(
                        Rect { height: 1, ..e },
                        "External ID",
                        &a.external_id,
                        f == 1,
                        buf,
                    );
                }
                let mut lines = vec![Line::from(vec![
                    Span::styled("Where to find it: ", self.t.accent()),
                    Span::raw(help),
                ])];
                if let Some(r) = role {
                    lines.push(Line::from(vec![
                        Span::styled("External ID: ", self.t.accent()),
                        Span::raw(r.external_id.help.clone()),
                    ]));
                    lines.push(Line::styled(
                        format!(
                            "byok creates the role {} in your account, which only this principal may assume, with this external ID.",
                            r.name
                        ),
                        self.t.dim(),
                    ));
                }
                lines.push(Line::raw(""));
                lines.push(Line::styled(note, self.t.dim()));
                para(lines).render(help_area, buf);
            }
        }
    }
}
