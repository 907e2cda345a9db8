//! Answers become a Plan: ordered steps a person can read, each with the API calls behind it.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

use crate::answers::{Answers, Regionality};

/// Which key of a setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyRole {
    Primary,
    Replica,
    Secondary,
}

impl KeyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRole::Primary => "primary",
            KeyRole::Replica => "replica",
            KeyRole::Secondary => "secondary",
        }
    }
}

pub const TAG_MANAGED_BY: &str = "byok:managed-by";
pub const TAG_VENDOR: &str = "byok:vendor";
pub const TAG_ALIAS: &str = "byok:alias";
pub const TAG_ROLE: &str = "byok:role";
/// The ID of the run's intent that created the key (set by `byok create`, not by exports).
pub const TAG_INTENT: &str = "byok:intent";
/// On a key retired as a duplicate: the ARN of the key that holds the alias.
pub const TAG_DUPLICATE_OF: &str = "byok:duplicate-of";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    ResolveIdentity,
    FindExisting,
    CreateKey {
        role: KeyRole,
        region: String,
        multi_region: bool,
    },
    CreateAlias {
        role: KeyRole,
        region: String,
        alias: String,
    },
    EnableRotation {
        role: KeyRole,
        region: String,
        days: u32,
    },
    ReplicateKey {
        from: String,
        region: String,
    },
    WaitEnabled {
        role: KeyRole,
        region: String,
    },
    EnsureTags {
        role: KeyRole,
        region: String,
    },
    Verify,
    /// Look for the role the vendor assumes: byok's own (adopted) or none; a role of that
    /// name that byok did not make stops the run before any change.
    CheckRole {
        name: String,
    },
    /// Create the role the vendor assumes, trusted by its principal with the external ID.
    CreateRole {
        name: String,
    },
    /// Give the role its own policy: the key's actions on the key's ARNs.
    PutRolePolicy {
        name: String,
    },
    /// Read the role back: its trust policy and its own policy as planned.
    VerifyRole {
        name: String,
    },
    /// Mail `email` when someone breaks the vendor's access to the keys of this Region
    /// (`crate::alerts`).
    Alerts {
        region: String,
        email: String,
    },
}

impl Step {
    /// What the step does, in words a non-expert follows.
    pub fn title(&self) -> String {
        match self {
            Step::ResolveIdentity => "Check who you are signed in as".into(),
            Step::FindExisting => "Look for keys an earlier run made".into(),
            Step::CreateKey {
                role: KeyRole::Primary,
                region,
                multi_region: true,
            } => {
                format!("Create the Multi-Region primary key in {region}")
            }
            Step::CreateKey {
                role: KeyRole::Secondary,
                region,
                ..
            } => {
                // "Another": one of several keys of their own, each in its Region.
                format!("Create another key in {region}")
            }
            Step::CreateKey { region, .. } => format!("Create the key in {region}"),
            Step::CreateAlias { alias, region, .. } => format!("Name it {alias} in {region}"),
            Step::EnableRotation { days, role, region } => format!(
                "Turn on automatic rotation every {days} days{}",
                if *role == KeyRole::Secondary {
                    format!(" (the key in {region})")
                } else {
                    String::new()
                }
            ),
            Step::ReplicateKey { region, .. } => {
                format!("Replicate it to {region} with the same policy, tags and description")
            }
            Step::WaitEnabled { region, .. } => {
                format!("Wait until the replica in {region} is Enabled")
            }
            Step::EnsureTags { region, .. } => format!("Check the replica's tags in {region}"),
            Step::Verify => "Verify every key, alias and policy".into(),
            Step::CheckRole { name } => format!("Look for the role {name} in your account"),
            Step::CreateRole { name } => {
                format!("Create the role {name} that the vendor assumes (with the external ID)")
            }
            Step::PutRolePolicy { name } => {
                format!("Let the role {name} use only this key")
            }
            Step::VerifyRole { name } => {
                format!("Verify the role {name}: who may assume it, and what it may do")
            }
            Step::Alerts { region, email } => format!(
                "Mail {email} when the key in {region} is disabled, scheduled for deletion, re-policied or unaliased"
            ),
        }
    }

