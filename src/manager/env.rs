//! Flask-JWT-Extended's `JWT_*` configuration variables, read over a builder's settings.

use jsonwebtoken::Algorithm;
use time::Duration;

use super::builder::JwtManagerBuilder;
use crate::error::ConfigError;
use crate::locations::SameSite;
use crate::token::Audience;

impl JwtManagerBuilder {
    /// Reads Flask-JWT-Extended's `JWT_*` environment variables over the current settings:
    /// `JWT_SECRET_KEY`, `JWT_ALGORITHM`, `JWT_PRIVATE_KEY`, `JWT_PUBLIC_KEY`,
    /// `JWT_DECODE_ALGORITHMS`, `JWT_ACCESS_TOKEN_EXPIRES` and `JWT_REFRESH_TOKEN_EXPIRES`
    /// (seconds, or `false` for none), `JWT_IDENTITY_CLAIM`, `JWT_ENCODE_NBF`,
    /// `JWT_ENCODE_AUDIENCE`, `JWT_ENCODE_ISSUER`, `JWT_DECODE_AUDIENCE` (comma-separated),
    /// `JWT_DECODE_ISSUER`, `JWT_DECODE_LEEWAY`, `JWT_VERIFY_SUB`, `JWT_TOKEN_LOCATION`
    /// (comma-separated), `JWT_HEADER_NAME`, `JWT_HEADER_TYPE`, `JWT_ERROR_MESSAGE_KEY`,
    /// `JWT_QUERY_STRING_NAME`, `JWT_QUERY_STRING_VALUE_PREFIX`, `JWT_JSON_KEY`,
    /// `JWT_REFRESH_JSON_KEY`, the cookie and CSRF keys (`JWT_COOKIE_CSRF_PROTECT`,
    /// `JWT_ACCESS_COOKIE_NAME`, `JWT_COOKIE_SECURE`, `JWT_COOKIE_SAMESITE`,
    /// `JWT_SESSION_COOKIE`, `JWT_CSRF_METHODS`, ...), and this crate's
    /// `JWT_REFRESH_ROTATION` (`true`, `false`, or the overlap window in seconds), and, with
    /// the `jwks` feature, `JWT_OIDC_ISSUER` with `JWT_OIDC_AUDIENCE` (comma-separated): an
    /// external issuer found by OpenID Connect discovery (see
    /// [`issuer`](Self::issuer)).
    /// Unset variables leave the setting alone; a bad value is a [`ConfigError::Env`].
    pub fn from_env(self) -> Result<Self, ConfigError> {
        self.from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `lookup`.
    ///
    /// ```
    /// use jwt_extended::JwtManager;
    ///
    /// let vars = [("JWT_SECRET_KEY", "an-example-secret-of-at-least-32-bytes!"), ("JWT_ACCESS_TOKEN_EXPIRES", "300")];
    /// let manager = JwtManager::builder()
    ///     .from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))?
    ///     .build()?;
    /// # Ok::<(), jwt_extended::ConfigError>(())
    /// ```
    pub fn from_lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        fn bad(name: &'static str, reason: impl Into<String>) -> ConfigError {
            ConfigError::Env {
                name,
                reason: reason.into(),
            }
        }
        fn parse_bool(name: &'static str, v: &str) -> Result<bool, ConfigError> {
            match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(bad(name, "expected true or false")),
            }
        }
        fn parse_expiry(name: &'static str, v: &str) -> Result<Option<Duration>, ConfigError> {
            let v = v.trim();
            if v.eq_ignore_ascii_case("false") || v.eq_ignore_ascii_case("none") {
                return Ok(None);
            }
            let secs: i64 = v
                .parse()
                .map_err(|_| bad(name, "expected a whole number of seconds, or `false`"))?;
            if secs <= 0 {
                return Err(bad(
                    name,
                    "must be greater than zero (use `false` for no expiry)",
                ));
            }
            Ok(Some(Duration::seconds(secs)))
        }
        fn parse_alg(name: &'static str, v: &str) -> Result<Algorithm, ConfigError> {
            v.trim().parse().map_err(|_| bad(name, "unknown algorithm"))
        }
        fn list(v: &str) -> Vec<String> {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        }

