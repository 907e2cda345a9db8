//! byok's core: set up a customer-managed AWS KMS key for a SaaS vendor's BYOK feature.
//!
//! `Answers -> Policy -> Plan -> Executor -> KeyService`, and `byok status` over the same
//! services. The command line and the terminal screens are views over it, in the `byok`
//! crate; this crate's manifest has no terminal library, so nothing here can draw.

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
pub mod principal;
pub mod record;
pub mod regions;
pub mod sanitize;
pub mod status;
pub mod vendor;
