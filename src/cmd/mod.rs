//! byok's commands, one module each, and the dispatch between them. What more than one
//! command needs is in `common`; no command module uses another.

mod common;
mod completions;
mod create;
mod grant;
mod man;
mod plan;
mod policy;
mod status;
mod vendors;
mod wizard;

use byok::exec::exit;
use byok::journal;

use crate::cli::{Cli, Command};

pub async fn dispatch(mut cli: Cli) -> i32 {
    let g = cli.global.clone();
    // Answer flags written before the command (`byok --vendor gearset create ...`) count for
    // create, plan and policy; the other commands take none, so they are refused, not dropped.
    let outer = &cli.answers;
    let merged = match &mut cli.command {
        Some(Command::Create(a)) => a.answers.merge_outer(outer),
        Some(Command::Plan(a)) => a.answers.merge_outer(outer),
        Some(Command::Policy(a)) => a.answers.merge_outer(outer),
        Some(other) if !outer.given().is_empty() => Err(format!(
            "{} before `{}` answer the wizard's questions, which `{}` does not ask: write the command's own flags after it (see `byok {} --help`)",
            outer.given().join(", "),
            other.name(),
            other.name(),
            other.name()
        )),
        _ => Ok(()),
    };
    if let Err(e) = merged {
        eprintln_safe!("error: {e}");
        return exit::INVALID_INPUT;
    }
    if g.debug
        && let Err(code) = start_debug_log(cli.command.as_ref())
    {
        return code;
    }
    match cli.command {
        None => wizard::run(&g, &cli.answers).await,
        Some(Command::Create(a)) => create::run(&g, a).await,
        Some(Command::Plan(a)) => plan::run(&g, a).await,
        Some(Command::Completions { shell }) => completions::run(shell),
        Some(Command::Man { out_dir }) => man::run(&g, out_dir.as_deref()),
        Some(Command::Policy(a)) => policy::run(&g, a).await,
        Some(Command::Status(a)) => status::run(&g, a).await,
        Some(Command::Vendors(a)) => vendors::run(&g, &a),
        Some(Command::Grant(a)) => grant::run(&g, a).await,
    }
}

/// `--debug`: on stderr, or, for the screens that draw on stderr (the wizard, the status
/// screen), into `debug.log` in the state directory, said before the screen opens.
fn start_debug_log(command: Option<&Command>) -> Result<(), i32> {
    let screen = match command {
        None => true,
        Some(Command::Status(a)) => a.draws_screen(),
        Some(_) => false,
    };
    if !screen {
        byok::debug::to_stderr();
        return Ok(());
    }
    let path = journal::state_dir().join("debug.log");
    match byok::debug::to_file(&path) {
        Ok(()) => {
            eprintln!("byok: --debug logs each AWS call to {}", path.display());
            Ok(())
        }
        Err(e) => {
            eprintln!(
                "error: cannot write the debug log {} ({e}): set BYOK_STATE_DIR to a writable directory. Nothing was sent to AWS.",
                path.display()
            );
            Err(exit::INVALID_INPUT)
        }
    }
}
