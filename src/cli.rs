//! Command-line definitions. Every wizard answer also exists as a flag.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

use byok::answers::RawAnswers;

#[derive(Debug, Parser)]
#[command(
    name = "byok",
    version = crate::version::LONG,
    about = "Set up a customer-managed AWS KMS key for a SaaS vendor's Bring Your Own Key feature",
    long_about = "Set up a customer-managed AWS KMS key for a SaaS vendor's Bring Your Own Key feature.\n\nWith no command, byok starts the wizard. `byok --demo` runs it on a built-in simulated KMS: no AWS account needed, nothing created.",
    after_help = "Credentials come from the standard AWS chain (environment, profiles, SSO); byok never asks for keys."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub global: GlobalArgs,

    /// Answers that pre-fill the wizard.
    #[command(flatten)]
    pub answers: AnswerArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Use the built-in simulated KMS: no AWS account needed, nothing is created.
    #[arg(long, global = true)]
    pub demo: bool,
    /// The AWS profile to use (as in the AWS CLI; AWS_PROFILE works too).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send AWS requests to this endpoint (AWS_ENDPOINT_URL works too).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Load another vendor profile (JSON); repeatable.
    #[arg(long = "vendor-file", global = true, value_name = "PATH")]
    pub vendor_files: Vec<PathBuf>,
    /// No colours (NO_COLOR works too).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Print only results (ARNs, documents) and errors: no progress, no summaries.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the key(s): shows the plan and asks first, unless --yes.
    Create(CreateArgs),
    /// Print the plan (every step and the API calls behind it), or export it: --format terraform, cloudformation, aws-cli.
    Plan(PlanArgs),
    /// Print the exact key policy as JSON.
    Policy(PolicyArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Install for bash: byok completions bash > ~/.local/share/bash-completion/completions/byok\nzsh: byok completions zsh > \"${fpath[1]}/_byok\"\nfish: byok completions fish > ~/.config/fish/completions/byok.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command with --out-dir.
    #[command(after_help = "Read it now: byok man | man -l -")]
    Man {
        /// Write byok.1 and byok-<command>.1 into this directory.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Show every BYOK key's health and what it means for the vendor; act on a key.
    Status(StatusArgs),
}

impl Command {
    /// The command's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Create(_) => "create",
            Command::Plan(_) => "plan",
            Command::Policy(_) => "policy",
            Command::Completions { .. } => "completions",
            Command::Man { .. } => "man",
            Command::Status(_) => "status",
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Output {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub answers: AnswerArgs,
    /// Create without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// text: ARNs on stdout, progress on stderr. json: one JSON document on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
    /// Write a Markdown change record here (appended if the file exists): who, when, every API call and its result, the policy, the ARNs.
    #[arg(long, value_name = "PATH")]
    pub record: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub answers: AnswerArgs,
    /// text: the steps and API calls. terraform, cloudformation, aws-cli: the same setup for that tool.
    #[arg(long, value_enum, default_value_t)]
    pub format: PlanFormat,
    /// text: the plan or the export as is. json: one JSON document (see schemas/).
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
    /// Write this account ID into the export (else it is looked up when applied).
    #[arg(long, value_name = "ACCOUNT_ID")]
    pub account: Option<String>,
    /// Write the export here instead of stdout: a directory (suggested names) or a file name.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

/// What `byok plan` prints.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum PlanFormat {
    #[default]
    Text,
    Terraform,
    #[value(name = "cloudformation")]
    CloudFormation,
    AwsCli,
}

impl From<PlanFormat> for byok::export::Format {
    fn from(f: PlanFormat) -> Self {
        use byok::export::Format;
        match f {
            PlanFormat::Text => Format::Text,
            PlanFormat::Terraform => Format::Terraform,
            PlanFormat::CloudFormation => Format::CloudFormation,
            PlanFormat::AwsCli => Format::AwsCli,
        }
    }
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub answers: AnswerArgs,
    /// Your AWS account ID, for the account-root statement. Without it byok asks STS.
    #[arg(long, value_name = "ACCOUNT_ID")]
    pub account: Option<String>,
    /// text: the policy document. json: the policy with its account and vendor.
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
}

/// The answers, one flag each.
#[derive(Debug, Args, Clone, Default)]
pub struct AnswerArgs {
    /// camunda, gearset, other, or the id of a --vendor-file profile.
    #[arg(long, value_name = "VENDOR")]
    pub vendor: Option<String>,
    /// The primary AWS Region (must be one the vendor supports).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The vendor principal: Camunda's tenant IAM role ARN, or another vendor's account ID or ARN.
    #[arg(long, value_name = "ARN|ACCOUNT")]
    pub principal: Option<String>,
    /// single, multi-region (primary + replica), or two-keys (two independent keys).
    #[arg(long, value_name = "single|multi-region|two-keys")]
    pub regionality: Option<String>,
    /// The second Region (defaults from the vendor profile).
    #[arg(long, value_name = "REGION")]
    pub replica_region: Option<String>,
    /// The alias; alias/ is added if missing.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// The key description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// A tag, KEY=VALUE; repeatable.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// A key administrator (IAM user or role ARN); repeatable.
    #[arg(long = "admin", value_name = "ARN")]
    pub admins: Vec<String>,
    /// Let the administrators schedule and cancel the key's deletion.
    #[arg(long)]
    pub admins_can_delete: bool,
    /// Automatic rotation period, 90 to 2560 days (default 365).
    #[arg(long, value_name = "DAYS")]
    pub rotation_days: Option<String>,
    /// Do not turn on automatic rotation.
    #[arg(long)]
    pub no_rotation: bool,
    /// Mail this address when the key is disabled, scheduled for deletion, re-policied or unaliased (EventBridge + SNS).
    #[arg(long, value_name = "ADDRESS")]
    pub alerts_email: Option<String>,
}

impl AnswerArgs {
    /// The answer flags given, by name.
    pub fn given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut flag = |set: bool, name: &'static str| {
            if set {
                v.push(name);
            }
        };
        flag(self.vendor.is_some(), "--vendor");
        flag(self.region.is_some(), "--region");
        flag(self.principal.is_some(), "--principal");
        flag(self.regionality.is_some(), "--regionality");
        flag(self.replica_region.is_some(), "--replica-region");
        flag(self.alias.is_some(), "--alias");
        flag(self.description.is_some(), "--description");
        flag(!self.tags.is_empty(), "--tag");
        flag(!self.admins.is_empty(), "--admin");
        flag(self.admins_can_delete, "--admins-can-delete");
        flag(self.rotation_days.is_some(), "--rotation-days");
        flag(self.no_rotation, "--no-rotation");
        flag(self.alerts_email.is_some(), "--alerts-email");
        v
    }

    /// Take the answers given before the command (`byok --vendor x create`) where the
    /// command's own are missing. The same flag given in both places with two different
    /// values is refused, naming it.
    pub fn merge_outer(&mut self, outer: &AnswerArgs) -> Result<(), String> {
        fn one<T: Clone + PartialEq>(
            inner: &mut Option<T>,
            outer: &Option<T>,
            name: &str,
        ) -> Result<(), String> {
            match (inner.as_ref(), outer) {
                (Some(a), Some(b)) if a != b => Err(format!(
                    "{name} is given twice, before and after the command, with two values: give it once"
                )),
                (None, Some(b)) => {
                    *inner = Some(b.clone());
                    Ok(())
                }
                _ => Ok(()),
            }
        }
        fn many(inner: &mut Vec<String>, outer: &[String], name: &str) -> Result<(), String> {
            if inner.is_empty() {
                *inner = outer.to_vec();
            } else if !outer.is_empty() && inner.as_slice() != outer {
                return Err(format!(
                    "{name} is given before and after the command: give them in one place"
                ));
            }
            Ok(())
        }
        one(&mut self.vendor, &outer.vendor, "--vendor")?;
        one(&mut self.region, &outer.region, "--region")?;
        one(&mut self.principal, &outer.principal, "--principal")?;
        one(&mut self.regionality, &outer.regionality, "--regionality")?;
        one(
            &mut self.replica_region,
            &outer.replica_region,
            "--replica-region",
        )?;
        one(&mut self.alias, &outer.alias, "--alias")?;
        one(&mut self.description, &outer.description, "--description")?;
        one(
            &mut self.rotation_days,
            &outer.rotation_days,
            "--rotation-days",
        )?;
        one(
            &mut self.alerts_email,
            &outer.alerts_email,
            "--alerts-email",
        )?;
        many(&mut self.tags, &outer.tags, "--tag")?;
        many(&mut self.admins, &outer.admins, "--admin")?;
        self.admins_can_delete |= outer.admins_can_delete;
        self.no_rotation |= outer.no_rotation;
        Ok(())
    }

    pub fn to_raw(&self) -> RawAnswers {
        RawAnswers {
            vendor: self.vendor.clone(),
            region: self.region.clone(),
            principal: self.principal.clone(),
            regionality: self.regionality.clone(),
            replica_region: self.replica_region.clone(),
            alias: self.alias.clone(),
            description: self.description.clone(),
            tags: self.tags.clone(),
            admins: self.admins.clone(),
            admins_can_delete: self.admins_can_delete,
            rotation_days: self.rotation_days.clone(),
            no_rotation: self.no_rotation,
            alerts_email: self.alerts_email.clone(),
        }
    }
}

