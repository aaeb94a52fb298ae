//! The data of [`super::catalog`]: providers and event schemas.

use super::schema::{EventSchema, Provider};
use super::template::DataShape;
use super::value::ValueType;

const LSM_OP: &str = "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational";
const RCM_OP: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational";
const RCM_ADMIN: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Admin";
const CORE_OP: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational";
const CLIENT_OP: &str = "Microsoft-Windows-TerminalServices-RDPClient/Operational";
const GATEWAY_OP: &str = "Microsoft-Windows-TerminalServices-Gateway/Operational";
const SYSTEM: &str = "System";
const SECURITY: &str = "Security";

const EVENT_XML: DataShape = DataShape::UserData {
    element: "EventXML",
    xmlns: "Event_NS",
};

/// RD Gateway's events: `UserData/EventInfo` in the `aag` namespace.
const GATEWAY_INFO: DataShape = DataShape::UserData {
    element: "EventInfo",
    xmlns: "aag",
};

const fn provider(name: &'static str, guid: Option<&'static str>, keywords: u64) -> Provider {
    Provider {
        name,
        guid,
        event_source: None,
        keywords,
        user: None,
        process_id: 4,
        correlated: false,
    }
}

static LSM: Provider = Provider {
    user: Some("S-1-5-18"),
    process_id: 632,
    correlated: true,
    ..provider(
        "Microsoft-Windows-TerminalServices-LocalSessionManager",
        Some("{5d896912-022d-40aa-a3a8-4fa5515c76d7}"),
        0x1000_0000_0000_0000,
    )
};
static RCM: Provider = Provider {
    user: Some("S-1-5-20"),
    process_id: 1956,
    correlated: true,
    ..provider(
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
        Some("{c76baa63-ae81-421c-b425-340b4b24157f}"),
        0x1000_0000_0000_0000,
    )
};
/// RCM's classic events in the System log come from the `TermService` source.
static RCM_CLASSIC: Provider = Provider {
    event_source: Some("TermService"),
    user: None,
    correlated: false,
    keywords: 0x0080_0000_0000_0000,
    ..RCM
};
static CORE: Provider = Provider {
    user: Some("S-1-5-20"),
    process_id: 1956,
    correlated: true,
    ..provider(
        "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
        Some("{1139c61b-b549-4251-8ed3-27250a1edec8}"),
        0x4000_0000_0000_0000,
    )
};
static CLIENT: Provider = Provider {
    process_id: 5124,
    correlated: true,
    ..provider(
        "Microsoft-Windows-TerminalServices-ClientActiveXCore",
        Some("{28aa95bb-d444-4719-a36f-40462168127e}"),
        0x4000_0000_0000_0000,
    )
};
static SCM: Provider = Provider {
    event_source: Some("Service Control Manager"),
    process_id: 600,
    ..provider(
        "Service Control Manager",
        Some("{555908d1-a6d7-4695-8e1e-26931d2012f4}"),
        0x8080_0000_0000_0000,
    )
};
static EVENTLOG: Provider = provider("EventLog", None, 0x0080_0000_0000_0000);
static TERMDD: Provider = provider("TermDD", None, 0x0080_0000_0000_0000);
static USER32: Provider = Provider {
    event_source: Some("User32"),
    user: Some("S-1-5-18"),
    process_id: 1048,
    ..provider(
        "User32",
        Some("{b0aa8734-56f7-41cc-b2f4-de228e98b946}"),
        0x8080_0000_0000_0000,
    )
};
static KERNEL_GENERAL: Provider = provider(
    "Microsoft-Windows-Kernel-General",
    Some("{a68ca8b7-004f-d7b6-a698-07e2de0f1f5d}"),
    0x8000_0000_0000_0000,
);
static KERNEL_POWER: Provider = provider(
    "Microsoft-Windows-Kernel-Power",
    Some("{331c3b3a-2005-44c2-ac5e-77220c37d6b4}"),
    0x8000_0000_0000_0002,
);
static GATEWAY: Provider = Provider {
    user: Some("S-1-5-20"),
    process_id: 1444,
    correlated: true,
    ..provider(
        "Microsoft-Windows-TerminalServices-Gateway",
        Some("{4d5ae6a1-c7c8-4e6d-b840-4d8080b42e1b}"),
        0x4000_0000_0000_0000,
    )
};
static SCHANNEL: Provider = Provider {
    user: Some("S-1-5-18"),
    process_id: 652,
    ..provider(
        "Schannel",
        Some("{1f678132-5938-4686-9fdc-c8ff68f15c85}"),
        0x8000_0000_0000_0000,
    )
};
static SECURITY_AUDITING: Provider = Provider {
    process_id: 652,
    ..provider(
        "Microsoft-Windows-Security-Auditing",
        Some("{54849625-5478-4994-a5ba-3e3b0328c30d}"),
        0x8020_0000_0000_0000,
    )
};

