//! Vendor profiles: everything byok knows about a SaaS vendor is data in
//! `assets/vendors/*.json`, so a new vendor is a file, not a release.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

use crate::answers::Regionality;

/// The built-in profiles, in the order the wizard lists them.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "camunda.json",
        include_str!("../assets/vendors/camunda.json"),
    ),
    (
        "gearset.json",
        include_str!("../assets/vendors/gearset.json"),
    ),
    ("other.json", include_str!("../assets/vendors/other.json")),
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VendorProfile {
    /// Short id used by `--vendor` and in the `byok:vendor` tag.
    pub id: String,
    /// Version of the profile's facts, shown by `byok --version`.
    pub version: String,
    pub name: String,
    /// One line on what the vendor needs.
    pub summary: String,
    pub docs_url: String,
    /// The Regions the vendor supports; empty means any Region.
    #[serde(default)]
    pub regions: Vec<VendorRegion>,
    pub principal: PrincipalSpec,
    /// Whether a key in a second Region is offered, and how.
    #[serde(default)]
    pub dual_region: Option<DualRegion>,
    pub key: KeyDefaults,
    /// Sid of the account-root statement; the console's by default.
    #[serde(default = "default_root_sid")]
    pub root_statement_sid: String,
    /// What the vendor principal is granted, in order.
    pub statements: Vec<VendorStatement>,
    /// What the user does once the key exists.
    pub next_step: String,
    /// What each key state means for the vendor's service (used by `byok status`).
    #[serde(default)]
    pub states: BTreeMap<String, StateMeaning>,
}

