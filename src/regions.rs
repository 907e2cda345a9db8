//! AWS Regions byok offers, with the names the AWS console shows.

/// (code, name) of the commercial Regions plus the China and GovCloud partitions.
pub const REGIONS: &[(&str, &str)] = &[
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
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
}
