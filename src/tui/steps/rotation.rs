//! The rotation step.

use super::prelude::*;

/// The focus: 0 rotation, 1 the alerts address.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub focus: usize,
}

pub(crate) struct Rotation;

impl Step for Rotation {
    fn screen(&self) -> Screen {
        Screen::Rotation
    }

    fn title(&self) -> &'static str {
        "Rotation"
    }

    fn fields(&self) -> &'static [Field] {
        &[Field::RotationDays, Field::AlertsEmail]
    }

    fn read(&self, a: &mut App, raw: &RawAnswers) {
        a.rotation_on = !raw.no_rotation;
        a.rotation_days = Input::new(
            raw.rotation_days
                .clone()
                .unwrap_or(answers::DEFAULT_ROTATION_DAYS.to_string()),
        );
        a.alerts_email = Input::new(raw.alerts_email.clone().unwrap_or_default());
    }

    fn given(&self, raw: &RawAnswers, f: Field) -> bool {
        match f {
            Field::RotationDays => raw.rotation_days.is_some(),
            _ => raw.alerts_email.is_some(),
        }
    }

    fn unset(&self, _a: &App, f: Field, raw: &mut RawAnswers) -> Option<()> {
        match f {
            Field::RotationDays => raw.rotation_days = None,
            _ => raw.alerts_email = None,
        }
        Some(())
    }

    fn write(&self, a: &App, raw: &mut RawAnswers) {
        raw.rotation_days = a
            .rotation_on
            .then(|| a.rotation_days.value().trim().to_string());
        raw.no_rotation = !a.rotation_on;
        raw.alerts_email =
            Some(a.alerts_email.value().trim().to_string()).filter(|s| !s.is_empty());
    }

    fn review(&self, a: &App) -> Vec<(Option<Field>, &'static str, String)> {
        let mut rows = vec![(
            Some(Field::RotationDays),
            "Rotation",
            if a.rotation_on {
                format!("automatic, every {} days", a.rotation_days.value().trim())
            } else {
                "off".into()
            },
        )];
        let email = a.alerts_email.value().trim();
        if !email.is_empty() {
            rows.push((
                Some(Field::AlertsEmail),
                "Alerts",
                format!("mail {email} (needs a CloudTrail trail; confirm the mail AWS sends)"),
            ));
        }
        rows
    }

    fn help(&self, a: &App) -> String {
        let v = a.vendor();
        format!(
            "Automatic rotation makes new key material every N days (90 to 2560). Ctrl-T turns it on or off (Space too while it is off: while the days show, Space is typed). Old material is kept, so everything encrypted before still decrypts; the key ID and ARN do not change.\n\n{}",
            v.key.rotation_note
        )
    }

    fn bindings(&self, a: &App, typing: bool) -> Vec<Binding> {
        // Space in a text field is text: it toggles only while the days do not show.
        let toggle = if a.rotation_on {
            Binding::new("^T", "on/off", Action::Toggle).ctrl('t')
        } else {
            Binding::new("Space", "on/off", Action::Toggle)
                .key(K::Char(' '))
                .ctrl('t')
        };
        // The optional alerts address: the screen says Tab reaches it.
        let keys = FormKeys {
            tab_focus: true,
            extra: vec![toggle],
            ..FormKeys::default()
        };
        form_keys(a, typing, keys)
    }

    fn input<'a>(&self, a: &'a App) -> Option<&'a Input> {
        if a.steps.rotation.focus == 1 {
            Some(&a.alerts_email)
        } else {
            a.rotation_on.then_some(&a.rotation_days)
        }
    }

    fn input_mut<'a>(&self, a: &'a mut App) -> Option<&'a mut Input> {
        if a.steps.rotation.focus == 1 {
            Some(&mut a.alerts_email)
        } else if a.rotation_on {
            Some(&mut a.rotation_days)
        } else {
            None
        }
    }

    fn takes_a_name(&self, _a: &App) -> bool {
        true
    }

    fn focused_field(&self, a: &App) -> Option<Field> {
        Some(self.fields()[a.steps.rotation.focus])
    }

    fn focus_field(&self, a: &mut App, f: Option<Field>) {
        a.steps.rotation.focus = usize::from(f == Some(Field::AlertsEmail));
    }

    fn arrive(&self, a: &mut App) {
        a.steps.rotation.focus = 0;
    }

    /// Enter moves on (the address is optional: Tab reaches it); a problem in either answer
    /// stops here, with the focus on it.
    fn enter(&self, a: &mut App) -> Option<Vec<Effect>> {
        let errs = a.field_errors(self.fields());
        if let Some(e) = errs.first() {
            a.steps.rotation.focus = usize::from(e.field == Field::AlertsEmail);
        }
        a.block(errs).then(Vec::new)
    }

    fn focus_next(&self, a: &mut App) -> Vec<Effect> {
        if a.steps.rotation.focus != 0 {
            return a.next();
        }
        if checked(a, &[Field::RotationDays]).is_none() {
            a.steps.rotation.focus = 1;
        }
        Vec::new()
    }

    fn focus_prev(&self, a: &mut App) {
        if a.steps.rotation.focus > 0 {
            a.steps.rotation.focus = 0;
        } else {
            a.back();
        }
    }

    fn toggle(&self, a: &mut App) {
        if a.steps.rotation.focus == 0 {
            a.rotation_on = !a.rotation_on;
        }
    }

    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer) {
        v.rotation(area, buf)
    }
}

