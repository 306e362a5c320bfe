//! `veriff-mock.toml`: where each webhook kind goes, like the per-kind webhook URL fields of a
//! Veriff integration.
//!
//! ```toml
//! # Every kind without its own URL goes to `default`.
//! default = "http://127.0.0.1:3000/webhooks/veriff"
//!
//! [urls]
//! decision = "http://127.0.0.1:3000/webhooks/veriff/decision"
//! event = "http://127.0.0.1:3000/webhooks/veriff/events"
//! watchlist = "http://127.0.0.1:3000/webhooks/veriff/watchlist"
//! ```
//!
//! Secrets do not belong in this file: pass them with `--secret`/`--api-key` or the
//! `VERIFF_SHARED_SECRET`/`VERIFF_API_KEY` environment variables.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;
use veriff_mock_contract::Kind;

/// The file's contents.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// URL for kinds that have none of their own.
    #[serde(default)]
    pub default: Option<String>,
    /// URL per kind name.
    #[serde(default)]
    pub urls: BTreeMap<String, String>,
}

/// Where each kind is delivered.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    default: Option<String>,
    by_kind: BTreeMap<Kind, String>,
}

impl Routes {
    /// Every kind to one URL.
    pub fn all_to(url: &str) -> anyhow::Result<Self> {
        check_url(url, "--to")?;
        Ok(Self {
            default: Some(url.to_owned()),
            by_kind: BTreeMap::new(),
        })
    }

    /// Reads and checks a config file.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read config {}: check the path", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            anyhow::anyhow!(
                "invalid config {}: it is not UTF-8 text; save it as UTF-8",
                path.display()
            )
        })?;
        Self::from_toml(&text).with_context(|| format!("invalid config {}", path.display()))
    }

    /// Parses and checks config text.
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        let config: Config = toml::from_str(text).map_err(|e| {
            // The line of the error, unless it spans the whole file (a top-level field).
            let line = e
                .span()
                .filter(|span| span.start > 0 || span.end < text.len())
                .and_then(|span| text.get(..span.start))
                .map(|before| before.matches('\n').count() + 1);
            match line {
                Some(line) => anyhow::anyhow!("line {line}: {}", e.message()),
                None => anyhow::anyhow!("{}", e.message()),
            }
        })?;
        let mut by_kind = BTreeMap::new();
        for (name, url) in &config.urls {
            let kind: Kind = name.parse()?;
            check_url(url, &format!("urls.{name}"))?;
            by_kind.insert(kind, url.clone());
        }
        if let Some(url) = &config.default {
            check_url(url, "default")?;
        }
        if config.default.is_none() && by_kind.is_empty() {
            anyhow::bail!(
                "no URLs: set `default = \"http://…\"` or a `[urls]` table with one URL per kind"
            );
        }
        Ok(Self {
            default: config.default,
            by_kind,
        })
    }

    /// The URL for a kind.
    pub fn url_for(&self, kind: Kind) -> anyhow::Result<&str> {
        self.by_kind.get(&kind).or(self.default.as_ref()).map(String::as_str).ok_or_else(|| {
            anyhow::anyhow!("no URL for kind {kind}: add `{kind} = \"http://…\"` under [urls], or a `default` URL")
        })
    }

    /// The routes as plain data (`default`, then kind name → URL), for storing with a run.
    pub fn to_parts(&self) -> (Option<String>, BTreeMap<String, String>) {
        (
            self.default.clone(),
            self.by_kind
                .iter()
                .map(|(k, u)| (k.name().to_owned(), u.clone()))
                .collect(),
        )
    }

    /// The inverse of [`Routes::to_parts`], checked again.
    pub fn from_parts(
        default: Option<String>,
        urls: &BTreeMap<String, String>,
    ) -> anyhow::Result<Self> {
        let mut by_kind = BTreeMap::new();
        for (name, url) in urls {
            check_url(url, &format!("urls.{name}"))?;
            by_kind.insert(name.parse()?, url.clone());
        }
        if let Some(url) = &default {
            check_url(url, "default")?;
        }
        Ok(Self { default, by_kind })
    }

    /// The routes as the engine's new targets for resumed deliveries.
    pub fn retarget(&self) -> anyhow::Result<veriff_mock_send::Retarget> {
        let parse =
            |u: &str| veriff_mock_send::parse_url(u).with_context(|| format!("invalid URL {u}"));
        let by_kind = self
            .by_kind
            .iter()
            .map(|(kind, url)| Ok((kind.name().to_owned(), parse(url)?)))
            .collect::<anyhow::Result<_>>()?;
        Ok(veriff_mock_send::Retarget {
            by_kind,
            default: self.default.as_deref().map(parse).transpose()?,
        })
    }

    /// Every distinct URL, for display.
    pub fn targets(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .by_kind
            .values()
            .cloned()
            .chain(self.default.clone())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

pub(crate) fn check_url(url: &str, what: &str) -> anyhow::Result<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| anyhow::anyhow!("{what}: {url:?} is not an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        anyhow::bail!("{what}: {url:?} has no host");
    }
    veriff_mock_send::parse_url(url)
        .map_err(|e| anyhow::anyhow!("{what}: {url:?} is not a valid URL: {}", e.reason))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_kind_with_a_default() {
        let routes = Routes::from_toml(
            "default = \"http://127.0.0.1:3000/all\"\n[urls]\ndecision = \"http://127.0.0.1:3000/d\"\nuser-status = \"https://example.test/u\"\n",
        )
        .unwrap();
        assert_eq!(
            routes.url_for(Kind::Decision).unwrap(),
            "http://127.0.0.1:3000/d"
        );
        assert_eq!(
            routes.url_for(Kind::UserStatus).unwrap(),
            "https://example.test/u"
        );
        assert_eq!(
            routes.url_for(Kind::Event).unwrap(),
            "http://127.0.0.1:3000/all"
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let cases = [
            ("[urls]\ndecisoin = \"http://x/\"", "decisoin"),
            ("[urls]\ndecision = \"ftp://x/\"", "not an http"),
            ("default = \"http://127.0.0.1:99999/\"", "port"),
            ("defualt = \"http://x/\"", "defualt"),
            ("[urls]\n", "no URLs"),
            ("default = ", "expected"),
            ("\n\ndefault = ", "line 3:"),
            ("default = \"http://x/\"\ndefualt = \"y\"", "line 2:"),
        ];
        for (text, expected) in cases {
            let err = format!("{:#}", Routes::from_toml(text).unwrap_err());
            assert!(err.contains(expected), "{text}: {err}");
        }
        let only = Routes::from_toml("[urls]\ndecision = \"http://x/\"").unwrap();
        assert!(
            only.url_for(Kind::Event)
                .unwrap_err()
                .to_string()
                .contains("no URL for kind event")
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("veriff-mock.toml");
        std::fs::write(&path, b"default = \"http://x/\xff\"\n").unwrap();
        let err = format!("{:#}", Routes::from_file(&path).unwrap_err());
        assert!(err.contains("not UTF-8"), "{err}");
    }
}
