//! What can go wrong talking to AWS, as kinds the UI reacts to, each explained in
//! plain language with the fix.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KmsError {
    #[error("no AWS credentials found: {detail}")]
    NoCredentials { detail: String },
    /// The profile named with `--profile` or `AWS_PROFILE` is in neither AWS file: the
    /// message names the files and the profiles they define.
    #[error("{message}")]
    ProfileNotDefined { message: String },
    /// The profile's `credential_process` command failed.
    #[error("the credential_process of the AWS profile failed: {detail}")]
    CredentialProcess { detail: String },
    #[error("the AWS session has expired: {message}")]
    ExpiredToken { message: String },
    #[error("access denied for {operation}: {message}")]
    AccessDenied { operation: String, message: String },
    #[error("the key policy names a principal that does not exist: {message}")]
    InvalidPrincipal { message: String },
    #[error("KMS refused a policy that would lock you out of the key: {message}")]
    Lockout { message: String },
    #[error("KMS refused the key policy: {message}")]
    MalformedPolicy { message: String },
    #[error("not found: {message}")]
    NotFound { message: String },
    #[error("already exists: {message}")]
    AlreadyExists { message: String },
    #[error("KMS is throttling requests: {message}")]
    Throttled { message: String },
    #[error("Region {region} is not enabled for this account: {message}")]
    RegionNotEnabled { region: String, message: String },
    #[error("the key is not in a state that allows this: {message}")]
    InvalidState { message: String },
    #[error("an AWS limit was reached: {message}")]
    LimitExceeded { message: String },
    #[error("could not reach AWS: {message}")]
    Network { message: String },
    #[error("{code}: {message}")]
    Service { code: String, message: String },
}

impl KmsError {
    /// Worth trying again after a pause: throttling, network trouble, AWS-side failures.
    pub fn is_transient(&self) -> bool {
        match self {
            KmsError::Throttled { .. } | KmsError::Network { .. } => true,
            KmsError::Service { code, .. } => {
                matches!(
                    code.as_str(),
                    "KMSInternalException"
                        | "DependencyTimeoutException"
                        | "InternalFailure"
                        | "ServiceUnavailable"
                        | "ServiceUnavailableException"
                        | "InternalServerError"
                        | "RequestTimeout"
                        | "RequestTimeoutException"
                ) || code.starts_with("HTTP 5")
            }
            _ => false,
        }
    }

    /// The free text of the error (its message, or a credentials problem's detail).
    fn text_mut(&mut self) -> &mut String {
        match self {
            KmsError::NoCredentials { detail } | KmsError::CredentialProcess { detail } => detail,
            KmsError::ProfileNotDefined { message }
            | KmsError::ExpiredToken { message }
            | KmsError::AccessDenied { message, .. }
            | KmsError::InvalidPrincipal { message }
            | KmsError::Lockout { message }
            | KmsError::MalformedPolicy { message }
            | KmsError::NotFound { message }
            | KmsError::AlreadyExists { message }
            | KmsError::Throttled { message }
            | KmsError::RegionNotEnabled { message, .. }
            | KmsError::InvalidState { message }
            | KmsError::LimitExceeded { message }
            | KmsError::Network { message }
            | KmsError::Service { message, .. } => message,
        }
    }

