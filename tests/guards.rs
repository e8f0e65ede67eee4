//! The guards through real `tower::Service` calls (an axum router driven with `oneshot`)
//! and through a real axum server on a loopback port: Flask-JWT-Extended's scenarios
//! (reference §5.1 lines 1–11, 31–46, 68).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use common::*;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use jwt_extended::{
    AnyJwtRequired, BoxError, CurrentUser, DecodedToken, ErrorStyle, FreshJwtRequired, JwtManager,
    JwtManagerBuilder, JwtRequired, OptionalJwt, RefreshJwtRequired, RequireJwtLayer,
    TokenLocation, UserLoader,
};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn whoami(jwt: JwtRequired) -> axum::Json<Value> {
    axum::Json(json!({ "sub": jwt.identity(), "location": jwt.location().as_str() }))
}

fn router(manager: &JwtManager) -> Router {
    Router::new()
        .route("/protected", get(whoami).post(whoami))
        .route(
            "/fresh",
            get(|j: FreshJwtRequired| async move { j.subject().unwrap_or_default().to_owned() }),
        )
        .route(
            "/refresh",
            post(|j: RefreshJwtRequired| async move { j.subject().unwrap_or_default().to_owned() }),
        )
        .route(
            "/any",
            get(|j: AnyJwtRequired| async move { j.token().token_type().to_string() }),
        )
        .route(
            "/optional",
            get(|j: OptionalJwt| async move { axum::Json(json!({ "sub": j.identity() })) }),
        )
        .route(
            "/option",
            get(|j: Option<JwtRequired>| async move {
                axum::Json(json!({ "sub": j.map(|j| j.identity().as_value().clone()) }))
            }),
        )
        .route(
            "/two-guards",
            get(|a: JwtRequired, b: FreshJwtRequired| async move {
                format!(
                    "{} {}",
                    a.subject().unwrap_or(""),
                    b.subject().unwrap_or("")
                )
            }),
        )
        .route(
            "/layered",
            get(|req: Request<Body>| async move {
                let sub = req
                    .extensions()
                    .get::<JwtRequired>()
                    .map(JwtRequired::identity);
                axum::Json(json!({ "sub": sub, "method": req.method().as_str() }))
            })
            .options(|req: Request<Body>| async move {
                let sub = req
                    .extensions()
                    .get::<JwtRequired>()
                    .map(JwtRequired::identity);
                axum::Json(json!({ "sub": sub, "method": req.method().as_str() }))
            })
            .route_layer(RequireJwtLayer::access(manager)),
        )
        .route(
            "/cookie-only",
            get(whoami).route_layer(manager.layer().locations([TokenLocation::Headers])),
        )
        .route(
            "/user",
            get(|CurrentUser(u): CurrentUser<String>| async move { u }),
        )
        .layer(manager.layer())
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, http::HeaderMap, Value) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, headers, body)
}

fn get_with(path: &str, auth: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(a) = auth {
        b = b.header("authorization", a);
    }
    b.body(Body::empty()).unwrap()
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

const MISSING_TYPE: &str =
    "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'";
const BAD_HEADER: &str = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";

// ---- headers (scenarios 1–11) ------------------------------------------------------

#[tokio::test]
async fn scenarios_1_to_7_header_grammar() {
    let (m, _) = manager();
    let app = router(&m);
    let t = m.create_access_token("alice").unwrap();

    let (s, h, b) = call(&app, get_with("/protected", None)).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNAUTHORIZED,
            json!({"msg": "Missing Authorization Header"})
        )
    );
    assert_eq!(h["www-authenticate"], "Bearer");
    assert_eq!(h["content-type"], "application/json");

    for auth in ["Basic abc".to_string(), format!("Bearer {t}, Bearer {t}")] {
        let (s, _, b) = call(&app, get_with("/protected", Some(&auth))).await;
        assert_eq!(
            (s, b),
            (StatusCode::UNAUTHORIZED, json!({"msg": MISSING_TYPE})),
            "{auth}"
        );
    }
    for auth in [
        format!("Bearer {t}, Basic c"),
        format!("Basic c, Bearer {t}"),
        format!("Bearer {t},   "),
    ] {
        let (s, _, b) = call(&app, get_with("/protected", Some(&auth))).await;
        assert_eq!(
            (s, b["sub"].clone()),
            (StatusCode::OK, json!("alice")),
            "{auth}"
        );
    }
    for auth in [
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Foo 1, Bearer, Baz, 3",
        "Bearer ,,0",
    ] {
        let (s, _, b) = call(&app, get_with("/protected", Some(auth))).await;
        assert_eq!(
            (s, b),
            (StatusCode::UNPROCESSABLE_ENTITY, json!({"msg": BAD_HEADER})),
            "{auth}"
        );
    }
}

