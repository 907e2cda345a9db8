//! `byok status`: find every key byok made (and any key the user names), read its state,
//! rotation and policy, and judge it against the vendor's profile: what the state means
//! for the vendor's service and the one action that recovers it. Then the lifecycle
//! actions, each planned as a list of changes (with the policy diff) before anything is sent.
//!
//! Cost: per Region a constant number of list calls (`ListKeys`, `ListAliases`), then per
//! key `ListResourceTags` and, for byok's keys, `DescribeKey` + `GetKeyPolicy` +
//! `GetKeyRotationStatus` together; at most [`KEYS_IN_FLIGHT`] keys per Region at once.

use std::collections::{BTreeSet, HashMap, HashSet};

use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::kms::{AliasEntry, KeyInfo, KeyService, KmsError, KmsResult, Rotation};
use crate::plan::{TAG_MANAGED_BY, TAG_ROLE, TAG_VENDOR};
use crate::policy::{self, PolicyProblem, same_principal};
use crate::vendor::{Catalog, PrincipalKind, VendorProfile};

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
    /// A key a run of the same setup made while another run's key took the alias: retired
    /// (tagged `byok:duplicate-of`), or still to retire.
    Duplicate,
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
    /// KMS key state; "Deleted" when a named key no longer exists.
    pub state: String,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    pub regions: Vec<RegionReport>,
    pub keys: Vec<KeyStatus>,
    /// Problems with `--key` names (not found anywhere, unreadable).
    pub named_errors: Vec<String>,
    pub summary: Summary,
    /// `--accounts`: every account read (or that could not be), with its own summary.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<crate::org::AccountReport>,
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

// ---------------------------------------------------------------------------------------
// Where to look

/// What the user asked to see.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `--region`: only these Regions (empty: the discovery Regions).
    pub regions: Vec<String>,
    /// `--key ARN|alias`, repeatable.
    pub keys: Vec<String>,
    /// `--vendor`: the profile for named keys without byok tags.
    pub vendor: Option<String>,
    /// `--principal`: the vendor principal for named keys whose policy no longer names it.
    pub principal: Option<String>,
    /// Extra Regions to scan (from the journal, the profile's default Region).
    pub extra_regions: Vec<String>,
    /// Scan every commercial Region.
    pub all_regions: bool,
    /// Do not scan for tagged keys: only the named ones (used by actions).
    pub named_only: bool,
    /// Keys byok's journal says it made: one that is no longer listed in its (scanned)
    /// Region is shown as Deleted, so a lost key is reported, not silently forgotten.
    pub known_keys: Vec<KnownKey>,
}

/// A key from the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownKey {
    pub arn: String,
    pub vendor: Option<String>,
    pub alias: Option<String>,
    pub role: Option<String>,
    /// The vendor principal the key was made for (journals before it was recorded: None).
    pub principal: Option<String>,
}

impl KnownKey {
    /// The journal's entry for a key: its ARN, or (a Multi-Region key) its key ID in the
    /// same account.
    pub fn find<'k>(known: &'k [KnownKey], arn: &str) -> Option<&'k KnownKey> {
        known.iter().find(|k| k.arn == arn).or_else(|| {
            let (account, id) = (account_of(arn), arn.rsplit('/').next()?);
            known.iter().find(|k| {
                id.starts_with("mrk-")
                    && k.arn.rsplit('/').next() == Some(id)
                    && account_of(&k.arn) == account
            })
        })
    }
}

/// The keys a journal records as created or adopted, once each, newest facts last.
pub fn known_keys(entries: &[crate::journal::Entry]) -> Vec<KnownKey> {
    let mut out: Vec<KnownKey> = Vec::new();
    // Linear: each ARN's place is looked up, not searched for.
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for e in entries {
        let Some(arn) = &e.arn else { continue };
        if !arn.contains(":key/") {
            continue;
        }
        let k = KnownKey {
            arn: arn.clone(),
            vendor: e.setup.split('/').next().map(str::to_string),
            alias: e.alias.clone(),
            role: e.role.map(|r| r.as_str().to_string()),
            principal: e.principal.clone(),
        };
        match index.get(arn.as_str()) {
            Some(&i) => {
                if k.alias.is_some() {
                    out[i].alias = k.alias;
                }
                if k.principal.is_some() {
                    out[i].principal = k.principal;
                }
            }
            None => {
                index.insert(arn, out.len());
                out.push(k);
            }
        }
    }
    out
}

/// A key the journal knows that KMS no longer lists: deleted, and what that means.
pub fn gone_key(catalog: &Catalog, k: &KnownKey) -> KeyStatus {
    let a = crate::arn::Arn::parse(&k.arn).ok();
    let profile = k.vendor.as_deref().and_then(|v| catalog.get(v));
    let (meaning, recovery) = meaning_of(profile, "Deleted");
    KeyStatus {
        arn: k.arn.clone(),
        key_id: k.arn.rsplit('/').next().unwrap_or_default().to_string(),
        region: a.as_ref().map(|a| a.region.clone()).unwrap_or_default(),
        account: a.as_ref().map(|a| a.account.clone()).unwrap_or_default(),
        vendor: k.vendor.clone(),
        vendor_name: profile.map(|p| p.name.clone()),
        found_by: "journal".into(),
        byok_role: k.role.clone(),
        aliases: k.alias.iter().cloned().collect(),
        state: "Deleted".into(),
        enabled: false,
        description: String::new(),
        created: None,
        deletion_date: None,
        multi_region: None,
        rotation: None,
        administrators: vec![],
        policy: None,
        meaning: meaning.clone(),
        recovery: recovery.clone(),
        health: Health::Broken,
        findings: vec![Finding {
            kind: FindingKind::Deleted,
            severity: Health::Broken,
            what: "byok made this key, and KMS no longer lists it: it was deleted".into(),
            meaning,
            fix: recovery,
        }],
        policy_document: None,
        alerts: None,
    }
}

