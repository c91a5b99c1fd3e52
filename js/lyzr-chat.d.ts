// Types of the lyzr-chat JavaScript API (window.LyzrChat, lyzr-chat.mjs).

export type LyzrChatEvent =
  | "ready"
  | "open"
  | "close"
  | "message-sent"
  | "message-received"
  | "error"
  | "unread";

export interface LyzrChatEventDetail {
  ready: { sessionId: string };
  open: undefined;
  close: undefined;
  "message-sent": { text: string; sessionId: string };
  "message-received": { text: string; sessionId: string };
  error: { message: string; detail: string; sessionId?: string };
  /** Answers that arrived while the panel was closed (0 when it opens). */
  unread: { count: number };
}

export interface LyzrChatConfig {
  /** The id of your Lyzr agent. Required. */
  agentId: string;
  /** API base URL (the widget appends /v3/inference/...). Default: the page's origin. */
  apiUrl?: string;
  /** Sent as x-api-key. Visible to every visitor: prefer a proxy. */
  apiKey?: string;
  userId?: string;
  sessionId?: string;
  title?: string;
  subtitle?: string;
  welcomeMessage?: string;
  placeholder?: string;
  starterPrompts?: string[];
  theme?: "light" | "dark" | "auto";
  /** Any CSS colour. */
  primaryColor?: string;
  position?: "bottom-right" | "bottom-left" | "top-right" | "top-left";
  /** Distance from the window's edges in px (default 20). */
  offsetX?: number;
  offsetY?: number;
  zIndex?: number;
  mode?: "floating" | "inline" | "fullpage";
  /** The element (or a selector of it) an inline widget fills. */
  container?: Element | string;
  open?: boolean;
  systemPromptVariables?: Record<string, unknown>;
  filterVariables?: Record<string, unknown>;
  features?: Array<Record<string, unknown>>;
  assets?: string[];
  /** Stream answers (default true) or use the chat call only. */
  stream?: boolean;
  /** How long to wait for an answer, in ms (default 300000). */
  timeoutMs?: number;
  /** Load the wasm at once instead of when idle or on first interaction. */
  preload?: boolean;
  /**
   * Where the conversation is kept between pages: "local" (default;
   * localStorage, per agent), "session" (this tab only) or "none".
   */
  persistence?: "local" | "session" | "none";
  /**
   * Files the visitor may attach (paperclip, drag and drop, paste); `false` hides the feature.
   * Defaults: 10 files, 10 MB each, PDF, DOCX, PPTX, XLSX/XLS, CSV, TXT, JPEG, PNG, WEBP.
   */
  attachments?: boolean | LyzrChatAttachments;
}

export interface LyzrChatAttachments {
  /** Most files per message (1-100, default 10). */
  maxFiles?: number;
  /** Largest file in bytes (default 10485760). */
  maxBytes?: number;
  /** Accepted types as in `<input accept>`: ".pdf", "image/png", "image/*". */
  accept?: string[];
}

export interface LyzrChatVariables {
  system_prompt_variables?: Record<string, unknown>;
  filter_variables?: Record<string, unknown>;
  features?: Array<Record<string, unknown>>;
  assets?: string[];
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
