//! `byok status`: find every key byok made (and any key the user names), read its state,
//! rotation and policy, and judge it against the vendor's profile: what the state means
//! for the vendor's service and the one action that recovers it. Then the lifecycle
//! actions, each planned as a list of changes (with the policy diff) before anything is sent.
//!
//! Cost: per Region a constant number of list calls (`ListKeys`, `ListAliases`), then per
//! key `ListResourceTags` and, for byok's keys, `DescribeKey` + `GetKeyPolicy` +
//! `GetKeyRotationStatus` together; at most [`KEYS_IN_FLIGHT`] keys per Region at once.
//!
//! This module holds the report (what is shown); `scope` where to look, `discovery` the
//! reads, `assess` the judging, `actions` the actions, `demo` the demo's keys. Their
//! items are re-exported here, so callers name them `status::X`.

use std::collections::{BTreeSet, HashMap, HashSet};

use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::kms::{AliasEntry, KeyInfo, KeyService, KmsError, KmsResult, Rotation};
use crate::plan::{TAG_MANAGED_BY, TAG_ROLE, TAG_VENDOR};
use crate::policy::{self, PolicyProblem, same_principal};
use crate::vendor::{Catalog, VendorProfile};

/// Keys whose details are read at the same time, per Region.
pub const KEYS_IN_FLIGHT: usize = 8;
/// The tag byok writes with the vendor principal when it revokes (or restores) access. It is
/// a hint only: anyone allowed `kms:TagResource` on the key can write it, so byok never takes
/// the principal from it, and reports it when it disagrees with a source byok trusts.
pub const TAG_VENDOR_PRINCIPAL: &str = "byok:vendor-principal";

// ---------------------------------------------------------------------------------------
// What is shown

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    Ok,
    NeedsAttention,
    Broken,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Ok => "OK",
            Health::NeedsAttention => "needs attention",
            Health::Broken => "broken",
        }
    }
    pub fn symbol(self) -> &'static str {
        match self {
            Health::Ok => "✓",
            Health::NeedsAttention => "!",
            Health::Broken => "✗",
        }
    }
}

/// What a finding is about, for programs (the JSON `kind`) and for the suggested fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// Disabled, pending deletion, being created or updated.
    State,
    /// byok made the key and KMS no longer lists it.
    Deleted,
    /// The key could not be described.
    Unreadable,
    /// The vendor profile is not loaded, or byok cannot tell the vendor.
    VendorUnknown,
    PolicyUnreadable,
    /// No source byok trusts names the vendor principal.
    PrincipalUnknown,
    /// A vendor that names its principal only once the key ARN is registered with it, and
    /// the key policy has none of its statements yet: the vendor cannot use the key.
    WaitingForPrincipal,
    /// The vendor principal lacks actions its profile requires.
    MissingActions,
    /// byok revoked the vendor's access.
    AccessRevoked,
    /// The vendor may use the key in more ways than its profile asks.
    ExtraActions,
    /// A vendor statement lacks part of the profile's condition: byok can add it.
    ConditionMissing,
    /// A vendor statement's condition gives another value than the profile's for a key.
    ConditionDiffers,
    /// Another lint problem (size, malformed).
    PolicyLint,
    /// Danger: no account-root statement.
    MissingRoot,
    /// Danger: anyone may use the key (a wildcard principal without a narrowing condition).
    WildcardPrincipal,
    /// Danger: the vendor may manage the key (change its policy, disable or delete it).
    VendorManagesKey,
    /// Two sources byok trusts name different vendor principals.
    PrincipalDisagrees,
    /// The `byok:vendor-principal` tag names another principal than a trusted source.
    TagDisagrees,
    /// The `byok:vendor-principal` tag names a principal nothing byok trusts confirms.
    TagUnconfirmed,
    /// byok's tags, but neither the journal nor the key policy shows byok set it up.
    NotMadeByByok,
    RotationOff,
    RotationUnreadable,
    /// A replica of a Multi-Region primary is not enabled.
    Replica,
    NoAlias,
    /// The policy still grants a principal the vendor has retired (ClickHouse's old shared
    /// role): its profile lists it under `principal.refuse`.
    RetiredPrincipal,
    /// A key a run of the same setup made while another run's key took the alias: retired
    /// (tagged `byok:duplicate-of`), or still to retire.
    Duplicate,
    /// The role in the account that the vendor assumes (MongoDB Atlas, CockroachDB): missing,
    /// not trusted by a principal with an external ID, or not granted this key.
    Role,
}

impl FindingKind {
    /// A policy that lets someone other than you manage the key, or anyone use it.
    pub fn is_danger(self) -> bool {
        matches!(
            self,
            FindingKind::MissingRoot
                | FindingKind::WildcardPrincipal
                | FindingKind::VendorManagesKey
        )
    }
}

/// One thing found about a key: what it is, what it means for the vendor, and the fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Health,
    pub what: String,
    pub meaning: String,
    pub fix: String,
}

