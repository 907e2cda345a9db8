//! The kinds of vendor principal (a vendor file's `principal.kind`), and every question the
//! rest of byok asks of a kind: whether the customer is asked for it ([`asks_customer`]),
//! whether it follows from the Region ([`follows_region`]), how an answer is checked
//! ([`check`]), what stands in for it in a preview ([`placeholder`]), what the wizard's
//! principal step shows ([`step`]), how `byok vendors` describes it ([`describe`]), which
//! principal `byok status` takes from the vendor file alone ([`from_profile`]) and what the
//! vendor file must list for it ([`check_regions`]).
//!
//! Past the check, a principal is its ARN: the policy, the plan, the exports and the review
//! show that ARN whatever the kind.
//!
//! This module sits below `vendor`, whose profiles hold a [`PrincipalSpec`]: it learns what
//! it needs of a vendor through [`VendorFacts`], which `VendorProfile` implements.
//!
//! [`asks_customer`]: PrincipalKind::asks_customer
//! [`follows_region`]: PrincipalKind::follows_region
//! [`check`]: PrincipalKind::check
//! [`placeholder`]: PrincipalKind::placeholder
//! [`step`]: PrincipalKind::step
//! [`describe`]: PrincipalKind::describe
//! [`from_profile`]: PrincipalKind::from_profile
//! [`check_regions`]: PrincipalKind::check_regions

use serde::{Deserialize, Serialize};

use crate::arn::{self, Want};
use crate::regions;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PrincipalKind {
    /// The customer pastes an IAM role ARN the vendor gave them (Camunda).
    IamRoleArn,
    /// The vendor's account root, chosen by Region (Gearset).
    AccountRootByRegion,
    /// A 12-digit account ID or an IAM ARN.
    AccountOrArn,
    /// Given by the vendor only once the key ARN is registered with it (Confluent's roles,
    /// Snowflake's principal): the key is made without the vendor statements, and `byok
    /// grant` adds the IAM role or user ARN(s) the vendor returns.
    GivenAfterRegistration,
    /// One principal the vendor file names (`principal.arn`), the same for every customer
    /// (Databricks' account root, narrowed by a condition on the customer's own value).
    Fixed,
    /// `Principal: "*"`, made safe only by the organisation condition (`aws:PrincipalOrgID` or
    /// `aws:PrincipalOrgPaths`) that every vendor statement carries with a value the vendor
    /// file fixes (Elastic).
    AnyInOrganization,
}

/// The principal a statement names for [`PrincipalKind::AnyInOrganization`].
pub const ANY_PRINCIPAL: &str = "*";

/// A vendor file's `principal`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrincipalSpec {
    pub kind: PrincipalKind,
    pub label: String,
    pub help: String,
    /// Principals the vendor has retired (ClickHouse's old shared role): refused as the
    /// answer, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refuse: Vec<RefusedPrincipal>,
    /// The principal itself, for [`PrincipalKind::Fixed`] only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RefusedPrincipal {
    /// The principal's ARN, exactly as it would be written into the policy.
    pub arn: String,
    /// Why, and what to give instead.
    pub reason: String,
}

/// What a kind needs to know of its vendor.
pub trait VendorFacts {
    /// The vendor's name, for messages.
    fn name(&self) -> &str;
    /// The vendor file's `principal`.
    fn principal(&self) -> &PrincipalSpec;
    /// The vendor's AWS account for a Region, when the vendor file lists one.
    fn vendor_account(&self, region: &str) -> Option<&str>;
}

