//! The `Authorization: Bearer <JWT>` header.

use std::borrow::Cow;

use http::{HeaderMap, HeaderName};

use crate::error::{ConfigError, ErrorKind, JwtError};

/// The header location's settings, with its messages built once.
#[derive(Debug, Clone)]
pub(crate) struct HeaderConfig {
    pub(crate) name: HeaderName,
    pub(crate) scheme: Box<str>,
    missing_header: Box<str>,
    missing_scheme: Box<str>,
    bad_header: Box<str>,
    /// The scheme is non-empty visible ASCII, so `<scheme> <token>` can be read directly.
    fast: bool,
}

impl HeaderConfig {
    pub(crate) fn new(name: &str, scheme: &str) -> Result<Self, ConfigError> {
        let header =
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| ConfigError::InvalidOption {
                option: "header_name",
                reason: e.to_string(),
            })?;
        if scheme.chars().any(|c| c.is_whitespace() || c == ',') {
            return Err(ConfigError::InvalidOption {
                option: "header_type",
                reason: "must not contain spaces or commas".into(),
            });
        }
        let expected = if scheme.is_empty() {
            format!("Expected '{name}: <JWT>'")
        } else {
            format!("Expected '{name}: {scheme} <JWT>'")
        };
        Ok(Self {
            missing_header: format!("Missing {name} Header").into(),
            missing_scheme: format!("Missing '{scheme}' type in '{name}' header. {expected}")
                .into(),
            bad_header: format!("Bad {name} header. {expected}").into(),
            name: header,
            scheme: scheme.into(),
            fast: !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_graphic()),
        })
    }

    fn missing(&self, msg: &str) -> JwtError {
        JwtError::new(ErrorKind::Missing, msg.to_owned())
    }

    fn bad(&self) -> JwtError {
        JwtError::new(ErrorKind::InvalidToken, self.bad_header.to_string())
    }

    /// Flask-JWT-Extended's header parsing: trim the value and strip commas, split on
    /// `,\s*`, exactly one part must start with the scheme, and that part must have exactly
    /// two words. The scheme is matched case-insensitively (RFC 9110). Several header lines
    /// are read as one comma-separated value.
    pub(crate) fn extract<'a>(&self, headers: &'a HeaderMap) -> Result<Cow<'a, str>, JwtError> {
        let mut values = headers.get_all(&self.name).iter();
        let value: Cow<'a, str> = match (values.next(), values.next()) {
            (None, _) => return Err(self.missing(&self.missing_header)),
            (Some(one), None) => {
                if let Some(token) = self.exactly_scheme_and_token(one.as_bytes()) {
                    return Ok(Cow::Borrowed(token));
                }
                Cow::Borrowed(one.to_str().map_err(|_| self.bad())?)
            }
            (Some(_), Some(_)) => {
                let mut joined = String::new();
                for v in headers.get_all(&self.name) {
                    if !joined.is_empty() {
                        joined.push_str(", ");
                    }
                    joined.push_str(v.to_str().map_err(|_| self.bad())?);
                }
                Cow::Owned(joined)
            }
        };
        Ok(match value {
            Cow::Borrowed(v) => Cow::Borrowed(self.parse(v)?),
            Cow::Owned(v) => Cow::Owned(self.parse(&v)?.to_owned()),
        })
    }

    /// The bytes after `<scheme> ` when the header is sent once and its value starts
    /// exactly so: the token as sent, not checked in any other way. Only the
    /// verified-token cache takes them as they are (it answers only for the exact text of
    /// a verified token, which [`extract`](Self::extract) would have returned as is);
    /// anything else goes through `extract`.
    pub(crate) fn sent_token<'a>(&self, headers: &'a HeaderMap) -> Option<&'a [u8]> {
        let mut values = headers.get_all(&self.name).iter();
        match (values.next(), values.next()) {
            (Some(one), None) => self.after_scheme(one.as_bytes()),
            _ => None,
        }
    }

    /// What follows `<scheme> ` (one space), when it is not empty.
    fn after_scheme<'v>(&self, value: &'v [u8]) -> Option<&'v [u8]> {
        if !self.fast {
            return None;
        }
        let scheme = self.scheme.as_bytes();
        let (head, rest) = value.split_at_checked(scheme.len())?;
        let (&space, token) = rest.split_first()?;
        if space != b' ' || token.is_empty() || !head.eq_ignore_ascii_case(scheme) {
            return None;
        }
        Some(token)
    }

    /// The common case in one pass: a value that is exactly `<scheme> <token>`, with a
    /// single space and a token of visible ASCII other than `,`. For such a value the full
    /// parse below gives the same token (nothing to trim, one comma-separated part, two
    /// words); anything else goes to the full parse.
    fn exactly_scheme_and_token<'v>(&self, value: &'v [u8]) -> Option<&'v str> {
        Self::plain_token(self.after_scheme(value)?)
    }

    /// [`sent_token`](Self::sent_token)'s bytes as the token [`extract`](Self::extract)
    /// returns, when they are visible ASCII other than `,` (`None`: `extract` reads the
    /// header in full).
    pub(crate) fn plain_token(token: &[u8]) -> Option<&str> {
        // An OR-reduction with no early exit, so that the loop vectorizes.
        let mut bad = 0u8;
        for &b in token {
            bad |= u8::from(b <= b' ') | u8::from(b >= 0x7f) | u8::from(b == b',');
        }
        if bad != 0 {
            return None;
        }
        // Visible ASCII, so valid UTF-8: checked again for the `&str`, with SIMD.
        simdutf8::basic::from_utf8(token).ok()
    }

    fn parse<'v>(&self, value: &'v str) -> Result<&'v str, JwtError> {
        let trimmed = value
            .trim_matches(|c: char| c.is_ascii_whitespace())
            .trim_matches(',');
        if trimmed.is_empty() {
            return Err(self.missing(&self.missing_header));
        }
        if self.scheme.is_empty() {
            let mut words = trimmed.split_ascii_whitespace();
            return match (words.next(), words.next()) {
                (Some(token), None) => Ok(token),
                _ => Err(self.bad()),
            };
        }
        let mut found = None;
        let mut count = 0;
        for part in trimmed.split(',') {
            let mut words = part.split_ascii_whitespace();
            if words
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(&self.scheme))
            {
                count += 1;
                found = Some(part);
            }
        }
        let part = match (count, found) {
            (1, Some(part)) => part,
            _ => return Err(self.missing(&self.missing_scheme)),
        };
        let mut words = part.split_ascii_whitespace().skip(1);
        match (words.next(), words.next()) {
            (Some(token), None) => Ok(token),
            _ => Err(self.bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(
                http::header::AUTHORIZATION,
                http::HeaderValue::from_bytes(v).unwrap(),
            );
        }
        headers
    }

    fn run(cfg: &HeaderConfig, values: &[&[u8]]) -> Result<String, (ErrorKind, String)> {
        let p = parts(values);
        cfg.extract(&p)
            .map(|c| c.into_owned())
            .map_err(|e| (e.kind(), e.message().to_owned()))
    }

    const MISSING_TYPE: &str =
        "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'";
    const BAD: &str = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";

    #[test]
    fn flask_header_table() {
        let c = HeaderConfig::new("Authorization", "Bearer").unwrap();
        assert_eq!(
            run(&c, &[]),
            Err((ErrorKind::Missing, "Missing Authorization Header".into()))
        );
        assert_eq!(
            run(&c, &[b"  ,, "]),
            Err((ErrorKind::Missing, "Missing Authorization Header".into()))
        );
        assert_eq!(
            run(&c, &[b"Basic abc"]),
            Err((ErrorKind::Missing, MISSING_TYPE.into()))
        );
        assert_eq!(
            run(&c, &[b"Bearer t, Bearer t"]),
            Err((ErrorKind::Missing, MISSING_TYPE.into()))
        );
        assert_eq!(run(&c, &[b"Bearer t, Basic c"]), Ok("t".into()));
        assert_eq!(run(&c, &[b"Basic c, Bearer t"]), Ok("t".into()));
        assert_eq!(run(&c, &[b"Bearer t,   "]), Ok("t".into()));
        assert_eq!(run(&c, &[b"Bearer  t"]), Ok("t".into()));
        // Deviation: the scheme is case-insensitive (RFC 9110).
        assert_eq!(run(&c, &[b"bearer t"]), Ok("t".into()));
        for bad in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer a b",
            b"Foo 1, Bearer, Baz, 3",
            b"Bearer ,,0",
        ] {
            assert_eq!(
                run(&c, &[bad]),
                Err((ErrorKind::InvalidToken, BAD.into())),
                "{bad:?}"
            );
        }
        // obs-text is a bad header, never a panic.
        assert_eq!(
            run(&c, &[b"Bearer \xff\xfe"]),
            Err((ErrorKind::InvalidToken, BAD.into()))
        );
        // Two header lines: read together, so two tokens are never picked from.
        assert_eq!(
            run(&c, &[b"Bearer a", b"Bearer b"]),
            Err((ErrorKind::Missing, MISSING_TYPE.into()))
        );
        assert_eq!(run(&c, &[b"Basic x", b"Bearer b"]), Ok("b".into()));
    }

    /// Whenever the one-pass reading answers, the full parse gives the same token.
    #[test]
    fn one_pass_agrees_with_the_full_parse() {
        let configs = [
            HeaderConfig::new("Authorization", "Bearer").unwrap(),
            HeaderConfig::new("Authorization", "JWT").unwrap(),
            HeaderConfig::new("Authorization", "").unwrap(),
            HeaderConfig::new("Authorization", "Bëarer").unwrap(),
        ];
        let values: &[&[u8]] = &[
            b"Bearer t",
            b"bearer t",
            b"BEARER a.b.c",
            b"Bearer  t",
            b"Bearer t ",
            b" Bearer t",
            b"Bearer t,",
            b"Bearer t,u",
            b"Bearer ,t",
            b"Bearer \tt",
            b"Bearer\tt",
            b"Bearer t\t",
            b"Bearer",
            b"Bearer ",
            b"Bearer a b",
            b"Bearerx t",
            b"Bearer t\xff",
            b"B\xc3\xabarer t",
            b"JWT t",
            b"Basic t",
            b"t",
            b"",
        ];
        for c in &configs {
            for v in values {
                let fast = c.exactly_scheme_and_token(v);
                let full = std::str::from_utf8(v).ok().map(|s| c.parse(s).ok());
                if let Some(token) = fast {
                    assert_eq!(full, Some(Some(token)), "{:?} {v:?}", c.scheme);
                }
                // What the token cache is asked with: when those bytes could be a token's
                // text (base64url and dots), `extract` returns exactly them.
                let headers = parts(&[v]);
                let sent = c.sent_token(&headers);
                let jws = |b: &[u8]| {
                    b.iter()
                        .all(|&b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                };
                if let Some(sent) = sent.filter(|b| jws(b)) {
                    let extracted = c.extract(&headers).map(|t| t.into_owned());
                    assert_eq!(extracted.as_deref().ok().map(str::as_bytes), Some(sent));
                }
                // And when they are a plain token, `extract` returns that token.
                if let Some(token) = sent.and_then(HeaderConfig::plain_token) {
                    assert_eq!(c.extract(&headers).ok().as_deref(), Some(token));
                }
            }
        }
        let c = &configs[0];
        assert_eq!(
            c.sent_token(&parts(&[b"Bearer a.b.c"])),
            Some(&b"a.b.c"[..])
        );
        assert_eq!(c.sent_token(&parts(&[b"Bearer a, b"])), Some(&b"a, b"[..]));
        assert_eq!(c.sent_token(&parts(&[b"Bearer a", b"Bearer a"])), None);
        assert_eq!(c.sent_token(&parts(&[b"Bearer "])), None);
        assert_eq!(c.sent_token(&parts(&[])), None);
        let c = &configs[0];
        assert_eq!(c.exactly_scheme_and_token(b"Bearer t"), Some("t"));
        assert_eq!(c.exactly_scheme_and_token(b"bEaReR t"), Some("t"));
        assert_eq!(c.exactly_scheme_and_token(b"Bearer t,u"), None);
        assert!(configs[2].exactly_scheme_and_token(b"t").is_none());
        assert!(
            configs[3]
                .exactly_scheme_and_token("Bëarer t".as_bytes())
                .is_none()
        );
    }

    #[test]
    fn custom_name_and_scheme() {
        let c = HeaderConfig::new("Foo", "Bearer").unwrap();
        let p = parts(&[b"Bearer t"]);
        assert_eq!(c.extract(&p).unwrap_err().message(), "Missing Foo Header");
        let c = HeaderConfig::new("Authorization", "JWT").unwrap();
        assert_eq!(
            run(&c, &[b"Bearer t"]),
            Err((
                ErrorKind::Missing,
                "Missing 'JWT' type in 'Authorization' header. Expected 'Authorization: JWT <JWT>'"
                    .into()
            ))
        );
        let c = HeaderConfig::new("Authorization", "").unwrap();
        assert_eq!(run(&c, &[b"tok"]), Ok("tok".into()));
        assert_eq!(
            run(&c, &[b"Bearer tok"]),
            Err((
                ErrorKind::InvalidToken,
                "Bad Authorization header. Expected 'Authorization: <JWT>'".into()
            ))
        );
        assert!(HeaderConfig::new("Bad Header", "Bearer").is_err());
        assert!(HeaderConfig::new("Authorization", "Bea rer").is_err());
    }
}
