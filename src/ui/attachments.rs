//! Attaching files: the paperclip button (with its hidden file input), drop
//! and paste onto the panel, the chips of attached files (name, size,
//! progress, error, remove) and the messages naming the rule a refused file
//! broke. The words the visitor reads about files are chosen here.

use super::i18n::{Label, Words};
use super::{on_click, show};
use crate::client::ClientError;
use crate::state::attachments::{Attachment, Attachments, FileError, FileState};
use leptos::prelude::*;
use lyzr_chat_protocol::{AttachmentLimits, Refusal, Rule};
use wasm_bindgen::JsCast;

/// Why a file was refused, naming the rule:
/// `report.exe: this type of file can't be sent; allowed: PDF, …`.
pub fn refusal_text(w: &Words, refusal: &Refusal, limits: &AttachmentLimits) -> String {
    let name = ("name", refusal.file_name.as_str());
    match refusal.rule {
        Rule::Type => w.fill(
            Label::RefusedType,
            &[name, ("types", &limits.allowed_label())],
        ),
        Rule::TooBig => w.fill(
            Label::RefusedTooBig,
            &[name, ("size", &w.file_size(limits.max_bytes))],
        ),
        Rule::TooMany => w.count(Label::RefusedTooMany, limits.max_files as u64, &[name]),
        Rule::Empty => w.fill(Label::RefusedEmpty, &[name]),
    }
}

/// What a chip says about a file that did not upload.
pub fn file_error_text(w: &Words, error: &FileError) -> String {
    match error {
        FileError::Refused(Some(reason)) => w.fill(Label::FileRefused, &[("reason", reason)]),
        FileError::Request(ClientError::Api(e)) => {
            let status = e.status.to_string();
            match &e.detail {
                Some(detail) => w.fill(
                    Label::FileFailedDetail,
                    &[("status", &status), ("detail", detail)],
                ),
                None => w.fill(Label::FileFailedStatus, &[("status", &status)]),
            }
        }
        FileError::Request(ClientError::Network { offline: true, .. }) => {
            w.get(Label::FileOffline).into()
        }
        FileError::Request(ClientError::Network { .. }) => w.get(Label::FileUnreachable).into(),
        FileError::Request(ClientError::Timeout { after_ms }) => w.fill(
            Label::FileTimeout,
            &[("duration", &w.duration(u64::from(*after_ms)))],
        ),
        FileError::Request(ClientError::Aborted(_)) => w.get(Label::FileCancelled).into(),
        // What broke is for the console (the client logs it); the visitor
        // needs to know only that it failed.
        FileError::Request(_) | FileError::Refused(None) => w.get(Label::FileFailed).into(),
    }
}

/// The files of a `FileList` (an input's, a drop's or a paste's).
fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.item(i)).collect()
}

/// Whether a drag carries files (not text or a link).
fn drags_files(event: &web_sys::DragEvent) -> bool {
    event.data_transfer().is_some_and(|dt| {
        let types = dt.types();
        types
            .iter()
            .any(|t| t.as_string().as_deref() == Some("Files"))
    })
}

/// Makes the panel take dropped and pasted files: its `on:dragover`,
/// `on:dragleave`, `on:drop` and `on:paste` call these. `Copy`.
#[derive(Clone, Copy)]
pub struct DropZone {
    attachments: Attachments,
    /// Files are being dragged over the panel.
    pub dragging: RwSignal<bool>,
}

impl DropZone {
    pub fn new(attachments: Attachments) -> Self {
        Self {
            attachments,
            dragging: RwSignal::new(false),
        }
    }

    pub fn dragover(&self, ev: web_sys::DragEvent) {
        if self.attachments.enabled() && drags_files(&ev) {
            ev.prevent_default();
            if let Some(dt) = ev.data_transfer() {
                dt.set_drop_effect("copy");
            }
            if !self.dragging.get_untracked() {
                self.dragging.set(true);
            }
        }
    }

