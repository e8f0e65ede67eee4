//! The fuzz targets' bodies, shared by cargo-fuzz (`fuzz/fuzz_targets/*.rs`) and by the
//! bounded runs of `tests/fuzz_targets.rs`, so the two cannot drift.
//!
//! Every target drives the public API only: `JwtManager::decode_token`, the builder, and
//! the guards through `JwtLayer` over an `http::Request` made from the input. Each one
//! checks an oracle besides "no panic":
//!
//! - `decode_token`: an accepted token verifies independently (jsonwebtoken's own
//!   `crypto::verify`), is canonical base64url, and decodes to the claims returned; the
//!   guard agrees with `decode_token`.
//! - `signed_claims`: header and claims chosen by the fuzzer, signed with our key: an
//!   accepted token has numeric, valid time claims, a string `sub`, a string or absent
//!   `type`/`jti`/`csrf`, and the `type`/`fresh` the claims say.
//! - `header_extraction`, `cookie_extraction`, `query_extraction`: arbitrary bytes give
//!   "missing", a 422 or a token error, never anything else; an accepted request carried
//!   our token where the location says.
//! - `csrf_check`: the decision equals a byte-equality oracle; empty never matches.
//! - `config`: building gives a manager or a `ConfigError`; a manager that builds mints
//!   tokens it verifies.
#![allow(dead_code, unreachable_pub, clippy::missing_panics_doc)]

use std::convert::Infallible;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderValue, Method, Request, Uri};
use jwt_extended::{
    Algorithm, ConfigError, CookieOptions, DecodedToken, ErrorKind, Freshness, JwtError, JwtLayer,
    JwtManager, JwtRequired, Key, NoClaims, TokenLocation, TokenType, clock::MockClock,
};
use serde_json::{Map, Value, json};
use tower::{Layer, Service};

/// The fuzz HMAC secret.
pub const SECRET: &str = "fuzz-secret-0123456789-abcdefghijklmnop";
/// The fixed time of every target: 2027-01-15T08:00:00Z.
pub const NOW: u64 = 1_800_000_000;

/// Stands for our valid token in extraction inputs.
pub const TOKEN_MARK: &[u8] = b"TOK";
/// Stands for our token's CSRF value in cookie inputs.
pub const CSRF_MARK: &[u8] = b"CSRF";

const RSA_PRIVATE: &str = include_str!("../tests/fixtures/keys/rsa_private.pem");
const RSA_PUBLIC: &str = include_str!("../tests/fixtures/keys/rsa_public.pem");

/// Managers and tokens built once per process.
pub struct Fixtures {
    /// HS256, headers (the defaults).
    pub hs: JwtManager,
    /// HS256 with leeway 60 and 300: the time-claim oracles run against all three.
    pub hs_leeway: [(u64, JwtManager); 2],
    /// RS256 with our key pair, and a verification key by `kid`.
    pub rs: JwtManager,
    /// HS256, cookies only (double-submit CSRF on).
    pub cookies: JwtManager,
    /// HS256, query string only.
    pub query: JwtManager,
    /// A valid access token of `hs` (also valid for `cookies` and `query`).
    pub token: String,
    /// Its `csrf` claim.
    pub csrf: String,
    /// A valid RS256 token of `rs`.
    pub rs_token: String,
}

pub fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| {
        let clock = MockClock::at_unix(NOW);
        let hs = |b: jwt_extended::JwtManagerBuilder| {
            b.secret(SECRET)
                .clock(clock.clone())
                .build()
                .expect("fixture")
        };
        let m = hs(JwtManager::builder());
        let token = m.create_access_token("alice").expect("token");
        let csrf = m.decode_token(&token).unwrap().csrf().unwrap().to_owned();
        let rs = JwtManager::builder()
            .key(Key::from_pem(Algorithm::RS256, RSA_PRIVATE, RSA_PUBLIC).unwrap())
            .verification_key(Key::hmac(Algorithm::HS256, SECRET).unwrap().with_kid("hs"))
            .clock(clock.clone())
            .build()
            .expect("fixture");
        let rs_token = rs.create_access_token("alice").unwrap();
        Fixtures {
            hs_leeway: [
                (60, hs(JwtManager::builder().leeway(60))),
                (300, hs(JwtManager::builder().leeway(300))),
            ],
            cookies: hs(JwtManager::builder().token_locations([TokenLocation::Cookies])),
            query: hs(JwtManager::builder().token_locations([TokenLocation::QueryString])),
            hs: m,
            token,
            csrf,
            rs,
            rs_token,
        }
    })
}