/// The Regions to scan: every Region of every vendor profile (including dual-region
/// pairs), plus the extra ones, limited by `--region`.
pub fn discovery_regions(catalog: &Catalog, scope: &Scope) -> Vec<String> {
    if !scope.regions.is_empty() {
        let mut out = Vec::new();
        for r in &scope.regions {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        return out;
    }
    let mut set = BTreeSet::new();
    if scope.all_regions {
        set.extend(crate::regions::REGIONS.iter().map(|(c, _)| c.to_string()));
    }
    for p in &catalog.profiles {
        set.extend(p.regions.iter().map(|r| r.code.clone()));
        if let Some(d) = &p.dual_region {
            for pair in &d.pairs {
                set.insert(pair.primary.clone());
                set.insert(pair.secondary.clone());
            }
        }
    }
    set.extend(scope.extra_regions.iter().cloned());
    set.into_iter().collect()
}

/// Check `--region`, `--key` and the like before any call: each message names the flag and the fix.
pub fn check_scope(catalog: &Catalog, scope: &Scope) -> Vec<String> {
    let mut errs = Vec::new();
    for r in &scope.regions {
        if !crate::arn::is_region_code(r) {
            errs.push(format!(
                "Region (--region): {r:?} is not an AWS Region code such as eu-west-1"
            ));
        }
    }
    for k in &scope.keys {
        if let Err(e) = check_key_ref(k) {
            errs.push(format!("Key (--key): {e}"));
        }
    }
    if let Some(v) = &scope.vendor
        && catalog.get(v).is_none()
    {
        errs.push(format!(
            "Vendor (--vendor): {v:?} is not a known profile; choose one of {}",
            catalog.ids().join(", ")
        ));
    }
    if let Some(p) = &scope.principal
        && let Err(e) = crate::arn::check_iam_principal(p, crate::arn::Want::AnyPrincipal)
        && !crate::arn::is_account_id(p)
    {
        errs.push(format!("Vendor principal (--principal): {e}"));
    }
    errs
}

/// A `--key` value: a key ARN, an alias ARN, `alias/NAME` or a key ID.
pub fn check_key_ref(k: &str) -> Result<(), String> {
    if k.starts_with("arn:") {
        let a = crate::arn::Arn::parse(k)?;
        if a.service != "kms"
            || !(a.resource.starts_with("key/") || a.resource.starts_with("alias/"))
        {
            return Err(format!(
                "{k:?} is not a KMS key or alias ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)"
            ));
        }
        return Ok(());
    }
    if k.starts_with("alias/") {
        return crate::answers::normalize_alias(k).map(|_| ());
    }
    let id = k.strip_prefix("mrk-").unwrap_or(k);
    let uuid_like = id.len() >= 32 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if uuid_like {
        Ok(())
    } else {
        Err(format!(
            "{k:?} is neither a key ARN, an alias (alias/NAME) nor a key ID"
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Discovery

/// What discovery reports as it goes, so a screen can show keys before all are loaded.
#[derive(Debug, Clone)]
pub enum StatusEvent {
    /// The Regions about to be scanned.
    Scanning {
        regions: Vec<String>,
    },
    /// A Region was listed: how many keys byok will look at.
    RegionListed {
        region: String,
        candidates: usize,
    },
    RegionFailed {
        region: String,
        error: RegionError,
    },
    Key(Box<KeyStatus>),
    /// A `--key` that could not be found or read.
    NamedError(String),
    /// A key whose tags could not be read.
    Unreadable {
        region: String,
        key_id: String,
        reason: String,
    },
    Done,
}

fn region_error(e: &KmsError) -> RegionError {
    let kind = serde_json::to_value(e)
        .ok()
        .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    RegionError {
        kind,
        message: e.to_string(),
        explanation: e.explain(None, ""),
    }
}

struct RegionListing {
    keys: Vec<String>,
    /// key id -> alias names
    aliases: HashMap<String, Vec<String>>,
    /// Keys behind `alias/aws/...`: AWS-managed, never byok's.
    aws_managed: HashSet<String>,
}

fn index_aliases(list: Vec<AliasEntry>) -> RegionListing {
    let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
    let mut aws_managed = HashSet::new();
    for a in list {
        if let Some(t) = a.target_key_id {
            if a.name.starts_with("alias/aws/") {
                aws_managed.insert(t.clone());
            }
            aliases.entry(t).or_default().push(a.name);
        }
    }
    for v in aliases.values_mut() {
        v.sort();
    }
    RegionListing {
        keys: vec![],
        aliases,
        aws_managed,
    }
}

async fn list_region<S: KeyService>(svc: &S, region: &str) -> Result<RegionListing, KmsError> {
    let (keys, aliases) = tokio::join!(svc.list_keys(region), svc.list_aliases(region));
    let mut listing = index_aliases(aliases?);
    listing.keys = keys?;
    Ok(listing)
}

/// Run discovery, sending events as keys load; returns when every Region is done.
pub async fn discover<S: KeyService>(
    svc: &S,
    catalog: &Catalog,
    scope: &Scope,
    tx: &mpsc::UnboundedSender<StatusEvent>,
) {
    let regions = if scope.named_only {
        vec![]
    } else {
        discovery_regions(catalog, scope)
    };
    let _ = tx.send(StatusEvent::Scanning {
        regions: regions.clone(),
    });

    // 1. The list calls of every Region, all at once. (Futures are built first and then
    // awaited, so no closure lives across an await: the task stays provably Send.)
    let list_futs: Vec<_> = regions
        .iter()
        .map(|r| async move { (r.clone(), list_region(svc, r).await) })
        .collect();
    let listings: Vec<(String, Result<RegionListing, KmsError>)> =
        futures_util::future::join_all(list_futs).await;
    let mut alias_maps: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    let mut ok_regions = Vec::new();
    for (region, l) in listings {
        match l {
            Ok(l) => {
                alias_maps.insert(region.clone(), l.aliases.clone());
                ok_regions.push((region, l));
            }
            Err(e) => {
                let _ = tx.send(StatusEvent::RegionFailed {
                    region,
                    error: region_error(&e),
                });
            }
        }
    }
    let ctx = Ctx {
        svc,
        catalog,
        scope,
        alias_maps: &alias_maps,
    };

    // 2. Keys the journal knows that are gone from a Region that answered, in this account.
    if !scope.known_keys.is_empty()
        && !scope.named_only
        && let Ok(me) = svc.identity().await
    {
        for k in &scope.known_keys {
            let Ok(a) = crate::arn::Arn::parse(&k.arn) else {
                continue;
            };
            let key_id = k.arn.rsplit('/').next().unwrap_or_default();
            if a.account != me.account {
                continue;
            }
            if let Some((_, l)) = ok_regions.iter().find(|(r, _)| *r == a.region)
                && !l.keys.iter().any(|x| x == key_id)
            {
                let _ = tx.send(StatusEvent::Key(Box::new(gone_key(catalog, k))));
            }
        }
    }

    // 3. The keys named with --key.
    let mut seen: HashSet<String> = HashSet::new();
    let named_futs: Vec<_> = scope
        .keys
        .iter()
        .map(|k| ctx.resolve_named(k, &ok_regions))
        .collect();
    let mut named = futures_util::stream::iter(named_futs).buffer_unordered(KEYS_IN_FLIGHT);
    while let Some(r) = named.next().await {
        match r {
            Ok(Some(ks)) => {
                if seen.insert(ks.arn.clone()) {
                    let _ = tx.send(StatusEvent::Key(Box::new(ks)));
                }
            }
            Ok(None) => {}
            Err(msg) => {
                let _ = tx.send(StatusEvent::NamedError(msg));
            }
        }
    }
    drop(named);

    // 4. Every Region's keys: tags first, details for byok's; bounded per Region.
    let mut per_region = Vec::new();
    for (region, l) in &ok_regions {
        let futs: Vec<_> = l
            .keys
            .iter()
            .filter(|k| !l.aws_managed.contains(*k))
            .map(|key_id| ctx.load_if_byok(region, key_id))
            .collect();
        let _ = tx.send(StatusEvent::RegionListed {
            region: region.clone(),
            candidates: futs.len(),
        });
        per_region.push(drain(futs, tx, &seen));
    }
    futures_util::future::join_all(per_region).await;
    let _ = tx.send(StatusEvent::Done);
}

/// Await a Region's key futures, at most [`KEYS_IN_FLIGHT`] at once, sending each byok key.
async fn drain<F: std::future::Future<Output = Found>>(
    futs: Vec<F>,
    tx: &mpsc::UnboundedSender<StatusEvent>,
    seen: &HashSet<String>,
) {
    let mut s = futures_util::stream::iter(futs).buffer_unordered(KEYS_IN_FLIGHT);
    while let Some(r) = s.next().await {
        match r {
            Found::Byok(ks) if !seen.contains(&ks.arn) => {
                let _ = tx.send(StatusEvent::Key(ks));
            }
            Found::Unreadable {
                region,
                key_id,
                reason,
            } => {
                let _ = tx.send(StatusEvent::Unreadable {
                    region,
                    key_id,
                    reason,
                });
            }
            _ => {}
        }
    }
}

/// What the tags of a listed key say.
enum Found {
    Byok(Box<KeyStatus>),
    NotByok,
    Unreadable {
        region: String,
        key_id: String,
        reason: String,
    },
}

/// Discovery as one report (for JSON, text and tests).
pub async fn collect<S: KeyService>(svc: &S, catalog: &Catalog, scope: &Scope) -> StatusReport {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let run = discover(svc, catalog, scope, &tx);
    let mut report = StatusReport {
        regions: vec![],
        keys: vec![],
        named_errors: vec![],
        summary: Summary::default(),
        accounts: vec![],
    };
    let gather = async {
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            let done = matches!(e, StatusEvent::Done);
            events.push(e);
            if done {
                break;
            }
        }
        events
    };
    let ((), events) = tokio::join!(run, gather);
    for e in events {
        report.apply(e);
    }
    report.finish();
    report
}

impl StatusReport {
    pub fn empty() -> Self {
        StatusReport {
            regions: vec![],
            keys: vec![],
            named_errors: vec![],
            summary: Summary::default(),
            accounts: vec![],
        }
    }

    /// Fold one discovery event in.
    pub fn apply(&mut self, e: StatusEvent) {
        match e {
            StatusEvent::Scanning { regions } => {
                for r in regions {
                    self.regions.push(RegionReport {
                        region: r,
                        account: None,
                        keys_listed: 0,
                        byok_keys: 0,
                        error: None,
                        unreadable: vec![],
                    });
                }
            }
            StatusEvent::RegionListed { region, candidates } => {
                if let Some(r) = self.regions.iter_mut().find(|r| r.region == region) {
                    r.keys_listed = candidates;
                }
            }
            StatusEvent::RegionFailed { region, error } => {
                if let Some(r) = self.regions.iter_mut().find(|r| r.region == region) {
                    r.error = Some(error);
                }
            }
            StatusEvent::Key(k) => {
                if k.found_by == "tags"
                    && let Some(r) = self.regions.iter_mut().find(|r| r.region == k.region)
                {
                    r.byok_keys += 1;
                }
                match self.keys.iter_mut().find(|x| x.arn == k.arn) {
                    Some(x) => *x = *k,
                    None => self.keys.push(*k),
                }
            }
            StatusEvent::NamedError(m) => self.named_errors.push(m),
            StatusEvent::Unreadable {
                region,
                key_id,
                reason,
            } => {
                if let Some(r) = self.regions.iter_mut().find(|r| r.region == region) {
                    r.unreadable.push(format!("{key_id}: {reason}"));
                    r.unreadable.sort();
                }
            }
            StatusEvent::Done => {}
        }
    }

    /// Sort (account, as listed with `--accounts`; vendor, alias, Region) and compute the
    /// summary.
    pub fn finish(&mut self) {
        let accounts: HashMap<&str, usize> = self
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.account.as_str(), i))
            .collect();
        self.keys.sort_by(|a, b| {
            (
                accounts.get(a.account.as_str()),
                a.vendor.as_deref(),
                a.name(),
                &a.region,
            )
                .cmp(&(
                    accounts.get(b.account.as_str()),
                    b.vendor.as_deref(),
                    b.name(),
                    &b.region,
                ))
        });
        self.summary = summarize(&self.keys, &self.regions);
        self.summary.overall = Some(self.overall());
    }
}

struct Ctx<'a, S> {
    svc: &'a S,
    catalog: &'a Catalog,
    scope: &'a Scope,
    alias_maps: &'a HashMap<String, HashMap<String, Vec<String>>>,
}

impl<S: KeyService> Ctx<'_, S> {
    async fn load_if_byok(&self, region: &str, key_id: &str) -> Found {
        let tags = match self.svc.list_tags(region, key_id).await {
            Ok(t) => t,
            // Deleted between the list and now: nothing to show.
            Err(KmsError::NotFound { .. }) => return Found::NotByok,
            Err(e) => {
                return Found::Unreadable {
                    region: region.to_string(),
                    key_id: key_id.to_string(),
                    reason: e.to_string(),
                };
            }
        };
        let is_byok = tags.iter().any(|(k, v)| k == TAG_MANAGED_BY && v == "byok");
        if !is_byok {
            return Found::NotByok;
        }
        Found::Byok(Box::new(
            self.load(region, key_id, Some(tags), "tags").await,
        ))
    }

    /// Find a `--key` in its Region (ARN) or in every scanned Region (alias, key ID).
    async fn resolve_named(
        &self,
        reference: &str,
        ok_regions: &[(String, RegionListing)],
    ) -> Result<Option<KeyStatus>, String> {
        let regions: Vec<String> = match crate::arn::Arn::parse(reference) {
            Ok(a) => vec![a.region],
            Err(_) => {
                let mut rs: Vec<String> = ok_regions.iter().map(|(r, _)| r.clone()).collect();
                if rs.is_empty() {
                    // Nothing was scanned (an action): look in the discovery Regions.
                    rs = discovery_regions(self.catalog, self.scope);
                }
                rs
            }
        };
        let mut last_err = None;
        for region in &regions {
            match self.svc.describe_key(region, reference).await {
                Ok(info) => {
                    // A Region that was not scanned: its aliases are read for this key.
                    let aliases = if self.alias_maps.contains_key(region) {
                        None
                    } else {
                        self.svc.list_aliases(region).await.ok().map(|list| {
                            index_aliases(list)
                                .aliases
                                .remove(&info.key_id)
                                .unwrap_or_default()
                        })
                    };
                    let ks = self.load_from(region, info, None, aliases, "named").await;
                    return Ok(Some(ks));
                }
                Err(KmsError::NotFound { .. }) => {}
                Err(e) => last_err = Some(format!("{reference} in {region}: {e}")),
            }
        }
        Err(last_err.unwrap_or_else(|| {
            format!(
                "{reference}: not found in {} (add --region, or give the key ARN)",
                if regions.is_empty() {
                    "any Region".to_string()
                } else {
                    regions.join(", ")
                }
            )
        }))
    }

    async fn load(
        &self,
        region: &str,
        key_id: &str,
        tags: Option<Vec<(String, String)>>,
        found_by: &str,
    ) -> KeyStatus {
        match self.svc.describe_key(region, key_id).await {
            Ok(info) => self.load_from(region, info, tags, None, found_by).await,
            Err(e) => deleted_key(region, key_id, &e),
        }
    }

    async fn load_from(
        &self,
        region: &str,
        info: KeyInfo,
        tags: Option<Vec<(String, String)>>,
        aliases: Option<Vec<String>>,
        found_by: &str,
    ) -> KeyStatus {
        let key_id: &str = &info.key_id;
        let svc = self.svc;
        let tags_f = async {
            match tags {
                Some(t) => Ok(t),
                None => svc.list_tags(region, key_id).await,
            }
        };
        let replicas_f = async {
            let Some(mr) = info
                .multi_region
                .as_ref()
                .filter(|m| m.primary.arn.is_empty() || m.primary.arn == info.arn)
            else {
                return vec![];
            };
            futures_util::future::join_all(mr.replicas.iter().map(|r| async move {
                let state = svc
                    .describe_key(&r.region, key_id)
                    .await
                    .ok()
                    .map(|k| k.state);
                ReplicaStatus {
                    region: r.region.clone(),
                    arn: r.arn.clone(),
                    state,
                    aliases: self
                        .alias_maps
                        .get(&r.region)
                        .and_then(|m| m.get(key_id))
                        .cloned()
                        .unwrap_or_default(),
                }
            }))
            .await
        };
        let (tags, policy_doc, rotation, replicas) = tokio::join!(
            tags_f,
            svc.get_policy(region, key_id),
            svc.rotation(region, key_id),
            replicas_f
        );
        let named = found_by == "named";
        let vendor_hint = self.scope.vendor.clone().filter(|_| named);
        let set_policies = self
            .set_policies(
                &info,
                tags.as_deref().unwrap_or_default(),
                vendor_hint.as_deref(),
                policy_doc.as_deref().ok(),
            )
            .await;
        let journal = KnownKey::find(&self.scope.known_keys, &info.arn).cloned();
        let aliases = aliases.unwrap_or_else(|| {
            self.alias_maps
                .get(region)
                .and_then(|m| m.get(key_id))
                .cloned()
                .unwrap_or_default()
        });
        let alias_holder = match (aliases.is_empty(), &tags) {
            (true, Ok(t)) => t
                .iter()
                .find(|(k, _)| k == crate::plan::TAG_ALIAS)
                .and_then(|(_, wanted)| {
                    self.alias_maps.get(region)?.iter().find_map(|(id, names)| {
                        (id != key_id && names.contains(wanted)).then(|| id.clone())
                    })
                }),
            _ => None,
        };
        assess(
            self.catalog,
            Inputs {
                info,
                aliases,
                tags,
                policy: policy_doc,
                rotation,
                replicas,
                found_by: found_by.to_string(),
                principal_hint: self.scope.principal.clone().filter(|_| named),
                journal,
                set_policies,
                vendor_hint,
                alias_holder,
            },
        )
    }

    /// A Multi-Region key whose own policy has none of its vendor's statements: the
    /// policies of the other keys of its set, which may still name the vendor. Read only then.
    async fn set_policies(
        &self,
        info: &KeyInfo,
        tags: &[(String, String)],
        vendor_hint: Option<&str>,
        policy: Option<&str>,
    ) -> Vec<Value> {
        let Some(mr) = &info.multi_region else {
            return vec![];
        };
        let own: Option<Value> = policy.and_then(|p| serde_json::from_str(p).ok());
        let (Some(profile), _) = vendor_of(self.catalog, tags, vendor_hint, own.as_ref()) else {
            return vec![];
        };
        if own
            .as_ref()
            .is_some_and(|p| has_vendor_statements(profile, p))
        {
            return vec![];
        }
        let mut regions: Vec<&str> = std::iter::once(mr.primary.region.as_str())
            .chain(mr.replicas.iter().map(|r| r.region.as_str()))
            .filter(|r| !r.is_empty() && *r != info.region)
            .collect();
        regions.dedup();
        let svc = self.svc;
        let key_id = info.key_id.as_str();
        futures_util::future::join_all(regions.into_iter().map(|r| svc.get_policy(r, key_id)))
            .await
            .into_iter()
            .filter_map(|p| p.ok().and_then(|p| serde_json::from_str(&p).ok()))
            .collect()
    }
}

