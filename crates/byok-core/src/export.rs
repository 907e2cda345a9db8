//! Exports: the reviewed setup handed to the tools a team already uses, exactly equivalent to
//! what `byok create` does with the same answers (same key policy, aliases, tags, description,
//! rotation and Multi-Region choice). Everything is derived from the [`Plan`] and from
//! [`policy::build`]; nothing here re-derives a fact.
//!
//! The API (the wizard's review screen and `byok plan --format` use it):
//!
//! ```no_run
//! # use byok_core::{export::{self, Format}, plan::Plan};
//! # fn demo(plan: &Plan) -> std::io::Result<()> {
//! // `account`: None references the account at apply time (Terraform's
//! // `data "aws_caller_identity"`, CloudFormation's `${AWS::AccountId}`, the script's
//! // `aws sts get-caller-identity`); Some("123456789012") writes it in and makes the
//! // export refuse to run in any other account.
//! let files: Vec<export::ExportFile> = export::render(plan, Format::Terraform, None);
//! // A directory gets the suggested names; a file name is used for the first file and,
//! // when there are two (CloudFormation, two Regions), gets the Region added for the second.
//! let written: Vec<std::path::PathBuf> = export::write_files(&files, "infra/".as_ref())?;
//! # Ok(()) }
//! ```
//!
//! Every format is one file, except CloudFormation for a two-Region setup: stacks are
//! regional, so it is one template per Region, the primary's first (the replica template
//! takes the primary key's ARN as a parameter).

use serde::Serialize;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

mod alerts;

use crate::answers::Regionality;
use crate::plan::{KeyRole, Plan, PlannedKey};
use crate::policy;
use crate::sanitize::{self, shell_word};

/// What `byok plan --format` and the review screen can export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// The plan as numbered steps with the API calls behind each.
    Text,
    /// A Terraform configuration (hashicorp/aws provider).
    Terraform,
    /// CloudFormation template(s), JSON.
    #[serde(rename = "cloudformation")]
    CloudFormation,
    /// A bash script that uses the AWS CLI.
    AwsCli,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::Text,
        Format::Terraform,
        Format::CloudFormation,
        Format::AwsCli,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Terraform => "terraform",
            Format::CloudFormation => "cloudformation",
            Format::AwsCli => "aws-cli",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Text => "Plan (text)",
            Format::Terraform => "Terraform",
            Format::CloudFormation => "CloudFormation",
            Format::AwsCli => "AWS CLI script",
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not one of text, terraform, cloudformation, aws-cli"))
    }
}

/// One file of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportFile {
    /// The suggested file name (no directory).
    pub name: String,
    /// The Region the file acts in first (a CloudFormation stack's Region).
    pub region: String,
    pub contents: String,
    /// Written with the execute bit (the AWS CLI script).
    pub executable: bool,
}

/// Stands for the caller's account inside the policy until a format replaces it with its
/// own reference. `{` appears in no validated ARN, so it cannot collide.
const ACCOUNT_SENTINEL: &str = "{{byok-account-id}}";

/// Render the plan in `format`. `account`: see the module docs; the caller validates it
/// (12 digits).
pub fn render(plan: &Plan, format: Format, account: Option<&str>) -> Vec<ExportFile> {
    let primary = plan
        .key(KeyRole::Primary)
        .expect("a plan has a primary key");
    let base = base_name(&primary.alias);
    match format {
        Format::Text => vec![ExportFile {
            name: format!("{base}.plan.txt"),
            region: primary.region.clone(),
            contents: plan.render_text(),
            executable: false,
        }],
        Format::Terraform => vec![ExportFile {
            name: format!("{base}.tf"),
            region: primary.region.clone(),
            contents: terraform(plan, account),
            executable: false,
        }],
        Format::CloudFormation => cloudformation(plan, account)
            .into_iter()
            .map(|(key, template)| ExportFile {
                name: format!("{base}.{}.template.json", key.region),
                region: key.region.clone(),
                contents: format!("{}\n", sanitize::json_pretty(&template)),
                executable: false,
            })
            .collect(),
        Format::AwsCli => vec![ExportFile {
            name: format!("{base}.sh"),
            region: primary.region.clone(),
            contents: aws_cli_script(plan, account),
            executable: true,
        }],
    }
}

/// Where [`write_files`] puts each of `files` for `target`, in order: into `target` when it is
/// a directory (or ends with `/`), else the first file at `target` and any later one next to
/// it with its Region before the extension.
pub fn target_paths(files: &[ExportFile], target: &Path) -> Vec<PathBuf> {
    let is_dir = is_dir_target(target);
    files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if is_dir {
                target.join(&f.name)
            } else if i == 0 {
                target.to_path_buf()
            } else {
                with_region(target, &f.region)
            }
        })
        .collect()
}

/// The paths [`write_files`] would replace: those of [`target_paths`] that exist already
/// (a dangling symbolic link counts).
pub fn existing_targets(files: &[ExportFile], target: &Path) -> Vec<PathBuf> {
    target_paths(files, target)
        .into_iter()
        .filter(|p| p.symlink_metadata().is_ok())
        .collect()
}

fn is_dir_target(target: &Path) -> bool {
    target.is_dir() || target.as_os_str().to_string_lossy().ends_with('/')
}

/// Write `files` to `target` (see [`target_paths`]), replacing files that exist.
/// Returns the paths written, in order.
pub fn write_files(files: &[ExportFile], target: &Path) -> io::Result<Vec<PathBuf>> {
    write(files, target, true)
}

/// As [`write_files`], but never replaces a file: when one of the targets exists, nothing is
/// written and the error (kind `AlreadyExists`) names it. Each file is created with
/// `O_EXCL`, so a file that appears meanwhile is not replaced either.
pub fn write_new_files(files: &[ExportFile], target: &Path) -> io::Result<Vec<PathBuf>> {
    if let Some(p) = existing_targets(files, target).first() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists already", p.display()),
        ));
    }
    write(files, target, false)
}

/// Create `path` with `contents`; fails (kind `AlreadyExists`) when it exists, however it
/// came to (`O_EXCL`).
pub fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?
        .write_all(contents)
}

fn write(files: &[ExportFile], target: &Path, replace: bool) -> io::Result<Vec<PathBuf>> {
    if is_dir_target(target) {
        std::fs::create_dir_all(target)?;
    }
    let mut written = Vec::new();
    for (f, path) in files.iter().zip(target_paths(files, target)) {
        if replace {
            std::fs::write(&path, &f.contents)?;
        } else {
            write_new(&path, f.contents.as_bytes()).map_err(|e| match e.kind() {
                io::ErrorKind::AlreadyExists => io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists already", path.display()),
                ),
                _ => e,
            })?;
        }
        #[cfg(unix)]
        if f.executable {
            use std::os::unix::fs::PermissionsExt;
            let mut perm = std::fs::metadata(&path)?.permissions();
            perm.set_mode(perm.mode() | 0o111);
            std::fs::set_permissions(&path, perm)?;
        }
        written.push(path);
    }
    Ok(written)
}

