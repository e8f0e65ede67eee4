//! E. Other claims (cases 31–38). Decode level: `tokens::scenario_27_to_30_audience_and_issuer`,
//! `tokens::scenario_19_20_subject_must_be_a_string`, `tokens::reserved_claims_cannot_be_overridden`;
//! guards: `guards::scenarios_31_to_34_token_types`, `guards::scenarios_36_to_38_freshness`.

use axum::body::Body;
use http::Method;
use jwt_extended::ErrorKind;
use jwt_extended::store::MemoryStore;
use serde_json::{Map, Value, json};

use crate::support::*;

/// Case 31 (jwt-go CVE-2020-26160 class): with an audience configured, `aud` is required
/// and must be a string or a list of strings.
#[tokio::test]
async fn case_31_aud_confusion() {
    let clock = clock();
    let m = builder(&clock).decode_audience(["api"]).build().unwrap();
    let app = app(&m);
    for aud in [
        json!(5),
        json!(null),
        json!(["api", 5]),
        json!({}),
        json!(true),
    ] {
        rejects(
            &app,
            &sign_claims(&claims_with("aud", aud)),
            422,
            "Invalid claim format in token",
        )
        .await;
    }
    rejects(
        &app,
        &sign_claims(&claims()),
        422,
        "Token is missing the \"aud\" claim",
    )
    .await;
    for aud in [
        json!("other"),
        json!("API"),
        json!(["x", "y"]),
        json!([]),
        json!(""),
    ] {
        rejects(
            &app,
            &sign_claims(&claims_with("aud", aud)),
            422,
            "Audience doesn't match",
        )
        .await;
    }
    for aud in [json!("api"), json!(["x", "api"])] {
        accepts(&app, &sign_claims(&claims_with("aud", aud)), "alice").await;
    }
}

/// Case 32: with an issuer configured, `iss` is required and must be that string (never a
/// list, never a number).
#[tokio::test]
async fn case_32_iss_confusion() {
    let clock = clock();
    let m = builder(&clock).decode_issuer("me").build().unwrap();
    let app = app(&m);
    for iss in [
        json!(5),
        json!(["evil", "me"]),
        json!(["me"]),
        json!("evil"),
        json!(null),
        json!("Me"),
    ] {
        rejects(
            &app,
            &sign_claims(&claims_with("iss", iss)),
            422,
            "Invalid issuer",
        )
        .await;
    }
    rejects(
        &app,
        &sign_claims(&claims()),
        422,
        "Token is missing the \"iss\" claim",
    )
    .await;
    accepts(
        &app,
        &sign_claims(&claims_with("iss", json!("me"))),
        "alice",
    )
    .await;
}

/// Case 33: with no audience configured, `aud` is not checked (FJE parity; jsonwebtoken
/// alone would refuse every token with an `aud`).
#[tokio::test]
async fn case_33_aud_ignored_when_not_configured() {
    let (m, _) = manager();
    let app = app(&m);
    for aud in [json!("anything"), json!(["a", "b"]), json!(5)] {
        accepts(&app, &sign_claims(&claims_with("aud", aud)), "alice").await;
    }
}

/// Case 34: `sub` must be a string and present; odd strings pass verbatim (no truncation,
/// no normalising), the empty one included (FJE).
#[tokio::test]
async fn case_34_sub() {
    let (m, _) = manager();
    let app = app(&m);
    for sub in [
        json!(5),
        json!({}),
        json!([]),
        json!(null),
        json!(true),
        json!(1.5),
    ] {
        rejects(
            &app,
            &sign_claims(&claims_with("sub", sub)),
            422,
            "Subject must be a string",
        )
        .await;
    }
    rejects(
        &app,
        &sign_claims(&claims_without("sub")),
        422,
        "Missing claim: sub",
    )
    .await;
    for sub in [
        "adm\u{0}in",
        "ａｄｍｉｎ",
        "",
        "admin ",
        "admin\u{200b}",
        "../admin",
    ] {
        accepts(&app, &sign_claims(&claims_with("sub", json!(sub))), sub).await;
    }
    // verify_sub(false): a non-string identity is handed over as it is (JWT_VERIFY_SUB).
    let clock = clock();
    let lax = builder(&clock).verify_sub(false).build().unwrap();
    let answer = bearer(
        &crate::support::app(&lax),
        &sign_claims(&claims_with("sub", json!(5))),
    )
    .await;
    assert_eq!(answer.sub(), (200, json!(5)));
}