fn deleted_key(region: &str, key_id: &str, e: &KmsError) -> KeyStatus {
    let gone = matches!(e, KmsError::NotFound { .. });
    KeyStatus {
        arn: key_id.to_string(),
        key_id: key_id.to_string(),
        region: region.to_string(),
        account: String::new(),
        vendor: None,
        vendor_name: None,
        found_by: "tags".into(),
        byok_role: None,
        aliases: vec![],
        state: if gone { "Deleted" } else { "Unknown" }.into(),
        enabled: false,
        description: String::new(),
        created: None,
        deletion_date: None,
        multi_region: None,
        rotation: None,
        administrators: vec![],
        policy: None,
        meaning: String::new(),
        recovery: String::new(),
        health: if gone {
            Health::Broken
        } else {
            Health::NeedsAttention
        },
        findings: vec![Finding {
            kind: if gone {
                FindingKind::Deleted
            } else {
                FindingKind::Unreadable
            },
            severity: if gone {
                Health::Broken
            } else {
                Health::NeedsAttention
            },
            what: format!("cannot describe the key: {e}"),
            meaning: String::new(),
            fix: e.explain(None, ""),
        }],
        policy_document: None,
        alerts: None,
    }
}

// ---------------------------------------------------------------------------------------
// Judging a key

/// What was read about one key.
pub struct Inputs {
    pub info: KeyInfo,
    pub aliases: Vec<String>,
    pub tags: Result<Vec<(String, String)>, KmsError>,
    pub policy: Result<String, KmsError>,
    pub rotation: Result<Rotation, KmsError>,
    pub replicas: Vec<ReplicaStatus>,
    pub found_by: String,
    pub vendor_hint: Option<String>,
    /// `--principal`, given now.
    pub principal_hint: Option<String>,
    /// byok's journal entry for the key: it made it on this machine (and, since it records
    /// it, for which vendor principal).
    pub journal: Option<KnownKey>,
    /// For a Multi-Region key whose own policy lost its vendor statements: the other keys'
    /// policies.
    pub set_policies: Vec<Value>,
    /// For a key with no alias: the key that the alias its `byok:alias` tag names now
    /// designates in its Region, when that is another key.
    pub alias_holder: Option<String>,
}

fn account_of(arn: &str) -> String {
    crate::arn::Arn::parse(arn)
        .map(|a| a.account)
        .unwrap_or_default()
}

fn partition_of_arn(arn: &str) -> String {
    crate::arn::Arn::parse(arn)
        .map(|a| a.partition)
        .unwrap_or_else(|_| "aws".into())
}

/// The profile a key belongs to: its tag, else `--vendor`, else the profile whose
/// statement Sids appear in the policy.
fn vendor_of<'c>(
    catalog: &'c Catalog,
    tags: &[(String, String)],
    hint: Option<&str>,
    policy: Option<&Value>,
) -> (Option<&'c VendorProfile>, Option<String>) {
    if let Some((_, v)) = tags.iter().find(|(k, _)| k == TAG_VENDOR) {
        return (catalog.get(v), Some(v.clone()));
    }
    if let Some(h) = hint {
        return (catalog.get(h), Some(h.to_string()));
    }
    let sids: HashSet<&str> = policy
        .and_then(|p| p.get("Statement"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.get("Sid").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let found = catalog
        .profiles
        .iter()
        .find(|p| p.statements.iter().all(|s| sids.contains(s.sid.as_str())))
        .or_else(|| {
            catalog
                .profiles
                .iter()
                .find(|p| p.statements.iter().any(|s| sids.contains(s.sid.as_str())))
        });
    (found, found.map(|p| p.id.clone()))
}

/// Where a vendor principal byok trusts came from, in the order byok asks. A tag is not
/// among them: anyone allowed `kms:TagResource` on the key can write one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrincipalSource {
    /// `--principal`, given now.
    Flag,
    /// byok's journal: the principal the key was made for on this machine.
    Journal,
    /// The vendor profile: the vendor's account in the key's Region (Gearset).
    Profile,
    /// The key policy's own vendor statements.
    Policy,
    /// The vendor statements of another key of its Multi-Region set.
    MultiRegionSet,
}

impl PrincipalSource {
    /// As the sentence "X says ..." needs it.
    pub fn describe(self) -> &'static str {
        match self {
            PrincipalSource::Flag => "--principal",
            PrincipalSource::Journal => "byok's journal",
            PrincipalSource::Profile => "the vendor profile",
            PrincipalSource::Policy => "the key policy",
            PrincipalSource::MultiRegionSet => "the policy of another key of its Multi-Region set",
        }
    }
}

/// What byok has to tell a key's vendor principal.
#[derive(Debug, Clone, Copy, Default)]
pub struct Evidence<'a> {
    /// `--principal`, given now.
    pub flag: Option<&'a str>,
    /// The principal byok's journal records for the key.
    pub journal: Option<&'a str>,
    /// The key's own policy.
    pub policy: Option<&'a Value>,
    /// The policies of the other keys of its Multi-Region set.
    pub set_policies: &'a [Value],
    /// The key's tags (only the `byok:vendor-principal` hint is looked at).
    pub tags: &'a [(String, String)],
}

/// The vendor principal byok trusts, and what disagrees with it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolved {
    /// The first trusted source's principal.
    pub principal: Option<(String, PrincipalSource)>,
    /// Later trusted sources that name another principal.
    pub conflicts: Vec<(PrincipalSource, String)>,
    /// What the `byok:vendor-principal` tag says: a hint, never used.
    pub tag: Option<String>,
}

impl Resolved {
    /// The tag names a principal the trusted source does not (None: no tag, or nothing to
    /// compare it with).
    pub fn tag_disagrees(&self) -> Option<(&str, &str, PrincipalSource)> {
        match (&self.tag, &self.principal) {
            (Some(t), Some((p, s))) if !same_principal(t, p) => Some((t, p, *s)),
            _ => None,
        }
    }
}

/// The principals the vendor statements (by Sid) of a policy grant: only those every such
/// Allow statement names, principals outside `account` first; never a wildcard nor the
/// account's own root. Empty when the policy has none of the vendor's statements.
pub fn policy_vendor_principals(
    profile: &VendorProfile,
    policy: &Value,
    account: &str,
) -> Vec<String> {
    let mut common: Option<Vec<String>> = None;
    for ps in &profile.statements {
        let Some(s) = statements(policy).iter().find(|s| {
            s.get("Sid").and_then(Value::as_str) == Some(ps.sid.as_str())
                && s.get("Effect").and_then(Value::as_str) == Some("Allow")
        }) else {
            continue;
        };
        let named: Vec<String> = policy::principals(s)
            .into_iter()
            .filter(|p| *p != "*" && !same_principal(p, account))
            .map(str::to_string)
            .collect();
        common = Some(match common {
            None => named,
            Some(c) => c
                .into_iter()
                .filter(|p| named.iter().any(|n| same_principal(n, p)))
                .collect(),
        });
    }
    let mut out = common.unwrap_or_default();
    out.sort_by_key(|p| !account.is_empty() && account_of(p) == account);
    out
}

/// Whether a policy has any of the profile's statements (by Sid).
fn has_vendor_statements(profile: &VendorProfile, policy: &Value) -> bool {
    statements(policy).iter().any(|s| {
        profile
            .statements
            .iter()
            .any(|ps| s.get("Sid").and_then(Value::as_str) == Some(ps.sid.as_str()))
    })
}

/// The vendor principal for a key, from the sources byok trusts, in order: `--principal`
/// given now, the journal, the vendor profile (a fixed account per Region), the key policy's
/// vendor statements, the other keys of its Multi-Region set. The `byok:vendor-principal` tag
/// is only reported back, to be compared.
pub fn vendor_principal(
    profile: &VendorProfile,
    region: &str,
    partition: &str,
    account: &str,
    e: &Evidence,
) -> Resolved {
    let as_arn = |p: &str| {
        if crate::arn::is_account_id(p) {
            format!("arn:{partition}:iam::{p}:root")
        } else {
            p.to_string()
        }
    };
    let mut found: Vec<(Vec<String>, PrincipalSource)> = Vec::new();
    if let Some(f) = e.flag {
        found.push((vec![as_arn(f)], PrincipalSource::Flag));
    }
    if let Some(j) = e.journal {
        found.push((vec![as_arn(j)], PrincipalSource::Journal));
    }
    if profile.principal.kind == PrincipalKind::AccountRootByRegion
        && let Some(a) = profile.vendor_account(region)
    {
        found.push((
            vec![format!("arn:{partition}:iam::{a}:root")],
            PrincipalSource::Profile,
        ));
    }
    let policies = e
        .policy
        .into_iter()
        .map(|p| (p, PrincipalSource::Policy))
        .chain(
            e.set_policies
                .iter()
                .map(|p| (p, PrincipalSource::MultiRegionSet)),
        );
    for (p, source) in policies {
        let named = policy_vendor_principals(profile, p, account);
        if !named.is_empty() {
            found.push((named, source));
        }
    }
    let principal = found.first().map(|(p, s)| (p[0].clone(), *s));
    let mut conflicts: Vec<(PrincipalSource, String)> = Vec::new();
    if let Some((chosen, _)) = &principal {
        for (named, source) in found.iter().skip(1) {
            if !named.iter().any(|n| same_principal(n, chosen))
                && !conflicts.iter().any(|(s, _)| s == source)
            {
                conflicts.push((*source, named[0].clone()));
            }
        }
    }
    Resolved {
        principal,
        conflicts,
        tag: e
            .tags
            .iter()
            .find(|(k, _)| k == TAG_VENDOR_PRINCIPAL)
            .map(|(_, v)| v.clone()),
    }
}

