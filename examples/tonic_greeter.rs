//! A small gRPC service whose method requires an access token, with tonic.
//!
//! ```sh
//! cargo run --example tonic_greeter
//! ```
//!
//! `RequireJwtLayer` runs in front of the gRPC router (`Server::builder().layer(..)`), the
//! manager answers rejections as gRPC statuses (`GrpcErrorResponder`), and the method reads
//! the verified token from the request extensions. It prints a demo token at start. `BIND`
//! sets the address (default `127.0.0.1:50051`); `JWT_SECRET_KEY` the secret; `RUST_LOG` the
//! log filter (default `info`).
//!
//! Served with limits: messages of at most 64 KiB, 30 s per call, HTTP/2 keep-alive pings
//! that close dead connections, at most 100 concurrent calls per connection, and a graceful
//! shutdown on SIGINT/SIGTERM that lets calls in flight finish.

#[path = "common/runtime.rs"]
mod runtime;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use jwt_extended::integrations::tonic::GrpcErrorResponder;
use jwt_extended::{BoxError, JwtManager, JwtRequired, RequireJwtLayer};
use tonic::body::Body;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

/// `message HelloRequest { string name = 1; }`
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    /// Who to greet.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `message HelloReply { string message = 1; }`
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    /// The greeting.
    #[prost(string, tag = "1")]
    pub message: String,
}

/// The largest request message accepted (tonic's default is 4 MiB).
const MAX_MESSAGE_SIZE: usize = 64 * 1024;

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// `rpc SayHello (HelloRequest) returns (HelloReply)`: greets the caller by the token's
/// identity.
struct SayHello;

impl UnaryService<HelloRequest> for SayHello {
    type Response = HelloReply;
    type Future = BoxFuture<Response<HelloReply>, Status>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        Box::pin(async move {
            let jwt = request
                .extensions()
                .get::<JwtRequired>()
                .ok_or_else(|| Status::unauthenticated("no verified token"))?;
            let message = format!(
                "Hello {}, from {}",
                request.get_ref().name,
                jwt.subject().unwrap_or("?")
            );
            Ok(Response::new(HelloReply { message }))
        })
    }
}

/// The `greeter.Greeter` service (what tonic's code generator would write).
#[derive(Clone, Default)]
struct GreeterServer;

impl NamedService for GreeterServer {
    const NAME: &'static str = "greeter.Greeter";
}

impl tower::Service<http::Request<Body>> for GreeterServer {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        Box::pin(async move {
            Ok(match req.uri().path() {
                "/greeter.Greeter/SayHello" => {
                    Grpc::new(ProstCodec::<HelloReply, HelloRequest>::default())
                        .max_decoding_message_size(MAX_MESSAGE_SIZE)
                        .unary(SayHello, req)
                        .await
                }
                _ => Status::unimplemented("no such method").into_http(),
            })
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    runtime::init_tracing();
    let shutdown = runtime::shutdown_signal();
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:50051".into());
    let secret = match std::env::var("JWT_SECRET_KEY") {
        Ok(secret) => secret,
        Err(_) => {
            tracing::warn!(
                "JWT_SECRET_KEY is not set; using a development secret (never in production)"
            );
            "development-secret-change-me-0123456789abcdef".into()
        }
    };
    let manager = JwtManager::builder()
        .secret(secret)
        .error_responder(GrpcErrorResponder)
        .build()?;

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    let addr = listener.local_addr()?;
    println!("demo token: {}", manager.create_access_token("demo")?);
    tracing::info!(%addr, "listening");
    println!("listening on {addr}");
    tonic::transport::Server::builder()
        .timeout(Duration::from_secs(30))
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
        .concurrency_limit_per_connection(100)
        .layer(RequireJwtLayer::access(&manager))
        .add_service(GreeterServer)
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            shutdown,
        )
        .await?;
    Ok(())
}
