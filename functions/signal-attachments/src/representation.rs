//! The attachment as the API shows it (spec 04 §7, 03 §4). `location` is a
//! presigned GET URL of the object, valid for `S3_STORAGE_EXPIRATION_SECS`.

use serde_json::{Value, json};
use signalen_api::BaseUrl;
use signalen_api::datetime::format_datetime;
use signalen_infra::pg::AttachmentRecord;
use uuid::Uuid;

fn display(record: &AttachmentRecord) -> String {
    format!("Attachment object ({})", record.id)
}

/// The public shape: the link is the upload collection of the signal.
pub fn public_attachment(
    base: &BaseUrl,
    uuid: Uuid,
    record: &AttachmentRecord,
    location: &str,
) -> Value {
    json!({
        "_display": display(record),
        "_links": {
            "self": {"href": base.join(&format!("/signals/v1/public/signals/{uuid}/attachments"))}
        },
        "location": location,
        "is_image": record.is_image,
        "created_at": format_datetime(record.created_at),
    })
}

/// The back office's shape.
pub fn private_attachment(base: &BaseUrl, record: &AttachmentRecord, location: &str) -> Value {
    json!({
        "_display": display(record),
        "_links": {
            "self": {"href": base.join(&format!(
                "/signals/v1/private/signals/{}/attachments/{}",
                record.signal_id, record.id
            ))}
        },
        "location": location,
        "is_image": record.is_image,
        "created_at": format_datetime(record.created_at),
        "created_by": record.created_by,
        "public": record.public,
        "caption": record.caption,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn record() -> AttachmentRecord {
        let at = Utc
            .with_ymd_and_hms(2024, 3, 1, 9, 16, 2)
            .single()
            .expect("time");
        AttachmentRecord {
            id: 55,
            signal_id: 1234,
            file: "attachments/2024/03/01/container.jpg".into(),
            mimetype: "image/jpeg".into(),
            is_image: true,
            public: false,
            caption: None,
            created_by: Some("medewerker@example.org".into()),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn the_private_shape_has_the_references_fields_in_its_order() {
        let base = BaseUrl::new("https://api.example.org");
        let value = private_attachment(&base, &record(), "https://s3.example/x?sig");
        assert_eq!(
            serde_json::to_string(&value).expect("json"),
            r#"{"_display":"Attachment object (55)","_links":{"self":{"href":"https://api.example.org/signals/v1/private/signals/1234/attachments/55"}},"location":"https://s3.example/x?sig","is_image":true,"created_at":"2024-03-01T10:16:02+01:00","created_by":"medewerker@example.org","public":false,"caption":null}"#
        );
    }

    #[test]
    fn the_public_shape_links_the_collection_and_names_no_uploader() {
        let base = BaseUrl::new("https://api.example.org");
        let uuid = Uuid::parse_str("6c7c2d3a-2f1e-4a36-8d1b-1f0b3c2f9a77").expect("uuid");
        let value = public_attachment(&base, uuid, &record(), "https://s3.example/x?sig");
        assert_eq!(
            value["_links"]["self"]["href"],
            "https://api.example.org/signals/v1/public/signals/6c7c2d3a-2f1e-4a36-8d1b-1f0b3c2f9a77/attachments"
        );
        assert_eq!(value["is_image"], true);
        let keys: Vec<&String> = value.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            ["_display", "_links", "location", "is_image", "created_at"]
        );
    }
}
