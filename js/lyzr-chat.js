/*! lyzr-chat loader: the one file a host page includes.
 *
 *   <script src="https://cdn.example.com/lyzr-chat/0.1.0/lyzr-chat.js"
 *           data-agent-id="..." data-api-url="https://your-proxy.example.com" async></script>
 *
 * It draws the launcher at once (in its own shadow root), loads the widget's
 * wasm from beside itself when the browser is idle or on the first
 * hover/focus/click of the launcher (option `load`: "idle", "interaction",
 * "eager"), checking both files against the sha384 hashes the build wrote
 * into it (and the visitor's language's words, locales/<lang>.json), then
 * hands the shadow root to the widget. It defines
 * window.LyzrChat (init, instances) and the <lyzr-chat> element. Calls made
 * before the wasm is ready are queued. No framework, no eval, no innerHTML:
 * it runs under a strict CSP with Trusted Types.
 */
(function () {
  "use strict";
  var VERSION = "0.1.0";
  var WIDGET_JS = "lyzr-chat-widget.js";
  var WIDGET_WASM = "lyzr-chat-widget_bg.wasm";
  var EVENTS = ["ready", "open", "close", "message-sent", "message-received", "error", "unread", "tool-call", "activity"];

  // Page HTML can shadow `document.*` and `window.*` names with its own
  // elements (`<img name="currentScript">`, `<a id="LyzrChat">`: DOM
  // clobbering). The loader reads what it trusts through the prototypes'
  // own getters and methods, and marks its own objects with symbols, which
  // no markup can create.
  var OWN = Symbol.for("lyzr-chat.loader");
  var BASE = Symbol.for("lyzr-chat.base");
  var DocumentProto = Document.prototype;
  function documentGet(name) {
    return Object.getOwnPropertyDescriptor(DocumentProto, name).get.call(document);
  }
  function createElement(name) {
    return DocumentProto.createElement.call(document, name);
  }
  function createSvg(name) {
    return DocumentProto.createElementNS.call(document, "http://www.w3.org/2000/svg", name);
  }

  var existing = globalThis[OWN];
  if (existing) {
    window.LyzrChat = existing;
    return; // included twice: the first copy serves both
  }

  function error(message) {
    console.error("lyzr-chat: " + message);
  }

  // Where the widget's files are: beside this script, or, when lyzr-chat.mjs
  // imported it, beside that module (its import.meta.url, handed over under a
  // symbol key).
  var script = documentGet("currentScript");
  if (!(script instanceof HTMLScriptElement)) script = null;
  var moduleBase = globalThis[BASE];
  delete globalThis[BASE];
  var base = script && script.src
    ? new URL(".", script.src).href
    : (typeof moduleBase === "string" ? moduleBase : new URL(".", location.href).href);

  // Options are the widget's business: it has the one table of them, and
  // checks and parses every value (JSON included). The loader hands over the
  // attributes as they are, and reads only what it needs before the wasm
  // arrives: where and how to draw the launcher, and when to load.
  function camel(name) {
    return name.replace(/-([a-z0-9])/g, function (_, c) { return c.toUpperCase(); });
  }

  // Attributes of <lyzr-chat> that are HTML's own, not options (`lang` is
  // the page's language; `dir` is an option).
  var HTML_ATTRIBUTE = /^(id|class|style|slot|part|hidden|inert|lang|tabindex|role|nonce|is|aria-.*|data-.*)$/;

  /** The options written as attributes of `<lyzr-chat>`, names in camelCase. */
  function elementOptions(element) {
    var config = {};
    Array.prototype.forEach.call(element.attributes, function (attribute) {
      if (!HTML_ATTRIBUTE.test(attribute.name)) config[camel(attribute.name)] = attribute.value;
    });
    return config;
  }

  // The launcher the loader draws before the wasm arrives: the same button
  // and look as the widget's own, so nothing jumps when it takes over. Its
  // root is .lc-loader, not the widget's .lc-root, so a test (or a page)
  // can tell the stand-in from the widget.
  var LAUNCHER_CSS =
    ":host(:not(lyzr-chat)){all:initial!important;display:block!important}:host(lyzr-chat){display:block}" +
    ":host([data-mode=inline]:not(lyzr-chat)){width:100%!important;height:100%!important}" +
    ".lc-inline{height:100%}" +
    ".lc-loader{--lc-primary:#4f46e5;--lc-z:2147483000;--lc-offset-x:20px;--lc-offset-y:20px;--lc-bg:#fff;" +
    "--lc-text:#1d2130;--lc-border:#e3e5ee;--lc-on:#fff;font:15px/1.45 system-ui,-apple-system,\"Segoe UI\"," +
    "Roboto,\"Helvetica Neue\",Arial,sans-serif;color:var(--lc-text)}" +
    ".lc-loader *{box-sizing:border-box}" +
    ".lc-loader button{font:inherit;cursor:pointer;padding:0;margin:0;border:0;display:grid;place-items:center}" +
    ".lc-dark{--lc-bg:#17191f;--lc-text:#e9eaf0;--lc-border:#333745}" +
    "@media (prefers-color-scheme:dark){.lc-auto{--lc-bg:#17191f;--lc-text:#e9eaf0;--lc-border:#333745}}" +
    ".lc-loader .lc-launcher{position:fixed;right:var(--lc-offset-x);bottom:var(--lc-offset-y);z-index:var(--lc-z);" +
    "width:56px;height:56px;border-radius:50%;background:var(--lc-primary);color:var(--lc-on);" +
    "box-shadow:0 12px 40px rgba(20,24,40,.18),0 2px 8px rgba(20,24,40,.08)}" +
    // White or black on the brand colour by contrast, as in the widget.
    "@supports (color:color(from red xyz-d65 x y z)){.lc-loader{--lc-on:color(from var(--lc-primary) xyz-d65 " +
    "clamp(0,(.1791 - y)*1e6,.9505) clamp(0,(.1791 - y)*1e6,1) clamp(0,(.1791 - y)*1e6,1.089))}}" +
    ".lc-loader :focus-visible{outline:2px solid;outline-offset:2px}" +
    ".lc-loader button:focus-visible{outline-offset:-5px}" +
    ".lc-loader svg{width:26px;height:26px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}" +
    ".lc-launcher[aria-busy=true] svg{opacity:.6}" +
    ".lc-pos-bottom-left .lc-launcher,.lc-pos-top-left .lc-launcher{right:auto;left:var(--lc-offset-x)}" +
    ".lc-pos-top-right .lc-launcher,.lc-pos-top-left .lc-launcher{bottom:auto;top:var(--lc-offset-y)}";

  // The stand-in panel (a sheet of its own, parsed only when it is drawn):
  // the widget's panel, header and composer, same sizes (style/widget.css),
  // so nothing moves when the widget takes over.
  var STAND_CSS =
    ".lc-stand{position:fixed;right:var(--lc-offset-x);bottom:calc(var(--lc-offset-y) + 72px);" +
    "z-index:var(--lc-z);width:380px;height:600px;max-width:calc(100vw - var(--lc-offset-x)*2);" +
    "max-height:calc(100vh - var(--lc-offset-y)*2 - 72px);display:flex;flex-direction:column;" +
    "background:var(--lc-bg);border:1px solid var(--lc-border);border-radius:16px;overflow:hidden;" +
    "box-shadow:0 12px 40px rgba(20,24,40,.18),0 2px 8px rgba(20,24,40,.08)}" +
    ".lc-stand[hidden]{display:none}" +
    ".lc-stand-head{display:flex;align-items:center;gap:12px;padding:14px 12px;padding-inline-start:18px;" +
    "background:var(--lc-primary);color:var(--lc-on)}" +
    ".lc-stand-head div{flex:1;min-width:0}" +
    ".lc-stand-head h2{margin:0;font-size:16px;font-weight:600;line-height:1.3}" +
    ".lc-stand-head p{margin:2px 0 0;font-size:13px;opacity:.85}" +
    ".lc-stand-head button{width:36px;height:36px;border-radius:50%;background:none;color:inherit}" +
    ".lc-stand svg{width:22px;height:22px}" +
    ".lc-stand ol{flex:1;margin:0;padding:16px;list-style:none;overflow-y:auto;display:flex;" +
    "flex-direction:column;gap:10px}" +
    ".lc-stand li{align-self:flex-end;max-width:85%;padding:9px 13px;border-radius:16px;" +
    "background:var(--lc-primary);color:var(--lc-on);white-space:pre-wrap;overflow-wrap:anywhere;opacity:.7}" +
    ".lc-stand-fail{margin:0;padding:0 16px 8px;font-size:13px}" +
    ".lc-stand form{display:flex;align-items:flex-end;gap:8px;padding:10px;padding-inline-start:14px;" +
    "border-top:1px solid var(--lc-border)}" +
    ".lc-stand textarea{flex:1;min-height:40px;max-height:140px;field-sizing:content;resize:none;" +
    "padding:9px 12px;border:1px solid var(--lc-border);border-radius:12px;background:var(--lc-bg);" +
    "color:var(--lc-text);font:inherit;line-height:1.4;overflow-y:auto;margin:0}" +
    ".lc-stand form button{width:40px;height:40px;border-radius:12px;background:var(--lc-primary);color:var(--lc-on)}" +
    ".lc-stand form button:disabled{opacity:.4;cursor:default}" +
    ".lc-stand form svg{width:20px;height:20px}" +
    ".lc-stand form span{flex:none;width:40px;height:40px;display:grid;place-items:center;opacity:.4}" +
    "[dir=rtl] .lc-stand form svg{transform:scaleX(-1)}" +
    "@media (max-width:480px){.lc-stand{inset:0;width:auto;height:auto;max-width:none;max-height:none;" +
    "border:0;border-radius:0}.lc-stand textarea{font-size:16px}}" +
    ".lc-inline .lc-stand{position:relative;inset:auto;width:100%;height:100%;max-width:none;max-height:none;" +
    "box-shadow:none}" +
    ".lc-fullpage .lc-stand{inset:0;width:auto;height:auto;max-width:none;max-height:none;border:0;border-radius:0}" +
    ".lc-pos-bottom-left .lc-stand,.lc-pos-top-left .lc-stand{right:auto;left:var(--lc-offset-x)}" +
    ".lc-pos-top-right .lc-stand,.lc-pos-top-left .lc-stand{bottom:auto;top:calc(var(--lc-offset-y) + 72px)}";

  // Colour syntax only (hex, a name, rgb/hsl/oklch of plain values): no
  // var(), url() or anything else that could fetch, and nothing that could
  // end the declaration. The widget checks the option again, more strictly,
  // and names it in the console.
  var COLOR_SYNTAX = /^\s*(#[0-9a-f]{3,8}|[a-z]+|(rgba?|hsla?|oklch)\([0-9a-z.%+\-\s,\/]*\))\s*$/i;

  function icon(d) {
    var svg = createSvg("svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = createSvg("path");
    path.setAttribute("d", d);
    svg.appendChild(path);
    return svg;
  }

  /** The loader's root in `shadow`, with its stylesheet. */
  function drawRoot(shadow, config, mode) {
    var root = createElement("div");
    var position = String(config.position || "bottom-right").toLowerCase();
    var theme = String(config.theme).toLowerCase();
    root.className = "lc-loader lc-" + mode + " lc-pos-" + position +
      (theme === "dark" || theme === "auto" ? " lc-" + theme : "");
    var sheet = new CSSStyleSheet();
    var custom = "";
    if (config.primaryColor && COLOR_SYNTAX.test(config.primaryColor) &&
        CSS.supports("color", config.primaryColor)) {
      custom += "--lc-primary:" + config.primaryColor + ";";
    }
    if (/^-?\d+$/.test(String(config.zIndex))) custom += "--lc-z:" + config.zIndex + ";";
    if (/^\d+$/.test(String(config.offsetX))) custom += "--lc-offset-x:" + config.offsetX + "px;";
    if (/^\d+$/.test(String(config.offsetY))) custom += "--lc-offset-y:" + config.offsetY + "px;";
    sheet.replaceSync(LAUNCHER_CSS + (custom ? ".lc-loader{" + custom + "}" : ""));
    shadow.adoptedStyleSheets = [sheet];
    shadow.appendChild(root);
    return root;
  }

  function drawLauncher(root) {
    var button = createElement("button");
    button.type = "button";
    button.className = "lc-launcher";
    button.setAttribute("aria-label", "Open chat");
    button.setAttribute("lang", "en");
    button.setAttribute("aria-expanded", "false");
    button.appendChild(icon("M4 5h16v11H8l-4 4z"));
    root.appendChild(button);
    return button;
  }

  /**
   * The panel the loader draws when it opens before the wasm is up (open at
   * load, or the launcher clicked while loading): a working composer, so the
   * visitor can write at once. Enter or Send queues the message (`send`);
   * the widget sends it when it starts. The widget takes the draft, caret
   * and focus over once its own panel is built (src/embed/stand_in.rs).
   * Not a widget: no conversation, no markdown; the words are English until
   * the visitor's language file arrives.
   */
  function drawStandIn(root, config, language, send, close) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(STAND_CSS);
    var shadow = root.getRootNode();
    shadow.adoptedStyleSheets = shadow.adoptedStyleSheets.concat([sheet]);
    var panel = createElement("div");
    panel.className = "lc-stand";
    panel.setAttribute("role", "dialog");
    var head = createElement("div");
    head.className = "lc-stand-head";
    var titles = createElement("div");
    var title = createElement("h2");
    titles.appendChild(title);
    if (typeof config.subtitle === "string" && config.subtitle) {
      var subtitle = createElement("p");
      subtitle.textContent = config.subtitle;
      titles.appendChild(subtitle);
    }
    head.appendChild(titles);
    // Floating only: inline and full-page widgets have no close.
    if (close) {
      var closer = createElement("button");
      closer.type = "button";
      closer.appendChild(icon("M6 6l12 12M18 6L6 18"));
      closer.addEventListener("click", close);
      head.appendChild(closer);
    }
    var list = createElement("ol");
    list.setAttribute("aria-busy", "true");
    var form = createElement("form");
    var input = createElement("textarea");
    input.rows = 1;
    input.setAttribute("enterkeyhint", "send");
    var button = createElement("button");
    button.appendChild(icon("M4 12l16-8-6 16-2-7z"));
    if (String(config.attachments) !== "false") {
      // Where the widget's paperclip comes (not a control before it).
      var clip = createElement("span");
      clip.appendChild(icon("M20 11.5l-8 8a5 5 0 0 1-7-7l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4L15 7"));
      form.appendChild(clip);
    }
    form.appendChild(input);
    form.appendChild(button);
    panel.appendChild(head);
    panel.appendChild(list);
    panel.appendChild(form);
    function words(w) {
      w = w || {};
      var pick = function (key, english) {
        return typeof config[key] === "string" && config[key] ? config[key]
          : typeof w[key] === "string" ? w[key] : english;
      };
      title.textContent = pick("title", "Chat");
      panel.setAttribute("aria-label", title.textContent);
      input.placeholder = pick("placeholder", "Type a message…");
      input.setAttribute("aria-label", input.placeholder);
      if (closer) closer.setAttribute("aria-label", w.close_label || "Close chat");
      button.setAttribute("aria-label", w.send_label || "Send message");
    }
    words(null);
    language.then(function (l) {
      if (l.strings) words(l.strings);
      var lang = l.locale.toLowerCase().split(/[-_]/)[0];
      var dir = String(config.dir).toLowerCase();
      panel.lang = l.locale;
      panel.dir = dir === "ltr" || dir === "rtl" ? dir : /^(ar|he|fa|ur)$/.test(lang) ? "rtl" : "ltr";
    });
    var broken = false;
    function sync() {
      button.disabled = broken || !input.value.trim();
    }
    function submit(e) {
      e.preventDefault();
      var text = input.value;
      if (broken || !text.trim()) return;
      send(text);
      var item = createElement("li");
      item.textContent = text;
      list.appendChild(item);
      input.value = "";
      sync();
    }
    sync();
    input.addEventListener("input", sync);
    form.addEventListener("submit", submit);
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        submit(e);
      }
    });
    // The widget waits for the end of a composition before it takes over.
    input.addEventListener("compositionstart", function () { input.setAttribute("data-composing", ""); });
    input.addEventListener("compositionend", function () { input.removeAttribute("data-composing"); });
    // Floating, as the widget's panel: Escape closes it, and Tab cycles
    // through its controls.
    if (close) {
      panel.setAttribute("aria-modal", "true");
      panel.addEventListener("keydown", function (e) {
        if (e.key === "Escape") close();
        if (e.key !== "Tab") return;
        var controls = [closer, input, button].filter(function (c) { return !c.disabled; });
        var edge = controls[e.shiftKey ? 0 : controls.length - 1];
        if (root.getRootNode().activeElement === edge) {
          e.preventDefault();
          controls[e.shiftKey ? controls.length - 1 : 0].focus();
        }
      });
    }
    root.appendChild(panel);
    return {
      panel: panel,
      input: input,
      list: list,
      fail: function (message) {
        broken = true;
        sync();
        list.removeAttribute("aria-busy");
        var note = createElement("p");
        note.className = "lc-stand-fail";
        note.setAttribute("role", "alert");
        note.textContent = message;
        panel.insertBefore(note, form);
      }
    };
  }

  // The build (scripts/sri.sh) writes the sha384 of the widget's two files
  // here, so pinning this loader with `integrity` pins them too.
  var INTEGRITY_JS = "__LYZR_CHAT_SRI_JS__";
  var INTEGRITY_WASM = "__LYZR_CHAT_SRI_WASM__";

  // Each language's file and its sha384 (English is compiled in): sri.sh.
  var LOCALE_FILES = /*__LYZR_CHAT_LOCALES__*/ {};

  // The `locale` option, else the closest `lang` (`<html lang>`), else the
  // browser's: as src/embed/language.rs.
  function resolveLocale(config, hostElement) {
    var tag = typeof config.locale === "string" ? config.locale.trim() : "";
    if (!tag) {
      var withLang = hostElement.closest("[lang]");
      tag = (withLang && withLang.getAttribute("lang") || "").trim();
    }
    return tag || navigator.language || "en";
  }

  // `{ locale, strings }` for the widget (strings null: English).
  var localeLoads = {};
  function loadLanguage(tag) {
    var lower = String(tag).toLowerCase().replace(/_/g, "-");
    var language = lower.split("-")[0];
    var file = [lower, language].filter(function (f) {
      return Object.prototype.hasOwnProperty.call(LOCALE_FILES, f);
    })[0];
    if (language === "en") return Promise.resolve({ locale: tag, strings: null });
    if (!file) {
      console.warn("lyzr-chat: no words for the language \"" + tag + "\" in this build (it has: en, " +
        Object.keys(LOCALE_FILES).join(", ") + "), so the chat is in English");
      return Promise.resolve({ locale: tag, strings: null });
    }
    if (!localeLoads[file]) {
      var path = "locales/" + file + ".json";
      localeLoads[file] = fetch(base + path, { integrity: LOCALE_FILES[file] }).catch(function (e) {
        return integrityFailure(path, LOCALE_FILES[file], e);
      }).then(function (response) {
        if (!response.ok) throw new Error("could not fetch " + base + path + ": HTTP " + response.status);
        return response.json();
      }).catch(function (e) {
        console.warn("lyzr-chat: the words for \"" + file + "\" could not be loaded, so the chat is in " +
          "English: " + String((e && e.message) || e));
        return null;
      });
    }
    return localeLoads[file].then(function (strings) {
      return { locale: tag, strings: strings };
    });
  }

  /** Why `file` failed to load with its hash check: a mismatch or the network. */
  function integrityFailure(file, integrity, cause) {
    var url = base + file;
    return fetch(url, { method: "HEAD", cache: "no-store" }).then(function (response) {
      return response.ok
        ? new Error(file + " does not match the sha384 this loader was built with (" + integrity +
          "): it was changed after the build, or it belongs to another version of lyzr-chat; " +
          "serve the files of one build together")
        : new Error("could not fetch " + url + ": HTTP " + response.status);
    }, function () {
      return new Error("could not fetch " + url + " (" + cause + ")");
    }).then(function (e) { throw e; });
  }

  /**
   * Fetches the widget's JS glue through `<link rel="modulepreload"
   * integrity>`: the browser checks the hash and puts the module in the page's
   * module map, where the import() that follows finds it (a plain import()
   * cannot carry `integrity`). Same CSP as import(): script-src.
   */
  function preloadGlue() {
    return new Promise(function (resolve, reject) {
      var link = createElement("link");
      link.rel = "modulepreload";
      link.integrity = INTEGRITY_JS;
      link.href = base + WIDGET_JS;
      link.addEventListener("load", function () { link.remove(); resolve(); });
      link.addEventListener("error", function () {
        link.remove();
        integrityFailure(WIDGET_JS, INTEGRITY_JS, "error").then(resolve, reject);
      });
      (documentGet("head") || documentGet("documentElement")).appendChild(link);
    });
  }

  // A task of its own for what comes next.
  function nextTask(value) {
    return new Promise(function (resolve) { setTimeout(resolve, 0, value); });
  }

  function wasmMismatch() {
    return new Error(WIDGET_WASM + " does not match the sha384 this loader was built with (" + INTEGRITY_WASM +
      "): it was changed after the build, or it belongs to another version of lyzr-chat; " +
      "serve the files of one build together");
  }

  function sha384(bytes) {
    return crypto.subtle.digest("SHA-384", bytes).then(function (digest) {
      return "sha384-" + btoa(String.fromCharCode.apply(null, new Uint8Array(digest)));
    });
  }

  // The wasm compiled while it arrives, off the main thread. (A fetch with
  // `integrity` would hand it over whole, compiled in one long task.) With
  // WebCrypto, one copy of the body streams into the compiler, the other is
  // hashed; the module is used only if the hash matches.
  function compileWasm() {
    var url = base + WIDGET_WASM;
    var streamed = !!(window.crypto && crypto.subtle && window.ReadableStream && ReadableStream.prototype.tee);
    return fetch(url, streamed ? {} : { integrity: INTEGRITY_WASM }).catch(function (e) {
      return integrityFailure(WIDGET_WASM, INTEGRITY_WASM, e);
    }).then(function (response) {
      if (!response.ok) throw new Error("could not fetch " + url + ": HTTP " + response.status);
      var wasm = { "content-type": "application/wasm" };
      if (!streamed) return WebAssembly.compileStreaming(new Response(response.body, { headers: wasm }));
      var copies = response.body.tee();
      var checked = new Response(copies[1]).arrayBuffer().then(sha384).then(function (hash) {
        if (hash !== INTEGRITY_WASM) throw wasmMismatch();
      });
      var compiled = WebAssembly.compileStreaming(new Response(copies[0], { headers: wasm }));
      return checked.then(function () { return compiled; }, function (e) {
        compiled.catch(function () {});
        throw e;
      });
    });
  }

  // One wasm module for every instance on the page: wasm and glue fetched
  // side by side, then instantiating and each mount in tasks of their own.
  var widgetModule = null;
  function loadWidget() {
    if (!widgetModule) {
      widgetModule = INTEGRITY_JS.indexOf("sha384-") !== 0 || INTEGRITY_WASM.indexOf("sha384-") !== 0
        ? Promise.reject(new Error("this copy of lyzr-chat.js carries no hashes of the widget's files; " +
          "use the one the build wrote (trunk build runs scripts/sri.sh)"))
        : Promise.all([
          // The wasm first: it is the long pole.
          compileWasm(),
          preloadGlue().then(function () { return import(base + WIDGET_JS); })
        ]).then(function (loaded) {
          return nextTask(loaded);
        }).then(function (loaded) {
          return loaded[1].default({ module_or_path: loaded[0] }).then(function () {
            return nextTask(loaded[1]);
          });
        });
      widgetModule.catch(function (e) {
        var text = String((e && e.message) || e);
        if (/Content Security Policy|wasm-unsafe-eval|wasm-eval|Refused to compile/i.test(text)) {
          error("this page's Content-Security-Policy blocks WebAssembly, so the chat cannot start. " +
            "Add 'wasm-unsafe-eval' to the script-src directive, e.g. " +
            "Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval' (" + text + ")");
        } else {
          error("could not load the chat widget from " + base + ": " + text);
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
    // Floating: whether the visitor wants the panel open while the widget
    // loads (the stand-in panel shows it), and that panel once drawn.
    var panelOpen = false;
    var stand = null;
    var language = null;
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
        if (launcher && /^(open|close|toggle)$/.test(method)) {
          start();
          return setOpen(method === "toggle" ? !panelOpen : method === "open");
        }
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
      setOption: function (name, value) { return call("setOption", [String(name), value]); },
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
        else if (root) root.remove();
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
      hostElement = createElement("div");
      var parent = documentGet("body");
      if (mode === "inline") {
        var container = typeof config.container === "string"
          ? DocumentProto.querySelector.call(document, config.container) : config.container;
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
      // The words come with the wasm (no English first).
      language = loadLanguage(resolveLocale(config, hostElement));
      sayOpen();
      // The browser loads a page's localStorage on its first use, which the
      // mount would wait for: done while the wasm downloads, in a task of
      // its own (nothing is read or written; not at all with
      // `persistence: "none"`).
      if (String(config.persistence).toLowerCase() !== "none") {
        setTimeout(function () {
          try {
            void localStorage.length;
          } catch (e) {
            // Blocked (e.g. third-party storage off): the widget copes.
          }
        });
      }
      Promise.all([loadWidget(), language]).then(function (loaded) {
        if (destroyed) return;
        // Opened (or closed) while loading: it starts so (its panel built in
        // steps, taking the stand-in's text over).
        var opening = panelOpen;
        // The options read in this task, the conversation and the views in
        // the next ones.
        var prepared = loaded[0].prepareIn(hostElement,
          Object.assign({}, config, launcher && opening !== wantsOpen ? { open: opening } : {}), emit, loaded[1]);
        return prepared && nextTask().then(function () {
          if (destroyed) return prepared.free();
          real = prepared.mount();
          if (!real) return;
          if (opening && !wantsOpen) emit("open");
          // Opened or closed between the two: so now.
          if (panelOpen !== opening) queue.unshift([panelOpen ? "open" : "close", []]);
          emit("ready", { sessionId: real.sessionId });
          queue.splice(0).forEach(function (entry) {
            real[entry[0]].apply(real, entry[1]);
          });
        });
      }).then(function () {
        if (!real && !destroyed) {
          // The widget named the bad options in the console.
          fail();
        }
      }, function (e) {
        fail();
        emit("error", { message: "The chat could not be loaded.", detail: String((e && e.message) || e) });
      });
    }

    // Nothing stays on the page that cannot work, but what the visitor
    // wrote in the stand-in panel: it stays, to copy, with the reason.
    function fail() {
      failed = true;
      if (stand && (stand.input.value.trim() || stand.list.firstChild)) {
        stand.fail("The chat could not be loaded.");
        if (launcher) launcher.remove();
        return;
      }
      while (shadow.firstChild) shadow.removeChild(shadow.firstChild);
    }

    // The loader's launcher says "Open chat" in the visitor's language once
    // the words are here (until the widget takes it over).
    function sayOpen() {
      if (launcher && language) {
        language.then(function (l) {
          if (l.strings && typeof l.strings.open_label === "string") {
            launcher.setAttribute("aria-label", l.strings.open_label);
            launcher.setAttribute("lang", l.locale);
          }
        });
      }
    }

    // Before the widget takes the launcher over: the stand-in panel.
    function setOpen(open, focus) {
      panelOpen = open;
      if (real) real[open ? "open" : "close"]();
      if (open && !stand) {
        stand = drawStandIn(root, config, language, handle.send, function () {
          setOpen(false);
          launcher.focus();
        });
      }
      if (stand) stand.panel.hidden = !open;
      launcher.setAttribute("aria-expanded", String(open));
      if (open && focus) stand.input.focus();
    }

    var launcher = null;
    var root = null;
    // When to fetch the wasm: "idle" (default), "interaction" (the launcher's
    // first hover, focus or click: a visitor who never chats downloads only
    // this loader) or "eager" (at once; `preload: true` is the same).
    var preload = config.preload === true || config.preload === "" || config.preload === "true";
    var load = String(config.load || (preload ? "eager" : "idle")).toLowerCase();
    var wantsOpen = config.open === true || config.open === "" || config.open === "true";
    if (mode !== "floating" || load === "eager" || wantsOpen) {
      // The wasm is the long pole: asked for before anything is drawn.
      start();
    }
    if (mode === "floating") {
      root = drawRoot(shadow, config, mode);
      launcher = drawLauncher(root);
      if (started) launcher.setAttribute("aria-busy", "true");
      sayOpen();
      if (wantsOpen) {
        // The panel in a task of its own: the page's task running this
        // script stays short.
        panelOpen = true;
        setTimeout(function () {
          if (panelOpen && !stand && !real && !destroyed) setOpen(true);
        });
      }
      launcher.addEventListener("click", function () {
        start();
        setOpen(!panelOpen, true);
      });
      ["pointerenter", "focus", "touchstart"].forEach(function (type) {
        launcher.addEventListener(type, start, { once: true, passive: true });
      });
      if (started || load === "interaction") {
        // Loading already, or nothing until the visitor reaches for the launcher.
      } else if ("requestIdleCallback" in window) {
        requestIdleCallback(start, { timeout: 4000 });
      } else {
        setTimeout(start, 2000);
      }
    } else if (mode === "inline" || mode === "fullpage") {
      // Loading already: the panel is the widget, so its stand-in shows now.
      hostElement.setAttribute("data-mode", mode);
      setTimeout(function () {
        if (!real && !destroyed && !failed) {
          stand = drawStandIn(drawRoot(shadow, config, mode), config, language, handle.send, null);
        }
      });
    }
    return handle;
  }

  // <lyzr-chat agent-id="..." api-url="..."> with attributes mirroring the
  // options. A change applies live where the widget can (it says which);
  // otherwise the widget starts again with the new attributes.
  if (window.customElements && !customElements.get("lyzr-chat")) {
    customElements.define("lyzr-chat", class extends HTMLElement {
      connectedCallback() {
        var element = this;
        if (!element.chat) element.chat = init(elementOptions(element), element);
        if (!element.watcher) {
          element.watcher = new MutationObserver(function (records) {
            records.forEach(function (record) {
              var name = record.attributeName;
              var value = element.getAttribute(name);
              if (!element.chat || HTML_ATTRIBUTE.test(name) || record.oldValue === value) return;
              if (element.chat.ready && element.chat.setOption(camel(name), value)) return;
              element.chat.destroy();
              element.chat = init(elementOptions(element), element);
            });
          });
          element.watcher.observe(element, { attributes: true, attributeOldValue: true });
        }
      }
      disconnectedCallback() {
        var element = this;
        // Moving the element around the page is not removing it.
        queueMicrotask(function () {
          if (!element.isConnected && element.chat) {
            element.chat.destroy();
            element.chat = null;
            if (element.watcher) element.watcher.disconnect();
            element.watcher = null;
          }
        });
      }
    });
  }

  var api = {
    version: VERSION,
    init: function (config) { return init(config, null); },
    instances: instances,
    events: EVENTS.slice()
  };
  Object.defineProperty(globalThis, OWN, { value: api });
  // An own property of window: it hides any element named LyzrChat.
  window.LyzrChat = api;

  // <script src=".../lyzr-chat.js" data-agent-id="..."> is the whole install.
  if (script && script.hasAttribute("data-agent-id")) {
    init(Object.assign({}, script.dataset), null);
  }
})();
