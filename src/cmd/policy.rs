//! `byok policy`: the key policy for the answers, linted, as KMS would receive it.

use serde_json::json;

use byok::exec::exit;
use byok::kms::KeyService;
use byok::kms::sim;
use byok::policy;
use byok::sanitize;

use super::common;
use crate::cli::{GlobalArgs, Output, PolicyArgs};

pub async fn run(g: &GlobalArgs, args: PolicyArgs) -> i32 {
    let answers = match common::answers(g, &args.answers).await {
        Ok(a) => a,
        Err(code) => return code,
    };
    let account = match (&args.account, g.demo) {
        (Some(a), _) if byok::arn::is_account_id(a) => a.clone(),
        (Some(a), _) => {
            eprintln_safe!("error: Account (--account): {a:?} is not a 12-digit AWS account ID");
            return exit::INVALID_INPUT;
        }
        (None, true) => sim::DEMO_ACCOUNT.to_string(),
        (None, false) => match common::backend(g).await.identity().await {
            Ok(id) => id.account,
            Err(e) => {
                eprintln_safe!(
                    "error: {}",
                    e.explain(g.profile.as_deref(), &answers.vendor.principal.help)
                );
                eprintln_safe!("(or give your account ID with --account)");
                return exit::AWS_REFUSED;
            }
        },
    };
    let p = match common::linted_policy(&answers, &account) {
        Ok(p) => p,
        Err(code) => return code,
    };
    match args.output {
        Output::Text => println_safe!("{}", sanitize::json_text(policy::to_document(&p))),
        Output::Json => println_safe!(
            "{}",
            sanitize::json_pretty(&json!({
                "vendor": answers.vendor.id,
                "account": account,
                "principal": answers.principal,
                "bytes": policy::to_document(&p).len(),
                "policy": p,
            }))
        ),
    }
    exit::OK
}
