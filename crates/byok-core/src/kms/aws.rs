//! The real backend: aws-sdk-kms, aws-sdk-sts and aws-sdk-iam over the standard
//! credential chain (environment, profiles, SSO, credential_process).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_kms::Client;
use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::{DateTime, DateTimeFormat};
use aws_sdk_kms::types::{KeySpec, KeyUsageType, Tag};

use super::*;

/// How byok reaches AWS: the profile and endpoint the user chose.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
}

#[derive(Clone)]
pub struct AwsKms {
    config: SdkConfig,
    clients: Arc<Mutex<HashMap<String, Client>>>,
    profile: Option<String>,
    /// The SDK's own retries: standard (4 attempts) for status and the wizard's reads; off
    /// under the executor, which retries itself, visibly, and checks before re-creating.
    retry: RetryConfig,
}

impl AwsKms {
    /// Load the shared AWS configuration. Credentials are resolved lazily, on the first call,
    /// so this never blocks on the network.
    pub async fn load(opts: &AwsOptions) -> AwsKms {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(4))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .build(),
            );
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(e) = &opts.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let client = match super::http::client_for(opts.endpoint_url.as_deref()) {
            Some(c) => aws_smithy_runtime_api::client::http::SharedHttpClient::new(c),
            None => super::http::sdk_default_https(),
        };
        loader = loader.http_client(super::http::capped(client));
        let config = loader.load().await;
        AwsKms {
            config,
            clients: Arc::default(),
            profile: opts.profile.clone(),
            retry: RetryConfig::standard().with_max_attempts(4),
        }
    }

    /// The same account and credentials with the SDK's retries off: for the executor, whose
    /// own retries show in the progress and look for a lost create before trying again, so
    /// that the two never stack (4 x 6 attempts).
    pub fn without_sdk_retries(&self) -> AwsKms {
        AwsKms {
            config: self.config.clone(),
            clients: Arc::default(),
            profile: self.profile.clone(),
            retry: RetryConfig::disabled(),
        }
    }

    /// The shared configuration (credentials, endpoint, HTTP client), for the other AWS
    /// services byok reads (alerts: EventBridge, SNS, CloudTrail).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.config
    }

    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// The Region from the profile or environment, if any.
    pub fn default_region(&self) -> Option<String> {
        self.config.region().map(|r| r.to_string())
    }

    fn kms(&self, region: &str) -> Client {
        let mut map = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(region.to_string())
            .or_insert_with(|| {
                let mut conf = aws_sdk_kms::config::Builder::from(&self.config)
                    .region(Region::new(region.to_string()))
                    .retry_config(self.retry.clone());
                if crate::debug::enabled() {
                    conf = conf.interceptor(crate::debug::ApiLog);
                }
                Client::from_conf(conf.build())
            })
            .clone()
    }

    /// The same configuration (endpoint, Region, retries, HTTP client) with the credentials
    /// of `role_arn`, assumed through STS `AssumeRole` with the caller's own credentials.
    /// The session lasts an hour, longer than any status run; its credentials stay in memory.
    pub async fn assume_role(
        &self,
        role_arn: &str,
        external_id: Option<&str>,
    ) -> KmsResult<AwsKms> {
        let region = self.home_region();
        let out = self
            .sts()
            .assume_role()
            .role_arn(role_arn)
            .role_session_name("byok-status")
            .set_external_id(external_id.map(str::to_string))
            .duration_seconds(3600)
            .send()
            .await
            .map_err(|e| classify("AssumeRole", &region, e))?;
        let c = out.credentials().ok_or_else(|| missing("credentials"))?;
        let creds = aws_sdk_sts::config::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            std::time::SystemTime::try_from(*c.expiration()).ok(),
            "byok-assume-role",
        );
        let config = self
            .config
            .to_builder()
            .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(creds))
            .build();
        Ok(AwsKms {
            config,
            clients: Arc::default(),
            profile: self.profile.clone(),
            retry: self.retry.clone(),
        })
    }

    /// The organisation's accounts (`organizations:ListAccounts`, from the management
    /// account or a delegated administrator): (account ID, name, active).
    pub async fn list_org_accounts(&self) -> KmsResult<Vec<(String, String, bool)>> {
        let region = match crate::regions::partition_of(&self.home_region()) {
            "aws-cn" => "cn-northwest-1",
            "aws-us-gov" => "us-gov-west-1",
            _ => "us-east-1",
        };
        let conf = aws_sdk_organizations::config::Builder::from(&self.config)
            .region(Region::new(region))
            .retry_config(self.retry.clone())
            .build();
        let org = aws_sdk_organizations::Client::from_conf(conf);
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = org
                .list_accounts()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| classify("ListAccounts", region, e))?;
            for a in page.accounts() {
                let active = match (a.state(), a.status()) {
                    (Some(s), _) => s.as_str() == "ACTIVE",
                    (None, Some(s)) => s.as_str() == "ACTIVE",
                    (None, None) => true,
                };
                out.push((
                    a.id().unwrap_or_default().to_string(),
                    a.name().unwrap_or_default().to_string(),
                    active,
                ));
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    fn home_region(&self) -> String {
        self.default_region()
            .unwrap_or_else(|| "us-east-1".to_string())
    }

    fn sts(&self) -> aws_sdk_sts::Client {
        let mut conf = aws_sdk_sts::config::Builder::from(&self.config)
            .region(Region::new(self.home_region()))
            .retry_config(self.retry.clone());
        if crate::debug::enabled() {
            conf = conf.interceptor(crate::debug::ApiLog);
        }
        aws_sdk_sts::Client::from_conf(conf.build())
    }

    fn iam(&self) -> aws_sdk_iam::Client {
        let region = match crate::regions::partition_of(&self.home_region()) {
            "aws-cn" => "cn-north-1",
            "aws-us-gov" => "us-gov-west-1",
            "aws-eusc" => "eusc-de-east-1",
            _ => "us-east-1",
        };
        let mut conf = aws_sdk_iam::config::Builder::from(&self.config).region(Region::new(region));
        if crate::debug::enabled() {
            conf = conf.interceptor(crate::debug::ApiLog);
        }
        aws_sdk_iam::Client::from_conf(conf.build())
    }
}

