//! The user's answers: raw (from flags or the wizard), then validated into typed
//! [`Answers`] before any network call. Every failure names the field and the fix.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::arn::{self, Want};
use crate::regions;
use crate::vendor::{Catalog, VendorProfile};

// A vendor profile checks its default alias and lists its regionalities with these, so they
// live below it (in `arn` and `vendor`); the answers name them here too.
pub use crate::arn::normalize_alias;
pub use crate::vendor::Regionality;

/// Each answer the user gives, named as the flag that sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    Vendor,
    Region,
    Principal,
    Regionality,
    ReplicaRegion,
    Alias,
    Description,
    Tags,
    Admins,
    RotationDays,
    Account,
    AlertsEmail,
    ExternalId,
    /// A value the vendor profile declares (`--set NAME=VALUE`); the message starts with NAME.
    Value,
}

impl Field {
    pub fn flag(self) -> &'static str {
        match self {
            Field::Vendor => "--vendor",
            Field::Region => "--region",
            Field::Principal => "--principal",
            Field::Regionality => "--regionality",
            Field::ReplicaRegion => "--replica-region",
            Field::Alias => "--alias",
            Field::Description => "--description",
            Field::Tags => "--tag",
            Field::Admins => "--admin",
            Field::RotationDays => "--rotation-days",
            Field::Account => "--account",
            Field::AlertsEmail => "--alerts-email",
            Field::ExternalId => "--external-id",
            Field::Value => "--set",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Vendor => "Vendor",
            Field::Region => "Region",
            Field::Principal => "Vendor principal",
            Field::Regionality => "Regionality",
            Field::ReplicaRegion => "Second Region",
            Field::Alias => "Alias",
            Field::Description => "Description",
            Field::Tags => "Tags",
            Field::Admins => "Administrators",
            Field::RotationDays => "Rotation",
            Field::Account => "Account",
            Field::AlertsEmail => "Alerts",
            Field::ExternalId => "External ID",
            Field::Value => "Value",
        }
    }
}

/// One invalid answer: which field, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

impl FieldError {
    /// A problem with the profile's value `name` (`--set NAME=...`).
    pub fn value(name: &str, message: impl fmt::Display) -> FieldError {
        FieldError {
            field: Field::Value,
            message: format!("{name}: {message}"),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field == Field::Value
            && let Some((name, rest)) = self.message.split_once(": ")
        {
            return write!(f, "{} (--set {name}): {rest}", self.field.label());
        }
        write!(
            f,
            "{} ({}): {}",
            self.field.label(),
            self.field.flag(),
            self.message
        )
    }
}

/// Answers as typed: every field optional, nothing checked yet.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RawAnswers {
    pub vendor: Option<String>,
    pub region: Option<String>,
    pub principal: Option<String>,
    pub regionality: Option<String>,
    /// `--replica-region`, repeatable: the Regions besides the primary's.
    #[serde(default)]
    pub replica_regions: Vec<String>,
    pub alias: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub admins: Vec<String>,
    #[serde(default)]
    pub admins_can_delete: bool,
    pub rotation_days: Option<String>,
    #[serde(default)]
    pub no_rotation: bool,
    /// Mail this address when the key's access is broken (EventBridge + SNS).
    #[serde(default)]
    pub alerts_email: Option<String>,
    /// The external ID the vendor gave, for a role in your account that it assumes.
    #[serde(default)]
    pub external_id: Option<String>,
    /// `NAME=VALUE` for the values the vendor profile declares (`--set`).
    #[serde(default)]
    pub values: Vec<String>,
    /// For the wizard's policy preview only: a value not given (or not valid) yet is left
    /// out, so the preview shows its `{{NAME}}` placeholder. Never set by a flag or a file;
    /// answers validated so are never planned.
    #[serde(skip)]
    pub preview_values: bool,
}

/// Validated answers: everything the policy and the plan need, except the caller's account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answers {
    pub vendor: VendorProfile,
    pub region: String,
    pub regionality: Regionality,
    /// The Regions besides the primary's, in the order given: each holds a replica of the
    /// primary (Multi-Region) or a key of its own (one key per Region). Empty for one key.
    pub replica_regions: Vec<String>,
    /// `alias/...` in the primary Region.
    pub alias: String,
    /// The alias in each of the other Regions: the same name for a replica, a distinct one for
    /// keys of their own (the same in each of their Regions: aliases are regional).
    pub second_alias: Option<String>,
    pub description: String,
    /// The user's own tags; byok adds its `byok:*` tags when it plans.
    pub tags: Vec<(String, String)>,
    pub admins: Vec<String>,
    pub admins_can_delete: bool,
    /// `None` when the user turned rotation off.
    pub rotation_days: Option<u32>,
    /// The vendor principal ARN the vendor statements name.
    pub principal: String,
    /// Alerts (`crate::alerts`) to this address, when asked for.
    pub alerts_email: Option<String>,
    /// The role in your account the vendor assumes (a profile's `customer_role`): then
    /// `principal` is the vendor's principal the role trusts, and the key policy's vendor
    /// statements name the role.
    pub role: Option<crate::role::RoleAnswers>,
    /// The profile's values as the customer gave them, in the profile's order.
    pub values: Vec<(String, String)>,
}

impl Answers {
    pub fn partition(&self) -> &'static str {
        regions::partition_of(&self.region)
    }

    pub fn multi_region(&self) -> bool {
        self.regionality == Regionality::MultiRegion
    }

    /// The principal the key policy's vendor statements name in `account`: the role byok
    /// creates there, or the vendor's own principal.
    pub fn policy_principal(&self, account: &str) -> String {
        self.role_arn(account)
            .unwrap_or_else(|| self.principal.clone())
    }

    /// The role's ARN in `account`, when the setup has one.
    pub fn role_arn(&self, account: &str) -> Option<String> {
        self.role
            .as_ref()
            .map(|r| crate::role::role_arn(self.partition(), account, &r.name))
    }

    /// The role's trust policy, when the setup has one.
    pub fn trust_policy(&self) -> Option<serde_json::Value> {
        self.role
            .as_ref()
            .map(|r| crate::role::trust_policy(&self.principal, &r.external_id))
    }

    /// The role's own policy on these keys, when the profile gives it one.
    pub fn role_policy(&self, key_arns: &[String]) -> Option<serde_json::Value> {
        let spec = self.vendor.customer_role.as_ref()?;
        crate::role::permission_policy(&spec.policy, key_arns)
    }
}

impl<'a> From<&'a Answers> for crate::policy::Inputs<'a> {
    fn from(a: &'a Answers) -> Self {
        crate::policy::Inputs {
            partition: a.partition(),
            root_sid: &a.vendor.root_statement_sid,
            admins: &a.admins,
            admins_can_delete: a.admins_can_delete,
            multi_region: a.multi_region(),
            principal: &a.principal,
            role_name: a.role.as_ref().map(|r| r.name.as_str()),
            // A vendor that names its principal only once the key is registered with it gets
            // no statement yet: `byok grant` adds them with the principal it returns.
            grants: a
                .vendor
                .statements
                .iter()
                .filter(|_| !a.vendor.principal.kind.given_later())
                .map(|s| crate::policy::Grant {
                    sid: &s.sid,
                    actions: &s.actions,
                    condition: s
                        .condition
                        .as_ref()
                        // A name without a value (never, once validated) stays the literal
                        // placeholder, which no request matches: never a dropped condition.
                        .map(|c| {
                            crate::vendor::fill_condition(c, &a.values).unwrap_or_else(|| c.clone())
                        }),
                })
                .collect(),
        }
    }
}