    /// The same error, its text ending with the AWS request ID (what AWS Support asks for).
    pub fn with_request_id(mut self, id: Option<&str>) -> KmsError {
        if let Some(id) = id.filter(|id| !id.is_empty()) {
            let text = self.text_mut();
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&format!("{REQUEST_ID}{id})"));
        }
        self
    }

    /// The AWS request ID of the answer that carried this error, if there was one.
    pub fn request_id(&self) -> Option<&str> {
        let text = self.text();
        let at = text.rfind(REQUEST_ID)? + REQUEST_ID.len();
        text[at..].split(')').next()
    }

    fn text(&self) -> &str {
        match self {
            KmsError::NoCredentials { detail } | KmsError::CredentialProcess { detail } => detail,
            KmsError::ProfileNotDefined { message }
            | KmsError::ExpiredToken { message }
            | KmsError::AccessDenied { message, .. }
            | KmsError::InvalidPrincipal { message }
            | KmsError::Lockout { message }
            | KmsError::MalformedPolicy { message }
            | KmsError::NotFound { message }
            | KmsError::AlreadyExists { message }
            | KmsError::Throttled { message }
            | KmsError::RegionNotEnabled { message, .. }
            | KmsError::InvalidState { message }
            | KmsError::LimitExceeded { message }
            | KmsError::Network { message }
            | KmsError::Service { message, .. } => message,
        }
    }

    /// Plain language and the fix, with the AWS request ID when AWS answered.
    /// `principal_help` says where the vendor principal comes from.
    pub fn explain(&self, profile: Option<&str>, principal_help: &str) -> String {
        let text = self.explain_only(profile, principal_help);
        match self.request_id() {
            Some(id) if !text.contains(id) => format!("{text} (AWS request ID: {id})"),
            _ => text,
        }
    }

    fn explain_only(&self, profile: Option<&str>, principal_help: &str) -> String {
        let login = match profile {
            Some(p) => format!("aws sso login --profile {p}"),
            None => "aws sso login".to_string(),
        };
        // The profile in use: the flag, else the environment's.
        let profile = profile.map(str::to_string).or_else(|| {
            std::env::var("AWS_PROFILE")
                .ok()
                .filter(|p| !p.trim().is_empty())
        });
        let profile = profile.as_deref();
        match self {
            KmsError::NoCredentials { detail } if detail.to_ascii_lowercase().contains("sso") => {
                format!(
                    "Your AWS SSO session is missing or has expired. Log in with `{login}`, then try again: byok never asks for keys itself."
                )
            }
            KmsError::NoCredentials { .. } if profile.is_some() => {
                let p = profile.unwrap_or_default();
                format!(
                    "The AWS profile {p:?} gave byok no credentials. Check it with `aws configure list --profile {p}`; if it is an SSO profile, log in with `aws sso login --profile {p}`. byok never asks for keys itself; `byok --demo` looks around without an account."
                )
            }
            KmsError::NoCredentials { .. } => "byok found no AWS credentials: no AWS_PROFILE, no access key variables, no default profile. Choose a profile with --profile or AWS_PROFILE (for an SSO profile, log in first with `aws sso login --profile NAME`), or export the variables your administrator gave you; byok never asks for keys itself. Try `byok --demo` to look around without an account.".to_string(),
            KmsError::ProfileNotDefined { message } => {
                let mut m = message.clone();
                if let Some(c) = m.get(..1) {
                    m.replace_range(..1, &c.to_ascii_uppercase());
                }
                m
            }
            KmsError::CredentialProcess { detail } => format!(
                "The credential_process command of the AWS profile{} failed: {detail}. Run that command (from ~/.aws/config) yourself to see why, fix it, then try again.",
                profile.map(|p| format!(" {p:?}")).unwrap_or_default()
            ),
            KmsError::ExpiredToken { .. } => format!(
                "Your AWS session has expired. Log in again with `{login}` and re-run the same command: byok continues where it stopped."
            ),
            KmsError::AccessDenied { operation, .. } => {
                let perm = permission_for(operation);
                format!(
                    "Your AWS identity may not call {operation}. Ask your AWS administrator for the IAM permission {perm} (the README lists every permission byok needs), then re-run."
                )
            }
            KmsError::InvalidPrincipal { .. } => format!(
                "KMS says a principal in the key policy does not exist. The vendor principal is probably mistyped or not yet created: {principal_help} Administrators must be existing IAM users or roles."
            ),
            KmsError::Lockout { .. } => "KMS refused the policy because it would not let you manage the key afterwards. byok always keeps the account-root statement; if your organisation denies it with an SCP, ask your AWS administrator.".to_string(),
            KmsError::MalformedPolicy { message } => format!(
                "KMS refused the key policy ({message}). Check the vendor principal and administrators, then re-run."
            ),
            KmsError::NotFound { message } => format!(
                "KMS could not find the key or alias ({message}). It may have just been deleted, or be in another Region or account."
            ),
            KmsError::AlreadyExists { message } => format!(
                "That name is already taken ({message}). Choose another alias, or look at the existing key with `byok status`."
            ),
            KmsError::Throttled { .. } => "KMS is throttling requests, and byok's retries ran out. Wait a minute and re-run: byok continues where it stopped.".to_string(),
            KmsError::RegionNotEnabled { region, .. } => format!(
                "Region {region} is not enabled for your account. Enable it in the AWS console (Account > AWS Regions), or choose another Region."
            ),
            KmsError::InvalidState { message } => format!(
                "The key is not in a state that allows this ({message}). Check it with `byok status`."
            ),
            KmsError::LimitExceeded { message } => format!(
                "An AWS limit was reached ({message}). Delete unused keys or ask AWS Support for a higher quota."
            ),
            KmsError::Network { message } => format!(
                "byok could not reach AWS ({message}). Check your network, proxy and --endpoint-url, then re-run: byok continues where it stopped."
            ),
            KmsError::Service { code, message } if code.starts_with("HTTP ") => format!(
                "The endpoint answered {code}, {message}. Check --endpoint-url (or AWS_ENDPOINT_URL) and any proxy between you and AWS, then re-run."
            ),
            KmsError::Service { code, message } => format!("AWS answered {code}: {message}"),
        }
    }
}

