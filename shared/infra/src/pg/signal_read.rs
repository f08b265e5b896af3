//! The back office's reads of signals (spec 04 §2.1, §3.1, §4–§6): the
//! filtered, ordered and paginated list, one signal with everything nested
//! in it, its history, its children and the map.
//!
//! Query shape (docs/private-signals.md): a list page costs three
//! statements — the count and the page's ids, sent together, then the
//! page's rows with all their nested objects ([`signals_by_ids`]: the
//! current-pointer joins and a few correlated subqueries; one statement
//! text, so PostgreSQL plans it once per connection). Filters are SQL
//! fragments chosen from a fixed set in this file; every value a client
//! sent is a bind parameter. Every signal appears once: filters on related
//! rows are `EXISTS` tests or joins on the signal's unique pointers, never
//! joins that multiply rows.
//!
//! Filters, orderings and the list visibility on the current state,
//! category, priority, type, deadlines and routing departments read the
//! signal's `current_*` columns (migration V0016: copies of the rows the
//! pointers name, kept by triggers), so a count or a filtered page is one
//! index range on `signals_signal` instead of joins over whole tables.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use signalen_domain::deadline::Punctuality;
use signalen_domain::history::{HistoryRow, LocationFacts, WhatFilter};
use signalen_domain::signal::Stadsdeel;
use signalen_domain::user::User;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::{Error, GenericClient};

/// Which signals a user may see in lists (spec 01 §9.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Superusers and `sia_can_view_all_categories`.
    All,
    /// Signals in one of `categories` (those the departments are
    /// responsible for or may view) or routed to one of `departments`.
    Departments {
        departments: Vec<i32>,
        categories: Vec<i32>,
    },
}

impl Visibility {
    pub fn of(user: &User) -> Self {
        if user.sees_all_categories() {
            Visibility::All
        } else {
            Visibility::Departments {
                departments: user.department_ids.clone(),
                categories: user.visible_category_ids.clone(),
            }
        }
    }
}

/// A filter on a nullable code: the codes, and whether "no value" (`null`)
/// matches too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodesOrNull {
    pub codes: Vec<String>,
    pub null: bool,
}

impl CodesOrNull {
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty() && !self.null
    }
}

/// `contact_details` (04 §2.1): ORed; none of them set means no filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactDetails {
    pub email: bool,
    pub phone: bool,
    pub none: bool,
}

/// `kind` (04 §2.1), ORed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Kinds {
    /// Neither parent nor child.
    pub signal: bool,
    pub parent_signal: bool,
    pub child_signal: bool,
    pub exclude_parent_signal: bool,
}

/// `feedback` (04 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackFilter {
    Satisfied,
    NotSatisfied,
    NotReceived,
}

/// The list filters of spec 04 §2.1, already validated; all combined with
/// AND. Empty vectors and `None` mean "no filter". Rules that make a
/// combination of values mean "no filter" (all `contact_details`, certain
/// sets of `kind`, every `directing_department`) are applied by the
/// caller, which knows the choices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalFilter {
    pub id: Option<i32>,
    /// `id` was a number that no signal can have (not an integer, too large).
    pub id_matches_nothing: bool,
    pub address_text: Option<String>,
    pub area_code: CodesOrNull,
    pub area_type_code: CodesOrNull,
    pub buurt_code: Vec<String>,
    pub category_id: Vec<i32>,
    /// Used only without `category_id`: parent OR sub slug (04 §2.1).
    pub maincategory_slug: Vec<String>,
    pub category_slug: Vec<String>,
    pub contact_details: ContactDetails,
    pub created_before: Option<DateTime<Utc>>,
    pub created_after: Option<DateTime<Utc>>,
    pub updated_before: Option<DateTime<Utc>>,
    pub updated_after: Option<DateTime<Utc>>,
    pub incident_date: Option<NaiveDate>,
    /// Local date of `incident_date_start` ≥ this (the reference's inverted name).
    pub incident_date_before: Option<NaiveDate>,
    /// Local date of `incident_date_start` ≤ this (idem).
    pub incident_date_after: Option<NaiveDate>,
    pub directing_department: CodesOrNull,
    pub routing_department_code: CodesOrNull,
    /// `Some(None)`: nobody assigned.
    pub assigned_user_email: Option<Option<String>>,
    pub reporter_email: Option<String>,
    pub feedback: Option<FeedbackFilter>,
    /// `has_changed_children`: (true given, false given); both = every parent.
    pub has_changed_children: Option<(bool, bool)>,
    pub kind: Kinds,
    pub note_keyword: Option<String>,
    pub priority: Vec<String>,
    pub punctuality: Option<Punctuality>,
    pub source: Vec<String>,
    pub stadsdeel: CodesOrNull,
    pub status: Vec<String>,
    pub signal_type: Vec<String>,
}

/// The sort keys of `ordering` (04 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Id,
    CreatedAt,
    UpdatedAt,
    Stadsdeel,
    SubCategory,
    MainCategory,
    Status,
    Priority,
    Address,
    AssignedUserEmail,
    AreaName,
    Postcode,
}

impl SortField {
    /// The field for an `ordering` name; `None` for one the list ignores.
    pub fn from_name(name: &str) -> Option<SortField> {
        Some(match name {
            "id" => SortField::Id,
            "created_at" => SortField::CreatedAt,
            "updated_at" => SortField::UpdatedAt,
            "stadsdeel" => SortField::Stadsdeel,
            "sub_category" => SortField::SubCategory,
            "main_category" => SortField::MainCategory,
            "status" => SortField::Status,
            "priority" => SortField::Priority,
            "address" => SortField::Address,
            "assigned_user_email" => SortField::AssignedUserEmail,
            "area_name" => SortField::AreaName,
            "postcode" => SortField::Postcode,
            _ => return None,
        })
    }

