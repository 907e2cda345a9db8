//! byok: set up a customer-managed AWS KMS key for a SaaS vendor's BYOK feature.
//!
//! The core (`byok-core`, re-exported here so its modules read `byok::plan`,
//! `byok::status`, ...) is `Answers -> Policy -> Plan -> Executor`; it knows no terminal,
//! which its manifest enforces. This crate adds the screens (`tui`); the binary adds the
//! command line.

pub use byok_core::*;

pub mod tui;
