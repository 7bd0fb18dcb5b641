//! A secret (SMTP password, SASL password) that can be carried but never shown.
//!
//! `Debug` and `Display` print `***`; the only way to the text is
//! [`Secret::expose`], which is called in exactly two places: handing the
//! password to the SMTP client, and taking it out of that client's errors.
//! This type must never implement `Serialize`, `Deref` or any conversion that
//! would let it reach a view or a log line.

use std::fmt;

/// A password: carried, never drawn or logged.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret text, for the SMTP client (and to redact its errors) only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        d.deserialize_string(SecretVisitor)
    }
}

/// Reads a string. Any other value is refused without quoting it: a password
/// written without quotes (`smtp_password = 12345678`) is still a password,
/// and serde's own message would print it.
struct SecretVisitor;

impl serde::de::Visitor<'_> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string in quotes")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Secret, E> {
        Ok(Secret(v.to_string()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Secret, E> {
        Ok(Secret(v))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Secret, E> {
        Err(E::invalid_type(
            serde::de::Unexpected::Other("a boolean"),
            &self,
        ))
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Secret, E> {
        Err(E::invalid_type(
            serde::de::Unexpected::Other("a number"),
            &self,
        ))
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Secret, E> {
        Err(E::invalid_type(
            serde::de::Unexpected::Other("a number"),
            &self,
        ))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Secret, E> {
        Err(E::invalid_type(
            serde::de::Unexpected::Other("a number"),
            &self,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let s = Secret::new("hunter2-SECRET");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(***)");
        assert_eq!(s.expose(), "hunter2-SECRET");
    }

    #[test]
    fn a_password_without_quotes_is_not_in_the_error() {
        for (value, want) in [
            ("98765432127", "a number"),
            ("3.14159265", "a number"),
            ("true", "a boolean"),
        ] {
            let text = format!("[senders]\nsmtp_user = \"u\"\nsmtp_password = {value}\n");
            let err = crate::config::Config::parse(&text, std::path::Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!(
                    "invalid type: {want}, expected a string in quotes"
                )),
                "{err}"
            );
            assert!(!err.contains(value), "{err}");
        }
    }
}
