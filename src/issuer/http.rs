//! The HTTP client that fetches discovery documents and key sets: any tower `Service` over
//! `http` types, with the crate's rules on top (URL policy, status, body cap, timeout).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, Uri, header};
use http_body::Body;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use tower_service::Service;

use crate::error::{BoxError, ConfigError};

/// The largest discovery document or key set accepted, in bytes (1 MiB). The cap holds
/// whether or not the response has a `Content-Length`.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The HTTP client an [`Issuer`](crate::Issuer) fetches its discovery document and key set
/// with: any tower [`Service`] taking an `http::Request<String>` (an empty `GET`) and
/// answering an `http::Response` with any body. Bring your own to add a custom CA, a proxy
/// or client certificates; the crate applies its own rules on top of it: `https` only
/// (plain `http` for loopback hosts alone), status 200 only, no redirects followed (unless
/// your client does), a body cap of [`MAX_RESPONSE_BYTES`] and the issuer's timeout.
///
/// With the `jwks-https` feature, [`HttpClient::https`] is the default: hyper-util with
/// rustls and the Mozilla root certificates of `webpki-roots`. Those roots are built into
/// the binary, so the client behaves the same in a scratch or distroless container (no
/// `ca-certificates` to install) and on every machine; an identity provider behind a
/// private CA needs a client of your own (hyper-rustls's native roots, for example).
///
/// ```
/// use jwt_extended::issuer::HttpClient;
/// use jwt_extended::Issuer;
///
/// // Any `Service<http::Request<String>, Response = http::Response<B>>`, here a closure.
/// let client = HttpClient::new(tower::service_fn(|request: http::Request<String>| async move {
///     let _ = request.uri(); // ... send it with the client of your choice ...
///     Ok::<_, std::convert::Infallible>(http::Response::new(String::from(r#"{"keys":[]}"#)))
/// }));
/// let issuer = Issuer::discover("https://login.example.com/realms/main")
///     .audience(["account"])
///     .http_client(client);
/// # let _ = issuer;
/// ```
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<dyn Fetch>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient").finish_non_exhaustive()
    }
}

type FetchFuture = Pin<Box<dyn Future<Output = Result<Fetched, FetchError>> + Send>>;

trait Fetch: Send + Sync {
    fn get(&self, request: Request<String>, cap: usize) -> FetchFuture;
}

struct ServiceFetch<S>(S);

impl<S, B> Fetch for ServiceFetch<S>
where
    S: Service<Request<String>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    fn get(&self, request: Request<String>, cap: usize) -> FetchFuture {
        let mut service = self.0.clone();
        Box::pin(async move {
            std::future::poll_fn(|cx| service.poll_ready(cx))
                .await
                .map_err(|e| FetchError::Transport(e.into()))?;
            let response = service
                .call(request)
                .await
                .map_err(|e| FetchError::Transport(e.into()))?;
            let (parts, body) = response.into_parts();
            if parts.status != StatusCode::OK {
                return Err(FetchError::Status(parts.status));
            }
            let declared = parts
                .headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > cap as u64) {
                return Err(FetchError::TooLarge);
            }
            // `Limited` counts the bytes as they come, so the cap also holds for a chunked
            // body or one whose `Content-Length` lies.
            let body = Limited::new(body, cap)
                .collect()
                .await
                .map_err(|e| {
                    if e.downcast_ref::<LengthLimitError>().is_some() {
                        FetchError::TooLarge
                    } else {
                        FetchError::Transport(e)
                    }
                })?
                .to_bytes();
            Ok(Fetched {
                max_age: max_age(&parts.headers),
                body,
            })
        })
    }
}

impl HttpClient {
    /// A client from any tower `Service` over `http` types (see the type's docs).
    pub fn new<S, B>(service: S) -> Self
    where
        S: Service<Request<String>, Response = Response<B>> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        Self {
            inner: Arc::new(ServiceFetch(service)),
        }
    }

    /// The default client: hyper-util's pooled HTTP/1.1 client over rustls (aws-lc-rs)
    /// with the `webpki-roots` certificates, a 5-second connect timeout and idle
    /// connections closed after 90 seconds. It follows no redirects.
    #[cfg(feature = "jwks-https")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwks-https")))]
    pub fn https() -> Result<Self, ConfigError> {
        use hyper_util::client::legacy::Client;
        use hyper_util::client::legacy::connect::HttpConnector;
        use hyper_util::rt::TokioExecutor;

        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::InvalidOption {
            option: "http_client",
            reason: format!("TLS setup failed: {e}"),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(5)));
        // Plain http is let through here only because the issuer's URLs were checked
        // first: `http` is accepted for loopback hosts alone.
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client: Client<_, String> = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Ok(Self::new(client))
    }

    /// `GET url`, with the body capped at `cap` bytes.
    pub(crate) async fn get(&self, url: &Uri, cap: usize) -> Result<Fetched, FetchError> {
        let request = Request::get(url.clone())
            .header(header::ACCEPT, "application/json")
            .header(
                header::USER_AGENT,
                concat!("jwt-extended/", env!("CARGO_PKG_VERSION")),
            )
            .body(String::new())
            .map_err(|e| FetchError::Transport(e.into()))?;
        self.inner.get(request, cap).await
    }
}