/// The profile byok will use (`--profile`, else `AWS_PROFILE`) when it is defined in neither
/// the AWS config file nor the credentials file: a plain-language message naming both files
/// and the profiles they do define. Checked before any request, because the SDK would
/// otherwise report "no credentials" and send the user to log in to a profile that does
/// not exist.
pub fn missing_profile(flag: Option<&str>) -> Option<String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let name = flag.map(str::to_string).or_else(|| env("AWS_PROFILE"))?;
    let home = env("HOME").unwrap_or_default();
    let path = |var: &str, default: &str| {
        let p = env(var).unwrap_or_else(|| format!("~/.aws/{default}"));
        match p.strip_prefix("~/") {
            Some(rest) if !home.is_empty() => format!("{home}/{rest}"),
            _ => p,
        }
    };
    let config = path("AWS_CONFIG_FILE", "config");
    let credentials = path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    let mut defined = profile_names(&config, true);
    defined.extend(profile_names(&credentials, false));
    if defined.contains(&name) {
        return None;
    }
    defined.sort();
    defined.dedup();
    let known = if defined.is_empty() {
        "there are no profiles there".to_string()
    } else {
        format!("the profiles there are {}", defined.join(", "))
    };
    Some(format!(
        "the AWS profile {name:?} is not defined in {config} or {credentials} ({known}). Check the name given with --profile or AWS_PROFILE, or set the profile up with `aws configure sso --profile {name}`."
    ))
}

/// Profile names in an AWS shared config (`[profile NAME]`, `[default]`) or credentials
/// (`[NAME]`) file; none when it cannot be read.
fn profile_names(path: &str, config: bool) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return vec![];
    };
    text.lines()
        .filter_map(|l| {
            let inner = l.trim().strip_prefix('[')?.split(']').next()?;
            let words: Vec<&str> = inner.split_whitespace().collect();
            match words.as_slice() {
                ["profile", name] if config => Some(name.to_string()),
                [name] if !config || *name == "default" => Some(name.to_string()),
                _ => None,
            }
        })
        .collect()
}