/// How [`KmsError::with_request_id`] marks the ID in an error's text.
const REQUEST_ID: &str = "(request ID: ";

/// An error and its sources in one line ("tcp connect error: Connection refused (os error
/// 111)"), each one's `Display` only: never a `Debug` struct. The SDK's generic wrappers
/// ("dispatch failure", "io error") are left out when something more precise follows.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    const WRAPPERS: &[&str] = &[
        "dispatch failure",
        "io error",
        "other",
        "response error",
        "service error",
        "failed to construct request",
        "an error occurred while loading credentials",
    ];
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        let text = text.trim();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(text)) {
            parts.push(text.to_string());
        }
        next = err.source();
    }
    let precise: Vec<&String> = parts
        .iter()
        .filter(|p| !WRAPPERS.contains(&p.to_ascii_lowercase().as_str()))
        .collect();
    if precise.is_empty() {
        parts.join(": ")
    } else {
        precise
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(": ")
    }
}

/// The IAM permission behind a KMS/STS/IAM operation name.
pub fn permission_for(operation: &str) -> String {
    let service = match operation {
        "GetCallerIdentity" => {
            return "none (sts:GetCallerIdentity is always allowed: check your credentials)".into();
        }
        "GetRole" | "ListRoles" | "ListUsers" => "iam",
        _ => "kms",
    };
    format!("{service}:{operation}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_kinds() {
        assert!(
            KmsError::Throttled {
                message: String::new()
            }
            .is_transient()
        );
        assert!(
            KmsError::Service {
                code: "HTTP 503".into(),
                message: String::new()
            }
            .is_transient()
        );
        assert!(
            KmsError::Service {
                code: "KMSInternalException".into(),
                message: String::new()
            }
            .is_transient()
        );
        assert!(
            !KmsError::AccessDenied {
                operation: "CreateKey".into(),
                message: String::new()
            }
            .is_transient()
        );
        assert!(
            !KmsError::InvalidPrincipal {
                message: String::new()
            }
            .is_transient()
        );
    }

    #[test]
    fn explanations_name_the_fix() {
        let e = KmsError::AccessDenied {
            operation: "CreateAlias".into(),
            message: String::new(),
        };
        assert!(e.explain(None, "").contains("kms:CreateAlias"));
        let e = KmsError::NoCredentials {
            detail: String::new(),
        };
        assert!(
            e.explain(Some("prod"), "")
                .contains("aws sso login --profile prod")
        );
        let e = KmsError::InvalidPrincipal {
            message: String::new(),
        };
        assert!(
            e.explain(None, "Copy it again from the Camunda Console.")
                .contains("Camunda Console")
        );
    }

    /// The cause of a failed sign-in, not a login that would not help: a profile that does
    /// not exist, a credential_process that fails, an SSO session that is missing.
    #[test]
    fn sign_in_problems_say_their_cause() {
        let e = KmsError::ProfileNotDefined {
            message: "the AWS profile \"nosuch\" is not defined in /h/.aws/config or /h/.aws/credentials (there are no profiles there). Check the name.".into(),
        };
        let m = e.explain(Some("nosuch"), "");
        assert!(
            m.starts_with("The AWS profile \"nosuch\" is not defined"),
            "{m}"
        );
        assert!(!m.contains("sso login"), "{m}");
        let e = KmsError::CredentialProcess {
            detail: "external process exited with code exit status: 3. Stderr: boom".into(),
        };
        let m = e.explain(Some("cp"), "");
        assert!(
            m.contains("credential_process") && m.contains("boom"),
            "{m}"
        );
        assert!(!m.contains("sso login"), "{m}");
        let e = KmsError::NoCredentials {
            detail: "failed to read `/h/.aws/sso/cache/x.json`".into(),
        };
        assert!(
            e.explain(Some("dev"), "")
                .contains("aws sso login --profile dev")
        );
    }
}
