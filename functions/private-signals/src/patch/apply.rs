//! Applying a checked PATCH body to a signal inside one transaction, in the
//! reference's order (spec 04 §3.2): location, status, category, priority,
//! notes, type, directing departments, routing departments, user
//! assignment. Everything is looked up and checked before the first write;
//! any failure rolls the whole change back.
//!
//! Side effects the reference leaves unlogged are logged here (issue 3,
//! spec 01 §3.8): a category change that clears the routing relation and
//! the assignee, and a routing change that clears the assignee, each write
//! a `DELETE` history entry on the relation or assignment they cleared.
//! Closing a parent cancels its open children (spec 02 §5) in the same
//! transaction. Every change writes its outbox event
//! (`signalen_domain::signal::events`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use signalen_api::validation::{ErrorDetail, FieldErrors};
use signalen_domain::deadline::Deadlines;
use signalen_domain::signal::events::{
    SIGNAL_AGGREGATE, SIGNAL_CATEGORY_CHANGED, SIGNAL_DIRECTING_DEPARTMENTS_CHANGED,
    SIGNAL_LOCATION_CHANGED, SIGNAL_NOTE_ADDED, SIGNAL_PRIORITY_CHANGED, SIGNAL_ROUTING_CHANGED,
    SIGNAL_STATUS_CHANGED, SIGNAL_TYPE_CHANGED, SIGNAL_USER_ASSIGNED, SignalChanged,
};
use signalen_domain::signal::{AssignedCategory, STADSDEEL_AREA_TYPE};
use signalen_domain::status::system::{child_cancellation, children_to_cancel, closes_children};
use signalen_domain::status::{Actor, ApiContext, State, StatusChange, TransitionError};
use signalen_domain::user::{Permission, User};
use signalen_infra::config::LocationSettings;
use signalen_infra::pg::{self, GenericClient, OutboxEvent, SignalForUpdate};

use super::request::{PatchRequest, does_not_exist};

/// The message of a directing change on a signal that is not a parent.
pub const DIRECTING_ONLY_ON_PARENT: &str =
    "Directing departments can only be set on a parent Signal";
/// The message of an assignment to an e-mail no user has.
pub const NO_SUCH_USER: &str = "Could not set user assignment, user does not exist";
/// The history description of a routing relation a category change cleared.
pub const ROUTING_CLEARED_BY_CATEGORY: &str =
    "Routering vervallen door wijziging van de categorie.";
/// The history description of an assignment a category change cleared.
pub const ASSIGNEE_CLEARED_BY_CATEGORY: &str =
    "Toewijzing vervallen door wijziging van de categorie.";
/// The history description of an assignment a routing change cleared.
pub const ASSIGNEE_CLEARED_BY_ROUTING: &str =
    "Toewijzing vervallen door wijziging van de routering.";

/// Why a change was not applied.
#[derive(Debug)]
pub enum ApplyError {
    /// 404: no signal has this id.
    NotFound,
    /// 400 with field errors (a status payload's under `status`, the
    /// workflow's at the top level).
    Invalid(FieldErrors),
    /// 400 with a list of messages as the whole body (model-level errors of
    /// the reference's update).
    InvalidList(Vec<String>),
    /// 403 with this body.
    Forbidden(Value),
    /// 409: another change holds the signal.
    Busy,
    Database(pg::Error),
}

impl From<pg::Error> for ApplyError {
    fn from(error: pg::Error) -> Self {
        let busy = match &error {
            pg::Error::Db(db) => db.code().map(|c| c.code()) == Some(pg::LOCK_NOT_AVAILABLE),
            _ => false,
        };
        if busy {
            ApplyError::Busy
        } else {
            ApplyError::Database(error)
        }
    }
}

/// What was applied: the number of events written (logged).
#[derive(Debug, Default)]
pub struct Applied {
    pub event_count: usize,
}

/// The facts looked up before any write.
struct Lookups {
    category: Option<AssignedCategory>,
    departments: Vec<pg::DepartmentRef>,
    /// `None`: the body does not assign.
    assignee: Option<Assignee>,
    areas: pg::AreasAtPoint,
}

