//! The routes of the HTTP contract, registered from one table.

pub(crate) mod accounts;
pub(crate) mod admin;
pub(crate) mod analytics;
pub(crate) mod bookings;
pub(crate) mod events;
pub(crate) mod holds;
pub(crate) mod me;
pub(crate) mod ops;
pub(crate) mod queue;
pub(crate) mod tickets;
pub(crate) mod tiers;
pub(crate) mod waitlist;
pub(crate) mod webhooks;

use actix_web::dev::Handler;
use actix_web::http::Method;
use actix_web::{FromRequest, Responder, Route, web};
use tracing::Instrument as _;
use utoipa::openapi::HttpMethod;

use evently_domain::{BookingId, EventId, UserId};

use crate::Backend;
use crate::error::ApiError;
use crate::metrics::RoutePattern;
use crate::state::AppState;

/// The shared state as handlers receive it.
type State<B> = web::Data<AppState<B>>;

/// Declares the route table: each entry names a handler whose `#[utoipa::path]` gives
/// its method and path. The actix routes ([`configure`]) and the OpenAPI paths
/// ([`RouteDoc`]) are both built from this one list.
macro_rules! route_table {
    ($($module:ident :: $handler:ident $(::<$backend:ident>)?),+ $(,)?) => {
        /// The OpenAPI operations of every route in the table.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($module::$handler),+))]
        pub(crate) struct RouteDoc;

        /// Every route of the table, with its method and path.
        fn endpoints<B: Backend>() -> Vec<Endpoint> {
            pastey::paste! {
                vec![$(Endpoint::new::<$module::[<__path_ $handler>], _, _>($module::$handler $(::<$backend>)?)),+]
            }
        }
    };
}

route_table![
    ops::health,
    ops::ready::<B>,
    ops::metrics,
    accounts::register::<B>,
    accounts::login::<B>,
    me::profile::<B>,
    me::bookings::<B>,
    me::waitlist::<B>,
    me::notifications::<B>,
    holds::mine::<B>,
    admin::list_users::<B>,
    admin::set_role::<B>,
    analytics::overview::<B>,
    analytics::events::<B>,
    events::list::<B>,
    events::create::<B>,
    events::get::<B>,
    events::update::<B>,
    events::cancel::<B>,
    events::seats::<B>,
    events::seatmap::<B>,
    tiers::create::<B>,
    tiers::update::<B>,
    bookings::book::<B>,
    bookings::get::<B>,
    bookings::cancel::<B>,
    holds::create::<B>,
    holds::get::<B>,
    holds::release::<B>,
    holds::confirm::<B>,
    waitlist::queue::<B>,
    waitlist::join::<B>,
    waitlist::standing::<B>,
    waitlist::leave::<B>,
    queue::join::<B>,
    queue::mine::<B>,
    queue::figures::<B>,
    tickets::keys::<B>,
    tickets::list::<B>,
    tickets::qr::<B>,
    tickets::check_in::<B>,
    tickets::check_in_batch::<B>,
    tickets::revocations::<B>,
    tickets::stats::<B>,
    webhooks::create::<B>,
    webhooks::list::<B>,
    webhooks::get::<B>,
    webhooks::update::<B>,
    webhooks::delete::<B>,
    webhooks::rotate::<B>,
    webhooks::deliveries::<B>,
    webhooks::retry::<B>,
];

/// One handler at its method and path.
struct Endpoint {
    path: String,
    method: Method,
    route: Route,
}

impl Endpoint {
    /// `handler` at the method and path its documentation `P` gives.
    fn new<P, F, Args>(handler: F) -> Self
    where
        P: utoipa::Path,
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let method = match P::methods().first() {
            Some(HttpMethod::Get) | None => Method::GET,
            Some(HttpMethod::Post) => Method::POST,
            Some(HttpMethod::Put) => Method::PUT,
            Some(HttpMethod::Delete) => Method::DELETE,
            Some(HttpMethod::Patch) => Method::PATCH,
            Some(HttpMethod::Head) => Method::HEAD,
            Some(HttpMethod::Options) => Method::OPTIONS,
            Some(HttpMethod::Trace) => Method::TRACE,
        };
        Self { path: P::path(), route: web::method(method.clone()).to(handler), method }
    }
}

/// Registers every route of the table, with problem documents for unparsable query
/// strings (400) and path ids (404); a path's other methods answer `405
/// method_not_allowed` with `Allow`.
pub fn configure<B: Backend>(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()))
        .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound("no such resource").into()));
    let mut paths: Vec<(String, Vec<Endpoint>)> = Vec::new();
    for endpoint in endpoints::<B>() {
        match paths.iter_mut().find(|(path, _)| *path == endpoint.path) {
            Some((_, same_path)) => same_path.push(endpoint),
            None => paths.push((endpoint.path.clone(), vec![endpoint])),
        }
    }
    for (path, endpoints) in paths {
        let allow = endpoints.iter().map(|e| e.method.as_str()).collect::<Vec<_>>().join(", ");
        let resource = web::resource(path.as_str()).app_data(RoutePattern(path));
        let resource = endpoints.into_iter().fold(resource, |resource, e| resource.route(e.route));
        cfg.service(resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move { Err::<&str, _>(ApiError::MethodNotAllowed(allow)) }
        })));
    }
}

/// Runs a change to completion on its own task on the changes' runtime
/// ([`AppState::changes`]): a client that hangs up drops its handler, but neither the
/// change nor the cache invalidation that follows its commit.
async fn detached<T, E>(
    runtime: tokio::runtime::Handle,
    change: impl Future<Output = Result<T, E>> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    runtime
        .spawn(change.instrument(tracing::Span::current()))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the task of a change failed: {e}")))?
        .map_err(Into::into)
}

/// Ids in paths: anything not positive names no resource.
fn event_id(raw: i64) -> Result<EventId, ApiError> {
    EventId::new(raw).ok_or(ApiError::NotFound("no such event"))
}

fn booking_id(raw: i64) -> Result<BookingId, ApiError> {
    BookingId::new(raw).ok_or(ApiError::NotFound("no such booking"))
}

fn user_id(raw: i64) -> Result<UserId, ApiError> {
    UserId::new(raw).ok_or(ApiError::NotFound("no such user"))
}