/// A manifest event: level 4, version 0, opcode 0, no qualifiers.
const fn ev(
    provider: &'static Provider,
    event_id: u16,
    channel: &'static str,
    shape: DataShape,
    fields: &'static [(&'static str, ValueType)],
) -> EventSchema {
    EventSchema {
        provider,
        event_id,
        channel,
        shape,
        fields,
        level: 4,
        task: 0,
        opcode: Some(0),
        version: Some(0),
        qualifiers: None,
        keywords: None,
    }
}

/// A classic (ReportEvent) event: qualifiers, no version or opcode.
// Long: a const constructor of the catalog table: each parameter is a field of the schema it builds.
const fn classic(
    provider: &'static Provider,
    event_id: u16,
    qualifiers: u16,
    level: u8,
    shape: DataShape,
    fields: &'static [(&'static str, ValueType)],
) -> EventSchema {
    EventSchema {
        level,
        opcode: None,
        version: None,
        qualifiers: Some(qualifiers),
        ..ev(provider, event_id, SYSTEM, shape, fields)
    }
}

/// A classic event with named parameters, version 0 and opcode 0 (the
/// Service Control Manager's, User32's).
const fn classic_named(
    provider: &'static Provider,
    event_id: u16,
    qualifiers: u16,
    level: u8,
    fields: &'static [(&'static str, ValueType)],
) -> EventSchema {
    EventSchema {
        opcode: Some(0),
        version: Some(0),
        ..classic(
            provider,
            event_id,
            qualifiers,
            level,
            DataShape::Named,
            fields,
        )
    }
}

/// An RdpCoreTS event: task 4 with the given level and opcode.
const fn core(
    event_id: u16,
    level: u8,
    opcode: u8,
    fields: &'static [(&'static str, ValueType)],
) -> EventSchema {
    EventSchema {
        level,
        task: 4,
        opcode: Some(opcode),
        ..ev(&CORE, event_id, CORE_OP, DataShape::Named, fields)
    }
}

/// A Security-Auditing event with its task, version and keywords.
const fn audit(
    event_id: u16,
    task: u16,
    version: u8,
    keywords: u64,
    fields: &'static [(&'static str, ValueType)],
) -> EventSchema {
    EventSchema {
        level: 0,
        task,
        version: Some(version),
        keywords: Some(keywords),
        ..ev(
            &SECURITY_AUDITING,
            event_id,
            SECURITY,
            DataShape::Named,
            fields,
        )
    }
}

use ValueType::{
    Binary as BIN, FileTime as TIME, Guid as GUID, HexInt32 as HEX32, HexInt64 as HEX64,
    Sid as SID, String as STR, UInt16 as U16, UInt32 as U32, UInt64 as U64,
};

const SUCCESS: u64 = 0x8020_0000_0000_0000;
const FAILURE: u64 = 0x8010_0000_0000_0000;