    pub fn dragleave(&self, ev: web_sys::DragEvent) {
        // Moving onto a child of the panel is not leaving the panel.
        let inside = ev
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
            .zip(
                ev.current_target()
                    .and_then(|t| t.dyn_into::<web_sys::Node>().ok()),
            )
            .is_some_and(|(to, panel)| panel.contains(Some(&to)));
        if !inside {
            self.dragging.set(false);
        }
    }

    pub fn drop(&self, ev: web_sys::DragEvent) {
        self.dragging.set(false);
        if !self.attachments.enabled() {
            return;
        }
        let files = files_of(ev.data_transfer().and_then(|dt| dt.files()));
        if !files.is_empty() {
            ev.prevent_default();
            self.attachments.offer(files);
        }
    }

    pub fn paste(&self, ev: web_sys::ClipboardEvent) {
        if !self.attachments.enabled() {
            return;
        }
        let files = files_of(ev.clipboard_data().and_then(|dt| dt.files()));
        // Pasted text goes into the composer as usual; only files are taken.
        if !files.is_empty() {
            ev.prevent_default();
            self.attachments.offer(files);
        }
    }
}

/// The paperclip button and its hidden file input.
///
/// A plain function, built inside `Widget`'s untracked body (see
/// `composer`).
pub fn attach_button(attachments: Attachments) -> impl IntoView {
    let words = use_context::<Words>().unwrap_or_default();
    let attach = words.get(Label::Attach).to_string();
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let accept = attachments
        .limits()
        .map(|l| l.input_accept())
        .unwrap_or_default();
    let on_change = move |_| {
        if let Some(el) = input.get_untracked() {
            attachments.offer(files_of(el.files()));
            // The same file can be picked again after being removed.
            el.set_value("");
        }
    };
    view! { class="lc",
        <button
            type="button"
            class="lc-attach"
            aria-label=attach.clone()
            title=attach
            disabled=move || attachments.uploading.get()
            on:click=on_click(move || {
                if let Some(el) = input.get_untracked() {
                    el.click();
                }
            })
        >
            <svg viewBox="0 0 24 24" aria-hidden="true">
                <path d="M20 11.5l-8 8a5 5 0 0 1-7-7l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4L15 7"></path>
            </svg>
        </button>
        <input
            type="file"
            class="lc-file-input"
            multiple=true
            accept=accept
            tabindex="-1"
            aria-hidden="true"
            node_ref=input
            on:change=on_change
        />
    }
}

/// The attached files as chips, and the refusals of the last offer.
///
/// A plain function, built inside `Widget`'s untracked body (see
/// `composer`).
pub fn attachment_tray(attachments: Attachments) -> impl IntoView {
    let limits = attachments.limits().unwrap_or_default();
    let words = use_context::<Words>().unwrap_or_default();
    let attached_files = words.get(Label::AttachedFiles).to_string();
    let refusals = move || {
        let list = attachments.refusals.get();
        (!list.is_empty()).then(|| {
            let limits = limits.clone();
            view! { class="lc",
                <div class="lc-refusals" role="alert">
                    {list
                        .iter()
                        .map(|r| view! { <p class="lc-refusal">{refusal_text(&words, r, &limits)}</p> }.into_any())
                        .collect_view()}
                </div>
            }
            .into_any()
        })
    };
    view! { class="lc",
        <div class="lc-tray" hidden=move || attachments.list.with(Vec::is_empty) && attachments.refusals.with(Vec::is_empty)>
            <ul class="lc-chips" aria-label=attached_files>
                // Rebuilt whole when a file is added or removed (progress and
                // errors are each chip's own signal): one `Vec<AnyView>` like
                // the other lists, instead of a keyed `<For>` (README, "Size").
                {move || {
                    attachments
                        .list
                        .get()
                        .into_iter()
                        .map(|a| chip(attachments, a))
                        .collect_view()
                }}
            </ul>
            {refusals}
        </div>
    }
}

