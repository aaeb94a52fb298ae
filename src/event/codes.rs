//! Reason and status codes found in RDP-related events, one table per code
//! family, and their decoding.
//!
//! Families: the server's disconnect reason (LSM 40 `Reason`, the ERRINFO
//! values), the client's `discReason` (RDPClient 1026, the mstsc "Error code"),
//! the extended disconnect reason (mstsc "Extended error code"), licensing
//! protocol errors, Schannel TLS alerts (36887/36888 `AlertDesc`), status codes
//! (HRESULT, SSPI, CryptoAPI and Win32 errors), Schannel internal states, and
//! the NTSTATUS values of failed logons (4625 `Status`/`SubStatus`). Values not
//! in a table are decoded by their HRESULT/NTSTATUS structure and shown in hex.

use crate::vocab::{Category, DecodedCode};
pub use crate::vocab::{NotACode, hex};
use serde::Serialize;
use std::fmt;

/// One known code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// The value.
    pub code: i64,
    /// Its symbolic name.
    pub name: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// The failure family it points to, when it points to one.
    pub category: Option<Category>,
    /// A related code: for TLS alerts, the SSPI error Schannel reports with it.
    pub related: Option<i64>,
}

/// Which table a code is read against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// The server's disconnect reason: LSM 40 `Reason` (ERRINFO values).
    ServerReason,
    /// The client's disconnect reason: RDPClient 1026, mstsc "Error code".
    ClientReason,
    /// The extended disconnect reason: mstsc "Extended error code".
    ExtendedReason,
    /// Licensing protocol errors (LICENSE_ERROR_MESSAGE).
    Licensing,
    /// Schannel TLS alert codes (36887/36888 `AlertDesc`).
    SchannelAlert,
    /// HRESULT, SSPI, CryptoAPI and Win32 status codes.
    Status,
    /// Schannel internal error states (36870/36871).
    SchannelState,
    /// NTSTATUS codes of failed logons (4625 `Status`, `SubStatus`).
    LogonStatus,
    /// The status a driver logged in its event's data (TermDD 56).
    DriverStatus,
}

impl Family {
    /// Every family, in the order `explain` tries them.
    pub const ALL: [Family; 9] = [
        Family::ClientReason,
        Family::ExtendedReason,
        Family::ServerReason,
        Family::Status,
        Family::LogonStatus,
        Family::DriverStatus,
        Family::SchannelAlert,
        Family::SchannelState,
        Family::Licensing,
    ];

    /// The family's name as the CLI accepts it.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::ServerReason => "server-reason",
            Family::ClientReason => "client-reason",
            Family::ExtendedReason => "extended-reason",
            Family::Licensing => "licensing",
            Family::SchannelAlert => "schannel-alert",
            Family::Status => "status",
            Family::SchannelState => "schannel-state",
            Family::LogonStatus => "logon-status",
            Family::DriverStatus => "driver-status",
        }
    }

    /// What the family is, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Family::ServerReason => "server disconnect reason (LSM 40 Reason)",
            Family::ClientReason => "client disconnect reason (RDP client error code, event 1026)",
            Family::ExtendedReason => "extended disconnect reason (RDP client extended error code)",
            Family::Licensing => "licensing protocol error",
            Family::SchannelAlert => "TLS alert (Schannel 36887/36888 AlertDesc)",
            Family::Status => "status code (HRESULT, SSPI, CryptoAPI or Win32)",
            Family::SchannelState => "Schannel internal error state (36870/36871)",
            Family::LogonStatus => "logon failure status (4625 Status/SubStatus)",
            Family::DriverStatus => "status in an RDP driver's event data (TermDD 56)",
        }
    }

    /// The family's table.
    pub fn table(self) -> &'static [Code] {
        match self {
            Family::ServerReason => SERVER_REASONS,
            Family::ClientReason => CLIENT_REASONS,
            Family::ExtendedReason => EXTENDED_REASONS,
            Family::Licensing => LICENSING,
            Family::SchannelAlert => SCHANNEL_ALERTS,
            Family::Status => STATUS,
            Family::SchannelState => SCHANNEL_STATES,
            Family::LogonStatus => LOGON_STATUS,
            Family::DriverStatus => DRIVER_STATUS,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Family {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Family::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Family::ALL.iter().map(|f| f.as_str()).collect();
                format!("unknown code family `{s}` (one of: {})", names.join(", "))
            })
    }
}

