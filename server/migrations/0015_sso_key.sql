-- Issue 15, single sign-on with private_key_jwt (RFC 7523, OIDC Core §9): how UcClient
-- authenticates at the customer's token endpoint, and the customer's RS256 key pair for the
-- client assertion.

-- 'client_secret' (client_secret_basic or _post) or 'private_key_jwt'.
ALTER TABLE sso_settings ADD COLUMN client_auth TEXT NOT NULL DEFAULT 'client_secret'
    CHECK (client_auth IN ('client_secret', 'private_key_jwt'));

-- The customer's key pair: the private key (PKCS#8 PEM) never leaves the server — no API returns
-- it, nothing logs it; its public half is served as a JWKS under `kid`
-- (`GET /api/v1/sso/{customer}/jwks.json`). Rotation replaces the row.
CREATE TABLE sso_keys (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    kid TEXT NOT NULL CHECK (length(kid) <= 64),
    private_key_pem TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