#[tokio::test]
async fn scenario_3_scheme_is_case_insensitive() {
    // Deviation from Flask-JWT-Extended (RFC 9110): `bearer <t>` is accepted.
    let (m, _) = manager();
    let t = m.create_access_token("alice").unwrap();
    let (s, _, _) = call(
        &router(&m),
        get_with("/protected", Some(&format!("bearer {t}"))),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn scenarios_8_to_11_custom_header_settings() {
    let clock = clock();
    let m = builder(&clock).header_name("Foo").build().unwrap();
    let t = m.create_access_token("alice").unwrap();
    let (s, _, b) = call(&router(&m), get_with("/protected", Some(&bearer(&t)))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNAUTHORIZED,
            json!({"msg": "Missing Foo Header"})
        )
    );

    let m = builder(&clock).header_type("JWT").build().unwrap();
    let (s, _, b) = call(&router(&m), get_with("/protected", Some(&bearer(&t)))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNAUTHORIZED,
            json!({"msg": "Missing 'JWT' type in 'Authorization' header. Expected 'Authorization: JWT <JWT>'"})
        )
    );

    let m = builder(&clock).header_type("").build().unwrap();
    let (s, _, _) = call(&router(&m), get_with("/protected", Some(&t))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, b) = call(&router(&m), get_with("/protected", Some(&bearer(&t)))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"msg": "Bad Authorization header. Expected 'Authorization: <JWT>'"})
        )
    );

    let m = builder(&clock)
        .error_message_key("message")
        .build()
        .unwrap();
    let (_, _, b) = call(&router(&m), get_with("/protected", None)).await;
    assert_eq!(b, json!({"message": "Missing Authorization Header"}));
}

#[tokio::test]
async fn bad_tokens_are_422_never_500() {
    let (m, _) = manager();
    let app = router(&m);
    for (auth, msg) in [
        ("Bearer xxx", "Not enough segments"),
        ("Bearer aaaaa.bbbbb.ccccc", "Invalid header padding"),
    ] {
        let (s, _, b) = call(&app, get_with("/protected", Some(auth))).await;
        assert_eq!(
            (s, b),
            (StatusCode::UNPROCESSABLE_ENTITY, json!({"msg": msg}))
        );
    }
    let huge = format!("Bearer {}", "a".repeat(100_000));
    let (s, _, b) = call(&app, get_with("/protected", Some(&huge))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"msg": "Token is too large"})
        )
    );
    let req = Request::get("/protected")
        .header(
            "authorization",
            http::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        )
        .body(Body::empty())
        .unwrap();
    let (s, _, b) = call(&app, req).await;
    assert_eq!(
        (s, b),
        (StatusCode::UNPROCESSABLE_ENTITY, json!({"msg": BAD_HEADER}))
    );
}

// ---- token type and freshness (31–38) -------------------------------------------------

