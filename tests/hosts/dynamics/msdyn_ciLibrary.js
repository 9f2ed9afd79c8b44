/*
 * Emulated Dynamics 365 Channel Integration Framework library (`Microsoft.CIFramework`, v1), written from
 * Microsoft's public CIF documentation, for the end-to-end tests. The test server serves it at
 * /webresources/Widget/msdyn_ciLibrary.js, preceded by `window.__cif_config = {...}`.
 *
 * Like the real library: it reads `data-crmurl` and `data-cifid="CIFMainLibrary"` from its own script tag
 * (without them it never initialises), dispatches the window event `CIFInitDone` once ready, and every
 * API returns a Promise whose result is a JSON *string*; event handlers receive a JSON string.
 * For the tests: `window.__cif` records every call with its arguments (`calls`) and fires click-to-act
 * payloads (`fireClickToAct`).
 *
 * Config (all optional): initDelayMs (default 30), neverInit (true: CIFInitDone never comes), userLcid
 * (default 1033), contacts (array of records searchAndOpenRecords can find), failing (method names
 * whose promise rejects), cifVersion (1, the default, or 2).
 *
 * CIF 2.0 adds the agent's presence, as Microsoft Learn documents it (CIF 2.0 reference: getPresence,
 * setPresence, onPresenceChange): the org's presences (`presences`: {presenceId, presenceText,
 * presenceColor, basePresenceStatus}, by default Omnichannel's Available, Busy, Busy - DND, Away,
 * Offline) and the agent's current one (`presence`, default Available); `getPresence()` resolves to
 * the current presence's text (plain text, not JSON; "FAILED" when there is none);
 * `setPresence(presenceText)` resolves to a Boolean, true only when the text exactly matches one of
 * the org's presences; every change, by the agent or programmatic, calls the `onPresenceChange`
 * handler with the JSON string `{"presenceInfo": {...}}`. The agent changes it in Dynamics's own
 * presence menu through `__cif.agentSetsPresence(text)`. CIF 1.0 has none of these methods.
 */