/// Whom an `assigned_user_email` names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Assignee {
    /// `null`: unassign.
    Nobody,
    User {
        id: i32,
        email: String,
    },
    /// No user has this e-mail.
    Unknown,
}

/// An event of the signal itself, before `updated_at` is known.
struct PendingEvent {
    event_type: &'static str,
    object_id: Option<i32>,
    previous_id: Option<i32>,
    facts: Value,
}

/// Applies `request` to signal `signal_id` as `user`. `client` must be in a
/// transaction that the caller commits on success.
pub async fn apply(
    client: &impl GenericClient,
    settings: &LocationSettings,
    user: &User,
    signal_id: i32,
    request: &PatchRequest,
) -> Result<Applied, ApplyError> {
    let Some(signal) = pg::lock_signal(client, signal_id).await? else {
        return Err(ApplyError::NotFound);
    };
    let found = look_up(client, settings, request).await?;
    check(&signal, user, request, &found)?;

    let actor = Some(user.email.as_str());
    let mut moves = pg::PointerMoves::default();
    let mut events: Vec<PendingEvent> = Vec::new();
    let mut child_events: Vec<CancelledChild> = Vec::new();
    // What is current as the changes go (a category change clears routing
    // and assignee before a routing or assignment change in the same body).
    let mut routing_ids = signal.routing_department_ids.clone();
    let mut routing_id = signal.routing_id;
    let mut assignment = signal
        .user_assignment_id
        .map(|id| (id, signal.assigned_user_id));

    if let Some(location) = &request.location {
        let new = location.clone().into_new_location(
            found
                .areas
                .stadsdeel_area
                .as_ref()
                .map(|area| area.code.as_str()),
            found
                .areas
                .default_area
                .clone()
                .map(|area| (area.type_code, area.code, area.name)),
        );
        let row = pg::insert_location(client, signal.id, &new, actor).await?;
        moves.location = Some(row.id);
        events.push(PendingEvent {
            event_type: SIGNAL_LOCATION_CHANGED,
            object_id: Some(row.id),
            previous_id: signal.location_id,
            facts: json!({}),
        });
    }

    if let Some(status) = &request.status {
        let row = pg::insert_status(
            client,
            signal.id,
            &pg::NewStatusRow {
                state: status.state,
                text: status.text.as_deref(),
                target_api: status.target_api.map(|t| t.code()),
                send_email: status.send_email,
                email_override: status.email_override.as_deref(),
                extra_properties: status.extra_properties.as_ref(),
                created_by: actor,
            },
        )
        .await?;
        moves.status = Some(row.id);
        events.push(PendingEvent {
            event_type: SIGNAL_STATUS_CHANGED,
            object_id: Some(row.id),
            previous_id: signal.status_id,
            facts: json!({
                "state": status.state.code(),
                "previous_state": signal.state.code(),
                "send_email": status.send_email,
            }),
        });
        if signal.is_parent() {
            child_events = cancel_children(client, signal.id, status.state).await?;
        }
    }

    if let Some(category) = found
        .category
        .as_ref()
        .filter(|c| Some(c.id) != signal.category_id)
    {
        let deadlines = Deadlines::compute(
            signal.created_at,
            category.service_level.map(|(_, level)| level),
        )
        .unwrap_or_else(|error| {
            tracing::warn!(category_id = category.id, error.message = %error, "no deadlines");
            None
        });
        let text = request.category.as_ref().and_then(|c| c.text.as_deref());
        let row = pg::insert_category_assignment(
            client,
            signal.id,
            &pg::NewAssignmentRow {
                category_id: category.id,
                category_name: &category.name,
                text,
                deadline: deadlines.map(|d| d.deadline),
                deadline_factor_3: deadlines.map(|d| d.deadline_factor_3),
                stored_handling_message: category.handling_message.as_deref(),
                created_by: actor,
            },
        )
        .await?;
        moves.category_assignment = Some(row.id);
        events.push(PendingEvent {
            event_type: SIGNAL_CATEGORY_CHANGED,
            object_id: Some(row.id),
            previous_id: signal.category_assignment_id,
            facts: json!({
                "category_id": category.id,
                "main_slug": category.main_slug,
                "sub_slug": category.slug,
                "previous_category_id": signal.category_id,
            }),
        });
        // Spec 01 §3.8: both pointers cleared — logged here.
        if let Some(previous) = routing_id.take() {
            log_cleared(
                client,
                signal.id,
                "signal_departments",
                previous,
                ROUTING_CLEARED_BY_CATEGORY,
                actor,
            )
            .await?;
            moves.routing = Some(None);
            routing_ids.clear();
            events.push(PendingEvent {
                event_type: SIGNAL_ROUTING_CHANGED,
                object_id: None,
                previous_id: Some(previous),
                facts: json!({"department_ids": []}),
            });
        }
        if let Some((previous, assigned)) = assignment.take() {
            if assigned.is_some() {
                log_cleared(
                    client,
                    signal.id,
                    "signal_user",
                    previous,
                    ASSIGNEE_CLEARED_BY_CATEGORY,
                    actor,
                )
                .await?;
                events.push(PendingEvent {
                    event_type: SIGNAL_USER_ASSIGNED,
                    object_id: None,
                    previous_id: Some(previous),
                    facts: json!({"user_id": null}),
                });
            }
            moves.user_assignment = Some(None);
        }
    }

    if let Some(priority) = request.priority {
        let row = pg::insert_priority(client, signal.id, priority.code(), actor).await?;
        moves.priority = Some(row.id);
        events.push(PendingEvent {
            event_type: SIGNAL_PRIORITY_CHANGED,
            object_id: Some(row.id),
            previous_id: signal.priority_id,
            facts: json!({"priority": priority.code()}),
        });
    }

    if let Some(Some(text)) = &request.notes {
        let row = pg::insert_note(client, signal.id, text, actor).await?;
        events.push(PendingEvent {
            event_type: SIGNAL_NOTE_ADDED,
            object_id: Some(row.id),
            previous_id: None,
            facts: json!({}),
        });
    }

    if let Some(kind) = request.signal_type {
        let row = pg::insert_type(client, signal.id, kind.code(), actor).await?;
        moves.type_assignment = Some(row.id);
        events.push(PendingEvent {
            event_type: SIGNAL_TYPE_CHANGED,
            object_id: Some(row.id),
            previous_id: signal.type_assignment_id,
            facts: json!({"code": kind.code()}),
        });
    }

    if let Some(ids) = &request.directing_departments {
        let codes = codes_of(ids, &found.departments);
        let row =
            pg::insert_department_relation(client, signal.id, "directing", ids, &codes, actor)
                .await?;
        moves.directing = Some(row.id);
        events.push(PendingEvent {
            event_type: SIGNAL_DIRECTING_DEPARTMENTS_CHANGED,
            object_id: Some(row.id),
            previous_id: signal.directing_id,
            facts: json!({"department_ids": ids}),
        });
    }

    if let Some(ids) = &request.routing_departments {
        let codes = codes_of(ids, &found.departments);
        let row = pg::insert_department_relation(client, signal.id, "routing", ids, &codes, actor)
            .await?;
        moves.routing = Some(Some(row.id));
        events.push(PendingEvent {
            event_type: SIGNAL_ROUTING_CHANGED,
            object_id: Some(row.id),
            previous_id: routing_id,
            facts: json!({"department_ids": ids}),
        });
        // Spec 01 §3.8: "changing the routing department(s) clears the
        // assigned user" — logged here.
        let changed: HashSet<i32> = ids.iter().copied().collect();
        let before: HashSet<i32> = routing_ids.iter().copied().collect();
        if changed != before {
            if let Some((previous, Some(_))) = assignment.take() {
                log_cleared(
                    client,
                    signal.id,
                    "signal_user",
                    previous,
                    ASSIGNEE_CLEARED_BY_ROUTING,
                    actor,
                )
                .await?;
                moves.user_assignment = Some(None);
                events.push(PendingEvent {
                    event_type: SIGNAL_USER_ASSIGNED,
                    object_id: None,
                    previous_id: Some(previous),
                    facts: json!({"user_id": null}),
                });
            }
        }
    }

    if let Some(assignee) = &found.assignee {
        let user = match assignee {
            Assignee::User { id, email } => Some((*id, email.as_str())),
            Assignee::Nobody | Assignee::Unknown => None,
        };
        let row = pg::insert_user_assignment(client, signal.id, user, actor).await?;
        moves.user_assignment = Some(Some(row.id));
        events.push(PendingEvent {
            event_type: SIGNAL_USER_ASSIGNED,
            object_id: Some(row.id),
            previous_id: signal.user_assignment_id,
            facts: json!({"user_id": user.map(|(id, _)| id)}),
        });
    }

    if events.is_empty() {
        return Ok(Applied::default());
    }
    let updated_at = pg::move_pointers(client, signal.id, &moves).await?;
    let mut outbox: Vec<OutboxEvent<'_>> = events
        .into_iter()
        .map(|event| {
            outbox_event(
                signal.id,
                event.event_type,
                SignalChanged {
                    signal_id: signal.id,
                    updated_at,
                    object_id: event.object_id,
                    previous_id: event.previous_id,
                    actor: actor.map(str::to_owned),
                    facts: event.facts,
                },
            )
        })
        .collect();
    for child in child_events {
        outbox.push(outbox_event(
            child.id,
            SIGNAL_STATUS_CHANGED,
            SignalChanged {
                signal_id: child.id,
                updated_at: child.updated_at,
                object_id: Some(child.status_id),
                previous_id: child.previous_status_id,
                actor: None,
                facts: json!({
                    "state": State::Geannuleerd.code(),
                    "previous_state": child.previous_state.code(),
                    "send_email": false,
                }),
            },
        ));
    }
    pg::insert_outbox_events(client, &outbox).await?;
    Ok(Applied {
        event_count: outbox.len(),
    })
}

