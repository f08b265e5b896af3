//! `GET /signals/v1/private/me/` (spec 04 §12): the signed-in user in the
//! user-detail shape, with `sia_read`.

use axum::Json;
use axum::Router;
use axum::extract::State;
use http::Method;
use serde_json::Value;
use signalen_api::auth::AuthenticatedUser;
use signalen_api::{ApiError, BaseUrl};
use signalen_domain::user::Permission;
use signalen_infra::pg;

use crate::representation::Documents;
use crate::{AppState, SIA_WRITE, both, connection, read_only};

pub fn routes() -> Router<AppState> {
    both(
        Router::new(),
        "/signals/v1/private/me",
        read_only(me, SIA_WRITE),
    )
}

async fn me(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    method: Method,
    base: BaseUrl,
) -> Result<Json<Value>, ApiError> {
    user.require_for(&method, &[Permission::SIA_READ])?;
    let client = connection(&state).await?;
    let detail = pg::user_detail(&client, user.id)
        .await
        .map_err(ApiError::unexpected)?
        .ok_or(ApiError::NotFound("No User matches the given query."))?;
    Ok(Json(
        Documents::new(&base, state.media_base_url.as_deref()).user(&detail),
    ))
}
