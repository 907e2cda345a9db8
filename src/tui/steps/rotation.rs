//! The rotation step.

use super::prelude::*;

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

    fn help(&self, a: &App) -> String {
        let v = a.vendor();
        format!(
            "Automatic rotation makes new key material every N days (90 to 2560). Ctrl-T turns it on or off (Space too while it is off: while the days show, Space is typed). Old material is kept, so everything encrypted before still decrypts; the key ID and ARN do not change.\n\n{}",
            v.key.rotation_note
        )
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
                a.rotation_focus == 0,
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
            a.rotation_focus == 1,
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
