//! A fake OpenID Connect issuer on 127.0.0.1: discovery document and JWK Set, with keys
//! that rotate, outages, slow, oversized and malformed answers, and fetch counters.
//! Shared by the library's unit tests and the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How the key-set endpoint answers.
#[derive(Debug, Clone)]
pub enum Mode {
    /// The current key set, with the configured `Cache-Control`.
    Normal,
    /// Connections are accepted and closed at once (an issuer that is down).
    Down,
    /// This status, empty body.
    Status(u16),
    /// The key set after this delay.
    Slow(Duration),
    /// `bytes` of a JSON-looking body, streamed without `Content-Length`.
    OversizedChunked(usize),
    /// `bytes` of body with a `Content-Length`.
    Oversized(usize),
    /// This exact body (malformed JSON, a set without usable keys, ...).
    Body(String),
}

struct Shared {
    keys: Mutex<Value>,
    mode: Mutex<Mode>,
    discovery_mode: Mutex<Mode>,
    /// The `issuer` the discovery document names (default: the issuer URL).
    discovery_issuer: Mutex<Option<String>>,
    /// The `jwks_uri` the discovery document names (default: this server's /jwks.json).
    jwks_uri: Mutex<Option<String>>,
    cache_control: Mutex<Option<String>>,
    jwks_fetches: AtomicUsize,
    discovery_fetches: AtomicUsize,
    /// Connections accepted (including the ones closed at once while down).
    connections: AtomicUsize,
    issuer: Mutex<String>,
}

/// The fake issuer; stops when dropped.
pub struct FakeIssuer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for FakeIssuer {
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }
}

impl FakeIssuer {
    /// Starts on a free loopback port with an empty key set.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener)
    }

    /// A free loopback address nobody listens on (yet): for an issuer that is down when
    /// the service starts. Start it later with [`FakeIssuer::start_at`].
    pub fn reserve_addr() -> SocketAddr {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    }

    /// Starts on `addr` (from [`FakeIssuer::reserve_addr`]).
    pub async fn start_at(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).await.unwrap();
        Self::serve(listener)
    }

    fn serve(listener: TcpListener) -> Self {
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            keys: Mutex::new(json!({"keys": []})),
            mode: Mutex::new(Mode::Normal),
            discovery_mode: Mutex::new(Mode::Normal),
            discovery_issuer: Mutex::new(None),
            jwks_uri: Mutex::new(None),
            cache_control: Mutex::new(None),
            jwks_fetches: AtomicUsize::new(0),
            discovery_fetches: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            issuer: Mutex::new(format!("http://{addr}")),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks.json", get(jwks))
            .with_state(shared.clone());
        let accept_shared = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                accept_shared.connections.fetch_add(1, Ordering::SeqCst);
                let down = matches!(*accept_shared.mode.lock().unwrap(), Mode::Down);
                if down {
                    drop(stream);
                    continue;
                }
                let app = app.clone();
                tokio::spawn(async move {
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
                });
            }
        });
        Self {
            addr,
            shared,
            task: Mutex::new(Some(task)),
        }
    }

    /// The issuer identifier: `http://127.0.0.1:<port>` (no trailing slash).
    pub fn issuer(&self) -> String {
        self.shared.issuer.lock().unwrap().clone()
    }

    /// Uses another issuer identifier (for example with a trailing slash, as Auth0 does);
    /// it must still point at this server for discovery to reach it.
    pub fn set_issuer(&self, issuer: &str) {
        *self.shared.issuer.lock().unwrap() = issuer.to_owned();
    }

    pub fn jwks_url(&self) -> String {
        format!("http://{}/jwks.json", self.addr)
    }

    /// Serves `keys` (a list of JWKs) from now on.
    pub fn set_keys(&self, keys: Vec<Value>) {
        *self.shared.keys.lock().unwrap() = json!({ "keys": keys });
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
    }

    pub fn set_discovery_mode(&self, mode: Mode) {
        *self.shared.discovery_mode.lock().unwrap() = mode;
    }

    pub fn set_discovery_issuer(&self, issuer: &str) {
        *self.shared.discovery_issuer.lock().unwrap() = Some(issuer.to_owned());
    }

    pub fn set_jwks_uri(&self, uri: &str) {
        *self.shared.jwks_uri.lock().unwrap() = Some(uri.to_owned());
    }

    pub fn set_cache_control(&self, value: &str) {
        *self.shared.cache_control.lock().unwrap() = Some(value.to_owned());
    }

    pub fn jwks_fetches(&self) -> usize {
        self.shared.jwks_fetches.load(Ordering::SeqCst)
    }

    pub fn discovery_fetches(&self) -> usize {
        self.shared.discovery_fetches.load(Ordering::SeqCst)
    }

    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Waits (up to 5 s) until the key set was fetched at least `n` times.
    pub async fn wait_for_jwks_fetches(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.jwks_fetches() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the key set was fetched {} times, expected {n}",
                self.jwks_fetches()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn answer(mode: Mode, ok: impl FnOnce() -> Response) -> Response {
    match mode {
        Mode::Normal => ok(),
        // Only reached when the mode changed after the connection was accepted.
        Mode::Down => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Mode::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        Mode::Slow(delay) => {
            tokio::time::sleep(delay).await;
            ok()
        }
        Mode::OversizedChunked(bytes) => {
            let chunk = bytes::Bytes::from(vec![b' '; 64 * 1024]);
            let count = bytes.div_ceil(chunk.len());
            let stream = futures_stream(chunk, count);
            let mut response = Response::new(Body::from_stream(stream));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Mode::Oversized(bytes) => {
            let mut body = String::from(r#"{"keys":[],"pad":""#);
            body.push_str(&"x".repeat(bytes));
            body.push_str("\"}");
            (StatusCode::OK, body).into_response()
        }
        Mode::Body(text) => (StatusCode::OK, text).into_response(),
    }
}

fn futures_stream(
    chunk: bytes::Bytes,
    count: usize,
) -> impl tokio_stream::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    tokio_stream::iter((0..count).map(move |_| Ok(chunk.clone())))
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    shared.discovery_fetches.fetch_add(1, Ordering::SeqCst);
    let mode = shared.discovery_mode.lock().unwrap().clone();
    let issuer = shared
        .discovery_issuer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| shared.issuer.lock().unwrap().clone());
    let jwks_uri = shared.jwks_uri.lock().unwrap().clone().unwrap_or_else(|| {
        let base = shared.issuer.lock().unwrap().clone();
        format!("{}/jwks.json", base.trim_end_matches('/'))
    });
    answer(mode, || {
        axum::Json(json!({
            "issuer": issuer,
            "jwks_uri": jwks_uri,
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        }))
        .into_response()
    })
    .await
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let mode = shared.mode.lock().unwrap().clone();
    let keys = shared.keys.lock().unwrap().clone();
    let cache_control = shared.cache_control.lock().unwrap().clone();
    answer(mode, move || {
        let mut response = axum::Json(keys).into_response();
        if let Some(cc) = cache_control {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_str(&cc).unwrap());
        }
        response
    })
    .await
}

