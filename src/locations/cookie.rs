//! Cookies, and the double-submit CSRF protection that comes with them: [`CookieOptions`]
//! (checked into the cookie and CSRF settings), reading the token cookie, and the CSRF check.
//! Writing cookies on responses is the manager's (`manager/set_cookies.rs`).

use std::borrow::Cow;

use http::{HeaderMap, HeaderName, Method};
use subtle::ConstantTimeEq;

use super::{BodyValues, Found, missing};
use crate::error::{ConfigError, ErrorKind, JwtError};

/// `SameSite` for the JWT and CSRF cookies (`JWT_COOKIE_SAMESITE`).
pub use cookie::SameSite;

/// Cookie names, paths and attributes (Flask-JWT-Extended's `JWT_*_COOKIE_*` keys).
#[derive(Debug, Clone)]
pub(crate) struct CookieConfig {
    pub(crate) access_name: Box<str>,
    pub(crate) refresh_name: Box<str>,
    pub(crate) access_path: Box<str>,
    pub(crate) refresh_path: Box<str>,
    pub(crate) secure: bool,
    pub(crate) domain: Option<Box<str>>,
    pub(crate) same_site: Option<SameSite>,
    pub(crate) session: bool,
    pub(crate) partitioned: bool,
    missing_access: Box<str>,
    missing_refresh: Box<str>,
}

/// The double-submit CSRF settings (`JWT_COOKIE_CSRF_PROTECT`, `JWT_CSRF_*`).
#[derive(Debug, Clone)]
pub(crate) struct CsrfConfig {
    pub(crate) protect: bool,
    pub(crate) methods: Vec<Method>,
    pub(crate) in_cookies: bool,
    pub(crate) check_form: bool,
    pub(crate) access_header: HeaderName,
    pub(crate) refresh_header: HeaderName,
    pub(crate) access_cookie: Box<str>,
    pub(crate) refresh_cookie: Box<str>,
    pub(crate) access_cookie_path: Box<str>,
    pub(crate) refresh_cookie_path: Box<str>,
    pub(crate) access_field: Box<str>,
    pub(crate) refresh_field: Box<str>,
}

