//! The admins step.

use super::prelude::*;

/// The search, the cursor, and the ARNs typed by hand.
#[derive(Debug, Clone)]
pub struct State {
    pub filter: Input,
    /// 0 is the "may delete" toggle; 1.. the filtered rows.
    pub cursor: usize,
    /// ARNs given by hand (flags, or pasted), listed after the account's.
    pub manual: Vec<String>,
}

impl Default for State {
    fn default() -> Self {
        State {
            filter: Input::default(),
            cursor: 1,
            manual: Vec::new(),
        }
    }
}

pub(crate) struct Admins;

impl Step for Admins {
    fn screen(&self) -> Screen {
        Screen::Admins
    }

    fn title(&self) -> &'static str {
        "Admins"
    }

    fn fields(&self) -> &'static [Field] {
        &[Field::Admins]
    }

    fn read(&self, a: &mut App, raw: &RawAnswers) {
        let mut typed = Vec::new();
        for x in &raw.admins {
            if !typed.contains(x) {
                typed.push(x.clone());
            }
        }
        a.admins = typed.clone();
        a.steps.admins.manual = typed;
        a.admins_can_delete = raw.admins_can_delete;
    }

    fn statements(&self, _a: &App, _f: Field) -> Vec<String> {
        vec![policy::ADMIN_SID.to_string()]
    }

    fn given(&self, raw: &RawAnswers, _f: Field) -> bool {
        !raw.admins.is_empty() || raw.admins_can_delete
    }

    fn unset(&self, _a: &App, _f: Field, raw: &mut RawAnswers) -> Option<()> {
        raw.admins.clear();
        raw.admins_can_delete = false;
        Some(())
    }

    fn write(&self, a: &App, raw: &mut RawAnswers) {
        raw.admins = a.admins.clone();
        raw.admins_can_delete = a.admins_can_delete;
    }

    fn review(&self, a: &App) -> Vec<(Option<Field>, &'static str, String)> {
        let admins = if a.admins.is_empty() {
            "none (IAM policies in your account manage it)".to_string()
        } else {
            let names: Vec<String> = a
                .admins
                .iter()
                .map(|x| x.rsplit('/').next().unwrap_or(x).to_string())
                .collect();
            format!(
                "{}{}",
                names.join(", "),
                if a.admins_can_delete {
                    " · may delete"
                } else {
                    " · may not delete"
                }
            )
        };
        vec![(Some(Field::Admins), "Administrators", admins)]
    }

    fn help(&self, _a: &App) -> String {
        "Administrators may change the key's policy, tags, rotation and state, but not use it to encrypt. The account root statement already lets IAM policies in your account manage the key, so this is optional.\n\nType to search (every word typed must match); Enter selects the match under the cursor. With nothing typed, Space selects the row under the cursor. Paste a full ARN and press Enter to add one that is not listed. \"May also delete\" adds kms:ScheduleKeyDeletion and kms:CancelKeyDeletion.".to_string()
    }

    fn bindings(&self, a: &App, typing: bool) -> Vec<Binding> {
        let typed = a.steps.admins.filter.value().trim();
        let enter = if typed.starts_with("arn:") {
            Some("add")
        } else if !typed.is_empty() {
            Some("select")
        } else {
            None
        };
        let mut extra = Vec::new();
        // Space in a text field is text: it selects only when nothing is being typed.
        if a.steps.admins.filter.value().is_empty() {
            extra.push(Binding::new("Space", "select", Action::Toggle).key(K::Char(' ')));
        }
        let keys = FormKeys {
            enter,
            list: true,
            extra,
            ..FormKeys::default()
        };
        form_keys(a, typing, keys)
    }

    fn input<'a>(&self, a: &'a App) -> Option<&'a Input> {
        Some(&a.steps.admins.filter)
    }

    fn input_mut<'a>(&self, a: &'a mut App) -> Option<&'a mut Input> {
        Some(&mut a.steps.admins.filter)
    }

    fn takes_a_name(&self, _a: &App) -> bool {
        true
    }

    /// The box the screen shows, rather than the flag.
    fn message(&self, a: &App, e: &FieldError) -> Option<String> {
        (e.field == Field::Admins && a.admins_can_delete && a.admins.is_empty()).then(|| {
            "Administrators: \"They may also delete the key\" needs at least one administrator: select one, or untick it".into()
        })
    }

    fn spinning(&self, a: &App) -> bool {
        a.identity == Load::Loading || a.principals == Load::Loading
    }

    fn enter(&self, a: &mut App) -> Option<Vec<Effect>> {
        let typed = a.steps.admins.filter.value().trim().to_string();
        if !typed.is_empty() && !typed.starts_with("arn:") {
            // A search: Enter selects (or unselects) the match under the cursor.
            let rows = a.admin_rows();
            match rows.get(a.steps.admins.cursor.max(1) - 1) {
                Some(row) => {
                    let arn = row.arn.clone();
                    match a.admins.iter().position(|x| *x == arn) {
                        Some(i) => {
                            a.admins.remove(i);
                            a.status = Some(format!("Unselected {}", row.name));
                        }
                        None => {
                            a.admins.push(arn);
                            a.status = Some(format!("✓ Selected {}", row.name));
                        }
                    }
                    a.steps.admins.filter.reset();
                    self.after_edit(a);
                }
                None => {
                    a.error = Some(format!(
                        "Administrators: no IAM role or user matches {typed:?}: change the search, or paste a full ARN"
                    ))
                }
            }
            return Some(Vec::new());
        }
        if typed.starts_with("arn:") {
            let region = a.region.clone().unwrap_or_default();
            let checked = answers::check_admin(&region, &typed).and_then(|arn| {
                match (a.account(), crate::arn::Arn::parse(&arn)) {
                    (Some(acct), Ok(x)) if x.account != acct => Err(format!(
                        "{arn} is in account {}, but you are signed in to account {acct}, which will hold the key: administrators must be in that account",
                        x.account
                    )),
                    _ => Ok(arn),
                }
            });
            match checked {
                Ok(arn) => {
                    if !a.steps.admins.manual.contains(&arn)
                        && !a.admin_rows().iter().any(|r| r.arn == arn)
                    {
                        a.steps.admins.manual.push(arn.clone());
                    }
                    if !a.admins.contains(&arn) {
                        a.admins.push(arn.clone());
                    }
                    a.steps.admins.filter.reset();
                    a.status = Some(format!("✓ Added {arn}"));
                }
                Err(m) => a.error = Some(format!("Administrators: {m}")),
            }
            return Some(Vec::new());
        }
        checked(a, self.fields())
    }

    fn move_cursor(&self, a: &mut App, delta: i64) {
        a.steps.admins.cursor = moved(a.steps.admins.cursor, a.admin_rows().len() + 1, delta);
    }

    fn toggle(&self, a: &mut App) {
        if a.steps.admins.cursor == 0 {
            a.admins_can_delete = !a.admins_can_delete;
        } else if let Some(row) = a.admin_rows().get(a.steps.admins.cursor - 1) {
            match a.admins.iter().position(|x| *x == row.arn) {
                Some(i) => {
                    a.admins.remove(i);
                }
                None => a.admins.push(row.arn.clone()),
            }
        }
    }

    /// Typing never puts the cursor on "may delete": on the first match, if any.
    fn after_edit(&self, a: &mut App) {
        a.steps.admins.cursor = 1;
    }

    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer) {
        v.admins(area, buf)
    }
}

