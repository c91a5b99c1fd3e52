//! Attachments end to end: files attached by the picker, by drop and by
//! paste; upload progress; the server storing the files and the message
//! carrying their asset ids; refusals naming the rule; an upload fault
//! leaving the message unsent with its text and files kept.

use fantoccini::elements::ShadowRoot;
use fantoccini::Locator;
use lyzr_chat_e2e::{workspace_root, Harness, WAIT};
use lyzr_chat_server::DEMO_API_KEY;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Writes a file of `size` bytes (a recognisable pattern) for the picker.
fn fixture(name: &str, size: usize) -> PathBuf {
    let dir = workspace_root().join("target/e2e-scratch/attachments");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let bytes: Vec<u8> = name.bytes().cycle().take(size).collect();
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Picks `files` with the paperclip's file input (WebDriver sends the paths).
async fn pick(root: &ShadowRoot, files: &[PathBuf]) {
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    root.find(Locator::Css(".lc-file-input"))
        .await
        .expect("the file input")
        .send_keys(&paths.join("\n"))
        .await
        .expect("pick files");
}

/// A DataTransfer holding in-page files: `[name, mime, text]` triples.
const MAKE_TRANSFER: &str = "const dt = new DataTransfer();\
    for (const [name, type, text] of arguments[0]) dt.items.add(new File([text], name, {type}));";

/// Drops files onto the panel, as a drag from the desktop would.
async fn drop_files(h: &Harness, files: serde_json::Value) {
    h.client
        .execute(
            &format!(
                "{MAKE_TRANSFER}\
                 const panel = document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-panel');\
                 const init = {{dataTransfer: dt, bubbles: true, cancelable: true, composed: true}};\
                 panel.dispatchEvent(new DragEvent('dragenter', init));\
                 panel.dispatchEvent(new DragEvent('dragover', init));\
                 panel.dispatchEvent(new DragEvent('drop', init));"
            ),
            vec![files],
        )
        .await
        .expect("drop files");
}

/// Pastes files into the composer, as a screenshot pasted from the clipboard.
async fn paste_files(h: &Harness, files: serde_json::Value) {
    h.client
        .execute(
            &format!(
                "{MAKE_TRANSFER}\
                 const input = document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-input');\
                 input.dispatchEvent(new ClipboardEvent('paste', {{clipboardData: dt, bubbles: true, cancelable: true, composed: true}}));"
            ),
            vec![files],
        )
        .await
        .expect("paste files");
}

/// A fresh page: storage cleared, widget open.
async fn fresh(h: &Harness) -> ShadowRoot {
    h.goto("/").await;
    h.js("localStorage.clear(); sessionStorage.clear()").await;
    h.open_widget().await
}

async fn chip_names(h: &Harness, root: &ShadowRoot) -> Vec<String> {
    h.texts(root, ".lc-chip .lc-chip-name").await
}

async fn wait_answers(h: &Harness, root: &ShadowRoot, n: usize) -> Vec<String> {
    h.wait_for_count(root, ".lc-agent:not(.lc-pending):not(.lc-streaming)", n)
        .await;
    h.texts(root, ".lc-agent:not(.lc-pending) .lc-text").await
}

#[tokio::test]
async fn files_by_picker_drop_and_paste_upload_with_progress_and_go_with_the_message() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;

    // 1. Picker: a 6 MB PDF, read by the server at 2 MB/s so progress shows.
    let pdf = fixture("report.pdf", 6 * 1024 * 1024);
    pick(&root, std::slice::from_ref(&pdf)).await;
    h.wait_for_count(&root, ".lc-chip", 1).await;
    // 2. Drop: a PNG from the desktop.
    drop_files(
        &h,
        json!([["diagram.png", "image/png", "not really a png"]]),
    )
    .await;
    h.wait_for_count(&root, ".lc-chip", 2).await;
    // 3. Paste: a screenshot from the clipboard, while the text is typed.
    paste_files(&h, json!([["pasted.webp", "image/webp", "webp bytes"]])).await;
    h.wait_for_count(&root, ".lc-chip", 3).await;
    assert_eq!(
        chip_names(&h, &root).await,
        ["report.pdf", "diagram.png", "pasted.webp"]
    );
    let sizes = h.texts(&root, ".lc-chip .lc-chip-size").await;
    assert_eq!(sizes, ["6 MB", "16 bytes", "10 bytes"]);
    assert!(
        h.has(&root, ".lc-chip-remove[aria-label='Remove report.pdf']")
            .await
    );
    assert!(
        h.texts(&root, ".lc-refusal").await.is_empty(),
        "nothing refused"
    );
    h.screenshot("attachments-attached").await;

    h.stats.uploads().script("rate=2000000 times=1").unwrap();
    let started = Instant::now();
    h.type_and_send(&root, "What do these show?").await;

    // Progress: the PDF's bar is seen part-way, between 1 and 99 %.
    let mut seen = Vec::new();
    loop {
        let bars = root
            .find_all(Locator::Css(".lc-chip-progress"))
            .await
            .unwrap_or_default();
        if let Some(bar) = bars.first() {
            if let Ok(Some(v)) = bar.attr("aria-valuenow").await {
                seen.push(v.parse::<u32>().unwrap());
            }
        }
        if seen.iter().any(|&v| (1..=99).contains(&v)) || started.elapsed() > WAIT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        seen.iter().any(|&v| (1..=99).contains(&v)),
        "an upload bar part-way: {seen:?}"
    );
    h.screenshot("attachments-uploading").await;

    let answers = wait_answers(&h, &root, 2).await;
    let reply = answers.last().unwrap();
    assert!(
        reply.contains("I received 3 files: report.pdf, diagram.png, pasted.webp."),
        "{reply}"
    );
    // The server stored the very bytes.
    let files = h.stats.uploads().files();
    let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
    assert_eq!(names, ["report.pdf", "diagram.png", "pasted.webp"]);
    assert_eq!(files[0].bytes, std::fs::read(&pdf).unwrap());
    assert_eq!(files[1].bytes, b"not really a png");
    assert_eq!(files[2].mime_type, "image/webp");
    assert_eq!(
        h.stats.uploads().posts(),
        1,
        "one upload request for the three"
    );
    // The message carried exactly their asset ids.
    let ids: Vec<String> = files.iter().map(|f| f.asset_id.clone()).collect();
    assert_eq!(h.stats.uploads().message_assets(), vec![ids]);
    assert_eq!(h.stats.message_posts(), 1);

    // The sent bubble lists its files; the tray is empty again.
    assert_eq!(
        h.texts(&root, ".lc-user .lc-sent-file").await,
        ["report.pdf", "diagram.png", "pasted.webp"]
    );
    assert!(h.has(&root, ".lc-tray[hidden]").await);
    assert_eq!(h.composer_text(&root).await, "");
    h.screenshot("attachments-sent").await;

    // The README's picture: a sent message with its files, and two more
    // attached to the next one (docs/attachments.png is a copy).
    drop_files(
        &h,
        json!([
            [
                "quarterly-figures.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "x".repeat(48_000)
            ],
            ["whiteboard.jpg", "image/jpeg", "y".repeat(350_000)]
        ]),
    )
    .await;
    h.wait_for_count(&root, ".lc-chip", 2).await;
    h.client
        .execute(
            "const i = document.querySelector('[data-lyzr-chat]').shadowRoot.querySelector('.lc-input');\
             i.value = 'And how do these compare?'; i.dispatchEvent(new Event('input'));\
             const users = i.getRootNode().querySelectorAll('.lc-user'); users[users.length - 1].scrollIntoView({block: 'start'});",
            vec![],
        )
        .await
        .unwrap();
    h.screenshot("attachments-readme").await;
    h.finish().await;
}

