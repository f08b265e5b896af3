//! The index of signals: its settings and mapping, and the document of one
//! signal (docs/search.md).
//!
//! The mapping is explicit and `strict`: a field the document builder does
//! not know is refused instead of being guessed by dynamic mapping (the
//! reference's mapping conflicts, spec 13.1). Free text is analysed with
//! OpenSearch's `dutch` analyzer (stemming: "containers" finds "container");
//! everything filtered on is a keyword or a number.

use serde_json::{Value, json};
use signalen_infra::pg::IndexedSignal;

/// The fields the free-text query searches (spec 13.1: id, text, category
/// name, reporter e-mail and phone), by who may search them.
pub mod fields {
    /// Searched for every reader.
    pub const PUBLIC: &[&str] = &["id_text", "text", "category.name"];
    /// Searched only for readers who may see contact details: a reader
    /// without `sia_can_view_contact_details` must not learn that a given
    /// e-mail address or phone number reported something.
    pub const CONTACT: &[&str] = &["reporter.email", "reporter.email.parts", "reporter.phone"];
    /// The signal's current category id (visibility).
    pub const CATEGORY_ID: &str = "category.id";
    /// The departments of the current routing relation (visibility).
    pub const ROUTING_DEPARTMENT_IDS: &str = "routing_department_ids";
    pub const ID: &str = "id";
    pub const CREATED_AT: &str = "created_at";
}

/// The largest `from + size` a search may ask for. The reference keeps the
/// default 10,000; deep pages of a back-office search are rare but cheap
/// enough at this size.
pub const MAX_RESULT_WINDOW: u64 = 50_000;

/// How soon a write becomes searchable (OpenSearch's default, made explicit:
/// it is most of the commit-to-searchable time, docs/benchmarks.md).
pub const REFRESH_INTERVAL: &str = "1s";

/// Settings and mappings of a new concrete index.
pub fn index_body(replicas: u32) -> Value {
    let keyword = || json!({"type": "keyword"});
    let integer = || json!({"type": "integer"});
    let date = || json!({"type": "date"});
    let dutch = || json!({"type": "text", "analyzer": "dutch"});
    json!({
        "settings": {
            "number_of_shards": 1,
            "number_of_replicas": replicas,
            "max_result_window": MAX_RESULT_WINDOW,
            "refresh_interval": REFRESH_INTERVAL,
            "analysis": {
                "analyzer": {
                    // An e-mail address is one token ("melder@example.com"),
                    // so asking for it finds that address and not its domain.
                    "email": {"type": "custom", "tokenizer": "uax_url_email", "filter": ["lowercase"]}
                }
            }
        },
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "id": integer(),
                "id_text": {"type": "text", "analyzer": "standard"},
                "signal_id": keyword(),
                "text": dutch(),
                "source": keyword(),
                "parent_id": integer(),
                "state": keyword(),
                "priority": keyword(),
                "type": keyword(),
                "category": {"properties": {
                    "id": integer(),
                    "slug": keyword(),
                    "name": dutch(),
                    "main_slug": keyword(),
                    "main_name": dutch(),
                }},
                "routing_department_ids": integer(),
                "reporter": {"properties": {
                    "email": {"type": "text", "analyzer": "email",
                              "fields": {"parts": {"type": "text", "analyzer": "standard"}}},
                    "phone": {"type": "text", "analyzer": "standard"},
                }},
                "location": {"properties": {
                    "stadsdeel": keyword(),
                    "buurt_code": keyword(),
                    "area_code": keyword(),
                    "address_text": dutch(),
                }},
                "created_at": date(),
                "updated_at": date(),
                "incident_date_start": date(),
            }
        }
    })
}

