//! The cost of verifying a Flask-style HS256 token, from bare `jsonwebtoken::decode` to the
//! whole guard path of a service (a plain tower service, and an axum app), plus token
//! creation, the asymmetric algorithms, and the tokens of an external issuer (RS256 and
//! ES256, first seen and repeated).
//!
//! ```sh
//! cargo bench --bench jwt
//! cargo bench --bench jwt --features metrics   # the same with the crate's metrics recorded
//! ```
//!
//! Every HS256 benchmark uses the same kind of token: an access token made by
//! `create_access_token` (`fresh`, `iat`, `jti`, `type`, `sub`, `nbf`, `csrf`, `exp`). At the
//! end the ratios against bare `jsonwebtoken::decode` are printed, from criterion's estimates
//! and from interleaved rounds. Times are the benchmarking thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`), not wall-clock time. See `benches/README.md`.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, header::AUTHORIZATION};
use axum::routing::get;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group};
use jsonwebtoken::{DecodingKey, Validation};
use jwt_extended::store::MemoryStore;
use jwt_extended::{Algorithm, Issuer, JwtManager, JwtRequired, Key};
use tower::{Service, ServiceBuilder, ServiceExt};

const SECRET: &str = "a-benchmark-secret-of-at-least-32-bytes!!";

/// Criterion's output directory, set explicitly so the summary finds the estimates.
fn output_directory() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    target.join("criterion")
}

/// The CPU time of the benchmarking thread. The machine is shared, so wall-clock time would
/// also count the time the thread waits while others run; the code's cost is its CPU time.
/// (Everything measured runs on this thread: the runtime is a current-thread one.)
struct ThreadCpuTime;

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given, which lives on our stack.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = Duration;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, started: u64) -> Duration {
        Duration::from_nanos(thread_cpu_ns().saturating_sub(started))
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, d: &Duration) -> f64 {
        d.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        static WALL: WallTime = WallTime;
        WALL.formatter()
    }
}

type Bench = Criterion<ThreadCpuTime>;

fn criterion() -> Bench {
    Criterion::default()
        .with_measurement(ThreadCpuTime)
        .output_directory(&output_directory())
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(50)
}

fn hs256_manager() -> JwtManager {
    JwtManager::builder()
        .secret(SECRET)
        .revocation_store(MemoryStore::new())
        .build()
        .expect("manager")
}

/// `jsonwebtoken::Validation` equivalent to the manager's checks: HS256 only, no leeway,
/// `nbf` checked, `exp` required, no audience.
fn validation() -> Validation {
    let mut v = Validation::new(jsonwebtoken::Algorithm::HS256);
    v.leeway = 0;
    v.validate_nbf = true;
    v.validate_exp = true;
    v.set_required_spec_claims(&["exp"]);
    v.validate_aud = false;
    v
}

