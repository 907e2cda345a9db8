//! byok: parse the command line, install the error hooks, dispatch.

// What the commands print may hold text byok did not write (a vendor file's, an answer from
// AWS): these print it with every control character but the line break shown escaped
// (`sanitize::block`), so that none reaches the terminal as a control sequence. JSON is
// escaped by `sanitize::json_pretty` first, which leaves nothing for these to change.
macro_rules! println_safe {
    ($($t:tt)*) => { println!("{}", byok::sanitize::block(&format!($($t)*))) };
}
macro_rules! print_safe {
    ($($t:tt)*) => { print!("{}", byok::sanitize::block(&format!($($t)*))) };
}
macro_rules! eprintln_safe {
    ($($t:tt)*) => { eprintln!("{}", byok::sanitize::block(&format!($($t)*))) };
}
macro_rules! eprint_safe {
    ($($t:tt)*) => { eprint!("{}", byok::sanitize::block(&format!($($t)*))) };
}

mod cli;
mod cmd;
mod version;

use clap::Parser;

fn main() {
    let mut cli = cli::Cli::parse();
    // NO_COLOR (no-color.org): any non-empty value means no colours, as --no-color does.
    cli.global.no_color |= std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let _ = color_eyre::install();
    // `byok plan | head`: a closed stdout ends byok quietly, as SIGPIPE ends other tools,
    // instead of a crash report.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let p = info.payload();
        let msg = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        report(info)
    }));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = rt.block_on(cmd::dispatch(cli));
    // Do not wait for background tasks (credential loading, IAM lists) on the way out.
    rt.shutdown_background();
    std::process::exit(code);
}
