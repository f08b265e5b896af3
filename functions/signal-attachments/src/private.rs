//! The back office's attachments of a signal (spec 04 §7):
//! `…/private/signals/{id}/attachments/` (list, upload) and
//! `…/attachments/{att_id}` (read, `PATCH`/`PUT` of `public` and
//! `caption`, delete), each with the reference's order of checks.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};
use signalen_api::auth::AuthenticatedUser;
use signalen_api::body::BodyError;
use signalen_api::pagination::HalPage;
use signalen_api::routing::{connection, path_id, refuse_method};
use signalen_api::validation::fields::{CharField, boolean};
use signalen_api::validation::{FieldErrors, messages, python_type_name};
use signalen_api::{ApiError, BaseUrl, PageRequest};
use signalen_domain::user::Permission;
use signalen_infra::pg;

use crate::error::Error;
use crate::file::Audience;
use crate::form::read_form;
use crate::representation::private_attachment;
use crate::storage::{self, NO_ATTACHMENT, NO_SIGNAL, Upload, Uploader};
use crate::{AppState, checked_file};

const CREATE: &[Permission] = &[Permission::SIA_WRITE, Permission::SIA_ADD_ATTACHMENT];
const CHANGE: &[Permission] = &[Permission::SIA_WRITE, Permission::SIA_CHANGE_ATTACHMENT];
/// `caption` is `varchar(255)`.
const CAPTION: CharField = CharField::optional()
    .allow_null()
    .allow_blank()
    .max_chars(255);
/// The largest `PATCH`/`PUT` body read.
const MAX_JSON_BYTES: usize = 64 * 1024;

/// `GET`, `POST`; other methods are authenticated, then 405.
pub fn collection() -> MethodRouter<AppState> {
    get(list)
        .post(create)
        .fallback(|user: AuthenticatedUser, method: Method| async move {
            refuse_method(&user, &method, &[], "GET, POST, HEAD, OPTIONS")
        })
}

/// `GET`, `PATCH`, `PUT`, `DELETE`; other methods are authenticated, then 405.
pub fn item() -> MethodRouter<AppState> {
    get(detail)
        .patch(change)
        .put(change)
        .delete(delete)
        .fallback(|user: AuthenticatedUser, method: Method| async move {
            refuse_method(
                &user,
                &method,
                &[],
                "GET, PUT, PATCH, DELETE, HEAD, OPTIONS",
            )
        })
}

/// 403 unless the user sees all categories or the signal is visible by the
/// list rule — also for a signal that does not exist (04 §7.1).
async fn require_readable(
    client: &impl pg::GenericClient,
    user: &AuthenticatedUser,
    signal_id: i32,
) -> Result<(), Error> {
    if user.sees_all_categories() {
        return Ok(());
    }
    let access = pg::signal_access(client, signal_id, false, &user.department_ids, false).await?;
    if access.is_some_and(|a| a.visible) {
        Ok(())
    } else {
        tracing::info!(user_id = user.id, signal_id, "signal not visible");
        Err(ApiError::Forbidden.into())
    }
}

async fn list(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(id): Path<String>,
    base: BaseUrl,
    uri: Uri,
) -> Result<Json<HalPage<Vec<Value>>>, Error> {
    let signal_id = path_id(&id, NO_SIGNAL)?;
    let client = connection(&state.pool).await?;
    require_readable(&client, &user, signal_id).await?;
    let count = pg::count_attachments(&client, signal_id).await?;
    let page = PageRequest::from_query(uri.query()).resolve(u64::try_from(count).unwrap_or(0))?;
    let rows = pg::attachments_of_signal(
        &client,
        signal_id,
        i64::try_from(page.offset()).unwrap_or(i64::MAX),
        i64::try_from(page.limit()).unwrap_or(i64::MAX),
    )
    .await?;
    let mut results = Vec::with_capacity(rows.len());
    for record in &rows {
        let location = storage::location(&state.store, record, state.config.url_expiry).await?;
        results.push(private_attachment(&base, record, &location));
    }
    Ok(Json(page.document(&base, &uri, results)))
}

async fn detail(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path((id, attachment)): Path<(String, String)>,
    base: BaseUrl,
) -> Result<Json<Value>, Error> {
    let signal_id = path_id(&id, NO_SIGNAL)?;
    let attachment_id = path_id(&attachment, NO_ATTACHMENT)?;
    let client = connection(&state.pool).await?;
    require_readable(&client, &user, signal_id).await?;
    let record = pg::attachment_of_signal(&client, signal_id, attachment_id, false)
        .await?
        .ok_or(ApiError::NotFound(NO_ATTACHMENT))?;
    let location = storage::location(&state.store, &record, state.config.url_expiry).await?;
    Ok(Json(private_attachment(&base, &record, &location)))
}

