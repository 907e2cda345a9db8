//! Tests of the judging, the actions and the reading of untrusted answers.

use super::*;

mod assess_tests {
    use super::*;

    const ACCOUNT: &str = "123456789012";
    const ROLE: &str = "arn:aws:iam::210987654321:role/camunda-tenant";

    fn camunda_policy() -> Value {
        let cat = Catalog::built_in();
        let p = cat.get("camunda").unwrap();
        repaired_policy(
            p,
            &json!({"Version": "2012-10-17", "Statement": []}),
            ACCOUNT,
            "aws",
            ROLE,
        )
    }

    #[test]
    fn a_complete_policy_checks_clean() {
        let cat = Catalog::built_in();
        let p = cat.get("camunda").unwrap();
        let pol = camunda_policy();
        // Built from nothing, it equals what `byok create` writes.
        let golden: Value =
            serde_json::from_str(include_str!("../../../../tests/golden/camunda-single.json"))
                .unwrap();
        assert_eq!(pol, golden);
        let c = check_policy(
            p,
            &pol,
            ACCOUNT,
            Some((ROLE.into(), PrincipalSource::Policy)),
        );
        assert!(c.missing.is_empty() && c.extra.is_empty(), "{c:?}");
        assert!(c.root_statement);
        assert_eq!(c.required.len(), 8);
    }

    #[test]
    fn missing_extra_denied_and_root() {
        let cat = Catalog::built_in();
        let p = cat.get("camunda").unwrap();
        let mut pol = camunda_policy();
        pol["Statement"][1]["Action"] = json!([
            "kms:Encrypt",
            "kms:DescribeKey",
            "kms:GenerateDataKey*",
            "kms:ReEncrypt*",
            "kms:Sign"
        ]);
        let c = check_policy(
            p,
            &pol,
            ACCOUNT,
            Some((ROLE.into(), PrincipalSource::Policy)),
        );
        assert_eq!(c.missing, vec!["kms:Decrypt"]);
        assert_eq!(c.extra, vec!["kms:Sign"]);
        let mut pol = camunda_policy();
        pol["Statement"].as_array_mut().unwrap().push(json!({
            "Effect": "Deny", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*"
        }));
        pol["Statement"].as_array_mut().unwrap().remove(0);
        let c = check_policy(
            p,
            &pol,
            ACCOUNT,
            Some((ROLE.into(), PrincipalSource::Policy)),
        );
        assert_eq!(c.missing, vec!["kms:Decrypt"]);
        assert!(!c.root_statement);
        // A wildcard grant covers every action but is extra access.
        let mut pol = camunda_policy();
        pol["Statement"][1]["Action"] = json!("kms:*");
        let c = check_policy(
            p,
            &pol,
            ACCOUNT,
            Some((ROLE.into(), PrincipalSource::Policy)),
        );
        assert!(c.missing.is_empty());
        assert_eq!(c.extra, vec!["kms:*"]);
        assert!(!c.lint.is_empty());
    }

    fn resolve(p: &VendorProfile, region: &str, e: Evidence) -> Resolved {
        vendor_principal(p, region, "aws", ACCOUNT, &e)
    }

    #[test]
    fn principal_sources() {
        let cat = Catalog::built_in();
        let g = cat.get("gearset").unwrap();
        assert_eq!(
            resolve(g, "ca-central-1", Evidence::default()).principal,
            Some((
                "arn:aws:iam::877694686213:root".into(),
                PrincipalSource::Profile
            ))
        );
        let c = cat.get("camunda").unwrap();
        let pol = camunda_policy();
        let from_policy = Evidence {
            policy: Some(&pol),
            ..Default::default()
        };
        assert_eq!(
            resolve(c, "eu-west-1", from_policy).principal,
            Some((ROLE.into(), PrincipalSource::Policy))
        );
        let empty = json!({"Statement": []});
        assert_eq!(
            resolve(
                c,
                "eu-west-1",
                Evidence {
                    policy: Some(&empty),
                    ..Default::default()
                }
            ),
            Resolved::default()
        );
        assert_eq!(
            resolve(
                c,
                "eu-west-1",
                Evidence {
                    flag: Some("210987654321"),
                    policy: Some(&empty),
                    ..Default::default()
                }
            )
            .principal,
            Some((
                "arn:aws:iam::210987654321:root".into(),
                PrincipalSource::Flag
            ))
        );
        // The journal comes before the policy; a policy that disagrees is reported.
        let other = "arn:aws:iam::210987654321:role/other-tenant";
        let r = resolve(
            c,
            "eu-west-1",
            Evidence {
                journal: Some(other),
                ..from_policy
            },
        );
        assert_eq!(r.principal, Some((other.into(), PrincipalSource::Journal)));
        assert_eq!(r.conflicts, vec![(PrincipalSource::Policy, ROLE.into())]);
        // A Multi-Region key whose own statements are gone: its set's other policies.
        let set = [pol.clone()];
        assert_eq!(
            resolve(
                c,
                "eu-west-1",
                Evidence {
                    policy: Some(&empty),
                    set_policies: &set,
                    ..Default::default()
                }
            )
            .principal,
            Some((ROLE.into(), PrincipalSource::MultiRegionSet))
        );
    }

    /// Item 7: a tag is a hint. Re-tagging a revoked key never makes the tag's principal the
    /// vendor; it is reported when it disagrees, and unconfirmed when nothing else names one.
    #[test]
    fn a_tag_never_names_the_vendor() {
        let cat = Catalog::built_in();
        let c = cat.get("camunda").unwrap();
        let attacker = "arn:aws:iam::666666666666:role/attacker";
        let tags = vec![(TAG_VENDOR_PRINCIPAL.to_string(), attacker.to_string())];
        let revoked = revoked_policy(&camunda_policy(), ROLE);
        let r = resolve(
            c,
            "eu-west-1",
            Evidence {
                policy: Some(&revoked),
                tags: &tags,
                ..Default::default()
            },
        );
        assert_eq!(r.principal, None, "{r:?}");
        assert_eq!(r.tag.as_deref(), Some(attacker));
        let r = resolve(
            c,
            "eu-west-1",
            Evidence {
                journal: Some(ROLE),
                policy: Some(&revoked),
                tags: &tags,
                ..Default::default()
            },
        );
        assert_eq!(r.principal, Some((ROLE.into(), PrincipalSource::Journal)));
        assert_eq!(
            r.tag_disagrees(),
            Some((attacker, ROLE, PrincipalSource::Journal))
        );
        // Even where the policy's vendor statements name several principals, the tag
        // does not choose: only those named in every vendor statement count.
        let mut pol = camunda_policy();
        pol["Statement"][1]["Principal"]["AWS"] = json!([attacker, ROLE]);
        let r = resolve(
            c,
            "eu-west-1",
            Evidence {
                policy: Some(&pol),
                tags: &tags,
                ..Default::default()
            },
        );
        assert_eq!(r.principal, Some((ROLE.into(), PrincipalSource::Policy)));
        // A wildcard or the account's own root is never the vendor.
        let mut pol = camunda_policy();
        for i in [1, 2] {
            pol["Statement"][i]["Principal"]["AWS"] =
                json!(["*", format!("arn:aws:iam::{ACCOUNT}:root")]);
        }
        assert_eq!(
            resolve(
                c,
                "eu-west-1",
                Evidence {
                    policy: Some(&pol),
                    ..Default::default()
                }
            )
            .principal,
            None
        );
    }

