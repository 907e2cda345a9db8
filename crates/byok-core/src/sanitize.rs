//! Text byok did not write (vendor files, answers from KMS, STS and IAM) on its way to a
//! terminal or into a generated file. Vendor files are checked when they are loaded
//! ([`crate::vendor`] refuses every character [`is_unsafe`] flags), but every destination
//! escapes again, so that no such text can become a control sequence or code even if a check
//! is bypassed (a built-in profile changed later, a key described by someone else):
//!
//! | destination | function |
//! | --- | --- |
//! | a terminal, one line (a name, a state's meaning) | [`line`] |
//! | a terminal, a whole report (newlines kept) | [`block`] |
//! | a `#` comment (bash or HCL) | [`comment`] |
//! | a bash word (a value in the AWS CLI script) | [`shell_word`] |
//! | an HCL quoted string | [`hcl_escape`] (inside quotes) |
//! | JSON (CloudFormation, `--output json`, policies) | serde, then [`json_text`] |

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that never reach a terminal or a generated file raw: C0 and C1 controls and DEL
/// (escape sequences, line breaks, tabs), bidirectional overrides, isolates and marks (text
/// shown in another order than it is read), zero-width and other invisible format characters,
/// and the Unicode line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'                  // soft hyphen
                | '\u{061c}'            // Arabic letter mark
                | '\u{180e}'            // Mongolian vowel separator
                | '\u{200b}'..='\u{200f}' // zero-width space, (non-)joiner, LRM, RLM
                | '\u{2028}'..='\u{202e}' // line/paragraph separators, bidi embeddings and overrides
                | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
                | '\u{2066}'..='\u{206f}' // bidi isolates, deprecated format characters
                | '\u{feff}'            // zero-width no-break space (BOM)
                | '\u{fff9}'..='\u{fffb}' // interlinear annotations
        )
}

/// The first character [`is_unsafe`] flags, with its position in characters.
pub fn first_unsafe(s: &str) -> Option<(usize, char)> {
    s.chars().enumerate().find(|(_, c)| is_unsafe(*c))
}

/// How a character is named in messages: `U+001B`.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

fn visible(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

fn escape_where(s: &str, unsafe_here: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&unsafe_here) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_here(c) {
            visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` without the characters [`is_unsafe`] flags: what a pasted value keeps.
pub fn strip(s: &str) -> String {
    s.chars().filter(|c| !is_unsafe(*c)).collect()
}

/// One line for a terminal: every unsafe character, line breaks and tabs included, shown as
/// `\u{1b}`; the rest unchanged.
pub fn line(s: &str) -> Cow<'_, str> {
    escape_where(s, is_unsafe)
}

/// A report for a terminal: its line breaks kept, every other unsafe character shown as
/// `\u{1b}`. Idempotent, and a no-op on text byok wrote itself.
pub fn block(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && is_unsafe(c))
}

/// Text for a `#` comment in bash or HCL: one line (a line break would end the comment and
/// start code), nothing unsafe.
pub fn comment(s: &str) -> Cow<'_, str> {
    line(s)
}

/// A bash word with exactly the value `s`: as is when it is plainly safe, else single-quoted;
/// a value holding an unsafe character is ANSI-C quoted (`$'...'`, those characters as `\xHH`
/// bytes) so that the script itself holds no control character or line break.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@,+-".contains(c))
    {
        return s.to_string();
    }
    if !s.chars().any(is_unsafe) {
        return format!("'{}'", s.replace('\'', "'\\''"));
    }
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if is_unsafe(c) => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The inside of an HCL quoted string for `s`: quotes and backslashes escaped, line breaks and
/// every other unsafe character as `\n`/`\uNNNN`, and template sequences made literal
/// (`${` becomes `$${`, `%{` becomes `%%{`), so that nothing is interpolated or run.
pub fn hcl_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.replace("${", "$${").replace("%{", "%%{")
}

