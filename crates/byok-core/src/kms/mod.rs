//! The KMS operations byok uses, behind one trait with two implementations:
//! [`aws::AwsKms`] (the real aws-sdk-kms) and [`sim::SimKms`] (the demo simulator).

pub mod alerts;
pub mod aws;
pub mod flaky;
mod http;
pub mod sim;

use serde::{Deserialize, Serialize};
use std::future::Future;

pub use crate::error::KmsError;

pub type KmsResult<T> = Result<T, KmsError>;

/// Who is calling: from STS `GetCallerIdentity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

/// What `DescribeKey` tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub key_id: String,
    pub arn: String,
    pub region: String,
    /// Creating, Enabled, Disabled, PendingDeletion, PendingReplicaDeletion, ...
    pub state: String,
    pub description: String,
    /// RFC 3339.
    pub created: Option<String>,
    /// RFC 3339, when deletion is scheduled.
    pub deletion_date: Option<String>,
    pub key_spec: String,
    pub key_usage: String,
    /// CUSTOMER or AWS.
    pub key_manager: String,
    pub multi_region: Option<MultiRegionInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiRegionInfo {
    /// PRIMARY or REPLICA.
    pub role: String,
    pub primary: RegionalKey,
    pub replicas: Vec<RegionalKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionalKey {
    pub region: String,
    pub arn: String,
}

/// An alias and the key it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasEntry {
    pub name: String,
    pub target_key_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    pub enabled: bool,
    pub period_days: Option<u32>,
    /// RFC 3339.
    pub next_rotation: Option<String>,
}

/// What a new key (or replica) is created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub policy: String,
    pub description: String,
    pub tags: Vec<(String, String)>,
    pub multi_region: bool,
}

/// An IAM role as byok reads it (`GetRole`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleInfo {
    pub name: String,
    pub arn: String,
    /// The trust policy as JSON text (IAM's URL encoding undone).
    pub trust_policy: String,
    pub tags: Vec<(String, String)>,
}

/// What a new role is created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRole {
    pub name: String,
    pub trust_policy: String,
    pub description: String,
    pub tags: Vec<(String, String)>,
}

fn no_iam<T>() -> KmsResult<T> {
    Err(KmsError::Service {
        code: "Unsupported".into(),
        message: "roles need IAM, which this backend does not have".into(),
    })
}

/// An IAM user or role an administrator can be picked from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamPrincipal {
    pub arn: String,
    /// "role" or "user".
    pub kind: String,
    pub name: String,
}

