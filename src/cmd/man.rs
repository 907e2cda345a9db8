//! `byok man`: the man pages, built from the command line's own definition.

use std::path::Path;

use clap::CommandFactory;

use byok::exec::exit;

use super::common;
use crate::cli::{Cli, GlobalArgs};

/// `byok man`: the page on stdout, or every page into a directory.
pub fn run(g: &GlobalArgs, out_dir: Option<&Path>) -> i32 {
    match out_dir {
        None => common::write_stdout(&man_page(&man_root(), "")),
        Some(dir) => {
            let root = man_root();
            let mut pages = vec![("byok.1".to_string(), man_page(&root, ""))];
            for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
                pages.push((
                    format!("byok-{}.1", sub.get_name()),
                    man_page(sub, sub.get_name()),
                ));
            }
            let written = std::fs::create_dir_all(dir).and_then(|()| {
                pages
                    .iter()
                    .try_for_each(|(name, page)| std::fs::write(dir.join(name), page))
            });
            if let Err(e) = written {
                eprintln_safe!("error: cannot write man pages to {} ({e})", dir.display());
                return exit::INVALID_INPUT;
            }
            if !g.quiet {
                eprintln_safe!(
                    "Wrote the man pages to {}: add it to MANPATH, or copy them to ~/.local/share/man/man1/.",
                    dir.display()
                );
            }
            exit::OK
        }
    }
}

/// byok's command, built as the man pages see it (subcommands named `byok-create`...).
fn man_root() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Roff text: backslashes and hyphens escaped, a leading `.` or `'` made literal.
fn roff(text: &str) -> String {
    let t = text.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// The environment variables byok reads.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "AWS_PROFILE",
        "The AWS profile, as --profile. AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE move the files it is read from.",
    ),
    (
        "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN",
        "Credentials, as the AWS CLI reads them (the standard chain also takes profiles, SSO and credential_process). byok never prints, logs or stores them.",
    ),
    (
        "AWS_REGION, AWS_DEFAULT_REGION",
        "The Region for a vendor without a Region list of its own (--vendor other) when --region is left out, as the AWS CLI does; also where STS is asked for your identity.",
    ),
    (
        "AWS_ENDPOINT_URL",
        "Send AWS requests to this endpoint, as --endpoint-url.",
    ),
    (
        "NO_COLOR",
        "Any non-empty value turns colours off, as --no-color.",
    ),
    ("BYOK_STATE_DIR", "The state directory (see FILES)."),
    (
        "XDG_STATE_HOME",
        "The state directory is $XDG_STATE_HOME/byok when BYOK_STATE_DIR is not set.",
    ),
];

/// The files byok writes.
const FILES: &[(&str, &str)] = &[
    (
        "$XDG_STATE_HOME/byok/journal.jsonl (else ~/.local/state/byok/journal.jsonl; BYOK_STATE_DIR overrides the directory)",
        "Every ARN byok made, recorded the moment it exists, append-only; ARNs and aliases, never credentials. byok create and byok status read it.",
    ),
    (
        "the state directory's locks/",
        "One setup lock per key setup, so that two runs of the same setup never both create a key.",
    ),
    (
        "the state directory's debug.log",
        "With --debug, the wizard and the status screen (which draw on stderr) log each AWS API call here; the other commands log on stderr.",
    ),
];

/// A man page: clap's sections (name, synopsis, description, every option heading, commands),
/// then EXAMPLES, EXIT STATUS, ENVIRONMENT, FILES, VERSION and SEE ALSO. `command` is ""
/// for byok itself.
pub fn man_page(cmd: &clap::Command, command: &str) -> Vec<u8> {
    let version = env!("CARGO_PKG_VERSION");
    let title = if command.is_empty() {
        "BYOK".to_string()
    } else {
        format!("BYOK-{}", command.to_uppercase())
    };
    let man = clap_mangen::Man::new(cmd.clone());
    // The header written here: clap_mangen leaves an empty date unquoted, which shifts the
    // source into the date's place. No date, so the page is the same on every build.
    let mut out = format!(
        ".TH {} 1 \"\" \"byok {version}\" \"User Commands\"\n",
        roff(&title)
    )
    .into_bytes();
    let rendered = (|| -> std::io::Result<()> {
        man.render_name_section(&mut out)?;
        man.render_synopsis_section(&mut out)?;
        man.render_description_section(&mut out)?;
        man.render_options_section(&mut out)?;
        if cmd.has_subcommands() {
            man.render_subcommands_section(&mut out)?;
        }
        Ok(())
    })();
    rendered.expect("writing to memory");
    let mut t = String::new();
    let section = |t: &mut String, name: &str| t.push_str(&format!(".SH \"{name}\"\n"));
    let examples = crate::cli::EXAMPLES
        .iter()
        .find(|(c, _)| *c == command)
        .map(|(_, e)| *e)
        .unwrap_or_default();
    section(&mut t, "EXAMPLES");
    for (what, line) in examples {
        t.push_str(&format!(
            ".PP\n{}:\n.RS 4\n.nf\n{}\n.fi\n.RE\n",
            roff(what),
            roff(line)
        ));
    }
    section(&mut t, "EXIT STATUS");
    for (code, meaning) in crate::cli::exit_statuses(command) {
        t.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff(meaning)));
    }
    if !matches!(command, "completions" | "man") {
        section(&mut t, "ENVIRONMENT");
        for (name, what) in ENVIRONMENT {
            t.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(name), roff(what)));
        }
        section(&mut t, "FILES");
        for (name, what) in FILES {
            t.push_str(&format!(".TP\n\\fI{}\\fR\n{}\n", roff(name), roff(what)));
        }
    }
    section(&mut t, "VERSION");
    t.push_str(&format!(
        "{}\n",
        roff(&crate::version::LONG.replace('\n', "; "))
    ));
    section(&mut t, "SEE ALSO");
    let pages: Vec<String> = if command.is_empty() {
        cmd.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| format!("\\fBbyok\\-{}\\fR(1)", roff(s.get_name())))
            .collect()
    } else {
        vec!["\\fBbyok\\fR(1)".into()]
    };
    t.push_str(&format!("{}, \\fBaws\\fR(1)\n", pages.join(", ")));
    out.extend_from_slice(t.as_bytes());
    out
}
