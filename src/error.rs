//! What can go wrong talking to AWS, as kinds the UI reacts to, each explained in
//! plain language with the fix.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KmsError {
    #[error("no AWS credentials found: {detail}")]
    NoCredentials { detail: String },
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

    /// Plain language and the fix. `principal_help` says where the vendor principal comes from.
    pub fn explain(&self, profile: Option<&str>, principal_help: &str) -> String {
        let login = match profile {
            Some(p) => format!("aws sso login --profile {p}"),
            None => "aws sso login".to_string(),
        };
        match self {
            KmsError::NoCredentials { .. } => format!(
                "byok found no AWS credentials. Log in with `{login}`, or set AWS_PROFILE, or export the variables your administrator gave you; byok never asks for keys itself. Try `byok --demo` to look around without an account."
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
            KmsError::Service { code, message } => format!("AWS answered {code}: {message}"),
        }
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
}