(function () {
  'use strict';
  var config = window.__cif_config || {};
  var failing = config.failing || [];
  var script = document.currentScript;
  var crmUrl = script && script.getAttribute('data-crmurl');
  var cifId = script && script.getAttribute('data-cifid');

  var state = {
    calls: [],
    initDone: false,
    scriptTagOk: !!crmUrl && cifId === 'CIFMainLibrary',
    crmUrl: crmUrl,
    clickToAct: false,
    handlers: {},
    mode: 0,
    width: 300,
    created: [],
    updated: [],
    refused: [],
    opened: [],
  };
  var recordSeq = 0;

  function record(method, args) {
    state.calls.push({ method: method, args: JSON.parse(JSON.stringify(args)), at: Date.now() });
  }

  function api(method, effect) {
    return function () {
      var args = Array.prototype.slice.call(arguments).map(function (a) {
        return typeof a === 'function' ? '[function]' : a;
      });
      record(method, args);
      if (!state.initDone) {
        return Promise.reject(new Error('CIF is not initialised yet (emulated)'));
      }
      if (failing.indexOf(method) >= 0) {
        return Promise.reject(new Error(method + ' failed (emulated)'));
      }
      try {
        var value = effect.apply(null, arguments);
        return Promise.resolve(JSON.stringify(value));
      } catch (e) {
        return Promise.reject(e);
      }
    };
  }

  function parseQuery(query) {
    // "$filter=telephone1 eq '201' or (endswith(telephone1,'678') and contains(telephone1,'345'))":
    // enough OData for the tests. Each alternative is a list of conditions that must all hold.
    var filter = /\$filter=([^&]*)/.exec(query || '');
    var clause = filter ? decodeURIComponent(filter[1]) : '';
    var alternatives = [];
    clause.split(/\s+or\s+/i).forEach(function (part) {
      var conditions = [];
      part.split(/\s+and\s+/i).forEach(function (term) {
        var m = /(\w+)\s+eq\s+'([^']*)'/.exec(term);
        if (m) { conditions.push({ op: 'eq', field: m[1], value: m[2] }); return; }
        m = /(endswith|contains)\((\w+),'([^']*)'\)/.exec(term);
        if (m) { conditions.push({ op: m[1], field: m[2], value: m[3] }); }
      });
      if (conditions.length) { alternatives.push(conditions); }
    });
    return alternatives;
  }

  function holds(record, c) {
    var v = record[c.field];
    if (typeof v !== 'string') { return false; }
    if (c.op === 'eq') { return v === c.value; }
    if (c.op === 'endswith') { return v.slice(-c.value.length) === c.value; }
    return v.indexOf(c.value) >= 0;
  }

  // What the Dataverse Web API accepts for a phonecall: a regarding record bound only through the
  // phonecall's own single-valued navigation property, to a record of that entity set; created
  // completed (statecode 1, statuscode 2 Made or 4 Received). Anything else is refused, as the
  // Web API refuses it, so a wrong shape fails the tests.
  function phonecallProblem(data) {
    var binds = {
      'regardingobjectid_contact_phonecall@odata.bind': /^\/contacts\([0-9A-Fa-f-]+\)$/,
      'regardingobjectid_account_phonecall@odata.bind': /^\/accounts\([0-9A-Fa-f-]+\)$/,
      'regardingobjectid_lead_phonecall@odata.bind': /^\/leads\([0-9A-Fa-f-]+\)$/,
    };
    var bound = 0;
    for (var key in data) {
      if (/^regardingobjectid/.test(key)) {
        if (!binds[key]) { return 'undeclared property ' + key + ' on phonecall'; }
        if (!binds[key].test(String(data[key]))) { return 'bad reference ' + data[key] + ' for ' + key; }
        bound += 1;
      }
    }
    if (bound > 1) { return 'more than one regarding record'; }
    if (data.statecode !== 1) { return 'a logged call must be created completed (statecode 1)'; }
    if (data.statuscode !== 2 && data.statuscode !== 4) {
      return 'statuscode ' + data.statuscode + ' is not a Completed phonecall status';
    }
    return null;
  }

  var presences = config.presences || [
    { presenceId: '0a2c1a8e-0000-4000-8000-000000000001', presenceText: 'Available', presenceColor: '#00FF00', basePresenceStatus: 'AVAILABLE' },
    { presenceId: '0a2c1a8e-0000-4000-8000-000000000002', presenceText: 'Busy', presenceColor: '#FF0000', basePresenceStatus: 'BUSY' },
    { presenceId: '0a2c1a8e-0000-4000-8000-000000000003', presenceText: 'Busy - DND', presenceColor: '#8B0000', basePresenceStatus: 'BUSY_DND' },
    { presenceId: '0a2c1a8e-0000-4000-8000-000000000004', presenceText: 'Away', presenceColor: '#FFFF00', basePresenceStatus: 'AWAY' },
    { presenceId: '0a2c1a8e-0000-4000-8000-000000000005', presenceText: 'Offline', presenceColor: '#808080', basePresenceStatus: 'OFFLINE' },
  ];
  state.presence = presences.filter(function (p) {
    return p.presenceText === (config.presence || 'Available');
  })[0] || null;

  /** Makes `text` (exactly one of the org's presences) the agent's and raises onPresenceChange. */
  function changePresence(text) {
    var found = presences.filter(function (p) { return p.presenceText === text; })[0];
    if (!found) { return false; }
    state.presence = found;
    var handler = state.handlers.onpresencechange;
    if (typeof handler === 'function') {
      setTimeout(function () { handler(JSON.stringify({ presenceInfo: found })); }, 0);
    }
    return true;
  }

  window.Microsoft = window.Microsoft || {};
  window.Microsoft.CIFramework = {
    setClickToAct: api('setClickToAct', function (value) { state.clickToAct = !!value; return true; }),
    getClickToAct: api('getClickToAct', function () { return state.clickToAct; }),
    addHandler: api('addHandler', function (name, handler) {
      state.handlers[String(name).toLowerCase()] = handler;
      return true;
    }),
    removeHandler: api('removeHandler', function (name) {
      delete state.handlers[String(name).toLowerCase()];
      return true;
    }),
    setMode: api('setMode', function (mode) { state.mode = Number(mode); return state.mode; }),
    getMode: api('getMode', function () { return state.mode; }),
    setWidth: api('setWidth', function (px) { state.width = Number(px); return state.width; }),
    getWidth: api('getWidth', function () { return state.width; }),
    getEnvironment: api('getEnvironment', function () {
      return {
        appUrl: state.crmUrl + '/main.aspx?appid=00000000-0000-0000-0000-000000000001',
        clientUrl: state.crmUrl,
        orgId: '00000000-0000-0000-0000-0000000000aa',
        orgLcid: 1033,
        orgUniqueName: 'emulated',
        userId: '{00000000-0000-0000-0000-0000000000bb}',
        userLcid: config.userLcid || 1033,
        username: 'Bruno (emulated)',
        crmVersion: '9.2.0.0',
        pagetype: 'entityrecord',
        etn: 'contact',
        id: '{00000000-0000-0000-0000-0000000000cc}',
      };
    }),
    searchAndOpenRecords: api('searchAndOpenRecords', function (entity, query, searchOnly) {
      var alternatives = parseQuery(query);
      var found = {};
      var n = 0;
      (config.contacts || []).forEach(function (c) {
        if (entity === 'contact' && alternatives.some(function (all) {
          return all.every(function (t) { return holds(c, t); });
        })) {
          found[String(n)] = c;
          n += 1;
        }
      });
      if (!searchOnly && n === 1) { state.opened.push({ entity: entity, id: found['0'].contactid }); }
      return found;
    }),
    createRecord: api('createRecord', function (entity, data) {
      var parsed = JSON.parse(data);
      var problem = entity === 'phonecall' ? phonecallProblem(parsed) : null;
      if (problem) {
        state.refused.push({ entity: entity, data: parsed, problem: problem });
        throw new Error(problem);
      }
      recordSeq += 1;
      var id = '00000000-0000-0000-0000-' + String(100000000000 + recordSeq);
      state.created.push({ entity: entity, id: id, data: parsed });
      return { id: id, entityType: entity };
    }),
    openForm: api('openForm', function () { return { savedEntityReference: [] }; }),
    retrieveRecord: api('retrieveRecord', function () { return {}; }),
    // Like the Web API: updates the given fields of a record created here (an unknown id fails);
    // `state.created` holds the records as they are now, `state.updated` each update asked.
    updateRecord: api('updateRecord', function (entity, id, data) {
      var found = state.created.filter(function (c) { return c.entity === entity && c.id === id; })[0];
      if (!found) { throw new Error('updateRecord: no ' + entity + ' ' + id + ' (emulated)'); }
      var parsed = JSON.parse(data);
      Object.keys(parsed).forEach(function (k) { found.data[k] = parsed[k]; });
      state.updated.push({ entity: entity, id: id, data: parsed });
      return { id: id, entityType: entity };
    }),
  };

  if (config.cifVersion === 2) {
    var cif = window.Microsoft.CIFramework;
    // Documented as a Promise of the presence text as a String (not a JSON-encoded one).
    cif.getPresence = function () {
      record('getPresence', []);
      if (!state.initDone) { return Promise.reject(new Error('CIF is not initialised yet (emulated)')); }
      return Promise.resolve(state.presence ? state.presence.presenceText : 'FAILED');
    };
    cif.setPresence = api('setPresence', function (text) { return changePresence(text); });
  }

  window.__cif = {
    calls: state.calls,
    state: state,
    /** The agent picks `text` in Dynamics's presence menu (CIF 2.0); true when it is one of the org's. */
    agentSetsPresence: function (text) {
      return config.cifVersion === 2 && state.initDone && changePresence(text);
    },
    /** The recorded calls of one method. */
    callsOf: function (method) {
      return state.calls.filter(function (c) { return c.method === method; });
    },
    /** Fires click-to-act as the CIF host does when the agent clicks a phone number; true when delivered. */
    fireClickToAct: function (payload) {
      var handler = state.handlers.onclicktoact;
      if (!state.initDone || !state.clickToAct || typeof handler !== 'function') {
        return false;
      }
      handler(JSON.stringify(payload));
      return true;
    },
  };

  if (state.scriptTagOk && !config.neverInit) {
    setTimeout(function () {
      state.initDone = true;
      window.dispatchEvent(new CustomEvent('CIFInitDone'));
    }, config.initDelayMs === undefined ? 30 : config.initDelayMs);
  }
})();
