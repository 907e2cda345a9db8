//! The values step: what the vendor asks the customer to type into its condition (the
//! profile's `values`, `--set NAME=VALUE`), one input each, checked as typed. Only for a
//! vendor that declares some.

use super::prelude::*;

/// One input per value the vendor declares, in its order, and the focused one.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub inputs: Vec<Input>,
    pub focus: usize,
}

pub(crate) struct Values;

/// The value `name` from `NAME=VALUE` answers.
fn given<'r>(raw: &'r RawAnswers, name: &str) -> Option<&'r str> {
    raw.values
        .iter()
        .filter_map(|g| g.split_once('='))
        .find(|(n, _)| n.trim() == name)
        .map(|(_, v)| v)
}

/// The inputs for `vendor`'s values, from `raw` where it gives them.
fn inputs(vendor: &VendorProfile, raw: &RawAnswers) -> Vec<Input> {
    vendor
        .values
        .iter()
        .map(|v| Input::new(given(raw, &v.name).unwrap_or_default().to_string()))
        .collect()
}

impl Step for Values {
    fn screen(&self) -> Screen {
        Screen::Values
    }

    fn title(&self) -> &'static str {
        "Values"
    }

    fn fields(&self) -> &'static [Field] {
        &[Field::Value]
    }

    fn applies(&self, a: &App) -> bool {
        !a.vendor().values.is_empty()
    }

    fn read(&self, a: &mut App, raw: &RawAnswers) {
        a.steps.values.inputs = inputs(a.vendor(), raw);
        a.steps.values.focus = 0;
    }

    fn vendor_changed(&self, a: &mut App, _old: &VendorProfile) {
        a.steps.values.inputs = inputs(a.vendor(), &RawAnswers::default());
        a.steps.values.focus = 0;
    }

    fn statements(&self, a: &App, _f: Field) -> Vec<String> {
        a.vendor()
            .statements
            .iter()
            .filter(|s| {
                s.condition
                    .as_ref()
                    .is_some_and(crate::vendor::is_placeholder)
            })
            .map(|s| s.sid.clone())
            .collect()
    }

    fn given(&self, raw: &RawAnswers, _f: Field) -> bool {
        !raw.values.is_empty()
    }

    /// The preview shows a value not typed (or not valid) yet as its placeholder.
    fn unset(&self, _a: &App, _f: Field, raw: &mut RawAnswers) -> Option<()> {
        raw.preview_values = true;
        Some(())
    }

    fn write(&self, a: &App, raw: &mut RawAnswers) {
        raw.values = a
            .vendor()
            .values
            .iter()
            .zip(&a.steps.values.inputs)
            .filter(|(_, i)| !i.value().trim().is_empty())
            .map(|(v, i)| format!("{}={}", v.name, i.value().trim()))
            .collect();
    }

    fn review(&self, a: &App) -> Vec<(Option<Field>, &'static str, String)> {
        a.vendor()
            .values
            .iter()
            .zip(&a.steps.values.inputs)
            .map(|(v, i)| {
                (
                    Some(Field::Value),
                    "Vendor value",
                    format!("{}: {}", v.label, i.value().trim()),
                )
            })
            .collect()
    }

    fn help(&self, a: &App) -> String {
        let mut out = String::from(
            "The vendor's statement holds a value of yours in its condition, so that its access is for you only. It is matched exactly: no wildcard.",
        );
        for v in &a.vendor().values {
            out.push_str(&format!("\n\n{}\n{}", v.label, v.help));
        }
        out
    }

    fn bindings(&self, a: &App, typing: bool) -> Vec<Binding> {
        let keys = FormKeys {
            fields: a.vendor().values.len() > 1,
            ..FormKeys::default()
        };
        form_keys(a, typing, keys)
    }

    fn input<'a>(&self, a: &'a App) -> Option<&'a Input> {
        a.steps.values.inputs.get(a.steps.values.focus)
    }

    fn input_mut<'a>(&self, a: &'a mut App) -> Option<&'a mut Input> {
        let i = a.steps.values.focus;
        a.steps.values.inputs.get_mut(i)
    }

    fn takes_a_name(&self, _a: &App) -> bool {
        true
    }

    fn arrive(&self, a: &mut App) {
        if a.steps.values.inputs.len() != a.vendor().values.len() {
            a.steps.values.inputs = inputs(a.vendor(), &RawAnswers::default());
        }
        a.steps.values.focus = 0;
    }

    /// A problem stops here, with the focus on the value it is about.
    fn enter(&self, a: &mut App) -> Option<Vec<Effect>> {
        let errs = a.field_errors(self.fields());
        if let Some(e) = errs.first()
            && let Some(i) = a
                .vendor()
                .values
                .iter()
                .position(|v| e.message.starts_with(&format!("{}: ", v.name)))
        {
            a.steps.values.focus = i;
        }
        a.block(errs).then(Vec::new)
    }

    fn focus_next(&self, a: &mut App) -> Vec<Effect> {
        if a.steps.values.focus + 1 < a.steps.values.inputs.len() {
            a.steps.values.focus += 1;
            return Vec::new();
        }
        a.next()
    }

    fn focus_prev(&self, a: &mut App) {
        if a.steps.values.focus > 0 {
            a.steps.values.focus -= 1;
        } else {
            a.back();
        }
    }

    /// In the profile's words: its label, not the flag.
    fn message(&self, a: &App, e: &FieldError) -> Option<String> {
        let (name, rest) = e.message.split_once(": ")?;
        let v = a.vendor().values.iter().find(|v| v.name == name)?;
        Some(format!("{}: {rest}", v.label))
    }

    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer) {
        v.values(area, buf)
    }
}

impl View<'_> {
    fn values(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let vendor = a.vendor();
        let mut rest = self.question(
            area,
            &format!("What {} needs from you", vendor.name),
            "Its statement's condition holds this value, so that its access is for you only.",
            buf,
        );
        for (i, (spec, input)) in vendor.values.iter().zip(&a.steps.values.inputs).enumerate() {
            if rest.height < 3 {
                break;
            }
            let label = format!("{} ", spec.label);
            self.input(
                Rect { height: 1, ..rest },
                &label,
                input,
                a.steps.values.focus == i,
                buf,
            );
            let help = vec![
                Line::from(vec![
                    Span::styled("Where to find it: ", self.t.accent()),
                    Span::raw(spec.help.clone()),
                ]),
                Line::raw(""),
            ];
            let h = wrapped_height(&help, rest.width).min(rest.height - 1);
            para(help).render(
                Rect {
                    y: rest.y + 1,
                    height: h,
                    ..rest
                },
                buf,
            );
            rest = Rect {
                y: rest.y + 1 + h,
                height: rest.height - 1 - h,
                ..rest
            };
        }
        Line::styled(
            "byok checks its form now: the pattern the vendor documents, and never a wildcard.",
            self.t.dim(),
        )
        .render(rest, buf);
    }
}
