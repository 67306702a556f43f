//! Where the vectors are, and which files in them are state tests.

use std::{
    env,
    path::{Path, PathBuf},
};

/// The environment variable that names an ethereum/tests checkout.
pub const VECTORS_ENV: &str = "ETHEREUM_TESTS";

/// Pinned upstream commit of ethereum/tests that `cargo xtask vectors` fetches.
pub const PINNED_COMMIT: &str = "4c87ebbf02";

/// A resolved vectors folder and how it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vectors {
    /// The folder whose `*.json` files are walked; case files are named relative to it.
    pub root: PathBuf,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    /// `vectors/ethereum-tests` inside the project.
    Fetched,
    /// `../shared/vectors/ethereum-tests` beside the project.
    Shared,
    /// None of the above exists: the project's own vectors in `vectors/`.
    Embedded,
}

/// Resolves the vectors folder: `flag`, else `$ETHEREUM_TESTS`, else `<project>/vectors/ethereum-tests`,
/// else `<project>/../shared/vectors/ethereum-tests`, else the project's own `vectors/`.
///
/// A flag or variable that names a missing folder is an error, not a silent fallback.
pub fn resolve(flag: Option<&Path>, project: &Path) -> Result<Vectors, String> {
    let explicit = flag
        .map(|p| (p.to_path_buf(), Origin::Flag))
        .or_else(|| env::var_os(VECTORS_ENV).filter(|v| !v.is_empty()).map(|v| (PathBuf::from(v), Origin::Env)));
    if let Some((dir, origin)) = explicit {
        let what = if origin == Origin::Flag { "--vectors".to_owned() } else { format!("${VECTORS_ENV}") };
        if !dir.exists() {
            return Err(format!("{what} names {}, which does not exist", dir.display()));
        }
        return Ok(Vectors { root: dir, origin });
    }
    let candidates = [
        (project.join("vectors/ethereum-tests"), Origin::Fetched),
        (project.join("../shared/vectors/ethereum-tests"), Origin::Shared),
    ];
    for (dir, origin) in candidates {
        if dir.is_dir() {
            return Ok(Vectors { root: dir, origin });
        }
    }
    Ok(Vectors { root: project.join("vectors"), origin: Origin::Embedded })
}

/// The folders of an ethereum/tests checkout that hold the tests this suite runs.
const TEST_FOLDERS: [&str; 2] = ["GeneralStateTests", "BlockchainTests"];

/// Every `*.json` file to load from `root`, sorted, each with the name its cases' ids begin with. An
/// ethereum/tests checkout (a folder with `GeneralStateTests/` or `BlockchainTests/`) is walked in
/// those two: state tests are named relative to `GeneralStateTests/` (`stExample/add11.json`),
/// blockchain tests relative to the checkout (`BlockchainTests/ValidBlocks/...`). Any other folder is
/// walked whole, names relative to it; a file is taken as it is. Which kind a file holds, its
/// content says (`ovm_fixture::load_vector_file`).
pub fn vector_files(root: &Path) -> Vec<(PathBuf, String)> {
    if root.is_file() {
        let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        return vec![(root.to_path_buf(), name)];
    }
    let is_checkout = TEST_FOLDERS.iter().any(|f| root.join(f).is_dir());
    if !is_checkout {
        return json_files(root, root);
    }
    let state = root.join("GeneralStateTests");
    let mut files = json_files(&state, &state);
    files.extend(json_files(&root.join("BlockchainTests"), root));
    files.sort_by(|a, b| a.1.cmp(&b.1));
    files
}

/// Every `*.json` file under `dir`, sorted, each with its `/`-separated name relative to `base`.
/// Inside the project's own `vectors/`, a fetched `ethereum-tests/` checkout is not walked twice.
fn json_files(dir: &Path, base: &Path) -> Vec<(PathBuf, String)> {
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut files: Vec<(PathBuf, String)> = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || e.file_name() != "ethereum-tests")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| {
            let rel = e.path().strip_prefix(base).unwrap_or(e.path());
            let name = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            (e.into_path(), name)
        })
        .collect();
    files.sort_by(|a, b| a.1.cmp(&b.1));
    files
}
