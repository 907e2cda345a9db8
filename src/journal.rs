//! The on-disk record of what runs created: one JSON line per event, flushed to disk
//! before the next step, so a key is never lost even if byok is killed.

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::plan::KeyRole;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    /// About to call an API that creates a resource; its outcome follows.
    Intent,
    /// The resource exists.
    Created,
    /// An earlier run's resource was found and reused.
    Adopted,
    /// The setup completed and was verified.
    Completed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub time: String,
    /// `vendor/account/region/alias` of the primary key: one setup.
    pub setup: String,
    pub event: Event,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<KeyRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The vendor principal the key was made for (`created` and `adopted` entries), so
    /// `byok status` can trust it over a tag anyone with `kms:TagResource` can write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
}

pub fn setup_id(vendor: &str, account: &str, region: &str, alias: &str) -> String {
    format!("{vendor}/{account}/{region}/{alias}")
}

/// `$BYOK_STATE_DIR`, else `$XDG_STATE_HOME/byok`, else `~/.local/state/byok`.
pub fn state_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("BYOK_STATE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("byok");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/state/byok")
}

pub fn now_rfc3339() -> String {
    use aws_sdk_kms::primitives::{DateTime, DateTimeFormat};
    DateTime::from(std::time::SystemTime::now())
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default()
}

/// An append-only journal file. A disabled journal (demo mode) records nothing.
pub struct Journal {
    path: Option<PathBuf>,
    file: Mutex<Option<File>>,
}

impl Journal {
    /// Open (creating the directory) `journal.jsonl` in `dir`. Fails early, before any
    /// change is made, if it cannot be written.
    pub fn open(dir: &Path) -> std::io::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("journal.jsonl");
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Journal {
            path: Some(path),
            file: Mutex::new(Some(file)),
        })
    }

    pub fn disabled() -> Journal {
        Journal {
            path: None,
            file: Mutex::new(None),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Append and flush to disk.
    pub fn record(&self, entry: &Entry) -> std::io::Result<()> {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = guard.as_mut() {
            let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
            line.push('\n');
            f.write_all(line.as_bytes())?;
            f.sync_data()?;
        }
        Ok(())
    }

    /// Every entry, oldest first. Unreadable lines (a torn write) are skipped.
    pub fn entries(&self) -> Vec<Entry> {
        let Some(path) = &self.path else {
            return vec![];
        };
        let Ok(f) = File::open(path) else {
            return vec![];
        };
        BufReader::new(f)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str(&l).ok())
            .collect()
    }

    pub fn entries_for(&self, setup: &str) -> Vec<Entry> {
        self.entries()
            .into_iter()
            .filter(|e| e.setup == setup)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = std::env::temp_dir().join(format!("byok-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let j = Journal::open(&dir).unwrap();
        let e = Entry {
            time: now_rfc3339(),
            setup: setup_id("camunda", "123456789012", "eu-west-1", "alias/x"),
            event: Event::Created,
            role: Some(KeyRole::Primary),
            region: Some("eu-west-1".into()),
            arn: Some("arn:aws:kms:eu-west-1:123456789012:key/abc".into()),
            alias: None,
            principal: Some("arn:aws:iam::210987654321:role/t".into()),
        };
        j.record(&e).unwrap();
        j.record(&Entry {
            setup: "other".into(),
            ..e.clone()
        })
        .unwrap();
        // A torn last line does not hide the others.
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("journal.jsonl"))
            .unwrap()
            .write_all(b"{\"ti")
            .unwrap();
        assert_eq!(j.entries_for(&e.setup), vec![e.clone()]);
        assert_eq!(j.entries().len(), 2);
        assert!(e.time.ends_with('Z'));
        assert!(Journal::disabled().entries().is_empty());
    }
}