fn outbox_event(
    signal_id: i32,
    event_type: &'static str,
    payload: SignalChanged,
) -> OutboxEvent<'static> {
    OutboxEvent {
        aggregate_type: SIGNAL_AGGREGATE,
        aggregate_id: signal_id.to_string(),
        event_type,
        occurred_at: payload.updated_at,
        payload: serde_json::to_value(payload).unwrap_or(Value::Null),
    }
}

/// The lookups the body needs, pipelined on the one connection.
async fn look_up(
    client: &impl GenericClient,
    settings: &LocationSettings,
    request: &PatchRequest,
) -> Result<Lookups, pg::Error> {
    let category = async {
        match &request.category {
            Some(input) => {
                pg::sub_category_for_assignment(client, &input.link.main_slug, &input.link.sub_slug)
                    .await
            }
            None => Ok(None),
        }
    };
    let department_ids: Vec<i32> = request
        .directing_departments
        .iter()
        .chain(request.routing_departments.iter())
        .flatten()
        .copied()
        .collect();
    let departments = async {
        if department_ids.is_empty() {
            Ok(Vec::new())
        } else {
            pg::departments_by_ids(client, &department_ids).await
        }
    };
    let assignee = async {
        match &request.assigned_user_email {
            None => Ok(None),
            Some(None) => Ok(Some(Assignee::Nobody)),
            Some(Some(email)) => Ok(Some(match pg::user_id_by_email(client, email).await? {
                Some(id) => Assignee::User {
                    id,
                    email: email.clone(),
                },
                None => Assignee::Unknown,
            })),
        }
    };
    let areas = async {
        match &request.location {
            Some(location)
                if settings.determine_stadsdeel || settings.default_area_type.is_some() =>
            {
                pg::areas_at(
                    client,
                    location.point,
                    settings.determine_stadsdeel.then_some(STADSDEEL_AREA_TYPE),
                    settings.default_area_type.as_deref(),
                )
                .await
            }
            _ => Ok(pg::AreasAtPoint::default()),
        }
    };
    let (category, departments, assignee, areas) =
        tokio::try_join!(category, departments, assignee, areas)?;
    Ok(Lookups {
        category,
        departments,
        assignee,
        areas,
    })
}