/// `dir/keys.json` + `eu-west-2` -> `dir/keys.eu-west-2.json`.
fn with_region(path: &Path, region: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{region}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{region}"),
    };
    path.with_file_name(name)
}

/// `alias/team/key_1` -> `team-key_1`: a file and stack name stem.
fn base_name(alias: &str) -> String {
    alias
        .trim_start_matches("alias/")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_string()
}

/// A CloudFormation stack name for a key: letters, digits and hyphens, starting with a letter;
/// the Region too when several keys have its role.
pub fn stack_name(plan: &Plan, key: &PlannedKey) -> String {
    let alias = &plan.key(KeyRole::Primary).expect("primary").alias;
    let mut name = base_name(alias);
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name = format!("byok-{name}");
    }
    let name = name.replace('_', "-");
    match key.role {
        KeyRole::Primary => name,
        _ => format!("{name}-{}", plan.key_name(key)),
    }
}

/// How to apply the files, as commands a person can paste (shown after writing them).
pub fn apply_hint(plan: &Plan, format: Format, written: &[PathBuf]) -> String {
    let path = |i: usize| {
        written
            .get(i)
            .map(|p| shell_word(&p.display().to_string()))
            .unwrap_or_default()
    };
    match format {
        Format::Text => String::new(),
        Format::Terraform => format!(
            "Apply it from its own directory: terraform init && terraform plan && terraform apply ({})",
            path(0)
        ),
        Format::AwsCli => format!(
            "Review it, then run it with your usual AWS credentials: bash {}",
            path(0)
        ),
        Format::CloudFormation => {
            let primary = plan.key(KeyRole::Primary).expect("primary");
            let mut s = format!(
                "aws cloudformation deploy --region {} --stack-name {} --template-file {}",
                primary.region,
                stack_name(plan, primary),
                path(0)
            );
            if plan.keys.iter().any(|k| k.role == KeyRole::Replica) {
                let _ = write!(
                    s,
                    "\nPRIMARY_KEY_ARN=$(aws cloudformation describe-stacks --region {} --stack-name {} --query \"Stacks[0].Outputs[?OutputKey=='KeyArn'].OutputValue\" --output text)",
                    primary.region,
                    stack_name(plan, primary)
                );
            }
            for (i, second) in plan.keys.iter().enumerate().skip(1) {
                let _ = write!(
                    s,
                    "\naws cloudformation deploy --region {} --stack-name {} --template-file {}{}",
                    second.region,
                    stack_name(plan, second),
                    path(i),
                    if second.role == KeyRole::Replica {
                        " --parameter-overrides \"PrimaryKeyArn=$PRIMARY_KEY_ARN\""
                    } else {
                        ""
                    }
                );
            }
            s
        }
    }
}

/// The policy with the account written in, or with [`ACCOUNT_SENTINEL`] for a format to
/// replace.
fn policy_for(plan: &Plan, account: Option<&str>) -> Value {
    policy::build(&plan.answers, account.unwrap_or(ACCOUNT_SENTINEL))
}

/// A one-line summary for the head of each file.
fn summary(plan: &Plan) -> String {
    let a = &plan.answers;
    let keys = plan
        .keys
        .iter()
        .map(|k| format!("{} {} in {}", k.role.as_str(), k.alias, k.region))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{} for {}: {keys}", a.regionality.label(), a.vendor.name)
}

// ---------------------------------------------------------------------------------------
// Terraform

/// A quoted HCL string; `account_expr` replaces the account sentinel (an interpolation).
fn hcl_string(s: &str, account_expr: &str) -> String {
    let mut out = String::from("\"");
    let parts: Vec<&str> = s.split(ACCOUNT_SENTINEL).collect();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(account_expr);
        }
        let mut escaped = sanitize::hcl_escape(part);
        // A literal `$` right before the interpolation would turn it into `$${`, a literal.
        if escaped.ends_with('$') && i + 1 < parts.len() {
            escaped.pop();
            escaped.push_str("${\"$\"}");
        }
        out.push_str(&escaped);
    }
    out.push('"');
    out
}

fn hcl_scalar(v: &Value, account_expr: &str) -> Option<String> {
    Some(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => hcl_string(s, account_expr),
        _ => return None,
    })
}

/// A JSON value as an HCL expression (for `jsonencode`), indented by `indent` spaces.
fn hcl_value(v: &Value, indent: usize, account_expr: &str) -> String {
    if let Some(s) = hcl_scalar(v, account_expr) {
        return s;
    }
    let pad = " ".repeat(indent + 2);
    let end = " ".repeat(indent);
    match v {
        Value::Array(items) => {
            let scalars: Option<Vec<String>> =
                items.iter().map(|i| hcl_scalar(i, account_expr)).collect();
            if let Some(s) = scalars {
                let line = format!("[{}]", s.join(", "));
                if line.len() + indent < 100 {
                    return line;
                }
            }
            let mut out = String::from("[\n");
            for i in items {
                let _ = writeln!(out, "{pad}{},", hcl_value(i, indent + 2, account_expr));
            }
            out.push_str(&end);
            out.push(']');
            out
        }
        Value::Object(map) => {
            let entries: Vec<(String, String)> = map
                .iter()
                .map(|(k, v)| (hcl_string(k, ""), hcl_value(v, indent + 2, account_expr)))
                .collect();
            let mut out = String::from("{\n");
            out.push_str(&aligned(&entries, indent + 2));
            out.push_str(&end);
            out.push('}');
            out
        }
        _ => unreachable!("scalars handled above"),
    }
}

/// `key = value` lines as `terraform fmt` writes them: the `=` aligned over each run of
/// consecutive single-line values. A multi-line value (one that opens a bracket on its line)
/// is not aligned and ends the run: fmt aligns only lines whose whole value is on the line.
fn aligned(entries: &[(String, String)], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for run in entries.split_inclusive(|(_, v)| v.contains('\n')) {
        let (single, multi) = match run.split_last() {
            Some((last, rest)) if last.1.contains('\n') => (rest, Some(last)),
            _ => (run, None),
        };
        let width = single
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in single {
            let _ = writeln!(out, "{pad}{k:<width$} = {v}");
        }
        if let Some((k, v)) = multi {
            let _ = writeln!(out, "{pad}{k} = {v}");
        }
    }
    out
}

/// A Terraform block with attributes (already rendered) and nested raw blocks.
struct Block {
    header: String,
    attrs: Vec<(String, String)>,
    nested: Vec<String>,
}

impl Block {
    fn new(header: impl Into<String>) -> Block {
        Block {
            header: header.into(),
            attrs: Vec::new(),
            nested: Vec::new(),
        }
    }

