//! Damage to a file's bytes, for robustness tests of the readers of user files.
//!
//! Every reader in optlab (MPS, price CSV, SFT JSON lines, config.json, safetensors) promises a
//! clear error or a valid result for any input, never a panic. The property tests of those
//! readers damage a valid file at random and check that promise; this module is the damage
//! they share, so each test only says which damages it draws and what a valid result means.
//! Indices wrap around the file's length or line count, so any drawn number is usable.

/// One change to a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// Overwrite the byte at this index with this value.
    Flip(usize, u8),
    /// Insert this byte before this index.
    Insert(usize, u8),
    /// Keep only the first `n` bytes.
    Truncate(usize),
    /// Remove this line.
    DeleteLine(usize),
    /// Repeat this line.
    DuplicateLine(usize),
    /// Replace this run of decimal digits (counted over the file) by this text.
    Number(usize, String),
}

impl Damage {
    /// Apply the damage to `bytes` in place.
    pub fn apply(&self, bytes: &mut Vec<u8>) {
        match self {
            Damage::Flip(i, b) => {
                if !bytes.is_empty() {
                    let at = i % bytes.len();
                    bytes[at] = *b;
                }
            }
            Damage::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), *b),
            Damage::Truncate(n) => bytes.truncate(n % (bytes.len() + 1)),
            Damage::DeleteLine(i) => edit_lines(bytes, |lines| {
                lines.remove(i % lines.len());
            }),
            Damage::DuplicateLine(i) => edit_lines(bytes, |lines| {
                let at = i % lines.len();
                let line = lines[at].clone();
                lines.insert(at, line);
            }),
            Damage::Number(i, text) => replace_digit_run(bytes, *i, text),
        }
    }
}

/// Apply `edit` to the lines of `bytes` (split at `\n`; there is always at least one line).
fn edit_lines(bytes: &mut Vec<u8>, edit: impl FnOnce(&mut Vec<Vec<u8>>)) {
    let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    edit(&mut lines);
    *bytes = lines.join(&b'\n');
}

/// Replace the `i`-th run of ASCII digits (modulo their count) by `text`; no digits, no change.
fn replace_digit_run(bytes: &mut Vec<u8>, i: usize, text: &str) {
    let starts: Vec<usize> = (0..bytes.len())
        .filter(|&k| bytes[k].is_ascii_digit() && (k == 0 || !bytes[k - 1].is_ascii_digit()))
        .collect();
    if starts.is_empty() {
        return;
    }
    let start = starts[i % starts.len()];
    let end = (start..bytes.len())
        .find(|&k| !bytes[k].is_ascii_digit())
        .unwrap_or(bytes.len());
    bytes.splice(start..end, text.bytes());
}

#[cfg(test)]
mod tests {
    use super::Damage;

    fn damaged(text: &str, d: Damage) -> String {
        let mut bytes = text.as_bytes().to_vec();
        d.apply(&mut bytes);
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn each_damage_does_what_it_says_and_indices_wrap() {
        assert_eq!(damaged("abc", Damage::Flip(4, b'X')), "aXc");
        assert_eq!(damaged("abc", Damage::Insert(3, b'!')), "abc!");
        assert_eq!(damaged("abc", Damage::Truncate(2)), "ab");
        assert_eq!(damaged("a\nb\nc", Damage::DeleteLine(4)), "a\nc");
        assert_eq!(damaged("a\nb", Damage::DuplicateLine(0)), "a\na\nb");
        assert_eq!(
            damaged("x 12 y 345", Damage::Number(1, "-7".into())),
            "x 12 y -7"
        );
        assert_eq!(damaged("", Damage::Flip(3, b'X')), "");
        assert_eq!(
            damaged("no digits", Damage::Number(0, "1".into())),
            "no digits"
        );
    }
}
