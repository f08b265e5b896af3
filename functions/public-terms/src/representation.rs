//! The JSON of the public category serializers (spec 03 §6.1, §6.3).

use serde_json::{Map, Value, json};
use signalen_api::BaseUrl;
use signalen_domain::category::{Category, CategoryTree, MainWithSubs};

/// Builds absolute links and the category documents that carry them.
pub struct Links<'a> {
    base: &'a BaseUrl,
    media_base_url: Option<&'a str>,
}

impl<'a> Links<'a> {
    pub fn new(base: &'a BaseUrl, media_base_url: Option<&'a str>) -> Self {
        Self {
            base,
            media_base_url,
        }
    }

    fn href(&self, path: &str) -> Value {
        json!({ "href": self.base.join(path) })
    }

    fn icon(&self, icon: &str) -> Value {
        let url = match self.media_base_url {
            Some(media) => format!(
                "{}/{}",
                media.trim_end_matches('/'),
                icon.trim_start_matches('/')
            ),
            None => self
                .base
                .join(&format!("/signals/media/{}", icon.trim_start_matches('/'))),
        };
        json!({ "href": url })
    }

    fn links(&self, self_path: &str, icon: Option<&str>) -> Value {
        let mut links = Map::new();
        links.insert(
            "curies".into(),
            json!({"name": "sia", "href": self.base.join("/signals/v1/relations")}),
        );
        links.insert("self".into(), self.href(self_path));
        if let Some(icon) = icon {
            links.insert("sia:icon".into(), self.icon(icon));
        }
        Value::Object(links)
    }

    /// A main category with all its sub categories.
    pub fn main_category(&self, tree: &CategoryTree, main: &MainWithSubs<'_>) -> Value {
        let category = main.main;
        json!({
            "_links": self.links(&format!("/signals/v1/public/terms/categories/{}", category.slug), category.icon.as_deref()),
            "_display": category.name,
            "name": category.name,
            "slug": category.slug,
            "public_name": category.public_name,
            "is_public_accessible": main.is_public_accessible(),
            "sub_categories": main.subs.iter().map(|sub| self.sub_category(tree, category, sub)).collect::<Vec<_>>(),
            "configuration": category.configuration,
        })
    }

    /// A sub category; its icon is its own, else its main category's.
    /// (`questionnaire` and `sia:questionnaire` are omitted, as the reference
    /// omits them for a category without a questionnaire; questionnaires are
    /// not part of this API yet.)
    pub fn sub_category(&self, tree: &CategoryTree, main: &Category, sub: &Category) -> Value {
        let path = format!(
            "/signals/v1/public/terms/categories/{}/sub_categories/{}",
            main.slug, sub.slug
        );
        let icon = sub.icon.as_deref().or(main.icon.as_deref());
        let departments: Vec<Value> = tree
            .responsible_departments(sub)
            .iter()
            .map(|d| json!({"code": d.code, "name": d.name, "is_intern": d.is_intern}))
            .collect();
        json!({
            "_links": self.links(&path, icon),
            "_display": format!("{} ({})", sub.name, main.name),
            "name": sub.name,
            "slug": sub.slug,
            "handling": sub.handling,
            "departments": departments,
            "is_active": sub.is_active,
            "description": sub.description,
            "handling_message": sub.handling_message,
            "public_name": sub.public_name,
            "is_public_accessible": sub.is_public_accessible,
        })
    }
}