use Category::{
    Authentication as Auth, Certificate as Cert, Configuration as Config, Licensing as Lic,
    Network as Net, Power, Resource as Res, Service as Svc,
};

const fn c(code: i64, name: &'static str, meaning: &'static str, cat: Option<Category>) -> Code {
    Code {
        code,
        name,
        meaning,
        category: cat,
        related: None,
    }
}

const fn a(
    code: i64,
    name: &'static str,
    meaning: &'static str,
    sspi: i64,
    cat: Option<Category>,
) -> Code {
    Code {
        code,
        name,
        meaning,
        category: cat,
        related: Some(sspi),
    }
}

/// LSM 40 `Reason`: the server's ERRINFO / extended disconnect reason values.
#[rustfmt::skip]
pub const SERVER_REASONS: &[Code] = &[
    c(0, "NO_INFO", "No reason given: the user closed the client window, or the network connection was lost", Some(Net)),
    c(1, "RPC_INITIATED_DISCONNECT", "Disconnected by an administrative tool from another session", None),
    c(2, "RPC_INITIATED_LOGOFF", "Logged off by an administrative tool from another session", None),
    c(3, "IDLE_TIMEOUT", "The idle session time limit elapsed", Some(Res)),
    c(4, "LOGON_TIMEOUT", "The active session time limit elapsed", Some(Res)),
    c(5, "DISCONNECTED_BY_OTHER_CONNECTION", "Replaced by another connection to the same session (a reconnect)", None),
    c(6, "OUT_OF_MEMORY", "The server ran out of memory", Some(Res)),
    c(7, "SERVER_DENIED_CONNECTION", "The server denied the connection", Some(Config)),
    c(8, "SERVER_DENIED_CONNECTION_FIPS", "The server denied the connection for security reasons (FIPS)", Some(Config)),
    c(9, "SERVER_INSUFFICIENT_PRIVILEGES", "The user lacks the privilege to log on remotely", Some(Auth)),
    c(10, "SERVER_FRESH_CREDENTIALS_REQUIRED", "Saved credentials were not accepted; fresh credentials are required", Some(Auth)),
    c(11, "RPC_INITIATED_DISCONNECT_BY_USER", "The user disconnected (Start > Disconnect, tsdiscon)", None),
    c(12, "LOGOFF_BY_USER", "The user logged off", None),
    c(15, "CLOSE_STACK_ON_DRIVER_NOT_READY", "The display driver was not ready in time", Some(Svc)),
    c(16, "SERVER_DWM_CRASH", "The Desktop Window Manager of the session crashed", Some(Svc)),
    c(17, "CLOSE_STACK_ON_DRIVER_FAILURE", "The display driver failed to start", Some(Svc)),
    c(18, "CLOSE_STACK_ON_DRIVER_IFACE_FAILURE", "The display driver interface failed", Some(Svc)),
    c(23, "SERVER_WINLOGON_CRASH", "Winlogon of the session crashed", Some(Svc)),
    c(24, "SERVER_CSRSS_CRASH", "CSRSS of the session crashed", Some(Svc)),
    c(25, "SERVER_SHUTDOWN", "The server is shutting down", Some(Power)),
    c(26, "SERVER_REBOOT", "The server is rebooting", Some(Power)),
    c(256, "LICENSE_INTERNAL", "Internal licensing error", Some(Lic)),
    c(257, "LICENSE_NO_LICENSE_SERVER", "No Remote Desktop license server was available", Some(Lic)),
    c(258, "LICENSE_NO_LICENSE", "No valid client access license was available", Some(Lic)),
    c(259, "LICENSE_BAD_CLIENT_MSG", "The client sent an invalid licensing message", Some(Lic)),
    c(260, "LICENSE_HWID_DOESNT_MATCH_LICENSE", "The client's hardware id does not match its license", Some(Lic)),
    c(261, "LICENSE_BAD_CLIENT_LICENSE", "The client's license is invalid", Some(Lic)),
    c(262, "LICENSE_CANT_FINISH_PROTOCOL", "A network problem interrupted the licensing protocol", Some(Lic)),
    c(263, "LICENSE_CLIENT_ENDED_PROTOCOL", "The client ended the licensing protocol early", Some(Lic)),
    c(264, "LICENSE_BAD_CLIENT_ENCRYPTION", "A licensing message was encrypted incorrectly", Some(Lic)),
    c(265, "LICENSE_CANT_UPGRADE_LICENSE", "The client access license could not be upgraded or renewed", Some(Lic)),
    c(266, "LICENSE_NO_REMOTE_CONNECTIONS", "The server is not licensed to accept remote connections", Some(Lic)),
    c(267, "LICENSE_CREATING_LIC_STORE_ACCESS_DENIED", "Access denied while creating the client's license store", Some(Lic)),
];

