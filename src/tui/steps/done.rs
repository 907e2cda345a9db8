//! The done step.

use super::prelude::*;

pub(crate) struct Done;

/// Phase two, for a vendor that names its principal only once the key ARN is registered with
/// it: what the customer pastes, then the grant's plan (the same as `byok grant` and the
/// status screen's), asked for, then sent.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub phase: Phase,
}

#[derive(Debug, Clone, Default)]
pub enum Phase {
    #[default]
    Idle,
    Pasting {
        input: Input,
        error: Option<String>,
    },
    Planning {
        text: String,
    },
    Confirm(Box<crate::status::ActionPlan>),
    Applying,
    /// What happened, in words.
    Finished(Result<String, String>),
}

/// One value on the Done screen, with the key that copies it.
pub(crate) struct Item {
    /// The frame's title.
    pub title: String,
    /// What the copy key's label says after "copy".
    pub short: String,
    pub value: String,
}

/// What the Done screen shows, in order: each key's ARN with its role, Region and alias; or,
/// for a vendor whose profile lists what it asks to have pasted back, exactly those values.
pub(crate) fn items(run: &crate::tui::app::RunState) -> Vec<Item> {
    let v = &run.answers.vendor;
    if v.paste_back.is_empty() {
        return run
            .keys
            .iter()
            .map(|k| Item {
                title: format!(
                    " {} · {} · {} ",
                    key_name(run.answers.regionality, k.role),
                    crate::regions::describe(&k.region),
                    k.alias.as_deref().unwrap_or("")
                ),
                short: k.role.as_str().to_string(),
                value: k.arn.clone(),
            })
            .collect();
    }
    crate::exec::paste_back(v, &run.keys, run.role.as_ref())
        .into_iter()
        .map(|p| Item {
            title: format!(
                " {} · {} · paste into {} ",
                p.what.label(),
                crate::regions::describe(&p.region),
                v.name
            ),
            short: p.label.to_ascii_lowercase(),
            value: p.value,
        })
        .collect()
}

impl Step for Done {
    fn screen(&self) -> Screen {
        Screen::Done
    }

    fn title(&self) -> &'static str {
        "Done"
    }

    fn help(&self, _a: &App) -> String {
        "Copy an ARN with its key (OSC 52, tmux or a local clipboard tool; byok says which worked), or save them all to a file.".to_string()
    }

    fn whole_screen(&self) -> bool {
        true
    }

    /// What was copied or saved stays on the screen.
    fn keeps_status(&self) -> bool {
        true
    }

    fn input<'a>(&self, a: &'a App) -> Option<&'a Input> {
        match &a.steps.done.phase {
            Phase::Pasting { input, .. } => Some(input),
            _ => None,
        }
    }

    fn input_mut<'a>(&self, a: &'a mut App) -> Option<&'a mut Input> {
        match &mut a.steps.done.phase {
            Phase::Pasting { input, error } => {
                *error = None;
                Some(input)
            }
            _ => None,
        }
    }

    fn spinning(&self, a: &App) -> bool {
        matches!(a.steps.done.phase, Phase::Planning { .. } | Phase::Applying)
    }

    fn bindings(&self, a: &App, _typing: bool) -> Vec<Binding> {
        use Action::*;
        let mut b = Vec::new();
        match &a.steps.done.phase {
            Phase::Pasting { .. } => {
                b.push(Binding::new("Enter", "plan the grant", PlanGrant).key(K::Enter));
                b.push(Binding::new("Esc", "cancel", CancelGrant).key(K::Esc));
                b.push(Binding::new("^C", "quit", Quit).ctrl('c'));
                return b;
            }
            Phase::Confirm(_) => {
                b.push(Binding::new("y", "grant", ApplyGrant).key(K::Char('y')));
                b.push(
                    Binding::new("n", "cancel", CancelGrant)
                        .key(K::Char('n'))
                        .key(K::Esc),
                );
                b.push(Binding::new("^C", "quit", Quit).ctrl('c'));
                return b;
            }
            Phase::Planning { .. } | Phase::Applying => {
                b.push(Binding::new("^C", "quit", Quit).ctrl('c'));
                return b;
            }
            Phase::Idle | Phase::Finished(_) => {}
        }
        let items = a.run.as_ref().map(items).unwrap_or_default();
        let n = items.len();
        if n == 1 {
            let label = if a
                .run
                .as_ref()
                .is_some_and(|r| r.answers.vendor.paste_back.is_empty())
            {
                "copy ARN".to_string()
            } else {
                format!("copy {}", items[0].short)
            };
            b.push(
                Binding::new("c", label, Copy(0))
                    .key(K::Char('c'))
                    .key(K::Char('1')),
            );
        } else {
            for i in 0..n.min(9) {
                let hint: &'static str = ["1", "2", "3", "4", "5", "6", "7", "8", "9"][i];
                let label = format!("copy {}", items[i].short);
                b.push(Binding::new(hint, label, Copy(i)).key(K::Char(char::from(b'1' + i as u8))));
            }
        }
        if a.grant_command().is_some() {
            b.push(
                Binding::new("p", "paste what the vendor gave you", PasteGrant).key(K::Char('p')),
            );
            b.push(Binding::new("g", "copy grant command", CopyGrant).key(K::Char('g')));
        }
        b.push(Binding::new("s", "save ARNs", SaveArns).key(K::Char('s')));
        b.push(Binding::new("r", "save record", SaveRecord).key(K::Char('r')));
        b.push(
            Binding::new("q", "quit", Quit)
                .key(K::Char('q'))
                .key(K::Enter)
                .key(K::Esc)
                .ctrl('c'),
        );
        b
    }

    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer) {
        v.done(area, buf)
    }
}

