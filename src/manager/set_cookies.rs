//! Response helpers for cookie-based apps (the response side; reading cookies from requests
//! is `locations/cookie.rs`): Flask-JWT-Extended's `set_access_cookies`,
//! `set_refresh_cookies`, `unset_jwt_cookies`, `unset_access_cookies` and
//! `unset_refresh_cookies`.
//!
//! Each returns [`JwtCookies`]: `Set-Cookie` values to apply to any `http::Response` (or,
//! with the `axum` feature, to return as response parts).

use std::time::Duration as StdDuration;

use cookie::{Cookie, Expiration};
use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderValue, Response};
use time::{Duration, OffsetDateTime};

use super::JwtManager;
use crate::duration::IntoDuration;
use crate::error::{ErrorKind, JwtError};

/// `Max-Age` of persistent cookies (`JWT_SESSION_COOKIE = False`): one year, as
/// Flask-JWT-Extended writes it.
const PERSISTENT_MAX_AGE: i64 = 31_540_000;

/// Per-call overrides of the cookie settings (FJE's `max_age=` and `domain=` arguments).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CookieOverrides {
    /// `Max-Age` (and `Expires`) for these cookies.
    pub max_age: Option<Duration>,
    /// `Domain` for these cookies.
    pub domain: Option<String>,
}

impl CookieOverrides {
    /// Overrides `Max-Age`.
    #[must_use]
    pub fn max_age(mut self, max_age: impl IntoDuration) -> Self {
        self.max_age = Some(max_age.into_time_duration());
        self
    }

    /// Overrides `Domain`.
    #[must_use]
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }
}

/// `Set-Cookie` header values made by the cookie helpers of [`JwtManager`].
///
/// ```
/// use jwt_extended::{CookieOverrides, JwtManager};
///
/// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
/// let access = manager.create_access_token("alice")?;
///
/// let mut res = http::Response::new(());
/// manager.access_cookies(&access)?.apply(&mut res);
/// let cookies: Vec<_> = res.headers().get_all("set-cookie").iter().collect();
/// assert_eq!(cookies.len(), 2); // the token (HttpOnly) and its CSRF value (readable)
/// assert!(cookies[0].to_str()?.starts_with("access_token_cookie="));
/// assert!(cookies[1].to_str()?.starts_with("csrf_access_token="));
///
/// let mut res = http::Response::new(());
/// manager.unset_jwt_cookies().apply(&mut res);
/// assert_eq!(res.headers().get_all("set-cookie").iter().count(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "the cookies do nothing until applied to a response"]
pub struct JwtCookies {
    values: Vec<HeaderValue>,
}

impl JwtCookies {
    /// Appends the `Set-Cookie` headers to `headers`.
    pub fn apply_to_headers(&self, headers: &mut HeaderMap) {
        for v in &self.values {
            headers.append(SET_COOKIE, v.clone());
        }
    }

    /// Appends the `Set-Cookie` headers to `response`.
    pub fn apply<B>(&self, response: &mut Response<B>) {
        self.apply_to_headers(response.headers_mut());
    }

    /// The `Set-Cookie` values.
    pub fn values(&self) -> &[HeaderValue] {
        &self.values
    }

    /// Adds the cookies of `other`.
    pub fn and(mut self, other: JwtCookies) -> Self {
        self.values.extend(other.values);
        self
    }

    fn push(&mut self, cookie: Cookie<'_>) -> Result<(), JwtError> {
        let value = HeaderValue::from_str(&cookie.to_string()).map_err(|_| {
            JwtError::new(
                ErrorKind::TokenCreation,
                "cookie value is not a valid header",
            )
        })?;
        self.values.push(value);
        Ok(())
    }
}

struct Spec<'a> {
    name: &'a str,
    path: &'a str,
    http_only: bool,
}

