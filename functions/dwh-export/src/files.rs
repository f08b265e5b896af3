//! The datawarehouse files (spec 12 §12.2): name, header, query and how the
//! query's columns become the file's.
//!
//! Each query returns the file's columns in the file's order; the values
//! are PostgreSQL's text output in a UTC session (`YYYY-MM-DD
//! HH:MM:SS[.ffffff]+00`, `t`/`f` for raw booleans, jsonb text), exactly
//! what the reference's `COPY (…) TO STDOUT` produced. Mappings the
//! reference did with SQL CASE expressions over Django choices (state and
//! district labels) are done by the rewriter from the domain's own tables
//! ([`crate::rewrite::Column`]), so the labels have one source.
//! Ties in the reference's orderings are broken by `id` so that a file is
//! reproducible.

use crate::rewrite::{Column, Shape};

/// One CSV file of the export.
#[derive(Debug, Clone, Copy)]
pub struct DwhFile {
    /// The file name (`signals.csv`; the KTO file's name is computed).
    pub name: &'static str,
    /// Its name in `dumpcsv --report` (spec 12 §12.2).
    pub report: &'static str,
    pub header: &'static [&'static str],
    /// A `SELECT` without parameters (COPY takes none).
    pub query: &'static str,
    pub shape: Shape,
    /// Produced only where this table exists (tables of other writers).
    pub requires_table: Option<&'static str>,
}

const fn values<const N: usize>() -> [Column; N] {
    [Column::Value; N]
}

const SIGNALS_COLUMNS: [Column; 24] = values();
const ML_COLUMNS: [Column; 3] = values();
const ASSIGNED_USER_COLUMNS: [Column; 3] = values();
const LOCATIONS_COLUMNS: [Column; 17] = {
    let mut columns = values::<17>();
    columns[3] = Column::StadsdeelName { fallback: 15 };
    columns
};
const REPORTERS_COLUMNS: [Column; 8] = values();
const CATEGORIES_COLUMNS: [Column; 10] = values();
const STATUSES_COLUMNS: [Column; 11] = {
    let mut columns = values::<11>();
    columns[4] = Column::StateDisplay;
    columns
};
const SLA_COLUMNS: [Column; 6] = values();
const DEPARTMENTS_COLUMNS: [Column; 5] = values();
const NOTES_COLUMNS: [Column; 5] = values();
const KTO_COLUMNS: [Column; 8] = values();

const fn plain(columns: &'static [Column]) -> Shape {
    Shape {
        columns,
        strip_quotes: false,
    }
}

pub const SIGNALS: DwhFile = DwhFile {
    name: "signals.csv",
    report: "signals",
    header: &[
        "id",
        "signal_uuid",
        "source",
        "text",
        "text_extra",
        "incident_date_start",
        "incident_date_end",
        "created_at",
        "updated_at",
        "operational_date",
        "expire_date",
        "image",
        "upload",
        "extra_properties",
        "category_assignment_id",
        "location_id",
        "reporter_id",
        "status_id",
        "priority",
        "priority_created_at",
        "parent",
        "type",
        "type_created_at",
        "directing_departments_assignment_id",
    ],
    query: "SELECT s.id, s.uuid, s.source, s.text, s.text_extra, s.incident_date_start, s.incident_date_end,
                   s.created_at, s.updated_at, s.operational_date, s.expire_date, NULL, NULL,
                   COALESCE(s.extra_properties::text, 'null'), s.category_assignment_id, s.location_id,
                   s.reporter_id, s.status_id, p.priority, p.created_at, s.parent_id, t.name, t.created_at,
                   s.directing_departments_assignment_id
            FROM signals_signal s
            LEFT JOIN signals_priority p ON p.id = s.priority_id
            LEFT JOIN signals_type t ON t.id = s.type_assignment_id
            ORDER BY s.created_at, s.id",
    shape: plain(&SIGNALS_COLUMNS),
    requires_table: None,
};