/// One attempt only: the executor decides whether to retry, after checking whether the
/// lost answer was a success.
fn no_retry() -> aws_sdk_kms::config::Builder {
    aws_sdk_kms::config::Builder::default().retry_config(RetryConfig::disabled())
}

fn fmt_date(d: Option<&DateTime>) -> Option<String> {
    d.and_then(|d| d.fmt(DateTimeFormat::DateTime).ok())
}

/// A role as IAM describes it, its trust policy decoded.
fn role_info(r: &aws_sdk_iam::types::Role) -> RoleInfo {
    RoleInfo {
        name: r.role_name().to_string(),
        arn: r.arn().to_string(),
        trust_policy: url_decode(r.assume_role_policy_document().unwrap_or_default()),
        tags: r
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
    }
}

/// IAM returns policy documents URL-encoded (RFC 3986); text that is not stays as it is.
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Turn an SDK error into a kind the UI can explain, with the AWS request ID when AWS
/// answered.
pub fn classify<E>(
    operation: &str,
    region: &str,
    err: SdkError<E, aws_sdk_kms::config::http::HttpResponse>,
) -> KmsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    use aws_sdk_kms::operation::RequestId;
    let id = err.request_id().map(str::to_string);
    classify_kind(operation, region, err).with_request_id(id.as_deref())
}

/// What an answer that is not from AWS was ("not an AWS API response (text/html): <html>..."),
/// or None when it looks like one (JSON or XML, as KMS, STS and IAM answer).
fn not_an_aws_answer(raw: &aws_sdk_kms::config::http::HttpResponse) -> Option<String> {
    let kind = raw
        .headers()
        .get("content-type")
        .unwrap_or("no content type")
        .to_string();
    let k = kind.to_ascii_lowercase();
    if k.contains("json") || k.contains("xml") {
        return None;
    }
    let body = raw.body().bytes().unwrap_or_default();
    let text = String::from_utf8_lossy(&body[..body.len().min(400)]);
    let mut snippet: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    if snippet.is_empty() {
        snippet = "an empty body".into();
    }
    Some(format!("not an AWS API response ({kind}): {snippet}"))
}

fn classify_kind<E>(
    operation: &str,
    region: &str,
    err: SdkError<E, aws_sdk_kms::config::http::HttpResponse>,
) -> KmsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let text = DisplayErrorContext(&err).to_string();
    if let Some(big) = find_source::<super::http::ResponseTooLarge>(&err) {
        return KmsError::Service {
            code: "ResponseTooLarge".into(),
            message: format!("{operation} in {region}: {big}"),
        };
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("credential") && !matches!(err, SdkError::ServiceError(_)) {
        // A credential_process that fails: what it said is the cause, not a missing login.
        if let Some(i) = lower.find("external process") {
            return KmsError::CredentialProcess {
                detail: text[i..]
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .split(" (DispatchFailure")
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            };
        }
        return KmsError::NoCredentials {
            detail: credentials_summary(&text),
        };
    }
    match &err {
        SdkError::ServiceError(ctx) if ctx.err().code().is_none() => {
            let status = ctx.raw().status().as_u16();
            KmsError::Service {
                code: format!("HTTP {status}"),
                message: not_an_aws_answer(ctx.raw())
                    .or_else(|| ctx.err().message().map(str::to_string))
                    .unwrap_or_else(|| crate::error::error_chain(&err)),
            }
        }
        SdkError::ServiceError(ctx) => {
            let code = ctx.err().code().unwrap_or("").to_string();
            let message = ctx.err().message().unwrap_or("").to_string();
            let status = ctx.raw().status().as_u16();
            classify_code(operation, region, &code, message, status)
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => KmsError::Network {
            message: crate::error::error_chain(&err),
        },
        SdkError::ResponseError(ctx) => {
            let status = ctx.raw().status().as_u16();
            KmsError::Service {
                code: format!("HTTP {status}"),
                message: not_an_aws_answer(ctx.raw()).unwrap_or_else(|| {
                    format!(
                        "an answer byok could not read: {}",
                        crate::error::error_chain(&err)
                    )
                }),
            }
        }
        _ => KmsError::Service {
            code: "RequestFailed".into(),
            message: crate::error::error_chain(&err),
        },
    }
}

/// The first error of type `T` in `err`'s chain of sources.
fn find_source<'e, T: std::error::Error + 'static>(
    err: &'e (dyn std::error::Error + 'static),
) -> Option<&'e T> {
    let mut at = Some(err);
    while let Some(e) = at {
        if let Some(t) = e.downcast_ref::<T>() {
            return Some(t);
        }
        at = e.source();
    }
    None
}