    fn column(self) -> (&'static str, Join) {
        match self {
            SortField::Id => ("s.id", Join::NONE),
            SortField::CreatedAt => ("s.created_at", Join::NONE),
            SortField::UpdatedAt => ("s.updated_at", Join::NONE),
            SortField::Stadsdeel => ("loc.stadsdeel", Join::LOCATION),
            SortField::SubCategory => ("cat.slug", Join::CATEGORY),
            SortField::MainCategory => ("main.slug", Join::CATEGORY),
            SortField::Status => ("s.current_state", Join::NONE),
            SortField::Priority => ("s.current_priority", Join::NONE),
            SortField::Address => ("loc.address_text", Join::LOCATION),
            SortField::AssignedUserEmail => ("au.email", Join::USER),
            SortField::AreaName => ("loc.area_name", Join::LOCATION),
            SortField::Postcode => ("loc.postcode", Join::LOCATION),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: SortField,
    pub descending: bool,
}

impl SortKey {
    /// The default ordering, `-created_at`.
    pub const DEFAULT: SortKey = SortKey {
        field: SortField::CreatedAt,
        descending: true,
    };
}

/// The current-pointer joins a query needs, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Join(u8);

impl Join {
    const NONE: Join = Join(0);
    const LOCATION: Join = Join(1);
    const CATEGORY: Join = Join(2);
    const REPORTER: Join = Join(4);
    const USER: Join = Join(8);

    fn has(self, other: Join) -> bool {
        self.0 & other.0 != 0
    }

    fn sql(self) -> String {
        let mut sql = String::new();
        for (join, clause) in [
            (
                Join::LOCATION,
                " LEFT JOIN signals_location loc ON loc.id = s.location_id",
            ),
            (
                Join::CATEGORY,
                " LEFT JOIN signals_category cat ON cat.id = s.current_category_id \
                 LEFT JOIN signals_category main ON main.id = s.current_main_category_id",
            ),
            (
                Join::REPORTER,
                " LEFT JOIN signals_reporter rep ON rep.id = s.reporter_id",
            ),
            (
                Join::USER,
                " LEFT JOIN signals_signaluser su ON su.id = s.user_assignment_id \
                 LEFT JOIN auth_user au ON au.id = su.user_id",
            ),
        ] {
            if self.has(join) {
                sql.push_str(clause);
            }
        }
        sql
    }
}

impl std::ops::BitOrAssign for Join {
    fn bitor_assign(&mut self, other: Join) {
        self.0 |= other.0;
    }
}

type Param = Box<dyn ToSql + Sync + Send>;

/// A `WHERE` clause under construction: fragments of this file, with every
/// value bound as a parameter.
#[derive(Default)]
struct Conditions {
    params: Vec<Param>,
    clauses: Vec<String>,
    joins: Join,
    /// A clause reads more of a signal than the key columns of
    /// `signals_signal_counts` (V0017), so that view cannot count it.
    per_signal: bool,
}

/// `EXISTS` a child of `s`.
const HAS_CHILDREN: &str = "EXISTS (SELECT 1 FROM signals_signal c WHERE c.parent_id = s.id)";

impl Conditions {
    fn bind(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    fn push(&mut self, join: Join, clause: String) {
        self.joins |= join;
        self.per_signal = true;
        self.clauses.push(clause);
    }

    /// A clause that reads only the key columns of `signals_signal_counts`
    /// (V0017: current state, category, main category, priority, type,
    /// source and routing departments), with the names they have on
    /// `signals_signal`.
    fn push_keyed(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    fn visibility(&mut self, visibility: &Visibility) {
        let Visibility::Departments {
            departments,
            categories,
        } = visibility
        else {
            return;
        };
        let c = self.bind(categories.clone());
        let d = self.bind(departments.clone());
        self.push_keyed(format!(
            "(s.current_category_id = ANY({c}::int4[]) OR s.current_routing_department_ids && {d}::int4[])"
        ));
    }

    /// `column = ANY(codes)` and/or `column IS NULL`.
    fn codes_or_null(&mut self, join: Join, column: &str, filter: &CodesOrNull) {
        if filter.is_empty() {
            return;
        }
        let mut parts = Vec::new();
        if !filter.codes.is_empty() {
            let p = self.bind(filter.codes.clone());
            parts.push(format!("{column} = ANY({p}::text[])"));
        }
        if filter.null {
            parts.push(format!("{column} IS NULL"));
        }
        self.push(join, format!("({})", parts.join(" OR ")));
    }

    /// A department relation (`pointer` on the signal) that names one of
    /// the codes, and/or that is absent or empty.
    fn departments(&mut self, pointer: &str, filter: &CodesOrNull) {
        if filter.is_empty() {
            return;
        }
        let mut parts = Vec::new();
        if !filter.codes.is_empty() {
            let p = self.bind(filter.codes.clone());
            parts.push(format!(
                "EXISTS (SELECT 1 FROM signals_signaldepartments_departments fsd
                         JOIN signals_department fd ON fd.id = fsd.department_id
                         WHERE fsd.signaldepartments_id = s.{pointer} AND fd.code = ANY({p}::text[]))"
            ));
        }
        if filter.null {
            parts.push(format!(
                "NOT EXISTS (SELECT 1 FROM signals_signaldepartments_departments fsd
                             WHERE fsd.signaldepartments_id = s.{pointer})"
            ));
        }
        self.push(Join::NONE, format!("({})", parts.join(" OR ")));
    }

    fn filter(&mut self, f: &SignalFilter) {
        if f.id_matches_nothing {
            self.push(Join::NONE, "false".to_owned());
        } else if let Some(id) = f.id {
            let p = self.bind(id);
            self.push(Join::NONE, format!("s.id = {p}"));
        }
        if let Some(text) = &f.address_text {
            let p = self.bind(contains_pattern(text));
            self.push(Join::LOCATION, format!("loc.address_text ILIKE {p}"));
        }
        self.codes_or_null(Join::LOCATION, "loc.area_code", &f.area_code);
        self.codes_or_null(Join::LOCATION, "loc.area_type_code", &f.area_type_code);
        if !f.buurt_code.is_empty() {
            let p = self.bind(f.buurt_code.clone());
            self.push(Join::LOCATION, format!("loc.buurt_code = ANY({p}::text[])"));
        }
        if !f.category_id.is_empty() {
            let p = self.bind(f.category_id.clone());
            self.push_keyed(format!("s.current_category_id = ANY({p}::int4[])"));
        } else if !f.maincategory_slug.is_empty() || !f.category_slug.is_empty() {
            let main = self.bind(f.maincategory_slug.clone());
            let sub = self.bind(f.category_slug.clone());
            self.push_keyed(format!(
                "(s.current_main_category_id = ANY(ARRAY(SELECT fc.id FROM signals_category fc
                                                             WHERE fc.parent_id IS NULL
                                                               AND fc.slug = ANY({main}::text[])))
                      OR s.current_category_id = ANY(ARRAY(SELECT fc.id FROM signals_category fc
                                                           WHERE fc.parent_id IS NOT NULL
                                                             AND fc.slug = ANY({sub}::text[]))))"
            ));
        }
        self.contact_details(f.contact_details);
        for (value, clause) in [
            (f.created_before, "s.created_at <="),
            (f.created_after, "s.created_at >="),
            (f.updated_before, "s.updated_at <="),
            (f.updated_after, "s.updated_at >="),
        ] {
            if let Some(at) = value {
                let p = self.bind(at);
                self.push(Join::NONE, format!("{clause} {p}"));
            }
        }
        for (value, op) in [
            (f.incident_date, "="),
            (f.incident_date_before, ">="),
            (f.incident_date_after, "<="),
        ] {
            if let Some(date) = value {
                let p = self.bind(date);
                self.push(
                    Join::NONE,
                    format!(
                        "(timezone('Europe/Amsterdam', s.incident_date_start))::date {op} {p}::date"
                    ),
                );
            }
        }
        if !f.directing_department.is_empty() {
            self.push(
                Join::NONE,
                format!("(s.parent_id IS NULL AND {HAS_CHILDREN})"),
            );
            self.departments(
                "directing_departments_assignment_id",
                &f.directing_department,
            );
        }
        self.departments("routing_assignment_id", &f.routing_department_code);
        match &f.assigned_user_email {
            None => {}
            Some(None) => self.push(Join::USER, "su.user_id IS NULL".to_owned()),
            Some(Some(email)) => {
                let p = self.bind(email.clone());
                self.push(Join::USER, format!("lower(au.email) = lower({p})"));
            }
        }
        if let Some(email) = &f.reporter_email {
            let p = self.bind(email.clone());
            self.push(Join::REPORTER, format!("lower(rep.email) = lower({p})"));
        }
        if let Some(feedback) = f.feedback {
            self.push(Join::NONE, feedback_clause(feedback));
        }
        self.has_changed_children(f.has_changed_children);
        self.kinds(f.kind);
        if let Some(keyword) = &f.note_keyword {
            let p = self.bind(contains_pattern(keyword));
            self.push(
                Join::NONE,
                format!(
                    "EXISTS (SELECT 1 FROM signals_note n WHERE n._signal_id = s.id AND n.text ILIKE {p})"
                ),
            );
        }
        if !f.priority.is_empty() {
            let p = self.bind(f.priority.clone());
            self.push_keyed(format!("s.current_priority = ANY({p}::text[])"));
        }
        if let Some(punctuality) = f.punctuality {
            self.punctuality(punctuality);
        }
        if !f.source.is_empty() {
            let p = self.bind(f.source.clone());
            self.push_keyed(format!("s.source = ANY({p}::text[])"));
        }
        self.codes_or_null(Join::LOCATION, "loc.stadsdeel", &f.stadsdeel);
        if !f.status.is_empty() {
            let p = self.bind(f.status.clone());
            self.push_keyed(format!("s.current_state = ANY({p}::text[])"));
        }
        if !f.signal_type.is_empty() {
            let p = self.bind(f.signal_type.clone());
            self.push_keyed(format!("s.current_type = ANY({p}::text[])"));
        }
    }

    fn contact_details(&mut self, c: ContactDetails) {
        if !(c.email || c.phone || c.none) || (c.email && c.phone && c.none) {
            return;
        }
        const HAS_EMAIL: &str = "(rep.email IS NOT NULL AND rep.email <> '')";
        const HAS_PHONE: &str = "(rep.phone IS NOT NULL AND rep.phone <> '')";
        let mut parts = Vec::new();
        if c.email {
            parts.push(HAS_EMAIL.to_owned());
        }
        if c.phone {
            parts.push(HAS_PHONE.to_owned());
        }
        if c.none {
            parts.push(format!("(NOT {HAS_EMAIL} AND NOT {HAS_PHONE})"));
        }
        self.push(Join::REPORTER, format!("({})", parts.join(" OR ")));
    }

    fn has_changed_children(&mut self, value: Option<(bool, bool)>) {
        let Some((changed, unchanged)) = value else {
            return;
        };
        let clause = match (changed, unchanged) {
            (true, true) => HAS_CHILDREN.to_owned(),
            (true, false) => "EXISTS (SELECT 1 FROM signals_signal c
                                      WHERE c.parent_id = s.id AND c.updated_at > s.updated_at)"
                .to_owned(),
            (false, true) => "s.updated_at > (SELECT max(c.updated_at) FROM signals_signal c
                                                 WHERE c.parent_id = s.id)"
                .to_owned(),
            (false, false) => return,
        };
        self.push(Join::NONE, clause);
    }

    fn kinds(&mut self, k: Kinds) {
        let all = k.signal && k.parent_signal && k.child_signal && k.exclude_parent_signal;
        let complete = k.signal && k.parent_signal && k.child_signal && !k.exclude_parent_signal;
        let complement = k.parent_signal && k.exclude_parent_signal && !k.signal && !k.child_signal;
        if all || complete || complement {
            return;
        }
        let is_parent = format!("(s.parent_id IS NULL AND {HAS_CHILDREN})");
        let mut parts = Vec::new();
        if k.signal {
            parts.push(format!("(s.parent_id IS NULL AND NOT {HAS_CHILDREN})"));
        }
        if k.parent_signal {
            parts.push(is_parent.clone());
        }
        if k.child_signal {
            parts.push("s.parent_id IS NOT NULL".to_owned());
        }
        if k.exclude_parent_signal {
            parts.push(format!("NOT {is_parent}"));
        }
        if !parts.is_empty() {
            self.push(Join::NONE, format!("({})", parts.join(" OR ")));
        }
    }

    fn punctuality(&mut self, punctuality: Punctuality) {
        let open = "(s.current_state IS NULL OR s.current_state NOT IN ('o', 'a', 's'))";
        let deadline = match punctuality {
            Punctuality::NoDeadline => "s.current_deadline IS NULL",
            Punctuality::OnTime => "s.current_deadline IS NOT NULL AND s.current_deadline > now()",
            Punctuality::Late => "s.current_deadline IS NOT NULL AND s.current_deadline < now()",
            Punctuality::LateFactor3 => {
                "s.current_deadline IS NOT NULL AND s.current_deadline_factor_3 < now()"
            }
        };
        self.push(Join::NONE, format!("{open} AND {deadline}"));
    }

    fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// The `feedback` filter (04 §2.1) on the KTO requests of `s`
