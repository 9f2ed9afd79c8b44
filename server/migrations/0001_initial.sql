-- The whole schema of the presence backend (SQLite). Times are RFC 3339 text unless named *_ms
-- (Unix milliseconds, used where the code compares them).

CREATE TABLE resellers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'passive' CHECK (mode IN ('passive', 'active')),
    extension_lists_enabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES resellers(id),
    name TEXT NOT NULL,
    default_country TEXT NOT NULL DEFAULT 'PT'
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    name TEXT NOT NULL,
    email TEXT NOT NULL COLLATE NOCASE UNIQUE,
    extension TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'customer_admin', 'reseller_admin')),
    UNIQUE (customer_id, extension)
);

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
    position INTEGER NOT NULL
);
CREATE INDEX devices_user ON devices(user_id, position);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at_ms INTEGER NOT NULL
);

CREATE TABLE event_tickets (
    ticket_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at_ms INTEGER NOT NULL
);

-- A user's chosen profile and, in active mode, the PBX state it asks for and how far applying it got.
CREATE TABLE presence (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    profile TEXT NOT NULL,
    since TEXT NOT NULL,
    pbx_sync TEXT NOT NULL DEFAULT 'not_applicable',
    pbx_error TEXT,
    desired_pbx TEXT,
    desired_version INTEGER NOT NULL DEFAULT 0,
    sync_attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER
);

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
    name TEXT NOT NULL
);

CREATE TABLE hunt_group_members (
    group_id TEXT NOT NULL REFERENCES hunt_groups(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'extension_list_of')),
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, position)
);

CREATE TABLE calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
    context TEXT
);
CREATE INDEX calls_user ON calls(user_id, seq);
CREATE INDEX calls_live ON calls(state);

-- The per-customer event log. Ids come from one AUTOINCREMENT sequence, so they increase strictly
-- within every customer's stream and are never reused, even after pruning.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    audience_user TEXT,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX events_customer ON events(customer_id, id);

-- Up to which id a customer's log was pruned: a resume from before it gets a snapshot.
CREATE TABLE event_retention (
    customer_id TEXT PRIMARY KEY,
    pruned_through INTEGER NOT NULL
);

CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start_ms INTEGER NOT NULL,
    count INTEGER NOT NULL
);
