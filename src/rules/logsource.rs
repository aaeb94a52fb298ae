//! A rule's `logsource` → the channels (and, for Sysmon-style categories, the
//! event ids) it applies to. The service table is RULE-FORMAT.md's plus SigmaHQ's
//! Windows services; categories map to Sysmon and PowerShell events the way
//! Sigma's Sysmon backend pipelines do.

use super::error::RuleError;

/// The events a logsource covers.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Scope {
    /// Channels the rule sees; empty means any channel.
    pub channels: Vec<&'static str>,
    /// Event ids the logsource implies (categories), if any.
    pub event_ids: Option<Vec<u16>>,
}

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const PS_OPERATIONAL: &str = "Microsoft-Windows-PowerShell/Operational";
const PS_CLASSIC: &str = "Windows PowerShell";

/// Windows `service:` names and their channels.
const SERVICES: &[(&str, &[&str])] = &[
    ("system", &["System"]),
    ("security", &["Security"]),
    ("application", &["Application"]),
    (
        "terminalservices-localsessionmanager",
        &["Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"],
    ),
    (
        "terminalservices-remoteconnectionmanager",
        &[
            "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
            "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Admin",
        ],
    ),
    (
        "remotedesktopservices-rdpcorets",
        &["Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational"],
    ),
    (
        "terminalservices-rdpclient",
        &["Microsoft-Windows-TerminalServices-RDPClient/Operational"],
    ),
    (
        "networkprofile",
        &["Microsoft-Windows-NetworkProfile/Operational"],
    ),
    (
        "wlan-autoconfig",
        &["Microsoft-Windows-WLAN-AutoConfig/Operational"],
    ),
    ("capi2", &["Microsoft-Windows-CAPI2/Operational"]),
    (
        "certificateservicesclient-lifecycle-system",
        &["Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"],
    ),
    (
        "terminalservices-gateway",
        &["Microsoft-Windows-TerminalServices-Gateway/Operational"],
    ),
    // SigmaHQ's Windows services.
    ("sysmon", &[SYSMON]),
    ("powershell", &[PS_OPERATIONAL]),
    ("powershell-classic", &[PS_CLASSIC]),
    (
        "taskscheduler",
        &["Microsoft-Windows-TaskScheduler/Operational"],
    ),
    ("wmi", &["Microsoft-Windows-WMI-Activity/Operational"]),
    ("dns-server", &["DNS Server"]),
    ("dns-server-audit", &["Microsoft-Windows-DNS-Server/Audit"]),
    (
        "dns-server-analytic",
        &["Microsoft-Windows-DNS-Server/Analytical"],
    ),
    (
        "driver-framework",
        &["Microsoft-Windows-DriverFrameworks-UserMode/Operational"],
    ),
    ("ntlm", &["Microsoft-Windows-NTLM/Operational"]),
    ("dhcp", &["Microsoft-Windows-DHCP-Server/Operational"]),
    ("msexchange-management", &["MSExchange Management"]),
    (
        "applocker",
        &[
            "Microsoft-Windows-AppLocker/MSI and Script",
            "Microsoft-Windows-AppLocker/EXE and DLL",
            "Microsoft-Windows-AppLocker/Packaged app-Deployment",
            "Microsoft-Windows-AppLocker/Packaged app-Execution",
        ],
    ),
    (
        "printservice-admin",
        &["Microsoft-Windows-PrintService/Admin"],
    ),
    (
        "printservice-operational",
        &["Microsoft-Windows-PrintService/Operational"],
    ),
    (
        "codeintegrity-operational",
        &["Microsoft-Windows-CodeIntegrity/Operational"],
    ),
    (
        "smbclient-security",
        &["Microsoft-Windows-SmbClient/Security"],
    ),
    (
        "smbclient-connectivity",
        &["Microsoft-Windows-SmbClient/Connectivity"],
    ),
    (
        "smbserver-connectivity",
        &["Microsoft-Windows-SMBServer/Connectivity"],
    ),
    (
        "firewall-as",
        &["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"],
    ),
    (
        "bits-client",
        &["Microsoft-Windows-Bits-Client/Operational"],
    ),
    (
        "windefend",
        &["Microsoft-Windows-Windows Defender/Operational"],
    ),
    (
        "microsoft-servicebus-client",
        &["Microsoft-ServiceBus-Client"],
    ),
    ("ldap", &["Microsoft-Windows-LDAP-Client/Debug"]),
    ("ldap_debug", &["Microsoft-Windows-LDAP-Client/Debug"]),
    (
        "security-mitigations",
        &[
            "Microsoft-Windows-Security-Mitigations/Kernel Mode",
            "Microsoft-Windows-Security-Mitigations/User Mode",
        ],
    ),
    (
        "diagnosis-scripted",
        &["Microsoft-Windows-Diagnosis-Scripted/Operational"],
    ),
    ("shell-core", &["Microsoft-Windows-Shell-Core/Operational"]),
    ("openssh", &["OpenSSH/Operational"]),
    (
        "bitlocker",
        &["Microsoft-Windows-BitLocker/BitLocker Management"],
    ),
    ("vhdmp", &["Microsoft-Windows-VHDMP/Operational"]),
    (
        "appxdeployment-server",
        &["Microsoft-Windows-AppXDeploymentServer/Operational"],
    ),
    (
        "appxpackaging-om",
        &["Microsoft-Windows-AppxPackaging/Operational"],
    ),
    (
        "appmodel-runtime",
        &["Microsoft-Windows-AppModel-Runtime/Admin"],
    ),
    ("lsa-server", &["Microsoft-Windows-LSA/Operational"]),
    (
        "dns-client",
        &["Microsoft-Windows-DNS Client Events/Operational"],
    ),
    (
        "iis-configuration",
        &["Microsoft-IIS-Configuration/Operational"],
    ),
    (
        "kernel-shimengine",
        &["Microsoft-Windows-Kernel-ShimEngine/Operational"],
    ),
    ("sense", &["Microsoft-Windows-SENSE/Operational"]),
    ("hyper-v-worker", &["Microsoft-Windows-Hyper-V-Worker"]),
];

