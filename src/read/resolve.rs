//! How a reader gets the documents a file refers to (an account file's policy paths): through a
//! [`Resolver`] that the caller supplies. The engine never opens a path named in untrusted text
//! on its own: a server confines reads to its policy tree, a test serves documents from memory,
//! and the command line reads files beside the account file.

use std::path::{Component, Path, PathBuf};

/// Where the documents a file refers to come from.
pub trait Resolver {
    /// The bytes of the document that `reference` (a path as written in the referring file)
    /// names, and the name to show for it in errors; or why it cannot be read (the reason
    /// alone, without the document's content).
    fn resolve(&self, reference: &str) -> Result<Resolved, String>;
}

/// A document a [`Resolver`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// How errors name it (a file path, say).
    pub origin: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Resolves nothing: every reference is refused. For text that must stand alone (a document
/// received over the network).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFiles;

impl Resolver for NoFiles {
    fn resolve(&self, reference: &str) -> Result<Resolved, String> {
        Err(format!(
            "cannot read `{}`: this reader resolves no file references; write the policy inline",
            crate::read::diagnostic::visible(reference)
        ))
    }
}

/// Files relative to a folder, read through the bounded reader (regular files only, at most
/// 1 MiB). With [`FileResolver::confined`], a reference must stay inside the folder: no
/// absolute path and no `..`.
#[derive(Debug, Clone)]
pub struct FileResolver {
    base: PathBuf,
    confined: bool,
}

impl FileResolver {
    /// Paths relative to `base` (the command line's choice: an account file's folder).
    pub fn new(base: impl Into<PathBuf>) -> FileResolver {
        FileResolver {
            base: base.into(),
            confined: false,
        }
    }

    /// Paths relative to `base` that must stay inside it (a server's policy tree).
    pub fn confined(base: impl Into<PathBuf>) -> FileResolver {
        FileResolver {
            base: base.into(),
            confined: true,
        }
    }
}

impl Resolver for FileResolver {
    fn resolve(&self, reference: &str) -> Result<Resolved, String> {
        let relative = Path::new(reference);
        if self.confined
            && relative
                .components()
                .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(format!(
                "cannot read `{}`: a policy path must stay inside `{}` (no absolute path, no `..`)",
                crate::read::diagnostic::visible(reference),
                self.base.display()
            ));
        }
        let full = self.base.join(relative);
        let origin = full.display().to_string();
        let bytes = crate::read::source::read_document(&full)
            .map_err(|reason| format!("cannot read `{}`: {reason}", crate::read::diagnostic::visible(&origin)))?;
        Ok(Resolved { origin, bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confined_paths_stay_inside() {
        let r = FileResolver::confined("policies");
        for bad in ["/etc/passwd", "../secret.json", "custom/../../x.json"] {
            assert!(r.resolve(bad).unwrap_err().contains("must stay inside"), "{bad}");
        }
        assert!(NoFiles.resolve("x.json").is_err());
    }
}
