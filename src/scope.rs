//! Scopes and roles: what a token is allowed to do, as identity providers write it.
//!
//! # Scopes
//!
//! OAuth scopes come in the `scope` claim as a space-separated string (RFC 8693 §4.2, what
//! this crate's own tokens carry when the application adds the claim) or in the `scp` claim
//! as an array of strings (Okta, Azure AD writes it as a string: both forms are read in both
//! claims). A route requires all of a set of scopes, or any one of them:
//!
//! - as a type, named once with [`scopes!`](crate::scopes!) and used in the
//!   [`Scoped`](crate::Scoped) guard (an axum extractor): `Scoped<ReadItems>`. The scope
//!   names are checked when the program is compiled (non-empty, RFC 6749 §3.3 characters);
//! - at run time, with [`RequiredScopes`], on a
//!   [`RequireJwtLayer`](crate::RequireJwtLayer) (hyper, tonic) or by hand.
//!
//! A token without the scopes is refused with
//! [`ErrorKind::InsufficientScope`]: `403 {"msg":
//! "Insufficient scope, required: read:items"}` in the Flask style, and in the RFC 6750 style
//! `403` with `WWW-Authenticate: Bearer error="insufficient_scope", error_description="...",
//! scope="read:items"`. tonic's `GrpcErrorResponder` answers `permission_denied`.
//!
//! # Roles
//!
//! Roles sit at a path of claims that depends on the identity provider, a [`ClaimPath`]:
//! Keycloak's realm roles (`realm_access.roles`), its client roles
//! (`resource_access.<client>.roles`), or one namespaced claim (Auth0:
//! `https://example.com/roles`; the path is a list of claim names, so a name may contain
//! dots). The value there is an array of strings (a single string is one role). Name a role
//! set with [`roles!`](crate::roles!) and use it in [`HasRoles`](crate::HasRoles), or build a
//! [`RequiredRoles`] at run time. A token without the roles is refused with
//! [`ErrorKind::Forbidden`] (`403`, `insufficient_scope`
//! without a `scope` parameter in the RFC 6750 style).
//!
//! Scopes and roles are checked after every other check of the guard (signature, times,
//! type, freshness, CSRF, revocation, callbacks), so a bad token is still a `401`/`422`.
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use axum::{Router, routing::get};
//! use jwt_extended::{FreshJwtRequired, HasRoles, JwtManager, Scoped, roles, scopes};
//!
//! scopes!(
//!     /// Reading items.
//!     pub ReadItems = "read:items"
//! );
//! scopes!(
//!     /// Writing items.
//!     pub WriteItems = "write:items"
//! );
//! roles!(
//!     /// Keycloak realm administrators.
//!     pub RealmAdmin = any_of["admin", "superuser"] in ["realm_access", "roles"]
//! );
//!
//! async fn list(jwt: Scoped<ReadItems>) -> String {
//!     format!("items of {}", jwt.subject().unwrap_or("?"))
//! }
//! // A fresh token with the scope.
//! async fn add(_: Scoped<WriteItems, FreshJwtRequired>) -> &'static str {
//!     "added"
//! }
//! async fn admin(_: HasRoles<RealmAdmin>) -> &'static str {
//!     "admin"
//! }
//!
//! let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build().unwrap();
//! let app: Router = Router::new()
//!     .route("/items", get(list).post(add))
//!     .route("/admin", get(admin))
//!     .layer(manager.layer());
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::claims::DecodedToken;
use crate::error::{ErrorKind, JwtError};

/// Whether a token needs all of the listed scopes (or roles), or any one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Match {
    /// Every one of them (an empty list is always met).
    All,
    /// At least one of them (an empty list is never met).
    Any,
}

/// A set of scopes named by a type, for [`Scoped`](crate::Scoped). Declare one with
/// [`scopes!`](crate::scopes!), which checks the names at compile time.
///
/// ```
/// use jwt_extended::{scope::Match, scope::ScopeSet, scopes};
///
/// scopes!(
///     /// Either scope lets a client read.
///     pub ReadAny = any_of["read:items", "read:all"]
/// );
/// assert_eq!(ReadAny::SCOPES, ["read:items", "read:all"]);
/// assert_eq!(ReadAny::MATCH, Match::Any);
/// ```
pub trait ScopeSet: Send + Sync + 'static {
    /// The scopes.
    const SCOPES: &'static [&'static str];
    /// All of them, or any one.
    const MATCH: Match = Match::All;
}

