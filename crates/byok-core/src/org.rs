//! `byok status --accounts org|ID,...`: the keys of many accounts in one report.
//!
//! The accounts come from `organizations:ListAccounts` (the management account or a
//! delegated administrator; only ACTIVE ones) or from the list given. The caller's own
//! account is read with the caller's credentials; every other one through a role assumed
//! there (`--role-name`, default `OrganizationAccountAccessRole`, with `--role-external-id`
//! when the role's trust policy asks for one). At most [`ACCOUNTS_IN_FLIGHT`] accounts are
//! read at once, each with all its Regions at once and at most
//! [`crate::status::KEYS_IN_FLIGHT`] keys per Region in flight. An account whose role
//! cannot be assumed, or that cannot be read, is reported with the reason, and the rest is
//! shown.

use futures_util::StreamExt;

use crate::kms::aws::AwsKms;
use crate::kms::{Backend, KeyService, KmsError};
use crate::status::{self, Health, RegionError, Scope, StatusReport, Summary};
use crate::vendor::Catalog;

/// Accounts read at the same time.
pub const ACCOUNTS_IN_FLIGHT: usize = 8;
/// The role AWS Organizations creates in the accounts it makes.
pub const DEFAULT_ROLE: &str = "OrganizationAccountAccessRole";

/// What `--accounts` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accounts {
    /// Every active account of the organisation.
    Org,
    /// These accounts.
    List(Vec<String>),
}

/// `--accounts org` or `--accounts 111111111111,222222222222`.
pub fn parse_accounts(v: &str) -> Result<Accounts, String> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("org") {
        return Ok(Accounts::Org);
    }
    let mut out: Vec<String> = Vec::new();
    for a in v.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        if !crate::arn::is_account_id(a) {
            return Err(format!(
                "Accounts (--accounts): {a:?} is not a 12-digit AWS account ID; give `org` or IDs separated by commas"
            ));
        }
        if !out.iter().any(|x| x == a) {
            out.push(a.to_string());
        }
    }
    if out.is_empty() {
        return Err("Accounts (--accounts): give `org` or account IDs separated by commas".into());
    }
    Ok(Accounts::List(out))
}

/// An IAM role name (with an optional path): letters, digits and `+=,.@_-`, at most 64
/// characters for the name.
pub fn check_role_name(v: &str) -> Result<(), String> {
    let name = v.rsplit('/').next().unwrap_or(v);
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if name.is_empty()
        || name.len() > 64
        || v.len() > 512
        || !v.chars().all(|c| ok_char(c) || c == '/')
        || v.starts_with('/')
    {
        return Err(format!(
            "Role (--role-name): {:?} is not an IAM role name (letters, digits and +=,.@_-, at most 64; a path may come before it: team/ByokStatus)",
            crate::sanitize::line(v)
        ));
    }
    Ok(())
}

/// An STS external ID: 2 to 1224 characters of `[\w+=,.@:/-]`.
pub fn check_external_id(v: &str) -> Result<(), String> {
    let ok = (2..=1224).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c));
    if ok {
        Ok(())
    } else {
        Err("External ID (--role-external-id): 2 to 1224 letters, digits or _+=,.@:/-".into())
    }
}
/// One account of a `--accounts` report (kept with the report it is part of).
pub use crate::status::AccountReport;

/// What went wrong before any account could be read.
#[derive(Debug)]
pub enum OrgError {
    /// `GetCallerIdentity` failed.
    Identity(KmsError),
    /// `ListAccounts` failed.
    ListAccounts(KmsError),
}

/// The role ARN to assume in an account, in the caller's partition.
pub use crate::role::role_arn;

fn error_of(e: &KmsError) -> RegionError {
    let kind = serde_json::to_value(e)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
        .unwrap_or_default();
    RegionError {
        kind,
        message: e.to_string(),
        explanation: e.explain(None, ""),
    }
}

