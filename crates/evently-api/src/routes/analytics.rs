use actix_web::{HttpResponse, web};
use chrono::Utc;
use evently_domain::analytics::StatsSort;
use evently_domain::cache::CacheTag;

use super::State;
use crate::Backend;
use crate::auth::Authenticated;
use crate::dto::pages::page_request;
use crate::dto::{EventStatsDto, OverviewDto, PageDto, StatsQuery};
use crate::error::ApiError;

/// How long analytics answers may be served from the cache (writes make them stale
/// sooner).
const ANALYTICS_TTL_SECS: u64 = 5;

/// Whole-system figures (admin), aggregated in the database.
#[utoipa::path(get, path = "/api/v1/admin/analytics", tag = "admin", operation_id = "get_analytics",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures", body = OverviewDto),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn overview<B: Backend>(state: State<B>, auth: Authenticated) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    state
        .responses
        .json("analytics:overview".to_owned(), vec![CacheTag::Analytics], ANALYTICS_TTL_SECS, || async {
            Ok(OverviewDto::from(state.analytics.overview(admin, Utc::now()).await?))
        })
        .await
}

/// Per-event figures (admin), every event, sorted descending with ties by id.
#[utoipa::path(get, path = "/api/v1/admin/analytics/events", tag = "admin", operation_id = "list_event_analytics",
    security(("bearer" = [])), params(StatsQuery),
    responses(
        (status = 200, description = "A page of per-event figures", body = PageDto<EventStatsDto>),
        (status = 400, description = "Unparsable query (unknown sort)"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn events<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let page = page_request(query.limit, query.offset)?;
    let sort = StatsSort::from(query.sort.unwrap_or_default());
    let key = format!("analytics:events:{sort:?}:{}:{}", page.limit(), page.offset());
    state
        .responses
        .json(key, vec![CacheTag::Analytics], ANALYTICS_TTL_SECS, || async {
            let stats = state.analytics.event_stats(admin, sort, page).await?;
            Ok(PageDto::from_page(stats, EventStatsDto::from))
        })
        .await
}
