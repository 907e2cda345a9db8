//! Drawing the wizard. One function per screen; the frame (header, steps, footer) around them.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};
use serde_json::Value;
use tui_input::Input;

use super::app::{App, EXPORT_FORMATS, ExportDialog, Load, Screen, StepStatus};
use super::theme::Theme;
use crate::exec::Outcome;
use crate::policy;
use crate::principal::Step;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        render(self, area, buf);
    }
}

/// Draw the app into a frame and place the text cursor on the focused input.
pub fn draw(app: &App, frame: &mut ratatui::Frame) {
    let area = frame.area();
    if let Some(pos) = render(app, area, frame.buffer_mut()) {
        frame.set_cursor_position(pos);
    }
}

/// The smallest terminal the wizard draws in: every screen, its footer and each ARN whole.
/// Below it the wizard says so instead of drawing a screen with parts missing.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 20;

/// Render everything; returns where the text cursor belongs.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) -> Option<Position> {
    let t = Theme { mono: app.ctx.mono };
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(&t, area, buf);
        return None;
    }
    let mut v = View {
        app,
        t,
        cursor: None,
        plain_inputs: false,
    };
    // The message line grows to show a whole validation message (up to three lines). On the
    // vendor step, with no message, it holds the vendor's documentation link: the terminal's
    // whole width, so that the link stays whole (and clickable) wherever it can.
    let msg = app
        .error
        .clone()
        .or(app.status.clone())
        .or_else(|| docs_link(app, area.width));
    let msg_h = msg.map_or(1, |m| {
        let w = area.width.saturating_sub(2).max(1) as usize;
        (Line::raw(m).width().div_ceil(w)).clamp(1, 3) as u16
    });
    let [header, steps, body, message, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(if app.size.1 >= 30 {
            msg_h.max(2)
        } else {
            msg_h
        }),
        Constraint::Length(1),
    ])
    .areas(area);
    v.header(header, buf);
    v.stepper(steps, buf);
    let body = body.inner(ratatui::layout::Margin::new(1, 0));
    v.body(body, buf);
    v.message(message.inner(ratatui::layout::Margin::new(1, 0)), buf);
    v.footer(footer, buf);
    if app.export.is_some() {
        v.cursor = None;
        v.export_dialog(area, buf);
    }
    if app.help {
        v.help(area, buf);
        return None;
    }
    v.cursor
}

/// What shows on a terminal below the minimum size.
fn too_small(t: &Theme, area: Rect, buf: &mut Buffer) {
    let lines = vec![
        Line::styled(
            format!(
                "byok needs at least {MIN_WIDTH}x{MIN_HEIGHT}; this terminal is {}x{}.",
                area.width, area.height
            ),
            t.title(),
        ),
        Line::raw(""),
        Line::styled(
            "Make the window larger: the wizard comes back where it was. Ctrl-C quits.",
            t.dim(),
        ),
    ];
    let inner = area.inner(ratatui::layout::Margin::new(1, 0));
    let h = wrapped_height(&lines, inner.width).min(inner.height);
    let r = Rect {
        y: inner.y + inner.height.saturating_sub(h) / 2,
        height: h,
        ..inner
    };
    para(lines).render(r, buf);
}

struct View<'a> {
    app: &'a App,
    t: Theme,
    cursor: Option<Position>,
    /// Inputs that always take typing (search boxes) show no focus mark: the list has it.
    plain_inputs: bool,
}

fn para<'a>(text: impl Into<Text<'a>>) -> Paragraph<'a> {
    Paragraph::new(text).wrap(Wrap { trim: false })
}

/// How many rows a paragraph of these lines takes at this width (wrapping by characters).
fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let w = width.max(1) as usize;
    lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(w) as u16)
        .sum()
}

