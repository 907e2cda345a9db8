//! The names step.

use super::prelude::*;

pub(crate) struct Names;

impl Step for Names {
    fn screen(&self) -> Screen {
        Screen::Names
    }

    fn title(&self) -> &'static str {
        "Names"
    }

    fn fields(&self) -> &'static [Field] {
        &[Field::Alias, Field::Description, Field::Tags]
    }

    fn help(&self, _a: &App) -> String {
        "The alias is the key's readable name (alias/...): unique per account and Region. The description shows in the AWS console. Tags help your team find and bill the key: KEY=VALUE, separated by commas.\n\nTab moves to the next field; Enter checks it.".to_string()
    }

    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer) {
        v.names(area, buf)
    }
}

impl View<'_> {
    fn names(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let rest = self.question(
            area,
            "Name the key",
            "The vendor's suggestions are filled in; change them if your team has a convention.",
            buf,
        );
        let rows = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Length(2),
            Constraint::Min(0),
        ])
        .split(rest);
        let hints = [
            "letters, digits, / _ -",
            "shown in the AWS console",
            "optional: KEY=VALUE, separated by commas",
        ];
        for (i, (label, input)) in [
            ("Alias", &a.alias),
            ("Description", &a.description),
            ("Tags", &a.tags),
        ]
        .into_iter()
        .enumerate()
        {
            self.input(
                rows[i * 2],
                &format!("{label:<12}"),
                input,
                a.names_focus == i,
                buf,
            );
            Line::styled(format!("   {:<12}{}", "", hints[i]), self.t.dim())
                .render(rows[i * 2 + 1], buf);
        }
        let mut notes = vec![Line::styled(
            "byok also tags the key byok:managed-by, byok:vendor, byok:alias and byok:role, so a re-run finds it.",
            self.t.dim(),
        )];
        if a.regionality() == crate::answers::Regionality::TwoKeys {
            notes.push(Line::styled(
                format!(
                    "The second key is named with {} added.",
                    a.vendor().key.secondary_alias_suffix
                ),
                self.t.dim(),
            ));
        }
        para(notes).render(rows[6], buf);
    }
}