/// Every check that needs the signal or the lookups, in the reference's
/// order: field errors of the lookups (category, departments), then the
/// status (its payload rules, permission and the workflow), then the
/// update's own rules (directing on a parent, the assignee exists).
fn check(
    signal: &SignalForUpdate,
    user: &User,
    request: &PatchRequest,
    found: &Lookups,
) -> Result<(), ApplyError> {
    let mut errors = FieldErrors::new();
    if let (Some(input), None) = (&request.category, &found.category) {
        errors.insert("category", input.does_not_exist());
    }
    let known: HashSet<i32> = found.departments.iter().map(|d| d.id).collect();
    for key in ["directing_departments", "routing_departments"] {
        let ids = if key == "directing_departments" {
            &request.directing_departments
        } else {
            &request.routing_departments
        };
        let Some(ids) = ids else { continue };
        if ids.iter().all(|id| known.contains(id)) {
            continue;
        }
        let items = ids
            .iter()
            .map(|id| {
                let mut item = FieldErrors::new();
                if !known.contains(id) {
                    item.push("id", does_not_exist(&id.to_string()));
                }
                item
            })
            .collect();
        errors.insert(key, ErrorDetail::List(items));
    }
    if !errors.is_empty() {
        return Err(ApplyError::Invalid(errors));
    }

    if let Some(status) = &request.status {
        let change = StatusChange {
            state: status.state,
            text: status.text.as_deref(),
            target_api: status.target_api,
            send_email: status.send_email,
            email_override: status.email_override.as_deref(),
        };
        let context = ApiContext {
            may_change_status: user
                .has_all(&[Permission::SIA_WRITE, Permission::SIA_SIGNAL_CHANGE_STATUS]),
            may_push_to_sigmax: user.has(Permission::PUSH_TO_SIGMAX),
            reporter_has_email: signal.reporter_has_email,
        };
        signalen_domain::status::check_transition(signal.state, &change, Actor::Api(context))
            .map_err(transition_error)?;
    }

    if request.directing_departments.is_some() && !signal.is_parent() {
        return Err(ApplyError::InvalidList(vec![
            DIRECTING_ONLY_ON_PARENT.to_owned(),
        ]));
    }
    if found.assignee == Some(Assignee::Unknown) {
        return Err(ApplyError::InvalidList(vec![NO_SUCH_USER.to_owned()]));
    }
    Ok(())
}

