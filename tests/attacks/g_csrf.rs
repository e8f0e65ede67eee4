//! G. Double-submit CSRF for cookie tokens (cases 45–49). In depth:
//! `locations::scenarios_49_50_csrf_on_unsafe_methods` and the scenarios after it.

use axum::body::Body;
use http::{Method, Request};
use jwt_extended::{CookieOptions, JwtManager, TokenLocation};
use serde_json::json;

use crate::support::*;

fn cookie_manager(clock: &jwt_extended::clock::MockClock) -> JwtManager {
    builder(clock)
        .token_locations([TokenLocation::Cookies])
        .build()
        .unwrap()
}

fn csrf_of(m: &JwtManager, t: &str) -> String {
    m.decode_token(t).unwrap().csrf().unwrap().to_owned()
}

fn cookie_req(method: Method, path: &str, token: &str, csrf: Option<&str>) -> Request<Body> {
    let mut b = request(method, path).header("cookie", format!("access_token_cookie={token}"));
    if let Some(c) = csrf {
        b = b.header("x-csrf-token", c);
    }
    b.body(Body::empty()).unwrap()
}

const UNSAFE: [Method; 4] = [Method::POST, Method::PUT, Method::PATCH, Method::DELETE];
const MISMATCH: &str = "CSRF double submit tokens do not match";

/// Case 45: no `X-CSRF-TOKEN`, or an empty one, on an unsafe method is "Missing CSRF
/// token" (empty never equals empty).
#[tokio::test]
async fn case_45_missing_or_empty_csrf() {
    let clock = clock();
    let m = cookie_manager(&clock);
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    let csrf = csrf_of(&m, &t);
    for method in UNSAFE {
        for sent in [None, Some("")] {
            let answer = send_checked(
                &app,
                cookie_req(method.clone(), "/protected", &t, sent),
                &[&t, &csrf],
                false,
            )
            .await;
            assert_eq!(
                answer.msg(),
                (401, "Missing CSRF token"),
                "{method} {sent:?}"
            );
            assert_eq!(answer.www_authenticate.as_deref(), Some("Bearer"));
        }
        let answer = send_with(
            &app,
            cookie_req(method.clone(), "/protected", &t, Some(&csrf)),
            &t,
        )
        .await;
        assert_eq!(answer.sub(), (200, json!("alice")), "{method}");
    }
    // A token whose csrf claim is empty cannot be matched by an empty header either.
    let empty_claim = sign_claims(&claims_with("csrf", json!("")));
    let answer = send_with(
        &app,
        cookie_req(Method::POST, "/protected", &empty_claim, Some("")),
        &empty_claim,
    )
    .await;
    expect(&answer, 401, "Missing CSRF token");
    let answer = send_with(
        &app,
        cookie_req(Method::POST, "/protected", &empty_claim, Some("x")),
        &empty_claim,
    )
    .await;
    expect(&answer, 401, MISMATCH);
}

/// Case 46: the header is compared with the token's signed `csrf` claim, never with the
/// CSRF cookie: a planted cookie, or another session's CSRF value, does not match.
#[tokio::test]
async fn case_46_csrf_mismatch_and_cookie_tossing() {
    let clock = clock();
    let m = cookie_manager(&clock);
    let app = app(&m);
    let victim = m.create_access_token("alice").unwrap();
    let attacker = m.create_access_token("mallory").unwrap();
    let attacker_csrf = csrf_of(&m, &attacker);
    let victim_csrf = csrf_of(&m, &victim);
    // The attacker tosses a csrf_access_token cookie and sends the same value.
    let req = request(Method::POST, "/protected")
        .header(
            "cookie",
            format!("csrf_access_token=evil; access_token_cookie={victim}"),
        )
        .header("x-csrf-token", "evil")
        .body(Body::empty())
        .unwrap();
    expect(
        &send_checked(&app, req, &[&victim, &victim_csrf], false).await,
        401,
        MISMATCH,
    );
    // The attacker's own (valid) CSRF value against the victim's cookie.
    let answer = send_checked(
        &app,
        cookie_req(Method::POST, "/protected", &victim, Some(&attacker_csrf)),
        &[&victim, &victim_csrf],
        false,
    )
    .await;
    expect(&answer, 401, MISMATCH);
    // And the victim's value with the attacker's token: values are bound to tokens.
    let answer = send_with(
        &app,
        cookie_req(Method::POST, "/protected", &attacker, Some(&victim_csrf)),
        &attacker,
    )
    .await;
    expect(&answer, 401, MISMATCH);
}

