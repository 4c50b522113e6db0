//! Reader for the IDX format used by MNIST and Fashion-MNIST (optionally gzip-compressed).
//!
//! Layout: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, then
//! each dimension as a big-endian u32, then the data. Every malformation is an error naming the
//! file and the problem; nothing here panics on bad input.

use std::io::Read;
use std::path::Path;

use super::ImageSet;
use crate::error::{Result, RobustError};

/// A decoded IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimensions, outermost first.
    pub dims: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<u8>,
}

fn bad(path: &Path, reason: impl Into<String>) -> RobustError {
    RobustError::Idx {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Parses IDX bytes (already decompressed); `path` only labels errors.
pub fn parse_idx(bytes: &[u8], path: &Path) -> Result<IdxArray> {
    if bytes.len() < 4 {
        return Err(bad(path, format!("only {} bytes, no header", bytes.len())));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(bad(
            path,
            format!(
                "bad magic {:02x}{:02x}{:02x}{:02x} (expected 0000 08 nn)",
                bytes[0], bytes[1], bytes[2], bytes[3]
            ),
        ));
    }
    if bytes[2] != 0x08 {
        return Err(bad(
            path,
            format!(
                "element type 0x{:02x} unsupported (only unsigned bytes, 0x08)",
                bytes[2]
            ),
        ));
    }
    let ndim = bytes[3] as usize;
    if ndim == 0 {
        return Err(bad(path, "zero dimensions"));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(bad(path, format!("truncated header: {ndim} dimensions")));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| bad(path, format!("dimensions {dims:?} overflow")))?;
    let body = &bytes[header..];
    if body.len() < count {
        return Err(bad(
            path,
            format!(
                "truncated: dimensions {dims:?} need {count} bytes, file has {}",
                body.len()
            ),
        ));
    }
    if body.len() > count {
        return Err(bad(
            path,
            format!(
                "{} trailing bytes after {count} data bytes",
                body.len() - count
            ),
        ));
    }
    Ok(IdxArray {
        dims,
        data: body.to_vec(),
    })
}

/// Reads an IDX file; files starting with the gzip magic are decompressed first.
pub fn read_idx_file(path: &Path) -> Result<IdxArray> {
    let io = |source| RobustError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw = std::fs::read(path).map_err(io)?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| bad(path, format!("gzip stream: {e}")))?;
        parse_idx(&out, path)
    } else {
        parse_idx(&raw, path)
    }
}

/// Reads an images file `[n, rows, cols]` and a labels file `[n]` into an [`ImageSet`] with
/// pixels scaled to [0, 1]; `limit` keeps the first images only.
pub fn load_idx_pair(images: &Path, labels: &Path, limit: Option<usize>) -> Result<ImageSet> {
    let im = read_idx_file(images)?;
    let lb = read_idx_file(labels)?;
    if im.dims.len() != 3 {
        return Err(bad(
            images,
            format!("images need 3 dimensions, found {:?}", im.dims),
        ));
    }
    if lb.dims.len() != 1 {
        return Err(bad(
            labels,
            format!("labels need 1 dimension, found {:?}", lb.dims),
        ));
    }
    if im.dims[0] != lb.dims[0] {
        return Err(bad(
            labels,
            format!(
                "{} labels but {} images in {}",
                lb.dims[0],
                im.dims[0],
                images.display()
            ),
        ));
    }
    let n = limit.map_or(im.dims[0], |l| l.min(im.dims[0]));
    let (rows, cols) = (im.dims[1], im.dims[2]);
    let pixels = im.data[..n * rows * cols]
        .iter()
        .map(|&b| b as f32 / 255.0)
        .collect();
    let labels: Vec<u32> = lb.data[..n].iter().map(|&b| b as u32).collect();
    let classes = labels.iter().max().map_or(0, |&m| m as usize + 1).max(10);
    ImageSet::new(pixels, labels, rows, cols, classes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn encode(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn parses_plain_and_gzip_and_pairs() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let img: Vec<u8> = (0..2 * 2 * 3).map(|i| (i * 20) as u8).collect();
        let ip = dir.join("img.idx");
        std::fs::write(&ip, encode(&[2, 2, 3], &img)).unwrap();
        let lp = dir.join("lab.idx.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&encode(&[2], &[3, 7])).unwrap();
        std::fs::write(&lp, gz.finish().unwrap()).unwrap();
        let set = load_idx_pair(&ip, &lp, None).unwrap();
        assert_eq!((set.len(), set.rows, set.cols), (2, 2, 3));
        assert_eq!(set.labels, vec![3, 7]);
        assert!((set.pixels[1] - 20.0 / 255.0).abs() < 1e-7);
        let one = load_idx_pair(&ip, &lp, Some(1)).unwrap();
        assert_eq!(one.len(), 1);
    }

    #[test]
    fn malformed_files_are_errors_not_panics() {
        let p = Path::new("x.idx");
        let msg = |b: &[u8]| parse_idx(b, p).unwrap_err().to_string();
        assert!(msg(&[1, 0, 8, 1]).contains("bad magic"));
        assert!(msg(&[0, 0]).contains("no header"));
        assert!(msg(&[0, 0, 0x0d, 1]).contains("unsupported"));
        assert!(msg(&[0, 0, 8, 2, 0, 0, 0, 1]).contains("truncated header"));
        assert!(msg(&encode(&[2, 3], &[0; 5])).contains("truncated"));
        assert!(msg(&encode(&[2], &[0; 3])).contains("trailing"));
        assert!(msg(&encode(&[u32::MAX, u32::MAX, u32::MAX], &[])).contains("overflow"));
        let e = read_idx_file(Path::new("/nonexistent/x.idx")).unwrap_err();
        assert!(e.to_string().contains("cannot read"));
    }

    #[test]
    fn dims_mismatch_between_images_and_labels_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let ip = dir.join("i");
        let lp = dir.join("l");
        std::fs::write(&ip, encode(&[2, 1, 1], &[0, 1])).unwrap();
        std::fs::write(&lp, encode(&[3], &[0, 1, 2])).unwrap();
        let e = load_idx_pair(&ip, &lp, None).unwrap_err().to_string();
        assert!(e.contains("3 labels but 2 images"), "{e}");
        std::fs::write(&lp, encode(&[2, 1], &[0, 1])).unwrap();
        let e = load_idx_pair(&ip, &lp, None).unwrap_err().to_string();
        assert!(e.contains("1 dimension"), "{e}");
    }
}