/// RDPClient 1026 `Value` / mstsc "Error code": the client's `discReason`.
#[rustfmt::skip]
pub const CLIENT_REASONS: &[Code] = &[
    c(0, "NoInfo", "No information", None),
    c(1, "LocalNotError", "The user closed the client (local disconnect); not an error", None),
    c(2, "RemoteByUser", "Disconnected remotely by the user; not an error", None),
    c(3, "ByServer", "Disconnected by the server; see the extended reason", None),
    c(260, "DNSLookupFailed", "The server's name could not be resolved", Some(Net)),
    c(262, "OutOfMemory", "The client ran out of memory", Some(Res)),
    c(264, "ConnectionTimedOut", "The connection timed out", Some(Net)),
    c(516, "SocketConnectFailed", "Could not connect: server off, Remote Desktop disabled, or a firewall in the way", Some(Net)),
    c(518, "OutOfMemory2", "The client ran out of memory", Some(Res)),
    c(520, "HostNotFound", "The server was not found", Some(Net)),
    c(772, "WinsockSendFailed", "Sending failed: the connection was lost to a network error", Some(Net)),
    c(774, "OutOfMemory3", "The client ran out of memory", Some(Res)),
    c(776, "InvalidIPAddr", "The IP address is not valid", Some(Config)),
    c(1028, "SocketRecvFailed", "Receiving failed: the connection was lost", Some(Net)),
    c(1030, "InvalidSecurityData", "The server's security data was invalid", Some(Cert)),
    c(1032, "InternalError", "Internal client error", None),
    c(1286, "InvalidEncryption", "Invalid encryption method", Some(Cert)),
    c(1288, "DNSLookupFailed2", "The server's name could not be resolved", Some(Net)),
    c(1540, "GetHostByNameFailed", "The server's name could not be resolved", Some(Net)),
    c(1542, "InvalidServerSecurityInfo", "The server's security information was invalid", Some(Cert)),
    c(1544, "TimerError", "Internal timer error", None),
    c(1796, "TimeoutOccurred", "A time-out occurred", Some(Net)),
    c(1798, "ServerCertificateUnpackErr", "The server's certificate could not be unpacked", Some(Cert)),
    c(2052, "InvalidIP", "The IP address is not valid", Some(Config)),
    c(2055, "SSL_ERR_LOGON_FAILURE", "Logon failed", Some(Auth)),
    c(2056, "LicensingFailed", "Licensing negotiation failed", Some(Lic)),
    c(2308, "AtClientWinsockFDCLOSE", "Socket closed: the server or the network closed the connection (\"connection lost, possibly due to network connectivity problems\")", Some(Net)),
    c(2310, "InternalSecurityError", "Internal security error", Some(Cert)),
    c(2311, "ServerCertificateUnexpected", "An unexpected server authentication certificate was received", Some(Cert)),
    c(2312, "LicensingTimeout", "Licensing timed out", Some(Lic)),
    c(2566, "InternalSecurityError2", "Internal security error", Some(Cert)),
    c(2567, "SSL_ERR_NO_SUCH_USER", "The user has no account", Some(Auth)),
    c(2822, "EncryptionError", "Encryption error", Some(Cert)),
    c(2823, "SSL_ERR_ACCOUNT_DISABLED", "The account is disabled", Some(Auth)),
    c(2825, "SSL_ERR_NLA_REQUIRED", "The server requires Network Level Authentication, which the client does not support", Some(Auth)),
    c(3078, "DecryptionError", "Decryption error", Some(Cert)),
    c(3079, "SSL_ERR_ACCOUNT_RESTRICTION", "An account restriction prevents logon", Some(Auth)),
    c(3080, "ClientDecompressionError", "The client failed to decompress data", Some(Net)),
    c(3335, "SSL_ERR_ACCOUNT_LOCKED_OUT", "The account is locked out", Some(Auth)),
    c(3591, "SSL_ERR_ACCOUNT_EXPIRED", "The account has expired", Some(Auth)),
    c(3592, "ReconnectFailed", "Failed to reconnect to the remote session", Some(Net)),
    c(3847, "SSL_ERR_PASSWORD_EXPIRED", "The password has expired", Some(Auth)),
    c(4615, "SSL_ERR_PASSWORD_MUST_CHANGE", "The password must be changed before logging on", Some(Auth)),
    c(5639, "SSL_ERR_DELEGATION_POLICY", "Credential delegation policy does not allow the server", Some(Auth)),
    c(5895, "SSL_ERR_POLICY_NTLM_ONLY", "Policy allows only NTLM, which the server does not accept", Some(Auth)),
    c(6151, "SSL_ERR_NO_AUTHENTICATING_AUTHORITY", "No authority (domain controller) could be contacted for authentication", Some(Auth)),
    c(6919, "SSL_ERR_CERT_EXPIRED", "The received certificate is expired or invalid", Some(Cert)),
    c(7175, "SSL_ERR_SMARTCARD_WRONG_PIN", "Wrong smart card PIN", Some(Auth)),
    c(7431, "SSL_ERR_TIME_SKEW", "The client's and server's clocks differ too much", Some(Auth)),
    c(8455, "SSL_ERR_FRESH_CRED_REQUIRED_BY_SERVER", "The server requires fresh credentials", Some(Auth)),
    c(8711, "SSL_ERR_SMARTCARD_CARD_BLOCKED", "The smart card is blocked", Some(Auth)),
    c(50331649, "GatewayErrorBase", "RD Gateway error (0x03000001 and up)", Some(Net)),
    c(50331655, "GatewayCertificateInvalid", "The RD Gateway's certificate is expired or revoked", Some(Cert)),
];

