//! The on-disk record of what runs created: one JSON line per event, flushed to disk
//! before the next step, so a key is never lost even if byok is killed.
//!
//! The file is untrusted input when read back: a crash or a full disk can leave a torn last
//! line, another program can write junk or bytes that are not UTF-8. Reading skips what does
//! not parse, counts it and goes on; writing always starts on a fresh line. The journal is
//! never opened through a symbolic link.
//!
//! Beside it, `locks/` holds one lock file per setup (account, vendor, Region, alias): a run
//! holds its setup's lock from its first lookup to its end, so runs of the same setup on one
//! machine take turns instead of racing.

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::plan::KeyRole;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    /// About to call an API that creates a resource; its outcome follows. Carries the
    /// intent's ID, which the new key also carries as its `byok:intent` tag.
    Intent,
    /// The resource exists.
    Created,
    /// An earlier run's resource was found and reused.
    Adopted,
    /// The key was given the setup's alias by this run.
    Aliased,
    /// A key this setup's runs created lost the alias to another byok key: being retired.
    Retiring,
    /// That key no longer grants the vendor anything, is disabled and scheduled for deletion.
    Retired,
    /// An intent whose key never appeared, looked for after the time a request can take.
    NotMade,
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
    /// The intent this entry belongs to (the `byok:intent` tag of the key it made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// For a retired duplicate: the key that holds the alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// The vendor principal the key was made for (`created` and `adopted` entries), so
    /// `byok status` can trust it over a tag anyone with `kms:TagResource` can write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
}

impl Entry {
    pub fn new(setup: &str, event: Event) -> Entry {
        Entry {
            time: now_rfc3339(),
            setup: setup.to_string(),
            event,
            role: None,
            region: None,
            arn: None,
            alias: None,
            intent: None,
            duplicate_of: None,
            principal: None,
        }
    }
}

pub fn setup_id(vendor: &str, account: &str, region: &str, alias: &str) -> String {
    format!("{vendor}/{account}/{region}/{alias}")
}

/// A fresh intent ID: 128 random bits as 32 hex digits. The standard library's hasher keys
/// are seeded from the OS's random source; a process-wide counter and the clock are mixed in.
pub fn new_intent_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let half = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(salt);
        h.write_u64(n);
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        h.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2))
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

/// Seconds since the Unix epoch of an RFC 3339 time byok wrote.
pub fn parse_time(t: &str) -> Option<i64> {
    use aws_sdk_kms::primitives::{DateTime, DateTimeFormat};
    DateTime::from_str(t, DateTimeFormat::DateTime)
        .ok()
        .map(|d| d.secs())
}

/// Open a file for reading and appending, creating it, never through a symbolic link, and
/// only if it is a regular file.
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    let f = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                std::io::Error::other(format!(
                    "{} is a symbolic link; byok does not follow it",
                    path.display()
                ))
            } else {
                e
            }
        })?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    Ok(f)
}

/// What reading a journal found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contents {
    /// Every entry that parsed, oldest first.
    pub entries: Vec<Entry>,
    /// Lines that did not parse (junk, bytes that are not UTF-8, a torn write), skipped.
    pub skipped: usize,
    /// The file ends in a line with no newline that did not parse: what a crash while
    /// writing leaves. byok treats it as a possible intent.
    pub torn_tail: bool,
}

impl Contents {
    pub fn for_setup(&self, setup: &str) -> Vec<Entry> {
        self.entries
            .iter()
            .filter(|e| e.setup == setup)
            .cloned()
            .collect()
    }

    /// A sentence for the user when lines were skipped.
    pub fn warning(&self, path: &Path) -> Option<String> {
        (self.skipped > 0).then(|| {
            format!(
                "{} line(s) of {} could not be read (torn or not byok's) and were skipped{}",
                self.skipped,
                path.display(),
                if self.torn_tail {
                    "; the last one was cut off, as a crash leaves it"
                } else {
                    ""
                }
            )
        })
    }
}

/// Read a journal in one pass: linear in its size, whatever it holds.
pub fn read_from(r: impl Read) -> Contents {
    let mut out = Contents::default();
    let mut reader = BufReader::with_capacity(1 << 16, r);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => {
                out.skipped += 1;
                break;
            }
        }
        let ended = line.last() == Some(&b'\n');
        let body = line.trim_ascii();
        if body.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Entry>(body) {
            Ok(e) => out.entries.push(e),
            Err(_) => {
                out.skipped += 1;
                out.torn_tail = !ended;
            }
        }
    }
    out
}