#[tokio::test]
async fn scenarios_31_to_34_token_types() {
    let (m, _) = manager();
    let app = router(&m);
    let access = m.create_access_token("a").unwrap();
    let refresh = m.create_refresh_token("a").unwrap();
    let (s, _, b) = call(&app, get_with("/protected", Some(&bearer(&refresh)))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"msg": "Only non-refresh tokens are allowed"})
        )
    );
    let req = Request::post("/refresh")
        .header("authorization", bearer(&access))
        .body(Body::empty())
        .unwrap();
    let (s, _, b) = call(&app, req).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"msg": "Only refresh tokens are allowed"})
        )
    );
    let req = Request::post("/refresh")
        .header("authorization", bearer(&refresh))
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&app, req).await.0, StatusCode::OK);
    for (t, ty) in [(&access, "access"), (&refresh, "refresh")] {
        let (s, _, b) = call(&app, get_with("/any", Some(&bearer(t)))).await;
        assert_eq!((s, b), (StatusCode::OK, json!(ty)));
    }
    // A foreign type passes as access, and is not a refresh token.
    let app_type = sign_claims(&json!({"sub": "a", "type": "app", "exp": NOW + 60, "jti": "x"}));
    assert_eq!(
        call(&app, get_with("/protected", Some(&bearer(&app_type))))
            .await
            .0,
        StatusCode::OK
    );
    let req = Request::post("/refresh")
        .header("authorization", bearer(&app_type))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        call(&app, req).await.2,
        json!({"msg": "Only refresh tokens are allowed"})
    );
}

#[tokio::test]
async fn scenarios_36_to_38_freshness() {
    let (m, clock) = manager();
    let app = router(&m);
    let stale = m.create_access_token("a").unwrap();
    let (s, h, b) = call(&app, get_with("/fresh", Some(&bearer(&stale)))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNAUTHORIZED,
            json!({"msg": "Fresh token required"})
        )
    );
    assert_eq!(h["www-authenticate"], "Bearer");
    let fresh5 = m
        .access_token("a")
        .fresh_for(time::Duration::minutes(5))
        .create()
        .unwrap();
    assert_eq!(
        call(&app, get_with("/fresh", Some(&bearer(&fresh5))))
            .await
            .0,
        StatusCode::OK
    );
    let past = m
        .access_token("a")
        .fresh_for(time::Duration::minutes(-1))
        .create()
        .unwrap();
    assert_eq!(
        call(&app, get_with("/fresh", Some(&bearer(&past)))).await.0,
        StatusCode::UNAUTHORIZED
    );
    clock.advance(StdDuration::from_secs(301));
    assert_eq!(
        call(&app, get_with("/fresh", Some(&bearer(&fresh5))))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let refresh = m.create_refresh_token("a").unwrap();
    let (s, _, b) = call(&app, get_with("/fresh", Some(&bearer(&refresh)))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"msg": "Only non-refresh tokens are allowed"})
        )
    );
    for fresh in [json!("true"), json!(null), json!(1)] {
        let t = sign_claims(&json!({"sub": "a", "fresh": fresh, "exp": NOW + 100_000, "jti": "x"}));
        let (s, _, b) = call(&app, get_with("/fresh", Some(&bearer(&t)))).await;
        assert_eq!(
            (s, b),
            (
                StatusCode::UNAUTHORIZED,
                json!({"msg": "Fresh token required"})
            )
        );
    }
}

#[tokio::test]
async fn expired_token_is_401() {
    let (m, clock) = manager();
    let t = m.create_access_token("a").unwrap();
    clock.advance(StdDuration::from_secs(900));
    let (s, h, b) = call(&router(&m), get_with("/protected", Some(&bearer(&t)))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNAUTHORIZED,
            json!({"msg": "Token has expired"})
        )
    );
    assert_eq!(h["www-authenticate"], "Bearer");
}

// ---- optional routes (39–41) ---------------------------------------------------------

#[tokio::test]
async fn scenarios_39_to_41_optional() {
    let (m, clock) = manager();
    let app = router(&m);
    for path in ["/optional", "/option"] {
        let (s, _, b) = call(&app, get_with(path, None)).await;
        assert_eq!((s, b), (StatusCode::OK, json!({"sub": null})));
        let (s, _, b) = call(&app, get_with(path, Some("Basic x"))).await;
        assert_eq!((s, b), (StatusCode::OK, json!({"sub": null})));
        let t = m.create_access_token("a").unwrap();
        let (s, _, b) = call(&app, get_with(path, Some(&bearer(&t)))).await;
        assert_eq!((s, b), (StatusCode::OK, json!({"sub": "a"})));
        let r = m.create_refresh_token("a").unwrap();
        let (s, _, b) = call(&app, get_with(path, Some(&bearer(&r)))).await;
        assert_eq!(
            (s, b),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"msg": "Only non-refresh tokens are allowed"})
            )
        );
        let (s, _, _) = call(&app, get_with(path, Some("Bearer garbage"))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let t = m.create_access_token("a").unwrap();
    clock.advance(StdDuration::from_secs(1000));
    assert_eq!(
        call(&app, get_with("/optional", Some(&bearer(&t)))).await.0,
        StatusCode::UNAUTHORIZED
    );
}

