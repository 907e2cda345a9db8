//! The vendor step.

use super::prelude::*;

/// From this many vendors on, typing filters the list (built-ins and --vendor-file profiles).
pub const FILTER_AT: usize = 8;

/// The list's filter, when the list is long.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub filter: Input,
}

pub(crate) struct Vendor;

/// Whether the list is long enough to filter.
fn filterable(a: &App) -> bool {
    a.ctx.catalog.profiles.len() >= FILTER_AT
}

/// The vendors shown (their index in the catalog): those whose name or id holds the filter,
/// and always "Other vendor".
pub(crate) fn shown(a: &App) -> Vec<usize> {
    let f = a.steps.vendor.filter.value().trim().to_lowercase();
    a.ctx
        .catalog
        .profiles
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            !filterable(a)
                || f.is_empty()
                || p.id == "other"
                || p.name.to_lowercase().contains(&f)
                || p.id.to_lowercase().contains(&f)
        })
        .map(|(i, _)| i)
        .collect()
}

impl Step for Vendor {
    fn screen(&self) -> Screen {
        Screen::Vendor
    }

    fn title(&self) -> &'static str {
        "Vendor"
    }

    fn fields(&self) -> &'static [Field] {
        &[Field::Vendor]
    }

    fn read(&self, a: &mut App, raw: &RawAnswers) {
        a.vendor_idx = raw
            .vendor
            .as_deref()
            .and_then(|v| a.ctx.catalog.profiles.iter().position(|p| p.id == v.trim()))
            .unwrap_or(0);
    }

    fn statements(&self, a: &App, _f: Field) -> Vec<String> {
        vendor_sids(a)
    }

    fn given(&self, raw: &RawAnswers, _f: Field) -> bool {
        raw.vendor.is_some()
    }

    fn unset(&self, _a: &App, _f: Field, _raw: &mut RawAnswers) -> Option<()> {
        None
    }

    fn write(&self, a: &App, raw: &mut RawAnswers) {
        raw.vendor = Some(a.vendor().id.clone());
    }

    fn review(&self, a: &App) -> Vec<(Option<Field>, &'static str, String)> {
        vec![(Some(Field::Vendor), "Vendor", a.vendor().name.clone())]
    }

    fn help(&self, a: &App) -> String {
        let v = a.vendor();
        format!(
            "Choose the SaaS vendor whose Bring Your Own Key feature will use this key. Each vendor needs a different key policy; byok writes it from the vendor's published instructions.\n\nA vendor that is not listed: choose \"Other vendor\", or load a profile with --vendor-file.\n\nF2 (or S, while the list is short enough not to filter) shows the status of the BYOK keys you already have, as `byok status` does; leaving it comes back here.\n\n{}",
            v.docs_url
        )
    }

    fn bindings(&self, a: &App, typing: bool) -> Vec<Binding> {
        // While the list filters, S is typed into the filter: F2 alone opens the status.
        let status = if filterable(a) {
            Binding::new("F2", "status of keys", Action::Status).key(K::F(2))
        } else {
            Binding::new("S", "status of keys", Action::Status)
                .key(K::Char('S'))
                .key(K::F(2))
        };
        let keys = FormKeys {
            list: true,
            first: Some(status),
            ..FormKeys::default()
        };
        form_keys(a, typing, keys)
    }

    fn chooses_vendor(&self) -> bool {
        true
    }

    /// The vendor list always holds a valid choice.
    fn enter(&self, _a: &mut App) -> Option<Vec<Effect>> {
        None
    }

    fn move_cursor(&self, a: &mut App, delta: i64) {
        let shown = shown(a);
        let at = shown.iter().position(|i| *i == a.vendor_idx).unwrap_or(0);
        if let Some(i) = shown.get(moved(at, shown.len(), delta)) {
            a.select_vendor(*i);
        }
    }

    fn input<'a>(&self, a: &'a App) -> Option<&'a Input> {
        filterable(a).then_some(&a.steps.vendor.filter)
    }

    fn input_mut<'a>(&self, a: &'a mut App) -> Option<&'a mut Input> {
        if filterable(a) {
            Some(&mut a.steps.vendor.filter)
        } else {
            None
        }
    }

    /// The filter changed: the choice moves to the first vendor shown, unless it still is.
    fn after_edit(&self, a: &mut App) {
        let shown = shown(a);
        if !shown.contains(&a.vendor_idx)
            && let Some(i) = shown.first()
        {
            a.select_vendor(*i);
        }
    }

    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer) {
        v.vendor(area, buf)
    }
}

impl View<'_> {
    fn vendor(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let rest = self.question(
            area,
            "Which vendor is the key for?",
            "byok sets up the key, its alias and the exact key policy the vendor asks for.",
            buf,
        );
        let mut lines: Vec<Line> = Vec::new();
        if filterable(a) {
            lines.push(Line::from(vec![
                Span::styled("Filter: ", self.t.dim()),
                Span::styled(
                    format!("{}▏", a.steps.vendor.filter.value()),
                    self.t.input(),
                ),
                Span::styled("  type part of the name", self.t.dim()),
            ]));
        }
        lines.extend(shown(a).into_iter().map(|i| {
            let p = &a.ctx.catalog.profiles[i];
            self.choice(
                i == a.vendor_idx,
                i == a.vendor_idx,
                vec![Span::raw(p.name.clone())],
            )
        }));
        lines.push(Line::raw(""));
        let v = a.vendor();
        // Not signed in: the cause and its fix, here on the first screen.
        if let Load::Failed(e) = &a.identity {
            lines.push(Line::from(vec![
                Span::styled("! Not signed in: ", self.t.error()),
                Span::styled(
                    e.explain(a.ctx.profile.as_deref(), &v.principal.help),
                    self.t.error(),
                ),
            ]));
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(v.summary.clone(), self.t.text()));
        // Phase two of an earlier run: where to grant what the vendor returned.
        for w in &a.ctx.waiting {
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled("Phase two? ", self.t.accent()),
                Span::styled(
                    format!(
                        "byok made {} for {} in {}: once {} has returned its principal, open the status screen (F2) and grant it there (f on the key).",
                        w.alias, w.vendor, w.region, w.vendor
                    ),
                    self.t.text(),
                ),
            ]));
        }
        // The link where it fits whole, else below, across the terminal (see `docs_link`).
        if docs_link(a, a.size.0).is_none() {
            lines.push(Line::styled(v.docs_url.clone(), self.t.dim()));
        }
        para(lines).render(rest, buf);
    }
}
