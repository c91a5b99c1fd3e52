/*! lyzr-chat loader: the one file a host page includes.
 *
 *   <script src="https://cdn.example.com/lyzr-chat/0.1.0/lyzr-chat.js"
 *           data-agent-id="..." data-api-url="https://your-proxy.example.com" async></script>
 *
 * It draws the launcher at once (in its own shadow root), loads the widget's
 * wasm from beside itself when the browser is idle or on the first
 * hover/focus/click of the launcher (`preload` loads it at once), then hands
 * the shadow root to the widget. It defines window.LyzrChat (init, instances)
 * and the <lyzr-chat> element. Calls made before the wasm is ready are queued.
 * No framework, no eval, no innerHTML: it runs under a strict CSP with
 * Trusted Types.
 */
(function () {
  "use strict";
  var VERSION = "0.1.0";
  var WIDGET_JS = "lyzr-chat-widget.js";
  var WIDGET_WASM = "lyzr-chat-widget_bg.wasm";
  var EVENTS = ["ready", "open", "close", "message-sent", "message-received", "error", "unread"];
  // Options whose data-/element attribute value is JSON.
  var JSON_OPTIONS = ["starterPrompts", "systemPromptVariables", "filterVariables", "features", "assets"];
  var OPTIONS = [
    "agentId", "apiUrl", "apiKey", "userId", "sessionId", "title", "subtitle", "welcomeMessage",
    "placeholder", "starterPrompts", "theme", "primaryColor", "position", "offsetX", "offsetY",
    "zIndex", "mode", "container", "open", "systemPromptVariables", "filterVariables", "features",
    "assets", "stream", "timeoutMs", "preload", "persistence", "attachments"
  ];

  if (window.LyzrChat && window.LyzrChat.version) {
    return; // included twice: the first copy serves both
  }

  function error(message) {
    console.error("lyzr-chat: " + message);
  }

  // Where the widget's files are: beside this script (or the module that
  // imported it, which sets __lyzrChatBase).
  var script = document.currentScript;
  var base = script && script.src
    ? new URL(".", script.src).href
    : (globalThis.__lyzrChatBase || new URL(".", location.href).href);

  function kebab(name) {
    return name.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); });
  }

  /** Reads options from attributes (`prefix` "data-" for the script tag). */
  function optionsFromAttributes(element, prefix) {
    var config = {};
    OPTIONS.forEach(function (name) {
      var attribute = prefix + kebab(name);
      if (!element.hasAttribute(attribute)) return;
      var value = element.getAttribute(attribute);
      if (JSON_OPTIONS.indexOf(name) >= 0) {
        try {
          value = JSON.parse(value);
        } catch (e) {
          error("attribute `" + attribute + "` must be JSON, e.g. " +
            (name === "starterPrompts" || name === "assets" || name === "features" ? "[\"...\"]" : "{\"name\": \"value\"}") +
            "; it was ignored (" + e.message + ")");
          return;
        }
      }
      config[name] = value;
    });
    return config;
  }

  // The launcher the loader draws before the wasm arrives: the same markup
  // and look as the widget's own, so nothing jumps when it takes over.
  var LAUNCHER_CSS =
    ":host(:not(lyzr-chat)){all:initial!important;display:block!important}:host(lyzr-chat){display:block}" +
    ".lc-root{--lc-primary:#4f46e5;--lc-z:2147483000;--lc-offset-x:20px;--lc-offset-y:20px}" +
    ".lc-launcher{position:fixed;right:var(--lc-offset-x);bottom:var(--lc-offset-y);z-index:var(--lc-z);" +
    "width:56px;height:56px;border:0;border-radius:50%;background:var(--lc-primary);color:#fff;" +
    "box-shadow:0 12px 40px rgba(20,24,40,.18),0 2px 8px rgba(20,24,40,.08);display:grid;place-items:center;" +
    "cursor:pointer;padding:0;margin:0}" +
    ".lc-launcher:focus-visible{outline:2px solid var(--lc-primary);outline-offset:2px}" +
    ".lc-launcher svg{width:26px;height:26px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}" +
    ".lc-launcher[aria-busy=true] svg{opacity:.6}" +
    ".lc-pos-bottom-left .lc-launcher,.lc-pos-top-left .lc-launcher{right:auto;left:var(--lc-offset-x)}" +
    ".lc-pos-top-right .lc-launcher,.lc-pos-top-left .lc-launcher{bottom:auto;top:var(--lc-offset-y)}";

  function drawLauncher(shadow, config) {
    var root = document.createElement("div");
    var position = String(config.position || "bottom-right").toLowerCase();
    root.className = "lc-root lc-pos-" + position;
    var sheet = new CSSStyleSheet();
    var custom = "";
    if (config.primaryColor && CSS.supports("color", config.primaryColor)) {
      custom += "--lc-primary:" + config.primaryColor + ";";
    }
    if (/^-?\d+$/.test(String(config.zIndex))) custom += "--lc-z:" + config.zIndex + ";";
    if (/^\d+$/.test(String(config.offsetX))) custom += "--lc-offset-x:" + config.offsetX + "px;";
    if (/^\d+$/.test(String(config.offsetY))) custom += "--lc-offset-y:" + config.offsetY + "px;";
    sheet.replaceSync(LAUNCHER_CSS + (custom ? ".lc-root{" + custom + "}" : ""));
    shadow.adoptedStyleSheets = [sheet];
    var button = document.createElement("button");
    button.type = "button";
    button.className = "lc-launcher";
    button.setAttribute("aria-label", "Open chat");
    button.setAttribute("aria-expanded", "false");
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", "M4 5h16v11H8l-4 4z");
    svg.appendChild(path);
    button.appendChild(svg);
    root.appendChild(button);
    shadow.appendChild(root);
    return button;
  }

  // One wasm module for every instance on the page.
  var widgetModule = null;
  function loadWidget() {
    if (!widgetModule) {
      widgetModule = import(base + WIDGET_JS).then(function (module) {
        return module.default({ module_or_path: base + WIDGET_WASM }).then(function () {
          return module;
        });
      });
      widgetModule.catch(function (e) {
        var text = String((e && e.message) || e);
        if (/Content Security Policy|wasm-unsafe-eval|wasm-eval|Refused to compile/i.test(text)) {
          error("this page's Content-Security-Policy blocks WebAssembly, so the chat cannot start. " +
            "Add 'wasm-unsafe-eval' to the script-src directive, e.g. " +
            "Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval' (" + text + ")");
        } else {
          error("could not load the chat widget from " + base + WIDGET_JS + ": " + text);
        }
      });
    }
    return widgetModule;
  }

  var instances = [];

  /** Starts a widget; returns its handle at once (calls are queued until ready). */
  function init(config, host) {
    config = Object.assign({}, config || {});
    var listeners = {};
    var queue = [];
    var real = null;
    var destroyed = false;
    var failed = false;
    var openOnReady = false;
    var madeHost = !host;

    function emit(name, detail) {
      (listeners[name] || []).slice().forEach(function (callback) {
        try {
          callback(detail);
        } catch (e) {
          error("a `" + name + "` listener threw: " + e);
        }
      });
      if (hostElement) {
        hostElement.dispatchEvent(new CustomEvent(name, { detail: detail }));
      }
    }

    function call(method, args) {
      if (destroyed || failed) return undefined;
      if (!real) {
        queue.push([method, args]);
        if (method === "open" || method === "toggle" || method === "send") start();
        return undefined;
      }
      return real[method].apply(real, args);
    }

    var handle = {
      open: function () { return call("open", []); },
      close: function () { return call("close", []); },
      toggle: function () { return call("toggle", []); },
      send: function (text) { return call("send", [String(text)]); },
      stop: function () { return call("stop", []); },
      reset: function () { return call("reset", []); },
      setUser: function (id, info) {
        handle.user = info;
        return call("setUser", [String(id)]);
      },
      setVariables: function (variables) { return call("setVariables", [variables]); },
      setTheme: function (theme) { return call("setTheme", [theme]); },
      on: function (name, callback) {
        if (EVENTS.indexOf(name) < 0) {
          error("on(event): unknown event `" + name + "`; events: " + EVENTS.join(", "));
          return handle;
        }
        (listeners[name] = listeners[name] || []).push(callback);
        return handle;
      },
      off: function (name, callback) {
        listeners[name] = (listeners[name] || []).filter(function (c) { return c !== callback; });
        return handle;
      },
      destroy: function () {
        if (destroyed) return;
        destroyed = true;
        if (real) real.destroy();
        if (madeHost && hostElement) hostElement.remove();
        var at = instances.indexOf(handle);
        if (at >= 0) instances.splice(at, 1);
      },
      get sessionId() { return real ? real.sessionId : undefined; },
      get element() { return hostElement; },
      get ready() { return !!real; },
      get config() { return Object.assign({}, config); }
    };

    if (!config.agentId || typeof config.agentId !== "string" || !config.agentId.trim()) {
      error("option `agentId` is required: the id of your Lyzr agent (a string); the chat was not started");
      failed = true;
      return handle;
    }

    var mode = String(config.mode || "floating").toLowerCase();
    var hostElement = host || null;
    if (!hostElement) {
      hostElement = document.createElement("div");
      var parent = document.body;
      if (mode === "inline") {
        var container = typeof config.container === "string"
          ? document.querySelector(config.container) : config.container;
        if (!(container instanceof Element)) {
          error("option `container` is required with mode \"inline\": an element or a CSS selector " +
            "of the element to fill" + (config.container ? "; nothing matches " + JSON.stringify(config.container) : ""));
          failed = true;
          return handle;
        }
        parent = container;
      }
      parent.appendChild(hostElement);
    } else if (mode === "inline" && !config.container) {
      config.container = hostElement;
    }
    hostElement.setAttribute("data-lyzr-chat", config.agentId);
    var shadow = hostElement.shadowRoot || hostElement.attachShadow({ mode: "open" });
    instances.push(handle);

    var started = false;
    function start() {
      if (started || destroyed) return;
      started = true;
      if (launcher) launcher.setAttribute("aria-busy", "true");
      loadWidget().then(function (module) {
        if (destroyed) return;
        var rustConfig = Object.assign({}, config);
        delete rustConfig.preload;
        real = module.mountIn(hostElement, rustConfig, emit);
        if (!real) {
          // The widget named the bad options in the console.
          failed = true;
          while (shadow.firstChild) shadow.removeChild(shadow.firstChild);
          return;
        }
        if (openOnReady) real.open();
        emit("ready", { sessionId: real.sessionId });
        queue.splice(0).forEach(function (entry) {
          real[entry[0]].apply(real, entry[1]);
        });
      }, function (e) {
        failed = true;
        while (shadow.firstChild) shadow.removeChild(shadow.firstChild);
        emit("error", { message: "The chat could not be loaded.", detail: String((e && e.message) || e) });
      });
    }

    var launcher = null;
    var preload = config.preload === true || config.preload === "" || config.preload === "true";
    if (mode === "floating") {
      launcher = drawLauncher(shadow, config);
      launcher.addEventListener("click", function () {
        openOnReady = true;
        start();
      });
      ["pointerenter", "focus", "touchstart"].forEach(function (type) {
        launcher.addEventListener(type, start, { once: true, passive: true });
      });
      var wantsOpen = config.open === true || config.open === "" || config.open === "true";
      if (preload || wantsOpen) {
        start();
      } else if ("requestIdleCallback" in window) {
        requestIdleCallback(start, { timeout: 4000 });
      } else {
        setTimeout(start, 2000);
      }
    } else {
      start();
    }
    return handle;
  }

  // <lyzr-chat agent-id="..." api-url="..."> with attributes mirroring the options.
  var LIVE = {
    "open": function (handle, value) { return value === null || value === "false" ? handle.close() : handle.open(); },
    "theme": function (handle, value) { return handle.setTheme(value || "light"); },
    "primary-color": function (handle, value) { return value && handle.setTheme({ primaryColor: value }); },
    "user-id": function (handle, value) { return value && handle.setUser(value); },
    "system-prompt-variables": function (handle) { return handle.setVariables({ system_prompt_variables: readJson(handle, "systemPromptVariables") }); },
    "filter-variables": function (handle) { return handle.setVariables({ filter_variables: readJson(handle, "filterVariables") }); },
    "features": function (handle) { return handle.setVariables({ features: readJson(handle, "features") }); }
  };
  function readJson(handle, name) {
    var value = optionsFromAttributes(handle.element, "")[name];
    return value === undefined ? null : value;
  }

  if (window.customElements && !customElements.get("lyzr-chat")) {
    customElements.define("lyzr-chat", class extends HTMLElement {
      static get observedAttributes() {
        return OPTIONS.map(kebab);
      }
      connectedCallback() {
        if (!this.chat) this.chat = init(optionsFromAttributes(this, ""), this);
      }
      disconnectedCallback() {
        var element = this;
        // Moving the element around the page is not removing it.
        queueMicrotask(function () {
          if (!element.isConnected && element.chat) {
            element.chat.destroy();
            element.chat = null;
          }
        });
      }
      attributeChangedCallback(name, old, value) {
        if (!this.chat || old === value) return;
        if (LIVE[name]) {
          LIVE[name](this.chat, value);
          return;
        }
        // Anything else (agent, URL, texts, mode): start again with the new options.
        this.chat.destroy();
        this.chat = init(optionsFromAttributes(this, ""), this);
      }
    });
  }

  window.LyzrChat = {
    version: VERSION,
    init: function (config) { return init(config, null); },
    instances: instances,
    events: EVENTS.slice()
  };

  // <script src=".../lyzr-chat.js" data-agent-id="..."> is the whole install.
  if (script && script.hasAttribute("data-agent-id")) {
    init(optionsFromAttributes(script, "data-"), null);
  }
})();