#[tokio::test]
async fn refused_files_name_the_rule_they_broke() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    let exe = fixture("report.exe", 100);
    let big = fixture("huge.pdf", 10 * 1024 * 1024 + 1);
    let fine = fixture("notes.txt", 50);
    pick(&root, &[exe, big, fine]).await;
    h.wait_for_count(&root, ".lc-refusal", 2).await;
    let refusals = h.texts(&root, ".lc-refusal").await;
    assert_eq!(
        refusals,
        [
            "report.exe: this type of file can't be sent; allowed: PDF, DOCX, PPTX, XLSX, XLS, CSV, TXT, JPG, JPEG, PNG, WEBP",
            "huge.pdf: this file is too big; the limit is 10 MB per file",
        ]
    );
    assert_eq!(chip_names(&h, &root).await, ["notes.txt"]);

    // Beyond the count: 10 more offered, 9 fit.
    let many: Vec<PathBuf> = (1..=10)
        .map(|i| fixture(&format!("page{i}.csv"), 20))
        .collect();
    pick(&root, &many).await;
    h.wait_for_count(&root, ".lc-chip", 10).await;
    assert_eq!(
        h.texts(&root, ".lc-refusal").await,
        ["page10.csv: not attached; a message can carry at most 10 files"]
    );
    // Removing one makes room again.
    root.find(Locator::Css(
        ".lc-chip-remove[aria-label='Remove notes.txt']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    h.wait_until("the chip to go", || async {
        chip_names(&h, &root).await.len() == 9
    })
    .await;
    assert!(!chip_names(&h, &root)
        .await
        .contains(&"notes.txt".to_string()));
    assert_eq!(
        h.stats.uploads().posts(),
        0,
        "nothing is uploaded before Send"
    );
    h.finish().await;
}

