//! The terminal, on stderr: raw mode, alternate screen, bracketed paste. Restored when
//! `Term` drops, and by a panic hook that then ends the process (a panicking task must not
//! leave the app running on a broken screen).

use std::io::{self, BufWriter, Stderr, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::app::App;

pub struct Term {
    // Buffered: a frame reaches the terminal in one write when ratatui flushes, so nothing
    // (a person or tmux capture-pane) ever sees half of a frame.
    terminal: Terminal<CrosstermBackend<BufWriter<Stderr>>>,
}

/// Set once the terminal is given back: no frame is drawn after that, even by a UI thread
/// still running while a panic in another thread is being reported.
static RESTORED: AtomicBool = AtomicBool::new(false);

/// Put the terminal back as it was. Safe to call more than once.
pub fn restore() {
    RESTORED.store(true, Ordering::SeqCst);
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stderr(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
}

/// After SIGHUP the terminal is gone and writing to it fails: point stderr (and stdout,
/// when it is that terminal) at /dev/null, so that reporting what exists cannot fail, while
/// stdout redirected to a file or pipe still gets the ARNs or the JSON document.
pub fn detach_from_dead_terminal() {
    use std::io::IsTerminal;
    use std::os::fd::AsRawFd;
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        let fd = null.as_raw_fd();
        // SAFETY: dup2 onto the standard descriptors with a valid open descriptor.
        unsafe {
            if io::stdout().is_terminal() {
                libc::dup2(fd, libc::STDOUT_FILENO);
            }
            libc::dup2(fd, libc::STDERR_FILENO);
        }
    }
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
            std::process::exit(101);
        }));
    });
}

/// Test-only switch for the terminal-integrity tests: `BYOK_TEST_PANIC=draw` panics while
/// drawing the first frame, `BYOK_TEST_PANIC=task` in a background task a moment after the
/// wizard starts. Either way the panic hook must leave the terminal usable.
fn test_panic(when: &str) -> bool {
    std::env::var("BYOK_TEST_PANIC").is_ok_and(|v| v == when)
}

impl Term {
    pub fn enter() -> io::Result<Term> {
        install_panic_hook();
        RESTORED.store(false, Ordering::SeqCst);
        if test_panic("task") {
            tokio::spawn(async {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                panic!("BYOK_TEST_PANIC=task: a background task panicked");
            });
        }
        enable_raw_mode()?;
        let mut err = io::stderr();
        if let Err(e) = execute!(err, EnterAlternateScreen, EnableBracketedPaste) {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(BufWriter::with_capacity(
            1 << 16,
            io::stderr(),
        ))) {
            Ok(terminal) => Ok(Term { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    pub fn size(&self) -> io::Result<ratatui::layout::Size> {
        self.terminal.size()
    }

    pub fn draw(&mut self, app: &App) -> io::Result<()> {
        if test_panic("draw") {
            panic!("BYOK_TEST_PANIC=draw: a panic while drawing");
        }
        if RESTORED.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.terminal
            .draw(|f| super::view::draw(app, f))
            .map(|_| ())
    }

    /// Draw anything else on the same terminal (the status screen shown from the wizard).
    pub fn draw_with(&mut self, f: impl FnOnce(&mut ratatui::Frame)) -> io::Result<()> {
        if RESTORED.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.terminal.draw(f).map(|_| ())
    }

    /// Ask the terminal itself to copy (OSC 52).
    pub fn osc52(&mut self, text: &str) {
        let mut err = io::stderr();
        let _ = execute!(
            err,
            crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
        );
        let _ = err.flush();
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        restore();
    }
}
