use std::collections::HashSet;

use serde::Deserialize;

use super::Slug;

/// The category taxonomy as shipped in `data/categories.json`: the main
/// categories and their sub categories, each with its handling texts and
/// service level.
///
/// [`Taxonomy::parse`] checks the rules the database relies on, so a broken
/// data file is refused before anything is written.
#[derive(Debug, Clone, Deserialize)]
pub struct Taxonomy {
    pub main_categories: Vec<MainCategory>,
    pub sub_categories: Vec<SubCategory>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MainCategory {
    pub main_slug: Slug,
    pub main_name: String,
    pub is_active: bool,
    pub handling_message: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubCategory {
    pub main_slug: Slug,
    pub sub_slug: Slug,
    pub sub_name: String,
    pub is_active: bool,
    pub handling: String,
    pub handling_message: Option<String>,
    pub description: Option<String>,
    pub public_name: Option<String>,
    pub sla_n_days: Option<u32>,
    pub sla_use_calendar_days: Option<bool>,
}

/// How long the municipality takes to handle a signal of a sub category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceLevel {
    pub n_days: u32,
    /// `true`: calendar days; `false`: working days (Monday to Friday).
    pub use_calendar_days: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    #[error("the taxonomy is not valid JSON of the expected shape")]
    Shape(#[from] serde_json::Error),
    #[error("main category `{0}` appears more than once")]
    DuplicateMain(Slug),
    #[error("sub category `{main}/{sub}` appears more than once")]
    DuplicateSub { main: Slug, sub: Slug },
    #[error("sub category `{main}/{sub}` names a main category that does not exist")]
    UnknownMain { main: Slug, sub: Slug },
    #[error(
        "sub category `{main}/{sub}` has half a service level: give both n_days and use_calendar_days, or neither"
    )]
    PartialServiceLevel { main: Slug, sub: Slug },
    #[error("sub category `{main}/{sub}` has a service level of zero days")]
    ZeroServiceLevel { main: Slug, sub: Slug },
    #[error(
        "the taxonomy lacks `overig/overig`, the category that unclassifiable signals fall back to"
    )]
    MissingFallback,
}

impl SubCategory {
    pub fn service_level(&self) -> Option<ServiceLevel> {
        match (self.sla_n_days, self.sla_use_calendar_days) {
            (Some(n_days), Some(use_calendar_days)) => Some(ServiceLevel {
                n_days,
                use_calendar_days,
            }),
            _ => None,
        }
    }
}

impl Taxonomy {
    /// The slug of the main and of the sub category that the prediction flow
    /// falls back to when it cannot place a text.
    pub const FALLBACK: (&'static str, &'static str) = ("overig", "overig");

    pub fn parse(json: &str) -> Result<Self, TaxonomyError> {
        let taxonomy: Taxonomy = serde_json::from_str(json)?;
        taxonomy.validate()?;
        Ok(taxonomy)
    }

