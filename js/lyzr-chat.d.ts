// Types of the lyzr-chat JavaScript API (window.LyzrChat, lyzr-chat.mjs).

export type LyzrChatEvent =
  | "ready"
  | "open"
  | "close"
  | "message-sent"
  | "message-received"
  | "error"
  | "unread"
  | "tool-call"
  | "activity";

export interface LyzrChatEventDetail {
  ready: { sessionId: string };
  open: undefined;
  close: undefined;
  "message-sent": { text: string; sessionId: string };
  /** messageId, metadata and toolCalls come from the chat call's reply when it has them. */
  "message-received": {
    text: string;
    sessionId: string;
    messageId?: string;
    metadata?: unknown;
    toolCalls?: unknown;
  };
  error: { message: string; detail: string; sessionId?: string };
  /** Answers that arrived while the panel was closed (0 when it opens). */
  unread: { count: number };
  /** The agent asked the page to run a tool (a stream's local_tool_call). */
  "tool-call": { name: string; arguments: unknown; sessionId: string };
  /**
   * One event of the agent-activity socket (option `activity`): its
   * event_type, status, level, message, tool_name and run_id, and the step
   * the visitor sees for it (undefined when it shows none).
   */
  activity: {
    type: string;
    status?: string;
    level?: string;
    message?: string;
    toolName?: string;
    runId?: string;
    step?: string;
    sessionId: string;
  };
}

// options:start (generated from src/embed/options.rs)
/** The keys of the `labels` option: every string the visitor reads (locales/en.json). */
export type LyzrChatLabel =
  | "title"
  | "placeholder"
  | "send"
  | "send_label"
  | "stop"
  | "stop_label"
  | "new_conversation"
  | "new_conversation_label"
  | "close"
  | "close_label"
  | "open_label"
  | "unread_label"
  | "retry"
  | "edit"
  | "earlier"
  | "typing"
  | "jump_to_latest"
  | "thinking"
  | "thought_process"
  | "files"
  | "attached_files"
  | "note_waiting"
  | "note_sending"
  | "note_not_sent"
  | "note_stopped"
  | "note_incomplete"
  | "note_interrupted"
  | "offline"
  | "retrying"
  | "loading_history"
  | "history_failed"
  | "interrupted"
  | "page_left"
  | "upload_failed"
  | "some_uploads_failed"
  | "files_missing"
  | "error_offline"
  | "error_network"
  | "error_timeout"
  | "error_stopped"
  | "error_stream"
  | "error_dropped"
  | "error_truncated"
  | "error_bad_reply"
  | "error_unauthorized"
  | "error_busy"
  | "error_busy_moment"
  | "error_server"
  | "error_bad_request"
  | "error_other"
  | "server_said"
  | "http_status"
  | "server_unreachable"
  | "attach"
  | "remove_file"
  | "uploading_file"
  | "refused_type"
  | "refused_too_big"
  | "refused_too_many"
  | "refused_empty"
  | "file_refused"
  | "file_failed_status"
  | "file_failed_detail"
  | "file_offline"
  | "file_unreachable"
  | "file_timeout"
  | "file_cancelled"
  | "file_failed"
  | "copy"
  | "copy_code"
  | "copied"
  | "press_ctrl_c"
  | "code"
  | "load_image"
  | "image_from"
  | "image_from_alt"
  | "image_blocked"
  | "image_blocked_alt"
  | "plain_note"
  | "step_memory"
  | "step_knowledge"
  | "step_thinking"
  | "step_tool"
  | "step_tool_named"
  | "step_writing"
  | "step_file"
  | "how_i_got_this"
  | "files_note"
  | "tool_call";