/// A set of roles at a claim path, named by a type, for [`HasRoles`](crate::HasRoles).
/// Declare one with [`roles!`](crate::roles!).
///
/// ```
/// use jwt_extended::{scope::Match, scope::RoleSet, roles};
///
/// roles!(
///     /// Auth0 editors (a namespaced claim).
///     pub Editor = "editor" in ["https://example.com/roles"]
/// );
/// assert_eq!(Editor::ROLES, ["editor"]);
/// assert_eq!(Editor::PATH, ["https://example.com/roles"]);
/// assert_eq!(Editor::MATCH, Match::Any);
/// ```
pub trait RoleSet: Send + Sync + 'static {
    /// The roles.
    const ROLES: &'static [&'static str];
    /// The claim names leading to the roles, outermost first.
    const PATH: &'static [&'static str];
    /// Any one of them (the default), or all.
    const MATCH: Match = Match::Any;
}

/// Declares a type naming a set of OAuth scopes, for [`Scoped`](crate::Scoped).
///
/// `scopes!(pub Name = "a", "b")` and `scopes!(pub Name = all_of["a", "b"])` require both;
/// `scopes!(pub Name = any_of["a", "b"])` either. Doc comments and attributes go before the
/// visibility. A scope that is empty or has a character RFC 6749 §3.3 does not allow (a
/// space, `"`, `\`, a control character) is a compile error.
///
/// ```
/// use jwt_extended::{scope::ScopeSet, scopes};
///
/// scopes!(
///     /// Both scopes.
///     pub Sync = all_of["read:items", "write:items"]
/// );
/// assert_eq!(Sync::SCOPES.len(), 2);
/// ```
///
/// ```compile_fail
/// jwt_extended::scopes!(pub Bad = "read items");
/// ```
#[macro_export]
macro_rules! scopes {
    ($(#[$meta:meta])* $vis:vis $name:ident = all_of [$($scope:literal),+ $(,)?]) => {
        $crate::scopes!(@make $(#[$meta])* $vis $name, All, [$($scope),+]);
    };
    ($(#[$meta:meta])* $vis:vis $name:ident = any_of [$($scope:literal),+ $(,)?]) => {
        $crate::scopes!(@make $(#[$meta])* $vis $name, Any, [$($scope),+]);
    };
    ($(#[$meta:meta])* $vis:vis $name:ident = $($scope:literal),+ $(,)?) => {
        $crate::scopes!(@make $(#[$meta])* $vis $name, All, [$($scope),+]);
    };
    (@make $(#[$meta:meta])* $vis:vis $name:ident, $match:ident, [$($scope:literal),+]) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        $vis struct $name;

        impl $crate::scope::ScopeSet for $name {
            const SCOPES: &'static [&'static str] = &[$($scope),+];
            const MATCH: $crate::scope::Match = $crate::scope::Match::$match;
        }

        const _: () = assert!(
            $crate::scope::__private::valid_names(&[$($scope),+]),
            "a scope must be non-empty and made of RFC 6749 scope characters (no space, quote or backslash)"
        );
    };
}

/// Declares a type naming a set of roles at a claim path, for [`HasRoles`](crate::HasRoles).
///
/// `roles!(pub Name = "admin" in ["realm_access", "roles"])` and `any_of[...]` accept a
/// token with any one of the roles; `all_of[...]` requires all. The path lists the claim
/// names from the outermost in; roles and path names must be non-empty (a compile error
/// otherwise).
///
/// ```
/// use jwt_extended::{scope::RoleSet, roles};
///
/// roles!(
///     /// Keycloak client roles of `shop-api`.
///     pub ShopStaff = all_of["staff", "verified"] in ["resource_access", "shop-api", "roles"]
/// );
/// assert_eq!(ShopStaff::PATH.len(), 3);
/// ```
#[macro_export]
macro_rules! roles {
    ($(#[$meta:meta])* $vis:vis $name:ident = all_of [$($role:literal),+ $(,)?] in [$($seg:literal),+ $(,)?]) => {
        $crate::roles!(@make $(#[$meta])* $vis $name, All, [$($role),+], [$($seg),+]);
    };
    ($(#[$meta:meta])* $vis:vis $name:ident = any_of [$($role:literal),+ $(,)?] in [$($seg:literal),+ $(,)?]) => {
        $crate::roles!(@make $(#[$meta])* $vis $name, Any, [$($role),+], [$($seg),+]);
    };
    ($(#[$meta:meta])* $vis:vis $name:ident = $role:literal in [$($seg:literal),+ $(,)?]) => {
        $crate::roles!(@make $(#[$meta])* $vis $name, Any, [$role], [$($seg),+]);
    };
    (@make $(#[$meta:meta])* $vis:vis $name:ident, $match:ident, [$($role:literal),+], [$($seg:literal),+]) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        $vis struct $name;

        impl $crate::scope::RoleSet for $name {
            const ROLES: &'static [&'static str] = &[$($role),+];
            const PATH: &'static [&'static str] = &[$($seg),+];
            const MATCH: $crate::scope::Match = $crate::scope::Match::$match;
        }

        const _: () = assert!(
            $crate::scope::__private::non_empty(&[$($role),+]) && $crate::scope::__private::non_empty(&[$($seg),+]),
            "roles and claim names must be non-empty"
        );
    };
}

/// Compile-time checks of the macros. Not public API.
#[doc(hidden)]
pub mod __private {
    /// Every name is non-empty and made of RFC 6749 §3.3 `scope-token` characters
    /// (`%x21 / %x23-5B / %x5D-7E`).
    pub const fn valid_names(names: &[&str]) -> bool {
        let mut i = 0;
        while i < names.len() {
            let bytes = names[i].as_bytes();
            if bytes.is_empty() {
                return false;
            }
            let mut j = 0;
            while j < bytes.len() {
                let b = bytes[j];
                if !(b == 0x21 || (b >= 0x23 && b <= 0x5B) || (b >= 0x5D && b <= 0x7E)) {
                    return false;
                }
                j += 1;
            }
            i += 1;
        }
        true
    }

    /// Every name is non-empty.
    pub const fn non_empty(names: &[&str]) -> bool {
        let mut i = 0;
        while i < names.len() {
            if names[i].is_empty() {
                return false;
            }
            i += 1;
        }
        true
    }
}

/// Scopes a route requires, built at run time (for [`RequireJwtLayer::require_scopes`]
/// and checks by hand). A scope that could never be granted (with a space in it) is never
/// met: the check fails closed.
///
/// ```
/// use jwt_extended::{JwtManager, scope::RequiredScopes};
///
/// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
/// let token = manager.access_token("alice").claim("scope", "read:items write:items").create()?;
/// let token = manager.decode_token(&token)?;
///
/// assert!(RequiredScopes::all_of(["read:items", "write:items"]).is_met_by(&token));
/// assert!(RequiredScopes::any_of(["admin", "read:items"]).is_met_by(&token));
/// let err = RequiredScopes::all_of(["admin"]).check(&token).unwrap_err();
/// assert_eq!(err.status(), 403);
/// assert_eq!(err.required_scope(), Some("admin"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`RequireJwtLayer::require_scopes`]: crate::RequireJwtLayer::require_scopes
#[derive(Clone, PartialEq, Eq)]
pub struct RequiredScopes {
    scopes: Arc<[Box<str>]>,
    mode: Match,
}

impl fmt::Debug for RequiredScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequiredScopes")
            .field("scopes", &self.scopes)
            .field("mode", &self.mode)
            .finish()
    }
}

impl RequiredScopes {
    /// Every one of `scopes`.
    pub fn all_of<I: IntoIterator<Item = S>, S: Into<Box<str>>>(scopes: I) -> Self {
        Self::new(Match::All, scopes)
    }

    /// At least one of `scopes`.
    pub fn any_of<I: IntoIterator<Item = S>, S: Into<Box<str>>>(scopes: I) -> Self {
        Self::new(Match::Any, scopes)
    }

    /// The scopes of a [`ScopeSet`] type.
    pub fn of<S: ScopeSet>() -> Self {
        Self::new(S::MATCH, S::SCOPES.iter().copied())
    }

    fn new<I: IntoIterator<Item = S>, S: Into<Box<str>>>(mode: Match, scopes: I) -> Self {
        Self {
            scopes: scopes.into_iter().map(Into::into).collect(),
            mode,
        }
    }

    /// The scopes.
    pub fn scopes(&self) -> impl ExactSizeIterator<Item = &str> {
        self.scopes.iter().map(|s| &**s)
    }

    /// All of them, or any one.
    pub fn mode(&self) -> Match {
        self.mode
    }

    /// `true` when `token` grants the scopes.
    pub fn is_met_by(&self, token: &DecodedToken) -> bool {
        meets(self.mode, self.scopes(), |s| token.has_scope(s))
    }

    /// `Ok` when `token` grants the scopes, an
    /// [`InsufficientScope`](ErrorKind::InsufficientScope) error otherwise.
    pub fn check(&self, token: &DecodedToken) -> Result<(), JwtError> {
        if self.is_met_by(token) {
            Ok(())
        } else {
            Err(insufficient_scope(self.mode, self.scopes()))
        }
    }
}

/// Roles a route requires at a [`ClaimPath`], built at run time (for
/// [`RequireJwtLayer::require_roles`] and checks by hand).
///
/// ```
/// use jwt_extended::{scope::ClaimPath, JwtManager, scope::RequiredRoles};
///
/// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
/// let token = manager
///     .access_token("alice")
///     .claim("resource_access", serde_json::json!({"shop-api": {"roles": ["staff"]}}))
///     .create()?;
/// let token = manager.decode_token(&token)?;
///
/// let staff = RequiredRoles::any_of(ClaimPath::keycloak_client("shop-api"), ["staff", "admin"]);
/// assert!(staff.is_met_by(&token));
/// let realm = RequiredRoles::any_of(ClaimPath::keycloak_realm(), ["staff"]);
/// assert_eq!(realm.check(&token).unwrap_err().status(), 403);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`RequireJwtLayer::require_roles`]: crate::RequireJwtLayer::require_roles
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredRoles {
    path: ClaimPath,
    roles: Arc<[Box<str>]>,
    mode: Match,
}

impl RequiredRoles {
    /// Every one of `roles`, at `path`.
    pub fn all_of<I: IntoIterator<Item = S>, S: Into<Box<str>>>(path: ClaimPath, roles: I) -> Self {
        Self::new(path, Match::All, roles)
    }

    /// At least one of `roles`, at `path`.
    pub fn any_of<I: IntoIterator<Item = S>, S: Into<Box<str>>>(path: ClaimPath, roles: I) -> Self {
        Self::new(path, Match::Any, roles)
    }

    /// The roles of a [`RoleSet`] type.
    pub fn of<R: RoleSet>() -> Self {
        Self::new(
            ClaimPath::new(R::PATH.iter().copied()),
            R::MATCH,
            R::ROLES.iter().copied(),
        )
    }

    fn new<I: IntoIterator<Item = S>, S: Into<Box<str>>>(
        path: ClaimPath,
        mode: Match,
        roles: I,
    ) -> Self {
        Self {
            path,
            roles: roles.into_iter().map(Into::into).collect(),
            mode,
        }
    }

    /// `true` when `token` has the roles.
    pub fn is_met_by(&self, token: &DecodedToken) -> bool {
        has_roles(
            token,
            self.path.segments(),
            self.mode,
            self.roles.iter().map(|r| &**r),
        )
    }

    /// `Ok` when `token` has the roles, a [`Forbidden`](ErrorKind::Forbidden) error
    /// otherwise.
    pub fn check(&self, token: &DecodedToken) -> Result<(), JwtError> {
        if self.is_met_by(token) {
            Ok(())
        } else {
            Err(missing_role(self.mode, self.roles.iter().map(|r| &**r)))
        }
    }
}

/// Where the roles are in a token: the claim names from the outermost in.
///
/// ```
/// use jwt_extended::scope::ClaimPath;
///
/// assert_eq!(ClaimPath::keycloak_realm().segments().collect::<Vec<_>>(), ["realm_access", "roles"]);
/// assert_eq!(
///     ClaimPath::keycloak_client("shop-api").segments().collect::<Vec<_>>(),
///     ["resource_access", "shop-api", "roles"]
/// );
/// // Auth0: one namespaced claim, dots and all.
/// assert_eq!(ClaimPath::claim("https://example.com/roles").segments().count(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClaimPath(Arc<[Box<str>]>);

impl ClaimPath {
    /// The path through `segments`, outermost first.
    pub fn new<I: IntoIterator<Item = S>, S: Into<Box<str>>>(segments: I) -> Self {
        Self(segments.into_iter().map(Into::into).collect())
    }

    /// One top-level claim (`roles`, `groups`, an Auth0 namespaced claim).
    pub fn claim(name: impl Into<Box<str>>) -> Self {
        Self(Arc::new([name.into()]))
    }

    /// Keycloak's realm roles: `realm_access.roles`.
    pub fn keycloak_realm() -> Self {
        Self::new(["realm_access", "roles"])
    }

    /// Keycloak's roles of one client: `resource_access.<client>.roles`.
    pub fn keycloak_client(client: &str) -> Self {
        Self::new(["resource_access", client, "roles"])
    }

    /// The claim names.
    pub fn segments(&self) -> impl ExactSizeIterator<Item = &str> + Clone {
        self.0.iter().map(|s| &**s)
    }
}

impl DecodedToken {
    /// The OAuth scopes the token grants: the space-separated `scope` claim and the `scp`
    /// claim (an array of strings, or a space-separated string).
    ///
    /// ```
    /// use jwt_extended::JwtManager;
    ///
    /// let manager = JwtManager::builder().secret("an-example-secret-of-at-least-32-bytes!").build()?;
    /// let token = manager.access_token("alice").claim("scp", ["read:items", "profile"]).create()?;
    /// let token = manager.decode_token(&token)?;
    /// assert_eq!(token.scopes().collect::<Vec<_>>(), ["read:items", "profile"]);
    /// assert!(token.has_scope("profile"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        ["scope", "scp"]
            .into_iter()
            .filter_map(|name| self.claim(name))
            .flat_map(names)
    }

    /// `true` when the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        !scope.is_empty() && self.scopes().any(|s| s == scope)
    }

    /// The roles at `path`: an array of strings, or one string (no roles when the path
    /// does not lead to either).
    pub fn roles_at<'a>(&'a self, path: &ClaimPath) -> impl Iterator<Item = &'a str> {
        roles_in(self, path.segments())
    }
}

/// The roles at the claim path `segments`.
fn roles_in<'t, 'p>(
    token: &'t DecodedToken,
    mut segments: impl Iterator<Item = &'p str>,
) -> impl Iterator<Item = &'t str> {
    {
        let first = segments.next().and_then(|name| token.claim(name));
        let value = segments.try_fold(first, |v, name| Some(v.and_then(|v| v.get(name))));
        let value = value.flatten();
        let (list, one) = match value {
            Some(Value::Array(items)) => (Some(items.iter().filter_map(Value::as_str)), None),
            Some(Value::String(s)) => (None, Some(s.as_str())),
            _ => (None, None),
        };
        list.into_iter().flatten().chain(one)
    }
}

/// The names in a `scope`/`scp` claim value: a space-separated string or an array.
fn names(value: &Value) -> impl Iterator<Item = &str> {
    let (text, list) = match value {
        Value::String(s) => (Some(s.split(' ').filter(|s| !s.is_empty())), None),
        Value::Array(items) => (None, Some(items.iter().filter_map(Value::as_str))),
        _ => (None, None),
    };
    text.into_iter().flatten().chain(list.into_iter().flatten())
}

fn meets<'a>(
    mode: Match,
    mut wanted: impl Iterator<Item = &'a str>,
    has: impl Fn(&str) -> bool,
) -> bool {
    match mode {
        Match::All => wanted.all(has),
        Match::Any => wanted.any(has),
    }
}

pub(crate) fn has_roles<'a, 'p>(
    token: &DecodedToken,
    path: impl Iterator<Item = &'p str> + Clone,
    mode: Match,
    wanted: impl Iterator<Item = &'a str>,
) -> bool {
    meets(mode, wanted, |role| {
        !role.is_empty() && roles_in(token, path.clone()).any(|r| r == role)
    })
}

pub(crate) fn insufficient_scope<'a>(
    mode: Match,
    scopes: impl Iterator<Item = &'a str>,
) -> JwtError {
    let list = scopes.collect::<Vec<_>>().join(" ");
    let message = match mode {
        Match::All => format!("Insufficient scope, required: {list}"),
        Match::Any => format!("Insufficient scope, one of: {list}"),
    };
    JwtError::new(ErrorKind::InsufficientScope, message).with_required_scope(list)
}

pub(crate) fn missing_role<'a>(mode: Match, roles: impl Iterator<Item = &'a str>) -> JwtError {
    let list = roles.collect::<Vec<_>>().join(" ");
    let message = match mode {
        Match::All => format!("Insufficient role, required: {list}"),
        Match::Any => format!("Insufficient role, one of: {list}"),
    };
    JwtError::new(ErrorKind::Forbidden, message)
}

#[cfg(test)]
mod tests {
    use super::__private::valid_names;

    #[test]
    fn scope_token_characters() {
        assert!(valid_names(&["read:items", "https://x.example/a!#[]~"]));
        for bad in ["", "a b", "a\"b", "a\\b", "é", "a\tb"] {
            assert!(!valid_names(&[bad]), "{bad:?}");
        }
    }
}