    fn assessed(policy: &Value, tags: &[(&str, &str)], journal: Option<KnownKey>) -> KeyStatus {
        let cat = Catalog::built_in();
        let arn =
            format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-0000-4000-8000-000000000001");
        assess(
            &cat,
            Inputs {
                info: KeyInfo {
                    key_id: arn.rsplit('/').next().unwrap().into(),
                    arn,
                    region: "eu-west-1".into(),
                    state: "Enabled".into(),
                    description: String::new(),
                    created: None,
                    deletion_date: None,
                    key_spec: "SYMMETRIC_DEFAULT".into(),
                    key_usage: "ENCRYPT_DECRYPT".into(),
                    key_manager: "CUSTOMER".into(),
                    multi_region: None,
                },
                aliases: vec!["alias/camunda-saas-byok".into()],
                tags: Ok(tags
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()),
                policy: Ok(policy::to_document(policy)),
                rotation: Ok(Rotation {
                    enabled: true,
                    period_days: Some(365),
                    next_rotation: None,
                }),
                replicas: vec![],
                found_by: "tags".into(),
                vendor_hint: None,
                principal_hint: None,
                journal,
                set_policies: vec![],
                alias_holder: None,
                role: None,
            },
        )
    }

    fn assessed_with(
        state: &str,
        aliases: &[&str],
        tags: &[(&str, &str)],
        alias_holder: Option<&str>,
    ) -> KeyStatus {
        let cat = Catalog::built_in();
        let arn =
            format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-0000-4000-8000-000000000002");
        assess(
            &cat,
            Inputs {
                info: KeyInfo {
                    key_id: arn.rsplit('/').next().unwrap().into(),
                    arn,
                    region: "eu-west-1".into(),
                    state: state.into(),
                    description: String::new(),
                    created: None,
                    deletion_date: (state == "PendingDeletion")
                        .then(|| "2026-12-08T00:00:00Z".into()),
                    key_spec: "SYMMETRIC_DEFAULT".into(),
                    key_usage: "ENCRYPT_DECRYPT".into(),
                    key_manager: "CUSTOMER".into(),
                    multi_region: None,
                },
                aliases: aliases.iter().map(|a| a.to_string()).collect(),
                tags: Ok(tags
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()),
                policy: Ok(policy::to_document(&camunda_policy())),
                rotation: Ok(Rotation {
                    enabled: true,
                    period_days: Some(365),
                    next_rotation: None,
                }),
                replicas: vec![],
                found_by: "tags".into(),
                vendor_hint: None,
                principal_hint: None,
                journal: None,
                set_policies: vec![],
                alias_holder: alias_holder.map(str::to_string),
                role: None,
            },
        )
    }