    /// The API calls behind the step.
    pub fn api_calls(&self) -> &'static [&'static str] {
        match self {
            Step::ResolveIdentity => &["sts:GetCallerIdentity"],
            // TagResource only to bring an adopted key's byok tags up to date.
            Step::FindExisting => &["kms:DescribeKey", "kms:ListResourceTags", "kms:TagResource"],
            Step::CreateKey { .. } => &["kms:CreateKey"],
            Step::CreateAlias { .. } => &["kms:CreateAlias"],
            Step::EnableRotation { .. } => &["kms:GetKeyRotationStatus", "kms:EnableKeyRotation"],
            Step::ReplicateKey { .. } => &["kms:ReplicateKey"],
            Step::WaitEnabled { .. } => &["kms:DescribeKey"],
            Step::EnsureTags { .. } => &["kms:ListResourceTags", "kms:TagResource"],
            Step::Verify => &[
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "kms:GetKeyRotationStatus",
            ],
            Step::Alerts { .. } => crate::alerts::CALLS,
            Step::CheckRole { .. } => &["iam:GetRole"],
            // Tags are given with the role: IAM checks iam:TagRole for them.
            Step::CreateRole { .. } => &["iam:CreateRole", "iam:TagRole"],
            Step::PutRolePolicy { .. } => &["iam:GetRolePolicy", "iam:PutRolePolicy"],
            Step::VerifyRole { .. } => &["iam:GetRole", "iam:GetRolePolicy"],
        }
    }

    /// The calls a step makes only to recover: the answer of a create that was lost, the key
    /// of a run that was interrupted, or a duplicate that a run racing this one made (retired:
    /// vendor access removed, disabled, deletion scheduled). Not part of a run that goes well.
    pub fn recovery_calls(&self) -> &'static [&'static str] {
        const RETIRE: &[&str] = &[
            "kms:ListKeys",
            "kms:ListResourceTags",
            "kms:DescribeKey",
            "kms:TagResource",
            "kms:PutKeyPolicy",
            "kms:DisableKey",
            "kms:ScheduleKeyDeletion",
        ];
        match self {
            Step::FindExisting | Step::CreateAlias { .. } => RETIRE,
            Step::CreateKey { .. } => &["kms:ListKeys", "kms:ListResourceTags", "kms:DescribeKey"],
            Step::ReplicateKey { .. } => &["kms:DescribeKey"],
            // A CreateRole whose answer was lost: the role is looked up by its name.
            Step::CreateRole { .. } => &["iam:GetRole"],
            _ => &[],
        }
    }

    /// Whether the step changes anything in the account.
    pub fn mutates(&self) -> bool {
        !matches!(
            self,
            Step::ResolveIdentity
                | Step::FindExisting
                | Step::WaitEnabled { .. }
                | Step::Verify
                | Step::CheckRole { .. }
                | Step::VerifyRole { .. }
        )
    }
}

/// The keys a setup has: role, Region and alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedKey {
    pub role: KeyRole,
    pub region: String,
    pub alias: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub keys: Vec<PlannedKey>,
    #[serde(skip)]
    pub answers: Answers,
}

