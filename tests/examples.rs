//! The examples, run as the programs they are: each is started on a free loopback port and
//! driven over HTTP (or gRPC). `cargo test` builds the examples before running this.

use std::time::Duration;

use serde_json::{Value, json};

#[path = "common/example_process.rs"]
mod example_process;
#[path = "common/fake_issuer.rs"]
mod fake_issuer;
#[path = "common/redis_server.rs"]
mod redis_server;

use example_process::start;

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn axum_app_contract() {
    let app = start(
        "axum_app",
        &[(
            "JWT_SECRET_KEY",
            "example-test-secret-0123456789-abcdefghij",
        )],
    );
    let base = format!("http://{}", app.addr);
    let c = reqwest::Client::new();
    let url = |p: &str| format!("{base}{p}");

    assert_eq!(send(c.get(url("/open"))).await, (200, json!({"ok": true})));

    // Register.
    let (s, b) = send(
        c.post(url("/api/register"))
            .json(&json!({"username": "bob", "password": "pw-bob", "email": "bob@example.com"})),
    )
    .await;
    assert_eq!((s, b), (201, json!({"id": "2", "username": "bob"})));
    assert_eq!(
        send(
            c.post(url("/api/register"))
                .json(&json!({"username": "bob", "password": "x"}))
        )
        .await,
        (409, json!({"msg": "Username already exists"}))
    );
    assert_eq!(
        send(
            c.post(url("/api/register"))
                .json(&json!({"username": "carol"}))
        )
        .await,
        (400, json!({"msg": "Username and password required"}))
    );
    assert_eq!(
        send(c.post(url("/api/register")).body("not json")).await,
        (400, json!({"msg": "Username and password required"}))
    );

    // Login.
    let bad = (401, json!({"msg": "Bad username or password"}));
    assert_eq!(
        send(
            c.post(url("/api/login"))
                .json(&json!({"username": "admin", "password": "nope"}))
        )
        .await,
        bad
    );
    assert_eq!(
        send(
            c.post(url("/api/login"))
                .json(&json!({"username": "ghost", "password": "x"}))
        )
        .await,
        bad
    );
    assert_eq!(send(c.post(url("/api/login")).body("{")).await, bad);
    let (s, tokens) = send(
        c.post(url("/api/login"))
            .json(&json!({"username": "admin", "password": "password123"})),
    )
    .await;
    assert_eq!(s, 200);
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    // Protected, me, optional.
    assert_eq!(
        send(c.get(url("/api/protected"))).await,
        (401, json!({"msg": "Missing Authorization Header"}))
    );
    assert_eq!(
        send(c.get(url("/api/protected")).bearer_auth(&access)).await,
        (200, json!({"logged_in_as": "1"}))
    );
    assert_eq!(
        send(c.get(url("/api/me")).bearer_auth(&access)).await,
        (
            200,
            json!({"id": "1", "username": "admin", "email": "admin@example.com"})
        )
    );
    assert_eq!(
        send(c.get(url("/api/optional"))).await,
        (200, json!({"logged_in_as": null}))
    );
    assert_eq!(
        send(c.get(url("/api/optional")).bearer_auth(&access)).await,
        (200, json!({"logged_in_as": "1"}))
    );

    // Fresh and admin routes with the fresh admin token.
    assert_eq!(
        send(c.post(url("/api/fresh")).bearer_auth(&access)).await,
        (200, json!({"msg": "fresh ok"}))
    );
    assert_eq!(
        send(c.delete(url("/api/admin")).bearer_auth(&access)).await,
        (200, json!({"msg": "admin ok"}))
    );

    // Refresh: a non-fresh access token with the same claim.
    assert_eq!(
        send(c.post(url("/api/refresh")).bearer_auth(&access)).await,
        (422, json!({"msg": "Only refresh tokens are allowed"}))
    );
    let (s, b) = send(c.post(url("/api/refresh")).bearer_auth(&refresh)).await;
    assert_eq!(s, 200);
    let refreshed = b["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        send(c.post(url("/api/fresh")).bearer_auth(&refreshed)).await,
        (401, json!({"msg": "Fresh token required"}))
    );
    assert_eq!(
        send(c.delete(url("/api/admin")).bearer_auth(&refreshed)).await,
        (200, json!({"msg": "admin ok"}))
    );
    assert_eq!(
        send(c.get(url("/api/protected")).bearer_auth(&refresh)).await,
        (422, json!({"msg": "Only non-refresh tokens are allowed"}))
    );

    // A non-admin user.
    let (_, bob) = send(
        c.post(url("/api/login"))
            .json(&json!({"username": "bob", "password": "pw-bob"})),
    )
    .await;
    let bob_access = bob["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        send(c.delete(url("/api/admin")).bearer_auth(&bob_access)).await,
        (403, json!({"msg": "Admins only!"}))
    );
    assert_eq!(
        send(c.delete(url("/api/users/1")).bearer_auth(&bob_access)).await,
        (403, json!({"msg": "Admins only!"}))
    );
    assert_eq!(
        send(c.delete(url("/api/users/2")).bearer_auth(&bob_access)).await,
        (200, json!({"msg": "deleted"}))
    );
    // The deleted user's token no longer loads a user.
    assert_eq!(
        send(c.get(url("/api/me")).bearer_auth(&bob_access)).await,
        (401, json!({"msg": "Error loading the user 2"}))
    );

    // Logout revokes the presented token, access or refresh.
    assert_eq!(
        send(c.post(url("/api/logout")).bearer_auth(&access)).await,
        (200, json!({"msg": "Token revoked"}))
    );
    assert_eq!(
        send(c.get(url("/api/protected")).bearer_auth(&access)).await,
        (401, json!({"msg": "Token has been revoked"}))
    );
    assert_eq!(
        send(c.post(url("/api/logout")).bearer_auth(&refresh)).await,
        (200, json!({"msg": "Token revoked"}))
    );
    assert_eq!(
        send(c.post(url("/api/refresh")).bearer_auth(&refresh)).await,
        (401, json!({"msg": "Token has been revoked"}))
    );
    // Other tokens are unaffected.
    assert_eq!(
        send(c.get(url("/api/protected")).bearer_auth(&refreshed))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn axum_app_runs_on_its_development_secret_and_says_so() {
    let app = start("axum_app", &[]);
    let c = reqwest::Client::new();
    let (s, _) = send(
        c.post(format!("http://{}/api/login", app.addr))
            .json(&json!({"username": "admin", "password": "password123"})),
    )
    .await;
    assert_eq!(s, 200);
    // The warning goes through the log subscriber (RUST_LOG unset: `info`) to stderr.
    assert!(
        app.wait_for_stderr("JWT_SECRET_KEY is not set", Duration::from_secs(5)),
        "stderr: {}",
        app.stderr()
    );
    let stderr = app.stderr();
    let line = stderr
        .lines()
        .find(|l| l.contains("JWT_SECRET_KEY is not set"))
        .unwrap();
    assert!(line.contains("WARN"), "{line}");
    assert!(stderr.contains("listening"), "info lines too: {stderr}");
}

#[test]
fn examples_honour_rust_log() {
    // `RUST_LOG=error` filters out the warning; the other examples warn as the app does.
    let quiet = start("axum_app", &[("RUST_LOG", "error")]);
    let hyper = start("hyper_service", &[]);
    let tonic = start("tonic_greeter", &[]);
    for running in [&hyper, &tonic] {
        assert!(
            running.wait_for_stderr("JWT_SECRET_KEY is not set", Duration::from_secs(5)),
            "stderr: {}",
            running.stderr()
        );
    }
    // The app is listening, so it has decided about the warning long ago.
    assert!(
        !quiet.stderr().contains("JWT_SECRET_KEY"),
        "{}",
        quiet.stderr()
    );
}

/// Sends `head` and `body` on a fresh connection and returns the status code of the answer.
fn raw_status(addr: &str, head: &str, body: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (and close) before the whole body is sent.
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"))
}

#[tokio::test]
async fn axum_app_caps_bodies_and_fields() {
    let app = start(
        "axum_app",
        &[(
            "JWT_SECRET_KEY",
            "example-test-secret-0123456789-abcdefghij",
        )],
    );
    let c = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", app.base());
    let too_long = (400, json!({"msg": "Username, password or email too long"}));
    let long = "x".repeat(65);
    assert_eq!(
        send(
            c.post(url("/api/register"))
                .json(&json!({"username": long, "password": "pw"}))
        )
        .await,
        too_long
    );
    assert_eq!(
        send(
            c.post(url("/api/register"))
                .json(&json!({"username": "x".repeat(64), "password": "p".repeat(128)}))
        )
        .await
        .0,
        201
    );
    assert_eq!(
        send(
            c.post(url("/api/register"))
                .json(&json!({"username": "pat", "password": "p".repeat(129)}))
        )
        .await,
        too_long
    );
    assert_eq!(
        send(
            c.post(url("/api/register"))
                .json(&json!({"username": "eve", "password": "pw", "email": "e".repeat(255)}))
        )
        .await,
        too_long
    );
    assert_eq!(
        send(
            c.post(url("/api/login"))
                .json(&json!({"username": "admin", "password": "p".repeat(129)}))
        )
        .await,
        too_long
    );

    // Only JSON bodies are parsed as JSON.
    let creds = json!({"username": "admin", "password": "password123"}).to_string();
    assert_eq!(
        send(
            c.post(url("/api/login"))
                .header("content-type", "text/plain")
                .body(creds.clone())
        )
        .await,
        (401, json!({"msg": "Bad username or password"}))
    );
    assert_eq!(
        send(
            c.post(url("/api/register"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(json!({"username": "mal", "password": "pw"}).to_string())
        )
        .await,
        (400, json!({"msg": "Username and password required"}))
    );
    assert_eq!(
        send(
            c.post(url("/api/login"))
                .header("content-type", "application/json; charset=utf-8")
                .body(creds)
        )
        .await
        .0,
        200
    );

    // Every body is capped at 64 KiB, whatever its content type, whether its length is
    // declared or it is streamed in chunks.
    let big = vec![b'a'; 64 * 1024 + 1];
    for content_type in ["text/plain", "application/json", "application/octet-stream"] {
        for path in ["/api/register", "/api/login", "/open", "/api/protected"] {
            let method = if path.starts_with("/api/") && path != "/api/protected" {
                "POST"
            } else {
                "GET"
            };
            let head = format!(
                "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                big.len()
            );
            assert_eq!(
                raw_status(&app.addr, &head, &big),
                413,
                "{method} {path} {content_type}"
            );
        }
        let head = format!(
            "POST /api/register HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        let mut chunked = Vec::new();
        for chunk in big.chunks(8 * 1024) {
            chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            chunked.extend_from_slice(chunk);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        assert_eq!(
            raw_status(&app.addr, &head, &chunked),
            413,
            "chunked {content_type}"
        );
    }
    // Just under the cap is read (and refused for what it says, not for its size).
    let head = format!(
        "POST /api/register HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        64 * 1024
    );
    assert_eq!(raw_status(&app.addr, &head, &big[..64 * 1024]), 400);
}

#[tokio::test]
async fn hyper_service_example() {
    let app = start(
        "hyper_service",
        &[(
            "JWT_SECRET_KEY",
            "example-test-secret-0123456789-abcdefghij",
        )],
    );
    let base = format!("http://{}", app.addr);
    let c = reqwest::Client::new();
    assert_eq!(
        send(c.get(format!("{base}/open"))).await,
        (200, json!({"ok": true}))
    );
    assert_eq!(
        send(c.get(format!("{base}/protected"))).await,
        (401, json!({"msg": "Missing Authorization Header"}))
    );
    let (_, b) = send(c.post(format!("{base}/login"))).await;
    let token = b["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        send(c.get(format!("{base}/protected")).bearer_auth(&token)).await,
        (200, json!({"logged_in_as": "demo"}))
    );
    assert_eq!(
        send(c.get(format!("{base}/optional"))).await,
        (200, json!({"logged_in_as": null}))
    );
    assert_eq!(
        send(c.get(format!("{base}/optional")).bearer_auth(&token)).await,
        (200, json!({"logged_in_as": "demo"}))
    );
    assert_eq!(
        send(c.get(format!("{base}/optional")).bearer_auth("x.y")).await,
        (422, json!({"msg": "Not enough segments"}))
    );
}

/// The example's messages, as a client sees them.
#[derive(Clone, PartialEq, prost::Message)]
struct HelloRequest {
    #[prost(string, tag = "1")]
    name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct HelloReply {
    #[prost(string, tag = "1")]
    message: String,
}

async fn say_hello(addr: &str, token: Option<&str>) -> Result<String, tonic::Status> {
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect");
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.expect("ready");
    let mut req = tonic::Request::new(HelloRequest {
        name: "grpc".into(),
    });
    if let Some(t) = token {
        req.metadata_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    let path = http::uri::PathAndQuery::from_static("/greeter.Greeter/SayHello");
    let codec = tonic_prost::ProstCodec::<HelloRequest, HelloReply>::default();
    client
        .unary(req, path, codec)
        .await
        .map(|r| r.into_inner().message)
}

#[tokio::test]
async fn tonic_greeter_example() {
    let secret = "example-test-secret-0123456789-abcdefghij";
    let app = start("tonic_greeter", &[("JWT_SECRET_KEY", secret)]);
    let err = say_hello(&app.addr, None).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
    assert_eq!(err.message(), "Missing Authorization Header");
    let err = say_hello(&app.addr, Some("garbage")).await.unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (tonic::Code::Unauthenticated, "Not enough segments")
    );

    let manager = jwt_extended::JwtManager::builder()
        .secret(secret)
        .build()
        .unwrap();
    let refresh = manager.create_refresh_token("alice").unwrap();
    let err = say_hello(&app.addr, Some(&refresh)).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    let access = manager.create_access_token("alice").unwrap();
    assert_eq!(
        say_hello(&app.addr, Some(&access)).await.unwrap(),
        "Hello grpc, from alice"
    );
    // The demo token it printed works too.
    let demo = app
        .lines
        .iter()
        .find_map(|l| l.strip_prefix("demo token: "))
        .expect("demo token line")
        .to_owned();
    assert_eq!(
        say_hello(&app.addr, Some(&demo)).await.unwrap(),
        "Hello grpc, from demo"
    );
}

/// A cookie client of the app: a reqwest client with a cookie jar.
struct CookieClient {
    client: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    base: reqwest::Url,
}

impl CookieClient {
    fn new(addr: &str) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Self {
            client,
            jar,
            base: format!("http://{addr}/").parse().unwrap(),
        }
    }

    fn url(&self, path: &str) -> reqwest::Url {
        self.base.join(path).unwrap()
    }

    fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let header = self.jar.cookies(&self.base)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(String::from))
    }

    async fn login(&self) {
        let (s, b) = send(
            self.client
                .post(self.url("api/login/cookies"))
                .json(&json!({"username": "admin", "password": "password123"})),
        )
        .await;
        assert_eq!((s, b), (200, json!({"msg": "login ok"})));
    }
}

/// The names of the cookies a response sets (`Set-Cookie`), and whether each is an unset.
fn set_cookies(res: &reqwest::Response) -> Vec<(String, bool)> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| {
            let v = v.to_str().unwrap();
            let name = v.split('=').next().unwrap().to_owned();
            (name, v.contains("Expires=Thu, 01 Jan 1970"))
        })
        .collect()
}

#[tokio::test]
async fn axum_app_cookie_flow() {
    let app = start(
        "axum_app",
        &[
            (
                "JWT_SECRET_KEY",
                "example-test-secret-0123456789-abcdefghij",
            ),
            ("JWT_TOKEN_LOCATION", "headers,cookies"),
        ],
    );
    let cc = CookieClient::new(&app.addr);
    let c = &cc.client;
    cc.login().await;
    assert_eq!(
        send(c.get(cc.url("api/protected"))).await,
        (200, json!({"logged_in_as": "1"}))
    );
    // Two Bearer tokens count as a missing header (as in Flask-JWT-Extended): the cookie
    // is used.
    assert_eq!(
        send(c.get(cc.url("api/protected")).header(
            "Authorization",
            "Bearer not.a.token, Bearer other.bad.token"
        ))
        .await,
        (200, json!({"logged_in_as": "1"}))
    );
    assert_eq!(
        send(c.post(cc.url("api/fresh"))).await,
        (401, json!({"msg": "Missing CSRF token"}))
    );
    let csrf = cc.cookie("csrf_access_token").expect("csrf cookie");
    assert_eq!(
        send(c.post(cc.url("api/fresh")).header("X-CSRF-TOKEN", &csrf)).await,
        (200, json!({"msg": "fresh ok"}))
    );

    // Refresh with the refresh cookie: the new access token comes as cookies too.
    let old_access = cc.cookie("access_token_cookie").unwrap();
    let refresh_csrf = cc
        .cookie("csrf_refresh_token")
        .expect("refresh csrf cookie");
    let res = c
        .post(cc.url("api/refresh"))
        .header("X-CSRF-TOKEN", &refresh_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        set_cookies(&res),
        [
            ("access_token_cookie".to_owned(), false),
            ("csrf_access_token".to_owned(), false)
        ]
    );
    let body: Value = res.json().await.unwrap();
    let new_access = cc.cookie("access_token_cookie").unwrap();
    assert_ne!(new_access, old_access);
    assert_eq!(body["access_token"].as_str(), Some(new_access.as_str()));
    // The refreshed token is not fresh, and its CSRF value is the new cookie's.
    let new_csrf = cc.cookie("csrf_access_token").unwrap();
    assert_ne!(new_csrf, csrf);
    assert_eq!(
        send(
            c.post(cc.url("api/fresh"))
                .header("X-CSRF-TOKEN", &new_csrf)
        )
        .await,
        (401, json!({"msg": "Fresh token required"}))
    );
    // A header client's refresh sets no cookie.
    let (_, tokens) = send(
        c.post(cc.url("api/login"))
            .json(&json!({"username": "admin", "password": "password123"})),
    )
    .await;
    let res = reqwest::Client::new()
        .post(cc.url("api/refresh"))
        .bearer_auth(tokens["refresh_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(set_cookies(&res).is_empty());

    // Cookie logout needs the CSRF value: a forged one is refused and keeps the session.
    let refresh_cookie = cc.cookie("refresh_token_cookie").unwrap();
    let res = c.post(cc.url("api/logout/cookies")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(set_cookies(&res).is_empty());
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"msg": "Missing CSRF token"})
    );
    assert_eq!(send(c.get(cc.url("api/protected"))).await.0, 200);

    // With it: every JWT cookie is unset, and the tokens they held are revoked.
    let res = c
        .post(cc.url("api/logout/cookies"))
        .header("X-CSRF-TOKEN", &new_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut unset = set_cookies(&res);
    unset.sort();
    assert_eq!(
        unset,
        [
            ("access_token_cookie".to_owned(), true),
            ("csrf_access_token".to_owned(), true),
            ("csrf_refresh_token".to_owned(), true),
            ("refresh_token_cookie".to_owned(), true),
        ]
    );
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"msg": "logout ok"})
    );
    assert!(cc.cookie("access_token_cookie").is_none());
    assert_eq!(
        send(c.get(cc.url("api/protected"))).await,
        (
            401,
            json!({"msg": "Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie \"access_token_cookie\")"})
        )
    );
    // Copies of the cookies no longer work.
    let plain = reqwest::Client::new();
    assert_eq!(
        send(
            plain
                .get(cc.url("api/protected"))
                .header("Cookie", format!("access_token_cookie={new_access}"))
        )
        .await,
        (401, json!({"msg": "Token has been revoked"}))
    );
    assert_eq!(
        send(
            plain
                .post(cc.url("api/refresh"))
                .header("Cookie", format!("refresh_token_cookie={refresh_cookie}"))
                .header("X-CSRF-TOKEN", &refresh_csrf)
        )
        .await,
        (401, json!({"msg": "Token has been revoked"}))
    );

    // Without a token, logout only unsets the cookies.
    let res = plain
        .post(cc.url("api/logout/cookies"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(set_cookies(&res).len(), 4);
}

#[tokio::test]
async fn axum_app_cookie_refresh_with_rotation() {
    let app = start(
        "axum_app",
        &[
            (
                "JWT_SECRET_KEY",
                "example-test-secret-0123456789-abcdefghij",
            ),
            ("JWT_TOKEN_LOCATION", "headers,cookies"),
            ("JWT_REFRESH_ROTATION", "true"),
        ],
    );
    let cc = CookieClient::new(&app.addr);
    cc.login().await;
    let first_refresh = cc.cookie("refresh_token_cookie").unwrap();
    let first_csrf = cc.cookie("csrf_refresh_token").unwrap();
    let res = cc
        .client
        .post(cc.url("api/refresh"))
        .header("X-CSRF-TOKEN", &first_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut names: Vec<_> = set_cookies(&res).into_iter().map(|(n, _)| n).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "access_token_cookie",
            "csrf_access_token",
            "csrf_refresh_token",
            "refresh_token_cookie"
        ]
    );
    let second_refresh = cc.cookie("refresh_token_cookie").unwrap();
    assert_ne!(second_refresh, first_refresh);
    // The session goes on with the new cookies.
    let second_csrf = cc.cookie("csrf_refresh_token").unwrap();
    assert_eq!(
        send(
            cc.client
                .post(cc.url("api/refresh"))
                .header("X-CSRF-TOKEN", &second_csrf)
        )
        .await
        .0,
        200
    );
    assert_eq!(send(cc.client.get(cc.url("api/protected"))).await.0, 200);
}

#[tokio::test]
async fn axum_app_with_rotation_and_redis() {
    let Some(server) = redis_server::RedisServer::start() else {
        return;
    };
    let app = start(
        "axum_app",
        &[
            (
                "JWT_SECRET_KEY",
                "example-test-secret-0123456789-abcdefghij",
            ),
            ("REDIS_URL", &server.url()),
            // The server fsyncs every write, and the tests run side by side on a small
            // machine: give a call more than the production default of 250 ms.
            ("REDIS_TIMEOUT_MS", "5000"),
            ("JWT_REFRESH_ROTATION", "true"),
        ],
    );
    let base = format!("http://{}", app.addr);
    let c = reqwest::Client::new();
    let (_, tokens) = send(
        c.post(format!("{base}/api/login"))
            .json(&json!({"username": "admin", "password": "password123"})),
    )
    .await;
    let r1 = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (s, b) = send(c.post(format!("{base}/api/refresh")).bearer_auth(&r1)).await;
    assert_eq!(s, 200);
    let a2 = b["access_token"].as_str().unwrap().to_owned();
    assert!(b["refresh_token"].is_string());
    assert_eq!(
        send(c.get(format!("{base}/api/protected")).bearer_auth(&a2))
            .await
            .0,
        200
    );
    // Reuse of the first refresh token revokes the whole login.
    assert_eq!(
        send(c.post(format!("{base}/api/refresh")).bearer_auth(&r1)).await,
        (401, json!({"msg": "Token has been revoked"}))
    );
    assert_eq!(
        send(c.get(format!("{base}/api/protected")).bearer_auth(&a2)).await,
        (401, json!({"msg": "Token has been revoked"}))
    );
    // The revocations are in Redis, where a second instance sees them (this one from its
    // local view).
    let second = start(
        "axum_app",
        &[
            (
                "JWT_SECRET_KEY",
                "example-test-secret-0123456789-abcdefghij",
            ),
            ("REDIS_URL", &server.url()),
            ("REDIS_TIMEOUT_MS", "5000"),
            ("REDIS_LOCAL_CACHE_MS", "50"),
        ],
    );
    assert_eq!(
        send(
            c.get(format!("http://{}/api/protected", second.addr))
                .bearer_auth(&a2)
        )
        .await,
        (401, json!({"msg": "Token has been revoked"}))
    );
}

/// A Redis that stops answering: the app refuses (503) within `REDIS_TIMEOUT_MS` rather
/// than wait or accept, logs the cause at WARN (the guard's refusal, and the refresh
/// handler's when only its write needs Redis), and serves again once Redis answers.
#[tokio::test]
async fn axum_app_refuses_and_logs_when_redis_stalls() {
    let Some(server) = redis_server::RedisServer::start() else {
        return;
    };
    let url = server.url();
    let env = [
        (
            "JWT_SECRET_KEY",
            "example-test-secret-0123456789-abcdefghij",
        ),
        ("REDIS_URL", url.as_str()),
        ("REDIS_TIMEOUT_MS", "300"),
        ("JWT_REFRESH_ROTATION", "true"),
    ];
    // `strict` asks Redis on every request; `viewed` checks its local view, trusted for
    // 20 s without word from Redis, so only the refresh's write needs Redis.
    let strict = start("axum_app", &env);
    let viewed = start(
        "axum_app",
        &[&env[..], &[("REDIS_LOCAL_CACHE_MS", "20000")]].concat(),
    );
    let c = reqwest::Client::new();
    let (_, tokens) = send(
        c.post(format!("{}/api/login", strict.base()))
            .json(&json!({"username": "admin", "password": "password123"})),
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    server.pause();
    let started = std::time::Instant::now();
    let unavailable = (503, json!({"msg": "Token revocation status unavailable"}));
    let stalled = [
        c.post(format!("{}/api/refresh", strict.base()))
            .bearer_auth(&refresh),
        c.post(format!("{}/api/refresh", viewed.base()))
            .bearer_auth(&refresh),
        c.get(format!("{}/api/protected", strict.base()))
            .bearer_auth(&access),
    ];
    for request in stalled {
        assert_eq!(send(request).await, unavailable);
    }
    let waited = started.elapsed();
    server.resume();
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    for (app, by) in [
        (&strict, "token verification unavailable"),
        (&viewed, "Token revocation status unavailable"),
    ] {
        // (the call's own timer or the connection's, whichever fires first)
        let cause = "cause=revocation store: Redis did not answer";
        assert!(
            app.wait_for_stderr(cause, Duration::from_secs(5)),
            "stderr: {}",
            app.stderr()
        );
        let stderr = app.stderr();
        let line = stderr.lines().find(|l| l.contains(cause)).unwrap();
        assert!(line.contains("WARN") && line.contains(by), "{line}");
        assert!(!stderr.contains(&access) && !stderr.contains(&refresh));
    }
    for app in [&strict, &viewed] {
        assert_eq!(
            send(
                c.get(format!("{}/api/protected", app.base()))
                    .bearer_auth(&access)
            )
            .await
            .0,
            200
        );
    }
}

#[test]
fn hyper_and_tonic_examples_cap_bodies_and_shut_down_cleanly() {
    let mut hyper = start(
        "hyper_service",
        &[(
            "JWT_SECRET_KEY",
            "example-test-secret-0123456789-abcdefghij",
        )],
    );
    let big = vec![b'a'; 64 * 1024 + 1];
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        big.len()
    );
    assert_eq!(raw_status(&hyper.addr, &head, &big), 413);
    let head = "GET /open HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_eq!(raw_status(&hyper.addr, head, b""), 200);

    let mut tonic = start(
        "tonic_greeter",
        &[(
            "JWT_SECRET_KEY",
            "example-test-secret-0123456789-abcdefghij",
        )],
    );
    for running in [&mut hyper, &mut tonic] {
        running.signal(libc::SIGTERM);
        let status = running
            .wait_exit(Duration::from_secs(10))
            .expect("exited after SIGTERM");
        assert!(status.success(), "{status:?}: {}", running.stderr());
        assert!(running.stderr().contains("SIGTERM received"));
    }
}

/// `JWT_ALGORITHM` with PEM keys, the app's JWK Set, and an OpenID Connect issuer's tokens
/// (found by discovery on a fake issuer) on the app's guarded routes.
#[tokio::test]
async fn axum_app_with_an_oidc_issuer_and_its_own_jwks() {
    use fake_issuer::keys::{fixture, jwk, sign};
    let fake = fake_issuer::FakeIssuer::start().await;
    fake.set_keys(vec![jwk("rsa", "idp-1", None)]);
    let (private, public) = (fixture("ec256_private.pem"), fixture("ec256_public.pem"));
    let issuer = fake.issuer();
    let app = start(
        "axum_app",
        &[
            ("JWT_ALGORITHM", "ES256"),
            ("JWT_PRIVATE_KEY", &private),
            ("JWT_PUBLIC_KEY", &public),
            ("JWT_OIDC_ISSUER", &issuer),
            ("JWT_OIDC_AUDIENCE", "orders-api, reports-api"),
        ],
    );
    let c = reqwest::Client::new();
    let base = format!("http://{}", app.addr);

    let res = c
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let set: jsonwebtoken::jwk::JwkSet = res.json().await.unwrap();
    assert_eq!(set.keys.len(), 1);
    assert_eq!(
        serde_json::to_value(&set.keys[0]).unwrap()["use"],
        json!("sig")
    );

    // The app's own token verifies with the published key, found by its kid.
    let (s, body) = send(
        c.post(format!("{base}/api/login"))
            .json(&json!({"username": "admin", "password": "password123"})),
    )
    .await;
    assert_eq!(s, 200);
    let own = body["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(own).unwrap();
    let key = set
        .find(header.kid.as_deref().unwrap())
        .expect("published kid");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(
        own,
        &jsonwebtoken::DecodingKey::from_jwk(key).unwrap(),
        &validation,
    )
    .expect("our token verifies with our published key");

    // The issuer's access tokens pass the guards, user lookup included.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = |aud: &str| json!({"iss": issuer, "sub": "idp|carol", "aud": aud, "iat": now, "exp": now + 300});
    let idp = sign(
        "rsa",
        jsonwebtoken::Algorithm::RS256,
        Some("idp-1"),
        &claims("reports-api"),
    );
    let (s, body) = send(c.get(format!("{base}/api/protected")).bearer_auth(&idp)).await;
    assert_eq!((s, &body), (200, &json!({"logged_in_as": "idp|carol"})));
    let (s, body) = send(c.get(format!("{base}/api/me")).bearer_auth(&idp)).await;
    assert_eq!((s, &body["id"]), (200, &json!("idp|carol")));
    let (s, _) = send(c.get(format!("{base}/api/protected")).bearer_auth(own)).await;
    assert_eq!(s, 200);
    let wrong_aud = sign(
        "rsa",
        jsonwebtoken::Algorithm::RS256,
        Some("idp-1"),
        &claims("another-api"),
    );
    let (s, body) = send(
        c.get(format!("{base}/api/protected"))
            .bearer_auth(&wrong_aud),
    )
    .await;
    assert_eq!(
        (s, body["msg"].as_str()),
        (422, Some("Audience doesn't match"))
    );

    // `/api/items` reads the issuer's scopes as it reads the app's own: `read:items` in
    // `scope` or `scp` is 200, a token without it 403 (and one that does not verify, 422).
    let scoped = |scope: Value| {
        let mut c = claims("orders-api");
        c.as_object_mut()
            .unwrap()
            .extend(scope.as_object().unwrap().clone());
        sign("rsa", jsonwebtoken::Algorithm::RS256, Some("idp-1"), &c)
    };
    let items = |t: &str| c.get(format!("{base}/api/items")).bearer_auth(t);
    for scope in [
        json!({"scope": "read:items"}),
        json!({"scope": "openid read:items"}),
        json!({"scp": ["read:items"]}),
    ] {
        assert_eq!(
            send(items(&scoped(scope.clone()))).await,
            (200, json!({"items": []})),
            "{scope}"
        );
    }
    for scope in [
        json!({"scope": "openid profile"}),
        json!({"scp": ["write:items"]}),
        json!({}),
    ] {
        assert_eq!(
            send(items(&scoped(scope.clone()))).await,
            (
                403,
                json!({"msg": "Insufficient scope, required: read:items"})
            ),
            "{scope}"
        );
    }
    let mut wrong_aud_scoped = claims("another-api");
    wrong_aud_scoped["scope"] = json!("read:items");
    let wrong_aud_scoped = sign(
        "rsa",
        jsonwebtoken::Algorithm::RS256,
        Some("idp-1"),
        &wrong_aud_scoped,
    );
    assert_eq!(send(items(&wrong_aud_scoped)).await.0, 422);
    // Adding needs a fresh token: an issuer's token never is, whatever its scopes.
    let writer = scoped(json!({"scope": "read:items write:items"}));
    assert_eq!(
        send(
            c.post(format!("{base}/api/items"))
                .bearer_auth(&writer)
                .json(&json!({"name": "pear"}))
        )
        .await,
        (401, json!({"msg": "Fresh token required"}))
    );
}

#[cfg(feature = "metrics")]
/// The value of a Prometheus sample (`name{labels} value`), 0 when absent.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

#[cfg(feature = "metrics")]
fn verifications(outcome: &str, reason: &str) -> String {
    format!("jwt_extended_verifications_total{{outcome=\"{outcome}\",reason=\"{reason}\"}}")
}

async fn login(c: &reqwest::Client, base: &str, user: &str, password: &str) -> Value {
    let (s, b) = send(
        c.post(format!("{base}/api/login"))
            .json(&json!({"username": user, "password": password})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    b
}

#[cfg(feature = "metrics")]
/// `/api/items` behind scopes, and `/metrics` counting every verification by outcome and
/// reason, exactly.
#[tokio::test]
async fn axum_app_scopes_and_metrics() {
    let app = start(
        "axum_app",
        &[(
            "JWT_SECRET_KEY",
            "example-test-secret-0123456789-abcdefghij",
        )],
    );
    let base = format!("http://{}", app.addr);
    let c = reqwest::Client::new();
    let url = |p: &str| format!("{base}{p}");
    let metrics = || async {
        let res = c.get(url("/metrics")).send().await.expect("metrics");
        assert_eq!(res.status(), 200);
        res.text().await.expect("text")
    };

    let admin = login(&c, &base, "admin", "password123").await;
    let admin_access = admin["access_token"].as_str().unwrap().to_owned();
    let admin_refresh = admin["refresh_token"].as_str().unwrap().to_owned();
    let (s, _) = send(
        c.post(url("/api/register"))
            .json(&json!({"username": "bob", "password": "pw-bob"})),
    )
    .await;
    assert_eq!(s, 201);
    let bob = login(&c, &base, "bob", "pw-bob").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = metrics().await;

    // Accepted: 4 (two reads, one write, one refresh).
    let items = |t: &str| c.get(url("/api/items")).bearer_auth(t);
    assert_eq!(send(items(&bob)).await, (200, json!({"items": []})));
    assert_eq!(
        send(
            c.post(url("/api/items"))
                .bearer_auth(&admin_access)
                .json(&json!({"name": "apple"}))
        )
        .await,
        (201, json!({"name": "apple"}))
    );
    assert_eq!(
        send(items(&admin_access)).await,
        (200, json!({"items": ["apple"]}))
    );
    let (s, refreshed) = send(c.post(url("/api/refresh")).bearer_auth(&admin_refresh)).await;
    assert_eq!(s, 200);
    let stale = refreshed["access_token"].as_str().unwrap().to_owned();
    // Insufficient scope: 2.
    for _ in 0..2 {
        assert_eq!(
            send(
                c.post(url("/api/items"))
                    .bearer_auth(&bob)
                    .json(&json!({"name": "pear"}))
            )
            .await,
            (
                403,
                json!({"msg": "Insufficient scope, required: write:items"})
            )
        );
    }
    // Fresh required: 1 (the refreshed token keeps the scopes but is not fresh).
    assert_eq!(
        send(
            c.post(url("/api/items"))
                .bearer_auth(&stale)
                .json(&json!({"name": "pear"}))
        )
        .await,
        (401, json!({"msg": "Fresh token required"}))
    );
    assert_eq!(send(items(&stale)).await.0, 200);
    // Missing: 3; invalid: 1.
    for _ in 0..3 {
        assert_eq!(send(c.get(url("/api/items"))).await.0, 401);
    }
    assert_eq!(send(items("not-a-token")).await.0, 422);
    // Open routes verify nothing.
    assert_eq!(send(c.get(url("/open"))).await.0, 200);

    let after = metrics().await;
    for (outcome, reason, n) in [
        ("accepted", "none", 5.0),
        ("rejected", "insufficient_scope", 2.0),
        ("rejected", "fresh_required", 1.0),
        ("rejected", "missing", 3.0),
        ("rejected", "invalid_token", 1.0),
        ("rejected", "revoked", 0.0),
        ("error", "unavailable", 0.0),
    ] {
        let series = verifications(outcome, reason);
        assert_eq!(
            sample(&after, &series) - sample(&before, &series),
            n,
            "{series}\n{after}"
        );
    }
    // Every verified token was checked against the revocation store once: 5 accepted,
    // 2 refused for their scope, 1 refused as not fresh (freshness is checked first, so
    // not that one: 7 store calls).
    let calls = "jwt_extended_revocation_store_calls_total";
    assert_eq!(
        sample(&after, calls) - sample(&before, calls),
        7.0,
        "{after}"
    );
    let cache = sample(&after, "jwt_extended_token_cache_hits_total")
        + sample(&after, "jwt_extended_token_cache_misses_total")
        - sample(&before, "jwt_extended_token_cache_hits_total")
        - sample(&before, "jwt_extended_token_cache_misses_total");
    assert_eq!(
        cache, 9.0,
        "one lookup per decoded token (the invalid one too)"
    );
    assert!(after.contains("jwt_extended_revocation_store_duration_seconds"));
    // Labels carry fixed values only: nothing of the tokens.
    for t in [&admin_access, &admin_refresh, &bob, &stale] {
        for piece in t.split('.') {
            assert!(!after.contains(piece));
        }
    }
}

/// The OpenAPI document: 3.1, the schemes the configuration implies, every route of the
/// contract with its security requirement, and valid per `openapi-spec-validator`.
#[tokio::test]
async fn axum_app_openapi_document() {
    for locations in ["headers", "headers,cookies"] {
        let app = start(
            "axum_app",
            &[
                (
                    "JWT_SECRET_KEY",
                    "example-test-secret-0123456789-abcdefghij",
                ),
                ("JWT_TOKEN_LOCATION", locations),
            ],
        );
        let res = reqwest::get(format!("http://{}/openapi.json", app.addr))
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/json");
        let text = res.text().await.unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(
            schemes["jwt_bearer"],
            json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                   "description": "An access token: `Authorization: Bearer <JWT>`."})
        );
        let cookies = locations.contains("cookies");
        assert_eq!(
            schemes["jwt_cookie"]["in"].as_str(),
            cookies.then_some("cookie")
        );
        assert_eq!(
            schemes["jwt_cookie"]["name"].as_str(),
            cookies.then_some("access_token_cookie")
        );
        assert_eq!(
            schemes["jwt_csrf"]["name"].as_str(),
            cookies.then_some("x-csrf-token")
        );

        let security = |path: &str, method: &str| doc["paths"][path][method]["security"].clone();
        for (path, method) in [
            ("/api/register", "post"),
            ("/api/login", "post"),
            ("/api/login/cookies", "post"),
            ("/open", "get"),
            ("/", "get"),
            ("/.well-known/jwks.json", "get"),
            ("/openapi.json", "get"),
            ("/metrics", "get"),
        ] {
            assert!(doc["paths"][path][method].is_object(), "{path} {method}");
            assert_eq!(security(path, method), Value::Null, "{path} is open");
        }
        for (path, method) in [
            ("/api/logout/cookies", "post"),
            ("/api/refresh", "post"),
            ("/api/logout", "post"),
            ("/api/protected", "get"),
            ("/api/me", "get"),
            ("/api/optional", "get"),
            ("/api/fresh", "post"),
            ("/api/admin", "delete"),
            ("/api/users/{id}", "delete"),
            ("/api/items", "get"),
            ("/api/items", "post"),
        ] {
            let s = security(path, method);
            assert!(
                s.as_array().is_some_and(|a| !a.is_empty()),
                "{path} {method}: {s}"
            );
        }
        assert_eq!(
            security("/api/items", "get")[0],
            json!({"jwt_bearer": ["read:items"]})
        );
        assert_eq!(
            security("/api/items", "post")[0],
            json!({"jwt_bearer": ["write:items"]})
        );
        // Optional: anonymous is an alternative.
        assert!(
            security("/api/optional", "get")
                .as_array()
                .unwrap()
                .contains(&json!({}))
        );
        if cookies {
            assert_eq!(
                security("/api/items", "post")[1],
                json!({"jwt_cookie": ["write:items"], "jwt_csrf": []})
            );
            assert_eq!(
                security("/api/items", "get")[1],
                json!({"jwt_cookie": ["read:items"]})
            );
            assert_eq!(
                security("/api/refresh", "post")[1],
                json!({"jwt_refresh_cookie": [], "jwt_refresh_csrf": []})
            );
        }
        validate_openapi(&text);
    }
}

/// Validates an OpenAPI document with `openapi-spec-validator` (the Python of `.ci/run`'s
/// venv, `OPENAPI_PYTHON`).
fn validate_openapi(text: &str) {
    let python = match std::env::var("OPENAPI_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must set OPENAPI_PYTHON to a Python with openapi-spec-validator (see .ci/run)"
            );
            eprintln!(
                "OPENAPI_PYTHON not set: skipping the OpenAPI validation (CI always runs it)"
            );
            return;
        }
    };
    let mut child = std::process::Command::new(python)
        .args([
            "-c",
            "import json, sys\n\
             from openapi_spec_validator import validate, OpenAPIV31SpecValidator\n\
             validate(json.load(sys.stdin), cls=OpenAPIV31SpecValidator)\n\
             print('valid')",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the validator");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "valid",
        "openapi-spec-validator: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The RFC 6750 style: a missing scope is 403 `insufficient_scope` with the scope, no token
/// a bare `Bearer` challenge.
#[tokio::test]
async fn axum_app_rfc6750_scope_challenge() {
    let app = start(
        "axum_app",
        &[
            (
                "JWT_SECRET_KEY",
                "example-test-secret-0123456789-abcdefghij",
            ),
            ("JWT_ERROR_STYLE", "rfc6750"),
        ],
    );
    let base = format!("http://{}", app.addr);
    let c = reqwest::Client::new();
    let (s, _) = send(
        c.post(format!("{base}/api/register"))
            .json(&json!({"username": "bob", "password": "pw-bob"})),
    )
    .await;
    assert_eq!(s, 201);
    let bob = login(&c, &base, "bob", "pw-bob").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = c
        .post(format!("{base}/api/items"))
        .bearer_auth(&bob)
        .json(&json!({"name": "pear"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.headers()["www-authenticate"],
        r#"Bearer error="insufficient_scope", error_description="Insufficient scope, required: write:items", scope="write:items""#
    );
    let res = c.get(format!("{base}/api/items")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let res = c
        .get(format!("{base}/api/items"))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
