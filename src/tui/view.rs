//! Drawing the wizard. One function per screen; the frame (header, steps, footer) around them.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};
use serde_json::Value;
use tui_input::Input;

use super::app::{App, EXPORT_FORMATS, ExportDialog, Load, Screen};
use super::steps;
use super::theme::Theme;
use crate::policy;

pub(crate) const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

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
pub(crate) fn too_small(t: &Theme, area: Rect, buf: &mut Buffer) {
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

pub(crate) struct View<'a> {
    pub(crate) app: &'a App,
    pub(crate) t: Theme,
    pub(crate) cursor: Option<Position>,
    /// Inputs that always take typing (search boxes) show no focus mark: the list has it.
    pub(crate) plain_inputs: bool,
}

pub(crate) fn para<'a>(text: impl Into<Text<'a>>) -> Paragraph<'a> {
    Paragraph::new(text).wrap(Wrap { trim: false })
}

/// How many rows a paragraph of these lines takes at this width (wrapping by characters).
pub(crate) fn wrapped_height(lines: &[Line], width: u16) -> u16 {
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
        let choosing = steps::step(a.screen).chooses_vendor();
        if choosing {
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
        if left.width() > room && !choosing {
            left = Line::from(vec![
                Span::styled(" byok ", self.t.title()),
                Span::styled("· ", self.t.dim()),
                Span::styled(a.vendor().name.clone(), self.t.accent()),
            ]);
        }
        if left.width() > room && choosing {
            left = Line::from(vec![Span::styled(" byok ", self.t.title())]);
        }
        fit_line(left, room).render(l, buf);
        line.render(r, buf);
    }

    fn stepper(&self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        let steps: Vec<Screen> = steps::steps(a).iter().map(|s| s.screen()).collect();
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
        // The run and its result take the whole body.
        if steps::step(a.screen).whole_screen() {
            return steps::step(a.screen).render(self, area, buf);
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
        steps::step(self.app.screen).render(self, area, buf);
    }

    /// A question and its explanation; returns the area below them.
    pub(crate) fn question(&self, area: Rect, q: &str, explain: &str, buf: &mut Buffer) -> Rect {
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

    pub(crate) fn choice(
        &self,
        focused: bool,
        selected: bool,
        text: Vec<Span<'static>>,
    ) -> Line<'static> {
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
    pub(crate) fn input(
        &mut self,
        area: Rect,
        label: &str,
        input: &Input,
        focused: bool,
        buf: &mut Buffer,
    ) {
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

    // ---- the policy ------------------------------------------------------------------

    fn policy(&self, area: Rect, buf: &mut Buffer) {
        let a = self.app;
        // Validated once a frame, for the key policy and the role's.
        let Some(answers) = a.preview_answers() else {
            return;
        };
        let policy = a.policy_of(&answers);
        let doc = policy::to_document(&policy);
        let sids = a.highlighted_sids();
        let highlighted = statement_lines(&policy, &doc, &sids);
        // A vendor that assumes a role in the customer's account: its policies follow the
        // key's, each under a heading line, so everything byok will apply is in one pane.
        let role = a.role_of(&answers);
        let mut text = doc.clone();
        let mut headings = std::collections::HashSet::new();
        if let Some((name, trust, own)) = &role {
            let mut part = |heading: String, v: &Value| {
                text.push_str("\n\n");
                headings.insert(text.lines().count());
                text.push_str(&heading);
                text.push('\n');
                text.push_str(&policy::to_document(v));
            };
            part(
                format!("Role {name}, made in your account: who may assume it"),
                trust,
            );
            if let Some(own) = own {
                part(format!("Role {name}: its own policy"), own);
            }
        }
        let title = match (a.account(), &role) {
            (Some(_), Some(_)) => format!(" Key policy · {} bytes · and the role's ", doc.len()),
            (Some(_), None) => format!(" Key policy · {} bytes ", doc.len()),
            (None, _) => " Key policy (account shown once signed in) ".to_string(),
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
        for (i, l) in text.lines().enumerate() {
            if headings.contains(&i) {
                let spans = vec![Span::styled(l.to_string(), self.t.title())];
                for chunk in wrap_spans(spans, inner.width.saturating_sub(1) as usize, 2) {
                    let mut row = vec![Span::raw(" ")];
                    row.extend(chunk);
                    lines.push(Line::from(row));
                }
                continue;
            }
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
pub(crate) fn wrap_spans(
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
pub(crate) fn fit_region_label(label: &str, code: &str, width: usize) -> String {
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
pub(crate) fn fit_line(line: Line<'static>, width: usize) -> Line<'static> {
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
pub(crate) fn ellipsize(s: &str, width: usize) -> String {
    fit_line(Line::raw(s.to_string()), width)
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect()
}

/// How a key is named on screen: "Key" for the only key, else by its role.
pub(crate) fn key_name(
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
pub(crate) fn command_lines(words: &[String], width: usize) -> Vec<String> {
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
pub(crate) fn form_width(app: &App, width: u16) -> u16 {
    let body = width.saturating_sub(2);
    if app.wide() {
        body.saturating_sub(1) / 2
    } else {
        body
    }
}

/// While the vendor is chosen, when the vendor's documentation link is wider than the form: the
/// link, for the message row below, which spans the terminal (a link cut in two cannot be
/// clicked).
pub(crate) fn docs_link(app: &App, width: u16) -> Option<String> {
    let url = &app.vendor().docs_url;
    (steps::step(app.screen).chooses_vendor()
        && !app.help
        && app.export.is_none()
        && url.chars().count() > form_width(app, width) as usize)
        .then(|| url.clone())
}

pub(crate) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub(crate) fn unicode_width(s: &str) -> usize {
    Line::raw(s.to_string()).width()
}

pub(crate) fn short_error(e: &crate::error::KmsError) -> String {
    let s = e.to_string();
    match s.split_once(':') {
        Some((head, _)) => head.to_string(),
        None => s,
    }
}

/// For each line of the pretty document: whether it belongs to a highlighted statement.
pub(crate) fn statement_lines(policy: &Value, doc: &str, sids: &[String]) -> Vec<bool> {
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
pub(crate) fn highlight_json(line: &str, t: &Theme, bold: bool) -> Vec<Span<'static>> {
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
    let body = steps::step(a.screen).help(a);
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