/// (`feedback_feedback`, spec 15): only signals with a request match.
/// `satisfied` / `not_satisfied`: a submitted request with that answer
/// that is both the newest request (no request created later) and the
/// newest answer (none submitted later); `not_received`: an unanswered
/// request that is the newest. As in the reference, a request that ties
/// with another for newest counts as newest, so with two requests created
/// at the same instant a signal can match both an answer and
/// `not_received`. Every test is an index range on
/// `feedback_feedback (_signal_id, submitted_at, created_at)`.
fn feedback_clause(feedback: FeedbackFilter) -> String {
    const NEWEST_REQUEST: &str = "NOT EXISTS (SELECT 1 FROM feedback_feedback later
                                              WHERE later._signal_id = fb._signal_id
                                                AND later.created_at > fb.created_at)";
    const NEWEST_ANSWER: &str = "NOT EXISTS (SELECT 1 FROM feedback_feedback later
                                             WHERE later._signal_id = fb._signal_id
                                               AND later.submitted_at > fb.submitted_at)";
    let answered = |satisfied: &str| {
        format!(
            "EXISTS (SELECT 1 FROM feedback_feedback fb
                     WHERE fb._signal_id = s.id AND fb.submitted_at IS NOT NULL
                       AND fb.is_satisfied = {satisfied} AND {NEWEST_REQUEST} AND {NEWEST_ANSWER})"
        )
    };
    match feedback {
        FeedbackFilter::Satisfied => answered("true"),
        FeedbackFilter::NotSatisfied => answered("false"),
        FeedbackFilter::NotReceived => format!(
            "EXISTS (SELECT 1 FROM feedback_feedback fb
                     WHERE fb._signal_id = s.id AND fb.submitted_at IS NULL AND {NEWEST_REQUEST})"
        ),
    }
}

/// `%text%` for `ILIKE`, with the pattern characters of `text` escaped
/// (Django's `icontains`).
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The `ORDER BY` of `ordering` (default `-created_at`), with the id as
/// last key so that pages never overlap.
fn order_by(ordering: &[SortKey], joins: &mut Join) -> String {
    let keys: &[SortKey] = if ordering.is_empty() {
        &[SortKey::DEFAULT]
    } else {
        ordering
    };
    let mut parts = Vec::new();
    for key in keys {
        let (column, join) = key.field.column();
        *joins |= join;
        parts.push(format!(
            "{column} {}",
            if key.descending { "DESC" } else { "ASC" }
        ));
    }
    if !keys.iter().any(|k| k.field == SortField::Id) {
        let last = keys.last().is_some_and(|k| k.descending);
        parts.push(format!("s.id {}", if last { "DESC" } else { "ASC" }));
    }
    parts.join(", ")
}

/// What a list query selects: filters, visibility, order and page.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    pub visibility: &'a Visibility,
    pub filter: &'a SignalFilter,
    pub ordering: &'a [SortKey],
}

/// How many signals match: exact, from the per-key counts of V0017 when
/// every condition reads only their key columns (the unfiltered list and
/// its status, category, priority, type and source filters, for every
/// visibility), otherwise by counting the matching signals.
#[tracing::instrument(skip_all)]
pub async fn count_signals(
    client: &impl GenericClient,
    query: ListQuery<'_>,
) -> Result<i64, Error> {
    let mut conditions = Conditions::default();
    conditions.visibility(query.visibility);
    conditions.filter(query.filter);
    let sql = if conditions.per_signal {
        format!(
            "SELECT count(*) FROM signals_signal s{}{}",
            conditions.joins.sql(),
            conditions.where_sql()
        )
    } else {
        format!(
            "SELECT coalesce(sum(s.n), 0)::int8 FROM signals_signal_counts s{}",
            conditions.where_sql()
        )
    };
    let statement = client.prepare_cached(&sql).await?;
    let row = client.query_one(&statement, &conditions.params()).await?;
    Ok(row.try_get(0)?)
}

/// The ids of one page of matching signals, as an SQL expression (for
/// `unnest(…)`), with its parameters.
fn page_ids_sql(
    query: ListQuery<'_>,
    limit: i64,
    offset: i64,
    extra: Option<&str>,
) -> (String, Conditions) {
    let mut conditions = Conditions::default();
    conditions.filter(query.filter);
    if let Some(clause) = extra {
        conditions.push(Join::NONE, clause.to_owned());
    }
    if let Some(merge) = DepartmentMerge::of(query) {
        return merge.page_ids_sql(conditions, limit, offset);
    }
    conditions.visibility(query.visibility);
    let mut joins = conditions.joins;
    let order = order_by(query.ordering, &mut joins);
    let limit = conditions.bind(limit);
    let offset = conditions.bind(offset);
    let sql = format!(
        "ARRAY(SELECT s.id FROM signals_signal s{}{} ORDER BY {order} LIMIT {limit} OFFSET {offset})",
        joins.sql(),
        conditions.where_sql()
    );
    (sql, conditions)
}

/// A department's page in the order of creation (the default order) as a
/// merge of ordered runs (V0019): one per visible category, read from
/// `signals_signal_current_category_created_idx`, and one per department of
/// the user, read from `signals_signal_routing`, each already in list order
/// and holding only visible signals. PostgreSQL merges them lazily (a Merge
/// Append under the page's LIMIT), so a page reads about its offset plus
/// its length of entries, where one walk of the whole list in that order
/// reads every signal the user does not see as well.
///
/// A routed signal whose category is visible is left to its category's run,
/// and one routed to several of the user's departments to the run of the
/// first of them, so that every signal comes once. Every run carries the
/// filters; it joins the signal only when there are any.
struct DepartmentMerge<'a> {
    departments: &'a [i32],
    categories: &'a [i32],
    descending: bool,
}

impl<'a> DepartmentMerge<'a> {
    /// Beyond this many runs a walk of the whole list is as cheap: that many
    /// categories are a large share of all signals, and planning a merge of
    /// them costs more than it saves.
    const MAX_RUNS: usize = 32;