impl Plan {
    pub fn build(answers: &Answers) -> Plan {
        let a = answers;
        let primary = KeyRole::Primary;
        let mut steps = vec![Step::ResolveIdentity];
        if let Some(r) = &a.role {
            steps.push(Step::CheckRole {
                name: r.name.clone(),
            });
        }
        steps.push(Step::FindExisting);
        if let Some(r) = &a.role {
            steps.push(Step::CreateRole {
                name: r.name.clone(),
            });
        }
        steps.extend([
            Step::CreateKey {
                role: primary,
                region: a.region.clone(),
                multi_region: a.multi_region(),
            },
            Step::CreateAlias {
                role: primary,
                region: a.region.clone(),
                alias: a.alias.clone(),
            },
        ]);
        if let Some(days) = a.rotation_days {
            steps.push(Step::EnableRotation {
                role: primary,
                region: a.region.clone(),
                days,
            });
        }
        let mut keys = vec![PlannedKey {
            role: primary,
            region: a.region.clone(),
            alias: a.alias.clone(),
        }];
        for r2 in &a.replica_regions {
            let Some(alias2) = &a.second_alias else { break };
            match a.regionality {
                Regionality::MultiRegion => {
                    let role = KeyRole::Replica;
                    steps.push(Step::ReplicateKey {
                        from: a.region.clone(),
                        region: r2.clone(),
                    });
                    steps.push(Step::WaitEnabled {
                        role,
                        region: r2.clone(),
                    });
                    steps.push(Step::EnsureTags {
                        role,
                        region: r2.clone(),
                    });
                    steps.push(Step::CreateAlias {
                        role,
                        region: r2.clone(),
                        alias: alias2.clone(),
                    });
                    keys.push(PlannedKey {
                        role,
                        region: r2.clone(),
                        alias: alias2.clone(),
                    });
                }
                Regionality::TwoKeys => {
                    let role = KeyRole::Secondary;
                    steps.push(Step::CreateKey {
                        role,
                        region: r2.clone(),
                        multi_region: false,
                    });
                    steps.push(Step::CreateAlias {
                        role,
                        region: r2.clone(),
                        alias: alias2.clone(),
                    });
                    if let Some(days) = a.rotation_days {
                        steps.push(Step::EnableRotation {
                            role,
                            region: r2.clone(),
                            days,
                        });
                    }
                    keys.push(PlannedKey {
                        role,
                        region: r2.clone(),
                        alias: alias2.clone(),
                    });
                }
                Regionality::Single => {}
            }
        }
        if let Some(r) = &a.role {
            let spec = a.vendor.customer_role.as_ref();
            if spec.is_some_and(|s| !s.policy.is_empty()) {
                steps.push(Step::PutRolePolicy {
                    name: r.name.clone(),
                });
            }
            steps.push(Step::VerifyRole {
                name: r.name.clone(),
            });
        }
        steps.push(Step::Verify);
        if let Some(email) = &a.alerts_email {
            let mut regions: Vec<&String> = keys.iter().map(|k| &k.region).collect();
            regions.dedup();
            for region in regions {
                steps.push(Step::Alerts {
                    region: region.clone(),
                    email: email.clone(),
                });
            }
        }
        Plan {
            steps,
            keys,
            answers: a.clone(),
        }
    }

