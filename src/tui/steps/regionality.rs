//! The regions step.

use super::prelude::*;

/// The focus, and the second Region.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// 0: the choice list, 1: the second Region's list.
    pub focus: usize,
    /// A vendor with Region pairs: the pair chosen.
    pub second_idx: usize,
    /// A vendor without Region pairs (`other`): the filter of the second Region's list...
    pub second_region: Input,
    /// ...and the Region chosen in it.
    pub second_pick: Option<String>,
    /// The Regions picked with + in that list, for a vendor that takes several (each
    /// gets a replica, or a key of its own), in the order picked.
    pub picked: Vec<String>,
}

pub(crate) struct Regionality;

impl Step for Regionality {
    fn screen(&self) -> Screen {
        Screen::Regionality
    }

    fn title(&self) -> &'static str {
        "Regions"
    }

    fn fields(&self) -> &'static [Field] {
        &[Field::Regionality, Field::ReplicaRegion]
    }

    /// Only a vendor that offers more than one.
    fn applies(&self, a: &App) -> bool {
        a.regionalities().len() > 1
    }

    fn read(&self, a: &mut App, raw: &RawAnswers) {
        a.regionality_idx = raw
            .regionality
            .as_deref()
            .and_then(|r| r.parse::<answers::Regionality>().ok())
            .and_then(|r| a.regionalities().iter().position(|x| *x == r))
            .unwrap_or(0);
        let given: Vec<&str> = raw.replica_regions.iter().map(|r| r.trim()).collect();
        if given.len() > 1 {
            a.steps.regionality.picked = given.iter().map(|r| r.to_string()).collect();
        } else if let Some(r2) = given.first().copied() {
            match a.allowed_second_regions() {
                Some(list) => {
                    if let Some(i) = list.iter().position(|x| x == r2) {
                        a.steps.regionality.second_idx = i;
                    }
                }
                None if a.second_choices().iter().any(|x| x == r2) => {
                    a.steps.regionality.second_pick = Some(r2.to_string())
                }
                // Not one byok offers: kept as typed, for its step to say why.
                None => a.steps.regionality.second_region = Input::new(r2.to_string()),
            }
        }
    }

    /// A Multi-Region key's administrators may also replicate it.
    fn statements(&self, a: &App, _f: Field) -> Vec<String> {
        if a.regionality() == answers::Regionality::MultiRegion && !a.admins.is_empty() {
            vec![policy::ADMIN_SID.to_string()]
        } else {
            Vec::new()
        }
    }

    /// The same choice when the new vendor offers it.
    fn vendor_changed(&self, a: &mut App, old: &VendorProfile) {
        let old_r = old
            .regionalities()
            .get(a.regionality_idx)
            .copied()
            .unwrap_or(answers::Regionality::Single);
        a.regionality_idx = a
            .regionalities()
            .iter()
            .position(|r| *r == old_r)
            .unwrap_or(0);
        a.steps.regionality.second_idx = 0;
        a.steps.regionality.picked.clear();
    }

    fn given(&self, raw: &RawAnswers, f: Field) -> bool {
        match f {
            Field::Regionality => raw.regionality.is_some(),
            Field::ReplicaRegion => !raw.replica_regions.is_empty(),
            _ => false,
        }
    }

    fn unset(&self, _a: &App, _f: Field, raw: &mut RawAnswers) -> Option<()> {
        raw.regionality = None;
        raw.replica_regions.clear();
        Some(())
    }

    fn write(&self, a: &App, raw: &mut RawAnswers) {
        raw.regionality = Some(a.regionality().as_str().to_string());
        raw.replica_regions = a.other_regions_value();
    }

    fn review(&self, a: &App) -> Vec<(Option<Field>, &'static str, String)> {
        let mut r = a.regionality().label().to_string();
        let others = a.other_regions_value();
        if let [r2] = others.as_slice() {
            r.push_str(&format!(" · {}", crate::regions::describe(r2)));
        } else if !others.is_empty() {
            r.push_str(&format!(" · {}", others.join(", ")));
        }
        vec![(Some(Field::Regionality), "Regions", r)]
    }

    fn help(&self, a: &App) -> String {
        a.vendor()
            .dual_region
            .as_ref()
            .map(|d| format!("{}\n\nA Multi-Region key and its replica share key material and key ID: data encrypted in one Region can be decrypted in the other. Two independent keys do not. Multi-Region cannot be turned on later.", d.help))
            .unwrap_or_default()
    }

    fn bindings(&self, a: &App, typing: bool) -> Vec<Binding> {
        let dual = a.regionality().is_dual();
        let mut extra = Vec::new();
        if dual && a.allowed_second_regions().is_some_and(|l| l.len() > 1) {
            extra.push(
                Binding::new("←→", "second Region", Action::Cycle)
                    .key(K::Right)
                    .key(K::Left),
            );
        }
        if a.picks_several()
            && (a.steps.regionality.focus == 1 || a.allowed_second_regions().is_some())
        {
            extra.push(Binding::new("+", "pick several", Action::Toggle).key(K::Char('+')));
        }
        let keys = FormKeys {
            fields: dual && a.allowed_second_regions().is_none(),
            list: true,
            extra,
            ..FormKeys::default()
        };
        form_keys(a, typing, keys)
    }

    fn input<'a>(&self, a: &'a App) -> Option<&'a Input> {
        (a.steps.regionality.focus == 1).then_some(&a.steps.regionality.second_region)
    }

    fn input_mut<'a>(&self, a: &'a mut App) -> Option<&'a mut Input> {
        if a.steps.regionality.focus == 1 {
            Some(&mut a.steps.regionality.second_region)
        } else {
            None
        }
    }

    fn takes_a_name(&self, _a: &App) -> bool {
        true
    }

    fn arrive(&self, a: &mut App) {
        a.steps.regionality.focus = 0;
    }

    /// Two Regions with any second one: Enter goes on to choose it, as Tab does.
    fn enter(&self, a: &mut App) -> Option<Vec<Effect>> {
        if a.steps.regionality.focus == 0
            && a.regionality().is_dual()
            && a.allowed_second_regions().is_none()
        {
            if checked(a, &[Field::Regionality]).is_none() {
                a.focus_second_region();
            }
            return Some(Vec::new());
        }
        checked(a, self.fields())
    }

    fn focus_next(&self, a: &mut App) -> Vec<Effect> {
        if a.steps.regionality.focus != 0 {
            return a.next();
        }
        if checked(a, &[Field::Regionality]).is_none() {
            a.focus_second_region();
        }
        Vec::new()
    }

    fn focus_prev(&self, a: &mut App) {
        if a.steps.regionality.focus > 0 {
            a.steps.regionality.focus = 0;
        } else {
            a.back();
        }
    }

    fn move_cursor(&self, a: &mut App, delta: i64) {
        if a.steps.regionality.focus == 1 {
            let choices = a.second_choices();
            let cur = a
                .steps
                .regionality
                .second_pick
                .as_ref()
                .and_then(|p| choices.iter().position(|c| c == p))
                .unwrap_or(0);
            a.steps.regionality.second_pick =
                choices.get(moved(cur, choices.len(), delta)).cloned();
        } else {
            a.regionality_idx = moved(a.regionality_idx, a.regionalities().len(), delta);
        }
    }

    /// `+` on the Region under the cursor: picked, or no longer, up to the profile's number.
    fn toggle(&self, a: &mut App) {
        let under = match a.allowed_second_regions() {
            Some(list) => list.get(a.steps.regionality.second_idx).cloned(),
            None => a.steps.regionality.second_pick.clone(),
        };
        let Some(r) = under else {
            return;
        };
        let (_, max) = a.vendor().other_regions_range();
        let picked = &mut a.steps.regionality.picked;
        if let Some(i) = picked.iter().position(|p| *p == r) {
            picked.remove(i);
        } else if picked.len() < max {
            picked.push(r);
        } else {
            a.error = Some(format!(
                "{} takes at most {max} Regions besides the primary's: press + on a picked one to drop it",
                a.vendor().name
            ));
        }
    }

    /// The next of the vendor's Region pairs.
    fn cycle(&self, a: &mut App) {
        if let Some(list) = a.allowed_second_regions()
            && !list.is_empty()
        {
            a.steps.regionality.second_idx = (a.steps.regionality.second_idx + 1) % list.len();
        }
    }

    fn after_edit(&self, a: &mut App) {
        a.steps.regionality.second_pick = a.second_choices().first().cloned();
    }

    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer) {
        v.regionality(area, buf)
    }
}