    /// The merge for `query`, when it is a department's list in creation order.
    fn of(query: ListQuery<'a>) -> Option<Self> {
        let Visibility::Departments {
            departments,
            categories,
        } = query.visibility
        else {
            return None;
        };
        let descending = match query.ordering {
            [] => true,
            [key] if key.field == SortField::CreatedAt => key.descending,
            _ => return None,
        };
        let runs = departments.len() + categories.len();
        (1..=Self::MAX_RUNS)
            .contains(&runs)
            .then_some(DepartmentMerge {
                departments,
                categories,
                descending,
            })
    }

    fn page_ids_sql(
        &self,
        mut conditions: Conditions,
        limit: i64,
        offset: i64,
    ) -> (String, Conditions) {
        let direction = if self.descending { "DESC" } else { "ASC" };
        // `conditions` holds the filters only, so far.
        let filters: String = conditions
            .clauses
            .iter()
            .map(|c| format!(" AND {c}"))
            .collect();
        let joins = conditions.joins.sql();
        let run_length = conditions.bind(limit.saturating_add(offset));
        let mut runs = Vec::with_capacity(self.departments.len() + self.categories.len());
        for category in self.categories {
            let c = conditions.bind(*category);
            runs.push(format!(
                "(SELECT s.created_at, s.id FROM signals_signal s{joins}
                  WHERE s.current_category_id = {c}{filters}
                  ORDER BY s.created_at {direction}, s.id {direction} LIMIT {run_length})"
            ));
        }
        let visible = conditions.bind(self.categories.to_vec());
        // The routed runs read the signal only for the filters.
        let signal = if filters.is_empty() {
            String::new()
        } else {
            format!(" JOIN signals_signal s ON s.id = r.signal_id{joins}")
        };
        for (i, department) in self.departments.iter().enumerate() {
            let d = conditions.bind(*department);
            let earlier = if i == 0 {
                String::new()
            } else {
                let e = conditions.bind(self.departments[..i].to_vec());
                format!(
                    " AND NOT EXISTS (SELECT 1 FROM signals_signal_routing e
                                      WHERE e.department_id = ANY({e}::int4[])
                                        AND e.created_at = r.created_at AND e.signal_id = r.signal_id)"
                )
            };
            runs.push(format!(
                "(SELECT r.created_at, r.signal_id FROM signals_signal_routing r{signal}
                  WHERE r.department_id = {d}
                    AND coalesce(r.category_id <> ALL({visible}::int4[]), true){earlier}{filters}
                  ORDER BY r.created_at {direction}, r.signal_id {direction} LIMIT {run_length})"
            ));
        }
        let limit = conditions.bind(limit);
        let offset = conditions.bind(offset);
        let sql = format!(
            "ARRAY(SELECT u.id FROM ({}) AS u (created_at, id)
                   ORDER BY u.created_at {direction}, u.id {direction} LIMIT {limit} OFFSET {offset})",
            runs.join(" UNION ALL ")
        );
        (sql, conditions)
    }
}

/// The ids of one page of matching signals, in list order. The rows come
/// from [`signals_by_ids`]: a statement of its own, with one text, so that
/// PostgreSQL plans it once per connection (a generic plan) instead of
/// planning a dozen joins for every page.
#[tracing::instrument(skip_all)]
pub async fn page_ids(
    client: &impl GenericClient,
    query: ListQuery<'_>,
    limit: i64,
    offset: i64,
) -> Result<Vec<i32>, Error> {
    let (ids, conditions) = page_ids_sql(query, limit, offset, None);
    let statement = client.prepare_cached(&format!("SELECT {ids}")).await?;
    let row = client.query_one(&statement, &conditions.params()).await?;
    Ok(row.try_get(0)?)
}

/// The signals with these ids, in the order given (missing ids are left out).
///
/// The ids are read through a subquery, `(SELECT $1)`, so that no plan
/// knows how many there are: PostgreSQL then finds the generic plan as good
/// as the custom ones and keeps it after five executions. With the array
/// itself in the plan, a custom plan for one id (the detail) looked cheaper
/// than the generic plan (which assumes ten), so every detail was planned
/// anew (≈ 4 ms).
#[tracing::instrument(skip_all)]
pub async fn signals_by_ids(
    client: &impl GenericClient,
    ids: &[i32],
) -> Result<Vec<SignalRow>, Error> {
    signal_rows(client, "(SELECT $1::int4[])", &[&ids]).await
}

/// The signals with these ids that `visibility` lets a user see in a list
/// (01 §9.3: the same test as the list's), in the order given; missing and
/// invisible ids are left out. For search results: their ids come from the
/// index, their rows and their visibility from PostgreSQL.
#[tracing::instrument(skip_all, fields(signals = ids.len()))]
pub async fn visible_signals_by_ids(
    client: &impl GenericClient,
    ids: &[i32],
    visibility: &Visibility,
) -> Result<Vec<SignalRow>, Error> {
    if matches!(visibility, Visibility::All) {
        return signals_by_ids(client, ids).await;
    }
    let mut conditions = Conditions::default();
    let given = conditions.bind(ids.to_vec());
    conditions.visibility(visibility);
    let visible = format!(
        "ARRAY(SELECT s.id FROM unnest((SELECT {given}::int4[])) WITH ORDINALITY AS g (id, n)
               JOIN signals_signal s ON s.id = g.id{}
               ORDER BY g.n)",
        conditions.where_sql()
    );
    signal_rows(client, &visible, &conditions.params()).await
}

