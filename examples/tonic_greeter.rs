//! A small gRPC service whose method requires an access token, with tonic.
//!
//! ```sh
//! cargo run --example tonic_greeter
//! ```
//!
//! `RequireJwtLayer` runs in front of the gRPC router (`Server::builder().layer(..)`), the
//! manager answers rejections as gRPC statuses (`GrpcErrorResponder`), and the method reads
//! the verified token from the request extensions. It prints a demo token at start. `BIND`
//! sets the address (default `127.0.0.1:50051`); `JWT_SECRET_KEY` the secret.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

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
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:50051".into());
    let secret = std::env::var("JWT_SECRET_KEY")
        .unwrap_or_else(|_| "development-secret-change-me-0123456789abcdef".into());
    let manager = JwtManager::builder()
        .secret(secret)
        .error_responder(GrpcErrorResponder)
        .build()?;

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("demo token: {}", manager.create_access_token("demo")?);
    println!("listening on {}", listener.local_addr()?);
    tonic::transport::Server::builder()
        .layer(RequireJwtLayer::access(&manager))
        .add_service(GreeterServer)
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
        .await?;
    Ok(())
}
