//! A [`KeyService`] wrapper that misbehaves on a schedule, for proving how byok copes
//! with AWS trouble: fail the Nth call of an operation with a given [`KmsError`], or let
//! the call succeed on the server and then report an error (the "lost answer": a reset
//! connection after KMS already created the key). Calls are counted per operation, by
//! the KMS/STS/IAM operation name (`CreateKey`, `DescribeKey`, `GetCallerIdentity`, ...).
//!
//! ```
//! # use byok_core::kms::{flaky::FlakyKms, sim::{SimKms, SimOptions}, KmsError};
//! let kms = FlakyKms::new(SimKms::new(SimOptions::instant()));
//! let throttled = KmsError::Throttled { message: "slow down".into() };
//! kms.fail("CreateAlias", 1, throttled.clone())
//!     .fail_times("CreateAlias", 2, 2, throttled)
//!     .lose_answer("CreateKey", 1, KmsError::Network { message: "reset".into() });
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::*;

/// Every operation name the wrapper counts, one per [`KeyService`] method.
pub const OPERATIONS: &[&str] = &[
    "GetCallerIdentity",
    "GetRole",
    "ListRoles",
    "ListAliases",
    "ListKeys",
    "DescribeKey",
    "ListResourceTags",
    "GetKeyPolicy",
    "GetKeyRotationStatus",
    "CreateKey",
    "ReplicateKey",
    "CreateAlias",
    "TagResource",
    "PutKeyPolicy",
    "EnableKeyRotation",
    "DisableKeyRotation",
    "RotateKeyOnDemand",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "CreateRole",
    "PutRolePolicy",
    "GetRolePolicy",
];

/// What happens to a scheduled call.
#[derive(Clone)]
pub enum Fault {
    /// The call never reaches the service; the caller gets this error.
    Fail(KmsError),
    /// The call reaches the service and succeeds there, but the caller gets this error.
    LoseAnswer(KmsError),
    /// The call goes through; then this runs (e.g. to press Ctrl-C at an exact moment).
    After(Arc<dyn Fn() + Send + Sync>),
}

impl std::fmt::Debug for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Fail(e) => write!(f, "Fail({e})"),
            Fault::LoseAnswer(e) => write!(f, "LoseAnswer({e})"),
            Fault::After(_) => write!(f, "After(..)"),
        }
    }
}

#[derive(Debug, Clone)]
struct Rule {
    op: &'static str,
    /// 1-based call numbers this rule applies to: `first..first + times` (`times` None: forever).
    first: u32,
    times: Option<u32>,
    fault: Fault,
}

impl Rule {
    fn applies(&self, op: &str, n: u32) -> bool {
        self.op == op && n >= self.first && self.times.is_none_or(|t| n < self.first + t)
    }
}

#[derive(Default)]
struct Schedule {
    rules: Vec<Rule>,
    counts: HashMap<&'static str, u32>,
}

/// Wraps any [`KeyService`]. Clones share the schedule and the call counts.
#[derive(Clone)]
pub struct FlakyKms<S> {
    inner: S,
    schedule: Arc<Mutex<Schedule>>,
}

impl<S: KeyService> FlakyKms<S> {
    pub fn new(inner: S) -> Self {
        FlakyKms {
            inner,
            schedule: Arc::default(),
        }
    }

    /// The wrapped service (to set up state or inspect it behind the faults).
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Schedule> {
        self.schedule.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn op_name(op: &str) -> &'static str {
        OPERATIONS
            .iter()
            .find(|o| **o == op)
            .unwrap_or_else(|| panic!("FlakyKms: unknown operation {op:?}; one of {OPERATIONS:?}"))
    }

    fn add(&self, op: &str, first: u32, times: Option<u32>, fault: Fault) -> &Self {
        assert!(first >= 1, "calls are numbered from 1");
        let op = Self::op_name(op);
        self.lock().rules.push(Rule {
            op,
            first,
            times,
            fault,
        });
        self
    }

    /// Fail the `nth` call (1-based) of `op` with `error`.
    pub fn fail(&self, op: &str, nth: u32, error: KmsError) -> &Self {
        self.add(op, nth, Some(1), Fault::Fail(error))
    }

