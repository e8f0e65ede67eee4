//! Where tokens are read from: the `Authorization` header, cookies (with double-submit CSRF
//! protection), the query string and the JSON body, in the configured order
//! (`JWT_TOKEN_LOCATION`). Only a *missing* token moves on to the next location: a malformed
//! header, a CSRF failure or a bad query value stops the search.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::error::{ConfigError, ErrorKind, JwtError};

pub(crate) mod cookie;
pub(crate) mod header;
pub(crate) mod json;
pub(crate) mod query;

pub(crate) use cookie::{CookieConfig, CsrfConfig};
pub(crate) use header::HeaderConfig;
pub(crate) use json::JsonConfig;
pub use json::{JwtBodyLayer, JwtBodyService};
pub(crate) use query::QueryConfig;

/// A place a token is read from (`JWT_TOKEN_LOCATION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenLocation {
    /// The `Authorization: Bearer <JWT>` header (name and scheme configurable).
    Headers,
    /// The `access_token_cookie` / `refresh_token_cookie` cookies, with double-submit CSRF
    /// protection.
    Cookies,
    /// The `jwt` query parameter (off by default: query strings end up in logs).
    QueryString,
    /// The `access_token` / `refresh_token` keys of a JSON body (needs
    /// [`JwtBodyLayer`]).
    Json,
}

impl TokenLocation {
    /// Flask-JWT-Extended's name for the location (`"headers"`, `"cookies"`,
    /// `"query_string"`, `"json"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Headers => "headers",
            Self::Cookies => "cookies",
            Self::QueryString => "query_string",
            Self::Json => "json",
        }
    }
}

impl fmt::Display for TokenLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenLocation {
    type Err = ConfigError;

    /// Parses a location as `JWT_TOKEN_LOCATION` spells it.
    ///
    /// ```
    /// use jwt_extended::TokenLocation;
    /// assert_eq!("query_string".parse::<TokenLocation>().unwrap(), TokenLocation::QueryString);
    /// assert!("body".parse::<TokenLocation>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "headers" => Ok(Self::Headers),
            "cookies" => Ok(Self::Cookies),
            "query_string" => Ok(Self::QueryString),
            "json" => Ok(Self::Json),
            other => Err(ConfigError::InvalidOption {
                option: "token location",
                reason: format!(
                    "unknown location {other:?} (expected headers, cookies, query_string or json)"
                ),
            }),
        }
    }
}

/// A token found in a request, with the CSRF value that came with it (cookies only).
pub(crate) struct Found<'a> {
    pub(crate) token: Cow<'a, str>,
    pub(crate) csrf: Option<Cow<'a, str>>,
}

impl<'a> Found<'a> {
    pub(crate) fn token(token: Cow<'a, str>) -> Self {
        Self { token, csrf: None }
    }
}

pub(crate) fn missing(message: impl Into<Cow<'static, str>>) -> JwtError {
    JwtError::new(ErrorKind::Missing, message)
}

/// The combined "missing" message, as Flask-JWT-Extended builds it.
pub(crate) fn missing_everywhere(locations: &[TokenLocation], messages: &[String]) -> JwtError {
    match (locations, messages) {
        (_, [one]) => missing(one.clone()),
        ([.., last], _) => {
            let start: Vec<&str> = locations[..locations.len() - 1]
                .iter()
                .map(|l| l.as_str())
                .collect();
            missing(format!(
                "Missing JWT in {} or {} ({})",
                start.join(", "),
                last.as_str(),
                messages.join("; ")
            ))
        }
        ([], _) => missing("Missing JWT"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_missing_message() {
        let e = missing_everywhere(
            &[
                TokenLocation::Headers,
                TokenLocation::Cookies,
                TokenLocation::QueryString,
                TokenLocation::Json,
            ],
            &["a".into(), "b".into(), "c".into(), "d".into()],
        );
        assert_eq!(
            e.message(),
            "Missing JWT in headers, cookies, query_string or json (a; b; c; d)"
        );
    }
}
