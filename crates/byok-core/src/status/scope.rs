//! Where `byok status` looks: the Regions, the keys named, the keys byok's journal knows.

use super::*;

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

impl Scope {
    /// What byok's journal adds to a scope: the Regions it made keys in, and those keys (to
    /// tell one gone from this account, and the principal each was made for).
    pub fn with_journal(mut self, entries: &[crate::journal::Entry]) -> Scope {
        self.extra_regions = crate::journal::regions(entries);
        self.known_keys = known_keys(entries);
        self
    }
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