/// The document of a signal (`_id` = its id). Dates are UTC RFC 3339.
pub fn document(signal: &IndexedSignal) -> Value {
    let category = signal.category.as_ref().map(|c| {
        json!({
            "id": c.id,
            "slug": c.slug,
            "name": c.name,
            "main_slug": c.main_slug,
            "main_name": c.main_name,
        })
    });
    json!({
        "id": signal.id,
        "id_text": signal.id.to_string(),
        "signal_id": signal.uuid.to_string(),
        "text": signal.text,
        "source": signal.source,
        "parent_id": signal.parent_id,
        "state": signal.state,
        "priority": signal.priority,
        "type": signal.type_code,
        "category": category,
        "routing_department_ids": signal.routing_department_ids,
        "reporter": {
            "email": signal.reporter_email,
            "phone": signal.reporter_phone,
        },
        "location": {
            "stadsdeel": signal.stadsdeel,
            "buurt_code": signal.buurt_code,
            "area_code": signal.area_code,
            "address_text": signal.address_text,
        },
        "created_at": signal.created_at.to_rfc3339(),
        "updated_at": signal.updated_at.to_rfc3339(),
        "incident_date_start": signal.incident_date_start.to_rfc3339(),
    })
}

/// The external version a document is written with: the signal's
/// `updated_at` in microseconds. Every change moves it forward (01 §2.1),
/// so with `version_type=external_gte` a write of an older snapshot is
/// refused and a repeated write of the same one changes nothing.
pub fn version(signal: &IndexedSignal) -> i64 {
    signal.updated_at.timestamp_micros()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use signalen_infra::pg::IndexedCategory;
    use uuid::Uuid;

    use super::*;

    pub fn signal() -> IndexedSignal {
        let at = Utc
            .with_ymd_and_hms(2024, 3, 1, 9, 15, 30)
            .single()
            .expect("valid");
        IndexedSignal {
            id: 1234,
            uuid: Uuid::nil(),
            source: "online".into(),
            text: "Naast de container ligt afval.".into(),
            parent_id: None,
            created_at: at,
            updated_at: at + chrono::Duration::microseconds(7),
            incident_date_start: at,
            state: Some("m".into()),
            category: Some(IndexedCategory {
                id: 12,
                slug: "container-is-vol".into(),
                name: "Container is vol".into(),
                main_slug: Some("afval".into()),
                main_name: Some("Afval".into()),
            }),
            routing_department_ids: vec![3],
            reporter_email: Some("melder@example.com".into()),
            reporter_phone: None,
            priority: Some("normal".into()),
            type_code: Some("SIG".into()),
            stadsdeel: Some("A".into()),
            buurt_code: None,
            area_code: None,
            address_text: Some("Amstel 1 1011PN Amsterdam".into()),
        }
    }

    /// Every leaf of `value` as a dotted path.
    fn paths(prefix: &str, value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (key, child) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    paths(&path, child, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }

    fn mapped(properties: &Value, path: &str) -> bool {
        let mut node = properties;
        for part in path.split('.') {
            node = match node.get(part) {
                Some(field) => field.get("properties").unwrap_or(field),
                None => return false,
            };
        }
        true
    }

    #[test]
    fn every_field_of_a_document_is_in_the_strict_mapping() {
        let body = index_body(0);
        let properties = &body["mappings"]["properties"];
        let mut leaves = Vec::new();
        paths("", &document(&signal()), &mut leaves);
        for leaf in leaves {
            assert!(mapped(properties, &leaf), "{leaf} is not mapped");
        }
        assert_eq!(body["mappings"]["dynamic"], "strict");
    }

    #[test]
    fn searched_and_filtered_fields_are_mapped() {
        let body = index_body(1);
        let properties = &body["mappings"]["properties"];
        for field in fields::PUBLIC.iter().chain(fields::CONTACT) {
            let base = field.trim_end_matches(".parts");
            assert!(mapped(properties, base), "{field}");
        }
        assert!(mapped(properties, fields::CATEGORY_ID));
        assert!(mapped(properties, fields::ROUTING_DEPARTMENT_IDS));
        assert_eq!(properties["text"]["analyzer"], "dutch");
        assert_eq!(body["settings"]["number_of_replicas"], 1);
    }

    #[test]
    fn the_version_is_updated_at_in_microseconds() {
        let signal = signal();
        assert_eq!(
            version(&signal),
            signal.created_at.timestamp() * 1_000_000 + 7
        );
    }
}
