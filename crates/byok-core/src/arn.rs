//! ARNs, account IDs, Region codes and alias names: parsing and the checks byok makes before
//! any call.

use std::fmt;

pub const PARTITIONS: &[&str] = crate::regions::PARTITIONS;

pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-2`, `eusc-de-east-1`: lowercase words and a
/// final number.
pub fn is_region_code(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if !(3..=4).contains(&parts.len()) {
        return false;
    }
    let (last, words) = parts.split_last().expect("at least three parts");
    let is_word = |w: &&str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase());
    (words[0].len() == 2 || words[0] == "eusc")
        && words.iter().all(is_word)
        && !last.is_empty()
        && last.len() <= 2
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// `camunda` -> `alias/camunda`, then the KMS alias rules.
pub fn normalize_alias(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("is empty: give a name such as camunda-saas-byok".into());
    }
    let full = if s.starts_with("alias/") {
        s.to_string()
    } else {
        format!("alias/{s}")
    };
    let name = &full["alias/".len()..];
    if name.is_empty() {
        return Err("needs a name after alias/".into());
    }
    if full.to_ascii_lowercase().starts_with("alias/aws/") {
        return Err("alias/aws/ is reserved for AWS managed keys: choose a name that does not start with aws/".into());
    }
    if full.len() > 256 {
        return Err(format!(
            "is {} characters long with its alias/ prefix: KMS allows 256 at most",
            full.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-')))
    {
        return Err(format!(
            "contains {c:?}: use only letters, digits, '/', '_' and '-'"
        ));
    }
    Ok(full)
}

/// A parsed ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

impl Arn {
    pub fn parse(s: &str) -> Result<Arn, String> {
        if !s.is_ascii() {
            return Err("contains a non-ASCII character (a look-alike letter pasted from a document?): type it again or copy it from the AWS console".into());
        }
        // A trailing comma alone may end a real IAM name (`,` is allowed in names); after a
        // quote it is what a JSON list pastes.
        if s.starts_with(['"', '\'', '`'])
            || s.ends_with(['"', '\'', '`', ';'])
            || s.ends_with("\",")
            || s.ends_with("',")
        {
            return Err(
                "has quotes or a comma around it: remove them, the ARN is what is inside".into(),
            );
        }
        if s.chars().any(|c| c.is_whitespace()) {
            return Err("contains a space: copy the ARN again without spaces".into());
        }
        let mut it = s.splitn(6, ':');
        let parts: Vec<&str> = (&mut it).collect();
        if parts.len() != 6 || parts[0] != "arn" {
            return Err(
                "is not an ARN: it should look like arn:aws:iam::123456789012:role/name".into(),
            );
        }
        let arn = Arn {
            partition: parts[1].to_string(),
            service: parts[2].to_string(),
            region: parts[3].to_string(),
            account: parts[4].to_string(),
            resource: parts[5].to_string(),
        };
        if !PARTITIONS.contains(&arn.partition.as_str()) {
            return Err(format!(
                "has partition {:?}: use aws, aws-cn, aws-us-gov or aws-eusc",
                arn.partition
            ));
        }
        Ok(arn)
    }

    /// The IAM kind of an `iam` or `sts` ARN: `role`, `user`, `root`, `assumed-role`.
    pub fn iam_kind(&self) -> Option<&str> {
        match self.service.as_str() {
            "iam" if self.resource == "root" => Some("root"),
            "iam" => self.resource.split('/').next(),
            "sts" => self.resource.split('/').next(),
            _ => None,
        }
    }

    /// The last path segment: a role or user name.
    pub fn name(&self) -> &str {
        self.resource.rsplit('/').next().unwrap_or(&self.resource)
    }
}

/// The principal kinds an ARN may have where byok asks for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Role,
    RoleOrUser,
    AnyPrincipal,
}

fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// Check an IAM principal ARN (role, user or account root).
pub fn check_iam_principal(s: &str, want: Want) -> Result<Arn, String> {
    let arn = Arn::parse(s)?;
    if arn.service == "sts" {
        return Err("is a temporary session (sts assumed-role) ARN: give the IAM role ARN instead, arn:aws:iam::ACCOUNT:role/NAME".into());
    }
    if arn.service != "iam" {
        return Err(format!(
            "is an ARN of service {:?}: give an IAM ARN (arn:aws:iam::...)",
            arn.service
        ));
    }
    if !arn.region.is_empty() {
        return Err("has a Region in it: IAM ARNs have none (arn:aws:iam::ACCOUNT:...)".into());
    }
    if !is_account_id(&arn.account) {
        return Err(format!(
            "has account {:?}: an AWS account ID is exactly 12 digits",
            arn.account
        ));
    }
    let kind = arn.iam_kind().unwrap_or("");
    let allowed = match want {
        Want::Role => kind == "role",
        Want::RoleOrUser => kind == "role" || kind == "user",
        Want::AnyPrincipal => matches!(kind, "role" | "user" | "root"),
    };
    if !allowed {
        return Err(match want {
            Want::Role => {
                "is not an IAM role ARN: it should look like arn:aws:iam::123456789012:role/NAME"
                    .into()
            }
            Want::RoleOrUser => {
                "is not an IAM user or role ARN (arn:aws:iam::ACCOUNT:role/NAME or user/NAME)"
                    .into()
            }
            Want::AnyPrincipal => "is not an IAM role, user or account root ARN".into(),
        });
    }
    if kind != "root" {
        // role/NAME or role/path/.../NAME
        let rest = &arn.resource[kind.len()..];
        let segments: Vec<&str> = rest.split('/').collect();
        let ok = rest.starts_with('/')
            && rest.len() <= 512 + 64
            && segments.len() >= 2
            && segments[1..segments.len() - 1].iter().all(|p| name_ok(p))
            && name_ok(segments[segments.len() - 1]);
        if !ok {
            return Err(format!(
                "has an invalid {kind} name: names are 1-64 of letters, digits and +=,.@_-"
            ));
        }
    }
    Ok(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in [
            "eu-west-1",
            "us-gov-west-1",
            "ap-southeast-2",
            "cn-north-1",
            "il-central-1",
            "eusc-de-east-1",
        ] {
            assert!(is_region_code(ok), "{ok}");
        }
        for bad in [
            "",
            "eu",
            "eu-west",
            "EU-west-1",
            "eu-west-x",
            "europe-west-1",
            "eu--1",
            "eu-west-1a",
        ] {
            assert!(!is_region_code(bad), "{bad}");
        }
    }

    #[test]
    fn accounts() {
        assert!(is_account_id("123456789012"));
        assert!(!is_account_id("12345678901"));
        assert!(!is_account_id("1234567890123"));
        assert!(!is_account_id("12345678901a"));
        assert!(!is_account_id("１２３456789012"));
    }

    #[test]
    fn principals() {
        let r = check_iam_principal(
            "arn:aws:iam::123456789012:role/camunda/tenant-x",
            Want::Role,
        )
        .unwrap();
        assert_eq!(r.name(), "tenant-x");
        assert!(check_iam_principal("arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123", Want::Role).is_ok());
        assert!(
            check_iam_principal("arn:aws-cn:iam::123456789012:user/bob", Want::RoleOrUser).is_ok()
        );
        assert!(check_iam_principal("arn:aws:iam::123456789012:root", Want::AnyPrincipal).is_ok());
        let bad = [
            ("arn:aws:iam::123456789012:user/bob", Want::Role),
            (
                "arn:aws:sts::123456789012:assumed-role/Admin/bob",
                Want::RoleOrUser,
            ),
            ("arn:aws:iam::12345678901:role/x", Want::Role),
            ("arn:aws:iam::1234567890123:role/x", Want::Role),
            ("arn:azure:iam::123456789012:role/x", Want::Role),
            ("arn:aws:iam:eu-west-1:123456789012:role/x", Want::Role),
            ("arn:aws:s3:::bucket", Want::Role),
            ("arn:aws:iam::123456789012:role/", Want::Role),
            ("arn:aws:iam::123456789012:role/a b", Want::Role),
            ("arn:aws:iam::123456789012:rоle/x", Want::Role),
            ("123456789012", Want::Role),
            ("arn:aws:iam::123456789012:group/x", Want::AnyPrincipal),
            (
                "arn:aws:iam::123456789012:role/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                Want::Role,
            ),
        ];
        for (s, w) in bad {
            assert!(check_iam_principal(s, w).is_err(), "{s}");
        }
    }
}
