//! The files attached to the next message: admitted against the limits,
//! uploaded with progress per file, and kept (with the asset ids of those
//! already uploaded) until the message is accepted, so a failed upload
//! loses nothing and a retry uploads only what is missing.

use crate::client::{self, Abort, ClientError, Endpoint};
use leptos::prelude::*;
use lyzr_chat_protocol::{AttachmentLimits, Candidate, FileOutcome, Refusal, UploadedAsset};

/// Why one file did not upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// The service took the request but refused this file (its reason).
    Refused(String),
    /// The whole upload request failed.
    Request(ClientError),
}

/// One attached file.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub id: u64,
    pub file: web_sys::File,
    pub name: String,
    pub size: u64,
    pub mime: String,
    /// While uploading: the share sent, 0.0 to 1.0.
    pub progress: RwSignal<Option<f64>>,
    pub error: RwSignal<Option<FileError>>,
    /// Set once the service stored it.
    pub asset: RwSignal<Option<UploadedAsset>>,
}

/// What a sent message says about one of its files (shown in its bubble).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentFile {
    pub name: String,
    pub size: u64,
    pub mime: String,
    pub asset_id: String,
}

/// The attachment tray of one widget. `Copy`: pass it around freely.
#[derive(Clone, Copy)]
pub struct Attachments {
    pub list: RwSignal<Vec<Attachment>, LocalStorage>,
    /// The files refused by the last offer, with the rule each broke.
    pub refusals: RwSignal<Vec<Refusal>>,
    /// An upload is running.
    pub uploading: RwSignal<bool>,
    limits: StoredValue<Option<AttachmentLimits>>,
    next_id: StoredValue<u64>,
}

impl Attachments {
    /// A tray for `limits`; `None` turns attachments off.
    pub fn new(limits: Option<AttachmentLimits>) -> Self {
        Self {
            list: RwSignal::new_local(Vec::new()),
            refusals: RwSignal::new(Vec::new()),
            uploading: RwSignal::new(false),
            limits: StoredValue::new(limits),
            next_id: StoredValue::new(1),
        }
    }

    /// The limits, or `None` when attachments are off.
    pub fn limits(&self) -> Option<AttachmentLimits> {
        self.limits.get_value()
    }

    pub fn enabled(&self) -> bool {
        self.limits.with_value(Option::is_some)
    }

    /// Attaches what fits of `files`; the rest is listed in `refusals`.
    pub fn offer(&self, files: Vec<web_sys::File>) {
        let Some(limits) = self.limits() else {
            return;
        };
        if files.is_empty() {
            return;
        }
        let described: Vec<(String, String, u64)> = files
            .iter()
            .map(|f| (f.name(), f.type_(), f.size() as u64))
            .collect();
        let candidates: Vec<Candidate> = described
            .iter()
            .map(|(name, mime, size)| Candidate {
                name,
                mime,
                size: *size,
            })
            .collect();
        let already = self.list.with_untracked(Vec::len);
        let (admitted, refused) = limits.admit(already, &candidates);
        let mut added = Vec::new();
        for i in admitted {
            let id = self.next_id.get_value();
            self.next_id.set_value(id + 1);
            let (name, mime, size) = described[i].clone();
            added.push(Attachment {
                id,
                file: files[i].clone(),
                name,
                size,
                mime,
                progress: RwSignal::new(None),
                error: RwSignal::new(None),
                asset: RwSignal::new(None),
            });
        }
        self.list.update(|list| list.extend(added));
        self.refusals.set(refused);
    }

    /// Takes a file off (not while it uploads).
    pub fn remove(&self, id: u64) {
        if self.uploading.get_untracked() {
            return;
        }
        self.list.update(|list| list.retain(|a| a.id != id));
        self.refusals.set(Vec::new());
    }

    /// Empties the tray (the message carrying the files was accepted).
    pub fn clear(&self) {
        self.list.set(Vec::new());
        self.refusals.set(Vec::new());
    }

    pub fn is_empty(&self) -> bool {
        self.list.with_untracked(Vec::is_empty)
    }

    /// Uploads every file that has no asset yet, in one request, with
    /// progress per file. `Ok` lists all the tray's files with their asset
    /// ids, in order; `Err` when any file is still without one (each such
    /// file carries its error).
    pub async fn upload(
        &self,
        endpoint: &Endpoint,
        abort: &Abort,
        timeout_ms: u32,
    ) -> Result<Vec<SentFile>, FileError> {
        let pending: Vec<Attachment> = self.list.with_untracked(|list| {
            list.iter()
                .filter(|a| a.asset.get_untracked().is_none())
                .cloned()
                .collect()
        });
        if !pending.is_empty() {
            for a in &pending {
                a.error.set(None);
                a.progress.set(Some(0.0));
            }
            self.uploading.set(true);
            let files: Vec<web_sys::File> = pending.iter().map(|a| a.file.clone()).collect();
            let progress: Vec<RwSignal<Option<f64>>> = pending.iter().map(|a| a.progress).collect();
            let result = client::upload_files(endpoint, &files, abort, timeout_ms, move |shares| {
                for (signal, share) in progress.iter().zip(shares) {
                    // A widget destroyed mid-upload has disposed its signals.
                    signal.try_set(Some(share));
                }
            })
            .await;
            self.uploading.try_set(false);
            match result {
                Ok(reply) => {
                    for (i, a) in pending.iter().enumerate() {
                        a.progress.try_set(None);
                        match reply.outcome_for(i, &a.name) {
                            Some(FileOutcome::Uploaded(asset)) => {
                                a.asset.try_set(Some(asset.clone()));
                            }
                            Some(FileOutcome::Failed { error, .. }) => {
                                a.error.try_set(Some(FileError::Refused(error.clone())));
                            }
                            None => {
                                a.error.try_set(Some(FileError::Refused(
                                    "the service did not say what became of this file".into(),
                                )));
                            }
                        }
                    }
                }
                Err(error) => {
                    for a in &pending {
                        a.progress.try_set(None);
                        a.error.try_set(Some(FileError::Request(error.clone())));
                    }
                }
            }
        }
        let list = self.list.try_get_untracked().unwrap_or_default();
        let mut sent = Vec::new();
        for a in &list {
            match a.asset.try_get_untracked().flatten() {
                Some(asset) => sent.push(SentFile {
                    name: a.name.clone(),
                    size: a.size,
                    mime: a.mime.clone(),
                    asset_id: asset.asset_id,
                }),
                None => {
                    return Err(a
                        .error
                        .try_get_untracked()
                        .flatten()
                        .unwrap_or(FileError::Refused("not uploaded".into())))
                }
            }
        }
        Ok(sent)
    }
}
