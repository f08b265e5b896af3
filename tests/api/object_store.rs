use std::time::Duration;

use bytes::Bytes;

use crate::helpers::{empty_bucket, test_bucket};

#[tokio::test]
async fn an_object_put_into_s3_comes_back_byte_for_byte() {
    let store = test_bucket().await;
    let photo = Bytes::from_static(b"\xff\xd8\xff\xe0 not really a jpeg \x00\x01");

    store
        .put("signals/1/photo.jpg", photo.clone(), "image/jpeg")
        .await
        .expect("put");
    let object = store
        .get("signals/1/photo.jpg")
        .await
        .expect("get")
        .expect("the object exists");

    assert_eq!(object.body, photo);
    assert_eq!(object.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(
        store.list("signals/").await.expect("list"),
        vec!["signals/1/photo.jpg".to_owned()]
    );
    assert!(
        store
            .get("signals/2/none.jpg")
            .await
            .expect("get")
            .is_none()
    );
    empty_bucket(&store).await;
}

#[tokio::test]
async fn a_presigned_url_serves_the_object_over_plain_http() {
    let store = test_bucket().await;
    store
        .put(
            "exports/a.csv",
            Bytes::from_static(b"id;status\n1;m\n"),
            "text/csv",
        )
        .await
        .expect("put");

    let url = store
        .presigned_get("exports/a.csv", Duration::from_secs(60))
        .await
        .expect("presign");
    let response = reqwest::get(&url).await.expect("GET the presigned URL");

    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        b"id;status\n1;m\n"
    );
    empty_bucket(&store).await;
}