impl JwtManager {
    fn cookie<'c>(
        &self,
        spec: &Spec<'c>,
        value: &'c str,
        overrides: &'c CookieOverrides,
        unset: bool,
    ) -> Cookie<'c> {
        let cfg = &self.inner.requests.cookies;
        let mut b = Cookie::build((spec.name, value))
            .path(spec.path)
            .http_only(spec.http_only)
            .secure(cfg.secure);
        let domain = overrides
            .domain
            .as_deref()
            .map(|d| d.trim_start_matches('.'))
            .or(cfg.domain.as_deref());
        if let Some(d) = domain {
            b = b.domain(d.to_owned());
        }
        if let Some(s) = cfg.same_site {
            b = b.same_site(s);
        }
        if cfg.partitioned {
            b = b.partitioned(true);
        }
        if unset {
            b = b.expires(Expiration::DateTime(OffsetDateTime::UNIX_EPOCH));
        } else {
            let max_age = overrides
                .max_age
                .or((!cfg.session).then(|| Duration::seconds(PERSISTENT_MAX_AGE)));
            if let Some(age) = max_age {
                let now = self.inner.clock.now();
                let now = OffsetDateTime::UNIX_EPOCH + StdDuration::from_secs(now.as_secs());
                b = b.max_age(age);
                if let Some(expires) = now.checked_add(age) {
                    b = b.expires(Expiration::DateTime(expires));
                }
            }
        }
        b.build()
    }

    /// The token cookie's name and path, and its CSRF cookie's name and path.
    fn cookie_names(&self, refresh: bool) -> (&str, &str, &str, &str) {
        let requests = &self.inner.requests;
        let (cfg, csrf) = (&requests.cookies, &requests.csrf);
        if refresh {
            (
                &cfg.refresh_name,
                &cfg.refresh_path,
                &csrf.refresh_cookie,
                &csrf.refresh_cookie_path,
            )
        } else {
            (
                &cfg.access_name,
                &cfg.access_path,
                &csrf.access_cookie,
                &csrf.access_cookie_path,
            )
        }
    }

    fn set_cookies(
        &self,
        token: &str,
        refresh: bool,
        overrides: &CookieOverrides,
    ) -> Result<JwtCookies, JwtError> {
        let csrf = &self.inner.requests.csrf;
        let decoded = self.decode_token(token)?;
        let (name, path, csrf_name, csrf_path) = self.cookie_names(refresh);
        let mut out = JwtCookies::default();
        let spec = Spec {
            name,
            path,
            http_only: true,
        };
        out.push(self.cookie(&spec, token, overrides, false))?;
        if csrf.protect && csrf.in_cookies {
            let value = decoded
                .csrf()
                .ok_or_else(|| JwtError::invalid("Missing claim: csrf"))?;
            let spec = Spec {
                name: csrf_name,
                path: csrf_path,
                http_only: false,
            };
            out.push(self.cookie(&spec, value, overrides, false))?;
        }
        Ok(out)
    }

    fn unset_cookies(&self, refresh: bool, overrides: &CookieOverrides) -> JwtCookies {
        let csrf = &self.inner.requests.csrf;
        let (name, path, csrf_name, csrf_path) = self.cookie_names(refresh);
        let mut out = JwtCookies::default();
        let specs = [
            Spec {
                name,
                path,
                http_only: true,
            },
            Spec {
                name: csrf_name,
                path: csrf_path,
                http_only: false,
            },
        ];
        let n = if csrf.protect && csrf.in_cookies {
            2
        } else {
            1
        };
        for spec in &specs[..n] {
            // Names and paths are checked at build time, so this cannot fail.
            let _ = out.push(self.cookie(spec, "", overrides, true));
        }
        out
    }

    /// `set_access_cookies`: the access token in an `HttpOnly` cookie, and its CSRF value in
    /// a cookie JavaScript can read (when CSRF protection is on). The token is verified first.
    pub fn access_cookies(&self, token: &str) -> Result<JwtCookies, JwtError> {
        self.set_cookies(token, false, &CookieOverrides::default())
    }

    /// As [`access_cookies`](Self::access_cookies), with `max_age` / `domain` overrides.
    pub fn access_cookies_with(
        &self,
        token: &str,
        overrides: &CookieOverrides,
    ) -> Result<JwtCookies, JwtError> {
        self.set_cookies(token, false, overrides)
    }

    /// `set_refresh_cookies`: the refresh token and its CSRF value.
    pub fn refresh_cookies(&self, token: &str) -> Result<JwtCookies, JwtError> {
        self.set_cookies(token, true, &CookieOverrides::default())
    }

    /// As [`refresh_cookies`](Self::refresh_cookies), with overrides.
    pub fn refresh_cookies_with(
        &self,
        token: &str,
        overrides: &CookieOverrides,
    ) -> Result<JwtCookies, JwtError> {
        self.set_cookies(token, true, overrides)
    }

    /// `unset_jwt_cookies`: expires the access and refresh cookies and their CSRF cookies.
    pub fn unset_jwt_cookies(&self) -> JwtCookies {
        self.unset_access_cookies()
            .and(self.unset_refresh_cookies())
    }

    /// As [`unset_jwt_cookies`](Self::unset_jwt_cookies), for cookies set with another
    /// domain.
    pub fn unset_jwt_cookies_with(&self, domain: impl Into<String>) -> JwtCookies {
        let o = CookieOverrides::default().domain(domain);
        self.unset_cookies(false, &o)
            .and(self.unset_cookies(true, &o))
    }

    /// `unset_access_cookies`.
    pub fn unset_access_cookies(&self) -> JwtCookies {
        self.unset_cookies(false, &CookieOverrides::default())
    }

    /// `unset_refresh_cookies`.
    pub fn unset_refresh_cookies(&self) -> JwtCookies {
        self.unset_cookies(true, &CookieOverrides::default())
    }
}

#[cfg(feature = "axum")]
impl axum_core::response::IntoResponseParts for JwtCookies {
    type Error = std::convert::Infallible;

    fn into_response_parts(
        self,
        mut res: axum_core::response::ResponseParts,
    ) -> Result<axum_core::response::ResponseParts, Self::Error> {
        self.apply_to_headers(res.headers_mut());
        Ok(res)
    }
}