    /// Fail `times` calls of `op` in a row, from the `first`.
    pub fn fail_times(&self, op: &str, first: u32, times: u32, error: KmsError) -> &Self {
        self.add(op, first, Some(times), Fault::Fail(error))
    }

    /// Fail every call of `op` from the `first` on.
    pub fn fail_from(&self, op: &str, first: u32, error: KmsError) -> &Self {
        self.add(op, first, None, Fault::Fail(error))
    }

    /// Let the `nth` call of `op` succeed on the service, then report `error` to the caller.
    pub fn lose_answer(&self, op: &str, nth: u32, error: KmsError) -> &Self {
        self.add(op, nth, Some(1), Fault::LoseAnswer(error))
    }

    /// Run `f` right after the `nth` call of `op` went through.
    pub fn after(&self, op: &str, nth: u32, f: impl Fn() + Send + Sync + 'static) -> &Self {
        self.add(op, nth, Some(1), Fault::After(Arc::new(f)))
    }

    /// How many times `op` was called (faulty calls included).
    pub fn calls(&self, op: &str) -> u32 {
        let op = Self::op_name(op);
        self.lock().counts.get(op).copied().unwrap_or(0)
    }

    /// Count the call; the fault scheduled for it, if any (the first matching rule).
    fn next(&self, op: &'static str) -> Option<Fault> {
        let mut s = self.lock();
        let n = {
            let c = s.counts.entry(op).or_insert(0);
            *c += 1;
            *c
        };
        s.rules
            .iter()
            .find(|r| r.applies(op, n))
            .map(|r| r.fault.clone())
    }
}

macro_rules! flaky {
    ($( fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty = $op:literal; )*) => {
        impl<S: KeyService> KeyService for FlakyKms<S> {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    match self.next($op) {
                        None => self.inner.$name($($arg),*).await,
                        Some(Fault::Fail(e)) => Err(e),
                        Some(Fault::LoseAnswer(e)) => {
                            let _ = self.inner.$name($($arg),*).await;
                            Err(e)
                        }
                        Some(Fault::After(f)) => {
                            let out = self.inner.$name($($arg),*).await;
                            f();
                            out
                        }
                    }
                }
            )*
        }
    };
}