// ---- driving the guards ----------------------------------------------------------------

/// Polls a future that never waits on I/O (no store, no callbacks) to completion.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// The inner service: runs `JwtRequired` on the request it gets.
#[derive(Clone, Copy)]
struct Probe;

type Outcome = Result<(DecodedToken, TokenLocation), JwtError>;

impl Service<Request<()>> for Probe {
    type Response = Outcome;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Outcome, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request<()>) -> Self::Future {
        Box::pin(async move {
            Ok(
                match JwtRequired::<NoClaims>::from_request(&mut req).await {
                    Ok(jwt) => Ok((jwt.token().clone(), jwt.location())),
                    Err(rejection) => Err(rejection.into_error()),
                },
            )
        })
    }
}

/// Sends `req` through `JwtLayer` to a `JwtRequired` guard.
pub fn guard(manager: &JwtManager, req: Request<()>) -> Outcome {
    let mut svc = JwtLayer::new(manager.clone()).layer(Probe);
    match block_on(svc.call(req)) {
        Ok(outcome) => outcome,
        Err(never) => match never {},
    }
}

/// Checks what every rejection of client input keeps: a client status (never 5xx), a
/// kind that client input can cause, and a message that echoes none of `input`.
fn check_rejection(e: &JwtError, input: &[u8]) {
    let status = e.status().as_u16();
    assert!(
        matches!(status, 401 | 422),
        "status {status} for {:?}: {}",
        e.kind(),
        e.message()
    );
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Missing
                | ErrorKind::Csrf
                | ErrorKind::InvalidToken
                | ErrorKind::WrongTokenType
                | ErrorKind::Expired
        ),
        "{:?}",
        e.kind()
    );
    let text = String::from_utf8_lossy(input);
    for piece in text.split(['.', ' ', ',', ';', '=', '&', '\0']) {
        // Token material (digits and all); the fixed messages have no digits.
        if piece.len() >= 12 && piece.bytes().any(|b| b.is_ascii_digit()) {
            assert!(
                !e.message().contains(piece),
                "the message {:?} echoes the input",
                e.message()
            );
        }
    }
}

