use super::*;
use std::collections::HashSet;

#[test]
fn every_table_has_unique_named_codes() {
    for family in Family::ALL {
        let table = family.table();
        assert!(!table.is_empty(), "{family} table is empty");
        let mut seen = HashSet::new();
        for code in table {
            assert!(seen.insert(code.code), "{family}: {} twice", code.code);
            assert!(!code.name.is_empty() && !code.meaning.is_empty());
        }
    }
    let mut seen = HashSet::new();
    assert!(WIN32.iter().all(|c| seen.insert(c.code)));
}

/// Codes and the names they decode to, one family after another.
#[rustfmt::skip]
const NAMES: &[(Family, i64, &str)] = &[
    (Family::ClientReason, 516, "SocketConnectFailed"),
    (Family::ClientReason, 6919, "SSL_ERR_CERT_EXPIRED"),
    (Family::ExtendedReason, 12, "exDiscReasonLogoffByUser"),
    (Family::ExtendedReason, 265, "exDiscReasonLicenseCantUpgradeLicense"),
    (Family::ExtendedReason, 768, "exDiscReasonRdpEncInvalidCredentials"),
    (Family::ExtendedReason, 0x1192, "PROTOCOL_ERROR_0x1192"),
    (Family::Licensing, 6, "ERR_NO_LICENSE_SERVER"),
    (Family::Licensing, 7, "STATUS_VALID_CLIENT"),
    (Family::Licensing, 0xC, "ERR_INVALID_MESSAGE_LEN"),
    (Family::Status, 0x8009_030D, "SEC_E_UNKNOWN_CREDENTIALS"),
    (Family::Status, 0x8009_0016, "NTE_BAD_KEYSET"),
    (Family::Status, 0x8007_0005, "E_ACCESSDENIED"),
    // A negative (signed 32-bit) rendering of the same value.
    (Family::Status, -2_146_893_043, "SEC_E_UNKNOWN_CREDENTIALS"),
    (Family::Status, 1236, "ERROR_CONNECTION_ABORTED"),
    (Family::SchannelState, 10001, "KEY_ACCESS_FAILED"),
    (Family::SchannelState, 10013, "TLS_DISABLED_BY_POLICY"),
    (Family::LogonStatus, 0xC000_006A, "STATUS_WRONG_PASSWORD"),
    (Family::LogonStatus, 0xC000_015B, "STATUS_LOGON_TYPE_NOT_GRANTED"),
    (Family::LogonStatus, 0xC000_0133, "STATUS_TIME_DIFFERENCE_AT_DC"),
    (Family::LogonStatus, 0xC000_0001, "0xC0000001"),
    (Family::ServerReason, 0, "NO_INFO"),
    (Family::ServerReason, 5, "DISCONNECTED_BY_OTHER_CONNECTION"),
    (Family::ServerReason, 7, "SERVER_DENIED_CONNECTION"),
    (Family::ServerReason, 11, "RPC_INITIATED_DISCONNECT_BY_USER"),
    (Family::ServerReason, 12, "LOGOFF_BY_USER"),
    (Family::ServerReason, 26, "SERVER_REBOOT"),
    (Family::ServerReason, 257, "LICENSE_NO_LICENSE_SERVER"),
];

/// Codes and the failure category they point to.
const CATEGORIES: &[(Family, i64, Option<Category>)] = &[
    (Family::ServerReason, 3, Some(Category::Resource)),
    (Family::ServerReason, 260, Some(Category::Licensing)),
    (Family::ServerReason, 12, None),
    (Family::ClientReason, 2056, Some(Category::Licensing)),
    (Family::ClientReason, 0x1B07, Some(Category::Certificate)),
    (Family::ClientReason, 3335, Some(Category::Authentication)),
    (Family::ClientReason, 1, None),
    (Family::Licensing, 7, None),
];

#[test]
fn known_codes_decode_to_their_names_and_categories() {
    for &(family, code, name) in NAMES {
        assert_eq!(decode(family, code).name, name, "{family} {code:#x}");
    }
    for &(family, code, cat) in CATEGORIES {
        assert_eq!(category(family, code), cat, "{family} {code:#x}");
    }
}

#[test]
fn server_reasons_decode_lsm_40() {
    let d = |c| decode(Family::ServerReason, c);
    // Values outside the table: protocol range, then HRESULT structure.
    assert!(d(0x1196).name.starts_with("PROTOCOL_ERROR_"));
    let hr = d(2_147_942_464);
    assert_eq!(hr.name, "HRESULT(ERROR_NETNAME_DELETED)");
    assert_eq!(hr.code, 0x8007_0040);
}