    fn validate(&self) -> Result<(), TaxonomyError> {
        let mut mains = HashSet::new();
        for main in &self.main_categories {
            if !mains.insert(&main.main_slug) {
                return Err(TaxonomyError::DuplicateMain(main.main_slug.clone()));
            }
        }
        let mut subs = HashSet::new();
        for sub in &self.sub_categories {
            let key = || (sub.main_slug.clone(), sub.sub_slug.clone());
            let (main, slug) = key();
            if !mains.contains(&sub.main_slug) {
                return Err(TaxonomyError::UnknownMain { main, sub: slug });
            }
            if !subs.insert((&sub.main_slug, &sub.sub_slug)) {
                return Err(TaxonomyError::DuplicateSub { main, sub: slug });
            }
            match (sub.sla_n_days, sub.sla_use_calendar_days) {
                (Some(0), _) => return Err(TaxonomyError::ZeroServiceLevel { main, sub: slug }),
                (Some(_), None) | (None, Some(_)) => {
                    return Err(TaxonomyError::PartialServiceLevel { main, sub: slug });
                }
                _ => {}
            }
        }
        let (main, sub) = Self::FALLBACK;
        if !self
            .sub_categories
            .iter()
            .any(|s| s.main_slug.as_str() == main && s.sub_slug.as_str() == sub)
        {
            return Err(TaxonomyError::MissingFallback);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const SHIPPED: &str = include_str!("../../../../data/categories.json");

    fn minimal() -> Value {
        json!({
            "main_categories": [
                {"main_slug": "afval", "main_name": "Afval", "is_active": true, "handling_message": null},
                {"main_slug": "overig", "main_name": "Overig", "is_active": true, "handling_message": null}
            ],
            "sub_categories": [
                {"main_slug": "afval", "sub_slug": "container-is-vol", "sub_name": "Container is vol",
                 "is_active": true, "handling": "A3DEC", "handling_message": "We legen hem.",
                 "description": null, "public_name": null, "sla_n_days": 3, "sla_use_calendar_days": false},
                {"main_slug": "overig", "sub_slug": "overig", "sub_name": "Overig",
                 "is_active": true, "handling": "REST", "handling_message": null,
                 "description": null, "public_name": null, "sla_n_days": null, "sla_use_calendar_days": null}
            ]
        })
    }

    fn parse(value: &Value) -> Result<Taxonomy, TaxonomyError> {
        Taxonomy::parse(&value.to_string())
    }

    #[test]
    fn the_shipped_taxonomy_is_valid_and_complete() {
        let taxonomy = Taxonomy::parse(SHIPPED).expect("data/categories.json is valid");
        assert_eq!(taxonomy.main_categories.len(), 13);
        assert_eq!(taxonomy.sub_categories.len(), 155);
    }

    #[test]
    fn a_sub_category_with_both_service_level_fields_has_a_service_level() {
        let taxonomy = parse(&minimal()).expect("valid");
        assert_eq!(
            taxonomy.sub_categories[0].service_level(),
            Some(ServiceLevel {
                n_days: 3,
                use_calendar_days: false
            })
        );
        assert_eq!(taxonomy.sub_categories[1].service_level(), None);
    }

    #[test]
    fn a_sub_category_of_an_unknown_main_is_refused() {
        let mut value = minimal();
        value["sub_categories"][0]["main_slug"] = json!("wegen");
        assert!(matches!(
            parse(&value),
            Err(TaxonomyError::UnknownMain { .. })
        ));
    }

    #[test]
    fn the_same_slug_twice_under_one_parent_is_refused() {
        let mut value = minimal();
        let copy = value["sub_categories"][0].clone();
        value["sub_categories"]
            .as_array_mut()
            .expect("array")
            .push(copy);
        assert!(matches!(
            parse(&value),
            Err(TaxonomyError::DuplicateSub { .. })
        ));

        let mut value = minimal();
        let copy = value["main_categories"][0].clone();
        value["main_categories"]
            .as_array_mut()
            .expect("array")
            .push(copy);
        assert!(matches!(
            parse(&value),
            Err(TaxonomyError::DuplicateMain(_))
        ));
    }

    #[test]
    fn half_a_service_level_or_zero_days_is_refused() {
        let mut value = minimal();
        value["sub_categories"][0]["sla_use_calendar_days"] = Value::Null;
        assert!(matches!(
            parse(&value),
            Err(TaxonomyError::PartialServiceLevel { .. })
        ));

        let mut value = minimal();
        value["sub_categories"][0]["sla_n_days"] = json!(0);
        assert!(matches!(
            parse(&value),
            Err(TaxonomyError::ZeroServiceLevel { .. })
        ));
    }

    #[test]
    fn a_taxonomy_without_the_fallback_category_is_refused() {
        let mut value = minimal();
        value["sub_categories"].as_array_mut().expect("array").pop();
        assert!(matches!(parse(&value), Err(TaxonomyError::MissingFallback)));
    }

    #[test]
    fn a_malformed_slug_in_the_data_is_refused() {
        let mut value = minimal();
        value["sub_categories"][0]["sub_slug"] = json!("Container Vol");
        assert!(matches!(parse(&value), Err(TaxonomyError::Shape(_))));
    }
}