/// The SDK's credential-chain report is dozens of lines of debug output; its first line
/// says what happened ("no credentials found in chain"), which is all the user needs next
/// to byok's explanation.
fn credentials_summary(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    let first = first.split(" (DispatchFailure").next().unwrap_or(first);
    first
        .trim_end_matches(" Attempted:")
        .trim_start_matches("dispatch failure: ")
        .trim_start_matches("other: ")
        .trim()
        .to_string()
}

fn classify_code(
    operation: &str,
    region: &str,
    code: &str,
    message: String,
    status: u16,
) -> KmsError {
    let m = message.to_ascii_lowercase();
    match code {
        "AccessDeniedException" | "AccessDenied" => KmsError::AccessDenied {
            operation: operation.into(),
            message,
        },
        "ExpiredTokenException" | "ExpiredToken" | "RequestExpired" => {
            KmsError::ExpiredToken { message }
        }
        "NotFoundException" | "NoSuchEntity" => KmsError::NotFound { message },
        "AlreadyExistsException" | "EntityAlreadyExists" => KmsError::AlreadyExists { message },
        "MalformedPolicyDocumentException" if m.contains("invalid principal") => {
            KmsError::InvalidPrincipal { message }
        }
        "MalformedPolicyDocumentException" if m.contains("will not allow you to update") => {
            KmsError::Lockout { message }
        }
        "MalformedPolicyDocumentException" | "MalformedPolicyDocument" => {
            KmsError::MalformedPolicy { message }
        }
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded" => KmsError::Throttled { message },
        "KMSInvalidStateException" | "DisabledException" => KmsError::InvalidState { message },
        "LimitExceededException" => KmsError::LimitExceeded { message },
        "UnrecognizedClientException" if m.contains("security token") => {
            KmsError::RegionNotEnabled {
                region: region.into(),
                message,
            }
        }
        "InvalidClientTokenId" | "SignatureDoesNotMatch" | "IncompleteSignature" => {
            KmsError::NoCredentials {
                detail: format!("{code}: {message}"),
            }
        }
        "" => KmsError::Service {
            code: format!("HTTP {status}"),
            message,
        },
        _ => KmsError::Service {
            code: code.into(),
            message,
        },
    }
}

fn key_info(region: &str, m: &aws_sdk_kms::types::KeyMetadata) -> KeyInfo {
    let mr = m.multi_region_configuration().map(|c| {
        let rk = |k: &aws_sdk_kms::types::MultiRegionKey| RegionalKey {
            region: k.region().unwrap_or_default().to_string(),
            arn: k.arn().unwrap_or_default().to_string(),
        };
        MultiRegionInfo {
            role: c
                .multi_region_key_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            primary: c.primary_key().map(rk).unwrap_or(RegionalKey {
                region: String::new(),
                arn: String::new(),
            }),
            replicas: c.replica_keys().iter().map(rk).collect(),
        }
    });
    KeyInfo {
        key_id: m.key_id().to_string(),
        arn: m.arn().unwrap_or_default().to_string(),
        region: region.to_string(),
        state: m
            .key_state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        description: m.description().unwrap_or_default().to_string(),
        created: fmt_date(m.creation_date()),
        deletion_date: fmt_date(m.deletion_date()),
        key_spec: m
            .key_spec()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        key_usage: m
            .key_usage()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        key_manager: m
            .key_manager()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        multi_region: if m.multi_region() == Some(true) {
            mr
        } else {
            None
        },
    }
}

fn kms_tags(tags: &[(String, String)]) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .expect("both fields set")
        })
        .collect()
}

fn missing(what: &str) -> KmsError {
    KmsError::Service {
        code: "IncompleteResponse".into(),
        message: format!("AWS answered without {what}"),
    }
}

