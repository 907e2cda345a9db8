//! The wizard's transitions, without a terminal: keys in, state and effects out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;
use tokio::sync::{mpsc, watch};

use super::*;
use crate::answers::{Field, RawAnswers};
use crate::exec::{ExecError, KeyRecord, Outcome, Progress, RunReport};
use crate::kms::IamPrincipal;
use crate::kms::sim::{SimKms, SimOptions};
use crate::plan::KeyRole;
use crate::vendor::Catalog;

const ROLE: &str = "arn:aws:iam::210987654321:role/camunda-tenant";

fn key(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}
fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}
fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}
fn enter() -> Event {
    key(KeyCode::Enter)
}

fn app_with(raw: RawAnswers) -> App {
    let mut ctx = Ctx::new(Catalog::built_in());
    ctx.raw = raw;
    ctx.demo = true;
    let mut app = App::new(ctx);
    app.handle(Event::Resize(120, 40));
    app
}

fn app() -> App {
    app_with(RawAnswers::default())
}

fn identity() -> IdentityInfo {
    IdentityInfo {
        account: "111122223333".into(),
        caller_arn: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/demo"
            .into(),
        policy_arn:
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123"
                .into(),
    }
}

fn principals() -> Vec<IamPrincipal> {
    ["KeyAdministrators", "PlatformTeam"]
        .iter()
        .map(|n| IamPrincipal {
            arn: format!("arn:aws:iam::111122223333:role/{n}"),
            kind: "role".into(),
            name: n.to_string(),
        })
        .chain([IamPrincipal {
            arn: "arn:aws:iam::111122223333:user/alice".into(),
            kind: "user".into(),
            name: "alice".into(),
        }])
        .collect()
}

fn loaded(mut a: App) -> App {
    a.handle(Event::Identity(Ok(identity())));
    a.handle(Event::Principals(Ok(principals())));
    a
}

fn type_str(a: &mut App, s: &str) {
    for c in s.chars() {
        a.handle(ch(c));
    }
}

/// Enter until the screen is reached (at most 12 times); panics when stuck.
fn enter_until(a: &mut App, s: Screen) {
    for _ in 0..12 {
        if a.screen == s {
            return;
        }
        a.handle(enter());
        assert!(
            a.error.is_none(),
            "blocked on {:?}: {:?}",
            a.screen,
            a.error
        );
    }
    assert_eq!(a.screen, s);
}

fn camunda_ready() -> App {
    let mut a = loaded(app_with(RawAnswers {
        principal: Some(ROLE.into()),
        ..Default::default()
    }));
    enter_until(&mut a, Screen::Review);
    a
}

#[test]
fn starts_on_the_vendor_and_loads_in_the_background() {
    let a = app();
    assert_eq!(a.screen(), Screen::Vendor);
    assert_eq!(
        a.start(),
        vec![Effect::LoadIdentity, Effect::LoadPrincipals]
    );
    assert_eq!(a.identity, Load::Loading);
    assert_eq!(a.vendor().id, "camunda");
}

#[test]
fn camunda_walks_every_step_in_order() {
    let mut a = loaded(app());
    let mut seen = vec![a.screen];
    for _ in 0..8 {
        if a.screen == Screen::Principal {
            type_str(&mut a, ROLE);
        }
        a.handle(enter());
        assert!(a.error.is_none(), "{:?}: {:?}", a.screen, a.error);
        seen.push(a.screen);
    }
    // Names has three fields: Enter moves through them before leaving.
    seen.dedup();
    assert_eq!(
        seen,
        vec![
            Screen::Vendor,
            Screen::Region,
            Screen::KeyType,
            Screen::Names,
            Screen::Admins,
            Screen::Principal,
            Screen::Regionality,
        ]
    );
    a.handle(enter());
    assert_eq!(a.screen, Screen::Rotation);
    a.handle(enter());
    assert_eq!(a.screen, Screen::Review);
    let answers = a.validate().unwrap();
    assert_eq!(answers.region, "eu-west-1");
    assert_eq!(answers.alias, "alias/camunda-saas-byok");
    assert_eq!(answers.principal, ROLE);
    assert_eq!(answers.rotation_days, Some(365));
}

#[test]
fn gearset_skips_the_regionality_step_and_shows_the_account() {
    let mut a = loaded(app());
    a.handle(key(KeyCode::Down));
    assert_eq!(a.vendor().id, "gearset");
    a.handle(enter());
    assert_eq!(a.screen, Screen::Region);
    a.handle(key(KeyCode::Down));
    assert_eq!(a.region.as_deref(), Some("us-west-2"));
    let mut visited = Vec::new();
    for _ in 0..10 {
        a.handle(enter());
        visited.push(a.screen);
        if a.screen == Screen::Review {
            break;
        }
    }
    assert!(!visited.contains(&Screen::Regionality), "{visited:?}");
    assert_eq!(
        a.validate().unwrap().principal,
        "arn:aws:iam::157764733222:root"
    );
    // Back from Rotation skips Regionality as well.
    a.handle(key(KeyCode::Esc));
    assert_eq!(a.screen, Screen::Rotation);
    a.handle(key(KeyCode::Esc));
    assert_eq!(a.screen, Screen::Principal);
}

#[test]
fn back_never_loses_an_answer() {
    let mut a = app();
    enter_until(&mut a, Screen::Names);
    a.handle(ctrl('u'));
    type_str(&mut a, "payments-key");
    a.handle(key(KeyCode::Tab));
    a.handle(key(KeyCode::Tab));
    type_str(&mut a, "team=payments");
    a.handle(key(KeyCode::BackTab));
    assert_eq!(a.steps.names.focus, 1);
    a.handle(key(KeyCode::Esc));
    assert_eq!(a.screen, Screen::KeyType);
    a.handle(key(KeyCode::Esc));
    a.handle(key(KeyCode::Esc));
    assert_eq!(a.screen, Screen::Vendor);
    a.handle(key(KeyCode::Esc));
    assert_eq!(a.screen, Screen::Vendor, "Esc on the first step stays");
    enter_until(&mut a, Screen::Names);
    assert_eq!(a.alias.value(), "payments-key");
    assert_eq!(a.tag_list(), vec!["team=payments"]);
}

#[test]
fn validation_blocks_names_the_fix_and_clears_on_the_next_key() {
    let mut a = app();
    enter_until(&mut a, Screen::Principal);
    a.handle(enter());
    assert_eq!(a.screen, Screen::Principal);
    let msg = a.error.clone().expect("blocked");
    assert!(msg.starts_with("Vendor principal"), "{msg}");
    assert!(msg.contains("Encryption at rest"), "{msg}");
    a.handle(ch('a'));
    assert!(a.error.is_none());
    type_str(&mut a, "rn:aws:iam::123:role/x");
    a.handle(enter());
    assert_eq!(a.screen, Screen::Principal);
    assert!(
        a.error.as_deref().unwrap().contains("account"),
        "{:?}",
        a.error
    );
    a.handle(ctrl('u'));
    a.handle(Event::Paste(format!("  {ROLE}\n")));
    assert_eq!(a.principal.value(), ROLE);
    a.handle(enter());
    assert_eq!(a.screen, Screen::Regionality);
}

#[test]
fn alias_and_tags_use_the_answer_rules() {
    let mut a = app();
    enter_until(&mut a, Screen::Names);
    a.handle(ctrl('u'));
    type_str(&mut a, "aws/mine");
    a.handle(key(KeyCode::Tab));
    assert_eq!(a.steps.names.focus, 0, "Tab is blocked by a bad alias");
    assert!(a.error.as_deref().unwrap().starts_with("Alias"));
    a.handle(ctrl('u'));
    type_str(&mut a, "mine");
    a.handle(key(KeyCode::Tab));
    a.handle(key(KeyCode::Tab));
    assert_eq!(a.steps.names.focus, 2);
    type_str(&mut a, "byok:x=1");
    a.handle(enter());
    assert_eq!(a.screen, Screen::Names);
    assert!(
        a.error.as_deref().unwrap().contains("byok:"),
        "{:?}",
        a.error
    );
    a.handle(ctrl('u'));
    type_str(&mut a, "team=pay, env=prod");
    a.handle(enter());
    assert_eq!(a.screen, Screen::Admins);
    assert_eq!(a.raw().tags, vec!["team=pay", "env=prod"]);
}

#[test]
fn rotation_days_are_checked_and_can_be_turned_off() {
    let mut a = app_with(RawAnswers {
        principal: Some(ROLE.into()),
        ..Default::default()
    });
    enter_until(&mut a, Screen::Rotation);
    a.handle(key(KeyCode::Backspace));
    a.handle(key(KeyCode::Backspace));
    a.handle(key(KeyCode::Backspace));
    type_str(&mut a, "50");
    a.handle(enter());
    assert_eq!(a.screen, Screen::Rotation);
    assert!(a.error.as_deref().unwrap().contains("90 to 2560"));
    // Space while the days show is text (a pasted " 180" keeps rotation on); Ctrl-T toggles.
    a.handle(ch(' '));
    assert!(a.rotation_on);
    a.handle(ctrl('t'));
    assert!(!a.rotation_on);
    a.handle(enter());
    assert_eq!(a.screen, Screen::Review);
    assert_eq!(a.validate().unwrap().rotation_days, None);
}

#[test]
fn the_alerts_address_is_optional_and_checked_on_the_rotation_screen() {
    let mut a = app_with(RawAnswers {
        principal: Some(ROLE.into()),
        ..Default::default()
    });
    enter_until(&mut a, Screen::Rotation);
    assert_eq!(a.steps.rotation.focus, 0);
    a.handle(key(KeyCode::Tab));
    assert_eq!(a.steps.rotation.focus, 1);
    // Space types nothing into an address and does not turn rotation off from there.
    a.handle(ch(' '));
    assert!(a.rotation_on);
    type_str(&mut a, "secops");
    a.handle(enter());
    assert_eq!(a.screen, Screen::Rotation);
    assert!(
        a.error.as_deref().unwrap().contains("Alerts"),
        "{:?}",
        a.error
    );
    type_str(&mut a, "@example.com");
    a.handle(enter());
    assert_eq!(a.screen, Screen::Review);
    assert!(
        a.review_rows()
            .iter()
            .any(|r| r.2 == "Alerts" && r.3.contains("secops@example.com"))
    );
    let answers = a.validate().unwrap();
    assert_eq!(answers.alerts_email.as_deref(), Some("secops@example.com"));
    assert!(
        crate::plan::Plan::build(&answers)
            .steps
            .iter()
            .any(|s| matches!(s, crate::plan::Step::Alerts { .. }))
    );
}

