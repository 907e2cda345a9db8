//! Vendor profiles: everything byok knows about a SaaS vendor is data in
//! `assets/vendors/*.json`, so a new vendor is a file, not a release.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

// A vendor file's `principal` and its kinds are `principal`'s; the profile names them here too.
pub use crate::principal::{PrincipalKind, PrincipalSpec, RefusedPrincipal};

/// Single key, a Multi-Region primary with its replicas, or one independent key per Region.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Regionality {
    Single,
    MultiRegion,
    TwoKeys,
}

impl Regionality {
    pub const ALL: [Regionality; 3] = [Self::Single, Self::MultiRegion, Self::TwoKeys];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::MultiRegion => "multi-region",
            Self::TwoKeys => "two-keys",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Single => "Single Region: one key",
            Self::MultiRegion => "Multi-Region primary key + replica",
            Self::TwoKeys => "Two independent single-Region keys",
        }
    }

    pub fn is_dual(self) -> bool {
        self != Self::Single
    }
}

/// The other name of [`Regionality::TwoKeys`] on the command line: one key per Region.
pub const PER_REGION: &str = "per-region";

/// The most Regions a setup may have besides the primary's (replicas, or keys of their own):
/// a profile may ask for fewer, never more.
pub const MAX_OTHER_REGIONS: usize = 8;

impl fmt::Display for Regionality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Regionality {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // `per-region` names what `two-keys` became once it took every --replica-region: one
        // independent key per Region. Both are accepted; `two-keys` stays the name byok writes.
        if s == PER_REGION {
            return Ok(Self::TwoKeys);
        }
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("{s:?} is not one of single, multi-region, two-keys (or per-region)")
            })
    }
}

/// The built-in profiles, in the order the wizard lists them.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "camunda.json",
        include_str!("../../../assets/vendors/camunda.json"),
    ),
    (
        "gearset.json",
        include_str!("../../../assets/vendors/gearset.json"),
    ),
    (
        "clickhouse.json",
        include_str!("../../../assets/vendors/clickhouse.json"),
    ),
    (
        "aiven.json",
        include_str!("../../../assets/vendors/aiven.json"),
    ),
    (
        "confluent.json",
        include_str!("../../../assets/vendors/confluent.json"),
    ),
    (
        "snowflake.json",
        include_str!("../../../assets/vendors/snowflake.json"),
    ),
    (
        "mongodb-atlas.json",
        include_str!("../../../assets/vendors/mongodb-atlas.json"),
    ),
    (
        "cockroachdb.json",
        include_str!("../../../assets/vendors/cockroachdb.json"),
    ),
    (
        "gitlab-dedicated.json",
        include_str!("../../../assets/vendors/gitlab-dedicated.json"),
    ),
    (
        "databricks.json",
        include_str!("../../../assets/vendors/databricks.json"),
    ),
    (
        "elastic.json",
        include_str!("../../../assets/vendors/elastic.json"),
    ),
    (
        "other.json",
        include_str!("../../../assets/vendors/other.json"),
    ),
];

/// The id of the template profile, the one profile whose `sources` and `checked` may be left
/// out: it describes no vendor, only the AWS console's defaults for another account.
pub const TEMPLATE_ID: &str = "other";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VendorProfile {
    /// Short id used by `--vendor` and in the `byok:vendor` tag.
    pub id: String,
    /// Version of the profile's facts, shown by `byok --version`.
    pub version: String,
    pub name: String,
    /// One line on what the vendor needs.
    pub summary: String,
    pub docs_url: String,
    /// Where the facts of the profile come from: the vendor's own pages (at least one, but for
    /// the `other` template).
    #[serde(default)]
    pub sources: Vec<String>,
    /// The date those sources were last checked against the profile, YYYY-MM-DD.
    #[serde(default)]
    pub checked: String,
    /// The Regions the vendor supports; empty means any Region.
    #[serde(default)]
    pub regions: Vec<VendorRegion>,
    pub principal: PrincipalSpec,
    /// Whether a key in a second Region is offered, and how.
    #[serde(default)]
    pub dual_region: Option<DualRegion>,
    pub key: KeyDefaults,
    /// Sid of the account-root statement; the console's by default.
    #[serde(default = "default_root_sid")]
    pub root_statement_sid: String,
    /// What the vendor principal is granted in the key policy, in order. With a
    /// `customer_role` these name that role (and may be empty when the role's own policy is
    /// what grants the key, as MongoDB Atlas documents it).
    #[serde(default)]
    pub statements: Vec<VendorStatement>,
    /// A role in the customer's own account that the vendor assumes (MongoDB Atlas,
    /// CockroachDB Cloud): byok creates it, trusted by the vendor's principal with an
    /// external ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_role: Option<CustomerRole>,
    /// Values the customer types (`--set NAME=VALUE`, the wizard's Values step), each used
    /// inside a statement's condition as `{{NAME}}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ValueSpec>,
    /// What the customer pastes back into the vendor once the key exists, in order: the Done
    /// screen and `byok create` show exactly these. Empty means the key ARN.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paste_back: Vec<PasteBack>,
    /// What the user does once the key exists.
    pub next_step: String,
    /// What each key state means for the vendor's service (used by `byok status`).
    #[serde(default)]
    pub states: BTreeMap<String, StateMeaning>,
}

fn default_root_sid() -> String {
    "Enable IAM User Permissions".to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VendorRegion {
    pub code: String,
    pub name: String,
    /// The vendor's AWS account for this Region, when the principal follows from the Region.
    #[serde(default)]
    pub vendor_account: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DualRegion {
    /// Allowed (primary, secondary) pairs; empty means any two distinct Regions.
    #[serde(default)]
    pub pairs: Vec<RegionPair>,
    pub methods: Vec<Regionality>,
    pub recommended: Regionality,
    pub help: String,
    /// How many Regions besides the primary's a dual-Region setup needs at least (replicas
    /// or keys of their own); 1 unless said.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub min_regions: usize,
    /// How many it allows at most, up to [`MAX_OTHER_REGIONS`]; 1 unless said.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub max_regions: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RegionPair {
    pub primary: String,
    pub secondary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeyDefaults {
    pub alias: String,
    /// Appended to the alias for the second of two independent keys.
    #[serde(default = "default_suffix")]
    pub secondary_alias_suffix: String,
    pub description: String,
    #[serde(default)]
    pub rotation_note: String,
}

fn default_suffix() -> String {
    "-replica".to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VendorStatement {
    pub sid: String,
    pub actions: Vec<String>,
    #[serde(default)]
    pub condition: Option<serde_json::Value>,
    /// The statement's `Resource`: `*` (this key, as every key policy statement means), or
    /// `key`, the key's own ARN written out, as a vendor that names its principal only after
    /// registration may ask (Snowflake); only there, since the ARN exists only once the key
    /// does.
    #[serde(default, skip_serializing_if = "StatementResource::is_any")]
    pub resource: StatementResource,
}

/// A vendor statement's `Resource`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub enum StatementResource {
    /// `"*"`: in a key policy, the key itself.
    #[default]
    #[serde(rename = "*")]
    Any,
    /// The key's own ARN.
    #[serde(rename = "key")]
    Key,
}

impl StatementResource {
    pub fn is_any(&self) -> bool {
        *self == StatementResource::Any
    }

    /// The `Resource` value for the key `key_arn` (`"*"` when it is not known).
    pub fn value(self, key_arn: Option<&str>) -> String {
        match (self, key_arn) {
            (StatementResource::Key, Some(arn)) => arn.to_string(),
            _ => "*".to_string(),
        }
    }
}

/// A role byok creates in the customer's account for the vendor to assume: its trust policy
/// names the vendor's principal (`--principal`) under `sts:ExternalId` (`--external-id`); its
/// own inline policy (`policy`) may only use the key byok creates (Resource: the key's ARNs).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CustomerRole {
    /// The role's name (unique in the account).
    pub name: String,
    /// The name of the role's inline policy.
    #[serde(default = "default_role_policy_name")]
    pub policy_name: String,
    /// The role's description.
    pub description: String,
    /// The external ID the vendor gives and the trust policy requires.
    pub external_id: ExternalIdSpec,
    /// The role's own permissions, on the key only: empty when the key policy grants the role
    /// instead (the profile's `statements`).
    #[serde(default)]
    pub policy: Vec<RoleStatement>,
}

fn default_role_policy_name() -> String {
    "byok-kms-key-access".to_string()
}

/// Where the customer finds the external ID, and what it may look like.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExternalIdSpec {
    pub label: String,
    pub help: String,
    /// What a valid one looks like: checked before any call.
    pub pattern: ExternalIdPattern,
}

/// The shapes an external ID may be declared to have.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ExternalIdPattern {
    /// What IAM accepts for `sts:ExternalId`: 2 to 1224 of letters, digits and `+=,.@:/-_`.
    Aws,
    /// A UUID, 8-4-4-4-12 hexadecimal digits.
    Uuid,
}

impl ExternalIdPattern {
    /// Whether `v` has this shape; the error says what the shape is.
    pub fn check(self, v: &str) -> Result<(), String> {
        match self {
            ExternalIdPattern::Aws => {
                let n = v.chars().count();
                if !(2..=1224).contains(&n) {
                    return Err(format!(
                        "is {n} characters long: an external ID has 2 to 1224"
                    ));
                }
                if let Some(c) = v
                    .chars()
                    .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(*c)))
                {
                    return Err(format!(
                        "contains {c:?}: an external ID takes only letters, digits and + = , . @ : / - _ (no wildcard)"
                    ));
                }
                Ok(())
            }
            ExternalIdPattern::Uuid => {
                let groups: Vec<&str> = v.split('-').collect();
                let ok = groups.len() == 5
                    && groups
                        .iter()
                        .zip([8, 4, 4, 4, 12])
                        .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
                if ok {
                    Ok(())
                } else {
                    Err("is not a UUID (8-4-4-4-12 hexadecimal digits, such as 3192be49-6e76-4b7d-a7b8-b486a8fc4483)".into())
                }
            }
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ExternalIdPattern::Aws => "2 to 1224 letters, digits and + = , . @ : / - _",
            ExternalIdPattern::Uuid => "a UUID",
        }
    }
}