fn statements(policy: &Value) -> &[Value] {
    policy
        .get("Statement")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Whether the policy has an unconditional account-root statement with `kms:*`.
fn has_root_statement(policy: &Value, account: &str) -> bool {
    statements(policy).iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && s.get("Condition").is_none()
            && policy::principals(s)
                .iter()
                .any(|p| same_principal(p, account))
            && policy::actions(s).contains(&"kms:*")
    })
}

/// How a statement's Condition falls short of the profile's: the `operator key` pairs it
/// lacks, and those it gives another value (with its value and the profile's). Entries of
/// its own beyond the profile's only narrow, and are not reported.
fn condition_gap(
    wanted: Option<&Value>,
    actual: Option<&Value>,
) -> (Vec<String>, Vec<(String, Value, Value)>) {
    let (mut missing, mut differs) = (Vec::new(), Vec::new());
    let Some(wanted) = wanted.and_then(Value::as_object) else {
        return (missing, differs);
    };
    for (op, block) in wanted {
        for (k, v) in block.as_object().into_iter().flatten() {
            match actual.and_then(|a| a.get(op)).and_then(|b| b.get(k)) {
                None => missing.push(format!("{op} {k}")),
                Some(x) if x != v => differs.push((format!("{op} {k}"), x.clone(), v.clone())),
                Some(_) => {}
            }
        }
    }
    (missing, differs)
}

/// Judge a policy for one vendor principal against the profile.
pub fn check_policy(
    profile: &VendorProfile,
    policy: &Value,
    account: &str,
    principal: Option<(String, PrincipalSource)>,
) -> PolicyCheck {
    let mut required: Vec<String> = Vec::new();
    for s in &profile.statements {
        for a in &s.actions {
            if !required.contains(a) {
                required.push(a.clone());
            }
        }
    }
    let mut check = PolicyCheck {
        vendor_principal: principal.as_ref().map(|p| p.0.clone()),
        principal_source: principal.as_ref().map(|p| p.1),
        missing: required.clone(),
        required,
        root_statement: has_root_statement(policy, account),
        ..Default::default()
    };
    for ps in &profile.statements {
        if let Some(s) = statements(policy)
            .iter()
            .find(|s| s.get("Sid").and_then(Value::as_str) == Some(ps.sid.as_str()))
        {
            let (missing, differs) = condition_gap(ps.condition.as_ref(), s.get("Condition"));
            if !missing.is_empty() || !differs.is_empty() {
                check.condition_differs.push(ps.sid.clone());
            }
        }
    }
    let Some((vp, _)) = principal else {
        check.lint = policy::lint(policy, account, "")
            .into_iter()
            .filter(|p| !matches!(p, PolicyProblem::MissingRoot(_)))
            .map(|p| p.to_string())
            .collect();
        return check;
    };
    let mut granted: Vec<String> = Vec::new();
    let mut denied: Vec<String> = Vec::new();
    for s in statements(policy) {
        let names = policy::principals(s)
            .iter()
            .any(|p| *p == "*" || same_principal(p, &vp));
        if !names {
            continue;
        }
        let acts = policy::actions(s);
        match s.get("Effect").and_then(Value::as_str) {
            Some("Allow") if !policy::principals(s).contains(&"*") => {
                granted.extend(acts.iter().map(|a| a.to_string()))
            }
            Some("Deny") if s.get("Condition").is_none() => {
                denied.extend(acts.iter().map(|a| a.to_string()))
            }
            _ => {}
        }
    }
    check.missing = check
        .required
        .iter()
        .filter(|r| {
            !granted.iter().any(|g| policy::action_matches(g, r))
                || denied.iter().any(|d| policy::action_matches(d, r))
        })
        .cloned()
        .collect();
    let mut extra: Vec<String> = granted
        .iter()
        .filter(|g| !check.required.iter().any(|r| r.eq_ignore_ascii_case(g)))
        .cloned()
        .collect();
    extra.sort();
    extra.dedup();
    check.extra = extra;
    check.lint = policy::lint(policy, account, &vp)
        .into_iter()
        .filter(|p| !matches!(p, PolicyProblem::MissingRoot(_)))
        .map(|p| p.to_string())
        .collect();
    check
}

/// The dangers in a policy, each making the key broken, with the reason and the fix:
/// anyone may use the key, the vendor may manage it, no account-root statement.
fn danger_findings(policy: &Value, account: &str, vendor: Option<&str>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in policy::lint(policy, account, vendor.unwrap_or("")) {
        match p {
            PolicyProblem::WildcardPrincipal(sid) => {
                let acts = statements(policy)
                    .iter()
                    .find(|s| {
                        s.get("Sid").and_then(Value::as_str).unwrap_or("") == sid
                            && policy::principals(s).contains(&"*")
                    })
                    .map(|s| policy::actions(s).join(", "))
                    .unwrap_or_default();
                out.push(Finding {
                    kind: FindingKind::WildcardPrincipal,
                    severity: Health::Broken,
                    what: format!(
                        "statement {sid:?} allows {acts} to everyone: Principal \"*\" with no aws:PrincipalOrgID, aws:PrincipalAccount or aws:SourceAccount condition"
                    ),
                    meaning: "Any AWS account, not only you and the vendor, may use the key this way; with kms:* also change its policy, disable it or delete it.".into(),
                    fix: format!(
                        "Remove statement {sid:?} from the key policy, or narrow it with a condition on aws:PrincipalOrgID (your organisation), then look in CloudTrail for who used the key. byok does not remove statements it did not write."
                    ),
                });
            }
            PolicyProblem::VendorTooBroad { sid, problem } => out.push(Finding {
                kind: FindingKind::VendorManagesKey,
                severity: Health::Broken,
                what: format!("statement {sid:?} grants the vendor {problem}"),
                meaning: "The vendor could change the key policy, disable or delete the key: your data would no longer be under your control alone.".into(),
                fix: "Repair the key policy: byok takes every action that manages the key away from the vendor and keeps the rest.".into(),
            }),
            PolicyProblem::MissingRoot(_) => out.push(Finding {
                kind: FindingKind::MissingRoot,
                severity: Health::Broken,
                what: "no account-root statement".into(),
                meaning: "IAM policies in your account cannot grant access to the key; if the remaining statements are lost, nobody can manage it.".into(),
                fix: "Repair the key policy (byok adds the account-root statement).".into(),
            }),
            other => out.push(Finding {
                kind: FindingKind::PolicyLint,
                severity: Health::NeedsAttention,
                what: other.to_string(),
                meaning: String::new(),
                fix: "Edit the key policy.".into(),
            }),
        }
    }
    out
}

/// What the sources of the vendor principal say when they do not agree, and a key that
/// carries byok's tags without anything byok trusts saying byok set it up.
fn principal_findings(
    profile: &VendorProfile,
    r: &Resolved,
    found_by: &str,
    in_journal: bool,
    has_vendor_statements: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if found_by == "tags" && !in_journal && !has_vendor_statements {
        out.push(Finding {
            kind: FindingKind::NotMadeByByok,
            severity: Health::NeedsAttention,
            what: format!(
                "tagged as byok's, but not known to be made by byok: not in byok's journal on this machine, and the key policy has none of the {} statements",
                profile.name
            ),
            meaning: "Tags prove nothing: anyone allowed kms:TagResource on a key can write byok's. byok never takes the vendor principal from them.".into(),
            fix: "If byok made this key on another machine, restore the vendor's access with --restore-access --principal ARN; if not, remove its byok:* tags.".into(),
        });
    }
    if let Some((chosen, from)) = &r.principal {
        for (source, other) in &r.conflicts {
            out.push(Finding {
                kind: FindingKind::PrincipalDisagrees,
                severity: Health::NeedsAttention,
                what: format!(
                    "{} names {other}, but {} says {chosen}",
                    capitalize(source.describe()),
                    from.describe()
                ),
                meaning: format!("byok checks and repairs the key for {chosen}."),
                fix: "If the other one is the vendor's principal, give it with --principal.".into(),
            });
        }
    }
    if let Some((tag, chosen, from)) = r.tag_disagrees() {
        out.push(Finding {
            kind: FindingKind::TagDisagrees,
            severity: Health::NeedsAttention,
            what: format!(
                "the tag {TAG_VENDOR_PRINCIPAL} says {tag}, but {} says {chosen}",
                from.describe()
            ),
            meaning: format!(
                "byok never takes the vendor principal from a tag (anyone allowed kms:TagResource can write it): it uses {chosen}. Someone may have tried to redirect the vendor's access."
            ),
            fix: format!(
                "Look in CloudTrail for who changed the tag (TagResource), and set it back to {chosen}."
            ),
        });
    }
    if let (Some(tag), None) = (&r.tag, &r.principal) {
        out.push(Finding {
            kind: FindingKind::TagUnconfirmed,
            severity: Health::NeedsAttention,
            what: format!(
                "the tag {TAG_VENDOR_PRINCIPAL} says {tag}, and nothing byok trusts confirms it"
            ),
            meaning: "Neither byok's journal on this machine, the vendor profile nor the key policy names the vendor principal, and a tag is no proof: anyone allowed kms:TagResource can write it.".into(),
            fix: format!(
                "If {tag} is the vendor's principal, restore access with --restore-access --principal {tag}."
            ),
        });
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if f != '-' => f.to_uppercase().chain(c).collect(),
        _ => s.to_string(),
    }
}

fn meaning_of(profile: Option<&VendorProfile>, state: &str) -> (String, String) {
    profile
        .and_then(|p| p.states.get(state))
        .map(|m| (m.meaning.clone(), m.action.clone()))
        .unwrap_or_default()
}