impl KeyService for AwsKms {
    async fn ensure_alerts(
        &self,
        account: &str,
        partition: &str,
        keys: &[crate::alerts::AlertKey],
        email: &str,
        journal: &crate::journal::Journal,
    ) -> KmsResult<crate::alerts::AlertsOutcome> {
        super::alerts::ensure(self, account, partition, keys, email, journal).await
    }

    async fn identity(&self) -> KmsResult<Identity> {
        let region = self.home_region();
        let out = self.sts().get_caller_identity().send().await.map_err(|e| {
            match classify("GetCallerIdentity", &region, e) {
                // The real cause when the profile is not defined at all: say so, rather than
                // sending the user to log in to a profile that does not exist.
                KmsError::NoCredentials { detail } => match missing_profile(self.profile()) {
                    Some(message) => KmsError::ProfileNotDefined { message },
                    None => KmsError::NoCredentials { detail },
                },
                e => e,
            }
        })?;
        Ok(Identity {
            account: out
                .account()
                .ok_or_else(|| missing("an account"))?
                .to_string(),
            arn: out.arn().ok_or_else(|| missing("an ARN"))?.to_string(),
        })
    }

    async fn principal_for_policy(&self, caller_arn: &str) -> KmsResult<String> {
        let Ok(arn) = crate::arn::Arn::parse(caller_arn) else {
            return Ok(caller_arn.to_string());
        };
        if arn.service == "sts" && arn.iam_kind() == Some("user") {
            // An IAM user as some STS implementations (moto) name it: the IAM ARN is the one
            // a key policy takes. (AWS itself already answers arn:...:iam::...:user/...)
            return Ok(format!(
                "arn:{}:iam::{}:{}",
                arn.partition, arn.account, arn.resource
            ));
        }
        if arn.service != "sts" || arn.iam_kind() != Some("assumed-role") {
            return Ok(caller_arn.to_string());
        }
        // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION -> the role, with its path from IAM.
        let role = arn
            .resource
            .split('/')
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let out = self
            .iam()
            .get_role()
            .role_name(&role)
            .send()
            .await
            .map_err(|e| classify("GetRole", "global", e))?;
        out.role()
            .map(|r| r.arn().to_string())
            .ok_or_else(|| missing("a role"))
    }

    async fn get_role(&self, name: &str) -> KmsResult<Option<RoleInfo>> {
        match self.iam().get_role().role_name(name).send().await {
            Ok(out) => {
                let r = out.role().ok_or_else(|| missing("a role"))?;
                Ok(Some(role_info(r)))
            }
            Err(e) => match classify("GetRole", "global", e) {
                KmsError::NotFound { .. } => Ok(None),
                e => Err(e),
            },
        }
    }