/// The journal's file in the state directory `dir`.
pub fn file_in(dir: &Path) -> PathBuf {
    dir.join("journal.jsonl")
}

/// The Regions byok made keys in, sorted, once each: where `byok status` looks beyond the
/// vendors' own Regions (a vendor that allows any Region).
pub fn regions(entries: &[Entry]) -> Vec<String> {
    let mut out: Vec<String> = entries
        .iter()
        .filter_map(|e| e.region.clone())
        .filter(|r| crate::arn::is_region_code(r))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Read the journal at `path` (missing: empty). Never follows a symbolic link.
pub fn read_path(path: &Path) -> Contents {
    match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) if f.metadata().is_ok_and(|m| m.is_file()) => read_from(f),
        _ => Contents::default(),
    }
}

/// An append-only journal file. A disabled journal (demo mode) records nothing.
pub struct Journal {
    path: Option<PathBuf>,
    file: Mutex<Option<File>>,
    /// Tests: writes allowed before every write fails as on a full disk (`u32::MAX`: all).
    writes_left: std::sync::atomic::AtomicU32,
}

/// A held setup lock, released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct SetupLock {
    _file: File,
}

/// Trying a setup lock.
#[derive(Debug)]
pub enum LockTry {
    Acquired(SetupLock),
    /// Another process holds it; its PID when it wrote one.
    Busy {
        pid: Option<u32>,
    },
}

