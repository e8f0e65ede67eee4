//! OpenAPI (feature `utoipa`): the security schemes a manager's configuration implies, to
//! add to a [`utoipa`] document, and each guarded operation's security requirement.
//!
//! [`JwtManager::openapi_security`] reads the configured token locations:
//!
//! | location | scheme name | scheme |
//! |---|---|---|
//! | `headers` | [`BEARER`] `jwt_bearer` | `http`, `bearer`, `bearerFormat: JWT` (an `apiKey` in the header when the header or its type is not the standard `Authorization: Bearer`) |
//! | `cookies` | [`COOKIE`] `jwt_cookie` | `apiKey` in the access cookie |
//! | `cookies` with CSRF protection | [`CSRF`] `jwt_csrf` | `apiKey` in the CSRF header, required with the cookie on `POST`, `PUT`, `PATCH` and `DELETE` (by default) |
//! | `cookies` | [`REFRESH_COOKIE`] `jwt_refresh_cookie` | `apiKey` in the refresh cookie (refresh routes) |
//! | `cookies` with CSRF protection | [`REFRESH_CSRF`] `jwt_refresh_csrf` | `apiKey` in the refresh CSRF header |
//! | `query_string` | [`QUERY`] `jwt_query` | `apiKey` in the query parameter |
//!
//! (A token in a JSON body has no OpenAPI security scheme.) The [`JwtSecurity`] value is a
//! [`Modify`]: it adds the schemes to the document's components. Its
//! [`requirements`](JwtSecurity::requirements) give an operation's security: one
//! alternative per location, each listing the scopes a [`Scoped`](crate::Scoped) route
//! requires (OpenAPI 3.1 allows scopes, or role names, for every scheme type);
//! [`refresh_requirements`](JwtSecurity::refresh_requirements) those of a refresh route; and
//! [`secure`](JwtSecurity::secure) sets them on an operation of the document. Routes
//! without a guard keep no security requirement.
//!
//! ```
//! use jwt_extended::{JwtManager, scope::ScopeSet, TokenLocation, openapi, scopes};
//! use utoipa::Modify;
//! use utoipa::openapi::{HttpMethod, OpenApiBuilder, PathItem, PathsBuilder, path::OperationBuilder};
//!
//! scopes!(pub ReadItems = "read:items");
//!
//! let manager = JwtManager::builder()
//!     .secret("an-example-secret-of-at-least-32-bytes!")
//!     .token_locations([TokenLocation::Headers, TokenLocation::Cookies])
//!     .build()?;
//! let mut doc = OpenApiBuilder::new()
//!     .paths(PathsBuilder::new().path(
//!         "/items",
//!         PathItem::new(HttpMethod::Get, OperationBuilder::new().build()),
//!     ))
//!     .build();
//! let security = manager.openapi_security();
//! security.modify(&mut doc);
//! security.secure(&mut doc, "/items", &http::Method::GET, ReadItems::SCOPES);
//!
//! let json = serde_json::to_value(&doc)?;
//! assert_eq!(json["components"]["securitySchemes"]["jwt_bearer"]["bearerFormat"], "JWT");
//! assert_eq!(json["components"]["securitySchemes"]["jwt_cookie"]["name"], "access_token_cookie");
//! assert_eq!(json["paths"]["/items"]["get"]["security"][0]["jwt_bearer"][0], "read:items");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::Method;
use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};

use crate::locations::TokenLocation;
use crate::manager::JwtManager;

/// The scheme name of the header token.
pub const BEARER: &str = "jwt_bearer";
/// The scheme name of the access cookie.
pub const COOKIE: &str = "jwt_cookie";
/// The scheme name of the CSRF header that goes with the access cookie.
pub const CSRF: &str = "jwt_csrf";
/// The scheme name of the query-string token.
pub const QUERY: &str = "jwt_query";
/// The scheme name of the refresh cookie.
pub const REFRESH_COOKIE: &str = "jwt_refresh_cookie";
/// The scheme name of the CSRF header that goes with the refresh cookie.
pub const REFRESH_CSRF: &str = "jwt_refresh_csrf";