/// `POST`: permissions (403), the signal visible by the list rule (404),
/// the form (400), then stores. `public` and `caption` of the form are
/// stored too (the reference ignores them until a `PATCH`).
async fn create(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(id): Path<String>,
    base: BaseUrl,
    request: Request<Body>,
) -> Result<(StatusCode, Json<Value>), Error> {
    user.require_all(CREATE)?;
    let signal_id = path_id(&id, NO_SIGNAL)?;
    let (parts, body) = request.into_parts();
    let form = read_form(&parts.headers, body, state.config.max_upload_size).await?;
    let mut client = connection(&state.pool).await?;
    pg::signal_access(
        &client,
        signal_id,
        user.sees_all_categories(),
        &user.department_ids,
        false,
    )
    .await?
    .filter(|s| s.visible)
    .ok_or(ApiError::NotFound(NO_SIGNAL))?;
    let mut errors = FieldErrors::new();
    let file = match checked_file(&form, Audience::Private, state.config.max_upload_size) {
        Ok(file) => Some(file),
        Err(Error::Invalid(file_errors)) => {
            if let Some(detail) = file_errors.get("file") {
                errors.insert("file", detail.clone());
            }
            None
        }
        Err(other) => return Err(other),
    };
    let public = errors.take(
        "public",
        boolean(form.public.clone().map(Value::String).as_ref(), false),
    );
    let caption = errors.take(
        "caption",
        CAPTION.read(form.caption.clone().map(Value::String).as_ref()),
    );
    let (Some((file, checked)), Some(public), Some(caption)) = (file, public, caption) else {
        return Err(Error::Invalid(errors));
    };
    let upload = Upload {
        signal_id,
        file,
        checked,
        public: public.unwrap_or(false),
        caption: caption.as_deref(),
        uploader: Uploader::Employee(&user.email),
    };
    let record = storage::add(&state.store, &state.pool, &mut client, &upload).await?;
    let location = storage::location(&state.store, &record, state.config.url_expiry).await?;
    Ok((
        StatusCode::CREATED,
        Json(private_attachment(&base, &record, &location)),
    ))
}

/// `PATCH`/`PUT` of `public` and `caption`: permissions (403), the signal
/// readable (403), the attachment (404), the body (400); answers with the
/// two fields only. Changes no note, history or event (none is defined).
async fn change(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path((id, attachment)): Path<(String, String)>,
    request: Request<Body>,
) -> Result<Json<Value>, Error> {
    user.require_all(CHANGE)?;
    let signal_id = path_id(&id, NO_SIGNAL)?;
    let attachment_id = path_id(&attachment, NO_ATTACHMENT)?;
    let (parts, body) = request.into_parts();
    let client = connection(&state.pool).await?;
    require_readable(&client, &user, signal_id).await?;
    pg::attachment_of_signal(&client, signal_id, attachment_id, false)
        .await?
        .ok_or(ApiError::NotFound(NO_ATTACHMENT))?;
    let body = json_body(&parts.headers, body).await?;
    let Value::Object(fields) = body else {
        return Err(Error::Invalid(FieldErrors::non_field(
            messages::expected_dict(python_type_name(&body)),
        )));
    };
    let mut errors = FieldErrors::new();
    let public = errors.take("public", boolean(fields.get("public"), false));
    let caption = errors.take("caption", CAPTION.read(fields.get("caption")));
    let (Some(public), Some(caption)) = (public, caption) else {
        return Err(Error::Invalid(errors));
    };
    let caption_given = fields.contains_key("caption").then_some(caption.as_deref());
    let (public, caption) =
        pg::update_attachment(&client, signal_id, attachment_id, public, caption_given)
            .await?
            .ok_or(ApiError::NotFound(NO_ATTACHMENT))?;
    Ok(Json(json!({ "public": public, "caption": caption })))
}

async fn delete(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, Error> {
    let signal_id = path_id(&id, NO_SIGNAL)?;
    let attachment_id = path_id(&attachment, NO_ATTACHMENT)?;
    let mut client = connection(&state.pool).await?;
    storage::remove(&state.store, &mut client, &user, signal_id, attachment_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A JSON body (an empty one is `{}`), or 415/400 as the framework answers.
async fn json_body(headers: &HeaderMap, body: Body) -> Result<Value, Error> {
    signalen_api::body::json_body(headers, body, MAX_JSON_BYTES)
        .await
        .map_err(|error| match error {
            BodyError::Parse(reason) => Error::BadJson(reason),
            BodyError::UnsupportedMediaType(media_type) => {
                Error::Form(crate::form::FormError::UnsupportedMediaType(media_type))
            }
        })
}
