//! Build step of the widget: `style/widget.css` minified into `OUT_DIR`
//! (comments and layout whitespace out; strings kept as written), which
//! `src/embed/styles.rs` puts into the wasm. The source stays readable.

use std::{env, fs, path::Path};

fn main() {
    let source = "style/widget.css";
    println!("cargo:rerun-if-changed={source}");
    let css = fs::read_to_string(source).expect("style/widget.css is readable");
    split();
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("widget.css");
    fs::write(out, minify_css(&css)).expect("OUT_DIR is writable");
}

/// Release builds for the browser split the markdown renderer into a wasm
/// chunk of its own (src/markdown/lazy.rs, cfg `lyzr_split`), which
/// scripts/post-build.sh cuts out with wasm-split. wasm-split reads the
/// linker's relocations: `--emit-relocs` for this crate's cdylib only (a
/// link argument, so no dependency is rebuilt, as RUSTFLAGS would).
/// `LYZR_CHAT_SPLIT=0` builds one wasm, as before (to compare).
fn split() {
    println!("cargo:rustc-check-cfg=cfg(lyzr_split)");
    println!("cargo:rerun-if-env-changed=LYZR_CHAT_SPLIT");
    let wasm = env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32");
    let off = env::var("LYZR_CHAT_SPLIT").as_deref() == Ok("0");
    if wasm && env::var("PROFILE").as_deref() == Ok("release") && !off {
        println!("cargo:rustc-cfg=lyzr_split");
        println!("cargo:rustc-link-arg-cdylib=--emit-relocs");
    }
}

/// Drops comments, turns each run of whitespace into one space, and drops
/// the space next to `{`, `}`, `;`, before `,`, after `:` and `,`, and a
/// `;` before `}`. Quoted strings are copied as they are. A space before
/// `:` stays (in `.a :is(.b)` it means something).
fn minify_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut space = false;
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                space = true;
            }
            c if c.is_whitespace() => space = true,
            '"' | '\'' => {
                push_space(&mut out, &mut space);
                out.push(c);
                while let Some(s) = chars.next() {
                    out.push(s);
                    if s == '\\' {
                        if let Some(escaped) = chars.next() {
                            out.push(escaped);
                        }
                    } else if s == c {
                        break;
                    }
                }
            }
            '{' | '}' | ';' => {
                space = false;
                if c == '}' && out.ends_with(';') {
                    out.pop();
                }
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push(c);
            }
            ',' => {
                space = false;
                out.push(c);
            }
            c => {
                push_space(&mut out, &mut space);
                out.push(c);
            }
        }
    }
    out
}

/// Writes a pending space unless it follows `{`, `}`, `;`, `:` or `,`.
fn push_space(out: &mut String, space: &mut bool) {
    if std::mem::take(space) && !out.is_empty() && !out.ends_with(['{', '}', ';', ':', ',']) {
        out.push(' ');
    }
}