impl Journal {
    /// Open (creating the directory) `journal.jsonl` in `dir`. Fails early, before any
    /// change is made, if it cannot be written, is a symbolic link or not a regular file.
    pub fn open(dir: &Path) -> std::io::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        let path = file_in(dir);
        let file = open_no_follow(&path)?;
        Ok(Journal {
            path: Some(path),
            file: Mutex::new(Some(file)),
            writes_left: u32::MAX.into(),
        })
    }

    pub fn disabled() -> Journal {
        Journal {
            path: None,
            file: Mutex::new(None),
            writes_left: u32::MAX.into(),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// For tests: after `n` more entries, every write fails as on a full disk.
    #[doc(hidden)]
    pub fn fail_writes_after(&self, n: u32) {
        self.writes_left
            .store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Append and flush to disk. The entry starts on a fresh line whatever the file ends
    /// with, so a torn line left by a crash never swallows it.
    pub fn record(&self, entry: &Entry) -> std::io::Result<()> {
        use std::sync::atomic::Ordering;
        let left = self.writes_left.load(Ordering::SeqCst);
        if left == 0 {
            return Err(std::io::Error::from_raw_os_error(libc::ENOSPC));
        }
        if left != u32::MAX {
            self.writes_left.store(left - 1, Ordering::SeqCst);
        }
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = guard.as_mut() {
            let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
            line.push('\n');
            let len = f.metadata()?.len();
            let mut last = [b'\n'];
            if len > 0 {
                f.read_exact_at(&mut last, len - 1)?;
            }
            if last[0] != b'\n' {
                line.insert(0, '\n');
            }
            // One write: appends from two processes never interleave within a line.
            f.write_all(line.as_bytes())?;
            f.sync_data()?;
        }
        Ok(())
    }

    /// Everything the journal holds now.
    pub fn read(&self) -> Contents {
        match &self.path {
            Some(p) => read_path(p),
            None => Contents::default(),
        }
    }

    /// Every entry, oldest first. Unreadable lines are skipped.
    pub fn entries(&self) -> Vec<Entry> {
        self.read().entries
    }

    pub fn entries_for(&self, setup: &str) -> Vec<Entry> {
        self.read().for_setup(setup)
    }

    /// Try to take the lock of one setup. A disabled journal (demo) always succeeds.
    pub fn try_lock_setup(&self, setup: &str) -> std::io::Result<LockTry> {
        let Some(path) = &self.path else {
            return Ok(LockTry::Acquired(SetupLock {
                _file: File::open("/dev/null")?,
            }));
        };
        let dir = path.parent().unwrap_or(Path::new(".")).join("locks");
        std::fs::create_dir_all(&dir)?;
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(dir.join(lock_name(setup)))?;
        match f.try_lock() {
            Ok(()) => {
                f.set_len(0)?;
                f.write_all_at(std::process::id().to_string().as_bytes(), 0)?;
                Ok(LockTry::Acquired(SetupLock { _file: f }))
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut s = String::new();
                let _ = f.read_to_string(&mut s);
                Ok(LockTry::Busy {
                    pid: s.trim().parse().ok(),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

/// A file name for a setup's lock: readable, and unique through a hash of the whole ID.
fn lock_name(setup: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in setup.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let readable: String = setup
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    format!("{readable}-{h:016x}.lock")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("byok-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn created(setup: &str) -> Entry {
        Entry {
            role: Some(KeyRole::Primary),
            region: Some("eu-west-1".into()),
            arn: Some("arn:aws:kms:eu-west-1:123456789012:key/abc".into()),
            principal: Some("arn:aws:iam::210987654321:role/t".into()),
            ..Entry::new(setup, Event::Created)
        }
    }

    #[test]
    fn round_trip() {
        let dir = temp("rt");
        let j = Journal::open(&dir).unwrap();
        let e = created(&setup_id("camunda", "123456789012", "eu-west-1", "alias/x"));
        j.record(&e).unwrap();
        j.record(&Entry {
            setup: "other".into(),
            ..e.clone()
        })
        .unwrap();
        assert_eq!(j.entries_for(&e.setup), vec![e.clone()]);
        assert_eq!(j.entries().len(), 2);
        assert!(e.time.ends_with('Z'));
        assert!(parse_time(&e.time).is_some());
        assert!(Journal::disabled().entries().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_torn_line_never_swallows_the_next_entry() {
        let dir = temp("torn");
        let j = Journal::open(&dir).unwrap();
        let e = created("s");
        j.record(&e).unwrap();
        // A crash mid-write leaves half a line with no newline.
        OpenOptions::new()
            .append(true)
            .open(dir.join("journal.jsonl"))
            .unwrap()
            .write_all(b"{\"time\":\"2026-")
            .unwrap();
        let c = j.read();
        assert_eq!((c.entries.len(), c.skipped, c.torn_tail), (1, 1, true));
        j.record(&Entry::new("s", Event::Completed)).unwrap();
        let c = j.read();
        assert_eq!(c.entries.len(), 2, "{c:?}");
        assert_eq!(c.entries[1].event, Event::Completed);
        assert_eq!((c.skipped, c.torn_tail), (1, false));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn junk_and_non_utf8_lines_are_skipped_and_counted() {
        let dir = temp("junk");
        let j = Journal::open(&dir).unwrap();
        j.record(&created("a")).unwrap();
        OpenOptions::new()
            .append(true)
            .open(dir.join("journal.jsonl"))
            .unwrap()
            .write_all(b"\xff\xfe not utf-8 \x80\n{}\nplain junk\n\n")
            .unwrap();
        j.record(&created("b")).unwrap();
        let c = j.read();
        assert_eq!(
            c.entries
                .iter()
                .map(|e| e.setup.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(c.skipped, 3);
        assert!(!c.torn_tail);
        assert!(c.warning(Path::new("j")).unwrap().contains("3 line(s)"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_symlinked_journal_is_refused_and_its_target_untouched() {
        let dir = temp("link");
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("target.txt");
        std::fs::write(&target, "precious\n").unwrap();
        std::os::unix::fs::symlink(&target, dir.join("journal.jsonl")).unwrap();
        let err = Journal::open(&dir).err().expect("refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
        assert_eq!(read_path(&dir.join("journal.jsonl")), Contents::default());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn setup_locks_exclude_each_other_and_name_the_holder() {
        let dir = temp("lock");
        let j = Journal::open(&dir).unwrap();
        let other = Journal::open(&dir).unwrap();
        let held = match j.try_lock_setup("camunda/1/eu-west-1/alias/x").unwrap() {
            LockTry::Acquired(l) => l,
            LockTry::Busy { .. } => panic!("free lock"),
        };
        match other.try_lock_setup("camunda/1/eu-west-1/alias/x").unwrap() {
            LockTry::Busy { pid } => assert_eq!(pid, Some(std::process::id())),
            LockTry::Acquired(_) => panic!("two holders"),
        }
        // Another setup is not blocked.
        assert!(matches!(
            other.try_lock_setup("camunda/1/eu-west-1/alias/y").unwrap(),
            LockTry::Acquired(_)
        ));
        drop(held);
        assert!(matches!(
            other.try_lock_setup("camunda/1/eu-west-1/alias/x").unwrap(),
            LockTry::Acquired(_)
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn intent_ids_are_distinct() {
        let ids: std::collections::BTreeSet<String> = (0..1000).map(|_| new_intent_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|i| i.len() == 32));
    }
}
