//! The done step.

use super::prelude::*;

pub(crate) struct Done;

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

    fn bindings(&self, a: &App, _typing: bool) -> Vec<Binding> {
        use Action::*;
        let mut b = Vec::new();
        let n = a.run.as_ref().map_or(0, |r| r.keys.len());
        if n == 1 {
            b.push(
                Binding::new("c", "copy ARN", Copy(0))
                    .key(K::Char('c'))
                    .key(K::Char('1')),
            );
        } else {
            for i in 0..n.min(9) {
                let hint: &'static str = ["1", "2", "3", "4", "5", "6", "7", "8", "9"][i];
                let label = format!(
                    "copy {}",
                    a.run.as_ref().map_or("", |r| r.keys[i].role.as_str())
                );
                b.push(Binding::new(hint, label, Copy(i)).key(K::Char(char::from(b'1' + i as u8))));
            }
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
        let lines = vec![
            Line::from(vec![
                Span::styled("✓ ", self.t.ok()),
                Span::styled(
                    format!(
                        "Your key{} for {} {} ready",
                        if n > 1 { "s" } else { "" },
                        run.answers.vendor.name,
                        if n > 1 { "are" } else { "is" }
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
        for (i, k) in run.keys.iter().enumerate() {
            let hint = if n == 1 {
                "c".to_string()
            } else {
                (i + 1).to_string()
            };
            let title = format!(
                " {} · {} · {} ",
                key_name(run.answers.regionality, k.role),
                crate::regions::describe(&k.region),
                k.alias.as_deref().unwrap_or("")
            );
            let arn_w = k.arn.chars().count();
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
                Line::styled(k.arn.clone(), self.t.arn()).render(inner, buf);
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
                let chars: Vec<char> = k.arn.chars().collect();
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
        if let Some(r) = &run.role {
            lines.push(Line::from(vec![
                Span::styled("Role the vendor assumes: ", self.t.dim()),
                Span::styled(r.arn.clone(), self.t.arn()),
            ]));
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled("Next", self.t.title()));
        lines.push(Line::raw(run.answers.vendor.next_step.clone()));
        if wrapped_height(&lines, rest.width) + 2 <= rest.height {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "When you quit, the ARNs are also printed, one a line, so ARN=$(byok …) works.",
                self.t.dim(),
            ));
        }
        para(lines).render(rest, buf);
    }
}
