-- The whole schema of the presence backend on PostgreSQL (issue 16): the same tables, columns,
-- keys and checks as the SQLite migrations 0001–0015 (server/migrations/*.sql) after all of them,
-- in one step (no PostgreSQL database predates it). A later SQLite migration gets its PostgreSQL
-- twin here with the next number. Differences, each because PostgreSQL has the real thing:
-- - flags are BOOLEAN (SQLite: INTEGER 0/1); counters and Unix milliseconds are BIGINT;
-- - the voicemail audio is BYTEA (SQLite: BLOB);
-- - SQLite's `COLLATE NOCASE` uniqueness (users.email, sso_domains.domain) is a unique index on
--   lower(…): lookups compare lower(…) too;
-- - AUTOINCREMENT ids (calls.seq, audit_log.id) are identity columns;
-- - event ids come from a per-customer counter row, not one global sequence (see `events`).
-- Times stay RFC 3339 text unless named *_ms, as in SQLite, so both engines map rows alike.
-- sqlx runs this under its advisory lock: several nodes starting at once apply it once.

CREATE TABLE resellers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'passive' CHECK (mode IN ('passive', 'active')),
    extension_lists_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    -- Presence colours (`#rrggbb`); NULL is core's default.
    colour_available TEXT,
    colour_away TEXT,
    colour_busy TEXT
);

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES resellers(id),
    name TEXT NOT NULL,
    default_country TEXT NOT NULL DEFAULT 'PT',
    -- Whether calls between colleagues are logged on CRM records like customer calls.
    log_internal_calls BOOLEAN NOT NULL DEFAULT FALSE,
    -- Dispositions as JSON `[{"code","label"}]` and the wrap-up limit; NULL is core's defaults.
    dispositions TEXT,
    wrap_up_seconds INTEGER CHECK (wrap_up_seconds BETWEEN 10 AND 3600)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    extension TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'customer_admin', 'reseller_admin')),
    -- Whether the user's mailbox takes the calls they do not answer (on by default).
    voicemail BOOLEAN NOT NULL DEFAULT TRUE,
    -- The highest `calls.seq` of theirs when they last opened History (missed calls seen).
    missed_seen_seq BIGINT NOT NULL DEFAULT 0,
    -- A deactivated user keeps their data but cannot sign in.
    active BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (customer_id, extension)
);
-- SQLite: `email … COLLATE NOCASE UNIQUE`.
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE permissions (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (user_id, permission)
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('desk', 'softphone', 'mobile')),
    label TEXT NOT NULL,
    number TEXT NOT NULL,
    position BIGINT NOT NULL
);
CREATE INDEX devices_user ON devices (user_id, position);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at_ms BIGINT NOT NULL
);

CREATE TABLE event_tickets (
    ticket_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at_ms BIGINT NOT NULL,
    -- The session the ticket was taken for.
    session_hash TEXT
);

-- A user's chosen profile and, in active mode, the PBX state it asks for and how far applying it
-- got.
CREATE TABLE presence (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    profile TEXT NOT NULL,
    since TEXT NOT NULL,
    pbx_sync TEXT NOT NULL DEFAULT 'not_applicable',
    pbx_error TEXT,
    desired_pbx TEXT,
    desired_version BIGINT NOT NULL DEFAULT 0,
    sync_attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT
);
-- The sync worker's question ("which applies are due?") on every node.
CREATE INDEX presence_due ON presence (next_attempt_ms) WHERE next_attempt_ms IS NOT NULL;

CREATE TABLE profile_overrides (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile TEXT NOT NULL,
    settings TEXT NOT NULL,
    PRIMARY KEY (user_id, profile)
);

-- What the embedded PBX holds for each user (JSON of core's PbxUserState).
CREATE TABLE pbx_user_state (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    state TEXT NOT NULL
);

CREATE TABLE hunt_groups (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    name TEXT NOT NULL,
    -- Dialable: an extension of its own (unique within the customer, never a user's: checked on
    -- write), and whether an unanswered call goes to the first member's voicemail.
    extension TEXT,
    voicemail BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX hunt_groups_extension ON hunt_groups (customer_id, extension)
    WHERE extension IS NOT NULL;

CREATE TABLE hunt_group_members (
    group_id TEXT NOT NULL REFERENCES hunt_groups(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'extension_list_of')),
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, position)
);

CREATE TABLE calls (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    from_number TEXT NOT NULL,
    to_number TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at TEXT NOT NULL,
    answered_at TEXT,
    ended_at TEXT,
    context TEXT,
    -- The number a forwarded inbound call went to (E.164).
    forwarded_to TEXT,
    -- Calls between colleagues, outcomes, the answering device, the other leg.
    internal BOOLEAN NOT NULL DEFAULT FALSE,
    outcome TEXT,
    answered_on TEXT,
    peer_call_id TEXT,
    -- On hold: a flag beside `state` (a held call is still connected).
    held BOOLEAN NOT NULL DEFAULT FALSE,
    -- After-call work: the wrap-up (JSON) and the CRM record (JSON), NULL until set.
    wrap_up TEXT CHECK (length(wrap_up) <= 16384),
    crm_record TEXT CHECK (length(crm_record) <= 512),
    -- Transfer: where it went, and the call a consultation leg consults about.
    transferred_to TEXT,
    consult_of TEXT
);
CREATE INDEX calls_user ON calls (user_id, seq);
CREATE INDEX calls_live ON calls (state);
CREATE INDEX calls_peer ON calls (peer_call_id);

-- Which page does what once per call (log it, pop its record): the first claim wins.
CREATE TABLE call_claims (
    call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    client TEXT NOT NULL,
    PRIMARY KEY (call_id, kind)
);

-- The per-customer event log. SQLite takes ids from one AUTOINCREMENT sequence; here a
-- `bigserial` would let a reader see id 2 before id 1 commits and skip id 1 on resume. So each
-- customer has a counter row: a write takes its ids with
--   INSERT INTO event_counters (customer_id, last_id) VALUES ($1, $n)
--   ON CONFLICT (customer_id) DO UPDATE SET last_id = event_counters.last_id + $n
--   RETURNING last_id
-- in the transaction of the change, which holds the row's lock until it commits: the writers of
-- one customer commit in id order, and ids are never reused (the counter survives pruning).
CREATE TABLE event_counters (
    customer_id TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL CHECK (last_id >= 0)
);

CREATE TABLE events (
    customer_id TEXT NOT NULL,
    id BIGINT NOT NULL,
    audience_user TEXT,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (customer_id, id)
);
-- Pruning by age.
CREATE INDEX events_created ON events (created_ms);

-- Up to which id a customer's log was pruned: a resume from before it gets a snapshot.
CREATE TABLE event_retention (
    customer_id TEXT PRIMARY KEY,
    pruned_through BIGINT NOT NULL
);

CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start_ms BIGINT NOT NULL,
    count BIGINT NOT NULL
);

-- The CRM orgs each customer registered; `org_key` and a Salesforce org id are unique across
-- customers.
CREATE TABLE crm_orgs (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    crm TEXT NOT NULL CHECK (crm IN ('salesforce', 'dynamics')),
    org_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    org_id TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX crm_orgs_customer ON crm_orgs (customer_id, created_at);

-- Voicemail messages: one per call, removed with the call or its owner; the audio is in the store,
-- in the same transaction as the call's outcome and the `voicemail` event (512 KiB, 60 s).
CREATE TABLE voicemails (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    call_id TEXT NOT NULL UNIQUE REFERENCES calls(id) ON DELETE CASCADE,
    caller TEXT NOT NULL,
    created_at TEXT NOT NULL,
    duration_ms BIGINT NOT NULL CHECK (duration_ms BETWEEN 0 AND 60000),
    heard BOOLEAN NOT NULL DEFAULT FALSE,
    audio BYTEA NOT NULL CHECK (length(audio) <= 524288)
);
CREATE INDEX voicemails_owner ON voicemails (user_id, created_at);

-- The audit log of every administrative change, of a customer or of a reseller itself.
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id TEXT,
    reseller_id TEXT,
    at_ms BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL CHECK (length(action) <= 64),
    target TEXT NOT NULL CHECK (length(target) <= 256),
    detail TEXT NOT NULL DEFAULT '{}' CHECK (length(detail) <= 4096),
    source TEXT NOT NULL CHECK (length(source) <= 64),
    CHECK (customer_id IS NOT NULL OR reseller_id IS NOT NULL)
);
CREATE INDEX audit_log_customer ON audit_log (customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX audit_log_reseller ON audit_log (reseller_id, id) WHERE reseller_id IS NOT NULL;

-- Single sign-on: one OpenID Connect identity provider per customer (the client secret is never
-- returned or logged), how UcClient authenticates at its token endpoint.
CREATE TABLE sso_settings (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL DEFAULT FALSE,
    issuer TEXT NOT NULL CHECK (length(issuer) <= 300),
    client_id TEXT NOT NULL CHECK (length(client_id) <= 255),
    client_secret TEXT CHECK (length(client_secret) <= 1024),
    user_claim TEXT NOT NULL DEFAULT 'email' CHECK (length(user_claim) <= 64),
    password_login BOOLEAN NOT NULL DEFAULT TRUE,
    jit BOOLEAN NOT NULL DEFAULT FALSE,
    client_auth TEXT NOT NULL DEFAULT 'client_secret'
        CHECK (client_auth IN ('client_secret', 'private_key_jwt'))
);

-- The allowed email domains, each claimed by one customer at most (case-insensitively).
CREATE TABLE sso_domains (
    domain TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE
);
-- SQLite: `domain TEXT PRIMARY KEY COLLATE NOCASE`.
CREATE UNIQUE INDEX sso_domains_domain ON sso_domains (lower(domain));
CREATE INDEX sso_domains_customer ON sso_domains (customer_id);

-- Sign-ins in flight, keyed by the SHA-256 of their `state`, taken (deleted) once.
CREATE TABLE sso_attempts (
    state_hash TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    opener_origin TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX sso_attempts_expiry ON sso_attempts (expires_at_ms);

-- The customer's private_key_jwt key pair (the private key never leaves the server).
CREATE TABLE sso_keys (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    kid TEXT NOT NULL CHECK (length(kid) <= 64),
    private_key_pem TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- Salesforce Voice: the Telephony Integration REST API settings per customer.
CREATE TABLE voice_settings (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    scrt_base_url TEXT NOT NULL CHECK (length(scrt_base_url) <= 512),
    call_center_api_name TEXT NOT NULL CHECK (length(call_center_api_name) <= 80),
    org_id TEXT NOT NULL CHECK (length(org_id) <= 18),
    phone_number TEXT CHECK (length(phone_number) <= 16),
    updated_ms BIGINT NOT NULL
);

-- The customer's RS256 key pair for Salesforce Voice (the private key never leaves the server).
CREATE TABLE voice_keys (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    private_key_pem TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- The Salesforce VoiceCall of an inbound call, and whether its end-of-call update was sent.
CREATE TABLE voice_calls (
    call_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    voice_call_id TEXT NOT NULL CHECK (length(voice_call_id) <= 64),
    end_sent BOOLEAN NOT NULL DEFAULT FALSE,
    created_ms BIGINT NOT NULL
);
