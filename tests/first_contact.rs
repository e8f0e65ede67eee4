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

/// Traps 3 and 10: the function form of every guard compiles as the README writes it
/// (`JwtRequired::from_request(&mut req).await`, no turbofish), and `?` is the one-line
/// "run the guard or answer the rejection" of a plain hyper handler.
#[tokio::test]
async fn hyper_handlers_run_guards_in_one_line() {
    use std::convert::Infallible;

    use bytes::Bytes;
    use http::Response;
    use http_body_util::Full;
    use jwt_extended::{
        AnyJwtRequired, CurrentUser, FreshJwtRequired, JwtLayer, JwtRejection, OptionalJwt,
        RefreshJwtRequired,
    };

    #[derive(Clone)]
    struct User {
        name: String,
    }

    async fn handler(mut req: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, JwtRejection> {
        let text = match req.uri().path() {
            "/access" => {
                let jwt = JwtRequired::from_request(&mut req).await?;
                format!("access {}", jwt.identity())
            }
            "/fresh" => {
                let jwt = FreshJwtRequired::from_request(&mut req).await?;
                format!("fresh {}", jwt.identity())
            }
            "/refresh" => {
                let jwt = RefreshJwtRequired::from_request(&mut req).await?;
                format!("refresh {}", jwt.identity())
            }
            "/any" => {
                let jwt = AnyJwtRequired::from_request(&mut req).await?;
                format!("any {}", jwt.token().token_type())
            }
            "/optional" => {
                let jwt = OptionalJwt::from_request(&mut req).await?;
                format!("optional {:?}", jwt.subject())
            }
            "/me" => {
                let CurrentUser(user): CurrentUser<User> =
                    CurrentUser::from_request(&mut req).await?;
                format!("me {}", user.name)
            }
            _ => {
                let (mut parts, _) = req.into_parts();
                let jwt = JwtRequired::from_parts(&mut parts).await?;
                format!("parts {}", jwt.identity())
            }
        };
        Ok(Response::new(Full::from(text)))
    }

    let clock = clock();
    let manager = builder(&clock)
        .load_user(|token| async move {
            Ok(token.subject().map(|name| User {
                name: name.to_uppercase(),
            }))
        })
        .build()
        .unwrap();
    let svc = tower::ServiceBuilder::new()
        .layer(JwtLayer::new(manager.clone()))
        .service_fn(|req| async {
            Ok::<_, Infallible>(handler(req).await.unwrap_or_else(Response::from))
        });
    let call = |path: &str, token: Option<String>| {
        let mut req = Request::get(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req.body(Full::default()).unwrap();
        let svc = svc.clone();
        async move {
            let res = svc.oneshot(req).await.unwrap();
            let status = res.status();
            let challenge = res.headers().get("www-authenticate").cloned();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                challenge,
                String::from_utf8_lossy(&body).into_owned(),
            )
        }
    };
    let access = manager.create_access_token("ann").unwrap();
    let fresh = manager.access_token("ann").fresh(true).create().unwrap();
    let refresh = manager.create_refresh_token("ann").unwrap();
    assert_eq!(call("/access", Some(access.clone())).await.2, "access ann");
    assert_eq!(call("/fresh", Some(fresh)).await.2, "fresh ann");
    assert_eq!(
        call("/refresh", Some(refresh.clone())).await.2,
        "refresh ann"
    );
    assert_eq!(call("/any", Some(refresh.clone())).await.2, "any refresh");
    assert_eq!(call("/optional", None).await.2, "optional None");
    assert_eq!(call("/me", Some(access.clone())).await.2, "me ANN");
    assert_eq!(call("/parts", Some(access.clone())).await.2, "parts ann");

    // A rejection answers as the guards always do.
    let (status, challenge, body) = call("/access", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge.unwrap(), "Bearer");
    assert_eq!(body, r#"{"msg":"Missing Authorization Header"}"#);
    let (status, _, body) = call("/fresh", Some(access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, r#"{"msg":"Fresh token required"}"#);
    let (status, _, body) = call("/access", Some(refresh)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, r#"{"msg":"Only non-refresh tokens are allowed"}"#);

    // Creation and verification errors convert the same way, the former without detail.
    let err = manager
        .access_token(1)
        .claim("jti", "x")
        .create()
        .unwrap_err();
    let res = Response::<Full<Bytes>>::from(err);
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"msg":"Internal Server Error"}"#);
    let err = manager.decode_token("a.b").unwrap_err();
    let res = Response::<Full<Bytes>>::from(err);
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"msg":"Not enough segments"}"#);
}

/// Trap 4: Flask's loaders as closures, without annotations; `additional_claims` returns
/// what Flask's loader returns, a JSON object.
#[tokio::test]
async fn loader_closures_compile_as_flask_users_write_them() {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};

    let blocklist: Arc<Mutex<HashSet<String>>> = Arc::default();
    let revoked = blocklist.clone();
    let clock = clock();
    let manager = builder(&clock)
        .additional_claims(|identity| json!({ "is_admin": identity == "1" }))
        .additional_headers(|_identity| json!({ "x-tenant": "acme" }))
        .blocklist(move |token| {
            token
                .jti()
                .is_some_and(|jti| revoked.lock().unwrap().contains(jti))
        })
        .claims_verifier(|token| token.claim("is_admin").is_some())
        .build()
        .unwrap();
    let admin = manager.create_access_token(1).unwrap();
    let decoded = manager.decode_token(&admin).unwrap();
    assert_eq!(decoded.claim("is_admin"), Some(&json!(true)));
    assert_eq!(decoded.header()["x-tenant"], "acme");
    let user = manager.create_access_token("2").unwrap();
    assert_eq!(
        manager.decode_token(&user).unwrap().claim("is_admin"),
        Some(&json!(false))
    );

    let app = Router::new()
        .route(
            "/protected",
            get(|jwt: JwtRequired| async move { jwt.identity().to_string() }),
        )
        .layer(manager.layer());
    let (status, _, body) = send(app.clone(), get_with("/protected", &admin)).await;
    assert_eq!(
        (status, body.to_string()),
        (StatusCode::OK, "1".to_string())
    );
    // The blocklist closure runs for every request.
    blocklist
        .lock()
        .unwrap()
        .insert(decoded.jti().unwrap().to_owned());
    let (status, _, body) = send(app, get_with("/protected", &admin)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({ "msg": "Token has been revoked" }));

    // A loader returning something other than an object: a creation error, no panic.
    let bad = builder(&clock)
        .additional_claims(|_identity| json!(["not", "an", "object"]))
        .build()
        .unwrap();
    let err = bad.create_access_token("1").unwrap_err();
    assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(err.message().contains("JSON object"), "{}", err.message());
    let err = bad.token_pair("1").create().unwrap_err();
    assert!(err.message().contains("JSON object"), "{}", err.message());

    // A `Map` works as before, and trait implementations still have their methods.
    struct Roles;
    impl jwt_extended::callbacks::AdditionalClaims for Roles {
        fn additional_claims(&self, _: &Value) -> serde_json::Map<String, Value> {
            serde_json::Map::from_iter([("roles".to_string(), json!(["admin"]))])
        }
    }
    let m = builder(&clock)
        .additional_claims_loader(Roles)
        .build()
        .unwrap();
    let t = m.create_access_token("1").unwrap();
    assert_eq!(
        m.decode_token(&t).unwrap().claim("roles"),
        Some(&json!(["admin"]))
    );
}

/// Trap 8: the user loader as an async closure, as a plain `async fn`, and as a trait
/// implementation with the re-exported `async_trait`.
#[tokio::test]
async fn user_loaders_are_async_closures_or_async_fns() {
    use std::collections::HashMap;
    use std::sync::Arc;

    use jwt_extended::{BoxError, CurrentUser, DecodedToken, UserLoader};

    #[derive(Clone, Debug)]
    struct User {
        id: u64,
        username: String,
    }

    async fn user_lookup(token: Arc<DecodedToken>) -> Result<Option<User>, BoxError> {
        let id: u64 = token.subject().unwrap_or_default().parse()?;
        Ok((id == 1).then(|| User {
            id,
            username: "ann".into(),
        }))
    }

    struct Users;

    #[jwt_extended::async_trait]
    impl UserLoader for Users {
        type User = User;

        async fn load_user(&self, token: &DecodedToken) -> Result<Option<User>, BoxError> {
            Ok((token.subject() == Some("1")).then(|| User {
                id: 1,
                username: "ann".into(),
            }))
        }
    }

    let users: Arc<HashMap<String, User>> = Arc::new(HashMap::from([(
        "1".to_string(),
        User {
            id: 1,
            username: "ann".into(),
        },
    )]));
    let clock = clock();
    let managers = [
        builder(&clock)
            .load_user(move |token| {
                let users = users.clone();
                async move { Ok(token.subject().and_then(|id| users.get(id)).cloned()) }
            })
            .build()
            .unwrap(),
        builder(&clock).load_user(user_lookup).build().unwrap(),
        builder(&clock).user_loader(Users).build().unwrap(),
    ];
    for manager in managers {
        let app = Router::new()
            .route(
                "/me",
                get(|CurrentUser(user): CurrentUser<User>| async move {
                    axum::Json(json!({ "id": user.id, "username": user.username }))
                }),
            )
            .layer(manager.layer());
        let token = manager.create_access_token(1).unwrap();
        let (status, _, body) = send(app.clone(), get_with("/me", &token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({ "id": 1, "username": "ann" }));
        let stranger = manager.create_access_token(2).unwrap();
        let (status, _, body) = send(app, get_with("/me", &stranger)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, json!({ "msg": "Error loading the user 2" }));
    }
}

/// Trap 2: a route layer with its own locations and an extractor in the same handler give
/// one verdict, for every guard kind: the extractor reuses the layer's verification (the
/// user loader runs once per request).
#[tokio::test]
async fn route_layer_and_extractor_give_one_verdict() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use jwt_extended::{
        AnyJwtRequired, CurrentUser, FreshJwtRequired, JwtBodyLayer, OptionalJwt,
        RefreshJwtRequired, RequireJwtLayer, TokenLocation,
    };

    let loads = Arc::new(AtomicUsize::new(0));
    let counter = loads.clone();
    let clock = clock();
    let m = builder(&clock)
        .load_user(move |token| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move { Ok(token.subject().map(str::to_owned)) }
        })
        .build()
        .unwrap();
    let query = || [TokenLocation::QueryString];
    let app = Router::new()
        .route(
            "/refresh",
            post(|jwt: RefreshJwtRequired| async move { format!("refresh {}", jwt.identity()) })
                .route_layer(RequireJwtLayer::refresh(&m).locations([TokenLocation::Json])),
        )
        .route(
            "/access",
            get(|jwt: JwtRequired| async move { format!("access {}", jwt.identity()) })
                .route_layer(RequireJwtLayer::access(&m).locations(query())),
        )
        .route(
            "/fresh",
            get(|jwt: FreshJwtRequired| async move { format!("fresh {}", jwt.identity()) })
                .route_layer(RequireJwtLayer::fresh(&m).locations(query())),
        )
        .route(
            "/any",
            get(|jwt: AnyJwtRequired| async move { format!("any {}", jwt.token().token_type()) })
                .route_layer(RequireJwtLayer::any(&m).locations(query())),
        )
        .route(
            "/optional",
            get(|jwt: OptionalJwt| async move { format!("optional {:?}", jwt.subject()) })
                .route_layer(RequireJwtLayer::optional(&m).locations(query())),
        )
        .route(
            "/me",
            get(|CurrentUser(user): CurrentUser<String>| async move { format!("me {user}") })
                .route_layer(RequireJwtLayer::access(&m).locations(query())),
        )
        .layer(JwtBodyLayer::new())
        .layer(m.layer());

    let refresh = m.create_refresh_token("ann").unwrap();
    let req = Request::post("/refresh")
        .header("content-type", "application/json")
        .body(Body::from(json!({ "refresh_token": refresh }).to_string()))
        .unwrap();
    let (status, _, body) = send(app.clone(), req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!("refresh ann"));

    let access = m.create_access_token("ann").unwrap();
    let fresh = m.access_token("ann").fresh(true).create().unwrap();
    let at = |path: &str, token: &str| {
        Request::get(format!("{path}?jwt={token}"))
            .body(Body::empty())
            .unwrap()
    };
    for (path, token, expected) in [
        ("/access", &access, "access ann"),
        ("/fresh", &fresh, "fresh ann"),
        ("/any", &refresh, "any refresh"),
        ("/optional", &access, "optional Some(\"ann\")"),
        ("/me", &access, "me ann"),
    ] {
        loads.store(0, Ordering::SeqCst);
        let (status, _, body) = send(app.clone(), at(path, token)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body, json!(expected), "{path}");
        if path != "/any" {
            assert_eq!(loads.load(Ordering::SeqCst), 1, "{path}: verified once");
        }
    }
    // The layer's verdict stands for a refused request, too.
    let (status, _, body) = send(app.clone(), at("/fresh", &access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({ "msg": "Fresh token required" }));
    let (status, _, body) = send(app, get_with("/access", &access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({ "msg": "Missing 'jwt' query paramater" }));
}

/// Trap 7: every duration setter takes `std::time::Duration` or `time::Duration`.
#[test]
fn every_duration_setter_takes_either_kind() {
    use std::time::Duration as StdDuration;

    use jwt_extended::store::MemoryStore;
    use jwt_extended::time::Duration as TimeDuration;
    use jwt_extended::{CookieOverrides, ImplicitRefreshLayer};

    let clock = clock();
    for m in [
        builder(&clock)
            .access_expires(StdDuration::from_secs(300))
            .refresh_expires(TimeDuration::days(2))
            .revocation_store(MemoryStore::new().with_sweep_interval(TimeDuration::seconds(10)))
            .refresh_rotation(TimeDuration::seconds(5))
            .build()
            .unwrap(),
        builder(&clock)
            .access_expires(TimeDuration::minutes(5))
            .refresh_expires(StdDuration::from_secs(2 * 86_400))
            .revocation_store(MemoryStore::new().with_sweep_interval(StdDuration::from_secs(10)))
            .refresh_rotation(StdDuration::from_secs(5))
            .build()
            .unwrap(),
    ] {
        let access = m
            .decode_token(&m.create_access_token("a").unwrap())
            .unwrap();
        assert_eq!(
            access.expires_at().unwrap() - access.issued_at().unwrap(),
            300
        );
        let refresh = m
            .decode_token(&m.create_refresh_token("a").unwrap())
            .unwrap();
        assert_eq!(
            refresh.expires_at().unwrap() - refresh.issued_at().unwrap(),
            2 * 86_400
        );
        for token in [
            m.access_token("a")
                .fresh_for(StdDuration::from_secs(60))
                .expires_in(StdDuration::from_secs(120))
                .create()
                .unwrap(),
            m.access_token("a")
                .fresh_for(TimeDuration::seconds(60))
                .expires_in(TimeDuration::seconds(120))
                .create()
                .unwrap(),
        ] {
            let t = m.decode_token(&token).unwrap();
            assert_eq!(t.expires_at().unwrap() - t.issued_at().unwrap(), 120);
            assert!(t.fresh().is_fresh_at((NOW + 60) as f64));
            assert!(!t.fresh().is_fresh_at((NOW + 61) as f64));
        }
        let _ = ImplicitRefreshLayer::new(&m, StdDuration::from_secs(60));
        let _ = ImplicitRefreshLayer::new(&m, TimeDuration::minutes(1));
        let _ = CookieOverrides::default().max_age(StdDuration::from_secs(60));
        let _ = CookieOverrides::default().max_age(TimeDuration::minutes(1));
    }
    clock.advance(TimeDuration::seconds(1));
    clock.advance(StdDuration::from_secs(1));
    assert_eq!(
        jwt_extended::clock::Clock::now(&clock),
        StdDuration::from_secs(NOW + 2)
    );
}

/// Trap 5: `JwtError` and the crate's responses fit axum handlers: `?` on creation and
/// verification, `error_response` returned as is, cookies as response parts, a pair as JSON.
#[tokio::test]
async fn errors_and_responses_fit_axum_handlers() {
    use axum::Json;
    use axum::extract::State;
    use axum::response::IntoResponse;
    use jwt_extended::{ErrorStyle, JwtError};

    async fn login(State(jwt): State<JwtManager>) -> Result<Json<Value>, JwtError> {
        let access_token = jwt.create_access_token(1)?;
        Ok(Json(json!({ "access_token": access_token })))
    }
    async fn broken(State(jwt): State<JwtManager>) -> Result<Json<Value>, JwtError> {
        // A creation failure: a reserved claim.
        let access_token = jwt.access_token(1).claim("type", "admin").create()?;
        Ok(Json(json!({ "access_token": access_token })))
    }
    async fn inspect(State(jwt): State<JwtManager>, body: String) -> Result<Json<Value>, JwtError> {
        let token = jwt.decode_token(body.trim())?;
        Ok(Json(json!({ "sub": token.identity() })))
    }
    async fn answer(State(jwt): State<JwtManager>, body: String) -> impl IntoResponse {
        match jwt.decode_token(body.trim()) {
            Ok(_) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => jwt.error_response(&e).into_response(),
        }
    }
    async fn cookies(State(jwt): State<JwtManager>) -> Result<impl IntoResponse, JwtError> {
        let pair = jwt.token_pair(1).create()?;
        let cookies = jwt.access_cookies(&pair.access_token)?;
        Ok((cookies, Json(json!({ "login": true }))))
    }

    let clock = clock();
    for (m, expected_invalid) in [
        (
            builder(&clock).build().unwrap(),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "msg": "Not enough segments" }),
            ),
        ),
        (
            builder(&clock)
                .error_message_key("message")
                .error_style(ErrorStyle::Rfc6750)
                .build()
                .unwrap(),
            (
                StatusCode::UNAUTHORIZED,
                json!({ "message": "Not enough segments" }),
            ),
        ),
    ] {
        let app = Router::new()
            .route("/login", post(login))
            .route("/broken", post(broken))
            .route("/inspect", post(inspect))
            .route("/answer", post(answer))
            .route("/cookies", post(cookies))
            .layer(m.layer())
            .with_state(m.clone());
        let post_body = |uri: &str, body: &str| {
            Request::post(uri)
                .body(Body::from(body.to_owned()))
                .unwrap()
        };
        let (status, _, body) = send(app.clone(), post_body("/login", "")).await;
        assert_eq!(status, StatusCode::OK);
        let token = body["access_token"].as_str().unwrap().to_owned();

        // A creation failure: 500, no detail.
        let (status, _, body) = send(app.clone(), post_body("/broken", "")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("reserved"), "{body}");
        assert!(body.to_string().contains("Internal Server Error"), "{body}");

        // A verification failure: the guards' answer, with this manager's key and style.
        let (status, _, body) = send(app.clone(), post_body("/inspect", &token)).await;
        assert_eq!((status, body), (StatusCode::OK, json!({ "sub": "1" })));
        let (status, _, body) = send(app.clone(), post_body("/inspect", "garbage")).await;
        assert_eq!((status, body), expected_invalid);
        let (status, _, body) = send(app.clone(), post_body("/answer", "garbage")).await;
        assert_eq!((status, body), expected_invalid);
        let guard_app = Router::new()
            .route("/p", get(|_: JwtRequired| async { "ok" }))
            .layer(m.layer());
        let (status, _, body) = send(guard_app, get_with("/p", "garbage")).await;
        assert_eq!((status, body), expected_invalid);

        let (status, headers, _) = send(app, post_body("/cookies", "")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers.get_all("set-cookie").iter().count() >= 2);
    }
}

