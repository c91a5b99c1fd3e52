//! `--cpu-profile DIR`: what the page's main thread ran while the bench
//! sent its first message (CDP `Profiler`, sampled every 0.1 ms). Each run's
//! profile is written as a `.cpuprofile` (Chromium's DevTools open it), and
//! the longest stretch without an idle sample (the send's task, usually) is
//! summed up by function on stderr. The wasm's functions have names only in
//! a build that kept them (`LYZR_CHAT_NAMES=1 trunk build --release`).

use crate::cdp::Session;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;

/// Starts sampling the page's main thread, when profiles are asked for.
pub async fn start(s: &Session, dir: Option<&Path>) {
    if dir.is_some() {
        s.cdp("Profiler.enable", json!({})).await;
        s.cdp("Profiler.setSamplingInterval", json!({ "interval": 100 }))
            .await;
        s.cdp("Profiler.start", json!({})).await;
    }
}

/// Stops sampling and saves the profile as `dir/stem-N.cpuprofile`.
pub async fn stop(s: &Session, dir: Option<&Path>, stem: &str) {
    if let Some(dir) = dir {
        let stopped = s.cdp("Profiler.stop", json!({})).await;
        save(dir, stem, &stopped["profile"]);
    }
}

/// Writes `profile` to `dir/stem-N.cpuprofile` (the first free N) and
/// prints its three longest busy stretches by self time.
fn save(dir: &Path, stem: &str, profile: &Value) {
    let _ = std::fs::create_dir_all(dir);
    let path = (1..)
        .map(|n| dir.join(format!("{stem}-{n}.cpuprofile")))
        .find(|p| !p.exists())
        .expect("a free name");
    match std::fs::write(&path, profile.to_string()) {
        Ok(()) => eprintln!("  cpu profile written to {}", path.display()),
        Err(e) => eprintln!("  could not write {}: {e}", path.display()),
    }
    summary(profile);
}

/// The three longest runs of non-idle samples, and the functions with the
/// most self time in each.
fn summary(profile: &Value) {
    let empty = Vec::new();
    let nodes = profile["nodes"].as_array().unwrap_or(&empty);
    let name: HashMap<u64, String> = nodes
        .iter()
        .filter_map(|n| {
            let frame = &n["callFrame"];
            let function = frame["functionName"].as_str().unwrap_or("");
            let url = frame["url"].as_str().unwrap_or("");
            let file = url.rsplit('/').next().unwrap_or("");
            let label = match (function, file) {
                ("", "") => "(anonymous)".to_string(),
                ("", f) => format!("(anonymous) {f}"),
                (g, "") => g.to_string(),
                (g, f) => format!("{g} {f}"),
            };
            Some((n["id"].as_u64()?, label))
        })
        .collect();
    let samples: Vec<u64> = profile["samples"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    let deltas: Vec<f64> = profile["timeDeltas"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|d| d.as_f64().unwrap_or(0.0) / 1000.0)
        .collect();
    // A sample's time is the gap to the next one.
    let time = |i: usize| deltas.get(i + 1).copied().unwrap_or(0.0);
    let idle = |i: usize| name.get(&samples[i]).is_some_and(|n| n == "(idle)");
    // Stretches of non-idle samples: (first, end, ms).
    let mut stretches = Vec::new();
    let (mut start, mut length) = (None, 0.0);
    for i in 0..=samples.len() {
        if i < samples.len() && !idle(i) {
            start.get_or_insert(i);
            length += time(i);
        } else if let Some(s) = start.take() {
            stretches.push((s, i, length));
            length = 0.0;
        }
    }
    stretches.sort_by(|a, b| b.2.total_cmp(&a.2));
    for &(first, end, ms) in stretches.iter().take(3) {
        let mut by_function: HashMap<&str, f64> = HashMap::new();
        for (i, sample) in samples.iter().enumerate().take(end).skip(first) {
            if let Some(n) = name.get(sample) {
                *by_function.entry(n).or_default() += time(i);
            }
        }
        let mut top: Vec<_> = by_function.into_iter().collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        let at: f64 =
            deltas.iter().take(first + 1).sum::<f64>() - deltas.first().copied().unwrap_or(0.0);
        eprintln!(
            "  busy stretch of {ms:.1} ms, {at:.0} ms into the profile; self time by function:"
        );
        for (function, ms) in top.iter().take(12) {
            eprintln!("    {ms:7.2} ms  {function}");
        }
    }
}