/// RD Gateway's policy and connection events (200/201, 300/301, 302, 304).
#[rustfmt::skip]
const GATEWAY_FIELDS: &[(&str, ValueType)] = &[
    ("Username", STR), ("IpAddress", STR), ("AuthType", STR), ("Resource", STR),
    ("ConnectionProtocol", STR), ("ErrorCode", U32),
];
/// RD Gateway 303: the connection ended, with what it carried and for how long.
#[rustfmt::skip]
const GATEWAY_ENDED: &[(&str, ValueType)] = &[
    ("Username", STR), ("IpAddress", STR), ("AuthType", STR), ("Resource", STR),
    ("BytesReceived", STR), ("BytesTransfered", STR), ("SessionDuration", STR),
    ("ConnectionProtocol", STR), ("ErrorCode", U32),
];
/// Audit keywords of RD Gateway's policy events: success, failure.
const GATEWAY_GRANTED: u64 = 0x4020_0000_0100_0000;
const GATEWAY_DENIED: u64 = 0x4010_0000_0100_0000;
/// Keywords of RD Gateway's connection events.
const GATEWAY_CHANNEL: u64 = 0x4000_0000_0100_0000;

#[rustfmt::skip]
const USER_SESSION: &[(&str, ValueType)] = &[("User", STR), ("SessionID", U32)];
#[rustfmt::skip]
const USER_SESSION_ADDRESS: &[(&str, ValueType)] = &[("User", STR), ("SessionID", U32), ("Address", STR)];
const LISTENER: &[(&str, ValueType)] = &[("listenerName", STR)];
const STATUS_TEXT: &[(&str, ValueType)] = &[("param1", STR)];
#[rustfmt::skip]
const SESSION_CHANGE: &[(&str, ValueType)] = &[
    ("AccountName", STR), ("AccountDomain", STR), ("LogonID", HEX64), ("SessionName", STR),
    ("ClientName", STR), ("ClientAddress", STR),
];
#[rustfmt::skip]
const LOGON_2: &[(&str, ValueType)] = &[
    ("SubjectUserSid", SID), ("SubjectUserName", STR), ("SubjectDomainName", STR),
    ("SubjectLogonId", HEX64), ("TargetUserSid", SID), ("TargetUserName", STR),
    ("TargetDomainName", STR), ("TargetLogonId", HEX64), ("LogonType", U32),
    ("LogonProcessName", STR), ("AuthenticationPackageName", STR), ("WorkstationName", STR),
    ("LogonGuid", GUID), ("TransmittedServices", STR), ("LmPackageName", STR),
    ("KeyLength", U32), ("ProcessId", HEX64), ("ProcessName", STR), ("IpAddress", STR),
    ("IpPort", STR), ("ImpersonationLevel", STR), ("RestrictedAdminMode", STR),
    ("TargetOutboundUserName", STR), ("TargetOutboundDomainName", STR),
    ("VirtualAccount", STR), ("TargetLinkedLogonId", HEX64), ("ElevatedToken", STR),
];
#[rustfmt::skip]
const LOGON_FAILED: &[(&str, ValueType)] = &[
    ("SubjectUserSid", SID), ("SubjectUserName", STR), ("SubjectDomainName", STR),
    ("SubjectLogonId", HEX64), ("TargetUserSid", SID), ("TargetUserName", STR),
    ("TargetDomainName", STR), ("Status", HEX32), ("FailureReason", STR), ("SubStatus", HEX32),
    ("LogonType", U32), ("LogonProcessName", STR), ("AuthenticationPackageName", STR),
    ("WorkstationName", STR), ("TransmittedServices", STR), ("LmPackageName", STR),
    ("KeyLength", U32), ("ProcessId", HEX64), ("ProcessName", STR), ("IpAddress", STR),
    ("IpPort", STR),
];