/// How byok was started, apart from the answers: what the command that repeats a setup
/// needs besides them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invocation {
    pub demo: bool,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub vendor_files: Vec<std::path::PathBuf>,
}

impl Answers {
    /// The exact `byok create ... --yes` command that finishes (or repeats) this setup, as
    /// `byok create` and the wizard print it when a run stops part-way.
    pub fn create_command(&self, how: &Invocation) -> String {
        self.create_command_words(how).join(" ")
    }

    /// For a vendor that names its principal only once the key ARN is registered with it:
    /// phase two, the command that adds what the vendor returns (`byok grant`), with the
    /// placeholder the customer replaces. `None` for every other vendor.
    pub fn grant_command(&self, key_arn: &str, how: &Invocation) -> Option<String> {
        if !self.vendor.principal.kind.given_later() {
            return None;
        }
        let mut parts: Vec<String> = vec!["byok".into()];
        if how.demo {
            parts.push("--demo".into());
        }
        if let Some(p) = &how.profile {
            parts.extend(["--profile".into(), crate::sanitize::shell_word(p)]);
        }
        if let Some(e) = &how.endpoint_url {
            parts.extend(["--endpoint-url".into(), crate::sanitize::shell_word(e)]);
        }
        for f in &how.vendor_files {
            parts.extend([
                "--vendor-file".into(),
                crate::sanitize::shell_word(&f.display().to_string()),
            ]);
        }
        parts.extend([
            "grant".into(),
            "--key".into(),
            crate::sanitize::shell_word(key_arn),
            "--principal".into(),
            "ARN".into(),
        ]);
        Some(parts.join(" "))
    }

    /// [`Answers::create_command`] word by word, each quoted for the shell as needed.
    pub fn create_command_words(&self, how: &Invocation) -> Vec<String> {
        let mut parts: Vec<String> = vec!["byok".into()];
        let mut flag = |name: &str, value: Option<&str>| {
            parts.push(name.to_string());
            if let Some(v) = value {
                parts.push(crate::sanitize::shell_word(v));
            }
        };
        if how.demo {
            flag("--demo", None);
        }
        if let Some(p) = &how.profile {
            flag("--profile", Some(p));
        }
        if let Some(e) = &how.endpoint_url {
            flag("--endpoint-url", Some(e));
        }
        for f in &how.vendor_files {
            flag("--vendor-file", Some(&f.display().to_string()));
        }
        flag("create", None);
        flag("--vendor", Some(&self.vendor.id));
        flag("--region", Some(&self.region));
        if self.vendor.principal.kind.asks_customer() {
            flag("--principal", Some(&self.principal));
        }
        flag("--regionality", Some(self.regionality.as_str()));
        for r in &self.replica_regions {
            flag("--replica-region", Some(r));
        }
        flag("--alias", Some(&self.alias));
        if self.description != self.vendor.key.description {
            flag("--description", Some(&self.description));
        }
        for (k, v) in &self.tags {
            flag("--tag", Some(&format!("{k}={v}")));
        }
        for adm in &self.admins {
            flag("--admin", Some(adm));
        }
        if self.admins_can_delete {
            flag("--admins-can-delete", None);
        }
        match self.rotation_days {
            Some(d) => flag("--rotation-days", Some(&d.to_string())),
            None => flag("--no-rotation", None),
        }
        if let Some(e) = &self.alerts_email {
            flag("--alerts-email", Some(e));
        }
        if let Some(r) = &self.role {
            flag("--external-id", Some(&r.external_id));
        }
        for (n, v) in &self.values {
            flag("--set", Some(&format!("{n}={v}")));
        }
        flag("--yes", None);
        parts
    }
}

/// The address the alerts are mailed to (`--alerts-email`).
pub fn check_alerts_email(v: &str) -> Result<String, String> {
    crate::alerts::check_email(v)
        .map(|()| v.to_string())
        .map_err(|e| {
            e.trim_start_matches("Alerts (--alerts-email): ")
                .to_string()
        })
}

pub const DEFAULT_ROTATION_DAYS: u32 = 365;
pub const ROTATION_RANGE: std::ops::RangeInclusive<u32> = 90..=2560;
/// KMS allows 50 tags a key; byok uses [`BYOK_RESERVED_TAGS`] of them.
pub const MAX_TAGS: usize = 50;
/// How many tags byok adds to every key (the plan's `byok:managed-by`, `byok:vendor`,
/// `byok:alias` and `byok:role`).
pub const BYOK_TAG_COUNT: usize = 4;
/// How many of a key's 50 tags byok keeps for itself: its own, the intent, and the
/// duplicate mark a retired key gets.
pub const BYOK_RESERVED_TAGS: usize = BYOK_TAG_COUNT + 2;

pub fn check_rotation(input: &str) -> Result<u32, String> {
    let days: u32 = input.trim().parse().map_err(|_| {
        format!("{input:?} is not a number of days: use 90 to 2560 (365 is the default)")
    })?;
    if !ROTATION_RANGE.contains(&days) {
        return Err(format!(
            "{days} days is outside what KMS allows: use 90 to 2560 (365 is the default)"
        ));
    }
    Ok(days)
}

pub fn check_description(input: &str) -> Result<String, String> {
    if input.chars().count() > 8192 {
        return Err("is longer than the 8192 characters KMS allows: shorten it".into());
    }
    if input.chars().any(|c| c.is_control()) {
        return Err(
            "contains a control character (a tab or line break?): use one plain line".into(),
        );
    }
    Ok(input.trim().to_string())
}

/// `KEY=VALUE` under the KMS tag rules; `byok:` keys are byok's own.
pub fn check_tag(input: &str) -> Result<(String, String), String> {
    let Some((k, v)) = input.split_once('=') else {
        return Err(format!(
            "{input:?} is not KEY=VALUE (for example team=payments)"
        ));
    };
    let (k, v) = (k.trim(), v.trim());
    if k.is_empty() || k.chars().count() > 128 {
        return Err(format!("key {k:?} must be 1 to 128 characters"));
    }
    if v.chars().count() > 256 {
        return Err(format!("the value of {k:?} is longer than 256 characters"));
    }
    if k.to_ascii_lowercase().starts_with("aws:") {
        return Err(format!("key {k:?}: the aws: prefix is reserved for AWS"));
    }
    if k.to_ascii_lowercase().starts_with("byok:") {
        return Err(format!(
            "key {k:?}: the byok: prefix is reserved for byok's own tags"
        ));
    }
    let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
    if let Some(c) = k.chars().chain(v.chars()).find(|c| !allowed(*c)) {
        return Err(format!(
            "{c:?} is not allowed in tags: use letters, digits, spaces and _ . : / = + - @"
        ));
    }
    Ok((k.to_string(), v.to_string()))
}