    fn attr(mut self, key: &str, value: impl Into<String>) -> Block {
        self.attrs.push((key.to_string(), value.into()));
        self
    }

    fn nested(mut self, block: String) -> Block {
        self.nested.push(block);
        self
    }

    fn render(&self, indent: usize) -> String {
        let pad = " ".repeat(indent);
        if self.attrs.is_empty() && self.nested.is_empty() {
            return format!("{pad}{} {{}}\n", self.header);
        }
        let mut out = format!("{pad}{} {{\n", self.header);
        out.push_str(&aligned(&self.attrs, indent + 2));
        for n in &self.nested {
            if !self.attrs.is_empty() {
                out.push('\n');
            }
            out.push_str(n);
        }
        let _ = writeln!(out, "{pad}}}");
        out
    }
}

fn hcl_tags(tags: &[(String, String)]) -> String {
    let entries: Vec<(String, String)> = tags
        .iter()
        .map(|(k, v)| (hcl_string(k, ""), hcl_string(v, "")))
        .collect();
    format!("{{\n{}  }}", aligned(&entries, 4))
}

/// A key's Terraform name: its role, with its Region when several keys have that role
/// (`replica_eu_west_2`).
fn tf_name(plan: &Plan, key: &PlannedKey) -> String {
    plan.key_name(key).replace('-', "_")
}

fn tf_provider(plan: &Plan, key: &PlannedKey) -> Option<String> {
    (key.role != KeyRole::Primary).then(|| format!("aws.{}", tf_name(plan, key)))
}

/// The Terraform configuration: providers, the key(s), the aliases and outputs for every ARN.
pub fn terraform(plan: &Plan, account: Option<&str>) -> String {
    let a = &plan.answers;
    let account_expr = "${data.aws_caller_identity.current.account_id}";
    let q = |s: &str| hcl_string(s, "");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Generated by byok {}: {}.",
        env!("CARGO_PKG_VERSION"),
        sanitize::comment(&summary(plan))
    );
    let _ = writeln!(
        out,
        "# Equivalent to `byok create` with the same answers: the same key policy, aliases, tags and rotation."
    );
    let _ = writeln!(
        out,
        "# Apply: terraform init && terraform plan && terraform apply. Credentials come from your usual AWS chain."
    );
    out.push('\n');
    out.push_str(
        &Block::new("terraform")
            .attr("required_version", q(">= 1.3"))
            .nested(
                Block::new("required_providers")
                    .attr(
                        "aws",
                        "{\n      source  = \"hashicorp/aws\"\n      version = \">= 5.50\"\n    }",
                    )
                    .render(2),
            )
            .render(0),
    );
    let allowed = account.map(|acc| format!("[{}]", q(acc)));
    for key in &plan.keys {
        out.push('\n');
        let mut b = Block::new("provider \"aws\"");
        if key.role != KeyRole::Primary {
            b = b.attr("alias", q(&tf_name(plan, key)));
        }
        b = b.attr("region", q(&key.region));
        if let Some(al) = &allowed {
            b = b.attr("allowed_account_ids", al.clone());
        }
        out.push_str(&b.render(0));
    }
    if account.is_none() {
        out.push('\n');
        out.push_str(&Block::new("data \"aws_caller_identity\" \"current\"").render(0));
    }
    let p = policy_for(plan, account);
    out.push('\n');
    let _ = writeln!(
        out,
        "# The key policy byok builds, on every key (KMS does not copy a policy to a replica)."
    );
    out.push_str(
        &Block::new("locals")
            .attr(
                "key_policy",
                format!("jsonencode({})", hcl_value(&p, 2, account_expr)),
            )
            .render(0),
    );
    let lifecycle = Block::new("lifecycle")
        .attr("prevent_destroy", "true")
        .render(2);
    if let (Some(r), Some(trust)) = (&a.role, a.trust_policy()) {
        let spec = a
            .vendor
            .customer_role
            .as_ref()
            .expect("a role has its profile");
        out.push('\n');
        let _ = writeln!(
            out,
            "# The role {} assumes in your account, before the keys (the key policy may name it).",
            sanitize::comment(&a.vendor.name)
        );
        out.push_str(
            &Block::new("resource \"aws_iam_role\" \"vendor\"")
                .attr("name", q(&r.name))
                .attr("description", q(&spec.description))
                .attr(
                    "assume_role_policy",
                    format!("jsonencode({})", hcl_value(&trust, 2, "")),
                )
                .attr("tags", hcl_tags(&crate::role::tags(&a.vendor.id, &a.alias)))
                .render(0),
        );
        // Its own policy names the key (a profile with one gives a single key).
        if let Some(own) = a.role_policy(&[ACCOUNT_SENTINEL.to_string()]) {
            out.push('\n');
            out.push_str(
                &Block::new("resource \"aws_iam_role_policy\" \"vendor\"")
                    .attr("name", q(&spec.policy_name))
                    .attr("role", "aws_iam_role.vendor.id")
                    .attr(
                        "policy",
                        format!(
                            "jsonencode({})",
                            hcl_value(&own, 2, "${aws_kms_key.primary.arn}")
                        ),
                    )
                    .render(0),
            );
        }
        out.push('\n');
        out.push_str(
            &Block::new("output \"role_arn\"")
                .attr(
                    "description",
                    q(&format!(
                        "The role {} assumes (it trusts {} with your external ID)",
                        a.vendor.name, a.principal
                    )),
                )
                .attr("value", "aws_iam_role.vendor.arn")
                .render(0),
        );
    }
    for key in &plan.keys {
        let role = &tf_name(plan, key);
        let tags = hcl_tags(&plan.tags_for(key.role));
        let (kind, block) = match key.role {
            KeyRole::Replica => {
                let mut b = Block::new(format!("resource \"aws_kms_replica_key\" \"{role}\""))
                    .attr("provider", tf_provider(plan, key).expect("not primary"))
                    .attr("primary_key_arn", "aws_kms_key.primary.arn")
                    .attr("description", q(&a.description))
                    .attr("enabled", "true")
                    .attr("policy", "local.key_policy")
                    .attr("tags", tags);
                if a.role.is_some() {
                    b = b.attr("depends_on", "[aws_iam_role.vendor]");
                }
                ("aws_kms_replica_key", b)
            }
            _ => {
                let mut b = Block::new(format!("resource \"aws_kms_key\" \"{role}\""));
                if let Some(p) = tf_provider(plan, key) {
                    b = b.attr("provider", p);
                }
                b = b
                    .attr("description", q(&a.description))
                    .attr("key_usage", q("ENCRYPT_DECRYPT"))
                    .attr("customer_master_key_spec", q("SYMMETRIC_DEFAULT"))
                    .attr(
                        "multi_region",
                        (key.role == KeyRole::Primary && a.multi_region()).to_string(),
                    )
                    .attr("enable_key_rotation", a.rotation_days.is_some().to_string());
                if let Some(days) = a.rotation_days {
                    b = b.attr("rotation_period_in_days", days.to_string());
                }
                b = b.attr("policy", "local.key_policy").attr("tags", tags);
                if a.role.is_some() {
                    b = b.attr("depends_on", "[aws_iam_role.vendor]");
                }
                ("aws_kms_key", b)
            }
        };
        out.push('\n');
        if key.role == KeyRole::Replica {
            let _ = writeln!(
                out,
                "# The replica shares the primary's key material and rotation, not its policy, tags or alias."
            );
        }
        out.push_str(&block.nested(lifecycle.clone()).render(0));
        out.push('\n');
        let mut alias = Block::new(format!("resource \"aws_kms_alias\" \"{role}\""));
        if let Some(p) = tf_provider(plan, key) {
            alias = alias.attr("provider", p);
        }
        out.push_str(
            &alias
                .attr("name", q(&key.alias))
                .attr("target_key_id", format!("{kind}.{role}.key_id"))
                .render(0),
        );
        out.push('\n');
        out.push_str(
            &Block::new(format!("output \"{role}_key_arn\""))
                .attr(
                    "description",
                    q(&format!(
                        "The {} key's ARN ({}), for {}",
                        key.role.as_str(),
                        key.region,
                        a.vendor.name
                    )),
                )
                .attr("value", format!("{kind}.{role}.arn"))
                .render(0),
        );
        out.push('\n');
        out.push_str(
            &Block::new(format!("output \"{role}_alias_arn\""))
                .attr(
                    "description",
                    q(&format!("The ARN of {} in {}", key.alias, key.region)),
                )
                .attr("value", format!("aws_kms_alias.{role}.arn"))
                .render(0),
        );
    }
    alerts::terraform(plan, account, &mut out);
    out
}

