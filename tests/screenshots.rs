//! The screenshot command (examples/screenshots): the SVG renderer, and the whole journey it
//! drives through the wizard's API, so a change in the wizard that breaks `cargo run --example
//! screenshots` fails here first.

#[path = "../examples/screenshots/svg.rs"]
#[allow(dead_code)]
mod svg;

#[path = "../examples/screenshots/shoot.rs"]
mod shoot;

use std::time::Duration;

use byok::kms::sim::SimOptions;

#[tokio::test]
async fn the_screenshot_journey_draws_every_main_screen() {
    let dir = std::env::temp_dir().join(format!("byok-test-shots-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // No latency; a replica that stays Creating just long enough to be seen waiting.
    let sim = SimOptions {
        replica_creating: Duration::from_millis(300),
        ..SimOptions::instant()
    };
    let written = shoot::shoot_all(&dir, false, sim).await;
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "vendor.svg",
            "region.svg",
            "administrators.svg",
            "review.svg",
            "execute.svg",
            "done.svg"
        ]
    );
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    for n in &names {
        let svg = read(n);
        assert!(
            svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"),
            "{n}"
        );
        assert!(svg.contains(">DEMO<"), "{n}: the DEMO badge");
    }
    assert!(read("vendor.svg").contains(">Camunda SaaS<"));
    assert!(read("review.svg").contains("Key policy"));
    assert!(read("execute.svg").contains("replica is Creating"));
    let done = read("done.svg");
    assert_eq!(
        done.matches(">arn:aws:kms:").count(),
        2,
        "both ARNs on the done screen"
    );
    let status = shoot::shoot_status(&dir, false).await;
    let names: Vec<String> = status
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["status.svg", "status-repair.svg"]);
    assert!(read("status.svg").contains("camunda-staging-byok"));
    assert!(read("status-repair.svg").contains("Apply these changes? y/n"));
    let role = shoot::shoot_role(&dir, false).await;
    assert_eq!(role.len(), 1);
    let role = read("access-role.svg");
    assert!(
        role.contains("who may assume it"),
        "the role's trust policy"
    );
    assert!(role.contains("3192be49-6e76-4b7d-a7b8-b486a8fc4483"));
    let _ = std::fs::remove_dir_all(&dir);
}