#[tokio::test]
async fn an_upload_fault_leaves_the_message_unsent_with_its_text_and_files() {
    let h = Harness::start(DEMO_API_KEY).await;
    let root = fresh(&h).await;
    pick(&root, &[fixture("a.pdf", 300), fixture("b.txt", 40)]).await;
    h.wait_for_count(&root, ".lc-chip", 2).await;

    // The whole upload fails.
    h.stats
        .uploads()
        .script("status=503 detail=\"storage is down\" times=1")
        .unwrap();
    h.type_and_send(&root, "Please read both").await;
    h.wait_for_count(&root, ".lc-error", 1).await;
    let error = h.texts(&root, ".lc-error").await.join(" ");
    assert!(error.contains("storage is down"), "{error}");
    assert!(h.has(&root, ".lc-retry").await && h.has(&root, ".lc-edit").await);
    assert_eq!(h.stats.message_posts(), 0, "no message without its files");
    assert_eq!(h.composer_text(&root).await, "Please read both");
    assert_eq!(chip_names(&h, &root).await, ["a.pdf", "b.txt"]);
    assert_eq!(h.texts(&root, ".lc-chip-failed").await.len(), 2);
    let failed = h.texts(&root, ".lc-user.lc-failed").await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].contains("a.pdf") && failed[0].contains("b.txt"),
        "{failed:?}"
    );
    h.screenshot("attachments-upload-failed").await;

    // One named file fails: the other is kept uploaded, the message waits.
    h.stats.uploads().script("fail=b.txt times=1").unwrap();
    root.find(Locator::Css(".lc-retry"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    h.wait_until("the second upload", || async {
        h.stats.uploads().posts() == 2
    })
    .await;
    h.wait_for_count(&root, ".lc-chip-failed", 1).await;
    h.wait_for_count(&root, ".lc-error", 1).await;
    assert_eq!(
        h.texts(&root, ".lc-chip-failed .lc-chip-name").await,
        ["b.txt"]
    );
    assert_eq!(h.stats.message_posts(), 0);
    assert_eq!(h.stats.uploads().files().len(), 1, "a.pdf is stored");

    // Retry uploads only b.txt, then sends the message with both ids.
    root.find(Locator::Css(".lc-retry"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let answers = wait_answers(&h, &root, 2).await;
    assert!(
        answers
            .last()
            .unwrap()
            .contains("I received 2 files: a.pdf, b.txt."),
        "{answers:?}"
    );
    let files = h.stats.uploads().files();
    assert_eq!(files.len(), 2, "a.pdf was not uploaded twice");
    assert_eq!(
        h.stats.uploads().message_assets(),
        vec![vec![files[0].asset_id.clone(), files[1].asset_id.clone()]]
    );
    assert_eq!(h.stats.message_posts(), 1);
    assert!(h.texts(&root, ".lc-error").await.is_empty());
    assert_eq!(h.texts(&root, ".lc-user").await.len(), 1);
    h.finish().await;
}