/// What the wizard's principal step shows; the screen draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The customer types the principal.
    Typed {
        question: String,
        explain: &'static str,
        /// The input's label.
        input: &'static str,
        /// Where to find it (the vendor file's `principal.help`).
        help: String,
        note: &'static str,
    },
    /// Nothing to type: the vendor file names the principal (a fixed account, or anyone in
    /// the vendor's organisation), shown as it goes into the policy.
    Fixed {
        question: String,
        explain: String,
        /// The principal's label (the vendor file's `principal.label`).
        label: String,
        /// The principal as the policy names it.
        principal: String,
        note: &'static str,
    },
    /// Nothing to type: the principal follows from the Region, shown with the vendor's
    /// account for it.
    FromRegion {
        question: String,
        explain: String,
        /// The account's label (the vendor file's `principal.label`).
        label: String,
        /// The vendor's account for the Region, `?` when it has none.
        account: String,
        note: &'static str,
    },
    /// Nothing to type now: the vendor names its principal once the key ARN is registered
    /// with it, and `byok grant` adds it then.
    Later {
        question: String,
        explain: String,
        /// The two phases, in order.
        phases: [String; 2],
        note: &'static str,
    },
}

/// The IAM role a preview shows while the customer has not typed a valid one.
const PLACEHOLDER_ROLE: &str = "arn:aws:iam::000000000000:role/placeholder";

/// The refusals and the partition, once a principal is an ARN.
fn finish(
    spec: &PrincipalSpec,
    arn: arn::Arn,
    region: &str,
    partition: &str,
) -> Result<String, String> {
    if let Some(r) = spec.refuse.iter().find(|r| r.arn == arn.to_string()) {
        return Err(format!("{arn} is refused: {}", r.reason));
    }
    if arn.partition != partition {
        return Err(format!(
            "is in partition {} but {region} is in {partition}",
            arn.partition
        ));
    }
    Ok(arn.to_string())
}

/// An account's root principal.
fn account_root(partition: &str, account: &str) -> String {
    format!("arn:{partition}:iam::{account}:root")
}

impl PrincipalKind {
    /// Whether the customer gives the principal (`--principal`, the wizard's input); when
    /// not, `create` leaves the flag out and the wizard's step has nothing to type.
    pub fn asks_customer(self) -> bool {
        match self {
            PrincipalKind::IamRoleArn | PrincipalKind::AccountOrArn => true,
            PrincipalKind::AccountRootByRegion
            | PrincipalKind::GivenAfterRegistration
            | PrincipalKind::Fixed
            | PrincipalKind::AnyInOrganization => false,
        }
    }

    /// Whether the vendor names its principal only once the key ARN is registered with it:
    /// the key is made with no vendor statement (the vendor cannot use it yet), and `byok
    /// grant` adds the principal(s) the vendor returns.
    pub fn given_later(self) -> bool {
        matches!(self, PrincipalKind::GivenAfterRegistration)
    }

    /// Whether the principal follows from the chosen Region, so that choosing the Region
    /// changes the vendor's statements.
    pub fn follows_region(self) -> bool {
        match self {
            PrincipalKind::IamRoleArn
            | PrincipalKind::AccountOrArn
            | PrincipalKind::GivenAfterRegistration
            | PrincipalKind::Fixed
            | PrincipalKind::AnyInOrganization => false,
            PrincipalKind::AccountRootByRegion => true,
        }
    }

