//! F. Extraction (cases 39–44). Locations in depth: `tests/locations.rs`; the header
//! grammar: `guards::scenarios_1_to_7_header_grammar`; arbitrary bytes:
//! `tests/properties.rs` and the fuzz targets.

use std::time::{Duration, Instant};

use axum::body::Body;
use http::{HeaderValue, Method, Request};
use jwt_extended::{ConfigError, CookieOptions, JwtManager, TokenLocation};
use serde_json::{Value, json};

use crate::c_encoding::urlencode;
use crate::support::*;

fn with_headers(path: &str, values: &[&[u8]]) -> Request<Body> {
    let mut b = request(Method::GET, path);
    for v in values {
        b = b.header("authorization", HeaderValue::from_bytes(v).unwrap());
    }
    b.body(Body::empty()).unwrap()
}

/// Case 39: FJE's `Authorization` grammar, plus what FJE cannot see: two header lines are
/// read as one comma-separated value, so two bearer tokens are an error (never "pick one").
#[tokio::test]
async fn case_39_authorization_grammar() {
    let (m, _) = manager();
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    let ok = [
        format!("Bearer {t}"),
        format!("bearer {t}"),
        format!("BEARER {t}"),
        format!("Bearer  {t}"),
        format!("Bearer {t},"),
        format!("Bearer {t}, "),
        format!("Basic x, Bearer {t}"),
        format!("Bearer {t}, Basic x"),
    ];
    for v in &ok {
        let answer = send_with(&app, raw_auth("/protected", v.as_bytes()), &t).await;
        assert_eq!(answer.sub(), (200, json!("alice")), "{v:?}");
    }
    let bad: [(String, u16, &str); 9] = [
        ("Bearer".into(), 422, BAD_HEADER),
        ("Bearer ".into(), 422, BAD_HEADER),
        (format!("Bearer {t} x"), 422, BAD_HEADER),
        (format!("Bearer,{t}"), 422, BAD_HEADER),
        (format!("Bearer {t}, Bearer {t}"), 401, MISSING_TYPE),
        (format!("Basic {t}"), 401, MISSING_TYPE),
        (format!("Token {t}"), 401, MISSING_TYPE),
        (format!("Bearer{t}"), 401, MISSING_TYPE),
        (",,, ".into(), 401, "Missing Authorization Header"),
    ];
    for (v, status, msg) in &bad {
        let answer = send_with(&app, raw_auth("/protected", v.as_bytes()), &t).await;
        assert_eq!(answer.msg(), (*status, *msg), "{v:?}");
    }
    // Two header lines.
    let two = with_headers(
        "/protected",
        &[format!("Bearer {t}").as_bytes(), b"Bearer other"],
    );
    expect(&send_with(&app, two, &t).await, 401, MISSING_TYPE);
    let same = format!("Bearer {t}");
    let twice = with_headers("/protected", &[same.as_bytes(), same.as_bytes()]);
    expect(&send_with(&app, twice, &t).await, 401, MISSING_TYPE);
    let mixed = with_headers("/protected", &[b"Basic x", same.as_bytes()]);
    assert_eq!(
        send_with(&app, mixed, &t).await.sub(),
        (200, json!("alice"))
    );
}

