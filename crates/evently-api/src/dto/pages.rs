use evently_domain::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageDto<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: u64,
    /// The page size asked for.
    pub limit: u32,
    /// How many items were skipped.
    pub offset: u64,
}

impl<T> PageDto<T> {
    /// Converts a domain page, item by item.
    pub fn from_page<D>(page: Page<D>, convert: impl FnMut(D) -> T) -> Self {
        let request = page.request;
        Self {
            items: page.items.into_iter().map(convert).collect(),
            total: page.total,
            limit: request.limit(),
            offset: request.offset(),
        }
    }
}

/// Pagination of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0, maximum = 2_147_483_647, default = 0)]
    pub offset: Option<i64>,
}

/// Validates a raw `limit` and `offset` (422 when out of range).
pub fn page_request(limit: Option<i64>, offset: Option<i64>) -> Result<PageRequest, ApiError> {
    Ok(PageRequest::new(limit.unwrap_or(i64::from(PageRequest::DEFAULT_LIMIT)), offset.unwrap_or(0))?)
}

impl PageQuery {
    /// The validated page request.
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        page_request(self.limit, self.offset)
    }
}