// ---- callbacks (43–46) -----------------------------------------------------------------

#[derive(Clone)]
struct Recorder(Arc<Mutex<Vec<&'static str>>>);

impl Recorder {
    fn push(&self, s: &'static str) {
        self.0.lock().unwrap().push(s);
    }
    fn take(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

struct Lookup(Recorder, bool);

#[async_trait::async_trait]
impl UserLoader for Lookup {
    type User = String;
    async fn load_user(&self, token: &DecodedToken) -> Result<Option<String>, BoxError> {
        self.0.push("lookup");
        Ok(self
            .1
            .then(|| format!("user-{}", token.subject().unwrap_or_default())))
    }
}

fn recording(
    clock: &jwt_extended::clock::MockClock,
    rec: &Recorder,
    revoked: bool,
    claims_ok: bool,
    user: bool,
) -> JwtManagerBuilder {
    let (r1, r2) = (rec.clone(), rec.clone());
    builder(clock)
        .blocklist(move |_: &DecodedToken| {
            r1.push("blocklist");
            revoked
        })
        .claims_verifier(move |_: &DecodedToken| {
            r2.push("verify");
            claims_ok
        })
        .user_loader(Lookup(rec.clone(), user))
}

#[tokio::test]
async fn scenarios_43_to_46_callbacks_in_order() {
    let clock = clock();
    let rec = Recorder(Arc::default());
    let m = recording(&clock, &rec, false, true, true).build().unwrap();
    let app = router(&m);
    let t = m.create_access_token("username").unwrap();
    let (s, _, b) = call(&app, get_with("/user", Some(&bearer(&t)))).await;
    assert_eq!((s, b), (StatusCode::OK, json!("user-username")));
    assert_eq!(rec.take(), ["blocklist", "verify", "lookup"]);

    // Revoked: 401, and nothing after the blocklist runs.
    let m = recording(&clock, &rec, true, true, true).build().unwrap();
    let (s, _, b) = call(&router(&m), get_with("/protected", Some(&bearer(&t)))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNAUTHORIZED,
            json!({"msg": "Token has been revoked"})
        )
    );
    assert_eq!(rec.take(), ["blocklist"]);

    // Claims verification fails: 400 on required, fresh and optional routes.
    let m = recording(&clock, &rec, false, false, true).build().unwrap();
    let fresh = m.access_token("username").fresh(true).create().unwrap();
    for path in ["/protected", "/fresh", "/optional"] {
        let (s, _, b) = call(&router(&m), get_with(path, Some(&bearer(&fresh)))).await;
        assert_eq!(
            (s, b),
            (
                StatusCode::BAD_REQUEST,
                json!({"msg": "User claims verification failed"})
            ),
            "{path}"
        );
    }
    rec.take();

    // No user: 401 Error loading the user <id>.
    let m = recording(&clock, &rec, false, true, false).build().unwrap();
    let (s, _, b) = call(&router(&m), get_with("/protected", Some(&bearer(&t)))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNAUTHORIZED,
            json!({"msg": "Error loading the user username"})
        )
    );
    rec.take();

    // Expired: no callback runs at all.
    let m = recording(&clock, &rec, true, false, false).build().unwrap();
    let old = m
        .access_token("username")
        .expires_in(time::Duration::seconds(-1))
        .create()
        .unwrap();
    let (s, _, b) = call(&router(&m), get_with("/protected", Some(&bearer(&old)))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNAUTHORIZED,
            json!({"msg": "Token has expired"})
        )
    );
    assert!(rec.take().is_empty());

    // Optional route without a token: the lookup is not called.
    let m = recording(&clock, &rec, false, true, true).build().unwrap();
    assert_eq!(
        call(&router(&m), get_with("/optional", None)).await.0,
        StatusCode::OK
    );
    assert!(rec.take().is_empty());

    // Revoked and not fresh on a fresh route: freshness is checked first.
    let m = recording(&clock, &rec, true, true, true).build().unwrap();
    let (_, _, b) = call(&router(&m), get_with("/fresh", Some(&bearer(&t)))).await;
    assert_eq!(b, json!({"msg": "Fresh token required"}));
}