/// The security schemes of a manager's configuration; a utoipa [`Modify`]. Made by
/// [`JwtManager::openapi_security`].
#[derive(Clone)]
pub struct JwtSecurity {
    schemes: Vec<(&'static str, SecurityScheme)>,
    /// The methods on which a cookie token needs its CSRF header (empty: no CSRF).
    csrf_methods: Vec<Method>,
}

impl JwtManager {
    /// The OpenAPI security schemes this manager's token locations imply (see
    /// [`crate::openapi`]).
    pub fn openapi_security(&self) -> JwtSecurity {
        let requests = self.requests();
        let mut schemes = Vec::new();
        let mut csrf_methods = Vec::new();
        for location in requests.order.iter() {
            match location {
                TokenLocation::Headers => {
                    let header = &requests.header;
                    let scheme = if header.name == http::header::AUTHORIZATION
                        && header.scheme.eq_ignore_ascii_case("bearer")
                    {
                        SecurityScheme::Http(
                            HttpBuilder::new()
                                .scheme(HttpAuthScheme::Bearer)
                                .bearer_format("JWT")
                                .description(Some(
                                    "An access token: `Authorization: Bearer <JWT>`.",
                                ))
                                .build(),
                        )
                    } else {
                        let value = if header.scheme.is_empty() {
                            "<JWT>".to_owned()
                        } else {
                            format!("{} <JWT>", header.scheme)
                        };
                        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                            header.name.as_str().to_owned(),
                            format!("An access token: `{}: {value}`.", header.name),
                        )))
                    };
                    schemes.push((BEARER, scheme));
                }
                TokenLocation::Cookies => {
                    schemes.push((
                        COOKIE,
                        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                            requests.cookies.access_name.to_string(),
                            "An access token in the access cookie.".to_owned(),
                        ))),
                    ));
                    schemes.push((
                        REFRESH_COOKIE,
                        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                            requests.cookies.refresh_name.to_string(),
                            "A refresh token in the refresh cookie.".to_owned(),
                        ))),
                    ));
                    let csrf = &requests.csrf;
                    if csrf.protect {
                        let methods = csrf
                            .methods
                            .iter()
                            .map(Method::as_str)
                            .collect::<Vec<_>>()
                            .join(", ");
                        for (name, header, cookie, what) in [
                            (CSRF, &csrf.access_header, &csrf.access_cookie, "access"),
                            (
                                REFRESH_CSRF,
                                &csrf.refresh_header,
                                &csrf.refresh_cookie,
                                "refresh",
                            ),
                        ] {
                            schemes.push((
                                name,
                                SecurityScheme::ApiKey(ApiKey::Header(
                                    ApiKeyValue::with_description(
                                        header.as_str().to_owned(),
                                        format!(
                                            "The value of the `{cookie}` cookie, with the {what} cookie on {methods}."
                                        ),
                                    ),
                                )),
                            ));
                        }
                        csrf_methods = csrf.methods.clone();
                    }
                }
                TokenLocation::QueryString => {
                    let (name, prefix) = requests.query.name_and_prefix();
                    schemes.push((
                        QUERY,
                        SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                            name.to_owned(),
                            format!("An access token in the query string: `{name}={prefix}<JWT>`."),
                        ))),
                    ));
                }
                TokenLocation::Json => {}
            }
        }
        JwtSecurity {
            schemes,
            csrf_methods,
        }
    }
}

impl std::fmt::Debug for JwtSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSecurity")
            .field("schemes", &self.names().collect::<Vec<_>>())
            .field("csrf_methods", &self.csrf_methods)
            .finish()
    }
}

impl JwtSecurity {
    /// The scheme names, in the manager's location order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.schemes.iter().map(|(name, _)| *name)
    }

    /// The security requirement of a guarded operation: any one location's scheme (the
    /// cookie with its CSRF header on the methods that need it), each with `scopes`.
    pub fn requirements(&self, method: &Method, scopes: &[&str]) -> Vec<SecurityRequirement> {
        self.alternatives(method, scopes, COOKIE, CSRF)
    }

    /// The security requirement of a refresh route (a refresh token in the header, the
    /// refresh cookie with its CSRF header on the methods that need it, or the query string).
    pub fn refresh_requirements(&self, method: &Method) -> Vec<SecurityRequirement> {
        self.alternatives(method, &[], REFRESH_COOKIE, REFRESH_CSRF)
    }

    fn alternatives(
        &self,
        method: &Method,
        scopes: &[&str],
        cookie: &str,
        csrf: &str,
    ) -> Vec<SecurityRequirement> {
        let needs_csrf = self.csrf_methods.contains(method);
        self.names()
            .filter(|name| [BEARER, QUERY, cookie].contains(name))
            .map(|name| {
                let requirement = SecurityRequirement::new(name, scopes.iter().copied());
                if name == cookie && needs_csrf {
                    requirement.add(csrf, std::iter::empty::<&str>())
                } else {
                    requirement
                }
            })
            .collect()
    }

    /// Sets the security requirement of the operation `method path` of `openapi` (see
    /// [`requirements`](Self::requirements)). Returns `false` when the document has no such
    /// operation.
    pub fn secure(
        &self,
        openapi: &mut OpenApi,
        path: &str,
        method: &Method,
        scopes: &[&str],
    ) -> bool {
        let Some(item) = openapi.paths.paths.get_mut(path) else {
            return false;
        };
        let operation: Option<&mut Operation> = match *method {
            Method::GET => item.get.as_mut(),
            Method::POST => item.post.as_mut(),
            Method::PUT => item.put.as_mut(),
            Method::PATCH => item.patch.as_mut(),
            Method::DELETE => item.delete.as_mut(),
            Method::HEAD => item.head.as_mut(),
            Method::OPTIONS => item.options.as_mut(),
            Method::TRACE => item.trace.as_mut(),
            _ => None,
        };
        match operation {
            Some(operation) => {
                operation.security = Some(self.requirements(method, scopes));
                true
            }
            None => false,
        }
    }
}

impl Modify for JwtSecurity {
    /// Adds the schemes to the document's components.
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, scheme) in &self.schemes {
            components.add_security_scheme(*name, scheme.clone());
        }
    }
}
