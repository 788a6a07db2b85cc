//! Sources know where bytes come from and nothing about secrets: each one hands content units (bytes +
//! an [`Origin`](crate::finding::Origin)) to the [`Scanner`](crate::scan::Scanner) and pushes what it
//! finds into the [`Collector`](crate::sink::Collector).

pub mod fs;
pub mod git;
pub mod image;
pub mod staged;
pub mod stdin;

/// Binary content is sniffed like git and ripgrep do: a NUL byte in the first 8 KiB.
pub fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(8192)]).is_some()
}