impl View<'_> {
    fn header(&self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let mut left = vec![
            Span::styled(" byok ", self.t.title()),
            Span::styled("· a KMS key for ", self.t.dim()),
            Span::styled(a.vendor().name.clone(), self.t.accent()),
        ];
        if a.screen == Screen::Vendor {
            left.truncate(2);
            left[1] = Span::styled("· a KMS key for your SaaS vendor", self.t.dim());
        }
        let mut right = Vec::new();
        match &a.identity {
            Load::Ready(i) => right.push(Span::styled(
                format!("account {} ", i.account),
                self.t.dim(),
            )),
            Load::Loading => right.push(Span::styled("signing in… ", self.t.dim())),
            Load::Failed(_) => right.push(Span::styled("! not signed in ", self.t.error())),
        }
        if a.ctx.demo {
            right.push(Span::styled(" DEMO ", self.t.badge()));
            right.push(Span::raw(" "));
        }
        let line = Line::from(right);
        let w = (line.width() as u16).min(area.width);
        let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(w)]).areas(area);
        // The left side never runs into the account: "· a KMS key for" goes first, then the
        // vendor's name is shortened with an ellipsis, a space kept between the two.
        let room = (l.width as usize).saturating_sub(1);
        let mut left = Line::from(left);
        if left.width() > room && a.screen != Screen::Vendor {
            left = Line::from(vec![
                Span::styled(" byok ", self.t.title()),
                Span::styled("· ", self.t.dim()),
                Span::styled(a.vendor().name.clone(), self.t.accent()),
            ]);
        }
        if left.width() > room && a.screen == Screen::Vendor {
            left = Line::from(vec![Span::styled(" byok ", self.t.title())]);
        }
        fit_line(left, room).render(l, buf);
        line.render(r, buf);
    }

    fn stepper(&self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let steps: Vec<Screen> = Screen::FORM
            .iter()
            .copied()
            .filter(|s| *s != Screen::Regionality || a.regionalities().len() > 1)
            .chain([Screen::Execute, Screen::Done])
            .collect();
        let cur = steps.iter().position(|s| *s == a.screen).unwrap_or(0);
        let mut spans = vec![Span::raw(" ")];
        for (i, s) in steps.iter().enumerate() {
            let (mark, style) = if i < cur {
                ("✓ ", self.t.ok())
            } else if i == cur {
                ("› ", self.t.focus())
            } else {
                ("· ", self.t.dim())
            };
            spans.push(Span::styled(format!("{mark}{}", s.title()), style));
            spans.push(Span::raw("  "));
        }
        let full = Line::from(spans);
        if full.width() <= area.width as usize {
            full.render(area, buf);
            return;
        }
        // Narrow: the current step by name, the others as marks.
        let mut spans = vec![Span::raw(" ")];
        for (i, _) in steps.iter().enumerate() {
            let (m, st) = if i < cur {
                ("✓", self.t.ok())
            } else if i == cur {
                ("›", self.t.focus())
            } else {
                ("·", self.t.dim())
            };
            spans.push(Span::styled(m, st));
        }
        spans.push(Span::styled(
            format!("  Step {} of {}: ", cur + 1, steps.len()),
            self.t.dim(),
        ));
        spans.push(Span::styled(a.screen.title(), self.t.focus()));
        Line::from(spans).render(area, buf);
    }

    fn footer(&self, area: Rect, buf: &mut Buffer) {
        let items: Vec<(&str, String)> = self
            .app
            .bindings()
            .into_iter()
            .filter(|b| !b.label.is_empty() && !b.hint.is_empty())
            .map(|b| (b.hint, b.label))
            .collect();
        let w = |(h, l): &(&str, String)| h.chars().count() + l.chars().count() + 4;
        // The policy toggle, help and quit (^C, or q on the last screen) always show; the
        // others in order while they fit.
        let n = items.len();
        let keep_tail = items
            .iter()
            .rev()
            .take_while(|(h, _)| matches!(*h, "^C" | "?" | "F1" | "^P" | "q"))
            .count();
        let mut budget = (area.width as usize)
            .saturating_sub(1 + items[n - keep_tail..].iter().map(w).sum::<usize>());
        let mut shown = Vec::new();
        for it in &items[..n - keep_tail] {
            if w(it) <= budget {
                budget -= w(it);
                shown.push(it.clone());
            }
        }
        shown.extend(items[n - keep_tail..].iter().cloned());
        let mut spans = vec![Span::raw(" ")];
        for (hint, label) in shown {
            spans.push(Span::styled(hint.to_string(), self.t.key_hint()));
            spans.push(Span::styled(format!(" {label}   "), self.t.dim()));
        }
        Line::from(spans).render(area, buf);
    }

    fn message(&self, area: Rect, buf: &mut Buffer) {
        if self.app.error.is_none()
            && self.app.status.is_none()
            && let Some(url) = docs_link(self.app, area.width + 2)
        {
            // Split only where the row ends, nothing else on its rows.
            let w = area.width.max(1) as usize;
            let chars: Vec<char> = url.chars().collect();
            let lines: Vec<Line> = chars
                .chunks(w)
                .map(|c| Line::styled(c.iter().collect::<String>(), self.t.dim()))
                .collect();
            Paragraph::new(lines).render(area, buf);
            return;
        }
        if let Some(e) = &self.app.error {
            para(Line::from(vec![
                Span::styled("! ", self.t.error()),
                Span::styled(e.clone(), self.t.error()),
            ]))
            .render(area, buf);
        } else if let Some(s) = &self.app.status {
            let style = if s.starts_with('!') {
                self.t.error()
            } else {
                self.t.ok()
            };
            para(Span::styled(s.clone(), style)).render(area, buf);
        }
    }

    fn body(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        match a.screen {
            Screen::Execute => return self.execute(area, buf),
            Screen::Done => return self.done(area, buf),
            _ => {}
        }
        if a.wide() {
            let [form, policy] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .spacing(1)
                    .areas(area);
            self.form(form, buf);
            self.policy(policy, buf);
        } else if a.show_policy {
            self.policy(area, buf);
        } else {
            self.form(area, buf);
        }
    }

    // ---- the form ------------------------------------------------------------------

    fn form(&mut self, area: Rect, buf: &mut Buffer) {
        match self.app.screen {
            Screen::Vendor => self.vendor(area, buf),
            Screen::Region => self.region(area, buf),
            Screen::KeyType => self.key_type(area, buf),
            Screen::Names => self.names(area, buf),
            Screen::Admins => self.admins(area, buf),
            Screen::Principal => self.principal(area, buf),
            Screen::Regionality => self.regionality(area, buf),
            Screen::Rotation => self.rotation(area, buf),
            Screen::Review => self.review(area, buf),
            Screen::Execute | Screen::Done => {}
        }
    }

    /// A question and its explanation; returns the area below them.
    fn question(&self, area: Rect, q: &str, explain: &str, buf: &mut Buffer) -> Rect {
        let mut lines = vec![Line::styled(q.to_string(), self.t.title())];
        if !explain.is_empty() {
            lines.push(Line::styled(explain.to_string(), self.t.dim()));
        }
        lines.push(Line::raw(""));
        let h = wrapped_height(&lines, area.width).min(area.height);
        para(lines).render(area, buf);
        Rect {
            y: area.y + h,
            height: area.height - h,
            ..area
        }
    }

    fn choice(&self, focused: bool, selected: bool, text: Vec<Span<'static>>) -> Line<'static> {
        let mut spans = vec![
            Span::styled(if focused { "› " } else { "  " }, self.t.focus()),
            Span::styled(
                if selected { "(•) " } else { "( ) " },
                if focused {
                    self.t.focus()
                } else {
                    self.t.text()
                },
            ),
        ];
        spans.extend(text.into_iter().map(|s| {
            if focused {
                s.patch_style(Style::default().add_modifier(Modifier::BOLD))
            } else {
                s
            }
        }));
        Line::from(spans)
    }

    /// A labelled text input; sets the cursor when focused.
    fn input(&mut self, area: Rect, label: &str, input: &Input, focused: bool, buf: &mut Buffer) {
        let label_w = (label.chars().count() as u16 + 3).min(area.width / 2);
        let [l, field] =
            Layout::horizontal([Constraint::Length(label_w), Constraint::Min(4)]).areas(area);
        let marked = focused && !self.plain_inputs;
        Line::from(vec![
            Span::styled(if marked { "› " } else { "  " }, self.t.focus()),
            Span::styled(
                label.to_string(),
                if marked {
                    self.t.focus()
                } else {
                    self.t.text()
                },
            ),
        ])
        .render(l, buf);
        let width = field.width.saturating_sub(1) as usize;
        // A field not being edited shows its beginning.
        let scroll = if focused {
            input.visual_scroll(width)
        } else {
            0
        };
        let shown: String = if !focused && unicode_width(input.value()) > width {
            ellipsize(input.value(), width)
        } else {
            input.value().chars().skip(scroll).take(width).collect()
        };
        let pad = width.saturating_sub(unicode_width(&shown));
        Line::from(vec![Span::styled(
            format!("{shown}{}", " ".repeat(pad + 1)),
            self.t.input(),
        )])
        .render(field, buf);
        if focused {
            let x = field.x + (input.visual_cursor().max(scroll) - scroll) as u16;
            self.cursor = Some(Position::new(
                x.min(field.right().saturating_sub(1)),
                field.y,
            ));
        }
    }

    fn vendor(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let rest = self.question(
            area,
            "Which vendor is the key for?",
            "byok sets up the key, its alias and the exact key policy the vendor asks for.",
            buf,
        );
        let mut lines: Vec<Line> = a
            .ctx
            .catalog
            .profiles
            .iter()
            .enumerate()
            .map(|(i, p)| {
                self.choice(
                    i == a.vendor_idx,
                    i == a.vendor_idx,
                    vec![Span::raw(p.name.clone())],
                )
            })
            .collect();
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
        // The link where it fits whole, else below, across the terminal (see `docs_link`).
        if docs_link(a, a.size.0).is_none() {
            lines.push(Line::styled(v.docs_url.clone(), self.t.dim()));
        }
        para(lines).render(rest, buf);
    }

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
                &a.region_filter,
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
        let start = a.region_cursor.saturating_sub(visible.saturating_sub(1));
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
                    self.choice(i == a.region_cursor, sel, spans)
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

    fn key_type(&mut self, area: Rect, buf: &mut Buffer) {
        let v = self.app.vendor();
        let rest = self.question(area, "Key type", "Fixed: nothing to choose here.", buf);
        let lines = vec![
            Line::from(vec![
                Span::styled("  [x] ", self.t.focus()),
                Span::styled("Symmetric", self.t.title()),
                Span::styled("  SYMMETRIC_DEFAULT", self.t.dim()),
            ]),
            Line::from(vec![
                Span::styled("  [x] ", self.t.focus()),
                Span::styled("Encrypt and decrypt", self.t.title()),
                Span::styled("  ENCRYPT_DECRYPT", self.t.dim()),
            ]),
            Line::raw(""),
            Line::raw(format!(
                "{} encrypts your data through KMS with this kind of key (the AWS console's default). A key's type cannot be changed after it is created, so byok does not offer another.",
                v.name
            )),
        ];
        para(lines).render(rest, buf);
    }

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

    fn principal(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let v = a.vendor();
        let region = a.region.clone().unwrap_or_default();
        match v.principal.kind.step(v, &region) {
            Step::FromRegion {
                question,
                explain,
                label,
                account,
                note,
            } => {
                let rest = self.question(area, &question, &explain, buf);
                let lines = vec![
                    Line::from(vec![
                        Span::styled(format!("  {label:<20}"), self.t.dim()),
                        Span::styled(account, self.t.title()),
                    ]),
                    Line::from(vec![
                        Span::styled(format!("  {:<20}", "for the Region"), self.t.dim()),
                        Span::raw(v.region_label(&region)),
                    ]),
                    Line::from(vec![
                        Span::styled(format!("  {:<20}", "in the policy as"), self.t.dim()),
                        Span::styled(
                            a.preview_answers().map(|x| x.principal).unwrap_or_default(),
                            self.t.accent(),
                        ),
                    ]),
                    Line::raw(""),
                    Line::styled(note, self.t.dim()),
                ];
                para(lines).render(rest, buf);
            }
            Step::Typed {
                question,
                explain,
                input,
                help,
                note,
            } => {
                let rest = self.question(area, &question, explain, buf);
                let [i, help_area] =
                    Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(rest);
                self.input(Rect { height: 1, ..i }, input, &a.principal, true, buf);
                let lines = vec![
                    Line::from(vec![
                        Span::styled("Where to find it: ", self.t.accent()),
                        Span::raw(help),
                    ]),
                    Line::raw(""),
                    Line::styled(note, self.t.dim()),
                ];
                para(lines).render(help_area, buf);
            }
        }
    }

    fn regionality(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let v = a.vendor();
        let help = v
            .dual_region
            .as_ref()
            .map(|d| d.help.clone())
            .unwrap_or_default();
        let rest = self.question(area, "One Region or two?", &help, buf);
        let recommended = v.dual_region.as_ref().map(|d| d.recommended);
        let primary = a.region.clone().unwrap_or_default();
        let second = a.second_region_value().or_else(|| {
            a.allowed_second_regions()
                .and_then(|l| l.get(a.second_idx).cloned())
        });
        let mut lines = Vec::new();
        for (i, r) in a.regionalities().iter().enumerate() {
            let focused = i == a.regionality_idx && a.regionality_focus == 0;
            let mut spans = vec![Span::raw(r.label().to_string())];
            if Some(*r) == recommended {
                spans.push(Span::styled("  recommended", self.t.accent()));
            }
            lines.push(self.choice(focused, i == a.regionality_idx, spans));
            // Choosing the second Region: the list gets the room of the details.
            if a.regionality_focus == 1 {
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
                        .get(a.second_idx)
                        .map(|r| crate::regions::describe(r))
                        .unwrap_or_else(|| {
                            format!("{} offers no second Region with {primary}", v.name)
                        });
                    Line::from(vec![
                        Span::styled("  Second Region  ", self.t.dim()),
                        Span::styled(name, self.t.title()),
                    ])
                    .render(below, buf);
                }
                // Any second Region: a list like the first one, filtered by typing.
                None if a.regionality_focus == 0 => {
                    let (text, style) = match a.second_region_value() {
                        Some(r) => (v.region_label(&r), self.t.title()),
                        None => ("Enter to choose it".to_string(), self.t.dim()),
                    };
                    Line::from(vec![
                        Span::styled("  Second Region  ", self.t.dim()),
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
                        &a.second_region,
                        true,
                        buf,
                    );
                    self.plain_inputs = false;
                    let choices = a.second_choices();
                    let cur = a
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
                            let label = fit_region_label(&v.region_label(code), code, label_w);
                            self.choice(i == cur, i == cur, vec![Span::raw(label)])
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
                    para(lines).render(list, buf);
                }
            }
        }
    }

    fn rotation(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let v = a.vendor();
        let rest = self.question(
            area,
            "Rotate the key automatically?",
            "KMS makes new key material on schedule; the key ID and ARN stay the same.",
            buf,
        );
        let [toggle, days, note, alerts] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(3),
            Constraint::Min(1),
            Constraint::Length(4),
        ])
        .areas(rest);
        self.alerts_field(alerts, buf);
        Line::from(vec![
            Span::styled("  ", self.t.focus()),
            Span::styled(if a.rotation_on { "[x] " } else { "[ ] " }, self.t.focus()),
            Span::styled("Automatic rotation", self.t.title()),
            Span::styled(
                if a.rotation_on {
                    "   Ctrl-T turns it off"
                } else {
                    "   Space turns it on"
                },
                self.t.dim(),
            ),
        ])
        .render(toggle, buf);
        if a.rotation_on {
            self.input(
                Rect {
                    height: 1,
                    width: days.width.min(40),
                    ..days
                },
                "Every (days) ",
                &a.rotation_days,
                a.rotation_focus == 0,
                buf,
            );
            Line::styled("  90 to 2560; 365 is the default", self.t.dim()).render(
                Rect {
                    y: days.y + 1,
                    height: 1,
                    ..days
                },
                buf,
            );
        } else {
            Line::styled(
                "  The key keeps its key material until you rotate it.",
                self.t.dim(),
            )
            .render(days, buf);
        }
        para(Line::raw(v.key.rotation_note.clone())).render(note, buf);
    }

    /// The optional alerts address under the rotation (Tab moves to it).
    fn alerts_field(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        Line::styled(
            "  Alerts (optional, Tab): mail when the vendor's access is broken",
            self.t.dim(),
        )
        .render(Rect { height: 1, ..area }, buf);
        self.input(
            Rect {
                y: area.y + 1,
                height: 1,
                width: area.width.min(60),
                ..area
            },
            "Address ",
            &a.alerts_email,
            a.rotation_focus == 1,
            buf,
        );
        Line::styled(
            "  Needs a CloudTrail trail; AWS mails a confirmation link.",
            self.t.dim(),
        )
        .render(
            Rect {
                y: area.y + 2,
                height: 1,
                ..area
            },
            buf,
        );
    }

    fn review(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let rest = self.question(
            area,
            "Review",
            "Enter on an answer changes it. Nothing has been sent to AWS yet.",
            buf,
        );
        let rows = a.review_rows();
        let label_w = 17usize;
        let mut lines = Vec::new();
        // The rows of the focused answer: kept in view on a short terminal.
        let mut focus_rows = (0, 0);
        for (i, (_, _, label, value)) in rows.iter().enumerate() {
            let focused = a.review_cursor == i;
            if focused {
                focus_rows.0 = lines.len();
            }
            let row = vec![
                Span::styled(if focused { "› " } else { "  " }, self.t.focus()),
                Span::styled(
                    format!("{label:<label_w$}"),
                    if focused {
                        self.t.focus()
                    } else {
                        self.t.dim()
                    },
                ),
                Span::styled(
                    value.clone(),
                    if focused {
                        self.t.title()
                    } else {
                        self.t.text()
                    },
                ),
            ];
            // Long values wrap under the value column, not under the labels.
            for chunk in wrap_spans(row, rest.width as usize, label_w + 2) {
                lines.push(Line::from(chunk));
            }
            if focused {
                focus_rows.1 = lines.len();
            }
        }
        lines.push(Line::raw(""));
        let on_create = a.review_cursor >= rows.len();
        if on_create {
            focus_rows = (lines.len(), lines.len() + 1);
        }
        lines.push(Line::from(vec![
            Span::styled(if on_create { "› " } else { "  " }, self.t.focus()),
            Span::styled(
                format!(
                    "[ Create the key{} ]",
                    if a.regionality().is_dual() { "s" } else { "" }
                ),
                if on_create {
                    self.t.badge()
                } else {
                    self.t.accent()
                },
            ),
            Span::styled("  r", self.t.key_hint()),
        ]));
        if let Load::Failed(e) = &a.identity {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    "! {}",
                    e.explain(a.ctx.profile.as_deref(), &a.vendor().principal.help)
                ),
                self.t.error(),
            ));
        }
        let scroll = focus_rows.1.saturating_sub(rest.height as usize) as u16;
        para(lines).scroll((scroll, 0)).render(rest, buf);
    }

    // ---- the policy ------------------------------------------------------------------

    fn policy(&self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let Some(policy) = a.preview_policy() else {
            return;
        };
        let doc = policy::to_document(&policy);
        let sids = a.highlighted_sids();
        let highlighted = statement_lines(&policy, &doc, &sids);
        let title = match a.account() {
            Some(_) => format!(" Key policy · {} bytes ", doc.len()),
            None => " Key policy (account shown once signed in) ".to_string(),
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .border_style(self.t.dim())
            .title(Span::styled(title, self.t.title()));
        let inner = block.inner(area);
        block.render(area, buf);
        // Wrap by hand so a continuation keeps the statement's mark and long ARNs stay whole.
        let mut lines: Vec<Line> = Vec::new();
        let mut first_hl = None;
        for (i, l) in doc.lines().enumerate() {
            let hl = highlighted.get(i).copied().unwrap_or(false);
            if hl && first_hl.is_none() {
                first_hl = Some(lines.len());
            }
            let gutter = Span::styled(if hl { "▌" } else { " " }, self.t.highlight_gutter());
            let indent = l.len() - l.trim_start().len();
            for (n, chunk) in wrap_spans(
                highlight_json(l, &self.t, hl),
                inner.width.saturating_sub(1) as usize,
                indent + 2,
            )
            .into_iter()
            .enumerate()
            {
                let _ = n;
                let mut spans = vec![gutter.clone()];
                spans.extend(chunk);
                lines.push(Line::from(spans));
            }
        }
        let total = lines.len() as u16;
        let max_scroll = total.saturating_sub(inner.height);
        // Bring the highlighted statement into view unless the user scrolled.
        let auto = match first_hl {
            Some(f) if a.policy_scroll == 0 => (f as u16).saturating_sub(1),
            _ => 0,
        };
        let scroll = (a.policy_scroll + auto).min(max_scroll);
        // Only the rows in view go to the paragraph (the lines are wrapped already): the
        // review's policy is ~80 rows, of which a screen shows half.
        let visible: Vec<Line> = lines
            .into_iter()
            .skip(scroll as usize)
            .take(inner.height as usize)
            .collect();
        Paragraph::new(visible).render(inner, buf);
        if max_scroll > 0 {
            let more = format!(" {}/{} ", (scroll + inner.height).min(total), total);
            let w = more.len() as u16;
            Line::styled(more, self.t.dim()).render(
                Rect {
                    x: area.right().saturating_sub(w + 2),
                    y: area.bottom().saturating_sub(1),
                    width: w,
                    height: 1,
                },
                buf,
            );
        }
    }

    // ---- execute and done --------------------------------------------------------------

    fn execute(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let Some(run) = &a.run else { return };
        let title = match run.report.as_ref().map(|r| &r.outcome) {
            None if run.cancelling => "Stopping after the call in flight…".to_string(),
            None => format!("Creating your key for {}", run.answers.vendor.name),
            Some(Outcome::Completed) => "Done".to_string(),
            Some(Outcome::Failed { .. }) => "byok stopped: something needs your attention".into(),
            Some(Outcome::Interrupted { .. }) => "Stopped, as you asked".into(),
        };
        let width = area.width as usize;
        // The steps done from the first on, and the steps not run at the end, as one row
        // each when the screen is short.
        let done_first = run
            .steps
            .iter()
            .take_while(|s| matches!(s.status, StepStatus::Done { .. }))
            .count();
        let n_steps = run.steps.len();
        let pending_from = n_steps
            - run
                .steps
                .iter()
                .rev()
                .take_while(|s| s.status == StepStatus::Pending)
                .count();
        let steps = |with_done_notes: bool, collapse: bool| -> Vec<Line<'static>> {
            let mut lines = vec![Line::styled(title.clone(), self.t.title())];
            if !collapse {
                lines.push(Line::raw(""));
            }
            for (i, s) in run.steps.iter().enumerate() {
                if collapse && done_first > 1 && i < done_first {
                    if i == 0 {
                        lines.push(Line::from(vec![
                            Span::styled(" ✓ ", self.t.ok()),
                            Span::styled(format!(" 1-{done_first}. "), self.t.dim()),
                            Span::styled("done", self.t.text()),
                        ]));
                    }
                    continue;
                }
                if collapse && n_steps - pending_from > 1 && i >= pending_from {
                    if i == pending_from {
                        lines.push(Line::from(vec![
                            Span::styled(" · ", self.t.dim()),
                            Span::styled(format!(" {}-{n_steps}. ", i + 1), self.t.dim()),
                            Span::styled("not run", self.t.dim()),
                        ]));
                    }
                    continue;
                }
                let (mark, style) = match &s.status {
                    StepStatus::Pending => ("·".to_string(), self.t.dim()),
                    StepStatus::Running => {
                        (SPINNER[a.tick % SPINNER.len()].to_string(), self.t.accent())
                    }
                    StepStatus::Done { .. } => ("✓".to_string(), self.t.ok()),
                    StepStatus::Failed { .. } => ("✗".to_string(), self.t.error()),
                    StepStatus::Stopped => ("■".to_string(), self.t.accent()),
                };
                let dur = match &s.status {
                    StepStatus::Done { elapsed, .. } | StepStatus::Failed { elapsed, .. } => {
                        format!("{:.1} s", elapsed.as_secs_f64())
                    }
                    StepStatus::Stopped => "stopped".to_string(),
                    _ => String::new(),
                };
                let text_style = if matches!(s.status, StepStatus::Pending) {
                    self.t.dim()
                } else {
                    self.t.text()
                };
                let used = 8 + s.title.chars().count() + dur.len();
                let row = vec![
                    Span::styled(format!(" {mark} "), style),
                    Span::styled(format!("{:>2}. ", i + 1), self.t.dim()),
                    Span::styled(s.title.clone(), text_style),
                    Span::styled(
                        format!("{}{dur}", " ".repeat(width.saturating_sub(used + 1).max(2))),
                        self.t.dim(),
                    ),
                ];
                for chunk in wrap_spans(row, width, 8) {
                    lines.push(Line::from(chunk));
                }
                let mut details = Vec::new();
                match &s.status {
                    StepStatus::Running => {
                        if let Some(w) = &s.waiting {
                            details.push(format!("{w}…"));
                        }
                        if let Some(r) = &s.last_retry {
                            details.push(r.clone());
                        }
                    }
                    StepStatus::Done { note, .. } if with_done_notes => {
                        if let Some(n) = note {
                            details.push(n.clone());
                        }
                        if s.retries > 0 {
                            details.push(format!(
                                "after {} retr{}",
                                s.retries,
                                if s.retries == 1 { "y" } else { "ies" }
                            ));
                        }
                    }
                    _ => {}
                }
                for d in details {
                    let row = vec![Span::raw("        "), Span::styled(d, self.t.dim())];
                    for chunk in wrap_spans(row, width, 8) {
                        lines.push(Line::from(chunk));
                    }
                }
            }
            lines
        };
        // Below the steps: the question, or what the run left.
        let mut lines: Vec<Line<'static>> = Vec::new();
        if run.confirm_cancel {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Stop after the call in flight? byok then lists what exists; running it again later continues where it stopped.  y / n",
                self.t.focus(),
            ));
        }
        if let Some(report) = &run.report
            && report.outcome != Outcome::Completed
        {
            lines.push(Line::raw(""));
            if let Outcome::Failed { error, .. } = &report.outcome {
                lines.push(Line::from(vec![
                    Span::styled("! ", self.t.error()),
                    Span::styled(
                        error.explain(a.ctx.profile.as_deref(), &run.answers.vendor.principal.help),
                        self.t.error(),
                    ),
                ]));
                lines.push(Line::raw(""));
            }
            let regionality = run.answers.regionality;
            if !report.keys.is_empty() {
                lines.push(Line::styled("What exists now:", self.t.title()));
                for k in &report.keys {
                    lines.push(Line::styled(
                        format!(
                            "  {} in {}{}",
                            key_name(regionality, k.role),
                            crate::regions::describe(&k.region),
                            k.alias
                                .as_ref()
                                .map(|a| format!(", named {a}"))
                                .unwrap_or_default()
                        ),
                        self.t.dim(),
                    ));
                    // The ARN on a line of its own, from the first column when it would not
                    // fit after the indent: never broken where it could fit.
                    let indent = if k.arn.chars().count() + 2 <= width {
                        "  "
                    } else {
                        ""
                    };
                    for chunk in wrap_spans(vec![Span::raw(format!("{indent}{}", k.arn))], width, 0)
                    {
                        lines.push(Line::from(chunk));
                    }
                }
            }
            for f in &report.in_flight {
                lines.push(Line::styled(
                    format!(
                        "{} in {} may have been created: its request was on its way when byok stopped. Running again finds it instead of making a second one.",
                        key_name(regionality, f.role),
                        crate::regions::describe(&f.region)
                    ),
                    self.t.accent(),
                ));
            }
            if report.keys.is_empty() && !report.may_have_created() {
                lines.push(Line::raw("Nothing was created."));
            }
            let something = !report.keys.is_empty() || report.may_have_created();
            if let Some(j) = &a.ctx.journal
                && something
            {
                lines.push(Line::styled(
                    format!("Every ARN is recorded in {}.", j.display()),
                    self.t.dim(),
                ));
            }
            let interrupted = matches!(report.outcome, Outcome::Interrupted { .. });
            lines.push(Line::styled(
                match (interrupted, something) {
                    (true, true) => "Press r to finish here, or later with this command; nothing is made twice:",
                    (true, false) => "Press r to run again here, or later with this command:",
                    (false, true) => "Fix the answer and run again; nothing is made twice. With the same answers:",
                    (false, false) => "Fix the answer and run again.",
                },
                self.t.dim(),
            ));
            if interrupted || something {
                let cmd = run.answers.create_command_words(&a.ctx.invocation());
                for l in command_lines(&cmd, width) {
                    lines.push(Line::styled(l, self.t.text()));
                }
            }
        }
        // When the screen is short, what the steps found goes first, then the steps done
        // become one row; the heading stays, and the end of it all is what shows.
        let below = lines;
        let below_h = wrapped_height(&below, area.width);
        let mut lines = steps(true, false);
        // (Room is kept for what comes below while the run goes on, so that the notes do not
        // come and go as steps finish.)
        if lines.len() + below_h.max(8) as usize > area.height as usize {
            lines = steps(false, false);
        }
        if wrapped_height(&lines, area.width) + below_h > area.height {
            lines = steps(false, true);
        }
        lines.extend(below);
        let total = wrapped_height(&lines, area.width);
        let scroll = total.saturating_sub(area.height);
        para(lines).scroll((scroll, 0)).render(area, buf);
    }

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
        let mut lines = vec![Line::styled("Next", self.t.title())];
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

    /// The review's export dialog: the format, then the file name.
    fn export_dialog(&mut self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let Some(d) = &a.export else { return };
        let w = area.width.saturating_sub(8).min(64);
        let inner_w = w.saturating_sub(4);
        // The file name field goes on the row after the question and a blank line.
        let mut input_row = None;
        let (title, mut lines): (&str, Vec<Line>) = match d {
            ExportDialog::Choose { index } => {
                let mut l = vec![
                    Line::styled(
                        "The same key, policy, aliases and tags as creating it here:",
                        self.t.dim(),
                    ),
                    Line::raw(""),
                ];
                for (i, f) in EXPORT_FORMATS.iter().enumerate() {
                    l.push(self.choice(
                        i == *index,
                        i == *index,
                        vec![Span::styled(f.label().to_string(), self.t.text())],
                    ));
                }
                (" Export: format ", l)
            }
            ExportDialog::Name { format, .. } => {
                let mut l = vec![Line::styled(
                    format!("Where to write the {} export:", format.label()),
                    self.t.dim(),
                )];
                input_row = Some(wrapped_height(&l, inner_w) + 1);
                l.push(Line::raw(""));
                l.push(Line::raw(""));
                if let Ok(files) = a.export_files(*format)
                    && files.len() > 1
                {
                    l.push(Line::styled(
                        format!(
                            "{} files; a directory gets: {}",
                            files.len(),
                            files
                                .iter()
                                .map(|f| f.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        self.t.dim(),
                    ));
                }
                (" Export: file ", l)
            }
            ExportDialog::Overwrite { existing, .. } => {
                let names = existing
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                let (what, it) = if existing.len() == 1 {
                    ("exists already", "it")
                } else {
                    ("exist already", "them")
                };
                let l = vec![
                    Line::from(vec![
                        Span::styled(names, self.t.focus()),
                        Span::styled(format!(" {what}."), self.t.text()),
                    ]),
                    Line::raw(""),
                    Line::styled(format!("Replace {it}?  y / N"), self.t.focus()),
                    Line::styled(
                        "N keeps the file and goes back to the name, to choose another.",
                        self.t.dim(),
                    ),
                ];
                (" Export: file exists ", l)
            }
        };
        let account = match a.account() {
            Some(acct) => format!("Account {acct} is written in."),
            None => "The account is looked up when it is applied.".to_string(),
        };
        lines.push(Line::raw(""));
        lines.push(Line::styled(account, self.t.dim()));
        let h = (wrapped_height(&lines, inner_w) + 2).min(area.height.saturating_sub(2));
        let r = Rect {
            x: area.x + (area.width - w) / 2,
            y: area.y + (area.height.saturating_sub(h)) / 2,
            width: w,
            height: h,
        };
        Clear.render(r, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .title(Span::styled(title, self.t.title()));
        let inner = block.inner(r).inner(ratatui::layout::Margin::new(1, 0));
        block.render(r, buf);
        para(lines).render(inner, buf);
        if let (ExportDialog::Name { input, .. }, Some(at)) = (d, input_row)
            && inner.height > at
        {
            let row = Rect {
                y: inner.y + at,
                height: 1,
                ..inner
            };
            let prev = self.plain_inputs;
            self.plain_inputs = true;
            self.input(row, "File", input, true, buf);
            self.plain_inputs = prev;
        }
    }

    fn help(&self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        // Wide enough for the vendor's link when the terminal is: a link stays whole.
        let want = 72.max(a.vendor().docs_url.chars().count() as u16 + 4);
        let w = area.width.saturating_sub(8).min(want);
        let text = help_text(a);
        let lines: Vec<Line> = text.lines().map(|l| Line::raw(l.to_string())).collect();
        let h =
            (wrapped_height(&lines, w.saturating_sub(4)) + 2).min(area.height.saturating_sub(2));
        let r = Rect {
            x: area.x + (area.width - w) / 2,
            y: area.y + (area.height.saturating_sub(h)) / 2,
            width: w,
            height: h,
        };
        Clear.render(r, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .title(Span::styled(
                format!(" Help: {} ", a.screen.title()),
                self.t.title(),
            ));
        let inner = block.inner(r).inner(ratatui::layout::Margin::new(1, 0));
        block.render(r, buf);
        para(lines).render(inner, buf);
    }
}

/// Split styled spans into rows of at most `width` characters; continuations are indented.
/// Closing punctuation (`,` `:` `]` `}`) stays on the row of what it closes: a piece that
/// would end a row with the punctuation pushed to the next one is broken earlier instead.
pub(super) fn wrap_spans(
    spans: Vec<Span<'static>>,
    width: usize,
    indent: usize,
) -> Vec<Vec<Span<'static>>> {
    let width = width.max(8);
    let indent = indent.min(width / 2);
    let is_glue = |s: &Span| !s.content.is_empty() && s.content.chars().all(|c| ",:]}".contains(c));
    // For each span, the width of the closing punctuation right after it.
    let mut glue = vec![0; spans.len()];
    for k in (0..spans.len().saturating_sub(1)).rev() {
        if is_glue(&spans[k + 1]) {
            glue[k] = spans[k + 1].content.chars().count() + glue[k + 1];
        }
    }
    let mut rows: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut used = 0;
    let mut row_start = 0;
    for (k, span) in spans.into_iter().enumerate() {
        let style = span.style;
        let mut rest: &str = &span.content;
        while !rest.is_empty() {
            if used >= width {
                rows.push(vec![Span::raw(" ".repeat(indent))]);
                used = indent;
                row_start = indent;
            }
            let mut room = width - used;
            let n = rest.chars().count();
            if n <= room && n + glue[k] > room {
                if room > glue[k] {
                    room -= glue[k];
                } else if used > row_start {
                    used = width;
                    continue;
                }
            }
            let take: usize = rest
                .char_indices()
                .nth(room)
                .map(|(i, _)| i)
                .unwrap_or(rest.len());
            let mut take = take;
            let mut early = false;
            if take < rest.len()
                && let Some(sp) = rest[..take].rfind([' ', '/', ',', ':'])
                && sp > 0
                && rest[..take].chars().count() - rest[..sp].chars().count() < 20
            {
                // Break after a space (or an ARN's '/') when one is near: words stay whole.
                take = sp + 1;
                early = true;
            }
            let (head, tail) = rest.split_at(take);
            used += head.chars().count();
            if early {
                used = width;
            }
            rows.last_mut()
                .expect("one row")
                .push(Span::styled(head.to_string(), style));
            rest = tail;
        }
    }
    rows
}

/// A Region's label ("Asia Pacific (Sydney) ap-southeast-2") in at most `width` characters:
/// the name is shortened with "…" first, so the code stays whole as long as it fits.
fn fit_region_label(label: &str, code: &str, width: usize) -> String {
    let n = label.chars().count();
    if n <= width {
        return label.to_string();
    }
    let cut = |s: &str, w: usize| -> String {
        match w {
            0 => String::new(),
            _ if s.chars().count() <= w => s.to_string(),
            _ => s.chars().take(w - 1).collect::<String>() + "…",
        }
    };
    match label.strip_suffix(code).map(str::trim_end) {
        Some(name) if width > code.len() + 2 => {
            format!(
                "{} {code}",
                cut(name, width - code.len() - 1).trim_end_matches(' ')
            )
        }
        _ => cut(label, width),
    }
}

/// A line cut to `width` columns, ending in "…" when something was cut.
fn fit_line(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let mut out: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    let room = width.saturating_sub(1);
    for span in line.spans {
        let w = span.width();
        if used + w <= room {
            used += w;
            out.push(span);
            continue;
        }
        let mut cut = String::new();
        for c in span.content.chars() {
            let cw = unicode_width(&c.to_string());
            if used + cw > room {
                break;
            }
            used += cw;
            cut.push(c);
        }
        out.push(Span::styled(cut, span.style));
        break;
    }
    if width > 0 {
        let style = out.last().map(|s| s.style).unwrap_or_default();
        out.push(Span::styled("…", style));
    }
    Line::from(out)
}

/// Text cut to `width` columns, ending in "…" when something was cut.
pub(super) fn ellipsize(s: &str, width: usize) -> String {
    fit_line(Line::raw(s.to_string()), width)
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect()
}

/// How a key is named on screen: "Key" for the only key, else by its role.
pub(super) fn key_name(
    regionality: crate::answers::Regionality,
    role: crate::plan::KeyRole,
) -> String {
    if regionality == crate::answers::Regionality::Single {
        "Key".to_string()
    } else {
        format!("{} key", capitalize(role.as_str()))
    }
}

/// A shell command in rows of at most `width` columns, broken only between words, each
/// row but the last ending in ` \` so that the rows copied together still run as one
/// command; a word longer than a row has a row of its own.
pub(super) fn command_lines(words: &[String], width: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    let mut row = "  ".to_string();
    for word in words {
        let fresh = row.trim().is_empty();
        if !fresh && row.chars().count() + 1 + word.chars().count() + 2 > width {
            rows.push(format!("{row} \\"));
            row = "    ".to_string();
        } else if !fresh {
            row.push(' ');
        }
        row.push_str(word);
    }
    rows.push(row);
    rows
}

/// The form's width for a terminal this wide.
fn form_width(app: &App, width: u16) -> u16 {
    let body = width.saturating_sub(2);
    if app.wide() {
        body.saturating_sub(1) / 2
    } else {
        body
    }
}

/// On the vendor step, when the vendor's documentation link is wider than the form: the
/// link, for the message row below, which spans the terminal (a link cut in two cannot be
/// clicked).
fn docs_link(app: &App, width: u16) -> Option<String> {
    let url = &app.vendor().docs_url;
    (app.screen == Screen::Vendor
        && !app.help
        && app.export.is_none()
        && url.chars().count() > form_width(app, width) as usize)
        .then(|| url.clone())
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn unicode_width(s: &str) -> usize {
    Line::raw(s.to_string()).width()
}

fn short_error(e: &crate::error::KmsError) -> String {
    let s = e.to_string();
    match s.split_once(':') {
        Some((head, _)) => head.to_string(),
        None => s,
    }
}

/// For each line of the pretty document: whether it belongs to a highlighted statement.
fn statement_lines(policy: &Value, doc: &str, sids: &[String]) -> Vec<bool> {
    let _ = policy;
    let mut out = Vec::new();
    let mut block: Vec<usize> = Vec::new();
    let mut in_stmt = false;
    let mut hl = false;
    for (i, line) in doc.lines().enumerate() {
        out.push(false);
        if line == "    {" {
            in_stmt = true;
            hl = false;
            block.clear();
        }
        if in_stmt {
            block.push(i);
            if let Some(rest) = line.trim_start().strip_prefix("\"Sid\": ") {
                let sid: String =
                    serde_json::from_str(rest.trim_end_matches(',')).unwrap_or_default();
                hl = sids.contains(&sid);
            }
            if line == "    }" || line == "    }," {
                in_stmt = false;
                if hl {
                    for j in &block {
                        out[*j] = true;
                    }
                }
            }
        }
    }
    out
}

/// One line of pretty JSON, coloured: keys, strings, literals, punctuation.
fn highlight_json(line: &str, t: &Theme, bold: bool) -> Vec<Span<'static>> {
    let extra = if bold {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        Style::default()
    };
    let mut spans = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            let s: String = chars[start..i].iter().collect();
            let is_key = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&':');
            let style = if is_key {
                t.json_key()
            } else {
                t.json_string()
            };
            spans.push(Span::styled(s, style.patch(extra)));
        } else if c.is_whitespace() {
            let start = i;
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            spans.push(Span::raw(chars[start..i].iter().collect::<String>()));
        } else if "{}[]:,".contains(c) {
            spans.push(Span::styled(c.to_string(), t.json_punct()));
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && !"{}[]:, ".contains(chars[i]) {
                i += 1;
            }
            spans.push(Span::styled(
                chars[start..i].iter().collect::<String>(),
                t.json_literal().patch(extra),
            ));
        }
    }
    spans
}