fn default_root_sid() -> String {
    "Enable IAM User Permissions".to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VendorRegion {
    pub code: String,
    pub name: String,
    /// The vendor's AWS account for this Region, when the principal follows from the Region.
    #[serde(default)]
    pub vendor_account: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PrincipalKind {
    /// The customer pastes an IAM role ARN the vendor gave them (Camunda).
    IamRoleArn,
    /// The vendor's account root, chosen by Region (Gearset).
    AccountRootByRegion,
    /// A 12-digit account ID or an IAM ARN.
    AccountOrArn,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrincipalSpec {
    pub kind: PrincipalKind,
    pub label: String,
    pub help: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DualRegion {
    /// Allowed (primary, secondary) pairs; empty means any two distinct Regions.
    #[serde(default)]
    pub pairs: Vec<RegionPair>,
    pub methods: Vec<Regionality>,
    pub recommended: Regionality,
    pub help: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RegionPair {
    pub primary: String,
    pub secondary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeyDefaults {
    pub alias: String,
    /// Appended to the alias for the second of two independent keys.
    #[serde(default = "default_suffix")]
    pub secondary_alias_suffix: String,
    pub description: String,
    #[serde(default)]
    pub rotation_note: String,
}

fn default_suffix() -> String {
    "-replica".to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VendorStatement {
    pub sid: String,
    pub actions: Vec<String>,
    #[serde(default)]
    pub condition: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StateMeaning {
    pub meaning: String,
    #[serde(default)]
    pub action: String,
}

/// A vendor file that cannot be used, with the file, the field and the problem.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("vendor file {file}: {field}: {problem}")]
pub struct ProfileError {
    pub file: String,
    pub field: String,
    pub problem: String,
}

impl VendorProfile {
    /// The Regions the user may choose as primary, as codes.
    pub fn primary_regions(&self) -> Vec<String> {
        if self.regions.is_empty() {
            crate::regions::REGIONS
                .iter()
                .map(|(c, _)| c.to_string())
                .collect()
        } else {
            self.regions.iter().map(|r| r.code.clone()).collect()
        }
    }

    /// Whether `region` may be the primary: one of the vendor's Regions, or, for a vendor
    /// without a list (`other`), one byok knows.
    pub fn allows_region(&self, region: &str) -> bool {
        if self.regions.is_empty() {
            crate::regions::is_known(region)
        } else {
            self.regions.iter().any(|r| r.code == region)
        }
    }

    /// The console name of a Region, preferring the vendor's own wording.
    pub fn region_label(&self, code: &str) -> String {
        match self.regions.iter().find(|r| r.code == code) {
            Some(r) => format!("{} {}", r.name, r.code),
            None => crate::regions::describe(code),
        }
    }

    /// The vendor's account for a Region (Gearset-style profiles).
    pub fn vendor_account(&self, region: &str) -> Option<&str> {
        self.regions
            .iter()
            .find(|r| r.code == region)
            .and_then(|r| r.vendor_account.as_deref())
    }

    /// The regionalities the user may choose.
    pub fn regionalities(&self) -> Vec<Regionality> {
        let mut out = vec![Regionality::Single];
        if let Some(d) = &self.dual_region {
            out.extend(
                d.methods
                    .iter()
                    .copied()
                    .filter(|m| *m != Regionality::Single),
            );
        }
        out
    }

    /// The second Regions allowed with a primary; `None` when any other Region is.
    pub fn secondary_regions(&self, primary: &str) -> Option<Vec<String>> {
        let d = self.dual_region.as_ref()?;
        if d.pairs.is_empty() {
            return None;
        }
        Some(
            d.pairs
                .iter()
                .filter(|p| p.primary == primary)
                .map(|p| p.secondary.clone())
                .collect(),
        )
    }

    /// The default second Region for a primary.
    pub fn default_secondary(&self, primary: &str) -> Option<String> {
        self.secondary_regions(primary)?.into_iter().next()
    }

    /// Parse and check a profile; `file` names it in errors.
    pub fn from_json(file: &str, text: &str) -> Result<Self, ProfileError> {
        let profile: VendorProfile = serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            // serde names the field in its message ("missing field `id`", "unknown field `x`").
            let field = msg
                .split('`')
                .nth(1)
                .map(str::to_string)
                .unwrap_or_else(|| format!("line {} column {}", e.line(), e.column()));
            ProfileError {
                file: file.to_string(),
                field,
                problem: format!("{msg}; fix the JSON there"),
            }
        })?;
        profile.check(file)?;
        Ok(profile)
    }

    /// Load a `--vendor-file`.
    pub fn from_file(path: &Path) -> Result<Self, ProfileError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError {
            file: file.clone(),
            field: "(file)".into(),
            problem: format!("cannot read it: {e}"),
        })?;
        Self::from_json(&file, &text)
    }

    fn check(&self, file: &str) -> Result<(), ProfileError> {
        let err = |field: &str, problem: String| ProfileError {
            file: file.to_string(),
            field: field.to_string(),
            problem,
        };
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 32
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(err(
                "id",
                format!(
                    "{:?} must be 1-32 lowercase letters, digits or '-' (it is used as --vendor and in a tag)",
                    self.id
                ),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(err("name", "must not be empty".into()));
        }
        for (i, r) in self.regions.iter().enumerate() {
            if !crate::arn::is_region_code(&r.code) {
                return Err(err(
                    &format!("regions[{i}].code"),
                    format!("{:?} is not an AWS Region code such as eu-west-1", r.code),
                ));
            }
            if let Some(a) = &r.vendor_account
                && !crate::arn::is_account_id(a)
            {
                return Err(err(
                    &format!("regions[{i}].vendor_account"),
                    format!("{a:?} is not a 12-digit AWS account ID"),
                ));
            }
        }
        if self.principal.kind == PrincipalKind::AccountRootByRegion
            && (self.regions.is_empty() || self.regions.iter().any(|r| r.vendor_account.is_none()))
        {
            return Err(err(
                "principal.kind",
                "account-root-by-region needs a vendor_account on every entry of regions".into(),
            ));
        }
        if let Some(d) = &self.dual_region {
            if d.methods.is_empty() || d.methods.contains(&Regionality::Single) {
                return Err(err(
                    "dual_region.methods",
                    "list \"multi-region\" and/or \"two-keys\" (single region is always offered)"
                        .into(),
                ));
            }
            if !d.methods.contains(&d.recommended) {
                return Err(err(
                    "dual_region.recommended",
                    "must be one of dual_region.methods".into(),
                ));
            }
            for (i, p) in d.pairs.iter().enumerate() {
                if !self.allows_region(&p.primary) {
                    return Err(err(
                        &format!("dual_region.pairs[{i}].primary"),
                        format!("{:?} is not in regions", p.primary),
                    ));
                }
                if !crate::arn::is_region_code(&p.secondary) || p.secondary == p.primary {
                    return Err(err(
                        &format!("dual_region.pairs[{i}].secondary"),
                        format!(
                            "{:?} must be a Region code other than the primary",
                            p.secondary
                        ),
                    ));
                }
            }
        }
        if let Err(e) = crate::answers::normalize_alias(&self.key.alias) {
            return Err(err("key.alias", e));
        }
        if self.statements.is_empty() {
            return Err(err(
                "statements",
                "list at least one statement for the vendor principal".into(),
            ));
        }
        let mut sids = std::collections::HashSet::new();
        sids.insert(self.root_statement_sid.as_str());
        sids.insert(crate::policy::ADMIN_SID);
        for (i, s) in self.statements.iter().enumerate() {
            if s.sid.trim().is_empty() || !sids.insert(s.sid.as_str()) {
                return Err(err(
                    &format!("statements[{i}].sid"),
                    format!("{:?} must be non-empty and unique in the policy", s.sid),
                ));
            }
            if s.actions.is_empty() {
                return Err(err(
                    &format!("statements[{i}].actions"),
                    "list at least one kms: action".into(),
                ));
            }
            for a in &s.actions {
                if let Some(problem) = crate::policy::vendor_action_problem(a) {
                    return Err(err(&format!("statements[{i}].actions"), problem));
                }
            }
            if let Some(c) = &s.condition
                && !c.is_object()
            {
                return Err(err(
                    &format!("statements[{i}].condition"),
                    "must be a JSON object such as {\"Bool\": {\"kms:GrantIsForAWSResource\": \"true\"}}".into(),
                ));
            }
        }
        Ok(())
    }
}

/// The set of profiles a run can choose from: the built-ins plus any `--vendor-file`.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub profiles: Vec<VendorProfile>,
}

impl Catalog {
    pub fn built_in() -> Self {
        let profiles = BUILT_IN
            .iter()
            .map(|(file, text)| {
                VendorProfile::from_json(file, text).expect("built-in vendor profiles are valid")
            })
            .collect();
        Catalog { profiles }
    }

    /// Built-ins plus extra files; a file's profile replaces a built-in with the same id.
    pub fn with_files(files: &[std::path::PathBuf]) -> Result<Self, ProfileError> {
        let mut cat = Self::built_in();
        for f in files {
            let p = VendorProfile::from_file(f)?;
            match cat.profiles.iter_mut().find(|q| q.id == p.id) {
                Some(q) => *q = p,
                None => cat.profiles.push(p),
            }
        }
        Ok(cat)
    }

    pub fn get(&self, id: &str) -> Option<&VendorProfile> {
        self.profiles.iter().find(|p| p.id == id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.profiles.iter().map(|p| p.id.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_load() {
        let c = Catalog::built_in();
        assert_eq!(c.ids(), vec!["camunda", "gearset", "other"]);
        let g = c.get("gearset").unwrap();
        assert_eq!(g.vendor_account("eu-west-1"), Some("347752291521"));
        assert_eq!(g.vendor_account("us-west-2"), Some("157764733222"));
        assert_eq!(g.vendor_account("ap-southeast-2"), Some("178658833999"));
        assert_eq!(g.vendor_account("ca-central-1"), Some("877694686213"));
        assert_eq!(g.regionalities(), vec![Regionality::Single]);
        let cam = c.get("camunda").unwrap();
        assert_eq!(cam.primary_regions(), vec!["eu-west-1"]);
        assert_eq!(
            cam.default_secondary("eu-west-1").as_deref(),
            Some("eu-west-2")
        );
        assert_eq!(
            cam.regionalities(),
            vec![
                Regionality::Single,
                Regionality::MultiRegion,
                Regionality::TwoKeys
            ]
        );
        let other = c.get("other").unwrap();
        assert!(other.allows_region("sa-east-1"));
        assert_eq!(other.secondary_regions("eu-west-1"), None);
    }

    fn camunda_json() -> serde_json::Value {
        serde_json::from_str(include_str!("../assets/vendors/camunda.json")).unwrap()
    }

    fn load(v: serde_json::Value) -> Result<VendorProfile, ProfileError> {
        VendorProfile::from_json("acme.json", &v.to_string())
    }

    #[test]
    fn malformed_files_name_file_and_field() {
        let e = VendorProfile::from_json("acme.json", "{").unwrap_err();
        assert_eq!(e.file, "acme.json");
        assert!(e.field.contains("line"), "{e}");

        let mut v = camunda_json();
        v.as_object_mut().unwrap().remove("next_step");
        let e = load(v).unwrap_err();
        assert_eq!(e.field, "next_step", "{e}");

        let mut v = camunda_json();
        v["colour"] = "blue".into();
        assert_eq!(load(v).unwrap_err().field, "colour");

        let mut v = camunda_json();
        v["statements"][0]["actions"] = serde_json::json!(["kms:*"]);
        let e = load(v).unwrap_err();
        assert_eq!(e.field, "statements[0].actions");
        assert!(e.to_string().contains("acme.json"));

        let mut v = camunda_json();
        v["statements"][1]["actions"] = serde_json::json!(["kms:PutKeyPolicy"]);
        assert_eq!(load(v).unwrap_err().field, "statements[1].actions");

        let mut v = camunda_json();
        v["regions"][0]["code"] = "europe".into();
        assert_eq!(load(v).unwrap_err().field, "regions[0].code");

        let mut v = camunda_json();
        v["id"] = "Camunda SaaS".into();
        assert_eq!(load(v).unwrap_err().field, "id");

        let mut v = camunda_json();
        v["statements"][1]["sid"] = v["statements"][0]["sid"].clone();
        assert_eq!(load(v).unwrap_err().field, "statements[1].sid");

        let mut v = camunda_json();
        v["dual_region"]["recommended"] = "single".into();
        assert_eq!(load(v).unwrap_err().field, "dual_region.recommended");

        let mut v = camunda_json();
        v["principal"]["kind"] = "account-root-by-region".into();
        assert_eq!(load(v).unwrap_err().field, "principal.kind");
    }

    #[test]
    fn a_file_replaces_or_adds() {
        let dir = std::env::temp_dir().join(format!("byok-vendor-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut v = camunda_json();
        v["id"] = "acme".into();
        v["name"] = "Acme".into();
        let path = dir.join("acme.json");
        std::fs::write(&path, v.to_string()).unwrap();
        let c = Catalog::with_files(std::slice::from_ref(&path)).unwrap();
        assert_eq!(c.ids(), vec!["camunda", "gearset", "other", "acme"]);
        let e = Catalog::with_files(&[dir.join("missing.json")]).unwrap_err();
        assert!(e.to_string().contains("missing.json"));
    }
}
