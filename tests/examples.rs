//! The examples, run as the programs they are: each is started on a free loopback port and
//! driven over HTTP (or gRPC). `cargo test` builds the examples before running this.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

#[path = "common/redis_server.rs"]
mod redis_server;

struct Running {
    child: Child,
    addr: String,
    lines: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn example_path(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> → target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    dir.join("examples").join(name)
}

fn start(name: &str, env: &[(&str, &str)]) -> Running {
    let path = example_path(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo test` (which builds the examples) or `cargo build --examples`",
        path.display()
    );
    let mut cmd = Command::new(&path);
    cmd.env("BIND", "127.0.0.1:0")
        .env_remove("JWT_SECRET_KEY")
        .env_remove("REDIS_URL")
        .env_remove("JWT_TOKEN_LOCATION")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut running = Running {
        child: cmd.spawn().expect("start example"),
        addr: String::new(),
        lines: Vec::new(),
    };
    let stdout = running.child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    while running.addr.is_empty() {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the example printed `listening on <addr>` in time");
        if let Some(addr) = line.strip_prefix("listening on ") {
            running.addr = addr.to_owned();
        }
        running.lines.push(line);
    }
    running
}

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
async fn axum_app_runs_on_its_development_secret() {
    let app = start("axum_app", &[]);
    let c = reqwest::Client::new();
    let (s, _) = send(
        c.post(format!("http://{}/api/login", app.addr))
            .json(&json!({"username": "admin", "password": "password123"})),
    )
    .await;
    assert_eq!(s, 200);
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
    let base: reqwest::Url = format!("http://{}/", app.addr).parse().unwrap();
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let c = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .build()
        .unwrap();
    let url = |p: &str| base.join(p).unwrap();
    let cookie = |name: &str| -> Option<String> {
        use reqwest::cookie::CookieStore;
        let header = jar.cookies(&base)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(String::from))
    };

    let (s, b) = send(
        c.post(url("api/login/cookies"))
            .json(&json!({"username": "admin", "password": "password123"})),
    )
    .await;
    assert_eq!((s, b), (200, json!({"msg": "login ok"})));
    assert_eq!(
        send(c.get(url("api/protected"))).await,
        (200, json!({"logged_in_as": "1"}))
    );
    assert_eq!(
        send(c.post(url("api/fresh"))).await,
        (401, json!({"msg": "Missing CSRF token"}))
    );
    let csrf = cookie("csrf_access_token").expect("csrf cookie");
    assert_eq!(
        send(c.post(url("api/fresh")).header("X-CSRF-TOKEN", &csrf)).await,
        (200, json!({"msg": "fresh ok"}))
    );
    let refresh_csrf = cookie("csrf_refresh_token").expect("refresh csrf cookie");
    let (s, b) = send(
        c.post(url("api/refresh"))
            .header("X-CSRF-TOKEN", &refresh_csrf),
    )
    .await;
    assert_eq!(s, 200);
    assert!(b["access_token"].is_string());
    assert_eq!(
        send(c.post(url("api/logout/cookies"))).await,
        (200, json!({"msg": "logout ok"}))
    );
    assert!(cookie("access_token_cookie").is_none());
    assert_eq!(
        send(c.get(url("api/protected"))).await,
        (
            401,
            json!({"msg": "Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie \"access_token_cookie\")"})
        )
    );
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
    // The revocations are in Redis, where a second instance sees them.
    let second = start(
        "axum_app",
        &[
            (
                "JWT_SECRET_KEY",
                "example-test-secret-0123456789-abcdefghij",
            ),
            ("REDIS_URL", &server.url()),
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
