use serde_json::json;

use crate::helpers::test_search;

fn ids(answer: &serde_json::Value) -> Vec<String> {
    answer["hits"]["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|hit| hit["_id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_dutch_analysed_field_finds_container_when_asked_for_containers() {
    let (client, index) = test_search().await;
    client
        .create_index(
            &index,
            json!({
                "settings": {"number_of_shards": 1, "number_of_replicas": 0},
                "mappings": {"properties": {
                    "text": {"type": "text", "analyzer": "dutch"},
                    "location": {"type": "geo_point"}
                }}
            }),
        )
        .await
        .expect("create index");
    let doc = |text: &str| json!({"text": text, "location": {"lat": 52.37, "lon": 4.90}});
    client
        .put_document(
            &index,
            "1",
            &doc("De container bij de school is vol"),
            false,
        )
        .await
        .expect("index");
    client
        .put_document(&index, "2", &doc("Lantaarnpaal kapot in het park"), true)
        .await
        .expect("index");

    let containers = client
        .search(&index, json!({"query": {"match": {"text": "containers"}}}))
        .await
        .expect("search");
    let fietsen = client
        .search(&index, json!({"query": {"match": {"text": "fietsen"}}}))
        .await
        .expect("search");

    assert_eq!(ids(&containers), vec!["1"]);
    assert!(ids(&fietsen).is_empty());
    client.delete_index(&index).await.expect("cleanup");
    assert!(!client.index_exists(&index).await.expect("exists"));
}
