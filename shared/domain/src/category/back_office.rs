//! The taxonomy as the back office sees it (spec 04b §4, §5): every category
//! with its internal note, current service level and all department links.

use std::collections::HashMap;

use super::{Category, ServiceLevel};
use crate::department::Department;

/// A category–department link (`signals_categorydepartment`, 01 §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentLink {
    /// The link's own id (04b §4: `categories[].id`).
    pub id: i32,
    pub category_id: i32,
    pub department: Department,
    pub is_responsible: bool,
    pub can_view: bool,
}

/// A category with what only the back office sees.
#[derive(Debug, Clone, PartialEq)]
pub struct BackOfficeCategory {
    pub category: Category,
    /// Internal note (private API only).
    pub note: Option<String>,
    /// The newest service level objective, if the category has one.
    pub service_level: Option<ServiceLevel>,
    /// Every department linked to the category, in department code order.
    pub departments: Vec<DepartmentLink>,
}

/// All categories with their links, assembled from a constant number of
/// queries (the taxonomy is small: under 200 categories).
#[derive(Debug, Clone, Default)]
pub struct BackOfficeTaxonomy {
    /// In name order (then id), as the reference orders categories.
    categories: Vec<BackOfficeCategory>,
    index: HashMap<i32, usize>,
}

impl BackOfficeTaxonomy {
    /// `categories` as (category, note, service level) in any order, and
    /// `links` of any category in any order.
    pub fn new(
        categories: Vec<(Category, Option<String>, Option<ServiceLevel>)>,
        links: Vec<DepartmentLink>,
    ) -> Self {
        let mut by_category: HashMap<i32, Vec<DepartmentLink>> = HashMap::new();
        for link in links {
            by_category.entry(link.category_id).or_default().push(link);
        }
        let mut categories: Vec<BackOfficeCategory> = categories
            .into_iter()
            .map(|(category, note, service_level)| {
                let mut departments = by_category.remove(&category.id).unwrap_or_default();
                departments.sort_by(|a, b| {
                    a.department
                        .code
                        .cmp(&b.department.code)
                        .then(a.department.id.cmp(&b.department.id))
                });
                BackOfficeCategory {
                    category,
                    note,
                    service_level,
                    departments,
                }
            })
            .collect();
        categories.sort_by(|a, b| {
            a.category
                .name
                .cmp(&b.category.name)
                .then(a.category.id.cmp(&b.category.id))
        });
        let index = categories
            .iter()
            .enumerate()
            .map(|(position, c)| (c.category.id, position))
            .collect();
        Self { categories, index }
    }

    /// Every category, main and sub, in name order.
    pub fn all(&self) -> &[BackOfficeCategory] {
        &self.categories
    }

    pub fn get(&self, id: i32) -> Option<&BackOfficeCategory> {
        self.index
            .get(&id)
            .map(|&position| &self.categories[position])
    }

    /// The main category of a sub category; `None` for a main category.
    pub fn parent_of(&self, category: &Category) -> Option<&Category> {
        category
            .parent_id
            .and_then(|id| self.get(id))
            .map(|parent| &parent.category)
    }

    /// The departments responsible for a category (the public `departments`).
    pub fn responsible_departments(&self, category_id: i32) -> Vec<&Department> {
        self.get(category_id)
            .map(|c| {
                let mut responsible: Vec<&Department> = c
                    .departments
                    .iter()
                    .filter(|link| link.is_responsible)
                    .map(|link| &link.department)
                    .collect();
                responsible.sort_by(|a, b| a.name.cmp(&b.name).then(a.code.cmp(&b.code)));
                responsible
            })
            .unwrap_or_default()
    }

    /// The links of one department to active categories, in category name order
    /// (04b §4: a department lists only its active categories).
    pub fn active_links_of_department(
        &self,
        department_id: i32,
    ) -> Vec<(&BackOfficeCategory, &DepartmentLink)> {
        self.categories
            .iter()
            .filter(|c| c.category.is_active)
            .flat_map(|c| {
                c.departments
                    .iter()
                    .filter(move |link| link.department.id == department_id)
                    .map(move |link| (c, link))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(id: i32, parent_id: Option<i32>, name: &str, active: bool) -> Category {
        Category {
            id,
            parent_id,
            slug: name.to_lowercase().replace(' ', "-"),
            name: name.to_owned(),
            public_name: None,
            is_public_accessible: false,
            configuration: None,
            handling: "REST".to_owned(),
            handling_message: None,
            is_active: active,
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

    fn link(
        id: i32,
        category_id: i32,
        department: Department,
        responsible: bool,
    ) -> DepartmentLink {
        DepartmentLink {
            id,
            category_id,
            department,
            is_responsible: responsible,
            can_view: true,
        }
    }

    fn taxonomy() -> BackOfficeTaxonomy {
        BackOfficeTaxonomy::new(
            vec![
                (category(2, Some(1), "Grofvuil", true), None, None),
                (
                    category(1, None, "Afval", true),
                    Some("intern".into()),
                    None,
                ),
                (
                    category(3, Some(1), "Container is vol", false),
                    None,
                    Some(ServiceLevel {
                        n_days: 3,
                        use_calendar_days: false,
                    }),
                ),
            ],
            vec![
                link(10, 2, department(7, "STW", "Stadswerken"), true),
                link(11, 2, department(8, "ASC", "Actie Service Centrum"), false),
                link(12, 3, department(8, "ASC", "Actie Service Centrum"), true),
            ],
        )
    }

    #[test]
    fn categories_come_in_name_order_with_links_in_code_order() {
        let taxonomy = taxonomy();
        let names: Vec<_> = taxonomy
            .all()
            .iter()
            .map(|c| c.category.name.as_str())
            .collect();
        assert_eq!(names, ["Afval", "Container is vol", "Grofvuil"]);
        let codes: Vec<_> = taxonomy
            .get(2)
            .expect("grofvuil")
            .departments
            .iter()
            .map(|l| l.department.code.as_str())
            .collect();
        assert_eq!(codes, ["ASC", "STW"]);
    }

    #[test]
    fn a_sub_category_knows_its_parent_and_a_main_has_none() {
        let taxonomy = taxonomy();
        let sub = &taxonomy.get(2).expect("sub").category;
        assert_eq!(taxonomy.parent_of(sub).map(|p| p.id), Some(1));
        let main = &taxonomy.get(1).expect("main").category;
        assert!(taxonomy.parent_of(main).is_none());
    }

    #[test]
    fn only_responsible_departments_are_public() {
        let taxonomy = taxonomy();
        let codes: Vec<_> = taxonomy
            .responsible_departments(2)
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(codes, ["STW"]);
        assert!(taxonomy.responsible_departments(99).is_empty());
    }

    #[test]
    fn a_department_lists_only_its_links_to_active_categories() {
        let taxonomy = taxonomy();
        let asc: Vec<_> = taxonomy
            .active_links_of_department(8)
            .iter()
            .map(|(c, l)| (c.category.id, l.id))
            .collect();
        assert_eq!(asc, [(2, 11)], "category 3 is inactive");
    }
}
