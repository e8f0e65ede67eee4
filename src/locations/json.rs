//! The JSON body location (`access_token` / `refresh_token` keys). The body is read by
//! [`JwtBodyLayer`](crate::JwtBodyLayer) (`middleware/read_body.rs`), which leaves the values
//! in the request as [`BodyValues`].

use std::borrow::Cow;

use http::HeaderMap;
use http::header::CONTENT_TYPE;

use super::{BodyValues, Found, missing};
use crate::error::{ErrorKind, JwtError};

#[derive(Debug, Clone)]
pub(crate) struct JsonConfig {
    pub(crate) access_key: Box<str>,
    pub(crate) refresh_key: Box<str>,
    missing_access: Box<str>,
    missing_refresh: Box<str>,
}

const BAD_CONTENT_TYPE: &str = "Invalid content-type. Must be application/json.";

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    content_type_starts_with(headers, "application/json")
}

pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    content_type_starts_with(headers, "application/x-www-form-urlencoded")
}

fn content_type_starts_with(headers: &HeaderMap, prefix: &str) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.len() >= prefix.len()
                && v.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        })
}

impl JsonConfig {
    pub(crate) fn new(access_key: &str, refresh_key: &str) -> Self {
        Self {
            missing_access: format!("Missing \"{access_key}\" key in json data.").into(),
            missing_refresh: format!("Missing \"{refresh_key}\" key in json data.").into(),
            access_key: access_key.into(),
            refresh_key: refresh_key.into(),
        }
    }

    /// The token under the access (or refresh) key of a JSON object body. A body that is
    /// not a JSON object, or a key that is not a non-empty string, counts as missing.
    pub(crate) fn extract<'a>(
        &self,
        headers: &HeaderMap,
        body: Option<&'a BodyValues>,
        refresh: bool,
    ) -> Result<Found<'a>, JwtError> {
        if !is_json(headers) {
            return Err(missing(BAD_CONTENT_TYPE));
        }
        let Some(body) = body else {
            return Err(JwtError::new(
                ErrorKind::Misconfigured,
                "The json token location needs `JwtBodyLayer` in front of this route",
            ));
        };
        let (value, msg) = if refresh {
            (body.json_refresh.as_deref(), &self.missing_refresh)
        } else {
            (body.json_access.as_deref(), &self.missing_access)
        };
        match value {
            Some(v) if !v.is_empty() => Ok(Found::token(Cow::Borrowed(v))),
            _ => Err(missing(msg.to_string())),
        }
    }
}