/// Cookie and double-submit CSRF settings, with Flask-JWT-Extended's defaults
/// (`JWT_ACCESS_COOKIE_NAME`, `JWT_COOKIE_SECURE`, `JWT_CSRF_METHODS`, ...). Every field is
/// public; start from `CookieOptions::default()`.
///
/// ```
/// use jwt_extended::{CookieOptions, JwtManager, SameSite, TokenLocation};
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .token_locations([TokenLocation::Cookies])
///     .cookies(CookieOptions {
///         secure: true,
///         same_site: Some(SameSite::Strict),
///         session_cookie: false,
///         ..CookieOptions::default()
///     })
///     .build()?;
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
///
/// # Use `__Host-` names in production
///
/// A plain cookie can be *tossed*: a sibling subdomain (or anything that can set a cookie
/// for the parent domain) sets a cookie of the same name with `Domain=` the parent and a
/// longer `Path`. Browsers send cookies with longer paths first, and the first cookie of a
/// name is the one read (as in Flask), so the tossed cookie wins: the victim is logged in as
/// the attacker (login CSRF). A `__Host-` cookie cannot be set that way: browsers accept it
/// only with `Secure`, `Path=/` and no `Domain`, from the host itself. So serve over HTTPS
/// and give the cookies `__Host-` names (the builder checks those attributes):
///
/// ```
/// use jwt_extended::{CookieOptions, JwtManager, TokenLocation};
///
/// let manager = JwtManager::builder()
///     .secret("an-example-secret-of-at-least-32-bytes!")
///     .token_locations([TokenLocation::Cookies])
///     .cookies(CookieOptions {
///         secure: true,
///         access_cookie_name: "__Host-access_token".into(),
///         refresh_cookie_name: "__Host-refresh_token".into(),
///         access_csrf_cookie_name: "__Host-csrf_access_token".into(),
///         refresh_csrf_cookie_name: "__Host-csrf_refresh_token".into(),
///         ..CookieOptions::default()
///     })
///     .build()?;
/// let access = manager.create_access_token("alice")?;
/// let mut res = http::Response::new(());
/// manager.access_cookies(&access)?.apply(&mut res);
/// let set = res.headers().get("set-cookie").unwrap().to_str()?;
/// assert!(set.starts_with("__Host-access_token=") && set.contains("Secure"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieOptions {
    /// `JWT_ACCESS_COOKIE_NAME`: `access_token_cookie`.
    pub access_cookie_name: String,
    /// `JWT_REFRESH_COOKIE_NAME`: `refresh_token_cookie`.
    pub refresh_cookie_name: String,
    /// `JWT_ACCESS_COOKIE_PATH`: `/`.
    pub access_cookie_path: String,
    /// `JWT_REFRESH_COOKIE_PATH`: `/`.
    pub refresh_cookie_path: String,
    /// `JWT_COOKIE_SECURE`: `false`.
    pub secure: bool,
    /// `JWT_COOKIE_DOMAIN`: none (a leading dot is dropped).
    pub domain: Option<String>,
    /// `JWT_COOKIE_SAMESITE`: none (the attribute is omitted).
    pub same_site: Option<SameSite>,
    /// `JWT_SESSION_COOKIE`: `true` (no `Max-Age`); `false` gives `Max-Age=31540000`.
    pub session_cookie: bool,
    /// CHIPS `Partitioned` attribute: `false`.
    pub partitioned: bool,
    /// `JWT_CSRF_METHODS`: `POST`, `PUT`, `PATCH`, `DELETE` (case-sensitive).
    pub csrf_methods: Vec<String>,
    /// `JWT_CSRF_IN_COOKIES`: `true` (the CSRF value is also set in a readable cookie).
    pub csrf_in_cookies: bool,
    /// `JWT_CSRF_CHECK_FORM`: `false` (with [`JwtBodyLayer`](crate::JwtBodyLayer), also read
    /// the CSRF value from a form field when the header is absent).
    pub csrf_check_form: bool,
    /// `JWT_ACCESS_CSRF_HEADER_NAME`: `X-CSRF-TOKEN`.
    pub access_csrf_header_name: String,
    /// `JWT_REFRESH_CSRF_HEADER_NAME`: `X-CSRF-TOKEN`.
    pub refresh_csrf_header_name: String,
    /// `JWT_ACCESS_CSRF_COOKIE_NAME`: `csrf_access_token`.
    pub access_csrf_cookie_name: String,
    /// `JWT_REFRESH_CSRF_COOKIE_NAME`: `csrf_refresh_token`.
    pub refresh_csrf_cookie_name: String,
    /// `JWT_ACCESS_CSRF_COOKIE_PATH`: `/`.
    pub access_csrf_cookie_path: String,
    /// `JWT_REFRESH_CSRF_COOKIE_PATH`: `/`.
    pub refresh_csrf_cookie_path: String,
    /// `JWT_ACCESS_CSRF_FIELD_NAME`: `csrf_token`.
    pub access_csrf_field_name: String,
    /// `JWT_REFRESH_CSRF_FIELD_NAME`: `csrf_token`.
    pub refresh_csrf_field_name: String,
}

impl Default for CookieOptions {
    fn default() -> Self {
        Self {
            access_cookie_name: "access_token_cookie".into(),
            refresh_cookie_name: "refresh_token_cookie".into(),
            access_cookie_path: "/".into(),
            refresh_cookie_path: "/".into(),
            secure: false,
            domain: None,
            same_site: None,
            session_cookie: true,
            partitioned: false,
            csrf_methods: ["POST", "PUT", "PATCH", "DELETE"].map(String::from).into(),
            csrf_in_cookies: true,
            csrf_check_form: false,
            access_csrf_header_name: "X-CSRF-TOKEN".into(),
            refresh_csrf_header_name: "X-CSRF-TOKEN".into(),
            access_csrf_cookie_name: "csrf_access_token".into(),
            refresh_csrf_cookie_name: "csrf_refresh_token".into(),
            access_csrf_cookie_path: "/".into(),
            refresh_csrf_cookie_path: "/".into(),
            access_csrf_field_name: "csrf_token".into(),
            refresh_csrf_field_name: "csrf_token".into(),
        }
    }
}

