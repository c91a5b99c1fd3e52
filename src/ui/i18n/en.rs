//! Every word the visitor reads, in English: the key of each string (as in
//! `locales/*.json` and the `labels` option) and its English text, which is
//! compiled into the widget. Other languages are `locales/<lang>.json`, with
//! exactly these keys (a native test checks), fetched by the loader only for
//! visitors who read them.
//!
//! `{name}` in a text is filled in when it is shown; a text given as forms
//! (`one`, `other`, and for some languages `zero`, `two`, `few`, `many`) is
//! chosen by the count `{n}` with `Intl.PluralRules`.

use super::English::{Forms, Text};

labels! {
    // The panel's frame.
    Title "title" => Text("Chat"),
    Placeholder "placeholder" => Text("Type a message…"),
    Send "send" => Text("Send"),
    SendLabel "send_label" => Text("Send message"),
    Stop "stop" => Text("Stop"),
    StopLabel "stop_label" => Text("Stop the answer"),
    NewConversation "new_conversation" => Text("New conversation"),
    NewConversationLabel "new_conversation_label" => Text("Start a new conversation"),
    Close "close" => Text("Close"),
    CloseLabel "close_label" => Text("Close chat"),
    OpenLabel "open_label" => Text("Open chat"),
    UnreadLabel "unread_label" => Forms(&[("one", "Chat, {n} unread"), ("other", "Chat, {n} unread")]),
    // The conversation.
    Retry "retry" => Text("Retry"),
    Edit "edit" => Text("Edit"),
    Earlier "earlier" => Text("Show earlier messages"),
    Typing "typing" => Text("The assistant is typing"),
    JumpToLatest "jump_to_latest" => Text("Jump to latest ↓"),
    Thinking "thinking" => Text("Thinking…"),
    ThoughtProcess "thought_process" => Text("Thought process"),
    Files "files" => Text("Files"),
    AttachedFiles "attached_files" => Text("Attached files"),
    NoteWaiting "note_waiting" => Text("Waiting for a connection…"),
    NoteSending "note_sending" => Text("Sending…"),
    NoteNotSent "note_not_sent" => Text("Not sent"),
    NoteStopped "note_stopped" => Text("Stopped"),
    NoteIncomplete "note_incomplete" => Text("Answer incomplete"),
    NoteInterrupted "note_interrupted" => Text("Answer interrupted"),
    // Banners.
    Offline "offline" => Text("You're offline. Anything you type is kept; send it when you're back."),
    Retrying "retrying" => Text("{problem} Trying again {when}…"),
    LoadingHistory "loading_history" => Text("Loading the conversation…"),
    HistoryFailed "history_failed" => Text("Earlier messages could not be loaded."),
    // What went wrong, and what the visitor can do.
    Interrupted "interrupted" => Text("The page was left while this answer arrived. What arrived is kept; press Retry to ask again."),
    PageLeft "page_left" => Text("This message had not been answered when the page was closed. Press Retry to send it."),
    UploadFailed "upload_failed" => Text("Your files could not be uploaded, so the message was not sent. Press Retry to try again."),
    SomeUploadsFailed "some_uploads_failed" => Text("Some files could not be uploaded (see the attached files below), so the message was not sent. Press Retry, or remove those files and send again."),
    FilesMissing "files_missing" => Text("This message's files are no longer attached, so it cannot be sent. Press Edit, attach them again and send."),
    ErrorOffline "error_offline" => Text("You're offline. Your message is kept here: press Retry when you're back online."),
    ErrorNetwork "error_network" => Text("Could not reach the assistant. Check your connection and press Retry."),
    ErrorTimeout "error_timeout" => Text("The assistant took longer than {duration} to answer, so the chat stopped waiting. Press Retry to ask again."),
    ErrorStopped "error_stopped" => Text("Stopped before the assistant answered. Press Retry to send it again."),
    ErrorStream "error_stream" => Text("The assistant ran into a problem while answering."),
    ErrorDropped "error_dropped" => Text("The connection broke while the assistant was answering. What arrived is kept; press Retry to ask again."),
    ErrorTruncated "error_truncated" => Text("The answer ended early. What arrived is kept; press Retry to ask again."),
    ErrorBadReply "error_bad_reply" => Text("The assistant sent a reply this chat cannot read. Press Retry to ask again."),
    ErrorUnauthorized "error_unauthorized" => Text("This chat is not set up correctly, so the assistant can't answer. Please let the site owner know."),
    ErrorBusy "error_busy" => Text("The assistant is busy or out of credits. Please try again {when}."),
    ErrorBusyMoment "error_busy_moment" => Text("The assistant is busy or out of credits. Please try again in a moment."),
    ErrorServer "error_server" => Text("The assistant had a problem answering. Please try again."),
    ErrorBadRequest "error_bad_request" => Text("The assistant could not accept this message."),
    ErrorOther "error_other" => Text("The assistant could not answer."),
    ServerSaid "server_said" => Text("(Server said: {detail})"),
    HttpStatus "http_status" => Text("(HTTP {status})"),
    ServerUnreachable "server_unreachable" => Text("(the server could not be reached)"),
    // Attaching files.
    Attach "attach" => Text("Attach files"),
    RemoveFile "remove_file" => Text("Remove {name}"),
    UploadingFile "uploading_file" => Text("Uploading {name}"),
    RefusedType "refused_type" => Text("{name}: this type of file can't be sent; allowed: {types}"),
    RefusedTooBig "refused_too_big" => Text("{name}: this file is too big; the limit is {size} per file"),
    RefusedTooMany "refused_too_many" => Forms(&[("one", "{name}: not attached; a message can carry only {n} file"), ("other", "{name}: not attached; a message can carry at most {n} files")]),
    RefusedEmpty "refused_empty" => Text("{name}: this file is empty"),
    FileRefused "file_refused" => Text("Not uploaded: {reason}"),
    FileFailedStatus "file_failed_status" => Text("Upload failed (HTTP {status})"),
    FileFailedDetail "file_failed_detail" => Text("Upload failed (HTTP {status}): {detail}"),
    FileOffline "file_offline" => Text("Upload failed: you're offline"),
    FileUnreachable "file_unreachable" => Text("Upload failed: could not reach the server"),
    FileTimeout "file_timeout" => Text("Upload failed: no answer within {duration}"),
    FileCancelled "file_cancelled" => Text("Upload cancelled"),
    FileFailed "file_failed" => Text("Upload failed"),
    // Replies (the markdown renderer).
    Copy "copy" => Text("Copy"),
    CopyCode "copy_code" => Text("Copy code"),
    Copied "copied" => Text("Copied"),
    PressCtrlC "press_ctrl_c" => Text("Press Ctrl+C"),
    Code "code" => Text("code"),
    LoadImage "load_image" => Text("Load image"),
    ImageFrom "image_from" => Text("Image from {host}"),
    ImageFromAlt "image_from_alt" => Text("Image from {host}: {alt}"),
    ImageBlocked "image_blocked" => Text("[image blocked]"),
    ImageBlockedAlt "image_blocked_alt" => Text("[image blocked: {alt}]"),
    PlainNote "plain_note" => Text("Shown as plain text: too large to format."),
}