/// Read every account; the merged report has every key (each with its account), every
/// Region (each with its account) and one [`AccountReport`] per account, in the order
/// asked (the organisation's order for `org`), the caller's account first.
pub async fn collect(
    aws: &AwsKms,
    catalog: &Catalog,
    scope: &Scope,
    accounts: &Accounts,
    role_name: &str,
    external_id: Option<&str>,
) -> Result<StatusReport, OrgError> {
    let me = aws.identity().await.map_err(OrgError::Identity)?;
    let partition = crate::arn::Arn::parse(&me.arn)
        .map(|a| a.partition)
        .unwrap_or_else(|_| "aws".into());
    let list: Vec<(String, Option<String>)> = match accounts {
        Accounts::Org => aws
            .list_org_accounts()
            .await
            .map_err(OrgError::ListAccounts)?
            .into_iter()
            .filter(|(_, _, active)| *active)
            .map(|(id, name, _)| (id, Some(name)))
            .collect(),
        Accounts::List(ids) => ids.iter().map(|id| (id.clone(), None)).collect(),
    };
    if list.is_empty() {
        return Err(OrgError::ListAccounts(KmsError::NotFound {
            message: "ListAccounts answered no active account: this account is not the management account (or a delegated administrator) of an organisation".into(),
        }));
    }
    let mut order: Vec<(String, Option<String>)> = list
        .iter()
        .filter(|(id, _)| *id == me.account)
        .cloned()
        .collect();
    order.extend(list.into_iter().filter(|(id, _)| *id != me.account));

    let futs: Vec<_> = order
        .iter()
        .enumerate()
        .map(|(i, (id, name))| {
            let me = &me;
            let partition = &partition;
            async move {
                let (access, svc) = if *id == me.account {
                    ("caller".to_string(), Ok(aws.clone()))
                } else {
                    let arn = role_arn(partition, id, role_name);
                    let r = aws.assume_role(&arn, external_id).await;
                    (arn, r)
                };
                let report = match svc {
                    Ok(svc) => {
                        let mut r =
                            status::collect(&Backend::Aws(Box::new(svc.clone())), catalog, scope)
                                .await;
                        crate::status::annotate_alerts(&svc, &mut r).await;
                        Ok(r)
                    }
                    Err(e) => Err(e),
                };
                (i, id.clone(), name.clone(), access, report)
            }
        })
        .collect();
    let mut done: Vec<_> = futures_util::stream::iter(futs)
        .buffer_unordered(ACCOUNTS_IN_FLIGHT)
        .collect()
        .await;
    done.sort_by_key(|d| d.0);

    let mut merged = StatusReport::empty();
    for (_, account, name, access, report) in done {
        match report {
            Ok(mut r) => {
                for reg in &mut r.regions {
                    reg.account = Some(account.clone());
                }
                let failed = r
                    .regions
                    .iter()
                    .filter(|x| {
                        x.error
                            .as_ref()
                            .is_some_and(|e| e.kind != "region-not-enabled")
                    })
                    .count();
                merged.accounts.push(AccountReport {
                    account: account.clone(),
                    name,
                    access,
                    error: None,
                    regions_failed: failed,
                    summary: r.summary.clone(),
                });
                merged.regions.extend(r.regions);
                merged.keys.extend(r.keys);
                merged.named_errors.extend(
                    r.named_errors
                        .into_iter()
                        .map(|e| format!("{account}: {e}")),
                );
            }
            Err(e) => merged.accounts.push(AccountReport {
                account,
                name,
                access,
                error: Some(error_of(&e)),
                regions_failed: 0,
                summary: Summary {
                    overall: Some(Health::NeedsAttention),
                    ..Summary::default()
                },
            }),
        }
    }
    merged.finish();
    Ok(merged)
}

/// One line per account: "123456789012 (prod) via role/...: 3 keys: 2 OK, 1 broken".
pub fn account_line(a: &AccountReport) -> String {
    let name = a
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let via = if a.access == "caller" {
        "your own credentials".to_string()
    } else {
        a.access.clone()
    };
    match &a.error {
        Some(e) => format!(
            "✗ Account {}{name}: could not be read through {via}: {}",
            a.account, e.message
        ),
        None => {
            let mut s = format!(
                "{} Account {}{name}, read with {via}: {}",
                a.summary.overall.unwrap_or(Health::Ok).symbol(),
                a.account,
                status::summary_line(&a.summary)
            );
            if a.regions_failed > 0 {
                s.push_str(&format!(
                    "; {} Region(s) could not be read",
                    a.regions_failed
                ));
            }
            s
        }
    }
}

/// The account's line on the status screen, short: "✓ 123456789012 prod: 3 keys, 1 ✗".
pub fn account_short(a: &AccountReport) -> String {
    let name = a
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    if a.error.is_some() {
        return format!("✗ {}{name}: not readable", a.account);
    }
    let s = &a.summary;
    let n = s.ok + s.needs_attention + s.broken;
    let mut out = format!(
        "{} {}{name}: {n} key{}",
        s.overall.unwrap_or(Health::Ok).symbol(),
        a.account,
        if n == 1 { "" } else { "s" }
    );
    if s.needs_attention > 0 {
        out.push_str(&format!(", {} !", s.needs_attention));
    }
    if s.broken > 0 {
        out.push_str(&format!(", {} ✗", s.broken));
    }
    if a.regions_failed > 0 {
        out.push_str(&format!(", {} Region(s) unread", a.regions_failed));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_flag() {
        assert_eq!(parse_accounts("org"), Ok(Accounts::Org));
        assert_eq!(
            parse_accounts("111111111111, 222222222222,111111111111"),
            Ok(Accounts::List(vec![
                "111111111111".into(),
                "222222222222".into()
            ]))
        );
        assert!(parse_accounts("1111").is_err());
        assert!(parse_accounts(",").is_err());
        assert!(check_role_name(DEFAULT_ROLE).is_ok());
        assert!(check_role_name("team/ByokStatus").is_ok());
        assert!(check_role_name("bad role").is_err());
        assert!(check_role_name("").is_err());
        assert!(check_external_id("x").is_err());
        assert!(check_external_id("abc-123").is_ok());
        assert_eq!(
            role_arn("aws", "111111111111", "R"),
            "arn:aws:iam::111111111111:role/R"
        );
    }
}
