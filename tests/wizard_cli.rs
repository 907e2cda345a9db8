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

/// A sign-in that fails says why: the profile is not defined, or its credential_process
/// fails (with what it said); neither is sent to `aws sso login`, which would not help.
#[test]
fn a_failed_sign_in_names_its_cause() {
    let dir = std::env::temp_dir().join(format!("byok-wizard-signin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    std::fs::write(
        &config,
        "[profile broken]\ncredential_process = sh -c \"echo token service unreachable >&2; exit 3\"\nregion = eu-west-1\n",
    )
    .unwrap();
    let run = |profile: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_byok"))
            .args(["--profile", profile])
            .args(["policy", "--vendor", "gearset", "--region", "us-west-2"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &dir)
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .output()
            .expect("run byok");
        assert_eq!(out.status.code(), Some(3));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run("nosuch");
    assert!(
        err.contains("The AWS profile \"nosuch\" is not defined") && err.contains("broken"),
        "{err}"
    );
    assert!(!err.contains("sso login"), "{err}");
    let err = run("broken");
    assert!(
        err.contains("credential_process") && err.contains("token service unreachable"),
        "{err}"
    );
    assert!(!err.contains("sso login"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
