// UcClient CRM softphone boot for Salesforce (Open CTI): copied by `cargo xtask package` to the root of the
// UcClientWidget static resource. It loads the widget's WebAssembly from the same static resource and
// mounts the widget with host "salesforce". It touches nothing of Open CTI itself: the widget's
// Salesforce bridge does (in `salesforce_prepare`, and once mounted). When the module cannot start (a
// Content Security Policy without 'wasm-unsafe-eval', a missing file) it says so in the panel instead
// of leaving it blank.
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

// The panels the widget loads later (the softphone, voicemail, routing, …) are wasm chunks that
// wasm-split's loader (`pkg/__wasm_split.js`) instantiates with `WebAssembly.instantiateStreaming`,
// which, unlike the glue, has no fallback when the response is not `application/wasm` — and the
// content type Salesforce gives a .wasm inside a zip static resource is not documented. This page is
// the softphone iframe, ours alone: here the call falls back to the response's bytes, as the glue does.
const streaming = WebAssembly.instantiateStreaming;
WebAssembly.instantiateStreaming = async (source, imports) => {
  const response = await source;
  const type = (response.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
  if (streaming && type === 'application/wasm') {
    return streaming.call(WebAssembly, response, imports);
  }
  return WebAssembly.instantiate(await response.arrayBuffer(), imports);
};

try {
  const widget = await import('./pkg/ucclient_widget.js');
  // The content type Salesforce gives a .wasm inside a zip static resource is not documented: the glue
  // instantiates from the response when it is application/wasm and from its bytes otherwise.
  await widget.default({ module_or_path: new URL('./pkg/ucclient_widget_bg.wasm', import.meta.url) });
  // The widget's Salesforce bridge reads the call center's settings (the backend URL) through Open CTI;
  // when it cannot, the widget still mounts and says why.
  const prepared = await widget.salesforce_prepare();
  root.replaceChildren();
  if (prepared.problem) {
    // Without the call center's settings the backend is unknown: say so before anyone tries to sign in.
    const note = document.createElement('p');
    note.className = 'ucclient-boot-warning';
    note.setAttribute('role', 'alert');
    note.textContent = prepared.problem;
    Object.assign(note.style, { margin: '8px', padding: '6px 8px', border: '1px solid #ba0517', borderRadius: '4px', background: '#fef1ee', font: '13px system-ui, sans-serif' });
    root.before(note);
  }
  widget.mount(root, { host: 'salesforce', api_base: prepared.api_base || '' });
} catch (error) {
  showFailure(
    wasmBlocked(error)
      ? 'UcClient CRM cannot start: this page blocks WebAssembly. Ask your Salesforce administrator to check the softphone page\'s Content Security Policy (see the UcClient admin guide).'
      : 'UcClient CRM could not be loaded. Reload the page; if this persists, ask your Salesforce administrator to redeploy the UcClientWidget static resource.',
    error,
  );
  console.error('UcClient CRM boot failed', error);
}
