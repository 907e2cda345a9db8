//! `byok` with no subcommand outside a terminal: it refuses plainly, sends nothing and
//! leaves stdout empty (so `ARN=$(byok)` in a script fails cleanly instead of hanging).

use std::process::{Command, Stdio};

#[test]
fn the_wizard_without_a_terminal_says_what_to_use_instead() {
    let dir = std::env::temp_dir().join(format!("byok-wizard-cli-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_byok"))
        .arg("--demo")
        .env("HOME", &dir)
        .env("BYOK_STATE_DIR", &dir)
        .stdin(Stdio::null())
        .output()
        .expect("run byok");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal"), "{err}");
    assert!(err.contains("byok create"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_bad_vendor_file_is_reported_before_the_wizard_starts() {
    let dir = std::env::temp_dir().join(format!("byok-wizard-vf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("acme.json");
    std::fs::write(&f, "{\"id\": \"Acme!\"}").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_byok"))
        .args(["--demo", "--vendor-file"])
        .arg(&f)
        .env("HOME", &dir)
        .stdin(Stdio::null())
        .output()
        .expect("run byok");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("acme.json"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
