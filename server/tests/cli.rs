//! The `lyzr-chat-server` binary's command-line face: flags, help, and a
//! real round trip over TCP with the key and folder given on the command line.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lyzr-chat-server");

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free port; returns it and its `host:port`.
fn start(args: &[&str]) -> (Server, String) {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start lyzr-chat-server");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // Keep reading, so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let addr = first
        .trim()
        .rsplit("http://")
        .next()
        .expect("first line names the URL")
        .to_string();
    (Server(child), addr)
}

/// One HTTP/1.1 request; returns (status, body).
fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

const CHAT: &str = "/v3/inference/chat/";
const VALID: &str = r#"{"user_id":"u","agent_id":"a","session_id":"a-1","message":"hi"}"#;

#[test]
fn help_documents_every_flag() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--listen",
        "--api-key",
        "--dist",
        "127.0.0.1:8787",
        "lyzr-chat-demo-key",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
}

#[test]
fn api_key_flag_sets_the_accepted_key() {
    let (_server, addr) = start(&["--api-key", "custom-key", "--dist", "/nonexistent"]);
    let json = ("content-type", "application/json");
    let (status, body) = request(
        &addr,
        "POST",
        CHAT,
        &[json, ("x-api-key", "custom-key")],
        VALID,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"response\""), "{body}");
    let (status, body) = request(
        &addr,
        "POST",
        CHAT,
        &[json, ("x-api-key", "lyzr-chat-demo-key")],
        VALID,
    );
    assert_eq!(status, 401, "{body}");
    assert!(
        !body.contains("custom-key"),
        "the key is never echoed: {body}"
    );
}

#[test]
fn dist_flag_serves_that_folder_or_explains_it_is_missing() {
    let dir = std::env::temp_dir().join(format!("lyzr-chat-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<p>demo page marker</p>").unwrap();
    let (_server, addr) = start(&["--dist", dir.to_str().unwrap()]);
    let (status, body) = request(&addr, "GET", "/", &[], "");
    assert_eq!(status, 200);
    assert!(body.contains("demo page marker"));
    drop(_server);

    let (_server, addr) = start(&["--dist", "/nonexistent"]);
    let (status, body) = request(&addr, "GET", "/", &[], "");
    assert_eq!(status, 503);
    assert!(body.contains("trunk build"), "{body}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_listen_address_is_a_clear_error() {
    let out = Command::new(BIN)
        .args(["--listen", "not-an-address"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--listen"), "{err}");
}