export interface LyzrChatConfig {
  /** The Lyzr agent's id. Required. */
  agentId: string;
  /** API base URL (the widget appends /v3/inference/…). Default: the page's origin. */
  apiUrl?: string;
  /** Sent as x-api-key: a proxy's public widget key (the account key is warned about when it goes to *.lyzr.ai). Default: none. */
  apiKey?: string;
  /** The user_id of the requests. Default: a visitor id kept in localStorage. Applies live. */
  userId?: string;
  /** The conversation to continue: {agentId}- then letters, digits or _ (no other -), 256 characters at most. Default: the one saved for this agent, else {agentId}-{random}. */
  sessionId?: string;
  /** The panel's title. Default: "Chat", in the visitor's language. */
  title?: string;
  /** A line under the title. Default: none. */
  subtitle?: string;
  /** The first agent bubble, not sent. Default: none. */
  welcomeMessage?: string;
  /** The composer's placeholder. Default: "Type a message…", in the visitor's language. */
  placeholder?: string;
  /** Suggestions offered before the first message. Default: none. */
  starterPrompts?: string[];
  /** Light, dark, or auto (follows the system). Default: light. Applies live. */
  theme?: "light" | "dark" | "auto";
  /** A colour: hex, rgb(), rgba(), hsl(), hsla(), oklch() or a name; no var(), no url(). Default: #4f46e5. Applies live. */
  primaryColor?: string;
  /** The corner of the launcher and panel. Default: bottom-right. */
  position?: "bottom-right" | "bottom-left" | "top-right" | "top-left";
  /** Distance in px from the window's left or right edge. Default: 20. */
  offsetX?: number;
  /** Distance in px from the window's top or bottom edge. Default: 20. */
  offsetY?: number;
  /** Stacking order of the launcher and panel. Default: 2147483000. */
  zIndex?: number;
  /** Floating (launcher + panel), inline (fills container) or fullpage. Default: floating. */
  mode?: "floating" | "inline" | "fullpage";
  /** The element, or a CSS selector of it, that an inline widget fills. Default: none. */
  container?: Element | string;
  /** Whether the panel is open. Default: false. Applies live. */
  open?: boolean;
  /** Where the conversation is kept between pages: local (localStorage, per agent), session (this tab only) or none. Default: local. */
  persistence?: "local" | "session" | "none";
  /** What a visitor may attach: false hides the paperclip; maxFiles, maxBytes, accept (extensions or MIME types) narrow it. Default: 10 files of 10 MB: PDF, DOCX, PPTX, XLSX/XLS, CSV, TXT, JPEG, PNG, WEBP. */
  attachments?: boolean | { maxFiles?: number; maxBytes?: number; accept?: string[] };
  /** The system_prompt_variables sent with every message. Default: none. Applies live. */
  systemPromptVariables?: Record<string, unknown>;
  /** The filter_variables sent with every message. Default: none. Applies live. */
  filterVariables?: Record<string, unknown>;
  /** The features sent with every message. Default: none. Applies live. */
  features?: Array<Record<string, unknown>>;
  /** Ids of uploaded assets sent with every message. Default: none. Applies live. */
  assets?: string[];
  /** The response_format sent with every message (e.g. {"type": "json_object"}). Default: none. Applies live. */
  responseFormat?: Record<string, unknown>;
  /** The provider_overrides sent with every message (a proxy drops it unless allowed). Default: none. Applies live. */
  providerOverrides?: Record<string, unknown>;
  /** Show the agent's steps live (from the events socket /v3/events/{sessionId} of the local agent or the proxy), folded into "How I got this" when the answer is complete. Default: true, except when apiUrl is Lyzr's own API. */
  activity?: boolean;
  /** Stream answers; false uses the chat call only. Default: true. */
  stream?: boolean;
  /** How long to wait for an answer, in ms (heavy agents take minutes). Default: 300000. */
  timeoutMs?: number;
  /** Link schemes live in replies (javascript, data, vbscript, file, blob refused). Default: ["https", "http", "mailto"]. */
  linkSchemes?: string[];
  /** Hosts whose images in replies load without a click (*.cdn.example.com allowed); the page's own host too. Default: none. */
  imageHosts?: string[];
  /** The visitor's language, a tag like "fr" or "pt-BR": the widget's words, dates and numbers (see Languages). Default: the page's <html lang>, else the browser's language, else en. */
  locale?: string;
  /** Text direction: auto (rtl for ar, he, fa, ur), ltr or rtl; the launcher keeps its corner. Default: auto. */
  dir?: "auto" | "ltr" | "rtl";
  /** Your own words for any string, by key (locales/en.json lists them), e.g. { send: "Go" }. Default: none. */
  labels?: Partial<Record<LyzrChatLabel, string | Record<string, string>>>;
  /** When the loader fetches the wasm: when idle, on the launcher's first hover/focus/click, or at once. Default: idle. */
  load?: "idle" | "interaction" | "eager";
  /** `true` is the same as load: "eager". Default: false. */
  preload?: boolean;
}
// options:end

export interface LyzrChatVariables {
  system_prompt_variables?: Record<string, unknown>;
  filter_variables?: Record<string, unknown>;
  features?: Array<Record<string, unknown>>;
  assets?: string[];
  response_format?: Record<string, unknown>;
  provider_overrides?: Record<string, unknown>;
}

export interface LyzrChatHandle {
  open(): void;
  close(): void;
  toggle(): void;
  send(text: string): void;
  /** Stops the answer being generated; what arrived stays. */
  stop(): void;
  /** Starts a new conversation with a new session id. */
  reset(): void;
  destroy(): void;
  setUser(id: string, info?: unknown): boolean | undefined;
  setVariables(variables: LyzrChatVariables): boolean | undefined;
  setTheme(theme: "light" | "dark" | "auto" | { theme?: "light" | "dark" | "auto"; primaryColor?: string }): boolean | undefined;
  /**
   * Changes one option as an attribute string would (what <lyzr-chat> calls
   * when an attribute changes): true when it applied live (a bad value is
   * named in the console), false when the option needs a restart.
   */
  setOption(name: keyof LyzrChatConfig, value: string | null): boolean | undefined;
  on<E extends LyzrChatEvent>(event: E, callback: (detail: LyzrChatEventDetail[E]) => void): LyzrChatHandle;
  off<E extends LyzrChatEvent>(event: E, callback: (detail: LyzrChatEventDetail[E]) => void): LyzrChatHandle;
  /** Undefined until the widget is ready. */
  readonly sessionId: string | undefined;
  /** The element holding the widget's shadow root; events are dispatched on it. */
  readonly element: HTMLElement | null;
  readonly ready: boolean;
}

export interface LyzrChatApi {
  readonly version: string;
  init(config: LyzrChatConfig): LyzrChatHandle;
  readonly instances: LyzrChatHandle[];
  readonly events: LyzrChatEvent[];
}

export declare const LyzrChat: LyzrChatApi;
export declare function init(config: LyzrChatConfig): LyzrChatHandle;
export default LyzrChat;

declare global {
  interface Window {
    LyzrChat: LyzrChatApi;
  }
}
