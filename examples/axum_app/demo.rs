//! `GET /`: a one-file page that walks through the cookie flow in a browser.

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::AppState;

const PAGE: &str = include_str!("demo.html");

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(page))
}

async fn page() -> impl IntoResponse {
    (
        [
            // Only this page's own inline script and style, requests to this origin, and no
            // framing; the answers are shown as text, never as HTML.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                 connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(PAGE),
    )
}
