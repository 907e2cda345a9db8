// Puts the built-in vendor profiles' versions into `byok --version`: every file of
// assets/vendors/, so a new profile needs no change here.
fn main() {
    println!("cargo:rerun-if-changed=assets/vendors");
    let mut names: Vec<String> = std::fs::read_dir("assets/vendors")
        .expect("assets/vendors")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
        .collect();
    // Alphabetical, "other" last (it is not a vendor).
    names.sort_by_key(|n| (n == "other", n.clone()));
    let mut parts = Vec::new();
    for name in names {
        let path = format!("assets/vendors/{name}.json");
        println!("cargo:rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path).expect("vendor profile");
        let version = text
            .split("\"version\"")
            .nth(1)
            .and_then(|s| s.split('"').nth(1))
            .unwrap_or("?");
        parts.push(format!("{name} {version}"));
    }
    println!("cargo:rustc-env=BYOK_PROFILE_VERSIONS={}", parts.join(", "));
}