/// Public JWKs of the test fixtures (`tests/fixtures/keys`), and their private PEMs to sign
/// with.
pub mod keys {
    use serde_json::{Value, json};

    /// jsonwebtoken's provider of the backend compiled in (JWK conversion needs one).
    pub fn install_provider() {
        #[cfg(feature = "aws-lc-rs")]
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
        #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    }

    pub fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/keys/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    /// The public JWK of a fixture key pair (`rsa`, `attacker_rsa`, `ec256`, `ec384`,
    /// `ed25519`), with `kid` and, when given, `alg`.
    pub fn jwk(name: &str, kid: &str, alg: Option<&str>) -> Value {
        use jsonwebtoken::jwk::Jwk;
        use jsonwebtoken::{Algorithm, DecodingKey};
        install_provider();
        let pem = fixture(&format!("{name}_public.pem"));
        let (key, algorithm) = match name {
            "rsa" | "attacker_rsa" => (DecodingKey::from_rsa_pem(pem.as_bytes()), Algorithm::RS256),
            "ec256" => (DecodingKey::from_ec_pem(pem.as_bytes()), Algorithm::ES256),
            "ec384" => (DecodingKey::from_ec_pem(pem.as_bytes()), Algorithm::ES384),
            "ed25519" => (DecodingKey::from_ed_pem(pem.as_bytes()), Algorithm::EdDSA),
            other => panic!("no fixture key {other}"),
        };
        let jwk = Jwk::from_decoding_key(&key.unwrap(), Some(algorithm)).unwrap();
        let mut value = serde_json::to_value(jwk).unwrap();
        let obj = value.as_object_mut().unwrap();
        obj.remove("alg");
        obj.insert("kid".into(), json!(kid));
        if let Some(alg) = alg {
            obj.insert("alg".into(), json!(alg));
        }
        value
    }

    /// Signs `claims` with the private fixture key `name`, naming `kid` in the header.
    pub fn sign(
        name: &str,
        alg: jsonwebtoken::Algorithm,
        kid: Option<&str>,
        claims: &Value,
    ) -> String {
        use jsonwebtoken::{EncodingKey, Header};
        install_provider();
        let pem = fixture(&format!("{name}_private.pem"));
        let key = match name {
            "rsa" | "attacker_rsa" => EncodingKey::from_rsa_pem(pem.as_bytes()),
            "ec256" | "ec384" => EncodingKey::from_ec_pem(pem.as_bytes()),
            "ed25519" => EncodingKey::from_ed_pem(pem.as_bytes()),
            other => panic!("no fixture key {other}"),
        }
        .unwrap();
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }
}
