//! Discovery: list each Region's keys and aliases, read byok's keys (and the named ones),
//! and send each as it is judged.

use super::*;

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

pub(super) fn region_error(e: &KmsError) -> RegionError {
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

pub(super) struct RegionListing {
    keys: Vec<String>,
    /// key id -> alias names
    aliases: HashMap<String, Vec<String>>,
    /// Keys behind `alias/aws/...`: AWS-managed, never byok's.
    aws_managed: HashSet<String>,
}

pub(super) fn index_aliases(list: Vec<AliasEntry>) -> RegionListing {
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

pub(super) async fn list_region<S: KeyService>(
    svc: &S,
    region: &str,
) -> Result<RegionListing, KmsError> {
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
    // Beside them, who the caller is: step 2 needs the account, and waiting for it after
    // the lists would cost one more round trip.
    let wants_identity = !scope.known_keys.is_empty() && !scope.named_only;
    let identity = async {
        if wants_identity {
            svc.identity().await.ok()
        } else {
            None
        }
    };
    let (listings, me): (Vec<(String, Result<RegionListing, KmsError>)>, _) =
        tokio::join!(futures_util::future::join_all(list_futs), identity);
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
    if let Some(me) = me {
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
pub(super) async fn drain<F: std::future::Future<Output = Found>>(
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
pub(super) enum Found {
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

pub(super) struct Ctx<'a, S> {
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

    /// A key known by its ID: its state, policy and rotation read together (one round
    /// trip), then what depends on the state (a primary's replicas).
    async fn load(
        &self,
        region: &str,
        key_id: &str,
        tags: Option<Vec<(String, String)>>,
        found_by: &str,
    ) -> KeyStatus {
        let (info, policy, rotation) = tokio::join!(
            self.svc.describe_key(region, key_id),
            self.svc.get_policy(region, key_id),
            self.svc.rotation(region, key_id)
        );
        match info {
            Ok(info) => {
                self.load_read(region, info, tags, None, found_by, Some((policy, rotation)))
                    .await
            }
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
        self.load_read(region, info, tags, aliases, found_by, None)
            .await
    }

    /// As [`Self::load_from`], with the policy and rotation already read (or read here).
    #[allow(clippy::type_complexity)]
    async fn load_read(
        &self,
        region: &str,
        info: KeyInfo,
        tags: Option<Vec<(String, String)>>,
        aliases: Option<Vec<String>>,
        found_by: &str,
        read: Option<(KmsResult<String>, KmsResult<Rotation>)>,
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
        let read_f = async {
            match read {
                Some(r) => r,
                None => tokio::join!(svc.get_policy(region, key_id), svc.rotation(region, key_id)),
            }
        };
        let (tags, (policy_doc, rotation), replicas) = tokio::join!(tags_f, read_f, replicas_f);
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
        // The role a vendor assumes (a profile's `customer_role`): read beside the key.
        let own: Option<Value> = policy_doc
            .as_deref()
            .ok()
            .and_then(|p| serde_json::from_str(p).ok());
        let role = match vendor_of(
            self.catalog,
            tags.as_deref().unwrap_or_default(),
            vendor_hint.as_deref(),
            own.as_ref(),
        ) {
            (Some(profile), _) => match &profile.customer_role {
                Some(spec) => Some(
                    async {
                        let role = self.svc.get_role(&spec.name).await?;
                        let policy = if role.is_some() && !spec.policy.is_empty() {
                            self.svc
                                .get_role_policy(&spec.name, &spec.policy_name)
                                .await?
                        } else {
                            None
                        };
                        Ok(RoleRead { role, policy })
                    }
                    .await,
                ),
                None => None,
            },
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
                role,
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

pub(super) fn deleted_key(region: &str, key_id: &str, e: &KmsError) -> KeyStatus {
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

/// Fill in each key's alerts (`crate::alerts`): one read per Region, all Regions at once.
pub async fn annotate_alerts(aws: &crate::kms::aws::AwsKms, report: &mut StatusReport) {
    let mut regions: Vec<String> = report
        .keys
        .iter()
        .filter(|k| k.state != KeyState::Deleted)
        .map(|k| k.region.clone())
        .collect();
    regions.sort();
    regions.dedup();
    let reads = futures_util::future::join_all(
        regions
            .iter()
            .map(|r| crate::kms::alerts::read_region(aws, r)),
    )
    .await;
    let by_region: HashMap<&str, crate::alerts::RegionAlerts> =
        regions.iter().map(String::as_str).zip(reads).collect();
    for k in &mut report.keys {
        if let Some(r) = by_region.get(k.region.as_str()) {
            k.alerts = Some(crate::alerts::status_of(r, &k.region, &k.key_id));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Setting them up
