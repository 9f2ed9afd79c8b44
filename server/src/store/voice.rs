//! The store's types for Salesforce Voice (issue 14, server side): a customer's settings and key.

use std::fmt;

/// A customer's Salesforce Voice settings (what the Telephony Integration REST API needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceSettings {
    /// The customer.
    pub customer_id: String,
    /// The org's SCRT base URL, e.g. `https://mydomain.my.salesforce-scrt.com` (no trailing `/`).
    pub scrt_base_url: String,
    /// The contact center's API name (the JWT's `sub`, the body's `callCenterApiName`).
    pub call_center_api_name: String,
    /// The Salesforce org id (the JWT's `iss`).
    pub org_id: String,
    /// The contact center's phone number (E.164): the `to` of inbound VoiceCalls when set (else
    /// the called user's extension).
    pub phone_number: Option<String>,
}

/// A customer's RS256 key pair: the private key (PKCS#8 PEM) and its self-signed certificate.
/// `Debug` never shows the private key.
#[derive(Clone, PartialEq, Eq)]
pub struct VoiceKey {
    /// The private key, PKCS#8 PEM. Never logged, never returned by any API.
    pub private_key_pem: String,
    /// The X.509 certificate (PEM) the admin uploads to the contact center.
    pub certificate_pem: String,
    /// When the pair was made (Unix ms).
    pub created_ms: i64,
}

impl fmt::Debug for VoiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VoiceKey")
            .field("private_key_pem", &"<redacted>")
            .field("certificate_pem", &self.certificate_pem)
            .field("created_ms", &self.created_ms)
            .finish()
    }
}