impl View<'_> {
    fn admins(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let rest = self.question(
            area,
            "Who may administer the key?",
            "Chosen people and roles get the console's key-administrator permissions. Optional: IAM policies in your account can manage the key anyway.",
            buf,
        );
        let [who, filter, list] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(2),
            Constraint::Min(2),
        ])
        .areas(rest);
        let who_line = match &a.identity {
            Load::Loading => Line::from(vec![
                Span::styled(SPINNER[a.tick % SPINNER.len()], self.t.accent()),
                Span::styled(" Checking who you are signed in as…", self.t.dim()),
            ]),
            Load::Ready(i) if let Some(arn) = i.admin_arn() => Line::from(vec![
                Span::styled("Signed in as ", self.t.dim()),
                Span::styled(
                    arn.rsplit('/').next().unwrap_or(arn).to_string(),
                    self.t.text(),
                ),
                Span::styled(
                    if i.caller_arn.contains(":assumed-role/") {
                        " (the IAM role behind your session)"
                    } else {
                        ""
                    },
                    self.t.dim(),
                ),
            ]),
            // The session's role could not be resolved: say so, offer nothing in its place.
            Load::Ready(_) => Line::from(vec![
                Span::styled("! ", self.t.accent()),
                Span::styled(
                    "Could not resolve the IAM role behind your session (needs iam:GetRole): pick it from the list or type its ARN.",
                    self.t.dim(),
                ),
            ]),
            Load::Failed(e) => Line::from(vec![
                Span::styled("! ", self.t.error()),
                Span::styled(
                    e.explain(a.ctx.profile.as_deref(), &a.vendor().principal.help),
                    self.t.error(),
                ),
            ]),
        };
        let who_lines: Vec<Line> = wrap_spans(who_line.spans, who.width as usize, 2)
            .into_iter()
            .map(Line::from)
            .collect();
        let who_h = who_lines.len() as u16 + 1;
        let (who, filter, list) = if who_h > 2 {
            let extra = who_h - 2;
            (
                Rect {
                    height: who_h.min(who.height + list.height.saturating_sub(3)),
                    ..who
                },
                Rect {
                    y: filter.y + extra,
                    ..filter
                },
                Rect {
                    y: list.y + extra,
                    height: list.height.saturating_sub(extra),
                    ..list
                },
            )
        } else {
            (who, filter, list)
        };
        Paragraph::new(who_lines).render(who, buf);
        self.plain_inputs = true;
        self.input(
            Rect {
                height: 1,
                ..filter
            },
            "Search or paste an ARN ",
            &a.steps.admins.filter,
            true,
            buf,
        );
        self.plain_inputs = false;
        let rows = a.admin_rows();
        let mut lines = vec![Line::from(vec![
            Span::styled(
                if a.steps.admins.cursor == 0 {
                    "› "
                } else {
                    "  "
                },
                self.t.focus(),
            ),
            Span::styled(
                if a.admins_can_delete { "[x] " } else { "[ ] " },
                if a.steps.admins.cursor == 0 {
                    self.t.focus()
                } else {
                    self.t.text()
                },
            ),
            Span::styled(
                "They may also delete the key",
                if a.steps.admins.cursor == 0 {
                    self.t.title()
                } else {
                    self.t.text()
                },
            ),
        ])];
        let visible = list.height.saturating_sub(2).max(1) as usize;
        let cur = a.steps.admins.cursor.saturating_sub(1);
        let start = if a.steps.admins.cursor == 0 {
            0
        } else {
            cur.saturating_sub(visible.saturating_sub(1))
        };
        for (i, r) in rows.iter().enumerate().skip(start).take(visible) {
            let focused = a.steps.admins.cursor == i + 1;
            let selected = a.admins.contains(&r.arn);
            let mut spans = vec![
                Span::styled(if focused { "› " } else { "  " }, self.t.focus()),
                Span::styled(
                    if selected { "[x] " } else { "[ ] " },
                    if focused {
                        self.t.focus()
                    } else {
                        self.t.text()
                    },
                ),
                Span::styled(format!("{:<5} ", r.kind), self.t.dim()),
                Span::styled(
                    ellipsize(
                        &r.name,
                        // "› [x] role  " before, "  (you)" after.
                        (list.width as usize).saturating_sub(if r.is_caller { 19 } else { 12 }),
                    ),
                    if focused {
                        self.t.title()
                    } else {
                        self.t.text()
                    },
                ),
            ];
            if r.is_caller {
                spans.push(Span::styled("  (you)", self.t.accent()));
            }
            lines.push(Line::from(spans));
        }
        match &a.principals {
            Load::Loading => lines.push(Line::from(vec![
                Span::styled(
                    format!("  {} ", SPINNER[a.tick % SPINNER.len()]),
                    self.t.accent(),
                ),
                Span::styled("Loading IAM roles and users…", self.t.dim()),
            ])),
            Load::Failed(e) if !matches!(a.identity, Load::Failed(_)) => lines.push(Line::styled(
                format!(
                    "  ! Could not list IAM roles and users ({}): paste an ARN instead.",
                    short_error(e)
                ),
                self.t.error(),
            )),
            _ => {}
        }
        if rows.len() > visible {
            lines.push(Line::styled(
                format!(
                    "  {} of {}: type to search",
                    visible.min(rows.len()),
                    rows.len()
                ),
                self.t.dim(),
            ));
        }
        let typed = a.steps.admins.filter.value().trim();
        if rows.is_empty() && !typed.is_empty() {
            lines.push(Line::styled(
                if typed.starts_with("arn:") {
                    "  Enter adds this ARN."
                } else {
                    "  Nothing matches: paste a full ARN to add it."
                },
                self.t.dim(),
            ));
        } else if !typed.is_empty() && !typed.starts_with("arn:") {
            lines.push(Line::styled(
                "  Enter selects the match under the cursor.",
                self.t.dim(),
            ));
        }
        lines.insert(
            1,
            Line::styled(format!("  {} selected", a.admins.len()), self.t.dim()),
        );
        Paragraph::new(lines).render(list, buf);
    }
}

