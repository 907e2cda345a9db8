//! `byok grant`: give the vendor's principal(s) access to a key that exists, for a vendor that
//! names its principal only once the key is registered with it, or one more of its roles.
//! Checked like the wizard's answer, planned with the policy diff, asked, sent.

use std::io::IsTerminal;

use byok::exec::exit;
use byok::status::{self, Scope};

use super::common;
use crate::cli::{GlobalArgs, GrantArgs, GrantOutput};

pub async fn run(g: &GlobalArgs, args: GrantArgs) -> i32 {
    let catalog = match common::catalog(g) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let scope = Scope {
        keys: vec![args.key.clone()],
        regions: args.regions.clone(),
        vendor: args.vendor.clone(),
        named_only: true,
        ..Scope::default()
    };
    // Every input is checked before the first call; the profile's own rules for the
    // principal need the key's vendor and Region, read next (a read, not a change).
    let mut errs = status::check_scope(&catalog, &scope);
    for p in &args.principals {
        let p = p.trim();
        if !byok::arn::is_account_id(p)
            && let Err(e) = byok::arn::check_iam_principal(p, byok::arn::Want::AnyPrincipal)
        {
            errs.push(format!("Vendor principal (--principal): {p:?} {e}"));
        }
    }
    // The vendor's statement: read (bounded) and parsed now; checked against the profile and
    // the key once they are known.
    let statement = match &args.statement {
        None => None,
        Some(path) => match read_statement(path) {
            Ok(t) => Some(t),
            Err(e) => {
                errs.push(format!("Vendor statement (--statement): {e}"));
                None
            }
        },
    };
    if !args.yes && !std::io::stdin().is_terminal() {
        errs.push(
            "Confirmation (--yes): byok asks before changing a key; add --yes to act without a terminal"
                .into(),
        );
    }
    if !errs.is_empty() {
        eprintln_safe!(
            "byok grant cannot start: {} problem(s). Nothing was sent to AWS.",
            errs.len()
        );
        for e in &errs {
            eprintln_safe!("  - {e}");
        }
        return exit::INVALID_INPUT;
    }
    let svc = match common::keys_backend(g, &catalog).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let report = status::collect(&svc, &catalog, &scope).await;
    if !report.named_errors.is_empty() {
        for e in &report.named_errors {
            eprintln_safe!("error: {e}");
        }
        eprintln_safe!("Nothing was changed.");
        return exit::INVALID_INPUT;
    }
    let Some(k) = report.keys.first() else {
        eprintln_safe!(
            "error: Key (--key): no key {} was found. Nothing was changed.",
            args.key
        );
        return exit::INVALID_INPUT;
    };
    let Some(profile) = k.vendor.as_deref().and_then(|v| catalog.get(v)) else {
        eprintln_safe!(
            "error: Vendor (--vendor): byok does not know the vendor of {}; name it with --vendor. Nothing was changed.",
            k.arn
        );
        return exit::INVALID_INPUT;
    };
    let mut principals = Vec::new();
    for p in &args.principals {
        match status::check_given_principal(profile, k, p) {
            Ok(arn) if !principals.contains(&arn) => principals.push(arn),
            Ok(_) => {}
            Err(e) => {
                eprintln_safe!("error: Vendor principal (--principal): {e}. Nothing was changed.");
                return exit::INVALID_INPUT;
            }
        }
    }
    if let Some(text) = &statement {
        match status::check_vendor_statement(profile, k, text) {
            Ok(ps) => {
                for p in ps {
                    if !principals.contains(&p) {
                        principals.push(p);
                    }
                }
            }
            Err(e) => {
                eprintln_safe!(
                    "error: Vendor statement (--statement): it {e}. Nothing was changed."
                );
                return exit::INVALID_INPUT;
            }
        }
    }
    // PutKeyPolicy replaces the whole policy: runs on this machine that change the same
    // key's policy take turns, from the read to the write, or one would drop the other's.
    let journal = match common::open_journal(g.demo, "Nothing was changed.") {
        Ok(j) => j,
        Err(code) => return code,
    };
    let _turn = match common::key_policy_turn(&journal, k).await {
        Ok(l) => l,
        Err(code) => return code,
    };
    let plan = match status::plan_grant(&svc, &catalog, k, &principals).await {
        Ok(p) => p,
        Err(e) => {
            eprintln_safe!("error: {}: {e}\nNothing was changed.", k.name());
            return exit::INVALID_INPUT;
        }
    };
    let json = args.output == GrantOutput::Json;
    eprint_safe!("{}", plan.render_text());
    let document = |results: &[status::ChangeResult]| {
        byok::sanitize::json_pretty(&serde_json::json!({ "plans": [&plan], "results": results }))
    };
    if plan.changes.is_empty() {
        eprintln_safe!("Nothing to change.");
        if json {
            println_safe!("{}", document(&[]));
        }
        return exit::OK;
    }
    if !args.yes && !common::confirm("Go ahead?") {
        eprintln_safe!("Nothing was changed.");
        return exit::OK;
    }
    let results = status::apply(&svc, &plan).await;
    let ok = common::say_results(
        results
            .iter()
            .map(|r| (r.change.as_str(), r.error.as_deref())),
        plan.changes.len(),
    );
    if json {
        println_safe!("{}", document(&results));
    }
    if ok { exit::OK } else { exit::AWS_REFUSED }
}

/// The vendor's statement, from a file or `-` (stdin): at most
/// [`status::MAX_STATEMENT_BYTES`] of UTF-8, one JSON object (a trailing comma, as the vendor
/// prints it, allowed).
fn read_statement(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    let limit = status::MAX_STATEMENT_BYTES as u64;
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
    } else {
        let meta =
            std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if !meta.is_file() {
            return Err(format!(
                "{} is not a regular file: save the statement the vendor returned in a file, or give - and paste it on stdin",
                path.display()
            ));
        }
        std::fs::File::open(path)
            .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    }
    if bytes.len() as u64 > limit {
        return Err(format!(
            "is larger than {limit} bytes: a vendor's statement is a few hundred"
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_string())?;
    // Parsed now, before any call, as the key's check will parse it; what it holds is checked
    // once the key (and so the ARN a Resource may name) is known.
    match byok::status::parse_vendor_statements(&text) {
        Ok(v) if v.is_object() || v.is_array() => Ok(text),
        Ok(_) => Err("is not a JSON statement ({ ... }) or several ({ ... }, { ... })".into()),
        Err(e) => Err(format!(
            "is not JSON ({e}): give the statement the vendor returned, from {{ to }}"
        )),
    }
}