/// A value the customer types, which a statement's condition names as `{{name}}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ValueSpec {
    /// `--set NAME=VALUE`'s NAME: lowercase letters, digits and `-`.
    pub name: String,
    /// What the wizard asks ("Databricks account ID").
    pub label: String,
    /// Where the customer finds it.
    pub help: String,
    /// A regular expression the whole value must match, anchored (`^...$`).
    pub pattern: String,
}

/// One thing the vendor asks the customer to paste into its console once the key exists.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PasteBack {
    /// Each key's ARN (the primary's, then the second key's).
    KeyArn,
    /// Each key's alias, as an ARN (`arn:aws:kms:REGION:ACCOUNT:alias/NAME`).
    AliasArn,
    /// Each key's alias, as its name (`alias/NAME`).
    Alias,
    /// The Region of each key.
    Region,
    /// The ARN of the role in your account that the vendor assumes (a `customer_role`), once.
    RoleArn,
}

impl PasteBack {
    /// How the Done screen and `byok create` name it.
    pub fn label(self) -> &'static str {
        match self {
            PasteBack::KeyArn => "Key ARN",
            PasteBack::AliasArn => "Alias ARN",
            PasteBack::Alias => "Alias",
            PasteBack::Region => "Region",
            PasteBack::RoleArn => "Role ARN",
        }
    }

    /// Its name in `byok create --output json` and the vendor file.
    pub fn as_str(self) -> &'static str {
        match self {
            PasteBack::KeyArn => "key-arn",
            PasteBack::AliasArn => "alias-arn",
            PasteBack::Alias => "alias",
            PasteBack::Region => "region",
            PasteBack::RoleArn => "role-arn",
        }
    }
}

/// One statement of the customer role's own policy: its Sid and actions; its Resource is
/// always the key's ARNs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RoleStatement {
    pub sid: String,
    pub actions: Vec<String>,
}

/// The condition operators a vendor statement may use. `...IfExists` and `ForAllValues:`
/// are refused: both are true when the key is absent from the request, which turns a
/// condition that narrows the vendor into one that may not.
pub const CONDITION_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "ForAnyValue:StringEquals",
    "ForAnyValue:StringLike",
    "ArnEquals",
    "ArnLike",
    "Bool",
];

/// The most values a profile may declare.
const MAX_VALUES: usize = 8;

/// The value name a condition's value stands for, when it is a placeholder `{{name}}`.
pub fn placeholder(v: &str) -> Option<&str> {
    v.strip_prefix("{{")?.strip_suffix("}}")
}

/// Whether a condition (or a value in one) holds a placeholder for a value the customer types.
pub fn is_placeholder(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => placeholder(s).is_some(),
        serde_json::Value::Array(a) => a.iter().any(is_placeholder),
        serde_json::Value::Object(m) => m.values().any(is_placeholder),
        _ => false,
    }
}

/// A condition with every `{{name}}` replaced by the customer's value; `None` for a name not
/// in `values` (never the case once the answers are validated).
pub fn fill_condition(
    c: &serde_json::Value,
    values: &[(String, String)],
) -> Option<serde_json::Value> {
    use serde_json::Value;
    Some(match c {
        Value::String(s) => match placeholder(s) {
            Some(name) => Value::String(values.iter().find(|(n, _)| n == name)?.1.clone()),
            None => c.clone(),
        },
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| fill_condition(x, values))
                .collect::<Option<_>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| Some((k.clone(), fill_condition(x, values)?)))
                .collect::<Option<_>>()?,
        ),
        _ => c.clone(),
    })
}

impl ValueSpec {
    /// The customer's value, checked: the whole of it matches the profile's pattern, and it
    /// holds no wildcard or policy variable (`*`, `?`, `$`) and nothing a key policy cannot
    /// take, whatever the pattern says.
    pub fn check(&self, input: &str) -> Result<String, String> {
        let v = input.trim();
        if v.is_empty() {
            return Err(format!("is required: {}", self.help));
        }
        if let Some(c) = v.chars().find(|c| matches!(c, '*' | '?' | '$')) {
            return Err(format!(
                "{v:?} holds {c:?}: a value you type is matched literally and never holds a wildcard or policy variable"
            ));
        }
        if let Some(c) = v
            .chars()
            .find(|c| !c.is_ascii_graphic() || matches!(c, '"' | '\\' | '{' | '}'))
        {
            return Err(format!(
                "{v:?} holds {:?}, which no {} has",
                crate::sanitize::line(&c.to_string()),
                self.label
            ));
        }
        let re = regex_lite::Regex::new(&self.pattern)
            .map_err(|e| format!("the profile's pattern does not compile: {e}"))?;
        if !re
            .find(v)
            .is_some_and(|m| m.start() == 0 && m.end() == v.len())
        {
            return Err(format!(
                "{v:?} is not a {} (it must match {}): {}",
                self.label, self.pattern, self.help
            ));
        }
        Ok(v.to_string())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StateMeaning {
    pub meaning: String,
    #[serde(default)]
    pub action: String,
}

/// A vendor file that cannot be used, with the file, the field and the problem. Shown with
/// every unsafe character escaped and each part clipped: the field and the problem may quote
/// the file's own text.
#[derive(Debug, thiserror::Error, PartialEq)]
pub struct ProfileError {
    pub file: String,
    pub field: String,
    pub problem: String,
}

impl std::fmt::Display for ProfileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "vendor file {}: {}: {}",
            clip(&self.file, 300),
            clip(&self.field, 200),
            clip(&self.problem, 2000)
        )
    }
}