impl CookieOptions {
    /// The checked cookie and CSRF settings.
    pub(crate) fn build(&self, protect: bool) -> Result<(CookieConfig, CsrfConfig), ConfigError> {
        let cookies = CookieConfig::new(
            &self.access_cookie_name,
            &self.refresh_cookie_name,
            &self.access_cookie_path,
            &self.refresh_cookie_path,
            self.secure,
            self.domain.as_deref(),
            self.same_site,
            self.session_cookie,
            self.partitioned,
        )?;
        // The CSRF cookies follow the same rules (they are written with the same
        // attributes).
        CookieConfig::new(
            &self.access_csrf_cookie_name,
            &self.refresh_csrf_cookie_name,
            &self.access_csrf_cookie_path,
            &self.refresh_csrf_cookie_path,
            self.secure,
            self.domain.as_deref(),
            self.same_site,
            self.session_cookie,
            self.partitioned,
        )?;
        let header = |option: &'static str, name: &str| {
            http::HeaderName::from_bytes(name.as_bytes()).map_err(|e| ConfigError::InvalidOption {
                option,
                reason: e.to_string(),
            })
        };
        let methods = self
            .csrf_methods
            .iter()
            .map(|m| {
                http::Method::from_bytes(m.as_bytes()).map_err(|e| ConfigError::InvalidOption {
                    option: "csrf_methods",
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let csrf = CsrfConfig {
            protect,
            methods,
            in_cookies: self.csrf_in_cookies,
            check_form: self.csrf_check_form,
            access_header: header("access_csrf_header_name", &self.access_csrf_header_name)?,
            refresh_header: header("refresh_csrf_header_name", &self.refresh_csrf_header_name)?,
            access_cookie: self.access_csrf_cookie_name.as_str().into(),
            refresh_cookie: self.refresh_csrf_cookie_name.as_str().into(),
            access_cookie_path: self.access_csrf_cookie_path.as_str().into(),
            refresh_cookie_path: self.refresh_csrf_cookie_path.as_str().into(),
            access_field: self.access_csrf_field_name.as_str().into(),
            refresh_field: self.refresh_csrf_field_name.as_str().into(),
        };
        Ok((cookies, csrf))
    }
}

fn check_cookie_name(option: &'static str, name: &str) -> Result<(), ConfigError> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(ConfigError::InvalidOption {
            option,
            reason: format!("{name:?} is not a valid cookie name"),
        })
    }
}

fn check_path(option: &'static str, path: &str) -> Result<(), ConfigError> {
    if path.starts_with('/') && !path.bytes().any(|b| b.is_ascii_control() || b == b';') {
        Ok(())
    } else {
        Err(ConfigError::InvalidOption {
            option,
            reason: format!("{path:?} is not a valid cookie path"),
        })
    }
}

/// Browser rules for the `__Host-` and `__Secure-` prefixes: both need `Secure`;
/// `__Host-` also needs `Path=/` and no `Domain`.
fn check_prefix(
    name: &str,
    path: &str,
    secure: bool,
    domain: Option<&str>,
) -> Result<(), ConfigError> {
    let bad = |reason: &str| ConfigError::InvalidOption {
        option: "cookie prefix",
        reason: format!("{name}: {reason}"),
    };
    if name.starts_with("__Host-") {
        if !secure {
            return Err(bad("__Host- cookies need cookie_secure(true)"));
        }
        if path != "/" || domain.is_some() {
            return Err(bad("__Host- cookies need path \"/\" and no domain"));
        }
    } else if name.starts_with("__Secure-") && !secure {
        return Err(bad("__Secure- cookies need cookie_secure(true)"));
    }
    Ok(())
}

