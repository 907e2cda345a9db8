//! Property tests for the validators and the key-policy builder: whatever the answers,
//! validation never panics, and any answers it accepts give a policy that is valid JSON under
//! the KMS size limit, keeps the account-root statement, and grants the vendor exactly what
//! its profile lists: never `kms:*`, never an action that manages the key.

use proptest::prelude::*;
use serde_json::Value;

use byok::answers::{self, RawAnswers};
use byok::policy::{self, MAX_POLICY_BYTES};
use byok::vendor::Catalog;

/// Actions that administer a key. A vendor statement must match none of them, even by wildcard.
const ADMINISTRATIVE: &[&str] = &[
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:RotateKeyOnDemand",
    "kms:UpdateKeyDescription",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:UpdateAlias",
    "kms:ReplicateKey",
    "kms:UpdatePrimaryRegion",
    "kms:ImportKeyMaterial",
    "kms:DeleteImportedKeyMaterial",
];

fn account() -> impl Strategy<Value = String> {
    "[0-9]{12}"
}

/// Mostly plausible, sometimes broken: the values a person might type or paste.
fn principal() -> impl Strategy<Value = Option<String>> {
    let partition = prop_oneof![6 => Just("aws"), 1 => Just("aws-cn"), 1 => Just("aws-us-gov"), 1 => Just("aws-eu")];
    let service = prop_oneof![6 => Just("iam"), 1 => Just("sts"), 1 => Just("s3")];
    let acct = prop_oneof![6 => "[0-9]{12}", 1 => "[0-9]{11}", 1 => "[0-9]{13}"];
    let kind = prop_oneof![
        4 => Just("role/".to_string()),
        1 => Just("user/".to_string()),
        1 => "[a-z]{1,12}/".prop_map(|p| format!("role/{p}")),
        1 => Just("root".to_string()),
    ];
    let name = prop_oneof![6 => "[A-Za-z0-9+=,.@_-]{1,64}", 1 => "[A-Za-z0-9+=,.@_*-]{0,70}"];
    let arn = (partition, service, acct, kind, name).prop_map(|(p, svc, acct, kind, name)| {
        if kind == "root" {
            format!("arn:{p}:{svc}::{acct}:root")
        } else {
            format!("arn:{p}:{svc}::{acct}:{kind}{name}")
        }
    });
    prop_oneof![
        6 => arn.prop_map(Some),
        1 => "[0-9]{10,14}".prop_map(Some),
        1 => any::<String>().prop_map(Some),
        2 => Just(None),
    ]
}

fn region() -> impl Strategy<Value = Option<String>> {
    let known: Vec<String> = byok::regions::REGIONS
        .iter()
        .map(|(c, _)| c.to_string())
        .collect();
    const VENDORS: &[&str] = &[
        "eu-west-1",
        "eu-west-2",
        "us-west-2",
        "ap-southeast-2",
        "ca-central-1",
    ];
    prop_oneof![
        3 => proptest::sample::select(VENDORS).prop_map(|r| Some(r.to_string())),
        3 => proptest::sample::select(known).prop_map(Some),
        1 => "[a-z]{2}-[a-z]{3,9}-[0-9]{1,2}".prop_map(Some),
        1 => any::<String>().prop_map(Some),
        2 => Just(None),
    ]
}

/// A valid value most of the time, sometimes a plausible mistake or arbitrary text.
fn mostly<T: std::fmt::Debug + Clone + 'static>(
    valid: impl Strategy<Value = T> + 'static,
    broken: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<T> {
    prop_oneof![12 => valid, 1 => broken].boxed()
}

