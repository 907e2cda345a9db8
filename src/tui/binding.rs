//! One key table per screen: what the footer shows and what the key handler obeys come from
//! the same list, so a hint can never name a key that does nothing, nor a key act unseen.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key binding: the keys, how the footer names them, what they do.
#[derive(Debug, Clone)]
pub struct Binding<A> {
    keys: Vec<(KeyCode, KeyModifiers)>,
    /// How the footer names the key ("Enter", "^C").
    pub hint: &'static str,
    /// What it does; empty to leave it out of the footer.
    pub label: String,
    pub action: A,
}

impl<A> Binding<A> {
    pub fn new(hint: &'static str, label: impl Into<String>, action: A) -> Self {
        Binding {
            keys: Vec::new(),
            hint,
            label: label.into(),
            action,
        }
    }
    pub fn key(mut self, code: KeyCode) -> Self {
        self.keys.push((code, KeyModifiers::NONE));
        self
    }
    pub fn ctrl(mut self, c: char) -> Self {
        self.keys.push((KeyCode::Char(c), KeyModifiers::CONTROL));
        self
    }
    /// Shift is ignored for characters (`G` arrives as Shift+G on some terminals).
    pub fn matches(&self, k: &KeyEvent) -> bool {
        let mods = k.modifiers - KeyModifiers::SHIFT;
        self.keys.iter().any(|(code, m)| {
            *code == k.code
                && (*m == mods || (*m == KeyModifiers::NONE && k.modifiers == KeyModifiers::SHIFT))
        })
    }
}

/// The action of the first binding that matches `k`.
pub fn find<A: Clone>(bindings: &[Binding<A>], k: &KeyEvent) -> Option<A> {
    bindings
        .iter()
        .find(|b| b.matches(k))
        .map(|b| b.action.clone())
}

/// The footer's hints: each binding that has a label, in order.
pub fn hints<A>(bindings: &[Binding<A>]) -> Vec<(&'static str, String)> {
    bindings
        .iter()
        .filter(|b| !b.hint.is_empty() && !b.label.is_empty())
        .map(|b| (b.hint, b.label.clone()))
        .collect()
}
