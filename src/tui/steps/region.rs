//! The region step.

use super::prelude::*;

/// The Region list's filter and cursor.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub filter: Input,
    pub cursor: usize,
}

pub(crate) struct Region;

impl Step for Region {
    fn screen(&self) -> Screen {
        Screen::Region
    }

    fn title(&self) -> &'static str {
        "Region"
    }

    fn fields(&self) -> &'static [Field] {
        &[Field::Region]
    }

    /// The account a key lives in goes with its Region.
    fn answers(&self, f: Field) -> bool {
        matches!(f, Field::Region | Field::Account)
    }

    fn read(&self, a: &mut App, raw: &RawAnswers) {
        let vendor = a.vendor();
        a.region = match raw.region.as_deref().map(str::trim) {
            Some(r) if vendor.allows_region(r) => Some(r.to_string()),
            _ => vendor.primary_regions().first().cloned(),
        };
        a.sync_region_cursor();
    }

    /// The vendor's statements, when its principal follows the Region.
    fn statements(&self, a: &App, f: Field) -> Vec<String> {
        if f == Field::Region && a.vendor().principal.kind.follows_region() {
            vendor_sids(a)
        } else {
            Vec::new()
        }
    }

    /// The Region kept when the new vendor has it too.
    fn vendor_changed(&self, a: &mut App, _old: &VendorProfile) {
        let new = a.vendor().clone();
        if !a.region.as_ref().is_some_and(|r| new.allows_region(r)) {
            a.region = new.primary_regions().first().cloned();
        }
        a.steps.region.filter.reset();
        a.sync_region_cursor();
    }

    fn given(&self, raw: &RawAnswers, f: Field) -> bool {
        f == Field::Region && raw.region.is_some()
    }

    fn unset(&self, a: &App, _f: Field, raw: &mut RawAnswers) -> Option<()> {
        raw.region = Some(
            a.vendor()
                .primary_regions()
                .first()
                .cloned()
                .unwrap_or("us-east-1".into()),
        );
        Some(())
    }

    fn write(&self, a: &App, raw: &mut RawAnswers) {
        raw.region = a.region.clone();
    }

    fn review(&self, a: &App) -> Vec<(Option<Field>, &'static str, String)> {
        let v = a.vendor();
        let region = a.region.clone().unwrap_or_default();
        let mut label = v.region_label(&region);
        if let Some(acct) = v.vendor_account(&region) {
            label.push_str(&format!(" · {} account {acct}", v.name));
        }
        vec![(Some(Field::Region), "Region", label)]
    }

    fn help(&self, _a: &App) -> String {
        "The key lives in one AWS Region and can only be used there. Vendors run in fixed Regions: pick the one your vendor account uses.".to_string()
    }

    fn bindings(&self, a: &App, typing: bool) -> Vec<Binding> {
        let keys = FormKeys {
            list: true,
            ..FormKeys::default()
        };
        form_keys(a, typing, keys)
    }

    fn input<'a>(&self, a: &'a App) -> Option<&'a Input> {
        a.region_filterable().then_some(&a.steps.region.filter)
    }

    fn input_mut<'a>(&self, a: &'a mut App) -> Option<&'a mut Input> {
        if a.region_filterable() {
            Some(&mut a.steps.region.filter)
        } else {
            None
        }
    }

    fn takes_a_name(&self, _a: &App) -> bool {
        true
    }

    fn arrive(&self, a: &mut App) {
        a.sync_region_cursor();
    }

    /// A filter that matches no Region is what the user means to answer: checked as
    /// `--region` would be, rather than going on with the Region last under the cursor.
    fn enter(&self, a: &mut App) -> Option<Vec<Effect>> {
        if a.region_filterable()
            && !a.steps.region.filter.value().trim().is_empty()
            && a.region_choices().is_empty()
        {
            let typed = a.steps.region.filter.value().trim().to_string();
            let message = match answers::check_region(a.vendor(), &typed) {
                Err(m) => m,
                Ok(_) => format!("{typed:?} is not in the list: clear the filter to choose"),
            };
            a.error = Some(format!("{}: {message}", Field::Region.label()));
            return Some(Vec::new());
        }
        checked(a, self.fields())
    }

    fn move_cursor(&self, a: &mut App, delta: i64) {
        let choices = a.region_choices();
        a.steps.region.cursor = moved(a.steps.region.cursor, choices.len(), delta);
        if let Some(r) = choices.get(a.steps.region.cursor) {
            a.region = Some(r.clone());
        }
    }

    fn after_edit(&self, a: &mut App) {
        let choices = a.region_choices();
        a.steps.region.cursor = 0;
        if let Some(r) = choices.first() {
            a.region = Some(r.clone());
        }
    }

    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer) {
        v.region(area, buf)
    }
}

