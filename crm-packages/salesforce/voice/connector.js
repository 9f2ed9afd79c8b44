// UcClient CRM connector for Salesforce Voice with partner telephony: the THIN shim between
// Salesforce's `@salesforce/scv-connector-base` (loaded before this module as the global
// `SCVConnectorBase`) and the widget's WebAssembly. `cargo xtask package` copies it to the root of the
// UcClientVoice static resource, beside the library and the widget's Salesforce Voice module (`pkg/`).
//
// It only (1) subclasses the library's VendorConnector and registers it with `initializeConnector`
// before anything is awaited, so Salesforce's SETUP_CONNECTOR is never missed; (2) hands every method to
// the `voice_*` functions of the module (src/host/voice.rs: all the logic is there); and (3) turns their
// plain answers into the library's own result classes, which the library checks with `instanceof`.
// Methods resolve their promise; the library publishes the matching event itself.
// The widget's module is split: the panels it loads later are wasm chunks that wasm-split's loader
// instantiates with `WebAssembly.instantiateStreaming`, which has no fallback when the static
// resource's .wasm is not served as `application/wasm` (undocumented for a zip static resource). This
// page is the connector frame, ours alone: here the call falls back to the response's bytes, as the
// glue does.
const streaming = WebAssembly.instantiateStreaming;
WebAssembly.instantiateStreaming = async (source, imports) => {
  const response = await source;
  const type = (response.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
  if (streaming && type === 'application/wasm') {
    return streaming.call(WebAssembly, response, imports);
  }
  return WebAssembly.instantiate(await response.arrayBuffer(), imports);
};
const S = window.SCVConnectorBase;
const root = document.getElementById('ucclient-root');
let wasm;
const ready = import('./pkg/ucclient_widget.js').then(async (w) => {
  await w.default({ module_or_path: new URL('./pkg/ucclient_widget_bg.wasm', import.meta.url) });
  w.voice_connect(root, publish);
  wasm = w;
  return w;
});
ready.catch((error) => {
  root.textContent = 'UcClient CRM could not be loaded: ' + ((error && error.message) || error);
  console.error('UcClient CRM connector failed', error);
});

// Mute is the softphone's: shown on the calls whose audio the panel carries.
const callInfo = (c) => new S.CallInfo({
  isOnHold: !!c.isOnHold, callStateTimestamp: new Date(),
  muteEnabled: !!c.onSoftphone, showMuteButton: !!c.onSoftphone, recordEnabled: false, showRecordButton: false,
  swapEnabled: false, showSwapButton: false, conferenceEnabled: false, showMergeButton: false,
});
const participantResult = (p) => new S.ParticipantResult({
  initialCallHasEnded: !!p.initialCallHasEnded, callInfo: callInfo(p), phoneNumber: p.phoneNumber, callId: p.callId,
});
const phoneCall = (c) => new S.PhoneCall({
  callId: c.callId,
  callType: c.callType,
  state: c.state,
  phoneNumber: c.phoneNumber,
  reason: c.reason,
  contact: new S.Contact({ phoneNumber: c.phoneNumber, name: c.name }),
  callInfo: callInfo(c),
  callAttributes: new S.PhoneCallAttributes({ participantType: c.participantType, isOnHold: c.isOnHold }),
});
const callResult = (c) => new S.CallResult({ call: phoneCall(c) });
const holdResult = (c) => new S.HoldToggleResult({ isThirdPartyOnHold: false, isCustomerOnHold: c.isOnHold, calls: [phoneCall(c)] });
const hangupResult = (c) => new S.HangupResult({ calls: [phoneCall(c)] });
// Each event the module publishes, with the class the library expects for it.
const EVENT_CLASSES = {
  CALL_STARTED: callResult,
  CALL_CONNECTED: callResult,
  HOLD_TOGGLE: holdResult,
  HANGUP: hangupResult,
  PARTICIPANT_REMOVED: callResult,
  PARTICIPANT_ADDED: participantResult,
  PARTICIPANT_CONNECTED: participantResult,
  MUTE_TOGGLE: (p) => new S.MuteToggleResult(p),
  LOGIN_RESULT: (p) => new S.GenericResult(p),
  LOGOUT_RESULT: (p) => new S.LogoutResult(p),
  SET_AGENT_STATUS: (p) => new S.AgentStatusInfo(p),
};
function publish(eventType, plain) {
  const build = EVENT_CLASSES[eventType];
  if (eventType === 'AGENT_ERROR' || eventType === 'SOFTPHONE_ERROR') {
    S.publishError({ eventType, error: plain });
  } else if (build) {
    S.publishEvent({ eventType, payload: build(plain) });
  }
}
const id = (call) => (call && call.callId) || undefined;

class UcClientConnector extends S.VendorConnector {
  async init(config) { return new S.InitResult(await (await ready).voice_init(config || {})); }
  async getActiveCalls() {
    const w = await ready;
    return new S.ActiveCallsResult({ activeCalls: w.voice_active_calls().map(phoneCall) });
  }
  async acceptCall(call) { return callResult(await (await ready).voice_call_action(id(call), 'accept')); }
  async declineCall(call) { return callResult(await (await ready).voice_call_action(id(call), 'decline')); }
  async endCall(call) { return hangupResult(await (await ready).voice_call_action(id(call), 'end')); }
  async hold(call) { return holdResult(await (await ready).voice_call_action(id(call), 'hold')); }
  async resume(call) { return holdResult(await (await ready).voice_call_action(id(call), 'resume')); }
  async mute() { return new S.MuteToggleResult((await ready).voice_mute(true)); }
  async unmute() { return new S.MuteToggleResult((await ready).voice_mute(false)); }
  async dial(contact) { return callResult(await (await ready).voice_dial(contact.phoneNumber || '', contact.recordId)); }
  async sendDigits(digits) { (await ready).voice_send_digits(String(digits || '')); }
  async getPhoneContacts(filter) {
    const w = await ready;
    const text = typeof filter === 'string' ? filter : (filter && filter.contains) || undefined;
    return new S.PhoneContactsResult({ contacts: w.voice_contacts(text).map((c) => new S.Contact(c)) });
  }
  async addParticipant(contact, call, isBlindTransfer) {
    const w = await ready;
    return participantResult(await w.voice_add_participant(contact.phoneNumber || contact.extension || '', id(call), !!isBlindTransfer));
  }
  // agentStatus is Omni's aggregate ('Online' / 'Offline'); statusInfo names the status itself.
  async setAgentStatus(status, statusInfo) {
    const info = statusInfo || {};
    return new S.GenericResult(await (await ready).voice_set_status(info.statusId, info.statusApiName || status, info.statusName));
  }
  async getAgentStatus() { return new S.AgentVendorStatusInfo((await ready).voice_status()); }
  async getAgentConfig() {
    const [phones, selected] = (await ready).voice_agent_config();
    return new S.AgentConfigResult({ phones, selectedPhone: new S.Phone({ type: selected }) });
  }
  async setAgentConfig(config) {
    const phone = (config && config.selectedPhone) || {};
    (await ready).voice_set_agent_config(String(phone.type || ''));
    return new S.GenericResult({ success: true });
  }
  async getCapabilities() {
    return new S.CapabilitiesResult({
      hasMute: true, hasRecord: false, hasMerge: false, hasSwap: false, hasSignedRecordingUrl: false,
      debugEnabled: false, hasContactSearch: true, hasAgentAvailability: true, hasBlindTransfer: true,
      hasPhoneBook: true,
    });
  }
  // The newer library's names for the same answers.
  async getVoiceCapabilities() { return this.getCapabilities(); }
  async getSharedCapabilities() { return this.getCapabilities(); }
  getTelephonyConnector() { return Promise.resolve(this); }
  async logout() { return new S.LogoutResult((await ready).voice_logout()); }
  handleMessage() {}
  wrapUpCall() { /* The widget's own wrap-up card takes the agent's notes and disposition. */ }
}

S.initializeConnector(new UcClientConnector());
window.__ucclientVoice = { ready: () => wasm !== undefined };
