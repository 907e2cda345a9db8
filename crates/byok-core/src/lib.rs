//! byok's core: set up a customer-managed AWS KMS key for a SaaS vendor's BYOK feature.
//!
//! `Answers -> Policy -> Plan -> Executor -> KeyService`, and `byok status` over the same
//! services. The command line and the terminal screens are views over it, in the `byok`
//! crate; this crate's manifest has no terminal library, so nothing here can draw.

pub mod alerts;
pub mod answers;
pub mod arn;
pub mod debug;
pub mod error;
pub mod exec;
pub mod export;
pub mod journal;
pub mod kms;
pub mod org;
pub mod plan;
pub mod policy;
pub mod principal;
pub mod record;
pub mod regions;
pub mod role;
pub mod sanitize;
pub mod status;
pub mod vendor;

/// The core's modules import one another in one direction only: no cycle, so each can be
/// read, tested and changed from the ones below it (the README's Design section lists the
/// order). Read from the sources: `crate::NAME` outside tests and comments.
#[cfg(test)]
mod design {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    fn graph() -> BTreeMap<String, BTreeSet<String>> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
        let modules: BTreeSet<String> = lib
            .lines()
            .filter_map(|l| l.strip_prefix("pub mod "))
            .map(|l| l.trim_end_matches(';').to_string())
            .collect();
        let mut all = Vec::new();
        files(&src, &mut all);
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for p in all {
            let rel = p.strip_prefix(&src).unwrap();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string();
            if !modules.contains(&top) || rel.ends_with("tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            let e = edges.entry(top.clone()).or_default();
            for line in code.lines() {
                let line = line.split("//").next().unwrap();
                for part in line.split("crate::").skip(1) {
                    let names: Vec<&str> = match part.strip_prefix('{') {
                        Some(group) => group
                            .split('}')
                            .next()
                            .unwrap()
                            .split(',')
                            .map(|n| n.trim().split("::").next().unwrap())
                            .collect(),
                        None => vec![
                            part.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                                .next()
                                .unwrap(),
                        ],
                    };
                    for n in names {
                        if modules.contains(n) && n != top {
                            e.insert(n.to_string());
                        }
                    }
                }
            }
        }
        edges
    }

    #[test]
    fn the_core_has_no_import_cycle() {
        let g = graph();
        assert!(g.len() > 10, "{g:?}");
        // Depth-first, with the path: a module met again on the path closes a cycle.
        fn visit(
            g: &BTreeMap<String, BTreeSet<String>>,
            m: &str,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) {
            if let Some(i) = path.iter().position(|p| p == m) {
                panic!("import cycle: {} -> {m}", path[i..].join(" -> "));
            }
            if done.contains(m) {
                return;
            }
            path.push(m.to_string());
            for n in g.get(m).into_iter().flatten() {
                visit(g, n, path, done);
            }
            path.pop();
            done.insert(m.to_string());
        }
        let mut done = BTreeSet::new();
        for m in g.keys() {
            visit(&g, m, &mut Vec::new(), &mut done);
        }
    }
}
