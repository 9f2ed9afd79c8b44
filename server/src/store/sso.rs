//! The store's types for single sign-on (issue 15): a customer's identity provider settings and
//! the sign-in attempts in flight. Neither derives `Debug`: the secret and the PKCE verifier must
//! not reach a log by accident.

/// A customer's identity provider as stored.
#[derive(Clone)]
pub struct StoredSso {
    /// The customer.
    pub customer_id: String,
    /// Its name (read from the customer; ignored when writing).
    pub customer_name: String,
    /// Whether its users may sign in with it.
    pub enabled: bool,
    /// The issuer URL.
    pub issuer: String,
    /// UcClient's client id there.
    pub client_id: String,
    /// The client secret (ignored when writing: given apart).
    pub client_secret: Option<String>,
    /// Allowed email domains, lower case (empty: any).
    pub allowed_domains: Vec<String>,
    /// The ID token claim matched with the user's email.
    pub user_claim: String,
    /// Whether password sign-in stays allowed.
    pub password_login: bool,
    /// Whether unknown users are created at first sign-in.
    pub jit: bool,
    /// How UcClient authenticates at the token endpoint.
    pub client_auth: ucclient_core::api::SsoClientAuth,
}

/// A customer's RS256 key pair for `private_key_jwt` (no `Debug`: the private key must not reach
/// a log).
#[derive(Clone)]
pub struct SsoKey {
    /// The key id, in the assertion's header and the JWKS.
    pub kid: String,
    /// The private key, PKCS#8 PEM.
    pub private_key_pem: String,
    /// When it was made (Unix ms).
    pub created_ms: i64,
}

/// A sign-in started and not yet finished.
#[derive(Clone)]
pub struct SsoAttempt {
    /// The SHA-256 of its `state`.
    pub state_hash: String,
    /// The customer whose provider signs in.
    pub customer_id: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier.
    pub pkce_verifier: String,
    /// The redirect URI sent with the authorization request (sent again with the code).
    pub redirect_uri: String,
    /// The exact origin of the window that opened the popup (the only one the result is posted to).
    pub opener_origin: String,
    /// When it stops being accepted (Unix ms).
    pub expires_at_ms: i64,
}

/// How [`super::Store::put_sso_settings`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutSso {
    /// Stored.
    Done,
    /// This domain is another customer's; nothing stored.
    DomainTaken(String),
    /// No such customer.
    UnknownCustomer,
}
