// A classic (non-module) script: it runs even where module scripts cannot, and explains why
// the page stays empty when it is opened as a file (browsers do not run ES modules or fetch
// the wasm core from file:// URLs).
(function () {
  'use strict';
  if (location.protocol !== 'file:') return;
  function show() {
    var box = document.getElementById('loading');
    if (!box) return;
    box.replaceChildren();
    var title = document.createElement('h2');
    title.textContent = 'Serve this folder over HTTP';
    var p1 = document.createElement('p');
    p1.textContent = 'Browsers do not run the migration core from a file:// page. Run `qad-migrate preview` in the '
      + 'frontend root, or serve this folder with any static file server, e.g.:';
    var pre = document.createElement('pre');
    pre.textContent = 'python3 -m http.server --bind 127.0.0.1 8000';
    var p2 = document.createElement('p');
    p2.textContent = 'then open http://127.0.0.1:8000/ and drop an apps.json onto the page.';
    box.append(title, p1, pre, p2);
    box.classList.add('state-error');
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', show);
  else show();
})();