impl View<'_> {
    fn regionality(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let v = a.vendor();
        let help = v
            .dual_region
            .as_ref()
            .map(|d| d.help.clone())
            .unwrap_or_default();
        // A vendor that takes several other Regions says so in the question and the choices.
        let several = v.other_regions_range().1 > 1;
        let question = if several {
            "One Region or more?"
        } else {
            "One Region or two?"
        };
        let rest = self.question(area, question, &help, buf);
        let recommended = v.dual_region.as_ref().map(|d| d.recommended);
        let primary = a.region.clone().unwrap_or_default();
        let picked = &a.steps.regionality.picked;
        let second = if picked.len() > 1 {
            Some(picked.join(", "))
        } else {
            a.second_region_value().or_else(|| {
                a.allowed_second_regions()
                    .and_then(|l| l.get(a.steps.regionality.second_idx).cloned())
            })
        };
        let mut lines = Vec::new();
        for (i, r) in a.regionalities().iter().enumerate() {
            let focused = i == a.regionality_idx && a.steps.regionality.focus == 0;
            let label = match r {
                crate::answers::Regionality::MultiRegion if several => {
                    "Multi-Region primary key + replicas"
                }
                crate::answers::Regionality::TwoKeys if several => {
                    "Independent single-Region keys, one per Region"
                }
                _ => r.label(),
            };
            let mut spans = vec![Span::raw(label.to_string())];
            if Some(*r) == recommended {
                spans.push(Span::styled("  recommended", self.t.accent()));
            }
            lines.push(self.choice(focused, i == a.regionality_idx, spans));
            // Choosing the second Region: the list gets the room of the details.
            if a.steps.regionality.focus == 1 {
                continue;
            }
            let detail = match r {
                crate::answers::Regionality::Single => {
                    format!("one key in {}", crate::regions::describe(&primary))
                }
                crate::answers::Regionality::MultiRegion => format!(
                    "the same key in {} and {}",
                    primary,
                    second.clone().unwrap_or("a second Region".into())
                ),
                crate::answers::Regionality::TwoKeys if picked.len() > 1 => format!(
                    "a separate key in each of {}",
                    second.clone().unwrap_or_default()
                ),
                crate::answers::Regionality::TwoKeys => format!(
                    "a second, separate key in {}",
                    second.clone().unwrap_or("a second Region".into())
                ),
            };
            lines.push(Line::styled(format!("        {detail}"), self.t.dim()));
        }
        lines.push(Line::raw(""));
        let h = wrapped_height(&lines, rest.width).min(rest.height);
        para(lines).render(rest, buf);
        let below = Rect {
            y: rest.y + h,
            height: rest.height - h,
            ..rest
        };
        if a.regionality().is_dual() && below.height > 0 {
            match a.allowed_second_regions() {
                Some(list) => {
                    let name = list
                        .get(a.steps.regionality.second_idx)
                        .map(|r| crate::regions::describe(r))
                        .unwrap_or_else(|| {
                            format!("{} offers no second Region with {primary}", v.name)
                        });
                    let others = a.other_regions_value();
                    let mut lines = vec![if others.len() > 1 {
                        Line::from(vec![
                            Span::styled("  Other Regions  ", self.t.dim()),
                            Span::styled(others.join(", "), self.t.title()),
                        ])
                    } else {
                        Line::from(vec![
                            Span::styled("  Second Region  ", self.t.dim()),
                            Span::styled(name.clone(), self.t.title()),
                        ])
                    }];
                    if a.picks_several() {
                        lines.push(Line::styled(
                            format!("  ←→ {name}; + picks it or drops it"),
                            self.t.dim(),
                        ));
                    }
                    para(lines).render(below, buf);
                }
                // Any second Region: a list like the first one, filtered by typing.
                None if a.steps.regionality.focus == 0 => {
                    let others = a.other_regions_value();
                    let (head, text, style) = match (others.len(), a.second_region_value()) {
                        (2.., _) => ("  Other Regions  ", others.join(", "), self.t.title()),
                        (_, Some(r)) => ("  Second Region  ", v.region_label(&r), self.t.title()),
                        _ => (
                            "  Second Region  ",
                            "Enter to choose it".to_string(),
                            self.t.dim(),
                        ),
                    };
                    Line::from(vec![
                        Span::styled(head, self.t.dim()),
                        Span::styled(text, style),
                    ])
                    .render(below, buf);
                }
                None => {
                    let [f, list] =
                        Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(below);
                    self.plain_inputs = true;
                    self.input(
                        Rect { height: 1, ..f },
                        "Second Region, filter ",
                        &a.steps.regionality.second_region,
                        true,
                        buf,
                    );
                    self.plain_inputs = false;
                    let choices = a.second_choices();
                    let cur = a
                        .steps
                        .regionality
                        .second_pick
                        .as_ref()
                        .and_then(|p| choices.iter().position(|c| c == p))
                        .unwrap_or(0);
                    let visible = list.height.saturating_sub(1).max(1) as usize;
                    let start = cur.saturating_sub(visible.saturating_sub(1));
                    let label_w = list.width.saturating_sub(6) as usize;
                    let mut lines: Vec<Line> = choices
                        .iter()
                        .enumerate()
                        .skip(start)
                        .take(visible)
                        .map(|(i, code)| {
                            let picked = a.steps.regionality.picked.contains(code);
                            let w = label_w.saturating_sub(if picked { 8 } else { 0 });
                            let label = fit_region_label(&v.region_label(code), code, w);
                            let mut spans = vec![Span::raw(label)];
                            if picked {
                                spans.push(Span::styled("  picked", self.t.accent()));
                            }
                            self.choice(i == cur, i == cur || picked, spans)
                        })
                        .collect();
                    if choices.is_empty() {
                        lines.push(Line::styled(
                            "  No Region matches: Enter says why.",
                            self.t.dim(),
                        ));
                    } else if choices.len() > visible {
                        lines.push(Line::styled(
                            format!("  {} of {} shown: ↑↓ to see more", visible, choices.len()),
                            self.t.dim(),
                        ));
                    }
                    if a.picks_several() && lines.len() < list.height as usize {
                        let picked = &a.steps.regionality.picked;
                        let (_, max) = v.other_regions_range();
                        lines.push(Line::styled(
                            if picked.is_empty() {
                                format!("  + picks several, up to {max}")
                            } else {
                                format!("  Picked: {} (Enter takes them)", picked.join(", "))
                            },
                            self.t.dim(),
                        ));
                    }
                    para(lines).render(list, buf);
                }
            }
        }
    }
}