impl View<'_> {
    fn region(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let v = a.vendor();
        let explain = match v.regions.len() {
            0 => "Where your vendor's service runs; type to filter.".to_string(),
            1 => format!(
                "{} requires {}.",
                v.name,
                v.region_label(&v.regions[0].code)
            ),
            _ => format!("The regions {} offers.", v.name),
        };
        let mut rest = self.question(area, "Which AWS Region should hold the key?", &explain, buf);
        if a.region_filterable() {
            let [f, r] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(rest);
            self.plain_inputs = true;
            self.input(
                Rect { height: 1, ..f },
                "Filter",
                &a.steps.region.filter,
                true,
                buf,
            );
            self.plain_inputs = false;
            rest = r;
        }
        let choices = a.region_choices();
        // Columns fitted to the width: the Region (its name shortened first, the code kept)
        // and, Gearset-style, the vendor's account under a heading.
        let avail = rest.width.saturating_sub(6) as usize; // "› (•) "
        let accounts: Vec<Option<&str>> = choices.iter().map(|c| v.vendor_account(c)).collect();
        let acct_w = accounts.iter().flatten().map(|a| a.len()).max();
        let heading = acct_w.map(|w| {
            let long = format!("{} account", v.name);
            let title = if w.max(long.chars().count()) + 2 + 20 <= avail {
                long
            } else {
                "account".to_string()
            };
            let col = w.max(title.chars().count());
            (title, col)
        });
        let label_w = choices
            .iter()
            .map(|c| v.region_label(c).chars().count())
            .max()
            .unwrap_or(0)
            .min(match &heading {
                Some((_, col)) => avail.saturating_sub(col + 2),
                None => avail,
            });
        let visible = rest
            .height
            .saturating_sub(2 + u16::from(heading.is_some()))
            .max(1) as usize;
        let start = a
            .steps
            .region
            .cursor
            .saturating_sub(visible.saturating_sub(1));
        let mut lines: Vec<Line> = Vec::new();
        if let Some((title, _)) = &heading {
            lines.push(Line::styled(
                format!("      {:label_w$}  {title}", ""),
                self.t.dim(),
            ));
        }
        lines.extend(
            choices
                .iter()
                .enumerate()
                .skip(start)
                .take(visible)
                .map(|(i, code)| {
                    let label = fit_region_label(&v.region_label(code), code, label_w);
                    let mut spans = vec![Span::raw(format!("{label:<label_w$}"))];
                    if let Some(acct) = accounts[i] {
                        spans.push(Span::styled(format!("  {acct}"), self.t.dim()));
                    }
                    let sel = a.region.as_deref() == Some(code.as_str());
                    self.choice(i == a.steps.region.cursor, sel, spans)
                }),
        );
        if choices.is_empty() {
            lines.push(Line::styled(
                "  No Region matches the filter.",
                self.t.dim(),
            ));
        } else if choices.len() > visible {
            lines.push(Line::styled(
                format!("  {} of {} shown: ↑↓ to see more", visible, choices.len()),
                self.t.dim(),
            ));
        }
        para(lines).render(rest, buf);
    }
}

impl App {
    /// The Regions the Region list offers, after the filter.
    pub fn region_choices(&self) -> Vec<String> {
        let f = self.steps.region.filter.value().trim().to_ascii_lowercase();
        let v = self.vendor();
        v.primary_regions()
            .into_iter()
            .filter(|c| f.is_empty() || v.region_label(c).to_ascii_lowercase().contains(&f))
            .collect()
    }

    /// Whether the Region list is long enough to need a filter.
    pub fn region_filterable(&self) -> bool {
        self.vendor().primary_regions().len() > 8
    }

    pub(crate) fn sync_region_cursor(&mut self) {
        let choices = self.region_choices();
        self.steps.region.cursor = self
            .region
            .as_ref()
            .and_then(|r| choices.iter().position(|c| c == r))
            .unwrap_or(0);
    }
}