impl CookieConfig {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        access_name: &str,
        refresh_name: &str,
        access_path: &str,
        refresh_path: &str,
        secure: bool,
        domain: Option<&str>,
        same_site: Option<SameSite>,
        session: bool,
        partitioned: bool,
    ) -> Result<Self, ConfigError> {
        check_cookie_name("access_cookie_name", access_name)?;
        check_cookie_name("refresh_cookie_name", refresh_name)?;
        check_path("access_cookie_path", access_path)?;
        check_path("refresh_cookie_path", refresh_path)?;
        // Werkzeug drops a leading dot: `.example.com` is written `Domain=example.com`.
        let domain = domain
            .map(|d| d.trim_start_matches('.'))
            .filter(|d| !d.is_empty());
        let bad_domain = |d: &&str| {
            d.bytes()
                .any(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.'))
        };
        if let Some(d) = domain.filter(bad_domain) {
            return Err(ConfigError::InvalidOption {
                option: "cookie_domain",
                reason: format!("{d:?} is not a valid domain"),
            });
        }
        check_prefix(access_name, access_path, secure, domain)?;
        check_prefix(refresh_name, refresh_path, secure, domain)?;
        if same_site == Some(SameSite::None) && !secure {
            return Err(ConfigError::InvalidOption {
                option: "cookie_samesite",
                reason: "SameSite=None needs cookie_secure(true): browsers refuse it otherwise"
                    .into(),
            });
        }
        if partitioned && !secure {
            return Err(ConfigError::InvalidOption {
                option: "cookie_partitioned",
                reason: "partitioned (CHIPS) cookies need cookie_secure(true)".into(),
            });
        }
        Ok(Self {
            missing_access: format!("Missing cookie \"{access_name}\"").into(),
            missing_refresh: format!("Missing cookie \"{refresh_name}\"").into(),
            access_name: access_name.into(),
            refresh_name: refresh_name.into(),
            access_path: access_path.into(),
            refresh_path: refresh_path.into(),
            secure,
            domain: domain.map(Into::into),
            same_site,
            session,
            partitioned,
        })
    }

    /// The token cookie and, when the method is protected, the CSRF value from the header
    /// (or the form field). Empty values count as missing.
    pub(crate) fn extract<'a>(
        &self,
        csrf: &CsrfConfig,
        headers: &'a HeaderMap,
        method: &Method,
        body: Option<&'a BodyValues>,
        refresh: bool,
    ) -> Result<Found<'a>, JwtError> {
        let (name, missing_msg) = if refresh {
            (&*self.refresh_name, &*self.missing_refresh)
        } else {
            (&*self.access_name, &*self.missing_access)
        };
        let token = match cookie_value(headers, name)? {
            Some(v) if !v.is_empty() => v,
            _ => return Err(missing(missing_msg.to_owned())),
        };
        if !(csrf.protect && csrf.methods.contains(method)) {
            return Ok(Found::token(Cow::Borrowed(token)));
        }
        let (header, field) = if refresh {
            (&csrf.refresh_header, &*csrf.refresh_field)
        } else {
            (&csrf.access_header, &*csrf.access_field)
        };
        let mut value: Option<Cow<'a, str>> = match headers.get(header) {
            Some(v) => Some(Cow::Borrowed(v.to_str().map_err(|_| csrf_missing())?)),
            None => None,
        };
        if value.as_deref().is_none_or(str::is_empty) && csrf.check_form {
            value = body.and_then(|b| b.form_field(field)).map(Cow::Borrowed);
        }
        match value {
            Some(v) if !v.is_empty() => Ok(Found {
                token: Cow::Borrowed(token),
                csrf: Some(v),
            }),
            _ => Err(csrf_missing()),
        }
    }
}

fn csrf_missing() -> JwtError {
    JwtError::new(ErrorKind::Csrf, "Missing CSRF token")
}

/// The value of the first cookie called `name` across every `Cookie` header (as Werkzeug
/// reads it: the first wins). That does not stop cookie tossing: browsers send cookies with
/// a longer `Path` first, so a same-name cookie set by a sibling subdomain (`Domain=` the
/// parent, a longer `Path`) comes before the real one and is the one read. What protects
/// is a `__Host-` name, which only the exact host can set (see `CookieOptions`). Quotes
/// around the value are removed. A header that is not UTF-8 is an error.
pub(crate) fn cookie_value<'a>(
    headers: &'a HeaderMap,
    name: &str,
) -> Result<Option<&'a str>, JwtError> {
    for value in headers.get_all(http::header::COOKIE) {
        let text = std::str::from_utf8(value.as_bytes())
            .map_err(|_| JwtError::new(ErrorKind::InvalidToken, "Invalid Cookie header"))?;
        for cookie in cookie::Cookie::split_parse(text).flatten() {
            if cookie.name() == name {
                let v = cookie.value_raw().unwrap_or_default().trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v);
                return Ok(Some(v));
            }
        }
    }
    Ok(None)
}

