// Injected into every bench page before its own scripts run (CDP
// Page.addScriptToEvaluateOnNewDocument). It records long tasks from the
// start, and on every animation frame checks when the launcher, the loaded
// widget and a usable composer first appear: a frame runs only when the main
// thread is free, so "seen at frame N" is also "the visitor could act".
(() => {
  const bench = (window.__bench = { longtasks: [], seen: {}, phases: [] });
  // When the wasm is compiled and instantiated: [name, start, duration].
  for (const name of ["compile", "compileStreaming", "instantiate", "instantiateStreaming"]) {
    const original = WebAssembly[name];
    WebAssembly[name] = function (...args) {
      const start = performance.now();
      const done = () => bench.phases.push([name, start, performance.now() - start]);
      const result = original.apply(this, args);
      result.then(done, done);
      return result;
    };
  }
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longtasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });

  // Long animation frames, with what took the time (scripts, forced layout,
  // rendering): `--verbose` prints the longest.
  bench.frames = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const r = (x) => Math.round(x);
        bench.frames.push({
          start: r(e.startTime),
          duration: r(e.duration),
          render: e.renderStart ? r(e.startTime + e.duration - e.renderStart) : 0,
          layout: e.styleAndLayoutStart ? r(e.startTime + e.duration - e.styleAndLayoutStart) : 0,
          scripts: e.scripts.map((s) => [s.invoker, r(s.duration), r(s.forcedStyleAndLayoutDuration)]),
        });
      }
    }).observe({ type: "long-animation-frame", buffered: true });
  } catch (e) {
    // Not in this browser.
  }

  const inShadow = (host, css) => {
    const h = document.querySelector(host);
    return h && h.shadowRoot ? h.shadowRoot.querySelector(css) : null;
  };
  const visible = (el) => !!el && el.getClientRects().length > 0;
  bench.oursRoot = () => {
    const h = document.querySelector("[data-lyzr-chat]");
    return h && h.shadowRoot;
  };
  bench.deepRoot = () => {
    const h = document.querySelector("deep-chat");
    return h && h.shadowRoot;
  };
  // The widget's own composer (ours once the wasm has built it; deep-chat's).
  bench.ownComposer = () => {
    const ours = inShadow("[data-lyzr-chat]", ".lc-panel:not([hidden]) .lc-input");
    if (ours) return visible(ours) && !ours.disabled ? ours : null;
    const deep = inShadow("deep-chat", "#text-input");
    return visible(deep) && deep.isContentEditable ? deep : null;
  };
  // A composer the visitor can write in and send from: ours is the
  // loader's stand-in panel until the wasm is up (what is typed and sent
  // there goes to the widget).
  bench.composer = () => {
    const own = bench.ownComposer();
    if (own) return own;
    const stand = inShadow("[data-lyzr-chat]", ".lc-loader .lc-stand:not([hidden]) textarea");
    return visible(stand) && !stand.disabled ? stand : null;
  };
  const watch = {
    launcher: () => visible(inShadow("[data-lyzr-chat]", ".lc-launcher")),
    widget: () => !!inShadow("[data-lyzr-chat]", ".lc-panel") || !!bench.ownComposer(),
    composer: () => !!bench.composer(),
    ownComposer: () => !!bench.ownComposer(),
  };
  const tick = () => {
    let pending = false;
    for (const name in watch) {
      if (bench.seen[name] !== undefined) continue;
      if (watch[name]()) bench.seen[name] = performance.now();
      else pending = true;
    }
    if (pending && performance.now() < 120000) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  // Resolves with performance.now() at the first frame where check() holds.
  bench.waitFor = (check, timeoutMs) =>
    new Promise((resolve, reject) => {
      const start = performance.now();
      const step = () => {
        let ok = false;
        try {
          ok = !!check();
        } catch (e) {
          ok = false;
        }
        if (ok) return resolve(performance.now());
        if (performance.now() - start > timeoutMs) return reject(new Error("bench: timed out"));
        requestAnimationFrame(step);
      };
      step();
    });
  bench.sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  // Long tasks that started at or after `since`: [count, longest, total blocking time].
  bench.tasksSince = (since) => {
    const tasks = bench.longtasks.filter((t) => t[0] >= since);
    let longest = 0;
    let tbt = 0;
    for (const [, d] of tasks) {
      longest = Math.max(longest, d);
      tbt += Math.max(0, d - 50);
    }
    return [tasks.length, longest, tbt];
  };
  // When the widget's own script had arrived: long tasks before it are the
  // host page's (its parsing, the first layout), not the widget's.
  bench.widgetArrived = () => {
    const script = performance
      .getEntriesByType("resource")
      .find((e) => /\/(lyzr-chat\.js|deepChat\.bundle\.js)$/.test(e.name));
    return script ? script.responseEnd : 0;
  };
  // Bytes over the wire for everything but the host page itself.
  bench.bytes = () =>
    performance.getEntriesByType("resource").reduce((sum, e) => sum + e.transferSize, 0);
  bench.resources = () =>
    performance.getEntriesByType("resource").map((e) => [e.name, e.transferSize, e.encodedBodySize]);
})();