/// Judge one key: state, rotation, policy and replicas, against its vendor profile.
pub fn assess(catalog: &Catalog, i: Inputs) -> KeyStatus {
    let info = i.info;
    let region = info.region.clone();
    let account = account_of(&info.arn);
    let partition = partition_of_arn(&info.arn);
    let tags = i.tags.as_ref().cloned().unwrap_or_default();
    let policy_value: Option<Value> = i
        .policy
        .as_ref()
        .ok()
        .and_then(|p| serde_json::from_str(p).ok());
    let (profile, vendor_id) = vendor_of(
        catalog,
        &tags,
        i.vendor_hint.as_deref(),
        policy_value.as_ref(),
    );
    let mut findings = Vec::new();
    let (state_meaning, state_action) = meaning_of(profile, &info.state);
    let enabled = info.state == "Enabled";
    let duplicate_of = tags
        .iter()
        .find(|(k, _)| k == crate::plan::TAG_DUPLICATE_OF)
        .map(|(_, v)| v.clone());
    let retired = duplicate_of.is_some() && info.state == "PendingDeletion";

    // A duplicate: retired by the run that made it, or still to retire.
    match (&duplicate_of, &i.alias_holder) {
        (Some(w), _) => findings.push(Finding {
            kind: FindingKind::Duplicate,
            severity: if retired {
                Health::Ok
            } else {
                Health::NeedsAttention
            },
            what: format!("a duplicate of {w}, made by a run that lost the race for the alias"),
            meaning: if retired {
                format!(
                    "byok took it out of service: no vendor access, disabled, deletion on {}. Nothing to do.",
                    info.deletion_date.as_deref().unwrap_or("its scheduled date")
                )
            } else {
                "byok began to retire it and did not finish: it may still let the vendor use it."
                    .into()
            },
            fix: if retired {
                String::new()
            } else {
                format!(
                    "Finish with --revoke-access, --disable and --schedule-deletion 7 on --key {}.",
                    info.arn
                )
            },
        }),
        (None, Some(holder)) => findings.push(Finding {
            kind: FindingKind::Duplicate,
            severity: Health::NeedsAttention,
            what: format!(
                "another key ({holder}) holds the alias this key was made for: it is a duplicate"
            ),
            meaning: "A run of the same setup made it, and it may still let the vendor use a key nobody uses.".into(),
            fix: "Run the same `byok create` command on the machine that made it (it retires its own duplicates), or revoke the vendor's access and schedule its deletion.".into(),
        }),
        _ => {}
    }

    // State.
    match info.state.as_str() {
        "Enabled" => {}
        "PendingDeletion" if retired => {}
        "Creating" | "Updating" => findings.push(Finding {
            kind: FindingKind::State,
            severity: Health::NeedsAttention,
            what: format!("the key is {}", info.state),
            meaning: state_meaning.clone(),
            fix: if state_action.is_empty() {
                "Wait a minute and look again.".into()
            } else {
                state_action.clone()
            },
        }),
        other => findings.push(Finding {
            kind: FindingKind::State,
            severity: Health::Broken,
            what: match (&info.deletion_date, other) {
                (Some(d), _) => format!("the key is {other}: deletion on {d}"),
                _ => format!("the key is {other}"),
            },
            meaning: state_meaning.clone(),
            fix: state_action.clone(),
        }),
    }

    // Vendor.
    if profile.is_none() {
        findings.push(Finding {
            kind: FindingKind::VendorUnknown,
            severity: Health::NeedsAttention,
            what: match &vendor_id {
                Some(v) => format!("vendor profile {v:?} is not loaded"),
                None => "byok cannot tell which vendor this key is for".into(),
            },
            meaning: "The policy cannot be checked against the vendor's requirements.".into(),
            fix: match &vendor_id {
                Some(_) => "Pass its profile with --vendor-file.".into(),
                None => "Name the vendor with --vendor.".into(),
            },
        });
    }

    // Policy.
    let mut check = None;
    let mut administrators = Vec::new();
    match (&i.policy, &policy_value) {
        (Err(e), _) => findings.push(Finding {
            kind: FindingKind::PolicyUnreadable,
            severity: Health::NeedsAttention,
            what: format!("cannot read the key policy: {e}"),
            meaning: "byok cannot tell whether the vendor may use the key.".into(),
            fix: e.explain(None, ""),
        }),
        (Ok(_), None) => findings.push(Finding {
            kind: FindingKind::PolicyUnreadable,
            severity: Health::NeedsAttention,
            what: "the key policy is not valid JSON".into(),
            meaning: String::new(),
            fix: "Repair the key policy.".into(),
        }),
        (Ok(_), Some(p)) => {
            administrators = statements(p)
                .iter()
                .filter(|s| s.get("Sid").and_then(Value::as_str) == Some(policy::ADMIN_SID))
                .flat_map(|s| policy::principals(s).into_iter().map(str::to_string))
                .collect();
            let resolved = profile.map(|prof| {
                vendor_principal(
                    prof,
                    &region,
                    &partition,
                    &account,
                    &Evidence {
                        flag: i.principal_hint.as_deref(),
                        journal: i.journal.as_ref().and_then(|j| j.principal.as_deref()),
                        policy: Some(p),
                        set_policies: &i.set_policies,
                        tags: &tags,
                    },
                )
            });
            let vp = resolved
                .as_ref()
                .and_then(|r| r.principal.as_ref())
                .map(|(p, _)| p.as_str());
            // Danger, whoever the vendor is: broken, with the reason.
            findings.extend(danger_findings(p, &account, vp));
            if let (Some(prof), Some(resolved)) = (profile, &resolved) {
                findings.extend(principal_findings(
                    prof,
                    resolved,
                    &i.found_by,
                    i.journal.is_some(),
                    has_vendor_statements(prof, p)
                        || i.set_policies
                            .iter()
                            .any(|x| has_vendor_statements(prof, x)),
                ));
                let c = check_policy(prof, p, &account, resolved.principal.clone());
                let (pm, pa) = meaning_of(profile, "PolicyMissingActions");
                if c.vendor_principal.is_none() {
                    findings.push(Finding {
                        kind: FindingKind::PrincipalUnknown,
                        severity: Health::Broken,
                        what: format!(
                            "no statement grants the {}, and nothing byok trusts names it",
                            prof.principal.label
                        ),
                        meaning: pm.clone(),
                        fix: format!(
                            "{pa} byok needs the principal: give it with --principal ({}).",
                            prof.principal.help
                        ),
                    });
                } else if !c.missing.is_empty() {
                    let revoked = c.missing.len() == c.required.len()
                        && tags.iter().any(|(k, _)| k == TAG_VENDOR_PRINCIPAL);
                    findings.push(Finding {
                        kind: if revoked {
                            FindingKind::AccessRevoked
                        } else {
                            FindingKind::MissingActions
                        },
                        severity: Health::Broken,
                        what: if revoked {
                            "the vendor's access is revoked".into()
                        } else {
                            format!("the vendor principal lacks {}", c.missing.join(", "))
                        },
                        meaning: pm.clone(),
                        fix: if revoked {
                            "Restore the vendor's access when it should use the key again.".into()
                        } else {
                            pa.clone()
                        },
                    });
                }
                // Extra access that manages the key is a danger above; the rest is extra.
                let extra: Vec<&String> = c
                    .extra
                    .iter()
                    .filter(|a| policy::vendor_action_problem(a).is_none())
                    .collect();
                if !extra.is_empty() {
                    findings.push(Finding {
                        kind: FindingKind::ExtraActions,
                        severity: Health::NeedsAttention,
                        what: format!(
                            "the vendor principal has more than it needs: {}",
                            extra
                                .iter()
                                .map(|a| a.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        meaning: "More access than the vendor asks for.".into(),
                        fix: "Remove the extra actions from the key policy.".into(),
                    });
                }
                for ps in &prof.statements {
                    let Some(s) = statements(p)
                        .iter()
                        .find(|s| s.get("Sid").and_then(Value::as_str) == Some(ps.sid.as_str()))
                    else {
                        continue;
                    };
                    let sid = &ps.sid;
                    let (missing, differs) =
                        condition_gap(ps.condition.as_ref(), s.get("Condition"));
                    if !missing.is_empty() {
                        findings.push(Finding {
                            kind: FindingKind::ConditionMissing,
                            severity: Health::NeedsAttention,
                            what: format!(
                                "statement {sid:?} lacks the profile's condition {}",
                                missing.join(", ")
                            ),
                            meaning: "The vendor may get more than it asks for.".into(),
                            fix: "Repair the key policy (byok adds the profile's condition and keeps yours).".into(),
                        });
                    }
                    for (key, yours, wanted) in differs {
                        findings.push(Finding {
                            kind: FindingKind::ConditionDiffers,
                            severity: Health::NeedsAttention,
                            what: format!(
                                "statement {sid:?} has {key} = {yours}; the profile's is {wanted}"
                            ),
                            meaning: "The vendor may get more (or less) than it asks for.".into(),
                            fix: format!(
                                "Edit the key policy if the profile's value is the right one: byok keeps your {key}."
                            ),
                        });
                    }
                }
                check = Some(c);
            }
        }
    }

    // Rotation.
    let rotation = i.rotation.as_ref().ok().cloned();
    // The role follows from the ARNs: moto reports a primary as REPLICA once its replica
    // has been described (the two share one configuration there).
    let role_of = |m: &crate::kms::MultiRegionInfo| {
        if m.primary.arn.is_empty() {
            m.role.clone()
        } else if m.primary.arn == info.arn {
            "PRIMARY".to_string()
        } else {
            "REPLICA".to_string()
        }
    };
    let is_replica = info
        .multi_region
        .as_ref()
        .is_some_and(|m| role_of(m) == "REPLICA");
    match (&rotation, &i.rotation) {
        (Some(r), _) if !r.enabled && !is_replica && enabled => findings.push(Finding {
            kind: FindingKind::RotationOff,
            severity: Health::NeedsAttention,
            what: "automatic rotation is off".into(),
            meaning: profile
                .map(|p| p.key.rotation_note.clone())
                .unwrap_or_default(),
            fix: "Turn on automatic rotation.".into(),
        }),
        (None, Err(e)) if enabled => findings.push(Finding {
            kind: FindingKind::RotationUnreadable,
            severity: Health::NeedsAttention,
            what: format!("cannot read the rotation status: {e}"),
            meaning: String::new(),
            fix: e.explain(None, ""),
        }),
        _ => {}
    }

    // Replicas.
    let multi_region = info.multi_region.as_ref().map(|m| MultiRegionStatus {
        role: role_of(m),
        primary_region: m.primary.region.clone(),
        primary_arn: m.primary.arn.clone(),
        replicas: i.replicas.clone(),
    });
    for r in &i.replicas {
        if r.state.as_deref() != Some("Enabled") {
            findings.push(Finding {
                kind: FindingKind::Replica,
                severity: Health::NeedsAttention,
                what: format!(
                    "the replica in {} is {}",
                    r.region,
                    r.state.as_deref().unwrap_or("unreadable")
                ),
                meaning: "The vendor's second Region cannot use it.".into(),
                fix: "See the replica's own entry.".into(),
            });
        }
    }
    if i.aliases.is_empty()
        && info.state != "PendingDeletion"
        && duplicate_of.is_none()
        && i.alias_holder.is_none()
    {
        findings.push(Finding {
            kind: FindingKind::NoAlias,
            severity: Health::NeedsAttention,
            what: "the key has no alias in its Region".into(),
            meaning: String::new(),
            fix: "Name it with an alias (aws kms create-alias).".into(),
        });
    }

    let health = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Health::Ok);
    // The meaning and recovery shown first: the worst finding's, a danger before the rest,
    // else the first (the key's state before its policy).
    let worst = findings
        .iter()
        .filter(|f| f.severity == health)
        .min_by_key(|f| !f.kind.is_danger());
    let (meaning, recovery) = match worst {
        Some(f) if !f.meaning.is_empty() => (f.meaning.clone(), f.fix.clone()),
        Some(f) => (state_meaning.clone(), f.fix.clone()),
        None => (state_meaning, state_action),
    };
    KeyStatus {
        arn: info.arn.clone(),
        key_id: info.key_id.clone(),
        region,
        account,
        vendor_name: profile.map(|p| p.name.clone()),
        vendor: vendor_id,
        found_by: i.found_by,
        byok_role: tags
            .iter()
            .find(|(k, _)| k == TAG_ROLE)
            .map(|(_, v)| v.clone()),
        aliases: i.aliases,
        state: info.state.clone(),
        enabled,
        description: info.description,
        created: info.created,
        deletion_date: info.deletion_date,
        multi_region,
        rotation,
        administrators,
        policy: check,
        meaning,
        recovery,
        health,
        findings,
        policy_document: i.policy.ok(),
        alerts: None,
    }
}

// ---------------------------------------------------------------------------------------
// Actions

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Enable,
    Disable,
    /// Turn on (or change the period of) automatic rotation.
    EnableRotation {
        days: u32,
    },
    DisableRotation,
    RotateNow,
    ScheduleDeletion {
        days: u32,
    },
    CancelDeletion,
    RepairPolicy,
    RevokeAccess,
    RestoreAccess,
}

