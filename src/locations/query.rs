//! The `jwt` query parameter.

use std::borrow::Cow;

use http::Uri;

use super::{Found, missing};
use crate::error::{ConfigError, ErrorKind, JwtError};

#[derive(Debug, Clone)]
pub(crate) struct QueryConfig {
    name: Box<str>,
    prefix: Box<str>,
    missing: Box<str>,
    bad_prefix: Box<str>,
}

impl QueryConfig {
    pub(crate) fn new(name: &str, prefix: &str) -> Result<Self, ConfigError> {
        if name.is_empty() {
            return Err(ConfigError::InvalidOption {
                option: "query_string_name",
                reason: "must not be empty".into(),
            });
        }
        Ok(Self {
            // "paramater" (sic): Flask-JWT-Extended's text, kept to the letter.
            missing: format!("Missing '{name}' query paramater").into(),
            bad_prefix: format!(
                "Invalid value for query parameter '{name}'. Expected the value to start with '{prefix}'"
            )
            .into(),
            name: name.into(),
            prefix: prefix.into(),
        })
    }

    /// The parameter's name and the prefix its value starts with.
    #[cfg_attr(not(feature = "utoipa"), allow(dead_code))]
    pub(crate) fn name_and_prefix(&self) -> (&str, &str) {
        (&self.name, &self.prefix)
    }

    /// The first `name=` parameter, percent-decoded; empty counts as missing.
    pub(crate) fn extract<'a>(&self, uri: &'a Uri) -> Result<Found<'a>, JwtError> {
        let value = uri.query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| *k == *self.name)
                .map(|(_, v)| v)
        });
        let value = match value {
            Some(v) if !v.is_empty() => v,
            _ => return Err(missing(self.missing.to_string())),
        };
        if !value.starts_with(&*self.prefix) {
            return Err(JwtError::new(
                ErrorKind::InvalidToken,
                self.bad_prefix.to_string(),
            ));
        }
        let token = match value {
            Cow::Borrowed(v) => Cow::Borrowed(&v[self.prefix.len()..]),
            Cow::Owned(v) => Cow::Owned(v[self.prefix.len()..].to_owned()),
        };
        Ok(Found::token(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cfg: &QueryConfig, uri: &str) -> Result<String, String> {
        let uri: Uri = uri.parse().unwrap();
        cfg.extract(&uri)
            .map(|f| f.token.into_owned())
            .map_err(|e| e.message().to_owned())
    }

    #[test]
    fn flask_query_rules() {
        let c = QueryConfig::new("jwt", "").unwrap();
        assert_eq!(run(&c, "/p?jwt=abc"), Ok("abc".into()));
        assert_eq!(run(&c, "/p?jwt=a&jwt=b"), Ok("a".into()));
        assert_eq!(run(&c, "/p?x=1&jwt=a%2Eb"), Ok("a.b".into()));
        assert_eq!(run(&c, "/p"), Err("Missing 'jwt' query paramater".into()));
        assert_eq!(
            run(&c, "/p?jwt="),
            Err("Missing 'jwt' query paramater".into())
        );
        // Hostile encodings come through as (invalid) tokens, never a panic.
        assert_eq!(run(&c, "/p?jwt=%FF"), Ok("\u{fffd}".into()));
        assert_eq!(run(&c, "/p?jwt=%ZZ"), Ok("%ZZ".into()));
        assert_eq!(run(&c, "/p?jwt=a+b"), Ok("a b".into()));
        let c = QueryConfig::new("jwt", "bearer ").unwrap();
        assert_eq!(run(&c, "/p?jwt=bearer+abc"), Ok("abc".into()));
        assert_eq!(
            run(&c, "/p?jwt=abc"),
            Err("Invalid value for query parameter 'jwt'. Expected the value to start with 'bearer '".into())
        );
    }
}