/// Replaces every occurrence of `mark` in `data` by `with`.
pub fn substitute(data: &[u8], mark: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i..].starts_with(mark) {
            out.extend_from_slice(with);
            i += mark.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// A method from one byte.
fn method(b: u8) -> Method {
    match b % 9 {
        0 => Method::GET,
        1 => Method::POST,
        2 => Method::PUT,
        3 => Method::PATCH,
        4 => Method::DELETE,
        5 => Method::HEAD,
        6 => Method::from_bytes(b"PURGE").unwrap(),
        7 => Method::from_bytes(b"post").unwrap(),
        _ => Method::TRACE,
    }
}

fn csrf_protected(m: &Method) -> bool {
    [Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(m)
}

// ---- 1. token verification -------------------------------------------------------------

/// Arbitrary bytes as a token, against HS256 and RS256 managers (and the guard).
pub fn decode_token(data: &[u8]) {
    let f = fixtures();
    let text = String::from_utf8_lossy(data);
    for manager in [&f.hs, &f.rs] {
        let decoded = manager.decode_token(&text);
        match &decoded {
            Ok(d) => check_accepted(&text, d),
            Err(e) => check_rejection(e, data),
        }
        // The guard (through the verified-token cache) agrees with decode_token, for
        // every token the header grammar hands over whole.
        let whole = !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic() && b != b',');
        if whole {
            let req = Request::get("/")
                .header("authorization", format!("Bearer {text}"))
                .body(())
                .unwrap();
            // Twice: the second answer may come from the cache.
            for _ in 0..2 {
                let outcome = guard(manager, req_clone(&req));
                match (&decoded, &outcome) {
                    (Ok(d), Ok((g, _))) => assert_eq!(d.claims(), g.claims()),
                    (Ok(d), Err(e)) => {
                        assert_eq!(*d.token_type(), TokenType::Refresh, "{}", e.message());
                        assert_eq!(e.kind(), ErrorKind::WrongTokenType);
                    }
                    (Err(d), Err(g)) => assert_eq!(d.message(), g.message()),
                    (Err(d), Ok(_)) => panic!(
                        "the guard accepted what decode_token refused: {}",
                        d.message()
                    ),
                }
            }
        }
    }
}

fn req_clone(req: &Request<()>) -> Request<()> {
    let mut b = Request::builder()
        .method(req.method().clone())
        .uri(req.uri().clone());
    for (k, v) in req.headers() {
        b = b.header(k, v);
    }
    b.body(()).unwrap()
}

/// What an accepted token must be: signed by our key (checked independently), in
/// canonical base64url, with the claims its payload says.
fn check_accepted(token: &str, d: &DecodedToken) {
    // Our keys: the HMAC secret (also the RS manager's `kid: "hs"` key) and the RSA key.
    let key = match d.algorithm() {
        Algorithm::HS256 => jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()),
        Algorithm::RS256 => jsonwebtoken::DecodingKey::from_rsa_pem(RSA_PUBLIC.as_bytes()).unwrap(),
        other => panic!("accepted with {other:?}, which no key of ours uses"),
    };
    let (input, sig) = token.rsplit_once('.').expect("three segments");
    let (header, payload) = input.split_once('.').expect("three segments");
    for seg in [header, payload, sig] {
        let bytes = URL_SAFE_NO_PAD.decode(seg).expect("canonical base64url");
        assert_eq!(URL_SAFE_NO_PAD.encode(bytes), seg);
    }
    let verified = jsonwebtoken::crypto::verify(sig, input.as_bytes(), &key, d.algorithm());
    assert!(
        matches!(verified, Ok(true)),
        "accepted without a valid signature"
    );
    let claims: Map<String, Value> =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(&claims, d.claims());
    let header: Map<String, Value> =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert_eq!(&header, d.header());
    assert!(!header.contains_key("crit"));
}

// ---- 2. signed claims --------------------------------------------------------------------

/// Splits a `signed_claims` input: header JSON, 0xFF, claims JSON (no 0xFF: the default
/// header, and the whole input as claims).
pub fn split_header_claims(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == 0xFF) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (br#"{"alg":"HS256","typ":"JWT"}"#, data),
    }
}

/// Signs arbitrary header and claims bytes with the fuzz key (HS256).
pub fn sign(header: &[u8], claims: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::HS256).unwrap();
    format!("{input}.{sig}")
}

/// The fuzzer chooses the header and the claims; the harness signs them with our key, as a
/// key-sharing issuer would, then verifies under leeway 0, 60 and 300.
pub fn signed_claims(data: &[u8]) {
    let f = fixtures();
    let (header, claims) = split_header_claims(data);
    let token = sign(header, claims);
    let managers = [
        (0, &f.hs),
        (60, &f.hs_leeway[0].1),
        (300, &f.hs_leeway[1].1),
    ];
    for (leeway, m) in managers {
        match m.decode_token(&token) {
            Ok(d) => check_claims_oracle(header, claims, &d, leeway),
            Err(e) => {
                check_rejection(&e, data);
                if e.kind() == ErrorKind::Expired {
                    let c: Map<String, Value> = serde_json::from_slice(claims).unwrap();
                    let exp = c["exp"]
                        .as_f64()
                        .expect("an expired token has a numeric exp");
                    assert!(exp + leeway as f64 <= NOW as f64 + 1.0, "{exp} expired?");
                }
            }
        }
    }
    // Through the guard, an accepted token is never a refresh token.
    let req = Request::get("/")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap();
    match guard(&f.hs, req) {
        Ok((d, _)) => assert_ne!(*d.token_type(), TokenType::Refresh),
        Err(e) => check_rejection(&e, data),
    }
}

