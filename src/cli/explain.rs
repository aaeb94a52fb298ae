//! `dropcause explain CODE [EXTENDED]`: decode an RDP error code (decimal or
//! 0x hex), say what to look for on the server and which rules look for it.

use dropcause::event::codes::{self, Family};
use dropcause::explain::{Explanation, explain};
use dropcause::rules::RuleInfo;
use dropcause::{Error, Result};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `dropcause explain`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The code, decimal or 0x hex: the client's error code (0x904), an LSM 40
    /// reason, a status code (0x8009030D), a TLS alert, a 4625 status, ...
    pub code: String,
    /// The client's extended error code (the "Extended error code: 0x7").
    pub extended: Option<String>,
    /// Read CODE as this family only: client-reason, extended-reason,
    /// server-reason, status, logon-status, driver-status, schannel-alert, schannel-state,
    /// licensing.
    #[arg(long)]
    pub family: Option<Family>,
    /// Print the explanation as JSON.
    #[arg(long)]
    pub json: bool,
}

pub const EXAMPLES: &str = "Examples:
  dropcause explain 0x904 0x7             # the client's \"error code 0x904, extended error code 0x7\"
  dropcause explain 2308                  # a client disconnect reason (RDPClient 1026)
  dropcause explain 0x8009030D            # a status code (Schannel 36870 ErrorCode)
  dropcause explain 40 --family schannel-alert
  dropcause explain 5 --family server-reason --json";

/// `dropcause explain`: explains to standard output, naming the built-in
/// rules that look for the failure.
pub fn command(args: &Args) -> anyhow::Result<ExitCode> {
    let (rules, _) = dropcause::rules::RuleSet::built_in();
    let infos: Vec<Arc<RuleInfo>> = rules.infos().cloned().collect();
    let stdout = std::io::stdout();
    run(args, &infos, &mut stdout.lock())?;
    Ok(ExitCode::from(super::EXIT_OK))
}

/// Explains the code in `args`, listing the `rules` that look for the failure.
pub fn run(args: &Args, rules: &[Arc<RuleInfo>], out: &mut dyn Write) -> Result<()> {
    let code = codes::parse_code(&args.code)?;
    let extended = args
        .extended
        .as_deref()
        .map(codes::parse_code)
        .transpose()?;
    let explanation = explain(code, extended, args.family, rules);
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &explanation)
            .map_err(|e| Error::Output(e.into()))?;
        writeln!(out)?;
    } else {
        write_text(&explanation, out)?;
        let digits = args.code.trim();
        if digits.chars().all(|c| c.is_ascii_digit()) {
            writeln!(
                out,
                "\n`{digits}` was read as a decimal number; for hex write 0x{digits}."
            )?;
        }
    }
    Ok(())
}

fn write_text(e: &Explanation, out: &mut dyn Write) -> std::io::Result<()> {
    for r in &e.readings {
        writeln!(
            out,
            "{} ({}) as a {}: {}",
            codes::hex(r.decoded.code),
            r.decoded.code,
            r.family.describe(),
            r.decoded.name
        )?;
        writeln!(out, "    {}", r.decoded.meaning)?;
    }
    if let Some(x) = &e.extended_reading {
        writeln!(
            out,
            "extended {:#x} ({}): {}",
            x.decoded.code, x.decoded.code, x.decoded.name
        )?;
        writeln!(out, "    {}", x.decoded.meaning)?;
    }
    writeln!(out, "\n{}", e.summary)?;
    if !e.look_for.is_empty() {
        writeln!(out, "\nWhat to look for on the server:")?;
        for hint in &e.look_for {
            writeln!(out, "  - {hint}")?;
        }
    }
    let unknown = e
        .readings
        .iter()
        .all(|r| r.decoded.name == codes::hex(r.decoded.code));
    if let (true, Some(r)) = (unknown, e.readings.first()) {
        let hex = codes::hex(r.decoded.code);
        writeln!(out, "\nNot in dropcause's tables. To look it up elsewhere:")?;
        writeln!(
            out,
            "  - on Windows, `certutil -error {hex}` (Win32, HRESULT and NTSTATUS codes) or \
             Microsoft's Error Lookup Tool, `Err.exe {hex}`"
        )?;
        writeln!(
            out,
            "  - the status code tables of [MS-ERREF]: \
             https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-erref/"
        )?;
        writeln!(
            out,
            "  - the RDP client's disconnect reasons (IMsTscAxEvents::OnDisconnected): \
             https://learn.microsoft.com/en-us/windows/win32/termserv/imstscaxevents-ondisconnected"
        )?;
    }
    if !e.rules.is_empty() {
        writeln!(out, "\nRules that look for this failure:")?;
        for r in &e.rules {
            writeln!(out, "  - {} ({}): {}", r.id, r.why, r.title)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(code: &str, extended: Option<&str>) -> Args {
        Args {
            code: code.into(),
            extended: extended.map(Into::into),
            family: None,
            json: false,
        }
    }

    #[test]
    fn explains_0x904_with_extended_0x7_in_text() {
        let mut out = Vec::new();
        run(&args("0x904", Some("0x7")), &[], &mut out).expect("explains");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.starts_with("0x00000904 (2308) as a client disconnect reason"));
        assert!(text.contains("exDiscReasonServerDeniedConnection"));
        assert!(text.contains("What to look for on the server:"));
    }

    #[test]
    fn json_output_and_bad_codes() {
        let mut out = Vec::new();
        let mut a = args("2147942464", None);
        a.json = true;
        run(&a, &[], &mut out).expect("explains");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(
            v["readings"][0]["decoded"]["name"],
            "HRESULT(ERROR_NETNAME_DELETED)"
        );
        let mut out = Vec::new();
        run(&args("0xDEADBEEF", None), &[], &mut out).expect("explains");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("certutil -error 0xDEADBEEF"), "{text}");
        let mut out = Vec::new();
        run(&args("0x904", None), &[], &mut out).expect("explains");
        assert!(
            !String::from_utf8(out).unwrap().contains("certutil"),
            "a known code"
        );
        let err = run(&args("0xZZ", None), &[], &mut Vec::new()).expect_err("bad code");
        assert!(err.to_string().contains("not a code"));
    }
}
