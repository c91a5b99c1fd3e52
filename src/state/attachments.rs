//! The files attached to the next message: admitted against the limits,
//! uploaded with progress per file, and kept (with the asset ids of those
//! already uploaded) until the message is accepted, so a failed upload
//! loses nothing and a retry uploads only what is missing.

use super::conversation::{FileRef, Problem};
use crate::client::{self, Abort, ClientError, Endpoint};
use leptos::prelude::*;
use lyzr_chat_protocol::{AttachmentLimits, Candidate, FileOutcome, Refusal};

/// Why one file did not upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// The service took the request but refused this file (its reason, if
    /// it gave one).
    Refused(Option<String>),
    /// The whole upload request failed.
    Request(ClientError),
}

/// Where one attached file is.
#[derive(Debug, Clone, PartialEq)]
pub enum FileState {
    /// Attached, not uploaded yet.
    Waiting,
    /// Uploading: the share sent, 0.0 to 1.0.
    Uploading(f64),
    /// Stored by the service under this asset id.
    Uploaded(String),
    Failed(FileError),
}

/// One attached file.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub id: u64,
    pub file: web_sys::File,
    pub name: String,
    pub size: u64,
    pub mime: String,
    pub state: RwSignal<FileState>,
}

impl Attachment {
    fn asset_id(&self) -> Option<String> {
        match self.state.try_get_untracked()? {
            FileState::Uploaded(id) => Some(id),
            _ => None,
        }
    }
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
    /// The text of the message these files are for, once it is sent.
    sending: StoredValue<Option<String>>,
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
            sending: StoredValue::new(None),
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
                state: RwSignal::new(FileState::Waiting),
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
        agent_id: &str,
        abort: &Abort,
        timeout_ms: u32,
    ) -> Result<Vec<SentFile>, FileError> {
        let pending: Vec<Attachment> = self.list.with_untracked(|list| {
            list.iter()
                .filter(|a| a.asset_id().is_none())
                .cloned()
                .collect()
        });
        if !pending.is_empty() {
            for a in &pending {
                a.state.set(FileState::Uploading(0.0));
            }
            self.uploading.set(true);
            let files: Vec<web_sys::File> = pending.iter().map(|a| a.file.clone()).collect();
            let states: Vec<RwSignal<FileState>> = pending.iter().map(|a| a.state).collect();
            let result = client::lazy::upload_files(
                endpoint,
                agent_id,
                &files,
                abort,
                timeout_ms,
                move |shares| {
                    for (state, share) in states.iter().zip(shares) {
                        // A widget destroyed mid-upload has disposed its signals.
                        state.try_set(FileState::Uploading(share));
                    }
                },
            )
            .await;
            self.uploading.try_set(false);
            for (i, a) in pending.iter().enumerate() {
                let state = match &result {
                    Ok(reply) => match reply.outcome_for(i, &a.name) {
                        Some(FileOutcome::Uploaded(asset)) => {
                            FileState::Uploaded(asset.asset_id.clone())
                        }
                        Some(FileOutcome::Failed { error, .. }) => {
                            FileState::Failed(FileError::Refused(error.clone()))
                        }
                        None => FileState::Failed(FileError::Refused(None)),
                    },
                    Err(error) => FileState::Failed(FileError::Request(error.clone())),
                };
                a.state.try_set(state);
            }
        }
        let list = self.list.try_get_untracked().unwrap_or_default();
        let mut sent = Vec::new();
        for a in &list {
            match a.state.try_get_untracked() {
                Some(FileState::Uploaded(asset_id)) => sent.push(SentFile {
                    name: a.name.clone(),
                    size: a.size,
                    mime: a.mime.clone(),
                    asset_id,
                }),
                Some(FileState::Failed(error)) => return Err(error),
                _ => return Err(FileError::Refused(None)),
            }
        }
        Ok(sent)
    }
}

impl Attachments {
    /// The message with `text` was accepted: if these files went with it,
    /// the tray lets them go (as the composer lets the text go).
    pub fn accepted(&self, text: &str) {
        let ours = self.sending.with_value(|t| t.as_deref() == Some(text));
        if ours {
            self.sending.set_value(None);
            self.clear();
        }
    }

