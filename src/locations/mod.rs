//! Where tokens are read from: the `Authorization` header, cookies (with double-submit CSRF
//! protection), the query string and the JSON body, in the configured order
//! (`JWT_TOKEN_LOCATION`). Only a *missing* token moves on to the next location: a malformed
//! header, a CSRF failure or a bad query value stops the search.
//!
//! Configuration and extraction only, no tower types: `header.rs`, `cookie.rs` (with
//! [`CookieOptions`] and the CSRF check), `query.rs` and `json.rs` each check their settings
//! at build time and read their location; [`RequestSettings`] holds them all for the
//! manager. The body is read by the `JwtBodyLayer` middleware into [`BodyValues`].

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use http::{HeaderMap, Method, Uri};
use serde_json::Value;

use crate::error::{ConfigError, ErrorKind, JwtError};

mod cookie;
mod header;
mod json;
mod query;

pub(crate) use cookie::{CookieConfig, CsrfConfig, check_csrf, cookie_value};
pub use cookie::{CookieOptions, SameSite};
pub(crate) use header::HeaderConfig;
pub(crate) use json::{JsonConfig, is_form, is_json};
pub(crate) use query::QueryConfig;

/// A place a token is read from (`JWT_TOKEN_LOCATION`).
///
/// Locations are searched in the configured order, and only a missing token moves on. As in
/// Flask-JWT-Extended, an `Authorization` header with two `Bearer` tokens (in one line or
/// across two lines) counts as *missing*, not malformed: with headers and cookies both
/// configured, such a request is authenticated by its cookie.
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
    /// [`JwtBodyLayer`](crate::JwtBodyLayer)).
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

/// Where and how tokens are read from requests: the locations in order, and each
/// location's checked settings.
pub(crate) struct RequestSettings {
    /// The default locations, in order, without duplicates (`JWT_TOKEN_LOCATION`).
    pub(crate) order: Arc<[TokenLocation]>,
    pub(crate) header: HeaderConfig,
    pub(crate) cookies: CookieConfig,
    pub(crate) csrf: CsrfConfig,
    pub(crate) query: QueryConfig,
    pub(crate) json: JsonConfig,
}

impl RequestSettings {
    /// The token at `location` (the refresh token's name or key when `refresh`). `body`
    /// gives what `JwtBodyLayer` read, and is asked only by the locations that need it.
    pub(crate) fn extract<'h>(
        &self,
        location: TokenLocation,
        head: RequestParts<'h>,
        body: impl FnOnce() -> Option<&'h BodyValues>,
        refresh: bool,
    ) -> Result<Found<'h>, JwtError> {
        match location {
            TokenLocation::Headers => self.header.extract(head.headers).map(Found::token),
            TokenLocation::Cookies => {
                self.cookies
                    .extract(&self.csrf, head.headers, head.method, body(), refresh)
            }
            TokenLocation::QueryString => self.query.extract(head.uri),
            TokenLocation::Json => self.json.extract(head.headers, body(), refresh),
        }
    }

    /// Whether the CSRF value may come from a form field (`csrf_check_form`).
    pub(crate) fn reads_form(&self) -> bool {
        self.csrf.check_form
    }

    /// The values a body holds for the guards: the JSON keys of the tokens (when `json`), and
    /// the CSRF form fields (when `form`).
    pub(crate) fn read_body(&self, bytes: &[u8], json: bool, form: bool) -> BodyValues {
        let mut values = BodyValues::default();
        if json {
            // Only a JSON object counts; arrays, scalars and invalid JSON read as "no key".
            if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes) {
                let take = |key: &str| map.get(key).and_then(Value::as_str).map(String::from);
                values.json_access = take(&self.json.access_key);
                values.json_refresh = take(&self.json.refresh_key);
            }
        }
        if form {
            let wanted = [&*self.csrf.access_field, &*self.csrf.refresh_field];
            for (k, v) in form_urlencoded::parse(bytes) {
                if wanted.contains(&&*k) && !values.form.iter().any(|(n, _)| *n == *k) {
                    values.form.push((k.into_owned(), v.into_owned()));
                }
            }
        }
        values
    }
}

/// The parts of a request the locations read.
#[derive(Clone, Copy)]
pub(crate) struct RequestParts<'h> {
    pub(crate) method: &'h Method,
    pub(crate) uri: &'h Uri,
    pub(crate) headers: &'h HeaderMap,
}

/// What `JwtBodyLayer` read from the body, kept in the request under a private type.
#[derive(Clone, Debug, Default)]
pub(crate) struct BodyValues {
    json_access: Option<String>,
    json_refresh: Option<String>,
    form: Vec<(String, String)>,
}

impl BodyValues {
    pub(crate) fn form_field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
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
