//! Command-line definitions. Every wizard answer also exists as a flag.

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use std::path::PathBuf;

use byok::answers::RawAnswers;
use byok::status;

#[derive(Debug, Parser)]
#[command(
    name = "byok",
    version = crate::version::LONG,
    about = "Set up a customer-managed AWS KMS key for a SaaS vendor's Bring Your Own Key feature",
    long_about = "Set up a customer-managed AWS KMS key for a SaaS vendor's Bring Your Own Key feature.\n\nWith no command, byok starts the wizard. `byok --demo` runs it on a built-in simulated KMS: no AWS account needed, nothing created.",
    after_help = footer(""),
    after_long_help = footer("")
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
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Use the built-in simulated KMS: no AWS account needed, nothing is created.
    #[arg(long, global = true, display_order = 200)]
    pub demo: bool,
    /// The AWS profile to use (as in the AWS CLI; AWS_PROFILE works too).
    #[arg(long, global = true, value_name = "NAME", display_order = 201, value_hint = ValueHint::Other)]
    pub profile: Option<String>,
    /// Send AWS requests to this endpoint (AWS_ENDPOINT_URL works too).
    #[arg(long, global = true, value_name = "URL", display_order = 202, value_hint = ValueHint::Url)]
    pub endpoint_url: Option<String>,
    /// Load another vendor profile (JSON); repeatable.
    #[arg(
        long = "vendor-file",
        global = true,
        value_name = "PATH",
        display_order = 203
    )]
    pub vendor_files: Vec<PathBuf>,
    /// No colours (NO_COLOR works too).
    #[arg(long, global = true, display_order = 204)]
    pub no_color: bool,
    /// Print only results (ARNs, documents) and errors: no progress, no summaries.
    #[arg(long, short = 'q', global = true, display_order = 205)]
    pub quiet: bool,
    /// Log every AWS API call: operation, Region, HTTP status, duration, request ID (never
    /// credentials). On stderr; the wizard and the status screen write it to debug.log in the
    /// state directory instead.
    #[arg(long, short = 'v', global = true, display_order = 206)]
    pub debug: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the key(s): shows the plan and asks first, unless --yes.
    #[command(after_help = footer("create"), after_long_help = footer("create"))]
    Create(CreateArgs),
    /// Print the plan (every step and the API calls behind it), or export it: --format terraform, cloudformation, aws-cli.
    #[command(after_help = footer("plan"), after_long_help = footer("plan"))]
    Plan(PlanArgs),
    /// Print the exact key policy as JSON.
    #[command(after_help = footer("policy"), after_long_help = footer("policy"))]
    Policy(PolicyArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = footer("completions"), after_long_help = footer("completions"))]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command with --out-dir.
    #[command(after_help = footer("man"), after_long_help = footer("man"))]
    Man {
        /// Write byok.1 and byok-<command>.1 into this directory.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::Other)]
        out_dir: Option<PathBuf>,
    },
    /// Show every BYOK key's health and what it means for the vendor; act on a key.
    #[command(after_help = footer("status"), after_long_help = footer("status"))]
    Status(StatusArgs),
    /// List the vendor profiles (id, name, version, sources, date checked), or show one.
    #[command(after_help = footer("vendors"), after_long_help = footer("vendors"))]
    Vendors(VendorsArgs),
    /// Give the vendor's principal(s) access to an existing key: for a vendor that names its
    /// principal only once the key is registered with it, or one more of its roles.
    #[command(after_help = footer("grant"), after_long_help = footer("grant"))]
    Grant(GrantArgs),
}

/// `byok grant --key KEY --principal ARN [--principal ARN]`.
#[derive(Debug, Args)]
pub struct GrantArgs {
    /// The key (key ARN, alias ARN, alias/NAME or key ID); its Multi-Region set follows.
    #[arg(long, value_name = "ARN|ALIAS", value_hint = ValueHint::Other)]
    pub key: String,
    /// A vendor principal to grant (as the vendor gave it); repeatable.
    #[arg(long = "principal", value_name = "ARN|ACCOUNT", required_unless_present = "statement", value_hint = ValueHint::Other)]
    pub principals: Vec<String>,
    /// The key policy statement the vendor returned once the key ARN was registered with it
    /// (Snowflake's SYSTEM$GET_CMK_CONFIG), from a file or - for stdin: checked like the
    /// profile's statement, and its principal granted.
    #[arg(long, value_name = "FILE|-", value_hint = ValueHint::FilePath)]
    pub statement: Option<std::path::PathBuf>,
    /// The vendor profile, for a key byok did not tag.
    #[arg(long, value_name = "VENDOR", value_parser = vendors(), value_hint = ValueHint::Other, hide_possible_values = true)]
    pub vendor: Option<String>,
    /// The Region to look the key up in (default: the key ARN's, else every vendor Region).
    #[arg(long = "region", value_name = "REGION", value_parser = regions(), value_hint = ValueHint::Other, hide_possible_values = true)]
    pub regions: Vec<String>,
    /// text (default) or json: the plan and the results.
    #[arg(long, value_enum, default_value = "text")]
    pub output: GrantOutput,
    /// Act without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GrantOutput {
    Text,
    Json,
}