#[test]
fn a_new_vendor_brings_its_defaults_unless_edited() {
    let mut a = app();
    a.handle(key(KeyCode::Down));
    assert_eq!(a.alias.value(), "gearset-backup-byok");
    assert_eq!(
        a.description.value(),
        "KMS key for Gearset Data backup BYOK"
    );
    a.handle(key(KeyCode::Up));
    enter_until(&mut a, Screen::Names);
    a.handle(ctrl('u'));
    type_str(&mut a, "ours");
    a.handle(key(KeyCode::Esc));
    a.handle(key(KeyCode::Esc));
    a.handle(key(KeyCode::Esc));
    a.handle(key(KeyCode::Down));
    assert_eq!(a.alias.value(), "ours");
    assert_eq!(
        a.description.value(),
        "KMS key for Gearset Data backup BYOK"
    );
}

#[test]
fn flags_prefill_and_a_bad_flag_is_shown_on_its_step() {
    let a = app_with(RawAnswers {
        vendor: Some("gearset".into()),
        region: Some("ca-central-1".into()),
        alias: Some("gs".into()),
        tags: vec!["a=1".into(), "b=2".into()],
        admins: vec!["arn:aws:iam::111122223333:role/Ops".into()],
        admins_can_delete: true,
        rotation_days: Some("730".into()),
        ..Default::default()
    });
    assert_eq!(a.vendor().id, "gearset");
    assert_eq!(a.region.as_deref(), Some("ca-central-1"));
    assert_eq!(a.alias.value(), "gs");
    assert_eq!(a.tag_list(), vec!["a=1", "b=2"]);
    assert_eq!(a.admins, vec!["arn:aws:iam::111122223333:role/Ops"]);
    assert!(a.admins_can_delete);
    assert_eq!(a.rotation_days.value(), "730");
    let v = a.validate().unwrap();
    assert_eq!(v.principal, "arn:aws:iam::877694686213:root");

    let mut b = app_with(RawAnswers {
        vendor: Some("camunda".into()),
        region: Some("us-east-1".into()),
        ..Default::default()
    });
    assert!(
        b.error.is_none(),
        "nothing about the Region on the vendor step"
    );
    b.handle(enter());
    assert_eq!(b.screen, Screen::Region);
    let msg = b.error.clone().expect("the flag's problem");
    assert!(
        msg.contains("--region") && msg.contains("us-east-1"),
        "{msg}"
    );
    assert_eq!(b.region.as_deref(), Some("eu-west-1"));
}

#[test]
fn administrators_search_select_paste_and_may_delete() {
    let mut a = loaded(app());
    enter_until(&mut a, Screen::Admins);
    let rows = a.admin_rows();
    assert!(rows[0].is_caller, "the caller comes first");
    assert_eq!(rows[0].arn, identity().policy_arn);
    assert_eq!(a.steps.admins.cursor, 1);
    a.handle(ch(' '));
    assert_eq!(a.admins, vec![identity().policy_arn]);
    type_str(&mut a, "plat");
    assert_eq!(a.admin_rows().len(), 1);
    // While searching, Space is text and Enter selects the match.
    a.handle(ch(' '));
    assert_eq!(a.admins.len(), 1);
    assert_eq!(a.steps.admins.filter.value(), "plat ");
    a.handle(enter());
    assert_eq!(a.admins.len(), 2);
    assert_eq!(a.screen, Screen::Admins);
    assert!(
        a.steps.admins.filter.value().is_empty(),
        "the search is cleared"
    );
    assert!(a.admins[1].ends_with("role/PlatformTeam"));
    a.handle(ctrl('u'));
    // A typed ARN from another partition is refused with the reason.
    a.handle(Event::Paste("arn:aws-cn:iam::111122223333:role/x".into()));
    a.handle(enter());
    assert!(a.error.as_deref().unwrap().starts_with("Administrators"));
    a.handle(ctrl('u'));
    a.handle(Event::Paste(
        "arn:aws:iam::111122223333:role/BreakGlass".into(),
    ));
    a.handle(enter());
    assert_eq!(a.screen, Screen::Admins, "adding an ARN stays on the step");
    assert!(a.admins.iter().any(|x| x.ends_with("role/BreakGlass")));
    assert!(a.admin_rows().iter().any(|r| r.kind == "ARN"));
    a.handle(key(KeyCode::Up));
    a.handle(key(KeyCode::Up));
    a.handle(key(KeyCode::Up));
    assert_eq!(a.steps.admins.cursor, 0);
    a.handle(ch(' '));
    assert!(a.admins_can_delete);
    a.handle(enter());
    assert_eq!(a.screen, Screen::Principal);
    let v = a.clone();
    assert_eq!(v.raw().admins.len(), 3);
    assert_eq!(
        v.highlighted_sids(),
        v.vendor()
            .statements
            .iter()
            .map(|s| s.sid.clone())
            .collect::<Vec<_>>()
    );
}

#[test]
fn may_delete_without_administrators_is_refused() {
    let mut a = loaded(app());
    enter_until(&mut a, Screen::Admins);
    a.handle(key(KeyCode::Up));
    a.handle(ch(' '));
    a.handle(enter());
    assert_eq!(a.screen, Screen::Admins);
    let e = a.error.as_deref().unwrap();
    assert!(e.contains("They may also delete the key"), "{e}");
    assert!(!e.contains("--"), "in the screen's terms, not flags: {e}");
}

#[test]
fn the_policy_preview_follows_the_answers_and_highlights_the_focused_one() {
    let mut a = loaded(app());
    let p = a.preview_policy().unwrap();
    let doc = crate::policy::to_document(&p);
    assert!(doc.contains("<Camunda tenant IAM role ARN>"), "{doc}");
    assert!(doc.contains("arn:aws:iam::111122223333:root"));
    enter_until(&mut a, Screen::Admins);
    a.handle(ch(' '));
    assert_eq!(
        a.highlighted_sids(),
        vec![crate::policy::ADMIN_SID.to_string()]
    );
    let doc = crate::policy::to_document(&a.preview_policy().unwrap());
    assert!(doc.contains("AWSReservedSSO_Admin_0123"), "{doc}");
    a.handle(enter());
    type_str(&mut a, ROLE);
    let doc = crate::policy::to_document(&a.preview_policy().unwrap());
    assert!(doc.contains(ROLE));
    assert!(!doc.contains("<Camunda"));
}

#[test]
fn regionality_choice_and_second_region() {
    let mut a = app_with(RawAnswers {
        principal: Some(ROLE.into()),
        ..Default::default()
    });
    enter_until(&mut a, Screen::Regionality);
    a.handle(key(KeyCode::Down));
    a.handle(enter());
    let v = a.validate().unwrap();
    assert_eq!(v.regionality, crate::answers::Regionality::MultiRegion);
    assert_eq!(v.replica_regions, ["eu-west-2"]);

    // Another vendor: any second Region, typed and checked.
    let mut o = app_with(RawAnswers {
        vendor: Some("other".into()),
        region: Some("eu-central-1".into()),
        principal: Some("123456789012".into()),
        ..Default::default()
    });
    enter_until(&mut o, Screen::Regionality);
    o.handle(key(KeyCode::Down));
    // Enter goes on to the second Region: a list, as the first one, with one near the
    // primary under the cursor.
    o.handle(enter());
    assert_eq!(o.screen, Screen::Regionality);
    assert_eq!(o.steps.regionality.focus, 1);
    assert_eq!(o.second_region_value().as_deref(), Some("eu-central-2"));
    assert!(!o.second_choices().contains(&"eu-central-1".to_string()));
    assert!(!o.second_choices().contains(&"cn-north-1".to_string()));
    o.handle(key(KeyCode::Down));
    assert_eq!(o.second_region_value().as_deref(), Some("eu-west-1"));
    // Typed: the list is filtered; the primary is not in it, and Enter says why.
    type_str(&mut o, "eu-central-1");
    o.handle(enter());
    assert!(
        o.error.as_deref().unwrap().contains("primary"),
        "{:?}",
        o.error
    );
    o.handle(ctrl('u'));
    type_str(&mut o, "eu-west-3");
    o.handle(enter());
    assert_eq!(o.screen, Screen::Rotation);
    o.handle(key(KeyCode::BackTab));
    assert_eq!(o.screen, Screen::Regionality);
    assert_eq!(o.steps.regionality.second_region.value(), "eu-west-3");
}

#[test]
fn region_list_filters_for_any_region_vendors() {
    let mut a = app_with(RawAnswers {
        vendor: Some("other".into()),
        ..Default::default()
    });
    a.handle(enter());
    assert_eq!(a.screen, Screen::Region);
    assert!(a.region_filterable());
    type_str(&mut a, "frank");
    assert_eq!(a.region_choices(), vec!["eu-central-1"]);
    assert_eq!(a.region.as_deref(), Some("eu-central-1"));
    a.handle(enter());
    assert_eq!(a.screen, Screen::KeyType);
}

#[test]
fn other_vendor_region_step_refuses_a_typo_as_the_flag_does() {
    // Typed into the filter: no Region matches, so Enter says why instead of going on with
    // the Region last under the cursor.
    let mut a = app_with(RawAnswers {
        vendor: Some("other".into()),
        ..Default::default()
    });
    a.handle(enter());
    assert_eq!(a.screen, Screen::Region);
    type_str(&mut a, "eu-wset-1");
    assert!(a.region_choices().is_empty());
    assert!(a.handle(enter()).is_empty());
    assert_eq!(a.screen, Screen::Region);
    let msg = a.error.clone().expect("refused");
    assert!(
        msg.starts_with(
            "Region: \"eu-wset-1\" is not an AWS Region byok knows: did you mean eu-west-1?"
        ),
        "{msg}"
    );
    assert!(msg.contains("--vendor-file"), "{msg}");
    // Tab is Enter here: the same.
    a.handle(key(KeyCode::Tab));
    assert_eq!(a.screen, Screen::Region);
    assert!(a.error.is_some());
    // Fixed: the list has it, and on it goes.
    a.handle(ctrl('u'));
    type_str(&mut a, "eu-west-1");
    assert_eq!(a.region_choices(), vec!["eu-west-1"]);
    a.handle(enter());
    assert_eq!(a.screen, Screen::KeyType);
    assert_eq!(a.region.as_deref(), Some("eu-west-1"));

    // Given as a flag: shown on the Region step, with the same message.
    let mut b = app_with(RawAnswers {
        vendor: Some("other".into()),
        region: Some("us-east-7".into()),
        ..Default::default()
    });
    assert_ne!(b.region.as_deref(), Some("us-east-7"));
    b.handle(enter());
    assert_eq!(b.screen, Screen::Region);
    let msg = b.error.clone().expect("the flag's problem");
    assert!(
        msg.starts_with("Region --region: \"us-east-7\" is not an AWS Region byok knows: did you mean us-east-1 or us-east-2?"),
        "{msg}"
    );

    // The second Region, typed: the same rule.
    let mut o = app_with(RawAnswers {
        vendor: Some("other".into()),
        region: Some("eu-central-1".into()),
        principal: Some("123456789012".into()),
        regionality: Some("two-keys".into()),
        ..Default::default()
    });
    enter_until(&mut o, Screen::Regionality);
    o.handle(key(KeyCode::Tab));
    assert_eq!(o.steps.regionality.focus, 1);
    type_str(&mut o, "eu-wset-2");
    o.handle(enter());
    assert_eq!(o.screen, Screen::Regionality);
    let msg = o.error.clone().expect("refused");
    assert!(
        msg.starts_with(
            "Second Region: \"eu-wset-2\" is not an AWS Region byok knows: did you mean eu-west-2?"
        ),
        "{msg}"
    );
}

