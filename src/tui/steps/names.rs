//! The names step.

use super::prelude::*;

/// Which of its fields has the focus (0: alias, 1: description, 2: tags).
#[derive(Debug, Clone, Default)]
pub struct State {
    pub focus: usize,
}

pub(crate) struct Names;

/// Its fields, in focus order.
const FIELDS: [Field; 3] = [Field::Alias, Field::Description, Field::Tags];

impl Step for Names {
    fn screen(&self) -> Screen {
        Screen::Names
    }

    fn title(&self) -> &'static str {
        "Names"
    }

    fn fields(&self) -> &'static [Field] {
        &FIELDS
    }

    fn read(&self, a: &mut App, raw: &RawAnswers) {
        let key = a.vendor().key.clone();
        a.alias = Input::new(raw.alias.clone().unwrap_or(key.alias.clone()));
        a.description = Input::new(raw.description.clone().unwrap_or(key.description.clone()));
        a.tags = Input::new(raw.tags.join(", "));
    }

    /// The vendor's alias and description, unless changed.
    fn vendor_changed(&self, a: &mut App, old: &VendorProfile) {
        let new = a.vendor().key.clone();
        if a.alias.value() == old.key.alias {
            a.alias = Input::new(new.alias.clone());
        }
        if a.description.value() == old.key.description {
            a.description = Input::new(new.description.clone());
        }
    }

    fn given(&self, raw: &RawAnswers, f: Field) -> bool {
        match f {
            Field::Alias => raw.alias.is_some(),
            Field::Description => raw.description.is_some(),
            Field::Tags => !raw.tags.is_empty(),
            _ => false,
        }
    }

    fn unset(&self, _a: &App, f: Field, raw: &mut RawAnswers) -> Option<()> {
        match f {
            Field::Alias => raw.alias = None,
            Field::Description => raw.description = None,
            _ => raw.tags.clear(),
        }
        Some(())
    }

    fn write(&self, a: &App, raw: &mut RawAnswers) {
        raw.alias = Some(a.alias.value().to_string());
        raw.description = Some(a.description.value().to_string());
        raw.tags = a.tag_list();
    }

    fn review(&self, a: &App) -> Vec<(Option<Field>, &'static str, String)> {
        let tags = a.tag_list();
        vec![
            (
                Some(Field::Alias),
                "Alias",
                answers::normalize_alias(a.alias.value())
                    .unwrap_or_else(|_| a.alias.value().to_string()),
            ),
            (
                Some(Field::Description),
                "Description",
                a.description.value().to_string(),
            ),
            (
                Some(Field::Tags),
                "Tags",
                if tags.is_empty() {
                    "none".into()
                } else {
                    tags.join(", ")
                },
            ),
        ]
    }

    fn help(&self, _a: &App) -> String {
        "The alias is the key's readable name (alias/...): unique per account and Region. The description shows in the AWS console. Tags help your team find and bill the key: KEY=VALUE, separated by commas.\n\nTab moves to the next field; Enter checks it.".to_string()
    }

    fn bindings(&self, a: &App, typing: bool) -> Vec<Binding> {
        let keys = FormKeys {
            fields: true,
            ..FormKeys::default()
        };
        form_keys(a, typing, keys)
    }

    fn input<'a>(&self, a: &'a App) -> Option<&'a Input> {
        Some([&a.alias, &a.description, &a.tags][a.steps.names.focus])
    }

    fn input_mut<'a>(&self, a: &'a mut App) -> Option<&'a mut Input> {
        Some(match a.steps.names.focus {
            0 => &mut a.alias,
            1 => &mut a.description,
            _ => &mut a.tags,
        })
    }

    /// The alias; the description and tags are free text.
    fn takes_a_name(&self, a: &App) -> bool {
        a.steps.names.focus == 0
    }

    fn focused_field(&self, a: &App) -> Option<Field> {
        Some(FIELDS[a.steps.names.focus])
    }

    fn focus_field(&self, a: &mut App, f: Option<Field>) {
        a.steps.names.focus = match f {
            Some(Field::Description) => 1,
            Some(Field::Tags) => 2,
            _ => 0,
        };
    }

    fn arrive(&self, a: &mut App) {
        a.steps.names.focus = 0;
    }

    /// Enter checks the field, then moves to the next one, then on.
    fn enter(&self, a: &mut App) -> Option<Vec<Effect>> {
        if let Some(fx) = checked(a, &[FIELDS[a.steps.names.focus]]) {
            return Some(fx);
        }
        if a.steps.names.focus < 2 {
            a.steps.names.focus += 1;
            return Some(Vec::new());
        }
        None
    }

    fn focus_next(&self, a: &mut App) -> Vec<Effect> {
        if checked(a, &[FIELDS[a.steps.names.focus]]).is_none() {
            if a.steps.names.focus < 2 {
                a.steps.names.focus += 1;
            } else {
                return a.next();
            }
        }
        Vec::new()
    }

    fn focus_prev(&self, a: &mut App) {
        if a.steps.names.focus > 0 {
            a.steps.names.focus -= 1;
        } else {
            a.back();
        }
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
                a.steps.names.focus == i,
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

impl App {
    pub fn tag_list(&self) -> Vec<String> {
        self.tags
            .value()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}
