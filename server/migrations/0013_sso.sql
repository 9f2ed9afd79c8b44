-- Single sign-on (issue 15): each customer's OpenID Connect identity provider, the email domains it
-- answers for, and the sign-in attempts in flight (in the store, so any node can finish one).

-- One identity provider per customer. The client secret stays here: never returned by the API,
-- never logged. `password_login` 0: the customer's users may not sign in with a password.
CREATE TABLE sso_settings (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    enabled INTEGER NOT NULL DEFAULT 0,
    issuer TEXT NOT NULL CHECK (length(issuer) <= 300),
    client_id TEXT NOT NULL CHECK (length(client_id) <= 255),
    client_secret TEXT CHECK (length(client_secret) <= 1024),
    user_claim TEXT NOT NULL DEFAULT 'email' CHECK (length(user_claim) <= 64),
    password_login INTEGER NOT NULL DEFAULT 1,
    jit INTEGER NOT NULL DEFAULT 0
);

-- The allowed email domains, each claimed by one customer at most (the widget's discovery by email
-- finds the company from it).
CREATE TABLE sso_domains (
    domain TEXT PRIMARY KEY COLLATE NOCASE,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE
);
CREATE INDEX sso_domains_customer ON sso_domains(customer_id);

-- A sign-in started and not yet finished: keyed by the SHA-256 of its `state`, taken (deleted) by
-- the callback that finishes it, so each is used once; expired ones are pruned when others start.
CREATE TABLE sso_attempts (
    state_hash TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    opener_origin TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX sso_attempts_expiry ON sso_attempts(expires_at_ms);
