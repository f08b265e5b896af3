use std::collections::HashMap;

use crate::department::Department;

/// A category as stored: a main category (no parent) or a sub category.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    pub id: i32,
    pub parent_id: Option<i32>,
    pub slug: String,
    pub name: String,
    pub public_name: Option<String>,
    pub is_public_accessible: bool,
    /// Main categories only: `{"show_children_in_filter": bool}` or unset.
    pub configuration: Option<serde_json::Value>,
    pub handling: String,
    pub handling_message: Option<String>,
    pub is_active: bool,
    pub description: Option<String>,
    /// Path of the icon in media storage, if it has one.
    pub icon: Option<String>,
}

impl Category {
    pub fn is_main(&self) -> bool {
        self.parent_id.is_none()
    }
}

/// A main category with its sub categories, in name order.
#[derive(Debug, Clone, PartialEq)]
pub struct MainWithSubs<'a> {
    pub main: &'a Category,
    pub subs: Vec<&'a Category>,
}

impl MainWithSubs<'_> {
    /// A main category is publicly accessible when it is itself or any of
    /// its sub categories is.
    pub fn is_public_accessible(&self) -> bool {
        self.main.is_public_accessible || self.subs.iter().any(|s| s.is_public_accessible)
    }
}

/// The whole taxonomy as loaded, with the departments responsible for each
/// category: small (under 200 rows), so it is read whole and assembled here
/// in a constant number of queries, whatever its size.
#[derive(Debug, Clone, Default)]
pub struct CategoryTree {
    categories: Vec<Category>,
    responsible: HashMap<i32, Vec<Department>>,
}

impl CategoryTree {
    /// `categories` in any order; `responsible` as (category id, department)
    /// pairs of the responsible departments.
    pub fn new(mut categories: Vec<Category>, responsible: Vec<(i32, Department)>) -> Self {
        categories.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        let mut by_category: HashMap<i32, Vec<Department>> = HashMap::new();
        for (category_id, department) in responsible {
            by_category.entry(category_id).or_default().push(department);
        }
        for departments in by_category.values_mut() {
            departments.sort_by(|a, b| a.name.cmp(&b.name).then(a.code.cmp(&b.code)));
        }
        Self {
            categories,
            responsible: by_category,
        }
    }

    fn subs_of(&self, main: &Category) -> Vec<&Category> {
        self.categories
            .iter()
            .filter(|c| c.parent_id == Some(main.id))
            .collect()
    }

    /// Every main category with its sub categories, in name order.
    pub fn mains(&self) -> Vec<MainWithSubs<'_>> {
        self.categories
            .iter()
            .filter(|c| c.is_main())
            .map(|main| MainWithSubs {
                main,
                subs: self.subs_of(main),
            })
            .collect()
    }

    /// The main category with this slug (a sub category's slug does not match).
    pub fn main(&self, slug: &str) -> Option<MainWithSubs<'_>> {
        self.mains().into_iter().find(|m| m.main.slug == slug)
    }

    /// The sub category `sub_slug` of main category `main_slug`, with its main.
    pub fn sub(&self, main_slug: &str, sub_slug: &str) -> Option<(&Category, &Category)> {
        let main = self
            .categories
            .iter()
            .find(|c| c.is_main() && c.slug == main_slug)?;
        let sub = self
            .categories
            .iter()
            .find(|c| c.parent_id == Some(main.id) && c.slug == sub_slug)?;
        Some((main, sub))
    }

    /// The category with this id.
    pub fn by_id(&self, id: i32) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// The departments responsible for a category, in name order.
    pub fn responsible_departments(&self, category: &Category) -> &[Department] {
        self.responsible
            .get(&category.id)
            .map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(id: i32, parent_id: Option<i32>, slug: &str, name: &str, public: bool) -> Category {
        Category {
            id,
            parent_id,
            slug: slug.to_owned(),
            name: name.to_owned(),
            public_name: None,
            is_public_accessible: public,
            configuration: None,
            handling: "REST".to_owned(),
            handling_message: None,
            is_active: true,
            description: None,
            icon: None,
        }
    }

    fn department(id: i32, code: &str, name: &str) -> Department {
        Department {
            id,
            code: code.to_owned(),
            name: name.to_owned(),
            is_intern: true,
            can_direct: false,
        }
    }

    fn tree() -> CategoryTree {
        CategoryTree::new(
            vec![
                category(3, Some(1), "grofvuil", "Grofvuil", true),
                category(1, None, "afval", "Afval", false),
                category(2, Some(1), "container-is-vol", "Container is vol", false),
                category(4, None, "overig", "Overig", false),
                category(5, Some(4), "overig", "Overig", false),
            ],
            vec![
                (3, department(1, "STW", "Stadswerken")),
                (3, department(2, "ASC", "Actiecentrum")),
            ],
        )
    }

    #[test]
    fn mains_and_their_subs_come_in_name_order() {
        let tree = tree();
        let mains = tree.mains();
        let names: Vec<_> = mains.iter().map(|m| m.main.name.as_str()).collect();
        assert_eq!(names, ["Afval", "Overig"]);
        let subs: Vec<_> = mains[0].subs.iter().map(|s| s.slug.as_str()).collect();
        assert_eq!(subs, ["container-is-vol", "grofvuil"]);
    }

    #[test]
    fn a_main_is_public_when_any_sub_is() {
        let tree = tree();
        assert!(tree.main("afval").expect("afval").is_public_accessible());
        assert!(!tree.main("overig").expect("overig").is_public_accessible());
    }

    #[test]
    fn slugs_are_looked_up_per_parent() {
        let tree = tree();
        assert!(tree.main("grofvuil").is_none(), "a sub slug is no main");
        assert_eq!(tree.sub("overig", "overig").map(|(_, s)| s.id), Some(5));
        assert!(tree.sub("afval", "overig").is_none());
    }

    #[test]
    fn responsible_departments_come_in_name_order() {
        let tree = tree();
        let (_, grofvuil) = tree.sub("afval", "grofvuil").expect("grofvuil");
        let codes: Vec<_> = tree
            .responsible_departments(grofvuil)
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(codes, ["ASC", "STW"]);
        let (_, vol) = tree.sub("afval", "container-is-vol").expect("vol");
        assert!(tree.responsible_departments(vol).is_empty());
    }
}
