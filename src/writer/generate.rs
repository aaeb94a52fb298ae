//! Writes a scenario's channels to EVTX files, one per channel, in parallel.

use super::WriterError;
use super::file::EvtxWriter;
use super::plan::{ChannelPlan, plan};
use super::render::Renderer;
use super::scenario::Scenario;
use super::value::from_filetime;
use rayon::prelude::*;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Writes every channel of `scenario` into `out_dir` (created if needed) as
/// `<channel with / as %4>.evtx`, with the background `scale` times as dense.
/// Returns the files written, sorted.
pub fn generate(
    scenario: &Scenario,
    out_dir: &Path,
    scale: u32,
) -> Result<Vec<PathBuf>, WriterError> {
    let channels = plan(scenario, scale)?;
    std::fs::create_dir_all(out_dir).map_err(|source| WriterError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut files = channels
        .par_iter()
        .map(|channel| {
            let path = out_dir.join(channel.file_name());
            write_channel(channel, &path)?;
            Ok(path)
        })
        .collect::<Result<Vec<_>, WriterError>>()?;
    files.sort();
    Ok(files)
}

/// Writes one channel's events to `path`.
pub fn write_channel(channel: &ChannelPlan, path: &Path) -> Result<(), WriterError> {
    let io = |source| WriterError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(io)?;
    let mut writer = EvtxWriter::new(BufWriter::with_capacity(1 << 20, file))?;
    let mut renderer = Renderer::default();
    for event in channel.events() {
        let event = event?;
        if from_filetime(event.time).is_none() {
            return Err(WriterError::Invalid(format!(
                "{}: event time out of range",
                path.display()
            )));
        }
        let instance = renderer.instance(&event, writer.next_record_id());
        writer.append(event.time, &instance)?;
    }
    writer
        .finish()?
        .into_inner()
        .map_err(|e| io(e.into_error()))?;
    Ok(())
}
