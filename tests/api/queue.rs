use std::collections::HashMap;

use aws_sdk_sqs::types::QueueAttributeName;

use crate::helpers::test_queue;

#[tokio::test]
async fn a_message_sent_is_received_once_and_gone_after_delete() {
    let queue = test_queue(HashMap::new()).await;
    let body = r#"{"event_id":"5f0c","type":"signal.created"}"#;

    let sent_id = queue.send(body).await.expect("send");
    let received = queue.receive(10, 2).await.expect("receive");

    assert_eq!(received.len(), 1);
    assert_eq!(received[0].message_id, sent_id);
    assert_eq!(received[0].body, body);
    assert_eq!(received[0].receive_count, 1);
    queue
        .delete(&received[0].receipt_handle)
        .await
        .expect("delete");
    assert!(queue.receive(10, 1).await.expect("receive").is_empty());
    queue.delete_queue().await.expect("cleanup");
}

#[tokio::test]
async fn a_message_not_deleted_moves_to_the_dead_letter_queue_after_its_receives() {
    let dlq = test_queue(HashMap::new()).await;
    let redrive = format!(
        r#"{{"deadLetterTargetArn":"{}","maxReceiveCount":"2"}}"#,
        dlq.arn().await.expect("arn")
    );
    let queue = test_queue(HashMap::from([
        (QueueAttributeName::VisibilityTimeout, "1".to_owned()),
        (QueueAttributeName::RedrivePolicy, redrive),
    ]))
    .await;
    queue.send("poison").await.expect("send");

    for attempt in 1..=2 {
        let received = queue.receive(1, 3).await.expect("receive");
        assert_eq!(received.len(), 1, "receive {attempt}");
        assert_eq!(received[0].receive_count, attempt);
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    }
    assert!(queue.receive(1, 1).await.expect("receive").is_empty());
    let dead = dlq.receive(1, 2).await.expect("receive from the DLQ");

    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "poison");
    queue.delete_queue().await.expect("cleanup");
    dlq.delete_queue().await.expect("cleanup");
}