// ---------------------------------------------------------------------------------------
// CloudFormation

/// Replace the account sentinel in every string with `Fn::Sub` and `${AWS::AccountId}`.
fn cfn_account(v: Value) -> Value {
    match v {
        Value::String(s) if s.contains(ACCOUNT_SENTINEL) => {
            let sub = s
                .split(ACCOUNT_SENTINEL)
                .map(|part| part.replace("${", "${!"))
                .collect::<Vec<_>>()
                .join("${AWS::AccountId}");
            json!({ "Fn::Sub": sub })
        }
        Value::Array(items) => Value::Array(items.into_iter().map(cfn_account).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, cfn_account(v))).collect())
        }
        other => other,
    }
}

fn cfn_tags(tags: &[(String, String)]) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect(),
    )
}

fn cfn_outputs(key: &PlannedKey, resource: &str, vendor: &str) -> Value {
    json!({
        "KeyArn": {
            "Description": format!("The {} key's ARN ({}), for {vendor}", key.role.as_str(), key.region),
            "Value": { "Fn::GetAtt": [resource, "Arn"] }
        },
        "KeyId": {
            "Description": "The key ID",
            "Value": { "Ref": resource }
        },
        "AliasName": {
            "Description": "The key's alias in this Region",
            "Value": { "Ref": "Alias" }
        },
        "AliasArn": {
            "Description": format!("The ARN of {} in {}", key.alias, key.region),
            "Value": { "Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:${Alias}" }
        }
    })
}

/// One template per Region: the primary's (or the single key's) first.
pub fn cloudformation<'p>(plan: &'p Plan, account: Option<&str>) -> Vec<(&'p PlannedKey, Value)> {
    let a = &plan.answers;
    let key_policy = cfn_account(policy_for(plan, account));
    let mut out = Vec::new();
    for key in &plan.keys {
        let tags = cfn_tags(&plan.tags_for(key.role));
        let mut resources = Map::new();
        let mut parameters = Map::new();
        let resource;
        if key.role == KeyRole::Replica {
            resource = "ReplicaKey";
            let primary = plan.key(KeyRole::Primary).expect("primary");
            parameters.insert(
                "PrimaryKeyArn".into(),
                json!({
                    "Type": "String",
                    "Description": format!("The ARN of the Multi-Region primary key in {} (the KeyArn output of its stack)", primary.region),
                    "AllowedPattern": format!("^arn:{}:kms:{}:[0-9]{{12}}:key/mrk-[0-9a-f]+$", a.partition(), primary.region),
                    "ConstraintDescription": format!("a Multi-Region key ARN in {}", primary.region)
                }),
            );
            resources.insert(
                resource.into(),
                json!({
                    "Type": "AWS::KMS::ReplicaKey",
                    "DeletionPolicy": "Retain",
                    "UpdateReplacePolicy": "Retain",
                    "Properties": {
                        "PrimaryKeyArn": { "Ref": "PrimaryKeyArn" },
                        "Description": a.description,
                        "Enabled": true,
                        "KeyPolicy": key_policy,
                        "Tags": tags
                    }
                }),
            );
        } else {
            resource = "Key";
            let mut props = Map::new();
            props.insert("Description".into(), json!(a.description));
            props.insert("KeySpec".into(), json!("SYMMETRIC_DEFAULT"));
            props.insert("KeyUsage".into(), json!("ENCRYPT_DECRYPT"));
            props.insert(
                "MultiRegion".into(),
                json!(key.role == KeyRole::Primary && a.multi_region()),
            );
            props.insert("Enabled".into(), json!(true));
            props.insert("EnableKeyRotation".into(), json!(a.rotation_days.is_some()));
            if let Some(days) = a.rotation_days {
                props.insert("RotationPeriodInDays".into(), json!(days));
            }
            props.insert("KeyPolicy".into(), key_policy.clone());
            props.insert("Tags".into(), tags);
            let mut k = json!({
                "Type": "AWS::KMS::Key",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": props
            });
            if key.role == KeyRole::Primary && a.role.is_some() {
                // The key policy may name the role: it exists first.
                k["DependsOn"] = json!("VendorRole");
            }
            resources.insert(resource.into(), k);
        }
        // The role the vendor assumes is global: made in the primary's stack.
        if let (KeyRole::Primary, Some(r), Some(trust)) = (key.role, &a.role, a.trust_policy()) {
            let spec = a
                .vendor
                .customer_role
                .as_ref()
                .expect("a role has its profile");
            resources.insert(
                "VendorRole".into(),
                json!({
                    "Type": "AWS::IAM::Role",
                    "DeletionPolicy": "Retain",
                    "UpdateReplacePolicy": "Retain",
                    "Properties": {
                        "RoleName": r.name,
                        "Description": spec.description,
                        "AssumeRolePolicyDocument": trust,
                        "Tags": cfn_tags(&crate::role::tags(&a.vendor.id, &a.alias))
                    }
                }),
            );
            if let Some(own) = a.role_policy(&[ACCOUNT_SENTINEL.to_string()]) {
                let mut own = own;
                for st in own["Statement"].as_array_mut().into_iter().flatten() {
                    st["Resource"] = json!([{ "Fn::GetAtt": [resource, "Arn"] }]);
                }
                resources.insert(
                    "VendorRolePolicy".into(),
                    json!({
                        "Type": "AWS::IAM::RolePolicy",
                        "Properties": {
                            "RoleName": { "Ref": "VendorRole" },
                            "PolicyName": spec.policy_name,
                            "PolicyDocument": own
                        }
                    }),
                );
            }
        }
        resources.insert(
            "Alias".into(),
            json!({
                "Type": "AWS::KMS::Alias",
                "Properties": { "AliasName": key.alias, "TargetKeyId": { "Ref": resource } }
            }),
        );
        alerts::cloudformation(plan, key, resource, &mut resources);
        let mut template = Map::new();
        template.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        template.insert(
            "Description".into(),
            json!(format!(
                "byok {}: the {} key {} in {} ({}). Equivalent to `byok create` with the same answers.",
                env!("CARGO_PKG_VERSION"),
                key.role.as_str(),
                key.alias,
                key.region,
                summary(plan)
            )
            .chars()
            .take(1024)
            .collect::<String>()),
        );
        if let Some(acc) = account {
            // Refuse to create the key in another account than the one reviewed.
            template.insert(
                "Rules".into(),
                json!({
                    "ReviewedAccount": {
                        "Assertions": [{
                            "Assert": { "Fn::Equals": [{ "Ref": "AWS::AccountId" }, acc] },
                            "AssertDescription": format!("This template was reviewed for account {acc}")
                        }]
                    }
                }),
            );
        }
        if !parameters.is_empty() {
            template.insert("Parameters".into(), Value::Object(parameters));
        }
        let has_role = resources.contains_key("VendorRole");
        template.insert("Resources".into(), Value::Object(resources));
        let mut outputs = cfn_outputs(key, resource, &a.vendor.name);
        if has_role {
            outputs["RoleArn"] = json!({
                "Description": format!("The role {} assumes (it trusts {} with your external ID)", a.vendor.name, a.principal),
                "Value": { "Fn::GetAtt": ["VendorRole", "Arn"] }
            });
        }
        template.insert("Outputs".into(), outputs);
        out.push((key, Value::Object(template)));
    }
    out
}