/// Training data (also the classifier's source, spec 14): handled or
/// cancelled signals, without those whose main or sub category *name*
/// contains `Overig` (case-sensitive LIKE, as Django's `contains`).
pub const ML: DwhFile = DwhFile {
    name: "ml.csv",
    report: "ml",
    header: &["Text", "Main", "Sub"],
    query: "SELECT s.text, main.name, sub.name
            FROM signals_signal s
            JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id
            JOIN signals_category sub ON sub.id = ca.category_id
            LEFT JOIN signals_category main ON main.id = sub.parent_id
            JOIN signals_status st ON st.id = s.status_id
            WHERE st.state IN ('o', 'a')
              AND NOT (COALESCE(main.name LIKE '%Overig%', false) OR sub.name LIKE '%Overig%')
            ORDER BY s.created_at, s.id",
    shape: plain(&ML_COLUMNS),
    requires_table: None,
};

pub const SIGNALS_ASSIGNED_USER: DwhFile = DwhFile {
    name: "signals_assigned_user.csv",
    report: "signals_assigned_user",
    header: &["id", "assigned_to", "assigned_at"],
    query: "SELECT s.id, u.email, su.created_at
            FROM signals_signal s
            JOIN signals_signaluser su ON su.id = s.user_assignment_id
            JOIN auth_user u ON u.id = su.user_id
            WHERE u.email <> ''
            ORDER BY s.created_at, s.id",
    shape: plain(&ASSIGNED_USER_COLUMNS),
    requires_table: None,
};

/// Quirks kept for the consumers (spec 12 §12.2): `lat` is ST_X (the
/// longitude) and `lng` ST_Y; JSON values are the jsonb text or `null`;
/// every value loses its leading and trailing `"`.
pub const LOCATIONS: DwhFile = DwhFile {
    name: "locations.csv",
    report: "locations",
    header: &[
        "id",
        "lat",
        "lng",
        "stadsdeel",
        "buurt_code",
        "address",
        "address_text",
        "created_at",
        "updated_at",
        "extra_properties",
        "_signal_id",
        "address_street",
        "address_number",
        "address_postalcode",
        "address_city",
        "area_code",
        "area_name",
    ],
    query: "SELECT l.id, ST_X(l.geometrie), ST_Y(l.geometrie), l.stadsdeel, l.buurt_code,
                   COALESCE(l.address::text, 'null'), l.address_text, l.created_at, l.updated_at,
                   COALESCE(l.extra_properties::text, 'null'), l._signal_id,
                   COALESCE((l.address -> 'openbare_ruimte')::text, 'null'),
                   COALESCE((l.address -> 'huisnummer')::text, 'null'),
                   COALESCE((l.address -> 'postcode')::text, 'null'),
                   COALESCE((l.address -> 'woonplaats')::text, 'null'),
                   l.area_code, l.area_name
            FROM signals_location l
            ORDER BY l.id",
    shape: Shape {
        columns: &LOCATIONS_COLUMNS,
        strip_quotes: true,
    },
    requires_table: None,
};

/// Contact details in clear text (empty once anonymised); `is_anonymized`
/// as the reference computes it; `extra_properties` always `null`.
pub const REPORTERS: DwhFile = DwhFile {
    name: "reporters.csv",
    report: "reporters",
    header: &[
        "id",
        "email",
        "phone",
        "is_anonymized",
        "created_at",
        "updated_at",
        "extra_properties",
        "_signal_id",
    ],
    query: "SELECT r.id, r.email, r.phone,
                   CASE WHEN COALESCE(r.email, '') = '' AND COALESCE(r.phone, '') = ''
                             AND (r.email_anonymized OR r.phone_anonymized)
                        THEN 'True' ELSE 'False' END,
                   r.created_at, r.updated_at, 'null', r._signal_id
            FROM signals_reporter r
            ORDER BY r.created_at, r.id",
    shape: plain(&REPORTERS_COLUMNS),
    requires_table: None,
};

/// One row per category assignment; `departments` = the category's
/// responsible departments' names joined with `, `.
pub const CATEGORIES: DwhFile = DwhFile {
    name: "categories.csv",
    report: "category_assignments",
    header: &[
        "id",
        "main",
        "sub",
        "departments",
        "created_at",
        "updated_at",
        "extra_properties",
        "_signal_id",
        "deadline",
        "deadline_factor_3",
    ],
    query: "WITH responsible AS (
                SELECT cd.category_id, string_agg(d.name, ', ' ORDER BY cd.id) AS names
                FROM signals_categorydepartment cd
                JOIN signals_department d ON d.id = cd.department_id
                WHERE cd.is_responsible
                GROUP BY cd.category_id
            )
            SELECT ca.id, main.name, sub.name, responsible.names, ca.created_at, ca.updated_at,
                   COALESCE(ca.extra_properties::text, 'null'), ca._signal_id, ca.deadline,
                   ca.deadline_factor_3
            FROM signals_categoryassignment ca
            JOIN signals_category sub ON sub.id = ca.category_id
            LEFT JOIN signals_category main ON main.id = sub.parent_id
            LEFT JOIN responsible ON responsible.category_id = sub.id
            ORDER BY ca.id",
    shape: plain(&CATEGORIES_COLUMNS),
    requires_table: None,
};