#[test]
fn review_goes_back_to_one_answer_and_returns() {
    let mut a = camunda_ready();
    let rows = a.review_rows();
    let alias_row = rows.iter().position(|r| r.2 == "Alias").unwrap();
    for _ in 0..alias_row {
        a.handle(key(KeyCode::Down));
    }
    a.handle(enter());
    assert_eq!(a.screen, Screen::Names);
    assert_eq!(a.steps.names.focus, 0);
    a.handle(ctrl('u'));
    type_str(&mut a, "renamed");
    a.handle(enter());
    a.handle(enter());
    a.handle(enter());
    assert_eq!(
        a.screen,
        Screen::Review,
        "back to the review, not the next step"
    );
    assert_eq!(a.validate().unwrap().alias, "alias/renamed");
}

#[test]
fn save_policy_from_the_review() {
    let mut a = camunda_ready();
    let fx = a.handle(ch('s'));
    match &fx[..] {
        [Effect::Save { path, contents }] => {
            assert_eq!(path.to_str(), Some("camunda-saas-byok-policy.json"));
            let v: serde_json::Value = serde_json::from_str(contents).unwrap();
            assert_eq!(v["Statement"].as_array().unwrap().len(), 3);
        }
        other => panic!("{other:?}"),
    }
    a.handle(Event::Saved(Ok("/tmp/x.json".into())));
    assert_eq!(a.status.as_deref(), Some("✓ Saved to /tmp/x.json"));
}

