//! The model file: compact, versioned, self-checking.
//!
//! ```text
//! "SGCM"                magic
//! u32 LE                format version (FORMAT_VERSION)
//! u32 LE                header length
//! header (JSON)         feature settings, labels, width, ModelInfo (config, metrics, fingerprint)
//! u32 LE × width        the hashed buckets that are the columns, increasing
//! f32 LE × width        their IDF
//! f32 LE × width·C      weights, row-major (a column's row of C classes is contiguous)
//! f32 LE × C            intercepts
//! [u8; 32]              sha256 of everything before it
//! ```
//!
//! Floats are raw little-endian: loading is a copy, not a parse. The
//! checksum turns a truncated or damaged object into an error instead of a
//! model that answers nonsense.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::features::FeatureSettings;
use crate::model::{Label, Model, ModelError, ModelInfo};
use crate::vectorizer::Vectorizer;

const MAGIC: &[u8; 4] = b"SGCM";
/// Bumped whenever the layout or the meaning of a field changes (including
/// text preprocessing and hashing, which the header cannot describe).
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("not a Signalen classifier model (bad magic bytes)")]
    Magic,
    #[error(
        "model format version {0} is not supported (this build reads version {FORMAT_VERSION})"
    )]
    Version(u32),
    #[error("the model file is truncated or has trailing bytes")]
    Length,
    #[error("the model file is damaged (checksum mismatch)")]
    Checksum,
    #[error("the model header is not valid")]
    Header(#[from] serde_json::Error),
    #[error("the model's hash space of 2^{0} buckets is not supported")]
    HashBits(u8),
    #[error(transparent)]
    Model(#[from] ModelError),
}

#[derive(Serialize, Deserialize)]
struct Header {
    settings: FeatureSettings,
    labels: Vec<Label>,
    width: usize,
    info: ModelInfo,
}

/// The model as bytes.
pub fn encode(model: &Model) -> Vec<u8> {
    let header = Header {
        settings: model.vectorizer.settings,
        labels: model.labels.clone(),
        width: model.vectorizer.width(),
        info: model.info.clone(),
    };
    // A Header of plain data always serialises.
    let header = serde_json::to_vec(&header).unwrap_or_default();
    let floats = model.vectorizer.idf.len() + model.weights.len() + model.intercept.len();
    let mut out =
        Vec::with_capacity(12 + header.len() + 4 * (model.vectorizer.width() + floats) + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    for bucket in &model.vectorizer.columns {
        out.extend_from_slice(&bucket.to_le_bytes());
    }
    for value in model
        .vectorizer
        .idf
        .iter()
        .chain(&model.weights)
        .chain(&model.intercept)
    {
        out.extend_from_slice(&value.to_le_bytes());
    }
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        if self.0.len() < n {
            return Err(FormatError::Length);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, FormatError> {
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(bytes))
    }

    fn words(&mut self, n: usize) -> Result<impl Iterator<Item = [u8; 4]> + 'a, FormatError> {
        let bytes = self.take(n.checked_mul(4).ok_or(FormatError::Length)?)?;
        Ok(bytes.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]))
    }

    fn floats(&mut self, n: usize) -> Result<Vec<f32>, FormatError> {
        Ok(self.words(n)?.map(f32::from_le_bytes).collect())
    }
}

/// Reads a model written by [`encode`], checking magic, version, lengths,
/// checksum and the consistency of its parts.
pub fn decode(bytes: &[u8]) -> Result<Model, FormatError> {
    if bytes.len() < 12 + 32 {
        return Err(if bytes.starts_with(MAGIC) || bytes.len() < 4 {
            FormatError::Length
        } else {
            FormatError::Magic
        });
    }
    let (body, digest) = bytes.split_at(bytes.len() - 32);
    let mut r = Reader(body);
    if r.take(4)? != MAGIC {
        return Err(FormatError::Magic);
    }
    let version = r.u32()?;
    if version != FORMAT_VERSION {
        return Err(FormatError::Version(version));
    }
    if Sha256::digest(body).as_slice() != digest {
        return Err(FormatError::Checksum);
    }
    let header_len = r.u32()? as usize;
    let header: Header = serde_json::from_slice(r.take(header_len)?)?;
    let bits = header.settings.hash_bits;
    if bits == 0 || bits > 32 {
        return Err(FormatError::HashBits(bits));
    }
    let width = header.width;
    let classes = header.labels.len();
    let columns = r.words(width)?.map(u32::from_le_bytes).collect();
    let idf = r.floats(width)?;
    let weights = r.floats(width.checked_mul(classes).ok_or(FormatError::Length)?)?;
    let intercept = r.floats(classes)?;
    if !r.0.is_empty() {
        return Err(FormatError::Length);
    }
    let vectorizer = Vectorizer {
        settings: header.settings,
        columns,
        idf,
    };
    Ok(Model::new(
        vectorizer,
        header.labels,
        weights,
        intercept,
        header.info,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::tiny;

    #[test]
    fn a_model_survives_the_round_trip() {
        let model = tiny();
        let bytes = encode(&model);
        let back = decode(&bytes).expect("decodes");
        assert_eq!(back.vectorizer, model.vectorizer);
        assert_eq!(back.labels, model.labels);
        assert_eq!(back.weights, model.weights);
        assert_eq!(back.intercept, model.intercept);
        assert_eq!(back.info, model.info);
        assert_eq!(back.predict("vol"), model.predict("vol"));
    }

    #[test]
    fn a_truncated_file_is_an_error() {
        let bytes = encode(&tiny());
        for cut in [0, 3, 11, 40, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_flipped_bit_fails_the_checksum() {
        let mut bytes = encode(&tiny());
        let last_weight = bytes.len() - 40;
        bytes[last_weight] ^= 0x01;
        assert!(matches!(decode(&bytes), Err(FormatError::Checksum)));
    }

    #[test]
    fn other_files_and_other_versions_are_refused() {
        assert!(matches!(decode(&[b'{'; 64]), Err(FormatError::Magic)));
        let mut bytes = encode(&tiny());
        bytes[4] = 9;
        assert!(matches!(decode(&bytes), Err(FormatError::Version(9))));
    }
}