/// Case 35: `jti` must be a string; a token without one is refused when a revocation store
/// is configured (its revocation could not be checked: fail closed), accepted otherwise (FJE).
#[tokio::test]
async fn case_35_jti() {
    let clock = clock();
    let plain = app(&builder(&clock).build().unwrap());
    let with_store = app(&builder(&clock)
        .revocation_store(MemoryStore::new().with_clock(clock.clone()))
        .build()
        .unwrap());
    for app in [&plain, &with_store] {
        for jti in [json!(5), json!(null), json!(["a"])] {
            rejects(
                app,
                &sign_claims(&claims_with("jti", jti)),
                422,
                "JWT ID must be a string",
            )
            .await;
        }
    }
    let no_jti = sign_claims(&claims_without("jti"));
    accepts(&plain, &no_jti, "alice").await;
    rejects(&with_store, &no_jti, 422, "Missing claim: jti").await;
}

/// Case 36: token types. A missing or unknown `type` is an access token (FJE #401); a
/// non-string one is refused.
#[tokio::test]
async fn case_36_type() {
    let (m, _) = manager();
    let app = app(&m);
    let refresh = m.create_refresh_token("alice").unwrap();
    rejects(&app, &refresh, 422, "Only non-refresh tokens are allowed").await;
    let access = m.create_access_token("alice").unwrap();
    let req = |t: &str| {
        request(Method::POST, "/refresh")
            .header("authorization", format!("Bearer {t}"))
            .body(Body::empty())
            .unwrap()
    };
    expect(
        &send_with(&app, req(&access), &access).await,
        422,
        "Only refresh tokens are allowed",
    );
    assert_eq!(
        send_with(&app, req(&refresh), &refresh).await.sub(),
        (200, json!("alice"))
    );
    for t in [
        sign_claims(&claims_without("type")),
        sign_claims(&claims_with("type", json!("app"))),
        sign_claims(&claims_with("type", json!("Refresh"))),
    ] {
        accepts(&app, &t, "alice").await;
        expect(
            &send_with(&app, req(&t), &t).await,
            422,
            "Only refresh tokens are allowed",
        );
    }
    for ty in [json!(5), json!(null), json!(["refresh"])] {
        rejects(
            &app,
            &sign_claims(&claims_with("type", ty)),
            422,
            "Invalid claim format: type",
        )
        .await;
    }
}

/// Case 37: additional claims may not override reserved ones (FJE lets them): creating
/// such a token is an error, so a refresh or fresh token is never minted from extras.
#[tokio::test]
async fn case_37_reserved_override_at_creation() {
    let (m, _) = manager();
    for (name, value) in [
        ("type", json!("refresh")),
        ("fresh", json!(true)),
        ("exp", json!(u64::MAX)),
        ("iat", json!(0)),
        ("nbf", json!(0)),
        ("jti", json!("chosen")),
        ("csrf", json!("chosen")),
        ("sub", json!("admin")),
    ] {
        let e = m
            .access_token("alice")
            .claim(name, value.clone())
            .create()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TokenCreation, "{name}");
        let e = m
            .refresh_token("alice")
            .claims(json!({ name: value }))
            .create()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TokenCreation, "{name}");
    }
    // The same through the additional-claims loader.
    let clock = clock();
    let loader = builder(&clock)
        .additional_claims(|_: &Value| Map::from_iter([("type".to_owned(), json!("refresh"))]))
        .build()
        .unwrap();
    assert_eq!(
        loader.create_access_token("alice").unwrap_err().kind(),
        ErrorKind::TokenCreation
    );
    // Header parameters that decide verification cannot be set either.
    for (name, value) in [
        ("alg", json!("none")),
        ("crit", json!(["exp"])),
        ("kid", json!(5)),
    ] {
        let e = m
            .access_token("alice")
            .header(name, value)
            .create()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TokenCreation, "{name}");
    }
}

/// Case 38: `fresh` must be `true` or a timestamp not yet passed; anything else is "not
/// fresh" (401), never a 500 (FJE gives a 500 for non-numeric values).
#[tokio::test]
async fn case_38_fresh_variants() {
    let (m, _) = manager();
    let app = app(&m);
    let fresh_route = |t: &str| bearer_get("/fresh", t);
    let now = NOW as f64;
    for fresh in [
        json!(false),
        json!(now - 0.5),
        json!(1),
        json!(0),
        json!(-1),
        json!("true"),
        json!(null),
        json!({}),
        json!([true]),
        json!(1e300),
    ] {
        let t = sign_claims(&claims_with("fresh", fresh.clone()));
        let answer = send_with(&app, fresh_route(&t), &t).await;
        if fresh == json!(1e300) {
            // A timestamp far in the future is fresh: the claim is signed, so it is ours.
            assert_eq!(answer.sub(), (200, json!("alice")));
        } else {
            assert_eq!(answer.msg(), (401, "Fresh token required"), "{fresh}");
        }
    }
    for fresh in [json!(true), json!(now + 10.5), json!(NOW)] {
        let t = sign_claims(&claims_with("fresh", fresh.clone()));
        assert_eq!(
            send_with(&app, fresh_route(&t), &t).await.sub(),
            (200, json!("alice")),
            "{fresh}"
        );
    }
}
