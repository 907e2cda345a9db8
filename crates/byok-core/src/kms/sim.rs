//! The simulated KMS behind `--demo` and the UI tests: in memory, deterministic account
//! `111122223333`, realistic latencies, and a replica that stays `Creating` for a while.
//! Nothing is sent anywhere.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

pub const DEMO_ACCOUNT: &str = "111122223333";

/// The roles the demo account has from the start (the administrators offered), which IAM
/// knows like the roles a run creates.
const DEMO_ROLES: [&str; 4] = [
    "KeyAdministrators",
    "PlatformTeam",
    "SecurityAudit",
    "ci-deploy",
];

#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Added to every call, like a round trip to AWS.
    pub latency: Duration,
    /// How long a new replica stays `Creating`.
    pub replica_creating: Duration,
}

impl SimOptions {
    /// What `--demo` uses: feels like a real account.
    pub fn demo() -> Self {
        SimOptions {
            latency: Duration::from_millis(180),
            replica_creating: Duration::from_secs(4),
        }
    }

    /// For tests: no waiting.
    pub fn instant() -> Self {
        SimOptions {
            latency: Duration::ZERO,
            replica_creating: Duration::ZERO,
        }
    }
}

#[derive(Debug, Clone)]
struct SimKey {
    info: KeyInfo,
    tags: Vec<(String, String)>,
    policy: String,
    rotation: Option<u32>,
    ready_at: Option<Instant>,
}

#[derive(Default)]
struct State {
    /// (region, key_id) -> key
    keys: BTreeMap<(String, String), SimKey>,
    /// (region, alias) -> key_id
    aliases: BTreeMap<(String, String), String>,
    counter: u64,
    calls: Vec<String>,
    /// IAM roles by name, with their inline policies by name.
    roles: BTreeMap<String, (RoleInfo, BTreeMap<String, String>)>,
}

/// An in-memory KMS. Clones share state.
#[derive(Clone)]
pub struct SimKms {
    state: Arc<Mutex<State>>,
    opts: SimOptions,
}

impl SimKms {
    pub fn new(opts: SimOptions) -> Self {
        SimKms {
            state: Arc::default(),
            opts,
        }
    }

    /// Every operation called so far, as `Operation region`.
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn enter(&self, op: &str, region: &str) {
        self.lock().calls.push(format!("{op} {region}"));
        if !self.opts.latency.is_zero() {
            tokio::time::sleep(self.opts.latency).await;
        }
    }

    fn not_found(what: &str) -> KmsError {
        KmsError::NotFound {
            message: format!("{what} does not exist"),
        }
    }

    /// Resolve a key ID, key ARN or alias name in a Region.
    fn resolve(st: &State, region: &str, id: &str) -> KmsResult<String> {
        if id.starts_with("alias/") {
            return st
                .aliases
                .get(&(region.to_string(), id.to_string()))
                .cloned()
                .ok_or_else(|| Self::not_found(&format!("Alias {id}")));
        }
        let key_id = id.rsplit('/').next().unwrap_or(id).to_string();
        if st.keys.contains_key(&(region.to_string(), key_id.clone())) {
            Ok(key_id)
        } else {
            Err(Self::not_found(&format!("Key {id}")))
        }
    }

    fn with_key<T>(
        &self,
        region: &str,
        id: &str,
        f: impl FnOnce(&mut SimKey) -> KmsResult<T>,
    ) -> KmsResult<T> {
        let mut st = self.lock();
        let key_id = Self::resolve(&st, region, id)?;
        let k = st
            .keys
            .get_mut(&(region.to_string(), key_id))
            .expect("resolved");
        if let Some(t) = k.ready_at
            && Instant::now() >= t
        {
            k.info.state = "Enabled".into();
            k.ready_at = None;
        }
        f(k)
    }