fn raw_answers() -> impl Strategy<Value = RawAnswers> {
    let vendors = Catalog::built_in().profiles;
    (
        proptest::sample::select(vendors),
        proptest::bool::weighted(0.03),
    )
        .prop_flat_map(|(v, unknown)| {
            let vendor = if unknown {
                "acme".to_string()
            } else {
                v.id.clone()
            };
            // The valid principals and administrators below are `arn:aws:` ARNs: a vendor
            // without a Region list of its own is valid in the commercial Regions.
            let regions: Vec<String> = v
                .primary_regions()
                .into_iter()
                .filter(|r| byok::regions::partition_of(r) == "aws")
                .collect();
            let primary = mostly(proptest::sample::select(regions).prop_map(Some), region());
            let principal = match v.principal.kind {
                byok::vendor::PrincipalKind::IamRoleArn => mostly(
                    "[A-Za-z0-9+=,.@_-]{1,64}"
                        .prop_map(|n| Some(format!("arn:aws:iam::210987654321:role/{n}"))),
                    principal(),
                ),
                byok::vendor::PrincipalKind::AccountRootByRegion
                | byok::vendor::PrincipalKind::GivenAfterRegistration
                | byok::vendor::PrincipalKind::Fixed
                | byok::vendor::PrincipalKind::AnyInOrganization => mostly(Just(None), principal()),
                byok::vendor::PrincipalKind::AccountOrArn => mostly(
                    prop_oneof![
                        "[0-9]{12}".prop_map(Some),
                        "[A-Za-z0-9+=,.@_-]{1,64}"
                            .prop_map(|n| Some(format!("arn:aws:iam::210987654321:role/{n}"))),
                    ],
                    principal(),
                ),
            };
            let ways: Vec<Option<String>> = std::iter::once(None)
                .chain(
                    v.regionalities()
                        .iter()
                        .map(|r| Some(r.as_str().to_string())),
                )
                .collect();
            // The profile's values (`--set`): a well-formed one of each (Databricks' account ID
            // is the only pattern of the built-ins), now and then a wildcard or anything.
            let names: Vec<String> = v.values.iter().map(|x| x.name.clone()).collect();
            let values = mostly(
                "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}".prop_map({
                    let names = names.clone();
                    move |id| {
                        names
                            .iter()
                            .map(|n| format!("{n}={id}"))
                            .collect::<Vec<_>>()
                    }
                }),
                prop_oneof![
                    Just(vec![]),
                    "[0-9a-f*?-]{1,40}".prop_map({
                        let names = names.clone();
                        move |x| names.iter().map(|n| format!("{n}={x}")).collect::<Vec<_>>()
                    }),
                    any::<String>().prop_map(|x| vec![x]),
                ],
            );
            let regionality = mostly(
                proptest::sample::select(ways),
                "[a-z-]{0,12}".prop_map(Some),
            );
            (
                (
                    Just(vendor),
                    primary,
                    principal,
                    regionality,
                    mostly(Just(None), region()),
                    values,
                ),
                (
                    mostly(
                        prop_oneof![Just(None), "[A-Za-z0-9/_-]{1,250}".prop_map(Some)],
                        prop_oneof![
                            "alias/[A-Za-z0-9/_-]{0,260}".prop_map(Some),
                            any::<String>().prop_map(Some),
                        ],
                    ),
                    mostly(
                        prop_oneof![Just(None), "[ -~]{0,300}".prop_map(Some)],
                        any::<String>().prop_map(Some),
                    ),
                    mostly(
                        proptest::collection::vec(
                            "[A-Za-z0-9 _.:/+@-]{1,130}=[A-Za-z0-9 _.:/=+@-]{0,260}",
                            0..6,
                        ),
                        prop_oneof![
                            proptest::collection::vec("[A-Za-z0-9]{1,8}=[A-Za-z0-9]{0,8}", 40..50),
                            proptest::collection::vec(any::<String>(), 1..3),
                        ],
                    ),
                    // Now and then hundreds of administrators, to reach the policy size limit.
                    prop_oneof![
                        12 => proptest::collection::vec(admin(), 0..4),
                        1 => proptest::collection::vec(valid_admin(), 150..450),
                    ],
                    any::<bool>(),
                    mostly(
                        prop_oneof![Just(None), (90u32..=2560).prop_map(|d| Some(d.to_string()))],
                        prop_oneof!["[0-9]{1,5}".prop_map(Some), any::<String>().prop_map(Some)],
                    ),
                    proptest::bool::weighted(0.1),
                ),
            )
        })
        .prop_map(
            |(
                (vendor, region, principal, regionality, replica_region, values),
                (alias, description, tags, admins, admins_can_delete, rotation_days, no_rotation),
            )| RawAnswers {
                vendor: Some(vendor),
                region,
                principal,
                regionality,
                replica_regions: replica_region.into_iter().collect(),
                alias,
                description,
                tags,
                admins_can_delete: admins_can_delete && !admins.is_empty(),
                admins,
                rotation_days: if no_rotation { None } else { rotation_days },
                no_rotation,
                alerts_email: None,
                external_id: None,
                values,
                preview_values: false,
            },
        )
}