/// A refused status change in the reference's body shapes (spec 02 §3).
fn transition_error(error: TransitionError) -> ApplyError {
    match error {
        TransitionError::Invalid(problems) => {
            let mut status = FieldErrors::new();
            for problem in problems {
                status.push(problem.field(), problem.to_string());
            }
            let mut errors = FieldErrors::new();
            errors.insert("status", ErrorDetail::Fields(status));
            ApplyError::Invalid(errors)
        }
        TransitionError::Forbidden(forbidden) => {
            ApplyError::Forbidden(json!({ forbidden.field(): forbidden.to_string() }))
        }
        TransitionError::Rejected(violations) => {
            let mut errors = FieldErrors::new();
            for violation in violations {
                errors.push(violation.field(), violation.to_string());
            }
            ApplyError::Invalid(errors)
        }
    }
}

/// The departments' codes joined by `, `, in the order given.
fn codes_of(ids: &[i32], departments: &[pg::DepartmentRef]) -> String {
    ids.iter()
        .filter_map(|id| departments.iter().find(|d| d.id == *id))
        .map(|d| d.code.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn log_cleared(
    client: &impl GenericClient,
    signal_id: i32,
    object_type: &str,
    cleared: i32,
    description: &str,
    actor: Option<&str>,
) -> Result<(), pg::Error> {
    pg::insert_history_entry(
        client,
        signal_id,
        object_type,
        cleared,
        &pg::EntryText {
            action: "DELETE",
            extra: None,
            description: Some(description),
            created_by: actor,
        },
    )
    .await?;
    Ok(())
}

/// A child that its parent's closure cancelled.
struct CancelledChild {
    id: i32,
    updated_at: DateTime<Utc>,
    status_id: i32,
    previous_status_id: Option<i32>,
    previous_state: State,
}

/// Cancels the open children of a parent whose state became
/// `parent_state` (spec 02 §5).
async fn cancel_children(
    client: &impl GenericClient,
    parent_id: i32,
    parent_state: State,
) -> Result<Vec<CancelledChild>, pg::Error> {
    if !closes_children(parent_state) {
        return Ok(Vec::new());
    }
    let children = pg::lock_children(client, parent_id).await?;
    let to_cancel = children_to_cancel(
        parent_state,
        children.iter().map(|(id, _, state)| (*id, *state)),
    );
    let change = child_cancellation();
    let mut cancelled = Vec::with_capacity(to_cancel.len());
    for (child_id, previous_id, previous_state) in children
        .into_iter()
        .filter(|(id, _, _)| to_cancel.contains(id))
    {
        let row = pg::insert_status(
            client,
            child_id,
            &pg::NewStatusRow {
                state: change.state,
                text: change.text,
                target_api: None,
                send_email: false,
                email_override: None,
                extra_properties: None,
                created_by: None,
            },
        )
        .await?;
        let updated_at = pg::move_pointers(
            client,
            child_id,
            &pg::PointerMoves {
                status: Some(row.id),
                ..Default::default()
            },
        )
        .await?;
        cancelled.push(CancelledChild {
            id: child_id,
            updated_at,
            status_id: row.id,
            previous_status_id: previous_id,
            previous_state,
        });
    }
    Ok(cancelled)
}

#[cfg(test)]
mod tests {
    use signalen_domain::status::{Forbidden, PayloadError, RuleViolation};

    use super::*;

    fn body(error: ApplyError) -> Value {
        match error {
            ApplyError::Invalid(errors) => errors.into_json(),
            ApplyError::InvalidList(messages) => json!(messages),
            ApplyError::Forbidden(body) => body,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn status_payload_errors_nest_under_status() {
        let error = transition_error(TransitionError::Invalid(vec![
            PayloadError::ReporterWithoutEmail,
        ]));
        assert_eq!(
            body(error),
            json!({"status": {"state": ["No email address known for signal with ID={{ signal.id }}."]}})
        );
    }

    #[test]
    fn workflow_violations_are_top_level() {
        let error = transition_error(TransitionError::Rejected(vec![
            RuleViolation::NotAllowed {
                from: State::Afgehandeld,
                to: State::Behandeling,
            },
            RuleViolation::TextRequired {
                to: State::Heropend,
            },
        ]));
        assert_eq!(
            body(error),
            json!({"state": ["Invalid state transition from `Afgehandeld` to `In behandeling`."],
                   "text": ["This field is required when changing `state` to `Heropend`."]})
        );
    }

    #[test]
    fn forbidden_bodies_keep_their_two_shapes() {
        assert_eq!(
            body(transition_error(TransitionError::Forbidden(
                Forbidden::PushToSigmax
            ))),
            json!({"state": "You don't have permissions to push to Sigmax/CityControl."})
        );
        assert_eq!(
            body(transition_error(TransitionError::Forbidden(
                Forbidden::ChangeStatus
            ))),
            json!({"detail": "Je hebt geen toestemming om deze actie uit te voeren."})
        );
    }

    #[test]
    fn codes_follow_the_order_given() {
        let departments = vec![
            pg::DepartmentRef {
                id: 1,
                code: "ASC".into(),
            },
            pg::DepartmentRef {
                id: 2,
                code: "STW".into(),
            },
        ];
        assert_eq!(codes_of(&[2, 1], &departments), "STW, ASC");
        assert_eq!(codes_of(&[], &departments), "");
    }
}
