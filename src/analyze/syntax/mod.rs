//! Parsers: text in, positioned trees out, every one bounded (depth, nodes). Analyzers read
//! [`doc::Node`] trees (JSON, YAML, HCL expressions) or Dockerfile instructions, never a parser's
//! own types, and these modules know nothing about findings.

pub(crate) mod doc;
pub(crate) mod dockerfile;
pub(crate) mod hcl;
pub(crate) mod json;
pub(crate) mod yaml;
pub(crate) mod yaml_mend;