flaky! {
    fn identity(&self) -> KmsResult<Identity> = "GetCallerIdentity";
    fn principal_for_policy(&self, caller_arn: &str) -> KmsResult<String> = "GetRole";
    fn list_iam_principals(&self) -> KmsResult<Vec<IamPrincipal>> = "ListRoles";
    fn list_aliases(&self, region: &str) -> KmsResult<Vec<AliasEntry>> = "ListAliases";
    fn list_keys(&self, region: &str) -> KmsResult<Vec<String>> = "ListKeys";
    fn describe_key(&self, region: &str, key_id: &str) -> KmsResult<KeyInfo> = "DescribeKey";
    fn list_tags(&self, region: &str, key_id: &str) -> KmsResult<Vec<(String, String)>> = "ListResourceTags";
    fn get_policy(&self, region: &str, key_id: &str) -> KmsResult<String> = "GetKeyPolicy";
    fn rotation(&self, region: &str, key_id: &str) -> KmsResult<Rotation> = "GetKeyRotationStatus";
    fn create_key(&self, region: &str, key: &NewKey) -> KmsResult<KeyInfo> = "CreateKey";
    fn replicate_key(&self, region: &str, key_id: &str, replica_region: &str, key: &NewKey) -> KmsResult<KeyInfo> = "ReplicateKey";
    fn create_alias(&self, region: &str, alias: &str, key_id: &str) -> KmsResult<()> = "CreateAlias";
    fn tag_key(&self, region: &str, key_id: &str, tags: &[(String, String)]) -> KmsResult<()> = "TagResource";
    fn put_policy(&self, region: &str, key_id: &str, policy: &str) -> KmsResult<()> = "PutKeyPolicy";
    fn enable_rotation(&self, region: &str, key_id: &str, days: u32) -> KmsResult<()> = "EnableKeyRotation";
    fn disable_rotation(&self, region: &str, key_id: &str) -> KmsResult<()> = "DisableKeyRotation";
    fn rotate_now(&self, region: &str, key_id: &str) -> KmsResult<()> = "RotateKeyOnDemand";
    fn enable_key(&self, region: &str, key_id: &str) -> KmsResult<()> = "EnableKey";
    fn disable_key(&self, region: &str, key_id: &str) -> KmsResult<()> = "DisableKey";
    fn schedule_deletion(&self, region: &str, key_id: &str, days: u32) -> KmsResult<String> = "ScheduleKeyDeletion";
    fn cancel_deletion(&self, region: &str, key_id: &str) -> KmsResult<()> = "CancelKeyDeletion";
    fn ensure_alerts(&self, account: &str, partition: &str, keys: &[crate::alerts::AlertKey], email: &str, journal: &crate::journal::Journal) -> KmsResult<crate::alerts::AlertsOutcome> = "Alerts";
    fn get_role(&self, name: &str) -> KmsResult<Option<RoleInfo>> = "GetRole";
    fn create_role(&self, role: &NewRole) -> KmsResult<RoleInfo> = "CreateRole";
    fn put_role_policy(&self, role: &str, policy_name: &str, document: &str) -> KmsResult<()> = "PutRolePolicy";
    fn get_role_policy(&self, role: &str, policy_name: &str) -> KmsResult<Option<String>> = "GetRolePolicy";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::sim::{SimKms, SimOptions};

    fn new_key() -> NewKey {
        NewKey {
            policy: format!(
                r#"{{"Statement":[{{"Principal":{{"AWS":"arn:aws:iam::{}:root"}}}}]}}"#,
                crate::kms::sim::DEMO_ACCOUNT
            ),
            description: "d".into(),
            tags: vec![],
            multi_region: false,
        }
    }

    #[tokio::test]
    async fn schedule_counts_and_faults() {
        let kms = FlakyKms::new(SimKms::new(SimOptions::instant()));
        let t = KmsError::Throttled {
            message: "t".into(),
        };
        kms.fail_times("ListKeys", 2, 2, t.clone());
        assert!(kms.list_keys("eu-west-1").await.is_ok());
        assert_eq!(kms.list_keys("eu-west-1").await, Err(t.clone()));
        assert_eq!(kms.list_keys("eu-west-1").await, Err(t));
        assert!(kms.list_keys("eu-west-1").await.is_ok());
        assert_eq!(kms.calls("ListKeys"), 4);
        assert_eq!(kms.calls("CreateKey"), 0);
    }

    #[tokio::test]
    async fn a_lost_answer_still_happened_and_a_failure_did_not() {
        let kms = FlakyKms::new(SimKms::new(SimOptions::instant()));
        let net = KmsError::Network {
            message: "reset".into(),
        };
        kms.lose_answer("CreateKey", 1, net.clone())
            .fail("CreateKey", 2, net.clone());
        assert_eq!(
            kms.create_key("eu-west-1", &new_key()).await,
            Err(net.clone())
        );
        assert_eq!(kms.inner().list_keys("eu-west-1").await.unwrap().len(), 1);
        assert_eq!(kms.create_key("eu-west-1", &new_key()).await, Err(net));
        assert_eq!(kms.inner().list_keys("eu-west-1").await.unwrap().len(), 1);
        assert!(kms.create_key("eu-west-1", &new_key()).await.is_ok());
        assert_eq!(kms.inner().list_keys("eu-west-1").await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn after_runs_once_the_call_went_through() {
        let kms = FlakyKms::new(SimKms::new(SimOptions::instant()));
        let hits = Arc::new(Mutex::new(0));
        let h = hits.clone();
        kms.fail_from(
            "GetCallerIdentity",
            3,
            KmsError::ExpiredToken {
                message: "x".into(),
            },
        )
        .after("GetCallerIdentity", 2, move || *h.lock().unwrap() += 1);
        assert!(kms.identity().await.is_ok());
        assert_eq!(*hits.lock().unwrap(), 0);
        assert!(kms.identity().await.is_ok());
        assert_eq!(*hits.lock().unwrap(), 1);
        for _ in 0..3 {
            assert!(matches!(
                kms.identity().await,
                Err(KmsError::ExpiredToken { .. })
            ));
        }
    }

    #[test]
    #[should_panic(expected = "unknown operation")]
    fn a_misspelt_operation_is_refused() {
        FlakyKms::new(SimKms::new(SimOptions::instant())).fail(
            "CreateKeys",
            1,
            KmsError::Throttled {
                message: String::new(),
            },
        );
    }
}