fn valid_admin() -> impl Strategy<Value = String> {
    // IAM allows a comma anywhere in a name, but byok takes a trailing one for a paste
    // artifact (`arn.rs`), so a valid name here does not end with one.
    prop_oneof![
        4 => "[A-Za-z0-9+=,.@_-]{0,63}[A-Za-z0-9+=.@_-]".prop_map(|n| format!("arn:aws:iam::123456789012:role/{n}")),
        1 => "[A-Za-z0-9+=,.@_-]{0,63}[A-Za-z0-9+=.@_-]".prop_map(|n| format!("arn:aws:iam::123456789012:user/{n}")),
    ]
}

fn admin() -> impl Strategy<Value = String> {
    prop_oneof![30 => valid_admin(), 1 => any::<String>()]
}

fn as_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

/// The generator reaches both sides: many accepted answers (some at the size limit), many refused.
#[test]
fn the_generator_reaches_accepted_answers() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let catalog = Catalog::built_in();
    let mut runner = TestRunner::deterministic();
    let strategy = raw_answers();
    let (mut ok, mut big, n) = (0, 0, 1000);
    for _ in 0..n {
        let raw = strategy.new_tree(&mut runner).unwrap().current();
        match raw.validate(&catalog) {
            Ok(a) => {
                ok += 1;
                if a.admins.len() >= 150 {
                    big += 1;
                }
            }
            Err(e) => assert!(!e.is_empty()),
        }
    }
    eprintln!("{ok} of {n} generated answers accepted, {big} with 150+ administrators");
    assert!(ok >= n / 3, "only {ok} of {n} accepted");
    assert!(ok <= n * 19 / 20, "{ok} of {n} accepted: too few refusals");
    assert!(big >= 3, "only {big} accepted with 150+ administrators");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any accepted answers give a policy KMS takes and that cannot hurt the customer.
    #[test]
    fn accepted_answers_give_a_safe_policy(raw in raw_answers(), account in account()) {
        let catalog = Catalog::built_in();
        let Ok(a) = raw.validate(&catalog) else { return Ok(()); };
        let p = policy::build(&a, &account);
        let doc = policy::to_document(&p);
        prop_assert!(doc.len() <= MAX_POLICY_BYTES, "{} bytes", doc.len());
        let parsed: Value = serde_json::from_str(&doc).expect("valid JSON");
        prop_assert_eq!(&parsed, &p);
        prop_assert_eq!(policy::build(&a, &account), p.clone(), "deterministic");
        let statements = parsed["Statement"].as_array().expect("a Statement list");

        // The account root keeps full control, unconditionally: no lockout.
        let root = format!("arn:{}:iam::{account}:root", a.partition());
        let first = &statements[0];
        prop_assert_eq!(&first["Effect"], "Allow");
        prop_assert_eq!(as_list(&first["Principal"]["AWS"]), vec![root.clone()]);
        prop_assert_eq!(as_list(&first["Action"]), vec!["kms:*".to_string()]);
        prop_assert!(first.get("Condition").is_none());

        // The vendor gets exactly its profile's statements, nothing administrative.
        let vendor_statements: Vec<&Value> = statements
            .iter()
            .filter(|s| as_list(&s["Principal"]["AWS"]).contains(&a.principal))
            .collect();
        // A vendor that names its principal once the key is registered gets none yet.
        if a.vendor.principal.kind.given_later() {
            prop_assert!(a.principal.is_empty());
            prop_assert_eq!(statements.len(), 1 + usize::from(!a.admins.is_empty()));
        } else {
            prop_assert_eq!(vendor_statements.len(), a.vendor.statements.len());
        }
        for (s, want) in vendor_statements.iter().zip(&a.vendor.statements) {
            prop_assert_eq!(as_list(&s["Principal"]["AWS"]), vec![a.principal.clone()]);
            let actions = as_list(&s["Action"]);
            prop_assert_eq!(&actions, &want.actions);
            for act in &actions {
                prop_assert!(act != "*" && act != "kms:*", "{}", act);
                for admin in ADMINISTRATIVE.iter().chain(["kms:CreateKey"].iter()) {
                    prop_assert!(!policy::action_matches(act, admin), "{} grants {}", act, admin);
                }
            }
        }
        // No Deny, no wildcard principal but a vendor that is anyone in its organisation, on
        // statements its organisation narrows; no placeholder left, no wildcard typed.
        for s in statements {
            prop_assert_eq!(&s["Effect"], "Allow");
            if as_list(&s["Principal"]["AWS"]).contains(&"*".to_string()) {
                prop_assert_eq!(a.vendor.principal.kind, byok::vendor::PrincipalKind::AnyInOrganization);
                prop_assert!(policy::narrows_to_organisation(s), "{}", s);
            }
            let cond = s.get("Condition").map(|c| c.to_string()).unwrap_or_default();
            prop_assert!(!cond.contains("{{"), "{}", cond);
        }
        for (_, v) in &a.values {
            prop_assert!(!v.contains(['*', '?', '$']), "{}", v);
            prop_assert!(p.to_string().contains(v.as_str()));
        }
        prop_assert!(a.principal != root);
        prop_assert!(policy::lint(&p, &account, &a.principal).is_empty());
    }

    /// The per-field validators never panic, and what they accept keeps their promises.
    #[test]
    fn validators_keep_their_promises(s in any::<String>(), ascii in "[ -~]{0,300}") {
        for input in [&s, &ascii] {
            if let Ok(alias) = answers::normalize_alias(input) {
                prop_assert!(alias.starts_with("alias/") && alias.len() > 6 && alias.len() <= 256);
                prop_assert!(!alias.to_ascii_lowercase().starts_with("alias/aws/"));
                prop_assert!(alias[6..].chars().all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c)));
            }
            if let Ok(days) = answers::check_rotation(input) {
                prop_assert!((90..=2560).contains(&days));
            }
            if let Ok(d) = answers::check_description(input) {
                prop_assert!(d.chars().count() <= 8192 && !d.chars().any(char::is_control));
            }
            if let Ok((k, v)) = answers::check_tag(input) {
                prop_assert!(!k.is_empty() && k.chars().count() <= 128 && v.chars().count() <= 256);
                prop_assert!(!k.to_ascii_lowercase().starts_with("aws:"));
                prop_assert!(!k.to_ascii_lowercase().starts_with("byok:"));
            }
            for region in ["eu-west-1", "cn-north-1"] {
                if let Ok(a) = answers::check_admin(region, input) {
                    let arn = byok::arn::Arn::parse(&a).expect("an ARN");
                    prop_assert!(a.is_ascii());
                    prop_assert!(byok::arn::is_account_id(&arn.account));
                    prop_assert_eq!(arn.partition.as_str(), byok::regions::partition_of(region));
                }
            }
            let catalog = Catalog::built_in();
            for v in &catalog.profiles {
                if let Ok(r) = answers::check_region(v, input) {
                    prop_assert!(byok::arn::is_region_code(&r));
                }
                if v.principal.kind.given_later() {
                    // Nothing at creation; what the vendor returns is checked by check_given.
                    if let Ok(p) = answers::check_principal(v, "eu-west-1", Some(input)) {
                        prop_assert!(p.is_empty() && input.trim().is_empty());
                    }
                    if let Ok(p) = v.principal.kind.check_given(v, "eu-west-1", input) {
                        let arn = byok::arn::Arn::parse(&p).expect("an ARN");
                        prop_assert_eq!(arn.partition.as_str(), "aws");
                        prop_assert!(byok::arn::is_account_id(&arn.account));
                        prop_assert!(matches!(arn.iam_kind(), Some("role" | "user")));
                        prop_assert!(!p.contains('*'));
                    }
                    continue;
                }
                if let Ok(p) = answers::check_principal(v, "eu-west-1", Some(input)) {
                    if p == "*" {
                        prop_assert_eq!(v.principal.kind, byok::vendor::PrincipalKind::AnyInOrganization);
                        continue;
                    }
                    let arn = byok::arn::Arn::parse(&p).expect("an ARN");
                    prop_assert_eq!(arn.partition.as_str(), "aws");
                    prop_assert!(byok::arn::is_account_id(&arn.account));
                    prop_assert!(!p.contains('*'));
                }
                for spec in &v.values {
                    if let Ok(x) = spec.check(input) {
                        prop_assert!(!x.contains(['*', '?', '$', '"', '{', '}']), "{}", x);
                        prop_assert!(x.chars().all(|c| c.is_ascii_graphic()));
                    }
                }
            }
        }
    }
}