/// The help for the screen showing.
pub fn help_text(a: &App) -> String {
    let v = a.vendor();
    let body = match a.screen {
        Screen::Vendor => format!(
            "Choose the SaaS vendor whose Bring Your Own Key feature will use this key. Each vendor needs a different key policy; byok writes it from the vendor's published instructions.\n\nA vendor that is not listed: choose \"Other vendor\", or load a profile with --vendor-file.\n\nS (or F2) shows the status of the BYOK keys you already have, as `byok status` does; leaving it comes back here.\n\n{}",
            v.docs_url
        ),
        Screen::Region => "The key lives in one AWS Region and can only be used there. Vendors run in fixed Regions: pick the one your vendor account uses.".to_string(),
        Screen::KeyType => "Vendors encrypt with symmetric keys through KMS (Encrypt, Decrypt, GenerateDataKey). KMS never lets a key change its type, so choosing wrongly would mean a new key.".to_string(),
        Screen::Names => "The alias is the key's readable name (alias/...): unique per account and Region. The description shows in the AWS console. Tags help your team find and bill the key: KEY=VALUE, separated by commas.\n\nTab moves to the next field; Enter checks it.".to_string(),
        Screen::Admins => "Administrators may change the key's policy, tags, rotation and state, but not use it to encrypt. The account root statement already lets IAM policies in your account manage the key, so this is optional.\n\nType to search (every word typed must match); Enter selects the match under the cursor. With nothing typed, Space selects the row under the cursor. Paste a full ARN and press Enter to add one that is not listed. \"May also delete\" adds kms:ScheduleKeyDeletion and kms:CancelKeyDeletion.".to_string(),
        Screen::Principal => format!("{}\n\n{}", v.principal.label, v.principal.help),
        Screen::Regionality => v
            .dual_region
            .as_ref()
            .map(|d| format!("{}\n\nA Multi-Region key and its replica share key material and key ID: data encrypted in one Region can be decrypted in the other. Two independent keys do not. Multi-Region cannot be turned on later.", d.help))
            .unwrap_or_default(),
        Screen::Rotation => format!(
            "Automatic rotation makes new key material every N days (90 to 2560). Ctrl-T turns it on or off (Space too while it is off: while the days show, Space is typed). Old material is kept, so everything encrypted before still decrypts; the key ID and ARN do not change.\n\n{}",
            v.key.rotation_note
        ),
        Screen::Review => "Every answer on the left, the exact key policy on the right (the statements that come from the focused answer are marked ▌). Enter on an answer goes back to change it. r creates the key; s saves the policy to a file; e exports the whole setup as Terraform, CloudFormation or an AWS CLI script, to apply with your own tools.".to_string(),
        Screen::Execute => "Each step shows when it is done and how long it took. Ctrl-C asks, then stops after the call in flight (a few seconds at most): nothing is left half-made, and running byok again continues where it stopped. A second Ctrl-C stops and quits.".to_string(),
        Screen::Done => "Copy an ARN with its key (OSC 52, tmux or a local clipboard tool; byok says which worked), or save them all to a file.".to_string(),
    };
    let mut shown = a.clone();
    shown.help = false;
    let keys: Vec<String> = shown
        .bindings()
        .iter()
        .filter(|b| !b.label.is_empty() && !b.hint.is_empty())
        .map(|b| format!("  {:<10} {}", b.hint, b.label))
        .collect();
    format!("{body}\n\nKeys on this screen:\n{}", keys.join("\n"))
}
