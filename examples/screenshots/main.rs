//! Regenerate `screenshots/`: the real wizard, driven by key presses through its public API on
//! the demo simulator, drawn on a fixed-size `TestBackend`, saved as SVG (and PNG when
//! `rsvg-convert` is installed: `apt-get install librsvg2-bin`).
//!
//!     cargo run --example screenshots [-- OUT_DIR]
//!
//! The journey is Camunda with a Multi-Region key, so the execute screen can show the replica
//! waiting to become Enabled. It takes about 6 s: the simulator has the demo's latencies.

mod shoot;
mod svg;

use std::path::{Path, PathBuf};
use std::process::Command;

use byok::kms::sim::SimOptions;

fn have_rsvg() -> bool {
    Command::new("rsvg-convert")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots"));
    std::fs::create_dir_all(&out).expect("create the output directory");
    let png = have_rsvg();
    if !png {
        eprintln!(
            "rsvg-convert not found: writing SVG only (apt-get install librsvg2-bin for PNG)"
        );
    }

    // The demo's own simulator: its latencies and a replica that stays Creating for seconds,
    // so the pictures show what `byok --demo` shows (durations are rounded to 0.1 s on screen).
    for p in shoot::shoot_all(&out, png, SimOptions::demo()).await {
        println!("{}", p.display());
    }
    for p in shoot::shoot_status(&out, png).await {
        println!("{}", p.display());
    }
    for p in shoot::shoot_role(&out, png).await {
        println!("{}", p.display());
    }
}