/// The extended disconnect reason (`ExtendedDisconnectReasonCode`).
#[rustfmt::skip]
pub const EXTENDED_REASONS: &[Code] = &[
    c(0, "exDiscReasonNoInfo", "No additional information", None),
    c(1, "exDiscReasonAPIInitiatedDisconnect", "An application (administrative tool) disconnected the session", None),
    c(2, "exDiscReasonAPIInitiatedLogoff", "An application (administrative tool) logged the session off", None),
    c(3, "exDiscReasonServerIdleTimeout", "The idle session time limit elapsed", Some(Res)),
    c(4, "exDiscReasonServerLogonTimeout", "The session time limit elapsed", Some(Res)),
    c(5, "exDiscReasonReplacedByOtherConnection", "Replaced by another connection to the same session", None),
    c(6, "exDiscReasonOutOfMemory", "The server ran out of memory", Some(Res)),
    c(7, "exDiscReasonServerDeniedConnection", "The server denied the connection", Some(Config)),
    c(8, "exDiscReasonServerDeniedConnectionFips", "The server denied the connection for security reasons (FIPS)", Some(Config)),
    c(9, "exDiscReasonServerInsufficientPrivileges", "The user lacks the privilege to log on remotely", Some(Auth)),
    c(10, "exDiscReasonServerFreshCredsRequired", "Fresh credentials are required", Some(Auth)),
    c(11, "exDiscReasonRpcInitiatedDisconnectByUser", "The user disconnected the session", None),
    c(12, "exDiscReasonLogoffByUser", "The user logged off", None),
    c(256, "exDiscReasonLicenseInternal", "Internal licensing error", Some(Lic)),
    c(257, "exDiscReasonLicenseNoLicenseServer", "No Remote Desktop license server was available to provide a license", Some(Lic)),
    c(258, "exDiscReasonLicenseNoLicense", "No valid license was available", Some(Lic)),
    c(259, "exDiscReasonLicenseErrClientMsg", "The client sent an invalid licensing message", Some(Lic)),
    c(260, "exDiscReasonLicenseHwidDoesntMatchLicense", "The client's hardware id does not match its license", Some(Lic)),
    c(261, "exDiscReasonLicenseErrClientLicense", "The client's license is invalid", Some(Lic)),
    c(262, "exDiscReasonLicenseCantFinishProtocol", "A network problem interrupted the licensing protocol", Some(Lic)),
    c(263, "exDiscReasonLicenseClientEndedProtocol", "The client ended the licensing protocol early", Some(Lic)),
    c(264, "exDiscReasonLicenseErrClientEncryption", "A licensing message was encrypted incorrectly", Some(Lic)),
    c(265, "exDiscReasonLicenseCantUpgradeLicense", "The client access license could not be upgraded or renewed", Some(Lic)),
    c(266, "exDiscReasonLicenseNoRemoteConnections", "The server is not licensed to accept remote connections", Some(Lic)),
    c(267, "exDiscReasonLicenseCreatingLicStoreAccDenied", "Access denied while creating the client's license store", Some(Lic)),
    c(768, "exDiscReasonRdpEncInvalidCredentials", "Invalid credentials", Some(Auth)),
];