/// Trap 6: one kind of error answered the application's way in a few lines, the headers
/// kept, the rest answered by default with the configured message key.
#[tokio::test]
async fn one_error_kind_is_overridden_the_rest_keep_their_default() {
    use jwt_extended::ErrorKind;

    let clock = clock();
    let m = builder(&clock)
        .error_message_key("message")
        .on_error(ErrorKind::Expired, |_err| {
            (
                StatusCode::UNAUTHORIZED,
                json!({ "message": "The token has expired.", "error": "token_expired" }),
            )
        })
        .on_error(ErrorKind::Revoked, |err| {
            let sub = err.token().and_then(|t| t.subject()).unwrap_or("?");
            (
                StatusCode::UNAUTHORIZED,
                json!({ "message": format!("{sub} logged out") }),
            )
        })
        .blocklist(|token| token.subject() == Some("gone"))
        .build()
        .unwrap();
    let app = Router::new()
        .route("/p", get(|_: JwtRequired| async { "ok" }))
        .layer(m.layer());
    let expired = m
        .access_token(1)
        .expires_in(jwt_extended::time::Duration::seconds(-5))
        .create()
        .unwrap();
    let (status, headers, body) = send(app.clone(), get_with("/p", &expired)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        body,
        json!({ "message": "The token has expired.", "error": "token_expired" })
    );
    let gone = m.create_access_token("gone").unwrap();
    let (_, _, body) = send(app.clone(), get_with("/p", &gone)).await;
    assert_eq!(body, json!({ "message": "gone logged out" }));
    // The rest: the default answers, under the configured key.
    let (status, headers, body) =
        send(app.clone(), Request::get("/p").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_eq!(body, json!({ "message": "Missing Authorization Header" }));
    let (status, _, body) = send(app, get_with("/p", "a.b")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, json!({ "message": "Not enough segments" }));
}