/// The [`SignalRow`]s of the ids of the array expression `ids`.
async fn signal_rows(
    client: &impl GenericClient,
    ids: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<SignalRow>, Error> {
    let statement = client.prepare_cached(&signal_rows_sql(ids)).await?;
    client
        .query(&statement, params)
        .await?
        .iter()
        .map(SignalRow::from_row)
        .collect()
}

/// The select of [`SignalRow`]s for the ids of the array expression `ids`.
///
/// The one-to-one lookups by pointer are joined in three layers fenced with
/// `OFFSET 0` (a subquery with `OFFSET` is planned on its own): with all of
/// them in one join, PostgreSQL searched the join orders of eight relations
/// at once, ≈ 10–20 ms of planning per custom plan (the first five
/// executions on each connection) for a plan that is nested loops by
/// primary key in any order; in layers of four or five it plans in ≈ 3 ms.
/// The categories' responsible departments are aggregated once per
/// statement (a hash join on the category), not once per row.
fn signal_rows_sql(ids: &str) -> String {
    format!(
        "SELECT b.*,
                cdep.codes AS category_departments,
                pr.id AS pr_id, pr.priority, pr.created_by AS pr_created_by,
                ty.id AS ty_id, ty.name AS type_code, ty.created_at AS ty_created_at, ty.created_by AS ty_created_by,
                (SELECT coalesce(json_agg(json_build_object('text', n.text, 'created_by', n.created_by)
                                          ORDER BY n.created_at DESC, n.id DESC), '[]'::json)
                 FROM signals_note n WHERE n._signal_id = b.id) AS notes,
                b.directing_departments_assignment_id IS NOT NULL AS has_directing,
                (SELECT coalesce(json_agg(json_build_object('id', d.id, 'code', d.code, 'name', d.name,
                                                            'is_intern', d.is_intern)
                                          ORDER BY d.name, d.id), '[]'::json)
                 FROM signals_signaldepartments_departments sd JOIN signals_department d ON d.id = sd.department_id
                 WHERE sd.signaldepartments_id = b.directing_departments_assignment_id) AS directing,
                b.routing_assignment_id IS NOT NULL AS has_routing,
                (SELECT coalesce(json_agg(json_build_object('id', d.id, 'code', d.code, 'name', d.name,
                                                            'is_intern', d.is_intern)
                                          ORDER BY d.name, d.id), '[]'::json)
                 FROM signals_signaldepartments_departments sd JOIN signals_department d ON d.id = sd.department_id
                 WHERE sd.signaldepartments_id = b.routing_assignment_id) AS routing,
                (SELECT au.email FROM signals_signaluser su JOIN auth_user au ON au.id = su.user_id
                 WHERE su.id = b.user_assignment_id) AS assigned_user_email,
                ARRAY(SELECT a.id FROM signals_attachment a WHERE a._signal_id = b.id
                      ORDER BY a.created_at, a.id) AS attachment_ids,
                ARRAY(SELECT c.id FROM signals_signal c WHERE c.parent_id = b.id
                      ORDER BY c.created_at, c.id) AS child_ids,
                (SELECT f.allows_contact FROM feedback_feedback f
                 WHERE f._signal_id = b.id AND f.submitted_at IS NOT NULL
                 ORDER BY f.submitted_at DESC, f.created_at DESC LIMIT 1) AS latest_feedback_allows_contact
         FROM (SELECT a.*,
                      ca.id AS ca_id, cat.id AS cat_id, cat.name AS sub_name, cat.slug AS sub_slug,
                      main.name AS main_name, main.slug AS main_slug, ca.created_by AS ca_created_by,
                      ca.text AS ca_text, ca.deadline, ca.deadline_factor_3,
                      rep.id AS rep_id, rep.email AS rep_email, rep.phone AS rep_phone, rep.sharing_allowed
               FROM (SELECT p.n, s.id, s.uuid, s.source, s.text, s.text_extra, s.created_at, s.updated_at,
                            s.incident_date_start, s.incident_date_end, s.operational_date, s.extra_properties,
                            s.parent_id, s.category_assignment_id, s.reporter_id, s.priority_id,
                            s.type_assignment_id, s.user_assignment_id, s.directing_departments_assignment_id,
                            s.routing_assignment_id,
                            loc.id AS loc_id, loc.stadsdeel, loc.buurt_code, loc.area_type_code, loc.area_code,
                            loc.area_name, loc.address, loc.address_text, loc.postcode,
                            ST_X(loc.geometrie) AS lon, ST_Y(loc.geometrie) AS lat,
                            loc.extra_properties AS loc_extra_properties, loc.created_by AS loc_created_by,
                            loc.bag_validated,
                            st.id AS st_id, st.text AS st_text, st.created_by AS st_user, st.state, st.target_api,
                            st.extra_properties AS st_extra_properties, st.send_email,
                            st.created_at AS st_created_at, st.email_override
                     FROM unnest({ids}) WITH ORDINALITY AS p (id, n)
                     JOIN signals_signal s ON s.id = p.id
                     LEFT JOIN signals_location loc ON loc.id = s.location_id
                     LEFT JOIN signals_status st ON st.id = s.status_id
                     OFFSET 0) a
               LEFT JOIN signals_categoryassignment ca ON ca.id = a.category_assignment_id
               LEFT JOIN signals_category cat ON cat.id = ca.category_id
               LEFT JOIN signals_category main ON main.id = cat.parent_id
               LEFT JOIN signals_reporter rep ON rep.id = a.reporter_id
               OFFSET 0) b
         LEFT JOIN signals_priority pr ON pr.id = b.priority_id
         LEFT JOIN signals_type ty ON ty.id = b.type_assignment_id
         LEFT JOIN (SELECT cd.category_id, string_agg(d.code, ', ' ORDER BY d.name, d.id) AS codes
                    FROM signals_categorydepartment cd JOIN signals_department d ON d.id = cd.department_id
                    WHERE cd.is_responsible
                    GROUP BY cd.category_id) cdep ON cdep.category_id = b.cat_id
         ORDER BY b.n"
    )
}

/// A signal's current location (spec 04 §1.1).
#[derive(Debug, Clone, PartialEq)]
pub struct LocationRow {
    pub id: i32,
    pub stadsdeel: Option<String>,
    pub buurt_code: Option<String>,
    pub area_type_code: Option<String>,
    pub area_code: Option<String>,
    pub area_name: Option<String>,
    pub address: Option<Value>,
    pub address_text: Option<String>,
    pub postcode: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub extra_properties: Option<Value>,
    pub created_by: Option<String>,
    pub bag_validated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusRow {
    pub text: Option<String>,
    pub user: Option<String>,
    pub state: String,
    pub target_api: Option<String>,
    pub extra_properties: Option<Value>,
    pub send_email: bool,
    pub created_at: DateTime<Utc>,
    pub email_override: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CategoryRow {
    pub sub: String,
    pub sub_slug: String,
    /// `None` only for a (never assigned) main category.
    pub main: Option<String>,
    pub main_slug: Option<String>,
    /// Codes of the responsible departments, `, `-joined in name order.
    pub departments: Option<String>,
    pub created_by: Option<String>,
    pub text: Option<String>,
    pub deadline: Option<DateTime<Utc>>,
    pub deadline_factor_3: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReporterRow {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub sharing_allowed: bool,
    /// `allows_contact` of the signal's newest submitted feedback (spec 15),
    /// `None` without one; `reporter.allows_contact` derives from it (01 §2.3).
    pub latest_feedback_allows_contact: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PriorityRow {
    pub priority: String,
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeRow {
    pub code: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
}

/// A signal with everything the list item and the detail show (04 §1).
#[derive(Debug, Clone, PartialEq)]
pub struct SignalRow {
    pub id: i32,
    pub uuid: Uuid,
    pub source: String,
    pub text: String,
    pub text_extra: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub incident_date_start: DateTime<Utc>,
    pub incident_date_end: Option<DateTime<Utc>>,
    pub operational_date: Option<DateTime<Utc>>,
    pub extra_properties: Option<Value>,
    pub parent_id: Option<i32>,
    pub location: Option<LocationRow>,
    pub status: Option<StatusRow>,
    pub category: Option<CategoryRow>,
    pub reporter: Option<ReporterRow>,
    pub priority: Option<PriorityRow>,
    pub signal_type: Option<TypeRow>,
    /// `[{"text", "created_by"}]`, newest first.
    pub notes: Value,
    /// `None`: the signal never had a directing relation; else
    /// `[{"id", "code", "name", "is_intern"}]`.
    pub directing_departments: Option<Value>,
    /// `None`: no routing relation; else as directing.
    pub routing_departments: Option<Value>,
    pub assigned_user_email: Option<String>,
    /// In upload order.
    pub attachment_ids: Vec<i32>,
    /// In creation order.
    pub child_ids: Vec<i32>,
}

impl SignalRow {
    fn from_row(row: &Row) -> Result<Self, Error> {
        let location = match row.try_get::<_, Option<i32>>("loc_id")? {
            None => None,
            Some(id) => Some(LocationRow {
                id,
                stadsdeel: row.try_get("stadsdeel")?,
                buurt_code: row.try_get("buurt_code")?,
                area_type_code: row.try_get("area_type_code")?,
                area_code: row.try_get("area_code")?,
                area_name: row.try_get("area_name")?,
                address: row.try_get("address")?,
                address_text: row.try_get("address_text")?,
                postcode: row.try_get("postcode")?,
                lon: row.try_get("lon")?,
                lat: row.try_get("lat")?,
                extra_properties: row.try_get("loc_extra_properties")?,
                created_by: row.try_get("loc_created_by")?,
                bag_validated: row.try_get("bag_validated")?,
            }),
        };
        let status = match row.try_get::<_, Option<i32>>("st_id")? {
            None => None,
            Some(_) => Some(StatusRow {
                text: row.try_get("st_text")?,
                user: row.try_get("st_user")?,
                state: row.try_get("state")?,
                target_api: row.try_get("target_api")?,
                extra_properties: row.try_get("st_extra_properties")?,
                send_email: row.try_get("send_email")?,
                created_at: row.try_get("st_created_at")?,
                email_override: row.try_get("email_override")?,
            }),
        };
        let category = match row.try_get::<_, Option<i32>>("ca_id")? {
            None => None,
            Some(_) => Some(CategoryRow {
                sub: row.try_get("sub_name")?,
                sub_slug: row.try_get("sub_slug")?,
                main: row.try_get("main_name")?,
                main_slug: row.try_get("main_slug")?,
                departments: row.try_get("category_departments")?,
                created_by: row.try_get("ca_created_by")?,
                text: row.try_get("ca_text")?,
                deadline: row.try_get("deadline")?,
                deadline_factor_3: row.try_get("deadline_factor_3")?,
            }),
        };
        let reporter = match row.try_get::<_, Option<i32>>("rep_id")? {
            None => None,
            Some(_) => Some(ReporterRow {
                email: row.try_get("rep_email")?,
                phone: row.try_get("rep_phone")?,
                sharing_allowed: row.try_get("sharing_allowed")?,
                latest_feedback_allows_contact: row.try_get("latest_feedback_allows_contact")?,
            }),
        };
        let priority = match row.try_get::<_, Option<i32>>("pr_id")? {
            None => None,
            Some(_) => Some(PriorityRow {
                priority: row.try_get("priority")?,
                created_by: row.try_get("pr_created_by")?,
            }),
        };
        let signal_type = match row.try_get::<_, Option<i32>>("ty_id")? {
            None => None,
            Some(_) => Some(TypeRow {
                code: row.try_get("type_code")?,
                created_at: row.try_get("ty_created_at")?,
                created_by: row.try_get("ty_created_by")?,
            }),
        };
        let has_directing: bool = row.try_get("has_directing")?;
        let has_routing: bool = row.try_get("has_routing")?;
        Ok(SignalRow {
            id: row.try_get("id")?,
            uuid: row.try_get("uuid")?,
            source: row.try_get("source")?,
            text: row.try_get("text")?,
            text_extra: row.try_get("text_extra")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            incident_date_start: row.try_get("incident_date_start")?,
            incident_date_end: row.try_get("incident_date_end")?,
            operational_date: row.try_get("operational_date")?,
            extra_properties: row.try_get("extra_properties")?,
            parent_id: row.try_get("parent_id")?,
            location,
            status,
            category,
            reporter,
            priority,
            signal_type,
            notes: row.try_get("notes")?,
            directing_departments: if has_directing {
                Some(row.try_get("directing")?)
            } else {
                None
            },
            routing_departments: if has_routing {
                Some(row.try_get("routing")?)
            } else {
                None
            },
            assigned_user_email: row.try_get("assigned_user_email")?,
            attachment_ids: row.try_get("attachment_ids")?,
            child_ids: row.try_get("child_ids")?,
        })
    }
}

/// The object-level access test (01 §9.3) as an SQL condition on `s`, for
/// a user who does not see everything: the current category is visible to
/// one of `departments` (`can_view`), or **any** routing relation the
/// signal ever had names one of them.
const OBJECT_VISIBLE: &str = "(EXISTS (SELECT 1 FROM signals_categorydepartment vcd
                 WHERE vcd.category_id = s.current_category_id AND vcd.department_id = ANY($2::int4[])
                   AND vcd.can_view)
         OR EXISTS (SELECT 1 FROM signals_signaldepartments r
                    JOIN signals_signaldepartments_departments rd ON rd.signaldepartments_id = r.id
                    WHERE r._signal_id = s.id AND r.relation_type = 'routing'
                      AND rd.department_id = ANY($2::int4[])))";

/// Whether signal `id` exists (`None` if not) and whether the object-level
/// rule lets a user of `departments` see it (01 §9.3). The caller checks
/// `sia_read` and "sees everything" itself.
#[tracing::instrument(skip_all, fields(signal_id = id))]
pub async fn signal_visible_to(
    client: &impl GenericClient,
    id: i32,
    departments: &[i32],
) -> Result<Option<bool>, Error> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {OBJECT_VISIBLE} AS visible FROM signals_signal s WHERE s.id = $1"
        ))
        .await?;
    let row = client.query_opt(&statement, &[&id, &departments]).await?;
    row.map(|row| row.try_get("visible"))
        .transpose()
        .map_err(Error::from)
}

/// The history of signal `id`, newest first (06 §2): optionally only the
/// rows `what` selects and those from `created_after` on. Rows of equal
/// time keep the reverse of their insertion order.
#[tracing::instrument(skip_all, fields(signal_id = id))]
pub async fn signal_history(
    client: &impl GenericClient,
    id: i32,
    what: Option<&WhatFilter>,
    created_after: Option<DateTime<Utc>>,
) -> Result<Vec<HistoryRow>, Error> {
    let statement = client
        .prepare_cached(
            "SELECT h.object_type, h.object_pk, h.action, h.extra, h.description, h.created_by,
                    h.created_at, h._signal_id, sd.relation_type,
                    loc.id AS loc_id, loc.stadsdeel, loc.address,
                    ST_X(loc.geometrie) AS lon, ST_Y(loc.geometrie) AS lat
             FROM history_log h
             LEFT JOIN signals_signaldepartments sd
                    ON h.object_type = 'signal_departments' AND sd._signal_id = h._signal_id
                   AND sd.id::text = h.object_pk
             LEFT JOIN signals_location loc
                    ON h.object_type = 'location' AND loc._signal_id = h._signal_id
                   AND loc.id::text = h.object_pk
             WHERE h._signal_id = $1
               AND ($2::text IS NULL OR (h.action = $2 AND h.object_type = $3::text))
               AND ($4::timestamptz IS NULL OR h.created_at >= $4)
             ORDER BY h.created_at DESC, h.id DESC",
        )
        .await?;
    let action = what.map(|w| w.action);
    let object_type = what.map(|w| w.object_type);
    client
        .query(&statement, &[&id, &action, &object_type, &created_after])
        .await?
        .iter()
        .map(|row| {
            let location = match row.try_get::<_, Option<i32>>("loc_id")? {
                None => None,
                Some(_) => Some(LocationFacts {
                    stadsdeel: row
                        .try_get::<_, Option<String>>("stadsdeel")?
                        .as_deref()
                        .and_then(Stadsdeel::from_code),
                    address: row.try_get("address")?,
                    lon: row.try_get("lon")?,
                    lat: row.try_get("lat")?,
                }),
            };
            Ok(HistoryRow {
                object_type: row.try_get("object_type")?,
                object_pk: row.try_get("object_pk")?,
                action: row.try_get("action")?,
                extra: row.try_get("extra")?,
                description: row.try_get("description")?,
                created_by: row.try_get("created_by")?,
                created_at: row.try_get("created_at")?,
                signal_id: row.try_get("_signal_id")?,
                relation_type: row.try_get("relation_type")?,
                location,
            })
        })
        .collect()
}

/// What the children endpoint needs of a signal: whether it is a child,
/// and how many children it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    pub is_child: bool,
    pub children: i64,
}

