//! The OpenSearch request of a search (spec 13.1): one `multi_match` with
//! the reference's semantics — `best_fields`, OR, no fuzziness,
//! `zero_terms_query: all` (an empty `q` matches everything) — with the
//! department visibility of the private list as a filter, so that hits and
//! count contain only signals the reader may see.

use search_indexer::schema::fields;
use serde_json::{Value, json};
use signalen_infra::pg::signal_read::Visibility;

/// A direction of `ordering` (only `created_at` is allowed, as in the reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreatedAt {
    Ascending,
    Descending,
}

/// `ordering=created_at,-created_at,…`; any other field is refused with the
/// reference's message, quoting the field as given.
pub fn parse_ordering(raw: &str) -> Result<Vec<CreatedAt>, String> {
    raw.split(',')
        .map(|field| match field {
            "created_at" => Ok(CreatedAt::Ascending),
            "-created_at" => Ok(CreatedAt::Descending),
            other => Err(format!("Cannot order by '{other}'!")),
        })
        .collect()
}

/// The `query` part: also what a count asks.
pub fn query(q: &str, visibility: &Visibility, with_contact_fields: bool) -> Value {
    let mut searched: Vec<&str> = fields::PUBLIC.to_vec();
    if with_contact_fields {
        searched.extend_from_slice(fields::CONTACT);
    }
    let multi_match = json!({"multi_match": {
        "query": q,
        "fields": searched,
        "zero_terms_query": "all",
    }});
    match visibility {
        Visibility::All => json!({"bool": {"must": [multi_match]}}),
        Visibility::Departments {
            departments,
            categories,
        } => json!({"bool": {
            "must": [multi_match],
            "filter": [{"bool": {
                "should": [
                    {"terms": {fields::CATEGORY_ID: categories}},
                    {"terms": {fields::ROUTING_DEPARTMENT_IDS: departments}},
                ],
                "minimum_should_match": 1,
            }}],
        }}),
    }
}

/// The search request of one page: ids only (the items come from Postgres).
/// Ties are broken by id, newest first, so that pages do not overlap.
pub fn page_request(query: Value, ordering: &[CreatedAt], from: u64, size: u64) -> Value {
    let mut sort: Vec<Value> = if ordering.is_empty() {
        vec![json!({"_score": "desc"})]
    } else {
        ordering
            .iter()
            .map(|o| match o {
                CreatedAt::Ascending => json!({fields::CREATED_AT: "asc"}),
                CreatedAt::Descending => json!({fields::CREATED_AT: "desc"}),
            })
            .collect()
    };
    sort.push(json!({fields::ID: "desc"}));
    json!({
        "query": query,
        "from": from,
        "size": size,
        "sort": sort,
        "_source": false,
        "track_total_hits": false,
    })
}

/// The signal ids of a search answer, in hit order.
pub fn hit_ids(answer: &Value) -> Vec<i32> {
    answer["hits"]["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .filter_map(|hit| hit["_id"].as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_created_at_orders_and_the_message_quotes_the_field() {
        assert_eq!(
            parse_ordering("-created_at"),
            Ok(vec![CreatedAt::Descending])
        );
        assert_eq!(
            parse_ordering("created_at,-created_at"),
            Ok(vec![CreatedAt::Ascending, CreatedAt::Descending])
        );
        assert_eq!(
            parse_ordering("-updated_at"),
            Err("Cannot order by '-updated_at'!".to_owned())
        );
        assert_eq!(parse_ordering(""), Err("Cannot order by ''!".to_owned()));
    }

    #[test]
    fn contact_fields_are_searched_only_when_the_reader_may_see_them() {
        let without = query("melder@example.com", &Visibility::All, false);
        let with = query("melder@example.com", &Visibility::All, true);
        let fields_of = |q: &Value| q["bool"]["must"][0]["multi_match"]["fields"].to_string();
        assert!(!fields_of(&without).contains("reporter"));
        assert!(fields_of(&with).contains("reporter.email"));
        assert_eq!(
            with["bool"]["must"][0]["multi_match"]["zero_terms_query"],
            "all"
        );
    }

    #[test]
    fn department_visibility_is_a_filter_on_category_or_routing() {
        let visibility = Visibility::Departments {
            departments: vec![3],
            categories: vec![12, 13],
        };
        let q = query("container", &visibility, false);
        let should = &q["bool"]["filter"][0]["bool"]["should"];
        assert_eq!(should[0]["terms"]["category.id"], json!([12, 13]));
        assert_eq!(should[1]["terms"]["routing_department_ids"], json!([3]));
        assert_eq!(q["bool"]["filter"][0]["bool"]["minimum_should_match"], 1);
        assert!(query("x", &Visibility::All, false)["bool"]["filter"].is_null());
    }

    #[test]
    fn a_page_sorts_by_score_unless_ordered_and_breaks_ties_by_id() {
        let request = page_request(json!({}), &[], 200, 100);
        assert_eq!(request["sort"], json!([{"_score": "desc"}, {"id": "desc"}]));
        assert_eq!(
            (request["from"].as_u64(), request["size"].as_u64()),
            (Some(200), Some(100))
        );
        let ordered = page_request(json!({}), &[CreatedAt::Ascending], 0, 10);
        assert_eq!(
            ordered["sort"],
            json!([{"created_at": "asc"}, {"id": "desc"}])
        );
    }

    #[test]
    fn hit_ids_keep_the_order_of_the_hits() {
        let answer = json!({"hits": {"hits": [{"_id": "7"}, {"_id": "3"}, {"_id": "x"}]}});
        assert_eq!(hit_ids(&answer), vec![7, 3]);
    }
}