/// A Region the vendor allows as primary. A vendor without a Region list (`other`) takes
/// the Regions byok knows ([`regions::REGIONS`]), so a typo is caught here rather than by a
/// failed connection; a Region AWS opens later is used through a vendor file that lists it.
pub fn check_region(vendor: &VendorProfile, input: &str) -> Result<String, String> {
    let r = input.trim();
    if vendor.allows_region(r) {
        return Ok(r.to_string());
    }
    let allowed = vendor.primary_regions();
    let hint = regions::did_you_mean(&regions::nearest(r, allowed.iter().map(String::as_str)));
    if !vendor.regions.is_empty() {
        let mut m = format!(
            "{r:?} is not allowed: {} supports {}",
            vendor.name,
            allowed.join(", ")
        );
        if let Some(h) = hint {
            m.push_str(&format!(" ({h})"));
        }
        return Err(m);
    }
    if let Some(p) = vendor.partition().filter(|_| regions::is_known(r)) {
        return Err(format!(
            "{r:?} is in the {} partition, but {} works only in the {p} partition (its principal is there): choose a Region such as eu-west-1",
            regions::partition_of(r),
            vendor.name
        ));
    }
    Err(unknown_region(r, hint, "eu-west-1"))
}

/// Why a Region byok does not know is refused, with the fix: the nearest known Region when
/// there is one, and how to use a Region AWS opened after this release.
fn unknown_region(r: &str, hint: Option<String>, example: &str) -> String {
    let fix = hint.unwrap_or_else(|| format!("give one such as {example}."));
    if arn::is_region_code(r) {
        format!(
            "{r:?} is not an AWS Region byok knows: {fix} (A Region AWS opened after this release of byok: start byok with --vendor-file and a vendor file that lists it under \"regions\"; the README's vendor profile section shows the format.)"
        )
    } else {
        format!("{r:?} is not an AWS Region code: {fix}")
    }
}

/// The vendor principal, from what the user typed (or the Region, for Gearset-style vendors):
/// its kind checks it.
pub fn check_principal(
    vendor: &VendorProfile,
    region: &str,
    input: Option<&str>,
) -> Result<String, String> {
    vendor.principal.kind.check(vendor, region, input)
}

/// The external ID a vendor gave (`--external-id`), against the shape its profile declares.
pub fn check_external_id(
    spec: &crate::vendor::CustomerRole,
    input: &str,
) -> Result<String, String> {
    let v = input.trim();
    spec.external_id
        .pattern
        .check(v)
        .map(|()| v.to_string())
        .map_err(|e| {
            let shown = crate::sanitize::line(v);
            let shown: String = shown.chars().take(80).collect();
            format!("{shown:?} {e}. {}", spec.external_id.help)
        })
}

/// An administrator: an IAM user or role ARN.
pub fn check_admin(region: &str, input: &str) -> Result<String, String> {
    let a = arn::check_iam_principal(input.trim(), Want::RoleOrUser)
        .map_err(|e| format!("{:?} {e}", input.trim()))?;
    let partition = regions::partition_of(region);
    if a.partition != partition {
        return Err(format!(
            "{input:?} is in partition {} but {region} is in {partition}",
            a.partition
        ));
    }
    Ok(a.to_string())
}

/// The vendor principal is not one of the administrators, nor the root of their account
/// (administrators are in your own account): either would give the vendor the statement
/// meant for you, which the policy check refuses at Create.
pub fn check_principal_not_admin(principal: &str, admins: &[String]) -> Result<(), String> {
    if admins.iter().any(|a| a == principal) {
        return Err(format!(
            "{principal} is one of the key's administrators: the vendor principal is the vendor's account or role, not one of yours"
        ));
    }
    if let Some(acct) = admins
        .iter()
        .filter_map(|a| arn::Arn::parse(a).ok())
        .map(|a| a.account)
        .find(|acct| principal.ends_with(&format!(":iam::{acct}:root")))
    {
        return Err(format!(
            "{principal} is your own account {acct} (your administrators' account): give the vendor's account or role"
        ));
    }
    Ok(())
}

/// The checks that need the account byok is signed in to: every administrator is in it,
/// and the vendor principal is not that account itself. Each error names its field.
pub fn check_account(answers: &Answers, account: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(other) = answers.admins.iter().find(|a| {
        arn::Arn::parse(a)
            .map(|x| x.account != account)
            .unwrap_or(false)
    }) {
        let theirs = arn::Arn::parse(other)
            .map(|x| x.account)
            .unwrap_or_default();
        errs.push(FieldError {
            field: Field::Admins,
            message: format!(
                "{other} is in account {theirs}, but you are signed in to account {account}, which will hold the key: administrators must be in that account"
            ),
        });
    }
    if answers
        .principal
        .ends_with(&format!(":iam::{account}:root"))
    {
        errs.push(FieldError {
            field: Field::Principal,
            message: format!(
                "{} is your own account {account} (the one you are signed in to): give the vendor's account or role, as your vendor's instructions name it",
                answers.principal
            ),
        });
    }
    errs
}

/// The second Region for a dual-Region setup.
pub fn check_second_region(
    vendor: &VendorProfile,
    primary: &str,
    input: &str,
) -> Result<String, String> {
    let r = input.trim();
    if r == primary {
        return Err(format!("{r} is the primary Region: choose another one"));
    }
    match vendor.secondary_regions(primary) {
        Some(allowed) if !allowed.iter().any(|a| a == r) => Err(format!(
            "{r:?} is not allowed: {} pairs {primary} with {}",
            vendor.name,
            if allowed.is_empty() {
                "no second Region".to_string()
            } else {
                allowed.join(", ")
            }
        )),
        // Without pairs: a Region byok knows, or one the vendor lists.
        None if !(regions::is_known(r) || vendor.regions.iter().any(|x| x.code == r)) => {
            let known = regions::REGIONS
                .iter()
                .map(|(c, _)| *c)
                .chain(vendor.regions.iter().map(|x| x.code.as_str()));
            Err(unknown_region(
                r,
                regions::did_you_mean(&regions::nearest(r, known)),
                "eu-west-2",
            ))
        }
        _ if regions::partition_of(r) != regions::partition_of(primary) => Err(format!(
            "{r} is in another partition than {primary}: a key cannot be replicated across partitions"
        )),
        _ => Ok(r.to_string()),
    }
}

