//! Localities (địa bàn): provinces, districts and communes. Two schemes exist: the three levels in
//! force until 30/6/2025 (63 provinces, districts, communes) and the two levels since 1/7/2025
//! (34 provinces, 3,321 communes). Contests before that date use the old one. The data ships in
//! `data/localities/` (see its SOURCE.md) and is compiled into the binary.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::text;

/// Which administrative scheme a contest's localities follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Scheme {
    /// Provinces and communes since 1 July 2025.
    #[default]
    #[serde(rename = "2025")]
    Y2025,
    /// Provinces, districts and communes before 1 July 2025.
    #[serde(rename = "2020")]
    Y2020,
}

/// A province, district or commune.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Locality {
    pub code: String,
    pub name: String,
    /// `tinh`, `thanh_pho`, `huyen`, `quan`, `thi_xa`, `thanh_pho_thuoc_tinh`, `xa`, `phuong`,
    /// `thi_tran`, `dac_khu`.
    pub kind: String,
    pub parent: Option<String>,
    #[serde(skip)]
    folded: String,
}

impl Locality {
    pub fn is_province(&self) -> bool {
        self.parent.is_none()
    }
}

/// One scheme's localities, indexed by code.
pub struct Atlas {
    pub all: Vec<Locality>,
    by_code: HashMap<String, usize>,
}

impl Atlas {
    fn parse(csv: &str) -> Atlas {
        let all: Vec<Locality> = csv
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut f = line.trim_end_matches('\r').splitn(4, ',');
                let code = f.next()?.to_string();
                let name = f.next()?.to_string();
                let kind = f.next()?.to_string();
                let parent = f.next().filter(|p| !p.is_empty()).map(str::to_string);
                let folded = text::fold(&name);
                Some(Locality { code, name, kind, parent, folded })
            })
            .collect();
        let by_code = all.iter().enumerate().map(|(i, l)| (l.code.clone(), i)).collect();
        Atlas { all, by_code }
    }

    pub fn get(&self, code: &str) -> Option<&Locality> {
        self.by_code.get(code).map(|i| &self.all[*i])
    }

    /// The chain from the province down to `code`: "Phường X, Tỉnh Y".
    pub fn path(&self, code: &str) -> Vec<&Locality> {
        let mut out = Vec::new();
        let mut at = self.get(code);
        while let Some(l) = at {
            out.push(l);
            at = l.parent.as_deref().and_then(|p| self.get(p));
        }
        out
    }

    pub fn children<'a>(&'a self, parent: &'a str) -> impl Iterator<Item = &'a Locality> + 'a {
        self.all.iter().filter(move |l| l.parent.as_deref() == Some(parent))
    }

    /// Accent-insensitive search by name, optionally within a province.
    pub fn search(&self, query: &str, within: Option<&str>, limit: usize) -> Vec<&Locality> {
        let q = text::fold(query);
        self.all
            .iter()
            .filter(|l| l.folded.contains(&q))
            .filter(|l| within.is_none_or(|p| self.path(&l.code).iter().any(|a| a.code == p)))
            .take(limit)
            .collect()
    }
}

static ATLAS_2025: OnceLock<Atlas> = OnceLock::new();
static ATLAS_2020: OnceLock<Atlas> = OnceLock::new();
static CCCD_PROVINCES: OnceLock<HashMap<String, String>> = OnceLock::new();

pub fn atlas(scheme: Scheme) -> &'static Atlas {
    match scheme {
        Scheme::Y2025 => ATLAS_2025.get_or_init(|| Atlas::parse(include_str!("../../../data/localities/2025.csv"))),
        Scheme::Y2020 => ATLAS_2020.get_or_init(|| Atlas::parse(include_str!("../../../data/localities/2020.csv"))),
    }
}

pub fn find(scheme: Scheme, code: &str) -> Option<&'static Locality> {
    atlas(scheme).get(code)
}

fn cccd_provinces() -> &'static HashMap<String, String> {
    CCCD_PROVINCES.get_or_init(|| {
        include_str!("../../../data/localities/cccd_provinces.csv")
            .lines()
            .skip(1)
            .filter_map(|l| l.trim_end_matches('\r').split_once(','))
            .map(|(c, n)| (c.to_string(), n.to_string()))
            .collect()
    })
}

/// Whether three digits are a province code of the citizen ID (the 63 pre-2025 provinces).
pub fn is_cccd_province(code: &str) -> bool {
    cccd_provinces().contains_key(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2025_scheme_has_34_provinces_and_3321_communes() {
        let a = atlas(Scheme::Y2025);
        assert_eq!(a.all.iter().filter(|l| l.is_province()).count(), 34);
        assert_eq!(a.all.iter().filter(|l| !l.is_province()).count(), 3321);
    }

    #[test]
    fn the_old_scheme_has_63_provinces_and_districts() {
        let a = atlas(Scheme::Y2020);
        assert_eq!(a.all.iter().filter(|l| l.is_province()).count(), 63);
        assert!(a.all.iter().any(|l| l.kind == "huyen"));
        assert_eq!(cccd_provinces().len(), 63);
        assert!(is_cccd_province("001") && is_cccd_province("096") && !is_cccd_province("003"));
    }

    #[test]
    fn every_parent_exists_and_search_folds_marks() {
        for scheme in [Scheme::Y2025, Scheme::Y2020] {
            let a = atlas(scheme);
            for l in &a.all {
                if let Some(p) = &l.parent {
                    assert!(a.get(p).is_some(), "{} has no parent {p}", l.code);
                }
            }
        }
        let hits = atlas(Scheme::Y2025).search("quang ninh", None, 5);
        assert!(hits.iter().any(|l| l.name.contains("Quảng Ninh")), "{hits:?}");
    }
}
