//! The logs of a Windows installation: `DIR/Windows/System32/winevt/Logs` of a
//! mounted or copied system drive (`--windows-root`), or the running system's
//! own (`--live`, on Windows only). Of the hundreds of logs there, only the
//! channels that can explain a Remote Desktop drop are picked.
//!
//! Path components are looked up ignoring case, as Windows does: a drive
//! mounted or copied on Linux may spell `system32` or `WINEVT`.

use std::path::{Path, PathBuf};

/// Where the logs are, below the system drive's root.
pub const LOGS_PATH: [&str; 4] = ["Windows", "System32", "winevt", "Logs"];

/// Channels read whole (compared ignoring case).
const CHANNELS: &[&str] = &["System", "Security", "Application"];

/// Channel name prefixes read (compared ignoring case): every channel of
/// these providers.
const CHANNEL_PREFIXES: &[&str] = &[
    "Microsoft-Windows-TerminalServices-",
    "Microsoft-Windows-RemoteDesktopServices-",
    "Microsoft-Windows-NetworkProfile/",
    "Microsoft-Windows-WLAN-AutoConfig/",
    "Microsoft-Windows-Kernel-Power/",
    "Microsoft-Windows-Kernel-Boot/",
    "Microsoft-Windows-CAPI2/",
    "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/",
    "Microsoft-Windows-Winlogon/",
    "Microsoft-Windows-User Profile Service/",
    "Microsoft-Windows-NCSI/",
    "Microsoft-Windows-Dhcp-Client/",
];

/// Why the logs of a Windows installation could not be found.
#[derive(Debug, thiserror::Error)]
pub enum WindowsLogsError {
    /// A folder on the way to the logs is missing.
    #[error("{root}: no {missing} folder (looked for Windows/System32/winevt/Logs, ignoring case)", root = .root.display(), missing = .missing)]
    NoLogsFolder {
        /// The folder searched.
        root: PathBuf,
        /// The component not found in it.
        missing: String,
    },
    /// A folder could not be listed.
    #[error("{path}: {source}", path = .path.display())]
    Unreadable {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `--live` was asked for on a system that is not Windows.
    #[error(
        "--live reads the running Windows' own logs and works on Windows only; here, give the \
         copied logs as paths, or a mounted system drive with --windows-root"
    )]
    NotWindows,
}

/// `root/Windows/System32/winevt/Logs`, each component looked up ignoring case.
pub fn logs_folder(root: &Path) -> Result<PathBuf, WindowsLogsError> {
    let mut dir = root.to_path_buf();
    for component in LOGS_PATH {
        dir = child_ignoring_case(&dir, component)?.ok_or_else(|| {
            WindowsLogsError::NoLogsFolder {
                root: dir.clone(),
                missing: component.to_string(),
            }
        })?;
    }
    Ok(dir)
}

/// The entry of `dir` named `name`: the exact spelling first, else the first
/// (by name) that matches ignoring ASCII case.
fn child_ignoring_case(dir: &Path, name: &str) -> Result<Option<PathBuf>, WindowsLogsError> {
    let exact = dir.join(name);
    if exact.is_dir() {
        return Ok(Some(exact));
    }
    let unreadable = |source| WindowsLogsError::Unreadable {
        path: dir.to_path_buf(),
        source,
    };
    let mut found: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        if entry
            .file_name()
            .to_string_lossy()
            .eq_ignore_ascii_case(name)
            && entry.path().is_dir()
        {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found.into_iter().next())
}

/// The channel a log file in `winevt\Logs` holds: its name without `.evtx`,
/// with `%4` turned back into `/`.
pub fn channel_of(file_name: &str) -> Option<String> {
    let stem = file_name
        .len()
        .checked_sub(5)
        .filter(|&i| file_name.is_char_boundary(i) && file_name[i..].eq_ignore_ascii_case(".evtx"))
        .map(|i| &file_name[..i])?;
    Some(stem.replace("%4", "/"))
}

/// True when the channel can help explain a Remote Desktop drop.
pub fn is_relevant(channel: &str) -> bool {
    let lower = channel.to_ascii_lowercase();
    CHANNELS.iter().any(|c| lower == c.to_ascii_lowercase())
        || CHANNEL_PREFIXES
            .iter()
            .any(|p| lower.starts_with(&p.to_ascii_lowercase()))
}

/// The relevant logs in a `winevt\Logs` folder, sorted by name.
pub fn relevant_logs(logs: &Path) -> Result<Vec<PathBuf>, WindowsLogsError> {
    let unreadable = |source| WindowsLogsError::Unreadable {
        path: logs.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(logs).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if channel_of(&name).is_some_and(|c| is_relevant(&c)) && entry.path().is_file() {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// The relevant logs of the Windows installation whose system drive is at `root`.
pub fn logs_under_root(root: &Path) -> Result<Vec<PathBuf>, WindowsLogsError> {
    relevant_logs(&logs_folder(root)?)
}

/// The relevant logs of the running Windows (`%SystemRoot%\System32\winevt\Logs`).
/// The event log service keeps them open; they are opened shared for reading,
/// writing and deletion ([`super::open_shared`]).
#[cfg(windows)]
pub fn live_logs() -> Result<Vec<PathBuf>, WindowsLogsError> {
    let system_root = std::env::var_os("SystemRoot")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(r"C:\Windows"));
    relevant_logs(&system_root.join("System32").join("winevt").join("Logs"))
}

/// The relevant logs of the running Windows: an error elsewhere.
#[cfg(not(windows))]
pub fn live_logs() -> Result<Vec<PathBuf>, WindowsLogsError> {
    Err(WindowsLogsError::NotWindows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_come_from_file_names() {
        assert_eq!(
            channel_of("Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx")
                .as_deref(),
            Some("Microsoft-Windows-TerminalServices-LocalSessionManager/Operational")
        );
        assert_eq!(channel_of("System.EVTX").as_deref(), Some("System"));
        assert_eq!(channel_of("notes.txt"), None);
        assert_eq!(channel_of("é.evtx").as_deref(), Some("é"));
        assert!(is_relevant("system"));
        assert!(is_relevant(
            "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational"
        ));
        assert!(is_relevant(
            "Microsoft-Windows-TerminalServices-RDPClient/Operational"
        ));
        assert!(is_relevant("Microsoft-Windows-WLAN-AutoConfig/Operational"));
        assert!(!is_relevant("Microsoft-Windows-Store/Operational"));
        assert!(!is_relevant("Systemd"));
    }

    #[test]
    fn the_logs_folder_is_found_ignoring_case_and_only_relevant_logs_are_picked() {
        let root = tempfile::tempdir().unwrap();
        let logs = root.path().join("WINDOWS/system32/WinEvt/LOGS");
        std::fs::create_dir_all(&logs).unwrap();
        for name in [
            "System.evtx",
            "Security.evtx",
            "Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx",
            "Microsoft-Windows-Store%4Operational.evtx",
            "readme.txt",
        ] {
            std::fs::write(logs.join(name), b"ElfFile\0").unwrap();
        }
        let found = logs_under_root(root.path()).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx",
                "Security.evtx",
                "System.evtx"
            ]
        );
        assert!(found[0].starts_with(&logs));
        let empty = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(empty.path().join("Windows/System32")).unwrap();
        let err = logs_under_root(empty.path()).unwrap_err().to_string();
        assert!(err.contains("no winevt folder"), "{err}");
    }

    #[cfg(not(windows))]
    #[test]
    fn live_is_a_clear_error_off_windows() {
        let err = live_logs().unwrap_err().to_string();
        assert!(err.contains("works on Windows only"), "{err}");
    }
}