/// JSON text (as serde_json writes it) with every unsafe character inside its strings written
/// as `\uNNNN`: serde_json escapes only C0 controls, so DEL, C1 controls and bidirectional
/// overrides would otherwise reach the terminal or the file raw. The value is unchanged.
pub fn json_text(s: String) -> String {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        // Outside strings serde writes only ASCII punctuation, digits, letters, spaces and
        // line breaks, so any other unsafe character is inside a string.
        if c != '\n' && is_unsafe(c) {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `serde_json::to_string_pretty` followed by [`json_text`].
pub fn json_pretty<T: serde::Serialize + ?Sized>(v: &T) -> String {
    json_text(serde_json::to_string_pretty(v).expect("a JSON value serializes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every hostile sequence the issue names: an OSC 52 clipboard write, a screen clear, a
    /// title change, a right-to-left override, a line break followed by a command.
    const HOSTILE: &str = "Acme\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b]0;pwned\x07\u{202e}evil\u{2066}\u{9b}x\x7f\nrm -rf ~ # ${x} %{y} $(id) `id` 'q' \"dq\"";

    fn no_raw_unsafe(s: &str, keep_newlines: bool) {
        for c in s.chars() {
            assert!(
                !is_unsafe(c) || (keep_newlines && c == '\n'),
                "{} left raw in {s:?}",
                code_point(c)
            );
        }
    }

    #[test]
    fn unsafe_characters() {
        for c in [
            '\x00', '\x07', '\x1b', '\n', '\r', '\t', '\x7f', '\u{85}', '\u{9b}', '\u{200b}',
            '\u{200e}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{2028}', '\u{feff}',
        ] {
            assert!(is_unsafe(c), "{}", code_point(c));
        }
        for c in ['a', ' ', 'é', 'ü', '(', '€', 'ж', '中', '✓'] {
            assert!(!is_unsafe(c), "{}", code_point(c));
        }
        assert_eq!(first_unsafe("ab\x1bc"), Some((2, '\x1b')));
        assert_eq!(first_unsafe("Zürich"), None);
    }

    #[test]
    fn terminal_text_shows_escapes_instead_of_running_them() {
        let l = line(HOSTILE);
        no_raw_unsafe(&l, false);
        assert!(l.contains("\\u{1b}]52;c;"), "{l}");
        assert!(l.contains("\\u{a}rm -rf"), "{l}");
        let b = block("a\x1b[2J\nb\u{202e}c\n");
        assert_eq!(b, "a\\u{1b}[2J\nb\\u{202e}c\n");
        assert_eq!(block(&b), b, "idempotent");
        assert!(matches!(line("Camunda SaaS"), Cow::Borrowed(_)));
        no_raw_unsafe(&comment(HOSTILE), false);
    }

    /// bash itself reads each word back to exactly the value.
    #[test]
    fn shell_words_round_trip_through_bash() {
        let values = [
            HOSTILE,
            "plain-value",
            "",
            "it's",
            "$HOME `id` $(id) \\ \\' ! * ?",
            "a\nb",
            "ü\u{202e}x",
        ];
        let mut script = String::new();
        for v in values {
            let w = shell_word(v);
            no_raw_unsafe(&w, false);
            let _ = writeln!(script, "printf '%s\\0' {w}");
        }
        let out = std::process::Command::new("bash")
            .args(["-c", &script])
            .env("LC_ALL", "C")
            .output()
            .expect("bash");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
        for (i, v) in values.iter().enumerate() {
            assert_eq!(got[i], v.as_bytes(), "value {i}: {v:?}");
        }
    }

    #[test]
    fn hcl_strings_are_literal() {
        let e = hcl_escape(HOSTILE);
        no_raw_unsafe(&e, false);
        assert!(e.contains("$${x} %%{y}"), "{e}");
        assert!(e.contains("\\u001b]52;c;"), "{e}");
        assert!(e.contains("\\\"dq\\\""), "{e}");
        assert!(!e.contains('\n'));
    }

    #[test]
    fn json_keeps_the_value_and_drops_raw_controls() {
        let v = serde_json::json!({ "Sid": HOSTILE, "k\u{202e}": ["\u{9b}2J", "\u{1F600}"] });
        let text = json_pretty(&v);
        no_raw_unsafe(&text, true);
        assert!(
            text.contains('\u{1F600}'),
            "a harmless character stays as it is"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }
}