    /// The plan as a dependency graph: for each step, the steps it waits for. The executor
    /// sends every step whose inputs are known at once. The alias is claimed right after its
    /// key is created, before anything is built on the key (rotation, the replica); the
    /// second of two keys is made beside the first; the replica's tags and alias go together
    /// once it is Enabled; verification reads everything at the end.
    pub fn deps(&self) -> Vec<Vec<usize>> {
        let find = |pred: &dyn Fn(&Step) -> bool| self.steps.iter().position(pred);
        self.steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let d = match s {
                    Step::ResolveIdentity => None,
                    // The role's name needs no account: looked up beside the sign-in.
                    Step::CheckRole { .. } => None,
                    // A role byok did not make stops the run before any change.
                    Step::FindExisting => {
                        return [
                            find(&|x| matches!(x, Step::ResolveIdentity)),
                            find(&|x| matches!(x, Step::CheckRole { .. })),
                        ]
                        .into_iter()
                        .flatten()
                        .collect();
                    }
                    Step::CreateRole { .. } => find(&|x| matches!(x, Step::FindExisting)),
                    // The key policy may name the role: it exists first.
                    Step::CreateKey { .. } => find(&|x| matches!(x, Step::CreateRole { .. }))
                        .or_else(|| find(&|x| matches!(x, Step::FindExisting))),
                    // On every key of the setup, once they all exist.
                    Step::PutRolePolicy { .. } => {
                        return (0..i)
                            .filter(|&j| {
                                matches!(
                                    self.steps[j],
                                    Step::CreateKey { .. } | Step::WaitEnabled { .. }
                                )
                            })
                            .collect();
                    }
                    Step::VerifyRole { .. } => find(&|x| matches!(x, Step::PutRolePolicy { .. }))
                        .or_else(|| find(&|x| matches!(x, Step::CreateRole { .. }))),
                    Step::CreateAlias {
                        role: KeyRole::Replica,
                        region,
                        ..
                    } => find(&|x| matches!(x, Step::WaitEnabled { region: g, .. } if g == region)),
                    Step::CreateAlias { role, region, .. } => find(
                        &|x| matches!(x, Step::CreateKey { role: r, region: g, .. } if r == role && g == region),
                    ),
                    Step::EnableRotation { role, region, .. } => find(
                        &|x| matches!(x, Step::CreateAlias { role: r, region: g, .. } if r == role && g == region),
                    ),
                    Step::ReplicateKey { .. } => find(&|x| {
                        matches!(
                            x,
                            Step::CreateAlias {
                                role: KeyRole::Primary,
                                ..
                            }
                        )
                    }),
                    Step::WaitEnabled { region, .. } => {
                        find(&|x| matches!(x, Step::ReplicateKey { region: g, .. } if g == region))
                    }
                    Step::EnsureTags { region, .. } => {
                        find(&|x| matches!(x, Step::WaitEnabled { region: g, .. } if g == region))
                    }
                    Step::Verify => return (0..i).collect(),
                    // After the keys are verified: alerts never hold up a key.
                    Step::Alerts { .. } => find(&|x| matches!(x, Step::Verify)),
                };
                d.into_iter().collect()
            })
            .collect()
    }

    /// The round trips a fresh run waits for, one after another, along the longest path of
    /// the graph: what the plan costs under network latency at best. Each step is one round
    /// trip (its requests go together), except finding earlier keys, whose lookups go with
    /// the sign-in.
    pub fn chain_length(&self) -> usize {
        let deps = self.deps();
        let mut depth = vec![0usize; self.steps.len()];
        for (i, s) in self.steps.iter().enumerate() {
            let own = usize::from(!matches!(s, Step::FindExisting));
            depth[i] = deps[i].iter().map(|&d| depth[d]).max().unwrap_or(0) + own;
        }
        depth.into_iter().max().unwrap_or(0)
    }

    /// Every tag a key of this role gets: the user's, then byok's own.
    pub fn tags_for(&self, role: KeyRole) -> Vec<(String, String)> {
        let a = &self.answers;
        let alias = self
            .keys
            .iter()
            .find(|k| k.role == role)
            .map(|k| k.alias.clone())
            .unwrap_or_default();
        let mut tags = a.tags.clone();
        tags.push((TAG_MANAGED_BY.into(), "byok".into()));
        tags.push((TAG_VENDOR.into(), a.vendor.id.clone()));
        tags.push((TAG_ALIAS.into(), alias));
        tags.push((TAG_ROLE.into(), role.as_str().into()));
        tags
    }

    /// The first key of `role` (the primary; the only replica or second key of a setup with
    /// one other Region).
    pub fn key(&self, role: KeyRole) -> Option<&PlannedKey> {
        self.keys.iter().find(|k| k.role == role)
    }

    /// The index in [`Plan::keys`] of the key in `region`: a setup has one key per Region.
    pub fn slot(&self, region: &str) -> Option<usize> {
        self.keys.iter().position(|k| k.region == region)
    }

    /// A name for `key` that is unique in the setup, for exports' resource names: its role,
    /// and its Region too when another key has the same role.
    pub fn key_name(&self, key: &PlannedKey) -> String {
        if self.keys.iter().filter(|k| k.role == key.role).count() > 1 {
            format!("{}-{}", key.role.as_str(), key.region)
        } else {
            key.role.as_str().to_string()
        }
    }

    /// The plan as numbered lines with the API calls behind each step.
    pub fn render_text(&self) -> String {
        let a = &self.answers;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "byok will set up {} for {}:",
            match (a.regionality, a.replica_regions.len()) {
                (Regionality::Single, _) => "one single-Region key".to_string(),
                (Regionality::MultiRegion, 1) =>
                    "a Multi-Region primary key and its replica".to_string(),
                (Regionality::MultiRegion, n) =>
                    format!("a Multi-Region primary key and its {n} replicas"),
                (Regionality::TwoKeys, 1) => "two independent single-Region keys".to_string(),
                (Regionality::TwoKeys, n) =>
                    format!("{} independent single-Region keys, one per Region", n + 1),
            },
            crate::sanitize::line(&a.vendor.name)
        );
        // The API calls in a column after the titles, two spaces clear of the longest one up
        // to TITLE_COLUMN; a longer title (a long alias) has its calls on the next line, in
        // the same column, so a title never runs into its calls.
        const TITLE_COLUMN: usize = 72;
        let titles: Vec<String> = self.steps.iter().map(Step::title).collect();
        let col = titles
            .iter()
            .map(|t| t.chars().count())
            .filter(|&n| n <= TITLE_COLUMN)
            .max()
            .unwrap_or(TITLE_COLUMN);
        for (i, (s, title)) in self.steps.iter().zip(&titles).enumerate() {
            let calls = s.api_calls().join(", ");
            if title.chars().count() <= col {
                let _ = writeln!(out, "{:>3}. {title:<col$}  {calls}", i + 1);
            } else {
                let _ = writeln!(out, "{:>3}. {title}", i + 1);
                let _ = writeln!(out, "{:w$}{calls}", "", w = 5 + col + 2);
            }
        }
        let tags = self.tags_for(KeyRole::Primary);
        let _ = writeln!(out, "\nEvery key gets the description {:?}", a.description);
        let _ = writeln!(
            out,
            "and the tags {}",
            tags.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        out
    }
}

