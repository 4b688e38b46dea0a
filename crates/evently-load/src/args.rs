//! `--key value` command-line options.

use std::collections::HashMap;
use std::str::FromStr;

/// The scenario and its options.
#[derive(Debug)]
pub struct Args {
    pub scenario: String,
    options: HashMap<String, String>,
}

impl Args {
    pub fn parse(mut raw: impl Iterator<Item = String>) -> anyhow::Result<Self> {
        let scenario = raw.next().ok_or_else(|| anyhow::anyhow!("usage: evently-load <scenario> [--key value]..."))?;
        let mut options = HashMap::new();
        while let Some(key) = raw.next() {
            let key = key.strip_prefix("--").ok_or_else(|| anyhow::anyhow!("expected --option, got {key}"))?;
            let value = raw.next().ok_or_else(|| anyhow::anyhow!("--{key} needs a value"))?;
            options.insert(key.to_owned(), value);
        }
        Ok(Self { scenario, options })
    }

    pub fn optional(&self, key: &str) -> Option<&str> {
        self.options.get(key).map(String::as_str)
    }

    pub fn text(&self, key: &str, default: &str) -> String {
        self.optional(key).unwrap_or(default).to_owned()
    }

    /// `--key true|false`, false when absent.
    pub fn flag(&self, key: &str) -> anyhow::Result<bool> {
        self.number(key, false)
    }

    pub fn number<T: FromStr>(&self, key: &str, default: T) -> anyhow::Result<T> {
        match self.optional(key) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|_| anyhow::anyhow!("--{key} must be a number, got {raw}")),
        }
    }
}