#[tokio::test]
async fn a_request_is_verified_once_for_several_guards() {
    let clock = clock();
    let rec = Recorder(Arc::default());
    let m = recording(&clock, &rec, false, true, true).build().unwrap();
    let t = m.access_token("a").fresh(true).create().unwrap();
    let (s, _, b) = call(&router(&m), get_with("/two-guards", Some(&bearer(&t)))).await;
    assert_eq!((s, b), (StatusCode::OK, json!("a a")));
    assert_eq!(rec.take(), ["blocklist", "verify", "lookup"]);
}

struct FailingLookup;

#[async_trait::async_trait]
impl UserLoader for FailingLookup {
    type User = String;
    async fn load_user(&self, _: &DecodedToken) -> Result<Option<String>, BoxError> {
        Err("database down".into())
    }
}

struct FailingBlocklist;

#[async_trait::async_trait]
impl jwt_extended::callbacks::Blocklist for FailingBlocklist {
    async fn is_revoked(&self, _: &DecodedToken) -> Result<bool, BoxError> {
        Err("store down".into())
    }
}

#[tokio::test]
async fn failing_stores_fail_closed_with_503() {
    let clock = clock();
    for m in [
        builder(&clock).user_loader(FailingLookup).build().unwrap(),
        builder(&clock)
            .blocklist_loader(FailingBlocklist)
            .build()
            .unwrap(),
    ] {
        let t = m.create_access_token("a").unwrap();
        let (s, _, b) = call(&router(&m), get_with("/protected", Some(&bearer(&t)))).await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            !b.to_string().contains("down"),
            "the cause is not sent: {b}"
        );
    }
}

#[tokio::test]
async fn current_user_without_loader_is_a_500_hint() {
    let (m, _) = manager();
    let app = router(&m);
    let t = m.create_access_token("a").unwrap();
    let (s, _, b) = call(&app, get_with("/user", Some(&bearer(&t)))).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(b["msg"].as_str().unwrap().contains("UserLoader"));
}

// ---- layer, OPTIONS, misconfiguration (68) -----------------------------------------------

#[tokio::test]
async fn scenario_68_options_passes_without_identity() {
    let (m, _) = manager();
    let app = router(&m);
    let req = Request::options("/layered").body(Body::empty()).unwrap();
    let (s, _, b) = call(&app, req).await;
    assert_eq!(
        (s, b),
        (StatusCode::OK, json!({"sub": null, "method": "OPTIONS"}))
    );
    let (s, _, _) = call(&app, get_with("/layered", None)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let t = m.create_access_token("a").unwrap();
    let (s, _, b) = call(&app, get_with("/layered", Some(&bearer(&t)))).await;
    assert_eq!(
        (s, b),
        (StatusCode::OK, json!({"sub": "a", "method": "GET"}))
    );
}

#[tokio::test]
async fn guard_without_layer_is_500_with_a_hint() {
    let app = Router::new().route("/protected", get(whoami));
    let (s, _, b) = call(&app, get_with("/protected", None)).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(b["msg"].as_str().unwrap().contains("JwtLayer"), "{b}");
}

#[tokio::test]
async fn rfc6750_style_is_one_call_away() {
    let clock = clock();
    let m = builder(&clock)
        .error_style(ErrorStyle::Rfc6750)
        .build()
        .unwrap();
    let app = router(&m);
    let (s, h, _) = call(&app, get_with("/protected", Some("Bearer xxx"))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        h["www-authenticate"],
        "Bearer error=\"invalid_token\", error_description=\"Not enough segments\""
    );
    let r = m.create_refresh_token("a").unwrap();
    let (s, h, _) = call(&app, get_with("/protected", Some(&bearer(&r)))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        h["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
}

#[tokio::test]
async fn typed_claims_in_guards() {
    #[derive(serde::Deserialize, Debug, Clone)]
    struct Claims {
        sub: String,
        role: String,
    }
    let (m, _) = manager();
    let app = Router::new()
        .route(
            "/typed",
            get(|j: JwtRequired<Claims>| async move {
                format!("{}:{}", j.claims().sub, j.claims().role)
            }),
        )
        .layer(m.layer());
    let t = m.access_token("a").claim("role", "admin").create().unwrap();
    let (s, _, b) = call(&app, get_with("/typed", Some(&bearer(&t)))).await;
    assert_eq!((s, b), (StatusCode::OK, json!("a:admin")));
    let t = m.create_access_token("a").unwrap();
    let (s, _, b) = call(&app, get_with("/typed", Some(&bearer(&t)))).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"msg": "Token claims do not match the expected format"})
        )
    );
}

