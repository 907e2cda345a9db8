//! A small tmux driver for end-to-end tests: the real binary in a real terminal, driven by
//! keystrokes. Every session has its own server socket (`-L byok-test-<pid>-<n>`) and no
//! config file, so tests never touch the user's tmux, and the server is killed on drop.
#![allow(dead_code)]

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A detached tmux session running one command in one pane.
pub struct Tmux {
    socket: String,
    /// The server's socket file, removed on drop (tmux leaves it behind after kill-server).
    socket_path: Option<std::path::PathBuf>,
    target: String,
    pub width: u16,
    pub height: u16,
}

/// How to start a session.
pub struct TmuxBuilder {
    width: u16,
    height: u16,
    env: Vec<(String, String)>,
    cwd: Option<std::path::PathBuf>,
}

fn check_installed() {
    match Command::new("tmux").arg("-V").output() {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "tmux is needed for the end-to-end tests and was not found on PATH: install it \
             (`apt-get install -y tmux`, `brew install tmux`); .ci/run does this"
        ),
    }
}

impl TmuxBuilder {
    /// Set an environment variable for the command (the session starts from an empty
    /// environment plus PATH, TERM and these).
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.env.push((
            key.to_string(),
            value.as_ref().to_string_lossy().into_owned(),
        ));
        self
    }

    pub fn cwd(mut self, dir: &std::path::Path) -> Self {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    /// Start `argv` (program and arguments, run without a shell) in a new session.
    pub fn start(self, argv: &[&str]) -> Tmux {
        check_installed();
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let mut t = Tmux {
            socket: format!("byok-test-{}-{n}", std::process::id()),
            socket_path: None,
            target: "byok:0.0".to_string(),
            width: self.width,
            height: self.height,
        };
        let mut c = Command::new("tmux");
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TERM", "xterm-256color")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args([
                "-L",
                &t.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "byok",
            ])
            .args([
                "-x",
                &self.width.to_string(),
                "-y",
                &self.height.to_string(),
            ]);
        if let Some(d) = &self.cwd {
            c.arg("-c").arg(d);
        }
        // The server's options come before the command runs: no status line (the pane is the
        // whole window), a 256-colour TERM, and the pane kept after the command exits.
        c.args([";", "set-option", "-g", "status", "off"]).args([
            ";",
            "set-option",
            "-g",
            "remain-on-exit",
            "on",
        ]);
        let out = c.output().expect("run tmux");
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = t.format("#{socket_path}");
        t.socket_path = (!path.is_empty()).then(|| path.into());
        // The command goes in with respawn-pane so it starts after the options are set.
        let mut r = Command::new("tmux");
        r.args(["-L", &t.socket, "respawn-pane", "-k", "-t", &t.target, "--"])
            .args(argv);
        let out = r.output().expect("run tmux");
        assert!(
            out.status.success(),
            "tmux respawn-pane failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }
}

impl Tmux {
    /// A session of `width` x `height` cells, to start with [`TmuxBuilder::start`].
    #[allow(clippy::new_ret_no_self)]
    pub fn new(width: u16, height: u16) -> TmuxBuilder {
        TmuxBuilder {
            width,
            height,
            env: Vec::new(),
            cwd: None,
        }
    }

    fn tmux(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// The socket name, for `tmux -L <socket>` when a test needs more than this driver offers.
    pub fn socket(&self) -> &str {
        &self.socket
    }

    /// Press keys by tmux name: "Enter", "Tab", "BTab", "Escape", "Down", "C-c", "q", "Space".
    pub fn keys(&self, keys: &[&str]) -> &Self {
        let mut args = vec!["send-keys", "-t", &self.target];
        args.extend_from_slice(keys);
        self.tmux(&args);
        self
    }

    /// Type text literally, character by character as a user would.
    pub fn type_text(&self, text: &str) -> &Self {
        self.tmux(&["send-keys", "-t", &self.target, "-l", "--", text]);
        self
    }

    /// Resize the window, as a user dragging the terminal's corner (the program gets SIGWINCH).
    pub fn resize(&mut self, width: u16, height: u16) -> &Self {
        let (w, h) = (width.to_string(), height.to_string());
        self.tmux(&["resize-window", "-t", "byok:0", "-x", &w, "-y", &h]);
        self.width = width;
        self.height = height;
        self
    }

    /// Paste text as a terminal does: bracketed when the program asked for it.
    pub fn paste(&self, text: &str) -> &Self {
        self.tmux(&["set-buffer", "-b", "byok-test", "--", text]);
        self.tmux(&[
            "paste-buffer",
            "-p",
            "-d",
            "-b",
            "byok-test",
            "-t",
            &self.target,
        ]);
        self
    }

    /// The visible screen as plain text, one line per row.
    pub fn capture(&self) -> String {
        String::from_utf8_lossy(
            &self
                .tmux(&["capture-pane", "-p", "-t", &self.target])
                .stdout,
        )
        .into_owned()
    }

    /// The visible screen with its styles as SGR escape sequences (`capture-pane -e`).
    pub fn capture_styled(&self) -> String {
        String::from_utf8_lossy(
            &self
                .tmux(&["capture-pane", "-p", "-e", "-t", &self.target])
                .stdout,
        )
        .into_owned()
    }

    /// Everything the pane has shown, scrollback included.
    pub fn capture_all(&self) -> String {
        String::from_utf8_lossy(
            &self
                .tmux(&[
                    "capture-pane",
                    "-p",
                    "-S",
                    "-",
                    "-E",
                    "-",
                    "-t",
                    &self.target,
                ])
                .stdout,
        )
        .into_owned()
    }

    /// A tmux format evaluated for the pane, e.g. `#{alternate_on}`, `#{cursor_flag}`.
    pub fn format(&self, fmt: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", &self.target, fmt]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Whether the command in the pane has exited.
    pub fn exited(&self) -> bool {
        self.format("#{pane_dead}") == "1"
    }

    /// Wait until the screen shows `text`; return the screen. Fails with the last screen.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{text:?} on screen"), timeout, |s| {
            s.contains(text)
        })
    }

    /// Wait until `ready(screen)`; return the screen. Fails with the last screen, saying what
    /// was awaited, and notes when the program in the pane has already exited.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&str) -> bool,
    ) -> String {
        let t0 = Instant::now();
        loop {
            let screen = self.capture();
            // A frame is drawn top to bottom: take the screen only once it holds still, so
            // that no check reads half of one frame and half of the next.
            if ready(&screen) {
                std::thread::sleep(Duration::from_millis(30));
                let again = self.capture();
                if again == screen {
                    return screen;
                }
                continue;
            }
            if t0.elapsed() > timeout {
                let dead = if self.exited() {
                    format!(
                        " (the program exited with status {})",
                        self.format("#{pane_dead_status}")
                    )
                } else {
                    String::new()
                };
                panic!(
                    "waited {:.1} s for {what}{dead}; the screen was:\n{}\n{}",
                    timeout.as_secs_f64(),
                    "-".repeat(self.width as usize),
                    screen
                );
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        if let Some(p) = &self.socket_path {
            let _ = std::fs::remove_file(p);
        }
    }
}