/// `byok vendors [show ID]`.
#[derive(Debug, Args)]
pub struct VendorsArgs {
    #[command(subcommand)]
    pub show: Option<VendorsCommand>,
    /// text: a readable list. json: one JSON document.
    #[arg(long, value_enum, default_value_t, global = true)]
    pub output: Output,
}

#[derive(Debug, Subcommand)]
pub enum VendorsCommand {
    /// What one vendor asks for (principal, Regions, regionality) and what it is granted.
    #[command(after_help = footer("vendors"), after_long_help = footer("vendors"))]
    Show {
        /// The vendor's id (see `byok vendors`).
        #[arg(value_name = "ID", value_parser = vendors(), hide_possible_values = true)]
        id: String,
    },
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
            Command::Vendors(_) => "vendors",
            Command::Grant(_) => "grant",
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
    /// Create without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// text: ARNs on stdout, progress on stderr. json: one JSON document on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
    /// Write a Markdown change record here (appended if the file exists): who, when, every API call and its result, the policy, the ARNs.
    #[arg(long, value_name = "PATH")]
    pub record: Option<PathBuf>,
    /// The answers (flattened last: their help heading follows them).
    #[command(flatten)]
    pub answers: AnswerArgs,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// text: the steps and API calls. terraform, cloudformation, aws-cli: the same setup for that tool.
    #[arg(long, value_enum, default_value_t)]
    pub format: PlanFormat,
    /// text: the plan or the export as is. json: one JSON document (see schemas/).
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
    /// Write this account ID into the export (else it is looked up when applied).
    #[arg(long, value_name = "ACCOUNT_ID", value_hint = ValueHint::Other)]
    pub account: Option<String>,
    /// Write the export here instead of stdout: a directory (suggested names) or a file name.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// The answers (flattened last: their help heading follows them).
    #[command(flatten)]
    pub answers: AnswerArgs,
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
    /// Your AWS account ID, for the account-root statement. Without it byok asks STS.
    #[arg(long, value_name = "ACCOUNT_ID", value_hint = ValueHint::Other)]
    pub account: Option<String>,
    /// text: the policy document. json: the policy with its account and vendor.
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
    /// The answers (flattened last: their help heading follows them).
    #[command(flatten)]
    pub answers: AnswerArgs,
}