/// The range of internal protocol errors in the extended reason (and ERRINFO).
pub const PROTOCOL_RANGE: std::ops::RangeInclusive<i64> = 0x1000..=0x7FFF;

/// Licensing protocol errors (LICENSE_ERROR_MESSAGE `dwErrorCode`).
#[rustfmt::skip]
pub const LICENSING: &[Code] = &[
    c(1, "ERR_INVALID_SERVER_CERTIFICATE", "The client rejected the server's licensing certificate", Some(Lic)),
    c(2, "ERR_NO_LICENSE", "The client has no license", Some(Lic)),
    c(3, "ERR_INVALID_MAC", "A licensing message failed its integrity check", Some(Lic)),
    c(4, "ERR_INVALID_SCOPE", "The licensing scope is invalid", Some(Lic)),
    c(6, "ERR_NO_LICENSE_SERVER", "The server found no license server", Some(Lic)),
    c(7, "STATUS_VALID_CLIENT", "The client's license is valid (success)", None),
    c(8, "ERR_INVALID_CLIENT", "The client is not valid for licensing", Some(Lic)),
    c(11, "ERR_INVALID_PRODUCTID", "The product id is invalid", Some(Lic)),
    c(12, "ERR_INVALID_MESSAGE_LEN", "A licensing message had an invalid length", Some(Lic)),
];

/// Schannel TLS alert codes (36887/36888 `AlertDesc`).
#[rustfmt::skip]
pub const SCHANNEL_ALERTS: &[Code] = &[
    a(10, "unexpected_message", "Unexpected message: protocol mismatch or a non-TLS client", 0x8009_0326, Some(Cert)),
    a(20, "bad_record_mac", "A record failed its integrity check: corruption in transit", 0x8009_030F, Some(Net)),
    a(21, "decryption_failed", "Decryption failed: key or cipher problem", 0x8009_0330, Some(Cert)),
    a(22, "record_overflow", "Record too long", 0x8009_0326, Some(Cert)),
    a(30, "decompression_failure", "Decompression failed: corruption in transit", 0x8009_030F, Some(Net)),
    a(40, "handshake_failure", "Handshake failed: no common cipher suite or protocol", 0x8009_0326, Some(Cert)),
    a(42, "bad_certificate", "The peer rejected the certificate", 0x8009_0327, Some(Cert)),
    a(43, "unsupported_certificate", "The peer does not support the certificate", 0x8009_0327, Some(Cert)),
    a(44, "certificate_revoked", "The certificate is revoked", 0x8009_2010, Some(Cert)),
    a(45, "certificate_expired", "The certificate has expired", 0x8009_0328, Some(Cert)),
    a(46, "certificate_unknown", "The peer does not trust the certificate", 0x8009_0327, Some(Cert)),
    a(47, "illegal_parameter", "Illegal parameter in the handshake", 0x8009_0326, Some(Cert)),
    a(48, "unknown_ca", "The certificate's issuer is not trusted", 0x8009_0325, Some(Cert)),
    a(49, "access_denied", "Access denied", 0x8009_030C, Some(Auth)),
    a(50, "decode_error", "A handshake message could not be decoded", 0x8009_0326, Some(Cert)),
    a(51, "decrypt_error", "A handshake signature or decryption failed", 0x8009_0330, Some(Cert)),
    a(60, "export_restriction", "Export restriction", 0x8009_0326, Some(Cert)),
    a(70, "protocol_version", "The TLS version is disabled on one side", 0x8009_0302, Some(Cert)),
    a(71, "insufficient_security", "The cipher policies do not match", 0x8009_0331, Some(Cert)),
    a(80, "internal_error", "Local failure, often the private key could not be used", 0x8009_0304, Some(Cert)),
    a(90, "user_canceled", "The peer abandoned the handshake", 0x8009_0333, None),
    a(100, "no_renegotiation", "Renegotiation refused", 0x8009_0326, Some(Cert)),
    a(110, "unsupported_extension", "Unsupported TLS extension", 0x8009_0326, Some(Cert)),
];