async fn protected(jwt: JwtRequired) -> StatusCode {
    if jwt.subject().is_some() {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

async fn open() -> StatusCode {
    StatusCode::OK
}

/// An axum app: `GET /protected` with a `JwtRequired` handler under the layer.
///
/// `with_state(())` turns the routes into services once, as `axum::serve` does (through
/// `Router::into_make_service`); a router called without it builds each route (and applies
/// its layers) again on every request.
fn axum_guarded(manager: &JwtManager) -> Router {
    Router::new()
        .route("/protected", get(protected))
        .layer(manager.layer())
        .with_state(())
}

/// The same app without the layer and the guard.
fn axum_open() -> Router {
    Router::new().route("/protected", get(open)).with_state(())
}

/// A plain tower service under the layer whose handler runs `JwtRequired`.
fn tower_guarded(
    manager: &JwtManager,
) -> impl Service<Request<Body>, Response = Response<()>, Error = Infallible> + Clone {
    ServiceBuilder::new()
        .layer(manager.layer())
        .service_fn(|mut req: Request<Body>| async move {
            let status = match JwtRequired::from_request(&mut req).await {
                Ok(jwt) if jwt.subject().is_some() => StatusCode::OK,
                Ok(_) => StatusCode::INTERNAL_SERVER_ERROR,
                Err(rejection) => rejection.into_response().status(),
            };
            let mut res = Response::new(());
            *res.status_mut() = status;
            Ok::<_, Infallible>(res)
        })
}

/// The same service without the layer and the guard.
fn tower_open() -> impl Service<Request<Body>, Response = Response<()>, Error = Infallible> + Clone
{
    ServiceBuilder::new()
        .service_fn(|_req: Request<Body>| async move { Ok::<_, Infallible>(Response::new(())) })
}

fn request(token: &str) -> Request<Body> {
    let mut req = Request::get("/protected")
        .body(Body::empty())
        .expect("request");
    let value = HeaderValue::try_from(format!("Bearer {token}")).expect("header");
    req.headers_mut().insert(AUTHORIZATION, value);
    req
}

async fn call<S, B>(svc: &S, req: Request<Body>) -> StatusCode
where
    S: Service<Request<Body>, Response = Response<B>, Error = Infallible> + Clone,
{
    let mut svc = svc.clone();
    let ready = ServiceExt::<Request<Body>>::ready(&mut svc)
        .await
        .unwrap_or_else(|e| match e {});
    let status = ready
        .call(req)
        .await
        .unwrap_or_else(|e| match e {})
        .status();
    assert_eq!(status, StatusCode::OK);
    status
}

/// Runs a future that never waits (criterion runs the setup inside the runtime, so it cannot
/// block on one there; nothing in these services waits for I/O).
fn now_or_never<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the service waited"),
    }
}

/// The service benchmarks of one kind of service: a first-seen token, a token's second
/// request, a repeated token, and the same service without the layer and the guard.
fn service_benches<S, O, B1, B2>(
    g: &mut BenchmarkGroup<'_, ThreadCpuTime>,
    runtime: &tokio::runtime::Runtime,
    prefix: &str,
    manager: &JwtManager,
    token: &str,
    guarded: &S,
    open: &O,
) where
    S: Service<Request<Body>, Response = Response<B1>, Error = Infallible> + Clone,
    O: Service<Request<Body>, Response = Response<B2>, Error = Infallible> + Clone,
{
    g.bench_function(format!("{prefix}_guard_first_seen"), |b| {
        b.to_async(runtime).iter_batched(
            || request(&manager.create_access_token("alice").expect("token")),
            |req| call(guarded, req),
            BatchSize::SmallInput,
        )
    });
    // A token's second request once the cache is full: verified again, and now stored (the
    // shard's oldest entry goes). The first request is made in the setup, just before.
    g.bench_function(format!("{prefix}_guard_second_seen"), |b| {
        b.to_async(runtime).iter_batched(
            || {
                let token = manager.create_access_token("alice").expect("token");
                now_or_never(call(guarded, request(&token)));
                request(&token)
            },
            |req| call(guarded, req),
            BatchSize::NumIterations(64),
        )
    });
    g.bench_function(format!("{prefix}_guard_repeated"), |b| {
        b.to_async(runtime).iter_batched(
            || request(token),
            |req| call(guarded, req),
            BatchSize::SmallInput,
        )
    });
    g.bench_function(format!("{prefix}_no_guard"), |b| {
        b.to_async(runtime).iter_batched(
            || request(token),
            |req| call(open, req),
            BatchSize::SmallInput,
        )
    });
}

fn hs256(c: &mut Bench) {
    let manager = hs256_manager();
    let token = manager.create_access_token("alice").expect("token");
    let key = DecodingKey::from_secret(SECRET.as_bytes());
    let validation = validation();
    // The two decoders agree on the token.
    jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).expect("jsonwebtoken");
    manager.decode_token(&token).expect("decode_token");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    let mut g = c.benchmark_group("hs256");
    g.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(
                std::hint::black_box(&token),
                &key,
                &validation,
            )
            .expect("valid")
        })
    });
    g.bench_function("decode_token", |b| {
        b.iter(|| {
            manager
                .decode_token(std::hint::black_box(&token))
                .expect("valid")
        })
    });
    let (guarded, open) = (tower_guarded(&manager), tower_open());
    service_benches(&mut g, &runtime, "tower", &manager, &token, &guarded, &open);
    let (guarded, open) = (axum_guarded(&manager), axum_open());
    service_benches(&mut g, &runtime, "axum", &manager, &token, &guarded, &open);
    g.bench_function("create_access_token", |b| {
        b.iter(|| manager.create_access_token("alice").expect("token"))
    });
    g.finish();
}

