//! `byok` with no command: the wizard.

use std::io::IsTerminal;

use byok::exec::exit;

use super::common;
use crate::cli::{AnswerArgs, GlobalArgs};

/// `byok` with no subcommand: the wizard, pre-filled from the answer flags.
pub async fn run(g: &GlobalArgs, answers: &AnswerArgs) -> i32 {
    let catalog = match common::catalog(g) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        eprintln_safe!(
            "error: the wizard needs a terminal. Without one, use `byok create` with flags (see `byok create --help`). Nothing was sent to AWS."
        );
        return exit::INVALID_INPUT;
    }
    let journal = match common::open_journal(g.demo, "Nothing was sent to AWS.") {
        Ok(j) => j,
        Err(code) => return code,
    };
    let ctx = byok::tui::Ctx {
        catalog,
        raw: common::raw_answers(g, answers).await,
        demo: g.demo,
        mono: g.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        profile: g.profile.clone(),
        journal: journal.path().map(std::path::Path::to_path_buf),
        // Filled from the journal when the wizard starts.
        waiting: Vec::new(),
        endpoint_url: g.endpoint_url.clone(),
        vendor_files: g.vendor_files.clone(),
    };
    let g = g.clone();
    byok::tui::run_with(async move { common::backend(&g).await }, ctx, journal).await
}
