//! API keys checked by the host itself (for `serve` on a network and Lambda Function URLs): the
//! writing routes need `x-api-key: KEY` or `Authorization: Bearer KEY`, where the SHA-256 of KEY
//! is one of the configured hashes. Only hashes are configured, so a leaked config leaks no key;
//! several may be listed at once, for rotation.

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::api::API_KEY_HEADER;
use crate::error::ApiError;

#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    hashes: Vec<[u8; 32]>,
}

impl ApiKeys {
    /// Hex SHA-256 hashes separated by commas, spaces or newlines; `#` starts a comment (files).
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut hashes = Vec::new();
        for line in list.lines() {
            let line = line.split('#').next().unwrap_or_default();
            for item in line.split([',', ' ', '\t']).filter(|s| !s.is_empty()) {
                let bytes = hex::decode(item).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
                hashes.push(bytes.ok_or_else(|| {
                    format!("{item:?} is not a SHA-256 hash in hex (64 characters); `lambda-host keys new` prints one")
                })?);
            }
        }
        Ok(Self { hashes })
    }

    pub fn extend(&mut self, other: Self) {
        self.hashes.extend(other.hashes);
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Ok when no keys are configured or the request presents one of them.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if self.hashes.is_empty() {
            return Ok(());
        }
        let presented = headers
            .get(API_KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .or_else(|| headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim));
        let key = presented.filter(|k| !k.is_empty()).ok_or(ApiError::MissingApiKey)?;
        let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        // Every configured hash is compared, each in constant time.
        let matched = self.hashes.iter().fold(subtle::Choice::from(0), |found, h| found | h.ct_eq(&hash));
        if bool::from(matched) { Ok(()) } else { Err(ApiError::InvalidApiKey) }
    }
}

/// A fresh key (32 random bytes, hex) and the hash to configure for it.
pub fn new_key() -> anyhow::Result<(String, String)> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?;
    let key = format!("rik_{}", hex::encode(bytes));
    let hash = hex::encode(Sha256::digest(key.as_bytes()));
    Ok((key, hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: &str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn keys_are_checked_by_hash_from_either_header() {
        let (first, first_hash) = new_key().unwrap();
        let (second, second_hash) = new_key().unwrap();
        assert_ne!(first, second);
        let keys = ApiKeys::parse(&format!("# rotation\n{first_hash}, {second_hash}\n")).unwrap();
        assert!(keys.check(&headers("x-api-key", &first)).is_ok());
        assert!(keys.check(&headers("authorization", &format!("Bearer {second}"))).is_ok());
        assert!(matches!(keys.check(&HeaderMap::new()), Err(ApiError::MissingApiKey)));
        assert!(matches!(keys.check(&headers("x-api-key", "")), Err(ApiError::MissingApiKey)));
        assert!(matches!(keys.check(&headers("x-api-key", &first_hash)), Err(ApiError::InvalidApiKey)));
        assert!(matches!(
            keys.check(&headers("authorization", &format!("Basic {first}"))),
            Err(ApiError::MissingApiKey)
        ));
        assert!(ApiKeys::default().check(&HeaderMap::new()).is_ok(), "no keys configured: open");
    }

    #[test]
    fn a_malformed_hash_is_named() {
        let error = ApiKeys::parse("abc").unwrap_err();
        assert!(error.contains("\"abc\"") && error.contains("keys new"), "{error}");
    }
}
