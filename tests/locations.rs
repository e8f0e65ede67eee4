//! Token locations through real service calls and a real server: cookies with double-submit
//! CSRF, the query string, the JSON body, several locations in order, the cookie helpers and
//! implicit refresh (reference §5.1 lines 47–67; security cases 39–49).

mod common;

use std::time::Duration as StdDuration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::routing::{get, post};
use common::*;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use jwt_extended::{
    CookieOptions, CookieOverrides, ImplicitRefreshLayer, JwtBodyLayer, JwtManager,
    JwtManagerBuilder, JwtRequired, OptionalJwt, RefreshJwtRequired, SameSite, TokenLocation,
    clock::Clock, store::MemoryStore,
};
use serde_json::{Value, json};
use tower::ServiceExt;

use TokenLocation::{Cookies, Headers, Json, QueryString};

async fn whoami(jwt: JwtRequired) -> axum::Json<Value> {
    axum::Json(json!({ "sub": jwt.identity(), "location": jwt.location().as_str() }))
}

fn router(m: &JwtManager) -> Router {
    Router::new()
        .route(
            "/protected",
            get(whoami)
                .post(whoami)
                .put(whoami)
                .patch(whoami)
                .delete(whoami),
        )
        .route(
            "/refresh",
            post(|j: RefreshJwtRequired| async move { axum::Json(json!({ "sub": j.identity() })) }),
        )
        .route(
            "/optional",
            post(|j: OptionalJwt| async move { axum::Json(json!({ "sub": j.identity() })) }),
        )
        .route(
            "/echo",
            post(|j: JwtRequired, body: String| async move {
                format!("{}:{body}", j.subject().unwrap_or(""))
            }),
        )
        .route(
            "/headers-only",
            get(whoami).route_layer(m.layer().locations([Headers])),
        )
        .route(
            "/logout",
            post(|State(m): State<JwtManager>| async move { (m.unset_jwt_cookies(), "bye") }),
        )
        .with_state(m.clone())
        .layer(JwtBodyLayer::new())
        .layer(m.layer())
}

fn cookie_manager(clock: &jwt_extended::clock::MockClock) -> JwtManagerBuilder {
    builder(clock).token_locations([Cookies])
}

struct Req {
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Body,
}

fn req(method: Method, path: &str) -> Req {
    Req {
        method,
        path: path.into(),
        headers: Vec::new(),
        body: Body::empty(),
    }
}

impl Req {
    fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
    fn cookie(self, k: &str, v: &str) -> Self {
        self.header("cookie", &format!("{k}={v}"))
    }
    fn body(mut self, content_type: &str, body: &str) -> Self {
        self.body = Body::from(body.to_owned());
        self.header("content-type", content_type)
    }
    async fn send(self, app: &Router) -> (StatusCode, Value) {
        let mut b = Request::builder().method(self.method).uri(self.path);
        for (k, v) in &self.headers {
            b = b.header(k, v);
        }
        let res = app
            .clone()
            .oneshot(b.body(self.body).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, body)
    }
}

fn msg(status: u16, m: &str) -> (StatusCode, Value) {
    (StatusCode::from_u16(status).unwrap(), json!({ "msg": m }))
}

fn ok(sub: &str, location: &str) -> (StatusCode, Value) {
    (StatusCode::OK, json!({ "sub": sub, "location": location }))
}

fn csrf_of(m: &JwtManager, token: &str) -> String {
    m.decode_token(token).unwrap().csrf().unwrap().to_owned()
}

// ---- cookies and CSRF (47–58) -----------------------------------------------------------

