// A classic (non-module) script: it runs even where module scripts cannot. It explains why the
// page stays empty when it is opened as a file (browsers do not run ES modules or fetch the wasm
// core from file:// URLs), and when the page's module scripts cannot be loaded at all.
(function () {
  'use strict';
  function showError(title, lines, pre) {
    var box = document.getElementById('loading');
    if (!box) return;
    box.hidden = false;
    box.replaceChildren();
    var h2 = document.createElement('h2');
    h2.textContent = title;
    box.append(h2);
    lines.forEach(function (line, i) {
      if (i === 1 && pre) {
        var code = document.createElement('pre');
        code.textContent = pre;
        box.append(code);
      }
      var p = document.createElement('p');
      p.textContent = line;
      box.append(p);
    });
    box.classList.add('state-error');
  }
  function whenReady(fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn);
    else fn();
  }
  if (location.protocol === 'file:') {
    whenReady(function () {
      showError('Serve this folder over HTTP', [
        'Browsers do not run the migration core from a file:// page. Run `qad-migrate preview` in the '
          + 'frontend root, or serve this folder with any static file server, e.g.:',
        'then open http://127.0.0.1:8000/ and drop an apps.json onto the page.',
      ], 'python3 -m http.server --bind 127.0.0.1 8000');
    });
    return;
  }
  // app.js imports the other modules and the wasm glue statically: when one of them cannot be
  // fetched, its script element fires an error event (which does not bubble: captured here).
  window.addEventListener('error', function (ev) {
    var el = ev.target;
    if (!el || el.tagName !== 'SCRIPT' || el.type !== 'module') return;
    showError('Something went wrong', [
      'The preview could not start: its scripts or the migration core (wasm/qad_wasm.js) could not be loaded.',
    ]);
    document.body.dataset.state = 'error';
  }, true);
})();