    /// Where a key's rotation lives: a Multi-Region replica shares its primary's (KMS sets
    /// rotation on the primary; a replica reports the primary's status).
    fn rotation_key(st: &State, region: &str, key_id: &str) -> (String, String) {
        let own = (region.to_string(), key_id.to_string());
        match st.keys.get(&own).and_then(|k| k.info.multi_region.as_ref()) {
            Some(mr) if mr.role == "REPLICA" => {
                let primary = (mr.primary.region.clone(), key_id.to_string());
                if st.keys.contains_key(&primary) {
                    primary
                } else {
                    own
                }
            }
            _ => own,
        }
    }

    /// Rotation is changed on the primary only, as KMS does.
    fn refuse_on_replica(k: &SimKey, op: &str) -> KmsResult<()> {
        match &k.info.multi_region {
            Some(mr) if mr.role == "REPLICA" => Err(KmsError::Service {
                code: "UnsupportedOperationException".into(),
                message: format!(
                    "{} is a multi-Region replica key: {op} applies to its primary key in {}",
                    k.info.arn, mr.primary.region
                ),
            }),
            _ => Ok(()),
        }
    }

    fn now() -> String {
        crate::journal::now_rfc3339()
    }

    /// Add a key that byok did not make (for demos of the status screen and tests).
    pub fn insert_foreign_key(&self, region: &str, alias: &str) -> String {
        let mut st = self.lock();
        st.counter += 1;
        let key_id = format!("0000{:04}-1111-2222-3333-444455556666", st.counter);
        let info = KeyInfo {
            key_id: key_id.clone(),
            arn: format!("arn:aws:kms:{region}:{DEMO_ACCOUNT}:key/{key_id}"),
            region: region.into(),
            state: "Enabled".into(),
            description: "someone else's key".into(),
            created: Some(Self::now()),
            deletion_date: None,
            key_spec: "SYMMETRIC_DEFAULT".into(),
            key_usage: "ENCRYPT_DECRYPT".into(),
            key_manager: "CUSTOMER".into(),
            multi_region: None,
        };
        st.keys.insert(
            (region.into(), key_id.clone()),
            SimKey {
                info,
                tags: vec![],
                policy: "{}".into(),
                rotation: None,
                ready_at: None,
            },
        );
        st.aliases
            .insert((region.into(), alias.into()), key_id.clone());
        key_id
    }
}

impl KeyService for SimKms {
    /// The demo has no EventBridge or SNS: the alerts are reported as simulated.
    async fn ensure_alerts(
        &self,
        _account: &str,
        _partition: &str,
        keys: &[crate::alerts::AlertKey],
        _email: &str,
        _journal: &crate::journal::Journal,
    ) -> KmsResult<crate::alerts::AlertsOutcome> {
        Ok(crate::alerts::AlertsOutcome {
            trails: keys
                .iter()
                .map(|k| (k.region.clone(), true, "simulated in the demo".into()))
                .take(1)
                .collect(),
            kept: vec!["the demo simulates alerts: nothing is set up".into()],
            ..Default::default()
        })
    }

    async fn identity(&self) -> KmsResult<Identity> {
        self.enter("GetCallerIdentity", "global").await;
        Ok(Identity {
            account: DEMO_ACCOUNT.into(),
            arn: format!(
                "arn:aws:sts::{DEMO_ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/demo.user"
            ),
        })
    }

    async fn principal_for_policy(&self, caller_arn: &str) -> KmsResult<String> {
        self.enter("GetRole", "global").await;
        let role = caller_arn.split('/').nth(1).unwrap_or("demo");
        Ok(format!(
            "arn:aws:iam::{DEMO_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/{role}"
        ))
    }

    async fn get_role(&self, name: &str) -> KmsResult<Option<RoleInfo>> {
        self.enter("GetRole", "global").await;
        Ok(self.lock().roles.get(name).map(|(r, _)| r.clone()))
    }

