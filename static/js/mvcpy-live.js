/* mvcpy live: server-rendered real time.
 *
 * <div data-mvcpy-live="/ws/chat">     a WebSocket to that path (reconnects with backoff)
 * <div data-mvcpy-stream="/events">    an EventSource (server-sent events) to that path
 * <form data-mvcpy-send="#chat">       submitting sends the fields as one JSON message
 *                                      through the WebSocket of the element #chat, then
 *                                      resets the form (data-mvcpy-clear="text": only
 *                                      the fields named there are emptied)
 *
 * Messages {"mvcpy": "fragment", "action", "target", "html"} (hub.push_fragment) are
 * applied to the element whose id is target. Every message is also dispatched as a
 * "mvcpy:message" event (detail: the parsed JSON, or the raw data) on the connected
 * element, so pages can handle their own messages. Served by app.serve_live_script().
 */
(function () {
  "use strict";

  // Close codes after which reconnecting would be refused again the same way.
  var FINAL = { 1000: true, 1003: true, 1007: true, 1008: true, 1009: true };

  function socketURL(path) {
    var url = new URL(path, window.location.href);
    if (url.protocol === "http:") url.protocol = "ws:";
    if (url.protocol === "https:") url.protocol = "wss:";
    return url.href;
  }

  function apply(message) {
    var element = document.getElementById(message.target);
    if (!element) return false;
    var html = message.html;
    switch (message.action) {
      case "replace": element.outerHTML = html; break;
      case "update": element.innerHTML = html; break;
      case "append": element.insertAdjacentHTML("beforeend", html); break;
      case "prepend": element.insertAdjacentHTML("afterbegin", html); break;
      case "before": element.insertAdjacentHTML("beforebegin", html); break;
      case "after": element.insertAdjacentHTML("afterend", html); break;
      case "remove": element.remove(); break;
      default: return false;
    }
    return true;
  }

  function received(element, data) {
    var message = null;
    if (typeof data === "string") {
      try { message = JSON.parse(data); } catch (error) { message = null; }
    }
    if (message && message.mvcpy === "fragment") apply(message);
    element.dispatchEvent(new CustomEvent("mvcpy:message", {
      bubbles: true, detail: message !== null ? message : data
    }));
  }

  function state(element, value) {
    element.dataset.mvcpyState = value;
    element.dispatchEvent(new CustomEvent("mvcpy:" + value, { bubbles: true }));
  }

  function connectSocket(element) {
    var delay = 500;
    function open() {
      var socket = new WebSocket(socketURL(element.dataset.mvcpyLive));
      element.mvcpySocket = socket;
      socket.onopen = function () { delay = 500; state(element, "open"); };
      socket.onmessage = function (event) { received(element, event.data); };
      socket.onclose = function (event) {
        state(element, "closed");
        if (FINAL[event.code]) return;
        window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 10000);
      };
    }
    open();
  }

  function connectStream(element) {
    var source = new EventSource(element.dataset.mvcpyStream);  // reconnects by itself
    element.mvcpySource = source;
    source.onopen = function () { state(element, "open"); };
    source.onmessage = function (event) { received(element, event.data); };
    source.onerror = function () { state(element, "closed"); };
  }

  function send(selector, value) {
    var element = document.querySelector(selector);
    var socket = element && element.mvcpySocket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(typeof value === "string" ? value : JSON.stringify(value));
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-mvcpy-send]");
    if (!form) return;
    event.preventDefault();
    var fields = {};
    new FormData(form).forEach(function (value, name) { fields[name] = value; });
    if (!send(form.dataset.mvcpySend, fields)) return;
    var clear = form.dataset.mvcpyClear;
    if (!clear) {
      form.reset();
      return;
    }
    clear.split(/\s+/).forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field) field.value = "";
    });
  });

  function start() {
    document.querySelectorAll("[data-mvcpy-live]").forEach(connectSocket);
    document.querySelectorAll("[data-mvcpy-stream]").forEach(connectStream);
  }

  window.mvcpyLive = { apply: apply, send: send };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