#[test]
fn a_save_never_replaces_a_file() {
    let dir = std::env::temp_dir().join(format!("byok-save-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("camunda-saas-byok-policy.json");
    std::fs::write(&path, "mine").unwrap();
    let first = crate::tui::save_new(&path, "one").unwrap();
    let second = crate::tui::save_new(&path, "two").unwrap();
    assert_eq!(first, dir.join("camunda-saas-byok-policy-2.json"));
    assert_eq!(second, dir.join("camunda-saas-byok-policy-3.json"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    assert_eq!(std::fs::read_to_string(&first).unwrap(), "one");
    assert_eq!(std::fs::read_to_string(&second).unwrap(), "two");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn record(role: KeyRole, region: &str) -> KeyRecord {
    KeyRecord {
        role,
        region: region.into(),
        arn: format!("arn:aws:kms:{region}:111122223333:key/mrk-1"),
        key_id: "mrk-1".into(),
        alias: Some("alias/camunda-saas-byok".into()),
        created_now: true,
    }
}

#[test]
fn run_progress_done_copy_and_save() {
    let mut a = camunda_ready();
    let fx = a.handle(ch('r'));
    let plan = match &fx[..] {
        [Effect::Run(p)] => p.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(a.screen, Screen::Execute);
    assert!(a.is_spinning());
    assert_eq!(plan.answers, a.validate().unwrap());
    a.handle(Event::Progress(Progress::Started { step: 0 }));
    assert_eq!(a.run.as_ref().unwrap().steps[0].status, StepStatus::Running);
    a.handle(Event::Progress(Progress::Retrying {
        step: 0,
        attempt: 1,
        reason: "throttled".into(),
        delay: std::time::Duration::from_millis(200),
    }));
    a.handle(Event::Progress(Progress::Done {
        step: 0,
        elapsed: std::time::Duration::from_millis(300),
        note: None,
    }));
    let s0 = &a.run.as_ref().unwrap().steps[0];
    assert_eq!(s0.retries, 1);
    assert!(matches!(s0.status, StepStatus::Done { .. }));
    let k = record(KeyRole::Primary, "eu-west-1");
    a.handle(Event::Progress(Progress::Key { key: k.clone() }));
    a.handle(Event::RunFinished(Box::new(RunReport {
        role: None,
        account: Some("111122223333".into()),
        caller: None,
        keys: vec![k.clone()],
        policy: None,
        outcome: Outcome::Completed,
        done_steps: vec![0],
        retired: vec![],
        in_flight: vec![],
    })));
    assert_eq!(a.screen, Screen::Done);
    assert!(!a.is_spinning());
    assert_eq!(a.stdout_lines(), vec![k.arn.clone()]);
    assert_eq!(a.exit_code(), 0);
    assert_eq!(a.handle(ch('c')), vec![Effect::Copy(k.arn.clone())]);
    a.handle(Event::Copied(Ok("to the tmux buffer".into())));
    assert_eq!(a.status.as_deref(), Some("✓ Copied to the tmux buffer"));
    match &a.handle(ch('s'))[..] {
        [Effect::Save { path, contents }] => {
            assert_eq!(path.to_str(), Some("camunda-saas-byok-arns.txt"));
            assert!(contents.contains(&k.arn));
        }
        other => panic!("{other:?}"),
    }
    // `r`: the change record, with the calls the run sent.
    a.handle(Event::Recorded(Box::new(crate::record::RunLog {
        steps: vec![],
        calls: vec![crate::record::Call {
            at: "2026-01-01T00:00:00Z".into(),
            api: "kms:CreateKey".into(),
            region: "eu-west-1".into(),
            target: String::new(),
            ok: true,
            result: k.arn.clone(),
        }],
        started: "2026-01-01T00:00:00Z".into(),
        finished: "2026-01-01T00:00:01Z".into(),
    })));
    match &a.handle(ch('r'))[..] {
        [Effect::Save { path, contents }] => {
            assert_eq!(path.to_str(), Some("camunda-saas-byok-change-record.md"));
            assert!(contents.contains("# byok change record"), "{contents}");
            assert!(contents.contains("`kms:CreateKey`"), "{contents}");
            assert!(contents.contains(&format!("`{}`", k.arn)), "{contents}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(a.handle(ch('q')), vec![Effect::Quit]);
}

#[test]
fn ctrl_c_during_a_run_asks_then_stops_after_the_call_in_flight() {
    let mut a = camunda_ready();
    a.handle(ch('r'));
    assert!(a.handle(ctrl('c')).is_empty());
    assert!(a.run.as_ref().unwrap().confirm_cancel);
    a.handle(ch('n'));
    assert!(!a.run.as_ref().unwrap().confirm_cancel);
    a.handle(ctrl('c'));
    assert_eq!(a.handle(ch('y')), vec![Effect::Cancel]);
    assert!(a.run.as_ref().unwrap().cancelling);
    // While stopping, Ctrl-C offers to quit at once.
    assert!(a.bindings().iter().any(|b| b.label == "quit now"));
    a.handle(Event::RunFinished(Box::new(RunReport {
        role: None,
        account: None,
        caller: None,
        keys: vec![record(KeyRole::Primary, "eu-west-1")],
        policy: None,
        outcome: Outcome::Interrupted { step: 3 },
        done_steps: vec![0, 1, 2],
        retired: vec![],
        in_flight: vec![],
    })));
    assert_eq!(a.screen, Screen::Execute);
    assert_eq!(a.exit_code(), crate::exec::exit::INTERRUPTED);
    assert!(a.stdout_lines().is_empty());
    a.ctx.journal = Some("/state/journal.jsonl".into());
    let words = screen_text(&a, 120, 40)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(words.contains("What exists now:"), "{words}");
    assert!(
        words.contains("arn:aws:kms:eu-west-1:111122223333:key/mrk-1"),
        "{words}"
    );
    assert!(
        words.contains("Every ARN is recorded in /state/journal.jsonl."),
        "{words}"
    );
}

#[test]
fn a_signal_during_a_run_cancels_instead_of_abandoning_it() {
    let mut a = camunda_ready();
    a.handle(ch('r'));
    assert_eq!(a.handle(Event::Interrupt), vec![Effect::Cancel]);
    assert!(a.quit);
    // A second signal does not wait for the call in flight.
    assert_eq!(a.handle(Event::Interrupt), vec![Effect::Quit]);
    assert_eq!(a.exit_code(), crate::exec::exit::INTERRUPTED);
}

#[test]
fn a_failed_run_goes_back_to_the_answer_that_fixes_it() {
    let mut a = camunda_ready();
    a.handle(ch('r'));
    a.handle(Event::RunFinished(Box::new(RunReport {
        role: None,
        account: Some("111122223333".into()),
        caller: None,
        keys: vec![],
        policy: None,
        outcome: Outcome::Failed {
            step: 3,
            error: ExecError::AliasTaken {
                alias: "alias/camunda-saas-byok".into(),
                region: "eu-west-1".into(),
                key_arn: "arn:aws:kms:eu-west-1:111122223333:key/x".into(),
            },
        },
        done_steps: vec![0, 1],
        retired: vec![],
        in_flight: vec![],
    })));
    assert_eq!(a.screen, Screen::Execute);
    assert_eq!(a.exit_code(), crate::exec::exit::INVALID_INPUT);
    a.handle(enter());
    assert_eq!(a.screen, Screen::Names);
    a.handle(ctrl('u'));
    type_str(&mut a, "camunda-byok-2");
    a.handle(enter());
    a.handle(enter());
    a.handle(enter());
    assert_eq!(a.screen, Screen::Review);
    let fx = a.handle(ch('r'));
    match &fx[..] {
        [Effect::Run(p)] => assert_eq!(p.answers.alias, "alias/camunda-byok-2"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ctrl_c_in_the_form_quits_at_once() {
    let mut a = app();
    a.handle(enter());
    assert_eq!(a.handle(ctrl('c')), vec![Effect::Quit]);
    // Nothing was created: interrupted, so `ARN=$(byok)` does not carry on with no ARN.
    assert_eq!(a.exit_code(), crate::exec::exit::INTERRUPTED);
    let mut b = app();
    assert_eq!(b.handle(Event::Interrupt), vec![Effect::Quit]);
    assert_eq!(b.exit_code(), crate::exec::exit::INTERRUPTED);
}

#[test]
fn help_opens_and_closes_and_typing_keeps_question_marks() {
    let mut a = app();
    // The built-in list is long enough to filter as you type: ? is text there, F1 is help.
    a.handle(ch('?'));
    assert!(!a.help, "? types into the vendor filter");
    a.handle(key(KeyCode::Backspace));
    a.handle(key(KeyCode::F(1)));
    assert!(a.help);
    assert!(help_text(&a).contains("Keys on this screen"));
    a.handle(key(KeyCode::Esc));
    assert!(!a.help);
    enter_until(&mut a, Screen::Names);
    a.handle(key(KeyCode::Tab));
    a.handle(ch('?'));
    assert!(!a.help, "? types into a text field");
    assert!(a.description.value().ends_with('?'));
    a.handle(key(KeyCode::F(1)));
    assert!(a.help);
}

#[test]
fn the_policy_toggle_is_for_narrow_terminals() {
    let mut a = app();
    a.handle(ctrl('p'));
    assert!(!a.show_policy, "wide: the policy is always beside the form");
    a.handle(Event::Resize(80, 24));
    a.handle(ctrl('p'));
    assert!(a.show_policy);
    a.handle(Event::Resize(130, 40));
    assert!(!a.show_policy);
}

#[test]
fn the_footer_shows_only_keys_that_work() {
    // Every labelled binding does something on the screen it is shown on.
    let mut a = loaded(app_with(RawAnswers {
        principal: Some(ROLE.into()),
        ..Default::default()
    }));
    for _ in 0..10 {
        for b in a.bindings() {
            assert!(!b.hint.is_empty() || b.label.is_empty());
        }
        let labels: Vec<String> = a.bindings().iter().map(|b| b.label.clone()).collect();
        assert!(
            labels.contains(&"quit".to_string()),
            "{:?}: {labels:?}",
            a.screen
        );
        if a.screen == Screen::Review {
            break;
        }
        a.handle(enter());
    }
    assert!(a.bindings().iter().any(|b| b.label == "save policy"));
}

#[test]
fn spinner_ticks_only_while_something_spins() {
    let mut a = app();
    assert!(!a.is_spinning(), "nothing spins on the vendor step");
    enter_until(&mut a, Screen::Admins);
    assert!(a.is_spinning());
    let mut a = loaded(a);
    assert!(!a.is_spinning());
    a.handle(Event::Tick);
    assert_eq!(a.tick, 1);
}

/// Without iam:GetRole the role behind an SSO session is unknown: its STS session ARN is not
/// a principal a key policy can name, so it is not offered; the step says why and what to do.
#[tokio::test]
async fn an_unresolved_session_role_is_not_offered_as_an_administrator() {
    let kms = crate::kms::flaky::FlakyKms::new(SimKms::new(SimOptions::instant()));
    kms.fail_from(
        "GetRole",
        1,
        crate::error::KmsError::AccessDenied {
            operation: "GetRole".into(),
            message: "not authorized to perform: iam:GetRole".into(),
        },
    );
    let id = load_identity(&kms).await.expect("STS still answers");
    assert!(id.caller_arn.contains(":assumed-role/"));
    assert_eq!(id.admin_arn(), None, "never the session ARN");
    let mut a = app();
    a.handle(Event::Identity(Ok(id)));
    a.handle(Event::Principals(Ok(principals())));
    enter_until(&mut a, Screen::Admins);
    let rows = a.admin_rows();
    assert!(
        rows.iter().all(|r| !r.is_caller
            && !r.arn.contains(":assumed-role/")
            && !r.arn.starts_with("arn:aws:sts:")),
        "{rows:?}"
    );
    assert_eq!(rows.len(), principals().len());
    assert!(a.admins.is_empty());
    // Space on the first row selects a listed role, not a session.
    a.handle(ch(' '));
    assert_eq!(a.admins, vec![principals()[0].arn.clone()]);
    for (w, h) in [(120, 40), (80, 24)] {
        let text = screen_text(&a, w, h);
        // The form's words, joined across line breaks (at 120 columns, the left half only).
        let words = text
            .lines()
            .map(|l| {
                l.chars()
                    .take(if w > 100 { 60 } else { 80 })
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            words.contains(
                "! Could not resolve the IAM role behind your session (needs iam:GetRole): pick it from the list or type its ARN."
            ),
            "{text}"
        );
        assert!(
            !text.contains("(the IAM role behind your session)"),
            "{text}"
        );
        assert!(!text.contains("(you)"), "{text}");
    }
    // Nor is a session ARN handed over as the policy ARN.
    let mut b = app();
    b.handle(Event::Identity(Ok(IdentityInfo {
        policy_arn: identity().caller_arn,
        ..identity()
    })));
    assert!(b.admin_rows().is_empty());
    // Typing the role's ARN adds it as usual.
    a.handle(Event::Paste(
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef".into(),
    ));
    a.handle(enter());
    assert_eq!(a.screen, Screen::Admins);
    assert_eq!(a.admins.len(), 2, "{:?}", a.admins);
}

/// Gearset's Region rows: Region and vendor account on one row at every size, the account
/// column aligned under its heading; a narrow form shortens the Region's name, not its code.
#[test]
fn gearset_region_rows_fit_the_width() {
    let mut a = loaded(app_with(RawAnswers {
        vendor: Some("gearset".into()),
        ..Default::default()
    }));
    a.handle(enter());
    assert_eq!(a.screen, Screen::Region);
    let v = a.vendor().clone();
    for (w, h) in [(120, 40), (80, 24), (100, 30), (60, 20)] {
        let text = screen_text(&a, w, h);
        // The form's half of the screen when the policy is beside it.
        let form_w = if w >= 100 { w as usize / 2 } else { w as usize };
        let form: Vec<String> = text
            .lines()
            .map(|l| l.chars().take(form_w).collect::<String>())
            .collect();
        let heading = form
            .iter()
            .position(|l| l.trim_end().ends_with("account"))
            .unwrap_or_else(|| panic!("{w}x{h}: no account heading\n{text}"));
        let col = form[heading].len() - form[heading].trim_start().len();
        for r in &v.regions {
            let acct = r.vendor_account.as_deref().unwrap();
            let row = form
                .iter()
                .find(|l| l.contains(acct))
                .unwrap_or_else(|| panic!("{w}x{h}: {acct} not on one row\n{text}"));
            assert!(row.contains(&r.code), "{w}x{h}: {row:?}\n{text}");
            assert_eq!(
                row.chars().count() - row.split(acct).nth(1).unwrap().chars().count() - acct.len(),
                col,
                "{w}x{h}: the account column is aligned under its heading\n{text}"
            );
            assert!(!row.contains(" account "), "{w}x{h}: {row:?}");
        }
        assert!(
            !form.iter().any(|l| l.trim_start().starts_with("account")),
            "{w}x{h}: a row wrapped\n{text}"
        );
    }
}

/// The policy preview wraps long lines without leaving punctuation behind: a `,` or `:` is
/// never alone at the start of a row, at any width, beside the form or on its own (^P).
#[test]
fn the_policy_preview_keeps_punctuation_on_its_line() {
    let mut camunda = loaded(app_with(RawAnswers {
        principal: Some(ROLE.into()),
        regionality: Some("multi-region".into()),
        admins: vec!["arn:aws:iam::111122223333:role/KeyAdministrators".into()],
        ..Default::default()
    }));
    enter_until(&mut camunda, Screen::Review);
    let mut gearset = loaded(app_with(RawAnswers {
        vendor: Some("gearset".into()),
        ..Default::default()
    }));
    enter_until(&mut gearset, Screen::Review);
    for app in [camunda, gearset] {
        let doc = crate::policy::to_document(&app.preview_policy().unwrap());
        let lines = doc.lines().count() as u16;
        // Every width of the box: alone up to 99 columns, half the screen from 100.
        for w in (super::view::MIN_WIDTH..=130u16).chain((132..=220).step_by(2)) {
            let mut a = app.clone();
            a.handle(Event::Resize(w, lines * 2));
            if !a.wide() {
                a.handle(ctrl('p'));
                assert!(a.show_policy);
            }
            let area = ratatui::layout::Rect::new(0, 0, w, lines * 2);
            let mut buf = ratatui::buffer::Buffer::empty(area);
            render(&a, area, &mut buf);
            let rows: Vec<String> = (0..area.height)
                .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect())
                .collect();
            // The box's inside: between its borders, without the statement gutter.
            let inside: Vec<&str> = rows
                .iter()
                .filter_map(|r| r.split('│').nth(1))
                .map(|r| r.trim_start_matches('▌').trim())
                .collect();
            assert!(
                inside.len() as u16 >= lines,
                "{w}: the whole policy is on screen"
            );
            for r in &inside {
                assert!(
                    !r.starts_with([',', ':']),
                    "{w} columns: a row starts with {r:?}\n{}",
                    rows.join("\n")
                );
            }
            // Every string's closing quote is followed by its comma on the same row.
            let text = inside.join("\n");
            assert!(!text.contains("\"\n,"), "{w}\n{text}");
        }
    }
}

/// A `--vendor-file` profile joins the built-ins on the vendor step: listed, selectable,
/// and the steps after it follow the file (its Regions, its statements).
#[test]
fn a_vendor_file_profile_is_listed_and_selectable() {
    let dir = std::env::temp_dir().join(format!("byok-tui-vendor-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("acme.json");
    std::fs::write(
        &file,
        serde_json::json!({
            "id": "acme",
            "version": "2026.1",
            "name": "Acme Analytics",
            "summary": "Acme reads your data with your key.",
            "docs_url": "https://acme.example/byok",
            "sources": ["https://acme.example/byok"],
            "checked": "2026-12-01",
            "regions": [
                { "code": "us-east-1", "name": "US East (N. Virginia)" },
                { "code": "eu-central-1", "name": "Europe (Frankfurt)" }
            ],
            "principal": {
                "kind": "account-or-arn",
                "label": "Acme AWS account",
                "help": "Acme's BYOK page shows the account ID."
            },
            "key": { "alias": "acme-byok", "description": "KMS key for Acme BYOK" },
            "statements": [
                { "sid": "Acme decrypts", "actions": ["kms:Decrypt", "kms:DescribeKey"] }
            ],
            "next_step": "Send the key ARN to Acme support."
        })
        .to_string(),
    )
    .unwrap();
    let catalog = Catalog::with_files(std::slice::from_ref(&file)).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let mut ctx = Ctx::new(catalog);
    ctx.demo = true;
    let mut a = App::new(ctx);
    a.handle(Event::Resize(120, 40));
    let mut a = loaded(a);
    assert_eq!(a.screen, Screen::Vendor);

    // Listed with the built-ins.
    let text = screen_text(&a, 80, 24);
    for name in ["Camunda SaaS", "Gearset", "Other vendor", "Acme Analytics"] {
        assert!(
            text.contains(&format!("( ) {name}")) || text.contains(&format!("(•) {name}")),
            "{name}\n{text}"
        );
    }
    // Selectable: down to it, its summary shows, and Enter goes on with it.
    while a.vendor().id != "acme" {
        a.handle(key(KeyCode::Down));
        assert!(a.vendor_idx < a.ctx.catalog.profiles.len());
    }
    let text = screen_text(&a, 80, 24);
    assert!(text.contains("› (•) Acme Analytics"), "{text}");
    assert!(
        text.contains("Acme reads your data with your key."),
        "{text}"
    );
    assert!(text.contains("https://acme.example/byok"), "{text}");
    a.handle(enter());
    assert_eq!(a.screen, Screen::Region);
    assert_eq!(a.region_choices(), ["us-east-1", "eu-central-1"]);
    a.handle(key(KeyCode::Down));
    enter_until(&mut a, Screen::Principal);
    a.handle(Event::Paste("444455556666".into()));
    enter_until(&mut a, Screen::Review);
    let answers = a.validate().unwrap();
    assert_eq!(answers.vendor.id, "acme");
    assert_eq!(answers.region, "eu-central-1");
    assert_eq!(answers.alias, "alias/acme-byok");
    let policy = a.preview_policy().unwrap().to_string();
    assert!(policy.contains("Acme decrypts"), "{policy}");
    assert!(
        policy.contains("arn:aws:iam::444455556666:root"),
        "{policy}"
    );

    // Named with --vendor, it is the one chosen from the start.
    let mut ctx = Ctx::new(a.ctx.catalog.clone());
    ctx.raw = RawAnswers {
        vendor: Some("acme".into()),
        ..Default::default()
    };
    assert_eq!(App::new(ctx).vendor().id, "acme");
}

#[test]
fn missing_credentials_are_explained_where_they_matter() {
    let mut a = app();
    a.handle(Event::Identity(Err(
        crate::error::KmsError::NoCredentials {
            detail: "none".into(),
        },
    )));
    a.handle(Event::Principals(Err(
        crate::error::KmsError::NoCredentials {
            detail: "none".into(),
        },
    )));
    enter_until(&mut a, Screen::Admins);
    // Narrow, so the form is alone on screen; words joined across line breaks.
    let text = screen_text(&a, 80, 24);
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("aws sso login"), "{text}");
    assert!(text.contains("! not signed in"), "{text}");
    assert!(words.contains("byok --demo"), "{text}");
}

fn screen_text(a: &App, w: u16, h: u16) -> String {
    let mut a = a.clone();
    a.handle(Event::Resize(w, h));
    let area = ratatui::layout::Rect::new(0, 0, w, h);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    render(&a, area, &mut buf);
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The real executor over the simulator, its events fed to the app: the Done screen shows
/// the ARNs the simulator holds.
#[tokio::test]
async fn a_demo_run_end_to_end_without_a_terminal() {
    let sim = SimKms::new(SimOptions::instant());
    let mut a = app_with(RawAnswers {
        principal: Some(ROLE.into()),
        regionality: Some("multi-region".into()),
        ..Default::default()
    });
    a.handle(Event::Identity(load_identity(&sim).await));
    a.handle(Event::Principals(sim.list_iam_principals().await));
    enter_until(&mut a, Screen::Review);
    let plan = match &a.handle(ch('r'))[..] {
        [Effect::Run(p)] => p.clone(),
        other => panic!("{other:?}"),
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_c, cancel) = watch::channel(false);
    let report = crate::exec::run(
        &sim,
        &plan,
        &crate::journal::Journal::disabled(),
        &tx,
        &cancel,
        &crate::exec::ExecOptions::default(),
    )
    .await;
    drop(tx);
    while let Some(p) = rx.recv().await {
        a.handle(Event::Progress(p));
    }
    a.handle(Event::RunFinished(Box::new(report)));
    assert_eq!(a.screen, Screen::Done);
    let lines = a.stdout_lines();
    assert_eq!(lines.len(), 2);
    for arn in &lines {
        let region = arn.split(':').nth(3).unwrap();
        let key_id = arn.rsplit('/').next().unwrap();
        let info = sim.describe_key(region, key_id).await.unwrap();
        assert_eq!(&info.arn, arn);
    }
    let text = screen_text(&a, 80, 24);
    for arn in &lines {
        assert!(
            text.contains(arn.as_str()),
            "{arn} whole on the 80x24 Done screen:\n{text}"
        );
    }
    assert!(
        a.run
            .as_ref()
            .unwrap()
            .steps
            .iter()
            .all(|s| matches!(s.status, StepStatus::Done { .. }))
    );
}

#[test]
fn review_exports_through_a_format_chooser_and_a_file_name() {
    let mut a = camunda_ready();
    assert!(
        a.bindings()
            .iter()
            .any(|b| b.hint == "e" && b.label == "export")
    );
    assert!(a.handle(ch('e')).is_empty());
    assert!(matches!(a.export, Some(ExportDialog::Choose { index: 0 })));
    // The chooser moves over the three formats and stops at the ends.
    a.handle(key(KeyCode::Down));
    a.handle(key(KeyCode::Down));
    a.handle(key(KeyCode::Down));
    assert!(matches!(a.export, Some(ExportDialog::Choose { index: 2 })));
    a.handle(key(KeyCode::Up));
    assert!(matches!(a.export, Some(ExportDialog::Choose { index: 1 })));
    a.handle(key(KeyCode::Up));
    assert!(a.handle(enter()).is_empty());
    let name = match &a.export {
        Some(ExportDialog::Name { format, input }) => {
            assert_eq!(*format, crate::export::Format::Terraform);
            input.value().to_string()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(name, "camunda-saas-byok.tf");
    assert!(a.typing(), "the file name takes typing, letters included");
    // Typed letters edit the name rather than acting as keys.
    a.handle(key(KeyCode::Home));
    type_str(&mut a, "infra/");
    match a.handle(enter()).as_slice() {
        [
            Effect::Export {
                files,
                path,
                overwrite: false,
            },
        ] => {
            assert_eq!(path, &PathBuf::from("infra/camunda-saas-byok.tf"));
            assert_eq!(files.len(), 1);
            // The loaded identity's account is written in.
            assert!(files[0].contents.contains("111122223333"));
        }
        other => panic!("{other:?}"),
    }
    // The dialog stays until the files are written.
    assert!(matches!(a.export, Some(ExportDialog::Name { .. })));
    assert_eq!(a.screen, Screen::Review);
    a.handle(Event::Exported(Ok(vec![PathBuf::from(
        "infra/camunda-saas-byok.tf",
    )])));
    assert!(a.export.is_none());
    assert_eq!(
        a.status.as_deref(),
        Some("✓ Exported to infra/camunda-saas-byok.tf")
    );
    a.handle(Event::Exported(Err(
        "infra/x.tf: No such file or directory".into(),
    )));
    assert!(
        a.status
            .as_deref()
            .unwrap()
            .starts_with("! Could not export: ")
    );
}

#[test]
fn export_esc_cancels_and_an_empty_name_is_refused() {
    let mut a = camunda_ready();
    a.handle(ch('e'));
    a.handle(key(KeyCode::Esc));
    assert!(a.export.is_none());
    assert_eq!(
        a.screen,
        Screen::Review,
        "Esc closes the dialog, not the review"
    );
    a.handle(ch('e'));
    a.handle(enter());
    a.handle(key(KeyCode::Esc));
    assert!(a.export.is_none());
    // An empty name stays in the dialog with a message.
    a.handle(ch('e'));
    a.handle(enter());
    a.handle(ctrl('u'));
    assert!(a.handle(enter()).is_empty());
    assert!(matches!(a.export, Some(ExportDialog::Name { .. })));
    assert!(a.error.as_deref().unwrap().starts_with("File name"));
}

#[test]
fn export_without_identity_leaves_the_account_to_apply_time() {
    let mut a = app_with(RawAnswers {
        principal: Some(ROLE.into()),
        ..Default::default()
    });
    enter_until(&mut a, Screen::Review);
    a.handle(ch('e'));
    a.handle(key(KeyCode::Down));
    a.handle(key(KeyCode::Down));
    a.handle(enter());
    match a.handle(enter()).as_slice() {
        [Effect::Export { files, path, .. }] => {
            assert_eq!(path, &PathBuf::from("camunda-saas-byok.sh"));
            assert!(files[0].executable);
            assert!(files[0].contents.contains("get-caller-identity"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn export_writes_through_write_files() {
    let dir = std::env::temp_dir().join(format!("byok-tui-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut a = camunda_ready();
    a.handle(ch('e'));
    a.handle(enter());
    a.handle(ctrl('u'));
    type_str(&mut a, &format!("{}/key.tf", dir.display()));
    let fx = a.handle(enter());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_svc_tx, svc) = watch::channel(None);
    let (cancel, _) = watch::channel(false);
    let journal = std::sync::Arc::new(crate::journal::Journal::disabled());
    for e in fx {
        spawn_effect(e, &svc, &journal, &tx, &cancel);
    }
    let ev = rx.try_recv().unwrap();
    a.handle(ev);
    let written = dir.join("key.tf");
    assert_eq!(
        a.status.as_deref(),
        Some(format!("✓ Exported to {}", written.display()).as_str())
    );
    assert!(
        std::fs::read_to_string(&written)
            .unwrap()
            .contains("aws_kms_key")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Carry out the effects as `tui::run` does and feed the answers back.
fn perform(a: &mut App, fx: Vec<Effect>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_svc_tx, svc) = watch::channel(None);
    let (cancel, _) = watch::channel(false);
    let journal = std::sync::Arc::new(crate::journal::Journal::disabled());
    for e in fx {
        spawn_effect(e, &svc, &journal, &tx, &cancel);
    }
    while let Ok(ev) = rx.try_recv() {
        a.handle(ev);
    }
}

#[test]
fn export_asks_before_replacing_a_file_and_keeps_it_by_default() {
    let dir = std::env::temp_dir().join(format!("byok-tui-overwrite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mine = dir.join("key.tf");
    std::fs::write(&mine, "# my own Terraform\n").unwrap();
    let untouched = || std::fs::read_to_string(&mine).unwrap() == "# my own Terraform\n";
    let mut a = camunda_ready();
    a.handle(ch('e'));
    a.handle(enter());
    a.handle(ctrl('u'));
    type_str(&mut a, &mine.display().to_string());
    let fx = a.handle(enter());
    assert!(
        matches!(
            &fx[..],
            [Effect::Export {
                overwrite: false,
                ..
            }]
        ),
        "{fx:?}"
    );
    perform(&mut a, fx);
    // Nothing written; the question names the file, y/N.
    assert!(untouched());
    match &a.export {
        Some(ExportDialog::Overwrite { existing, .. }) => {
            assert_eq!(existing, std::slice::from_ref(&mine))
        }
        other => panic!("{other:?}"),
    }
    let text = screen_text(&a, 120, 40);
    assert!(
        text.contains(&format!("{} exists already", mine.display())),
        "{text}"
    );
    assert!(text.contains("Replace it?  y / N"), "{text}");
    let b = a.bindings();
    assert!(b.iter().any(|b| b.hint == "y" && b.label == "replace"));
    assert!(
        b.iter()
            .any(|b| b.hint == "n" && b.label.starts_with("keep it"))
    );
    // Enter is No: back to the name, as typed, to choose another.
    assert!(a.handle(enter()).is_empty());
    match &a.export {
        Some(ExportDialog::Name { input, .. }) => {
            assert_eq!(input.value(), mine.display().to_string())
        }
        other => panic!("{other:?}"),
    }
    assert!(untouched());
    // n and Esc keep it too; other keys do nothing.
    for no in [ch('n'), key(KeyCode::Esc)] {
        let fx = a.handle(enter());
        perform(&mut a, fx);
        assert!(matches!(a.export, Some(ExportDialog::Overwrite { .. })));
        assert!(a.handle(ch('x')).is_empty());
        assert!(matches!(a.export, Some(ExportDialog::Overwrite { .. })));
        assert!(a.handle(no).is_empty());
        assert!(matches!(a.export, Some(ExportDialog::Name { .. })));
        assert!(untouched());
    }
    // Another name is written at once.
    type_str(&mut a, ".new");
    let fx = a.handle(enter());
    perform(&mut a, fx);
    assert!(a.export.is_none());
    let new = dir.join("key.tf.new");
    assert!(
        std::fs::read_to_string(&new)
            .unwrap()
            .contains("aws_kms_key")
    );
    assert!(untouched());
    // y replaces it, and says so.
    a.handle(ch('e'));
    a.handle(enter());
    a.handle(ctrl('u'));
    type_str(&mut a, &mine.display().to_string());
    let fx = a.handle(enter());
    perform(&mut a, fx);
    let fx = a.handle(ch('y'));
    assert!(
        matches!(&fx[..], [Effect::Export { overwrite: true, path, .. }] if *path == mine),
        "{fx:?}"
    );
    perform(&mut a, fx);
    assert!(a.export.is_none());
    assert_eq!(
        a.status.as_deref(),
        Some(format!("✓ Exported to {}", mine.display()).as_str())
    );
    assert!(
        std::fs::read_to_string(&mine)
            .unwrap()
            .contains("aws_kms_key")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_two_file_export_into_a_directory_asks_for_the_files_that_exist() {
    let dir = std::env::temp_dir().join(format!("byok-tui-overwrite-cf-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut a = app_with(RawAnswers {
        principal: Some(ROLE.into()),
        regionality: Some("two-keys".into()),
        ..Default::default()
    });
    a = loaded(a);
    enter_until(&mut a, Screen::Review);
    a.handle(ch('e'));
    a.handle(key(KeyCode::Down));
    a.handle(enter());
    let names: Vec<String> = a
        .export_files(crate::export::Format::CloudFormation)
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names.len(), 2);
    // Only the second template exists: nothing is written until the answer.
    let second = dir.join(&names[1]);
    std::fs::write(&second, "{}").unwrap();
    a.handle(ctrl('u'));
    type_str(&mut a, &format!("{}/", dir.display()));
    let fx = a.handle(enter());
    perform(&mut a, fx);
    match &a.export {
        Some(ExportDialog::Overwrite { existing, .. }) => {
            assert_eq!(existing, std::slice::from_ref(&second))
        }
        other => panic!("{other:?}"),
    }
    assert!(!dir.join(&names[0]).exists());
    assert_eq!(std::fs::read_to_string(&second).unwrap(), "{}");
    let fx = a.handle(ch('y'));
    perform(&mut a, fx);
    assert!(dir.join(&names[0]).exists());
    assert_ne!(std::fs::read_to_string(&second).unwrap(), "{}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_vendor_screen_opens_the_status_screen() {
    // The built-in list is long enough to filter: S is a letter of a vendor's name there
    // (Snowflake), so F2 alone opens the status screen, and the footer says so.
    let mut a = app();
    assert!(a.ctx.catalog.profiles.len() >= super::steps::vendor::FILTER_AT);
    let b = a.bindings();
    let s = b
        .iter()
        .find(|b| b.label == "status of keys")
        .expect("bound");
    assert_eq!(s.hint, "F2");
    assert!(
        a.handle(Event::Key(KeyEvent::new(
            KeyCode::Char('S'),
            KeyModifiers::SHIFT
        )))
        .is_empty(),
        "S is typed into the filter"
    );
    assert_eq!(a.steps.vendor.filter.value(), "S");
    assert_eq!(a.handle(key(KeyCode::F(2))), vec![Effect::OpenStatus]);
    assert_eq!(a.screen, Screen::Vendor);
    a.handle(key(KeyCode::Backspace));
    a.handle(enter());
    assert!(!a.bindings().iter().any(|b| b.label == "status of keys"));

    // A short list (a catalog of a few profiles) takes no typing: S opens it too.
    let mut cat = Catalog::built_in();
    cat.profiles
        .retain(|p| ["camunda", "gearset", "other"].contains(&p.id.as_str()));
    let mut ctx = Ctx::new(cat);
    ctx.demo = true;
    let mut short = App::new(ctx);
    short.handle(Event::Resize(120, 40));
    let b = short.bindings();
    assert_eq!(
        b.iter().find(|b| b.label == "status of keys").unwrap().hint,
        "S"
    );
    assert_eq!(
        short.handle(Event::Key(KeyEvent::new(
            KeyCode::Char('S'),
            KeyModifiers::SHIFT
        ))),
        vec![Effect::OpenStatus]
    );
    // Lower-case s does nothing there.
    assert!(short.handle(ch('s')).is_empty());
}

/// At the minimum size and a little above it, every screen of a run keeps its footer, and
/// each ARN is whole: on one row, or on rows of its own at the terminal's full width, never
/// beside a border. Below the minimum, the wizard says what it needs.
#[tokio::test]
async fn small_terminals_keep_the_footer_and_every_arn_whole() {
    let sim = SimKms::new(SimOptions::instant());
    let mut a = app_with(RawAnswers {
        principal: Some(ROLE.into()),
        regionality: Some("multi-region".into()),
        region: Some("eu-west-1".into()),
        ..Default::default()
    });
    a.handle(Event::Identity(load_identity(&sim).await));
    a.handle(Event::Principals(sim.list_iam_principals().await));
    let sizes = [(MIN_WIDTH, MIN_HEIGHT), (70, 22), (80, 24)];
    let footer_ok = |a: &App| {
        for (w, h) in sizes {
            let text = screen_text(a, w, h);
            let last = text.lines().last().unwrap();
            assert!(
                last.contains("^C") || last.contains("q quit"),
                "{:?} {w}x{h}:\n{text}",
                a.screen
            );
        }
    };
    for _ in 0..14 {
        footer_ok(&a);
        if a.screen == Screen::Review {
            break;
        }
        a.handle(enter());
    }
    let plan = match &a.handle(ch('r'))[..] {
        [Effect::Run(p)] => p.clone(),
        other => panic!("{other:?}"),
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_c, cancel) = watch::channel(false);
    let report = crate::exec::run(
        &sim,
        &plan,
        &crate::journal::Journal::disabled(),
        &tx,
        &cancel,
        &crate::exec::ExecOptions::default(),
    )
    .await;
    drop(tx);
    while let Some(p) = rx.recv().await {
        a.handle(Event::Progress(p));
        footer_ok(&a);
    }
    a.handle(Event::RunFinished(Box::new(report)));
    assert_eq!(a.screen, Screen::Done);
    footer_ok(&a);
    for (w, h) in sizes {
        let text = screen_text(&a, w, h);
        let rows: Vec<&str> = text.lines().collect();
        assert!(
            text.contains("Paste the key ARN"),
            "{w}x{h}: the next step\n{text}"
        );
        for arn in a.stdout_lines() {
            let whole = rows.iter().any(|r| r.contains(&arn) && !r.contains('│'));
            let boxed = rows.iter().any(|r| r.contains(&format!("│{arn}")));
            let split = rows.windows(2).any(|p| {
                p[0].len() == w as usize
                    && !p[0].contains('│')
                    && format!("{}{}", p[0], p[1].trim_end()) == arn
            });
            assert!(whole || boxed || split, "{w}x{h}: {arn} cut\n{text}");
        }
    }
    let tiny = screen_text(&a, 40, 12);
    let words = tiny.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("byok needs at least 60x20; this terminal is 40x12."),
        "{tiny}"
    );
}

/// Text cut short ends in "…": a description longer than its field, a long name.
#[test]
fn cut_text_ends_in_an_ellipsis() {
    let mut a = app_with(RawAnswers {
        vendor: Some("other".into()),
        description: Some("A key for the vendor's BYOK feature, for the payments team".into()),
        ..Default::default()
    });
    a.handle(Event::Resize(MIN_WIDTH, MIN_HEIGHT));
    enter_until(&mut a, Screen::Names);
    let text = screen_text(&a, MIN_WIDTH, MIN_HEIGHT);
    let row = text.lines().find(|l| l.contains("Description")).unwrap();
    assert!(row.trim_end().ends_with('…'), "{row:?}");
    assert_eq!(super::view::ellipsize("KeyAdministrators", 8), "KeyAdmi…");
    assert_eq!(super::view::ellipsize("short", 8), "short");
}

/// A second Ctrl-C at "Stop after the call in flight?" stops and quits; the step under way
/// when the run stopped spins no more; a create in flight is reported as a key that may
/// exist, with the `byok create` command that finishes.
#[test]
fn a_stop_names_what_may_exist_and_how_to_finish() {
    let mut a = camunda_ready();
    a.ctx.raw.regionality = Some("multi-region".into());
    a.regionality_idx = 1;
    a.handle(ch('r'));
    a.handle(Event::Progress(Progress::Started { step: 5 }));
    assert!(a.handle(ctrl('c')).is_empty());
    assert!(a.run.as_ref().unwrap().confirm_cancel);
    assert_eq!(a.handle(ctrl('c')), vec![Effect::Cancel]);
    assert!(a.quit && a.run.as_ref().unwrap().cancelling);
    // Quit at once before the report: the step under way names what may exist.
    assert_eq!(
        a.run.as_ref().unwrap().in_flight(),
        vec![crate::exec::InFlight {
            role: KeyRole::Replica,
            region: "eu-west-2".into()
        }]
    );
    a.handle(Event::RunFinished(Box::new(RunReport {
        role: None,
        account: Some("111122223333".into()),
        caller: None,
        keys: vec![record(KeyRole::Primary, "eu-west-1")],
        policy: None,
        outcome: Outcome::Interrupted { step: 5 },
        done_steps: vec![0, 1, 2, 3, 4],
        retired: vec![],
        in_flight: vec![crate::exec::InFlight {
            role: KeyRole::Replica,
            region: "eu-west-2".into(),
        }],
    })));
    assert_eq!(a.run.as_ref().unwrap().steps[5].status, StepStatus::Stopped);
    assert!(!a.is_spinning());
    assert_eq!(a.exit_code(), crate::exec::exit::INTERRUPTED);
    let text = screen_text(&a, 120, 40);
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("Replica key in Europe (London) eu-west-2 may have been created"),
        "{text}"
    );
    assert!(
        words.contains("Primary key in Europe (Ireland) eu-west-1"),
        "{text}"
    );
    assert!(
        words.contains("byok --demo create --vendor camunda --region eu-west-1"),
        "{text}"
    );
    assert!(!text.contains('⠋'), "{text}");
}

/// Pasted with its quotes and comma (from JSON, a document): they go, and the screen says so;
/// into free text (a description) a paste is kept as it is.
#[test]
fn pasted_quotes_and_commas_are_not_part_of_an_arn() {
    let mut a = loaded(app());
    enter_until(&mut a, Screen::Principal);
    a.handle(Event::Paste(format!("  \"{ROLE}\",\n")));
    assert_eq!(a.principal.value(), ROLE);
    assert!(a.status.as_deref().unwrap().contains("without the quotes"));
    a.handle(enter());
    assert_eq!(a.screen, Screen::Regionality);
    // Typed rather than pasted, the quotes stay, and the step says what to do.
    a.handle(key(KeyCode::Esc));
    a.handle(ctrl('u'));
    type_str(&mut a, &format!("'{ROLE}'"));
    a.handle(enter());
    assert!(
        a.error.as_deref().unwrap().contains("quotes"),
        "{:?}",
        a.error
    );
    // Free text keeps what was pasted.
    enter_until_back(&mut a, Screen::Names);
    a.handle(key(KeyCode::Tab));
    a.handle(ctrl('u'));
    a.handle(Event::Paste("\"Payments\", EU".into()));
    assert_eq!(a.description.value(), "\"Payments\", EU");
}

fn enter_until_back(a: &mut App, s: Screen) {
    for _ in 0..12 {
        if a.screen == s {
            return;
        }
        a.handle(key(KeyCode::Esc));
    }
    assert_eq!(a.screen, s);
}

#[test]
fn the_steps_are_a_list_each_screen_once_in_the_wizards_order() {
    let screens: Vec<Screen> = super::steps::ALL.iter().map(|s| s.screen()).collect();
    assert!(screens.windows(2).all(|w| w[0] < w[1]), "{screens:?}");
    assert_eq!(screens.len(), 12);
    for s in &screens {
        assert_eq!(super::steps::step(*s).screen(), *s);
    }
    // Every answer the wizard sets has the one step that asks it.
    for f in [
        Field::Vendor,
        Field::Region,
        Field::Account,
        Field::Alias,
        Field::Description,
        Field::Tags,
        Field::Admins,
        Field::Principal,
        Field::Regionality,
        Field::ReplicaRegion,
        Field::RotationDays,
        Field::AlertsEmail,
        Field::Value,
    ] {
        let asking: Vec<Screen> = super::steps::ALL
            .iter()
            .filter(|s| s.answers(f))
            .map(|s| s.screen())
            .collect();
        assert_eq!(asking, vec![Screen::of_field(f)], "{f:?}");
    }
    // The form for a vendor with one regionality leaves that step out; with two, keeps it.
    let gearset = app_with(RawAnswers {
        vendor: Some("gearset".into()),
        ..RawAnswers::default()
    });
    assert!(!super::steps::form(&gearset).contains(&Screen::Regionality));
    assert_eq!(super::steps::form(&gearset).last(), Some(&Screen::Review));
    assert!(super::steps::form(&camunda_ready()).contains(&Screen::Regionality));
    // The values step only for a vendor that declares values.
    assert!(!super::steps::form(&gearset).contains(&Screen::Values));
    let databricks = app_with(RawAnswers {
        vendor: Some("databricks".into()),
        ..RawAnswers::default()
    });
    assert!(super::steps::form(&databricks).contains(&Screen::Values));
}

/// Elastic asks for the alias ARN of each key: the Done screen shows exactly those, each
/// with its copy key, and they are what the wizard prints when it exits.
#[test]
fn done_shows_what_the_vendor_asks_to_have_pasted_back() {
    let mut a = loaded(app_with(RawAnswers {
        vendor: Some("elastic".into()),
        region: Some("eu-west-1".into()),
        regionality: Some("multi-region".into()),
        replica_regions: vec!["eu-central-1".into()],
        ..RawAnswers::default()
    }));
    enter_until(&mut a, Screen::Review);
    let fx = a.handle(ch('r'));
    assert!(matches!(&fx[..], [Effect::Run(_)]), "{fx:?}");
    let mut p = record(KeyRole::Primary, "eu-west-1");
    p.alias = Some("alias/elastic-cloud-byok".into());
    let mut r = record(KeyRole::Replica, "eu-central-1");
    r.alias = Some("alias/elastic-cloud-byok".into());
    a.handle(Event::RunFinished(Box::new(RunReport {
        account: Some("111122223333".into()),
        caller: None,
        keys: vec![p.clone(), r.clone()],
        role: None,
        policy: None,
        outcome: Outcome::Completed,
        done_steps: vec![],
        retired: vec![],
        in_flight: vec![],
    })));
    assert_eq!(a.screen, Screen::Done);
    let alias_arn = |k: &KeyRecord| {
        format!(
            "{}:alias/elastic-cloud-byok",
            k.arn.rsplit_once(":key/").unwrap().0
        )
    };
    assert_eq!(a.stdout_lines(), vec![alias_arn(&p), alias_arn(&r)]);
    assert_eq!(a.handle(ch('2')), vec![Effect::Copy(alias_arn(&r))]);
    let labels: Vec<String> = a.bindings().iter().map(|b| b.label.clone()).collect();
    assert!(
        labels.contains(&"copy alias arn · eu-central-1".to_string()),
        "{labels:?}"
    );
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    t.draw(|f| draw(&a, f)).unwrap();
    let screen: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(screen.contains(&alias_arn(&p)), "{screen}");
    assert!(
        screen.contains("paste into Elastic Cloud Hosted"),
        "{screen}"
    );
    assert!(
        !screen.contains(&format!("{} ", p.arn)),
        "the key ARN is not asked for"
    );
}

/// Databricks: the wizard asks for the account ID with the profile's label and help, shows
/// its placeholder in the policy until a valid one is typed, refuses a wildcard or the wrong
/// shape as typed, and puts the value into the condition.
#[test]
fn the_values_step_asks_the_profiles_values_and_checks_them() {
    let mut a = loaded(app_with(RawAnswers {
        vendor: Some("databricks".into()),
        region: Some("us-east-1".into()),
        ..RawAnswers::default()
    }));
    enter_until(&mut a, Screen::Values);
    assert_eq!(a.screen(), Screen::Values);
    let policy = a.preview_policy().unwrap().to_string();
    assert!(policy.contains("{{databricks-account-id}}"), "{policy}");
    assert!(
        policy.contains("arn:aws:iam::414351767826:root"),
        "{policy}"
    );
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    t.draw(|f| draw(&a, f)).unwrap();
    let screen: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        screen.contains("Databricks account ID"),
        "the label is on screen"
    );
    for bad in ["0d26daa6-*", "12345"] {
        type_str(&mut a, bad);
        a.handle(enter());
        assert_eq!(a.screen(), Screen::Values, "{bad}");
        let e = a.error.clone().unwrap();
        assert!(e.starts_with("Databricks account ID: "), "{e}");
        a.handle(ctrl('u'));
    }
    let id = "0d26daa6-5e44-4c97-a497-ef015f91254a";
    type_str(&mut a, id);
    let policy = a.preview_policy().unwrap().to_string();
    assert!(policy.contains(id) && !policy.contains("{{"), "{policy}");
    a.handle(enter());
    assert_ne!(a.screen(), Screen::Values);
    let answers = a.validate().unwrap();
    assert_eq!(
        answers.values,
        vec![("databricks-account-id".to_string(), id.to_string())]
    );
    assert!(
        a.review_rows()
            .iter()
            .any(|(s, _, _, v)| *s == Screen::Values && v.contains(id))
    );
}

/// A long vendor list (built-ins and --vendor-file profiles) filters as you type: the choice
/// follows the filter, the arrows move among the vendors shown, "Other vendor" stays, and a
/// short list takes no typing (S still opens the status screen).
#[test]
fn a_long_vendor_list_filters_as_you_type() {
    let short = app();
    assert!(short.bindings().iter().any(|b| b.label == "status of keys"));
    let mut cat = Catalog::built_in();
    let camunda = cat.get("camunda").unwrap().clone();
    for (id, name) in [
        ("acme", "Acme Cloud"),
        ("bolt", "Bolt DB"),
        ("cirrus", "Cirrus Analytics"),
        ("delta", "Delta Queue"),
    ] {
        let mut p = camunda.clone();
        p.id = id.into();
        p.name = name.into();
        cat.profiles.insert(cat.profiles.len() - 1, p);
    }
    assert!(cat.profiles.len() >= super::steps::vendor::FILTER_AT);
    let mut ctx = Ctx::new(cat);
    ctx.demo = true;
    let mut a = App::new(ctx);
    a.handle(Event::Resize(120, 40));
    type_str(&mut a, "ci");
    // "ci": Cirrus Analytics, and Other vendor.
    assert_eq!(a.vendor().id, "cirrus");
    let names: Vec<&str> = super::steps::vendor::shown(&a)
        .into_iter()
        .map(|i| a.ctx.catalog.profiles[i].id.as_str())
        .collect();
    assert_eq!(names, ["cirrus", "other"]);
    a.handle(key(KeyCode::Down));
    assert_eq!(a.vendor().id, "other");
    a.handle(key(KeyCode::Down));
    assert_eq!(
        a.vendor().id,
        "other",
        "the arrows stay within the vendors shown"
    );
    a.handle(key(KeyCode::Up));
    assert_eq!(a.vendor().id, "cirrus");
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    t.draw(|f| draw(&a, f)).unwrap();
    let screen: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(screen.contains("Filter: ci"), "the filter is on screen");
    assert!(!screen.contains("Camunda SaaS"), "filtered out");
    a.handle(enter());
    assert_eq!(a.screen(), Screen::Region);
}

/// A vendor that names its principal once the key ARN is registered with it (Confluent):
/// the wizard asks for no principal, makes the key, and its Done screen takes what the vendor
/// returned, plans the same grant as `byok grant` (the diff, asked first) and sends it.
#[tokio::test]
async fn a_two_phase_vendors_done_screen_grants_what_the_vendor_returned() {
    const ROLES: [&str; 2] = [
        "arn:aws:iam::665544332211:role/confluent-byok-1",
        "arn:aws:iam::665544332211:role/confluent-byok-2",
    ];
    let sim = SimKms::new(SimOptions::instant());
    let mut a = app_with(RawAnswers {
        vendor: Some("confluent".into()),
        region: Some("eu-west-1".into()),
        ..Default::default()
    });
    a.handle(Event::Identity(load_identity(&sim).await));
    a.handle(Event::Principals(sim.list_iam_principals().await));
    enter_until(&mut a, Screen::Review);
    assert!(
        a.review_rows()
            .iter()
            .any(|(_, _, l, v)| l == "Vendor principal" && v.contains("none yet")),
        "{:?}",
        a.review_rows()
    );
    let plan = match &a.handle(ch('r'))[..] {
        [Effect::Run(p)] => p.clone(),
        other => panic!("{other:?}"),
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_c, cancel) = watch::channel(false);
    let report = crate::exec::run(
        &sim,
        &plan,
        &crate::journal::Journal::disabled(),
        &tx,
        &cancel,
        &crate::exec::ExecOptions::default(),
    )
    .await;
    drop(tx);
    while let Some(p) = rx.recv().await {
        a.handle(Event::Progress(p));
    }
    a.handle(Event::RunFinished(Box::new(report)));
    assert_eq!(a.screen, Screen::Done);
    let arn = a.stdout_lines()[0].clone();
    let text = screen_text(&a, 120, 40);
    assert!(text.contains("Phase one is done"), "{text}");
    assert!(text.contains("phase one of two"), "{text}");
    assert!(
        text.contains(&format!("byok --demo grant --key {arn} --principal ARN")),
        "{text}"
    );
    assert_eq!(
        a.handle(ch('g')),
        vec![Effect::Copy(format!(
            "byok --demo grant --key {arn} --principal ARN"
        ))]
    );
    // Paste what Confluent returned; an empty paste is refused with where to find it.
    assert!(a.handle(ch('p')).is_empty());
    assert!(a.handle(enter()).is_empty());
    assert!(screen_text(&a, 120, 40).contains("Paste what Confluent Cloud returned"));
    a.handle(Event::Paste(format!("\"{}\", \"{}\"", ROLES[0], ROLES[1])));
    let effect = match &a.handle(enter())[..] {
        [e @ Effect::PlanGrant { .. }] => e.clone(),
        other => panic!("{other:?}"),
    };
    let Effect::PlanGrant {
        key_arn,
        region,
        vendor,
        text,
    } = effect
    else {
        unreachable!()
    };
    assert_eq!(key_arn, arn);
    let planned = crate::status::plan_pasted_grant(&sim, &vendor, &key_arn, &region, &text).await;
    a.handle(Event::GrantPlanned(planned.map(Box::new)));
    let shown = screen_text(&a, 120, 40);
    assert!(shown.contains("Grant "), "{shown}");
    assert!(shown.contains(ROLES[1]), "{shown}");
    // Nothing is sent before y.
    let plan = match &a.handle(ch('y'))[..] {
        [Effect::ApplyGrant(p)] => p.clone(),
        other => panic!("{other:?}"),
    };
    let results = crate::status::apply(&sim, &plan).await;
    a.handle(Event::GrantApplied(results));
    assert!(
        screen_text(&a, 120, 40).contains("Granted"),
        "{}",
        screen_text(&a, 120, 40)
    );
    let key_id = arn.rsplit('/').next().unwrap();
    let policy: serde_json::Value =
        serde_json::from_str(&sim.get_policy("eu-west-1", key_id).await.unwrap()).unwrap();
    let golden: serde_json::Value = serde_json::from_str(
        &include_str!("../../tests/golden/confluent-granted.json")
            .replace("123456789012", crate::kms::sim::DEMO_ACCOUNT),
    )
    .unwrap();
    assert_eq!(policy, golden);
    // A hostile paste is refused where it was typed, and nothing is sent.
    a.handle(ch('p'));
    a.handle(Event::Paste(
        r#"{"Sid":"Allow Confluent accounts to use the key","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}"#.into(),
    ));
    let Effect::PlanGrant {
        key_arn,
        region,
        vendor,
        text,
    } = a.handle(enter()).remove(0)
    else {
        panic!()
    };
    let planned = crate::status::plan_pasted_grant(&sim, &vendor, &key_arn, &region, &text).await;
    assert!(planned.is_err());
    a.handle(Event::GrantPlanned(planned.map(Box::new)));
    let shown = screen_text(&a, 120, 40);
    assert!(shown.contains("the statement you pasted"), "{shown}");
}

/// Several `--replica-region` flags come back as the Regions picked, in their order; `+`
/// drops one again; the review names them all.
#[test]
fn several_replica_regions_from_the_flags_are_picked() {
    let mut a = app_with(RawAnswers {
        vendor: Some("gitlab-dedicated".into()),
        region: Some("eu-west-1".into()),
        principal: Some("210987654321".into()),
        regionality: Some("multi-region".into()),
        replica_regions: vec!["us-east-1".into(), "eu-central-1".into()],
        ..Default::default()
    });
    assert_eq!(a.other_regions_value(), ["us-east-1", "eu-central-1"]);
    let v = a.validate().unwrap();
    assert_eq!(v.replica_regions, ["us-east-1", "eu-central-1"]);
    enter_until(&mut a, Screen::Regionality);
    a.handle(key(KeyCode::Tab));
    for c in "us-east-1".chars() {
        a.handle(ch(c));
    }
    a.handle(ch('+'));
    assert_eq!(a.other_regions_value(), ["eu-central-1"]);
    a.handle(ch('+'));
    assert_eq!(a.other_regions_value(), ["eu-central-1", "us-east-1"]);
}

/// A vendor that assumes a role in your account: the access step asks the vendor's principal
/// and then the external ID, each checked where it is typed; the review and the plan carry
/// the role.
#[test]
fn the_access_step_asks_the_external_id_for_a_role_the_vendor_assumes() {
    let mut a = loaded(app_with(RawAnswers {
        vendor: Some("mongodb-atlas".into()),
        region: Some("us-east-1".into()),
        ..Default::default()
    }));
    enter_until(&mut a, Screen::Principal);
    a.handle(Event::Paste("arn:aws:iam::536727724300:root".into()));
    a.handle(enter());
    assert_eq!(a.screen, Screen::Principal, "on to the external ID");
    assert_eq!(a.steps.principal.focus, 1);
    a.handle(enter());
    let msg = a.error.clone().expect("an external ID is required");
    assert!(msg.starts_with("External ID"), "{msg}");
    type_str(&mut a, "bad id");
    a.handle(enter());
    assert!(a.error.as_deref().unwrap().contains("' '"), "{:?}", a.error);
    a.handle(ctrl('u'));
    type_str(&mut a, "3192be49-6e76-4b7d-a7b8-b486a8fc4483");
    a.handle(enter());
    assert!(a.error.is_none(), "{:?}", a.error);
    assert_ne!(a.screen, Screen::Principal);
    let answers = a.validate().unwrap();
    let role = answers.role.expect("a role");
    assert_eq!(role.external_id, "3192be49-6e76-4b7d-a7b8-b486a8fc4483");
    assert_eq!(answers.principal, "arn:aws:iam::536727724300:root");
    // Shift-Tab from the principal step's second field goes back to the first.
    enter_until_back(&mut a, Screen::Principal);
    a.steps.principal.focus = 1;
    a.handle(key(KeyCode::BackTab));
    assert_eq!((a.screen, a.steps.principal.focus), (Screen::Principal, 0));
}

/// For a vendor that assumes a role in the customer's account, the preview shows the role's
/// trust policy and its own policy under the key policy: placeholders until answered, then the
/// principal and external ID typed, and the own policy only on the key about to be made.
#[test]
fn the_preview_shows_the_role_the_vendor_assumes() {
    let mut a = loaded(app_with(RawAnswers {
        vendor: Some("mongodb-atlas".into()),
        region: Some("us-east-1".into()),
        ..Default::default()
    }));
    enter_until(&mut a, Screen::Principal);
    let screen = |a: &App| {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 90)).unwrap();
        t.draw(|f| draw(a, f)).unwrap();
        let buf = t.backend().buffer().clone();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let before = screen(&a);
    assert!(before.contains("and the role's"), "{before}");
    assert!(before.contains("who may assume it"), "{before}");
    assert!(before.contains("<Atlas AWS account ARN"), "{before}");
    assert!(before.contains("its own policy"), "{before}");
    assert!(
        before.contains("may assume the role byok makes"),
        "{before}"
    );
    a.handle(Event::Paste("arn:aws:iam::536727724300:root".into()));
    a.handle(enter());
    type_str(&mut a, "3192be49-6e76-4b7d-a7b8-b486a8fc4483");
    let (name, trust, own) = a.preview_role().expect("a role");
    assert_eq!(name, "byok-mongodb-atlas-encryption");
    assert_eq!(
        trust["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::536727724300:root"
    );
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        "3192be49-6e76-4b7d-a7b8-b486a8fc4483"
    );
    let own = own.expect("Atlas's role has its own policy");
    assert_eq!(
        own["Statement"][0]["Resource"][0],
        "arn:aws:kms:us-east-1:111122223333:key/<the new key's ID>"
    );
    // A vendor without a role shows the key policy alone.
    let camunda = loaded(app());
    assert!(camunda.preview_role().is_none());
    assert!(!screen(&camunda).contains("and the role's"));
}

/// A profile that pairs the primary with three Regions and needs two: the wizard starts
/// with the first two it lists, and `+` among the pairs (←→ to move) picks others.
#[test]
fn a_profile_with_pairs_that_needs_two_regions() {
    let mut v = serde_json::to_value(Catalog::built_in().get("camunda").unwrap()).unwrap();
    v["id"] = "acme".into();
    v["dual_region"]["pairs"] = serde_json::json!([
        { "primary": "eu-west-1", "secondary": "eu-west-2" },
        { "primary": "eu-west-1", "secondary": "eu-central-1" },
        { "primary": "eu-west-1", "secondary": "eu-north-1" }
    ]);
    v["dual_region"]["min_regions"] = 2.into();
    v["dual_region"]["max_regions"] = 3.into();
    let p = crate::vendor::VendorProfile::from_json("acme.json", &v.to_string()).unwrap();
    let mut ctx = Ctx::new(Catalog { profiles: vec![p] });
    ctx.raw = RawAnswers {
        vendor: Some("acme".into()),
        principal: Some(ROLE.into()),
        regionality: Some("multi-region".into()),
        ..Default::default()
    };
    ctx.demo = true;
    let mut a = App::new(ctx);
    a.handle(Event::Resize(120, 40));
    assert_eq!(a.other_regions_value(), ["eu-west-2", "eu-central-1"]);
    assert_eq!(
        a.validate().unwrap().replica_regions,
        ["eu-west-2", "eu-central-1"]
    );
    enter_until(&mut a, Screen::Regionality);
    // ←→ to the third pair, + picks it: then only what was picked.
    a.handle(key(KeyCode::Right));
    a.handle(key(KeyCode::Right));
    a.handle(ch('+'));
    assert_eq!(a.other_regions_value(), ["eu-north-1"]);
    a.handle(key(KeyCode::Right));
    a.handle(ch('+'));
    assert_eq!(a.other_regions_value(), ["eu-north-1", "eu-west-2"]);
    assert_eq!(
        a.validate().unwrap().replica_regions,
        ["eu-north-1", "eu-west-2"]
    );
}

/// A restarted wizard says where phase two of an earlier run's key is: the status screen.
#[test]
fn the_first_screen_names_a_key_that_may_wait_for_its_vendor() {
    let mut ctx = Ctx::new(Catalog::built_in());
    ctx.waiting = vec![crate::status::WaitingKey {
        vendor: "Snowflake Tri-Secret Secure".into(),
        alias: "alias/snowflake-tri-secret-secure".into(),
        region: "us-east-1".into(),
    }];
    let mut a = App::new(ctx);
    a.handle(Event::Resize(120, 40));
    let text = screen_text(&a, 120, 40);
    let words = text
        .lines()
        .map(|l| l.split('│').next().unwrap_or("").trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        words.contains("Phase two? byok made alias/snowflake-tri-secret-secure for Snowflake Tri-Secret Secure in us-east-1"),
        "{words}"
    );
    assert!(words.contains("open the status screen (F2)"), "{words}");
    assert_eq!(a.handle(key(KeyCode::F(2))), vec![Effect::OpenStatus]);
}
