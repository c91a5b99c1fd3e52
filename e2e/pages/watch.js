// Test pages' recorder: CSP violations, console errors and warnings, uncaught
// errors, and the widget's DOM events, for the end-to-end tests to read.
window.__violations = [];
window.__console = [];
window.__uncaught = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
["error", "warn"].forEach(function (level) {
  var original = console[level];
  console[level] = function () {
    window.__console.push(level + ": " + Array.prototype.map.call(arguments, String).join(" "));
    return original.apply(console, arguments);
  };
});
window.addEventListener("error", function (e) { window.__uncaught.push(String(e.message)); });
window.addEventListener("unhandledrejection", function (e) { window.__uncaught.push(String(e.reason)); });
