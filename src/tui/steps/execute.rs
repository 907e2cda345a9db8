//! The create step.

use super::prelude::*;

pub(crate) struct Execute;

impl Step for Execute {
    fn screen(&self) -> Screen {
        Screen::Execute
    }

    fn title(&self) -> &'static str {
        "Create"
    }

    fn help(&self, _a: &App) -> String {
        "Each step shows when it is done and how long it took. Ctrl-C asks, then stops after the call in flight (a few seconds at most): nothing is left half-made, and running byok again continues where it stopped. A second Ctrl-C stops and quits.".to_string()
    }

    fn whole_screen(&self) -> bool {
        true
    }

    fn spinning(&self, a: &App) -> bool {
        a.run.as_ref().is_some_and(|r| r.running())
    }

    fn bindings(&self, a: &App, _typing: bool) -> Vec<Binding> {
        use Action::*;
        let mut b = Vec::new();
        let run = a.run.as_ref();
        let running = run.is_some_and(|r| r.running());
        if running && run.is_some_and(|r| r.confirm_cancel) {
            b.push(Binding::new("y", "stop after this call", ConfirmCancel).key(K::Char('y')));
            b.push(
                Binding::new("n", "keep going", KeepGoing)
                    .key(K::Char('n'))
                    .key(K::Esc),
            );
            // A second Ctrl-C: stop after the call in flight, then quit.
            b.push(Binding::new("^C", "stop and quit", Quit).ctrl('c'));
        } else if running && run.is_some_and(|r| r.cancelling) {
            b.push(Binding::new("^C", "quit now", Quit).ctrl('c'));
        } else if running {
            b.push(Binding::new("^C", "stop", AskCancel).ctrl('c'));
        } else {
            if run.and_then(|r| r.failed_error()).is_some() {
                b.push(Binding::new("Enter", "fix the answer", Fix).key(K::Enter));
            }
            b.push(Binding::new("r", "run again", Rerun).key(K::Char('r')));
            b.push(
                Binding::new("Esc", "back to review", ToReview)
                    .key(K::Esc)
                    .key(K::BackTab),
            );
            b.push(Binding::new("q", "quit", Quit).key(K::Char('q')).ctrl('c'));
        }
        b
    }

    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer) {
        v.execute(area, buf)
    }
}

impl View<'_> {
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
}
