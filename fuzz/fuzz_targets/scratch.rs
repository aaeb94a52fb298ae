//! A folder of this process's own for a target's inputs, in memory (`/dev/shm`)
//! when there is one, made once.

use std::path::PathBuf;
use std::sync::OnceLock;

/// `dropcause-fuzz-<target>-<pid>` under `/dev/shm` (else the temp folder).
pub fn dir(target: &str) -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("dropcause-fuzz-{target}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    })
}
