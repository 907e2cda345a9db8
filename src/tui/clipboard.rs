//! Copying an ARN: tmux's buffer inside tmux (its default `set-clipboard external` drops
//! OSC 52 from apps), else a local clipboard tool when one is present. OSC 52 is always sent
//! as well, by the terminal code; this says which method is known to have worked.

use std::io::Write;
use std::process::{Command, Stdio};

fn pipe(cmd: &str, args: &[&str], text: &str) -> Result<(), String> {
    let mut child = Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{cmd}: {e}"))?;
    child
        .stdin
        .take()
        .ok_or_else(|| format!("{cmd}: no stdin"))?
        .write_all(text.as_bytes())
        .map_err(|e| format!("{cmd}: {e}"))?;
    let status = child.wait().map_err(|e| format!("{cmd}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd} exited with {status}"))
    }
}

/// Copy `text`; Ok says how (for the status line).
pub fn copy(text: &str) -> Result<String, String> {
    let env = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    let mut tried = Vec::new();
    if env("TMUX") {
        match pipe("tmux", &["load-buffer", "-w", "-"], text) {
            Ok(()) => return Ok("to the tmux buffer (paste with prefix + ])".into()),
            Err(e) => tried.push(e),
        }
    }
    let tools: &[(&str, &[&str], bool)] = &[
        ("wl-copy", &[], env("WAYLAND_DISPLAY")),
        ("xclip", &["-selection", "clipboard"], env("DISPLAY")),
        ("xsel", &["--clipboard", "--input"], env("DISPLAY")),
        ("pbcopy", &[], cfg!(target_os = "macos")),
    ];
    for (cmd, args, usable) in tools {
        if !usable {
            continue;
        }
        match pipe(cmd, args, text) {
            Ok(()) => return Ok(format!("to the clipboard with {cmd}")),
            Err(e) => tried.push(e),
        }
    }
    if tried.is_empty() {
        Ok("with OSC 52: your terminal puts it on the clipboard if it allows apps to".into())
    } else {
        Ok(format!(
            "with OSC 52 ({} did not work): your terminal puts it on the clipboard if it allows apps to",
            tried.join("; ")
        ))
    }
}