/// Case 40: bytes 0x80–0xFF in `Authorization` or `Cookie` are a 422, never a panic
/// (control characters cannot even be put in a `HeaderValue`).
#[tokio::test]
async fn case_40_obs_text() {
    let clock = clock();
    let m = builder(&clock)
        .token_locations([TokenLocation::Headers, TokenLocation::Cookies])
        .build()
        .unwrap();
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    for b in 0x80..=0xFFu8 {
        let mut v = format!("Bearer {}", &t[..20]).into_bytes();
        v.push(b);
        let answer = send_with(&app, raw_auth("/protected", &v), &t).await;
        assert_eq!(answer.msg(), (422, BAD_HEADER), "{b:#x}");
        let mut c = b"access_token_cookie=".to_vec();
        c.extend_from_slice(&t.as_bytes()[..20]);
        c.push(b);
        let req = request(Method::GET, "/protected")
            .header("cookie", HeaderValue::from_bytes(&c).unwrap())
            .body(Body::empty())
            .unwrap();
        let answer = send_with(&app, req, &t).await;
        assert_eq!(answer.msg(), (422, "Invalid Cookie header"), "{b:#x}");
    }
    // Valid UTF-8 beyond ASCII in a cookie is a (bad) token, not a crash.
    let req = request(Method::GET, "/protected")
        .header(
            "cookie",
            HeaderValue::from_bytes("access_token_cookie=é.é.é".as_bytes()).unwrap(),
        )
        .body(Body::empty())
        .unwrap();
    expect(
        &send_with(&app, req, &t).await,
        422,
        "Invalid header padding",
    );
    for ctl in (0u8..0x20).filter(|b| *b != b'\t').chain([0x7f]) {
        assert!(HeaderValue::from_bytes(&[b'B', ctl]).is_err(), "{ctl:#x}");
    }
}

