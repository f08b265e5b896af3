use signalen_domain::category::{Category, CategoryTree};
use signalen_domain::department::Department;
use tokio_postgres::Row;

use super::{Error, GenericClient};

/// The whole taxonomy with its responsible departments, in two queries.
pub async fn category_tree(client: &impl GenericClient) -> Result<CategoryTree, Error> {
    let categories = client
        .query(
            "SELECT id, parent_id, slug, name, public_name, is_public_accessible, configuration,
                    handling, handling_message, is_active, description, icon
             FROM signals_category",
            &[],
        )
        .await?
        .iter()
        .map(category)
        .collect::<Result<Vec<_>, _>>()?;
    let responsible = client
        .query(
            "SELECT cd.category_id, d.id, d.code, d.name, d.is_intern, d.can_direct
             FROM signals_categorydepartment cd
             JOIN signals_department d ON d.id = cd.department_id
             WHERE cd.is_responsible",
            &[],
        )
        .await?
        .iter()
        .map(|row| Ok((row.try_get("category_id")?, department(row)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(CategoryTree::new(categories, responsible))
}

fn category(row: &Row) -> Result<Category, Error> {
    Ok(Category {
        id: row.try_get("id")?,
        parent_id: row.try_get("parent_id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        public_name: row.try_get("public_name")?,
        is_public_accessible: row.try_get("is_public_accessible")?,
        configuration: row.try_get("configuration")?,
        handling: row.try_get("handling")?,
        handling_message: row.try_get("handling_message")?,
        is_active: row.try_get("is_active")?,
        description: row.try_get("description")?,
        icon: row.try_get("icon")?,
    })
}

/// A department from a row with the columns `id`, `code`, `name`,
/// `is_intern` and `can_direct`.
pub(crate) fn department(row: &Row) -> Result<Department, Error> {
    Ok(Department {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        is_intern: row.try_get("is_intern")?,
        can_direct: row.try_get("can_direct")?,
    })
}

/// Every category with its note, current service level and all department
/// links (with both flags), as the back office sees them (04b §5), in two
/// queries whatever the size of the taxonomy.
pub async fn back_office_taxonomy(
    client: &impl GenericClient,
) -> Result<signalen_domain::category::BackOfficeTaxonomy, Error> {
    let categories = client
        .query(
            "SELECT c.id, c.parent_id, c.slug, c.name, c.public_name, c.is_public_accessible,
                    c.configuration, c.handling, c.handling_message, c.is_active, c.description,
                    c.icon, c.note, slo.n_days, slo.use_calendar_days
             FROM signals_category c
             LEFT JOIN signals_current_slo slo ON slo.category_id = c.id",
            &[],
        )
        .await?
        .iter()
        .map(|row| {
            let n_days: Option<i32> = row.try_get("n_days")?;
            let use_calendar_days: Option<bool> = row.try_get("use_calendar_days")?;
            let service_level = match (n_days, use_calendar_days) {
                (Some(n_days), Some(use_calendar_days)) => {
                    Some(signalen_domain::category::ServiceLevel {
                        // The column has CHECK (n_days >= 0).
                        n_days: u32::try_from(n_days).unwrap_or(0),
                        use_calendar_days,
                    })
                }
                _ => None,
            };
            Ok((category(row)?, row.try_get("note")?, service_level))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let links = client
        .query(
            "SELECT cd.id AS link_id, cd.category_id, cd.is_responsible, cd.can_view,
                    d.id, d.code, d.name, d.is_intern, d.can_direct
             FROM signals_categorydepartment cd
             JOIN signals_department d ON d.id = cd.department_id",
            &[],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(signalen_domain::category::DepartmentLink {
                id: row.try_get("link_id")?,
                category_id: row.try_get("category_id")?,
                department: department(row)?,
                is_responsible: row.try_get("is_responsible")?,
                can_view: row.try_get("can_view")?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(signalen_domain::category::BackOfficeTaxonomy::new(
        categories, links,
    ))
}