/// A replica of a Multi-Region primary, as seen from its own Region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplicaStatus {
    pub region: String,
    pub arn: String,
    /// None when it could not be read.
    pub state: Option<String>,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MultiRegionStatus {
    /// PRIMARY or REPLICA.
    pub role: String,
    pub primary_region: String,
    pub primary_arn: String,
    pub replicas: Vec<ReplicaStatus>,
}

/// The key policy judged against the vendor profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct PolicyCheck {
    /// The vendor principal the check is about; None when no source byok trusts names it.
    pub vendor_principal: Option<String>,
    /// Where the principal came from (never a tag).
    pub principal_source: Option<PrincipalSource>,
    pub required: Vec<String>,
    /// Required actions the vendor principal lacks (or is denied).
    pub missing: Vec<String>,
    /// Actions the vendor principal has beyond what the profile requires.
    pub extra: Vec<String>,
    /// An account-root statement with `kms:*` exists (what prevents a lockout).
    pub root_statement: bool,
    /// Vendor statements that lack part of the profile's condition, or give another value
    /// for one of its keys (a condition of your own beyond the profile's only narrows).
    pub condition_differs: Vec<String>,
    /// Lint problems (wildcard principals, a vendor allowed to manage the key, size).
    pub lint: Vec<String>,
}

/// A key's state: what KMS reports, and what byok adds when it cannot describe the key
/// (`Deleted`: gone; `Unknown`: unreadable). Shown and serialized as KMS spells it; compares
/// equal to that text (`state == "Enabled"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
    PendingReplicaDeletion,
    PendingImport,
    Unavailable,
    Creating,
    Updating,
    Deleted,
    Unknown,
    /// A state this release of byok does not know (KMS may add one).
    Other(String),
}