impl Action {
    pub fn title(&self) -> String {
        match self {
            Action::Enable => "Enable the key".into(),
            Action::Disable => "Disable the key".into(),
            Action::EnableRotation { days } => format!("Rotate automatically every {days} days"),
            Action::DisableRotation => "Turn off automatic rotation".into(),
            Action::RotateNow => "Rotate the key material now".into(),
            Action::ScheduleDeletion { days } => format!("Schedule deletion in {days} days"),
            Action::CancelDeletion => "Cancel the deletion and re-enable".into(),
            Action::RepairPolicy => "Repair the key policy".into(),
            Action::RevokeAccess => "Revoke the vendor's access".into(),
            Action::RestoreAccess => "Restore the vendor's access".into(),
        }
    }

    /// Check the numbers before anything is sent.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Action::EnableRotation { days } if !(90..=2560).contains(days) => Err(format!(
                "Rotation period (--rotation-days): {days} is outside 90 to 2560 days"
            )),
            Action::ScheduleDeletion { days } if !(7..=30).contains(days) => Err(format!(
                "Waiting period (--schedule-deletion): {days} is outside 7 to 30 days"
            )),
            _ => Ok(()),
        }
    }
}

/// One API call of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub region: String,
    pub key_id: String,
    pub arn: String,
    /// The KMS operation, e.g. DisableKey.
    pub call: String,
    /// Rotation period or deletion window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<(String, String)>>,
    /// The policy diff (`-`/`+`/` ` lines), for PutKeyPolicy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<String>,
    /// For PutKeyPolicy: what the new policy keeps of yours and what it takes away, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub summary: Vec<String>,
}

/// What an action will do, shown before asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionPlan {
    pub title: String,
    /// The key the user chose.
    pub target: String,
    pub changes: Vec<Change>,
    /// What it means for the vendor's service.
    pub consequence: String,
    /// Notes such as "also applied to the replica in eu-west-2".
    pub notes: Vec<String>,
}

impl ActionPlan {
    pub fn render_text(&self) -> String {
        let mut out = format!("{} ({}):\n", self.title, self.target);
        for c in &self.changes {
            let extra = match (c.days, &c.tags) {
                (Some(d), _) => format!(" ({d} days)"),
                (_, Some(t)) => format!(
                    " ({})",
                    t.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => String::new(),
            };
            out.push_str(&format!(
                "  - {} {} in {}{extra}\n",
                c.call, c.key_id, c.region
            ));
            for d in &c.diff {
                out.push_str(&format!("      {d}\n"));
            }
            for l in &c.summary {
                out.push_str(&format!("    {l}\n"));
            }
        }
        for n in &self.notes {
            out.push_str(&format!("  Note: {}\n", crate::sanitize::line(n)));
        }
        if !self.consequence.is_empty() {
            out.push_str(&format!(
                "  For the vendor: {}\n",
                crate::sanitize::line(&self.consequence)
            ));
        }
        out
    }
}

/// A line diff of two texts (longest common subsequence), `- `, `+ ` and `  ` prefixed.
pub fn line_diff(old: &str, new: &str) -> Vec<String> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(format!("  {}", a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("- {}", a[i]));
            i += 1;
        } else {
            out.push(format!("+ {}", b[j]));
            j += 1;
        }
    }
    out
}

/// Only the changed lines and up to two lines of context around them.
pub fn compact_diff(diff: &[String]) -> Vec<String> {
    let changed: Vec<usize> = diff
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.starts_with("  "))
        .map(|(i, _)| i)
        .collect();
    let keep = |i: usize| changed.iter().any(|c| c.abs_diff(i) <= 2);
    let mut out = Vec::new();
    let mut gap = false;
    for (i, l) in diff.iter().enumerate() {
        if keep(i) {
            if gap && !out.is_empty() {
                out.push("  …".to_string());
            }
            gap = false;
            out.push(l.clone());
        } else {
            gap = true;
        }
    }
    out
}

fn statement_json(
    sid: &str,
    principal: &str,
    actions: &[String],
    condition: Option<&Value>,
) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("Sid".into(), json!(sid));
    m.insert("Effect".into(), json!("Allow"));
    m.insert("Principal".into(), json!({ "AWS": principal }));
    m.insert("Action".into(), json!(actions));
    m.insert("Resource".into(), json!("*"));
    if let Some(c) = condition {
        m.insert("Condition".into(), c.clone());
    }
    Value::Object(m)
}

/// A new key policy, and what it keeps and takes away in words (`kept: ...`,
/// `removed: ...`): shown with the diff, since a diff does not say whose lines stayed.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyChange {
    pub policy: Value,
    pub summary: Vec<String>,
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => vec![],
    }
}

fn one_or_list(list: &[String]) -> Value {
    if list.len() == 1 {
        json!(list[0])
    } else {
        json!(list)
    }
}

/// A statement's `Principal.AWS` entries.
fn aws_principals(s: &Value) -> Vec<String> {
    str_list(s.get("Principal").and_then(|p| p.get("AWS")))
}

/// Whether a statement names principals other than `Principal.AWS` ones (a service, ...).
fn other_principal_kinds(s: &Value) -> bool {
    s.get("Principal")
        .and_then(Value::as_object)
        .is_some_and(|o| o.keys().any(|k| k != "AWS"))
}

/// Set `Principal.AWS`, keeping the statement's other kinds of principal.
fn set_aws_principals(s: &mut Value, list: &[String]) {
    match s.get_mut("Principal") {
        Some(Value::Object(o)) => {
            if list.is_empty() {
                o.remove("AWS");
            } else {
                o.insert("AWS".into(), one_or_list(list));
            }
        }
        _ => s["Principal"] = json!({ "AWS": one_or_list(list) }),
    }
}