/// The answers, one flag each.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Answers")]
pub struct AnswerArgs {
    /// The vendor profile id, such as camunda or gearset: `byok vendors` lists them, with the id of any --vendor-file profile.
    #[arg(long, value_name = "VENDOR", value_parser = vendors(), value_hint = ValueHint::Other, hide_possible_values = true, display_order = 100)]
    pub vendor: Option<String>,
    /// The primary AWS Region (must be one the vendor supports).
    #[arg(long, value_name = "REGION", value_parser = regions(), value_hint = ValueHint::Other, hide_possible_values = true, display_order = 101)]
    pub region: Option<String>,
    /// The vendor principal: Camunda's tenant IAM role ARN, or another vendor's account ID or ARN.
    #[arg(long, value_name = "ARN|ACCOUNT", display_order = 102, value_hint = ValueHint::Other)]
    pub principal: Option<String>,
    /// single, multi-region (primary + replicas), or two-keys (one independent key per Region; per-region is the same).
    #[arg(long, value_name = "single|multi-region|two-keys", value_parser = regionalities(), value_hint = ValueHint::Other, hide_possible_values = true, display_order = 103)]
    pub regionality: Option<String>,
    /// A Region besides the primary's (defaults from the vendor profile); repeatable, as the vendor allows.
    #[arg(long, value_name = "REGION", value_parser = regions(), value_hint = ValueHint::Other, hide_possible_values = true, display_order = 104)]
    pub replica_region: Vec<String>,
    /// The alias; alias/ is added if missing.
    #[arg(long, value_name = "NAME", display_order = 105, value_hint = ValueHint::Other)]
    pub alias: Option<String>,
    /// The key description.
    #[arg(long, value_name = "TEXT", display_order = 106, value_hint = ValueHint::Other)]
    pub description: Option<String>,
    /// A tag, KEY=VALUE; repeatable.
    #[arg(long = "tag", value_name = "KEY=VALUE", display_order = 107, value_hint = ValueHint::Other)]
    pub tags: Vec<String>,
    /// A key administrator (IAM user or role ARN); repeatable.
    #[arg(long = "admin", value_name = "ARN", display_order = 108, value_hint = ValueHint::Other)]
    pub admins: Vec<String>,
    /// Let the administrators schedule and cancel the key's deletion.
    #[arg(long, display_order = 109)]
    pub admins_can_delete: bool,
    /// Automatic rotation period, 90 to 2560 days (default 365).
    #[arg(long, value_name = "DAYS", display_order = 110, value_hint = ValueHint::Other)]
    pub rotation_days: Option<String>,
    /// Do not turn on automatic rotation.
    #[arg(long, display_order = 111)]
    pub no_rotation: bool,
    /// Mail this address when the key is disabled, scheduled for deletion, re-policied or unaliased (EventBridge + SNS).
    #[arg(long, value_name = "ADDRESS")]
    pub alerts_email: Option<String>,
    /// The external ID the vendor gave, for the role byok makes in your account for it to assume (MongoDB Atlas, CockroachDB); --principal is then the vendor's principal that assumes it.
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other)]
    pub external_id: Option<String>,
    /// A value the vendor asks for inside its condition, NAME=VALUE (such as databricks-account-id=...); repeatable. `byok vendors show ID` lists them.
    #[arg(long = "set", value_name = "NAME=VALUE", value_hint = ValueHint::Other)]
    pub values: Vec<String>,
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
        flag(!self.replica_region.is_empty(), "--replica-region");
        flag(self.alias.is_some(), "--alias");
        flag(self.description.is_some(), "--description");
        flag(!self.tags.is_empty(), "--tag");
        flag(!self.admins.is_empty(), "--admin");
        flag(self.admins_can_delete, "--admins-can-delete");
        flag(self.rotation_days.is_some(), "--rotation-days");
        flag(self.no_rotation, "--no-rotation");
        flag(self.alerts_email.is_some(), "--alerts-email");
        flag(self.external_id.is_some(), "--external-id");
        flag(!self.values.is_empty(), "--set");
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
        many(
            &mut self.replica_region,
            &outer.replica_region,
            "--replica-region",
        )?;
        one(&mut self.external_id, &outer.external_id, "--external-id")?;
        many(&mut self.tags, &outer.tags, "--tag")?;
        many(&mut self.admins, &outer.admins, "--admin")?;
        many(&mut self.values, &outer.values, "--set")?;
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
            replica_regions: self.replica_region.clone(),
            alias: self.alias.clone(),
            description: self.description.clone(),
            tags: self.tags.clone(),
            admins: self.admins.clone(),
            admins_can_delete: self.admins_can_delete,
            rotation_days: self.rotation_days.clone(),
            no_rotation: self.no_rotation,
            alerts_email: self.alerts_email.clone(),
            external_id: self.external_id.clone(),
            values: self.values.clone(),
            preview_values: false,
        }
    }
}

/// `byok status`: what to look at, how to show it, and at most one action.
#[derive(Debug, Args, Default)]
pub struct StatusArgs {
    /// A key to show (key ARN, alias ARN, alias/NAME or key ID), byok-made or not; repeatable.
    #[arg(long = "key", value_name = "ARN|ALIAS", value_hint = ValueHint::Other)]
    pub keys: Vec<String>,
    /// Only these Regions; repeatable (default: every Region of every vendor profile).
    #[arg(long = "region", value_name = "REGION", value_parser = regions(), value_hint = ValueHint::Other, hide_possible_values = true)]
    pub regions: Vec<String>,
    /// Scan every commercial Region too (for keys of the "other" vendor made elsewhere).
    #[arg(long)]
    pub all_regions: bool,
    /// The vendor profile for --key keys that byok did not tag.
    #[arg(long, value_name = "VENDOR", value_parser = vendors(), value_hint = ValueHint::Other, hide_possible_values = true)]
    pub vendor: Option<String>,
    /// The vendor principal, when the key policy no longer names it (repair, restore).
    #[arg(long, value_name = "ARN|ACCOUNT", value_hint = ValueHint::Other)]
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