impl View<'_> {
    fn rotation(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let v = a.vendor();
        let rest = self.question(
            area,
            "Rotate the key automatically?",
            "KMS makes new key material on schedule; the key ID and ARN stay the same.",
            buf,
        );
        let [toggle, days, note, alerts] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(3),
            Constraint::Min(1),
            Constraint::Length(4),
        ])
        .areas(rest);
        self.alerts_field(alerts, buf);
        Line::from(vec![
            Span::styled("  ", self.t.focus()),
            Span::styled(if a.rotation_on { "[x] " } else { "[ ] " }, self.t.focus()),
            Span::styled("Automatic rotation", self.t.title()),
            Span::styled(
                if a.rotation_on {
                    "   Ctrl-T turns it off"
                } else {
                    "   Space turns it on"
                },
                self.t.dim(),
            ),
        ])
        .render(toggle, buf);
        if a.rotation_on {
            self.input(
                Rect {
                    height: 1,
                    width: days.width.min(40),
                    ..days
                },
                "Every (days) ",
                &a.rotation_days,
                a.steps.rotation.focus == 0,
                buf,
            );
            Line::styled("  90 to 2560; 365 is the default", self.t.dim()).render(
                Rect {
                    y: days.y + 1,
                    height: 1,
                    ..days
                },
                buf,
            );
        } else {
            Line::styled(
                "  The key keeps its key material until you rotate it.",
                self.t.dim(),
            )
            .render(days, buf);
        }
        para(Line::raw(v.key.rotation_note.clone())).render(note, buf);
    }
    /// The optional alerts address under the rotation (Tab moves to it).
    fn alerts_field(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        Line::styled(
            "  Alerts (optional, Tab): mail when the vendor's access is broken",
            self.t.dim(),
        )
        .render(Rect { height: 1, ..area }, buf);
        self.input(
            Rect {
                y: area.y + 1,
                height: 1,
                width: area.width.min(60),
                ..area
            },
            "Address ",
            &a.alerts_email,
            a.steps.rotation.focus == 1,
            buf,
        );
        Line::styled(
            "  Needs a CloudTrail trail; AWS mails a confirmation link.",
            self.t.dim(),
        )
        .render(
            Rect {
                y: area.y + 2,
                height: 1,
                ..area
            },
            buf,
        );
    }
}