impl App {
    /// The second Regions allowed with the chosen primary; `None` when any Region is.
    pub fn allowed_second_regions(&self) -> Option<Vec<String>> {
        let primary = self.region.clone().unwrap_or_default();
        self.vendor().secondary_regions(&primary)
    }

    /// Whether the vendor takes several Regions besides the primary's (`+` picks each, in the
    /// list of every Region or among the vendor's pairs).
    pub fn picks_several(&self) -> bool {
        self.regionality().is_dual() && self.vendor().other_regions_range().1 > 1
    }

    /// Every Region chosen besides the primary: those picked with `+`, or else the one
    /// under the cursor.
    pub fn other_regions_value(&self) -> Vec<String> {
        if !self.regionality().is_dual() {
            return Vec::new();
        }
        if !self.steps.regionality.picked.is_empty() {
            return self.steps.regionality.picked.clone();
        }
        // A profile that pairs the primary with several Regions and needs more than one:
        // the first ones it lists, as without the flag.
        let primary = self.region.clone().unwrap_or_default();
        if self.vendor().other_regions_range().0 > 1
            && let Some(d) = self.vendor().default_other_regions(&primary)
        {
            return d;
        }
        self.second_region_value().into_iter().collect()
    }

    pub fn second_region_value(&self) -> Option<String> {
        if !self.regionality().is_dual() {
            return None;
        }
        match self.allowed_second_regions() {
            Some(list) => list.get(self.steps.regionality.second_idx).cloned(),
            None => {
                let choices = self.second_choices();
                match &self.steps.regionality.second_pick {
                    Some(p) if choices.contains(p) => Some(p.clone()),
                    // Typed, and no Region matches: checked as typed, to say why.
                    _ if choices.is_empty() => Some(
                        self.steps
                            .regionality
                            .second_region
                            .value()
                            .trim()
                            .to_string(),
                    )
                    .filter(|s| !s.is_empty()),
                    _ => None,
                }
            }
        }
    }