    /// The action, from the flags [`status::ACTIONS`] lists (one at most).
    #[command(flatten)]
    pub action: ActionFlags,
    /// The key's alias, typed again to confirm a deletion.
    #[arg(long, value_name = "ALIAS", help_heading = "Actions", value_hint = ValueHint::Other)]
    pub confirm_alias: Option<String>,
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

impl StatusArgs {
    /// Whether `byok status` will draw its screen (on stderr): no action flag, and
    /// `--output tui` or a terminal on both ends, as `cmd::status::run` decides.
    pub fn draws_screen(&self) -> bool {
        use std::io::IsTerminal;
        self.action.0.is_none()
            && match self.output {
                Some(o) => o == StatusOutput::Tui,
                None => std::io::stdout().is_terminal() && std::io::stdin().is_terminal(),
            }
    }
}

/// `byok status`'s action flags, made from [`status::ACTIONS`] (the list the status screen's
/// menu reads too): each a flag of the "action" group, so at most one is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFlags(pub Option<status::Action>);

impl clap::FromArgMatches for ActionFlags {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        for spec in status::ACTIONS {
            let chosen = match spec.days {
                Some(_) => m.get_one::<u32>(spec.flag).map(|d| spec.action(*d)),
                None => m.get_flag(spec.flag).then(|| spec.action(0)),
            };
            if chosen.is_some() {
                return Ok(ActionFlags(chosen));
            }
        }
        Ok(ActionFlags(None))
    }
    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for ActionFlags {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        status::ACTIONS.iter().fold(cmd, |cmd, spec| {
            let arg = clap::Arg::new(spec.flag)
                .long(spec.flag)
                .help(spec.help)
                .help_heading("Actions")
                .group("action");
            cmd.arg(match spec.days {
                Some(name) => arg
                    .value_name(name)
                    .value_parser(clap::value_parser!(u32))
                    .value_hint(ValueHint::Other)
                    .action(clap::ArgAction::Set),
                None => arg.action(clap::ArgAction::SetTrue),
            })
        })
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// A flag whose value byok checks itself (naming the flag, with a "did you mean"), while
/// shell completion offers the values listed: any text is accepted here.
#[derive(Clone)]
pub struct Suggest(Vec<&'static str>);

impl TypedValueParser for Suggest {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.0.iter().map(|v| PossibleValue::new(*v))))
    }
}

/// The built-in vendor profiles' ids.
fn vendors() -> Suggest {
    let catalog = byok::vendor::Catalog::built_in();
    Suggest(
        catalog
            .ids()
            .into_iter()
            .map(|id| &*Box::leak(id.to_string().into_boxed_str()))
            .collect(),
    )
}

/// Every Region byok knows.
fn regions() -> Suggest {
    Suggest(byok::regions::REGIONS.iter().map(|(c, _)| *c).collect())
}

fn regionalities() -> Suggest {
    Suggest(
        byok::answers::Regionality::ALL
            .iter()
            .map(|r| r.as_str())
            .collect(),
    )
}

