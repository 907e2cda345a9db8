//! AWS Regions byok offers, with the names the AWS console shows.
//!
//! The table follows the endpoint data of the AWS SDK byok is built with: a test
//! (`the_table_follows_the_sdks_endpoint_data`) reads the partitions baked into the locked
//! aws-sdk-kms and fails when the SDK knows a Region of a partition byok serves that this
//! table lacks (or names it differently), or lists one the SDK does not know.

/// The partitions byok serves. The ISO partitions (air-gapped, `aws-iso*`) are left out on
/// purpose: their endpoints are not reachable from where byok runs.
pub const PARTITIONS: &[&str] = &["aws", "aws-cn", "aws-us-gov", "aws-eusc"];

/// (code, name) of the commercial Regions plus the China, GovCloud and European Sovereign
/// Cloud partitions.
pub const REGIONS: &[(&str, &str)] = &[
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-east-2", "Asia Pacific (Taipei)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)"),
    ("ap-southeast-6", "Asia Pacific (New Zealand)"),
    ("ap-southeast-7", "Asia Pacific (Thailand)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("me-central-1", "Middle East (UAE)"),
    ("mx-central-1", "Mexico (Central)"),
    ("sa-east-1", "South America (Sao Paulo)"),
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("eusc-de-east-1", "AWS European Sovereign Cloud (Germany)"),
];

/// The console name of a Region, if byok knows it.
pub fn region_name(code: &str) -> Option<&'static str> {
    REGIONS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// Whether byok knows the Region: it is in [`REGIONS`].
pub fn is_known(code: &str) -> bool {
    region_name(code).is_some()
}

/// The `candidates` nearest to what was typed, for a "did you mean": those at the smallest
/// edit distance, if it is at most 2 (a wrong, missing, extra or two swapped characters count
/// one each; case is ignored). Empty when nothing is that close.
pub fn nearest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let typed: Vec<char> = input.trim().to_lowercase().chars().collect();
    let mut best = 2;
    let mut out = Vec::new();
    for c in candidates {
        let code: Vec<char> = c.chars().collect();
        // The distance is at least the difference in length.
        if typed.len().abs_diff(code.len()) > best {
            continue;
        }
        let d = edit_distance(&typed, &code);
        if d > best {
            continue;
        }
        if d < best {
            best = d;
            out.clear();
        }
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// "did you mean eu-west-1?", "did you mean us-east-1 or us-east-2?"; None for no candidate.
pub fn did_you_mean(candidates: &[&str]) -> Option<String> {
    let (last, rest) = candidates.split_last()?;
    Some(if rest.is_empty() {
        format!("did you mean {last}?")
    } else {
        format!("did you mean {} or {last}?", rest.join(", "))
    })
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// adjacent characters.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=m).collect();
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// The ARN partition a Region belongs to.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("eusc-") {
        "aws-eusc"
    } else {
        "aws"
    }
}

