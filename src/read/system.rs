//! Built-in system policies (SPEC §7): resolvable by name without a file. The texts live in
//! `policies/system/` and are compiled into the library.

use std::sync::OnceLock;

use crate::model::policy::{Policy, PolicyKind};

/// The name and text of every built-in system policy.
const SYSTEM_POLICIES: &[(&str, &str)] = &[
    (
        "AdministratorAccess",
        include_str!("../../policies/system/AdministratorAccess.json"),
    ),
    (
        "FullAliyunAccess",
        include_str!("../../policies/system/FullAliyunAccess.json"),
    ),
    (
        "AliyunPolardbFullAccess",
        include_str!("../../policies/system/AliyunPolardbFullAccess.json"),
    ),
    (
        "AliyunPolardbReadOnlyAccess",
        include_str!("../../policies/system/AliyunPolardbReadOnlyAccess.json"),
    ),
    (
        "AliyunPolardbReadOnlyWithSQLLogArchiveAccess",
        include_str!("../../policies/system/AliyunPolardbReadOnlyWithSQLLogArchiveAccess.json"),
    ),
];

/// The names of the built-in system policies.
pub fn names() -> impl Iterator<Item = &'static str> {
    SYSTEM_POLICIES.iter().map(|(name, _)| *name)
}

/// The text of a built-in system policy.
pub fn text(name: &str) -> Option<&'static str> {
    SYSTEM_POLICIES.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// A built-in system policy by its exact name, read once and shared.
pub fn get(name: &str) -> Option<Policy> {
    static PARSED: OnceLock<Vec<Policy>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        SYSTEM_POLICIES
            .iter()
            .filter_map(|(name, text)| {
                let origin = format!("<builtin>/{name}.json");
                // INVARIANT: the bundled texts are valid; `system_policies_parse` tests it.
                Policy::from_bytes(name, &origin, PolicyKind::Identity, text.as_bytes()).ok()
            })
            .collect()
    });
    parsed.iter().find(|p| p.name() == name).cloned()
}

/// The built-in name closest to `name`, for "did you mean" hints.
pub fn suggest(name: &str) -> Option<&'static str> {
    crate::read::suggest::suggest(name, names())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_policies_parse() {
        for name in names() {
            let policy = get(name).unwrap_or_else(|| panic!("{name} does not parse"));
            assert_eq!(policy.name(), name);
        }
        assert_eq!(suggest("AliyunPolarDBFullAccess"), Some("AliyunPolardbFullAccess"));
        assert!(get("NoSuchPolicy").is_none());
    }
}
