//! The access step.

use super::prelude::*;

pub(crate) struct Principal;

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
        a.external_id = raw.external_id.clone();
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
        raw.external_id = if a.vendor().customer_role.is_some() {
            a.external_id.clone()
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
                a.external_id.clone().unwrap_or_default(),
            ));
        }
        rows
    }

    fn help(&self, a: &App) -> String {
        let v = a.vendor();
        format!("{}\n\n{}", v.principal.label, v.principal.help)
    }

    fn input<'a>(&self, a: &'a App) -> Option<&'a Input> {
        a.vendor()
            .principal
            .kind
            .asks_customer()
            .then_some(&a.principal)
    }

    fn input_mut<'a>(&self, a: &'a mut App) -> Option<&'a mut Input> {
        if a.vendor().principal.kind.asks_customer() {
            Some(&mut a.principal)
        } else {
            None
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
            crate::principal::Step::Typed {
                question,
                explain,
                input,
                help,
                note,
            } => {
                let rest = self.question(area, &question, explain, buf);
                let [i, help_area] =
                    Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(rest);
                self.input(Rect { height: 1, ..i }, input, &a.principal, true, buf);
                let lines = vec![
                    Line::from(vec![
                        Span::styled("Where to find it: ", self.t.accent()),
                        Span::raw(help),
                    ]),
                    Line::raw(""),
                    Line::styled(note, self.t.dim()),
                ];
                para(lines).render(help_area, buf);
            }
        }
    }
}
