//! The server's settings from one TOML file (`--config FILE`, tệp cấu hình), the environment and
//! the command line, in that rising order of precedence: command line > environment > file >
//! default.
//!
//! clap stays the one source of truth for every setting: its name, environment variable
//! (`CUOCTHI_` and the key, `[backup] dir` → `CUOCTHI_BACKUP_DIR`), default and parser. The file
//! only supplies values: each key the file sets and neither the command line nor the environment
//! did is appended to the arguments as its flag (`--backup-dir …`), and the whole line is parsed
//! again, so a value from the file is checked by the same parser as one typed by hand. A key the
//! file does not know is refused (`deny_unknown_fields`), naming the key, rather than silently
//! ignored: a misspelt `[backup] dri` must not leave a province without backups.
//! `deploy/cuocthi.toml.example` documents every key with its default.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use serde::{Deserialize, Serialize};

use crate::Cli;

/// The configuration file: every option of `cuocthi serve`, and the database and log settings
/// every command shares. Top-level keys first, then the tables.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_ancestors: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_proxies: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_starts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub without_second_factor: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseKeys>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<LogKeys>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupKeys>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<MetricsKeys>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseKeys {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogKeys {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BackupKeys {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep: Option<u16>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsKeys {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// One value of the file, as its flag takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Text(String),
    Flag(bool),
    /// A list, given as its flag's comma-separated value (nothing when empty).
    List(Vec<String>),
}

/// Whether a setting belongs to every command (the database, the logs) or to `serve` alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Global,
    Serve,
}

impl ConfigFile {
    /// Every key the file sets, as (clap argument id, scope, value). The id is the key with its
    /// table's name in front (`[backup] dir` → `backup_dir`), and its flag the id with dashes.
    fn settings(&self) -> Vec<(&'static str, Scope, Value)> {
        use Scope::*;
        let mut out = Vec::new();
        let mut text = |id: &'static str, scope: Scope, v: Option<String>| {
            if let Some(v) = v {
                out.push((id, scope, Value::Text(v)));
            }
        };
        text("listen", Serve, self.listen.clone());
        text("public_url", Serve, self.public_url.clone());
        text("frame_ancestors", Serve, self.frame_ancestors.clone());
        text("max_in_flight", Serve, self.max_in_flight.map(|n| n.to_string()));
        text("max_starts", Serve, self.max_starts.map(|n| n.to_string()));
        text("idle_timeout", Serve, self.idle_timeout.map(|n| n.to_string()));
        text("max_connections", Serve, self.max_connections.map(|n| n.to_string()));
        let db = self.database.as_ref();
        text("database_url", Global, db.and_then(|d| d.url.clone()));
        text("log_format", Global, self.log.as_ref().and_then(|l| l.format.clone()));
        let backup = self.backup.as_ref();
        text("backup_dir", Serve, backup.and_then(|b| b.dir.as_ref().map(|d| d.display().to_string())));
        text("backup_every", Serve, backup.and_then(|b| b.every.clone()));
        text("backup_keep", Serve, backup.and_then(|b| b.keep.map(|k| k.to_string())));
        let metrics = self.metrics.as_ref();
        text("metrics_listen", Serve, metrics.and_then(|m| m.listen.clone()));
        text("metrics_token", Serve, metrics.and_then(|m| m.token.clone()));
        if let Some(list) = &self.trusted_proxies {
            out.push(("trusted_proxies", Serve, Value::List(list.clone())));
        }
        for (id, v) in [("demo", self.demo), ("without_second_factor", self.without_second_factor)] {
            if let Some(v) = v {
                out.push((id, Serve, Value::Flag(v)));
            }
        }
        out
    }
}

/// Reads and checks a configuration file; an unknown key or a value of the wrong type is refused
/// with the file's name, the line and the key.
pub fn read(path: &Path) -> Result<ConfigFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("không đọc được tệp cấu hình {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("tệp cấu hình {} không hợp lệ: {e}", path.display()))
}