impl KeyState {
    pub fn parse(s: &str) -> KeyState {
        match s {
            "Enabled" => KeyState::Enabled,
            "Disabled" => KeyState::Disabled,
            "PendingDeletion" => KeyState::PendingDeletion,
            "PendingReplicaDeletion" => KeyState::PendingReplicaDeletion,
            "PendingImport" => KeyState::PendingImport,
            "Unavailable" => KeyState::Unavailable,
            "Creating" => KeyState::Creating,
            "Updating" => KeyState::Updating,
            "Deleted" => KeyState::Deleted,
            "Unknown" => KeyState::Unknown,
            other => KeyState::Other(crate::sanitize::line(other).into_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
            KeyState::PendingReplicaDeletion => "PendingReplicaDeletion",
            KeyState::PendingImport => "PendingImport",
            KeyState::Unavailable => "Unavailable",
            KeyState::Creating => "Creating",
            KeyState::Updating => "Updating",
            KeyState::Deleted => "Deleted",
            KeyState::Unknown => "Unknown",
            KeyState::Other(s) => s,
        }
    }

    /// Waiting for its deletion (or its replicas').
    pub fn is_pending_deletion(&self) -> bool {
        matches!(
            self,
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
        )
    }

    /// A state KMS reports for a key that exists: byok can act on it.
    pub fn is_live(&self) -> bool {
        !matches!(
            self,
            KeyState::Deleted | KeyState::Unknown | KeyState::Other(_)
        )
    }
}

impl std::fmt::Display for KeyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for KeyState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl From<&str> for KeyState {
    fn from(s: &str) -> Self {
        KeyState::parse(s)
    }
}

impl From<String> for KeyState {
    fn from(s: String) -> Self {
        KeyState::parse(&s)
    }
}

impl PartialEq<&str> for KeyState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for KeyState {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// Everything `byok status` knows about one regional key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyStatus {
    pub arn: String,
    pub key_id: String,
    pub region: String,
    pub account: String,
    /// The vendor profile id, from the `byok:vendor` tag or `--vendor`.
    pub vendor: Option<String>,
    pub vendor_name: Option<String>,
    /// How it was found: "tags" (byok made it) or "named" (`--key`).
    pub found_by: String,
    /// byok's role tag: primary, replica or secondary.
    pub byok_role: Option<String>,
    pub aliases: Vec<String>,
    /// The key's state; `Deleted` when a named key no longer exists.
    pub state: KeyState,
    pub enabled: bool,
    pub description: String,
    pub created: Option<String>,
    pub deletion_date: Option<String>,
    pub multi_region: Option<MultiRegionStatus>,
    pub rotation: Option<crate::kms::Rotation>,
    pub administrators: Vec<String>,
    pub policy: Option<PolicyCheck>,
    /// What the state means for the vendor's service, from its profile.
    pub meaning: String,
    /// The one action that recovers it (empty when nothing is needed).
    pub recovery: String,
    pub health: Health,
    pub findings: Vec<Finding>,
    /// The policy document as read (not in JSON output: it can be long).
    #[serde(skip)]
    pub policy_document: Option<String>,
    /// The alerts on this key (read from AWS after discovery; absent when not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<crate::alerts::AlertsStatus>,
}

impl KeyStatus {
    /// The alias to show: the first one, else the key ID.
    pub fn name(&self) -> &str {
        self.aliases
            .first()
            .map(String::as_str)
            .unwrap_or(&self.key_id)
    }
    pub fn is_replica(&self) -> bool {
        self.multi_region
            .as_ref()
            .is_some_and(|m| m.role == "REPLICA")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionError {
    pub kind: String,
    pub message: String,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionReport {
    pub region: String,
    /// The account the Region was read in (`--accounts` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Keys listed in the Region (customer keys; AWS-managed ones are skipped).
    pub keys_listed: usize,
    pub byok_keys: usize,
    pub error: Option<RegionError>,
    /// Keys whose tags could not be read (`key ID: reason`): byok cannot tell whether they
    /// are its own, so they are listed rather than silently skipped.
    pub unreadable: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Summary {
    pub ok: usize,
    pub needs_attention: usize,
    pub broken: usize,
    pub overall: Option<Health>,
}

/// One account of an organisation-wide report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountReport {
    pub account: String,
    /// The name Organizations gives it (None for `--accounts` lists).
    pub name: Option<String>,
    /// "caller" when read with the caller's own credentials; else the role ARN assumed.
    pub access: String,
    /// Why it could not be assumed or read; its keys are then not shown.
    pub error: Option<RegionError>,
    /// Its Regions that could not be read.
    pub regions_failed: usize,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    pub regions: Vec<RegionReport>,
    pub keys: Vec<KeyStatus>,
    /// Problems with `--key` names (not found anywhere, unreadable).
    pub named_errors: Vec<String>,
    pub summary: Summary,
    /// `--accounts`: every account read (or that could not be), with its own summary.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountReport>,
}

impl StatusReport {
    /// No Region could be read and no key was found: the report says nothing about any key,
    /// which cron must tell from a finding (exit 6, not 1).
    pub fn nothing_read(&self) -> bool {
        !self.regions.is_empty()
            && self.regions.iter().all(|r| r.error.is_some())
            && self.keys.is_empty()
            && self.accounts.is_empty()
    }

    pub fn overall(&self) -> Health {
        let h = overall(&self.keys, &self.regions);
        if self.accounts.iter().any(|a| a.error.is_some()) {
            h.max(Health::NeedsAttention)
        } else {
            h
        }
    }
}

/// The overall health: the worst key; a Region that could not be read needs attention
/// (one that is not enabled for the account is only reported: it cannot hold keys).
pub fn overall(keys: &[KeyStatus], regions: &[RegionReport]) -> Health {
    let worst = keys.iter().map(|k| k.health).max().unwrap_or(Health::Ok);
    if regions.iter().any(|r| {
        r.error
            .as_ref()
            .is_some_and(|e| e.kind != "region-not-enabled")
    }) {
        worst.max(Health::NeedsAttention)
    } else {
        worst
    }
}

pub fn summarize(keys: &[KeyStatus], regions: &[RegionReport]) -> Summary {
    let count = |h| keys.iter().filter(|k| k.health == h).count();
    Summary {
        ok: count(Health::Ok),
        needs_attention: count(Health::NeedsAttention),
        broken: count(Health::Broken),
        overall: Some(overall(keys, regions)),
    }
}

/// An RFC 3339 time as people read it: `2026-12-31 18:20 UTC` (KMS gives microseconds and a
/// `Z`; the JSON keeps the exact value). Anything else is shown as it is, made printable.
pub fn human_time(t: &str) -> String {
    let b = t.as_bytes();
    let shaped = b.len() >= 16
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
        && t.is_char_boundary(16);
    if !shaped {
        return crate::sanitize::line(t).into_owned();
    }
    // The offset: after the seconds and their fraction.
    let rest = &t[16..];
    let offset = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == ':' || c == '.');
    let zone = match offset {
        "" | "Z" | "z" | "+00:00" => "UTC".to_string(),
        o => format!("UTC{}", crate::sanitize::line(o)),
    };
    crate::sanitize::line(&format!("{} {} {zone}", &t[..10], &t[11..16])).into_owned()
}

/// A state name for a count in a summary line ("2 OK, 1 broken").
pub fn summary_line(s: &Summary) -> String {
    let total = s.ok + s.needs_attention + s.broken;
    format!(
        "{total} key{}: {} OK, {} need{} attention, {} broken — overall {}",
        if total == 1 { "" } else { "s" },
        s.ok,
        s.needs_attention,
        if s.needs_attention == 1 { "s" } else { "" },
        s.broken,
        s.overall.unwrap_or(Health::Ok).label()
    )
}

mod actions;
mod assess;
mod demo;
mod discovery;
mod scope;
#[cfg(test)]
mod tests;

pub use actions::*;
pub use assess::*;
pub use demo::*;
pub use discovery::*;
pub use scope::*;