#[tracing::instrument(skip_all, fields(signal_id = id))]
pub async fn signal_family(client: &impl GenericClient, id: i32) -> Result<Option<Family>, Error> {
    let statement = client
        .prepare_cached(
            "SELECT s.parent_id IS NOT NULL AS is_child,
                    (SELECT count(*) FROM signals_signal c WHERE c.parent_id = s.id) AS children
             FROM signals_signal s WHERE s.id = $1",
        )
        .await?;
    let Some(row) = client.query_opt(&statement, &[&id]).await? else {
        return Ok(None);
    };
    Ok(Some(Family {
        is_child: row.try_get("is_child")?,
        children: row.try_get("children")?,
    }))
}

/// A child as the children endpoint shows it (04 §5).
#[derive(Debug, Clone, PartialEq)]
pub struct ChildRow {
    pub id: i32,
    /// `None` for a child without status.
    pub state: Option<String>,
    pub category: Option<CategoryRow>,
    pub updated_at: DateTime<Utc>,
    /// The object-level rule for the caller.
    pub can_view: bool,
}

/// One page of the children of `parent`, in creation order; `visibility`
/// decides `can_view`.
#[tracing::instrument(skip_all, fields(signal_id = parent))]
pub async fn children_page(
    client: &impl GenericClient,
    parent: i32,
    visibility: &Visibility,
    limit: i64,
    offset: i64,
) -> Result<Vec<ChildRow>, Error> {
    let (all, departments) = match visibility {
        Visibility::All => (true, Vec::new()),
        Visibility::Departments { departments, .. } => (false, departments.clone()),
    };
    let statement = client
        .prepare_cached(&format!(
            "SELECT s.id, st.state, s.updated_at, ca.id AS ca_id, cat.name AS sub_name,
                    cat.slug AS sub_slug, main.name AS main_name, main.slug AS main_slug,
                    (SELECT string_agg(d.code, ', ' ORDER BY d.name, d.id)
                     FROM signals_categorydepartment cd JOIN signals_department d ON d.id = cd.department_id
                     WHERE cd.category_id = cat.id AND cd.is_responsible) AS category_departments,
                    ($5::bool OR {OBJECT_VISIBLE}) AS can_view
             FROM signals_signal s
             LEFT JOIN signals_status st ON st.id = s.status_id
             LEFT JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id
             LEFT JOIN signals_category cat ON cat.id = ca.category_id
             LEFT JOIN signals_category main ON main.id = cat.parent_id
             WHERE s.parent_id = $1
             ORDER BY s.created_at, s.id
             LIMIT $3 OFFSET $4"
        ))
        .await?;
    client
        .query(&statement, &[&parent, &departments, &limit, &offset, &all])
        .await?
        .iter()
        .map(|row| {
            let category = match row.try_get::<_, Option<i32>>("ca_id")? {
                None => None,
                Some(_) => Some(CategoryRow {
                    sub: row.try_get("sub_name")?,
                    sub_slug: row.try_get("sub_slug")?,
                    main: row.try_get("main_name")?,
                    main_slug: row.try_get("main_slug")?,
                    departments: row.try_get("category_departments")?,
                    created_by: None,
                    text: None,
                    deadline: None,
                    deadline_factor_3: None,
                }),
            };
            Ok(ChildRow {
                id: row.try_get("id")?,
                state: row.try_get("state")?,
                category,
                updated_at: row.try_get("updated_at")?,
                can_view: row.try_get("can_view")?,
            })
        })
        .collect()
}