/// The operations byok performs. Every call names its Region.
pub trait KeyService: Send + Sync + 'static {
    fn identity(&self) -> impl Future<Output = KmsResult<Identity>> + Send;
    /// The IAM role ARN (with its path) behind an assumed-role session ARN, via `GetRole`;
    /// the ARN itself for users and roles.
    fn principal_for_policy(
        &self,
        caller_arn: &str,
    ) -> impl Future<Output = KmsResult<String>> + Send;
    /// The account's IAM roles and users, for picking administrators.
    fn list_iam_principals(&self) -> impl Future<Output = KmsResult<Vec<IamPrincipal>>> + Send;

    fn list_aliases(&self, region: &str)
    -> impl Future<Output = KmsResult<Vec<AliasEntry>>> + Send;
    fn list_keys(&self, region: &str) -> impl Future<Output = KmsResult<Vec<String>>> + Send;
    fn describe_key(
        &self,
        region: &str,
        key_id: &str,
    ) -> impl Future<Output = KmsResult<KeyInfo>> + Send;
    fn list_tags(
        &self,
        region: &str,
        key_id: &str,
    ) -> impl Future<Output = KmsResult<Vec<(String, String)>>> + Send;
    fn get_policy(
        &self,
        region: &str,
        key_id: &str,
    ) -> impl Future<Output = KmsResult<String>> + Send;
    fn rotation(
        &self,
        region: &str,
        key_id: &str,
    ) -> impl Future<Output = KmsResult<Rotation>> + Send;

    /// Not retried by the transport: a lost answer could otherwise create a second key.
    fn create_key(
        &self,
        region: &str,
        key: &NewKey,
    ) -> impl Future<Output = KmsResult<KeyInfo>> + Send;
    /// Called in the primary's Region. Not retried by the transport, as `create_key`.
    fn replicate_key(
        &self,
        region: &str,
        key_id: &str,
        replica_region: &str,
        key: &NewKey,
    ) -> impl Future<Output = KmsResult<KeyInfo>> + Send;
    fn create_alias(
        &self,
        region: &str,
        alias: &str,
        key_id: &str,
    ) -> impl Future<Output = KmsResult<()>> + Send;
    fn tag_key(
        &self,
        region: &str,
        key_id: &str,
        tags: &[(String, String)],
    ) -> impl Future<Output = KmsResult<()>> + Send;
    fn put_policy(
        &self,
        region: &str,
        key_id: &str,
        policy: &str,
    ) -> impl Future<Output = KmsResult<()>> + Send;
    fn enable_rotation(
        &self,
        region: &str,
        key_id: &str,
        days: u32,
    ) -> impl Future<Output = KmsResult<()>> + Send;
    fn disable_rotation(
        &self,
        region: &str,
        key_id: &str,
    ) -> impl Future<Output = KmsResult<()>> + Send;
    fn rotate_now(&self, region: &str, key_id: &str) -> impl Future<Output = KmsResult<()>> + Send;
    fn enable_key(&self, region: &str, key_id: &str) -> impl Future<Output = KmsResult<()>> + Send;
    fn disable_key(&self, region: &str, key_id: &str)
    -> impl Future<Output = KmsResult<()>> + Send;
    /// Returns the deletion date (RFC 3339).
    fn schedule_deletion(
        &self,
        region: &str,
        key_id: &str,
        days: u32,
    ) -> impl Future<Output = KmsResult<String>> + Send;
    fn cancel_deletion(
        &self,
        region: &str,
        key_id: &str,
    ) -> impl Future<Output = KmsResult<()>> + Send;

    /// The role of this name, or None when the account has none.
    fn get_role(&self, name: &str) -> impl Future<Output = KmsResult<Option<RoleInfo>>> + Send {
        let _ = name;
        async { no_iam() }
    }
    /// `CreateRole` with its tags; not retried by the transport (a lost answer is found by
    /// the role's name).
    fn create_role(&self, role: &NewRole) -> impl Future<Output = KmsResult<RoleInfo>> + Send {
        let _ = role;
        async { no_iam() }
    }
    /// `PutRolePolicy`: the role's inline policy of this name, replaced.
    fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> impl Future<Output = KmsResult<()>> + Send {
        let _ = (role, policy_name, document);
        async { no_iam() }
    }
    /// The role's inline policy of this name as JSON text, or None when it has none.
    fn get_role_policy(
        &self,
        role: &str,
        policy_name: &str,
    ) -> impl Future<Output = KmsResult<Option<String>>> + Send {
        let _ = (role, policy_name);
        async { no_iam() }
    }

    /// Alerts on these keys, all in one Region (see [`crate::alerts`]): what exists is
    /// looked up, only what is missing is made, each create journalled before and after.
    /// Only the real backend has EventBridge and SNS.
    fn ensure_alerts(
        &self,
        account: &str,
        partition: &str,
        keys: &[crate::alerts::AlertKey],
        email: &str,
        journal: &crate::journal::Journal,
    ) -> impl Future<Output = KmsResult<crate::alerts::AlertsOutcome>> + Send {
        let _ = (account, partition, keys, email, journal);
        async {
            Err(KmsError::Service {
                code: "Unsupported".into(),
                message: "alerts need EventBridge and SNS, which this backend does not have".into(),
            })
        }
    }
}