/// Case 41: an oversized token (350 KB of header with 25 000 keys, which fits hyper's
/// default buffer) is refused before any base64 or JSON work, in microseconds.
#[tokio::test]
async fn case_41_oversized_token() {
    let (m, _) = manager();
    let app = app(&m);
    let mut header = String::from(r#"{"alg":"HS256""#);
    for i in 0..25_000 {
        header.push_str(&format!(r#","k{i}":1"#));
    }
    header.push('}');
    let huge = format!(
        "{}.{}.{}",
        b64(&header),
        b64(claims().to_string()),
        "A".repeat(43)
    );
    assert!(huge.len() > 350_000, "{}", huge.len());
    rejects(&app, &huge, 422, "Token is too large").await;
    let started = Instant::now();
    for _ in 0..1_000 {
        assert_eq!(
            m.decode_token(&huge).unwrap_err().message(),
            "Token is too large"
        );
    }
    let each = started.elapsed() / 1_000;
    assert!(each < Duration::from_micros(50), "{each:?} per rejection");
    // Under the token cap but over the header segment's 1 KiB.
    let mut header = String::from(r#"{"alg":"HS256""#);
    for i in 0..100 {
        header.push_str(&format!(r#","k{i}":1"#));
    }
    header.push('}');
    let t = sign_raw(&header, &claims().to_string(), SECRET);
    rejects(&app, &t, 422, "Token header is too large").await;
}

fn cookie_app(clock: &jwt_extended::clock::MockClock) -> (JwtManager, axum::Router) {
    let m = builder(clock)
        .token_locations([TokenLocation::Cookies])
        .build()
        .unwrap();
    let app = app(&m);
    (m, app)
}

fn with_cookie(method: Method, path: &str, cookie: &str) -> http::request::Builder {
    request(method, path).header("cookie", cookie)
}

/// Case 42: cookies: empty is missing; two values (cookie tossing) resolve to the first,
/// deterministically (Werkzeug); quotes are removed; 500 cookies take bounded time; the
/// `__Host-` prefix is available and its rules are enforced at build.
#[tokio::test]
async fn case_42_cookies() {
    let clock = clock();
    let (m, app) = cookie_app(&clock);
    let t = m.create_access_token("alice").unwrap();
    let send = |cookie: String| {
        let app = app.clone();
        let t = t.clone();
        async move {
            let req = with_cookie(Method::GET, "/protected", &cookie)
                .body(Body::empty())
                .unwrap();
            send_with(&app, req, &t).await
        }
    };
    expect(
        &send("access_token_cookie=".into()).await,
        401,
        "Missing cookie \"access_token_cookie\"",
    );
    expect(
        &send("other=1".into()).await,
        401,
        "Missing cookie \"access_token_cookie\"",
    );
    let first = send(format!("access_token_cookie={t}; access_token_cookie=evil")).await;
    assert_eq!(first.sub(), (200, json!("alice")));
    expect(
        &send(format!("access_token_cookie=evil; access_token_cookie={t}")).await,
        422,
        "Not enough segments",
    );
    assert_eq!(
        send(format!("access_token_cookie=\"{t}\"")).await.sub(),
        (200, json!("alice"))
    );
    let many: String = (0..500).map(|i| format!("c{i}=v{i}; ")).collect();
    let started = Instant::now();
    let answer = send(format!("{many}access_token_cookie={t}")).await;
    assert_eq!(answer.sub(), (200, json!("alice")));
    assert!(started.elapsed() < Duration::from_secs(1));
    // The __Host- prefix: accepted with Secure, Path=/ and no Domain; refused otherwise.
    let host = CookieOptions {
        access_cookie_name: "__Host-access".into(),
        secure: true,
        ..CookieOptions::default()
    };
    let hm = builder(&clock)
        .token_locations([TokenLocation::Cookies])
        .cookies(host.clone())
        .build()
        .unwrap();
    let req = with_cookie(Method::GET, "/protected", &format!("__Host-access={t}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send_with(&app_for(&hm), req, &t).await.sub(),
        (200, json!("alice"))
    );
    for bad in [
        CookieOptions {
            secure: false,
            ..host.clone()
        },
        CookieOptions {
            domain: Some("example.com".into()),
            ..host.clone()
        },
        CookieOptions {
            access_cookie_path: "/api".into(),
            ..host
        },
    ] {
        assert!(matches!(
            builder(&clock).cookies(bad).build(),
            Err(ConfigError::InvalidOption { .. })
        ));
    }
}

fn app_for(m: &JwtManager) -> axum::Router {
    app(m)
}

/// Case 43: the query string is off by default (RFC 6750 §2.3: logs, Referer); when on,
/// empty is missing, the first of two values wins, and hostile encodings are a 422.
#[tokio::test]
async fn case_43_query() {
    let clock = clock();
    let default = builder(&clock).build().unwrap();
    let t = default.create_access_token("alice").unwrap();
    let get = |path: String| request(Method::GET, &path).body(Body::empty()).unwrap();
    let answer = send_with(&app(&default), get(format!("/protected?jwt={t}")), &t).await;
    expect(&answer, 401, "Missing Authorization Header");

    let m = builder(&clock)
        .token_locations([TokenLocation::QueryString])
        .build()
        .unwrap();
    let app = app(&m);
    let missing = "Missing 'jwt' query paramater";
    for q in [
        "/protected",
        "/protected?jwt=",
        "/protected?jwt",
        "/protected?JWT=x",
        "/protected?xjwt=x",
    ] {
        expect(&send_with(&app, get(q.into()), &t).await, 401, missing);
    }
    let cases: [(String, Value); 9] = [
        (format!("/protected?jwt={t}"), json!("alice")),
        (format!("/protected?jwt={}", urlencode(&t)), json!("alice")),
        (format!("/protected?jwt={t}&jwt=evil"), json!("alice")),
        (format!("/protected?a=1&jwt={t}&b=2"), json!("alice")),
        (
            format!("/protected?jwt=evil&jwt={t}"),
            json!("Not enough segments"),
        ),
        ("/protected?jwt=%FF".into(), json!("Not enough segments")),
        ("/protected?jwt=%ZZ".into(), json!("Not enough segments")),
        ("/protected?jwt=%00".into(), json!("Not enough segments")),
        ("/protected?jwt=+".into(), json!("Not enough segments")),
    ];
    for (path, expected) in cases {
        let answer = send_with(&app, get(path.clone()), &t).await;
        if answer.status == 200 {
            assert_eq!(answer.sub(), (200, expected), "{path}");
        } else {
            assert_eq!(
                (answer.status.as_u16(), answer.body["msg"].clone()),
                (422, expected),
                "{path}"
            );
        }
    }
    // A token split by a literal `+` or `&` is not reassembled.
    let (h, p, s) = segments(&t);
    for path in [
        format!("/protected?jwt={h}.{p}+{s}"),
        format!("/protected?jwt={h}.{p}&.{s}"),
    ] {
        let answer = send_with(&app, get(path.clone()), &t).await;
        assert_eq!(answer.status, 422, "{path}");
    }
}

/// Case 44: precedence and optional routes. The first location that has a token decides:
/// a bad header is not rescued by a valid cookie; a cookie failing CSRF is not rescued by
/// a valid header. `OptionalJwt` swallows only "missing" (FJE #286). `OPTIONS` passes
/// with no identity, whatever it carries.
#[tokio::test]
async fn case_44_precedence_and_optional() {
    let clock = clock();
    let headers_first = builder(&clock)
        .token_locations([TokenLocation::Headers, TokenLocation::Cookies])
        .build()
        .unwrap();
    let t = headers_first.create_access_token("alice").unwrap();
    let app = app(&headers_first);
    let req = with_cookie(
        Method::GET,
        "/protected",
        &format!("access_token_cookie={t}"),
    )
    .header("authorization", "Bearer garbage")
    .body(Body::empty())
    .unwrap();
    expect(&send_with(&app, req, &t).await, 422, "Not enough segments");
    let req = with_cookie(
        Method::GET,
        "/protected",
        &format!("access_token_cookie={t}"),
    )
    .body(Body::empty())
    .unwrap();
    let answer = send_with(&app, req, &t).await;
    assert_eq!(answer.body, json!({"sub": "alice", "location": "cookies"}));

    let cookies_first = builder(&clock)
        .token_locations([TokenLocation::Cookies, TokenLocation::Headers])
        .build()
        .unwrap();
    let app = crate::support::app(&cookies_first);
    let req = with_cookie(
        Method::POST,
        "/protected",
        &format!("access_token_cookie={t}"),
    )
    .header("authorization", format!("Bearer {t}"))
    .body(Body::empty())
    .unwrap();
    expect(&send_with(&app, req, &t).await, 401, "Missing CSRF token");

    let (m, _) = manager();
    let app = crate::support::app(&m);
    let opt = |auth: Option<&str>| {
        let mut b = request(Method::GET, "/optional");
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        b.body(Body::empty()).unwrap()
    };
    assert_eq!(
        send_with(&app, opt(None), &t).await.sub(),
        (200, Value::Null)
    );
    assert_eq!(
        send_with(&app, opt(Some("Basic x")), &t).await.sub(),
        (200, Value::Null)
    );
    expect(
        &send_with(&app, opt(Some("Bearer garbage")), &t).await,
        422,
        "Not enough segments",
    );
    expect(
        &send_with(&app, opt(Some("Bearer a b")), &t).await,
        422,
        BAD_HEADER,
    );
    let refresh = m.create_refresh_token("alice").unwrap();
    let answer = send_with(&app, opt(Some(&format!("Bearer {refresh}"))), &refresh).await;
    expect(&answer, 422, "Only non-refresh tokens are allowed");

    // OPTIONS through the tower form: no identity attached, garbage or not.
    let valid = m.create_access_token("alice").unwrap();
    for auth in ["Bearer garbage".to_owned(), format!("Bearer {valid}")] {
        let req = request(Method::OPTIONS, "/layered")
            .header("authorization", &auth)
            .body(Body::empty())
            .unwrap();
        let answer = send_with(&app, req, &valid).await;
        assert_eq!(answer.body, json!({"sub": null, "method": "OPTIONS"}));
    }
}

/// Found while writing case 44 (fixed in `src/guard.rs`): the per-request cache of verified
/// tokens (which lets a handler with several guards verify once) must belong to the manager
/// that verified.
/// Here the whole application takes any token of our issuer (`RequireJwtLayer` with a
/// manager that ignores `aud`), and an admin section has its own manager, with the same
/// key, that requires `aud: "admin"`, through an inner `JwtLayer`. A user token (no `aud`)
/// passes the outer layer; it must not then pass the admin guard on the strength of the
/// outer layer's verification.
#[tokio::test]
async fn cached_verification_is_per_manager() {
    let clock = clock();
    let everyone = builder(&clock).build().unwrap();
    let admins = builder(&clock).decode_audience(["admin"]).build().unwrap();
    let admin_issuer = builder(&clock).encode_audience("admin").build().unwrap();
    let admin_routes = axum::Router::new()
        .route(
            "/panel",
            axum::routing::get(|j: jwt_extended::JwtRequired| async move {
                axum::Json(json!({ "sub": j.identity() }))
            }),
        )
        .layer(admins.layer());
    let app = axum::Router::new()
        .nest("/admin", admin_routes)
        .route("/home", axum::routing::get(|| async { "home" }))
        .layer(jwt_extended::RequireJwtLayer::access(&everyone));
    let user_token = everyone.create_access_token("mallory").unwrap();
    let admin_token = admin_issuer.create_access_token("root").unwrap();
    let get = |path: &str, t: &str| bearer_get(path, t);
    assert_eq!(
        send_with(&app, get("/home", &user_token), &user_token)
            .await
            .status,
        200
    );
    let answer = send_with(&app, get("/admin/panel", &admin_token), &admin_token).await;
    assert_eq!(answer.sub(), (200, json!("root")));
    // Without the outer layer the admin guard refuses the user token...
    let alone = axum::Router::new().nest(
        "/admin",
        axum::Router::new()
            .route(
                "/panel",
                axum::routing::get(|_: jwt_extended::JwtRequired| async { "in" }),
            )
            .layer(admins.layer()),
    );
    let answer = send_with(&alone, get("/admin/panel", &user_token), &user_token).await;
    expect(&answer, 422, "Token is missing the \"aud\" claim");
    // ...and with it too.
    let answer = send_with(&app, get("/admin/panel", &user_token), &user_token).await;
    expect(&answer, 422, "Token is missing the \"aud\" claim");
}

/// Found with the previous case (fixed in `src/require.rs`): a `RequireJwtLayer` built from
/// one manager, under a `JwtLayer` of another, verified with the outer layer's manager and
/// so ignored its own settings (here: the admin section's required audience).
#[tokio::test]
async fn require_layer_verifies_with_its_own_manager() {
    let clock = clock();
    let everyone = builder(&clock).build().unwrap();
    let admins = builder(&clock).decode_audience(["admin"]).build().unwrap();
    let admin_issuer = builder(&clock).encode_audience("admin").build().unwrap();
    let app = axum::Router::new()
        .route(
            "/admin",
            axum::routing::get(|| async { "in" })
                .route_layer(jwt_extended::RequireJwtLayer::access(&admins)),
        )
        .route(
            "/home",
            axum::routing::get(|j: jwt_extended::JwtRequired| async move {
                axum::Json(json!({ "sub": j.identity() }))
            }),
        )
        .layer(everyone.layer());
    let user_token = everyone.create_access_token("mallory").unwrap();
    let admin_token = admin_issuer.create_access_token("root").unwrap();
    let answer = send_with(&app, bearer_get("/home", &user_token), &user_token).await;
    assert_eq!(answer.sub(), (200, json!("mallory")));
    let answer = send_with(&app, bearer_get("/admin", &admin_token), &admin_token).await;
    assert_eq!(answer.status, 200);
    let answer = send_with(&app, bearer_get("/admin", &user_token), &user_token).await;
    expect(&answer, 422, "Token is missing the \"aud\" claim");
}