/// Compares the CSRF value sent with the request to the token's signed `csrf` claim, in
/// constant time. Never compared with the CSRF cookie.
pub(crate) fn check_csrf(sent: &str, claim: Option<&str>) -> Result<(), JwtError> {
    let Some(claim) = claim else {
        return Err(JwtError::new(
            ErrorKind::InvalidToken,
            "Missing claim: csrf",
        ));
    };
    if csrf_matches(sent, claim) {
        Ok(())
    } else {
        Err(JwtError::new(
            ErrorKind::Csrf,
            "CSRF double submit tokens do not match",
        ))
    }
}

/// Constant-time equality of two CSRF values; empty never matches.
pub(crate) fn csrf_matches(sent: &str, claim: &str) -> bool {
    !sent.is_empty() && bool::from(sent.as_bytes().ct_eq(claim.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_bytes(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn cookie_parsing() {
        let h = headers(&[("cookie", b"a=1; access_token_cookie=tok; b=2")]);
        assert_eq!(
            cookie_value(&h, "access_token_cookie").unwrap(),
            Some("tok")
        );
        let h = headers(&[(
            "cookie",
            b"access_token_cookie=first; access_token_cookie=second",
        )]);
        assert_eq!(
            cookie_value(&h, "access_token_cookie").unwrap(),
            Some("first")
        );
        let h = headers(&[("cookie", b"x=1"), ("cookie", b"access_token_cookie=\"q\"")]);
        assert_eq!(cookie_value(&h, "access_token_cookie").unwrap(), Some("q"));
        let h = headers(&[("cookie", b"access_token_cookie=")]);
        assert_eq!(cookie_value(&h, "access_token_cookie").unwrap(), Some(""));
        let h = headers(&[("cookie", b"junk;;=;==; access_token_cookie")]);
        assert_eq!(cookie_value(&h, "access_token_cookie").unwrap(), None);
        let h = headers(&[("cookie", b"a=\xff")]);
        assert!(cookie_value(&h, "access_token_cookie").is_err());
        let many: String = (0..500).map(|i| format!("c{i}=v{i}; ")).collect();
        let h = headers(&[("cookie", many.as_bytes())]);
        assert_eq!(cookie_value(&h, "access_token_cookie").unwrap(), None);
    }

    #[test]
    fn csrf_compare_is_constant_time_and_never_matches_empty() {
        assert!(csrf_matches("abc", "abc"));
        assert!(!csrf_matches("abc", "abd"));
        assert!(!csrf_matches("abc", "abcd"));
        assert!(!csrf_matches("", ""));
        assert_eq!(
            check_csrf("x", None).unwrap_err().message(),
            "Missing claim: csrf"
        );
        assert_eq!(
            check_csrf("x", Some("y")).unwrap_err().message(),
            "CSRF double submit tokens do not match"
        );
    }

    #[test]
    fn prefix_rules() {
        let ok = CookieConfig::new(
            "__Host-at",
            "__Host-rt",
            "/",
            "/",
            true,
            None,
            None,
            true,
            false,
        );
        assert!(ok.is_ok());
        assert!(
            CookieConfig::new("__Host-at", "rt", "/", "/", false, None, None, true, false).is_err()
        );
        assert!(
            CookieConfig::new(
                "__Host-at",
                "rt",
                "/api",
                "/",
                true,
                None,
                None,
                true,
                false
            )
            .is_err()
        );
        assert!(
            CookieConfig::new(
                "__Secure-at",
                "rt",
                "/",
                "/",
                false,
                None,
                None,
                true,
                false
            )
            .is_err()
        );
        assert!(CookieConfig::new("a b", "rt", "/", "/", false, None, None, true, false).is_err());
        assert!(
            CookieConfig::new(
                "at",
                "rt",
                "/",
                "/",
                false,
                None,
                Some(SameSite::None),
                true,
                false
            )
            .is_err()
        );
        let c = CookieConfig::new(
            "at",
            "rt",
            "/",
            "/",
            false,
            Some(".example.com"),
            None,
            true,
            false,
        )
        .unwrap();
        assert_eq!(c.domain.as_deref(), Some("example.com"));
    }
}