/// HRESULT, SSPI, CryptoAPI and Win32 status codes seen in RDP events.
#[rustfmt::skip]
pub const STATUS: &[Code] = &[
    c(0x8009_030D, "SEC_E_UNKNOWN_CREDENTIALS", "Credentials not recognized: usually the certificate's private key cannot be read", Some(Cert)),
    c(0x8009_0016, "NTE_BAD_KEYSET", "Keyset does not exist: the key container in MachineKeys is missing or corrupt", Some(Cert)),
    c(0x8009_000F, "NTE_EXISTS", "Object already exists: a stale key container is in the way", Some(Cert)),
    c(0x8009_0010, "NTE_PERM", "Access denied by the cryptographic provider", Some(Cert)),
    c(0x8007_0005, "E_ACCESSDENIED", "Access is denied (for example NETWORK SERVICE cannot read the key in MachineKeys)", Some(Cert)),
    c(0x8009_0302, "SEC_E_UNSUPPORTED_FUNCTION", "The requested function (often the TLS version) is not supported", Some(Cert)),
    c(0x8009_0304, "SEC_E_INTERNAL_ERROR", "Internal SSPI error, often the private key could not be used", Some(Cert)),
    c(0x8009_030C, "SEC_E_LOGON_DENIED", "The logon was denied", Some(Auth)),
    c(0x8009_030F, "SEC_E_MESSAGE_ALTERED", "A message was altered in transit", Some(Net)),
    c(0x8009_0325, "SEC_E_UNTRUSTED_ROOT", "The certificate chain ends in an untrusted root", Some(Cert)),
    c(0x8009_0326, "SEC_E_ILLEGAL_MESSAGE", "An illegal TLS message was received", Some(Cert)),
    c(0x8009_0327, "SEC_E_CERT_UNKNOWN", "The certificate is not known or not trusted", Some(Cert)),
    c(0x8009_0328, "SEC_E_CERT_EXPIRED", "The certificate has expired", Some(Cert)),
    c(0x8009_0330, "SEC_E_DECRYPT_FAILURE", "Decryption failed", Some(Cert)),
    c(0x8009_0331, "SEC_E_ALGORITHM_MISMATCH", "No common cipher algorithm", Some(Cert)),
    c(0x8009_0333, "SEC_E_UNFINISHED_CONTEXT_DELETED", "The handshake was abandoned", None),
    c(0x8009_2010, "CRYPT_E_REVOKED", "The certificate is revoked", Some(Cert)),
    c(0x8009_2012, "CRYPT_E_NO_REVOCATION_CHECK", "The revocation function could not check the certificate", Some(Cert)),
    c(0x8009_2013, "CRYPT_E_REVOCATION_OFFLINE", "The revocation server was offline", Some(Cert)),
    c(0x8007_0040, "HRESULT(ERROR_NETNAME_DELETED)", "The network name is no longer available: the peer vanished", Some(Net)),
    c(0x8007_0079, "HRESULT(ERROR_SEM_TIMEOUT)", "The transport stalled and timed out", Some(Net)),
    c(0x8007_2746, "HRESULT(WSAECONNRESET)", "The connection was reset by the peer", Some(Net)),
    c(0x8007_274C, "HRESULT(WSAETIMEDOUT)", "The connection timed out", Some(Net)),
    c(0x8007_0057, "E_INVALIDARG", "An argument was invalid", None),
    c(0x8000_4005, "E_FAIL", "Unspecified failure", None),
    c(1226, "ERROR_GRACEFUL_DISCONNECT", "The connection was closed gracefully", None),
    c(1236, "ERROR_CONNECTION_ABORTED", "The connection was aborted by the local system", Some(Net)),
];

/// Win32 error codes, for decoding `HRESULT_FROM_WIN32` values and bare Win32
/// errors (RdpCoreTS 142/143 `error`).
#[rustfmt::skip]
pub const WIN32: &[Code] = &[
    c(5, "ERROR_ACCESS_DENIED", "Access is denied", None),
    c(64, "ERROR_NETNAME_DELETED", "The network name is no longer available: the peer vanished", Some(Net)),
    c(87, "ERROR_INVALID_PARAMETER", "The parameter is incorrect", None),
    c(121, "ERROR_SEM_TIMEOUT", "The semaphore timeout period has expired: the transport stalled", Some(Net)),
    c(1226, "ERROR_GRACEFUL_DISCONNECT", "The connection was closed gracefully", None),
    c(1236, "ERROR_CONNECTION_ABORTED", "The connection was aborted by the local system", Some(Net)),
    c(10053, "WSAECONNABORTED", "The connection was aborted by the local system", Some(Net)),
    c(10054, "WSAECONNRESET", "The connection was reset by the peer", Some(Net)),
    c(10060, "WSAETIMEDOUT", "The connection timed out", Some(Net)),
];

