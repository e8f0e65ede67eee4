//! What the services share: [`ResponseBody`] (the inner service's body, or the one a
//! service answers with itself) and the boxed future type.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Response;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

/// A boxed, sendable future: the future of the services that await more than their inner
/// service.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

pin_project! {
    /// The response body of [`RequireJwtService`](super::RequireJwtService) and
    /// [`JwtBodyService`](super::JwtBodyService): the inner service's body, or the
    /// rejection's.
    pub struct ResponseBody<B> {
        #[pin]
        kind: BodyKind<B>,
    }
}

pin_project! {
    #[project = BodyProj]
    enum BodyKind<B> {
        Rejection {
            body: Option<Bytes>,
        },
        Inner {
            #[pin]
            body: B,
        },
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn rejection(body: Option<Bytes>) -> Self {
        Self {
            kind: BodyKind::Rejection { body },
        }
    }

    pub(crate) fn inner(body: B) -> Self {
        Self {
            kind: BodyKind::Inner { body },
        }
    }

    pub(crate) fn error_response(status: http::StatusCode) -> Response<Self> {
        let mut res = Response::new(Self::rejection(None));
        *res.status_mut() = status;
        res
    }
}

impl<B: fmt::Debug> fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BodyKind::Rejection { body } => {
                f.debug_struct("Rejection").field("body", body).finish()
            }
            BodyKind::Inner { body } => f.debug_struct("Inner").field("body", body).finish(),
        }
    }
}

impl<B: Body<Data = Bytes>> Body for ResponseBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project().kind.project() {
            BodyProj::Rejection { body } => Poll::Ready(body.take().map(|b| Ok(Frame::data(b)))),
            BodyProj::Inner { body } => body.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            BodyKind::Rejection { body } => body.is_none(),
            BodyKind::Inner { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            BodyKind::Rejection { body } => {
                SizeHint::with_exact(body.as_ref().map_or(0, |b| b.len() as u64))
            }
            BodyKind::Inner { body } => body.size_hint(),
        }
    }
}