#[cfg(test)]
mod graph_tests {
    use super::*;
    use crate::answers::RawAnswers;
    use crate::vendor::Catalog;

    fn plan(regionality: &str) -> Plan {
        let raw = RawAnswers {
            vendor: Some("camunda".into()),
            principal: Some("arn:aws:iam::210987654321:role/camunda-tenant".into()),
            regionality: Some(regionality.into()),
            ..Default::default()
        };
        Plan::build(&raw.validate(&Catalog::built_in()).unwrap())
    }

    #[test]
    fn every_step_waits_only_for_earlier_steps_and_the_alias_comes_first() {
        for r in ["single", "multi-region", "two-keys"] {
            let p = plan(r);
            let deps = p.deps();
            for (i, d) in deps.iter().enumerate() {
                assert!(
                    d.iter().all(|&x| x < i),
                    "{r}: step {i} waits for a later step"
                );
                if i > 0 {
                    assert!(!d.is_empty(), "{r}: step {i} waits for nothing");
                }
            }
            // Nothing is built on a key before its alias is claimed.
            for (i, s) in p.steps.iter().enumerate() {
                if let Step::EnableRotation { role, .. } = s {
                    let alias = p
                        .steps
                        .iter()
                        .position(|x| matches!(x, Step::CreateAlias { role: r, .. } if r == role))
                        .unwrap();
                    assert_eq!(deps[i], vec![alias]);
                }
            }
        }
        // A role the vendor assumes: looked up beside the sign-in, made before the key.
        let raw = RawAnswers {
            vendor: Some("cockroachdb".into()),
            region: Some("eu-west-1".into()),
            principal: Some("210987654321".into()),
            external_id: Some("org-1".into()),
            ..Default::default()
        };
        let p = Plan::build(&raw.validate(&Catalog::built_in()).unwrap());
        let deps = p.deps();
        let at = |f: &dyn Fn(&Step) -> bool| p.steps.iter().position(f).unwrap();
        let (id, check, find, create_role, create_key) = (
            at(&|s| matches!(s, Step::ResolveIdentity)),
            at(&|s| matches!(s, Step::CheckRole { .. })),
            at(&|s| matches!(s, Step::FindExisting)),
            at(&|s| matches!(s, Step::CreateRole { .. })),
            at(&|s| matches!(s, Step::CreateKey { .. })),
        );
        assert!(deps[check].is_empty());
        assert_eq!(deps[find], vec![id, check]);
        assert_eq!(deps[create_role], vec![find]);
        assert_eq!(deps[create_key], vec![create_role]);
        assert_eq!(p.chain_length(), 6);
        assert_eq!(plan("single").chain_length(), 5);
        assert_eq!(plan("multi-region").chain_length(), 7);
        assert_eq!(plan("two-keys").chain_length(), 5);
    }