/// Schannel internal error states (36870 `ErrorStatus`, 36871 state).
#[rustfmt::skip]
pub const SCHANNEL_STATES: &[Code] = &[
    c(10001, "KEY_ACCESS_FAILED", "Schannel could not access the credential's private key", Some(Cert)),
    c(10013, "TLS_DISABLED_BY_POLICY", "The TLS credential could not be created because the TLS version is disabled by policy", Some(Cert)),
];

/// NTSTATUS codes of failed logons (4625 `Status` and `SubStatus`).
#[rustfmt::skip]
pub const LOGON_STATUS: &[Code] = &[
    c(0xC000_006D, "STATUS_LOGON_FAILURE", "Bad user name or authentication information", Some(Auth)),
    c(0xC000_006A, "STATUS_WRONG_PASSWORD", "The password is wrong", Some(Auth)),
    c(0xC000_0064, "STATUS_NO_SUCH_USER", "The user name does not exist", Some(Auth)),
    c(0xC000_0072, "STATUS_ACCOUNT_DISABLED", "The account is disabled", Some(Auth)),
    c(0xC000_0234, "STATUS_ACCOUNT_LOCKED_OUT", "The account is locked out", Some(Auth)),
    c(0xC000_015B, "STATUS_LOGON_TYPE_NOT_GRANTED", "The user is not granted this logon type (Remote Desktop logon right)", Some(Auth)),
    c(0xC000_005E, "STATUS_NO_LOGON_SERVERS", "No logon server (domain controller) was available", Some(Auth)),
    c(0xC000_0133, "STATUS_TIME_DIFFERENCE_AT_DC", "The clocks of the computer and the domain controller differ too much", Some(Auth)),
];

/// NTSTATUS codes that TermDD writes into event 56's data: why the connection
/// ended. A driver may also write an SSPI or HRESULT value there; those are
/// read against [`STATUS`].
#[rustfmt::skip]
pub const DRIVER_STATUS: &[Code] = &[
    c(0xC000_00B5, "STATUS_IO_TIMEOUT", "The connection timed out: the client stopped answering in the middle of the handshake", Some(Net)),
    c(0xC000_020C, "STATUS_CONNECTION_DISCONNECTED", "The connection was closed under the server", Some(Net)),
    c(0xC000_020D, "STATUS_CONNECTION_RESET", "The connection was reset from the client's side or by a device on the path", Some(Net)),
    c(0xC000_0241, "STATUS_CONNECTION_ABORTED", "The connection was aborted", Some(Net)),
    c(0xC000_013C, "STATUS_REMOTE_DISCONNECT", "The client's side closed the connection", Some(Net)),
    c(0xC000_0184, "STATUS_INVALID_DEVICE_STATE", "The server wrote to a connection that was already broken; this does not say what broke it", None),
    c(0xC00A_0032, "STATUS_RDP_PROTOCOL_ERROR", "The client sent data the RDP protocol does not allow: a broken or non-Windows client, a scanner, or a device that alters the traffic", None),
    c(0xC000_006F, "STATUS_INVALID_LOGON_HOURS", "The account may not log on at this time of day", Some(Auth)),
];

/// Finds `code` in `family`'s table.
pub fn lookup(family: Family, code: i64) -> Option<&'static Code> {
    let code = normalize(family, code);
    let found = family.table().iter().find(|c| c.code == code);
    match family {
        Family::DriverStatus => found.or_else(|| STATUS.iter().find(|c| c.code == code)),
        _ => found,
    }
}

