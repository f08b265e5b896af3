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