/// A row of the administrators list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRow {
    pub arn: String,
    /// "role", "user", or "ARN" for one typed by hand.
    pub kind: String,
    pub name: String,
    pub is_caller: bool,
}

impl App {
    /// The administrators list: the caller first, then IAM, then ARNs typed by hand.
    pub fn admin_rows(&self) -> Vec<AdminRow> {
        let mut rows: Vec<AdminRow> = Vec::new();
        if let Load::Ready(id) = &self.identity
            && let Some(arn) = id.admin_arn()
        {
            rows.push(AdminRow {
                arn: arn.to_string(),
                kind: kind_of(arn),
                name: arn.rsplit('/').next().unwrap_or(arn).to_string(),
                is_caller: true,
            });
        }
        if let Load::Ready(list) = &self.principals {
            for p in list {
                if !rows.iter().any(|r| r.arn == p.arn) {
                    rows.push(AdminRow {
                        arn: p.arn.clone(),
                        kind: p.kind.clone(),
                        name: p.name.clone(),
                        is_caller: false,
                    });
                }
            }
        }
        for a in &self.steps.admins.manual {
            if !rows.iter().any(|r| r.arn == *a) {
                rows.push(AdminRow {
                    arn: a.clone(),
                    kind: "ARN".into(),
                    name: a.rsplit('/').next().unwrap_or(a).to_string(),
                    is_caller: false,
                });
            }
        }
        let f = self.steps.admins.filter.value().trim().to_ascii_lowercase();
        if f.is_empty() || f.starts_with("arn:") {
            return rows;
        }
        // Every word typed, in any order ("key admin" finds KeyAdministrators).
        rows.into_iter()
            .filter(|r| {
                let arn = r.arn.to_ascii_lowercase();
                f.split_whitespace().all(|w| arn.contains(w))
            })
            .collect()
    }
}

fn kind_of(arn: &str) -> String {
    crate::arn::Arn::parse(arn)
        .ok()
        .and_then(|a| a.iam_kind().map(str::to_string))
        .unwrap_or_else(|| "ARN".into())
}