/// The backend a run uses, chosen at start-up: real AWS or the demo simulator.
#[derive(Clone)]
pub enum Backend {
    Aws(Box<aws::AwsKms>),
    Sim(sim::SimKms),
}

impl Backend {
    pub fn is_demo(&self) -> bool {
        matches!(self, Backend::Sim(_))
    }

    /// The backend the executor runs on: the same account, without the SDK's own retries.
    pub fn for_executor(&self) -> Backend {
        match self {
            Backend::Aws(a) => Backend::Aws(Box::new(a.without_sdk_retries())),
            Backend::Sim(s) => Backend::Sim(s.clone()),
        }
    }
}

macro_rules! delegate {
    ($( fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )*) => {
        impl KeyService for Backend {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    match self {
                        Backend::Aws(s) => s.$name($($arg),*).await,
                        Backend::Sim(s) => s.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

delegate! {
    fn identity(&self) -> KmsResult<Identity>;
    fn principal_for_policy(&self, caller_arn: &str) -> KmsResult<String>;
    fn list_iam_principals(&self) -> KmsResult<Vec<IamPrincipal>>;
    fn list_aliases(&self, region: &str) -> KmsResult<Vec<AliasEntry>>;
    fn list_keys(&self, region: &str) -> KmsResult<Vec<String>>;
    fn describe_key(&self, region: &str, key_id: &str) -> KmsResult<KeyInfo>;
    fn list_tags(&self, region: &str, key_id: &str) -> KmsResult<Vec<(String, String)>>;
    fn get_policy(&self, region: &str, key_id: &str) -> KmsResult<String>;
    fn rotation(&self, region: &str, key_id: &str) -> KmsResult<Rotation>;
    fn create_key(&self, region: &str, key: &NewKey) -> KmsResult<KeyInfo>;
    fn replicate_key(&self, region: &str, key_id: &str, replica_region: &str, key: &NewKey) -> KmsResult<KeyInfo>;
    fn create_alias(&self, region: &str, alias: &str, key_id: &str) -> KmsResult<()>;
    fn tag_key(&self, region: &str, key_id: &str, tags: &[(String, String)]) -> KmsResult<()>;
    fn put_policy(&self, region: &str, key_id: &str, policy: &str) -> KmsResult<()>;
    fn enable_rotation(&self, region: &str, key_id: &str, days: u32) -> KmsResult<()>;
    fn disable_rotation(&self, region: &str, key_id: &str) -> KmsResult<()>;
    fn rotate_now(&self, region: &str, key_id: &str) -> KmsResult<()>;
    fn enable_key(&self, region: &str, key_id: &str) -> KmsResult<()>;
    fn disable_key(&self, region: &str, key_id: &str) -> KmsResult<()>;
    fn schedule_deletion(&self, region: &str, key_id: &str, days: u32) -> KmsResult<String>;
    fn cancel_deletion(&self, region: &str, key_id: &str) -> KmsResult<()>;
    fn ensure_alerts(&self, account: &str, partition: &str, keys: &[crate::alerts::AlertKey], email: &str, journal: &crate::journal::Journal) -> KmsResult<crate::alerts::AlertsOutcome>;
    fn get_role(&self, name: &str) -> KmsResult<Option<RoleInfo>>;
    fn create_role(&self, role: &NewRole) -> KmsResult<RoleInfo>;
    fn put_role_policy(&self, role: &str, policy_name: &str, document: &str) -> KmsResult<()>;
    fn get_role_policy(&self, role: &str, policy_name: &str) -> KmsResult<Option<String>>;
}

/// The key an alias names in a Region, if the alias exists there: one `DescribeKey` call.
pub async fn find_alias<S: KeyService>(
    svc: &S,
    region: &str,
    alias: &str,
) -> KmsResult<Option<KeyInfo>> {
    match svc.describe_key(region, alias).await {
        Ok(k) => Ok(Some(k)),
        Err(KmsError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}