/// A time claim as an (approximate) number of seconds, or `None` when it is not a number.
fn seconds(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn check_claims_oracle(header: &[u8], claims: &[u8], d: &DecodedToken, leeway: u64) {
    let header: Map<String, Value> = serde_json::from_slice(header).expect("header is JSON");
    assert_eq!(header.get("alg"), Some(&json!("HS256")));
    assert!(!header.contains_key("crit"));
    for name in ["kid", "typ", "cty"] {
        assert!(header.get(name).is_none_or(Value::is_string), "{name}");
    }
    let c: Map<String, Value> = serde_json::from_slice(claims).expect("claims are a JSON object");
    assert_eq!(&c, d.claims());
    let now = NOW as f64;
    let slack = leeway as f64 + 1.0;
    let exp = seconds(c.get("exp").expect("exp is required")).expect("exp is numeric");
    assert!(
        exp >= 0.0 && exp + slack > now,
        "exp {exp} accepted at {NOW} with leeway {leeway}"
    );
    for name in ["iat", "nbf"] {
        if let Some(v) = c.get(name) {
            let t = seconds(v).unwrap_or_else(|| panic!("{name} {v} accepted"));
            assert!(t >= 0.0 && t <= now + slack, "{name} {t} accepted");
        }
    }
    assert!(
        c.get("sub").is_some_and(Value::is_string),
        "sub {:?}",
        c.get("sub")
    );
    for name in ["jti", "csrf"] {
        assert!(c.get(name).is_none_or(Value::is_string), "{name}");
    }
    match c.get("type") {
        None => assert_eq!(*d.token_type(), TokenType::Access),
        Some(Value::String(t)) => assert_eq!(d.token_type().as_str(), t),
        Some(other) => panic!("type {other} accepted"),
    }
    match (c.get("fresh"), d.fresh()) {
        (None, Freshness::Bool(false)) => {}
        (Some(Value::Bool(b)), Freshness::Bool(f)) => assert_eq!(*b, f),
        (Some(Value::Number(n)), Freshness::Until(u)) => assert_eq!(n.as_f64(), Some(u)),
        (Some(v), Freshness::Invalid) if !v.is_boolean() && !v.is_number() => {}
        (v, f) => panic!("fresh {v:?} read as {f:?}"),
    }
    assert_eq!(d.expires_at().map(|e| e as f64 <= exp), Some(true));
}

// ---- 3, 4, 5. extraction -----------------------------------------------------------------

/// Up to four `Authorization` values (split on NUL), `TOK` standing for our token.
pub fn header_extraction(data: &[u8]) {
    let f = fixtures();
    let data = substitute(data, TOKEN_MARK, f.token.as_bytes());
    let mut b = Request::get("/");
    let mut values = Vec::new();
    for part in data.split(|b| *b == 0).take(4) {
        if let Ok(v) = HeaderValue::from_bytes(part) {
            b = b.header("authorization", v);
            values.push(part);
        }
    }
    match guard(&f.hs, b.body(()).unwrap()) {
        Ok((d, location)) => {
            assert_eq!(location, TokenLocation::Headers);
            assert!(values.iter().any(|v| contains(v, f.token.as_bytes())));
            assert_eq!(d.subject(), Some("alice"));
        }
        Err(e) => {
            check_rejection(&e, &data);
            if values.len() == 1 && values[0] == format!("Bearer {}", f.token).as_bytes() {
                panic!(
                    "our token in a well-formed header was refused: {}",
                    e.message()
                );
            }
        }
    }
}

/// A method byte, then `Cookie` values and a last `X-CSRF-TOKEN` value (split on NUL);
/// `TOK` and `CSRF` stand for our token and its CSRF value.
pub fn cookie_extraction(data: &[u8]) {
    let f = fixtures();
    let Some((&m, rest)) = data.split_first() else {
        return;
    };
    let method = method(m);
    let rest = substitute(
        &substitute(rest, TOKEN_MARK, f.token.as_bytes()),
        CSRF_MARK,
        f.csrf.as_bytes(),
    );
    let parts: Vec<&[u8]> = rest.split(|b| *b == 0).take(5).collect();
    let (csrf, cookies) = match parts.split_last() {
        Some((last, cookies)) if !cookies.is_empty() => (Some(*last), cookies),
        _ => (None, &parts[..]),
    };
    let mut b = Request::builder().method(method.clone()).uri("/");
    let mut sent_cookies = Vec::new();
    for c in cookies {
        if let Ok(v) = HeaderValue::from_bytes(c) {
            b = b.header("cookie", v);
            sent_cookies.push(*c);
        }
    }
    let csrf_header = csrf.and_then(|c| HeaderValue::from_bytes(c).ok());
    if let Some(v) = &csrf_header {
        b = b.header("x-csrf-token", v.clone());
    }
    match guard(&f.cookies, b.body(()).unwrap()) {
        Ok((d, location)) => {
            assert_eq!(location, TokenLocation::Cookies);
            assert!(sent_cookies.iter().any(|c| contains(c, f.token.as_bytes())));
            if csrf_protected(&method) {
                let sent = csrf_header.expect("a protected method passed without a CSRF header");
                assert_eq!(Some(sent.as_bytes()), d.csrf().map(str::as_bytes));
            }
        }
        Err(e) => check_rejection(&e, &rest),
    }
}

/// Arbitrary query bytes (`TOK` standing for our token).
pub fn query_extraction(data: &[u8]) {
    let f = fixtures();
    let data = substitute(data, TOKEN_MARK, f.token.as_bytes());
    let mut pq = b"/p?".to_vec();
    pq.extend_from_slice(&data);
    let Ok(uri) = Uri::builder().path_and_query(pq).build() else {
        return;
    };
    let first = uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "jwt")
            .map(|(_, v)| v.into_owned())
    });
    let req = Request::get(uri).body(()).unwrap();
    match guard(&f.query, req) {
        Ok((d, location)) => {
            assert_eq!(location, TokenLocation::QueryString);
            assert_eq!(first.as_deref(), Some(f.token.as_str()));
            assert_eq!(d.subject(), Some("alice"));
        }
        Err(e) => {
            check_rejection(&e, &data);
            match first.as_deref() {
                None | Some("") => assert_eq!(e.kind(), ErrorKind::Missing),
                Some(t) if t == f.token => panic!("our token was refused: {}", e.message()),
                Some(_) => assert_ne!(e.kind(), ErrorKind::Missing),
            }
        }
    }
}

