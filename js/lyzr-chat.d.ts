// Types of the lyzr-chat JavaScript API (window.LyzrChat, lyzr-chat.mjs).

export type LyzrChatEvent =
  | "ready"
  | "open"
  | "close"
  | "message-sent"
  | "message-received"
  | "error";

export interface LyzrChatEventDetail {
  ready: { sessionId: string };
  open: undefined;
  close: undefined;
  "message-sent": { text: string; sessionId: string };
  "message-received": { text: string; sessionId: string };
  error: { message: string; detail: string; sessionId?: string };
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
  /** A colour: hex, rgb()/rgba(), hsl()/hsla(), oklch() or a name (no var(), no url()). */
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
  /** When to fetch the wasm: when the browser is idle (default), on the launcher's first hover, focus or click, or at once. */
  load?: "idle" | "interaction" | "eager";
  /** `true` is `load: "eager"`. */
  preload?: boolean;
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