/// A point of the back-office map (04 §6).
#[derive(Debug, Clone, PartialEq)]
pub struct MapPoint {
    pub id: i32,
    pub lon: f64,
    pub lat: f64,
    pub created_at: DateTime<Utc>,
}

/// How many matching signals have a location.
#[tracing::instrument(skip_all)]
pub async fn count_located_signals(
    client: &impl GenericClient,
    query: ListQuery<'_>,
) -> Result<i64, Error> {
    let mut conditions = Conditions::default();
    conditions.visibility(query.visibility);
    conditions.filter(query.filter);
    conditions.push(Join::NONE, "s.location_id IS NOT NULL".to_owned());
    let sql = format!(
        "SELECT count(*) FROM signals_signal s{}{}",
        conditions.joins.sql(),
        conditions.where_sql()
    );
    let statement = client.prepare_cached(&sql).await?;
    let row = client.query_one(&statement, &conditions.params()).await?;
    Ok(row.try_get(0)?)
}

/// One page of the map: matching signals with a location, in list order.
#[tracing::instrument(skip_all)]
pub async fn map_page(
    client: &impl GenericClient,
    query: ListQuery<'_>,
    limit: i64,
    offset: i64,
) -> Result<Vec<MapPoint>, Error> {
    let (ids, conditions) = page_ids_sql(query, limit, offset, Some("s.location_id IS NOT NULL"));
    let sql = format!(
        "SELECT s.id, ST_X(loc.geometrie) AS lon, ST_Y(loc.geometrie) AS lat, s.created_at
         FROM unnest({ids}) WITH ORDINALITY AS p (id, n)
         JOIN signals_signal s ON s.id = p.id
         JOIN signals_location loc ON loc.id = s.location_id
         ORDER BY p.n"
    );
    let statement = client.prepare_cached(&sql).await?;
    client
        .query(&statement, &conditions.params())
        .await?
        .iter()
        .map(|row| {
            Ok(MapPoint {
                id: row.try_get("id")?,
                lon: row.try_get("lon")?,
                lat: row.try_get("lat")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// Values of the list filters whose choices live in the database, to be
/// checked in one query (04 §2.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChoiceValues {
    pub area_code: Vec<String>,
    pub area_type_code: Vec<String>,
    pub buurt_code: Vec<String>,
    pub category_id: Vec<i32>,
    pub category_slug: Vec<String>,
    pub maincategory_slug: Vec<String>,
    pub source: Vec<String>,
    pub department_code: Vec<String>,
}

impl ChoiceValues {
    pub fn is_empty(&self) -> bool {
        self.area_code.is_empty()
            && self.area_type_code.is_empty()
            && self.buurt_code.is_empty()
            && self.category_id.is_empty()
            && self.category_slug.is_empty()
            && self.maincategory_slug.is_empty()
            && self.source.is_empty()
            && self.department_code.is_empty()
    }
}

/// The first value of each kind that is not a choice, and how many
/// department codes exist (for "every directing department = no filter").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownChoices {
    pub area_code: Option<String>,
    pub area_type_code: Option<String>,
    pub buurt_code: Option<String>,
    pub category_id: Option<i32>,
    pub category_slug: Option<String>,
    pub maincategory_slug: Option<String>,
    pub source: Option<String>,
    /// Every given department code that does not exist.
    pub department_codes: Vec<String>,
    pub distinct_department_codes: i64,
}

#[tracing::instrument(skip_all)]
pub async fn unknown_choices(
    client: &impl GenericClient,
    values: &ChoiceValues,
) -> Result<UnknownChoices, Error> {
    let statement = client
        .prepare_cached(
            "SELECT
               (SELECT v FROM unnest($1::text[]) WITH ORDINALITY u (v, n)
                WHERE NOT EXISTS (SELECT 1 FROM signals_area a WHERE a.code = u.v) ORDER BY n LIMIT 1) AS area_code,
               (SELECT v FROM unnest($2::text[]) WITH ORDINALITY u (v, n)
                WHERE NOT EXISTS (SELECT 1 FROM signals_areatype t WHERE t.code = u.v) ORDER BY n LIMIT 1) AS area_type_code,
               (SELECT v FROM unnest($3::text[]) WITH ORDINALITY u (v, n)
                WHERE NOT EXISTS (SELECT 1 FROM buurt_simple b WHERE b.vollcode = u.v) ORDER BY n LIMIT 1) AS buurt_code,
               (SELECT v FROM unnest($4::int4[]) WITH ORDINALITY u (v, n)
                WHERE NOT EXISTS (SELECT 1 FROM signals_category c WHERE c.id = u.v) ORDER BY n LIMIT 1) AS category_id,
               (SELECT v FROM unnest($5::text[]) WITH ORDINALITY u (v, n)
                WHERE NOT EXISTS (SELECT 1 FROM signals_category c WHERE c.parent_id IS NOT NULL AND c.slug = u.v)
                ORDER BY n LIMIT 1) AS category_slug,
               (SELECT v FROM unnest($6::text[]) WITH ORDINALITY u (v, n)
                WHERE NOT EXISTS (SELECT 1 FROM signals_category c WHERE c.parent_id IS NULL AND c.slug = u.v)
                ORDER BY n LIMIT 1) AS maincategory_slug,
               (SELECT v FROM unnest($7::text[]) WITH ORDINALITY u (v, n)
                WHERE NOT EXISTS (SELECT 1 FROM signals_source so WHERE so.name = u.v) ORDER BY n LIMIT 1) AS source,
               ARRAY(SELECT v FROM unnest($8::text[]) WITH ORDINALITY u (v, n)
                     WHERE NOT EXISTS (SELECT 1 FROM signals_department d WHERE d.code = u.v) ORDER BY n)
                 AS department_codes,
               (SELECT count(DISTINCT code) FROM signals_department) AS distinct_department_codes",
        )
        .await?;
    let row = client
        .query_one(
            &statement,
            &[
                &values.area_code,
                &values.area_type_code,
                &values.buurt_code,
                &values.category_id,
                &values.category_slug,
                &values.maincategory_slug,
                &values.source,
                &values.department_code,
            ],
        )
        .await?;
    Ok(UnknownChoices {
        area_code: row.try_get("area_code")?,
        area_type_code: row.try_get("area_type_code")?,
        buurt_code: row.try_get("buurt_code")?,
        category_id: row.try_get("category_id")?,
        category_slug: row.try_get("category_slug")?,
        maincategory_slug: row.try_get("maincategory_slug")?,
        source: row.try_get("source")?,
        department_codes: row.try_get("department_codes")?,
        distinct_department_codes: row.try_get("distinct_department_codes")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `count_signals` reads the key counts (V0017) for this query.
    fn counted_from_keys(visibility: Visibility, filter: SignalFilter) -> bool {
        let mut conditions = Conditions::default();
        conditions.visibility(&visibility);
        conditions.filter(&filter);
        !conditions.per_signal
    }

    #[test]
    fn counts_come_from_the_key_counts_only_when_every_condition_reads_key_columns() {
        let departments = || Visibility::Departments {
            departments: vec![3, 7],
            categories: vec![12, 14],
        };
        let keyed = SignalFilter {
            status: vec!["m".into(), "b".into()],
            priority: vec!["high".into()],
            signal_type: vec!["SIG".into()],
            source: vec!["online".into()],
            maincategory_slug: vec!["afval".into()],
            ..SignalFilter::default()
        };
        assert!(counted_from_keys(Visibility::All, SignalFilter::default()));
        assert!(counted_from_keys(departments(), SignalFilter::default()));
        assert!(counted_from_keys(departments(), keyed.clone()));
        assert!(counted_from_keys(
            Visibility::All,
            SignalFilter {
                category_id: vec![12],
                ..SignalFilter::default()
            }
        ));

        for per_signal in [
            SignalFilter {
                address_text: Some("Amstel".into()),
                ..keyed.clone()
            },
            SignalFilter {
                created_after: Some(Utc::now()),
                ..keyed.clone()
            },
            SignalFilter {
                punctuality: Some(Punctuality::Late),
                ..keyed.clone()
            },
            SignalFilter {
                feedback: Some(FeedbackFilter::Satisfied),
                ..SignalFilter::default()
            },
            SignalFilter {
                id: Some(5),
                ..SignalFilter::default()
            },
            SignalFilter {
                routing_department_code: CodesOrNull {
                    codes: vec!["ASC".into()],
                    null: false,
                },
                ..SignalFilter::default()
            },
        ] {
            assert!(
                !counted_from_keys(departments(), per_signal.clone()),
                "{per_signal:?}"
            );
        }
    }

    #[test]
    fn a_departments_list_in_creation_order_is_a_merge_of_runs() {
        let departments = Visibility::Departments {
            departments: vec![3, 7],
            categories: vec![12, 14, 20],
        };
        let gemeld = SignalFilter {
            status: vec!["m".into()],
            ..SignalFilter::default()
        };
        let query = |visibility, ordering| ListQuery {
            visibility,
            filter: &gemeld,
            ordering,
        };
        let oldest_first = [SortKey {
            field: SortField::CreatedAt,
            descending: false,
        }];
        let by_status = [SortKey {
            field: SortField::Status,
            descending: true,
        }];
        let two_keys = [
            SortKey::DEFAULT,
            SortKey {
                field: SortField::Id,
                descending: true,
            },
        ];
        assert!(DepartmentMerge::of(query(&departments, &[])).is_some());
        assert!(DepartmentMerge::of(query(&departments, &oldest_first)).is_some());
        assert!(DepartmentMerge::of(query(&departments, &by_status)).is_none());
        assert!(DepartmentMerge::of(query(&departments, &two_keys)).is_none());
        assert!(DepartmentMerge::of(query(&Visibility::All, &[])).is_none());
        let nothing = Visibility::Departments {
            departments: vec![],
            categories: vec![],
        };
        assert!(DepartmentMerge::of(query(&nothing, &[])).is_none());
        let many = Visibility::Departments {
            departments: vec![3],
            categories: (1..=DepartmentMerge::MAX_RUNS as i32).collect(),
        };
        assert!(DepartmentMerge::of(query(&many, &[])).is_none());

        let (sql, conditions) = page_ids_sql(query(&departments, &[]), 50, 100, None);
        assert_eq!(sql.matches("UNION ALL").count(), 4, "{sql}");
        // Each run filters (the status is $1), the routed runs on the joined signal.
        assert_eq!(
            sql.matches("s.current_state = ANY($1::text[])").count(),
            5,
            "{sql}"
        );
        assert_eq!(
            sql.matches("JOIN signals_signal s ON s.id = r.signal_id")
                .count(),
            2,
            "{sql}"
        );
        // A signal routed to both departments comes from the first one's run.
        assert_eq!(
            sql.matches("NOT EXISTS (SELECT 1 FROM signals_signal_routing e")
                .count(),
            1
        );
        assert!(
            sql.contains("ORDER BY u.created_at DESC, u.id DESC"),
            "{sql}"
        );
        // status, run length, three categories, the visible ones, two departments,
        // the earlier department, limit and offset.
        assert_eq!(conditions.params.len(), 11);

        let unfiltered = ListQuery {
            visibility: &departments,
            filter: &SignalFilter::default(),
            ordering: &oldest_first,
        };
        let (sql, _) = page_ids_sql(unfiltered, 50, 0, None);
        assert!(!sql.contains("JOIN"), "{sql}");
        assert!(sql.contains("ORDER BY u.created_at ASC, u.id ASC"), "{sql}");
    }

    #[test]
    fn contains_patterns_escape_the_like_wildcards() {
        assert_eq!(contains_pattern("Amstel"), "%Amstel%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn values_are_bound_never_written_into_the_sql() {
        let filter = SignalFilter {
            address_text: Some("'; DROP TABLE signals_signal; --".into()),
            status: vec!["m".into(), "x' OR '1'='1".into()],
            reporter_email: Some("a@b.nl".into()),
            ..SignalFilter::default()
        };
        let mut conditions = Conditions::default();
        conditions.visibility(&Visibility::Departments {
            departments: vec![3],
            categories: vec![12],
        });
        conditions.filter(&filter);
        let sql = conditions.where_sql();
        assert!(!sql.contains("DROP"), "{sql}");
        assert!(!sql.contains("a@b.nl"), "{sql}");
        assert!(!sql.contains("'1'='1"), "{sql}");
        assert_eq!(conditions.params.len(), 5);
        assert!(sql.contains("loc.address_text ILIKE $3"), "{sql}");
    }

    #[test]
    fn only_the_joins_a_filter_or_order_needs_are_made() {
        let mut conditions = Conditions::default();
        conditions.filter(&SignalFilter {
            reporter_email: Some("a@b.nl".into()),
            ..SignalFilter::default()
        });
        let mut joins = conditions.joins;
        let order = order_by(&[], &mut joins);
        assert_eq!(order, "s.created_at DESC, s.id DESC");
        let sql = joins.sql();
        assert!(sql.contains("signals_reporter"), "{sql}");
        assert!(!sql.contains("signals_location"), "{sql}");

        let order = order_by(
            &[
                SortKey {
                    field: SortField::Address,
                    descending: false,
                },
                SortKey {
                    field: SortField::Id,
                    descending: true,
                },
            ],
            &mut joins,
        );
        assert_eq!(order, "loc.address_text ASC, s.id DESC");
        assert!(joins.sql().contains("signals_location"));
    }

    #[test]
    fn kind_sets_that_cover_everything_do_not_filter() {
        for kinds in [
            Kinds {
                signal: true,
                parent_signal: true,
                child_signal: true,
                exclude_parent_signal: true,
            },
            Kinds {
                signal: true,
                parent_signal: true,
                child_signal: true,
                exclude_parent_signal: false,
            },
            Kinds {
                parent_signal: true,
                exclude_parent_signal: true,
                ..Kinds::default()
            },
            Kinds::default(),
        ] {
            let mut conditions = Conditions::default();
            conditions.kinds(kinds);
            assert!(conditions.clauses.is_empty(), "{kinds:?}");
        }
        let mut conditions = Conditions::default();
        conditions.kinds(Kinds {
            child_signal: true,
            ..Kinds::default()
        });
        assert_eq!(conditions.clauses, ["(s.parent_id IS NOT NULL)"]);
    }

    #[test]
    fn all_contact_details_or_none_do_not_filter() {
        for details in [
            ContactDetails::default(),
            ContactDetails {
                email: true,
                phone: true,
                none: true,
            },
        ] {
            let mut conditions = Conditions::default();
            conditions.contact_details(details);
            assert!(conditions.clauses.is_empty());
        }
    }

    #[test]
    fn each_feedback_value_is_one_clause_on_the_newest_request() {
        for (value, answered, satisfied) in [
            (FeedbackFilter::Satisfied, true, Some(true)),
            (FeedbackFilter::NotSatisfied, true, Some(false)),
            (FeedbackFilter::NotReceived, false, None),
        ] {
            let mut conditions = Conditions::default();
            conditions.filter(&SignalFilter {
                feedback: Some(value),
                ..SignalFilter::default()
            });
            assert!(conditions.params.is_empty(), "{value:?}");
            assert_eq!(conditions.joins, Join::NONE, "{value:?}");
            let [clause] = conditions.clauses.as_slice() else {
                panic!("{value:?}: {:?}", conditions.clauses);
            };
            assert!(clause.starts_with("EXISTS"), "{clause}");
            assert!(
                clause.contains("later.created_at > fb.created_at"),
                "newest request: {clause}"
            );
            assert_eq!(
                clause.contains("later.submitted_at > fb.submitted_at"),
                answered,
                "newest answer: {clause}"
            );
            assert_eq!(
                clause.contains("fb.submitted_at IS NOT NULL"),
                answered,
                "{clause}"
            );
            assert_eq!(
                clause.contains("fb.submitted_at IS NULL"),
                !answered,
                "{clause}"
            );
            match satisfied {
                Some(true) => assert!(clause.contains("fb.is_satisfied = true"), "{clause}"),
                Some(false) => assert!(clause.contains("fb.is_satisfied = false"), "{clause}"),
                None => assert!(!clause.contains("is_satisfied"), "{clause}"),
            }
        }
    }
}