/// At most `max` characters of `s`, escaped for the terminal.
fn clip(s: &str, max: usize) -> String {
    let escaped = crate::sanitize::line(s);
    if escaped.chars().count() <= max {
        escaped.into_owned()
    } else {
        let mut out: String = escaped.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// The largest vendor file byok reads: the built-in profiles are about 4 KiB.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The most entries a list or map of a profile may have.
const MAX_REGIONS: usize = 64;
const MAX_STATEMENTS: usize = 16;
const MAX_ACTIONS: usize = 32;
const MAX_STATES: usize = 32;
const MAX_SOURCES: usize = 16;

/// The longest text a field may hold, in characters, by its path with `[]` for any index and
/// `*` for any map key. One paragraph (1000) unless said otherwise.
fn max_chars(pattern: &str) -> usize {
    match pattern {
        "id" | "version" => 32,
        "name"
        | "regions[].code"
        | "regions[].name"
        | "regions[].vendor_account"
        | "key.secondary_alias_suffix"
        | "states.*" => 64,
        "dual_region.pairs[].primary" | "dual_region.pairs[].secondary" => 64,
        "dual_region.methods[]" | "dual_region.recommended" | "principal.kind" => 64,
        "root_statement_sid" | "statements[].sid" | "statements[].actions[]" => 128,
        "principal.label" | "customer_role.external_id.label" | "values[].label" => 200,
        "customer_role.name" | "values[].name" => 64,
        "customer_role.policy_name" => 128,
        "customer_role.policy[].sid" | "customer_role.policy[].actions[]" => 128,
        "values[].pattern" => 200,
        "principal.arn" => 2048,
        "key.alias" => 256,
        "docs_url" | "sources[]" => 2048,
        "checked" => 10,
        // What KMS allows for a description (and `--description`).
        "key.description" => 8192,
        p if p.starts_with("statements[].condition") => 1024,
        _ => 1000,
    }
}

/// What an unsafe character is, for a message.
fn describe_unsafe(c: char) -> String {
    let cp = crate::sanitize::code_point(c);
    match c {
        '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' => format!("a line break ({cp})"),
        '\t' => format!("a tab ({cp})"),
        '\x1b' | '\u{9b}' => {
            format!("an escape character ({cp}, it starts terminal control sequences)")
        }
        c if c.is_control() => format!("a control character ({cp})"),
        '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{061c}' => {
            format!("a bidirectional-text control ({cp}, it reorders what is shown)")
        }
        _ => format!("an invisible formatting character ({cp})"),
    }
}

/// Every string of the profile (map keys included), with its path (`states.Disabled.meaning`)
/// and pattern (`states.*.meaning`).
fn each_text<'v>(
    v: &'v serde_json::Value,
    path: &str,
    pattern: &str,
    out: &mut Vec<(String, String, &'v str)>,
) {
    use serde_json::Value;
    let join = |base: &str, key: &str| {
        if base.is_empty() {
            key.to_string()
        } else {
            format!("{base}.{key}")
        }
    };
    match v {
        Value::String(s) => out.push((path.to_string(), pattern.to_string(), s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                each_text(item, &format!("{path}[{i}]"), &format!("{pattern}[]"), out);
            }
        }
        Value::Object(map) => {
            // A map (states, a condition) has keys the file chose; a struct's are byok's.
            let free_keys = pattern == "states" || pattern.starts_with("statements[].condition");
            for (k, item) in map {
                let key_pattern = if free_keys {
                    join(pattern, "*")
                } else {
                    join(pattern, k)
                };
                if free_keys {
                    out.push((join(path, k), key_pattern.clone(), k));
                }
                each_text(item, &join(path, k), &key_pattern, out);
            }
        }
        _ => {}
    }
}

impl VendorProfile {
    /// The Regions the user may choose as primary, as codes.
    pub fn primary_regions(&self) -> Vec<String> {
        if self.regions.is_empty() {
            crate::regions::REGIONS
                .iter()
                .map(|(c, _)| c.to_string())
                .filter(|c| self.in_partition(c))
                .collect()
        } else {
            self.regions.iter().map(|r| r.code.clone()).collect()
        }
    }

    /// Whether `region` may be the primary: one of the vendor's Regions, or, for a vendor
    /// without a list (`other`), one byok knows.
    pub fn allows_region(&self, region: &str) -> bool {
        if self.regions.is_empty() {
            crate::regions::is_known(region) && self.in_partition(region)
        } else {
            self.regions.iter().any(|r| r.code == region)
        }
    }

    /// The partition a vendor without a Region list is bound to, when its principal binds it:
    /// a fixed principal's own (Databricks' account is in `aws`), and the commercial partition
    /// for anyone in the vendor's organisation (an organisation lives in one partition, and
    /// the organisation conditions byok's profiles fix are commercial ones: Elastic's). A
    /// profile that lists its Regions says itself where it works.
    pub fn partition(&self) -> Option<&str> {
        match self.principal.kind {
            PrincipalKind::Fixed => self
                .principal
                .arn
                .as_deref()
                .and_then(|a| a.split(':').nth(1)),
            PrincipalKind::AnyInOrganization => Some("aws"),
            _ => None,
        }
    }

    /// Whether a Region is in the partition the vendor is bound to, if any.
    fn in_partition(&self, region: &str) -> bool {
        self.partition()
            .is_none_or(|p| crate::regions::partition_of(region) == p)
    }

    /// The console name of a Region, preferring the vendor's own wording.
    pub fn region_label(&self, code: &str) -> String {
        match self.regions.iter().find(|r| r.code == code) {
            Some(r) => format!("{} {}", r.name, r.code),
            None => crate::regions::describe(code),
        }
    }

    /// The vendor's account for a Region (Gearset-style profiles).
    pub fn vendor_account(&self, region: &str) -> Option<&str> {
        self.regions
            .iter()
            .find(|r| r.code == region)
            .and_then(|r| r.vendor_account.as_deref())
    }

    /// The regionalities the user may choose.
    pub fn regionalities(&self) -> Vec<Regionality> {
        let mut out = vec![Regionality::Single];
        if let Some(d) = &self.dual_region {
            out.extend(
                d.methods
                    .iter()
                    .copied()
                    .filter(|m| *m != Regionality::Single),
            );
        }
        out
    }

    /// The second Regions allowed with a primary; `None` when any other Region is.
    pub fn secondary_regions(&self, primary: &str) -> Option<Vec<String>> {
        let d = self.dual_region.as_ref()?;
        if d.pairs.is_empty() {
            return None;
        }
        Some(
            d.pairs
                .iter()
                .filter(|p| p.primary == primary)
                .map(|p| p.secondary.clone())
                .collect(),
        )
    }

    /// The default second Region for a primary.
    pub fn default_secondary(&self, primary: &str) -> Option<String> {
        self.secondary_regions(primary)?.into_iter().next()
    }

    /// The Regions besides the primary's taken when none is given: the first `min_regions`
    /// the profile pairs with the primary (`None` without pairs, or too few of them).
    pub fn default_other_regions(&self, primary: &str) -> Option<Vec<String>> {
        let (min, _) = self.other_regions_range();
        let list = self.secondary_regions(primary)?;
        (list.len() >= min).then(|| list.into_iter().take(min).collect())
    }

    /// How many Regions besides the primary's a dual-Region setup takes: (at least, at most).
    pub fn other_regions_range(&self) -> (usize, usize) {
        self.dual_region
            .as_ref()
            .map_or((1, 1), |d| (d.min_regions, d.max_regions))
    }

    /// Parse and check a profile; `file` names it in errors.
    pub fn from_json(file: &str, text: &str) -> Result<Self, ProfileError> {
        let profile: VendorProfile = serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            // serde names the field in its message ("missing field `id`", "unknown field `x`").
            let field = msg
                .split('`')
                .nth(1)
                .map(str::to_string)
                .unwrap_or_else(|| format!("line {} column {}", e.line(), e.column()));
            ProfileError {
                file: file.to_string(),
                field,
                problem: format!("{msg}; fix the JSON there"),
            }
        })?;
        profile.check(file)?;
        Ok(profile)
    }

    /// Load a `--vendor-file`: a regular file of at most [`MAX_FILE_BYTES`] (a FIFO would
    /// block and `/dev/zero` never end), read no further than that.
    pub fn from_file(path: &Path) -> Result<Self, ProfileError> {
        use std::io::Read;
        let file = path.display().to_string();
        let refuse = |problem: String| ProfileError {
            file: file.clone(),
            field: "(file)".into(),
            problem,
        };
        let too_big = || {
            refuse(format!(
                "is larger than {} KiB, the most a vendor file may be: a profile is a few KiB of JSON",
                MAX_FILE_BYTES / 1024
            ))
        };
        let meta = std::fs::metadata(path).map_err(|e| refuse(format!("cannot read it: {e}")))?;
        if !meta.is_file() {
            return Err(refuse(format!(
                "is {}, not a regular file: give the path of a JSON file (save a downloaded profile first)",
                file_kind(&meta)
            )));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(too_big());
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| refuse(format!("cannot read it: {e}")))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(too_big());
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            refuse(format!(
                "is not UTF-8 text (byte {} is not): a vendor file is JSON",
                e.utf8_error().valid_up_to()
            ))
        })?;
        Self::from_json(&file, &text)
    }

    /// Every text of the profile: no unsafe character (so none on one line breaks it, and none
    /// can reach a terminal or an export), no more than its field's length, and what goes into
    /// the key policy only in the characters KMS takes there.
    fn check_texts(&self, file: &str) -> Result<(), ProfileError> {
        let err = |field: &str, problem: String| ProfileError {
            file: file.to_string(),
            field: field.to_string(),
            problem,
        };
        for (field, n, max) in [
            ("regions", self.regions.len(), MAX_REGIONS),
            ("statements", self.statements.len(), MAX_STATEMENTS),
            ("states", self.states.len(), MAX_STATES),
            ("sources", self.sources.len(), MAX_SOURCES),
            ("values", self.values.len(), MAX_VALUES),
            (
                "dual_region.pairs",
                self.dual_region.as_ref().map_or(0, |d| d.pairs.len()),
                MAX_REGIONS,
            ),
        ] {
            if n > max {
                return Err(err(field, format!("has {n} entries: at most {max}")));
            }
        }
        for (i, st) in self.statements.iter().enumerate() {
            if st.actions.len() > MAX_ACTIONS {
                return Err(err(
                    &format!("statements[{i}].actions"),
                    format!("has {} entries: at most {MAX_ACTIONS}", st.actions.len()),
                ));
            }
        }
        let value = serde_json::to_value(self).expect("a profile serializes");
        let mut texts = Vec::new();
        each_text(&value, "", "", &mut texts);
        for (path, pattern, text) in texts {
            if let Some((at, c)) = crate::sanitize::first_unsafe(text) {
                return Err(err(
                    &path,
                    format!(
                        "contains {} at character {}: every text of a vendor file is plain text on one line",
                        describe_unsafe(c),
                        at + 1
                    ),
                ));
            }
            let n = text.chars().count();
            let max = max_chars(&pattern);
            if n > max {
                return Err(err(
                    &path,
                    format!("is {n} characters long: at most {max} here"),
                ));
            }
            // A key policy takes printable ASCII and Latin-1 only.
            if pattern.starts_with("statements[].condition")
                && let Some(c) = text
                    .chars()
                    .find(|c| !matches!(*c, ' '..='~' | '\u{a0}'..='\u{ff}'))
            {
                return Err(err(
                    &path,
                    format!(
                        "contains {c:?} ({}): a key policy takes only printable ASCII and Latin-1 characters",
                        crate::sanitize::code_point(c)
                    ),
                ));
            }
        }
        let sids = std::iter::once(("root_statement_sid".to_string(), &self.root_statement_sid))
            .chain(
                self.statements
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (format!("statements[{i}].sid"), &s.sid)),
            );
        for (field, sid) in sids {
            if let Some(c) = sid
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == ' '))
            {
                return Err(err(
                    &field,
                    format!(
                        "contains {c:?}: a statement ID (Sid) takes only ASCII letters, digits and spaces"
                    ),
                ));
            }
        }
        for (i, st) in self.statements.iter().enumerate() {
            for (j, a) in st.actions.iter().enumerate() {
                let name = a.get(4..).unwrap_or_default();
                if !a.to_ascii_lowercase().starts_with("kms:")
                    || name.is_empty()
                    || !name.chars().all(|c| c.is_ascii_alphabetic() || c == '*')
                {
                    return Err(err(
                        &format!("statements[{i}].actions[{j}]"),
                        format!("{a:?} is not a kms: action such as kms:Decrypt"),
                    ));
                }
            }
        }
        if !self
            .version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+_".contains(c))
            || self.version.is_empty()
        {
            return Err(err(
                "version",
                format!(
                    "{:?} must be letters, digits and . - + _ (such as 2026.11.1)",
                    self.version
                ),
            ));
        }
        let urls = std::iter::once(("docs_url".to_string(), &self.docs_url)).chain(
            self.sources
                .iter()
                .enumerate()
                .map(|(i, u)| (format!("sources[{i}]"), u)),
        );
        for (field, url) in urls {
            if !(url.starts_with("https://") || url.starts_with("http://"))
                || url.contains(char::is_whitespace)
            {
                return Err(err(
                    &field,
                    format!("{url:?} must be an https:// address without spaces"),
                ));
            }
        }
        if let Some(c) = self
            .key
            .secondary_alias_suffix
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-')))
        {
            return Err(err(
                "key.secondary_alias_suffix",
                format!("contains {c:?}: use only letters, digits, '/', '_' and '-'"),
            ));
        }
        for state in self.states.keys() {
            if !state.chars().all(|c| c.is_ascii_alphabetic()) || state.is_empty() {
                return Err(err(
                    &format!("states.{state}"),
                    "a key state is a word of ASCII letters, such as Disabled or PendingDeletion"
                        .into(),
                ));
            }
        }
        for (i, r) in self.regions.iter().enumerate() {
            if r.name.trim().is_empty() {
                return Err(err(
                    &format!("regions[{i}].name"),
                    "must not be empty".into(),
                ));
            }
        }
        Ok(())
    }

    fn check(&self, file: &str) -> Result<(), ProfileError> {
        self.check_texts(file)?;
        let err = |field: &str, problem: String| ProfileError {
            file: file.to_string(),
            field: field.to_string(),
            problem,
        };
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 32
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(err(
                "id",
                format!(
                    "{:?} must be 1-32 lowercase letters, digits or '-' (it is used as --vendor and in a tag)",
                    self.id
                ),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(err("name", "must not be empty".into()));
        }
        for (i, r) in self.regions.iter().enumerate() {
            if !crate::arn::is_region_code(&r.code) {
                return Err(err(
                    &format!("regions[{i}].code"),
                    format!("{:?} is not an AWS Region code such as eu-west-1", r.code),
                ));
            }
            if let Some(a) = &r.vendor_account
                && !crate::arn::is_account_id(a)
            {
                return Err(err(
                    &format!("regions[{i}].vendor_account"),
                    format!("{a:?} is not a 12-digit AWS account ID"),
                ));
            }
        }
        let accounts: Vec<Option<&str>> = self
            .regions
            .iter()
            .map(|r| r.vendor_account.as_deref())
            .collect();
        if let Err(e) = self.principal.kind.check_regions(&accounts) {
            return Err(err("principal.kind", e));
        }
        if let Some(d) = &self.dual_region {
            if d.methods.is_empty() || d.methods.contains(&Regionality::Single) {
                return Err(err(
                    "dual_region.methods",
                    "list \"multi-region\" and/or \"two-keys\" (single region is always offered)"
                        .into(),
                ));
            }
            if !d.methods.contains(&d.recommended) {
                return Err(err(
                    "dual_region.recommended",
                    "must be one of dual_region.methods".into(),
                ));
            }
            if d.min_regions < 1
                || d.max_regions > MAX_OTHER_REGIONS
                || d.min_regions > d.max_regions
            {
                return Err(err(
                    if d.max_regions > MAX_OTHER_REGIONS || d.max_regions < 1 {
                        "dual_region.max_regions"
                    } else {
                        "dual_region.min_regions"
                    },
                    format!(
                        "min_regions {} and max_regions {}: give 1 <= min_regions <= max_regions <= {MAX_OTHER_REGIONS}",
                        d.min_regions, d.max_regions
                    ),
                ));
            }
            for p in &d.pairs {
                let n = d.pairs.iter().filter(|q| q.primary == p.primary).count();
                if n < d.min_regions {
                    return Err(err(
                        "dual_region.pairs",
                        format!(
                            "{} has {n} secondary Region(s) but min_regions is {}: list at least that many",
                            p.primary, d.min_regions
                        ),
                    ));
                }
            }
            for (i, p) in d.pairs.iter().enumerate() {
                if d.pairs[..i]
                    .iter()
                    .any(|q| q.primary == p.primary && q.secondary == p.secondary)
                {
                    return Err(err(
                        &format!("dual_region.pairs[{i}]"),
                        format!("{} with {} is listed twice", p.primary, p.secondary),
                    ));
                }
                if !self.allows_region(&p.primary) {
                    return Err(err(
                        &format!("dual_region.pairs[{i}].primary"),
                        format!("{:?} is not in regions", p.primary),
                    ));
                }
                if !crate::arn::is_region_code(&p.secondary) || p.secondary == p.primary {
                    return Err(err(
                        &format!("dual_region.pairs[{i}].secondary"),
                        format!(
                            "{:?} must be a Region code other than the primary",
                            p.secondary
                        ),
                    ));
                }
            }
        }
        for (i, r) in self.principal.refuse.iter().enumerate() {
            if let Err(e) = crate::arn::check_iam_principal(&r.arn, crate::arn::Want::AnyPrincipal)
            {
                return Err(err(
                    &format!("principal.refuse[{i}].arn"),
                    format!("{:?} {e}", r.arn),
                ));
            }
        }
        if let Err(e) = crate::arn::normalize_alias(&self.key.alias) {
            return Err(err("key.alias", e));
        }
        if self.paste_back.contains(&PasteBack::RoleArn) && self.customer_role.is_none() {
            return Err(err(
                "paste_back",
                "\"role-arn\" needs a customer_role: there is no role in your account to paste"
                    .into(),
            ));
        }
        if self.statements.is_empty() && self.customer_role.is_none() {
            return Err(err(
                "statements",
                "list at least one statement for the vendor principal".into(),
            ));
        }
        if let Some(role) = &self.customer_role {
            check_customer_role(role).map_err(|(f, p)| err(&f, p))?;
            if role.policy.is_empty() && self.statements.is_empty() {
                return Err(err(
                    "customer_role.policy",
                    "neither the role's policy nor the key policy's statements grant the role anything: list the actions in one of them".into(),
                ));
            }
            if !role.policy.is_empty() && self.dual_region.is_some() {
                return Err(err(
                    "dual_region",
                    "a customer_role with a policy of its own names one key: leave dual_region out"
                        .into(),
                ));
            }
            if self.principal.kind != PrincipalKind::AccountOrArn {
                return Err(err(
                    "principal.kind",
                    "a customer_role is trusted by the vendor's account or ARN: use \"account-or-arn\"".into(),
                ));
            }
        }
        let mut sids = std::collections::HashSet::new();
        sids.insert(self.root_statement_sid.as_str());
        sids.insert(crate::policy::ADMIN_SID);
        for (i, s) in self.statements.iter().enumerate() {
            if s.sid.trim().is_empty() || !sids.insert(s.sid.as_str()) {
                return Err(err(
                    &format!("statements[{i}].sid"),
                    format!("{:?} must be non-empty and unique in the policy", s.sid),
                ));
            }
            if s.actions.is_empty() {
                return Err(err(
                    &format!("statements[{i}].actions"),
                    "list at least one kms: action".into(),
                ));
            }
            for a in &s.actions {
                if let Some(problem) = crate::policy::vendor_action_problem(a) {
                    return Err(err(&format!("statements[{i}].actions"), problem));
                }
            }
            if s.resource == StatementResource::Key && !self.principal.kind.given_later() {
                return Err(err(
                    &format!("statements[{i}].resource"),
                    "\"key\" (the key's own ARN) is only for a principal.kind given-after-registration: the ARN exists only once the key does; use \"*\", which in a key policy means this key".into(),
                ));
            }
            if let Some(c) = &s.condition
                && !c.is_object()
            {
                return Err(err(
                    &format!("statements[{i}].condition"),
                    "must be a JSON object such as {\"Bool\": {\"kms:GrantIsForAWSResource\": \"true\"}}".into(),
                ));
            }
        }
        if let Err((field, problem)) = self.principal.kind.check_spec(&self.principal) {
            return Err(err(field, problem));
        }
        self.check_values(file)?;
        self.check_conditions(file)?;
        self.check_sources(file)
    }

    /// The values the customer types: each named once, with a pattern that compiles and is
    /// anchored at both ends.
    fn check_values(&self, file: &str) -> Result<(), ProfileError> {
        let err = |field: String, problem: String| ProfileError {
            file: file.to_string(),
            field,
            problem,
        };
        for (i, v) in self.values.iter().enumerate() {
            let ok_name = v
                .name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase())
                && v.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok_name {
                return Err(err(
                    format!("values[{i}].name"),
                    format!(
                        "{:?} must start with a lowercase letter, then lowercase letters, digits or '-' (it is --set NAME)",
                        v.name
                    ),
                ));
            }
            if self.values[..i].iter().any(|w| w.name == v.name) {
                return Err(err(
                    format!("values[{i}].name"),
                    format!("{:?} is declared twice", v.name),
                ));
            }
            if v.label.trim().is_empty() {
                return Err(err(
                    format!("values[{i}].label"),
                    "must not be empty".into(),
                ));
            }
            if !(v.pattern.starts_with('^') && v.pattern.ends_with('$')) {
                return Err(err(
                    format!("values[{i}].pattern"),
                    format!(
                        "{:?} must match the whole value: start it with ^ and end it with $",
                        v.pattern
                    ),
                ));
            }
            if let Err(e) = regex_lite::Regex::new(&v.pattern) {
                return Err(err(
                    format!("values[{i}].pattern"),
                    format!("is not a regular expression: {e}"),
                ));
            }
        }
        Ok(())
    }

    /// Every statement's condition: operators from [`CONDITION_OPERATORS`] only, each over an
    /// object of `aws:` or `kms:` keys with a string or a non-empty list of strings; a
    /// placeholder `{{name}}` only as a whole value, only for a declared value, and every
    /// declared value used. The organisation keys are the vendor's, never typed; and a
    /// wildcard principal needs them, fixed, on every statement.
    fn check_conditions(&self, file: &str) -> Result<(), ProfileError> {
        use serde_json::Value;
        let err = |field: String, problem: String| ProfileError {
            file: file.to_string(),
            field,
            problem,
        };
        let mut used: Vec<&str> = Vec::new();
        let wildcard = self.principal.kind == PrincipalKind::AnyInOrganization;
        for (i, st) in self.statements.iter().enumerate() {
            let at = format!("statements[{i}].condition");
            let mut org_narrowed = false;
            let Some(c) = st.condition.as_ref().and_then(Value::as_object) else {
                if wildcard {
                    return Err(err(
                        at,
                        "a wildcard principal (any-in-organization) needs the vendor's aws:PrincipalOrgID or aws:PrincipalOrgPaths condition on every statement".into(),
                    ));
                }
                continue;
            };
            for (op, block) in c {
                let field = format!("{at}.{op}");
                if op.ends_with("IfExists") {
                    return Err(err(
                        field,
                        format!(
                            "{op} is refused: ...IfExists is true when the key is absent, so it would not narrow the vendor; use {}",
                            op.trim_end_matches("IfExists")
                        ),
                    ));
                }
                if op.starts_with("ForAllValues:") {
                    return Err(err(
                        field,
                        format!(
                            "{op} is refused: ForAllValues is true when the key is absent; use ForAnyValue:"
                        ),
                    ));
                }
                if !CONDITION_OPERATORS.contains(&op.as_str()) {
                    return Err(err(
                        field,
                        format!(
                            "{op:?} is not a condition operator byok takes: use one of {}",
                            CONDITION_OPERATORS.join(", ")
                        ),
                    ));
                }
                let Some(block) = block.as_object().filter(|b| !b.is_empty()) else {
                    return Err(err(
                        field,
                        "must be an object of condition keys, such as {\"aws:PrincipalOrgID\": \"o-abcdefghij\"}".into(),
                    ));
                };
                for (key, v) in block {
                    let field = format!("{at}.{op}.{key}");
                    let (prefix, rest) = key.split_once(':').unwrap_or(("", ""));
                    if !matches!(prefix.to_ascii_lowercase().as_str(), "aws" | "kms")
                        || rest.is_empty()
                        || !rest
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "/_-.:".contains(c))
                    {
                        return Err(err(
                            field,
                            format!("{key:?} is not an aws: or kms: condition key"),
                        ));
                    }
                    let values: Vec<&str> = match v {
                        Value::String(x) => vec![x.as_str()],
                        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_string) => {
                            a.iter().filter_map(Value::as_str).collect()
                        }
                        _ => {
                            return Err(err(
                                field,
                                "must be a string or a non-empty list of strings".into(),
                            ));
                        }
                    };
                    let org_key = crate::policy::is_org_key(key);
                    for x in &values {
                        match placeholder(x) {
                            Some(name) if org_key => {
                                return Err(err(
                                    field,
                                    format!(
                                        "{{{{{name}}}}}: the vendor's organisation is fixed by the profile, never typed by the customer"
                                    ),
                                ));
                            }
                            Some(name) if self.values.iter().any(|v| v.name == name) => {
                                used.push(name)
                            }
                            Some(name) => {
                                return Err(err(
                                    field,
                                    format!(
                                        "{{{{{name}}}}} names no declared value: declare it under \"values\" or fix the name"
                                    ),
                                ));
                            }
                            None if x.contains("{{") || x.contains("}}") => {
                                return Err(err(
                                    field,
                                    format!(
                                        "{x:?}: a placeholder {{{{NAME}}}} is a whole value, never part of one"
                                    ),
                                ));
                            }
                            None => {}
                        }
                        if org_key && let Some(problem) = crate::policy::org_value_problem(key, x) {
                            return Err(err(field, problem));
                        }
                    }
                    if org_key && crate::policy::ORG_OPERATORS.contains(&op.as_str()) {
                        org_narrowed = true;
                    }
                }
            }
            if wildcard && !org_narrowed {
                return Err(err(
                    at,
                    format!(
                        "a wildcard principal (any-in-organization) needs aws:PrincipalOrgID or aws:PrincipalOrgPaths under {} on every statement",
                        crate::policy::ORG_OPERATORS.join(", ")
                    ),
                ));
            }
        }
        if let Some((i, v)) = self
            .values
            .iter()
            .enumerate()
            .find(|(_, v)| !used.contains(&v.name.as_str()))
        {
            return Err(err(
                format!("values[{i}].name"),
                format!(
                    "{:?} is declared but no condition uses it: put {{{{{}}}}} in a statement's condition, or remove it",
                    v.name, v.name
                ),
            ));
        }
        Ok(())
    }

    /// Where the facts come from, and when they were checked: every profile but the `other`
    /// template names at least one source and the date.
    fn check_sources(&self, file: &str) -> Result<(), ProfileError> {
        let err = |field: &str, problem: String| ProfileError {
            file: file.to_string(),
            field: field.to_string(),
            problem,
        };
        let template = self.id == TEMPLATE_ID;
        if self.sources.is_empty() && !template {
            return Err(err(
                "sources",
                "list at least one address where the vendor documents these facts (its BYOK page, its published key policy)".into(),
            ));
        }
        if self.checked.is_empty() {
            if template && self.sources.is_empty() {
                return Ok(());
            }
            return Err(err(
                "checked",
                "give the date the sources were checked against this profile, as YYYY-MM-DD".into(),
            ));
        }
        if !is_date(&self.checked) {
            return Err(err(
                "checked",
                format!(
                    "{:?} is not a date written YYYY-MM-DD (such as 2026-12-01)",
                    self.checked
                ),
            ));
        }
        Ok(())
    }
}