/// The profile's values from `NAME=VALUE` answers (`--set`): every declared value given once
/// and valid, no other name. The result is in the profile's order.
pub fn check_values(
    vendor: &VendorProfile,
    given: &[String],
) -> Result<Vec<(String, String)>, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut typed: Vec<(&str, &str)> = Vec::new();
    for g in given {
        let Some((name, value)) = g.split_once('=') else {
            errs.push(FieldError {
                field: Field::Value,
                message: format!(
                    "{}: is not NAME=VALUE{}",
                    crate::sanitize::line(g.trim()),
                    match vendor.values.first() {
                        Some(v) => format!(" (such as {}=...)", v.name),
                        None => String::new(),
                    }
                ),
            });
            continue;
        };
        let name = name.trim();
        if !vendor.values.iter().any(|v| v.name == name) {
            let known: Vec<&str> = vendor.values.iter().map(|v| v.name.as_str()).collect();
            errs.push(FieldError::value(
                &crate::sanitize::line(name),
                if known.is_empty() {
                    format!("{} asks for no value: leave --set out", vendor.name)
                } else {
                    format!(
                        "{} asks for no such value: it asks for {}",
                        vendor.name,
                        known.join(", ")
                    )
                },
            ));
        } else if typed.iter().any(|(n, _)| *n == name) {
            errs.push(FieldError::value(name, "is given twice: keep one"));
        } else {
            typed.push((name, value));
        }
    }
    let mut out = Vec::new();
    for spec in &vendor.values {
        match typed.iter().find(|(n, _)| *n == spec.name) {
            None => errs.push(FieldError::value(
                &spec.name,
                format!("is required: {} ({})", spec.label, spec.help),
            )),
            Some((_, v)) => match spec.check(v) {
                Ok(v) => out.push((spec.name.clone(), v)),
                Err(m) => errs.push(FieldError::value(&spec.name, m)),
            },
        }
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

/// No answer but the description is ever longer than this (an IAM ARN has at most 2048).
pub const MAX_ANSWER_CHARS: usize = 2048;

impl RawAnswers {
    fn oversize(&self) -> Vec<FieldError> {
        let single = [
            (Field::Vendor, &self.vendor),
            (Field::Region, &self.region),
            (Field::Principal, &self.principal),
            (Field::Regionality, &self.regionality),
            (Field::Alias, &self.alias),
            (Field::RotationDays, &self.rotation_days),
            (Field::AlertsEmail, &self.alerts_email),
            (Field::ExternalId, &self.external_id),
        ];
        let many = [
            (Field::ReplicaRegion, &self.replica_regions),
            (Field::Tags, &self.tags),
            (Field::Admins, &self.admins),
            (Field::Value, &self.values),
        ];
        single
            .into_iter()
            .filter_map(|(f, v)| v.as_deref().map(|v| (f, v)))
            .chain(
                many.into_iter()
                    .flat_map(|(f, vs)| vs.iter().map(move |v| (f, v.as_str()))),
            )
            .filter_map(|(field, v)| {
                let n = v.chars().count();
                (n > MAX_ANSWER_CHARS).then(|| FieldError {
                    field,
                    message: format!(
                        "is {n} characters long: no valid value is longer than {MAX_ANSWER_CHARS} (was something else pasted?)"
                    ),
                })
            })
            .collect()
    }

    /// Validate against the catalog. All problems are reported, not just the first.
    pub fn validate(&self, catalog: &Catalog) -> Result<Answers, Vec<FieldError>> {
        // A value no field could accept is refused first, without echoing it back.
        let oversize = self.oversize();
        if !oversize.is_empty() {
            return Err(oversize);
        }
        let mut errs = Vec::new();
        let mut bad = |field: Field, message: String| errs.push(FieldError { field, message });

        let vendor_id = self.vendor.as_deref().map(str::trim).unwrap_or("");
        let Some(vendor) = catalog.get(vendor_id) else {
            let msg = if vendor_id.is_empty() {
                format!("is required: choose one of {}", catalog.ids().join(", "))
            } else {
                format!(
                    "{vendor_id:?} is not a known vendor: choose one of {} or load a profile with --vendor-file",
                    catalog.ids().join(", ")
                )
            };
            return Err(vec![FieldError {
                field: Field::Vendor,
                message: msg,
            }]);
        };

        let region = match self.region.as_deref() {
            Some(r) => check_region(vendor, r)
                .map_err(|m| bad(Field::Region, m))
                .ok(),
            None if vendor.regions.len() == 1 => Some(vendor.regions[0].code.clone()),
            None => {
                bad(
                    Field::Region,
                    format!(
                        "is required: {}",
                        if vendor.regions.is_empty() {
                            "give the AWS Region code, such as eu-west-1".to_string()
                        } else {
                            format!(
                                "{} supports {}",
                                vendor.name,
                                vendor.primary_regions().join(", ")
                            )
                        }
                    ),
                );
                None
            }
        };

        let regionality = match self.regionality.as_deref() {
            None => Regionality::Single,
            Some(s) => match s.parse::<Regionality>() {
                Ok(r) if vendor.regionalities().contains(&r) => r,
                Ok(r) => {
                    bad(
                        Field::Regionality,
                        format!(
                            "{} does not offer {r}: choose {}",
                            vendor.name,
                            vendor
                                .regionalities()
                                .iter()
                                .map(|r| r.as_str())
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                    );
                    Regionality::Single
                }
                Err(m) => {
                    bad(Field::Regionality, m);
                    Regionality::Single
                }
            },
        };

        let mut replica_regions = Vec::new();
        if let Some(primary) = &region {
            let given: Vec<&str> = self.replica_regions.iter().map(|r| r.trim()).collect();
            let (min, max) = vendor.other_regions_range();
            match (regionality.is_dual(), given.is_empty()) {
                (false, false) => bad(
                    Field::ReplicaRegion,
                    "only applies with --regionality multi-region or two-keys: add one of them or leave it out".into(),
                ),
                (false, true) => {}
                (true, false) => {
                    for (i, r) in given.iter().enumerate() {
                        if given[..i].contains(r) {
                            bad(
                                Field::ReplicaRegion,
                                format!("{r} is given twice: give each Region once"),
                            );
                            continue;
                        }
                        if let Ok(r) = check_second_region(vendor, primary, r)
                            .map_err(|m| bad(Field::ReplicaRegion, m))
                        {
                            replica_regions.push(r);
                        }
                    }
                    let n = given.len();
                    let what = if regionality == Regionality::MultiRegion {
                        "replica Region"
                    } else {
                        "Region for a key of its own"
                    };
                    if n > max {
                        bad(
                            Field::ReplicaRegion,
                            if max == 1 {
                                format!(
                                    "is given {n} times: {} takes one {what}, give one",
                                    vendor.name
                                )
                            } else {
                                format!(
                                    "is given {n} times: {} takes at most {max}, give fewer",
                                    vendor.name
                                )
                            },
                        );
                    } else if n < min {
                        bad(
                            Field::ReplicaRegion,
                            format!(
                                "is given {n} time(s): {} needs at least {min} ({}), repeat --replica-region",
                                vendor.name,
                                vendor
                                    .secondary_regions(primary)
                                    .map(|l| l.join(", "))
                                    .unwrap_or_else(|| format!("a {what} each"))
                            ),
                        );
                    }
                }
                (true, true) => match vendor.default_other_regions(primary) {
                    Some(r) => replica_regions = r,
                    None if min > 1 => bad(
                        Field::ReplicaRegion,
                        format!(
                            "is required: {} needs {min} Regions besides {primary}, each with its own --replica-region",
                            vendor.name
                        ),
                    ),
                    None => bad(
                        Field::ReplicaRegion,
                        "is required for a second key: give the second Region, such as eu-west-2".into(),
                    ),
                },
            }
        }

        let alias = normalize_alias(self.alias.as_deref().unwrap_or(&vendor.key.alias))
            .map_err(|m| bad(Field::Alias, m))
            .ok();
        let second_alias = match (&alias, regionality) {
            (Some(a), Regionality::MultiRegion) => Some(a.clone()),
            (Some(a), Regionality::TwoKeys) => {
                normalize_alias(&format!("{a}{}", vendor.key.secondary_alias_suffix))
                    .map_err(|m| bad(Field::Alias, format!("the second key's alias {m}")))
                    .ok()
            }
            _ => None,
        };

        let description = check_description(
            self.description
                .as_deref()
                .unwrap_or(&vendor.key.description),
        )
        .map_err(|m| bad(Field::Description, m))
        .unwrap_or_default();

        let mut tags: Vec<(String, String)> = Vec::new();
        for t in &self.tags {
            match check_tag(t) {
                Ok((k, v)) if tags.iter().any(|(k2, _)| *k2 == k) => bad(
                    Field::Tags,
                    format!("key {k:?} is given twice (with {v:?}): keep one"),
                ),
                Ok(kv) => tags.push(kv),
                Err(m) => bad(Field::Tags, m),
            }
        }
        if tags.len() + BYOK_RESERVED_TAGS > MAX_TAGS {
            bad(
                Field::Tags,
                format!(
                    "{} tags given: KMS allows {MAX_TAGS} a key and byok uses {}, so give at most {}",
                    tags.len(),
                    BYOK_RESERVED_TAGS,
                    MAX_TAGS - BYOK_RESERVED_TAGS
                ),
            );
        }

        let mut admins: Vec<String> = Vec::new();
        if let Some(region) = &region {
            for a in &self.admins {
                match check_admin(region, a) {
                    Ok(a) if !admins.contains(&a) => admins.push(a),
                    Ok(_) => {}
                    Err(m) => bad(Field::Admins, m),
                }
            }
            if let Some(first) = admins.first() {
                let acct = &arn::Arn::parse(first).expect("checked").account;
                if let Some(other) = admins
                    .iter()
                    .find(|a| arn::Arn::parse(a).expect("checked").account != *acct)
                {
                    bad(
                        Field::Admins,
                        format!(
                            "{other} is in another account than {first}: administrators must be in your own account"
                        ),
                    );
                }
            }
        }
        if self.admins_can_delete && self.admins.is_empty() {
            bad(
                Field::Admins,
                "--admins-can-delete needs at least one --admin to apply to".into(),
            );
        }

        let rotation_days = match (self.no_rotation, self.rotation_days.as_deref()) {
            (true, Some(_)) => {
                bad(
                    Field::RotationDays,
                    "--rotation-days and --no-rotation contradict each other: keep one".into(),
                );
                None
            }
            (true, None) => None,
            (false, None) => Some(DEFAULT_ROTATION_DAYS),
            (false, Some(d)) => check_rotation(d)
                .map_err(|m| bad(Field::RotationDays, m))
                .ok(),
        };

        let principal = region.as_ref().and_then(|r| {
            check_principal(vendor, r, self.principal.as_deref())
                .and_then(|p| check_principal_not_admin(&p, &admins).map(|()| p))
                .map_err(|m| bad(Field::Principal, m))
                .ok()
        });
        let role = match (
            &vendor.customer_role,
            self.external_id.as_deref().map(str::trim),
        ) {
            (None, None) => None,
            (None, Some(_)) => {
                bad(
                    Field::ExternalId,
                    format!(
                        "{} assumes no role in your account, so there is no external ID to give: leave it out",
                        vendor.name
                    ),
                );
                None
            }
            (Some(spec), None) | (Some(spec), Some("")) => {
                bad(
                    Field::ExternalId,
                    format!(
                        "is required: {} ({})",
                        spec.external_id.help, spec.external_id.label
                    ),
                );
                None
            }
            (Some(spec), Some(id)) => match check_external_id(spec, id) {
                Ok(id) => Some(crate::role::RoleAnswers {
                    name: spec.name.clone(),
                    external_id: id,
                }),
                Err(m) => {
                    bad(Field::ExternalId, m);
                    None
                }
            },
        };
        let alerts_email = match self.alerts_email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) => check_alerts_email(e)
                .map_err(|m| bad(Field::AlertsEmail, m))
                .ok(),
        };

        let values = match check_values(vendor, &self.values) {
            Ok(v) => v,
            Err(_) if self.preview_values => vendor
                .values
                .iter()
                .filter_map(|spec| {
                    let typed = self.values.iter().find_map(|g| {
                        g.split_once('=')
                            .filter(|(n, _)| n.trim() == spec.name)
                            .map(|(_, v)| v)
                    })?;
                    Some((spec.name.clone(), spec.check(typed).ok()?))
                })
                .collect(),
            Err(e) => {
                errs.extend(e);
                Vec::new()
            }
        };

        if !errs.is_empty() {
            return Err(errs);
        }
        let answers = Answers {
            vendor: vendor.clone(),
            region: region.expect("no errors"),
            regionality,
            replica_regions,
            alias: alias.expect("no errors"),
            second_alias,
            description,
            tags,
            admins,
            admins_can_delete: self.admins_can_delete,
            rotation_days,
            principal: principal.expect("no errors"),
            alerts_email,
            role,
            values,
        };
        // The policy's size depends on the account only through its fixed 12 digits, so the
        // KMS limit can be checked now, before any call, rather than after signing in.
        let size =
            crate::policy::to_document(&crate::policy::build(&answers, "000000000000")).len();
        if size > crate::policy::MAX_POLICY_BYTES {
            let field = if answers.admins.is_empty() {
                Field::Vendor
            } else {
                Field::Admins
            };
            return Err(vec![FieldError {
                field,
                message: format!(
                    "the key policy would be {size} bytes: KMS allows {} at most, so name fewer administrators (one role that several people assume counts once)",
                    crate::policy::MAX_POLICY_BYTES
                ),
            }]);
        }
        Ok(answers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(vendor: &str) -> RawAnswers {
        RawAnswers {
            vendor: Some(vendor.into()),
            ..Default::default()
        }
    }

    fn fields(r: Result<Answers, Vec<FieldError>>) -> Vec<Field> {
        r.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    const ROLE: &str = "arn:aws:iam::210987654321:role/camunda-tenant";

    #[test]
    fn camunda_defaults() {
        let c = Catalog::built_in();
        let mut r = raw("camunda");
        r.principal = Some(ROLE.into());
        let a = r.validate(&c).unwrap();
        assert_eq!(a.region, "eu-west-1");
        assert_eq!(a.alias, "alias/camunda-saas-byok");
        assert_eq!(a.description, "KMS key for Camunda SaaS BYOK integration");
        assert_eq!(a.rotation_days, Some(365));
        assert_eq!(a.regionality, Regionality::Single);
        r.regionality = Some("multi-region".into());
        let a = r.validate(&c).unwrap();
        assert_eq!(a.replica_regions, ["eu-west-2"]);
        assert_eq!(a.second_alias.as_deref(), Some("alias/camunda-saas-byok"));
        r.regionality = Some("two-keys".into());
        let a = r.validate(&c).unwrap();
        assert_eq!(
            a.second_alias.as_deref(),
            Some("alias/camunda-saas-byok-replica")
        );
    }

    #[test]
    fn gearset_principal_follows_region() {
        let c = Catalog::built_in();
        let mut r = raw("gearset");
        assert_eq!(fields(r.validate(&c)), vec![Field::Region]);
        r.region = Some("us-west-2".into());
        let a = r.validate(&c).unwrap();
        assert_eq!(a.principal, "arn:aws:iam::157764733222:root");
        r.principal = Some("arn:aws:iam::111111111111:root".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::Principal]);
        r.principal = None;
        r.regionality = Some("multi-region".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::Regionality]);
        r.regionality = None;
        r.region = Some("eu-west-2".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::Region]);
    }

    #[test]
    fn other_vendor_principal_forms() {
        let c = Catalog::built_in();
        let mut r = raw("other");
        r.region = Some("eu-central-1".into());
        r.principal = Some("123456789012".into());
        assert_eq!(
            r.validate(&c).unwrap().principal,
            "arn:aws:iam::123456789012:root"
        );
        r.principal = Some("12345678901".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::Principal]);
        r.principal = Some("1234567890123".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::Principal]);
        r.principal = Some("arn:aws-cn:iam::123456789012:root".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::Principal]);
        r.principal = Some("arn:aws:iam::123456789012:role/vendor".into());
        assert!(r.validate(&c).is_ok());
        r.regionality = Some("multi-region".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::ReplicaRegion]);
        r.replica_regions = vec!["eu-central-1".into()];
        assert_eq!(fields(r.validate(&c)), vec![Field::ReplicaRegion]);
        r.replica_regions = vec!["cn-north-1".into()];
        assert_eq!(fields(r.validate(&c)), vec![Field::ReplicaRegion]);
        r.replica_regions = vec!["eu-west-3".into()];
        assert!(r.validate(&c).is_ok());
    }

    /// `--replica-region` repeated: every Region checked, each once, none the primary's,
    /// no more than the profile allows; the order given is kept.
    #[test]
    fn a_vendor_bound_to_a_partition_takes_only_its_regions() {
        let cat = Catalog::built_in();
        for id in ["elastic", "databricks"] {
            let v = cat.get(id).unwrap();
            assert_eq!(v.partition(), Some("aws"), "{id}");
            for r in ["us-gov-west-1", "cn-north-1"] {
                let e = check_region(v, r).unwrap_err();
                assert!(
                    e.contains("works only in the aws partition"),
                    "{id} {r}: {e}"
                );
                assert!(
                    !v.primary_regions().iter().any(|x| x == r),
                    "{id} lists {r}"
                );
            }
            assert_eq!(check_region(v, "eu-west-1").unwrap(), "eu-west-1");
        }
        // A vendor whose principal is typed is not bound: the principal's check is.
        let other = cat.get("other").unwrap();
        assert_eq!(other.partition(), None);
        assert!(check_region(other, "us-gov-west-1").is_ok());
    }

    #[test]
    fn several_replica_regions() {
        let c = Catalog::built_in();
        let mut r = raw("other");
        r.region = Some("eu-central-1".into());
        r.principal = Some("123456789012".into());
        r.regionality = Some("multi-region".into());
        r.replica_regions = vec!["eu-west-3".into(), "eu-north-1".into()];
        let a = r.validate(&c).unwrap();
        assert_eq!(a.replica_regions, ["eu-west-3", "eu-north-1"]);
        assert_eq!(a.second_alias.as_deref(), Some(a.alias.as_str()));
        assert!(
            a.create_command(&Invocation::default())
                .contains("--replica-region eu-west-3 --replica-region eu-north-1")
        );
        // One key per Region: the same second alias in each of them (aliases are regional).
        r.regionality = Some("per-region".into());
        let a = r.validate(&c).unwrap();
        assert_eq!(a.regionality, Regionality::TwoKeys);
        assert_eq!(a.second_alias.as_deref(), Some("alias/saas-byok-replica"));
        assert!(
            a.create_command(&Invocation::default())
                .contains("--regionality two-keys")
        );
        let errs = |r: &RawAnswers| {
            r.validate(&c)
                .unwrap_err()
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
        };
        r.replica_regions = vec!["eu-west-3".into(), "eu-west-3".into()];
        assert_eq!(
            errs(&r),
            ["Second Region (--replica-region): eu-west-3 is given twice: give each Region once"]
        );
        r.replica_regions = vec!["eu-west-3".into(), "eu-central-1".into()];
        assert_eq!(
            errs(&r),
            [
                "Second Region (--replica-region): eu-central-1 is the primary Region: choose another one"
            ]
        );
        r.replica_regions = vec!["eu-west-3".into(), "eu-wset-2".into()];
        assert_eq!(fields(r.validate(&c)), [Field::ReplicaRegion]);
        let nine: Vec<String> = [
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "eu-north-1",
            "eu-south-1",
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
        ]
        .map(String::from)
        .to_vec();
        r.replica_regions = nine;
        assert_eq!(
            errs(&r),
            [
                "Second Region (--replica-region): is given 9 times: Other vendor takes at most 8, give fewer"
            ]
        );
        // A vendor with one second Region takes one.
        let mut cam = raw("camunda");
        cam.principal = Some(ROLE.into());
        cam.regionality = Some("multi-region".into());
        cam.replica_regions = vec!["eu-west-2".into(), "eu-west-2".into()];
        assert_eq!(
            errs(&cam),
            [
                "Second Region (--replica-region): eu-west-2 is given twice: give each Region once",
                "Second Region (--replica-region): is given 2 times: Camunda SaaS takes one replica Region, give one"
            ]
        );
    }

    /// A profile that asks for several Regions: the first ones it pairs are the default,
    /// fewer are refused naming them.
    #[test]
    fn a_profile_that_needs_two_other_regions() {
        let mut v = serde_json::to_value(Catalog::built_in().get("camunda").unwrap()).unwrap();
        v["id"] = "acme".into();
        v["dual_region"]["pairs"] = serde_json::json!([
            { "primary": "eu-west-1", "secondary": "eu-west-2" },
            { "primary": "eu-west-1", "secondary": "eu-central-1" },
            { "primary": "eu-west-1", "secondary": "eu-north-1" }
        ]);
        v["dual_region"]["min_regions"] = 2.into();
        v["dual_region"]["max_regions"] = 3.into();
        let p = VendorProfile::from_json("acme.json", &v.to_string()).unwrap();
        let c = Catalog { profiles: vec![p] };
        let mut r = raw("acme");
        r.principal = Some(ROLE.into());
        r.regionality = Some("multi-region".into());
        assert_eq!(
            r.validate(&c).unwrap().replica_regions,
            ["eu-west-2", "eu-central-1"]
        );
        r.replica_regions = vec!["eu-north-1".into()];
        let e = r.validate(&c).unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(
            e[0].message
                .contains("needs at least 2 (eu-west-2, eu-central-1, eu-north-1)"),
            "{}",
            e[0].message
        );
        r.replica_regions = vec!["eu-north-1".into(), "us-east-1".into()];
        assert!(
            r.validate(&c).unwrap_err()[0]
                .message
                .contains("pairs eu-west-1 with eu-west-2, eu-central-1, eu-north-1")
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let c = Catalog::built_in();
        let r = RawAnswers {
            vendor: Some("camunda".into()),
            region: Some("us-east-1".into()),
            alias: Some("alias/aws/x".into()),
            description: Some("a\nb".into()),
            tags: vec![
                "novalue".into(),
                "byok:vendor=x".into(),
                "a=1".into(),
                "a=2".into(),
            ],
            admins: vec!["arn:aws:iam::123:user/x".into()],
            rotation_days: Some("89".into()),
            replica_regions: vec!["eu-west-2".into()],
            ..Default::default()
        };
        let f = fields(r.validate(&c));
        for want in [
            Field::Region,
            Field::Alias,
            Field::Description,
            Field::Tags,
            Field::RotationDays,
        ] {
            assert!(f.contains(&want), "{want:?} missing from {f:?}");
        }
        assert_eq!(f.iter().filter(|x| **x == Field::Tags).count(), 3);
    }

    #[test]
    fn alias_rules() {
        assert_eq!(normalize_alias("x").unwrap(), "alias/x");
        assert_eq!(normalize_alias(" alias/a/b_c-1 ").unwrap(), "alias/a/b_c-1");
        for bad in [
            "",
            "alias/",
            "alias/aws/x",
            "aws/x",
            "alias/AWS/x",
            "a b",
            "a.b",
            "ünï",
            "aｂ",
        ] {
            assert!(normalize_alias(bad).is_err(), "{bad}");
        }
        assert!(normalize_alias(&"a".repeat(250)).is_ok());
        assert!(normalize_alias(&"a".repeat(251)).is_err());
    }

    #[test]
    fn rotation_rules() {
        assert_eq!(check_rotation("90"), Ok(90));
        assert_eq!(check_rotation("2560"), Ok(2560));
        assert!(check_rotation("89").is_err());
        assert!(check_rotation("2561").is_err());
        assert!(check_rotation("-1").is_err());
        assert!(check_rotation("year").is_err());
        let c = Catalog::built_in();
        let mut r = raw("camunda");
        r.principal = Some(ROLE.into());
        r.no_rotation = true;
        assert_eq!(r.validate(&c).unwrap().rotation_days, None);
        r.rotation_days = Some("100".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::RotationDays]);
    }

    #[test]
    fn admins() {
        let c = Catalog::built_in();
        let mut r = raw("camunda");
        r.principal = Some(ROLE.into());
        r.admins = vec![
            "arn:aws:iam::123456789012:role/Admin".into(),
            "arn:aws:iam::123456789012:role/Admin".into(),
            "arn:aws:iam::123456789012:user/alice".into(),
        ];
        assert_eq!(r.validate(&c).unwrap().admins.len(), 2);
        r.admins.push("arn:aws:iam::999999999999:user/eve".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::Admins]);
        r.admins = vec!["arn:aws-us-gov:iam::123456789012:role/Admin".into()];
        assert_eq!(fields(r.validate(&c)), vec![Field::Admins]);
        r.admins = vec![];
        r.admins_can_delete = true;
        assert_eq!(fields(r.validate(&c)), vec![Field::Admins]);
    }

    /// The vendor principal is never one of your own: an administrator, your account's root
    /// (known from the administrators before sign-in, from the account after), or, for an
    /// administrator, an account other than the one signed in.
    #[test]
    fn the_vendor_is_not_you() {
        let c = Catalog::built_in();
        let admin = "arn:aws:iam::123456789012:role/KeyAdmins";
        let mut r = raw("other");
        r.region = Some("eu-west-1".into());
        r.admins = vec![admin.into()];
        for p in [admin, "123456789012", "arn:aws:iam::123456789012:root"] {
            r.principal = Some(p.into());
            let errs = r.validate(&c).unwrap_err();
            assert_eq!(errs.len(), 1, "{p}: {errs:?}");
            assert_eq!(errs[0].field, Field::Principal, "{p}");
        }
        r.principal = Some("210987654321".into());
        let a = r.validate(&c).unwrap();
        assert!(check_account(&a, "123456789012").is_empty());
        // Signed in to another account: the administrator is refused, on its step.
        let errs = check_account(&a, "111122223333");
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, Field::Admins);
        assert!(
            errs[0]
                .message
                .contains("signed in to account 111122223333")
        );
        // The vendor principal as the account signed in to, with no administrators.
        r.admins.clear();
        r.principal = Some("111122223333".into());
        let a = r.validate(&c).unwrap();
        let errs = check_account(&a, "111122223333");
        assert_eq!(
            errs.iter().map(|e| e.field).collect::<Vec<_>>(),
            vec![Field::Principal]
        );
        assert!(errs[0].message.contains("your own account 111122223333"));
    }

    #[test]
    fn the_create_command_repeats_the_answers() {
        let c = Catalog::built_in();
        let mut r = raw("camunda");
        r.principal = Some(ROLE.into());
        r.regionality = Some("multi-region".into());
        r.tags = vec!["team=pay ments".into()];
        let a = r.validate(&c).unwrap();
        let how = Invocation {
            demo: true,
            profile: Some("prod".into()),
            ..Default::default()
        };
        assert_eq!(
            a.create_command(&how),
            format!(
                "byok --demo --profile prod create --vendor camunda --region eu-west-1 --principal {ROLE} --regionality multi-region --replica-region eu-west-2 --alias alias/camunda-saas-byok --tag 'team=pay ments' --rotation-days 365 --yes"
            )
        );
    }

    #[test]
    fn tags() {
        assert_eq!(
            check_tag("team=pay ments").unwrap(),
            ("team".into(), "pay ments".into())
        );
        assert_eq!(check_tag("empty=").unwrap(), ("empty".into(), "".into()));
        assert!(check_tag("aws:x=1").is_err());
        assert!(check_tag(&format!("{}=1", "k".repeat(129))).is_err());
        assert!(check_tag(&format!("k={}", "v".repeat(257))).is_err());
        assert!(check_tag("k=v;").is_err());
        let c = Catalog::built_in();
        let mut r = raw("camunda");
        r.principal = Some(ROLE.into());
        r.tags = (0..48).map(|i| format!("k{i}=v")).collect();
        assert_eq!(fields(r.validate(&c)), vec![Field::Tags]);
    }

    #[test]
    fn other_takes_only_regions_byok_knows_and_names_the_nearest() {
        let c = Catalog::built_in();
        let other = c.get("other").unwrap();
        assert_eq!(
            check_region(other, " ap-southeast-7 ").unwrap(),
            "ap-southeast-7"
        );
        assert_eq!(
            check_region(other, "us-gov-west-1").unwrap(),
            "us-gov-west-1"
        );
        // A typo: well-formed, unknown, with the obvious fix and the way to a new Region.
        let e = check_region(other, "eu-wset-1").unwrap_err();
        assert!(
            e.starts_with("\"eu-wset-1\" is not an AWS Region byok knows: did you mean eu-west-1?"),
            "{e}"
        );
        assert!(
            e.contains("--vendor-file") && e.contains("\"regions\""),
            "{e}"
        );
        let e = check_region(other, "us-east-7").unwrap_err();
        assert!(e.contains("did you mean us-east-1 or us-east-2?"), "{e}");
        let e = check_region(other, "xx-newregion-1").unwrap_err();
        assert!(
            e.contains("give one such as eu-west-1.") && e.contains("--vendor-file"),
            "{e}"
        );
        // Not a Region code at all: the nearest, without the new-Region note.
        let e = check_region(other, "EU-WEST-1").unwrap_err();
        assert_eq!(
            e,
            "\"EU-WEST-1\" is not an AWS Region code: did you mean eu-west-1?"
        );
        let e = check_region(other, "moon").unwrap_err();
        assert_eq!(
            e,
            "\"moon\" is not an AWS Region code: give one such as eu-west-1."
        );
        // The vendors with a list suggest from their list.
        let e = check_region(c.get("gearset").unwrap(), "eu-wset-1").unwrap_err();
        assert!(e.ends_with("(did you mean eu-west-1?)"), "{e}");

        // Validation: the primary and the second Region alike, each naming its field.
        let mut r = raw("other");
        r.principal = Some("123456789012".into());
        r.region = Some("eu-wset-1".into());
        let errs = r.validate(&c).unwrap_err();
        assert_eq!(errs[0].field, Field::Region);
        assert!(
            errs[0]
                .to_string()
                .starts_with("Region (--region): \"eu-wset-1\"")
        );
        r.region = Some("eu-west-1".into());
        r.regionality = Some("two-keys".into());
        r.replica_regions = vec!["eu-wset-2".into()];
        let errs = r.validate(&c).unwrap_err();
        assert_eq!(errs[0].field, Field::ReplicaRegion);
        assert!(
            errs[0].message.contains("did you mean eu-west-2?"),
            "{errs:?}"
        );
        r.replica_regions = vec!["eu_west_2".into()];
        assert!(
            r.validate(&c).unwrap_err()[0]
                .message
                .contains("did you mean eu-west-2?")
        );
        r.replica_regions = vec!["eu-west-2".into()];
        assert!(r.validate(&c).is_ok());

        // A Region AWS opens later: a vendor file that lists it (here a copy of other).
        let mut v: serde_json::Value =
            serde_json::from_str(include_str!("../../../assets/vendors/other.json")).unwrap();
        v["regions"] = serde_json::json!([{ "code": "eu-new-1", "name": "Europe (New)" }]);
        let newer = VendorProfile::from_json("other-new.json", &v.to_string()).unwrap();
        assert_eq!(check_region(&newer, "eu-new-1").unwrap(), "eu-new-1");
        assert_eq!(
            check_second_region(&newer, "eu-west-1", "eu-new-1").unwrap(),
            "eu-new-1"
        );
        assert!(check_second_region(other, "eu-west-1", "eu-new-1").is_err());
    }

    #[test]
    fn set_gives_the_profiles_values() {
        let c = Catalog::built_in();
        let id = "0d26daa6-5e44-4c97-a497-ef015f91254a";
        let mut r = raw("databricks");
        r.region = Some("us-east-1".into());
        // Missing: reported like a missing flag, naming --set NAME.
        let e = r.validate(&c).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, Field::Value);
        let shown = e[0].to_string();
        assert!(
            shown.starts_with(
                "Value (--set databricks-account-id): is required: Databricks account ID"
            ),
            "{shown}"
        );
        r.values = vec![format!("databricks-account-id={id}")];
        let a = r.validate(&c).unwrap();
        assert_eq!(
            a.values,
            vec![("databricks-account-id".to_string(), id.to_string())]
        );
        assert_eq!(a.principal, "arn:aws:iam::414351767826:root");
        let p = crate::policy::build(&a, "111122223333");
        assert_eq!(
            p["Statement"][1]["Condition"]["StringEquals"]["aws:PrincipalTag/DatabricksAccountId"],
            serde_json::json!([id])
        );
        assert!(
            a.create_command(&Invocation::default())
                .contains(&format!("--set databricks-account-id={id}"))
        );
        // Wildcards, the wrong shape, an unknown name, twice, no '=': each names --set NAME.
        for (given, says) in [
            (
                vec!["databricks-account-id=*".to_string()],
                "(--set databricks-account-id): \"*\" holds '*'",
            ),
            (
                vec!["databricks-account-id=0d26daa6-*".to_string()],
                "wildcard",
            ),
            (
                vec!["databricks-account-id=12345".to_string()],
                "is not a Databricks account ID",
            ),
            (
                vec![format!("databricks-account-id={id}"), "workspace=1".into()],
                "(--set workspace): Databricks asks for no such value",
            ),
            (
                vec![
                    format!("databricks-account-id={id}"),
                    format!("databricks-account-id={id}"),
                ],
                "given twice",
            ),
            (vec![id.to_string()], "is not NAME=VALUE"),
        ] {
            r.values = given.clone();
            let e = r.validate(&c).unwrap_err();
            assert!(e.iter().all(|e| e.field == Field::Value), "{e:?}");
            assert!(
                e.iter().any(|e| e.to_string().contains(says)),
                "{given:?}: {e:?}"
            );
        }
        // A vendor without values takes none.
        let mut r = raw("gearset");
        r.region = Some("eu-west-1".into());
        r.values = vec!["x=1".into()];
        let e = r.validate(&c).unwrap_err();
        assert!(
            e[0].to_string()
                .contains("(--set x): Gearset asks for no value"),
            "{e:?}"
        );
        // A principal for a vendor that names its own.
        let mut r = raw("databricks");
        r.region = Some("us-east-1".into());
        r.values = vec![format!("databricks-account-id={id}")];
        r.principal = Some("arn:aws:iam::444455556666:root".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::Principal]);
    }

    #[test]
    fn elastic_is_anyone_in_its_organisation() {
        let c = Catalog::built_in();
        let mut r = raw("elastic");
        r.region = Some("eu-west-1".into());
        let a = r.validate(&c).unwrap();
        assert_eq!(a.principal, "*");
        let p = crate::policy::build(&a, "111122223333");
        assert_eq!(
            p["Statement"][1]["Principal"],
            serde_json::json!({ "AWS": "*" })
        );
        assert!(crate::policy::lint(&p, "111122223333", &a.principal).is_empty());
        r.principal = Some("*".into());
        r.validate(&c).unwrap();
        r.principal = Some("111122223333".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::Principal]);
    }

    #[test]
    fn unknown_vendor() {
        let c = Catalog::built_in();
        assert_eq!(fields(raw("acme").validate(&c)), vec![Field::Vendor]);
        assert_eq!(
            fields(RawAnswers::default().validate(&c)),
            vec![Field::Vendor]
        );
    }

    #[test]
    fn external_id_is_checked_before_any_call_and_only_where_a_role_is() {
        let c = Catalog::built_in();
        let mut r = raw("mongodb-atlas");
        r.region = Some("us-east-1".into());
        r.principal = Some("arn:aws:iam::536727724300:root".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::ExternalId]);
        let e = r.validate(&c).unwrap_err().remove(0).to_string();
        assert!(
            e.starts_with("External ID (--external-id): is required"),
            "{e}"
        );
        r.external_id = Some("bad id*".into());
        let e = r.validate(&c).unwrap_err().remove(0).to_string();
        assert!(
            e.contains("--external-id") && e.contains("contains ' '"),
            "{e}"
        );
        r.external_id = Some("3192be49-6e76-4b7d-a7b8-b486a8fc4483".into());
        let a = r.validate(&c).unwrap();
        let role = a.role.clone().unwrap();
        assert_eq!(role.name, "byok-mongodb-atlas-encryption");
        assert_eq!(
            a.policy_principal("111122223333"),
            "arn:aws:iam::111122223333:role/byok-mongodb-atlas-encryption"
        );
        assert!(
            a.create_command(&Invocation::default())
                .contains("--external-id 3192be49-6e76-4b7d-a7b8-b486a8fc4483")
        );
        // A vendor that assumes no role takes none.
        let mut r = raw("camunda");
        r.principal = Some(ROLE.into());
        r.external_id = Some("x1".into());
        assert_eq!(fields(r.validate(&c)), vec![Field::ExternalId]);
    }

    #[test]
    fn the_key_policy_names_the_role_for_cockroachdb() {
        let c = Catalog::built_in();
        let mut r = raw("cockroachdb");
        r.region = Some("us-east-1".into());
        r.principal = Some("210987654321".into());
        r.external_id = Some("org-1".into());
        let a = r.validate(&c).unwrap();
        assert_eq!(a.principal, "arn:aws:iam::210987654321:root");
        let p = crate::policy::build(&a, "111122223333");
        let text = p.to_string();
        assert!(text.contains("arn:aws:iam::111122223333:role/byok-cockroachdb-cmek"));
        assert!(
            !text.contains("210987654321"),
            "the vendor reaches the key through the role only"
        );
        let t = a.trust_policy().unwrap();
        assert_eq!(
            t["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::210987654321:root"
        );
    }
}
