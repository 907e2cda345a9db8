//! The key type step.

use super::prelude::*;

pub(crate) struct KeyType;

impl Step for KeyType {
    fn screen(&self) -> Screen {
        Screen::KeyType
    }

    fn title(&self) -> &'static str {
        "Key type"
    }

    fn review(&self, _a: &App) -> Vec<(Option<Field>, &'static str, String)> {
        vec![(
            None,
            "Key type",
            "Symmetric · encrypt and decrypt".to_string(),
        )]
    }

    fn help(&self, _a: &App) -> String {
        "Vendors encrypt with symmetric keys through KMS (Encrypt, Decrypt, GenerateDataKey). KMS never lets a key change its type, so choosing wrongly would mean a new key.".to_string()
    }

    fn render(&self, v: &mut View, area: Rect, buf: &mut Buffer) {
        v.key_type(area, buf)
    }
}

impl View<'_> {
    fn key_type(&mut self, area: Rect, buf: &mut Buffer) {
        let v = self.app.vendor();
        let rest = self.question(area, "Key type", "Fixed: nothing to choose here.", buf);
        let lines = vec![
            Line::from(vec![
                Span::styled("  [x] ", self.t.focus()),
                Span::styled("Symmetric", self.t.title()),
                Span::styled("  SYMMETRIC_DEFAULT", self.t.dim()),
            ]),
            Line::from(vec![
                Span::styled("  [x] ", self.t.focus()),
                Span::styled("Encrypt and decrypt", self.t.title()),
                Span::styled("  ENCRYPT_DECRYPT", self.t.dim()),
            ]),
            Line::raw(""),
            Line::raw(format!(
                "{} encrypts your data through KMS with this kind of key (the AWS console's default). A key's type cannot be changed after it is created, so byok does not offer another.",
                v.name
            )),
        ];
        para(lines).render(rest, buf);
    }
}
