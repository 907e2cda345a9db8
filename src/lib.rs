//! byok: set up a customer-managed AWS KMS key for a SaaS vendor's BYOK feature.
//!
//! The core is `Answers -> Policy -> Plan -> Executor`; the CLI and the wizard are views
//! over it. Nothing here knows about the terminal.

pub mod alerts;
pub mod answers;
pub mod arn;
pub mod debug;
pub mod error;
pub mod exec;
pub mod export;
pub mod journal;
pub mod kms;
pub mod org;
pub mod plan;
pub mod policy;
pub mod record;
pub mod regions;
pub mod sanitize;
pub mod status;
pub mod tui;
pub mod vendor;