// ---------------------------------------------------------------------------------------
// AWS CLI script

fn cli_tags(tags: &[(String, String)]) -> String {
    let v: Vec<Value> = tags
        .iter()
        .map(|(k, v)| json!({ "TagKey": k, "TagValue": v }))
        .collect();
    shell_word(&serde_json::to_string(&v).expect("json"))
}

const SCRIPT_ACCOUNT: &str = "__BYOK_ACCOUNT_ID__";

/// The bash script: correct where the vendors' published scripts are not.
pub fn aws_cli_script(plan: &Plan, account: Option<&str>) -> String {
    let a = &plan.answers;
    let primary = plan.key(KeyRole::Primary).expect("primary");
    // Each other key's shell variables: REPLICA_ARN, or REPLICA_EU_WEST_2_ARN when a setup
    // has several replicas.
    let var = |k: &PlannedKey| plan.key_name(k).to_ascii_uppercase().replace('-', "_");
    // No raw control character in the heredoc either (serde_json leaves C1 and DEL as they
    // are); the `\uNNNN` escapes are the same JSON to KMS.
    let policy_doc = sanitize::json_text(policy::to_document(&policy_for(plan, account)))
        .replace(ACCOUNT_SENTINEL, SCRIPT_ACCOUNT);
    let q = |s: &str| shell_word(s);
    let mut s = String::new();
    let _ = writeln!(s, "#!/usr/bin/env bash");
    // The values below are single-quoted on purpose: a `$` in a description stays a `$`.
    let _ = writeln!(s, "# shellcheck disable=SC2016");
    let _ = writeln!(
        s,
        "# Generated by byok {}: {}.",
        env!("CARGO_PKG_VERSION"),
        sanitize::comment(&summary(plan))
    );
    let _ = writeln!(
        s,
        "# Equivalent to `byok create` with the same answers: the same key policy, aliases, tags and rotation."
    );
    let _ = writeln!(
        s,
        "# Safe to re-run: it reuses what an earlier run made and never creates a second key."
    );
    let _ = writeln!(
        s,
        "# Credentials come from your usual AWS chain (AWS_PROFILE, SSO, environment): none are in this file."
    );
    let _ = writeln!(
        s,
        "# Needs the AWS CLI (v2, or v1.33 or later for rotation periods). ARNs go to stdout, progress to stderr."
    );
    let _ = writeln!(s, "set -euo pipefail");
    let _ = writeln!(s, "shopt -s inherit_errexit 2>/dev/null || true\n");
    let _ = writeln!(s, "VENDOR={}", q(&a.vendor.id));
    let _ = writeln!(s, "DESCRIPTION={}", q(&a.description));
    let _ = writeln!(
        s,
        "ROTATION_DAYS={}",
        a.rotation_days.map(|d| d.to_string()).unwrap_or_default()
    );
    let _ = writeln!(s, "EXPECTED_ACCOUNT={}", account.map(q).unwrap_or_default());
    let _ = writeln!(s, "PRIMARY_REGION={}", q(&primary.region));
    let _ = writeln!(s, "PRIMARY_ALIAS={}", q(&primary.alias));
    let _ = writeln!(
        s,
        "PRIMARY_TAGS={}",
        cli_tags(&plan.tags_for(KeyRole::Primary))
    );
    for k in &plan.keys[1..] {
        let up = var(k);
        let _ = writeln!(s, "{up}_REGION={}", q(&k.region));
        let _ = writeln!(s, "{up}_ALIAS={}", q(&k.alias));
        let _ = writeln!(s, "{up}_TAGS={}", cli_tags(&plan.tags_for(k.role)));
    }
    s.push_str(SCRIPT_FUNCTIONS);
    let _ = writeln!(
        s,
        "\nACCOUNT=$(aws sts get-caller-identity --region \"$PRIMARY_REGION\" --query Account --output text)"
    );
    let _ = writeln!(
        s,
        "if [ -n \"$EXPECTED_ACCOUNT\" ] && [ \"$ACCOUNT\" != \"$EXPECTED_ACCOUNT\" ]; then\n  die \"you are signed in to account $ACCOUNT, but this script was made for $EXPECTED_ACCOUNT: sign in to $EXPECTED_ACCOUNT (--profile / AWS_PROFILE)\"\nfi"
    );
    let _ = writeln!(s, "say \"Signed in to account $ACCOUNT\"\n");
    let _ = writeln!(
        s,
        "# The key policy exactly as byok builds it; {SCRIPT_ACCOUNT} becomes your account ID."
    );
    let _ = writeln!(
        s,
        "POLICY_TEMPLATE=$(cat <<'BYOK_POLICY'\n{policy_doc}\nBYOK_POLICY\n)"
    );
    let _ = writeln!(
        s,
        "POLICY=${{POLICY_TEMPLATE//{SCRIPT_ACCOUNT}/$ACCOUNT}}\n"
    );
    if let (Some(r), Some(trust)) = (&a.role, a.trust_policy()) {
        let spec = a
            .vendor
            .customer_role
            .as_ref()
            .expect("a role has its profile");
        let tags: Vec<Value> = crate::role::tags(&a.vendor.id, &a.alias)
            .into_iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect();
        let _ = writeln!(
            s,
            "# The role {} assumes in your account, made before the keys (the key policy may name it).",
            sanitize::comment(&a.vendor.name)
        );
        let _ = writeln!(s, "ROLE_NAME={}", q(&r.name));
        let _ = writeln!(s, "ROLE_DESCRIPTION={}", q(&spec.description));
        let _ = writeln!(s, "ROLE_TRUSTS={}", q(&a.principal));
        let _ = writeln!(s, "EXTERNAL_ID={}", q(&r.external_id));
        let _ = writeln!(
            s,
            "ROLE_TAGS={}",
            q(&serde_json::to_string(&tags).expect("json"))
        );
        let trust_doc = sanitize::json_text(policy::to_document(&trust));
        let _ = writeln!(s, "TRUST=$(cat <<'BYOK_TRUST'\n{trust_doc}\nBYOK_TRUST\n)");
        s.push_str(SCRIPT_ROLE);
        let _ = writeln!(s, "ensure_role\n");
    }
    let _ = writeln!(
        s,
        "ensure_key \"$PRIMARY_REGION\" \"$PRIMARY_ALIAS\" primary \"$PRIMARY_TAGS\"{}\nPRIMARY_ID=$KEY_ID",
        if a.multi_region() { " multi" } else { "" }
    );
    let _ = writeln!(s, "ensure_rotation \"$PRIMARY_REGION\" \"$PRIMARY_ID\"");
    let _ = writeln!(
        s,
        "PRIMARY_ARN=$(key_field \"$PRIMARY_REGION\" \"$PRIMARY_ID\" Arn)"
    );
    let mut arns = vec![("primary".to_string(), "PRIMARY".to_string())];
    for k in &plan.keys[1..] {
        let up = var(k);
        match (a.regionality, k.role) {
            (Regionality::MultiRegion, KeyRole::Replica) => {
                s.push_str(&SCRIPT_REPLICA.replace("REPLICA_", &format!("{up}_")));
            }
            (Regionality::TwoKeys, KeyRole::Secondary) => {
                let _ = writeln!(
                    s,
                    "\nensure_key \"${up}_REGION\" \"${up}_ALIAS\" secondary \"${up}_TAGS\"\n{up}_ID=$KEY_ID"
                );
                let _ = writeln!(s, "ensure_rotation \"${up}_REGION\" \"${up}_ID\"");
                let _ = writeln!(s, "{up}_ARN=$(key_field \"${up}_REGION\" \"${up}_ID\" Arn)");
            }
            _ => continue,
        }
        arns.push((k.role.as_str().to_string(), up));
    }
    if let Some(own) = a.role_policy(&[SCRIPT_KEY_ARN.to_string()]) {
        let spec = a
            .vendor
            .customer_role
            .as_ref()
            .expect("a role has its profile");
        let doc = sanitize::json_text(policy::to_document(&own));
        let _ = writeln!(
            s,
            "\n# The role's own policy: this key only ({SCRIPT_KEY_ARN} becomes its ARN). Replaces the policy of that name."
        );
        let _ = writeln!(
            s,
            "ROLE_POLICY_TEMPLATE=$(cat <<'BYOK_ROLE_POLICY'\n{doc}\nBYOK_ROLE_POLICY\n)"
        );
        let _ = writeln!(
            s,
            "aws iam put-role-policy --region \"$PRIMARY_REGION\" --role-name \"$ROLE_NAME\" --policy-name {} --policy-document \"${{ROLE_POLICY_TEMPLATE//{SCRIPT_KEY_ARN}/$PRIMARY_ARN}}\"",
            q(&spec.policy_name)
        );
        let _ = writeln!(s, "say \"the role $ROLE_NAME may use $PRIMARY_ARN\"");
    }
    alerts::aws_cli(plan, &arns, &mut s);
    let _ = writeln!(s, "\nsay \"\"");
    // What the script prints is vendor text too: one line, nothing a terminal would run.
    let say = |text: String| format!("say {}", q(&sanitize::line(&text)));
    let _ = writeln!(
        s,
        "{}",
        say(format!("Done. Your key(s) for {}:", a.vendor.name))
    );
    for (role, up) in &arns {
        let _ = writeln!(
            s,
            "say \"  {role:<9} ${up}_REGION  ${up}_ARN  ${up}_ALIAS\""
        );
    }
    let _ = writeln!(s, "say \"\"");
    let _ = writeln!(s, "{}", say(format!("Next: {}", a.vendor.next_step)));
    if a.role.is_some() {
        let _ = writeln!(
            s,
            "say \"  role      $ROLE_ARN  assumed by $ROLE_TRUSTS with your external ID\""
        );
    }
    for (_, up) in &arns {
        let _ = writeln!(s, "printf '%s\\n' \"${up}_ARN\"");
    }
    if a.role.is_some() {
        let _ = writeln!(s, "printf '%s\\n' \"$ROLE_ARN\"");
    }
    s
}