/// The arguments of the command that takes `serve`'s settings (`serve`, `config show`), if the
/// command line runs one.
fn serve_matches(matches: &ArgMatches) -> Option<&ArgMatches> {
    match matches.subcommand()? {
        ("serve", m) => Some(m),
        ("config", m) => match m.subcommand()? {
            ("show", m) => Some(m),
            _ => None,
        },
        _ => None,
    }
}

/// Parses the command line, with the configuration file's values where neither the command line
/// nor the environment set one. Exits with clap's message for a malformed command line.
pub fn parse(args: Vec<OsString>) -> Result<Cli> {
    let first = Cli::command().try_get_matches_from(&args).unwrap_or_else(|e| e.exit());
    let Some(path) = first.get_one::<PathBuf>("config").cloned() else {
        return Ok(Cli::from_arg_matches(&first)?);
    };
    let file = read(&path)?;
    let serve = serve_matches(&first);
    let mut args = args;
    for (id, scope, value) in file.settings() {
        let matches = match scope {
            Scope::Global => &first,
            Scope::Serve => match serve {
                Some(m) => m,
                None => continue,
            },
        };
        let set_already = matches!(
            matches.try_get_raw(id).ok().and_then(|_| matches.value_source(id)),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        );
        if set_already {
            continue;
        }
        let flag = format!("--{}", id.replace('_', "-"));
        match value {
            Value::Text(v) => args.push(format!("{flag}={v}").into()),
            Value::Flag(true) => args.push(flag.into()),
            Value::Flag(false) => {}
            Value::List(list) if list.is_empty() => {}
            Value::List(list) => args.push(format!("{flag}={}", list.join(",")).into()),
        }
    }
    let matches = Cli::command()
        .try_get_matches_from(&args)
        .map_err(|e| anyhow::anyhow!("tệp cấu hình {}: {}", path.display(), e.render().to_string().trim_end()))?;
    Ok(Cli::from_arg_matches(&matches)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../deploy/cuocthi.toml.example");

    /// The example with every `# key = value` line switched on.
    fn example_switched_on() -> String {
        EXAMPLE
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest.split_once(" = ").is_some_and(|(key, _)| {
                        !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    }) =>
                {
                    rest
                }
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn serve_command() -> clap::Command {
        Cli::command().find_subcommand("serve").cloned().expect("serve")
    }

    #[test]
    fn every_setting_is_a_key_of_the_example_and_an_environment_variable() {
        let file: ConfigFile = toml::from_str(&example_switched_on()).expect("the example, switched on, is valid");
        let ids: Vec<&str> = file.settings().iter().map(|(id, _, _)| *id).collect();
        let top = Cli::command();
        let serve = serve_command();
        let mut expected: Vec<String> = serve
            .get_arguments()
            .filter(|a| !a.is_global_set() && a.get_long().is_some())
            .map(|a| a.get_id().to_string())
            .chain(["database_url".to_string(), "log_format".to_string()])
            .collect();
        expected.retain(|id| !["help", "version", "config", "log_json"].contains(&id.as_str()));
        expected.sort();
        expected.dedup();
        let mut found: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        found.sort();
        assert_eq!(found, expected, "the example documents exactly serve's options");
        for id in &expected {
            let arg = serve
                .get_arguments()
                .chain(top.get_arguments())
                .find(|a| a.get_id().as_str() == id)
                .unwrap_or_else(|| panic!("{id} is an argument"));
            let env = arg.get_env().and_then(|e| e.to_str()).unwrap_or_else(|| panic!("{id} has no variable"));
            assert_eq!(env, format!("CUOCTHI_{}", id.to_uppercase()), "{id}");
        }
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_refused_by_name() {
        let e = toml::from_str::<ConfigFile>("[backup]\ndri = \"/srv\"\n").expect_err("unknown key");
        assert!(e.to_string().contains("dri"), "{e}");
        let e = toml::from_str::<ConfigFile>("listne = \"0.0.0.0:80\"\n").expect_err("unknown key");
        assert!(e.to_string().contains("listne"), "{e}");
        assert!(toml::from_str::<ConfigFile>("[backup]\nkeep = \"many\"\n").is_err());
        assert!(toml::from_str::<ConfigFile>("[metrics]\nlisten = \"127.0.0.1:9464\"\n").is_ok());
    }
}