#[test]
fn client_reasons_decode_the_mstsc_error_code() {
    let socket = decode(Family::ClientReason, 0x904);
    assert_eq!(socket.code, 2308);
    assert_eq!(socket.name, "AtClientWinsockFDCLOSE");
    assert!(socket.meaning.contains("Socket closed"));
}

#[test]
fn extended_reasons_decode_including_the_protocol_range() {
    let denied = decode(Family::ExtendedReason, 7);
    assert_eq!(denied.name, "exDiscReasonServerDeniedConnection");
    // Values 1-12 and 256-267 agree with the server's ERRINFO table (0 differs:
    // on the server it also stands for a lost network connection).
    for code in (1..=12).chain(256..=267) {
        let server = lookup(Family::ServerReason, code).map(|c| c.category);
        let ext = lookup(Family::ExtendedReason, code).map(|c| c.category);
        assert_eq!(server, ext, "code {code}");
    }
}

#[test]
fn schannel_alerts_carry_their_sspi_error() {
    assert_eq!(alert_sspi(45), Some(0x8009_0328));
    assert_eq!(alert_sspi(70), Some(0x8009_0302));
    assert_eq!(alert_sspi(80), Some(0x8009_0304));
    assert_eq!(alert_sspi(11), None);
    let expired = decode(Family::SchannelAlert, 45);
    assert_eq!(expired.name, "certificate_expired");
    assert!(expired.meaning.contains("0x80090328 SEC_E_CERT_EXPIRED"));
    // Every alert's SSPI error is itself a known status code.
    for alert in SCHANNEL_ALERTS {
        let sspi = alert.related.expect("alerts carry their SSPI error");
        assert!(
            lookup(Family::Status, sspi).is_some(),
            "alert {}",
            alert.code
        );
    }
}

#[test]
fn unknown_status_codes_render_as_hex_with_what_their_structure_says() {
    let unknown = decode(Family::Status, 0x8007_2745);
    assert_eq!(unknown.name, "0x80072745");
    assert!(
        unknown.meaning.contains("WSAECONNABORTED"),
        "{}",
        unknown.meaning
    );
    let sspi = decode(Family::Status, 0x8009_0399);
    assert!(sspi.meaning.contains("SSPI"));
    assert_eq!(
        structural(0xC00A_0038).meaning,
        "NTSTATUS error, facility 10, code 0x0038"
    );
    assert!(structural(121).meaning.contains("ERROR_SEM_TIMEOUT"));
}

#[test]
fn codes_parse_in_decimal_and_hex() {
    assert_eq!(parse_code("0x904"), Ok(2308));
    assert_eq!(parse_code("2308"), Ok(2308));
    assert_eq!(parse_code("0X8009030d"), Ok(0x8009_030D));
    assert_eq!(parse_code("-2146893043"), Ok(0x8009_030D));
    assert!(parse_code("0x1_0000_0000").is_err());
    assert!(parse_code("0x100000000").is_err());
    assert!(parse_code("seven").is_err());
    assert_eq!(parse_code("c000015b"), Ok(0xC000_015B));
    assert_eq!(parse_code("8009030D"), Ok(0x8009_030D));
    assert_eq!(parse_code("904"), Ok(904), "digits alone are decimal");
    assert_eq!("client-reason".parse::<Family>(), Ok(Family::ClientReason));
    assert!("nope".parse::<Family>().is_err());
}

#[test]
fn driver_statuses_decode_as_logged_and_as_ntstatus() {
    let timeout = decode(Family::DriverStatus, 0xC000_00B5);
    assert_eq!(timeout.name, "STATUS_IO_TIMEOUT");
    assert_eq!(
        category(Family::DriverStatus, 0xC000_00B5),
        Some(Category::Network)
    );
    // An SSPI error in a driver's data is read against the status table.
    assert_eq!(
        decode(Family::DriverStatus, 0x8009_030D).name,
        "SEC_E_UNKNOWN_CREDENTIALS"
    );
    // As Event Viewer's data shows it, in HRESULT_FROM_NT form.
    let logged = structural(0xD000_00B5);
    assert_eq!(logged.name, "STATUS_IO_TIMEOUT");
    assert!(
        logged
            .meaning
            .starts_with("NTSTATUS 0xC00000B5 as an HRESULT")
    );
}