/// A 200 response's body and its `Cache-Control: max-age`.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) body: Bytes,
    pub(crate) max_age: Option<Duration>,
}

/// Why a fetch failed (for the logs; clients only ever see a 503).
#[derive(Debug)]
pub(crate) enum FetchError {
    Transport(BoxError),
    Status(StatusCode),
    TooLarge,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(e) => write!(f, "request failed: {e}"),
            Self::Status(s) => write!(f, "answered {}", s.as_u16()),
            Self::TooLarge => write!(f, "response larger than {MAX_RESPONSE_BYTES} bytes"),
        }
    }
}

/// `Cache-Control: max-age=N` (`no-cache` and `no-store` count as 0; the issuer's bounds
/// apply afterwards).
pub(crate) fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut found = None;
    for value in headers.get_all(header::CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim();
            let (name, arg) = match directive.split_once('=') {
                Some((n, a)) => (n.trim(), Some(a.trim().trim_matches('"'))),
                None => (directive, None),
            };
            if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
                return Some(Duration::ZERO);
            }
            if name.eq_ignore_ascii_case("max-age")
                && found.is_none()
                && let Some(secs) = arg.and_then(|a| a.parse::<u64>().ok())
            {
                found = Some(Duration::from_secs(secs));
            }
        }
    }
    found
}

/// Checks an issuer or key-set URL: absolute, `https`, or `http` to a loopback host
/// (`localhost`, `127.0.0.0/8`, `[::1]`); no user info.
pub(crate) fn check_url(option: &'static str, url: &str) -> Result<Uri, ConfigError> {
    let bad = |reason: &str| ConfigError::InvalidOption {
        option,
        reason: reason.to_owned(),
    };
    let uri: Uri = url.parse().map_err(|_| bad("not a valid absolute URL"))?;
    let Some(authority) = uri.authority() else {
        return Err(bad("not an absolute URL"));
    };
    if authority.as_str().contains('@') {
        return Err(bad("user info in the URL is not accepted"));
    }
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if is_loopback(authority.host()) => Ok(uri),
        Some("http") => Err(bad(
            "https is required (plain http only for loopback hosts)",
        )),
        _ => Err(bad("the scheme must be https")),
    }
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for ok in [
            "https://login.example.com/realms/main",
            "https://tenant.auth0.com/",
            "http://127.0.0.1:8080/",
            "http://127.1.2.3/x",
            "http://localhost:9000/jwks.json",
            "http://[::1]:9000/",
        ] {
            assert!(check_url("issuer", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://login.example.com/",
            "http://10.0.0.1/",
            "http://[::2]/",
            "http://127.0.0.1.example.com/",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "/relative",
            "example.com",
            "",
            "https://exa mple.com/",
        ] {
            assert!(check_url("issuer", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cache_control() {
        let h = |v: &[&str]| {
            let mut m = HeaderMap::new();
            for v in v {
                m.append(header::CACHE_CONTROL, v.parse().unwrap());
            }
            max_age(&m)
        };
        assert_eq!(h(&[]), None);
        assert_eq!(
            h(&["public, max-age=3600"]),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            h(&["Max-Age=\"60\", must-revalidate"]),
            Some(Duration::from_secs(60))
        );
        assert_eq!(h(&["max-age=60", "no-store"]), Some(Duration::ZERO));
        assert_eq!(h(&["no-cache"]), Some(Duration::ZERO));
        assert_eq!(h(&["max-age=-5"]), None);
        assert_eq!(h(&["max-age=abc, s-maxage=10"]), None);
        assert_eq!(
            h(&["max-age=99999999999999999999"]),
            None,
            "overflow is ignored"
        );
    }
}
