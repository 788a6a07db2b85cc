//! Shannon entropy in bits per byte: the cheap test that separates a random key from a word.

pub(crate) fn shannon(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    #[test]
    fn entropy_orders_words_below_random() {
        assert_eq!(super::shannon(b"aaaaaaaa"), 0.0);
        assert!((super::shannon(b"abcdefgh") - 3.0).abs() < 1e-9);
        assert!(super::shannon(b"password") < super::shannon(b"q8Zr2LmX0vT4bN7c"));
    }
}
