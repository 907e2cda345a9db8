//! `byok completions SHELL`: the shell's completion script.

use clap::CommandFactory;

use super::common;
use crate::cli::Cli;

/// `byok completions SHELL`.
pub fn run(shell: clap_complete::Shell) -> i32 {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "byok", &mut buf);
    common::write_stdout(&buf)
}