/// Case 47: a cookie token without a `csrf` claim while protection is on.
#[tokio::test]
async fn case_47_cookie_token_without_csrf_claim() {
    let clock = clock();
    let m = cookie_manager(&clock);
    let app = app(&m);
    let unprotected = builder(&clock).csrf_protect(false).build().unwrap();
    let t = unprotected.create_access_token("alice").unwrap();
    assert!(m.decode_token(&t).unwrap().csrf().is_none());
    let answer = send_with(
        &app,
        cookie_req(Method::POST, "/protected", &t, Some("anything")),
        &t,
    )
    .await;
    expect(&answer, 422, "Missing claim: csrf");
    // Without a header the header is what is missing (checked first, as in FJE).
    let answer = send_with(&app, cookie_req(Method::POST, "/protected", &t, None), &t).await;
    expect(&answer, 401, "Missing CSRF token");
    // Safe methods never look at the claim.
    let answer = send_with(&app, cookie_req(Method::GET, "/protected", &t, None), &t).await;
    assert_eq!(answer.sub(), (200, json!("alice")));
    // A non-string csrf claim is malformed.
    let odd = sign_claims(&claims_with("csrf", json!(5)));
    let answer = send_with(
        &app,
        cookie_req(Method::POST, "/protected", &odd, Some("5")),
        &odd,
    )
    .await;
    expect(&answer, 422, "Invalid claim format: csrf");
}

/// Case 48: GET, HEAD and OPTIONS are exempt (FJE's list); a method-override header changes
/// nothing; extension methods pass unless listed (FJE parity: `csrf_methods` is
/// case-sensitive and lists POST, PUT, PATCH, DELETE).
#[tokio::test]
async fn case_48_csrf_methods() {
    let clock = clock();
    let m = cookie_manager(&clock);
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    for method in [Method::GET, Method::HEAD] {
        let answer = send_with(&app, cookie_req(method.clone(), "/protected", &t, None), &t).await;
        assert_eq!(answer.status, 200, "{method}");
    }
    let answer = send_with(&app, cookie_req(Method::OPTIONS, "/layered", &t, None), &t).await;
    assert_eq!(answer.body, json!({"sub": null, "method": "OPTIONS"}));
    let req = request(Method::POST, "/protected")
        .header("cookie", format!("access_token_cookie={t}"))
        .header("x-http-method-override", "GET")
        .header("x-method-override", "GET")
        .body(Body::empty())
        .unwrap();
    expect(&send_with(&app, req, &t).await, 401, "Missing CSRF token");
    for name in ["PURGE", "post", "LINK"] {
        let method = Method::from_bytes(name.as_bytes()).unwrap();
        let answer = send_with(&app, cookie_req(method, "/any-method", &t, None), &t).await;
        assert_eq!(answer.sub(), (200, json!("alice")), "{name}");
    }
    // Listing an extension method protects it.
    let strict = builder(&clock)
        .token_locations([TokenLocation::Cookies])
        .cookies(CookieOptions {
            csrf_methods: ["POST", "PUT", "PATCH", "DELETE", "PURGE", "post"]
                .map(String::from)
                .into(),
            ..CookieOptions::default()
        })
        .build()
        .unwrap();
    let app = crate::support::app(&strict);
    let t = strict.create_access_token("alice").unwrap();
    for name in ["PURGE", "post"] {
        let method = Method::from_bytes(name.as_bytes()).unwrap();
        let answer = send_with(&app, cookie_req(method, "/any-method", &t, None), &t).await;
        expect(&answer, 401, "Missing CSRF token");
    }
}

/// Case 49: the comparison is exact and constant-time (`subtle::ConstantTimeEq`; unit test
/// `locations::cookie::tests::csrf_compare_is_constant_time_and_never_matches_empty`):
/// prefixes, extensions and case changes of the claim never match.
#[tokio::test]
async fn case_49_csrf_compare_exact_and_constant_time() {
    let clock = clock();
    let m = cookie_manager(&clock);
    let app = app(&m);
    let t = m.create_access_token("alice").unwrap();
    let csrf = csrf_of(&m, &t);
    for sent in [
        csrf[..csrf.len() - 1].to_owned(),
        csrf[..1].to_owned(),
        format!("{csrf}0"),
        csrf.to_uppercase(),
        format!("{csrf} "),
        format!(" {csrf}"),
        format!("{csrf},{csrf}"),
    ] {
        let answer = send_checked(
            &app,
            cookie_req(Method::POST, "/protected", &t, Some(&sent)),
            &[&t, &csrf],
            false,
        )
        .await;
        assert_eq!(answer.msg(), (401, MISMATCH), "{sent:?}");
    }
    // Two X-CSRF-TOKEN headers: only the first is read, and it must match.
    let req = request(Method::POST, "/protected")
        .header("cookie", format!("access_token_cookie={t}"))
        .header("x-csrf-token", "wrong")
        .header("x-csrf-token", &csrf)
        .body(Body::empty())
        .unwrap();
    expect(&send_with(&app, req, &t).await, 401, MISMATCH);
    let source = include_str!("../../src/locations/cookie.rs");
    assert!(source.contains("use subtle::ConstantTimeEq;") && source.contains(".ct_eq("));
}