impl View<'_> {
    fn done(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let Some(run) = &a.run else { return };
        let n = run.keys.len();
        let items = items(run);
        let lines = vec![
            Line::from(vec![
                Span::styled("✓ ", self.t.ok()),
                Span::styled(
                    format!(
                        "Your key{} for {} {} {}",
                        if n > 1 { "s" } else { "" },
                        run.answers.vendor.name,
                        if n > 1 { "are" } else { "is" },
                        if run.answers.vendor.principal.kind.given_later() {
                            "made: phase one of two"
                        } else {
                            "ready"
                        }
                    ),
                    self.t.title(),
                ),
            ]),
            Line::raw(""),
        ];
        let head_h = wrapped_height(&lines, area.width).min(area.height);
        para(lines).render(area, buf);
        let mut y = area.y + head_h;
        // Each ARN whole, with the key that copies it: in its own frame when the frame fits
        // around it, else on lines of its own with no border beside it (a mouse selection
        // takes the ARN and nothing else). The ARNs come first; what follows gets the rest.
        for (i, item) in items.iter().enumerate() {
            let hint = if items.len() == 1 {
                "c".to_string()
            } else {
                (i + 1).to_string()
            };
            let title = item.title.clone();
            let arn_w = item.value.chars().count();
            if arn_w + 2 <= area.width as usize {
                let h = 3;
                if y + h > area.bottom() {
                    break;
                }
                let title_w = (area.width as usize).saturating_sub(4);
                let block = Block::default()
                    .borders(Borders::ALL)
                    .border_type(BorderType::Rounded)
                    .border_style(self.t.dim())
                    .title(Span::styled(ellipsize(&title, title_w), self.t.text()))
                    .title_bottom(
                        Line::from(vec![
                            Span::styled(format!(" {hint}"), self.t.key_hint()),
                            Span::styled(" copy ", self.t.dim()),
                        ])
                        .right_aligned(),
                    );
                let r = Rect {
                    y,
                    height: h,
                    ..area
                };
                let inner = block.inner(r);
                block.render(r, buf);
                Line::styled(item.value.clone(), self.t.arn()).render(inner, buf);
                y += h + 1;
            } else {
                // The terminal's whole width for the ARN, with nothing beside it.
                let full = Rect {
                    x: area.x.saturating_sub(1),
                    width: (area.width + 2).min(buf.area.width),
                    ..area
                };
                let rows = arn_w.div_ceil(full.width.max(1) as usize) as u16;
                if y + 1 + rows > area.bottom() {
                    break;
                }
                let label = Line::from(vec![
                    Span::styled(hint.clone(), self.t.key_hint()),
                    Span::styled(" copy ", self.t.dim()),
                    Span::styled(
                        ellipsize(title.trim(), (area.width as usize).saturating_sub(8)),
                        self.t.text(),
                    ),
                ]);
                label.render(
                    Rect {
                        y,
                        height: 1,
                        ..area
                    },
                    buf,
                );
                let chars: Vec<char> = item.value.chars().collect();
                for (j, row) in chars.chunks(full.width.max(1) as usize).enumerate() {
                    Line::styled(row.iter().collect::<String>(), self.t.arn()).render(
                        Rect {
                            y: y + 1 + j as u16,
                            height: 1,
                            ..full
                        },
                        buf,
                    );
                }
                y += 1 + rows + 1;
            }
        }
        let rest = Rect {
            y: y.min(area.bottom()),
            height: area.bottom().saturating_sub(y),
            ..area
        };
        let mut lines = Vec::new();
        // The role the vendor assumes: the vendor asks for its ARN beside the key's.
        if let Some(r) = run.role.as_ref().filter(|_| {
            !run.answers
                .vendor
                .paste_back
                .contains(&crate::vendor::PasteBack::RoleArn)
        }) {
            lines.push(Line::from(vec![
                Span::styled("Role the vendor assumes: ", self.t.dim()),
                Span::styled(r.arn.clone(), self.t.arn()),
            ]));
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled("Next", self.t.title()));
        if let Some(cmd) = a.grant_command() {
            let v = &run.answers.vendor;
            match &a.steps.done.phase {
                Phase::Idle => {
                    lines.push(Line::raw(format!(
                        "Phase one is done: {} cannot use the key yet. {}",
                        v.name, v.next_step
                    )));
                    lines.push(Line::raw(""));
                    lines.push(Line::from(vec![
                        Span::styled("Phase two  ", self.t.title()),
                        Span::styled("p", self.t.key_hint()),
                        Span::styled(
                            format!(" paste what {} gave you here, or ", v.name),
                            self.t.dim(),
                        ),
                        Span::styled("g", self.t.key_hint()),
                        Span::styled(" copy the command:", self.t.dim()),
                    ]));
                    lines.push(Line::styled(cmd, self.t.arn()));
                }
                Phase::Pasting { input, error } => {
                    lines = vec![Line::styled(
                        format!("Phase two: paste what {} gave you", v.name),
                        self.t.title(),
                    )];
                    lines.push(Line::styled(
                        format!(
                            "The {} (one or more, separated by spaces), or the whole statement it returned. {}",
                            v.principal.label, v.principal.help
                        ),
                        self.t.dim(),
                    ));
                    let h = wrapped_height(&lines, rest.width);
                    para(lines).render(rest, buf);
                    let at = Rect {
                        y: (rest.y + h + 1).min(rest.bottom().saturating_sub(1)),
                        height: 1,
                        ..rest
                    };
                    self.input(at, "paste ", input, true, buf);
                    if let Some(e) = error {
                        para(vec![Line::styled(e.clone(), self.t.error())]).render(
                            Rect {
                                y: (at.y + 2).min(rest.bottom().saturating_sub(1)),
                                height: rest.bottom().saturating_sub(at.y + 2),
                                ..rest
                            },
                            buf,
                        );
                    }
                    return;
                }
                Phase::Planning { .. } => {
                    lines.push(Line::raw(format!(
                        "{} Reading the key and planning the grant…",
                        SPINNER[a.tick % SPINNER.len()]
                    )));
                }
                Phase::Confirm(plan) => {
                    lines = vec![Line::styled(
                        "Phase two: grant what the vendor returned? (nothing is sent until y)",
                        self.t.title(),
                    )];
                    for l in plan.render_text().lines() {
                        let t = l.trim_start();
                        let style = if t.starts_with("+ ") {
                            self.t.ok()
                        } else if t.starts_with("- ") && l.starts_with("      ") {
                            self.t.error()
                        } else {
                            self.t.text()
                        };
                        lines.push(Line::styled(l.to_string(), style));
                    }
                }
                Phase::Applying => {
                    lines.push(Line::raw(format!(
                        "{} Sending PutKeyPolicy…",
                        SPINNER[a.tick % SPINNER.len()]
                    )));
                }
                Phase::Finished(Ok(m)) => {
                    lines.push(Line::from(vec![
                        Span::styled("✓ ", self.t.ok()),
                        Span::raw(m.clone()),
                    ]));
                }
                Phase::Finished(Err(e)) => {
                    lines.push(Line::from(vec![
                        Span::styled("✗ ", self.t.error()),
                        Span::raw(e.clone()),
                    ]));
                    lines.push(Line::from(vec![
                        Span::styled("p", self.t.key_hint()),
                        Span::styled(" paste again   ", self.t.dim()),
                        Span::styled("g", self.t.key_hint()),
                        Span::styled(" copy ", self.t.dim()),
                        Span::styled(cmd, self.t.arn()),
                    ]));
                }
            }
        } else {
            lines.push(Line::raw(run.answers.vendor.next_step.clone()));
        }
        if wrapped_height(&lines, rest.width) + 2 <= rest.height {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                if run.answers.vendor.paste_back.is_empty() {
                    "When you quit, the ARNs are also printed, one a line, so ARN=$(byok …) works."
                } else {
                    "When you quit, these values are also printed, one a line, so ARN=$(byok …) works."
                },
                self.t.dim(),
            ));
        }
        para(lines).render(rest, buf);
    }
}