/// Decodes `code` as a member of `family`; values not in the table are described
/// by their structure (HRESULT/NTSTATUS facility, protocol range) and shown in hex.
pub fn decode(family: Family, code: i64) -> DecodedCode {
    if let Some(known) = lookup(family, code) {
        let mut meaning = known.meaning.to_string();
        if let Some(related) = known.related {
            let sspi = structural(related);
            meaning.push_str(&format!(" (reported as {} {})", hex(related), sspi.name));
        }
        return DecodedCode {
            code: known.code,
            name: known.name.to_string(),
            meaning,
        };
    }
    let code = normalize(family, code);
    if matches!(family, Family::ServerReason | Family::ExtendedReason)
        && PROTOCOL_RANGE.contains(&code)
    {
        return DecodedCode {
            code,
            name: format!("PROTOCOL_ERROR_{code:#06X}"),
            meaning: "Internal RDP protocol error; the server's event logs tell more".into(),
        };
    }
    structural(code)
}

/// The SSPI error a TLS alert maps to.
pub fn alert_sspi(alert: i64) -> Option<i64> {
    lookup(Family::SchannelAlert, alert).and_then(|c| c.related)
}

/// The category a known code points to.
pub fn category(family: Family, code: i64) -> Option<Category> {
    lookup(family, code).and_then(|c| c.category)
}

/// Decodes a value by its HRESULT/NTSTATUS structure: severity, facility and
/// the Win32 error inside `HRESULT_FROM_WIN32` values. Always shown in hex.
pub fn structural(code: i64) -> DecodedCode {
    let code = code & 0xFFFF_FFFF;
    let known = (STATUS.iter().chain(LOGON_STATUS).chain(DRIVER_STATUS)).find(|c| c.code == code);
    if let Some(k) = known {
        return DecodedCode {
            code,
            name: k.name.to_string(),
            meaning: k.meaning.to_string(),
        };
    }
    // HRESULT_FROM_NT: a known NTSTATUS with the facility-NT bit set (0xD00000B5).
    let nt = code & !0x1000_0000;
    let known_nt = (LOGON_STATUS.iter().chain(DRIVER_STATUS)).find(|c| c.code == nt);
    if let (0x9 | 0xD, Some(k)) = (code >> 28, known_nt) {
        return DecodedCode {
            code,
            name: k.name.to_string(),
            meaning: format!("NTSTATUS {} as an HRESULT: {}", hex(nt), k.meaning),
        };
    }
    let facility = (code >> 16) & 0x7FF;
    let low = code & 0xFFFF;
    let meaning = match code >> 28 {
        0x8 if facility == 7 => match WIN32.iter().find(|c| c.code == low) {
            Some(w) => format!("HRESULT from Win32 error {low} ({}): {}", w.name, w.meaning),
            None => format!("HRESULT from Win32 error {low}"),
        },
        0x8 if facility == 9 => format!("Security/crypto (SSPI) error {low:#06x}"),
        0x8 => format!("Error HRESULT, facility {facility}, code {low:#06x}"),
        0xC => format!("NTSTATUS error, facility {facility}, code {low:#06x}"),
        _ => match WIN32.iter().find(|c| c.code == code) {
            Some(w) => format!("Win32 error {code} ({}): {}", w.name, w.meaning),
            None => "Not a documented code".to_string(),
        },
    };
    DecodedCode {
        code,
        name: hex(code),
        meaning,
    }
}

/// Negative values logged as signed 32-bit integers become their unsigned form
/// for the families whose codes are 32-bit status values.
fn normalize(family: Family, code: i64) -> i64 {
    match family {
        Family::Status | Family::LogonStatus | Family::DriverStatus if code < 0 => {
            code & 0xFFFF_FFFF
        }
        _ => code,
    }
}

/// Parses a code as people type it: decimal (also negative 32-bit values) or
/// `0x` hexadecimal.
pub fn parse_code(text: &str) -> Result<i64, NotACode> {
    let t = text.trim();
    let bare_hex = !t.is_empty()
        && t.chars().all(|c| c.is_ascii_hexdigit())
        && t.chars().any(|c| c.is_ascii_alphabetic());
    let parsed = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()
    } else if bare_hex {
        // `c000015b`: hex digits with a letter among them are hex.
        i64::from_str_radix(t, 16).ok()
    } else {
        t.parse::<i64>().ok().map(|v| {
            if (i64::from(i32::MIN)..0).contains(&v) {
                v & 0xFFFF_FFFF
            } else {
                v
            }
        })
    };
    match parsed {
        Some(v) if (0..=0xFFFF_FFFF).contains(&v) => Ok(v),
        _ => Err(NotACode(text.to_string())),
    }
}

#[cfg(test)]
#[path = "codes_tests.rs"]
mod tests;