    #[test]
    fn duplicates_are_flagged_and_a_retired_one_is_fine() {
        let byok = [
            ("byok:managed-by", "byok"),
            ("byok:vendor", "camunda"),
            ("byok:alias", "alias/camunda-saas-byok"),
            ("byok:role", "primary"),
        ];
        let winner = format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/winner");
        let mut retired_tags = byok.to_vec();
        retired_tags.push(("byok:duplicate-of", &winner));
        // Retired by the run that made it: pending deletion is what should be.
        let k = assessed_with("PendingDeletion", &[], &retired_tags, None);
        assert!(
            k.findings
                .iter()
                .any(|f| f.kind == FindingKind::Duplicate && f.severity == Health::Ok)
        );
        assert!(
            !k.findings.iter().any(|f| f.kind == FindingKind::State),
            "{:?}",
            k.findings
        );
        // Marked but not finished: the vendor may still use it.
        let k = assessed_with("Enabled", &[], &retired_tags, None);
        assert!(
            k.findings
                .iter()
                .any(|f| f.kind == FindingKind::Duplicate && f.severity == Health::NeedsAttention)
        );
        // A key an older intent made that appeared after another key took the alias.
        let k = assessed_with("Enabled", &[], &byok, Some("winner"));
        let f = k
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::Duplicate)
            .expect("flagged");
        assert!(f.what.contains("winner"), "{f:?}");
        assert!(!k.findings.iter().any(|f| f.kind == FindingKind::NoAlias));
        assert_eq!(k.health, Health::NeedsAttention);
    }

    const BYOK_TAGS: &[(&str, &str)] = &[
        ("byok:managed-by", "byok"),
        ("byok:vendor", "camunda"),
        ("byok:alias", "alias/camunda-saas-byok"),
        ("byok:role", "primary"),
    ];

    #[test]
    fn a_foreign_key_with_byoks_tags_does_not_name_the_tags_principal() {
        let attacker = "arn:aws:iam::666666666666:role/attacker";
        let mut tags = BYOK_TAGS.to_vec();
        tags.push((TAG_VENDOR_PRINCIPAL, attacker));
        let root_only = json!({"Version": "2012-10-17", "Statement": [camunda_policy()["Statement"][0].clone()]});
        let k = assessed(&root_only, &tags, None);
        let p = k.policy.as_ref().unwrap();
        assert_eq!(p.vendor_principal, None);
        let kinds: Vec<FindingKind> = k.findings.iter().map(|f| f.kind).collect();
        assert!(kinds.contains(&FindingKind::NotMadeByByok), "{kinds:?}");
        assert!(kinds.contains(&FindingKind::TagUnconfirmed), "{kinds:?}");
        assert_eq!(
            suggested_action(&k),
            None,
            "nothing to act on without --principal"
        );
        // Known to the journal, the same key is byok's, for the journal's principal.
        let known = KnownKey {
            arn: k.arn.clone(),
            vendor: Some("camunda".into()),
            alias: None,
            role: None,
            principal: Some(ROLE.into()),
        };
        let k = assessed(&root_only, &tags, Some(known));
        assert_eq!(
            k.policy.as_ref().unwrap().vendor_principal.as_deref(),
            Some(ROLE)
        );
        let kinds: Vec<FindingKind> = k.findings.iter().map(|f| f.kind).collect();
        assert!(!kinds.contains(&FindingKind::NotMadeByByok), "{kinds:?}");
        assert!(kinds.contains(&FindingKind::TagDisagrees), "{kinds:?}");
        let f = k
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::TagDisagrees)
            .unwrap();
        assert!(
            f.what.contains(attacker) && f.what.contains(ROLE) && f.what.contains("journal"),
            "{f:?}"
        );
        assert_eq!(suggested_action(&k), Some(Action::RestoreAccess));
    }

    /// Item 8: danger is broken, with the reason and the fix.
    #[test]
    fn danger_is_broken() {
        let broken = |pol: &Value, kind: FindingKind| {
            let k = assessed(pol, BYOK_TAGS, None);
            assert_eq!(k.health, Health::Broken, "{:#?}", k.findings);
            let f = k
                .findings
                .iter()
                .find(|f| f.kind == kind)
                .unwrap_or_else(|| panic!("{kind:?}: {:#?}", k.findings));
            assert_eq!(f.severity, Health::Broken);
            assert!(!f.meaning.is_empty() && !f.fix.is_empty(), "{f:?}");
            assert_eq!(k.recovery, f.fix, "the danger's fix is shown first");
            k
        };
        let mut pol = camunda_policy();
        pol["Statement"].as_array_mut().unwrap().push(json!({
            "Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"
        }));
        let k = broken(&pol, FindingKind::WildcardPrincipal);
        assert!(k.recovery.contains("\"Open\""), "{}", k.recovery);
        assert_eq!(suggested_action(&k), None, "a person decides");
        // {"AWS": "*"} too; narrowed to an organisation it is fine.
        let last = pol["Statement"].as_array().unwrap().len() - 1;
        pol["Statement"][last]["Principal"] = json!({"AWS": "*"});
        pol["Statement"][last]["Action"] = json!("kms:Decrypt");
        broken(&pol, FindingKind::WildcardPrincipal);
        pol["Statement"][last]["Condition"] =
            json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}});
        let k = assessed(&pol, BYOK_TAGS, None);
        assert_eq!(k.health, Health::Ok, "{:#?}", k.findings);

        // The vendor may schedule the key's deletion.
        let mut pol = camunda_policy();
        pol["Statement"][1]["Action"]
            .as_array_mut()
            .unwrap()
            .push(json!("kms:ScheduleKeyDeletion"));
        let k = broken(&pol, FindingKind::VendorManagesKey);
        assert!(
            k.findings
                .iter()
                .all(|f| f.kind != FindingKind::ExtraActions)
        );
        assert_eq!(suggested_action(&k), Some(Action::RepairPolicy));
        let mut pol = camunda_policy();
        pol["Statement"][2]["Action"] = json!("kms:*");
        broken(&pol, FindingKind::VendorManagesKey);
        let mut pol = camunda_policy();
        pol["Statement"][2]["Action"] = json!([
            "kms:CreateGrant",
            "kms:ListGrants",
            "kms:RevokeGrant",
            "kms:PutKeyPolicy"
        ]);
        broken(&pol, FindingKind::VendorManagesKey);

        // No account-root statement.
        let mut pol = camunda_policy();
        pol["Statement"].as_array_mut().unwrap().remove(0);
        let k = broken(&pol, FindingKind::MissingRoot);
        assert_eq!(suggested_action(&k), Some(Action::RepairPolicy));
        // Rotation off is still only attention.
        let mut k = assessed(&camunda_policy(), BYOK_TAGS, None);
        assert_eq!(k.health, Health::Ok, "{:#?}", k.findings);
        k.rotation = Some(Rotation {
            enabled: false,
            period_days: None,
            next_rotation: None,
        });
        assert_eq!(
            suggested_action(&k),
            Some(Action::EnableRotation { days: 365 })
        );
    }

    /// Item 9: repair adds what is missing and keeps the rest.
    #[test]
    fn repair_merges_and_says_what_it_kept() {
        let cat = Catalog::built_in();
        let c = cat.get("camunda").unwrap();
        let mine = "arn:aws:iam::123456789012:role/backup-checker";
        let narrowing = json!({"StringEquals": {"kms:EncryptionContext:tenant": "abc"}});
        let mut pol = camunda_policy();
        pol["Statement"][2]["Principal"]["AWS"] = json!([ROLE, mine]);
        pol["Statement"][2]["Action"] = json!(["kms:CreateGrant", "kms:ListGrants"]);
        pol["Statement"][2]["Condition"] = narrowing.clone();
        let k = assessed(&pol, BYOK_TAGS, None);
        assert_eq!(k.policy.as_ref().unwrap().missing, vec!["kms:RevokeGrant"]);
        assert!(
            k.policy.as_ref().unwrap().condition_differs.is_empty(),
            "a condition of yours only narrows"
        );
        let r = repair_policy(c, &pol, ACCOUNT, "aws", ROLE);
        let s = &r.policy["Statement"][2];
        assert_eq!(s["Principal"]["AWS"], json!([ROLE, mine]));
        assert_eq!(s["Condition"], narrowing);
        assert_eq!(
            s["Action"],
            json!(["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"])
        );
        assert!(
            r.summary
                .iter()
                .any(|l| l.starts_with("kept: the principal") && l.contains(mine)),
            "{:?}",
            r.summary
        );
        assert!(
            r.summary
                .iter()
                .any(|l| l.starts_with("kept: the Condition")
                    && l.contains("kms:EncryptionContext:tenant")),
            "{:?}",
            r.summary
        );
        let c2 = check_policy(
            c,
            &r.policy,
            ACCOUNT,
            Some((ROLE.into(), PrincipalSource::Policy)),
        );
        assert!(c2.missing.is_empty(), "{c2:?}");

        // A statement missing the vendor gets it, beside the customer's principal.
        let mut pol = camunda_policy();
        pol["Statement"][1]["Principal"]["AWS"] = json!(mine);
        let r = repair_policy(c, &pol, ACCOUNT, "aws", ROLE);
        assert_eq!(
            r.policy["Statement"][1]["Principal"]["AWS"],
            json!([mine, ROLE])
        );

        // Management actions go, wherever the vendor has them; extra use actions stay.
        let mut pol = camunda_policy();
        pol["Statement"][1]["Action"] = json!([
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ScheduleKeyDeletion",
            "kms:Sign"
        ]);
        pol["Statement"].as_array_mut().unwrap().push(json!({
            "Sid": "Vendor ops", "Effect": "Allow", "Principal": {"AWS": [ROLE, mine]},
            "Action": ["kms:DisableKey"], "Resource": "*"
        }));
        let r = repair_policy(c, &pol, ACCOUNT, "aws", ROLE);
        assert!(
            policy::lint(&r.policy, ACCOUNT, ROLE).is_empty(),
            "{:#}",
            r.policy
        );
        assert_eq!(r.policy["Statement"][3]["Principal"]["AWS"], json!(mine));
        assert!(policy::actions(&r.policy["Statement"][1]).contains(&"kms:Sign"));
        assert!(
            r.summary
                .iter()
                .any(|l| l.starts_with("removed: kms:ScheduleKeyDeletion")),
            "{:?}",
            r.summary
        );

        // Gearset: a missing part of the profile's condition is added beside yours.
        let g = cat.get("gearset").unwrap();
        let vendor = "arn:aws:iam::347752291521:root";
        let mut pol = repaired_policy(g, &json!({}), ACCOUNT, "aws", vendor);
        pol["Statement"][2]["Condition"] =
            json!({"StringEquals": {"kms:CallerAccount": "347752291521"}});
        let c3 = check_policy(
            g,
            &pol,
            ACCOUNT,
            Some((vendor.into(), PrincipalSource::Profile)),
        );
        assert_eq!(c3.condition_differs.len(), 1);
        let r = repair_policy(g, &pol, ACCOUNT, "aws", vendor);
        assert_eq!(
            r.policy["Statement"][2]["Condition"],
            json!({"StringEquals": {"kms:CallerAccount": "347752291521"}, "Bool": {"kms:GrantIsForAWSResource": "true"}})
        );
        assert!(
            check_policy(
                g,
                &r.policy,
                ACCOUNT,
                Some((vendor.into(), PrincipalSource::Profile))
            )
            .condition_differs
            .is_empty()
        );

        // Revoking takes only the vendor from a shared statement.
        let mut pol = camunda_policy();
        pol["Statement"][2]["Principal"]["AWS"] = json!([ROLE, mine]);
        pol["Statement"][2]["Condition"] = narrowing.clone();
        let r = revoke_policy(&pol, ROLE);
        assert_eq!(r.policy["Statement"].as_array().unwrap().len(), 2);
        assert_eq!(r.policy["Statement"][1]["Principal"]["AWS"], json!(mine));
        assert_eq!(r.policy["Statement"][1]["Condition"], narrowing);
        // ...and restoring adds it back there.
        let back = repair_policy(c, &r.policy, ACCOUNT, "aws", ROLE);
        assert_eq!(
            back.policy["Statement"][1]["Principal"]["AWS"],
            json!([mine, ROLE])
        );
        assert_eq!(back.policy["Statement"][1]["Condition"], narrowing);
    }

    #[test]
    fn repair_keeps_other_statements_and_restores_root() {
        let cat = Catalog::built_in();
        let p = cat.get("camunda").unwrap();
        let mut pol = camunda_policy();
        let list = pol["Statement"].as_array_mut().unwrap();
        list.remove(0); // root gone
        list[1]["Action"] = json!(["kms:CreateGrant"]);
        list.push(json!({"Sid": "Audit", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/audit"}, "Action": "kms:DescribeKey", "Resource": "*"}));
        let fixed = repaired_policy(p, &pol, ACCOUNT, "aws", ROLE);
        let c = check_policy(
            p,
            &fixed,
            ACCOUNT,
            Some((ROLE.into(), PrincipalSource::Policy)),
        );
        assert!(c.missing.is_empty() && c.root_statement, "{c:?}");
        assert!(fixed.to_string().contains("Audit"));
        assert!(policy::lint(&fixed, ACCOUNT, ROLE).is_empty());
        // Revoking removes only the vendor's grants.
        let revoked = revoked_policy(&fixed, ROLE);
        let c = check_policy(
            p,
            &revoked,
            ACCOUNT,
            Some((ROLE.into(), PrincipalSource::Journal)),
        );
        assert_eq!(c.missing.len(), c.required.len());
        assert!(c.root_statement && revoked.to_string().contains("Audit"));
        // And restoring gives the same policy back (statement order aside).
        let restored = repaired_policy(p, &revoked, ACCOUNT, "aws", ROLE);
        assert!(
            check_policy(
                p,
                &restored,
                ACCOUNT,
                Some((ROLE.into(), PrincipalSource::Journal))
            )
            .missing
            .is_empty()
        );
    }

    #[test]
    fn diff_shows_changed_lines_only() {
        let d = line_diff("a\nb\nc\nd\ne\nf\ng\nh", "a\nb\nc\nX\ne\nf\ng\nh");
        assert_eq!(d.iter().filter(|l| l.starts_with("- ")).count(), 1);
        assert_eq!(d.iter().filter(|l| l.starts_with("+ ")).count(), 1);
        let c = compact_diff(&d);
        assert_eq!(c, vec!["  b", "  c", "- d", "+ X", "  e", "  f"]);
    }

    #[test]
    fn action_numbers_are_checked() {
        assert!(Action::ScheduleDeletion { days: 6 }.check().is_err());
        assert!(Action::ScheduleDeletion { days: 7 }.check().is_ok());
        assert!(
            Action::EnableRotation { days: 89 }
                .check()
                .unwrap_err()
                .contains("--rotation-days")
        );
        assert!(Action::EnableRotation { days: 2560 }.check().is_ok());
        assert!(check_key_ref("alias/x").is_ok());
        assert!(
            check_key_ref(
                "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            )
            .is_ok()
        );
        assert!(check_key_ref("hello").is_err());
        assert!(check_key_ref("arn:aws:s3:::bucket").is_err());
    }

    #[tokio::test]
    async fn demo_keys_cover_every_health() {
        use crate::kms::sim::{SimKms, SimOptions};
        let cat = Catalog::built_in();
        let sim = SimKms::new(SimOptions::instant());
        seed_demo(&sim, &cat).await.unwrap();
        let r = collect(&sim, &cat, &Scope::default()).await;
        assert_eq!(r.keys.len(), 8);
        assert_eq!(
            r.summary.ok,
            2,
            "{:#?}",
            r.keys
                .iter()
                .map(|k| (&k.aliases, k.health, &k.findings))
                .collect::<Vec<_>>()
        );
        assert_eq!(r.summary.broken, 4);
        assert_eq!(r.overall(), Health::Broken);
        // MongoDB Atlas's key, whose role's own policy names another key: that, and only
        // that, is what is wrong (its key policy rightly names no Atlas principal).
        let atlas = r
            .keys
            .iter()
            .find(|k| k.vendor.as_deref() == Some("mongodb-atlas"))
            .expect("the demo's role vendor key");
        assert_eq!(atlas.health, Health::Broken);
        assert_eq!(
            atlas.findings.iter().map(|f| f.kind).collect::<Vec<_>>(),
            [FindingKind::Role],
            "{:#?}",
            atlas.findings
        );
        assert!(atlas.findings[0].what.contains("does not grant"));
        // Confluent's key waits for its roles (phase one), and grant is its fix.
        let waiting = r
            .keys
            .iter()
            .find(|k| k.aliases == ["alias/confluent-cloud-byok"])
            .unwrap();
        assert_eq!(waiting.health, Health::NeedsAttention);
        assert_eq!(suggested_action(waiting), Some(Action::Grant));
        let calls = sim.calls();
        // A constant number of list calls per Region.
        for region in ["eu-west-1", "us-west-2"] {
            assert_eq!(
                calls
                    .iter()
                    .filter(|c| *c == &format!("ListKeys {region}"))
                    .count(),
                1
            );
            assert_eq!(
                calls
                    .iter()
                    .filter(|c| *c == &format!("ListAliases {region}"))
                    .count(),
                1
            );
        }
    }
}

mod action_tests {
    use super::*;
    use crate::kms::sim::{SimKms, SimOptions};

    #[tokio::test]
    async fn repair_on_the_simulator_makes_the_key_ok() {
        let cat = Catalog::built_in();
        let sim = SimKms::new(SimOptions::instant());
        seed_demo(&sim, &cat).await.unwrap();
        let r = collect(&sim, &cat, &Scope::default()).await;
        let k = r
            .keys
            .iter()
            .find(|k| k.aliases == ["alias/camunda-staging-byok"])
            .unwrap();
        assert_eq!(k.health, Health::Broken);
        assert_eq!(suggested_action(k), Some(Action::RepairPolicy));
        let plan = plan_action(&sim, &cat, k, &Action::RepairPolicy, None)
            .await
            .unwrap();
        assert!(apply(&sim, &plan).await.iter().all(|r| r.ok));
        let again = collect(
            &sim,
            &cat,
            &Scope {
                keys: vec![k.arn.clone()],
                named_only: true,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(again.keys.len(), 1);
        assert_eq!(
            again.keys[0].health,
            Health::Ok,
            "{:#?}",
            again.keys[0].findings
        );
    }

    async fn demo_keys() -> (SimKms, Catalog, Vec<KeyStatus>) {
        let cat = Catalog::built_in();
        let sim = SimKms::new(SimOptions::instant());
        seed_demo(&sim, &cat).await.unwrap();
        let r = collect(&sim, &cat, &Scope::default()).await;
        (sim, cat, r.keys)
    }

    fn by_alias<'k>(keys: &'k [KeyStatus], alias: &str, region: &str) -> &'k KeyStatus {
        keys.iter()
            .find(|k| k.aliases.iter().any(|a| a == alias) && k.region == region)
            .unwrap()
    }

    #[tokio::test]
    async fn only_the_actions_that_apply_to_a_key_are_offered() {
        let (_, _, keys) = demo_keys().await;
        let offered = |k: &KeyStatus| -> Vec<Action> {
            [
                Action::Enable,
                Action::Disable,
                Action::EnableRotation { days: 365 },
                Action::DisableRotation,
                Action::RotateNow,
                Action::ScheduleDeletion { days: 30 },
                Action::CancelDeletion,
                Action::RepairPolicy,
                Action::RevokeAccess,
                Action::RestoreAccess,
            ]
            .into_iter()
            .filter(|a| applies(a, k).is_ok())
            .collect()
        };
        let ok = by_alias(&keys, "alias/camunda-saas-byok", "eu-west-1");
        assert_eq!(
            offered(ok),
            [
                Action::Disable,
                Action::EnableRotation { days: 365 },
                Action::DisableRotation,
                Action::RotateNow,
                Action::ScheduleDeletion { days: 30 },
                Action::RevokeAccess,
            ]
        );
        assert_eq!(
            applies(&Action::Enable, ok).unwrap_err(),
            "it is already enabled"
        );
        let disabled = by_alias(&keys, "alias/gearset-backup-byok", "us-west-2");
        assert_eq!(
            offered(disabled),
            [
                Action::Enable,
                Action::ScheduleDeletion { days: 30 },
                Action::RevokeAccess
            ]
        );
        let pending = by_alias(&keys, "alias/gearset-old-byok", "ca-central-1");
        assert_eq!(
            offered(pending),
            [Action::CancelDeletion, Action::RevokeAccess]
        );
        assert!(
            applies(&Action::Enable, pending)
                .unwrap_err()
                .contains("cancel the deletion")
        );
        let missing = by_alias(&keys, "alias/camunda-staging-byok", "eu-west-1");
        assert!(offered(missing).contains(&Action::RepairPolicy));
        assert!(!offered(ok).contains(&Action::RepairPolicy));
        let rotation_off = by_alias(&keys, "alias/gearset-apac-byok", "ap-southeast-2");
        assert!(!offered(rotation_off).contains(&Action::DisableRotation));
    }

    /// A plan never says it applies what it then says needs nothing.
    #[tokio::test]
    async fn a_plan_with_nothing_to_do_says_only_that() {
        let (sim, cat, keys) = demo_keys().await;
        let replica = by_alias(&keys, "alias/camunda-saas-byok", "eu-west-2");
        for action in [Action::Enable, Action::CancelDeletion, Action::RepairPolicy] {
            let p = plan_action(&sim, &cat, replica, &action, None)
                .await
                .unwrap();
            assert!(p.changes.is_empty(), "{action:?}: {p:?}");
            assert!(p.consequence.is_empty(), "{action:?}: {p:?}");
            for n in &p.notes {
                assert!(
                    !n.contains("applied in")
                        && !n.contains("this changes")
                        && !n.contains("byok enables it again"),
                    "{action:?}: {n}"
                );
            }
        }
        let p = plan_action(&sim, &cat, replica, &Action::Disable, None)
            .await
            .unwrap();
        assert_eq!(p.changes.len(), 2);
        assert_eq!(
            p.notes,
            [
                "The vendor uses every key of the Multi-Region set: this changes each (eu-west-1 and eu-west-2)."
            ]
        );
        assert!(!p.consequence.is_empty());
    }

    #[test]
    fn times_read_as_people_write_them() {
        assert_eq!(
            human_time("2026-12-31T18:20:55.701712Z"),
            "2026-12-31 18:20 UTC"
        );
        assert_eq!(human_time("2027-11-23T09:00:00Z"), "2027-11-23 09:00 UTC");
        assert_eq!(
            human_time("2027-11-23T09:00:00+00:00"),
            "2027-11-23 09:00 UTC"
        );
        assert_eq!(
            human_time("2027-11-23T09:00:00.5+02:00"),
            "2027-11-23 09:00 UTC+02:00"
        );
        assert_eq!(human_time("soon"), "soon");
        // A time from an untrusted answer never carries a terminal escape.
        assert!(!human_time("2027-11-23T09:00:00\x1b[2J").contains('\x1b'));
        assert!(!human_time("\x1b[2J2027-11-23T09:00").contains('\x1b'));
    }
}

mod fault_tests {
    use super::*;

    #[test]
    fn a_region_not_enabled_is_only_reported() {
        let err = |kind: &str| RegionReport {
            account: None,
            region: "me-south-1".into(),
            keys_listed: 0,
            byok_keys: 0,
            error: Some(RegionError {
                kind: kind.into(),
                message: String::new(),
                explanation: String::new(),
            }),
            unreadable: vec![],
        };
        assert_eq!(overall(&[], &[err("region-not-enabled")]), Health::Ok);
        assert_eq!(
            overall(&[], &[err("access-denied")]),
            Health::NeedsAttention
        );
    }
    use crate::kms::flaky::FlakyKms;
    use crate::kms::sim::{SimKms, SimOptions};

    #[tokio::test]
    async fn unreadable_keys_and_failed_regions_are_reported() {
        let cat = Catalog::built_in();
        let sim = SimKms::new(SimOptions::instant());
        seed_demo(&sim, &cat).await.unwrap();
        let kms = FlakyKms::new(sim);
        let denied = KmsError::AccessDenied {
            operation: "ListResourceTags".into(),
            message: "not allowed".into(),
        };
        kms.fail("ListResourceTags", 1, denied);
        kms.fail(
            "ListKeys",
            1,
            KmsError::RegionNotEnabled {
                region: "?".into(),
                message: "off".into(),
            },
        );
        let r = collect(&kms, &cat, &Scope::default()).await;
        let failed: Vec<&RegionReport> = r.regions.iter().filter(|x| x.error.is_some()).collect();
        assert_eq!(failed.len(), 1);
        let unreadable: usize = r.regions.iter().map(|x| x.unreadable.len()).sum();
        assert_eq!(unreadable, 1);
        assert!(
            r.regions
                .iter()
                .flat_map(|x| &x.unreadable)
                .all(|u| u.contains("not allowed"))
        );
        // Eight demo keys, minus the failed Region's, minus the unreadable one, all still shown.
        let in_failed = match failed[0].region.as_str() {
            "eu-west-1" => 4,
            "eu-west-2" | "us-west-2" | "ap-southeast-2" | "ca-central-1" => 1,
            _ => 0,
        };
        assert_eq!(r.keys.len(), 8 - in_failed - 1, "{:?}", failed[0].region);
        assert!(r.overall() >= Health::NeedsAttention);
    }

    /// Every action is listed once, and its entry gives back the same action, key and flag.
    #[test]
    fn each_action_is_listed_once() {
        let mut keys = std::collections::HashSet::new();
        let mut flags = std::collections::HashSet::new();
        for spec in ACTIONS {
            assert!(keys.insert(spec.key), "menu key {} twice", spec.key);
            assert!(flags.insert(spec.flag), "flag {} twice", spec.flag);
            let a = spec.action(90);
            assert_eq!(a.spec().flag, spec.flag);
            assert!(action_flag(&a).starts_with(&format!("--{}", spec.flag)));
            assert_eq!(spec.days.is_some(), a.days().is_some(), "{}", spec.flag);
        }
        assert_eq!(
            action_flag(&Action::ScheduleDeletion { days: 7 }),
            "--schedule-deletion 7"
        );
    }
}

/// Vendors that name their principal only once the key ARN is registered with them
/// (Confluent, Snowflake): the key waits, then `byok grant` adds what the vendor returned.
mod two_phase_tests {
    use super::*;
    use crate::answers::RawAnswers;
    use crate::kms::sim::{DEMO_ACCOUNT, SimKms, SimOptions};

    const SNOWFLAKE: &str = "arn:aws:iam::998877665544:user/sf-tss-ab12";
    const CONFLUENT: [&str; 2] = [
        "arn:aws:iam::665544332211:role/confluent-byok-1",
        "arn:aws:iam::665544332211:role/confluent-byok-2",
    ];

    /// The key `byok create` makes in phase one, in the simulator: its policy, its tags.
    async fn phase_one(sim: &SimKms, cat: &Catalog, vendor: &str) -> KeyStatus {
        let a = RawAnswers {
            vendor: Some(vendor.into()),
            region: Some("eu-west-1".into()),
            ..Default::default()
        }
        .validate(cat)
        .unwrap();
        assert_eq!(a.principal, "");
        let pol = policy::build(&a, DEMO_ACCOUNT);
        assert!(policy::lint(&pol, DEMO_ACCOUNT, "").is_empty());
        let k = sim
            .create_key(
                "eu-west-1",
                &crate::kms::NewKey {
                    policy: policy::to_document(&pol),
                    description: a.description.clone(),
                    tags: vec![
                        (TAG_MANAGED_BY.into(), "byok".into()),
                        (TAG_VENDOR.into(), vendor.into()),
                        (crate::plan::TAG_ALIAS.into(), a.alias.clone()),
                        (TAG_ROLE.into(), "primary".into()),
                    ],
                    multi_region: false,
                },
            )
            .await
            .unwrap();
        sim.create_alias("eu-west-1", &a.alias, &k.key_id)
            .await
            .unwrap();
        sim.enable_rotation("eu-west-1", &k.key_id, 365)
            .await
            .unwrap();
        read(sim, cat, &k.arn).await
    }

    async fn read(sim: &SimKms, cat: &Catalog, arn: &str) -> KeyStatus {
        let r = collect(
            sim,
            cat,
            &Scope {
                keys: vec![arn.to_string()],
                named_only: true,
                ..Default::default()
            },
        )
        .await;
        r.keys.into_iter().next().unwrap()
    }

    #[test]
    fn phase_one_gives_the_vendor_nothing_and_asks_for_no_principal() {
        let cat = Catalog::built_in();
        for (vendor, golden) in [
            (
                "snowflake",
                include_str!("../../../../tests/golden/snowflake-phase-one.json"),
            ),
            (
                "confluent",
                include_str!("../../../../tests/golden/confluent-phase-one.json"),
            ),
        ] {
            let mut r = RawAnswers {
                vendor: Some(vendor.into()),
                region: Some("eu-west-1".into()),
                ..Default::default()
            };
            let a = r.clone().validate(&cat).unwrap();
            let p = policy::build(&a, "123456789012");
            assert_eq!(policy::to_document(&p), golden.trim_end(), "{vendor}");
            assert_eq!(p["Statement"].as_array().unwrap().len(), 1);
            // The create command that repeats it names no principal either.
            assert!(
                !a.create_command(&Default::default())
                    .contains("--principal")
            );
            // A principal given now is refused, with the way to give it later.
            r.principal = Some(CONFLUENT[0].into());
            let e = r.validate(&cat).unwrap_err();
            assert!(format!("{e:?}").contains("byok grant"), "{e:?}");
        }
    }

    #[tokio::test]
    async fn a_key_waits_for_the_vendors_principal_then_grant_completes_it() {
        let cat = Catalog::built_in();
        let sim = SimKms::new(SimOptions::instant());
        let k = phase_one(&sim, &cat, "confluent").await;
        let kinds: Vec<FindingKind> = k.findings.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [FindingKind::WaitingForPrincipal],
            "{:#?}",
            k.findings
        );
        assert_eq!(k.health, Health::NeedsAttention);
        assert!(
            k.meaning.contains("Confluent cannot use the key yet"),
            "{}",
            k.meaning
        );
        assert!(k.recovery.contains(&format!("byok grant --key {}", k.arn)));
        assert_eq!(suggested_action(&k), Some(Action::Grant));
        assert!(applies(&Action::Grant, &k).is_ok());
        assert!(needs_principal(&Action::Grant, &k));
        // Without what the vendor returned there is nothing to plan.
        assert!(
            plan_action(&sim, &cat, &k, &Action::Grant, None)
                .await
                .unwrap_err()
                .contains("--principal")
        );
        // Both roles at once, as pasted from Confluent's statement's list.
        let pasted = format!("\"{}\",\n  \"{}\"", CONFLUENT[0], CONFLUENT[1]);
        let plan = plan_action(&sim, &cat, &k, &Action::Grant, Some(&pasted))
            .await
            .unwrap();
        assert_eq!(plan.changes.len(), 1);
        assert!(apply(&sim, &plan).await.iter().all(|r| r.ok));
        let after = read(&sim, &cat, &k.arn).await;
        assert_eq!(after.health, Health::Ok, "{:#?}", after.findings);
        let doc: Value = serde_json::from_str(after.policy_document.as_deref().unwrap()).unwrap();
        for sid in [
            "Allow Confluent accounts to use the key",
            "Allow Confluent accounts to attach persistent resources",
        ] {
            let s = doc["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Sid"] == sid)
                .unwrap();
            assert_eq!(s["Principal"]["AWS"], json!(CONFLUENT), "{sid}");
            assert_eq!(s["Resource"], "*");
        }
        let golden: Value = serde_json::from_str(
            &include_str!("../../../../tests/golden/confluent-granted.json")
                .replace("123456789012", DEMO_ACCOUNT),
        )
        .unwrap();
        assert_eq!(doc, golden);
        assert!(applies(&Action::Grant, &after).is_err());
        // The same grant again changes nothing.
        let again = plan_grant(&sim, &cat, &after, &CONFLUENT.map(String::from))
            .await
            .unwrap();
        assert!(again.changes.is_empty(), "{again:#?}");
    }

    fn snowflake_statement(k: &KeyStatus) -> Value {
        // As SYSTEM$GET_CMK_CONFIG returns it (its documentation's shape).
        json!({
            "Sid": "Allow use of the key by Snowflake",
            "Effect": "Allow",
            "Principal": {"AWS": SNOWFLAKE},
            "Action": ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext"],
            "Resource": k.arn
        })
    }

    #[tokio::test]
    async fn snowflakes_statement_is_granted_on_the_keys_own_arn() {
        let cat = Catalog::built_in();
        let sim = SimKms::new(SimOptions::instant());
        let k = phase_one(&sim, &cat, "snowflake").await;
        assert_eq!(suggested_action(&k), Some(Action::Grant));
        let profile = cat.get("snowflake").unwrap();
        // Pasted as Snowflake prints it: one line, a comma after it.
        let text = format!("{},\n", snowflake_statement(&k));
        assert_eq!(
            check_vendor_statement(profile, &k, &text).unwrap(),
            [SNOWFLAKE]
        );
        let principals = principals_from_paste(profile, &k, &text).unwrap();
        let plan = plan_grant(&sim, &cat, &k, &principals).await.unwrap();
        assert!(apply(&sim, &plan).await.iter().all(|r| r.ok));
        let after = read(&sim, &cat, &k.arn).await;
        assert_eq!(after.health, Health::Ok, "{:#?}", after.findings);
        let doc: Value = serde_json::from_str(after.policy_document.as_deref().unwrap()).unwrap();
        let golden: Value = serde_json::from_str(
            &include_str!("../../../../tests/golden/snowflake-granted.json")
                .replace("KEY_ARN", &k.arn)
                .replace("123456789012", DEMO_ACCOUNT),
        )
        .unwrap();
        assert_eq!(doc, golden);
        let again = plan_grant(&sim, &cat, &after, &principals).await.unwrap();
        assert!(again.changes.is_empty());
    }

    /// A policy changed between the plan and the answer y (another run, someone in the
    /// console) is not overwritten: apply reads it again, sends nothing and says why.
    #[tokio::test]
    async fn a_policy_changed_since_the_plan_is_not_overwritten() {
        let cat = Catalog::built_in();
        let sim = SimKms::new(SimOptions::instant());
        let k = phase_one(&sim, &cat, "confluent").await;
        let first = ["arn:aws:iam::210987654321:role/confluent-first".to_string()];
        let plan = plan_grant(&sim, &cat, &k, &first).await.unwrap();
        assert!(plan.changes.iter().any(|c| c.call == "PutKeyPolicy"));
        // Meanwhile another run grants a second role.
        let second = ["arn:aws:iam::210987654321:role/confluent-second".to_string()];
        let other = plan_grant(&sim, &cat, &k, &second).await.unwrap();
        assert!(apply(&sim, &other).await.iter().all(|r| r.ok));
        let between = sim.get_policy(&k.region, &k.key_id).await.unwrap();
        let results = apply(&sim, &plan).await;
        let refused = results.iter().find(|r| !r.ok).expect("refused");
        let why = refused.error.as_deref().unwrap();
        assert!(why.contains("changed after this plan was made"), "{why}");
        assert_eq!(
            sim.get_policy(&k.region, &k.key_id).await.unwrap(),
            between,
            "the other run's role is kept"
        );
        // Planned again, the first role is added beside the second.
        let after = read(&sim, &cat, &k.arn).await;
        let again = plan_grant(&sim, &cat, &after, &first).await.unwrap();
        assert!(apply(&sim, &again).await.iter().all(|r| r.ok));
        let doc = sim.get_policy(&k.region, &k.key_id).await.unwrap();
        assert!(doc.contains("confluent-first") && doc.contains("confluent-second"));
    }

    /// Confluent's statements as its CLI prints them once the key is registered
    /// (`confluent byok create`): two statements, the roles in each; every one is checked.
    #[tokio::test]
    async fn confluents_statements_as_its_cli_prints_them() {
        let cat = Catalog::built_in();
        let sim = SimKms::new(SimOptions::instant());
        let k = phase_one(&sim, &cat, "confluent").await;
        let profile = cat.get("confluent").unwrap();
        let printed = format!(
            r#"{{
	"Sid" : "Allow Confluent accounts to use the key",
	"Effect" : "Allow",
	"Principal" : {{
		"AWS" : [
			"{a}",
			"{b}"
		]
	}},
	"Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey" ],
	"Resource" : "*"
}}, {{
	"Sid" : "Allow Confluent accounts to attach persistent resources",
	"Effect" : "Allow",
	"Principal" : {{
		"AWS" : [
			"{a}",
			"{b}"
		]
	}},
	"Action" : [ "kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant" ],
	"Resource" : "*"
}}"#,
            a = CONFLUENT[0],
            b = CONFLUENT[1]
        );
        assert_eq!(
            principals_from_paste(profile, &k, &printed).unwrap(),
            CONFLUENT
        );
        // One statement of the two with more than it should: the whole paste is refused.
        let hostile = printed.replacen(
            "\"kms:RevokeGrant\"",
            "\"kms:RevokeGrant\", \"kms:ScheduleKeyDeletion\"",
            1,
        );
        let e = check_vendor_statement(profile, &k, &hostile).unwrap_err();
        assert!(e.contains("kms:ScheduleKeyDeletion"), "{e}");
        // More statements than the profile has, or one twice.
        let three = format!(
            "{printed}, {}",
            &printed[..printed.find("}, {").unwrap() + 1]
        );
        assert!(check_vendor_statement(profile, &k, &three).is_err());
        let twice = format!("[{0}, {0}]", &printed[..printed.find("}, {").unwrap() + 1]);
        let e = check_vendor_statement(profile, &k, &twice).unwrap_err();
        assert!(e.contains("twice"), "{e}");
    }

    #[tokio::test]
    async fn a_hostile_statement_is_refused_with_the_reason() {
        let cat = Catalog::built_in();
        let sim = SimKms::new(SimOptions::instant());
        let k = phase_one(&sim, &cat, "snowflake").await;
        let profile = cat.get("snowflake").unwrap();
        let good = snowflake_statement(&k);
        let other_key = k
            .arn
            .replace(&k.key_id, "00000000-0000-4000-8000-000000000000");
        let own = format!("arn:aws:iam::{DEMO_ACCOUNT}:role/admin");
        let cases: Vec<(Value, &str)> = vec![
            (json!({"Action": "kms:*"}), "grants \"kms:*\""),
            (
                json!({"Action": ["kms:Decrypt", "kms:PutKeyPolicy"]}),
                "grants \"kms:PutKeyPolicy\"",
            ),
            (json!({"Action": "kms:Encrypt"}), "grants \"kms:Encrypt\""),
            (json!({"Action": []}), "no Action"),
            (
                json!({"Resource": other_key}),
                "only \"*\" or this key's ARN",
            ),
            (json!({"Resource": ["*"]}), "only \"*\" or this key's ARN"),
            (
                json!({"Sid": "Allow use of the key by Snowflake\u{1b}[2J"}),
                "not one of Snowflake Tri-Secret Secure's statements",
            ),
            (
                json!({"Sid": "Enable IAM User Permissions"}),
                "is not one of",
            ),
            (
                json!({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
                "has the field \"Condition\"",
            ),
            (json!({"NotResource": "*"}), "has the field \"NotResource\""),
            (json!({"Effect": "Deny"}), "Effect \"Deny\""),
            (json!({"Principal": "*"}), "has the Principal \"*\""),
            (
                json!({"Principal": {"AWS": "*"}}),
                "names the principal \"*\"",
            ),
            (
                json!({"Principal": {"AWS": SNOWFLAKE, "Service": "kms.amazonaws.com"}}),
                "has the Principal",
            ),
            (json!({"Principal": {"AWS": own}}), "your own account"),
            (
                json!({"Principal": {"AWS": "arn:aws:iam::998877665544:root"}}),
                "names the principal",
            ),
            (
                json!({"Principal": {"AWS": "my-arn:name/TRISECRETTEST"}}),
                "is not an ARN",
            ),
            (
                json!({"Principal": {"AWS": "arn:aws:iam::998877665544:user/x\u{7}"}}),
                "names the principal",
            ),
        ];
        for (patch, want) in cases {
            let mut s = good.clone();
            for (key, v) in patch.as_object().unwrap() {
                s[key] = v.clone();
            }
            let e = check_vendor_statement(profile, &k, &s.to_string()).unwrap_err();
            assert!(e.contains(want), "{patch}: {e}");
            // Whatever it quotes reaches the terminal escaped.
            assert!(!e.chars().any(|c| c.is_control()), "{patch}: {e:?}");
        }
        for text in [
            "",
            "[]",
            "{",
            "\"arn:aws:iam::998877665544:user/sf\"",
            &format!("{good}, {good}"),
            &format!("{{{}}}", " ".repeat(MAX_STATEMENT_BYTES)),
        ] {
            assert!(check_vendor_statement(profile, &k, text).is_err(), "{text}");
        }
        // Nothing was sent.
        assert!(!sim.calls().iter().any(|c| c.starts_with("PutKeyPolicy")));
    }

    /// The restarted wizard names the keys byok made for a two-phase vendor, from the
    /// journal: the newest first, each once, no other vendor's, no role, no replica.
    #[test]
    fn the_journal_names_the_keys_that_may_wait() {
        use crate::journal::{Entry, Event};
        use crate::plan::KeyRole;
        let cat = Catalog::built_in();
        let entry = |setup: &str, event: Event, role: KeyRole, arn: &str, alias: &str| {
            let mut e = Entry::new(setup, event);
            e.role = Some(role);
            e.region = Some("eu-west-1".into());
            e.arn = Some(arn.into());
            e.alias = Some(alias.into());
            e
        };
        let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-0000-4000-8000-000000000001";
        let entries = vec![
            entry(
                "confluent/111122223333/eu-west-1/alias/confluent-a",
                Event::Created,
                KeyRole::Primary,
                key,
                "alias/confluent-a",
            ),
            entry(
                "camunda/111122223333/eu-west-1/alias/camunda",
                Event::Created,
                KeyRole::Primary,
                key,
                "alias/camunda",
            ),
            entry(
                "snowflake/111122223333/eu-west-1/alias/sf",
                Event::Intent,
                KeyRole::Primary,
                key,
                "alias/sf",
            ),
            entry(
                "snowflake/111122223333/eu-west-1/alias/sf",
                Event::Adopted,
                KeyRole::Primary,
                key,
                "alias/sf",
            ),
            entry(
                "confluent/111122223333/eu-west-1/alias/confluent-a",
                Event::Adopted,
                KeyRole::Primary,
                key,
                "alias/confluent-a",
            ),
            entry(
                "confluent/111122223333/eu-west-1/alias/confluent-b",
                Event::Created,
                KeyRole::Replica,
                key,
                "alias/confluent-b",
            ),
        ];
        let w = waiting_keys(&entries, &cat);
        assert_eq!(
            w,
            [
                WaitingKey {
                    vendor: "Confluent Cloud".into(),
                    alias: "alias/confluent-a".into(),
                    region: "eu-west-1".into()
                },
                WaitingKey {
                    vendor: "Snowflake Tri-Secret Secure".into(),
                    alias: "alias/sf".into(),
                    region: "eu-west-1".into()
                },
            ]
        );
        assert_eq!(demo_waiting(&cat)[0].alias, DEMO_WAITING.1);
    }
}

mod several_regions_tests {
    use super::*;
    use crate::answers::RawAnswers;
    use crate::exec::{ExecOptions, Outcome};
    use crate::kms::KeyService;
    use crate::kms::sim::{SimKms, SimOptions};
    use tokio::sync::{mpsc, watch};

    async fn read(sim: &SimKms, cat: &Catalog, arn: &str) -> KeyStatus {
        let r = collect(
            sim,
            cat,
            &Scope {
                keys: vec![arn.to_string()],
                named_only: true,
                ..Default::default()
            },
        )
        .await;
        r.keys.into_iter().next().unwrap()
    }

    /// A primary with two replicas (GitLab Dedicated's secondary and backup Regions): status
    /// lists both with their states, and a replica scheduled for deletion is a finding on
    /// the primary naming its Region, while the other replica stays fine.
    #[tokio::test]
    async fn a_primary_lists_every_replica_and_flags_the_one_going() {
        let sim = SimKms::new(SimOptions::instant());
        let cat = Catalog::built_in();
        let a = RawAnswers {
            vendor: Some("gitlab-dedicated".into()),
            region: Some("eu-west-1".into()),
            principal: Some("210987654321".into()),
            regionality: Some("multi-region".into()),
            replica_regions: vec!["eu-central-1".into(), "us-east-1".into()],
            ..Default::default()
        }
        .validate(&cat)
        .unwrap();
        let plan = crate::plan::Plan::build(&a);
        let (tx, _rx) = mpsc::unbounded_channel();
        let (_c, cancel) = watch::channel(false);
        let report = crate::exec::run(
            &sim,
            &plan,
            &crate::journal::Journal::disabled(),
            &tx,
            &cancel,
            &ExecOptions::default(),
        )
        .await;
        assert_eq!(report.outcome, Outcome::Completed);
        let primary = read(&sim, &cat, &report.keys[0].arn).await;
        let mr = primary.multi_region.clone().unwrap();
        assert_eq!(mr.role, "PRIMARY");
        let mut states: Vec<(String, Option<String>)> = mr
            .replicas
            .iter()
            .map(|r| (r.region.clone(), r.state.clone()))
            .collect();
        states.sort();
        assert_eq!(
            states,
            [
                ("eu-central-1".to_string(), Some("Enabled".to_string())),
                ("us-east-1".to_string(), Some("Enabled".to_string()))
            ]
        );
        assert!(
            !primary
                .findings
                .iter()
                .any(|f| f.kind == FindingKind::Replica),
            "{:?}",
            primary.findings
        );
        for k in &report.keys[1..] {
            let r = read(&sim, &cat, &k.arn).await;
            assert_eq!(r.multi_region.unwrap().role, "REPLICA", "{}", k.region);
        }

        sim.schedule_deletion("us-east-1", &report.keys[2].key_id, 7)
            .await
            .unwrap();
        let primary = read(&sim, &cat, &report.keys[0].arn).await;
        let replica_findings: Vec<&str> = primary
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::Replica)
            .map(|f| f.what.as_str())
            .collect();
        assert_eq!(
            replica_findings,
            ["the replica in us-east-1 is PendingDeletion"]
        );
    }
}
