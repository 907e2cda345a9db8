//! The admins step.

use super::prelude::*;

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

    fn help(&self, _a: &App) -> String {
        "Administrators may change the key's policy, tags, rotation and state, but not use it to encrypt. The account root statement already lets IAM policies in your account manage the key, so this is optional.\n\nType to search (every word typed must match); Enter selects the match under the cursor. With nothing typed, Space selects the row under the cursor. Paste a full ARN and press Enter to add one that is not listed. \"May also delete\" adds kms:ScheduleKeyDeletion and kms:CancelKeyDeletion.".to_string()
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
            &a.admin_filter,
            true,
            buf,
        );
        self.plain_inputs = false;
        let rows = a.admin_rows();
        let mut lines = vec![Line::from(vec![
            Span::styled(
                if a.admin_cursor == 0 { "› " } else { "  " },
                self.t.focus(),
            ),
            Span::styled(
                if a.admins_can_delete { "[x] " } else { "[ ] " },
                if a.admin_cursor == 0 {
                    self.t.focus()
                } else {
                    self.t.text()
                },
            ),
            Span::styled(
                "They may also delete the key",
                if a.admin_cursor == 0 {
                    self.t.title()
                } else {
                    self.t.text()
                },
            ),
        ])];
        let visible = list.height.saturating_sub(2).max(1) as usize;
        let cur = a.admin_cursor.saturating_sub(1);
        let start = if a.admin_cursor == 0 {
            0
        } else {
            cur.saturating_sub(visible.saturating_sub(1))
        };
        for (i, r) in rows.iter().enumerate().skip(start).take(visible) {
            let focused = a.admin_cursor == i + 1;
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
        let typed = a.admin_filter.value().trim();
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
