//! Departments (spec 01 §5.1, 04b §4).

use signalen_domain::department::Department;

use super::categories::department;
use super::{Error, GenericClient};

/// Every department (only those with `can_direct` equal to the filter, when
/// given) in name order, each with the names of the active categories it is
/// linked to, in one query.
#[tracing::instrument(skip_all)]
pub async fn departments_with_category_names(
    client: &impl GenericClient,
    can_direct: Option<bool>,
) -> Result<Vec<(Department, Vec<String>)>, Error> {
    client
        .query(
            "SELECT d.id, d.code, d.name, d.is_intern, d.can_direct,
                    ARRAY(SELECT c.name
                          FROM signals_categorydepartment cd
                          JOIN signals_category c ON c.id = cd.category_id
                          WHERE cd.department_id = d.id AND c.is_active
                          ORDER BY c.name, c.id) AS category_names
             FROM signals_department d
             WHERE $1::boolean IS NULL OR d.can_direct = $1
             ORDER BY d.name, d.id",
            &[&can_direct],
        )
        .await?
        .iter()
        .map(|row| Ok((department(row)?, row.try_get("category_names")?)))
        .collect()
}

/// The department with this id.
#[tracing::instrument(skip_all, fields(department_id = id))]
pub async fn department_by_id(
    client: &impl GenericClient,
    id: i32,
) -> Result<Option<Department>, Error> {
    client
        .query_opt(
            "SELECT id, code, name, is_intern, can_direct FROM signals_department WHERE id = $1",
            &[&id],
        )
        .await?
        .as_ref()
        .map(department)
        .transpose()
}