    async fn create_role(&self, role: &NewRole) -> KmsResult<RoleInfo> {
        let tags = role
            .tags
            .iter()
            .map(|(k, v)| {
                aws_sdk_iam::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| KmsError::Service {
                        code: "InvalidTag".into(),
                        message: e.to_string(),
                    })
            })
            .collect::<KmsResult<Vec<_>>>()?;
        let out = self
            .iam()
            .create_role()
            .role_name(&role.name)
            .assume_role_policy_document(&role.trust_policy)
            .description(&role.description)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| classify("CreateRole", "global", e))?;
        let r = out.role().ok_or_else(|| missing("a role"))?;
        let mut info = role_info(r);
        if info.tags.is_empty() {
            info.tags = role.tags.clone();
        }
        Ok(info)
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> KmsResult<()> {
        self.iam()
            .put_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| classify("PutRolePolicy", "global", e))?;
        Ok(())
    }

    async fn get_role_policy(&self, role: &str, policy_name: &str) -> KmsResult<Option<String>> {
        match self
            .iam()
            .get_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .send()
            .await
        {
            Ok(out) => Ok(Some(url_decode(out.policy_document()))),
            Err(e) => match classify("GetRolePolicy", "global", e) {
                KmsError::NotFound { .. } => Ok(None),
                e => Err(e),
            },
        }
    }

    async fn list_iam_principals(&self) -> KmsResult<Vec<IamPrincipal>> {
        let iam = self.iam();
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = iam
                .list_roles()
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| classify("ListRoles", "global", e))?;
            for r in page.roles() {
                if r.path().starts_with("/aws-service-role/") {
                    continue; // service-linked roles cannot administer keys
                }
                out.push(IamPrincipal {
                    arn: r.arn().into(),
                    kind: "role".into(),
                    name: r.role_name().into(),
                });
            }
            marker = page.marker().map(str::to_string);
            if !page.is_truncated() || marker.is_none() {
                break;
            }
        }
        let mut marker = None;
        loop {
            let page = iam
                .list_users()
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| classify("ListUsers", "global", e))?;
            for u in page.users() {
                out.push(IamPrincipal {
                    arn: u.arn().into(),
                    kind: "user".into(),
                    name: u.user_name().into(),
                });
            }
            marker = page.marker().map(str::to_string);
            if !page.is_truncated() || marker.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn list_aliases(&self, region: &str) -> KmsResult<Vec<AliasEntry>> {
        let c = self.kms(region);
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = c
                .list_aliases()
                .set_marker(marker)
                .limit(100)
                .send()
                .await
                .map_err(|e| classify("ListAliases", region, e))?;
            out.extend(page.aliases().iter().map(|a| AliasEntry {
                name: a.alias_name().unwrap_or_default().to_string(),
                target_key_id: a.target_key_id().map(str::to_string),
            }));
            marker = page.next_marker().map(str::to_string);
            if !page.truncated() || marker.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn list_keys(&self, region: &str) -> KmsResult<Vec<String>> {
        let c = self.kms(region);
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = c
                .list_keys()
                .set_marker(marker)
                .limit(1000)
                .send()
                .await
                .map_err(|e| classify("ListKeys", region, e))?;
            out.extend(
                page.keys()
                    .iter()
                    .filter_map(|k| k.key_id().map(str::to_string)),
            );
            marker = page.next_marker().map(str::to_string);
            if !page.truncated() || marker.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn describe_key(&self, region: &str, key_id: &str) -> KmsResult<KeyInfo> {
        let out = self
            .kms(region)
            .describe_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| classify("DescribeKey", region, e))?;
        out.key_metadata()
            .map(|m| key_info(region, m))
            .ok_or_else(|| missing("key metadata"))
    }

    async fn list_tags(&self, region: &str, key_id: &str) -> KmsResult<Vec<(String, String)>> {
        let c = self.kms(region);
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = c
                .list_resource_tags()
                .key_id(key_id)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| classify("ListResourceTags", region, e))?;
            out.extend(
                page.tags()
                    .iter()
                    .map(|t| (t.tag_key().to_string(), t.tag_value().to_string())),
            );
            marker = page.next_marker().map(str::to_string);
            if !page.truncated() || marker.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn get_policy(&self, region: &str, key_id: &str) -> KmsResult<String> {
        let out = self
            .kms(region)
            .get_key_policy()
            .key_id(key_id)
            .policy_name("default")
            .send()
            .await
            .map_err(|e| classify("GetKeyPolicy", region, e))?;
        out.policy()
            .map(str::to_string)
            .ok_or_else(|| missing("a policy"))
    }

    async fn rotation(&self, region: &str, key_id: &str) -> KmsResult<Rotation> {
        let out = self
            .kms(region)
            .get_key_rotation_status()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| classify("GetKeyRotationStatus", region, e))?;
        Ok(Rotation {
            enabled: out.key_rotation_enabled(),
            period_days: out
                .rotation_period_in_days()
                .and_then(|d| u32::try_from(d).ok()),
            next_rotation: fmt_date(out.next_rotation_date()),
        })
    }

    async fn create_key(&self, region: &str, key: &NewKey) -> KmsResult<KeyInfo> {
        let out = self
            .kms(region)
            .create_key()
            .policy(&key.policy)
            .description(&key.description)
            .key_spec(KeySpec::SymmetricDefault)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .multi_region(key.multi_region)
            .set_tags(Some(kms_tags(&key.tags)))
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(|e| classify("CreateKey", region, e))?;
        out.key_metadata()
            .map(|m| key_info(region, m))
            .ok_or_else(|| missing("key metadata"))
    }

    async fn replicate_key(
        &self,
        region: &str,
        key_id: &str,
        replica_region: &str,
        key: &NewKey,
    ) -> KmsResult<KeyInfo> {
        let out = self
            .kms(region)
            .replicate_key()
            .key_id(key_id)
            .replica_region(replica_region)
            .policy(&key.policy)
            .description(&key.description)
            .set_tags(Some(kms_tags(&key.tags)))
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(|e| classify("ReplicateKey", region, e))?;
        out.replica_key_metadata()
            .map(|m| key_info(replica_region, m))
            .ok_or_else(|| missing("replica key metadata"))
    }

    async fn create_alias(&self, region: &str, alias: &str, key_id: &str) -> KmsResult<()> {
        self.kms(region)
            .create_alias()
            .alias_name(alias)
            .target_key_id(key_id)
            .send()
            .await
            .map_err(|e| classify("CreateAlias", region, e))?;
        Ok(())
    }

    async fn tag_key(
        &self,
        region: &str,
        key_id: &str,
        tags: &[(String, String)],
    ) -> KmsResult<()> {
        self.kms(region)
            .tag_resource()
            .key_id(key_id)
            .set_tags(Some(kms_tags(tags)))
            .send()
            .await
            .map_err(|e| classify("TagResource", region, e))?;
        Ok(())
    }

    async fn put_policy(&self, region: &str, key_id: &str, policy: &str) -> KmsResult<()> {
        self.kms(region)
            .put_key_policy()
            .key_id(key_id)
            .policy_name("default")
            .policy(policy)
            .send()
            .await
            .map_err(|e| classify("PutKeyPolicy", region, e))?;
        Ok(())
    }

    async fn enable_rotation(&self, region: &str, key_id: &str, days: u32) -> KmsResult<()> {
        self.kms(region)
            .enable_key_rotation()
            .key_id(key_id)
            .rotation_period_in_days(days as i32)
            .send()
            .await
            .map_err(|e| classify("EnableKeyRotation", region, e))?;
        Ok(())
    }

    async fn disable_rotation(&self, region: &str, key_id: &str) -> KmsResult<()> {
        self.kms(region)
            .disable_key_rotation()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| classify("DisableKeyRotation", region, e))?;
        Ok(())
    }

    async fn rotate_now(&self, region: &str, key_id: &str) -> KmsResult<()> {
        self.kms(region)
            .rotate_key_on_demand()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| classify("RotateKeyOnDemand", region, e))?;
        Ok(())
    }

    async fn enable_key(&self, region: &str, key_id: &str) -> KmsResult<()> {
        self.kms(region)
            .enable_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| classify("EnableKey", region, e))?;
        Ok(())
    }

    async fn disable_key(&self, region: &str, key_id: &str) -> KmsResult<()> {
        self.kms(region)
            .disable_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| classify("DisableKey", region, e))?;
        Ok(())
    }

    async fn schedule_deletion(&self, region: &str, key_id: &str, days: u32) -> KmsResult<String> {
        let out = self
            .kms(region)
            .schedule_key_deletion()
            .key_id(key_id)
            .pending_window_in_days(days as i32)
            .send()
            .await
            .map_err(|e| classify("ScheduleKeyDeletion", region, e))?;
        Ok(fmt_date(out.deletion_date()).unwrap_or_default())
    }

    async fn cancel_deletion(&self, region: &str, key_id: &str) -> KmsResult<()> {
        self.kms(region)
            .cancel_key_deletion()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| classify("CancelKeyDeletion", region, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn iam_documents_are_url_decoded() {
        assert_eq!(
            super::url_decode("%7B%22Version%22%3A%222012-10-17%22%7D"),
            r#"{"Version":"2012-10-17"}"#
        );
        assert_eq!(super::url_decode(r#"{"a":"b"}"#), r#"{"a":"b"}"#);
        assert_eq!(super::url_decode("100%"), "100%");
        assert_eq!(super::url_decode("%zz%é"), "%zz%é");
    }

    use super::*;

    #[test]
    fn profile_sections_are_read_as_the_cli_does() {
        let dir = std::env::temp_dir().join(format!("byok-profiles-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("config");
        let creds = dir.join("credentials");
        std::fs::write(
            &config,
            "[default]\nregion = eu-west-1\n[profile prod]\nsso_session = x\n[sso-session x]\n[ profile  spaced ]\n[bare]\n",
        )
        .unwrap();
        std::fs::write(&creds, "[ci]\naws_access_key_id = A\n").unwrap();
        let names = |p: &std::path::Path, c| profile_names(p.to_str().unwrap(), c);
        assert_eq!(names(&config, true), ["default", "prod", "spaced"]);
        assert_eq!(names(&creds, false), ["ci"]);
        assert!(names(&dir.join("absent"), true).is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_credential_chain_report_is_summed_up_in_one_line() {
        let sdk = "dispatch failure: other: the credential provider was not enabled: no credentials found in chain. Attempted:\n  Environment: the credential provider was not enabled: environment variable not set\n  Profile: ... (DispatchFailure(DispatchFailure { source: ConnectorError { .. } }))";
        assert_eq!(
            credentials_summary(sdk),
            "the credential provider was not enabled: no credentials found in chain."
        );
        assert_eq!(credentials_summary("expired"), "expired");
    }

    #[test]
    fn an_aws_error_carries_its_request_id_into_the_explanation() {
        use aws_sdk_kms::error::ErrorMetadata;
        use aws_sdk_kms::operation::create_key::CreateKeyError;
        use aws_smithy_runtime_api::http::StatusCode;
        use aws_smithy_types::body::SdkBody;
        let answer = |status: u16, kind: &str, body: &'static str| {
            let mut r = aws_sdk_kms::config::http::HttpResponse::new(
                StatusCode::try_from(status).unwrap(),
                SdkBody::from(body),
            );
            r.headers_mut().insert("x-amzn-requestid", "4c1a-request-7");
            r.headers_mut().insert("content-type", kind.to_string());
            r
        };
        let denied = CreateKeyError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized")
                .build(),
        );
        let e = classify(
            "CreateKey",
            "eu-west-1",
            SdkError::service_error(denied, answer(400, "application/x-amz-json-1.1", "{}")),
        );
        assert!(matches!(e, KmsError::AccessDenied { .. }), "{e:?}");
        assert_eq!(e.request_id(), Some("4c1a-request-7"));
        let text = e.explain(None, "");
        assert!(
            text.contains("kms:CreateKey") && text.contains("AWS request ID: 4c1a-request-7"),
            "{text}"
        );
        // A page that is not an AWS answer: said so, with its type and its start.
        let page = CreateKeyError::generic(ErrorMetadata::builder().build());
        let e = classify(
            "CreateKey",
            "eu-west-1",
            SdkError::service_error(
                page,
                answer(403, "text/html", "<html>\n<b>Blocked</b> by policy</html>"),
            ),
        );
        let text = e.explain(None, "");
        assert!(text.contains("HTTP 403, not an AWS API response (text/html): <html> <b>Blocked</b> by policy</html>"), "{text}");
        assert!(text.contains("4c1a-request-7"), "{text}");
        // No request ID, no mention.
        let e = KmsError::Throttled {
            message: "slow down".into(),
        }
        .with_request_id(None);
        assert_eq!(e.request_id(), None);
        assert!(!e.explain(None, "").contains("request ID"));
    }

    #[test]
    fn codes_become_kinds() {
        let k =
            |code: &str, msg: &str| classify_code("CreateKey", "eu-west-1", code, msg.into(), 400);
        assert!(matches!(
            k("AccessDeniedException", ""),
            KmsError::AccessDenied { .. }
        ));
        assert!(matches!(
            k(
                "MalformedPolicyDocumentException",
                "Policy contains a statement with one or more invalid principals."
            ),
            KmsError::InvalidPrincipal { .. }
        ));
        assert!(matches!(
            k(
                "MalformedPolicyDocumentException",
                "The new key policy will not allow you to update the key policy in the future."
            ),
            KmsError::Lockout { .. }
        ));
        assert!(matches!(
            k("ThrottlingException", ""),
            KmsError::Throttled { .. }
        ));
        assert!(matches!(
            k(
                "UnrecognizedClientException",
                "The security token included in the request is invalid"
            ),
            KmsError::RegionNotEnabled { .. }
        ));
        assert!(matches!(k("", ""), KmsError::Service { .. }));
        assert!(classify_code("X", "r", "", String::new(), 503).is_transient());
    }
}