fn sid_of(s: &Value) -> String {
    s.get("Sid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The `operator key` entries of a Condition.
fn condition_entries(c: Option<&Value>) -> Vec<(String, String)> {
    c.and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(op, block)| {
            block
                .as_object()
                .into_iter()
                .flatten()
                .map(move |(k, _)| (op.clone(), k.clone()))
        })
        .collect()
}

/// Repair a key policy without widening anything: the account-root statement added if
/// missing; each vendor statement (by Sid) that exists keeps its other principals, its
/// Condition and its extra use actions, and gets the vendor principal, the missing actions and
/// any missing part of the profile's condition; a missing one is added whole. Every action
/// that manages the key is taken from the vendor, wherever it was granted. Nothing else changes.
pub fn repair_policy(
    profile: &VendorProfile,
    policy: &Value,
    account: &str,
    partition: &str,
    principal: &str,
) -> PolicyChange {
    let mut out = policy.clone();
    if !out.is_object() {
        out = json!({ "Version": "2012-10-17", "Statement": [] });
    }
    if out.get("Statement").and_then(Value::as_array).is_none() {
        out["Statement"] = json!([]);
    }
    let mut summary = Vec::new();
    let root = format!("arn:{partition}:iam::{account}:root");
    let has_root = has_root_statement(&out, account);
    let vendor_sids: Vec<&str> = profile.statements.iter().map(|s| s.sid.as_str()).collect();
    let list = out["Statement"].as_array_mut().expect("a list");
    if !has_root {
        let mut s = statement_json(&profile.root_statement_sid, &root, &[], None);
        s["Action"] = json!("kms:*");
        list.insert(0, s);
    }

    // A vendor never manages the key: outside its own statements, such grants to it go.
    let mut kept = Vec::with_capacity(list.len());
    for mut s in list.drain(..) {
        let sid = sid_of(&s);
        let allow = s.get("Effect").and_then(Value::as_str) == Some("Allow");
        let names_vendor = aws_principals(&s)
            .iter()
            .any(|p| same_principal(p, principal));
        let bad: Vec<String> = policy::actions(&s)
            .into_iter()
            .filter(|a| policy::vendor_action_problem(a).is_some())
            .map(str::to_string)
            .collect();
        if !allow || !names_vendor || bad.is_empty() || vendor_sids.contains(&sid.as_str()) {
            kept.push(s);
            continue;
        }
        let others: Vec<String> = aws_principals(&s)
            .into_iter()
            .filter(|p| !same_principal(p, principal))
            .collect();
        if !others.is_empty() || other_principal_kinds(&s) {
            set_aws_principals(&mut s, &others);
            summary.push(format!(
                "removed: the vendor {principal} from {sid:?}, which lets its principals manage the key ({}); kept: its other principals",
                bad.join(", ")
            ));
        } else {
            let rest: Vec<String> = policy::actions(&s)
                .into_iter()
                .filter(|a| !bad.iter().any(|b| b == a))
                .map(str::to_string)
                .collect();
            if rest.is_empty() {
                summary.push(format!(
                    "removed: statement {sid:?}, which let the vendor manage the key ({})",
                    bad.join(", ")
                ));
                continue;
            }
            s["Action"] = one_or_list(&rest);
            summary.push(format!(
                "removed: {} from {sid:?} (a vendor never manages the key)",
                bad.join(", ")
            ));
        }
        kept.push(s);
    }
    *list = kept;

    for ps in &profile.statements {
        let sid = ps.sid.as_str();
        let Some(s) = list.iter_mut().find(|s| sid_of(s) == sid) else {
            list.push(statement_json(
                sid,
                principal,
                &ps.actions,
                ps.condition.as_ref(),
            ));
            continue;
        };
        let effect = s
            .get("Effect")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if effect != "Allow" {
            summary.push(format!(
                "kept: {sid:?} as it is: a {effect} statement, which byok does not change"
            ));
            continue;
        }
        // The principal: the vendor added, the others kept. A wildcard is left to the lint.
        let mut aws = aws_principals(s);
        if !matches!(s.get("Principal"), Some(Value::String(_))) && !aws.iter().any(|p| p == "*") {
            for o in aws.iter().filter(|p| !same_principal(p, principal)) {
                summary.push(format!("kept: the principal {o} in {sid:?}, added by you"));
            }
            if !aws.iter().any(|p| same_principal(p, principal)) {
                aws.push(principal.to_string());
                set_aws_principals(s, &aws);
            }
        }
        // The actions: the missing ones added, the management ones removed, the rest kept.
        let acts: Vec<String> = policy::actions(s).into_iter().map(str::to_string).collect();
        let (bad, fine): (Vec<String>, Vec<String>) = acts
            .into_iter()
            .partition(|a| policy::vendor_action_problem(a).is_some());
        let lacking = ps
            .actions
            .iter()
            .any(|r| !fine.iter().any(|a| policy::action_matches(a, r)));
        let extra: Vec<String> = fine
            .into_iter()
            .filter(|a| !ps.actions.iter().any(|r| r.eq_ignore_ascii_case(a)))
            .collect();
        if !bad.is_empty() || lacking {
            let mut new = ps.actions.clone();
            new.extend(extra.iter().cloned());
            s["Action"] = json!(new);
        }
        if !bad.is_empty() {
            summary.push(format!(
                "removed: {} from {sid:?} (a vendor never manages the key)",
                bad.join(", ")
            ));
        }
        if !extra.is_empty() {
            summary.push(format!(
                "kept: {} in {sid:?}, beyond what the profile asks",
                extra.join(", ")
            ));
        }
        // The condition: the profile's added where missing; yours kept, never dropped.
        let wanted = condition_entries(ps.condition.as_ref());
        let own: Vec<String> = condition_entries(s.get("Condition"))
            .into_iter()
            .filter(|e| !wanted.contains(e))
            .map(|(op, k)| format!("{op} {k}"))
            .collect();
        let (_, differs) = condition_gap(ps.condition.as_ref(), s.get("Condition"));
        if let Some(pc) = ps.condition.as_ref().and_then(Value::as_object) {
            for (op, block) in pc {
                for (k, v) in block.as_object().into_iter().flatten() {
                    if s.get("Condition")
                        .and_then(|c| c.get(op))
                        .and_then(|b| b.get(k))
                        .is_none()
                    {
                        s["Condition"][op.as_str()][k.as_str()] = v.clone();
                    }
                }
            }
        }
        if !own.is_empty() {
            summary.push(format!(
                "kept: the Condition on {sid:?} ({}), yours",
                own.join(", ")
            ));
        }
        for (k, yours, theirs) in differs {
            summary.push(format!(
                "kept: your {k} = {yours} in {sid:?} (the profile's is {theirs})"
            ));
        }
    }
    PolicyChange {
        policy: out,
        summary,
    }
}

/// [`repair_policy`]'s policy alone.
pub fn repaired_policy(
    profile: &VendorProfile,
    policy: &Value,
    account: &str,
    partition: &str,
    principal: &str,
) -> Value {
    repair_policy(profile, policy, account, partition, principal).policy
}

/// Every grant to the vendor principal removed, and nothing else: a statement naming only
/// it goes; from one that names others too only the vendor is taken.
pub fn revoke_policy(policy: &Value, principal: &str) -> PolicyChange {
    let mut out = policy.clone();
    let mut summary = Vec::new();
    let Some(list) = out.get_mut("Statement").and_then(Value::as_array_mut) else {
        return PolicyChange {
            policy: out,
            summary,
        };
    };
    list.retain_mut(|s| {
        if s.get("Effect").and_then(Value::as_str) != Some("Allow") {
            return true;
        }
        let ps = aws_principals(s);
        if !ps.iter().any(|p| same_principal(p, principal)) {
            return true;
        }
        let sid = sid_of(s);
        let rest: Vec<String> = ps
            .into_iter()
            .filter(|p| !same_principal(p, principal))
            .collect();
        if rest.is_empty() && !other_principal_kinds(s) {
            summary.push(match s.get("Condition") {
                Some(_) => format!(
                    "removed: statement {sid:?}, which named only the vendor (its Condition goes with it: restoring access adds the profile's statement)"
                ),
                None => format!("removed: statement {sid:?}, which named only the vendor"),
            });
            return false;
        }
        set_aws_principals(s, &rest);
        summary.push(format!(
            "removed: the vendor from {sid:?}; kept: its other principals{}",
            if s.get("Condition").is_some() {
                " and its Condition"
            } else {
                ""
            }
        ));
        true
    });
    PolicyChange {
        policy: out,
        summary,
    }
}

/// [`revoke_policy`]'s policy alone.
pub fn revoked_policy(policy: &Value, principal: &str) -> Value {
    revoke_policy(policy, principal).policy
}

/// The keys an action applies to: for a Multi-Region key, the primary and every replica.
pub fn key_set(target: &KeyStatus) -> Vec<(String, String)> {
    match &target.multi_region {
        Some(m) => {
            let primary_region = m.primary_region.clone();
            let mut out = vec![(primary_region, target.key_id.clone())];
            let replicas: Vec<String> = if m.role == "PRIMARY" {
                m.replicas.iter().map(|r| r.region.clone()).collect()
            } else {
                vec![]
            };
            out.extend(replicas.into_iter().map(|r| (r, target.key_id.clone())));
            if m.role == "REPLICA" && !out.iter().any(|(r, _)| *r == target.region) {
                out.push((target.region.clone(), target.key_id.clone()));
            }
            out
        }
        None => vec![(target.region.clone(), target.key_id.clone())],
    }
}

/// Plan an action on a key (and, where it must, on the rest of its Multi-Region set).
/// Reads fresh state for each key of the set; sends nothing that changes anything.
pub async fn plan_action<S: KeyService>(
    svc: &S,
    catalog: &Catalog,
    target: &KeyStatus,
    action: &Action,
    principal_hint: Option<&str>,
) -> Result<ActionPlan, String> {
    action.check()?;
    let profile = target.vendor.as_deref().and_then(|v| catalog.get(v));
    let consequence_of = |s: &str| meaning_of(profile, s);
    let mut set = key_set(target);
    // A replica's own entry knows only its primary: ask the primary for the replicas.
    if target.is_replica()
        && let Some((pr, id)) = set.first().cloned()
        && let Ok(p) = svc.describe_key(&pr, &id).await
        && let Some(mr) = p.multi_region
    {
        for r in mr.replicas {
            if !set.iter().any(|(x, _)| *x == r.region) {
                set.push((r.region, id.clone()));
            }
        }
    }
    let mut notes = Vec::new();
    let mut changes = Vec::new();
    let arn_of = |region: &str, key_id: &str| {
        format!(
            "arn:{}:kms:{region}:{}:key/{key_id}",
            partition_of_arn(&target.arn),
            target.account
        )
    };
    let change = |region: &str, key_id: &str, call: &str| Change {
        region: region.to_string(),
        key_id: key_id.to_string(),
        arn: arn_of(region, key_id),
        call: call.to_string(),
        days: None,
        policy: None,
        tags: None,
        diff: vec![],
        summary: vec![],
    };
    let multi = set.len() > 1;
    let names = set
        .iter()
        .map(|(r, _)| r.as_str())
        .collect::<Vec<_>>()
        .join(" and ");
    // The state of each key of the set, read now: an action goes only where it applies
    // (KMS refuses to cancel a deletion that is not scheduled, to enable a key pending deletion).
    let mut states: HashMap<String, String> = HashMap::new();
    if matches!(
        action,
        Action::Enable | Action::Disable | Action::ScheduleDeletion { .. } | Action::CancelDeletion
    ) {
        for (r, k) in &set {
            let st = match svc.describe_key(r, k).await {
                Ok(info) => info.state,
                Err(e) => {
                    return Err(format!(
                        "cannot read the key in {r}: {}",
                        e.explain(None, "")
                    ));
                }
            };
            states.insert(r.clone(), st);
        }
    }
    let state_in = |r: &str| states.get(r).map(String::as_str).unwrap_or("");
    let pending = |r: &str| state_in(r).starts_with("Pending");
    let consequence;
    match action {
        Action::Enable => {
            for (r, k) in &set {
                match state_in(r) {
                    "Enabled" => notes.push(format!("The key in {r} is already enabled.")),
                    st if st.starts_with("Pending") => notes.push(format!(
                        "The key in {r} is {st}: cancel the deletion instead (it enables the key too)."
                    )),
                    _ => changes.push(change(r, k, "EnableKey")),
                }
            }
            consequence = meaning_of(profile, "Enabled").0;
        }
        Action::Disable => {
            for (r, k) in &set {
                match state_in(r) {
                    "Enabled" => changes.push(change(r, k, "DisableKey")),
                    st => notes.push(format!("The key in {r} is {st}: nothing to disable.")),
                }
            }
            consequence = consequence_of("Disabled").0;
        }
        Action::EnableRotation { .. } | Action::DisableRotation | Action::RotateNow => {
            if target.state != "Enabled" {
                return Err(format!(
                    "The key is {}: KMS changes rotation only on an enabled key. Enable it first.",
                    target.state
                ));
            }
            let (pr, id) = set[0].clone();
            let mut c = change(
                &pr,
                &id,
                match action {
                    Action::EnableRotation { .. } => "EnableKeyRotation",
                    Action::DisableRotation => "DisableKeyRotation",
                    _ => "RotateKeyOnDemand",
                },
            );
            if let Action::EnableRotation { days } = action {
                c.days = Some(*days);
            }
            changes.push(c);
            if multi {
                notes.push(format!(
                    "Rotation belongs to the Multi-Region primary in {pr}: the replicas share it."
                ));
            }
            consequence = profile
                .map(|p| p.key.rotation_note.clone())
                .unwrap_or_default();
        }
        Action::ScheduleDeletion { days } => {
            // Replicas first: a primary with replicas would wait in PendingReplicaDeletion.
            for (r, k) in set.iter().skip(1).chain(set.iter().take(1)) {
                if pending(r) {
                    notes.push(format!("The key in {r} is already {}.", state_in(r)));
                    continue;
                }
                let mut c = change(r, k, "ScheduleKeyDeletion");
                c.days = Some(*days);
                changes.push(c);
            }
            let (m1, _) = consequence_of("PendingDeletion");
            let (m2, _) = consequence_of("Deleted");
            consequence = format!("{m1} After {days} days: {m2}").trim().to_string();
        }
        Action::CancelDeletion => {
            for (r, k) in &set {
                if pending(r) {
                    changes.push(change(r, k, "CancelKeyDeletion"));
                    changes.push(change(r, k, "EnableKey"));
                } else {
                    notes.push(format!("No deletion is scheduled for the key in {r}."));
                }
            }
            notes.push(
                "KMS leaves a key Disabled after a cancelled deletion: byok enables it again."
                    .into(),
            );
            consequence = meaning_of(profile, "Enabled").0;
        }
        Action::RepairPolicy | Action::RevokeAccess | Action::RestoreAccess => {
            let Some(profile) = profile else {
                return Err("byok does not know this key's vendor: name it with --vendor.".into());
            };
            // Every policy of the set first: another key's vendor statements may name the
            // vendor when this one's are gone.
            let mut olds: Vec<Value> = Vec::new();
            for (r, k) in &set {
                let doc = svc.get_policy(r, k).await.map_err(|e| {
                    format!("cannot read the key policy in {r}: {}", e.explain(None, ""))
                })?;
                olds.push(
                    serde_json::from_str(&doc)
                        .map_err(|e| format!("the key policy in {r} is not JSON: {e}"))?,
                );
            }
            // The journal's principal, as status found it for the key named.
            let journal = target
                .policy
                .as_ref()
                .filter(|p| p.principal_source == Some(PrincipalSource::Journal))
                .and_then(|p| p.vendor_principal.as_deref());
            let partition = partition_of_arn(&target.arn);
            for (n, ((r, k), old)) in set.iter().zip(&olds).enumerate() {
                let tags = svc.list_tags(r, k).await.unwrap_or_default();
                let others: Vec<Value> = olds
                    .iter()
                    .enumerate()
                    .filter(|(m, _)| *m != n)
                    .map(|(_, p)| p.clone())
                    .collect();
                let resolved = vendor_principal(
                    profile,
                    r,
                    &partition,
                    &target.account,
                    &Evidence {
                        flag: principal_hint,
                        journal,
                        policy: Some(old),
                        set_policies: &others,
                        tags: &tags,
                    },
                );
                let Some((principal, _)) = resolved.principal.clone() else {
                    let tag = match &resolved.tag {
                        Some(t) => format!(
                            " The tag {TAG_VENDOR_PRINCIPAL} says {t}, but byok never takes the principal from a tag (anyone allowed kms:TagResource can write it): if it is the vendor's, give it with --principal {t}."
                        ),
                        None => String::new(),
                    };
                    return Err(format!(
                        "byok cannot tell the vendor principal of the key in {r}: neither byok's journal on this machine, the vendor profile nor the key policies name it. Give it with --principal ({}).{tag}",
                        profile.principal.help
                    ));
                };
                if let Some((t, p, from)) = resolved.tag_disagrees() {
                    notes.push(format!(
                        "The tag {TAG_VENDOR_PRINCIPAL} in {r} says {t}, but {} says {p}: byok uses {p} and sets the tag back.",
                        from.describe()
                    ));
                }
                let change_of = match action {
                    Action::RevokeAccess => revoke_policy(old, &principal),
                    _ => repair_policy(profile, old, &target.account, &partition, &principal),
                };
                let new = &change_of.policy;
                // Never send a problem the change brings; say which ones it leaves.
                let before = policy::lint(old, &target.account, &principal);
                let (brought, left): (Vec<PolicyProblem>, Vec<PolicyProblem>) =
                    policy::lint(new, &target.account, &principal)
                        .into_iter()
                        .partition(|p| !before.contains(p));
                if !brought.is_empty() {
                    return Err(format!(
                        "byok will not send the new policy for {r}: {}. Edit the policy by hand.",
                        brought
                            .iter()
                            .map(|p| p.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
                for p in &left {
                    notes.push(format!(
                        "The policy in {r} still has a problem byok leaves to you: {p}."
                    ));
                }
                let old_doc = policy::to_document(old);
                let new_doc = policy::to_document(new);
                let has_tag = tags
                    .iter()
                    .any(|(tk, tv)| tk == TAG_VENDOR_PRINCIPAL && *tv == principal);
                let tag_wrong = resolved.tag_disagrees().is_some();
                if old_doc == new_doc && !tag_wrong && (has_tag || *action == Action::RepairPolicy)
                {
                    notes.push(format!("The policy in {r} already is what it should be."));
                    continue;
                }
                if !has_tag {
                    let mut t = change(r, k, "TagResource");
                    t.tags = Some(vec![(TAG_VENDOR_PRINCIPAL.to_string(), principal.clone())]);
                    changes.push(t);
                }
                if old_doc != new_doc {
                    let mut c = change(r, k, "PutKeyPolicy");
                    c.diff = compact_diff(&line_diff(&old_doc, &new_doc));
                    c.summary = change_of.summary;
                    c.policy = Some(new_doc);
                    changes.push(c);
                }
            }
            if multi {
                notes.push(format!(
                    "Each key of a Multi-Region set has its own policy: applied in {names}."
                ));
            }
            consequence = match action {
                Action::RevokeAccess => consequence_of("PolicyMissingActions").0,
                _ => meaning_of(Some(profile), "Enabled").0,
            };
        }
    }
    if multi
        && !matches!(
            action,
            Action::RepairPolicy
                | Action::RevokeAccess
                | Action::RestoreAccess
                | Action::EnableRotation { .. }
                | Action::DisableRotation
                | Action::RotateNow
        )
    {
        notes.push(format!(
            "The vendor uses every key of the Multi-Region set: applied in {names}."
        ));
    }
    Ok(ActionPlan {
        title: action.title(),
        target: format!("{} in {}", target.name(), target.region),
        changes,
        consequence,
        notes,
    })
}

/// The outcome of one change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeResult {
    pub change: String,
    pub ok: bool,
    pub error: Option<String>,
}

/// Send the planned changes in order; stop at the first refusal.
pub async fn apply<S: KeyService>(svc: &S, plan: &ActionPlan) -> Vec<ChangeResult> {
    let mut out = Vec::new();
    for c in &plan.changes {
        let r = match c.call.as_str() {
            "EnableKey" => svc.enable_key(&c.region, &c.key_id).await,
            "DisableKey" => svc.disable_key(&c.region, &c.key_id).await,
            "EnableKeyRotation" => {
                svc.enable_rotation(&c.region, &c.key_id, c.days.unwrap_or(365))
                    .await
            }
            "DisableKeyRotation" => svc.disable_rotation(&c.region, &c.key_id).await,
            "RotateKeyOnDemand" => svc.rotate_now(&c.region, &c.key_id).await,
            "ScheduleKeyDeletion" => svc
                .schedule_deletion(&c.region, &c.key_id, c.days.unwrap_or(30))
                .await
                .map(|_| ()),
            "CancelKeyDeletion" => svc.cancel_deletion(&c.region, &c.key_id).await,
            "PutKeyPolicy" => {
                svc.put_policy(
                    &c.region,
                    &c.key_id,
                    c.policy.as_deref().unwrap_or_default(),
                )
                .await
            }
            "TagResource" => {
                svc.tag_key(&c.region, &c.key_id, c.tags.as_deref().unwrap_or_default())
                    .await
            }
            other => Err(KmsError::Service {
                code: "Unsupported".into(),
                message: format!("byok does not send {other}"),
            }),
        };
        let label = format!("{} {} in {}", c.call, c.key_id, c.region);
        match r {
            Ok(()) => out.push(ChangeResult {
                change: label,
                ok: true,
                error: None,
            }),
            Err(e) => {
                out.push(ChangeResult {
                    change: label,
                    ok: false,
                    error: Some(e.explain(None, "")),
                });
                break;
            }
        }
    }
    out
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

/// The action that recovers a key, if byok can take it.
pub fn suggested_action(k: &KeyStatus) -> Option<Action> {
    match k.state.as_str() {
        "Disabled" => return Some(Action::Enable),
        "PendingDeletion" | "PendingReplicaDeletion" => return Some(Action::CancelDeletion),
        _ => {}
    }
    let has = |kind: FindingKind| k.findings.iter().any(|f| f.kind == kind);
    // Anyone may use the key: only a person can tell which statement is wanted.
    if has(FindingKind::WildcardPrincipal) {
        return None;
    }
    let known = k
        .policy
        .as_ref()
        .is_some_and(|p| p.vendor_principal.is_some());
    if known && has(FindingKind::AccessRevoked) {
        return Some(Action::RestoreAccess);
    }
    if known
        && [
            FindingKind::MissingActions,
            FindingKind::MissingRoot,
            FindingKind::VendorManagesKey,
            FindingKind::ConditionMissing,
        ]
        .into_iter()
        .any(has)
    {
        return Some(Action::RepairPolicy);
    }
    if k.state == "Enabled" && !k.is_replica() && k.rotation.as_ref().is_some_and(|r| !r.enabled) {
        return Some(Action::EnableRotation { days: 365 });
    }
    None
}

/// The `byok status` flag for an action.
pub fn action_flag(a: &Action) -> String {
    match a {
        Action::Enable => "--enable".into(),
        Action::Disable => "--disable".into(),
        Action::EnableRotation { days } => format!("--rotation-days {days}"),
        Action::DisableRotation => "--disable-rotation".into(),
        Action::RotateNow => "--rotate-now".into(),
        Action::ScheduleDeletion { days } => format!("--schedule-deletion {days}"),
        Action::CancelDeletion => "--cancel-deletion".into(),
        Action::RepairPolicy => "--repair-policy".into(),
        Action::RevokeAccess => "--revoke-access".into(),
        Action::RestoreAccess => "--restore-access".into(),
    }
}

/// Fill a simulated KMS with keys in every state, for `byok --demo status` and UI tests.
pub async fn seed_demo<S: KeyService>(svc: &S, catalog: &Catalog) -> KmsResult<()> {
    let account = svc.identity().await?.account;
    let camunda = catalog.get("camunda").expect("built-in profile");
    let gearset = catalog.get("gearset").expect("built-in profile");
    let role = "arn:aws:iam::210987654321:role/camunda-tenant-7f3a";
    let make = |p: &VendorProfile, alias: &str, principal: &str, role_tag: &str| {
        let partition = "aws";
        let pol = repaired_policy(
            p,
            &json!({"Version": "2012-10-17", "Statement": []}),
            &account,
            partition,
            principal,
        );
        crate::kms::NewKey {
            policy: policy::to_document(&pol),
            description: p.key.description.clone(),
            tags: vec![
                (TAG_MANAGED_BY.into(), "byok".into()),
                (TAG_VENDOR.into(), p.id.clone()),
                (crate::plan::TAG_ALIAS.into(), alias.into()),
                (TAG_ROLE.into(), role_tag.into()),
            ],
            multi_region: false,
        }
    };
    // Camunda, Multi-Region, healthy.
    let mut nk = make(camunda, "alias/camunda-saas-byok", role, "primary");
    nk.multi_region = true;
    let k = svc.create_key("eu-west-1", &nk).await?;
    svc.create_alias("eu-west-1", "alias/camunda-saas-byok", &k.key_id)
        .await?;
    svc.enable_rotation("eu-west-1", &k.key_id, 365).await?;
    let mut rk = nk.clone();
    rk.tags[3].1 = "replica".into();
    svc.replicate_key("eu-west-1", &k.key_id, "eu-west-2", &rk)
        .await?;
    svc.create_alias("eu-west-2", "alias/camunda-saas-byok", &k.key_id)
        .await?;
    // Camunda, a second cluster: the grant statement lost an action.
    let nk = make(
        camunda,
        "alias/camunda-staging-byok",
        "arn:aws:iam::210987654321:role/camunda-tenant-19bc",
        "primary",
    );
    let mut pol: Value = serde_json::from_str(&nk.policy).expect("json");
    pol["Statement"][2]["Action"] = json!(["kms:CreateGrant", "kms:ListGrants"]);
    let nk = crate::kms::NewKey {
        policy: policy::to_document(&pol),
        ..nk
    };
    let k = svc.create_key("eu-west-1", &nk).await?;
    svc.create_alias("eu-west-1", "alias/camunda-staging-byok", &k.key_id)
        .await?;
    svc.enable_rotation("eu-west-1", &k.key_id, 365).await?;
    // Gearset in Oregon: disabled.
    let principal = format!(
        "arn:aws:iam::{}:root",
        gearset.vendor_account("us-west-2").unwrap_or_default()
    );
    let nk = make(gearset, "alias/gearset-backup-byok", &principal, "primary");
    let k = svc.create_key("us-west-2", &nk).await?;
    svc.create_alias("us-west-2", "alias/gearset-backup-byok", &k.key_id)
        .await?;
    svc.enable_rotation("us-west-2", &k.key_id, 180).await?;
    svc.disable_key("us-west-2", &k.key_id).await?;
    // Gearset in Sydney: no rotation.
    let principal = format!(
        "arn:aws:iam::{}:root",
        gearset.vendor_account("ap-southeast-2").unwrap_or_default()
    );
    let nk = make(gearset, "alias/gearset-apac-byok", &principal, "primary");
    let k = svc.create_key("ap-southeast-2", &nk).await?;
    svc.create_alias("ap-southeast-2", "alias/gearset-apac-byok", &k.key_id)
        .await?;
    // Gearset in Canada: pending deletion.
    let principal = format!(
        "arn:aws:iam::{}:root",
        gearset.vendor_account("ca-central-1").unwrap_or_default()
    );
    let nk = make(gearset, "alias/gearset-old-byok", &principal, "primary");
    let k = svc.create_key("ca-central-1", &nk).await?;
    svc.create_alias("ca-central-1", "alias/gearset-old-byok", &k.key_id)
        .await?;
    svc.schedule_deletion("ca-central-1", &k.key_id, 30).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
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
            serde_json::from_str(include_str!("../tests/golden/camunda-single.json")).unwrap();
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
        assert_eq!(r.keys.len(), 6);
        assert_eq!(
            r.summary.ok,
            2,
            "{:#?}",
            r.keys
                .iter()
                .map(|k| (&k.aliases, k.health, &k.findings))
                .collect::<Vec<_>>()
        );
        assert_eq!(r.summary.broken, 3);
        assert_eq!(r.overall(), Health::Broken);
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

#[cfg(test)]
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
}

#[cfg(test)]
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
        // Six demo keys, minus the failed Region's, minus the unreadable one, all still shown.
        let in_failed = match failed[0].region.as_str() {
            "eu-west-1" => 2,
            "eu-west-2" | "us-west-2" | "ap-southeast-2" | "ca-central-1" => 1,
            _ => 0,
        };
        assert_eq!(r.keys.len(), 6 - in_failed - 1, "{:?}", failed[0].region);
        assert!(r.overall() >= Health::NeedsAttention);
    }
}