/// Windows `category:` names: the channel and event ids they come from.
const CATEGORIES: &[(&str, &str, &[u16])] = &[
    ("process_creation", SYSMON, &[1]),
    ("file_change", SYSMON, &[2]),
    ("network_connection", SYSMON, &[3]),
    ("sysmon_status", SYSMON, &[4, 16]),
    ("process_termination", SYSMON, &[5]),
    ("driver_load", SYSMON, &[6]),
    ("image_load", SYSMON, &[7]),
    ("create_remote_thread", SYSMON, &[8]),
    ("raw_access_thread", SYSMON, &[9]),
    ("process_access", SYSMON, &[10]),
    ("file_event", SYSMON, &[11]),
    ("registry_add", SYSMON, &[12]),
    ("registry_delete", SYSMON, &[12]),
    ("registry_set", SYSMON, &[13]),
    ("registry_rename", SYSMON, &[14]),
    ("registry_event", SYSMON, &[12, 13, 14]),
    ("create_stream_hash", SYSMON, &[15]),
    ("pipe_created", SYSMON, &[17, 18]),
    ("wmi_event", SYSMON, &[19, 20, 21]),
    ("dns_query", SYSMON, &[22]),
    ("file_delete", SYSMON, &[23, 26]),
    ("clipboard_capture", SYSMON, &[24]),
    ("process_tampering", SYSMON, &[25]),
    ("file_delete_detected", SYSMON, &[26]),
    ("file_block_executable", SYSMON, &[27]),
    ("file_block_shredding", SYSMON, &[28]),
    ("file_executable_detected", SYSMON, &[29]),
    ("sysmon_error", SYSMON, &[255]),
    ("ps_module", PS_OPERATIONAL, &[4103]),
    ("ps_script", PS_OPERATIONAL, &[4104]),
    ("ps_classic_start", PS_CLASSIC, &[400]),
    ("ps_classic_provider_start", PS_CLASSIC, &[600]),
    ("ps_classic_script", PS_CLASSIC, &[800]),
];

/// Categories that exist in Sigma but have no Windows event log behind them.
const NO_EVENT_LOG: &[&str] = &[
    "file_access",
    "file_rename",
    "registry_rename_etw",
    "webserver",
    "antivirus",
];

/// Resolves a logsource's product, service and category.
pub(crate) fn resolve(
    product: Option<&str>,
    service: Option<&str>,
    category: Option<&str>,
) -> Result<Scope, RuleError> {
    let skip = |s: String| Err(RuleError::Unsupported(s));
    match product {
        None | Some("windows") => {}
        Some(p) => return skip(format!("logsource product `{p}` is not Windows")),
    }
    let mut scope = Scope::default();
    if let Some(s) = service {
        match SERVICES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
        {
            Some((_, channels)) => scope.channels = channels.to_vec(),
            None => return skip(format!("logsource service `{s}` maps to no known channel")),
        }
    }
    if let Some(c) = category {
        if NO_EVENT_LOG.contains(&c) {
            return skip(format!(
                "logsource category `{c}` comes from ETW/EDR telemetry, not an event log"
            ));
        }
        match CATEGORIES
            .iter()
            .find(|(name, _, _)| name.eq_ignore_ascii_case(c))
        {
            Some((_, channel, ids)) => {
                if !scope.channels.is_empty() && !scope.channels.contains(channel) {
                    return skip(format!(
                        "logsource category `{c}` does not occur in service `{}`",
                        service.unwrap_or("")
                    ));
                }
                scope.channels = vec![channel];
                scope.event_ids = Some(ids.to_vec());
            }
            None => {
                return skip(format!(
                    "logsource category `{c}` is not a known Windows category"
                ));
            }
        }
    }
    Ok(scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_and_categories_map_to_channels() {
        let s = resolve(Some("windows"), Some("system"), None).expect("known");
        assert_eq!(s.channels, ["System"]);
        assert_eq!(s.event_ids, None);
        let c = resolve(Some("windows"), None, Some("process_creation")).expect("known");
        assert_eq!(c.channels, [SYSMON]);
        assert_eq!(c.event_ids, Some(vec![1]));
        assert!(matches!(
            resolve(Some("linux"), None, None),
            Err(RuleError::Unsupported(_))
        ));
        assert!(matches!(
            resolve(None, None, Some("file_access")),
            Err(RuleError::Unsupported(_))
        ));
        assert_eq!(resolve(None, None, None), Ok(Scope::default()));
    }
}