// ---- 6. CSRF -------------------------------------------------------------------------------

/// A method byte, then the `X-CSRF-TOKEN` bytes, NUL, the token's `csrf` claim.
pub fn csrf_check(data: &[u8]) {
    let f = fixtures();
    let Some((&m, rest)) = data.split_first() else {
        return;
    };
    let method = method(m);
    let (sent, claim) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b""[..]),
    };
    // Keep the token under the 8 KiB cap (a NUL is six bytes of JSON, eight of base64).
    let claim = &claim[..claim.len().min(512)];
    let claim = String::from_utf8_lossy(claim);
    let mut claims = json!({
        "sub": "alice", "type": "access", "jti": "j", "iat": NOW, "nbf": NOW,
        "exp": NOW + 900, "fresh": false,
    });
    claims["csrf"] = json!(claim);
    let token = sign(
        br#"{"alg":"HS256","typ":"JWT"}"#,
        claims.to_string().as_bytes(),
    );
    let mut b = Request::builder()
        .method(method.clone())
        .uri("/")
        .header("cookie", format!("access_token_cookie={token}"));
    let header = HeaderValue::from_bytes(sent).ok();
    if let Some(v) = &header {
        b = b.header("x-csrf-token", v.clone());
    }
    let outcome = guard(&f.cookies, b.body(()).unwrap());
    if !csrf_protected(&method) {
        assert!(outcome.is_ok(), "{:?}", outcome.err());
        return;
    }
    let readable = header.as_ref().and_then(|v| v.to_str().ok());
    match (readable.filter(|s| !s.is_empty()), outcome) {
        (None, Err(e)) => assert_eq!(e.message(), "Missing CSRF token"),
        (None, Ok(_)) => panic!("a missing or empty CSRF value passed"),
        (Some(s), Ok(_)) => assert_eq!(s.as_bytes(), claim.as_bytes()),
        (Some(s), Err(e)) => {
            assert_ne!(s.as_bytes(), claim.as_bytes(), "equal values refused");
            assert_eq!(e.message(), "CSRF double submit tokens do not match");
        }
    }
}

// ---- 7. configuration --------------------------------------------------------------------

