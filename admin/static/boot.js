// Loads the administration page's module and mounts the page on <body>.
// A file rather than an inline script: the page's Content-Security-Policy allows only 'self'.
import init, { mount } from './pkg/ucclient_admin.js';

await init({ module_or_path: new URL('./pkg/ucclient_admin_bg.wasm', import.meta.url) });
mount();
