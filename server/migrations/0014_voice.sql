-- Issue 14, Salesforce Voice with partner telephony (server side): per customer, the org's
-- Telephony Integration REST API settings, the RS256 key pair whose certificate the admin uploads
-- to the contact center, and the VoiceCall record created for each inbound call.

-- The customer's Salesforce Voice settings: the SCRT base URL of the org
-- (`https://<MyDomain>.my.salesforce-scrt.com`), the contact center's API name (the JWT's `sub`
-- and the body's `callCenterApiName`), the org id (the JWT's `iss`) and the contact center's number.
CREATE TABLE voice_settings (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    scrt_base_url TEXT NOT NULL CHECK (length(scrt_base_url) <= 512),
    call_center_api_name TEXT NOT NULL CHECK (length(call_center_api_name) <= 80),
    org_id TEXT NOT NULL CHECK (length(org_id) <= 18),
    -- The contact center's phone number (E.164), the `to` of inbound VoiceCalls when set.
    phone_number TEXT CHECK (length(phone_number) <= 16),
    updated_ms INTEGER NOT NULL
);

-- The customer's key pair: the private key (PKCS#8 PEM) never leaves the server — no API returns
-- it, nothing logs it; the self-signed certificate can be printed again by the admin command.
CREATE TABLE voice_keys (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    private_key_pem TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);

-- The Salesforce VoiceCall of an inbound call (`voice_call_id` once Salesforce answered), and
-- whether the end-of-call update was sent (at most once: Salesforce asks not to repeat it).
CREATE TABLE voice_calls (
    call_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    voice_call_id TEXT NOT NULL CHECK (length(voice_call_id) <= 64),
    end_sent INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);