const SCRIPT_KEY_ARN: &str = "__BYOK_KEY_ARN__";

const SCRIPT_ROLE: &str = r#"
# The role: byok's own (its byok tags, and it trusts the vendor's principal with the external
# ID) is reused; any other role of that name stops the script before any change.
ensure_role() {
  local tags trusts
  if tags=$(aws iam list-role-tags --region "$PRIMARY_REGION" --role-name "$ROLE_NAME" \
    --query "Tags[?starts_with(Key, 'byok:')].[Key, Value]" --output text 2>/dev/null); then
    if ! has_line "$tags" "byok:managed-by"$'\t'"byok" || ! has_line "$tags" "byok:vendor"$'\t'"$VENDOR" \
      || ! has_line "$tags" "byok:alias"$'\t'"$PRIMARY_ALIAS"; then
      die "the role $ROLE_NAME already exists and byok did not make it for $VENDOR ($PRIMARY_ALIAS). Nothing was changed: it is never replaced."
    fi
    trusts=$(aws iam get-role --region "$PRIMARY_REGION" --role-name "$ROLE_NAME" \
      --query 'Role.AssumeRolePolicyDocument.Statement[0].[Principal.AWS, Condition.StringEquals."sts:ExternalId"]' --output text)
    if [ "$trusts" != "$ROLE_TRUSTS"$'\t'"$EXTERNAL_ID" ]; then
      die "the role $ROLE_NAME was made by byok, but it does not trust $ROLE_TRUSTS with this external ID. Nothing was changed."
    fi
    say "found the role $ROLE_NAME"
  else
    aws iam create-role --region "$PRIMARY_REGION" --role-name "$ROLE_NAME" --assume-role-policy-document "$TRUST" \
      --description "$ROLE_DESCRIPTION" --tags "$ROLE_TAGS" >/dev/null
    say "created the role $ROLE_NAME"
  fi
  ROLE_ARN=$(aws iam get-role --region "$PRIMARY_REGION" --role-name "$ROLE_NAME" --query Role.Arn --output text)
}
"#;

