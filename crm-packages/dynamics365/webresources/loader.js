// UcClient CRM loader for Dynamics 365 (web resource ucc_/ucclient/loader.js). Dynamics has no .wasm
// web-resource type, so the module arrives base64-encoded inside the JavaScript web resource
// pkg/ucclient_widget_wasm.js; this loader decodes it and instantiates it from bytes through the
// wasm-bindgen glue (pkg/ucclient_widget.js), then mounts the widget with host "dynamics". The backend URL
// comes from config.js (written by `cargo xtask package --backend-url`, or edited in the solution).
// When the module cannot start (Dataverse strict CSP blocks WebAssembly, a web resource is missing) it
// says so in the panel instead of leaving it blank. It never touches the CIF library: the widget's
// Dynamics bridge does.
const root = document.getElementById('ucclient-root');

function showFailure(sentence, error) {
  const box = document.createElement('div');
  box.className = 'ucclient-boot-error';
  box.setAttribute('role', 'alert');
  const title = document.createElement('p');
  title.textContent = sentence;
  const detail = document.createElement('p');
  detail.className = 'ucclient-boot-detail';
  detail.textContent = String((error && error.message) || error || '');
  box.append(title, detail);
  root.replaceChildren(box);
  window.__ucclientBootError = sentence;
}

function wasmBlocked(error) {
  const text = String((error && error.message) || error || '');
  return /WebAssembly|wasm|unsafe-eval|Content Security Policy/i.test(text);
}

function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

// The module is split: the panels it loads later (the softphone, voicemail, routing, …) are wasm
// chunks that wasm-split's loader fetches as `pkg/<chunk>.wasm`. Dynamics serves no .wasm, so each
// chunk is the script web resource `pkg/<chunk>.wasm.js` (base64, like the module). This page is the
// CIF panel, ours alone: here exactly those fetches are answered from that script; every other
// request goes to the network untouched.
const pkgBase = new URL('./pkg/', import.meta.url).href;
const networkFetch = window.fetch.bind(window);
window.fetch = (input, init) => {
  const url = typeof input === 'string' ? input : (input instanceof URL ? input.href : input.url);
  const file = url.startsWith(pkgBase) ? url.slice(pkgBase.length) : '';
  if (/^(split|chunk)_[A-Za-z0-9_]+\.wasm$/.test(file)) {
    return import(`./pkg/${file}.js`).then((chunk) => new Response(decodeBase64(chunk.default), {
      headers: { 'Content-Type': 'application/wasm' },
    }));
  }
  return networkFetch(input, init);
};

try {
  const [config, widget, wasm] = await Promise.all([
    import('./config.js'),
    import('./pkg/ucclient_widget.js'),
    import('./pkg/ucclient_widget_wasm.js'),
  ]);
  await widget.default({ module_or_path: decodeBase64(wasm.default) });
  // The widget's Dynamics bridge loads the CIF library and waits for CIFInitDone (at most 5 s: without
  // CIF the widget still works and says what is unavailable), reading the user's language from it.
  await widget.dynamics_prepare(5000);
  root.replaceChildren();
  widget.mount(root, { host: 'dynamics', api_base: config.default.backendUrl });
} catch (error) {
  showFailure(
    wasmBlocked(error)
      ? 'UcClient CRM cannot start: this environment blocks WebAssembly (Content Security Policy). Ask your Dynamics 365 administrator to allow it for this app (see the UcClient admin guide).'
      : 'UcClient CRM could not be loaded. Reload the page; if this persists, ask your Dynamics 365 administrator to re-import the UcClient CRM solution.',
    error,
  );
  console.error('UcClient CRM loader failed', error);
}