    fn plan3(regionality: &str) -> Plan {
        let raw = RawAnswers {
            vendor: Some("other".into()),
            region: Some("eu-west-1".into()),
            principal: Some("123456789012".into()),
            regionality: Some(regionality.into()),
            replica_regions: vec!["eu-central-1".into(), "us-east-1".into()],
            ..Default::default()
        };
        Plan::build(&raw.validate(&Catalog::built_in()).unwrap())
    }

    /// Several Regions: each replica (or key of its own) has its steps, which wait only for
    /// the primary's alias and for the steps of their own Region, so the Regions go side by
    /// side and the chain is no longer than with one.
    #[test]
    fn every_other_region_has_its_own_steps_side_by_side() {
        for (r, role, chain) in [
            ("multi-region", KeyRole::Replica, 7),
            ("two-keys", KeyRole::Secondary, 5),
        ] {
            let p = plan3(r);
            let regions: Vec<(KeyRole, &str)> =
                p.keys.iter().map(|k| (k.role, k.region.as_str())).collect();
            assert_eq!(
                regions,
                [
                    (KeyRole::Primary, "eu-west-1"),
                    (role, "eu-central-1"),
                    (role, "us-east-1")
                ]
            );
            assert_eq!(p.chain_length(), chain, "{r}");
            let deps = p.deps();
            for (i, s) in p.steps.iter().enumerate() {
                let own = |x: &Step| match x {
                    Step::CreateKey { region, .. }
                    | Step::CreateAlias { region, .. }
                    | Step::EnableRotation { region, .. }
                    | Step::ReplicateKey { region, .. }
                    | Step::WaitEnabled { region, .. }
                    | Step::EnsureTags { region, .. } => Some(region.clone()),
                    _ => None,
                };
                let (Some(mine), false) = (own(s), matches!(s, Step::ReplicateKey { .. })) else {
                    continue;
                };
                for &d in &deps[i] {
                    if let Some(theirs) = own(&p.steps[d]) {
                        assert!(
                            theirs == mine || matches!(s, Step::CreateKey { .. }),
                            "{r}: {} waits for {}",
                            s.title(),
                            p.steps[d].title()
                        );
                    }
                }
            }
            assert_eq!(p.key_name(&p.keys[0]), "primary");
            assert_eq!(
                p.key_name(&p.keys[2]),
                format!("{}-us-east-1", role.as_str())
            );
            assert!(p.render_text().starts_with(match r {
                "multi-region" => "byok will set up a Multi-Region primary key and its 2 replicas",
                _ => "byok will set up 3 independent single-Region keys, one per Region",
            }));
        }
        let p = plan3("multi-region");
        let replicate: Vec<_> = p
            .steps
            .iter()
            .filter(|s| matches!(s, Step::ReplicateKey { .. }))
            .collect();
        assert_eq!(replicate.len(), 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::RawAnswers;
    use crate::vendor::Catalog;

    fn plan(regionality: &str, rotation: bool) -> Plan {
        let r = RawAnswers {
            vendor: Some("camunda".into()),
            principal: Some("arn:aws:iam::210987654321:role/t".into()),
            regionality: Some(regionality.into()),
            no_rotation: !rotation,
            ..Default::default()
        };
        Plan::build(&r.validate(&Catalog::built_in()).unwrap())
    }

    fn names(p: &Plan) -> Vec<String> {
        p.steps
            .iter()
            .map(|s| {
                serde_json::to_value(s).unwrap()["step"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn single() {
        let p = plan("single", true);
        assert_eq!(
            names(&p),
            [
                "resolve-identity",
                "find-existing",
                "create-key",
                "create-alias",
                "enable-rotation",
                "verify"
            ]
        );
        assert_eq!(p.keys.len(), 1);
        let p = plan("single", false);
        assert!(!names(&p).contains(&"enable-rotation".to_string()));
    }

    #[test]
    fn multi_region_replicates_and_aliases_the_replica() {
        let p = plan("multi-region", true);
        assert_eq!(
            names(&p),
            [
                "resolve-identity",
                "find-existing",
                "create-key",
                "create-alias",
                "enable-rotation",
                "replicate-key",
                "wait-enabled",
                "ensure-tags",
                "create-alias",
                "verify"
            ]
        );
        assert_eq!(
            p.steps[2],
            Step::CreateKey {
                role: KeyRole::Primary,
                region: "eu-west-1".into(),
                multi_region: true
            }
        );
        assert_eq!(
            p.steps[8],
            Step::CreateAlias {
                role: KeyRole::Replica,
                region: "eu-west-2".into(),
                alias: "alias/camunda-saas-byok".into()
            }
        );
        // Rotation is set once, on the primary: replicas share it.
        assert_eq!(
            names(&p).iter().filter(|n| *n == "enable-rotation").count(),
            1
        );
        let text = p.render_text();
        assert!(
            text.starts_with("byok will set up a Multi-Region primary key and its replica for"),
            "{text}"
        );
        assert!(text.contains("kms:ReplicateKey"), "{text}");
        assert!(
            text.contains("Wait until the replica in eu-west-2 is Enabled"),
            "{text}"
        );
    }

    #[test]
    fn two_keys_have_distinct_aliases() {
        let p = plan("two-keys", true);
        assert_eq!(p.keys[1].alias, "alias/camunda-saas-byok-replica");
        assert!(
            p.render_text()
                .starts_with("byok will set up two independent single-Region keys for")
        );
        assert_eq!(p.keys[1].region, "eu-west-2");
        assert_eq!(names(&p).iter().filter(|n| *n == "create-key").count(), 2);
        assert_eq!(
            names(&p).iter().filter(|n| *n == "enable-rotation").count(),
            2
        );
    }

    /// The API calls never run into a step's title: two spaces at least, in one column; a
    /// title too long for the column (a long alias) has its calls on the next line.
    #[test]
    fn text_columns_never_collide() {
        let long_alias = format!("alias/{}", "a-very-long-alias-name-".repeat(4));
        for (regionality, alias) in [
            ("single", None),
            ("multi-region", None),
            ("two-keys", None),
            ("multi-region", Some(long_alias.clone())),
            ("two-keys", Some(long_alias.clone())),
        ] {
            let r = RawAnswers {
                vendor: Some("camunda".into()),
                principal: Some("arn:aws:iam::210987654321:role/t".into()),
                regionality: Some(regionality.into()),
                alias: alias.clone(),
                ..Default::default()
            };
            let p = Plan::build(&r.validate(&Catalog::built_in()).unwrap());
            let text = p.render_text();
            let lines: Vec<&str> = text.lines().collect();
            let mut columns = Vec::new();
            for (i, step) in p.steps.iter().enumerate() {
                let (title, calls) = (step.title(), step.api_calls().join(", "));
                let head = format!("{:>3}. {title}", i + 1);
                let at = lines
                    .iter()
                    .position(|l| l.starts_with(&head))
                    .unwrap_or_else(|| panic!("{head}\n{text}"));
                let rest = &lines[at][head.len()..];
                let calls_col = if rest.is_empty() {
                    // On the next line, alone.
                    let next = lines[at + 1];
                    assert_eq!(next.trim_start(), calls, "{text}");
                    assert!(
                        title.len() > 72,
                        "only a long title moves its calls: {text}"
                    );
                    next.len() - calls.len()
                } else {
                    assert!(
                        rest.starts_with("  "),
                        "{regionality}: {:?}\n{text}",
                        lines[at]
                    );
                    assert_eq!(rest.trim_start(), calls, "{text}");
                    lines[at].len() - calls.len()
                };
                columns.push(calls_col);
            }
            columns.dedup();
            assert_eq!(columns.len(), 1, "one column for the calls\n{text}");
            if alias.is_some() {
                assert!(text.contains(&format!("\n{}kms:CreateAlias\n", " ".repeat(columns[0]))));
            }
        }
    }

    #[test]
    fn byok_tags() {
        let p = plan("multi-region", true);
        let t = p.tags_for(KeyRole::Replica);
        assert_eq!(t.len(), crate::answers::BYOK_TAG_COUNT);
        assert!(t.contains(&(TAG_ROLE.into(), "replica".into())));
        assert!(t.contains(&(TAG_VENDOR.into(), "camunda".into())));
    }
}
