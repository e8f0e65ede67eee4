//! [`JwksService`]: the manager's public keys as a JWK Set, for `/.well-known/jwks.json`.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use tower_service::Service;

use crate::manager::JwtManager;

/// Answers every `GET` and `HEAD` with the manager's JWK Set ([`JwtManager::jwks`]): the
/// public keys that verify its own tokens, each with `kid`, `alg` and `use: "sig"`, never a
/// private member (`{"keys": []}` for an HMAC secret, which has no public form). The
/// response is `application/json` with `Cache-Control: public, max-age=300` by default;
/// other methods get 405.
///
/// Other services, in any language, verify this manager's tokens with it (PyJWT's
/// `PyJWKClient`, jose, ...). Keep a retired key as a verification key for as long as its
/// tokens live, so that it stays published too.
///
/// ```
/// use axum::Router;
/// use jwt_extended::{Algorithm, JwtManager};
///
/// # let pem = |name: &str| std::fs::read(format!("{}/tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
/// let manager = JwtManager::builder()
///     .algorithm(Algorithm::ES256)
///     .private_key_pem(pem("ec256_private.pem"))
///     .public_key_pem(pem("ec256_public.pem"))
///     .build()?;
/// let app: Router = Router::new()
///     .route_service("/.well-known/jwks.json", manager.jwks_service());
/// # Ok::<(), jwt_extended::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct JwksService {
    json: Bytes,
    cache_control: HeaderValue,
}

impl JwksService {
    /// How long clients may keep the key set (`Cache-Control: public, max-age=<secs>`).
    /// Publish a new key at least this long before signing with it.
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.cache_control = cache_control(max_age);
        self
    }
}

fn cache_control(max_age: Duration) -> HeaderValue {
    let value = format!("public, max-age={}", max_age.as_secs());
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("no-cache"))
}

impl<B> Service<Request<B>> for JwksService {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let mut response = Response::new(Full::new(Bytes::new()));
        if matches!(*request.method(), Method::GET | Method::HEAD) {
            *response.body_mut() = Full::new(self.json.clone());
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(header::CACHE_CONTROL, self.cache_control.clone());
        } else {
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        ready(Ok(response))
    }
}

impl JwtManager {
    /// A tower service answering with this manager's JWK Set: mount it at
    /// `/.well-known/jwks.json`. See [`JwksService`].
    pub fn jwks_service(&self) -> JwksService {
        JwksService {
            json: self.jwks_json(),
            cache_control: cache_control(Duration::from_secs(300)),
        }
    }
}

#[cfg(all(test, any(feature = "aws-lc-rs", feature = "rust-crypto")))]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    fn pem(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/keys/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    async fn get(svc: JwksService, method: Method) -> (Response<()>, Bytes) {
        let request = Request::builder().method(method).body(()).unwrap();
        let (parts, body) = svc.oneshot(request).await.unwrap().into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        (Response::from_parts(parts, ()), body)
    }

    #[tokio::test]
    async fn serves_the_public_keys_with_cache_control() {
        let manager = JwtManager::builder()
            .algorithm(jsonwebtoken::Algorithm::ES256)
            .private_key_pem(pem("ec256_private.pem"))
            .public_key_pem(pem("ec256_public.pem"))
            .build()
            .unwrap();
        let (response, body) = get(manager.jwks_service(), Method::GET).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "public, max-age=300"
        );
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let set: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(set["keys"].as_array().unwrap().len(), 1);
        let key = &set["keys"][0];
        assert_eq!(key["kty"], "EC");
        assert_eq!(key["alg"], "ES256");
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
        assert!(key.get("d").is_none());

        let (response, _) = get(
            manager.jwks_service().max_age(Duration::from_secs(60)),
            Method::HEAD,
        )
        .await;
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "public, max-age=60"
        );
        let (response, _) = get(manager.jwks_service(), Method::POST).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "GET, HEAD");
    }

    #[tokio::test]
    async fn an_hmac_secret_publishes_nothing() {
        let manager = JwtManager::builder()
            .secret("an-example-secret-of-at-least-32-bytes!")
            .build()
            .unwrap();
        let (_, body) = get(manager.jwks_service(), Method::GET).await;
        assert_eq!(&body[..], br#"{"keys":[]}"#);
        assert!(manager.jwks().keys.is_empty());
    }
}