    /// A principal of this kind that passes [`check`](Self::check), for a preview drawn
    /// before the customer has typed one; `None` when the kind asks for nothing.
    pub fn placeholder(self) -> Option<&'static str> {
        match self {
            PrincipalKind::IamRoleArn => Some(PLACEHOLDER_ROLE),
            PrincipalKind::AccountOrArn => Some("000000000000"),
            PrincipalKind::AccountRootByRegion
            | PrincipalKind::GivenAfterRegistration
            | PrincipalKind::Fixed
            | PrincipalKind::AnyInOrganization => None,
        }
    }

    /// How the principal is given, in words (`byok vendors`).
    pub fn describe(self) -> &'static str {
        match self {
            PrincipalKind::IamRoleArn => "an IAM role ARN you copy from the vendor (--principal)",
            PrincipalKind::AccountRootByRegion => {
                "the vendor's AWS account for the Region you choose (nothing to type)"
            }
            PrincipalKind::AccountOrArn => {
                "the AWS account ID or IAM ARN the vendor names (--principal)"
            }
            PrincipalKind::GivenAfterRegistration => {
                "the IAM role or user ARN(s) the vendor returns once the key ARN is registered with it: nothing to type at creation, then byok grant --key ARN --principal ARN"
            }
            PrincipalKind::Fixed => {
                "the one principal the vendor names for every customer (nothing to type)"
            }
            PrincipalKind::AnyInOrganization => {
                "any principal of the vendor's AWS organisation: Principal \"*\" under the organisation condition the profile fixes (nothing to type)"
            }
        }
    }

    /// The vendor principal, as its ARN, from what the customer typed (or the Region, when
    /// it follows from it); the error says why not and what to give.
    pub fn check(
        self,
        vendor: &(impl VendorFacts + ?Sized),
        region: &str,
        input: Option<&str>,
    ) -> Result<String, String> {
        let spec = vendor.principal();
        let partition = regions::partition_of(region);
        let input = input.map(str::trim).filter(|s| !s.is_empty());
        let arn = match self {
            PrincipalKind::GivenAfterRegistration => {
                return match input {
                    None => Ok(String::new()),
                    Some(_) => Err(format!(
                        "{} names its principal only once the key ARN is registered with it: leave it out now, then add what {} returns with byok grant --key KEY_ARN --principal ARN",
                        vendor.name(),
                        vendor.name()
                    )),
                };
            }
            PrincipalKind::AnyInOrganization => {
                return match input {
                    None | Some(ANY_PRINCIPAL) => Ok(ANY_PRINCIPAL.to_string()),
                    Some(_) => Err(format!(
                        "{} is any principal of its AWS organisation, under the condition its profile fixes: leave it out",
                        vendor.name()
                    )),
                };
            }
            PrincipalKind::Fixed => {
                let fixed = spec
                    .arn
                    .as_deref()
                    .ok_or_else(|| format!("{}'s profile names no principal.arn", vendor.name()))?;
                if input.is_some_and(|p| !crate::policy::same_principal(p, fixed)) {
                    return Err(format!("{} is always {fixed}: leave it out", vendor.name()));
                }
                arn::check_iam_principal(fixed, Want::AnyPrincipal)
                    .map_err(|e| format!("{fixed:?} {e}"))?
            }
            PrincipalKind::AccountRootByRegion => {
                let account = vendor
                    .vendor_account(region)
                    .ok_or_else(|| format!("{} has no account for {region}", vendor.name()))?;
                let derived = account_root(partition, account);
                return match input {
                    Some(p) if p != derived && p != account => Err(format!(
                        "{}'s account follows from the Region ({account} for {region}): leave it out",
                        vendor.name()
                    )),
                    _ => Ok(derived),
                };
            }
            PrincipalKind::IamRoleArn => {
                let p = input.ok_or_else(|| format!("is required: {}", spec.help))?;
                arn::check_iam_principal(p, Want::Role)
                    .map_err(|e| format!("{p:?} {e}. {}", spec.help))?
            }
            PrincipalKind::AccountOrArn => {
                let p = input.ok_or_else(|| format!("is required: {}", spec.help))?;
                if arn::is_account_id(p) {
                    return Ok(account_root(partition, p));
                }
                if p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!(
                        "{p:?} has {} digits: an AWS account ID has exactly 12",
                        p.len()
                    ));
                }
                arn::check_iam_principal(p, Want::AnyPrincipal).map_err(|e| format!("{p:?} {e}"))?
            }
        };
        finish(spec, arn, region, partition)
    }

    /// A principal given for a key that exists (`byok grant`): as [`check`](Self::check)
    /// checks the answer, but for a kind the vendor gives only after registration, the IAM
    /// role or user ARN it returned (never an account root: the vendor names its own
    /// identity).
    pub fn check_given(
        self,
        vendor: &(impl VendorFacts + ?Sized),
        region: &str,
        input: &str,
    ) -> Result<String, String> {
        if !self.given_later() {
            return self.check(vendor, region, Some(input));
        }
        let spec = vendor.principal();
        let p = input.trim();
        if p.is_empty() {
            return Err(format!("is required: {}", spec.help));
        }
        let arn = arn::check_iam_principal(p, Want::RoleOrUser)
            .map_err(|e| format!("{p:?} {e}. {}", spec.help))?;
        finish(spec, arn, region, regions::partition_of(region))
    }

    /// What the wizard's principal step shows for a vendor and the chosen Region.
    pub fn step(self, vendor: &(impl VendorFacts + ?Sized), region: &str) -> Step {
        let spec = vendor.principal();
        match self {
            PrincipalKind::AccountRootByRegion => Step::FromRegion {
                question: format!("{} gets access through its AWS account", vendor.name()),
                explain: spec.help.clone(),
                label: spec.label.clone(),
                account: vendor.vendor_account(region).unwrap_or("?").to_string(),
                note: "To change it, go back and choose another Region.",
            },
            PrincipalKind::Fixed | PrincipalKind::AnyInOrganization => Step::Fixed {
                question: format!("{} gets access as it names itself", vendor.name()),
                explain: spec.help.clone(),
                label: spec.label.clone(),
                principal: match self {
                    PrincipalKind::Fixed => spec.arn.clone().unwrap_or_default(),
                    _ => ANY_PRINCIPAL.to_string(),
                },
                note: if self == PrincipalKind::AnyInOrganization {
                    "Anyone, but only within the vendor's organisation: every vendor statement carries its condition."
                } else {
                    "The vendor's statements carry its condition."
                },
            },
            PrincipalKind::IamRoleArn | PrincipalKind::AccountOrArn => Step::Typed {
                question: format!("{}?", spec.label),
                explain: "The vendor's identity the key policy lets use the key.",
                input: "ARN ",
                help: spec.help.clone(),
                note: "byok checks its form now; KMS checks that it exists when the key is created.",
            },
            PrincipalKind::GivenAfterRegistration => Step::Later {
                question: format!(
                    "{} names its access after you register the key",
                    vendor.name()
                ),
                explain: spec.help.clone(),
                phases: [
                    format!(
                        "1. byok creates the key without {}'s access: it cannot use the key yet.",
                        vendor.name()
                    ),
                    format!(
                        "2. You register the key ARN with {}; paste the {} it returns on the Done screen (or run byok grant).",
                        vendor.name(),
                        spec.label
                    ),
                ],
                note: "Nothing to type now.",
            },
        }
    }

    /// The principal the vendor file alone names for a Region, which `byok status` trusts
    /// as much as the journal: `None` when the customer gives it.
    pub fn from_profile(
        self,
        vendor: &(impl VendorFacts + ?Sized),
        region: &str,
        partition: &str,
    ) -> Option<String> {
        match self {
            PrincipalKind::AccountRootByRegion => vendor
                .vendor_account(region)
                .map(|a| account_root(partition, a)),
            PrincipalKind::Fixed => vendor.principal().arn.clone(),
            PrincipalKind::AnyInOrganization => Some(ANY_PRINCIPAL.to_string()),
            PrincipalKind::IamRoleArn
            | PrincipalKind::AccountOrArn
            | PrincipalKind::GivenAfterRegistration => None,
        }
    }

    /// Whether a vendor file's Regions suit the kind, given each Region's `vendor_account`
    /// (the error is the vendor file's `principal.kind` error).
    pub fn check_regions(self, accounts: &[Option<&str>]) -> Result<(), String> {
        match self {
            PrincipalKind::AccountRootByRegion
                if accounts.is_empty() || accounts.iter().any(Option::is_none) =>
            {
                Err(
                    "account-root-by-region needs a vendor_account on every entry of regions"
                        .into(),
                )
            }
            PrincipalKind::AccountRootByRegion
            | PrincipalKind::IamRoleArn
            | PrincipalKind::AccountOrArn
            | PrincipalKind::GivenAfterRegistration
            | PrincipalKind::Fixed
            | PrincipalKind::AnyInOrganization => Ok(()),
        }
    }

    /// Whether the vendor file's `principal` suits the kind: `principal.arn` is given for
    /// [`PrincipalKind::Fixed`], and only for it. The error names the field.
    pub fn check_spec(self, spec: &PrincipalSpec) -> Result<(), (&'static str, String)> {
        match (self, spec.arn.as_deref()) {
            (PrincipalKind::Fixed, None) => Err((
                "principal.arn",
                "a fixed principal needs its ARN, such as arn:aws:iam::111122223333:root".into(),
            )),
            (PrincipalKind::Fixed, Some(a)) => arn::check_iam_principal(a, Want::AnyPrincipal)
                .map(|_| ())
                .map_err(|e| ("principal.arn", format!("{a:?} {e}"))),
            (_, Some(_)) => Err((
                "principal.arn",
                "only a principal of kind \"fixed\" names its ARN here".into(),
            )),
            (_, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [PrincipalKind; 6] = [
        PrincipalKind::IamRoleArn,
        PrincipalKind::AccountRootByRegion,
        PrincipalKind::AccountOrArn,
        PrincipalKind::GivenAfterRegistration,
        PrincipalKind::Fixed,
        PrincipalKind::AnyInOrganization,
    ];

    struct Acme {
        spec: PrincipalSpec,
    }

    impl Acme {
        fn new(kind: PrincipalKind) -> Acme {
            Acme {
                spec: PrincipalSpec {
                    kind,
                    label: "Acme principal".into(),
                    help: "Acme's console shows it.".into(),
                    refuse: vec![RefusedPrincipal {
                        arn: "arn:aws:iam::111122223333:role/old".into(),
                        reason: "Acme retired it".into(),
                    }],
                    arn: (kind == PrincipalKind::Fixed)
                        .then(|| "arn:aws:iam::414351767826:root".to_string()),
                },
            }
        }
    }

    impl VendorFacts for Acme {
        fn name(&self) -> &str {
            "Acme"
        }
        fn principal(&self) -> &PrincipalSpec {
            &self.spec
        }
        fn vendor_account(&self, region: &str) -> Option<&str> {
            match region {
                "eu-west-1" => Some("123456789012"),
                "cn-north-1" => Some("210987654321"),
                _ => None,
            }
        }
    }

    #[test]
    fn a_kind_is_its_vendor_file_name() {
        let names: Vec<String> = ALL
            .iter()
            .map(|k| {
                serde_json::to_value(k)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            names,
            [
                "iam-role-arn",
                "account-root-by-region",
                "account-or-arn",
                "given-after-registration",
                "fixed",
                "any-in-organization"
            ]
        );
        for k in ALL {
            let v = serde_json::to_value(k).unwrap();
            assert_eq!(serde_json::from_value::<PrincipalKind>(v).unwrap(), k);
        }
    }

    #[test]
    fn a_kind_is_asked_for_or_follows_the_region() {
        for k in ALL {
            // Asked for, following from the Region, given by the vendor later, or named by its
            // profile (fixed, anyone in its organisation): at most one of them.
            assert_eq!(
                [k.asks_customer(), k.follows_region(), k.given_later()]
                    .iter()
                    .filter(|b| **b)
                    .count(),
                usize::from(k.asks_customer() || k.follows_region() || k.given_later()),
                "{k:?}"
            );
            assert_eq!(k.asks_customer(), k.placeholder().is_some(), "{k:?}");
            assert_eq!(
                k.asks_customer(),
                matches!(k.step(&Acme::new(k), "eu-west-1"), Step::Typed { .. }),
                "{k:?}"
            );
            assert!(
                k.describe().contains("--principal") == (k.asks_customer() || k.given_later()),
                "{k:?}"
            );
            assert_eq!(
                k.describe().contains("byok grant"),
                k.given_later(),
                "{k:?}"
            );
        }
    }

    #[test]
    fn a_placeholder_passes_the_check() {
        for k in ALL {
            if let Some(p) = k.placeholder() {
                assert!(
                    k.check(&Acme::new(k), "eu-west-1", Some(p)).is_ok(),
                    "{k:?}"
                );
            }
        }
    }

    #[test]
    fn a_role_is_typed_and_checked() {
        let k = PrincipalKind::IamRoleArn;
        let v = Acme::new(k);
        let role = "arn:aws:iam::444455556666:role/acme";
        assert_eq!(
            k.check(&v, "eu-west-1", Some(&format!(" {role} ")))
                .unwrap(),
            role
        );
        assert_eq!(
            k.check(&v, "eu-west-1", None).unwrap_err(),
            "is required: Acme's console shows it."
        );
        assert!(k.check(&v, "eu-west-1", Some("444455556666")).is_err());
        assert!(
            k.check(&v, "eu-west-1", Some("arn:aws:iam::444455556666:user/u"))
                .is_err()
        );
        let e = k
            .check(&v, "eu-west-1", Some("arn:aws:iam::111122223333:role/old"))
            .unwrap_err();
        assert!(e.ends_with("is refused: Acme retired it"), "{e}");
        let e = k.check(&v, "cn-north-1", Some(role)).unwrap_err();
        assert_eq!(e, "is in partition aws but cn-north-1 is in aws-cn");
        assert_eq!(k.from_profile(&v, "eu-west-1", "aws"), None);
    }

    #[test]
    fn an_account_or_an_arn_is_typed_and_checked() {
        let k = PrincipalKind::AccountOrArn;
        let v = Acme::new(k);
        assert_eq!(
            k.check(&v, "cn-north-1", Some("444455556666")).unwrap(),
            "arn:aws-cn:iam::444455556666:root"
        );
        assert_eq!(
            k.check(&v, "eu-west-1", Some("4444")).unwrap_err(),
            "\"4444\" has 4 digits: an AWS account ID has exactly 12"
        );
        let user = "arn:aws:iam::444455556666:user/u";
        assert_eq!(k.check(&v, "eu-west-1", Some(user)).unwrap(), user);
        assert!(k.check(&v, "eu-west-1", None).is_err());
        assert_eq!(k.from_profile(&v, "eu-west-1", "aws"), None);
    }

    #[test]
    fn an_account_by_region_follows_the_region() {
        let k = PrincipalKind::AccountRootByRegion;
        let v = Acme::new(k);
        let root = "arn:aws:iam::123456789012:root";
        for input in [None, Some(""), Some("123456789012"), Some(root)] {
            assert_eq!(k.check(&v, "eu-west-1", input).unwrap(), root, "{input:?}");
        }
        assert_eq!(
            k.check(&v, "eu-west-1", Some("444455556666")).unwrap_err(),
            "Acme's account follows from the Region (123456789012 for eu-west-1): leave it out"
        );
        assert_eq!(
            k.check(&v, "us-east-1", None).unwrap_err(),
            "Acme has no account for us-east-1"
        );
        assert_eq!(
            k.check(&v, "cn-north-1", None).unwrap(),
            "arn:aws-cn:iam::210987654321:root"
        );
        assert_eq!(
            k.from_profile(&v, "eu-west-1", "aws").as_deref(),
            Some(root)
        );
        assert_eq!(k.from_profile(&v, "us-east-1", "aws"), None);
        match k.step(&v, "us-east-1") {
            Step::FromRegion {
                question, account, ..
            } => {
                assert_eq!(question, "Acme gets access through its AWS account");
                assert_eq!(account, "?");
            }
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn a_fixed_principal_is_the_profiles_own() {
        let k = PrincipalKind::Fixed;
        let v = Acme::new(k);
        let root = "arn:aws:iam::414351767826:root";
        for input in [None, Some(""), Some(root), Some("414351767826")] {
            assert_eq!(k.check(&v, "eu-west-1", input).unwrap(), root, "{input:?}");
        }
        assert_eq!(
            k.check(&v, "eu-west-1", Some("444455556666")).unwrap_err(),
            format!("Acme is always {root}: leave it out")
        );
        // Its account is in one partition: not a GovCloud key.
        assert!(k.check(&v, "us-gov-west-1", None).is_err());
        assert_eq!(
            k.from_profile(&v, "eu-west-1", "aws").as_deref(),
            Some(root)
        );
        assert!(
            matches!(k.step(&v, "eu-west-1"), Step::Fixed { principal, .. } if principal == root)
        );
        assert!(k.check_spec(&v.spec).is_ok());
        let mut spec = v.spec.clone();
        spec.arn = None;
        assert_eq!(k.check_spec(&spec).unwrap_err().0, "principal.arn");
        spec.arn = Some("414351767826".into());
        assert_eq!(k.check_spec(&spec).unwrap_err().0, "principal.arn");
        spec.arn = Some(root.into());
        assert!(PrincipalKind::IamRoleArn.check_spec(&spec).is_err());
    }

    #[test]
    fn anyone_in_the_organisation_is_the_wildcard_and_never_typed() {
        let k = PrincipalKind::AnyInOrganization;
        let v = Acme::new(k);
        for input in [None, Some(""), Some("*")] {
            assert_eq!(k.check(&v, "eu-west-1", input).unwrap(), "*", "{input:?}");
        }
        let e = k
            .check(&v, "eu-west-1", Some("arn:aws:iam::444455556666:root"))
            .unwrap_err();
        assert!(e.ends_with("leave it out"), "{e}");
        assert_eq!(k.from_profile(&v, "eu-west-1", "aws").as_deref(), Some("*"));
        assert!(!k.asks_customer() && !k.follows_region());
        assert!(k.describe().contains("organisation"));
    }

    #[test]
    fn an_account_by_region_needs_every_account() {
        let k = PrincipalKind::AccountRootByRegion;
        assert!(k.check_regions(&[Some("123456789012")]).is_ok());
        assert!(k.check_regions(&[]).is_err());
        assert!(k.check_regions(&[Some("123456789012"), None]).is_err());
        for k in [PrincipalKind::IamRoleArn, PrincipalKind::AccountOrArn] {
            assert!(k.check_regions(&[]).is_ok());
            assert!(k.check_regions(&[None]).is_ok());
        }
    }

    #[test]
    fn a_principal_given_after_registration_is_not_asked_at_creation() {
        let k = PrincipalKind::GivenAfterRegistration;
        let v = Acme::new(k);
        assert_eq!(k.check(&v, "eu-west-1", None).unwrap(), "");
        assert_eq!(k.check(&v, "eu-west-1", Some(" ")).unwrap(), "");
        let e = k
            .check(&v, "eu-west-1", Some("arn:aws:iam::444455556666:role/r"))
            .unwrap_err();
        assert!(
            e.contains("byok grant --key KEY_ARN --principal ARN"),
            "{e}"
        );
        assert_eq!(k.from_profile(&v, "eu-west-1", "aws"), None);
        assert!(matches!(k.step(&v, "eu-west-1"), Step::Later { .. }));
        // Once registered: a role or user ARN the vendor returned, checked like an answer.
        for ok in [
            "arn:aws:iam::444455556666:role/acme-1",
            "arn:aws:iam::444455556666:user/acme-tss",
        ] {
            assert_eq!(k.check_given(&v, "eu-west-1", ok).unwrap(), ok);
        }
        for bad in [
            "444455556666",
            "arn:aws:iam::444455556666:root",
            "*",
            "",
            "my-arn:name/TRISECRETTEST",
            "arn:aws:iam::444455556666:role/a\u{1b}[2J",
        ] {
            assert!(k.check_given(&v, "eu-west-1", bad).is_err(), "{bad}");
        }
        let e = k
            .check_given(&v, "eu-west-1", "arn:aws:iam::111122223333:role/old")
            .unwrap_err();
        assert!(e.ends_with("is refused: Acme retired it"), "{e}");
        let e = k
            .check_given(&v, "cn-north-1", "arn:aws:iam::444455556666:role/r")
            .unwrap_err();
        assert_eq!(e, "is in partition aws but cn-north-1 is in aws-cn");
        // The other kinds check a given principal as they check the answer.
        let r = PrincipalKind::IamRoleArn;
        assert_eq!(
            r.check_given(
                &Acme::new(r),
                "eu-west-1",
                "arn:aws:iam::444455556666:role/r"
            )
            .unwrap(),
            "arn:aws:iam::444455556666:role/r"
        );
    }
}