impl crate::principal::VendorFacts for VendorProfile {
    fn name(&self) -> &str {
        &self.name
    }
    fn principal(&self) -> &PrincipalSpec {
        &self.principal
    }
    fn vendor_account(&self, region: &str) -> Option<&str> {
        VendorProfile::vendor_account(self, region)
    }
}

/// IAM actions a customer role's own policy may never hold: it may only use this key.
const ROLE_REFUSED_PREFIXES: &[&str] = &["iam:", "sts:", "organizations:"];

/// A profile's `customer_role`: a role name IAM takes, an inline policy name, statements that
/// only use the key (never `kms:*`, a key-management action or any other service).
fn check_customer_role(role: &CustomerRole) -> Result<(), (String, String)> {
    let name_ok = |s: &str, max: usize| {
        !s.is_empty()
            && s.len() <= max
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    };
    if !role.name.starts_with("byok-") {
        return Err((
            "customer_role.name".into(),
            format!(
                "{:?} must start with byok- (the IAM permissions byok documents reach only roles named byok-*)",
                role.name
            ),
        ));
    }
    if !name_ok(&role.name, 64) {
        return Err((
            "customer_role.name".into(),
            format!(
                "{:?} is not an IAM role name: 1 to 64 letters, digits and + = , . @ _ -",
                role.name
            ),
        ));
    }
    if !name_ok(&role.policy_name, 128) {
        return Err((
            "customer_role.policy_name".into(),
            format!(
                "{:?} is not an IAM policy name: 1 to 128 letters, digits and + = , . @ _ -",
                role.policy_name
            ),
        ));
    }
    if role.description.chars().count() > 1000 {
        return Err((
            "customer_role.description".into(),
            "is longer than the 1000 characters IAM allows".into(),
        ));
    }
    if role.policy.len() > MAX_STATEMENTS {
        return Err((
            "customer_role.policy".into(),
            format!(
                "has {} entries: at most {MAX_STATEMENTS}",
                role.policy.len()
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, st) in role.policy.iter().enumerate() {
        if st.sid.is_empty()
            || !st.sid.chars().all(|c| c.is_ascii_alphanumeric())
            || !seen.insert(st.sid.as_str())
        {
            return Err((
                format!("customer_role.policy[{i}].sid"),
                format!(
                    "{:?} must be unique, ASCII letters and digits only (an IAM policy's Sid takes no spaces)",
                    st.sid
                ),
            ));
        }
        if st.actions.is_empty() || st.actions.len() > MAX_ACTIONS {
            return Err((
                format!("customer_role.policy[{i}].actions"),
                format!("list 1 to {MAX_ACTIONS} kms: actions"),
            ));
        }
        for a in &st.actions {
            let lower = a.to_ascii_lowercase();
            if ROLE_REFUSED_PREFIXES.iter().any(|p| lower.starts_with(p)) {
                return Err((
                    format!("customer_role.policy[{i}].actions"),
                    format!(
                        "{a:?}: the role may only use the key, never IAM, STS or Organizations"
                    ),
                ));
            }
            let name = a.get(4..).unwrap_or_default();
            if !lower.starts_with("kms:")
                || name.is_empty()
                || !name.chars().all(|c| c.is_ascii_alphabetic() || c == '*')
            {
                return Err((
                    format!("customer_role.policy[{i}].actions"),
                    format!("{a:?} is not a kms: action such as kms:Decrypt"),
                ));
            }
            if let Some(problem) = crate::policy::vendor_action_problem(a) {
                return Err((format!("customer_role.policy[{i}].actions"), problem));
            }
        }
    }
    Ok(())
}

/// `YYYY-MM-DD`, a real day of the Gregorian calendar.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = &s[r];
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1970 && (1..=days).contains(&d)
}

/// What a path that is not a regular file is, for a message.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() {
            return "a character device (such as /dev/zero)";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// The set of profiles a run can choose from: the built-ins plus any `--vendor-file`.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub profiles: Vec<VendorProfile>,
}

impl Catalog {
    pub fn built_in() -> Self {
        let profiles = BUILT_IN
            .iter()
            .map(|(file, text)| {
                VendorProfile::from_json(file, text).expect("built-in vendor profiles are valid")
            })
            .collect();
        Catalog { profiles }
    }

    /// Built-ins plus extra files; a file's profile replaces a built-in with the same id.
    pub fn with_files(files: &[std::path::PathBuf]) -> Result<Self, ProfileError> {
        let mut cat = Self::built_in();
        for f in files {
            let p = VendorProfile::from_file(f)?;
            match cat.profiles.iter_mut().find(|q| q.id == p.id) {
                Some(q) => *q = p,
                None => cat.profiles.push(p),
            }
        }
        Ok(cat)
    }

    pub fn get(&self, id: &str) -> Option<&VendorProfile> {
        self.profiles.iter().find(|p| p.id == id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.profiles.iter().map(|p| p.id.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A profile file added to assets/vendors/ is built in: forgetting its line in
    /// `BUILT_IN` fails here.
    #[test]
    fn every_profile_file_is_built_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/vendors");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        files.sort();
        let mut built: Vec<String> = BUILT_IN.iter().map(|(n, _)| n.to_string()).collect();
        built.sort();
        assert_eq!(files, built);
    }

    #[test]
    fn built_ins_load() {
        let c = Catalog::built_in();
        assert_eq!(
            c.ids(),
            vec![
                "camunda",
                "gearset",
                "clickhouse",
                "aiven",
                "confluent",
                "snowflake",
                "mongodb-atlas",
                "cockroachdb",
                "gitlab-dedicated",
                "databricks",
                "elastic",
                "other"
            ]
        );
        let g = c.get("gearset").unwrap();
        assert_eq!(g.vendor_account("eu-west-1"), Some("347752291521"));
        assert_eq!(g.vendor_account("us-west-2"), Some("157764733222"));
        assert_eq!(g.vendor_account("ap-southeast-2"), Some("178658833999"));
        assert_eq!(g.vendor_account("ca-central-1"), Some("877694686213"));
        assert_eq!(g.regionalities(), vec![Regionality::Single]);
        let cam = c.get("camunda").unwrap();
        assert_eq!(cam.primary_regions(), vec!["eu-west-1"]);
        assert_eq!(
            cam.default_secondary("eu-west-1").as_deref(),
            Some("eu-west-2")
        );
        assert_eq!(
            cam.regionalities(),
            vec![
                Regionality::Single,
                Regionality::MultiRegion,
                Regionality::TwoKeys
            ]
        );
        let other = c.get("other").unwrap();
        assert!(other.allows_region("sa-east-1"));
        assert_eq!(other.secondary_regions("eu-west-1"), None);
    }

    #[test]
    fn every_profile_names_its_sources_and_date_but_the_template_may_not() {
        for p in Catalog::built_in().profiles {
            assert!(!p.sources.is_empty(), "{}", p.id);
            assert!(is_date(&p.checked), "{}: {:?}", p.id, p.checked);
        }
        let mut v = camunda_json();
        v.as_object_mut().unwrap().remove("sources");
        let e = load(v).unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.field.as_str()),
            ("acme.json", "sources")
        );
        let mut v = camunda_json();
        v.as_object_mut().unwrap().remove("checked");
        assert_eq!(load(v).unwrap_err().field, "checked");
        let mut v = camunda_json();
        v["sources"][1] = "docs.camunda.io".into();
        assert_eq!(load(v).unwrap_err().field, "sources[1]");
        let mut v: serde_json::Value =
            serde_json::from_str(include_str!("../../../assets/vendors/other.json")).unwrap();
        v.as_object_mut().unwrap().remove("sources");
        v.as_object_mut().unwrap().remove("checked");
        load(v.clone()).unwrap();
        v["checked"] = "2026-12-01".into();
        load(v).unwrap();
        for ok in ["2026-12-01", "2024-02-29", "2000-02-29"] {
            assert!(is_date(ok), "{ok}");
        }
        for bad in [
            "2026-2-01",
            "2026-13-01",
            "2026-02-30",
            "2100-02-29",
            "26-12-01",
            "2026/12/01",
            "+026-12-01",
            "",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    fn databricks_json() -> serde_json::Value {
        serde_json::from_str(include_str!("../../../assets/vendors/databricks.json")).unwrap()
    }

    fn elastic_json() -> serde_json::Value {
        serde_json::from_str(include_str!("../../../assets/vendors/elastic.json")).unwrap()
    }

    #[test]
    fn conditions_take_only_the_allowed_operators() {
        let cases: &[(serde_json::Value, &str, &str)] = &[
            (
                serde_json::json!({ "StringEqualsIfExists": { "aws:PrincipalTag/DatabricksAccountId": "{{databricks-account-id}}" } }),
                "statements[0].condition.StringEqualsIfExists",
                "IfExists",
            ),
            (
                serde_json::json!({ "ForAllValues:StringEquals": { "aws:PrincipalTag/DatabricksAccountId": "{{databricks-account-id}}" } }),
                "statements[0].condition.ForAllValues:StringEquals",
                "ForAnyValue",
            ),
            (
                serde_json::json!({ "StringNotEquals": { "aws:PrincipalTag/DatabricksAccountId": "{{databricks-account-id}}" } }),
                "statements[0].condition.StringNotEquals",
                "not a condition operator",
            ),
            (
                serde_json::json!({ "StringEquals": { "aws:PrincipalTag/DatabricksAccountId": "{{account}}" } }),
                "statements[0].condition.StringEquals.aws:PrincipalTag/DatabricksAccountId",
                "names no declared value",
            ),
            (
                serde_json::json!({ "StringEquals": { "aws:PrincipalTag/DatabricksAccountId": "x-{{databricks-account-id}}" } }),
                "statements[0].condition.StringEquals.aws:PrincipalTag/DatabricksAccountId",
                "whole value",
            ),
            (
                serde_json::json!({ "StringEquals": { "s3:prefix": "{{databricks-account-id}}" } }),
                "statements[0].condition.StringEquals.s3:prefix",
                "condition key",
            ),
            (
                serde_json::json!({ "StringEquals": { "aws:PrincipalTag/DatabricksAccountId": [] } }),
                "statements[0].condition.StringEquals.aws:PrincipalTag/DatabricksAccountId",
                "non-empty list",
            ),
            (
                serde_json::json!({ "StringEquals": "x" }),
                "statements[0].condition.StringEquals",
                "object of condition keys",
            ),
        ];
        for (cond, field, says) in cases {
            let mut v = databricks_json();
            v["statements"][0]["condition"] = cond.clone();
            let e = load(v).unwrap_err();
            assert_eq!(e.field, *field, "{e}");
            assert!(e.problem.contains(says), "{e}");
        }
        // A declared value no condition uses.
        let mut v = databricks_json();
        v["statements"][0]["condition"] = serde_json::json!({ "StringEquals": { "aws:PrincipalTag/DatabricksAccountId": "0d26daa6-5e44-4c97-a497-ef015f91254a" } });
        let e = load(v).unwrap_err();
        assert_eq!(e.field, "values[0].name", "{e}");
        assert!(e.problem.contains("no condition uses it"), "{e}");
        // An organisation is never typed.
        let mut v = databricks_json();
        v["statements"][0]["condition"] = serde_json::json!({ "StringEquals": { "aws:PrincipalOrgID": "{{databricks-account-id}}" } });
        let e = load(v).unwrap_err();
        assert!(e.problem.contains("never typed"), "{e}");
    }

    #[test]
    fn values_are_declared_once_with_an_anchored_pattern() {
        for (edit, field) in [
            (
                serde_json::json!({ "name": "Account", "label": "x", "help": "x", "pattern": "^a$" }),
                "values[0].name",
            ),
            (
                serde_json::json!({ "name": "databricks-account-id", "label": "x", "help": "x", "pattern": "[0-9a-f-]+" }),
                "values[0].pattern",
            ),
            (
                serde_json::json!({ "name": "databricks-account-id", "label": "x", "help": "x", "pattern": "^([a-$" }),
                "values[0].pattern",
            ),
            (
                serde_json::json!({ "name": "databricks-account-id", "label": "x", "help": "x", "pattern": "^a$", "default": "a" }),
                "default",
            ),
        ] {
            let mut v = databricks_json();
            v["values"][0] = edit;
            assert_eq!(load(v).unwrap_err().field, field);
        }
        let mut v = databricks_json();
        let twice = v["values"][0].clone();
        v["values"].as_array_mut().unwrap().push(twice);
        assert_eq!(load(v).unwrap_err().field, "values[1].name");
        let mut v = databricks_json();
        v["paste_back"] = serde_json::json!(["key-arn", "password"]);
        assert!(load(v).unwrap_err().problem.contains("unknown variant"));
    }

    #[test]
    fn a_typed_value_matches_its_pattern_and_holds_no_wildcard() {
        let c = Catalog::built_in();
        let spec = &c.get("databricks").unwrap().values[0];
        let id = "0d26daa6-5e44-4c97-a497-ef015f91254a";
        assert_eq!(spec.check(&format!(" {id} ")).unwrap(), id);
        for bad in [
            "*",
            "0d26daa6-5e44-4c97-a497-*",
            "0d26daa6-5e44-4c97-a497-ef015f91254?",
            "${aws:username}",
            "0D26DAA6-5E44-4C97-A497-EF015F91254A",
            "0d26daa6-5e44-4c97\n-a497-ef015f91254a",
            "0d26daa6-5e44-4c97-a497-ef015f91254a x",
            "0d26daa6",
            "",
        ] {
            assert!(spec.check(bad).is_err(), "{bad:?}");
        }
        // A pattern that would let a wildcard through is not enough to let it through.
        let loose = ValueSpec {
            pattern: "^.*$".into(),
            ..spec.clone()
        };
        for bad in ["*", "a?b", "${x}", "a\"b", "{{x}}"] {
            assert!(loose.check(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_wildcard_principal_needs_the_vendors_organisation_on_every_statement() {
        let c = Catalog::built_in();
        let e = c.get("elastic").unwrap();
        assert_eq!(e.principal.kind, PrincipalKind::AnyInOrganization);
        // Without the condition, or with it on one statement only.
        let mut v = elastic_json();
        v["statements"][0]
            .as_object_mut()
            .unwrap()
            .remove("condition");
        let err = load(v).unwrap_err();
        assert_eq!(err.field, "statements[0].condition");
        let mut v = elastic_json();
        v["statements"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({ "sid": "More", "actions": ["kms:Decrypt"] }));
        assert_eq!(load(v).unwrap_err().field, "statements[1].condition");
        // A condition that does not narrow to an organisation.
        for cond in [
            serde_json::json!({ "Bool": { "aws:SecureTransport": "true" } }),
            serde_json::json!({ "StringEquals": { "aws:PrincipalAccount": "111122223333" } }),
            serde_json::json!({ "ArnLike": { "aws:PrincipalOrgPaths": "o-ygducmlz12/r-e5t3/*" } }),
        ] {
            let mut v = elastic_json();
            v["statements"][0]["condition"] = cond.clone();
            assert_eq!(
                load(v).unwrap_err().field,
                "statements[0].condition",
                "{cond}"
            );
        }
        // An organisation value with a wildcard anywhere but the whole last step.
        for bad in [
            "*",
            "o-*/*",
            "o-ygducmlz12/*",
            "o-ygducmlz12/r-e5t3/ou-e5t3-*/*",
            "o-ygducmlz1*/r-e5t3/*",
        ] {
            let mut v = elastic_json();
            v["statements"][0]["condition"] =
                serde_json::json!({ "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": bad } });
            let err = load(v).unwrap_err();
            assert_eq!(
                err.field, "statements[0].condition.ForAnyValue:StringLike.aws:PrincipalOrgPaths",
                "{bad}"
            );
        }
        let mut v = elastic_json();
        v["statements"][0]["condition"] =
            serde_json::json!({ "StringEquals": { "aws:PrincipalOrgID": "o-*" } });
        assert_eq!(
            load(v).unwrap_err().field,
            "statements[0].condition.StringEquals.aws:PrincipalOrgID"
        );
        let mut v = elastic_json();
        v["statements"][0]["condition"] =
            serde_json::json!({ "StringEquals": { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } });
        load(v).unwrap();
    }

    #[test]
    fn a_refused_principal_is_refused_and_must_be_an_arn() {
        let c = Catalog::built_in();
        let ch = c.get("clickhouse").unwrap();
        let old = "arn:aws:iam::576599896960:role/prod-kms-request-role";
        let e = crate::answers::check_principal(ch, "us-east-1", Some(old)).unwrap_err();
        assert!(e.contains("retired shared role"), "{e}");
        let role = "arn:aws:iam::576599896960:role/clickhouse-svc-1";
        assert_eq!(
            crate::answers::check_principal(ch, "us-east-1", Some(role)).unwrap(),
            role
        );
        // The role's partition bounds the Regions: not a China or GovCloud key.
        assert!(crate::answers::check_principal(ch, "cn-north-1", Some(role)).is_err());
        let mut v = camunda_json();
        v["principal"]["refuse"] = serde_json::json!([{ "arn": "role/x", "reason": "old" }]);
        assert_eq!(load(v).unwrap_err().field, "principal.refuse[0].arn");
    }

    fn camunda_json() -> serde_json::Value {
        serde_json::from_str(include_str!("../../../assets/vendors/camunda.json")).unwrap()
    }

    fn load(v: serde_json::Value) -> Result<VendorProfile, ProfileError> {
        VendorProfile::from_json("acme.json", &v.to_string())
    }

    #[test]
    fn malformed_files_name_file_and_field() {
        let e = VendorProfile::from_json("acme.json", "{").unwrap_err();
        assert_eq!(e.file, "acme.json");
        assert!(e.field.contains("line"), "{e}");

        let mut v = camunda_json();
        v.as_object_mut().unwrap().remove("next_step");
        let e = load(v).unwrap_err();
        assert_eq!(e.field, "next_step", "{e}");

        let mut v = camunda_json();
        v["colour"] = "blue".into();
        assert_eq!(load(v).unwrap_err().field, "colour");

        let mut v = camunda_json();
        v["statements"][0]["actions"] = serde_json::json!(["kms:*"]);
        let e = load(v).unwrap_err();
        assert_eq!(e.field, "statements[0].actions");
        assert!(e.to_string().contains("acme.json"));

        let mut v = camunda_json();
        v["statements"][1]["actions"] = serde_json::json!(["kms:PutKeyPolicy"]);
        assert_eq!(load(v).unwrap_err().field, "statements[1].actions");

        let mut v = camunda_json();
        v["regions"][0]["code"] = "europe".into();
        assert_eq!(load(v).unwrap_err().field, "regions[0].code");

        let mut v = camunda_json();
        v["id"] = "Camunda SaaS".into();
        assert_eq!(load(v).unwrap_err().field, "id");

        let mut v = camunda_json();
        v["statements"][1]["sid"] = v["statements"][0]["sid"].clone();
        assert_eq!(load(v).unwrap_err().field, "statements[1].sid");

        let mut v = camunda_json();
        v["dual_region"]["recommended"] = "single".into();
        assert_eq!(load(v).unwrap_err().field, "dual_region.recommended");
        // How many Regions besides the primary's: 1 to 8, min no more than max, and no
        // more than the pairs offer.
        for (min, max, field) in [
            (0, 1, "dual_region.min_regions"),
            (2, 1, "dual_region.min_regions"),
            (1, 9, "dual_region.max_regions"),
            (1, 0, "dual_region.max_regions"),
            (2, 2, "dual_region.pairs"),
        ] {
            let mut v = camunda_json();
            v["dual_region"]["min_regions"] = min.into();
            v["dual_region"]["max_regions"] = max.into();
            assert_eq!(load(v).unwrap_err().field, field, "{min} {max}");
        }
        let mut v = camunda_json();
        v["dual_region"]["max_regions"] = 8.into();
        let p = load(v.clone()).unwrap();
        assert_eq!(p.other_regions_range(), (1, 8));
        let first = v["dual_region"]["pairs"][0].clone();
        v["dual_region"]["pairs"]
            .as_array_mut()
            .unwrap()
            .push(first);
        assert_eq!(load(v).unwrap_err().field, "dual_region.pairs[1]");

        let mut v = camunda_json();
        v["principal"]["kind"] = "account-root-by-region".into();
        assert_eq!(load(v).unwrap_err().field, "principal.kind");
    }

    /// What the issue found reaching a shell, Terraform or the terminal: a line break and a
    /// command, OSC 52 (clipboard), a screen clear, a title change, a right-to-left override,
    /// a zero-width space, DEL and the one-byte CSI.
    const HOSTILE: &[&str] = &[
        "Acme\ntouch /tmp/byok-pwned",
        "Acme\r\n}\nresource \"null_resource\" \"x\" {",
        "Acme\x1b]52;c;cm0gLXJmIH4=\x07",
        "Acme\x1b[2J",
        "Acme\x1b]0;pwned\x07",
        "Acme\u{202e}gnp.exe",
        "Ac\u{200b}me",
        "Acme\x7f",
        "Acme\u{9b}2J",
        "Acme\tInc",
    ];

    #[test]
    fn every_text_field_refuses_control_characters_naming_it() {
        let fields: &[(&str, &[&str])] = &[
            ("name", &["name"]),
            ("summary", &["summary"]),
            ("next_step", &["next_step"]),
            (
                "states.Disabled.meaning",
                &["states", "Disabled", "meaning"],
            ),
            ("states.Disabled.action", &["states", "Disabled", "action"]),
            ("regions[0].name", &["regions", "0", "name"]),
            ("principal.label", &["principal", "label"]),
            ("principal.help", &["principal", "help"]),
            ("dual_region.help", &["dual_region", "help"]),
            ("key.description", &["key", "description"]),
            ("key.rotation_note", &["key", "rotation_note"]),
            ("statements[0].sid", &["statements", "0", "sid"]),
            ("root_statement_sid", &["root_statement_sid"]),
            ("version", &["version"]),
        ];
        let mut n = 0;
        for (field, path) in fields {
            for text in HOSTILE {
                let mut v = camunda_json();
                let mut at = &mut v;
                for p in *path {
                    at = match p.parse::<usize>() {
                        Ok(i) => &mut at[i],
                        Err(_) => &mut at[*p],
                    };
                }
                *at = (*text).into();
                let e = load(v).unwrap_err();
                assert_eq!(e.field, *field, "{text:?}: {e}");
                let shown = e.to_string();
                assert!(shown.contains("acme.json"), "{shown}");
                assert!(
                    !shown.chars().any(crate::sanitize::is_unsafe),
                    "the message itself is escaped: {shown:?}"
                );
                n += 1;
            }
        }
        assert_eq!(n, fields.len() * HOSTILE.len());
        // The message says what and where.
        let mut v = camunda_json();
        v["states"]["Disabled"]["meaning"] = "Frozen\x1b]52;c;eA==\x07".into();
        let e = load(v).unwrap_err();
        assert!(
            e.problem.contains(
                "escape character (U+001B, it starts terminal control sequences) at character 7"
            ),
            "{e}"
        );
        // A key of a map (a state name, a condition key) too.
        let mut v = camunda_json();
        v["states"]["Dis\x1b[2Jabled"] = serde_json::json!({ "meaning": "x" });
        let e = load(v).unwrap_err();
        assert_eq!(e.field, "states.Dis\x1b[2Jabled");
        assert!(e.to_string().contains("states.Dis\\u{1b}[2Jabled"), "{e}");
        let mut v = camunda_json();
        v["statements"][1]["condition"] =
            serde_json::json!({ "Bool": { "kms:GrantIsForAWSResource": "true\nx" } });
        let e = load(v).unwrap_err();
        assert_eq!(
            e.field,
            "statements[1].condition.Bool.kms:GrantIsForAWSResource"
        );
    }

    #[test]
    fn quotes_and_template_text_load_and_are_left_to_each_destination() {
        let mut v = camunda_json();
        v["name"] = "Acme \"Cloud\" ${jndi} %{if} $(id) `id` 'q' \\".into();
        v["next_step"] = "Tell Acme: \"done\" & <b>${x}</b>".into();
        v["regions"][0]["name"] = "Europe (Zürich) ${x}".into();
        load(v).unwrap();
    }

    #[test]
    fn lengths_counts_and_policy_characters_are_bounded() {
        type Edit = Box<dyn Fn(&mut serde_json::Value)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("name", Box::new(|v| v["name"] = "n".repeat(65).into())),
            (
                "next_step",
                Box::new(|v| v["next_step"] = "n".repeat(1001).into()),
            ),
            (
                "states.Disabled.meaning",
                Box::new(|v| v["states"]["Disabled"]["meaning"] = "m".repeat(1001).into()),
            ),
            (
                "regions[0].name",
                Box::new(|v| v["regions"][0]["name"] = "r".repeat(65).into()),
            ),
            (
                "regions[0].name",
                Box::new(|v| v["regions"][0]["name"] = " ".into()),
            ),
            (
                "statements[0].sid",
                Box::new(|v| v["statements"][0]["sid"] = "S".repeat(129).into()),
            ),
            (
                "statements[0].sid",
                Box::new(|v| v["statements"][0]["sid"] = "Allow-use".into()),
            ),
            (
                "statements[0].sid",
                Box::new(|v| v["statements"][0]["sid"] = "Allow ${x}".into()),
            ),
            (
                "root_statement_sid",
                Box::new(|v| v["root_statement_sid"] = "Root: all".into()),
            ),
            (
                "statements[0].actions[0]",
                Box::new(|v| v["statements"][0]["actions"][0] = "kms:Decrypt\u{1b}".into()),
            ),
            (
                "statements[0].actions[0]",
                Box::new(|v| v["statements"][0]["actions"][0] = "kms:Decrypt Encrypt".into()),
            ),
            (
                "statements[1].condition.StringEquals.kms:ViaService",
                Box::new(
                    |v| v["statements"][1]["condition"] = serde_json::json!({ "StringEquals": { "kms:ViaService": "ec2.€.amazonaws.com" } }),
                ),
            ),
            ("version", Box::new(|v| v["version"] = "1 2".into())),
            (
                "docs_url",
                Box::new(|v| v["docs_url"] = "javascript:alert(1)".into()),
            ),
            (
                "key.secondary_alias_suffix",
                Box::new(|v| v["key"]["secondary_alias_suffix"] = "-rep lica".into()),
            ),
            (
                "states.Pending-Deletion",
                Box::new(|v| {
                    v["states"]["Pending-Deletion"] = serde_json::json!({ "meaning": "x" })
                }),
            ),
            (
                "regions",
                Box::new(|v| {
                    let r = v["regions"][0].clone();
                    v["regions"] = serde_json::Value::Array(vec![r; 65]);
                }),
            ),
            (
                "statements",
                Box::new(|v| {
                    v["statements"] = serde_json::Value::Array(
                        (0..17)
                            .map(|i| serde_json::json!({ "sid": format!("S{i}"), "actions": ["kms:Decrypt"] }))
                            .collect(),
                    )
                }),
            ),
        ];
        for (field, edit) in cases {
            let mut v = camunda_json();
            edit(&mut v);
            let e = load(v).unwrap_err();
            assert_eq!(e.field, field, "{e}");
        }
        // A huge value is not echoed back whole.
        let mut v = camunda_json();
        v["nam\x1be".repeat(20_000)] = "x".into();
        let e = load(v).unwrap_err();
        assert!(e.to_string().len() < 3000, "{} bytes", e.to_string().len());
    }

    #[test]
    fn only_small_regular_files_are_read() {
        let dir = std::env::temp_dir().join(format!("byok-vendor-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // Over the limit, even as valid JSON (spaces).
        let big = dir.join("big.json");
        let mut text = camunda_json().to_string();
        text.push_str(&" ".repeat(MAX_FILE_BYTES as usize));
        std::fs::write(&big, &text).unwrap();
        let e = VendorProfile::from_file(&big).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.file.contains("big.json")),
            ("(file)", true)
        );
        assert!(e.problem.contains("1024 KiB"), "{e}");
        // A device that never ends, refused at once.
        let t0 = std::time::Instant::now();
        let e = VendorProfile::from_file(Path::new("/dev/zero")).unwrap_err();
        assert!(t0.elapsed() < std::time::Duration::from_secs(1));
        assert!(
            e.to_string()
                .contains("/dev/zero: (file): is a character device"),
            "{e}"
        );
        // A named pipe nobody writes to: refused, not waited on.
        let fifo = dir.join("fifo.json");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = VendorProfile::from_file(&fifo).unwrap_err();
            assert!(e.problem.contains("named pipe"), "{e}");
        }
        let e = VendorProfile::from_file(&dir).unwrap_err();
        assert!(e.problem.contains("a directory"), "{e}");
        let bin = dir.join("bin.json");
        std::fs::write(&bin, b"{\"id\": \"\xff\"}").unwrap();
        let e = VendorProfile::from_file(&bin).unwrap_err();
        assert!(e.problem.contains("not UTF-8"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_replaces_or_adds() {
        let dir = std::env::temp_dir().join(format!("byok-vendor-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut v = camunda_json();
        v["id"] = "acme".into();
        v["name"] = "Acme".into();
        let path = dir.join("acme.json");
        std::fs::write(&path, v.to_string()).unwrap();
        let c = Catalog::with_files(std::slice::from_ref(&path)).unwrap();
        assert_eq!(
            c.ids(),
            vec![
                "camunda",
                "gearset",
                "clickhouse",
                "aiven",
                "confluent",
                "snowflake",
                "mongodb-atlas",
                "cockroachdb",
                "gitlab-dedicated",
                "databricks",
                "elastic",
                "other",
                "acme"
            ]
        );
        let e = Catalog::with_files(&[dir.join("missing.json")]).unwrap_err();
        assert!(e.to_string().contains("missing.json"));
    }

    fn atlas_json() -> serde_json::Value {
        serde_json::from_str(include_str!("../../../assets/vendors/mongodb-atlas.json")).unwrap()
    }

    #[test]
    fn a_customer_role_may_only_use_the_key() {
        load(atlas_json()).unwrap();
        for (bad, field) in [
            ("kms:*", "customer_role.policy[0].actions"),
            ("*", "customer_role.policy[0].actions"),
            ("kms:PutKeyPolicy", "customer_role.policy[0].actions"),
            ("kms:ScheduleKeyDeletion", "customer_role.policy[0].actions"),
            ("iam:PassRole", "customer_role.policy[0].actions"),
            ("iam:*", "customer_role.policy[0].actions"),
            ("sts:AssumeRole", "customer_role.policy[0].actions"),
            ("s3:GetObject", "customer_role.policy[0].actions"),
        ] {
            let mut v = atlas_json();
            v["customer_role"]["policy"][0]["actions"] = serde_json::json!([bad]);
            assert_eq!(load(v).unwrap_err().field, field, "{bad}");
        }
        let mut v = atlas_json();
        v["customer_role"]["policy"][0]["resource"] = "*".into();
        assert!(
            load(v).is_err(),
            "a role statement names no Resource of its own"
        );
        let mut v = atlas_json();
        v["customer_role"]["name"] = "has space".into();
        assert_eq!(load(v).unwrap_err().field, "customer_role.name");
        let mut v = atlas_json();
        v["customer_role"]["policy"] = serde_json::json!([]);
        assert_eq!(load(v).unwrap_err().field, "customer_role.policy");
        let mut v = atlas_json();
        v["customer_role"]["external_id"]["pattern"] = "anything".into();
        assert!(load(v).is_err());
        let mut v = atlas_json();
        v["principal"]["kind"] = "iam-role-arn".into();
        assert_eq!(load(v).unwrap_err().field, "principal.kind");
        let mut v = atlas_json();
        v["customer_role"]["external_id"]["help"] = "line\nbreak".into();
        assert_eq!(load(v).unwrap_err().field, "customer_role.external_id.help");
    }

    #[test]
    fn only_a_customer_role_may_be_pasted_back_as_a_role() {
        let c = Catalog::built_in();
        assert!(
            c.get("mongodb-atlas")
                .unwrap()
                .paste_back
                .contains(&PasteBack::RoleArn)
        );
        let mut v = camunda_json();
        v["paste_back"] = serde_json::json!(["role-arn", "key-arn"]);
        assert_eq!(load(v).unwrap_err().field, "paste_back");
    }

    #[test]
    fn external_id_patterns() {
        use ExternalIdPattern::*;
        assert!(Aws.check("3192be49-6e76-4b7d-a7b8-b486a8fc4483").is_ok());
        assert!(Aws.check("org_1+=,.@:/-").is_ok());
        for bad in ["", "x", "a*b", "a?b", "a b", "ünï"] {
            assert!(Aws.check(bad).is_err(), "{bad}");
        }
        assert!(Aws.check(&"a".repeat(1225)).is_err());
        assert!(Uuid.check("3192be49-6e76-4b7d-a7b8-b486a8fc4483").is_ok());
        assert!(Uuid.check("3192be49-6e76-4b7d-a7b8-b486a8fc448").is_err());
    }
}