const SCRIPT_FUNCTIONS: &str = r#"
say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
command -v aws >/dev/null 2>&1 || die "the AWS CLI (aws) is not installed: https://aws.amazon.com/cli/"
ERRORS=$(mktemp)
trap 'rm -f "$ERRORS"' EXIT

# The key ID an alias names in a Region, or nothing.
alias_target() {
  local id
  id=$(aws kms list-aliases --region "$1" --query "Aliases[?AliasName=='$2'].TargetKeyId | [0]" --output text) || return 1
  if [ "$id" != "None" ]; then printf '%s' "$id"; fi
}

# A field of a key's metadata (KeyState, Arn, ...).
key_field() {
  aws kms describe-key --region "$1" --key-id "$2" --query "KeyMetadata.$3" --output text
}

# A key's byok:* tags as "key<TAB>value" lines.
byok_tags() {
  aws kms list-resource-tags --region "$1" --key-id "$2" \
    --query "Tags[?starts_with(TagKey, 'byok:')].[TagKey, TagValue]" --output text
}

has_line() { grep -qxF -- "$2" <<<"$1"; }

# A key an earlier, interrupted run made (tagged by byok for this alias and role) but did not
# name yet: reusing it is what keeps a re-run from leaving an orphan key behind.
find_tagged_key() {
  local ids id tags state
  ids=$(aws kms list-keys --region "$1" --query 'Keys[].KeyId' --output text) || return 1
  for id in $ids; do
    tags=$(byok_tags "$1" "$id" 2>/dev/null) || continue
    if has_line "$tags" "byok:managed-by"$'\t'"byok" && has_line "$tags" "byok:vendor"$'\t'"$VENDOR" \
      && has_line "$tags" "byok:alias"$'\t'"$2" && has_line "$tags" "byok:role"$'\t'"$3"; then
      state=$(key_field "$1" "$id" KeyState) || return 1
      case $state in
        Pending*) ;;
        *) printf '%s' "$id"; return 0 ;;
      esac
    fi
  done
  return 0
}

# Stop unless the key an alias names is one byok made for this vendor and is usable.
check_ours() {
  local tags state
  tags=$(byok_tags "$1" "$2")
  if ! has_line "$tags" "byok:managed-by"$'\t'"byok" || ! has_line "$tags" "byok:vendor"$'\t'"$VENDOR"; then
    die "$3 in $1 already names key $2, which byok did not make for $VENDOR. Nothing was changed: choose another alias."
  fi
  state=$(key_field "$1" "$2" KeyState)
  case $state in
    Pending*) die "$3 in $1 names key $2, which is $state: cancel the deletion (aws kms cancel-key-deletion, then enable-key), or choose another alias." ;;
  esac
}

# The key for an alias: found by its alias, or by its byok tags, or created and then named.
# Sets KEY_ID (never run in $(...): bash would ignore a failure there). Arguments: region
# alias role tags [multi].
ensure_key() {
  local id
  id=$(alias_target "$1" "$2")
  if [ -n "$id" ]; then
    check_ours "$1" "$id" "$2"
    say "found the $3 key $id ($2 in $1)"
    KEY_ID=$id
    return 0
  fi
  id=$(find_tagged_key "$1" "$2" "$3")
  if [ -n "$id" ]; then
    say "found the $3 key $id that an earlier run made in $1"
  else
    local multi=()
    if [ "${5:-}" = multi ]; then multi=(--multi-region); fi
    # KMS answers "invalid principal" for a role IAM has not propagated yet: asked again for
    # at most 2 minutes when this script made one (nothing is created until it succeeds).
    local tries=0
    until id=$(aws kms create-key --region "$1" --description "$DESCRIPTION" \
      --key-usage ENCRYPT_DECRYPT --key-spec SYMMETRIC_DEFAULT "${multi[@]}" \
      --policy "$POLICY" --tags "$4" --query KeyMetadata.KeyId --output text 2>"$ERRORS"); do
      if [ -z "${ROLE_NAME:-}" ] || ! grep -q "invalid principal" "$ERRORS" || [ "$tries" -ge 24 ]; then
        cat "$ERRORS" >&2
        die "could not create the $3 key in $1"
      fi
      tries=$((tries + 1))
      say "waiting for IAM to show the new role to KMS ($tries)"
      sleep 5
    done
    say "created the $3 key $id in $1"
  fi
  aws kms create-alias --region "$1" --alias-name "$2" --target-key-id "$id"
  say "named it $2 in $1"
  KEY_ID=$id
}

# Automatic rotation with the chosen period (nothing to do when rotation is off).
ensure_rotation() {
  [ -n "$ROTATION_DAYS" ] || return 0
  local now
  now=$(aws kms get-key-rotation-status --region "$1" --key-id "$2" \
    --query '[KeyRotationEnabled, RotationPeriodInDays]' --output text)
  case $now in
    "True"$'\t'"$ROTATION_DAYS" | "True"$'\t'"None") say "rotation is on every $ROTATION_DAYS days ($1)" ;;
    *)
      aws kms enable-key-rotation --region "$1" --key-id "$2" --rotation-period-in-days "$ROTATION_DAYS"
      say "turned on automatic rotation every $ROTATION_DAYS days ($1)"
      ;;
  esac
}

# Poll until a key is Enabled: a new replica is Creating for a few seconds.
wait_enabled() {
  local delay=1 waited=0 state
  while :; do
    state=$(key_field "$1" "$2" KeyState 2>/dev/null) || state="not visible yet"
    case $state in
      Enabled) return 0 ;;
      Pending*) die "the key $2 in $1 is $state: cancel the deletion (aws kms cancel-key-deletion, then enable-key)" ;;
    esac
    if [ "$waited" -ge 300 ]; then
      die "the key $2 in $1 is still $state after $waited s: run this script again later; it waits again and creates nothing twice"
    fi
    say "  the key in $1 is $state; checking again in $delay s"
    sleep "$delay"
    waited=$((waited + delay))
    delay=$((delay * 2 > 10 ? 10 : delay * 2))
  done
}
"#;