        if let Some(v) = lookup("JWT_ALGORITHM") {
            self.algorithm = parse_alg("JWT_ALGORITHM", &v)?;
        }
        if let Some(v) = lookup("JWT_SECRET_KEY") {
            self.secret = Some(v.into_bytes());
        }
        if let Some(v) = lookup("JWT_PRIVATE_KEY") {
            self.private_pem = Some(v.into_bytes());
        }
        if let Some(v) = lookup("JWT_PUBLIC_KEY") {
            self.public_pem = Some(v.into_bytes());
        }
        if let Some(v) = lookup("JWT_DECODE_ALGORITHMS") {
            self.decode_algorithms = list(&v)
                .iter()
                .map(|a| parse_alg("JWT_DECODE_ALGORITHMS", a))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = lookup("JWT_ACCESS_TOKEN_EXPIRES") {
            self.access_expires = parse_expiry("JWT_ACCESS_TOKEN_EXPIRES", &v)?;
        }
        if let Some(v) = lookup("JWT_REFRESH_TOKEN_EXPIRES") {
            self.refresh_expires = parse_expiry("JWT_REFRESH_TOKEN_EXPIRES", &v)?;
        }
        if let Some(v) = lookup("JWT_IDENTITY_CLAIM") {
            self.identity_claim = v.trim().to_owned();
        }
        if let Some(v) = lookup("JWT_ENCODE_NBF") {
            self.encode_nbf = parse_bool("JWT_ENCODE_NBF", &v)?;
        }
        if let Some(v) = lookup("JWT_ENCODE_AUDIENCE") {
            let mut l = list(&v);
            self.encode_audience = match l.len() {
                0 => None,
                1 => l.pop().map(Audience::One),
                _ => Some(Audience::Many(l)),
            };
        }
        if let Some(v) = lookup("JWT_ENCODE_ISSUER") {
            self.encode_issuer = Some(v.trim().to_owned()).filter(|s| !s.is_empty());
        }
        if let Some(v) = lookup("JWT_DECODE_AUDIENCE") {
            let l = list(&v);
            self.decode_audience = (!l.is_empty()).then_some(l);
        }
        if let Some(v) = lookup("JWT_DECODE_ISSUER") {
            self.decode_issuer = Some(v.trim().to_owned()).filter(|s| !s.is_empty());
        }
        if let Some(v) = lookup("JWT_DECODE_LEEWAY") {
            self.leeway = v
                .trim()
                .parse()
                .map_err(|_| bad("JWT_DECODE_LEEWAY", "expected a whole number of seconds"))?;
        }
        if let Some(v) = lookup("JWT_VERIFY_SUB") {
            self.verify_sub = parse_bool("JWT_VERIFY_SUB", &v)?;
        }
        if let Some(v) = lookup("JWT_COOKIE_CSRF_PROTECT") {
            self.csrf_protect = parse_bool("JWT_COOKIE_CSRF_PROTECT", &v)?;
        }
        if let Some(v) = lookup("JWT_TOKEN_LOCATION") {
            self.locations = list(&v)
                .iter()
                .map(|l| {
                    l.parse()
                        .map_err(|e: ConfigError| bad("JWT_TOKEN_LOCATION", e.to_string()))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = lookup("JWT_HEADER_NAME") {
            self.header_name = v.trim().to_owned();
        }
        if let Some(v) = lookup("JWT_HEADER_TYPE") {
            self.header_type = v.trim().to_owned();
        }
        if let Some(v) = lookup("JWT_ERROR_MESSAGE_KEY") {
            self.error_key = v.trim().to_owned();
        }
        if let Some(v) = lookup("JWT_REFRESH_ROTATION") {
            let v = v.trim();
            self.rotation = if v.eq_ignore_ascii_case("false") || v.is_empty() {
                None
            } else if v.eq_ignore_ascii_case("true") {
                Some(0)
            } else {
                Some(v.parse().map_err(|_| {
                    bad(
                        "JWT_REFRESH_ROTATION",
                        "expected true, false, or the overlap window in seconds",
                    )
                })?)
            };
        }
        if let Some(v) = lookup("JWT_QUERY_STRING_NAME") {
            self.query_string_name = v.trim().to_owned();
        }
        if let Some(v) = lookup("JWT_QUERY_STRING_VALUE_PREFIX") {
            self.query_string_prefix = v;
        }
        if let Some(v) = lookup("JWT_JSON_KEY") {
            self.json_key = v.trim().to_owned();
        }
        if let Some(v) = lookup("JWT_REFRESH_JSON_KEY") {
            self.refresh_json_key = v.trim().to_owned();
        }
        let c = &mut self.cookie;
        let text = |name: &'static str, target: &mut String| {
            if let Some(v) = lookup(name) {
                *target = v.trim().to_owned();
            }
        };
        text("JWT_ACCESS_COOKIE_NAME", &mut c.access_cookie_name);
        text("JWT_REFRESH_COOKIE_NAME", &mut c.refresh_cookie_name);
        text("JWT_ACCESS_COOKIE_PATH", &mut c.access_cookie_path);
        text("JWT_REFRESH_COOKIE_PATH", &mut c.refresh_cookie_path);
        text(
            "JWT_ACCESS_CSRF_HEADER_NAME",
            &mut c.access_csrf_header_name,
        );
        text(
            "JWT_REFRESH_CSRF_HEADER_NAME",
            &mut c.refresh_csrf_header_name,
        );
        text(
            "JWT_ACCESS_CSRF_COOKIE_NAME",
            &mut c.access_csrf_cookie_name,
        );
        text(
            "JWT_REFRESH_CSRF_COOKIE_NAME",
            &mut c.refresh_csrf_cookie_name,
        );
        text(
            "JWT_ACCESS_CSRF_COOKIE_PATH",
            &mut c.access_csrf_cookie_path,
        );
        text(
            "JWT_REFRESH_CSRF_COOKIE_PATH",
            &mut c.refresh_csrf_cookie_path,
        );
        text("JWT_ACCESS_CSRF_FIELD_NAME", &mut c.access_csrf_field_name);
        text(
            "JWT_REFRESH_CSRF_FIELD_NAME",
            &mut c.refresh_csrf_field_name,
        );
        if let Some(v) = lookup("JWT_COOKIE_DOMAIN") {
            c.domain = Some(v.trim().to_owned()).filter(|d| !d.is_empty());
        }
        if let Some(v) = lookup("JWT_COOKIE_SECURE") {
            c.secure = parse_bool("JWT_COOKIE_SECURE", &v)?;
        }
        if let Some(v) = lookup("JWT_SESSION_COOKIE") {
            c.session_cookie = parse_bool("JWT_SESSION_COOKIE", &v)?;
        }
        if let Some(v) = lookup("JWT_CSRF_IN_COOKIES") {
            c.csrf_in_cookies = parse_bool("JWT_CSRF_IN_COOKIES", &v)?;
        }
        if let Some(v) = lookup("JWT_CSRF_CHECK_FORM") {
            c.csrf_check_form = parse_bool("JWT_CSRF_CHECK_FORM", &v)?;
        }
        if let Some(v) = lookup("JWT_COOKIE_PARTITIONED") {
            c.partitioned = parse_bool("JWT_COOKIE_PARTITIONED", &v)?;
        }
        if let Some(v) = lookup("JWT_COOKIE_SAMESITE") {
            c.same_site = match v.trim().to_ascii_lowercase().as_str() {
                "" | "none_unset" => None,
                "lax" => Some(SameSite::Lax),
                "strict" => Some(SameSite::Strict),
                "none" => Some(SameSite::None),
                _ => return Err(bad("JWT_COOKIE_SAMESITE", "expected Lax, Strict or None")),
            };
        }
        if let Some(v) = lookup("JWT_CSRF_METHODS") {
            c.csrf_methods = list(&v);
        }
        #[cfg(feature = "jwks")]
        match (lookup("JWT_OIDC_ISSUER"), lookup("JWT_OIDC_AUDIENCE")) {
            (None, None) => {}
            (Some(issuer), Some(audience)) if !list(&audience).is_empty() => {
                self.issuers
                    .push(crate::issuer::Issuer::discover(issuer.trim()).audience(list(&audience)));
            }
            (Some(_), _) => {
                return Err(bad(
                    "JWT_OIDC_AUDIENCE",
                    "required with JWT_OIDC_ISSUER (the audience the issuer's tokens must carry)",
                ));
            }
            (None, Some(_)) => {
                return Err(bad("JWT_OIDC_ISSUER", "required with JWT_OIDC_AUDIENCE"));
            }
        }
        Ok(self)
    }
}