    /// The tray's files as a message carries them (asset ids where known).
    fn file_refs(&self) -> Vec<FileRef> {
        self.list.with_untracked(|list| {
            list.iter()
                .map(|a| FileRef {
                    name: a.name.clone(),
                    size: a.size,
                    mime: a.mime.clone(),
                    asset_id: a.asset_id(),
                })
                .collect()
        })
    }
}

impl From<SentFile> for FileRef {
    fn from(f: SentFile) -> Self {
        FileRef {
            name: f.name,
            size: f.size,
            mime: f.mime,
            asset_id: Some(f.asset_id),
        }
    }
}

/// Sending with files: upload first, then the message with their asset
/// ids; a failed upload leaves the message not sent, never sent without
/// its files.
impl super::ChatState {
    pub(super) fn send_with_attachments(&self, text: String) {
        if text.trim().is_empty() || self.busy.get_untracked() {
            return;
        }
        let tray = self.attachments;
        if tray.uploading.get_untracked() {
            return; // a double click while the files go up
        }
        tray.sending.set_value(Some(text.clone()));
        self.upload_then(move |state, result| match result {
            Ok(files) => {
                state
                    .chat()
                    .send(text, files.into_iter().map(FileRef::from).collect());
            }
            Err(error) => {
                state
                    .chat()
                    .add_unsent(text, tray.file_refs(), upload_problem(error));
            }
        });
    }

    /// Retry of a visitor's message whose files did not upload: uploads
    /// what the tray holds for it, then sends. False when the message is
    /// not one of those (the ordinary retry applies).
    pub(super) fn retry_with_attachments(&self, id: u64) -> bool {
        let Some(message) = self.chat().with(|c| c.get(id).cloned()) else {
            return false;
        };
        let waiting = message.role == super::Role::User
            && message.status == super::Status::NotSent
            && message.parts.files.iter().any(|f| f.asset_id.is_none());
        let tray = self.attachments;
        // The tray still holds this message's files (same names, in order).
        let held = tray.list.with_untracked(|list| {
            list.len() == message.parts.files.len()
                && list
                    .iter()
                    .zip(&message.parts.files)
                    .all(|(a, f)| a.name == f.name && a.size == f.size)
        });
        if !waiting || !held || tray.uploading.get_untracked() || self.busy.get_untracked() {
            return false;
        }
        tray.sending.set_value(Some(message.text.clone()));
        self.upload_then(move |state, result| match result {
            Ok(files) => {
                let chat = state.chat();
                chat.set_files(id, files.into_iter().map(FileRef::from).collect());
                chat.retry(id);
            }
            Err(error) => {
                // Replaces the failed attempt, with the files' new state.
                state.chat().add_unsent(
                    message.text.clone(),
                    tray.file_refs(),
                    upload_problem(error),
                );
            }
        });
        true
    }

    /// Uploads the tray's files not uploaded yet, then calls `then`.
    fn upload_then(
        &self,
        then: impl FnOnce(super::ChatState, Result<Vec<SentFile>, FileError>) + 'static,
    ) {
        let state = *self;
        let Some(chat) = self.live_chat() else {
            return;
        };
        let (endpoint, agent_id, timeout_ms) =
            chat.settings(|s| (s.endpoint.clone(), s.agent_id.clone(), s.send.timeout_ms));
        let abort = Abort::new();
        crate::spawn(async move {
            let result = state
                .attachments
                .upload(&endpoint, &agent_id, &abort, timeout_ms)
                .await;
            if let Err(FileError::Request(e)) = &result {
                crate::console::error(&format!("uploading files failed: {e}"));
            }
            // The widget may be gone meanwhile.
            if state.inner.try_with_value(|_| ()).is_some() {
                then(state, result);
            }
        });
    }
}

fn upload_problem(error: FileError) -> Problem {
    match error {
        FileError::Request(e) => Problem::Upload(Some(e)),
        FileError::Refused(_) => Problem::Upload(None),
    }
}
