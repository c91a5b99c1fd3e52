//! axe-core for the end-to-end tests: fetched from npm the first time a test
//! needs it (`npm pack`, kept in `target/axe/`, never committed), put into
//! the page under test and run over the whole document, the widget's open
//! shadow roots included.

use crate::{workspace_root, Harness};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The axe-core release the tests run (pinned: a new release may add rules).
pub const AXE_VERSION: &str = "4.14.1";

/// axe-core's browser build, fetched once and cached in `target/axe/`.
pub fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let file = fetch_axe();
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()))
    })
}

fn fetch_axe() -> PathBuf {
    let dir = workspace_root().join("target/axe");
    let unpacked = dir.join(format!("axe-core-{AXE_VERSION}"));
    let file = unpacked.join("axe.min.js");
    if file.is_file() {
        return file;
    }
    // Unpacked beside, then renamed into place: another test binary running
    // at the same time never sees half a package.
    let scratch = dir.join(format!("fetch-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("create target/axe");
    let run = |command: &mut Command, what: &str| {
        let out = command
            .current_dir(&scratch)
            .output()
            .unwrap_or_else(|e| panic!("{what}: {e} (is npm installed? see scripts/setup.sh)"));
        assert!(
            out.status.success(),
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        Command::new("npm").args(["pack", "--silent", &format!("axe-core@{AXE_VERSION}")]),
        "npm pack axe-core",
    );
    run(
        Command::new("tar").args(["-xzf", &format!("axe-core-{AXE_VERSION}.tgz")]),
        "unpack axe-core",
    );
    if std::fs::rename(scratch.join("package"), &unpacked).is_err() {
        assert!(
            file.is_file(),
            "could not put axe-core in {}",
            unpacked.display()
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
    file
}

/// What axe found: its `violations`, and how many nodes its rules checked
/// (passed or not) inside shadow roots.
#[derive(Debug, Clone)]
pub struct AxeReport {
    pub violations: Vec<Value>,
    pub shadow_nodes_checked: u64,
}

impl AxeReport {
    /// One line per violation: rule, impact, and where.
    pub fn summary(&self) -> String {
        self.violations
            .iter()
            .map(|v| {
                let targets: Vec<String> = v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|n| format!("{} {}", n["target"], n["failureSummary"]))
                    .collect();
                format!(
                    "{} ({}): {}\n    {}",
                    v["id"].as_str().unwrap_or("?"),
                    v["impact"].as_str().unwrap_or("?"),
                    v["help"].as_str().unwrap_or(""),
                    targets.join("\n    ")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Harness {
    /// Runs axe-core (every rule of its default set) over the page as it is
    /// now, shadow roots included, injecting it first if the page has none.
    pub async fn axe(&self) -> AxeReport {
        let present = self.js("return typeof window.axe === 'object'").await;
        if present != json!(true) {
            self.client
                .execute(&format!("{}\n;return true;", axe_source()), vec![])
                .await
                .expect("inject axe-core");
        }
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document).then(r => {\
                   const inShadow = n => Array.isArray(n.target[0]);\
                   const count = list => list.reduce((s, rule) => s + rule.nodes.filter(inShadow).length, 0);\
                   done({violations: r.violations,\
                         shadow: count(r.passes) + count(r.violations) + count(r.incomplete)});\
                 }, e => done({error: String(e)}));",
                vec![],
            )
            .await
            .expect("run axe-core");
        assert!(
            result["error"].is_null(),
            "axe-core failed: {}",
            result["error"]
        );
        AxeReport {
            violations: result["violations"].as_array().cloned().unwrap_or_default(),
            shadow_nodes_checked: result["shadow"].as_u64().unwrap_or(0),
        }
    }

    /// Fails the test, listing them, if axe finds any violation now.
    pub async fn assert_accessible(&self, state: &str) -> AxeReport {
        let report = self.axe().await;
        assert!(
            report.violations.is_empty(),
            "axe-core found violations in state `{state}`:\n{}",
            report.summary()
        );
        assert!(
            report.shadow_nodes_checked > 0,
            "state `{state}`: axe checked nothing inside the widget's shadow root"
        );
        report
    }
}