/// "Europe (Ireland) eu-west-1", or the bare code for a Region byok does not name.
pub fn describe(code: &str) -> String {
    match region_name(code) {
        Some(name) => format!("{name} {code}"),
        None => code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(partition_of("eu-west-1"), "aws");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("eusc-de-east-1"), "aws-eusc");
        for (code, _) in REGIONS {
            assert!(PARTITIONS.contains(&partition_of(code)), "{code}");
            assert!(crate::arn::is_region_code(code), "{code}");
        }
        assert_eq!(describe("eu-west-2"), "Europe (London) eu-west-2");
        assert_eq!(describe("xx-test-9"), "xx-test-9");
    }

    fn known() -> impl Iterator<Item = &'static str> {
        REGIONS.iter().map(|(c, _)| *c)
    }

    #[test]
    fn the_nearest_known_region_of_a_typo() {
        assert!(is_known("eu-west-1") && !is_known("eu-wset-1") && !is_known("us-east-7"));
        // Swapped, wrong, missing and extra characters; case.
        assert_eq!(nearest("eu-wset-1", known()), ["eu-west-1"]);
        assert_eq!(nearest("eu-wes-1", known()), ["eu-west-1"]);
        assert_eq!(nearest("euwest-1", known()), ["eu-west-1"]);
        assert_eq!(nearest("eu-wesst-1", known()), ["eu-west-1"]);
        assert_eq!(nearest("EU-WEST-1", known()), ["eu-west-1"]);
        assert_eq!(nearest(" eu-centrl-1 ", known()), ["eu-central-1"]);
        assert_eq!(nearest("ap-southeast-22", known()), ["ap-southeast-2"]);
        // Two as near as each other: both.
        assert_eq!(nearest("us-east-7", known()), ["us-east-1", "us-east-2"]);
        // Nothing close, or nothing at all.
        assert!(nearest("moon-base-1", known()).is_empty());
        assert!(nearest("", known()).is_empty());
        assert!(nearest(&"eu-west-1".repeat(5000), known()).is_empty());
        assert_eq!(did_you_mean(&[]), None);
        assert_eq!(
            did_you_mean(&["eu-west-1"]).as_deref(),
            Some("did you mean eu-west-1?")
        );
        assert_eq!(
            did_you_mean(&["a", "b", "c"]).as_deref(),
            Some("did you mean a, b or c?")
        );
    }

    /// The endpoint data (partitions and their Regions) baked into the aws-sdk-kms that
    /// Cargo.lock pins, read from its source in cargo's registry.
    fn sdk_partitions() -> serde_json::Value {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let lock = std::fs::read_to_string(root.join("Cargo.lock")).expect("Cargo.lock");
        let version = lock
            .split("[[package]]")
            .find(|p| p.contains("name = \"aws-sdk-kms\""))
            .and_then(|p| p.split("version = \"").nth(1))
            .and_then(|v| v.split('"').next())
            .expect("aws-sdk-kms in Cargo.lock");
        let home = std::env::var_os("CARGO_HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo")
            });
        let registries = home.join("registry/src");
        let source = std::fs::read_dir(&registries)
            .unwrap_or_else(|e| panic!("{}: {e}", registries.display()))
            .filter_map(|d| d.ok())
            .map(|d| {
                d.path()
                    .join(format!("aws-sdk-kms-{version}/src/endpoint_lib.rs"))
            })
            .find(|p| p.exists())
            .unwrap_or_else(|| {
                panic!(
                    "aws-sdk-kms {version}'s source under {}",
                    registries.display()
                )
            });
        let text = std::fs::read_to_string(&source).expect("endpoint_lib.rs");
        // The default partitions: the byte-string literal after "loading default partitions".
        let literal = text
            .split("loading default partitions")
            .nth(1)
            .and_then(|t| t.split("new_from_json(b\"").nth(1))
            .and_then(|t| t.split("\").expect").next())
            .expect("the partition JSON in endpoint_lib.rs");
        let json = literal.replace("\\\"", "\"").replace("\\\\", "\\");
        serde_json::from_str(&json).expect("the partition JSON parses")
    }

    #[test]
    fn the_table_follows_the_sdks_endpoint_data() {
        let data = sdk_partitions();
        let mut sdk = Vec::new();
        for p in data["partitions"].as_array().expect("partitions") {
            let id = p["id"].as_str().unwrap();
            if !PARTITIONS.contains(&id) {
                assert!(
                    id.starts_with("aws-iso"),
                    "the SDK knows partition {id}, which byok neither serves nor leaves out on purpose: add it to PARTITIONS and its Regions to REGIONS"
                );
                continue;
            }
            for (code, r) in p["regions"].as_object().unwrap() {
                // `aws-global` and the like name a partition's global endpoint, not a Region.
                if code.ends_with("-global") {
                    continue;
                }
                let name = r["description"].as_str().unwrap_or_default().to_string();
                sdk.push((code.clone(), name));
                assert_eq!(partition_of(code), id, "{code}");
            }
        }
        for (code, name) in &sdk {
            assert_eq!(
                region_name(code),
                Some(name.as_str()),
                "the SDK knows the Region {code} ({name}): add it to REGIONS"
            );
        }
        for (code, _) in REGIONS {
            assert!(
                sdk.iter().any(|(c, _)| c == code),
                "REGIONS lists {code}, which the SDK does not know"
            );
        }
    }
}