    /// For a vendor without Region pairs: the second Regions to choose from (the Regions byok
    /// knows and the vendor's own, in the primary's partition, but the primary), after the
    /// filter.
    pub fn second_choices(&self) -> Vec<String> {
        if self.allowed_second_regions().is_some() {
            return Vec::new();
        }
        let primary = self.region.clone().unwrap_or_default();
        let partition = crate::regions::partition_of(&primary);
        let f = self
            .steps
            .regionality
            .second_region
            .value()
            .trim()
            .to_ascii_lowercase();
        let mut codes: Vec<String> = crate::regions::REGIONS
            .iter()
            .map(|(c, _)| c.to_string())
            .collect();
        for r in &self.vendor().regions {
            if !codes.contains(&r.code) {
                codes.push(r.code.clone());
            }
        }
        codes
            .into_iter()
            .filter(|c| *c != primary && crate::regions::partition_of(c) == partition)
            .filter(|c| {
                let label = self.vendor().region_label(c).to_ascii_lowercase();
                f.split_whitespace().all(|w| label.contains(w))
            })
            .collect()
    }

    /// The second Region offered first: the one whose code shares the most with the
    /// primary's (eu-west-1: eu-west-2), the first of those in the list.
    fn suggested_second(&self) -> Option<String> {
        let primary = self.region.clone().unwrap_or_default();
        let shared = |c: &String| {
            c.chars()
                .zip(primary.chars())
                .take_while(|(a, b)| a == b)
                .count()
        };
        let choices = self.second_choices();
        let best = choices.iter().map(shared).max()?;
        choices.into_iter().find(|c| shared(c) == best)
    }

    /// To the second Region's list, the suggestion under the cursor when none is chosen.
    pub(crate) fn focus_second_region(&mut self) {
        self.steps.regionality.focus = 1;
        if !self
            .steps
            .regionality
            .second_pick
            .as_ref()
            .is_some_and(|p| self.second_choices().contains(p))
        {
            self.steps.regionality.second_pick = self.suggested_second();
        }
    }
}