#[tokio::test]
async fn route_layer_claim_requirement_is_403() {
    let (m, _) = manager();
    let app = Router::new()
        .route(
            "/admin",
            get(|_: JwtRequired| async { "admin ok" }).route_layer(
                RequireJwtLayer::access(&m).require_claim(
                    "roles",
                    |v| {
                        v.and_then(Value::as_array)
                            .is_some_and(|r| r.contains(&json!("admin")))
                    },
                    "Admins only!",
                ),
            ),
        )
        .layer(m.layer());
    let user = m
        .access_token("u")
        .claim("roles", ["user"])
        .create()
        .unwrap();
    let (s, _, b) = call(&app, get_with("/admin", Some(&bearer(&user)))).await;
    assert_eq!(
        (s, b),
        (StatusCode::FORBIDDEN, json!({"msg": "Admins only!"}))
    );
    let none = m.create_access_token("u").unwrap();
    assert_eq!(
        call(&app, get_with("/admin", Some(&bearer(&none)))).await.0,
        StatusCode::FORBIDDEN
    );
    let admin = m
        .access_token("u")
        .claim("roles", ["user", "admin"])
        .create()
        .unwrap();
    assert_eq!(
        call(&app, get_with("/admin", Some(&bearer(&admin))))
            .await
            .0,
        StatusCode::OK
    );
}

// ---- a real server on a loopback port --------------------------------------------------