/// Reads fuzzer bytes as configuration values.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |acc, _| (acc << 8) | u64::from(self.byte()))
    }
    /// A number near the edges as often as a random one.
    fn edgy_i64(&mut self) -> i64 {
        match self.byte() % 8 {
            0 => 0,
            1 => -1,
            2 => i64::MAX,
            3 => i64::MIN,
            4 => i64::from(self.byte()),
            5 => (self.u64() % 100_000_000) as i64,
            6 => -(i64::from(self.byte())),
            _ => self.u64() as i64,
        }
    }
    fn edgy_u64(&mut self) -> u64 {
        match self.byte() % 6 {
            0 => 0,
            1 => u64::MAX,
            2 => u64::from(self.byte()) * 2,
            3 => 300 + u64::from(self.byte() % 3),
            _ => self.u64(),
        }
    }
    /// A short string: from a list of interesting names, or raw bytes.
    fn text(&mut self, names: &[&str]) -> String {
        let n = self.byte();
        if usize::from(n) < names.len() * 2 {
            return names[usize::from(n) % names.len()].to_owned();
        }
        let len = usize::from(self.byte() % 24);
        let bytes: Vec<u8> = (0..len).map(|_| self.byte()).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

const CLAIM_NAMES: &[&str] = &[
    "sub", "identity", "user", "exp", "iat", "nbf", "jti", "type", "fresh", "csrf", "aud", "iss",
    "pair", "family", "", " ", "sub ",
];
const HEADER_NAMES: &[&str] = &[
    "Authorization",
    "X-Token",
    "Cookie",
    "",
    "bad header",
    "x-csrf-token",
    "Content-Type",
];
const COOKIE_NAMES: &[&str] = &[
    "access_token_cookie",
    "__Host-access",
    "__Secure-access",
    "",
    "a b",
    "a;b",
    "csrf_access_token",
];

/// Builder options from the fuzzer (and `JWT_*` variables through `from_lookup`). The
/// first eight bytes say which options to set; the others keep their defaults, so most
/// inputs build and the round trip is exercised.
pub fn config(data: &[u8]) {
    let mut r = Reader(data);
    let flags = r.u64();
    let set = |bit: u32| flags & (1 << bit) != 0;
    let alg = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512][usize::from(r.byte() % 3)];
    let secret: Vec<u8> = if set(0) {
        let len = usize::from(r.byte() % 100);
        match r.byte() % 4 {
            0 => b"-----BEGIN PUBLIC KEY-----"
                .iter()
                .copied()
                .cycle()
                .take(len)
                .collect(),
            1 => (0..len).map(|_| r.byte()).collect(),
            _ => vec![b'k'; len],
        }
    } else {
        vec![b'k'; 64]
    };
    let clock = MockClock::at_unix(NOW);
    let mut b = JwtManager::builder()
        .algorithm(alg)
        .secret(&secret)
        .clock(clock);
    if set(1) {
        b = match r.byte() % 3 {
            0 => b.access_never_expires(),
            _ => b.access_expires(time::Duration::seconds(r.edgy_i64())),
        };
    }
    if set(2) {
        b = match r.byte() % 3 {
            0 => b.refresh_never_expires(),
            _ => b.refresh_expires(time::Duration::seconds(r.edgy_i64())),
        };
    }
    let leeway = if set(3) { r.edgy_u64() } else { 0 };
    b = b.leeway(leeway);
    if set(4) {
        b = b.identity_claim(r.text(CLAIM_NAMES));
    }
    // A cap below the size of our own tokens is accepted by the builder (between 64 bytes
    // and 1 MiB): such a manager refuses what it mints, which the round trip tolerates.
    let small_cap = set(5);
    if small_cap {
        b = b.max_token_len(r.edgy_u64() as usize);
    }
    if set(6) {
        b = b.header_name(r.text(HEADER_NAMES));
    }
    if set(7) {
        b = b.header_type(r.text(&["Bearer", "", "JWT", "a b", "a,b"]));
    }
    if set(8) {
        b = b.query_string_name(r.text(&["jwt", "", "token"]));
    }
    if set(9) {
        let locations: Vec<TokenLocation> = (0..r.byte() % 5)
            .map(|_| match r.byte() % 4 {
                0 => TokenLocation::Headers,
                1 => TokenLocation::Cookies,
                2 => TokenLocation::QueryString,
                _ => TokenLocation::Json,
            })
            .collect();
        b = b.token_locations(locations);
    }
    if set(10) {
        let mut cookies = CookieOptions::default();
        if set(11) {
            cookies.access_cookie_name = r.text(COOKIE_NAMES);
        }
        if set(12) {
            cookies.access_cookie_path = r.text(&["/", "", "/api", "a", "/;x"]);
        }
        cookies.secure = set(13);
        if set(14) {
            cookies.domain = Some(r.text(&["example.com", ".example.com", "", "a b", "."]));
        }
        if set(15) {
            cookies.csrf_methods = (0..r.byte() % 4)
                .map(|_| r.text(&["POST", "post", "", "PURGE", "GET", "A B"]))
                .collect();
        }
        if set(16) {
            cookies.access_csrf_header_name = r.text(&["X-CSRF-TOKEN", "", "bad header"]);
        }
        b = b.cookies(cookies);
    }
    b = b.csrf_protect(!set(17));
    if set(18) {
        b = b.token_cache_capacity(usize::from(r.byte()) * 100);
    }
    // The same audience and issuer written and expected (different ones are legitimate,
    // for tokens meant for another service, but then a round trip is not expected).
    if set(19) {
        let aud = r.text(&["api", ""]);
        b = b.decode_audience([aud.clone()]).encode_audience(aud);
    }
    if set(20) {
        let iss = r.text(&["me", ""]);
        b = b.decode_issuer(iss.clone()).encode_issuer(iss);
    }
    b = b.encode_nbf(!set(21)).verify_sub(!set(22));
    // `JWT_*` variables over the options, from the rest of the input.
    const VARS: &[&str] = &[
        "JWT_SECRET_KEY",
        "JWT_ALGORITHM",
        "JWT_ACCESS_TOKEN_EXPIRES",
        "JWT_REFRESH_TOKEN_EXPIRES",
        "JWT_IDENTITY_CLAIM",
        "JWT_DECODE_LEEWAY",
        "JWT_TOKEN_LOCATION",
        "JWT_HEADER_NAME",
        "JWT_HEADER_TYPE",
        "JWT_COOKIE_SAMESITE",
        "JWT_COOKIE_SECURE",
        "JWT_CSRF_METHODS",
        "JWT_DECODE_AUDIENCE",
        "JWT_ACCESS_COOKIE_NAME",
        "JWT_QUERY_STRING_NAME",
        "JWT_DECODE_ALGORITHMS",
        "JWT_ENCODE_NBF",
    ];
    const VALUES: &[&str] = &[
        "0",
        "-1",
        "false",
        "300",
        "301",
        "18446744073709551616",
        "HS512",
        "RS256",
        "headers,cookies",
        "None",
        "exp",
        "1e3",
        "type",
    ];
    let env: Vec<(&str, String)> = if set(23) {
        (0..r.byte() % 4)
            .map(|_| (VARS[usize::from(r.byte()) % VARS.len()], r.text(VALUES)))
            .collect()
    } else {
        Vec::new()
    };
    let b = match b.from_lookup(|name| {
        env.iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }) {
        Ok(b) => b,
        Err(ConfigError::Env { .. }) => return,
        Err(e) => panic!("from_lookup returned {e:?}"),
    };
    let uses_env = |name: &str| env.iter().any(|(k, _)| *k == name);
    if let Ok(m) = b.build() {
        if !uses_env("JWT_DECODE_LEEWAY") {
            assert!(leeway <= 300 && m.leeway() == leeway);
        }
        assert!(m.leeway() <= 300);
        if !uses_env("JWT_SECRET_KEY") && !uses_env("JWT_ALGORITHM") {
            let min = match alg {
                Algorithm::HS256 => 32,
                Algorithm::HS384 => 48,
                _ => 64,
            };
            assert!(secret.len() >= min);
        }
        if !uses_env("JWT_DECODE_AUDIENCE") {
            round_trip(&m, small_cap);
        }
    }
}