/// `user` is the author's e-mail (column `created_by` here, see
/// docs/data-model.md); `state_display` the Dutch label.
pub const STATUSES: DwhFile = DwhFile {
    name: "statuses.csv",
    report: "statusses",
    header: &[
        "id",
        "text",
        "user",
        "target_api",
        "state_display",
        "extern",
        "created_at",
        "updated_at",
        "extra_properties",
        "_signal_id",
        "state",
    ],
    query: "SELECT st.id, st.text, st.created_by, st.target_api, st.state,
                   CASE WHEN st.extern THEN 'True' ELSE 'False' END, st.created_at, st.updated_at,
                   COALESCE(st.extra_properties::text, 'null'), st._signal_id, st.state
            FROM signals_status st
            ORDER BY st.created_at, st.id",
    shape: plain(&STATUSES_COLUMNS),
    requires_table: None,
};

/// The one file with a raw boolean: `use_calendar_days` is `t`/`f`.
pub const SLA: DwhFile = DwhFile {
    name: "sla.csv",
    report: "category_sla",
    header: &[
        "id",
        "main",
        "sub",
        "n_days",
        "use_calendar_days",
        "created_at",
    ],
    query: "SELECT slo.id, main.name, sub.name, slo.n_days, slo.use_calendar_days, slo.created_at
            FROM signals_servicelevelobjective slo
            JOIN signals_category sub ON sub.id = slo.category_id
            LEFT JOIN signals_category main ON main.id = sub.parent_id
            ORDER BY slo.category_id, slo.created_at DESC, slo.id",
    shape: plain(&SLA_COLUMNS),
    requires_table: None,
};

const DEPARTMENTS_HEADER: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "_signal_id",
    "departments",
];

pub const DIRECTING_DEPARTMENTS: DwhFile = DwhFile {
    name: "directing_departments.csv",
    report: "directing_departments",
    header: DEPARTMENTS_HEADER,
    query: "SELECT sd.id, sd.created_at, sd.updated_at, sd._signal_id, string_agg(d.name, ', ')
            FROM signals_signaldepartments sd
            LEFT JOIN signals_signaldepartments_departments m ON m.signaldepartments_id = sd.id
            LEFT JOIN signals_department d ON d.id = m.department_id
            WHERE sd.relation_type = 'directing'
            GROUP BY sd.id
            ORDER BY sd._signal_id, sd.created_at DESC, sd.id",
    shape: plain(&DEPARTMENTS_COLUMNS),
    requires_table: None,
};

pub const ROUTING_DEPARTMENTS: DwhFile = DwhFile {
    name: "routing_departments.csv",
    report: "routing_departments",
    header: DEPARTMENTS_HEADER,
    query: "SELECT sd.id, sd.created_at, sd.updated_at, sd._signal_id, string_agg(d.name, ', ')
            FROM signals_signaldepartments sd
            LEFT JOIN signals_signaldepartments_departments m ON m.signaldepartments_id = sd.id
            LEFT JOIN signals_department d ON d.id = m.department_id
            WHERE sd.relation_type = 'routing'
            GROUP BY sd.id
            ORDER BY sd._signal_id, sd.created_at DESC, sd.id",
    shape: plain(&DEPARTMENTS_COLUMNS),
    requires_table: None,
};

pub const NOTES: DwhFile = DwhFile {
    name: "notes.csv",
    report: "notes",
    header: &["id", "created_at", "updated_at", "_signal_id", "text"],
    query: "SELECT n.id, n.created_at, n.updated_at, n._signal_id, n.text
            FROM signals_note n
            ORDER BY n._signal_id, n.created_at DESC, n.id",
    shape: plain(&NOTES_COLUMNS),
    requires_table: None,
};