fn pem(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn asymmetric(c: &mut Bench) {
    let algs = [
        (Algorithm::RS256, "rsa_private.pem", "rsa_public.pem"),
        (Algorithm::ES256, "ec256_private.pem", "ec256_public.pem"),
        (
            Algorithm::EdDSA,
            "ed25519_private.pem",
            "ed25519_public.pem",
        ),
    ];
    let mut g = c.benchmark_group("asymmetric");
    for (alg, private, public) in algs {
        let manager = JwtManager::builder()
            .algorithm(alg)
            .private_key_pem(pem(private))
            .public_key_pem(pem(public))
            .build()
            .expect("manager");
        let token = manager.create_access_token("alice").expect("token");
        let key = match alg {
            Algorithm::RS256 => DecodingKey::from_rsa_pem(&pem(public)),
            Algorithm::ES256 => DecodingKey::from_ec_pem(&pem(public)),
            _ => DecodingKey::from_ed_pem(&pem(public)),
        }
        .expect("key");
        let mut validation = validation();
        validation.algorithms = vec![alg];
        jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).expect("jsonwebtoken");
        let name = format!("{alg:?}");
        g.bench_function(format!("{name}/jsonwebtoken_decode"), |b| {
            b.iter(|| {
                jsonwebtoken::decode::<serde_json::Value>(
                    std::hint::black_box(&token),
                    &key,
                    &validation,
                )
                .expect("valid")
            })
        });
        g.bench_function(format!("{name}/decode_token"), |b| {
            b.iter(|| {
                manager
                    .decode_token(std::hint::black_box(&token))
                    .expect("valid")
            })
        });
        g.bench_function(format!("{name}/create_access_token"), |b| {
            b.iter(|| manager.create_access_token("alice").expect("token"))
        });
    }
    g.finish();
}