const SCRIPT_REPLICA: &str = r#"
# The replica: the same key ID in the second Region, with the same policy, description and tags.
REPLICA_ARN=$(aws kms describe-key --region "$PRIMARY_REGION" --key-id "$PRIMARY_ID" \
  --query "KeyMetadata.MultiRegionConfiguration.ReplicaKeys[?Region=='$REPLICA_REGION'].Arn | [0]" --output text)
if [ "$REPLICA_ARN" = "None" ] || [ -z "$REPLICA_ARN" ]; then
  REPLICA_ARN=$(aws kms replicate-key --region "$PRIMARY_REGION" --key-id "$PRIMARY_ID" \
    --replica-region "$REPLICA_REGION" --description "$DESCRIPTION" --policy "$POLICY" \
    --tags "$REPLICA_TAGS" --query ReplicaKeyMetadata.Arn --output text)
  say "created the replica $REPLICA_ARN"
else
  say "found the replica $REPLICA_ARN"
fi
wait_enabled "$REPLICA_REGION" "$PRIMARY_ID"
# Tags are not always copied to a replica: set them (setting a tag again changes nothing).
aws kms tag-resource --region "$REPLICA_REGION" --key-id "$PRIMARY_ID" --tags "$REPLICA_TAGS"
# Aliases are regional: the replica needs its own.
REPLICA_ALIAS_TARGET=$(alias_target "$REPLICA_REGION" "$REPLICA_ALIAS")
if [ -z "$REPLICA_ALIAS_TARGET" ]; then
  aws kms create-alias --region "$REPLICA_REGION" --alias-name "$REPLICA_ALIAS" --target-key-id "$PRIMARY_ID"
  say "named it $REPLICA_ALIAS in $REPLICA_REGION"
elif [ "$REPLICA_ALIAS_TARGET" != "$PRIMARY_ID" ]; then
  die "$REPLICA_ALIAS in $REPLICA_REGION already names key $REPLICA_ALIAS_TARGET: choose another alias"
fi
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::RawAnswers;
    use crate::vendor::Catalog;

    const ROLE: &str = "arn:aws:iam::210987654321:role/camunda-tenant";

    fn plan(regionality: &str) -> Plan {
        let r = RawAnswers {
            vendor: Some("camunda".into()),
            principal: Some(ROLE.into()),
            regionality: Some(regionality.into()),
            tags: vec!["team=pay ments".into()],
            ..Default::default()
        };
        Plan::build(&r.validate(&Catalog::built_in()).unwrap())
    }

    #[test]
    fn formats_parse() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        assert!("hcl".parse::<Format>().is_err());
    }

    #[test]
    fn hcl_strings_escape_templates() {
        assert_eq!(hcl_string("a\"b\\c", ""), r#""a\"b\\c""#);
        assert_eq!(hcl_string("${x} %{y}", ""), r#""$${x} %%{y}""#);
        assert_eq!(
            hcl_string(&format!("arn:aws:iam::{ACCOUNT_SENTINEL}:root"), "${a.b}"),
            r#""arn:aws:iam::${a.b}:root""#
        );
        // A `$` right before the account must not turn the interpolation into a literal.
        assert_eq!(
            hcl_string(&format!("x${ACCOUNT_SENTINEL}"), "${a}"),
            r#""x${"$"}${a}""#
        );
    }

    #[test]
    fn cloudformation_substitutes_the_account() {
        let v = cfn_account(
            json!({ "AWS": format!("arn:aws:iam::{ACCOUNT_SENTINEL}:root"), "x": "${lit}" }),
        );
        assert_eq!(
            v,
            json!({ "AWS": { "Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root" }, "x": "${lit}" })
        );
    }

    #[test]
    fn file_names() {
        let p = plan("multi-region");
        let files = render(&p, Format::CloudFormation, None);
        let names: Vec<_> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "camunda-saas-byok.eu-west-1.template.json",
                "camunda-saas-byok.eu-west-2.template.json"
            ]
        );
        assert_eq!(render(&p, Format::Terraform, None).len(), 1);
        assert!(render(&p, Format::AwsCli, None)[0].executable);
        assert_eq!(
            with_region(Path::new("/x/keys.json"), "eu-west-2"),
            PathBuf::from("/x/keys.eu-west-2.json")
        );
        assert_eq!(
            stack_name(&p, p.key(KeyRole::Replica).unwrap()),
            "camunda-saas-byok-replica"
        );
    }

    #[test]
    fn write_new_files_never_replaces_a_file() {
        let dir = std::env::temp_dir().join(format!("byok-export-new-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let files = render(&plan("multi-region"), Format::CloudFormation, None);
        let target = dir.join("keys.json");
        let paths = target_paths(&files, &target);
        assert_eq!(
            paths,
            [dir.join("keys.json"), dir.join("keys.eu-west-2.json")]
        );
        assert!(existing_targets(&files, &target).is_empty());
        // The second file exists: refused, and the first is not written either.
        std::fs::write(&paths[1], "mine").unwrap();
        assert_eq!(existing_targets(&files, &target), [paths[1].clone()]);
        let e = write_new_files(&files, &target).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert!(e.to_string().contains("keys.eu-west-2.json"), "{e}");
        assert!(!paths[0].exists());
        assert_eq!(std::fs::read_to_string(&paths[1]).unwrap(), "mine");
        // Into a directory, by the suggested names; then again: refused.
        let sub = dir.join("out/");
        let written = write_new_files(&files, &sub).unwrap();
        assert_eq!(written, target_paths(&files, &sub));
        assert_eq!(existing_targets(&files, &sub), written);
        assert!(write_new_files(&files, &sub).is_err());
        // write_files replaces.
        assert_eq!(write_files(&files, &target).unwrap(), paths);
        assert_ne!(std::fs::read_to_string(&paths[1]).unwrap(), "mine");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn script_has_no_secret_and_no_placeholder_left_for_a_pinned_account() {
        let p = plan("two-keys");
        let s = aws_cli_script(&p, Some("123456789012"));
        assert!(s.contains("set -euo pipefail"));
        assert!(!s.contains(ACCOUNT_SENTINEL));
        assert!(!s.to_ascii_uppercase().contains("SECRET"), "{s}");
        assert!(s.contains("arn:aws:iam::123456789012:root"));
        assert!(s.contains("SECONDARY_ALIAS=alias/camunda-saas-byok-replica"));
        assert!(
            s.contains("'[{\"TagKey\":\"team\",\"TagValue\":\"pay ments\"}"),
            "{s}"
        );
    }

    #[test]
    fn terraform_pins_the_account_when_given() {
        let p = plan("single");
        let t = terraform(&p, Some("123456789012"));
        assert!(
            t.contains("allowed_account_ids = [\"123456789012\"]"),
            "{t}"
        );
        assert!(!t.contains("aws_caller_identity"));
        let t = terraform(&p, None);
        assert!(t.contains("${data.aws_caller_identity.current.account_id}"));
        assert!(!t.contains(ACCOUNT_SENTINEL));
    }
}