/// Examples per command ("" is byok itself): (what it does, the command line). The same list
/// ends `--help` and fills the man pages' EXAMPLES.
pub const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "",
        &[
            (
                "Look around on the built-in simulator (nothing is sent to AWS)",
                "byok --demo",
            ),
            (
                "The wizard, with the vendor chosen",
                "byok --vendor camunda",
            ),
            (
                "Create without the wizard",
                "byok create --vendor gearset --region us-west-2 --yes",
            ),
            (
                "Log every AWS call of a run to stderr",
                "byok --debug create --vendor gearset --region us-west-2 --yes",
            ),
        ],
    ),
    (
        "create",
        &[
            (
                "Camunda, one key in eu-west-1",
                "byok create --vendor camunda --principal \"$ROLE\" --admin \"$ADMIN_ROLE\"",
            ),
            (
                "A Multi-Region key, unattended, the ARNs captured",
                "ARNS=$(byok create --vendor camunda --principal \"$ROLE\" --regionality multi-region --yes)",
            ),
            (
                "Gearset in Oregon, as JSON",
                "byok create --vendor gearset --region us-west-2 --yes --output json",
            ),
        ],
    ),
    (
        "plan",
        &[
            (
                "The steps and the API calls behind them",
                "byok plan --vendor gearset --region us-west-2",
            ),
            (
                "Terraform",
                "byok plan --vendor camunda --principal \"$ROLE\" --format terraform > byok.tf",
            ),
            (
                "CloudFormation templates, one per Region, into a directory",
                "byok plan --vendor gearset --region us-west-2 --format cloudformation --out infra/",
            ),
            (
                "A bash script for the AWS CLI, pinned to one account",
                "byok plan --vendor gearset --region us-west-2 --format aws-cli --account \"$ACCOUNT\"",
            ),
        ],
    ),
    (
        "policy",
        &[
            (
                "The key policy for your account",
                "byok policy --vendor gearset --region us-west-2",
            ),
            (
                "Without signing in",
                "byok policy --vendor camunda --principal \"$ROLE\" --account 123456789012",
            ),
        ],
    ),
    (
        "status",
        &[
            ("The status screen (on a terminal)", "byok status"),
            ("For cron and CI", "byok status --output json | jq .summary"),
            (
                "A key byok did not make",
                "byok status --key alias/legacy-key --vendor camunda",
            ),
            (
                "Restore the vendor statements",
                "byok status --key alias/camunda-saas-byok --repair-policy",
            ),
            (
                "Schedule a deletion",
                "byok status --key \"$ARN\" --schedule-deletion 30 --confirm-alias camunda-saas-byok",
            ),
        ],
    ),
    (
        "vendors",
        &[
            (
                "Every vendor profile, its sources and when they were checked",
                "byok vendors",
            ),
            (
                "What ClickHouse Cloud asks for and is granted",
                "byok vendors show clickhouse",
            ),
            ("As JSON", "byok vendors show aiven --output json"),
        ],
    ),
    (
        "grant",
        &[
            (
                "Add the role the vendor gave you after you registered the key",
                "byok grant --key alias/camunda-saas-byok --principal \"$ROLE\"",
            ),
            (
                "Several roles at once, without asking, as JSON",
                "byok grant --key \"$ARN\" --principal \"$ROLE1\" --principal \"$ROLE2\" --yes --output json",
            ),
        ],
    ),
    (
        "completions",
        &[
            (
                "bash",
                "byok completions bash > ~/.local/share/bash-completion/completions/byok",
            ),
            ("zsh", "byok completions zsh > \"${fpath[1]}/_byok\""),
            (
                "fish",
                "byok completions fish > ~/.config/fish/completions/byok.fish",
            ),
        ],
    ),
    (
        "man",
        &[
            ("Read the man page now", "byok man | man -l -"),
            (
                "Install every page",
                "byok man --out-dir ~/.local/share/man/man1",
            ),
        ],
    ),
];

/// Exit statuses per command ("" is byok itself, the wizard).
pub fn exit_statuses(command: &str) -> Vec<(i32, &'static str)> {
    let mut v = match command {
        "status" => vec![
            (0, "every key is OK, or the action was done"),
            (1, "a key needs attention"),
            (5, "a key is broken"),
            (6, "no Region could be read: nothing is known about any key"),
        ],
        _ => vec![(0, "done")],
    };
    v.push((2, "invalid input; nothing was sent to AWS"));
    if matches!(command, "" | "create" | "policy" | "status" | "grant") {
        v.push((3, "AWS refused; nothing was changed"));
    }
    if matches!(command, "" | "create") {
        v.push((
            4,
            "partly done: the output lists every ARN and the command that finishes",
        ));
        v.push((130, "interrupted (Ctrl-C, SIGTERM, SIGHUP)"));
    }
    v.push((
        141,
        "stdout was closed early (`| head`); nothing is printed",
    ));
    v
}

/// What ends `--help`: the examples and the exit status, the same layout for every command.
pub fn footer(command: &str) -> String {
    let mut out = String::from("Examples:\n");
    for (what, line) in EXAMPLES
        .iter()
        .find(|(c, _)| *c == command)
        .map(|(_, e)| *e)
        .unwrap_or_default()
    {
        out.push_str(&format!("  {what}:\n      {line}\n"));
    }
    out.push_str("\nExit status:\n");
    for (code, meaning) in exit_statuses(command) {
        out.push_str(&format!("  {code:>3}  {meaning}\n"));
    }
    if command.is_empty() {
        out.push_str("\nCredentials come from the standard AWS chain (environment, profiles, SSO); byok never asks for keys.\n");
    }
    out.trim_end().to_string()
}
