//! What several proxy test files share: the proxy binary as a process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Starts `lyzr-chat-server proxy --listen 127.0.0.1:0 --upstream UPSTREAM
/// --allow-origin ORIGIN --allow-agent AGENT EXTRA...` with `key` as
/// `LYZR_API_KEY` and no other `LYZR_` variable from the test's own
/// environment. Returns its URL (the last word of its first line) and the
/// process; its stdout keeps being read, since a closed pipe would make the
/// binary's next line fail.
pub fn spawn_proxy(
    key: &str,
    origin: &str,
    agent: &str,
    upstream: &str,
    extra: &[&str],
    stderr: Stdio,
) -> (String, Child) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lyzr-chat-server"));
    for (name, _) in std::env::vars() {
        if name.starts_with("LYZR_") {
            cmd.env_remove(name);
        }
    }
    let mut child = cmd
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            upstream,
            "--allow-origin",
            origin,
            "--allow-agent",
            agent,
        ])
        .args(extra)
        .env("LYZR_API_KEY", key)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let url = first.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    (url, child)
}
