//! First contact: the code a Flask-JWT-Extended or FastAPI developer writes in the first
//! hour, as the tutorials write it (no type annotations the tutorials would not need), run
//! through real `tower::Service` calls. One test per trap of the first-contact issue.

mod common;

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use common::*;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use jwt_extended::{ConfigError, JwtManager, JwtRequired};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn send(app: Router, req: Request<Body>) -> (StatusCode, http::HeaderMap, Value) {
    let res = app.oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (parts.status, parts.headers, value)
}

fn get_with(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

/// Trap 1: `create_access_token(identity=user.id)` with an integer id. The manager must
/// accept its own token, with `sub` as the decimal string.
#[tokio::test]
async fn integer_identities_make_tokens_the_manager_accepts() {
    let (manager, _clock) = manager();
    struct User {
        id: u64,
    }
    let user = User { id: 42 };
    let token = manager.create_access_token(user.id).unwrap();
    let decoded = manager.decode_token(&token).unwrap();
    assert_eq!(decoded.claim("sub"), Some(&json!("42")));
    let literal = manager.create_access_token(42).unwrap();
    assert_eq!(
        manager.decode_token(&literal).unwrap().subject(),
        Some("42")
    );
    let pair = manager.token_pair(-7i64).create().unwrap();
    assert_eq!(
        manager.decode_token(&pair.refresh_token).unwrap().subject(),
        Some("-7")
    );
    assert_eq!(
        manager
            .decode_token(&manager.create_access_token(json!(1234)).unwrap())
            .unwrap()
            .subject(),
        Some("1234")
    );
    // A JSON object cannot be a `sub`: a creation error, not a token the manager refuses.
    let err = manager.create_access_token(json!({"id": 1})).unwrap_err();
    assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(err.message().contains("an object"), "{}", err.message());
    // ...unless the verifier accepts it.
    let lax = builder(&clock()).verify_sub(false).build().unwrap();
    let t = lax.create_access_token(json!({"id": 1})).unwrap();
    assert_eq!(lax.decode_token(&t).unwrap().identity(), &json!({"id": 1}));

    // Through a guard, as the Flask tutorial's protected route.
    let app = Router::new()
        .route(
            "/protected",
            get(|jwt: JwtRequired| async move { format!("Hello user {}!", jwt.identity()) }),
        )
        .layer(manager.layer());
    let (status, _, body) = send(app, get_with("/protected", &token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!("Hello user 42!"));
}

/// Trap 9: `f"Hello user {get_jwt_identity()}!"` prints `Hello user 1!`.
#[tokio::test]
async fn identity_prints_without_quotes() {
    let (manager, _clock) = manager();
    let app = Router::new()
        .route(
            "/hello",
            get(|user: JwtRequired| async move { format!("Hello user {}!", user.identity()) }),
        )
        .route(
            "/json",
            get(|user: JwtRequired| async move {
                axum::Json(json!({ "logged_in_as": user.identity() }))
            }),
        )
        .route(
            "/refresh",
            post(
                |axum::extract::State(jwt): axum::extract::State<JwtManager>,
                 user: jwt_extended::RefreshJwtRequired| async move {
                    // Flask: create_access_token(identity=get_jwt_identity())
                    let access = jwt.create_access_token(user.identity()).unwrap();
                    axum::Json(json!({ "access_token": access }))
                },
            ),
        )
        .layer(manager.layer())
        .with_state(manager.clone());
    let token = manager.create_access_token("1").unwrap();
    let (_, _, body) = send(app.clone(), get_with("/hello", &token)).await;
    assert_eq!(body, json!("Hello user 1!"));
    let (_, _, body) = send(app.clone(), get_with("/json", &token)).await;
    assert_eq!(body, json!({ "logged_in_as": "1" }));
    let refresh = manager.create_refresh_token("1").unwrap();
    let req = Request::post("/refresh")
        .header("authorization", format!("Bearer {refresh}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(app, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(manager.decode_token(access).unwrap().identity(), "1");

    // The JSON value stays reachable, and non-string identities print as JSON.
    let decoded = manager.decode_token(&token).unwrap();
    assert_eq!(decoded.identity().as_value(), &json!("1"));
    assert_eq!(decoded.identity().as_str(), Some("1"));
    let lax = builder(&clock()).verify_sub(false).build().unwrap();
    let t = lax.create_access_token(json!([1, "a"])).unwrap();
    assert_eq!(
        lax.decode_token(&t).unwrap().identity().to_string(),
        r#"[1,"a"]"#
    );
}

/// Trap 11: the quickstart run without `JWT_SECRET_KEY` says what to set.
#[test]
fn missing_key_names_jwt_secret_key() {
    let err = JwtManager::builder()
        .from_lookup(|_| None)
        .unwrap()
        .build()
        .unwrap_err();
    assert!(matches!(err, ConfigError::MissingKey));
    let text = err.to_string();
    assert!(text.contains("JWT_SECRET_KEY"), "{text}");
    assert!(text.contains("JWT_PUBLIC_KEY"), "{text}");
}
