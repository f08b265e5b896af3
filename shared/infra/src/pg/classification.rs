//! What the category classifier reads: labelled texts to train on and the
//! categories a prediction may name.

use super::{Error, GenericClient};

/// A signal's text with the category it ended up in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledText {
    pub text: String,
    pub main_slug: String,
    pub sub_slug: String,
}

/// Texts of handled signals (state `o`) with their current category, newest
/// first, at most `limit`. Only active categories, and not `overig/overig`
/// (the fallback says nothing about the text), as the reference's training
/// export does (spec/14 §14.4).
#[tracing::instrument(skip_all, fields(limit))]
pub async fn training_texts(
    client: &impl GenericClient,
    limit: i64,
) -> Result<Vec<LabelledText>, Error> {
    let rows = client
        .query(
            "SELECT s.text, main.slug AS main_slug, sub.slug AS sub_slug \
             FROM signals_signal s \
             JOIN signals_status st ON st.id = s.status_id \
             JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id \
             JOIN signals_category sub ON sub.id = ca.category_id \
             JOIN signals_category main ON main.id = sub.parent_id \
             WHERE st.state = 'o' AND sub.is_active AND main.is_active \
               AND NOT (main.slug = 'overig' AND sub.slug = 'overig') \
             ORDER BY s.created_at DESC, s.id DESC \
             LIMIT $1",
            &[&limit],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(LabelledText {
                text: row.try_get("text")?,
                main_slug: row.try_get("main_slug")?,
                sub_slug: row.try_get("sub_slug")?,
            })
        })
        .collect()
}

/// A category as prediction sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryState {
    /// `None` for a main category.
    pub parent_slug: Option<String>,
    pub slug: String,
    /// The category is active, and so is its parent.
    pub is_active: bool,
}

/// Every category with its parent's slug and whether it (and its parent) is active.
#[tracing::instrument(skip_all)]
pub async fn category_states(client: &impl GenericClient) -> Result<Vec<CategoryState>, Error> {
    let rows = client
        .query(
            "SELECT parent.slug AS parent_slug, c.slug, \
                    (c.is_active AND COALESCE(parent.is_active, true)) AS is_active \
             FROM signals_category c \
             LEFT JOIN signals_category parent ON parent.id = c.parent_id",
            &[],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(CategoryState {
                parent_slug: row.try_get("parent_slug")?,
                slug: row.try_get("slug")?,
                is_active: row.try_get("is_active")?,
            })
        })
        .collect()
}
