//! `lyzr-chat-bench`: loads the release widget and deep-chat 2.4.2 on
//! equivalent host pages in headless Chromium, driven over WebDriver with CDP
//! commands sent through chromedriver's `goog/cdp/execute`, and prints the
//! median, min and max of each measure over N runs, with the ratio ours /
//! deep-chat. Run it with `bash scripts/bench.sh` (which builds the bundle,
//! fetches deep-chat from npm and compresses both with brotli).
//!
//! Every run of every scenario gets a new browser session with a fresh
//! profile and the cache disabled; the throttled profile adds 4x CPU
//! throttling and a 150 ms / 1.6 Mbit/s / 750 kbit/s network.

mod cdp;
mod profile;
mod report;
mod scenarios;
mod site;

use report::{Profile, Results};
use std::path::PathBuf;

/// Command-line options.
#[derive(Debug, Clone)]
pub struct Args {
    pub runs: usize,
    pub profiles: Vec<Profile>,
    pub site: PathBuf,
    pub out: PathBuf,
    /// Scenarios to run (`--only`); all when empty.
    pub only: Vec<String>,
    /// Print each run's long tasks and load phases to stderr (`--verbose`).
    pub verbose: bool,
    /// Sample the load and the first send of the page open at load, and the
    /// 10,000-token answer, with CDP's profiler and write each run's
    /// profiles here (`--cpu-profile DIR`).
    pub cpu_profile: Option<PathBuf>,
}

const USAGE: &str =
    "usage: lyzr-chat-bench --site DIR [--runs N] [--profile normal|throttled|both] \
     [--only open,idle,long,stream,deep] [--verbose] [--cpu-profile DIR] [--out FILE]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        runs: 3,
        profiles: vec![Profile::Normal, Profile::Throttled],
        site: PathBuf::new(),
        out: PathBuf::from("target/bench/results.md"),
        only: Vec::new(),
        verbose: false,
        cpu_profile: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--runs" => {
                let v = value("--runs")?;
                args.runs = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("--runs must be a positive number, not {v:?}"))?;
            }
            "--profile" => {
                args.profiles = match value("--profile")?.as_str() {
                    "normal" => vec![Profile::Normal],
                    "throttled" => vec![Profile::Throttled],
                    "both" => vec![Profile::Normal, Profile::Throttled],
                    other => {
                        return Err(format!(
                            "--profile must be normal, throttled or both, not {other:?}"
                        ))
                    }
                }
            }
            "--site" => args.site = PathBuf::from(value("--site")?),
            "--out" => args.out = PathBuf::from(value("--out")?),
            "--only" => {
                args.only = value("--only")?.split(',').map(str::to_string).collect();
                if let Some(bad) = args
                    .only
                    .iter()
                    .find(|s| !scenarios::NAMES.contains(&s.as_str()))
                {
                    return Err(format!(
                        "--only takes scenarios among {}, not {bad:?}",
                        scenarios::NAMES.join(", ")
                    ));
                }
            }
            "--verbose" => args.verbose = true,
            "--cpu-profile" => args.cpu_profile = Some(PathBuf::from(value("--cpu-profile")?)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.site.as_os_str().is_empty() {
        return Err(format!("--site is required\n{USAGE}"));
    }
    Ok(args)
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("lyzr-chat-bench: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = site::check(&args.site) {
        eprintln!("lyzr-chat-bench: {e}");
        std::process::exit(1);
    }
    let server = site::Server::start(&args.site).await;
    let driver = cdp::Driver::start().await;
    let mut results = Results::default();
    for &profile in &args.profiles {
        for run in 1..=args.runs {
            eprintln!("[{profile}] run {run}/{}", args.runs);
            scenarios::run_all(&driver, &server.base_url, profile, &args, &mut results).await;
        }
    }
    let table = results.markdown(&args.profiles, args.runs);
    println!("{table}");
    if let Some(dir) = args.out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&args.out, &table) {
        Ok(()) => eprintln!("table written to {}", args.out.display()),
        Err(e) => eprintln!("could not write {}: {e}", args.out.display()),
    }
    driver.stop();
    server.stop();
}
