/*
 * Emulated Salesforce Open CTI for Lightning (`sforce.opencti`), written from Salesforce's public Open CTI
 * developer guide, for the end-to-end tests. The test server serves it at
 * /support/api/<NN>.0/lightning/opencti_min.js, preceded by `window.__opencti_config = {...}`.
 *
 * Like the real library: every method takes one object `{...args, callback}` and answers the callback
 * (asynchronously) with `{success, returnValue, errors}`; listener methods take `{listener}`.
 * For the tests: `window.__opencti` records every call with its arguments (`calls`), lets a test fire
 * click-to-dial payloads (`fireClickToDial`) and navigation changes, and can make a method fail.
 *
 * Config (all optional): backendUrl, logCalls ("true"/"false"), settings (extra flat-map entries),
 * failing (array of method names answering success:false).
 */
(function () {
  'use strict';
  var config = window.__opencti_config || {};
  var failing = config.failing || [];

  var settings = {
    '/reqGeneralInfo/reqInternalName': 'UcClientCRM',
    '/reqGeneralInfo/reqDisplayName': 'UcClient CRM',
    '/reqGeneralInfo/reqAdapterUrl': '/apex/UcClientSoftphone',
    '/reqGeneralInfo/reqUseApi': 'true',
    '/reqGeneralInfo/reqSoftphoneHeight': '480',
    '/reqGeneralInfo/reqSoftphoneWidth': '300',
    '/reqGeneralInfo/reqSalesforceCompatibilityMode': 'Lightning',
    '/reqGeneralInfo/reqTimeout': '10000',
    '/ucClientSettings/backendUrl': config.backendUrl || '',
    '/ucClientSettings/logCalls': config.logCalls || 'true',
  };
  var extra = config.settings || {};
  Object.keys(extra).forEach(function (k) { settings[k] = extra[k]; });

  var state = {
    calls: [],
    clickToDialEnabled: false,
    clickToDialListener: null,
    navigationListener: null,
    panelVisible: false,
    panelHeight: 480,
    panelWidth: 300,
    itemLabel: 'UcClient CRM',
    itemIcon: 'call',
    initialized: false,
    logs: [],
    appView: { url: location.origin + '/lightning/page/home', recordId: null, recordName: null, objectType: null },
  };

  function copyArgs(args) {
    var out = {};
    Object.keys(args || {}).forEach(function (k) {
      if (k !== 'callback' && k !== 'listener') { out[k] = args[k]; }
    });
    return JSON.parse(JSON.stringify(out));
  }

  function answer(method, args, returnValue) {
    var failed = failing.indexOf(method) >= 0;
    var response = failed
      ? { success: false, returnValue: null, errors: [{ description: method + ' failed (emulated)', details: null }] }
      : { success: true, returnValue: returnValue === undefined ? null : returnValue, errors: null };
    if (args && typeof args.callback === 'function') {
      setTimeout(function () { args.callback(response); }, 0);
    }
    return !failed;
  }

  function record(method, args) {
    state.calls.push({ method: method, args: copyArgs(args), at: Date.now() });
  }

  function api(method, effect) {
    return function (args) {
      args = args || {};
      record(method, args);
      var willSucceed = failing.indexOf(method) < 0;
      var value = null;
      try {
        value = willSucceed && effect ? effect(args) : null;
      } catch (e) {
        if (typeof args.callback === 'function') {
          var cb = args.callback;
          setTimeout(function () { cb({ success: false, returnValue: null, errors: [{ description: String(e.message), details: null }] }); }, 0);
        }
        return;
      }
      answer(method, args, value);
    };
  }

  function notifyParent(kind, value) {
    if (window.parent && window.parent !== window) {
      window.parent.postMessage({ emulatedOpenCti: kind, value: value }, '*');
    }
  }

  var logSeq = 0;
  window.sforce = window.sforce || {};
  window.sforce.opencti = {
    SCREENPOP_TYPE: {
      SOBJECT: 'sobject', URL: 'url', OBJECTHOME: 'objecthome', LIST: 'list', SEARCH: 'search',
      NEW_RECORD_MODAL: 'newRecord', FLOW: 'flow',
    },
    CALL_TYPE: { INBOUND: 'inbound', OUTBOUND: 'outbound', INTERNAL: 'internal' },

    enableClickToDial: api('enableClickToDial', function () { state.clickToDialEnabled = true; return null; }),
    disableClickToDial: api('disableClickToDial', function () { state.clickToDialEnabled = false; return null; }),
    onClickToDial: api('onClickToDial', function (args) { state.clickToDialListener = args.listener; return null; }),
    onNavigationChange: api('onNavigationChange', function (args) { state.navigationListener = args.listener; return null; }),
    notifyInitializationComplete: api('notifyInitializationComplete', function () { state.initialized = true; return null; }),
    getCallCenterSettings: api('getCallCenterSettings', function () { return JSON.parse(JSON.stringify(settings)); }),
    getAppViewInfo: api('getAppViewInfo', function () { return JSON.parse(JSON.stringify(state.appView)); }),
    setSoftphonePanelVisibility: api('setSoftphonePanelVisibility', function (args) {
      state.panelVisible = !!args.visible;
      notifyParent('visible', state.panelVisible);
      return null;
    }),
    isSoftphonePanelVisible: api('isSoftphonePanelVisible', function () { return { visible: state.panelVisible }; }),
    setSoftphonePanelHeight: api('setSoftphonePanelHeight', function (args) { state.panelHeight = args.heightPX; return null; }),
    setSoftphonePanelWidth: api('setSoftphonePanelWidth', function (args) { state.panelWidth = args.widthPX; return null; }),
    setSoftphoneItemLabel: api('setSoftphoneItemLabel', function (args) {
      state.itemLabel = args.label;
      notifyParent('label', args.label);
      return null;
    }),
    setSoftphoneItemIcon: api('setSoftphoneItemIcon', function (args) {
      state.itemIcon = args.key;
      notifyParent('icon', args.key);
      return null;
    }),
    screenPop: api('screenPop', function () { return null; }),
    searchAndScreenPop: api('searchAndScreenPop', function (args) {
      // Salesforce answers with the matching records keyed by id; the emulation matches nothing by default.
      return (config.searchResults && config.searchResults[args.searchParams]) || {};
    }),
    // Like Salesforce: a value without `Id` creates a record (its new id in `recordId`); with the
    // `Id` of a saved record it updates that record's given fields (an unknown `Id` fails).
    // `state.logs` holds the records as they are now, each with its `Id`.
    saveLog: api('saveLog', function (args) {
      var value = JSON.parse(JSON.stringify(args.value || {}));
      if (value.Id) {
        var found = state.logs.filter(function (l) { return l.Id === value.Id; })[0];
        if (!found) { throw new Error('saveLog: no record ' + value.Id + ' (emulated)'); }
        Object.keys(value).forEach(function (k) { found[k] = value[k]; });
        return { recordId: value.Id };
      }
      logSeq += 1;
      var id = '00T' + String(1000000000000 + logSeq);
      value.Id = id;
      state.logs.push(value);
      return { recordId: id };
    }),
    refreshView: api('refreshView', function () { return null; }),
  };

  window.__opencti = {
    calls: state.calls,
    state: state,
    settings: settings,
    /** The recorded calls of one method. */
    callsOf: function (method) {
      return state.calls.filter(function (c) { return c.method === method; });
    },
    /** Fires a click-to-dial as Lightning does when the agent clicks a phone number; true when delivered. */
    fireClickToDial: function (payload) {
      if (!state.clickToDialEnabled || typeof state.clickToDialListener !== 'function') {
        return false;
      }
      state.clickToDialListener(JSON.parse(JSON.stringify(payload)));
      return true;
    },
    /** Fires a navigation change (the agent opened another record). */
    fireNavigationChange: function (payload) {
      state.appView = JSON.parse(JSON.stringify(payload));
      if (typeof state.navigationListener === 'function') {
        state.navigationListener(JSON.parse(JSON.stringify(payload)));
        return true;
      }
      return false;
    },
  };
})();