    async fn create_role(&self, role: &NewRole) -> KmsResult<RoleInfo> {
        self.enter("CreateRole", "global").await;
        let mut st = self.lock();
        if st.roles.contains_key(&role.name) {
            return Err(KmsError::AlreadyExists {
                message: format!("Role with name {} already exists.", role.name),
            });
        }
        let info = RoleInfo {
            name: role.name.clone(),
            arn: format!("arn:aws:iam::{DEMO_ACCOUNT}:role/{}", role.name),
            trust_policy: role.trust_policy.clone(),
            tags: role.tags.clone(),
        };
        st.roles
            .insert(role.name.clone(), (info.clone(), BTreeMap::new()));
        Ok(info)
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> KmsResult<()> {
        self.enter("PutRolePolicy", "global").await;
        let mut st = self.lock();
        let (_, policies) = st
            .roles
            .get_mut(role)
            .ok_or_else(|| Self::not_found(&format!("role {role}")))?;
        policies.insert(policy_name.to_string(), document.to_string());
        Ok(())
    }

    async fn get_role_policy(&self, role: &str, policy_name: &str) -> KmsResult<Option<String>> {
        self.enter("GetRolePolicy", "global").await;
        let st = self.lock();
        let (_, policies) = st
            .roles
            .get(role)
            .ok_or_else(|| Self::not_found(&format!("role {role}")))?;
        Ok(policies.get(policy_name).cloned())
    }

    async fn list_iam_principals(&self) -> KmsResult<Vec<IamPrincipal>> {
        self.enter("ListRoles", "global").await;
        let roles = DEMO_ROLES;
        let users = ["alice", "bob"];
        let mut out: Vec<IamPrincipal> = roles
            .iter()
            .map(|r| IamPrincipal {
                arn: format!("arn:aws:iam::{DEMO_ACCOUNT}:role/{r}"),
                kind: "role".into(),
                name: r.to_string(),
            })
            .collect();
        out.extend(users.iter().map(|u| IamPrincipal {
            arn: format!("arn:aws:iam::{DEMO_ACCOUNT}:user/{u}"),
            kind: "user".into(),
            name: u.to_string(),
        }));
        Ok(out)
    }

    async fn list_aliases(&self, region: &str) -> KmsResult<Vec<AliasEntry>> {
        self.enter("ListAliases", region).await;
        let st = self.lock();
        Ok(st
            .aliases
            .iter()
            .filter(|((r, _), _)| r == region)
            .map(|((_, a), k)| AliasEntry {
                name: a.clone(),
                target_key_id: Some(k.clone()),
            })
            .collect())
    }

    async fn list_keys(&self, region: &str) -> KmsResult<Vec<String>> {
        self.enter("ListKeys", region).await;
        Ok(self
            .lock()
            .keys
            .keys()
            .filter(|(r, _)| r == region)
            .map(|(_, k)| k.clone())
            .collect())
    }

    async fn describe_key(&self, region: &str, key_id: &str) -> KmsResult<KeyInfo> {
        self.enter("DescribeKey", region).await;
        let mut info = self.with_key(region, key_id, |k| Ok(k.info.clone()))?;
        // The primary lists its replicas as they are now.
        if let Some(mr) = &mut info.multi_region {
            let st = self.lock();
            mr.replicas = st
                .keys
                .iter()
                .filter(|((r, id), k)| {
                    *id == info.key_id && *r != mr.primary.region && k.info.multi_region.is_some()
                })
                .map(|((r, _), k)| RegionalKey {
                    region: r.clone(),
                    arn: k.info.arn.clone(),
                })
                .collect();
        }
        Ok(info)
    }

    async fn list_tags(&self, region: &str, key_id: &str) -> KmsResult<Vec<(String, String)>> {
        self.enter("ListResourceTags", region).await;
        self.with_key(region, key_id, |k| Ok(k.tags.clone()))
    }

    async fn get_policy(&self, region: &str, key_id: &str) -> KmsResult<String> {
        self.enter("GetKeyPolicy", region).await;
        self.with_key(region, key_id, |k| Ok(k.policy.clone()))
    }

    async fn rotation(&self, region: &str, key_id: &str) -> KmsResult<Rotation> {
        self.enter("GetKeyRotationStatus", region).await;
        let id = self.with_key(region, key_id, |k| Ok(k.info.key_id.clone()))?;
        let st = self.lock();
        let rotation = st
            .keys
            .get(&Self::rotation_key(&st, region, &id))
            .and_then(|k| k.rotation);
        Ok(Rotation {
            enabled: rotation.is_some(),
            period_days: rotation,
            next_rotation: rotation.map(|_| "2027-11-23T09:00:00Z".to_string()),
        })
    }

    async fn create_key(&self, region: &str, key: &NewKey) -> KmsResult<KeyInfo> {
        self.enter("CreateKey", region).await;
        let policy: serde_json::Value =
            serde_json::from_str(&key.policy).map_err(|e| KmsError::MalformedPolicy {
                message: e.to_string(),
            })?;
        if !policy
            .to_string()
            .contains(&format!(":iam::{DEMO_ACCOUNT}:root"))
        {
            return Err(KmsError::Lockout {
                message:
                    "The new key policy will not allow you to update the key policy in the future."
                        .into(),
            });
        }
        // As KMS: a role of this account that IAM does not know is an invalid principal.
        let text = policy.to_string();
        let mut rest = text.as_str();
        let marker = format!(":iam::{DEMO_ACCOUNT}:role/");
        while let Some(i) = rest.find(&marker) {
            let name: String = rest[i + marker.len()..]
                .chars()
                .take_while(|c| *c != '"')
                .collect();
            if !name.contains('/')
                && !DEMO_ROLES.contains(&name.as_str())
                && !self.lock().roles.contains_key(&name)
            {
                return Err(KmsError::InvalidPrincipal {
                    message: "Policy contains a statement with one or more invalid principals."
                        .into(),
                });
            }
            rest = &rest[i + marker.len()..];
        }
        let mut st = self.lock();
        st.counter += 1;
        // Shaped as KMS's: a UUID, or mrk- and 32 hex digits for a Multi-Region key.
        let head = 0x1234abcdu32.wrapping_add(st.counter as u32);
        let key_id = if key.multi_region {
            format!("mrk-{head:08x}4b1c4d2e8f3a{:012x}", st.counter)
        } else {
            format!("{head:08x}-4b1c-4d2e-8f3a-{:012x}", st.counter)
        };
        let arn = format!("arn:aws:kms:{region}:{DEMO_ACCOUNT}:key/{key_id}");
        let info = KeyInfo {
            key_id: key_id.clone(),
            arn: arn.clone(),
            region: region.into(),
            state: "Enabled".into(),
            description: key.description.clone(),
            created: Some(Self::now()),
            deletion_date: None,
            key_spec: "SYMMETRIC_DEFAULT".into(),
            key_usage: "ENCRYPT_DECRYPT".into(),
            key_manager: "CUSTOMER".into(),
            multi_region: key.multi_region.then(|| MultiRegionInfo {
                role: "PRIMARY".into(),
                primary: RegionalKey {
                    region: region.into(),
                    arn: arn.clone(),
                },
                replicas: vec![],
            }),
        };
        st.keys.insert(
            (region.into(), key_id),
            SimKey {
                info: info.clone(),
                tags: key.tags.clone(),
                policy: key.policy.clone(),
                rotation: None,
                ready_at: None,
            },
        );
        Ok(info)
    }

    async fn replicate_key(
        &self,
        region: &str,
        key_id: &str,
        replica_region: &str,
        key: &NewKey,
    ) -> KmsResult<KeyInfo> {
        self.enter("ReplicateKey", region).await;
        let primary = self.with_key(region, key_id, |k| Ok(k.info.clone()))?;
        let Some(mr) = primary.multi_region.clone() else {
            return Err(KmsError::Service {
                code: "UnsupportedOperationException".into(),
                message: "only a Multi-Region key can be replicated".into(),
            });
        };
        let mut st = self.lock();
        let slot = (replica_region.to_string(), primary.key_id.clone());
        if st.keys.contains_key(&slot) {
            return Err(KmsError::AlreadyExists {
                message: format!("a replica exists in {replica_region}"),
            });
        }
        let arn = format!(
            "arn:aws:kms:{replica_region}:{DEMO_ACCOUNT}:key/{}",
            primary.key_id
        );
        let info = KeyInfo {
            arn,
            region: replica_region.into(),
            state: if self.opts.replica_creating.is_zero() {
                "Enabled"
            } else {
                "Creating"
            }
            .into(),
            description: key.description.clone(),
            created: Some(Self::now()),
            multi_region: Some(MultiRegionInfo {
                role: "REPLICA".into(),
                primary: mr.primary,
                replicas: vec![],
            }),
            ..primary
        };
        let ready_at = (!self.opts.replica_creating.is_zero())
            .then(|| Instant::now() + self.opts.replica_creating);
        st.keys.insert(
            slot,
            SimKey {
                info: info.clone(),
                tags: key.tags.clone(),
                policy: key.policy.clone(),
                rotation: None,
                ready_at,
            },
        );
        Ok(info)
    }

    async fn create_alias(&self, region: &str, alias: &str, key_id: &str) -> KmsResult<()> {
        self.enter("CreateAlias", region).await;
        let mut st = self.lock();
        let target = Self::resolve(&st, region, key_id)?;
        let slot = (region.to_string(), alias.to_string());
        if st.aliases.contains_key(&slot) {
            return Err(KmsError::AlreadyExists {
                message: format!("An alias with the name {alias} already exists"),
            });
        }
        st.aliases.insert(slot, target);
        Ok(())
    }

    async fn tag_key(
        &self,
        region: &str,
        key_id: &str,
        tags: &[(String, String)],
    ) -> KmsResult<()> {
        self.enter("TagResource", region).await;
        self.with_key(region, key_id, |k| {
            for (tk, tv) in tags {
                k.tags.retain(|(ek, _)| ek != tk);
                k.tags.push((tk.clone(), tv.clone()));
            }
            Ok(())
        })
    }

    async fn put_policy(&self, region: &str, key_id: &str, policy: &str) -> KmsResult<()> {
        self.enter("PutKeyPolicy", region).await;
        self.with_key(region, key_id, |k| {
            k.policy = policy.to_string();
            Ok(())
        })
    }

    async fn enable_rotation(&self, region: &str, key_id: &str, days: u32) -> KmsResult<()> {
        self.enter("EnableKeyRotation", region).await;
        self.with_key(region, key_id, |k| {
            Self::refuse_on_replica(k, "EnableKeyRotation")?;
            if k.info.state != "Enabled" {
                return Err(KmsError::InvalidState {
                    message: format!("key is {}", k.info.state),
                });
            }
            k.rotation = Some(days);
            Ok(())
        })
    }

    async fn disable_rotation(&self, region: &str, key_id: &str) -> KmsResult<()> {
        self.enter("DisableKeyRotation", region).await;
        self.with_key(region, key_id, |k| {
            Self::refuse_on_replica(k, "DisableKeyRotation")?;
            k.rotation = None;
            Ok(())
        })
    }

    async fn rotate_now(&self, region: &str, key_id: &str) -> KmsResult<()> {
        self.enter("RotateKeyOnDemand", region).await;
        self.with_key(region, key_id, |k| {
            Self::refuse_on_replica(k, "RotateKeyOnDemand")
        })
    }

    async fn enable_key(&self, region: &str, key_id: &str) -> KmsResult<()> {
        self.enter("EnableKey", region).await;
        self.with_key(region, key_id, |k| {
            k.info.state = "Enabled".into();
            Ok(())
        })
    }

    async fn disable_key(&self, region: &str, key_id: &str) -> KmsResult<()> {
        self.enter("DisableKey", region).await;
        self.with_key(region, key_id, |k| {
            k.info.state = "Disabled".into();
            Ok(())
        })
    }

    async fn schedule_deletion(&self, region: &str, key_id: &str, days: u32) -> KmsResult<String> {
        self.enter("ScheduleKeyDeletion", region).await;
        self.with_key(region, key_id, |k| {
            k.info.state = "PendingDeletion".into();
            let when = std::time::SystemTime::now() + Duration::from_secs(86_400 * u64::from(days));
            let date = aws_sdk_kms::primitives::DateTime::from(when)
                .fmt(aws_sdk_kms::primitives::DateTimeFormat::DateTime)
                .unwrap_or_default();
            k.info.deletion_date = Some(date.clone());
            Ok(date)
        })
    }

    async fn cancel_deletion(&self, region: &str, key_id: &str) -> KmsResult<()> {
        self.enter("CancelKeyDeletion", region).await;
        self.with_key(region, key_id, |k| {
            // As KMS does: a cancelled deletion leaves the key Disabled.
            k.info.state = "Disabled".into();
            k.info.deletion_date = None;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_key(multi_region: bool) -> NewKey {
        NewKey {
            policy: format!(
                r#"{{"Statement":[{{"Principal":{{"AWS":"arn:aws:iam::{DEMO_ACCOUNT}:root"}}}}]}}"#
            ),
            description: "test".into(),
            tags: vec![],
            multi_region,
        }
    }

    /// Key IDs look like KMS's: a UUID for a single-Region key, `mrk-` and 32 hex digits for
    /// a Multi-Region one (the demo shows them, and copies of them).
    #[tokio::test]
    async fn key_ids_are_shaped_as_kms_makes_them() {
        let sim = SimKms::new(SimOptions::instant());
        let hex = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        };
        for _ in 0..3 {
            let id = sim
                .create_key("eu-west-1", &new_key(false))
                .await
                .unwrap()
                .key_id;
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                vec![8, 4, 4, 4, 12],
                "{id}"
            );
            assert!(parts.iter().all(|p| hex(p)), "{id}");
            let mrk = sim
                .create_key("eu-west-1", &new_key(true))
                .await
                .unwrap()
                .key_id;
            let rest = mrk.strip_prefix("mrk-").expect("mrk- prefix");
            assert!(rest.len() == 32 && hex(rest), "{mrk}");
        }
    }

    /// A Multi-Region set has one rotation: set on the primary, reported by every replica.
    #[tokio::test]
    async fn replicas_share_their_primarys_rotation() {
        let sim = SimKms::new(SimOptions::instant());
        let p = sim.create_key("eu-west-1", &new_key(true)).await.unwrap();
        sim.replicate_key("eu-west-1", &p.key_id, "eu-west-2", &new_key(true))
            .await
            .unwrap();
        assert!(!sim.rotation("eu-west-2", &p.key_id).await.unwrap().enabled);

        sim.enable_rotation("eu-west-1", &p.key_id, 180)
            .await
            .unwrap();
        let replica = sim.rotation("eu-west-2", &p.key_id).await.unwrap();
        assert_eq!(replica, sim.rotation("eu-west-1", &p.key_id).await.unwrap());
        assert!(replica.enabled);
        assert_eq!(replica.period_days, Some(180));
        // By ARN too, as byok status asks.
        let arn = format!("arn:aws:kms:eu-west-2:{DEMO_ACCOUNT}:key/{}", p.key_id);
        assert!(sim.rotation("eu-west-2", &arn).await.unwrap().enabled);

        // Changing it on a replica is refused, as KMS does; the set keeps its rotation.
        for e in [
            sim.enable_rotation("eu-west-2", &p.key_id, 90).await,
            sim.disable_rotation("eu-west-2", &p.key_id).await,
            sim.rotate_now("eu-west-2", &p.key_id).await,
        ] {
            assert!(
                matches!(&e, Err(KmsError::Service { code, .. }) if code == "UnsupportedOperationException"),
                "{e:?}"
            );
        }
        assert_eq!(
            sim.rotation("eu-west-2", &p.key_id)
                .await
                .unwrap()
                .period_days,
            Some(180)
        );

        sim.disable_rotation("eu-west-1", &p.key_id).await.unwrap();
        assert!(!sim.rotation("eu-west-2", &p.key_id).await.unwrap().enabled);

        // A single-Region key keeps its own.
        let s = sim.create_key("eu-west-2", &new_key(false)).await.unwrap();
        assert!(!sim.rotation("eu-west-2", &s.key_id).await.unwrap().enabled);
    }
}
