//! The review step.

use super::prelude::*;

/// The answer under the cursor (one past the last: Create).
#[derive(Debug, Clone, Default)]
pub struct State {
    pub cursor: usize,
}

pub(crate) struct Review;

impl Step for Review {
    fn screen(&self) -> Screen {
        Screen::Review
    }

    fn title(&self) -> &'static str {
        "Review"
    }

    fn help(&self, _a: &App) -> String {
        "Every answer on the left, the exact key policy on the right (the statements that come from the focused answer are marked ▌). Enter on an answer goes back to change it. r creates the key; s saves the policy to a file; e exports the whole setup as Terraform, CloudFormation or an AWS CLI script, to apply with your own tools.".to_string()
    }

    fn bindings(&self, a: &App, _typing: bool) -> Vec<Binding> {
        use Action::*;
        let on_create = a.steps.review.cursor >= a.review_rows().len();
        vec![
            Binding::new("Enter", if on_create { "create" } else { "change" }, Next).key(K::Enter),
            Binding::new("r", "create", Run).key(K::Char('r')),
            Binding::new("Esc", "back", Back)
                .key(K::Esc)
                .key(K::BackTab),
            Binding::new("↑↓", "choose", Up)
                .key(K::Up)
                .key(K::Char('k')),
            Binding::new("", "", Down).key(K::Down).key(K::Char('j')),
            Binding::new("s", "save policy", SavePolicy).key(K::Char('s')),
            Binding::new("e", "export", Export).key(K::Char('e')),
            Binding::new("PgDn", "scroll policy", PageDown)
                .key(K::PageDown)
                .key(K::Char(' ')),
            Binding::new("", "", PageUp).key(K::PageUp),
        ]
    }

    fn focused_field(&self, a: &App) -> Option<Field> {
        a.review_rows().get(a.steps.review.cursor).and_then(|r| r.1)
    }

    /// Enter on an answer goes back to its step; on Create, creates.
    fn enter(&self, a: &mut App) -> Option<Vec<Effect>> {
        let rows = a.review_rows();
        let Some((s, f, _, _)) = rows.get(a.steps.review.cursor).cloned() else {
            return Some(a.act(Action::Run));
        };
        a.from_review = true;
        a.go(s);
        super::step(s).focus_field(a, f);
        Some(Vec::new())
    }

    fn move_cursor(&self, a: &mut App, delta: i64) {
        a.steps.review.cursor = moved(a.steps.review.cursor, a.review_rows().len() + 1, delta);
    }

    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer) {
        v.review(area, buf)
    }
}

impl View<'_> {
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
            let focused = a.steps.review.cursor == i;
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
        let on_create = a.steps.review.cursor >= rows.len();
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
}
