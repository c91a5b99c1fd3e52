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
    let (status, _, body) = request_with_head(addr, method, path, headers, body);
    (status, body)
}

/// [`request`], also returning the response head (lower-cased).
fn request_with_head(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
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
    let (head, body) = response
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_ascii_lowercase(), b.to_string()))
        .unwrap_or_default();
    (status, head, body)
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
        "--allow-origin",
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

#[test]
fn only_its_own_origin_the_dev_origins_and_allow_origin_may_call_it() {
    let (_server, addr) = start(&[
        "--dist",
        "/nonexistent",
        "--allow-origin",
        "http://app.example:3000/",
    ]);
    let json = ("content-type", "application/json");
    let key = ("x-api-key", "lyzr-chat-demo-key");
    let own = format!("http://{addr}");
    for origin in [
        "http://app.example:3000",
        "http://127.0.0.1:8080",
        "http://localhost:8080",
    ] {
        let (status, head, body) =
            request_with_head(&addr, "POST", CHAT, &[json, key, ("origin", origin)], VALID);
        assert_eq!(status, 200, "{origin}: {body}");
        assert!(
            head.contains(&format!("access-control-allow-origin: {origin}")),
            "{origin}: {head}"
        );
        // The preflight a cross-origin JSON POST needs.
        let (status, head, _) = request_with_head(
            &addr,
            "OPTIONS",
            CHAT,
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type,x-api-key"),
            ],
            "",
        );
        assert_eq!(status, 200, "{origin} preflight");
        assert!(head.contains("access-control-allow-headers"), "{head}");
    }
    let (status, head, body) =
        request_with_head(&addr, "POST", CHAT, &[json, key, ("origin", &own)], VALID);
    assert_eq!(status, 200, "own origin: {body}");
    assert!(!head.contains("access-control-allow-origin: *"), "{head}");

    for (method, headers) in [
        ("POST", vec![json, key, ("origin", "https://evil.example")]),
        (
            "OPTIONS",
            vec![
                ("origin", "https://evil.example"),
                ("access-control-request-method", "POST"),
            ],
        ),
    ] {
        let (status, head, body) = request_with_head(&addr, method, CHAT, &headers, VALID);
        assert_eq!(status, 403, "{method}: {body}");
        assert!(!head.contains("access-control-allow-origin"), "{head}");
        assert!(
            body.contains("--allow-origin https://evil.example"),
            "{body}"
        );
    }
    // Not a browser: no Origin, no gate.
    let (status, _) = request(&addr, "POST", CHAT, &[json, key], VALID);
    assert_eq!(status, 200);
}

#[test]
fn a_bad_allow_origin_is_a_clear_error() {
    let out = Command::new(BIN)
        .args(["--allow-origin", "localhost:3000"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--allow-origin"), "{err}");
    assert!(err.contains("starts with http://"), "{err}");
}