/// One attached file. Built inside the tray's list closure: it reads no
/// signal outside its own closures, so nothing it builds subscribes the list.
fn chip(attachments: Attachments, attachment: Attachment) -> AnyView {
    let Attachment {
        id,
        name,
        size,
        state,
        ..
    } = attachment;
    let class = move || {
        state
            .with(|s| match s {
                FileState::Waiting => "lc-chip",
                FileState::Uploading(_) => "lc-chip lc-chip-uploading",
                FileState::Uploaded(_) => "lc-chip lc-chip-uploaded",
                FileState::Failed(_) => "lc-chip lc-chip-failed",
            })
            .to_string()
    };
    let percent = move || {
        state.with(|s| match s {
            FileState::Uploading(p) => Some((p * 100.0).round() as u32),
            _ => None,
        })
    };
    let words = use_context::<Words>().unwrap_or_default();
    let w = words.clone();
    let error = move || {
        state.with(|s| match s {
            FileState::Failed(e) => Some(file_error_text(&w, e)),
            _ => None,
        })
    };
    let remove_label = words.fill(Label::RemoveFile, &[("name", &name)]);
    let progress_label = words.fill(Label::UploadingFile, &[("name", &name)]);
    let size = words.file_size(size);
    view! { class="lc",
        <li class=class title=name.clone()>
            <span class="lc-chip-name">{name.clone()}</span>
            <span class="lc-chip-size">{size}</span>
            <button
                type="button"
                class="lc-chip-remove"
                aria-label=remove_label
                disabled=move || attachments.uploading.get()
                on:click=on_click(move || attachments.remove(id))
            >
                <svg viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M7 7l10 10M17 7L7 17"></path>
                </svg>
            </button>
            {show(move || percent().is_some(), move || view! { class="lc",
                <span
                    class="lc-chip-progress"
                    role="progressbar"
                    aria-label=progress_label.clone()
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow=move || percent().unwrap_or(0).to_string()
                >
                    // A CSSOM property, not a style attribute: allowed by a
                    // strict style-src.
                    <span
                        class="lc-chip-bar"
                        style:width=move || format!("{}%", percent().unwrap_or(0))
                    ></span>
                </span>
            }.into_any())}
            {move || error().map(|text| view! { <span class="lc-chip-error">{text}</span> }.into_any())}
        </li>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_rule() {
        let limits = AttachmentLimits::default();
        let w = Words::default();
        let r = |rule| Refusal {
            file_name: "report.exe".into(),
            rule,
        };
        assert_eq!(
            refusal_text(&w, &r(Rule::Type), &limits),
            "report.exe: this type of file can't be sent; allowed: PDF, DOCX, PPTX, XLSX, XLS, CSV, TXT, JPG, JPEG, PNG, WEBP"
        );
        assert_eq!(
            refusal_text(&w, &r(Rule::TooBig), &limits),
            "report.exe: this file is too big; the limit is 10 MB per file"
        );
        assert!(refusal_text(&w, &r(Rule::TooMany), &limits).contains("at most 10 files"));
        let one = AttachmentLimits {
            max_files: 1,
            ..AttachmentLimits::default()
        };
        assert!(refusal_text(&w, &r(Rule::TooMany), &one).contains("only 1 file"));
    }

    /// A failure the service gave no reason for is worded here, in the
    /// visitor's language (the protocol and state hand over `None`).
    #[test]
    fn a_file_refused_without_a_reason_is_worded_here() {
        use lyzr_chat_protocol::FileOutcome;
        let reply = lyzr_chat_protocol::UploadReply::parse(
            r#"{"results":[{"success":true,"file_name":"a.pdf"},{"success":false,"file_name":"b.pdf"},{"success":false,"file_name":"c.pdf","error":"virus found"}]}"#,
        )
        .unwrap();
        let w = Words::default();
        let texts: Vec<String> = reply
            .results
            .into_iter()
            .map(|outcome| match outcome {
                FileOutcome::Failed { error, .. } => {
                    file_error_text(&w, &FileError::Refused(error))
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            texts,
            [
                "Upload failed",
                "Upload failed",
                "Not uploaded: virus found"
            ]
        );
    }
}
