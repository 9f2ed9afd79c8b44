//! The RSA key pairs UcClient signs its own JWTs with (RS256): the Salesforce Voice key
//! (`crate::voice`) and the single sign-on client-assertion key (`crate::sso`, `private_key_jwt`).
//! The private key is kept as PKCS#8 PEM in the store and never returned or logged; only the
//! public half leaves the server (a certificate, or a JWK).

use anyhow::{Context, anyhow};
use base64::Engine;
use rsa::traits::PublicKeyParts;

/// The size of every key made.
pub const KEY_BITS: usize = 2048;

/// A new RSA key pair: the key and its private PKCS#8 PEM.
pub fn new_key() -> anyhow::Result<(rsa::RsaPrivateKey, String)> {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let mut rng = rand::thread_rng();
    let private = rsa::RsaPrivateKey::new(&mut rng, KEY_BITS).context("making the RSA key")?;
    let pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow!("key PEM: {e}"))?
        .to_string();
    Ok((private, pem))
}

/// The public JWK (RFC 7517, RS256 signature key) of a private PKCS#8 PEM, under `kid`.
pub fn public_jwk(private_key_pem: &str, kid: &str) -> anyhow::Result<serde_json::Value> {
    use rsa::pkcs8::DecodePrivateKey;
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(private_key_pem)
        .map_err(|_| anyhow!("the stored key is not a usable RSA key"))?;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    Ok(serde_json::json!({
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": b64(&private.n().to_bytes_be()),
        "e": b64(&private.e().to_bytes_be()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jwk_is_the_public_half_only() {
        let (_, pem) = new_key().unwrap();
        let jwk = public_jwk(&pem, "k1").unwrap();
        assert_eq!(jwk["kid"], "k1");
        assert_eq!(jwk["e"], "AQAB");
        assert!(jwk.get("d").is_none() && jwk.get("p").is_none());
        // It verifies what the private key signs.
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &serde_json::json!({"sub": "x", "exp": 4_000_000_000u64}),
            &jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        )
        .unwrap();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<serde_json::Value>(&token, &key, &v).unwrap();
    }
}