#[tokio::test]
async fn scenarios_47_48_cookie_present_or_missing() {
    let clock = clock();
    let m = cookie_manager(&clock).build().unwrap();
    let app = router(&m);
    assert_eq!(
        req(Method::GET, "/protected").send(&app).await,
        msg(401, "Missing cookie \"access_token_cookie\"")
    );
    assert_eq!(
        req(Method::POST, "/refresh").send(&app).await,
        msg(401, "Missing cookie \"refresh_token_cookie\"")
    );
    assert_eq!(
        req(Method::GET, "/protected")
            .cookie("access_token_cookie", "")
            .send(&app)
            .await,
        msg(401, "Missing cookie \"access_token_cookie\"")
    );
    let t = m.create_access_token("a").unwrap();
    assert_eq!(
        req(Method::GET, "/protected")
            .cookie("access_token_cookie", &t)
            .send(&app)
            .await,
        ok("a", "cookies")
    );
    assert_eq!(
        req(Method::HEAD, "/protected")
            .cookie("access_token_cookie", &t)
            .send(&app)
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn scenarios_49_50_csrf_on_unsafe_methods() {
    let clock = clock();
    let m = cookie_manager(&clock).build().unwrap();
    let app = router(&m);
    let t = m.create_access_token("a").unwrap();
    let csrf = csrf_of(&m, &t);
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        assert_eq!(
            req(method.clone(), "/protected")
                .cookie("access_token_cookie", &t)
                .send(&app)
                .await,
            msg(401, "Missing CSRF token")
        );
        assert_eq!(
            req(method.clone(), "/protected")
                .cookie("access_token_cookie", &t)
                .header("X-CSRF-TOKEN", "")
                .send(&app)
                .await,
            msg(401, "Missing CSRF token")
        );
        assert_eq!(
            req(method.clone(), "/protected")
                .cookie("access_token_cookie", &t)
                .header("X-CSRF-TOKEN", "wrong")
                .send(&app)
                .await,
            msg(401, "CSRF double submit tokens do not match")
        );
        assert_eq!(
            req(method, "/protected")
                .cookie("access_token_cookie", &t)
                .header("X-CSRF-TOKEN", &csrf)
                .send(&app)
                .await,
            ok("a", "cookies")
        );
    }
    // The CSRF cookie is never the reference: an attacker who plants one gains nothing.
    let r = req(Method::POST, "/protected")
        .header(
            "cookie",
            &format!("access_token_cookie={t}; csrf_access_token=evil"),
        )
        .header("X-CSRF-TOKEN", "evil");
    assert_eq!(
        r.send(&app).await,
        msg(401, "CSRF double submit tokens do not match")
    );
    // A method-override header does not turn a POST into a GET.
    let r = req(Method::POST, "/protected")
        .cookie("access_token_cookie", &t)
        .header("X-HTTP-Method-Override", "GET");
    assert_eq!(r.send(&app).await, msg(401, "Missing CSRF token"));
}

#[tokio::test]
async fn scenario_51_refresh_uses_its_own_csrf() {
    let clock = clock();
    let m = cookie_manager(&clock)
        .cookies(CookieOptions {
            refresh_csrf_header_name: "X-CSRF-REFRESH".into(),
            ..CookieOptions::default()
        })
        .build()
        .unwrap();
    let app = router(&m);
    let r = m.create_refresh_token("a").unwrap();
    let csrf = csrf_of(&m, &r);
    let base = || req(Method::POST, "/refresh").cookie("refresh_token_cookie", &r);
    assert_eq!(
        base().header("X-CSRF-TOKEN", &csrf).send(&app).await,
        msg(401, "Missing CSRF token")
    );
    assert_eq!(
        base().header("X-CSRF-REFRESH", &csrf).send(&app).await,
        (StatusCode::OK, json!({"sub": "a"}))
    );
    // An access token's CSRF value does not pass for the refresh token.
    let a = m.create_access_token("a").unwrap();
    assert_eq!(
        base()
            .header("X-CSRF-REFRESH", &csrf_of(&m, &a))
            .send(&app)
            .await,
        msg(401, "CSRF double submit tokens do not match")
    );
}

#[tokio::test]
async fn scenario_52_custom_csrf_methods() {
    let clock = clock();
    let m = cookie_manager(&clock)
        .cookies(CookieOptions {
            csrf_methods: vec!["GET".into()],
            ..CookieOptions::default()
        })
        .build()
        .unwrap();
    let app = router(&m);
    let t = m.create_access_token("a").unwrap();
    assert_eq!(
        req(Method::POST, "/protected")
            .cookie("access_token_cookie", &t)
            .send(&app)
            .await,
        ok("a", "cookies")
    );
    assert_eq!(
        req(Method::GET, "/protected")
            .cookie("access_token_cookie", &t)
            .send(&app)
            .await,
        msg(401, "Missing CSRF token")
    );
}

#[tokio::test]
async fn scenario_53_csrf_form_field() {
    let clock = clock();
    let m = cookie_manager(&clock)
        .cookies(CookieOptions {
            csrf_check_form: true,
            ..CookieOptions::default()
        })
        .build()
        .unwrap();
    let app = router(&m);
    let t = m.create_access_token("a").unwrap();
    let csrf = csrf_of(&m, &t);
    let form = "application/x-www-form-urlencoded";
    let base = || req(Method::POST, "/echo").cookie("access_token_cookie", &t);
    let (s, b) = base()
        .body(form, &format!("csrf_token={csrf}&x=1"))
        .send(&app)
        .await;
    assert_eq!(
        (s, b),
        (StatusCode::OK, json!(format!("a:csrf_token={csrf}&x=1"))),
        "the handler still gets the body"
    );
    assert_eq!(
        base()
            .header("X-CSRF-TOKEN", &csrf)
            .body(form, "csrf_token=wrong")
            .send(&app)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        base()
            .header("X-CSRF-TOKEN", "wrong")
            .body(form, &format!("csrf_token={csrf}"))
            .send(&app)
            .await,
        msg(401, "CSRF double submit tokens do not match")
    );
    assert_eq!(
        base().body(form, "x=1").send(&app).await,
        msg(401, "Missing CSRF token")
    );
}

#[tokio::test]
async fn scenario_54_csrf_off() {
    let clock = clock();
    let m = cookie_manager(&clock).csrf_protect(false).build().unwrap();
    let app = router(&m);
    let t = m.create_access_token("a").unwrap();
    assert!(m.decode_token(&t).unwrap().csrf().is_none());
    assert_eq!(
        req(Method::POST, "/protected")
            .cookie("access_token_cookie", &t)
            .send(&app)
            .await,
        ok("a", "cookies")
    );
    assert_eq!(m.access_cookies(&t).unwrap().values().len(), 1);
    assert_eq!(m.unset_jwt_cookies().values().len(), 2);
}

#[tokio::test]
async fn scenario_55_token_without_csrf_claim() {
    let clock = clock();
    let m = cookie_manager(&clock).build().unwrap();
    let t = sign_claims(&json!({"sub": "a", "exp": NOW + 60, "jti": "j"}));
    let r = req(Method::POST, "/protected")
        .cookie("access_token_cookie", &t)
        .header("X-CSRF-TOKEN", "x");
    assert_eq!(r.send(&router(&m)).await, msg(422, "Missing claim: csrf"));
}

#[test]
fn scenarios_56_57_cookie_attributes() {
    let clock = clock();
    let m = builder(&clock).build().unwrap();
    let t = m.create_access_token("a").unwrap();
    let cookies = m.access_cookies(&t).unwrap();
    let v: Vec<&str> = cookies
        .values()
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(v[0], format!("access_token_cookie={t}; HttpOnly; Path=/"));
    assert_eq!(
        v[1],
        format!("csrf_access_token={}; Path=/", csrf_of(&m, &t))
    );

    let m = builder(&clock)
        .cookies(CookieOptions {
            secure: true,
            domain: Some(".example.com".into()),
            same_site: Some(SameSite::Strict),
            session_cookie: false,
            ..CookieOptions::default()
        })
        .build()
        .unwrap();
    let t = m.create_access_token("a").unwrap();
    for v in m.access_cookies(&t).unwrap().values() {
        let v = v.to_str().unwrap();
        for attr in [
            "Secure",
            "SameSite=Strict",
            "Domain=example.com",
            "Max-Age=31540000",
            "Expires=Sat, 15 Jan 2028 09:06:40 GMT",
        ] {
            assert!(v.contains(attr), "{v} lacks {attr}");
        }
    }
    let o = CookieOverrides::default()
        .max_age(time::Duration::seconds(60))
        .domain("other.org");
    for v in m
        .refresh_cookies_with(&m.create_refresh_token("a").unwrap(), &o)
        .unwrap()
        .values()
    {
        let v = v.to_str().unwrap();
        assert!(
            v.contains("Max-Age=60") && v.contains("Domain=other.org"),
            "{v}"
        );
    }
    for v in m.unset_jwt_cookies_with("other.org").values() {
        assert!(v.to_str().unwrap().contains("Domain=other.org"));
    }
    // CHIPS.
    let m = builder(&clock)
        .cookies(CookieOptions {
            secure: true,
            partitioned: true,
            ..CookieOptions::default()
        })
        .build()
        .unwrap();
    let t = m.create_access_token("a").unwrap();
    assert!(
        m.access_cookies(&t).unwrap().values()[0]
            .to_str()
            .unwrap()
            .contains("Partitioned")
    );
    // A bad token is refused, not written.
    assert!(m.access_cookies("garbage").is_err());
}

#[tokio::test]
async fn scenario_58_unset_clears_four_cookies() {
    let clock = clock();
    let m = cookie_manager(&clock).build().unwrap();
    let res = router(&m)
        .oneshot(Request::post("/logout").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(cookies.len(), 4);
    for (c, name) in cookies.iter().zip([
        "access_token_cookie",
        "csrf_access_token",
        "refresh_token_cookie",
        "csrf_refresh_token",
    ]) {
        assert!(c.starts_with(&format!("{name}=;")), "{c}");
        assert!(c.contains("Expires=Thu, 01 Jan 1970 00:00:00 GMT"), "{c}");
    }
}

// ---- query string and JSON (59–63) ------------------------------------------------------

#[tokio::test]
async fn scenarios_59_60_query_string() {
    let clock = clock();
    let m = builder(&clock)
        .token_locations([QueryString])
        .build()
        .unwrap();
    let app = router(&m);
    let t = m.create_access_token("a").unwrap();
    assert_eq!(
        req(Method::GET, &format!("/protected?jwt={t}"))
            .send(&app)
            .await,
        ok("a", "query_string")
    );
    assert_eq!(
        req(Method::GET, "/protected").send(&app).await,
        msg(401, "Missing 'jwt' query paramater")
    );
    assert_eq!(
        req(Method::GET, "/protected?jwt=").send(&app).await,
        msg(401, "Missing 'jwt' query paramater")
    );
    for bad in ["%FF", "%ZZ", "%00", "a+b", "x.y.z"] {
        assert_eq!(
            req(Method::GET, &format!("/protected?jwt={bad}"))
                .send(&app)
                .await
                .0,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}"
        );
    }
    assert_eq!(
        req(Method::GET, &format!("/protected?jwt={t}&jwt=garbage"))
            .send(&app)
            .await,
        ok("a", "query_string")
    );

    let m = builder(&clock)
        .token_locations([QueryString])
        .query_string_value_prefix("bearer ")
        .build()
        .unwrap();
    let app = router(&m);
    assert_eq!(
        req(Method::GET, &format!("/protected?jwt=bearer+{t}"))
            .send(&app)
            .await,
        ok("a", "query_string")
    );
    assert_eq!(
        req(Method::GET, &format!("/protected?jwt={t}"))
            .send(&app)
            .await,
        msg(
            422,
            "Invalid value for query parameter 'jwt'. Expected the value to start with 'bearer '"
        )
    );
}

#[tokio::test]
async fn scenarios_61_to_63_json_body() {
    let clock = clock();
    let m = builder(&clock).token_locations([Json]).build().unwrap();
    let app = router(&m);
    let t = m.create_access_token("a").unwrap();
    let post = || req(Method::POST, "/protected");
    assert_eq!(
        post()
            .body("application/x-www-form-urlencoded", "access_token=x")
            .send(&app)
            .await,
        msg(401, "Invalid content-type. Must be application/json.")
    );
    assert_eq!(
        post().send(&app).await,
        msg(401, "Invalid content-type. Must be application/json.")
    );
    for body in [
        "",
        "{",
        "[]",
        "[1]",
        "\"x\"",
        "{\"other\": 1}",
        "{\"access_token\": 5}",
        "{\"access_token\": \"\"}",
    ] {
        assert_eq!(
            post().body("application/json", body).send(&app).await,
            msg(401, "Missing \"access_token\" key in json data."),
            "{body}"
        );
    }
    let body = json!({ "access_token": t }).to_string();
    assert_eq!(
        post().body("application/json", &body).send(&app).await,
        ok("a", "json")
    );
    assert_eq!(
        post()
            .body("application/json;charset=UTF-8", &body)
            .send(&app)
            .await,
        ok("a", "json")
    );
    // The handler still reads the whole body.
    let (s, b) = req(Method::POST, "/echo")
        .body("application/json", &body)
        .send(&app)
        .await;
    assert_eq!((s, b), (StatusCode::OK, json!(format!("a:{body}"))));
    // Refresh tokens under their own key.
    let r = m.create_refresh_token("a").unwrap();
    let (s, _) = req(Method::POST, "/refresh")
        .body(
            "application/json",
            &json!({ "refresh_token": r }).to_string(),
        )
        .send(&app)
        .await;
    assert_eq!(s, StatusCode::OK);
    // Too large a body.
    let big = format!("{{\"access_token\": \"{}\"}}", "a".repeat(70_000));
    assert_eq!(
        post().body("application/json", &big).send(&app).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn json_location_without_body_layer_is_a_500_hint() {
    let clock = clock();
    let m = builder(&clock).token_locations([Json]).build().unwrap();
    let app = Router::new().route("/p", post(whoami)).layer(m.layer());
    let (s, b) = req(Method::POST, "/p")
        .body("application/json", "{}")
        .send(&app)
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(b["msg"].as_str().unwrap().contains("JwtBodyLayer"));
}

// ---- several locations (64–67) -----------------------------------------------------------

#[tokio::test]
async fn scenario_64_missing_everywhere() {
    let clock = clock();
    let m = builder(&clock)
        .token_locations([Headers, Cookies, QueryString, Json])
        .build()
        .unwrap();
    assert_eq!(
        req(Method::GET, "/protected").send(&router(&m)).await,
        msg(
            401,
            "Missing JWT in headers, cookies, query_string or json (Missing Authorization Header; Missing cookie \"access_token_cookie\"; Missing 'jwt' query paramater; Invalid content-type. Must be application/json.)"
        )
    );
}

#[tokio::test]
async fn scenarios_65_66_order_and_errors_stop_the_search() {
    let clock = clock();
    let t = {
        let m = builder(&clock).build().unwrap();
        m.create_access_token("a").unwrap()
    };
    let m = builder(&clock)
        .token_locations([Headers, Cookies])
        .build()
        .unwrap();
    let r = || {
        req(Method::GET, "/protected")
            .header("authorization", "Bearer garbage")
            .cookie("access_token_cookie", &t)
    };
    assert_eq!(
        r().send(&router(&m)).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let m = builder(&clock)
        .token_locations([Cookies, Headers])
        .build()
        .unwrap();
    assert_eq!(r().send(&router(&m)).await, ok("a", "cookies"));
    // A cookie failing CSRF is not skipped for a valid header.
    let r = req(Method::POST, "/protected")
        .cookie("access_token_cookie", &t)
        .header("authorization", &format!("Bearer {t}"));
    assert_eq!(r.send(&router(&m)).await, msg(401, "Missing CSRF token"));
    // Missing moves on.
    let r = req(Method::GET, "/protected").header("authorization", &format!("Bearer {t}"));
    assert_eq!(r.send(&router(&m)).await, ok("a", "headers"));
}

#[tokio::test]
async fn scenario_67_per_route_locations() {
    let clock = clock();
    let m = cookie_manager(&clock).build().unwrap();
    let t = m.create_access_token("a").unwrap();
    let app = router(&m);
    assert_eq!(
        req(Method::GET, "/headers-only")
            .cookie("access_token_cookie", &t)
            .send(&app)
            .await,
        msg(401, "Missing Authorization Header")
    );
    assert_eq!(
        req(Method::GET, "/headers-only")
            .header("authorization", &format!("Bearer {t}"))
            .send(&app)
            .await,
        ok("a", "headers")
    );
}

#[tokio::test]
async fn optional_route_with_csrf_failing_cookie() {
    // Scenario 42 / case 44: "missing" is swallowed, a CSRF failure is not.
    let clock = clock();
    let m = cookie_manager(&clock).build().unwrap();
    let app = router(&m);
    let t = m.create_access_token("a").unwrap();
    assert_eq!(
        req(Method::POST, "/optional").send(&app).await,
        (StatusCode::OK, json!({"sub": null}))
    );
    assert_eq!(
        req(Method::POST, "/optional")
            .cookie("access_token_cookie", &t)
            .send(&app)
            .await,
        msg(401, "Missing CSRF token")
    );
}

#[tokio::test]
async fn duplicate_and_hostile_cookies_never_panic() {
    let clock = clock();
    let m = cookie_manager(&clock).build().unwrap();
    let app = router(&m);
    let t = m.create_access_token("a").unwrap();
    // Cookie tossing: the first cookie wins, deterministically.
    let r = req(Method::GET, "/protected").header(
        "cookie",
        &format!("access_token_cookie={t}; access_token_cookie=evil"),
    );
    assert_eq!(r.send(&app).await, ok("a", "cookies"));
    let r = req(Method::GET, "/protected").header(
        "cookie",
        &format!("access_token_cookie=evil; access_token_cookie={t}"),
    );
    assert_eq!(r.send(&app).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let r =
        req(Method::GET, "/protected").header("cookie", &format!("access_token_cookie=\"{t}\""));
    assert_eq!(r.send(&app).await, ok("a", "cookies"));
    let many: String = (0..500).map(|i| format!("c{i}=v; ")).collect::<String>()
        + &format!("access_token_cookie={t}");
    assert_eq!(
        req(Method::GET, "/protected")
            .header("cookie", &many)
            .send(&app)
            .await,
        ok("a", "cookies")
    );
    for junk in [
        "=;=;;",
        ";;;",
        "access_token_cookie",
        "access_token_cookie=a=b=c",
        "\u{1}",
    ] {
        let Ok(v) = http::HeaderValue::from_str(junk) else {
            continue;
        };
        let r = Request::get("/protected")
            .header("cookie", v)
            .body(Body::empty())
            .unwrap();
        let s = app.clone().oneshot(r).await.unwrap().status();
        assert!(
            s == StatusCode::UNAUTHORIZED || s == StatusCode::UNPROCESSABLE_ENTITY,
            "{junk}: {s}"
        );
    }
    let r = Request::get("/protected")
        .header(
            "cookie",
            http::HeaderValue::from_bytes(b"access_token_cookie=\xff\xfe").unwrap(),
        )
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.clone().oneshot(r).await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

// ---- implicit refresh --------------------------------------------------------------------

#[tokio::test]
async fn implicit_refresh_of_expiring_cookies() {
    let clock = clock();
    let m = cookie_manager(&clock)
        .revocation_store(MemoryStore::new())
        .build()
        .unwrap();
    let app = Router::new()
        .route("/protected", get(whoami))
        .route(
            "/logout",
            post(|State(m): State<JwtManager>| async move { (m.unset_jwt_cookies(), "bye") }),
        )
        .route(
            "/revoke",
            get(|State(m): State<JwtManager>, j: JwtRequired| async move {
                m.revoke_token(j.token()).await.unwrap();
                "revoked"
            }),
        )
        .with_state(m.clone())
        .layer(ImplicitRefreshLayer::new(&m, time::Duration::minutes(5)))
        .layer(m.layer());
    let t = m
        .access_token("a")
        .fresh(true)
        .claim("role", "x")
        .create()
        .unwrap();
    let get_with = |path: &str, t: &str| {
        Request::get(path)
            .header("cookie", format!("access_token_cookie={t}"))
            .body(Body::empty())
            .unwrap()
    };
    let set_cookies = |res: &http::Response<Body>| {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    // Far from expiry: nothing.
    let res = app
        .clone()
        .oneshot(get_with("/protected", &t))
        .await
        .unwrap();
    assert!(set_cookies(&res).is_empty());
    // Within the window: a new access cookie and CSRF cookie, same claims and freshness.
    clock.advance(StdDuration::from_secs(11 * 60));
    let res = app
        .clone()
        .oneshot(get_with("/protected", &t))
        .await
        .unwrap();
    let cookies = set_cookies(&res);
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    let new = cookies[0]
        .strip_prefix("access_token_cookie=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let d = m.decode_token(&new).unwrap();
    assert_eq!(d.claim("role"), Some(&json!("x")));
    assert!(d.fresh().is_fresh_at(clock.now().as_secs_f64()));
    assert_eq!(d.expires_at(), Some(NOW + 11 * 60 + 900));
    // Not on an error response, not after logout, not for a revoked token.
    let res = app
        .clone()
        .oneshot(
            Request::get("/protected")
                .header("cookie", format!("access_token_cookie={t}"))
                .header("x", "y")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(set_cookies(&res).len(), 2);
    let logout = Request::post("/logout")
        .header("cookie", format!("access_token_cookie={t}"))
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(logout).await.unwrap();
    assert_eq!(set_cookies(&res).len(), 4, "only the unset cookies");
    let res = app.clone().oneshot(get_with("/revoke", &t)).await.unwrap();
    assert!(set_cookies(&res).is_empty());
    let res = app
        .clone()
        .oneshot(get_with("/protected", &t))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookies(&res).is_empty());
}

// ---- a browser-style flow through a real server ----------------------------------------

#[tokio::test]
async fn browser_cookie_jar_flow() {
    let m = JwtManager::builder()
        .secret(SECRET)
        .token_locations([Cookies])
        .build()
        .unwrap();
    let app = Router::new()
        .route(
            "/login",
            post(|State(m): State<JwtManager>| async move {
                let cookies = m
                    .access_cookies(&m.create_access_token("alice").unwrap())
                    .unwrap()
                    .and(
                        m.refresh_cookies(&m.create_refresh_token("alice").unwrap())
                            .unwrap(),
                    );
                (cookies, axum::Json(json!({"msg": "login ok"})))
            }),
        )
        .route(
            "/logout",
            post(|State(m): State<JwtManager>| async move { (m.unset_jwt_cookies(), "bye") }),
        )
        .route("/protected", get(whoami).post(whoami))
        .route(
            "/refresh",
            post(
                |State(m): State<JwtManager>, j: RefreshJwtRequired| async move {
                    (
                        m.access_cookies(&m.create_access_token(j.identity()).unwrap())
                            .unwrap(),
                        "refreshed",
                    )
                },
            ),
        )
        .with_state(m.clone())
        .layer(m.layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .build()
        .unwrap();
    let base: reqwest::Url = format!("http://{addr}/").parse().unwrap();
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

    assert_eq!(
        client.post(url("/login")).send().await.unwrap().status(),
        200
    );
    for name in [
        "access_token_cookie",
        "csrf_access_token",
        "refresh_token_cookie",
        "csrf_refresh_token",
    ] {
        assert!(cookie(name).is_some(), "{name}");
    }
    assert_eq!(
        client.get(url("/protected")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        client
            .post(url("/protected"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let res = client
        .post(url("/protected"))
        .header("X-CSRF-TOKEN", cookie("csrf_access_token").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client
        .post(url("/refresh"))
        .header("X-CSRF-TOKEN", cookie("csrf_access_token").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the access CSRF value does not refresh");
    let res = client
        .post(url("/refresh"))
        .header("X-CSRF-TOKEN", cookie("csrf_refresh_token").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        client.post(url("/logout")).send().await.unwrap().status(),
        200
    );
    for name in [
        "access_token_cookie",
        "csrf_access_token",
        "refresh_token_cookie",
        "csrf_refresh_token",
    ] {
        assert!(cookie(name).is_none(), "{name} should be cleared");
    }
    assert_eq!(
        client.get(url("/protected")).send().await.unwrap().status(),
        401
    );
    server.abort();
}
