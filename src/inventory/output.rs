//! The inventory as a text table, JSON (`docs/inventory.schema.json`) or CSV (one row an identity).

use super::Inventory;
use crate::report::escape::terminal;

/// The formats `nhiscan inventory --format` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InventoryFormat {
    /// A table for people.
    Text,
    /// One document (docs/inventory.schema.json).
    Json,
    /// One row an identity.
    Csv,
}

/// Renders `inv` in `format`.
pub(crate) fn render(inv: &Inventory, format: InventoryFormat) -> String {
    match format {
        InventoryFormat::Text => text(inv),
        InventoryFormat::Json => {
            let mut s = serde_json::to_string_pretty(inv).expect("json");
            s.push('\n');
            s
        }
        InventoryFormat::Csv => csv(inv),
    }
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn text(inv: &Inventory) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<9} {:<22} {:<52} {:>5} {:>5} {:<12} {}\n",
        "SEVERITY", "TYPE", "IDENTITY", "CREDS", "REUSE", "ENV", "RISKS"
    ));
    for i in &inv.identities {
        out.push_str(&format!(
            "{:<9} {:<22} {:<52} {:>5} {:>5} {:<12} {}\n",
            i.severity.as_str(),
            cut(&i.kind, 22),
            terminal(&cut(&i.name, 52)),
            i.credentials.len(),
            i.reuse_count,
            cut(&i.environments.join(","), 12),
            i.risks
                .iter()
                .map(|r| r.trim_end_matches(":2025"))
                .collect::<Vec<_>>()
                .join(",")
        ));
        let mut detail = Vec::new();
        if let Some(p) = i.exposures.first() {
            let more = if i.exposures.len() > 1 {
                format!(" (+{} more)", i.exposures.len() - 1)
            } else {
                String::new()
            };
            detail.push(format!("at {}:{}{more}", terminal(&p.path), p.line));
        }
        if !i.owners.is_empty() {
            let o: Vec<String> = i
                .owners
                .iter()
                .map(|o| terminal(&o.who).into_owned())
                .collect();
            detail.push(format!("owners {}", o.join(", ")));
        }
        if let Some(r) = &i.remediation {
            detail.push(format!("fix: {}", terminal(&cut(r, 110))));
        }
        for d in detail {
            out.push_str(&format!("          {d}\n"));
        }
    }
    let s = &inv.summary;
    out.push_str(&format!(
        "\n{} identities from {} findings: {} long-lived, {} reused, {} across environments, {} exposed over a year\n",
        s.identities, s.findings, s.long_lived, s.reused, s.cross_environment, s.exposed_over_a_year
    ));
    out
}

/// RFC 4180 field quoting; a leading `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheets do
/// not run it as a formula.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv(inv: &Inventory) -> String {
    let mut out = String::from(
        "id,type,name,severity,risks,credentials,long_lived,exposure_days,reuse_count,repositories,environments,cross_environment,places,first_place,owners,permissions,remediation\r\n",
    );
    for i in &inv.identities {
        let row = [
            i.id.clone(),
            i.kind.clone(),
            i.name.clone(),
            i.severity.as_str().to_string(),
            i.risks.join(" "),
            i.credentials
                .iter()
                .map(|c| c.redacted.clone().unwrap_or_else(|| c.rule_id.clone()))
                .collect::<Vec<_>>()
                .join(" "),
            i.long_lived.to_string(),
            i.exposure_days.map(|d| d.to_string()).unwrap_or_default(),
            i.reuse_count.to_string(),
            i.repositories.join(" "),
            i.environments.join(" "),
            i.cross_environment.to_string(),
            i.exposures.len().to_string(),
            i.exposures
                .first()
                .map(|p| format!("{}:{}", p.path, p.line))
                .unwrap_or_default(),
            i.owners
                .iter()
                .map(|o| o.who.clone())
                .collect::<Vec<_>>()
                .join("; "),
            i.permissions.len().to_string(),
            i.remediation.clone().unwrap_or_default(),
        ];
        let row: Vec<String> = row.iter().map(|f| field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn csv_fields() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(field("=cmd()"), "'=cmd()");
        assert_eq!(field("plain"), "plain");
    }
}