/// `byok status`: what to look at, how to show it, and at most one action.
#[derive(Debug, Args, Default)]
#[command(
    after_help = "Exit status: 0 when every key is OK, 1 when one needs attention, 5 when one is broken (2: invalid input, 3: AWS refused an action)."
)]
pub struct StatusArgs {
    /// A key to show (key ARN, alias ARN, alias/NAME or key ID), byok-made or not; repeatable.
    #[arg(long = "key", value_name = "ARN|ALIAS")]
    pub keys: Vec<String>,
    /// Only these Regions; repeatable (default: every Region of every vendor profile).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Scan every commercial Region too (for keys of the "other" vendor made elsewhere).
    #[arg(long)]
    pub all_regions: bool,
    /// The vendor profile for --key keys that byok did not tag.
    #[arg(long, value_name = "VENDOR")]
    pub vendor: Option<String>,
    /// The vendor principal, when the key policy no longer names it (repair, restore).
    #[arg(long, value_name = "ARN|ACCOUNT")]
    pub principal: Option<String>,
    /// tui on a terminal, json otherwise; text is a plain report.
    #[arg(long, value_enum)]
    pub output: Option<StatusOutput>,
    /// Read many accounts: `org` (every active account of the organisation) or IDs separated by commas.
    #[arg(long, value_name = "org|ID,ID")]
    pub accounts: Option<String>,
    /// With --accounts: the role assumed in each account other than yours.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "OrganizationAccountAccessRole"
    )]
    pub role_name: String,
    /// With --accounts: the external ID the role's trust policy asks for.
    #[arg(long, value_name = "ID")]
    pub role_external_id: Option<String>,

    /// Enable the key(s) named with --key.
    #[arg(long, group = "action")]
    pub enable: bool,
    /// Disable the key(s): the vendor's service stops using them.
    #[arg(long, group = "action")]
    pub disable: bool,
    /// Turn on automatic rotation with this period (90 to 2560 days), or change the period.
    #[arg(long, group = "action", value_name = "DAYS")]
    pub rotation_days: Option<u32>,
    /// Turn off automatic rotation.
    #[arg(long, group = "action")]
    pub disable_rotation: bool,
    /// Rotate the key material now (RotateKeyOnDemand).
    #[arg(long, group = "action")]
    pub rotate_now: bool,
    /// Schedule deletion after this many days (7 to 30); needs --confirm-alias.
    #[arg(long, group = "action", value_name = "DAYS")]
    pub schedule_deletion: Option<u32>,
    /// The key's alias, typed again to confirm a deletion.
    #[arg(long, value_name = "ALIAS")]
    pub confirm_alias: Option<String>,
    /// Cancel a scheduled deletion and enable the key again.
    #[arg(long, group = "action")]
    pub cancel_deletion: bool,
    /// Restore the vendor statements the profile requires (shows the policy diff first).
    #[arg(long, group = "action")]
    pub repair_policy: bool,
    /// Remove the vendor's access from the key policy (restore it with --restore-access).
    #[arg(long, group = "action")]
    pub revoke_access: bool,
    /// Give the vendor its access back.
    #[arg(long, group = "action")]
    pub restore_access: bool,
    /// Mail this address when someone disables, schedules for deletion, re-policies or unaliases the key(s) (EventBridge + SNS).
    #[arg(long, group = "action", value_name = "ADDRESS")]
    pub alerts_email: Option<String>,
    /// Act without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// With an action: write a Markdown change record here (appended if the file exists).
    #[arg(long, value_name = "PATH")]
    pub record: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum StatusOutput {
    Tui,
    Text,
    Json,
}