#[tokio::test]
async fn through_a_real_axum_server() {
    let m = JwtManager::builder().secret(SECRET).build().unwrap();
    let app = router(&m);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let url = |p: &str| format!("http://{addr}{p}");
    let res = client.get(url("/protected")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"msg": "Missing Authorization Header"})
    );
    let t = m.access_token("alice").fresh(true).create().unwrap();
    let res = client
        .get(url("/protected"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"sub": "alice", "location": "headers"})
    );
    let res = client
        .get(url("/fresh"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client
        .get(url("/protected"))
        .header("authorization", "Bearer a.b.c.d")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    server.abort();
}

/// The `iat`, `nbf` and `exp` checks have one order (`iat`, then `nbf`, then `exp`), whether
/// a token is verified in full (its first request, or a token the cache never keeps) or
/// found in the verified-token cache (a repeated request): the answers of a manager with the
/// cache equal those of one without, request after request.
#[tokio::test]
async fn time_checks_keep_their_order_on_cache_hits_and_misses() {
    let (cached, clock) = manager();
    let uncached = builder(&clock).token_cache_capacity(0).build().unwrap();
    let apps = [router(&cached), router(&uncached)];
    let protected = |token: &str| get_with("/protected", Some(&bearer(token)));
    let msg = |answer: (StatusCode, http::HeaderMap, Value)| {
        (
            answer.0,
            answer.2["msg"].as_str().unwrap_or("<none>").to_owned(),
        )
    };
    let immature = (
        StatusCode::UNPROCESSABLE_ENTITY,
        "The token is not yet valid (iat)".to_owned(),
    );

    // Miss: a token issued in the future that has expired already is refused for `iat`, on
    // the first request and on every repeated one.
    let both = sign_claims(&json!({
        "sub": "alice", "jti": "j-1", "type": "access", "fresh": false,
        "iat": NOW + 60, "nbf": NOW + 60, "exp": NOW - 60,
    }));
    for app in &apps {
        for _ in 0..3 {
            assert_eq!(msg(call(app, protected(&both)).await), immature);
        }
    }

    // Hit: a token verified once (and kept), then sent with the clock set back before its
    // `iat` and `nbf`, is refused for `iat` too, as a full verification refuses it.
    let token = cached.create_access_token("alice").unwrap();
    for app in &apps {
        assert_eq!(call(app, protected(&token)).await.0, StatusCode::OK);
    }
    clock.set(StdDuration::from_secs(NOW - 60));
    for app in &apps {
        for _ in 0..2 {
            assert_eq!(msg(call(app, protected(&token)).await), immature);
        }
    }

    // And past `exp`, both answer "expired", then again (the cache drops the entry).
    clock.set(StdDuration::from_secs(NOW + 15 * 60));
    for app in &apps {
        for _ in 0..2 {
            assert_eq!(
                msg(call(app, protected(&token)).await),
                (StatusCode::UNAUTHORIZED, "Token has expired".to_owned())
            );
        }
    }
}

/// A token in the verified-token cache is found by the `Authorization` header's bytes as
/// sent; a header that only contains such a token (more words, more tokens, other bytes
/// around it, two header lines) is read as a full reading reads it: the answers of a
/// manager with the cache, where the token is kept, equal those of one without.
#[tokio::test]
async fn a_cached_token_inside_another_header_value_is_no_hit() {
    let (cached, clock) = manager();
    let uncached = builder(&clock).token_cache_capacity(0).build().unwrap();
    let token = cached.create_access_token("alice").unwrap();
    let apps = [router(&cached), router(&uncached)];
    for app in &apps {
        for _ in 0..2 {
            let answer = call(app, get_with("/protected", Some(&bearer(&token)))).await;
            assert_eq!(answer.0, StatusCode::OK);
        }
    }
    let values = [
        format!("Bearer {token}x"),
        format!("Bearer {token} "),
        format!("Bearer {token} {token}"),
        format!("Bearer {token}, Bearer {token}"),
        format!("Bearer {token},"),
        format!("Bearer  {token}"),
        format!("Bearer\t{token}"),
        format!("Basic {token}"),
        format!("bearer {token}"),
        format!("Bearer {}", &token[..token.len() - 1]),
    ];
    for value in &values {
        let [with, without] = [&apps[0], &apps[1]].map(|app| {
            let req = get_with("/protected", Some(value));
            async move {
                let (status, _, body) = call(app, req).await;
                (status, body)
            }
        });
        assert_eq!(with.await, without.await, "{value:?}");
    }
    // Two header lines, each the cached token: read together, so neither is picked.
    let two = || {
        Request::get("/protected")
            .header("authorization", bearer(&token))
            .header("authorization", bearer(&token))
            .body(Body::empty())
            .unwrap()
    };
    let (status, _, body) = call(&apps[0], two()).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (StatusCode::UNAUTHORIZED, Some(MISSING_TYPE))
    );
    assert_eq!(call(&apps[1], two()).await.2, body);
}

/// The guards' futures stay small. axum moves a handler's future, which holds the guard's,
/// on every request, and the guard's first version held the key fetch of an external
/// issuer and the id buffers of a remote store's check inline (1 152 bytes): those rare
/// paths are boxed, and the common path pays for the bytes it uses. The bound leaves room
/// for compiler versions.
#[test]
fn guard_futures_stay_small() {
    const MAX: usize = 768;
    // Takes the future (and drops it), so that each guard can borrow the parts in turn.
    fn size<F: std::future::Future>(future: F) -> usize {
        std::mem::size_of_val(&future)
    }
    let mut parts = Request::new(()).into_parts().0;
    let sizes = [
        ("JwtRequired", size(JwtRequired::from_parts(&mut parts))),
        (
            "FreshJwtRequired",
            size(FreshJwtRequired::from_parts(&mut parts)),
        ),
        (
            "RefreshJwtRequired",
            size(RefreshJwtRequired::from_parts(&mut parts)),
        ),
        ("OptionalJwt", size(OptionalJwt::from_parts(&mut parts))),
    ];
    for (guard, size) in sizes {
        assert!(
            size <= MAX,
            "{guard}'s future is {size} bytes (at most {MAX})"
        );
    }
}