/// `kto-feedback-{ENVIRONMENT}.csv`: submitted feedback (spec 15). The
/// feedback table belongs to another writer; the query uses the
/// reference's columns and the file is skipped while the table does not
/// exist. `text` falls back to the first chosen answer.
pub const KTO_FEEDBACK: DwhFile = DwhFile {
    name: "kto-feedback-{ENVIRONMENT}.csv",
    report: "feedback",
    header: &[
        "_signal_id",
        "is_satisfied",
        "allows_contact",
        "text",
        "text_extra",
        "created_at",
        "submitted_at",
        "text_list",
    ],
    query: "SELECT f._signal_id,
                   CASE WHEN f.is_satisfied THEN 'True' WHEN NOT f.is_satisfied THEN 'False' END,
                   CASE WHEN f.allows_contact THEN 'True' WHEN NOT f.allows_contact THEN 'False' END,
                   COALESCE(NULLIF(f.text, ''), f.text_list[1], ''), f.text_extra, f.created_at,
                   f.submitted_at, to_jsonb(f.text_list)::text
            FROM feedback_feedback f
            WHERE f.submitted_at IS NOT NULL
            ORDER BY f._signal_id, f.created_at DESC, f.token",
    shape: plain(&KTO_COLUMNS),
    requires_table: Some("feedback_feedback"),
};

/// Every file, in the order of a full run (spec 12 §12.2).
pub const ALL: [DwhFile; 12] = [
    SIGNALS,
    ML,
    SIGNALS_ASSIGNED_USER,
    LOCATIONS,
    REPORTERS,
    CATEGORIES,
    STATUSES,
    SLA,
    DIRECTING_DEPARTMENTS,
    ROUTING_DEPARTMENTS,
    NOTES,
    KTO_FEEDBACK,
];

/// The KTO file's name for `ENVIRONMENT`, or `None` (file skipped) unless
/// it is `PRODUCTION` or `ACCEPTANCE` in any case; the name keeps the value
/// as given.
pub fn kto_file_name(environment: Option<&str>) -> Option<String> {
    let environment = environment?;
    matches!(
        environment.to_ascii_uppercase().as_str(),
        "PRODUCTION" | "ACCEPTANCE"
    )
    .then(|| format!("kto-feedback-{environment}.csv"))
}

/// The files for `dumpcsv --report` names; unknown names are an error.
pub fn by_reports(names: &[String]) -> Result<Vec<DwhFile>, String> {
    names
        .iter()
        .map(|name| {
            ALL.iter()
                .find(|f| f.report == name.trim())
                .copied()
                .ok_or_else(|| {
                    let known: Vec<&str> = ALL.iter().map(|f| f.report).collect();
                    format!("unknown report `{name}` (one of: {})", known.join(", "))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_one_transform_per_header_column() {
        for file in ALL {
            assert_eq!(file.header.len(), file.shape.columns.len(), "{}", file.name);
            for column in file.shape.columns {
                if let Column::StadsdeelName { fallback } = column {
                    assert_eq!(file.header[*fallback], "area_code");
                }
            }
        }
        assert_eq!(LOCATIONS.header[3], "stadsdeel");
        assert_eq!(STATUSES.header[4], "state_display");
    }

    #[test]
    fn the_kto_file_exists_only_in_production_and_acceptance() {
        assert_eq!(
            kto_file_name(Some("PRODUCTION")).as_deref(),
            Some("kto-feedback-PRODUCTION.csv")
        );
        assert_eq!(
            kto_file_name(Some("acceptance")).as_deref(),
            Some("kto-feedback-acceptance.csv")
        );
        assert_eq!(kto_file_name(Some("development")), None);
        assert_eq!(kto_file_name(None), None);
    }

    #[test]
    fn reports_are_chosen_by_their_dumpcsv_names() {
        let files = by_reports(&["statusses".into(), "category_sla".into()]).expect("known");
        assert_eq!(
            files.iter().map(|f| f.name).collect::<Vec<_>>(),
            ["statuses.csv", "sla.csv"]
        );
        assert!(
            by_reports(&["statuses".into()])
                .expect_err("unknown")
                .contains("statusses")
        );
    }
}
