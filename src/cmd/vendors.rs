//! `byok vendors`: the vendor profiles, where their facts come from and when they were
//! checked; `byok vendors show ID`: what one vendor asks for and what it is granted.

use serde_json::{Value, json};

use byok::exec::exit;
use byok::sanitize;
use byok::vendor::{Catalog, VendorProfile};

use super::common;
use crate::cli::{GlobalArgs, Output, VendorsArgs, VendorsCommand};

pub fn run(g: &GlobalArgs, args: &VendorsArgs) -> i32 {
    let catalog = match common::catalog(g) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match &args.show {
        None => list(&catalog, args.output),
        Some(VendorsCommand::Show { id }) => match catalog.get(id) {
            Some(v) => show(v, args.output),
            None => {
                eprintln_safe!(
                    "error: no vendor profile {:?}: the profiles are {} (a --vendor-file adds its own)",
                    id,
                    catalog.ids().join(", ")
                );
                exit::INVALID_INPUT
            }
        },
    }
}

/// "2026-12-01", or what a profile without a date (the `other` template) says instead.
fn checked(v: &VendorProfile) -> &str {
    if v.checked.is_empty() {
        "not given (a template)"
    } else {
        &v.checked
    }
}

fn list(catalog: &Catalog, output: Output) -> i32 {
    match output {
        Output::Json => {
            let vendors: Vec<Value> = catalog
                .profiles
                .iter()
                .map(|v| {
                    json!({
                        "id": v.id,
                        "name": v.name,
                        "version": v.version,
                        "summary": v.summary,
                        "sources": v.sources,
                        "checked": (!v.checked.is_empty()).then_some(&v.checked),
                    })
                })
                .collect();
            println_safe!("{}", sanitize::json_pretty(&json!({ "vendors": vendors })));
        }
        Output::Text => {
            for (i, v) in catalog.profiles.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                println_safe!(
                    "{}  {}  (profile {}, checked {})",
                    sanitize::line(&v.id),
                    sanitize::line(&v.name),
                    sanitize::line(&v.version),
                    sanitize::line(checked(v))
                );
                println_safe!("  {}", sanitize::line(&v.summary));
                for s in &v.sources {
                    println_safe!("  source: {}", sanitize::line(s));
                }
            }
        }
    }
    exit::OK
}

/// The Regions, as words: the vendor's list, or any Region byok knows.
fn regions_text(v: &VendorProfile) -> Vec<String> {
    if v.regions.is_empty() {
        return vec![
            "any Region byok knows, in the partition of the vendor's principal (an arn:aws: role: the commercial Regions)".into(),
        ];
    }
    v.regions
        .iter()
        .map(|r| match &r.vendor_account {
            Some(a) => format!("{} {} (vendor account {a})", r.code, r.name),
            None => format!("{} {}", r.code, r.name),
        })
        .collect()
}

fn show(v: &VendorProfile, output: Output) -> i32 {
    let regionalities: Vec<&str> = v.regionalities().iter().map(|r| r.as_str()).collect();
    if output == Output::Json {
        let mut doc = serde_json::to_value(v).expect("a profile serializes");
        doc["any_region"] = v.regions.is_empty().into();
        doc["regionalities"] = json!(regionalities);
        println_safe!("{}", sanitize::json_pretty(&doc));
        return exit::OK;
    }
    let l = |s: &str| sanitize::line(s).into_owned();
    println_safe!(
        "{} ({}), profile {}, checked {}",
        l(&v.name),
        l(&v.id),
        l(&v.version),
        l(checked(v))
    );
    println_safe!("{}", l(&v.summary));
    println!();
    println!("What {} asks for", l(&v.name));
    println_safe!(
        "  Principal: {}: {}",
        l(&v.principal.label),
        v.principal.kind.describe()
    );
    println_safe!("    {}", l(&v.principal.help));
    if let Some(a) = &v.principal.arn {
        println_safe!("    The principal: {}", l(a));
    }
    for r in &v.principal.refuse {
        println_safe!("    Refused: {}: {}", l(&r.arn), l(&r.reason));
    }
    for val in &v.values {
        println_safe!(
            "  Value {} (--set {}=...): {}",
            l(&val.label),
            l(&val.name),
            l(&val.help)
        );
        println_safe!(
            "    must match {}; never a wildcard (* ?) or a policy variable ($)",
            l(&val.pattern)
        );
    }
    println!("  Regions:");
    for r in regions_text(v) {
        println_safe!("    {}", l(&r));
    }
    println_safe!("  Regionality: {}", regionalities.join(", "));
    if let Some(d) = &v.dual_region {
        println_safe!("    recommended: {}", d.recommended.as_str());
        if (d.min_regions, d.max_regions) != (1, 1) {
            println_safe!(
                "    Regions besides the primary's: {} to {} (--replica-region, repeatable)",
                d.min_regions,
                d.max_regions
            );
        }
        for p in &d.pairs {
            println_safe!("    {} with {}", l(&p.primary), l(&p.secondary));
        }
    }
    println_safe!(
        "  Default alias: alias/{}; description: {}",
        l(v.key.alias.trim_start_matches("alias/")),
        l(&v.key.description)
    );
    println!();
    println!(
        "What {} is granted (its statements in the key policy{})",
        l(&v.name),
        if v.principal.kind.given_later() {
            ", added by byok grant once the key ARN is registered: none at creation"
        } else {
            ""
        }
    );
    for s in &v.statements {
        println_safe!("  {:?}: {}", l(&s.sid), s.actions.join(", "));
        if s.resource == byok::vendor::StatementResource::Key {
            println!("    on the key's own ARN (Resource), not \"*\"");
        }
        if let Some(c) = &s.condition {
            println_safe!("    only when {}", sanitize::line(&c.to_string()));
            if byok::vendor::is_placeholder(c) {
                println!("    ({{{{NAME}}}} is the value you give with --set NAME=...)");
            }
        } else {
            println!("    no condition");
        }
    }
    if let Some(r) = &v.customer_role {
        if v.statements.is_empty() {
            println!("  nothing in the key policy: the role's own policy grants the key");
        } else {
            println_safe!(
                "  (the statements name the role {}, not the vendor)",
                l(&r.name)
            );
        }
        println!();
        println_safe!(
            "The role in your account that {} assumes: {}",
            l(&v.name),
            l(&r.name)
        );
        println_safe!(
            "  trusted by: the principal above (--principal), only with the external ID (--external-id)"
        );
        println_safe!(
            "  external ID: {} ({}); {}",
            l(&r.external_id.label),
            r.external_id.pattern.describe(),
            l(&r.external_id.help)
        );
        if r.policy.is_empty() {
            println!("  its own policy: none (the key policy grants it)");
        }
        for s in &r.policy {
            println_safe!(
                "  its own policy {:?}, {:?}: {} on this key only",
                l(&r.policy_name),
                l(&s.sid),
                s.actions.join(", ")
            );
        }
    }
    println!();
    let paste: Vec<&str> = if v.paste_back.is_empty() {
        vec![byok::vendor::PasteBack::KeyArn.label()]
    } else {
        v.paste_back.iter().map(|p| p.label()).collect()
    };
    println_safe!(
        "What you paste back into {}: {} (of each key)",
        l(&v.name),
        paste.join(", ")
    );
    println_safe!("Next step: {}", l(&v.next_step));
    if !v.sources.is_empty() {
        println!("Sources:");
        for s in &v.sources {
            println_safe!("  {}", l(s));
        }
    }
    exit::OK
}
