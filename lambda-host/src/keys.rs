//! Storage keys as clients send them in `s3Key`: checked once, here, before anything is stored.

/// The longest key S3 accepts, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// `Ok` when `key` is 1..=1024 bytes of UTF-8 with no control characters, no `.`/`..` segment
/// and no leading `/`; otherwise why not.
pub fn validate(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(format!(
            "the key is {} bytes; at most {MAX_KEY_BYTES} are allowed (including the variant suffix)",
            key.len()
        ));
    }
    if let Some(c) = key.chars().find(|c| c.is_control()) {
        return Err(format!("the key contains the control character {:?}", c));
    }
    if key.starts_with('/') {
        return Err("the key must not start with '/'".into());
    }
    if key.split('/').any(|segment| segment == ".." || segment == ".") {
        return Err("the key must not contain '.' or '..' segments".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn ordinary_keys_pass() {
        for key in ["img.jpg", "users/42/avatar.png", "ünïcödé ключ.jpg", "a..b.jpg", "x".repeat(1024).as_str()]
        {
            assert_eq!(validate(key), Ok(()), "{key}");
        }
    }

    #[test]
    fn hostile_keys_are_refused() {
        for key in [
            "",
            "../etc/passwd",
            "a/../../b",
            "/abs/path",
            "a\0b",
            "line\nbreak",
            "tab\there",
            "./x",
            "x".repeat(2000).as_str(),
        ] {
            assert!(validate(key).is_err(), "{key:?}");
        }
    }
}