/// Every event the writer knows.
#[rustfmt::skip]
pub static CATALOG: &[EventSchema] = &[
    // LocalSessionManager/Operational (UserData/EventXML).
    EventSchema { level: 2, ..ev(&LSM, 18, LSM_OP, EVENT_XML, &[]) },
    ev(&LSM, 21, LSM_OP, EVENT_XML, USER_SESSION_ADDRESS),
    ev(&LSM, 22, LSM_OP, EVENT_XML, USER_SESSION_ADDRESS),
    ev(&LSM, 23, LSM_OP, EVENT_XML, USER_SESSION),
    ev(&LSM, 24, LSM_OP, EVENT_XML, USER_SESSION_ADDRESS),
    ev(&LSM, 25, LSM_OP, EVENT_XML, USER_SESSION_ADDRESS),
    ev(&LSM, 39, LSM_OP, EVENT_XML, &[("TargetSession", U32), ("Source", U32)]),
    ev(&LSM, 40, LSM_OP, EVENT_XML, &[("Session", U32), ("Reason", U32)]),
    ev(&LSM, 41, LSM_OP, EVENT_XML, USER_SESSION),
    ev(&LSM, 42, LSM_OP, EVENT_XML, USER_SESSION),
    // RemoteConnectionManager/Operational and /Admin (UserData/EventXML).
    ev(&RCM, 258, RCM_OP, EVENT_XML, LISTENER),
    ev(&RCM, 261, RCM_OP, EVENT_XML, LISTENER),
    ev(&RCM, 1149, RCM_OP, EVENT_XML, &[("Param1", STR), ("Param2", STR), ("Param3", STR)]),
    EventSchema { level: 2, ..ev(&RCM, 1011, RCM_OP, EVENT_XML, &[("Param1", STR)]) },
    EventSchema { level: 3, ..ev(&RCM, 1012, RCM_OP, EVENT_XML, &[("Param1", STR)]) },
    EventSchema { level: 2, keywords: Some(0x4000_0000_0000_0000), ..ev(&RCM, 1069, RCM_ADMIN, EVENT_XML, &[]) },
    // RD Gateway: the connection authorization policy (200/201), the resource
    // authorization policy (300/301), the tunnel to the resource (302 connected, 303
    // ended, 304 could not connect, 312 an outbound connection not yet authenticated).
    EventSchema { task: 2, opcode: Some(30), keywords: Some(GATEWAY_GRANTED), ..ev(&GATEWAY, 200, GATEWAY_OP, GATEWAY_INFO, GATEWAY_FIELDS) },
    EventSchema { level: 2, task: 2, opcode: Some(30), keywords: Some(GATEWAY_DENIED), ..ev(&GATEWAY, 201, GATEWAY_OP, GATEWAY_INFO, GATEWAY_FIELDS) },
    EventSchema { task: 5, opcode: Some(30), keywords: Some(GATEWAY_GRANTED), ..ev(&GATEWAY, 300, GATEWAY_OP, GATEWAY_INFO, GATEWAY_FIELDS) },
    EventSchema { level: 2, task: 5, opcode: Some(30), keywords: Some(GATEWAY_DENIED), ..ev(&GATEWAY, 301, GATEWAY_OP, GATEWAY_INFO, GATEWAY_FIELDS) },
    EventSchema { task: 3, opcode: Some(30), keywords: Some(GATEWAY_CHANNEL), ..ev(&GATEWAY, 302, GATEWAY_OP, GATEWAY_INFO, GATEWAY_FIELDS) },
    EventSchema { task: 3, opcode: Some(44), keywords: Some(GATEWAY_CHANNEL), ..ev(&GATEWAY, 303, GATEWAY_OP, GATEWAY_INFO, GATEWAY_ENDED) },
    EventSchema { level: 2, task: 3, opcode: Some(30), keywords: Some(GATEWAY_CHANNEL), ..ev(&GATEWAY, 304, GATEWAY_OP, GATEWAY_INFO, GATEWAY_FIELDS) },
    EventSchema { level: 0, task: 3, opcode: Some(30), ..ev(&GATEWAY, 312, GATEWAY_OP, GATEWAY_INFO, &[("Username", STR), ("IpAddress", STR)]) },
    // RemoteConnectionManager's classic events in System (unnamed Data).
    classic(&RCM_CLASSIC, 1028, 49152, 2, DataShape::Unnamed, STATUS_TEXT),
    classic(&RCM_CLASSIC, 1052, 49152, 3, DataShape::Unnamed, &[("param1", STR), ("param2", STR), ("Binary", BIN)]),
    classic(&RCM_CLASSIC, 1056, 49152, 4, DataShape::Unnamed, &[("param1", STR), ("Binary", BIN)]),
    classic(&RCM_CLASSIC, 1057, 49152, 2, DataShape::Unnamed, STATUS_TEXT),
    classic(&RCM_CLASSIC, 1058, 49152, 2, DataShape::Unnamed, STATUS_TEXT),
    classic(&RCM_CLASSIC, 1128, 49152, 2, DataShape::Unnamed, &[]),
    classic(&RCM_CLASSIC, 1129, 49152, 3, DataShape::Unnamed, STATUS_TEXT),
    // RdpCoreTS/Operational (EventData/Data[@Name]).
    core(65, 4, 13, &[("ConnectionName", STR)]),
    core(66, 4, 13, &[("ConnectionName", STR), ("SessionID", U32)]),
    core(98, 4, 15, &[]),
    core(102, 4, 17, &[]),
    core(103, 4, 17, &[("ReasonCode", U32)]),
    core(107, 4, 17, &[]),
    core(131, 4, 15, &[("ConnType", STR), ("ClientIP", STR)]),
    core(139, 3, 14, &[("ResultCode", HEX32), ("IPString", STR)]),
    core(141, 4, 15, &[("InstanceID", U32)]),
    core(140, 3, 14, &[("IPString", STR)]),
    core(142, 3, 15, &[("error", U32)]),
    core(143, 3, 15, &[("error", U32)]),
    core(148, 4, 17, &[("ChannelName", STR), ("TunnelID", U32)]),
    core(226, 3, 19, &[
        ("StateTransition", STR), ("PreviousState", U32), ("PreviousStateName", STR),
        ("NewState", U32), ("NewStateName", STR), ("Event", U32), ("EventName", STR),
        ("ErrorCode", HEX32),
    ]),
    // RDPClient/Operational on the client (EventData/Data[@Name]).
    EventSchema { task: 101, opcode: Some(10),
        ..ev(&CLIENT, 1024, CLIENT_OP, DataShape::Named, &[("Name", STR), ("Value", STR), ("CustomLevel", STR)]) },
    EventSchema { task: 101, opcode: Some(11),
        ..ev(&CLIENT, 1026, CLIENT_OP, DataShape::Named, &[("Name", STR), ("Value", U32), ("CustomLevel", STR)]) },
    // System: Service Control Manager (classic source, named params).
    classic_named(&SCM, 7031, 49152, 2, &[
        ("param1", STR), ("param2", STR), ("param3", STR), ("param4", STR), ("param5", STR), ("Binary", BIN),
    ]),
    classic_named(&SCM, 7034, 49152, 2, &[("param1", STR), ("param2", STR), ("Binary", BIN)]),
    classic_named(&SCM, 7036, 16384, 4, &[("param1", STR), ("param2", STR), ("Binary", BIN)]),
    classic_named(&SCM, 7040, 16384, 4, &[("param1", STR), ("param2", STR), ("param3", STR), ("param4", STR)]),
    classic_named(&SCM, 7045, 16384, 4, &[
        ("ServiceName", STR), ("ImagePath", STR), ("ServiceType", STR), ("StartType", STR), ("AccountName", STR),
    ]),
    // System: event log service, shutdown, kernel, TermDD, Schannel.
    classic(&EVENTLOG, 6005, 32768, 4, DataShape::Unnamed, &[("Binary", BIN)]),
    classic(&EVENTLOG, 6006, 32768, 4, DataShape::Unnamed, &[("Binary", BIN)]),
    classic(&EVENTLOG, 6011, 32768, 4, DataShape::Unnamed, &[("param1", STR), ("param2", STR)]),
    // 6008: time and date of the unexpected shutdown, then fields Windows mostly leaves empty.
    classic(&EVENTLOG, 6008, 32768, 2, DataShape::Unnamed, &[
        ("param1", STR), ("param2", STR), ("param3", STR), ("param4", STR), ("param5", STR),
        ("param6", STR), ("param7", STR), ("Binary", BIN),
    ]),
    classic_named(&USER32, 1074, 32768, 4, &[
        ("param1", STR), ("param2", STR), ("param3", STR), ("param4", STR), ("param5", STR),
        ("param6", STR), ("param7", STR),
    ]),
    ev(&KERNEL_GENERAL, 12, SYSTEM, DataShape::Named, &[
        ("MajorVersion", U32), ("MinorVersion", U32), ("BuildVersion", U32), ("QfeVersion", U32),
        ("ServiceVersion", U16), ("BootMode", U32), ("StartTime", TIME),
    ]),
    ev(&KERNEL_GENERAL, 13, SYSTEM, DataShape::Named, &[("StopTime", TIME)]),
    // 41: rebooted without a clean shutdown; BugcheckCode 0 for a power loss or reset.
    EventSchema { level: 1, task: 63, version: Some(8),
        ..ev(&KERNEL_POWER, 41, SYSTEM, DataShape::Named, &[
            ("BugcheckCode", U32), ("BugcheckParameter1", HEX64), ("BugcheckParameter2", HEX64),
            ("BugcheckParameter3", HEX64), ("BugcheckParameter4", HEX64), ("SleepInProgress", U32),
            ("PowerButtonTimestamp", U64),
        ]) },
    classic(&TERMDD, 56, 49162, 2, DataShape::Unnamed, &[("param1", STR), ("param2", STR), ("Binary", BIN)]),
    EventSchema { level: 2,
        ..ev(&SCHANNEL, 36870, SYSTEM, DataShape::Named, &[("Type", STR), ("ErrorCode", HEX32), ("ErrorStatus", U32)]) },
    EventSchema { level: 2, ..ev(&SCHANNEL, 36874, SYSTEM, DataShape::Named, &[("Protocol", STR)]) },
    EventSchema { level: 2,
        ..ev(&SCHANNEL, 36888, SYSTEM, DataShape::Named, &[("AlertDesc", U32), ("ErrorState", U32)]) },
    // Security (Microsoft-Windows-Security-Auditing).
    audit(4624, 12544, 2, SUCCESS, LOGON_2),
    audit(4625, 12544, 0, FAILURE, LOGON_FAILED),
    audit(4634, 12545, 0, SUCCESS, &[
        ("TargetUserSid", SID), ("TargetUserName", STR), ("TargetDomainName", STR),
        ("TargetLogonId", HEX64), ("LogonType", U32),
    ]),
    audit(4647, 12545, 0, SUCCESS, &[
        ("TargetUserSid", SID), ("TargetUserName", STR), ("TargetDomainName", STR), ("TargetLogonId", HEX64),
    ]),
    audit(4672, 12548, 0, SUCCESS, &[
        ("SubjectUserSid", SID), ("SubjectUserName", STR), ("SubjectDomainName", STR),
        ("SubjectLogonId", HEX64), ("PrivilegeList", STR),
    ]),
    audit(4778, 12551, 0, SUCCESS, SESSION_CHANGE),
    audit(4779, 12551, 0, SUCCESS, SESSION_CHANGE),
    audit(4825, 12551, 0, FAILURE, &[
        ("AccountName", STR), ("AccountDomain", STR), ("LogonID", HEX64), ("ClientAddress", STR),
    ]),
];