/// A manager that builds mints tokens it verifies (or refuses to mint them).
fn round_trip(m: &JwtManager, small_cap: bool) {
    for token in [
        m.create_access_token("alice"),
        m.create_refresh_token("alice"),
    ] {
        match token {
            Ok(t) => match m.decode_token(&t) {
                Ok(d) => assert_eq!(d.subject(), Some("alice")),
                Err(e) if small_cap && e.message() == "Token is too large" => {}
                Err(e) => panic!("a token we minted was refused: {}", e.message()),
            },
            Err(e) => assert_eq!(e.kind(), ErrorKind::TokenCreation, "{}", e.message()),
        }
    }
}

// ---- seeds -------------------------------------------------------------------------------

/// A target's body.
pub type Target = fn(&[u8]);

/// The targets, by name.
pub const TARGETS: &[(&str, Target)] = &[
    ("decode_token", decode_token),
    ("signed_claims", signed_claims),
    ("header_extraction", header_extraction),
    ("cookie_extraction", cookie_extraction),
    ("query_extraction", query_extraction),
    ("csrf_check", csrf_check),
    ("config", config),
];

/// A small seed corpus per target: the shapes each parser is meant to see.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let f = fixtures();
    let claims = json!({
        "fresh": false, "iat": NOW, "jti": "j", "type": "access", "sub": "alice",
        "nbf": NOW, "exp": NOW + 900, "csrf": "c",
    })
    .to_string();
    let texts: Vec<String> = match target {
        "decode_token" => {
            let (input, sig) = f.token.rsplit_once('.').unwrap();
            vec![
                f.token.clone(),
                f.rs_token.clone(),
                f.hs.create_refresh_token("alice").unwrap(),
                format!("{input}."),
                format!("{input}.{}", &sig[..16]),
                sign(br#"{"alg":"HS256","kid":"hs"}"#, claims.as_bytes()),
                sign(br#"{"alg":"none"}"#, claims.as_bytes()),
                sign(br#"{"alg":"HS256","crit":["exp"]}"#, claims.as_bytes()),
                "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UifQ.".into(),
                "a.b.c".into(),
                "..".into(),
            ]
        }
        "signed_claims" => vec![
            claims.clone(),
            format!("{{\"alg\":\"HS256\",\"kid\":\"x\"}}\u{ff}{claims}"),
            r#"{"sub":"a","exp":1800000900.5,"iat":1.8e9,"nbf":0,"fresh":1800000100.25}"#.into(),
            r#"{"sub":"a","exp":18446744073709551615,"type":"refresh","jti":"x"}"#.into(),
            r#"{"sub":"a","exp":"1800000900"}"#.into(),
            r#"{"sub":5,"exp":1800000900}"#.into(),
            r#"{"sub":"a","exp":1800000900,"exp":1}"#.into(),
            r#"{"sub":"a","exp":1799999990,"type":"app","fresh":"true"}"#.into(),
        ],
        "header_extraction" => vec![
            "Bearer TOK".into(),
            "bearer TOK, Basic x".into(),
            "Basic x\0Bearer TOK".into(),
            "Bearer TOK\0Bearer TOK".into(),
            "Bearer TOK extra".into(),
            "Bearer".into(),
            ",,, Bearer TOK,".into(),
        ],
        "cookie_extraction" => vec![
            "\0access_token_cookie=TOK".into(),
            "\u{1}access_token_cookie=TOK\0CSRF".into(),
            "\u{1}a=1; access_token_cookie=\"TOK\"; b=2\0CSRF".into(),
            "\u{2}access_token_cookie=TOK; access_token_cookie=x\0\0CSRF".into(),
            "\u{4}csrf_access_token=evil; access_token_cookie=TOK\0evil".into(),
            "\u{5}access_token_cookie=".into(),
        ],
        "query_extraction" => vec![
            "jwt=TOK".into(),
            "a=1&jwt=TOK&jwt=x".into(),
            "jwt=%FF&jwt=TOK".into(),
            "jwt=TOK%00".into(),
            "jwt=+TOK".into(),
            "jwt".into(),
        ],
        "csrf_check" => vec![
            "\u{1}abc\0abc".into(),
            "\u{1}abc\0abd".into(),
            "\u{1}\0".into(),
            "\u{2}\0abc".into(),
            "\u{0}x\0y".into(),
            "\u{3}caf\u{e9}\0caf\u{e9}".into(),
        ],
        "config" => {
            return vec![
                vec![0; 64],
                vec![0xFF; 64],
                (0u8..=255).collect(),
                [&[0u8, 40, 2, 4, 0, 2, 4, 0, 0][..], &[7; 40]].concat(),
            ];
        }
        _ => Vec::new(),
    };
    texts.into_iter().map(String::into_bytes).collect()
}