/// An identity provider's access token for the `issuer` benchmarks, signed with a fixture
/// key (a new `jti` each time, so each token is a new one).
fn idp_token(alg: Algorithm, private: &str) -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = serde_json::json!({
        "iss": "https://idp.example.com/", "sub": "auth0|alice", "aud": "bench-api",
        "iat": now, "exp": now + 3600, "scope": "read:items",
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let key = match alg {
        Algorithm::RS256 => jsonwebtoken::EncodingKey::from_rsa_pem(&pem(private)),
        _ => jsonwebtoken::EncodingKey::from_ec_pem(&pem(private)),
    }
    .expect("key");
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = Some("idp-1".into());
    jsonwebtoken::encode(&header, &claims, &key).expect("token")
}

/// Tokens of an external issuer on the guard path (axum): the manager has its own HS256
/// secret and one issuer, whose key set is given statically so that no network is measured
/// (a fetched set is the same table once fetched). First-seen tokens are verified in full
/// (routing by `iss`, RSA or ECDSA signature, the issuer's claims); repeated ones come from
/// the verified-token cache, with the check that the issuer still publishes their key.
fn issuer(c: &mut Bench) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("issuer");
    for (alg, private, public) in [
        (Algorithm::RS256, "rsa_private.pem", "rsa_public.pem"),
        (Algorithm::ES256, "ec256_private.pem", "ec256_public.pem"),
    ] {
        let public_key = Key::public_pem(alg, pem(public))
            .expect("key")
            .with_kid("idp-1");
        let publisher = JwtManager::builder()
            .key(public_key)
            .build()
            .expect("publisher");
        let set = serde_json::to_string(&publisher.jwks()).expect("set");
        let manager = JwtManager::builder()
            .secret(SECRET)
            .issuer(Issuer::with_jwk_set("https://idp.example.com/", set).audience(["bench-api"]))
            .build()
            .expect("manager");
        let app = axum_guarded(&manager);
        let token = idp_token(alg, private);
        now_or_never(call(&app, request(&token)));
        let name = format!("{alg:?}");
        g.bench_function(format!("{name}/guard_first_seen"), |b| {
            b.to_async(&runtime).iter_batched(
                || request(&idp_token(alg, private)),
                |req| call(&app, req),
                BatchSize::SmallInput,
            )
        });
        g.bench_function(format!("{name}/guard_repeated"), |b| {
            b.to_async(&runtime).iter_batched(
                || request(&token),
                |req| call(&app, req),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = criterion();
    targets = hs256, asymmetric, issuer
}

/// Criterion's point estimate (ns) for `group/id`, if it was measured by this run.
fn estimate(started: SystemTime, group: &str, id: &str) -> Option<f64> {
    let path = output_directory()
        .join(group)
        .join(id)
        .join("new/estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < started {
        return None; // left over from an earlier run
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    // The headline number criterion prints: the slope when it has one, else the mean.
    let pick = |name: &str| json.get(name)?.get("point_estimate")?.as_f64();
    pick("slope").or_else(|| pick("mean"))
}

fn summary(started: SystemTime) {
    let get = |id: &str| estimate(started, "hs256", id);
    let (Some(bare), Some(ours)) = (get("jsonwebtoken_decode"), get("decode_token")) else {
        return;
    };
    println!("\nSummary (HS256, criterion estimates; ratios against (1))");
    println!("  (1) jsonwebtoken::decode         {bare:>8.0} ns");
    println!(
        "  (2) decode_token                 {ours:>8.0} ns  (2)/(1) = {:.2}",
        ours / bare
    );
    for service in ["tower", "axum"] {
        let open = get(&format!("{service}_no_guard"));
        for (token, id) in [
            ("first-seen", "first_seen"),
            ("second", "second_seen"),
            ("repeated", "repeated"),
        ] {
            let Some(v) = get(&format!("{service}_guard_{id}")) else {
                continue;
            };
            print!(
                "  (3) {service:<5} guard, {token:<10}  {v:>8.0} ns  (3)/(1) = {:.2}",
                v / bare
            );
            match open {
                Some(o) => println!("  (3)-(4) = {:.0} ns", v - o),
                None => println!(),
            }
        }
        if let Some(o) = open {
            println!("  (4) {service:<5} without the guard  {o:>8.0} ns");
        }
    }
}

/// Nanoseconds per call of `run` on `n` inputs made by `make`, in batches of 200 made just
/// before the clock starts (so that they are as warm as a request just read).
fn per_call<I>(n: usize, mut make: impl FnMut() -> I, mut run: impl FnMut(Vec<I>)) -> f64 {
    const BATCH: usize = 200;
    let mut spent = 0;
    for _ in 0..n.div_ceil(BATCH) {
        let inputs: Vec<I> = std::iter::repeat_with(&mut make).take(BATCH).collect();
        let started = thread_cpu_ns();
        run(inputs);
        spent += thread_cpu_ns() - started;
    }
    spent as f64 / (n.div_ceil(BATCH) * BATCH) as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn run_batch<S, B>(runtime: &tokio::runtime::Runtime, svc: &S, reqs: Vec<Request<Body>>)
where
    S: Service<Request<Body>, Response = Response<B>, Error = Infallible> + Clone,
{
    runtime.block_on(async {
        for req in reqs {
            call(svc, req).await;
        }
    });
}

/// One round of a service's cases: first-seen, second, repeated, without the guard.
fn service_round<S, O, B1, B2>(
    runtime: &tokio::runtime::Runtime,
    fresh: &dyn Fn() -> String,
    token: &str,
    guarded: &S,
    open: &O,
) -> [f64; 4]
where
    S: Service<Request<Body>, Response = Response<B1>, Error = Infallible> + Clone,
    O: Service<Request<Body>, Response = Response<B2>, Error = Infallible> + Clone,
{
    const N: usize = 5000;
    [
        per_call(N, || request(&fresh()), |r| run_batch(runtime, guarded, r)),
        per_call(
            N,
            || {
                let t = fresh();
                now_or_never(call(guarded, request(&t)));
                request(&t)
            },
            |r| run_batch(runtime, guarded, r),
        ),
        per_call(N, || request(token), |r| run_batch(runtime, guarded, r)),
        per_call(N, || request(token), |r| run_batch(runtime, open, r)),
    ]
}

/// The ratios again, from rounds in which every case runs once, side by side: on a shared
/// machine the speed drifts between criterion's benchmarks, which run one after the other
/// for seconds each, while within a round every case sees the same machine. Prints the
/// median time of each case and the median of the per-round ratios.
fn interleaved() {
    const ROUNDS: usize = 15;
    const N: usize = 5000;
    let manager = hs256_manager();
    let token = manager.create_access_token("alice").expect("token");
    let key = DecodingKey::from_secret(SECRET.as_bytes());
    let validation = validation();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (tower, tower_open) = (tower_guarded(&manager), tower_open());
    let (axum, axum_open) = (axum_guarded(&manager), axum_open());
    let fresh = || manager.create_access_token("alice").expect("token");
    // Fill the token cache, as a server that has run for a while has it.
    runtime.block_on(async {
        for _ in 0..12_000 {
            call(&tower, request(&fresh())).await;
        }
    });

    let names = [
        "(1) jsonwebtoken::decode",
        "(2) decode_token",
        "(3) tower guard, first-seen",
        "(3) tower guard, second",
        "(3) tower guard, repeated",
        "(4) tower without the guard",
        "(3) axum guard, first-seen",
        "(3) axum guard, second",
        "(3) axum guard, repeated",
        "(4) axum without the guard",
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for _ in 0..ROUNDS {
        times[0].push(per_call(
            N,
            || &token,
            |ts| {
                for t in ts {
                    jsonwebtoken::decode::<serde_json::Value>(t, &key, &validation).expect("valid");
                }
            },
        ));
        times[1].push(per_call(
            N,
            || &token,
            |ts| {
                for t in ts {
                    manager.decode_token(t).expect("valid");
                }
            },
        ));
        let t = service_round(&runtime, &fresh, &token, &tower, &tower_open);
        let a = service_round(&runtime, &fresh, &token, &axum, &axum_open);
        for (i, v) in t.into_iter().chain(a).enumerate() {
            times[2 + i].push(v);
        }
    }
    let ratio = |i: usize| median((0..ROUNDS).map(|r| times[i][r] / times[0][r]).collect());
    let minus =
        |i: usize, j: usize| median((0..ROUNDS).map(|r| times[i][r] - times[j][r]).collect());
    println!("\nInterleaved: {ROUNDS} rounds of {N} calls per case (medians; ratios against (1))");
    for (i, name) in names.iter().enumerate() {
        let t = median(times[i].clone());
        match i {
            0 => println!("  {name:<30} {t:>7.0} ns"),
            1 => println!("  {name:<30} {t:>7.0} ns  (2)/(1) = {:.2}", ratio(i)),
            2..=4 => println!(
                "  {name:<30} {t:>7.0} ns  (3)/(1) = {:.2}  (3)-(4) = {:.0} ns",
                ratio(i),
                minus(i, 5)
            ),
            6..=8 => println!(
                "  {name:<30} {t:>7.0} ns  (3)/(1) = {:.2}  (3)-(4) = {:.0} ns",
                ratio(i),
                minus(i, 9)
            ),
            _ => println!("  {name:<30} {t:>7.0} ns"),
        }
    }
}

fn main() {
    let started = SystemTime::now() - Duration::from_secs(1);
    // With `--features metrics`, the crate's counters go to a Prometheus recorder, as in a
    // service that exports them; the feature's cost on the guard path is the difference
    // between a run with and a run without it (benches/README.md).
    #[cfg(feature = "metrics")]
    metrics::set_global_recorder(
        metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder(),
    )
    .expect("the only recorder");
    println!(
        "metrics feature: {}",
        if cfg!(feature = "metrics") {
            "on, Prometheus recorder"
        } else {
            "off"
        }
    );
    benches();
    criterion().configure_from_args().final_summary();
    summary(started);
    let args: Vec<String> = std::env::args().collect();
    let measuring = args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a == "--profile-time");
    if measuring {
        interleaved();
    }
}
